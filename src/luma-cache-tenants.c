/* luma-cache-tenants.c: a superadmin's tenant list, for the tenants page
 * offline, and each tenant's consumption over time, for the recent rate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"
#include "luma-capacity.h"

typedef struct
{
  GPtrArray *tenants;    /* LumaTenantSummary* */
  gint64     stored_on;  /* unix seconds UTC */
} StoreTenantsArgs;

/* Samples older than the rate's window are of no more use. */
#define SAMPLES_KEPT_S (LUMA_CAPACITY_RATE_WINDOW_S + 86400)

static void
store_tenants_args_free (StoreTenantsArgs *args)
{
  g_ptr_array_unref (args->tenants);
  g_free (args);
}

/* At @column the time, then the change: NULL unknown, 0 never. */
static void
bind_last_refill (sqlite3_stmt            *stmt,
                  int                      column,
                  const LumaTenantSummary *t)
{
  switch (t->last_refill)
    {
    case LUMA_LAST_REFILL_KNOWN:
      sqlite3_bind_int64 (stmt, column, t->last_refill_at);
      sqlite3_bind_int64 (stmt, column + 1, t->last_refill_change);
      break;
    case LUMA_LAST_REFILL_NEVER:
      sqlite3_bind_null (stmt, column);
      sqlite3_bind_int64 (stmt, column + 1, 0);
      break;
    case LUMA_LAST_REFILL_UNKNOWN:
    default:
      sqlite3_bind_null (stmt, column);
      sqlite3_bind_null (stmt, column + 1);
      break;
    }
}

static void
read_last_refill (sqlite3_stmt      *stmt,
                  int                column,
                  LumaTenantSummary *t)
{
  if (sqlite3_column_type (stmt, column + 1) == SQLITE_NULL)
    t->last_refill = LUMA_LAST_REFILL_UNKNOWN;
  else if (sqlite3_column_int64 (stmt, column + 1) == 0)
    t->last_refill = LUMA_LAST_REFILL_NEVER;
  else
    {
      t->last_refill = LUMA_LAST_REFILL_KNOWN;
      t->last_refill_at = sqlite3_column_int64 (stmt, column);
      t->last_refill_change = sqlite3_column_int64 (stmt, column + 1);
    }
}

static gboolean
store_tenants_func (LumaCache          *self,
                    gpointer            data,
                    LumaCacheWriteJob  *job,
                    GCancellable       *cancellable,
                    GError            **error)
{
  StoreTenantsArgs *args = data;
  sqlite3_stmt *stmt;
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, args->stored_on);
  g_autofree char *prune = g_strdup_printf ("DELETE FROM tenant_samples WHERE sampled_on < %" G_GINT64_FORMAT,
                                            args->stored_on - SAMPLES_KEPT_S);

  if (!_luma_cache_db_exec (self->wdb, "DELETE FROM tenants", error) ||
      !_luma_cache_db_exec (self->wdb, prune, error))
    return FALSE;
  for (guint i = 0; i < args->tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (args->tenants, i);

      stmt = _luma_cache_db_prepare (self->wdb,
                                     "INSERT OR REPLACE INTO tenants (position, external_id, tenant_name,"
                                     " license_type, start_date, end_date, total_purchase, consumed, available,"
                                     " overage, last_refill_on, last_refill_change)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, i);
      _luma_cache_bind_text (stmt, 2, t->external_id != NULL ? t->external_id : "");
      _luma_cache_bind_text (stmt, 3, t->tenant_name != NULL ? t->tenant_name : "");
      sqlite3_bind_int (stmt, 4, t->license_type);
      sqlite3_bind_int64 (stmt, 5, t->start_date);
      sqlite3_bind_int64 (stmt, 6, t->end_date);
      sqlite3_bind_int64 (stmt, 7, t->total_purchase);
      sqlite3_bind_int64 (stmt, 8, t->consumed);
      sqlite3_bind_int64 (stmt, 9, t->available);
      sqlite3_bind_int64 (stmt, 10, t->overage);
      bind_last_refill (stmt, 11, t);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        return FALSE;

      /* The first of the day stays: a rate over days, not minutes. */
      stmt = _luma_cache_db_prepare (self->wdb,
                                     "INSERT OR IGNORE INTO tenant_samples (external_id, day, term_start,"
                                     " sampled_on, consumed) VALUES (?1, ?2, ?3, ?4, ?5)", error);
      if (stmt == NULL)
        return FALSE;
      _luma_cache_bind_text (stmt, 1, t->external_id != NULL ? t->external_id : "");
      sqlite3_bind_int64 (stmt, 2, args->stored_on / 86400);
      sqlite3_bind_int64 (stmt, 3, t->start_date);
      sqlite3_bind_int64 (stmt, 4, args->stored_on);
      sqlite3_bind_int64 (stmt, 5, t->consumed);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        return FALSE;
    }
  return _luma_cache_meta_set (self->wdb, "tenants_stored_on", now, error);
}

gboolean
luma_cache_store_tenants (LumaCache  *self,
                          GPtrArray  *tenants,
                          GError    **error)
{
  StoreTenantsArgs args = { tenants, g_get_real_time () / G_USEC_PER_SEC };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenants != NULL, FALSE);
  return _luma_cache_run_write (self, store_tenants_func, &args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

void
luma_cache_store_tenants_async (LumaCache           *self,
                                GPtrArray           *tenants,
                                gint64               now,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  StoreTenantsArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (tenants != NULL);

  args = g_new0 (StoreTenantsArgs, 1);
  args->tenants = g_ptr_array_ref (tenants);
  args->stored_on = now;
  _luma_cache_run_write_async (self, store_tenants_func, args, (GDestroyNotify) store_tenants_args_free,
                               LUMA_CACHE_JOB_TRANSACTION, luma_cache_store_tenants_async,
                               cancellable, callback, user_data);
}

gboolean
luma_cache_store_tenants_finish (LumaCache     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _luma_cache_finish_write (self, result, NULL, error);
}

GHashTable *
luma_cache_get_tenant_samples (LumaCache  *self,
                               gint64      since,
                               GError    **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GHashTable) samples = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  /* SQLite takes the other columns from the row of the MIN(). */
  stmt = _luma_cache_db_prepare (db,
                                 "SELECT external_id, term_start, MIN(sampled_on), consumed FROM tenant_samples"
                                 " WHERE sampled_on >= ?1 GROUP BY external_id, term_start", error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, since);
  samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id = _luma_cache_column_text (stmt, 0);
      LumaConsumptionSample *sample = g_hash_table_lookup (samples, id);

      /* Of two terms in the window, the later is the current one. */
      if (sample != NULL && sample->term_start > sqlite3_column_int64 (stmt, 1))
        continue;
      if (sample == NULL)
        {
          sample = g_new0 (LumaConsumptionSample, 1);
          g_hash_table_insert (samples, g_strdup (id), sample);
        }
      sample->term_start = sqlite3_column_int64 (stmt, 1);
      sample->sampled_on = sqlite3_column_int64 (stmt, 2);
      sample->consumed = sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the tenants' consumption samples");
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&samples);
}

LumaTenantSummary *
_luma_cache_tenant_summary_from_row (sqlite3_stmt *stmt)
{
  LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);

  t->external_id = g_strdup (_luma_cache_column_text (stmt, 0));
  t->tenant_name = g_strdup (_luma_cache_column_text (stmt, 1));
  t->license_type = sqlite3_column_int (stmt, 2);
  t->start_date = sqlite3_column_int64 (stmt, 3);
  t->end_date = sqlite3_column_int64 (stmt, 4);
  t->total_purchase = sqlite3_column_int64 (stmt, 5);
  t->consumed = sqlite3_column_int64 (stmt, 6);
  t->available = sqlite3_column_int64 (stmt, 7);
  t->overage = sqlite3_column_int64 (stmt, 8);
  return t;
}

GPtrArray *
luma_cache_get_tenants (LumaCache  *self,
                        gint64     *stored_on_out,
                        GError    **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autofree char *stored_on = NULL;
  GError *local = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (stored_on_out != NULL)
    *stored_on_out = 0;
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stored_on = _luma_cache_meta_get (db, "tenants_stored_on", &local);
  if (local != NULL || stored_on == NULL)
    {
      /* Never stored: NULL without an error. */
      if (local != NULL)
        g_propagate_error (error, local);
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  stmt = _luma_cache_db_prepare (db,
                                 "SELECT " LUMA_CACHE_TENANT_SUMMARY_COLS ", last_refill_on, last_refill_change"
                                 " FROM tenants ORDER BY position", error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaTenantSummary *t = _luma_cache_tenant_summary_from_row (stmt);

      read_last_refill (stmt, 9, t);
      g_ptr_array_add (tenants, t);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the tenant list");
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  _luma_cache_pool_release (self, db);
  if (stored_on_out != NULL)
    *stored_on_out = g_ascii_strtoll (stored_on, NULL, 10);
  return g_steal_pointer (&tenants);
}
