/* luma-cache-sync.h: the writes to the cache that only the sync engine makes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the server sent goes into the cache through these; the app and the
 * command line read it with luma-cache.h and change it only through the
 * sync engine (or the few writes luma-cache.h declares).
 */

#pragma once

#include "luma-cache.h"

G_BEGIN_DECLS

/* ---- The history ---------------------------------------------------------------------------
 *
 * Records are upserted by session id / user id: a record that comes again
 * replaces the stored one (its row id stays). Staged records are held in
 * memory and written, with the cursor that follows them, in ONE transaction
 * by luma_cache_commit_batch*(): after a crash the cache holds exactly the
 * rows up to the last committed cursor. Stage several pages per commit (a
 * commit per page costs about 5x). Writes run on the cache's writer thread;
 * the _async variants never block the caller. */

/* Call once at the start of a full sync (no stored cursor): drops the sort
 * indexes (all but Started On / Created On) and the search index of that
 * history so the rows go in quickly (the history stays browsable newest
 * first; other sorts and searches are slower until the indexes are back) and
 * records the license type. Afterwards call luma_cache_build_indexes_async().
 *
 * The feed starts over, so what the history holds is replaced: the next
 * commit first removes every row of that history and the conversations
 * cached for them, in its transaction. Until that commit the old rows stay
 * readable (the history never shows empty in between); from it on, counts,
 * charts and reports see only records the feed sent again (after a reset:
 * the new tenant's). A record that comes again counts as changed, not new. */
gboolean    luma_cache_begin_full_sync         (LumaCache            *self,
                                                LumaLicenseType       license_type,
                                                GError              **error);

/* Stage records (LumaSessionRecord* / LumaUserRecord*). The cache keeps a
 * reference to @records: do not change the array or its records afterwards. */
void        luma_cache_upsert_sessions         (LumaCache            *self,
                                                GPtrArray            *records);
void        luma_cache_upsert_users            (LumaCache            *self,
                                                GPtrArray            *records);
/* Forget the staged records (the stored cursor does not move). */
void        luma_cache_discard_batch           (LumaCache            *self);

/* Write the staged records and store @cursor as the sync cursor, in one
 * transaction, and emit LumaCache::history-changed when rows were written
 * (on the thread-default main context the cache was opened in). On failure
 * nothing of the batch is written and the staged records are dropped: resume
 * from luma_cache_get_cursor(). The batch is taken when this is called;
 * records staged after it belong to the next batch. */
void        luma_cache_commit_batch_async      (LumaCache            *self,
                                                const char           *cursor,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean    luma_cache_commit_batch_finish     (LumaCache            *self,
                                                GAsyncResult         *result,
                                                gint64               *n_new_out,
                                                GError              **error);

/* Stages the page's items; when @commit_now, commits them and every record
 * staged before with page->next_cursor as the cursor. Takes ownership of
 * @page. */
void        luma_cache_write_page_async        (LumaCache            *self,
                                                LumaConsumptionPage  *page,
                                                gboolean              commit_now,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean    luma_cache_write_page_finish       (LumaCache            *self,
                                                GAsyncResult         *result,
                                                gint64               *n_new_out,
                                                GError              **error);

/* Builds the sort indexes (Started On / Created On first) and the search
 * index of the history of the stored license type, each in its own
 * transaction so other writes are not held up for long; then
 * luma_cache_get_indexes_ready() turns TRUE (property "indexes-ready").
 * Does nothing when they are ready. */
void        luma_cache_build_indexes_async     (LumaCache            *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean    luma_cache_build_indexes_finish    (LumaCache            *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* ---- Sync state -------------------------------------------------------------------------------- */

/* Forget the cursor (e.g. after INVALID_CURSOR): the next sync is a full one. */
gboolean    luma_cache_reset_cursor            (LumaCache            *self,
                                                GError              **error);
gboolean    luma_cache_set_last_synced         (LumaCache            *self,
                                                gint64                unix_seconds,
                                                GError              **error);
/* @value NULL removes the key. */
gboolean    luma_cache_set_meta                (LumaCache            *self,
                                                const char           *key,
                                                const char           *value,
                                                GError              **error);

/* ---- Subscription, purchases, conversations -------------------------------------------------- */

/* Stores the subscription with its ETag (nullable). Also records its license type. */
gboolean          luma_cache_store_subscription (LumaCache              *self,
                                                 const LumaSubscription *subscription,
                                                 const char             *etag,
                                                 GError                **error);

/* Replaces the purchase history (LumaPurchase*, newest first as the server sends it). */
gboolean    luma_cache_store_purchases         (LumaCache            *self,
                                                GPtrArray            *purchases,
                                                const char           *etag,
                                                GError              **error);

/* Replaces the cached conversations (LumaConversation* with their messages) of
 * one record (a session id or user id of @license_type). */
void        luma_cache_store_conversations_async  (LumaCache            *self,
                                                   LumaLicenseType       license_type,
                                                   const char           *record_id,
                                                   GPtrArray            *conversations,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    luma_cache_store_conversations_finish (LumaCache            *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* ---- Offline edits of the contacts -------------------------------------------------------------
 *
 * Queuing replaces a pending edit. It is durable when the call returns. */
gboolean      luma_cache_outbox_queue          (LumaCache            *self,
                                                const LumaContacts   *edit,
                                                GError              **error);
void          luma_cache_outbox_queue_async    (LumaCache            *self,
                                                const LumaContacts   *edit,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean      luma_cache_outbox_queue_finish   (LumaCache            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* What luma_cache_settle_push*() did with the outbox. */
typedef enum
{
  LUMA_PUSH_SETTLED_FAILED,    /* nothing: the cache failed (see the error) */
  LUMA_PUSH_SETTLED_CLEARED,   /* the pushed lists were still pending: removed */
  LUMA_PUSH_SETTLED_REBASED,   /* newer lists typed on the same base: kept, based on the new version */
  LUMA_PUSH_SETTLED_KEPT,      /* nothing pending, or lists on another base: left as they were */
  LUMA_PUSH_SETTLED_CONFLICT,  /* 412: the pending lists (or @pushed) stored as a conflict */
} LumaPushSettled;

/* The answer to a push of @pushed (the lists and base version sent), in
 * ONE transaction with the outbox as it is then, after every write queued
 * before: either the server took it (@subscription, stored without an ETag)
 * or refused it with 412 (@theirs, the server's lists and version). Exactly
 * one of @subscription and @theirs is set. Lists saved while the push was in
 * flight are never removed: on the same base they are rebased on the new
 * version (taken) or become "mine" of the conflict (412); on another base
 * they stay. A 412 whose lists equal the pending ones clears the outbox
 * (nothing to resolve). */
void            luma_cache_settle_push_async  (LumaCache               *self,
                                               const LumaContacts      *pushed,
                                               const LumaSubscription  *subscription,
                                               const LumaContacts      *theirs,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
LumaPushSettled luma_cache_settle_push_finish (LumaCache               *self,
                                               GAsyncResult            *result,
                                               GError                 **error);

G_END_DECLS
