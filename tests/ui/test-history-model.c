/* test-history-model.c: the history model's order and filters against an independent reading
 *
 * The expected rows are computed here, in C, from the records as the sandbox serves them over
 * HTTP (docs/api.md 2.3) and the ordering rules of LumaHistoryQuery; the model's come from the
 * cache's SQL. No display needed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-api-client.h"
#include "luma-cache-private.h"
#include "luma-history-columns.h"
#include "luma-history-model.h"
#include "luma-sync.h"
#include "luma-test-sandbox.h"

#define ACME      "acme"
#define ACME_KEY  "acme-key-model"
#define BETA      "beta"
#define BETA_KEY  "beta-key-model"

static LumaTestSandbox *sandbox;

typedef struct
{
  guint      feed_index;       /* the order rows entered the cache: the last tie-breaker */
  char      *id;
  gint64     time;
  char      *user_name;
  char      *email;
  char      *agent_name;       /* nullable */
  char      *first_name;
  char      *last_name;
  int        role;
  int        initiated_by;
  int        channel;
  int        status;
  gint64     conversations;
} Row;

static void
row_free (gpointer data)
{
  Row *r = data;

  g_free (r->id);
  g_free (r->user_name);
  g_free (r->email);
  g_free (r->agent_name);
  g_free (r->first_name);
  g_free (r->last_name);
  g_free (r);
}

static const char *
opt_string (JsonObject *o,
            const char *member)
{
  if (!json_object_has_member (o, member) || json_object_get_null_member (o, member))
    return NULL;
  return json_object_get_string_member (o, member);
}

static gint64
parse_time (const char *s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (s, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

/* Every record of @tenant, in feed order, read over plain HTTP. */
static GPtrArray *
fetch_rows (const char      *tenant,
            const char      *key,
            LumaLicenseType  type)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *cursor = g_strdup ("");

  for (;;)
    {
      g_autoptr(LumaTestResponse) r = luma_test_sandbox_get_feed_page (sandbox, tenant, key, cursor);
      JsonObject *result = luma_test_response_get_result (r);
      JsonArray *items = json_object_get_array_member (result, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *o = json_array_get_object_element (items, i);
          Row *row = g_new0 (Row, 1);
          LumaRole role;

          row->feed_index = rows->len;
          row->user_name = g_strdup (json_object_get_string_member (o, "userName"));
          row->email = g_strdup (json_object_get_string_member (o, "email"));
          g_assert_true (luma_role_from_string (json_object_get_string_member (o, "role"), &role));
          row->role = role;
          row->conversations = json_object_get_int_member (o, "conversations");
          if (type == LUMA_LICENSE_TYPE_SESSION)
            {
              LumaInitiatedBy by;
              LumaChannel channel;

              row->id = g_strdup (json_object_get_string_member (o, "sessionId"));
              row->time = parse_time (json_object_get_string_member (o, "startedOn"));
              row->agent_name = g_strdup (opt_string (o, "agentName"));
              g_assert_true (luma_initiated_by_from_string (json_object_get_string_member (o, "initiatedBy"), &by));
              g_assert_true (luma_channel_from_string (json_object_get_string_member (o, "channel"), &channel));
              row->initiated_by = by;
              row->channel = channel;
            }
          else
            {
              LumaUserStatus status;

              row->id = g_strdup (json_object_get_string_member (o, "userId"));
              row->time = parse_time (json_object_get_string_member (o, "createdOn"));
              row->first_name = g_strdup (json_object_get_string_member (o, "firstName"));
              row->last_name = g_strdup (json_object_get_string_member (o, "lastName"));
              g_assert_true (luma_user_status_from_string (json_object_get_string_member (o, "status"), &status));
              row->status = status;
            }
          /* A fresh sandbox's feed has each record once. */
          g_assert_false (g_hash_table_contains (seen, row->id));
          g_hash_table_add (seen, row->id);
          g_ptr_array_add (rows, row);
        }

      g_free (cursor);
      cursor = g_strdup (json_object_get_string_member (result, "nextCursor"));
      if (!json_object_get_boolean_member (result, "hasMore"))
        break;
    }

  g_hash_table_unref (seen);
  return rows;
}

/* SQLite's NOCASE: ASCII letters folded, bytes compared. */
static int
nocase_compare (const char *a,
                const char *b)
{
  const guchar *x = (const guchar *) a;
  const guchar *y = (const guchar *) b;

  /* g_ascii_tolower() returns a signed char: compare as bytes. */
  while (*x != '\0' && (guchar) g_ascii_tolower (*x) == (guchar) g_ascii_tolower (*y))
    {
      x++;
      y++;
    }
  return (int) (guchar) g_ascii_tolower (*x) - (int) (guchar) g_ascii_tolower (*y);
}

static int
nullable_compare (const char *a,
                  const char *b)
{
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);   /* NULL first */
  return nocase_compare (a, b);
}

static const LumaHistoryQuery *current_query;

static int
column_compare (const Row         *a,
                const Row         *b,
                LumaHistoryColumn  column)
{
  switch (column)
    {
    case LUMA_HISTORY_COLUMN_TIME: return (a->time > b->time) - (a->time < b->time);
    case LUMA_HISTORY_COLUMN_ID: return nocase_compare (a->id, b->id);
    case LUMA_HISTORY_COLUMN_USER_NAME: return nocase_compare (a->user_name, b->user_name);
    case LUMA_HISTORY_COLUMN_EMAIL: return nocase_compare (a->email, b->email);
    case LUMA_HISTORY_COLUMN_ROLE: return a->role - b->role;
    case LUMA_HISTORY_COLUMN_CONVERSATIONS:
      return (a->conversations > b->conversations) - (a->conversations < b->conversations);
    case LUMA_HISTORY_COLUMN_INITIATED_BY: return a->initiated_by - b->initiated_by;
    case LUMA_HISTORY_COLUMN_AGENT_NAME: return nullable_compare (a->agent_name, b->agent_name);
    case LUMA_HISTORY_COLUMN_CHANNEL: return a->channel - b->channel;
    case LUMA_HISTORY_COLUMN_FIRST_NAME: return nocase_compare (a->first_name, b->first_name);
    case LUMA_HISTORY_COLUMN_LAST_NAME: return nocase_compare (a->last_name, b->last_name);
    case LUMA_HISTORY_COLUMN_STATUS: return a->status - b->status;
    default: g_assert_not_reached ();
    }
}

static int
row_compare (gconstpointer pa,
             gconstpointer pb)
{
  const Row *a = *(const Row * const *) pa;
  const Row *b = *(const Row * const *) pb;
  int c = column_compare (a, b, current_query->sort_column);

  /* Ties: the record's time, then the row id, in the same direction. */
  if (c == 0)
    c = column_compare (a, b, LUMA_HISTORY_COLUMN_TIME);
  if (c == 0)
    c = (a->feed_index > b->feed_index) - (a->feed_index < b->feed_index);

  return current_query->descending ? -c : c;
}

static gboolean
contains_ascii_nocase (const char *haystack,
                       const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_ascii_strdown (haystack, -1);
  n = g_ascii_strdown (needle, -1);
  return strstr (h, n) != NULL;
}

static gboolean
row_matches (const Row              *r,
             const LumaHistoryQuery *q)
{
  if (q->from != 0 && r->time < q->from)
    return FALSE;
  if (q->to != 0 && r->time > q->to)
    return FALSE;
  if (q->roles != 0 && (q->roles & LUMA_HISTORY_ROLE_BIT (r->role)) == 0)
    return FALSE;
  if (q->license_type == LUMA_LICENSE_TYPE_SESSION)
    {
      if (q->channels != 0 && (q->channels & LUMA_HISTORY_CHANNEL_BIT (r->channel)) == 0)
        return FALSE;
      if (q->initiated_by >= 0 && r->initiated_by != q->initiated_by)
        return FALSE;
    }
  else if (q->status >= 0 && r->status != q->status)
    {
      return FALSE;
    }

  if (q->search != NULL && *q->search != '\0')
    {
      if (q->license_type == LUMA_LICENSE_TYPE_SESSION)
        return contains_ascii_nocase (r->user_name, q->search) ||
               contains_ascii_nocase (r->email, q->search) ||
               contains_ascii_nocase (r->agent_name, q->search) ||
               contains_ascii_nocase (r->id, q->search);
      return contains_ascii_nocase (r->id, q->search) ||
             contains_ascii_nocase (r->user_name, q->search) ||
             contains_ascii_nocase (r->email, q->search) ||
             contains_ascii_nocase (r->first_name, q->search) ||
             contains_ascii_nocase (r->last_name, q->search);
    }

  return TRUE;
}

static void
check_query (LumaHistoryModel       *model,
             GPtrArray              *rows,
             const LumaHistoryQuery *query)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < rows->len; i++)
    if (row_matches (g_ptr_array_index (rows, i), query))
      g_ptr_array_add (expected, g_ptr_array_index (rows, i));
  current_query = query;
  g_ptr_array_sort (expected, row_compare);

  g_assert_true (luma_history_model_set_query (model, query, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected->len);

  for (guint i = 0; i < expected->len; i++)
    {
      g_autoptr(LumaHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
      const Row *row = g_ptr_array_index (expected, i);

      if (g_strcmp0 (luma_history_item_get_record_id (item), row->id) != 0)
        {
          const LumaSessionRecord *s = luma_history_item_get_session (item);
          const LumaUserRecord *u = luma_history_item_get_user (item);

          g_error ("column %d %s, search \"%s\": row %u is %s (%s), expected %s (%s)",
                   query->sort_column, query->descending ? "descending" : "ascending",
                   query->search != NULL ? query->search : "", i,
                   luma_history_item_get_record_id (item), s != NULL ? s->user_name : u->user_name,
                   row->id, row->user_name);
        }
      g_assert_cmpint (luma_history_item_get_conversations (item), ==, row->conversations);
    }
  g_assert_null (luma_history_model_get_fetch_error (model));
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **error = user_data;
  g_autoptr(LumaSyncSummary) summary = luma_sync_run_finish (LUMA_SYNC (source), result, error);

  if (summary == NULL && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NONE, "done");
}

/* A cache synced from the sandbox, as the window would have it. */
static LumaCache *
synced_cache (const char *tenant,
              const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) client = luma_api_client_new (luma_test_sandbox_get_url (sandbox), &error);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), tenant, NULL);
  g_autoptr(LumaSync) sync = NULL;
  LumaCache *cache;
  GError *done = NULL;

  g_assert_no_error (error);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  luma_api_client_set_tenant_credentials (client, tenant, key);
  cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  sync = luma_sync_new (client, cache);
  luma_sync_run_async (sync, NULL, sync_done_cb, &done);
  while (done == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_error_matches (done, G_IO_ERROR, G_IO_ERROR_NONE));
  g_error_free (done);

  /* Sorted queries as the window runs them: with the indexes built. */
  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);

  return cache;
}

static void
test_session_history (void)
{
  g_autoptr(LumaCache) cache = synced_cache (ACME, ACME_KEY);
  g_autoptr(LumaHistoryModel) model = luma_history_model_new (cache);
  g_autoptr(GPtrArray) rows = fetch_rows (ACME, ACME_KEY, LUMA_LICENSE_TYPE_SESSION);
  g_auto(LumaHistoryQuery) q = { 0 };
  guint n_columns;
  const LumaHistoryColumnInfo *columns = luma_history_columns_get (LUMA_LICENSE_TYPE_SESSION, &n_columns);
  GPtrArray *by_time;

  g_assert_cmpuint (rows->len, ==, 1500);
  g_assert_cmpuint (n_columns, ==, 9);

  /* Every column the view shows, both directions */
  for (guint i = 0; i < n_columns; i++)
    for (int descending = 0; descending < 2; descending++)
      {
        luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
        q.sort_column = columns[i].key;
        q.descending = descending;
        check_query (model, rows, &q);
      }

  /* Filters, alone and together */
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  q.channels = LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_MS_TEAMS);
  check_query (model, rows, &q);
  q.initiated_by = LUMA_INITIATED_BY_AGENT;
  q.sort_column = LUMA_HISTORY_COLUMN_AGENT_NAME;
  check_query (model, rows, &q);

  luma_history_query_clear (&q);
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  q.search = g_strdup ("ana");
  q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
  check_query (model, rows, &q);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >, 0);
  g_free (q.search);
  q.search = g_strdup ("S-0000001");
  check_query (model, rows, &q);
  g_free (q.search);
  q.search = g_strdup ("100%_x");   /* % and _ are ordinary characters */
  check_query (model, rows, &q);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_clear_pointer (&q.search, g_free);

  /* A date range: the middle third of the records' times */
  /* Not g_ptr_array_copy(): it would copy the free function too. */
  by_time = g_ptr_array_sized_new (rows->len);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (by_time, g_ptr_array_index (rows, i));
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  current_query = &q;
  g_ptr_array_sort (by_time, row_compare);
  q.from = ((Row *) g_ptr_array_index (by_time, by_time->len * 2 / 3))->time;
  q.to = ((Row *) g_ptr_array_index (by_time, by_time->len / 3))->time;
  q.sort_column = LUMA_HISTORY_COLUMN_CHANNEL;
  check_query (model, rows, &q);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >, 0);
  g_ptr_array_unref (by_time);
}

static void
test_user_history (void)
{
  g_autoptr(LumaCache) cache = synced_cache (BETA, BETA_KEY);
  g_autoptr(LumaHistoryModel) model = luma_history_model_new (cache);
  g_autoptr(GPtrArray) rows = fetch_rows (BETA, BETA_KEY, LUMA_LICENSE_TYPE_USER);
  g_auto(LumaHistoryQuery) q = { 0 };
  guint n_columns;
  const LumaHistoryColumnInfo *columns = luma_history_columns_get (LUMA_LICENSE_TYPE_USER, &n_columns);

  for (guint i = 0; i < n_columns; i++)
    for (int descending = 0; descending < 2; descending++)
      {
        luma_history_query_init (&q, LUMA_LICENSE_TYPE_USER);
        q.sort_column = columns[i].key;
        q.descending = descending;
        check_query (model, rows, &q);
      }

  luma_history_query_init (&q, LUMA_LICENSE_TYPE_USER);
  q.status = LUMA_USER_STATUS_INACTIVE;
  check_query (model, rows, &q);
  q.status = LUMA_USER_STATUS_ACTIVE;
  q.search = g_strdup ("mül");
  check_query (model, rows, &q);
}

/* Replacing the rows: the items handed out stay the objects of their
 * positions and take their new records; only the difference in length is
 * announced, at the end, with exact counts during the emission. */
typedef struct
{
  guint emissions;
  guint position[4];
  guint removed[4];
  guint added[4];
  guint n_during[4];
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  g_assert_cmpuint (changes->emissions, <, 4);
  changes->position[changes->emissions] = position;
  changes->removed[changes->emissions] = removed;
  changes->added[changes->emissions] = added;
  changes->n_during[changes->emissions] = g_list_model_get_n_items (model);
  changes->emissions++;
}

static void
set_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  int *state = user_data;
  g_autoptr(GError) error = NULL;

  *state = luma_history_model_set_query_finish (LUMA_HISTORY_MODEL (source), result, &error) ? 1 : 2;
  if (*state == 2)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
item_changed_cb (LumaHistoryItem *item,
                 guint           *count)
{
  (*count)++;
}

#define N_HELD 10

/* Each held item is the model's object for its position and shows exactly
 * the record the cache has for the row id now at that position. */
static void
check_held_items (LumaCache         *cache,
                  LumaHistoryModel  *model,
                  LumaHistoryItem  **held,
                  guint             *changed,
                  guint              expected_changes)
{
  for (guint i = 0; i < N_HELD; i++)
    {
      g_autoptr(LumaHistoryItem) again = g_list_model_get_item (G_LIST_MODEL (model), i);
      gint64 row_id = luma_history_model_get_row_id (model, i);
      g_autoptr(GPtrArray) fresh = luma_cache_fetch_sessions_by_ids (cache, &row_id, 1, NULL);
      const LumaSessionRecord *shown = luma_history_item_get_session (held[i]);
      const LumaSessionRecord *stored;

      g_assert_true (again == held[i]);
      g_assert_cmpuint (changed[i], ==, expected_changes);
      g_assert_cmpint (luma_history_item_get_row_id (held[i]), ==, row_id);
      g_assert_nonnull (fresh);
      g_assert_cmpuint (fresh->len, ==, 1);
      stored = g_ptr_array_index (fresh, 0);
      g_assert_cmpstr (shown->session_id, ==, stored->session_id);
      g_assert_cmpstr (shown->user_name, ==, stored->user_name);
      g_assert_cmpint (shown->channel, ==, stored->channel);
      g_assert_cmpint (shown->started_on, ==, stored->started_on);
    }
}

static void
test_items_changed (void)
{
  g_autoptr(LumaCache) cache = synced_cache (ACME, ACME_KEY);
  g_autoptr(LumaHistoryModel) model = luma_history_model_new (cache);
  g_auto(LumaHistoryQuery) q = { 0 };
  LumaHistoryItem *held[N_HELD];
  guint changed[N_HELD] = { 0 };
  g_autoptr(LumaHistoryItem) last = NULL;
  guint last_changed = 0;
  Changes changes = { 0 };
  int first = 0, second = 0, third = 0;
  guint n;

  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  g_assert_true (luma_history_model_set_query (model, &q, NULL, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1500);
  g_assert_cmpint (luma_history_model_get_total (model), ==, 1500);
  g_assert_cmpint (luma_history_model_get_row_id (model, 1500), ==, -1);
  g_assert_cmpuint (luma_history_model_find_row_id (model, luma_history_model_get_row_id (model, 700)), ==, 700);

  for (guint i = 0; i < N_HELD; i++)
    {
      held[i] = g_list_model_get_item (G_LIST_MODEL (model), i);
      g_signal_connect (held[i], "changed", G_CALLBACK (item_changed_cb), &changed[i]);
    }
  last = g_list_model_get_item (G_LIST_MODEL (model), 1499);
  g_signal_connect (last, "changed", G_CALLBACK (item_changed_cb), &last_changed);
  check_held_items (cache, model, held, changed, 0);

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  q.channels = LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_SLACK);
  /* Two queries in a row: the first is superseded, only the second lands */
  luma_history_model_set_query_async (model, &q, NULL, set_query_cb, &first);
  q.channels = LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_EMAIL);
  luma_history_model_set_query_async (model, &q, NULL, set_query_cb, &second);
  while (first == 0 || second == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (first, ==, 2);
  g_assert_cmpint (second, ==, 1);
  g_assert_cmpint (luma_history_model_get_query (model)->channels, ==,
                   LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_EMAIL));

  /* Fewer rows: one removal at the end, nothing else */
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, >, N_HELD);
  g_assert_cmpuint (n, <, 1500);
  g_assert_cmpint (luma_history_model_get_total (model), ==, 1500);
  g_assert_cmpuint (changes.emissions, ==, 1);
  g_assert_cmpuint (changes.position[0], ==, n);
  g_assert_cmpuint (changes.removed[0], ==, 1500 - n);
  g_assert_cmpuint (changes.added[0], ==, 0);
  g_assert_cmpuint (changes.n_during[0], ==, n);
  check_held_items (cache, model, held, changed, 1);
  for (guint i = 0; i < N_HELD; i++)
    g_assert_cmpint (luma_history_item_get_session (held[i])->channel, ==, LUMA_CHANNEL_EMAIL);
  /* The item past the new end keeps its record and is no longer the model's */
  g_assert_cmpuint (last_changed, ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 1499));

  /* Back to every row: one insertion at the end */
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
  q.descending = FALSE;
  luma_history_model_set_query_async (model, &q, NULL, set_query_cb, &third);
  while (third == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (third, ==, 1);
  g_assert_cmpuint (changes.emissions, ==, 2);
  g_assert_cmpuint (changes.position[1], ==, n);
  g_assert_cmpuint (changes.removed[1], ==, 0);
  g_assert_cmpuint (changes.added[1], ==, 1500 - n);
  g_assert_cmpuint (changes.n_during[1], ==, 1500);
  check_held_items (cache, model, held, changed, 2);
  g_assert_cmpuint (last_changed, ==, 0);
  {
    g_autoptr(LumaHistoryItem) new_last = g_list_model_get_item (G_LIST_MODEL (model), 1499);

    g_assert_true (new_last != last);
    g_assert_cmpint (luma_history_item_get_row_id (new_last), ==, luma_history_model_get_row_id (model, 1499));
  }

  for (guint i = 0; i < N_HELD; i++)
    g_object_unref (held[i]);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  sandbox = luma_test_sandbox_start ("--tenant", ACME,
                                     "--api-key", ACME_KEY,
                                     "--license-model", "session",
                                     "--licenses", "2000",
                                     "--seed", "1500",
                                     "--tenant", BETA,
                                     "--api-key", BETA_KEY,
                                     "--license-model", "user",
                                     "--licenses", "900",
                                     "--seed", "700",
                                     NULL);
  /* Some records changed: they come again later in the feed with new values. */
  luma_test_sandbox_touch_records (sandbox, BETA, 50);

  g_test_add_func ("/ui/history-model/session-order-and-filters", test_session_history);
  g_test_add_func ("/ui/history-model/user-order-and-filters", test_user_history);
  g_test_add_func ("/ui/history-model/items-changed", test_items_changed);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
