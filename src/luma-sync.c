/* luma-sync.c: keeps the cache of one account current with the server
 *
 * A run pushes the contacts outbox, refreshes the subscription and the
 * purchases with conditional requests, then follows the consumption feed.
 * The feed is pipelined: page k+1 is requested (and decoded in the client's
 * worker thread) while the cache's writer thread stores page k. Pages are
 * staged and committed every batch_rows rows together with the cursor that
 * follows them, so an interrupted sync resumes exactly where the last commit
 * left off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-sync"

#include "config.h"

#include "luma-sync.h"
#include "luma-cache-sync.h"

/* Commits handed to the cache and not yet written. Pages between commits
 * are only staged in memory (no round trip through the writer thread), so
 * the feed keeps flowing while a batch is written; two commits in flight
 * bound the memory at about two batches when the network is faster than
 * the disk. */
#define MAX_WRITES_IN_FLIGHT 2

/* The purchase history changes only when the total purchase does, which
 * changes the subscription's ETag; it is asked for again when the
 * subscription changed, or after this long as a safety net. */
#define PURCHASES_MAX_AGE_SECONDS (60 * 60)

#define META_PURCHASES_CHECKED "sync.purchases-checked"

/* The feed's bounds, whatever the server announces: the records of one sync
 * (fifty times the largest tenant measured in docs/performance.md), and the
 * cursors the loop guard remembers (a loop longer than that ends at the
 * record bound). */
#define MAX_FEED_RECORDS ((gint64) 50000000)
#define MAX_CURSORS_REMEMBERED 65536

/* Runs in a row whose first request with the stored cursor failed although
 * the server answered the requests before it; then the cursor is dropped. */
#define META_CURSOR_FAILURES "sync.cursor-failures"
#define MAX_CURSOR_FAILURES 3

G_DEFINE_QUARK (luma-sync-error-quark, luma_sync_error)

G_DEFINE_ENUM_TYPE (LumaSyncPhase, luma_sync_phase,
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_IDLE, "idle"),
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_CONTACTS, "contacts"),
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_SUBSCRIPTION, "subscription"),
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_PURCHASES, "purchases"),
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_CONSUMPTION, "consumption"),
  G_DEFINE_ENUM_VALUE (LUMA_SYNC_PHASE_FINISHING, "finishing"))

struct _LumaSync
{
  GObject        parent_instance;

  LumaApiClient *client;
  LumaCache     *cache;

  guint          batch_rows;
  guint          page_limit;

  gboolean       running;
  gint64         done;
  gint64         total;
  LumaSyncPhase  phase;
  gint64         phase_start_us;   /* for the debug log */
  gboolean       offline;
  gboolean       indexing;

  /* Pushes of the outbox are serialised: a second one waits here. */
  gboolean       pushing;
  GQueue         push_waiters;
};

G_DEFINE_FINAL_TYPE (LumaSync, luma_sync, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  PROP_RUNNING,
  PROP_DONE,
  PROP_TOTAL,
  PROP_PHASE,
  PROP_OFFLINE,
  PROP_INDEXING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CONFLICT,
  SIGNAL_INDEXES_BUILT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- The summary ------------------------------------------------------------------------------ */

LumaSyncSummary *
luma_sync_summary_copy (const LumaSyncSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

void
luma_sync_summary_free (LumaSyncSummary *self)
{
  g_free (self);
}

char *
luma_sync_summary_to_string (const LumaSyncSummary *self)
{
  GString *s;

  g_return_val_if_fail (self != NULL, NULL);

  s = g_string_new (self->full ? "full sync: " : "incremental sync: ");
  g_string_append_printf (s, "%" G_GINT64_FORMAT " new, %" G_GINT64_FORMAT " changed, "
                          "%" G_GINT64_FORMAT " records, %u requests, %" G_GINT64_FORMAT " ms",
                          self->new_records, self->changed_records, self->total_records,
                          self->requests, self->duration_us / 1000);
  if (self->subscription_changed)
    g_string_append (s, ", subscription updated");
  if (self->term_changed)
    g_string_append (s, ", new contract term");
  if (self->license_type_changed)
    g_string_append (s, ", license type changed");
  if (self->cursor_dropped != NULL)
    g_string_append_printf (s, ", stored sync position dropped (%s)", self->cursor_dropped);
  if (self->contacts_pushed)
    g_string_append (s, ", email lists saved");
  if (self->conflict)
    g_string_append (s, ", email lists in conflict");
  else if (self->contacts_rejected)
    g_string_append (s, ", email lists rejected by the server");
  else if (self->contacts_queued)
    g_string_append (s, ", email lists still queued");

  return g_string_free (s, FALSE);
}

/* ---- Small helpers ---------------------------------------------------------------------------- */

static gboolean
error_is_offline (const GError *error)
{
  return g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_NETWORK) ||
         g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_TIMEOUT);
}

static void
set_offline (LumaSync *self,
             gboolean  offline)
{
  if (self->offline == offline)
    return;
  self->offline = offline;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE]);
}

/* Any answer at all means the server is reachable; a network error or a
 * time-out means it is not. Other errors say nothing about it. */
static void
note_answer (LumaSync     *self,
             const GError *error)
{
  if (error == NULL)
    set_offline (self, FALSE);
  else if (error_is_offline (error))
    set_offline (self, TRUE);
  else if (error->domain == LUMA_API_ERROR)
    set_offline (self, FALSE);
}

static void
set_phase (LumaSync      *self,
           LumaSyncPhase  phase)
{
  if (self->phase == phase)
    return;
  g_debug ("phase %d done after %.1f ms, now %d", self->phase,
           (g_get_monotonic_time () - self->phase_start_us) / 1000.0, phase);
  self->phase_start_us = g_get_monotonic_time ();
  self->phase = phase;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
}

static void
set_progress (LumaSync *self,
              gint64    done,
              gint64    total)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->done != done)
    {
      self->done = done;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DONE]);
    }
  if (self->total != total)
    {
      self->total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_running (LumaSync *self,
             gboolean  running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GError *
cache_error_new (const GError *cause,
                 const char   *what)
{
  return g_error_new (LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_CACHE,
                      "Cannot %s the local cache: %s", what,
                      cause != NULL ? cause->message : "unknown error");
}

/* ---- Pushing the outbox ------------------------------------------------------------------------
 *
 * Shared by a run and by luma_sync_save_contacts_async(). Serialised, so two
 * pushes never race each other with the same base version. */

typedef enum
{
  PUSH_NOTHING,   /* the outbox was empty */
  PUSH_PUSHED,
  PUSH_CONFLICT,
  PUSH_QUEUED,    /* refused; other lists saved meanwhile wait for their turn */
} PushOutcome;

typedef struct
{
  LumaContacts *edit;
  PushOutcome   outcome;
  GPtrArray    *field_errors;
  gboolean      requested;   /* a request was sent */
  gboolean      taken;       /* the server took the edit */
} PushData;

static void
push_data_free (PushData *data)
{
  g_clear_pointer (&data->edit, luma_contacts_free);
  g_clear_pointer (&data->field_errors, g_ptr_array_unref);
  g_free (data);
}

static void push_begin (LumaSync *self,
                        GTask    *task);

static void
push_done (LumaSync *self,
           GTask    *task,
           GError   *error)
{
  GTask *next;

  self->pushing = FALSE;
  next = g_queue_pop_head (&self->push_waiters);
  if (next != NULL)
    push_begin (self, next);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The answer is in the cache, with the outbox as it is now (see
 * luma_cache_settle_push_async()). */
static void
push_settled_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  PushData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  switch (luma_cache_settle_push_finish (LUMA_CACHE (source), result, &error))
    {
    case LUMA_PUSH_SETTLED_FAILED:
      push_done (self, task, cache_error_new (error, "write to"));
      return;
    case LUMA_PUSH_SETTLED_CONFLICT:
      data->outcome = PUSH_CONFLICT;
      g_signal_emit (self, signals[SIGNAL_CONFLICT], 0);
      break;
    case LUMA_PUSH_SETTLED_KEPT:
      /* Refused, but the user saved other lists meanwhile: those go next. */
      data->outcome = data->taken ? PUSH_PUSHED : PUSH_QUEUED;
      break;
    case LUMA_PUSH_SETTLED_CLEARED:
    case LUMA_PUSH_SETTLED_REBASED:
    default:
      data->outcome = PUSH_PUSHED;
      break;
    }
  push_done (self, task, NULL);
}

static void
push_update_contacts_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  PushData *data = g_task_get_task_data (task);
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GPtrArray) field_errors = NULL;
  g_autoptr(GError) error = NULL;

  subscription = luma_api_client_update_contacts_finish (LUMA_API_CLIENT (source), result,
                                                         &theirs, &field_errors, &error);
  note_answer (self, error);

  /* Compared with the outbox on the cache's writer, in the transaction
   * that stores the answer: never with a copy read before. */
  if (subscription != NULL)
    {
      data->taken = TRUE;
      luma_cache_settle_push_async (self->cache, data->edit, subscription, NULL,
                                    push_settled_cb, task);
      return;
    }
  if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_VERSION_MISMATCH) && theirs != NULL)
    {
      luma_cache_settle_push_async (self->cache, data->edit, NULL, theirs,
                                    push_settled_cb, task);
      return;
    }

  /* Anything else leaves the edit in the outbox for a later try. */
  if (field_errors != NULL)
    data->field_errors = g_steal_pointer (&field_errors);
  push_done (self, task, g_steal_pointer (&error));
}

static void
push_begin (LumaSync *self,
            GTask    *task)
{
  PushData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  self->pushing = TRUE;

  if (g_task_return_error_if_cancelled (task))
    {
      GTask *next;

      self->pushing = FALSE;
      next = g_queue_pop_head (&self->push_waiters);
      if (next != NULL)
        push_begin (self, next);
      g_object_unref (task);
      return;
    }

  g_clear_pointer (&data->edit, luma_contacts_free);
  data->edit = luma_cache_outbox_peek (self->cache, NULL, &error);
  if (error != NULL)
    {
      push_done (self, task, cache_error_new (error, "read the outbox of"));
      return;
    }
  if (data->edit == NULL)
    {
      data->outcome = PUSH_NOTHING;
      push_done (self, task, NULL);
      return;
    }

  data->requested = TRUE;
  luma_api_client_update_contacts_async (self->client,
                                         (const char * const *) data->edit->technical_emails,
                                         (const char * const *) data->edit->billing_emails,
                                         data->edit->version,
                                         g_task_get_cancellable (task),
                                         push_update_contacts_cb,
                                         task);
}

static void
push_outbox_async (LumaSync            *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task;
  PushData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, push_outbox_async);
  data = g_new0 (PushData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) push_data_free);

  if (self->pushing)
    g_queue_push_tail (&self->push_waiters, task);
  else
    push_begin (self, task);
}

/* Returns FALSE on error; @field_errors_out gets the 422 details if any. */
static gboolean
push_outbox_finish (LumaSync      *self,
                    GAsyncResult  *result,
                    PushOutcome   *outcome_out,
                    gboolean      *requested_out,
                    GPtrArray    **field_errors_out,
                    GError       **error)
{
  PushData *data = g_task_get_task_data (G_TASK (result));

  *outcome_out = data->outcome;
  if (requested_out != NULL)
    *requested_out = data->requested;
  if (field_errors_out != NULL)
    *field_errors_out = data->field_errors != NULL ? g_ptr_array_ref (data->field_errors) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- A run ------------------------------------------------------------------------------------ */

/* One request of the consumption feed. The next page is asked for as soon
 * as the body of the current one arrived and its nextCursor was peeked from
 * the raw bytes, so the server prepares page k+1 while the client decodes
 * page k. That request ("ahead") is only kept when the decoded page k names
 * the same cursor; otherwise it is dropped (cancelled, its answer ignored). */
typedef struct
{
  GTask               *task;        /* a reference: a dropped fetch outlives the run */
  char                *cursor;      /* asked with */
  char                *peeked;      /* the cursor peeked from its answer, while ahead */
  GCancellable        *cancellable;
  gulong               cancelled_id;
  gboolean             done;
  gboolean             dropped;
  LumaConsumptionPage *page;
  GError              *error;
} Fetch;

typedef struct
{
  LumaSyncSummary   summary;
  gint64            start_us;

  LumaSubscription *old_subscription;
  gboolean          feed_started;      /* the first page of the feed arrived */
  gboolean          invalid_cursor_retried;
  LumaLicenseType   license_type;
  gint64            received;
  /* Loop guard: the cursors of this feed so far (asked with and answered),
   * and the pages it may take, from what its first page announced. */
  GHashTable       *cursors_seen;
  gint64            pages;
  gint64            max_pages;
  gboolean          discard_staged;    /* the guard failed: keep nothing of the batch */

  char             *last_cursor;       /* next_cursor of the last page handed to the cache */
  guint64           cursor_failures;   /* runs failed in a row on the stored cursor */
  guint             staged_rows;       /* handed over since the last commit */
  guint             writes_in_flight;
  gboolean          fetch_in_flight;
  Fetch            *current;           /* the request whose page comes next */
  Fetch            *ahead;             /* the request after it, on a peeked cursor */
  gboolean          feed_done;         /* the page with hasMore false arrived */
  gboolean          finishing;
  GError           *error;             /* the first failure, reported when all is quiet */
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_pointer (&data->old_subscription, luma_subscription_free);
  g_clear_pointer (&data->last_cursor, g_free);
  g_clear_pointer (&data->cursors_seen, g_hash_table_unref);
  g_clear_error (&data->error);
  g_free (data);
}

static void run_purchases  (GTask *task);
static void run_feed_start (GTask *task);
static void run_fetch_next (GTask *task);
static void run_feed_maybe_continue (GTask *task);

static void
run_finish_error (GTask  *task,
                  GError *error)
{
  LumaSync *self = g_task_get_source_object (task);

  set_phase (self, LUMA_SYNC_PHASE_IDLE);
  set_running (self, FALSE);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
build_indexes_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LumaSync) self = user_data;
  g_autoptr(GError) error = NULL;

  luma_cache_build_indexes_finish (LUMA_CACHE (source), result, &error);
  if (error != NULL && !g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
    g_warning ("Building the indexes of the history failed: %s", error->message);

  self->indexing = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEXING]);
  g_signal_emit (self, signals[SIGNAL_INDEXES_BUILT], 0, error);
}

static void
run_finish_success (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 after;

  luma_cache_set_last_synced (self->cache, g_get_real_time () / G_USEC_PER_SEC, &error);
  if (error != NULL)
    {
      run_finish_error (task, cache_error_new (error, "write to"));
      return;
    }

  if (data->feed_started)
    {
      after = luma_cache_count_records (self->cache, data->license_type, &error);
      if (error != NULL)
        {
          run_finish_error (task, cache_error_new (error, "read"));
          return;
        }
      data->summary.changed_records = MAX (0, data->received - data->summary.new_records);
      data->summary.total_records = after;
    }

  /* A full sync drops the sort and search indexes so rows go in fast; they
   * are built now, in the background, while the rows are already readable.
   * This also completes the work of a full sync that was interrupted. */
  if (!luma_cache_get_indexes_ready (self->cache) && !self->indexing)
    {
      self->indexing = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEXING]);
      luma_cache_build_indexes_async (self->cache, NULL, build_indexes_cb, g_object_ref (self));
    }
  data->summary.indexing = self->indexing;

  data->summary.duration_us = g_get_monotonic_time () - data->start_us;

  set_phase (self, LUMA_SYNC_PHASE_IDLE);
  set_running (self, FALSE);
  g_task_return_pointer (task, luma_sync_summary_copy (&data->summary),
                         (GDestroyNotify) luma_sync_summary_free);
  g_object_unref (task);
}

/* Records the first failure of the feed; the run ends once nothing is in
 * flight any more. */
static void
run_feed_fail (GTask  *task,
               GError *error)
{
  RunData *data = g_task_get_task_data (task);

  if (data->error == NULL)
    data->error = error;
  else
    g_error_free (error);
  run_feed_maybe_continue (task);
}

static void
final_commit_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 n_new = 0;

  if (luma_cache_commit_batch_finish (LUMA_CACHE (source), result, &n_new, &error))
    data->summary.new_records += n_new;
  else
    g_debug ("Saving the received records after a failure failed too: %s", error->message);

  run_finish_error (task, g_steal_pointer (&data->error));
}

static void fetch_done_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);
static void fetch_settle  (GTask        *task,
                           Fetch        *fetch);

static void
fetch_free (Fetch *fetch)
{
  GCancellable *run_cancellable = g_task_get_cancellable (fetch->task);

  if (fetch->cancelled_id != 0)
    g_cancellable_disconnect (run_cancellable, fetch->cancelled_id);
  g_clear_object (&fetch->cancellable);
  g_clear_pointer (&fetch->page, luma_consumption_page_free);
  g_clear_error (&fetch->error);
  g_free (fetch->cursor);
  g_free (fetch->peeked);
  g_object_unref (fetch->task);
  g_free (fetch);
}

/* A request whose answer is no longer wanted. */
static void
fetch_drop (Fetch *fetch)
{
  if (fetch->done)
    {
      fetch_free (fetch);
      return;
    }
  fetch->dropped = TRUE;
  g_cancellable_cancel (fetch->cancellable);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_drop)

static void
run_cancelled_cb (GCancellable *run_cancellable,
                  gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void fetch_peek_cb (const char *next_cursor,
                           gpointer    user_data);

static Fetch *
fetch_send (GTask      *task,
            const char *cursor)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  GCancellable *run_cancellable = g_task_get_cancellable (task);
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->task = g_object_ref (task);
  fetch->cursor = g_strdup (cursor);
  fetch->cancellable = g_cancellable_new ();
  if (run_cancellable != NULL)
    fetch->cancelled_id = g_cancellable_connect (run_cancellable, G_CALLBACK (run_cancelled_cb),
                                                 fetch->cancellable, NULL);
  data->summary.requests++;
  luma_api_client_get_consumption_page_full_async (self->client, cursor, self->page_limit,
                                                   fetch_peek_cb, fetch, fetch->cancellable,
                                                   fetch_done_cb, fetch);
  return fetch;
}

/* The request for the page after the current one, when nothing speaks
 * against it. */
static void
fetch_ahead (GTask      *task,
             const char *cursor)
{
  RunData *data = g_task_get_task_data (task);

  if (data->error != NULL || data->finishing || data->feed_done || data->ahead != NULL ||
      data->writes_in_flight >= MAX_WRITES_IN_FLIGHT)
    return;
  data->ahead = fetch_send (task, cursor);
}

static void
fetch_peek_cb (const char *next_cursor,
               gpointer    user_data)
{
  Fetch *fetch = user_data;
  RunData *data = g_task_get_task_data (fetch->task);

  if (fetch->dropped)
    return;
  if (fetch == data->current)
    fetch_ahead (fetch->task, next_cursor);
  else
    {
      /* Itself ahead: asked for once it is the current one. */
      g_free (fetch->peeked);
      fetch->peeked = g_strdup (next_cursor);
    }
}

static void
fetch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  RunData *data = g_task_get_task_data (fetch->task);

  fetch->done = TRUE;
  fetch->page = luma_api_client_get_consumption_page_finish (LUMA_API_CLIENT (source), result,
                                                             &fetch->error);
  if (fetch->dropped)
    fetch_free (fetch);
  else if (fetch == data->current)
    fetch_settle (fetch->task, fetch);
  /* else ahead: it waits for the current page */
}

static void
run_feed_maybe_continue (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  if (data->finishing)
    return;

  if (data->error != NULL)
    {
      if (data->ahead != NULL)
        fetch_drop (g_steal_pointer (&data->ahead));
      if (data->fetch_in_flight || data->writes_in_flight > 0)
        return;

      data->finishing = TRUE;

      /* Keep what arrived before the failure, unless the caller wants out
       * at once, the cache itself failed, or the feed went round in a loop. */
      if (data->staged_rows > 0 && data->last_cursor != NULL && !data->discard_staged &&
          !g_error_matches (data->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          data->error->domain != LUMA_CACHE_ERROR &&
          !g_error_matches (data->error, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_CACHE))
        {
          luma_cache_commit_batch_async (self->cache, data->last_cursor, NULL,
                                         final_commit_cb, task);
          return;
        }

      luma_cache_discard_batch (self->cache);
      run_finish_error (task, g_steal_pointer (&data->error));
      return;
    }

  if (data->feed_done)
    {
      if (data->writes_in_flight == 0)
        {
          data->finishing = TRUE;
          run_finish_success (task);
        }
      return;
    }

  if (!data->fetch_in_flight && data->writes_in_flight < MAX_WRITES_IN_FLIGHT)
    {
      Fetch *ahead = g_steal_pointer (&data->ahead);

      if (ahead == NULL)
        {
          run_fetch_next (task);
          return;
        }
      data->fetch_in_flight = TRUE;
      data->current = ahead;
      if (ahead->done)
        fetch_settle (task, ahead);
      else if (ahead->peeked != NULL)
        fetch_ahead (task, ahead->peeked);
    }
}

static void
write_page_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 n_new = 0;

  data->writes_in_flight--;

  if (!luma_cache_write_page_finish (LUMA_CACHE (source), result, &n_new, &error))
    {
      run_feed_fail (task, cache_error_new (error, "write to"));
      return;
    }
  data->summary.new_records += n_new;

  run_feed_maybe_continue (task);
}

/* The loop guard of the feed, for each page: its license type is the one
 * the feed started with, its cursor never comes back within a run (the
 * cursor only moves forward), hasMore agrees with remaining, and the feed
 * ends within twice the records its first page announced (records added
 * meanwhile) plus a margin, and within MAX_FEED_RECORDS whatever the server
 * announced. Returns why not. */
static GError *
feed_check_page (RunData                   *data,
                 const LumaConsumptionPage *page)
{
  gint64 n_items = page->items->len;

  data->pages++;
  if (page->license_type != data->license_type)
    return g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                        "The consumption feed changed its license type from %s to %s "
                        "in the middle of a sync",
                        luma_license_type_to_string (data->license_type),
                        luma_license_type_to_string (page->license_type));
  if (page->remaining > MAX_FEED_RECORDS - data->received - n_items)
    return g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                        "The consumption feed announces %" G_GINT64_FORMAT " records remaining "
                        "after %" G_GINT64_FORMAT ", more than one sync takes (%" G_GINT64_FORMAT ")",
                        page->remaining, data->received + n_items, MAX_FEED_RECORDS);
  if (data->max_pages == 0)
    data->max_pages = 2 * (n_items + page->remaining) + 10;

  /* Nothing new since the cursor asked with: it stays, as it should. */
  if (n_items == 0 && !page->has_more && g_strcmp0 (page->next_cursor, data->last_cursor) == 0)
    return NULL;
  /* Digests: the set stays small however long the server's cursors are. */
  if (g_hash_table_size (data->cursors_seen) < MAX_CURSORS_REMEMBERED &&
      !g_hash_table_add (data->cursors_seen,
                         g_compute_checksum_for_string (G_CHECKSUM_SHA256, page->next_cursor, -1)))
    return g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                        "The consumption feed does not move forward: the server’s cursor "
                        "repeated or went back to one it gave before (a loop)");

  if (page->has_more && page->remaining == 0)
    return g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                        "The consumption feed never ends: the server says it has more "
                        "but 0 records remaining");

  if (data->pages > data->max_pages)
    return g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                        "The consumption feed never ends: %" G_GINT64_FORMAT " pages, more "
                        "than the records its first page announced (received and remaining) "
                        "can fill", data->pages);
  return NULL;
}

/* A failure of the first request with the stored cursor that says nothing
 * about the network: the server answered the requests before it. */
static gboolean
error_counts_against_cursor (const GError *error)
{
  return g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL) ||
         g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER) ||
         g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_BAD_REQUEST);
}

/* Counts one more run failed on the stored cursor; at MAX_CURSOR_FAILURES
 * drops it, so the next sync starts over, and says so in @error. */
static void
feed_note_cursor_failure (LumaSync  *self,
                          RunData   *data,
                          GError    *error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *count_str = NULL;

  data->cursor_failures++;
  if (data->cursor_failures < MAX_CURSOR_FAILURES)
    {
      count_str = g_strdup_printf ("%" G_GUINT64_FORMAT, data->cursor_failures);
      luma_cache_set_meta (self->cache, META_CURSOR_FAILURES, count_str, NULL);
      return;
    }
  if (!luma_cache_reset_cursor (self->cache, &local_error))
    return;
  data->cursor_failures = 0;
  luma_cache_set_meta (self->cache, META_CURSOR_FAILURES, NULL, NULL);
  g_prefix_error (&error, "The stored sync position failed %u syncs in a row and was dropped: "
                  "the next sync starts from the beginning. ", MAX_CURSOR_FAILURES);
}

/* The answer of the current request: the next page of the feed, or why
 * there is none. */
static void
fetch_settle (GTask *task,
              Fetch *fetch)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(LumaConsumptionPage) page = g_steal_pointer (&fetch->page);
  g_autoptr(GError) error = g_steal_pointer (&fetch->error);
  g_autoptr(Fetch) ahead = NULL;
  gboolean commit_now;
  guint n_items;

  data->fetch_in_flight = FALSE;
  data->current = NULL;
  /* Its peeked cursor arrived while it was ahead: ask now, checked below. */
  if (fetch->peeked != NULL && page != NULL)
    fetch_ahead (task, fetch->peeked);
  fetch_free (fetch);
  /* Kept below only when this page leads to it. */
  ahead = g_steal_pointer (&data->ahead);

  note_answer (self, error);

  if (page == NULL)
    {
      /* A stored cursor the server does not accept: start from the
       * beginning (upserts make this safe), once. */
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_CURSOR) &&
          !data->feed_started && !data->invalid_cursor_retried && data->error == NULL)
        {
          g_autoptr(GError) local_error = NULL;

          data->invalid_cursor_retried = TRUE;
          g_debug ("The stored cursor was refused; syncing from the beginning");
          if (!luma_cache_reset_cursor (self->cache, &local_error))
            {
              run_feed_fail (task, cache_error_new (local_error, "write to"));
              return;
            }
          run_feed_start (task);
          return;
        }

      if (!data->feed_started && !data->summary.full && data->error == NULL &&
          error_counts_against_cursor (error))
        feed_note_cursor_failure (self, data, error);
      run_feed_fail (task, g_steal_pointer (&error));
      return;
    }

  if (data->error != NULL)
    {
      run_feed_maybe_continue (task);
      return;
    }

  if (!data->feed_started)
    {
      g_autoptr(GError) local_error = NULL;
      LumaLicenseType cached_type;

      /* The feed of another license type than the cached history: the
       * subscription changed type under us; take it from the start. */
      if (!data->summary.full && luma_cache_get_license_type (self->cache, &cached_type) &&
          cached_type != page->license_type && !data->invalid_cursor_retried)
        {
          data->invalid_cursor_retried = TRUE;
          data->summary.license_type_changed = TRUE;
          if (!luma_cache_reset_cursor (self->cache, &local_error))
            {
              run_feed_fail (task, cache_error_new (local_error, "write to"));
              return;
            }
          run_feed_start (task);
          return;
        }

      data->feed_started = TRUE;
      data->license_type = page->license_type;
      /* Any feed that starts, on a stored cursor or from the beginning after
       * one was reset, starts the count of failures again. */
      if (data->cursor_failures > 0)
        {
          data->cursor_failures = 0;
          luma_cache_set_meta (self->cache, META_CURSOR_FAILURES, NULL, NULL);
        }
      if (data->summary.full)
        luma_cache_begin_full_sync (self->cache, page->license_type, &local_error);
      if (local_error != NULL)
        {
          run_feed_fail (task, cache_error_new (local_error, "write to"));
          return;
        }
    }

  {
    GError *guard_error = feed_check_page (data, page);

    if (guard_error != NULL)
      {
        /* The pages staged in this loop are not to be trusted: none is kept. */
        data->discard_staged = TRUE;
        run_feed_fail (task, guard_error);
        return;
      }
  }

  n_items = page->items->len;
  data->received += n_items;
  set_progress (self, data->received, data->received + page->remaining);

  data->feed_done = !page->has_more;

  if (n_items == 0 && page->has_more && g_strcmp0 (page->next_cursor, data->last_cursor) == 0)
    {
      run_feed_fail (task, g_error_new (LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL,
                                        "The consumption feed does not move forward"));
      return;
    }

  /* Nothing new and the cursor did not move: nothing to write (the common
   * sync with nothing new stays one read). */
  if (n_items == 0 && data->staged_rows == 0 &&
      g_strcmp0 (page->next_cursor, data->last_cursor) == 0)
    {
      if (data->feed_done)
        set_phase (self, LUMA_SYNC_PHASE_FINISHING);
      run_feed_maybe_continue (task);
      return;
    }

  g_free (data->last_cursor);
  data->last_cursor = g_strdup (page->next_cursor);
  if (ahead != NULL && !data->feed_done && g_strcmp0 (ahead->cursor, data->last_cursor) == 0)
    data->ahead = g_steal_pointer (&ahead);

  data->staged_rows += n_items;
  commit_now = data->feed_done || data->staged_rows >= self->batch_rows;
  if (commit_now)
    data->staged_rows = 0;

  if (data->feed_done)
    set_phase (self, LUMA_SYNC_PHASE_FINISHING);

  if (commit_now)
    {
      data->writes_in_flight++;
      luma_cache_write_page_async (self->cache, g_steal_pointer (&page), TRUE, NULL,
                                   write_page_cb, task);
    }
  else if (page->license_type == LUMA_LICENSE_TYPE_SESSION)
    luma_cache_upsert_sessions (self->cache, page->items);
  else
    luma_cache_upsert_users (self->cache, page->items);

  /* Ask for the next page while the cache stores this one. */
  run_feed_maybe_continue (task);
}

static void
run_fetch_next (GTask *task)
{
  RunData *data = g_task_get_task_data (task);

  data->fetch_in_flight = TRUE;
  data->current = fetch_send (task, data->last_cursor);
}

static void
run_feed_start (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  set_phase (self, LUMA_SYNC_PHASE_CONSUMPTION);

  g_clear_pointer (&data->last_cursor, g_free);
  data->last_cursor = luma_cache_get_cursor (self->cache, &error);
  if (error != NULL)
    {
      run_feed_fail (task, cache_error_new (error, "read"));
      return;
    }
  {
    g_autofree char *failures = luma_cache_get_meta (self->cache, META_CURSOR_FAILURES, NULL);

    data->cursor_failures = 0;
    if (failures != NULL)
      g_ascii_string_to_unsigned (failures, 10, 0, G_MAXUINT, &data->cursor_failures, NULL);
  }
  /* Stored by an older version that took any cursor: every request with it
   * would fail, or hold a huge URL. */
  if (data->last_cursor != NULL && g_utf8_strlen (data->last_cursor, -1) > LUMA_MAX_CURSOR_LENGTH)
    {
      g_debug ("The stored cursor is too long; syncing from the beginning");
      g_clear_pointer (&data->last_cursor, g_free);
      data->summary.cursor_dropped = "longer than the protocol allows";
      if (!luma_cache_reset_cursor (self->cache, &error))
        {
          run_feed_fail (task, cache_error_new (error, "write to"));
          return;
        }
    }
  data->summary.full = (data->last_cursor == NULL);
  data->received = 0;
  set_progress (self, 0, 0);

  /* A new feed (also after a refused cursor): a new loop guard. */
  g_clear_pointer (&data->cursors_seen, g_hash_table_unref);
  data->cursors_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (data->last_cursor != NULL)
    g_hash_table_add (data->cursors_seen,
                      g_compute_checksum_for_string (G_CHECKSUM_SHA256, data->last_cursor, -1));
  data->pages = 0;
  data->max_pages = 0;

  run_fetch_next (task);
}

/* Ends a run that was cancelled between two steps; TRUE when it did. */
static gboolean
run_finish_if_cancelled (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);

  if (!g_task_return_error_if_cancelled (task))
    return FALSE;
  set_phase (self, LUMA_SYNC_PHASE_IDLE);
  set_running (self, FALSE);
  g_object_unref (task);
  return TRUE;
}

static void
purchases_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) purchases = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *now = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) local_error = NULL;

  purchases = luma_api_client_get_purchases_finish (LUMA_API_CLIENT (source), result,
                                                    &etag, &error);
  note_answer (self, error);

  if (purchases == NULL && !g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_NOT_MODIFIED))
    {
      run_finish_error (task, g_steal_pointer (&error));
      return;
    }

  if (purchases != NULL)
    {
      data->summary.purchases_changed = TRUE;
      luma_cache_store_purchases (self->cache, purchases, etag, &local_error);
    }
  now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
  if (local_error == NULL)
    luma_cache_set_meta (self->cache, META_PURCHASES_CHECKED, now, &local_error);
  if (local_error != NULL)
    {
      run_finish_error (task, cache_error_new (local_error, "write to"));
      return;
    }

  if (run_finish_if_cancelled (task))
    return;

  run_feed_start (task);
}

static void
run_purchases (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) cached = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *checked = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 checked_on = 0;

  set_phase (self, LUMA_SYNC_PHASE_PURCHASES);

  cached = luma_cache_get_purchases (self->cache, &etag, &error);
  if (error == NULL)
    checked = luma_cache_get_meta (self->cache, META_PURCHASES_CHECKED, &error);
  if (error != NULL)
    {
      run_finish_error (task, cache_error_new (error, "read"));
      return;
    }
  if (checked != NULL)
    checked_on = g_ascii_strtoll (checked, NULL, 10);

  /* Saves a request on a sync with nothing new (see PURCHASES_MAX_AGE_SECONDS). */
  if (etag != NULL && !data->summary.subscription_changed &&
      checked_on <= now && now - checked_on < PURCHASES_MAX_AGE_SECONDS)
    {
      run_feed_start (task);
      return;
    }

  data->summary.requests++;
  luma_api_client_get_purchases_async (self->client, etag, g_task_get_cancellable (task),
                                       purchases_cb, task);
}

static void
subscription_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autofree char *etag = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) local_error = NULL;

  subscription = luma_api_client_get_subscription_finish (LUMA_API_CLIENT (source), result,
                                                          &etag, &error);
  note_answer (self, error);

  if (subscription == NULL)
    {
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_NOT_MODIFIED))
        {
          run_purchases (task);
          return;
        }
      run_finish_error (task, g_steal_pointer (&error));
      return;
    }

  data->summary.subscription_changed = TRUE;
  if (data->old_subscription != NULL)
    {
      LumaSubscription *old = data->old_subscription;

      data->summary.term_changed = (old->start_date != subscription->start_date ||
                                    old->end_date != subscription->end_date);
      data->summary.license_type_changed = (old->license_type != subscription->license_type);
    }

  if (!luma_cache_store_subscription (self->cache, subscription, etag, &local_error))
    {
      run_finish_error (task, cache_error_new (local_error, "write to"));
      return;
    }

  /* The feed of the other license type starts from nothing. */
  if (data->summary.license_type_changed &&
      !luma_cache_reset_cursor (self->cache, &local_error))
    {
      run_finish_error (task, cache_error_new (local_error, "write to"));
      return;
    }

  if (run_finish_if_cancelled (task))
    return;

  run_purchases (task);
}

static void
run_subscription (GTask *task)
{
  LumaSync *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autofree char *etag = NULL;
  g_autoptr(GError) error = NULL;

  set_phase (self, LUMA_SYNC_PHASE_SUBSCRIPTION);

  data->old_subscription = luma_cache_get_subscription (self->cache, &etag, &error);
  if (error != NULL)
    {
      run_finish_error (task, cache_error_new (error, "read"));
      return;
    }

  data->summary.requests++;
  luma_api_client_get_subscription_async (self->client,
                                          data->old_subscription != NULL ? etag : NULL,
                                          g_task_get_cancellable (task),
                                          subscription_cb, task);
}

static void
run_push_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  LumaSync *self = LUMA_SYNC (source);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) field_errors = NULL;
  g_autoptr(GError) error = NULL;
  PushOutcome outcome = PUSH_NOTHING;
  gboolean requested = FALSE;

  if (!push_outbox_finish (self, result, &outcome, &requested, &field_errors, &error))
    {
      /* The server refused the lists themselves: keep them queued for the
       * user to correct, and sync the rest. */
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_VALIDATION))
        {
          data->summary.contacts_rejected = TRUE;
          data->summary.contacts_queued = TRUE;
        }
      else
        {
          run_finish_error (task, g_steal_pointer (&error));
          return;
        }
    }

  data->summary.requests += requested ? 1 : 0;
  data->summary.contacts_pushed = (outcome == PUSH_PUSHED);
  data->summary.conflict = (outcome == PUSH_CONFLICT);
  if (outcome == PUSH_QUEUED)
    data->summary.contacts_queued = TRUE;

  if (run_finish_if_cancelled (task))
    return;

  run_subscription (task);
}

void
luma_sync_run_async (LumaSync            *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task;
  RunData *data;

  g_return_if_fail (LUMA_IS_SYNC (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_sync_run_async);

  if (self->running)
    {
      g_task_return_new_error (task, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_BUSY,
                               "A sync is already running");
      g_object_unref (task);
      return;
    }

  data = g_new0 (RunData, 1);
  data->start_us = g_get_monotonic_time ();
  data->summary.total_records = -1;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);

  set_running (self, TRUE);
  set_progress (self, 0, 0);
  set_phase (self, LUMA_SYNC_PHASE_CONTACTS);

  push_outbox_async (self, cancellable, run_push_cb, task);
}

LumaSyncSummary *
luma_sync_run_finish (LumaSync      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Saving the email lists ------------------------------------------------------------------- */

typedef struct
{
  LumaContacts        *edit;
  LumaContactsOutcome  outcome;
  GPtrArray           *field_errors;
  gboolean             resolving;    /* the edit ends a conflict */
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_pointer (&data->edit, luma_contacts_free);
  g_clear_pointer (&data->field_errors, g_ptr_array_unref);
  g_free (data);
}

static void
save_push_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSync *self = LUMA_SYNC (source);
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  PushOutcome outcome = PUSH_NOTHING;

  if (!push_outbox_finish (self, result, &outcome, NULL, &data->field_errors, &error))
    {
      /* Saved, just not sent: a later sync sends it. */
      if (error_is_offline (error))
        {
          data->outcome = LUMA_CONTACTS_QUEUED;
          g_task_return_boolean (task, TRUE);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (outcome)
    {
    case PUSH_PUSHED:
      data->outcome = LUMA_CONTACTS_PUSHED;
      break;
    case PUSH_CONFLICT:
      data->outcome = LUMA_CONTACTS_CONFLICT;
      break;
    case PUSH_QUEUED:
      data->outcome = LUMA_CONTACTS_QUEUED;
      break;
    case PUSH_NOTHING:
    default:
      {
        /* A push already in flight took this edit along, or met a conflict
         * that now holds it. */
        g_autoptr(LumaContacts) mine = NULL;
        g_autoptr(LumaContacts) theirs = NULL;

        if (luma_cache_get_conflict (self->cache, &mine, &theirs, NULL))
          data->outcome = LUMA_CONTACTS_CONFLICT;
        else
          data->outcome = LUMA_CONTACTS_PUSHED;
      }
      break;
    }

  g_task_return_boolean (task, TRUE);
}

static void
save_queued_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  gboolean ok;

  if (data->resolving)
    ok = luma_cache_resolve_conflict_finish (LUMA_CACHE (source), result, &error);
  else
    ok = luma_cache_outbox_queue_finish (LUMA_CACHE (source), result, &error);

  if (!ok)
    {
      g_task_return_error (task, cache_error_new (error, "save the email lists to"));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  push_outbox_async (self, cancellable, save_push_cb, g_steal_pointer (&task));
}

void
luma_sync_save_contacts_async (LumaSync            *self,
                               const char *const   *technical_emails,
                               const char *const   *billing_emails,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GError) error = NULL;
  SaveData *data;
  gint64 base_version;

  g_return_if_fail (LUMA_IS_SYNC (self));
  g_return_if_fail (technical_emails != NULL);
  g_return_if_fail (billing_emails != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_sync_save_contacts_async);
  data = g_new0 (SaveData, 1);
  data->outcome = LUMA_CONTACTS_QUEUED;
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  /* Saving while in conflict is the user's resolution: it is based on the
   * server's version they were shown. */
  if (luma_cache_get_conflict (self->cache, &mine, &theirs, &error))
    {
      data->edit = luma_contacts_new (technical_emails, billing_emails, theirs->version);
      data->resolving = TRUE;
      luma_cache_resolve_conflict_async (self->cache, data->edit, cancellable,
                                         save_queued_cb, g_steal_pointer (&task));
      return;
    }
  if (error != NULL)
    {
      g_task_return_error (task, cache_error_new (error, "read"));
      return;
    }

  /* An edit still pending was shown as the current lists, so this one
   * builds on the same base. */
  pending = luma_cache_outbox_peek (self->cache, NULL, &error);
  if (error != NULL)
    {
      g_task_return_error (task, cache_error_new (error, "read"));
      return;
    }
  if (pending != NULL)
    {
      base_version = pending->version;
    }
  else
    {
      g_autoptr(LumaSubscription) subscription = NULL;

      subscription = luma_cache_get_subscription (self->cache, NULL, &error);
      if (error != NULL)
        {
          g_task_return_error (task, cache_error_new (error, "read"));
          return;
        }
      if (subscription == NULL)
        {
          g_task_return_new_error (task, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_NOT_SYNCED,
                                   "The email lists cannot be changed before the "
                                   "subscription was loaded once");
          return;
        }
      base_version = subscription->version;
    }

  data->edit = luma_contacts_new (technical_emails, billing_emails, base_version);
  luma_cache_outbox_queue_async (self->cache, data->edit, cancellable,
                                 save_queued_cb, g_steal_pointer (&task));
}

LumaContactsOutcome
luma_sync_save_contacts_finish (LumaSync      *self,
                                GAsyncResult  *result,
                                GPtrArray    **field_errors_out,
                                GError       **error)
{
  SaveData *data;

  g_return_val_if_fail (LUMA_IS_SYNC (self), LUMA_CONTACTS_QUEUED);
  g_return_val_if_fail (g_task_is_valid (result, self), LUMA_CONTACTS_QUEUED);

  data = g_task_get_task_data (G_TASK (result));
  if (field_errors_out != NULL)
    *field_errors_out = data->field_errors != NULL ? g_ptr_array_ref (data->field_errors) : NULL;
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return LUMA_CONTACTS_QUEUED;
  return data->outcome;
}

/* ---- Conversations ---------------------------------------------------------------------------- */

typedef struct
{
  LumaLicenseType  license_type;
  char            *record_id;
  GPtrArray       *conversations;
} ConversationsData;

static void
conversations_data_free (ConversationsData *data)
{
  g_free (data->record_id);
  g_clear_pointer (&data->conversations, g_ptr_array_unref);
  g_free (data);
}

static void
conversations_stored_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConversationsData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* Not being able to keep them only costs a request next time. */
  if (!luma_cache_store_conversations_finish (LUMA_CACHE (source), result, &error))
    g_debug ("Cannot cache the conversations of %s: %s", data->record_id, error->message);

  g_task_return_pointer (task, g_ptr_array_ref (data->conversations),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
conversations_fetched_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaSync *self = g_task_get_source_object (task);
  ConversationsData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->conversations = luma_api_client_get_conversations_finish (LUMA_API_CLIENT (source),
                                                                  result, &error);
  note_answer (self, error);
  if (data->conversations == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  luma_cache_store_conversations_async (self->cache, data->license_type, data->record_id,
                                        data->conversations, NULL,
                                        conversations_stored_cb, g_steal_pointer (&task));
}

void
luma_sync_fetch_conversations_async (LumaSync            *self,
                                     const char          *record_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) cached = NULL;
  g_autoptr(GError) error = NULL;
  ConversationsData *data;

  g_return_if_fail (LUMA_IS_SYNC (self));
  g_return_if_fail (record_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_sync_fetch_conversations_async);
  data = g_new0 (ConversationsData, 1);
  data->record_id = g_strdup (record_id);
  g_task_set_task_data (task, data, (GDestroyNotify) conversations_data_free);

  if (!luma_cache_get_license_type (self->cache, &data->license_type))
    {
      g_task_return_new_error (task, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_NOT_SYNCED,
                               "The history was never loaded");
      return;
    }

  cached = luma_cache_get_conversations (self->cache, data->license_type, record_id, &error);
  if (error != NULL)
    {
      g_task_return_error (task, cache_error_new (error, "read"));
      return;
    }
  if (cached != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&cached),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  luma_api_client_get_conversations_async (self->client, data->license_type, record_id,
                                           cancellable, conversations_fetched_cb,
                                           g_steal_pointer (&task));
}

GPtrArray *
luma_sync_fetch_conversations_finish (LumaSync      *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- The object ------------------------------------------------------------------------------- */

LumaSync *
luma_sync_new (LumaApiClient *client,
               LumaCache     *cache)
{
  g_return_val_if_fail (LUMA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (LUMA_IS_CACHE (cache), NULL);

  return g_object_new (LUMA_TYPE_SYNC, "client", client, "cache", cache, NULL);
}

LumaApiClient *
luma_sync_get_client (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), NULL);
  return self->client;
}

LumaCache *
luma_sync_get_cache (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), NULL);
  return self->cache;
}

gboolean
luma_sync_get_running (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), FALSE);
  return self->running;
}

gint64
luma_sync_get_done (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), 0);
  return self->done;
}

gint64
luma_sync_get_total (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), 0);
  return self->total;
}

LumaSyncPhase
luma_sync_get_phase (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), LUMA_SYNC_PHASE_IDLE);
  return self->phase;
}

gboolean
luma_sync_get_offline (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), FALSE);
  return self->offline;
}

gboolean
luma_sync_get_indexing (LumaSync *self)
{
  g_return_val_if_fail (LUMA_IS_SYNC (self), FALSE);
  return self->indexing;
}

void
luma_sync_set_batch_rows (LumaSync *self,
                          guint     rows)
{
  g_return_if_fail (LUMA_IS_SYNC (self));
  self->batch_rows = MAX (rows, 1);
}

void
luma_sync_set_page_limit (LumaSync *self,
                          guint     limit)
{
  g_return_if_fail (LUMA_IS_SYNC (self));
  self->page_limit = CLAMP (limit, 1, 1000);
}

static void
luma_sync_dispose (GObject *object)
{
  LumaSync *self = LUMA_SYNC (object);

  g_clear_object (&self->client);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (luma_sync_parent_class)->dispose (object);
}

static void
luma_sync_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LumaSync *self = LUMA_SYNC (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_DONE:
      g_value_set_int64 (value, self->done);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;
    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;
    case PROP_INDEXING:
      g_value_set_boolean (value, self->indexing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_sync_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LumaSync *self = LUMA_SYNC (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_sync_class_init (LumaSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_sync_dispose;
  object_class->get_property = luma_sync_get_property;
  object_class->set_property = luma_sync_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LUMA_TYPE_API_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, LUMA_TYPE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DONE] =
    g_param_spec_int64 ("done", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL, LUMA_TYPE_SYNC_PHASE, LUMA_SYNC_PHASE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INDEXING] =
    g_param_spec_boolean ("indexing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LumaSync::conflict:
   *
   * An edit of the email lists met a newer version on the server. Both are
   * in the cache: see luma_cache_get_conflict().
   */
  signals[SIGNAL_CONFLICT] =
    g_signal_new ("conflict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * LumaSync::indexes-built:
   * @error: (nullable): why the build failed, or NULL
   *
   * The background index build started after a full sync is over.
   */
  signals[SIGNAL_INDEXES_BUILT] =
    g_signal_new ("indexes-built", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
luma_sync_init (LumaSync *self)
{
  self->batch_rows = LUMA_SYNC_DEFAULT_BATCH_ROWS;
  self->page_limit = LUMA_SYNC_DEFAULT_PAGE_LIMIT;
  self->phase = LUMA_SYNC_PHASE_IDLE;
  g_queue_init (&self->push_waiters);
}
