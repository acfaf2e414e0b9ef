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

struct _LumaHistoryPage
{
  GtkWidget            parent_instance;

  LumaCache           *cache;
  LumaSync            *sync;
  GSettings           *settings;
  LumaHistoryModel    *model;
  GtkSingleSelection  *selection;
  LumaLicenseType      license_type;
  gboolean             have_columns;
  gboolean             busy;
  gboolean             updating_controls;
  GCancellable        *cancellable;
  LumaHistoryQuery    *asked;             /* the query run last */
  GCancellable        *download_cancellable;
  GtkFileChooserNative *chooser;
  guint                restore_tick;
  guint                restore_frames;    /* frames to wait until the list has its new size */

  /* Where to put the view back after the rows changed */
  gint64               anchor_id;         /* the row at the top, or -1 */
  gint64               selected_id;       /* the selected row, or -1 */
  guint                target_top;        /* position to scroll to */
  double               row_h;             /* height of a row when the query started, or 0 */
  gboolean             keep_position;

  GtkSearchEntry      *search_entry;
  GtkDropDown         *channel_dropdown;
  GtkStringList       *channel_list;
  GtkDropDown         *initiated_dropdown;
  GtkStringList       *initiated_list;
  GtkDropDown         *status_dropdown;
  GtkStringList       *status_list;
  GtkEntry            *from_entry;
  GtkEntry            *to_entry;
  GtkButton           *download_button;
  GtkRevealer         *download_revealer;
  GtkProgressBar      *download_progress;
  GtkStack            *stack;
  GtkScrolledWindow   *scrolled_window;
  GtkColumnView       *view;
  AdwStatusPage       *empty_page;
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
conversations_clicked_cb (GtkButton       *button,
                          LumaHistoryPage *self)
{
  const char *record_id = g_object_get_data (G_OBJECT (button), "record-id");
  const char *user_name = g_object_get_data (G_OBJECT (button), "user-name");
  LumaConversationWindow *window;

  if (record_id == NULL || self->sync == NULL)
    return;

  window = luma_conversation_window_new (self->sync, self->license_type, record_id, user_name);
  gtk_window_set_transient_for (GTK_WINDOW (window),
                                GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_present (GTK_WINDOW (window));
}

static void
setup_conversations_cb (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        LumaHistoryPage          *self)
{
  GtkWidget *button = gtk_button_new ();

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_halign (button, GTK_ALIGN_START);
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

static void
sorter_changed_cb (GtkSorter       *sorter,
                   GtkSorterChange  change,
                   LumaHistoryPage *self)
{
  if (self->updating_controls)
    return;
  run_query (self, TRUE, FALSE);
}

static void
build_columns (LumaHistoryPage *self)
{
  const LumaHistoryColumnInfo *info;
  guint n_info;
  GListModel *columns = gtk_column_view_get_columns (self->view);
  GtkColumnViewColumn *time_column = NULL;

  self->updating_controls = TRUE;

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

      gtk_column_view_remove_column (self->view, column);
    }

  info = luma_history_columns_get (self->license_type, &n_info);

  for (guint i = 0; i < n_info; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;
      g_autoptr(LumaColumnSorter) sorter = luma_column_sorter_new (info[i].key);

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
      gtk_column_view_append_column (self->view, column);
      if (info[i].key == LUMA_HISTORY_COLUMN_TIME)
        time_column = column;
    }

  /* Newest first, as the query starts. */
  gtk_column_view_sort_by_column (self->view, time_column, GTK_SORT_DESCENDING);
  self->have_columns = TRUE;
  self->updating_controls = FALSE;
}

/* ---- The query ------------------------------------------------------------------------------ */

static gboolean
parse_day (const char *text,
           gboolean    end_of_day,
           gint64     *out)
{
  int y, m, d;
  g_autoptr(GDateTime) dt = NULL;
  char tail;

  if (text == NULL || *text == '\0')
    {
      *out = 0;
      return TRUE;
    }
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  if (!g_date_valid_dmy (d, m, y))
    return FALSE;

  dt = g_date_time_new_utc (y, m, d, 0, 0, 0);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt) + (end_of_day ? 24 * 3600 - 1 : 0);
  return TRUE;
}

static gboolean
check_date_entry (GtkEntry *entry,
                  gboolean  end_of_day,
                  gint64   *out)
{
  if (parse_day (gtk_editable_get_text (GTK_EDITABLE (entry)), end_of_day, out))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
      return TRUE;
    }

  gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (entry),
                               GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                               -1);
  return FALSE;
}

/* The query the controls describe; FALSE while a date is not valid. */
static gboolean
build_query (LumaHistoryPage  *self,
             LumaHistoryQuery *query)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->view);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gboolean descending = TRUE;
  guint selected;
  int column;
  gboolean from_ok, to_ok;

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
  if (self->license_type == LUMA_LICENSE_TYPE_SESSION && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->channels = LUMA_HISTORY_CHANNEL_BIT (selected - 1);
  selected = gtk_drop_down_get_selected (self->initiated_dropdown);
  if (self->license_type == LUMA_LICENSE_TYPE_SESSION && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->initiated_by = (gint) selected - 1;
  selected = gtk_drop_down_get_selected (self->status_dropdown);
  if (self->license_type == LUMA_LICENSE_TYPE_USER && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    query->status = (gint) selected - 1;

  from_ok = check_date_entry (self->from_entry, FALSE, &query->from);
  to_ok = check_date_entry (self->to_entry, TRUE, &query->to);

  return from_ok && to_ok;
}

static void
update_count (LumaHistoryPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  gint64 all = luma_history_model_get_total (self->model);
  g_autofree char *shown = luma_format_count (n);
  g_autofree char *total = luma_format_count (all);
  g_autofree char *text = NULL;

  if ((gint64) n == all)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s record", "%s records", n), shown);
  else
    /* Translators: "12 of 1,000 records" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s record", "%s of %s records",
                                         luma_plural_n (all)),
                            shown, total);
  gtk_label_set_label (self->count_label, text);

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  if (n == 0)
    adw_status_page_set_description (self->empty_page,
                                     all == 0
                                     ? _("The history is empty: records appear after a sync.")
                                     : _("No record matches the search and the filters."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->download_button), n > 0);
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

  selected = gtk_single_selection_get_selected (self->selection);
  if (selected != GTK_INVALID_LIST_POSITION)
    self->selected_id = luma_history_model_get_row_id (self->model, selected);

  if (h > 0)
    {
      top = (guint) (gtk_adjustment_get_value (adj) / h);
      self->anchor_id = luma_history_model_get_row_id (self->model, top);
      /* The selected row stays where it was on the screen when it was visible */
      if (selected != GTK_INVALID_LIST_POSITION && selected >= top &&
          selected < top + (guint) (gtk_adjustment_get_page_size (adj) / h))
        self->target_top = selected - top;
      else
        self->target_top = G_MAXUINT;
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

  if (!self->keep_position)
    {
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
  if (h > 0 && self->target_top * h <= reachable - gtk_adjustment_get_page_size (adj))
    {
      if (self->restore_tick != 0)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->restore_tick);
      self->restore_tick = 0;
      gtk_adjustment_set_value (adj, self->target_top * h);
      return;
    }

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

/* @again: run it even when it is the query asked last (the cache changed). */
static void
run_query (LumaHistoryPage *self,
           gboolean         keep_position,
           gboolean         again)
{
  g_auto(LumaHistoryQuery) query = { 0 };

  if (self->cache == NULL || !self->have_columns)
    return;

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
history_changed_cb (LumaHistoryPage *self)
{
  luma_history_page_reload (self);
}

void
luma_history_page_reload (LumaHistoryPage *self)
{
  LumaLicenseType license_type;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));

  if (self->cache == NULL)
    return;

  if (!luma_cache_get_license_type (self->cache, &license_type))
    license_type = LUMA_LICENSE_TYPE_SESSION;

  if (!self->have_columns || license_type != self->license_type)
    {
      self->license_type = license_type;
      build_columns (self);
      gtk_widget_set_visible (GTK_WIDGET (self->channel_dropdown), license_type == LUMA_LICENSE_TYPE_SESSION);
      gtk_widget_set_visible (GTK_WIDGET (self->initiated_dropdown), license_type == LUMA_LICENSE_TYPE_SESSION);
      gtk_widget_set_visible (GTK_WIDGET (self->status_dropdown), license_type == LUMA_LICENSE_TYPE_USER);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
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
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  g_set_object (&self->cache, cache);
  g_set_object (&self->sync, sync);
  g_clear_object (&self->model);
  g_clear_pointer (&self->asked, luma_history_query_free);
  self->have_columns = FALSE;

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

  g_set_object (&self->settings, settings);
}

void
luma_history_page_focus_search (LumaHistoryPage *self)
{
  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

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
  gint32 channel = -1, initiator = -1, status = -1;
  gint64 from = 0, to = 0;

  g_return_if_fail (LUMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (filter != NULL && g_variant_is_of_type (filter, G_VARIANT_TYPE_VARDICT));

  g_variant_dict_init (&dict, filter);
  g_variant_dict_lookup (&dict, "user", "&s", &user);
  g_variant_dict_lookup (&dict, "channel", "i", &channel);
  g_variant_dict_lookup (&dict, "initiator", "i", &initiator);
  g_variant_dict_lookup (&dict, "status", "i", &status);
  g_variant_dict_lookup (&dict, "from", "x", &from);
  g_variant_dict_lookup (&dict, "to", "x", &to);

  self->updating_controls = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), user != NULL ? user : "");
  gtk_drop_down_set_selected (self->channel_dropdown,
                              channel >= 0 && channel < LUMA_N_CHANNELS ? (guint) channel + 1 : 0);
  gtk_drop_down_set_selected (self->initiated_dropdown,
                              initiator >= 0 && initiator <= LUMA_INITIATED_BY_AGENT ? (guint) initiator + 1 : 0);
  gtk_drop_down_set_selected (self->status_dropdown,
                              status >= 0 && status <= LUMA_USER_STATUS_INACTIVE ? (guint) status + 1 : 0);
  /* The entries take whole days: the first and the last day of [from, to). */
  set_day_entry (self->from_entry, from);
  set_day_entry (self->to_entry, to > from ? to - 1 : 0);
  self->updating_controls = FALSE;
  g_variant_dict_clear (&dict);

  run_query (self, FALSE, FALSE);
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
      GtkSorter *sorter = gtk_column_view_column_get_sorter (c);

      if (LUMA_IS_COLUMN_SORTER (sorter) &&
          luma_column_sorter_get_column (LUMA_COLUMN_SORTER (sorter)) == (int) column)
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

  gtk_revealer_set_reveal_child (self->download_revealer, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->download_button), TRUE);
  g_clear_object (&self->download_cancellable);

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
  gtk_progress_bar_set_fraction (self->download_progress, 0);
  gtk_progress_bar_set_text (self->download_progress, _("Counting records…"));
  gtk_revealer_set_reveal_child (self->download_revealer, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->download_button), FALSE);

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
confirm_download_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     LumaHistoryPage  *self)
{
  g_autofree char *today = NULL;
  g_autofree char *name = NULL;

  if (g_strcmp0 (response, "download") != 0 || self->chooser != NULL)
    return;

  today = luma_format_iso8601_day (g_get_real_time () / G_USEC_PER_SEC);
  name = g_strdup_printf ("license-consumption-%s.csv", today);
  self->chooser = gtk_file_chooser_native_new (_("Download the License Consumption History"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Download"),
                                               _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
download_clicked_cb (LumaHistoryPage *self)
{
  guint n = self->model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  g_autofree char *count = luma_format_count (n);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: %s is a number of records */
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The %s record shown, with the same columns and filters, "
                                       "is written to a CSV file.",
                                       "The %s records shown, with the same columns and filters, "
                                       "are written to a CSV file.", n),
                          count);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Download the License Consumption Report?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "download", _("_Download…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_download_cb), self, 0);
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
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->restore_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->restore_tick);
  self->restore_tick = 0;
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_HISTORY_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->asked, luma_history_query_free);
  g_clear_object (&self->model);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (luma_history_page_parent_class)->dispose (object);
}

static void
luma_history_page_class_init (LumaHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_history_page_dispose;
  object_class->get_property = luma_history_page_get_property;

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
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, status_list);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_button);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, download_progress);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, view);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, LumaHistoryPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, download_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, download_cancel_clicked_cb);
}

static void
luma_history_page_init (LumaHistoryPage *self)
{
  self->anchor_id = -1;
  self->selected_id = -1;

  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));

  self->updating_controls = TRUE;
  gtk_string_list_append (self->channel_list, _("All Channels"));
  for (int c = 0; c < LUMA_N_CHANNELS; c++)
    gtk_string_list_append (self->channel_list, luma_channel_to_display (c));
  gtk_string_list_append (self->initiated_list, _("Initiated by Anyone"));
  gtk_string_list_append (self->initiated_list, luma_initiated_by_to_display (LUMA_INITIATED_BY_END_USER));
  gtk_string_list_append (self->initiated_list, luma_initiated_by_to_display (LUMA_INITIATED_BY_AGENT));
  gtk_string_list_append (self->status_list, _("Any Status"));
  gtk_string_list_append (self->status_list, luma_user_status_to_display (LUMA_USER_STATUS_ACTIVE));
  gtk_string_list_append (self->status_list, luma_user_status_to_display (LUMA_USER_STATUS_INACTIVE));
  gtk_drop_down_set_selected (self->channel_dropdown, 0);
  gtk_drop_down_set_selected (self->initiated_dropdown, 0);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->status_dropdown), FALSE);
  self->updating_controls = FALSE;

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (gtk_column_view_get_sorter (self->view), "changed",
                    G_CALLBACK (sorter_changed_cb), self);
}
