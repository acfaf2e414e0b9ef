/* luma-tenants-page.c: the superadmin's home: the tenants board, every tenant
 * with its consumption, status and days left, ranked by risk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-format.h"
#include "luma-a11y.h"
#include "luma-tenant-rows.h"
#include "luma-tenants-page-private.h"

struct _LumaTenantsPage
{
  GtkWidget           parent_instance;

  LumaApiClient      *client;
  LumaCache          *cache;            /* the superadmin's own: the list offline */
  gint64              cached_on;        /* when the list shown was stored; 0 if fresh */
  gint64              now;              /* for tests: the time of the days left; 0 = real */
  gint64              answered_at;      /* monotonic µs the last list arrived, for the benchmark */
  GCancellable       *cancellable;
  GPtrArray          *items;            /* every tenant, in the order chosen */
  LumaTenantRows     *rows;             /* those the filters and the search let through */
  GtkSorter          *sorter;           /* the view's: which column, which way */
  GtkColumnViewColumn *status_column;
  LumaTenantItem     *probe[2];         /* compared by the view's sorter to read it */
  int                 probed_column;    /* what the probe found: LumaTenantColumn, or -1 */
  LumaTenantColumn    sort_column;      /* the store's order: the column's, ties by risk */
  gboolean            descending;
  char               *search;
  int                 status_filter;    /* LumaCapacity, or -1 */
  int                 type_filter;      /* LumaLicenseType, or -1 */
  guint               counts[LUMA_CAPACITY_N];
  GHashTable         *only;             /* external ids to show (a notification's), or NULL */
  gboolean            loaded;
  GError             *error;

  GtkRevealer        *offline_revealer;
  GtkLabel           *offline_label;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *type_dropdown;
  GtkStack           *stack;
  AdwStatusPage      *error_page;
  GtkColumnView      *view;
  GtkLabel           *count_label;
};

G_DEFINE_FINAL_TYPE (LumaTenantsPage, luma_tenants_page, GTK_TYPE_WIDGET)

enum { SIGNAL_TENANT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum { CELL_NAME, CELL_TYPE, CELL_USED, CELL_STATUS, CELL_END, CELL_DAYS, CELL_REFILL } Cell;

static const char *const capacity_classes[LUMA_CAPACITY_N] = {
  [LUMA_CAPACITY_OK] = "luma-capacity-ok",
  [LUMA_CAPACITY_NEAR] = "luma-capacity-near",
  [LUMA_CAPACITY_AT_OR_OVER] = "luma-capacity-over",
};

static gint64
page_now (LumaTenantsPage *self)
{
  return self->now > 0 ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

/* The tooltip of a cell is the text its last bind left in the label's data,
 * asked for only when the pointer rests on it: gtk_widget_set_tooltip_text()
 * in a bind would ask the display server where the pointer is, a round trip
 * for each cell of each row a sort or a filter rebinds. */
#define CELL_TOOLTIP "luma-cell-tooltip"

static gboolean
cell_query_tooltip_cb (GtkWidget  *widget,
                       int         x,
                       int         y,
                       gboolean    keyboard_mode,
                       GtkTooltip *tooltip,
                       gpointer    user_data)
{
  const char *text = g_object_get_data (G_OBJECT (widget), CELL_TOOLTIP);

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
set_cell_tooltip (GtkWidget  *label,
                  const char *text)
{
  g_object_set_data_full (G_OBJECT (label), CELL_TOOLTIP, g_strdup (text), g_free);
}

const char *
_luma_tenants_page_get_cell_tooltip (GtkWidget *cell)
{
  return g_object_get_data (G_OBJECT (cell), CELL_TOOLTIP);
}

/* GtkInscriptions: their size does not depend on their text, so a row that shows another
 * tenant is drawn again, not measured again (with labels, measuring the new text was a
 * quarter of a re-sort). Screen readers read the text as the cell's name. */
static GtkWidget *
cell_label (gboolean numeric)
{
  GtkWidget *label = gtk_inscription_new (NULL);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (cell_query_tooltip_cb), NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (label), numeric ? 1.0 : 0.0);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (label), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (label), 1);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  Cell cell = GPOINTER_TO_INT (user_data);
  GtkWidget *child;

  switch (cell)
    {
    case CELL_NAME:
      {
        GtkWidget *id = cell_label (FALSE);

        child = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
        gtk_box_append (GTK_BOX (child), cell_label (FALSE));
        gtk_widget_add_css_class (id, "dim-label");
        gtk_widget_add_css_class (id, "caption");
        gtk_box_append (GTK_BOX (child), id);
      }
      break;
    case CELL_USED:
      {
        GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);

        /* The colours come from the status, not from the bar's own offsets. */
        gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
        gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
        gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
        gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
        child = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
        gtk_widget_set_valign (child, GTK_ALIGN_CENTER);
        gtk_box_append (GTK_BOX (child), cell_label (TRUE));
        gtk_box_append (GTK_BOX (child), bar);
      }
      break;
    case CELL_STATUS:
      child = cell_label (FALSE);
      gtk_widget_add_css_class (child, "luma-capacity");
      break;
    case CELL_DAYS:
    case CELL_REFILL:
      child = cell_label (TRUE);
      break;
    case CELL_TYPE:
    case CELL_END:
    default:
      child = cell_label (FALSE);
      break;
    }
  gtk_list_item_set_child (item, child);
}

static void
set_capacity_class (GtkWidget    *widget,
                    LumaCapacity  capacity)
{
  for (guint i = 0; i < LUMA_CAPACITY_N; i++)
    if (i == capacity)
      gtk_widget_add_css_class (widget, capacity_classes[i]);
    else
      gtk_widget_remove_css_class (widget, capacity_classes[i]);
}

/* The local day and the signed change, the whole time in the tooltip;
 * "Never" for none, nothing when the server did not say. */
static void
bind_last_refill (GtkInscription          *label,
                  const LumaTenantSummary *s)
{
  g_autofree char *day = NULL;
  g_autofree char *change = NULL;
  g_autofree char *text = NULL;
  g_autofree char *when = NULL;

  switch (s->last_refill)
    {
    case LUMA_LAST_REFILL_KNOWN:
      day = luma_format_local_day (s->last_refill_at);
      change = luma_format_signed_count (s->last_refill_change);
      when = luma_format_date_time (s->last_refill_at);
      /* Translators: the last refill on the tenants board: its day, then the licenses
       * added or removed: "03/14/2026 · +1,000" */
      text = g_strdup_printf (C_("last refill", "%s · %s"), day, change);
      gtk_inscription_set_text (label, text);
      set_cell_tooltip (GTK_WIDGET (label), when);
      break;
    case LUMA_LAST_REFILL_NEVER:
      /* Translators: the Last Refill of a tenant that never had one */
      gtk_inscription_set_text (label, C_("last refill", "Never"));
      set_cell_tooltip (GTK_WIDGET (label), NULL);
      break;
    case LUMA_LAST_REFILL_UNKNOWN:
    default:
      gtk_inscription_set_text (label, "");
      set_cell_tooltip (GTK_WIDGET (label), NULL);
      break;
    }
}

static void
bind_cell (GtkListItem *item,
           Cell         cell)
{
  LumaTenantItem *tenant = gtk_list_item_get_item (item);
  const LumaTenantSummary *s = luma_tenant_item_get_summary (tenant);
  LumaCapacity capacity = luma_tenant_item_get_capacity (tenant);
  GtkWidget *child = gtk_list_item_get_child (item);
  g_autofree char *text = NULL;

  switch (cell)
    {
    case CELL_NAME:
      gtk_inscription_set_text (GTK_INSCRIPTION (gtk_widget_get_first_child (child)),
                           s->tenant_name != NULL && *s->tenant_name != '\0' ? s->tenant_name : s->external_id);
      gtk_inscription_set_text (GTK_INSCRIPTION (gtk_widget_get_last_child (child)), s->external_id);
      set_capacity_class (child, capacity);
      return;
    case CELL_USED:
      {
        GtkWidget *bar = gtk_widget_get_last_child (child);
        g_autofree char *used = luma_format_count (s->consumed);
        g_autofree char *total = luma_format_count (s->total_purchase);
        g_autofree char *percent = luma_format_percent (luma_tenant_item_get_percent (tenant));

        /* Translators: licenses used of the total purchase, and the percentage: "286 / 320 (89 %)" */
        text = g_strdup_printf (_("%s / %s (%s)"), used, total, percent);
        gtk_inscription_set_text (GTK_INSCRIPTION (gtk_widget_get_first_child (child)), text);
        /* Read in full where a narrowed column cuts it. */
        set_cell_tooltip (gtk_widget_get_first_child (child), text);
        gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), MIN (luma_tenant_item_get_percent (tenant) / 100.0, 1.0));
        set_capacity_class (bar, capacity);
        gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
      }
      return;
    case CELL_TYPE:
      text = g_strdup (luma_license_type_to_display (s->license_type));
      break;
    case CELL_STATUS:
      text = g_strdup (luma_format_capacity (capacity));
      set_capacity_class (child, capacity);
      break;
    case CELL_END:
      text = luma_format_day (s->end_date);
      break;
    case CELL_REFILL:
      bind_last_refill (GTK_INSCRIPTION (child), s);
      return;
    case CELL_DAYS:
    default:
      text = luma_format_days_left (luma_tenant_item_get_days_left (tenant));
      set_capacity_class (child, capacity);
      break;
    }

  gtk_inscription_set_text (GTK_INSCRIPTION (child), text);
}

/* The row shows another tenant (a new order, filter or search): the same widgets again. */
static void
tenant_changed_cb (LumaTenantItem *tenant,
                   GtkListItem    *item)
{
  bind_cell (item, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (item), "luma-cell")));
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         gpointer                  user_data)
{
  g_object_set_data (G_OBJECT (item), "luma-cell", user_data);
  bind_cell (item, (Cell) GPOINTER_TO_INT (user_data));
  g_signal_connect (gtk_list_item_get_item (item), "changed", G_CALLBACK (tenant_changed_cb), item);
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), tenant_changed_cb, item);
}

/* Widths that keep every cell readable: a narrow window scrolls sideways. */
static const int column_widths[] = {
  [CELL_NAME] = 160, [CELL_TYPE] = 80, [CELL_USED] = 150, [CELL_STATUS] = 120,
  [CELL_END] = 80, [CELL_DAYS] = 90, [CELL_REFILL] = 120,
};

/* The width in pixels of @text in the view's font, bold or not. */
static int
text_width (GtkWidget  *widget,
            const char *text,
            gboolean    bold)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width = 0;

  if (bold)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

/* Wide enough for what the cells say in this locale (five-digit counts, the longest status,
 * a refill day with a five-digit change), so that the columns fit the default window and
 * leave the rest to the tenant's name; a larger Used is cut and read whole in its tooltip. */
static int
column_width (LumaTenantsPage *self,
              Cell             cell)
{
  GtkWidget *widget = GTK_WIDGET (self->view);
  int width = 0;

  switch (cell)
    {
    case CELL_USED:
      {
        g_autofree char *count = luma_format_count (88888);
        g_autofree char *percent = luma_format_percent (100);
        g_autofree char *text = g_strdup_printf (_("%s / %s (%s)"), count, count, percent);

        width = text_width (widget, text, FALSE);
      }
      break;
    case CELL_STATUS:
      for (int c = 0; c < LUMA_CAPACITY_N; c++)
        width = MAX (width, text_width (widget, luma_format_capacity ((LumaCapacity) c), TRUE));
      break;
    case CELL_REFILL:
      {
        g_autofree char *day = luma_format_local_day (page_now (self));
        g_autofree char *change = luma_format_signed_count (-88888);
        g_autofree char *text = g_strdup_printf (C_("last refill", "%s · %s"), day, change);

        width = text_width (widget, text, FALSE);
      }
      break;
    case CELL_TYPE:
      width = MAX (text_width (widget, luma_license_type_to_display (LUMA_LICENSE_TYPE_SESSION), FALSE),
                   text_width (widget, luma_license_type_to_display (LUMA_LICENSE_TYPE_USER), FALSE));
      break;
    case CELL_END:
      {
        /* 2026-12-31, a day of two-digit day and month. */
        g_autofree char *day = luma_format_day (G_GINT64_CONSTANT (1798761599));

        width = text_width (widget, day, FALSE);
      }
      break;
    case CELL_NAME:
    case CELL_DAYS:
    default:
      break;
    }

  /* The cell's padding on both sides. */
  return MAX (column_widths[cell], width + 24);
}

static GtkColumnViewColumn *
add_column (LumaTenantsPage *self,
            const char      *title,
            Cell             cell,
            GtkSorter       *sorter, /* owned */
            gboolean         expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), GINT_TO_POINTER (cell));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), GINT_TO_POINTER (cell));
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), GINT_TO_POINTER (cell));

  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (column, sorter);
  g_object_unref (sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_fixed_width (column, column_width (self, cell));
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_append_column (self->view, column);
  g_object_unref (column);
  return column;
}

/* The page sorts the store itself, with plain comparisons of the items'
 * fields: through GtkSortListModel every comparison of a sort of 10,000
 * tenants went through the view's sorter and the column's, several times
 * slower. The columns' sorters only tell which column the view sorts by and
 * which way (GTK 4.8 has no gtk_column_view_sorter_get_primary_sort_column()):
 * the view's sorter asks its primary column's first, and turns its answer
 * round when descending. */
typedef struct
{
  LumaTenantsPage  *page;
  LumaTenantColumn  column;
} ColumnProbe;

static int
column_probe_compare (gconstpointer a,
                      gconstpointer b,
                      gpointer      user_data)
{
  ColumnProbe *probe = user_data;
  LumaTenantsPage *self = probe->page;

  if (self->probed_column < 0)
    self->probed_column = probe->column;
  return a == self->probe[0] ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;
}

/* The board's width in the default window. */
#define BOARD_WIDTH 980

/* What is left of the default width goes to the headings that need it, from the
 * left, with their padding and the sort arrow ("Contract End" was cut): a
 * heading too long for what is left ends in "…" rather than push the last
 * columns out of the window. */
static void
fit_headings (LumaTenantsPage *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->view);
  guint n = g_list_model_get_n_items (columns);
  int spare = BOARD_WIDTH;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      spare -= gtk_column_view_column_get_fixed_width (column);
    }
  for (guint i = 0; i < n && spare > 0; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      int width = gtk_column_view_column_get_fixed_width (column);
      int needed = text_width (GTK_WIDGET (self->view), gtk_column_view_column_get_title (column), FALSE) + 32;

      if (needed > width)
        {
          int grow = MIN (needed - width, spare);

          gtk_column_view_column_set_fixed_width (column, width + grow);
          spare -= grow;
        }
    }
}

static GtkSorter *
column_sorter (LumaTenantsPage  *self,
               LumaTenantColumn  column)
{
  ColumnProbe *probe = g_new0 (ColumnProbe, 1);

  probe->page = self;
  probe->column = column;
  return GTK_SORTER (gtk_custom_sorter_new (column_probe_compare, probe, g_free));
}

static int
compare_items (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  LumaTenantsPage *self = user_data;
  gconstpointer x = *(gpointer const *) a;
  gconstpointer y = *(gpointer const *) b;

  if (self->descending)
    {
      gconstpointer t = x;

      x = y;
      y = t;
    }
  /* The Last Refill column keeps the tenants without one last either way. */
  if (self->sort_column == LUMA_TENANT_COLUMN_LAST_REFILL)
    return luma_tenant_item_compare_last_refill (x, y, &self->descending);
  return luma_tenant_item_compare_column (x, y, GINT_TO_POINTER (self->sort_column));
}

static void show_rows (LumaTenantsPage *self);

static void
sort_store (LumaTenantsPage *self)
{
  g_ptr_array_sort_with_data (self->items, compare_items, self);
  show_rows (self);
}

static void
view_sorter_changed_cb (LumaTenantsPage *self)
{
  LumaTenantColumn column;
  gboolean descending;

  self->probed_column = -1;
  descending = gtk_sorter_compare (self->sorter, self->probe[0], self->probe[1]) == GTK_ORDERING_LARGER;
  /* No column chosen: by risk. */
  column = self->probed_column >= 0 ? (LumaTenantColumn) self->probed_column : LUMA_TENANT_COLUMN_STATUS;
  descending = self->probed_column >= 0 && descending;
  if (column == self->sort_column && descending == self->descending)
    return;
  self->sort_column = column;
  self->descending = descending;
  sort_store (self);
}

static gboolean
filter_cb (gpointer item,
           gpointer user_data)
{
  LumaTenantsPage *self = user_data;

  if (self->only != NULL &&
      !g_hash_table_contains (self->only, luma_tenant_item_get_summary (item)->external_id))
    return FALSE;
  if (self->status_filter >= 0 && (int) luma_tenant_item_get_capacity (item) != self->status_filter)
    return FALSE;
  if (self->type_filter >= 0 && (int) luma_tenant_item_get_summary (item)->license_type != self->type_filter)
    return FALSE;
  if (self->search != NULL && *self->search != '\0' &&
      strstr (luma_tenant_item_get_search_key (item), self->search) == NULL)
    return FALSE;
  return TRUE;
}

static void
update_count (LumaTenantsPage *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  guint total = self->items->len;
  g_autofree char *shown_text = luma_format_count (shown);
  g_autofree char *total_text = luma_format_count (total);
  g_autofree char *over = luma_format_count (self->counts[LUMA_CAPACITY_AT_OR_OVER]);
  g_autofree char *near = luma_format_count (self->counts[LUMA_CAPACITY_NEAR]);
  g_autofree char *text = NULL;
  g_autofree char *with_status = NULL;

  if (shown == total)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s tenant", "%s tenants", total), total_text);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s tenant", "%s of %s tenants", total),
                            shown_text, total_text);
  /* Translators: "120 tenants · 12 at or over capacity · 30 near capacity" */
  with_status = g_strdup_printf (_("%s · %s at or over capacity · %s near capacity"), text, over, near);
  gtk_label_set_label (self->count_label, with_status);
}

/* The tenants that pass the filters and the search, in the order chosen, into the rows. */
static void
show_rows (LumaTenantsPage *self)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_sized_new (self->items->len);

  for (guint i = 0; i < self->items->len; i++)
    if (filter_cb (self->items->pdata[i], self))
      g_ptr_array_add (shown, self->items->pdata[i]);
  luma_tenant_rows_set (self->rows, shown);
  update_count (self);
}

static void
update_offline (LumaTenantsPage *self)
{
  gboolean offline = self->error != NULL && self->cached_on > 0;

  if (offline)
    {
      g_autofree char *when = luma_format_last_synced (self->cached_on, g_get_real_time () / G_USEC_PER_SEC);
      g_autofree char *text = NULL;

      /* Translators: %s is "Last synced 5 minutes ago" or the like */
      text = g_strdup_printf (_("Offline: showing the tenant list as stored. %s"), when);
      gtk_label_set_label (self->offline_label, text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->offline_label), self->error->message);
    }
  gtk_revealer_set_reveal_child (self->offline_revealer, offline);
}

static void
fill_store (LumaTenantsPage *self,
            GPtrArray       *tenants,
            GHashTable      *samples, /* nullable */
            gint64           now)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (tenants->len, g_object_unref);

  memset (self->counts, 0, sizeof self->counts);
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (tenants, i);
      const LumaConsumptionSample *oldest = samples != NULL ? g_hash_table_lookup (samples, t->external_id) : NULL;
      LumaTenantItem *item = luma_tenant_item_new_at (t, oldest, now);

      self->counts[luma_tenant_item_get_capacity (item)]++;
      g_ptr_array_add (items, item);
    }
  g_ptr_array_sort_with_data (items, compare_items, self);
  g_ptr_array_unref (self->items);
  self->items = g_steal_pointer (&items);
  show_rows (self);
}

static GHashTable *
read_samples (LumaTenantsPage *self,
              gint64           now)
{
  g_autoptr(GError) error = NULL;
  GHashTable *samples;

  if (self->cache == NULL)
    return NULL;
  samples = luma_cache_get_tenant_samples (self->cache, now - LUMA_CAPACITY_RATE_WINDOW_S, &error);
  if (samples == NULL)
    g_warning ("Cannot read the tenants' consumption over time: %s", error->message);
  return samples;
}

/* The list stored at the last successful load, when nothing newer is shown. */
static gboolean
show_cached (LumaTenantsPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GHashTable) samples = NULL;
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
  /* The days left as of the list: the consumption is of then. */
  samples = read_samples (self, self->cached_on);
  fill_store (self, tenants, samples, self->cached_on);
  gtk_stack_set_visible_child_name (self->stack, "list");
  update_offline (self);
  return TRUE;
}

static void
search_changed_cb (LumaTenantsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_free (self->search);
  self->search = g_utf8_casefold (text != NULL ? text : "", -1);
  show_rows (self);
}

static void
filters_changed_cb (LumaTenantsPage *self)
{
  static const int statuses[] = { -1, LUMA_CAPACITY_AT_OR_OVER, LUMA_CAPACITY_NEAR, LUMA_CAPACITY_OK };
  static const int types[] = { -1, LUMA_LICENSE_TYPE_SESSION, LUMA_LICENSE_TYPE_USER };
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  guint type = gtk_drop_down_get_selected (self->type_dropdown);

  self->status_filter = status < G_N_ELEMENTS (statuses) ? statuses[status] : -1;
  self->type_filter = type < G_N_ELEMENTS (types) ? types[type] : -1;
  show_rows (self);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!luma_cache_store_tenants_finish (LUMA_CACHE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Cannot cache the tenant list: %s", error->message);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LumaTenantsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GHashTable) samples = NULL;
  gint64 now;

  self->answered_at = g_get_monotonic_time ();
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
      update_offline (self);
      g_object_notify (G_OBJECT (self), "loaded");
      return;
    }

  now = page_now (self);
  self->cached_on = 0;
  /* The samples before this answer's own: the rate is from then to now. */
  samples = read_samples (self, now);
  fill_store (self, tenants, samples, now);
  /* Not cancelled with the page: the list is kept even when the window closes at once. */
  if (self->cache != NULL)
    luma_cache_store_tenants_async (self->cache, tenants, now, NULL, stored_cb, NULL);

  gtk_stack_set_visible_child_name (self->stack, "list");
  update_offline (self);
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
  if (self->items->len == 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");

  luma_api_client_list_tenants_async (self->client, self->cancellable, list_cb, g_object_ref (self));
}

void
luma_tenants_page_set_client (LumaTenantsPage *self,
                              LumaApiClient   *client)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  g_set_object (&self->client, client);
  g_ptr_array_set_size (self->items, 0);
  show_rows (self);
  self->cached_on = 0;
  self->loaded = FALSE;
  g_clear_error (&self->error);
  update_offline (self);
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
  /* The search and the filters go: the tenants asked for are all shown. */
  luma_tenants_page_set_filters (self, -1, -1);
  luma_tenants_page_set_search (self, NULL);
}

GListModel *
luma_tenants_page_get_shown (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), NULL);
  return G_LIST_MODEL (self->rows);
}

guint
luma_tenants_page_count_status (LumaTenantsPage *self,
                                LumaCapacity     capacity)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), 0);
  g_return_val_if_fail (capacity < LUMA_CAPACITY_N, 0);
  return self->counts[capacity];
}

void
luma_tenants_page_set_filters (LumaTenantsPage *self,
                               int              capacity,
                               int              license_type)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  gtk_drop_down_set_selected (self->status_dropdown,
                              capacity == LUMA_CAPACITY_AT_OR_OVER ? 1 :
                              capacity == LUMA_CAPACITY_NEAR ? 2 :
                              capacity == LUMA_CAPACITY_OK ? 3 : 0);
  gtk_drop_down_set_selected (self->type_dropdown,
                              license_type == LUMA_LICENSE_TYPE_SESSION ? 1 :
                              license_type == LUMA_LICENSE_TYPE_USER ? 2 : 0);
  filters_changed_cb (self);
}

void
luma_tenants_page_sort_by_risk (LumaTenantsPage *self)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));
  gtk_column_view_sort_by_column (self->view, self->status_column, GTK_SORT_ASCENDING);
}

void
_luma_tenants_page_set_now (LumaTenantsPage *self,
                            gint64           now)
{
  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));
  self->now = now;
}

gint64
_luma_tenants_page_get_answered_at (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), 0);
  return self->answered_at;
}

const char *
_luma_tenants_page_get_offline_banner (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), NULL);
  return gtk_revealer_get_reveal_child (self->offline_revealer)
         ? gtk_label_get_label (self->offline_label) : NULL;
}

GtkColumnView *
_luma_tenants_page_get_view (LumaTenantsPage *self)
{
  g_return_val_if_fail (LUMA_IS_TENANTS_PAGE (self), NULL);
  return self->view;
}

void
luma_tenants_page_activate (LumaTenantsPage *self,
                            guint            position)
{
  g_autoptr(LumaTenantItem) item = NULL;

  g_return_if_fail (LUMA_IS_TENANTS_PAGE (self));

  item = g_list_model_get_item (G_LIST_MODEL (self->rows), position);
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
  g_clear_object (&self->rows);
  if (self->sorter != NULL)
    g_signal_handlers_disconnect_by_func (self->sorter, view_sorter_changed_cb, self);
  g_clear_object (&self->sorter);
  g_clear_object (&self->probe[0]);
  g_clear_object (&self->probe[1]);
  g_clear_pointer (&self->items, g_ptr_array_unref);
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
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, offline_label);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, view);
  gtk_widget_class_bind_template_child (widget_class, LumaTenantsPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, luma_tenants_page_refresh);
  gtk_widget_class_bind_template_callback (widget_class, view_activate_cb);
}

static void
luma_tenants_page_init (LumaTenantsPage *self)
{
  GtkSelectionModel *selection;

  self->status_filter = -1;
  self->type_filter = -1;
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));

  add_column (self, _("Tenant"), CELL_NAME, column_sorter (self, LUMA_TENANT_COLUMN_NAME), TRUE);
  add_column (self, _("License Type"), CELL_TYPE, column_sorter (self, LUMA_TENANT_COLUMN_LICENSE_TYPE), FALSE);
  /* Translators: a column heading: licenses used of the total purchase */
  add_column (self, C_("licenses", "Used"), CELL_USED, column_sorter (self, LUMA_TENANT_COLUMN_USED), FALSE);
  self->status_column = add_column (self, _("Status"), CELL_STATUS,
                                    column_sorter (self, LUMA_TENANT_COLUMN_STATUS), FALSE);
  add_column (self, _("Contract End"), CELL_END, column_sorter (self, LUMA_TENANT_COLUMN_END_DATE), FALSE);
  add_column (self, _("Days Left"), CELL_DAYS, column_sorter (self, LUMA_TENANT_COLUMN_DAYS_LEFT), FALSE);
  add_column (self, _("Last Refill"), CELL_REFILL,
              column_sorter (self, LUMA_TENANT_COLUMN_LAST_REFILL),
              FALSE);

  fit_headings (self);

  /* The view starts sorted by Status, which is by risk. */
  self->sort_column = LUMA_TENANT_COLUMN_STATUS;
  self->sorter = g_object_ref (gtk_column_view_get_sorter (self->view));
  {
    LumaTenantSummary probe = { .external_id = (char *) "a", .tenant_name = (char *) "" };

    self->probe[0] = luma_tenant_item_new_at (&probe, NULL, 0);
    probe.external_id = (char *) "b";
    self->probe[1] = luma_tenant_item_new_at (&probe, NULL, 0);
  }
  g_signal_connect_swapped (self->sorter, "changed", G_CALLBACK (view_sorter_changed_cb), self);

  /* Every tenant kept sorted: a filter or a search keeps the order, no new sort. */
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->rows = luma_tenant_rows_new ();
  selection = GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->rows))));
  gtk_column_view_set_model (self->view, selection);
  g_object_unref (selection);

  /* By risk until a column heading is chosen. */
  luma_tenants_page_sort_by_risk (self);
}
