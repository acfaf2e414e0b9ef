/* bench-history.c: the history view of the real window over a large cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-history [--records N] [--sync-records N] [--template FILE]
 *
 * Builds a cache of N session records with the cache's bulk API, points the
 * app at it (a private XDG_CACHE_HOME and a sandbox with the same tenant, so
 * the sync at start finds nothing new), opens the real window and times, each
 * until the frame with the new rows is painted (the frame clock's
 * "after-paint"): opening the history page, a re-sort by every column, date
 * filters and searches, and a sync that brings new records. A 5 ms heartbeat
 * measures the longest main-loop stall of each step. Prints a table; the
 * renderer is the one GTK picked (set GSK_RENDERER to choose).
 *
 * Needs a display (Xvfb), LUMA_SANDBOX and GSETTINGS_SCHEMA_DIR: build-aux/bench
 * sets them. Not a test: nothing fails on timing.
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "bench-util.h"
#include "luma-history-page-private.h"
#include "luma-cache-private.h"
#include "luma-window-private.h"
#include "luma-ui-test.h"

#define GOAL_MS    300.0
#define QUIET_US   (400 * 1000)        /* no frame and no change for this long: settled */
#define MAX_WAIT_S 120

/* ---- Watching the window ------------------------------------------------------------------- */

typedef struct
{
  gint64  t;
  guint   n_items;
  double  adj;
  guint   rows;
  gboolean mapped;
  double  cpu;
  double  main_cpu;
} Paint;

static GArray     *paints;       /* Paint */
static gint64      last_change;  /* the last items-changed that inserted rows */
static gint64      last_history_changed;
static gint64      last_scroll;  /* the last change of the list's adjustment */
static gboolean    show_history_pending;
static GArray     *events;       /* gint64 times of LumaCache::history-changed */
static LumaWindow *window;
static LumaHistoryPage *page;
static GtkWidget  *list_view;

static GtkAdjustment *
vadjustment (void)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (luma_history_page_get_view (page)));
}

static guint
n_items (void)
{
  LumaHistoryModel *model = luma_history_page_get_model (page);

  return model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (model)) : 0;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  Paint p = { 0 };

  p.t = g_get_monotonic_time ();
  p.cpu = bench_process_cpu_ms ();
  p.main_cpu = bench_thread_cpu_ms ();
  p.mapped = gtk_widget_get_mapped (GTK_WIDGET (page));
  p.n_items = n_items ();
  p.adj = gtk_adjustment_get_value (vadjustment ());
  if (list_view == NULL)
    list_view = luma_ui_test_find_descendant (GTK_WIDGET (luma_history_page_get_view (page)),
                                              GTK_TYPE_LIST_VIEW);
  if (list_view != NULL)
    for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
         child = gtk_widget_get_next_sibling (child))
      if (gtk_widget_get_mapped (child) && gtk_widget_get_height (child) > 0)
        p.rows++;
  g_array_append_val (paints, p);
}

static void
adjustment_changed_cb (void)
{
  last_scroll = g_get_monotonic_time ();
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added)
{
  last_change = g_get_monotonic_time ();
}

/* The model updates the rows a view holds in place and announces only a
 * change of length: the end of a query is when the page stops being busy. */
static void
busy_changed_cb (GObject    *object,
                 GParamSpec *pspec)
{
  if (!luma_history_page_get_busy (LUMA_HISTORY_PAGE (object)))
    last_change = g_get_monotonic_time ();
}

static void
history_changed_cb (void)
{
  gint64 now = g_get_monotonic_time ();

  last_history_changed = now;
  g_array_append_val (events, now);
}

static LumaHistoryModel *watched_model;
static LumaCache *watched_cache;
static LumaHistoryPage *watched_page;

/* Follows the page's model and the cache (both are new after the window opens a tenant). */
static void
watch (void)
{
  LumaHistoryModel *model = luma_history_page_get_model (page);
  LumaCache *cache = luma_window_get_cache (window);

  if (page != watched_page)
    {
      if (watched_page != NULL)
        g_signal_handlers_disconnect_by_func (watched_page, busy_changed_cb, NULL);
      g_set_object (&watched_page, page);
      if (page != NULL)
        g_signal_connect (page, "notify::busy", G_CALLBACK (busy_changed_cb), NULL);
    }
  if (model != watched_model)
    {
      if (watched_model != NULL)
        g_signal_handlers_disconnect_by_func (watched_model, items_changed_cb, NULL);
      g_set_object (&watched_model, model);
      if (model != NULL)
        g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), NULL);
    }
  if (cache != watched_cache)
    {
      if (watched_cache != NULL)
        g_signal_handlers_disconnect_by_func (watched_cache, history_changed_cb, NULL);
      g_set_object (&watched_cache, cache);
      if (cache != NULL)
        g_signal_connect (cache, "history-changed", G_CALLBACK (history_changed_cb), NULL);
    }
}

static void
close_window (void)
{
  if (watched_model != NULL)
    g_signal_handlers_disconnect_by_func (watched_model, items_changed_cb, NULL);
  if (watched_cache != NULL)
    g_signal_handlers_disconnect_by_func (watched_cache, history_changed_cb, NULL);
  if (watched_page != NULL)
    g_signal_handlers_disconnect_by_func (watched_page, busy_changed_cb, NULL);
  g_clear_object (&watched_page);
  g_clear_object (&watched_model);
  g_clear_object (&watched_cache);
  gtk_window_destroy (GTK_WINDOW (window));
  window = NULL;
  page = NULL;
  list_view = NULL;
}

/* One main loop iteration, then follow what the window did. */
static void
iterate (void)
{
  g_main_context_iteration (NULL, TRUE);
  if (window == NULL)
    return;
  watch ();
  /* The tenant's pages exist once the cache is open (asynchronously). */
  if (show_history_pending && g_strcmp0 (luma_window_get_page (window), "tenant") == 0)
    {
      show_history_pending = FALSE;
      luma_window_show_page (window, "history");
    }
}

static gboolean
window_ready (gpointer data)
{
  return luma_window_get_ready (window) && !luma_history_page_get_busy (page) &&
         !luma_sync_get_running (luma_window_get_sync (window));
}

/* Frames of the history page painted after @t. */
static guint
paints_after (gint64 t)
{
  guint n = 0;

  for (guint i = paints->len; i > 0; i--)
    {
      Paint *p = &g_array_index (paints, Paint, i - 1);

      if (p->t <= t)
        break;
      if (p->mapped)
        n++;
    }
  return n;
}

static gint64
last_paint (void)
{
  for (guint i = paints->len; i > 0; i--)
    {
      Paint *p = &g_array_index (paints, Paint, i - 1);

      if (p->mapped)
        return p->t;
    }
  return 0;
}

/* Runs until the rows and the scroll position did not change for QUIET_US,
 * no query runs and three frames of the history page were painted since the
 * last change (the page puts the scroll position back two frames after new
 * rows), or @max_s passed. Frames alone do not count: a focused entry's
 * blinking cursor paints all the time. */
static void
settle (guint max_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) max_s * G_USEC_PER_SEC;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 last = MAX (last_change, last_scroll);

      if (page == NULL || now > end)
        return;
      if (now - last > QUIET_US && !luma_history_page_get_busy (page) &&
          (!gtk_widget_get_mapped (GTK_WIDGET (page)) || paints_after (last) >= 3))
        return;
      iterate ();
    }
}

/* ---- One measured step ----------------------------------------------------------------------- */

typedef enum
{
  SELECTION_NONE,
  SELECTION_CHECK,   /* the selected row must stay at the same height on the screen */
  SELECTION_FILTER,  /* a filter: the list starts at the top, the selected row stays selected if it matches */
} SelectionCheck;

typedef struct
{
  char    *name;
  gboolean ok;
  double   model_ms;    /* until the model had the new rows (the query's answer) */
  double   painted_ms;  /* until the frame with them was painted */
  double   cpu_ms;      /* process CPU (all threads) over that time */
  double   main_cpu_ms; /* main thread CPU over that time */
  double   max_gap_ms;
  guint    n_long_gaps;
  guint    rows;
  double   goal_ms;
  char    *selection;
  long     rss_anon_kib;
} Result;

static GPtrArray *results;

static void
result_free (gpointer data)
{
  Result *r = data;

  g_free (r->name);
  g_free (r->selection);
  g_free (r);
}

typedef struct
{
  gint64 row_id;       /* selected row, -1 for none */
  double screen_row;   /* its row on the screen (0 = top) */
  guint  top;
} Position;

static double
row_height (void)
{
  guint n = n_items ();

  return n > 0 ? gtk_adjustment_get_upper (vadjustment ()) / n : 0;
}

static GtkSingleSelection *
selection (void)
{
  return GTK_SINGLE_SELECTION (gtk_column_view_get_model (luma_history_page_get_view (page)));
}

static Position
get_position (void)
{
  Position pos = { -1, 0, 0 };
  double h;
  guint sel;

  if (page == NULL)
    return pos;
  h = row_height ();
  sel = gtk_single_selection_get_selected (selection ());
  if (h > 0)
    pos.top = (guint) (gtk_adjustment_get_value (vadjustment ()) / h + 0.5);
  if (sel != GTK_INVALID_LIST_POSITION && h > 0)
    {
      pos.row_id = luma_history_model_get_row_id (luma_history_page_get_model (page), sel);
      pos.screen_row = sel - gtk_adjustment_get_value (vadjustment ()) / h;
    }
  return pos;
}

static char *
describe_selection (SelectionCheck  check_kind,
                    const Position *before,
                    const Position *after)
{
  if (check_kind == SELECTION_NONE || before->row_id < 0)
    return g_strdup ("-");
  if (after->row_id != before->row_id)
    return g_strdup_printf ("lost (top row %u)", after->top);
  if (check_kind == SELECTION_CHECK)
    {
      if (fabs (after->screen_row - before->screen_row) < 0.5)
        return g_strdup_printf ("kept, same place (row %.0f on screen)", after->screen_row);
      return g_strdup_printf ("kept, moved: row %.1f -> %.1f on screen", before->screen_row, after->screen_row);
    }
  return g_strdup_printf ("kept, %s (top row %u)",
                          after->screen_row >= 0 && after->screen_row < 20 ? "visible" : "off screen",
                          after->top);
}

/* @trigger starts the step; @need_change: it replaces the rows (a query);
 * otherwise the first frame with rows of the shown page ends it. */
static Result *
measure (const char     *name,
         void          (*trigger) (gpointer data),
         gpointer        data,
         gboolean        need_change,
         SelectionCheck  check_kind,
         double          goal_ms)
{
  Result *r = g_new0 (Result, 1);
  Position before, after;
  gint64 t0, t_model = 0, t_done = 0;
  double cpu0, main_cpu0, cpu_done = 0, main_cpu_done = 0;
  guint final_n;
  double final_adj;

  settle (10);
  before = get_position ();
  g_array_set_size (paints, 0);
  last_change = 0;
  last_scroll = 0;

  /* A gap that began before the step (the bench's own set-up) is not the step's. */
  bench_heartbeat_reset ();
  t0 = g_get_monotonic_time ();
  cpu0 = bench_process_cpu_ms ();
  main_cpu0 = bench_thread_cpu_ms ();
  trigger (data);
  watch ();

  /* Until the step's answer arrived, then until the view is quiet. */
  {
    gint64 end = t0 + (gint64) MAX_WAIT_S * G_USEC_PER_SEC;

    while (g_get_monotonic_time () < end &&
           (show_history_pending || luma_history_page_get_busy (page) ||
            (need_change && last_change < t0) || last_paint () < t0))
      iterate ();
  }
  t_model = last_change;
  settle (10);

  final_n = n_items ();
  final_adj = gtk_adjustment_get_value (vadjustment ());
  for (guint i = 0; i < paints->len; i++)
    {
      Paint *p = &g_array_index (paints, Paint, i);

      if (p->t < t0 || (need_change && p->t < t_model) || !p->mapped)
        continue;
      if (p->n_items != final_n || fabs (p->adj - final_adj) > 0.5 || (final_n > 0 && p->rows == 0))
        continue;
      t_done = p->t;
      cpu_done = p->cpu;
      main_cpu_done = p->main_cpu;
      break;
    }

  if (g_getenv ("BENCH_HISTORY_DEBUG") != NULL)
    {
      g_print ("    final: %u rows, value %.1f, model at +%.0f ms\n", final_n, final_adj,
               t_model >= t0 ? (t_model - t0) / 1e3 : -1.0);
      bench_heartbeat_print_stalls (t0, g_get_monotonic_time ());
      for (guint i = 0; i < paints->len; i++)
        {
          Paint *p = &g_array_index (paints, Paint, i);

          g_print ("    paint +%.0f ms: %u rows, value %.1f, %u row widgets%s\n", (p->t - t0) / 1e3,
                   p->n_items, p->adj, p->rows, p->mapped ? "" : ", page not mapped");
        }
    }

  after = get_position ();
  r->name = g_strdup (name);
  r->ok = t_done > 0 && (!need_change || t_model >= t0);
  r->model_ms = need_change && t_model >= t0 ? (t_model - t0) / 1e3 : -1;
  r->painted_ms = t_done > 0 ? (t_done - t0) / 1e3 : -1;
  r->cpu_ms = t_done > 0 ? cpu_done - cpu0 : -1;
  r->main_cpu_ms = t_done > 0 ? main_cpu_done - main_cpu0 : -1;
  r->rows = final_n;
  r->goal_ms = goal_ms;
  r->selection = describe_selection (check_kind, &before, &after);
  bench_heartbeat_max_gap (t0, t_done > 0 ? t_done : g_get_monotonic_time (), &r->max_gap_ms,
                           &r->n_long_gaps);
  r->rss_anon_kib = bench_proc_status_kib ("RssAnon:");
  g_ptr_array_add (results, r);

  g_print ("  %-44s %s\n", name, r->ok ? "done" : "NO PAINTED FRAME FOUND");
  return r;
}

/* ---- The steps --------------------------------------------------------------------------------- */

/* For profiling one part: BENCH_HISTORY_STOP=N ends the run after step group N. */
static gboolean
stop_after (int group)
{
  const char *stop = g_getenv ("BENCH_HISTORY_STOP");

  return stop != NULL && atoi (stop) == group;
}

static LumaApplication *app;
static LumaTestSandbox *sandbox;

static void
attach (LumaWindow *w)
{
  window = w;
  page = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  list_view = NULL;
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
  g_signal_connect (vadjustment (), "value-changed", G_CALLBACK (adjustment_changed_cb), NULL);
  g_signal_connect (vadjustment (), "changed", G_CALLBACK (adjustment_changed_cb), NULL);
  watch ();
}

static void
debug_state (const char *where)
{
  GtkWidget *stack;

  if (g_getenv ("BENCH_HISTORY_DEBUG") == NULL)
    return;
  stack = gtk_widget_get_ancestor (GTK_WIDGET (page), ADW_TYPE_VIEW_STACK);
  g_print ("    [%s] main page %s, tenant page %s, window realized %d mapped %d, page mapped %d, clock %p\n",
           where, luma_window_get_page (window),
           stack != NULL ? adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)) : "?",
           gtk_widget_get_realized (GTK_WIDGET (window)), gtk_widget_get_mapped (GTK_WIDGET (window)),
           gtk_widget_get_mapped (GTK_WIDGET (page)), (void *) gtk_widget_get_frame_clock (GTK_WIDGET (window)));
}

static void
open_on_history_trigger (gpointer data)
{
  attach (bench_open_window (app, sandbox));
  show_history_pending = TRUE;
}

static void
show_history_trigger (gpointer data)
{
  debug_state ("before show");
  luma_window_show_page (window, "history");
  debug_state ("after show");
}

static void
sort_trigger (gpointer data)
{
  LumaHistoryColumn column = GPOINTER_TO_INT (data) >> 1;
  gboolean descending = GPOINTER_TO_INT (data) & 1;

  luma_history_page_sort_by (page, column, descending);
}

static GtkEntry *date_entries[2];

static void
find_date_entries (GtkWidget *widget,
                   guint     *n)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && *n < 2;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_ENTRY (child))
        date_entries[(*n)++] = GTK_ENTRY (child);
      else
        find_date_entries (child, n);
    }
}

typedef struct
{
  const char *from;
  const char *to;
} DateRange;

static void
dates_trigger (gpointer data)
{
  const DateRange *range = data;

  if (range->from != NULL)
    gtk_editable_set_text (GTK_EDITABLE (date_entries[0]), range->from);
  if (range->to != NULL)
    gtk_editable_set_text (GTK_EDITABLE (date_entries[1]), range->to);
}

static void
search_trigger (gpointer data)
{
  luma_history_page_set_search (page, data);
}

static void
refresh_trigger (gpointer data)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
}

static void
select_and_scroll (guint top,
                   guint selected)
{
  /* Twice: the first scroll can be clamped while the list still measures itself. */
  for (int i = 0; i < 2; i++)
    {
      gtk_single_selection_set_selected (selection (), selected);
      gtk_adjustment_set_value (vadjustment (), top * row_height ());
      settle (10);
    }
}

static const char *
column_name (LumaHistoryColumn column)
{
  switch (column)
    {
    case LUMA_HISTORY_COLUMN_TIME: return "Started On";
    case LUMA_HISTORY_COLUMN_ID: return "Session ID";
    case LUMA_HISTORY_COLUMN_USER_NAME: return "User Name";
    case LUMA_HISTORY_COLUMN_EMAIL: return "Email";
    case LUMA_HISTORY_COLUMN_ROLE: return "Role";
    case LUMA_HISTORY_COLUMN_CONVERSATIONS: return "Conversations";
    case LUMA_HISTORY_COLUMN_INITIATED_BY: return "Initiated By";
    case LUMA_HISTORY_COLUMN_AGENT_NAME: return "Agent Name";
    case LUMA_HISTORY_COLUMN_CHANNEL: return "Channel";
    default: return "?";
    }
}

static void
print_table (const char *renderer,
             guint       records)
{
  g_print ("\n%-46s %10s %9s %10s %5s %8s %8s %8s %7s  %s\n", "step", "rows", "model ms", "painted ms",
           "goal", "CPU ms", "main CPU", "stall ms", "RssAnon", "selection");
  for (guint i = 0; i < results->len; i++)
    {
      Result *r = g_ptr_array_index (results, i);
      g_autofree char *goal = r->goal_ms > 0 ? g_strdup_printf ("%s", r->painted_ms >= 0 && r->painted_ms <= r->goal_ms ? "ok" : "MISS")
                                             : g_strdup ("-");

      g_print ("%-46s %10u %9.0f %10.0f %5s %8.0f %8.0f %8.0f %6ldM  %s\n", r->name, r->rows, r->model_ms,
               r->painted_ms, goal, r->cpu_ms, r->main_cpu_ms, r->max_gap_ms, r->rss_anon_kib / 1024,
               r->selection);
    }
  g_print ("(renderer %s, %u records; model ms: until the model held the new rows; painted ms: until "
           "the frame showing them; goal %.0f ms; stall ms: longest main-loop gap of a 5 ms "
           "heartbeat, goal %.0f ms; CPU ms: whole process / main thread; -1: not applicable)\n",
           renderer, records, GOAL_MS, BENCH_STALL_MS);
}

int
main (int   argc,
      char *argv[])
{
  gint records = 1000000;
  gint sync_records = 50000;
  g_autofree char *template_path = NULL;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Session records in the cache (default 1000000)", "N" },
    { "sync-records", 0, 0, G_OPTION_ARG_INT, &sync_records, "New records the measured sync brings (default 50000)", "N" },
    { "template", 0, 0, G_OPTION_ARG_FILENAME, &template_path, "Copy the cache from FILE when it exists, else build it and keep a copy there", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark the history view");
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *load_start = bench_load_average ();
  g_autofree char *load_end = NULL;
  g_autofree char *server = NULL;
  g_autofree char *sync_name = NULL;
  g_autofree char *renderer = NULL;
  double t_start = g_get_monotonic_time () / 1e6;
  long max_rss_anon = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  /* A private cache folder and settings in memory, before anything reads them. */
  home = bench_make_private_home ("bench-history-XXXXXX");

  sandbox = bench_start_sandbox (NULL);
  bench_prepare_history_cache (sandbox, records, template_path);

  bench_init_gtk ("history");
  bench_set_iterate (iterate);

  paints = g_array_new (FALSE, FALSE, sizeof (Paint));
  events = g_array_new (FALSE, FALSE, sizeof (gint64));
  results = g_ptr_array_new_with_free_func (result_free);

  app = bench_application_new ();
  bench_heartbeat_start ();

  g_print ("load average at start: %s\n", load_start);
  g_print ("steps:\n");

  /* 1. A window opened straight on the history page (as Alt+2 right at start). */
  measure ("open window on the history page", open_on_history_trigger, NULL, TRUE, SELECTION_NONE, GOAL_MS);
  renderer = g_strdup (G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  if (!bench_spin_until (window_ready, NULL, MAX_WAIT_S))
    g_error ("the window did not get ready (first sync)");
  close_window ();
  bench_spin_for (300 * 1000);

  /* 2. The usual way: the window opens on the Subscription page; later the
   * History page is chosen. Its query already ran; this is the first paint. */
  attach (bench_open_window (app, sandbox));
  if (!bench_spin_until (window_ready, NULL, MAX_WAIT_S))
    g_error ("the window did not get ready (first sync)");
  settle (10);
  measure ("switch to the history page (query done)", show_history_trigger, NULL, FALSE, SELECTION_NONE, GOAL_MS);
  if (stop_after (2))
    goto done;

  /* 3. Re-sort by every column, a row selected in the middle of the screen. */
  select_and_scroll (5000, 5010);
  {
    static const LumaHistoryColumn columns[] = {
      LUMA_HISTORY_COLUMN_ID, LUMA_HISTORY_COLUMN_TIME, LUMA_HISTORY_COLUMN_INITIATED_BY,
      LUMA_HISTORY_COLUMN_USER_NAME, LUMA_HISTORY_COLUMN_EMAIL, LUMA_HISTORY_COLUMN_ROLE,
      LUMA_HISTORY_COLUMN_AGENT_NAME, LUMA_HISTORY_COLUMN_CHANNEL, LUMA_HISTORY_COLUMN_CONVERSATIONS,
    };

    for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
      {
        g_autofree char *name = g_strdup_printf ("sort by %s ascending", column_name (columns[i]));

        measure (name, sort_trigger, GINT_TO_POINTER (columns[i] << 1), TRUE, SELECTION_CHECK, GOAL_MS);
      }
    measure ("sort by Started On descending (default)", sort_trigger,
             GINT_TO_POINTER (LUMA_HISTORY_COLUMN_TIME << 1 | 1), TRUE, SELECTION_CHECK, GOAL_MS);
  }

  if (stop_after (3))
    goto done;

  /* 4. Date filters around the selected row's day, then cleared. */
  {
    guint n = 0;
    guint sel = gtk_single_selection_get_selected (selection ());
    g_autoptr(LumaHistoryItem) item = NULL;
    g_autoptr(GDateTime) day = NULL;
    g_autoptr(GDateTime) from_day = NULL;
    g_autoptr(GDateTime) to_day = NULL;
    g_autofree char *from = NULL;
    g_autofree char *to = NULL;
    DateRange range_from = { NULL, NULL }, range_to = { NULL, NULL }, clear = { "", "" };

    find_date_entries (GTK_WIDGET (page), &n);
    if (n < 2)
      g_error ("the history page has no date entries");
    if (sel == GTK_INVALID_LIST_POSITION)
      g_error ("no row selected after the sorts");
    item = g_list_model_get_item (G_LIST_MODEL (luma_history_page_get_model (page)), sel);
    day = g_date_time_new_from_unix_utc (luma_history_item_get_session (item)->started_on);
    from_day = g_date_time_add_days (day, -30);
    to_day = g_date_time_add_days (day, 30);
    from = g_date_time_format (from_day, "%Y-%m-%d");
    to = g_date_time_format (to_day, "%Y-%m-%d");
    range_from.from = from;
    range_to.to = to;

    measure ("date filter: from (a month before the row)", dates_trigger, &range_from, TRUE, SELECTION_FILTER, GOAL_MS);
    measure ("date range: two months", dates_trigger, &range_to, TRUE, SELECTION_FILTER, GOAL_MS);
    measure ("date range cleared (all rows again)", dates_trigger, &clear, TRUE, SELECTION_FILTER, GOAL_MS);
  }

  /* 5. Searches, with the search index ready. */
  if (!luma_cache_get_indexes_ready (luma_window_get_cache (window)))
    g_print ("  (the search index is not ready: searches scan)\n");
  {
    static const char *const searches[] = { "Müller", "ana", "lopez.kowalski", "S-0099", "Visitor 123" };

    for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
      {
        g_autofree char *name = g_strdup_printf ("search \"%s\"", searches[i]);

        measure (name, search_trigger, (gpointer) searches[i], TRUE, SELECTION_FILTER, GOAL_MS);
      }
    measure ("search cleared (all rows again)", search_trigger, (gpointer) "", TRUE, SELECTION_FILTER, GOAL_MS);
    measure ("search \"an\" (2 characters, no index)", search_trigger, (gpointer) "an", TRUE, SELECTION_FILTER, -1);
    measure ("search cleared again", search_trigger, (gpointer) "", TRUE, SELECTION_FILTER, -1);
  }
  select_and_scroll (5000, 5010);

  /* 6. A sync that brings new records while the list shows the whole history. */
  {
    Result *r;
    gint64 t0;

    luma_test_sandbox_add_records (sandbox, BENCH_TENANT, sync_records);
    sync_name = g_strdup_printf ("sync of %d new records (until painted)", sync_records);
    g_array_set_size (events, 0);
    t0 = g_get_monotonic_time ();
    r = measure (sync_name, refresh_trigger, NULL, TRUE, SELECTION_CHECK, -1);
    bench_spin_until (window_ready, NULL, MAX_WAIT_S);
    settle (10);
    /* The sync may end after the last paint of new rows: take its whole run. */
    {
      gint64 t1 = g_get_monotonic_time ();

      bench_heartbeat_max_gap (t0, t1, &r->max_gap_ms, &r->n_long_gaps);
      r->rows = n_items ();
      g_print ("  sync: %u history-changed emissions, %u stalls over %.0f ms in %.1f s:\n",
               events->len, r->n_long_gaps, BENCH_STALL_MS, (t1 - t0) / 1e6);
      for (guint i = 0; i < events->len; i++)
        g_print ("    history-changed at +%.3f s\n", (g_array_index (events, gint64, i) - t0) / 1e6);
      bench_heartbeat_print_stalls (t0, t1);
    }
  }

done:
  for (guint i = 0; i < results->len; i++)
    max_rss_anon = MAX (max_rss_anon, ((Result *) g_ptr_array_index (results, i))->rss_anon_kib);
  load_end = bench_load_average ();

  print_table (renderer, records);
  bench_print_renderer (renderer);
  g_print ("RssAnon at the end: %ld MiB (highest after a step: %ld MiB; goal 150 MB); VmHWM %ld MiB\n",
           bench_proc_status_kib ("RssAnon:") / 1024, max_rss_anon / 1024, bench_proc_status_kib ("VmHWM:") / 1024);
  g_print ("load average: %s at the start, %s at the end; whole run %.0f s\n", load_start, load_end,
           g_get_monotonic_time () / 1e6 - t_start);

  close_window ();
  bench_spin_for (300 * 1000);
  luma_test_sandbox_stop (sandbox);
  g_clear_object (&app);

  bench_remove_tree (home);
  return 0;
}
