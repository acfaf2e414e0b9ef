/* luma-session.h: one account at work: its secret, client, cache, sync engine, notifier and timer
 *
 * The window, the background mode and the command line all drive an account
 * through a LumaSession; the application keeps one per account, so a window
 * and the background mode on the same account share one cache (one writer
 * thread) and see the same syncs.
 *
 *   start:  secret (given or from the keyring) -> API client -> for an account
 *           without a cache yet, a first connection with a short time-out
 *           (nothing is written before the server answered) -> the cache ->
 *           the sync engine and the notifier -> the sync timer
 *   sync:   one run at a time; callers that ask while one runs get its result.
 *           After a successful run the 75/85/95/100 % thresholds are evaluated
 *           and notified here, and only here.
 *   stop:   cancels, closes the cache.
 *   forget: stop, then remove the keyring item and every file of the account
 *           in the cache folder (with -wal, -shm, .open and damaged copies).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-account.h"
#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-notifier.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_SESSION_ERROR (luma_session_error_quark ())

typedef enum
{
  LUMA_SESSION_ERROR_NOT_STARTED, /* start the session (or open a tenant) first */
  LUMA_SESSION_ERROR_IO,          /* a file of the account cannot be removed */
} LumaSessionError;

GQuark luma_session_error_quark (void);

typedef enum
{
  LUMA_SESSION_STATUS_STOPPED,   /* not started, or stopped */
  LUMA_SESSION_STATUS_STARTING,
  LUMA_SESSION_STATUS_READY,     /* the client and the account's cache are there */
  LUMA_SESSION_STATUS_SYNCING,
  LUMA_SESSION_STATUS_FAILED,    /* the start failed: luma_session_start_finish() says why */
} LumaSessionStatus;

GType luma_session_status_get_type (void);
#define LUMA_TYPE_SESSION_STATUS (luma_session_status_get_type ())

/* Seconds a first connection may take before it fails (no retries). */
#define LUMA_SESSION_CONNECT_TIMEOUT 10

#define LUMA_TYPE_SESSION (luma_session_get_type ())

G_DECLARE_FINAL_TYPE (LumaSession, luma_session, LUMA, SESSION, GObject)

/* Signal:
 *   "sync-finished" (const LumaSyncSummary *summary or NULL, const GError *error or NULL)
 * Properties: "status", "tenant", "cache", "sync" (read-only),
 * "notifications-enabled". */

LumaSession       *luma_session_new                (LumaAccount          *account);
LumaAccount       *luma_session_get_account        (LumaSession          *self);
/* Notifications go through @application; NULL (the command line): through a
 * short-lived registration, luma_notifier_notify_after_sync(). */
void               luma_session_set_application    (LumaSession          *self,
                                                    GApplication         *application);
/* A secret given for this run (a second invocation's LUMA_API_KEY or
 * LUMA_PASSWORD): kept on the account for later starts and, when started,
 * used by the client from its next request on. NULL or "" is ignored. */
void               luma_session_set_secret         (LumaSession          *self,
                                                    const char           *secret);
/* An extra trusted CA (PEM) for the client, read at the next start. */
void               luma_session_set_ca_file        (LumaSession          *self,
                                                    const char           *path);
void               luma_session_set_notifications_enabled (LumaSession   *self,
                                                           gboolean       enabled);
/* Seconds between two syncs; 0: no timer. */
void               luma_session_set_sync_interval  (LumaSession          *self,
                                                    guint                 seconds);
guint              luma_session_get_sync_interval  (LumaSession          *self);

LumaSessionStatus  luma_session_get_status         (LumaSession          *self);
LumaApiClient     *luma_session_get_client         (LumaSession          *self);
/* The account's own cache: the tenant's for a Tenant Administrator, the
 * tenant list for a Superadmin. */
LumaCache         *luma_session_get_account_cache  (LumaSession          *self);
/* The open tenant's cache and sync engine, NULL until a tenant is open (a
 * Tenant Administrator's is open once started). */
LumaCache         *luma_session_get_cache          (LumaSession          *self);
LumaSync          *luma_session_get_sync           (LumaSession          *self);
const char        *luma_session_get_tenant         (LumaSession          *self);
/* Successful syncs so far. */
guint              luma_session_get_n_syncs        (LumaSession          *self);

/* Starts, or waits for the start going on; TRUE at once when started. With
 * no key or password given or stored: LUMA_API_ERROR_NO_CREDENTIALS. */
void               luma_session_start_async        (LumaSession          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           luma_session_start_finish       (LumaSession          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* A Superadmin's tenant: opens its cache and sync engine in place of the
 * previous tenant's. For a Tenant Administrator only its own tenant. */
void               luma_session_open_tenant_async  (LumaSession          *self,
                                                    const char           *tenant,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           luma_session_open_tenant_finish (LumaSession          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Closes the open tenant (a Superadmin back at the list). */
void               luma_session_close_tenant       (LumaSession          *self);

/* Syncs the open tenant, or waits for the sync going on. @cancellable only
 * drops this caller's wait: luma_session_cancel_sync() stops the run. */
void               luma_session_sync_async         (LumaSession          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
LumaSyncSummary   *luma_session_sync_finish        (LumaSession          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* A Superadmin's check of every tenant: one request for the tenant list,
 * stored in the account cache (the board's offline copy), then the
 * 75/85/95/100 % crossings of every tenant recorded there and notified
 * (luma_notifier_evaluate_tenants(): one per tenant, or one summary when
 * many cross at once). Without an application (the command line) through a
 * short-lived registration, as luma_notifier_notify_after_sync(). Needs a
 * started session; a Tenant Administrator: G_IO_ERROR_NOT_SUPPORTED.
 * @crossed_out: (optional) the ids of the tenants that crossed now. */
void               luma_session_check_tenants_async  (LumaSession        *self,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
GPtrArray         *luma_session_check_tenants_finish (LumaSession        *self,
                                                      GAsyncResult       *result,
                                                      GStrv              *crossed_out,
                                                      GError            **error);

/* Stops the running sync; what was committed stays. */
void               luma_session_cancel_sync        (LumaSession          *self);

/* Cancels what runs, stops the timer, closes the caches. Start again later. */
void               luma_session_stop               (LumaSession          *self);

/* Stops, then removes the keyring item and every file of the account under
 * the cache folder (a Superadmin's: also its tenants' caches). The settings
 * entry is the caller's (luma_account_list_remove()). */
void               luma_session_forget_async       (LumaSession          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           luma_session_forget_finish      (LumaSession          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* The first connection of @account (its secret set): a client with
 * LUMA_SESSION_CONNECT_TIMEOUT and no retries asks for the subscription (a
 * Tenant Administrator) or logs in (a Superadmin). Errors keep their
 * LUMA_API_ERROR code, and their message names the address tried. Nothing
 * is written. */
void               luma_session_check_async        (LumaAccount          *account,
                                                    const char           *ca_file,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           luma_session_check_finish       (GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
