/* luma-utils.h: small helpers the views share
 *
 * Numbers, dates and sentences are in luma-format.h (without GTK); what needs
 * GTK is here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows @message as a toast in the window that holds @widget, through its
 * "win.show-toast" action: nothing happens outside such a window. */
void luma_widget_show_toast (GtkWidget  *widget,
                             const char *message);

G_END_DECLS
