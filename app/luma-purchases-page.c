/* luma-purchases-page.c: the License Purchase History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-purchases-page.h"
#include "luma-format.h"
#include "luma-utils.h"

struct _LumaPurchasesPage
{
  GtkWidget   parent_instance;

  LumaCache  *cache;
  LumaSync   *sync;
  GPtrArray  *purchases;

  GtkStack       *stack;
  GtkListBox     *list;
  AdwStatusPage  *loading_page;
  GtkProgressBar *loading_progress;
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

  change = luma_format_signed_count (p->change);
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

/* The list; or while the cache was never synced and its first sync runs, what that sync
 * does; else that there are no purchases. */
static void
show_state (LumaPurchasesPage *self)
{
  if (self->purchases != NULL && self->purchases->len > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (self->sync != NULL && luma_sync_get_running (self->sync) &&
           self->cache != NULL && luma_cache_get_last_synced (self->cache) <= 0)
    {
      luma_show_first_sync_progress (self->loading_page, self->loading_progress, self->sync);
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
sync_progress_cb (LumaPurchasesPage *self)
{
  if (self->purchases != NULL && self->purchases->len > 0)
    return;
  /* The purchases are stored before the records: show them at once. */
  if (self->sync != NULL && luma_sync_get_phase (self->sync) > LUMA_SYNC_PHASE_PURCHASES)
    luma_purchases_page_reload (self);
  else
    show_state (self);
}

void
luma_purchases_page_set_sync (LumaPurchasesPage *self,
                              LumaSync          *sync)
{
  g_return_if_fail (LUMA_IS_PURCHASES_PAGE (self));
  g_return_if_fail (sync == NULL || LUMA_IS_SYNC (sync));

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    {
      g_signal_connect_swapped (sync, "notify::running", G_CALLBACK (sync_progress_cb), self);
      g_signal_connect_swapped (sync, "notify::phase", G_CALLBACK (sync_progress_cb), self);
      g_signal_connect_swapped (sync, "notify::done", G_CALLBACK (sync_progress_cb), self);
    }
  show_state (self);
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

  show_state (self);
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
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
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
  gtk_widget_class_bind_template_child (widget_class, LumaPurchasesPage, loading_page);
  gtk_widget_class_bind_template_child (widget_class, LumaPurchasesPage, loading_progress);
}

static void
luma_purchases_page_init (LumaPurchasesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
}
