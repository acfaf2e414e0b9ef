/* luma-a11y.c: accessible names as a screen reader should read them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-a11y.h"

static void
fix_widget (GtkWidget *widget)
{
  GtkWidget *child = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;

  if (GTK_IS_BUTTON (widget) && gtk_button_get_use_underline (GTK_BUTTON (widget)))
    {
      /* The relation to the mnemonic label is only for the name; the mnemonic itself works
       * through the label's mnemonic widget and stays. */
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget),
                                     GTK_ACCESSIBLE_RELATION_LABELLED_BY);
    }
  else if (GTK_IS_LABEL (child) && gtk_label_get_use_underline (GTK_LABEL (child)))
    {
      /* A mnemonic label put into the button (the responses of an AdwMessageDialog): read
       * once, without the underscore ("_Cancel" was "Cancel Cancel"). */
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      gtk_label_get_text (GTK_LABEL (child)),
                                      -1);
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget),
                                     GTK_ACCESSIBLE_RELATION_LABELLED_BY);
    }
  else if (GTK_IS_DROP_DOWN (widget))
    {
      GtkWidget *button = gtk_widget_get_first_child (widget);

      /* The toggle button inside takes the focus: it is read with the drop-down's name. */
      if (button != NULL)
        gtk_accessible_update_relation (GTK_ACCESSIBLE (button),
                                        GTK_ACCESSIBLE_RELATION_LABELLED_BY, widget, NULL,
                                        -1);
    }
}

void
luma_a11y_fix_names (GtkWidget *root)
{
  GtkWidget *child;

  g_return_if_fail (GTK_IS_WIDGET (root));

  fix_widget (root);
  for (child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    luma_a11y_fix_names (child);
}

void
luma_a11y_name_from_mnemonic (GtkButton *button)
{
  const char *label;
  GString *name;
  const char *p;

  g_return_if_fail (GTK_IS_BUTTON (button));

  label = gtk_button_get_label (button);
  if (label == NULL)
    return;

  /* "_Save" is read "Save", "R_emove" "Remove", and a doubled "__" is one underscore. */
  name = g_string_new (NULL);
  for (p = label; *p != '\0'; p++)
    {
      /* An underscore marks the next character; "__" is a literal one. */
      if (*p == '_' && p[1] != '\0')
        p++;
      g_string_append_c (name, *p);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name->str,
                                  -1);
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  g_string_free (name, TRUE);
}

static GtkWidget *
find_peek_button (GtkWidget *widget)
{
  GtkWidget *child;

  /* The row's own button with the reveal (or conceal) icon; its "Apply" button has another. */
  if (GTK_IS_BUTTON (widget))
    {
      GtkWidget *image = gtk_button_get_child (GTK_BUTTON (widget));
      const char *icon = GTK_IS_IMAGE (image) ? gtk_image_get_icon_name (GTK_IMAGE (image)) : NULL;

      if (icon != NULL && (g_str_has_prefix (icon, "view-reveal") ||
                           g_str_has_prefix (icon, "view-conceal")))
        return widget;
    }

  for (child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_peek_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

void
luma_a11y_label_password_peek (AdwPasswordEntryRow *row,
                               const char          *label)
{
  GtkWidget *peek;

  g_return_if_fail (ADW_IS_PASSWORD_ENTRY_ROW (row));
  g_return_if_fail (label != NULL);

  /* Without a label it is read after its icon ("GtkImage"); its tooltip ("Show Text") stays
   * the description. */
  peek = find_peek_button (GTK_WIDGET (row));
  if (peek != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (peek),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
}
