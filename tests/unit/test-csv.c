/* test-csv.c: the License Consumption Report, parsed back with a strict
 * RFC 4180 reader and compared field by field with what was written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <sqlite3.h>

#include "luma-cache-private.h"
#include "luma-csv-private.h"

/* ---- A strict RFC 4180 reader ------------------------------------------------------------------
 *
 * Records end in CRLF (the last one too); a field is either unquoted (no
 * comma, quote, CR or LF) or quoted with doubled quotes inside and followed
 * by a comma or CRLF. Anything else fails the test with the byte offset.
 * It also records which fields were quoted, to check that only fields that
 * need quotes get them. */

typedef struct
{
  GPtrArray *records;   /* GPtrArray (of char*) per record */
  GPtrArray *quoted;    /* GArray of gboolean per record */
} Csv;

static void
csv_free (Csv *csv)
{
  g_ptr_array_unref (csv->records);
  g_ptr_array_unref (csv->quoted);
  g_free (csv);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Csv, csv_free)

static Csv *
csv_parse (const char *data,
           gsize       len)
{
  Csv *csv = g_new0 (Csv, 1);
  gsize i = 0;
  GPtrArray *record = NULL;
  GArray *quoted = NULL;

  csv->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  csv->quoted = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  if (!g_utf8_validate (data, len, NULL))
    g_error ("the report is not valid UTF-8");

  while (i < len)
    {
      GString *field = g_string_new (NULL);
      gboolean was_quoted = FALSE;

      if (record == NULL)
        {
          record = g_ptr_array_new_with_free_func (g_free);
          quoted = g_array_new (FALSE, FALSE, sizeof (gboolean));
        }

      if (data[i] == '"')
        {
          was_quoted = TRUE;
          i++;
          for (;;)
            {
              if (i >= len)
                g_error ("offset %" G_GSIZE_FORMAT ": quoted field not closed", i);
              if (data[i] == '"')
                {
                  if (i + 1 < len && data[i + 1] == '"')
                    {
                      g_string_append_c (field, '"');
                      i += 2;
                      continue;
                    }
                  i++;
                  break;
                }
              g_string_append_c (field, data[i]);
              i++;
            }
        }
      else
        {
          while (i < len && data[i] != ',' && data[i] != '\r')
            {
              if (data[i] == '"' || data[i] == '\n')
                g_error ("offset %" G_GSIZE_FORMAT ": %s in an unquoted field", i,
                         data[i] == '"' ? "quote" : "bare LF");
              g_string_append_c (field, data[i]);
              i++;
            }
        }

      g_ptr_array_add (record, g_string_free (field, FALSE));
      g_array_append_val (quoted, was_quoted);

      if (i < len && data[i] == ',')
        {
          i++;
          if (i == len)
            g_error ("offset %" G_GSIZE_FORMAT ": the file ends after a comma", i);
          continue;
        }
      if (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n')
        {
          i += 2;
          g_ptr_array_add (csv->records, g_steal_pointer (&record));
          g_ptr_array_add (csv->quoted, g_steal_pointer (&quoted));
          continue;
        }
      g_error ("offset %" G_GSIZE_FORMAT ": expected a comma or CRLF after a field", i);
    }

  if (record != NULL)
    g_error ("the last record does not end in CRLF");

  return csv;
}

static const char *
csv_field (Csv   *csv,
           guint  row,
           guint  col)
{
  GPtrArray *record = g_ptr_array_index (csv->records, row);

  g_assert_cmpuint (col, <, record->len);
  return g_ptr_array_index (record, col);
}

/* ---- What a cell must hold, written independently of the writer ------------------------------ */

static gboolean
needs_quotes (const char *s)
{
  return strpbrk (s, ",;\t\"\r\n") != NULL;
}

/* What a spreadsheet may trim or step over before it looks for a formula. */
static gboolean
ref_skipped (gunichar c)
{
  return c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' ||
         c == 0x00a0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x2060 || c == 0x3000 || c == 0xfeff;
}

static gboolean
ref_trigger (gunichar c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' ||
         c == 0xff1d || c == 0xff0b || c == 0xff0d || c == 0xff20;
}

/* Whether the text at @p starts a formula once skipped characters are stepped over. */
static gboolean
ref_starts_formula (const char *p)
{
  for (; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (ref_trigger (c))
        return TRUE;
      if (!ref_skipped (c))
        return FALSE;
    }
  return FALSE;
}

/* The guard: a single quote at every place a cell can start (the field's
 * start, after each , ; tab CR LF) where a formula would begin; a field
 * starting with tab, CR or LF gets it too (OWASP). Valid UTF-8 only. */
static char *
expected_text (const char *s)
{
  GString *out;

  if (s == NULL)
    return g_strdup ("");
  out = g_string_new (NULL);
  for (const char *p = s; *p != '\0'; p++)
    {
      gboolean cell_start = p == s || strchr (",;\t\r\n", p[-1]) != NULL;

      if (cell_start && (ref_starts_formula (p) || (p == s && strchr ("\t\r\n", *p) != NULL)))
        g_string_append_c (out, '\'');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* ---- What a spreadsheet splitting on another separator sees ----------------------------------
 *
 * RFC 4180 with a chosen separator, read leniently the way spreadsheets do:
 * a cell that starts with a quote runs to the closing quote (doubled quotes
 * inside), then whatever follows up to the separator is appended; any other
 * cell runs to the separator or the line end, quotes included. CRLF or LF
 * outside quotes ends a row. */
static GPtrArray *
split_cells (const char *data,
             gsize       len,
             char        sep)
{
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  gsize i = 0;

  while (i < len)
    {
      GString *cell = g_string_new (NULL);

      if (data[i] == '"')
        {
          for (i++; i < len; i++)
            {
              if (data[i] == '"')
                {
                  if (i + 1 < len && data[i + 1] == '"')
                    {
                      g_string_append_c (cell, '"');
                      i++;
                      continue;
                    }
                  i++;
                  break;
                }
              g_string_append_c (cell, data[i]);
            }
        }
      while (i < len && data[i] != sep && data[i] != '\r' && data[i] != '\n')
        g_string_append_c (cell, data[i++]);
      g_ptr_array_add (cells, g_string_free (cell, FALSE));

      if (i < len && data[i] == '\r')
        i++;
      if (i < len && (data[i] == sep || data[i] == '\n'))
        i++;
    }

  return cells;
}

/* No cell, in any of the three conventions, starts a formula: after trimming
 * white space (and quotes, which a reader may keep), its first character is
 * not = + - @ or their full-width forms. */
static void
assert_no_formula_cell (const char *data,
                        gsize       len)
{
  static const char separators[] = { ',', ';', '\t' };

  for (guint s = 0; s < G_N_ELEMENTS (separators); s++)
    {
      g_autoptr(GPtrArray) cells = split_cells (data, len, separators[s]);

      for (guint i = 0; i < cells->len; i++)
        {
          const char *cell = g_ptr_array_index (cells, i);

          g_assert_true (g_utf8_validate (cell, -1, NULL));
          if (ref_starts_formula (cell))
            {
              g_autofree char *escaped = g_strescape (cell, NULL);
              g_autofree char *all = g_strndup (data, MIN (len, 400));
              g_autofree char *all_escaped = g_strescape (all, NULL);

              g_error ("separator 0x%02x: cell %u starts a formula: “%s” in “%s”", separators[s], i,
                       escaped, all_escaped);
            }
        }
    }
}

static char *
expected_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  /* From the parts: GDateTime's %Y does not pad years before 1000. */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

/* Checks the field and that it was quoted exactly when it had to be. */
static void
assert_cell (Csv        *csv,
             guint       row,
             guint       col,
             const char *expected)
{
  GArray *quoted = g_ptr_array_index (csv->quoted, row);
  const char *got = csv_field (csv, row, col);

  if (g_strcmp0 (got, expected) != 0)
    g_error ("row %u column %u: expected “%s”, got “%s”", row, col, expected, got);
  g_assert_cmpint (g_array_index (quoted, gboolean, col), ==, needs_quotes (expected));
}

/* ---- Test data ------------------------------------------------------------------------------- */

/* The hard cases of docs/api.md §7 and some more. */
static const char * const tricky_names[] = {
  "zoe.muller",
  "Zoë Müller",
  "José Ñúñez",
  "Łukasz Żółć",
  "Søren Ærø",
  "李 伟",
  "O'Neil, Ana",
  "\"Bud\" Smith",
  "=HYPERLINK(\"http://evil.example\",\"click\")",
  "+1 555",
  "-Dash",
  "@handle",
  "\tTabbed",
  "\rCarriage",
  "\nNewline first",
  "Two\r\nLines",
  "Line\nFeed",
  "Only\rCR",
  "trailing space ",
  " leading space",
  "'already quoted",
  "100% sure",
  "snake_case_name",
  "a,b,c",
  "\"",
  ",",
  "=",
  "plain",
  /* Cells that start inside a field when a spreadsheet splits on ; or tab,
   * white space a spreadsheet may trim, full-width forms. */
  "Bob;=1000+337;x",
  "Bob;-2+3",
  "a;\"=1+2\"",
  "a; \u00a0+cmd",
  "a,=1+1",
  "tab\t=1+1",
  "tabs\t\t\t@SUM(1)",
  "line\n=1+1",
  " =1+2",
  "\u00a0=1+2",
  "\u2003+1",
  "\u3000-1",
  "\u200b=1",
  "\uff1d1+2",
  "\uff0b1",
  "\uff0d1",
  "\uff20SUM(1)",
  "x;\u00a0\uff1d1",
  ";",
  "a;",
};

static char *
pick_name (GRand *rand)
{
  return g_strdup (tricky_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (tricky_names))]);
}

#define T0 G_GINT64_CONSTANT (1767225600) /* 2026-01-01T00:00:00Z */

static GPtrArray *
make_sessions (guint n,
               guint seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  gint64 t = T0;
  guint i;

  for (i = 0; i < n; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      /* Some ties on the time, so the tie-break order is exercised. */
      t += g_rand_int_range (rand, 0, 3) * g_rand_int_range (rand, 1, 600);
      r->session_id = g_strdup_printf ("S-%09u", i);
      r->started_on = t;
      r->initiated_by = g_rand_int_range (rand, 0, 2);
      r->user_name = pick_name (rand);
      switch (g_rand_int_range (rand, 0, 4))
        {
        case 0:
          r->email = g_strdup ("");
          break;
        case 1:
          r->email = g_strdup ("=cmd@evil.example");
          break;
        default:
          r->email = g_strdup_printf ("user%u@acme.example", i);
        }
      r->role = g_rand_int_range (rand, 0, LUMA_N_ROLES);
      r->agent_name = g_rand_boolean (rand) ? NULL : pick_name (rand);
      r->channel = g_rand_int_range (rand, 0, LUMA_N_CHANNELS);
      r->conversations = g_rand_int_range (rand, 0, 7);
      g_ptr_array_add (records, r);
    }

  return records;
}

static GPtrArray *
make_users (guint n,
            guint seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  gint64 t = T0;
  guint i;

  for (i = 0; i < n; i++)
    {
      LumaUserRecord *r = luma_user_record_new ();

      t += g_rand_int_range (rand, 0, 2) * g_rand_int_range (rand, 1, 7200);
      r->user_id = g_strdup_printf ("U-%06u", i);
      r->user_name = pick_name (rand);
      r->email = g_strdup_printf ("%s%u@acme.example", i % 7 == 0 ? "+" : "u", i);
      r->first_name = g_rand_boolean (rand) ? g_strdup ("") : pick_name (rand);
      r->last_name = pick_name (rand);
      r->role = g_rand_int_range (rand, 0, LUMA_N_ROLES);
      r->status = g_rand_int_range (rand, 0, 2);
      r->created_on = t;
      r->conversations = g_rand_int_range (rand, 0, 7);
      g_ptr_array_add (records, r);
    }

  return records;
}

static const char * const initiated_by_names[] = { "End User", "Agent" };
static const char * const channel_names[] = {
  "MS Teams", "Skype for Business", "Web Widget", "Slack", "WhatsApp", "Email",
};
static const char * const role_names[] = { "Admin", "Developer", "Analyst", "Self-service", "Guest" };
static const char * const status_names[] = { "Active", "Inactive" };

static void
assert_session_row (Csv                     *csv,
                    guint                    row,
                    const LumaSessionRecord *r)
{
  g_autofree char *id = expected_text (r->session_id);
  g_autofree char *time = expected_time (r->started_on);
  g_autofree char *user = expected_text (r->user_name);
  g_autofree char *email = expected_text (r->email);
  g_autofree char *agent = expected_text (r->agent_name);
  g_autofree char *conversations = g_strdup_printf ("%" G_GINT64_FORMAT, r->conversations);
  GPtrArray *record = g_ptr_array_index (csv->records, row);

  g_assert_cmpuint (record->len, ==, 9);
  assert_cell (csv, row, 0, id);
  assert_cell (csv, row, 1, time);
  assert_cell (csv, row, 2, initiated_by_names[r->initiated_by]);
  assert_cell (csv, row, 3, user);
  assert_cell (csv, row, 4, email);
  assert_cell (csv, row, 5, role_names[r->role]);
  assert_cell (csv, row, 6, agent);
  assert_cell (csv, row, 7, channel_names[r->channel]);
  assert_cell (csv, row, 8, conversations);
}

static void
assert_user_row (Csv                  *csv,
                 guint                 row,
                 const LumaUserRecord *r)
{
  g_autofree char *id = expected_text (r->user_id);
  g_autofree char *user = expected_text (r->user_name);
  g_autofree char *email = expected_text (r->email);
  g_autofree char *first = expected_text (r->first_name);
  g_autofree char *last = expected_text (r->last_name);
  g_autofree char *time = expected_time (r->created_on);
  g_autofree char *conversations = g_strdup_printf ("%" G_GINT64_FORMAT, r->conversations);
  GPtrArray *record = g_ptr_array_index (csv->records, row);

  g_assert_cmpuint (record->len, ==, 9);
  assert_cell (csv, row, 0, id);
  assert_cell (csv, row, 1, user);
  assert_cell (csv, row, 2, email);
  assert_cell (csv, row, 3, first);
  assert_cell (csv, row, 4, last);
  assert_cell (csv, row, 5, role_names[r->role]);
  assert_cell (csv, row, 6, status_names[r->status]);
  assert_cell (csv, row, 7, time);
  assert_cell (csv, row, 8, conversations);
}

static const char *session_header =
  "Session ID,Started On,Initiated By,User Name,Email,Role,Agent Name,Channel,Conversations\r\n";
static const char *user_header =
  "User ID,User Name,Email,First Name,Last Name,Role,Status,Created On,Conversations\r\n";

/* ---- The writer core, without a cache ----------------------------------------------------------- */

static void
test_csv_field (void)
{
  static const struct
  {
    const char *value;
    gboolean    guard;
    const char *expected;
  } cases[] = {
    { "plain", TRUE, "plain" },
    { "", TRUE, "" },
    { "a,b", TRUE, "\"a,b\"" },
    { "say \"hi\"", TRUE, "\"say \"\"hi\"\"\"" },
    { "\"", TRUE, "\"\"\"\"" },
    { "two\r\nlines", TRUE, "\"two\r\nlines\"" },
    { "cr\ronly", TRUE, "\"cr\ronly\"" },
    { "lf\nonly", TRUE, "\"lf\nonly\"" },
    { "Zoë Müller", TRUE, "Zoë Müller" },
    { "李 伟", TRUE, "李 伟" },
    { "O'Neil, Ana", TRUE, "\"O'Neil, Ana\"" },
    { "=1+2", TRUE, "'=1+2" },
    { "+1 555", TRUE, "'+1 555" },
    { "-Dash", TRUE, "'-Dash" },
    { "@handle", TRUE, "'@handle" },
    { "\tTab", TRUE, "\"'\tTab\"" },
    { "\rCR", TRUE, "\"'\rCR\"" },
    { "\nLF", TRUE, "\"'\nLF\"" },
    { "=HYPERLINK(\"http://x\",\"y\")", TRUE, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
    { "a=b", TRUE, "a=b" },
    { "'quoted", TRUE, "'quoted" },
    /* Semicolons and tabs are separators too: quoted, and guarded after. */
    { "a;b", TRUE, "\"a;b\"" },
    { "a\tb", TRUE, "\"a\tb\"" },
    { "Bob;=1000+337;x", TRUE, "\"Bob;'=1000+337;x\"" },
    { "Bob;-1;+2;@x", TRUE, "\"Bob;'-1;'+2;'@x\"" },
    { "a,=1", TRUE, "\"a,'=1\"" },
    { "a\t=1", TRUE, "\"a\t'=1\"" },
    { "a;\t=1", TRUE, "\"a;'\t'=1\"" },
    { "two\r\n=1", TRUE, "\"two\r'\n'=1\"" },
    { "x;\"=1\"", TRUE, "\"x;'\"\"=1\"\"\"" },
    { "a;b=1", TRUE, "\"a;b=1\"" },
    { "a;", TRUE, "\"a;\"" },
    /* White space a spreadsheet may trim, zero-width characters, full-width forms. */
    { " =not first", TRUE, "' =not first" },
    { "  +1", TRUE, "'  +1" },
    { "\u00a0=1+2", TRUE, "'\u00a0=1+2" },
    { "\u2003\u3000-1", TRUE, "'\u2003\u3000-1" },
    { "\u200b\ufeff@x", TRUE, "'\u200b\ufeff@x" },
    { "\uff1d1+2", TRUE, "'\uff1d1+2" },
    { "\uff0b1", TRUE, "'\uff0b1" },
    { "\uff0d1", TRUE, "'\uff0d1" },
    { "\uff20x", TRUE, "'\uff20x" },
    { "a;\u00a0\uff1d1", TRUE, "\"a;'\u00a0\uff1d1\"" },
    { " plain", TRUE, " plain" },
    { "\u00a0", TRUE, "\u00a0" },
    { "x=\uff1d", TRUE, "x=\uff1d" },
    /* Bytes that are not UTF-8 end the look-ahead: not a formula. */
    { "\xff=1", TRUE, "\xff=1" },
    /* Numbers are not text: no guard. */
    { "-5", FALSE, "-5" },
    { "=x", FALSE, "=x" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      luma_csv_append_field (out, cases[i].value, -1, cases[i].guard);
      g_assert_cmpstr (out->str, ==, cases[i].expected);
    }

  {
    g_autoptr(GString) out = g_string_new ("x");

    luma_csv_append_field (out, NULL, -1, TRUE);
    g_assert_cmpstr (out->str, ==, "x");
    /* An explicit length: only that much is used. */
    luma_csv_append_field (out, "ab,cd", 2, TRUE);
    g_assert_cmpstr (out->str, ==, "xab");
  }
}

static void
test_csv_time (void)
{
  static const struct
  {
    gint64      t;
    const char *expected;
  } cases[] = {
    { 0, "1970-01-01T00:00:00Z" },
    { 1773480413, "2026-03-14T09:26:53Z" },
    { 1798761599, "2026-12-31T23:59:59Z" },
    { 951782400, "2000-02-29T00:00:00Z" },
    { -1, "1969-12-31T23:59:59Z" },
    { 253402300799, "9999-12-31T23:59:59Z" },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4181);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      luma_csv_append_time (out, cases[i].t);
      g_assert_cmpstr (out->str, ==, cases[i].expected);
    }

  /* Against GDateTime over years 1 to 9999. */
  for (i = 0; i < 200000; i++)
    {
      gint64 t = (gint64) (g_rand_double (rand) * (253402300799.0 + 62135596800.0)) - 62135596800;
      g_autoptr(GString) out = g_string_new (NULL);
      g_autofree char *expected = expected_time (t);

      luma_csv_append_time (out, t);
      if (strcmp (out->str, expected) != 0)
        g_error ("%" G_GINT64_FORMAT ": expected %s, got %s", t, expected, out->str);
    }
}

static void
test_csv_header (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  luma_csv_append_header (out, LUMA_LICENSE_TYPE_SESSION);
  g_assert_cmpstr (out->str, ==, session_header);

  g_string_truncate (out, 0);
  luma_csv_append_header (out, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpstr (out->str, ==, user_header);
}

static void
test_csv_labels (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (channel_names); i++)
    g_assert_cmpstr (luma_csv_channel_label (i), ==, channel_names[i]);
  for (i = 0; i < G_N_ELEMENTS (role_names); i++)
    g_assert_cmpstr (luma_csv_role_label (i), ==, role_names[i]);
  for (i = 0; i < G_N_ELEMENTS (initiated_by_names); i++)
    g_assert_cmpstr (luma_csv_initiated_by_label (i), ==, initiated_by_names[i]);
  for (i = 0; i < G_N_ELEMENTS (status_names); i++)
    g_assert_cmpstr (luma_csv_user_status_label (i), ==, status_names[i]);
  /* A value outside the enumeration is an empty cell, never a crash. */
  g_assert_cmpstr (luma_csv_channel_label (99), ==, "");
}

static void
test_csv_rows_roundtrip (void)
{
  g_autoptr(GPtrArray) sessions = make_sessions (2000, 1);
  g_autoptr(GPtrArray) users = make_users (2000, 2);
  g_autoptr(GString) out = g_string_new (NULL);
  guint i;

  luma_csv_append_header (out, LUMA_LICENSE_TYPE_SESSION);
  for (i = 0; i < sessions->len; i++)
    luma_csv_append_session (out, g_ptr_array_index (sessions, i));

  {
    g_autoptr(Csv) csv = csv_parse (out->str, out->len);

    g_assert_cmpuint (csv->records->len, ==, sessions->len + 1);
    for (i = 0; i < sessions->len; i++)
      assert_session_row (csv, i + 1, g_ptr_array_index (sessions, i));
  }

  g_string_truncate (out, 0);
  luma_csv_append_header (out, LUMA_LICENSE_TYPE_USER);
  for (i = 0; i < users->len; i++)
    luma_csv_append_user (out, g_ptr_array_index (users, i));

  {
    g_autoptr(Csv) csv = csv_parse (out->str, out->len);

    g_assert_cmpuint (csv->records->len, ==, users->len + 1);
    for (i = 0; i < users->len; i++)
      assert_user_row (csv, i + 1, g_ptr_array_index (users, i));
  }
}

/* Random bytes from a hostile alphabet: every record parses back to the
 * (guarded) fields. */
static void
test_csv_random_rows (void)
{
  static const char *alphabet[] = {
    "a", "Z", "0", " ", ",", "\"", "\r", "\n", "\r\n", "=", "+", "-", "@", "\t", "'", "ü", "李", ";",
    "\u00a0", "\u3000", "\u200b", "\uff1d", "\uff0b", "\uff0d", "\uff20",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4180);
  guint round;

  for (round = 0; round < 2000; round++)
    {
      guint n_fields = g_rand_int_range (rand, 1, 8);
      g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(Csv) csv = NULL;
      guint i;

      for (i = 0; i < n_fields; i++)
        {
          GString *f = g_string_new (NULL);
          guint len = g_rand_int_range (rand, 0, 10);

          while (len-- > 0)
            g_string_append (f, alphabet[g_rand_int_range (rand, 0, G_N_ELEMENTS (alphabet))]);
          g_ptr_array_add (fields, g_string_free (f, FALSE));
        }

      luma_csv_append_row (out, (const char * const *) fields->pdata, fields->len);
      g_assert_true (g_str_has_suffix (out->str, "\r\n"));
      csv = csv_parse (out->str, out->len);

      assert_no_formula_cell (out->str, out->len);

      /* One empty field alone is an empty line: still one record. */
      g_assert_cmpuint (csv->records->len, ==, 1);
      for (i = 0; i < n_fields; i++)
        {
          g_autofree char *expected = expected_text (g_ptr_array_index (fields, i));

          assert_cell (csv, 0, i, expected);
        }
    }
}

/* The report opened with ; or tab as the separator (German, French, ...
 * spreadsheets; a paste into one) starts cells inside fields: none of them
 * may start a formula. */
static void
test_csv_other_separators (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) cells = NULL;
  const char *row[] = { "S-1", "Bob;=1000+337;x", "\u00a0=1+2", "a\t-1" };

  luma_csv_append_row (out, row, G_N_ELEMENTS (row));
  g_assert_cmpstr (out->str, ==, "S-1,\"Bob;'=1000+337;x\",'\u00a0=1+2,\"a\t'-1\"\r\n");

  /* What a spreadsheet splitting on ; sees. */
  cells = split_cells (out->str, out->len, ';');
  g_assert_cmpuint (cells->len, ==, 3);
  g_assert_cmpstr (cells->pdata[0], ==, "S-1,\"Bob");
  g_assert_cmpstr (cells->pdata[1], ==, "'=1000+337");
  g_assert_cmpstr (cells->pdata[2], ==, "x\",'\u00a0=1+2,\"a\t'-1\"");
  g_clear_pointer (&cells, g_ptr_array_unref);

  /* And on tab. */
  cells = split_cells (out->str, out->len, '\t');
  g_assert_cmpuint (cells->len, ==, 2);
  g_assert_cmpstr (cells->pdata[1], ==, "'-1\"");

  /* Every tricky name in every column position, in the three conventions. */
  g_string_truncate (out, 0);
  for (guint i = 0; i < G_N_ELEMENTS (tricky_names); i++)
    for (guint j = 0; j < G_N_ELEMENTS (tricky_names); j++)
      {
        const char *pair[] = { tricky_names[i], tricky_names[j] };

        luma_csv_append_row (out, pair, 2);
      }
  assert_no_formula_cell (out->str, out->len);
}

/* ---- With a real cache ------------------------------------------------------------------------ */

typedef struct
{
  char      *dir;
  LumaCache *cache;
  GPtrArray *records;
  LumaLicenseType type;
} Fixture;

static LumaCache *
open_cache_with (const char      *dir,
                 LumaLicenseType  type,
                 GPtrArray       *records)
{
  g_autofree char *path = g_build_filename (dir, "cache.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  LumaCache *cache;
  gboolean ok;

  cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cache);

  ok = luma_cache_begin_full_sync (cache, type, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  if (type == LUMA_LICENSE_TYPE_USER)
    luma_cache_upsert_users (cache, records);
  else
    luma_cache_upsert_sessions (cache, records);
  ok = luma_cache_commit_batch (cache, "cursor-1", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  ok = luma_cache_build_indexes (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  return cache;
}

static void
fixture_setup (Fixture       *fx,
               LumaLicenseType type,
               guint          n)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("luma-csv-XXXXXX", &error);
  g_assert_no_error (error);
  fx->type = type;
  fx->records = type == LUMA_LICENSE_TYPE_USER ? make_users (n, 11) : make_sessions (n, 12);
  fx->cache = open_cache_with (fx->dir, type, fx->records);
}

static void
sessions_setup (Fixture       *fx,
                gconstpointer  data)
{
  fixture_setup (fx, LUMA_LICENSE_TYPE_SESSION, GPOINTER_TO_UINT (data));
}

static void
users_setup (Fixture       *fx,
             gconstpointer  data)
{
  fixture_setup (fx, LUMA_LICENSE_TYPE_USER, GPOINTER_TO_UINT (data));
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  luma_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  g_clear_pointer (&fx->records, g_ptr_array_unref);
  remove_tree (fx->dir);
  g_free (fx->dir);
}

/* The file names in @dir, sorted, joined by "|". */
static char *
list_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (!g_str_has_prefix (name, "cache.sqlite"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (names, NULL);

  return g_strjoinv ("|", (char **) names->pdata);
}

static Csv *
read_report (const char *path,
             gboolean    bom)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);

  if (bom)
    {
      g_assert_cmpuint (len, >=, 3);
      g_assert_cmpmem (data, 3, "\xef\xbb\xbf", 3);
      return csv_parse (data + 3, len - 3);
    }

  g_assert_false (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0);
  return csv_parse (data, len);
}

/* ---- The same query, written independently in SQL over a table of our own -------------------- */

static sqlite3 *
mirror_open (LumaLicenseType  type,
             GPtrArray       *records)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint i;

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE r (n INTEGER PRIMARY KEY, id TEXT, t INTEGER,"
                                 " a TEXT, b TEXT, c TEXT, d TEXT, e TEXT)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                                       &stmt, NULL), ==, SQLITE_OK);

  for (i = 0; i < records->len; i++)
    {
      sqlite3_bind_int64 (stmt, 1, i);
      if (type == LUMA_LICENSE_TYPE_USER)
        {
          const LumaUserRecord *r = g_ptr_array_index (records, i);

          sqlite3_bind_text (stmt, 2, r->user_id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 3, r->created_on);
          sqlite3_bind_text (stmt, 4, r->user_name, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5, r->email, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 6, r->first_name, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 7, r->last_name, -1, SQLITE_STATIC);
          sqlite3_bind_null (stmt, 8);
        }
      else
        {
          const LumaSessionRecord *r = g_ptr_array_index (records, i);

          sqlite3_bind_text (stmt, 2, r->session_id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 3, r->started_on);
          sqlite3_bind_text (stmt, 4, r->user_name, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5, r->email, -1, SQLITE_STATIC);
          if (r->agent_name != NULL)
            sqlite3_bind_text (stmt, 6, r->agent_name, -1, SQLITE_STATIC);
          else
            sqlite3_bind_null (stmt, 6);
          sqlite3_bind_null (stmt, 7);
          sqlite3_bind_null (stmt, 8);
        }
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);

  return db;
}

/* Indexes into the record array, in the order the query must give. */
static GArray *
mirror_query (sqlite3    *db,
              gint64      from,
              gint64      to,
              const char *search)
{
  sqlite3_stmt *stmt = NULL;
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (guint));
  /* lower() folds ASCII only, instr() has no wildcards: as the search is
   * specified. The id is searched too (docs of LumaHistoryQuery). */
  const char *sql =
    "SELECT n FROM r"
    " WHERE (?1 = 0 OR t >= ?1) AND (?2 = 0 OR t <= ?2)"
    "   AND (?3 IS NULL OR instr(lower(id), lower(?3)) > 0 OR instr(lower(a), lower(?3)) > 0"
    "        OR instr(lower(b), lower(?3)) > 0 OR instr(lower(ifnull(c, '')), lower(?3)) > 0"
    "        OR instr(lower(ifnull(d, '')), lower(?3)) > 0)"
    " ORDER BY t DESC, n DESC";

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  if (search != NULL && *search != '\0')
    sqlite3_bind_text (stmt, 3, search, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 3);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint n = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (rows, n);
    }
  sqlite3_finalize (stmt);

  return rows;
}

static void
assert_report_rows (Csv             *csv,
                    LumaLicenseType  type,
                    GPtrArray       *records,
                    GArray          *order)
{
  guint i;

  g_assert_cmpuint (csv->records->len, ==, order->len + 1);
  for (i = 0; i < order->len; i++)
    {
      gpointer r = g_ptr_array_index (records, g_array_index (order, guint, i));

      if (type == LUMA_LICENSE_TYPE_USER)
        assert_user_row (csv, i + 1, r);
      else
        assert_session_row (csv, i + 1, r);
    }
}

static void
test_csv_export_roundtrip (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autoptr(Csv) csv = NULL;
  g_autoptr(GArray) order = NULL;
  g_autofree char *listing = NULL;
  sqlite3 *mirror;
  guint64 rows = 0;
  GStatBuf st;
  mode_t mask;
  gboolean ok;

  luma_history_query_init (&query, fx->type);
  ok = luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_NONE, NULL, NULL,
                                &rows, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (rows, ==, fx->records->len);

  csv = read_report (target, FALSE);
  {
    GPtrArray *header = g_ptr_array_index (csv->records, 0);
    g_autofree char *joined = NULL;

    g_ptr_array_add (header, NULL);
    joined = g_strjoinv (",", (char **) header->pdata);
    g_ptr_array_remove_index (header, header->len - 1);
    joined = g_realloc (joined, strlen (joined) + 3);
    strcat (joined, "\r\n");
    g_assert_cmpstr (joined, ==, fx->type == LUMA_LICENSE_TYPE_USER ? user_header : session_header);
  }

  mirror = mirror_open (fx->type, fx->records);
  order = mirror_query (mirror, 0, 0, NULL);
  sqlite3_close (mirror);
  assert_report_rows (csv, fx->type, fx->records, order);

  /* Opened with ; or tab as the separator, no cell is a formula. */
  {
    g_autofree char *file_data = NULL;
    gsize file_len;

    g_file_get_contents (target, &file_data, &file_len, &error);
    g_assert_no_error (error);
    assert_no_formula_cell (file_data, file_len);
  }

  /* Standard output gets the same bytes as the file. */
  {
    g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
    g_autofree char *file_data = NULL;
    gsize file_len;

    ok = luma_csv_export_to_stream (fx->cache, &query, stream, LUMA_CSV_FLAGS_NONE, NULL, NULL,
                                    NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
    g_file_get_contents (target, &file_data, &file_len, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (stream)),
                     g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (stream)),
                     file_data, file_len);
  }

  /* Only the report is left in the folder, with the usual permissions. */
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "report.csv");
  mask = umask (022);
  umask (mask);
  g_assert_cmpint (g_stat (target, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0666 & ~mask);
}

static void
test_csv_export_bom_and_replace (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autoptr(Csv) csv = NULL;
  gboolean ok;

  /* An existing file of that name is replaced when the report is complete. */
  g_file_set_contents (target, "old report", -1, &error);
  g_assert_no_error (error);

  luma_history_query_init (&query, fx->type);
  ok = luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_BOM, NULL, NULL,
                                NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  csv = read_report (target, TRUE);
  g_assert_cmpuint (csv->records->len, ==, fx->records->len + 1);
}

/* Replacing a file keeps its permissions: a private report stays private. */
static void
test_csv_export_replace_keeps_mode (Fixture       *fx,
                                    gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  static const mode_t modes[] = { 0600, 0640, 0444 };

  luma_history_query_init (&query, fx->type);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(Csv) csv = NULL;
      g_autofree char *listing = NULL;
      GStatBuf st;

      g_file_set_contents (target, "old report", -1, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_chmod (target, modes[i]), ==, 0);

      g_assert_true (luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_NONE,
                                              NULL, NULL, NULL, NULL, &error));
      g_assert_no_error (error);

      g_assert_cmpint (g_stat (target, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 07777, ==, modes[i]);
      csv = read_report (target, FALSE);
      g_assert_cmpuint (csv->records->len, ==, fx->records->len + 1);
      listing = list_dir (fx->dir);
      g_assert_cmpstr (listing, ==, "report.csv");
      g_assert_cmpint (g_chmod (target, 0600), ==, 0);
    }
}

/* What the fsync hook saw. */
static struct
{
  const char *target;
  dev_t       dir_dev;
  ino_t       dir_ino;
  guint       file_syncs;
  guint       dir_syncs;
  guint       file_syncs_before_dir;
  gboolean    target_there_at_dir_sync;
  int         dir_errno;        /* make the folder's fsync fail with this */
} syncs;

static int
recording_fsync (int fd)
{
  struct stat st;

  g_assert_cmpint (fstat (fd, &st), ==, 0);
  if (S_ISDIR (st.st_mode))
    {
      if (st.st_dev == syncs.dir_dev && st.st_ino == syncs.dir_ino)
        {
          syncs.dir_syncs++;
          syncs.file_syncs_before_dir = syncs.file_syncs;
          syncs.target_there_at_dir_sync = g_file_test (syncs.target, G_FILE_TEST_IS_REGULAR);
        }
      if (syncs.dir_errno != 0)
        {
          errno = syncs.dir_errno;
          return -1;
        }
    }
  else
    syncs.file_syncs++;

  return fsync (fd);
}

/* The file is synced before the rename, the folder after it (a rename is
 * durable only once the folder is); a folder that cannot be synced is
 * reported, with the report in place. */
static void
test_csv_export_folder_synced (Fixture       *fx,
                               gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  GStatBuf st;

  g_assert_cmpint (g_stat (fx->dir, &st), ==, 0);
  memset (&syncs, 0, sizeof syncs);
  syncs.target = target;
  syncs.dir_dev = st.st_dev;
  syncs.dir_ino = st.st_ino;
  _luma_csv_set_fsync_func (recording_fsync);

  luma_history_query_init (&query, fx->type);
  g_assert_true (luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_NONE, NULL,
                                          NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (syncs.file_syncs, ==, 1);
  g_assert_cmpuint (syncs.dir_syncs, ==, 1);
  g_assert_cmpuint (syncs.file_syncs_before_dir, ==, 1);
  g_assert_true (syncs.target_there_at_dir_sync);

  syncs.dir_errno = EIO;
  g_assert_false (luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_NONE, NULL,
                                           NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "folder could not be written to disk"));
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));

  _luma_csv_set_fsync_func (NULL);
}

/* The temporary name adds bytes: any name the folder takes must still work
 * (the temporary name is shortened), and a name it does not take is refused
 * before anything is written, saying why. */
static void
test_csv_export_long_name (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  long max = pathconf (fx->dir, _PC_NAME_MAX);
  g_autoptr(GString) ascii = g_string_new (NULL);
  g_autoptr(GString) utf8 = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *listing = NULL;

  g_assert_cmpint (max, >, 16);
  luma_history_query_init (&query, fx->type);

  /* Exactly as long as the folder takes, ASCII and two-byte characters. */
  while (ascii->len + 4 < (gsize) max)
    g_string_append_c (ascii, 'r');
  g_string_append (ascii, ".csv");
  g_assert_cmpuint (ascii->len, ==, max);
  while (utf8->len + 2 + 4 <= (gsize) max)
    g_string_append (utf8, "é");
  g_string_append (utf8, ".csv");

  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? ascii->str : utf8->str;

      g_clear_pointer (&path, g_free);
      path = g_build_filename (fx->dir, name, NULL);
      g_assert_true (luma_csv_export_to_path (fx->cache, &query, path, LUMA_CSV_FLAGS_NONE, NULL,
                                              NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_clear_pointer (&listing, g_free);
      listing = list_dir (fx->dir);
      g_assert_cmpstr (listing, ==, name);
      g_unlink (path);
    }

  /* One byte more: refused, saying so. */
  g_string_prepend_c (ascii, 'r');
  g_clear_pointer (&path, g_free);
  path = g_build_filename (fx->dir, ascii->str, NULL);
  g_assert_false (luma_csv_export_to_path (fx->cache, &query, path, LUMA_CSV_FLAGS_NONE, NULL,
                                           NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "too long for this folder"));
  g_clear_pointer (&listing, g_free);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "");
}

static void
test_csv_export_filters (Fixture       *fx,
                         gconstpointer  data)
{
  const char *searches[] = { NULL, "", "müller", "O'NEIL", "\"bud\"", "=HYPER", "acme", "S-00000012",
                             "U-0000", ",", "no such text", "%", "_" };
  sqlite3 *mirror = mirror_open (fx->type, fx->records);
  const LumaSessionRecord *first_s = g_ptr_array_index (fx->records, 0);
  const LumaUserRecord *first_u = g_ptr_array_index (fx->records, 0);
  gint64 t0 = fx->type == LUMA_LICENSE_TYPE_USER ? first_u->created_on : first_s->started_on;
  const gint64 ranges[][2] = {
    { 0, 0 },
    { t0 + 3600 * 24, 0 },
    { 0, t0 + 3600 * 24 * 5 },
    { t0 + 3600 * 24, t0 + 3600 * 24 * 3 },
    { t0, t0 },
    { t0 + 3600 * 24 * 3650, 0 },
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (ranges); i++)
    for (j = 0; j < G_N_ELEMENTS (searches); j++)
      {
        g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
        g_autoptr(GError) error = NULL;
        g_auto(LumaHistoryQuery) query = { 0, };
        g_autoptr(GArray) order = NULL;
        g_autoptr(Csv) csv = NULL;
        guint64 rows = 0;
        gboolean ok;

        luma_history_query_init (&query, fx->type);
        query.from = ranges[i][0];
        query.to = ranges[i][1];
        query.search = g_strdup (searches[j]);

        ok = luma_csv_export_to_stream (fx->cache, &query, stream, LUMA_CSV_FLAGS_NONE, NULL, NULL,
                                        &rows, NULL, &error);
        g_assert_no_error (error);
        g_assert_true (ok);
        g_output_stream_close (stream, NULL, NULL);

        csv = csv_parse (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (stream)),
                         g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (stream)));
        order = mirror_query (mirror, query.from, query.to, query.search);
        g_test_message ("from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " search “%s”: %u rows",
                        query.from, query.to, searches[j] ? searches[j] : "(null)", order->len);
        g_assert_cmpuint (rows, ==, order->len);
        assert_report_rows (csv, fx->type, fx->records, order);
      }

  sqlite3_close (mirror);
}

typedef struct
{
  GCancellable *cancellable;
  guint64       cancel_after;
  guint64       last_written;
  guint64       last_total;
  guint         calls;
} ProgressLog;

static void
progress_cb (guint64  written,
             guint64  total,
             gpointer user_data)
{
  ProgressLog *log = user_data;

  g_assert_cmpuint (written, >=, log->last_written);
  g_assert_cmpuint (written, <=, total);
  log->last_written = written;
  log->last_total = total;
  log->calls++;
  if (log->cancellable != NULL && written >= log->cancel_after)
    g_cancellable_cancel (log->cancellable);
}

static void
test_csv_export_cancel (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autofree char *other = g_build_filename (fx->dir, "kept.csv", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autofree char *listing = NULL;
  g_autofree char *kept = NULL;
  ProgressLog log = { cancellable, fx->records->len / 3, 0, 0, 0 };
  gboolean ok;

  luma_history_query_init (&query, fx->type);

  /* Midway: nothing under the target name, no temporary file. */
  ok = luma_csv_export_to_path (fx->cache, &query, target, LUMA_CSV_FLAGS_NONE, progress_cb, &log,
                                NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);
  g_assert_cmpuint (log.last_written, <, fx->records->len);
  g_assert_cmpuint (log.last_total, ==, fx->records->len);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "");
  g_clear_error (&error);
  g_clear_pointer (&listing, g_free);

  /* A cancelled export over an existing file leaves that file as it was. */
  g_file_set_contents (other, "earlier report\r\n", -1, &error);
  g_assert_no_error (error);
  g_cancellable_reset (cancellable);
  log.last_written = 0;
  ok = luma_csv_export_to_path (fx->cache, &query, other, LUMA_CSV_FLAGS_NONE, progress_cb, &log,
                                NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);
  g_file_get_contents (other, &kept, NULL, NULL);
  g_assert_cmpstr (kept, ==, "earlier report\r\n");
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "kept.csv");
}

static void
test_csv_export_bad_target (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fx->dir, "no-such-folder", "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autofree char *listing = NULL;

  luma_history_query_init (&query, fx->type);

  g_assert_false (luma_csv_export_to_path (fx->cache, &query, missing, 0, NULL, NULL, NULL, NULL,
                                           &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_false (luma_csv_export_to_path (fx->cache, &query, fx->dir, 0, NULL, NULL, NULL, NULL,
                                           &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_clear_error (&error);

  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "");
}

/* A file size limit makes write() fail part way, as a full disk does, without
 * needing root. */
static void
test_csv_export_write_error (Fixture       *fx,
                             gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autofree char *listing = NULL;
  struct rlimit saved, limit;
  void (*saved_handler) (int);
  gboolean ok;

  luma_history_query_init (&query, fx->type);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = 300 * 1024;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  ok = luma_csv_export_to_path (fx->cache, &query, target, 0, NULL, NULL, NULL, NULL, &error);

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_test_message ("%s", error->message);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "");
}

/* A real full disk: a small tmpfs, when we may mount one. */
static void
test_csv_export_full_disk (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *mnt = g_build_filename (fx->dir, "small", NULL);
  g_autofree char *target = g_build_filename (mnt, "report.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autoptr(GDir) d = NULL;
  gboolean ok;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a small tmpfs needs root");
      return;
    }

  g_assert_cmpint (g_mkdir (mnt, 0700), ==, 0);
  if (mount ("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0)
    {
      g_test_skip_printf ("cannot mount a tmpfs here: %s", g_strerror (errno));
      return;
    }

  luma_history_query_init (&query, fx->type);
  ok = luma_csv_export_to_path (fx->cache, &query, target, 0, NULL, NULL, NULL, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_test_message ("%s", error->message);

  d = g_dir_open (mnt, 0, NULL);
  g_assert_nonnull (d);
  g_assert_null (g_dir_read_name (d));
  g_clear_pointer (&d, g_dir_close);

  g_assert_cmpint (umount (mnt), ==, 0);
}

/* ---- A stream that fails after N bytes ------------------------------------------------------- */

#define TEST_TYPE_FAILING_STREAM (test_failing_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestFailingStream, test_failing_stream, TEST, FAILING_STREAM, GOutputStream)

struct _TestFailingStream
{
  GOutputStream  parent_instance;
  GByteArray    *data;
  gsize          limit;
};

G_DEFINE_FINAL_TYPE (TestFailingStream, test_failing_stream, G_TYPE_OUTPUT_STREAM)

static gssize
test_failing_stream_write (GOutputStream  *stream,
                           const void     *buffer,
                           gsize           count,
                           GCancellable   *cancellable,
                           GError        **error)
{
  TestFailingStream *self = TEST_FAILING_STREAM (stream);
  gsize room = self->limit - self->data->len;

  if (room == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "No space left on device");
      return -1;
    }
  count = MIN (count, room);
  g_byte_array_append (self->data, buffer, count);
  return count;
}

static void
test_failing_stream_finalize (GObject *object)
{
  TestFailingStream *self = TEST_FAILING_STREAM (object);

  g_byte_array_unref (self->data);
  G_OBJECT_CLASS (test_failing_stream_parent_class)->finalize (object);
}

static void
test_failing_stream_class_init (TestFailingStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_failing_stream_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = test_failing_stream_write;
}

static void
test_failing_stream_init (TestFailingStream *self)
{
  self->data = g_byte_array_new ();
}

static void
test_csv_export_failing_stream (Fixture       *fx,
                                gconstpointer  data)
{
  g_autoptr(GOutputStream) full = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  gsize full_len;
  const gsize limits[] = { 0, 1, 100, 256 * 1024 - 1, 256 * 1024 + 17 };
  guint i;

  luma_history_query_init (&query, fx->type);
  g_assert_true (luma_csv_export_to_stream (fx->cache, &query, full, 0, NULL, NULL, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
  full_len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (full));
  g_assert_cmpuint (full_len, >, limits[G_N_ELEMENTS (limits) - 1]);

  for (i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      g_autoptr(TestFailingStream) stream = g_object_new (TEST_TYPE_FAILING_STREAM, NULL);

      stream->limit = limits[i];
      g_assert_false (luma_csv_export_to_stream (fx->cache, &query, G_OUTPUT_STREAM (stream), 0,
                                                 NULL, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
      g_clear_error (&error);
      /* What got through is the start of the report, nothing else. */
      g_assert_cmpuint (stream->data->len, ==, limits[i]);
      g_assert_cmpmem (stream->data->data, stream->data->len,
                       g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (full)), limits[i]);
    }
}

/* ---- Async ------------------------------------------------------------------------------------ */

typedef struct
{
  GMainLoop    *loop;
  ProgressLog   log;
  gboolean      done;
  gboolean      ok;
  guint64       rows;
  GError       *error;
  guint         progress_calls_at_done;
  gboolean      notified;
} AsyncRun;

static void
async_progress_cb (guint64  written,
                   guint64  total,
                   gpointer user_data)
{
  AsyncRun *run = user_data;

  g_assert_false (run->done);
  progress_cb (written, total, &run->log);
}

static void
async_notify_cb (gpointer user_data)
{
  AsyncRun *run = user_data;

  run->notified = TRUE;
}

static void
async_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncRun *run = user_data;

  run->ok = luma_csv_export_finish (result, &run->rows, &run->error);
  run->done = TRUE;
  run->progress_calls_at_done = run->log.calls;
  g_main_loop_quit (run->loop);
}

static void
test_csv_export_async (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (target);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(LumaHistoryQuery) query = { 0, };
  g_autofree char *listing = NULL;
  AsyncRun run = { 0, };

  luma_history_query_init (&query, fx->type);
  run.loop = g_main_loop_new (NULL, FALSE);

  luma_csv_export_async (fx->cache, &query, file, LUMA_CSV_FLAGS_NONE, async_progress_cb, &run,
                         async_notify_cb, NULL, async_done_cb, &run);
  g_main_loop_run (run.loop);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpuint (run.rows, ==, fx->records->len);
  /* The last progress report, all rows, came before the callback. */
  g_assert_cmpuint (run.log.calls, >=, 2);
  g_assert_cmpuint (run.log.last_written, ==, fx->records->len);
  g_assert_cmpuint (run.log.last_total, ==, fx->records->len);
  while (!run.notified)
    g_main_context_iteration (NULL, TRUE);

  {
    g_autoptr(Csv) csv = read_report (target, FALSE);

    g_assert_cmpuint (csv->records->len, ==, fx->records->len + 1);
  }
  g_unlink (target);

  /* Cancelled at the first progress report, normally midway. The worker
   * may win the race on a fast machine: either way the result must say what
   * happened to the file. */
  memset (&run.log, 0, sizeof run.log);
  run.log.cancellable = cancellable;
  run.log.cancel_after = 0;
  run.done = FALSE;
  run.notified = FALSE;
  luma_csv_export_async (fx->cache, &query, file, LUMA_CSV_FLAGS_NONE, async_progress_cb, &run,
                         async_notify_cb, cancellable, async_done_cb, &run);
  g_main_loop_run (run.loop);
  while (!run.notified)
    g_main_context_iteration (NULL, TRUE);
  listing = list_dir (fx->dir);
  if (run.ok)
    {
      g_autoptr(Csv) csv = read_report (target, FALSE);

      g_test_message ("the export finished before the cancel arrived");
      g_assert_no_error (run.error);
      g_assert_cmpstr (listing, ==, "report.csv");
      g_assert_cmpuint (csv->records->len, ==, fx->records->len + 1);
    }
  else
    {
      g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&run.error);
      g_assert_cmpstr (listing, ==, "");
    }

  g_main_loop_unref (run.loop);
}

static void
test_csv_export_async_not_local (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(GFile) file = g_file_new_for_uri ("resource:///no/such/report.csv");
  g_auto(LumaHistoryQuery) query = { 0, };
  AsyncRun run = { 0, };

  luma_history_query_init (&query, fx->type);
  run.loop = g_main_loop_new (NULL, FALSE);
  luma_csv_export_async (fx->cache, &query, file, 0, NULL, NULL, NULL, NULL, async_done_cb, &run);
  g_main_loop_run (run.loop);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&run.error);
  g_main_loop_unref (run.loop);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/csv/field", test_csv_field);
  g_test_add_func ("/csv/time", test_csv_time);
  g_test_add_func ("/csv/header", test_csv_header);
  g_test_add_func ("/csv/labels", test_csv_labels);
  g_test_add_func ("/csv/rows-roundtrip", test_csv_rows_roundtrip);
  g_test_add_func ("/csv/random-rows", test_csv_random_rows);
  g_test_add_func ("/csv/other-separators", test_csv_other_separators);

#define ADD(path, setup, n, func) \
  g_test_add ("/csv/export/" path, Fixture, GUINT_TO_POINTER (n), setup, func, fixture_teardown)

  ADD ("session/roundtrip", sessions_setup, 3000, test_csv_export_roundtrip);
  ADD ("user/roundtrip", users_setup, 3000, test_csv_export_roundtrip);
  ADD ("session/bom-and-replace", sessions_setup, 100, test_csv_export_bom_and_replace);
  ADD ("session/replace-keeps-mode", sessions_setup, 100, test_csv_export_replace_keeps_mode);
  ADD ("session/folder-synced", sessions_setup, 100, test_csv_export_folder_synced);
  ADD ("session/long-name", sessions_setup, 100, test_csv_export_long_name);
  ADD ("session/filters", sessions_setup, 2000, test_csv_export_filters);
  ADD ("user/filters", users_setup, 2000, test_csv_export_filters);
  ADD ("session/cancel", sessions_setup, 12000, test_csv_export_cancel);
  ADD ("session/bad-target", sessions_setup, 10, test_csv_export_bad_target);
  ADD ("session/write-error", sessions_setup, 6000, test_csv_export_write_error);
  ADD ("session/full-disk", sessions_setup, 6000, test_csv_export_full_disk);
  ADD ("user/failing-stream", users_setup, 6000, test_csv_export_failing_stream);
  ADD ("session/async", sessions_setup, 12000, test_csv_export_async);
  ADD ("session/async-not-local", sessions_setup, 1, test_csv_export_async_not_local);

#undef ADD

  return g_test_run ();
}
