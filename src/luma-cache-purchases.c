/* luma-cache-purchases.c: the purchase history table, with its ETag
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

typedef struct
{
  GPtrArray  *purchases;  /* LumaPurchase* */
  const char *etag;
} StorePurchasesArgs;

static gboolean
store_purchases_func (LumaCache          *self,
                      gpointer            data,
                      LumaCacheWriteJob  *job,
                      GCancellable       *cancellable,
                      GError            **error)
{
  StorePurchasesArgs *args = data;
  sqlite3_stmt *stmt;

  if (!_luma_cache_db_exec (self->wdb, "DELETE FROM purchases", error))
    return FALSE;
  for (guint i = 0; i < args->purchases->len; i++)
    {
      const LumaPurchase *p = g_ptr_array_index (args->purchases, i);

      stmt = _luma_cache_db_prepare (self->wdb,
                                     "INSERT OR REPLACE INTO purchases (position, purchase_id, performed_on, kind,"
                                     " change, total_after, performed_by, reason, reference)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, i);
      _luma_cache_bind_text (stmt, 2, p->purchase_id);
      sqlite3_bind_int64 (stmt, 3, p->performed_on);
      sqlite3_bind_int (stmt, 4, p->kind);
      sqlite3_bind_int64 (stmt, 5, p->change);
      sqlite3_bind_int64 (stmt, 6, p->total_after);
      _luma_cache_bind_text (stmt, 7, p->performed_by != NULL ? p->performed_by : "");
      _luma_cache_bind_text (stmt, 8, p->reason != NULL ? p->reason : "");
      _luma_cache_bind_text (stmt, 9, p->reference);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        return FALSE;
    }
  return _luma_cache_meta_set (self->wdb, "purchases_etag", args->etag, error) &&
         _luma_cache_meta_set (self->wdb, "purchases_stored", "1", error);
}

gboolean
luma_cache_store_purchases (LumaCache   *self,
                            GPtrArray   *purchases,
                            const char  *etag,
                            GError     **error)
{
  StorePurchasesArgs args = { purchases, etag };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (purchases != NULL, FALSE);
  return _luma_cache_run_write (self, store_purchases_func, &args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

GPtrArray *
luma_cache_get_purchases (LumaCache  *self,
                          char      **etag_out,
                          GError    **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) purchases = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_purchase_free);
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (etag_out != NULL)
    *etag_out = NULL;
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = _luma_cache_db_prepare (db,
                                 "SELECT purchase_id, performed_on, kind, change, total_after, performed_by,"
                                 " reason, reference FROM purchases ORDER BY position", error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaPurchase *p = g_new0 (LumaPurchase, 1);

      p->purchase_id = g_strdup (_luma_cache_column_text (stmt, 0));
      p->performed_on = sqlite3_column_int64 (stmt, 1);
      p->kind = sqlite3_column_int (stmt, 2);
      p->change = sqlite3_column_int64 (stmt, 3);
      p->total_after = sqlite3_column_int64 (stmt, 4);
      p->performed_by = g_strdup (_luma_cache_column_text (stmt, 5));
      p->reason = g_strdup (_luma_cache_column_text (stmt, 6));
      p->reference = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
      g_ptr_array_add (purchases, p);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the purchases");
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  if (etag_out != NULL)
    {
      g_autoptr(GError) local = NULL;
      *etag_out = _luma_cache_meta_get (db, "purchases_etag", &local);
    }
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&purchases);
}
