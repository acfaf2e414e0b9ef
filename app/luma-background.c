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

struct _LumaBackground
{
  GObject       parent_instance;

  LumaSession  *session;
  GCancellable *cancellable;
  GError       *error;
  guint         n_syncs;
  guint         check_id;     /* a Superadmin's next check of every tenant */
};

G_DEFINE_FINAL_TYPE (LumaBackground, luma_background, G_TYPE_OBJECT)

static void
fail (LumaBackground *self,
      GError         *error)
{
  g_message ("Background sync of %s stopped: %s",
             luma_account_get_identity (luma_session_get_account (self->session)), error->message);
  g_clear_error (&self->error);
  self->error = error;
}

/* The session syncs at the interval and notifies; this only counts and logs. */
static void
sync_finished_cb (LumaBackground        *self,
                  const LumaSyncSummary *summary,
                  const GError          *error)
{
  if (summary != NULL)
    self->n_syncs++;
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Offline or the server failing: the next interval tries again. */
    g_message ("Background sync of %s failed: %s",
               luma_account_get_identity (luma_session_get_account (self->session)), error->message);
}

static void schedule_check (LumaBackground *self);

static void
tenants_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LumaBackground) self = user_data;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GError) error = NULL;

  tenants = luma_session_check_tenants_finish (LUMA_SESSION (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (self->cancellable))
    return;
  if (tenants != NULL)
    self->n_syncs++;
  else
    /* Offline or the server failing: the next interval tries again. */
    g_message ("Background check of the tenants of %s failed: %s",
               luma_account_get_identity (luma_session_get_account (self->session)), error->message);
  schedule_check (self);
}

static void
check_tenants (LumaBackground *self)
{
  luma_session_check_tenants_async (self->session, self->cancellable, tenants_checked_cb,
                                    g_object_ref (self));
}

static gboolean
check_timeout_cb (gpointer user_data)
{
  LumaBackground *self = user_data;

  self->check_id = 0;
  check_tenants (self);
  return G_SOURCE_REMOVE;
}

/* From the end of one check: a slow answer never stacks checks, and a new
 * interval of the preferences counts from the next one. */
static void
schedule_check (LumaBackground *self)
{
  guint interval = luma_session_get_sync_interval (self->session);

  g_clear_handle_id (&self->check_id, g_source_remove);
  if (interval > 0)
    self->check_id = g_timeout_add_seconds (interval, check_timeout_cb, self);
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LumaBackground) self = user_data;
  GError *error = NULL;

  if (!luma_session_start_finish (LUMA_SESSION (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      else
        g_error_free (error);
      return;
    }

  /* At once, then at the session's interval. */
  if (luma_account_get_kind (luma_session_get_account (self->session)) == LUMA_ACCOUNT_KIND_SUPERADMIN)
    check_tenants (self);
  else
    luma_session_sync_async (self->session, NULL, NULL, NULL);
}

LumaBackground *
luma_background_new (LumaSession *session)
{
  LumaBackground *self;

  g_return_val_if_fail (LUMA_IS_SESSION (session), NULL);

  self = g_object_new (LUMA_TYPE_BACKGROUND, NULL);
  self->session = g_object_ref (session);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (session, "sync-finished", G_CALLBACK (sync_finished_cb), self,
                           G_CONNECT_SWAPPED);

  luma_session_start_async (session, self->cancellable, started_cb, g_object_ref (self));
  return self;
}

LumaSession *
luma_background_get_session (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), NULL);
  return self->session;
}

LumaAccount *
luma_background_get_account (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), NULL);
  return luma_session_get_account (self->session);
}

guint
luma_background_get_n_syncs (LumaBackground *self)
{
  g_return_val_if_fail (LUMA_IS_BACKGROUND (self), 0);
  return self->n_syncs;
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
  g_clear_handle_id (&self->check_id, g_source_remove);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
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
