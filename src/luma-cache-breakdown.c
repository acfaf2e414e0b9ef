/* luma-cache-breakdown.c: where the licenses go, and the idle licenses (read only)
 *
 * Reads the sessions and users tables (and, for the idle licenses, the
 * stored conversations) on a read connection of the pool.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-breakdown.h"
#include "luma-cache-private.h"

/* ---- The breakdown -------------------------------------------------------------------------- */

/* One pass over the period groups by every small dimension at once (at most
 * 6 x 5 x 2 groups), summed per dimension below: three GROUP BYs would walk
 * the period three times. */
static const char session_groups_sql[] =
  "SELECT channel, role, initiated_by, count(*) FROM sessions"
  " WHERE started_on >= ?1 AND started_on < ?2 GROUP BY channel, role, initiated_by";
static const char session_count_sql[] =
  "SELECT count(*) FROM sessions WHERE started_on >= ?1 AND started_on < ?2";
/* BINARY: the columns compare without case, but two spellings are two
 * names in the history's search as well. */
static const char session_top_sql[] =
  "SELECT user_name, email, count(*) AS n FROM sessions"
  " WHERE started_on >= ?1 AND started_on < ?2"
  " GROUP BY user_name COLLATE BINARY, email COLLATE BINARY"
  " ORDER BY n DESC, user_name COLLATE BINARY, email COLLATE BINARY LIMIT ?3";

/* User-based: what is consumed is the licenses held, i.e. active users. */
static const char user_groups_sql[] =
  "SELECT -1, role, -1, count(*) FROM users"
  " WHERE status = 0 AND created_on >= ?1 AND created_on < ?2 GROUP BY role";
static const char user_count_sql[] =
  "SELECT count(*) FROM users WHERE status = 0 AND created_on >= ?1 AND created_on < ?2";
static const char user_top_sql[] =
  "SELECT user_name, email, conversations, user_id FROM users"
  " WHERE status = 0 AND created_on >= ?1 AND created_on < ?2"
  " ORDER BY conversations DESC, user_name COLLATE BINARY, user_id LIMIT ?3";

static gint
item_compare (gconstpointer a,
              gconstpointer b)
{
  const LumaBreakdownItem *x = *(LumaBreakdownItem * const *) a;
  const LumaBreakdownItem *y = *(LumaBreakdownItem * const *) b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->value - y->value;
}

static GPtrArray *
items_from_counts (const gint64 *counts,
                   guint         n)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_breakdown_item_free);

  for (guint i = 0; i < n; i++)
    {
      LumaBreakdownItem *item;

      if (counts[i] == 0)
        continue;
      item = g_new0 (LumaBreakdownItem, 1);
      item->value = (gint) i;
      item->count = counts[i];
      g_ptr_array_add (items, item);
    }
  g_ptr_array_sort (items, item_compare);
  return items;
}

static gboolean
step_error (LumaCacheDb   *db,
            int            rc,
            GCancellable  *cancellable,
            GError       **error)
{
  if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the breakdown");
  return FALSE;
}

static gboolean
count_range (LumaCacheDb   *db,
             const char    *sql,
             gint64         from,
             gint64         to,
             gint64        *out,
             GCancellable  *cancellable,
             GError       **error)
{
  sqlite3_stmt *stmt = _luma_cache_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || step_error (db, rc, cancellable, error);
}

static gboolean
read_breakdown (LumaCacheDb    *db,
                LumaBreakdown  *b,
                guint           n_top,
                GCancellable   *cancellable,
                GError        **error)
{
  gboolean session = b->license_type == LUMA_LICENSE_TYPE_SESSION;
  gint64 channels[LUMA_N_CHANNELS] = { 0 };
  gint64 roles[LUMA_N_ROLES] = { 0 };
  gint64 initiators[2] = { 0 };
  sqlite3_stmt *stmt;
  int rc;

  stmt = _luma_cache_db_prepare (db, session ? session_groups_sql : user_groups_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, b->from);
  sqlite3_bind_int64 (stmt, 2, b->to);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 channel = sqlite3_column_int64 (stmt, 0);
      gint64 role = sqlite3_column_int64 (stmt, 1);
      gint64 initiator = sqlite3_column_int64 (stmt, 2);
      gint64 n = sqlite3_column_int64 (stmt, 3);

      b->total += n;
      if (channel >= 0 && channel < LUMA_N_CHANNELS)
        channels[channel] += n;
      if (role >= 0 && role < LUMA_N_ROLES)
        roles[role] += n;
      if (initiator >= 0 && initiator < 2)
        initiators[initiator] += n;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return step_error (db, rc, cancellable, error);

  b->channels = items_from_counts (channels, session ? LUMA_N_CHANNELS : 0);
  b->roles = items_from_counts (roles, LUMA_N_ROLES);
  b->initiators = items_from_counts (initiators, session ? 2 : 0);

  if (!count_range (db, session ? session_count_sql : user_count_sql,
                    b->previous_from, b->from, &b->previous_total, cancellable, error))
    return FALSE;

  b->top_users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_breakdown_item_free);
  if (n_top == 0)
    return TRUE;
  stmt = _luma_cache_db_prepare (db, session ? session_top_sql : user_top_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, b->from);
  sqlite3_bind_int64 (stmt, 2, b->to);
  sqlite3_bind_int64 (stmt, 3, n_top);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaBreakdownItem *item = g_new0 (LumaBreakdownItem, 1);

      item->value = -1;
      item->user_name = g_strdup (_luma_cache_column_text (stmt, 0));
      item->email = g_strdup (_luma_cache_column_text (stmt, 1));
      item->count = sqlite3_column_int64 (stmt, 2);
      if (!session)
        item->user_id = g_strdup (_luma_cache_column_text (stmt, 3));
      g_ptr_array_add (b->top_users, item);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return step_error (db, rc, cancellable, error);
  return TRUE;
}

LumaBreakdown *
luma_cache_get_breakdown (LumaCache        *self,
                          LumaLicenseType   license_type,
                          gint64            from,
                          gint64            to,
                          gint64            previous_from,
                          guint             n_top,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr(LumaBreakdown) b = NULL;
  LumaCacheDb *db;
  gboolean ok;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);

  if (!_luma_cache_check_license_type (license_type, error))
    return NULL;
  if (to <= from || previous_from > from)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Invalid breakdown period (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   ", previous from %" G_GINT64_FORMAT ")", from, to, previous_from);
      return NULL;
    }

  b = g_new0 (LumaBreakdown, 1);
  b->license_type = license_type;
  b->from = from;
  b->to = to;
  b->previous_from = previous_from;

  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  ok = read_breakdown (db, b, n_top, cancellable, error);
  _luma_cache_pool_release (self, db);
  return ok ? g_steal_pointer (&b) : NULL;
}

typedef struct
{
  LumaLicenseType license_type;
  gint64          from;
  gint64          to;
  gint64          previous_from;
  guint           n_top;
} BreakdownArgs;

static void
breakdown_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  BreakdownArgs *args = task_data;
  GError *error = NULL;
  LumaBreakdown *b = luma_cache_get_breakdown (source, args->license_type, args->from, args->to,
                                               args->previous_from, args->n_top, cancellable,
                                               &error);

  if (b == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, b, (GDestroyNotify) luma_breakdown_free);
}

void
luma_cache_get_breakdown_async (LumaCache           *self,
                                LumaLicenseType      license_type,
                                gint64               from,
                                gint64               to,
                                gint64               previous_from,
                                guint                n_top,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  BreakdownArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_get_breakdown_async);
  args = g_new0 (BreakdownArgs, 1);
  args->license_type = license_type;
  args->from = from;
  args->to = to;
  args->previous_from = previous_from;
  args->n_top = n_top;
  g_task_set_task_data (task, args, g_free);
  g_task_run_in_thread (task, breakdown_thread);
}

LumaBreakdown *
luma_cache_get_breakdown_finish (LumaCache     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Idle licenses -------------------------------------------------------------------------- */

/* A user's last conversation is the date the feed gave (lastConversationOn,
 * stored by the sync). Only when the server did not give one (an older
 * server, or a row stored before the cache knew the column) does it fall
 * back to the stored transcripts, and then only to a complete set: when the
 * record's count grew since, the newer ones (and their dates) are not in
 * the cache, so the user is not known to be idle. The CASE evaluates the
 * fallback's subqueries for those users alone. */
static const char idle_sql[] =
  "SELECT user_id, user_name, email, role, created_on, conversations, last FROM ("
  "  SELECT u.user_id, u.user_name, u.email, u.role, u.created_on, u.conversations,"
  "    CASE WHEN u.conversations = 0 THEN NULL"
  "         WHEN u.last_conversation_on IS NOT NULL THEN u.last_conversation_on"
  "         WHEN (SELECT s.n_conversations FROM conversation_sets AS s"
  "               WHERE s.record_kind = 1 AND s.record_id = u.user_id) = u.conversations"
  "         THEN (SELECT max(c.started_on) FROM conversations AS c"
  "               WHERE c.record_kind = 1 AND c.record_id = u.user_id)"
  "    END AS last"
  "  FROM users AS u WHERE u.status = 0 AND u.created_on < ?1)"
  " WHERE conversations = 0 OR last < ?1"
  " ORDER BY CASE WHEN conversations = 0 THEN 0 ELSE last END,"
  "   user_name COLLATE BINARY, user_id";

GPtrArray *
luma_cache_list_idle_users (LumaCache     *self,
                            gint64         cutoff,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GPtrArray) users = NULL;
  sqlite3_stmt *stmt;
  LumaCacheDb *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);

  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  stmt = _luma_cache_db_prepare (db, idle_sql, error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, cutoff);

  users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_idle_user_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaIdleUser *u = g_new0 (LumaIdleUser, 1);

      u->user_id = g_strdup (_luma_cache_column_text (stmt, 0));
      u->user_name = g_strdup (_luma_cache_column_text (stmt, 1));
      u->email = g_strdup (_luma_cache_column_text (stmt, 2));
      u->role = sqlite3_column_int (stmt, 3);
      u->created_on = sqlite3_column_int64 (stmt, 4);
      u->conversations = sqlite3_column_int64 (stmt, 5);
      u->last_conversation = u->conversations > 0 ? sqlite3_column_int64 (stmt, 6) : 0;
      g_ptr_array_add (users, u);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      step_error (db, rc, cancellable, error);
      g_clear_pointer (&users, g_ptr_array_unref);
    }
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&users);
}

static void
idle_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *users = luma_cache_list_idle_users (source, *(gint64 *) task_data, cancellable, &error);

  if (users == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, users, (GDestroyNotify) g_ptr_array_unref);
}

void
luma_cache_list_idle_users_async (LumaCache           *self,
                                  gint64               cutoff,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LUMA_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_list_idle_users_async);
  g_task_set_task_data (task, g_memdup2 (&cutoff, sizeof cutoff), g_free);
  g_task_run_in_thread (task, idle_thread);
}

GPtrArray *
luma_cache_list_idle_users_finish (LumaCache     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
