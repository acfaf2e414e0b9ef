/* luma-utils.c: small helpers the views share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-format.h"

#include "luma-utils.h"

void
luma_widget_show_toast (GtkWidget  *widget,
                        const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);

  gtk_widget_activate_action (widget, "win.show-toast", "s", message);
}

void
luma_widget_show_file_toast (GtkWidget  *widget,
                             const char *message,
                             GFile      *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    luma_widget_show_toast (widget, message);
  else
    gtk_widget_activate_action (widget, "win.show-file-toast", "(ss)", message, path);
}

void
luma_show_first_sync_progress (AdwStatusPage  *status,
                               GtkProgressBar *progress,
                               LumaSync       *sync)
{
  g_autofree char *text = NULL;
  double fraction = 0.0;

  g_return_if_fail (ADW_IS_STATUS_PAGE (status));
  g_return_if_fail (GTK_IS_PROGRESS_BAR (progress));
  g_return_if_fail (sync == NULL || LUMA_IS_SYNC (sync));

  switch (sync != NULL ? luma_sync_get_phase (sync) : LUMA_SYNC_PHASE_IDLE)
    {
    case LUMA_SYNC_PHASE_PURCHASES:
      text = g_strdup (_("Receiving the purchase history…"));
      fraction = 0.1;
      break;
    case LUMA_SYNC_PHASE_CONSUMPTION:
      {
        gint64 done = luma_sync_get_done (sync);
        gint64 total = MAX (luma_sync_get_total (sync), done);
        g_autofree char *d = luma_format_count (done);
        g_autofree char *t = luma_format_count (total);

        /* Translators: the first sync's progress: "12,000 of 40,000 records" */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Receiving the consumption history: %s of %s record…",
                                             "Receiving the consumption history: %s of %s records…",
                                             luma_plural_n (total)),
                                d, t);
        fraction = 0.15 + (total > 0 ? 0.8 * (double) done / (double) total : 0.0);
      }
      break;
    case LUMA_SYNC_PHASE_FINISHING:
      text = g_strdup (_("Saving the records…"));
      fraction = 0.97;
      break;
    case LUMA_SYNC_PHASE_IDLE:
    case LUMA_SYNC_PHASE_CONTACTS:
    case LUMA_SYNC_PHASE_SUBSCRIPTION:
    default:
      text = g_strdup (_("Receiving the subscription details from the server…"));
      fraction = 0.05;
      break;
    }

  adw_status_page_set_description (status, text);
  gtk_progress_bar_set_fraction (progress, fraction);
  gtk_accessible_update_property (GTK_ACCESSIBLE (progress),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
}
