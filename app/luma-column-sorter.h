/* luma-column-sorter.h: tells which history column the user sorts by
 *
 * The history is sorted in SQL, not by GTK. Each column gets one of these
 * sorters only so that its header shows the sort arrow and a click on it
 * changes the column view's sorter; luma_column_sorter_find_primary() then
 * reads which column leads and in which direction (GTK 4.8 has no API for
 * that: gtk_column_view_sorter_get_primary_sort_column() is 4.10).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LUMA_TYPE_COLUMN_SORTER (luma_column_sorter_get_type ())

G_DECLARE_FINAL_TYPE (LumaColumnSorter, luma_column_sorter, LUMA, COLUMN_SORTER, GtkSorter)

LumaColumnSorter *luma_column_sorter_new          (int        column);
int               luma_column_sorter_get_column   (LumaColumnSorter *self);

/* The column of the sorter that leads @view_sorter (the column view's
 * sorter), or -1 when it does not sort; @descending_out gets the direction. */
int               luma_column_sorter_find_primary (GtkSorter *view_sorter,
                                                   gboolean  *descending_out);

G_END_DECLS
