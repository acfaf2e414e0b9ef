/* luma-json-decode.c: the strict json-glib decoders of the envelope and of
 * every answer of docs/api.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "luma-json-decode.h"
#include "luma-json-decode-private.h"
#include "luma-models-private.h"

/* Decoding. A Path is a chain on the stack; it is only turned into text
 * when an error is reported, so valid input costs nothing for it. */

typedef struct _Path Path;
struct _Path
{
  const Path *parent;
  const char *member; /* NULL for an array element */
  guint       index;
};

static void
path_append (GString    *s,
             const Path *path)
{
  if (path == NULL)
    return;
  path_append (s, path->parent);
  if (path->member != NULL)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, path->member);
    }
  else
    g_string_append_printf (s, "[%u]", path->index);
}

static void G_GNUC_PRINTF (5, 6)
set_error (GError     **error,
           const Path  *path,
           const char  *member,
           int          code,
           const char  *format,
           ...)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *message = NULL;
  va_list args;

  path_append (s, path);
  if (member != NULL)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, member);
    }
  if (s->len == 0)
    g_string_append (s, "(root)");

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Member names and quoted values come from the server: keep the message UTF-8. */
  g_string_append (s, ": ");
  g_string_append (s, message);
  if (!g_utf8_validate (s->str, (gssize) s->len, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (s->str, (gssize) s->len);

      g_set_error_literal (error, LUMA_PROTOCOL_ERROR, code, valid);
      return;
    }
  g_set_error_literal (error, LUMA_PROTOCOL_ERROR, code, s->str);
}

static const char *
node_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY: return "an array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING: return "a string";
        case G_TYPE_BOOLEAN: return "a boolean";
        case G_TYPE_DOUBLE: return "a fractional number";
        default: return "a number";
        }
    default: return "something else";
    }
}

static JsonObject *
as_object (JsonNode    *node,
           const Path  *path,
           GError     **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, path, NULL, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an object, got %s", node ? node_type_name (node) : "nothing");
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonNode *
get_member (JsonObject  *obj,
            const Path  *path,
            const char  *name,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    set_error (error, path, name, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "required member is missing");
  return node;
}

/* Returns the string without copying it, or NULL with @error set. With
 * @nullable, a JSON null gives NULL with *is_null = TRUE and no error. */
static const char *
peek_string (JsonObject  *obj,
             const Path  *path,
             const char  *name,
             gboolean     nullable,
             gboolean    *is_null,
             GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);
  const char *str;

  if (is_null != NULL)
    *is_null = FALSE;
  if (node == NULL)
    return NULL;
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *is_null = TRUE;
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 nullable ? "expected a string or null, got %s" : "expected a string, got %s",
                 node_type_name (node));
      return NULL;
    }
  str = json_node_get_string (node);
  /* json-glib lets "\ud800" through as bytes that are not UTF-8. */
  if (!g_utf8_validate (str, -1, NULL))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                 "the string is not valid UTF-8");
      return NULL;
    }
  return str;
}

/* Length limits are in characters; 0 = no limit. */
static gboolean
get_string (JsonObject  *obj,
            const Path  *path,
            const char  *name,
            gboolean     nullable,
            guint        min_chars,
            guint        max_chars,
            char       **out,
            GError     **error)
{
  gboolean is_null;
  const char *str = peek_string (obj, path, name, nullable, &is_null, error);

  if (str == NULL)
    {
      if (is_null)
        {
          *out = NULL;
          return TRUE;
        }
      return FALSE;
    }

  if (min_chars > 0 || max_chars > 0)
    {
      if (!_luma_length_ok (str, strlen (str), min_chars, max_chars))
        {
          set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                     max_chars > 0 ? "expected %u to %u characters" : "expected at least %u characters",
                     min_chars, max_chars);
          return FALSE;
        }
    }

  *out = g_strdup (str);
  return TRUE;
}

/* sessionId, userId, conversationId, purchaseId: 1-64 of [A-Za-z0-9._:-];
 * externalId: the same without ':'. */
static gboolean
get_identifier (JsonObject  *obj,
                const Path  *path,
                const char  *name,
                gboolean     nullable,
                gboolean     allow_colon,
                char       **out,
                GError     **error)
{
  gboolean is_null;
  const char *str = peek_string (obj, path, name, nullable, &is_null, error);
  size_t len = 0;

  if (str == NULL)
    {
      if (is_null)
        {
          *out = NULL;
          return TRUE;
        }
      return FALSE;
    }

  for (const char *p = str; *p != '\0'; p++, len++)
    {
      char c = *p;

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-' && !(allow_colon && c == ':'))
        {
          set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                     "not a valid identifier");
          return FALSE;
        }
    }
  if (len < 1 || len > 64)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "an identifier has 1 to 64 characters");
      return FALSE;
    }

  *out = g_strndup (str, len);
  return TRUE;
}

static gboolean
get_int (JsonObject  *obj,
         const Path  *path,
         const char  *name,
         gint64       min,
         gint64       max,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);
  gint64 v;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an integer, got %s", node_type_name (node));
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")",
                 v, min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static inline gboolean
get_count (JsonObject  *obj,
           const Path  *path,
           const char  *name,
           gint64      *out,
           GError     **error)
{
  return get_int (obj, path, name, 0, LUMA_MAX_COUNT, out, error);
}

static gboolean
get_boolean (JsonObject  *obj,
             const Path  *path,
             const char  *name,
             gboolean    *out,
             GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected a boolean, got %s", node_type_name (node));
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_time (JsonObject  *obj,
          const Path  *path,
          const char  *name,
          gint64      *out,
          GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an ISO 8601 date-time string, got %s", node_type_name (node));
      return FALSE;
    }
  if (!luma_parse_iso8601 (json_node_get_string (node), out))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "expected an ISO 8601 date-time with offset, years 0001 to 9999 in UTC");
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_enum (JsonObject        *obj,
          const Path        *path,
          const char        *name,
          const char *const *names,
          guint              n_names,
          int               *out,
          GError           **error)
{
  const char *str = peek_string (obj, path, name, FALSE, NULL, error);

  if (str == NULL)
    return FALSE;
  if (!_luma_enum_lookup (names, n_names, str, out))
    {
      g_autofree char *shown = g_strndup (str, 64);

      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "unknown value \"%s\"", shown);
      return FALSE;
    }
  return TRUE;
}

#define GET_ENUM(obj, path, name, names, out, error)                         \
  G_STMT_START {                                                             \
    int v_;                                                                  \
    if (!get_enum ((obj), (path), (name), (names), G_N_ELEMENTS (names), &v_, (error))) \
      goto fail;                                                             \
    (out) = v_;                                                              \
  } G_STMT_END

static JsonArray *
get_array (JsonObject  *obj,
           const Path  *path,
           const char  *name,
           GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an array, got %s", node_type_name (node));
      return NULL;
    }
  return json_node_get_array (node);
}

static gboolean
get_string_list (JsonObject  *obj,
                 const Path  *path,
                 const char  *name,
                 GStrv       *out,
                 GError     **error)
{
  JsonArray *array = get_array (obj, path, name, error);
  Path member = { path, name, 0 };
  g_autoptr(GStrvBuilder) builder = NULL;
  guint n;

  if (array == NULL)
    return FALSE;
  n = json_array_get_length (array);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      Path element = { &member, NULL, i };
      const char *str;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          set_error (error, &element, NULL, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                     "expected a string, got %s", node_type_name (node));
          return FALSE;
        }
      str = json_node_get_string (node);
      if (!g_utf8_validate (str, -1, NULL))
        {
          set_error (error, &element, NULL, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                     "the string is not valid UTF-8");
          return FALSE;
        }
      g_strv_builder_add (builder, str);
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* consumed = totalPurchase - available + overage, available and overage
 * the clamped differences (docs/api.md §2.1). */
static gboolean
check_counts (const Path  *path,
              gint64       total_purchase,
              gint64       consumed,
              gint64       available,
              gint64       overage,
              GError     **error)
{
  if (available != MAX (0, total_purchase - consumed))
    {
      set_error (error, path, "available", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " is not max(0, totalPurchase - consumed)", available);
      return FALSE;
    }
  if (overage != MAX (0, consumed - total_purchase))
    {
      set_error (error, path, "overage", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " is not max(0, consumed - totalPurchase)", overage);
      return FALSE;
    }
  return TRUE;
}

static const Path result_data_path = { NULL, "resultData", 0 };

/* Session and user records: the hot path of a sync. */

static LumaSessionRecord *
decode_session_record (JsonNode    *node,
                       const Path  *path,
                       GError     **error)
{
  g_autoptr(LumaSessionRecord) r = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaSessionRecord, 1);
  if (!get_identifier (obj, path, "sessionId", FALSE, TRUE, &r->session_id, error) ||
      !get_time (obj, path, "startedOn", &r->started_on, error))
    goto fail;
  GET_ENUM (obj, path, "initiatedBy", _luma_initiated_by_names, r->initiated_by, error);
  if (!get_string (obj, path, "userName", FALSE, 1, 256, &r->user_name, error) ||
      !get_string (obj, path, "email", FALSE, 0, 254, &r->email, error))
    goto fail;
  GET_ENUM (obj, path, "role", _luma_role_names, r->role, error);
  if (!get_string (obj, path, "agentName", TRUE, 1, 256, &r->agent_name, error))
    goto fail;
  GET_ENUM (obj, path, "channel", _luma_channel_names, r->channel, error);
  if (!get_count (obj, path, "conversations", &r->conversations, error))
    goto fail;

  return g_steal_pointer (&r);

fail:
  return NULL;
}

/* lastConversationOn: absent is unknown (a server older than the member);
 * otherwise null exactly when the user had no conversation, and a date-time
 * when they had: a record that contradicts its own count is refused, as
 * the counts of a subscription are. Call after conversations is read. */
static gboolean
decode_last_conversation (JsonObject      *obj,
                          const Path      *path,
                          LumaUserRecord  *r,
                          GError         **error)
{
  JsonNode *node = json_object_get_member (obj, "lastConversationOn");

  if (node == NULL)
    {
      r->last_conversation_known = FALSE;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (r->conversations > 0)
        {
          set_error (error, path, "lastConversationOn", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                     "null, but conversations is %" G_GINT64_FORMAT, r->conversations);
          return FALSE;
        }
      r->last_conversation_known = TRUE;
      return TRUE;
    }
  if (!get_time (obj, path, "lastConversationOn", &r->last_conversation_on, error))
    return FALSE;
  if (r->conversations == 0)
    {
      set_error (error, path, "lastConversationOn", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "a date, but conversations is 0");
      return FALSE;
    }
  r->last_conversation_known = TRUE;
  return TRUE;
}

static LumaUserRecord *
decode_user_record (JsonNode    *node,
                    const Path  *path,
                    GError     **error)
{
  g_autoptr(LumaUserRecord) r = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaUserRecord, 1);
  if (!get_identifier (obj, path, "userId", FALSE, TRUE, &r->user_id, error) ||
      !get_string (obj, path, "userName", FALSE, 1, 256, &r->user_name, error) ||
      !get_string (obj, path, "email", FALSE, 0, 254, &r->email, error) ||
      !get_string (obj, path, "firstName", FALSE, 0, 256, &r->first_name, error) ||
      !get_string (obj, path, "lastName", FALSE, 0, 256, &r->last_name, error))
    goto fail;
  GET_ENUM (obj, path, "role", _luma_role_names, r->role, error);
  GET_ENUM (obj, path, "status", _luma_user_status_names, r->status, error);
  if (!get_time (obj, path, "createdOn", &r->created_on, error) ||
      !get_count (obj, path, "conversations", &r->conversations, error) ||
      !decode_last_conversation (obj, path, r, error))
    goto fail;

  return g_steal_pointer (&r);

fail:
  return NULL;
}

LumaSessionRecord *
luma_session_record_from_json (JsonNode  *node,
                               GError   **error)
{
  return decode_session_record (node, NULL, error);
}

LumaUserRecord *
luma_user_record_from_json (JsonNode  *node,
                            GError   **error)
{
  return decode_user_record (node, NULL, error);
}

/* The index of a record whose id an earlier record of the page already has
 * (and that earlier one's index in *first_out), or -1. A page holds each record
 * once: which of two versions is current would be a guess. Both decoders use it. */
gint64
_luma_consumption_page_find_duplicate (const LumaConsumptionPage *page,
                                       guint                     *first_out)
{
  g_autoptr(GHashTable) ids = NULL;

  if (page->items == NULL || page->items->len < 2)
    return -1;
  ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < page->items->len; i++)
    {
      gpointer item = g_ptr_array_index (page->items, i);
      const char *id = page->license_type == LUMA_LICENSE_TYPE_SESSION
                       ? ((LumaSessionRecord *) item)->session_id
                       : ((LumaUserRecord *) item)->user_id;
      gpointer first;

      if (g_hash_table_lookup_extended (ids, id, NULL, &first))
        {
          *first_out = GPOINTER_TO_UINT (first);
          return i;
        }
      g_hash_table_insert (ids, (gpointer) id, GUINT_TO_POINTER (i));
    }
  return -1;
}

LumaConsumptionPage *
luma_consumption_page_from_json (JsonNode  *node,
                                 GError   **error)
{
  const Path *path = &result_data_path;
  const Path items_path = { path, "items", 0 };
  g_autoptr(LumaConsumptionPage) page = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonArray *items;
  gint64 duplicate;
  guint n, first = 0;

  if (obj == NULL)
    return NULL;

  page = g_new0 (LumaConsumptionPage, 1);
  GET_ENUM (obj, path, "licenseType", _luma_license_type_names, page->license_type, error);
  items = get_array (obj, path, "items", error);
  if (items == NULL)
    goto fail;
  if (!get_string (obj, path, "nextCursor", FALSE, 1, LUMA_MAX_CURSOR_LENGTH, &page->next_cursor,
                   error) ||
      !get_boolean (obj, path, "hasMore", &page->has_more, error) ||
      !get_count (obj, path, "remaining", &page->remaining, error))
    goto fail;

  n = json_array_get_length (items);
  /* Such a page moves the feed by nothing and could be asked for forever. */
  if (n == 0 && page->has_more)
    {
      set_error (error, path, "hasMore", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "true on a page without items (the feed does not move forward)");
      goto fail;
    }
  if (page->license_type == LUMA_LICENSE_TYPE_SESSION)
    {
      page->items = g_ptr_array_new_full (n, (GDestroyNotify) luma_session_record_free);
      for (guint i = 0; i < n; i++)
        {
          Path element = { &items_path, NULL, i };
          LumaSessionRecord *r = decode_session_record (json_array_get_element (items, i),
                                                        &element, error);
          if (r == NULL)
            goto fail;
          g_ptr_array_add (page->items, r);
        }
    }
  else
    {
      page->items = g_ptr_array_new_full (n, (GDestroyNotify) luma_user_record_free);
      for (guint i = 0; i < n; i++)
        {
          Path element = { &items_path, NULL, i };
          LumaUserRecord *r = decode_user_record (json_array_get_element (items, i),
                                                  &element, error);
          if (r == NULL)
            goto fail;
          g_ptr_array_add (page->items, r);
        }
    }

  duplicate = _luma_consumption_page_find_duplicate (page, &first);
  if (duplicate >= 0)
    {
      Path element = { &items_path, NULL, (guint) duplicate };
      gpointer item = g_ptr_array_index (page->items, (guint) duplicate);
      gboolean session = page->license_type == LUMA_LICENSE_TYPE_SESSION;

      set_error (error, &element, session ? "sessionId" : "userId",
                 LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "duplicate record: \"%s\" is twice in the page (also items[%u])",
                 session ? ((LumaSessionRecord *) item)->session_id
                         : ((LumaUserRecord *) item)->user_id,
                 first);
      goto fail;
    }

  return g_steal_pointer (&page);

fail:
  return NULL;
}

/* Subscription and contacts */

static gboolean
decode_contacts_into (JsonObject  *obj,
                      const Path  *path,
                      GStrv       *technical,
                      GStrv       *billing,
                      gint64      *version,
                      GError     **error)
{
  return get_string_list (obj, path, "technicalEmails", technical, error) &&
         get_string_list (obj, path, "billingEmails", billing, error) &&
         get_count (obj, path, "version", version, error);
}

LumaSubscription *
luma_subscription_from_json (JsonNode  *node,
                             GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaSubscription) s = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  s = g_new0 (LumaSubscription, 1);
  if (!get_identifier (obj, path, "externalId", FALSE, FALSE, &s->external_id, error) ||
      !get_string (obj, path, "tenantName", FALSE, 1, 256, &s->tenant_name, error))
    goto fail;
  GET_ENUM (obj, path, "licenseType", _luma_license_type_names, s->license_type, error);
  if (!get_time (obj, path, "startDate", &s->start_date, error) ||
      !get_time (obj, path, "endDate", &s->end_date, error))
    goto fail;
  if (s->end_date < s->start_date)
    {
      set_error (error, path, "endDate", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "the contract term ends before it starts");
      goto fail;
    }
  if (!get_int (obj, path, "sessionDurationMinutes", 1, 1440, &s->session_duration_minutes, error) ||
      !get_count (obj, path, "totalPurchase", &s->total_purchase, error) ||
      !get_count (obj, path, "consumed", &s->consumed, error) ||
      !get_count (obj, path, "available", &s->available, error) ||
      !get_count (obj, path, "overage", &s->overage, error) ||
      !check_counts (path, s->total_purchase, s->consumed, s->available, s->overage, error) ||
      !decode_contacts_into (obj, path, &s->technical_emails, &s->billing_emails, &s->version, error))
    goto fail;

  return g_steal_pointer (&s);

fail:
  return NULL;
}

LumaContacts *
luma_contacts_from_json (JsonNode  *node,
                         GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaContacts) c = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;
  c = g_new0 (LumaContacts, 1);
  if (!decode_contacts_into (obj, path, &c->technical_emails, &c->billing_emails, &c->version, error))
    return NULL;
  return g_steal_pointer (&c);
}

/* Purchases */

static LumaPurchase *
decode_purchase (JsonNode    *node,
                 const Path  *path,
                 GError     **error)
{
  g_autoptr(LumaPurchase) p = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  p = g_new0 (LumaPurchase, 1);
  if (!get_identifier (obj, path, "purchaseId", FALSE, TRUE, &p->purchase_id, error) ||
      !get_time (obj, path, "performedOn", &p->performed_on, error))
    goto fail;
  GET_ENUM (obj, path, "kind", _luma_purchase_kind_names, p->kind, error);
  if (!get_int (obj, path, "change", -LUMA_MAX_COUNT, LUMA_MAX_COUNT, &p->change, error))
    goto fail;
  if (p->change == 0)
    {
      set_error (error, path, "change", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "a purchase changes the total by a non-zero amount");
      goto fail;
    }
  if ((p->kind == LUMA_PURCHASE_KIND_REMOVAL) != (p->change < 0))
    {
      set_error (error, path, "change", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " does not match kind %s",
                 p->change, _luma_purchase_kind_names[p->kind]);
      goto fail;
    }
  if (!get_count (obj, path, "totalAfter", &p->total_after, error) ||
      !get_string (obj, path, "performedBy", FALSE, 1, 256, &p->performed_by, error) ||
      !get_string (obj, path, "reason", FALSE, 1, 500, &p->reason, error) ||
      !get_string (obj, path, "reference", TRUE, 1, 100, &p->reference, error))
    goto fail;

  return g_steal_pointer (&p);

fail:
  return NULL;
}

LumaPurchase *
luma_purchase_from_json (JsonNode  *node,
                         GError   **error)
{
  return decode_purchase (node, NULL, error);
}

typedef gpointer (*DecodeFunc) (JsonNode *node, const Path *path, GError **error);

static GPtrArray *
decode_item_list (JsonNode       *node,
                  DecodeFunc      decode,
                  GDestroyNotify  free_func,
                  GError        **error)
{
  const Path *path = &result_data_path;
  const Path items_path = { path, "items", 0 };
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonArray *items;
  guint n;

  if (obj == NULL)
    return NULL;
  items = get_array (obj, path, "items", error);
  if (items == NULL)
    return NULL;
  n = json_array_get_length (items);
  list = g_ptr_array_new_full (n, free_func);
  for (guint i = 0; i < n; i++)
    {
      Path element = { &items_path, NULL, i };
      gpointer item = decode (json_array_get_element (items, i), &element, error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (list, item);
    }
  return g_steal_pointer (&list);
}

GPtrArray *
luma_purchase_list_from_json (JsonNode  *node,
                              GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_purchase,
                           (GDestroyNotify) luma_purchase_free, error);
}

/* Conversations */

static LumaMessage *
decode_message (JsonNode    *node,
                const Path  *path,
                GError     **error)
{
  g_autoptr(LumaMessage) m = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  m = g_new0 (LumaMessage, 1);
  GET_ENUM (obj, path, "sender", _luma_sender_names, m->sender, error);
  if (!get_string (obj, path, "senderName", FALSE, 0, 256, &m->sender_name, error) ||
      !get_time (obj, path, "sentAt", &m->sent_at, error) ||
      !get_string (obj, path, "text", FALSE, 0, 0, &m->text, error))
    goto fail;

  return g_steal_pointer (&m);

fail:
  return NULL;
}

LumaMessage *
luma_message_from_json (JsonNode  *node,
                        GError   **error)
{
  return decode_message (node, NULL, error);
}

static LumaConversation *
decode_conversation (JsonNode    *node,
                     const Path  *path,
                     GError     **error)
{
  g_autoptr(LumaConversation) c = NULL;
  JsonObject *obj = as_object (node, path, error);
  const Path messages_path = { path, "messages", 0 };
  JsonArray *messages;
  guint n;

  if (obj == NULL)
    return NULL;

  c = g_new0 (LumaConversation, 1);
  if (!get_identifier (obj, path, "conversationId", FALSE, TRUE, &c->conversation_id, error) ||
      !get_identifier (obj, path, "sessionId", TRUE, TRUE, &c->session_id, error) ||
      !get_identifier (obj, path, "userId", TRUE, TRUE, &c->user_id, error))
    goto fail;
  if ((c->session_id == NULL) == (c->user_id == NULL))
    {
      set_error (error, path, c->session_id ? "userId" : "sessionId",
                 LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "exactly one of sessionId and userId must be set");
      goto fail;
    }
  GET_ENUM (obj, path, "channel", _luma_channel_names, c->channel, error);
  if (!get_time (obj, path, "startedOn", &c->started_on, error))
    goto fail;
  messages = get_array (obj, path, "messages", error);
  if (messages == NULL)
    goto fail;
  n = json_array_get_length (messages);
  c->messages = g_ptr_array_new_full (n, (GDestroyNotify) luma_message_free);
  for (guint i = 0; i < n; i++)
    {
      Path element = { &messages_path, NULL, i };
      LumaMessage *m = decode_message (json_array_get_element (messages, i), &element, error);

      if (m == NULL)
        goto fail;
      g_ptr_array_add (c->messages, m);
    }

  return g_steal_pointer (&c);

fail:
  return NULL;
}

LumaConversation *
luma_conversation_from_json (JsonNode  *node,
                             GError   **error)
{
  return decode_conversation (node, NULL, error);
}

GPtrArray *
luma_conversation_list_from_json (JsonNode  *node,
                                  GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_conversation,
                           (GDestroyNotify) luma_conversation_free, error);
}

/* Platform */

/* Absent: unknown (a server older than the member); null: never. */
static gboolean
decode_last_refill (JsonObject         *obj,
                    const Path         *path,
                    LumaTenantSummary  *t,
                    GError            **error)
{
  const Path refill_path = { path, "lastRefill", 0 };
  JsonNode *node = json_object_get_member (obj, "lastRefill");
  JsonObject *refill;

  if (node == NULL)
    {
      t->last_refill = LUMA_LAST_REFILL_UNKNOWN;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_NULL (node))
    {
      t->last_refill = LUMA_LAST_REFILL_NEVER;
      return TRUE;
    }
  refill = as_object (node, &refill_path, error);
  if (refill == NULL ||
      !get_time (refill, &refill_path, "at", &t->last_refill_at, error) ||
      !get_int (refill, &refill_path, "change", -LUMA_MAX_REFILL_CHANGE, LUMA_MAX_REFILL_CHANGE,
                &t->last_refill_change, error))
    return FALSE;
  if (t->last_refill_change == 0)
    {
      set_error (error, &refill_path, "change", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "a refill changes the total by a non-zero amount");
      return FALSE;
    }
  t->last_refill = LUMA_LAST_REFILL_KNOWN;
  return TRUE;
}

static LumaTenantSummary *
decode_tenant_summary (JsonNode    *node,
                       const Path  *path,
                       GError     **error)
{
  g_autoptr(LumaTenantSummary) t = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  t = g_new0 (LumaTenantSummary, 1);
  if (!get_identifier (obj, path, "externalId", FALSE, FALSE, &t->external_id, error) ||
      !get_string (obj, path, "tenantName", FALSE, 1, 256, &t->tenant_name, error))
    goto fail;
  GET_ENUM (obj, path, "licenseType", _luma_license_type_names, t->license_type, error);
  if (!get_time (obj, path, "startDate", &t->start_date, error) ||
      !get_time (obj, path, "endDate", &t->end_date, error) ||
      !get_count (obj, path, "totalPurchase", &t->total_purchase, error) ||
      !get_count (obj, path, "consumed", &t->consumed, error) ||
      !get_count (obj, path, "available", &t->available, error) ||
      !get_count (obj, path, "overage", &t->overage, error) ||
      !check_counts (path, t->total_purchase, t->consumed, t->available, t->overage, error) ||
      !decode_last_refill (obj, path, t, error))
    goto fail;

  return g_steal_pointer (&t);

fail:
  return NULL;
}

LumaTenantSummary *
luma_tenant_summary_from_json (JsonNode  *node,
                               GError   **error)
{
  return decode_tenant_summary (node, NULL, error);
}

GPtrArray *
luma_tenant_list_from_json (JsonNode  *node,
                            GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_tenant_summary,
                           (GDestroyNotify) luma_tenant_summary_free, error);
}

LumaTenantPage *
luma_tenant_page_from_json (JsonNode  *node,
                            GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaTenantPage) page = g_new0 (LumaTenantPage, 1);
  JsonObject *obj;

  page->items = luma_tenant_list_from_json (node, error);
  if (page->items == NULL)
    return NULL;
  obj = json_node_get_object (node);
  if (!json_object_has_member (obj, "hasMore"))
    return g_steal_pointer (&page);
  if (!get_boolean (obj, path, "hasMore", &page->has_more, error))
    return NULL;
  if ((page->has_more || json_object_has_member (obj, "nextCursor")) &&
      !get_string (obj, path, "nextCursor", !page->has_more, 1, LUMA_MAX_CURSOR_LENGTH,
                   &page->next_cursor, error))
    return NULL;
  /* Such a page moves the listing by nothing and could be asked for forever. */
  if (page->has_more && page->items->len == 0)
    {
      set_error (error, path, "hasMore", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "true on a page without items (the list does not move forward)");
      return NULL;
    }
  return g_steal_pointer (&page);
}

LumaRefillResult *
luma_refill_result_from_json (JsonNode  *node,
                              GError   **error)
{
  const Path *path = &result_data_path;
  const Path purchase_path = { path, "purchase", 0 };
  const Path sub_path = { path, "subscription", 0 };
  g_autoptr(LumaRefillResult) r = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonObject *sub;
  JsonNode *member;
  g_autofree char *external_id = NULL;

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaRefillResult, 1);
  member = get_member (obj, path, "purchase", error);
  if (member == NULL)
    return NULL;
  r->purchase = decode_purchase (member, &purchase_path, error);
  if (r->purchase == NULL)
    return NULL;

  member = get_member (obj, path, "subscription", error);
  if (member == NULL)
    return NULL;
  sub = as_object (member, &sub_path, error);
  if (sub == NULL ||
      !get_identifier (sub, &sub_path, "externalId", FALSE, FALSE, &external_id, error) ||
      !get_count (sub, &sub_path, "totalPurchase", &r->total_purchase, error) ||
      !get_count (sub, &sub_path, "consumed", &r->consumed, error) ||
      !get_count (sub, &sub_path, "available", &r->available, error) ||
      !get_count (sub, &sub_path, "overage", &r->overage, error) ||
      !check_counts (&sub_path, r->total_purchase, r->consumed, r->available, r->overage, error))
    return NULL;

  return g_steal_pointer (&r);
}

LumaLoginResult *
luma_login_result_from_json (JsonNode  *node,
                             GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaLoginResult) r = NULL;
  JsonObject *obj = as_object (node, path, error);
  const char *token_type;

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaLoginResult, 1);
  if (!get_string (obj, path, "token", FALSE, 1, 8192, &r->token, error))
    return NULL;
  /* The token goes into a header: no control characters or spaces. */
  for (const char *p = r->token; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      {
        set_error (error, path, "token", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                   "the token holds characters a header cannot carry");
        return NULL;
      }
  token_type = peek_string (obj, path, "tokenType", FALSE, NULL, error);
  if (token_type == NULL)
    return NULL;
  if (g_ascii_strcasecmp (token_type, "Bearer") != 0)
    {
      set_error (error, path, "tokenType", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "expected \"Bearer\"");
      return NULL;
    }
  if (!get_int (obj, path, "expiresIn", 1, LUMA_MAX_COUNT, &r->expires_in, error) ||
      !get_time (obj, path, "expiresAt", &r->expires_at, error))
    return NULL;

  return g_steal_pointer (&r);
}

/* The envelope */

/* json-glib refuses a document with bytes that are not UTF-8 without
 * saying where; find the JSON path of the string holding the first bad
 * byte, so the error names the field like every other one. */
typedef struct
{
  gboolean    is_array;
  guint       index;
  const char *key;
  gsize       key_len;
} ScanFrame;

static char *
path_of_offset (const char *data,
                gsize       len,
                gsize       offset)
{
  g_autoptr(GArray) stack = g_array_new (FALSE, TRUE, sizeof (ScanFrame));
  gboolean expect_key = FALSE;
  gsize i = 0;

  while (i < len)
    {
      char c = data[i];

      if (c == '{' || c == '[')
        {
          ScanFrame f = { c == '[', 0, NULL, 0 };
          g_array_append_val (stack, f);
          expect_key = c == '{';
          i++;
        }
      else if (c == '}' || c == ']')
        {
          if (stack->len > 0)
            g_array_set_size (stack, stack->len - 1);
          expect_key = FALSE;
          i++;
        }
      else if (c == ',')
        {
          if (stack->len > 0)
            {
              ScanFrame *f = &g_array_index (stack, ScanFrame, stack->len - 1);
              if (f->is_array)
                f->index++;
              else
                expect_key = TRUE;
            }
          i++;
        }
      else if (c == '"')
        {
          gsize start = ++i;

          while (i < len && data[i] != '"')
            i += data[i] == '\\' ? 2 : 1;
          if (offset >= start && offset <= i)
            {
              GString *s = g_string_new (NULL);

              for (guint k = 0; k < stack->len; k++)
                {
                  ScanFrame *f = &g_array_index (stack, ScanFrame, k);

                  if (f->is_array)
                    g_string_append_printf (s, "[%u]", f->index);
                  else if (f->key != NULL && !(expect_key && k == stack->len - 1))
                    {
                      if (s->len > 0)
                        g_string_append_c (s, '.');
                      g_string_append_len (s, f->key, f->key_len);
                    }
                }
              if (s->len == 0)
                g_string_append (s, "(root)");
              return g_string_free (s, FALSE);
            }
          if (expect_key && stack->len > 0)
            {
              ScanFrame *f = &g_array_index (stack, ScanFrame, stack->len - 1);
              f->key = data + start;
              f->key_len = MIN (i, len) - start;
              expect_key = FALSE;
            }
          i++;
        }
      else
        i++;
    }
  return g_strdup ("(root)");
}

/* json-glib parses recursively; a hostile answer of a million '[' would
 * exhaust the stack. Nothing in the contract nests deeper than a few
 * levels. */
#define MAX_JSON_DEPTH 64

/* The depth and the number of values of a JSON text, from its bytes alone:
 * every array element and object member is a value, and so is the root.
 * For valid JSON that is 1 + the commas + the non-empty containers; for
 * anything else an estimate, which the parser then refuses anyway. */
static void
scan_json (const char *data,
           gsize       len,
           guint      *depth_out,
           guint64    *values_out)
{
  guint depth = 0, max_depth = 0;
  guint64 values = 1;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (c == '"')
        {
          /* Skip the string: its bytes hold no structure. */
          for (i++; i < len && data[i] != '"'; i++)
            if (data[i] == '\\')
              i++;
        }
      else if (c == ',')
        values++;
      else if (c == '[' || c == '{')
        {
          gsize j = i + 1;

          depth++;
          max_depth = MAX (max_depth, depth);
          while (j < len && (data[j] == ' ' || data[j] == '\n' || data[j] == '\r' || data[j] == '\t'))
            j++;
          if (j < len && data[j] != ']' && data[j] != '}')
            values++;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  *depth_out = max_depth;
  *values_out = values;
}

gboolean
luma_json_check_budget (GBytes   *body,
                        guint     max_values,
                        GError  **error)
{
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  guint depth;
  guint64 values;

  if (data == NULL || len == 0)
    return TRUE;
  scan_json (data, len, &depth, &values);
  if (depth > MAX_JSON_DEPTH)
    {
      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                   "(root): the answer nests deeper than %u levels", MAX_JSON_DEPTH);
      return FALSE;
    }
  if (max_values > 0 && values > max_values)
    {
      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_TOO_LARGE,
                   "(root): the answer holds %" G_GUINT64_FORMAT " JSON values, more than "
                   "the %u this answer can hold", values, max_values);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_json (GBytes      *body,
            JsonParser  *parser,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  const char *end;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                           "(root): the answer has no body");
      return FALSE;
    }
  /* Nothing builds a tree of more than LUMA_JSON_MAX_VALUES: a wide answer
   * of empty objects costs json-glib about 100 times its size. */
  if (!luma_json_check_budget (body, LUMA_JSON_MAX_VALUES, error))
    return FALSE;
  if (json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    return TRUE;

  if (!g_utf8_validate (data, (gssize) len, &end))
    {
      g_autofree char *where = path_of_offset (data, len, (gsize) (end - data));

      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                   "%s: the string is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")",
                   where, (gsize) (end - data));
      return FALSE;
    }
  /* json-glib quotes what it decoded, which can be a lone surrogate (bytes
   * ED B8 80) or other bytes that are not UTF-8: messages reach logs and labels. */
  {
    g_autofree char *reason = g_utf8_make_valid (local_error->message, -1);

    g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                 "(root): the answer is not valid JSON: %s", reason);
  }
  return FALSE;
}

JsonNode *
luma_envelope_parse (GBytes     *body,
                     guint       http_status,
                     GPtrArray **errors_out,
                     GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) errors = NULL;
  JsonObject *root;
  JsonNode *result;
  JsonArray *array;
  const char *status;
  gint64 status_code;
  gboolean success = http_status >= 200 && http_status < 300;
  guint n;

  if (!parse_json (body, parser, error))
    return NULL;

  root = as_object (json_parser_get_root (parser), NULL, error);
  if (root == NULL)
    goto envelope_error;

  status = peek_string (root, NULL, "status", FALSE, NULL, error);
  if (status == NULL)
    goto envelope_error;
  if (strcmp (status, success ? "success" : "failure") != 0)
    {
      set_error (error, NULL, "status", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "expected \"%s\" for HTTP status %u", success ? "success" : "failure", http_status);
      return NULL;
    }
  if (!get_int (root, NULL, "statusCode", 100, 599, &status_code, error))
    goto envelope_error;
  if (status_code != http_status)
    {
      set_error (error, NULL, "statusCode", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "%" G_GINT64_FORMAT " differs from the HTTP status %u", status_code, http_status);
      return NULL;
    }
  if (peek_string (root, NULL, "statusLine", FALSE, NULL, error) == NULL)
    goto envelope_error;

  array = get_array (root, NULL, "errors", error);
  if (array == NULL)
    goto envelope_error;
  n = json_array_get_length (array);
  if (success != (n == 0))
    {
      set_error (error, NULL, "errors", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 success ? "a success carries no errors" : "a failure carries at least one error");
      return NULL;
    }
  errors = g_ptr_array_new_full (n, (GDestroyNotify) luma_field_error_free);
  for (guint i = 0; i < n; i++)
    {
      const Path errors_path = { NULL, "errors", 0 };
      Path element = { &errors_path, NULL, i };
      JsonObject *obj = as_object (json_array_get_element (array, i), &element, error);
      g_autoptr(LumaFieldError) fe = NULL;

      if (obj == NULL)
        goto envelope_error;
      fe = g_new0 (LumaFieldError, 1);
      if (!get_string (obj, &element, "code", FALSE, 1, 64, &fe->code, error))
        goto envelope_error;
      if (json_object_has_member (obj, "field") &&
          !get_string (obj, &element, "field", TRUE, 0, 256, &fe->field, error))
        goto envelope_error;
      if (json_object_has_member (obj, "message") &&
          !get_string (obj, &element, "message", TRUE, 0, 4096, &fe->message, error))
        goto envelope_error;
      g_ptr_array_add (errors, g_steal_pointer (&fe));
    }

  result = get_member (root, NULL, "resultData", error);
  if (result == NULL)
    goto envelope_error;
  if (!JSON_NODE_HOLDS_OBJECT (result) && !JSON_NODE_HOLDS_NULL (result))
    {
      set_error (error, NULL, "resultData", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "expected an object or null, got %s", node_type_name (result));
      return NULL;
    }

  if (errors_out != NULL)
    *errors_out = g_steal_pointer (&errors);
  return json_node_ref (result);

envelope_error:
  /* A malformed envelope is INVALID_ENVELOPE whatever the detail was;
   * the message keeps the detail and the path. */
  if (error != NULL && *error != NULL && (*error)->domain == LUMA_PROTOCOL_ERROR &&
      (*error)->code != LUMA_PROTOCOL_ERROR_INVALID_UTF8)
    (*error)->code = LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE;
  return NULL;
}
