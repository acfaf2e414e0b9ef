/* luma-gauge.c: consumption against the total purchase, with the alert marks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-gauge-private.h"
#include "luma-format.h"

#define BAR_HEIGHT 14.0
#define MARK_HEIGHT 6.0

struct _LumaGauge
{
  GtkWidget  parent_instance;

  gint64     consumed;
  gint64     total;
  char      *text;
};

G_DEFINE_FINAL_TYPE (LumaGauge, luma_gauge, GTK_TYPE_WIDGET)

static const guint marks[] = { 75, 85, 95, 100 };

static double
fraction (LumaGauge *self)
{
  if (self->total <= 0)
    return self->consumed > 0 ? 1.0 : 0.0;
  return (double) self->consumed / (double) self->total;
}

static void
set_source_level (cairo_t *cr,
                  double   f)
{
  /* The GNOME palette: blue, then yellow, orange and red as alerts pass. */
  if (f >= 1.0)
    cairo_set_source_rgb (cr, 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0);
  else if (f >= 0.95)
    cairo_set_source_rgb (cr, 0xff / 255.0, 0x78 / 255.0, 0x00 / 255.0);
  else if (f >= 0.75)
    cairo_set_source_rgb (cr, 0xe5 / 255.0, 0xa5 / 255.0, 0x0a / 255.0);
  else
    cairo_set_source_rgb (cr, 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0);
}

static void
rounded_rect (cairo_t *cr,
              double   x,
              double   y,
              double   w,
              double   h,
              double   r)
{
  r = MIN (r, MIN (w, h) / 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* The labels of the marks: where each goes, on one row when they fit and on a second row
 * under the first when two would touch (95 % and 100 % do, on a narrow gauge). */
#define LABEL_GAP 6.0

typedef struct
{
  PangoLayout *layout;
  double       x;
  int          width;
  int          row;
} MarkLabel;

static double
bar_width (int width)
{
  /* Room for half of the 100 % label on the right. */
  return width - 24.0;
}

/* Fills @labels (one per mark) for a gauge @width wide; returns the number of rows and the
 * height of one in @row_height. The layouts are the caller's to unref. */
static int
place_labels (GtkWidget *widget,
              int        width,
              MarkLabel *labels,
              int       *row_height)
{
  PangoFontDescription *font = pango_font_description_from_string ("Sans 8");
  double row_end[2] = { -G_MAXDOUBLE, -G_MAXDOUBLE };
  double bar_w = bar_width (width);
  int n_rows = 1;
  int last_first = -1;  /* the last label on the first row */
  int last_first_w = 0;

  *row_height = 0;
  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    {
      g_autofree char *text = luma_format_percent (marks[i]);
      double mark_x = bar_w * marks[i] / 100.0;
      int lw, lh;

      labels[i].layout = gtk_widget_create_pango_layout (widget, text);
      pango_layout_set_font_description (labels[i].layout, font);
      pango_layout_get_pixel_size (labels[i].layout, &lw, &lh);
      *row_height = MAX (*row_height, lh);

      labels[i].x = CLAMP (mark_x - lw / 2.0, 0, MAX (width - lw, 0));
      labels[i].row = labels[i].x >= row_end[0] + LABEL_GAP ? 0 : 1;
      row_end[labels[i].row] = labels[i].x + lw;
      n_rows = MAX (n_rows, labels[i].row + 1);
      labels[i].width = lw;
      if (labels[i].row == 0)
        {
          last_first = i;
          last_first_w = lw;
        }
      /* A mark whose label went down crosses the first row: the label there keeps clear of
       * it ("95 %" of the 100 % mark). */
      else if (last_first >= 0 && labels[last_first].x + last_first_w > mark_x - LABEL_GAP / 2)
        labels[last_first].x = MAX (mark_x - LABEL_GAP / 2 - last_first_w, 0);
    }
  pango_font_description_free (font);

  return n_rows;
}

static void
luma_gauge_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  LumaGauge *self = LUMA_GAUGE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double f = fraction (self);
  double bar_w = bar_width (width);
  MarkLabel labels[G_N_ELEMENTS (marks)];
  int row_height;
  GdkRGBA fg;
  cairo_t *cr;

  if (width <= 24 || height <= 0)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Trough */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
  rounded_rect (cr, 0, 0, bar_w, BAR_HEIGHT, BAR_HEIGHT / 2);
  cairo_fill (cr);

  /* Fill */
  if (f > 0)
    {
      set_source_level (cr, f);
      rounded_rect (cr, 0, 0, MAX (BAR_HEIGHT, bar_w * MIN (f, 1.0)), BAR_HEIGHT, BAR_HEIGHT / 2);
      cairo_fill (cr);
    }

  /* The alert marks with their labels; a mark whose label went to the second row reaches
   * down to it. */
  place_labels (widget, width, labels, &row_height);
  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    {
      double x = bar_w * marks[i] / 100.0;
      double label_y = BAR_HEIGHT + MARK_HEIGHT + 1 + labels[i].row * (row_height + 1);

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      cairo_set_line_width (cr, 1.5);
      cairo_move_to (cr, x, -1);
      cairo_line_to (cr, x, label_y - 1);
      cairo_stroke (cr);

      cairo_move_to (cr, labels[i].x, label_y);
      pango_cairo_show_layout (cr, labels[i].layout);
      g_object_unref (labels[i].layout);
    }

  cairo_destroy (cr);
}

static GtkSizeRequestMode
luma_gauge_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
luma_gauge_measure (GtkWidget      *widget,
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
      MarkLabel labels[G_N_ELEMENTS (marks)];
      int row_height;
      int n_rows = place_labels (widget, for_size >= 0 ? for_size : 480, labels, &row_height);

      for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
        g_object_unref (labels[i].layout);
      *minimum = *natural = (int) (BAR_HEIGHT + MARK_HEIGHT) + 2 + n_rows * (row_height + 1);
    }
}

static void
luma_gauge_finalize (GObject *object)
{
  LumaGauge *self = LUMA_GAUGE (object);

  g_free (self->text);

  G_OBJECT_CLASS (luma_gauge_parent_class)->finalize (object);
}

static void
luma_gauge_class_init (LumaGaugeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = luma_gauge_finalize;
  widget_class->snapshot = luma_gauge_snapshot;
  widget_class->measure = luma_gauge_measure;
  widget_class->get_request_mode = luma_gauge_get_request_mode;

  gtk_widget_class_set_css_name (widget_class, "gauge");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_METER);
}

static void
luma_gauge_init (LumaGauge *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Consumption"),
                                  -1);
  luma_gauge_set_values (self, 0, 0);
}

GtkWidget *
luma_gauge_new (void)
{
  return g_object_new (LUMA_TYPE_GAUGE, NULL);
}

void
luma_gauge_set_values (LumaGauge *self,
                       gint64     consumed,
                       gint64     total_purchase)
{
  g_autofree char *used = NULL;
  g_autofree char *total = NULL;
  g_autofree char *numbers = NULL;
  double f;
  guint percent;
  guint passed = 0;

  g_return_if_fail (LUMA_IS_GAUGE (self));

  self->consumed = MAX (consumed, 0);
  self->total = MAX (total_purchase, 0);
  f = fraction (self);
  percent = (guint) MIN (f * 100.0, 9999.0);

  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    if (self->total > 0 ? self->consumed * 100 >= (gint64) marks[i] * self->total
                        : self->consumed > 0)
      passed = marks[i];

  used = luma_format_count (self->consumed);
  total = luma_format_count (self->total);
  /* Translators: the consumption gauge read aloud: "USED of TOTAL licenses used (PERCENT %)";
   * the plural form follows TOTAL */
  numbers = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s license used (%u %%)",
                                          "%s of %s licenses used (%u %%)",
                                          luma_plural_n (self->total)),
                             used, total, percent);

  g_free (self->text);
  /* At 100 % the forecast under the gauge says that all licenses are used: once is enough. */
  if (passed == 0 || passed == 100)
    self->text = g_steal_pointer (&numbers);
  else
    /* Translators: appended to the gauge's text: "...: past the 85 % alert" */
    self->text = g_strdup_printf (_("%s: past the %u %% alert"), numbers, passed);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, (double) MAX (self->total, 1),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double) MIN (self->consumed, MAX (self->total, 1)),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, self->text,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->text,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), self->text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gint64
luma_gauge_get_consumed (LumaGauge *self)
{
  g_return_val_if_fail (LUMA_IS_GAUGE (self), 0);
  return self->consumed;
}

gint64
luma_gauge_get_total (LumaGauge *self)
{
  g_return_val_if_fail (LUMA_IS_GAUGE (self), 0);
  return self->total;
}

const char *
luma_gauge_get_text (LumaGauge *self)
{
  g_return_val_if_fail (LUMA_IS_GAUGE (self), NULL);
  return self->text;
}

void
_luma_gauge_get_label (LumaGauge *self,
                       int        width,
                       guint      index,
                       double    *mark_x,
                       double    *x,
                       int       *label_width,
                       int       *row)
{
  MarkLabel labels[G_N_ELEMENTS (marks)];
  int row_height;

  g_return_if_fail (LUMA_IS_GAUGE (self));
  g_return_if_fail (index < G_N_ELEMENTS (marks));

  place_labels (GTK_WIDGET (self), width, labels, &row_height);
  *mark_x = bar_width (width) * marks[index] / 100.0;
  *x = labels[index].x;
  *label_width = labels[index].width;
  *row = labels[index].row;
  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    g_object_unref (labels[i].layout);
}
