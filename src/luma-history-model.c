/* luma-history-model.c: the License Consumption History as a lazy GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-history-model.h"

/* ---- LumaHistoryItem ------------------------------------------------------------------------ */

struct _LumaHistoryItem
{
  GObject           parent_instance;

  LumaLicenseType   license_type;
  gint64            row_id;
  gpointer          record;         /* owned LumaSessionRecord* or LumaUserRecord* */

  /* While the model hands this item out for @position (unowned: the model
   * clears it when it lets the item go). */
  LumaHistoryModel *model;
  guint             position;
};

G_DEFINE_FINAL_TYPE (LumaHistoryItem, luma_history_item, G_TYPE_OBJECT)

enum {
  ITEM_CHANGED,
  N_ITEM_SIGNALS
};

static guint item_signals[N_ITEM_SIGNALS];

static void model_forget_item (LumaHistoryModel *model,
                               LumaHistoryItem  *item);

static void
clear_record (LumaHistoryItem *self)
{
  if (self->license_type == LUMA_LICENSE_TYPE_SESSION)
    g_clear_pointer ((LumaSessionRecord **) &self->record, luma_session_record_free);
  else
    g_clear_pointer ((LumaUserRecord **) &self->record, luma_user_record_free);
}

static void
luma_history_item_finalize (GObject *object)
{
  LumaHistoryItem *self = LUMA_HISTORY_ITEM (object);

  if (self->model != NULL)
    model_forget_item (self->model, self);
  clear_record (self);

  G_OBJECT_CLASS (luma_history_item_parent_class)->finalize (object);
}

static void
luma_history_item_class_init (LumaHistoryItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = luma_history_item_finalize;

  /**
   * LumaHistoryItem::changed:
   *
   * The item now shows another record (the rows of its position changed
   * after a new query): whoever shows it reads it again.
   */
  item_signals[ITEM_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
luma_history_item_init (LumaHistoryItem *self)
{
}

/* Takes @record. */
static LumaHistoryItem *
luma_history_item_new (LumaLicenseType license_type,
                       gint64          row_id,
                       gpointer        record)
{
  LumaHistoryItem *self = g_object_new (LUMA_TYPE_HISTORY_ITEM, NULL);

  self->license_type = license_type;
  self->row_id = row_id;
  self->record = record;

  return self;
}

/* Takes @record. */
static void
luma_history_item_replace (LumaHistoryItem *self,
                           LumaLicenseType  license_type,
                           gint64           row_id,
                           gpointer         record)
{
  clear_record (self);
  self->license_type = license_type;
  self->row_id = row_id;
  self->record = record;
}

LumaLicenseType
luma_history_item_get_license_type (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), LUMA_LICENSE_TYPE_SESSION);
  return self->license_type;
}

gint64
luma_history_item_get_row_id (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), -1);
  return self->row_id;
}

const LumaSessionRecord *
luma_history_item_get_session (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), NULL);
  return self->license_type == LUMA_LICENSE_TYPE_SESSION ? self->record : NULL;
}

const LumaUserRecord *
luma_history_item_get_user (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), NULL);
  return self->license_type == LUMA_LICENSE_TYPE_USER ? self->record : NULL;
}

const char *
luma_history_item_get_record_id (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), NULL);

  if (self->license_type == LUMA_LICENSE_TYPE_SESSION)
    return ((LumaSessionRecord *) self->record)->session_id;
  return ((LumaUserRecord *) self->record)->user_id;
}

gint64
luma_history_item_get_conversations (LumaHistoryItem *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_ITEM (self), 0);

  if (self->license_type == LUMA_LICENSE_TYPE_SESSION)
    return ((LumaSessionRecord *) self->record)->conversations;
  return ((LumaUserRecord *) self->record)->conversations;
}

/* ---- LumaHistoryModel ----------------------------------------------------------------------- */

typedef struct
{
  guint      index;        /* positions index * BLOCK_SIZE .. + BLOCK_SIZE - 1 */
  guint64    last_used;
  GPtrArray *records;      /* one record per position of the block, NULL where missing */
} Block;

struct _LumaHistoryModel
{
  GObject           parent_instance;

  LumaCache        *cache;
  LumaHistoryQuery *query;
  GArray           *ids;             /* gint64 row ids in the order shown */
  GHashTable       *blocks;          /* block index -> Block* */
  guint64           use_counter;
  GHashTable       *live;            /* position -> LumaHistoryItem* handed out (unowned) */
  gint64            total;           /* records of the history when the query ran */
  GCancellable     *running;         /* the query being run, cancelled by the next one */
  GError           *fetch_error;
};

static void luma_history_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LumaHistoryModel, luma_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      luma_history_model_list_model_init))

static void
block_free (gpointer data)
{
  Block *block = data;

  g_clear_pointer (&block->records, g_ptr_array_unref);
  g_free (block);
}

static GType
luma_history_model_get_item_type (GListModel *model)
{
  return LUMA_TYPE_HISTORY_ITEM;
}

static guint
luma_history_model_get_n_items (GListModel *model)
{
  LumaHistoryModel *self = LUMA_HISTORY_MODEL (model);

  return self->ids->len;
}

static void
evict_least_recently_used (LumaHistoryModel *self)
{
  GHashTableIter iter;
  gpointer value;
  Block *oldest = NULL;

  g_hash_table_iter_init (&iter, self->blocks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Block *block = value;

      if (oldest == NULL || block->last_used < oldest->last_used)
        oldest = block;
    }

  if (oldest != NULL)
    g_hash_table_remove (self->blocks, GUINT_TO_POINTER (oldest->index));
}

static GPtrArray *
fetch (LumaHistoryModel *self,
       const gint64     *ids,
       guint             n_ids,
       GError          **error)
{
  if (self->query->license_type == LUMA_LICENSE_TYPE_SESSION)
    return luma_cache_fetch_sessions_by_ids (self->cache, ids, n_ids, error);
  return luma_cache_fetch_users_by_ids (self->cache, ids, n_ids, error);
}

static Block *
load_block (LumaHistoryModel *self,
            guint             index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  GDestroyNotify free_func;
  guint start = index * LUMA_HISTORY_MODEL_BLOCK_SIZE;
  guint n = MIN (LUMA_HISTORY_MODEL_BLOCK_SIZE, self->ids->len - start);
  const gint64 *ids = &g_array_index (self->ids, gint64, start);
  Block *block;

  free_func = self->query->license_type == LUMA_LICENSE_TYPE_SESSION
              ? (GDestroyNotify) luma_session_record_free
              : (GDestroyNotify) luma_user_record_free;

  records = fetch (self, ids, n, &error);
  if (records != NULL && records->len != n)
    {
      /* A row left out (it cannot be matched to its position by order any
       * more): fetch the block row by row so each lands where it belongs. */
      g_clear_pointer (&records, g_ptr_array_unref);
      records = g_ptr_array_new_full (n, free_func);
      for (guint i = 0; i < n && error == NULL; i++)
        {
          g_autoptr(GPtrArray) one = fetch (self, &ids[i], 1, &error);

          if (one != NULL && one->len == 1)
            g_ptr_array_add (records, g_ptr_array_steal_index (one, 0));
          else
            g_ptr_array_add (records, NULL);
        }
    }

  if (error != NULL)
    {
      g_clear_error (&self->fetch_error);
      self->fetch_error = g_steal_pointer (&error);
      g_clear_pointer (&records, g_ptr_array_unref);
    }

  if (records == NULL)
    {
      records = g_ptr_array_new_full (n, free_func);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (records, NULL);
    }

  if (g_hash_table_size (self->blocks) >= LUMA_HISTORY_MODEL_MAX_BLOCKS)
    evict_least_recently_used (self);

  block = g_new0 (Block, 1);
  block->index = index;
  block->records = g_steal_pointer (&records);
  g_hash_table_insert (self->blocks, GUINT_TO_POINTER (index), block);

  return block;
}

static gpointer
placeholder_record (LumaLicenseType license_type)
{
  /* A row that could not be read still needs an item: GTK asks for every
   * position below get_n_items(). It shows empty cells. */
  if (license_type == LUMA_LICENSE_TYPE_SESSION)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup ("");
      r->user_name = g_strdup ("");
      r->email = g_strdup ("");
      return r;
    }
  else
    {
      LumaUserRecord *r = luma_user_record_new ();

      r->user_id = g_strdup ("");
      r->user_name = g_strdup ("");
      r->email = g_strdup ("");
      r->first_name = g_strdup ("");
      r->last_name = g_strdup ("");
      return r;
    }
}

/* A copy of the record at @position (a placeholder when it cannot be read). */
static gpointer
record_at (LumaHistoryModel *self,
           guint             position)
{
  guint index = position / LUMA_HISTORY_MODEL_BLOCK_SIZE;
  LumaLicenseType license_type = self->query->license_type;
  gpointer record;
  Block *block;

  block = g_hash_table_lookup (self->blocks, GUINT_TO_POINTER (index));
  if (block == NULL)
    block = load_block (self, index);
  block->last_used = ++self->use_counter;

  record = g_ptr_array_index (block->records, position % LUMA_HISTORY_MODEL_BLOCK_SIZE);
  if (record == NULL)
    return placeholder_record (license_type);
  if (license_type == LUMA_LICENSE_TYPE_SESSION)
    return luma_session_record_copy (record);
  return luma_user_record_copy (record);
}

static void
model_forget_item (LumaHistoryModel *model,
                   LumaHistoryItem  *item)
{
  if (g_hash_table_lookup (model->live, GUINT_TO_POINTER (item->position)) == item)
    g_hash_table_remove (model->live, GUINT_TO_POINTER (item->position));
  item->model = NULL;
}

static gpointer
luma_history_model_get_item (GListModel *model,
                             guint       position)
{
  LumaHistoryModel *self = LUMA_HISTORY_MODEL (model);
  LumaHistoryItem *item;

  if (position >= self->ids->len)
    return NULL;

  /* One object per position for as long as someone holds it: a new query
   * updates these objects rather than replacing them, so that a list view
   * keeps its row widgets (see replace_ids()). */
  item = g_hash_table_lookup (self->live, GUINT_TO_POINTER (position));
  if (item != NULL)
    return g_object_ref (item);

  item = luma_history_item_new (self->query->license_type,
                                g_array_index (self->ids, gint64, position),
                                record_at (self, position));
  item->model = self;
  item->position = position;
  g_hash_table_insert (self->live, GUINT_TO_POINTER (position), item);

  return item;
}

static void
luma_history_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = luma_history_model_get_item_type;
  iface->get_n_items = luma_history_model_get_n_items;
  iface->get_item = luma_history_model_get_item;
}

static void
luma_history_model_dispose (GObject *object)
{
  LumaHistoryModel *self = LUMA_HISTORY_MODEL (object);

  GHashTableIter iter;
  gpointer value;

  if (self->running != NULL)
    g_cancellable_cancel (self->running);
  g_clear_object (&self->running);
  g_clear_object (&self->cache);

  /* Items outliving the model keep their last record. */
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    LUMA_HISTORY_ITEM (value)->model = NULL;
  g_hash_table_remove_all (self->live);

  G_OBJECT_CLASS (luma_history_model_parent_class)->dispose (object);
}

static void
luma_history_model_finalize (GObject *object)
{
  LumaHistoryModel *self = LUMA_HISTORY_MODEL (object);

  g_clear_pointer (&self->query, luma_history_query_free);
  g_clear_pointer (&self->ids, g_array_unref);
  g_clear_pointer (&self->blocks, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_error (&self->fetch_error);

  G_OBJECT_CLASS (luma_history_model_parent_class)->finalize (object);
}

static void
luma_history_model_class_init (LumaHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_history_model_dispose;
  object_class->finalize = luma_history_model_finalize;
}

static void
luma_history_model_init (LumaHistoryModel *self)
{
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->blocks = g_hash_table_new_full (NULL, NULL, NULL, block_free);
  self->live = g_hash_table_new (NULL, NULL);
}

LumaHistoryModel *
luma_history_model_new (LumaCache *cache)
{
  LumaHistoryModel *self;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), NULL);

  self = g_object_new (LUMA_TYPE_HISTORY_MODEL, NULL);
  self->cache = g_object_ref (cache);

  return self;
}

LumaCache *
luma_history_model_get_cache (LumaHistoryModel *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), NULL);
  return self->cache;
}

const LumaHistoryQuery *
luma_history_model_get_query (LumaHistoryModel *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), NULL);
  return self->query;
}

/* Takes @ids. */
static void
replace_ids (LumaHistoryModel       *self,
             const LumaHistoryQuery *query,
             GArray                 *ids,
             gint64                  total)
{
  guint old_len = self->ids->len;
  guint new_len = ids->len;
  g_autoptr(GPtrArray) updated = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_remove_all (self->blocks);
  g_clear_error (&self->fetch_error);

  g_array_unref (self->ids);
  self->ids = ids;
  g_clear_pointer (&self->query, luma_history_query_free);
  self->query = luma_history_query_copy (query);
  self->total = total;

  /* The items handed out (the rows a view shows, about two hundred) take the
   * records of their positions in place, and only the difference in length
   * is announced. A view then keeps its row widgets and rebinds them through
   * LumaHistoryItem::changed: GTK 4.8 rebuilds every row of a replaced range
   * (and asks for every item of it when the scroll anchor is in it). */
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      LumaHistoryItem *item = value;

      if (item->position >= new_len)
        {
          item->model = NULL;
          g_hash_table_iter_remove (&iter);
          continue;
        }
      luma_history_item_replace (item, query->license_type,
                                 g_array_index (ids, gint64, item->position),
                                 record_at (self, item->position));
      g_ptr_array_add (updated, g_object_ref (item));
    }

  if (new_len < old_len)
    g_list_model_items_changed (G_LIST_MODEL (self), new_len, old_len - new_len, 0);
  else if (new_len > old_len)
    g_list_model_items_changed (G_LIST_MODEL (self), old_len, 0, new_len - old_len);

  for (guint i = 0; i < updated->len; i++)
    g_signal_emit (updated->pdata[i], item_signals[ITEM_CHANGED], 0);
}

typedef struct
{
  LumaHistoryQuery *query;
  GCancellable     *own;          /* cancelled by a later set_query */
  GArray           *ids;
  gint64            total;
} SetQueryData;

static void
set_query_data_free (gpointer data)
{
  SetQueryData *d = data;

  g_clear_pointer (&d->query, luma_history_query_free);
  g_clear_pointer (&d->ids, g_array_unref);
  g_clear_object (&d->own);
  g_free (d);
}

/* The ids and the count of every record of the history, off the main
 * thread: both read a pooled connection of the cache. */
static gboolean
run_query (LumaCache              *cache,
           const LumaHistoryQuery *query,
           GCancellable           *cancellable,
           GArray                **ids_out,
           gint64                 *total_out,
           GError                **error)
{
  g_autoptr(GArray) ids = NULL;
  gint64 total;

  ids = luma_cache_query_ids (cache, query, cancellable, error);
  if (ids == NULL)
    return FALSE;

  if (!luma_history_query_has_filter (query))
    total = ids->len;
  else
    total = luma_cache_count_records (cache, query->license_type, error);
  if (total < 0)
    return FALSE;

  *ids_out = g_steal_pointer (&ids);
  *total_out = total;
  return TRUE;
}

static void
set_query_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  LumaHistoryModel *self = source_object;
  SetQueryData *d = task_data;
  GError *error = NULL;

  if (!run_query (self->cache, d->query, d->own, &d->ids, &d->total, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
set_query_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaHistoryModel *self = LUMA_HISTORY_MODEL (source);
  SetQueryData *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (self->running == d->own)
    g_clear_object (&self->running);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A later query superseded this one: its answer would be stale. */
  if (g_cancellable_is_cancelled (d->own))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Replaced by a later query");
      return;
    }

  replace_ids (self, d->query, g_steal_pointer (&d->ids), d->total);
  g_task_return_boolean (task, TRUE);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

void
luma_history_model_set_query_async (LumaHistoryModel       *self,
                                    const LumaHistoryQuery *query,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  SetQueryData *d;

  g_return_if_fail (LUMA_IS_HISTORY_MODEL (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_history_model_set_query_async);

  if (self->running != NULL)
    g_cancellable_cancel (self->running);
  g_clear_object (&self->running);

  d = g_new0 (SetQueryData, 1);
  d->query = luma_history_query_copy (query);
  d->own = g_cancellable_new ();
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                           g_object_ref (d->own), g_object_unref);
  g_task_set_task_data (task, d, set_query_data_free);
  self->running = g_object_ref (d->own);

  /* The worker's own task: its result lands in set_query_done_cb, which
   * applies it on this thread and then completes @task. */
  worker = g_task_new (self, d->own, set_query_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (worker, d, NULL);
  g_task_set_return_on_cancel (worker, FALSE);
  g_task_run_in_thread (worker, set_query_thread);
}

gboolean
luma_history_model_set_query_finish (LumaHistoryModel  *self,
                                     GAsyncResult      *result,
                                     GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
luma_history_model_set_query (LumaHistoryModel       *self,
                              const LumaHistoryQuery *query,
                              GCancellable           *cancellable,
                              GError                **error)
{
  GArray *ids = NULL;
  gint64 total = 0;

  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);

  if (!run_query (self->cache, query, cancellable, &ids, &total, error))
    return FALSE;

  replace_ids (self, query, ids, total);
  return TRUE;
}

gint64
luma_history_model_get_row_id (LumaHistoryModel *self,
                               guint             position)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), -1);

  if (position >= self->ids->len)
    return -1;
  return g_array_index (self->ids, gint64, position);
}

guint
luma_history_model_find_row_id (LumaHistoryModel *self,
                                gint64            row_id)
{
  const gint64 *ids;

  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), G_MAXUINT);

  /* A linear scan of an int64 array: about a millisecond per million. */
  ids = (const gint64 *) (gpointer) self->ids->data;
  for (guint i = 0; i < self->ids->len; i++)
    if (ids[i] == row_id)
      return i;

  return G_MAXUINT;
}

void
luma_history_model_invalidate (LumaHistoryModel *self)
{
  g_return_if_fail (LUMA_IS_HISTORY_MODEL (self));

  /* Items already handed out keep their values; the next get_item() reads
   * the cache again. */
  g_hash_table_remove_all (self->blocks);
}

gint64
luma_history_model_get_total (LumaHistoryModel *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), 0);
  return self->total;
}

const GError *
luma_history_model_get_fetch_error (LumaHistoryModel *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_MODEL (self), NULL);
  return self->fetch_error;
}
