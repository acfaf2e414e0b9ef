/* bench-responsive.c: the window's main loop during a sync under faults, and how fast Stop acts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-responsive [--records N] [--sync-records N] [--slow-rate R] [--slow-ms MS] [--runs N]
 *
 * Builds a cache of N session records, opens the real window on its History page against a
 * sandbox that answers every request 50 ms late (--latency 50) and holds a share of the
 * answers (--fault slow:R, --slow-ms MS), and measures with a 5 ms heartbeat the longest
 * main-loop gap:
 *
 * 1. during a sync that brings --sync-records new records through those faults;
 * 2. during a sync whose feed is held (a slow answer of ten minutes), then the time from
 *    activating win.cancel-sync to the end of the sync (LumaSync:running false), to the
 *    window's completion callback (its "Sync stopped" message) and to the first frame painted
 *    after it;
 * 3. the same Stop in the middle of a flowing sync (pages arriving and being committed).
 *
 * Prints a table with the renderer GTK picked (set GSK_RENDERER to choose). Needs a display
 * (Xvfb), LUMA_SANDBOX and GSETTINGS_SCHEMA_DIR: build-aux/bench responsive sets them. Not a
 * test: nothing fails on timing.
 */

#include "config.h"

#include "bench-util.h"
#include "luma-window-private.h"

#define MAX_WAIT_S 300
#define STOPPED    "Sync stopped. Refresh to continue."

/* ---- The cache ------------------------------------------------------------------------------ */

/* @data: the first record's time (gint64 *). */
static LumaSessionRecord *
make_record (guint    i,
             guint    n,
             gpointer data)
{
  gint64 first_time = *(gint64 *) data;
  static const char *const names[] = { "Ana Müller", "Bruno Garcia", "Chen Wei", "Dana Khan",
                                       "Elif Yılmaz", "Søren Ærø", "O'Neil, Ana", "José Ñúñez" };
  LumaSessionRecord *r = luma_session_record_new ();
  guint32 h = bench_mix (i * 2654435761u + 17);

  r->session_id = g_strdup_printf ("B-%08u", i);
  r->started_on = first_time + i * 60 + h % 60;
  r->user_name = g_strdup_printf ("%s %u", names[h % G_N_ELEMENTS (names)], (h >> 8) % 5000);
  r->email = g_strdup_printf ("user%u@bench.example", (h >> 8) % 5000);
  r->role = (h >> 4) % LUMA_N_ROLES;
  r->channel = (h >> 12) % LUMA_N_CHANNELS;
  r->initiated_by = (h >> 16) % 100 < 12 ? LUMA_INITIATED_BY_AGENT : LUMA_INITIATED_BY_END_USER;
  if (r->initiated_by == LUMA_INITIATED_BY_AGENT)
    r->agent_name = g_strdup_printf ("Agent %u", (h >> 20) % 25);
  r->conversations = 1 + (h >> 24) % 6;
  return r;
}

static void
build_cache (LumaTestSandbox *sandbox,
             guint            n)
{
  /* The cursor at the end of the sandbox's feed: the cache then looks synced. */
  g_autofree char *cursor = luma_test_sandbox_get_feed_end (sandbox, BENCH_TENANT, BENCH_API_KEY);
  gint64 first_time = g_get_real_time () / G_USEC_PER_SEC - (gint64) n * 60 - 3600;
  double written_s, indexed_s;

  bench_build_cache (luma_test_sandbox_get_url (sandbox), n, make_record, &first_time, cursor,
                     &written_s, &indexed_s);
  g_print ("cache: %u records written and indexed in %.1f s\n", n, indexed_s);
}

/* ---- The main loop --------------------------------------------------------------------------- */

static gint64      paint_last;
static gint64      running_false;
static gint64      ready_notified;  /* the window's completion callback ends with it */
static LumaWindow *window;

static void
after_paint_cb (void)
{
  paint_last = g_get_monotonic_time ();
}

static void
running_cb (LumaSync *sync)
{
  if (!luma_sync_get_running (sync))
    running_false = g_get_monotonic_time ();
}

static void
ready_cb (void)
{
  if (ready_notified == 0)
    ready_notified = g_get_monotonic_time ();
}

static gboolean
sync_idle (gpointer data)
{
  LumaSync *sync = luma_window_get_sync (window);

  return luma_window_get_ready (window) && sync != NULL && !luma_sync_get_running (sync) &&
         !luma_sync_get_indexing (sync);
}

static gboolean
sync_done_at_least (gpointer data)
{
  LumaSync *sync = luma_window_get_sync (window);

  return !luma_sync_get_running (sync) || luma_sync_get_done (sync) >= GPOINTER_TO_INT (data);
}

/* ---- Results --------------------------------------------------------------------------------- */

typedef struct
{
  char  *name;
  double duration_ms;   /* the sync, or the stop: to LumaSync:running false */
  double callback_ms;   /* stop: to the window's completion callback */
  double painted_ms;    /* stop: to the first frame after it */
  double max_gap_ms;
  guint  n_long_gaps;
  gint64 received;
} Result;

static GPtrArray *results;

static void
result_free (gpointer data)
{
  Result *r = data;

  g_free (r->name);
  g_free (r);
}

static Result *
result_new (const char *name)
{
  Result *r = g_new0 (Result, 1);

  r->name = g_strdup (name);
  r->callback_ms = -1;
  r->painted_ms = -1;
  g_ptr_array_add (results, r);
  return r;
}

/* ---- The steps ------------------------------------------------------------------------------- */

static LumaTestSandbox *sandbox;

static void
measure_sync (guint new_records)
{
  g_autofree char *name = g_strdup_printf ("sync of %u new records under faults", new_records);
  Result *r = result_new (name);
  LumaSync *sync = luma_window_get_sync (window);
  gint64 t0;

  luma_test_sandbox_add_records (sandbox, BENCH_TENANT, new_records);
  bench_spin_for (200 * 1000);
  t0 = g_get_monotonic_time ();
  bench_heartbeat_reset ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  if (!bench_spin_until (sync_idle, NULL, MAX_WAIT_S))
    g_error ("the sync did not end");
  r->duration_ms = (g_get_monotonic_time () - t0) / 1e3;
  r->received = luma_sync_get_done (sync);
  bench_heartbeat_max_gap (t0, g_get_monotonic_time (), &r->max_gap_ms, &r->n_long_gaps);
  g_print ("  %s: %.1f s\n", name, r->duration_ms / 1e3);
}

typedef struct
{
  gboolean armed;
  gint64   after;
} Arm;

static void
arm_cb (LumaSync   *sync,
        GParamSpec *pspec,
        Arm        *arm)
{
  if (arm->armed || luma_sync_get_done (sync) < arm->after)
    return;
  arm->armed = TRUE;
  luma_test_sandbox_hold_next_answer (sandbox);
}

static gboolean
slow_answer_held (gpointer data)
{
  Arm *arm = data;

  if (!arm->armed)
    return !luma_sync_get_running (luma_window_get_sync (window));
  return luma_test_sandbox_faults_used_up (sandbox);
}

/* @held: the feed is held by a slow answer when Stop comes; otherwise pages are flowing. */
static void
measure_stop (gboolean held,
              guint    run)
{
  g_autofree char *name = g_strdup_printf ("stop, %s (run %u)",
                                           held ? "feed held by a slow answer" : "pages flowing", run);
  Result *r = result_new (name);
  LumaSync *sync = luma_window_get_sync (window);
  Arm arm = { FALSE, 2000 };
  gulong handler = 0;
  gint64 t_start, t0, t_callback = 0, t_painted = 0;

  /* Quiet first: the faults of the sandbox's command line off, a stop message not shown. */
  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  luma_test_sandbox_add_records (sandbox, BENCH_TENANT, 20000);
  bench_spin_for (200 * 1000);

  t_start = g_get_monotonic_time ();
  bench_heartbeat_reset ();
  if (held)
    {
      json_node_unref (luma_test_sandbox_control (sandbox, "PUT", "/sandbox/faults",
                                                  "{\"slowMs\": 600000}", NULL));
      handler = g_signal_connect (sync, "notify::done", G_CALLBACK (arm_cb), &arm);
    }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  if (held)
    {
      if (!bench_spin_until (slow_answer_held, &arm, MAX_WAIT_S) || !arm.armed)
        g_error ("the feed was not held");
      g_signal_handler_disconnect (sync, handler);
      /* From here on: the bench's own requests to the sandbox (above) block the main loop. */
      t_start = g_get_monotonic_time ();
      bench_heartbeat_reset ();
      /* Held for a while: the main loop meanwhile is part of the figure. */
      bench_spin_for (500 * 1000);
    }
  else if (!bench_spin_until (sync_done_at_least, GINT_TO_POINTER (5000), MAX_WAIT_S) || !luma_sync_get_running (sync))
    {
      g_error ("the sync ended before it could be stopped");
    }

  running_false = 0;
  ready_notified = 0;
  t0 = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-sync", NULL);
  while (g_get_monotonic_time () - t0 < (gint64) MAX_WAIT_S * G_USEC_PER_SEC)
    {
      g_main_context_iteration (NULL, TRUE);
      if (ready_notified != 0 && paint_last > ready_notified)
        {
          t_painted = paint_last;
          break;
        }
    }
  t_callback = ready_notified;
  if (running_false == 0 || t_callback == 0 ||
      g_strcmp0 (luma_window_get_last_toast (window), STOPPED) != 0)
    g_error ("the stop did not end the sync as stopped");

  r->duration_ms = (running_false - t0) / 1e3;
  r->callback_ms = (t_callback - t0) / 1e3;
  r->painted_ms = t_painted > 0 ? (t_painted - t0) / 1e3 : -1;
  r->received = luma_sync_get_done (sync);
  bench_heartbeat_max_gap (t_start, g_get_monotonic_time (), &r->max_gap_ms, &r->n_long_gaps);
  g_print ("  %s: stopped after %.1f ms\n", name, r->callback_ms);

  /* Back to a complete cache, so the next run starts from the same state. */
  luma_test_sandbox_set_faults (sandbox, "{\"slowMs\": 1000, \"faults\": []}");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  if (!bench_spin_until (sync_idle, NULL, MAX_WAIT_S))
    g_error ("the sync after the stop did not end");
}

static void
print_table (const char *renderer,
             guint       records,
             double      slow_rate,
             guint       slow_ms)
{
  g_print ("\n%-46s %9s %11s %11s %11s %9s %7s\n", "step", "received", "sync/stop", "callback",
           "painted", "stall ms", "> 50 ms");
  for (guint i = 0; i < results->len; i++)
    {
      Result *r = g_ptr_array_index (results, i);

      g_print ("%-46s %9" G_GINT64_FORMAT " %8.1f ms %8.1f ms %8.1f ms %9.0f %7u\n", r->name,
               r->received, r->duration_ms, r->callback_ms, r->painted_ms, r->max_gap_ms,
               r->n_long_gaps);
    }
  g_print ("(renderer %s; the History page open over %u cached records; sandbox --latency 50, "
           "slow faults at rate %.2f holding %u ms for the sync row; sync/stop: the whole sync, or "
           "from activating win.cancel-sync to LumaSync:running false; callback: to the window's "
           "completion callback; painted: to the next frame; stall ms: longest main-loop gap of "
           "a 5 ms heartbeat over the step, goal %.0f ms; -1: not applicable)\n",
           renderer, records, slow_rate, slow_ms, BENCH_STALL_MS);
}

int
main (int   argc,
      char *argv[])
{
  gint records = 200000;
  gint sync_records = 20000;
  gint runs = 3;
  gint slow_ms = 1000;
  double slow_rate = 0.05;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Session records in the cache (default 200000)", "N" },
    { "sync-records", 0, 0, G_OPTION_ARG_INT, &sync_records, "New records of the measured sync (default 20000)", "N" },
    { "slow-rate", 0, 0, G_OPTION_ARG_DOUBLE, &slow_rate, "Share of answers held during that sync (default 0.05)", "R" },
    { "slow-ms", 0, 0, G_OPTION_ARG_INT, &slow_ms, "How long they are held (default 1000)", "MS" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Stops measured of each kind (default 3)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark the main loop during a sync and Stop");
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApplication) app = NULL;
  g_autofree char *home = NULL;
  g_autofree char *latency = g_strdup ("50");
  g_autofree char *fault = NULL;
  g_autofree char *slow = NULL;
  g_autofree char *renderer = NULL;
  char rate_text[G_ASCII_DTOSTR_BUF_SIZE];

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  /* A private cache folder and settings in memory, before anything reads them. */
  home = bench_make_private_home ("bench-responsive-XXXXXX");

  fault = g_strdup_printf ("slow:%s", g_ascii_formatd (rate_text, sizeof rate_text, "%g", slow_rate));
  slow = g_strdup_printf ("%d", slow_ms);
  sandbox = bench_start_sandbox ((const char *[]) { "--latency", latency, "--fault", fault,
                                                    "--slow-ms", slow, NULL });
  build_cache (sandbox, records);

  bench_init_gtk ("responsive");
  results = g_ptr_array_new_with_free_func (result_free);
  app = bench_application_new ();
  bench_heartbeat_start ();

  window = bench_open_window (app, sandbox);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
  if (!bench_spin_until (sync_idle, NULL, MAX_WAIT_S))
    g_error ("the window did not get ready (first sync)");
  g_signal_connect (luma_window_get_sync (window), "notify::running", G_CALLBACK (running_cb), NULL);
  g_signal_connect (window, "notify::ready", G_CALLBACK (ready_cb), NULL);
  luma_window_show_page (window, "history");
  bench_spin_for (1000 * 1000);
  renderer = g_strdup (G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));

  g_print ("steps:\n");
  measure_sync (sync_records);
  for (gint i = 1; i <= runs; i++)
    measure_stop (TRUE, i);
  for (gint i = 1; i <= runs; i++)
    measure_stop (FALSE, i);

  print_table (renderer, records, slow_rate, slow_ms);
  bench_print_renderer (renderer);

  gtk_window_destroy (GTK_WINDOW (window));
  bench_spin_for (300 * 1000);
  luma_test_sandbox_stop (sandbox);
  g_clear_object (&app);
  bench_remove_tree (home);
  return 0;
}
