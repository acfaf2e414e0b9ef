/* test-forecast.c: the recent rate, the projection and the run-out day
 *
 * Runs in America/New_York (set before anything reads the time zone), with
 * the changes of daylight saving time of 2026 (8 March, 1 November) inside
 * the terms: the days are the viewer's calendar days, 23 or 25 hours long
 * on those dates. Expected days are written out by hand from the calendar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <locale.h>
#include <time.h>

#include "luma-format.h"
#include "luma-forecast.h"

#define HOUR 3600
#define DAY (24 * HOUR)

/* 2026-01-01T00:00:00Z to 2026-12-31T23:59:59Z: a contract year, in UTC. */
#define YEAR_START 1767225600
#define YEAR_END   (YEAR_START + 365 * DAY - 1)

static gint64
local_time (int year, int month, int day, int hour)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local (year, month, day, hour, 0, 0);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

/* The local day of @t as YYYY-MM-DD. */
static char *
local_day (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (t);

  return g_date_time_format (dt, "%Y-%m-%d");
}

typedef struct
{
  GArray *bounds;
  gint64 *counts;
  guint   n_days;
} Term;

static void
term_init (Term   *term,
           gint64  start,
           gint64  end)
{
  term->bounds = luma_forecast_day_bounds (start, end);
  g_assert_nonnull (term->bounds);
  term->n_days = term->bounds->len - 1;
  term->counts = g_new0 (gint64, term->n_days);
}

static void
term_clear (Term *term)
{
  g_clear_pointer (&term->bounds, g_array_unref);
  g_clear_pointer (&term->counts, g_free);
}

static LumaForecast *
term_forecast (Term   *term,
               gint64  now,
               gint64  consumed,
               gint64  total)
{
  return luma_forecast_new ((const gint64 *) (gpointer) term->bounds->data, term->counts,
                            term->n_days, now, consumed, total);
}

static void
assert_run_out (const LumaForecast *f,
                const char         *expected)
{
  g_autofree char *day = NULL;
  g_autoptr(GDateTime) dt = NULL;
  gint64 run_out = luma_forecast_get_run_out (f);

  g_assert_cmpint (f->state, ==, LUMA_FORECAST_RUNS_OUT);
  g_assert_cmpint (run_out, >, 0);
  day = local_day (run_out);
  g_assert_cmpstr (day, ==, expected);
  /* The start of that day, local midnight. */
  dt = g_date_time_new_from_unix_local (run_out);
  g_assert_cmpint (g_date_time_get_hour (dt), ==, 0);
  g_assert_cmpint (g_date_time_get_minute (dt), ==, 0);
}

/* ---- The days ---------------------------------------------------------------------------------- */

static void
test_day_bounds (void)
{
  Term term;
  const gint64 *b;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *last = NULL;

  term_init (&term, YEAR_START, YEAR_END);
  b = (const gint64 *) (gpointer) term.bounds->data;

  /* The contract's 1 January 00:00 UTC is 31 December 19:00 in New York: a first day of five
   * hours, then every local day of 2026 up to 31 December, cut at 19:00. */
  g_assert_cmpuint (term.n_days, ==, 366);
  g_assert_cmpint (b[0], ==, YEAR_START);
  g_assert_cmpint (b[1], ==, local_time (2026, 1, 1, 0));
  g_assert_cmpint (b[1] - b[0], ==, 5 * HOUR);
  g_assert_cmpint (b[366], ==, YEAR_END + 1);
  first = local_day (b[0]);
  second = local_day (b[1]);
  last = local_day (b[365]);
  g_assert_cmpstr (first, ==, "2025-12-31");
  g_assert_cmpstr (second, ==, "2026-01-01");
  g_assert_cmpstr (last, ==, "2026-12-31");

  /* 8 March (day 67) has 23 hours, 1 November (day 305) 25, the others 24. */
  for (guint i = 1; i < 365; i++)
    {
      gint64 length = b[i + 1] - b[i];

      if (i == 67)
        g_assert_cmpint (length, ==, 23 * HOUR);
      else if (i == 305)
        g_assert_cmpint (length, ==, 25 * HOUR);
      else
        g_assert_cmpint (length, ==, DAY);
    }

  term_clear (&term);

  g_assert_null (luma_forecast_day_bounds (YEAR_END, YEAR_START));
}

/* ---- The cases of the issue --------------------------------------------------------------------- */

static void
test_constant_rate (void)
{
  g_autoptr(LumaForecast) f = NULL;
  g_autofree char *sentence = NULL;
  Term term;
  /* 20 March 2026, noon: day 79 (day 1 is 1 January), after the change to summer time. */
  gint64 now = local_time (2026, 3, 20, 12);
  gint64 consumed = 0;

  term_init (&term, YEAR_START, YEAR_END);
  for (guint i = 0; i < 79; i++)
    term.counts[i] = 10;
  term.counts[79] = 4;
  for (guint i = 0; i < term.n_days; i++)
    consumed += term.counts[i];
  g_assert_cmpint (consumed, ==, 794);

  f = term_forecast (&term, now, consumed, 2000);
  g_assert_cmpuint (f->today, ==, 79);
  g_assert_cmpuint (f->rate_days, ==, 30);
  g_assert_cmpint (f->rate_sum, ==, 300);
  g_assert_cmpfloat (f->rate, ==, 10.0);
  /* 1,206 left at 10 a day: 121 days after today, day 200, 19 July. */
  g_assert_cmpint (f->run_out_day, ==, 200);
  g_assert_cmpint (luma_forecast_get_days_to_run_out (f), ==, 121);
  assert_run_out (f, "2026-07-19");
  /* The curve: the past as counted, the future at the rate. */
  g_assert_cmpint (f->cumulative[0], ==, 10);
  g_assert_cmpint (f->cumulative[78], ==, 790);
  g_assert_cmpint (f->cumulative[79], ==, 794);
  g_assert_cmpint (f->cumulative[80], ==, 804);
  g_assert_cmpint (f->cumulative[199], ==, 1994);
  g_assert_cmpint (f->cumulative[200], ==, 2004);
  g_assert_cmpint (f->projected_end, ==, 794 + 10 * (365 - 79));

  sentence = luma_format_forecast_recent (f);
  g_assert_cmpstr (sentence, ==,
                   "At the current rate (10 a day over the last 30 days) the licenses run out on 07/19/26.");

  term_clear (&term);
}

static void
test_doubled_rate (void)
{
  g_autoptr(LumaForecast) f = NULL;
  Term term;
  gint64 now = local_time (2026, 3, 20, 12);
  gint64 consumed = 0;

  term_init (&term, YEAR_START, YEAR_END);
  for (guint i = 0; i < 49; i++)
    term.counts[i] = 5;
  for (guint i = 49; i < 79; i++)
    term.counts[i] = 10;
  term.counts[79] = 4;
  for (guint i = 0; i < term.n_days; i++)
    consumed += term.counts[i];
  g_assert_cmpint (consumed, ==, 549);

  f = term_forecast (&term, now, consumed, 1500);
  /* The last 30 days only: 10 a day, not the term's average of under 7. */
  g_assert_cmpfloat (f->rate, ==, 10.0);
  /* 951 left: 96 days after today, day 175, 24 June. */
  g_assert_cmpint (f->run_out_day, ==, 175);
  assert_run_out (f, "2026-06-24");

  /* The recent days alone (what the alerts and the desktop's search count)
   * give the same rate and day. */
  {
    g_autoptr(LumaForecast) recent = NULL;
    g_autofree gint64 *only = g_new0 (gint64, term.n_days);
    guint first = 0;
    guint n = luma_forecast_recent_days ((const gint64 *) (gpointer) term.bounds->data, term.n_days,
                                         now, &first);

    g_assert_cmpuint (first, ==, 49);
    g_assert_cmpuint (n, ==, 31);
    memcpy (only + first, term.counts + first, n * sizeof (gint64));
    recent = luma_forecast_new ((const gint64 *) (gpointer) term.bounds->data, only, term.n_days,
                                now, consumed, 1500);
    g_assert_cmpfloat (recent->rate, ==, f->rate);
    g_assert_cmpint (recent->run_out_day, ==, f->run_out_day);
  }

  term_clear (&term);
}

static void
test_short_term (void)
{
  g_autoptr(LumaForecast) f = NULL;
  g_autoptr(LumaForecast) lasts = NULL;
  g_autoptr(LumaForecast) copy = NULL;
  g_autofree char *sentence = NULL;
  Term term;
  const gint64 *b;
  /* 20 October to 31 December 2026 (UTC), summer time ending on 1 November inside it. */
  gint64 start = local_time (2026, 10, 20, 0) - 4 * HOUR;
  gint64 end = YEAR_END;
  gint64 now = local_time (2026, 10, 30, 9);

  g_assert_cmpint (start, ==, 1792454400);     /* 2026-10-20T00:00:00Z */
  term_init (&term, start, end);
  b = (const gint64 *) (gpointer) term.bounds->data;
  /* 19 October (four hours), 20 October ... 31 December. */
  g_assert_cmpuint (term.n_days, ==, 74);
  g_assert_cmpint (b[14] - b[13], ==, 25 * HOUR);

  for (guint i = 0; i < 11; i++)
    term.counts[i] = 3;
  term.counts[11] = 1;

  /* Eleven whole days so far, 33 used: 3 a day. 166 left of 200: 56 days after day 11,
   * day 67, 25 December. */
  f = term_forecast (&term, now, 34, 200);
  g_assert_cmpuint (f->today, ==, 11);
  g_assert_cmpuint (f->rate_days, ==, 11);
  g_assert_cmpfloat (f->rate, ==, 3.0);
  assert_run_out (f, "2026-12-25");
  sentence = luma_format_forecast_recent (f);
  g_assert_cmpstr (sentence, ==,
                   "At the current rate (3.0 a day over the last 11 days) the licenses run out on 12/25/26.");
  copy = luma_forecast_copy (f);
  g_assert_cmpint (copy->run_out_day, ==, f->run_out_day);
  g_assert_cmpint (copy->cumulative[70], ==, f->cumulative[70]);

  /* 300: 266 left, 89 days, past the last day. */
  lasts = term_forecast (&term, now, 34, 300);
  g_assert_cmpint (lasts->state, ==, LUMA_FORECAST_LASTS);
  g_assert_cmpint (lasts->run_out_day, ==, -1);
  g_assert_cmpint (luma_forecast_get_run_out (lasts), ==, 0);
  g_assert_cmpint (lasts->projected_end, ==, 34 + 3 * 62);
  g_clear_pointer (&sentence, g_free);
  sentence = luma_format_forecast_recent (lasts);
  g_assert_cmpstr (sentence, ==, "At the current rate (3.0 a day over the last 11 days) the licenses "
                                 "last past the end date (12/31/26).");

  term_clear (&term);
}

static void
test_no_consumption (void)
{
  g_autoptr(LumaForecast) f = NULL;
  g_autofree char *sentence = NULL;
  Term term;

  term_init (&term, YEAR_START, YEAR_END);
  f = term_forecast (&term, local_time (2026, 6, 1, 8), 0, 1000);
  g_assert_cmpint (f->state, ==, LUMA_FORECAST_NO_RATE);
  g_assert_cmpfloat (f->rate, ==, 0.0);
  g_assert_cmpint (f->run_out_day, ==, -1);
  g_assert_cmpint (luma_forecast_get_run_out (f), ==, 0);
  g_assert_cmpint (f->projected_end, ==, 0);
  sentence = luma_format_forecast_recent (f);
  g_assert_cmpstr (sentence, ==, "No licenses used yet: they last past the end date (12/31/26).");
  term_clear (&term);
}

/* ---- The edges ---------------------------------------------------------------------------------- */

static void
test_edges (void)
{
  g_autoptr(LumaForecast) before = NULL;
  g_autoptr(LumaForecast) after = NULL;
  g_autoptr(LumaForecast) used = NULL;
  g_autoptr(LumaForecast) first_day = NULL;
  g_autoptr(LumaForecast) quiet = NULL;
  g_autoptr(LumaForecast) users = NULL;
  g_autofree char *sentence = NULL;
  Term term;

  term_init (&term, YEAR_START, YEAR_END);

  before = term_forecast (&term, YEAR_START - 1, 0, 1000);
  g_assert_cmpint (before->state, ==, LUMA_FORECAST_NOT_STARTED);
  after = term_forecast (&term, YEAR_END + 1, 10, 1000);
  g_assert_cmpint (after->state, ==, LUMA_FORECAST_ENDED);
  g_assert_cmpuint (after->today, ==, term.n_days - 1);

  term.counts[10] = 1000;
  used = term_forecast (&term, local_time (2026, 2, 1, 10), 1000, 1000);
  g_assert_cmpint (used->state, ==, LUMA_FORECAST_ALL_USED);
  g_assert_cmpint (used->run_out_day, ==, -1);
  sentence = luma_format_forecast_recent (used);
  g_assert_cmpstr (sentence, ==, "All licenses are used.");

  /* Used long ago, nothing lately: no rate. */
  quiet = term_forecast (&term, local_time (2026, 6, 1, 10), 1000, 5000);
  g_assert_cmpint (quiet->state, ==, LUMA_FORECAST_NO_RATE);
  g_clear_pointer (&sentence, g_free);
  sentence = luma_format_forecast_recent (quiet);
  g_assert_cmpstr (sentence, ==, "No licenses used in the last 30 days: at that rate they last past "
                                 "the end date (12/31/26).");

  /* The first (partial) day: today alone. */
  memset (term.counts, 0, sizeof (gint64) * term.n_days);
  term.counts[0] = 7;
  first_day = term_forecast (&term, YEAR_START + HOUR, 7, 100);
  g_assert_cmpuint (first_day->today, ==, 0);
  g_assert_cmpuint (first_day->rate_days, ==, 1);
  g_assert_cmpfloat (first_day->rate, ==, 7.0);
  /* 93 left at 7 a day: 14 days (13.3 rounded up) after day 0: 14 January. */
  assert_run_out (first_day, "2026-01-14");

  /* User-based: users created before the term are in consumed but in no day. */
  term.counts[0] = 0;
  for (guint i = 1; i <= 40; i++)
    term.counts[i] = 2;
  users = term_forecast (&term, local_time (2026, 2, 10, 10), 500, 1000);
  g_assert_cmpint (users->cumulative[40], ==, 500);
  g_assert_cmpint (users->cumulative[0], ==, 500 - 80);
  g_assert_cmpfloat (users->rate, ==, 2.0);

  term_clear (&term);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything reads the zone: GLib and libc pick it up from here. */
  g_setenv ("TZ", "America/New_York", TRUE);
  tzset ();
  g_setenv ("LC_ALL", "C", TRUE);
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/forecast/day-bounds", test_day_bounds);
  g_test_add_func ("/forecast/constant-rate", test_constant_rate);
  g_test_add_func ("/forecast/doubled-rate", test_doubled_rate);
  g_test_add_func ("/forecast/short-term", test_short_term);
  g_test_add_func ("/forecast/no-consumption", test_no_consumption);
  g_test_add_func ("/forecast/edges", test_edges);

  return g_test_run ();
}
