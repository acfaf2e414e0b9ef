/* test-contract-tenant.c: the tenant endpoints of docs/api.md section 2 against the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "contract-util.h"

#define ACME_LICENSES 250
#define ACME_SEED     300
#define BETA_LICENSES 100
#define BETA_SEED     80

static LumaTestSandbox *
start_sandbox (void)
{
  return luma_test_sandbox_start ("--tenant", ACME,
                                  "--tenant-name", "Acme Corporation",
                                  "--api-key", ACME_KEY,
                                  "--license-model", "session",
                                  "--licenses", G_STRINGIFY (ACME_LICENSES),
                                  "--seed", G_STRINGIFY (ACME_SEED),
                                  "--tenant", BETA,
                                  "--tenant-name", "Beta Ltd",
                                  "--api-key", BETA_KEY,
                                  "--license-model", "user",
                                  "--licenses", G_STRINGIFY (BETA_LICENSES),
                                  "--seed", G_STRINGIFY (BETA_SEED),
                                  "--superadmin", ROOT_USER ":" ROOT_PASS,
                                  NULL);
}

static void
assert_string_list (JsonObject *o,
                    const char *member)
{
  JsonArray *list = get_arr (o, member);

  for (guint i = 0; i < json_array_get_length (list); i++)
    g_assert_cmpint (json_node_get_value_type (json_array_get_element (list, i)), ==,
                     G_TYPE_STRING);
}

static char *
list_to_string (JsonObject *o,
                const char *member)
{
  JsonArray *list = get_arr (o, member);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (list); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? "|" : "", json_array_get_string_element (list, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Checks the members and types of section 2.1 and the available/overage derivation. */
static void
assert_subscription_shape (JsonObject *sub)
{
  g_autoptr(GDateTime) start = parse_server_time (get_str (sub, "startDate"));
  g_autoptr(GDateTime) end = parse_server_time (get_str (sub, "endDate"));
  gint64 total = get_int (sub, "totalPurchase");
  gint64 consumed = get_int (sub, "consumed");
  gint64 duration = get_int (sub, "sessionDurationMinutes");

  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9._-]{1,64}$", get_str (sub, "externalId"),
                                       0, 0));
  get_str (sub, "tenantName");
  g_assert_true (str_in (get_str (sub, "licenseType"), license_types));
  g_assert_cmpint (g_date_time_compare (start, end), <=, 0);
  g_assert_cmpint (duration, >=, 1);
  g_assert_cmpint (duration, <=, 1440);
  g_assert_cmpint (total, >=, 0);
  g_assert_cmpint (consumed, >=, 0);
  g_assert_cmpint (get_int (sub, "available"), ==, MAX (0, total - consumed));
  g_assert_cmpint (get_int (sub, "overage"), ==, MAX (0, consumed - total));
  g_assert_cmpint (consumed, ==, total - get_int (sub, "available") + get_int (sub, "overage"));
  assert_string_list (sub, "technicalEmails");
  assert_string_list (sub, "billingEmails");
  g_assert_cmpint (get_int (sub, "version"), >=, 0);
}

/* consumed as section 2.1 defines it, computed from the feed. */
static gint64
count_consumed (GPtrArray  *items,
                JsonObject *sub)
{
  g_autoptr(GDateTime) start = parse_server_time (get_str (sub, "startDate"));
  g_autoptr(GDateTime) end = parse_server_time (get_str (sub, "endDate"));
  gboolean session = g_str_equal (get_str (sub, "licenseType"), "SESSION");
  gint64 n = 0;

  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *item = g_ptr_array_index (items, i);

      if (session)
        {
          g_autoptr(GDateTime) t = parse_server_time (get_str (item, "startedOn"));

          if (g_date_time_compare (start, t) <= 0 && g_date_time_compare (t, end) <= 0)
            n++;
        }
      else if (g_str_equal (get_str (item, "status"), "ACTIVE"))
        n++;
    }
  return n;
}

static void
test_subscription_session (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) r2 = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) items2 = NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(JsonNode) added = NULL;
  g_autofree char *before_text = NULL;
  g_autofree char *records = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  gint64 stats_records, stats_consumed;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sb, ACME, &stats_records,
                                                              &stats_consumed);

  assert_subscription_shape (sub);
  g_assert_cmpstr (get_str (sub, "externalId"), ==, ACME);
  g_assert_cmpstr (get_str (sub, "tenantName"), ==, "Acme Corporation");
  g_assert_cmpstr (get_str (sub, "licenseType"), ==, "SESSION");
  g_assert_cmpint (get_int (sub, "totalPurchase"), ==, ACME_LICENSES);

  items = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, NULL);
  g_assert_cmpuint (items->len, ==, ACME_SEED);
  g_assert_cmpint (stats_records, ==, ACME_SEED);
  g_assert_cmpint (get_int (sub, "consumed"), ==, count_consumed (items, sub));
  g_assert_cmpint (get_int (sub, "consumed"), ==, stats_consumed);
  {
    g_autofree char *ours = luma_test_checksum_items (items, "SESSION");

    g_assert_cmpstr (ours, ==, checksum);
  }
  /* More sessions than licenses: Luma keeps counting, the excess is overage. */
  g_assert_cmpint (get_int (sub, "overage"), >, 0);
  g_assert_cmpint (get_int (sub, "available"), ==, 0);

  /* A session that started before the term is a record but does not count. */
  start = parse_server_time (get_str (sub, "startDate"));
  before = g_date_time_add_seconds (start, -1);
  before_text = g_date_time_format (before, "%Y-%m-%dT%H:%M:%SZ");
  records = g_strdup_printf ("{\"records\": [{\"sessionId\": \"S-before-term\", "
                             "\"startedOn\": \"%s\", \"initiatedBy\": \"AGENT\", "
                             "\"userName\": \"early.bird\", \"email\": \"\", \"role\": \"Guest\", "
                             "\"agentName\": null, \"channel\": \"EMAIL\", \"conversations\": 0}, "
                             "{\"sessionId\": \"S-at-start\", \"startedOn\": \"%s\", "
                             "\"initiatedBy\": \"END_USER\", \"userName\": \"on.time\", "
                             "\"email\": \"on.time@acme.example\", \"role\": \"Admin\", "
                             "\"agentName\": \"Ana O'Neil\", \"channel\": \"SLACK\", "
                             "\"conversations\": 2}]}",
                             before_text, get_str (sub, "startDate"));
  added = luma_test_sandbox_control (sb, "POST", "/sandbox/tenants/" ACME "/records", records,
                                     NULL);
  g_assert_cmpint (get_int (json_node_get_object (added), "added"), ==, 2);

  sub = get_subscription (sb, ACME_KEY, ACME, &r2);
  assert_subscription_shape (sub);
  items2 = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, NULL);
  g_assert_cmpuint (items2->len, ==, ACME_SEED + 2);
  g_assert_cmpint (get_int (sub, "consumed"), ==, count_consumed (items2, sub));
  /* Only the session at the start of the closed interval counts. */
  g_assert_cmpint (get_int (sub, "consumed"), ==, stats_consumed + 1);
  g_assert_cmpint (get_int (json_node_get_object (added), "consumed"), ==, stats_consumed + 1);
}

static void
test_subscription_user (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) r2 = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) items2 = NULL;
  JsonObject *sub = get_subscription (sb, BETA_KEY, BETA, &r);
  gint64 stats_records, stats_consumed;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sb, BETA, &stats_records,
                                                              &stats_consumed);
  gint64 consumed;

  assert_subscription_shape (sub);
  g_assert_cmpstr (get_str (sub, "externalId"), ==, BETA);
  g_assert_cmpstr (get_str (sub, "licenseType"), ==, "USER");
  g_assert_cmpint (get_int (sub, "totalPurchase"), ==, BETA_LICENSES);

  items = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 1000, NULL);
  g_assert_cmpuint (items->len, ==, BETA_SEED);
  consumed = count_consumed (items, sub);
  g_assert_cmpint (get_int (sub, "consumed"), ==, consumed);
  g_assert_cmpint (get_int (sub, "consumed"), ==, stats_consumed);
  g_assert_cmpint (get_int (sub, "available"), ==, MAX (0, BETA_LICENSES - consumed));
  {
    g_autofree char *ours = luma_test_checksum_items (items, "USER");

    g_assert_cmpstr (ours, ==, checksum);
  }

  /* New users are ACTIVE licenses; touching flips every second one. */
  luma_test_sandbox_add_records (sb, BETA, 30);
  luma_test_sandbox_touch_records (sb, BETA, 10);
  sub = get_subscription (sb, BETA_KEY, BETA, &r2);
  assert_subscription_shape (sub);
  items2 = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 1000, NULL);
  g_assert_cmpuint (items2->len, ==, BETA_SEED + 30);
  g_assert_cmpint (get_int (sub, "consumed"), ==, count_consumed (items2, sub));
  g_assert_cmpint (get_int (sub, "consumed"), !=, consumed + 30);
  g_assert_cmpint (get_int (sub, "overage"), ==,
                   MAX (0, get_int (sub, "consumed") - BETA_LICENSES));
}

static void
test_subscription_etag (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) again = NULL;
  g_autoptr(LumaTestResponse) not_modified = NULL;
  g_autoptr(LumaTestResponse) changed = NULL;
  g_autoptr(LumaTestResponse) stale = NULL;
  g_autofree char *etag = NULL;

  luma_test_assert_response (r, 200, NULL);
  g_assert_nonnull (luma_test_response_get_header (r, "etag"));
  etag = g_strdup (luma_test_response_get_header (r, "etag"));

  /* Same state, same tag and same body. */
  again = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (again, 200, NULL);
  g_assert_cmpstr (luma_test_response_get_header (again, "etag"), ==, etag);
  g_assert_true (g_bytes_equal (r->body, again->body));

  not_modified = tenant_request (sb, "GET", "/subscription", ACME_KEY, ACME, NULL,
                                 "If-None-Match", etag);
  luma_test_assert_response (not_modified, 304, NULL);

  /* consumed changes: the tag changes and the old one no longer matches. */
  luma_test_sandbox_add_records (sb, ACME, 1);
  changed = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (changed, 200, NULL);
  g_assert_cmpstr (luma_test_response_get_header (changed, "etag"), !=, etag);

  stale = tenant_request (sb, "GET", "/subscription", ACME_KEY, ACME, NULL,
                          "If-None-Match", etag);
  luma_test_assert_response (stale, 200, NULL);
  g_assert_cmpint (get_int (luma_test_response_get_result (stale), "consumed"), ==,
                   get_int (luma_test_response_get_result (r), "consumed") + 1);
}

static LumaTestResponse *
put_contacts (LumaTestSandbox *sb,
              gint64           version,
              const char      *body)
{
  g_autofree char *tag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", version);

  return tenant_request (sb, "PUT", "/subscription/contacts", ACME_KEY, ACME, body,
                         "If-Match", tag);
}

static void
test_contacts_update (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) put = NULL;
  g_autoptr(LumaTestResponse) after = NULL;
  g_autoptr(LumaTestResponse) put2 = NULL;
  g_autofree char *tech = NULL;
  g_autofree char *billing = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  gint64 version = get_int (sub, "version");
  g_autofree char *etag = g_strdup (luma_test_response_get_header (r, "etag"));
  JsonObject *result;

  put = put_contacts (sb, version,
                      "{\"technicalEmails\": [\"  it@acme.example \", \"noc@acme.example\"], "
                      "\"billingEmails\": [\"finance@acme.example\"]}");
  luma_test_assert_response (put, 200, NULL);
  result = luma_test_response_get_result (put);
  assert_subscription_shape (result);
  g_assert_cmpint (get_int (result, "version"), ==, version + 1);
  tech = list_to_string (result, "technicalEmails");
  billing = list_to_string (result, "billingEmails");
  /* Stored as given, trimmed of surrounding white space. */
  g_assert_cmpstr (tech, ==, "it@acme.example|noc@acme.example");
  g_assert_cmpstr (billing, ==, "finance@acme.example");
  /* The rest of the subscription is the same. */
  g_assert_cmpint (get_int (result, "consumed"), ==, get_int (sub, "consumed"));
  g_assert_cmpint (get_int (result, "totalPurchase"), ==, get_int (sub, "totalPurchase"));
  g_assert_cmpstr (get_str (result, "startDate"), ==, get_str (sub, "startDate"));

  after = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (after, 200, NULL);
  g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (after->envelope),
                                                          "resultData"),
                                  json_object_get_member (json_node_get_object (put->envelope),
                                                          "resultData")));
  g_assert_cmpstr (luma_test_response_get_header (after, "etag"), !=, etag);

  /* The same address in both lists is allowed; case-different addresses across lists too. */
  put2 = put_contacts (sb, version + 1,
                       "{\"technicalEmails\": [\"ops@acme.example\"], "
                       "\"billingEmails\": [\"OPS@acme.example\", \"ops@acme.example.org\"]}");
  luma_test_assert_response (put2, 200, NULL);
  g_assert_cmpint (get_int (luma_test_response_get_result (put2), "version"), ==, version + 2);
}

static void
test_contacts_version_mismatch (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) first = NULL;
  g_autoptr(LumaTestResponse) stale = NULL;
  g_autoptr(LumaTestResponse) stale2 = NULL;
  g_autoptr(LumaTestResponse) now = NULL;
  g_autoptr(JsonNode) edited = NULL;
  g_autofree char *tech = NULL;
  g_autofree char *billing = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  gint64 version = get_int (sub, "version");
  JsonObject *result;

  first = put_contacts (sb, version,
                        "{\"technicalEmails\": [\"a@acme.example\"], "
                        "\"billingEmails\": [\"b@acme.example\"]}");
  luma_test_assert_response (first, 200, NULL);

  /* A second editor still holding the old version. */
  stale = put_contacts (sb, version,
                        "{\"technicalEmails\": [\"c@acme.example\"], "
                        "\"billingEmails\": [\"d@acme.example\"]}");
  luma_test_assert_response (stale, 412, "VERSION_MISMATCH");
  result = luma_test_response_get_result (stale);
  g_assert_nonnull (result);
  g_assert_cmpint (get_int (result, "version"), ==, version + 1);
  tech = list_to_string (result, "technicalEmails");
  billing = list_to_string (result, "billingEmails");
  g_assert_cmpstr (tech, ==, "a@acme.example");
  g_assert_cmpstr (billing, ==, "b@acme.example");

  /* An edit by someone else (the portal) raises the version too. */
  edited = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                      "{\"billingEmails\": [\"ap@acme.example\"]}", NULL);
  stale2 = put_contacts (sb, version + 1,
                         "{\"technicalEmails\": [\"c@acme.example\"], "
                         "\"billingEmails\": [\"d@acme.example\"]}");
  luma_test_assert_response (stale2, 412, "VERSION_MISMATCH");
  result = luma_test_response_get_result (stale2);
  g_assert_cmpint (get_int (result, "version"), ==, version + 2);
  g_clear_pointer (&billing, g_free);
  billing = list_to_string (result, "billingEmails");
  g_assert_cmpstr (billing, ==, "ap@acme.example");

  /* Nothing of the stale edits was stored. */
  now = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (now, 200, NULL);
  result = luma_test_response_get_result (now);
  g_assert_cmpint (get_int (result, "version"), ==, version + 2);
  g_clear_pointer (&tech, g_free);
  tech = list_to_string (result, "technicalEmails");
  g_assert_cmpstr (tech, ==, "a@acme.example");
}

static void
test_contacts_precondition_required (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) put = NULL;
  g_autoptr(LumaTestResponse) after = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);

  put = tenant_request (sb, "PUT", "/subscription/contacts", ACME_KEY, ACME,
                        "{\"technicalEmails\": [\"a@acme.example\"], "
                        "\"billingEmails\": [\"b@acme.example\"]}", NULL, NULL);
  luma_test_assert_response (put, 428, "PRECONDITION_REQUIRED");

  after = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (after, 200, NULL);
  g_assert_cmpint (get_int (luma_test_response_get_result (after), "version"), ==,
                   get_int (sub, "version"));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Asserts a 422 whose per-field errors (after the VALIDATION_FAILED header) are exactly
 * expected: "CODE field" strings, in order. */
static void
assert_validation (LumaTestResponse   *r,
                   const char * const *expected)
{
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) want = g_ptr_array_new ();
  g_autofree char *got_text = NULL;
  g_autofree char *want_text = NULL;

  luma_test_assert_response (r, 422, "VALIDATION_FAILED");
  for (guint i = 1; i < luma_test_response_get_n_errors (r); i++)
    g_ptr_array_add (got, g_strdup_printf ("%s %s", luma_test_response_get_error_code (r, i),
                                           luma_test_response_get_error_field (r, i)));
  for (guint i = 0; expected[i] != NULL; i++)
    g_ptr_array_add (want, (gpointer) expected[i]);
  /* The contract does not fix the order of the per-field errors: compare as sets. */
  g_ptr_array_sort (got, compare_strings);
  g_ptr_array_sort (want, compare_strings);
  g_ptr_array_add (got, NULL);
  g_ptr_array_add (want, NULL);
  got_text = g_strjoinv ("; ", (char **) got->pdata);
  want_text = g_strjoinv ("; ", (char **) want->pdata);
  g_assert_cmpstr (got_text, ==, want_text);
}

static void
test_contacts_validation (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) after = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *local64 = g_strnfill (64, 'l');
  g_autofree char *local65 = g_strnfill (65, 'l');
  g_autofree char *label63a = g_strnfill (63, 'a');
  g_autofree char *label63b = g_strnfill (63, 'b');
  g_autofree char *label61 = g_strnfill (61, 'c');
  g_autofree char *max_address = NULL;
  g_autofree char *tech_before = NULL;
  g_autofree char *tech_after = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  gint64 version = get_int (sub, "version");

  tech_before = list_to_string (sub, "technicalEmails");

  /* 64 + 1 + 189 = 254 bytes: the longest valid address. */
  max_address = g_strdup_printf ("%s@%s.%s.%s", local64, label63a, label63b, label61);
  g_assert_cmpuint (strlen (max_address), ==, 254);

  {
    const char *addresses[] = {
      "it@acme.example",            /* 0 valid */
      "noc@",                       /* 1 no domain */
      "@acme.example",              /* 2 empty local part */
      "a b@acme.example",           /* 3 space in the local part */
      "a@b@acme.example",           /* 4 two @ */
      "admin@localhost",            /* 5 one label */
      "x@-acme.example",            /* 6 leading hyphen */
      "x@acme-.example",            /* 7 trailing hyphen */
      "x@acme..example",            /* 8 empty label */
      "x@acme_corp.example",        /* 9 underscore */
      "ab",                         /* 10 too short, no @ */
      "o'neil+tag@sub.acme-corp.example", /* 11 valid */
      NULL,                         /* 12 local part of 65 bytes */
      NULL,                         /* 13 254 bytes, valid */
      NULL,                         /* 14 255 bytes */
      "tab\there@acme.example",     /* 15 control character */
      "x@acme.example.",            /* 16 empty last label */
    };
    const char *expected[] = {
      "INVALID_EMAIL technicalEmails[1]", "INVALID_EMAIL technicalEmails[2]",
      "INVALID_EMAIL technicalEmails[3]", "INVALID_EMAIL technicalEmails[4]",
      "INVALID_EMAIL technicalEmails[5]", "INVALID_EMAIL technicalEmails[6]",
      "INVALID_EMAIL technicalEmails[7]", "INVALID_EMAIL technicalEmails[8]",
      "INVALID_EMAIL technicalEmails[9]", "INVALID_EMAIL technicalEmails[10]",
      "INVALID_EMAIL technicalEmails[12]", "INVALID_EMAIL technicalEmails[14]",
      "INVALID_EMAIL technicalEmails[15]", "INVALID_EMAIL technicalEmails[16]",
      "DUPLICATE_EMAIL billingEmails[2]",
      NULL
    };
    g_autofree char *long65 = g_strdup_printf ("%s@acme.example", local65);
    g_autofree char *long255 = g_strdup_printf ("%s@%s.%s.%sc", local64, label63a, label63b,
                                                label61);
    g_autoptr(LumaTestResponse) put = NULL;
    g_autoptr(JsonBuilder) builder = json_builder_new ();
    g_autoptr(JsonGenerator) gen = json_generator_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;

    addresses[12] = long65;
    addresses[13] = max_address;
    addresses[14] = long255;

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "technicalEmails");
    json_builder_begin_array (builder);
    for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
      json_builder_add_string_value (builder, addresses[i]);
    json_builder_end_array (builder);
    json_builder_set_member_name (builder, "billingEmails");
    json_builder_begin_array (builder);
    json_builder_add_string_value (builder, "Finance@acme.example");
    json_builder_add_string_value (builder, "cfo@acme.example");
    json_builder_add_string_value (builder, "finance@ACME.example");
    json_builder_end_array (builder);
    json_builder_end_object (builder);
    root = json_builder_get_root (builder);
    json_generator_set_root (gen, root);
    json = json_generator_to_data (gen, NULL);

    put = put_contacts (sb, version, json);
    assert_validation (put, expected);
  }

  {
    const char *expected[] = { "EMPTY_LIST technicalEmails", NULL };
    g_autoptr(LumaTestResponse) put =
      put_contacts (sb, version,
                    "{\"technicalEmails\": [], \"billingEmails\": [\"b@acme.example\"]}");

    assert_validation (put, expected);
  }

  {
    const char *expected[] = { "EMPTY_LIST billingEmails", NULL };
    g_autoptr(LumaTestResponse) put =
      put_contacts (sb, version,
                    "{\"technicalEmails\": [\"a@acme.example\"], \"billingEmails\": []}");

    assert_validation (put, expected);
  }

  {
    /* 21 addresses: the contract names no code for this, only the field. */
    g_autoptr(LumaTestResponse) put = NULL;

    g_string_append (body, "{\"technicalEmails\": [");
    for (guint i = 0; i < 21; i++)
      g_string_append_printf (body, "%s\"user%u@acme.example\"", i > 0 ? ", " : "", i);
    g_string_append (body, "], \"billingEmails\": [\"b@acme.example\"]}");
    put = put_contacts (sb, version, body->str);
    luma_test_assert_response (put, 422, "VALIDATION_FAILED");
    g_assert_cmpuint (luma_test_response_get_n_errors (put), >=, 2);
    g_assert_cmpstr (luma_test_response_get_error_field (put, 1), ==, "technicalEmails");
  }

  {
    /* 20 is still fine. */
    g_autoptr(LumaTestResponse) put = NULL;

    g_string_truncate (body, 0);
    g_string_append (body, "{\"technicalEmails\": [");
    for (guint i = 0; i < 20; i++)
      g_string_append_printf (body, "%s\"user%u@acme.example\"", i > 0 ? ", " : "", i);
    g_string_append (body, "], \"billingEmails\": [\"b@acme.example\"]}");
    put = put_contacts (sb, version, body->str);
    luma_test_assert_response (put, 200, NULL);
    g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (put),
                                                      "technicalEmails")), ==, 20);
  }

  /* Nothing of the rejected edits was stored. */
  after = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (after, 200, NULL);
  g_assert_cmpint (get_int (luma_test_response_get_result (after), "version"), ==, version + 1);
  tech_after = list_to_string (luma_test_response_get_result (after), "technicalEmails");
  g_assert_cmpstr (tech_after, !=, tech_before);
  g_assert_true (g_str_has_prefix (tech_after, "user0@acme.example|"));
}

/* INVALID_BODY is listed under the 422 validation of 2.2 but as a 400 in section 6; accept
 * either reading, as long as the code is INVALID_BODY and nothing is stored. */
static void
assert_invalid_body (LumaTestResponse *r)
{
  if (r->status == 400)
    luma_test_assert_response (r, 400, "INVALID_BODY");
  else
    {
      luma_test_assert_response (r, 422, "VALIDATION_FAILED");
      g_assert_cmpstr (luma_test_response_get_error_code (r, 1), ==, "INVALID_BODY");
    }
}

static void
test_contacts_invalid_body (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) after = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  gint64 version = get_int (sub, "version");
  const char *bodies[] = {
    "{\"technicalEmails\": [\"a@acme.example\"]}",
    "{\"billingEmails\": [\"a@acme.example\"]}",
    "{\"technicalEmails\": \"a@acme.example\", \"billingEmails\": [\"b@acme.example\"]}",
    "{\"technicalEmails\": [\"a@acme.example\", 7], \"billingEmails\": [\"b@acme.example\"]}",
    "{\"technicalEmails\": [\"a@acme.example\"], \"billingEmails\": null}",
    "[\"a@acme.example\"]",
    "{}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(LumaTestResponse) put = put_contacts (sb, version, bodies[i]);

      g_test_message ("body: %s", bodies[i]);
      assert_invalid_body (put);
    }

  {
    /* Not JSON at all. */
    g_autoptr(LumaTestResponse) put = put_contacts (sb, version, "{\"technicalEmails\": [");

    luma_test_assert_response (put, 400, "INVALID_BODY");
  }

  after = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (after, 200, NULL);
  g_assert_cmpint (get_int (luma_test_response_get_result (after), "version"), ==, version);
}

static void
assert_session_item (JsonObject *item)
{
  g_autoptr(GDateTime) started = parse_server_time (get_str (item, "startedOn"));
  glong name_chars;

  g_assert_true (is_record_id (get_str (item, "sessionId")));
  g_assert_true (str_in (get_str (item, "initiatedBy"), initiators));
  g_assert_true (g_utf8_validate (get_str (item, "userName"), -1, NULL));
  name_chars = g_utf8_strlen (get_str (item, "userName"), -1);
  g_assert_cmpint (name_chars, >=, 1);
  g_assert_cmpint (name_chars, <=, 256);
  get_str (item, "email");
  g_assert_true (str_in (get_str (item, "role"), roles));
  if (!is_null_member (item, "agentName"))
    get_str (item, "agentName");
  g_assert_true (str_in (get_str (item, "channel"), channels));
  g_assert_cmpint (get_int (item, "conversations"), >=, 0);
}

static void
assert_user_item (JsonObject *item)
{
  g_autoptr(GDateTime) created = parse_server_time (get_str (item, "createdOn"));

  g_assert_true (is_record_id (get_str (item, "userId")));
  g_assert_cmpint (g_utf8_strlen (get_str (item, "userName"), -1), >=, 1);
  get_str (item, "email");
  get_str (item, "firstName");
  get_str (item, "lastName");
  g_assert_true (str_in (get_str (item, "role"), roles));
  g_assert_true (str_in (get_str (item, "status"), user_statuses));
  g_assert_cmpint (get_int (item, "conversations"), >=, 0);
  /* null exactly when the user had no conversation */
  if (get_int (item, "conversations") == 0)
    g_assert_true (is_null_member (item, "lastConversationOn"));
  else
    g_date_time_unref (parse_server_time (get_str (item, "lastConversationOn")));
}

static void
test_consumption_items (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GPtrArray) sessions = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 50, NULL);
  g_autoptr(GPtrArray) users = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 50, NULL);
  g_autoptr(LumaTestResponse) page = tenant_get (sb, "/subscription/consumption?limit=7",
                                                 BETA_KEY, BETA);
  gboolean seen_active = FALSE, seen_agent_null = FALSE, seen_agent = FALSE;

  g_assert_cmpuint (sessions->len, ==, ACME_SEED);
  for (guint i = 0; i < sessions->len; i++)
    {
      JsonObject *item = g_ptr_array_index (sessions, i);

      assert_session_item (item);
      if (is_null_member (item, "agentName"))
        seen_agent_null = TRUE;
      else
        seen_agent = TRUE;
    }
  g_assert_true (seen_agent_null);
  g_assert_true (seen_agent);

  g_assert_cmpuint (users->len, ==, BETA_SEED);
  for (guint i = 0; i < users->len; i++)
    {
      assert_user_item (g_ptr_array_index (users, i));
      if (g_str_equal (get_str (g_ptr_array_index (users, i), "status"), "ACTIVE"))
        seen_active = TRUE;
    }
  g_assert_true (seen_active);

  luma_test_assert_response (page, 200, NULL);
  g_assert_cmpstr (get_str (luma_test_response_get_result (page), "licenseType"), ==, "USER");
  g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (page), "items")),
                    ==, 7);
  g_assert_true (get_bool (luma_test_response_get_result (page), "hasMore"));
  g_assert_cmpint (get_int (luma_test_response_get_result (page), "remaining"), ==, BETA_SEED - 7);
}

static void
assert_purchases (JsonObject *result,
                  gint64      total_purchase)
{
  JsonArray *items = get_arr (result, "items");
  guint n = json_array_get_length (items);
  gint64 running = 0;

  g_assert_cmpuint (n, >=, 1);
  /* Newest first: walk it oldest first and add up. */
  for (guint i = n; i-- > 0;)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      g_autoptr(GDateTime) when = parse_server_time (get_str (item, "performedOn"));
      gint64 change = get_int (item, "change");
      const char *kind = get_str (item, "kind");

      g_assert_true (is_record_id (get_str (item, "purchaseId")));
      g_assert_true (str_in (kind, purchase_kinds));
      g_assert_cmpint (change, !=, 0);
      if (g_str_equal (kind, "REMOVAL"))
        g_assert_cmpint (change, <, 0);
      else
        g_assert_cmpint (change, >, 0);
      running += change;
      g_assert_cmpint (get_int (item, "totalAfter"), ==, running);
      get_str (item, "performedBy");
      get_str (item, "reason");
      if (!is_null_member (item, "reference"))
        get_str (item, "reference");
      if (i == n - 1)
        g_assert_cmpstr (kind, ==, "PURCHASE");
      if (i > 0)
        {
          JsonObject *newer = json_array_get_object_element (items, i - 1);
          g_autoptr(GDateTime) newer_when = parse_server_time (get_str (newer, "performedOn"));

          g_assert_cmpint (g_date_time_compare (when, newer_when), <=, 0);
        }
    }
  g_assert_cmpint (running, ==, total_purchase);
}

static void
test_purchases (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) sub_r = NULL;
  g_autoptr(LumaTestResponse) beta_r = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);
  JsonObject *beta = get_subscription (sb, BETA_KEY, BETA, &beta_r);
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription/purchases", ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) rb = tenant_get (sb, "/subscription/purchases", BETA_KEY, BETA);
  g_autoptr(LumaTestResponse) not_modified = NULL;
  g_autoptr(LumaTestResponse) after = NULL;
  g_autoptr(LumaTestResponse) refill = NULL;
  g_autofree char *token = NULL;
  const char *etag;

  luma_test_assert_response (r, 200, NULL);
  assert_purchases (luma_test_response_get_result (r), get_int (sub, "totalPurchase"));
  luma_test_assert_response (rb, 200, NULL);
  assert_purchases (luma_test_response_get_result (rb), get_int (beta, "totalPurchase"));

  etag = luma_test_response_get_header (r, "etag");
  g_assert_nonnull (etag);
  not_modified = tenant_request (sb, "GET", "/subscription/purchases", ACME_KEY, ACME, NULL,
                                 "If-None-Match", etag);
  luma_test_assert_response (not_modified, 304, NULL);

  token = platform_login (sb, ROOT_USER, ROOT_PASS);
  refill = platform_request (sb, "POST", "/platform/tenants/" ACME "/refills", token,
                             "{\"change\": 40, \"reason\": \"More\", \"reference\": null}",
                             "Idempotency-Key", "purchases-etag-1");
  luma_test_assert_response (refill, 201, NULL);

  after = tenant_request (sb, "GET", "/subscription/purchases", ACME_KEY, ACME, NULL,
                          "If-None-Match", etag);
  luma_test_assert_response (after, 200, NULL);
  g_assert_cmpstr (luma_test_response_get_header (after, "etag"), !=, etag);
  assert_purchases (luma_test_response_get_result (after), get_int (sub, "totalPurchase") + 40);
  g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (after),
                                                    "items")), ==,
                    json_array_get_length (get_arr (luma_test_response_get_result (r),
                                                    "items")) + 1);
}

/* Checks GET /conversations for each record of a feed against its conversations count
 * (and a user's lastConversationOn), from the start of the feed or, with @newest_first,
 * from its end (the records changed last). */
static void
check_conversations (LumaTestSandbox *sb,
                     const char      *key,
                     const char      *tenant,
                     gboolean         session,
                     gboolean         newest_first)
{
  g_autoptr(GPtrArray) items = fetch_feed (sb, "", key, tenant, NULL, NULL, 1000, NULL);
  const char *id_member = session ? "sessionId" : "userId";
  const char *other_member = session ? "userId" : "sessionId";
  guint checked = 0, with_many = 0, with_none = 0;

  for (guint i = 0; i < items->len && checked < 40; i++)
    {
      JsonObject *record = g_ptr_array_index (items, newest_first ? items->len - 1 - i : i);
      const char *id = get_str (record, id_member);
      gint64 count = get_int (record, "conversations");
      g_autofree char *escaped = g_uri_escape_string (id, NULL, TRUE);
      g_autofree char *path = g_strdup_printf ("/conversations?%s=%s", id_member, escaped);
      g_autoptr(LumaTestResponse) r = NULL;
      JsonArray *convs;
      g_autoptr(GDateTime) last = NULL;

      /* The first records, then only those with conversations, up to 40 calls. */
      if (i >= 10 && count == 0)
        continue;
      checked++;
      r = tenant_get (sb, path, key, tenant);
      luma_test_assert_response (r, 200, NULL);
      convs = get_arr (luma_test_response_get_result (r), "items");
      g_assert_cmpint (json_array_get_length (convs), ==, count);
      if (count == 0)
        with_none++;
      if (count > 1)
        with_many++;

      for (guint c = 0; c < json_array_get_length (convs); c++)
        {
          JsonObject *conv = json_array_get_object_element (convs, c);
          g_autoptr(GDateTime) started = parse_server_time (get_str (conv, "startedOn"));
          g_autoptr(GDateTime) previous = NULL;
          JsonArray *messages = get_arr (conv, "messages");
          guint n_messages = json_array_get_length (messages);

          g_assert_true (is_record_id (get_str (conv, "conversationId")));
          g_assert_cmpstr (get_str (conv, id_member), ==, id);
          g_assert_true (is_null_member (conv, other_member));
          g_assert_true (str_in (get_str (conv, "channel"), channels));
          if (last == NULL || g_date_time_compare (started, last) > 0)
            {
              g_clear_pointer (&last, g_date_time_unref);
              last = g_date_time_ref (started);
            }
          /* Generated transcripts: 2-12 user, bot and agent messages (section 7). */
          g_assert_cmpuint (n_messages, >=, 2);
          g_assert_cmpuint (n_messages, <=, 12);
          for (guint m = 0; m < n_messages; m++)
            {
              JsonObject *msg = json_array_get_object_element (messages, m);
              GDateTime *sent = parse_server_time (get_str (msg, "sentAt"));

              g_assert_true (str_in (get_str (msg, "sender"), senders));
              get_str (msg, "senderName");
              get_str (msg, "text");
              /* Messages are in time order. */
              if (previous != NULL)
                g_assert_cmpint (g_date_time_compare (previous, sent), <=, 0);
              g_clear_pointer (&previous, g_date_time_unref);
              previous = sent;
            }
        }

      /* A user's lastConversationOn is the start of the latest of them. */
      if (!session && last == NULL)
        g_assert_true (is_null_member (record, "lastConversationOn"));
      else if (!session)
        {
          g_autoptr(GDateTime) given = parse_server_time (get_str (record, "lastConversationOn"));

          g_assert_true (g_date_time_equal (given, last));
        }

      {
        /* The same answer twice: transcripts are generated from the record's id. */
        g_autoptr(LumaTestResponse) again = tenant_get (sb, path, key, tenant);

        luma_test_assert_response (again, 200, NULL);
        g_assert_true (g_bytes_equal (r->body, again->body));
      }
    }
  g_assert_cmpuint (checked, >, 10);
  g_assert_cmpuint (with_many, >, 0);
}

static void
test_conversations (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  const char *bad_acme[] = {
    "/conversations",
    "/conversations?userId=U-1",
    "/conversations?sessionId=x&userId=y",
    "/conversations?sessionId=",
  };
  const char *bad_beta[] = {
    "/conversations",
    "/conversations?sessionId=S-1",
  };

  check_conversations (sb, ACME_KEY, ACME, TRUE, FALSE);
  check_conversations (sb, BETA_KEY, BETA, FALSE, FALSE);
  /* One more conversation each, and every second user released or allocated again. */
  luma_test_sandbox_touch_records (sb, BETA, 8);
  check_conversations (sb, BETA_KEY, BETA, FALSE, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (bad_acme); i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, bad_acme[i], ACME_KEY, ACME);

      g_test_message ("%s", bad_acme[i]);
      luma_test_assert_response (r, 400, "INVALID_PARAMETER");
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_beta); i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, bad_beta[i], BETA_KEY, BETA);

      g_test_message ("%s", bad_beta[i]);
      luma_test_assert_response (r, 400, "INVALID_PARAMETER");
    }

  {
    g_autoptr(LumaTestResponse) r = tenant_get (sb, "/conversations?sessionId=S-no-such-session",
                                                ACME_KEY, ACME);
    g_autoptr(LumaTestResponse) u = tenant_get (sb, "/conversations?userId=U-no-such-user",
                                                BETA_KEY, BETA);

    luma_test_assert_response (r, 404, "NOT_FOUND");
    luma_test_assert_response (u, 404, "NOT_FOUND");
  }

}

static void
test_not_found (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  const char *missing[] = {
    "/no-such-thing",
    "/subscription/nothing",
    "/subscription/consumption/extra",
  };
  const char *wrong_methods[][2] = {
    { "POST", "/subscription" },
    { "DELETE", "/subscription" },
    { "GET", "/subscription/contacts" },
    { "PUT", "/subscription/consumption" },
    { "POST", "/subscription/purchases" },
    { "POST", "/conversations?sessionId=x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, missing[i], ACME_KEY, ACME);

      g_test_message ("%s", missing[i]);
      luma_test_assert_response (r, 404, "NOT_FOUND");
    }
  for (guint i = 0; i < G_N_ELEMENTS (wrong_methods); i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_request (sb, wrong_methods[i][0], wrong_methods[i][1],
                                                      ACME_KEY, ACME, NULL, NULL, NULL);

      g_test_message ("%s %s", wrong_methods[i][0], wrong_methods[i][1]);
      luma_test_assert_response (r, 405, "METHOD_NOT_ALLOWED");
    }
}

static JsonObject *
find_item (GPtrArray  *items,
           const char *member,
           const char *id)
{
  for (guint i = 0; i < items->len; i++)
    if (g_str_equal (get_str (g_ptr_array_index (items, i), member), id))
      return g_ptr_array_index (items, i);
  return NULL;
}

static void
test_sandbox_records (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GDateTime) after = NULL;
  g_autoptr(GDateTime) started = NULL;
  g_autoptr(JsonNode) added = NULL;
  g_autoptr(JsonNode) added_users = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(LumaTestResponse) beta_r = NULL;
  g_autoptr(LumaTestResponse) beta_after_r = NULL;
  JsonObject *beta = get_subscription (sb, BETA_KEY, BETA, &beta_r);
  JsonObject *item;
  const char *user_records =
    "{\"records\": [{\"userId\": \"U-given-1\", \"userName\": \"Łukasz Żółć\", "
    "\"email\": \"lukasz@beta.example\", \"firstName\": \"Łukasz\", \"lastName\": \"Żółć\", "
    "\"role\": \"Developer\", \"status\": \"INACTIVE\", \"createdOn\": \"2026-02-03T04:05:06Z\", "
    "\"conversations\": 4}, "
    "{\"userId\": \"U-given-2\", \"userName\": \"\\\"Bud\\\" Smith\", "
    "\"email\": \"bud@beta.example\", "
    "\"firstName\": \"\", \"lastName\": \"\", \"role\": \"Guest\", \"status\": \"ACTIVE\", "
    "\"createdOn\": \"2026-02-03T05:05:06+01:00\", \"conversations\": 0}]}";

  /* startedOn and conversations left out: now and 1. */
  before = g_date_time_new_now_utc ();
  added = luma_test_sandbox_control (sb, "POST", "/sandbox/tenants/" ACME "/records",
                                     "{\"records\": [{\"sessionId\": \"S-given-1\", "
                                     "\"initiatedBy\": \"END_USER\", "
                                     "\"userName\": \"O'Neil, Ana\", "
                                     "\"email\": \"\", \"role\": \"Self-service\", "
                                     "\"agentName\": null, \"channel\": \"WEB_WIDGET\"}]}",
                                     NULL);
  after = g_date_time_new_now_utc ();
  g_assert_cmpint (get_int (json_node_get_object (added), "added"), ==, 1);
  sessions = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, NULL);
  item = find_item (sessions, "sessionId", "S-given-1");
  g_assert_nonnull (item);
  /* The newest change is last in the feed. */
  g_assert_true (item == g_ptr_array_index (sessions, sessions->len - 1));
  g_assert_cmpint (get_int (item, "conversations"), ==, 1);
  g_assert_cmpstr (get_str (item, "userName"), ==, "O'Neil, Ana");
  g_assert_cmpstr (get_str (item, "email"), ==, "");
  g_assert_true (is_null_member (item, "agentName"));
  started = parse_server_time (get_str (item, "startedOn"));
  g_assert_cmpint (g_date_time_difference (started, before), >=, -G_TIME_SPAN_SECOND);
  g_assert_cmpint (g_date_time_difference (after, started), >=, 0);
  g_assert_cmpint (get_int (json_node_get_object (added), "consumed"), ==, ACME_SEED + 1);

  /* Given users come back as given (times in UTC); only ACTIVE ones are consumed. */
  added_users = luma_test_sandbox_control (sb, "POST", "/sandbox/tenants/" BETA "/records",
                                           user_records, NULL);
  g_assert_cmpint (get_int (json_node_get_object (added_users), "added"), ==, 2);
  g_assert_cmpint (get_int (json_node_get_object (added_users), "consumed"), ==,
                   get_int (beta, "consumed") + 1);
  users = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 1000, NULL);
  item = find_item (users, "userId", "U-given-1");
  g_assert_nonnull (item);
  g_assert_cmpstr (get_str (item, "userName"), ==, "Łukasz Żółć");
  g_assert_cmpstr (get_str (item, "firstName"), ==, "Łukasz");
  g_assert_cmpstr (get_str (item, "status"), ==, "INACTIVE");
  g_assert_cmpstr (get_str (item, "createdOn"), ==, "2026-02-03T04:05:06Z");
  g_assert_cmpint (get_int (item, "conversations"), ==, 4);
  item = find_item (users, "userId", "U-given-2");
  g_assert_nonnull (item);
  g_assert_cmpstr (get_str (item, "userName"), ==, "\"Bud\" Smith");
  g_assert_cmpstr (get_str (item, "createdOn"), ==, "2026-02-03T04:05:06Z");
  beta = get_subscription (sb, BETA_KEY, BETA, &beta_after_r);
  g_assert_cmpint (get_int (beta, "consumed"), ==, count_consumed (users, beta));

  {
    /* The conversations of a given record: as many as it says. */
    g_autoptr(LumaTestResponse) r = tenant_get (sb, "/conversations?userId=U-given-1",
                                                BETA_KEY, BETA);

    luma_test_assert_response (r, 200, NULL);
    g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (r), "items")),
                      ==, 4);
  }
}

static void
test_sandbox_subscription (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) r2 = NULL;
  g_autoptr(GPtrArray) items = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, NULL);
  g_autoptr(JsonNode) changed = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
  JsonObject *mid = g_ptr_array_index (items, items->len / 2);
  JsonObject *late = g_ptr_array_index (items, items->len * 3 / 4);
  gint64 version = get_int (sub, "version");

  etag = g_strdup (luma_test_response_get_header (r, "etag"));

  /* A shorter term: consumed follows the records it covers. */
  body = g_strdup_printf ("{\"totalPurchase\": 5, \"startDate\": \"%s\", \"endDate\": \"%s\", "
                          "\"sessionDurationMinutes\": 45, \"tenantName\": \"Acme Renamed\"}",
                          get_str (mid, "startedOn"), get_str (late, "startedOn"));
  changed = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                       body, NULL);
  sub = get_subscription (sb, ACME_KEY, ACME, &r2);
  assert_subscription_shape (sub);
  g_assert_cmpstr (get_str (sub, "startDate"), ==, get_str (mid, "startedOn"));
  g_assert_cmpstr (get_str (sub, "endDate"), ==, get_str (late, "startedOn"));
  g_assert_cmpint (get_int (sub, "totalPurchase"), ==, 5);
  g_assert_cmpint (get_int (sub, "sessionDurationMinutes"), ==, 45);
  g_assert_cmpstr (get_str (sub, "tenantName"), ==, "Acme Renamed");
  g_assert_cmpint (get_int (sub, "consumed"), ==, count_consumed (items, sub));
  g_assert_cmpint (get_int (sub, "consumed"), <, ACME_SEED);
  g_assert_cmpint (get_int (sub, "overage"), ==, get_int (sub, "consumed") - 5);
  /* Not a contacts change: the version stays; the ETag does not. */
  g_assert_cmpint (get_int (sub, "version"), ==, version);
  g_assert_cmpstr (luma_test_response_get_header (r2, "etag"), !=, etag);
}

static void
test_subscription_gzip (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) plain = tenant_get (sb, "/subscription/consumption?limit=1000",
                                                  ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) packed = tenant_request (sb, "GET",
                                                       "/subscription/consumption?limit=1000",
                                                       ACME_KEY, ACME, NULL,
                                                       "Accept-Encoding", "gzip");
  g_autoptr(GBytes) body = NULL;
  const char *encoding;

  luma_test_assert_response (plain, 200, NULL);
  g_assert_no_error (packed->error);
  g_assert_cmpuint (packed->status, ==, 200);
  encoding = luma_test_response_get_header (packed, "content-encoding");
  /* Compression is allowed, not required; a compressed answer must hold the same JSON. */
  if (encoding != NULL)
    {
      g_autoptr(GZlibDecompressor) decompressor = NULL;
      g_autoptr(GInputStream) raw = NULL;
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (encoding, ==, "gzip");
      decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      raw = g_memory_input_stream_new_from_bytes (packed->body);
      stream = g_converter_input_stream_new (raw, G_CONVERTER (decompressor));
      g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
      g_assert_no_error (error);
      body = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
  else
    body = g_bytes_ref (packed->body);
  g_assert_true (g_bytes_equal (body, plain->body));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/subscription/session", test_subscription_session);
  g_test_add_func ("/contract/subscription/user", test_subscription_user);
  g_test_add_func ("/contract/subscription/etag", test_subscription_etag);
  g_test_add_func ("/contract/contacts/update", test_contacts_update);
  g_test_add_func ("/contract/contacts/version-mismatch", test_contacts_version_mismatch);
  g_test_add_func ("/contract/contacts/precondition-required", test_contacts_precondition_required);
  g_test_add_func ("/contract/contacts/validation", test_contacts_validation);
  g_test_add_func ("/contract/contacts/invalid-body", test_contacts_invalid_body);
  g_test_add_func ("/contract/consumption/items", test_consumption_items);
  g_test_add_func ("/contract/purchases", test_purchases);
  g_test_add_func ("/contract/conversations", test_conversations);
  g_test_add_func ("/contract/not-found", test_not_found);
  g_test_add_func ("/contract/sandbox/records", test_sandbox_records);
  g_test_add_func ("/contract/sandbox/subscription", test_sandbox_subscription);
  g_test_add_func ("/contract/subscription/gzip", test_subscription_gzip);

  return g_test_run ();
}
