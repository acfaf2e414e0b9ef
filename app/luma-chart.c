/* luma-chart.c: consumption over the contract term: bars per day or week, or the
 * cumulative consumption with the total purchase and the estimate to the end of the term
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-chart.h"
#include "luma-format.h"

#define AXIS_HEIGHT 16.0
#define TOP_PAD     18.0

struct _LumaChart
{
  GtkWidget     parent_instance;

  GArray       *counts;          /* gint64, bars */
  GArray       *bounds;          /* gint64, where each bar starts, and where the last ends */
  gboolean      weekly;
  LumaForecast *forecast;        /* the cumulative view when set */
  char         *text;
  const char   *title;           /* the accessible name without the highlight */
  gint          highlight;
};

G_DEFINE_FINAL_TYPE (LumaChart, luma_chart, GTK_TYPE_WIDGET)

static const GdkRGBA consumed_color = { 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0, 1.0 };
static const GdkRGBA run_out_color = { 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0, 1.0 };

/* ---- Drawing ---------------------------------------------------------------------------------- */

static void
show_text (GtkWidget  *widget,
           cairo_t    *cr,
           const char *text,
           double      x,
           double      y,
           double      xalign,
           double      width)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoFontDescription *font = pango_font_description_from_string ("Sans 8");
  int w, h;

  pango_layout_set_font_description (layout, font);
  pango_layout_get_pixel_size (layout, &w, &h);
  x -= w * xalign;
  /* Kept inside the widget. */
  x = CLAMP (x, 0, MAX (0, width - w));
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
}

static void
month_labels (GtkWidget    *widget,
              cairo_t      *cr,
              const GdkRGBA *fg,
              guint         n,
              double        slot,
              double        y,
              gint64      (*time_of) (LumaChart *, guint),
              gboolean      local)
{
  LumaChart *self = LUMA_CHART (widget);
  double last_x = -100;
  int last_month = -1;

  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.7);
  for (guint i = 0; i < n; i++)
    {
      /* A first day cut short by the term's start belongs to the month of the next. */
      gint64 t = time_of (self, i == 0 && n > 1 && local ? 1 : i);
      g_autoptr(GDateTime) dt = local ? g_date_time_new_from_unix_local (t)
                                      : g_date_time_new_from_unix_utc (t);

      /* A month label at the first bucket of each month, if there is room. */
      if (dt != NULL && g_date_time_get_month (dt) != last_month)
        {
          last_month = g_date_time_get_month (dt);
          if (i * slot - last_x >= 28)
            {
              g_autofree char *label = g_date_time_format (dt, "%b");

              show_text (widget, cr, label, i * slot, y, 0, gtk_widget_get_width (widget));
              last_x = i * slot;
            }
        }
    }
}

static gint64
bar_time (LumaChart *self,
          guint      i)
{
  return g_array_index (self->bounds, gint64, i);
}

static gint64
day_time (LumaChart *self,
          guint      i)
{
  return self->forecast->bounds[i];
}

static void
snapshot_bars (LumaChart *self,
               cairo_t   *cr,
               const GdkRGBA *fg,
               int        width,
               double     plot_h)
{
  gint64 max = 0;
  double slot = (double) width / self->counts->len;

  for (guint i = 0; i < self->counts->len; i++)
    max = MAX (max, g_array_index (self->counts, gint64, i));

  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.3);
  cairo_rectangle (cr, 0, plot_h - 1, width, 1);
  cairo_fill (cr);

  gdk_cairo_set_source_rgba (cr, &consumed_color);
  for (guint i = 0; i < self->counts->len; i++)
    {
      gint64 v = g_array_index (self->counts, gint64, i);
      double h = max > 0 ? (plot_h - 2) * v / (double) max : 0;

      cairo_rectangle (cr, i * slot + slot * 0.15, plot_h - 1 - h, MAX (1.0, slot * 0.7), h);
    }
  cairo_fill (cr);

  if (self->highlight >= 0 && (guint) self->highlight < self->counts->len)
    {
      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.15);
      cairo_rectangle (cr, self->highlight * slot, 0, MAX (2.0, slot), plot_h);
      cairo_fill (cr);
    }

  month_labels (GTK_WIDGET (self), cr, fg, self->counts->len, slot, plot_h + 1, bar_time, TRUE);
}

static void
snapshot_cumulative (LumaChart *self,
                     cairo_t   *cr,
                     const GdkRGBA *fg,
                     int        width,
                     double     plot_h)
{
  const LumaForecast *f = self->forecast;
  GtkWidget *widget = GTK_WIDGET (self);
  double slot = (double) width / f->n_days;
  double top = TOP_PAD;
  double scale;
  gint64 max = MAX (f->total_purchase, f->projected_end);
  double dashes[] = { 5.0, 4.0 };
  double y_total;

  max = MAX (max, f->cumulative[f->today]);
  max = MAX (max, 1);
  scale = (plot_h - 2 - top) / (double) max;
#define X(i) (((i) + 1) * slot)
#define Y(v) (plot_h - 1 - (v) * scale)

  /* Base line */
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.3);
  cairo_rectangle (cr, 0, plot_h - 1, width, 1);
  cairo_fill (cr);

  /* Consumed so far: a line over a light area. */
  cairo_move_to (cr, 0, Y (0));
  for (guint i = 0; i <= f->today; i++)
    cairo_line_to (cr, X (i), Y (f->cumulative[i]));
  cairo_line_to (cr, X (f->today), plot_h - 1);
  cairo_line_to (cr, 0, plot_h - 1);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, consumed_color.red, consumed_color.green, consumed_color.blue, 0.2);
  cairo_fill (cr);

  cairo_move_to (cr, 0, Y (0));
  for (guint i = 0; i <= f->today; i++)
    cairo_line_to (cr, X (i), Y (f->cumulative[i]));
  gdk_cairo_set_source_rgba (cr, &consumed_color);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);

  /* The estimate: dashed, from today to the end of the term. */
  if (f->today + 1 < f->n_days && f->state != LUMA_FORECAST_ENDED)
    {
      guint last = f->n_days - 1;

      cairo_move_to (cr, X (f->today), Y (f->cumulative[f->today]));
      cairo_line_to (cr, X (last), Y (f->cumulative[last]));
      cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      show_text (widget, cr, C_("chart", "Estimate"), X (last),
                 MAX (0, Y (f->cumulative[last]) - 14), 1.0, width);
    }

  /* The total purchase. */
  y_total = Y (f->total_purchase);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.6);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, 0, y_total);
  cairo_line_to (cr, width, y_total);
  cairo_stroke (cr);
  {
    g_autofree char *total = luma_format_count (f->total_purchase);
    /* Translators: the label of the chart's line of the total purchase, "Total 1,000" */
    g_autofree char *label = g_strdup_printf (C_("chart", "Total %s"), total);

    show_text (widget, cr, label, 2, MAX (0, y_total - 13), 0, width);
  }

  /* Where the estimate crosses the total. */
  if (f->run_out_day >= 0)
    {
      double x = X (f->run_out_day);
      g_autofree char *day = luma_format_local_day (luma_forecast_get_run_out (f));

      gdk_cairo_set_source_rgba (cr, &run_out_color);
      cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
      cairo_move_to (cr, x, y_total);
      cairo_line_to (cr, x, plot_h - 1);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      cairo_arc (cr, x, y_total, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
      show_text (widget, cr, day, x, MAX (0, y_total - 26), 0.5, width);
    }

  if (self->highlight >= 0 && (guint) self->highlight < f->n_days)
    {
      double x = X (self->highlight);

      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.5);
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x, plot_h - 1);
      cairo_stroke (cr);
      cairo_arc (cr, x, Y (f->cumulative[self->highlight]), 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }

  month_labels (widget, cr, fg, f->n_days, slot, plot_h + 1, day_time, TRUE);
#undef X
#undef Y
}

static void
luma_chart_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  LumaChart *self = LUMA_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double plot_h = height - AXIS_HEIGHT;
  GdkRGBA fg;
  cairo_t *cr;

  if (luma_chart_get_n_buckets (self) == 0 || width <= 0 || plot_h <= TOP_PAD)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->forecast != NULL)
    snapshot_cumulative (self, cr, &fg, width, plot_h);
  else
    snapshot_bars (self, cr, &fg, width, plot_h);
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
      /* Room for the labels of the total, the estimate and the run-out day. */
      *minimum = 140;
      *natural = 160;
    }
}

/* ---- Values for the pointer, the keyboard and screen readers --------------------------------- */

char *
luma_chart_dup_bucket_text (LumaChart *self,
                            guint      index)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), NULL);
  g_return_val_if_fail (index < luma_chart_get_n_buckets (self), NULL);

  if (self->forecast != NULL)
    {
      const LumaForecast *f = self->forecast;
      g_autofree char *day = luma_format_weekday (f->bounds[index]);
      g_autofree char *total = luma_format_count (f->cumulative[index]);

      if (index > f->today)
        /* Translators: a day of the chart after today: "Saturday, 03/14/2027: 540 in total
         * (estimate)" */
        return g_strdup_printf (_("%s: %s in total (estimate)"), day, total);
      else
        {
          gint64 that_day = f->cumulative[index] - (index > 0 ? f->cumulative[index - 1] : 0);
          g_autofree char *used = luma_format_count (MAX (that_day, 0));

          /* Translators: a day of the chart: "Saturday, 03/14/2026: 12 used, 340 in total" */
          return g_strdup_printf (_("%s: %s used, %s in total"), day, used, total);
        }
    }
  else
    {
      g_autofree char *day = luma_format_local_day (bar_time (self, index));
      g_autofree char *used = luma_format_count (g_array_index (self->counts, gint64, index));

      if (!self->weekly)
        /* Translators: a bar of the daily chart: "03/14/2026: 12 used" */
        return g_strdup_printf (_("%s: %s used"), day, used);
      /* Translators: a bar of the weekly chart: "Week of 03/14/2026: 80 used" */
      return g_strdup_printf (_("Week of %s: %s used"), day, used);
    }
}

static void
update_name (LumaChart *self)
{
  if (self->highlight >= 0)
    {
      g_autofree char *value = luma_chart_dup_bucket_text (self, (guint) self->highlight);
      /* Changing the name of the focused chart is what makes a screen reader say it. */
      g_autofree char *name = g_strdup_printf ("%s: %s", self->title, value);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    }
  else
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      self->title, -1);
    }
}

static guint
index_at (LumaChart *self,
          double     x)
{
  guint n = luma_chart_get_n_buckets (self);
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  double slot = width > 0 ? (double) width / n : 1;
  gint64 i = self->forecast != NULL ? (gint64) (x / slot - 0.5) : (gint64) (x / slot);

  return (guint) CLAMP (i, 0, (gint64) n - 1);
}

static gboolean
query_tooltip_cb (LumaChart  *self,
                  int         x,
                  int         y,
                  gboolean    keyboard_mode,
                  GtkTooltip *tooltip)
{
  g_autofree char *text = NULL;

  if (luma_chart_get_n_buckets (self) == 0)
    return FALSE;
  if (keyboard_mode)
    text = self->highlight >= 0 ? luma_chart_dup_bucket_text (self, (guint) self->highlight)
                                : g_strdup (self->text);
  else
    text = luma_chart_dup_bucket_text (self, index_at (self, x));
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static gboolean
key_pressed_cb (LumaChart             *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  gint n = (gint) luma_chart_get_n_buckets (self);
  gint h = self->highlight;
  gint start = self->forecast != NULL ? (gint) self->forecast->today : n - 1;

  if (n == 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      h = h < 0 ? start : MAX (h - 1, 0);
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      h = h < 0 ? start : MIN (h + 1, n - 1);
      break;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      h = 0;
      break;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      h = n - 1;
      break;
    default:
      return FALSE;
    }

  luma_chart_set_highlight (self, h);
  return TRUE;
}

static void
pressed_cb (LumaChart       *self,
            int              n_press,
            double           x,
            double           y,
            GtkGestureClick *gesture)
{
  if (luma_chart_get_n_buckets (self) == 0)
    return;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  luma_chart_set_highlight (self, (gint) index_at (self, x));
}

static void
focus_leave_cb (LumaChart *self)
{
  luma_chart_set_highlight (self, -1);
}

/* ---- Object ----------------------------------------------------------------------------------- */

static void
luma_chart_finalize (GObject *object)
{
  LumaChart *self = LUMA_CHART (object);

  g_array_unref (self->counts);
  g_array_unref (self->bounds);
  g_clear_pointer (&self->forecast, luma_forecast_free);
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
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->bounds = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->weekly = TRUE;
  self->highlight = -1;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  g_signal_connect_swapped (key, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (focus_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  luma_chart_set_bars (self, NULL, NULL, 0, TRUE);
}

GtkWidget *
luma_chart_new (void)
{
  return g_object_new (LUMA_TYPE_CHART, NULL);
}

static void
set_text (LumaChart  *self,
          const char *title,
          char       *text)
{
  g_free (self->text);
  self->text = text;
  self->title = title;
  self->highlight = -1;
  update_name (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->text,
                                  -1);
  gtk_widget_trigger_tooltip_query (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
luma_chart_set_bars (LumaChart    *self,
                     const gint64 *counts,
                     const gint64 *bounds,
                     guint         n_counts,
                     gboolean      weekly)
{
  gint64 max = -1, sum = 0;
  guint max_index = 0, used = 0;
  char *text;

  g_return_if_fail (LUMA_IS_CHART (self));
  g_return_if_fail (n_counts == 0 || (counts != NULL && bounds != NULL));

  g_clear_pointer (&self->forecast, luma_forecast_free);
  g_array_set_size (self->counts, 0);
  g_array_set_size (self->bounds, 0);
  if (n_counts > 0)
    {
      g_array_append_vals (self->counts, counts, n_counts);
      g_array_append_vals (self->bounds, bounds, n_counts + 1);
    }
  self->weekly = weekly;

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

  if (sum == 0)
    {
      text = g_strdup (_("No consumption in the contract term yet"));
    }
  else
    {
      g_autofree char *day = luma_format_local_day (bounds[max_index]);
      g_autofree char *max_s = luma_format_count (max);
      g_autofree char *avg_s = luma_format_count (sum / MAX (used, 1));

      if (!weekly)
        /* Translators: text alternative of the daily chart: "Highest: N on DATE;
         * average: M per day" */
        text = g_strdup_printf (_("Highest: %s on %s; average: %s per day"),
                                max_s, day, avg_s);
      else
        /* Translators: text alternative of the weekly chart: "Highest: N in the week of DATE;
         * average: M per week" */
        text = g_strdup_printf (_("Highest: %s in the week of %s; average: %s per week"),
                                max_s, day, avg_s);
    }

  set_text (self, weekly ? _("Consumption per week") : _("Consumption per day"), text);
}

/* "340 of 1,000 used; 12.5 a day over the last 30 days; estimate at the end of the
 * term: 1,200; the licenses run out on 03/14/2027." */
static char *
forecast_summary (const LumaForecast *f)
{
  g_autofree char *consumed = luma_format_count (f->consumed);
  g_autofree char *total = luma_format_count (f->total_purchase);
  g_autofree char *rate = luma_format_rate (f->rate);
  g_autofree char *projected = luma_format_count (f->projected_end);
  GString *out = g_string_new (NULL);

  /* Translators: part of the chart's text alternative: "340 of 1,000 used" */
  g_string_append_printf (out, _("%s of %s used"), consumed, total);
  if (f->state == LUMA_FORECAST_NOT_STARTED || f->state == LUMA_FORECAST_ENDED)
    {
      g_string_append (out, ".");
      return g_string_free (out, FALSE);
    }
  g_string_append (out, "; ");
  /* Translators: part of the chart's text alternative: "12.5 a day over the last 30 days" */
  g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s a day over the last %u day",
                                            "%s a day over the last %u days", f->rate_days),
                          rate, f->rate_days);
  g_string_append (out, "; ");
  /* Translators: part of the chart's text alternative */
  g_string_append_printf (out, _("estimate at the end of the term: %s"), projected);
  if (f->run_out_day >= 0)
    {
      g_autofree char *day = luma_format_local_day (luma_forecast_get_run_out (f));

      g_string_append (out, "; ");
      /* Translators: part of the chart's text alternative; %s is a date */
      g_string_append_printf (out, _("the licenses run out on %s"), day);
    }
  else if (f->state == LUMA_FORECAST_LASTS || f->state == LUMA_FORECAST_NO_RATE)
    {
      g_string_append (out, "; ");
      g_string_append (out, _("the licenses last to the end of the term"));
    }
  g_string_append (out, ".");
  return g_string_free (out, FALSE);
}

void
luma_chart_set_forecast (LumaChart          *self,
                         const LumaForecast *forecast)
{
  g_return_if_fail (LUMA_IS_CHART (self));
  g_return_if_fail (forecast != NULL);

  g_clear_pointer (&self->forecast, luma_forecast_free);
  self->forecast = luma_forecast_copy (forecast);
  g_array_set_size (self->counts, 0);

  set_text (self, _("Consumption over the term"), forecast_summary (forecast));
}

gboolean
luma_chart_get_cumulative (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), FALSE);
  return self->forecast != NULL;
}

guint
luma_chart_get_n_buckets (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), 0);
  return self->forecast != NULL ? self->forecast->n_days : self->counts->len;
}

gint64
luma_chart_get_bucket (LumaChart *self,
                       guint      index)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), 0);
  g_return_val_if_fail (index < luma_chart_get_n_buckets (self), 0);
  if (self->forecast != NULL)
    return self->forecast->cumulative[index];
  return g_array_index (self->counts, gint64, index);
}

const char *
luma_chart_get_text (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), NULL);
  return self->text;
}

gint
luma_chart_get_highlight (LumaChart *self)
{
  g_return_val_if_fail (LUMA_IS_CHART (self), -1);
  return self->highlight;
}

void
luma_chart_set_highlight (LumaChart *self,
                          gint       index)
{
  g_return_if_fail (LUMA_IS_CHART (self));

  if (index >= (gint) luma_chart_get_n_buckets (self))
    index = -1;
  index = MAX (index, -1);
  if (self->highlight == index)
    return;

  self->highlight = index;
  update_name (self);
  gtk_widget_trigger_tooltip_query (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
