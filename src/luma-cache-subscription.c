/* luma-cache-subscription.c: the subscription table, with its ETag
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

typedef struct
{
  const LumaSubscription *subscription;
  const char             *etag;
} StoreSubscriptionArgs;

gboolean
_luma_cache_subscription_write (LumaCache               *self,
                                const LumaSubscription  *s,
                                const char              *etag,
                                GError                 **error)
{
  g_autofree char *technical = _luma_cache_strv_to_json ((const char *const *) s->technical_emails);
  g_autofree char *billing = _luma_cache_strv_to_json ((const char *const *) s->billing_emails);
  sqlite3_stmt *stmt;

  stmt = _luma_cache_db_prepare (self->wdb,
                                 "INSERT OR REPLACE INTO subscription (id, external_id, tenant_name,"
                                 " license_type, start_date, end_date, session_duration_minutes,"
                                 " total_purchase, consumed, available, overage, technical_emails,"
                                 " billing_emails, version, etag, stored_on) VALUES (1, ?1, ?2, ?3, ?4,"
                                 " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", error);
  if (stmt == NULL)
    return FALSE;
  _luma_cache_bind_text (stmt, 1, s->external_id != NULL ? s->external_id : "");
  _luma_cache_bind_text (stmt, 2, s->tenant_name != NULL ? s->tenant_name : "");
  sqlite3_bind_int (stmt, 3, s->license_type);
  sqlite3_bind_int64 (stmt, 4, s->start_date);
  sqlite3_bind_int64 (stmt, 5, s->end_date);
  sqlite3_bind_int64 (stmt, 6, s->session_duration_minutes);
  sqlite3_bind_int64 (stmt, 7, s->total_purchase);
  sqlite3_bind_int64 (stmt, 8, s->consumed);
  sqlite3_bind_int64 (stmt, 9, s->available);
  sqlite3_bind_int64 (stmt, 10, s->overage);
  _luma_cache_bind_text (stmt, 11, technical);
  _luma_cache_bind_text (stmt, 12, billing);
  sqlite3_bind_int64 (stmt, 13, s->version);
  _luma_cache_bind_text (stmt, 14, etag);
  sqlite3_bind_int64 (stmt, 15, g_get_real_time () / G_USEC_PER_SEC);
  return _luma_cache_db_step_done (self->wdb, stmt, error) &&
         _luma_cache_db_exec_bound (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error,
                                    "i", (gint64) s->license_type);
}

static gboolean
store_subscription_func (LumaCache          *self,
                         gpointer            data,
                         LumaCacheWriteJob  *job,
                         GCancellable       *cancellable,
                         GError            **error)
{
  StoreSubscriptionArgs *args = data;

  return _luma_cache_subscription_write (self, args->subscription, args->etag, error);
}

gboolean
luma_cache_store_subscription (LumaCache               *self,
                               const LumaSubscription  *subscription,
                               const char              *etag,
                               GError                 **error)
{
  StoreSubscriptionArgs args = { subscription, etag };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (subscription != NULL, FALSE);
  return _luma_cache_run_write (self, store_subscription_func, &args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

LumaSubscription *
luma_cache_get_subscription (LumaCache  *self,
                             char      **etag_out,
                             GError    **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  LumaSubscription *s = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (etag_out != NULL)
    *etag_out = NULL;
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = _luma_cache_db_prepare (db,
                                 "SELECT external_id, tenant_name, license_type, start_date, end_date,"
                                 " session_duration_minutes, total_purchase, consumed, available, overage,"
                                 " technical_emails, billing_emails, version, etag FROM subscription"
                                 " WHERE id = 1", error);
  if (stmt == NULL)
    goto out;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_auto(GStrv) technical = _luma_cache_json_to_strv ((const char *) sqlite3_column_text (stmt, 10), error);
      g_auto(GStrv) billing = technical != NULL ? _luma_cache_json_to_strv ((const char *) sqlite3_column_text (stmt, 11), error) : NULL;

      if (billing != NULL)
        {
          s = g_new0 (LumaSubscription, 1);
          s->external_id = g_strdup (_luma_cache_column_text (stmt, 0));
          s->tenant_name = g_strdup (_luma_cache_column_text (stmt, 1));
          s->license_type = sqlite3_column_int (stmt, 2);
          s->start_date = sqlite3_column_int64 (stmt, 3);
          s->end_date = sqlite3_column_int64 (stmt, 4);
          s->session_duration_minutes = sqlite3_column_int64 (stmt, 5);
          s->total_purchase = sqlite3_column_int64 (stmt, 6);
          s->consumed = sqlite3_column_int64 (stmt, 7);
          s->available = sqlite3_column_int64 (stmt, 8);
          s->overage = sqlite3_column_int64 (stmt, 9);
          s->technical_emails = g_steal_pointer (&technical);
          s->billing_emails = g_steal_pointer (&billing);
          s->version = sqlite3_column_int64 (stmt, 12);
          if (etag_out != NULL)
            *etag_out = g_strdup ((const char *) sqlite3_column_text (stmt, 13));
        }
    }
  else if (rc != SQLITE_DONE)
    _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the subscription");
  sqlite3_reset (stmt);

out:
  _luma_cache_pool_release (self, db);
  return s;
}
