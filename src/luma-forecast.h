/* luma-forecast.h: where consumption is heading, from the recent rate
 *
 * Pure arithmetic, no I/O. The term is cut into the viewer's local calendar
 * days (luma_forecast_day_bounds()); the cache counts the consumption of each
 * (luma_cache_count_in_ranges_async()); luma_forecast_new() turns the counts
 * into the recent rate, the projection to the end of the term and the day
 * the licenses run out. The chart, the forecast sentence and the look-ahead
 * alerts all read the same LumaForecast, so they never disagree.
 *
 * Rules:
 * - Today is the local day holding @now. The recent rate is the consumption
 *   of the last 30 whole days before today divided by 30, or of the whole
 *   days of the term so far when there are fewer (today alone on the first
 *   day of the term).
 * - The projection starts from @consumed at the end of today and adds the
 *   rate for every later day of the term.
 * - The licenses run out on the first day whose projection reaches the
 *   total purchase: today + ceil ((total - consumed) / rate), computed in
 *   integers so the day is exact; none when that is past the last day of
 *   the term, when the rate is 0, or when they already ran out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The length of the window the recent rate is measured over. */
#define LUMA_FORECAST_RECENT_DAYS 30

typedef enum
{
  LUMA_FORECAST_NOT_STARTED,   /* @now before the term */
  LUMA_FORECAST_ENDED,         /* @now after the term */
  LUMA_FORECAST_ALL_USED,      /* consumed >= total purchase */
  LUMA_FORECAST_NO_RATE,       /* nothing consumed in the recent days */
  LUMA_FORECAST_RUNS_OUT,      /* run_out_day is set */
  LUMA_FORECAST_LASTS,         /* the projection stays under the total */
} LumaForecastState;

/**
 * LumaForecast:
 * @state: which case applies
 * @n_days: local days in the term
 * @bounds: @n_days + 1 times (unix seconds): day i is [bounds[i], bounds[i+1]);
 *   bounds[0] is the term's start, bounds[n_days] one second past its end
 * @cumulative: @n_days values: the consumption at the end of each day up to
 *   today, then the projection (rounded down) after it
 * @today: index of today, clamped to the term
 * @consumed: consumption now
 * @total_purchase: the total purchase
 * @rate: licenses per day, recent
 * @rate_sum: consumption over the window the rate is measured on
 * @rate_days: days in that window
 * @projected_end: the projection at the end of the term (rounded down)
 * @run_out_day: index of the day the licenses run out, or -1
 */
typedef struct
{
  LumaForecastState state;
  guint             n_days;
  gint64           *bounds;
  gint64           *cumulative;
  guint             today;
  gint64            consumed;
  gint64            total_purchase;
  double            rate;
  gint64            rate_sum;
  guint             rate_days;
  gint64            projected_end;
  gint              run_out_day;
} LumaForecast;

/* The local calendar days of the term [@term_start, @term_end] (both
 * included, unix seconds): a GArray of gint64 with one more bound than days
 * (see LumaForecast.bounds). The first and the last day may be partial.
 * At most 8192 days; NULL when @term_end < @term_start or the term is
 * longer. */
GArray        *luma_forecast_day_bounds  (gint64           term_start,
                                          gint64           term_end);

/* @bounds: from luma_forecast_day_bounds() (@n_days + 1 values); @counts:
 * the consumption of each day (@n_days values). @consumed is the figure of
 * the subscription (for user-based tenants it also holds users created
 * before the term, which no day counts): the days' counts are shifted so
 * that the curve ends today at @consumed. */
LumaForecast  *luma_forecast_new         (const gint64    *bounds,
                                          const gint64    *counts,
                                          guint            n_days,
                                          gint64           now,
                                          gint64           consumed,
                                          gint64           total_purchase);
/* The days the rate and today need, @n_days from @bounds: writes the first
 * to @first and returns how many, today included. The other days' counts
 * change only the past of the curve, never the rate or the run-out day, so
 * a caller that wants only these counts (the alerts, the desktop's search)
 * may leave the others at 0. */
guint          luma_forecast_recent_days (const gint64    *bounds,
                                          guint            n_days,
                                          gint64           now,
                                          guint           *first);
LumaForecast  *luma_forecast_copy        (const LumaForecast *self);
void           luma_forecast_free        (LumaForecast    *self);

/* The start of the day the licenses run out (unix seconds), or 0 when they
 * do not within the term. */
gint64         luma_forecast_get_run_out (const LumaForecast *self);

/* Whole days from today to the run-out day (0 when it is today), or -1. */
gint           luma_forecast_get_days_to_run_out (const LumaForecast *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaForecast, luma_forecast_free)

G_END_DECLS
