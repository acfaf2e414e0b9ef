/* luma-gauge-private.h: test hooks of the consumption gauge
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-gauge.h"

G_BEGIN_DECLS

/* Where the label of alert mark @index (0 for 75 %, up to 3 for 100 %) goes on a gauge
 * @width wide: the mark's x, the label's x and width, and its row (0 or 1). */
void _luma_gauge_get_label (LumaGauge *self,
                            int        width,
                            guint      index,
                            double    *mark_x,
                            double    *x,
                            int       *label_width,
                            int       *row);

G_END_DECLS
