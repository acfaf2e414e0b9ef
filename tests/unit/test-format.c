/* test-format.c: numbers, dates and sentences as the user reads them, and
 * the history's columns
 *
 * Each test sets its own time zone and locale: the texts depend on both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <time.h>
#include <glib.h>

#include "luma-format.h"
#include "luma-history-columns.h"

#define T_2026_03_14 G_GINT64_CONSTANT (1773480413)   /* 2026-03-14T09:26:53Z, a Saturday */
#define TERM_START   G_GINT64_CONSTANT (1767225600)   /* 2026-01-01T00:00:00Z */
#define TERM_END     G_GINT64_CONSTANT (1798761599)   /* 2026-12-31T23:59:59Z */
#define DAY          (24 * 3600)

static void
set_time_zone (const char *tz)
{
  /* GDateTime reads TZ again when it changed. */
  g_setenv ("TZ", tz, TRUE);
  tzset ();
}

/* English (United States) for every category, or a skipped test. */
static gboolean
set_english (void)
{
  const char *locales[] = { "en_US.UTF-8", "en_US.utf8", NULL };

  for (guint i = 0; locales[i] != NULL; i++)
    if (setlocale (LC_ALL, locales[i]) != NULL)
      return TRUE;

  g_test_skip ("the en_US.UTF-8 locale is not installed");
  return FALSE;
}

static void
set_c_locale (void)
{
  setlocale (LC_ALL, "C.UTF-8");
}

static void
check_owned (char       *got,
             const char *expected)
{
  g_assert_cmpstr (got, ==, expected);
  g_free (got);
}

/* ---- Numbers ---------------------------------------------------------------------------------- */

static void
test_format_count (void)
{
  set_time_zone ("UTC");

  set_c_locale ();
  check_owned (luma_format_count (1234567), "1234567");
  check_owned (luma_format_signed_count (5000), "+5000");

  if (setlocale (LC_ALL, "de_DE.UTF-8") != NULL || setlocale (LC_ALL, "de_DE.utf8") != NULL)
    {
      check_owned (luma_format_count (1234567), "1.234.567");
      check_owned (luma_format_signed_count (-1500), "\xe2\x88\x92" "1.500");
    }

  if (!set_english ())
    return;
  check_owned (luma_format_count (0), "0");
  check_owned (luma_format_count (999), "999");
  check_owned (luma_format_count (1000), "1,000");
  check_owned (luma_format_count (-1234567), "-1,234,567");
  check_owned (luma_format_count (G_MAXINT64), "9,223,372,036,854,775,807");
  check_owned (luma_format_signed_count (5000), "+5,000");
  /* A true minus sign (U+2212), as people write it. */
  check_owned (luma_format_signed_count (1000), "+1,000");
  check_owned (luma_format_signed_count (-500), "\xe2\x88\x92" "500");
  check_owned (luma_format_signed_count (-1000000), "\xe2\x88\x92" "1,000,000");
  check_owned (luma_format_signed_count (0), "0");
  check_owned (luma_format_signed_count (G_MININT64), "-9,223,372,036,854,775,808");
  check_owned (luma_format_percent (85.4), "85 %");
  check_owned (luma_format_percent (75), "75 %");
  check_owned (luma_format_percent (0), "0 %");
  check_owned (luma_format_minutes (1), "1 minute");
  check_owned (luma_format_minutes (30), "30 minutes");
  set_c_locale ();
}

static void
test_format_plural_n (void)
{
  g_assert_cmpuint (luma_plural_n (0), ==, 0);
  g_assert_cmpuint (luma_plural_n (1), ==, 1);
  g_assert_cmpuint (luma_plural_n (-1), ==, 1);
  g_assert_cmpuint (luma_plural_n (21), ==, 21);
  g_assert_cmpuint (luma_plural_n (999999999), ==, 999999999);
  /* Large counts keep their last six digits (and stay "many"). */
  g_assert_cmpuint (luma_plural_n (G_GINT64_CONSTANT (5000000001)), ==, 1000001);
  g_assert_cmpuint (luma_plural_n (G_MININT64), ==, 1000000 + 854775808 % 1000000);
  g_assert_cmpuint (luma_plural_n (G_MAXINT64), ==, 1000000 + 854775807 % 1000000);
}

/* ---- Dates ------------------------------------------------------------------------------------ */

static void
test_format_days (void)
{
  set_time_zone ("UTC");
  if (!set_english ())
    return;

  check_owned (luma_format_day (T_2026_03_14), "03/14/2026");
  check_owned (luma_format_day (TERM_END), "12/31/2026");
  check_owned (luma_format_month (T_2026_03_14), "Mar");
  check_owned (luma_format_iso8601_day (T_2026_03_14), "2026-03-14");

  /* Contract days are UTC whatever the viewer's zone: the last second of
   * the term is 31 December, though 1 January 13:59 on Kiritimati (UTC+14). */
  set_time_zone ("Pacific/Kiritimati");
  check_owned (luma_format_day (TERM_END), "12/31/2026");
  check_owned (luma_format_iso8601_day (TERM_START), "2026-01-01");

  /* Out of GDateTime's range */
  check_owned (luma_format_day (G_MAXINT64), "");
  check_owned (luma_format_month (G_MAXINT64), "");
  check_owned (luma_format_record_time (G_MAXINT64), "");
  g_assert_null (luma_format_iso8601_day (G_MAXINT64));

  set_time_zone ("UTC");
  set_c_locale ();
}

static void
test_format_moments (void)
{
  set_time_zone ("UTC");
  if (!set_english ())
    return;

  check_owned (luma_format_date_time (T_2026_03_14), "03/14/2026 09:26:53 AM");
  check_owned (luma_format_time (T_2026_03_14), "09:26:53 AM");
  check_owned (luma_format_weekday (T_2026_03_14), "Saturday, 03/14/2026");
  /* One style for every moment: the history's records too */
  check_owned (luma_format_record_time (T_2026_03_14), "03/14/2026 09:26:53 AM");
  check_owned (luma_format_record_time (G_MAXINT64), "");
  check_owned (luma_format_date_time (G_MAXINT64), "");

  set_c_locale ();
}

/* Moments are local: across the change to daylight saving time in New York
 * (2026-03-08, 02:00 EST becomes 03:00 EDT, at 07:00 UTC) the clock jumps an
 * hour in one second. */
static void
test_format_moments_dst (void)
{
  const gint64 change = G_GINT64_CONSTANT (1772953200);   /* 2026-03-08T07:00:00Z */

  set_time_zone ("America/New_York");
  if (!set_english ())
    {
      set_time_zone ("UTC");
      return;
    }

  check_owned (luma_format_record_time (change - 1), "03/08/2026 01:59:59 AM");
  check_owned (luma_format_record_time (change), "03/08/2026 03:00:00 AM");
  check_owned (luma_format_date_time (change - 1), "03/08/2026 01:59:59 AM");
  check_owned (luma_format_date_time (change), "03/08/2026 03:00:00 AM");
  /* Late evening in New York is already the next day in UTC. */
  check_owned (luma_format_weekday (T_2026_03_14 + 14 * 3600), "Saturday, 03/14/2026");
  check_owned (luma_format_day (T_2026_03_14 + 16 * 3600), "03/15/2026");
  /* "Last synced on ..." is a local moment too. */
  check_owned (luma_format_last_synced (change, change + 2 * DAY),
               "Last synced on 03/08/2026 03:00:00 AM");

  set_time_zone ("UTC");
  set_c_locale ();
}

/* German in New York: the locale writes the day and the time ("14.03.2026", 24-hour
 * clock), the zone moves the moment; contract days stay UTC. Every page writes its dates
 * through these, so this is what a German reader sees on each. */
static void
test_format_german_new_york (void)
{
  const gint64 change = G_GINT64_CONSTANT (1772953200);   /* 2026-03-08T07:00:00Z */

  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL && setlocale (LC_ALL, "de_DE.utf8") == NULL)
    {
      g_test_skip ("the de_DE.UTF-8 locale is not installed");
      return;
    }
  set_time_zone ("America/New_York");

  check_owned (luma_format_day (TERM_END), "31.12.2026");
  check_owned (luma_format_day (TERM_START), "01.01.2026");
  check_owned (luma_format_date_time (T_2026_03_14), "14.03.2026 05:26:53");
  check_owned (luma_format_record_time (T_2026_03_14), "14.03.2026 05:26:53");
  check_owned (luma_format_time (T_2026_03_14), "05:26:53");
  check_owned (luma_format_weekday (T_2026_03_14), "Samstag, 14.03.2026");
  check_owned (luma_format_date_time (change - 1), "08.03.2026 01:59:59");
  check_owned (luma_format_date_time (change), "08.03.2026 03:00:00");
  /* 22:00 in New York on the 14th is the 15th in UTC: the moment is local... */
  check_owned (luma_format_date_time (T_2026_03_14 + 16 * 3600 + 33 * 60 + 7), "14.03.2026 22:00:00");
  /* ...while a contract day is the contract's (UTC) */
  check_owned (luma_format_day (T_2026_03_14 + 16 * 3600 + 33 * 60 + 7), "15.03.2026");
  /* A saved file is named after the viewer's day, not UTC's */
  check_owned (luma_format_file_day (T_2026_03_14 + 16 * 3600 + 33 * 60 + 7), "2026-03-14");
  check_owned (luma_format_iso8601_day (T_2026_03_14 + 16 * 3600 + 33 * 60 + 7), "2026-03-15");
  check_owned (luma_format_count (50000), "50.000");

  /* And the same moments in American English in New York */
  if (set_english ())
    {
      check_owned (luma_format_date_time (T_2026_03_14), "03/14/2026 05:26:53 AM");
      check_owned (luma_format_date_time (T_2026_03_14 + 16 * 3600 + 33 * 60 + 7),
                   "03/14/2026 10:00:00 PM");
      check_owned (luma_format_day (TERM_END), "12/31/2026");
    }

  set_time_zone ("UTC");
  set_c_locale ();
}

/* ---- Sentences ------------------------------------------------------------------------------- */

static void
test_format_last_synced (void)
{
  const gint64 now = T_2026_03_14;

  set_time_zone ("UTC");
  if (!set_english ())
    return;

  check_owned (luma_format_last_synced (0, now), "Never synced");
  check_owned (luma_format_last_synced (-5, now), "Never synced");
  check_owned (luma_format_last_synced (now, now), "Synced just now");
  check_owned (luma_format_last_synced (now - 59, now), "Synced just now");
  /* A clock set back is not "in the future". */
  check_owned (luma_format_last_synced (now + 300, now), "Synced just now");
  check_owned (luma_format_last_synced (now - 60, now), "Synced 1 minute ago");
  check_owned (luma_format_last_synced (now - 5 * 60 - 30, now), "Synced 5 minutes ago");
  check_owned (luma_format_last_synced (now - 3599, now), "Synced 59 minutes ago");
  check_owned (luma_format_last_synced (now - 3600, now), "Synced 1 hour ago");
  check_owned (luma_format_last_synced (now - 23 * 3600, now), "Synced 23 hours ago");
  check_owned (luma_format_last_synced (now - DAY, now), "Last synced on 03/13/2026 09:26:53 AM");

  set_c_locale ();
}

static void
test_format_forecast (void)
{
  LumaSubscription s = {
    .license_type = LUMA_LICENSE_TYPE_SESSION,
    .start_date = TERM_START,
    .end_date = TERM_END,
    .total_purchase = 1000,
  };

  set_time_zone ("UTC");
  if (!set_english ())
    return;

  /* 10 days in, 10 a day: the 900 left last 90 more days, to 11 April. */
  s.consumed = 100;
  check_owned (luma_format_forecast (&s, TERM_START + 10 * DAY),
               "At the current rate the licenses run out on 04/11/2026.");
  /* 100 days in, 1 a day: slow enough to last the term */
  s.consumed = 100;
  check_owned (luma_format_forecast (&s, TERM_START + 100 * DAY),
               "At the current rate the licenses last past the end date (12/31/2026).");
  s.consumed = 10;
  check_owned (luma_format_forecast (&s, TERM_START + 100 * DAY),
               "At the current rate the licenses last past the end date (12/31/2026).");
  s.consumed = 0;
  check_owned (luma_format_forecast (&s, TERM_START + 100 * DAY),
               "No licenses used yet: they last past the end date (12/31/2026).");
  s.consumed = 1000;
  check_owned (luma_format_forecast (&s, TERM_START + 100 * DAY), "All licenses are used.");
  s.consumed = 1200;
  check_owned (luma_format_forecast (&s, TERM_START + 100 * DAY), "All licenses are used.");
  check_owned (luma_format_forecast (&s, TERM_START - 1), "The contract term has not started yet.");
  check_owned (luma_format_forecast (&s, TERM_END + 1), "The contract term ended on 12/31/2026.");

  set_c_locale ();
}

/* ---- The history's columns ---------------------------------------------------------------------- */

static void
test_history_columns (void)
{
  const LumaLicenseType types[] = { LUMA_LICENSE_TYPE_SESSION, LUMA_LICENSE_TYPE_USER };
  const LumaHistoryColumnInfo *columns;
  guint n;

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      guint seen = 0;

      columns = luma_history_columns_get (types[t], &n);
      g_assert_cmpuint (n, ==, 9);
      for (guint i = 0; i < n; i++)
        {
          /* Each sort key once; every column has a heading */
          g_assert_cmpint (columns[i].key, <, LUMA_N_HISTORY_COLUMNS);
          g_assert_false (seen & (1u << columns[i].key));
          seen |= 1u << columns[i].key;
          g_assert_nonnull (columns[i].title);
          /* The kind follows the key: the view and the report write it by the kind */
          switch (columns[i].key)
            {
            case LUMA_HISTORY_COLUMN_TIME:
              g_assert_cmpint (columns[i].kind, ==, LUMA_HISTORY_VALUE_TIME);
              break;
            case LUMA_HISTORY_COLUMN_CONVERSATIONS:
              g_assert_cmpint (columns[i].kind, ==, LUMA_HISTORY_VALUE_COUNT);
              break;
            case LUMA_HISTORY_COLUMN_ROLE:
            case LUMA_HISTORY_COLUMN_INITIATED_BY:
            case LUMA_HISTORY_COLUMN_CHANNEL:
            case LUMA_HISTORY_COLUMN_STATUS:
              g_assert_cmpint (columns[i].kind, ==, LUMA_HISTORY_VALUE_ENUM);
              break;
            default:
              g_assert_cmpint (columns[i].kind, ==, LUMA_HISTORY_VALUE_TEXT);
              break;
            }
          g_assert_cmpstr (luma_history_column_get_title (&columns[i]), ==, columns[i].title);
        }
      /* Time, ID, user name, email, role and conversations in both */
      g_assert_cmpuint (seen & 0x3f, ==, 0x3f);
    }

  columns = luma_history_columns_get (LUMA_LICENSE_TYPE_SESSION, &n);
  g_assert_cmpint (columns[0].key, ==, LUMA_HISTORY_COLUMN_ID);
  g_assert_cmpstr (columns[0].title, ==, "Session ID");
  g_assert_cmpstr (columns[1].title, ==, "Started On");
  columns = luma_history_columns_get (LUMA_LICENSE_TYPE_USER, &n);
  g_assert_cmpstr (columns[0].title, ==, "User ID");
  g_assert_cmpint (columns[n - 2].key, ==, LUMA_HISTORY_COLUMN_TIME);
  g_assert_cmpstr (columns[n - 2].title, ==, "Created On");
}

static const LumaHistoryColumnInfo *
find_column (LumaLicenseType   license_type,
             LumaHistoryColumn key)
{
  guint n;
  const LumaHistoryColumnInfo *columns = luma_history_columns_get (license_type, &n);

  for (guint i = 0; i < n; i++)
    if (columns[i].key == key)
      return &columns[i];
  return NULL;
}

static char *
cell (LumaLicenseType   license_type,
      gconstpointer     record,
      LumaHistoryColumn key)
{
  const LumaHistoryColumnInfo *info = find_column (license_type, key);

  g_assert_nonnull (info);
  return luma_history_record_format (license_type, record, info);
}

static void
test_history_cells (void)
{
  LumaSessionRecord s = {
    .session_id = (char *) "S-0001",
    .started_on = T_2026_03_14,
    .initiated_by = LUMA_INITIATED_BY_AGENT,
    .user_name = (char *) "ana",
    .email = (char *) "ana@example.com",
    .role = LUMA_ROLE_GUEST,
    .agent_name = NULL,
    .channel = LUMA_CHANNEL_SLACK,
    .conversations = 1234,
  };
  LumaUserRecord u = {
    .user_id = (char *) "U-0001",
    .user_name = (char *) "bo",
    .email = (char *) "bo@example.com",
    .first_name = (char *) "Bo",
    .last_name = (char *) "",
    .role = LUMA_ROLE_ADMIN,
    .status = LUMA_USER_STATUS_INACTIVE,
    .created_on = T_2026_03_14,
    .conversations = 0,
  };

  set_time_zone ("UTC");
  set_c_locale ();

#define CELL(type, record, key) cell (type, record, LUMA_HISTORY_COLUMN_##key)
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, ID), "S-0001");
  /* The C locale's own short date */
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, TIME), "03/14/26 09:26:53");
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, INITIATED_BY), "Agent");
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, ROLE), "Guest");
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, AGENT_NAME), "");
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, CHANNEL), "Slack");
  /* Not grouped: a cell is narrow */
  check_owned (CELL (LUMA_LICENSE_TYPE_SESSION, &s, CONVERSATIONS), "1234");
  /* Each type shows only its own columns */
  g_assert_null (find_column (LUMA_LICENSE_TYPE_SESSION, LUMA_HISTORY_COLUMN_STATUS));
  g_assert_null (find_column (LUMA_LICENSE_TYPE_SESSION, LUMA_HISTORY_COLUMN_FIRST_NAME));

  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, ID), "U-0001");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, FIRST_NAME), "Bo");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, LAST_NAME), "");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, STATUS), "Inactive");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, ROLE), "Admin");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, TIME), "03/14/26 09:26:53");
  check_owned (CELL (LUMA_LICENSE_TYPE_USER, &u, CONVERSATIONS), "0");
  g_assert_null (find_column (LUMA_LICENSE_TYPE_USER, LUMA_HISTORY_COLUMN_CHANNEL));
  g_assert_null (find_column (LUMA_LICENSE_TYPE_USER, LUMA_HISTORY_COLUMN_INITIATED_BY));
  g_assert_null (find_column (LUMA_LICENSE_TYPE_USER, LUMA_HISTORY_COLUMN_AGENT_NAME));
  /* A column the record lacks has no value */
  g_assert_cmpint (luma_history_record_get_value (LUMA_LICENSE_TYPE_USER, &u, LUMA_HISTORY_COLUMN_CHANNEL), ==, 0);
  g_assert_null (luma_history_record_get_text (LUMA_LICENSE_TYPE_SESSION, &s, LUMA_HISTORY_COLUMN_FIRST_NAME));
#undef CELL

  g_assert_cmpint (luma_history_record_get_value (LUMA_LICENSE_TYPE_USER, &u, LUMA_HISTORY_COLUMN_EMAIL), ==, 0);
  g_assert_null (luma_history_record_get_text (LUMA_LICENSE_TYPE_USER, &u, LUMA_HISTORY_COLUMN_TIME));
}

/* The run-out of a tenant's line is a moment: the viewer's day, not the contract's. */
static void
test_format_usage_summary (void)
{
  /* 2026-03-15T02:00:00Z: still the 14th in New York (EDT, UTC-4). */
  const gint64 late_evening = G_GINT64_CONSTANT (1773540000);

  if (!set_english ())
    return;

  set_time_zone ("America/New_York");
  check_owned (luma_format_usage_summary (45500, 50000, late_evening),
               "91 % used · runs out on 03/14/2026");
  /* Beyond what a date can hold: no "(null)". */
  check_owned (luma_format_usage_summary (45500, 50000, G_MAXINT64),
               "91 % used · runs out on ");
  check_owned (luma_format_usage_summary (20000, 50000, 0), "40 % used · lasts the term");
  check_owned (luma_format_usage_summary (50000, 50000, late_evening), "100 % used · none left");
  /* Nothing bought, something used: used up, whatever date an estimate gives. */
  check_owned (luma_format_usage_summary (5, 0, late_evening - 86400), "100 % used · none left");

  set_time_zone ("UTC");
  check_owned (luma_format_usage_summary (45500, 50000, late_evening),
               "91 % used · runs out on 03/15/2026");
  set_c_locale ();
}

static void
check_day (const char *text,
           int         year,
           int         month,
           int         day)
{
  GDate d;

  g_assert_true (luma_parse_day (text, &d));
  g_assert_cmpint (g_date_get_year (&d), ==, year);
  g_assert_cmpint (g_date_get_month (&d), ==, month);
  g_assert_cmpint (g_date_get_day (&d), ==, day);
}

static void
test_calendar_days (void)
{
  GDate d, next;
  g_autofree char *written = NULL;

  /* ISO 8601 in any locale; the locale's own format read back */
  set_c_locale ();
  check_day ("2026-11-01", 2026, 11, 1);
  check_day ("  2026-03-08 ", 2026, 3, 8);
  if (set_english ())
    {
      g_date_clear (&d, 1);
      g_date_set_dmy (&d, 14, 3, 2026);
      written = luma_format_calendar_day (&d);
      g_assert_cmpstr (written, ==, "03/14/2026");
      check_day (written, 2026, 3, 14);
      check_day ("11/01/2026", 2026, 11, 1);
      check_day ("2026-11-01", 2026, 11, 1);
      g_clear_pointer (&written, g_free);
    }
  if (setlocale (LC_ALL, "de_DE.UTF-8") != NULL)
    {
      g_date_clear (&d, 1);
      g_date_set_dmy (&d, 14, 3, 2026);
      written = luma_format_calendar_day (&d);
      g_assert_cmpstr (written, ==, "14.03.2026");
      check_day (written, 2026, 3, 14);
      check_day ("2026-03-14", 2026, 3, 14);
      g_clear_pointer (&written, g_free);
    }
  set_c_locale ();

  /* Half typed, impossible or not a date: not a day */
  g_assert_false (luma_parse_day ("", &d));
  g_assert_false (luma_parse_day ("3", &d));
  g_assert_false (luma_parse_day ("11/01", &d));
  g_assert_false (luma_parse_day ("2026-02-30", &d));
  g_assert_false (luma_parse_day ("2026-13-01", &d));
  g_assert_false (luma_parse_day ("yesterday", &d));
  g_assert_false (luma_parse_day (NULL, &d));

  /* Local days: 23 and 25 hours long when the clocks change */
  set_time_zone ("America/New_York");
  g_date_clear (&d, 1);
  g_date_set_dmy (&d, 8, 3, 2026);
  next = d;
  g_date_add_days (&next, 1);
  g_assert_cmpint (luma_local_day_start (&d), ==, 1772946000);  /* 2026-03-08T05:00:00Z */
  g_assert_cmpint (luma_local_day_start (&next) - luma_local_day_start (&d), ==, 23 * 3600);
  g_date_set_dmy (&d, 1, 11, 2026);
  next = d;
  g_date_add_days (&next, 1);
  g_assert_cmpint (luma_local_day_start (&next) - luma_local_day_start (&d), ==, 25 * 3600);
  set_time_zone ("UTC");
  g_date_set_dmy (&d, 1, 11, 2026);
  g_assert_cmpint (luma_local_day_start (&d), ==, 1793491200);  /* 2026-11-01T00:00:00Z */
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/format/count", test_format_count);
  g_test_add_func ("/format/plural-n", test_format_plural_n);
  g_test_add_func ("/format/days", test_format_days);
  g_test_add_func ("/format/moments", test_format_moments);
  g_test_add_func ("/format/moments-dst", test_format_moments_dst);
  g_test_add_func ("/format/german-new-york", test_format_german_new_york);
  g_test_add_func ("/format/last-synced", test_format_last_synced);
  g_test_add_func ("/format/forecast", test_format_forecast);
  g_test_add_func ("/format/calendar-days", test_calendar_days);
  g_test_add_func ("/format/usage-summary", test_format_usage_summary);
  g_test_add_func ("/history-columns/table", test_history_columns);
  g_test_add_func ("/history-columns/cells", test_history_cells);

  return g_test_run ();
}
