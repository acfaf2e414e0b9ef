/* luma-wrap-box.c: a row of controls that wraps onto more lines when narrow
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-wrap-box.h"

struct _LumaWrapBox
{
  GtkWidget parent_instance;

  int       spacing;
  int       row_spacing;
  guint     n_lines;
};

enum
{
  PROP_0,
  PROP_SPACING,
  PROP_ROW_SPACING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (LumaWrapBox, luma_wrap_box, GTK_TYPE_WIDGET)

/* Where one child goes: its line and its width on it. */
typedef struct
{
  GtkWidget *widget;
  guint      line;
  int        width;
  int        height;
  int        minimum_height;
} Place;

static int
child_width (GtkWidget *child,
             int        available,
             int       *minimum_out)
{
  int minimum, natural;

  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  *minimum_out = minimum;
  return MAX (minimum, MIN (natural, available));
}

/* The children that take part in the layout, each given a line and a width for @width
 * pixels; the room left on a line is shared by the children that expand. Returns the number
 * of lines. */
static guint
lay_out (LumaWrapBox *self,
         int          width,
         GArray      *places)
{
  guint line = 0;
  guint line_start = 0;
  int used = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      Place place = { child, 0, 0, 0, 0 };
      int minimum;

      if (!gtk_widget_should_layout (child))
        continue;
      place.width = child_width (child, width, &minimum);
      if (places->len > line_start && used + self->spacing + place.width > width)
        {
          line++;
          line_start = places->len;
          used = 0;
        }
      place.line = line;
      used += (places->len > line_start ? self->spacing : 0) + place.width;
      g_array_append_val (places, place);
    }

  /* Each line's room left to its expanding children */
  for (guint i = 0; i < places->len;)
    {
      guint end = i;
      guint n_expand = 0;
      int line_used = 0;
      int extra;

      while (end < places->len && g_array_index (places, Place, end).line == g_array_index (places, Place, i).line)
        {
          Place *p = &g_array_index (places, Place, end);

          line_used += (end > i ? self->spacing : 0) + p->width;
          if (gtk_widget_compute_expand (p->widget, GTK_ORIENTATION_HORIZONTAL))
            n_expand++;
          end++;
        }
      extra = width - line_used;
      for (guint j = i; j < end && extra > 0 && n_expand > 0; j++)
        {
          Place *p = &g_array_index (places, Place, j);

          if (gtk_widget_compute_expand (p->widget, GTK_ORIENTATION_HORIZONTAL))
            {
              int share = extra / (int) n_expand;

              p->width += share;
              extra -= share;
              n_expand--;
            }
        }
      for (guint j = i; j < end; j++)
        {
          Place *p = &g_array_index (places, Place, j);

          gtk_widget_measure (p->widget, GTK_ORIENTATION_VERTICAL, p->width,
                              &p->minimum_height, &p->height, NULL, NULL);
        }
      i = end;
    }

  return places->len > 0 ? line + 1 : 0;
}

static GtkSizeRequestMode
luma_wrap_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
luma_wrap_box_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  LumaWrapBox *self = LUMA_WRAP_BOX (widget);

  *minimum = *natural = 0;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      guint n = 0;

      /* The widest child alone on a line; everything on one line when there is room */
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          int child_min, child_nat;

          if (!gtk_widget_should_layout (child))
            continue;
          gtk_widget_measure (child, orientation, -1, &child_min, &child_nat, NULL, NULL);
          *minimum = MAX (*minimum, child_min);
          *natural += (n++ > 0 ? self->spacing : 0) + child_nat;
        }
    }
  else
    {
      g_autoptr(GArray) places = g_array_new (FALSE, FALSE, sizeof (Place));
      int width = for_size;
      guint n_lines;

      if (width < 0)
        {
          int ignored;

          luma_wrap_box_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &ignored, &width, NULL,
                                 NULL);
        }
      n_lines = lay_out (self, width, places);
      for (guint line = 0; line < n_lines; line++)
        {
          int line_min = 0, line_nat = 0;

          for (guint i = 0; i < places->len; i++)
            {
              Place *p = &g_array_index (places, Place, i);

              if (p->line != line)
                continue;
              line_min = MAX (line_min, p->minimum_height);
              line_nat = MAX (line_nat, p->height);
            }
          *minimum += (line > 0 ? self->row_spacing : 0) + line_min;
          *natural += (line > 0 ? self->row_spacing : 0) + line_nat;
        }
    }
  if (minimum_baseline != NULL)
    *minimum_baseline = -1;
  if (natural_baseline != NULL)
    *natural_baseline = -1;
}

static void
luma_wrap_box_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  LumaWrapBox *self = LUMA_WRAP_BOX (widget);
  g_autoptr(GArray) places = g_array_new (FALSE, FALSE, sizeof (Place));
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int y = 0;
  guint i = 0;

  self->n_lines = lay_out (self, width, places);
  for (guint line = 0; line < self->n_lines; line++)
    {
      int line_height = 0;
      int x = 0;
      guint start = i;

      for (guint j = start; j < places->len && g_array_index (places, Place, j).line == line; j++)
        line_height = MAX (line_height, g_array_index (places, Place, j).height);
      for (; i < places->len && g_array_index (places, Place, i).line == line; i++)
        {
          Place *p = &g_array_index (places, Place, i);
          GtkAllocation allocation;

          allocation.width = p->width;
          allocation.height = p->height;
          allocation.x = rtl ? width - x - p->width : x;
          /* Centred on the line: a taller neighbour (a wrapped message) stretches nothing */
          allocation.y = y + (line_height - p->height) / 2;
          gtk_widget_size_allocate (p->widget, &allocation, -1);
          x += p->width + self->spacing;
        }
      y += line_height + self->row_spacing;
    }
}

static void
luma_wrap_box_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (luma_wrap_box_parent_class)->dispose (object);
}

static void
luma_wrap_box_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LumaWrapBox *self = LUMA_WRAP_BOX (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      g_value_set_int (value, self->spacing);
      break;
    case PROP_ROW_SPACING:
      g_value_set_int (value, self->row_spacing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_wrap_box_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LumaWrapBox *self = LUMA_WRAP_BOX (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      luma_wrap_box_set_spacing (self, g_value_get_int (value));
      break;
    case PROP_ROW_SPACING:
      luma_wrap_box_set_row_spacing (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_wrap_box_class_init (LumaWrapBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_wrap_box_dispose;
  object_class->get_property = luma_wrap_box_get_property;
  object_class->set_property = luma_wrap_box_set_property;
  widget_class->get_request_mode = luma_wrap_box_get_request_mode;
  widget_class->measure = luma_wrap_box_measure;
  widget_class->size_allocate = luma_wrap_box_size_allocate;

  properties[PROP_SPACING] =
    g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROW_SPACING] =
    g_param_spec_int ("row-spacing", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "wrapbox");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
luma_wrap_box_init (LumaWrapBox *self)
{
}

GtkWidget *
luma_wrap_box_new (void)
{
  return g_object_new (LUMA_TYPE_WRAP_BOX, NULL);
}

void
luma_wrap_box_set_spacing (LumaWrapBox *self,
                           int          spacing)
{
  g_return_if_fail (LUMA_IS_WRAP_BOX (self));

  if (self->spacing == spacing)
    return;
  self->spacing = spacing;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPACING]);
}

void
luma_wrap_box_set_row_spacing (LumaWrapBox *self,
                               int          row_spacing)
{
  g_return_if_fail (LUMA_IS_WRAP_BOX (self));

  if (self->row_spacing == row_spacing)
    return;
  self->row_spacing = row_spacing;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROW_SPACING]);
}

guint
luma_wrap_box_get_n_lines (LumaWrapBox *self)
{
  g_return_val_if_fail (LUMA_IS_WRAP_BOX (self), 0);
  return self->n_lines;
}
