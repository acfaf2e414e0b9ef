/* luma-format.c: numbers, dates and sentences as the user reads them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-format.h"

/* ---- Numbers ---------------------------------------------------------------------------------- */

char *
luma_format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

char *
luma_format_change (gint64 n)
{
  return g_strdup_printf ("%+'" G_GINT64_FORMAT, n);
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
luma_format_forecast (const LumaSubscription *s,
                      gint64                  now)
{
  g_autofree char *end = NULL;
  gint64 elapsed;
  gint64 remaining;
  double rate;
  double run_out;

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

  elapsed = MAX (now - s->start_date, 1);
  rate = (double) s->consumed / (double) elapsed;
  remaining = s->total_purchase - s->consumed;
  run_out = (double) now + (double) remaining / rate;

  if (run_out > (double) s->end_date)
    /* Translators: %s is the end date of the contract */
    return g_strdup_printf (_("At the current rate the licenses last past the end date (%s)."),
                            end);
  else
    {
      g_autofree char *day = luma_format_day ((gint64) run_out);

      /* Translators: %s is a date */
      return g_strdup_printf (_("At the current rate the licenses run out on %s."), day);
    }
}
