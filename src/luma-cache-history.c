/* luma-cache-history.c: the License Consumption History, its queries and the sync's writes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two tables, sessions and users, described as data
 * (_luma_cache_history_tables): the queries build their SQL from the
 * table's columns, so the view, the count and the CSV report agree.
 */

#include "config.h"

#include "luma-cache-private.h"

#include <string.h>

#define FETCH_CHUNK 128

/* Fills @out from a row of _luma_cache_history_tables[].select_cols; the
 * strings are borrowed from SQLite when @copy is FALSE. */
static void
read_session_row (sqlite3_stmt      *stmt,
                  LumaSessionRecord *out,
                  gboolean           copy)
{
  const char *agent = (const char *) sqlite3_column_text (stmt, 7);

  out->session_id = (char *) _luma_cache_column_text (stmt, 1);
  out->started_on = sqlite3_column_int64 (stmt, 2);
  out->initiated_by = sqlite3_column_int (stmt, 3);
  out->user_name = (char *) _luma_cache_column_text (stmt, 4);
  out->email = (char *) _luma_cache_column_text (stmt, 5);
  out->role = sqlite3_column_int (stmt, 6);
  out->agent_name = (char *) agent;
  out->channel = sqlite3_column_int (stmt, 8);
  out->conversations = sqlite3_column_int64 (stmt, 9);
  if (copy)
    {
      out->session_id = g_strdup (out->session_id);
      out->user_name = g_strdup (out->user_name);
      out->email = g_strdup (out->email);
      out->agent_name = g_strdup (out->agent_name);
    }
}

static void
read_user_row (sqlite3_stmt   *stmt,
               LumaUserRecord *out,
               gboolean        copy)
{
  out->user_id = (char *) _luma_cache_column_text (stmt, 1);
  out->user_name = (char *) _luma_cache_column_text (stmt, 2);
  out->email = (char *) _luma_cache_column_text (stmt, 3);
  out->first_name = (char *) _luma_cache_column_text (stmt, 4);
  out->last_name = (char *) _luma_cache_column_text (stmt, 5);
  out->role = sqlite3_column_int (stmt, 6);
  out->status = sqlite3_column_int (stmt, 7);
  out->created_on = sqlite3_column_int64 (stmt, 8);
  out->conversations = sqlite3_column_int64 (stmt, 9);
  /* NULL with conversations: not given (see the users table) */
  out->last_conversation_known = out->conversations == 0 || sqlite3_column_type (stmt, 10) != SQLITE_NULL;
  out->last_conversation_on = out->conversations > 0 ? sqlite3_column_int64 (stmt, 10) : 0;
  if (copy)
    {
      out->user_id = g_strdup (out->user_id);
      out->user_name = g_strdup (out->user_name);
      out->email = g_strdup (out->email);
      out->first_name = g_strdup (out->first_name);
      out->last_name = g_strdup (out->last_name);
    }
}

/* ---- History writes ------------------------------------------------------------------------- */

/* Records staged by the sync engine, written by the next commit. */
typedef struct
{
  LumaLicenseType  type;
  GPtrArray       *records;
} StagedPage;

static void
staged_page_free (StagedPage *page)
{
  g_ptr_array_unref (page->records);
  g_free (page);
}

GPtrArray *
_luma_cache_batch_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) staged_page_free);
}

static const char upsert_session_sql[] =
  "INSERT INTO sessions (session_id, started_on, initiated_by, user_name, email, role,"
  " agent_name, channel, conversations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
  " ON CONFLICT (session_id) DO UPDATE SET started_on = excluded.started_on,"
  " initiated_by = excluded.initiated_by, user_name = excluded.user_name,"
  " email = excluded.email, role = excluded.role, agent_name = excluded.agent_name,"
  " channel = excluded.channel, conversations = excluded.conversations";

/* last_conversation_on is NULL unless the record gives a date: a user with
 * no conversation, or one the server did not date (the idle licenses then
 * fall back to the stored transcripts). */
static const char upsert_user_sql[] =
  "INSERT INTO users (user_id, user_name, email, first_name, last_name, role, status,"
  " created_on, conversations, last_conversation_on)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
  " ON CONFLICT (user_id) DO UPDATE SET user_name = excluded.user_name,"
  " email = excluded.email, first_name = excluded.first_name,"
  " last_name = excluded.last_name, role = excluded.role, status = excluded.status,"
  " created_on = excluded.created_on, conversations = excluded.conversations,"
  " last_conversation_on = excluded.last_conversation_on";

static gboolean
write_staged_page (LumaCache   *self,
                   StagedPage  *page,
                   GError     **error)
{
  LumaCacheDb *db = self->wdb;
  sqlite3_stmt *stmt;

  stmt = _luma_cache_db_prepare (db, page->type == LUMA_LICENSE_TYPE_SESSION ? upsert_session_sql
                                                                             : upsert_user_sql, error);
  if (stmt == NULL)
    return FALSE;

  for (guint i = 0; i < page->records->len; i++)
    {
      int rc;

      if (page->type == LUMA_LICENSE_TYPE_SESSION)
        {
          const LumaSessionRecord *r = g_ptr_array_index (page->records, i);
          _luma_cache_bind_text (stmt, 1, r->session_id);
          sqlite3_bind_int64 (stmt, 2, r->started_on);
          sqlite3_bind_int (stmt, 3, r->initiated_by);
          _luma_cache_bind_text (stmt, 4, r->user_name);
          _luma_cache_bind_text (stmt, 5, r->email != NULL ? r->email : "");
          sqlite3_bind_int (stmt, 6, r->role);
          _luma_cache_bind_text (stmt, 7, r->agent_name);
          sqlite3_bind_int (stmt, 8, r->channel);
          sqlite3_bind_int64 (stmt, 9, r->conversations);
        }
      else
        {
          const LumaUserRecord *r = g_ptr_array_index (page->records, i);
          _luma_cache_bind_text (stmt, 1, r->user_id);
          _luma_cache_bind_text (stmt, 2, r->user_name);
          _luma_cache_bind_text (stmt, 3, r->email != NULL ? r->email : "");
          _luma_cache_bind_text (stmt, 4, r->first_name != NULL ? r->first_name : "");
          _luma_cache_bind_text (stmt, 5, r->last_name != NULL ? r->last_name : "");
          sqlite3_bind_int (stmt, 6, r->role);
          sqlite3_bind_int (stmt, 7, r->status);
          sqlite3_bind_int64 (stmt, 8, r->created_on);
          sqlite3_bind_int64 (stmt, 9, r->conversations);
          if (r->last_conversation_known && r->conversations > 0)
            sqlite3_bind_int64 (stmt, 10, r->last_conversation_on);
          else
            sqlite3_bind_null (stmt, 10);
        }
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot store a consumption record");
          return FALSE;
        }
    }
  return TRUE;
}

static gint64
max_rowid (LumaCache       *self,
           LumaLicenseType  type)
{
  gint64 value = 0;
  int rc;

  /* Exactly this form: SQLite answers a bare max(rowid) from the end of
   * the b-tree; wrapped in an expression it would scan the whole table.
   * NULL (an empty table) reads as 0. */
  _luma_cache_db_query_int (self->wdb, type == LUMA_LICENSE_TYPE_SESSION ? "SELECT max(id) FROM sessions"
                                                                         : "SELECT max(id) FROM users",
                            &value, &rc);
  return value;
}

/* The search index of the records about to be written: their ids go into
 * a temporary table, then their old entries come out before the upserts and
 * their new ones go in after, one statement each (FTS5 writes a segment per
 * statement). */
static gboolean
fts_stage_ids (LumaCache        *self,
               GPtrArray        *pages,
               LumaLicenseType   type,
               GError          **error)
{
  sqlite3_stmt *stmt;

  if (!_luma_cache_db_exec (self->wdb, "CREATE TEMP TABLE IF NOT EXISTS staged_ids"
                                       " (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
                                       " DELETE FROM temp.staged_ids;", error))
    return FALSE;
  stmt = _luma_cache_db_prepare (self->wdb, "INSERT OR IGNORE INTO temp.staged_ids (id) VALUES (?1)", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < pages->len; i++)
    {
      StagedPage *page = g_ptr_array_index (pages, i);

      if (page->type != type)
        continue;
      for (guint j = 0; j < page->records->len; j++)
        {
          const char *id = type == LUMA_LICENSE_TYPE_SESSION
                           ? ((LumaSessionRecord *) g_ptr_array_index (page->records, j))->session_id
                           : ((LumaUserRecord *) g_ptr_array_index (page->records, j))->user_id;
          _luma_cache_bind_text (stmt, 1, id);
          if (!_luma_cache_db_step_done (self->wdb, stmt, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
fts_update (LumaCache        *self,
            LumaLicenseType   type,
            gboolean          remove,
            GError          **error)
{
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *sql = NULL;

  if (remove)
    sql = g_strdup_printf ("INSERT INTO %s (%s, rowid, %s) SELECT 'delete', id, %s FROM %s"
                           " WHERE %s IN (SELECT id FROM temp.staged_ids)",
                           t->fts, t->fts, t->fts_cols, t->fts_cols, t->table, t->id_col);
  else
    sql = g_strdup_printf ("INSERT INTO %s (rowid, %s) SELECT id, %s FROM %s"
                           " WHERE %s IN (SELECT id FROM temp.staged_ids)",
                           t->fts, t->fts_cols, t->fts_cols, t->table, t->id_col);
  return _luma_cache_db_exec (self->wdb, sql, error);
}

/* The first commit of a full sync: the history (and the conversations
 * cached for it) is replaced by what the feed sends from its start, so a
 * tenant that was recreated on the server never mixes with the old one.
 * Until this commit the old rows stay readable; from it on, only rows the
 * feed sent again are there. The ids of the old rows are kept on the side
 * (for this connection) so that a record that comes again counts as
 * changed, not new. */
static gboolean
replace_history (LumaCache        *self,
                 LumaLicenseType   type,
                 gboolean         *had_rows,
                 GError          **error)
{
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *any = g_strdup_printf ("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1)", t->table);
  g_autofree char *keep_ids = NULL;
  g_autofree char *sql = NULL;
  gint64 n = 0;
  int rc;

  if (!_luma_cache_db_query_int (self->wdb, any, &n, &rc))
    {
      _luma_cache_set_sqlite_error (error, self->wdb->db, rc, "Cannot replace the history");
      return FALSE;
    }
  /* The first sync into an empty cache stays as fast as before. */
  *had_rows = n > 0;
  if (*had_rows)
    keep_ids = g_strdup_printf ("CREATE TEMP TABLE IF NOT EXISTS replaced_ids"
                                " (kind INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;"
                                "DELETE FROM temp.replaced_ids WHERE kind = %d;"
                                "INSERT INTO temp.replaced_ids (kind, id) SELECT %d, %s FROM %s;"
                                "DELETE FROM %s;"
                                "INSERT INTO %s (%s) VALUES ('delete-all');",
                                (int) type, (int) type, t->id_col, t->table, t->table, t->fts, t->fts);
  sql = g_strdup_printf ("%s"
                         "DELETE FROM messages WHERE conversation IN"
                         " (SELECT id FROM conversations WHERE record_kind = %d);"
                         "DELETE FROM conversations WHERE record_kind = %d;"
                         "DELETE FROM conversation_sets WHERE record_kind = %d;",
                         keep_ids != NULL ? keep_ids : "", (int) type, (int) type, (int) type);
  return _luma_cache_db_exec (self->wdb, sql, error);
}

/* Of the staged records of @type, those that were replaced by this full
 * sync and are not back yet: upserted, they count as changed. */
static gboolean
count_returning (LumaCache        *self,
                 GPtrArray        *pages,
                 LumaLicenseType   type,
                 gint64           *n_out,
                 GError          **error)
{
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *sql = NULL;
  int rc;

  *n_out = 0;
  if (!fts_stage_ids (self, pages, type, error))
    return FALSE;
  sql = g_strdup_printf ("SELECT count(*) FROM temp.staged_ids s WHERE"
                         " s.id IN (SELECT id FROM temp.replaced_ids WHERE kind = %d)"
                         " AND s.id NOT IN (SELECT %s FROM %s)",
                         (int) type, t->id_col, t->table);
  if (!_luma_cache_db_query_int (self->wdb, sql, n_out, &rc))
    {
      _luma_cache_set_sqlite_error (error, self->wdb->db, rc, "Cannot store a consumption record");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  GPtrArray *pages;   /* StagedPage* */
  char      *cursor;  /* (nullable) */
} CommitArgs;

static void
commit_args_free (CommitArgs *args)
{
  g_ptr_array_unref (args->pages);
  g_free (args->cursor);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CommitArgs, commit_args_free)

static gboolean
commit_func (LumaCache          *self,
             gpointer            data,
             LumaCacheWriteJob  *job,
             GCancellable       *cancellable,
             GError            **error)
{
  CommitArgs *args = data;
  gint64 before[2], after[2];
  gint64 returning[2] = { 0, 0 };
  gboolean replaced[2] = { FALSE, FALSE };
  gboolean tracking;
  gboolean fts_live[2] = { FALSE, FALSE };
  gboolean have_type = FALSE;
  LumaLicenseType type = LUMA_LICENSE_TYPE_SESSION;
  guint n_rows = 0;
  sqlite3_stmt *stmt;

  if (!_luma_cache_begin (self, error))
    return FALSE;

  /* After a replace, until the index build ends that full sync. */
  tracking = self->replaced_ids;
  for (guint ty = 0; ty < 2; ty++)
    if (self->replace_rows[ty])
      {
        gboolean had_rows = FALSE;

        if (!replace_history (self, ty, &had_rows, error))
          goto fail;
        replaced[ty] = TRUE;
        tracking = tracking || had_rows;
      }
  for (guint ty = 0; ty < 2 && tracking && args->pages != NULL; ty++)
    if (!count_returning (self, args->pages, ty, &returning[ty], error))
      goto fail;

  before[0] = max_rowid (self, LUMA_LICENSE_TYPE_SESSION);
  before[1] = max_rowid (self, LUMA_LICENSE_TYPE_USER);

  /* While a full sync runs there is no search index to keep: it is built
   * afterwards from the table. */
  for (guint i = 0; args->pages != NULL && i < args->pages->len; i++)
    {
      StagedPage *page = g_ptr_array_index (args->pages, i);
      fts_live[page->type] = g_atomic_int_get (&self->indexes_ready[page->type]);
    }
  for (guint ty = 0; ty < 2; ty++)
    if (fts_live[ty] &&
        (!fts_stage_ids (self, args->pages, ty, error) || !fts_update (self, ty, TRUE, error)))
      goto fail;

  for (guint i = 0; args->pages != NULL && i < args->pages->len; i++)
    {
      StagedPage *page = g_ptr_array_index (args->pages, i);

      if (!write_staged_page (self, page, error))
        goto fail;
      n_rows += page->records->len;
      type = page->type;
      have_type = TRUE;
    }

  for (guint ty = 0; ty < 2; ty++)
    if (fts_live[ty] && !fts_update (self, ty, FALSE, error))
      goto fail;

  if (args->cursor != NULL)
    {
      stmt = _luma_cache_db_prepare (self->wdb, "UPDATE sync_state SET cursor = ?1 WHERE id = 1", error);
      if (stmt == NULL)
        goto fail;
      _luma_cache_bind_text (stmt, 1, args->cursor);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        goto fail;
    }
  if (have_type)
    {
      stmt = _luma_cache_db_prepare (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int (stmt, 1, type);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        goto fail;
    }

  after[0] = max_rowid (self, LUMA_LICENSE_TYPE_SESSION);
  after[1] = max_rowid (self, LUMA_LICENSE_TYPE_USER);

  if (!_luma_cache_commit (self, error))
    return FALSE;
  /* Created by replace_history() in this transaction, or there before. */
  self->replaced_ids = tracking;

  /* Row ids only grow and records are deleted only before @before (by a
   * replace), so the inserted rows are exactly those above the old
   * maximum; of those, the replaced ones that came back are not new. */
  job->n_new = (after[0] - before[0] - returning[0]) + (after[1] - before[1] - returning[1]);
  for (guint ty = 0; ty < 2; ty++)
    if (replaced[ty])
      self->replace_rows[ty] = FALSE;
  if (n_rows > 0 || replaced[0] || replaced[1])
    _luma_cache_emit (self, LUMA_CACHE_EMIT_HISTORY_CHANGED);
  return TRUE;

fail:
  _luma_cache_rollback (self);
  return FALSE;
}

static void
stage (LumaCache       *self,
       LumaLicenseType  type,
       GPtrArray       *records)
{
  StagedPage *page;

  if (records == NULL || records->len == 0)
    return;
  page = g_new0 (StagedPage, 1);
  page->type = type;
  page->records = g_ptr_array_ref (records);
  g_mutex_lock (&self->batch_lock);
  g_ptr_array_add (self->batch, page);
  self->batch_size += records->len;
  g_mutex_unlock (&self->batch_lock);
}

static GPtrArray *
take_batch (LumaCache *self)
{
  GPtrArray *batch;

  g_mutex_lock (&self->batch_lock);
  batch = g_steal_pointer (&self->batch);
  self->batch = _luma_cache_batch_new ();
  self->batch_size = 0;
  g_mutex_unlock (&self->batch_lock);
  return batch;
}

void
luma_cache_upsert_sessions (LumaCache *self,
                            GPtrArray *records)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  stage (self, LUMA_LICENSE_TYPE_SESSION, records);
}

void
luma_cache_upsert_users (LumaCache *self,
                         GPtrArray *records)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  stage (self, LUMA_LICENSE_TYPE_USER, records);
}

guint
luma_cache_get_batch_size (LumaCache *self)
{
  guint n;

  g_return_val_if_fail (LUMA_IS_CACHE (self), 0);
  g_mutex_lock (&self->batch_lock);
  n = self->batch_size;
  g_mutex_unlock (&self->batch_lock);
  return n;
}

void
luma_cache_discard_batch (LumaCache *self)
{
  g_autoptr(GPtrArray) batch = NULL;

  g_return_if_fail (LUMA_IS_CACHE (self));
  batch = take_batch (self);
}

static CommitArgs *
commit_args_new (LumaCache  *self,
                 const char *cursor)
{
  CommitArgs *args = g_new0 (CommitArgs, 1);

  args->pages = take_batch (self);
  args->cursor = g_strdup (cursor);
  return args;
}

gboolean
luma_cache_commit_batch (LumaCache   *self,
                         const char  *cursor,
                         gint64      *n_new_out,
                         GError     **error)
{
  g_autoptr(CommitArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  args = commit_args_new (self, cursor);
  return _luma_cache_run_write (self, commit_func, args, LUMA_CACHE_JOB_NONE, n_new_out, error);
}

void
luma_cache_commit_batch_async (LumaCache           *self,
                               const char          *cursor,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  /* Not cancellable once queued: the batch must not get lost half-way. */
  _luma_cache_run_write_async (self, commit_func, commit_args_new (self, cursor),
                               (GDestroyNotify) commit_args_free, LUMA_CACHE_JOB_NONE,
                               luma_cache_commit_batch_async, NULL, callback, user_data);
}

gboolean
luma_cache_commit_batch_finish (LumaCache     *self,
                                GAsyncResult  *result,
                                gint64        *n_new_out,
                                GError       **error)
{
  return _luma_cache_finish_write (self, result, n_new_out, error);
}

/* Writes nothing: the caller learns when the jobs before it are done. */
static gboolean
stage_only_func (LumaCache          *self,
                 gpointer            data,
                 LumaCacheWriteJob  *job,
                 GCancellable       *cancellable,
                 GError            **error)
{
  return TRUE;
}

void
luma_cache_write_page_async (LumaCache           *self,
                             LumaConsumptionPage *page,
                             gboolean             commit_now,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (page != NULL);

  stage (self, page->license_type, page->items);
  if (commit_now)
    _luma_cache_run_write_async (self, commit_func, commit_args_new (self, page->next_cursor),
                                 (GDestroyNotify) commit_args_free, LUMA_CACHE_JOB_NONE,
                                 luma_cache_write_page_async, NULL, callback, user_data);
  else
    _luma_cache_run_write_async (self, stage_only_func, NULL, NULL, LUMA_CACHE_JOB_NONE,
                                 luma_cache_write_page_async, NULL, callback, user_data);
  luma_consumption_page_free (page);
}

gboolean
luma_cache_write_page_finish (LumaCache     *self,
                              GAsyncResult  *result,
                              gint64        *n_new_out,
                              GError       **error)
{
  return _luma_cache_finish_write (self, result, n_new_out, error);
}

gint64
luma_cache_count_records (LumaCache        *self,
                          LumaLicenseType   license_type,
                          GError          **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), -1);
  if (!_luma_cache_check_license_type (license_type, error))
    return -1;
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return -1;
  stmt = _luma_cache_db_prepare (db, license_type == LUMA_LICENSE_TYPE_SESSION ? "SELECT count(*) FROM sessions"
                                                                               : "SELECT count(*) FROM users",
                                 error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the records");
      sqlite3_reset (stmt);
    }
  _luma_cache_pool_release (self, db);
  return n;
}

/* ---- History queries ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (LumaHistoryQuery, luma_history_query, luma_history_query_copy,
                     luma_history_query_free)

void
luma_history_query_init (LumaHistoryQuery *self,
                         LumaLicenseType   license_type)
{
  memset (self, 0, sizeof *self);
  self->license_type = license_type;
  self->sort_column = LUMA_HISTORY_COLUMN_TIME;
  self->descending = TRUE;
  self->initiated_by = -1;
  self->status = -1;
}

void
luma_history_query_clear (LumaHistoryQuery *self)
{
  g_clear_pointer (&self->search, g_free);
}

LumaHistoryQuery *
luma_history_query_new (LumaLicenseType license_type)
{
  LumaHistoryQuery *self = g_new (LumaHistoryQuery, 1);

  luma_history_query_init (self, license_type);
  return self;
}

LumaHistoryQuery *
luma_history_query_copy (const LumaHistoryQuery *self)
{
  LumaHistoryQuery *copy = g_new (LumaHistoryQuery, 1);

  *copy = *self;
  copy->search = g_strdup (self->search);
  return copy;
}

void
luma_history_query_free (LumaHistoryQuery *self)
{
  if (self == NULL)
    return;
  g_free (self->search);
  g_free (self);
}

gboolean
luma_history_query_has_filter (const LumaHistoryQuery *self)
{
  gboolean session = self->license_type == LUMA_LICENSE_TYPE_SESSION;

  return self->from != 0 || self->to != 0 ||
         (self->search != NULL && self->search[0] != '\0') ||
         self->roles != 0 ||
         (session && (self->channels != 0 || self->initiated_by >= 0)) ||
         (!session && self->status >= 0);
}

typedef struct
{
  GString *sql;
  GArray  *ints;            /* gint64 parameters, in order, after... */
  char    *text;            /* the one text parameter (search), if any */
  int      text_index;      /* its parameter number */
  gsize    hint_pos;        /* an "INDEXED BY" clause in sql, to drop if it fails */
  gsize    hint_len;
} BuiltQuery;

static void
built_query_clear (BuiltQuery *q)
{
  if (q->sql != NULL)
    g_string_free (q->sql, TRUE);
  g_clear_pointer (&q->ints, g_array_unref);
  g_clear_pointer (&q->text, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BuiltQuery, built_query_clear)

static void
add_int_param (BuiltQuery *q,
               gint64      value)
{
  g_array_append_val (q->ints, value);
  g_string_append_printf (q->sql, "?%u", q->ints->len);
}

/* Adds "AND col IN (?, ?...)" for the set bits of @mask below @n_values. */
static void
add_mask_filter (BuiltQuery *q,
                 const char *col,
                 guint       mask,
                 guint       n_values)
{
  gboolean first = TRUE;
  guint all = (1u << n_values) - 1;

  if (mask == 0 || (mask & all) == all)
    return;
  if ((mask & all) == 0)
    {
      g_string_append (q->sql, " AND 0");
      return;
    }
  g_string_append_printf (q->sql, " AND %s IN (", col);
  for (guint v = 0; v < n_values; v++)
    {
      if (!(mask & (1u << v)))
        continue;
      if (!first)
        g_string_append (q->sql, ", ");
      add_int_param (q, v);
      first = FALSE;
    }
  g_string_append (q->sql, ")");
}

char *
_luma_cache_fts_phrase (const char *search)
{
  GString *s = g_string_new ("\"");

  for (const char *p = search; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

static gint64
time_bound (LumaCacheDb     *db,
            LumaLicenseType  type,
            gboolean         newest)
{
  static const char *const sql[2][2] = {
    { "SELECT min(started_on) FROM sessions", "SELECT max(started_on) FROM sessions" },
    { "SELECT min(created_on) FROM users", "SELECT max(created_on) FROM users" },
  };
  gint64 value = 0;
  int rc;

  _luma_cache_db_query_int (db, sql[type][newest ? 1 : 0], &value, &rc);
  return value;
}

/* A date range sorted by another column: SQLite takes the rows of the range
 * from the time index and sorts them, looking each row up. When the range
 * holds more than a small share of the history, walking the sort index
 * (which carries the time) is several times faster. */
static gboolean
wide_range (LumaCache              *self,
            const LumaHistoryQuery *query)
{
  LumaCacheDb *db = _luma_cache_pool_acquire (self, NULL, NULL);
  gint64 oldest, newest, from, to;

  if (db == NULL)
    return FALSE;
  oldest = time_bound (db, query->license_type, FALSE);
  newest = time_bound (db, query->license_type, TRUE);
  _luma_cache_pool_release (self, db);

  from = query->from != 0 ? MAX (query->from, oldest) : oldest;
  to = query->to != 0 ? MIN (query->to, newest) : newest;
  if (newest <= oldest)
    return FALSE;
  return (double) (to - from) / (double) (newest - oldest) > 0.05;
}

static gboolean
build_query (LumaCache              *self,
             const LumaHistoryQuery *query,
             const char             *what,
             gboolean                count_only,
             BuiltQuery             *q,
             GError                **error)
{
  const LumaCacheHistoryTable *t;
  const char *sort_col;
  const char *dir;
  gboolean search = FALSE, use_fts = FALSE;

  if (!_luma_cache_check_license_type (query->license_type, error))
    return FALSE;
  t = &_luma_cache_history_tables[query->license_type];
  if ((guint) query->sort_column >= LUMA_N_HISTORY_COLUMNS ||
      t->sort_cols[query->sort_column] == NULL)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "The %s history has no column %d to sort by",
                   t->table, (int) query->sort_column);
      return FALSE;
    }
  sort_col = t->sort_cols[query->sort_column];
  dir = query->descending ? "DESC" : "ASC";

  if (query->search != NULL && query->search[0] != '\0')
    {
      if (!g_utf8_validate (query->search, -1, NULL))
        {
          g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                               "The search text is not valid UTF-8");
          return FALSE;
        }
      search = TRUE;
      /* Trigrams need 3 characters. Both paths fold case the same way
       * (see _luma_cache_fold()). */
      use_fts = g_atomic_int_get (&self->indexes_ready[query->license_type]) &&
                g_utf8_strlen (query->search, -1) >= 3;
    }

  q->sql = g_string_new (NULL);
  q->ints = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_string_append_printf (q->sql, "SELECT %s FROM %s", what, t->table);
  if (!count_only && !search && (query->from != 0 || query->to != 0) &&
      query->sort_column != LUMA_HISTORY_COLUMN_TIME &&
      query->sort_column != LUMA_HISTORY_COLUMN_ID &&
      g_atomic_int_get (&self->indexes_ready[query->license_type]) &&
      wide_range (self, query))
    {
      q->hint_pos = q->sql->len;
      g_string_append_printf (q->sql, " INDEXED BY %s_by_%s", t->table, sort_col);
      q->hint_len = q->sql->len - q->hint_pos;
    }
  g_string_append (q->sql, " WHERE 1");

  if (query->from != 0)
    {
      g_string_append_printf (q->sql, " AND %s >= ", t->time_col);
      add_int_param (q, query->from);
    }
  if (query->to != 0)
    {
      g_string_append_printf (q->sql, " AND %s <= ", t->time_col);
      add_int_param (q, query->to);
    }
  if (query->license_type == LUMA_LICENSE_TYPE_SESSION)
    {
      add_mask_filter (q, "channel", query->channels, LUMA_N_CHANNELS);
      if (query->initiated_by >= 0)
        {
          g_string_append (q->sql, " AND initiated_by = ");
          add_int_param (q, query->initiated_by);
        }
    }
  else if (query->status >= 0)
    {
      g_string_append (q->sql, " AND status = ");
      add_int_param (q, query->status);
    }
  add_mask_filter (q, "role", query->roles, LUMA_N_ROLES);

  if (search)
    {
      /* The text parameter comes last: number it after the integers. */
      q->text_index = q->ints->len + 1;
      if (use_fts)
        {
          q->text = _luma_cache_fts_phrase (query->search);
          g_string_append_printf (q->sql, " AND id IN (SELECT rowid FROM %s WHERE %s MATCH ?%d)",
                                  t->fts, t->fts, q->text_index);
        }
      else
        {
          q->text = _luma_cache_fold (query->search, -1);
          g_string_append (q->sql, " AND (");
          for (guint i = 0; i < G_N_ELEMENTS (t->search_cols) && t->search_cols[i] != NULL; i++)
            g_string_append_printf (q->sql, "%sluma_contains (%s, ?%d)",
                                    i > 0 ? " OR " : "", t->search_cols[i], q->text_index);
          g_string_append (q->sql, ")");
        }
    }

  if (!count_only)
    {
      /* With a search, the matches are few or the scan is whole anyway:
       * "+col" keeps the planner from walking a sort index row by row. */
      const char *plus = search ? "+" : "";

      if (query->sort_column == LUMA_HISTORY_COLUMN_ID)
        g_string_append_printf (q->sql, " ORDER BY %s%s %s", plus, sort_col, dir);
      else if (query->sort_column == LUMA_HISTORY_COLUMN_TIME)
        g_string_append_printf (q->sql, " ORDER BY %s%s %s, id %s", plus, sort_col, dir, dir);
      else
        g_string_append_printf (q->sql, " ORDER BY %s%s %s, %s %s, id %s",
                                plus, sort_col, dir, t->time_col, dir, dir);
    }
  return TRUE;
}

static sqlite3_stmt *
prepare_built (LumaCacheDb  *db,
               BuiltQuery   *q,
               GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db->db, q->sql->str, -1, &stmt, NULL);

  /* The index went away meanwhile (a full sync began): plan without it. */
  if (rc != SQLITE_OK && q->hint_len > 0)
    {
      g_string_erase (q->sql, q->hint_pos, q->hint_len);
      q->hint_len = 0;
      rc = sqlite3_prepare_v2 (db->db, q->sql->str, -1, &stmt, NULL);
    }
  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot query the history");
      return NULL;
    }
  for (guint i = 0; i < q->ints->len; i++)
    sqlite3_bind_int64 (stmt, i + 1, g_array_index (q->ints, gint64, i));
  if (q->text != NULL)
    sqlite3_bind_text (stmt, q->text_index, q->text, -1, SQLITE_STATIC);
  return stmt;
}

GArray *
luma_cache_query_ids (LumaCache               *self,
                      const LumaHistoryQuery  *query,
                      GCancellable            *cancellable,
                      GError                 **error)
{
  g_auto(BuiltQuery) q = { 0 };
  g_autoptr(GArray) ids = NULL;
  sqlite3_stmt *stmt;
  LumaCacheDb *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (!build_query (self, query, "id", FALSE, &q, error))
    return NULL;
  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  stmt = prepare_built (db, &q, error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1024);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot query the history");
      g_clear_pointer (&ids, g_array_unref);
    }
  sqlite3_finalize (stmt);
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&ids);
}

gint64
luma_cache_count_matching (LumaCache               *self,
                           const LumaHistoryQuery  *query,
                           GCancellable            *cancellable,
                           GError                 **error)
{
  g_auto(BuiltQuery) q = { 0 };
  sqlite3_stmt *stmt;
  LumaCacheDb *db;
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), -1);
  g_return_val_if_fail (query != NULL, -1);

  if (!build_query (self, query, "count(*)", TRUE, &q, error))
    return -1;
  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return -1;
  stmt = prepare_built (db, &q, error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the history");
      sqlite3_finalize (stmt);
    }
  _luma_cache_pool_release (self, db);
  return n;
}

static void
count_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 n = luma_cache_count_matching (source, task_data, cancellable, &error);

  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

void
luma_cache_count_matching_async (LumaCache              *self,
                                 const LumaHistoryQuery *query,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (query != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_count_matching_async);
  g_task_set_task_data (task, luma_history_query_copy (query), (GDestroyNotify) luma_history_query_free);
  g_task_run_in_thread (task, count_thread);
}

gint64
luma_cache_count_matching_finish (LumaCache     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

/* ---- Counts over ranges of time (the local days of the term) -------------------------------- */

/* Enough for the days of a term of twenty years and more; more is a caller's mistake. */
#define MAX_BUCKETS 8192

GArray *
luma_cache_count_in_ranges (LumaCache        *self,
                            LumaLicenseType   license_type,
                            gint              user_status,
                            const gint64     *bounds,
                            guint             n_bounds,
                            GCancellable     *cancellable,
                            GError          **error)
{
  const LumaCacheHistoryTable *table;
  g_autofree char *sql = NULL;
  g_autoptr(GArray) counts = NULL;
  sqlite3_stmt *stmt = NULL;
  LumaCacheDb *db;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (bounds != NULL || n_bounds == 0, NULL);

  if ((guint) license_type >= G_N_ELEMENTS (_luma_cache_history_tables) || n_bounds < 2 ||
      n_bounds > MAX_BUCKETS + 1)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Invalid ranges (%u bounds)", n_bounds);
      return NULL;
    }
  for (guint i = 1; i < n_bounds; i++)
    if (bounds[i] < bounds[i - 1])
      {
        g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                     "Ranges out of order at %u", i);
        return NULL;
      }

  table = &_luma_cache_history_tables[license_type];
  /* One count per range, each a range of the time index (it covers the column): a GROUP
   * BY on a day number would sort every record in a temporary B-tree first. */
  sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE %s%s >= ?1 AND %s < ?2",
                         table->table,
                         license_type == LUMA_LICENSE_TYPE_USER && user_status >= 0 ? "status = ?3 AND " : "",
                         table->time_col, table->time_col);

  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  rc = sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the history");
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  if (license_type == LUMA_LICENSE_TYPE_USER && user_status >= 0)
    sqlite3_bind_int (stmt, 3, user_status);

  counts = g_array_sized_new (FALSE, TRUE, sizeof (gint64), n_bounds - 1);
  for (guint i = 0; i + 1 < n_bounds; i++)
    {
      gint64 n = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_clear_pointer (&counts, g_array_unref);
          break;
        }
      sqlite3_bind_int64 (stmt, 1, bounds[i]);
      sqlite3_bind_int64 (stmt, 2, bounds[i + 1]);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          n = sqlite3_column_int64 (stmt, 0);
          rc = sqlite3_step (stmt);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          if (!g_cancellable_set_error_if_cancelled (cancellable, error))
            _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the history");
          g_clear_pointer (&counts, g_array_unref);
          break;
        }
      g_array_append_val (counts, n);
    }
  sqlite3_finalize (stmt);
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&counts);
}

gboolean
luma_cache_count_history_after (LumaCache        *self,
                                LumaLicenseType   license_type,
                                gint64            after_id,
                                gint64           *max_id_out,
                                gint64           *count_out,
                                GError          **error)
{
  const LumaCacheHistoryTable *table;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  LumaCacheDb *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (max_id_out != NULL && count_out != NULL, FALSE);

  *max_id_out = 0;
  *count_out = 0;
  if ((guint) license_type >= G_N_ELEMENTS (_luma_cache_history_tables))
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Invalid license type %d", license_type);
      return FALSE;
    }

  table = &_luma_cache_history_tables[license_type];
  sql = g_strdup_printf ("SELECT (SELECT max(id) FROM %s), (SELECT count(*) FROM %s WHERE id > ?1)",
                         table->table, table->table);
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return FALSE;
  rc = sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, after_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *max_id_out = sqlite3_column_int64 (stmt, 0);
          *count_out = sqlite3_column_int64 (stmt, 1);
          rc = sqlite3_step (stmt);
        }
    }
  if (rc != SQLITE_DONE)
    _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the history");
  sqlite3_finalize (stmt);
  _luma_cache_pool_release (self, db);
  return rc == SQLITE_DONE;
}

typedef struct
{
  LumaLicenseType license_type;
  gint            user_status;
  gint64         *bounds;
  guint           n_bounds;
} RangesArgs;

static void
ranges_args_free (RangesArgs *args)
{
  g_free (args->bounds);
  g_free (args);
}

static void
count_in_ranges_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  RangesArgs *args = task_data;
  GError *error = NULL;
  GArray *counts = luma_cache_count_in_ranges (source, args->license_type, args->user_status,
                                               args->bounds, args->n_bounds, cancellable, &error);

  if (counts == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, counts, (GDestroyNotify) g_array_unref);
}

void
luma_cache_count_in_ranges_async (LumaCache           *self,
                                  LumaLicenseType      license_type,
                                  gint                 user_status,
                                  const gint64        *bounds,
                                  guint                n_bounds,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RangesArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (bounds != NULL || n_bounds == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_count_in_ranges_async);
  args = g_new0 (RangesArgs, 1);
  args->license_type = license_type;
  args->user_status = user_status;
  args->bounds = g_memdup2 (bounds, sizeof (gint64) * n_bounds);
  args->n_bounds = n_bounds;
  g_task_set_task_data (task, args, (GDestroyNotify) ranges_args_free);
  g_task_run_in_thread (task, count_in_ranges_thread);
}

GArray *
luma_cache_count_in_ranges_finish (LumaCache     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Reads rows by id through one prepared "IN (?1..?128)" statement; unused
 * slots are bound to NULL, which matches nothing. */
static GPtrArray *
fetch_by_ids (LumaCache       *self,
              LumaLicenseType  type,
              const gint64    *ids,
              guint            n_ids,
              GError         **error)
{
  static char *sql[2];
  GDestroyNotify free_func = type == LUMA_LICENSE_TYPE_SESSION ? (GDestroyNotify) luma_session_record_free
                                                               : (GDestroyNotify) luma_user_record_free;
  g_autoptr(GPtrArray) result = g_ptr_array_new_full (n_ids, free_func);
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(GHashTable) taken = NULL;
  sqlite3_stmt *stmt;
  gboolean failed = FALSE;

  if (!_luma_cache_check_open (self, error))
    return NULL;

  if (g_once_init_enter (&sql[type]))
    {
      GString *s = g_string_new (NULL);
      g_string_append_printf (s, "SELECT %s FROM %s WHERE id IN (",
                              _luma_cache_history_tables[type].select_cols, _luma_cache_history_tables[type].table);
      for (guint i = 1; i <= FETCH_CHUNK; i++)
        g_string_append_printf (s, i > 1 ? ", ?%u" : "?%u", i);
      g_string_append (s, ")");
      g_once_init_leave (&sql[type], g_string_free (s, FALSE));
    }

  by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, free_func);

  g_mutex_lock (&self->ui_lock);
  if (self->ui_db == NULL)
    {
      g_mutex_unlock (&self->ui_lock);
      g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED, "The cache is closed");
      return NULL;
    }
  for (guint start = 0; start < n_ids && !failed; start += FETCH_CHUNK)
    {
      int rc;

      stmt = _luma_cache_db_prepare (self->ui_db, sql[type], error);
      if (stmt == NULL)
        {
          failed = TRUE;
          break;
        }
      for (guint i = 0; i < FETCH_CHUNK; i++)
        {
          if (start + i < n_ids)
            sqlite3_bind_int64 (stmt, i + 1, ids[start + i]);
          else
            sqlite3_bind_null (stmt, i + 1);
        }
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 *key = g_new (gint64, 1);
          *key = sqlite3_column_int64 (stmt, 0);
          if (type == LUMA_LICENSE_TYPE_SESSION)
            {
              LumaSessionRecord *r = g_new0 (LumaSessionRecord, 1);
              read_session_row (stmt, r, TRUE);
              g_hash_table_replace (by_id, key, r);
            }
          else
            {
              LumaUserRecord *r = g_new0 (LumaUserRecord, 1);
              read_user_row (stmt, r, TRUE);
              g_hash_table_replace (by_id, key, r);
            }
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          _luma_cache_set_sqlite_error (error, self->ui_db->db, rc, "Cannot read the history");
          failed = TRUE;
        }
    }
  g_mutex_unlock (&self->ui_lock);
  if (failed)
    return NULL;

  taken = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < n_ids; i++)
    {
      gpointer key, value;

      if (g_hash_table_steal_extended (by_id, &ids[i], &key, &value))
        {
          g_free (key);
          g_ptr_array_add (result, value);
          g_hash_table_insert (taken, (gpointer) &ids[i], value);
        }
      else if ((value = g_hash_table_lookup (taken, &ids[i])) != NULL)
        {
          /* the same id twice in one request */
          g_ptr_array_add (result, type == LUMA_LICENSE_TYPE_SESSION
                                   ? (gpointer) luma_session_record_copy (value)
                                   : (gpointer) luma_user_record_copy (value));
        }
    }
  return g_steal_pointer (&result);
}

GPtrArray *
luma_cache_fetch_sessions_by_ids (LumaCache     *self,
                                  const gint64  *ids,
                                  guint          n_ids,
                                  GError       **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  return fetch_by_ids (self, LUMA_LICENSE_TYPE_SESSION, ids, n_ids, error);
}

GPtrArray *
luma_cache_fetch_users_by_ids (LumaCache     *self,
                               const gint64  *ids,
                               guint          n_ids,
                               GError       **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  return fetch_by_ids (self, LUMA_LICENSE_TYPE_USER, ids, n_ids, error);
}

gboolean
luma_cache_foreach_history (LumaCache               *self,
                            const LumaHistoryQuery  *query,
                            LumaHistoryRowFunc       func,
                            gpointer                 user_data,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_auto(BuiltQuery) q = { 0 };
  sqlite3_stmt *stmt;
  LumaCacheDb *db;
  int rc;
  guint n = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!_luma_cache_check_license_type (query->license_type, error) ||
      !build_query (self, query, _luma_cache_history_tables[query->license_type].select_cols, FALSE, &q, error))
    return FALSE;
  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return FALSE;
  stmt = prepare_built (db, &q, error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return FALSE;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gboolean go_on;

      if (query->license_type == LUMA_LICENSE_TYPE_SESSION)
        {
          LumaSessionRecord r;
          read_session_row (stmt, &r, FALSE);
          go_on = func (query->license_type, &r, user_data);
        }
      else
        {
          LumaUserRecord r;
          read_user_row (stmt, &r, FALSE);
          go_on = func (query->license_type, &r, user_data);
        }
      if (!go_on)
        {
          rc = SQLITE_DONE;
          break;
        }
      if ((++n & 1023) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          rc = SQLITE_DONE;
          break;
        }
    }
  if (rc != SQLITE_DONE)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the history");
      ok = FALSE;
    }
  sqlite3_finalize (stmt);
  _luma_cache_pool_release (self, db);
  return ok;
}
