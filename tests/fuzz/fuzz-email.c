/* fuzz-email.c: libFuzzer target for the email validator
 *
 * Properties: never crashes; an address it accepts satisfies every rule of
 * docs/api.md §2.2, checked again here in a plainer way; normalising is
 * idempotent and keeps validity; a list made of the input's lines gives one
 * result per line, duplicates pointing at an earlier equal valid line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "luma-email.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_accepted (const char *address)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (address));
  gsize len = strlen (trimmed);
  const char *at = strchr (trimmed, '@');
  const char *domain;
  g_auto(GStrv) labels = NULL;
  gsize i;

  g_assert (len >= 3 && len <= 254);
  g_assert (g_utf8_validate (trimmed, -1, NULL));
  g_assert (at != NULL && strchr (at + 1, '@') == NULL);
  g_assert (at > trimmed && (gsize) (at - trimmed) <= 64);
  for (i = 0; trimmed + i < at; i++)
    g_assert ((guchar) trimmed[i] > 0x20 && trimmed[i] != 0x7f);

  domain = at + 1;
  labels = g_strsplit (domain, ".", -1);
  g_assert (g_strv_length (labels) >= 2);
  for (i = 0; labels[i] != NULL; i++)
    {
      gsize n = strlen (labels[i]);
      gsize j;

      g_assert (n > 0);
      g_assert (labels[i][0] != '-' && labels[i][n - 1] != '-');
      for (j = 0; j < n; j++)
        g_assert (g_ascii_isalnum (labels[i][j]) || labels[i][j] == '-');
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *address = g_strndup ((const char *) data, size);
  g_autofree char *normalized = NULL;
  g_autofree char *twice = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(LumaEmailListResult) result = NULL;
  LumaEmailProblem problem;
  guint i;

  problem = luma_email_validate (address);
  g_assert ((problem == LUMA_EMAIL_PROBLEM_NONE) == luma_email_is_valid (address));
  g_assert (problem != LUMA_EMAIL_PROBLEM_DUPLICATE);
  if (problem == LUMA_EMAIL_PROBLEM_NONE)
    check_accepted (address);
  else
    g_assert (luma_email_problem_get_message (problem) != NULL);

  normalized = luma_email_normalize (address);
  twice = luma_email_normalize (normalized);
  g_assert_cmpstr (normalized, ==, twice);
  g_assert (luma_email_validate (normalized) == problem);
  g_assert (luma_email_equal (address, normalized));

  lines = g_strsplit (address, "\n", 64);
  result = luma_email_validate_list ((const char * const *) lines, -1);
  g_assert_cmpuint (result->n_rows, ==, g_strv_length (lines));
  for (i = 0; i < result->n_rows; i++)
    {
      if (result->rows[i] == LUMA_EMAIL_PROBLEM_DUPLICATE)
        {
          g_assert_cmpuint (result->first[i], <, i);
          g_assert (result->rows[result->first[i]] == LUMA_EMAIL_PROBLEM_NONE);
          g_assert (luma_email_equal (lines[i], lines[result->first[i]]));
        }
      else
        {
          g_assert_cmpuint (result->first[i], ==, i);
          g_assert (result->rows[i] == luma_email_validate (lines[i]));
        }
    }

  return 0;
}
