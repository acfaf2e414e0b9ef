/* luma-alerts.h: the alerts each tenant chooses, and what they say
 *
 * Per tenant (stored in the cache of the account that follows it, meta key
 * "alerts:TENANT"): the consumption percentages to alert at (defaults 75,
 * 85, 95, 100) and two look-ahead alerts, "the licenses run out within N
 * days at the recent rate" (default 30) and "the contract ends within N
 * days" (default 60); 0 days turns one off.
 *
 * Each alert is told once per tenant and term: what was told is recorded in
 * the cache's notified_thresholds table, a percentage as itself, the
 * look-ahead alerts under the codes LUMA_ALERT_CODE_RUN_OUT and
 * LUMA_ALERT_CODE_CONTRACT_END (negative, so re-arming percentages with
 * luma_cache_clear_thresholds_above() never touches them). Saving new
 * settings records what they would announce right away as already dealt
 * with: choosing 80 % at 90 % does not announce 80 %.
 *
 * The evaluation is pure (luma_alerts_evaluate()); luma-notifier does the
 * I/O and the sending.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-cache.h"
#include "luma-forecast.h"
#include "luma-models.h"

G_BEGIN_DECLS

#define LUMA_ALERTS_MAX_PERCENTS 8

#define LUMA_ALERT_CODE_RUN_OUT      (-1)
#define LUMA_ALERT_CODE_CONTRACT_END (-2)

#define LUMA_ALERTS_DEFAULT_RUN_OUT_DAYS      30
#define LUMA_ALERTS_DEFAULT_CONTRACT_END_DAYS 60

/**
 * LumaAlertSettings:
 * @n_percents: how many of @percents are used (0 turns percentages off)
 * @percents: ascending, distinct, 1 to 100
 * @run_out_days: alert when the licenses run out within this many days at
 *   the recent rate; 0: off
 * @contract_end_days: alert when the contract ends within this many days;
 *   0: off
 */
typedef struct
{
  guint n_percents;
  guint percents[LUMA_ALERTS_MAX_PERCENTS];
  guint run_out_days;
  guint contract_end_days;
} LumaAlertSettings;

void      luma_alert_settings_init_default   (LumaAlertSettings       *self);

/* "75, 85, 95, 100" (also with spaces, semicolons or "%" signs, in any
 * order; duplicates merged). FALSE, @self untouched, for anything else:
 * a value outside 1 to 100, more than LUMA_ALERTS_MAX_PERCENTS values. An
 * empty text is valid: no percentage alerts. */
gboolean  luma_alert_settings_parse_percents (LumaAlertSettings       *self,
                                              const char              *text);
/* "75, 85, 95, 100"; "" when none. */
char     *luma_alert_settings_format_percents (const LumaAlertSettings *self);

/* The stored form: "percents=75,85,95,100;run-out-days=30;contract-end-days=60".
 * from_string() fills what it understands over the defaults; FALSE when
 * the text is not of that form. */
char     *luma_alert_settings_to_string      (const LumaAlertSettings *self);
gboolean  luma_alert_settings_from_string    (LumaAlertSettings       *self,
                                              const char              *text);

/* The tenant's settings from @cache (the defaults when none are stored). */
gboolean  luma_alert_settings_load           (LumaAlertSettings       *self,
                                              LumaCache               *cache,
                                              const char              *tenant,
                                              GError                 **error);
/* Stores them and, when @subscription (nullable) is given, records every
 * alert they find due now as already dealt with in its term (nothing is
 * replayed). Reads the recent consumption from @cache for the run-out
 * alert. */
gboolean  luma_alert_settings_save           (const LumaAlertSettings *self,
                                              LumaCache               *cache,
                                              const char              *tenant,
                                              const LumaSubscription  *subscription,
                                              GError                 **error);

/* The forecast the alerts use, from @cache: only the days of the recent
 * window are counted (the other days count 0), enough for the rate and the
 * run-out day. NULL with @error on a cache error; NULL without one when the
 * term has no day. */
LumaForecast *luma_alerts_forecast_from_cache (LumaCache              *cache,
                                               const LumaSubscription *subscription,
                                               gint64                  now,
                                               GError                **error);

/**
 * LumaAlertDecision:
 * @notify_percent: the percentage to announce now (the highest chosen one
 *   reached and not told yet), or 0
 * @notify_run_out: announce "the licenses run out within N days"
 * @notify_contract_end: announce "the contract ends within N days"
 * @record: codes to record as told (percentages reached, passed-over ones
 *   included, and the look-ahead codes announced)
 * @n_record: how many
 * @rearm: percentages told before are no longer reached (a refill): clear
 *   those above @rearm_above
 * @rearm_above: the highest percentage told before that is still reached, or 0
 * @rearmed: the percentages re-armed (their notifications are out of date)
 * @n_rearmed: how many
 */
typedef struct
{
  guint    notify_percent;
  gboolean notify_run_out;
  gboolean notify_contract_end;
  gint     record[LUMA_ALERTS_MAX_PERCENTS + 2];
  guint    n_record;
  gboolean rearm;
  guint    rearm_above;
  guint    rearmed[LUMA_ALERTS_MAX_PERCENTS + 4];
  guint    n_rearmed;
} LumaAlertDecision;

/* @told: the codes already recorded for this tenant and term (a GArray of
 * gint, as luma_cache_get_notified_thresholds() returns them; NULL: none);
 * @forecast: nullable (no run-out alert without one). A percentage p is
 * reached when consumed * 100 >= total * p; anything consumed of nothing
 * purchased reaches every one. The run-out alert is due when the forecast
 * runs out within @run_out_days days from today; the contract-end alert
 * when the term is in progress and ends within @contract_end_days * 24 h.
 * Returns TRUE when anything is to be announced. */
gboolean  luma_alerts_evaluate               (const LumaAlertSettings *settings,
                                              GArray                  *told,
                                              const LumaSubscription  *subscription,
                                              const LumaForecast      *forecast,
                                              gint64                   now,
                                              LumaAlertDecision       *decision);

/* Whether consumption reaches @percent by the rule above (that of
 * luma_threshold_percent_reached()). */
gboolean  luma_alerts_percent_reached        (guint                    percent,
                                              gint64                   consumed,
                                              gint64                   total_purchase);

/* The GNotification id of an alert of a tenant: "threshold-TENANT-85" for
 * a percentage (as luma_threshold_notification_id()), "alert-TENANT-run-out",
 * "alert-TENANT-contract-end". */
char     *luma_alert_notification_id         (const char              *tenant,
                                              gint                     code);

/* What is due now, for the banner of the window: a sentence per alert that
 * holds ("86 % of licenses used.", "At the current rate the licenses run
 * out in 12 days, on 14 March 2027.", "The contract ends in 29 days, on 31
 * December 2026."), joined; NULL when none holds. Told or not does not
 * matter: the banner shows the state. */
char     *luma_alerts_describe_active        (const LumaAlertSettings *settings,
                                              const LumaSubscription  *subscription,
                                              const LumaForecast      *forecast,
                                              gint64                   now);

/* The title and body of a look-ahead notification (@code
 * LUMA_ALERT_CODE_RUN_OUT or LUMA_ALERT_CODE_CONTRACT_END); @tenant_name
 * (nullable) names the tenant in the title. */
void      luma_alerts_look_ahead_text        (gint                     code,
                                              const LumaSubscription  *subscription,
                                              const LumaForecast      *forecast,
                                              const char              *tenant_name,
                                              gint64                   now,
                                              char                   **title_out,
                                              char                   **body_out);

/* A mailto: URI asking the tenant's contacts (the subscription's technical
 * and billing emails, each once) for more licenses, its subject and body
 * composed from the figures and the forecast (nullable). */
char     *luma_alerts_request_uri            (const LumaSubscription  *subscription,
                                              const LumaForecast      *forecast,
                                              gint64                   now);

G_END_DECLS
