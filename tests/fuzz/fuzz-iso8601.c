/* fuzz-iso8601.c: libFuzzer target for the time parser and formatter
 *
 * Every time of the contract goes through luma_parse_iso8601(); the cache,
 * the view and the CSV report write it back with luma_format_iso8601_utc().
 * Properties: a string the parser accepts formats to a string it accepts
 * again with the same value; for the first 8 bytes taken as a time in years
 * 1-9999, the formatter agrees with GDateTime and the parser reads it back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *str = g_strndup ((const char *) data, size);
  gint64 t = 0;

  fuzz_quiet_logs ();

  if (luma_parse_iso8601 (str, &t))
    fuzz_check_time (t);

  if (size >= sizeof t)
    {
      g_autoptr(GDateTime) dt = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *got = NULL;
      gint64 back = 0;

      memcpy (&t, data, sizeof t);
      t = (gint64) ((guint64) t % G_GUINT64_CONSTANT (315537897600)) - G_GINT64_CONSTANT (62135596800);
      dt = g_date_time_new_from_unix_utc (t);
      g_assert (dt != NULL);
      expected = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                                  g_date_time_get_year (dt), g_date_time_get_month (dt),
                                  g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                                  g_date_time_get_minute (dt), g_date_time_get_second (dt));
      got = luma_format_iso8601_utc (t);
      g_assert_cmpstr (got, ==, expected);
      g_assert (luma_parse_iso8601 (got, &back));
      g_assert (back == t);
    }
  return 0;
}
