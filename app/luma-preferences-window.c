/* luma-preferences-window.c: sync interval, notifications and other settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-alerts.h"
#include "luma-background.h"
#include "luma-a11y.h"
#include "luma-preferences-window.h"

struct _LumaPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  AdwComboRow          *sync_interval_row;
  GtkStringList        *sync_interval_list;
  GtkSwitch            *notifications_switch;
  GtkSwitch            *background_switch;
  AdwActionRow         *background_row;
  GtkSwitch            *bom_switch;
  AdwActionRow         *ca_row;
  GtkButton            *ca_clear_button;
  GtkFileChooserNative *chooser;

  LumaCache            *cache;
  LumaSubscription     *subscription;
  gboolean              loading;
  char                 *alerts_error;
  AdwPreferencesGroup  *alerts_group;
  AdwEntryRow          *percents_row;
  GtkSpinButton        *run_out_spin;
  GtkSpinButton        *contract_end_spin;
};

G_DEFINE_FINAL_TYPE (LumaPreferencesWindow, luma_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The choices of "Sync Automatically", in minutes (the key allows 5 to 1440). */
static const guint sync_intervals[] = { 5, 15, 30, 60, 240, 1440 };

static void
sync_interval_changed_cb (LumaPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->sync_interval_row);

  if (selected < G_N_ELEMENTS (sync_intervals) &&
      g_settings_get_uint (self->settings, "sync-interval") != sync_intervals[selected])
    g_settings_set_uint (self->settings, "sync-interval", sync_intervals[selected]);
}

static void
update_sync_interval (LumaPreferencesWindow *self)
{
  guint minutes = g_settings_get_uint (self->settings, "sync-interval");
  guint best = 0;

  /* A value set outside the app selects the nearest choice. */
  for (guint i = 0; i < G_N_ELEMENTS (sync_intervals); i++)
    if (ABS ((int) sync_intervals[i] - (int) minutes) < ABS ((int) sync_intervals[best] - (int) minutes))
      best = i;

  adw_combo_row_set_selected (self->sync_interval_row, best);
}

static void
update_ca (LumaPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "ca-file");

  if (path[0] == '\0')
    {
      adw_action_row_set_subtitle (self->ca_row, _("None: only the system's certificates are trusted"));
      gtk_widget_set_visible (GTK_WIDGET (self->ca_clear_button), FALSE);
    }
  else
    {
      adw_action_row_set_subtitle (self->ca_row, path);
      gtk_widget_set_visible (GTK_WIDGET (self->ca_clear_button), TRUE);
    }
}

static void
settings_changed_cb (LumaPreferencesWindow *self,
                     const char            *key)
{
  if (g_strcmp0 (key, "sync-interval") == 0)
    update_sync_interval (self);
  else if (g_strcmp0 (key, "ca-file") == 0)
    update_ca (self);
}

static void
chooser_response_cb (LumaPreferencesWindow *self,
                     int                    response,
                     GtkFileChooserNative  *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "ca-file", path);
    }

  g_clear_object (&self->chooser);
}

static void
ca_choose_clicked_cb (LumaPreferencesWindow *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Choose a Trusted Certificate"),
                                               GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Trust"),
                                               _("_Cancel"));
  gtk_file_filter_set_name (filter, _("PEM certificates"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
ca_clear_clicked_cb (LumaPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "ca-file", "");
}

/* ---- Alerts of the tenant ------------------------------------------------------------------- */

static void
save_alerts (LumaPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  LumaAlertSettings settings;

  if (self->loading || self->cache == NULL || self->subscription == NULL)
    return;

  luma_alert_settings_init_default (&settings);
  g_clear_pointer (&self->alerts_error, g_free);
  if (!luma_alert_settings_parse_percents (&settings, gtk_editable_get_text (GTK_EDITABLE (self->percents_row))))
    {
      self->alerts_error = g_strdup_printf (_("Whole numbers from 1 to 100, separated by commas, at most %d"),
                                            LUMA_ALERTS_MAX_PERCENTS);
      gtk_widget_add_css_class (GTK_WIDGET (self->percents_row), "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->percents_row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->alerts_error, -1);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->percents_row), "error");
  gtk_accessible_reset_property (GTK_ACCESSIBLE (self->percents_row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  settings.run_out_days = (guint) gtk_spin_button_get_value_as_int (self->run_out_spin);
  settings.contract_end_days = (guint) gtk_spin_button_get_value_as_int (self->contract_end_spin);

  /* With the subscription: what the new choice finds due now is not replayed. */
  if (!luma_alert_settings_save (&settings, self->cache, self->subscription->external_id,
                                 self->subscription, &error))
    g_warning ("Cannot store the alert settings: %s", error->message);
}

static void
percents_apply_cb (LumaPreferencesWindow *self)
{
  save_alerts (self);
}

static void
percents_changed_cb (LumaPreferencesWindow *self)
{
  /* An error goes away as soon as the text is edited again. */
  if (self->alerts_error != NULL)
    {
      g_clear_pointer (&self->alerts_error, g_free);
      gtk_widget_remove_css_class (GTK_WIDGET (self->percents_row), "error");
    }
}

static void
days_changed_cb (LumaPreferencesWindow *self)
{
  save_alerts (self);
}

void
luma_preferences_window_set_cache (LumaPreferencesWindow *self,
                                   LumaCache             *cache)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *percents = NULL;
  g_autofree char *title = NULL;
  LumaAlertSettings settings;

  g_return_if_fail (LUMA_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (cache == NULL || LUMA_IS_CACHE (cache));

  g_set_object (&self->cache, cache);
  g_clear_pointer (&self->subscription, luma_subscription_free);
  if (cache != NULL)
    self->subscription = luma_cache_get_subscription (cache, NULL, &error);
  if (error != NULL)
    g_warning ("Cannot read the cached subscription: %s", error->message);
  g_clear_error (&error);

  gtk_widget_set_visible (GTK_WIDGET (self->alerts_group), self->subscription != NULL);
  if (self->subscription == NULL)
    return;

  if (!luma_alert_settings_load (&settings, cache, self->subscription->external_id, &error))
    {
      g_warning ("Cannot read the alert settings: %s", error->message);
      luma_alert_settings_init_default (&settings);
    }

  /* Translators: the title of the group of alerts in the preferences; %s is the tenant */
  title = g_strdup_printf (_("Alerts for %s"), self->subscription->tenant_name != NULL
                                               ? self->subscription->tenant_name
                                               : self->subscription->external_id);
  adw_preferences_group_set_title (self->alerts_group, title);
  adw_preferences_group_set_description (self->alerts_group,
                                         _("Each alert is told once per contract term."));

  self->loading = TRUE;
  percents = luma_alert_settings_format_percents (&settings);
  gtk_editable_set_text (GTK_EDITABLE (self->percents_row), percents);
  gtk_spin_button_set_value (self->run_out_spin, settings.run_out_days);
  gtk_spin_button_set_value (self->contract_end_spin, settings.contract_end_days);
  self->loading = FALSE;
}

const char *
luma_preferences_window_get_alerts_error (LumaPreferencesWindow *self)
{
  g_return_val_if_fail (LUMA_IS_PREFERENCES_WINDOW (self), NULL);
  return self->alerts_error;
}

static void
luma_preferences_window_dispose (GObject *object)
{
  LumaPreferencesWindow *self = LUMA_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->settings);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->subscription, luma_subscription_free);
  g_clear_pointer (&self->alerts_error, g_free);

  G_OBJECT_CLASS (luma_preferences_window_parent_class)->dispose (object);
}

static void
luma_preferences_window_class_init (LumaPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, sync_interval_row);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, sync_interval_list);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, background_row);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, bom_switch);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, ca_row);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, alerts_group);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, percents_row);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, run_out_spin);
  gtk_widget_class_bind_template_child (widget_class, LumaPreferencesWindow, contract_end_spin);
  gtk_widget_class_bind_template_callback (widget_class, percents_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, percents_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, days_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_clear_clicked_cb);
}

static void
luma_preferences_window_init (LumaPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (sync_intervals); i++)
    {
      g_autofree char *label = NULL;

      if (sync_intervals[i] % 60 == 0)
        /* Translators: a sync interval; if a form of your language also covers counts other
         * than 1 (21, 31...), write %u in it */
        label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Every hour", "Every %u hours",
                                              sync_intervals[i] / 60),
                                 sync_intervals[i] / 60);
      else
        /* Translators: a sync interval; if a form of your language also covers counts other
         * than 1 (21, 31...), write %u in it */
        label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Every minute", "Every %u minutes",
                                              sync_intervals[i]),
                                 sync_intervals[i]);
      gtk_string_list_append (self->sync_interval_list, label);
    }
}

LumaPreferencesWindow *
luma_preferences_window_new (GSettings *settings)
{
  LumaPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (LUMA_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "notifications-enabled", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "start-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  /* A login item from inside Flatpak needs the background portal. */
  if (luma_background_in_flatpak ())
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->background_switch), FALSE);
      adw_action_row_set_subtitle (self->background_row,
                                   _("Not available in the Flatpak version yet: it needs the background portal"));
    }
  g_settings_bind (settings, "csv-byte-order-mark", self->bom_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update_sync_interval (self);
  update_ca (self);
  g_signal_connect_swapped (self->sync_interval_row, "notify::selected",
                            G_CALLBACK (sync_interval_changed_cb), self);

  return self;
}
