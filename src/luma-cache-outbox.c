/* luma-cache-outbox.c: the pending edit of the contacts, and a conflict over it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

static LumaContacts *
contacts_from_columns (sqlite3_stmt  *stmt,
                       int            col_technical,
                       int            col_billing,
                       int            col_version,
                       GError       **error)
{
  g_auto(GStrv) technical = _luma_cache_json_to_strv ((const char *) sqlite3_column_text (stmt, col_technical), error);
  g_auto(GStrv) billing = NULL;

  if (technical == NULL)
    return NULL;
  billing = _luma_cache_json_to_strv ((const char *) sqlite3_column_text (stmt, col_billing), error);
  if (billing == NULL)
    return NULL;
  return luma_contacts_new ((const char *const *) technical, (const char *const *) billing,
                            sqlite3_column_int64 (stmt, col_version));
}

/* ---- The outbox ----------------------------------------------------------------------------- */

static gboolean
write_outbox (LumaCache           *self,
              const LumaContacts  *edit,
              GError             **error)
{
  g_autofree char *technical = _luma_cache_strv_to_json ((const char *const *) edit->technical_emails);
  g_autofree char *billing = _luma_cache_strv_to_json ((const char *const *) edit->billing_emails);

  return _luma_cache_db_exec_bound (self->wdb,
                                    "INSERT OR REPLACE INTO outbox (id, technical_emails, billing_emails,"
                                    " base_version, queued_on) VALUES (1, ?1, ?2, ?3, ?4)", error,
                                    "ssii", technical, billing, edit->version,
                                    g_get_real_time () / G_USEC_PER_SEC);
}

/* @data: the LumaContacts to queue. */
static gboolean
outbox_queue_func (LumaCache          *self,
                   gpointer            data,
                   LumaCacheWriteJob  *job,
                   GCancellable       *cancellable,
                   GError            **error)
{
  return write_outbox (self, data, error);
}

gboolean
luma_cache_outbox_queue (LumaCache           *self,
                         const LumaContacts  *edit,
                         GError             **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (edit != NULL, FALSE);
  return _luma_cache_run_write (self, outbox_queue_func, (gpointer) edit,
                                LUMA_CACHE_JOB_NONE, NULL, error);
}

void
luma_cache_outbox_queue_async (LumaCache           *self,
                               const LumaContacts  *edit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (edit != NULL);
  /* Not cancellable: what the user typed must reach the disk. */
  _luma_cache_run_write_async (self, outbox_queue_func, luma_contacts_copy (edit),
                               (GDestroyNotify) luma_contacts_free, LUMA_CACHE_JOB_NONE,
                               luma_cache_outbox_queue_async, NULL, callback, user_data);
}

gboolean
luma_cache_outbox_queue_finish (LumaCache     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return _luma_cache_finish_write (self, result, NULL, error);
}

static gboolean
outbox_clear_func (LumaCache          *self,
                   gpointer            data,
                   LumaCacheWriteJob  *job,
                   GCancellable       *cancellable,
                   GError            **error)
{
  return _luma_cache_db_exec_bound (self->wdb, "DELETE FROM outbox", error, "");
}

gboolean
luma_cache_outbox_clear (LumaCache  *self,
                         GError    **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return _luma_cache_run_write (self, outbox_clear_func, NULL, LUMA_CACHE_JOB_NONE, NULL, error);
}

/* The pending edit on @db (NULL when there is none). FALSE on error. */
static gboolean
read_outbox (LumaCacheDb   *db,
             LumaContacts **edit_out,
             gint64        *queued_on_out,
             GError       **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;
  int rc;

  *edit_out = NULL;
  stmt = _luma_cache_db_prepare (db, "SELECT technical_emails, billing_emails, base_version, queued_on"
                                     " FROM outbox WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *edit_out = contacts_from_columns (stmt, 0, 1, 2, error);
      ok = *edit_out != NULL;
      if (queued_on_out != NULL)
        *queued_on_out = sqlite3_column_int64 (stmt, 3);
    }
  else if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the outbox");
      ok = FALSE;
    }
  sqlite3_reset (stmt);
  return ok;
}

LumaContacts *
luma_cache_outbox_peek (LumaCache  *self,
                        gint64     *queued_on_out,
                        GError    **error)
{
  LumaCacheDb *db;
  LumaContacts *edit = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  read_outbox (db, &edit, queued_on_out, error);
  _luma_cache_pool_release (self, db);
  return edit;
}

/* ---- The conflict --------------------------------------------------------------------------- */

typedef struct
{
  const LumaContacts *mine;
  const LumaContacts *theirs;
} StoreConflictArgs;

static gboolean
write_conflict (LumaCache           *self,
                const LumaContacts  *mine,
                const LumaContacts  *theirs,
                GError             **error)
{
  g_autofree char *mt = _luma_cache_strv_to_json ((const char *const *) mine->technical_emails);
  g_autofree char *mb = _luma_cache_strv_to_json ((const char *const *) mine->billing_emails);
  g_autofree char *tt = _luma_cache_strv_to_json ((const char *const *) theirs->technical_emails);
  g_autofree char *tb = _luma_cache_strv_to_json ((const char *const *) theirs->billing_emails);

  return _luma_cache_db_exec_bound (self->wdb,
                                    "INSERT OR REPLACE INTO contacts_conflict (id, mine_technical_emails,"
                                    " mine_billing_emails, mine_base_version, theirs_technical_emails,"
                                    " theirs_billing_emails, theirs_version, detected_on)"
                                    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)", error,
                                    "ssissii", mt, mb, mine->version, tt, tb, theirs->version,
                                    g_get_real_time () / G_USEC_PER_SEC) &&
         _luma_cache_db_exec_bound (self->wdb, "DELETE FROM outbox", error, "");
}

static gboolean
store_conflict_func (LumaCache          *self,
                     gpointer            data,
                     LumaCacheWriteJob  *job,
                     GCancellable       *cancellable,
                     GError            **error)
{
  StoreConflictArgs *args = data;

  return write_conflict (self, args->mine, args->theirs, error);
}

gboolean
luma_cache_store_conflict (LumaCache           *self,
                           const LumaContacts  *mine,
                           const LumaContacts  *theirs,
                           GError             **error)
{
  StoreConflictArgs args = { mine, theirs };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (mine != NULL && theirs != NULL, FALSE);
  return _luma_cache_run_write (self, store_conflict_func, &args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

/* @data: a copy of the chosen lists (their version is set here) or NULL. */
static gboolean
resolve_conflict_func (LumaCache          *self,
                       gpointer            data,
                       LumaCacheWriteJob  *job,
                       GCancellable       *cancellable,
                       GError            **error)
{
  LumaContacts *chosen = data;

  if (chosen != NULL)
    {
      sqlite3_stmt *stmt = _luma_cache_db_prepare (self->wdb,
                                                   "SELECT theirs_version FROM contacts_conflict WHERE id = 1",
                                                   error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        chosen->version = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          _luma_cache_set_sqlite_error (error, self->wdb->db, rc, "Cache");
          return FALSE;
        }
      if (!write_outbox (self, chosen, error))
        return FALSE;
    }
  return _luma_cache_db_exec_bound (self->wdb, "DELETE FROM contacts_conflict", error, "");
}

gboolean
luma_cache_resolve_conflict (LumaCache           *self,
                             const LumaContacts  *chosen,
                             GError             **error)
{
  g_autoptr(LumaContacts) copy = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  copy = chosen != NULL ? luma_contacts_copy (chosen) : NULL;
  return _luma_cache_run_write (self, resolve_conflict_func, copy,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

void
luma_cache_resolve_conflict_async (LumaCache           *self,
                                   const LumaContacts  *chosen,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  _luma_cache_run_write_async (self, resolve_conflict_func,
                               chosen != NULL ? luma_contacts_copy (chosen) : NULL,
                               (GDestroyNotify) luma_contacts_free, LUMA_CACHE_JOB_TRANSACTION,
                               luma_cache_resolve_conflict_async, NULL, callback, user_data);
}

gboolean
luma_cache_resolve_conflict_finish (LumaCache     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return _luma_cache_finish_write (self, result, NULL, error);
}

gboolean
luma_cache_get_conflict (LumaCache     *self,
                         LumaContacts **mine_out,
                         LumaContacts **theirs_out,
                         GError       **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  gboolean found = FALSE;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return FALSE;
  stmt = _luma_cache_db_prepare (db, "SELECT mine_technical_emails, mine_billing_emails, mine_base_version,"
                                     " theirs_technical_emails, theirs_billing_emails, theirs_version"
                                     " FROM contacts_conflict WHERE id = 1", error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          g_autoptr(LumaContacts) mine = contacts_from_columns (stmt, 0, 1, 2, error);
          g_autoptr(LumaContacts) theirs = mine != NULL ? contacts_from_columns (stmt, 3, 4, 5, error) : NULL;

          if (theirs != NULL)
            {
              found = TRUE;
              if (mine_out != NULL)
                *mine_out = g_steal_pointer (&mine);
              if (theirs_out != NULL)
                *theirs_out = g_steal_pointer (&theirs);
            }
        }
      else if (rc != SQLITE_DONE)
        _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the conflict");
      sqlite3_reset (stmt);
    }
  _luma_cache_pool_release (self, db);
  return found;
}

/* ---- Settling a push ------------------------------------------------------------------------
 *
 * The answer to a push and the outbox meet in one transaction on the
 * writer: whatever the user saved while the push was in flight is read
 * here, after every write queued before, so it is never lost, and there is
 * no state between "the server took it" and "the outbox knows" that a
 * crash could leave behind. */

static gboolean
lists_equal (const LumaContacts *a,
             const LumaContacts *b)
{
  return g_strv_equal ((const char *const *) a->technical_emails,
                       (const char *const *) b->technical_emails) &&
         g_strv_equal ((const char *const *) a->billing_emails,
                       (const char *const *) b->billing_emails);
}

typedef struct
{
  LumaContacts     *pushed;
  LumaSubscription *subscription;  /* (nullable) the push was taken */
  LumaContacts     *theirs;        /* (nullable) 412: the server's lists */
  LumaPushSettled   settled;
} SettlePushArgs;

static void
settle_push_args_free (SettlePushArgs *args)
{
  g_clear_pointer (&args->pushed, luma_contacts_free);
  g_clear_pointer (&args->subscription, luma_subscription_free);
  g_clear_pointer (&args->theirs, luma_contacts_free);
  g_free (args);
}

static gboolean
settle_push_func (LumaCache          *self,
                  gpointer            data,
                  LumaCacheWriteJob  *job,
                  GCancellable       *cancellable,
                  GError            **error)
{
  SettlePushArgs *args = data;
  g_autoptr(LumaContacts) pending = NULL;
  /* An edit saved on the base the push was made on: the pushed one, or one
   * typed over it while it was in flight. */
  gboolean same_base;

  if (!read_outbox (self->wdb, &pending, NULL, error))
    return FALSE;
  same_base = pending != NULL && pending->version == args->pushed->version;

  if (args->subscription != NULL)
    {
      /* The ETag of the new state is unknown: none is stored, so the next
       * sync asks for the whole subscription again. */
      if (!_luma_cache_subscription_write (self, args->subscription, NULL, error))
        return FALSE;

      if (same_base && lists_equal (pending, args->pushed))
        {
          args->settled = LUMA_PUSH_SETTLED_CLEARED;
          return _luma_cache_db_exec_bound (self->wdb, "DELETE FROM outbox", error, "");
        }
      if (same_base)
        {
          /* Only the base moves: the lists are what the user typed last. */
          args->settled = LUMA_PUSH_SETTLED_REBASED;
          return _luma_cache_db_exec_bound (self->wdb, "UPDATE outbox SET base_version = ?1 WHERE id = 1",
                                            error, "i", args->subscription->version);
        }
      /* Nothing pending, or an edit on another base (a resolution): it is
       * pushed on its own. */
      args->settled = LUMA_PUSH_SETTLED_KEPT;
      return TRUE;
    }

  g_return_val_if_fail (args->theirs != NULL, FALSE);

  if (pending != NULL && !same_base)
    {
      args->settled = LUMA_PUSH_SETTLED_KEPT;
      return TRUE;
    }
  {
    const LumaContacts *mine = pending != NULL ? pending : args->pushed;

    /* The server already holds these lists (an earlier push of them was
     * taken): there is nothing to resolve. */
    if (lists_equal (mine, args->theirs))
      {
        args->settled = LUMA_PUSH_SETTLED_CLEARED;
        return _luma_cache_db_exec_bound (self->wdb, "DELETE FROM outbox", error, "");
      }
    args->settled = LUMA_PUSH_SETTLED_CONFLICT;
    return write_conflict (self, mine, args->theirs, error);
  }
}

void
luma_cache_settle_push_async (LumaCache               *self,
                              const LumaContacts      *pushed,
                              const LumaSubscription  *subscription,
                              const LumaContacts      *theirs,
                              GAsyncReadyCallback      callback,
                              gpointer                 user_data)
{
  SettlePushArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (pushed != NULL);
  g_return_if_fail ((subscription != NULL) != (theirs != NULL));

  args = g_new0 (SettlePushArgs, 1);
  args->pushed = luma_contacts_copy (pushed);
  args->subscription = subscription != NULL ? luma_subscription_copy (subscription) : NULL;
  args->theirs = theirs != NULL ? luma_contacts_copy (theirs) : NULL;
  /* Not cancellable: the server's answer must reach the disk. */
  _luma_cache_run_write_async (self, settle_push_func, args,
                               (GDestroyNotify) settle_push_args_free, LUMA_CACHE_JOB_TRANSACTION,
                               luma_cache_settle_push_async, NULL, callback, user_data);
}

LumaPushSettled
luma_cache_settle_push_finish (LumaCache     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  SettlePushArgs *args;

  g_return_val_if_fail (g_task_is_valid (result, self), LUMA_PUSH_SETTLED_KEPT);
  if (!_luma_cache_finish_write (self, result, NULL, error))
    return LUMA_PUSH_SETTLED_FAILED;
  args = g_task_get_task_data (G_TASK (result));
  return args->settled;
}

/* ---- Salvage from a damaged file ------------------------------------------------------------
 *
 * The pending edit and the conflict are the only things in the cache the
 * server does not also have: when a damaged file is moved aside, they are
 * copied from it into the new cache when they can still be read. */

/* Copies the row of @table (@n_cols columns, @n_lists of them JSON lists
 * first) from @damaged into @db. */
static LumaCacheSalvage
salvage_row (sqlite3     *damaged,
             LumaCacheDb *db,
             const char  *table,
             const char  *columns,
             guint        n_cols,
             guint        n_lists,
             LumaCacheSalvage kept,
             LumaCacheSalvage lost)
{
  g_autofree char *select = g_strdup_printf ("SELECT %s FROM %s WHERE id = 1", columns, table);
  g_autoptr(GString) insert = g_string_new (NULL);
  sqlite3_stmt *from = NULL;
  sqlite3_stmt *to = NULL;
  LumaCacheSalvage result = lost;
  int rc;

  if (sqlite3_prepare_v2 (damaged, select, -1, &from, NULL) != SQLITE_OK)
    goto out;
  rc = sqlite3_step (from);
  if (rc == SQLITE_DONE)
    {
      result = LUMA_CACHE_SALVAGE_NONE;
      goto out;
    }
  if (rc != SQLITE_ROW)
    goto out;

  /* Only what still reads as what it should be. */
  for (guint i = 0; i < n_cols; i++)
    {
      if (i < n_lists)
        {
          g_auto(GStrv) list = NULL;

          if (sqlite3_column_type (from, i) != SQLITE_TEXT)
            goto out;
          list = _luma_cache_json_to_strv ((const char *) sqlite3_column_text (from, i), NULL);
          if (list == NULL)
            goto out;
        }
      else if (sqlite3_column_type (from, i) != SQLITE_INTEGER)
        goto out;
    }

  g_string_printf (insert, "INSERT OR REPLACE INTO %s (id, %s) VALUES (1", table, columns);
  for (guint i = 0; i < n_cols; i++)
    g_string_append_printf (insert, ", ?%u", i + 1);
  g_string_append (insert, ")");
  if (sqlite3_prepare_v2 (db->db, insert->str, -1, &to, NULL) != SQLITE_OK)
    goto out;
  for (guint i = 0; i < n_cols; i++)
    sqlite3_bind_value (to, i + 1, sqlite3_column_value (from, i));
  if (sqlite3_step (to) == SQLITE_DONE)
    result = kept;

out:
  sqlite3_finalize (from);
  sqlite3_finalize (to);
  return result;
}

LumaCacheSalvage
_luma_cache_outbox_salvage (LumaCacheDb *db,
                            const char  *damaged_path)
{
  sqlite3 *damaged = NULL;
  LumaCacheSalvage result;

  if (sqlite3_open_v2 (damaged_path, &damaged, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (damaged);
      return LUMA_CACHE_SALVAGE_OUTBOX_LOST | LUMA_CACHE_SALVAGE_CONFLICT_LOST;
    }
  sqlite3_busy_timeout (damaged, 1000);

  result = salvage_row (damaged, db, "outbox", "technical_emails, billing_emails, base_version, queued_on",
                        4, 2, LUMA_CACHE_SALVAGE_OUTBOX_KEPT, LUMA_CACHE_SALVAGE_OUTBOX_LOST);
  result |= salvage_row (damaged, db, "contacts_conflict",
                         "mine_technical_emails, mine_billing_emails, theirs_technical_emails,"
                         " theirs_billing_emails, mine_base_version, theirs_version, detected_on",
                         7, 4, LUMA_CACHE_SALVAGE_CONFLICT_KEPT, LUMA_CACHE_SALVAGE_CONFLICT_LOST);
  sqlite3_close (damaged);
  return result;
}
