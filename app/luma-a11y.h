/* luma-a11y.h: accessible names as a screen reader should read them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Call after gtk_widget_init_template(): for every button of @root with a mnemonic, keeps the
 * accessible label as the only name (GTK 4.8 reads it followed by the button's own label, so
 * "Edit the contacts" became "Edit the contacts Edit"), names a button holding a mnemonic
 * label of its own (the responses of an AdwMessageDialog: call it after adding them) by that
 * label's text once, and names the inner button of every GtkDropDown after the drop-down. */
void luma_a11y_fix_names                (GtkWidget           *root);
/* For a button with a mnemonic and no accessible label of its own: its label without the
 * underscore ("_Connect" is read "Connect"). */
void luma_a11y_name_from_mnemonic       (GtkButton           *button);
/* Names the show/hide button of a password row, which libadwaita 1.2 leaves unnamed. */
void luma_a11y_label_password_peek      (AdwPasswordEntryRow *row,
                                         const char          *label);

G_END_DECLS
