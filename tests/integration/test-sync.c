/* test-sync.c: LumaSync against the real sandbox over HTTP, into a real SQLite cache file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-api-client.h"
#include "luma-breakdown.h"
#include "luma-cache-private.h"
#include "luma-sync.h"

#include "sync-util.h"

/* ---- Fixture-free helpers --------------------------------------------------------------------- */

typedef struct
{
  LumaApiClient *client;
  LumaCache     *cache;
  LumaSync      *sync;
  char          *cache_path;
} Account;

static void
account_close (Account *account)
{
  if (account->cache != NULL)
    luma_cache_close (account->cache);
  g_clear_object (&account->sync);
  g_clear_object (&account->client);
  g_clear_object (&account->cache);
}

static void
account_free (Account *account)
{
  account_close (account);
  g_free (account->cache_path);
  g_free (account);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Account, account_free)

static LumaApiClient *
new_client (const char *url)
{
  g_autoptr(GError) error = NULL;
  LumaApiClient *client = luma_api_client_new (url, &error);

  g_assert_no_error (error);
  luma_api_client_set_tenant_credentials (client, ACME, ACME_KEY);
  /* Short waits keep the fault tests fast; Retry-After still holds. */
  luma_api_client_set_retry_policy (client, 8, 10, 200);
  luma_api_client_set_timeout (client, 20);
  return client;
}

/* A client for @url on the cache file at @cache_path (NULL: a new one in the test's cache dir). */
static Account *
account_open (const char *url,
              const char *cache_path)
{
  g_autoptr(GError) error = NULL;
  Account *account = g_new0 (Account, 1);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  if (cache_path == NULL)
    account->cache_path = g_build_filename (g_get_user_cache_dir (), "test-sync.db", NULL);
  else
    account->cache_path = g_strdup (cache_path);

  account->client = new_client (url);
  account->cache = luma_cache_open_path (account->cache_path, NULL, &error);
  g_assert_no_error (error);
  account->sync = luma_sync_new (account->client, account->cache);
  return account;
}

/* A new client on the same cache file (the server moved to another port). */
static void
account_reconnect (Account    *account,
                   const char *url)
{
  g_clear_object (&account->sync);
  g_clear_object (&account->client);
  account->client = new_client (url);
  account->sync = luma_sync_new (account->client, account->cache);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static LumaSyncSummary *
run_sync (LumaSync      *sync,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  LumaSyncSummary *summary;

  luma_sync_run_async (sync, cancellable, store_result_cb, &result);
  summary = luma_sync_run_finish (sync, wait_for (&result), error);
  if (summary != NULL)
    {
      g_autofree char *line = luma_sync_summary_to_string (summary);
      g_test_message ("%s", line);
    }
  if (error == NULL || !g_error_matches (*error, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_BUSY))
    g_assert_false (luma_sync_get_running (sync));
  return summary;
}

static LumaSyncSummary *
run_sync_ok (LumaSync *sync)
{
  g_autoptr(GError) error = NULL;
  LumaSyncSummary *summary = run_sync (sync, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (summary);
  return summary;
}

static void
wait_for_indexes (LumaSync *sync)
{
  while (luma_sync_get_indexing (sync))
    g_main_context_iteration (NULL, TRUE);
}

static LumaContactsOutcome
save_contacts (LumaSync           *sync,
               const char * const *technical,
               const char * const *billing,
               GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_sync_save_contacts_async (sync, technical, billing, NULL, store_result_cb, &result);
  return luma_sync_save_contacts_finish (sync, wait_for (&result), NULL, error);
}

/* acme with @seed records, then extra arguments up to NULL. */
static LumaTestSandbox *
start_sandbox (const char *seed,
               ...) G_GNUC_NULL_TERMINATED;

static LumaTestSandbox *
start_sandbox (const char *seed,
               ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (args, (gpointer) "--tenant");
  g_ptr_array_add (args, (gpointer) ACME);
  g_ptr_array_add (args, (gpointer) "--api-key");
  g_ptr_array_add (args, (gpointer) ACME_KEY);
  g_ptr_array_add (args, (gpointer) "--licenses");
  g_ptr_array_add (args, (gpointer) "500000");
  g_ptr_array_add (args, (gpointer) "--seed");
  g_ptr_array_add (args, (gpointer) seed);

  va_start (ap, seed);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return luma_test_sandbox_startv ((const char * const *) args->pdata);
}

/* GET /subscription straight from the sandbox, as the server sees it. */
static JsonObject *
server_subscription (LumaTestSandbox *sb)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), "/subscription", NULL);
  g_autoptr(LumaTestResponse) r = NULL;

  r = luma_test_request ("GET", url, NULL, "Luma-api-access-key", ACME_KEY,
                         "Luma-tenant-externalId", ACME, NULL);
  luma_test_assert_response (r, 200, NULL);
  return json_object_ref (luma_test_response_get_result (r));
}

static void
assert_json_strv (JsonObject         *object,
                  const char         *member,
                  const char * const *expected)
{
  JsonArray *array = json_object_get_array_member (object, member);

  g_assert_cmpuint (json_array_get_length (array), ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (json_array_get_string_element (array, i), ==, expected[i]);
}

/* ---- Full and incremental sync ---------------------------------------------------------------- */

static void
progress_cb (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  LumaSync *sync = LUMA_SYNC (object);
  gint64 *max_total = user_data;

  /* done never runs past total: a progress bar never overflows. */
  g_assert_cmpint (luma_sync_get_done (sync), <=, luma_sync_get_total (sync));
  *max_total = MAX (*max_total, luma_sync_get_total (sync));
}

static void
test_full_sync (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("100000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(GPtrArray) purchases = NULL;
  g_autoptr(GError) error = NULL;
  gint64 sandbox_records = 0, consumed = 0;
  gint64 max_total = 0;
  g_autofree char *checksum = NULL;

  checksum = luma_test_sandbox_get_checksum (sb, ACME, &sandbox_records, &consumed);
  g_assert_cmpint (sandbox_records, ==, 100000);

  g_signal_connect (account->sync, "notify::total", G_CALLBACK (progress_cb), &max_total);
  summary = run_sync_ok (account->sync);

  g_assert_true (summary->full);
  g_assert_cmpint (summary->new_records, ==, 100000);
  g_assert_cmpint (summary->changed_records, ==, 0);
  g_assert_cmpint (summary->total_records, ==, 100000);
  g_assert_true (summary->subscription_changed);
  g_assert_true (summary->purchases_changed);
  /* subscription + purchases + 100 pages of 1000 */
  g_assert_cmpuint (summary->requests, ==, 2 + 100);
  g_assert_cmpint (luma_sync_get_done (account->sync), ==, 100000);
  g_assert_cmpint (luma_sync_get_total (account->sync), ==, 100000);
  g_assert_cmpint (max_total, ==, 100000);
  g_assert_false (luma_sync_get_offline (account->sync));

  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);

  subscription = luma_cache_get_subscription (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subscription);
  g_assert_cmpstr (subscription->external_id, ==, ACME);
  g_assert_cmpint (subscription->consumed, ==, consumed);
  purchases = luma_cache_get_purchases (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (purchases->len, >, 0);

  /* The index build started after the full sync into an empty cache. */
  g_assert_true (summary->indexing);
  wait_for_indexes (account->sync);
  g_assert_true (luma_cache_get_indexes_ready (account->cache));
}

static void
test_incremental_sync (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("5000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) added = NULL;
  g_autoptr(LumaSyncSummary) touched = NULL;
  g_autoptr(LumaSyncSummary) nothing = NULL;

  first = run_sync_ok (account->sync);
  g_assert_true (first->full);
  g_assert_cmpint (first->new_records, ==, 5000);
  wait_for_indexes (account->sync);

  /* New records: only they come, in one page. */
  luma_test_sandbox_add_records (sb, ACME, 321);
  added = run_sync_ok (account->sync);
  g_assert_false (added->full);
  g_assert_cmpint (added->new_records, ==, 321);
  g_assert_cmpint (added->changed_records, ==, 0);
  g_assert_cmpint (added->total_records, ==, 5321);
  g_assert_cmpint (luma_sync_get_done (account->sync), ==, 321);
  g_assert_true (added->subscription_changed);   /* consumed grew */
  /* subscription, purchases (the subscription changed), one page */
  g_assert_cmpuint (added->requests, ==, 3);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);

  /* Changed records are updated in place, not added again. */
  luma_test_sandbox_touch_records (sb, ACME, 40);
  touched = run_sync_ok (account->sync);
  g_assert_false (touched->full);
  g_assert_cmpint (touched->new_records, ==, 0);
  g_assert_cmpint (touched->changed_records, ==, 40);
  g_assert_cmpint (touched->total_records, ==, 5321);
  g_assert_cmpint (count_cache_rows (account->cache_path, "sessions"), ==, 5321);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);

  /* Nothing new: the subscription is not modified, the feed is empty. */
  nothing = run_sync_ok (account->sync);
  g_assert_false (nothing->full);
  g_assert_cmpint (nothing->new_records, ==, 0);
  g_assert_cmpint (nothing->changed_records, ==, 0);
  g_assert_false (nothing->subscription_changed);
  g_assert_false (nothing->purchases_changed);
  g_assert_cmpuint (nothing->requests, ==, 2);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
}

/* The idle licenses right after a sync, before anyone opened a transcript:
 * the users the feed dates before the cut-off (its lastConversationOn, which
 * the checksum above shows stored), counted with plain SQL. */
static void
assert_idle_users (Account *account)
{
  gint64 cutoff = g_get_real_time () / G_USEC_PER_SEC - 30 * 86400;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) idle = luma_cache_list_idle_users (account->cache, cutoff, NULL, &error);
  sqlite3 *db = open_cache_db (account->cache_path);
  sqlite3_stmt *stmt = NULL;
  guint with_conversations = 0;
  gint64 expected = -1;

  g_assert_no_error (error);
  g_assert_nonnull (db);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM users WHERE status = 0"
                                       " AND created_on < ?1 AND (conversations = 0"
                                       " OR last_conversation_on < ?1)", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, cutoff);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  expected = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  g_assert_cmpint (count_cache_rows (account->cache_path, "conversations"), ==, 0);
  sqlite3_close (db);

  g_assert_cmpint (idle->len, ==, expected);
  for (guint i = 0; i < idle->len; i++)
    {
      const LumaIdleUser *u = g_ptr_array_index (idle, i);

      g_assert_cmpint (u->created_on, <, cutoff);
      g_assert_cmpint (u->last_conversation, <, cutoff);
      if (u->conversations > 0)
        with_conversations++;
    }
  /* Users with conversations, none of them stored: dated by the feed alone. */
  g_assert_cmpuint (with_conversations, >, 0);
}

static void
test_user_licenses (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("3000", "--license-model", "user", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) second = NULL;

  first = run_sync_ok (account->sync);
  g_assert_true (first->full);
  g_assert_cmpint (first->new_records, ==, 3000);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, TRUE);
  assert_idle_users (account);

  /* Every second touched user flips status: the row changes, the count does not. */
  luma_test_sandbox_touch_records (sb, ACME, 10);
  luma_test_sandbox_add_records (sb, ACME, 5);
  second = run_sync_ok (account->sync);
  g_assert_cmpint (second->new_records, ==, 5);
  g_assert_cmpint (second->changed_records, ==, 10);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, TRUE);
  wait_for_indexes (account->sync);
}

static void
test_invalid_cursor (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("2500", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;

  first = run_sync_ok (account->sync);
  wait_for_indexes (account->sync);

  /* A stored cursor the server refuses (e.g. the cache came from elsewhere). */
  g_assert_true (luma_cache_commit_batch (account->cache, "bm90LWEtY3Vyc29y", NULL, &error));
  g_assert_no_error (error);
  luma_test_sandbox_add_records (sb, ACME, 7);

  again = run_sync_ok (account->sync);
  g_assert_true (again->full);
  g_assert_cmpint (again->new_records, ==, 7);
  g_assert_cmpint (again->changed_records, ==, 2500);
  cursor = luma_cache_get_cursor (account->cache, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cursor, !=, "bm90LWEtY3Vyc29y");
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
  wait_for_indexes (account->sync);
}

/* The tenant was recreated on the server (another feed: the stored cursor
 * is refused): the full sync that follows replaces the history and its
 * cached conversations, so no count, chart or report mixes the two. */
static void
test_reset_replaces_rows (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("1200", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) again = NULL;
  g_autoptr(LumaSyncSummary) quiet = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session_id = NULL;
  gint64 new_records = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt;

  luma_sync_set_batch_rows (account->sync, 500);
  first = run_sync_ok (account->sync);
  wait_for_indexes (account->sync);
  g_assert_cmpint (count_cache_rows (account->cache_path, "sessions"), ==, 1200);

  /* Conversations viewed once are cached. */
  db = open_cache_db (account->cache_path);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT session_id FROM sessions WHERE conversations > 0"
                                       " ORDER BY id LIMIT 1", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  session_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  luma_sync_fetch_conversations_async (account->sync, session_id, NULL, store_result_cb, &r);
  conversations = luma_sync_fetch_conversations_finish (account->sync, wait_for (&r), &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_cache_rows (account->cache_path, "conversations"), >, 0);

  /* The tenant is recreated with other, fewer records. */
  luma_test_sandbox_stop (g_steal_pointer (&sb));
  sb = start_sandbox ("700", "--seed-value", "2", NULL);
  g_free (luma_test_sandbox_get_checksum (sb, ACME, &new_records, NULL));
  g_assert_cmpint (new_records, ==, 700);
  account_reconnect (account, luma_test_sandbox_get_url (sb));
  luma_sync_set_batch_rows (account->sync, 500);

  again = run_sync_ok (account->sync);
  g_assert_true (again->full);
  g_assert_cmpint (again->total_records, ==, 700);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
  g_assert_cmpint (count_cache_rows (account->cache_path, "conversations"), ==, 0);
  g_assert_cmpint (count_cache_rows (account->cache_path, "messages"), ==, 0);
  g_assert_cmpint (count_cache_rows (account->cache_path, "conversation_sets"), ==, 0);
  wait_for_indexes (account->sync);

  /* And it stays so: the next sync is incremental, with nothing new. */
  quiet = run_sync_ok (account->sync);
  g_assert_false (quiet->full);
  g_assert_cmpint (quiet->new_records, ==, 0);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
}

/* ---- Faults ----------------------------------------------------------------------------------- */

/* Faults on part of the answers: the client's retries carry the sync through. */
static void
test_faults_retried (gconstpointer data)
{
  const char *kind = data;
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("20000", "--seed-value", "7",
                                                 "--slow-ms", "5000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autofree char *faults = NULL;

  /* 429 waits Retry-After (1 s) and slow the time-out each time: fewer of those. */
  if (g_str_equal (kind, "slow"))
    {
      luma_api_client_set_timeout (account->client, 2);
      faults = g_strdup ("{\"faults\": [{\"kind\": \"slow\", \"rate\": 0.2, \"count\": 2}]}");
    }
  else if (g_str_equal (kind, "429"))
    faults = g_strdup_printf ("{\"faults\": [{\"kind\": \"429\", \"rate\": 0.2, \"count\": 3}]}");
  else
    faults = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 0.25, \"count\": 8}]}",
                              kind);
  luma_test_sandbox_set_faults (sb, faults);

  summary = run_sync_ok (account->sync);
  g_assert_true (summary->full);
  g_assert_cmpint (summary->new_records, ==, 20000);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
  wait_for_indexes (account->sync);
}

typedef struct
{
  LumaTestSandbox *sb;
  const char      *faults;
  gint64           after;
  gboolean         set;
} FaultAfter;

static void
set_fault_after_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  FaultAfter *fa = user_data;

  if (!fa->set && luma_sync_get_done (LUMA_SYNC (object)) >= fa->after)
    {
      fa->set = TRUE;
      luma_test_sandbox_set_faults (fa->sb, fa->faults);
    }
}

/* A fault that outlasts every retry in the middle of the feed: the sync fails with a clear
 * error, the cache keeps what was received, and the next sync resumes without a gap. */
static void
test_faults_exhausted (gconstpointer data)
{
  const char *kind = data;
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("30000", "--slow-ms", "6000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) failed = NULL;
  g_autoptr(LumaSyncSummary) resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *faults = NULL;
  g_autofree char *cursor = NULL;
  FaultAfter fa = { 0 };
  gint64 kept;
  gulong handler;

  luma_api_client_set_retry_policy (account->client, 3, 10, 50);
  if (g_str_equal (kind, "slow"))
    luma_api_client_set_timeout (account->client, 2);

  faults = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 1.0}]}", kind);
  fa.sb = sb;
  fa.faults = faults;
  fa.after = 12000;
  handler = g_signal_connect (account->sync, "notify::done", G_CALLBACK (set_fault_after_cb), &fa);

  failed = run_sync (account->sync, NULL, &error);
  g_assert_null (failed);
  g_assert_true (fa.set);
  g_assert_nonnull (error);
  g_test_message ("failed as expected: %s", error->message);
  g_assert_true (error->domain == LUMA_API_ERROR);
  g_assert_cmpstr (error->message, !=, "");
  if (g_str_equal (kind, "slow"))
    {
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TIMEOUT);
      g_assert_true (luma_sync_get_offline (account->sync));
    }
  else if (g_str_equal (kind, "500"))
    g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
  g_signal_handler_disconnect (account->sync, handler);
  g_clear_error (&error);

  /* What arrived before the failure is kept, with the cursor that follows it. */
  kept = count_cache_rows (account->cache_path, "sessions");
  g_assert_cmpint (kept, >=, 12000);
  g_assert_cmpint (kept, <, 30000);
  cursor = luma_cache_get_cursor (account->cache, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cursor);

  luma_test_sandbox_set_faults (sb, "{\"faults\": []}");
  resumed = run_sync_ok (account->sync);
  g_assert_false (resumed->full);
  g_assert_cmpint (resumed->new_records, ==, 30000 - kept);
  g_assert_cmpint (resumed->changed_records, ==, 0);
  g_assert_false (luma_sync_get_offline (account->sync));
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
  wait_for_indexes (account->sync);
}

typedef struct
{
  GCancellable *cancellable;
  gint64        after;
} CancelAfter;

static void
cancel_after_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  CancelAfter *ca = user_data;

  if (luma_sync_get_done (LUMA_SYNC (object)) >= ca->after)
    g_cancellable_cancel (ca->cancellable);
}

static void
test_cancel (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("40000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(LumaSyncSummary) cancelled = NULL;
  g_autoptr(LumaSyncSummary) resumed = NULL;
  g_autoptr(GError) error = NULL;
  CancelAfter ca = { cancellable, 25000 };
  gint64 kept;
  gulong handler;

  luma_sync_set_batch_rows (account->sync, 5000);
  handler = g_signal_connect (account->sync, "notify::done", G_CALLBACK (cancel_after_cb), &ca);
  cancelled = run_sync (account->sync, cancellable, &error);
  g_signal_handler_disconnect (account->sync, handler);
  g_assert_null (cancelled);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (luma_sync_get_phase (account->sync), ==, LUMA_SYNC_PHASE_IDLE);

  /* Whole batches only: committed rows are a multiple of the batch, the rest is dropped. */
  kept = count_cache_rows (account->cache_path, "sessions");
  g_assert_cmpint (kept, >=, 15000);
  g_assert_cmpint (kept, <, 40000);
  g_assert_cmpint (kept % 5000, ==, 0);

  resumed = run_sync_ok (account->sync);
  g_assert_false (resumed->full);
  g_assert_cmpint (resumed->new_records, ==, 40000 - kept);
  assert_cache_matches_sandbox (account->cache_path, sb, ACME, FALSE);
  wait_for_indexes (account->sync);
}

static void
test_busy (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("3000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autoptr(LumaSyncSummary) second = NULL;
  g_autoptr(GError) error = NULL;

  luma_sync_run_async (account->sync, NULL, store_result_cb, &first);
  g_assert_true (luma_sync_get_running (account->sync));
  second = run_sync (account->sync, NULL, &error);
  g_assert_error (error, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_BUSY);
  g_assert_true (luma_sync_get_running (account->sync));
  g_clear_error (&error);

  summary = luma_sync_run_finish (account->sync, wait_for (&first), &error);
  g_assert_nonnull (summary);
  g_assert_cmpint (summary->new_records, ==, 3000);
  wait_for_indexes (account->sync);
}

/* ---- Offline ---------------------------------------------------------------------------------- */

static void
test_offline (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("1500", NULL);
  g_autofree char *url = g_strdup (luma_test_sandbox_get_url (sb));
  g_autoptr(Account) account = account_open (url, NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) offline = NULL;
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum_before = NULL;
  g_autofree char *checksum_after = NULL;

  first = run_sync_ok (account->sync);
  wait_for_indexes (account->sync);
  checksum_before = cache_checksum (account->cache_path, FALSE, NULL);

  luma_test_sandbox_stop (g_steal_pointer (&sb));

  luma_api_client_set_retry_policy (account->client, 2, 10, 20);
  offline = run_sync (account->sync, NULL, &error);
  g_assert_null (offline);
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_NETWORK);
  g_assert_true (luma_sync_get_offline (account->sync));
  g_clear_error (&error);

  /* The cached data stays readable and unchanged. */
  subscription = luma_cache_get_subscription (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subscription);
  g_assert_cmpint (luma_cache_count_records (account->cache, LUMA_LICENSE_TYPE_SESSION, NULL),
                   ==, 1500);
  checksum_after = cache_checksum (account->cache_path, FALSE, NULL);
  g_assert_cmpstr (checksum_after, ==, checksum_before);
}

/* ---- Contacts: offline edits and conflicts ---------------------------------------------------- */

static void
test_contacts_pushed_online (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(JsonObject) server = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(GError) error = NULL;
  const char *technical[] = { "noc@acme.example", "ops@acme.example", NULL };
  const char *billing[] = { "ap@acme.example", NULL };

  first = run_sync_ok (account->sync);

  g_assert_cmpint (save_contacts (account->sync, technical, billing, &error),
                   ==, LUMA_CONTACTS_PUSHED);
  g_assert_no_error (error);

  server = server_subscription (sb);
  assert_json_strv (server, "technicalEmails", technical);
  assert_json_strv (server, "billingEmails", billing);
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pending);
  wait_for_indexes (account->sync);
}

static void
test_contacts_offline_edit_survives_restart (void)
{
  g_autofree char *db = g_build_filename (g_get_user_data_dir (), "sandbox.db", NULL);
  g_autofree char *cache_path = g_build_filename (g_get_user_cache_dir (), "restart.db", NULL);
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(Account) account = NULL;
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) later = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(JsonObject) server = NULL;
  g_autoptr(GError) error = NULL;
  const char *technical[] = { "it@acme.example", "noc@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", NULL };

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  sb = start_sandbox ("50", "--db", db, NULL);
  account = account_open (luma_test_sandbox_get_url (sb), cache_path);
  first = run_sync_ok (account->sync);
  wait_for_indexes (account->sync);

  /* The server goes away; the edit is kept and reported as queued. */
  luma_test_sandbox_stop (g_steal_pointer (&sb));
  luma_api_client_set_retry_policy (account->client, 1, 10, 10);
  g_assert_cmpint (save_contacts (account->sync, technical, billing, &error),
                   ==, LUMA_CONTACTS_QUEUED);
  g_assert_no_error (error);
  g_assert_true (luma_sync_get_offline (account->sync));

  /* The app restarts: new objects on the same file. */
  g_clear_pointer (&account, account_free);
  account = account_open ("http://127.0.0.1:9/gateway/api/v1", cache_path);
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pending);
  g_assert_true (g_strv_equal ((const char * const *) pending->technical_emails, technical));
  g_assert_true (g_strv_equal ((const char * const *) pending->billing_emails, billing));

  /* The server is back (on another port): the next sync pushes the edit first. */
  sb = start_sandbox ("50", "--db", db, NULL);
  account_reconnect (account, luma_test_sandbox_get_url (sb));
  later = run_sync_ok (account->sync);
  g_assert_true (later->contacts_pushed);
  g_assert_false (later->conflict);
  g_assert_false (later->contacts_queued);

  server = server_subscription (sb);
  assert_json_strv (server, "technicalEmails", technical);
  assert_json_strv (server, "billingEmails", billing);
  g_clear_pointer (&pending, luma_contacts_free);
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pending);
}

static void
count_signal_cb (LumaSync *sync,
                 gpointer  user_data)
{
  (*(guint *) user_data)++;
}

static void
test_contacts_conflict (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(JsonNode) control = NULL;
  g_autoptr(JsonObject) server = NULL;
  g_autoptr(GError) error = NULL;
  const char *their_billing[] = { "ap@acme.example", NULL };
  const char *my_technical[] = { "it@acme.example", "noc@acme.example", NULL };
  const char *my_billing[] = { "finance@acme.example", NULL };
  const char *resolved_billing[] = { "finance@acme.example", "ap@acme.example", NULL };
  guint conflicts = 0;

  first = run_sync_ok (account->sync);
  g_signal_connect (account->sync, "conflict", G_CALLBACK (count_signal_cb), &conflicts);

  /* Someone else changes the lists on the server after our last sync. */
  control = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                       "{\"billingEmails\": [\"ap@acme.example\"]}", NULL);

  g_assert_cmpint (save_contacts (account->sync, my_technical, my_billing, &error),
                   ==, LUMA_CONTACTS_CONFLICT);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts, ==, 1);

  /* Both versions are kept; the server still has theirs. */
  g_assert_true (luma_cache_get_conflict (account->cache, &mine, &theirs, &error));
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) mine->technical_emails, my_technical));
  g_assert_true (g_strv_equal ((const char * const *) mine->billing_emails, my_billing));
  g_assert_true (g_strv_equal ((const char * const *) theirs->billing_emails, their_billing));
  g_assert_cmpint (theirs->version, >, mine->version);
  server = server_subscription (sb);
  assert_json_strv (server, "billingEmails", their_billing);
  json_object_unref (g_steal_pointer (&server));

  /* The conflict survives a restart of the objects. */
  account_close (account);
  account->cache = luma_cache_open_path (account->cache_path, NULL, &error);
  g_assert_no_error (error);
  account_reconnect (account, luma_test_sandbox_get_url (sb));
  g_clear_pointer (&mine, luma_contacts_free);
  g_clear_pointer (&theirs, luma_contacts_free);
  g_assert_true (luma_cache_get_conflict (account->cache, &mine, &theirs, &error));

  /* Saving again is the user's resolution, based on the version they were shown. */
  g_assert_cmpint (save_contacts (account->sync, my_technical, resolved_billing, &error),
                   ==, LUMA_CONTACTS_PUSHED);
  g_assert_no_error (error);
  server = server_subscription (sb);
  assert_json_strv (server, "technicalEmails", my_technical);
  assert_json_strv (server, "billingEmails", resolved_billing);
  g_clear_pointer (&mine, luma_contacts_free);
  g_clear_pointer (&theirs, luma_contacts_free);
  g_assert_false (luma_cache_get_conflict (account->cache, &mine, &theirs, &error));
  g_assert_no_error (error);
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_null (pending);
}

/* A 412 met by a sync (the edit was queued offline): the run reports it and goes on. */
static void
test_contacts_conflict_during_sync (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("20", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) second = NULL;
  g_autoptr(LumaContacts) edit = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(LumaSubscription) cached = NULL;
  g_autoptr(JsonNode) control = NULL;
  g_autoptr(GError) error = NULL;
  const char *technical[] = { "sec@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", NULL };

  first = run_sync_ok (account->sync);
  cached = luma_cache_get_subscription (account->cache, NULL, &error);
  g_assert_no_error (error);

  /* As if saved while offline. */
  edit = luma_contacts_new (technical, billing, cached->version);
  g_assert_true (luma_cache_outbox_queue (account->cache, edit, &error));
  control = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                       "{\"technicalEmails\": [\"cto@acme.example\"]}", NULL);
  luma_test_sandbox_add_records (sb, ACME, 3);

  second = run_sync_ok (account->sync);
  g_assert_true (second->conflict);
  g_assert_false (second->contacts_pushed);
  g_assert_cmpint (second->new_records, ==, 3);
  g_assert_true (luma_cache_get_conflict (account->cache, &mine, &theirs, &error));
  g_assert_true (g_strv_equal ((const char * const *) mine->technical_emails, technical));
  g_assert_cmpstr (theirs->technical_emails[0], ==, "cto@acme.example");
  wait_for_indexes (account->sync);
}

/* Saves @first and, while its push is in flight (the sandbox holds the
 * answer) and the cache's writer is busy, @second: the case where the
 * outbox was read before the second save reached the disk. Returns both
 * outcomes. */
static void
save_twice_during_push (Account             *account,
                        LumaTestSandbox     *sb,
                        const char * const  *technical_1,
                        const char * const  *technical_2,
                        const char * const  *billing,
                        LumaContactsOutcome *outcome_1,
                        LumaContactsOutcome *outcome_2)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  luma_test_sandbox_hold_next_answer (sb);
  luma_sync_save_contacts_async (account->sync, technical_1, billing, NULL, store_result_cb, &r1);

  /* The push reached the server; its answer is held for --slow-ms. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!luma_test_sandbox_faults_used_up (sb))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  g_assert_null (r1);

  /* The second save waits for the writer until after the answer came. */
  luma_cache_hold_writer (account->cache, 2500);
  luma_sync_save_contacts_async (account->sync, technical_2, billing, NULL, store_result_cb, &r2);

  *outcome_1 = luma_sync_save_contacts_finish (account->sync, wait_for (&r1), NULL, &error);
  g_assert_no_error (error);
  *outcome_2 = luma_sync_save_contacts_finish (account->sync, wait_for (&r2), NULL, &error);
  g_assert_no_error (error);
}

/* An edit saved while the push of the one before is in flight is kept and
 * pushed next, never deleted as if it had been pushed. */
static void
test_contacts_edit_during_push (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10", "--slow-ms", "1000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) later = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(JsonObject) server = NULL;
  g_autoptr(GError) error = NULL;
  const char *technical_1[] = { "first@acme.example", NULL };
  const char *technical_2[] = { "second@acme.example", NULL };
  const char *billing[] = { "ap@acme.example", NULL };
  LumaContactsOutcome o1, o2;

  first = run_sync_ok (account->sync);
  save_twice_during_push (account, sb, technical_1, technical_2, billing, &o1, &o2);
  g_assert_cmpint (o1, ==, LUMA_CONTACTS_PUSHED);
  g_assert_cmpint (o2, ==, LUMA_CONTACTS_PUSHED);

  /* The last edit is what the server has; nothing is left to push. */
  server = server_subscription (sb);
  assert_json_strv (server, "technicalEmails", technical_2);
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pending);
  later = run_sync_ok (account->sync);
  g_assert_false (later->conflict);
  g_assert_false (later->contacts_queued);
  wait_for_indexes (account->sync);
}

/* The same during a push that meets a 412: the conflict holds the newer
 * edit, which is never overwritten or deleted. */
static void
test_contacts_edit_during_conflicting_push (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10", "--slow-ms", "1000", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(JsonNode) control = NULL;
  g_autoptr(GError) error = NULL;
  const char *technical_1[] = { "first@acme.example", NULL };
  const char *technical_2[] = { "second@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", NULL };
  LumaContactsOutcome o1, o2;

  first = run_sync_ok (account->sync);
  control = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                       "{\"billingEmails\": [\"ap@acme.example\"]}", NULL);

  save_twice_during_push (account, sb, technical_1, technical_2, billing, &o1, &o2);
  g_assert_cmpint (o1, ==, LUMA_CONTACTS_CONFLICT);
  g_assert_cmpint (o2, ==, LUMA_CONTACTS_CONFLICT);

  g_assert_true (luma_cache_get_conflict (account->cache, &mine, &theirs, &error));
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) mine->technical_emails, technical_2));
  g_assert_cmpstr (theirs->billing_emails[0], ==, "ap@acme.example");
  pending = luma_cache_outbox_peek (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pending);
}

/* ---- Subscription changes and conversations --------------------------------------------------- */

static void
test_term_change (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("100", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(LumaSyncSummary) refill = NULL;
  g_autoptr(LumaSyncSummary) term = NULL;
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(JsonNode) control = NULL;
  g_autoptr(JsonNode) control2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *body = NULL;
  gint64 start;

  first = run_sync_ok (account->sync);
  g_assert_false (first->term_changed);

  control = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                       "{\"totalPurchase\": 600000}", NULL);
  refill = run_sync_ok (account->sync);
  g_assert_true (refill->subscription_changed);
  g_assert_false (refill->term_changed);

  body = g_strdup_printf ("{\"startDate\": \"%d-01-01T00:00:00Z\", \"endDate\": \"%d-12-31T23:59:59Z\"}",
                          g_date_time_get_year (now) + 1, g_date_time_get_year (now) + 1);
  control2 = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                        body, NULL);
  term = run_sync_ok (account->sync);
  g_assert_true (term->subscription_changed);
  g_assert_true (term->term_changed);
  g_assert_false (term->license_type_changed);

  subscription = luma_cache_get_subscription (account->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (subscription->total_purchase, ==, 600000);
  {
    g_autoptr(GDateTime) next = g_date_time_new_utc (g_date_time_get_year (now) + 1, 1, 1, 0, 0, 0);

    start = g_date_time_to_unix (next);
  }
  g_assert_cmpint (subscription->start_date, ==, start);
  wait_for_indexes (account->sync);
}

static void
test_conversations (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("200", NULL);
  g_autoptr(Account) account = account_open (luma_test_sandbox_get_url (sb), NULL);
  g_autoptr(LumaSyncSummary) first = NULL;
  g_autoptr(GPtrArray) online = NULL;
  g_autoptr(GPtrArray) offline = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session_id = NULL;
  gint64 expected = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt;

  first = run_sync_ok (account->sync);
  wait_for_indexes (account->sync);

  /* A record with conversations, straight from the cache file. */
  db = open_cache_db (account->cache_path);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT session_id, conversations FROM sessions "
                                       "WHERE conversations >= 2 ORDER BY id LIMIT 1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  session_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  expected = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  luma_sync_fetch_conversations_async (account->sync, session_id, NULL, store_result_cb, &r1);
  online = luma_sync_fetch_conversations_finish (account->sync, wait_for (&r1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (online->len, ==, expected);
  for (guint i = 0; i < online->len; i++)
    {
      LumaConversation *c = g_ptr_array_index (online, i);

      g_assert_cmpstr (c->session_id, ==, session_id);
      g_assert_cmpuint (c->messages->len, >=, 2);
    }

  /* Viewed once: readable without the server. */
  luma_test_sandbox_stop (g_steal_pointer (&sb));
  luma_sync_fetch_conversations_async (account->sync, session_id, NULL, store_result_cb, &r2);
  offline = luma_sync_fetch_conversations_finish (account->sync, wait_for (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offline->len, ==, online->len);
  for (guint i = 0; i < offline->len; i++)
    {
      LumaConversation *a = g_ptr_array_index (online, i);
      LumaConversation *b = g_ptr_array_index (offline, i);

      g_assert_cmpstr (a->conversation_id, ==, b->conversation_id);
      g_assert_cmpuint (a->messages->len, ==, b->messages->len);
    }
}

int
main (int   argc,
      char *argv[])
{
  /* The system proxy settings live in GSettings schemas the test environment hides. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/sync/full", test_full_sync);
  g_test_add_func ("/sync/incremental", test_incremental_sync);
  g_test_add_func ("/sync/user-licenses", test_user_licenses);
  g_test_add_func ("/sync/invalid-cursor", test_invalid_cursor);
  g_test_add_func ("/sync/reset-replaces-rows", test_reset_replaces_rows);
  g_test_add_data_func ("/sync/faults/retried/500", "500", test_faults_retried);
  g_test_add_data_func ("/sync/faults/retried/429", "429", test_faults_retried);
  g_test_add_data_func ("/sync/faults/retried/reset", "reset", test_faults_retried);
  g_test_add_data_func ("/sync/faults/retried/truncate", "truncate", test_faults_retried);
  g_test_add_data_func ("/sync/faults/retried/garbage", "garbage", test_faults_retried);
  g_test_add_data_func ("/sync/faults/retried/slow", "slow", test_faults_retried);
  g_test_add_data_func ("/sync/faults/exhausted/500", "500", test_faults_exhausted);
  g_test_add_data_func ("/sync/faults/exhausted/reset", "reset", test_faults_exhausted);
  g_test_add_data_func ("/sync/faults/exhausted/garbage", "garbage", test_faults_exhausted);
  g_test_add_data_func ("/sync/faults/exhausted/slow", "slow", test_faults_exhausted);
  g_test_add_func ("/sync/cancel", test_cancel);
  g_test_add_func ("/sync/busy", test_busy);
  g_test_add_func ("/sync/offline", test_offline);
  g_test_add_func ("/sync/contacts/online", test_contacts_pushed_online);
  g_test_add_func ("/sync/contacts/offline-edit-survives-restart",
                   test_contacts_offline_edit_survives_restart);
  g_test_add_func ("/sync/contacts/conflict", test_contacts_conflict);
  g_test_add_func ("/sync/contacts/conflict-during-sync", test_contacts_conflict_during_sync);
  g_test_add_func ("/sync/contacts/edit-during-push", test_contacts_edit_during_push);
  g_test_add_func ("/sync/contacts/edit-during-conflicting-push",
                   test_contacts_edit_during_conflicting_push);
  g_test_add_func ("/sync/term-change", test_term_change);
  g_test_add_func ("/sync/conversations", test_conversations);

  return g_test_run ();
}
