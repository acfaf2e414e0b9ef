/* test-account.c: an account's identity from any spelling of its address
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-account.h"
#include "luma-cache.h"

static void
test_normalize (void)
{
  static const struct { const char *text; const char *base; } cases[] = {
    { "http://127.0.0.1:47123", "http://127.0.0.1:47123/gateway/api/v1" },
    { "http://127.0.0.1:47123/", "http://127.0.0.1:47123/gateway/api/v1" },
    { "http://127.0.0.1:47123/gateway/api/v1", "http://127.0.0.1:47123/gateway/api/v1" },
    { " http://127.0.0.1:47123/gateway/api/v1/ ", "http://127.0.0.1:47123/gateway/api/v1" },
    /* No scheme: as a person means it. */
    { "127.0.0.1:47123", "http://127.0.0.1:47123/gateway/api/v1" },
    { "localhost:8080", "http://localhost:8080/gateway/api/v1" },
    { "localhost", "http://localhost/gateway/api/v1" },
    { "[::1]:8080", "http://[::1]:8080/gateway/api/v1" },
    { "10.0.0.5:8443", "http://10.0.0.5:8443/gateway/api/v1" },
    { "luma.example.com", "https://luma.example.com/gateway/api/v1" },
    { "luma.example.com/", "https://luma.example.com/gateway/api/v1" },
    { "luma.example.com:8443", "https://luma.example.com:8443/gateway/api/v1" },
    /* Case and default ports do not make another account. */
    { "HTTPS://Luma.Example.COM:443/", "https://luma.example.com/gateway/api/v1" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *base = luma_account_normalize_server (cases[i].text);

      g_assert_cmpstr (base, ==, cases[i].base);
    }
}

static void
test_identity (void)
{
  const char *spellings[] = { "http://127.0.0.1:5000", "http://127.0.0.1:5000/",
                              "http://127.0.0.1:5000/gateway/api/v1", "127.0.0.1:5000" };
  g_autoptr(LumaAccountIdentity) first = luma_account_identify (LUMA_ACCOUNT_KIND_TENANT,
                                                                spellings[0], "acme");
  g_autofree char *expected_path = luma_cache_path_for_account ("http://127.0.0.1:5000/gateway/api/v1",
                                                                "acme");
  g_autoptr(LumaAccountIdentity) admin = NULL;
  g_autoptr(LumaAccount) a = NULL;
  g_autoptr(LumaAccount) b = NULL;
  g_autofree char *tenant_name = NULL;

  g_assert_cmpstr (first->server, ==, "http://127.0.0.1:5000/gateway/api/v1");
  g_assert_cmpstr (first->cache_name, ==, "acme");
  g_assert_cmpstr (first->cache_path, ==, expected_path);
  g_assert_cmpstr (first->user, ==, "acme");
  g_assert_cmpint (first->kind, ==, LUMA_ACCOUNT_KIND_TENANT);

  for (guint i = 1; i < G_N_ELEMENTS (spellings); i++)
    {
      g_autoptr(LumaAccountIdentity) other = luma_account_identify (LUMA_ACCOUNT_KIND_TENANT,
                                                                    spellings[i], " acme ");

      g_assert_cmpstr (other->key, ==, first->key);
      g_assert_cmpstr (other->cache_path, ==, first->cache_path);
      g_assert_cmpstr (other->server, ==, first->server);
    }

  /* A superadmin of the same name is another account, with its own cache and keyring item. */
  admin = luma_account_identify (LUMA_ACCOUNT_KIND_SUPERADMIN, spellings[1], "acme");
  g_assert_cmpstr (admin->key, !=, first->key);
  g_assert_cmpstr (admin->cache_name, ==, "superadmin:acme");
  g_assert_cmpstr (admin->cache_path, !=, first->cache_path);
  g_assert_cmpstr (admin->user, ==, "acme");
  g_assert_cmpint (admin->kind, ==, LUMA_ACCOUNT_KIND_SUPERADMIN);

  a = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, spellings[0], "acme");
  b = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, spellings[2], "acme");
  g_assert_true (luma_account_equal (a, b));
  g_assert_cmpstr (luma_account_get_server (a), ==, first->server);
  g_assert_cmpstr (luma_account_get_id (a)->cache_path, ==, first->cache_path);
  tenant_name = luma_account_dup_tenant_cache_name (a, "acme");
  g_assert_cmpstr (tenant_name, ==, "acme");

  /* A secret set but empty is none: the keyring's is looked up. */
  luma_account_set_secret (a, "key");
  g_assert_cmpstr (luma_account_get_secret (a), ==, "key");
  luma_account_set_secret (a, "");
  g_assert_null (luma_account_get_secret (a));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/account/normalize", test_normalize);
  g_test_add_func ("/account/identity", test_identity);

  return g_test_run ();
}
