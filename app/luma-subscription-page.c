/* luma-subscription-page.c: the subscription details, the gauge, the chart and the contacts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-alerts.h"
#include "luma-chart.h"
#include "luma-contacts-editor.h"
#include "luma-format.h"
#include "luma-gauge.h"
#include "luma-last-look.h"
#include "luma-a11y.h"
#include "luma-subscription-page-private.h"
#include "luma-utils.h"
#include "luma-wrap-box.h"

struct _LumaSubscriptionPage
{
  GtkWidget          parent_instance;

  LumaCache         *cache;
  LumaSync          *sync;
  LumaSubscription  *subscription;
  gboolean           chart_ready;
  /* The consumption of each local day of the term, counted once for the
   * forecast and the bars alike (gint64 each; NULL until counted). */
  GArray            *day_bounds;
  GArray            *day_counts;
  GCancellable      *forecast_cancellable;
  LumaForecast      *forecast;
  gboolean           forecast_ready;
  gboolean           superadmin;
  LumaAlertSettings  alerts;
  gulong             root_active_handler;
  GtkWidget         *root;
  guint              synced_timeout;
  /* "Since you last looked": the marker of the previous visit, read once
   * when the page is shown, the line compared with it while it stays so. */
  gboolean           look_started;
  gboolean           has_previous_look;
  LumaLastLook       previous_look;
  GCancellable      *look_cancellable;
  gboolean           look_ready;

  GtkStack          *stack;
  AdwStatusPage     *loading_page;
  GtkProgressBar    *loading_progress;
  GtkLabel          *tenant_label;
  GtkLabel          *synced_label;
  GtkLabel          *last_look_label;
  GtkButton         *refill_button;
  GtkLabel          *license_type_label;
  GtkLabel          *start_date_label;
  GtkLabel          *end_date_label;
  GtkLabel          *session_duration_label;
  GtkLabel          *total_purchase_label;
  GtkLabel          *consumed_label;
  GtkLabel          *available_label;
  GtkLabel          *gauge_label;
  LumaGauge         *gauge;
  GtkLabel          *forecast_label;
  LumaChart         *chart;
  GtkLabel          *chart_label;
  GtkLabel          *chart_title;
  GtkToggleButton   *per_day_button;
  GtkToggleButton   *per_week_button;
  GtkToggleButton   *per_term_button;
  GtkRevealer       *alert_revealer;
  GtkLabel          *alert_label;
  GtkButton         *request_button;
  GtkButton         *alert_history_button;
  LumaContactsEditor *contacts_editor;
};

G_DEFINE_FINAL_TYPE (LumaSubscriptionPage, luma_subscription_page, GTK_TYPE_WIDGET)

/* ---- The chart, counted by the cache in a worker thread --------------------------------------- */

/* Bars of the local days of the term, or of weeks of them, from the day counts. */
static void
show_bars (LumaSubscriptionPage *self)
{
  gboolean weekly = !gtk_toggle_button_get_active (self->per_day_button);
  guint n_days = self->day_counts != NULL ? self->day_counts->len : 0;
  g_autoptr(GArray) counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_autoptr(GArray) bounds = g_array_new (FALSE, TRUE, sizeof (gint64));

  for (guint i = 0; i < n_days; i++)
    {
      gint64 day = g_array_index (self->day_counts, gint64, i);

      /* A week is seven local days from the term's first, the last one shorter. */
      if (!weekly || i % 7 == 0)
        {
          g_array_append_val (counts, day);
          g_array_append_val (bounds, g_array_index (self->day_bounds, gint64, i));
        }
      else
        g_array_index (counts, gint64, counts->len - 1) += day;
    }
  if (n_days > 0)
    g_array_append_val (bounds, g_array_index (self->day_bounds, gint64, n_days));

  luma_chart_set_bars (self->chart, (const gint64 *) (gpointer) counts->data,
                       (const gint64 *) (gpointer) bounds->data, counts->len, weekly);
  gtk_label_set_label (self->chart_title,
                       weekly ? _("Consumption per Week") : _("Consumption per Day"));
  gtk_label_set_label (self->chart_label, n_days > 0 ? luma_chart_get_text (self->chart) : "");
  self->chart_ready = TRUE;
}

static void
show_forecast_chart (LumaSubscriptionPage *self)
{
  gtk_label_set_label (self->chart_title, _("Consumption over the Term"));
  if (self->forecast != NULL)
    {
      luma_chart_set_forecast (self->chart, self->forecast);
      gtk_label_set_label (self->chart_label, luma_chart_get_text (self->chart));
    }
  else if (self->forecast_ready)
    {
      /* No days to draw (a term of no length or of decades). */
      luma_chart_set_bars (self->chart, NULL, NULL, 0, FALSE);
      gtk_label_set_label (self->chart_label, "");
    }
  self->chart_ready = TRUE;
}

static void
start_chart (LumaSubscriptionPage *self)
{
  self->chart_ready = FALSE;
  if (self->subscription == NULL || self->chart == NULL)
    return;
  /* The days are counted with the forecast: drawn when they are. */
  if (!self->forecast_ready)
    return;
  if (gtk_toggle_button_get_active (self->per_term_button))
    show_forecast_chart (self);
  else
    show_bars (self);
}

static void
chart_bucket_toggled_cb (LumaSubscriptionPage *self,
                         GtkToggleButton      *button)
{
  /* Each group change toggles two buttons: count once, for the active one. */
  if (gtk_toggle_button_get_active (button))
    start_chart (self);
}

/* ---- The forecast, from the consumption of each local day ------------------------------------ */

static void
update_alert_banner (LumaSubscriptionPage *self)
{
  g_autofree char *text = NULL;

  if (self->subscription != NULL)
    text = luma_alerts_describe_active (&self->alerts, self->subscription, self->forecast,
                                        g_get_real_time () / G_USEC_PER_SEC);
  gtk_label_set_label (self->alert_label, text != NULL ? text : "");
  /* The action that fits: a tenant administrator asks for licenses, a superadmin (who can
   * refill them) looks at where they went. */
  gtk_widget_set_visible (GTK_WIDGET (self->request_button), !self->superadmin);
  gtk_widget_set_visible (GTK_WIDGET (self->alert_history_button), self->superadmin);
  gtk_revealer_set_reveal_child (self->alert_revealer, text != NULL);
}

static void
load_alerts (LumaSubscriptionPage *self)
{
  g_autoptr(GError) error = NULL;

  luma_alert_settings_init_default (&self->alerts);
  if (self->cache != NULL && self->subscription != NULL &&
      !luma_alert_settings_load (&self->alerts, self->cache, self->subscription->external_id, &error))
    g_warning ("Cannot read the alert settings: %s", error->message);
}

/* A count of each day of the term: the page and the days counted. */
typedef struct
{
  LumaSubscriptionPage *self;
  GArray               *bounds;
} ForecastRequest;

static void
forecast_request_free (ForecastRequest *request)
{
  g_object_unref (request->self);
  g_array_unref (request->bounds);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ForecastRequest, forecast_request_free)

static void
days_counted_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ForecastRequest) request = user_data;
  LumaSubscriptionPage *self = request->self;
  GArray *bounds = request->bounds;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) counts = luma_cache_count_in_ranges_finish (LUMA_CACHE (source), result, &error);
  g_autofree char *sentence = NULL;
  const LumaSubscription *s;

  /* An answer to an earlier request (another cache or subscription), or to
   * one cancelled with the page. */
  if (g_task_get_cancellable (G_TASK (result)) != self->forecast_cancellable ||
      self->subscription == NULL)
    return;

  if (counts == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (!g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
        g_warning ("Cannot count the consumption of each day: %s", error->message);
      /* Done all the same: the whole-term sentence stays, and the Term
       * view shows the chart without a projection. */
      g_clear_object (&self->forecast_cancellable);
      self->forecast_ready = TRUE;
      start_chart (self);
      return;
    }

  s = self->subscription;
  if (bounds->len == counts->len + 1)
    {
      g_clear_pointer (&self->day_bounds, g_array_unref);
      g_clear_pointer (&self->day_counts, g_array_unref);
      self->day_bounds = g_array_ref (bounds);
      self->day_counts = g_array_ref (counts);
      g_clear_pointer (&self->forecast, luma_forecast_free);
      self->forecast = luma_forecast_new ((const gint64 *) (gpointer) bounds->data,
                                          (const gint64 *) (gpointer) counts->data, counts->len,
                                          g_get_real_time () / G_USEC_PER_SEC,
                                          s->consumed, s->total_purchase);
      /* The sentence from the same rate as the chart. */
      sentence = luma_format_forecast_recent (self->forecast);
      gtk_label_set_label (self->forecast_label, sentence);
    }
  self->forecast_ready = TRUE;
  update_alert_banner (self);
  start_chart (self);
}

static void
start_forecast (LumaSubscriptionPage *self)
{
  g_autoptr(GArray) bounds = NULL;
  ForecastRequest *request;

  if (self->forecast_cancellable != NULL)
    g_cancellable_cancel (self->forecast_cancellable);
  g_clear_object (&self->forecast_cancellable);
  g_clear_pointer (&self->forecast, luma_forecast_free);
  g_clear_pointer (&self->day_bounds, g_array_unref);
  g_clear_pointer (&self->day_counts, g_array_unref);
  self->forecast_ready = FALSE;

  if (self->cache == NULL || self->subscription == NULL)
    {
      self->forecast_ready = TRUE;
      return;
    }

  bounds = luma_forecast_day_bounds (self->subscription->start_date, self->subscription->end_date);
  if (bounds == NULL)
    {
      /* A term the days cannot cut: the whole-term sentence stays. */
      self->forecast_ready = TRUE;
      return;
    }

  self->forecast_cancellable = g_cancellable_new ();
  request = g_new0 (ForecastRequest, 1);
  request->self = g_object_ref (self);
  request->bounds = g_steal_pointer (&bounds);
  luma_cache_count_in_ranges_async (self->cache, self->subscription->license_type,
                                    LUMA_USER_STATUS_ACTIVE,
                                    (const gint64 *) (gpointer) request->bounds->data,
                                    request->bounds->len,
                                    self->forecast_cancellable, days_counted_cb, request);
}

static void
request_licenses_done_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Cannot open the mail app: %s", error->message);
}

static void
request_licenses_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  LumaSubscriptionPage *self = LUMA_SUBSCRIPTION_PAGE (widget);
  g_autofree char *uri = luma_subscription_page_dup_request_uri (self);
  g_autoptr(GAppLaunchContext) context = NULL;

  if (uri == NULL)
    return;
  context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (widget)));
  g_app_info_launch_default_for_uri_async (uri, context, NULL, request_licenses_done_cb, NULL);
}

char *
luma_subscription_page_dup_request_uri (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);

  if (self->subscription == NULL)
    return NULL;
  return luma_alerts_request_uri (self->subscription, self->forecast,
                                  g_get_real_time () / G_USEC_PER_SEC);
}

static void
root_active_cb (LumaSubscriptionPage *self)
{
  /* Back from the preferences: the alerts may have changed. */
  if (self->root != NULL && gtk_window_is_active (GTK_WINDOW (self->root)))
    {
      load_alerts (self);
      update_alert_banner (self);
    }
}

static void
luma_subscription_page_root (GtkWidget *widget)
{
  LumaSubscriptionPage *self = LUMA_SUBSCRIPTION_PAGE (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (luma_subscription_page_parent_class)->root (widget);

  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    {
      self->root = GTK_WIDGET (root);
      self->root_active_handler = g_signal_connect_swapped (root, "notify::is-active",
                                                            G_CALLBACK (root_active_cb), self);
    }
}

static void
luma_subscription_page_unroot (GtkWidget *widget)
{
  LumaSubscriptionPage *self = LUMA_SUBSCRIPTION_PAGE (widget);

  if (self->root != NULL)
    g_clear_signal_handler (&self->root_active_handler, self->root);
  self->root = NULL;

  GTK_WIDGET_CLASS (luma_subscription_page_parent_class)->unroot (widget);
}

/* ---- Showing the subscription --------------------------------------------------------------- */

static void
set_label_count (GtkLabel *label,
                 gint64    n)
{
  g_autofree char *text = luma_format_count (n);

  gtk_label_set_label (label, text);
}

static void
update_synced (LumaSubscriptionPage *self)
{
  g_autofree char *text = NULL;

  if (self->cache == NULL)
    return;
  text = luma_format_last_synced (luma_cache_get_last_synced (self->cache),
                                  g_get_real_time () / G_USEC_PER_SEC);
  gtk_label_set_label (self->synced_label, text);
}

static gboolean
synced_timeout_cb (gpointer user_data)
{
  /* "Synced 5 minutes ago" ages by itself. */
  update_synced (LUMA_SUBSCRIPTION_PAGE (user_data));
  return G_SOURCE_CONTINUE;
}

static void
show_subscription (LumaSubscriptionPage *self)
{
  const LumaSubscription *s = self->subscription;
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;
  g_autofree char *duration = NULL;
  g_autofree char *forecast = NULL;
  g_autofree char *consumed = NULL;

  update_synced (self);

  if (s == NULL)
    {
      /* The first sync: what it is doing, not that there is nothing. */
      if (self->sync != NULL && luma_sync_get_running (self->sync))
        {
          luma_show_first_sync_progress (self->loading_page, self->loading_progress, self->sync);
          gtk_stack_set_visible_child_name (self->stack, "loading");
        }
      else
        {
          gtk_stack_set_visible_child_name (self->stack, "empty");
        }
      return;
    }

  gtk_label_set_label (self->tenant_label, s->tenant_name != NULL ? s->tenant_name : s->external_id);
  gtk_label_set_label (self->license_type_label, luma_license_type_to_display (s->license_type));
  start = luma_format_day (s->start_date);
  end = luma_format_day (s->end_date);
  gtk_label_set_label (self->start_date_label, start);
  gtk_label_set_label (self->end_date_label, end);
  duration = luma_format_minutes (s->session_duration_minutes);
  gtk_label_set_label (self->session_duration_label, duration);
  set_label_count (self->total_purchase_label, s->total_purchase);
  set_label_count (self->consumed_label, s->consumed);
  set_label_count (self->available_label, s->available);

  consumed = luma_format_count (s->consumed);
  if (s->overage > 0)
    {
      g_autofree char *over = luma_format_count (s->overage);
      g_autofree char *text = NULL;

      /* Translators: the Consumed value when it exceeds the total: "N (M over the total)" */
      text = g_strdup_printf (_("%s (%s over the total)"), consumed, over);
      gtk_label_set_label (self->consumed_label, text);
    }

  luma_gauge_set_values (self->gauge, s->consumed, s->total_purchase);
  gtk_label_set_label (self->gauge_label, luma_gauge_get_text (self->gauge));

  forecast = luma_format_forecast (s, g_get_real_time () / G_USEC_PER_SEC);
  gtk_label_set_label (self->forecast_label, forecast);

  gtk_stack_set_visible_child_name (self->stack, "details");
}

typedef struct
{
  LumaSubscription *subscription;
  gboolean          has_previous;
  LumaLastLook      previous;
  LumaLastLook      current;
} LookData;

static void
look_data_free (LookData *data)
{
  luma_subscription_free (data->subscription);
  g_free (data);
}

/* Counting the new records and storing the marker waits for the cache's
 * writer, which a sync may keep busy: off the main thread. */
static void
last_look_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  LumaCache *cache = source;
  LookData *data = task_data;
  GError *error = NULL;

  if (!luma_last_look_read (cache, data->subscription, data->has_previous ? &data->previous : NULL,
                            g_get_real_time () / G_USEC_PER_SEC, &data->current, &error) ||
      (!g_cancellable_is_cancelled (cancellable) && !luma_last_look_store (cache, &data->current, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
last_look_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LumaSubscriptionPage) self = user_data;
  g_autoptr(GError) error = NULL;
  LookData *data = g_task_get_task_data (G_TASK (result));
  g_autofree char *line = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED))
    g_warning ("Cannot keep the last look at the subscription: %s", error->message);
  if (g_task_get_cancellable (G_TASK (result)) != self->look_cancellable)
    return;

  /* A count that failed shows no line, and is over all the same. */
  if (error == NULL && data->has_previous)
    line = luma_last_look_describe (data->subscription->license_type, &data->previous, &data->current);
  gtk_label_set_label (self->last_look_label, line != NULL ? line : "");
  gtk_widget_set_visible (GTK_WIDGET (self->last_look_label), line != NULL);
  self->look_ready = TRUE;
}

/* While the page is shown: the line against the previous visit, and this
 * visit's marker for the next one. */
static void
update_last_look (LumaSubscriptionPage *self)
{
  g_autoptr(GTask) task = NULL;
  LookData *data;

  if (self->cache == NULL || self->subscription == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  /* One row of the meta table, read on the main thread so that the next
   * marker is never taken for the previous one. */
  if (!self->look_started)
    {
      self->has_previous_look = luma_last_look_load (self->cache, &self->previous_look);
      self->look_started = TRUE;
    }

  if (self->look_cancellable != NULL)
    g_cancellable_cancel (self->look_cancellable);
  g_clear_object (&self->look_cancellable);
  self->look_cancellable = g_cancellable_new ();
  self->look_ready = FALSE;

  data = g_new0 (LookData, 1);
  data->subscription = luma_subscription_copy (self->subscription);
  data->has_previous = self->has_previous_look;
  data->previous = self->previous_look;
  task = g_task_new (self->cache, self->look_cancellable, last_look_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, update_last_look);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, data, (GDestroyNotify) look_data_free);
  g_task_run_in_thread (task, last_look_thread);
}

static void
luma_subscription_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (luma_subscription_page_parent_class)->map (widget);

  update_last_look (LUMA_SUBSCRIPTION_PAGE (widget));
}

static void
luma_subscription_page_unmap (GtkWidget *widget)
{
  LumaSubscriptionPage *self = LUMA_SUBSCRIPTION_PAGE (widget);

  /* The next showing is a new visit. */
  self->look_started = FALSE;

  GTK_WIDGET_CLASS (luma_subscription_page_parent_class)->unmap (widget);
}

void
luma_subscription_page_reload (LumaSubscriptionPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) s = NULL;

  g_return_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self));

  if (self->cache == NULL)
    return;

  s = luma_cache_get_subscription (self->cache, NULL, &error);
  if (error != NULL)
    g_warning ("Cannot read the cached subscription: %s", error->message);

  g_clear_pointer (&self->subscription, luma_subscription_free);
  self->subscription = g_steal_pointer (&s);
  show_subscription (self);
  luma_contacts_editor_reload (self->contacts_editor);
  load_alerts (self);
  update_alert_banner (self);
  start_forecast (self);
  start_chart (self);
  update_last_look (self);
}

/* The window disables win.refill offline; this says why. */
static void
sync_offline_cb (LumaSubscriptionPage *self)
{
  gboolean offline = self->sync != NULL && luma_sync_get_offline (self->sync);

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->refill_button),
                               offline ? _("Offline: adding or removing licenses needs a connection to the server")
                                       : NULL);
}

static void
sync_progress_cb (LumaSubscriptionPage *self)
{
  if (self->subscription != NULL)
    return;
  /* The subscription is stored before the purchases and the records: show it at once. */
  if (self->sync != NULL && luma_sync_get_phase (self->sync) > LUMA_SYNC_PHASE_SUBSCRIPTION)
    luma_subscription_page_reload (self);
  else
    show_subscription (self);
}

void
luma_subscription_page_set_context (LumaSubscriptionPage *self,
                                    LumaCache            *cache,
                                    LumaSync             *sync,
                                    gboolean              superadmin)
{
  g_return_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self));
  g_return_if_fail (cache == NULL || LUMA_IS_CACHE (cache));
  g_return_if_fail (sync == NULL || LUMA_IS_SYNC (sync));

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->cache, cache);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    {
      g_signal_connect_swapped (sync, "notify::offline", G_CALLBACK (sync_offline_cb), self);
      g_signal_connect_swapped (sync, "notify::running", G_CALLBACK (sync_progress_cb), self);
      g_signal_connect_swapped (sync, "notify::phase", G_CALLBACK (sync_progress_cb), self);
      g_signal_connect_swapped (sync, "notify::done", G_CALLBACK (sync_progress_cb), self);
    }
  sync_offline_cb (self);
  gtk_widget_set_visible (GTK_WIDGET (self->refill_button), superadmin);
  self->superadmin = superadmin;
  luma_contacts_editor_set_context (self->contacts_editor, cache, sync);

  g_clear_pointer (&self->subscription, luma_subscription_free);
  /* Another cache: another tenant's visit. */
  self->look_started = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->last_look_label), FALSE);
  gtk_label_set_label (self->last_look_label, "");
  luma_subscription_page_reload (self);
}

const LumaSubscription *
luma_subscription_page_get_subscription (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);
  return self->subscription;
}

gboolean
luma_subscription_page_get_last_look_ready (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), FALSE);
  return self->look_ready;
}

gboolean
luma_subscription_page_get_chart_ready (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), FALSE);
  return self->chart_ready && self->forecast_ready;
}

const char *
luma_subscription_page_get_value (LumaSubscriptionPage *self,
                                  const char           *name)
{
  struct { const char *name; GtkLabel *label; } labels[] = {
    { "license-type", self->license_type_label },
    { "start-date", self->start_date_label },
    { "end-date", self->end_date_label },
    { "session-duration", self->session_duration_label },
    { "total-purchase", self->total_purchase_label },
    { "consumed", self->consumed_label },
    { "available", self->available_label },
    { "forecast", self->forecast_label },
    { "synced", self->synced_label },
    { "last-look", self->last_look_label },
  };

  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (labels[i].name, name) == 0)
      return gtk_label_get_label (labels[i].label);

  return NULL;
}

LumaContactsEditor *
luma_subscription_page_get_contacts_editor (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);
  return self->contacts_editor;
}

gboolean
luma_subscription_page_focus_details (LumaSubscriptionPage *self)
{
  GtkWidget *row;

  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), FALSE);

  /* The details first, not the alert banner above them: the banner is read out when it
   * appears, and its button is one Shift+Tab away. */
  row = gtk_widget_get_ancestor (GTK_WIDGET (self->license_type_label), ADW_TYPE_ACTION_ROW);
  return row != NULL && gtk_widget_get_mapped (row) && gtk_widget_grab_focus (row);
}

LumaChart *
luma_subscription_page_get_chart (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);
  return self->chart;
}

void
luma_subscription_page_set_chart_view (LumaSubscriptionPage *self,
                                       LumaChartView         view)
{
  g_return_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self));

  if (view == LUMA_CHART_VIEW_DAY)
    gtk_toggle_button_set_active (self->per_day_button, TRUE);
  else if (view == LUMA_CHART_VIEW_WEEK)
    gtk_toggle_button_set_active (self->per_week_button, TRUE);
  else
    gtk_toggle_button_set_active (self->per_term_button, TRUE);
}

const LumaForecast *
luma_subscription_page_get_forecast (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);
  return self->forecast;
}

const char *
luma_subscription_page_get_alert_text (LumaSubscriptionPage *self)
{
  g_return_val_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self), NULL);
  return gtk_revealer_get_reveal_child (self->alert_revealer)
         ? gtk_label_get_label (self->alert_label) : NULL;
}

void
luma_subscription_page_set_chart_per_day (LumaSubscriptionPage *self,
                                          gboolean              per_day)
{
  g_return_if_fail (LUMA_IS_SUBSCRIPTION_PAGE (self));

  if (per_day)
    gtk_toggle_button_set_active (self->per_day_button, TRUE);
  else
    gtk_toggle_button_set_active (self->per_week_button, TRUE);
}

static void
luma_subscription_page_dispose (GObject *object)
{
  LumaSubscriptionPage *self = LUMA_SUBSCRIPTION_PAGE (object);
  GtkWidget *child;

  g_clear_pointer (&self->day_bounds, g_array_unref);
  g_clear_pointer (&self->day_counts, g_array_unref);
  if (self->forecast_cancellable != NULL)
    g_cancellable_cancel (self->forecast_cancellable);
  g_clear_object (&self->forecast_cancellable);
  g_clear_pointer (&self->forecast, luma_forecast_free);
  if (self->look_cancellable != NULL)
    g_cancellable_cancel (self->look_cancellable);
  g_clear_object (&self->look_cancellable);
  g_clear_handle_id (&self->synced_timeout, g_source_remove);
  /* Before the template: destroying the day/week buttons toggles them. */
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->subscription, luma_subscription_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_SUBSCRIPTION_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (luma_subscription_page_parent_class)->dispose (object);
}

static void
luma_subscription_page_class_init (LumaSubscriptionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_subscription_page_dispose;
  widget_class->root = luma_subscription_page_root;
  widget_class->unroot = luma_subscription_page_unroot;
  widget_class->map = luma_subscription_page_map;
  widget_class->unmap = luma_subscription_page_unmap;

  g_type_ensure (LUMA_TYPE_GAUGE);
  g_type_ensure (LUMA_TYPE_CHART);
  g_type_ensure (LUMA_TYPE_CONTACTS_EDITOR);
  g_type_ensure (LUMA_TYPE_WRAP_BOX);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-subscription-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, loading_page);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, tenant_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, synced_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, last_look_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, refill_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, license_type_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, start_date_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, end_date_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, session_duration_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, total_purchase_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, consumed_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, available_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, gauge_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, gauge);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, forecast_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, chart);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, chart_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, chart_title);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, per_day_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, per_week_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, per_term_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, alert_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, alert_label);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, request_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, alert_history_button);
  gtk_widget_class_bind_template_child (widget_class, LumaSubscriptionPage, contacts_editor);
  gtk_widget_class_bind_template_callback (widget_class, chart_bucket_toggled_cb);
  gtk_widget_class_install_action (widget_class, "subscription.request-licenses", NULL,
                                   request_licenses_cb);
}

static void
luma_subscription_page_init (LumaSubscriptionPage *self)
{
  GtkLabel *values[7];

  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
  values[0] = self->license_type_label;
  values[1] = self->start_date_label;
  values[2] = self->end_date_label;
  values[3] = self->session_duration_label;
  values[4] = self->total_purchase_label;
  values[5] = self->consumed_label;
  values[6] = self->available_label;
  /* The values are no Tab stops of their own: a row, when focused, is read with its value. */
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (values[i]), ADW_TYPE_ACTION_ROW);

      if (row != NULL)
        gtk_accessible_update_relation (GTK_ACCESSIBLE (row),
                                        GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, values[i], NULL,
                                        -1);
    }
  self->synced_timeout = g_timeout_add_seconds (60, synced_timeout_cb, self);
  self->forecast_ready = TRUE;
  luma_alert_settings_init_default (&self->alerts);
}
