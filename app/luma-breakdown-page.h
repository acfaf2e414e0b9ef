/* luma-breakdown-page.h: where the licenses go, and the idle licenses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"

G_BEGIN_DECLS

#define LUMA_TYPE_BREAKDOWN_PAGE (luma_breakdown_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaBreakdownPage, luma_breakdown_page, LUMA, BREAKDOWN_PAGE, GtkWidget)

/* The cache of the open tenant, or NULL. Counts again at once. */
void luma_breakdown_page_set_cache (LumaBreakdownPage *self,
                                    LumaCache         *cache);
/* Counts again (after a sync). */
void luma_breakdown_page_reload    (LumaBreakdownPage *self);

G_END_DECLS
