/* luma-window-private.h: what the tests and benchmarks read of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-window.h"

G_BEGIN_DECLS

/* The last toast shown. */
const char    *luma_window_get_last_toast (LumaWindow   *self);
/* The client and the sync engine of the window's session, NULL until connected
 * (the sync engine: until a tenant is open). */
LumaApiClient *luma_window_get_client     (LumaWindow   *self);
LumaSync      *luma_window_get_sync       (LumaWindow   *self);
/* TRUE once a tenant's pages show the cache and the first sync ended. */
gboolean       luma_window_get_ready      (LumaWindow   *self);
/* Whether the offline banner is shown. */
gboolean       luma_window_get_offline    (LumaWindow   *self);

G_END_DECLS
