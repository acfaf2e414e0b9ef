/* test-email.c: the address rules of docs/api.md §2.2
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib.h>

#include "luma-email.h"

typedef struct
{
  const char       *address;
  LumaEmailProblem  expected;
} Case;

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

static void
check_cases (const Case *cases,
             gsize       n_cases)
{
  gsize i;

  for (i = 0; i < n_cases; i++)
    {
      LumaEmailProblem got = luma_email_validate (cases[i].address);

      if (got != cases[i].expected)
        g_error ("“%s”: expected problem %d, got %d", cases[i].address, cases[i].expected, got);
      g_assert_cmpint (luma_email_is_valid (cases[i].address), ==,
                       cases[i].expected == LUMA_EMAIL_PROBLEM_NONE);
    }
}

static void
test_email_valid (void)
{
  static const Case cases[] = {
    { "it@acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "a@b.c", LUMA_EMAIL_PROBLEM_NONE },
    { "Finance@ACME.Example", LUMA_EMAIL_PROBLEM_NONE },
    { "first.last+tag@sub.acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "o'neil@acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "\"quoted\"@acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "zoë.müller@acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "李伟@acme.example", LUMA_EMAIL_PROBLEM_NONE },
    { "x@my-host.example", LUMA_EMAIL_PROBLEM_NONE },
    { "x@a1.b2.c3.d4", LUMA_EMAIL_PROBLEM_NONE },
    { "x@123.45", LUMA_EMAIL_PROBLEM_NONE },
    { "  padded@acme.example\t\n", LUMA_EMAIL_PROBLEM_NONE },
    { "a-b@x--y.example", LUMA_EMAIL_PROBLEM_NONE },
    { "!#$%&*/=?^_`{|}~@acme.example", LUMA_EMAIL_PROBLEM_NONE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_email_invalid (void)
{
  static const Case cases[] = {
    { NULL, LUMA_EMAIL_PROBLEM_EMPTY },
    { "", LUMA_EMAIL_PROBLEM_EMPTY },
    { "   \t ", LUMA_EMAIL_PROBLEM_EMPTY },
    { "a@", LUMA_EMAIL_PROBLEM_TOO_SHORT },
    { "ab", LUMA_EMAIL_PROBLEM_TOO_SHORT },
    { " @b ", LUMA_EMAIL_PROBLEM_TOO_SHORT },
    { "noc.acme.example", LUMA_EMAIL_PROBLEM_NO_AT },
    { "a@b@acme.example", LUMA_EMAIL_PROBLEM_SEVERAL_AT },
    { "a@@acme.example", LUMA_EMAIL_PROBLEM_SEVERAL_AT },
    { "@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_EMPTY },
    { "john doe@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },
    { "john\tdoe@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },
    { "john\x01@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },
    { "john\x7f@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },
    { "john\xc2\xa0" "doe@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },  /* no-break space */
    { "john\xc2\x85@acme.example", LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR },        /* C1 control */
    { "noc@", LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY },
    { "noc@acme", LUMA_EMAIL_PROBLEM_DOMAIN_ONE_LABEL },
    { "noc@localhost", LUMA_EMAIL_PROBLEM_DOMAIN_ONE_LABEL },
    { "noc@.acme.example", LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL },
    { "noc@acme.example.", LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL },
    { "noc@acme..example", LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL },
    { "noc@.", LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL },
    { "noc@-acme.example", LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN },
    { "noc@acme-.example", LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN },
    { "noc@acme.-example", LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN },
    { "noc@acme.example-", LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN },
    { "noc@acme_corp.example", LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR },
    { "noc@acme example.com", LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR },
    { "noc@müller.example", LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR },
    { "noc@[127.0.0.1]", LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR },
    { "noc@acme.example\x01", LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR },
    { "noc\xff@acme.example", LUMA_EMAIL_PROBLEM_INVALID_UTF8 },
    { "noc@acme.exam\xc3", LUMA_EMAIL_PROBLEM_INVALID_UTF8 },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_email_lengths (void)
{
  g_autofree char *local64 = repeat ('l', 64);
  g_autofree char *local65 = repeat ('l', 65);
  g_autofree char *label = repeat ('d', 63);
  g_autofree char *ok64 = g_strconcat (local64, "@acme.example", NULL);
  g_autofree char *long65 = g_strconcat (local65, "@acme.example", NULL);
  g_autofree char *domain = NULL;
  g_autofree char *exact254 = NULL;
  g_autofree char *over254 = NULL;
  g_autofree char *padded = NULL;
  g_autofree char *umlaut_local = NULL;
  GString *s;
  gsize domain_len;

  g_assert_cmpint (luma_email_validate (ok64), ==, LUMA_EMAIL_PROBLEM_NONE);
  g_assert_cmpint (luma_email_validate (long65), ==, LUMA_EMAIL_PROBLEM_LOCAL_TOO_LONG);

  /* 64 + 1 + 189 = 254 bytes: labels of 63 "d"s joined by dots, cut to length. */
  domain_len = 254 - 64 - 1;
  s = g_string_new (NULL);
  while (s->len < domain_len)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, label);
    }
  g_string_truncate (s, domain_len);
  if (s->str[s->len - 1] == '.')
    s->str[s->len - 1] = 'x';
  domain = g_string_free (s, FALSE);

  exact254 = g_strconcat (local64, "@", domain, NULL);
  g_assert_cmpuint (strlen (exact254), ==, 254);
  g_assert_cmpint (luma_email_validate (exact254), ==, LUMA_EMAIL_PROBLEM_NONE);

  over254 = g_strconcat (local64, "@", domain, "x", NULL);
  g_assert_cmpuint (strlen (over254), ==, 255);
  g_assert_cmpint (luma_email_validate (over254), ==, LUMA_EMAIL_PROBLEM_TOO_LONG);

  /* Surrounding white space does not count towards the length. */
  padded = g_strconcat ("   ", exact254, "  ", NULL);
  g_assert_cmpint (luma_email_validate (padded), ==, LUMA_EMAIL_PROBLEM_NONE);

  /* Limits are in bytes: 32 "ü" are 64 bytes, 33 are 66. */
  s = g_string_new (NULL);
  for (int i = 0; i < 33; i++)
    g_string_append (s, "ü");
  g_string_append (s, "@acme.example");
  umlaut_local = g_string_free (s, FALSE);
  g_assert_cmpint (luma_email_validate (umlaut_local), ==, LUMA_EMAIL_PROBLEM_LOCAL_TOO_LONG);
  g_assert_cmpint (luma_email_validate (umlaut_local + 2), ==, LUMA_EMAIL_PROBLEM_NONE);
}

static void
test_email_messages (void)
{
  LumaEmailProblem p;

  g_assert_null (luma_email_problem_get_message (LUMA_EMAIL_PROBLEM_NONE));
  g_assert_null (luma_email_problem_get_code (LUMA_EMAIL_PROBLEM_NONE));

  for (p = LUMA_EMAIL_PROBLEM_EMPTY; p <= LUMA_EMAIL_PROBLEM_DUPLICATE; p++)
    {
      const char *message = luma_email_problem_get_message (p);

      g_assert_nonnull (message);
      g_assert_cmpuint (strlen (message), >, 10);
      g_assert_true (g_utf8_validate (message, -1, NULL));
      g_assert_cmpstr (luma_email_problem_get_code (p), ==,
                       p == LUMA_EMAIL_PROBLEM_DUPLICATE ? "DUPLICATE_EMAIL" : "INVALID_EMAIL");
    }

  g_assert_nonnull (luma_email_list_problem_get_message (LUMA_EMAIL_LIST_PROBLEM_EMPTY));
  g_assert_nonnull (luma_email_list_problem_get_message (LUMA_EMAIL_LIST_PROBLEM_TOO_MANY));
  g_assert_null (luma_email_list_problem_get_message (LUMA_EMAIL_LIST_PROBLEM_NONE));
}

static void
test_email_normalize_equal (void)
{
  g_autofree char *n1 = luma_email_normalize ("  it@acme.example \r\n");
  g_autofree char *n2 = luma_email_normalize (NULL);

  g_assert_cmpstr (n1, ==, "it@acme.example");
  g_assert_cmpstr (n2, ==, "");

  g_assert_true (luma_email_equal ("Finance@acme.example", "finance@ACME.EXAMPLE"));
  g_assert_true (luma_email_equal (" a@b.c", "A@B.C  "));
  g_assert_false (luma_email_equal ("a@b.c", "a@b.cd"));
  g_assert_false (luma_email_equal ("a@b.c", "ab.c"));
  /* Only ASCII case is folded, as on the server. */
  g_assert_false (luma_email_equal ("zoë@acme.example", "ZOË@acme.example"));
}

static void
test_email_list_ok (void)
{
  const char *list[] = { "it@acme.example", "noc@acme.example", NULL };
  g_autoptr(LumaEmailListResult) r = luma_email_validate_list (list, -1);

  g_assert_true (luma_email_list_result_is_ok (r));
  g_assert_cmpuint (r->n_rows, ==, 2);
  g_assert_cmpint (r->rows[0], ==, LUMA_EMAIL_PROBLEM_NONE);
  g_assert_cmpint (r->rows[1], ==, LUMA_EMAIL_PROBLEM_NONE);
  g_assert_cmpuint (r->n_bad_rows, ==, 0);
}

static void
test_email_list_rows (void)
{
  /* The example of docs/api.md §2.2 and more: one reason per row. */
  const char *list[] = {
    "finance@acme.example",
    "noc@",
    "",
    "cfo@acme.example",
    "Finance@acme.example",
    "  FINANCE@ACME.EXAMPLE ",
    "noc@",
    "cfo@acme.example",
  };
  g_autoptr(LumaEmailListResult) r = luma_email_validate_list (list, G_N_ELEMENTS (list));

  g_assert_false (luma_email_list_result_is_ok (r));
  g_assert_cmpint (r->problem, ==, LUMA_EMAIL_LIST_PROBLEM_NONE);
  g_assert_cmpuint (r->n_rows, ==, 8);
  g_assert_cmpint (r->rows[0], ==, LUMA_EMAIL_PROBLEM_NONE);
  g_assert_cmpint (r->rows[1], ==, LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY);
  g_assert_cmpint (r->rows[2], ==, LUMA_EMAIL_PROBLEM_EMPTY);
  g_assert_cmpint (r->rows[3], ==, LUMA_EMAIL_PROBLEM_NONE);
  g_assert_cmpint (r->rows[4], ==, LUMA_EMAIL_PROBLEM_DUPLICATE);
  g_assert_cmpuint (r->first[4], ==, 0);
  g_assert_cmpint (r->rows[5], ==, LUMA_EMAIL_PROBLEM_DUPLICATE);
  g_assert_cmpuint (r->first[5], ==, 0);
  /* An invalid row repeated is reported as invalid, not as a duplicate. */
  g_assert_cmpint (r->rows[6], ==, LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY);
  g_assert_cmpuint (r->first[6], ==, 6);
  g_assert_cmpint (r->rows[7], ==, LUMA_EMAIL_PROBLEM_DUPLICATE);
  g_assert_cmpuint (r->first[7], ==, 3);
  g_assert_cmpuint (r->n_bad_rows, ==, 6);
}

static void
test_email_list_sizes (void)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  guint i;

  {
    g_autoptr(LumaEmailListResult) r = luma_email_validate_list (NULL, -1);
    g_assert_cmpint (r->problem, ==, LUMA_EMAIL_LIST_PROBLEM_EMPTY);
    g_assert_cmpuint (r->n_rows, ==, 0);
    g_assert_false (luma_email_list_result_is_ok (r));
  }
  {
    const char *empty[] = { NULL };
    g_autoptr(LumaEmailListResult) r = luma_email_validate_list (empty, -1);
    g_assert_cmpint (r->problem, ==, LUMA_EMAIL_LIST_PROBLEM_EMPTY);
  }

  for (i = 0; i < LUMA_EMAIL_LIST_MAX + 1; i++)
    {
      g_ptr_array_add (list, g_strdup_printf ("user%u@acme.example", i));

      {
        g_autoptr(LumaEmailListResult) r =
          luma_email_validate_list ((const char * const *) list->pdata, list->len);

        g_assert_cmpuint (r->n_rows, ==, list->len);
        g_assert_cmpuint (r->n_bad_rows, ==, 0);
        if (list->len <= LUMA_EMAIL_LIST_MAX)
          {
            g_assert_cmpint (r->problem, ==, LUMA_EMAIL_LIST_PROBLEM_NONE);
            g_assert_true (luma_email_list_result_is_ok (r));
          }
        else
          {
            g_assert_cmpint (r->problem, ==, LUMA_EMAIL_LIST_PROBLEM_TOO_MANY);
            g_assert_false (luma_email_list_result_is_ok (r));
          }
      }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/email/valid", test_email_valid);
  g_test_add_func ("/email/invalid", test_email_invalid);
  g_test_add_func ("/email/lengths", test_email_lengths);
  g_test_add_func ("/email/messages", test_email_messages);
  g_test_add_func ("/email/normalize-equal", test_email_normalize_equal);
  g_test_add_func ("/email/list/ok", test_email_list_ok);
  g_test_add_func ("/email/list/rows", test_email_list_rows);
  g_test_add_func ("/email/list/sizes", test_email_list_sizes);

  return g_test_run ();
}
