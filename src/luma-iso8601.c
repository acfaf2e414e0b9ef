/* luma-iso8601.c: the date-times of docs/api.md, ISO 8601 strings to
 * unix seconds and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-iso8601.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static gint64
days_from_civil (gint64 y,
                 guint  m,
                 guint  d)
{
  gint64 era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint) (y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint64) doe - 719468;
}

static void
civil_from_days (gint64  z,
                 gint64 *y_out,
                 guint  *m_out,
                 guint  *d_out)
{
  gint64 era, y;
  guint doe, yoe, doy, mp, d, m;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (guint) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = (gint64) yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  *y_out = y + (m <= 2);
  *m_out = m;
  *d_out = d;
}

static inline gboolean
read_digits (const char *s,
             guint       n,
             guint      *out)
{
  guint v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      v = v * 10 + (guint) (s[i] - '0');
    }
  *out = v;
  return TRUE;
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define MIN_ISO8601_UNIX G_GINT64_CONSTANT (-62135596800)
#define MAX_ISO8601_UNIX G_GINT64_CONSTANT (253402300799)

gboolean
luma_parse_iso8601 (const char *str,
                    gint64     *out)
{
  static const guint8 month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  guint year, month, day, hour, minute, second;
  gint64 offset = 0;
  gint64 value;
  const char *p;
  gboolean leap;

  if (str == NULL)
    return FALSE;

  /* YYYY-MM-DDTHH:MM:SS: 19 characters; strlen-free checks stop at a NUL
   * because NUL is neither a digit nor a separator. */
  if (!read_digits (str, 4, &year) || str[4] != '-' ||
      !read_digits (str + 5, 2, &month) || str[7] != '-' ||
      !read_digits (str + 8, 2, &day) || (str[10] != 'T' && str[10] != 't') ||
      !read_digits (str + 11, 2, &hour) || str[13] != ':' ||
      !read_digits (str + 14, 2, &minute) || str[16] != ':' ||
      !read_digits (str + 17, 2, &second))
    return FALSE;

  if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
      hour > 23 || minute > 59 || second > 59)
    return FALSE;
  leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap)
    return FALSE;

  p = str + 19;
  if (*p == '.')
    {
      p++;
      if (*p < '0' || *p > '9')
        return FALSE;
      while (*p >= '0' && *p <= '9')
        p++;
    }

  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      guint oh, om;

      if (!read_digits (p + 1, 2, &oh) || p[3] != ':' || !read_digits (p + 4, 2, &om) ||
          oh > 23 || om > 59)
        return FALSE;
      offset = (gint64) oh * 3600 + (gint64) om * 60;
      if (*p == '-')
        offset = -offset;
      p += 6;
    }
  else
    return FALSE;

  if (*p != '\0')
    return FALSE;

  value = days_from_civil (year, month, day) * 86400 +
          (gint64) hour * 3600 + (gint64) minute * 60 + second - offset;
  /* An offset can move year 0000 or 9999 out of the years the formatter,
   * GDateTime and the CSV readers know: the UTC instant must be in 0001..9999. */
  if (value < MIN_ISO8601_UNIX || value > MAX_ISO8601_UNIX)
    return FALSE;
  if (out != NULL)
    *out = value;
  return TRUE;
}

void
luma_format_iso8601_utc_to_buffer (gint64 unix_seconds,
                                   char   buf[LUMA_ISO8601_BUF_SIZE])
{
  gint64 days, secs, y;
  guint m, d;

  days = unix_seconds / 86400;
  secs = unix_seconds % 86400;
  if (secs < 0)
    {
      secs += 86400;
      days -= 1;
    }
  civil_from_days (days, &y, &m, &d);
  g_snprintf (buf, LUMA_ISO8601_BUF_SIZE,
              "%04" G_GINT64_FORMAT "-%02u-%02uT%02u:%02u:%02uZ",
              y, m, d,
              (guint) (secs / 3600), (guint) (secs / 60 % 60), (guint) (secs % 60));
}

char *
luma_format_iso8601_utc (gint64 unix_seconds)
{
  char buf[LUMA_ISO8601_BUF_SIZE];

  luma_format_iso8601_utc_to_buffer (unix_seconds, buf);
  return g_strdup (buf);
}
