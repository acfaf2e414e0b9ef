/* test-models.c: the models, their ISO 8601 times, the strict decoders and
 * the one-pass page reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-json-decode-private.h"
#include "luma-models.h"
#include "luma-page-reader.h"

/* Helpers */

static JsonNode *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_protocol_error (const GError *error,
                       int           code,
                       const char   *path)
{
  g_assert_nonnull (error);
  if (error->domain != LUMA_PROTOCOL_ERROR || error->code != code)
    g_error ("expected LUMA_PROTOCOL_ERROR code %d at %s, got %s code %d: %s",
             code, path, g_quark_to_string (error->domain), error->code, error->message);
  /* The message starts with the path of the member, then a colon. */
  if (!g_str_has_prefix (error->message, path) || error->message[strlen (path)] != ':')
    g_error ("expected the message to start with “%s:”, got “%s”", path, error->message);
}

typedef gpointer (*Decoder) (JsonNode *node, GError **error);

/* Replaces (or with value NULL removes) one member of the object at the end
 * of a dotted path inside a JSON document and returns the new document. */
static JsonNode *
mutate (const char *json,
        const char *object_path, /* e.g. "items[1]" or "" for the root */
        const char *member,
        const char *value_json)
{
  JsonNode *root = parse (json);
  JsonNode *node = root;
  g_auto(GStrv) parts = g_strsplit (object_path, ".", -1);

  for (guint i = 0; parts[i] != NULL && *parts[i] != '\0'; i++)
    {
      char *bracket = strchr (parts[i], '[');
      g_autofree char *name = bracket ? g_strndup (parts[i], bracket - parts[i]) : g_strdup (parts[i]);

      node = json_object_get_member (json_node_get_object (node), name);
      g_assert_nonnull (node);
      if (bracket != NULL)
        node = json_array_get_element (json_node_get_array (node), (guint) atoi (bracket + 1));
    }

  if (value_json == NULL)
    json_object_remove_member (json_node_get_object (node), member);
  else
    json_object_set_member (json_node_get_object (node), member, parse (value_json));
  return root;
}

typedef struct
{
  const char *object_path;
  const char *member;
  const char *value;    /* JSON, NULL = remove the member */
  int         code;
  const char *error_path;
} BadCase;

static void
run_bad_cases (const char    *valid_json,
               Decoder        decoder,
               GDestroyNotify free_func,
               const BadCase *cases,
               guint          n_cases)
{
  for (guint i = 0; i < n_cases; i++)
    {
      g_autoptr(JsonNode) node = mutate (valid_json, cases[i].object_path, cases[i].member, cases[i].value);
      g_autoptr(GError) error = NULL;
      gpointer value;

      g_test_message ("case %u: %s = %s", i, cases[i].member, cases[i].value ? cases[i].value : "(removed)");
      value = decoder (node, &error);
      g_assert_null (value);
      assert_protocol_error (error, cases[i].code, cases[i].error_path);
    }

  /* and the unchanged document decodes */
  {
    g_autoptr(JsonNode) node = parse (valid_json);
    g_autoptr(GError) error = NULL;
    gpointer value = decoder (node, &error);

    g_assert_no_error (error);
    g_assert_nonnull (value);
    free_func (value);
  }
}

/* Enumerations */

static void
test_enums (void)
{
  static const char *const channels[] = {
    "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL",
  };
  static const char *const roles[] = { "Admin", "Developer", "Analyst", "Self-service", "Guest" };
  LumaChannel channel;
  LumaRole role;
  LumaLicenseType license_type;
  LumaInitiatedBy initiated_by;
  LumaUserStatus status;
  LumaSender sender;
  LumaPurchaseKind kind;

  for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
    {
      g_assert_true (luma_channel_from_string (channels[i], &channel));
      g_assert_cmpint (channel, ==, i);
      g_assert_cmpstr (luma_channel_to_string (channel), ==, channels[i]);
      g_assert_nonnull (luma_channel_to_display (channel));
    }
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_assert_true (luma_role_from_string (roles[i], &role));
      g_assert_cmpint (role, ==, i);
      g_assert_cmpstr (luma_role_to_string (role), ==, roles[i]);
    }
  g_assert_cmpstr (luma_channel_to_display (LUMA_CHANNEL_MS_TEAMS), ==, "MS Teams");
  g_assert_cmpstr (luma_initiated_by_to_display (LUMA_INITIATED_BY_END_USER), ==, "End User");
  g_assert_cmpstr (luma_license_type_to_display (LUMA_LICENSE_TYPE_SESSION), ==, "Session-Based");
  g_assert_cmpstr (luma_license_type_to_display (LUMA_LICENSE_TYPE_USER), ==, "User-Based");

  /* exact wire strings only */
  g_assert_false (luma_channel_from_string ("ms_teams", &channel));
  g_assert_false (luma_channel_from_string ("TELEGRAM", &channel));
  g_assert_false (luma_role_from_string ("admin", &role));
  g_assert_false (luma_role_from_string ("Superadmin", &role));
  g_assert_false (luma_role_from_string (NULL, &role));
  g_assert_false (luma_license_type_from_string ("Session", &license_type));

  g_assert_true (luma_license_type_from_string ("USER", &license_type));
  g_assert_cmpint (license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_true (luma_initiated_by_from_string ("AGENT", &initiated_by));
  g_assert_cmpint (initiated_by, ==, LUMA_INITIATED_BY_AGENT);
  g_assert_true (luma_user_status_from_string ("INACTIVE", &status));
  g_assert_cmpint (status, ==, LUMA_USER_STATUS_INACTIVE);
  g_assert_true (luma_sender_from_string ("BOT", &sender));
  g_assert_cmpint (sender, ==, LUMA_SENDER_BOT);
  g_assert_true (luma_purchase_kind_from_string ("AUTO_REFILL", &kind));
  g_assert_cmpint (kind, ==, LUMA_PURCHASE_KIND_AUTO_REFILL);
  g_assert_cmpstr (luma_purchase_kind_to_string (LUMA_PURCHASE_KIND_REMOVAL), ==, "REMOVAL");
  g_assert_cmpstr (luma_user_status_to_display (LUMA_USER_STATUS_ACTIVE), ==, "Active");
  g_assert_cmpstr (luma_sender_to_display (LUMA_SENDER_AGENT), ==, "Agent");
}

/* ISO 8601 */

static void
test_iso8601 (void)
{
  static const struct { const char *text; gint64 expected; } valid[] = {
    { "1970-01-01T00:00:00Z", 0 },
    { "2026-03-14T09:26:53Z", 1773480413 },
    { "2026-03-14T10:26:53+01:00", 1773480413 },
    { "2026-03-14T03:56:53-05:30", 1773480413 },
    { "2026-03-14T09:26:53.999Z", 1773480413 },
    { "2026-03-14t09:26:53z", 1773480413 },
    { "2026-03-14T09:26:53+00:00", 1773480413 },
    { "2026-03-14T09:26:53-00:00", 1773480413 },
    { "2024-02-29T12:00:00Z", 1709208000 },
    { "2000-02-29T00:00:00Z", 951782400 },
    { "2026-12-31T23:59:59Z", 1798761599 },
    { "1969-12-31T23:59:59Z", -1 },
    { "2027-01-01T00:30:00+14:00", 1798713000 },
    /* the first and last second of years 0001-9999 in UTC */
    { "0001-01-01T00:00:00Z", G_GINT64_CONSTANT (-62135596800) },
    { "0001-01-01T01:00:00+01:00", G_GINT64_CONSTANT (-62135596800) },
    { "9999-12-31T23:59:59Z", G_GINT64_CONSTANT (253402300799) },
    { "9999-12-31T22:59:59-01:00", G_GINT64_CONSTANT (253402300799) },
  };
  static const char *const invalid[] = {
    "", "2026-03-14", "2026-03-14T09:26:53", "2026-03-14 09:26:53Z", "2026-03-14T09:26Z",
    "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:60Z", "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00+01",
    "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00.Z",
    "+2026-01-01T00:00:00Z", "２026-01-01T00:00:00Z", "2026-1-01T00:00:00Z",
    /* UTC instants in year 0 or 10000, which cannot be written back */
    "0000-01-01T00:00:00+00:01", "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-00:01",
  };
  char buf[LUMA_ISO8601_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      gint64 t = G_MININT64;

      g_test_message ("%s", valid[i].text);
      g_assert_true (luma_parse_iso8601 (valid[i].text, &t));
      g_assert_cmpint (t, ==, valid[i].expected);
    }

  /* +14:00 is 14 hours ahead of UTC */
  {
    gint64 a, b;

    g_assert_true (luma_parse_iso8601 ("2027-01-01T00:30:00+14:00", &a));
    g_assert_true (luma_parse_iso8601 ("2026-12-31T10:30:00Z", &b));
    g_assert_cmpint (a, ==, b);
  }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      gint64 t;

      g_test_message ("%s", invalid[i]);
      g_assert_false (luma_parse_iso8601 (invalid[i], &t));
    }
  g_assert_false (luma_parse_iso8601 (NULL, NULL));

  /* formatting is UTC with Z and round-trips */
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *text = luma_format_iso8601_utc (valid[i].expected);
      gint64 back;

      g_assert_true (g_str_has_suffix (text, "Z"));
      g_assert_cmpuint (strlen (text), ==, 20);
      g_assert_true (luma_parse_iso8601 (text, &back));
      g_assert_cmpint (back, ==, valid[i].expected);
    }
  luma_format_iso8601_utc_to_buffer (1773480413, buf);
  g_assert_cmpstr (buf, ==, "2026-03-14T09:26:53Z");
  luma_format_iso8601_utc_to_buffer (-1, buf);
  g_assert_cmpstr (buf, ==, "1969-12-31T23:59:59Z");
  luma_format_iso8601_utc_to_buffer (951782400, buf);
  g_assert_cmpstr (buf, ==, "2000-02-29T00:00:00Z");

  /* every day of four years round-trips through the civil calendar */
  for (gint64 t = 1704067200; t < 1704067200 + 4 * 366 * 86400; t += 86400 + 3607)
    {
      gint64 back;

      luma_format_iso8601_utc_to_buffer (t, buf);
      g_assert_true (luma_parse_iso8601 (buf, &back));
      g_assert_cmpint (back, ==, t);
    }
}

/* Session and user records */

#define SESSION_ITEM \
  "{\"sessionId\": \"S-000048214\", \"startedOn\": \"2026-11-27T16:02:11Z\"," \
  " \"initiatedBy\": \"END_USER\", \"userName\": \"Zoë Müller\"," \
  " \"email\": \"zoe.muller@acme.example\", \"role\": \"Analyst\"," \
  " \"agentName\": \"Ana O'Neil\", \"channel\": \"MS_TEAMS\", \"conversations\": 3}"

#define SESSION_ITEM_2 \
  "{\"sessionId\": \"S-2:x\", \"startedOn\": \"2026-11-27T17:02:11+01:00\"," \
  " \"initiatedBy\": \"AGENT\", \"userName\": \"=HYPERLINK(\\\"x\\\")\"," \
  " \"email\": \"\", \"role\": \"Self-service\"," \
  " \"agentName\": null, \"channel\": \"WEB_WIDGET\", \"conversations\": 0}"

#define USER_ITEM \
  "{\"userId\": \"U-1\", \"userName\": \"李 伟\", \"email\": \"li@acme.example\"," \
  " \"firstName\": \"伟\", \"lastName\": \"\", \"role\": \"Guest\", \"status\": \"INACTIVE\"," \
  " \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 12}"

#define USER_ITEM_DATED \
  "{\"userId\": \"U-2\", \"userName\": \"Zoë\", \"email\": \"zoe@acme.example\"," \
  " \"firstName\": \"\", \"lastName\": \"\", \"role\": \"Admin\", \"status\": \"ACTIVE\"," \
  " \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 3," \
  " \"lastConversationOn\": \"2026-03-08T01:30:00-05:00\"}"

#define USER_ITEM_NEVER \
  "{\"lastConversationOn\": null, \"userId\": \"U-3\", \"userName\": \"=1+1\", \"email\": \"\"," \
  " \"firstName\": \"\", \"lastName\": \"\", \"role\": \"Guest\", \"status\": \"ACTIVE\"," \
  " \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 0}"

static void
test_session_record (void)
{
  g_autoptr(JsonNode) node = parse (SESSION_ITEM);
  g_autoptr(JsonNode) node2 = parse (SESSION_ITEM_2);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSessionRecord) r = luma_session_record_from_json (node, &error);
  g_autoptr(LumaSessionRecord) r2 = NULL;
  g_autoptr(LumaSessionRecord) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r->session_id, ==, "S-000048214");
  g_assert_cmpint (r->started_on, ==, 1795795331);
  g_assert_cmpint (r->initiated_by, ==, LUMA_INITIATED_BY_END_USER);
  g_assert_cmpstr (r->user_name, ==, "Zoë Müller");
  g_assert_cmpstr (r->email, ==, "zoe.muller@acme.example");
  g_assert_cmpint (r->role, ==, LUMA_ROLE_ANALYST);
  g_assert_cmpstr (r->agent_name, ==, "Ana O'Neil");
  g_assert_cmpint (r->channel, ==, LUMA_CHANNEL_MS_TEAMS);
  g_assert_cmpint (r->conversations, ==, 3);

  r2 = luma_session_record_from_json (node2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r2->session_id, ==, "S-2:x");
  g_assert_cmpint (r2->started_on, ==, 1795795331);
  g_assert_cmpstr (r2->user_name, ==, "=HYPERLINK(\"x\")");
  g_assert_cmpstr (r2->email, ==, "");
  g_assert_null (r2->agent_name);
  g_assert_cmpint (r2->role, ==, LUMA_ROLE_SELF_SERVICE);
  g_assert_cmpint (r2->initiated_by, ==, LUMA_INITIATED_BY_AGENT);

  copy = luma_session_record_copy (r);
  g_assert_true (copy->user_name != r->user_name);
  g_assert_cmpstr (copy->user_name, ==, r->user_name);
  g_assert_cmpint (copy->started_on, ==, r->started_on);
}

static void
test_session_record_bad (void)
{
  static const BadCase cases[] = {
    { "", "sessionId", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "sessionId" },
    { "", "sessionId", "42", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "sessionId" },
    { "", "sessionId", "\"\"", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "sessionId" },
    { "", "sessionId", "\"S 1\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "sessionId" },
    { "", "sessionId", "\"S/../1\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "sessionId" },
    { "", "sessionId", "\"" "0123456789012345678901234567890123456789012345678901234567890123456789" "\"",
      LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "sessionId" },
    { "", "startedOn", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "startedOn" },
    { "", "startedOn", "1795795331", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "startedOn" },
    { "", "startedOn", "\"2026-11-27T16:02:11\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "startedOn" },
    { "", "startedOn", "\"yesterday\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "startedOn" },
    { "", "initiatedBy", "\"BOT\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "initiatedBy" },
    { "", "initiatedBy", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "initiatedBy" },
    { "", "userName", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "userName" },
    { "", "userName", "[\"a\"]", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "userName" },
    { "", "userName", "\"\"", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "userName" },
    { "", "userName", "\"\\ud800x\"", LUMA_PROTOCOL_ERROR_INVALID_UTF8, "userName" },
    { "", "email", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "email" },
    { "", "role", "\"admin\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "role" },
    { "", "role", "\"Superadmin\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "role" },
    { "", "agentName", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "agentName" },
    { "", "agentName", "false", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "agentName" },
    { "", "channel", "\"TELEGRAM\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "channel" },
    { "", "conversations", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "conversations" },
    { "", "conversations", "-1", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "conversations" },
    { "", "conversations", "9007199254740992", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "conversations" },
    { "", "conversations", "3.5", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "conversations" },
    { "", "conversations", "\"3\"", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "conversations" },
  };
  g_autoptr(JsonNode) array = parse ("[1]");
  g_autoptr(GError) error = NULL;

  run_bad_cases (SESSION_ITEM, (Decoder) luma_session_record_from_json,
                 (GDestroyNotify) luma_session_record_free, cases, G_N_ELEMENTS (cases));

  g_assert_null (luma_session_record_from_json (array, &error));
  g_assert_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_WRONG_TYPE);

  /* the largest count is fine */
  {
    g_autoptr(JsonNode) node = mutate (SESSION_ITEM, "", "conversations", "9007199254740991");
    g_autoptr(LumaSessionRecord) r = luma_session_record_from_json (node, NULL);

    g_assert_nonnull (r);
    g_assert_cmpint (r->conversations, ==, LUMA_MAX_COUNT);
  }
}

static void
test_user_record (void)
{
  static const BadCase cases[] = {
    { "", "userId", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "userId" },
    { "", "firstName", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "firstName" },
    { "", "status", "\"DELETED\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "status" },
    { "", "createdOn", "\"2026-02-30T08:00:00Z\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "createdOn" },
    { "", "conversations", "-5", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "conversations" },
    { "", "lastName", "{}", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "lastName" },
    /* lastConversationOn: a date-time, null exactly when there were none */
    { "", "lastConversationOn", "null", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "lastConversationOn" },
    { "", "lastConversationOn", "1769932800", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "lastConversationOn" },
    { "", "lastConversationOn", "false", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "lastConversationOn" },
    { "", "lastConversationOn", "{\"at\": \"2026-02-01T08:00:00Z\"}", LUMA_PROTOCOL_ERROR_WRONG_TYPE,
      "lastConversationOn" },
    { "", "lastConversationOn", "\"\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "lastConversationOn" },
    { "", "lastConversationOn", "\"last week\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "lastConversationOn" },
    { "", "lastConversationOn", "\"2026-02-30T08:00:00Z\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
      "lastConversationOn" },
    { "", "lastConversationOn", "\"2026-02-01T08:00:00\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
      "lastConversationOn" },
    { "", "lastConversationOn", "\"\\ud800x\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "lastConversationOn" },
  };
  static const BadCase never_cases[] = {
    { "", "lastConversationOn", "\"2026-02-01T08:00:00Z\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
      "lastConversationOn" },
    { "", "lastConversationOn", "0", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "lastConversationOn" },
  };
  g_autoptr(JsonNode) node = parse (USER_ITEM);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaUserRecord) r = luma_user_record_from_json (node, &error);
  g_autoptr(LumaUserRecord) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r->user_id, ==, "U-1");
  g_assert_cmpstr (r->user_name, ==, "李 伟");
  g_assert_cmpstr (r->first_name, ==, "伟");
  g_assert_cmpstr (r->last_name, ==, "");
  g_assert_cmpint (r->role, ==, LUMA_ROLE_GUEST);
  g_assert_cmpint (r->status, ==, LUMA_USER_STATUS_INACTIVE);
  g_assert_cmpint (r->created_on, ==, 1769932800);
  g_assert_cmpint (r->conversations, ==, 12);
  /* Without lastConversationOn (an older server): unknown, not "never". */
  g_assert_false (r->last_conversation_known);
  copy = luma_user_record_copy (r);
  g_assert_cmpstr (copy->email, ==, "li@acme.example");

  run_bad_cases (USER_ITEM, (Decoder) luma_user_record_from_json,
                 (GDestroyNotify) luma_user_record_free, cases, G_N_ELEMENTS (cases));
  run_bad_cases (USER_ITEM_NEVER, (Decoder) luma_user_record_from_json,
                 (GDestroyNotify) luma_user_record_free, never_cases, G_N_ELEMENTS (never_cases));

  /* A date with an offset, in UTC. */
  {
    g_autoptr(JsonNode) dated = parse (USER_ITEM_DATED);
    g_autoptr(LumaUserRecord) d = luma_user_record_from_json (dated, &error);
    g_autoptr(LumaUserRecord) d_copy = NULL;

    g_assert_no_error (error);
    g_assert_true (d->last_conversation_known);
    /* 2026-03-08T01:30:00-05:00 */
    g_assert_cmpint (d->last_conversation_on, ==, 1772951400);
    d_copy = luma_user_record_copy (d);
    g_assert_true (d_copy->last_conversation_known);
    g_assert_cmpint (d_copy->last_conversation_on, ==, d->last_conversation_on);
  }

  /* null with no conversation: known, never. */
  {
    g_autoptr(JsonNode) never = parse (USER_ITEM_NEVER);
    g_autoptr(LumaUserRecord) n = luma_user_record_from_json (never, &error);

    g_assert_no_error (error);
    g_assert_true (n->last_conversation_known);
    g_assert_cmpint (n->conversations, ==, 0);
  }
}

/* Consumption pages */

#define SESSION_PAGE \
  "{\"licenseType\": \"SESSION\", \"items\": [" SESSION_ITEM ", " SESSION_ITEM_2 "]," \
  " \"nextCursor\": \"djE6NDgyMTQ\", \"hasMore\": true, \"remaining\": 17}"

#define USER_PAGE \
  "{\"licenseType\": \"USER\", \"items\": [" USER_ITEM "]," \
  " \"nextCursor\": \"djE6MQ\", \"hasMore\": false, \"remaining\": 0}"

static void
test_consumption_page (void)
{
  g_autoptr(JsonNode) node = parse (SESSION_PAGE);
  g_autoptr(JsonNode) user_node = parse (USER_PAGE);
  g_autoptr(JsonNode) empty_node = parse ("{\"licenseType\": \"SESSION\", \"items\": [],"
                                          " \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}");
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaConsumptionPage) page = luma_consumption_page_from_json (node, &error);
  g_autoptr(LumaConsumptionPage) user_page = NULL;
  g_autoptr(LumaConsumptionPage) empty_page = NULL;
  LumaSessionRecord *s;
  LumaUserRecord *u;

  g_assert_no_error (error);
  g_assert_cmpint (page->license_type, ==, LUMA_LICENSE_TYPE_SESSION);
  g_assert_cmpuint (page->items->len, ==, 2);
  s = g_ptr_array_index (page->items, 1);
  g_assert_cmpstr (s->session_id, ==, "S-2:x");
  g_assert_cmpstr (page->next_cursor, ==, "djE6NDgyMTQ");
  g_assert_true (page->has_more);
  g_assert_cmpint (page->remaining, ==, 17);

  user_page = luma_consumption_page_from_json (user_node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_page->license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpuint (user_page->items->len, ==, 1);
  u = g_ptr_array_index (user_page->items, 0);
  g_assert_cmpstr (u->user_id, ==, "U-1");
  g_assert_false (user_page->has_more);

  empty_page = luma_consumption_page_from_json (empty_node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty_page->items->len, ==, 0);
}

static void
test_consumption_page_bad (void)
{
  static const BadCase cases[] = {
    { "", "licenseType", "\"SEAT\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.licenseType" },
    { "", "licenseType", "\"USER\"", LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].userId" },
    { "", "items", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items" },
    { "", "items", "{}", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items" },
    { "", "items", "[1]", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0]" },
    { "", "nextCursor", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.nextCursor" },
    { "", "nextCursor", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.nextCursor" },
    { "", "hasMore", "1", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.hasMore" },
    { "", "remaining", "-1", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.remaining" },
    { "items[1]", "startedOn", "\"2026-11-27\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].startedOn" },
    { "items[1]", "channel", "\"FAX\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].channel" },
    { "items[0]", "conversations", "18014398509481984", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].conversations" },
    { "items[0]", "email", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].email" },
    /* one record twice in a page: which one is current would be a guess */
    { "items[1]", "sessionId", "\"S-000048214\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].sessionId" },
  };

  run_bad_cases (SESSION_PAGE, (Decoder) luma_consumption_page_from_json,
                 (GDestroyNotify) luma_consumption_page_free, cases, G_N_ELEMENTS (cases));
}

/* Subscription and contacts */

#define SUBSCRIPTION \
  "{\"externalId\": \"acme\", \"tenantName\": \"Acme Corporation\", \"licenseType\": \"SESSION\"," \
  " \"startDate\": \"2026-01-01T00:00:00Z\", \"endDate\": \"2026-12-31T23:59:59Z\"," \
  " \"sessionDurationMinutes\": 30, \"totalPurchase\": 50000, \"consumed\": 48213," \
  " \"available\": 1787, \"overage\": 0, \"technicalEmails\": [\"it@acme.example\"]," \
  " \"billingEmails\": [\"finance@acme.example\", \"cfo@acme.example\"], \"version\": 7}"

static void
test_subscription (void)
{
  static const BadCase cases[] = {
    { "", "externalId", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.externalId" },
    { "", "externalId", "\"ac:me\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.externalId" },
    { "", "tenantName", "7", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.tenantName" },
    { "", "licenseType", "\"Session\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.licenseType" },
    { "", "startDate", "\"2026-01-01\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.startDate" },
    { "", "endDate", "\"2025-12-31T23:59:59Z\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.endDate" },
    { "", "sessionDurationMinutes", "0", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.sessionDurationMinutes" },
    { "", "sessionDurationMinutes", "1441", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.sessionDurationMinutes" },
    { "", "totalPurchase", "-50000", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.totalPurchase" },
    { "", "totalPurchase", "9007199254740993", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.totalPurchase" },
    { "", "consumed", "48213.0", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.consumed" },
    { "", "available", "1788", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.available" },
    { "", "overage", "1", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.overage" },
    { "", "technicalEmails", "\"it@acme.example\"", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.technicalEmails" },
    { "", "billingEmails", "[\"a@b.example\", 3]", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.billingEmails[1]" },
    { "", "billingEmails", "[\"a@b.example\", \"\\ud800x\"]", LUMA_PROTOCOL_ERROR_INVALID_UTF8, "resultData.billingEmails[1]" },
    { "", "version", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.version" },
  };
  g_autoptr(JsonNode) node = parse (SUBSCRIPTION);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) s = luma_subscription_from_json (node, &error);
  g_autoptr(LumaSubscription) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (s->external_id, ==, "acme");
  g_assert_cmpstr (s->tenant_name, ==, "Acme Corporation");
  g_assert_cmpint (s->license_type, ==, LUMA_LICENSE_TYPE_SESSION);
  g_assert_cmpint (s->start_date, ==, 1767225600);
  g_assert_cmpint (s->end_date, ==, 1798761599);
  g_assert_cmpint (s->session_duration_minutes, ==, 30);
  g_assert_cmpint (s->total_purchase, ==, 50000);
  g_assert_cmpint (s->consumed, ==, 48213);
  g_assert_cmpint (s->available, ==, 1787);
  g_assert_cmpint (s->overage, ==, 0);
  g_assert_cmpuint (g_strv_length (s->technical_emails), ==, 1);
  g_assert_cmpstr (s->billing_emails[1], ==, "cfo@acme.example");
  g_assert_cmpint (s->version, ==, 7);
  copy = luma_subscription_copy (s);
  g_assert_cmpstr (copy->billing_emails[0], ==, "finance@acme.example");

  run_bad_cases (SUBSCRIPTION, (Decoder) luma_subscription_from_json,
                 (GDestroyNotify) luma_subscription_free, cases, G_N_ELEMENTS (cases));

  /* past 100 %: overage counts */
  {
    g_autoptr(JsonNode) over = mutate (SUBSCRIPTION, "", "consumed", "50010");
    g_autoptr(LumaSubscription) o = NULL;

    json_object_set_int_member (json_node_get_object (over), "available", 0);
    json_object_set_int_member (json_node_get_object (over), "overage", 10);
    o = luma_subscription_from_json (over, &error);
    g_assert_no_error (error);
    g_assert_cmpint (o->overage, ==, 10);
  }
}

static void
test_contacts (void)
{
  static const BadCase cases[] = {
    { "", "technicalEmails", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.technicalEmails" },
    { "", "version", "-1", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.version" },
    { "", "version", "\"8\"", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.version" },
  };
  const char *json = "{\"technicalEmails\": [\"it@acme.example\"], \"billingEmails\": [\"ap@acme.example\"], \"version\": 8}";
  g_autoptr(JsonNode) node = parse (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaContacts) c = luma_contacts_from_json (node, &error);
  g_autoptr(LumaContacts) copy = NULL;
  const char *tech[] = { "a@b.example", NULL };

  g_assert_no_error (error);
  g_assert_cmpstr (c->billing_emails[0], ==, "ap@acme.example");
  g_assert_null (c->billing_emails[1]);
  g_assert_cmpint (c->version, ==, 8);
  copy = luma_contacts_copy (c);
  g_assert_cmpstr (copy->technical_emails[0], ==, "it@acme.example");

  run_bad_cases (json, (Decoder) luma_contacts_from_json,
                 (GDestroyNotify) luma_contacts_free, cases, G_N_ELEMENTS (cases));

  {
    g_autoptr(LumaContacts) made = luma_contacts_new (tech, NULL, 3);
    g_assert_cmpstr (made->technical_emails[0], ==, "a@b.example");
    g_assert_nonnull (made->billing_emails);
    g_assert_null (made->billing_emails[0]);
  }
}

/* Purchases */

#define PURCHASES \
  "{\"items\": [" \
  "{\"purchaseId\": \"P-0003\", \"performedOn\": \"2026-09-02T11:40:00Z\", \"kind\": \"REFILL\"," \
  " \"change\": 10000, \"totalAfter\": 50000, \"performedBy\": \"superadmin\"," \
  " \"reason\": \"Q4 campaign, order 4471\", \"reference\": \"PO-4471\"}," \
  "{\"purchaseId\": \"P-0002\", \"performedOn\": \"2026-05-02T11:40:00Z\", \"kind\": \"REMOVAL\"," \
  " \"change\": -2000, \"totalAfter\": 40000, \"performedBy\": \"superadmin\"," \
  " \"reason\": \"Correction\", \"reference\": null}," \
  "{\"purchaseId\": \"P-0001\", \"performedOn\": \"2026-01-01T00:00:00Z\", \"kind\": \"PURCHASE\"," \
  " \"change\": 42000, \"totalAfter\": 42000, \"performedBy\": \"superadmin\"," \
  " \"reason\": \"Initial purchase\", \"reference\": null}]}"

static void
test_purchases (void)
{
  static const BadCase cases[] = {
    { "items[0]", "change", "0", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].change" },
    { "items[0]", "change", "-10000", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].change" },
    { "items[1]", "change", "2000", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].change" },
    { "items[0]", "change", "9007199254740992", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].change" },
    { "items[2]", "kind", "\"GIFT\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[2].kind" },
    { "items[2]", "reference", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[2].reference" },
    { "items[2]", "reference", "12", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[2].reference" },
    { "items[1]", "totalAfter", "-1", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[1].totalAfter" },
    { "items[1]", "performedOn", "\"2026-05-02T11:40:00+25:00\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].performedOn" },
    { "items[1]", "reason", "\"\"", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[1].reason" },
    { "", "items", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items" },
  };
  g_autoptr(JsonNode) node = parse (PURCHASES);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = luma_purchase_list_from_json (node, &error);
  LumaPurchase *p;
  g_autoptr(LumaPurchase) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  p = g_ptr_array_index (list, 0);
  g_assert_cmpstr (p->purchase_id, ==, "P-0003");
  g_assert_cmpint (p->kind, ==, LUMA_PURCHASE_KIND_REFILL);
  g_assert_cmpint (p->change, ==, 10000);
  g_assert_cmpint (p->total_after, ==, 50000);
  g_assert_cmpstr (p->reference, ==, "PO-4471");
  p = g_ptr_array_index (list, 1);
  g_assert_cmpint (p->kind, ==, LUMA_PURCHASE_KIND_REMOVAL);
  g_assert_cmpint (p->change, ==, -2000);
  g_assert_null (p->reference);
  copy = luma_purchase_copy (p);
  g_assert_cmpstr (copy->reason, ==, "Correction");

  run_bad_cases (PURCHASES, (Decoder) luma_purchase_list_from_json,
                 (GDestroyNotify) g_ptr_array_unref, cases, G_N_ELEMENTS (cases));
}

/* Conversations */

#define CONVERSATIONS \
  "{\"items\": [{\"conversationId\": \"C-000048214-1\", \"sessionId\": \"S-000048214\"," \
  " \"userId\": null, \"channel\": \"MS_TEAMS\", \"startedOn\": \"2026-11-27T16:02:11Z\"," \
  " \"messages\": [" \
  "  {\"sender\": \"USER\", \"senderName\": \"zoe.muller\", \"sentAt\": \"2026-11-27T16:02:11Z\", \"text\": \"Hi, my VPN token expired\"}," \
  "  {\"sender\": \"BOT\", \"senderName\": \"Luma\", \"sentAt\": \"2026-11-27T16:02:13Z\", \"text\": \"I can help with that.\"}," \
  "  {\"sender\": \"AGENT\", \"senderName\": \"Ana O'Neil\", \"sentAt\": \"2026-11-27T16:04:40Z\", \"text\": \"I've reset it for you.\"}]}]}"

static void
test_conversations (void)
{
  static const BadCase cases[] = {
    { "items[0].messages[1]", "sender", "\"SYSTEM\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].messages[1].sender" },
    { "items[0].messages[2]", "sentAt", "12", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].messages[2].sentAt" },
    { "items[0].messages[0]", "text", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].messages[0].text" },
    { "items[0].messages[0]", "text", "\"\\ud800y\"", LUMA_PROTOCOL_ERROR_INVALID_UTF8, "resultData.items[0].messages[0].text" },
    { "items[0]", "messages", "{}", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].messages" },
    { "items[0]", "userId", "\"U-1\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].userId" },
    { "items[0]", "sessionId", "null", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].sessionId" },
    { "items[0]", "conversationId", "\"\"", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].conversationId" },
    { "items[0]", "channel", "\"SMS\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].channel" },
  };
  g_autoptr(JsonNode) node = parse (CONVERSATIONS);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = luma_conversation_list_from_json (node, &error);
  g_autoptr(LumaConversation) copy = NULL;
  LumaConversation *c;
  LumaMessage *m;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  c = g_ptr_array_index (list, 0);
  g_assert_cmpstr (c->conversation_id, ==, "C-000048214-1");
  g_assert_cmpstr (c->session_id, ==, "S-000048214");
  g_assert_null (c->user_id);
  g_assert_cmpint (c->channel, ==, LUMA_CHANNEL_MS_TEAMS);
  g_assert_cmpuint (c->messages->len, ==, 3);
  m = g_ptr_array_index (c->messages, 2);
  g_assert_cmpint (m->sender, ==, LUMA_SENDER_AGENT);
  g_assert_cmpstr (m->sender_name, ==, "Ana O'Neil");
  g_assert_cmpstr (m->text, ==, "I've reset it for you.");
  g_assert_cmpint (m->sent_at, ==, 1795795480);
  copy = luma_conversation_copy (c);
  g_assert_cmpuint (copy->messages->len, ==, 3);
  g_assert_true (g_ptr_array_index (copy->messages, 0) != g_ptr_array_index (c->messages, 0));

  run_bad_cases (CONVERSATIONS, (Decoder) luma_conversation_list_from_json,
                 (GDestroyNotify) g_ptr_array_unref, cases, G_N_ELEMENTS (cases));
}

/* Platform: tenants, refills, login */

#define TENANTS \
  "{\"items\": [{\"externalId\": \"acme\", \"tenantName\": \"Acme Corporation\", \"licenseType\": \"SESSION\"," \
  " \"startDate\": \"2026-01-01T00:00:00Z\", \"endDate\": \"2026-12-31T23:59:59Z\"," \
  " \"totalPurchase\": 50000, \"consumed\": 48213, \"available\": 1787, \"overage\": 0," \
  " \"lastRefill\": {\"at\": \"2026-09-02T13:40:00+02:00\", \"change\": -500}}," \
  " {\"externalId\": \"globex\", \"tenantName\": \"Globex\", \"licenseType\": \"USER\"," \
  " \"startDate\": \"2026-01-01T00:00:00Z\", \"endDate\": \"2026-12-31T23:59:59Z\"," \
  " \"totalPurchase\": 100, \"consumed\": 120, \"available\": 0, \"overage\": 20, \"lastRefill\": null}]}"

#define REFILL \
  "{\"purchase\": {\"purchaseId\": \"P-0004\", \"performedOn\": \"2026-11-28T09:01:12Z\", \"kind\": \"REFILL\"," \
  " \"change\": 5000, \"totalAfter\": 55000, \"performedBy\": \"root\"," \
  " \"reason\": \"Customer order 4480\", \"reference\": \"PO-4480\"}," \
  " \"subscription\": {\"externalId\": \"acme\", \"totalPurchase\": 55000, \"consumed\": 48213," \
  " \"available\": 6787, \"overage\": 0}}"

#define LOGIN \
  "{\"token\": \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb290In0.c2lnbmF0dXJl\", \"tokenType\": \"Bearer\"," \
  " \"expiresIn\": 900, \"expiresAt\": \"2026-11-28T10:15:00Z\"}"

static void
test_platform (void)
{
  static const BadCase tenant_cases[] = {
    { "items[1]", "overage", "19", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].overage" },
    { "items[1]", "licenseType", "\"user\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[1].licenseType" },
    { "items[0]", "consumed", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].consumed" },
    /* The last refill: an object or null, strictly */
    { "items[0]", "lastRefill", "\"2026-09-02T11:40:00Z\"", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].lastRefill" },
    { "items[1]", "lastRefill", "[]", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[1].lastRefill" },
    { "items[1]", "lastRefill", "5000", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[1].lastRefill" },
    { "items[0].lastRefill", "change", "0", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", "1000001", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", "-1000001", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", "\"500\"", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", "5.5", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", "null", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "change", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].lastRefill.change" },
    { "items[0].lastRefill", "at", "\"2026-13-02T11:40:00Z\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].lastRefill.at" },
    { "items[0].lastRefill", "at", "\"2026-09-02T11:40:00\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].lastRefill.at" },
    { "items[0].lastRefill", "at", "\"yesterday\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.items[0].lastRefill.at" },
    { "items[0].lastRefill", "at", "1788349200", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.items[0].lastRefill.at" },
    { "items[0].lastRefill", "at", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.items[0].lastRefill.at" },
  };
  static const BadCase refill_cases[] = {
    { "", "purchase", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.purchase" },
    { "purchase", "change", "0", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.purchase.change" },
    { "subscription", "available", "-6787", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.subscription.available" },
    { "", "subscription", "[]", LUMA_PROTOCOL_ERROR_WRONG_TYPE, "resultData.subscription" },
  };
  static const BadCase login_cases[] = {
    { "", "token", NULL, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "resultData.token" },
    { "", "token", "\"a b\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.token" },
    { "", "tokenType", "\"MAC\"", LUMA_PROTOCOL_ERROR_INVALID_VALUE, "resultData.tokenType" },
    { "", "expiresIn", "0", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE, "resultData.expiresIn" },
  };
  g_autoptr(JsonNode) tenants_node = parse (TENANTS);
  g_autoptr(JsonNode) refill_node = parse (REFILL);
  g_autoptr(JsonNode) login_node = parse (LOGIN);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = luma_tenant_list_from_json (tenants_node, &error);
  g_autoptr(LumaRefillResult) refill = NULL;
  g_autoptr(LumaLoginResult) login = NULL;
  LumaTenantSummary *t;

  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 2);
  t = g_ptr_array_index (tenants, 1);
  g_assert_cmpstr (t->external_id, ==, "globex");
  g_assert_cmpint (t->license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpint (t->overage, ==, 20);
  g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_NEVER);
  t = g_ptr_array_index (tenants, 0);
  g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_KNOWN);
  /* 2026-09-02T11:40:00Z, written with another offset */
  g_assert_cmpint (t->last_refill_at, ==, 1788349200);
  g_assert_cmpint (t->last_refill_change, ==, -500);
  /* An older server says nothing: unknown, not never. */
  {
    g_autoptr(JsonNode) older = mutate (TENANTS, "items[0]", "lastRefill", NULL);
    g_autoptr(GPtrArray) list = luma_tenant_list_from_json (older, &error);

    g_assert_no_error (error);
    g_assert_cmpint (((LumaTenantSummary *) g_ptr_array_index (list, 0))->last_refill, ==,
                     LUMA_LAST_REFILL_UNKNOWN);
  }
  /* The bounds of a refill are accepted. */
  {
    g_autoptr(JsonNode) largest = mutate (TENANTS, "items[0].lastRefill", "change", "1000000");
    g_autoptr(GPtrArray) list = luma_tenant_list_from_json (largest, &error);

    g_assert_no_error (error);
    g_assert_cmpint (((LumaTenantSummary *) g_ptr_array_index (list, 0))->last_refill_change, ==, 1000000);
  }
  t = g_ptr_array_index (tenants, 1);
  {
    g_autoptr(LumaTenantSummary) copy = luma_tenant_summary_copy (t);
    g_assert_cmpstr (copy->tenant_name, ==, "Globex");
  }

  refill = luma_refill_result_from_json (refill_node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refill->purchase->purchase_id, ==, "P-0004");
  g_assert_cmpint (refill->purchase->change, ==, 5000);
  g_assert_cmpint (refill->total_purchase, ==, 55000);
  g_assert_cmpint (refill->available, ==, 6787);

  login = luma_login_result_from_json (login_node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (login->token, ==, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb290In0.c2lnbmF0dXJl");
  g_assert_cmpint (login->expires_in, ==, 900);

  run_bad_cases (TENANTS, (Decoder) luma_tenant_list_from_json,
                 (GDestroyNotify) g_ptr_array_unref, tenant_cases, G_N_ELEMENTS (tenant_cases));
  /* Pages of the tenant list; an answer without hasMore is the whole list. */
  {
    g_autoptr(LumaTenantPage) whole = luma_tenant_page_from_json (tenants_node, &error);
    static const char *bad_pages[] = {
      "{\"items\": [], \"nextCursor\": \"dDE6YQ\", \"hasMore\": true}",
      "{\"items\": [], \"nextCursor\": null, \"hasMore\": \"no\"}",
    };

    g_assert_no_error (error);
    g_assert_cmpuint (whole->items->len, ==, 2);
    g_assert_false (whole->has_more);
    g_assert_null (whole->next_cursor);
    for (guint i = 0; i < G_N_ELEMENTS (bad_pages); i++)
      {
        g_autoptr(JsonNode) node = parse (bad_pages[i]);
        g_autoptr(LumaTenantPage) page = luma_tenant_page_from_json (node, &error);
        int code = i == 0 ? LUMA_PROTOCOL_ERROR_INVALID_VALUE : LUMA_PROTOCOL_ERROR_WRONG_TYPE;

        g_assert_null (page);
        g_assert_error (error, LUMA_PROTOCOL_ERROR, code);
        g_assert_nonnull (strstr (error->message, "resultData.hasMore"));
        g_clear_error (&error);
      }
  }
  {
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(LumaTenantPage) page = NULL;
    g_autofree char *text = g_strdup (TENANTS);
    g_autofree char *first_page = NULL;

    /* The same items, as a first page of several. */
    text[strlen (text) - 1] = '\0';
    first_page = g_strconcat (text, ", \"nextCursor\": \"dDE6Z2xvYmV4\", \"hasMore\": true}", NULL);
    node = parse (first_page);
    page = luma_tenant_page_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_true (page->has_more);
    g_assert_cmpstr (page->next_cursor, ==, "dDE6Z2xvYmV4");
    g_assert_cmpuint (page->items->len, ==, 2);
  }

  run_bad_cases (REFILL, (Decoder) luma_refill_result_from_json,
                 (GDestroyNotify) luma_refill_result_free, refill_cases, G_N_ELEMENTS (refill_cases));
  run_bad_cases (LOGIN, (Decoder) luma_login_result_from_json,
                 (GDestroyNotify) luma_login_result_free, login_cases, G_N_ELEMENTS (login_cases));
}

/* The envelope */

#define ENVELOPE_OPEN_TEXT "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": "

static JsonNode *
envelope (const char  *text,
          guint        status,
          GPtrArray  **errors_out,
          GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return luma_envelope_parse (bytes, status, errors_out, error);
}

static void
test_envelope (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(LumaSubscription) s = NULL;
  LumaFieldError *fe;

  result = envelope ("{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\","
                     " \"errors\": [], \"resultData\": " SUBSCRIPTION "}", 200, &errors, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (errors->len, ==, 0);
  s = luma_subscription_from_json (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->tenant_name, ==, "Acme Corporation");
  g_clear_pointer (&result, json_node_unref);
  g_clear_pointer (&errors, g_ptr_array_unref);

  /* a 422 with per-field errors */
  result = envelope ("{\"status\": \"failure\", \"statusCode\": 422, \"statusLine\": \"Unprocessable Entity\","
                     " \"errors\": [{\"code\": \"VALIDATION_FAILED\"},"
                     " {\"code\": \"INVALID_EMAIL\", \"field\": \"technicalEmails[1]\", \"message\": \"\\\"noc@\\\" is not a valid email address\"},"
                     " {\"code\": \"DUPLICATE_EMAIL\", \"field\": \"billingEmails[2]\", \"message\": \"twice\"}],"
                     " \"resultData\": null}", 422, &errors, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_NULL (result));
  g_assert_cmpuint (errors->len, ==, 3);
  fe = g_ptr_array_index (errors, 0);
  g_assert_cmpstr (fe->code, ==, "VALIDATION_FAILED");
  g_assert_null (fe->field);
  g_assert_null (fe->message);
  fe = g_ptr_array_index (errors, 1);
  g_assert_cmpstr (fe->code, ==, "INVALID_EMAIL");
  g_assert_cmpstr (fe->field, ==, "technicalEmails[1]");
  g_assert_cmpstr (fe->message, ==, "\"noc@\" is not a valid email address");
  g_clear_pointer (&result, json_node_unref);
  g_clear_pointer (&errors, g_ptr_array_unref);

  /* a 412 keeps resultData */
  result = envelope ("{\"status\": \"failure\", \"statusCode\": 412, \"statusLine\": \"Precondition Failed\","
                     " \"errors\": [{\"code\": \"VERSION_MISMATCH\", \"message\": \"contacts changed since version 7\"}],"
                     " \"resultData\": {\"technicalEmails\": [\"it@acme.example\"], \"billingEmails\": [\"ap@acme.example\"], \"version\": 8}}",
                     412, &errors, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
  {
    g_autoptr(LumaContacts) c = luma_contacts_from_json (result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (c->version, ==, 8);
  }
  g_clear_pointer (&result, json_node_unref);
  g_clear_pointer (&errors, g_ptr_array_unref);

  /* malformed envelopes */
  {
    static const struct { const char *text; guint status; int code; const char *path; } bad[] = {
      { "", 200, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)" },
      { "<html>Bad gateway</html>", 200, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)" },
      { "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {\"a\": ",
        200, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)" },
      { "[1, 2]", 200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "(root)" },
      { "{\"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "status" },
      { "{\"status\": \"failure\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "status" },
      { "{\"status\": \"success\", \"statusCode\": 201, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "statusCode" },
      { "{\"status\": \"success\", \"statusCode\": \"200\", \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "statusCode" },
      { "{\"status\": \"success\", \"statusCode\": 200, \"errors\": [], \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "statusLine" },
      { "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": {}, \"resultData\": {}}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "errors" },
      { "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": [1]}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "resultData" },
      { "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": []}",
        200, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "resultData" },
      { "{\"status\": \"failure\", \"statusCode\": 500, \"statusLine\": \"Internal Server Error\", \"errors\": [], \"resultData\": null}",
        500, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "errors" },
      { "{\"status\": \"failure\", \"statusCode\": 500, \"statusLine\": \"Internal Server Error\", \"errors\": [{\"field\": \"x\"}], \"resultData\": null}",
        500, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "errors[0].code" },
      { "{\"status\": \"failure\", \"statusCode\": 500, \"statusLine\": \"Internal Server Error\", \"errors\": [\"SERVER_ERROR\"], \"resultData\": null}",
        500, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, "errors[0]" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) local_error = NULL;
        g_autoptr(JsonNode) node = NULL;

        g_test_message ("bad envelope %u", i);
        node = envelope (bad[i].text, bad[i].status, NULL, &local_error);
        g_assert_null (node);
        assert_protocol_error (local_error, bad[i].code, bad[i].path);
      }
  }

  /* deep nesting is refused before json-glib recurses into it */
  {
    g_autoptr(GString) deep = g_string_new (ENVELOPE_OPEN_TEXT);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(JsonNode) node = NULL;

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    node = envelope (deep->str, 200, NULL, &local_error);
    g_assert_null (node);
    assert_protocol_error (local_error, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)");
  }

  /* no body at all */
  result = luma_envelope_parse (NULL, 200, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON);
  g_clear_error (&error);
}

static void
test_envelope_invalid_utf8 (void)
{
  /* Raw bytes that are not UTF-8 inside a string of the second item. */
  const char *page = "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [],"
                     " \"resultData\": {\"licenseType\": \"SESSION\", \"items\": [" SESSION_ITEM ", "
                     "{\"sessionId\": \"S-2\", \"startedOn\": \"2026-11-27T16:02:11Z\", \"initiatedBy\": \"END_USER\","
                     " \"userName\": \"Zo\xeb M\xfcller\", \"email\": \"\", \"role\": \"Guest\", \"agentName\": null,"
                     " \"channel\": \"SLACK\", \"conversations\": 1}],"
                     " \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = envelope (page, 200, NULL, &error);

  g_assert_null (node);
  assert_protocol_error (error, LUMA_PROTOCOL_ERROR_INVALID_UTF8, "resultData.items[1].userName");
  g_clear_error (&error);

  /* in a key rather than a value: the object holding it is named */
  node = envelope ("{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [],"
                   " \"resultData\": {\"b\xff\": 1}}", 200, NULL, &error);
  g_assert_null (node);
  assert_protocol_error (error, LUMA_PROTOCOL_ERROR_INVALID_UTF8, "resultData");
  g_clear_error (&error);

  /* Not JSON, and json-glib's reason quotes a decoded lone surrogate (ED B8 80)
   * or a bad escape: the message stays UTF-8 all the same. */
  node = envelope ("{\"83d\\ude00\", \"resultData\": 1}", 200, NULL, &error);
  g_assert_null (node);
  assert_protocol_error (error, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_clear_error (&error);
  node = envelope ("{\"s\\\\\\ros\\\\\\22222\\\\rorniel\"}", 200, NULL, &error);
  g_assert_null (node);
  assert_protocol_error (error, LUMA_PROTOCOL_ERROR_INVALID_JSON, "(root)");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* A whole page as the client receives it, through the envelope. */
static void
test_envelope_page (void)
{
  g_autoptr(GString) text = g_string_new ("{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\","
                                          " \"errors\": [], \"resultData\": {\"licenseType\": \"SESSION\", \"items\": [");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LumaConsumptionPage) page = NULL;

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (text, "%s{\"sessionId\": \"S-%09u\", \"startedOn\": \"2026-03-%02uT10:00:00+02:00\","
                            " \"initiatedBy\": \"AGENT\", \"userName\": \"Søren Ærø %u\", \"email\": \"s%u@acme.example\","
                            " \"role\": \"Developer\", \"agentName\": null, \"channel\": \"WHATSAPP\", \"conversations\": %u}",
                            i ? ", " : "", i, 1 + i % 28, i, i, i % 7);
  g_string_append (text, "], \"nextCursor\": \"djE6MTAwMA\", \"hasMore\": true, \"remaining\": 5}}");

  node = envelope (text->str, 200, NULL, &error);
  g_assert_no_error (error);
  page = luma_consumption_page_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->items->len, ==, 1000);
  for (guint i = 0; i < 1000; i++)
    {
      LumaSessionRecord *r = g_ptr_array_index (page->items, i);
      char expected[32];
      gint64 day_start;

      g_snprintf (expected, sizeof expected, "S-%09u", i);
      g_assert_cmpstr (r->session_id, ==, expected);
      g_assert_cmpint (r->conversations, ==, i % 7);
      /* 10:00 at +02:00 is 08:00 UTC */
      g_assert_cmpint (r->started_on % 86400, ==, 8 * 3600);
      g_assert_true (luma_parse_iso8601 ("2026-03-01T00:00:00Z", &day_start));
      g_assert_cmpint ((r->started_on - day_start) / 86400, ==, i % 28);
    }
}

/* luma_consumption_page_from_bytes() reads pages in one pass; it must give
 * exactly what the strict decoders give, and the same errors. */
static void
assert_same_page (const LumaConsumptionPage *a,
                  const LumaConsumptionPage *b)
{
  g_assert_cmpint (a->license_type, ==, b->license_type);
  g_assert_cmpstr (a->next_cursor, ==, b->next_cursor);
  g_assert_cmpint (a->has_more, ==, b->has_more);
  g_assert_cmpint (a->remaining, ==, b->remaining);
  g_assert_cmpuint (a->items->len, ==, b->items->len);
  for (guint i = 0; i < a->items->len; i++)
    {
      if (a->license_type == LUMA_LICENSE_TYPE_SESSION)
        {
          LumaSessionRecord *x = g_ptr_array_index (a->items, i);
          LumaSessionRecord *y = g_ptr_array_index (b->items, i);

          g_assert_cmpstr (x->session_id, ==, y->session_id);
          g_assert_cmpint (x->started_on, ==, y->started_on);
          g_assert_cmpint (x->initiated_by, ==, y->initiated_by);
          g_assert_cmpstr (x->user_name, ==, y->user_name);
          g_assert_cmpstr (x->email, ==, y->email);
          g_assert_cmpint (x->role, ==, y->role);
          g_assert_cmpstr (x->agent_name, ==, y->agent_name);
          g_assert_cmpint (x->channel, ==, y->channel);
          g_assert_cmpint (x->conversations, ==, y->conversations);
        }
      else
        {
          LumaUserRecord *x = g_ptr_array_index (a->items, i);
          LumaUserRecord *y = g_ptr_array_index (b->items, i);

          g_assert_cmpstr (x->user_id, ==, y->user_id);
          g_assert_cmpstr (x->user_name, ==, y->user_name);
          g_assert_cmpstr (x->email, ==, y->email);
          g_assert_cmpstr (x->first_name, ==, y->first_name);
          g_assert_cmpstr (x->last_name, ==, y->last_name);
          g_assert_cmpint (x->role, ==, y->role);
          g_assert_cmpint (x->status, ==, y->status);
          g_assert_cmpint (x->created_on, ==, y->created_on);
          g_assert_cmpint (x->conversations, ==, y->conversations);
          g_assert_cmpint (x->last_conversation_known, ==, y->last_conversation_known);
          g_assert_cmpint (x->last_conversation_on, ==, y->last_conversation_on);
        }
    }
}

static void
check_page_bytes (const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) fast_error = NULL;
  g_autoptr(GError) strict_error = NULL;
  g_autoptr(LumaConsumptionPage) fast = luma_consumption_page_from_bytes (bytes, 200, &fast_error);
  g_autoptr(JsonNode) node = luma_envelope_parse (bytes, 200, NULL, &strict_error);
  g_autoptr(LumaConsumptionPage) strict = NULL;

  if (node != NULL)
    strict = luma_consumption_page_from_json (node, &strict_error);

  if (strict == NULL)
    {
      g_assert_null (fast);
      g_assert_nonnull (fast_error);
      g_assert_cmpstr (fast_error->message, ==, strict_error->message);
      g_assert_true (fast_error->domain == strict_error->domain && fast_error->code == strict_error->code);
      return;
    }
  g_assert_no_error (fast_error);
  assert_same_page (fast, strict);
}

#define ENVELOPE_OPEN "{\"status\": \"success\", \"statusCode\": 200, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": "

static void
test_page_from_bytes (void)
{
  static const char *const pages[] = {
    ENVELOPE_OPEN SESSION_PAGE "}",
    ENVELOPE_OPEN USER_PAGE "}",
    /* compact, members in another order, escapes of every kind */
    "{\"resultData\":{\"licenseType\":\"SESSION\",\"remaining\":0,\"hasMore\":false,\"items\":[{\"conversations\":0,"
    "\"channel\":\"SLACK\",\"agentName\":\"A\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\n\\t\",\"role\":\"Guest\",\"email\":\"\","
    "\"userName\":\"\\\"Bud\\\" Smith\",\"initiatedBy\":\"AGENT\",\"startedOn\":\"2026-01-01T01:00:00+01:00\","
    "\"sessionId\":\"S:1\"}],\"nextCursor\":\"x\"},\"errors\":[],\"statusLine\":\"OK\",\"statusCode\":200,\"status\":\"success\"}",
    " \n\t" ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}} \n",
    /* what the fast reader leaves to the strict one: unknown members, items before licenseType, duplicates */
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"extra\": {\"a\": [1, 2.5]}, \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"items\": [" SESSION_ITEM "], \"licenseType\": \"SESSION\", \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"a\", \"nextCursor\": \"b\", \"hasMore\": false, \"remaining\": 0}}",
    /* errors: each must be reported as the strict decoders report it */
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [" SESSION_ITEM ", {\"sessionId\": \"S-2\"}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": -1}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 1.0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 9007199254740992}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}} x",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [{\"sessionId\": \"S-1\", \"startedOn\": \"2026-11-27T16:02:11Z\","
    " \"initiatedBy\": \"END_USER\", \"userName\": \"\\ud800\", \"email\": \"\", \"role\": \"Guest\", \"agentName\": null,"
    " \"channel\": \"SLACK\", \"conversations\": 1}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [{\"sessionId\": \"S-1\", \"startedOn\": \"2026-11-27T16:02:11Z\","
    " \"initiatedBy\": \"END_USER\", \"userName\": \"Zo\xeb\", \"email\": \"\", \"role\": \"Guest\", \"agentName\": null,"
    " \"channel\": \"SLACK\", \"conversations\": 1}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    "{\"status\": \"success\", \"statusCode\": 201, \"statusLine\": \"OK\", \"errors\": [], \"resultData\": {}}",
    "not json",
    /* the same record twice, and the same user twice */
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [" SESSION_ITEM ", " SESSION_ITEM_2 ", " SESSION_ITEM "], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [" USER_ITEM ", " USER_ITEM "], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    /* a user's last conversation: dated, never, not given, and each way it can be wrong */
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [" USER_ITEM_DATED ", " USER_ITEM_NEVER ", " USER_ITEM "], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 2, \"lastConversationOn\": null}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"lastConversationOn\": \"2026-02-01T08:00:00Z\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 0}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 1, \"lastConversationOn\": \"2026-13-01T00:00:00Z\"}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 1, \"lastConversationOn\": nul}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 1, \"lastConversationOn\": \"2026-02-01T08:00:00Z\", \"lastConversationOn\": \"2026-02-02T08:00:00Z\"}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    ENVELOPE_OPEN "{\"licenseType\": \"USER\", \"items\": [{\"userId\": \"U-1\", \"userName\": \"a\", \"email\": \"\", \"firstName\": \"\", \"lastName\": \"\","
    " \"role\": \"Guest\", \"status\": \"ACTIVE\", \"createdOn\": \"2026-02-01T08:00:00Z\", \"conversations\": 1, \"lastConversationOn\": [\"2026-02-01T08:00:00Z\"]}], \"nextCursor\": \"c\", \"hasMore\": false, \"remaining\": 0}}",
    /* an empty page that says hasMore would be asked for again and again */
    ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], \"nextCursor\": \"c\", \"hasMore\": true, \"remaining\": 5}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_test_message ("page %u", i);
      check_page_bytes (pages[i]);
    }

  /* a long generated page with escapes and names outside ASCII */
  {
    g_autoptr(GString) text = g_string_new (ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [");

    for (guint i = 0; i < 500; i++)
      g_string_append_printf (text, "%s{\"sessionId\": \"S-%06u\", \"startedOn\": \"2026-05-%02uT%02u:00:00-03:00\","
                              " \"initiatedBy\": \"%s\", \"userName\": \"\\u0141ukasz \\\"%u\\\" \u017b\u00f3\u0142\u0107\","
                              " \"email\": \"l%u@acme.example\", \"role\": \"%s\", \"agentName\": %s,"
                              " \"channel\": \"%s\", \"conversations\": %u}",
                              i ? ", " : "", i, 1 + i % 28, i % 24, i % 3 ? "END_USER" : "AGENT", i, i,
                              luma_role_to_string (i % LUMA_N_ROLES), i % 2 ? "null" : "\"O'Neil, Ana\"",
                              luma_channel_to_string (i % LUMA_N_CHANNELS), i % 6);
    g_string_append (text, "], \"nextCursor\": \"djE6NTAw\", \"hasMore\": true, \"remaining\": 12}}");
    check_page_bytes (text->str);
  }

  /* a cursor of LUMA_MAX_CURSOR_LENGTH characters (outside ASCII: more bytes), then one more */
  for (guint extra = 0; extra <= 1; extra++)
    {
      g_autoptr(GString) text = g_string_new (ENVELOPE_OPEN "{\"licenseType\": \"SESSION\", \"items\": [], "
                                              "\"nextCursor\": \"");
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(LumaConsumptionPage) page = NULL;

      for (guint i = 0; i < LUMA_MAX_CURSOR_LENGTH + extra; i++)
        g_string_append (text, "\u00e9");
      g_string_append (text, "\", \"hasMore\": false, \"remaining\": 0}}");
      check_page_bytes (text->str);
      bytes = g_bytes_new (text->str, text->len);
      page = luma_consumption_page_from_bytes (bytes, 200, &error);
      if (extra == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpint (g_utf8_strlen (page->next_cursor, -1), ==, LUMA_MAX_CURSOR_LENGTH);
        }
      else
        {
          g_assert_null (page);
          g_assert_nonnull (strstr (error->message, "resultData.nextCursor"));
        }
    }
}

/* The values of an answer are counted from its bytes, strings and escapes aside. */
static void
test_json_budget (void)
{
  static const struct { const char *text; guint values; } cases[] = {
    { "{}", 1 },
    { "[]", 1 },
    { "[ ]", 1 },
    { "[1]", 2 },
    { "[1, 2, 3]", 4 },
    { "{\"a\": [], \"b\": {}}", 3 },
    { "{\"a\": [{}, {}, [1, [2]]]}", 8 },
    /* structure inside strings does not count, escaped quotes do not end them */
    { "[\"[,{,]\", \"\\\",[\"]", 3 },
    { "[{\"k\": \"\\\\\"}, 1]", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (cases[i].text, strlen (cases[i].text));
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].text);
      g_assert_true (luma_json_check_budget (bytes, cases[i].values, &error));
      g_assert_no_error (error);
      if (cases[i].values > 1)
        {
          g_assert_false (luma_json_check_budget (bytes, cases[i].values - 1, &error));
          g_assert_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_TOO_LARGE);
        }
    }

  /* a wide answer is refused before a tree is built, also by luma_envelope_parse() */
  {
    g_autoptr(GString) text = g_string_new ("{\"status\": \"success\", \"statusCode\": 200, "
                                            "\"statusLine\": \"OK\", \"errors\": [], \"resultData\": {\"x\": [");
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = NULL;

    for (guint i = 0; i < LUMA_JSON_MAX_VALUES; i++)
      g_string_append (text, i ? ",{}" : "{}");
    g_string_append (text, "]}}");
    bytes = g_bytes_new (text->str, text->len);
    node = luma_envelope_parse (bytes, 200, NULL, &error);
    g_assert_null (node);
    g_assert_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_TOO_LARGE);
    g_assert_nonnull (strstr (error->message, "values"));
  }

  /* nesting is bounded as before */
  {
    g_autofree char *deep = g_strnfill (65, '[');
    g_autoptr(GBytes) bytes = g_bytes_new (deep, strlen (deep));
    g_autoptr(GError) error = NULL;

    g_assert_false (luma_json_check_budget (bytes, 0, &error));
    g_assert_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/models/enums", test_enums);
  g_test_add_func ("/models/iso8601", test_iso8601);
  g_test_add_func ("/models/session-record", test_session_record);
  g_test_add_func ("/models/session-record/bad", test_session_record_bad);
  g_test_add_func ("/models/user-record", test_user_record);
  g_test_add_func ("/models/consumption-page", test_consumption_page);
  g_test_add_func ("/models/consumption-page/bad", test_consumption_page_bad);
  g_test_add_func ("/models/subscription", test_subscription);
  g_test_add_func ("/models/contacts", test_contacts);
  g_test_add_func ("/models/purchases", test_purchases);
  g_test_add_func ("/models/conversations", test_conversations);
  g_test_add_func ("/models/platform", test_platform);
  g_test_add_func ("/models/envelope", test_envelope);
  g_test_add_func ("/models/envelope/invalid-utf8", test_envelope_invalid_utf8);
  g_test_add_func ("/models/envelope/page", test_envelope_page);
  g_test_add_func ("/models/consumption-page/from-bytes", test_page_from_bytes);
  g_test_add_func ("/models/json-budget", test_json_budget);

  return g_test_run ();
}
