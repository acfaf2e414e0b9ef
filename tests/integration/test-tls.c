/* test-tls.c: the client's TLS and plain-http rules
 *
 * - The sandbox served over HTTPS with a self-signed certificate is refused by default,
 *   with LUMA_API_ERROR_TLS and a message that says the certificate is not trusted and why;
 *   a session's first connection says so once, with the address.
 * - With that certificate configured as an extra CA (luma_api_client_set_ca_file()) the same
 *   server is accepted, and a whole sync works over TLS.
 * - An extra CA does not switch off the name check: a certificate for another host name,
 *   trusted as a CA, is still refused ("does not match the server name").
 * - A CA file that cannot be read is an error naming the file, not a silent "trust nothing
 *   more" or "trust everything".
 * - Plain http:// to a host that is not loopback needs an explicit confirmation: the
 *   constructor marks such a client insecure and every call fails with
 *   LUMA_API_ERROR_INSECURE_URL before any connection is made (the test uses the
 *   documentation addresses 192.0.2.1 and 2001:db8::1; nothing is sent to them).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-session.h"
#include "luma-sync.h"
#include "luma-test-sandbox.h"

#define ACME     "acme"
#define ACME_KEY "acme-tls-key-0001"

static char *
data_file (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "integration", "data", name, NULL);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static LumaSubscription *
get_subscription (LumaApiClient  *client,
                  GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_get_subscription_async (client, NULL, NULL, store_result_cb, &result);
  return luma_api_client_get_subscription_finish (client, wait_for (&result), NULL, error);
}

static LumaTestSandbox *
start_tls_sandbox (const char *cert_name,
                   const char *key_name)
{
  g_autofree char *cert = data_file (cert_name);
  g_autofree char *key = data_file (key_name);

  return luma_test_sandbox_start ("--tls-cert", cert, "--tls-key", key,
                                  "--tenant", ACME, "--api-key", ACME_KEY, "--seed", "25",
                                  NULL);
}

static LumaApiClient *
new_client (const char *url)
{
  g_autoptr(GError) error = NULL;
  LumaApiClient *client = luma_api_client_new (url, &error);

  g_assert_no_error (error);
  g_assert_nonnull (client);
  luma_api_client_set_tenant_credentials (client, ACME, ACME_KEY);
  /* TLS failures are not retried; keep any other retry short anyway. */
  luma_api_client_set_retry_policy (client, 2, 10, 50);
  return client;
}

static void
test_self_signed_refused (void)
{
  g_autoptr(LumaTestSandbox) sb = start_tls_sandbox ("sandbox-tls.crt", "sandbox-tls.key");
  g_autoptr(LumaApiClient) client = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (luma_test_sandbox_get_url (sb), "https://127.0.0.1:"));
  client = new_client (luma_test_sandbox_get_url (sb));
  g_assert_false (luma_api_client_is_insecure (client));

  sub = get_subscription (client, &error);
  g_assert_null (sub);
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "certificate is not trusted"));
  g_assert_nonnull (strstr (error->message, "not signed by a known certificate authority"));
  g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 0);
}

static void
test_session_check_refused (void)
{
  g_autoptr(LumaTestSandbox) sb = start_tls_sandbox ("sandbox-tls.crt", "sandbox-tls.key");
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (sb), ACME);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *first;

  luma_account_set_secret (account, ACME_KEY);
  luma_session_check_async (account, NULL, NULL, store_result_cb, &result);
  g_assert_false (luma_session_check_finish (wait_for (&result), &error));
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
  g_test_message ("refused: %s", error->message);
  first = strstr (error->message, "certificate is not trusted");
  g_assert_nonnull (first);
  g_assert_null (strstr (first + 1, "certificate is not trusted"));
  g_assert_nonnull (strstr (error->message, luma_test_sandbox_get_url (sb)));
}

static void
test_ca_file_accepted (void)
{
  g_autoptr(LumaTestSandbox) sb = start_tls_sandbox ("sandbox-tls.crt", "sandbox-tls.key");
  g_autofree char *ca = data_file ("sandbox-tls.crt");
  g_autoptr(LumaApiClient) client = new_client (luma_test_sandbox_get_url (sb));
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cache_path = g_build_filename (g_get_user_cache_dir (), "tls.db", NULL);
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSync) sync = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  gint64 records = 0;
  g_autofree char *checksum = NULL;

  g_assert_true (luma_api_client_set_ca_file (client, ca, &error));
  g_assert_no_error (error);

  sub = get_subscription (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sub);
  g_assert_cmpstr (sub->external_id, ==, ACME);

  /* A whole sync over TLS. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  cache = luma_cache_open_path (cache_path, NULL, &error);
  g_assert_no_error (error);
  sync = luma_sync_new (client, cache);
  luma_sync_run_async (sync, NULL, store_result_cb, &result);
  summary = luma_sync_run_finish (sync, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  luma_test_set_tls_anchors (ca);  /* for the test's own request */
  checksum = luma_test_sandbox_get_checksum (sb, ACME, &records, NULL);
  luma_test_set_tls_anchors (NULL);
  g_assert_cmpint (summary->total_records, ==, records);
  g_assert_cmpint (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_SESSION, &error), ==, records);
  g_assert_no_error (error);
  while (luma_sync_get_indexing (sync))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&sync);
  luma_cache_close (cache);

}

/* Trust is decided per connection: after the CA is taken away, a connection that was
 * verified with it must not carry on (libsoup keeps connections open between requests). */
static void
test_ca_file_removed (void)
{
  g_autoptr(LumaTestSandbox) sb = start_tls_sandbox ("sandbox-tls.crt", "sandbox-tls.key");
  g_autofree char *ca = data_file ("sandbox-tls.crt");
  g_autoptr(LumaApiClient) client = new_client (luma_test_sandbox_get_url (sb));
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (luma_api_client_set_ca_file (client, ca, &error));
  sub = get_subscription (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sub);
  g_clear_pointer (&sub, luma_subscription_free);

  g_assert_true (luma_api_client_set_ca_file (client, NULL, &error));
  g_assert_no_error (error);
  sub = get_subscription (client, &error);
  if (sub != NULL)
    g_test_fail_printf ("after luma_api_client_set_ca_file (NULL) the server is still trusted: "
                        "the connection verified with the removed CA was reused");
  else
    g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
}

static void
test_ca_file_wrong_name (void)
{
  g_autoptr(LumaTestSandbox) sb = start_tls_sandbox ("tls-wrong-name.crt", "tls-wrong-name.key");
  g_autofree char *ca = data_file ("tls-wrong-name.crt");
  g_autoptr(LumaApiClient) client = new_client (luma_test_sandbox_get_url (sb));
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(GError) error = NULL;

  /* Trusted as a CA, but issued to luma.example, not 127.0.0.1. */
  g_assert_true (luma_api_client_set_ca_file (client, ca, &error));
  g_assert_no_error (error);
  sub = get_subscription (client, &error);
  g_assert_null (sub);
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "does not match the server name"));
}

static void
test_ca_file_unreadable (void)
{
  g_autoptr(LumaApiClient) client = new_client ("https://127.0.0.1:9/gateway/api/v1");
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (g_get_user_config_dir (), "no-such-ca.pem", NULL);
  g_autofree char *garbage = g_build_filename (g_get_user_config_dir (), "garbage.pem", NULL);

  g_assert_false (luma_api_client_set_ca_file (client, missing, &error));
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "no-such-ca.pem"));
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (garbage, "this is not a certificate\n", -1, NULL));
  g_assert_false (luma_api_client_set_ca_file (client, garbage, &error));
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "garbage.pem"));
}

static void
test_plain_http_needs_confirmation (void)
{
  static const char * const insecure[] = {
    "http://192.0.2.1/gateway/api/v1",
    "http://192.0.2.1:8080/gateway/api/v1",
    "http://[2001:db8::1]/gateway/api/v1",
    "HTTP://luma.example/gateway/api/v1",
    "http://127.0.0.1.example/gateway/api/v1",
    "http://0.0.0.0/gateway/api/v1",
  };
  static const char * const fine[] = {
    "https://192.0.2.1/gateway/api/v1",
    "http://127.0.0.1:9/gateway/api/v1",
    "http://127.1.2.3:9/gateway/api/v1",
    "http://[::1]:9/gateway/api/v1",
    "http://localhost:9/gateway/api/v1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (insecure); i++)
    {
      g_autoptr(LumaApiClient) client = new_client (insecure[i]);
      g_autoptr(LumaSubscription) sub = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", insecure[i]);
      g_assert_true (luma_api_client_is_insecure (client));
      /* Refused before any connection: the address is never contacted. */
      sub = get_subscription (client, &error);
      g_assert_null (sub);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INSECURE_URL);
      g_assert_nonnull (strstr (error->message, "http://"));
      g_assert_nonnull (strstr (error->message, "confirmed"));
      g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 0);

      /* The confirmation does not make the address look secure. */
      luma_api_client_set_allow_insecure_http (client, TRUE);
      g_assert_true (luma_api_client_is_insecure (client));
    }

  for (guint i = 0; i < G_N_ELEMENTS (fine); i++)
    {
      g_autoptr(LumaApiClient) client = new_client (fine[i]);

      g_test_message ("%s", fine[i]);
      g_assert_false (luma_api_client_is_insecure (client));
    }
}

static void
test_invalid_urls (void)
{
  static const char * const bad[] = {
    "ftp://luma.example/gateway/api/v1",
    "luma.example/gateway/api/v1",
    "https://",
    "https://user:secret@luma.example/gateway/api/v1",
    "https://luma.example/gateway/api/v1?x=1",
    "https://luma.example/gateway/api/v1#frag",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LumaApiClient) client = luma_api_client_new (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (client);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_URL);
      /* The password of a user:password@ address is not repeated in the message. */
      g_assert_null (strstr (error->message, "secret"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char **args = NULL;

  /* Every case reports (--keep-going), not only the first that fails. */
  args = g_new0 (char *, argc + 2);
  memcpy (args, argv, sizeof (char *) * (gsize) argc);
  args[argc++] = (char *) "--keep-going";
  argv = args;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/tls/self-signed-refused", test_self_signed_refused);
  g_test_add_func ("/tls/session-check-refused", test_session_check_refused);
  g_test_add_func ("/tls/ca-file-accepted", test_ca_file_accepted);
  g_test_add_func ("/tls/ca-file-removed", test_ca_file_removed);
  g_test_add_func ("/tls/ca-file-wrong-name", test_ca_file_wrong_name);
  g_test_add_func ("/tls/ca-file-unreadable", test_ca_file_unreadable);
  g_test_add_func ("/tls/plain-http-needs-confirmation", test_plain_http_needs_confirmation);
  g_test_add_func ("/tls/invalid-urls", test_invalid_urls);

  return g_test_run ();
}
