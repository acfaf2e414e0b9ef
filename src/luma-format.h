/* luma-format.h: numbers, dates and sentences as the user reads them
 *
 * Every text the window, the notifications and the command line build from a
 * number or a time goes through here, so each is written once: numbers are
 * grouped by the locale (LC_NUMERIC), dates follow the locale (LC_TIME), and
 * plurals go through ngettext. Contract days (start, end) are days of the
 * contract's own calendar, UTC; moments (a sync, a record, a purchase) are
 * shown in the viewer's time zone.
 *
 * One style for the whole app: a day is the locale's short date (%x:
 * "12/31/2026" in American English, "31.12.2026" in German) and a moment
 * that day followed by the locale's time (%X: "04:35:53 PM", "16:35:53").
 * Files (CSV) and the command line write ISO 8601 instead.
 *
 * The labels of enumerations (license type, channel, role...) are the
 * luma_*_to_display() functions of luma-models.h, beside their API names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-capacity.h"
#include "luma-forecast.h"
#include "luma-models.h"

G_BEGIN_DECLS

/* ---- Numbers ---------------------------------------------------------------------------------- */

/* A count with the locale's digit grouping: "1,000" in English, "1.000" in
 * German, "1000" in the C locale. */
char   *luma_format_count        (gint64                  n);
/* The same with its sign, as people read it: "+1,000", "−500" (U+2212 MINUS SIGN), "0". */
char   *luma_format_signed_count (gint64                  n);
/* The n to give ngettext for a count of any size or sign. */
gulong  luma_plural_n            (gint64                  n);
/* A percentage rounded to a whole number: "85 %". */
char   *luma_format_percent      (double                  percent);
/* "30 minutes". */
char   *luma_format_minutes      (gint64                  minutes);
/* Whole days left, rounded down: "12 days", "0 days"; "—" when @days is
 * negative (unknown), as luma_capacity_days_left() gives it. */
char   *luma_format_days_left    (double                  days);
/* "OK", "Near capacity", "At or over capacity". */
const char *luma_format_capacity (LumaCapacity            capacity);

/* ---- Days of the contract (UTC) --------------------------------------------------------------- */

/* A day in the locale's short format ("03/14/2026"); "" when out of range. */
char   *luma_format_day          (gint64                  unix_seconds);
/* The abbreviated month of a day ("Mar"); "" when out of range. */
char   *luma_format_month        (gint64                  unix_seconds);
/* YYYY-MM-DD, for the command line and file names; NULL when out of range. */
char   *luma_format_iso8601_day  (gint64                  unix_seconds);

/* ---- Days of the viewer's calendar ------------------------------------------------------------ */

/* A day of the local calendar in the locale's short format ("03/14/2026",
 * "14.03.2026"), as luma_parse_day() reads it back; "" when not valid. */
char    *luma_format_calendar_day (const GDate           *day);
/* Reads a day a person typed: ISO 8601 ("2026-03-14") or the locale's short
 * format (%x: "03/14/2026" in English, "14.03.2026" in German; a month name
 * is understood too). FALSE unless @text names a whole, valid day: day,
 * month and year. */
gboolean luma_parse_day           (const char            *text,
                                   GDate                 *out);
/* The first second of @day in the local time zone (unix seconds): days of
 * the viewer's calendar, with a daylight saving change, last 23 or 25 hours. */
gint64   luma_local_day_start     (const GDate           *day);
/* Today in the local time zone. */
void     luma_local_today         (GDate                 *out);

/* ---- Days of the viewer's calendar (the forecast) ------------------------------------------- */

/* The local day holding a moment, in the locale's short format; "" when out of range. */
char   *luma_format_local_day    (gint64                  unix_seconds);
/* The local day holding a moment as YYYY-MM-DD, for the names of files a person saves
 * ("license-consumption-2026-03-14.csv" is the day on their calendar); NULL when out of
 * range. */
char   *luma_format_file_day     (gint64                  unix_seconds);
/* A rate of licenses per day: one decimal under 10 ("2.5"), whole above. */
char   *luma_format_rate         (double                  per_day);

/* ---- Moments (the viewer's time zone) ----------------------------------------------------------- */

/* Date and time in the locale's format ("03/14/2026 09:26:53 AM"); "" when
 * out of range. */
char   *luma_format_date_time    (gint64                  unix_seconds);
/* The time of day in the locale's format; "" when out of range. */
char   *luma_format_time         (gint64                  unix_seconds);
/* The day with its weekday ("Saturday, 03/14/2026"); "" when out of range. */
char   *luma_format_weekday      (gint64                  unix_seconds);
/* The time of a history record: the same as luma_format_date_time(). */
char   *luma_format_record_time  (gint64                  unix_seconds);

/* ---- Sentences ------------------------------------------------------------------------------- */

/* "Synced 5 minutes ago", "Synced just now", "Last synced on DATE TIME",
 * "Never synced" (@synced <= 0); @now and @synced in unix seconds. */
char   *luma_format_last_synced  (gint64                  synced,
                                  gint64                  now);
/* After a refill: "Licenses added: the total purchase is now 55,000
 * licenses", or "Licenses removed: ..." for a negative @change. */
char   *luma_format_refill_done  (gint64                  change,
                                  gint64                  total_after);
/* "At the current rate the licenses run out on ..." / "... last past the end
 * date (...)", from the consumption since the start of the term; or why there
 * is no forecast (term over, not started, nothing used, all used). */
char   *luma_format_forecast     (const LumaSubscription *subscription,
                                  gint64                  now);

/* The same from the recent rate (luma-forecast.h), as the subscription page
 * shows it: "At the current rate (12.5 a day over the last 30 days) the
 * licenses run out on 03/14/2027." / "... last past the end date (...)";
 * or why there is no run-out date. The run-out day is a day of the viewer's
 * calendar; the end date a day of the contract's. */
char   *luma_format_forecast_recent (const LumaForecast  *forecast);

/* ---- Where the licenses go, and the desktop's search -------------------------------------------- */

/* The days of [@from, @to) in the locale's short format: "03/14/26 – 03/20/26",
 * one day alone when it is one; days of the viewer's time zone, or of the
 * contract (UTC) when @contract_days. */
char   *luma_format_period        (gint64                 from,
                                   gint64                 to,
                                   gboolean               contract_days);
/* The total of a period against the previous one of the same length:
 * "1,234 sessions, 12 % more than the previous period (1,100)", "... 5 %
 * fewer ...", "... as many as ...", "... none in the previous period";
 * licenses for user-based tenants. */
char   *luma_format_period_change (LumaLicenseType        license_type,
                                   gint64                 current,
                                   gint64                 previous);
/* "91 % used · runs out on 03/12/2026" (@run_out a moment, 0 for none:
 * "40 % used · lasts the term"; "100 % used · none left" when all are
 * used), for one line under a tenant's name. */
char   *luma_format_usage_summary (gint64                 consumed,
                                   gint64                 total_purchase,
                                   gint64                 run_out);

G_END_DECLS
