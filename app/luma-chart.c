/* luma-chart.c: consumption per day or week over the contract term, as bars
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-chart.h"
#include "luma-format.h"

#define AXIS_HEIGHT 16.0

struct _LumaChart
{
  GtkWidget  parent_instance;

  GArray    *counts;          /* gint64 */
  gint64     start;
  gint64     bucket_seconds;
  char      *text;
};

G_DEFINE_FINAL_TYPE (LumaChart, luma_chart, GTK_TYPE_WIDGET)

static void
luma_chart_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  LumaChart *self = LUMA_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double plot_h = height - AXIS_HEIGHT;
  gint64 max = 0;
  double slot;
  int last_month = -1;
  GdkRGBA fg;
  cairo_t *cr;

  if (self->counts->len == 0 || width <= 0 || plot_h <= 0)
    return;

  for (guint i = 0; i < self->counts->len; i++)
    max = MAX (max, g_array_index (self->counts, gint64, i));

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  slot = (double) width / self->counts->len;

  /* Base line */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.3);
  cairo_rectangle (cr, 0, plot_h - 1, width, 1);
  cairo_fill (cr);

  for (guint i = 0; i < self->counts->len; i++)
    {
      gint64 v = g_array_index (self->counts, gint64, i);
      gint64 t = self->start + (gint64) i * self->bucket_seconds;
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
      double h = max > 0 ? (plot_h - 2) * v / (double) max : 0;

      cairo_set_source_rgb (cr, 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0);
      cairo_rectangle (cr, i * slot + slot * 0.15, plot_h - 1 - h, MAX (1.0, slot * 0.7), h);
      cairo_fill (cr);

      /* A month label at the first week of each month */
      if (dt != NULL && g_date_time_get_month (dt) != last_month)
        {
          g_autofree char *label = luma_format_month (t);
          PangoLayout *layout = gtk_widget_create_pango_layout (widget, label);
          PangoFontDescription *font = pango_font_description_from_string ("Sans 8");

          last_month = g_date_time_get_month (dt);
          pango_layout_set_font_description (layout, font);
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
          cairo_move_to (cr, i * slot, plot_h + 1);
          pango_cairo_show_layout (cr, layout);
          pango_font_description_free (font);
          g_object_unref (layout);
        }
    }

  cairo_destroy (cr);
}

static void
luma_chart_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 160;
      *natural = 480;
    }
  else
    {
      *minimum = 80;
      *natural = 120;
    }
}

static void
luma_chart_finalize (GObject *object)
{
  LumaChart *self = LUMA_CHART (object);

  g_array_unref (self->counts);
  g_free (self->text);

  G_OBJECT_CLASS (luma_chart_parent_class)->finalize (object);
}

static void
luma_chart_class_init (LumaChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = luma_chart_finalize;
  widget_class->snapshot = luma_chart_snapshot;
  widget_class->measure = luma_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
luma_chart_init (LumaChart *self)
{
  self->counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->bucket_seconds = 7 * 24 * 3600;
  luma_chart_set_data (self, NULL, 0, 0, self->bucket_seconds);
}

GtkWidget *
luma_chart_new (void)
{
  return g_object_new (LUMA_TYPE_CHART, NULL);
}

void
luma_chart_set_data (LumaChart    *self,
                     const gint64 *counts,
                     guint         n_counts,
                     gint64        start,
                     gint64        bucket_seconds)
{
  gint64 max = -1, sum = 0;
  guint max_index = 0, used = 0;

  g_return_if_fail (LUMA_IS_CHART (self));
  g_return_if_fail (bucket_seconds > 0);

  g_array_set_size (self->counts, 0);
  if (n_counts > 0)
    g_array_append_vals (self->counts, counts, n_counts);
  self->start = start;
  self->bucket_seconds = bucket_seconds;

  for (guint i = 0; i < n_counts; i++)
    {
      sum += counts[i];
      if (counts[i] > max)
        {
          max = counts[i];
          max_index = i;
        }
      if (counts[i] > 0)
        used = i + 1;
    }

  g_free (self->text);
  if (sum == 0)
    {
      self->text = g_strdup (_("No consumption in the contract term yet"));
    }
  else
    {
      g_autofree char *day = luma_format_day (start + (gint64) max_index * bucket_seconds);
      g_autofree char *max_s = luma_format_count (max);
      g_autofree char *avg_s = luma_format_count (sum / MAX (used, 1));

      if (bucket_seconds < 7 * 24 * 3600)
        /* Translators: text alternative of the daily chart: "Highest: N on DATE;
         * average: M per day" */
        self->text = g_strdup_printf (_("Highest: %s on %s; average: %s per day"),
                                      max_s, day, avg_s);
      else
        /* Translators: text alternative of the weekly chart: "Highest: N in the week of DATE;
         * average: M per week" */
        self->text = g_strdup_printf (_("Highest: %s in the week of %s; average: %s per week"),
                                      max_s, day, avg_s);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  bucket_seconds < 7 * 24 * 3600 ? _("Consumption per day")
                                                                 : _("Consumption per week"),
                                  -1);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->text,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), self->text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
luma_chart_get_n_buckets (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), 0);
  return self->counts->len;
}

gint64
luma_chart_get_bucket (LumaChart *self,
                       guint      index)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), 0);
  g_return_val_if_fail (index < self->counts->len, 0);
  return g_array_index (self->counts, gint64, index);
}

const char *
luma_chart_get_text (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), NULL);
  return self->text;
}
