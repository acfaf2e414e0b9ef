/* luma-window.h: the main window, one per account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-account.h"
#include "luma-api-client.h"
#include "luma-application.h"
#include "luma-cache.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_WINDOW (luma_window_get_type ())

G_DECLARE_FINAL_TYPE (LumaWindow, luma_window, LUMA, WINDOW, AdwApplicationWindow)

/* @account NULL: the first-run page asks how to connect. */
LumaWindow    *luma_window_new         (LumaApplication *application,
                                        LumaAccount     *account);
LumaAccount   *luma_window_get_account (LumaWindow      *self);
/* Connects the window to @account (NULL: back to the first-run page). */
void           luma_window_set_account (LumaWindow      *self,
                                        LumaAccount     *account);
/* A short message at the bottom of the window. */
void           luma_window_add_toast   (LumaWindow      *self,
                                        const char      *message);
/* A toast about @file, with an Open button (win.open-file). */
void           luma_window_add_file_toast (LumaWindow   *self,
                                           const char   *message,
                                           GFile        *file);
/* TRUE while the contacts have edits that are not saved: closing the window, Accounts and
 * Back ask first (Save, Discard, Cancel). */
gboolean       luma_window_get_unsaved (LumaWindow      *self);

/* What the window works with, NULL until connected (the cache and the sync
 * engine: until a tenant is open). */
LumaCache     *luma_window_get_cache   (LumaWindow      *self);
/* The application's session of the window's account, NULL without one. */
LumaSession   *luma_window_get_session (LumaWindow      *self);
/* The main page shown: "loading", "account", "tenants" or "tenant"; and the
 * tenant's page: "subscription", "history" or "purchases". */
const char    *luma_window_get_page    (LumaWindow      *self);
/* Shows a tenant's page: at once, or with the tenant's pages when they are still to come. */
void           luma_window_show_page   (LumaWindow      *self,
                                        const char      *tenant_page);
/* The page widgets, for tests. */
GtkWidget     *luma_window_get_page_widget (LumaWindow  *self,
                                            const char  *name);
/* The external id of the tenant whose pages are shown, or NULL. */
const char    *luma_window_get_tenant  (LumaWindow      *self);
/* Opens a tenant (superadmin). */
void           luma_window_open_tenant (LumaWindow      *self,
                                        const char      *external_id);

G_END_DECLS
