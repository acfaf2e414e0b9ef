/* test-contract-process.c: the luma-sandbox program itself (docs/api.md section 7): its base
 * URL line, --db persistence across a restart, clean exit on SIGTERM and SIGINT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>
#include <glib/gstdio.h>

#include "contract-util.h"

#define CONTACTS "{\"technicalEmails\": [\"it@acme.example\", \"Zoë@acme.example\"], " \
                 "\"billingEmails\": [\"ap@acme.example\"]}"

static LumaTestSandbox *
start_with_db (const char *db)
{
  return luma_test_sandbox_start ("--db", db,
                                  "--tenant", ACME, "--api-key", ACME_KEY, "--seed", "100",
                                  "--tenant", BETA, "--api-key", BETA_KEY,
                                  "--license-model", "user", "--seed", "30",
                                  "--superadmin", ROOT_USER ":" ROOT_PASS,
                                  NULL);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

static void
test_process_persistence (void)
{
  g_autofree char *dir = g_dir_make_tmp ("luma-contract-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "state.db", NULL);
  g_autofree char *sum_before = NULL;
  g_autofree char *sum_after = NULL;
  g_autofree char *beta_before = NULL;
  g_autofree char *beta_after = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *token = NULL;
  g_autoptr(LumaTestResponse) sub_before = NULL;
  g_autoptr(LumaTestResponse) purchases_before = NULL;
  g_autoptr(GPtrArray) feed = NULL;
  gint64 records_before, records_after;
  LumaTestSandbox *sb;

  g_assert_nonnull (dir);
  sb = start_with_db (db);

  /* Change every kind of state: records, contacts, purchases, a touched record. */
  luma_test_sandbox_add_records (sb, ACME, 7);
  luma_test_sandbox_touch_records (sb, BETA, 3);
  {
    g_autoptr(LumaTestResponse) r = NULL;
    JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &r);
    g_autofree char *tag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", get_int (sub, "version"));
    g_autoptr(LumaTestResponse) put = tenant_request (sb, "PUT", "/subscription/contacts",
                                                      ACME_KEY, ACME, CONTACTS, "If-Match", tag);

    luma_test_assert_response (put, 200, NULL);
  }
  token = platform_login (sb, ROOT_USER, ROOT_PASS);
  {
    g_autoptr(LumaTestResponse) r = platform_request (sb, "POST",
                                                      "/platform/tenants/" ACME "/refills", token,
                                                      "{\"change\": 10, \"reason\": \"Persist\"}",
                                                      "Idempotency-Key", "persist-1");

    luma_test_assert_response (r, 201, NULL);
  }
  feed = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, &cursor);
  sub_before = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  luma_test_assert_response (sub_before, 200, NULL);
  purchases_before = tenant_get (sb, "/subscription/purchases", ACME_KEY, ACME);
  luma_test_assert_response (purchases_before, 200, NULL);
  sum_before = luma_test_sandbox_get_checksum (sb, ACME, &records_before, NULL);
  beta_before = luma_test_sandbox_get_checksum (sb, BETA, NULL, NULL);
  g_assert_cmpint (records_before, ==, 107);

  luma_test_sandbox_stop (sb);
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));

  /* The same command line again: the state is the one left behind, not seeded anew. */
  sb = start_with_db (db);
  sum_after = luma_test_sandbox_get_checksum (sb, ACME, &records_after, NULL);
  beta_after = luma_test_sandbox_get_checksum (sb, BETA, NULL, NULL);
  g_assert_cmpint (records_after, ==, records_before);
  g_assert_cmpstr (sum_after, ==, sum_before);
  g_assert_cmpstr (beta_after, ==, beta_before);
  {
    g_autoptr(LumaTestResponse) sub_after = tenant_get (sb, "/subscription", ACME_KEY, ACME);
    g_autoptr(LumaTestResponse) purchases_after = tenant_get (sb, "/subscription/purchases",
                                                              ACME_KEY, ACME);
    g_autoptr(GPtrArray) since = NULL;

    luma_test_assert_response (sub_after, 200, NULL);
    g_assert_true (g_bytes_equal (sub_after->body, sub_before->body));
    g_assert_cmpstr (luma_test_response_get_header (sub_after, "etag"), ==,
                     luma_test_response_get_header (sub_before, "etag"));
    luma_test_assert_response (purchases_after, 200, NULL);
    g_assert_true (g_bytes_equal (purchases_after->body, purchases_before->body));

    /* A cursor from before the restart is still valid, with nothing after it. */
    since = fetch_feed (sb, "", ACME_KEY, ACME, NULL, cursor, 1000, NULL);
    g_assert_cmpuint (since->len, ==, 0);

    /* And the state keeps moving from there. */
    luma_test_sandbox_add_records (sb, ACME, 2);
    g_clear_pointer (&since, g_ptr_array_unref);
    since = fetch_feed (sb, "", ACME_KEY, ACME, NULL, cursor, 1000, NULL);
    g_assert_cmpuint (since->len, ==, 2);
  }
  luma_test_sandbox_stop (sb);

  remove_tree (dir);
}

/* A temporary database (no --db) is removed at exit. */
static void
test_process_temporary_db (void)
{
  g_autofree char *dir = g_dir_make_tmp ("luma-contract-tmp-XXXXXX", NULL);
  g_autofree char *old_tmpdir = g_strdup (g_getenv ("TMPDIR"));
  LumaTestSandbox *sb;
  guint files_running = 0;
  guint files_after = 0;

  g_assert_nonnull (dir);
  g_setenv ("TMPDIR", dir, TRUE);
  sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "10", NULL);
  if (old_tmpdir != NULL)
    g_setenv ("TMPDIR", old_tmpdir, TRUE);
  else
    g_unsetenv ("TMPDIR");

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

    luma_test_assert_response (r, 200, NULL);
    while (g_dir_read_name (d) != NULL)
      files_running++;
  }
  luma_test_sandbox_stop (sb);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);

    while (g_dir_read_name (d) != NULL)
      files_after++;
  }
  remove_tree (dir);

  /* The sandbox may unlink its temporary database as soon as it is open (nothing is then left
   * even after a crash), or remove it at exit: either way nothing stays behind. */
  g_test_message ("%u file(s) in TMPDIR while running", files_running);
  g_assert_cmpuint (files_after, ==, 0);
}

static void
test_process_signals (void)
{
  LumaTestSandbox *sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, NULL);
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

  luma_test_assert_response (r, 200, NULL);
  /* Stops asserting a clean exit with status 0. */
  luma_test_sandbox_stop_with_signal (sb, SIGINT);

  /* SIGTERM while an answer is held back by the slow fault. */
  sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--slow-ms", "60000",
                                "--fault", "slow:1", NULL);
  {
    const char *headers[] = {
      "Luma-api-access-key", ACME_KEY, "Luma-tenant-externalId", ACME, NULL
    };
    g_autofree char *url = api_url (sb, "/subscription");
    g_autoptr(LumaTestResponse) held = luma_test_requestv ("GET", url, NULL, headers, 1);

    g_assert_error (held->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  }
  luma_test_sandbox_stop (sb);
}

static void
test_process_base_url (void)
{
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key",
                                                           ACME_KEY, NULL);
  g_autoptr(LumaTestSandbox) sb2 = luma_test_sandbox_start ("--listen", "127.0.0.1",
                                                            "--tenant", ACME, "--api-key",
                                                            ACME_KEY, NULL);
  const char *url = luma_test_sandbox_get_url (sb);

  /* Loopback by default, a port picked for --port 0, the documented base path. */
  g_assert_true (g_regex_match_simple ("^http://127\\.0\\.0\\.1:[1-9][0-9]*/gateway/api/v1$",
                                       url, 0, 0));
  g_assert_true (g_str_has_prefix (luma_test_sandbox_get_url (sb2), "http://127.0.0.1:"));
  /* Two sandboxes at once get two ports, and both answer. */
  g_assert_cmpstr (url, !=, luma_test_sandbox_get_url (sb2));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (i == 0 ? sb : sb2, "/subscription",
                                                  ACME_KEY, ACME);

      luma_test_assert_response (r, 200, NULL);
    }
}

/* Once the base URL is out, the sandbox is a running server: SIGTERM stops it cleanly even
 * right away (a demo or test script may stop it at any moment). */
static void
test_process_sigterm_at_once (void)
{
  for (guint i = 0; i < 5; i++)
    {
      LumaTestSandbox *sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                                                     NULL);

      luma_test_sandbox_stop (sb);
    }
}

static void
test_process_tls (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                 "sandbox-tls.crt", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                "sandbox-tls.key", NULL);
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tls-cert", cert, "--tls-key", key,
                                                           "--tenant", ACME, "--api-key",
                                                           ACME_KEY, NULL);
  g_autoptr(LumaTestResponse) untrusted = NULL;

  g_assert_true (g_str_has_prefix (luma_test_sandbox_get_url (sb), "https://127.0.0.1:"));

  /* Trusting exactly that certificate, everything works over TLS. */
  luma_test_set_tls_anchors (cert);
  {
    g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);
    g_autofree char *sum = luma_test_sandbox_get_checksum (sb, ACME, NULL, NULL);

    luma_test_assert_response (r, 200, NULL);
  }

  /* Without it, the self-signed certificate is refused: it really is that TLS server. */
  luma_test_set_tls_anchors (NULL);
  untrusted = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  g_assert_error (untrusted->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);

  luma_test_set_tls_anchors (cert);
  luma_test_sandbox_stop (g_steal_pointer (&sb));
  luma_test_set_tls_anchors (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/process/base-url", test_process_base_url);
  g_test_add_func ("/contract/process/persistence", test_process_persistence);
  g_test_add_func ("/contract/process/temporary-db", test_process_temporary_db);
  g_test_add_func ("/contract/process/signals", test_process_signals);
  g_test_add_func ("/contract/process/tls", test_process_tls);
  g_test_add_func ("/contract/process/sigterm-at-once", test_process_sigterm_at_once);

  return g_test_run ();
}
