/* luma-cache-schema.c: the cache file, its schema, migrations and indexes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening checks the file and brings its schema up to date; a damaged file
 * is moved aside and a new one created. The history's sort and search
 * indexes are dropped for a full sync and built after it.
 */

#include "config.h"

#include "luma-cache-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* "LUMA" */
#define APPLICATION_ID 0x4C554D41
/* Syncs append in key order and need little cache; index builds measured
 * no faster with 64 MB than with 16 MB (the sorter spills to temporary
 * files either way), and this cache is the client's largest share of RSS. */
#define WRITER_CACHE_KIB 16384
#define FTS_BUILD_HASH_BYTES (16 * 1024 * 1024)
#define FTS_DEFAULT_HASH_BYTES (1024 * 1024)

/* ---- Schema --------------------------------------------------------------------------------- */

/* migrations[i] takes user_version i to i + 1. Never edit a released entry:
 * add a new one. */
static const char *const migrations[] = {
  /* 0 -> 1: the base schema */
  "CREATE TABLE meta ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE sync_state ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  license_type INTEGER,"
  "  cursor TEXT,"
  "  last_synced INTEGER NOT NULL DEFAULT 0"
  ");"
  "INSERT INTO sync_state (id) VALUES (1);"
  "CREATE TABLE subscription ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  external_id TEXT NOT NULL,"
  "  tenant_name TEXT NOT NULL,"
  "  license_type INTEGER NOT NULL,"
  "  start_date INTEGER NOT NULL,"
  "  end_date INTEGER NOT NULL,"
  "  session_duration_minutes INTEGER NOT NULL,"
  "  total_purchase INTEGER NOT NULL,"
  "  consumed INTEGER NOT NULL,"
  "  available INTEGER NOT NULL,"
  "  overage INTEGER NOT NULL,"
  "  technical_emails TEXT NOT NULL," /* JSON arrays */
  "  billing_emails TEXT NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  etag TEXT,"
  "  stored_on INTEGER NOT NULL"
  ");"
  "CREATE TABLE purchases ("
  "  position INTEGER PRIMARY KEY,"
  "  purchase_id TEXT NOT NULL UNIQUE,"
  "  performed_on INTEGER NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  change INTEGER NOT NULL,"
  "  total_after INTEGER NOT NULL,"
  "  performed_by TEXT NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  reference TEXT"
  ");"
  "CREATE TABLE sessions ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id TEXT NOT NULL UNIQUE,"
  "  started_on INTEGER NOT NULL,"
  "  initiated_by INTEGER NOT NULL,"
  "  user_name TEXT NOT NULL COLLATE NOCASE,"
  "  email TEXT NOT NULL COLLATE NOCASE,"
  "  role INTEGER NOT NULL,"
  "  agent_name TEXT COLLATE NOCASE,"
  "  channel INTEGER NOT NULL,"
  "  conversations INTEGER NOT NULL"
  ");"
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  user_id TEXT NOT NULL UNIQUE,"
  "  user_name TEXT NOT NULL COLLATE NOCASE,"
  "  email TEXT NOT NULL COLLATE NOCASE,"
  "  first_name TEXT NOT NULL COLLATE NOCASE,"
  "  last_name TEXT NOT NULL COLLATE NOCASE,"
  "  role INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  created_on INTEGER NOT NULL,"
  "  conversations INTEGER NOT NULL"
  ");"
  "CREATE VIRTUAL TABLE sessions_fts USING fts5 ("
  "  session_id, user_name, email, agent_name,"
  "  content='sessions', content_rowid='id', tokenize='trigram');"
  "CREATE VIRTUAL TABLE users_fts USING fts5 ("
  "  user_id, user_name, email, first_name, last_name,"
  "  content='users', content_rowid='id', tokenize='trigram');"
  "CREATE TABLE conversation_sets ("
  "  record_kind INTEGER NOT NULL,"
  "  record_id TEXT NOT NULL,"
  "  n_conversations INTEGER NOT NULL,"
  "  stored_on INTEGER NOT NULL,"
  "  PRIMARY KEY (record_kind, record_id)"
  ") WITHOUT ROWID;"
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  record_kind INTEGER NOT NULL,"
  "  record_id TEXT NOT NULL,"
  "  position INTEGER NOT NULL,"
  "  conversation_id TEXT NOT NULL,"
  "  session_id TEXT,"
  "  user_id TEXT,"
  "  channel INTEGER NOT NULL,"
  "  started_on INTEGER NOT NULL,"
  "  UNIQUE (record_kind, record_id, position)"
  ");"
  "CREATE TABLE messages ("
  "  conversation INTEGER NOT NULL,"
  "  position INTEGER NOT NULL,"
  "  sender INTEGER NOT NULL,"
  "  sender_name TEXT NOT NULL,"
  "  sent_at INTEGER NOT NULL,"
  "  text TEXT NOT NULL,"
  "  PRIMARY KEY (conversation, position)"
  ") WITHOUT ROWID;"
  "CREATE TABLE outbox ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  technical_emails TEXT NOT NULL,"
  "  billing_emails TEXT NOT NULL,"
  "  base_version INTEGER NOT NULL,"
  "  queued_on INTEGER NOT NULL"
  ");"
  "CREATE TABLE contacts_conflict ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  mine_technical_emails TEXT NOT NULL,"
  "  mine_billing_emails TEXT NOT NULL,"
  "  mine_base_version INTEGER NOT NULL,"
  "  theirs_technical_emails TEXT NOT NULL,"
  "  theirs_billing_emails TEXT NOT NULL,"
  "  theirs_version INTEGER NOT NULL,"
  "  detected_on INTEGER NOT NULL"
  ");",

  /* 1 -> 2: what the threshold notifications have already said */
  "CREATE TABLE notified_thresholds ("
  "  tenant TEXT NOT NULL,"
  "  term_start INTEGER NOT NULL,"
  "  percent INTEGER NOT NULL,"
  "  notified_on INTEGER NOT NULL,"
  "  PRIMARY KEY (tenant, term_start, percent)"
  ") WITHOUT ROWID;",

  /* 2 -> 3: the search index is kept current by the commit itself, in a
   * few set-wise statements: row-wise triggers made FTS5 write a segment
   * per row (it flushes at every statement) */
  "DROP TRIGGER IF EXISTS sessions_fts_ai; DROP TRIGGER IF EXISTS sessions_fts_au;"
  "DROP TRIGGER IF EXISTS sessions_fts_ad; DROP TRIGGER IF EXISTS users_fts_ai;"
  "DROP TRIGGER IF EXISTS users_fts_au; DROP TRIGGER IF EXISTS users_fts_ad;",

  /* 3 -> 4: a superadmin's tenant list, for the tenants page offline */
  "CREATE TABLE IF NOT EXISTS tenants ("
  "  position INTEGER PRIMARY KEY,"
  "  external_id TEXT NOT NULL UNIQUE,"
  "  tenant_name TEXT NOT NULL,"
  "  license_type INTEGER NOT NULL,"
  "  start_date INTEGER NOT NULL,"
  "  end_date INTEGER NOT NULL,"
  "  total_purchase INTEGER NOT NULL,"
  "  consumed INTEGER NOT NULL,"
  "  available INTEGER NOT NULL,"
  "  overage INTEGER NOT NULL"
  ");",

  /* 4 -> 5: the consumption of each tenant over time, from the tenant list,
   * for the board's recent rate: the first sample of each day */
  "CREATE TABLE IF NOT EXISTS tenant_samples ("
  "  external_id TEXT NOT NULL,"
  "  day INTEGER NOT NULL,"
  "  term_start INTEGER NOT NULL,"
  "  sampled_on INTEGER NOT NULL,"
  "  consumed INTEGER NOT NULL,"
  "  PRIMARY KEY (external_id, day)"
  ") WITHOUT ROWID;",

  /* 5 -> 6: each tenant's last refill, from the tenant list. A NULL change
   * is unknown (a list stored before, or from an older server), 0 never.
   * The table is rebuilt rather than altered, so that the step can run
   * again over a table that has the columns (ADD COLUMN cannot). */
  "CREATE TABLE IF NOT EXISTS tenants_6 ("
  "  position INTEGER PRIMARY KEY,"
  "  external_id TEXT NOT NULL UNIQUE,"
  "  tenant_name TEXT NOT NULL,"
  "  license_type INTEGER NOT NULL,"
  "  start_date INTEGER NOT NULL,"
  "  end_date INTEGER NOT NULL,"
  "  total_purchase INTEGER NOT NULL,"
  "  consumed INTEGER NOT NULL,"
  "  available INTEGER NOT NULL,"
  "  overage INTEGER NOT NULL,"
  "  last_refill_on INTEGER,"
  "  last_refill_change INTEGER"
  ");"
  "INSERT OR REPLACE INTO tenants_6 (position, external_id, tenant_name, license_type, start_date,"
  "  end_date, total_purchase, consumed, available, overage)"
  "  SELECT position, external_id, tenant_name, license_type, start_date, end_date,"
  "  total_purchase, consumed, available, overage FROM tenants;"
  "DROP TABLE tenants;"
  "ALTER TABLE tenants_6 RENAME TO tenants;",

  /* 6 -> 7: each user's last conversation, from the feed
   * (lastConversationOn). NULL: none known, i.e. never (conversations 0)
   * or not given (an older server, or a row stored before this step).
   * Rebuilt as 5 -> 6 is (so the step can run again over a table that has
   * the column), with the same row ids (the search index refers to them)
   * and the sort indexes again. An incremental sync sends only
   * the records that change, so a user-based history is fetched again from
   * the beginning for every user to get it. */
  "CREATE TABLE IF NOT EXISTS users_7 ("
  "  id INTEGER PRIMARY KEY,"
  "  user_id TEXT NOT NULL UNIQUE,"
  "  user_name TEXT NOT NULL COLLATE NOCASE,"
  "  email TEXT NOT NULL COLLATE NOCASE,"
  "  first_name TEXT NOT NULL COLLATE NOCASE,"
  "  last_name TEXT NOT NULL COLLATE NOCASE,"
  "  role INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  created_on INTEGER NOT NULL,"
  "  conversations INTEGER NOT NULL,"
  "  last_conversation_on INTEGER"
  ");"
  "INSERT OR REPLACE INTO users_7 (id, user_id, user_name, email, first_name, last_name, role,"
  "  status, created_on, conversations)"
  "  SELECT id, user_id, user_name, email, first_name, last_name, role, status, created_on,"
  "  conversations FROM users;"
  "DROP TABLE users;"
  "ALTER TABLE users_7 RENAME TO users;"
  "CREATE INDEX IF NOT EXISTS users_by_time ON users (created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_user_name ON users (user_name, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_email ON users (email, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_first_name ON users (first_name, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_last_name ON users (last_name, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_role ON users (role, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_status ON users (status, created_on);"
  "CREATE INDEX IF NOT EXISTS users_by_conversations ON users (conversations, created_on);"
  "UPDATE sync_state SET cursor = NULL WHERE id = 1 AND license_type = 1;",
};

#define SCHEMA_VERSION ((int) G_N_ELEMENTS (migrations))

/* Secondary indexes: built after the rows on a full sync. Each sort index
 * carries the time column so a date range is answered from the index, and
 * its entries (col, time, rowid) are exactly the documented order. */
static const char *const session_indexes[] = {
  "CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_user_name ON sessions (user_name, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_email ON sessions (email, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_role ON sessions (role, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_conversations ON sessions (conversations, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_initiated_by ON sessions (initiated_by, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_agent_name ON sessions (agent_name, started_on)",
  "CREATE INDEX IF NOT EXISTS sessions_by_channel ON sessions (channel, started_on)",
};

static const char *const user_indexes[] = {
  "CREATE INDEX IF NOT EXISTS users_by_time ON users (created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_user_name ON users (user_name, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_email ON users (email, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_first_name ON users (first_name, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_last_name ON users (last_name, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_role ON users (role, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_status ON users (status, created_on)",
  "CREATE INDEX IF NOT EXISTS users_by_conversations ON users (conversations, created_on)",
};

const LumaCacheHistoryTable _luma_cache_history_tables[2] = {
  [LUMA_LICENSE_TYPE_SESSION] = {
    "sessions", "sessions_fts", "session_id", "started_on",
    "id, session_id, started_on, initiated_by, user_name, email, role, agent_name, channel, conversations",
    "session_id, user_name, email, agent_name",
    { "session_id", "user_name", "email", "agent_name", NULL },
    session_indexes, G_N_ELEMENTS (session_indexes),
    "DROP TRIGGER IF EXISTS sessions_fts_ai; DROP TRIGGER IF EXISTS sessions_fts_au;"
    "DROP TRIGGER IF EXISTS sessions_fts_ad;",
    "indexes_ready.sessions",
    {
      [LUMA_HISTORY_COLUMN_TIME] = "started_on",
      [LUMA_HISTORY_COLUMN_ID] = "session_id",
      [LUMA_HISTORY_COLUMN_USER_NAME] = "user_name",
      [LUMA_HISTORY_COLUMN_EMAIL] = "email",
      [LUMA_HISTORY_COLUMN_ROLE] = "role",
      [LUMA_HISTORY_COLUMN_CONVERSATIONS] = "conversations",
      [LUMA_HISTORY_COLUMN_INITIATED_BY] = "initiated_by",
      [LUMA_HISTORY_COLUMN_AGENT_NAME] = "agent_name",
      [LUMA_HISTORY_COLUMN_CHANNEL] = "channel",
    },
  },
  [LUMA_LICENSE_TYPE_USER] = {
    "users", "users_fts", "user_id", "created_on",
    "id, user_id, user_name, email, first_name, last_name, role, status, created_on, conversations,"
    " last_conversation_on",
    "user_id, user_name, email, first_name, last_name",
    { "user_id", "user_name", "email", "first_name", "last_name" },
    user_indexes, G_N_ELEMENTS (user_indexes),
    "DROP TRIGGER IF EXISTS users_fts_ai; DROP TRIGGER IF EXISTS users_fts_au;"
    "DROP TRIGGER IF EXISTS users_fts_ad;",
    "indexes_ready.users",
    {
      [LUMA_HISTORY_COLUMN_TIME] = "created_on",
      [LUMA_HISTORY_COLUMN_ID] = "user_id",
      [LUMA_HISTORY_COLUMN_USER_NAME] = "user_name",
      [LUMA_HISTORY_COLUMN_EMAIL] = "email",
      [LUMA_HISTORY_COLUMN_ROLE] = "role",
      [LUMA_HISTORY_COLUMN_CONVERSATIONS] = "conversations",
      [LUMA_HISTORY_COLUMN_FIRST_NAME] = "first_name",
      [LUMA_HISTORY_COLUMN_LAST_NAME] = "last_name",
      [LUMA_HISTORY_COLUMN_STATUS] = "status",
    },
  },
};

static const char *const index_names[2][8] = {
  { "sessions_by_time", "sessions_by_user_name", "sessions_by_email", "sessions_by_role",
    "sessions_by_conversations", "sessions_by_initiated_by", "sessions_by_agent_name",
    "sessions_by_channel" },
  { "users_by_time", "users_by_user_name", "users_by_email", "users_by_first_name",
    "users_by_last_name", "users_by_role", "users_by_status", "users_by_conversations" },
};

/* ---- The file ------------------------------------------------------------------------------- */

typedef enum
{
  OPEN_OK,
  OPEN_CORRUPT,
  OPEN_ERROR,
} OpenResult;

static gboolean
set_mode_0600 (const char  *path,
               GError     **error)
{
  if (g_chmod (path, 0600) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot set the permissions of %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
_luma_cache_create_file_0600 (const char  *path,
                              GError     **error)
{
  int fd = g_open (path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot create the cache %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  /* The umask may have taken bits away, never added: make it exact. */
  return set_mode_0600 (path, error);
}

static gboolean
is_corruption (int rc)
{
  return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* The page-by-page check reads the whole file: about a second per million
 * records. It always runs on a small cache, after a session that did not
 * close the cache (a crash, a kill), and once a week; otherwise opening
 * only checks the header, the schema and the table roots. */
#define FULL_CHECK_MAX_BYTES (64 * 1024 * 1024)
#define FULL_CHECK_INTERVAL_S (7 * 24 * 3600)

char *
_luma_cache_open_marker_path (const char *path)
{
  return g_strconcat (path, ".open", NULL);
}

static gboolean
need_full_check (const char  *path,
                 LumaCacheDb *db)
{
  g_autofree char *marker = _luma_cache_open_marker_path (path);
  g_autofree char *last = NULL;
  GStatBuf st;

  if (g_stat (path, &st) != 0 || st.st_size <= FULL_CHECK_MAX_BYTES)
    return TRUE;
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return TRUE;
  last = _luma_cache_meta_get (db, "last_full_check", NULL);
  return last == NULL ||
         g_get_real_time () / G_USEC_PER_SEC - g_ascii_strtoll (last, NULL, 10) > FULL_CHECK_INTERVAL_S;
}

static OpenResult
try_open (const char    *path,
          LumaCacheDb  **db_out,
          char         **why,
          GError       **error)
{
  sqlite3 *handle = NULL;
  g_autoptr(GError) local = NULL;
  LumaCacheDb *db;
  gint64 app_id = 0, version = 0, n_objects = 0;
  int rc;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *pragmas = NULL;
  gboolean did_full_check = FALSE;

  rc = sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, handle, rc, "Cannot open the cache");
      sqlite3_close_v2 (handle);
      return OPEN_ERROR;
    }
  db = _luma_cache_db_wrap (handle);
  sqlite3_busy_timeout (handle, 10000);
  sqlite3_extended_result_codes (handle, 0);

  if (!_luma_cache_db_query_int (db, "PRAGMA application_id", &app_id, &rc) ||
      !_luma_cache_db_query_int (db, "PRAGMA user_version", &version, &rc) ||
      !_luma_cache_db_query_int (db, "SELECT count(*) FROM sqlite_schema", &n_objects, &rc))
    goto failed;

  if (app_id != APPLICATION_ID && !(app_id == 0 && version == 0 && n_objects == 0))
    {
      *why = g_strdup ("not a cache of this app");
      _luma_cache_db_free (db);
      return OPEN_CORRUPT;
    }

  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_SCHEMA,
                   "The cache %s was written by a newer version of this app "
                   "(schema %" G_GINT64_FORMAT ", this version knows %d)",
                   path, version, SCHEMA_VERSION);
      _luma_cache_db_free (db);
      return OPEN_ERROR;
    }

  pragmas = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                             "PRAGMA cache_size = -%d; PRAGMA foreign_keys = OFF;"
                             /* No sorter helper threads: on two shared
                              * cores they made an index build slower, cost
                              * more CPU and doubled its memory. */
                             "PRAGMA threads = 0;",
                             WRITER_CACHE_KIB);
  rc = sqlite3_exec (handle, pragmas, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    goto failed;

  if (n_objects > 0 && !need_full_check (path, db))
    {
      gint64 ignored;

      if (!_luma_cache_db_query_int (db, "SELECT (SELECT max(id) FROM sessions) + (SELECT max(id) FROM users)"
                                         " + (SELECT count(*) FROM meta) + (SELECT count(*) FROM sync_state)",
                                     &ignored, &rc))
        goto failed;
    }
  else if (n_objects > 0)
    {
      did_full_check = TRUE;
      rc = sqlite3_prepare_v2 (handle, "PRAGMA quick_check", -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        {
          rc = sqlite3_step (stmt);
          if (rc == SQLITE_ROW)
            {
              const char *result = (const char *) sqlite3_column_text (stmt, 0);
              if (g_strcmp0 (result, "ok") != 0)
                {
                  if (result != NULL && g_str_has_prefix (result, "*** ") && strchr (result, '\n') != NULL)
                    result = strchr (result, '\n') + 1;
                  /* The first problem says enough; there may be thousands. */
                  *why = g_strdup_printf ("integrity check failed: %.*s",
                                          (int) strcspn (result != NULL ? result : "", "\n"),
                                          result != NULL ? result : "");
                  sqlite3_finalize (stmt);
                  _luma_cache_db_free (db);
                  return OPEN_CORRUPT;
                }
              rc = SQLITE_OK;
            }
        }
      sqlite3_finalize (stmt);
      stmt = NULL;
      if (rc != SQLITE_OK)
        goto failed;
    }

  if (version < SCHEMA_VERSION)
    {
      g_autofree char *set_version = NULL;

      if (!_luma_cache_db_exec (db, "BEGIN IMMEDIATE", &local))
        goto failed_local;
      for (gint64 v = version; v < SCHEMA_VERSION; v++)
        {
          if (!_luma_cache_db_exec (db, migrations[v], &local))
            {
              sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
              g_prefix_error (&local, "Cannot upgrade the cache to schema %d: ", (int) v + 1);
              goto failed_local;
            }
        }
      /* A new cache has every index (of empty tables). */
      for (guint t = 0; t < 2 && version == 0; t++)
        {
          const LumaCacheHistoryTable *table = &_luma_cache_history_tables[t];
          gboolean ok = _luma_cache_meta_set (db, table->ready_key, "1", &local);

          for (guint i = 0; ok && i < table->n_indexes; i++)
            ok = _luma_cache_db_exec (db, table->indexes[i], &local);
          if (!ok)
            {
              sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
              goto failed_local;
            }
        }
      set_version = g_strdup_printf ("PRAGMA user_version = %d; PRAGMA application_id = %d;",
                                     SCHEMA_VERSION, APPLICATION_ID);
      if (!_luma_cache_db_exec (db, set_version, &local) ||
          !_luma_cache_db_exec (db, "COMMIT", &local))
        {
          sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
          goto failed_local;
        }
    }

  /* A new file counts as checked. */
  if (did_full_check || n_objects == 0)
    {
      g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
      if (!_luma_cache_meta_set (db, "last_full_check", now, &local))
        goto failed_local;
    }

  *db_out = db;
  return OPEN_OK;

failed_local:
  if (local->domain == LUMA_CACHE_ERROR && local->code == LUMA_CACHE_ERROR_CORRUPT)
    {
      *why = g_strdup (local->message);
      _luma_cache_db_free (db);
      return OPEN_CORRUPT;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  _luma_cache_db_free (db);
  return OPEN_ERROR;

failed:
  if (is_corruption (rc))
    {
      *why = g_strdup (sqlite3_errstr (rc));
      _luma_cache_db_free (db);
      return OPEN_CORRUPT;
    }
  _luma_cache_set_sqlite_error (error, handle, rc, "Cannot open the cache");
  _luma_cache_db_free (db);
  return OPEN_ERROR;
}

static gboolean
move_aside (const char  *path,
            char       **moved_to,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", path, stamp);
  static const char *const suffixes[] = { "-wal", "-shm" };

  /* Two failures in one second must not overwrite the first copy. */
  for (guint n = 1; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s.%u", path, stamp, n);
    }

  if (g_rename (path, target) != 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot move the damaged cache %s aside: %s", path, g_strerror (saved));
      return FALSE;
    }
  /* Keep the journal files with it, named as SQLite expects. */
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (target, suffixes[i], NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS) && g_rename (from, to) != 0)
        g_unlink (from);
    }
  *moved_to = g_steal_pointer (&target);
  return TRUE;
}

static gboolean
fix_modes (const char  *path,
           GError     **error)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  return set_mode_0600 (path, error) && set_mode_0600 (wal, error) && set_mode_0600 (shm, error);
}

LumaCacheDb *
_luma_cache_schema_open (const char        *path,
                         char             **moved_to,
                         LumaCacheSalvage  *salvage_out,
                         GError           **error)
{
  g_autofree char *why = NULL;
  g_autofree char *moved = NULL;
  LumaCacheDb *db = NULL;
  OpenResult result;

  if (!_luma_cache_create_file_0600 (path, error))
    return NULL;

  result = try_open (path, &db, &why, error);
  if (result == OPEN_ERROR)
    return NULL;
  if (result == OPEN_CORRUPT)
    {
      g_message ("The cache %s is damaged (%s): moving it aside and starting afresh",
                 path, why);
      if (!move_aside (path, &moved, error) || !_luma_cache_create_file_0600 (path, error))
        return NULL;
      set_mode_0600 (moved, NULL);
      g_clear_pointer (&why, g_free);
      result = try_open (path, &db, &why, error);
      if (result == OPEN_CORRUPT)
        g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CORRUPT,
                     "Cannot create a new cache at %s: %s", path, why);
      if (result != OPEN_OK)
        return NULL;
      *salvage_out = _luma_cache_outbox_salvage (db, moved);
    }
  else
    *salvage_out = LUMA_CACHE_SALVAGE_NONE;

  if (!fix_modes (path, error))
    {
      _luma_cache_db_free (db);
      return NULL;
    }
  *moved_to = g_steal_pointer (&moved);
  return db;
}

/* ---- Indexes -------------------------------------------------------------------------------- */

/* @data: the LumaLicenseType of the history. */

static gboolean
begin_full_sync_func (LumaCache          *self,
                      gpointer            data,
                      LumaCacheWriteJob  *job,
                      GCancellable       *cancellable,
                      GError            **error)
{
  LumaLicenseType type = *(LumaLicenseType *) data;
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *clear_fts = NULL;
  sqlite3_stmt *stmt;

  if (!_luma_cache_begin (self, error))
    return FALSE;
  /* The time index stays: records come roughly in time order, so keeping
   * it costs little, and the history is browsable newest first all along. */
  for (guint i = 1; i < t->n_indexes; i++)
    {
      g_autofree char *drop = g_strdup_printf ("DROP INDEX IF EXISTS %s", index_names[type][i]);
      if (!_luma_cache_db_exec (self->wdb, drop, error))
        goto fail;
    }
  clear_fts = g_strdup_printf ("INSERT INTO %s (%s) VALUES ('delete-all')", t->fts, t->fts);
  if (!_luma_cache_db_exec (self->wdb, t->drop_triggers, error) ||
      !_luma_cache_db_exec (self->wdb, clear_fts, error) ||
      !_luma_cache_meta_set (self->wdb, t->ready_key, "0", error))
    goto fail;
  stmt = _luma_cache_db_prepare (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, type);
  if (!_luma_cache_db_step_done (self->wdb, stmt, error) || !_luma_cache_commit (self, error))
    goto fail;

  /* Every commit of a full sync would otherwise copy its pages home and
   * sync the disk twice; the WAL is checkpointed once, after the indexes. */
  sqlite3_exec (self->wdb->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);

  if (g_atomic_int_compare_and_exchange (&self->indexes_ready[type], TRUE, FALSE))
    _luma_cache_emit (self, LUMA_CACHE_EMIT_INDEXES_READY);
  /* The feed comes again from its start: its first commit replaces what
   * the history holds (see luma-cache-history.c). */
  self->replace_rows[type] = TRUE;
  return TRUE;

fail:
  _luma_cache_rollback (self);
  return FALSE;
}

gboolean
luma_cache_begin_full_sync (LumaCache        *self,
                            LumaLicenseType   license_type,
                            GError          **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  if (!_luma_cache_check_license_type (license_type, error))
    return FALSE;
  return _luma_cache_run_write (self, begin_full_sync_func, &license_type,
                                LUMA_CACHE_JOB_NONE, NULL, error);
}

/* Sort index @i of @t, or its search index when @i is t->n_indexes. */
static gboolean
build_index_step (LumaCache                    *self,
                  const LumaCacheHistoryTable  *t,
                  guint                         i,
                  GError                      **error)
{
  gboolean ok;

  if (i < t->n_indexes)
    ok = _luma_cache_db_exec (self->wdb, t->indexes[i], error);
  else
    {
      /* 'rebuild' alone: it merges segments as it goes. An 'optimize'
       * into one segment after it cost half the rebuild again, and later
       * commits merge in small steps (automerge) anyway. A larger pending
       * hash for the rebuild only (default 1 MB) means fewer, larger
       * segments to merge: about a fifth less CPU. */
      g_autofree char *rebuild = g_strdup_printf ("INSERT INTO %s (%s, rank) VALUES ('hashsize', %d);"
                                                  "INSERT INTO %s (%s) VALUES ('rebuild');"
                                                  "INSERT INTO %s (%s, rank) VALUES ('hashsize', %d)",
                                                  t->fts, t->fts, FTS_BUILD_HASH_BYTES,
                                                  t->fts, t->fts,
                                                  t->fts, t->fts, FTS_DEFAULT_HASH_BYTES);

      /* The full sync before is over: what its commits counted on goes. */
      if (sqlite3_exec (self->wdb->db, "DROP TABLE IF EXISTS temp.replaced_ids", NULL, NULL, NULL) == SQLITE_OK)
        self->replaced_ids = FALSE;
      ok = _luma_cache_begin (self, error);
      if (ok && (!_luma_cache_db_exec (self->wdb, rebuild, error) ||
                 !_luma_cache_meta_set (self->wdb, t->ready_key, "1", error) ||
                 !_luma_cache_commit (self, error)))
        {
          _luma_cache_rollback (self);
          ok = FALSE;
        }
    }
  /* Hand back what the sort and the search index's pending hash took. */
  sqlite3_exec (self->wdb->db, "PRAGMA shrink_memory", NULL, NULL, NULL);
  return ok;
}

typedef struct
{
  LumaLicenseType  type;  /* the stored one: its indexes come first */
  guint            step;  /* how far the build got */
} BuildIndexesArgs;

/* One index per run, then requeued, so that writes queued meanwhile (an
 * outbox edit, a commit) wait for one index at most. */
static gboolean
build_indexes_func (LumaCache          *self,
                    gpointer            data,
                    LumaCacheWriteJob  *job,
                    GCancellable       *cancellable,
                    GError            **error)
{
  BuildIndexesArgs *args = data;
  const LumaCacheHistoryTable *t;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* Steps run over both histories, the stored type first: its sort
   * indexes, then its search index. */
  while (args->step < 2 * (G_N_ELEMENTS (session_indexes) + 1))
    {
      guint per_table = G_N_ELEMENTS (session_indexes) + 1;
      guint table = args->step / per_table;
      guint i = args->step % per_table;
      LumaLicenseType type = table == 0 ? args->type : 1 - args->type;

      t = &_luma_cache_history_tables[type];
      if (g_atomic_int_get (&self->indexes_ready[type]))
        {
          args->step = (table + 1) * per_table;
          continue;
        }
      args->step++;

      if (!build_index_step (self, t, i, error))
        return FALSE;
      if (i >= t->n_indexes)
        {
          g_atomic_int_set (&self->indexes_ready[type], TRUE);
          _luma_cache_emit (self, LUMA_CACHE_EMIT_INDEXES_READY);
          /* The index pages went through the WAL: copy them home now, in
           * the background, rather than in the next sync's commit. */
          sqlite3_exec (self->wdb->db, "PRAGMA wal_autocheckpoint = 1000", NULL, NULL, NULL);
          sqlite3_wal_checkpoint_v2 (self->wdb->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        }
      job->requeue = TRUE;
      return TRUE;
    }
  return TRUE;
}

static BuildIndexesArgs *
build_indexes_args_new (LumaCache *self)
{
  BuildIndexesArgs *args = g_new0 (BuildIndexesArgs, 1);
  LumaLicenseType type = LUMA_LICENSE_TYPE_SESSION;

  luma_cache_get_license_type (self, &type);
  args->type = type;
  return args;
}

void
luma_cache_build_indexes_async (LumaCache           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  _luma_cache_run_write_async (self, build_indexes_func, build_indexes_args_new (self), g_free,
                               LUMA_CACHE_JOB_NONE, luma_cache_build_indexes_async, cancellable, callback, user_data);
}

gboolean
luma_cache_build_indexes_finish (LumaCache     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _luma_cache_finish_write (self, result, NULL, error);
}

gboolean
luma_cache_build_indexes (LumaCache     *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree BuildIndexesArgs *args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  /* The steps requeue themselves like the async ones; this waits for the
   * last. Cancelling is only looked at by the async variant. */
  args = build_indexes_args_new (self);
  return _luma_cache_run_write (self, build_indexes_func, args, LUMA_CACHE_JOB_NONE, NULL, error);
}

gboolean
luma_cache_get_indexes_ready (LumaCache *self)
{
  LumaLicenseType type;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  if (luma_cache_get_license_type (self, &type))
    return g_atomic_int_get (&self->indexes_ready[type]);
  return g_atomic_int_get (&self->indexes_ready[0]) && g_atomic_int_get (&self->indexes_ready[1]);
}

