/* luma-cache-conversations.c: the conversations and messages of a record, as last fetched
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

typedef struct
{
  LumaLicenseType  type;
  char            *record_id;
  GPtrArray       *conversations;  /* LumaConversation* */
} StoreConversationsArgs;

static void
store_conversations_args_free (StoreConversationsArgs *args)
{
  g_free (args->record_id);
  g_ptr_array_unref (args->conversations);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreConversationsArgs, store_conversations_args_free)

static StoreConversationsArgs *
store_conversations_args_new (LumaLicenseType  type,
                              const char      *record_id,
                              GPtrArray       *conversations)
{
  StoreConversationsArgs *args = g_new0 (StoreConversationsArgs, 1);

  args->type = type;
  args->record_id = g_strdup (record_id);
  args->conversations = g_ptr_array_ref (conversations);
  return args;
}

static gboolean
store_conversations_func (LumaCache          *self,
                          gpointer            data,
                          LumaCacheWriteJob  *job,
                          GCancellable       *cancellable,
                          GError            **error)
{
  StoreConversationsArgs *args = data;
  sqlite3_stmt *stmt;

  if (!_luma_cache_db_exec_bound (self->wdb,
                                  "DELETE FROM messages WHERE conversation IN (SELECT id FROM conversations"
                                  " WHERE record_kind = ?1 AND record_id = ?2)", error,
                                  "is", (gint64) args->type, args->record_id) ||
      !_luma_cache_db_exec_bound (self->wdb,
                                  "DELETE FROM conversations WHERE record_kind = ?1 AND record_id = ?2", error,
                                  "is", (gint64) args->type, args->record_id))
    return FALSE;

  for (guint i = 0; i < args->conversations->len; i++)
    {
      const LumaConversation *c = g_ptr_array_index (args->conversations, i);
      gint64 conversation;

      stmt = _luma_cache_db_prepare (self->wdb,
                                     "INSERT INTO conversations (record_kind, record_id, position,"
                                     " conversation_id, session_id, user_id, channel, started_on)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int (stmt, 1, args->type);
      _luma_cache_bind_text (stmt, 2, args->record_id);
      sqlite3_bind_int64 (stmt, 3, i);
      _luma_cache_bind_text (stmt, 4, c->conversation_id != NULL ? c->conversation_id : "");
      _luma_cache_bind_text (stmt, 5, c->session_id);
      _luma_cache_bind_text (stmt, 6, c->user_id);
      sqlite3_bind_int (stmt, 7, c->channel);
      sqlite3_bind_int64 (stmt, 8, c->started_on);
      if (!_luma_cache_db_step_done (self->wdb, stmt, error))
        return FALSE;
      conversation = sqlite3_last_insert_rowid (self->wdb->db);

      for (guint j = 0; c->messages != NULL && j < c->messages->len; j++)
        {
          const LumaMessage *m = g_ptr_array_index (c->messages, j);

          stmt = _luma_cache_db_prepare (self->wdb,
                                         "INSERT INTO messages (conversation, position, sender, sender_name,"
                                         " sent_at, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, conversation);
          sqlite3_bind_int64 (stmt, 2, j);
          sqlite3_bind_int (stmt, 3, m->sender);
          _luma_cache_bind_text (stmt, 4, m->sender_name != NULL ? m->sender_name : "");
          sqlite3_bind_int64 (stmt, 5, m->sent_at);
          _luma_cache_bind_text (stmt, 6, m->text != NULL ? m->text : "");
          if (!_luma_cache_db_step_done (self->wdb, stmt, error))
            return FALSE;
        }
    }

  return _luma_cache_db_exec_bound (self->wdb,
                                    "INSERT OR REPLACE INTO conversation_sets (record_kind, record_id,"
                                    " n_conversations, stored_on) VALUES (?1, ?2, ?3, ?4)", error,
                                    "isii", (gint64) args->type, args->record_id,
                                    (gint64) args->conversations->len,
                                    g_get_real_time () / G_USEC_PER_SEC);
}

gboolean
luma_cache_store_conversations (LumaCache        *self,
                                LumaLicenseType   license_type,
                                const char       *record_id,
                                GPtrArray        *conversations,
                                GError          **error)
{
  g_autoptr(StoreConversationsArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (record_id != NULL && conversations != NULL, FALSE);
  if (!_luma_cache_check_license_type (license_type, error))
    return FALSE;
  args = store_conversations_args_new (license_type, record_id, conversations);
  return _luma_cache_run_write (self, store_conversations_func, args,
                                LUMA_CACHE_JOB_TRANSACTION, NULL, error);
}

void
luma_cache_store_conversations_async (LumaCache           *self,
                                      LumaLicenseType      license_type,
                                      const char          *record_id,
                                      GPtrArray           *conversations,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (record_id != NULL && conversations != NULL);
  _luma_cache_run_write_async (self, store_conversations_func,
                               store_conversations_args_new (license_type, record_id, conversations),
                               (GDestroyNotify) store_conversations_args_free, LUMA_CACHE_JOB_TRANSACTION,
                               luma_cache_store_conversations_async, cancellable, callback, user_data);
}

gboolean
luma_cache_store_conversations_finish (LumaCache     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return _luma_cache_finish_write (self, result, NULL, error);
}

GPtrArray *
luma_cache_get_conversations (LumaCache        *self,
                              LumaLicenseType   license_type,
                              const char       *record_id,
                              GError          **error)
{
  LumaCacheDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) result = NULL;
  gint64 stored_count = -1, record_count = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);
  if (!_luma_cache_check_license_type (license_type, error))
    return NULL;
  db = _luma_cache_pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;

  /* One read transaction, so the set and its rows agree. */
  if (!_luma_cache_db_exec (db, "BEGIN", error))
    goto out;

  stmt = _luma_cache_db_prepare (db, "SELECT n_conversations FROM conversation_sets WHERE record_kind = ?1"
                                     " AND record_id = ?2", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int (stmt, 1, license_type);
  _luma_cache_bind_text (stmt, 2, record_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    stored_count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (stored_count < 0)
    goto out;

  stmt = _luma_cache_db_prepare (db, license_type == LUMA_LICENSE_TYPE_SESSION
                                     ? "SELECT conversations FROM sessions WHERE session_id = ?1"
                                     : "SELECT conversations FROM users WHERE user_id = ?1", error);
  if (stmt == NULL)
    goto out;
  _luma_cache_bind_text (stmt, 1, record_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    record_count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  /* The record gained conversations since: the cached list is out of date. */
  if (record_count >= 0 && record_count != stored_count)
    goto out;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_conversation_free);
  stmt = _luma_cache_db_prepare (db,
                                 "SELECT c.conversation_id, c.session_id, c.user_id, c.channel, c.started_on,"
                                 " m.sender, m.sender_name, m.sent_at, m.text, c.id"
                                 " FROM conversations c LEFT JOIN messages m ON m.conversation = c.id"
                                 " WHERE c.record_kind = ?1 AND c.record_id = ?2"
                                 " ORDER BY c.position, m.position", error);
  if (stmt == NULL)
    {
      g_clear_pointer (&result, g_ptr_array_unref);
      goto out;
    }
  sqlite3_bind_int (stmt, 1, license_type);
  _luma_cache_bind_text (stmt, 2, record_id);
  {
    LumaConversation *current = NULL;
    gint64 current_id = -1;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        gint64 id = sqlite3_column_int64 (stmt, 9);

        if (current == NULL || id != current_id)
          {
            current = g_new0 (LumaConversation, 1);
            current->conversation_id = g_strdup (_luma_cache_column_text (stmt, 0));
            current->session_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
            current->user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
            current->channel = sqlite3_column_int (stmt, 3);
            current->started_on = sqlite3_column_int64 (stmt, 4);
            current->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_message_free);
            current_id = id;
            g_ptr_array_add (result, current);
          }
        if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
          {
            LumaMessage *m = g_new0 (LumaMessage, 1);
            m->sender = sqlite3_column_int (stmt, 5);
            m->sender_name = g_strdup (_luma_cache_column_text (stmt, 6));
            m->sent_at = sqlite3_column_int64 (stmt, 7);
            m->text = g_strdup (_luma_cache_column_text (stmt, 8));
            g_ptr_array_add (current->messages, m);
          }
      }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
      {
        _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot read the conversations");
        g_clear_pointer (&result, g_ptr_array_unref);
      }
  }

out:
  if (!sqlite3_get_autocommit (db->db))
    sqlite3_exec (db->db, "COMMIT", NULL, NULL, NULL);
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&result);
}
