/* luma-wrap-box.h: a row of controls that wraps onto more lines when narrow
 *
 * GTK 4.8 and libadwaita 1.2 have no wrapping box and no breakpoints; a toolbar in a
 * GtkBox makes the whole window as wide as its controls. This lays its children out left
 * to right at their natural width and starts a new line when the next one does not fit;
 * the room left on a line goes to the children that expand horizontally. Its minimum
 * width is that of its widest child. The Tab order follows the lines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LUMA_TYPE_WRAP_BOX (luma_wrap_box_get_type ())

G_DECLARE_FINAL_TYPE (LumaWrapBox, luma_wrap_box, LUMA, WRAP_BOX, GtkWidget)

GtkWidget *luma_wrap_box_new (void);
/* The space between two children of a line, and between two lines, in pixels. */
void       luma_wrap_box_set_spacing     (LumaWrapBox *self,
                                          int          spacing);
void       luma_wrap_box_set_row_spacing (LumaWrapBox *self,
                                          int          row_spacing);
/* How many lines the last allocation used (1 when everything fit on one). */
guint      luma_wrap_box_get_n_lines     (LumaWrapBox *self);

G_END_DECLS
