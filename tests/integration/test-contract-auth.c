/* test-contract-auth.c: every authentication failure of docs/api.md sections 1, 3.1 and 6
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "contract-util.h"

static const char * const tenant_paths[][2] = {
  { "GET", "/subscription" },
  { "PUT", "/subscription/contacts" },
  { "GET", "/subscription/consumption" },
  { "GET", "/subscription/purchases" },
  { "GET", "/conversations?sessionId=S-1" },
};

static const char * const platform_paths[][2] = {
  { "GET", "/platform/tenants" },
  { "GET", "/platform/tenants/" ACME "/subscription" },
  { "PUT", "/platform/tenants/" ACME "/subscription/contacts" },
  { "GET", "/platform/tenants/" ACME "/subscription/consumption" },
  { "GET", "/platform/tenants/" ACME "/subscription/purchases" },
  { "GET", "/platform/tenants/" ACME "/conversations?sessionId=S-1" },
  { "POST", "/platform/tenants/" ACME "/refills" },
};

#define CONTACTS_BODY \
  "{\"technicalEmails\": [\"a@acme.example\"], \"billingEmails\": [\"b@acme.example\"]}"
#define REFILL_BODY "{\"change\": 1, \"reason\": \"auth test\"}"

static LumaTestSandbox *
start_sandbox (const char *token_lifetime)
{
  return luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "5",
                                  "--tenant", BETA, "--api-key", BETA_KEY, "--seed", "5",
                                  "--superadmin", ROOT_USER ":" ROOT_PASS,
                                  "--superadmin", "ops:0ps-pass",
                                  "--token-lifetime", token_lifetime,
                                  NULL);
}

static const char *
body_for (const char *method,
          const char *path)
{
  if (g_str_equal (method, "PUT"))
    return CONTACTS_BODY;
  if (g_str_equal (method, "POST"))
    return REFILL_BODY;
  return NULL;
}

/* Every tenant endpoint answers this status and code to these headers. */
static void
assert_tenant_denied (LumaTestSandbox *sb,
                      const char      *key,
                      const char      *tenant,
                      guint            status,
                      const char      *code)
{
  for (guint i = 0; i < G_N_ELEMENTS (tenant_paths); i++)
    {
      const char *method = tenant_paths[i][0];
      const char *path = tenant_paths[i][1];
      g_autoptr(LumaTestResponse) r = tenant_request (sb, method, path, key, tenant,
                                                      body_for (method, path),
                                                      "If-Match", "\"0\"");

      g_test_message ("%s %s key=%s tenant=%s", method, path, key, tenant);
      luma_test_assert_response (r, status, code);
    }
}

static void
test_auth_tenant_unauthenticated (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");
  g_autoptr(LumaTestResponse) ok = tenant_get (sb, "/subscription", ACME_KEY, ACME);

  luma_test_assert_response (ok, 200, NULL);

  assert_tenant_denied (sb, NULL, NULL, 401, "UNAUTHENTICATED");
  assert_tenant_denied (sb, ACME_KEY, NULL, 401, "UNAUTHENTICATED");
  assert_tenant_denied (sb, NULL, ACME, 401, "UNAUTHENTICATED");
  assert_tenant_denied (sb, "no-such-key", ACME, 401, "UNAUTHENTICATED");
  /* Key values are compared exactly. */
  assert_tenant_denied (sb, "ACME-KEY-0001", ACME, 401, "UNAUTHENTICATED");
}

static void
test_auth_tenant_wrong_tenant (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");

  assert_tenant_denied (sb, BETA_KEY, ACME, 403, "WRONG_TENANT");
  assert_tenant_denied (sb, ACME_KEY, BETA, 403, "WRONG_TENANT");
}

static void
test_auth_tenant_key_inactive (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");
  g_autoptr(JsonNode) off = NULL;
  g_autoptr(JsonNode) on = NULL;
  g_autoptr(LumaTestResponse) back = NULL;
  g_autoptr(LumaTestResponse) other = NULL;

  off = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/api-key",
                                   "{\"active\": false}", NULL);
  assert_tenant_denied (sb, ACME_KEY, ACME, 403, "KEY_INACTIVE");

  /* The other tenant is not affected. */
  other = tenant_get (sb, "/subscription", BETA_KEY, BETA);
  luma_test_assert_response (other, 200, NULL);

  on = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/api-key",
                                  "{\"active\": true}", NULL);
  back = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (back, 200, NULL);
}

static void
test_auth_tenant_permission_denied (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LumaTestResponse) other = NULL;

  node = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" ACME "/api-key",
                                    "{\"permissions\": []}", NULL);
  assert_tenant_denied (sb, ACME_KEY, ACME, 403, "PERMISSION_DENIED");

  other = tenant_get (sb, "/subscription", BETA_KEY, BETA);
  luma_test_assert_response (other, 200, NULL);
}

static void
test_auth_tenant_key_on_platform (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");

  for (guint i = 0; i < G_N_ELEMENTS (platform_paths); i++)
    {
      const char *method = platform_paths[i][0];
      const char *path = platform_paths[i][1];
      g_autoptr(LumaTestResponse) r = tenant_request (sb, method, path, ACME_KEY, ACME,
                                                      body_for (method, path),
                                                      "Idempotency-Key", "auth-test-1");

      g_test_message ("%s %s", method, path);
      luma_test_assert_response (r, 403, "TENANT_KEY_ON_PLATFORM");
    }

  {
    /* Nothing was refilled by those attempts. */
    g_autoptr(LumaTestResponse) sub_r = NULL;
    g_autoptr(LumaTestResponse) purchases = tenant_get (sb, "/subscription/purchases",
                                                        ACME_KEY, ACME);
    JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);
    JsonArray *items;

    luma_test_assert_response (purchases, 200, NULL);
    items = get_arr (luma_test_response_get_result (purchases), "items");
    g_assert_cmpint (get_int (json_array_get_object_element (items, 0), "totalAfter"), ==,
                     get_int (sub, "totalPurchase"));
    for (guint i = 0; i < json_array_get_length (items); i++)
      g_assert_cmpstr (get_str (json_array_get_object_element (items, i), "reason"), !=,
                       "auth test");
  }
}

static void
test_auth_platform_token (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");
  g_autofree char *token = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_autofree char *forged = g_strconcat (token, "x", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (platform_paths); i++)
    {
      const char *method = platform_paths[i][0];
      const char *path = platform_paths[i][1];
      g_autoptr(LumaTestResponse) none = platform_request (sb, method, path, NULL,
                                                           body_for (method, path),
                                                           "Idempotency-Key", "auth-test-2");
      g_autoptr(LumaTestResponse) unknown = platform_request (sb, method, path, forged,
                                                              body_for (method, path),
                                                              "Idempotency-Key", "auth-test-3");

      g_test_message ("%s %s", method, path);
      /* No credentials at all: the headers are missing. */
      luma_test_assert_response (none, 401, "UNAUTHENTICATED");
      /* An unknown token counts as expired. */
      luma_test_assert_response (unknown, 401, "TOKEN_EXPIRED");
    }

  {
    g_autoptr(LumaTestResponse) ok = platform_request (sb, "GET", "/platform/tenants", token,
                                                       NULL, NULL, NULL);

    luma_test_assert_response (ok, 200, NULL);
  }
}

static void
test_auth_token_expired (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("1");
  g_autoptr(LumaTestResponse) login = NULL;
  g_autoptr(LumaTestResponse) fresh = NULL;
  g_autoptr(LumaTestResponse) expired = NULL;
  g_autoptr(LumaTestResponse) again = NULL;
  g_autoptr(GDateTime) expires_at = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token2 = NULL;
  JsonObject *result;

  login = platform_request (sb, "POST", "/platform/login", NULL,
                            "{\"username\": \"" ROOT_USER "\", \"password\": \"" ROOT_PASS "\"}",
                            NULL, NULL);
  luma_test_assert_response (login, 200, NULL);
  result = luma_test_response_get_result (login);
  g_assert_cmpint (get_int (result, "expiresIn"), ==, 1);
  token = g_strdup (get_str (result, "token"));
  expires_at = parse_server_time (get_str (result, "expiresAt"));

  /* Wait until the stated expiry has passed (with a margin for whole seconds). */
  for (;;)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (g_date_time_difference (now, expires_at) > 1100 * G_TIME_SPAN_MILLISECOND)
        break;
      g_usleep (100 * 1000);
    }

  expired = platform_request (sb, "GET", "/platform/tenants", token, NULL, NULL, NULL);
  luma_test_assert_response (expired, 401, "TOKEN_EXPIRED");

  /* What a client does: log in again and repeat. */
  token2 = platform_login (sb, ROOT_USER, ROOT_PASS);
  g_assert_cmpstr (token2, !=, token);
  again = platform_request (sb, "GET", "/platform/tenants", token2, NULL, NULL, NULL);
  /* The new token is also only valid for a second; a slow machine may see it expire. */
  if (again->status == 401)
    luma_test_assert_response (again, 401, "TOKEN_EXPIRED");
  else
    luma_test_assert_response (again, 200, NULL);
}

static void
test_auth_invalid_credentials (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("900");
  const char *wrong[] = {
    "{\"username\": \"root\", \"password\": \"wrong\"}",
    "{\"username\": \"root\", \"password\": \"S3CRET\"}",
    "{\"username\": \"nobody\", \"password\": \"s3cret\"}",
    "{\"username\": \"ops\", \"password\": \"s3cret\"}",
    "{\"username\": \"root\", \"password\": \"\"}",
  };
  const char *malformed[] = {
    "{\"username\": \"root\"}",
    "{\"password\": \"s3cret\"}",
    "{}",
    "{\"username\": 1, \"password\": \"s3cret\"}",
    "not json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(LumaTestResponse) r = platform_request (sb, "POST", "/platform/login", NULL,
                                                        wrong[i], NULL, NULL);

      g_test_message ("%s", wrong[i]);
      luma_test_assert_response (r, 401, "INVALID_CREDENTIALS");
    }
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(LumaTestResponse) r = platform_request (sb, "POST", "/platform/login", NULL,
                                                        malformed[i], NULL, NULL);

      g_test_message ("%s", malformed[i]);
      luma_test_assert_response (r, 400, "INVALID_BODY");
    }

  {
    /* The second account works with its own password. */
    g_autofree char *token = platform_login (sb, "ops", "0ps-pass");

    g_assert_cmpstr (token, !=, "");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/auth/tenant/unauthenticated", test_auth_tenant_unauthenticated);
  g_test_add_func ("/contract/auth/tenant/wrong-tenant", test_auth_tenant_wrong_tenant);
  g_test_add_func ("/contract/auth/tenant/key-inactive", test_auth_tenant_key_inactive);
  g_test_add_func ("/contract/auth/tenant/permission-denied", test_auth_tenant_permission_denied);
  g_test_add_func ("/contract/auth/tenant/key-on-platform", test_auth_tenant_key_on_platform);
  g_test_add_func ("/contract/auth/platform/token", test_auth_platform_token);
  g_test_add_func ("/contract/auth/platform/token-expired", test_auth_token_expired);
  g_test_add_func ("/contract/auth/platform/invalid-credentials", test_auth_invalid_credentials);

  return g_test_run ();
}
