/* luma-iso8601.h: the date-times of docs/api.md, ISO 8601 strings to unix
 * seconds and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Times: unix seconds, UTC. */

/* Accepts YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) (also a lower-case
 * t/z); the fraction is dropped. Returns FALSE for anything else, including
 * impossible dates such as 2026-02-30 and times whose UTC instant is outside
 * 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
gboolean    luma_parse_iso8601      (const char *str,
                                     gint64     *out);
/* YYYY-MM-DDTHH:MM:SSZ; free with g_free(). */
char       *luma_format_iso8601_utc (gint64      unix_seconds);
/* The same into a caller's buffer, without allocating. */
#define LUMA_ISO8601_BUF_SIZE 32
void        luma_format_iso8601_utc_to_buffer (gint64 unix_seconds,
                                               char   buf[LUMA_ISO8601_BUF_SIZE]);

G_END_DECLS
