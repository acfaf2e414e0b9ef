/* fuzz-csv.c: libFuzzer target for the CSV writer core
 *
 * Property: any list of fields, written as one record, parses back (with a
 * strict RFC 4180 reader of its own) to exactly those fields, each with the
 * formula guard applied at every place a cell can start in the comma,
 * semicolon and tab conventions. The input is the
 * fields separated by NUL bytes. The first 8 bytes also give a time that
 * must be written as GDateTime writes it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "luma-csv.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The guard, written again from its description in luma-csv.h: a single
 * quote at each place a cell can start (the field's start, after , ; tab CR
 * LF) where the text, past white space, zero-width characters and double
 * quotes, starts with = + - @ or a full-width form; and at the start of a
 * field that starts with tab, CR or LF. A byte that is not UTF-8 ends the
 * look-ahead. */
static gboolean
starts_formula (const char *p,
                const char *end)
{
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        return FALSE;
      if (c == '=' || c == '+' || c == '-' || c == '@' ||
          c == 0xff1d || c == 0xff0b || c == 0xff0d || c == 0xff20)
        return TRUE;
      if (!(c == '"' || g_unichar_isspace (c) || c == 0x200b || c == 0x2060 || c == 0xfeff))
        return FALSE;
      p = g_utf8_next_char (p);
    }
  return FALSE;
}

static char *
expected_field (const char *f)
{
  GString *out = g_string_new (NULL);
  const char *end = f + strlen (f);

  for (const char *p = f; p < end; p++)
    {
      gboolean cell_start = p == f || strchr (",;\t\r\n", p[-1]) != NULL;

      if (cell_start && (starts_formula (p, end) || (p == f && strchr ("\t\r\n", *p) != NULL)))
        g_string_append_c (out, '\'');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Reads one record ending in CRLF from the whole of @csv; aborts on any
 * deviation from RFC 4180. */
static GPtrArray *
parse_record (const char *csv,
              gsize       len)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize i = 0;

  for (;;)
    {
      GByteArray *field = g_byte_array_new ();

      if (i < len && csv[i] == '"')
        {
          i++;
          for (;;)
            {
              g_assert (i < len);
              if (csv[i] == '"')
                {
                  if (i + 1 < len && csv[i + 1] == '"')
                    {
                      g_byte_array_append (field, (const guint8 *) "\"", 1);
                      i += 2;
                      continue;
                    }
                  i++;
                  break;
                }
              g_byte_array_append (field, (const guint8 *) csv + i, 1);
              i++;
            }
        }
      else
        {
          while (i < len && csv[i] != ',' && csv[i] != '\r')
            {
              g_assert (csv[i] != '"' && csv[i] != '\n');
              g_byte_array_append (field, (const guint8 *) csv + i, 1);
              i++;
            }
        }
      g_ptr_array_add (fields, g_byte_array_free_to_bytes (field));

      if (i < len && csv[i] == ',')
        {
          i++;
          continue;
        }
      g_assert (i + 2 == len && csv[i] == '\r' && csv[i + 1] == '\n');
      return fields;
    }
}

static void
check_time (const uint8_t *data,
            size_t         size)
{
  gint64 t = 0;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *expected = NULL;

  if (size < sizeof t)
    return;
  memcpy (&t, data, sizeof t);
  /* Years 1 to 9999, what GDateTime represents. */
  t = (gint64) ((guint64) t % G_GUINT64_CONSTANT (315537897600)) - G_GINT64_CONSTANT (62135596800);
  dt = g_date_time_new_from_unix_utc (t);
  g_assert (dt != NULL);
  expected = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                              g_date_time_get_year (dt), g_date_time_get_month (dt),
                              g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                              g_date_time_get_minute (dt), g_date_time_get_second (dt));
  luma_csv_append_time (out, t);
  g_assert_cmpstr (out->str, ==, expected);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  size_t start = 0;
  size_t i;

  check_time (data, size);

  /* Fields are C strings in the writer's API: split at NUL bytes. */
  for (i = 0; i <= size; i++)
    if (i == size || data[i] == '\0')
      {
        g_ptr_array_add (fields, g_strndup ((const char *) data + start, i - start));
        start = i + 1;
      }

  luma_csv_append_row (out, (const char * const *) fields->pdata, fields->len);
  parsed = parse_record (out->str, out->len);
  g_assert_cmpuint (parsed->len, ==, fields->len);

  for (i = 0; i < fields->len; i++)
    {
      const char *f = g_ptr_array_index (fields, i);
      GBytes *got = g_ptr_array_index (parsed, i);
      g_autofree char *expected = expected_field (f);
      gsize got_len;
      const char *got_data = g_bytes_get_data (got, &got_len);

      g_assert_cmpmem (got_data, got_len, expected, strlen (expected));
    }

  return 0;
}
