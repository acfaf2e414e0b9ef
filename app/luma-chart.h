/* luma-chart.h: consumption over the contract term: bars per day or week, or the
 * cumulative consumption with the total purchase and the estimate to the end of the term
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "luma-forecast.h"

G_BEGIN_DECLS

#define LUMA_TYPE_CHART (luma_chart_get_type ())

G_DECLARE_FINAL_TYPE (LumaChart, luma_chart, LUMA, CHART, GtkWidget)

GtkWidget  *luma_chart_new       (void);
/* Bars of the viewer's calendar days, or weeks of them. @counts: one value
 * per bar; @bounds: @n_counts + 1 times (unix seconds), bar i from
 * bounds[i] to bounds[i + 1] (luma_forecast_day_bounds(): a day of a
 * daylight saving change lasts 23 or 25 hours). Copied. */
void        luma_chart_set_bars  (LumaChart    *self,
                                  const gint64 *counts,
                                  const gint64 *bounds,
                                  guint         n_counts,
                                  gboolean      weekly);
/* The cumulative view: consumed up to today, the total purchase as a line,
 * the estimate (dashed) from the recent rate and the run-out day. Copied.
 * A bucket is then a day (luma_chart_get_bucket() gives its cumulative
 * value). */
void        luma_chart_set_forecast (LumaChart          *self,
                                     const LumaForecast *forecast);
gboolean    luma_chart_get_cumulative (LumaChart *self);
guint       luma_chart_get_n_buckets (LumaChart *self);
gint64      luma_chart_get_bucket    (LumaChart *self,
                                      guint      index);
/* The text alternative (also the accessible description). */
const char *luma_chart_get_text  (LumaChart    *self);

/* The bucket the keyboard highlights (Left, Right, Home, End), -1 for none;
 * its text is what the tooltip shows and the accessible name announces. */
gint        luma_chart_get_highlight      (LumaChart *self);
void        luma_chart_set_highlight      (LumaChart *self,
                                           gint       index);
/* The value of a bucket in words: "Saturday, 03/14/2026: 12 used, 340 in
 * total"; "... (estimate)" after today. */
char       *luma_chart_dup_bucket_text    (LumaChart *self,
                                           guint      index);

G_END_DECLS
