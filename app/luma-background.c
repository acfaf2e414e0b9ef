/* luma-background.c: syncing and notifying with no window (--background)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "luma-background.h"
#include "luma-cache.h"
#include "luma-credentials.h"
#include "luma-notifier.h"
#include "luma-sync.h"

struct _LumaBackground
{
  GObject        parent_instance;

  GApplication  *application;   /* not owned: it owns us */
  GSettings     *settings;
  LumaAccount   *account;
  LumaApiClient *client;
  LumaCache     *cache;
  LumaSync      *sync;
  LumaNotifier  *notifier;
  GCancellable  *cancellable;
  GError        *error;
  guint          timeout_id;
  guint          interval;
  guint          n_syncs;
};

G_DEFINE_FINAL_TYPE (LumaBackground, luma_background, G_TYPE_OBJECT)

static void
fail (LumaBackground *self,
      GError         *error)
{
  g_message ("Background sync of %s stopped: %s",
             luma_account_get_identity (self->account), error->message);
  g_clear_error (&self->error);
  self->error = error;
}

/* ---- Syncing at the interval ------------------------------------------------------------------ */

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LumaBackground) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = luma_sync_run_finish (LUMA_SYNC (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (summary == NULL)
    {
      /* Offline or the server failing: the next interval tries again. */
      g_message ("Background sync of %s failed: %s",
                 luma_account_get_identity (self->account), error->message);
      return;
    }

  self->n_syncs++;
  if (self->notifier != NULL &&
      !luma_notifier_evaluate_cached (self->notifier,
                                      g_settings_get_boolean (self->settings, "notifications-enabled"),
                                      NULL, &error))
    g_warning ("Cannot evaluate the consumption thresholds: %s", error->message);
}

static void
run_sync (LumaBackground *self)
{
  if (self->sync == NULL || luma_sync_get_running (self->sync))
    return;
  luma_sync_run_async (self->sync, self->cancellable, sync_done_cb, g_object_ref (self));
}

static gboolean
timeout_cb (gpointer user_data)
{
  run_sync (LUMA_BACKGROUND (user_data));
  return G_SOURCE_CONTINUE;
}

static guint
read_interval (LumaBackground *self)
{
  const char *test_seconds = g_getenv ("LUMA_SYNC_INTERVAL_SECONDS");
  guint64 seconds;

  /* A test hook: minutes are too long for a test run. */
  if (test_seconds != NULL && g_ascii_string_to_unsigned (test_seconds, 10, 1, 86400, &seconds, NULL))
    return (guint) seconds;
  return MAX (g_settings_get_uint (self->settings, "sync-interval"), 1) * 60;
}

static void
schedule (LumaBackground *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->interval = read_interval (self);
  if (self->sync != NULL)
    self->timeout_id = g_timeout_add_seconds (self->interval, timeout_cb, self);
}

static void
interval_changed_cb (LumaBackground *self)
{
  schedule (self);
}

/* ---- Starting ------------------------------------------------------------------------------- */

static void
cache_open_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LumaBackground) self = user_data;
  GError *error = NULL;
  LumaCache *cache = luma_cache_open_for_account_finish (result, &error);

  if (cache == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      else
        g_error_free (error);
      return;
    }

  self->cache = cache;
  self->sync = luma_sync_new (self->client, cache);
  self->notifier = luma_notifier_new (self->application, cache);
  run_sync (self);
  schedule (self);
}

static void
connect_with_secret (LumaBackground *self,
                     const char     *secret)
{
  const char *identity = luma_account_get_identity (self->account);

  luma_api_client_set_tenant_credentials (self->client, identity, secret);
  luma_cache_open_for_account_async (luma_account_get_server (self->account), identity,
                                     self->cancellable, cache_open_cb, g_object_ref (self));
}

static void
secret_looked_up_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LumaBackground) self = user_data;
  GError *error = NULL;
  g_autofree char *secret = luma_credentials_lookup_api_key_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      return;
    }
  if (secret == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                     _("No API access key is stored for this account"));
      fail (self, error);
      return;
    }
  connect_with_secret (self, secret);
  memset (secret, 0, strlen (secret));
}

static void
start (LumaBackground *self)
{
  GError *error = NULL;
  const char *server = luma_account_get_server (self->account);
  g_autofree char *ca = NULL;

  if (luma_account_get_kind (self->account) != LUMA_ACCOUNT_KIND_TENANT)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                       _("Background sync follows Tenant Administrator accounts only")));
      return;
    }

  self->client = luma_api_client_new (server, &error);
  if (self->client == NULL)
    {
      fail (self, error);
      return;
    }
  if (luma_api_client_is_insecure (self->client))
    {
      g_clear_object (&self->client);
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                       _("Use an https:// address: unencrypted http:// is only allowed for this computer.")));
      return;
    }
  ca = g_settings_get_string (self->settings, "ca-file");
  if (*ca != '\0' && !luma_api_client_set_ca_file (self->client, ca, &error))
    {
      g_message ("The trusted certificate in the preferences cannot be used: %s", error->message);
      g_clear_error (&error);
    }

  if (luma_account_get_secret (self->account) != NULL)
    connect_with_secret (self, luma_account_get_secret (self->account));
  else
    luma_credentials_lookup_api_key_async (server, luma_account_get_identity (self->account),
                                           self->cancellable, secret_looked_up_cb,
                                           g_object_ref (self));
}

LumaBackground *
luma_background_new (GApplication *application,
                     GSettings    *settings,
                     LumaAccount  *account)
{
  LumaBackground *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (account), NULL);

  self = g_object_new (LUMA_TYPE_BACKGROUND, NULL);
  self->application = application;
  self->settings = g_object_ref (settings);
  self->account = g_object_ref (account);
  self->cancellable = g_cancellable_new ();
  self->interval = read_interval (self);
  g_signal_connect_object (settings, "changed::sync-interval", G_CALLBACK (interval_changed_cb),
                           self, G_CONNECT_SWAPPED);
  start (self);
  return self;
}

LumaAccount *
luma_background_get_account (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), NULL);
  return self->account;
}

guint
luma_background_get_n_syncs (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), 0);
  return self->n_syncs;
}

guint
luma_background_get_interval (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), 0);
  return self->interval;
}

const GError *
luma_background_get_error (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), NULL);
  return self->error;
}

static void
luma_background_dispose (GObject *object)
{
  LumaBackground *self = LUMA_BACKGROUND (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->notifier);
  g_clear_object (&self->sync);
  g_clear_object (&self->cache);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->account);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (luma_background_parent_class)->dispose (object);
}

static void
luma_background_class_init (LumaBackgroundClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = luma_background_dispose;
}

static void
luma_background_init (LumaBackground *self)
{
}

/* ---- The autostart entry -------------------------------------------------------------------- */

gboolean
luma_background_in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

char *
luma_background_autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

gboolean
luma_background_set_autostart (gboolean   enabled,
                               GError   **error)
{
  g_autofree char *path = luma_background_autostart_path ();
  g_autofree char *dir = NULL;
  g_autoptr(GKeyFile) entry = NULL;
  g_autofree char *data = NULL;

  if (luma_background_in_flatpak ())
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Starting at login from Flatpak needs the background portal, not supported yet"));
      return FALSE;
    }

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  entry = g_key_file_new ();
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME,
                         _("Luma Subscription"));
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         _("Follow the license consumption and notify when it crosses a threshold"));
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC,
                         "luma-subscription --background");
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  g_key_file_set_boolean (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL, FALSE);
  /* Not a second launcher in the menus, only a login item. */
  g_key_file_set_boolean (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NO_DISPLAY, TRUE);
  g_key_file_set_boolean (entry, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  data = g_key_file_to_data (entry, NULL, NULL);

  return g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
