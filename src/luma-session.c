/* luma-session.c: one account at work: its secret, client, cache, sync engine, notifier and timer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-session"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "luma-credentials.h"
#include "luma-session.h"

G_DEFINE_QUARK (luma-session-error-quark, luma_session_error)

/* One run of the sync engine and the callers waiting for it. */
typedef struct
{
  GCancellable *cancellable;
  GPtrArray    *waiters;     /* GTask* */
} SyncRun;

static void
sync_run_free (SyncRun *run)
{
  g_object_unref (run->cancellable);
  g_ptr_array_unref (run->waiters);
  g_free (run);
}

struct _LumaSession
{
  GObject            parent_instance;

  LumaAccount       *account;
  GApplication      *application;
  char              *ca_file;
  char              *secret;             /* only between the lookup and the client */
  char              *client_secret_hash; /* SHA-256 of the secret the client uses, not the secret */
  gboolean           notifications_enabled;

  LumaSessionStatus  status;
  GCancellable      *cancellable;        /* of the start and the open tenant; stop() cancels */
  GPtrArray         *start_waiters;      /* GTask* */

  LumaApiClient     *client;
  LumaCache         *account_cache;
  char              *tenant;
  LumaCache         *cache;              /* the open tenant's; account_cache for a tenant admin */
  LumaSync          *sync;
  LumaNotifier      *notifier;
  LumaNotifier      *tenants_notifier;   /* on account_cache: every tenant of a superadmin */
  GCancellable      *tenant_cancellable;

  SyncRun           *run;                /* the running sync, or NULL */
  guint              n_syncs;

  guint              interval;
  guint              timeout_id;
};

G_DEFINE_FINAL_TYPE (LumaSession, luma_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_TENANT,
  PROP_CACHE,
  PROP_SYNC,
  PROP_NOTIFICATIONS_ENABLED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_SYNC_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

GType
luma_session_status_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { LUMA_SESSION_STATUS_STOPPED, "LUMA_SESSION_STATUS_STOPPED", "stopped" },
        { LUMA_SESSION_STATUS_STARTING, "LUMA_SESSION_STATUS_STARTING", "starting" },
        { LUMA_SESSION_STATUS_READY, "LUMA_SESSION_STATUS_READY", "ready" },
        { LUMA_SESSION_STATUS_SYNCING, "LUMA_SESSION_STATUS_SYNCING", "syncing" },
        { LUMA_SESSION_STATUS_FAILED, "LUMA_SESSION_STATUS_FAILED", "failed" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("LumaSessionStatus"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

static gboolean
is_superadmin (LumaSession *self)
{
  return luma_account_get_kind (self->account) == LUMA_ACCOUNT_KIND_SUPERADMIN;
}

static void
set_status (LumaSession       *self,
            LumaSessionStatus  status)
{
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/* The one place a secret of the session is wiped. */
static void
clear_secret (LumaSession *self)
{
  luma_credentials_free_secret (g_steal_pointer (&self->secret));
}

/* ---- The client and the first connection ------------------------------------------------------ */

static LumaApiClient *
create_client (LumaAccount  *account,
               const char   *secret,
               const char   *ca_file,
               GError      **error)
{
  g_autoptr(LumaApiClient) client = NULL;
  const char *server = luma_account_get_server (account);
  const char *identity = luma_account_get_identity (account);

  client = luma_api_client_new (server, error);
  if (client == NULL)
    {
      g_prefix_error (error, "%s: ", server);
      return NULL;
    }
  if (luma_api_client_is_insecure (client))
    {
      g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INSECURE_URL,
                   _("%s is not encrypted: use an https:// address (http:// is only allowed "
                     "for this computer)"), server);
      return NULL;
    }
  if (ca_file != NULL && *ca_file != '\0' && !luma_api_client_set_ca_file (client, ca_file, error))
    {
      g_prefix_error (error, _("The trusted certificate %s cannot be used: "), ca_file);
      return NULL;
    }

  if (luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN)
    luma_api_client_set_superadmin_credentials (client, identity, secret);
  else
    luma_api_client_set_tenant_credentials (client, identity, secret);

  return g_steal_pointer (&client);
}

static void
check_done (GTask  *task,
            GError *error)
{
  LumaApiClient *client = g_task_get_task_data (task);

  /* Later requests of this client wait and retry as usual. */
  luma_api_client_set_timeout (client, LUMA_API_CLIENT_DEFAULT_TIMEOUT);
  luma_api_client_set_retry_policy (client, LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS,
                                    LUMA_API_CLIENT_DEFAULT_BASE_MS, LUMA_API_CLIENT_DEFAULT_CAP_MS);

  if (error == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, _("No connection to %s: "), luma_api_client_get_base_url (client));
  g_task_return_error (task, error);
}

static void
check_subscription_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(LumaSubscription) subscription = NULL;
  GError *error = NULL;

  subscription = luma_api_client_get_subscription_finish (LUMA_API_CLIENT (source), result, NULL,
                                                          &error);
  check_done (task, error);
}

static void
check_login_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  luma_api_client_login_finish (LUMA_API_CLIENT (source), result, &error);
  check_done (task, error);
}

/* One real request with a short time-out proves the address, the identity and the secret. */
static void
check_with_client (LumaApiClient       *client,
                   gboolean             superadmin,
                   gpointer             source_object,
                   gpointer             source_tag,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = g_task_new (source_object, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_object_ref (client), g_object_unref);
  luma_api_client_set_timeout (client, LUMA_SESSION_CONNECT_TIMEOUT);
  luma_api_client_set_retry_policy (client, 1, LUMA_API_CLIENT_DEFAULT_BASE_MS,
                                    LUMA_API_CLIENT_DEFAULT_CAP_MS);
  if (superadmin)
    luma_api_client_login_async (client, cancellable, check_login_cb, task);
  else
    luma_api_client_get_subscription_async (client, NULL, cancellable, check_subscription_cb, task);
}

void
luma_session_check_async (LumaAccount         *account,
                          const char          *ca_file,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(LumaApiClient) client = NULL;
  GError *error = NULL;

  g_return_if_fail (LUMA_IS_ACCOUNT (account));
  g_return_if_fail (luma_account_get_secret (account) != NULL);

  client = create_client (account, luma_account_get_secret (account), ca_file, &error);
  if (client == NULL)
    {
      GTask *task = g_task_new (NULL, cancellable, callback, user_data);

      g_task_set_source_tag (task, luma_session_check_async);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  check_with_client (client, luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN,
                     NULL, luma_session_check_async, cancellable, callback, user_data);
}

gboolean
luma_session_check_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Notifying and the timer ------------------------------------------------------------------ */

/* The 75/85/95/100 % notifications after a sync, once per crossing: the one place. */
static void
notify_after_sync (LumaSession *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (self->notifier != NULL)
    ok = luma_notifier_evaluate_cached (self->notifier, self->notifications_enabled, NULL, &error);
  else
    ok = luma_notifier_notify_after_sync (self->cache, is_superadmin (self), &error);

  if (!ok)
    g_warning ("Cannot evaluate the consumption thresholds of %s: %s",
               luma_account_get_identity (self->account), error->message);
}

static gboolean
timeout_cb (gpointer user_data)
{
  LumaSession *self = user_data;

  if (self->sync != NULL && !luma_sync_get_running (self->sync))
    luma_session_sync_async (self, NULL, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
schedule (LumaSession *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->sync != NULL && self->interval > 0)
    self->timeout_id = g_timeout_add_seconds (self->interval, timeout_cb, self);
}

/* ---- The open tenant -------------------------------------------------------------------------- */

static void
drop_tenant (LumaSession *self)
{
  gboolean had = self->sync != NULL || self->tenant != NULL;

  g_cancellable_cancel (self->tenant_cancellable);
  g_clear_object (&self->tenant_cancellable);
  if (self->run != NULL)
    {
      /* Its callers get the cancellation; the next tenant's sync is a run of its own. */
      g_cancellable_cancel (self->run->cancellable);
      self->run = NULL;
      if (self->status == LUMA_SESSION_STATUS_SYNCING)
        set_status (self, LUMA_SESSION_STATUS_READY);
    }
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->notifier);
  g_clear_object (&self->sync);
  if (self->cache != NULL && self->cache != self->account_cache)
    luma_cache_close (self->cache);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->tenant, g_free);

  if (had)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TENANT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC]);
    }
}

/* Takes @cache. */
static void
set_tenant (LumaSession *self,
            const char  *tenant,
            LumaCache   *cache)
{
  self->tenant = g_strdup (tenant);
  self->cache = cache;
  self->sync = luma_sync_new (self->client, cache);
  if (self->application != NULL)
    {
      self->notifier = luma_notifier_new (self->application, cache);
      /* A superadmin follows several tenants: say which one. */
      luma_notifier_set_name_tenant (self->notifier, is_superadmin (self));
    }
  schedule (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TENANT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC]);
}

static void
tenant_cache_open_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSession *self = g_task_get_source_object (task);
  GError *error = NULL;
  LumaCache *cache = luma_cache_open_for_account_finish (result, &error);

  if (cache == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Another tenant was opened, or the session stopped, meanwhile. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)) ||
      self->tenant_cancellable == NULL ||
      g_task_get_task_data (task) != (gpointer) self->tenant_cancellable)
    {
      g_object_unref (cache);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }

  set_tenant (self, luma_api_client_get_tenant (self->client), cache);
  g_task_return_boolean (task, TRUE);
}

void
luma_session_open_tenant_async (LumaSession         *self,
                                const char          *tenant,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *cache_name = NULL;

  g_return_if_fail (LUMA_IS_SESSION (self));
  g_return_if_fail (tenant != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_session_open_tenant_async);

  if (self->client == NULL || self->account_cache == NULL)
    {
      g_task_return_new_error (task, LUMA_SESSION_ERROR, LUMA_SESSION_ERROR_NOT_STARTED,
                               "The session of %s is not started",
                               luma_account_get_identity (self->account));
      return;
    }
  if (g_strcmp0 (self->tenant, tenant) == 0 && self->sync != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!is_superadmin (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "A Tenant Administrator sees only the tenant %s",
                               luma_account_get_identity (self->account));
      return;
    }

  drop_tenant (self);
  self->tenant_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, self->tenant_cancellable, NULL);
  luma_api_client_set_tenant (self->client, tenant);
  cache_name = luma_account_dup_tenant_cache_name (self->account, tenant);
  /* In a worker thread: checking a big cache at open can take a second. */
  luma_cache_open_for_account_async (luma_account_get_server (self->account), cache_name,
                                     self->tenant_cancellable, tenant_cache_open_cb,
                                     g_steal_pointer (&task));
}

gboolean
luma_session_open_tenant_finish (LumaSession   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
luma_session_close_tenant (LumaSession *self)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  if (is_superadmin (self))
    drop_tenant (self);
}

/* ---- Starting --------------------------------------------------------------------------------- */

static void
start_complete (LumaSession *self,
                GError      *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->start_waiters);

  self->start_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  clear_secret (self);

  if (error != NULL)
    {
      g_clear_object (&self->client);
      set_status (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                        ? LUMA_SESSION_STATUS_STOPPED : LUMA_SESSION_STATUS_FAILED);
    }
  else
    {
      set_status (self, LUMA_SESSION_STATUS_READY);
    }

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else if (!g_task_return_error_if_cancelled (task))
        g_task_return_boolean (task, TRUE);
    }
  g_clear_error (&error);
}

/* TRUE when the step that gave @result belongs to a start that was stopped
 * (luma_session_stop() answered its waiters) or replaced by a newer start. */
static gboolean
start_step_stale (LumaSession  *self,
                  GAsyncResult *result)
{
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  return cancellable == NULL || cancellable != self->cancellable ||
         g_cancellable_is_cancelled (cancellable);
}

static void
account_cache_open_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(LumaSession) self = user_data;
  GError *error = NULL;
  LumaCache *cache = luma_cache_open_for_account_finish (result, &error);

  if (start_step_stale (self, result))
    {
      g_clear_object (&cache);
      g_clear_error (&error);
      return;
    }
  if (cache == NULL)
    {
      start_complete (self, error);
      return;
    }

  self->account_cache = cache;
  if (!is_superadmin (self))
    set_tenant (self, luma_account_get_identity (self->account), g_object_ref (cache));
  start_complete (self, NULL);
}

static void
open_account_cache (LumaSession *self)
{
  const LumaAccountIdentity *id = luma_account_get_id (self->account);

  luma_cache_open_for_account_async (id->server, id->cache_name, self->cancellable,
                                     account_cache_open_cb, g_object_ref (self));
}

static void
first_connection_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LumaSession) self = user_data;
  GError *error = NULL;

  if (start_step_stale (self, result))
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      start_complete (self, error);
      return;
    }
  open_account_cache (self);
}

static void
connect_client (LumaSession *self)
{
  const LumaAccountIdentity *id = luma_account_get_id (self->account);
  GError *error = NULL;

  self->client = create_client (self->account, self->secret, self->ca_file, &error);
  g_free (self->client_secret_hash);
  self->client_secret_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->secret, -1);
  /* The client keeps its own copy. */
  clear_secret (self);
  if (self->client == NULL)
    {
      start_complete (self, error);
      return;
    }

  /* Known account: its cache first, so it works offline. A new one: the
   * server must answer before anything is written. */
  if (g_file_test (id->cache_path, G_FILE_TEST_EXISTS))
    open_account_cache (self);
  else
    check_with_client (self->client, is_superadmin (self), NULL, luma_session_start_async,
                       self->cancellable, first_connection_cb, g_object_ref (self));
}

static void
secret_looked_up_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LumaSession) self = user_data;
  GError *error = NULL;

  char *secret = is_superadmin (self) ? luma_credentials_lookup_password_finish (result, &error)
                                      : luma_credentials_lookup_api_key_finish (result, &error);

  if (start_step_stale (self, result))
    {
      luma_credentials_free_secret (secret);
      g_clear_error (&error);
      return;
    }
  self->secret = secret;
  if (self->secret == NULL)
    {
      GError *missing;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          start_complete (self, error);
          return;
        }
      missing = g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_NO_CREDENTIALS,
                             is_superadmin (self)
                             ? _("No password is stored for %s at %s%s%s")
                             : _("No API access key is stored for %s at %s%s%s"),
                             luma_account_get_identity (self->account),
                             luma_account_get_server (self->account),
                             error != NULL ? ": " : "", error != NULL ? error->message : "");
      g_clear_error (&error);
      start_complete (self, missing);
      return;
    }
  connect_client (self);
}

void
luma_session_start_async (LumaSession         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  const LumaAccountIdentity *id;

  g_return_if_fail (LUMA_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_session_start_async);

  if (self->status == LUMA_SESSION_STATUS_READY || self->status == LUMA_SESSION_STATUS_SYNCING)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_ptr_array_add (self->start_waiters, task);
  if (self->status == LUMA_SESSION_STATUS_STARTING)
    return;

  set_status (self, LUMA_SESSION_STATUS_STARTING);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  id = luma_account_get_id (self->account);
  if (luma_account_get_secret (self->account) != NULL)
    {
      self->secret = g_strdup (luma_account_get_secret (self->account));
      connect_client (self);
    }
  else if (is_superadmin (self))
    {
      luma_credentials_lookup_password_async (id->server, id->user, self->cancellable,
                                              secret_looked_up_cb, g_object_ref (self));
    }
  else
    {
      luma_credentials_lookup_api_key_async (id->server, id->user, self->cancellable,
                                             secret_looked_up_cb, g_object_ref (self));
    }
}

gboolean
luma_session_start_finish (LumaSession   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Syncing ---------------------------------------------------------------------------------- */

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncRun *run = user_data;
  LumaSession *self = g_task_get_source_object (g_ptr_array_index (run->waiters, 0));
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;

  summary = luma_sync_run_finish (LUMA_SYNC (source), result, &error);

  /* Not the run of a tenant closed meanwhile: tell everyone, and notify. */
  if (self->run == run)
    {
      self->run = NULL;
      if (self->status == LUMA_SESSION_STATUS_SYNCING)
        set_status (self, LUMA_SESSION_STATUS_READY);
      if (summary != NULL)
        {
          self->n_syncs++;
          notify_after_sync (self);
        }
      g_signal_emit (self, signals[SIGNAL_SYNC_FINISHED], 0, summary, error);
    }

  for (guint i = 0; i < run->waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (run->waiters, i);

      if (g_task_return_error_if_cancelled (task))
        continue;
      if (summary != NULL)
        g_task_return_pointer (task, luma_sync_summary_copy (summary),
                               (GDestroyNotify) luma_sync_summary_free);
      else
        g_task_return_error (task, g_error_copy (error));
    }
  sync_run_free (run);
}

void
luma_session_sync_async (LumaSession         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (LUMA_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_session_sync_async);

  if (self->sync == NULL)
    {
      g_task_return_new_error (task, LUMA_SESSION_ERROR, LUMA_SESSION_ERROR_NOT_STARTED,
                               "No tenant of %s is open",
                               luma_account_get_identity (self->account));
      g_object_unref (task);
      return;
    }

  if (self->run != NULL)
    {
      /* Joins the running sync. */
      g_ptr_array_add (self->run->waiters, task);
      return;
    }

  /* The first waiter holds the session until the run ends. */
  self->run = g_new0 (SyncRun, 1);
  self->run->cancellable = g_cancellable_new ();
  self->run->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->run->waiters, task);
  set_status (self, LUMA_SESSION_STATUS_SYNCING);
  luma_sync_run_async (self->sync, self->run->cancellable, sync_done_cb, self->run);
}

LumaSyncSummary *
luma_session_sync_finish (LumaSession   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
luma_session_cancel_sync (LumaSession *self)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  if (self->run != NULL)
    g_cancellable_cancel (self->run->cancellable);
}

/* ---- A superadmin's check of every tenant ----------------------------------------------------- */

typedef struct
{
  GPtrArray *tenants;
  GStrv      crossed;
} CheckTenantsResult;

static void
check_tenants_result_free (CheckTenantsResult *result)
{
  g_clear_pointer (&result->tenants, g_ptr_array_unref);
  g_strfreev (result->crossed);
  g_free (result);
}

static void
tenants_listed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSession *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) tenants = NULL;
  CheckTenantsResult *answer;
  GError *error = NULL;
  gboolean ok;

  tenants = luma_api_client_list_tenants_finish (LUMA_API_CLIENT (source), result, &error);
  if (tenants == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Stopped meanwhile: its cache is closed. */
  if (self->account_cache == NULL || g_task_return_error_if_cancelled (task))
    {
      if (self->account_cache == NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The session was stopped");
      return;
    }

  if (!luma_cache_store_tenants (self->account_cache, tenants, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  answer = g_new0 (CheckTenantsResult, 1);
  if (self->application != NULL)
    {
      if (self->tenants_notifier == NULL)
        {
          self->tenants_notifier = luma_notifier_new (self->application, self->account_cache);
          luma_notifier_set_name_tenant (self->tenants_notifier, TRUE);
        }
      ok = luma_notifier_evaluate_tenants (self->tenants_notifier, tenants,
                                           self->notifications_enabled, &answer->crossed, &error);
    }
  else
    {
      ok = luma_notifier_notify_tenants_after_check (self->account_cache, tenants,
                                                     &answer->crossed, &error);
    }
  if (!ok)
    {
      check_tenants_result_free (answer);
      g_task_return_error (task, error);
      return;
    }

  answer->tenants = g_steal_pointer (&tenants);
  g_task_return_pointer (task, answer, (GDestroyNotify) check_tenants_result_free);
}

void
luma_session_check_tenants_async (LumaSession         *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LUMA_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_session_check_tenants_async);

  if (!is_superadmin (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "Only a Superadmin sees every tenant");
      return;
    }
  if (self->client == NULL || self->account_cache == NULL)
    {
      g_task_return_new_error (task, LUMA_SESSION_ERROR, LUMA_SESSION_ERROR_NOT_STARTED,
                               "The session of %s is not started",
                               luma_account_get_identity (self->account));
      return;
    }

  luma_api_client_list_tenants_async (self->client, cancellable, tenants_listed_cb,
                                      g_steal_pointer (&task));
}

GPtrArray *
luma_session_check_tenants_finish (LumaSession   *self,
                                   GAsyncResult  *result,
                                   GStrv         *crossed_out,
                                   GError       **error)
{
  CheckTenantsResult *answer;
  GPtrArray *tenants;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (crossed_out != NULL)
    *crossed_out = NULL;
  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (answer == NULL)
    return NULL;
  tenants = g_steal_pointer (&answer->tenants);
  if (crossed_out != NULL)
    *crossed_out = g_steal_pointer (&answer->crossed);
  check_tenants_result_free (answer);
  return tenants;
}

/* ---- Stopping and forgetting ------------------------------------------------------------------ */

void
luma_session_stop (LumaSession *self)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  /* The steps of a start going on find another cancellable and drop their results. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_tenant (self);
  g_clear_object (&self->tenants_notifier);
  if (self->account_cache != NULL)
    luma_cache_close (self->account_cache);
  g_clear_object (&self->account_cache);
  g_clear_object (&self->client);
  clear_secret (self);
  if (self->status == LUMA_SESSION_STATUS_STARTING)
    start_complete (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "The session was stopped"));
  set_status (self, LUMA_SESSION_STATUS_STOPPED);
}

/* Every file whose name starts with the cache file's name: the database, its
 * -wal, -shm and .open, and the damaged copies (NAME.corrupt-*) with theirs. */
static gboolean
remove_cache_files (const char  *cache_path,
                    GError     **error)
{
  g_autofree char *dir_path = g_path_get_dirname (cache_path);
  g_autofree char *base = g_path_get_basename (cache_path);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *name;

  dir = g_dir_open (dir_path, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (name, base))
        continue;
      path = g_build_filename (dir_path, name, NULL);
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, LUMA_SESSION_ERROR, LUMA_SESSION_ERROR_IO,
                       _("Cannot remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
    }

  return TRUE;
}

static void
keyring_cleared_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSession *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok = is_superadmin (self) ? luma_credentials_clear_password_finish (result, &error)
                                     : luma_credentials_clear_api_key_finish (result, &error);

  /* No keyring is no error here: luma-credentials says there was nothing to remove. */
  if (!ok)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* The cache files of the superadmin's tenants in @tenants, added to @paths. */
static void
add_tenant_paths (LumaSession *self,
                  GPtrArray   *paths,
                  GPtrArray   *tenants)
{
  const char *server = luma_account_get_server (self->account);

  for (guint i = 0; tenants != NULL && i < tenants->len; i++)
    {
      LumaTenantSummary *summary = g_ptr_array_index (tenants, i);
      g_autofree char *name = luma_account_dup_tenant_cache_name (self->account,
                                                                  summary->external_id);

      g_ptr_array_add (paths, luma_cache_path_for_account (server, name));
    }
}

/* The session is stopped: removes the files in the task's paths, then the keyring item. */
static void
forget_files_and_keyring (GTask *task)
{
  LumaSession *self = g_task_get_source_object (task);
  GPtrArray *paths = g_task_get_task_data (task);
  const LumaAccountIdentity *id = luma_account_get_id (self->account);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  for (guint i = 0; i < paths->len; i++)
    if (!remove_cache_files (g_ptr_array_index (paths, i), &error))
      {
        g_task_return_error (task, error);
        g_object_unref (task);
        return;
      }

  if (is_superadmin (self))
    luma_credentials_clear_password_async (id->server, id->user, cancellable, keyring_cleared_cb,
                                           task);
  else
    luma_credentials_clear_api_key_async (id->server, id->user, cancellable, keyring_cleared_cb,
                                          task);
}

static void
forget_list_opened_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  LumaSession *self = g_task_get_source_object (task);
  g_autoptr(LumaCache) list = luma_cache_open_for_account_finish (result, NULL);
  g_autoptr(GPtrArray) tenants = NULL;

  /* A list that cannot be read names no tenant: their files stay, the rest goes. */
  if (list != NULL)
    {
      tenants = luma_cache_get_tenants (list, NULL, NULL);
      luma_cache_close (list);
    }
  add_tenant_paths (self, g_task_get_task_data (task), tenants);
  forget_files_and_keyring (task);
}

void
luma_session_forget_async (LumaSession         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const LumaAccountIdentity *id;
  gboolean read_list = FALSE;

  g_return_if_fail (LUMA_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_session_forget_async);
  g_task_set_task_data (task, paths, (GDestroyNotify) g_ptr_array_unref);
  id = luma_account_get_id (self->account);

  /* A superadmin's tenants: the ones in its list and the one open. */
  g_ptr_array_add (paths, g_strdup (id->cache_path));
  if (is_superadmin (self))
    {
      if (self->tenant != NULL)
        {
          g_autofree char *name = luma_account_dup_tenant_cache_name (self->account, self->tenant);

          g_ptr_array_add (paths, luma_cache_path_for_account (id->server, name));
        }
      if (self->account_cache != NULL)
        {
          g_autoptr(GPtrArray) tenants = luma_cache_get_tenants (self->account_cache, NULL, NULL);

          add_tenant_paths (self, paths, tenants);
        }
      else
        {
          /* Not started: the list is read from the file, if there is one. */
          read_list = g_file_test (id->cache_path, G_FILE_TEST_EXISTS);
        }
    }

  luma_session_stop (self);
  luma_account_set_secret (self->account, NULL);

  /* In a worker thread, as at the start: checking a big cache at open can take a second. */
  if (read_list)
    luma_cache_open_for_account_async (id->server, id->cache_name, NULL, forget_list_opened_cb,
                                       task);
  else
    forget_files_and_keyring (task);
}

gboolean
luma_session_forget_finish (LumaSession   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Accessors -------------------------------------------------------------------------------- */

LumaSession *
luma_session_new (LumaAccount *account)
{
  LumaSession *self;

  g_return_val_if_fail (LUMA_IS_ACCOUNT (account), NULL);

  self = g_object_new (LUMA_TYPE_SESSION, NULL);
  self->account = g_object_ref (account);
  return self;
}

LumaAccount *
luma_session_get_account (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->account;
}

void
luma_session_set_application (LumaSession  *self,
                              GApplication *application)
{
  g_return_if_fail (LUMA_IS_SESSION (self));
  g_return_if_fail (application == NULL || G_IS_APPLICATION (application));

  /* Not owned: the application owns its sessions. */
  self->application = application;
}

void
luma_session_set_secret (LumaSession *self,
                         const char  *secret)
{
  g_autofree char *hash = NULL;

  g_return_if_fail (LUMA_IS_SESSION (self));

  if (secret == NULL || *secret == '\0')
    return;
  luma_account_set_secret (self->account, secret);
  /* From the account's copy: @secret may have been the account's own. */
  secret = luma_account_get_secret (self->account);
  if (self->client == NULL)
    return;
  /* The secret the client has (from the keyring, say): it keeps its login. */
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, secret, -1);
  if (g_strcmp0 (hash, self->client_secret_hash) == 0)
    return;
  g_free (self->client_secret_hash);
  self->client_secret_hash = g_steal_pointer (&hash);
  if (is_superadmin (self))
    luma_api_client_set_superadmin_credentials (self->client, luma_account_get_identity (self->account),
                                                secret);
  else
    luma_api_client_set_tenant_credentials (self->client, luma_account_get_identity (self->account),
                                            secret);
}

void
luma_session_set_ca_file (LumaSession *self,
                          const char  *path)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  g_free (self->ca_file);
  self->ca_file = g_strdup (path);
}

void
luma_session_set_notifications_enabled (LumaSession *self,
                                        gboolean     enabled)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  enabled = !!enabled;
  if (self->notifications_enabled == enabled)
    return;
  self->notifications_enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFICATIONS_ENABLED]);
}

void
luma_session_set_sync_interval (LumaSession *self,
                                guint        seconds)
{
  g_return_if_fail (LUMA_IS_SESSION (self));

  if (self->interval == seconds)
    return;
  self->interval = seconds;
  schedule (self);
}

guint
luma_session_get_sync_interval (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), 0);
  return self->interval;
}

LumaSessionStatus
luma_session_get_status (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), LUMA_SESSION_STATUS_STOPPED);
  return self->status;
}

LumaApiClient *
luma_session_get_client (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->client;
}

LumaCache *
luma_session_get_account_cache (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->account_cache;
}

LumaCache *
luma_session_get_cache (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->cache;
}

LumaSync *
luma_session_get_sync (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->sync;
}

const char *
luma_session_get_tenant (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), NULL);
  return self->tenant;
}

guint
luma_session_get_n_syncs (LumaSession *self)
{
  g_return_val_if_fail (LUMA_IS_SESSION (self), 0);
  return self->n_syncs;
}

/* ---- GObject ---------------------------------------------------------------------------------- */

static void
luma_session_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LumaSession *self = LUMA_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_TENANT:
      g_value_set_string (value, self->tenant);
      break;
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;
    case PROP_SYNC:
      g_value_set_object (value, self->sync);
      break;
    case PROP_NOTIFICATIONS_ENABLED:
      g_value_set_boolean (value, self->notifications_enabled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_session_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LumaSession *self = LUMA_SESSION (object);

  switch (prop_id)
    {
    case PROP_NOTIFICATIONS_ENABLED:
      luma_session_set_notifications_enabled (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_session_dispose (GObject *object)
{
  LumaSession *self = LUMA_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  drop_tenant (self);
  g_clear_object (&self->tenants_notifier);
  g_clear_object (&self->account_cache);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (luma_session_parent_class)->dispose (object);
}

static void
luma_session_finalize (GObject *object)
{
  LumaSession *self = LUMA_SESSION (object);

  clear_secret (self);
  g_clear_pointer (&self->client_secret_hash, g_free);
  g_clear_pointer (&self->start_waiters, g_ptr_array_unref);
  g_clear_object (&self->account);
  g_clear_pointer (&self->ca_file, g_free);

  G_OBJECT_CLASS (luma_session_parent_class)->finalize (object);
}

static void
luma_session_class_init (LumaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = luma_session_get_property;
  object_class->set_property = luma_session_set_property;
  object_class->dispose = luma_session_dispose;
  object_class->finalize = luma_session_finalize;

  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, LUMA_TYPE_SESSION_STATUS,
                                               LUMA_SESSION_STATUS_STOPPED,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                               G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TENANT] = g_param_spec_string ("tenant", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE] = g_param_spec_object ("cache", NULL, NULL, LUMA_TYPE_CACHE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNC] = g_param_spec_object ("sync", NULL, NULL, LUMA_TYPE_SYNC,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTIFICATIONS_ENABLED] =
    g_param_spec_boolean ("notifications-enabled", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SYNC_FINISHED] = g_signal_new ("sync-finished", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
}

static void
luma_session_init (LumaSession *self)
{
  self->notifications_enabled = TRUE;
  self->start_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}
