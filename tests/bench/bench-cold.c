/* bench-cold.c: the app started as a new process on a large cache, until its page is painted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-cold [--records N] [--runs N] [--template FILE]
 *
 * Builds the history benches' cache of N session records (bench_prepare_history_cache()) and
 * saves its account as a user's is saved: settings in a key file under a private HOME and XDG
 * folders, the API key in the Secret Service of the session (run it under
 * build-aux/test-session). Then starts the real program ($LUMA_SUBSCRIPTION, without
 * arguments, as a launcher does) again and again with LUMA_TRACE_STARTUP naming a FIFO, and
 * reads the milestones it writes there (app/luma-startup-trace.c). Each time runs from just
 * before the fork to the frame clock's after-paint of the first frame with the page's content:
 * on the Subscription page, where the window opens, the cached details; on the History page,
 * the first rows of the table. The switch to the History page is asked for over D-Bus
 * (app.show-page) the moment the window shows the tenant's pages, as Alt+2 pressed right at
 * start (the first step of bench-history, which starts from the window's creation in a running
 * process). Each renderer (GSK_RENDERER=cairo, then GTK's default) starts with one untimed
 * run, so the program, its libraries and the cache file are in the page cache ("warm"); that
 * run also syncs the subscription into the cache. Prints every run, then the median and the
 * worst of each page and renderer, and the longest main-loop gap during the start (the app's
 * 5 ms heartbeat, from main() on).
 *
 * Needs a display (Xvfb), a D-Bus session with a Secret Service, LUMA_SUBSCRIPTION,
 * LUMA_SANDBOX and GSETTINGS_SCHEMA_DIR: build-aux/bench cold sets them up.
 * LUMA_BENCH_COLD_WRAP="perf record -o FILE ... --" starts the program under that command
 * (for a profile; the times then include the command's own start); BENCH_COLD_DEBUG=1 prints
 * the milestones as written (g_get_monotonic_time(), the clock of `perf record -k
 * CLOCK_MONOTONIC`), to cut such a profile into the phases of the start. Not a test: nothing
 * fails on timing.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-util.h"
#include "luma-account.h"
#include "luma-cache-private.h"
#include "luma-credentials.h"

#define APP_PATH        "/io/github/lumadesk/Subscription"
#define START_WAIT_S    60      /* a start that shows nothing for this long failed */
#define WARM_UP_WAIT_S  180     /* the untimed start also runs the first sync */
#define LINGER_US       (1500 * 1000)  /* the app runs on this long after its page */

typedef enum
{
  PAGE_SUBSCRIPTION,
  PAGE_HISTORY,
  N_PAGES
} Page;

static const char *const page_names[] = { "subscription", "history" };
static const double page_goals_ms[] = { 200, 300 };

/* Milliseconds from the fork to each milestone of one start, -1 when not seen. */
typedef struct
{
  double main_ms;
  double window_ms;
  double first_frame_ms;
  double tenant_ms;
  double page_ms;
  double settled_ms;
  double gap_ms;           /* the longest main-loop gap until the page's milestone */
  gboolean crossfade;      /* the page's frame was one of the cross-fade to the tenant's pages */
  char  *renderer;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->renderer, g_free);
}

static const char      *program;
static char           **wrap_argv;     /* LUMA_BENCH_COLD_WRAP, or NULL */
static GDBusConnection *bus;
static char            *fifo_path;
static int              fifo_fd = -1;
static char            *log_path;

/* ---- The saved account ------------------------------------------------------------------- */

typedef struct
{
  gboolean done;
  GError  *error;
} Stored;

static void
key_stored_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Stored *stored = user_data;

  luma_credentials_store_api_key_finish (result, &stored->error);
  stored->done = TRUE;
}

/* The account as the window saves it (the list and the active one), and its key in the
 * keyring, where the app looks it up at start. */
static void
save_account (const char *server)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, server, BENCH_TENANT);
  Stored stored = { FALSE, NULL };

  g_settings_set_int (settings, "active-account", luma_account_list_add (settings, account));
  g_settings_set_int (settings, "window-width", 1280);
  g_settings_set_int (settings, "window-height", 800);
  g_settings_set_boolean (settings, "notifications-enabled", FALSE);
  g_settings_sync ();

  luma_credentials_store_api_key_async (server, BENCH_TENANT, BENCH_API_KEY, NULL, key_stored_cb, &stored);
  while (!stored.done)
    g_main_context_iteration (NULL, TRUE);
  if (stored.error != NULL)
    g_error ("Cannot store the API key in the keyring (run this under build-aux/test-session): %s",
             stored.error->message);
}

/* ---- One start ---------------------------------------------------------------------------- */

/* app.NAME(@parameter) of the running program, as `gapplication action` sends it; without
 * waiting for the answer unless @wait. */
static void
activate_action (const char *name,
                 GVariant   *parameter,
                 gboolean    wait)
{
  GVariantBuilder params;
  GVariant *args;

  g_variant_builder_init (&params, G_VARIANT_TYPE ("av"));
  if (parameter != NULL)
    g_variant_builder_add (&params, "v", parameter);
  args = g_variant_new ("(sava{sv})", name, &params, NULL);
  if (wait)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;

      reply = g_dbus_connection_call_sync (bus, APP_ID, APP_PATH, "org.gtk.Actions", "Activate", args,
                                           NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, NULL, &error);
      if (reply == NULL)
        g_printerr ("  app.%s: %s\n", name, error->message);
    }
  else
    {
      g_dbus_connection_call (bus, APP_ID, APP_PATH, "org.gtk.Actions", "Activate", args, NULL,
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
    }
}

static gboolean
exited (GSubprocess *process)
{
  /* GSubprocess reaps its child in GLib's worker thread: no main loop needed here. */
  return g_subprocess_get_identifier (process) == NULL;
}

static void
print_log (void)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents (log_path, &text, NULL, NULL) && *text != '\0')
    g_printerr ("  the program's output:\n%s\n", text);
}

/* Reads what the FIFO holds into @pending, waiting up to @timeout_ms for it. */
static void
read_fifo (GString *pending,
           int      timeout_ms)
{
  struct pollfd pfd = { fifo_fd, POLLIN, 0 };
  char buffer[4096];
  gssize n;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return;
  while ((n = read (fifo_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (pending, buffer, n);
}

/* One start of the program on @page with @renderer (NULL: GTK's default), until the page's
 * milestone, then app.quit; FALSE when the page did not show within @wait_s. */
static gboolean
run_once (Page        page,
          const char *renderer,
          guint       wait_s,
          Run        *run)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 t0, end, quit_end;
  gint64 linger_end = G_MAXINT64;
  gboolean done = FALSE;

  *run = (Run) { -1, -1, -1, -1, -1, -1, -1, FALSE, NULL };

  /* What an earlier start left unread. */
  read_fifo (pending, 0);
  g_string_truncate (pending, 0);

  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_setenv (launcher, "LUMA_TRACE_STARTUP", fifo_path, TRUE);
  if (renderer != NULL)
    g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", renderer, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "GSK_RENDERER");
  for (guint i = 0; wrap_argv != NULL && wrap_argv[i] != NULL; i++)
    g_ptr_array_add (argv, wrap_argv[i]);
  g_ptr_array_add (argv, (gpointer) program);
  g_ptr_array_add (argv, NULL);

  t0 = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  bench_check (process != NULL, error);
  end = t0 + (gint64) wait_s * G_USEC_PER_SEC;

  /* After its page, the program runs on for a while, as a user's window would: its sync with
   * nothing new ends, and the next start does not find a half-done one. */
  while (g_get_monotonic_time () < (done ? linger_end : end) && !exited (process))
    {
      char *newline;

      read_fifo (pending, 50);
      while ((newline = strchr (pending->str, '\n')) != NULL)
        {
          g_autofree char *line = g_strndup (pending->str, newline - pending->str);
          g_auto(GStrv) f = g_strsplit (line, " ", 5);
          double ms;

          g_string_erase (pending, 0, newline - pending->str + 1);
          /* The lines as written, for a profile's time line. */
          if (g_getenv ("BENCH_COLD_DEBUG") != NULL)
            g_print ("    trace: %s (start at %" G_GINT64_FORMAT ")\n", line, t0);
          if (g_strv_length (f) < 4)
            continue;
          ms = (g_ascii_strtoll (f[1], NULL, 10) - t0) / 1e3;
          if (g_str_equal (f[0], "main"))
            run->main_ms = ms;
          else if (g_str_equal (f[0], "window"))
            run->window_ms = ms;
          else if (g_str_equal (f[0], "first-frame"))
            {
              run->first_frame_ms = ms;
              run->renderer = g_strdup (f[4]);
            }
          else if (g_str_equal (f[0], "tenant"))
            {
              run->tenant_ms = ms;
              /* Alt+2, right as the tenant's pages exist. */
              if (page == PAGE_HISTORY)
                activate_action ("show-page", g_variant_new_string ("history"), FALSE);
            }
          else if (g_str_equal (f[0], "settled"))
            run->settled_ms = ms;
          else if (g_str_equal (f[0], page_names[page]) && !done)
            {
              run->page_ms = ms;
              run->gap_ms = g_ascii_strtod (f[3], NULL);
              run->crossfade = f[4] != NULL && g_str_equal (f[4], "crossfade");
              done = TRUE;
              linger_end = g_get_monotonic_time () + LINGER_US;
            }
        }
    }

  if (!done)
    {
      g_printerr ("  the %s page did not show within %u s%s\n", page_names[page], wait_s,
                  exited (process) ? " (the program ended)" : "");
      print_log ();
    }

  /* Then it quits as Ctrl+Q quits it. */
  if (!exited (process))
    activate_action ("quit", NULL, TRUE);
  quit_end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!exited (process) && g_get_monotonic_time () < quit_end)
    g_usleep (10 * 1000);
  if (!exited (process))
    {
      g_printerr ("  the program did not quit: killed\n");
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
    }
  else if (!g_subprocess_get_successful (process))
    {
      if (g_subprocess_get_if_signaled (process))
        g_printerr ("  the program ended on signal %d\n", g_subprocess_get_term_sig (process));
      else
        g_printerr ("  the program ended with status %d\n", g_subprocess_get_exit_status (process));
      print_log ();
    }
  return done;
}

/* ---- The figures --------------------------------------------------------------------------- */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  guint n = values->len;

  if (n == 0)
    return -1;
  g_array_sort (values, compare_doubles);
  return n % 2 ? g_array_index (values, double, n / 2)
               : (g_array_index (values, double, n / 2 - 1) + g_array_index (values, double, n / 2)) / 2;
}

static double
worst (GArray *values)
{
  double w = -1;

  for (guint i = 0; i < values->len; i++)
    w = MAX (w, g_array_index (values, double, i));
  return w;
}

typedef struct
{
  const char *renderer_env;
  char       *renderer;
  Page        page;
  GArray     *runs;   /* Run */
} Series;

static void
print_run (const Run *r,
           guint      i)
{
  g_print ("    run %u: page %.0f ms%s; main %.0f, window %.0f, first frame %.0f, tenant %.0f, "
           "settled %.0f ms; longest main-loop gap %.0f ms\n",
           i + 1, r->page_ms, r->crossfade ? " (during the cross-fade)" : "", r->main_ms,
           r->window_ms, r->first_frame_ms, r->tenant_ms, r->settled_ms, r->gap_ms);
}

static void
print_summary (GPtrArray *series,
               guint      records)
{
  g_print ("\n%-9s %-16s %-12s %5s %10s %9s %5s %8s %8s %8s %8s %8s %8s\n", "renderer", "GSK renderer",
           "page", "runs", "median ms", "worst ms", "goal", "main", "window", "1st frame", "tenant",
           "gap med", "gap max");
  for (guint i = 0; i < series->len; i++)
    {
      Series *s = g_ptr_array_index (series, i);
      g_autoptr(GArray) page = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) main_ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) window = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) frame = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) tenant = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) gap = g_array_new (FALSE, FALSE, sizeof (double));
      double w;

      for (guint j = 0; j < s->runs->len; j++)
        {
          Run *r = &g_array_index (s->runs, Run, j);

          if (r->page_ms < 0)
            continue;
          g_array_append_val (page, r->page_ms);
          g_array_append_val (main_ms, r->main_ms);
          g_array_append_val (window, r->window_ms);
          g_array_append_val (frame, r->first_frame_ms);
          g_array_append_val (tenant, r->tenant_ms);
          g_array_append_val (gap, r->gap_ms);
        }
      w = worst (page);
      g_print ("%-9s %-16s %-12s %2u/%-2u %10.0f %9.0f %5s %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f\n",
               s->renderer_env != NULL ? s->renderer_env : "default",
               s->renderer != NULL ? s->renderer : "?", page_names[s->page], page->len, s->runs->len,
               median (page), w,
               page->len == s->runs->len && median (page) <= page_goals_ms[s->page] ? "ok" : "MISS",
               median (main_ms), median (window), median (frame), median (tenant), median (gap),
               worst (gap));
    }
  g_print ("(%u cached session records; ms from just before the fork to the after-paint of the "
           "first frame showing the page's content (goals: Subscription %.0f ms, History %.0f ms); "
           "goal: met by the median; main, window, 1st frame, tenant: medians of the milestones before it; gap: the longest "
           "main-loop gap from main() to that frame, median and worst)\n",
           records, page_goals_ms[PAGE_SUBSCRIPTION], page_goals_ms[PAGE_HISTORY]);
}

/* ---- The bench ---------------------------------------------------------------------------- */

static void
check_cached_subscription (const char *server)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = luma_cache_path_for_account (server, BENCH_TENANT);
  g_autoptr(LumaCache) cache = luma_cache_open_path (path, NULL, &error);
  g_autoptr(LumaSubscription) s = NULL;

  bench_check (cache != NULL, error);
  s = luma_cache_get_subscription (cache, NULL, &error);
  if (s == NULL)
    g_error ("no subscription in the cache after the first start%s%s", error != NULL ? ": " : "",
             error != NULL ? error->message : "");
  luma_cache_close (cache);
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (goffset) st.st_size : -1;
}

int
main (int   argc,
      char *argv[])
{
  gint records = 1000000;
  gint runs = 3;
  g_autofree char *template_path = NULL;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Session records in the cache (default 1000000)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Timed starts per page and renderer (default 3)", "N" },
    { "template", 0, 0, G_OPTION_ARG_FILENAME, &template_path, "Copy the cache from FILE when it exists, else build it and keep a copy there", "FILE" },
    { NULL }
  };
  const char *renderers[] = { "cairo", NULL };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark a cold start of the app");
  g_autoptr(GPtrArray) series = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *load_start = NULL;
  g_autofree char *load_end = NULL;
  g_autofree char *cache_path = NULL;
  const char *wrap;
  LumaTestSandbox *sandbox;
  const char *server;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  program = g_getenv ("LUMA_SUBSCRIPTION");
  if (program == NULL)
    g_error ("LUMA_SUBSCRIPTION names no program: build-aux/bench cold sets it");
  wrap = g_getenv ("LUMA_BENCH_COLD_WRAP");
  if (wrap != NULL && *wrap != '\0' && !g_shell_parse_argv (wrap, NULL, &wrap_argv, &error))
    g_error ("LUMA_BENCH_COLD_WRAP: %s", error->message);

  /* A private home, cache, config and data, settings in a key file there: the program started
   * below inherits them, as a user's session would give them. */
  home = bench_make_private_home ("bench-cold-XXXXXX");
  g_setenv ("HOME", home, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  log_path = g_build_filename (home, "program.log", NULL);
  fifo_path = g_build_filename (home, "trace.fifo", NULL);
  if (mkfifo (fifo_path, 0600) != 0)
    g_error ("mkfifo %s: %s", fifo_path, g_strerror (errno));
  /* Read and write: never an end of file between two starts, and the writer never blocks. */
  fifo_fd = open (fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fifo_fd < 0)
    g_error ("open %s: %s", fifo_path, g_strerror (errno));

  sandbox = bench_start_sandbox (NULL);
  server = luma_test_sandbox_get_url (sandbox);
  bench_prepare_history_cache (sandbox, records, template_path);
  save_account (server);
  cache_path = luma_cache_path_for_account (server, BENCH_TENANT);
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  bench_check (bus != NULL, error);

  load_start = bench_load_average ();
  g_print ("load average at start: %s\n", load_start);
  for (guint r = 0; r < G_N_ELEMENTS (renderers); r++)
    {
      Series *by_page[N_PAGES];
      Run warm = { 0 };

      g_print ("renderer %s:\n", renderers[r] != NULL ? renderers[r] : "GTK's default");
      /* Untimed: the program, its libraries and the cache file into the page cache (and, the
       * first time, the subscription into the cache). */
      if (!run_once (PAGE_SUBSCRIPTION, renderers[r], WARM_UP_WAIT_S, &warm))
        g_error ("the first start did not show the subscription");
      g_print ("  untimed start: page %.0f ms (cache file %.0f MB, warm from now on)\n", warm.page_ms,
               file_size (cache_path) / 1e6);
      run_clear (&warm);
      if (r == 0)
        check_cached_subscription (server);

      for (Page p = 0; p < N_PAGES; p++)
        {
          by_page[p] = g_new0 (Series, 1);
          by_page[p]->renderer_env = renderers[r];
          by_page[p]->page = p;
          by_page[p]->runs = g_array_new (FALSE, FALSE, sizeof (Run));
          g_array_set_clear_func (by_page[p]->runs, (GDestroyNotify) run_clear);
          g_ptr_array_add (series, by_page[p]);
        }
      /* The pages in turn, so that a change of load falls on both. */
      for (gint i = 0; i < runs; i++)
        for (Page p = 0; p < N_PAGES; p++)
          {
            Run run;

            run_once (p, renderers[r], START_WAIT_S, &run);
            g_array_append_val (by_page[p]->runs, run);
            if (by_page[p]->renderer == NULL && run.renderer != NULL)
              by_page[p]->renderer = g_strdup (run.renderer);
            g_print ("  %s page,", page_names[p]);
            print_run (&run, i);
          }
    }
  load_end = bench_load_average ();

  print_summary (series, records);
  g_print ("load average: %s at the start, %s at the end\n", load_start, load_end);

  for (guint i = 0; i < series->len; i++)
    {
      Series *s = g_ptr_array_index (series, i);

      g_array_unref (s->runs);
      g_free (s->renderer);
      g_free (s);
    }
  luma_test_sandbox_stop (sandbox);
  g_clear_object (&bus);
  close (fifo_fd);
  bench_remove_tree (home);
  g_strfreev (wrap_argv);
  return 0;
}
