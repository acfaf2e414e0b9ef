/* test-contract-platform.c: the superadmin endpoints of docs/api.md section 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "contract-util.h"

#define ACME_LICENSES 400
#define ACME_SEED     300

static LumaTestSandbox *
start_sandbox (void)
{
  /* Given out of order: the tenant list must come back ordered by externalId. */
  return luma_test_sandbox_start ("--tenant", "zeta", "--api-key", "zeta-key",
                                  "--tenant-name", "Zeta & Söhne", "--seed", "12",
                                  "--tenant", ACME, "--api-key", ACME_KEY,
                                  "--tenant-name", "Acme Corporation",
                                  "--licenses", G_STRINGIFY (ACME_LICENSES),
                                  "--seed", G_STRINGIFY (ACME_SEED),
                                  "--tenant", BETA, "--api-key", BETA_KEY,
                                  "--license-model", "user", "--licenses", "50", "--seed", "20",
                                  "--superadmin", ROOT_USER ":" ROOT_PASS,
                                  NULL);
}

static void
test_platform_login (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) r2 = NULL;
  g_autoptr(GDateTime) before = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) after = NULL;
  g_autoptr(GDateTime) expires = NULL;
  JsonObject *result;
  gint64 expires_in;

  r = platform_request (sb, "POST", "/platform/login", NULL,
                        "{\"username\": \"" ROOT_USER "\", \"password\": \"" ROOT_PASS "\"}",
                        NULL, NULL);
  after = g_date_time_new_now_utc ();
  luma_test_assert_response (r, 200, NULL);
  result = luma_test_response_get_result (r);
  g_assert_cmpstr (get_str (result, "tokenType"), ==, "Bearer");
  g_assert_cmpuint (strlen (get_str (result, "token")), >, 0);
  /* The default lifetime of section 1. */
  expires_in = get_int (result, "expiresIn");
  g_assert_cmpint (expires_in, ==, 900);
  expires = parse_server_time (get_str (result, "expiresAt"));
  /* expiresAt is the login time plus expiresIn, to the second. */
  g_assert_cmpint (g_date_time_difference (expires, before), >=,
                   (expires_in - 1) * G_TIME_SPAN_SECOND);
  g_assert_cmpint (g_date_time_difference (expires, after), <=,
                   (expires_in + 1) * G_TIME_SPAN_SECOND);

  /* Each login gives its own token. */
  r2 = platform_request (sb, "POST", "/platform/login", NULL,
                         "{\"username\": \"" ROOT_USER "\", \"password\": \"" ROOT_PASS "\"}",
                         NULL, NULL);
  luma_test_assert_response (r2, 200, NULL);
  g_assert_cmpstr (get_str (luma_test_response_get_result (r2), "token"), !=,
                   get_str (result, "token"));
}

/* lastRefill: null, or the newest REFILL or REMOVAL of the tenant's purchase history. */
static void
assert_last_refill_member (LumaTestSandbox *sb,
                           const char      *token,
                           JsonObject      *item)
{
  g_autofree char *path = g_strdup_printf ("/platform/tenants/%s/subscription/purchases",
                                           get_str (item, "externalId"));
  g_autoptr(LumaTestResponse) r = platform_request (sb, "GET", path, token, NULL, NULL, NULL);
  JsonNode *member = json_object_get_member (item, "lastRefill");
  JsonArray *purchases;
  JsonObject *newest = NULL;

  luma_test_assert_response (r, 200, NULL);
  purchases = get_arr (luma_test_response_get_result (r), "items");
  for (guint i = 0; i < json_array_get_length (purchases) && newest == NULL; i++)
    {
      JsonObject *p = json_array_get_object_element (purchases, i);

      if (g_str_equal (get_str (p, "kind"), "REFILL") || g_str_equal (get_str (p, "kind"), "REMOVAL"))
        newest = p;
    }
  g_assert_nonnull (member);
  if (newest == NULL)
    {
      g_assert_true (JSON_NODE_HOLDS_NULL (member));
      return;
    }
  g_assert_true (JSON_NODE_HOLDS_OBJECT (member));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (member)), ==, 2);
  g_assert_cmpstr (get_str (json_node_get_object (member), "at"), ==, get_str (newest, "performedOn"));
  g_assert_true (g_str_has_suffix (get_str (json_node_get_object (member), "at"), "Z"));
  g_assert_cmpint (get_int (json_node_get_object (member), "change"), ==, get_int (newest, "change"));
  g_assert_cmpint (get_int (json_node_get_object (member), "change"), !=, 0);
}

static void
test_platform_tenants (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autoptr(LumaTestResponse) r = platform_request (sb, "GET", "/platform/tenants", token, NULL,
                                                    NULL, NULL);
  const char *keys[] = { ACME_KEY, BETA_KEY, "zeta-key" };
  const char *ids[] = { ACME, BETA, "zeta" };
  const char *members[] = { "externalId", "tenantName", "licenseType", "startDate", "endDate" };
  const char *counts[] = { "totalPurchase", "consumed", "available", "overage" };
  JsonArray *items;

  luma_test_assert_response (r, 200, NULL);
  items = get_arr (luma_test_response_get_result (r), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 3);

  for (guint i = 0; i < 3; i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      g_autoptr(LumaTestResponse) sub_r = NULL;
      JsonObject *sub = get_subscription (sb, keys[i], ids[i], &sub_r);

      g_assert_cmpstr (get_str (item, "externalId"), ==, ids[i]);
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        g_assert_cmpstr (get_str (item, members[m]), ==, get_str (sub, members[m]));
      for (guint m = 0; m < G_N_ELEMENTS (counts); m++)
        g_assert_cmpint (get_int (item, counts[m]), ==, get_int (sub, counts[m]));
      assert_last_refill_member (sb, token, item);
    }
  g_assert_cmpstr (get_str (json_array_get_object_element (items, 2), "tenantName"), ==,
                   "Zeta & Söhne");
}

/* GET /platform/tenants with a query; the items' externalIds go to @ids. */
static JsonObject *
tenant_page (LumaTestSandbox   *sb,
             const char        *token,
             const char        *query,
             GPtrArray         *ids,
             LumaTestResponse **response_out)
{
  g_autofree char *path = g_strconcat ("/platform/tenants", query, NULL);
  LumaTestResponse *r = platform_request (sb, "GET", path, token, NULL, NULL, NULL);
  JsonObject *result;
  JsonArray *items;

  luma_test_assert_response (r, 200, NULL);
  result = luma_test_response_get_result (r);
  items = get_arr (result, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (ids, g_strdup (get_str (json_array_get_object_element (items, i), "externalId")));
  *response_out = r;
  return result;
}

static void
test_platform_tenant_pages (void)
{
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                                                           "--generate-tenants", "25",
                                                           "--superadmin", ROOT_USER ":" ROOT_PASS,
                                                           NULL);
  g_autoptr(LumaTestSandbox) again = luma_test_sandbox_start ("--generate-tenants", "25",
                                                              "--superadmin", ROOT_USER ":" ROOT_PASS,
                                                              NULL);
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autofree char *token_again = platform_login (again, ROOT_USER, ROOT_PASS);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paged = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ignored = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(LumaTestResponse) whole = NULL;
  g_autoptr(LumaTestResponse) whole_again = NULL;
  g_autofree char *cursor = NULL;
  JsonObject *result;
  JsonArray *items, *items_again;
  guint pages = 0, sessions = 0;

  /* Without parameters: one page, as before paging. */
  result = tenant_page (sb, token, "", all, &whole);
  g_assert_cmpuint (all->len, ==, 26);
  g_assert_false (get_bool (result, "hasMore"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (result, "nextCursor")));
  for (guint i = 1; i < all->len; i++)
    g_assert_cmpstr (g_ptr_array_index (all, i - 1), <, g_ptr_array_index (all, i));
  g_assert_cmpstr (g_ptr_array_index (all, 1), ==, "t-0001");
  g_assert_cmpstr (g_ptr_array_index (all, 25), ==, "t-0025");

  /* Pages of 10 give the same tenants once each, in the same order. */
  do
    {
      g_autoptr(LumaTestResponse) r = NULL;
      g_autofree char *query = cursor != NULL
        ? g_strdup_printf ("?limit=10&cursor=%s", cursor) : g_strdup ("?limit=10");
      guint before = paged->len;

      result = tenant_page (sb, token, query, paged, &r);
      pages++;
      g_assert_cmpuint (paged->len - before, <=, 10);
      g_clear_pointer (&cursor, g_free);
      if (get_bool (result, "hasMore"))
        {
          g_assert_cmpuint (paged->len - before, ==, 10);
          cursor = g_strdup (get_str (result, "nextCursor"));
          g_assert_cmpuint (strlen (cursor), >=, 1);
          g_assert_cmpuint (strlen (cursor), <=, 1024);
        }
      else
        g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (result, "nextCursor")));
    }
  while (cursor != NULL);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (paged->len, ==, all->len);
  for (guint i = 0; i < all->len; i++)
    g_assert_cmpstr (g_ptr_array_index (paged, i), ==, g_ptr_array_index (all, i));

  /* Wrong parameters */
  {
    const char *bad_limits[] = { "?limit=0", "?limit=1001", "?limit=ten", "?limit=" };

    for (guint i = 0; i < G_N_ELEMENTS (bad_limits); i++)
      {
        g_autofree char *path = g_strconcat ("/platform/tenants", bad_limits[i], NULL);
        g_autoptr(LumaTestResponse) r = platform_request (sb, "GET", path, token, NULL, NULL, NULL);

        luma_test_assert_response (r, 400, "INVALID_PARAMETER");
      }
  }
  {
    /* Not base64url, another list's prefix, a feed cursor, not canonical. */
    const char *bad_cursors[] = { "?cursor=%21%21", "?cursor=djE6MDAwMDAwMDA6MQ", "?cursor=dDE6",
                                  "?cursor=dDE6YWNtZQ==" };

    for (guint i = 0; i < G_N_ELEMENTS (bad_cursors); i++)
      {
        g_autofree char *path = g_strconcat ("/platform/tenants", bad_cursors[i], NULL);
        g_autoptr(LumaTestResponse) r = platform_request (sb, "GET", path, token, NULL, NULL, NULL);

        luma_test_assert_response (r, 400, "INVALID_CURSOR");
      }
  }
  {
    g_autoptr(LumaTestResponse) r = platform_request (sb, "GET", "/platform/tenants?page=2", token,
                                                      NULL, NULL, NULL);

    luma_test_assert_response (r, 400, "INVALID_PARAMETER");
  }

  /* Generated tenants depend on the seed value only: another sandbox has the
   * same ones (the consumption of the current hour aside). */
  tenant_page (again, token_again, "", ignored, &whole_again);
  items = get_arr (luma_test_response_get_result (whole), "items");
  items_again = get_arr (luma_test_response_get_result (whole_again), "items");
  g_assert_cmpuint (json_array_get_length (items_again), ==, 25);
  for (guint i = 0; i < 25; i++)
    {
      JsonObject *a = json_array_get_object_element (items, i + 1);
      JsonObject *b = json_array_get_object_element (items_again, i);
      const char *same[] = { "externalId", "tenantName", "licenseType", "startDate", "endDate" };
      g_autoptr(GDateTime) start = parse_server_time (get_str (a, "startDate"));
      g_autoptr(GDateTime) end = parse_server_time (get_str (a, "endDate"));
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      for (guint m = 0; m < G_N_ELEMENTS (same); m++)
        g_assert_cmpstr (get_str (a, same[m]), ==, get_str (b, same[m]));
      g_assert_cmpint (get_int (a, "totalPurchase"), ==, get_int (b, "totalPurchase"));
      g_assert_cmpint (get_int (a, "totalPurchase"), >=, 10);
      /* Every generated term holds today. */
      g_assert_cmpint (g_date_time_compare (start, now), <=, 0);
      g_assert_cmpint (g_date_time_compare (end, now), >=, 0);
      if (g_strcmp0 (get_str (a, "licenseType"), "SESSION") == 0)
        sessions++;
    }
  /* Both license types are there. */
  g_assert_cmpuint (sessions, >, 0);
  g_assert_cmpuint (sessions, <, 25);
}

static void
assert_same_result (LumaTestResponse *a,
                    LumaTestResponse *b)
{
  luma_test_assert_response (a, 200, NULL);
  luma_test_assert_response (b, 200, NULL);
  g_assert_true (json_node_equal (
    json_object_get_member (json_node_get_object (a->envelope), "resultData"),
    json_object_get_member (json_node_get_object (b->envelope), "resultData")));
}

static void
test_platform_tenant_resources (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autoptr(GPtrArray) feed = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 1000, NULL);
  g_autofree char *conv_path = NULL;
  const char *paths[] = {
    "/subscription",
    "/subscription/consumption?limit=7",
    "/subscription/purchases",
    NULL, /* conversations */
  };
  guint i;

  /* A user with conversations, to compare a non-empty transcript. */
  for (i = 0; i < feed->len; i++)
    if (get_int (g_ptr_array_index (feed, i), "conversations") > 0)
      break;
  g_assert_cmpuint (i, <, feed->len);
  conv_path = g_strdup_printf ("/conversations?userId=%s",
                               get_str (g_ptr_array_index (feed, i), "userId"));
  paths[3] = conv_path;

  for (i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *platform_path = g_strdup_printf ("/platform/tenants/" BETA "%s", paths[i]);
      g_autofree char *missing_path = g_strdup_printf ("/platform/tenants/nobody%s", paths[i]);
      g_autoptr(LumaTestResponse) tenant = tenant_get (sb, paths[i], BETA_KEY, BETA);
      g_autoptr(LumaTestResponse) platform = platform_request (sb, "GET", platform_path, token,
                                                               NULL, NULL, NULL);
      g_autoptr(LumaTestResponse) missing = platform_request (sb, "GET", missing_path, token,
                                                              NULL, NULL, NULL);

      g_test_message ("%s", paths[i]);
      assert_same_result (tenant, platform);
      luma_test_assert_response (missing, 404, "NOT_FOUND");
    }

  {
    /* Contacts through the platform path, with the same If-Match rules. */
    g_autoptr(LumaTestResponse) sub_r = NULL;
    JsonObject *sub = get_subscription (sb, BETA_KEY, BETA, &sub_r);
    g_autofree char *tag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", get_int (sub, "version"));
    const char *body = "{\"technicalEmails\": [\"root@beta.example\"], "
                       "\"billingEmails\": [\"ap@beta.example\"]}";
    const char *path = "/platform/tenants/" BETA "/subscription/contacts";
    g_autoptr(LumaTestResponse) no_match = platform_request (sb, "PUT", path, token, body,
                                                             NULL, NULL);
    g_autoptr(LumaTestResponse) put = platform_request (sb, "PUT", path, token, body,
                                                        "If-Match", tag);
    g_autoptr(LumaTestResponse) stale = platform_request (sb, "PUT", path, token, body,
                                                          "If-Match", tag);
    g_autoptr(LumaTestResponse) missing =
      platform_request (sb, "PUT", "/platform/tenants/nobody/subscription/contacts", token,
                        body, "If-Match", tag);
    g_autoptr(LumaTestResponse) seen = tenant_get (sb, "/subscription", BETA_KEY, BETA);

    luma_test_assert_response (no_match, 428, "PRECONDITION_REQUIRED");
    luma_test_assert_response (put, 200, NULL);
    g_assert_cmpint (get_int (luma_test_response_get_result (put), "version"), ==,
                     get_int (sub, "version") + 1);
    luma_test_assert_response (stale, 412, "VERSION_MISMATCH");
    luma_test_assert_response (missing, 404, "NOT_FOUND");
    assert_same_result (put, seen);
  }

  {
    g_autoptr(LumaTestResponse) refill =
      platform_request (sb, "POST", "/platform/tenants/nobody/refills", token,
                        "{\"change\": 5, \"reason\": \"x\"}", "Idempotency-Key", "nobody-1");

    luma_test_assert_response (refill, 404, "NOT_FOUND");
  }
}

static LumaTestResponse *
refill (LumaTestSandbox *sb,
        const char      *token,
        const char      *key,
        const char      *body)
{
  return platform_request (sb, "POST", "/platform/tenants/" ACME "/refills", token, body,
                           key != NULL ? "Idempotency-Key" : NULL, key);
}

static guint
count_purchases (LumaTestSandbox *sb)
{
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription/purchases", ACME_KEY, ACME);

  luma_test_assert_response (r, 200, NULL);
  return json_array_get_length (get_arr (luma_test_response_get_result (r), "items"));
}

static void
test_platform_refill (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autoptr(LumaTestResponse) sub_r = NULL;
  g_autoptr(LumaTestResponse) after_r = NULL;
  g_autoptr(LumaTestResponse) purchases = NULL;
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) removal = NULL;
  g_autoptr(GDateTime) before = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) performed = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);
  gint64 total = get_int (sub, "totalPurchase");
  gint64 consumed = get_int (sub, "consumed");
  guint n_before = count_purchases (sb);
  JsonObject *purchase, *summary, *after;

  r = refill (sb, token, "refill-add-1",
              "{\"change\": 5000, \"reason\": \"Customer order 4480\", "
              "\"reference\": \"PO-4480\"}");
  luma_test_assert_response (r, 201, NULL);
  purchase = get_obj (luma_test_response_get_result (r), "purchase");
  summary = get_obj (luma_test_response_get_result (r), "subscription");
  g_assert_true (is_record_id (get_str (purchase, "purchaseId")));
  g_assert_cmpstr (get_str (purchase, "kind"), ==, "REFILL");
  g_assert_cmpint (get_int (purchase, "change"), ==, 5000);
  g_assert_cmpint (get_int (purchase, "totalAfter"), ==, total + 5000);
  g_assert_cmpstr (get_str (purchase, "performedBy"), ==, ROOT_USER);
  g_assert_cmpstr (get_str (purchase, "reason"), ==, "Customer order 4480");
  g_assert_cmpstr (get_str (purchase, "reference"), ==, "PO-4480");
  performed = parse_server_time (get_str (purchase, "performedOn"));
  g_assert_cmpint (g_date_time_difference (performed, before), >=, -G_TIME_SPAN_SECOND);
  g_assert_cmpstr (get_str (summary, "externalId"), ==, ACME);
  g_assert_cmpint (get_int (summary, "totalPurchase"), ==, total + 5000);
  g_assert_cmpint (get_int (summary, "consumed"), ==, consumed);
  g_assert_cmpint (get_int (summary, "available"), ==, MAX (0, total + 5000 - consumed));
  g_assert_cmpint (get_int (summary, "overage"), ==, MAX (0, consumed - total - 5000));

  /* The tenant sees it: the subscription and the newest purchase. */
  after = get_subscription (sb, ACME_KEY, ACME, &after_r);
  g_assert_cmpint (get_int (after, "totalPurchase"), ==, total + 5000);
  purchases = tenant_get (sb, "/subscription/purchases", ACME_KEY, ACME);
  luma_test_assert_response (purchases, 200, NULL);
  g_assert_true (json_node_equal (
    json_array_get_element (get_arr (luma_test_response_get_result (purchases), "items"), 0),
    json_object_get_member (luma_test_response_get_result (r), "purchase")));
  g_assert_cmpuint (count_purchases (sb), ==, n_before + 1);

  /* A removal that keeps the total at or above consumed. */
  {
    g_autofree char *body = g_strdup_printf ("{\"change\": %" G_GINT64_FORMAT ", "
                                             "\"reason\": \"Correction\"}",
                                             -(total + 5000 - consumed));

    removal = refill (sb, token, "refill-remove-1", body);
    luma_test_assert_response (removal, 201, NULL);
    purchase = get_obj (luma_test_response_get_result (removal), "purchase");
    g_assert_cmpstr (get_str (purchase, "kind"), ==, "REMOVAL");
    g_assert_cmpint (get_int (purchase, "totalAfter"), ==, consumed);
    g_assert_true (is_null_member (purchase, "reference"));
    summary = get_obj (luma_test_response_get_result (removal), "subscription");
    g_assert_cmpint (get_int (summary, "available"), ==, 0);
    g_assert_cmpint (get_int (summary, "overage"), ==, 0);
  }

  /* The tenant list names the removal as the last refill. */
  {
    g_autoptr(LumaTestResponse) list = platform_request (sb, "GET", "/platform/tenants", token, NULL,
                                                         NULL, NULL);
    JsonObject *acme = json_array_get_object_element (get_arr (luma_test_response_get_result (list), "items"), 0);
    JsonObject *last;

    luma_test_assert_response (list, 200, NULL);
    g_assert_cmpstr (get_str (acme, "externalId"), ==, ACME);
    last = get_obj (acme, "lastRefill");
    g_assert_cmpstr (get_str (last, "at"), ==, get_str (purchase, "performedOn"));
    g_assert_cmpint (get_int (last, "change"), ==, -(total + 5000 - consumed));
    assert_last_refill_member (sb, token, acme);
  }

  /* One more would go below consumed: refused, nothing changes. */
  {
    g_autoptr(LumaTestResponse) below = refill (sb, token, "refill-remove-2",
                                                "{\"change\": -1, \"reason\": \"Too far\"}");
    g_autoptr(LumaTestResponse) now_r = NULL;
    JsonObject *now;

    luma_test_assert_response (below, 409, "BELOW_CONSUMED");
    now = get_subscription (sb, ACME_KEY, ACME, &now_r);
    g_assert_cmpint (get_int (now, "totalPurchase"), ==, consumed);
    g_assert_cmpuint (count_purchases (sb), ==, n_before + 2);
  }
}

static void
test_platform_refill_idempotency (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autofree char *token2 = platform_login (sb, ROOT_USER, ROOT_PASS);
  const char *body = "{\"change\": 25, \"reason\": \"Retry me\", \"reference\": \"PO-1\"}";
  g_autoptr(LumaTestResponse) sub_r = NULL;
  g_autoptr(LumaTestResponse) after_r = NULL;
  g_autoptr(LumaTestResponse) first = NULL;
  g_autoptr(LumaTestResponse) replay = NULL;
  g_autoptr(LumaTestResponse) replay2 = NULL;
  g_autoptr(LumaTestResponse) reused = NULL;
  g_autoptr(LumaTestResponse) missing = NULL;
  g_autoptr(LumaTestResponse) other = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);
  gint64 total = get_int (sub, "totalPurchase");
  guint n_before = count_purchases (sb);

  first = refill (sb, token, "0f8fad5b-d9cb-469f-a165-70867728950e", body);
  luma_test_assert_response (first, 201, NULL);
  g_assert_null (luma_test_response_get_header (first, "idempotent-replayed"));

  /* A retry, even with a new token after a re-login, repeats the first answer exactly. */
  replay = refill (sb, token2, "0f8fad5b-d9cb-469f-a165-70867728950e", body);
  luma_test_assert_response (replay, 201, NULL);
  g_assert_cmpstr (luma_test_response_get_header (replay, "idempotent-replayed"), ==, "true");
  g_assert_true (g_bytes_equal (first->body, replay->body));
  replay2 = refill (sb, token, "0f8fad5b-d9cb-469f-a165-70867728950e", body);
  luma_test_assert_response (replay2, 201, NULL);
  g_assert_true (g_bytes_equal (first->body, replay2->body));

  /* The same key with another body. */
  reused = refill (sb, token, "0f8fad5b-d9cb-469f-a165-70867728950e",
                   "{\"change\": 26, \"reason\": \"Retry me\", \"reference\": \"PO-1\"}");
  luma_test_assert_response (reused, 409, "IDEMPOTENCY_KEY_REUSED");

  missing = refill (sb, token, NULL, body);
  luma_test_assert_response (missing, 400, "IDEMPOTENCY_KEY_REQUIRED");

  /* Exactly one refill happened. */
  g_assert_cmpuint (count_purchases (sb), ==, n_before + 1);
  {
    JsonObject *after = get_subscription (sb, ACME_KEY, ACME, &after_r);

    g_assert_cmpint (get_int (after, "totalPurchase"), ==, total + 25);
  }

  /* Another key is another refill. */
  other = refill (sb, token, "0f8fad5b-d9cb-469f-a165-70867728950f", body);
  luma_test_assert_response (other, 201, NULL);
  g_assert_null (luma_test_response_get_header (other, "idempotent-replayed"));
  g_assert_cmpint (get_int (get_obj (luma_test_response_get_result (other), "purchase"),
                            "totalAfter"), ==, total + 50);
  g_assert_cmpuint (count_purchases (sb), ==, n_before + 2);
}

static void
assert_refill_invalid (LumaTestSandbox    *sb,
                       const char         *token,
                       const char         *body,
                       const char * const *expected)
{
  static guint serial;
  g_autofree char *key = g_strdup_printf ("invalid-%u", ++serial);
  g_autoptr(LumaTestResponse) r = refill (sb, token, key, body);
  guint n = g_strv_length ((char **) expected);

  g_test_message ("%s", body);
  luma_test_assert_response (r, 422, "VALIDATION_FAILED");
  g_assert_cmpuint (luma_test_response_get_n_errors (r), ==, n + 1);
  for (guint i = 0; i < n; i++)
    {
      gboolean found = FALSE;

      for (guint j = 1; j <= n; j++)
        {
          g_autofree char *got = g_strdup_printf ("%s %s",
                                                  luma_test_response_get_error_code (r, j),
                                                  luma_test_response_get_error_field (r, j));

          /* "* field" accepts either per-field code for that field. */
          if (g_str_equal (got, expected[i]) ||
              (g_str_has_prefix (expected[i], "* ") &&
               g_str_has_suffix (got, expected[i] + 1)))
            found = TRUE;
        }
      g_assert_true (found);
    }
}

static void
test_platform_refill_validation (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autoptr(LumaTestResponse) sub_r = NULL;
  g_autoptr(LumaTestResponse) after_r = NULL;
  g_autofree char *reason500 = g_strnfill (500, 'r');
  g_autofree char *reason501 = g_strnfill (501, 'r');
  g_autofree char *ref100 = g_strnfill (100, 'p');
  g_autofree char *ref101 = g_strnfill (101, 'p');
  g_autofree char *body = NULL;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);
  guint n_before = count_purchases (sb);

  {
    const char *e[] = { "INVALID_VALUE change", NULL };
    assert_refill_invalid (sb, token, "{\"change\": 0, \"reason\": \"zero\"}", e);
    assert_refill_invalid (sb, token, "{\"change\": 1000001, \"reason\": \"big\"}", e);
    assert_refill_invalid (sb, token, "{\"change\": -1000001, \"reason\": \"big\"}", e);
    assert_refill_invalid (sb, token, "{\"change\": 1.5, \"reason\": \"fraction\"}", e);
    assert_refill_invalid (sb, token, "{\"change\": \"5\", \"reason\": \"string\"}", e);
  }
  {
    const char *e[] = { "REQUIRED change", NULL };
    assert_refill_invalid (sb, token, "{\"reason\": \"no change\"}", e);
  }
  {
    const char *e[] = { "REQUIRED reason", NULL };
    assert_refill_invalid (sb, token, "{\"change\": 5}", e);
  }
  {
    /* Blank after trimming: the contract does not say which of the two codes. */
    const char *e[] = { "* reason", NULL };
    assert_refill_invalid (sb, token, "{\"change\": 5, \"reason\": \"   \"}", e);
  }
  {
    const char *e[] = { "INVALID_VALUE reason", NULL };
    g_autofree char *b = g_strdup_printf ("{\"change\": 5, \"reason\": \"%s\"}", reason501);
    assert_refill_invalid (sb, token, b, e);
  }
  {
    const char *e[] = { "INVALID_VALUE reference", NULL };
    g_autofree char *b = g_strdup_printf ("{\"change\": 5, \"reason\": \"ok\", "
                                          "\"reference\": \"%s\"}", ref101);
    assert_refill_invalid (sb, token, b, e);
    assert_refill_invalid (sb, token,
                           "{\"change\": 5, \"reason\": \"ok\", \"reference\": \"\"}", e);
    assert_refill_invalid (sb, token, "{\"change\": 5, \"reason\": \"ok\", \"reference\": 7}", e);
  }
  {
    const char *e[] = { "INVALID_VALUE change", "REQUIRED reason", NULL };
    assert_refill_invalid (sb, token, "{\"change\": 0}", e);
  }

  g_assert_cmpuint (count_purchases (sb), ==, n_before);

  /* The limits themselves are fine. */
  body = g_strdup_printf ("{\"change\": 1000000, \"reason\": \"%s\", \"reference\": \"%s\"}",
                          reason500, ref100);
  {
    g_autoptr(LumaTestResponse) r = refill (sb, token, "limits-ok", body);
    JsonObject *after;

    luma_test_assert_response (r, 201, NULL);
    after = get_subscription (sb, ACME_KEY, ACME, &after_r);
    g_assert_cmpint (get_int (after, "totalPurchase"), ==,
                     get_int (sub, "totalPurchase") + 1000000);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/platform/login", test_platform_login);
  g_test_add_func ("/contract/platform/tenants", test_platform_tenants);
  g_test_add_func ("/contract/platform/tenant-pages", test_platform_tenant_pages);
  g_test_add_func ("/contract/platform/tenant-resources", test_platform_tenant_resources);
  g_test_add_func ("/contract/platform/refill", test_platform_refill);
  g_test_add_func ("/contract/platform/refill-idempotency", test_platform_refill_idempotency);
  g_test_add_func ("/contract/platform/refill-validation", test_platform_refill_validation);

  return g_test_run ();
}
