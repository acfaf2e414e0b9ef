/* luma-startup-trace.c: the milestones of a cold start, for build-aux/bench cold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Off unless LUMA_TRACE_STARTUP=FILE is in the environment (read once, in main()). Then one
 * line per milestone is appended to FILE (a regular file, /dev/stderr, or a FIFO whose reader
 * stays open until the trace ends):
 *
 *   NAME MONOTONIC_US SINCE_START_MS LONGEST_GAP_MS [DETAIL]
 *
 *   main          main() is about to run the application
 *   window        the first main window exists
 *   first-frame   its first frame is painted (DETAIL: the GSK renderer's type)
 *   tenant        the window switched to a tenant's pages, set up from the cache
 *   subscription  a frame is painted with the cached subscription details on screen
 *   history       a frame is painted with the first rows of the history table bound
 *   settled       a frame of the tenant's pages is painted after the cross-fade to them
 *
 * A page milestone painted while the window still cross-fades from its "Connecting…" page has
 * DETAIL "crossfade". MONOTONIC_US is g_get_monotonic_time(), one clock for every process, so
 * the program that starts the app can take the time before its exec; SINCE_START_MS is from
 * the process's start time in /proc/self/stat (10 ms steps); LONGEST_GAP_MS is the longest gap
 * between two beats of a 5 ms heartbeat on the main loop since "main", the one under way
 * included. Paint milestones are taken at the frame clock's after-paint, each once; tracing
 * ends after a minute.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "luma-history-page-private.h"
#include "luma-startup-trace.h"
#include "luma-subscription-page.h"
#include "luma-window.h"

#define HEARTBEAT_MS  5
#define TRACE_SECONDS 60

typedef enum
{
  SEEN_FIRST_FRAME  = 1 << 0,
  SEEN_TENANT       = 1 << 1,
  SEEN_SUBSCRIPTION = 1 << 2,
  SEEN_HISTORY      = 1 << 3,
  SEEN_SETTLED      = 1 << 4,
  SEEN_ALL          = (1 << 5) - 1,
} Seen;

typedef struct
{
  int            fd;
  double         start_s;      /* the process's start on CLOCK_BOOTTIME, < 0 when unknown */
  gint64         last_beat;
  gint64         longest_gap;
  guint          heartbeat;
  guint          timeout;
  Seen           seen;
  LumaWindow    *window;       /* weak */
  GtkStack      *main_stack;   /* weak */
  GdkFrameClock *clock;        /* weak */
  gulong         paint_handler;
} Trace;

static Trace *trace;

/* Seconds from boot to this process's start: field 22 of /proc/self/stat, in clock ticks. */
static double
read_start_s (void)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (after_name = strrchr (stat, ')')) == NULL)
    return -1;
  /* Fields from the third (the state) on; the start time is the 22nd. */
  fields = g_strsplit (after_name + 2, " ", 21);
  if (g_strv_length (fields) < 21)
    return -1;
  return g_ascii_strtod (fields[19], NULL) / sysconf (_SC_CLK_TCK);
}

static double
since_start_ms (void)
{
  struct timespec now;

  if (trace->start_s < 0 || clock_gettime (CLOCK_BOOTTIME, &now) != 0)
    return -1;
  return (now.tv_sec + now.tv_nsec / 1e9 - trace->start_s) * 1e3;
}

static void
close_file (void)
{
  if (trace->fd >= 0)
    close (trace->fd);
  trace->fd = -1;
}

static void
mark (const char *name,
      const char *detail)
{
  gint64 now = g_get_monotonic_time ();
  gint64 gap = MAX (trace->longest_gap, now - trace->last_beat);
  char since[G_ASCII_DTOSTR_BUF_SIZE];
  char longest[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *line = NULL;
  gsize len;

  /* A point in every locale: the reader parses the numbers with g_ascii_strtod(). */
  g_ascii_formatd (since, sizeof since, "%.1f", since_start_ms ());
  g_ascii_formatd (longest, sizeof longest, "%.1f", gap / 1e3);
  line = g_strdup_printf ("%s %" G_GINT64_FORMAT " %s %s%s%s\n", name, now, since, longest,
                          detail != NULL ? " " : "", detail != NULL ? detail : "");
  len = strlen (line);

  /* Nowhere to write any more: the next frame ends the trace. */
  if (trace->fd >= 0 && write (trace->fd, line, len) != (gssize) len)
    close_file ();
}

static gboolean
heartbeat_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  trace->longest_gap = MAX (trace->longest_gap, now - trace->last_beat);
  trace->last_beat = now;
  return G_SOURCE_CONTINUE;
}

static void
stop (void)
{
  g_clear_handle_id (&trace->heartbeat, g_source_remove);
  g_clear_handle_id (&trace->timeout, g_source_remove);
  if (trace->clock != NULL)
    g_clear_signal_handler (&trace->paint_handler, trace->clock);
  g_clear_weak_pointer (&trace->clock);
  g_clear_weak_pointer (&trace->window);
  g_clear_weak_pointer (&trace->main_stack);
  close_file ();
}

static gboolean
timeout_cb (gpointer data)
{
  trace->timeout = 0;
  stop ();
  return G_SOURCE_REMOVE;
}

static gboolean
tenant_shown (void)
{
  return g_strcmp0 (luma_window_get_page (trace->window), "tenant") == 0;
}

static gboolean
crossfading (void)
{
  return trace->main_stack != NULL && gtk_stack_get_transition_running (trace->main_stack);
}

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = GTK_IS_LIST_VIEW (child) ? child : find_list_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
shown (GtkWidget *page)
{
  return page != NULL && gtk_widget_get_mapped (page) && gtk_widget_get_width (page) > 0;
}

static gboolean
subscription_shown (void)
{
  GtkWidget *page = luma_window_get_page_widget (trace->window, "subscription");

  return shown (page) && luma_subscription_page_get_subscription (LUMA_SUBSCRIPTION_PAGE (page)) != NULL;
}

/* Rows of the table on screen: the model holds rows and the list has row widgets for them. */
static gboolean
history_shown (void)
{
  GtkWidget *page = luma_window_get_page_widget (trace->window, "history");
  LumaHistoryModel *model;
  GtkWidget *list;

  if (!shown (page))
    return FALSE;
  model = luma_history_page_get_model (LUMA_HISTORY_PAGE (page));
  if (model == NULL || g_list_model_get_n_items (G_LIST_MODEL (model)) == 0)
    return FALSE;
  list = find_list_view (GTK_WIDGET (luma_history_page_get_view (LUMA_HISTORY_PAGE (page))));
  for (GtkWidget *row = list != NULL ? gtk_widget_get_first_child (list) : NULL; row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_mapped (row) && gtk_widget_get_height (row) > 0)
      return TRUE;
  return FALSE;
}

static void
main_page_changed_cb (void)
{
  if (!(trace->seen & SEEN_TENANT) && trace->window != NULL && tenant_shown ())
    {
      trace->seen |= SEEN_TENANT;
      mark ("tenant", NULL);
    }
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  const char *fading = crossfading () ? "crossfade" : NULL;

  if (trace->window == NULL || trace->fd < 0)
    {
      stop ();
      return;
    }
  if (!(trace->seen & SEEN_FIRST_FRAME))
    {
      GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (trace->window));

      trace->seen |= SEEN_FIRST_FRAME;
      mark ("first-frame", renderer != NULL ? G_OBJECT_TYPE_NAME (renderer) : "none");
    }
  main_page_changed_cb ();
  if (!(trace->seen & SEEN_SUBSCRIPTION) && subscription_shown ())
    {
      trace->seen |= SEEN_SUBSCRIPTION;
      mark ("subscription", fading);
    }
  if (!(trace->seen & SEEN_HISTORY) && history_shown ())
    {
      trace->seen |= SEEN_HISTORY;
      mark ("history", fading);
    }
  if (!(trace->seen & SEEN_SETTLED) && tenant_shown () && fading == NULL)
    {
      trace->seen |= SEEN_SETTLED;
      mark ("settled", NULL);
    }
  if (trace->seen == SEEN_ALL)
    stop ();
}

static void
window_realized_cb (GtkWidget *window)
{
  if (trace->fd < 0 || trace->clock != NULL)
    return;
  g_set_weak_pointer (&trace->clock, gtk_widget_get_frame_clock (window));
  trace->paint_handler = g_signal_connect (trace->clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window)
{
  GObject *main_stack;

  if (trace->fd < 0 || trace->window != NULL || !LUMA_IS_WINDOW (window))
    return;
  g_set_weak_pointer (&trace->window, LUMA_WINDOW (window));
  mark ("window", NULL);

  /* The window's own: the moment it changes is when its tenant's pages exist. */
  main_stack = gtk_widget_get_template_child (GTK_WIDGET (window), LUMA_TYPE_WINDOW, "main_stack");
  if (GTK_IS_STACK (main_stack))
    {
      g_set_weak_pointer (&trace->main_stack, GTK_STACK (main_stack));
      g_signal_connect_swapped (main_stack, "notify::visible-child-name",
                                G_CALLBACK (main_page_changed_cb), NULL);
    }
  main_page_changed_cb ();

  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    window_realized_cb (GTK_WIDGET (window));
  else
    g_signal_connect (window, "realize", G_CALLBACK (window_realized_cb), NULL);
}

void
luma_startup_trace_init (GtkApplication *app)
{
  const char *path = g_getenv ("LUMA_TRACE_STARTUP");
  int fd;

  g_return_if_fail (GTK_IS_APPLICATION (app));

  if (trace != NULL || path == NULL || *path == '\0')
    return;
  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_warning ("LUMA_TRACE_STARTUP: cannot open %s: %s", path, g_strerror (errno));
      return;
    }

  trace = g_new0 (Trace, 1);
  trace->fd = fd;
  trace->start_s = read_start_s ();
  trace->last_beat = g_get_monotonic_time ();
  trace->heartbeat = g_timeout_add (HEARTBEAT_MS, heartbeat_cb, NULL);
  trace->timeout = g_timeout_add_seconds (TRACE_SECONDS, timeout_cb, NULL);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  mark ("main", NULL);
}
