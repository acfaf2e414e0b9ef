/* luma-purchases-page.c: the License Purchase History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-purchases-page.h"
#include "luma-format.h"

struct _LumaPurchasesPage
{
  GtkWidget   parent_instance;

  LumaCache  *cache;
  GPtrArray  *purchases;

  GtkStack   *stack;
  GtkListBox *list;
};

G_DEFINE_FINAL_TYPE (LumaPurchasesPage, luma_purchases_page, GTK_TYPE_WIDGET)

static GtkWidget *
purchase_row (const LumaPurchase *p)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *total;
  g_autofree char *change = NULL;
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *total_s = luma_format_count (p->total_after);
  g_autofree char *total_text = NULL;

  change = luma_format_change (p->change);
  /* Translators: a purchase row: "+5,000 · Refill", the signed number of licenses then the
   * kind of purchase; a language may add its word for licenses in the right plural form */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %s", "%s · %s",
                                        luma_plural_n (p->change)),
                           change, luma_purchase_kind_to_display (p->kind));
  when = luma_format_date_time (p->performed_on);
  if (p->reference != NULL)
    /* Translators: "DATE · by USER · REASON (REFERENCE)" */
    subtitle = g_strdup_printf (_("%s · by %s · %s (%s)"), when, p->performed_by, p->reason,
                                p->reference);
  else
    /* Translators: "DATE · by USER · REASON" */
    subtitle = g_strdup_printf (_("%s · by %s · %s"), when, p->performed_by, p->reason);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  /* Translators: the total purchase after a purchase: "Total 55,000" (licenses); a language
   * may add its word for licenses in the right plural form */
  total_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Total %s", "Total %s",
                                             luma_plural_n (p->total_after)),
                                total_s);
  total = gtk_label_new (total_text);
  gtk_widget_add_css_class (total, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), total);
  g_object_set_data_full (G_OBJECT (row), "total-text", g_strdup (total_text), g_free);

  gtk_widget_add_css_class (GTK_WIDGET (row), p->change < 0 ? "removal" : "addition");
  return row;
}

void
luma_purchases_page_reload (LumaPurchasesPage *self)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  g_return_if_fail (LUMA_IS_PURCHASES_PAGE (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_clear_pointer (&self->purchases, g_ptr_array_unref);

  if (self->cache != NULL)
    self->purchases = luma_cache_get_purchases (self->cache, NULL, &error);
  if (error != NULL)
    g_warning ("Cannot read the cached purchases: %s", error->message);

  for (guint i = 0; self->purchases != NULL && i < self->purchases->len; i++)
    gtk_list_box_append (self->list, purchase_row (g_ptr_array_index (self->purchases, i)));

  gtk_stack_set_visible_child_name (self->stack,
                                    self->purchases != NULL && self->purchases->len > 0 ? "list" : "empty");
}

void
luma_purchases_page_set_cache (LumaPurchasesPage *self,
                               LumaCache         *cache)
{
  g_return_if_fail (LUMA_IS_PURCHASES_PAGE (self));

  g_set_object (&self->cache, cache);
  luma_purchases_page_reload (self);
}

GPtrArray *
luma_purchases_page_get_purchases (LumaPurchasesPage *self)
{
  g_return_val_if_fail (LUMA_IS_PURCHASES_PAGE (self), NULL);
  return self->purchases;
}

char *
luma_purchases_page_dup_row_text (LumaPurchasesPage *self,
                                  guint              index)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (LUMA_IS_PURCHASES_PAGE (self), NULL);

  row = gtk_list_box_get_row_at_index (self->list, (int) index);
  if (row == NULL || !ADW_IS_ACTION_ROW (row))
    return NULL;

  return g_strdup_printf ("%s|%s|%s",
                          adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                          adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                          (const char *) g_object_get_data (G_OBJECT (row), "total-text"));
}

static void
luma_purchases_page_dispose (GObject *object)
{
  LumaPurchasesPage *self = LUMA_PURCHASES_PAGE (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_PURCHASES_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->purchases, g_ptr_array_unref);

  G_OBJECT_CLASS (luma_purchases_page_parent_class)->dispose (object);
}

static void
luma_purchases_page_class_init (LumaPurchasesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_purchases_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-purchases-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaPurchasesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaPurchasesPage, list);
}

static void
luma_purchases_page_init (LumaPurchasesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
}
