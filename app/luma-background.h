/* luma-background.h: syncing and notifying with no window (--background)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-session.h"

G_BEGIN_DECLS

#define LUMA_TYPE_BACKGROUND (luma_background_get_type ())

G_DECLARE_FINAL_TYPE (LumaBackground, luma_background, LUMA, BACKGROUND, GObject)

/* Follows one account through its @session (the application's, shared with
 * a window on the same account): starts it, then at once and at the
 * session's interval a Tenant Administrator's tenant is synced (the session
 * notifies after each successful sync), a Superadmin's tenants checked all at
 * once with one request for the tenant list (luma_session_check_tenants_async()). */
LumaBackground *luma_background_new            (LumaSession    *session);
LumaSession    *luma_background_get_session    (LumaBackground *self);
LumaAccount    *luma_background_get_account    (LumaBackground *self);
/* Successful syncs (or checks of every tenant) so far. */
guint           luma_background_get_n_syncs    (LumaBackground *self);
/* Why the account cannot be followed (no key, bad address...), else NULL. */
const GError   *luma_background_get_error      (LumaBackground *self);

/* The XDG autostart entry that starts `luma-subscription --background` at
 * login: $XDG_CONFIG_HOME/autostart/APP_ID.desktop. Free with g_free(). */
char           *luma_background_autostart_path (void);
/* Writes (@enabled) or removes the entry. Inside Flatpak there is no such
 * entry (the background portal is for that): FALSE with
 * G_IO_ERROR_NOT_SUPPORTED. */
gboolean        luma_background_set_autostart  (gboolean        enabled,
                                                GError        **error);
/* Are we sandboxed by Flatpak? */
gboolean        luma_background_in_flatpak     (void);

G_END_DECLS
