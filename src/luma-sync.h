/* luma-sync.h: keeps the cache of one account current with the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-models.h"

G_BEGIN_DECLS

#define LUMA_SYNC_ERROR (luma_sync_error_quark ())

typedef enum
{
  LUMA_SYNC_ERROR_BUSY,    /* a sync is already running on this object */
  LUMA_SYNC_ERROR_CACHE,   /* the cache could not be read or written */
  LUMA_SYNC_ERROR_NOT_SYNCED, /* needs data that no sync has loaded yet */
} LumaSyncError;

GQuark luma_sync_error_quark (void);

/* What a sync is doing now, for a status line. */
typedef enum
{
  LUMA_SYNC_PHASE_IDLE,
  LUMA_SYNC_PHASE_CONTACTS,       /* pushing the edits of the outbox */
  LUMA_SYNC_PHASE_SUBSCRIPTION,
  LUMA_SYNC_PHASE_PURCHASES,
  LUMA_SYNC_PHASE_CONSUMPTION,    /* following the change feed; see done/total */
  LUMA_SYNC_PHASE_FINISHING,      /* the last batch is being committed */
} LumaSyncPhase;

#define LUMA_TYPE_SYNC_PHASE (luma_sync_phase_get_type ())
GType luma_sync_phase_get_type (void);

/* What an edit of the email lists became. */
typedef enum
{
  LUMA_CONTACTS_PUSHED,    /* the server has it */
  LUMA_CONTACTS_QUEUED,    /* offline: kept in the outbox, pushed by a later sync */
  LUMA_CONTACTS_CONFLICT,  /* someone changed the lists meanwhile: both versions are kept */
} LumaContactsOutcome;

/* What one luma_sync_run_async() did. */
typedef struct
{
  gint64   new_records;           /* records the cache did not have */
  gint64   changed_records;       /* records it had, now updated in place */
  gint64   total_records;         /* records in the cache afterwards */
  gboolean full;                  /* TRUE: from the beginning of the feed (no cursor) */
  gint64   duration_us;           /* wall-clock time of the whole run */
  guint    requests;              /* HTTP requests made (retries inside the client not counted) */
  gboolean subscription_changed;  /* the subscription details were new (not a 304) */
  gboolean purchases_changed;     /* the purchase history was new (not a 304) */
  gboolean term_changed;          /* the contract term differs from the cached one */
  gboolean license_type_changed;  /* the license type differs from the cached one */
  gboolean contacts_pushed;       /* an edit of the outbox reached the server */
  gboolean contacts_queued;       /* an edit is still waiting in the outbox */
  gboolean contacts_rejected;     /* the server refused the queued lists (422): still queued */
  gboolean conflict;              /* an edit met a newer version on the server (412) */
  gboolean indexing;              /* the background index build was started */
  const char *cursor_dropped;     /* why the stored sync position was dropped before this
                                   * full sync (a static string), or NULL */
} LumaSyncSummary;

LumaSyncSummary *luma_sync_summary_copy (const LumaSyncSummary *self);
void             luma_sync_summary_free (LumaSyncSummary       *self);
/* One line for a log or the command line, e.g.
 * "incremental sync: 12 new, 3 changed, 100015 records, 2 requests, 41 ms". */
char            *luma_sync_summary_to_string (const LumaSyncSummary *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaSyncSummary, luma_sync_summary_free)

#define LUMA_SYNC_DEFAULT_PAGE_LIMIT  1000
/* Rows committed together with the cursor that follows them. */
#define LUMA_SYNC_DEFAULT_BATCH_ROWS  20000

#define LUMA_TYPE_SYNC (luma_sync_get_type ())

G_DECLARE_FINAL_TYPE (LumaSync, luma_sync, LUMA, SYNC, GObject)

LumaSync        *luma_sync_new            (LumaApiClient        *client,
                                           LumaCache            *cache);
LumaApiClient   *luma_sync_get_client     (LumaSync             *self);
LumaCache       *luma_sync_get_cache      (LumaSync             *self);

gboolean         luma_sync_get_running    (LumaSync             *self);
/* Records received by the running (or last) sync, and received + remaining. */
gint64           luma_sync_get_done       (LumaSync             *self);
gint64           luma_sync_get_total      (LumaSync             *self);
LumaSyncPhase    luma_sync_get_phase      (LumaSync             *self);
/* TRUE after a network error or a time-out, FALSE again after an answer. */
gboolean         luma_sync_get_offline    (LumaSync             *self);
/* TRUE while the indexes dropped for a full sync are built in the background
 * (property "indexing"; signal "indexes-built" (GError *error) at the end). */
gboolean         luma_sync_get_indexing   (LumaSync             *self);

/* Rows per commit (default LUMA_SYNC_DEFAULT_BATCH_ROWS); smaller values lose
 * less on a crash and cost throughput. */
void             luma_sync_set_batch_rows (LumaSync             *self,
                                           guint                 rows);
/* Records per request, 1-1000 (default 1000). */
void             luma_sync_set_page_limit (LumaSync             *self,
                                           guint                 limit);

/* Pushes the outbox, refreshes subscription and purchases (ETag), then
 * follows the consumption feed from the stored cursor. Fails with
 * LUMA_SYNC_ERROR_BUSY while another run is going on. On failure what was
 * committed stays, and the next run resumes from there. */
void             luma_sync_run_async      (LumaSync             *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
LumaSyncSummary *luma_sync_run_finish     (LumaSync             *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* Saves the lists to the outbox of the cache first (so they survive a
 * restart), then pushes them when online. A 412 keeps both versions in the
 * cache and emits ::conflict. A 422 leaves the edit in the outbox and fails
 * with LUMA_API_ERROR_VALIDATION; @field_errors_out (optional) gets the
 * LumaFieldError* list. A network error is not an error here: the outcome is
 * LUMA_CONTACTS_QUEUED. */
void                luma_sync_save_contacts_async  (LumaSync             *self,
                                                    const char *const    *technical_emails,
                                                    const char *const    *billing_emails,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
LumaContactsOutcome luma_sync_save_contacts_finish (LumaSync             *self,
                                                    GAsyncResult         *result,
                                                    GPtrArray           **field_errors_out,
                                                    GError              **error);

/* The conversations of one record (LumaConversation*): from the cache when it
 * has them, else from the server, then stored in the cache. Works offline
 * for every record viewed before. */
void                luma_sync_fetch_conversations_async  (LumaSync             *self,
                                                          const char           *record_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
GPtrArray          *luma_sync_fetch_conversations_finish (LumaSync             *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
