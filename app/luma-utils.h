/* luma-utils.h: small helpers the views share
 *
 * Numbers, dates and sentences are in luma-format.h (without GTK); what needs
 * GTK is here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-sync.h"

G_BEGIN_DECLS

/* Shows @message as a toast in the window that holds @widget, through its
 * "win.show-toast" action: nothing happens outside such a window. */
void luma_widget_show_toast      (GtkWidget  *widget,
                                  const char *message);
/* The same about a file just written, with a button that opens it in the default
 * application ("win.show-file-toast", then "win.open-file"). */
void luma_widget_show_file_toast (GtkWidget  *widget,
                                  const char *message,
                                  GFile      *file);

/* What the first sync of @sync is doing, on the loading page of a view that has nothing to
 * show before it ends: the step in @status's description, the progress on @progress. */
void luma_show_first_sync_progress (AdwStatusPage  *status,
                                    GtkProgressBar *progress,
                                    LumaSync       *sync);

G_END_DECLS
