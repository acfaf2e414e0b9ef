/* luma-utils.c: small helpers the views share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-utils.h"

void
luma_widget_show_toast (GtkWidget  *widget,
                        const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);

  gtk_widget_activate_action (widget, "win.show-toast", "s", message);
}
