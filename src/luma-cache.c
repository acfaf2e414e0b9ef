/* luma-cache.c: the local SQLite store everything the window shows comes from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The object: opening, closing and its signals. The connections, the
 * writer thread, the schema and each table are in the luma-cache-*.c files
 * beside this one (see luma-cache-private.h).
 */

#include "config.h"

#include "luma-cache-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (luma-cache-error-quark, luma_cache_error)

/* ---- The object ----------------------------------------------------------------------------- */

G_DEFINE_FINAL_TYPE (LumaCache, luma_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INDEXES_READY,
  N_PROPS
};

enum {
  HISTORY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Signals ------------------------------------------------------------------------------- */

typedef struct
{
  GWeakRef       cache;
  LumaCacheEmit  what;
} EmitData;

static void
emit_data_free (gpointer data)
{
  EmitData *emit = data;

  g_weak_ref_clear (&emit->cache);
  g_free (emit);
}

static gboolean
emit_idle_cb (gpointer data)
{
  EmitData *emit = data;
  g_autoptr(LumaCache) self = g_weak_ref_get (&emit->cache);
  gboolean closed;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->emit_lock);
  g_ptr_array_remove_fast (self->pending_emits, g_main_current_source ());
  closed = g_atomic_int_get (&self->closed);
  g_mutex_unlock (&self->emit_lock);

  if (!closed)
    {
      if (emit->what == LUMA_CACHE_EMIT_HISTORY_CHANGED)
        g_signal_emit (self, signals[HISTORY_CHANGED], 0);
      else
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEXES_READY]);
    }
  return G_SOURCE_REMOVE;
}

/* Always through a source dispatched by whoever iterates the opener's
 * context: g_main_context_invoke() would run the handlers right here on the
 * writer thread whenever nobody owns that context at the moment. The source
 * holds only a weak reference, so a cache nobody iterates for is still
 * disposed when its last owner lets go, and closing destroys what is still
 * pending. */
void
_luma_cache_emit (LumaCache     *self,
                  LumaCacheEmit  what)
{
  EmitData *emit;
  GSource *source;

  g_mutex_lock (&self->emit_lock);
  if (g_atomic_int_get (&self->closed))
    {
      g_mutex_unlock (&self->emit_lock);
      return;
    }
  emit = g_new0 (EmitData, 1);
  g_weak_ref_init (&emit->cache, self);
  emit->what = what;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, what == LUMA_CACHE_EMIT_HISTORY_CHANGED ? "[luma] history-changed"
                                                                            : "[luma] indexes-ready");
  g_source_set_callback (source, emit_idle_cb, emit, emit_data_free);
  g_ptr_array_add (self->pending_emits, source);
  g_source_attach (source, self->context);
  g_mutex_unlock (&self->emit_lock);
}

/* ---- Arguments ----------------------------------------------------------------------------- */

gboolean
_luma_cache_check_license_type (LumaLicenseType   type,
                                GError          **error)
{
  if ((guint) type > LUMA_LICENSE_TYPE_USER)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Unknown license type %d", (int) type);
      return FALSE;
    }
  return TRUE;
}

/* ---- Opening and closing ------------------------------------------------------------------- */

/* Said once, in the user's words: see luma_cache_get_rebuild_message(). */
static char *
rebuild_message_new (LumaCacheSalvage salvage)
{
  GString *s = g_string_new (_("The local cache was damaged and was rebuilt: everything is synced again."));

  if (salvage & LUMA_CACHE_SALVAGE_OUTBOX_KEPT)
    g_string_append_printf (s, " %s", _("Your unsent changes to the email lists were kept."));
  else if (salvage & LUMA_CACHE_SALVAGE_OUTBOX_LOST)
    g_string_append_printf (s, " %s", _("Changes to the email lists that were not sent yet, "
                                        "if there were any, could not be recovered: check the "
                                        "lists and save them again."));
  if (salvage & LUMA_CACHE_SALVAGE_CONFLICT_KEPT)
    g_string_append_printf (s, " %s", _("The conflict over the email lists was kept."));
  else if (salvage & LUMA_CACHE_SALVAGE_CONFLICT_LOST)
    g_string_append_printf (s, " %s", _("A conflict over the email lists, if there was one, "
                                        "could not be recovered."));
  return g_string_free (s, FALSE);
}

/* @context: where signals are emitted; NULL for the thread-default one. */
static LumaCache *
open_internal (const char    *path,
               GMainContext  *context,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(LumaCache) self = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *moved_to = NULL;
  LumaCacheSalvage salvage = LUMA_CACHE_SALVAGE_NONE;
  LumaCacheDb *db = NULL;
  g_autofree char *ready = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return NULL;
    }
  db = _luma_cache_schema_open (path, &moved_to, &salvage, error);
  if (db == NULL)
    return NULL;

  self = g_object_new (LUMA_TYPE_CACHE, NULL);
  self->path = g_strdup (path);
  self->wdb = db;
  self->rebuilt = moved_to != NULL;
  self->corrupt_path = g_steal_pointer (&moved_to);
  self->salvage = salvage;
  if (self->rebuilt)
    self->rebuild_message = rebuild_message_new (salvage);
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();

  for (guint t = 0; t < 2; t++)
    {
      g_autoptr(GError) local = NULL;

      g_clear_pointer (&ready, g_free);
      ready = _luma_cache_meta_get (db, _luma_cache_history_tables[t].ready_key, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      self->indexes_ready[t] = g_strcmp0 (ready, "1") == 0;
    }

  self->ui_db = _luma_cache_db_open_read (path, error);
  if (self->ui_db == NULL)
    return NULL;

  {
    g_autofree char *marker = _luma_cache_open_marker_path (path);
    _luma_cache_create_file_0600 (marker, NULL);
  }

  _luma_cache_start_writer (self);
  return g_steal_pointer (&self);
}

LumaCache *
luma_cache_open_path (const char    *path,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return open_internal (path, NULL, cancellable, error);
}

char *
luma_cache_path_for_account (const char *server_url,
                             const char *account)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *name = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  g_checksum_update (checksum, (const guchar *) server_url, strlen (server_url));
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) account, strlen (account));
  name = g_strdup_printf ("%.32s.sqlite", g_checksum_get_string (checksum));
  return g_build_filename (g_get_user_cache_dir (), "luma-subscription", name, NULL);
}

static LumaCache *
open_for_account (const char    *server_url,
                  const char    *account,
                  GMainContext  *context,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(LumaCache) self = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  path = luma_cache_path_for_account (server_url, account);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return NULL;
    }

  self = open_internal (path, context, cancellable, error);
  if (self == NULL)
    return NULL;
  /* For people looking at the folder: which account a file belongs to. */
  if (!luma_cache_set_meta (self, "server_url", server_url, error) ||
      !luma_cache_set_meta (self, "account", account, error))
    return NULL;
  return g_steal_pointer (&self);
}

LumaCache *
luma_cache_open_for_account (const char    *server_url,
                             const char    *account,
                             GCancellable  *cancellable,
                             GError       **error)
{
  return open_for_account (server_url, account, NULL, cancellable, error);
}

typedef struct
{
  char *server_url;
  char *account;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_free (data->server_url);
  g_free (data->account);
  g_free (data);
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *data = task_data;
  GError *error = NULL;
  LumaCache *self;

  /* Signals are to be emitted in the caller's context, not this thread's. */
  self = open_for_account (data->server_url, data->account, g_task_get_context (task),
                           cancellable, &error);
  if (self == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, self, g_object_unref);
}

void
luma_cache_open_for_account_async (const char          *server_url,
                                   const char          *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  OpenData *data = g_new0 (OpenData, 1);

  data->server_url = g_strdup (server_url);
  data->account = g_strdup (account);
  g_task_set_source_tag (task, luma_cache_open_for_account_async);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  g_task_run_in_thread (task, open_thread);
}

LumaCache *
luma_cache_open_for_account_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
luma_cache_get_path (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  return self->path;
}

gboolean
luma_cache_was_rebuilt (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return self->rebuilt;
}

const char *
luma_cache_get_corrupt_path (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  return self->corrupt_path;
}

const char *
luma_cache_get_rebuild_message (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  return self->rebuild_message;
}

LumaCacheSalvage
luma_cache_get_salvage (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), LUMA_CACHE_SALVAGE_NONE);
  return self->salvage;
}


void
luma_cache_close (LumaCache *self)
{
  g_return_if_fail (LUMA_IS_CACHE (self));

  if (!g_atomic_int_compare_and_exchange (&self->closed, FALSE, TRUE))
    return;

  _luma_cache_stop_writer (self);

  g_mutex_lock (&self->ui_lock);
  g_clear_pointer (&self->ui_db, _luma_cache_db_free);
  g_mutex_unlock (&self->ui_lock);

  g_mutex_lock (&self->pool_lock);
  g_ptr_array_set_size (self->pool, 0);
  g_mutex_unlock (&self->pool_lock);

  /* After the writer has stopped, so that nothing new is queued: nobody may
   * ever iterate the context these wait in. */
  g_mutex_lock (&self->emit_lock);
  for (guint i = 0; i < self->pending_emits->len; i++)
    g_source_destroy (g_ptr_array_index (self->pending_emits, i));
  g_ptr_array_set_size (self->pending_emits, 0);
  g_mutex_unlock (&self->emit_lock);

  /* Last, so that closing it checkpoints the WAL into the main file
   * (read-only connections cannot). */
  if (self->wdb != NULL)
    {
      g_autofree char *marker = _luma_cache_open_marker_path (self->path);

      g_clear_pointer (&self->wdb, _luma_cache_db_free);
      g_unlink (marker);
    }

  luma_cache_discard_batch (self);
}

static void
luma_cache_dispose (GObject *object)
{
  LumaCache *self = LUMA_CACHE (object);

  luma_cache_close (self);
  G_OBJECT_CLASS (luma_cache_parent_class)->dispose (object);
}

static void
luma_cache_finalize (GObject *object)
{
  LumaCache *self = LUMA_CACHE (object);

  g_free (self->path);
  g_free (self->corrupt_path);
  g_free (self->rebuild_message);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_async_queue_unref (self->jobs);
  g_ptr_array_unref (self->pool);
  g_ptr_array_unref (self->pending_emits);
  g_ptr_array_unref (self->batch);
  g_mutex_clear (&self->ui_lock);
  g_mutex_clear (&self->pool_lock);
  g_mutex_clear (&self->emit_lock);
  g_mutex_clear (&self->batch_lock);
  G_OBJECT_CLASS (luma_cache_parent_class)->finalize (object);
}

static void
luma_cache_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LumaCache *self = LUMA_CACHE (object);

  switch (prop_id)
    {
    case PROP_INDEXES_READY:
      g_value_set_boolean (value, luma_cache_get_indexes_ready (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_cache_class_init (LumaCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_cache_dispose;
  object_class->finalize = luma_cache_finalize;
  object_class->get_property = luma_cache_get_property;

  properties[PROP_INDEXES_READY] =
    g_param_spec_boolean ("indexes-ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HISTORY_CHANGED] =
    g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
luma_cache_init (LumaCache *self)
{
  self->jobs = g_async_queue_new ();
  self->pool = g_ptr_array_new_with_free_func ((GDestroyNotify) _luma_cache_db_free);
  self->pending_emits = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->batch = _luma_cache_batch_new ();
  g_mutex_init (&self->ui_lock);
  g_mutex_init (&self->pool_lock);
  g_mutex_init (&self->emit_lock);
  g_mutex_init (&self->batch_lock);
}

