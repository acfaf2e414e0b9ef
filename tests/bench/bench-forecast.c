/* bench-forecast.c: the cumulative chart with its estimate, from the day counts to pixels
 *
 * Goal: the cumulative chart with projection drawn within 100 ms of its data (the counts of
 * each local day, which the cache gives in one worker-thread query). Measures, for a term of
 * 1,000,000 records over one year (and over ten years, the most days the chart takes), the
 * days of the term, the forecast, luma_chart_set_forecast() (text alternative included) and
 * one snapshot of the chart rendered by the window's renderer, in a real window under Xvfb.
 * Prints the median and the worst of --runs runs (default 21) after one warm-up run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include <adwaita.h>

#include "luma-chart.h"
#include "luma-forecast.h"

#define DAY (24 * 3600)

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
flush (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static double
measure_once (GtkWidget *window,
              LumaChart *chart,
              gint64     start,
              guint      years,
              gint64     records)
{
  g_autoptr(GArray) bounds = NULL;
  g_autoptr(LumaForecast) forecast = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree gint64 *counts = NULL;
  GtkSnapshot *snapshot;
  gint64 end = start + (gint64) years * 365 * DAY - 1;
  gint64 now = start + (end - start) * 2 / 3;
  gint64 t0;
  guint n_days;
  gint64 consumed = 0;
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  /* The data: what the cache would answer, ready before the clock starts. */
  bounds = luma_forecast_day_bounds (start, end);
  n_days = bounds->len - 1;
  counts = g_new0 (gint64, n_days);
  for (guint i = 0; i < n_days * 2 / 3; i++)
    {
      /* Rising over the term, with a weekly rhythm. */
      counts[i] = records / n_days * (i % 7 < 5 ? 6 : 2) / 5 * (n_days + i) / (n_days * 3 / 2);
      consumed += counts[i];
    }
  g_clear_pointer (&bounds, g_array_unref);

  t0 = g_get_monotonic_time ();
  bounds = luma_forecast_day_bounds (start, end);
  forecast = luma_forecast_new ((const gint64 *) (gpointer) bounds->data, counts, n_days, now,
                                consumed, consumed * 5 / 4);
  luma_chart_set_forecast (chart, forecast);
  /* The frame: the window's snapshot (the chart's included) rendered to pixels. */
  snapshot = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (window)->snapshot (window, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  return (g_get_monotonic_time () - t0) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  int runs = 21;
  GtkWidget *window;
  LumaChart *chart;
  /* 2026-01-01T00:00:00Z */
  gint64 start = 1767225600;

  for (int i = 1; i + 1 < argc; i++)
    if (g_str_equal (argv[i], "--runs"))
      runs = MAX (1, atoi (argv[i + 1]));

  adw_init ();
  window = gtk_window_new ();
  chart = LUMA_CHART (luma_chart_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (chart));
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 200);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (GTK_WIDGET (chart)) || gtk_widget_get_width (window) == 0)
    g_main_context_iteration (NULL, TRUE);
  flush ();

  for (guint years = 1; years <= 10; years += 9)
    {
      g_autofree double *ms = g_new0 (double, runs);

      /* Not counted: the renderer's first frame (shaders, glyph cache). */
      measure_once (window, chart, start, years, 1000000);
      flush ();
      for (int r = 0; r < runs; r++)
        {
          ms[r] = measure_once (window, chart, start, years, 1000000);
          flush ();
        }
      qsort (ms, runs, sizeof (double), compare_double);
      g_print ("cumulative chart, 1,000,000 records over %u year%s (%u days): "
               "median %.1f ms, worst %.1f ms (%d runs, goal <= 100 ms)\n",
               years, years > 1 ? "s" : "", luma_chart_get_n_buckets (chart),
               ms[runs / 2], ms[runs - 1], runs);
    }

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
