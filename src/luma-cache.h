/* luma-cache.h: the local SQLite store everything the window shows comes from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-models.h"
#include "luma-capacity.h"

G_BEGIN_DECLS

/**
 * LumaCacheError:
 *
 * Why a cache operation failed, in terms of what the caller can do.
 */
#define LUMA_CACHE_ERROR (luma_cache_error_quark ())

typedef enum
{
  LUMA_CACHE_ERROR_FAILED,      /* an SQLite error not listed below */
  LUMA_CACHE_ERROR_IO,          /* cannot create, open, read or write the file */
  LUMA_CACHE_ERROR_FULL,        /* the disk is full: nothing was written */
  LUMA_CACHE_ERROR_CORRUPT,     /* the file is damaged (at open it is moved aside instead) */
  LUMA_CACHE_ERROR_SCHEMA,      /* written by a newer version of the app: left untouched */
  LUMA_CACHE_ERROR_BUSY,        /* another process holds the write lock for too long */
  LUMA_CACHE_ERROR_INVALID,     /* bad argument, e.g. a column the license type lacks */
  LUMA_CACHE_ERROR_CLOSED,      /* the cache is shutting down */
} LumaCacheError;

GQuark luma_cache_error_quark (void);

/* ---- History queries ------------------------------------------------------------------------ */

/**
 * LumaHistoryColumn:
 *
 * The sortable columns of the License Consumption History. Some exist only
 * for one license type (noted); using one with the other type is
 * LUMA_CACHE_ERROR_INVALID.
 *
 * Order: text columns compare without regard to ASCII case (SQLite NOCASE),
 * enumeration columns by their enum value (the order of the enums in
 * luma-models.h), NULL agent names first. Ties are broken by the record's
 * time (Started On / Created On), then by the row id, in the same direction,
 * so the order is total and the same for the view and the CSV report.
 */
typedef enum
{
  LUMA_HISTORY_COLUMN_TIME,          /* Started On (session) / Created On (user): the default */
  LUMA_HISTORY_COLUMN_ID,            /* Session ID / User ID */
  LUMA_HISTORY_COLUMN_USER_NAME,
  LUMA_HISTORY_COLUMN_EMAIL,
  LUMA_HISTORY_COLUMN_ROLE,
  LUMA_HISTORY_COLUMN_CONVERSATIONS,
  LUMA_HISTORY_COLUMN_INITIATED_BY,  /* session only */
  LUMA_HISTORY_COLUMN_AGENT_NAME,    /* session only */
  LUMA_HISTORY_COLUMN_CHANNEL,       /* session only */
  LUMA_HISTORY_COLUMN_FIRST_NAME,    /* user only */
  LUMA_HISTORY_COLUMN_LAST_NAME,     /* user only */
  LUMA_HISTORY_COLUMN_STATUS,        /* user only */
} LumaHistoryColumn;

#define LUMA_N_HISTORY_COLUMNS (LUMA_HISTORY_COLUMN_STATUS + 1)

/* Bit masks for the filters: (1 << LUMA_CHANNEL_x), (1 << LUMA_ROLE_x). */
#define LUMA_HISTORY_CHANNEL_BIT(c) (1u << (c))
#define LUMA_HISTORY_ROLE_BIT(r)    (1u << (r))

/**
 * LumaHistoryQuery:
 * @license_type: which history (sessions or user licenses)
 * @sort_column: the column to sort by
 * @descending: newest / largest / Z first
 * @from: keep records whose time (Started On / Created On) is >= @from,
 *   unix seconds UTC; 0 for no lower bound
 * @to: keep records whose time is <= @to (a closed interval, as the contract
 *   term); 0 for no upper bound
 * @search: (nullable): keep records where this text occurs, without regard to
 *   ASCII case, in the user name, email, agent name or session id (session)
 *   or the user id, user name, email, first or last name (user). NULL or ""
 *   for no search. % and _ are ordinary characters.
 * @channels: a mask of LUMA_HISTORY_CHANNEL_BIT(); 0 for every channel
 *   (session only, ignored for users)
 * @initiated_by: a LumaInitiatedBy, or -1 for both (session only)
 * @status: a LumaUserStatus, or -1 for both (user only)
 * @roles: a mask of LUMA_HISTORY_ROLE_BIT(); 0 for every role
 *
 * What the history view shows and the CSV report writes: the same struct
 * drives both, so they always agree. Initialise with
 * luma_history_query_init() (newest first, no filter).
 */
typedef struct
{
  LumaLicenseType    license_type;
  LumaHistoryColumn  sort_column;
  gboolean           descending;
  gint64             from;
  gint64             to;
  char              *search;
  guint              channels;
  gint               initiated_by;
  gint               status;
  guint              roles;
} LumaHistoryQuery;

#define LUMA_TYPE_HISTORY_QUERY (luma_history_query_get_type ())

GType             luma_history_query_get_type (void) G_GNUC_CONST;
/* Sets the defaults: @license_type, TIME descending, no filter, search NULL. */
void              luma_history_query_init     (LumaHistoryQuery       *self,
                                               LumaLicenseType         license_type);
/* Frees search only (for a query on the stack). */
void              luma_history_query_clear    (LumaHistoryQuery       *self);
LumaHistoryQuery *luma_history_query_new      (LumaLicenseType         license_type);
LumaHistoryQuery *luma_history_query_copy     (const LumaHistoryQuery *self);
void              luma_history_query_free     (LumaHistoryQuery       *self);
/* Does the query filter anything (dates, search, channels...)? */
gboolean          luma_history_query_has_filter (const LumaHistoryQuery *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaHistoryQuery, luma_history_query_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LumaHistoryQuery, luma_history_query_clear)

/**
 * LumaHistoryRowFunc:
 * @license_type: which struct @record is
 * @record: a LumaSessionRecord or LumaUserRecord, borrowed: its strings
 *   point into SQLite's memory and are valid only during the call; copy
 *   what you keep (luma_session_record_copy())
 * @user_data: the data given to luma_cache_foreach_history()
 *
 * Returns: TRUE to go on, FALSE to stop (not an error)
 */
typedef gboolean (*LumaHistoryRowFunc) (LumaLicenseType  license_type,
                                        gconstpointer    record,
                                        gpointer         user_data);

/* ---- The cache -------------------------------------------------------------------------------- */

/* This header is what the app, the command line and the sync engine read
 * and change. The writes only the sync engine makes (the history, the
 * subscription, the cursor...) are in luma-cache-sync.h; test hooks are in
 * luma-cache-private.h. */

/* Signals: "history-changed" (no arguments) after a commit that wrote
 * records, so views re-run their query. Property: "indexes-ready". Both are
 * emitted in the thread-default main context of the thread that opened the
 * cache, by whoever iterates it (never on the writer thread), and not after
 * luma_cache_close(). */
#define LUMA_TYPE_CACHE (luma_cache_get_type ())

G_DECLARE_FINAL_TYPE (LumaCache, luma_cache, LUMA, CACHE, GObject)

/* Opening. One database per account, in $XDG_CACHE_HOME/luma-subscription/
 * (directory 0700, files 0600), named from a SHA-256 of the server URL and
 * the account (a tenant external id, or "superadmin:USER/TENANT"); no secret
 * is part of it. A damaged file (not a database, wrong application id,
 * failed quick check) is renamed to NAME.corrupt-YYYYMMDDTHHMMSSZ, a new
 * empty cache is created and luma_cache_was_rebuilt() returns TRUE: tell the
 * user and do a full sync. A file written by a newer app version is left
 * alone: LUMA_CACHE_ERROR_SCHEMA.
 *
 * Opening always checks the header, the application id, the schema and the
 * table roots. The page-by-page integrity check (about a second per million
 * records) runs when the file is small, when the previous session did not
 * close the cache (NAME.open was left behind), and once a week. The UI uses
 * the _async variant. */
LumaCache  *luma_cache_open_for_account        (const char           *server_url,
                                                const char           *account,
                                                GCancellable         *cancellable,
                                                GError              **error);
void        luma_cache_open_for_account_async  (const char           *server_url,
                                                const char           *account,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
LumaCache  *luma_cache_open_for_account_finish (GAsyncResult         *result,
                                                GError              **error);
LumaCache  *luma_cache_open_path               (const char           *path,
                                                GCancellable         *cancellable,
                                                GError              **error);
/* The file name luma_cache_open_for_account() uses; free with g_free(). */
char       *luma_cache_path_for_account        (const char           *server_url,
                                                const char           *account);

const char *luma_cache_get_path                (LumaCache            *self);
gboolean    luma_cache_was_rebuilt             (LumaCache            *self);
/* Where a damaged file was moved to when luma_cache_was_rebuilt(), else NULL. */
const char *luma_cache_get_corrupt_path        (LumaCache            *self);

/* What a rebuilt cache took over from the damaged file: the only things in
 * it the server does not have are the pending edit of the email lists and a
 * conflict over them. Read from the damaged file (read-only) as far as it
 * can be; KEPT: copied into the new cache, LOST: could not be read (there
 * may have been none). Neither bit: there was none. */
typedef enum
{
  LUMA_CACHE_SALVAGE_NONE          = 0,
  LUMA_CACHE_SALVAGE_OUTBOX_KEPT   = 1 << 0,
  LUMA_CACHE_SALVAGE_OUTBOX_LOST   = 1 << 1,
  LUMA_CACHE_SALVAGE_CONFLICT_KEPT = 1 << 2,
  LUMA_CACHE_SALVAGE_CONFLICT_LOST = 1 << 3,
} LumaCacheSalvage;

LumaCacheSalvage luma_cache_get_salvage        (LumaCache            *self);
/* For the user, when luma_cache_was_rebuilt() (else NULL): that the cache
 * was rebuilt and what of their own was kept or lost, in words (translated,
 * plain text without markup). */
const char *luma_cache_get_rebuild_message     (LumaCache            *self);

/* Waits for queued writes to finish and closes every connection. Called by
 * dispose too; later calls fail with LUMA_CACHE_ERROR_CLOSED. */
void        luma_cache_close                   (LumaCache            *self);

/* ---- Sync state -------------------------------------------------------------------------------- */

/* The committed cursor, or NULL when no sync has committed anything. */
char       *luma_cache_get_cursor              (LumaCache            *self,
                                                GError              **error);
/* Unix seconds UTC of the last successful sync, 0 if never. */
gint64      luma_cache_get_last_synced         (LumaCache            *self);
/* The license type of the cached history; FALSE when unknown (empty cache). */
gboolean    luma_cache_get_license_type        (LumaCache            *self,
                                                LumaLicenseType      *out);
/* Are the sort and search indexes of the stored history built? (property
 * "indexes-ready"; see luma-cache-sync.h) */
gboolean    luma_cache_get_indexes_ready       (LumaCache            *self);
/* Number of cached records of that history. */
gint64      luma_cache_count_records           (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                GError              **error);

/* ---- Reading the history ---------------------------------------------------------------------- */

/* Row ids of the records matching @query, in its order (a GArray of gint64).
 * Runs on a pooled read connection, so any thread may call it (the history
 * model does, from a worker, together with the record count). */
GArray     *luma_cache_query_ids               (LumaCache              *self,
                                                const LumaHistoryQuery *query,
                                                GCancellable           *cancellable,
                                                GError                **error);

/* Number of records matching @query (-1 on error). */
gint64      luma_cache_count_matching          (LumaCache              *self,
                                                const LumaHistoryQuery *query,
                                                GCancellable           *cancellable,
                                                GError                **error);
void        luma_cache_count_matching_async    (LumaCache              *self,
                                                const LumaHistoryQuery *query,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gint64      luma_cache_count_matching_finish   (LumaCache              *self,
                                                GAsyncResult           *result,
                                                GError                **error);

/* Consumption over time, for the chart and the forecast: the number of
 * records (of users with @user_status, a LumaUserStatus, or -1 for every
 * user; ignored for sessions) whose time (Started On / Created On) falls in
 * each range. Ranges of any length (the local calendar days of the term,
 * some 23 or 25 hours long): @n_bounds ascending times give
 * @n_bounds - 1 counts, count i of the records in [bounds[i], bounds[i+1]).
 * At most 8193 bounds; fewer than 2, more, or out of order:
 * LUMA_CACHE_ERROR_INVALID. The sync form runs on a read connection of its
 * own, from any thread. */
GArray     *luma_cache_count_in_ranges         (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                gint                  user_status,
                                                const gint64         *bounds,
                                                guint                 n_bounds,
                                                GCancellable         *cancellable,
                                                GError              **error);
void        luma_cache_count_in_ranges_async   (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                gint                  user_status,
                                                const gint64         *bounds,
                                                guint                 n_bounds,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
GArray     *luma_cache_count_in_ranges_finish  (LumaCache            *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* What the history of @license_type gained after row @after_id: rows are
 * numbered as they are first stored and an update keeps the number, so
 * @count_out gets the records first stored since (0 when @after_id is the
 * newest) and @max_id_out the newest row id (0 for an empty history). A
 * range of the primary key: fast. From any thread. */
gboolean    luma_cache_count_history_after     (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                gint64                after_id,
                                                gint64               *max_id_out,
                                                gint64               *count_out,
                                                GError              **error);

/* The records of these row ids, in the order of @ids (ids that do not exist
 * are left out). Fast (well under a millisecond for 200 ids): meant for a
 * GListModel's get_item() on the main thread, on a read connection reserved
 * for it. */
GPtrArray  *luma_cache_fetch_sessions_by_ids   (LumaCache            *self,
                                                const gint64         *ids,
                                                guint                 n_ids,
                                                GError              **error);
GPtrArray  *luma_cache_fetch_users_by_ids      (LumaCache            *self,
                                                const gint64         *ids,
                                                guint                 n_ids,
                                                GError              **error);

/* Walks the records matching @query in its order with one statement, calling
 * @func per row; holds one row in memory at a time. Callable from any
 * thread (uses a read connection of its own). Cancelling stops it with
 * G_IO_ERROR_CANCELLED. */
gboolean    luma_cache_foreach_history         (LumaCache              *self,
                                                const LumaHistoryQuery *query,
                                                LumaHistoryRowFunc      func,
                                                gpointer                user_data,
                                                GCancellable           *cancellable,
                                                GError                **error);

/* ---- Subscription, purchases, conversations -------------------------------------------------- */

/* NULL without error when none is cached. @etag_out: (optional). */
LumaSubscription *luma_cache_get_subscription   (LumaCache              *self,
                                                 char                  **etag_out,
                                                 GError                **error);

/* The cached purchases in the stored order (an empty array when none);
 * @etag_out: (optional) NULL when none stored. */
GPtrArray  *luma_cache_get_purchases           (LumaCache            *self,
                                                char                **etag_out,
                                                GError              **error);

/* A superadmin's tenant list (LumaTenantSummary*, in the server's order),
 * kept in the superadmin's own cache (luma_cache_open_for_account() with
 * "superadmin:USER") so the tenants page works offline. Storing replaces
 * the list and records when. */
gboolean    luma_cache_store_tenants           (LumaCache            *self,
                                                GPtrArray            *tenants,
                                                GError              **error);
/* The stored list (maybe empty), or NULL without error when none was ever
 * stored; @stored_on_out: (optional) unix seconds UTC of the store. */
GPtrArray  *luma_cache_get_tenants             (LumaCache            *self,
                                                gint64               *stored_on_out,
                                                GError              **error);
/* luma_cache_store_tenants() on the writer thread, stored as of @now (unix
 * seconds UTC). Each store also keeps every tenant's consumption as a
 * sample, the first of each day, for a month and a day. */
void        luma_cache_store_tenants_async     (LumaCache            *self,
                                                GPtrArray            *tenants,
                                                gint64                now,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean    luma_cache_store_tenants_finish    (LumaCache            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* The oldest consumption sample of each tenant taken at or after @since
 * (external id -> LumaConsumptionSample*, of the latest term when the
 * window holds two); empty when none. */
GHashTable *luma_cache_get_tenant_samples      (LumaCache            *self,
                                                gint64                since,
                                                GError              **error);

/* The cached conversations of a record, or NULL without error when they are
 * not cached or out of date (the record's Conversations count changed since
 * they were stored): fetch them from the server then. */
GPtrArray  *luma_cache_get_conversations       (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                const char           *record_id,
                                                GError              **error);

/* ---- Offline edits of the contacts -------------------------------------------------------------
 *
 * The outbox holds at most one pending edit: the lists the user saved and
 * the subscription version they were based on (@edit->version). The sync
 * engine queues and pushes it (luma-cache-sync.h). */
/* The pending edit or NULL without error; @queued_on_out: (optional) unix s. */
LumaContacts *luma_cache_outbox_peek           (LumaCache            *self,
                                                gint64               *queued_on_out,
                                                GError              **error);

/* FALSE without error when there is no conflict. */
gboolean      luma_cache_get_conflict          (LumaCache            *self,
                                                LumaContacts        **mine_out,
                                                LumaContacts        **theirs_out,
                                                GError              **error);
/* Ends the conflict in one transaction: when @chosen is not NULL it is queued
 * in the outbox with the server's version as its base (to be pushed); NULL
 * keeps the server's version (nothing to push). */
void          luma_cache_resolve_conflict_async  (LumaCache            *self,
                                                  const LumaContacts   *chosen,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean      luma_cache_resolve_conflict_finish (LumaCache            *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* ---- Notified thresholds (75/85/95/100 %) ---------------------------------------------------- */

/* The thresholds (percent, ascending, a GArray of gint) already notified for
 * this tenant and contract term (its start date). */
GArray     *luma_cache_get_notified_thresholds (LumaCache            *self,
                                                const char           *tenant,
                                                gint64                term_start,
                                                GError              **error);
gboolean    luma_cache_record_threshold_notified (LumaCache          *self,
                                                  const char         *tenant,
                                                  gint64              term_start,
                                                  gint                percent,
                                                  gint64              notified_on,
                                                  GError            **error);
/* Re-arms thresholds above @percent (after a refill brought consumption
 * below them): removes those greater than @percent for that tenant and term. */
gboolean    luma_cache_clear_thresholds_above  (LumaCache            *self,
                                                const char           *tenant,
                                                gint64                term_start,
                                                gdouble               percent,
                                                GError              **error);

/* Every tenant and term at once, for a superadmin's whole tenant list: one
 * statement instead of one per tenant. @tenant is borrowed for the call. */
typedef void (*LumaCacheThresholdRowFunc) (const char *tenant,
                                           gint64      term_start,
                                           gint        percent,
                                           gpointer    user_data);

gboolean    luma_cache_foreach_notified_threshold (LumaCache                  *self,
                                                   LumaCacheThresholdRowFunc   func,
                                                   gpointer                    user_data,
                                                   GError                    **error);

/**
 * LumaCacheThresholdChange:
 * @tenant: the tenant's external id (borrowed)
 * @term_start: its contract term
 * @clear_above: first remove the thresholds above this percent (re-armed);
 *   -1 removes none
 * @n_record: how many of @record to record as notified
 * @record: percents (75, 85, 95, 100, or those a tenant chose) and alert codes
 */
typedef struct
{
  const char *tenant;
  gint64      term_start;
  gint        clear_above;
  guint       n_record;
  gint        record[10];  /* as many as a LumaAlertDecision records */
} LumaCacheThresholdChange;

/* Applies the changes of one check of every tenant in one transaction:
 * all of them or, on error, none. */
gboolean    luma_cache_apply_threshold_changes (LumaCache                       *self,
                                                const LumaCacheThresholdChange  *changes,
                                                guint                            n_changes,
                                                gint64                           notified_on,
                                                GError                         **error);

/* ---- Small key/value store ------------------------------------------------------------------ */

/* NULL without error when unset. */
char       *luma_cache_get_meta                (LumaCache            *self,
                                                const char           *key,
                                                GError              **error);

G_END_DECLS
