/* luma-notifier.c: desktop notifications when consumption crosses a threshold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-notifier"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "luma-alerts.h"
#include "luma-notifier.h"

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

/* Room for every percentage a decision records. */
G_STATIC_ASSERT (sizeof (((LumaCacheThresholdChange *) NULL)->record) >=
                 sizeof (((LumaAlertDecision *) NULL)->record));

static gboolean
record_alerts (LumaNotifier            *self,
               const LumaSubscription  *subscription,
               const LumaAlertDecision *decision,
               GError                 **error)
{
  LumaCacheThresholdChange change = { 0 };

  change.tenant = subscription->external_id;
  change.term_start = subscription->start_date;
  change.clear_above = decision->rearm ? (gint) decision->rearm_above : -1;
  change.n_record = decision->n_record;
  memcpy (change.record, decision->record, decision->n_record * sizeof (gint));

  /* One transaction: the re-armed ones cleared and the new ones recorded,
   * all or none, before anything is announced. */
  return luma_cache_apply_threshold_changes (self->cache, &change, 1,
                                             g_get_real_time () / G_USEC_PER_SEC, error);
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

/* The notifications of the usual thresholds in @thresholds (a LumaThreshold set). */
static void
withdraw (LumaNotifier *self,
          const char   *tenant,
          guint         thresholds)
{
  for (guint i = 0; i < LUMA_THRESHOLD_COUNT; i++)
    if (thresholds & luma_threshold_nth (i))
      withdraw_percent (self, tenant, luma_threshold_get_percent (luma_threshold_nth (i)));
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

  for (guint i = 0; i < LUMA_THRESHOLD_COUNT; i++)
    g_hash_table_add (done, GUINT_TO_POINTER (luma_threshold_get_percent (luma_threshold_nth (i))));
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

/* A threshold crossed by one tenant of a superadmin's check. */
static void
send_threshold_notification (LumaNotifier    *self,
                             const char      *tenant,
                             const char      *tenant_name,
                             LumaLicenseType  license_type,
                             gint64           consumed,
                             gint64           total_purchase,
                             gint64           term_end,
                             LumaThreshold    threshold)
{
  g_autoptr(LumaThresholdNotification) text = NULL;

  text = luma_threshold_notification_new (threshold, license_type,
                                          self->name_tenant ? tenant_name : NULL,
                                          consumed, total_purchase, term_end);
  send (self, tenant, (gint) luma_threshold_get_percent (threshold), text->title, text->body,
        text->priority);
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
    *notified_out = luma_threshold_from_percent ((gint) decision.notify_percent);

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

/* ---- Every tenant of a superadmin ------------------------------------------------------------ */

typedef struct
{
  GPtrArray  *tenants;    /* LumaTenantSummary* */
  GHashTable *index;      /* external id (borrowed) -> position + 1 */
  guint      *notified;   /* per tenant: flags of its current term */
} TenantsCheck;

static void
stored_threshold_cb (const char *tenant,
                     gint64      term_start,
                     gint        percent,
                     gpointer    user_data)
{
  TenantsCheck *check = user_data;
  guint position = GPOINTER_TO_UINT (g_hash_table_lookup (check->index, tenant));
  const LumaTenantSummary *summary;

  /* Other terms, and tenants no longer listed, are not this check's. */
  if (position == 0)
    return;
  summary = g_ptr_array_index (check->tenants, position - 1);
  if (summary->start_date == term_start)
    check->notified[position - 1] |= luma_threshold_from_percent (percent);
}

/* Plain numbers only: the body is markup on some servers, and tenant names are server text
 * (they are in the board the notification opens). */
static void
send_summary (LumaNotifier  *self,
              GPtrArray     *tenants,
              GArray        *crossings,
              const guint   *crossed)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;
  guint counts[LUMA_THRESHOLD_COUNT] = { 0 };
  LumaThreshold lowest = LUMA_THRESHOLD_NONE, highest = LUMA_THRESHOLD_NONE;
  guint n = crossings->len;

  for (guint i = 0; i < n; i++)
    {
      guint position = g_array_index (crossings, guint, i);
      const LumaTenantSummary *summary = g_ptr_array_index (tenants, position);
      LumaThreshold threshold = crossed[i];

      g_ptr_array_add (ids, summary->external_id);
      for (guint t = 0; t < LUMA_THRESHOLD_COUNT; t++)
        if (luma_threshold_nth (t) == threshold)
          counts[t]++;
      if (lowest == LUMA_THRESHOLD_NONE || threshold < lowest)
        lowest = threshold;
      if (threshold > highest)
        highest = threshold;
    }

  /* Translators: the title of one notification for many tenants, e.g. "7 tenants passed 75 %" */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tenant passed %u %%",
                                        "%u tenants passed %u %%", n),
                           n, luma_threshold_get_percent (lowest));
  for (guint t = 0; t < LUMA_THRESHOLD_COUNT; t++)
    {
      if (counts[t] == 0)
        continue;
      if (body->len > 0)
        g_string_append (body, ", ");
      /* Translators: part of a list, e.g. "4 now at 75 %, 2 now at 95 %" */
      g_string_append_printf (body, _("%u now at %u %%"), counts[t],
                              luma_threshold_get_percent (luma_threshold_nth (t)));
    }
  g_string_append (body, ". ");
  g_string_append (body, _("Open the tenants board to see which."));

  notification = g_notification_new (title);
  g_notification_set_body (notification, body->str);
  g_notification_set_priority (notification, luma_threshold_get_priority (highest));
  icon = g_themed_icon_new (APP_ID);
  g_notification_set_icon (notification, icon);
  g_ptr_array_add (ids, NULL);
  g_notification_set_default_action_and_target_value (
    notification, "app." LUMA_NOTIFIER_ACTION_SHOW_TENANTS,
    g_variant_new_strv ((const char * const *) ids->pdata, -1));

  /* One per check: a later summary names other tenants and must not replace this one. */
  id = g_strdup_printf ("threshold-summary-%" G_GINT64_FORMAT, g_get_real_time ());
  g_application_send_notification (self->application, id, notification);
}

gboolean
luma_notifier_evaluate_tenants (LumaNotifier  *self,
                                GPtrArray     *tenants,
                                gboolean       notifications_enabled,
                                GStrv         *crossed_out,
                                GError       **error)
{
  TenantsCheck check = { tenants, NULL, NULL };
  g_autoptr(GArray) changes = NULL;
  g_autoptr(GArray) crossings = NULL;     /* positions of the tenants that crossed */
  g_autoptr(GArray) rearmed = NULL;       /* positions of the tenants re-armed */
  g_autofree guint *crossed = NULL;       /* the threshold crossed, per crossing */
  g_autofree LumaThresholdDecision *decisions = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (LUMA_IS_NOTIFIER (self), FALSE);
  g_return_val_if_fail (tenants != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (crossed_out != NULL)
    *crossed_out = NULL;

  check.index = g_hash_table_new (g_str_hash, g_str_equal);
  check.notified = g_new0 (guint, MAX (tenants->len, 1));
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *summary = g_ptr_array_index (tenants, i);

      if (summary->external_id != NULL)
        g_hash_table_insert (check.index, summary->external_id, GUINT_TO_POINTER (i + 1));
    }

  if (!luma_cache_foreach_notified_threshold (self->cache, stored_threshold_cb, &check, error))
    goto out;

  changes = g_array_new (FALSE, TRUE, sizeof (LumaCacheThresholdChange));
  crossings = g_array_new (FALSE, FALSE, sizeof (guint));
  rearmed = g_array_new (FALSE, FALSE, sizeof (guint));
  decisions = g_new0 (LumaThresholdDecision, MAX (tenants->len, 1));
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *summary = g_ptr_array_index (tenants, i);
      LumaThresholdState previous = { summary->start_date, check.notified[i] };
      LumaThresholdDecision *decision = &decisions[i];
      LumaCacheThresholdChange change = { 0 };
      guint added;

      if (summary->external_id == NULL)
        continue;
      luma_thresholds_evaluate (&previous, summary->start_date, summary->consumed,
                                summary->total_purchase, decision);
      if (decision->notify == LUMA_THRESHOLD_NONE && decision->rearmed == 0 &&
          decision->state.notified == previous.notified)
        continue;

      change.tenant = summary->external_id;
      change.term_start = summary->start_date;
      change.clear_above = -1;
      if (decision->rearmed != 0)
        {
          change.clear_above = (gint) luma_threshold_get_percent (luma_threshold_highest (decision->state.notified));
          g_array_append_val (rearmed, i);
        }
      added = decision->state.notified & ~previous.notified;
      for (guint t = 0; t < LUMA_THRESHOLD_COUNT; t++)
        if (added & luma_threshold_nth (t))
          change.record[change.n_record++] = (gint) luma_threshold_get_percent (luma_threshold_nth (t));
      g_array_append_val (changes, change);
      if (decision->notify != LUMA_THRESHOLD_NONE)
        g_array_append_val (crossings, i);
    }

  /* Recorded before anything is sent: a crossing is never announced twice. */
  if (!luma_cache_apply_threshold_changes (self->cache, (const LumaCacheThresholdChange *) changes->data,
                                           changes->len, g_get_real_time () / G_USEC_PER_SEC, error))
    goto out;

  crossed = g_new0 (guint, MAX (crossings->len, 1));
  for (guint i = 0; i < crossings->len; i++)
    crossed[i] = decisions[g_array_index (crossings, guint, i)].notify;

  if (crossed_out != NULL)
    {
      GStrv ids = g_new0 (char *, crossings->len + 1);

      for (guint i = 0; i < crossings->len; i++)
        {
          const LumaTenantSummary *summary = g_ptr_array_index (tenants, g_array_index (crossings, guint, i));

          ids[i] = g_strdup (summary->external_id);
        }
      *crossed_out = ids;
    }

  ok = TRUE;
  if (!notifications_enabled || !can_send (self))
    goto out;

  for (guint i = 0; i < rearmed->len; i++)
    {
      guint position = g_array_index (rearmed, guint, i);
      const LumaTenantSummary *summary = g_ptr_array_index (tenants, position);

      if (decisions[position].notify == LUMA_THRESHOLD_NONE)
        withdraw (self, summary->external_id, decisions[position].rearmed);
    }
  for (guint i = 0; i < crossings->len; i++)
    {
      const LumaTenantSummary *summary = g_ptr_array_index (tenants, g_array_index (crossings, guint, i));

      withdraw (self, summary->external_id, LUMA_THRESHOLD_ALL & ~crossed[i]);
    }

  if (crossings->len > LUMA_NOTIFIER_SUMMARY_AFTER)
    {
      g_debug ("%u tenants crossed a threshold: one summary", crossings->len);
      send_summary (self, tenants, crossings, crossed);
    }
  else
    {
      for (guint i = 0; i < crossings->len; i++)
        {
          const LumaTenantSummary *summary = g_ptr_array_index (tenants, g_array_index (crossings, guint, i));

          g_debug ("Tenant %s crossed %u %%", summary->external_id,
                   luma_threshold_get_percent (crossed[i]));
          send_threshold_notification (self, summary->external_id, summary->tenant_name,
                                       summary->license_type, summary->consumed,
                                       summary->total_purchase, summary->end_date, crossed[i]);
        }
    }

out:
  g_hash_table_unref (check.index);
  g_free (check.notified);
  return ok;
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

/* The short-lived registration of luma_notifier_notify_after_sync() and
 * luma_notifier_notify_tenants_after_check(): evaluates @tenants (a
 * superadmin's list) or, when NULL, the subscription in @cache, and makes
 * sure what it sent has reached the bus. */
static gboolean
notify_headless (LumaCache  *cache,
                 GPtrArray  *tenants,
                 gboolean    name_tenant,
                 GStrv      *crossed_out,
                 GError    **error)
{
  g_autoptr(LumaNotifier) notifier = NULL;
  GApplication *application;
  GDBusConnection *connection;
  gboolean enabled;
  gboolean evaluated;

  enabled = luma_notifier_get_enabled_setting ();

  application = get_headless_application (error);
  if (application == NULL)
    return FALSE;

  connection = g_application_get_dbus_connection (application);
  if (enabled && connection == NULL)
    {
      /* Recording the crossing now would mean it is never shown. */
      g_debug ("No session bus: thresholds left for a %s that can notify",
               tenants != NULL ? "check" : "sync");
      return TRUE;
    }

  notifier = luma_notifier_new (application, cache);
  luma_notifier_set_name_tenant (notifier, name_tenant);
  if (tenants != NULL)
    evaluated = luma_notifier_evaluate_tenants (notifier, tenants, enabled, crossed_out, error);
  else
    evaluated = luma_notifier_evaluate_cached (notifier, enabled, NULL, error);
  if (!evaluated)
    return FALSE;

  /* The calls are queued on the connection: make sure they reach the bus
   * before the process exits. */
  if (connection != NULL && !g_dbus_connection_flush_sync (connection, NULL, error))
    return FALSE;

  return TRUE;
}

gboolean
luma_notifier_notify_after_sync (LumaCache  *cache,
                                 gboolean    name_tenant,
                                 GError    **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return notify_headless (cache, NULL, name_tenant, NULL, error);
}

gboolean
luma_notifier_notify_tenants_after_check (LumaCache  *cache,
                                          GPtrArray  *tenants,
                                          GStrv      *crossed_out,
                                          GError    **error)
{
  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (tenants != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (crossed_out != NULL)
    *crossed_out = NULL;
  return notify_headless (cache, tenants, TRUE, crossed_out, error);
}
