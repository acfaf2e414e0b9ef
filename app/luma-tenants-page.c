/* luma-tenants-page.c: the superadmin's home: every tenant with its consumption
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-format.h"
#include "luma-a11y.h"
#include "luma-tenants-page.h"

struct _LumaTenantsPage
{
  GtkWidget           parent_instance;

  LumaApiClient      *client;
  LumaCache          *cache;            /* the superadmin's own: the list offline */
  gint64              cached_on;        /* when the list shown was stored; 0 if fresh */
  GCancellable       *cancellable;
  GListStore         *store;
  GtkFilterListModel *filtered;
  GtkSortListModel   *sorted;
  GtkCustomFilter    *filter;
  char               *search;
  GHashTable         *only;             /* external ids to show (a notification's), or NULL */
  gboolean            loaded;
  GError             *error;

  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  AdwStatusPage      *error_page;
  GtkColumnView      *view;
  GtkLabel           *count_label;
};

G_DEFINE_FINAL_TYPE (LumaTenantsPage, luma_tenants_page, GTK_TYPE_WIDGET)

enum { SIGNAL_TENANT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum { CELL_NAME, CELL_ID, CELL_TYPE, CELL_TOTAL, CELL_CONSUMED, CELL_AVAILABLE, CELL_PERCENT } Cell;

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  Cell cell = GPOINTER_TO_INT (user_data);

  gtk_label_set_xalign (GTK_LABEL (label), cell >= CELL_TOTAL ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (cell >= CELL_TOTAL)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         gpointer                  user_data)
{
  LumaTenantItem *tenant = gtk_list_item_get_item (item);
  const LumaTenantSummary *s = luma_tenant_item_get_summary (tenant);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;

  switch ((Cell) GPOINTER_TO_INT (user_data))
    {
    case CELL_NAME:
      text = g_strdup (s->tenant_name != NULL ? s->tenant_name : s->external_id);
      break;
    case CELL_ID:
      text = g_strdup (s->external_id);
      break;
    case CELL_TYPE:
      text = g_strdup (luma_license_type_to_display (s->license_type));
      break;
    case CELL_TOTAL:
      text = luma_format_count (s->total_purchase);
      break;
    case CELL_CONSUMED:
      text = luma_format_count (s->consumed);
      break;
    case CELL_AVAILABLE:
      text = luma_format_count (s->available);
      break;
    case CELL_PERCENT:
    default:
      text = luma_format_percent (luma_tenant_item_get_percent (tenant));
      break;
    }

  gtk_label_set_label (label, text);
}

static void
add_column (LumaTenantsPage *self,
            const char      *title,
            Cell             cell,
            const char      *property,
            gboolean         numeric,
            gboolean         expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) column = NULL;
  GtkExpression *expression;
  GtkSorter *sorter;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), GINT_TO_POINTER (cell));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), GINT_TO_POINTER (cell));

  expression = gtk_property_expression_new (LUMA_TYPE_TENANT_ITEM, NULL, property);
  if (numeric)
    sorter = GTK_SORTER (gtk_numeric_sorter_new (expression));
  else
    sorter = GTK_SORTER (gtk_string_sorter_new (expression));

  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (column, sorter);
  g_object_unref (sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_append_column (self->view, column);
}

static gboolean
filter_cb (gpointer item,
           gpointer user_data)
{
  LumaTenantsPage *self = user_data;
  const LumaTenantSummary *s = luma_tenant_item_get_summary (item);
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;

  if (self->only != NULL && !g_hash_table_contains (self->only, s->external_id))
    return FALSE;
  if (self->search == NULL || *self->search == '\0')
    return TRUE;

  name = g_utf8_casefold (s->tenant_name != NULL ? s->tenant_name : "", -1);
  id = g_utf8_casefold (s->external_id, -1);
  return strstr (name, self->search) != NULL || strstr (id, self->search) != NULL;
}

static void
update_count (LumaTenantsPage *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autofree char *text = NULL;

  if (shown == total)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tenant", "%u tenants", total), total);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u tenant", "%u of %u tenants", total),
                            shown, total);
  if (self->cached_on > 0)
    {
      g_autofree char *when = luma_format_last_synced (self->cached_on, g_get_real_time () / G_USEC_PER_SEC);
      g_autofree char *with_age = NULL;

      /* Translators: "12 tenants — Last synced 5 minutes ago (offline)" */
      with_age = g_strdup_printf (_("%s — %s (offline)"), text, when);
      g_free (text);
      text = g_steal_pointer (&with_age);
    }
  gtk_label_set_label (self->count_label, text);
}

static void
fill_store (LumaTenantsPage *self,
            GPtrArray       *tenants)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < tenants->len; i++)
    g_ptr_array_add (items, luma_tenant_item_new (g_ptr_array_index (tenants, i)));
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
}

/* The list stored at the last successful load, when nothing newer is shown. */
static gboolean
show_cached (LumaTenantsPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  gint64 stored_on = 0;

  if (self->cache == NULL)
    return FALSE;
  tenants = luma_cache_get_tenants (self->cache, &stored_on, &error);
  if (tenants == NULL)
    {
      if (error != NULL)
        g_warning ("Cannot read the cached tenant list: %s", error->message);
      return FALSE;
    }
  self->cached_on = MAX (stored_on, 1);
  fill_store (self, tenants);
  gtk_stack_set_visible_child_name (self->stack, "list");
  update_count (self);
  return TRUE;
}

static void
search_changed_cb (LumaTenantsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_free (self->search);
  self->search = g_utf8_casefold (text != NULL ? text : "", -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_count (self);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LumaTenantsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;

  tenants = luma_api_client_list_tenants_finish (LUMA_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loaded = TRUE;
  g_clear_error (&self->error);
  if (tenants == NULL)
    {
      /* The description is markup; the message may quote the server. */
      g_autofree char *escaped = g_markup_escape_text (error->message, -1);

      adw_status_page_set_description (self->error_page, escaped);
      self->error = g_steal_pointer (&error);
      /* Offline: the list of the last successful load stays usable. */
      if (self->cached_on > 0 || show_cached (self))
        gtk_stack_set_visible_child_name (self->stack, "list");
      else
        gtk_stack_set_visible_child_name (self->stack, "error");
      g_object_notify (G_OBJECT (self), "loaded");
      return;
    }

  self->cached_on = 0;
  fill_store (self, tenants);
  if (self->cache != NULL && !luma_cache_store_tenants (self->cache, tenants, &error))
    g_warning ("Cannot cache the tenant list: %s", error->message);

  gtk_stack_set_visible_child_name (self->stack, "list");
  update_count (self);
  g_object_notify (G_OBJECT (self), "loaded");
}

void
luma_tenants_page_refresh (LumaTenantsPage *self)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  if (self->client == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loaded = FALSE;
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");

  luma_api_client_list_tenants_async (self->client, self->cancellable, list_cb, g_object_ref (self));
}

void
luma_tenants_page_set_client (LumaTenantsPage *self,
                              LumaApiClient   *client)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  g_set_object (&self->client, client);
  g_list_store_remove_all (self->store);
  self->cached_on = 0;
  self->loaded = FALSE;
  g_clear_error (&self->error);
  show_cached (self);
  luma_tenants_page_refresh (self);
}

void
luma_tenants_page_set_cache (LumaTenantsPage *self,
                             LumaCache       *cache)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));
  g_return_if_fail (cache == NULL || LUMA_IS_CACHE (cache));

  if (!g_set_object (&self->cache, cache))
    return;
  /* Shown at once, until the server's answer replaces it. */
  if (cache != NULL && (!self->loaded || self->error != NULL))
    show_cached (self);
}

gboolean
luma_tenants_page_get_from_cache (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), FALSE);
  return self->cached_on > 0;
}

gboolean
luma_tenants_page_get_loaded (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), FALSE);
  return self->loaded;
}

const GError *
luma_tenants_page_get_error (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), NULL);
  return self->error;
}

void
luma_tenants_page_focus_search (LumaTenantsPage *self)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
luma_tenants_page_set_search (LumaTenantsPage *self,
                              const char      *text)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  search_changed_cb (self);
}

void
luma_tenants_page_filter_to (LumaTenantsPage    *self,
                             const char * const *ids)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  g_clear_pointer (&self->only, g_hash_table_unref);
  if (ids != NULL)
    {
      self->only = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; ids[i] != NULL; i++)
        g_hash_table_add (self->only, g_strdup (ids[i]));
    }
  /* The search goes: the tenants asked for are all shown. */
  luma_tenants_page_set_search (self, NULL);
}

GListModel *
luma_tenants_page_get_shown (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), NULL);
  return G_LIST_MODEL (self->sorted);
}

void
luma_tenants_page_activate (LumaTenantsPage *self,
                            guint            position)
{
  g_autoptr(LumaTenantItem) item = NULL;

  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  item = g_list_model_get_item (G_LIST_MODEL (self->sorted), position);
  if (item != NULL)
    g_signal_emit (self, signals[SIGNAL_TENANT_ACTIVATED], 0, item);
}

static void
view_activate_cb (LumaTenantsPage *self,
                  guint            position)
{
  luma_tenants_page_activate (self, position);
}

static void
luma_tenants_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LumaTenantsPage *self = LUMA_TENANTS_PAGE (object);

  if (prop_id == 1)
    g_value_set_boolean (value, self->loaded);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
luma_tenants_page_dispose (GObject *object)
{
  LumaTenantsPage *self = LUMA_TENANTS_PAGE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_TENANTS_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->sorted);
  g_clear_object (&self->store);
  g_clear_error (&self->error);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->only, g_hash_table_unref);

  G_OBJECT_CLASS (luma_tenants_page_parent_class)->dispose (object);
}

static void
luma_tenants_page_class_init (LumaTenantsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_tenants_page_dispose;
  object_class->get_property = luma_tenants_page_get_property;

  g_object_class_install_property (object_class, 1,
                                   g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  signals[SIGNAL_TENANT_ACTIVATED] = g_signal_new ("tenant-activated", G_TYPE_FROM_CLASS (klass),
                                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                   G_TYPE_NONE, 1, LUMA_TYPE_TENANT_ITEM);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-tenants-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, view);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, luma_tenants_page_refresh);
  gtk_widget_class_bind_template_callback (widget_class, view_activate_cb);
}

static void
luma_tenants_page_init (LumaTenantsPage *self)
{
  GtkSelectionModel *selection;

  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));

  add_column (self, _("Tenant"), CELL_NAME, "tenant-name", FALSE, TRUE);
  add_column (self, _("Tenant ID"), CELL_ID, "external-id", FALSE, FALSE);
  add_column (self, _("License Type"), CELL_TYPE, "license-type", FALSE, FALSE);
  add_column (self, _("Total Purchase"), CELL_TOTAL, "total-purchase", TRUE, FALSE);
  /* Translators: column headings, numbers of licenses */
  add_column (self, C_("licenses", "Consumed"), CELL_CONSUMED, "consumed", TRUE, FALSE);
  add_column (self, C_("licenses", "Available"), CELL_AVAILABLE, "available", TRUE, FALSE);
  add_column (self, _("Consumption"), CELL_PERCENT, "percent", TRUE, FALSE);

  self->store = g_list_store_new (LUMA_TYPE_TENANT_ITEM);
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                              GTK_FILTER (self->filter));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->filtered),
                                          g_object_ref (gtk_column_view_get_sorter (self->view)));
  selection = GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted))));
  gtk_column_view_set_model (self->view, selection);
  g_object_unref (selection);
  g_signal_connect_swapped (self->sorted, "items-changed", G_CALLBACK (update_count), self);
}
