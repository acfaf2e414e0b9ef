/* luma-forecast.c: where consumption is heading, from the recent rate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-forecast.h"
#include "luma-models.h"

#define MAX_DAYS 8192

GArray *
luma_forecast_day_bounds (gint64 term_start,
                          gint64 term_end)
{
  g_autoptr(GArray) bounds = NULL;
  g_autoptr(GDateTime) first = NULL;
  int year, month, day;

  if (term_end < term_start)
    return NULL;
  first = g_date_time_new_from_unix_local (term_start);
  if (first == NULL)
    return NULL;

  bounds = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 400);
  g_array_append_val (bounds, term_start);
  g_date_time_get_ymd (first, &year, &month, &day);

  /* Midnights by the calendar, not by adding 86,400 s: a day with a change
   * of daylight saving time lasts 23 or 25 hours. */
  for (guint i = 1; ; i++)
    {
      g_autoptr(GDateTime) midnight = g_date_time_new_local (year, month, day, 0, 0, 0);
      g_autoptr(GDateTime) next = midnight != NULL ? g_date_time_add_days (midnight, (int) i) : NULL;
      g_autoptr(GDateTime) next_midnight = NULL;
      gint64 t;
      int y, m, d;

      if (next == NULL)
        return NULL;
      /* Rebuilt from the date: add_days keeps the wall time, which a
       * change of time at midnight could move. */
      g_date_time_get_ymd (next, &y, &m, &d);
      next_midnight = g_date_time_new_local (y, m, d, 0, 0, 0);
      if (next_midnight == NULL)
        return NULL;
      t = g_date_time_to_unix (next_midnight);
      if (t > term_end)
        break;
      if (bounds->len > MAX_DAYS)
        return NULL;
      g_array_append_val (bounds, t);
    }

  term_end += 1;
  g_array_append_val (bounds, term_end);
  return g_steal_pointer (&bounds);
}

/* The day holding @t, clamped to the term. */
static guint
day_of (const gint64 *bounds,
        guint         n_days,
        gint64        t)
{
  guint lo = 0, hi = n_days;

  if (t < bounds[0])
    return 0;
  /* Binary search for the last bound <= t. */
  while (hi - lo > 1)
    {
      guint mid = lo + (hi - lo) / 2;

      if (bounds[mid] <= t)
        lo = mid;
      else
        hi = mid;
    }
  return lo;
}

LumaForecast *
luma_forecast_new (const gint64 *bounds,
                   const gint64 *counts,
                   guint         n_days,
                   gint64        now,
                   gint64        consumed,
                   gint64        total_purchase)
{
  g_autoptr(LumaForecast) self = NULL;
  gint64 sum = 0;
  gint64 base;
  guint from;

  g_return_val_if_fail (bounds != NULL, NULL);
  g_return_val_if_fail (n_days > 0, NULL);
  g_return_val_if_fail (counts != NULL, NULL);

  consumed = CLAMP (consumed, 0, LUMA_MAX_COUNT);
  total_purchase = CLAMP (total_purchase, 0, LUMA_MAX_COUNT);

  self = g_new0 (LumaForecast, 1);
  self->n_days = n_days;
  self->bounds = g_memdup2 (bounds, sizeof (gint64) * (n_days + 1));
  self->cumulative = g_new0 (gint64, n_days);
  self->today = day_of (bounds, n_days, now);
  self->consumed = consumed;
  self->total_purchase = total_purchase;
  self->run_out_day = -1;

  /* The window: up to 30 whole days before today, or today alone on the
   * first day. */
  from = self->today > LUMA_FORECAST_RECENT_DAYS ? self->today - LUMA_FORECAST_RECENT_DAYS : 0;
  if (self->today == 0)
    {
      self->rate_sum = MAX (counts[0], 0);
      self->rate_days = 1;
    }
  else
    {
      for (guint i = from; i < self->today; i++)
        self->rate_sum += MAX (counts[i], 0);
      self->rate_days = self->today - from;
    }
  self->rate = (double) self->rate_sum / self->rate_days;

  /* The past: the days' counts, shifted to end today at @consumed. */
  for (guint i = 0; i <= self->today; i++)
    sum += MAX (counts[i], 0);
  base = consumed - sum;
  sum = 0;
  for (guint i = 0; i <= self->today; i++)
    {
      sum += MAX (counts[i], 0);
      self->cumulative[i] = MAX (base + sum, 0);
    }

  /* The future: integers, so the run-out day is exact. */
  for (guint i = self->today + 1; i < n_days; i++)
    {
      gint64 k = i - self->today;

      if (self->rate_sum <= G_MAXINT64 / MAX_DAYS)
        self->cumulative[i] = consumed + self->rate_sum * k / self->rate_days;
      else
        self->cumulative[i] = (gint64) MIN ((double) consumed + self->rate * k, 9.0e18);
    }
  self->projected_end = self->cumulative[n_days - 1];

  if (now < bounds[0])
    self->state = LUMA_FORECAST_NOT_STARTED;
  else if (now >= bounds[n_days])
    self->state = LUMA_FORECAST_ENDED;
  else if (total_purchase > 0 && consumed >= total_purchase)
    self->state = LUMA_FORECAST_ALL_USED;
  else if (self->rate_sum == 0)
    self->state = LUMA_FORECAST_NO_RATE;
  else
    {
      gint64 remaining = total_purchase - consumed;
      gint64 days = (remaining * self->rate_days + self->rate_sum - 1) / self->rate_sum;

      if ((gint64) self->today + days < (gint64) n_days)
        {
          self->state = LUMA_FORECAST_RUNS_OUT;
          self->run_out_day = (gint) (self->today + days);
        }
      else
        {
          self->state = LUMA_FORECAST_LASTS;
        }
    }

  return g_steal_pointer (&self);
}

guint
luma_forecast_recent_days (const gint64 *bounds,
                           guint         n_days,
                           gint64        now,
                           guint        *first)
{
  guint today;

  g_return_val_if_fail (bounds != NULL, 0);
  g_return_val_if_fail (n_days > 0, 0);
  g_return_val_if_fail (first != NULL, 0);

  today = day_of (bounds, n_days, now);
  *first = today > LUMA_FORECAST_RECENT_DAYS ? today - LUMA_FORECAST_RECENT_DAYS : 0;
  return today - *first + 1;
}

LumaForecast *
luma_forecast_copy (const LumaForecast *self)
{
  LumaForecast *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->bounds = g_memdup2 (self->bounds, sizeof (gint64) * (self->n_days + 1));
  copy->cumulative = g_memdup2 (self->cumulative, sizeof (gint64) * self->n_days);
  return copy;
}

void
luma_forecast_free (LumaForecast *self)
{
  if (self == NULL)
    return;

  g_free (self->bounds);
  g_free (self->cumulative);
  g_free (self);
}

gint64
luma_forecast_get_run_out (const LumaForecast *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->run_out_day >= 0 ? self->bounds[self->run_out_day] : 0;
}

gint
luma_forecast_get_days_to_run_out (const LumaForecast *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->run_out_day >= 0 ? self->run_out_day - (gint) self->today : -1;
}
