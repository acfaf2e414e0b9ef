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

#include "luma-models.h"

G_BEGIN_DECLS

/* ---- Numbers ---------------------------------------------------------------------------------- */

/* A count with the locale's digit grouping: "1,000" in English, "1.000" in
 * German, "1000" in the C locale. */
char   *luma_format_count        (gint64                  n);
/* The same with its sign always written: "+5,000", "-200", "+0". */
char   *luma_format_change       (gint64                  n);
/* The n to give ngettext for a count of any size or sign. */
gulong  luma_plural_n            (gint64                  n);
/* A percentage rounded to a whole number: "85 %". */
char   *luma_format_percent      (double                  percent);
/* "30 minutes". */
char   *luma_format_minutes      (gint64                  minutes);

/* ---- Days of the contract (UTC) --------------------------------------------------------------- */

/* A day in the locale's short format ("03/14/2026"); "" when out of range. */
char   *luma_format_day          (gint64                  unix_seconds);
/* The abbreviated month of a day ("Mar"); "" when out of range. */
char   *luma_format_month        (gint64                  unix_seconds);
/* YYYY-MM-DD, for the command line and file names; NULL when out of range. */
char   *luma_format_iso8601_day  (gint64                  unix_seconds);

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
/* "At the current rate the licenses run out on ..." / "... last past the end
 * date (...)", from the consumption since the start of the term; or why there
 * is no forecast (term over, not started, nothing used, all used). */
char   *luma_format_forecast     (const LumaSubscription *subscription,
                                  gint64                  now);

G_END_DECLS
