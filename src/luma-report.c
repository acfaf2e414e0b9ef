/* luma-report.c: the status of tenants for scripts and monitoring (--status --json)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-format.h"
#include "luma-report.h"
#include "luma-thresholds.h"

/* The thresholds' rule, with its clamp: hostile numbers cannot overflow. */
G_STATIC_ASSERT (LUMA_REPORT_WARNING_PERCENT == 85 && LUMA_REPORT_CRITICAL_PERCENT == 95);

LumaReportStatus
luma_report_status_for (gint64 consumed,
                        gint64 total_purchase)
{
  guint reached = luma_thresholds_reached (consumed, total_purchase);

  if (reached & LUMA_THRESHOLD_95)
    return LUMA_REPORT_STATUS_CRITICAL;
  if (reached & LUMA_THRESHOLD_85)
    return LUMA_REPORT_STATUS_WARNING;
  return LUMA_REPORT_STATUS_OK;
}

const char *
luma_report_status_to_string (LumaReportStatus status)
{
  switch (status)
    {
    case LUMA_REPORT_STATUS_OK:
      return "OK";
    case LUMA_REPORT_STATUS_WARNING:
      return "WARNING";
    case LUMA_REPORT_STATUS_CRITICAL:
      return "CRITICAL";
    case LUMA_REPORT_STATUS_UNKNOWN:
    default:
      return "UNKNOWN";
    }
}

LumaReportStatus
luma_report_status_worst (LumaReportStatus a,
                          LumaReportStatus b)
{
  if (a == LUMA_REPORT_STATUS_UNKNOWN)
    return b;
  if (b == LUMA_REPORT_STATUS_UNKNOWN)
    return a;
  return MAX (a, b);
}

gint64
luma_report_estimate_run_out (const LumaRunOutInput *in)
{
  double rate, run_out;

  g_return_val_if_fail (in != NULL, 0);

  if (in->total_purchase > 0 && in->consumed >= in->total_purchase)
    return in->now;
  if (in->now > in->end_date || in->now < in->start_date)
    return 0;

  if (in->recent_consumed >= 0 && in->recent_seconds > 0)
    rate = (double) in->recent_consumed / (double) in->recent_seconds;
  else
    rate = (double) in->consumed / (double) MAX (in->now - in->start_date, 1);
  if (rate <= 0)
    return 0;

  run_out = (double) in->now + (double) (in->total_purchase - in->consumed) / rate;
  if (run_out > (double) in->end_date)
    return 0;
  return (gint64) run_out;
}

void
luma_report_run_out_input (LumaCache       *cache,
                           LumaLicenseType  license_type,
                           gint64           now,
                           LumaRunOutInput *input)
{
  g_auto(LumaHistoryQuery) query = { 0 };
  gint64 n;

  input->recent_consumed = -1;
  input->recent_seconds = 0;
  input->now = now;
  if (cache == NULL || luma_cache_get_last_synced (cache) <= 0)
    return;

  input->recent_seconds = (gint64) LUMA_REPORT_RECENT_DAYS * 24 * 60 * 60;
  luma_history_query_init (&query, license_type);
  query.from = MAX (now - input->recent_seconds, 1);
  query.to = now;
  n = luma_cache_count_matching (cache, &query, NULL, NULL);
  if (n < 0)
    {
      input->recent_seconds = 0;
      return;
    }
  input->recent_consumed = n;
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       unix_seconds)
{
  g_autofree char *text = NULL;

  json_builder_set_member_name (builder, name);
  if (unix_seconds > 0 && (text = luma_format_iso8601_utc (unix_seconds)) != NULL)
    json_builder_add_string_value (builder, text);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
luma_report_tenant_to_json (const LumaTenantSummary *t,
                            LumaCache               *cache,
                            gint64                   last_synced,
                            LumaReportStatus        *status_out)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  LumaRunOutInput input = { 0 };
  LumaReportStatus status;
  gint64 run_out;

  g_return_val_if_fail (t != NULL, NULL);

  status = luma_report_status_for (t->consumed, t->total_purchase);
  input.start_date = t->start_date;
  input.end_date = t->end_date;
  input.total_purchase = t->total_purchase;
  input.consumed = t->consumed;
  luma_report_run_out_input (cache, t->license_type,
                             last_synced > 0 ? last_synced : g_get_real_time () / G_USEC_PER_SEC,
                             &input);
  run_out = luma_report_estimate_run_out (&input);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "externalId");
  json_builder_add_string_value (builder, t->external_id);
  json_builder_set_member_name (builder, "tenantName");
  json_builder_add_string_value (builder, t->tenant_name);
  json_builder_set_member_name (builder, "licenseType");
  json_builder_add_string_value (builder, luma_license_type_to_string (t->license_type));
  add_time (builder, "startDate", t->start_date);
  add_time (builder, "endDate", t->end_date);
  json_builder_set_member_name (builder, "totalPurchase");
  json_builder_add_int_value (builder, t->total_purchase);
  json_builder_set_member_name (builder, "consumed");
  json_builder_add_int_value (builder, t->consumed);
  json_builder_set_member_name (builder, "available");
  json_builder_add_int_value (builder, t->available);
  json_builder_set_member_name (builder, "percent");
  if (t->total_purchase > 0)
    json_builder_add_int_value (builder, t->consumed * 100 / t->total_purchase);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, luma_report_status_to_string (status));
  json_builder_set_member_name (builder, "runOutDate");
  if (run_out > 0)
    {
      g_autofree char *day = luma_format_iso8601_day (run_out);

      json_builder_add_string_value (builder, day);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
  add_time (builder, "lastSyncedAt", last_synced);
  json_builder_end_object (builder);

  if (status_out != NULL)
    *status_out = status;
  return json_builder_get_root (builder);
}

LumaTenantSummary *
luma_report_summary_from_subscription (const LumaSubscription *s)
{
  LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);

  t->external_id = g_strdup (s->external_id);
  t->tenant_name = g_strdup (s->tenant_name);
  t->license_type = s->license_type;
  t->start_date = s->start_date;
  t->end_date = s->end_date;
  t->total_purchase = s->total_purchase;
  t->consumed = s->consumed;
  t->available = s->available;
  t->overage = s->overage;
  return t;
}
