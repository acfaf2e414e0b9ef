/* luma-breakdown-page-private.h: what the tests read and drive of the breakdown page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-breakdown.h"
#include "luma-breakdown-page.h"

G_BEGIN_DECLS

/* The breakdown shown, NULL before the first one. */
const LumaBreakdown *luma_breakdown_page_get_breakdown  (LumaBreakdownPage *self);
/* The idle licenses shown (LumaIdleUser*), NULL when none were counted. */
GPtrArray           *luma_breakdown_page_get_idle_users (LumaBreakdownPage *self);
/* TRUE while a count runs. */
gboolean             luma_breakdown_page_get_busy       (LumaBreakdownPage *self);
/* Chooses a period as the drop-down does. */
void                 luma_breakdown_page_set_period     (LumaBreakdownPage *self,
                                                         LumaPeriodPreset   preset);
/* Activates bar @index of @dimension, as a click does. FALSE when there is none. */
gboolean             luma_breakdown_page_activate_bar   (LumaBreakdownPage      *self,
                                                         LumaBreakdownDimension  dimension,
                                                         guint                   index);
/* Writes the breakdown (or the idle licenses) as CSV to @file, as Export does
 * after its file chooser. */
void                 luma_breakdown_page_export_to      (LumaBreakdownPage *self,
                                                         GFile             *file,
                                                         gboolean           idle_users);

G_END_DECLS
