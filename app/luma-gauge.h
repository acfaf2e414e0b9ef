/* luma-gauge.h: consumption against the total purchase, with the alert marks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LUMA_TYPE_GAUGE (luma_gauge_get_type ())

G_DECLARE_FINAL_TYPE (LumaGauge, luma_gauge, LUMA, GAUGE, GtkWidget)

GtkWidget *luma_gauge_new          (void);
/* Sets both numbers and updates the accessible value and description. */
void       luma_gauge_set_values   (LumaGauge *self,
                                    gint64     consumed,
                                    gint64     total_purchase);
gint64     luma_gauge_get_consumed (LumaGauge *self);
gint64     luma_gauge_get_total    (LumaGauge *self);
/* The text alternative, e.g. "48,213 of 50,000 licenses used (96 %): past the 95 % alert";
 * at 100 % only the numbers (the forecast says that all are used). */
const char *luma_gauge_get_text    (LumaGauge *self);

G_END_DECLS
