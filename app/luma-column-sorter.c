/* luma-column-sorter.c: tells which history column the user sorts by
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-column-sorter.h"

struct _LumaColumnSorter
{
  GtkSorter parent_instance;

  int       column;
};

G_DEFINE_FINAL_TYPE (LumaColumnSorter, luma_column_sorter, GTK_TYPE_SORTER)

/* The sorter asked first during a probe; probes run on the main thread only. */
static LumaColumnSorter *probe_hit;

static GtkOrdering
luma_column_sorter_compare (GtkSorter *sorter,
                            gpointer   item1,
                            gpointer   item2)
{
  if (probe_hit == NULL)
    probe_hit = LUMA_COLUMN_SORTER (sorter);

  /* Never "equal", so the column view's sorter stops at the first column
   * and only turns the answer round when that column is descending. */
  return GTK_ORDERING_SMALLER;
}

static GtkSorterOrder
luma_column_sorter_get_order (GtkSorter *sorter)
{
  return GTK_SORTER_ORDER_PARTIAL;
}

static void
luma_column_sorter_class_init (LumaColumnSorterClass *klass)
{
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  sorter_class->compare = luma_column_sorter_compare;
  sorter_class->get_order = luma_column_sorter_get_order;
}

static void
luma_column_sorter_init (LumaColumnSorter *self)
{
}

LumaColumnSorter *
luma_column_sorter_new (int column)
{
  LumaColumnSorter *self = g_object_new (LUMA_TYPE_COLUMN_SORTER, NULL);

  self->column = column;
  return self;
}

int
luma_column_sorter_get_column (LumaColumnSorter *self)
{
  g_return_val_if_fail (LUMA_IS_COLUMN_SORTER (self), -1);
  return self->column;
}

int
luma_column_sorter_find_primary (GtkSorter *view_sorter,
                                 gboolean  *descending_out)
{
  g_autoptr(GObject) a = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) b = g_object_new (G_TYPE_OBJECT, NULL);
  GtkOrdering ordering;
  int column;

  g_return_val_if_fail (GTK_IS_SORTER (view_sorter), -1);

  probe_hit = NULL;
  ordering = gtk_sorter_compare (view_sorter, a, b);
  column = probe_hit != NULL ? probe_hit->column : -1;
  probe_hit = NULL;

  if (descending_out != NULL)
    *descending_out = ordering == GTK_ORDERING_LARGER;

  return column;
}
