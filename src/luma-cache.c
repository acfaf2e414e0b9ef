/* luma-cache.c: the local SQLite store everything the window shows comes from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One writer thread owns the write connection and runs jobs in order; reads
 * use read-only connections (WAL lets them run during a write): a pool for
 * queries in worker threads and one reserved connection for the main
 * thread's fetch-by-ids.
 */

#include "config.h"

#include "luma-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_DEFINE_QUARK (luma-cache-error-quark, luma_cache_error)

/* "LUMA" */
#define APPLICATION_ID 0x4C554D41
/* Syncs append in key order and need little cache; index builds measured
 * no faster with 64 MB than with 16 MB (the sorter spills to temporary
 * files either way), and this cache is the client's largest share of RSS. */
#define WRITER_CACHE_KIB 16384
#define FTS_BUILD_HASH_BYTES (16 * 1024 * 1024)
#define FTS_DEFAULT_HASH_BYTES (1024 * 1024)
/* Readers map the file: pages read from it cost no heap and no copy, so
 * the cache only holds pages still in the WAL (the file is private to the
 * app and never truncated while open). Its size also bounds the sorter's
 * memory before it spills to files (searches sort their matches: 2 MB made
 * those slower). Both are freed when the reader goes idle. */
#define READER_CACHE_KIB 16384
#define READER_MMAP_BYTES (G_GINT64_CONSTANT (2) << 30)
/* After this long without a job the writer gives its cache back: a sync
 * commits more often than that, and after it the pages only sit idle. */
#define WRITER_IDLE_RELEASE_US (2 * G_USEC_PER_SEC)
#define FETCH_CHUNK 128

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

typedef struct
{
  const char         *table;
  const char         *fts;
  const char         *id_col;
  const char         *time_col;
  const char         *select_cols;
  const char         *fts_cols;
  const char         *search_cols[5];
  const char *const  *indexes;
  guint               n_indexes;
  const char         *drop_triggers;
  const char         *ready_key;
  const char         *sort_cols[LUMA_N_HISTORY_COLUMNS];
} HistoryTable;

static const HistoryTable history_tables[2] = {
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
    "id, user_id, user_name, email, first_name, last_name, role, status, created_on, conversations",
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

/* ---- Connections ---------------------------------------------------------------------------- */

typedef struct
{
  sqlite3      *db;
  GHashTable   *stmts;        /* SQL -> sqlite3_stmt*, prepared once */
  GCancellable *cancellable;  /* checked by the progress handler */
} Db;

static void
db_free (Db *db)
{
  if (db == NULL)
    return;
  g_clear_pointer (&db->stmts, g_hash_table_unref);
  sqlite3_close_v2 (db->db);
  g_free (db);
}

static int
progress_cb (void *data)
{
  Db *db = data;

  return db->cancellable != NULL && g_cancellable_is_cancelled (db->cancellable);
}

static LumaCacheError
error_code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      return LUMA_CACHE_ERROR_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return LUMA_CACHE_ERROR_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return LUMA_CACHE_ERROR_BUSY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_NOLFS:
      return LUMA_CACHE_ERROR_IO;
    default:
      return LUMA_CACHE_ERROR_FAILED;
    }
}

static void
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  int          rc,
                  const char  *what)
{
  if ((rc & 0xff) == SQLITE_INTERRUPT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
      return;
    }
  g_set_error (error, LUMA_CACHE_ERROR, error_code_for (rc), "%s: %s", what,
               db != NULL && sqlite3_errcode (db) == rc ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

static gboolean
db_exec (Db          *db,
         const char  *sql,
         GError     **error)
{
  int rc = sqlite3_exec (db->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db->db, rc, "Cache");
      return FALSE;
    }
  return TRUE;
}

/* A prepared statement kept for the life of the connection, reset and
 * cleared. Reset it again after use so no read transaction stays open. */
static sqlite3_stmt *
db_prepare (Db          *db,
            const char  *sql,
            GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (db->stmts, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db->db, rc, "Cache");
      return NULL;
    }
  g_hash_table_insert (db->stmts, (gpointer) sql, stmt);
  return stmt;
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static Db *
db_wrap (sqlite3 *handle)
{
  Db *db = g_new0 (Db, 1);

  db->db = handle;
  db->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_stmt);
  sqlite3_progress_handler (handle, 4000, progress_cb, db);
  return db;
}

static Db *
db_open_read (const char  *path,
              GError     **error)
{
  sqlite3 *handle = NULL;
  int rc = sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  Db *db;
  g_autofree char *pragmas = NULL;

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, handle, rc, "Cannot open the cache");
      sqlite3_close_v2 (handle);
      return NULL;
    }
  db = db_wrap (handle);
  sqlite3_busy_timeout (handle, 5000);
  pragmas = g_strdup_printf ("PRAGMA cache_size = -%d; PRAGMA mmap_size = %" G_GINT64_FORMAT ";"
                             "PRAGMA query_only = 1;",
                             READER_CACHE_KIB, READER_MMAP_BYTES);
  if (!db_exec (db, pragmas, error))
    {
      db_free (db);
      return NULL;
    }
  return db;
}

/* ---- The object ----------------------------------------------------------------------------- */

typedef struct _WriteJob WriteJob;

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

struct _LumaCache
{
  GObject       parent_instance;

  char         *path;
  char         *corrupt_path;
  gboolean      rebuilt;
  GMainContext *context;

  Db           *wdb;          /* owned by the writer thread once it runs */
  GThread      *writer;
  GAsyncQueue  *jobs;
  gint          closed;       /* atomic */

  GMutex        ui_lock;
  Db           *ui_db;

  GMutex        pool_lock;
  GPtrArray    *pool;         /* idle read connections */
  gint          busy_readers; /* atomic */

  GMutex        emit_lock;
  GPtrArray    *pending_emits; /* GSource* attached to context, not yet dispatched */

  GMutex        batch_lock;
  GPtrArray    *batch;        /* StagedPage* */
  guint         batch_size;

  gint          indexes_ready[2]; /* atomic */
};

G_DEFINE_FINAL_TYPE (LumaCache, luma_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INDEXES_READY,
  N_PROPS
};

enum {
  HISTORY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Writer thread -------------------------------------------------------------------------- */

typedef gboolean (*WriteFunc) (LumaCache     *self,
                               gpointer       data,
                               WriteJob      *job,
                               GCancellable  *cancellable,
                               GError       **error);

struct _WriteJob
{
  WriteFunc  func;
  gpointer   data;
  GTask     *task;            /* async: the result goes here */
  gboolean   quit;
  gboolean   requeue;         /* set by func: run me again later (long work in steps) */
  gint64     n_new;           /* value result of some jobs */

  /* sync callers wait on these */
  GMutex    *lock;
  GCond     *cond;
  gboolean   done;
  gboolean   ok;
  GError    *error;
};

typedef struct
{
  LumaLicenseType   type;
  char             *str1;
  char             *str2;
  gint64            n1;
  gint64            n2;
  gint64            n3;
  gdouble           d;
  LumaContacts     *c1;
  LumaContacts     *c2;
  LumaSubscription *sub;
  GPtrArray        *array;
  guint             step;
} WriteArgs;

static void
write_args_free (WriteArgs *args)
{
  g_free (args->str1);
  g_free (args->str2);
  g_clear_pointer (&args->c1, luma_contacts_free);
  g_clear_pointer (&args->c2, luma_contacts_free);
  g_clear_pointer (&args->sub, luma_subscription_free);
  g_clear_pointer (&args->array, g_ptr_array_unref);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WriteArgs, write_args_free)

static gboolean
unref_task_idle_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GWeakRef  cache;
  guint     what;             /* 0 history-changed, 1 notify indexes-ready */
} EmitData;

static void
emit_data_free (gpointer data)
{
  EmitData *emit = data;

  g_weak_ref_clear (&emit->cache);
  g_free (emit);
}

static gboolean
emit_idle_cb (gpointer data)
{
  EmitData *emit = data;
  g_autoptr(LumaCache) self = g_weak_ref_get (&emit->cache);
  gboolean closed;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->emit_lock);
  g_ptr_array_remove_fast (self->pending_emits, g_main_current_source ());
  closed = g_atomic_int_get (&self->closed);
  g_mutex_unlock (&self->emit_lock);

  if (!closed)
    {
      if (emit->what == 0)
        g_signal_emit (self, signals[HISTORY_CHANGED], 0);
      else
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEXES_READY]);
    }
  return G_SOURCE_REMOVE;
}

/* Always through a source dispatched by whoever iterates the opener's
 * context: g_main_context_invoke() would run the handlers right here on the
 * writer thread whenever nobody owns that context at the moment. The source
 * holds only a weak reference, so a cache nobody iterates for is still
 * disposed when its last owner lets go, and closing destroys what is still
 * pending. */
static void
emit_in_context (LumaCache *self,
                 guint      what)
{
  EmitData *emit;
  GSource *source;

  g_mutex_lock (&self->emit_lock);
  if (g_atomic_int_get (&self->closed))
    {
      g_mutex_unlock (&self->emit_lock);
      return;
    }
  emit = g_new0 (EmitData, 1);
  g_weak_ref_init (&emit->cache, self);
  emit->what = what;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, what == 0 ? "[luma] history-changed" : "[luma] indexes-ready");
  g_source_set_callback (source, emit_idle_cb, emit, emit_data_free);
  g_ptr_array_add (self->pending_emits, source);
  g_source_attach (source, self->context);
  g_mutex_unlock (&self->emit_lock);
}

/* Freed SQLite pages and id arrays leave holes in glibc's heaps that stay
 * resident (RssAnon) until trimmed; called when the cache goes idle. */
static void
trim_heap (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

static gpointer
writer_thread (gpointer data)
{
  LumaCache *self = data;
  /* g_main_context_invoke() runs the unref right here when nobody owns the
   * context, so the cache may be disposed and finalized on this thread
   * (luma_cache_close() then queues the quit job): never touch @self again
   * after such an unref, and keep the queue alive on our own reference. */
  g_autoptr(GAsyncQueue) jobs = g_async_queue_ref (self->jobs);
  gboolean cache_warm = FALSE;

  for (;;)
    {
      WriteJob *job;
      GError *error = NULL;
      gboolean ok;

      /* Idle: the cache is still open, as luma_cache_close() queues the
       * quit job before it frees anything. */
      if (cache_warm)
        {
          job = g_async_queue_timeout_pop (jobs, WRITER_IDLE_RELEASE_US);
          if (job == NULL)
            {
              sqlite3_db_release_memory (self->wdb->db);
              trim_heap ();
              cache_warm = FALSE;
              continue;
            }
        }
      else
        job = g_async_queue_pop (jobs);

      if (job->quit)
        {
          g_free (job);
          break;
        }

      job->requeue = FALSE;
      if (job->task != NULL && g_task_return_error_if_cancelled (job->task))
        {
          GMainContext *ctx = g_task_get_context (job->task);
          g_main_context_invoke (ctx, unref_task_idle_cb, job->task);
          g_free (job);
          continue;
        }

      ok = job->func (self, job->task != NULL ? g_task_get_task_data (job->task) : job->data,
                      job, job->task != NULL ? g_task_get_cancellable (job->task) : NULL,
                      &error);
      cache_warm = TRUE;

      if (ok && job->requeue)
        {
          g_async_queue_push (jobs, job);
          continue;
        }

      if (job->task != NULL)
        {
          GTask *task = job->task;
          /* The main context may drop its reference before this thread
           * does: this unref can be the last one (see above). */
          if (ok)
            g_task_return_int (task, job->n_new);
          else
            g_task_return_error (task, error);
          g_main_context_invoke (g_task_get_context (task), unref_task_idle_cb, task);
          g_free (job);
        }
      else
        {
          g_mutex_lock (job->lock);
          job->ok = ok;
          job->error = error;
          job->done = TRUE;
          g_cond_signal (job->cond);
          g_mutex_unlock (job->lock);
        }
    }
  return NULL;
}

static gboolean
check_open (LumaCache  *self,
            GError    **error)
{
  if (g_atomic_int_get (&self->closed))
    {
      g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED,
                           "The cache is closed");
      return FALSE;
    }
  return TRUE;
}

/* Runs @func on the writer thread and waits for it. */
static gboolean
run_write (LumaCache  *self,
           WriteFunc   func,
           WriteArgs  *args,
           gint64     *n_out,
           GError    **error)
{
  WriteJob job = { 0 };
  GMutex lock;
  GCond cond;

  if (!check_open (self, error))
    return FALSE;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  job.func = func;
  job.data = args;
  job.lock = &lock;
  job.cond = &cond;

  g_async_queue_push (self->jobs, &job);
  g_mutex_lock (&lock);
  while (!job.done)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  if (n_out != NULL)
    *n_out = job.n_new;
  if (!job.ok)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  return TRUE;
}

static void
run_write_async (LumaCache           *self,
                 WriteFunc            func,
                 WriteArgs           *args,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  WriteJob *job;
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, args, (GDestroyNotify) write_args_free);

  if (!check_open (self, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  job = g_new0 (WriteJob, 1);
  job->func = func;
  job->task = task;
  g_async_queue_push (self->jobs, job);
}

static gboolean
finish_write (LumaCache     *self,
              GAsyncResult  *result,
              gint64        *n_out,
              GError       **error)
{
  GError *local = NULL;
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  n = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (n_out != NULL)
    *n_out = n;
  return TRUE;
}

/* ---- Read connections ----------------------------------------------------------------------- */

static Db *
pool_acquire (LumaCache     *self,
              GCancellable  *cancellable,
              GError       **error)
{
  Db *db = NULL;

  if (!check_open (self, error))
    return NULL;

  g_mutex_lock (&self->pool_lock);
  if (self->pool->len > 0)
    db = g_ptr_array_steal_index_fast (self->pool, self->pool->len - 1);
  g_mutex_unlock (&self->pool_lock);

  if (db == NULL)
    db = db_open_read (self->path, error);
  if (db != NULL)
    {
      db->cancellable = cancellable;
      g_atomic_int_inc (&self->busy_readers);
    }
  return db;
}

static void
pool_release (LumaCache *self,
              Db        *db)
{
  if (db == NULL)
    return;
  db->cancellable = NULL;
  /* Idle, its cache is only heap: the next commit would empty it anyway. */
  sqlite3_db_release_memory (db->db);
  g_mutex_lock (&self->pool_lock);
  if (!g_atomic_int_get (&self->closed) && self->pool->len < 4)
    {
      g_ptr_array_add (self->pool, db);
      db = NULL;
    }
  g_mutex_unlock (&self->pool_lock);
  db_free (db);
  /* The last busy reader: the sorter runs of its query and the result
   * arrays callers have dropped since are free memory now. Not on the
   * thread that runs the opener's main loop (a window): it takes a few
   * milliseconds at times. */
  if (g_atomic_int_dec_and_test (&self->busy_readers) &&
      !g_main_context_is_owner (self->context))
    trim_heap ();
}


/* ---- Helpers -------------------------------------------------------------------------------- */

static char *
strv_to_json (const char *const *strv)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static GStrv
json_to_strv (const char  *json,
              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;
  JsonArray *array;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    goto bad;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    goto bad;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        goto bad;
      g_strv_builder_add (builder, json_node_get_string (node));
    }
  return g_strv_builder_end (builder);

bad:
  g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CORRUPT,
                       "Cache: a stored email list is damaged");
  return NULL;
}

static LumaContacts *
contacts_from_columns (sqlite3_stmt  *stmt,
                       int            col_technical,
                       int            col_billing,
                       int            col_version,
                       GError       **error)
{
  g_auto(GStrv) technical = json_to_strv ((const char *) sqlite3_column_text (stmt, col_technical), error);
  g_auto(GStrv) billing = NULL;

  if (technical == NULL)
    return NULL;
  billing = json_to_strv ((const char *) sqlite3_column_text (stmt, col_billing), error);
  if (billing == NULL)
    return NULL;
  return luma_contacts_new ((const char *const *) technical, (const char *const *) billing,
                            sqlite3_column_int64 (stmt, col_version));
}

static gboolean
step_done (Db            *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_sqlite_error (error, db->db, rc, "Cache");
      return FALSE;
    }
  return TRUE;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           col,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_STATIC);
}

static gboolean
valid_license_type (LumaLicenseType   type,
                    GError          **error)
{
  if ((guint) type > LUMA_LICENSE_TYPE_USER)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Unknown license type %d", (int) type);
      return FALSE;
    }
  return TRUE;
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return text != NULL ? text : "";
}

/* Fills @out from a row of history_tables[].select_cols; the strings are
 * borrowed from SQLite when @copy is FALSE. */
static void
read_session_row (sqlite3_stmt      *stmt,
                  LumaSessionRecord *out,
                  gboolean           copy)
{
  const char *agent = (const char *) sqlite3_column_text (stmt, 7);

  out->session_id = (char *) column_text (stmt, 1);
  out->started_on = sqlite3_column_int64 (stmt, 2);
  out->initiated_by = sqlite3_column_int (stmt, 3);
  out->user_name = (char *) column_text (stmt, 4);
  out->email = (char *) column_text (stmt, 5);
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
  out->user_id = (char *) column_text (stmt, 1);
  out->user_name = (char *) column_text (stmt, 2);
  out->email = (char *) column_text (stmt, 3);
  out->first_name = (char *) column_text (stmt, 4);
  out->last_name = (char *) column_text (stmt, 5);
  out->role = sqlite3_column_int (stmt, 6);
  out->status = sqlite3_column_int (stmt, 7);
  out->created_on = sqlite3_column_int64 (stmt, 8);
  out->conversations = sqlite3_column_int64 (stmt, 9);
  if (copy)
    {
      out->user_id = g_strdup (out->user_id);
      out->user_name = g_strdup (out->user_name);
      out->email = g_strdup (out->email);
      out->first_name = g_strdup (out->first_name);
      out->last_name = g_strdup (out->last_name);
    }
}

static gboolean
meta_set (Db          *db,
          const char  *key,
          const char  *value,
          GError     **error)
{
  sqlite3_stmt *stmt;

  if (value == NULL)
    {
      stmt = db_prepare (db, "DELETE FROM meta WHERE key = ?1", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, key);
      return step_done (db, stmt, error);
    }
  stmt = db_prepare (db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  bind_text (stmt, 2, value);
  return step_done (db, stmt, error);
}

static char *
meta_get (Db          *db,
          const char  *key,
          GError     **error)
{
  sqlite3_stmt *stmt = db_prepare (db, "SELECT value FROM meta WHERE key = ?1", error);
  char *value = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    set_sqlite_error (error, db->db, rc, "Cache");
  sqlite3_reset (stmt);
  return value;
}

/* Transactions on the writer connection. */
static gboolean
wbegin (LumaCache  *self,
        GError    **error)
{
  return db_exec (self->wdb, "BEGIN IMMEDIATE", error);
}

static gboolean
wcommit (LumaCache  *self,
         GError    **error)
{
  if (!db_exec (self->wdb, "COMMIT", error))
    {
      sqlite3_exec (self->wdb->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

static void
wrollback (LumaCache *self)
{
  if (!sqlite3_get_autocommit (self->wdb->db))
    sqlite3_exec (self->wdb->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- Opening -------------------------------------------------------------------------------- */

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

static gboolean
create_file_0600 (const char  *path,
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
query_int (Db          *db,
           const char  *sql,
           gint64      *out,
           int         *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
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

static char *
open_marker_path (const char *path)
{
  return g_strconcat (path, ".open", NULL);
}

static gboolean
need_full_check (const char *path,
                 Db         *db)
{
  g_autofree char *marker = open_marker_path (path);
  g_autofree char *last = NULL;
  GStatBuf st;

  if (g_stat (path, &st) != 0 || st.st_size <= FULL_CHECK_MAX_BYTES)
    return TRUE;
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return TRUE;
  last = meta_get (db, "last_full_check", NULL);
  return last == NULL ||
         g_get_real_time () / G_USEC_PER_SEC - g_ascii_strtoll (last, NULL, 10) > FULL_CHECK_INTERVAL_S;
}

static OpenResult
try_open (const char  *path,
          Db         **db_out,
          char       **why,
          GError     **error)
{
  sqlite3 *handle = NULL;
  g_autoptr(GError) local = NULL;
  Db *db;
  gint64 app_id = 0, version = 0, n_objects = 0;
  int rc;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *pragmas = NULL;
  gboolean did_full_check = FALSE;

  rc = sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, handle, rc, "Cannot open the cache");
      sqlite3_close_v2 (handle);
      return OPEN_ERROR;
    }
  db = db_wrap (handle);
  sqlite3_busy_timeout (handle, 10000);
  sqlite3_extended_result_codes (handle, 0);

  if (!query_int (db, "PRAGMA application_id", &app_id, &rc) ||
      !query_int (db, "PRAGMA user_version", &version, &rc) ||
      !query_int (db, "SELECT count(*) FROM sqlite_schema", &n_objects, &rc))
    goto failed;

  if (app_id != APPLICATION_ID && !(app_id == 0 && version == 0 && n_objects == 0))
    {
      *why = g_strdup ("not a cache of this app");
      db_free (db);
      return OPEN_CORRUPT;
    }

  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_SCHEMA,
                   "The cache %s was written by a newer version of this app "
                   "(schema %" G_GINT64_FORMAT ", this version knows %d)",
                   path, version, SCHEMA_VERSION);
      db_free (db);
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

      if (!query_int (db, "SELECT (SELECT max(id) FROM sessions) + (SELECT max(id) FROM users)"
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
                  db_free (db);
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

      if (!db_exec (db, "BEGIN IMMEDIATE", &local))
        goto failed_local;
      for (gint64 v = version; v < SCHEMA_VERSION; v++)
        {
          if (!db_exec (db, migrations[v], &local))
            {
              sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
              g_prefix_error (&local, "Cannot upgrade the cache to schema %d: ", (int) v + 1);
              goto failed_local;
            }
        }
      /* A new cache has every index (of empty tables). */
      for (guint t = 0; t < 2 && version == 0; t++)
        {
          gboolean ok = meta_set (db, history_tables[t].ready_key, "1", &local);

          for (guint i = 0; ok && i < history_tables[t].n_indexes; i++)
            ok = db_exec (db, history_tables[t].indexes[i], &local);
          if (!ok)
            {
              sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
              goto failed_local;
            }
        }
      set_version = g_strdup_printf ("PRAGMA user_version = %d; PRAGMA application_id = %d;",
                                     SCHEMA_VERSION, APPLICATION_ID);
      if (!db_exec (db, set_version, &local) || !db_exec (db, "COMMIT", &local))
        {
          sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
          goto failed_local;
        }
    }

  /* A new file counts as checked. */
  if (did_full_check || n_objects == 0)
    {
      g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
      if (!meta_set (db, "last_full_check", now, &local))
        goto failed_local;
    }

  *db_out = db;
  return OPEN_OK;

failed_local:
  if (local->domain == LUMA_CACHE_ERROR && local->code == LUMA_CACHE_ERROR_CORRUPT)
    {
      *why = g_strdup (local->message);
      db_free (db);
      return OPEN_CORRUPT;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  db_free (db);
  return OPEN_ERROR;

failed:
  if (is_corruption (rc))
    {
      *why = g_strdup (sqlite3_errstr (rc));
      db_free (db);
      return OPEN_CORRUPT;
    }
  set_sqlite_error (error, handle, rc, "Cannot open the cache");
  db_free (db);
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

/* @context: where signals are emitted; NULL for the thread-default one. */
static LumaCache *
open_internal (const char    *path,
               GMainContext  *context,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(LumaCache) self = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *why = NULL;
  g_autofree char *moved_to = NULL;
  Db *db = NULL;
  OpenResult result;
  g_autofree char *ready = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return NULL;
    }
  if (!create_file_0600 (path, error))
    return NULL;

  result = try_open (path, &db, &why, error);
  if (result == OPEN_ERROR)
    return NULL;
  if (result == OPEN_CORRUPT)
    {
      g_message ("The cache %s is damaged (%s): moving it aside and starting afresh",
                 path, why);
      if (!move_aside (path, &moved_to, error) || !create_file_0600 (path, error))
        return NULL;
      set_mode_0600 (moved_to, NULL);
      g_clear_pointer (&why, g_free);
      result = try_open (path, &db, &why, error);
      if (result == OPEN_CORRUPT)
        g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CORRUPT,
                     "Cannot create a new cache at %s: %s", path, why);
      if (result != OPEN_OK)
        return NULL;
    }

  if (!fix_modes (path, error))
    {
      db_free (db);
      return NULL;
    }

  self = g_object_new (LUMA_TYPE_CACHE, NULL);
  self->path = g_strdup (path);
  self->wdb = db;
  self->rebuilt = result == OPEN_OK && moved_to != NULL;
  self->corrupt_path = g_steal_pointer (&moved_to);
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();

  for (guint t = 0; t < 2; t++)
    {
      g_autoptr(GError) local = NULL;

      g_clear_pointer (&ready, g_free);
      ready = meta_get (db, history_tables[t].ready_key, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      self->indexes_ready[t] = g_strcmp0 (ready, "1") == 0;
    }

  self->ui_db = db_open_read (path, error);
  if (self->ui_db == NULL)
    return NULL;

  {
    g_autofree char *marker = open_marker_path (path);
    create_file_0600 (marker, NULL);
  }

  self->writer = g_thread_new ("luma-cache-writer", writer_thread, self);
  return g_steal_pointer (&self);
}

LumaCache *
luma_cache_open_path (const char    *path,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return open_internal (path, NULL, cancellable, error);
}

char *
luma_cache_path_for_account (const char *server_url,
                             const char *account)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *name = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  g_checksum_update (checksum, (const guchar *) server_url, strlen (server_url));
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) account, strlen (account));
  name = g_strdup_printf ("%.32s.sqlite", g_checksum_get_string (checksum));
  return g_build_filename (g_get_user_cache_dir (), "luma-subscription", name, NULL);
}

static LumaCache *
open_for_account (const char    *server_url,
                  const char    *account,
                  GMainContext  *context,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(LumaCache) self = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  path = luma_cache_path_for_account (server_url, account);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return NULL;
    }

  self = open_internal (path, context, cancellable, error);
  if (self == NULL)
    return NULL;
  /* For people looking at the folder: which account a file belongs to. */
  if (!luma_cache_set_meta (self, "server_url", server_url, error) ||
      !luma_cache_set_meta (self, "account", account, error))
    return NULL;
  return g_steal_pointer (&self);
}

LumaCache *
luma_cache_open_for_account (const char    *server_url,
                             const char    *account,
                             GCancellable  *cancellable,
                             GError       **error)
{
  return open_for_account (server_url, account, NULL, cancellable, error);
}

typedef struct
{
  char *server_url;
  char *account;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_free (data->server_url);
  g_free (data->account);
  g_free (data);
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *data = task_data;
  GError *error = NULL;
  LumaCache *self;

  /* Signals are to be emitted in the caller's context, not this thread's. */
  self = open_for_account (data->server_url, data->account, g_task_get_context (task),
                           cancellable, &error);
  if (self == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, self, g_object_unref);
}

void
luma_cache_open_for_account_async (const char          *server_url,
                                   const char          *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  OpenData *data = g_new0 (OpenData, 1);

  data->server_url = g_strdup (server_url);
  data->account = g_strdup (account);
  g_task_set_source_tag (task, luma_cache_open_for_account_async);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  g_task_run_in_thread (task, open_thread);
}

LumaCache *
luma_cache_open_for_account_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
luma_cache_get_path (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  return self->path;
}

gboolean
luma_cache_was_rebuilt (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return self->rebuilt;
}

const char *
luma_cache_get_corrupt_path (LumaCache *self)
{
  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  return self->corrupt_path;
}

void
luma_cache_close (LumaCache *self)
{
  g_return_if_fail (LUMA_IS_CACHE (self));

  if (!g_atomic_int_compare_and_exchange (&self->closed, FALSE, TRUE))
    return;

  if (self->writer != NULL)
    {
      WriteJob *quit = g_new0 (WriteJob, 1);

      quit->quit = TRUE;
      g_async_queue_push (self->jobs, quit);
      if (g_thread_self () != self->writer)
        g_thread_join (self->writer);
      else
        g_thread_unref (self->writer);
      self->writer = NULL;
    }

  g_mutex_lock (&self->ui_lock);
  g_clear_pointer (&self->ui_db, db_free);
  g_mutex_unlock (&self->ui_lock);

  g_mutex_lock (&self->pool_lock);
  g_ptr_array_set_size (self->pool, 0);
  g_mutex_unlock (&self->pool_lock);

  /* After the writer has stopped, so that nothing new is queued: nobody may
   * ever iterate the context these wait in. */
  g_mutex_lock (&self->emit_lock);
  for (guint i = 0; i < self->pending_emits->len; i++)
    g_source_destroy (g_ptr_array_index (self->pending_emits, i));
  g_ptr_array_set_size (self->pending_emits, 0);
  g_mutex_unlock (&self->emit_lock);

  /* Last, so that closing it checkpoints the WAL into the main file
   * (read-only connections cannot). */
  if (self->wdb != NULL)
    {
      g_autofree char *marker = open_marker_path (self->path);

      g_clear_pointer (&self->wdb, db_free);
      g_unlink (marker);
    }

  luma_cache_discard_batch (self);
}

static void
luma_cache_dispose (GObject *object)
{
  LumaCache *self = LUMA_CACHE (object);

  luma_cache_close (self);
  G_OBJECT_CLASS (luma_cache_parent_class)->dispose (object);
}

static void
luma_cache_finalize (GObject *object)
{
  LumaCache *self = LUMA_CACHE (object);

  g_free (self->path);
  g_free (self->corrupt_path);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_async_queue_unref (self->jobs);
  g_ptr_array_unref (self->pool);
  g_ptr_array_unref (self->pending_emits);
  g_ptr_array_unref (self->batch);
  g_mutex_clear (&self->ui_lock);
  g_mutex_clear (&self->pool_lock);
  g_mutex_clear (&self->emit_lock);
  g_mutex_clear (&self->batch_lock);
  G_OBJECT_CLASS (luma_cache_parent_class)->finalize (object);
}

static void
luma_cache_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LumaCache *self = LUMA_CACHE (object);

  switch (prop_id)
    {
    case PROP_INDEXES_READY:
      g_value_set_boolean (value, luma_cache_get_indexes_ready (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_cache_class_init (LumaCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_cache_dispose;
  object_class->finalize = luma_cache_finalize;
  object_class->get_property = luma_cache_get_property;

  properties[PROP_INDEXES_READY] =
    g_param_spec_boolean ("indexes-ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HISTORY_CHANGED] =
    g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
luma_cache_init (LumaCache *self)
{
  self->jobs = g_async_queue_new ();
  self->pool = g_ptr_array_new_with_free_func ((GDestroyNotify) db_free);
  self->pending_emits = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) staged_page_free);
  g_mutex_init (&self->ui_lock);
  g_mutex_init (&self->pool_lock);
  g_mutex_init (&self->emit_lock);
  g_mutex_init (&self->batch_lock);
}

/* ---- History writes ------------------------------------------------------------------------- */

static const char upsert_session_sql[] =
  "INSERT INTO sessions (session_id, started_on, initiated_by, user_name, email, role,"
  " agent_name, channel, conversations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
  " ON CONFLICT (session_id) DO UPDATE SET started_on = excluded.started_on,"
  " initiated_by = excluded.initiated_by, user_name = excluded.user_name,"
  " email = excluded.email, role = excluded.role, agent_name = excluded.agent_name,"
  " channel = excluded.channel, conversations = excluded.conversations";

static const char upsert_user_sql[] =
  "INSERT INTO users (user_id, user_name, email, first_name, last_name, role, status,"
  " created_on, conversations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
  " ON CONFLICT (user_id) DO UPDATE SET user_name = excluded.user_name,"
  " email = excluded.email, first_name = excluded.first_name,"
  " last_name = excluded.last_name, role = excluded.role, status = excluded.status,"
  " created_on = excluded.created_on, conversations = excluded.conversations";

static gboolean
write_staged_page (LumaCache   *self,
                   StagedPage  *page,
                   GError     **error)
{
  Db *db = self->wdb;
  sqlite3_stmt *stmt;

  stmt = db_prepare (db, page->type == LUMA_LICENSE_TYPE_SESSION ? upsert_session_sql
                                                                 : upsert_user_sql, error);
  if (stmt == NULL)
    return FALSE;

  for (guint i = 0; i < page->records->len; i++)
    {
      int rc;

      if (page->type == LUMA_LICENSE_TYPE_SESSION)
        {
          const LumaSessionRecord *r = g_ptr_array_index (page->records, i);
          bind_text (stmt, 1, r->session_id);
          sqlite3_bind_int64 (stmt, 2, r->started_on);
          sqlite3_bind_int (stmt, 3, r->initiated_by);
          bind_text (stmt, 4, r->user_name);
          bind_text (stmt, 5, r->email != NULL ? r->email : "");
          sqlite3_bind_int (stmt, 6, r->role);
          bind_text (stmt, 7, r->agent_name);
          sqlite3_bind_int (stmt, 8, r->channel);
          sqlite3_bind_int64 (stmt, 9, r->conversations);
        }
      else
        {
          const LumaUserRecord *r = g_ptr_array_index (page->records, i);
          bind_text (stmt, 1, r->user_id);
          bind_text (stmt, 2, r->user_name);
          bind_text (stmt, 3, r->email != NULL ? r->email : "");
          bind_text (stmt, 4, r->first_name != NULL ? r->first_name : "");
          bind_text (stmt, 5, r->last_name != NULL ? r->last_name : "");
          sqlite3_bind_int (stmt, 6, r->role);
          sqlite3_bind_int (stmt, 7, r->status);
          sqlite3_bind_int64 (stmt, 8, r->created_on);
          sqlite3_bind_int64 (stmt, 9, r->conversations);
        }
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, db->db, rc, "Cannot store a consumption record");
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
  query_int (self->wdb, type == LUMA_LICENSE_TYPE_SESSION ? "SELECT max(id) FROM sessions"
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

  if (!db_exec (self->wdb, "CREATE TEMP TABLE IF NOT EXISTS staged_ids"
                           " (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
                           " DELETE FROM temp.staged_ids;", error))
    return FALSE;
  stmt = db_prepare (self->wdb, "INSERT OR IGNORE INTO temp.staged_ids (id) VALUES (?1)", error);
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
          bind_text (stmt, 1, id);
          if (!step_done (self->wdb, stmt, error))
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
  const HistoryTable *t = &history_tables[type];
  g_autofree char *sql = NULL;

  if (remove)
    sql = g_strdup_printf ("INSERT INTO %s (%s, rowid, %s) SELECT 'delete', id, %s FROM %s"
                           " WHERE %s IN (SELECT id FROM temp.staged_ids)",
                           t->fts, t->fts, t->fts_cols, t->fts_cols, t->table, t->id_col);
  else
    sql = g_strdup_printf ("INSERT INTO %s (rowid, %s) SELECT id, %s FROM %s"
                           " WHERE %s IN (SELECT id FROM temp.staged_ids)",
                           t->fts, t->fts_cols, t->fts_cols, t->table, t->id_col);
  return db_exec (self->wdb, sql, error);
}

/* args->array: StagedPage*; args->str1: the cursor or NULL. */
static gboolean
commit_func (LumaCache     *self,
             gpointer       data,
             WriteJob      *job,
             GCancellable  *cancellable,
             GError       **error)
{
  WriteArgs *args = data;
  gint64 before[2], after[2];
  gboolean fts_live[2] = { FALSE, FALSE };
  gboolean have_type = FALSE;
  LumaLicenseType type = LUMA_LICENSE_TYPE_SESSION;
  guint n_rows = 0;
  sqlite3_stmt *stmt;

  if (!wbegin (self, error))
    return FALSE;

  before[0] = max_rowid (self, LUMA_LICENSE_TYPE_SESSION);
  before[1] = max_rowid (self, LUMA_LICENSE_TYPE_USER);

  /* While a full sync runs there is no search index to keep: it is built
   * afterwards from the table. */
  for (guint i = 0; args->array != NULL && i < args->array->len; i++)
    {
      StagedPage *page = g_ptr_array_index (args->array, i);
      fts_live[page->type] = g_atomic_int_get (&self->indexes_ready[page->type]);
    }
  for (guint ty = 0; ty < 2; ty++)
    if (fts_live[ty] &&
        (!fts_stage_ids (self, args->array, ty, error) || !fts_update (self, ty, TRUE, error)))
      goto fail;

  for (guint i = 0; args->array != NULL && i < args->array->len; i++)
    {
      StagedPage *page = g_ptr_array_index (args->array, i);

      if (!write_staged_page (self, page, error))
        goto fail;
      n_rows += page->records->len;
      type = page->type;
      have_type = TRUE;
    }

  for (guint ty = 0; ty < 2; ty++)
    if (fts_live[ty] && !fts_update (self, ty, FALSE, error))
      goto fail;

  if (args->str1 != NULL)
    {
      stmt = db_prepare (self->wdb, "UPDATE sync_state SET cursor = ?1 WHERE id = 1", error);
      if (stmt == NULL)
        goto fail;
      bind_text (stmt, 1, args->str1);
      if (!step_done (self->wdb, stmt, error))
        goto fail;
    }
  if (have_type)
    {
      stmt = db_prepare (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int (stmt, 1, type);
      if (!step_done (self->wdb, stmt, error))
        goto fail;
    }

  after[0] = max_rowid (self, LUMA_LICENSE_TYPE_SESSION);
  after[1] = max_rowid (self, LUMA_LICENSE_TYPE_USER);

  if (!wcommit (self, error))
    return FALSE;

  /* Row ids only grow and records are never deleted, so the new rows are
   * exactly those above the old maximum. */
  job->n_new = (after[0] - before[0]) + (after[1] - before[1]);
  if (n_rows > 0)
    emit_in_context (self, 0);
  return TRUE;

fail:
  wrollback (self);
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
  self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) staged_page_free);
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

static WriteArgs *
commit_args (LumaCache  *self,
             const char *cursor)
{
  WriteArgs *args = g_new0 (WriteArgs, 1);

  args->array = take_batch (self);
  args->str1 = g_strdup (cursor);
  return args;
}

gboolean
luma_cache_commit_batch (LumaCache   *self,
                         const char  *cursor,
                         gint64      *n_new_out,
                         GError     **error)
{
  g_autoptr(WriteArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  args = commit_args (self, cursor);
  return run_write (self, commit_func, args, n_new_out, error);
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
  run_write_async (self, commit_func, commit_args (self, cursor),
                   luma_cache_commit_batch_async, NULL, callback, user_data);
}

gboolean
luma_cache_commit_batch_finish (LumaCache     *self,
                                GAsyncResult  *result,
                                gint64        *n_new_out,
                                GError       **error)
{
  return finish_write (self, result, n_new_out, error);
}

static gboolean
stage_only_func (LumaCache     *self,
                 gpointer       data,
                 WriteJob      *job,
                 GCancellable  *cancellable,
                 GError       **error)
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
    run_write_async (self, commit_func, commit_args (self, page->next_cursor),
                     luma_cache_write_page_async, NULL, callback, user_data);
  else
    run_write_async (self, stage_only_func, g_new0 (WriteArgs, 1),
                     luma_cache_write_page_async, NULL, callback, user_data);
  luma_consumption_page_free (page);
}

gboolean
luma_cache_write_page_finish (LumaCache     *self,
                              GAsyncResult  *result,
                              gint64        *n_new_out,
                              GError       **error)
{
  return finish_write (self, result, n_new_out, error);
}

/* ---- Indexes -------------------------------------------------------------------------------- */

static gboolean
begin_full_sync_func (LumaCache     *self,
                      gpointer       data,
                      WriteJob      *job,
                      GCancellable  *cancellable,
                      GError       **error)
{
  WriteArgs *args = data;
  const HistoryTable *t = &history_tables[args->type];
  g_autofree char *clear_fts = NULL;
  sqlite3_stmt *stmt;

  if (!wbegin (self, error))
    return FALSE;
  /* The time index stays: records come roughly in time order, so keeping
   * it costs little, and the history is browsable newest first all along. */
  for (guint i = 1; i < t->n_indexes; i++)
    {
      g_autofree char *drop = g_strdup_printf ("DROP INDEX IF EXISTS %s", index_names[args->type][i]);
      if (!db_exec (self->wdb, drop, error))
        goto fail;
    }
  clear_fts = g_strdup_printf ("INSERT INTO %s (%s) VALUES ('delete-all')", t->fts, t->fts);
  if (!db_exec (self->wdb, t->drop_triggers, error) ||
      !db_exec (self->wdb, clear_fts, error) ||
      !meta_set (self->wdb, t->ready_key, "0", error))
    goto fail;
  stmt = db_prepare (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, args->type);
  if (!step_done (self->wdb, stmt, error) || !wcommit (self, error))
    goto fail;

  /* Every commit of a full sync would otherwise copy its pages home and
   * sync the disk twice; the WAL is checkpointed once, after the indexes. */
  sqlite3_exec (self->wdb->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);

  if (g_atomic_int_compare_and_exchange (&self->indexes_ready[args->type], TRUE, FALSE))
    emit_in_context (self, 1);
  return TRUE;

fail:
  wrollback (self);
  return FALSE;
}

gboolean
luma_cache_begin_full_sync (LumaCache        *self,
                            LumaLicenseType   license_type,
                            GError          **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  if (!valid_license_type (license_type, error))
    return FALSE;
  args->type = license_type;
  return run_write (self, begin_full_sync_func, args, NULL, error);
}

/* Sort index @i of @t, or its search index when @i is t->n_indexes. */
static gboolean
build_index_step (LumaCache           *self,
                  const HistoryTable  *t,
                  guint                i,
                  GError             **error)
{
  gboolean ok;

  if (i < t->n_indexes)
    ok = db_exec (self->wdb, t->indexes[i], error);
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

      ok = wbegin (self, error);
      if (ok && (!db_exec (self->wdb, rebuild, error) ||
                 !meta_set (self->wdb, t->ready_key, "1", error) ||
                 !wcommit (self, error)))
        {
          wrollback (self);
          ok = FALSE;
        }
    }
  /* Hand back what the sort and the search index's pending hash took. */
  sqlite3_exec (self->wdb->db, "PRAGMA shrink_memory", NULL, NULL, NULL);
  return ok;
}

/* One index per run, then requeued, so that writes queued meanwhile (an
 * outbox edit, a commit) wait for one index at most. */
static gboolean
build_indexes_func (LumaCache     *self,
                    gpointer       data,
                    WriteJob      *job,
                    GCancellable  *cancellable,
                    GError       **error)
{
  WriteArgs *args = data;
  const HistoryTable *t;

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

      t = &history_tables[type];
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
          emit_in_context (self, 1);
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

static WriteArgs *
build_args (LumaCache *self)
{
  WriteArgs *args = g_new0 (WriteArgs, 1);
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
  run_write_async (self, build_indexes_func, build_args (self),
                   luma_cache_build_indexes_async, cancellable, callback, user_data);
}

gboolean
luma_cache_build_indexes_finish (LumaCache     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_write (self, result, NULL, error);
}

gboolean
luma_cache_build_indexes (LumaCache     *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(WriteArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  /* The steps requeue themselves like the async ones; this waits for the
   * last. Cancelling is only looked at by the async variant. */
  args = build_args (self);
  return run_write (self, build_indexes_func, args, NULL, error);
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

/* ---- Small writes --------------------------------------------------------------------------- */

static gboolean
exec_bound (Db            *db,
            const char    *sql,
            GError       **error,
            const char    *types,
            ...)
{
  sqlite3_stmt *stmt = db_prepare (db, sql, error);
  va_list ap;

  if (stmt == NULL)
    return FALSE;
  va_start (ap, types);
  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 's')
        bind_text (stmt, i + 1, va_arg (ap, const char *));
      else if (types[i] == 'i')
        sqlite3_bind_int64 (stmt, i + 1, va_arg (ap, gint64));
      else if (types[i] == 'd')
        sqlite3_bind_double (stmt, i + 1, va_arg (ap, gdouble));
    }
  va_end (ap);
  return step_done (db, stmt, error);
}

static gboolean
set_meta_func (LumaCache     *self,
               gpointer       data,
               WriteJob      *job,
               GCancellable  *cancellable,
               GError       **error)
{
  WriteArgs *args = data;

  return meta_set (self->wdb, args->str1, args->str2, error);
}

gboolean
luma_cache_set_meta (LumaCache   *self,
                     const char  *key,
                     const char  *value,
                     GError     **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  args->str1 = g_strdup (key);
  args->str2 = g_strdup (value);
  return run_write (self, set_meta_func, args, NULL, error);
}

static gboolean
sync_state_func (LumaCache     *self,
                 gpointer       data,
                 WriteJob      *job,
                 GCancellable  *cancellable,
                 GError       **error)
{
  WriteArgs *args = data;

  if (args->n2 == 0)
    return exec_bound (self->wdb, "UPDATE sync_state SET cursor = NULL WHERE id = 1", error, "");
  return exec_bound (self->wdb, "UPDATE sync_state SET last_synced = ?1 WHERE id = 1", error,
                     "i", args->n1);
}

gboolean
luma_cache_reset_cursor (LumaCache  *self,
                         GError    **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return run_write (self, sync_state_func, args, NULL, error);
}

gboolean
luma_cache_set_last_synced (LumaCache  *self,
                            gint64      unix_seconds,
                            GError    **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  args->n1 = unix_seconds;
  args->n2 = 1;
  return run_write (self, sync_state_func, args, NULL, error);
}

static gboolean
store_subscription_func (LumaCache     *self,
                         gpointer       data,
                         WriteJob      *job,
                         GCancellable  *cancellable,
                         GError       **error)
{
  WriteArgs *args = data;
  const LumaSubscription *s = args->sub;
  g_autofree char *technical = strv_to_json ((const char *const *) s->technical_emails);
  g_autofree char *billing = strv_to_json ((const char *const *) s->billing_emails);
  sqlite3_stmt *stmt;

  if (!wbegin (self, error))
    return FALSE;
  stmt = db_prepare (self->wdb,
                     "INSERT OR REPLACE INTO subscription (id, external_id, tenant_name,"
                     " license_type, start_date, end_date, session_duration_minutes,"
                     " total_purchase, consumed, available, overage, technical_emails,"
                     " billing_emails, version, etag, stored_on) VALUES (1, ?1, ?2, ?3, ?4,"
                     " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", error);
  if (stmt == NULL)
    goto fail;
  bind_text (stmt, 1, s->external_id != NULL ? s->external_id : "");
  bind_text (stmt, 2, s->tenant_name != NULL ? s->tenant_name : "");
  sqlite3_bind_int (stmt, 3, s->license_type);
  sqlite3_bind_int64 (stmt, 4, s->start_date);
  sqlite3_bind_int64 (stmt, 5, s->end_date);
  sqlite3_bind_int64 (stmt, 6, s->session_duration_minutes);
  sqlite3_bind_int64 (stmt, 7, s->total_purchase);
  sqlite3_bind_int64 (stmt, 8, s->consumed);
  sqlite3_bind_int64 (stmt, 9, s->available);
  sqlite3_bind_int64 (stmt, 10, s->overage);
  bind_text (stmt, 11, technical);
  bind_text (stmt, 12, billing);
  sqlite3_bind_int64 (stmt, 13, s->version);
  bind_text (stmt, 14, args->str1);
  sqlite3_bind_int64 (stmt, 15, g_get_real_time () / G_USEC_PER_SEC);
  if (!step_done (self->wdb, stmt, error) ||
      !exec_bound (self->wdb, "UPDATE sync_state SET license_type = ?1 WHERE id = 1", error,
                   "i", (gint64) s->license_type) ||
      !wcommit (self, error))
    goto fail;
  return TRUE;

fail:
  wrollback (self);
  return FALSE;
}

gboolean
luma_cache_store_subscription (LumaCache               *self,
                               const LumaSubscription  *subscription,
                               const char              *etag,
                               GError                 **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (subscription != NULL, FALSE);
  args->sub = luma_subscription_copy (subscription);
  args->str1 = g_strdup (etag);
  return run_write (self, store_subscription_func, args, NULL, error);
}

static gboolean
store_purchases_func (LumaCache     *self,
                      gpointer       data,
                      WriteJob      *job,
                      GCancellable  *cancellable,
                      GError       **error)
{
  WriteArgs *args = data;
  sqlite3_stmt *stmt;

  if (!wbegin (self, error))
    return FALSE;
  if (!db_exec (self->wdb, "DELETE FROM purchases", error))
    goto fail;
  for (guint i = 0; i < args->array->len; i++)
    {
      const LumaPurchase *p = g_ptr_array_index (args->array, i);

      stmt = db_prepare (self->wdb,
                         "INSERT OR REPLACE INTO purchases (position, purchase_id, performed_on, kind,"
                         " change, total_after, performed_by, reason, reference)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, i);
      bind_text (stmt, 2, p->purchase_id);
      sqlite3_bind_int64 (stmt, 3, p->performed_on);
      sqlite3_bind_int (stmt, 4, p->kind);
      sqlite3_bind_int64 (stmt, 5, p->change);
      sqlite3_bind_int64 (stmt, 6, p->total_after);
      bind_text (stmt, 7, p->performed_by != NULL ? p->performed_by : "");
      bind_text (stmt, 8, p->reason != NULL ? p->reason : "");
      bind_text (stmt, 9, p->reference);
      if (!step_done (self->wdb, stmt, error))
        goto fail;
    }
  if (!meta_set (self->wdb, "purchases_etag", args->str1, error) ||
      !meta_set (self->wdb, "purchases_stored", "1", error) ||
      !wcommit (self, error))
    goto fail;
  return TRUE;

fail:
  wrollback (self);
  return FALSE;
}

gboolean
luma_cache_store_purchases (LumaCache   *self,
                            GPtrArray   *purchases,
                            const char  *etag,
                            GError     **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (purchases != NULL, FALSE);
  args->array = g_ptr_array_ref (purchases);
  args->str1 = g_strdup (etag);
  return run_write (self, store_purchases_func, args, NULL, error);
}

static gboolean
store_tenants_func (LumaCache     *self,
                    gpointer       data,
                    WriteJob      *job,
                    GCancellable  *cancellable,
                    GError       **error)
{
  WriteArgs *args = data;
  sqlite3_stmt *stmt;
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, args->n1);

  if (!wbegin (self, error))
    return FALSE;
  if (!db_exec (self->wdb, "DELETE FROM tenants", error))
    goto fail;
  for (guint i = 0; i < args->array->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (args->array, i);

      stmt = db_prepare (self->wdb,
                         "INSERT OR REPLACE INTO tenants (position, external_id, tenant_name,"
                         " license_type, start_date, end_date, total_purchase, consumed, available,"
                         " overage) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, i);
      bind_text (stmt, 2, t->external_id != NULL ? t->external_id : "");
      bind_text (stmt, 3, t->tenant_name != NULL ? t->tenant_name : "");
      sqlite3_bind_int (stmt, 4, t->license_type);
      sqlite3_bind_int64 (stmt, 5, t->start_date);
      sqlite3_bind_int64 (stmt, 6, t->end_date);
      sqlite3_bind_int64 (stmt, 7, t->total_purchase);
      sqlite3_bind_int64 (stmt, 8, t->consumed);
      sqlite3_bind_int64 (stmt, 9, t->available);
      sqlite3_bind_int64 (stmt, 10, t->overage);
      if (!step_done (self->wdb, stmt, error))
        goto fail;
    }
  if (!meta_set (self->wdb, "tenants_stored_on", now, error) || !wcommit (self, error))
    goto fail;
  return TRUE;

fail:
  wrollback (self);
  return FALSE;
}

gboolean
luma_cache_store_tenants (LumaCache  *self,
                          GPtrArray  *tenants,
                          GError    **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenants != NULL, FALSE);
  args->array = g_ptr_array_ref (tenants);
  args->n1 = g_get_real_time () / G_USEC_PER_SEC;
  return run_write (self, store_tenants_func, args, NULL, error);
}

static gboolean
store_conversations_func (LumaCache     *self,
                          gpointer       data,
                          WriteJob      *job,
                          GCancellable  *cancellable,
                          GError       **error)
{
  WriteArgs *args = data;
  sqlite3_stmt *stmt;

  if (!wbegin (self, error))
    return FALSE;
  if (!exec_bound (self->wdb,
                   "DELETE FROM messages WHERE conversation IN (SELECT id FROM conversations"
                   " WHERE record_kind = ?1 AND record_id = ?2)", error,
                   "is", (gint64) args->type, args->str1) ||
      !exec_bound (self->wdb,
                   "DELETE FROM conversations WHERE record_kind = ?1 AND record_id = ?2", error,
                   "is", (gint64) args->type, args->str1))
    goto fail;

  for (guint i = 0; i < args->array->len; i++)
    {
      const LumaConversation *c = g_ptr_array_index (args->array, i);
      gint64 conversation;

      stmt = db_prepare (self->wdb,
                         "INSERT INTO conversations (record_kind, record_id, position,"
                         " conversation_id, session_id, user_id, channel, started_on)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int (stmt, 1, args->type);
      bind_text (stmt, 2, args->str1);
      sqlite3_bind_int64 (stmt, 3, i);
      bind_text (stmt, 4, c->conversation_id != NULL ? c->conversation_id : "");
      bind_text (stmt, 5, c->session_id);
      bind_text (stmt, 6, c->user_id);
      sqlite3_bind_int (stmt, 7, c->channel);
      sqlite3_bind_int64 (stmt, 8, c->started_on);
      if (!step_done (self->wdb, stmt, error))
        goto fail;
      conversation = sqlite3_last_insert_rowid (self->wdb->db);

      for (guint j = 0; c->messages != NULL && j < c->messages->len; j++)
        {
          const LumaMessage *m = g_ptr_array_index (c->messages, j);

          stmt = db_prepare (self->wdb,
                             "INSERT INTO messages (conversation, position, sender, sender_name,"
                             " sent_at, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
          if (stmt == NULL)
            goto fail;
          sqlite3_bind_int64 (stmt, 1, conversation);
          sqlite3_bind_int64 (stmt, 2, j);
          sqlite3_bind_int (stmt, 3, m->sender);
          bind_text (stmt, 4, m->sender_name != NULL ? m->sender_name : "");
          sqlite3_bind_int64 (stmt, 5, m->sent_at);
          bind_text (stmt, 6, m->text != NULL ? m->text : "");
          if (!step_done (self->wdb, stmt, error))
            goto fail;
        }
    }

  if (!exec_bound (self->wdb,
                   "INSERT OR REPLACE INTO conversation_sets (record_kind, record_id,"
                   " n_conversations, stored_on) VALUES (?1, ?2, ?3, ?4)", error,
                   "isii", (gint64) args->type, args->str1, (gint64) args->array->len,
                   g_get_real_time () / G_USEC_PER_SEC) ||
      !wcommit (self, error))
    goto fail;
  return TRUE;

fail:
  wrollback (self);
  return FALSE;
}

static WriteArgs *
conversations_args (LumaLicenseType  type,
                    const char      *record_id,
                    GPtrArray       *conversations)
{
  WriteArgs *args = g_new0 (WriteArgs, 1);

  args->type = type;
  args->str1 = g_strdup (record_id);
  args->array = g_ptr_array_ref (conversations);
  return args;
}

gboolean
luma_cache_store_conversations (LumaCache        *self,
                                LumaLicenseType   license_type,
                                const char       *record_id,
                                GPtrArray        *conversations,
                                GError          **error)
{
  g_autoptr(WriteArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (record_id != NULL && conversations != NULL, FALSE);
  if (!valid_license_type (license_type, error))
    return FALSE;
  args = conversations_args (license_type, record_id, conversations);
  return run_write (self, store_conversations_func, args, NULL, error);
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
  run_write_async (self, store_conversations_func,
                   conversations_args (license_type, record_id, conversations),
                   luma_cache_store_conversations_async, cancellable, callback, user_data);
}

gboolean
luma_cache_store_conversations_finish (LumaCache     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return finish_write (self, result, NULL, error);
}

static gboolean
write_outbox (LumaCache           *self,
              const LumaContacts  *edit,
              GError             **error)
{
  g_autofree char *technical = strv_to_json ((const char *const *) edit->technical_emails);
  g_autofree char *billing = strv_to_json ((const char *const *) edit->billing_emails);

  return exec_bound (self->wdb,
                     "INSERT OR REPLACE INTO outbox (id, technical_emails, billing_emails,"
                     " base_version, queued_on) VALUES (1, ?1, ?2, ?3, ?4)", error,
                     "ssii", technical, billing, edit->version,
                     g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
outbox_queue_func (LumaCache     *self,
                   gpointer       data,
                   WriteJob      *job,
                   GCancellable  *cancellable,
                   GError       **error)
{
  WriteArgs *args = data;

  if (args->c1 == NULL)
    return exec_bound (self->wdb, "DELETE FROM outbox", error, "");
  return write_outbox (self, args->c1, error);
}

gboolean
luma_cache_outbox_queue (LumaCache           *self,
                         const LumaContacts  *edit,
                         GError             **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (edit != NULL, FALSE);
  args->c1 = luma_contacts_copy (edit);
  return run_write (self, outbox_queue_func, args, NULL, error);
}

void
luma_cache_outbox_queue_async (LumaCache           *self,
                               const LumaContacts  *edit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  WriteArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));
  g_return_if_fail (edit != NULL);
  args = g_new0 (WriteArgs, 1);
  args->c1 = luma_contacts_copy (edit);
  /* Not cancellable: what the user typed must reach the disk. */
  run_write_async (self, outbox_queue_func, args, luma_cache_outbox_queue_async,
                   NULL, callback, user_data);
}

gboolean
luma_cache_outbox_queue_finish (LumaCache     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return finish_write (self, result, NULL, error);
}

gboolean
luma_cache_outbox_clear (LumaCache  *self,
                         GError    **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  return run_write (self, outbox_queue_func, args, NULL, error);
}

static gboolean
conflict_func (LumaCache     *self,
               gpointer       data,
               WriteJob      *job,
               GCancellable  *cancellable,
               GError       **error)
{
  WriteArgs *args = data;

  if (!wbegin (self, error))
    return FALSE;

  if (args->n1 == 0)
    {
      /* store: mine = c1, theirs = c2 */
      g_autofree char *mt = strv_to_json ((const char *const *) args->c1->technical_emails);
      g_autofree char *mb = strv_to_json ((const char *const *) args->c1->billing_emails);
      g_autofree char *tt = strv_to_json ((const char *const *) args->c2->technical_emails);
      g_autofree char *tb = strv_to_json ((const char *const *) args->c2->billing_emails);

      if (!exec_bound (self->wdb,
                       "INSERT OR REPLACE INTO contacts_conflict (id, mine_technical_emails,"
                       " mine_billing_emails, mine_base_version, theirs_technical_emails,"
                       " theirs_billing_emails, theirs_version, detected_on)"
                       " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)", error,
                       "ssissii", mt, mb, args->c1->version, tt, tb, args->c2->version,
                       g_get_real_time () / G_USEC_PER_SEC) ||
          !exec_bound (self->wdb, "DELETE FROM outbox", error, ""))
        goto fail;
    }
  else
    {
      /* resolve: c1 = the chosen lists or NULL */
      if (args->c1 != NULL)
        {
          sqlite3_stmt *stmt = db_prepare (self->wdb,
                                           "SELECT theirs_version FROM contacts_conflict WHERE id = 1",
                                           error);
          int rc;

          if (stmt == NULL)
            goto fail;
          rc = sqlite3_step (stmt);
          if (rc == SQLITE_ROW)
            args->c1->version = sqlite3_column_int64 (stmt, 0);
          sqlite3_reset (stmt);
          if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            {
              set_sqlite_error (error, self->wdb->db, rc, "Cache");
              goto fail;
            }
          if (!write_outbox (self, args->c1, error))
            goto fail;
        }
      if (!exec_bound (self->wdb, "DELETE FROM contacts_conflict", error, ""))
        goto fail;
    }
  return wcommit (self, error);

fail:
  wrollback (self);
  return FALSE;
}

gboolean
luma_cache_store_conflict (LumaCache           *self,
                           const LumaContacts  *mine,
                           const LumaContacts  *theirs,
                           GError             **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (mine != NULL && theirs != NULL, FALSE);
  args->c1 = luma_contacts_copy (mine);
  args->c2 = luma_contacts_copy (theirs);
  return run_write (self, conflict_func, args, NULL, error);
}

static WriteArgs *
resolve_args (const LumaContacts *chosen)
{
  WriteArgs *args = g_new0 (WriteArgs, 1);

  args->n1 = 1;
  args->c1 = chosen != NULL ? luma_contacts_copy (chosen) : NULL;
  return args;
}

gboolean
luma_cache_resolve_conflict (LumaCache           *self,
                             const LumaContacts  *chosen,
                             GError             **error)
{
  g_autoptr(WriteArgs) args = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  args = resolve_args (chosen);
  return run_write (self, conflict_func, args, NULL, error);
}

void
luma_cache_resolve_conflict_async (LumaCache           *self,
                                   const LumaContacts  *chosen,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_CACHE (self));
  run_write_async (self, conflict_func, resolve_args (chosen),
                   luma_cache_resolve_conflict_async, NULL, callback, user_data);
}

gboolean
luma_cache_resolve_conflict_finish (LumaCache     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_write (self, result, NULL, error);
}

static gboolean
thresholds_func (LumaCache     *self,
                 gpointer       data,
                 WriteJob      *job,
                 GCancellable  *cancellable,
                 GError       **error)
{
  WriteArgs *args = data;

  if (args->step == 0)
    return exec_bound (self->wdb,
                       "INSERT OR REPLACE INTO notified_thresholds (tenant, term_start, percent,"
                       " notified_on) VALUES (?1, ?2, ?3, ?4)", error,
                       "siii", args->str1, args->n1, args->n2, args->n3);
  return exec_bound (self->wdb,
                     "DELETE FROM notified_thresholds WHERE tenant = ?1 AND term_start = ?2"
                     " AND percent > ?3", error,
                     "sid", args->str1, args->n1, args->d);
}

gboolean
luma_cache_record_threshold_notified (LumaCache   *self,
                                      const char  *tenant,
                                      gint64       term_start,
                                      gint         percent,
                                      gint64       notified_on,
                                      GError     **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);
  args->str1 = g_strdup (tenant);
  args->n1 = term_start;
  args->n2 = percent;
  args->n3 = notified_on;
  return run_write (self, thresholds_func, args, NULL, error);
}

gboolean
luma_cache_clear_thresholds_above (LumaCache   *self,
                                   const char  *tenant,
                                   gint64       term_start,
                                   gdouble      percent,
                                   GError     **error)
{
  g_autoptr(WriteArgs) args = g_new0 (WriteArgs, 1);

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);
  args->str1 = g_strdup (tenant);
  args->n1 = term_start;
  args->d = percent;
  args->step = 1;
  return run_write (self, thresholds_func, args, NULL, error);
}

/* ---- Small reads ---------------------------------------------------------------------------- */

char *
luma_cache_get_meta (LumaCache   *self,
                     const char  *key,
                     GError     **error)
{
  Db *db;
  char *value;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  value = meta_get (db, key, error);
  pool_release (self, db);
  return value;
}

static gboolean
read_sync_state (LumaCache  *self,
                 gint       *type_out,
                 char      **cursor_out,
                 gint64     *last_synced_out,
                 GError    **error)
{
  Db *db = pool_acquire (self, NULL, error);
  sqlite3_stmt *stmt;
  int rc;

  if (db == NULL)
    return FALSE;
  stmt = db_prepare (db, "SELECT license_type, cursor, last_synced FROM sync_state WHERE id = 1",
                     error);
  if (stmt == NULL)
    {
      pool_release (self, db);
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
    set_sqlite_error (error, db->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "Cannot read the sync state");
  sqlite3_reset (stmt);
  pool_release (self, db);
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

gint64
luma_cache_count_records (LumaCache        *self,
                          LumaLicenseType   license_type,
                          GError          **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), -1);
  if (!valid_license_type (license_type, error))
    return -1;
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return -1;
  stmt = db_prepare (db, license_type == LUMA_LICENSE_TYPE_SESSION ? "SELECT count(*) FROM sessions"
                                                                   : "SELECT count(*) FROM users",
                     error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        set_sqlite_error (error, db->db, rc, "Cannot count the records");
      sqlite3_reset (stmt);
    }
  pool_release (self, db);
  return n;
}

LumaSubscription *
luma_cache_get_subscription (LumaCache  *self,
                             char      **etag_out,
                             GError    **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  LumaSubscription *s = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (etag_out != NULL)
    *etag_out = NULL;
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = db_prepare (db,
                     "SELECT external_id, tenant_name, license_type, start_date, end_date,"
                     " session_duration_minutes, total_purchase, consumed, available, overage,"
                     " technical_emails, billing_emails, version, etag FROM subscription"
                     " WHERE id = 1", error);
  if (stmt == NULL)
    goto out;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_auto(GStrv) technical = json_to_strv ((const char *) sqlite3_column_text (stmt, 10), error);
      g_auto(GStrv) billing = technical != NULL ? json_to_strv ((const char *) sqlite3_column_text (stmt, 11), error) : NULL;

      if (billing != NULL)
        {
          s = g_new0 (LumaSubscription, 1);
          s->external_id = g_strdup (column_text (stmt, 0));
          s->tenant_name = g_strdup (column_text (stmt, 1));
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
    set_sqlite_error (error, db->db, rc, "Cannot read the subscription");
  sqlite3_reset (stmt);

out:
  pool_release (self, db);
  return s;
}

GPtrArray *
luma_cache_get_tenants (LumaCache  *self,
                        gint64     *stored_on_out,
                        GError    **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autofree char *stored_on = NULL;
  GError *local = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (stored_on_out != NULL)
    *stored_on_out = 0;
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stored_on = meta_get (db, "tenants_stored_on", &local);
  if (local != NULL || stored_on == NULL)
    {
      /* Never stored: NULL without an error. */
      if (local != NULL)
        g_propagate_error (error, local);
      pool_release (self, db);
      return NULL;
    }
  stmt = db_prepare (db,
                     "SELECT external_id, tenant_name, license_type, start_date, end_date,"
                     " total_purchase, consumed, available, overage FROM tenants ORDER BY position",
                     error);
  if (stmt == NULL)
    {
      pool_release (self, db);
      return NULL;
    }
  tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);

      t->external_id = g_strdup (column_text (stmt, 0));
      t->tenant_name = g_strdup (column_text (stmt, 1));
      t->license_type = sqlite3_column_int (stmt, 2);
      t->start_date = sqlite3_column_int64 (stmt, 3);
      t->end_date = sqlite3_column_int64 (stmt, 4);
      t->total_purchase = sqlite3_column_int64 (stmt, 5);
      t->consumed = sqlite3_column_int64 (stmt, 6);
      t->available = sqlite3_column_int64 (stmt, 7);
      t->overage = sqlite3_column_int64 (stmt, 8);
      g_ptr_array_add (tenants, t);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db->db, rc, "Cannot read the tenant list");
      pool_release (self, db);
      return NULL;
    }
  pool_release (self, db);
  if (stored_on_out != NULL)
    *stored_on_out = g_ascii_strtoll (stored_on, NULL, 10);
  return g_steal_pointer (&tenants);
}

GPtrArray *
luma_cache_get_purchases (LumaCache  *self,
                          char      **etag_out,
                          GError    **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) purchases = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_purchase_free);
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  if (etag_out != NULL)
    *etag_out = NULL;
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = db_prepare (db,
                     "SELECT purchase_id, performed_on, kind, change, total_after, performed_by,"
                     " reason, reference FROM purchases ORDER BY position", error);
  if (stmt == NULL)
    {
      pool_release (self, db);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaPurchase *p = g_new0 (LumaPurchase, 1);

      p->purchase_id = g_strdup (column_text (stmt, 0));
      p->performed_on = sqlite3_column_int64 (stmt, 1);
      p->kind = sqlite3_column_int (stmt, 2);
      p->change = sqlite3_column_int64 (stmt, 3);
      p->total_after = sqlite3_column_int64 (stmt, 4);
      p->performed_by = g_strdup (column_text (stmt, 5));
      p->reason = g_strdup (column_text (stmt, 6));
      p->reference = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
      g_ptr_array_add (purchases, p);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db->db, rc, "Cannot read the purchases");
      pool_release (self, db);
      return NULL;
    }
  if (etag_out != NULL)
    {
      g_autoptr(GError) local = NULL;
      *etag_out = meta_get (db, "purchases_etag", &local);
    }
  pool_release (self, db);
  return g_steal_pointer (&purchases);
}

GPtrArray *
luma_cache_get_conversations (LumaCache        *self,
                              LumaLicenseType   license_type,
                              const char       *record_id,
                              GError          **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) result = NULL;
  gint64 stored_count = -1, record_count = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);
  if (!valid_license_type (license_type, error))
    return NULL;
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;

  /* One read transaction, so the set and its rows agree. */
  if (!db_exec (db, "BEGIN", error))
    goto out;

  stmt = db_prepare (db, "SELECT n_conversations FROM conversation_sets WHERE record_kind = ?1"
                         " AND record_id = ?2", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int (stmt, 1, license_type);
  bind_text (stmt, 2, record_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    stored_count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (stored_count < 0)
    goto out;

  stmt = db_prepare (db, license_type == LUMA_LICENSE_TYPE_SESSION
                         ? "SELECT conversations FROM sessions WHERE session_id = ?1"
                         : "SELECT conversations FROM users WHERE user_id = ?1", error);
  if (stmt == NULL)
    goto out;
  bind_text (stmt, 1, record_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    record_count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  /* The record gained conversations since: the cached list is out of date. */
  if (record_count >= 0 && record_count != stored_count)
    goto out;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_conversation_free);
  stmt = db_prepare (db,
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
  bind_text (stmt, 2, record_id);
  {
    LumaConversation *current = NULL;
    gint64 current_id = -1;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        gint64 id = sqlite3_column_int64 (stmt, 9);

        if (current == NULL || id != current_id)
          {
            current = g_new0 (LumaConversation, 1);
            current->conversation_id = g_strdup (column_text (stmt, 0));
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
            m->sender_name = g_strdup (column_text (stmt, 6));
            m->sent_at = sqlite3_column_int64 (stmt, 7);
            m->text = g_strdup (column_text (stmt, 8));
            g_ptr_array_add (current->messages, m);
          }
      }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
      {
        set_sqlite_error (error, db->db, rc, "Cannot read the conversations");
        g_clear_pointer (&result, g_ptr_array_unref);
      }
  }

out:
  if (!sqlite3_get_autocommit (db->db))
    sqlite3_exec (db->db, "COMMIT", NULL, NULL, NULL);
  pool_release (self, db);
  return g_steal_pointer (&result);
}

LumaContacts *
luma_cache_outbox_peek (LumaCache  *self,
                        gint64     *queued_on_out,
                        GError    **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  LumaContacts *edit = NULL;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = db_prepare (db, "SELECT technical_emails, billing_emails, base_version, queued_on"
                         " FROM outbox WHERE id = 1", error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          edit = contacts_from_columns (stmt, 0, 1, 2, error);
          if (queued_on_out != NULL)
            *queued_on_out = sqlite3_column_int64 (stmt, 3);
        }
      else if (rc != SQLITE_DONE)
        set_sqlite_error (error, db->db, rc, "Cannot read the outbox");
      sqlite3_reset (stmt);
    }
  pool_release (self, db);
  return edit;
}

gboolean
luma_cache_get_conflict (LumaCache     *self,
                         LumaContacts **mine_out,
                         LumaContacts **theirs_out,
                         GError       **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  gboolean found = FALSE;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return FALSE;
  stmt = db_prepare (db, "SELECT mine_technical_emails, mine_billing_emails, mine_base_version,"
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
        set_sqlite_error (error, db->db, rc, "Cannot read the conflict");
      sqlite3_reset (stmt);
    }
  pool_release (self, db);
  return found;
}

GArray *
luma_cache_get_notified_thresholds (LumaCache   *self,
                                    const char  *tenant,
                                    gint64       term_start,
                                    GError     **error)
{
  Db *db;
  sqlite3_stmt *stmt;
  g_autoptr(GArray) result = g_array_new (FALSE, FALSE, sizeof (gint));
  int rc = SQLITE_DONE;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (tenant != NULL, NULL);
  db = pool_acquire (self, NULL, error);
  if (db == NULL)
    return NULL;
  stmt = db_prepare (db, "SELECT percent FROM notified_thresholds WHERE tenant = ?1"
                         " AND term_start = ?2 ORDER BY percent", error);
  if (stmt == NULL)
    {
      pool_release (self, db);
      return NULL;
    }
  bind_text (stmt, 1, tenant);
  sqlite3_bind_int64 (stmt, 2, term_start);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint percent = sqlite3_column_int (stmt, 0);
      g_array_append_val (result, percent);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db->db, rc, "Cannot read the notified thresholds");
      pool_release (self, db);
      return NULL;
    }
  pool_release (self, db);
  return g_steal_pointer (&result);
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

static char *
like_pattern (const char *search)
{
  GString *s = g_string_new ("%");

  for (const char *p = search; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

static char *
fts_phrase (const char *search)
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
time_bound (Db              *db,
            LumaLicenseType  type,
            gboolean         newest)
{
  static const char *const sql[2][2] = {
    { "SELECT min(started_on) FROM sessions", "SELECT max(started_on) FROM sessions" },
    { "SELECT min(created_on) FROM users", "SELECT max(created_on) FROM users" },
  };
  gint64 value = 0;
  int rc;

  query_int (db, sql[type][newest ? 1 : 0], &value, &rc);
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
  Db *db = pool_acquire (self, NULL, NULL);
  gint64 oldest, newest, from, to;

  if (db == NULL)
    return FALSE;
  oldest = time_bound (db, query->license_type, FALSE);
  newest = time_bound (db, query->license_type, TRUE);
  pool_release (self, db);

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
  const HistoryTable *t;
  const char *sort_col;
  const char *dir;
  gboolean search = FALSE, use_fts = FALSE;

  if (!valid_license_type (query->license_type, error))
    return FALSE;
  t = &history_tables[query->license_type];
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
      /* Trigrams need 3 characters; the trigram tokenizer folds case the
       * same way as LIKE for ASCII. */
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
          q->text = fts_phrase (query->search);
          g_string_append_printf (q->sql, " AND id IN (SELECT rowid FROM %s WHERE %s MATCH ?%d)",
                                  t->fts, t->fts, q->text_index);
        }
      else
        {
          q->text = like_pattern (query->search);
          g_string_append (q->sql, " AND (");
          for (guint i = 0; i < G_N_ELEMENTS (t->search_cols) && t->search_cols[i] != NULL; i++)
            g_string_append_printf (q->sql, "%s%s LIKE ?%d ESCAPE '\\'",
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
prepare_built (Db          *db,
               BuiltQuery  *q,
               GError     **error)
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
      set_sqlite_error (error, db->db, rc, "Cannot query the history");
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
  Db *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (!build_query (self, query, "id", FALSE, &q, error))
    return NULL;
  db = pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  stmt = prepare_built (db, &q, error);
  if (stmt == NULL)
    {
      pool_release (self, db);
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
      set_sqlite_error (error, db->db, rc, "Cannot query the history");
      g_clear_pointer (&ids, g_array_unref);
    }
  sqlite3_finalize (stmt);
  pool_release (self, db);
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
  Db *db;
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), -1);
  g_return_val_if_fail (query != NULL, -1);

  if (!build_query (self, query, "count(*)", TRUE, &q, error))
    return -1;
  db = pool_acquire (self, cancellable, error);
  if (db == NULL)
    return -1;
  stmt = prepare_built (db, &q, error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        set_sqlite_error (error, db->db, rc, "Cannot count the history");
      sqlite3_finalize (stmt);
    }
  pool_release (self, db);
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

/* ---- Consumption per time bucket ------------------------------------------------------------ */

/* Enough for daily buckets over ten years plus slack; a larger array is a
 * caller's mistake (a bucket of one second over a year). */
#define MAX_BUCKETS 8192

GArray *
luma_cache_count_by_bucket (LumaCache        *self,
                            LumaLicenseType   license_type,
                            gint              user_status,
                            gint64            from,
                            gint64            to,
                            gint64            bucket_seconds,
                            GCancellable     *cancellable,
                            GError          **error)
{
  const HistoryTable *table;
  g_autofree char *sql = NULL;
  g_autoptr(GArray) counts = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n_buckets;
  Db *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);

  if ((guint) license_type >= G_N_ELEMENTS (history_tables) || bucket_seconds <= 0 || to < from)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Invalid time buckets (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   " by %" G_GINT64_FORMAT " s)", from, to, bucket_seconds);
      return NULL;
    }
  n_buckets = (to - from) / bucket_seconds + 1;
  if (n_buckets > MAX_BUCKETS)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Too many time buckets (%" G_GINT64_FORMAT ", at most %d)",
                   n_buckets, MAX_BUCKETS);
      return NULL;
    }

  table = &history_tables[license_type];
  /* One count per bucket, each a range of the time index (it covers the
   * column): a GROUP BY on the bucket number would sort every record in a
   * temporary B-tree first, about five times slower at a million rows. */
  sql = g_strdup_printf ("WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i < ?4)"
                         " SELECT i, (SELECT count(*) FROM %s WHERE %s%s >= ?1 + i * ?3"
                         " AND %s < ?1 + (i + 1) * ?3 AND %s <= ?2) FROM b",
                         table->table,
                         license_type == LUMA_LICENSE_TYPE_USER && user_status >= 0 ? "status = ?5 AND " : "",
                         table->time_col, table->time_col, table->time_col);

  db = pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  rc = sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db->db, rc, "Cannot count the history");
      pool_release (self, db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  sqlite3_bind_int64 (stmt, 3, bucket_seconds);
  sqlite3_bind_int64 (stmt, 4, n_buckets - 1);
  if (license_type == LUMA_LICENSE_TYPE_USER && user_status >= 0)
    sqlite3_bind_int (stmt, 5, user_status);

  counts = g_array_sized_new (FALSE, TRUE, sizeof (gint64), (guint) n_buckets);
  g_array_set_size (counts, (guint) n_buckets);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 bucket = sqlite3_column_int64 (stmt, 0);

      if (bucket >= 0 && bucket < n_buckets)
        g_array_index (counts, gint64, bucket) = sqlite3_column_int64 (stmt, 1);
    }
  if (rc != SQLITE_DONE)
    {
      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        set_sqlite_error (error, db->db, rc, "Cannot count the history");
      g_clear_pointer (&counts, g_array_unref);
    }
  sqlite3_finalize (stmt);
  pool_release (self, db);
  return g_steal_pointer (&counts);
}

typedef struct
{
  LumaLicenseType license_type;
  gint            user_status;
  gint64          from;
  gint64          to;
  gint64          bucket_seconds;
} BucketArgs;

static void
count_by_bucket_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  BucketArgs *args = task_data;
  GError *error = NULL;
  GArray *counts = luma_cache_count_by_bucket (source, args->license_type, args->user_status,
                                               args->from, args->to,
                                               args->bucket_seconds, cancellable, &error);

  if (counts == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, counts, (GDestroyNotify) g_array_unref);
}

void
luma_cache_count_by_bucket_async (LumaCache           *self,
                                  LumaLicenseType      license_type,
                                  gint                 user_status,
                                  gint64               from,
                                  gint64               to,
                                  gint64               bucket_seconds,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  BucketArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_count_by_bucket_async);
  args = g_new0 (BucketArgs, 1);
  args->license_type = license_type;
  args->user_status = user_status;
  args->from = from;
  args->to = to;
  args->bucket_seconds = bucket_seconds;
  g_task_set_task_data (task, args, g_free);
  g_task_run_in_thread (task, count_by_bucket_thread);
}

GArray *
luma_cache_count_by_bucket_finish (LumaCache     *self,
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

  if (!check_open (self, error))
    return NULL;

  if (g_once_init_enter (&sql[type]))
    {
      GString *s = g_string_new (NULL);
      g_string_append_printf (s, "SELECT %s FROM %s WHERE id IN (",
                              history_tables[type].select_cols, history_tables[type].table);
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

      stmt = db_prepare (self->ui_db, sql[type], error);
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
          set_sqlite_error (error, self->ui_db->db, rc, "Cannot read the history");
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
  Db *db;
  int rc;
  guint n = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (LUMA_IS_CACHE (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!valid_license_type (query->license_type, error) ||
      !build_query (self, query, history_tables[query->license_type].select_cols, FALSE, &q, error))
    return FALSE;
  db = pool_acquire (self, cancellable, error);
  if (db == NULL)
    return FALSE;
  stmt = prepare_built (db, &q, error);
  if (stmt == NULL)
    {
      pool_release (self, db);
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
      set_sqlite_error (error, db->db, rc, "Cannot read the history");
      ok = FALSE;
    }
  sqlite3_finalize (stmt);
  pool_release (self, db);
  return ok;
}
