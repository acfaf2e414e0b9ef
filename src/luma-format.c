/* luma-format.c: numbers, dates and sentences as the user reads them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include <glib/gi18n-lib.h>

#include "luma-format.h"
#include "luma-breakdown.h"
#include "luma-report.h"

/* ---- Numbers ---------------------------------------------------------------------------------- */

char *
luma_format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

char *
luma_format_signed_count (gint64 n)
{
  g_autofree char *magnitude = NULL;

  if (n == G_MININT64)
    return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
  magnitude = luma_format_count (n < 0 ? -n : n);
  return g_strconcat (n < 0 ? "\xe2\x88\x92" /* − */ : n > 0 ? "+" : "", magnitude, NULL);
}

gulong
luma_plural_n (gint64 n)
{
  /* Plural rules look only at the last digits (n % 10, n % 100, n % 1000000), so a
   * count that might not fit a 32-bit gulong keeps its last six, on every platform. */
  guint64 abs_n = n < 0 ? (guint64) -(n + 1) + 1 : (guint64) n;

  if (abs_n >= G_GUINT64_CONSTANT (1000000000))
    return (gulong) (abs_n % 1000000 + 1000000);
  return (gulong) abs_n;
}

char *
luma_format_percent (double percent)
{
  return g_strdup_printf ("%.0f %%", percent);
}

char *
luma_format_minutes (gint64 minutes)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute", "%d minutes",
                                       luma_plural_n (minutes)),
                          (int) CLAMP (minutes, G_MININT, G_MAXINT));
}

/* ---- Dates ------------------------------------------------------------------------------------ */

/* @format applied to @t in UTC (@utc) or the local time zone; NULL when
 * GDateTime cannot hold @t. */
static char *
format_at (gint64      t,
           gboolean    utc,
           const char *format)
{
  g_autoptr(GDateTime) dt = utc ? g_date_time_new_from_unix_utc (t)
                                : g_date_time_new_from_unix_local (t);

  return dt != NULL ? g_date_time_format (dt, format) : NULL;
}

static char *
or_empty (char *text)
{
  return text != NULL ? text : g_strdup ("");
}

char *
luma_format_days_left (double days)
{
  g_autofree char *count = NULL;
  gint64 whole;

  if (days < 0)
    /* Translators: a days-left cell when it is not known */
    return g_strdup (_("—"));
  whole = days >= (double) LUMA_MAX_COUNT ? LUMA_MAX_COUNT : (gint64) days;
  count = luma_format_count (whole);
  /* Translators: %s is a number of days */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s day", "%s days", luma_plural_n (whole)), count);
}

const char *
luma_format_capacity (LumaCapacity capacity)
{
  switch (capacity)
    {
    case LUMA_CAPACITY_AT_OR_OVER:
      return _("At or over capacity");
    case LUMA_CAPACITY_NEAR:
      return _("Near capacity");
    case LUMA_CAPACITY_OK:
    default:
      /* Translators: the status of a tenant with enough licenses left */
      return C_("capacity", "OK");
    }
}

char *
luma_format_day (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, TRUE, "%x"));
}

char *
luma_format_month (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, TRUE, "%b"));
}

char *
luma_format_iso8601_day (gint64 unix_seconds)
{
  return format_at (unix_seconds, TRUE, "%Y-%m-%d");
}

char *
luma_format_local_day (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, FALSE, "%x"));
}

char *
luma_format_file_day (gint64 unix_seconds)
{
  return format_at (unix_seconds, FALSE, "%Y-%m-%d");
}

char *
luma_format_rate (double per_day)
{
  if (per_day < 0 || !isfinite (per_day))
    per_day = 0;
  if (per_day >= 10)
    return luma_format_count ((gint64) (per_day + 0.5));
  return g_strdup_printf ("%.1f", per_day);
}

char *
luma_format_date_time (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, FALSE, "%x %X"));
}

char *
luma_format_time (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, FALSE, "%X"));
}

char *
luma_format_weekday (gint64 unix_seconds)
{
  return or_empty (format_at (unix_seconds, FALSE, "%A, %x"));
}

char *
luma_format_record_time (gint64 unix_seconds)
{
  /* The history writes its moments as every other page does. */
  return luma_format_date_time (unix_seconds);
}

/* ---- Days of the viewer's calendar ------------------------------------------------------------ */

char *
luma_format_calendar_day (const GDate *day)
{
  char buffer[64];

  if (day == NULL || !g_date_valid (day))
    return g_strdup ("");
  if (g_date_strftime (buffer, sizeof buffer, "%x", day) == 0)
    return g_strdup ("");
  return g_strdup (buffer);
}

static gboolean
parse_iso8601_day (const char *text,
                   GDate      *out)
{
  int y, m, d, n = 0;

  if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || text[n] != '\0')
    return FALSE;
  if (!g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_set_dmy (out, d, m, y);
  return TRUE;
}

gboolean
luma_parse_day (const char *text,
                GDate      *out)
{
  g_autofree char *stripped = NULL;
  guint numbers = 0;
  gboolean in_number = FALSE, word = FALSE;
  GDate date;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    return FALSE;

  if (parse_iso8601_day (stripped, out))
    return TRUE;

  /* g_date_set_parse() reads the locale's order, but also makes a day of
   * "3" or "3/14" (filling in the rest): a day half typed is not one yet. */
  for (const char *p = stripped; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isdigit (c))
        {
          if (!in_number)
            numbers++;
          in_number = TRUE;
        }
      else
        {
          in_number = FALSE;
          if (g_unichar_isalpha (c))
            word = TRUE;
        }
    }
  if (numbers < 2 || (numbers < 3 && !word))
    return FALSE;

  g_date_clear (&date, 1);
  g_date_set_parse (&date, stripped);
  if (!g_date_valid (&date) || g_date_get_year (&date) < 1000)
    return FALSE;
  *out = date;
  return TRUE;
}

gint64
luma_local_day_start (const GDate *day)
{
  g_autoptr(GDateTime) dt = NULL;

  g_return_val_if_fail (day != NULL && g_date_valid (day), 0);

  dt = g_date_time_new_local (g_date_get_year (day), g_date_get_month (day),
                              g_date_get_day (day), 0, 0, 0);
  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

void
luma_local_today (GDate *out)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  g_return_if_fail (out != NULL);

  g_date_clear (out, 1);
  g_date_set_dmy (out, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
}

/* ---- Sentences ------------------------------------------------------------------------------- */

char *
luma_format_last_synced (gint64 synced,
                         gint64 now)
{
  gint64 ago;

  if (synced <= 0)
    return g_strdup (_("Never synced"));

  ago = MAX (now - synced, 0);
  if (ago < 60)
    return g_strdup (_("Synced just now"));
  if (ago < 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Synced %d minute ago",
                                         "Synced %d minutes ago", (gulong) (ago / 60)),
                            (int) (ago / 60));
  if (ago < 24 * 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Synced %d hour ago",
                                         "Synced %d hours ago", (gulong) (ago / 3600)),
                            (int) (ago / 3600));
  else
    {
      g_autofree char *when = luma_format_date_time (synced);

      /* Translators: %s is a date and time */
      return g_strdup_printf (_("Last synced on %s"), when);
    }
}

char *
luma_format_refill_done (gint64 change,
                         gint64 total_after)
{
  g_autofree char *total = luma_format_count (total_after);

  if (change < 0)
    /* Translators: %s is the new total purchase, a number of licenses */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Licenses removed: the total purchase is now %s license",
                                         "Licenses removed: the total purchase is now %s licenses",
                                         luma_plural_n (total_after)),
                            total);
  /* Translators: %s is the new total purchase, a number of licenses */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Licenses added: the total purchase is now %s license",
                                       "Licenses added: the total purchase is now %s licenses",
                                       luma_plural_n (total_after)),
                          total);
}

char *
luma_format_forecast (const LumaSubscription *s,
                      gint64                  now)
{
  g_autofree char *end = NULL;
  LumaRunOutInput input;
  gint64 run_out;

  g_return_val_if_fail (s != NULL, NULL);

  end = luma_format_day (s->end_date);
  if (now > s->end_date)
    /* Translators: %s is the end date of the contract */
    return g_strdup_printf (_("The contract term ended on %s."), end);
  if (now < s->start_date)
    return g_strdup (_("The contract term has not started yet."));
  if (s->total_purchase > 0 && s->consumed >= s->total_purchase)
    return g_strdup (_("All licenses are used."));
  if (s->consumed <= 0)
    /* Translators: %s is the end date of the contract */
    return g_strdup_printf (_("No licenses used yet: they last past the end date (%s)."), end);

  /* The rate over the term so far (no recent window): 0 means past the end. */
  input = (LumaRunOutInput) {
    .start_date = s->start_date,
    .end_date = s->end_date,
    .total_purchase = s->total_purchase,
    .consumed = s->consumed,
    .now = now,
    .recent_consumed = -1,
    .recent_seconds = 0,
  };
  run_out = luma_report_estimate_run_out (&input);

  if (run_out == 0)
    /* Translators: %s is the end date of the contract */
    return g_strdup_printf (_("At the current rate the licenses last past the end date (%s)."),
                            end);
  else
    {
      g_autofree char *day = luma_format_day (run_out);

      /* Translators: %s is a date */
      return g_strdup_printf (_("At the current rate the licenses run out on %s."), day);
    }
}

char *
luma_format_forecast_recent (const LumaForecast *f)
{
  g_autofree char *end = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *how = NULL;

  g_return_val_if_fail (f != NULL, NULL);

  end = luma_format_day (f->bounds[f->n_days] - 1);
  switch (f->state)
    {
    case LUMA_FORECAST_ENDED:
      /* Translators: %s is the end date of the contract */
      return g_strdup_printf (_("The contract term ended on %s."), end);
    case LUMA_FORECAST_NOT_STARTED:
      return g_strdup (_("The contract term has not started yet."));
    case LUMA_FORECAST_ALL_USED:
      return g_strdup (_("All licenses are used."));
    case LUMA_FORECAST_NO_RATE:
      if (f->consumed <= 0)
        /* Translators: %s is the end date of the contract */
        return g_strdup_printf (_("No licenses used yet: they last past the end date (%s)."), end);
      /* Translators: %u is a number of days, %s the end date of the contract */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "No licenses used in the last %u day: at that rate they last past the end date (%s).",
                                           "No licenses used in the last %u days: at that rate they last past the end date (%s).",
                                           f->rate_days),
                              f->rate_days, end);
    case LUMA_FORECAST_RUNS_OUT:
    case LUMA_FORECAST_LASTS:
    default:
      break;
    }

  rate = luma_format_rate (f->rate);
  /* Translators: the rate the forecast uses: "12.5 a day over the last 30 days" */
  how = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s a day over the last %u day",
                                      "%s a day over the last %u days", f->rate_days),
                         rate, f->rate_days);
  if (f->state == LUMA_FORECAST_LASTS)
    /* Translators: the first %s is the rate ("12.5 a day over the last 30 days"), the second
     * the end date of the contract */
    return g_strdup_printf (_("At the current rate (%s) the licenses last past the end date (%s)."),
                            how, end);
  else
    {
      g_autofree char *day = luma_format_local_day (luma_forecast_get_run_out (f));

      /* Translators: the first %s is the rate ("12.5 a day over the last 30 days"), the
       * second a date */
      return g_strdup_printf (_("At the current rate (%s) the licenses run out on %s."), how, day);
    }
}

/* ---- Where the licenses go, and the desktop's search -------------------------------------------- */

char *
luma_format_period (gint64   from,
                    gint64   to,
                    gboolean contract_days)
{
  g_autofree char *first = or_empty (format_at (from, contract_days, "%x"));
  g_autofree char *last = or_empty (format_at (to > from ? to - 1 : from, contract_days, "%x"));

  if (g_strcmp0 (first, last) == 0)
    return g_steal_pointer (&first);
  /* Translators: a period of days, "first day – last day" */
  return g_strdup_printf (_("%s – %s"), first, last);
}

char *
luma_format_period_change (LumaLicenseType license_type,
                           gint64          current,
                           gint64          previous)
{
  g_autofree char *now_text = luma_format_count (current);
  g_autofree char *before_text = luma_format_count (previous);
  g_autofree char *total = NULL;
  gboolean session = license_type == LUMA_LICENSE_TYPE_SESSION;
  double change;

  total = g_strdup_printf (session
                           ? g_dngettext (GETTEXT_PACKAGE, "%s session", "%s sessions", luma_plural_n (current))
                           : g_dngettext (GETTEXT_PACKAGE, "%s license", "%s licenses", luma_plural_n (current)),
                           now_text);
  if (previous <= 0)
    /* Translators: %s is "1,234 sessions" */
    return g_strdup_printf (_("%s, none in the previous period"), total);
  if (current == previous)
    /* Translators: %s is "1,234 sessions" */
    return g_strdup_printf (_("%s, as many as in the previous period"), total);

  luma_breakdown_change_percent (previous, current, &change);
  if (change > 0)
    {
      g_autofree char *pct = luma_format_percent (change);

      /* Translators: "1,234 sessions, 12 % more than the previous period (1,100)" */
      return g_strdup_printf (_("%s, %s more than the previous period (%s)"), total, pct, before_text);
    }
  else
    {
      g_autofree char *pct = luma_format_percent (-change);

      /* Translators: "1,000 sessions, 9 % fewer than the previous period (1,100)" */
      return g_strdup_printf (_("%s, %s fewer than the previous period (%s)"), total, pct, before_text);
    }
}

char *
luma_format_usage_summary (gint64 consumed,
                           gint64 total_purchase,
                           gint64 run_out)
{
  g_autofree char *pct = NULL;

  pct = luma_format_percent (total_purchase > 0 ? (double) consumed * 100.0 / (double) total_purchase
                                                : (consumed > 0 ? 100.0 : 0.0));
  /* Nothing bought but something used counts as used up, as in luma_thresholds_reached(). */
  if (consumed > 0 && consumed >= total_purchase)
    /* Translators: a line under a tenant's name: "100 % used · none left" */
    return g_strdup_printf (_("%s used · none left"), pct);
  if (run_out > 0)
    {
      /* A moment: the day of the viewer's calendar it falls on. */
      g_autofree char *day = luma_format_local_day (run_out);

      /* Translators: a line under a tenant's name: "91 % used · runs out on 03/12/2026" */
      return g_strdup_printf (_("%s used · runs out on %s"), pct, day);
    }
  /* Translators: a line under a tenant's name: "40 % used · lasts the term" */
  return g_strdup_printf (_("%s used · lasts the term"), pct);
}
