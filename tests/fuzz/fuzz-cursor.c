/* fuzz-cursor.c: libFuzzer target for the path of a feed cursor
 *
 * The input is a cursor as a server could send it. It travels: the page's
 * nextCursor (luma_consumption_page_from_bytes()) -> the cache, committed
 * with a batch (luma_cache_commit_batch()) -> read back for the next sync
 * (luma_cache_get_cursor()) -> the cursor= query parameter of the next
 * request, escaped as the client escapes it (g_uri_escape_string() with no
 * reserved characters allowed). Properties: a non-empty UTF-8 cursor is
 * accepted and comes back byte for byte at every step (the server's parse
 * of the query gives the same string); anything else is refused by the
 * decoder with a protocol error and never reaches the cache.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "luma-cache-private.h"
#include "luma-page-reader.h"

static LumaCache *cache;

static LumaCache *
get_cache (void)
{
  if (cache == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("fuzz-cursor-XXXXXX", &error);
      g_autofree char *path = NULL;

      g_assert_no_error (error);
      path = g_build_filename (dir, "cache.db", NULL);
      cache = luma_cache_open_path (path, NULL, &error);
      g_assert_no_error (error);
    }
  return cache;
}

static char *
page_body (const char *cursor)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "success");
  json_builder_set_member_name (b, "statusCode");
  json_builder_add_int_value (b, 200);
  json_builder_set_member_name (b, "statusLine");
  json_builder_add_string_value (b, "OK");
  json_builder_set_member_name (b, "errors");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "resultData");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "licenseType");
  json_builder_add_string_value (b, "SESSION");
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "nextCursor");
  json_builder_add_string_value (b, cursor);
  json_builder_set_member_name (b, "hasMore");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "remaining");
  json_builder_add_int_value (b, 0);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* JSON strings cannot carry a NUL through json-glib's C strings. */
  g_autofree char *cursor = g_strndup ((const char *) data, size);
  g_autofree char *json = page_body (cursor);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autoptr(LumaConsumptionPage) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) params = NULL;
  gboolean expect_ok = *cursor != '\0' && g_utf8_validate (cursor, -1, NULL);

  fuzz_quiet_logs ();

  page = luma_consumption_page_from_bytes (body, 200, &error);
  if (!expect_ok)
    {
      g_assert (page == NULL);
      fuzz_check_error (error, "resultData.nextCursor");
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (page->next_cursor, ==, cursor);

  g_assert (luma_cache_commit_batch (get_cache (), page->next_cursor, NULL, &error));
  g_assert_no_error (error);
  stored = luma_cache_get_cursor (get_cache (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, cursor);

  escaped = g_uri_escape_string (stored, NULL, FALSE);
  url = g_strdup_printf ("https://luma.example/gateway/api/v1/subscription/consumption"
                         "?limit=1000&cursor=%s", escaped);
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, &error);
  g_assert_no_error (error);
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (params, "cursor"), ==, cursor);
  g_assert_cmpstr (g_hash_table_lookup (params, "limit"), ==, "1000");
  return 0;
}
