/* luma-cache-private.h: what the files of the cache share, and its test hooks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The cache is one object split by concern, as epiphany's history service
 * is: three layers, then one file per table with its reads beside its
 * writes, sharing the struct and the helpers below.
 *
 *   luma-cache-connection.c  SQLite: statements, transactions, error mapping
 *   luma-cache-worker.c      the writer thread and the pool of read connections
 *   luma-cache-schema.c      the file: checks at open, migrations, damaged
 *                            files, the history's indexes
 *   luma-cache-history.c     the history: queries, and the sync's writes
 *   luma-cache-meta.c        keys and values, the sync state (cursor...)
 *   luma-cache-subscription.c, -purchases.c, -tenants.c, -conversations.c,
 *   -outbox.c (the pending edit and the conflict), -thresholds.c
 *   luma-cache.c             the object: opening, closing, signals
 *
 * Only src/luma-cache*.c and the tests include this header.
 */

#pragma once

#include <sqlite3.h>

#include "luma-cache.h"
#include "luma-cache-sync.h"

G_BEGIN_DECLS

/* ---- Connections (luma-cache-connection.c) ------------------------------------------------ */

typedef struct
{
  sqlite3      *db;
  GHashTable   *stmts;        /* SQL -> sqlite3_stmt*, prepared once */
  GCancellable *cancellable;  /* checked by the progress handler */
} LumaCacheDb;

LumaCacheDb  *_luma_cache_db_wrap             (sqlite3             *handle);
LumaCacheDb  *_luma_cache_db_open_read        (const char          *path,
                                               GError             **error);
void          _luma_cache_db_free             (LumaCacheDb         *db);
gboolean      _luma_cache_db_exec             (LumaCacheDb         *db,
                                               const char          *sql,
                                               GError             **error);
sqlite3_stmt *_luma_cache_db_prepare          (LumaCacheDb         *db,
                                               const char          *sql,
                                               GError             **error);
gboolean      _luma_cache_db_step_done        (LumaCacheDb         *db,
                                               sqlite3_stmt        *stmt,
                                               GError             **error);
gboolean      _luma_cache_db_exec_bound       (LumaCacheDb         *db,
                                               const char          *sql,
                                               GError             **error,
                                               const char          *types,
                                               ...);
gboolean      _luma_cache_db_query_int        (LumaCacheDb         *db,
                                               const char          *sql,
                                               gint64              *out,
                                               int                 *rc_out);
void          _luma_cache_set_sqlite_error    (GError             **error,
                                               sqlite3             *db,
                                               int                  rc,
                                               const char          *what);
void          _luma_cache_bind_text           (sqlite3_stmt        *stmt,
                                               int                  col,
                                               const char          *text);
const char   *_luma_cache_column_text         (sqlite3_stmt        *stmt,
                                               int                  col);
char         *_luma_cache_strv_to_json        (const char *const   *strv);
GStrv         _luma_cache_json_to_strv        (const char          *json,
                                               GError             **error);
/* @text folded as the search index folds it (per character, simple case
 * folding, no normalization); what the SQL function luma_contains(TEXT,
 * FOLDED) of every connection compares with. */
char         *_luma_cache_fold                (const char          *text,
                                               gssize               len);
/* Transactions on the writer connection. */
gboolean      _luma_cache_begin               (LumaCache           *self,
                                               GError             **error);
gboolean      _luma_cache_commit              (LumaCache           *self,
                                               GError             **error);
void          _luma_cache_rollback            (LumaCache           *self);

/* ---- The object (luma-cache.c) ------------------------------------------------------------ */

struct _LumaCache
{
  GObject       parent_instance;

  char         *path;
  char         *corrupt_path;
  gboolean      rebuilt;
  LumaCacheSalvage salvage;
  char         *rebuild_message;
  GMainContext *context;

  LumaCacheDb  *wdb;          /* owned by the writer thread once it runs */
  GThread      *writer;
  GAsyncQueue  *jobs;
  gint          closed;       /* atomic */

  GMutex        ui_lock;
  LumaCacheDb  *ui_db;

  GMutex        pool_lock;
  GPtrArray    *pool;         /* idle read connections */
  gint          busy_readers; /* atomic */

  GMutex        emit_lock;
  GPtrArray    *pending_emits; /* GSource* attached to context, not yet dispatched */

  GMutex        batch_lock;
  GPtrArray    *batch;        /* staged pages, see luma-cache-history.c */
  guint         batch_size;

  gint          indexes_ready[2]; /* atomic */
  /* Writer thread only: a full sync began (luma_cache_begin_full_sync())
   * and its first commit has not replaced the rows yet. */
  gboolean      replace_rows[2];
  /* Writer thread only: temp.replaced_ids exists on the writer connection
   * (a replace found rows; until the index build ends that full sync). */
  gboolean      replaced_ids;
};

typedef enum
{
  LUMA_CACHE_EMIT_HISTORY_CHANGED,
  LUMA_CACHE_EMIT_INDEXES_READY,
} LumaCacheEmit;

/* Emits in the opener's context (callable from the writer thread). */
void          _luma_cache_emit                (LumaCache           *self,
                                               LumaCacheEmit        what);
gboolean      _luma_cache_check_license_type  (LumaLicenseType      type,
                                               GError             **error);

/* ---- The writer thread and the read connections (luma-cache-worker.c) --------------------- */

typedef struct _LumaCacheWriteJob LumaCacheWriteJob;

/* A job on the writer thread, with its own argument struct as @data. */
typedef gboolean (*LumaCacheWriteFunc) (LumaCache          *self,
                                        gpointer            data,
                                        LumaCacheWriteJob  *job,
                                        GCancellable       *cancellable,
                                        GError            **error);

typedef enum
{
  LUMA_CACHE_JOB_NONE        = 0,
  /* func runs in a transaction of its own: committed when it returns
   * TRUE, rolled back when it fails */
  LUMA_CACHE_JOB_TRANSACTION = 1 << 0,
} LumaCacheJobFlags;

struct _LumaCacheWriteJob
{
  LumaCacheWriteFunc  func;
  gpointer            data;
  LumaCacheJobFlags   flags;
  GTask              *task;     /* async: the result goes here */
  gboolean            quit;
  gboolean            requeue;  /* set by func: run me again later (long work in steps) */
  gint64              n_new;    /* value result of some jobs */

  /* sync callers wait on these */
  GMutex             *lock;
  GCond              *cond;
  gboolean            done;
  gboolean            ok;
  GError             *error;
};

void          _luma_cache_start_writer        (LumaCache           *self);
void          _luma_cache_stop_writer         (LumaCache           *self);
gboolean      _luma_cache_check_open          (LumaCache           *self,
                                               GError             **error);
/* Runs @func on the writer thread and waits for it: @data may be borrowed. */
gboolean      _luma_cache_run_write           (LumaCache           *self,
                                               LumaCacheWriteFunc   func,
                                               gpointer             data,
                                               LumaCacheJobFlags    flags,
                                               gint64              *n_out,
                                               GError             **error);
/* Queues @func; @data is freed with @data_free when the task goes. */
void          _luma_cache_run_write_async     (LumaCache           *self,
                                               LumaCacheWriteFunc   func,
                                               gpointer             data,
                                               GDestroyNotify       data_free,
                                               LumaCacheJobFlags    flags,
                                               gpointer             source_tag,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean      _luma_cache_finish_write        (LumaCache           *self,
                                               GAsyncResult        *result,
                                               gint64              *n_out,
                                               GError             **error);
LumaCacheDb  *_luma_cache_pool_acquire        (LumaCache           *self,
                                               GCancellable        *cancellable,
                                               GError             **error);
void          _luma_cache_pool_release        (LumaCache           *self,
                                               LumaCacheDb         *db);

/* ---- The file, its schema and indexes (luma-cache-schema.c) ------------------------------- */

/* One history (sessions or users) described as data: its table, search
 * index, columns and indexes. */
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
} LumaCacheHistoryTable;

extern const LumaCacheHistoryTable _luma_cache_history_tables[2];

/* Opens, checks and migrates the file at @path (created 0600); a damaged
 * file is moved aside first (@moved_to: where to, else NULL) and what it
 * held of the outbox is salvaged (@salvage_out). */
LumaCacheDb  *_luma_cache_schema_open         (const char          *path,
                                               char               **moved_to,
                                               LumaCacheSalvage    *salvage_out,
                                               GError             **error);
gboolean      _luma_cache_create_file_0600    (const char          *path,
                                               GError             **error);
/* NAME.open: there while the cache is open, left behind by a crash. */
char         *_luma_cache_open_marker_path    (const char          *path);

/* ---- The outbox (luma-cache-outbox.c) ---------------------------------------------------- */

/* Copies the pending edit and the conflict of the damaged file at
 * @damaged_path (opened read-only) into @db, as far as they can be read. */
LumaCacheSalvage _luma_cache_outbox_salvage   (LumaCacheDb         *db,
                                               const char          *damaged_path);

/* ---- The subscription (luma-cache-subscription.c) ---------------------------------------- */

/* On the writer connection, inside the caller's transaction. */
gboolean      _luma_cache_subscription_write  (LumaCache               *self,
                                               const LumaSubscription  *subscription,
                                               const char              *etag,
                                               GError                 **error);

/* ---- The tenants (luma-cache-tenants.c) --------------------------------------------------- */

/* The columns of a LumaTenantSummary, as the tenants table and the
 * subscription table both hold them, in the order
 * _luma_cache_tenant_summary_from_row() reads. */
#define LUMA_CACHE_TENANT_SUMMARY_COLS \
  "external_id, tenant_name, license_type, start_date, end_date," \
  " total_purchase, consumed, available, overage"

/* The row of @stmt, selected with LUMA_CACHE_TENANT_SUMMARY_COLS. */
LumaTenantSummary *_luma_cache_tenant_summary_from_row (sqlite3_stmt *stmt);

/* ---- Keys and values (luma-cache-meta.c) -------------------------------------------------- */

gboolean      _luma_cache_meta_set            (LumaCacheDb         *db,
                                               const char          *key,
                                               const char          *value,
                                               GError             **error);
char         *_luma_cache_meta_get            (LumaCacheDb         *db,
                                               const char          *key,
                                               GError             **error);

/* ---- The breakdown (luma-cache-breakdown.c) ----------------------------------------------- */

/* Adds the SQL function the breakdown counts with to a connection. */
void          _luma_cache_breakdown_register  (sqlite3             *handle);

/* ---- The history (luma-cache-history.c) --------------------------------------------------- */

/* An empty batch of staged pages. */
GPtrArray    *_luma_cache_batch_new           (void);
/* @search as one phrase of an FTS5 query: quoted, its quotes doubled. */
char         *_luma_cache_fts_phrase          (const char          *search);

/* ---- For tests only -------------------------------------------------------------------------
 *
 * Blocking variants of what the app and the sync engine do asynchronously,
 * and the size of the staged batch. */

/* luma_cache_commit_batch_async() that waits for the commit. */
gboolean    luma_cache_commit_batch            (LumaCache            *self,
                                                const char           *cursor,
                                                gint64               *n_new_out,
                                                GError              **error);
/* luma_cache_build_indexes_async() that waits for the last index. */
gboolean    luma_cache_build_indexes           (LumaCache            *self,
                                                GCancellable         *cancellable,
                                                GError              **error);
/* Number of staged records not yet committed. */
guint       luma_cache_get_batch_size          (LumaCache            *self);
gboolean    luma_cache_store_conversations     (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                const char           *record_id,
                                                GPtrArray            *conversations,
                                                GError              **error);
gboolean    luma_cache_resolve_conflict        (LumaCache            *self,
                                                const LumaContacts   *chosen,
                                                GError              **error);
/* Removes the pending edit (the sync settles a push with
 * luma_cache_settle_push*()). */
gboolean    luma_cache_outbox_clear            (LumaCache            *self,
                                                GError              **error);
/* A 412: keeps the user's version (@mine, version = its base) and the server's
 * (@theirs, version = the server's current version) until resolved. Storing
 * a conflict removes the pending outbox edit in the same transaction (it
 * lives on as @mine). */
gboolean    luma_cache_store_conflict          (LumaCache            *self,
                                                const LumaContacts   *mine,
                                                const LumaContacts   *theirs,
                                                GError              **error);
/* How luma_cache_get_breakdown() reads a session-based period, for every
 * cache of the process from now on: chosen by the period's share of the
 * rows (AUTO), through the time index, or in rowid order; in @n_parts
 * parts (1 or 2) on as many threads, or 0 for chosen by size. */
typedef enum
{
  LUMA_CACHE_BREAKDOWN_AUTO,
  LUMA_CACHE_BREAKDOWN_TIME_INDEX,
  LUMA_CACHE_BREAKDOWN_TABLE_SCAN,
} LumaCacheBreakdownPlan;

void        luma_cache_set_breakdown_plan      (LumaCacheBreakdownPlan  plan,
                                                guint                   n_parts);
/* Keeps the writer thread busy for @msec, behind the writes queued before
 * (as a long index build step would): the writes queued after wait. */
void        luma_cache_hold_writer             (LumaCache            *self,
                                                guint                 msec);

G_END_DECLS
