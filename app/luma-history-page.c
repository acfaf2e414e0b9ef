/* luma-history-page.c: the License Consumption History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-column-sorter.h"
#include "luma-conversation-window.h"
#include "luma-csv.h"
#include "luma-a11y.h"
#include "luma-history-page-private.h"
#include "luma-format.h"
#include "luma-history-columns.h"
#include "luma-utils.h"
#include "luma-wrap-box.h"

struct _LumaHistoryPage
{
  GtkWidget            parent_instance;

  LumaCache           *cache;
  LumaSync            *sync;
  GSettings           *settings;
  GSettings           *view_settings;     /* widths and sort of this license model */
  LumaHistoryModel    *model;
  GtkSingleSelection  *selection;
  LumaLicenseType      license_type;
  gboolean             have_columns;
  gboolean             busy;
  gboolean             updating_controls;
  gboolean             show_date_errors;  /* a date was committed (Enter, focus left) */
  GCancellable        *cancellable;
  LumaHistoryQuery    *asked;             /* the query run last */
  GCancellable        *download_cancellable;
  GFile               *download_file;      /* what the download writes, while it runs */
  GtkFileChooserNative *chooser;
  guint                restore_tick;
  guint                restore_frames;    /* frames to wait until the list has its new size */
  guint                save_widths_id;

  /* Where to put the view back after the rows changed */
  gint64               anchor_id;         /* the row at the top, or -1 */
  gint64               selected_id;       /* the selected row, or -1 */
  guint                target_top;        /* position to scroll to */
  double               row_h;             /* height of a row when the query started, or 0 */
  gboolean             keep_position;
  gboolean             was_at_top;        /* the first row was at the top when the query started */

  GtkSearchEntry      *search_entry;
  GtkDropDown         *channel_dropdown;
  GtkStringList       *channel_list;
  GtkDropDown         *initiated_dropdown;
  GtkStringList       *initiated_list;
  GtkDropDown         *role_dropdown;
  GtkStringList       *role_list;
  GtkDropDown         *status_dropdown;
  GtkStringList       *status_list;
  GtkEntry            *from_entry;
  GtkEntry            *to_entry;
  GtkPopover          *from_popover;
  GtkPopover          *to_popover;
  GtkCalendar         *from_calendar;
  GtkCalendar         *to_calendar;
  GtkLabel            *date_message;
  GtkButton           *download_button;
  GtkRevealer         *download_revealer;
  GtkProgressBar      *download_progress;
  GtkStack            *stack;
  GtkScrolledWindow   *scrolled_window;
  GtkColumnView       *view;
  AdwStatusPage       *empty_page;
  GtkSpinner          *loading_spinner;
  GtkLabel            *count_label;
};

G_DEFINE_FINAL_TYPE (LumaHistoryPage, luma_history_page, GTK_TYPE_WIDGET)

static void run_query (LumaHistoryPage *self,
                       gboolean         keep_position,
                       gboolean         again);

/* ---- Columns -------------------------------------------------------------------------------- */

static char *
cell_text (LumaHistoryItem             *item,
           const LumaHistoryColumnInfo *info)
{
  const LumaSessionRecord *s = luma_history_item_get_session (item);
  gconstpointer record = s != NULL ? (gconstpointer) s : (gconstpointer) luma_history_item_get_user (item);

  return luma_history_record_format (luma_history_item_get_license_type (item), record, info);
}

/* Cells follow their item: a new query gives the item another record and
 * emits LumaHistoryItem::changed, and the cell shows it again (GTK keeps
 * the row widgets). */
typedef void (*UpdateCellFunc) (GtkListItem *list_item,
                                gpointer     user_data);

typedef struct
{
  LumaHistoryItem *item;
  gulong           handler;
  GtkListItem     *list_item;   /* unowned: it owns this binding */
  UpdateCellFunc   update;
  gpointer         user_data;
} CellBinding;

static void
cell_binding_free (gpointer data)
{
  CellBinding *binding = data;

  g_clear_signal_handler (&binding->handler, binding->item);
  g_clear_object (&binding->item);
  g_free (binding);
}

static void
item_changed_cb (LumaHistoryItem *item,
                 CellBinding     *binding)
{
  binding->update (binding->list_item, binding->user_data);
}

static void
bind_cell (GtkListItem    *list_item,
           UpdateCellFunc  update,
           gpointer        user_data)
{
  LumaHistoryItem *item = gtk_list_item_get_item (list_item);
  CellBinding *binding = g_new0 (CellBinding, 1);

  binding->item = g_object_ref (item);
  binding->list_item = list_item;
  binding->update = update;
  binding->user_data = user_data;
  binding->handler = g_signal_connect (item, "changed", G_CALLBACK (item_changed_cb), binding);
  /* Replacing the data drops an earlier binding of this cell. */
  g_object_set_data_full (G_OBJECT (list_item), "luma-cell-binding", binding, cell_binding_free);
  update (list_item, user_data);
}

static void
unbind_cell_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  g_object_set_data (G_OBJECT (list_item), "luma-cell-binding", NULL);
}

/* GtkInscription has no tooltip of its own: a cell whose text is cut shows
 * the whole text in one (screen readers get it as the cell's name anyway). */
static gboolean
text_query_tooltip_cb (GtkWidget  *widget,
                       int         x,
                       int         y,
                       gboolean    keyboard_mode,
                       GtkTooltip *tooltip,
                       gpointer    user_data)
{
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  g_autoptr(PangoLayout) layout = NULL;
  int width;

  if (text == NULL || *text == '\0')
    return FALSE;

  layout = gtk_widget_create_pango_layout (widget, text);
  pango_layout_get_pixel_size (layout, &width, NULL);
  if (width <= gtk_widget_get_width (widget))
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
setup_text_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  const LumaHistoryColumnInfo *info = user_data;
  GtkWidget *text = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (text), 0);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (text), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (text), MIN (info->width_chars, 6));
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (text), info->width_chars);
  /* One line, ellipsized: given the row's full height it would wrap. */
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_widget_set_has_tooltip (text, TRUE);
  g_signal_connect (text, "query-tooltip", G_CALLBACK (text_query_tooltip_cb), NULL);
  gtk_list_item_set_child (list_item, text);
}

static void
update_text (GtkListItem *list_item,
             gpointer     user_data)
{
  const LumaHistoryColumnInfo *info = user_data;
  LumaHistoryItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *child = gtk_list_item_get_child (list_item);
  g_autofree char *text = cell_text (item, info);

  /* GtkInscription also gives the text to screen readers as the cell's name. */
  gtk_inscription_set_text (GTK_INSCRIPTION (child), text);
}

static void
bind_text_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  bind_cell (list_item, update_text, user_data);
}

static void
open_conversations (LumaHistoryPage *self,
                    const char      *record_id,
                    const char      *user_name)
{
  LumaConversationWindow *window;

  if (record_id == NULL || *record_id == '\0' || self->sync == NULL)
    return;

  window = luma_conversation_window_new (self->sync, self->license_type, record_id, user_name);
  gtk_window_set_transient_for (GTK_WINDOW (window),
                                GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_present (GTK_WINDOW (window));
}

static void
conversations_clicked_cb (GtkButton       *button,
                          LumaHistoryPage *self)
{
  open_conversations (self,
                      g_object_get_data (G_OBJECT (button), "record-id"),
                      g_object_get_data (G_OBJECT (button), "user-name"));
}

/* Enter or a double click on a row: its conversations, as its count's
 * button opens them. */
static void
row_activated_cb (LumaHistoryPage *self,
                  guint            position)
{
  g_autoptr(LumaHistoryItem) item = NULL;
  const LumaSessionRecord *s;
  const LumaUserRecord *u;

  if (self->model == NULL)
    return;
  item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  if (item == NULL)
    return;

  if (luma_history_item_get_conversations (item) <= 0)
    {
      /* Translators: %s is a session or user id */
      g_autofree char *message = g_strdup_printf (_("%s has no conversations"),
                                                  luma_history_item_get_record_id (item));

      luma_widget_show_toast (GTK_WIDGET (self), message);
      return;
    }

  s = luma_history_item_get_session (item);
  u = luma_history_item_get_user (item);
  open_conversations (self, luma_history_item_get_record_id (item),
                      s != NULL ? s->user_name : u->user_name);
}

static void
setup_conversations_cb (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        LumaHistoryPage          *self)
{
  GtkWidget *button = gtk_button_new ();

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  /* One Tab stop per row: the row itself (Enter opens the same). */
  gtk_widget_set_focusable (button, FALSE);
  g_signal_connect (button, "clicked", G_CALLBACK (conversations_clicked_cb), self);
  gtk_list_item_set_child (list_item, button);
}

static void
update_conversations (GtkListItem *list_item,
                      gpointer     user_data)
{
  LumaHistoryItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *button = gtk_list_item_get_child (list_item);
  gint64 n = luma_history_item_get_conversations (item);
  const LumaSessionRecord *s = luma_history_item_get_session (item);
  const LumaUserRecord *u = luma_history_item_get_user (item);
  g_autofree char *label = g_strdup_printf ("%" G_GINT64_FORMAT, n);
  g_autofree char *a11y = NULL;

  gtk_button_set_label (GTK_BUTTON (button), label);
  gtk_widget_set_sensitive (button, n > 0);
  g_object_set_data_full (G_OBJECT (button), "record-id",
                          g_strdup (luma_history_item_get_record_id (item)), g_free);
  g_object_set_data_full (G_OBJECT (button), "user-name",
                          g_strdup (s != NULL ? s->user_name : u->user_name), g_free);

  /* Translators: accessible name of the Conversations cell: "3 conversations of S-0001" */
  a11y = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s conversation of %s",
                                       "%s conversations of %s", luma_plural_n (n)),
                          label, luma_history_item_get_record_id (item));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, a11y,
                                  -1);
}

static void
bind_conversations_cb (GtkSignalListItemFactory *factory,
                       GtkListItem              *list_item,
                       LumaHistoryPage          *self)
{
  bind_cell (list_item, update_conversations, NULL);
}

/* ---- Column widths and the sort, remembered per license model --------------------------------- */

/* The names the settings keep the columns under. */
static const char * const column_names[LUMA_N_HISTORY_COLUMNS] = {
  [LUMA_HISTORY_COLUMN_TIME] = "time",
  [LUMA_HISTORY_COLUMN_ID] = "id",
  [LUMA_HISTORY_COLUMN_USER_NAME] = "user-name",
  [LUMA_HISTORY_COLUMN_EMAIL] = "email",
  [LUMA_HISTORY_COLUMN_ROLE] = "role",
  [LUMA_HISTORY_COLUMN_CONVERSATIONS] = "conversations",
  [LUMA_HISTORY_COLUMN_INITIATED_BY] = "initiated-by",
  [LUMA_HISTORY_COLUMN_AGENT_NAME] = "agent-name",
  [LUMA_HISTORY_COLUMN_CHANNEL] = "channel",
  [LUMA_HISTORY_COLUMN_FIRST_NAME] = "first-name",
  [LUMA_HISTORY_COLUMN_LAST_NAME] = "last-name",
  [LUMA_HISTORY_COLUMN_STATUS] = "status",
};

static int
column_from_name (const char *name)
{
  for (int i = 0; i < LUMA_N_HISTORY_COLUMNS; i++)
    if (g_strcmp0 (column_names[i], name) == 0)
      return i;
  return -1;
}

static int
column_key (GtkColumnViewColumn *column)
{
  GtkSorter *sorter = gtk_column_view_column_get_sorter (column);

  return LUMA_IS_COLUMN_SORTER (sorter) ? luma_column_sorter_get_column (LUMA_COLUMN_SORTER (sorter)) : -1;
}

static void
update_view_settings (LumaHistoryPage *self)
{
  const char *child;
  g_autoptr(GSettingsSchema) schema = NULL;

  g_clear_object (&self->view_settings);
  if (self->settings == NULL)
    return;

  child = self->license_type == LUMA_LICENSE_TYPE_USER ? "history-user" : "history-session";
  g_object_get (self->settings, "settings-schema", &schema, NULL);
  if (schema != NULL)
    {
      g_auto(GStrv) children = g_settings_schema_list_children (schema);

      if (g_strv_contains ((const char * const *) children, child))
        self->view_settings = g_settings_get_child (self->settings, child);
    }
}

static gboolean
save_widths_cb (gpointer user_data)
{
  LumaHistoryPage *self = user_data;
  GListModel *columns = gtk_column_view_get_columns (self->view);
  GVariantBuilder builder;

  self->save_widths_id = 0;
  if (self->view_settings == NULL)
    return G_SOURCE_REMOVE;

  /* Only the widths a person chose: the others follow the content and the
   * locale. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{si}"));
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      int key = column_key (column);

      if (key >= 0 && g_object_get_data (G_OBJECT (column), "luma-resized") != NULL)
        g_variant_builder_add (&builder, "{si}", column_names[key],
                               gtk_column_view_column_get_fixed_width (column));
    }
  g_settings_set_value (self->view_settings, "column-widths", g_variant_builder_end (&builder));

  return G_SOURCE_REMOVE;
}

static void
column_width_changed_cb (GtkColumnViewColumn *column,
                         GParamSpec          *pspec,
                         LumaHistoryPage     *self)
{
  if (self->updating_controls)
    return;

  g_object_set_data (G_OBJECT (column), "luma-resized", GINT_TO_POINTER (1));
  /* A drag changes the width at every motion: write once it rests. */
  if (self->save_widths_id != 0)
    g_source_remove (self->save_widths_id);
  self->save_widths_id = g_timeout_add (300, save_widths_cb, self);
}

static void
save_sort (LumaHistoryPage *self)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->view);
  gboolean descending = TRUE;
  int column;

  if (self->view_settings == NULL || sorter == NULL)
    return;
  column = luma_column_sorter_find_primary (sorter, &descending);
  if (column < 0)
    return;
  g_settings_set_string (self->view_settings, "sort-column", column_names[column]);
  g_settings_set_boolean (self->view_settings, "sort-descending", descending);
}

/* The width of @text as the view writes it (@bold: as its headings), in
 * pixels. */
static int
text_width (GtkWidget  *widget,
            const char *text,
            gboolean    bold)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width;

  if (bold)
    {
      g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (layout, attrs);
    }
  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

/* The widest value of a column that holds a time, an enumeration, a count
 * or an id, in the present locale, and its heading (@title_out); 0 for the
 * others (their widths follow the text). */
static int
content_width (LumaHistoryPage             *self,
               const LumaHistoryColumnInfo *info,
               int                         *title_out)
{
  GtkWidget *widget = GTK_WIDGET (self->view);
  int width = 0;

  if (info->kind == LUMA_HISTORY_VALUE_TIME)
    {
      /* Days and hours of two digits; an afternoon where the locale writes
       * AM/PM. */
      static const gint64 samples[] = { 1798491538, 1793174888, 1796082040 };

      for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
        {
          g_autofree char *text = luma_format_record_time (samples[i]);

          width = MAX (width, text_width (widget, text, FALSE));
        }
    }
  else if (info->kind == LUMA_HISTORY_VALUE_ENUM)
    {
      int n = info->key == LUMA_HISTORY_COLUMN_ROLE ? LUMA_N_ROLES
            : info->key == LUMA_HISTORY_COLUMN_CHANNEL ? LUMA_N_CHANNELS
            : 2;

      for (int v = 0; v < n; v++)
        {
          const char *label;

          if (info->key == LUMA_HISTORY_COLUMN_ROLE)
            label = luma_role_to_display (v);
          else if (info->key == LUMA_HISTORY_COLUMN_CHANNEL)
            label = luma_channel_to_display (v);
          else if (info->key == LUMA_HISTORY_COLUMN_INITIATED_BY)
            label = luma_initiated_by_to_display (v);
          else
            label = luma_user_status_to_display (v);
          width = MAX (width, text_width (widget, label, FALSE));
        }
    }
  else if (info->key == LUMA_HISTORY_COLUMN_ID)
    {
      /* Ids as the API writes them, S-000012345 */
      width = text_width (widget, "M-000000000", FALSE);
    }
  else if (info->kind != LUMA_HISTORY_VALUE_COUNT)
    {
      return 0;
    }

  /* The cell's padding (style.css); the heading, in bold (the sort arrow
   * gets room of its own: see fit_sort_arrow()). */
  *title_out = text_width (widget, luma_history_column_get_title (info), TRUE) + 16;
  return width + 13;
}

/* Columns sized for their content get room for the sort arrow while they
 * lead the sort (the others keep none: style.css), so that nine columns fit
 * a 1000 px window in English and in German. */
static void
fit_sort_arrow (LumaHistoryPage *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->view);
  GtkSorter *sorter = gtk_column_view_get_sorter (self->view);
  gboolean descending;
  int sorted = sorter != NULL ? luma_column_sorter_find_primary (sorter, &descending) : -1;
  gboolean was_updating = self->updating_controls;

  self->updating_controls = TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      int width = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (column), "luma-content-width"));
      int title = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (column), "luma-title-width"));

      if (width <= 0 || g_object_get_data (G_OBJECT (column), "luma-resized") != NULL)
        continue;
      gtk_column_view_column_set_fixed_width (column, MAX (width, column_key (column) == sorted ? title + 22
                                                                                               : title));
    }
  self->updating_controls = was_updating;
}

static void
sorter_changed_cb (GtkSorter       *sorter,
                   GtkSorterChange  change,
                   LumaHistoryPage *self)
{
  if (self->updating_controls)
    return;
  save_sort (self);
  fit_sort_arrow (self);
  /* A new order starts at its first row. */
  run_query (self, FALSE, FALSE);
}

static void
build_columns (LumaHistoryPage *self)
{
  const LumaHistoryColumnInfo *info;
  guint n_info;
  GListModel *columns = gtk_column_view_get_columns (self->view);
  GtkColumnViewColumn *sort_column = NULL;
  GtkColumnViewColumn *time_column = NULL;
  g_autoptr(GVariant) widths = NULL;
  g_autofree char *sort_name = NULL;
  int sort_key = LUMA_HISTORY_COLUMN_TIME;
  gboolean descending = TRUE;

  self->updating_controls = TRUE;

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

      g_signal_handlers_disconnect_by_func (column, column_width_changed_cb, self);
      gtk_column_view_remove_column (self->view, column);
    }

  update_view_settings (self);
  if (self->view_settings != NULL)
    {
      widths = g_settings_get_value (self->view_settings, "column-widths");
      sort_name = g_settings_get_string (self->view_settings, "sort-column");
      descending = g_settings_get_boolean (self->view_settings, "sort-descending");
      sort_key = column_from_name (sort_name);
    }

  info = luma_history_columns_get (self->license_type, &n_info);

  for (guint i = 0; i < n_info; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;
      g_autoptr(LumaColumnSorter) sorter = luma_column_sorter_new (info[i].key);
      int title = 0;
      int width = content_width (self, &info[i], &title);
      int saved = 0;

      if (info[i].key == LUMA_HISTORY_COLUMN_CONVERSATIONS)
        {
          g_signal_connect (factory, "setup", G_CALLBACK (setup_conversations_cb), self);
          g_signal_connect (factory, "bind", G_CALLBACK (bind_conversations_cb), self);
        }
      else
        {
          g_signal_connect (factory, "setup", G_CALLBACK (setup_text_cb), (gpointer) &info[i]);
          g_signal_connect (factory, "bind", G_CALLBACK (bind_text_cb), (gpointer) &info[i]);
        }
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell_cb), NULL);

      column = gtk_column_view_column_new (luma_history_column_get_title (&info[i]), factory);
      gtk_column_view_column_set_sorter (column, GTK_SORTER (sorter));
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_expand (column, info[i].expand);
      /* Times and labels as wide as the widest of them in this locale: they
       * are never cut; names and addresses share the rest. */
      if (widths != NULL && g_variant_lookup (widths, column_names[info[i].key], "i", &saved) && saved > 0)
        {
          width = saved;
          g_object_set_data (G_OBJECT (column), "luma-resized", GINT_TO_POINTER (1));
        }
      else if (width > 0)
        {
          g_object_set_data (G_OBJECT (column), "luma-content-width", GINT_TO_POINTER (width));
          g_object_set_data (G_OBJECT (column), "luma-title-width", GINT_TO_POINTER (title));
          width = MAX (width, title);
        }
      if (width > 0)
        gtk_column_view_column_set_fixed_width (column, width);
      g_signal_connect (column, "notify::fixed-width", G_CALLBACK (column_width_changed_cb), self);
      gtk_column_view_append_column (self->view, column);
      if (info[i].key == LUMA_HISTORY_COLUMN_TIME)
        time_column = column;
      if ((int) info[i].key == sort_key)
        sort_column = column;
    }

  /* The order chosen last for this license model; newest first at first. */
  if (sort_column == NULL)
    {
      sort_column = time_column;
      descending = TRUE;
    }
  gtk_column_view_sort_by_column (self->view, sort_column,
                                  descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  fit_sort_arrow (self);
  self->have_columns = TRUE;
  self->updating_controls = FALSE;
}

/* ---- The dates ------------------------------------------------------------------------------ */

typedef enum
{
  DAY_EMPTY,
  DAY_VALID,
  DAY_INVALID,
} DayState;

static DayState
read_day (GtkEntry *entry,
          GDate    *day)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));

  if (*stripped == '\0')
    return DAY_EMPTY;
  return luma_parse_day (stripped, day) ? DAY_VALID : DAY_INVALID;
}

static void
mark_entry (GtkEntry *entry,
            gboolean  invalid)
{
  if (!invalid)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
      return;
    }
  gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (entry),
                               GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                               -1);
}

/* Says what is wrong with the dates, in words beside them (and to screen
 * readers as the fields' description). Only once a date was committed: a
 * day half typed is not a mistake yet. */
static void
update_date_message (LumaHistoryPage *self)
{
  GDate from, to, today;
  DayState from_state = read_day (self->from_entry, &from);
  DayState to_state = read_day (self->to_entry, &to);
  g_autofree char *message = NULL;
  gboolean show = self->show_date_errors;

  if (from_state == DAY_INVALID || to_state == DAY_INVALID)
    {
      GtkEntry *bad = from_state == DAY_INVALID ? self->from_entry : self->to_entry;
      g_autofree char *example = NULL;
      g_autofree char *iso = NULL;

      luma_local_today (&today);
      example = luma_format_calendar_day (&today);
      iso = g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&today), g_date_get_month (&today),
                             g_date_get_day (&today));
      /* Translators: the first %s is what was typed in a date field, then
       * today's date in two formats the field reads, "12/02/2026" and "2026-12-02" */
      message = g_strdup_printf (_("“%s” is not a date: write it as %s or %s"),
                                 gtk_editable_get_text (GTK_EDITABLE (bad)), example, iso);
    }
  else if (from_state == DAY_VALID && to_state == DAY_VALID && g_date_compare (&from, &to) > 0)
    {
      message = g_strdup (_("The first day is after the last day: no record can match"));
      show = TRUE;
    }
  else
    {
      show = FALSE;
    }

  mark_entry (self->from_entry, show && from_state == DAY_INVALID);
  mark_entry (self->to_entry, show && to_state == DAY_INVALID);
  gtk_label_set_label (self->date_message, show ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->date_message), show);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->from_entry),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, show ? message : "",
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->to_entry),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, show ? message : "",
                                  -1);
}

/* Writes @day into @entry the way the locale writes days (NULL: empty). */
static void
set_day (GtkEntry    *entry,
         const GDate *day)
{
  g_autofree char *text = day != NULL ? luma_format_calendar_day (day) : g_strdup ("");

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static void
date_changed_cb (LumaHistoryPage *self)
{
  if (self->updating_controls)
    return;
  update_date_message (self);
  run_query (self, FALSE, FALSE);
}

static void
date_activate_cb (LumaHistoryPage *self)
{
  self->show_date_errors = TRUE;
  update_date_message (self);
}

static void
date_focus_leave_cb (GtkEventControllerFocus *controller,
                     LumaHistoryPage         *self)
{
  date_activate_cb (self);
}

static void
calendar_popover_show_cb (LumaHistoryPage *self,
                          GtkPopover      *popover)
{
  gboolean from = popover == self->from_popover;
  GtkCalendar *calendar = from ? self->from_calendar : self->to_calendar;
  GDate day;
  g_autoptr(GDateTime) dt = NULL;

  /* The day of the field, else today. */
  if (read_day (from ? self->from_entry : self->to_entry, &day) != DAY_VALID)
    luma_local_today (&day);
  dt = g_date_time_new_local (g_date_get_year (&day), g_date_get_month (&day), g_date_get_day (&day),
                              12, 0, 0);
  self->updating_controls = TRUE;
  gtk_calendar_select_day (calendar, dt);
  self->updating_controls = FALSE;
}

static void
calendar_day_selected_cb (LumaHistoryPage *self,
                          GtkCalendar     *calendar)
{
  gboolean from = calendar == self->from_calendar;
  g_autoptr(GDateTime) dt = NULL;
  GDate day;

  if (self->updating_controls)
    return;

  dt = gtk_calendar_get_date (calendar);
  g_date_clear (&day, 1);
  g_date_set_dmy (&day, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                  g_date_time_get_year (dt));
  set_day (from ? self->from_entry : self->to_entry, &day);
  gtk_popover_popdown (from ? self->from_popover : self->to_popover);
}

/* The calendar day a contract day (a UTC day) names. */
static void
contract_day (gint64  unix_seconds,
              GDate  *out)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  g_date_clear (out, 1);
  if (dt != NULL)
    g_date_set_dmy (out, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                    g_date_time_get_year (dt));
}

/* The term before the one from @from to @to (both included): as many whole
 * months when the term is whole months (a year before a yearly term), else
 * as many days. */
static void
previous_term (GDate *from,
               GDate *to)
{
  GDate after_end = *to;
  GDate probe = *from;
  int months;

  g_date_add_days (&after_end, 1);
  months = ((int) g_date_get_year (&after_end) - (int) g_date_get_year (from)) * 12 +
           (int) g_date_get_month (&after_end) - (int) g_date_get_month (from);
  if (months > 0)
    g_date_add_months (&probe, months);

  *to = *from;
  g_date_subtract_days (to, 1);
  if (months > 0 && g_date_compare (&probe, &after_end) == 0)
    g_date_subtract_months (from, months);
  else
    g_date_subtract_days (from, g_date_days_between (from, &after_end));
}

/* Sets the date fields to a period: "last-7", "last-30", "last-90", "term"
 * or "previous-term"; FALSE when the term is not known yet. */
static gboolean
set_period (LumaHistoryPage *self,
            const char      *period)
{
  GDate from, to;

  if (g_str_has_prefix (period, "last-"))
    {
      guint days = (guint) g_ascii_strtoull (period + 5, NULL, 10);

      if (days == 0)
        return FALSE;
      luma_local_today (&to);
      from = to;
      g_date_subtract_days (&from, days - 1);
    }
  else
    {
      g_autoptr(LumaSubscription) subscription = NULL;

      if (self->cache != NULL)
        subscription = luma_cache_get_subscription (self->cache, NULL, NULL);
      if (subscription == NULL || subscription->end_date < subscription->start_date)
        return FALSE;
      contract_day (subscription->start_date, &from);
      contract_day (subscription->end_date, &to);
      if (!g_date_valid (&from) || !g_date_valid (&to))
        return FALSE;
      if (g_strcmp0 (period, "previous-term") == 0)
        previous_term (&from, &to);
    }

  self->updating_controls = TRUE;
  set_day (self->from_entry, &from);
  set_day (self->to_entry, &to);
  self->updating_controls = FALSE;
  update_date_message (self);
  run_query (self, FALSE, FALSE);
  return TRUE;
}

static void
period_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (widget);

  if (!set_period (self, g_variant_get_string (parameter, NULL)))
    luma_widget_show_toast (widget, _("The contract term is not known yet: sync first"));
}

/* ---- The query ------------------------------------------------------------------------------ */

/* The query the controls describe; FALSE while a date cannot be read. */
static gboolean
build_query (LumaHistoryPage  *self,
             LumaHistoryQuery *query)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->view);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gboolean session = self->license_type == LUMA_LICENSE_TYPE_SESSION;
  gboolean descending = TRUE;
  guint selected;
  int column;
  GDate day;
  DayState state;

  luma_history_query_init (query, self->license_type);

  column = sorter != NULL ? luma_column_sorter_find_primary (sorter, &descending) : -1;
  if (column >= 0)
    {
      query->sort_column = column;
      query->descending = descending;
    }

  if (search != NULL && *search != '\0')
    query->search = g_strstrip (g_strdup (search));

  selected = gtk_drop_down_get_selected (self->channel_dropdown);
  if (session && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->channels = LUMA_HISTORY_CHANNEL_BIT (selected - 1);
  selected = gtk_drop_down_get_selected (self->initiated_dropdown);
  if (session && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->initiated_by = (gint) selected - 1;
  selected = gtk_drop_down_get_selected (self->status_dropdown);
  if (!session && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->status = (gint) selected - 1;
  selected = gtk_drop_down_get_selected (self->role_dropdown);
  if (selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->roles = LUMA_HISTORY_ROLE_BIT (selected - 1);

  /* Days of the viewer's calendar: from its first second to its last, in
   * the local time zone (23 or 25 hours on a daylight saving change). */
  state = read_day (self->from_entry, &day);
  if (state == DAY_INVALID)
    return FALSE;
  if (state == DAY_VALID)
    query->from = luma_local_day_start (&day);
  state = read_day (self->to_entry, &day);
  if (state == DAY_INVALID)
    return FALSE;
  if (state == DAY_VALID)
    {
      g_date_add_days (&day, 1);
      query->to = luma_local_day_start (&day) - 1;
    }

  return TRUE;
}

static gboolean
controls_filter (LumaHistoryPage *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  const char *from = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));
  const char *to = gtk_editable_get_text (GTK_EDITABLE (self->to_entry));

  return (search != NULL && *search != '\0') || (from != NULL && *from != '\0') ||
         (to != NULL && *to != '\0') ||
         gtk_drop_down_get_selected (self->channel_dropdown) > 0 ||
         gtk_drop_down_get_selected (self->initiated_dropdown) > 0 ||
         gtk_drop_down_get_selected (self->role_dropdown) > 0 ||
         gtk_drop_down_get_selected (self->status_dropdown) > 0;
}

/* The history has not been synced to its end yet: a first sync runs, or
 * stopped before the end. */
static gboolean
history_incomplete (LumaHistoryPage *self)
{
  return self->cache != NULL && luma_cache_get_last_synced (self->cache) <= 0;
}

/* With history_incomplete(): a first sync runs. */
static gboolean
sync_running (LumaHistoryPage *self)
{
  return self->sync != NULL && luma_sync_get_running (self->sync);
}

static void
update_count (LumaHistoryPage *self)
{
  guint n = self->model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  gint64 all = self->model != NULL ? luma_history_model_get_total (self->model) : 0;
  g_autofree char *shown = luma_format_count (n);
  g_autofree char *total = luma_format_count (all);
  g_autofree char *text = NULL;
  gboolean incomplete = history_incomplete (self);
  gboolean syncing = incomplete && sync_running (self);

  if (syncing && (gint64) n == all)
    /* Translators: during the first sync: "20,000 records so far, syncing…" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s record so far, syncing…",
                                         "%s records so far, syncing…", luma_plural_n (all)),
                            shown);
  else if (syncing)
    /* Translators: during the first sync: "12 of 20,000 records so far, syncing…" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s record so far, syncing…",
                                         "%s of %s records so far, syncing…", luma_plural_n (all)),
                            shown, total);
  else if (incomplete && all > 0 && (gint64) n == all)
    /* Translators: the first sync stopped before the end: "20,000 records so far, not synced to the end" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s record so far, not synced to the end",
                                         "%s records so far, not synced to the end",
                                         luma_plural_n (all)),
                            shown);
  else if (incomplete && all > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s record so far, not synced to the end",
                                         "%s of %s records so far, not synced to the end",
                                         luma_plural_n (all)),
                            shown, total);
  else if ((gint64) n == all)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s record", "%s records", luma_plural_n (n)),
                            shown);
  else
    /* Translators: "12 of 1,000 records" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s record", "%s of %s records",
                                         luma_plural_n (all)),
                            shown, total);
  gtk_label_set_label (self->count_label, text);

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  gtk_widget_set_visible (GTK_WIDGET (self->loading_spinner), n == 0 && all == 0 && syncing);
  gtk_spinner_set_spinning (self->loading_spinner, n == 0 && all == 0 && syncing);
  if (n > 0)
    ;
  else if (all == 0 && syncing)
    {
      adw_status_page_set_title (self->empty_page, _("Loading the History…"));
      adw_status_page_set_description (self->empty_page,
                                       _("The first sync is running: records appear here as they arrive."));
    }
  else if (all == 0)
    {
      adw_status_page_set_title (self->empty_page, _("No Records"));
      adw_status_page_set_description (self->empty_page,
                                       _("The history is empty: records appear after a sync."));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No Matching Records"));
      adw_status_page_set_description (self->empty_page,
                                       _("No record matches the search and the filters."));
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.download",
                                 n > 0 && self->download_cancellable == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.clear-filters", controls_filter (self));
}

static double
row_height (LumaHistoryPage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

  if (n == 0)
    return 0;
  return gtk_adjustment_get_upper (adj) / n;
}

static gboolean
restore_position_tick_cb (GtkWidget     *widget,
                          GdkFrameClock *clock,
                          gpointer       user_data)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (widget);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double h, value;

  /* Tick callbacks run before the layout of their frame: the list knows its
   * new height only after the next one. */
  if (self->restore_frames > 0)
    {
      self->restore_frames--;
      return G_SOURCE_CONTINUE;
    }

  h = row_height (self);
  if (h > 0)
    {
      value = MIN (self->target_top * h,
                   gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
      gtk_adjustment_set_value (adj, MAX (value, 0));
    }

  self->restore_tick = 0;
  return G_SOURCE_REMOVE;
}

static void
remember_position (LumaHistoryPage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double h = row_height (self);
  guint top;
  guint selected;

  self->anchor_id = -1;
  self->selected_id = -1;
  self->row_h = h;
  self->target_top = G_MAXUINT;
  /* Less than half a row down counts as the top. */
  self->was_at_top = h <= 0 || gtk_adjustment_get_value (adj) < h / 2;

  selected = gtk_single_selection_get_selected (self->selection);
  if (selected != GTK_INVALID_LIST_POSITION)
    self->selected_id = luma_history_model_get_row_id (self->model, selected);

  if (h > 0)
    {
      top = (guint) (gtk_adjustment_get_value (adj) / h + 0.5);
      self->anchor_id = luma_history_model_get_row_id (self->model, top);
      /* The selected row stays where it was on the screen when it was visible */
      if (selected != GTK_INVALID_LIST_POSITION && selected >= top &&
          selected < top + (guint) (gtk_adjustment_get_page_size (adj) / h))
        self->target_top = selected - top;
    }
}

static void
restore_position (LumaHistoryPage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  guint selected_pos = G_MAXUINT;
  guint anchor_pos = G_MAXUINT;
  guint offset = self->target_top;
  double h, reachable;

  if (self->selected_id >= 0)
    selected_pos = luma_history_model_find_row_id (self->model, self->selected_id);
  /* The rows keep their item objects across queries: a selection left on
   * its position would now mark another record. */
  gtk_single_selection_set_selected (self->selection,
                                     selected_pos != G_MAXUINT ? selected_pos : GTK_INVALID_LIST_POSITION);

  if (!self->keep_position || self->was_at_top)
    {
      /* A new sort or filter shows its first row; so does a sync that adds
       * rows while the first row was in view: the newest come in at the top. */
      self->target_top = 0;
    }
  else if (selected_pos != G_MAXUINT)
    {
      /* The selected row where a person expects it: at the same height, or
       * near the top when it was off screen. */
      self->target_top = offset != G_MAXUINT && selected_pos >= offset ? selected_pos - offset
                                                                       : (selected_pos > 2 ? selected_pos - 2 : 0);
    }
  else
    {
      /* The rows that were in view stay in view, under the rows added above. */
      if (self->anchor_id >= 0)
        anchor_pos = luma_history_model_find_row_id (self->model, self->anchor_id);
      self->target_top = anchor_pos != G_MAXUINT ? anchor_pos : 0;
    }

  /* Scrolled at once when the list's present height reaches the target (the
   * frame then shows the rows where they belong); otherwise after the
   * layout gave the list its new height. */
  h = self->row_h;
  reachable = MIN (gtk_adjustment_get_upper (adj),
                   h * g_list_model_get_n_items (G_LIST_MODEL (self->model)));
  if (self->target_top == 0 || (h > 0 && self->target_top * h <= reachable - gtk_adjustment_get_page_size (adj)))
    {
      if (self->restore_tick != 0)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->restore_tick);
      self->restore_tick = 0;
      gtk_adjustment_set_value (adj, self->target_top * h);
      if (self->target_top != 0)
        return;
    }

  /* Once more after the layout: GTK 4.8's list keeps its own anchor (a row
   * and an offset) and may move the view back to it when it allocates. */
  self->restore_frames = 2;
  if (self->restore_tick == 0)
    self->restore_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), restore_position_tick_cb,
                                                       NULL, NULL);
}

static void
set_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LumaHistoryPage *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!luma_history_model_set_query_finish (LUMA_HISTORY_MODEL (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("Cannot read the history: %s"), error->message);

          self->busy = FALSE;
          /* The same query may be tried again. */
          g_clear_pointer (&self->asked, luma_history_query_free);
          luma_widget_show_toast (GTK_WIDGET (self), message);
          g_object_notify (G_OBJECT (self), "busy");
        }
      g_object_unref (self);
      return;
    }

  self->busy = FALSE;
  update_count (self);
  restore_position (self);
  g_object_notify (G_OBJECT (self), "busy");
  g_object_unref (self);
}

static gboolean
same_query (const LumaHistoryQuery *a,
            const LumaHistoryQuery *b)
{
  return a->license_type == b->license_type && a->sort_column == b->sort_column &&
         a->descending == b->descending && a->from == b->from && a->to == b->to &&
         g_strcmp0 (a->search, b->search) == 0 && a->channels == b->channels &&
         a->initiated_by == b->initiated_by && a->status == b->status && a->roles == b->roles;
}

/* @keep_position: the same rows in view (a sync), rather than the first row
 * (a new sort or filter). @again: run it even when it is the query asked
 * last (the cache changed). */
static void
run_query (LumaHistoryPage *self,
           gboolean         keep_position,
           gboolean         again)
{
  g_auto(LumaHistoryQuery) query = { 0 };

  if (self->cache == NULL || !self->have_columns)
    return;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.clear-filters", controls_filter (self));
  if (!build_query (self, &query))
    return;

  /* The search entry reports a text set by luma_history_page_set_search()
   * again after its delay: nothing to do then. */
  if (!again && self->asked != NULL && same_query (self->asked, &query))
    return;
  g_clear_pointer (&self->asked, luma_history_query_free);
  self->asked = luma_history_query_copy (&query);

  remember_position (self);
  self->keep_position = keep_position;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  self->busy = TRUE;
  g_object_notify (G_OBJECT (self), "busy");
  luma_history_model_set_query_async (self->model, &query, self->cancellable, set_query_cb,
                                      g_object_ref (self));
}

static void
filters_changed_cb (LumaHistoryPage *self)
{
  if (self->updating_controls)
    return;
  /* A new filter starts at the top, keeping the selected row selected. */
  run_query (self, FALSE, FALSE);
}

static void
stop_search_cb (LumaHistoryPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  /* Escape clears the search (search-changed runs the query). */
  if (text != NULL && *text != '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
clear_filters (LumaHistoryPage *self)
{
  self->updating_controls = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_drop_down_set_selected (self->channel_dropdown, 0);
  gtk_drop_down_set_selected (self->initiated_dropdown, 0);
  gtk_drop_down_set_selected (self->role_dropdown, 0);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), "");
  self->updating_controls = FALSE;
  self->show_date_errors = FALSE;
  update_date_message (self);
}

static void
clear_filters_action_cb (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (widget);

  clear_filters (self);
  run_query (self, FALSE, FALSE);
}

static void
history_changed_cb (LumaHistoryPage *self)
{
  luma_history_page_reload (self);
}

static void
sync_state_cb (LumaHistoryPage *self)
{
  /* "… so far, syncing…" follows the sync. */
  if (self->model != NULL && luma_history_model_get_query (self->model) != NULL)
    update_count (self);
}

void
luma_history_page_reload (LumaHistoryPage *self)
{
  LumaLicenseType license_type;
  gboolean session;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  if (self->cache == NULL)
    return;

  if (!luma_cache_get_license_type (self->cache, &license_type))
    license_type = LUMA_LICENSE_TYPE_SESSION;

  if (!self->have_columns || license_type != self->license_type)
    {
      self->license_type = license_type;
      session = license_type == LUMA_LICENSE_TYPE_SESSION;
      build_columns (self);
      self->updating_controls = TRUE;
      clear_filters (self);
      self->updating_controls = TRUE;
      gtk_widget_set_visible (GTK_WIDGET (self->channel_dropdown), session);
      gtk_widget_set_visible (GTK_WIDGET (self->initiated_dropdown), session);
      gtk_widget_set_visible (GTK_WIDGET (self->status_dropdown), !session);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      g_object_set (self->search_entry, "placeholder-text",
                    session ? _("Search user name, email, agent or ID")
                            : _("Search user name, email, name or ID"),
                    NULL);
      self->updating_controls = FALSE;
    }

  luma_history_model_invalidate (self->model);
  run_query (self, TRUE, TRUE);
}

void
luma_history_page_set_context (LumaHistoryPage *self,
                               LumaCache       *cache,
                               LumaSync        *sync)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  if (self->cache != NULL)
    g_signal_handlers_disconnect_by_func (self->cache, history_changed_cb, self);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_func (self->sync, sync_state_cb, self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  g_set_object (&self->cache, cache);
  g_set_object (&self->sync, sync);
  g_clear_object (&self->model);
  g_clear_pointer (&self->asked, luma_history_query_free);
  self->have_columns = FALSE;

  if (sync != NULL)
    {
      g_signal_connect_object (sync, "notify::running", G_CALLBACK (sync_state_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (sync, "notify::done", G_CALLBACK (sync_state_cb), self,
                               G_CONNECT_SWAPPED);
    }

  if (cache == NULL)
    {
      gtk_single_selection_set_model (self->selection, NULL);
      return;
    }

  self->model = luma_history_model_new (cache);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->model));
  g_signal_connect_object (cache, "history-changed", G_CALLBACK (history_changed_cb), self,
                           G_CONNECT_SWAPPED);
  luma_history_page_reload (self);
}

void
luma_history_page_set_settings (LumaHistoryPage *self,
                                GSettings       *settings)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (!g_set_object (&self->settings, settings))
    return;
  /* The widths and the order this license model had. */
  if (self->have_columns)
    {
      build_columns (self);
      run_query (self, FALSE, FALSE);
    }
}

void
luma_history_page_focus_search (LumaHistoryPage *self)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* ---- Test hooks ----------------------------------------------------------------------------- */

LumaHistoryModel *
luma_history_page_get_model (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);
  return self->model;
}

GtkColumnView *
luma_history_page_get_view (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);
  return self->view;
}

const LumaHistoryQuery *
luma_history_page_get_query (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);
  return self->model != NULL ? luma_history_model_get_query (self->model) : NULL;
}

gboolean
luma_history_page_get_busy (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), FALSE);
  return self->busy;
}

const char *
luma_history_page_get_count_text (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);
  return gtk_label_get_label (self->count_label);
}

void
luma_history_page_set_search (LumaHistoryPage *self,
                              const char      *text)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  self->updating_controls = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  self->updating_controls = FALSE;
  run_query (self, FALSE, FALSE);
}

static void
set_day_entry (GtkEntry *entry,
               gint64    t)
{
  g_autoptr(GDateTime) dt = t != 0 ? g_date_time_new_from_unix_local (t) : NULL;
  g_autofree char *day = dt != NULL ? g_date_time_format (dt, "%Y-%m-%d") : NULL;

  gtk_editable_set_text (GTK_EDITABLE (entry), day != NULL ? day : "");
}

void
luma_history_page_apply_filter (LumaHistoryPage *self,
                                GVariant        *filter)
{
  GVariantDict dict;
  const char *user = NULL;
  gint32 channel = -1, initiator = -1, role = -1, status = -1;
  gint64 from = 0, to = 0;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (filter != NULL && g_variant_is_of_type (filter, G_VARIANT_TYPE_VARDICT));

  g_variant_dict_init (&dict, filter);
  g_variant_dict_lookup (&dict, "user", "&s", &user);
  g_variant_dict_lookup (&dict, "channel", "i", &channel);
  g_variant_dict_lookup (&dict, "initiator", "i", &initiator);
  g_variant_dict_lookup (&dict, "role", "i", &role);
  g_variant_dict_lookup (&dict, "status", "i", &status);
  g_variant_dict_lookup (&dict, "from", "x", &from);
  g_variant_dict_lookup (&dict, "to", "x", &to);

  self->updating_controls = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), user != NULL ? user : "");
  gtk_drop_down_set_selected (self->channel_dropdown,
                              channel >= 0 && channel < LUMA_N_CHANNELS ? (guint) channel + 1 : 0);
  gtk_drop_down_set_selected (self->initiated_dropdown,
                              initiator >= 0 && initiator <= LUMA_INITIATED_BY_AGENT ? (guint) initiator + 1 : 0);
  gtk_drop_down_set_selected (self->role_dropdown,
                              role >= 0 && role < LUMA_N_ROLES ? (guint) role + 1 : 0);
  gtk_drop_down_set_selected (self->status_dropdown,
                              status >= 0 && status <= LUMA_USER_STATUS_INACTIVE ? (guint) status + 1 : 0);
  /* The entries take whole days: the first and the last day of [from, to). */
  set_day_entry (self->from_entry, from);
  set_day_entry (self->to_entry, to > from ? to - 1 : 0);
  self->updating_controls = FALSE;
  g_variant_dict_clear (&dict);
  /* The days are the filter's, not typed: no message about earlier ones. */
  self->show_date_errors = FALSE;
  update_date_message (self);

  run_query (self, FALSE, FALSE);
}

void
luma_history_page_set_dates (LumaHistoryPage *self,
                             const char      *from,
                             const char      *to)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  self->updating_controls = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from != NULL ? from : "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to != NULL ? to : "");
  self->updating_controls = FALSE;
  /* As after Enter in the fields. */
  self->show_date_errors = TRUE;
  update_date_message (self);
  run_query (self, FALSE, FALSE);
}

void
luma_history_page_get_dates (LumaHistoryPage  *self,
                             const char      **from,
                             const char      **to)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  if (from != NULL)
    *from = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));
  if (to != NULL)
    *to = gtk_editable_get_text (GTK_EDITABLE (self->to_entry));
}

const char *
luma_history_page_get_date_message (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->date_message))
         ? gtk_label_get_label (self->date_message) : NULL;
}

void
luma_history_page_select_filter (LumaHistoryPage *self,
                                 const char      *filter,
                                 guint            position)
{
  GtkDropDown *dropdown = NULL;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  if (g_strcmp0 (filter, "channel") == 0)
    dropdown = self->channel_dropdown;
  else if (g_strcmp0 (filter, "initiated-by") == 0)
    dropdown = self->initiated_dropdown;
  else if (g_strcmp0 (filter, "role") == 0)
    dropdown = self->role_dropdown;
  else if (g_strcmp0 (filter, "status") == 0)
    dropdown = self->status_dropdown;
  g_return_if_fail (dropdown != NULL);

  /* notify::selected runs the query */
  gtk_drop_down_set_selected (dropdown, position);
}

GtkDropDown *
luma_history_page_get_filter (LumaHistoryPage *self,
                              const char      *filter)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), NULL);

  if (g_strcmp0 (filter, "channel") == 0)
    return self->channel_dropdown;
  if (g_strcmp0 (filter, "initiated-by") == 0)
    return self->initiated_dropdown;
  if (g_strcmp0 (filter, "role") == 0)
    return self->role_dropdown;
  if (g_strcmp0 (filter, "status") == 0)
    return self->status_dropdown;
  return NULL;
}

void
luma_history_page_sort_by (LumaHistoryPage   *self,
                           LumaHistoryColumn  column,
                           gboolean           descending)
{
  GListModel *columns;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  columns = gtk_column_view_get_columns (self->view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

      if (column_key (c) == (int) column)
        {
          /* The sorter's "changed" signal runs the query. */
          gtk_column_view_sort_by_column (self->view, c,
                                          descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
          return;
        }
    }
}

/* ---- Download ------------------------------------------------------------------------------- */

static void
download_progress_cb (guint64  written,
                      guint64  total,
                      gpointer user_data)
{
  LumaHistoryPage *self = user_data;
  g_autofree char *w = luma_format_count ((gint64) written);
  g_autofree char *t = luma_format_count ((gint64) total);
  /* Translators: progress of a download: "1,200 of 50,000 records written" */
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s record written",
                                                        "%s of %s records written",
                                                        luma_plural_n ((gint64) total)),
                                           w, t);

  gtk_progress_bar_set_fraction (self->download_progress, total > 0 ? (double) written / total : 1.0);
  gtk_progress_bar_set_text (self->download_progress, text);
}

static void
download_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LumaHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  guint64 rows = 0;
  g_autofree char *message = NULL;
  g_autoptr(GFile) file = g_steal_pointer (&self->download_file);

  gtk_revealer_set_reveal_child (self->download_revealer, FALSE);
  g_clear_object (&self->download_cancellable);
  update_count (self);

  if (!luma_csv_export_finish (result, &rows, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        message = g_strdup (_("Download cancelled: no file was written"));
      else
        message = g_strdup_printf (_("Cannot download the history: %s"), error->message);
    }
  else
    {
      g_autofree char *n = luma_format_count ((gint64) rows);

      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Downloaded %s record",
                                              "Downloaded %s records", luma_plural_n ((gint64) rows)),
                              n);
      /* With an Open button: the next thing a person does with the file */
      if (file != NULL)
        {
          luma_widget_show_file_toast (GTK_WIDGET (self), message, file);
          return;
        }
    }

  luma_widget_show_toast (GTK_WIDGET (self), message);
}

void
luma_history_page_download_to (LumaHistoryPage *self,
                               GFile           *file)
{
  LumaCsvFlags flags = LUMA_CSV_FLAGS_NONE;
  const LumaHistoryQuery *query;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  query = luma_history_page_get_query (self);
  if (query == NULL || self->cache == NULL || self->download_cancellable != NULL)
    return;

  if (self->settings != NULL && g_settings_get_boolean (self->settings, "csv-byte-order-mark"))
    flags |= LUMA_CSV_FLAGS_BOM;

  self->download_cancellable = g_cancellable_new ();
  g_set_object (&self->download_file, file);
  gtk_progress_bar_set_fraction (self->download_progress, 0);
  gtk_progress_bar_set_text (self->download_progress, _("Counting records…"));
  gtk_revealer_set_reveal_child (self->download_revealer, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.download", FALSE);

  luma_csv_export_async (self->cache, query, file, flags,
                         download_progress_cb, g_object_ref (self), g_object_unref,
                         self->download_cancellable, download_done_cb, g_object_ref (self));
}

gboolean
luma_history_page_get_downloading (LumaHistoryPage *self)
{
  g_return_val_if_fail (LUMA_IS_HISTORY_PAGE (self), FALSE);
  return self->download_cancellable != NULL;
}

static void
chooser_response_cb (LumaHistoryPage      *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file != NULL)
    luma_history_page_download_to (self, file);
}

static void
choose_file (LumaHistoryPage *self)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autofree char *today = NULL;
  g_autofree char *name = NULL;

  if (self->chooser != NULL)
    return;

  today = luma_format_file_day (g_get_real_time () / G_USEC_PER_SEC);
  name = g_strdup_printf ("license-consumption-%s.csv", today);
  self->chooser = gtk_file_chooser_native_new (_("Download the License Consumption History"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Download"),
                                               _("_Cancel"));
  /* Where downloads go, rather than wherever the chooser was last */
  if (downloads != NULL && g_file_test (downloads, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) folder = g_file_new_for_path (downloads);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
confirm_download_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     LumaHistoryPage  *self)
{
  if (g_strcmp0 (response, "download") == 0 || g_strcmp0 (response, "anyway") == 0)
    choose_file (self);
}

static GtkWidget *
new_message_dialog (LumaHistoryPage *self,
                    const char      *heading,
                    const char      *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);

  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_download_cb), self, 0);
  return dialog;
}

static void
download_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (widget);
  guint n = self->model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  g_autofree char *count = luma_format_count (n);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (history_incomplete (self))
    {
      /* A report of a history not synced to its end would be silently
       * short: say so, and let the person wait. */
      if (sync_running (self))
        /* Translators: %s is a number of records */
        body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The first sync is still running: %s record has "
                                             "arrived so far. A report written now would miss the "
                                             "records still to come.",
                                             "The first sync is still running: %s records have "
                                             "arrived so far. A report written now would miss the "
                                             "records still to come.", luma_plural_n (n)),
                                count);
      else
        body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The first sync stopped before the end: %s record "
                                             "has arrived so far. A report written now would miss "
                                             "the records still to come; Refresh to sync the rest.",
                                             "The first sync stopped before the end: %s records "
                                             "have arrived so far. A report written now would miss "
                                             "the records still to come; Refresh to sync the rest.",
                                             luma_plural_n (n)),
                                count);
      dialog = new_message_dialog (self, _("The History Is Not Complete Yet"), body);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "wait", _("_Wait"),
                                        "anyway", _("Download _Anyway"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "anyway",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "wait");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "wait");
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  /* Translators: %s is a number of records */
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The %s record shown, with the same columns and filters, "
                                       "is written to a CSV file.",
                                       "The %s records shown, with the same columns and filters, "
                                       "are written to a CSV file.", luma_plural_n (n)),
                          count);
  dialog = new_message_dialog (self, _("Download the License Consumption Report?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "download", _("_Download…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
download_cancel_clicked_cb (LumaHistoryPage *self)
{
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
}

/* ---- GObject -------------------------------------------------------------------------------- */

enum { PROP_0, PROP_BUSY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
luma_history_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_history_page_dispose (GObject *object)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (object);
  GtkWidget *child;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->download_cancellable);
  g_clear_object (&self->download_file);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->restore_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->restore_tick);
  self->restore_tick = 0;
  g_clear_handle_id (&self->save_widths_id, g_source_remove);
  /* The view's sorter says "changed" as its columns go. */
  if (self->view != NULL)
    g_signal_handlers_disconnect_by_func (gtk_column_view_get_sorter (self->view),
                                          sorter_changed_cb, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_HISTORY_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->asked, luma_history_query_free);
  g_clear_object (&self->model);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);
  g_clear_object (&self->view_settings);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (luma_history_page_parent_class)->dispose (object);
}

static void
luma_history_page_map (GtkWidget *widget)
{
  LumaHistoryPage *self = LUMA_HISTORY_PAGE (widget);
  GtkRoot *root;
  GtkWidget *focus;

  GTK_WIDGET_CLASS (luma_history_page_parent_class)->map (widget);

  /* Shown: the keyboard lands on the search, unless it is in the page
   * already. From there Tab reaches the filters, Download and the rows; in
   * GTK 4.8 Tab inside the list walks row by row, so starting there would
   * hide the controls above it. */
  root = gtk_widget_get_root (widget);
  focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (focus != NULL && gtk_widget_is_ancestor (focus, widget))
    return;
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
luma_history_page_class_init (LumaHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (LUMA_TYPE_WRAP_BOX);

  object_class->dispose = luma_history_page_dispose;
  object_class->get_property = luma_history_page_get_property;
  widget_class->map = luma_history_page_map;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, channel_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, channel_list);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, initiated_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, initiated_list);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, role_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, role_list);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, status_list);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, from_popover);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, to_popover);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, date_message);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_button);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_progress);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, view);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, date_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, date_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, calendar_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, download_cancel_clicked_cb);

  gtk_widget_class_install_action (widget_class, "history.download", NULL, download_action_cb);
  gtk_widget_class_install_action (widget_class, "history.clear-filters", NULL, clear_filters_action_cb);
  gtk_widget_class_install_action (widget_class, "history.period", "s", period_action_cb);
}

/* Takes @text. */
static void
append_choice (GtkStringList *list,
               char          *text)
{
  gtk_string_list_append (list, text);
  g_free (text);
}

static void
luma_history_page_init (LumaHistoryPage *self)
{
  GtkEventController *focus;

  self->anchor_id = -1;
  self->selected_id = -1;

  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));

  /* Each filter's items say what they filter ("Role: Admin", not just
   * "Admin"): the button shows the one chosen. */
  self->updating_controls = TRUE;
  gtk_string_list_append (self->channel_list, _("All Channels"));
  for (int c = 0; c < LUMA_N_CHANNELS; c++)
    /* Translators: an item of the channel filter, "Channel: Slack" */
    append_choice (self->channel_list, g_strdup_printf (_("Channel: %s"), luma_channel_to_display (c)));
  gtk_string_list_append (self->initiated_list, _("Initiated by Anyone"));
  for (int i = LUMA_INITIATED_BY_END_USER; i <= LUMA_INITIATED_BY_AGENT; i++)
    /* Translators: an item of the "initiated by" filter, "Initiated by Agent" */
    append_choice (self->initiated_list, g_strdup_printf (_("Initiated by %s"), luma_initiated_by_to_display (i)));
  gtk_string_list_append (self->role_list, _("All Roles"));
  for (int r = 0; r < LUMA_N_ROLES; r++)
    /* Translators: an item of the role filter, "Role: Admin" */
    append_choice (self->role_list, g_strdup_printf (_("Role: %s"), luma_role_to_display (r)));
  gtk_string_list_append (self->status_list, _("Any Status"));
  for (int st = LUMA_USER_STATUS_ACTIVE; st <= LUMA_USER_STATUS_INACTIVE; st++)
    /* Translators: an item of the status filter, "Status: Active" */
    append_choice (self->status_list, g_strdup_printf (_("Status: %s"), luma_user_status_to_display (st)));
  gtk_drop_down_set_selected (self->channel_dropdown, 0);
  gtk_drop_down_set_selected (self->initiated_dropdown, 0);
  gtk_drop_down_set_selected (self->role_dropdown, 0);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->status_dropdown), FALSE);
  self->updating_controls = FALSE;

  {
    g_autofree char *example = NULL;
    g_autofree char *tip = NULL;
    GDate today;

    luma_local_today (&today);
    example = luma_format_calendar_day (&today);
    /* Translators: tooltip of the date fields; %s is today written as the
     * locale writes days, e.g. 12/02/2026 */
    tip = g_strdup_printf (_("A day of your calendar, written %s or YYYY-MM-DD"), example);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->from_entry), tip);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->to_entry), tip);
  }
  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (date_focus_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->from_entry), focus);
  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (date_focus_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->to_entry), focus);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.download", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.clear-filters", FALSE);

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (gtk_column_view_get_sorter (self->view), "changed",
                    G_CALLBACK (sorter_changed_cb), self);
}
