/* sandbox-json.c: JSON text and date-time helpers of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sandbox-json.h"

#include <string.h>

/* Written by hand rather than through JsonGenerator: a page of a thousand
 * records must be built in well under a millisecond. */
void
sandbox_json_append_string (GString    *out,
                            const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p;
  const unsigned char *run;

  if (value == NULL)
    {
      g_string_append_len (out, "null", 4);
      return;
    }

  g_string_append_c (out, '"');
  run = (const unsigned char *) value;
  for (p = run; *p != '\0'; p++)
    {
      if (*p >= 0x20 && *p != '"' && *p != '\\')
        continue;

      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      run = p + 1;

      switch (*p)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        case '\b': g_string_append_len (out, "\\b", 2); break;
        case '\f': g_string_append_len (out, "\\f", 2); break;
        default:
          {
            char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0xf] };
            g_string_append_len (out, esc, 6);
          }
          break;
        }
    }
  if (p > run)
    g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

gint64
sandbox_days_from_civil (gint64 year,
                         guint  month,
                         guint  day)
{
  gint64 era;
  gint64 yoe;
  gint64 doy;
  gint64 doe;

  year -= month <= 2;
  era = (year >= 0 ? year : year - 399) / 400;
  yoe = year - era * 400;
  doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
put_digits (char *p,
            int   value,
            int   n)
{
  for (int i = n - 1; i >= 0; i--)
    {
      p[i] = '0' + value % 10;
      value /= 10;
    }
}

void
sandbox_time_format (gint64 unix_time,
                     char   buf[32])
{
  gint64 days = unix_time >= 0 ? unix_time / 86400 : (unix_time - 86399) / 86400;
  gint64 secs = unix_time - days * 86400;
  gint64 z = days + 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 y = yoe + era * 400;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 d = doy - (153 * mp + 2) / 5 + 1;
  gint64 m = mp < 10 ? mp + 3 : mp - 9;

  y += m <= 2;
  if (y < 0 || y > 9999)
    {
      g_snprintf (buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  (int) y, (int) m, (int) d,
                  (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
      return;
    }
  /* By hand: a page of 1000 records formats 1000 times, and printf was a
   * fifth of the sandbox's time per page. */
  put_digits (buf, (int) y, 4);
  buf[4] = '-';
  put_digits (buf + 5, (int) m, 2);
  buf[7] = '-';
  put_digits (buf + 8, (int) d, 2);
  buf[10] = 'T';
  put_digits (buf + 11, (int) (secs / 3600), 2);
  buf[13] = ':';
  put_digits (buf + 14, (int) (secs / 60 % 60), 2);
  buf[16] = ':';
  put_digits (buf + 17, (int) (secs % 60), 2);
  buf[19] = 'Z';
  buf[20] = '\0';
}

void
sandbox_json_append_int (GString *out,
                         gint64   value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 v = value < 0 ? -(guint64) value : (guint64) value;

  do
    {
      *--p = '0' + v % 10;
      v /= 10;
    }
  while (v != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

void
sandbox_json_append_time (GString *out,
                          gint64   unix_time)
{
  char buf[32];

  sandbox_time_format (unix_time, buf);
  g_string_append_c (out, '"');
  g_string_append_len (out, buf, strlen (buf));
  g_string_append_c (out, '"');
}

static gboolean
parse_digits (const char **p,
              guint        n,
              int         *value)
{
  int v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      v = v * 10 + ((*p)[i] - '0');
    }
  *p += n;
  *value = v;
  return TRUE;
}

/* Strict ISO 8601: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). */
gboolean
sandbox_time_parse (const char *text,
                    gint64     *unix_time)
{
  static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  const char *p = text;
  int year, month, day, hour, minute, second;
  int off_h = 0, off_m = 0, sign = 1;
  int max_day;

  if (text == NULL)
    return FALSE;
  if (!parse_digits (&p, 4, &year) || *p++ != '-' ||
      !parse_digits (&p, 2, &month) || *p++ != '-' ||
      !parse_digits (&p, 2, &day) || *p++ != 'T' ||
      !parse_digits (&p, 2, &hour) || *p++ != ':' ||
      !parse_digits (&p, 2, &minute) || *p++ != ':' ||
      !parse_digits (&p, 2, &second))
    return FALSE;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'Z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      sign = *p == '-' ? -1 : 1;
      p++;
      if (!parse_digits (&p, 2, &off_h) || *p++ != ':' || !parse_digits (&p, 2, &off_m))
        return FALSE;
      if (off_h > 23 || off_m > 59)
        return FALSE;
    }
  else
    return FALSE;
  if (*p != '\0')
    return FALSE;

  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return FALSE;
  max_day = month_days[month - 1];
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    max_day = 29;
  if (day > max_day)
    return FALSE;

  *unix_time = sandbox_days_from_civil (year, month, day) * 86400
               + hour * 3600 + minute * 60 + second
               - sign * (off_h * 3600 + off_m * 60);
  return TRUE;
}

gboolean
sandbox_json_node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

gboolean
sandbox_json_node_is_int (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

gboolean
sandbox_json_node_is_bool (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN;
}

gboolean
sandbox_json_node_is_number (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 ||
          json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

char *
sandbox_json_strv_to_string (const char * const *strv)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      sandbox_json_append_string (out, strv[i]);
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

GStrv
sandbox_json_strv_from_string (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;

  if (text != NULL && json_parser_load_from_data (parser, text, -1, NULL))
    {
      root = json_parser_get_root (parser);
      if (JSON_NODE_HOLDS_ARRAY (root))
        {
          JsonArray *array = json_node_get_array (root);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *item = json_array_get_element (array, i);

              if (sandbox_json_node_is_string (item))
                g_strv_builder_add (builder, json_node_get_string (item));
            }
        }
    }
  return g_strv_builder_end (builder);
}
