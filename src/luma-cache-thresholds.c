/* luma-cache-thresholds.c: the consumption thresholds already notified, per tenant and term
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

/* The two writes of the table, on the writer connection. */
static gboolean
write_notified (LumaCache   *self,
                const char  *tenant,
                gint64       term_start,
                gint         percent,
                gint64       notified_on,
                GError     **error)
{
  return _luma_cache_db_exec_bound (self->wdb,
                                    "INSERT OR REPLACE INTO notified_thresholds (tenant, term_start, percent,"
                                    " notified_on) VALUES (?1, ?2, ?3, ?4)", error,
                                    "siii", tenant, term_start, (gint64) percent, notified_on);
}

static gboolean
delete_notified_above (LumaCache   *self,
                       const char  *tenant,
                       gint64       term_start,
                       gdouble      percent,
                       GError     **error)
{
  return _luma_cache_db_exec_bound (self->wdb,
                                    "DELETE FROM notified_thresholds WHERE tenant = ?1 AND term_start = ?2"
                                    " AND percent > ?3", error,
                                    "sid", tenant, term_start, percent);
}

typedef struct
{
  const char *tenant;
  gint64      term_start;
  gint        percent;
  gint64      notified_on;
} RecordThresholdArgs;

static gboolean
record_threshold_func (LumaCache          *self,
                       gpointer            data,
                       LumaCacheWriteJob  *job,
                       GCancellable       *cancellable,
                       GError            **error)
{
  RecordThresholdArgs *args = data;

  return write_notified (self, args->tenant, args->term_start, args->percent, args->notified_on, error);
}

gboolean
luma_cache_record_threshold_notified (LumaCache   *self,
                                      const char  *tenant,
                                      gint64       term_start,
                                      gint         percent,
                                      gint64       notified_on,
                                      GError     **error)
{
  RecordThresholdArgs args = { tenant, term_start, percent, notified_on };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);
  return _luma_cache_run_write (self, record_threshold_func, &args,
                                LUMA_CACHE_JOB_NONE, NULL, error);
}

typedef struct
{
  const char *tenant;
  gint64      term_start;
  gdouble     percent;
} ClearThresholdsArgs;

static gboolean
clear_thresholds_func (LumaCache          *self,
                       gpointer            data,
                       LumaCacheWriteJob  *job,
                       GCancellable       *cancellable,
                       GError            **error)
{
  ClearThresholdsArgs *args = data;

  return delete_notified_above (self, args->tenant, args->term_start, args->percent, error);
}

gboolean
luma_cache_clear_thresholds_above (LumaCache   *self,
                                   const char  *tenant,
                                   gint64       term_start,
                                   gdouble      percent,
                                   GError     **error)
{
  ClearThresholdsArgs args = { tenant, term_start, percent };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);
  return _luma_cache_run_write (self, clear_thresholds_func, &args,
                                LUMA_CACHE_JOB_NONE, NULL, error);
}

GArray *
luma_cache_get_notified_thresholds (LumaCache   *self,
                                    const char  *tenant,
                                    gint64       term_start,
                                    GError     **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GArray) result = g_array_new (FALSE, FALSE, sizeof (gint));
  int rc = SQLITE_DONE;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (tenant != NULL, NULL);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = _luma_cache_db_prepare (db, "SELECT percent FROM notified_thresholds WHERE tenant = ?1"
                                     " AND term_start = ?2 ORDER BY percent", error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  _luma_cache_bind_text (stmt, 1, tenant);
  sqlite3_bind_int64 (stmt, 2, term_start);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint percent = sqlite3_column_int (stmt, 0);
      g_array_append_val (result, percent);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the notified thresholds");
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&result);
}

/* ---- Every tenant at once (a superadmin's tenant list) -------------------------------------- */

gboolean
luma_cache_foreach_notified_threshold (LumaCache                   *self,
                                       LumaCacheThresholdRowFunc    func,
                                       gpointer                     user_data,
                                       GError                     **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return FALSE;
  stmt = _luma_cache_db_prepare (db, "SELECT tenant, term_start, percent FROM notified_thresholds",
                                 error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    func (_luma_cache_column_text (stmt, 0), sqlite3_column_int64 (stmt, 1),
          sqlite3_column_int (stmt, 2), user_data);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the notified thresholds");
      _luma_cache_pool_release (self, db);
      return FALSE;
    }
  _luma_cache_pool_release (self, db);
  return TRUE;
}

typedef struct
{
  const LumaCacheThresholdChange *changes;
  guint                           n_changes;
  gint64                          notified_on;
} ApplyChangesArgs;

static gboolean
apply_changes_func (LumaCache          *self,
                    gpointer            data,
                    LumaCacheWriteJob  *job,
                    GCancellable       *cancellable,
                    GError            **error)
{
  ApplyChangesArgs *args = data;

  for (guint i = 0; i < args->n_changes; i++)
    {
      const LumaCacheThresholdChange *change = &args->changes[i];

      if (change->clear_above >= 0 &&
          !delete_notified_above (self, change->tenant, change->term_start, change->clear_above, error))
        return FALSE;
      for (guint j = 0; j < change->n_record && j < G_N_ELEMENTS (change->record); j++)
        if (!write_notified (self, change->tenant, change->term_start, change->record[j],
                             args->notified_on, error))
          return FALSE;
    }
  return TRUE;
}

gboolean
luma_cache_apply_threshold_changes (LumaCache                       *self,
                                    const LumaCacheThresholdChange  *changes,
                                    guint                            n_changes,
                                    gint64                           notified_on,
                                    GError                         **error)
{
  ApplyChangesArgs args = { changes, n_changes, notified_on };

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (changes != NULL || n_changes == 0, FALSE);
  if (n_changes == 0)
    return TRUE;
  return _luma_cache_run_write (self, apply_changes_func, &args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}
