/* test-secrets.c: the API key, the superadmin password and bearer tokens never leak
 *
 * The headless command line ($LUMA_CLI) syncs a tenant as its admin (LUMA_API_KEY) and as a
 * superadmin (LUMA_PASSWORD), with G_MESSAGES_DEBUG=all and settings written to a keyfile,
 * then fails once with a wrong key and once with a wrong password. The same superadmin sync
 * also runs in this process with a log writer that keeps every message. Then:
 *
 * - no secret appears in any standard output or error, in any log message, or in any byte
 *   of any file under the private HOME and XDG directories (cache, config with the
 *   settings keyfile, data, state), as is or base64-encoded;
 * - no bearer token appears either: the test logs in itself to learn what the sandbox's
 *   tokens look like (their first dot-separated segment is the same for every token), and
 *   looks for that segment as well as its own token;
 * - the cache folder is 0700 and every file in it 0600.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-sync.h"
#include "luma-test-sandbox.h"
#include "luma-test-secrets.h"

#define ACME       "acme"
#define API_KEY    "k3y-acme-5bd1c0d2e0b44b7d9b7c-secret"
#define WRONG_KEY  "k3y-acme-wrong-0a9b8c7d6e5f-secret"
#define ADMIN      "root"
#define PASSWORD   "pw-Zq8vR2mN7xL4-secret"
#define WRONG_PW   "pw-Wr0ngWr0ng55-secret"

static LumaTestSecrets *secrets;

/* ---- The command line --------------------------------------------------------------------- */

static const char *
cli_program (void)
{
  const char *program = g_getenv ("LUMA_CLI");

  if (program == NULL || *program == '\0')
    g_error ("LUMA_CLI is not set: run this test through `meson test`");
  return program;
}

static int
run_cli (const char *key,
         const char *password,
         ...) G_GNUC_NULL_TERMINATED;

/* Runs $LUMA_CLI with the arguments after @password; keeps its output with the captured log
 * messages. */
static int
run_cli (const char *key,
         const char *password,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_build_filename (g_get_home_dir (), ".local", "state", NULL);
  va_list ap;
  int status;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "LUMA_API_KEY");
  if (password != NULL)
    g_subprocess_launcher_setenv (launcher, "LUMA_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "LUMA_PASSWORD");
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  /* Settings land in a file the scan reads, not in memory. */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  /* Logs go to the pipes, not to the journal. */
  g_subprocess_launcher_unsetenv (launcher, "JOURNAL_STREAM");
  /* No keyring: the secrets come from the environment only. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                "unix:path=/nonexistent/bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state_dir, TRUE);

  g_ptr_array_add (argv, (gpointer) cli_program ());
  va_start (ap, password);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;

  g_test_message ("exit %d, %" G_GSIZE_FORMAT " bytes on stdout, %" G_GSIZE_FORMAT
                  " on stderr", status, g_bytes_get_size (out), g_bytes_get_size (err));
  luma_test_secrets_assert_absent (secrets, "the standard output of the command line",
                                   g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  luma_test_secrets_assert_absent (secrets, "the standard error (logs) of the command line",
                                   g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  luma_test_capture_append ("\n[cli stdout]\n", g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  luma_test_capture_append ("\n[cli stderr]\n", g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  return status;
}

/* ---- In this process ---------------------------------------------------------------------- */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
sync_in_process (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) client = luma_api_client_new (url, &error);
  g_autofree char *path = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSync) sync = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;

  g_assert_no_error (error);
  luma_api_client_set_superadmin_credentials (client, ADMIN, PASSWORD);
  luma_api_client_set_tenant (client, ACME);
  cache = luma_cache_open_for_account (url, "superadmin:" ADMIN "/" ACME, NULL, &error);
  g_assert_no_error (error);
  path = g_strdup (luma_cache_get_path (cache));
  sync = luma_sync_new (client, cache);

  luma_sync_run_async (sync, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = luma_sync_run_finish (sync, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  while (luma_sync_get_indexing (sync))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&sync);
  luma_cache_close (cache);

  /* Errors are messages too: a wrong password must not be repeated in one. */
  {
    g_autoptr(LumaApiClient) wrong = luma_api_client_new (url, &error);
    g_autoptr(GAsyncResult) login = NULL;

    luma_api_client_set_superadmin_credentials (wrong, ADMIN, WRONG_PW);
    luma_api_client_login_async (wrong, NULL, store_result_cb, &login);
    while (login == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (luma_api_client_login_finish (wrong, login, &error));
    g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_AUTH);
    luma_test_secrets_assert_absent (secrets, "the login error message", error->message,
                                     strlen (error->message));
    g_clear_error (&error);
  }
}

/* ---- The test ----------------------------------------------------------------------------- */

static void
test_secrets_never_leak (void)
{
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(GBytes) captured = NULL;
  const void *data;
  gsize len;
  const char *url;
  guint n_files;

  sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", API_KEY, "--seed", "300",
                                "--superadmin", ADMIN ":" PASSWORD, NULL);
  url = luma_test_sandbox_get_url (sb);


  luma_test_secrets_add (secrets, "API key", API_KEY);
  luma_test_secrets_add (secrets, "wrong API key", WRONG_KEY);
  luma_test_secrets_add (secrets, "superadmin password", PASSWORD);
  luma_test_secrets_add (secrets, "wrong superadmin password", WRONG_PW);
  /* The sandbox's tokens, to know what they look like. */
  luma_test_secrets_add_bearer_tokens (secrets, sb, ADMIN, PASSWORD);

  /* A tenant admin: a full then an incremental sync, the status, a refused key. */
  g_assert_cmpint (run_cli (API_KEY, NULL, "--server", url, "--tenant", ACME, "--sync", NULL), ==, 0);
  g_assert_cmpint (run_cli (API_KEY, NULL, "--server", url, "--tenant", ACME, "--sync",
                            "--status", NULL), ==, 0);
  g_assert_cmpint (run_cli (WRONG_KEY, NULL, "--server", url, "--tenant", ACME, "--sync", NULL),
                   !=, 0);

  /* A superadmin (logs in, gets a token), then a refused password. */
  g_assert_cmpint (run_cli (NULL, PASSWORD, "--server", url, "--superadmin", ADMIN,
                            "--tenant", ACME, "--sync", NULL), ==, 0);
  g_assert_cmpint (run_cli (NULL, WRONG_PW, "--server", url, "--superadmin", ADMIN,
                            "--tenant", ACME, "--sync", NULL), !=, 0);

  /* The same in this process, every log message kept. */
  sync_in_process (url);

  captured = luma_test_capture_get ();
  data = g_bytes_get_data (captured, &len);
  g_test_message ("%" G_GSIZE_FORMAT " bytes of output and log messages captured", len);
  g_assert_cmpuint (len, >, 0);
  /* The scan can fail: debug messages were produced and kept, the command line's answers
   * too, and a planted secret is found. */
  g_assert_true (luma_test_bytes_contain (data, len, "PRIORITY=7"));
  g_assert_true (luma_test_bytes_contain (data, len, "full sync"));
  g_assert_true (luma_test_bytes_contain ("x" API_KEY "y", strlen (API_KEY) + 2, API_KEY));
  luma_test_secrets_assert_absent (secrets, "the log messages of this process or the command line",
                                   data, len);

  /* Every file the runs left behind. */
  n_files = luma_test_secrets_scan_user_dirs (secrets);
  g_assert_cmpuint (n_files, >=, 2);

  luma_test_assert_private_cache ();
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything logs: every debug message is produced, and kept. */
  luma_test_capture_install ();
  luma_test_capture_start ();

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  secrets = luma_test_secrets_new ();

  g_test_add_func ("/secrets/never-leak", test_secrets_never_leak);

  return g_test_run ();
}
