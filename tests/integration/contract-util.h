/* contract-util.h: small helpers shared by the contract tests (test-contract-*.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The contract tests speak plain HTTP to the sandbox through tests/common only; nothing here
 * comes from src/, so a misreading of docs/api.md in the client cannot hide one in the tests.
 */

#pragma once

#include <string.h>

#include "luma-test-sandbox.h"

#define ACME        "acme"
#define ACME_KEY    "acme-key-0001"
#define BETA        "beta"
#define BETA_KEY    "beta-key-0002"
#define ROOT_USER   "root"
#define ROOT_PASS   "s3cret"

/* ---- Requests ----------------------------------------------------------------------------- */

static inline char *
api_url (LumaTestSandbox *sb,
         const char      *path)
{
  return g_strconcat (luma_test_sandbox_get_url (sb), path, NULL);
}

/* A tenant request: key and tenant may be NULL to leave that header out. extra_name/value add
 * one more header when not NULL. */
static inline LumaTestResponse *
tenant_request (LumaTestSandbox *sb,
                const char      *method,
                const char      *path,
                const char      *key,
                const char      *tenant,
                const char      *json_body,
                const char      *extra_name,
                const char      *extra_value)
{
  g_autofree char *url = api_url (sb, path);
  const char *headers[7];
  guint n = 0;

  if (key != NULL)
    {
      headers[n++] = "Luma-api-access-key";
      headers[n++] = key;
    }
  if (tenant != NULL)
    {
      headers[n++] = "Luma-tenant-externalId";
      headers[n++] = tenant;
    }
  if (extra_name != NULL)
    {
      headers[n++] = extra_name;
      headers[n++] = extra_value;
    }
  headers[n] = NULL;

  return luma_test_requestv (method, url, json_body, headers, 0);
}

static inline LumaTestResponse *
tenant_get (LumaTestSandbox *sb,
            const char      *path,
            const char      *key,
            const char      *tenant)
{
  return tenant_request (sb, "GET", path, key, tenant, NULL, NULL, NULL);
}

/* A platform request with a bearer token (NULL: no Authorization header). */
static inline LumaTestResponse *
platform_request (LumaTestSandbox *sb,
                  const char      *method,
                  const char      *path,
                  const char      *token,
                  const char      *json_body,
                  const char      *extra_name,
                  const char      *extra_value)
{
  g_autofree char *url = api_url (sb, path);
  g_autofree char *auth = token != NULL ? g_strdup_printf ("Bearer %s", token) : NULL;
  const char *headers[5];
  guint n = 0;

  if (auth != NULL)
    {
      headers[n++] = "Authorization";
      headers[n++] = auth;
    }
  if (extra_name != NULL)
    {
      headers[n++] = extra_name;
      headers[n++] = extra_value;
    }
  headers[n] = NULL;

  return luma_test_requestv (method, url, json_body, headers, 0);
}

static inline char *
platform_login (LumaTestSandbox *sb,
                const char      *user,
                const char      *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}",
                                           user, password);
  g_autoptr(LumaTestResponse) r = platform_request (sb, "POST", "/platform/login", NULL, body,
                                                    NULL, NULL);

  luma_test_assert_response (r, 200, NULL);
  return g_strdup (json_object_get_string_member (luma_test_response_get_result (r), "token"));
}

/* ---- JSON --------------------------------------------------------------------------------- */

#define get_str(o, m)  contract_get_str ((o), (m), G_STRLOC)
#define get_int(o, m)  contract_get_int ((o), (m), G_STRLOC)
#define get_bool(o, m) contract_get_bool ((o), (m), G_STRLOC)
#define get_obj(o, m)  contract_get_obj ((o), (m), G_STRLOC)
#define get_arr(o, m)  contract_get_arr ((o), (m), G_STRLOC)

static inline JsonNode *
contract_member (JsonObject *o,
                 const char *m,
                 const char *loc)
{
  JsonNode *node;

  if (o == NULL)
    g_error ("%s: no object to read \"%s\" from", loc, m);
  node = json_object_get_member (o, m);
  if (node == NULL)
    g_error ("%s: member \"%s\" is missing", loc, m);
  return node;
}

static inline const char *
contract_get_str (JsonObject *o,
                  const char *m,
                  const char *loc)
{
  JsonNode *node = contract_member (o, m, loc);

  if (json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("%s: member \"%s\" is not a string", loc, m);
  return json_node_get_string (node);
}

static inline gint64
contract_get_int (JsonObject *o,
                  const char *m,
                  const char *loc)
{
  JsonNode *node = contract_member (o, m, loc);

  if (json_node_get_value_type (node) != G_TYPE_INT64)
    g_error ("%s: member \"%s\" is not an integer", loc, m);
  return json_node_get_int (node);
}

static inline gboolean
contract_get_bool (JsonObject *o,
                   const char *m,
                   const char *loc)
{
  JsonNode *node = contract_member (o, m, loc);

  if (json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    g_error ("%s: member \"%s\" is not a boolean", loc, m);
  return json_node_get_boolean (node);
}

static inline JsonObject *
contract_get_obj (JsonObject *o,
                  const char *m,
                  const char *loc)
{
  JsonNode *node = contract_member (o, m, loc);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    g_error ("%s: member \"%s\" is not an object", loc, m);
  return json_node_get_object (node);
}

static inline JsonArray *
contract_get_arr (JsonObject *o,
                  const char *m,
                  const char *loc)
{
  JsonNode *node = contract_member (o, m, loc);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    g_error ("%s: member \"%s\" is not an array", loc, m);
  return json_node_get_array (node);
}

static inline gboolean
is_null_member (JsonObject *o,
                const char *m)
{
  JsonNode *node = json_object_get_member (o, m);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

static inline gboolean
str_in (const char         *s,
        const char * const *values)
{
  return s != NULL && g_strv_contains (values, s);
}

static const char * const license_types[] = { "SESSION", "USER", NULL };
static const char * const initiators[] = { "END_USER", "AGENT", NULL };
static const char * const channels[] = {
  "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL", NULL
};
static const char * const roles[] = {
  "Admin", "Developer", "Analyst", "Self-service", "Guest", NULL
};
static const char * const user_statuses[] = { "ACTIVE", "INACTIVE", NULL };
static const char * const senders[] = { "USER", "BOT", "AGENT", NULL };
static const char * const purchase_kinds[] = {
  "PURCHASE", "REFILL", "REMOVAL", "AUTO_REFILL", NULL
};

/* A contract date-time as the server writes it: seconds, UTC "Z" (section 1). */
#define parse_server_time(s) contract_parse_server_time ((s), G_STRLOC)
static inline GDateTime *
contract_parse_server_time (const char *s,
                            const char *loc)
{
  GDateTime *dt;

  if (s == NULL ||
      !g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$",
                             s, 0, 0))
    g_error ("%s: \"%s\" is not an ISO 8601 UTC date-time with seconds", loc, s ? s : "(null)");
  dt = g_date_time_new_from_iso8601 (s, NULL);
  if (dt == NULL)
    g_error ("%s: \"%s\" is not a valid date-time", loc, s);
  return dt;
}

/* Identifiers of section 1: 1-64 characters of [A-Za-z0-9._:-]. */
static inline gboolean
is_record_id (const char *s)
{
  return s != NULL && g_regex_match_simple ("^[A-Za-z0-9._:-]{1,64}$", s, 0, 0);
}

/* Copies "items" of a resultData into out as JsonObject references. */
static inline void
append_items (GPtrArray  *out,
              JsonObject *result)
{
  JsonArray *items = get_arr (result, "items");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);

      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (out, json_object_ref (json_node_get_object (node)));
    }
}

/* Follows the consumption feed from cursor (NULL: the beginning) until hasMore is false,
 * checking the paging members on each page; returns the items and the last nextCursor. */
static inline GPtrArray *
fetch_feed (LumaTestSandbox *sb,
            const char      *prefix,   /* "" or "/platform/tenants/ID" */
            const char      *key,
            const char      *tenant,
            const char      *token,
            const char      *cursor,
            guint            limit,
            char           **cursor_out)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *next = g_strdup (cursor);
  guint pages = 0;

  for (;;)
    {
      g_autofree char *escaped = g_uri_escape_string (next != NULL ? next : "", NULL, TRUE);
      g_autofree char *path = g_strdup_printf ("%s/subscription/consumption?limit=%u&cursor=%s",
                                               prefix, limit, escaped);
      g_autoptr(LumaTestResponse) r = token != NULL
        ? platform_request (sb, "GET", path, token, NULL, NULL, NULL)
        : tenant_get (sb, path, key, tenant);
      JsonObject *result;
      guint n;

      luma_test_assert_response (r, 200, NULL);
      result = luma_test_response_get_result (r);
      g_assert_true (str_in (get_str (result, "licenseType"), license_types));
      n = json_array_get_length (get_arr (result, "items"));
      g_assert_cmpuint (n, <=, limit);
      append_items (items, result);
      g_assert_cmpint (get_int (result, "remaining"), >=, 0);
      g_free (next);
      next = g_strdup (get_str (result, "nextCursor"));
      g_assert_cmpstr (next, !=, "");
      pages++;
      g_assert_cmpuint (pages, <, 100000);
      if (!get_bool (result, "hasMore"))
        {
          g_assert_cmpint (get_int (result, "remaining"), ==, 0);
          break;
        }
      /* hasMore promises more. */
      g_assert_cmpint (get_int (result, "remaining"), >, 0);
    }

  if (cursor_out != NULL)
    *cursor_out = g_steal_pointer (&next);
  return items;
}

static inline JsonObject *
get_subscription (LumaTestSandbox *sb,
                  const char      *key,
                  const char      *tenant,
                  LumaTestResponse **response_out)
{
  LumaTestResponse *r = tenant_get (sb, "/subscription", key, tenant);

  luma_test_assert_response (r, 200, NULL);
  *response_out = r;
  return luma_test_response_get_result (r);
}
