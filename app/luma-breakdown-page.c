/* luma-breakdown-page.c: where the licenses go, and the idle licenses
 *
 * Counts run in the cache's readers (luma-breakdown.h); each bar opens the
 * history filtered to it through the window's "win.show-history-filtered".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-breakdown-page-private.h"
#include "luma-csv.h"
#include "luma-format.h"
#include "luma-utils.h"

/* Rows of the idle list shown; the CSV holds them all. */
#define MAX_IDLE_ROWS 100

struct _LumaBreakdownPage
{
  GtkWidget              parent_instance;

  LumaCache             *cache;
  LumaSubscription      *subscription;
  LumaBreakdown         *breakdown;
  GPtrArray             *idle_users;
  GCancellable          *cancellable;
  GCancellable          *idle_cancellable;
  GtkFileChooserNative  *chooser;
  GPtrArray             *group_lists;     /* GtkListBox* per LumaBreakdownDimension, or NULL */

  GtkStack              *stack;
  GtkDropDown           *period_dropdown;
  GtkStringList         *period_list;
  GtkButton             *export_button;
  GtkLabel              *period_label;
  GtkLabel              *compare_label;
  GtkBox                *groups_box;
  AdwPreferencesGroup   *idle_group;
  GtkButton             *idle_export_button;
  GtkSpinButton         *idle_days_spin;
  GtkListBox            *idle_list;
};

G_DEFINE_FINAL_TYPE (LumaBreakdownPage, luma_breakdown_page, GTK_TYPE_WIDGET)

static LumaPeriodPreset
current_preset (LumaBreakdownPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->period_dropdown);

  return selected < LUMA_N_PERIOD_PRESETS ? (LumaPeriodPreset) selected : LUMA_PERIOD_LAST_30_DAYS;
}

static gboolean
is_term_preset (LumaPeriodPreset preset)
{
  return preset == LUMA_PERIOD_THIS_TERM || preset == LUMA_PERIOD_PREVIOUS_TERM;
}

/* ---- Bars ----------------------------------------------------------------------------------- */

static const char *
item_title (LumaBreakdownDimension   dimension,
            const LumaBreakdownItem *item)
{
  switch (dimension)
    {
    case LUMA_BREAKDOWN_CHANNEL: return luma_channel_to_display (item->value);
    case LUMA_BREAKDOWN_ROLE: return luma_role_to_display (item->value);
    case LUMA_BREAKDOWN_INITIATOR: return luma_initiated_by_to_display (item->value);
    case LUMA_BREAKDOWN_USER:
    default:
      return item->user_name != NULL ? item->user_name : "";
    }
}

/* What the history shows for this bar: the period, and the bar's value. */
static GVariant *
item_filter (LumaBreakdownPage       *self,
             LumaBreakdownDimension   dimension,
             const LumaBreakdownItem *item)
{
  const LumaBreakdown *b = self->breakdown;
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "from", "x", b->from);
  g_variant_dict_insert (&dict, "to", "x", b->to);
  if (b->license_type == LUMA_LICENSE_TYPE_USER)
    g_variant_dict_insert (&dict, "status", "i", (gint32) LUMA_USER_STATUS_ACTIVE);

  switch (dimension)
    {
    case LUMA_BREAKDOWN_CHANNEL:
      g_variant_dict_insert (&dict, "channel", "i", (gint32) item->value);
      break;
    case LUMA_BREAKDOWN_ROLE:
      g_variant_dict_insert (&dict, "role", "i", (gint32) item->value);
      break;
    case LUMA_BREAKDOWN_INITIATOR:
      g_variant_dict_insert (&dict, "initiator", "i", (gint32) item->value);
      break;
    case LUMA_BREAKDOWN_USER:
    default:
      /* The most precise text the history's search finds the user by. */
      if (item->user_id != NULL)
        g_variant_dict_insert (&dict, "user", "s", item->user_id);
      else if (item->email != NULL && *item->email != '\0')
        g_variant_dict_insert (&dict, "user", "s", item->email);
      else
        g_variant_dict_insert (&dict, "user", "s", item->user_name != NULL ? item->user_name : "");
      break;
    }
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GtkWidget *
bar_row (LumaBreakdownPage       *self,
         LumaBreakdownDimension   dimension,
         const LumaBreakdownItem *item,
         gint64                   scale)
{
  const char *title = item_title (dimension, item);
  g_autofree char *count = luma_format_count (item->count);
  g_autofree char *pct = NULL;
  g_autofree char *value = NULL;
  g_autofree char *a11y = NULL;
  GtkWidget *row, *box, *line, *name, *number, *bar;
  gboolean conversations = dimension == LUMA_BREAKDOWN_USER &&
                           self->breakdown->license_type == LUMA_LICENSE_TYPE_USER;

  if (conversations)
    /* Translators: the count of a user's bar: "12 conversations" */
    value = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s conversation", "%s conversations",
                                          luma_plural_n (item->count)), count);
  else
    {
      pct = luma_format_percent (scale > 0 ? (double) item->count * 100.0 / (double) scale : 0.0);
      /* Translators: the count of a bar and its share: "1,234 · 40 %" */
      value = g_strdup_printf (_("%s · %s"), count, pct);
    }

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (box, 10);
  gtk_widget_set_margin_bottom (box, 10);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  name = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (line), name);
  /* Two users may share a name: their email tells them apart. */
  if (dimension == LUMA_BREAKDOWN_USER && item->email != NULL && *item->email != '\0')
    {
      GtkWidget *email = gtk_label_new (item->email);

      gtk_label_set_xalign (GTK_LABEL (email), 0);
      gtk_label_set_ellipsize (GTK_LABEL (email), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (email, "dim-label");
      gtk_box_append (GTK_BOX (line), email);
    }
  gtk_widget_set_hexpand (gtk_widget_get_last_child (line), TRUE);
  gtk_widget_set_halign (gtk_widget_get_last_child (line), GTK_ALIGN_START);
  number = gtk_label_new (value);
  gtk_widget_add_css_class (number, "numeric");
  gtk_widget_add_css_class (number, "dim-label");
  gtk_box_append (GTK_BOX (line), number);
  gtk_box_append (GTK_BOX (box), line);

  bar = gtk_level_bar_new_for_interval (0, MAX ((double) scale, 1.0));
  gtk_level_bar_set_mode (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_MODE_CONTINUOUS);
  /* Its own offsets would color a big share as "full": one color for all. */
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), (double) item->count);
  gtk_box_append (GTK_BOX (box), bar);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  /* Translators: what a screen reader says of a bar: "MS Teams: 1,234 · 40 %. Opens the history." */
  a11y = g_strdup_printf (_("%s: %s. Opens the history."), title, value);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  gtk_widget_set_tooltip_text (row, _("Show in the history"));
  g_object_set_data_full (G_OBJECT (row), "filter", item_filter (self, dimension, item),
                          (GDestroyNotify) g_variant_unref);
  return row;
}

static void
bar_activated_cb (GtkListBox    *list,
                  GtkListBoxRow *row,
                  gpointer       user_data)
{
  GVariant *filter = g_object_get_data (G_OBJECT (row), "filter");

  if (filter != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (list), "win.show-history-filtered", filter);
}

static const char *
group_title (LumaLicenseType        license_type,
             LumaBreakdownDimension dimension)
{
  switch (dimension)
    {
    case LUMA_BREAKDOWN_CHANNEL: return _("By Channel");
    case LUMA_BREAKDOWN_ROLE: return _("By Role");
    case LUMA_BREAKDOWN_INITIATOR: return _("By Initiator");
    case LUMA_BREAKDOWN_USER:
    default:
      return license_type == LUMA_LICENSE_TYPE_USER ? _("Top Users by Conversations") : _("Top Users");
    }
}

static void
show_breakdown (LumaBreakdownPage *self)
{
  static const LumaBreakdownDimension order[] = {
    LUMA_BREAKDOWN_CHANNEL, LUMA_BREAKDOWN_INITIATOR, LUMA_BREAKDOWN_ROLE, LUMA_BREAKDOWN_USER,
  };
  const LumaBreakdown *b = self->breakdown;
  g_autofree char *compare = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->groups_box))) != NULL)
    gtk_box_remove (self->groups_box, child);
  g_ptr_array_set_size (self->group_lists, 0);
  g_ptr_array_set_size (self->group_lists, LUMA_BREAKDOWN_USER + 1);

  compare = luma_format_period_change (b->license_type, b->total, b->previous_total);
  gtk_label_set_label (self->compare_label, compare);

  for (guint d = 0; d < G_N_ELEMENTS (order); d++)
    {
      GPtrArray *items = luma_breakdown_get_group (b, order[d]);
      GtkWidget *group, *list;
      gint64 scale = b->total;

      if (items == NULL || items->len == 0)
        continue;
      /* A user's conversations are not a share of the licenses: bars to the largest. */
      if (order[d] == LUMA_BREAKDOWN_USER && b->license_type == LUMA_LICENSE_TYPE_USER)
        scale = ((LumaBreakdownItem *) g_ptr_array_index (items, 0))->count;

      group = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), group_title (b->license_type, order[d]));
      list = gtk_list_box_new ();
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (list, "boxed-list");
      gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      group_title (b->license_type, order[d]), -1);
      g_signal_connect (list, "row-activated", G_CALLBACK (bar_activated_cb), NULL);
      for (guint i = 0; i < items->len; i++)
        gtk_list_box_append (GTK_LIST_BOX (list), bar_row (self, order[d], g_ptr_array_index (items, i), scale));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), list);
      gtk_box_append (self->groups_box, group);
      g_ptr_array_index (self->group_lists, order[d]) = list;
    }

  if (b->total == 0)
    {
      GtkWidget *label = gtk_label_new (_("Nothing was consumed in this period."));

      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (self->groups_box, label);
    }
}

/* ---- Idle licenses ---------------------------------------------------------------------------- */

static void
idle_row_activated_cb (GtkListBox    *list,
                       GtkListBoxRow *row,
                       gpointer       user_data)
{
  const char *user_id = g_object_get_data (G_OBJECT (row), "user-id");
  GVariantDict dict;

  if (user_id == NULL)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "user", "s", user_id);
  gtk_widget_activate_action_variant (GTK_WIDGET (list), "win.show-history-filtered",
                                      g_variant_dict_end (&dict));
}

static void
show_idle_users (LumaBreakdownPage *self)
{
  GtkWidget *child;
  guint n = self->idle_users != NULL ? self->idle_users->len : 0;
  g_autofree char *count = luma_format_count (n);
  g_autofree char *description = NULL;
  int days = gtk_spin_button_get_value_as_int (self->idle_days_spin);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->idle_list))) != NULL)
    gtk_list_box_remove (self->idle_list, child);

  /* Translators: %s is a number of user licenses */
  description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%s active user with no conversation in the last %d days: "
                                              "their license could go to someone else",
                                              "%s active users with no conversation in the last %d days: "
                                              "their licenses could go to someone else",
                                              luma_plural_n (n)), count, days);
  adw_preferences_group_set_description (self->idle_group, description);
  gtk_widget_set_sensitive (GTK_WIDGET (self->idle_export_button), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->idle_list), n > 0);

  for (guint i = 0; i < n && i < MAX_IDLE_ROWS; i++)
    {
      const LumaIdleUser *u = g_ptr_array_index (self->idle_users, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *last = NULL;
      g_autofree char *subtitle = NULL;

      if (u->last_conversation > 0)
        {
          g_autofree char *day = luma_format_date_time (u->last_conversation);

          /* Translators: under an idle user: "EMAIL · last conversation on DATE" */
          subtitle = g_strdup_printf (_("%s · last conversation on %s"), u->email, day);
        }
      else
        /* Translators: under an idle user who never had a conversation */
        subtitle = g_strdup_printf (_("%s · no conversation yet"), u->email);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), u->user_name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "user-id", g_strdup (u->user_id), g_free);
      gtk_list_box_append (self->idle_list, row);
    }
  if (n > MAX_IDLE_ROWS)
    {
      g_autofree char *more = luma_format_count (n - MAX_IDLE_ROWS);
      g_autofree char *text = NULL;
      GtkWidget *row = adw_action_row_new ();

      /* Translators: the last row of a long list of idle users */
      text = g_strdup_printf (_("%s more in the CSV export"), more);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
      gtk_list_box_append (self->idle_list, row);
    }
}

static void
idle_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LumaBreakdownPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = luma_cache_list_idle_users_finish (LUMA_CACHE (source), result, &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->idle_cancellable)
    return;
  g_clear_object (&self->idle_cancellable);
  if (users == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
        g_warning ("Cannot list the idle licenses: %s", error->message);
      return;
    }
  g_clear_pointer (&self->idle_users, g_ptr_array_unref);
  self->idle_users = g_steal_pointer (&users);
  show_idle_users (self);
}

static void
start_idle (LumaBreakdownPage *self)
{
  gint64 cutoff, to, previous;

  if (self->idle_cancellable != NULL)
    g_cancellable_cancel (self->idle_cancellable);
  g_clear_object (&self->idle_cancellable);

  if (self->cache == NULL || self->subscription == NULL ||
      self->subscription->license_type != LUMA_LICENSE_TYPE_USER)
    return;

  luma_period_for_last_days (gtk_spin_button_get_value_as_int (self->idle_days_spin),
                             g_get_real_time () / G_USEC_PER_SEC, NULL, &cutoff, &to, &previous);
  self->idle_cancellable = g_cancellable_new ();
  luma_cache_list_idle_users_async (self->cache, cutoff, self->idle_cancellable, idle_done_cb,
                                    g_object_ref (self));
}

static void
idle_days_changed_cb (LumaBreakdownPage *self)
{
  start_idle (self);
}

/* ---- Counting ------------------------------------------------------------------------------- */

static void
breakdown_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LumaBreakdownPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaBreakdown) b = luma_cache_get_breakdown_finish (LUMA_CACHE (source), result, &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  g_clear_object (&self->cancellable);
  if (b == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
        g_warning ("Cannot count where the licenses go: %s", error->message);
      return;
    }
  g_clear_pointer (&self->breakdown, luma_breakdown_free);
  self->breakdown = g_steal_pointer (&b);
  show_breakdown (self);
}

static void
start_breakdown (LumaBreakdownPage *self)
{
  LumaPeriodPreset preset = current_preset (self);
  const LumaSubscription *s = self->subscription;
  g_autofree char *period = NULL;
  gint64 from, to, previous;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->cache == NULL || s == NULL)
    return;

  luma_period_for_preset (preset, g_get_real_time () / G_USEC_PER_SEC, s->start_date, s->end_date,
                          NULL, &from, &to, &previous);
  period = luma_format_period (from, to, is_term_preset (preset));
  gtk_label_set_label (self->period_label, period);

  self->cancellable = g_cancellable_new ();
  luma_cache_get_breakdown_async (self->cache, s->license_type, from, to, previous,
                                  LUMA_BREAKDOWN_DEFAULT_TOP_USERS, self->cancellable,
                                  breakdown_done_cb, g_object_ref (self));
}

static void
period_changed_cb (LumaBreakdownPage *self)
{
  start_breakdown (self);
}

void
luma_breakdown_page_reload (LumaBreakdownPage *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (LUMA_IS_BREAKDOWN_PAGE (self));

  g_clear_pointer (&self->subscription, luma_subscription_free);
  if (self->cache != NULL)
    self->subscription = luma_cache_get_subscription (self->cache, NULL, &error);
  if (error != NULL && !g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
    g_warning ("Cannot read the subscription: %s", error->message);

  if (self->subscription == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->idle_group),
                          self->subscription->license_type == LUMA_LICENSE_TYPE_USER);
  gtk_stack_set_visible_child_name (self->stack, "content");
  start_breakdown (self);
  start_idle (self);
}

void
luma_breakdown_page_set_cache (LumaBreakdownPage *self,
                               LumaCache         *cache)
{
  g_return_if_fail (LUMA_IS_BREAKDOWN_PAGE (self));
  g_return_if_fail (cache == NULL || LUMA_IS_CACHE (cache));

  if (self->cache == cache)
    return;
  g_set_object (&self->cache, cache);
  g_clear_pointer (&self->breakdown, luma_breakdown_free);
  g_clear_pointer (&self->idle_users, g_ptr_array_unref);
  luma_breakdown_page_reload (self);
}

/* ---- Export --------------------------------------------------------------------------------- */

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LumaBreakdownPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (luma_csv_save_finish (result, &error))
    {
      g_autofree char *name = g_file_get_basename (G_FILE (source));

      /* Translators: %s is a file name */
      message = g_strdup_printf (_("Saved “%s”"), name);
    }
  else
    /* Translators: %s is why */
    message = g_strdup_printf (_("Cannot export: %s"), error->message);
  luma_widget_show_toast (GTK_WIDGET (self), message);
}

void
luma_breakdown_page_export_to (LumaBreakdownPage *self,
                               GFile             *file,
                               gboolean           idle_users)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  g_return_if_fail (LUMA_IS_BREAKDOWN_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  if (idle_users && self->idle_users != NULL)
    luma_idle_users_append_csv (csv, self->idle_users);
  else if (!idle_users && self->breakdown != NULL)
    luma_breakdown_append_csv (csv, self->breakdown);
  else
    return;

  len = csv->len;
  bytes = g_bytes_new_take (g_string_free (g_steal_pointer (&csv), FALSE), len);
  luma_csv_save_async (file, bytes, NULL, export_done_cb, g_object_ref (self));
}

static void
chooser_response_cb (LumaBreakdownPage    *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  gboolean idle = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "idle"));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file != NULL)
    luma_breakdown_page_export_to (self, file, idle);
}

static void
choose_file (LumaBreakdownPage *self,
             gboolean           idle)
{
  g_autofree char *today = luma_format_file_day (g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *name = NULL;

  if (self->chooser != NULL)
    return;
  name = g_strdup_printf (idle ? "idle-licenses-%s.csv" : "license-breakdown-%s.csv", today);
  self->chooser = gtk_file_chooser_native_new (idle ? _("Export the Idle Licenses")
                                                    : _("Export Where the Licenses Go"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  g_object_set_data (G_OBJECT (self->chooser), "idle", GINT_TO_POINTER (idle));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
export_clicked_cb (LumaBreakdownPage *self)
{
  choose_file (self, FALSE);
}

static void
idle_export_clicked_cb (LumaBreakdownPage *self)
{
  choose_file (self, TRUE);
}

/* ---- For tests ------------------------------------------------------------------------------ */

const LumaBreakdown *
luma_breakdown_page_get_breakdown (LumaBreakdownPage *self)
{
  g_return_val_if_fail (LUMA_IS_BREAKDOWN_PAGE (self), NULL);
  return self->breakdown;
}

GPtrArray *
luma_breakdown_page_get_idle_users (LumaBreakdownPage *self)
{
  g_return_val_if_fail (LUMA_IS_BREAKDOWN_PAGE (self), NULL);
  return self->idle_users;
}

gboolean
luma_breakdown_page_get_busy (LumaBreakdownPage *self)
{
  g_return_val_if_fail (LUMA_IS_BREAKDOWN_PAGE (self), FALSE);
  return self->cancellable != NULL || self->idle_cancellable != NULL;
}

void
luma_breakdown_page_set_period (LumaBreakdownPage *self,
                                LumaPeriodPreset   preset)
{
  g_return_if_fail (LUMA_IS_BREAKDOWN_PAGE (self));
  gtk_drop_down_set_selected (self->period_dropdown, preset);
}

gboolean
luma_breakdown_page_activate_bar (LumaBreakdownPage      *self,
                                  LumaBreakdownDimension  dimension,
                                  guint                   index)
{
  GtkListBox *list;
  GtkListBoxRow *row;

  g_return_val_if_fail (LUMA_IS_BREAKDOWN_PAGE (self), FALSE);

  if (dimension > LUMA_BREAKDOWN_USER || dimension >= self->group_lists->len)
    return FALSE;
  list = g_ptr_array_index (self->group_lists, dimension);
  row = list != NULL ? gtk_list_box_get_row_at_index (list, (int) index) : NULL;
  if (row == NULL)
    return FALSE;
  g_signal_emit_by_name (list, "row-activated", row);
  return TRUE;
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
luma_breakdown_page_dispose (GObject *object)
{
  LumaBreakdownPage *self = LUMA_BREAKDOWN_PAGE (object);
  GtkWidget *child;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->idle_cancellable != NULL)
    g_cancellable_cancel (self->idle_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->idle_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_BREAKDOWN_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_clear_object (&self->cache);
  g_clear_pointer (&self->subscription, luma_subscription_free);
  g_clear_pointer (&self->breakdown, luma_breakdown_free);
  g_clear_pointer (&self->idle_users, g_ptr_array_unref);
  g_clear_pointer (&self->group_lists, g_ptr_array_unref);

  G_OBJECT_CLASS (luma_breakdown_page_parent_class)->dispose (object);
}

static void
luma_breakdown_page_class_init (LumaBreakdownPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_breakdown_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-breakdown-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, period_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, period_list);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, period_label);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, compare_label);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, groups_box);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, idle_group);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, idle_export_button);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, idle_days_spin);
  gtk_widget_class_bind_template_child (widget_class, LumaBreakdownPage, idle_list);
  gtk_widget_class_bind_template_callback (widget_class, period_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, idle_export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, idle_days_changed_cb);
}

static void
luma_breakdown_page_init (LumaBreakdownPage *self)
{
  self->group_lists = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Filled before any cache is set: choosing the default counts nothing yet. */
  for (int p = 0; p < LUMA_N_PERIOD_PRESETS; p++)
    gtk_string_list_append (self->period_list, luma_period_preset_to_display (p));
  gtk_drop_down_set_selected (self->period_dropdown, LUMA_PERIOD_LAST_30_DAYS);
  g_signal_connect (self->idle_list, "row-activated", G_CALLBACK (idle_row_activated_cb), NULL);

  luma_a11y_fix_names (GTK_WIDGET (self));
}
