/* luma-cache-meta.c: the key/value table and the sync state (cursor, last sync, license type)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

/* ---- Keys and values ------------------------------------------------------------------------ */

gboolean
_luma_cache_meta_set (LumaCacheDb  *db,
                      const char   *key,
                      const char   *value,
                      GError      **error)
{
  sqlite3_stmt *stmt;

  if (value == NULL)
    {
      stmt = _luma_cache_db_prepare (db, "DELETE FROM meta WHERE key = ?1", error);
      if (stmt == NULL)
        return FALSE;
      _luma_cache_bind_text (stmt, 1, key);
      return _luma_cache_db_step_done (db, stmt, error);
    }
  stmt = _luma_cache_db_prepare (db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  _luma_cache_bind_text (stmt, 1, key);
  _luma_cache_bind_text (stmt, 2, value);
  return _luma_cache_db_step_done (db, stmt, error);
}

char *
_luma_cache_meta_get (LumaCacheDb  *db,
                      const char   *key,
                      GError      **error)
{
  sqlite3_stmt *stmt = _luma_cache_db_prepare (db, "SELECT value FROM meta WHERE key = ?1", error);
  char *value = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  _luma_cache_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    _luma_cache_set_sqlite_error (error, db->db, rc, "Cache");
  sqlite3_reset (stmt);
  return value;
}

typedef struct
{
  const char *key;
  const char *value;
} SetMetaArgs;

static gboolean
set_meta_func (LumaCache          *self,
               gpointer            data,
               LumaCacheWriteJob  *job,
               GCancellable       *cancellable,
               GError            **error)
{
  SetMetaArgs *args = data;

  return _luma_cache_meta_set (self->wdb, args->key, args->value, error);
}

gboolean
luma_cache_set_meta (LumaCache   *self,
                     const char  *key,
                     const char  *value,
                     GError     **error)
{
  SetMetaArgs args = { key, value };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  return _luma_cache_run_write (self, set_meta_func, &args, LUMA_CACHE_JOB_NONE, NULL, error);
}

char *
luma_cache_get_meta (LumaCache   *self,
                     const char  *key,
                     GError     **error)
{
  LumaCacheDb *db;
  char *value;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  value = _luma_cache_meta_get (db, key, error);
  _luma_cache_pool_release (self, db);
  return value;
}

/* ---- Sync state ----------------------------------------------------------------------------- */

static gboolean
reset_cursor_func (LumaCache          *self,
                   gpointer            data,
                   LumaCacheWriteJob  *job,
                   GCancellable       *cancellable,
                   GError            **error)
{
  return _luma_cache_db_exec_bound (self->wdb, "UPDATE sync_state SET cursor = NULL WHERE id = 1",
                                    error, "");
}

gboolean
luma_cache_reset_cursor (LumaCache  *self,
                         GError    **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return _luma_cache_run_write (self, reset_cursor_func, NULL, LUMA_CACHE_JOB_NONE, NULL, error);
}

/* @data: the gint64 unix seconds. */
static gboolean
set_last_synced_func (LumaCache          *self,
                      gpointer            data,
                      LumaCacheWriteJob  *job,
                      GCancellable       *cancellable,
                      GError            **error)
{
  return _luma_cache_db_exec_bound (self->wdb, "UPDATE sync_state SET last_synced = ?1 WHERE id = 1",
                                    error, "i", *(gint64 *) data);
}

gboolean
luma_cache_set_last_synced (LumaCache  *self,
                            gint64      unix_seconds,
                            GError    **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return _luma_cache_run_write (self, set_last_synced_func, &unix_seconds,
                                LUMA_CACHE_JOB_NONE, NULL, error);
}

static gboolean
read_sync_state (LumaCache  *self,
                 gint       *type_out,
                 char      **cursor_out,
                 gint64     *last_synced_out,
                 GError    **error)
{
  LumaCacheDb *db = _luma_cache_pool_acquire (self, NULL, error);
  sqlite3_stmt *stmt;
  int rc;

  if (db == NULL)
    return FALSE;
  stmt = _luma_cache_db_prepare (db, "SELECT license_type, cursor, last_synced FROM sync_state WHERE id = 1",
                                 error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return FALSE;
    }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (type_out != NULL)
        *type_out = sqlite3_column_type (stmt, 0) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 0);
      if (cursor_out != NULL)
        *cursor_out = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (last_synced_out != NULL)
        *last_synced_out = sqlite3_column_int64 (stmt, 2);
    }
  else
    _luma_cache_set_sqlite_error (error, db->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc,
                                  "Cannot read the sync state");
  sqlite3_reset (stmt);
  _luma_cache_pool_release (self, db);
  return rc == SQLITE_ROW;
}

char *
luma_cache_get_cursor (LumaCache  *self,
                       GError    **error)
{
  char *cursor = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  read_sync_state (self, NULL, &cursor, NULL, error);
  return cursor;
}

gint64
luma_cache_get_last_synced (LumaCache *self)
{
  gint64 last = 0;

  g_return_val_if_fail (LUMA_IS_CACHE (self), 0);
  read_sync_state (self, NULL, NULL, &last, NULL);
  return last;
}

gboolean
luma_cache_get_license_type (LumaCache       *self,
                             LumaLicenseType *out)
{
  gint type = -1;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  if (!read_sync_state (self, &type, NULL, NULL, NULL) || type < 0 || type > LUMA_LICENSE_TYPE_USER)
    return FALSE;
  if (out != NULL)
    *out = type;
  return TRUE;
}
