/* sandbox-json.h: JSON text and date-time helpers of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void      sandbox_json_append_string   (GString    *out,
                                        const char *value);
void      sandbox_json_append_int      (GString    *out,
                                        gint64      value);
void      sandbox_json_append_time     (GString    *out,
                                        gint64      unix_time);
void      sandbox_time_format          (gint64      unix_time,
                                        char        buf[32]);
gboolean  sandbox_time_parse           (const char *text,
                                        gint64     *unix_time);
gint64    sandbox_days_from_civil      (gint64      year,
                                        guint       month,
                                        guint       day);
gboolean  sandbox_json_node_is_string  (JsonNode   *node);
gboolean  sandbox_json_node_is_int     (JsonNode   *node);
gboolean  sandbox_json_node_is_bool    (JsonNode   *node);
gboolean  sandbox_json_node_is_number  (JsonNode   *node);
char     *sandbox_json_strv_to_string  (const char * const *strv);
GStrv     sandbox_json_strv_from_string (const char *text);

G_END_DECLS
