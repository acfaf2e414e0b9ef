/* luma-search-provider.h: the GNOME Shell search provider (org.gnome.Shell.SearchProvider2)
 *
 * Typing a tenant's name or id, or a session or user id, in the Activities
 * overview finds them in the caches of the saved accounts:
 * "Acme Corporation" / "91 % used · runs out on 03/12/2026". The
 * caches are only read (luma-cache-search.h), in a worker thread. The
 * run-out day is the subscription page's forecast (the recent rate).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-account.h"

G_BEGIN_DECLS

#define LUMA_SEARCH_PROVIDER_OBJECT_PATH "/io/github/lumadesk/Subscription/SearchProvider"

#define LUMA_TYPE_SEARCH_PROVIDER (luma_search_provider_get_type ())

G_DECLARE_FINAL_TYPE (LumaSearchProvider, luma_search_provider, LUMA, SEARCH_PROVIDER, GObject)

/* Signals:
 * "activate-result" (LumaAccount *account, const char *tenant,
 *   const char *record_id (nullable), guint timestamp): the user chose a
 *   result: open @tenant of @account, on @record_id's row of the history
 *   when there is one.
 * "launch-search" (GStrv terms, guint timestamp): open the app. */

/* @app is held while a request runs (a D-Bus activated service stays up
 * for it); @settings holds the saved accounts. */
LumaSearchProvider *luma_search_provider_new      (GApplication        *app,
                                                   GSettings           *settings);
gboolean            luma_search_provider_export   (LumaSearchProvider  *self,
                                                   GDBusConnection     *connection,
                                                   const char          *object_path,
                                                   GError             **error);
void                luma_search_provider_unexport (LumaSearchProvider  *self);

G_END_DECLS
