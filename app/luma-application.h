/* luma-application.h: the application object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-account.h"
#include "luma-background.h"
#include "luma-session.h"

G_BEGIN_DECLS

#define LUMA_TYPE_APPLICATION (luma_application_get_type ())

G_DECLARE_FINAL_TYPE (LumaApplication, luma_application, LUMA, APPLICATION, AdwApplication)

LumaApplication *luma_application_new          (void);
GSettings       *luma_application_get_settings (LumaApplication *self);

/* Opens a window on @account (NULL: the stored active account, or the
 * first-run page when there is none) and presents it. */
GtkWindow       *luma_application_open_account (LumaApplication *self,
                                                LumaAccount     *account);

/* The session of @account (a new reference), created (not started) when no
 * window or background mode uses one: one per account, shared by its window
 * and the background mode, so there is one cache (one writer thread) per
 * account in the process. Its sync interval is "sync-interval" (for tests,
 * LUMA_SYNC_INTERVAL_SECONDS in the environment replaces it). */
LumaSession     *luma_application_dup_session  (LumaApplication *self,
                                                LumaAccount     *account);
/* @leaving (a window, or NULL) no longer uses @session: when no other window
 * and not the background mode does, the session stops (its sync is
 * cancelled, its cache closed). */
void             luma_application_release_session (LumaApplication *self,
                                                   LumaSession     *session,
                                                   GtkWindow       *leaving);
/* Forgets @account: its windows go back to the first-run page, the session
 * removes the keyring item and the cache files, and the settings entry goes.
 * Also the action app.forget-account ("(sss)": kind, server, identity). */
void             luma_application_forget_account_async  (LumaApplication     *self,
                                                         LumaAccount         *account,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean         luma_application_forget_account_finish (LumaApplication     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* The --background follower, NULL when not running in the background. */
LumaBackground  *luma_application_get_background (LumaApplication *self);

G_END_DECLS
