/* sandbox-server.c: the HTTP side of the sandbox
 *
 * One SoupServer handler routes every request: the contract's endpoints
 * under SANDBOX_BASE_PATH (with faults and latency) and the control
 * endpoints under /sandbox (without).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sandbox-server.h"
#include "sandbox-json.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define MAX_SAFE_INTEGER G_GINT64_CONSTANT (9007199254740991)
#define MAX_REFILL_CHANGE G_GINT64_CONSTANT (1000000)

struct _SandboxServer
{
  SoupServer    *soup;
  SandboxStore  *store;
  SandboxFaults *faults;
  GHashTable    *superadmins;
  GHashTable    *tokens;         /* token -> Token */
  gint64         token_lifetime;
  guint          latency_ms;
  guint          slow_ms;
  GList         *delayed;        /* Delayed */
};

typedef struct
{
  char   *user;
  gint64  expires_us;
} Token;

typedef struct
{
  SandboxServer     *self;
  SoupServerMessage *msg;
  SandboxFaultKind   fault;
  guint              source_id;
  gulong             disconnected_id;
} Delayed;

typedef enum
{
  R_SUBSCRIPTION,
  R_CONTACTS,
  R_CONSUMPTION,
  R_PURCHASES,
  R_CONVERSATIONS,
  R_REFILLS,
} Resource;

static void
token_free (Token *token)
{
  g_free (token->user);
  g_free (token);
}

/* ---- answers ---- */

/* libsoup 3.2 knows no phrase for some codes of the contract. */
static const char *
status_phrase (guint status)
{
  switch (status)
    {
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    default: return soup_status_get_phrase (status);
    }
}

static void
set_status (SoupServerMessage *msg,
            guint              status)
{
  soup_server_message_set_status (msg, status, status_phrase (status));
}

static void
set_body (SoupServerMessage *msg,
          guint              status,
          GString           *body)
{
  gsize len = body->len;

  set_status (msg, status);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), len);
}

static GString *
envelope_begin (guint status)
{
  GString *out = g_string_sized_new (256);

  g_string_append_printf (out, "{\"status\":\"%s\",\"statusCode\":%u,\"statusLine\":",
                          status >= 200 && status < 300 ? "success" : "failure", status);
  sandbox_json_append_string (out, status_phrase (status));
  return out;
}

static void
reply_ok (SoupServerMessage *msg,
          guint              status,
          const char        *result)
{
  GString *out = envelope_begin (status);

  g_string_append (out, ",\"errors\":[],\"resultData\":");
  g_string_append (out, result);
  g_string_append_c (out, '}');
  set_body (msg, status, out);
}

static char *
envelope_failure (guint       status,
                  const char *errors,
                  const char *result)
{
  GString *out = envelope_begin (status);

  g_string_append (out, ",\"errors\":");
  g_string_append (out, errors);
  g_string_append (out, ",\"resultData\":");
  g_string_append (out, result != NULL ? result : "null");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
reply_failure (SoupServerMessage *msg,
               guint              status,
               const char        *errors,
               const char        *result)
{
  char *body = envelope_failure (status, errors, result);

  set_status (msg, status);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
append_error (GString    *errors,
              const char *code,
              const char *field,
              const char *message)
{
  /* Fields and messages may quote request bytes that are not UTF-8. */
  g_autofree char *valid_field = field != NULL ? g_utf8_make_valid (field, -1) : NULL;
  g_autofree char *valid_message = message != NULL ? g_utf8_make_valid (message, -1) : NULL;

  field = valid_field;
  message = valid_message;
  if (errors->len > 1)
    g_string_append_c (errors, ',');
  g_string_append (errors, "{\"code\":");
  sandbox_json_append_string (errors, code);
  if (field != NULL)
    {
      g_string_append (errors, ",\"field\":");
      sandbox_json_append_string (errors, field);
    }
  if (message != NULL)
    {
      g_string_append (errors, ",\"message\":");
      sandbox_json_append_string (errors, message);
    }
  g_string_append_c (errors, '}');
}

static void
append_error_printf (GString    *errors,
                     const char *code,
                     const char *field,
                     const char *format,
                     ...) G_GNUC_PRINTF (4, 5);

static void
append_error_printf (GString    *errors,
                     const char *code,
                     const char *field,
                     const char *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  append_error (errors, code, field, message);
}

static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *code,
             const char        *field,
             const char        *format,
             ...) G_GNUC_PRINTF (5, 6);

static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *code,
             const char        *field,
             const char        *format,
             ...)
{
  g_autoptr(GString) errors = g_string_new ("[");
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  append_error (errors, code, field, message);
  g_string_append_c (errors, ']');
  reply_failure (msg, status, errors->str, NULL);
}

/* Errors collected by a validation: "[" plus the VALIDATION_FAILED head. */
static GString *
validation_begin (void)
{
  GString *errors = g_string_new ("[");

  append_error (errors, "VALIDATION_FAILED", NULL, "the request has invalid fields");
  return errors;
}

static gboolean
validation_failed (GString *errors)
{
  static gsize head_len = 0;

  if (head_len == 0)
    {
      GString *head = validation_begin ();

      head_len = head->len;
      g_string_free (head, TRUE);
    }
  return errors->len > head_len;
}

static void
reply_validation (SoupServerMessage *msg,
                  GString           *errors)
{
  g_string_append_c (errors, ']');
  reply_failure (msg, 422, errors->str, NULL);
}

static char *
make_etag (const char *prefix,
           const char *content)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, content, -1);

  return g_strdup_printf ("\"%s-%.16s\"", prefix, hash);
}

static gboolean
etag_matches (const char *header,
              const char *etag)
{
  g_auto(GStrv) parts = NULL;

  if (header == NULL)
    return FALSE;
  parts = g_strsplit (header, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *tag = g_strstrip (parts[i]);

      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (strcmp (tag, "*") == 0 || strcmp (tag, etag) == 0)
        return TRUE;
    }
  return FALSE;
}

/* 200 with an ETag, or 304 with no body when the client has it already. */
static void
reply_cacheable (SoupServerMessage *msg,
                 const char        *prefix,
                 const char        *result)
{
  g_autofree char *etag = make_etag (prefix, result);
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  if (etag_matches (soup_message_headers_get_one (request, "If-None-Match"), etag))
    {
      set_status (msg, SOUP_STATUS_NOT_MODIFIED);
      return;
    }
  reply_ok (msg, 200, result);
}

/* ---- JSON of resources ---- */

static void
append_time_member (GString    *out,
                    const char *name,
                    gint64      t)
{
  g_string_append_printf (out, ",\"%s\":", name);
  sandbox_json_append_time (out, t);
}

static void
append_summary (GString       *out,
                SandboxTenant *t,
                gboolean       with_details)
{
  g_string_append (out, "{\"externalId\":");
  sandbox_json_append_string (out, t->external_id);
  if (with_details)
    {
      g_string_append (out, ",\"tenantName\":");
      sandbox_json_append_string (out, t->name);
      g_string_append_printf (out, ",\"licenseType\":\"%s\"", sandbox_license_names[t->license]);
      append_time_member (out, "startDate", t->start);
      append_time_member (out, "endDate", t->end);
    }
  g_string_append_printf (out,
                          ",\"totalPurchase\":%" G_GINT64_FORMAT ",\"consumed\":%" G_GINT64_FORMAT
                          ",\"available\":%" G_GINT64_FORMAT ",\"overage\":%" G_GINT64_FORMAT,
                          t->total, t->consumed,
                          MAX (0, t->total - t->consumed), MAX (0, t->consumed - t->total));
  if (with_details)
    {
      if (t->last_refill_change == 0)
        g_string_append (out, ",\"lastRefill\":null");
      else
        {
          g_string_append (out, ",\"lastRefill\":{\"at\":");
          sandbox_json_append_time (out, t->last_refill_at);
          g_string_append_printf (out, ",\"change\":%" G_GINT64_FORMAT "}", t->last_refill_change);
        }
    }
  g_string_append_c (out, '}');
}

static void
append_subscription (GString       *out,
                     SandboxTenant *t)
{
  g_autofree char *technical = sandbox_json_strv_to_string ((const char * const *) t->technical);
  g_autofree char *billing = sandbox_json_strv_to_string ((const char * const *) t->billing);

  g_string_append (out, "{\"externalId\":");
  sandbox_json_append_string (out, t->external_id);
  g_string_append (out, ",\"tenantName\":");
  sandbox_json_append_string (out, t->name);
  g_string_append_printf (out, ",\"licenseType\":\"%s\"", sandbox_license_names[t->license]);
  append_time_member (out, "startDate", t->start);
  append_time_member (out, "endDate", t->end);
  g_string_append_printf (out,
                          ",\"sessionDurationMinutes\":%" G_GINT64_FORMAT
                          ",\"totalPurchase\":%" G_GINT64_FORMAT ",\"consumed\":%" G_GINT64_FORMAT
                          ",\"available\":%" G_GINT64_FORMAT ",\"overage\":%" G_GINT64_FORMAT,
                          t->session_minutes, t->total, t->consumed,
                          MAX (0, t->total - t->consumed), MAX (0, t->consumed - t->total));
  g_string_append_printf (out, ",\"technicalEmails\":%s,\"billingEmails\":%s,\"version\":%" G_GINT64_FORMAT "}",
                          technical, billing, t->version);
}

static char *
contacts_json (SandboxTenant *t)
{
  g_autofree char *technical = sandbox_json_strv_to_string ((const char * const *) t->technical);
  g_autofree char *billing = sandbox_json_strv_to_string ((const char * const *) t->billing);

  return g_strdup_printf ("{\"technicalEmails\":%s,\"billingEmails\":%s,\"version\":%" G_GINT64_FORMAT "}",
                          technical, billing, t->version);
}

/* ---- input ---- */

static void
reply_store_error (SoupServerMessage *msg,
                   GError            *error)
{
  g_warning ("%s", error->message);
  reply_error (msg, 500, "SERVER_ERROR", NULL, "%s", error->message);
}

/* The request body as a JSON object, or NULL after answering 400. */
static JsonNode *
parse_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (type != NULL && g_ascii_strcasecmp (type, "application/json") != 0)
    {
      reply_error (msg, 400, "INVALID_BODY", NULL, "Content-Type must be application/json, not %s", type);
      return NULL;
    }
  if (len == 0 || !g_utf8_validate (data, len, NULL) || memchr (data, '\0', len) != NULL)
    {
      reply_error (msg, 400, "INVALID_BODY", NULL, "the body must be a JSON object in UTF-8");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      reply_error (msg, 400, "INVALID_BODY", NULL, "the body is not JSON: %s", error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      reply_error (msg, 400, "INVALID_BODY", NULL, "the body must be a JSON object");
      return NULL;
    }
  return json_node_copy (root);
}

/* Members of @object not in @allowed: answered 400 INVALID_BODY. */
static gboolean
check_members (SoupServerMessage  *msg,
               JsonObject         *object,
               const char * const *allowed)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        reply_error (msg, 400, "INVALID_BODY", l->data, "unknown member \"%s\"", (const char *) l->data);
        return FALSE;
      }
  return TRUE;
}

static gboolean
check_query (SoupServerMessage  *msg,
             GHashTable         *query,
             const char * const *allowed)
{
  GHashTableIter iter;
  gpointer key;

  if (query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_strv_contains (allowed, key))
      {
        reply_error (msg, 400, "INVALID_PARAMETER", key, "unknown parameter \"%s\"", (const char *) key);
        return FALSE;
      }
  return TRUE;
}

static gboolean
valid_record_id (const char *id)
{
  gsize len = strlen (id);

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._:-", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
valid_email (const char *address)
{
  gsize len = strlen (address);
  const char *at = strchr (address, '@');
  const char *label;
  guint labels = 0;

  if (len < 3 || len > 254 || at == NULL || strchr (at + 1, '@') != NULL)
    return FALSE;
  if (at == address || at - address > 64)
    return FALSE;
  for (const char *p = address; p < at; p++)
    if ((guchar) *p <= 0x20 || *p == 0x7f)
      return FALSE;

  label = at + 1;
  for (;;)
    {
      const char *end = label;

      while (*end != '\0' && *end != '.')
        end++;
      if (end == label || end - label > 63 || *label == '-' || end[-1] == '-')
        return FALSE;
      for (const char *p = label; p < end; p++)
        if (!g_ascii_isalnum (*p) && *p != '-')
          return FALSE;
      labels++;
      if (*end == '\0')
        break;
      label = end + 1;
    }
  return labels >= 2;
}

/* An email list member of a body. NULL after answering 400 when its shape
 * is wrong; validation problems go to @errors. */
static GStrv
read_email_list (SoupServerMessage *msg,
                 JsonObject        *object,
                 const char        *name,
                 GString           *errors)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      reply_error (msg, 400, "INVALID_BODY", name, "\"%s\" must be an array of strings", name);
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      g_autofree char *copy = NULL;

      if (!sandbox_json_node_is_string (item))
        {
          g_autofree char *field = g_strdup_printf ("%s[%u]", name, i);

          reply_error (msg, 400, "INVALID_BODY", field, "\"%s\" must be an array of strings", name);
          return NULL;
        }
      copy = g_strdup (json_node_get_string (item));
      g_strv_builder_add (builder, g_strstrip (copy));
    }
  list = g_strv_builder_end (builder);

  if (n == 0)
    append_error_printf (errors, "EMPTY_LIST", name, "\"%s\" needs at least one address", name);
  else if (n > 20)
    append_error_printf (errors, "INVALID_VALUE", name, "\"%s\" holds at most 20 addresses", name);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *field = g_strdup_printf ("%s[%u]", name, i);
      gboolean duplicate = FALSE;

      if (!valid_email (list[i]))
        {
          append_error_printf (errors, "INVALID_EMAIL", field, "\"%s\" is not a valid email address", list[i]);
          continue;
        }
      for (guint j = 0; j < i && !duplicate; j++)
        duplicate = g_ascii_strcasecmp (list[i], list[j]) == 0;
      if (duplicate)
        append_error_printf (errors, "DUPLICATE_EMAIL", field, "\"%s\" appears twice", list[i]);
    }
  return g_steal_pointer (&list);
}

static gboolean
strv_equal (GStrv a,
            GStrv b)
{
  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

/* ---- cursors ---- */

static char *base64url (const guchar *data, gsize len);

static char *
cursor_encode (SandboxTenant *t,
               gint64         seq)
{
  g_autofree char *plain = g_strdup_printf ("v1:%08" G_GINT64_MODIFIER "x:%" G_GINT64_FORMAT,
                                            t->feed_id, seq);

  return base64url ((const guchar *) plain, strlen (plain));
}

/* The text of a base64url string without padding; NULL when it is not one
 * or holds a NUL byte. */
static char *
base64url_to_text (const char *encoded)
{
  g_autoptr(GString) b64 = g_string_new (NULL);
  g_autofree guchar *plain = NULL;
  char *text;
  gsize len;

  for (const char *p = encoded; *p != '\0'; p++)
    {
      if (*p == '-')
        g_string_append_c (b64, '+');
      else if (*p == '_')
        g_string_append_c (b64, '/');
      else if (g_ascii_isalnum (*p))
        g_string_append_c (b64, *p);
      else
        return NULL;
    }
  if (b64->len % 4 == 1)
    return NULL;
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  plain = g_base64_decode (b64->str, &len);
  text = g_strndup ((const char *) plain, len);
  if (strlen (text) != len)
    {
      g_free (text);
      return NULL;
    }
  return text;
}

static gboolean
cursor_decode (SandboxTenant *t,
               const char    *cursor,
               gint64        *seq)
{
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  const char *p;
  gint64 value = 0;

  if (strlen (cursor) > 128 || (text = base64url_to_text (cursor)) == NULL)
    return FALSE;

  expected = g_strdup_printf ("v1:%08" G_GINT64_MODIFIER "x:", t->feed_id);
  if (!g_str_has_prefix (text, expected))
    return FALSE;
  p = text + strlen (expected);
  if (*p == '\0' || strlen (p) > 15 || (*p == '0' && p[1] != '\0'))
    return FALSE;
  for (; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (*p - '0');
    }
  if (value > t->last_seq)
    return FALSE;

  /* Only the canonical spelling is a cursor this server gave out. */
  g_free (expected);
  expected = cursor_encode (t, value);
  if (strcmp (expected, cursor) != 0)
    return FALSE;
  *seq = value;
  return TRUE;
}

/* A page of the tenant list ends after a tenant: the cursor names it, so a
 * tenant added while a client pages appears once or not at all. */
static char *
tenant_cursor_encode (const char *external_id)
{
  g_autofree char *plain = g_strconcat ("t1:", external_id, NULL);

  return base64url ((const guchar *) plain, strlen (plain));
}

/* Returns the external id a cursor names (which need not exist any more). */
static char *
tenant_cursor_decode (const char *cursor)
{
  g_autofree char *text = NULL;
  g_autofree char *canonical = NULL;
  const char *id;
  gsize len;

  if (strlen (cursor) > 128 || (text = base64url_to_text (cursor)) == NULL ||
      !g_str_has_prefix (text, "t1:"))
    return NULL;
  id = text + 3;
  len = strlen (id);
  if (len < 1 || len > 64)
    return NULL;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
      return NULL;
  canonical = tenant_cursor_encode (id);
  if (strcmp (canonical, cursor) != 0)
    return NULL;
  return g_strdup (id);
}

/* ---- tenant resources ---- */

static void
handle_subscription (SandboxServer     *self,
                     SoupServerMessage *msg,
                     SandboxTenant     *t)
{
  g_autoptr(GString) out = g_string_sized_new (512);

  append_subscription (out, t);
  reply_cacheable (msg, "sub", out->str);
}

static void
handle_contacts (SandboxServer     *self,
                 SoupServerMessage *msg,
                 SandboxTenant     *t)
{
  const char *if_match = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-Match");
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) errors = NULL;
  g_auto(GStrv) technical = NULL;
  g_auto(GStrv) billing = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tag = NULL;
  gint64 version = -1;
  const char *p;
  static const char * const members[] = { "technicalEmails", "billingEmails", NULL };

  if (if_match == NULL)
    {
      reply_error (msg, 428, "PRECONDITION_REQUIRED", "If-Match",
                   "If-Match with the version of the contacts is required");
      return;
    }
  tag = g_strstrip (g_strdup (if_match));
  if (strlen (tag) >= 3 && strlen (tag) <= 17 && tag[0] == '"' && tag[strlen (tag) - 1] == '"')
    {
      version = 0;
      for (p = tag + 1; *p != '"'; p++)
        {
          if (!g_ascii_isdigit (*p))
            {
              version = -1;
              break;
            }
          version = version * 10 + (*p - '0');
        }
    }
  if (version < 0)
    {
      reply_error (msg, 400, "INVALID_PARAMETER", "If-Match",
                   "If-Match must be the version as a quoted entity tag, like \"7\"");
      return;
    }
  if (version != t->version)
    {
      g_autoptr(GString) errs = g_string_new ("[");
      g_autofree char *current = contacts_json (t);

      append_error_printf (errs, "VERSION_MISMATCH", NULL,
                           "contacts changed since version %" G_GINT64_FORMAT, version);
      g_string_append_c (errs, ']');
      reply_failure (msg, 412, errs->str, current);
      return;
    }

  root = parse_body (msg);
  if (root == NULL || !check_members (msg, json_node_get_object (root), members))
    return;
  errors = validation_begin ();
  technical = read_email_list (msg, json_node_get_object (root), "technicalEmails", errors);
  if (technical == NULL)
    return;
  billing = read_email_list (msg, json_node_get_object (root), "billingEmails", errors);
  if (billing == NULL)
    return;
  if (validation_failed (errors))
    {
      reply_validation (msg, errors);
      return;
    }

  /* The version counts changes of the lists, not saves. */
  if (!strv_equal (technical, t->technical) || !strv_equal (billing, t->billing))
    {
      GStrv old_technical = t->technical;
      GStrv old_billing = t->billing;

      t->technical = g_steal_pointer (&technical);
      t->billing = g_steal_pointer (&billing);
      t->version++;
      if (!sandbox_store_save_tenant (self->store, t, &error))
        {
          g_strfreev (t->technical);
          g_strfreev (t->billing);
          t->technical = old_technical;
          t->billing = old_billing;
          t->version--;
          reply_store_error (msg, error);
          return;
        }
      g_strfreev (old_technical);
      g_strfreev (old_billing);
    }
  out = g_string_new (NULL);
  append_subscription (out, t);
  reply_ok (msg, 200, out->str);
}

static void
handle_consumption (SandboxServer     *self,
                    SoupServerMessage *msg,
                    SandboxTenant     *t,
                    GHashTable        *query)
{
  static const char * const params[] = { "cursor", "limit", NULL };
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  gint64 limit = 500;
  gint64 after = 0;
  gint64 last_seq, remaining;
  gboolean has_more;

  if (!check_query (msg, query, params))
    return;
  if (limit_text != NULL)
    {
      gsize len = strlen (limit_text);

      limit = 0;
      for (gsize i = 0; i < len && limit <= 1000; i++)
        limit = g_ascii_isdigit (limit_text[i]) ? limit * 10 + (limit_text[i] - '0') : 1001;
      if (len == 0 || limit < 1 || limit > 1000)
        {
          reply_error (msg, 400, "INVALID_PARAMETER", "limit",
                       "limit must be an integer from 1 to 1000, not \"%s\"", limit_text);
          return;
        }
    }
  if (cursor != NULL && *cursor != '\0' && !cursor_decode (t, cursor, &after))
    {
      reply_error (msg, 400, "INVALID_CURSOR", "cursor", "the cursor is not one of this tenant's");
      return;
    }

  /* The envelope is written around the items in place: no copy of a page. */
  out = envelope_begin (200);
  g_string_append (out, ",\"errors\":[],\"resultData\":");
  g_string_append_printf (out, "{\"licenseType\":\"%s\",\"items\":", sandbox_license_names[t->license]);
  if (!sandbox_store_page (self->store, t, after, limit, out, &last_seq, &has_more, &remaining, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  next = cursor_encode (t, last_seq);
  g_string_append_printf (out, ",\"nextCursor\":\"%s\",\"hasMore\":%s,\"remaining\":%" G_GINT64_FORMAT "}}",
                          next, has_more ? "true" : "false", remaining);
  set_body (msg, 200, g_steal_pointer (&out));
}

static void
handle_purchases (SandboxServer     *self,
                  SoupServerMessage *msg,
                  SandboxTenant     *t)
{
  g_autoptr(GString) out = g_string_new ("{\"items\":");
  g_autoptr(GError) error = NULL;

  if (!sandbox_store_purchases (self->store, t, out, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  g_string_append_c (out, '}');
  reply_cacheable (msg, "pur", out->str);
}

static void
handle_conversations (SandboxServer     *self,
                      SoupServerMessage *msg,
                      SandboxTenant     *t,
                      GHashTable        *query)
{
  static const char * const params[] = { "sessionId", "userId", NULL };
  const char *wanted = t->license == SANDBOX_LICENSE_SESSION ? "sessionId" : "userId";
  const char *other = t->license == SANDBOX_LICENSE_SESSION ? "userId" : "sessionId";
  const char *id = query != NULL ? g_hash_table_lookup (query, wanted) : NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  gboolean found;

  if (!check_query (msg, query, params))
    return;
  if (query != NULL && g_hash_table_contains (query, other))
    {
      reply_error (msg, 400, "INVALID_PARAMETER", other, "a %s tenant takes %s, not %s",
                   sandbox_license_names[t->license], wanted, other);
      return;
    }
  if (id == NULL || !valid_record_id (id))
    {
      reply_error (msg, 400, "INVALID_PARAMETER", wanted, "%s must be an id of 1-64 characters of [A-Za-z0-9._:-]",
                   wanted);
      return;
    }
  out = g_string_new ("{\"items\":");
  if (!sandbox_store_conversations (self->store, t, id, out, &found, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  if (!found)
    {
      reply_error (msg, 404, "NOT_FOUND", wanted, "no record \"%s\"", id);
      return;
    }
  g_string_append_c (out, '}');
  reply_ok (msg, 200, out->str);
}

static gboolean
valid_idempotency_key (const char *key)
{
  gsize len = strlen (key);

  if (len < 1 || len > 255)
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static void
handle_refills (SandboxServer     *self,
                SoupServerMessage *msg,
                SandboxTenant     *t,
                const char        *user)
{
  static const char * const members[] = { "change", "reason", "reference", NULL };
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "Idempotency-Key");
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GChecksum) sum = NULL;
  g_autofree char *stored_fingerprint = NULL;
  g_autofree char *stored_body = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *reference = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) errors = NULL;
  g_autoptr(GString) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  const char *fingerprint;
  guint stored_status = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonObject *object;
  JsonNode *node;
  gint64 change = 0;
  gint64 total_before = t->total;
  gint64 next_purchase_before = t->next_purchase;
  gint64 last_refill_before[3] = { t->last_refill_at, t->last_refill_change, t->last_refill_number };

  if (key == NULL || *key == '\0')
    {
      reply_error (msg, 400, "IDEMPOTENCY_KEY_REQUIRED", "Idempotency-Key", "a refill needs an Idempotency-Key header");
      return;
    }
  if (!valid_idempotency_key (key))
    {
      reply_error (msg, 400, "INVALID_PARAMETER", "Idempotency-Key",
                   "Idempotency-Key must be 1-255 printable ASCII characters");
      return;
    }

  raw = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) t->external_id, strlen (t->external_id) + 1);
  g_checksum_update (sum, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  fingerprint = g_checksum_get_string (sum);
  if (!sandbox_store_idempotency_get (self->store, key, now - 86400, &stored_fingerprint,
                                      &stored_status, &stored_body, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  if (stored_fingerprint != NULL)
    {
      if (strcmp (stored_fingerprint, fingerprint) != 0)
        {
          reply_error (msg, 409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key",
                       "this Idempotency-Key was used with another request");
          return;
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Idempotent-Replayed", "true");
      {
        char *replay = g_steal_pointer (&stored_body);

        set_status (msg, stored_status);
        soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, replay, strlen (replay));
      }
      return;
    }

  root = parse_body (msg);
  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;

  errors = validation_begin ();
  node = json_object_get_member (object, "change");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    append_error (errors, "REQUIRED", "change", "change is required");
  else if (!sandbox_json_node_is_int (node) ||
           (change = json_node_get_int (node)) == 0 || change < -MAX_REFILL_CHANGE || change > MAX_REFILL_CHANGE)
    append_error (errors, "INVALID_VALUE", "change", "change must be a non-zero integer from -1000000 to 1000000");
  else if (t->total + change > MAX_SAFE_INTEGER)
    append_error (errors, "INVALID_VALUE", "change", "the total purchase would be too large");

  node = json_object_get_member (object, "reason");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    append_error (errors, "REQUIRED", "reason", "reason is required");
  else if (!sandbox_json_node_is_string (node))
    append_error (errors, "INVALID_VALUE", "reason", "reason must be a string");
  else
    {
      reason = g_strstrip (g_strdup (json_node_get_string (node)));
      if (*reason == '\0')
        append_error (errors, "REQUIRED", "reason", "reason is required");
      else if (g_utf8_strlen (reason, -1) > 500)
        append_error (errors, "INVALID_VALUE", "reason", "reason is longer than 500 characters");
    }

  node = json_object_get_member (object, "reference");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!sandbox_json_node_is_string (node))
        append_error (errors, "INVALID_VALUE", "reference", "reference must be a string or null");
      else
        {
          reference = g_strstrip (g_strdup (json_node_get_string (node)));
          if (*reference == '\0' || g_utf8_strlen (reference, -1) > 100)
            append_error (errors, "INVALID_VALUE", "reference", "reference must be 1-100 characters");
        }
    }
  if (validation_failed (errors))
    {
      reply_validation (msg, errors);
      return;
    }

  if (change < 0 && t->total + change < t->consumed)
    {
      reply_error (msg, 409, "BELOW_CONSUMED", "change",
                   "removing %" G_GINT64_FORMAT " would bring the total purchase %" G_GINT64_FORMAT
                   " below consumed %" G_GINT64_FORMAT, -change, t->total, t->consumed);
      return;
    }

  result = g_string_new ("{\"purchase\":");
  if (!sandbox_store_begin (self->store, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  if (!sandbox_store_add_purchase (self->store, t, now, change > 0 ? SANDBOX_KIND_REFILL : SANDBOX_KIND_REMOVAL,
                                   change, user, reason, reference, result, &error) ||
      !sandbox_store_save_tenant (self->store, t, &error))
    goto failed;
  g_string_append (result, ",\"subscription\":");
  append_summary (result, t, FALSE);
  g_string_append_c (result, '}');
  {
    GString *envelope = envelope_begin (201);

    g_string_append (envelope, ",\"errors\":[],\"resultData\":");
    g_string_append (envelope, result->str);
    g_string_append_c (envelope, '}');
    body = g_string_free (envelope, FALSE);
  }
  if (!sandbox_store_idempotency_put (self->store, key, fingerprint, now, 201, body, &error) ||
      !sandbox_store_commit (self->store, &error))
    goto failed;
  set_status (msg, 201);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
  return;

failed:
  sandbox_store_rollback (self->store);
  /* Keep the tenant in memory as the database has it. */
  t->total = total_before;
  t->next_purchase = next_purchase_before;
  t->last_refill_at = last_refill_before[0];
  t->last_refill_change = last_refill_before[1];
  t->last_refill_number = last_refill_before[2];
  reply_store_error (msg, error);
}

/* ---- authentication ---- */

static SandboxTenant *
authenticate_tenant (SandboxServer     *self,
                     SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "Luma-api-access-key");
  const char *external_id = soup_message_headers_get_one (headers, "Luma-tenant-externalId");
  SandboxTenant *t;

  if (key == NULL || *key == '\0' || external_id == NULL || *external_id == '\0')
    {
      reply_error (msg, 401, "UNAUTHENTICATED", NULL,
                   "Luma-api-access-key and Luma-tenant-externalId are required");
      return NULL;
    }
  t = sandbox_store_lookup_key (self->store, key);
  if (t == NULL)
    {
      reply_error (msg, 401, "UNAUTHENTICATED", NULL, "no such API access key");
      return NULL;
    }
  if (strcmp (t->external_id, external_id) != 0)
    {
      reply_error (msg, 403, "WRONG_TENANT", NULL, "the key belongs to another tenant than \"%s\"", external_id);
      return NULL;
    }
  if (!t->key_active)
    {
      reply_error (msg, 403, "KEY_INACTIVE", NULL, "the API access key is inactive");
      return NULL;
    }
  if (!t->key_permission)
    {
      reply_error (msg, 403, "PERMISSION_DENIED", NULL, "the API access key lacks the Tenant Settings permission");
      return NULL;
    }
  return t;
}

static const char *
authenticate_platform (SandboxServer     *self,
                       SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  Token *token;

  if (authorization == NULL)
    {
      if (soup_message_headers_get_one (headers, "Luma-api-access-key") != NULL ||
          soup_message_headers_get_one (headers, "Luma-tenant-externalId") != NULL)
        reply_error (msg, 403, "TENANT_KEY_ON_PLATFORM", NULL,
                     "platform endpoints take a superadmin bearer token, not a tenant key");
      else
        reply_error (msg, 401, "UNAUTHENTICATED", NULL, "Authorization: Bearer is required");
      return NULL;
    }
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0 || authorization[7] == '\0')
    {
      reply_error (msg, 401, "UNAUTHENTICATED", NULL, "Authorization must be a Bearer token");
      return NULL;
    }
  token = g_hash_table_lookup (self->tokens, authorization + 7);
  if (token == NULL || g_get_real_time () >= token->expires_us)
    {
      reply_error (msg, 401, "TOKEN_EXPIRED", NULL, "the bearer token expired or is unknown");
      return NULL;
    }
  return token->user;
}

static char *
base64url (const guchar *data,
           gsize         len)
{
  char *b64 = g_base64_encode (data, len);

  for (char *p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return b64;
}

static void
handle_login (SandboxServer     *self,
              SoupServerMessage *msg)
{
  static const char * const members[] = { "username", "password", NULL };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GString) out = NULL;
  g_autofree char *payload_json = NULL;
  g_autofree char *header = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;
  guchar random[32];
  JsonObject *object;
  JsonNode *user, *password;
  const char *expected;
  Token *token;
  char *token_text;
  gint64 now_us = g_get_real_time ();

  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;
  user = json_object_get_member (object, "username");
  password = json_object_get_member (object, "password");
  if (!sandbox_json_node_is_string (user) || !sandbox_json_node_is_string (password))
    {
      reply_error (msg, 400, "INVALID_BODY", sandbox_json_node_is_string (user) ? "password" : "username",
                   "username and password are required strings");
      return;
    }
  expected = g_hash_table_lookup (self->superadmins, json_node_get_string (user));
  if (expected == NULL || strcmp (expected, json_node_get_string (password)) != 0)
    {
      reply_error (msg, 401, "INVALID_CREDENTIALS", NULL, "wrong username or password");
      return;
    }

  for (guint i = 0; i < sizeof random; i += 4)
    {
      guint32 r = g_random_int ();

      memcpy (random + i, &r, 4);
    }
  header = base64url ((const guchar *) "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
  payload_json = g_strdup_printf ("{\"sub\":\"%s\",\"iat\":%" G_GINT64_FORMAT ",\"jti\":\"%08x%08x\"}",
                                  "superadmin", now_us / G_USEC_PER_SEC, g_random_int (), g_random_int ());
  payload = base64url ((const guchar *) payload_json, strlen (payload_json));
  signature = base64url (random, sizeof random);
  token_text = g_strdup_printf ("%s.%s.%s", header, payload, signature);

  token = g_new0 (Token, 1);
  token->user = g_strdup (json_node_get_string (user));
  token->expires_us = now_us + self->token_lifetime * G_USEC_PER_SEC;
  g_hash_table_insert (self->tokens, token_text, token);

  out = g_string_new ("{\"token\":");
  sandbox_json_append_string (out, token_text);
  g_string_append_printf (out, ",\"tokenType\":\"Bearer\",\"expiresIn\":%" G_GINT64_FORMAT, self->token_lifetime);
  append_time_member (out, "expiresAt", token->expires_us / G_USEC_PER_SEC);
  g_string_append_c (out, '}');
  reply_ok (msg, 200, out->str);
}

/* Reads an optional limit of 1 to 1000; FALSE (answered) when invalid. */
static gboolean
read_limit (SoupServerMessage *msg,
            GHashTable        *query,
            gint64            *limit)
{
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  gsize len;

  if (limit_text == NULL)
    return TRUE;
  len = strlen (limit_text);
  *limit = 0;
  for (gsize i = 0; i < len && *limit <= 1000; i++)
    *limit = g_ascii_isdigit (limit_text[i]) ? *limit * 10 + (limit_text[i] - '0') : 1001;
  if (len == 0 || *limit < 1 || *limit > 1000)
    {
      reply_error (msg, 400, "INVALID_PARAMETER", "limit",
                   "limit must be an integer from 1 to 1000, not \"%s\"", limit_text);
      return FALSE;
    }
  return TRUE;
}

static void
handle_tenants (SandboxServer     *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  static const char * const params[] = { "cursor", "limit", NULL };
  const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *after = NULL;
  gint64 limit = 1000;
  guint first = 0, end;

  if (!check_query (msg, query, params) || !read_limit (msg, query, &limit))
    return;
  if (cursor != NULL && *cursor != '\0' && (after = tenant_cursor_decode (cursor)) == NULL)
    {
      reply_error (msg, 400, "INVALID_CURSOR", "cursor", "the cursor is not one of this list's");
      return;
    }

  tenants = sandbox_store_list_tenants (self->store);
  if (after != NULL)
    {
      guint lo = 0, hi = tenants->len;

      /* The first tenant after the cursor, in externalId order. */
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;

          if (strcmp (((SandboxTenant *) g_ptr_array_index (tenants, mid))->external_id, after) <= 0)
            lo = mid + 1;
          else
            hi = mid;
        }
      first = lo;
    }
  end = MIN (tenants->len, first + (guint) limit);

  out = g_string_new ("{\"items\":[");
  for (guint i = first; i < end; i++)
    {
      if (i > first)
        g_string_append_c (out, ',');
      append_summary (out, g_ptr_array_index (tenants, i), TRUE);
    }
  g_string_append (out, "],\"nextCursor\":");
  if (end < tenants->len)
    {
      g_autofree char *next = tenant_cursor_encode (((SandboxTenant *) g_ptr_array_index (tenants, end - 1))->external_id);

      g_string_append_printf (out, "\"%s\",\"hasMore\":true}", next);
    }
  else
    g_string_append (out, "null,\"hasMore\":false}");
  reply_ok (msg, 200, out->str);
}

/* ---- routing of the contract's endpoints ---- */

static gboolean
method_allowed (SoupServerMessage *msg,
                const char        *allowed)
{
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (method, allowed) == 0 ||
      (strcmp (method, "HEAD") == 0 && strcmp (allowed, "GET") == 0))
    return TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                strcmp (allowed, "GET") == 0 ? "GET, HEAD" : allowed);
  reply_error (msg, 405, "METHOD_NOT_ALLOWED", NULL, "%s is not allowed here; use %s", method, allowed);
  return FALSE;
}

static gboolean
lookup_resource (char     **segments,
                 guint      n,
                 Resource  *resource,
                 const char **method)
{
  if (n == 1 && strcmp (segments[0], "subscription") == 0)
    *resource = R_SUBSCRIPTION, *method = "GET";
  else if (n == 2 && strcmp (segments[0], "subscription") == 0 && strcmp (segments[1], "contacts") == 0)
    *resource = R_CONTACTS, *method = "PUT";
  else if (n == 2 && strcmp (segments[0], "subscription") == 0 && strcmp (segments[1], "consumption") == 0)
    *resource = R_CONSUMPTION, *method = "GET";
  else if (n == 2 && strcmp (segments[0], "subscription") == 0 && strcmp (segments[1], "purchases") == 0)
    *resource = R_PURCHASES, *method = "GET";
  else if (n == 1 && strcmp (segments[0], "conversations") == 0)
    *resource = R_CONVERSATIONS, *method = "GET";
  else
    return FALSE;
  return TRUE;
}

static void
handle_resource (SandboxServer     *self,
                 SoupServerMessage *msg,
                 Resource           resource,
                 SandboxTenant     *t,
                 GHashTable        *query,
                 const char        *user)
{
  static const char * const no_params[] = { NULL };

  if (resource != R_CONSUMPTION && resource != R_CONVERSATIONS && !check_query (msg, query, no_params))
    return;
  switch (resource)
    {
    case R_SUBSCRIPTION:
      handle_subscription (self, msg, t);
      break;
    case R_CONTACTS:
      handle_contacts (self, msg, t);
      break;
    case R_CONSUMPTION:
      handle_consumption (self, msg, t, query);
      break;
    case R_PURCHASES:
      handle_purchases (self, msg, t);
      break;
    case R_CONVERSATIONS:
      handle_conversations (self, msg, t, query);
      break;
    case R_REFILLS:
      handle_refills (self, msg, t, user);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
handle_api (SandboxServer     *self,
            SoupServerMessage *msg,
            const char        *rest,
            GHashTable        *query)
{
  g_auto(GStrv) segments = g_strsplit (*rest == '/' ? rest + 1 : rest, "/", -1);
  guint n = g_strv_length (segments);
  Resource resource;
  const char *method;
  const char *user;
  SandboxTenant *t;

  if (n > 0 && strcmp (segments[0], "platform") == 0)
    {
      static const char * const no_params[] = { NULL };

      if (n == 2 && strcmp (segments[1], "login") == 0)
        {
          if (method_allowed (msg, "POST") && check_query (msg, query, no_params))
            handle_login (self, msg);
          return;
        }
      if (n == 2 && strcmp (segments[1], "tenants") == 0)
        {
          if (method_allowed (msg, "GET") && authenticate_platform (self, msg) != NULL)
            handle_tenants (self, msg, query);
          return;
        }
      if (n >= 4 && strcmp (segments[1], "tenants") == 0)
        {
          if (n == 4 && strcmp (segments[3], "refills") == 0)
            resource = R_REFILLS, method = "POST";
          else if (!lookup_resource (segments + 3, n - 3, &resource, &method))
            goto not_found;
          if (!method_allowed (msg, method) || (user = authenticate_platform (self, msg)) == NULL)
            return;
          t = sandbox_store_lookup (self->store, segments[2]);
          if (t == NULL)
            {
              reply_error (msg, 404, "NOT_FOUND", NULL, "no tenant \"%s\"", segments[2]);
              return;
            }
          handle_resource (self, msg, resource, t, query, user);
          return;
        }
      goto not_found;
    }

  if (!lookup_resource (segments, n, &resource, &method))
    goto not_found;
  if (!method_allowed (msg, method) || (t = authenticate_tenant (self, msg)) == NULL)
    return;
  handle_resource (self, msg, resource, t, query, NULL);
  return;

not_found:
  reply_error (msg, 404, "NOT_FOUND", NULL, "no such endpoint");
}

/* ---- control endpoints ---- */

static gboolean
read_count (SoupServerMessage *msg,
            JsonObject        *object,
            gint64             max,
            gint64            *count)
{
  JsonNode *node = json_object_get_member (object, "count");

  if (!sandbox_json_node_is_int (node) || (*count = json_node_get_int (node)) < 0 || *count > max)
    {
      g_autoptr(GString) errors = validation_begin ();

      append_error_printf (errors, "INVALID_VALUE", "count",
                           "count must be an integer from 0 to %" G_GINT64_FORMAT, max);
      reply_validation (msg, errors);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  SandboxRecord record;
  char         *rid;
} GivenRecord;

static const char *
read_string_member (JsonObject *item,
                    const char *name,
                    gboolean    required,
                    gsize       max_chars,
                    gboolean    allow_empty,
                    const char *prefix,
                    GString    *errors,
                    const char *fallback)
{
  JsonNode *node = json_object_get_member (item, name);
  g_autofree char *field = g_strdup_printf ("%s.%s", prefix, name);
  const char *value;

  if (node == NULL)
    {
      if (required)
        append_error_printf (errors, "REQUIRED", field, "%s is required", name);
      return fallback;
    }
  if (!sandbox_json_node_is_string (node))
    {
      append_error_printf (errors, "INVALID_VALUE", field, "%s must be a string", name);
      return fallback;
    }
  value = json_node_get_string (node);
  if ((!allow_empty && *value == '\0') || g_utf8_strlen (value, -1) > (glong) max_chars)
    {
      append_error_printf (errors, "INVALID_VALUE", field, "%s must be %s-%" G_GSIZE_FORMAT " characters",
                           name, allow_empty ? "0" : "1", max_chars);
      return fallback;
    }
  return value;
}

static int
read_enum_member (JsonObject         *item,
                  const char         *name,
                  const char * const *names,
                  guint               n_names,
                  int                 fallback,
                  const char         *prefix,
                  GString            *errors)
{
  JsonNode *node = json_object_get_member (item, name);
  g_autofree char *field = g_strdup_printf ("%s.%s", prefix, name);
  int value;

  if (node == NULL)
    {
      if (fallback < 0)
        append_error_printf (errors, "REQUIRED", field, "%s is required", name);
      return MAX (fallback, 0);
    }
  value = sandbox_json_node_is_string (node) ? sandbox_enum_lookup (names, n_names, json_node_get_string (node)) : -1;
  if (value < 0)
    {
      append_error_printf (errors, "INVALID_VALUE", field, "%s is not a known value", name);
      return 0;
    }
  return value;
}

static gboolean
read_given_record (SandboxServer *self,
                   SandboxTenant *t,
                   JsonNode      *node,
                   guint          index,
                   GHashTable    *seen,
                   GString       *errors,
                   GivenRecord   *given)
{
  static const char * const session_members[] = {
    "sessionId", "startedOn", "initiatedBy", "userName", "email", "role", "agentName", "channel",
    "conversations", NULL
  };
  static const char * const user_members[] = {
    "userId", "userName", "email", "firstName", "lastName", "role", "status", "createdOn",
    "conversations", NULL
  };
  gboolean session = t->license == SANDBOX_LICENSE_SESSION;
  const char *id_name = session ? "sessionId" : "userId";
  const char *time_name = session ? "startedOn" : "createdOn";
  g_autofree char *prefix = g_strdup_printf ("records[%u]", index);
  SandboxRecord *r = &given->record;
  JsonObject *item;
  JsonNode *member;
  g_autoptr(GList) names = NULL;
  gsize errors_before = errors->len;

  memset (given, 0, sizeof *given);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      append_error (errors, "INVALID_VALUE", prefix, "a record must be an object");
      return FALSE;
    }
  item = json_node_get_object (node);
  names = json_object_get_members (item);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (session ? session_members : user_members, l->data))
      {
        g_autofree char *field = g_strdup_printf ("%s.%s", prefix, (const char *) l->data);

        append_error (errors, "INVALID_VALUE", field, "unknown member");
      }

  member = json_object_get_member (item, id_name);
  if (member != NULL)
    {
      g_autofree char *field = g_strdup_printf ("%s.%s", prefix, id_name);
      gboolean exists = FALSE;

      if (!sandbox_json_node_is_string (member) || !valid_record_id (json_node_get_string (member)))
        append_error (errors, "INVALID_VALUE", field, "an id is 1-64 characters of [A-Za-z0-9._:-]");
      else if (!sandbox_store_record_exists (self->store, t, json_node_get_string (member), &exists, NULL) ||
               exists || g_hash_table_contains (seen, json_node_get_string (member)))
        append_error (errors, "INVALID_VALUE", field, "this id exists already");
      else
        {
          given->rid = g_strdup (json_node_get_string (member));
          g_hash_table_add (seen, given->rid);
        }
    }

  r->time = g_get_real_time () / G_USEC_PER_SEC;
  member = json_object_get_member (item, time_name);
  if (member != NULL && (!sandbox_json_node_is_string (member) ||
                         !sandbox_time_parse (json_node_get_string (member), &r->time)))
    {
      g_autofree char *field = g_strdup_printf ("%s.%s", prefix, time_name);

      append_error (errors, "INVALID_VALUE", field, "not an ISO 8601 date-time with an offset");
    }

  r->conversations = 1;
  member = json_object_get_member (item, "conversations");
  if (member != NULL && (!sandbox_json_node_is_int (member) ||
                         (r->conversations = json_node_get_int (member)) < 0 ||
                         r->conversations > 1000))
    {
      g_autofree char *field = g_strdup_printf ("%s.conversations", prefix);

      append_error (errors, "INVALID_VALUE", field, "conversations must be an integer from 0 to 1000");
    }

  r->user_name = read_string_member (item, "userName", TRUE, 256, FALSE, prefix, errors, "");
  r->email = read_string_member (item, "email", FALSE, 254, TRUE, prefix, errors, "");
  r->role = read_enum_member (item, "role", sandbox_role_names, SANDBOX_N_ROLES, -1, prefix, errors);
  if (session)
    {
      r->initiated = read_enum_member (item, "initiatedBy", sandbox_initiated_names, 2, -1, prefix, errors);
      r->channel = read_enum_member (item, "channel", sandbox_channel_names, SANDBOX_N_CHANNELS, -1, prefix, errors);
      member = json_object_get_member (item, "agentName");
      if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
        r->agent_name = read_string_member (item, "agentName", FALSE, 256, FALSE, prefix, errors, NULL);
    }
  else
    {
      r->first_name = read_string_member (item, "firstName", FALSE, 256, TRUE, prefix, errors, "");
      r->last_name = read_string_member (item, "lastName", FALSE, 256, TRUE, prefix, errors, "");
      r->status = read_enum_member (item, "status", sandbox_status_names, 2, SANDBOX_STATUS_ACTIVE, prefix, errors);
    }
  return errors->len == errors_before;
}

static void
control_records (SandboxServer     *self,
                 SoupServerMessage *msg,
                 SandboxTenant     *t)
{
  static const char * const members[] = { "count", "records", NULL };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GArray) given = NULL;
  g_autofree char *answer = NULL;
  JsonObject *object;
  gint64 added = 0;
  gint64 consumed_before = t->consumed;

  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;
  if (json_object_has_member (object, "count") == json_object_has_member (object, "records"))
    {
      reply_error (msg, 400, "INVALID_BODY", NULL, "give either \"count\" or \"records\"");
      return;
    }

  if (!sandbox_store_begin (self->store, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  if (json_object_has_member (object, "count"))
    {
      if (!read_count (msg, object, 10000000, &added))
        {
          sandbox_store_rollback (self->store);
          return;
        }
      if (!sandbox_store_append_generated (self->store, t, added, &error))
        goto failed;
    }
  else
    {
      JsonNode *node = json_object_get_member (object, "records");
      g_autoptr(GString) errors = validation_begin ();
      JsonArray *array;
      SandboxScratch scratch;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          sandbox_store_rollback (self->store);
          reply_error (msg, 400, "INVALID_BODY", "records", "records must be an array");
          return;
        }
      array = json_node_get_array (node);
      seen = g_hash_table_new (g_str_hash, g_str_equal);
      given = g_array_new (FALSE, TRUE, sizeof (GivenRecord));
      g_array_set_size (given, json_array_get_length (array));
      for (guint i = 0; i < given->len; i++)
        read_given_record (self, t, json_array_get_element (array, i), i, seen, errors,
                           &g_array_index (given, GivenRecord, i));
      if (validation_failed (errors))
        {
          for (guint i = 0; i < given->len; i++)
            g_free (g_array_index (given, GivenRecord, i).rid);
          sandbox_store_rollback (self->store);
          reply_validation (msg, errors);
          return;
        }
      sandbox_scratch_init (&scratch);
      for (guint i = 0; i < given->len && error == NULL; i++)
        {
          GivenRecord *g = &g_array_index (given, GivenRecord, i);

          if (g->rid == NULL)
            {
              g->rid = sandbox_store_next_rid (self->store, t, &error);
              if (g->rid == NULL)
                break;
              t->next_number++;
            }
          g->record.rid = g->rid;
          if (sandbox_store_insert_record (self->store, t, &g->record, &error))
            added++;
        }
      sandbox_scratch_clear (&scratch);
      for (guint i = 0; i < given->len; i++)
        g_free (g_array_index (given, GivenRecord, i).rid);
      if (error != NULL)
        goto failed;
    }
  if (!sandbox_store_recompute_consumed (self->store, t, &error) ||
      !sandbox_store_save_tenant (self->store, t, &error) ||
      !sandbox_store_commit (self->store, &error))
    goto failed;
  answer = g_strdup_printf ("{\"added\":%" G_GINT64_FORMAT ",\"consumed\":%" G_GINT64_FORMAT "}",
                            added, t->consumed);
  reply_ok (msg, 200, answer);
  return;

failed:
  sandbox_store_rollback (self->store);
  t->consumed = consumed_before;
  reply_store_error (msg, error);
}

static void
control_touch (SandboxServer     *self,
               SoupServerMessage *msg,
               SandboxTenant     *t)
{
  static const char * const members[] = { "count", NULL };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  gint64 count, touched = 0;

  if (root == NULL || !check_members (msg, json_node_get_object (root), members) ||
      !read_count (msg, json_node_get_object (root), 10000000, &count))
    return;
  if (!sandbox_store_begin (self->store, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  if (!sandbox_store_touch (self->store, t, count, &touched, &error) ||
      !sandbox_store_recompute_consumed (self->store, t, &error) ||
      !sandbox_store_save_tenant (self->store, t, &error) ||
      !sandbox_store_commit (self->store, &error))
    {
      sandbox_store_rollback (self->store);
      reply_store_error (msg, error);
      return;
    }
  answer = g_strdup_printf ("{\"touched\":%" G_GINT64_FORMAT ",\"consumed\":%" G_GINT64_FORMAT "}",
                            touched, t->consumed);
  reply_ok (msg, 200, answer);
}

static void
control_subscription (SandboxServer     *self,
                      SoupServerMessage *msg,
                      SandboxTenant     *t)
{
  static const char * const members[] = {
    "totalPurchase", "startDate", "endDate", "sessionDurationMinutes", "tenantName",
    "technicalEmails", "billingEmails", NULL
  };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GString) errors = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) technical = NULL;
  g_auto(GStrv) billing = NULL;
  JsonObject *object;
  JsonNode *node;
  gint64 total = t->total, start = t->start, end = t->end, minutes = t->session_minutes;
  const char *name = NULL;

  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;
  errors = validation_begin ();

  if ((node = json_object_get_member (object, "totalPurchase")) != NULL &&
      (!sandbox_json_node_is_int (node) || (total = json_node_get_int (node)) < 0 || total > MAX_SAFE_INTEGER))
    append_error (errors, "INVALID_VALUE", "totalPurchase", "totalPurchase must be a non-negative integer");
  else if (total - t->total > MAX_REFILL_CHANGE || t->total - total > MAX_REFILL_CHANGE)
    /* It is entered as a refill, and a refill changes by at most this much. */
    append_error (errors, "INVALID_VALUE", "totalPurchase",
                  "totalPurchase may change by at most 1000000 at a time");
  if ((node = json_object_get_member (object, "startDate")) != NULL &&
      (!sandbox_json_node_is_string (node) || !sandbox_time_parse (json_node_get_string (node), &start)))
    append_error (errors, "INVALID_VALUE", "startDate", "startDate must be an ISO 8601 date-time with an offset");
  if ((node = json_object_get_member (object, "endDate")) != NULL &&
      (!sandbox_json_node_is_string (node) || !sandbox_time_parse (json_node_get_string (node), &end)))
    append_error (errors, "INVALID_VALUE", "endDate", "endDate must be an ISO 8601 date-time with an offset");
  else if (end < start)
    append_error (errors, "INVALID_VALUE", "endDate", "endDate is before startDate");
  if ((node = json_object_get_member (object, "sessionDurationMinutes")) != NULL &&
      (!sandbox_json_node_is_int (node) || (minutes = json_node_get_int (node)) < 1 || minutes > 1440))
    append_error (errors, "INVALID_VALUE", "sessionDurationMinutes", "sessionDurationMinutes must be 1-1440");
  if ((node = json_object_get_member (object, "tenantName")) != NULL)
    {
      if (!sandbox_json_node_is_string (node) || *json_node_get_string (node) == '\0' ||
          g_utf8_strlen (json_node_get_string (node), -1) > 256)
        append_error (errors, "INVALID_VALUE", "tenantName", "tenantName must be 1-256 characters");
      else
        name = json_node_get_string (node);
    }
  if (json_object_has_member (object, "technicalEmails") &&
      (technical = read_email_list (msg, object, "technicalEmails", errors)) == NULL)
    return;
  if (json_object_has_member (object, "billingEmails") &&
      (billing = read_email_list (msg, object, "billingEmails", errors)) == NULL)
    return;
  if (validation_failed (errors))
    {
      reply_validation (msg, errors);
      return;
    }

  if (!sandbox_store_begin (self->store, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  /* A direct change of the total still shows in the purchase history, so
   * the history keeps adding up to the total. */
  if (total != t->total &&
      !sandbox_store_add_purchase (self->store, t, g_get_real_time () / G_USEC_PER_SEC,
                                   total > t->total ? SANDBOX_KIND_REFILL : SANDBOX_KIND_REMOVAL,
                                   total - t->total, "sandbox", "Changed through the sandbox", NULL, NULL,
                                   &error))
    goto failed;
  t->start = start;
  t->end = end;
  t->session_minutes = minutes;
  if (name != NULL)
    {
      g_free (t->name);
      t->name = g_strdup (name);
    }
  if ((technical != NULL && !strv_equal (technical, t->technical)) ||
      (billing != NULL && !strv_equal (billing, t->billing)))
    {
      if (technical != NULL)
        {
          g_strfreev (t->technical);
          t->technical = g_steal_pointer (&technical);
        }
      if (billing != NULL)
        {
          g_strfreev (t->billing);
          t->billing = g_steal_pointer (&billing);
        }
      t->version++;
    }
  if (!sandbox_store_recompute_consumed (self->store, t, &error) ||
      !sandbox_store_save_tenant (self->store, t, &error) ||
      !sandbox_store_commit (self->store, &error))
    goto failed;
  out = g_string_new (NULL);
  append_subscription (out, t);
  reply_ok (msg, 200, out->str);
  return;

failed:
  sandbox_store_rollback (self->store);
  reply_store_error (msg, error);
}

static void
control_api_key (SandboxServer     *self,
                 SoupServerMessage *msg,
                 SandboxTenant     *t)
{
  static const char * const members[] = { "active", "permissions", NULL };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GString) errors = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonNode *node;
  gboolean active = t->key_active, permission = t->key_permission;

  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;
  errors = validation_begin ();
  if ((node = json_object_get_member (object, "active")) != NULL)
    {
      if (!sandbox_json_node_is_bool (node))
        append_error (errors, "INVALID_VALUE", "active", "active must be true or false");
      else
        active = json_node_get_boolean (node);
    }
  if ((node = json_object_get_member (object, "permissions")) != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (node))
        append_error (errors, "INVALID_VALUE", "permissions", "permissions must be an array of strings");
      else
        {
          JsonArray *array = json_node_get_array (node);

          permission = FALSE;
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *item = json_array_get_element (array, i);

              if (!sandbox_json_node_is_string (item))
                append_error (errors, "INVALID_VALUE", "permissions", "permissions must be an array of strings");
              else if (strcmp (json_node_get_string (item), "Tenant Settings") == 0)
                permission = TRUE;
            }
        }
    }
  if (validation_failed (errors))
    {
      reply_validation (msg, errors);
      return;
    }
  t->key_active = active;
  t->key_permission = permission;
  if (!sandbox_store_save_tenant (self->store, t, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  out = g_string_new ("{\"externalId\":");
  sandbox_json_append_string (out, t->external_id);
  g_string_append_printf (out, ",\"active\":%s,\"permissions\":[%s]}",
                          active ? "true" : "false", permission ? "\"Tenant Settings\"" : "");
  reply_ok (msg, 200, out->str);
}

static void
control_stats (SandboxServer     *self,
               SoupServerMessage *msg,
               SandboxTenant     *t)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *answer = NULL;
  gint64 records;

  if (!sandbox_store_stats (self->store, t, &records, &checksum, &error))
    {
      reply_store_error (msg, error);
      return;
    }
  answer = g_strdup_printf ("{\"records\":%" G_GINT64_FORMAT ",\"consumed\":%" G_GINT64_FORMAT
                            ",\"lastSeq\":%" G_GINT64_FORMAT ",\"checksum\":\"%s\"}",
                            records, t->consumed, t->last_seq, checksum);
  reply_ok (msg, 200, answer);
}

static void
reply_faults (SandboxServer     *self,
              SoupServerMessage *msg)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_append_printf (out, "{\"latencyMs\":%u,\"slowMs\":%u,\"faults\":", self->latency_ms, self->slow_ms);
  sandbox_faults_append_json (self->faults, out);
  g_string_append_c (out, '}');
  reply_ok (msg, 200, out->str);
}

static void
control_faults (SandboxServer     *self,
                SoupServerMessage *msg)
{
  static const char * const members[] = { "latencyMs", "slowMs", "faults", NULL };
  static const char * const fault_members[] = { "kind", "rate", "count", NULL };
  g_autoptr(JsonNode) root = parse_body (msg);
  g_autoptr(GString) errors = NULL;
  g_autoptr(GArray) kinds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) rates = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  JsonObject *object;
  JsonNode *node;
  gint64 latency = self->latency_ms, slow = self->slow_ms;
  gboolean replace = FALSE;

  if (root == NULL)
    return;
  object = json_node_get_object (root);
  if (!check_members (msg, object, members))
    return;
  errors = validation_begin ();
  if ((node = json_object_get_member (object, "latencyMs")) != NULL &&
      (!sandbox_json_node_is_int (node) || (latency = json_node_get_int (node)) < 0 || latency > 600000))
    append_error (errors, "INVALID_VALUE", "latencyMs", "latencyMs must be 0-600000");
  if ((node = json_object_get_member (object, "slowMs")) != NULL &&
      (!sandbox_json_node_is_int (node) || (slow = json_node_get_int (node)) < 0 || slow > 600000))
    append_error (errors, "INVALID_VALUE", "slowMs", "slowMs must be 0-600000");
  if ((node = json_object_get_member (object, "faults")) != NULL)
    {
      JsonArray *array;

      replace = TRUE;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          reply_error (msg, 400, "INVALID_BODY", "faults", "faults must be an array");
          return;
        }
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_autofree char *prefix = g_strdup_printf ("faults[%u]", i);
          g_autofree char *kind_field = g_strconcat (prefix, ".kind", NULL);
          g_autofree char *rate_field = g_strconcat (prefix, ".rate", NULL);
          g_autofree char *count_field = g_strconcat (prefix, ".count", NULL);
          g_autoptr(GList) names = NULL;
          JsonObject *fault;
          int kind;
          double rate = 0;
          gint64 count = -1;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            {
              append_error (errors, "INVALID_VALUE", prefix, "a fault is an object");
              continue;
            }
          fault = json_node_get_object (item);
          names = json_object_get_members (fault);
          for (GList *l = names; l != NULL; l = l->next)
            if (!g_strv_contains (fault_members, l->data))
              append_error (errors, "INVALID_VALUE", prefix, "unknown member in a fault");
          node = json_object_get_member (fault, "kind");
          kind = sandbox_json_node_is_string (node) ? (int) sandbox_fault_kind_parse (json_node_get_string (node)) : 0;
          if (kind == SANDBOX_FAULT_NONE)
            append_error (errors, "INVALID_VALUE", kind_field, "kind is one of 500, 429, reset, truncate, garbage, slow");
          node = json_object_get_member (fault, "rate");
          if (!sandbox_json_node_is_number (node) || !((rate = json_node_get_double (node)) >= 0.0 && rate <= 1.0))
            append_error (errors, "INVALID_VALUE", rate_field, "rate is a number from 0 to 1");
          node = json_object_get_member (fault, "count");
          if (node != NULL && (!sandbox_json_node_is_int (node) || (count = json_node_get_int (node)) < 1))
            append_error (errors, "INVALID_VALUE", count_field, "count is a positive integer");
          g_array_append_val (kinds, kind);
          g_array_append_val (rates, rate);
          g_array_append_val (counts, count);
        }
    }
  if (validation_failed (errors))
    {
      reply_validation (msg, errors);
      return;
    }
  self->latency_ms = latency;
  self->slow_ms = slow;
  if (replace)
    {
      sandbox_faults_clear (self->faults);
      for (guint i = 0; i < kinds->len; i++)
        sandbox_faults_add (self->faults, g_array_index (kinds, int, i),
                            g_array_index (rates, double, i), g_array_index (counts, gint64, i));
    }
  reply_faults (self, msg);
}

static void
handle_control (SandboxServer     *self,
                SoupServerMessage *msg,
                const char        *rest)
{
  g_auto(GStrv) segments = g_strsplit (*rest == '/' ? rest + 1 : rest, "/", -1);
  guint n = g_strv_length (segments);
  const char *method = soup_server_message_get_method (msg);
  SandboxTenant *t;

  if (n == 1 && strcmp (segments[0], "faults") == 0)
    {
      if (strcmp (method, "GET") == 0)
        reply_faults (self, msg);
      else if (method_allowed (msg, "PUT"))
        control_faults (self, msg);
      return;
    }
  if (n == 2 && strcmp (segments[0], "tokens") == 0 && strcmp (segments[1], "expire") == 0)
    {
      if (method_allowed (msg, "POST"))
        {
          g_hash_table_remove_all (self->tokens);
          reply_ok (msg, 200, "{}");
        }
      return;
    }
  if (n < 3 || strcmp (segments[0], "tenants") != 0)
    goto not_found;
  t = sandbox_store_lookup (self->store, segments[1]);
  if (n == 3 && strcmp (segments[2], "records") == 0)
    {
      if (method_allowed (msg, "POST") && t != NULL)
        control_records (self, msg, t);
    }
  else if (n == 4 && strcmp (segments[2], "records") == 0 && strcmp (segments[3], "touch") == 0)
    {
      if (method_allowed (msg, "POST") && t != NULL)
        control_touch (self, msg, t);
    }
  else if (n == 3 && strcmp (segments[2], "subscription") == 0)
    {
      if (method_allowed (msg, "PUT") && t != NULL)
        control_subscription (self, msg, t);
    }
  else if (n == 3 && strcmp (segments[2], "api-key") == 0)
    {
      if (method_allowed (msg, "PUT") && t != NULL)
        control_api_key (self, msg, t);
    }
  else if (n == 3 && strcmp (segments[2], "stats") == 0)
    {
      if (method_allowed (msg, "GET") && t != NULL)
        control_stats (self, msg, t);
    }
  else
    goto not_found;
  if (t == NULL && soup_server_message_get_status (msg) == 0)
    reply_error (msg, 404, "NOT_FOUND", NULL, "no tenant \"%s\"", segments[1]);
  return;

not_found:
  reply_error (msg, 404, "NOT_FOUND", NULL, "no such endpoint");
}

/* ---- faults and latency ---- */

static void
delayed_free (Delayed *d)
{
  if (d->source_id != 0)
    g_source_remove (d->source_id);
  if (d->disconnected_id != 0)
    g_signal_handler_disconnect (d->msg, d->disconnected_id);
  g_object_unref (d->msg);
  g_free (d);
}

/* The status line, headers with the full Content-Length, half the body,
 * then the connection is closed under the client. */
static void
reset_connection (SoupServerMessage *msg)
{
  SoupMessageBody *response = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (response);
  guint status = soup_server_message_get_status (msg);
  g_autoptr(GIOStream) stream = NULL;
  g_autofree char *head = NULL;
  GOutputStream *output;
  gsize len = g_bytes_get_size (body);

  head = g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          status, status_phrase (status), len);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  output = g_io_stream_get_output_stream (stream);
  g_output_stream_write_all (output, head, strlen (head), NULL, NULL, NULL);
  g_output_stream_write_all (output, g_bytes_get_data (body, NULL), len / 2, NULL, NULL, NULL);
  g_output_stream_flush (output, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

static gboolean
delayed_cb (gpointer user_data)
{
  Delayed *d = user_data;
  SandboxServer *self = d->self;

  d->source_id = 0;
  self->delayed = g_list_remove (self->delayed, d);
  /* Stealing the connection emits "disconnected" right away. */
  g_signal_handler_disconnect (d->msg, d->disconnected_id);
  d->disconnected_id = 0;
  if (d->fault == SANDBOX_FAULT_RESET)
    reset_connection (d->msg);
  else
    soup_server_message_unpause (d->msg);
  delayed_free (d);
  return G_SOURCE_REMOVE;
}

static void
delayed_disconnected_cb (SoupServerMessage *msg,
                         gpointer           user_data)
{
  Delayed *d = user_data;

  d->self->delayed = g_list_remove (d->self->delayed, d);
  delayed_free (d);
}

static void
finish_api_answer (SandboxServer     *self,
                   SoupServerMessage *msg,
                   SandboxFaultKind   fault)
{
  guint delay = self->latency_ms;
  Delayed *d;

  if (fault == SANDBOX_FAULT_TRUNCATE)
    {
      SoupMessageBody *response = soup_server_message_get_response_body (msg);
      g_autoptr(GBytes) body = soup_message_body_flatten (response);
      gsize len = g_bytes_get_size (body);

      set_status (msg, 200);
      soup_message_headers_remove (soup_server_message_get_response_headers (msg), "ETag");
      /* set_response() appends to a body already set. */
      soup_message_body_truncate (soup_server_message_get_response_body (msg));
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (body, NULL), len / 2);
    }
  else if (fault == SANDBOX_FAULT_GARBAGE)
    {
      static const char garbage[] = "<html><body><h1>502 Bad Gateway</h1></body></html>\n\x01\x02{]";

      set_status (msg, 200);
      soup_message_headers_remove (soup_server_message_get_response_headers (msg), "ETag");
      /* set_response() appends to a body already set. */
      soup_message_body_truncate (soup_server_message_get_response_body (msg));
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        garbage, sizeof garbage - 1);
    }
  else if (fault == SANDBOX_FAULT_SLOW)
    delay += self->slow_ms;

  if (delay == 0 && fault != SANDBOX_FAULT_RESET)
    return;

  /* Paused rather than slept: other requests keep being served. */
  d = g_new0 (Delayed, 1);
  d->self = self;
  d->msg = g_object_ref (msg);
  d->fault = fault;
  d->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (delayed_disconnected_cb), d);
  d->source_id = g_timeout_add (delay, delayed_cb, d);
  self->delayed = g_list_prepend (self->delayed, d);
  soup_server_message_pause (msg);
}

static void
server_cb (SoupServer        *soup,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  SandboxServer *self = user_data;

  if (g_str_has_prefix (path, SANDBOX_BASE_PATH "/"))
    {
      SandboxFaultKind fault = sandbox_faults_pick (self->faults);

      if (fault == SANDBOX_FAULT_500)
        reply_error (msg, 500, "SERVER_ERROR", NULL, "injected fault");
      else if (fault == SANDBOX_FAULT_429)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
          reply_error (msg, 429, "RATE_LIMITED", NULL, "slow down");
        }
      else
        handle_api (self, msg, path + strlen (SANDBOX_BASE_PATH), query);
      finish_api_answer (self, msg, fault);
    }
  else if (g_str_has_prefix (path, "/sandbox/"))
    handle_control (self, msg, path + strlen ("/sandbox"));
  else
    reply_error (msg, 404, "NOT_FOUND", NULL, "no such endpoint");
}

SandboxServer *
sandbox_server_new (SandboxStore               *store,
                    SandboxFaults              *faults,
                    const SandboxServerOptions *options)
{
  SandboxServer *self = g_new0 (SandboxServer, 1);

  self->store = store;
  self->faults = faults;
  self->superadmins = g_hash_table_ref (options->superadmins);
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) token_free);
  self->token_lifetime = options->token_lifetime;
  self->latency_ms = options->latency_ms;
  self->slow_ms = options->slow_ms;
  self->soup = soup_server_new ("server-header", "luma-sandbox ",
                                "tls-certificate", options->certificate,
                                NULL);
  soup_server_add_handler (self->soup, NULL, server_cb, self, NULL);
  return self;
}

gboolean
sandbox_server_listen (SandboxServer  *self,
                       const char     *address,
                       guint           port,
                       char          **base_url,
                       GError        **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *uris;
  GUri *uri;
  g_autofree char *host = NULL;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--listen %s: not an IP address", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, socket_address,
                           soup_server_is_https (self->soup) ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return FALSE;
  uris = soup_server_get_uris (self->soup);
  if (uris == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the server listens nowhere");
      return FALSE;
    }
  uri = uris->data;
  host = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
         ? g_strdup_printf ("[%s]", address) : g_strdup (address);
  *base_url = g_strdup_printf ("%s://%s:%d" SANDBOX_BASE_PATH, g_uri_get_scheme (uri), host, g_uri_get_port (uri));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

void
sandbox_server_free (SandboxServer *self)
{
  if (self == NULL)
    return;
  while (self->delayed != NULL)
    {
      Delayed *d = self->delayed->data;

      self->delayed = g_list_delete_link (self->delayed, self->delayed);
      delayed_free (d);
    }
  soup_server_disconnect (self->soup);
  g_object_unref (self->soup);
  g_hash_table_unref (self->superadmins);
  g_hash_table_unref (self->tokens);
  g_free (self);
}
