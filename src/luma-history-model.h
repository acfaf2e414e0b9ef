/* luma-history-model.h: the License Consumption History as a lazy GListModel
 *
 * The model holds only the row ids of the records matching a LumaHistoryQuery
 * (sorted and filtered in SQL by the cache). Items are created when asked
 * for, from blocks of rows fetched by id, so a million records never become a
 * million objects.
 *
 * An item stands for a position: while anyone holds it, get_item() returns
 * the same object for that position, and a new query gives it the record now
 * at its position and emits LumaHistoryItem::changed. Copy what you need
 * from an item (the record id, say) rather than keeping the item to find a
 * record again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-cache.h"
#include "luma-models.h"

G_BEGIN_DECLS

/* ---- One row -------------------------------------------------------------------------------- */

#define LUMA_TYPE_HISTORY_ITEM (luma_history_item_get_type ())

G_DECLARE_FINAL_TYPE (LumaHistoryItem, luma_history_item, LUMA, HISTORY_ITEM, GObject)

LumaLicenseType          luma_history_item_get_license_type (LumaHistoryItem *self);
gint64                   luma_history_item_get_row_id       (LumaHistoryItem *self);
/* NULL unless the license type is SESSION. */
const LumaSessionRecord *luma_history_item_get_session      (LumaHistoryItem *self);
/* NULL unless the license type is USER. */
const LumaUserRecord    *luma_history_item_get_user         (LumaHistoryItem *self);
/* The Session ID or User ID. */
const char              *luma_history_item_get_record_id    (LumaHistoryItem *self);
gint64                   luma_history_item_get_conversations (LumaHistoryItem *self);

/* ---- The model ------------------------------------------------------------------------------ */

#define LUMA_HISTORY_MODEL_BLOCK_SIZE 100  /* rows fetched together */
#define LUMA_HISTORY_MODEL_MAX_BLOCKS 16   /* blocks kept (least recently used dropped) */

#define LUMA_TYPE_HISTORY_MODEL (luma_history_model_get_type ())

G_DECLARE_FINAL_TYPE (LumaHistoryModel, luma_history_model, LUMA, HISTORY_MODEL, GObject)

/* Empty until a query is set. */
LumaHistoryModel       *luma_history_model_new             (LumaCache              *cache);
LumaCache              *luma_history_model_get_cache       (LumaHistoryModel       *self);
/* The query of the rows shown (NULL before the first one finished). */
const LumaHistoryQuery *luma_history_model_get_query       (LumaHistoryModel       *self);

/* Runs @query in the cache (in a worker thread) and then replaces the rows:
 * the items handed out take their new records (LumaHistoryItem::changed) and
 * items-changed announces only the difference in length, at the end. A query
 * set while another runs cancels the earlier one (it fails with
 * G_IO_ERROR_CANCELLED). @query is copied. */
void                    luma_history_model_set_query_async  (LumaHistoryModel       *self,
                                                             const LumaHistoryQuery *query,
                                                             GCancellable           *cancellable,
                                                             GAsyncReadyCallback     callback,
                                                             gpointer                user_data);
gboolean                luma_history_model_set_query_finish (LumaHistoryModel       *self,
                                                             GAsyncResult           *result,
                                                             GError                **error);
/* The same synchronously (tests, the command line). */
gboolean                luma_history_model_set_query        (LumaHistoryModel       *self,
                                                             const LumaHistoryQuery *query,
                                                             GCancellable           *cancellable,
                                                             GError                **error);

/* The row id at @position, or -1 past the end. */
gint64                  luma_history_model_get_row_id      (LumaHistoryModel       *self,
                                                            guint                   position);
/* The position of @row_id, or G_MAXUINT when it is not shown. */
guint                   luma_history_model_find_row_id     (LumaHistoryModel       *self,
                                                            gint64                  row_id);
/* Forget the fetched rows (their values changed in the cache) without
 * changing the ids. */
void                    luma_history_model_invalidate      (LumaHistoryModel       *self);

/* Records of the whole history (without the filters) when the last query
 * ran. */
gint64                  luma_history_model_get_total       (LumaHistoryModel       *self);

/* The last error of a row fetch in get_item() (which cannot report one), or
 * NULL. */
const GError           *luma_history_model_get_fetch_error (LumaHistoryModel       *self);

G_END_DECLS
