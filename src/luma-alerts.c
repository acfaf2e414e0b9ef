/* luma-alerts.c: the alerts each tenant chooses, and what they say
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include <glib/gi18n-lib.h>

#include "luma-alerts.h"
#include "luma-cache-sync.h"
#include "luma-format.h"
#include "luma-thresholds.h"

#define DAY_SECONDS (24 * 3600)

/* ---- Settings ------------------------------------------------------------------------------- */

void
luma_alert_settings_init_default (LumaAlertSettings *self)
{
  static const guint defaults[] = { 75, 85, 95, 100 };

  g_return_if_fail (self != NULL);

  memset (self, 0, sizeof *self);
  for (gsize i = 0; i < G_N_ELEMENTS (defaults); i++)
    self->percents[self->n_percents++] = defaults[i];
  self->run_out_days = LUMA_ALERTS_DEFAULT_RUN_OUT_DAYS;
  self->contract_end_days = LUMA_ALERTS_DEFAULT_CONTRACT_END_DAYS;
}

static int
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

gboolean
luma_alert_settings_parse_percents (LumaAlertSettings *self,
                                    const char        *text)
{
  g_auto(GStrv) parts = NULL;
  guint values[LUMA_ALERTS_MAX_PERCENTS];
  guint n = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  parts = g_strsplit_set (text, ",; \t", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      gsize len = strlen (part);
      guint64 value;
      gboolean seen = FALSE;

      if (len > 0 && part[len - 1] == '%')
        part[--len] = '\0';
      g_strstrip (part);
      if (*part == '\0')
        continue;
      if (!g_ascii_string_to_unsigned (part, 10, 1, 100, &value, NULL))
        return FALSE;
      for (guint j = 0; j < n; j++)
        seen |= values[j] == value;
      if (seen)
        continue;
      if (n == LUMA_ALERTS_MAX_PERCENTS)
        return FALSE;
      values[n++] = (guint) value;
    }

  qsort (values, n, sizeof (guint), compare_uint);
  /* Unused slots zeroed: equal settings compare equal. */
  memset (self->percents, 0, sizeof self->percents);
  memcpy (self->percents, values, n * sizeof (guint));
  self->n_percents = n;
  return TRUE;
}

char *
luma_alert_settings_format_percents (const LumaAlertSettings *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->n_percents; i++)
    g_string_append_printf (out, i > 0 ? ", %u" : "%u", self->percents[i]);
  return g_string_free (out, FALSE);
}

char *
luma_alert_settings_to_string (const LumaAlertSettings *self)
{
  GString *out = g_string_new ("percents=");

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->n_percents; i++)
    g_string_append_printf (out, i > 0 ? ",%u" : "%u", self->percents[i]);
  g_string_append_printf (out, ";run-out-days=%u;contract-end-days=%u",
                          self->run_out_days, self->contract_end_days);
  return g_string_free (out, FALSE);
}

gboolean
luma_alert_settings_from_string (LumaAlertSettings *self,
                                 const char        *text)
{
  LumaAlertSettings parsed;
  g_auto(GStrv) fields = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  parsed = *self;
  fields = g_strsplit (text, ";", -1);
  for (guint i = 0; fields[i] != NULL; i++)
    {
      const char *eq = strchr (fields[i], '=');
      g_autofree char *key = NULL;
      guint64 days;

      if (eq == NULL)
        return FALSE;
      key = g_strndup (fields[i], eq - fields[i]);
      if (g_str_equal (key, "percents"))
        {
          if (!luma_alert_settings_parse_percents (&parsed, eq + 1))
            return FALSE;
        }
      else if (g_str_equal (key, "run-out-days") || g_str_equal (key, "contract-end-days"))
        {
          if (!g_ascii_string_to_unsigned (eq + 1, 10, 0, 3660, &days, NULL))
            return FALSE;
          if (g_str_equal (key, "run-out-days"))
            parsed.run_out_days = (guint) days;
          else
            parsed.contract_end_days = (guint) days;
        }
      /* Keys of later versions are left for them. */
    }

  *self = parsed;
  return TRUE;
}

static char *
meta_key (const char *tenant)
{
  return g_strconcat ("alerts:", tenant, NULL);
}

gboolean
luma_alert_settings_load (LumaAlertSettings  *self,
                          LumaCache          *cache,
                          const char         *tenant,
                          GError            **error)
{
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);

  luma_alert_settings_init_default (self);
  key = meta_key (tenant);
  text = luma_cache_get_meta (cache, key, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text != NULL && !luma_alert_settings_from_string (self, text))
    {
      /* Unreadable: the defaults rather than no alerts at all. */
      g_warning ("Ignoring unreadable alert settings of %s: %s", tenant, text);
      luma_alert_settings_init_default (self);
    }
  return TRUE;
}

gboolean
luma_alert_settings_save (const LumaAlertSettings  *self,
                          LumaCache                *cache,
                          const char               *tenant,
                          const LumaSubscription   *subscription,
                          GError                  **error)
{
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (tenant != NULL, FALSE);

  key = meta_key (tenant);
  text = luma_alert_settings_to_string (self);
  if (!luma_cache_set_meta (cache, key, text, error))
    return FALSE;

  if (subscription != NULL && g_strcmp0 (subscription->external_id, tenant) == 0)
    {
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      g_autoptr(LumaForecast) forecast = NULL;
      g_autoptr(GArray) told = NULL;
      g_autoptr(GError) local_error = NULL;
      LumaAlertDecision decision;

      /* The forecast matters only to a run-out alert; as in the notifier. */
      if (self->run_out_days > 0)
        forecast = luma_alerts_forecast_from_cache (cache, subscription, now, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      told = luma_cache_get_notified_thresholds (cache, tenant, subscription->start_date, error);
      if (told == NULL)
        return FALSE;
      /* Due now by the new choice: dealt with, not announced. Re-arming is
       * left to the next evaluation (it withdraws notifications). */
      luma_alerts_evaluate (self, told, subscription, forecast, now, &decision);
      for (guint i = 0; i < decision.n_record; i++)
        if (!luma_cache_record_threshold_notified (cache, tenant, subscription->start_date,
                                                   decision.record[i], now, error))
          return FALSE;
    }

  return TRUE;
}

/* ---- The forecast the alerts use ------------------------------------------------------------ */

LumaForecast *
luma_alerts_forecast_from_cache (LumaCache              *cache,
                                 const LumaSubscription *subscription,
                                 gint64                  now,
                                 GError                **error)
{
  g_autoptr(GArray) bounds = NULL;
  g_autoptr(GArray) recent = NULL;
  g_autofree gint64 *counts = NULL;
  const gint64 *b;
  guint n_days, n_recent, from;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), NULL);
  g_return_val_if_fail (subscription != NULL, NULL);

  bounds = luma_forecast_day_bounds (subscription->start_date, subscription->end_date);
  if (bounds == NULL || bounds->len < 2)
    return NULL;
  b = (const gint64 *) (gpointer) bounds->data;
  n_days = bounds->len - 1;

  /* Only the window of the rate and today: a few dozen ranges of the time
   * index, whatever the size of the history. */
  n_recent = luma_forecast_recent_days (b, n_days, now, &from);
  recent = luma_cache_count_in_ranges (cache, subscription->license_type, LUMA_USER_STATUS_ACTIVE,
                                       b + from, n_recent + 1, NULL, error);
  if (recent == NULL)
    return NULL;

  counts = g_new0 (gint64, n_days);
  for (guint i = 0; i < recent->len; i++)
    counts[from + i] = g_array_index (recent, gint64, i);

  return luma_forecast_new (b, counts, n_days, now, subscription->consumed,
                            subscription->total_purchase);
}

/* ---- Evaluation ----------------------------------------------------------------------------- */

gboolean
luma_alerts_percent_reached (guint  percent,
                             gint64 consumed,
                             gint64 total_purchase)
{
  return luma_threshold_percent_reached (percent, consumed, total_purchase);
}

static gboolean
told_has (GArray *told,
          gint    code)
{
  if (told == NULL)
    return FALSE;
  for (guint i = 0; i < told->len; i++)
    if (g_array_index (told, gint, i) == code)
      return TRUE;
  return FALSE;
}

static gboolean
run_out_due (const LumaAlertSettings *settings,
             const LumaForecast      *forecast)
{
  gint days;

  if (settings->run_out_days == 0 || forecast == NULL || forecast->state != LUMA_FORECAST_RUNS_OUT)
    return FALSE;
  days = luma_forecast_get_days_to_run_out (forecast);
  return days >= 0 && (guint) days <= settings->run_out_days;
}

static gboolean
contract_end_due (const LumaAlertSettings *settings,
                  const LumaSubscription  *s,
                  gint64                   now)
{
  return settings->contract_end_days > 0 && now >= s->start_date && now <= s->end_date &&
         s->end_date - now <= (gint64) settings->contract_end_days * DAY_SECONDS;
}

gboolean
luma_alerts_evaluate (const LumaAlertSettings *settings,
                      GArray                  *told,
                      const LumaSubscription  *s,
                      const LumaForecast      *forecast,
                      gint64                   now,
                      LumaAlertDecision       *d)
{
  guint highest = 0;

  g_return_val_if_fail (settings != NULL, FALSE);
  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (d != NULL, FALSE);

  memset (d, 0, sizeof *d);

  /* Percentages told before and no longer reached: re-armed. */
  for (guint i = 0; told != NULL && i < told->len; i++)
    {
      gint p = g_array_index (told, gint, i);

      if (p <= 0)
        continue;
      if (luma_threshold_percent_reached ((guint) p, s->consumed, s->total_purchase))
        d->rearm_above = MAX (d->rearm_above, (guint) p);
      else
        {
          d->rearm = TRUE;
          if (d->n_rearmed < G_N_ELEMENTS (d->rearmed))
            d->rearmed[d->n_rearmed++] = (guint) p;
        }
    }

  /* The highest chosen percentage reached is told when new; lower ones
   * reached at the same time are passed over (recorded, not told). */
  for (guint i = 0; i < settings->n_percents; i++)
    {
      guint p = settings->percents[i];

      if (!luma_threshold_percent_reached (p, s->consumed, s->total_purchase))
        continue;
      highest = p;
      if (told_has (told, (gint) p))
        continue;
      d->record[d->n_record++] = (gint) p;
      d->notify_percent = p;
    }
  /* Recording a lower one alone is not news; only the highest reached counts. */
  if (d->notify_percent != highest)
    d->notify_percent = 0;

  if (run_out_due (settings, forecast) && !told_has (told, LUMA_ALERT_CODE_RUN_OUT))
    {
      d->notify_run_out = TRUE;
      d->record[d->n_record++] = LUMA_ALERT_CODE_RUN_OUT;
    }
  if (contract_end_due (settings, s, now) && !told_has (told, LUMA_ALERT_CODE_CONTRACT_END))
    {
      d->notify_contract_end = TRUE;
      d->record[d->n_record++] = LUMA_ALERT_CODE_CONTRACT_END;
    }

  return d->notify_percent != 0 || d->notify_run_out || d->notify_contract_end;
}

char *
luma_alert_notification_id (const char *tenant,
                            gint        code)
{
  g_return_val_if_fail (tenant != NULL, NULL);

  if (code == LUMA_ALERT_CODE_RUN_OUT)
    return g_strdup_printf ("alert-%s-run-out", tenant);
  if (code == LUMA_ALERT_CODE_CONTRACT_END)
    return g_strdup_printf ("alert-%s-contract-end", tenant);
  return g_strdup_printf ("threshold-%s-%d", tenant, code);
}

/* ---- Texts ---------------------------------------------------------------------------------- */

static char *
run_out_sentence (const LumaForecast *forecast)
{
  gint days = luma_forecast_get_days_to_run_out (forecast);
  g_autofree char *day = luma_format_local_day (luma_forecast_get_run_out (forecast));

  if (days == 0)
    /* Translators: %s is a date in the locale's format, such as "03/14/2027" */
    return g_strdup_printf (_("At the current rate the licenses run out today, %s."), day);
  /* Translators: %d is a number of days, %s a date in the locale's format, such as
   * "03/14/2027" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "At the current rate the licenses run out in %d day, on %s.",
                                       "At the current rate the licenses run out in %d days, on %s.",
                                       (gulong) days),
                          days, day);
}

static gint64
days_until (gint64 when,
            gint64 now)
{
  /* Whole days, rounded up: 29 days and an hour is "in 30 days". */
  return MAX (0, (when - now + DAY_SECONDS - 1) / DAY_SECONDS);
}

static char *
contract_end_sentence (const LumaSubscription *s,
                       gint64                  now)
{
  gint64 days = days_until (s->end_date, now);
  g_autofree char *day = luma_format_day (s->end_date);

  /* Translators: %d is a number of days, %s a date in the locale's format, such as
   * "12/31/2026" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The contract ends in %d day, on %s.",
                                       "The contract ends in %d days, on %s.",
                                       luma_plural_n (days)),
                          (int) days, day);
}

char *
luma_alerts_describe_active (const LumaAlertSettings *settings,
                             const LumaSubscription  *s,
                             const LumaForecast      *forecast,
                             gint64                   now)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  guint highest = 0;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (s != NULL, NULL);

  for (guint i = 0; i < settings->n_percents; i++)
    if (luma_alerts_percent_reached (settings->percents[i], s->consumed, s->total_purchase))
      highest = settings->percents[i];
  if (highest > 0)
    {
      gint64 percent = s->total_purchase > 0 ? s->consumed * 100 / s->total_purchase : 100;

      percent = CLAMP (percent, (gint64) highest, G_MAXINT);
      /* Translators: a percentage such as 85 */
      g_ptr_array_add (parts, g_strdup_printf (_("%d %% of licenses used."), (int) percent));
    }
  if (run_out_due (settings, forecast))
    g_ptr_array_add (parts, run_out_sentence (forecast));
  if (contract_end_due (settings, s, now))
    g_ptr_array_add (parts, contract_end_sentence (s, now));

  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" ", (char **) parts->pdata);
}

void
luma_alerts_look_ahead_text (gint                    code,
                             const LumaSubscription *s,
                             const LumaForecast     *forecast,
                             const char             *tenant_name,
                             gint64                  now,
                             char                  **title_out,
                             char                  **body_out)
{
  g_autofree char *title = NULL;
  g_autofree char *first = NULL;
  g_autofree char *usage = NULL;

  g_return_if_fail (s != NULL);
  g_return_if_fail (title_out != NULL && body_out != NULL);
  g_return_if_fail (code != LUMA_ALERT_CODE_RUN_OUT || forecast != NULL);

  if (code == LUMA_ALERT_CODE_RUN_OUT)
    {
      gint days = luma_forecast_get_days_to_run_out (forecast);

      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Licenses run out in %d day",
                                            "Licenses run out in %d days", (gulong) MAX (days, 0)),
                               MAX (days, 0));
      first = run_out_sentence (forecast);
    }
  else
    {
      gint64 days = days_until (s->end_date, now);

      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The contract ends in %d day",
                                            "The contract ends in %d days", luma_plural_n (days)),
                               (int) days);
      first = contract_end_sentence (s, now);
    }

  usage = luma_threshold_format_usage (s->license_type, s->consumed, s->total_purchase);
  if (tenant_name != NULL && *tenant_name != '\0')
    /* Translators: the tenant's name, then the title of an alert */
    *title_out = g_strdup_printf (_("%s: %s"), tenant_name, title);
  else
    *title_out = g_steal_pointer (&title);
  *body_out = g_strconcat (first, " ", usage, NULL);
}

char *
luma_alerts_request_uri (const LumaSubscription *s,
                         const LumaForecast     *forecast,
                         gint64                  now)
{
  g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) uri = g_string_new ("mailto:");
  g_autofree char *subject = NULL;
  g_autofree char *body = NULL;
  g_autofree char *usage = NULL;
  g_autofree char *end = NULL;
  g_autofree char *outlook = NULL;
  g_autofree char *escaped = NULL;
  const char *name;
  GStrv lists[2];

  g_return_val_if_fail (s != NULL, NULL);

  lists[0] = s->technical_emails;
  lists[1] = s->billing_emails;
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; lists[l] != NULL && lists[l][i] != NULL; i++)
      {
        gboolean seen = FALSE;

        for (guint j = 0; j < to->len; j++)
          seen |= g_ascii_strcasecmp (to->pdata[j], lists[l][i]) == 0;
        if (!seen && *lists[l][i] != '\0')
          g_ptr_array_add (to, g_strdup (lists[l][i]));
      }
  for (guint j = 0; j < to->len; j++)
    {
      /* An address keeps its "@"; "?", "&", "," and the like are escaped. */
      g_autofree char *address = g_uri_escape_string (to->pdata[j], "@!$'()*+;=", FALSE);

      if (j > 0)
        g_string_append_c (uri, ',');
      g_string_append (uri, address);
    }

  name = s->tenant_name != NULL && *s->tenant_name != '\0' ? s->tenant_name : s->external_id;
  /* Translators: the subject of the message asking for more licenses; %s is the tenant */
  subject = g_strdup_printf (_("More Luma licenses for %s"), name);
  usage = luma_threshold_format_usage (s->license_type, s->consumed, s->total_purchase);
  end = luma_format_day (s->end_date);
  outlook = forecast != NULL ? luma_format_forecast_recent (forecast) : luma_format_forecast (s, now);
  /* Translators: the body of the message asking for more licenses: the usage ("850 of
   * 1,000 sessions used, 150 left."), the end date of the contract, the forecast sentence */
  body = g_strdup_printf (_("Hello,\n\nOur Luma subscription needs more licenses.\n\n"
                            "%s\nThe contract ends on %s.\n%s\n\n"
                            "Could you add licenses to it?\n\nThank you.\n"),
                          usage, end, outlook);
  /* A mail body's line ends are CRLF (RFC 6068). */
  {
    g_auto(GStrv) lines = g_strsplit (body, "\n", -1);

    g_free (body);
    body = g_strjoinv ("\r\n", lines);
  }

  escaped = g_uri_escape_string (subject, NULL, FALSE);
  g_string_append_printf (uri, "?subject=%s", escaped);
  g_free (escaped);
  escaped = g_uri_escape_string (body, NULL, FALSE);
  g_string_append_printf (uri, "&body=%s", escaped);
  return g_string_free (g_steal_pointer (&uri), FALSE);
}
