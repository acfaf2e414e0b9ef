/* luma-notifier.c: desktop notifications when consumption crosses a threshold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-notifier"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-alerts.h"
#include "luma-notifier.h"

static const LumaThreshold all_thresholds[] = {
  LUMA_THRESHOLD_75,
  LUMA_THRESHOLD_85,
  LUMA_THRESHOLD_95,
  LUMA_THRESHOLD_100,
};

struct _LumaNotifier
{
  GObject       parent_instance;

  GApplication *application;
  LumaCache    *cache;
  gboolean      name_tenant;
};

G_DEFINE_FINAL_TYPE (LumaNotifier, luma_notifier, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_APPLICATION,
  PROP_CACHE,
  PROP_NAME_TENANT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
luma_notifier_dispose (GObject *object)
{
  LumaNotifier *self = LUMA_NOTIFIER (object);

  g_clear_object (&self->application);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (luma_notifier_parent_class)->dispose (object);
}

static void
luma_notifier_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LumaNotifier *self = LUMA_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;
    case PROP_NAME_TENANT:
      g_value_set_boolean (value, self->name_tenant);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_notifier_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LumaNotifier *self = LUMA_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;
    case PROP_NAME_TENANT:
      luma_notifier_set_name_tenant (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_notifier_class_init (LumaNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_notifier_dispose;
  object_class->get_property = luma_notifier_get_property;
  object_class->set_property = luma_notifier_set_property;

  properties[PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL,
                         G_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL,
                         LUMA_TYPE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME_TENANT] =
    g_param_spec_boolean ("name-tenant", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
luma_notifier_init (LumaNotifier *self)
{
}

LumaNotifier *
luma_notifier_new (GApplication *application,
                   LumaCache    *cache)
{
  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (LUMA_IS_CACHE (cache), NULL);

  return g_object_new (LUMA_TYPE_NOTIFIER,
                       "application", application,
                       "cache", cache,
                       NULL);
}

GApplication *
luma_notifier_get_application (LumaNotifier *self)
{
  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), NULL);

  return self->application;
}

LumaCache *
luma_notifier_get_cache (LumaNotifier *self)
{
  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), NULL);

  return self->cache;
}

void
luma_notifier_set_name_tenant (LumaNotifier *self,
                               gboolean      name_tenant)
{
  g_return_if_fail (LUMA_IS_NOTIFIER (self));

  name_tenant = !!name_tenant;
  if (self->name_tenant == name_tenant)
    return;

  self->name_tenant = name_tenant;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME_TENANT]);
}

gboolean
luma_notifier_get_name_tenant (LumaNotifier *self)
{
  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), FALSE);

  return self->name_tenant;
}

/* ---- Evaluation ------------------------------------------------------------------------------- */

static gboolean
record_alerts (LumaNotifier            *self,
               const LumaSubscription  *subscription,
               const LumaAlertDecision *decision,
               GError                 **error)
{
  const char *tenant = subscription->external_id;
  gint64 term_start = subscription->start_date;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (decision->rearm &&
      !luma_cache_clear_thresholds_above (self->cache, tenant, term_start,
                                          decision->rearm_above, error))
    return FALSE;

  /* The percentage announced first: should a later write fail, the next
   * evaluation finds it and does not announce it again. */
  if (decision->notify_percent != 0 &&
      !luma_cache_record_threshold_notified (self->cache, tenant, term_start,
                                             (gint) decision->notify_percent, now, error))
    return FALSE;

  for (guint i = 0; i < decision->n_record; i++)
    if (decision->record[i] != (gint) decision->notify_percent &&
        !luma_cache_record_threshold_notified (self->cache, tenant, term_start,
                                               decision->record[i], now, error))
      return FALSE;

  return TRUE;
}

static gboolean
can_send (LumaNotifier *self)
{
  if (!g_application_get_is_registered (self->application))
    {
      g_debug ("The application is not registered: no notification");
      return FALSE;
    }
  if (g_application_get_is_remote (self->application))
    {
      g_debug ("Another instance is the primary one: no notification from here");
      return FALSE;
    }
  if (g_application_get_dbus_connection (self->application) == NULL)
    {
      g_debug ("No session bus: no notification");
      return FALSE;
    }
  return TRUE;
}

static void
withdraw_percent (LumaNotifier *self,
                  const char   *tenant,
                  guint         percent)
{
  g_autofree char *id = luma_alert_notification_id (tenant, (gint) percent);

  g_application_withdraw_notification (self->application, id);
}

/* Every percentage notification of the tenant but @keep: the usual ones,
 * the chosen ones and those told in this term. */
static void
withdraw_percents_but (LumaNotifier            *self,
                       const char              *tenant,
                       const LumaAlertSettings *settings,
                       GArray                  *told,
                       guint                    keep)
{
  g_autoptr(GHashTable) done = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key;

  for (gsize i = 0; i < G_N_ELEMENTS (all_thresholds); i++)
    g_hash_table_add (done, GUINT_TO_POINTER (luma_threshold_get_percent (all_thresholds[i])));
  for (guint i = 0; i < settings->n_percents; i++)
    g_hash_table_add (done, GUINT_TO_POINTER (settings->percents[i]));
  for (guint i = 0; told != NULL && i < told->len; i++)
    if (g_array_index (told, gint, i) > 0)
      g_hash_table_add (done, GUINT_TO_POINTER ((guint) g_array_index (told, gint, i)));
  g_hash_table_remove (done, GUINT_TO_POINTER (keep));

  g_hash_table_iter_init (&iter, done);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    withdraw_percent (self, tenant, GPOINTER_TO_UINT (key));
}

static void
send (LumaNotifier          *self,
      const char            *tenant,
      gint                   code,
      const char            *title,
      const char            *body,
      GNotificationPriority  priority)
{
  g_autoptr(GNotification) notification = g_notification_new (title);
  g_autoptr(GIcon) icon = g_themed_icon_new (APP_ID);
  g_autofree char *id = luma_alert_notification_id (tenant, code);

  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, priority);
  g_notification_set_icon (notification, icon);
  g_notification_set_default_action_and_target (notification,
                                                "app." LUMA_NOTIFIER_ACTION_SHOW_SUBSCRIPTION,
                                                "s", tenant);
  g_notification_add_button_with_target (notification, _("Show History"),
                                         "app." LUMA_NOTIFIER_ACTION_SHOW_HISTORY,
                                         "s", tenant);
  g_application_send_notification (self->application, id, notification);
}

static void
send_percent (LumaNotifier           *self,
              const LumaSubscription *subscription,
              guint                   percent)
{
  g_autoptr(LumaThresholdNotification) text = NULL;

  text = luma_threshold_notification_new_for_percent (percent,
                                                      subscription->license_type,
                                                      self->name_tenant ? subscription->tenant_name : NULL,
                                                      subscription->consumed,
                                                      subscription->total_purchase,
                                                      subscription->end_date);
  send (self, subscription->external_id, (gint) percent, text->title, text->body, text->priority);
}

static void
send_look_ahead (LumaNotifier           *self,
                 const LumaSubscription *subscription,
                 const LumaForecast     *forecast,
                 gint                    code,
                 gint64                  now)
{
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;

  luma_alerts_look_ahead_text (code, subscription, forecast,
                               self->name_tenant ? subscription->tenant_name : NULL, now,
                               &title, &body);
  send (self, subscription->external_id, code, title, body,
        code == LUMA_ALERT_CODE_RUN_OUT ? G_NOTIFICATION_PRIORITY_HIGH
                                        : G_NOTIFICATION_PRIORITY_NORMAL);
}

static LumaThreshold
threshold_of_percent (guint percent)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_thresholds); i++)
    if (luma_threshold_get_percent (all_thresholds[i]) == percent)
      return all_thresholds[i];
  return LUMA_THRESHOLD_NONE;
}

gboolean
luma_notifier_evaluate (LumaNotifier            *self,
                        const LumaSubscription  *subscription,
                        gboolean                 notifications_enabled,
                        LumaThreshold           *notified_out,
                        GError                 **error)
{
  g_autoptr(GArray) told = NULL;
  g_autoptr(LumaForecast) forecast = NULL;
  g_autoptr(GError) local_error = NULL;
  LumaAlertSettings settings;
  LumaAlertDecision decision;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), FALSE);
  g_return_val_if_fail (subscription != NULL, FALSE);
  g_return_val_if_fail (subscription->external_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (notified_out != NULL)
    *notified_out = LUMA_THRESHOLD_NONE;

  if (!luma_alert_settings_load (&settings, self->cache, subscription->external_id, error))
    return FALSE;

  /* The cache keeps what was told per term: another term's set is simply
   * not found, so a new term starts from nothing. */
  told = luma_cache_get_notified_thresholds (self->cache, subscription->external_id,
                                             subscription->start_date, error);
  if (told == NULL)
    return FALSE;

  if (settings.run_out_days > 0)
    {
      forecast = luma_alerts_forecast_from_cache (self->cache, subscription, now, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  luma_alerts_evaluate (&settings, told, subscription, forecast, now, &decision);
  if (decision.n_record == 0 && !decision.rearm)
    return TRUE;

  if (!record_alerts (self, subscription, &decision, error))
    return FALSE;

  if (notified_out != NULL)
    *notified_out = threshold_of_percent (decision.notify_percent);

  if (!notifications_enabled || !can_send (self))
    return TRUE;

  /* Out of date: overtaken by the new crossing, or re-armed by a refill. */
  if (decision.notify_percent != 0)
    withdraw_percents_but (self, subscription->external_id, &settings, told,
                           decision.notify_percent);
  else
    for (guint i = 0; i < decision.n_rearmed; i++)
      withdraw_percent (self, subscription->external_id, decision.rearmed[i]);

  if (decision.notify_percent != 0)
    {
      g_debug ("Tenant %s crossed %u %%", subscription->external_id, decision.notify_percent);
      send_percent (self, subscription, decision.notify_percent);
    }
  if (decision.notify_run_out)
    send_look_ahead (self, subscription, forecast, LUMA_ALERT_CODE_RUN_OUT, now);
  if (decision.notify_contract_end)
    send_look_ahead (self, subscription, forecast, LUMA_ALERT_CODE_CONTRACT_END, now);

  return TRUE;
}

gboolean
luma_notifier_evaluate_cached (LumaNotifier   *self,
                               gboolean        notifications_enabled,
                               LumaThreshold  *notified_out,
                               GError        **error)
{
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (notified_out != NULL)
    *notified_out = LUMA_THRESHOLD_NONE;

  subscription = luma_cache_get_subscription (self->cache, NULL, &local_error);
  if (subscription == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return luma_notifier_evaluate (self, subscription, notifications_enabled, notified_out, error);
}

/* ---- The headless --sync ---------------------------------------------------------------------- */

gboolean
luma_notifier_get_enabled_setting (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  /* Without the schema GSettings would abort: an install without data/
   * (or a build tree) behaves as the default. */
  if (source == NULL)
    return TRUE;
  schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "notifications-enabled"))
    return TRUE;

  settings = g_settings_new_full (schema, NULL, NULL);
  return g_settings_get_boolean (settings, "notifications-enabled");
}

/* The freedesktop backend answers into the application asynchronously; the
 * application must outlive those answers, and the process ends soon after
 * the sync, so it is kept until then. */
static GApplication *headless_application;

static GApplication *
get_headless_application (GError **error)
{
  g_autoptr(GApplication) application = NULL;

  if (headless_application != NULL)
    return headless_application;

  /* Registered under the app's id so the notification carries it (the
   * notification server uses it to find the app's name, icon and to
   * activate it). Non-unique: a window already running keeps its name,
   * and this process stays the one that sends. */
  application = g_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (application, NULL, error))
    return NULL;

  headless_application = g_steal_pointer (&application);
  return headless_application;
}

gboolean
luma_notifier_notify_after_sync (LumaCache  *cache,
                                 gboolean    name_tenant,
                                 GError    **error)
{
  g_autoptr(LumaNotifier) notifier = NULL;
  GApplication *application;
  GDBusConnection *connection;
  gboolean enabled;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  enabled = luma_notifier_get_enabled_setting ();

  application = get_headless_application (error);
  if (application == NULL)
    return FALSE;

  connection = g_application_get_dbus_connection (application);
  if (enabled && connection == NULL)
    {
      /* Recording the crossing now would mean it is never shown. */
      g_debug ("No session bus: thresholds left for a sync that can notify");
      return TRUE;
    }

  notifier = luma_notifier_new (application, cache);
  luma_notifier_set_name_tenant (notifier, name_tenant);
  if (!luma_notifier_evaluate_cached (notifier, enabled, NULL, error))
    return FALSE;

  /* The calls are queued on the connection: make sure they reach the bus
   * before the process exits. */
  if (connection != NULL && !g_dbus_connection_flush_sync (connection, NULL, error))
    return FALSE;

  return TRUE;
}
