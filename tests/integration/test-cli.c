/* test-cli.c: the headless command line, run as a real program against the sandbox
 *
 * $LUMA_CLI is the program: the app itself when it is built, else a harness around
 * luma_cli_run(). Its cache lands in the test's private XDG_CACHE_HOME, which the child
 * inherits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "luma-cache.h"
#include "luma-cli.h"

#include "sync-util.h"

typedef struct
{
  int   status;     /* exit status, or -1 when killed by a signal */
  char *out;
  char *err;
} CliResult;

static void
cli_result_free (CliResult *r)
{
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

static const char *
cli_program (void)
{
  const char *program = g_getenv ("LUMA_CLI");

  if (program == NULL || *program == '\0')
    g_error ("LUMA_CLI is not set: run this test through `meson test`");
  return program;
}

/* A launcher with LUMA_API_KEY set to @key (NULL: unset) and no keyring reachable, so a
 * missing key is reported at once instead of waiting for a Secret Service. */
static GSubprocessLauncher *
new_launcher (const char *key)
{
  GSubprocessLauncher *launcher;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "LUMA_API_KEY");
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                "unix:path=/nonexistent/bus", TRUE);
  /* The test's private directories (the environment outside a test case points elsewhere). */
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  return launcher;
}

static CliResult *
run_cliv (GSubprocessLauncher *launcher,
          const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  CliResult *r = g_new0 (CliResult, 1);

  g_ptr_array_add (argv, (gpointer) cli_program ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;

  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
  return r;
}

static CliResult *
run_cli (const char *key,
         ...) G_GNUC_NULL_TERMINATED;

/* Runs the program with the arguments after @key (NULL-terminated). */
static CliResult *
run_cli (const char *key,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (key);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, key);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return run_cliv (launcher, (const char * const *) args->pdata);
}

static LumaTestSandbox *
start_sandbox (const char *seed)
{
  return luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                                  "--licenses", "400000", "--seed", seed,
                                  "--superadmin", "root:s3cret", NULL);
}

static char *
cache_path_for (LumaTestSandbox *sb,
                const char      *account)
{
  return luma_cache_path_for_account (luma_test_sandbox_get_url (sb), account);
}

/* ---- Tests ------------------------------------------------------------------------------------ */

static void
test_is_headless (void)
{
  char *sync[] = { "luma-subscription", "--server", "https://x", "--sync", NULL };
  char *status[] = { "luma-subscription", "--status", NULL };
  char *export[] = { "luma-subscription", "--export-csv=out.csv", NULL };
  char *window[] = { "luma-subscription", NULL };
  char *other[] = { "luma-subscription", "--synchronise", "--", "--sync", NULL };

  g_assert_true (luma_cli_is_headless (4, sync));
  g_assert_true (luma_cli_is_headless (2, status));
  g_assert_true (luma_cli_is_headless (2, export));
  g_assert_false (luma_cli_is_headless (1, window));
  g_assert_false (luma_cli_is_headless (4, other));
}

static void
test_usage_errors (void)
{
  g_autoptr(CliResult) no_server = NULL;
  g_autoptr(CliResult) no_tenant = NULL;
  g_autoptr(CliResult) unknown = NULL;
  g_autoptr(CliResult) stray = NULL;
  g_autoptr(CliResult) bad_date = NULL;
  g_autoptr(CliResult) every_status = NULL;

  no_server = run_cli (ACME_KEY, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (no_server->status, ==, LUMA_CLI_EXIT_USAGE);
  g_assert_nonnull (strstr (no_server->err, "--server"));
  g_assert_cmpstr (no_server->out, ==, "");

  no_tenant = run_cli (ACME_KEY, "--server", "http://127.0.0.1:9/gateway/api/v1", "--status", NULL);
  g_assert_cmpint (no_tenant->status, ==, LUMA_CLI_EXIT_USAGE);
  g_assert_nonnull (strstr (no_tenant->err, "--tenant"));

  unknown = run_cli (ACME_KEY, "--sync", "--frobnicate", NULL);
  g_assert_cmpint (unknown->status, ==, LUMA_CLI_EXIT_USAGE);
  g_assert_nonnull (strstr (unknown->err, "frobnicate"));

  /* The key never goes on the command line. */
  stray = run_cli (ACME_KEY, "--server", "http://127.0.0.1:9/gateway/api/v1", "--tenant", ACME,
                   "--sync", "--api-key", "secret", NULL);
  g_assert_cmpint (stray->status, ==, LUMA_CLI_EXIT_USAGE);

  bad_date = run_cli (ACME_KEY, "--server", "http://127.0.0.1:9/gateway/api/v1", "--tenant", ACME,
                      "--export-csv", "x.csv", "--from", "yesterday", NULL);
  g_assert_cmpint (bad_date->status, ==, LUMA_CLI_EXIT_USAGE);
  g_assert_nonnull (strstr (bad_date->err, "yesterday"));

  /* Every tenant's status needs --json: said before any sync, so with no server either. */
  every_status = run_cli (NULL, "--server", "http://127.0.0.1:9/gateway/api/v1",
                          "--superadmin", "root", "--sync", "--status", NULL);
  g_assert_cmpint (every_status->status, ==, LUMA_CLI_EXIT_USAGE);
  g_assert_nonnull (strstr (every_status->err, "add --json"));
  g_assert_null (strstr (every_status->err, "127.0.0.1:9"));
}

static void
test_sync_and_status (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("3000");
  g_autofree char *url = g_strdup (luma_test_sandbox_get_url (sb));
  g_autofree char *cache_path = cache_path_for (sb, ACME);
  g_autoptr(CliResult) none = NULL;
  g_autoptr(CliResult) first = NULL;
  g_autoptr(CliResult) second = NULL;
  g_autoptr(CliResult) status = NULL;
  g_autoptr(CliResult) offline_status = NULL;
  g_autoptr(CliResult) offline_sync = NULL;
  g_autofree char *consumed_line = NULL;
  gint64 consumed = 0;

  /* Nothing cached yet: --status says so and creates nothing. */
  none = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--status", NULL);
  g_assert_cmpint (none->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_nonnull (strstr (none->err, "--sync"));
  g_assert_false (g_file_test (cache_path, G_FILE_TEST_EXISTS));

  first = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (first->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (first->out, "full sync: 3000 new, 0 changed, 3000 records"));
  g_assert_cmpint (strchr (first->out, '\n') - first->out + 1, ==, strlen (first->out));
  assert_cache_matches_sandbox (cache_path, sb, ACME, FALSE);

  luma_test_sandbox_add_records (sb, ACME, 25);
  second = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (second->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (second->out, "incremental sync: 25 new, 0 changed, 3025 records"));
  assert_cache_matches_sandbox (cache_path, sb, ACME, FALSE);

  g_free (luma_test_sandbox_get_checksum (sb, ACME, NULL, &consumed));
  consumed_line = g_strdup_printf ("Consumed: %" G_GINT64_FORMAT " (", consumed);
  status = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--status", NULL);
  g_assert_cmpint (status->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_nonnull (strstr (status->out, "Tenant: "));
  g_assert_nonnull (strstr (status->out, consumed_line));
  g_assert_nonnull (strstr (status->out, "History: 3025 records"));

  /* Offline: --status still answers from the cache; --sync fails clearly. */
  luma_test_sandbox_stop (g_steal_pointer (&sb));
  offline_status = run_cli (NULL, "--server", url, "--tenant", ACME, "--status", NULL);
  g_assert_cmpint (offline_status->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_cmpstr (offline_status->out, ==, status->out);

  offline_sync = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (offline_sync->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_cmpstr (offline_sync->out, ==, "");
  g_assert_nonnull (strstr (offline_sync->err, "Sync failed"));
  g_assert_nonnull (strstr (offline_sync->err, "--status"));
  g_assert_cmpint (count_cache_rows (cache_path, "sessions"), ==, 3025);
}

static void
test_credentials (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10");
  const char *url = luma_test_sandbox_get_url (sb);
  g_autoptr(CliResult) no_key = NULL;
  g_autoptr(CliResult) wrong_key = NULL;
  g_autoptr(CliResult) superadmin = NULL;
  g_autoptr(CliResult) wrong_password = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *superadmin_cache = cache_path_for (sb, "superadmin:root/" ACME);
  const char *superadmin_args[] = { "--server", url, "--superadmin", "root", "--tenant", ACME,
                                    "--sync", NULL };

  no_key = run_cli (NULL, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (no_key->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_nonnull (strstr (no_key->err, "LUMA_API_KEY"));

  wrong_key = run_cli ("not-the-key-4711", "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (wrong_key->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_cmpstr (wrong_key->err, !=, "");
  g_assert_null (strstr (wrong_key->err, "not-the-key-4711"));

  launcher = new_launcher (NULL);
  g_subprocess_launcher_setenv (launcher, "LUMA_PASSWORD", "s3cret", TRUE);
  superadmin = run_cliv (launcher, superadmin_args);
  g_assert_cmpint (superadmin->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (superadmin->out, "full sync: 10 new"));
  assert_cache_matches_sandbox (superadmin_cache, sb, ACME, FALSE);

  g_subprocess_launcher_setenv (launcher, "LUMA_PASSWORD", "wrong", TRUE);
  wrong_password = run_cliv (launcher, superadmin_args);
  g_assert_cmpint (wrong_password->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_null (strstr (wrong_password->err, "wrong"));
}

static void
test_export_csv (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("500");
  const char *url = luma_test_sandbox_get_url (sb);
  g_autofree char *csv = g_build_filename (g_get_user_data_dir (), "history.csv", NULL);
  g_autoptr(CliResult) sync = NULL;
  g_autoptr(CliResult) export = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint lines = 0;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  sync = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (sync->status, ==, LUMA_CLI_EXIT_OK);

  export = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--export-csv", csv, "--bom", NULL);
  g_assert_cmpint (export->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_file_get_contents (csv, &contents, &length, NULL));
  g_assert_true (g_str_has_prefix (contents, "\xEF\xBB\xBF"));
  for (const char *p = contents; (p = strstr (p, "\r\n")) != NULL; p += 2)
    lines++;
  /* Header plus one line per record (no generated field holds a line break). */
  g_assert_cmpuint (lines, ==, 501);

  /* "-" is standard output: the same report byte for byte (without the BOM asked for above),
   * nothing else on standard output, and no file named "-". */
  {
    g_autoptr(CliResult) to_stdout = run_cli (ACME_KEY, "--server", url, "--tenant", ACME,
                                              "--export-csv", "-", NULL);

    g_assert_cmpint (to_stdout->status, ==, LUMA_CLI_EXIT_OK);
    g_assert_cmpstr (to_stdout->out, ==, contents + strlen ("\xEF\xBB\xBF"));
    g_assert_false (g_file_test ("-", G_FILE_TEST_EXISTS));
    g_assert_nonnull (strstr (to_stdout->err, "500 rows written"));
  }
}

/* Files in the cache folder, for "one account, one file". */
static guint
count_cache_files (const char *suffix)
{
  g_autofree char *dir_path = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (suffix == NULL || g_str_has_suffix (name, suffix))
      n++;
  return n;
}

/* The bare origin, with a trailing slash, and the full API base: one account, one cache file,
 * --status answers for every spelling. */
static void
test_address_spellings (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("120");
  const char *url = luma_test_sandbox_get_url (sb);
  const char *root = luma_test_sandbox_get_root (sb);
  g_autofree char *slash = g_strconcat (root, "/", NULL);
  g_autofree char *url_slash = g_strconcat (url, "/", NULL);
  g_autofree char *cache_path = cache_path_for (sb, ACME);
  const char *spellings[] = { root, slash, url, url_slash };
  g_autoptr(CliResult) synced = NULL;
  g_autoptr(CliResult) again = NULL;
  g_autofree char *first_status = NULL;

  g_assert_false (g_str_has_suffix (root, "/gateway/api/v1"));

  /* The bare origin, as a person types it, syncs (no "no such endpoint"). */
  synced = run_cli (ACME_KEY, "--server", root, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (synced->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (synced->out, "full sync: 120 new"));
  g_assert_true (g_file_test (cache_path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_cache_files (".sqlite"), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      g_autoptr(CliResult) status = run_cli (NULL, "--server", spellings[i], "--tenant", ACME,
                                             "--status", NULL);

      g_assert_cmpint (status->status, ==, LUMA_CLI_EXIT_OK);
      g_assert_nonnull (strstr (status->out, "History: 120 records"));
      if (first_status == NULL)
        first_status = g_strdup (status->out);
      g_assert_cmpstr (status->out, ==, first_status);
    }

  /* Syncing with another spelling goes on in the same file. */
  luma_test_sandbox_add_records (sb, ACME, 5);
  again = run_cli (ACME_KEY, "--server", url_slash, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (again->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (again->out, "incremental sync: 5 new"));
  g_assert_cmpuint (count_cache_files (".sqlite"), ==, 1);
  assert_cache_matches_sandbox (cache_path, sb, ACME, FALSE);
}

/* A first sync that fails leaves nothing behind: no server there, a wrong key, a wrong path. */
static void
test_failed_first_sync (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("10");
  g_autofree char *wrong_path = g_strconcat (luma_test_sandbox_get_root (sb), "/elsewhere", NULL);
  g_autoptr(CliResult) nobody = NULL;
  g_autoptr(CliResult) wrong_key = NULL;
  g_autoptr(CliResult) not_luma = NULL;

  /* Port 9 (discard): nothing listens there on a test machine. */
  nobody = run_cli (ACME_KEY, "--server", "127.0.0.1:9", "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (nobody->status, ==, LUMA_CLI_EXIT_FAILURE);
  /* Without a scheme a loopback address is tried over http, and the error says so. */
  g_assert_nonnull (strstr (nobody->err, "http://127.0.0.1:9/gateway/api/v1"));
  g_assert_cmpuint (count_cache_files (NULL), ==, 0);

  wrong_key = run_cli ("not-the-key", "--server", luma_test_sandbox_get_url (sb), "--tenant", ACME,
                       "--sync", NULL);
  g_assert_cmpint (wrong_key->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_cmpuint (count_cache_files (NULL), ==, 0);

  not_luma = run_cli (ACME_KEY, "--server", wrong_path, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (not_luma->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_nonnull (strstr (not_luma->err, wrong_path));
  g_assert_cmpuint (count_cache_files (NULL), ==, 0);
}

/* --ca-file: the sandbox over HTTPS with a certificate of its own is refused until its CA is
 * given. */
static void
test_ca_file (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                 "sandbox-tls.crt", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                "sandbox-tls.key", NULL);
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tls-cert", cert, "--tls-key", key,
                                                           "--tenant", ACME, "--api-key", ACME_KEY,
                                                           "--seed", "40", NULL);
  const char *url = luma_test_sandbox_get_url (sb);
  g_autofree char *cache_path = cache_path_for (sb, ACME);
  g_autoptr(CliResult) refused = NULL;
  g_autoptr(CliResult) trusted = NULL;

  g_assert_true (g_str_has_prefix (url, "https://"));

  refused = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (refused->status, ==, LUMA_CLI_EXIT_FAILURE);
  g_assert_nonnull (strstr (refused->err, "certificate"));
  g_assert_cmpint (count_cache_rows (cache_path, "sessions"), <=, 0);

  trusted = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--ca-file", cert, "--sync",
                     NULL);
  g_assert_cmpint (trusted->status, ==, LUMA_CLI_EXIT_OK);
  g_assert_true (g_str_has_prefix (trusted->out, "full sync: 40 new"));

  luma_test_set_tls_anchors (cert);   /* for the test's own requests */
  assert_cache_matches_sandbox (cache_path, sb, ACME, FALSE);
  luma_test_set_tls_anchors (NULL);
}

/* kill -9 in the middle of a sync of 300,000 records, then --sync again: exact count, no
 * duplicate, no gap. */
static void
test_kill_and_resume (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("300000");
  const char *url = luma_test_sandbox_get_url (sb);
  g_autofree char *cache_path = cache_path_for (sb, ACME);
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (ACME_KEY);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_prefix = NULL;
  const char *argv[] = { cli_program (), "--server", url, "--tenant", ACME, "--sync", NULL };
  gint64 committed = -1;
  gint64 kept;

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  /* Wait until a first batch is committed, then kill without warning. */
  while (committed <= 0)
    {
      g_usleep (20 * 1000);
      committed = count_cache_rows (cache_path, "sessions");
      g_assert_false (g_subprocess_get_identifier (process) == NULL);
    }
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (process));
  g_assert_cmpint (g_subprocess_get_term_sig (process), ==, SIGKILL);

  /* Whole batches only (20,000 rows with their cursor), and not everything yet. */
  kept = count_cache_rows (cache_path, "sessions");
  g_test_message ("killed with %" G_GINT64_FORMAT " records committed", kept);
  g_assert_cmpint (kept, >, 0);
  g_assert_cmpint (kept, <, 300000);
  g_assert_cmpint (kept % 20000, ==, 0);

  resumed = run_cli (ACME_KEY, "--server", url, "--tenant", ACME, "--sync", NULL);
  g_assert_cmpint (resumed->status, ==, LUMA_CLI_EXIT_OK);
  expected_prefix = g_strdup_printf ("incremental sync: %" G_GINT64_FORMAT " new, 0 changed, "
                                     "300000 records", 300000 - kept);
  g_assert_true (g_str_has_prefix (resumed->out, expected_prefix));
  assert_cache_matches_sandbox (cache_path, sb, ACME, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  /* The system proxy settings live in GSettings schemas the test environment hides. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/is-headless", test_is_headless);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/sync-and-status", test_sync_and_status);
  g_test_add_func ("/cli/credentials", test_credentials);
  g_test_add_func ("/cli/export-csv", test_export_csv);
  g_test_add_func ("/cli/address-spellings", test_address_spellings);
  g_test_add_func ("/cli/failed-first-sync", test_failed_first_sync);
  g_test_add_func ("/cli/ca-file", test_ca_file);
  g_test_add_func ("/cli/kill-and-resume", test_kill_and_resume);

  return g_test_run ();
}
