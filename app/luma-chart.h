/* luma-chart.h: consumption per day or week over the contract term, as bars
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LUMA_TYPE_CHART (luma_chart_get_type ())

G_DECLARE_FINAL_TYPE (LumaChart, luma_chart, LUMA, CHART, GtkWidget)

GtkWidget  *luma_chart_new       (void);
/* @counts: one value per bucket, the first starting at @start (unix seconds
 * UTC), each @bucket_seconds long. Copied. */
void        luma_chart_set_data  (LumaChart    *self,
                                  const gint64 *counts,
                                  guint         n_counts,
                                  gint64        start,
                                  gint64        bucket_seconds);
guint       luma_chart_get_n_buckets (LumaChart *self);
gint64      luma_chart_get_bucket    (LumaChart *self,
                                      guint      index);
/* The text alternative (also the accessible description). */
const char *luma_chart_get_text  (LumaChart    *self);

G_END_DECLS
