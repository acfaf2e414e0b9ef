/* test-alerts.c: the alerts a tenant chooses: settings, rules, texts, the request message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include "luma-alerts.h"

#define DAY (24 * 3600)
#define TERM_START 1767225600                   /* 2026-01-01T00:00:00Z */
#define TERM_END   (TERM_START + 365 * DAY - 1)

static LumaSubscription *
subscription_new (gint64 consumed,
                  gint64 total)
{
  LumaSubscription *s = g_new0 (LumaSubscription, 1);
  const char *technical[] = { "it@acme.example", "Boss@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", "boss@ACME.example", NULL };

  s->external_id = g_strdup ("acme");
  s->tenant_name = g_strdup ("Acme & Co");
  s->license_type = LUMA_LICENSE_TYPE_SESSION;
  s->start_date = TERM_START;
  s->end_date = TERM_END;
  s->total_purchase = total;
  s->consumed = consumed;
  s->technical_emails = g_strdupv ((char **) technical);
  s->billing_emails = g_strdupv ((char **) billing);
  return s;
}

static GArray *
codes (int first, ...)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (gint));
  va_list ap;

  va_start (ap, first);
  for (int c = first; c != 0; c = va_arg (ap, int))
    g_array_append_val (array, c);
  va_end (ap);
  return array;
}

static void
test_settings (void)
{
  LumaAlertSettings s;
  LumaAlertSettings back;
  g_autofree char *text = NULL;
  g_autofree char *stored = NULL;

  luma_alert_settings_init_default (&s);
  text = luma_alert_settings_format_percents (&s);
  g_assert_cmpstr (text, ==, "75, 85, 95, 100");
  g_assert_cmpuint (s.run_out_days, ==, 30);
  g_assert_cmpuint (s.contract_end_days, ==, 60);

  g_assert_true (luma_alert_settings_parse_percents (&s, " 90 %, 50;50 70%"));
  g_assert_cmpuint (s.n_percents, ==, 3);
  g_assert_cmpuint (s.percents[0], ==, 50);
  g_assert_cmpuint (s.percents[1], ==, 70);
  g_assert_cmpuint (s.percents[2], ==, 90);
  /* Refused, untouched. */
  g_assert_false (luma_alert_settings_parse_percents (&s, "0"));
  g_assert_false (luma_alert_settings_parse_percents (&s, "101"));
  g_assert_false (luma_alert_settings_parse_percents (&s, "abc"));
  g_assert_false (luma_alert_settings_parse_percents (&s, "1,2,3,4,5,6,7,8,9"));
  g_assert_cmpuint (s.n_percents, ==, 3);
  g_assert_true (luma_alert_settings_parse_percents (&s, ""));
  g_assert_cmpuint (s.n_percents, ==, 0);

  g_assert_true (luma_alert_settings_parse_percents (&s, "80,100"));
  s.run_out_days = 14;
  s.contract_end_days = 0;
  stored = luma_alert_settings_to_string (&s);
  g_assert_cmpstr (stored, ==, "percents=80,100;run-out-days=14;contract-end-days=0");
  luma_alert_settings_init_default (&back);
  g_assert_true (luma_alert_settings_from_string (&back, stored));
  g_assert_cmpmem (&back, sizeof back, &s, sizeof s);
  g_assert_false (luma_alert_settings_from_string (&back, "nonsense"));
  g_assert_false (luma_alert_settings_from_string (&back, "run-out-days=-1"));
  /* Unknown keys of a later version are ignored. */
  g_assert_true (luma_alert_settings_from_string (&back, "percents=60;colour=red"));
  g_assert_cmpuint (back.n_percents, ==, 1);
}

static void
test_percent_rules (void)
{
  g_autoptr(LumaSubscription) s = subscription_new (900, 1000);
  g_autoptr(GArray) none = codes (0);
  g_autoptr(GArray) told_85 = codes (75, 85, 0);
  g_autoptr(GArray) told_high = codes (75, 85, 95, 0);
  LumaAlertSettings settings;
  LumaAlertDecision d;

  luma_alert_settings_init_default (&settings);
  settings.run_out_days = 0;
  settings.contract_end_days = 0;

  /* First look at 90 %: 85 % told, 75 % passed over. */
  g_assert_true (luma_alerts_evaluate (&settings, none, s, NULL, TERM_START + DAY, &d));
  g_assert_cmpuint (d.notify_percent, ==, 85);
  g_assert_cmpuint (d.n_record, ==, 2);
  g_assert_cmpint (d.record[0], ==, 75);
  g_assert_cmpint (d.record[1], ==, 85);
  g_assert_false (d.rearm);

  /* Told already: nothing. */
  g_assert_false (luma_alerts_evaluate (&settings, told_85, s, NULL, TERM_START + DAY, &d));
  g_assert_cmpuint (d.n_record, ==, 0);

  /* Chosen 80 and 90 while at 90 %, with nothing recorded for them: 90 is new. What saving
   * the settings records (luma_alert_settings_save()) is what keeps it from being told. */
  g_assert_true (luma_alert_settings_parse_percents (&settings, "80, 90"));
  g_assert_true (luma_alerts_evaluate (&settings, told_85, s, NULL, TERM_START + DAY, &d));
  g_assert_cmpuint (d.notify_percent, ==, 90);

  /* A refill to 45 %: every told percentage re-armed. */
  luma_alert_settings_init_default (&settings);
  settings.run_out_days = 0;
  settings.contract_end_days = 0;
  s->total_purchase = 2000;
  g_assert_false (luma_alerts_evaluate (&settings, told_high, s, NULL, TERM_START + DAY, &d));
  g_assert_true (d.rearm);
  g_assert_cmpuint (d.rearm_above, ==, 0);
  g_assert_cmpuint (d.n_rearmed, ==, 3);

  /* A refill to 80 %: 85 and 95 re-armed, 75 kept. */
  s->total_purchase = 1125;
  g_assert_false (luma_alerts_evaluate (&settings, told_high, s, NULL, TERM_START + DAY, &d));
  g_assert_true (d.rearm);
  g_assert_cmpuint (d.rearm_above, ==, 75);
  g_assert_cmpuint (d.n_rearmed, ==, 2);

  /* Nothing bought, something used: every percentage reached. */
  s->total_purchase = 0;
  g_assert_true (luma_alerts_evaluate (&settings, none, s, NULL, TERM_START + DAY, &d));
  g_assert_cmpuint (d.notify_percent, ==, 100);
  g_assert_true (luma_alerts_percent_reached (100, 1, 0));
  g_assert_false (luma_alerts_percent_reached (1, 0, 0));
}

static void
test_look_ahead_rules (void)
{
  g_autoptr(LumaSubscription) s = subscription_new (500, 1000);
  g_autoptr(GArray) bounds = luma_forecast_day_bounds (TERM_START, TERM_END);
  g_autofree gint64 *counts = g_new0 (gint64, bounds->len - 1);
  g_autoptr(LumaForecast) soon = NULL;
  g_autoptr(LumaForecast) later = NULL;
  g_autoptr(GArray) none = codes (0);
  g_autoptr(GArray) told_run_out = codes (LUMA_ALERT_CODE_RUN_OUT, 0);
  g_autofree char *active = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  LumaAlertSettings settings;
  LumaAlertDecision d;
  /* 1 June 2026 (UTC, the zone of the unit tests): day 152. */
  gint64 now = TERM_START + 151 * DAY + 12 * 3600;

  luma_alert_settings_init_default (&settings);
  settings.n_percents = 0;

  /* 20 a day over the last 30 days, 500 left: 25 days. */
  for (guint i = 121; i < 151; i++)
    counts[i] = 20;
  soon = luma_forecast_new ((gint64 *) (gpointer) bounds->data, counts, bounds->len - 1, now, 500, 1000);
  g_assert_cmpint (luma_forecast_get_days_to_run_out (soon), ==, 25);
  g_assert_true (luma_alerts_evaluate (&settings, none, s, soon, now, &d));
  g_assert_true (d.notify_run_out);
  g_assert_false (d.notify_contract_end);
  g_assert_cmpuint (d.n_record, ==, 1);
  g_assert_cmpint (d.record[0], ==, LUMA_ALERT_CODE_RUN_OUT);
  /* Once per term. */
  g_assert_false (luma_alerts_evaluate (&settings, told_run_out, s, soon, now, &d));

  /* Too far for 20 days. */
  settings.run_out_days = 20;
  g_assert_false (luma_alerts_evaluate (&settings, none, s, soon, now, &d));
  settings.run_out_days = 30;

  /* 10 a day: 50 days. */
  for (guint i = 121; i < 151; i++)
    counts[i] = 10;
  later = luma_forecast_new ((gint64 *) (gpointer) bounds->data, counts, bounds->len - 1, now, 500, 1000);
  g_assert_false (luma_alerts_evaluate (&settings, none, s, later, now, &d));

  /* The contract ends within 60 days: 61 days ahead does not count, just under 60 does. */
  g_assert_false (luma_alerts_evaluate (&settings, none, s, NULL, TERM_END - 61 * DAY, &d));
  g_assert_true (luma_alerts_evaluate (&settings, none, s, NULL, TERM_END - 60 * DAY + 1, &d));
  g_assert_true (d.notify_contract_end);
  g_assert_cmpint (d.record[0], ==, LUMA_ALERT_CODE_CONTRACT_END);
  /* Not after the end, nor when turned off. */
  g_assert_false (luma_alerts_evaluate (&settings, none, s, NULL, TERM_END + 1, &d));
  settings.contract_end_days = 0;
  g_assert_false (luma_alerts_evaluate (&settings, none, s, NULL, TERM_END - DAY, &d));

  /* The banner's text and the notification's. */
  luma_alert_settings_init_default (&settings);
  active = luma_alerts_describe_active (&settings, s, soon, now);
  g_assert_cmpstr (active, ==, "At the current rate the licenses run out in 25 days, on 06/26/26.");
  s->consumed = 800;
  g_clear_pointer (&active, g_free);
  active = luma_alerts_describe_active (&settings, s, NULL, TERM_END - 10 * DAY);
  g_assert_cmpstr (active, ==, "80 % of licenses used. The contract ends in 10 days, on 12/31/26.");
  s->consumed = 10;
  g_clear_pointer (&active, g_free);
  g_assert_null (luma_alerts_describe_active (&settings, s, later, now));

  s->consumed = 500;
  luma_alerts_look_ahead_text (LUMA_ALERT_CODE_RUN_OUT, s, soon, "Acme", now, &title, &body);
  g_assert_cmpstr (title, ==, "Acme: Licenses run out in 25 days");
  g_assert_cmpstr (body, ==, "At the current rate the licenses run out in 25 days, on 06/26/26. "
                             "500 of 1000 sessions used, 500 left.");
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&body, g_free);
  luma_alerts_look_ahead_text (LUMA_ALERT_CODE_CONTRACT_END, s, NULL, NULL, TERM_END - 29 * DAY,
                               &title, &body);
  g_assert_cmpstr (title, ==, "The contract ends in 29 days");

  g_clear_pointer (&title, g_free);
  title = luma_alert_notification_id ("acme", LUMA_ALERT_CODE_RUN_OUT);
  g_assert_cmpstr (title, ==, "alert-acme-run-out");
  g_clear_pointer (&title, g_free);
  title = luma_alert_notification_id ("acme", 85);
  g_assert_cmpstr (title, ==, "threshold-acme-85");
}

static void
test_request_uri (void)
{
  g_autoptr(LumaSubscription) s = subscription_new (900, 1000);
  g_autofree char *uri = luma_alerts_request_uri (s, NULL, TERM_START + 100 * DAY);
  g_autofree char *body = NULL;
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;

  /* Each address once (case aside), in order. */
  g_assert_true (g_str_has_prefix (uri, "mailto:it@acme.example,Boss@acme.example,"
                                        "finance@acme.example?subject="));
  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, &error);
  g_assert_no_error (error);
  params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (params, "subject"), ==, "More Luma licenses for Acme & Co");
  body = g_strdup (g_hash_table_lookup (params, "body"));
  g_assert_nonnull (strstr (body, "900 of 1000 sessions used, 100 left.\r\n"));
  g_assert_nonnull (strstr (body, "The contract ends on 12/31/26."));
  g_assert_nonnull (strstr (body, "At the current rate"));
  /* Nothing of it leaks unescaped into the URI. */
  g_assert_null (strchr (uri, ' '));
  g_assert_null (strchr (uri, '\n'));
  g_assert_null (strstr (uri, "& "));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/alerts/settings", test_settings);
  g_test_add_func ("/alerts/percent-rules", test_percent_rules);
  g_test_add_func ("/alerts/look-ahead-rules", test_look_ahead_rules);
  g_test_add_func ("/alerts/request-uri", test_request_uri);

  return g_test_run ();
}
