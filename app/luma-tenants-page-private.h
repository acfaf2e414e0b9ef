/* luma-tenants-page-private.h: what the tests and the benchmark drive of the tenants board
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-tenants-page.h"

G_BEGIN_DECLS

/* The time the days left are computed at (unix seconds UTC); 0: the real time. */
void           _luma_tenants_page_set_now  (LumaTenantsPage *self,
                                            gint64           now);
GtkColumnView *_luma_tenants_page_get_view (LumaTenantsPage *self);
/* What the cell's tooltip says when the pointer rests on it, or NULL. */
const char    *_luma_tenants_page_get_cell_tooltip (GtkWidget *cell);
/* When the last tenant list (or failure) arrived: g_get_monotonic_time(). */
gint64         _luma_tenants_page_get_answered_at (LumaTenantsPage *self);
/* The offline banner's text, or NULL when it is hidden. */
const char    *_luma_tenants_page_get_offline_banner (LumaTenantsPage *self);

G_END_DECLS
