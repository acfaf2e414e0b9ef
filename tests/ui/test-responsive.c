/* test-responsive.c: the window stays responsive while a sync stalls, and Stop ends it at once
 *
 * The sandbox answers every API request 50 ms late (--latency) and holds a `slow` answer for
 * ten minutes (--slow-ms). The real window syncs a tenant; a second sync follows the feed in
 * small pages and commits every two of them, until one page of the feed is held by the slow
 * fault. While it is held:
 *
 * - the main loop keeps running: a 10 ms timeout keeps firing, and switching pages paints
 *   new frames (counts, not timings);
 * - win.cancel-sync is enabled and its Stop button is shown, named for screen readers.
 *
 * Then win.cancel-sync ends the sync as cancelled while the slow answer is still outstanding
 * (were the request not aborted, the wait would run into the test's time-out; the client's
 * own 30 s time-out would end in an offline banner, not in "Sync stopped"). The cache holds
 * exactly the committed prefix of the feed: whole batches, and the stored cursor's position
 * in the sandbox's feed equals the number of cached rows. Finally a Refresh against the
 * healthy sandbox resumes from that cursor (it receives only the rest) and the cache equals
 * the sandbox record for record.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-history-page-private.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"

#include "../integration/sync-util.h"

#define TENANT     "steady"
#define TENANT_KEY "steady-key-ui"
#define SEED       3000
#define ADDED      6000
#define PAGE       500
#define BATCH      1000
#define STOPPED    "Sync stopped. Refresh to continue."

static LumaTestSandbox *sandbox;

/* ---- Helpers -------------------------------------------------------------------------------- */

static gboolean
window_ready (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data)) &&
         !luma_sync_get_running (luma_window_get_sync (LUMA_WINDOW (data)));
}

static gboolean
sync_idle (gpointer data)
{
  return !luma_sync_get_running (LUMA_SYNC (data));
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

static gint64
sandbox_records (void)
{
  gint64 records = 0;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sandbox, TENANT, &records, NULL);

  return records;
}

/* The feed after @cursor, as the sandbox tells it: the records of its first page (their
 * session ids stored in @ids) plus those it says remain. */
static gint64
feed_after (const char *cursor,
            GPtrArray  *ids)
{
  g_autoptr(LumaTestResponse) r = luma_test_sandbox_get_feed_page (sandbox, TENANT, TENANT_KEY, cursor);
  JsonObject *result = luma_test_response_get_result (r);
  JsonArray *items = json_object_get_array_member (result, "items");

  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_array_get_object_element (items, i),
                                                                   "sessionId")));
  return json_array_get_length (items) + json_object_get_int_member (result, "remaining");
}

/* How many of @ids the cache file holds. */
static guint
cached_among (const char *path,
              GPtrArray  *ids)
{
  sqlite3 *db = open_cache_db (path);
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  g_assert_nonnull (db);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT 1 FROM sessions WHERE session_id = ?", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < ids->len; i++)
    {
      sqlite3_bind_text (stmt, 1, g_ptr_array_index (ids, i), -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        n++;
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* ---- Stalling the feed ---------------------------------------------------------------------- */

typedef struct
{
  gboolean armed;      /* the slow fault was set */
  guint    ticks;      /* of a 10 ms timeout */
  guint    paints;     /* frames of the window */
} Watch;

/* Once two batches were received, the next request of the feed is held for ten minutes. */
static void
done_cb (LumaSync   *sync,
         GParamSpec *pspec,
         Watch      *watch)
{
  if (watch->armed || luma_sync_get_done (sync) < 2 * BATCH)
    return;
  watch->armed = TRUE;
  luma_test_sandbox_hold_next_answer (sandbox);
}

/* The slow fault hit a request (a fault with a count goes once it is used up). */
static gboolean
slow_answer_held (gpointer data)
{
  Watch *watch = data;

  return watch->armed && luma_test_sandbox_faults_used_up (sandbox);
}

static gboolean
tick_cb (gpointer data)
{
  ((Watch *) data)->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Watch         *watch)
{
  watch->paints++;
}

typedef struct
{
  Watch     *watch;
  guint      paints;
  GtkWidget *page;
} PageShown;

static gboolean
page_painted (gpointer data)
{
  PageShown *shown = data;

  return gtk_widget_get_mapped (shown->page) && shown->watch->paints > shown->paints;
}

static gboolean
ticked (gpointer data)
{
  return ((Watch *) data)->ticks >= 25;
}

/* ---- The test ------------------------------------------------------------------------------- */

static void
test_stop_stalled_sync (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (sandbox), TENANT);
  g_autoptr(GPtrArray) after_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *path = NULL;
  const char *pages[] = { "history", "purchases", "subscription" };
  Watch watch = { 0 };
  LumaWindow *window;
  LumaSync *sync;
  GtkWidget *stop;
  GdkFrameClock *clock;
  gulong done_handler, paint_handler;
  guint tick_id;
  gint64 total, kept, after;

  /* A first sync that ends normally. */
  luma_account_set_secret (account, TENANT_KEY);
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  sync = luma_window_get_sync (window);
  path = g_strdup (luma_cache_get_path (luma_window_get_cache (window)));
  g_assert_cmpint (count_cache_rows (path, "sessions"), ==, SEED);

  /* Nothing to stop: the Stop button is hidden and its action disabled. */
  stop = luma_ui_test_find_action_button (GTK_WIDGET (window), "win.cancel-sync");
  g_assert_nonnull (stop);
  g_assert_false (gtk_widget_get_visible (stop));
  g_assert_false (gtk_widget_is_sensitive (stop));

  /* New records; the next sync takes them in pages of 500, committed two by two. */
  luma_test_sandbox_add_records (sandbox, TENANT, ADDED);
  total = sandbox_records ();
  g_assert_cmpint (total, ==, SEED + ADDED);
  luma_sync_set_page_limit (sync, PAGE);
  luma_sync_set_batch_rows (sync, BATCH);
  done_handler = g_signal_connect (sync, "notify::done", G_CALLBACK (done_cb), &watch);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_sync_get_running (sync));
  g_assert_true (luma_ui_test_wait (slow_answer_held, &watch, 60));
  g_signal_handler_disconnect (sync, done_handler);
  g_assert_true (luma_sync_get_running (sync));
  g_assert_cmpint (luma_sync_get_phase (sync), ==, LUMA_SYNC_PHASE_CONSUMPTION);

  /* While the answer is held: Stop is offered, with a name and a tooltip. */
  luma_ui_test_flush ();
  g_assert_true (gtk_widget_get_visible (stop));
  g_assert_true (gtk_widget_is_sensitive (stop));
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (stop),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL));
  g_assert_nonnull (gtk_widget_get_tooltip_text (stop));

  /* ... the main loop runs: a timeout fires, and each page switched to is painted. */
  tick_id = g_timeout_add (10, tick_cb, &watch);
  g_assert_true (luma_ui_test_wait (ticked, &watch, 30));
  g_source_remove (tick_id);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  paint_handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &watch);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      PageShown shown = { &watch, watch.paints, luma_window_get_page_widget (window, pages[i]) };

      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", pages[i]);
      g_assert_true (luma_ui_test_wait (page_painted, &shown, 30));
    }
  g_signal_handler_disconnect (clock, paint_handler);
  g_assert_true (luma_sync_get_running (sync));

  /* Stop: the sync ends cancelled while the answer is still held (for ten minutes). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-sync", NULL));
  g_assert_true (luma_ui_test_wait (sync_idle, sync, 60));
  g_assert_cmpint (luma_sync_get_phase (sync), ==, LUMA_SYNC_PHASE_IDLE);
  luma_ui_test_flush ();
  /* A calm word, not an error, and no offline banner. */
  g_assert_cmpstr (luma_window_get_last_toast (window), ==, STOPPED);
  g_assert_false (luma_window_get_offline (window));
  g_assert_true (luma_window_get_ready (window));
  g_assert_false (gtk_widget_get_visible (stop));
  g_assert_false (gtk_widget_is_sensitive (stop));

  /* The committed prefix: whole batches, at least the two received before the stall, and
   * the stored cursor sits right after the cached rows in the sandbox's feed. */
  kept = count_cache_rows (path, "sessions");
  g_test_message ("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " records kept", kept, total);
  g_assert_cmpint (kept, >=, SEED + 2 * BATCH);
  g_assert_cmpint (kept, <, total);
  g_assert_cmpint ((kept - SEED) % BATCH, ==, 0);
  cursor = luma_cache_get_cursor (luma_window_get_cache (window), &error);
  g_assert_no_error (error);
  g_assert_nonnull (cursor);
  after = feed_after (cursor, after_ids);
  g_assert_cmpint (kept + after, ==, total);
  g_assert_cmpuint (after_ids->len, >, 0);
  g_assert_cmpuint (cached_among (path, after_ids), ==, 0);

  /* A healthy server again: Refresh resumes from the cursor and completes the cache. */
  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_sync_get_running (sync));
  g_assert_true (luma_ui_test_wait (sync_idle, sync, 60));
  g_assert_cmpint (luma_sync_get_done (sync), ==, total - kept);
  g_assert_false (luma_window_get_offline (window));
  g_assert_cmpstr (luma_window_get_last_toast (window), ==, STOPPED);
  assert_cache_matches_sandbox (path, sandbox, TENANT, FALSE);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  luma_ui_test_init (&argc, &argv);

  sandbox = luma_test_sandbox_start ("--tenant", TENANT,
                                     "--api-key", TENANT_KEY,
                                     "--license-model", "session",
                                     "--licenses", "100000",
                                     "--seed", G_STRINGIFY (SEED),
                                     "--latency", "50",
                                     "--slow-ms", "600000",
                                     NULL);

  g_test_add_func ("/ui/responsive/stop-stalled-sync", test_stop_stalled_sync);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
