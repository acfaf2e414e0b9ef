/* luma-report.h: the status of tenants for scripts and monitoring (--status --json)
 *
 * A tenant's status follows the alert thresholds: WARNING from 85 % of the
 * total purchase, CRITICAL from 95 % and when over it (a total of 0 with
 * consumption), OK below. The exit codes are the monitoring-plugin
 * convention (Nagios, Icinga, a systemd timer): 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (nothing cached, the cache unreadable).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "luma-cache.h"
#include "luma-models.h"

G_BEGIN_DECLS

typedef enum
{
  LUMA_REPORT_STATUS_OK       = 0,
  LUMA_REPORT_STATUS_WARNING  = 1,
  LUMA_REPORT_STATUS_CRITICAL = 2,
  LUMA_REPORT_STATUS_UNKNOWN  = 3,
} LumaReportStatus;

/* The percents the status changes at (the 85 % and 95 % alerts). */
#define LUMA_REPORT_WARNING_PERCENT  85
#define LUMA_REPORT_CRITICAL_PERCENT 95

/* The days of recent consumption the run-out date is computed from. */
#define LUMA_REPORT_RECENT_DAYS 30

/* By the rule above: luma_thresholds_reached()'s, in integer arithmetic (consumed * 100 >=
 * percent * total) on numbers clamped to what a count can be. */
LumaReportStatus  luma_report_status_for        (gint64            consumed,
                                                 gint64            total_purchase);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char       *luma_report_status_to_string  (LumaReportStatus  status);
/* The worse of two (UNKNOWN counts as worse than CRITICAL only when nothing
 * else is known: the exit code of several tenants is the worst known one). */
LumaReportStatus  luma_report_status_worst      (LumaReportStatus  a,
                                                 LumaReportStatus  b);

/**
 * LumaRunOutInput:
 * @start_date: @end_date: the contract term (unix seconds UTC)
 * @total_purchase: @consumed: now
 * @now: the time of the data (the last sync)
 * @recent_consumed: records in the last @recent_seconds from the cached
 *   history, or -1 when no history is cached (then the term average is used)
 * @recent_seconds: the length of that window
 *
 * What a run-out estimate is computed from. The estimate is one function,
 * luma_report_estimate_run_out(), so a forecast module can replace it.
 */
typedef struct
{
  gint64 start_date;
  gint64 end_date;
  gint64 total_purchase;
  gint64 consumed;
  gint64 now;
  gint64 recent_consumed;
  gint64 recent_seconds;
} LumaRunOutInput;

/* The day (unix seconds UTC) the licenses run out at the recent rate (the
 * last LUMA_REPORT_RECENT_DAYS days of cached history, else the average since
 * the start of the term); @now when they are already used up; 0 when they
 * last past the end of the term, nothing is being used, or the term is over
 * or not started. */
gint64            luma_report_estimate_run_out  (const LumaRunOutInput *input);

/* The input above for @cache's tenant (the history it holds). */
void              luma_report_run_out_input     (LumaCache             *cache,
                                                 LumaLicenseType        license_type,
                                                 gint64                 now,
                                                 LumaRunOutInput       *input);

/* One tenant of the report: externalId, tenantName, licenseType, startDate,
 * endDate, totalPurchase, consumed, available, percent (rounded down; null
 * with a total of 0), status, runOutDate (YYYY-MM-DD or null), lastSyncedAt
 * (ISO 8601 UTC or null). @cache: (nullable) the tenant's cache, for the
 * recent rate; @last_synced: 0 when never. Sets @status_out. */
JsonNode         *luma_report_tenant_to_json    (const LumaTenantSummary *tenant,
                                                 LumaCache               *cache,
                                                 gint64                   last_synced,
                                                 LumaReportStatus        *status_out);

/* The same numbers of a subscription as a tenant summary (for the report of
 * a Tenant Administrator). Free with luma_tenant_summary_free(). */
LumaTenantSummary *luma_report_summary_from_subscription (const LumaSubscription *subscription);

G_END_DECLS
