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
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-sync.h"
#include "luma-test-sandbox.h"

#define ACME       "acme"
#define API_KEY    "k3y-acme-5bd1c0d2e0b44b7d9b7c-secret"
#define WRONG_KEY  "k3y-acme-wrong-0a9b8c7d6e5f-secret"
#define ADMIN      "root"
#define PASSWORD   "pw-Zq8vR2mN7xL4-secret"
#define WRONG_PW   "pw-Wr0ngWr0ng55-secret"

/* Everything printed or logged, by this process and by the command lines it ran. */
static GByteArray *captured;
static GMutex captured_lock;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&captured_lock);
  for (gsize i = 0; i < n_fields; i++)
    {
      gsize len = fields[i].length < 0 ? strlen (fields[i].value) : (gsize) fields[i].length;

      g_byte_array_append (captured, (const guint8 *) fields[i].key, strlen (fields[i].key));
      g_byte_array_append (captured, (const guint8 *) "=", 1);
      g_byte_array_append (captured, fields[i].value, len);
      g_byte_array_append (captured, (const guint8 *) "\n", 1);
    }
  g_mutex_unlock (&captured_lock);

  /* Keep the test's own output quiet, but never hide a warning. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
capture_bytes (const char *label,
               GBytes     *bytes)
{
  g_mutex_lock (&captured_lock);
  g_byte_array_append (captured, (const guint8 *) label, strlen (label));
  if (bytes != NULL)
    g_byte_array_append (captured, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_mutex_unlock (&captured_lock);
}

/* ---- Looking for secrets ------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  char       *plain;
  char       *base64;
} Secret;

static GPtrArray *secrets;  /* Secret* */

static void
secret_free (Secret *s)
{
  g_free (s->plain);
  g_free (s->base64);
  g_free (s);
}

static void
add_secret (const char *name,
            const char *value)
{
  Secret *s = g_new0 (Secret, 1);
  g_autofree char *b64 = g_base64_encode ((const guchar *) value, strlen (value));
  gsize len = strlen (b64);

  s->name = name;
  s->plain = g_strdup (value);
  /* Without the padding, which depends on what precedes the secret. */
  while (len > 0 && b64[len - 1] == '=')
    len--;
  s->base64 = g_strndup (b64, len > 4 ? len - 4 : len);
  g_ptr_array_add (secrets, s);
}

static gboolean
contains (const void *data,
          gsize       len,
          const char *needle)
{
  gsize n = strlen (needle);
  const guint8 *p = data;

  if (n == 0 || n > len)
    return FALSE;
  for (gsize i = 0; i + n <= len; i++)
    if (p[i] == (guint8) needle[0] && memcmp (p + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* Fails the test when any secret is in @data; @where names the place. */
static void
assert_no_secret (const char *where,
                  const void *data,
                  gsize       len)
{
  for (guint i = 0; i < secrets->len; i++)
    {
      Secret *s = g_ptr_array_index (secrets, i);

      if (contains (data, len, s->plain))
        g_test_fail_printf ("the %s is in %s", s->name, where);
      else if (strlen (s->base64) >= 8 && contains (data, len, s->base64))
        g_test_fail_printf ("the %s is in %s, base64-encoded", s->name, where);
    }
}

static guint
scan_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        n_files += scan_tree (path);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize len = 0;
          g_autoptr(GError) error = NULL;

          g_file_get_contents (path, &contents, &len, &error);
          g_assert_no_error (error);
          assert_no_secret (path, contents, len);
          n_files++;
        }
    }
  return n_files;
}

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

/* Runs $LUMA_CLI with the arguments after @password; keeps its output in `captured`. */
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
  assert_no_secret ("the standard output of the command line", g_bytes_get_data (out, NULL),
                    g_bytes_get_size (out));
  assert_no_secret ("the standard error (logs) of the command line",
                    g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  capture_bytes ("\n[cli stdout]\n", out);
  capture_bytes ("\n[cli stderr]\n", err);
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
    assert_no_secret ("the login error message", error->message, strlen (error->message));
    g_clear_error (&error);
  }
}

/* ---- The test ----------------------------------------------------------------------------- */

static void
assert_private_modes (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;
  struct stat st;
  guint n_files = 0;

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  if ((st.st_mode & 0777) != 0700)
    g_test_fail_printf ("the cache folder %s has mode %03o, not 700", dir, st.st_mode & 0777);

  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          assert_private_modes (path);
          continue;
        }
      n_files++;
      if ((st.st_mode & 0777) != 0600)
        g_test_fail_printf ("the cache file %s has mode %03o, not 600", path, st.st_mode & 0777);
    }
  g_test_message ("%s: %u files checked", dir, n_files);
}

static void
test_secrets_never_leak (void)
{
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(LumaTestResponse) login = NULL;
  g_autofree char *login_url = NULL;
  g_autofree char *cache_dir = NULL;
  g_auto(GStrv) segments = NULL;
  g_autofree char *token_head = NULL;
  const char *url;
  const char *token;
  guint n_files;

  sb = luma_test_sandbox_start ("--tenant", ACME, "--api-key", API_KEY, "--seed", "300",
                                "--superadmin", ADMIN ":" PASSWORD, NULL);
  url = luma_test_sandbox_get_url (sb);

  /* A token of this server, to know what they look like. */
  login_url = g_strconcat (url, "/platform/login", NULL);
  login = luma_test_requestv ("POST", login_url,
                              "{\"username\": \"" ADMIN "\", \"password\": \"" PASSWORD "\"}",
                              NULL, 0);
  luma_test_assert_response (login, 200, NULL);
  token = json_object_get_string_member (luma_test_response_get_result (login), "token");
  g_assert_nonnull (token);
  segments = g_strsplit (token, ".", 2);
  g_assert_nonnull (segments[0]);
  g_assert_cmpuint (strlen (segments[0]), >=, 8);
  token_head = g_strconcat (segments[0], ".", NULL);

  add_secret ("API key", API_KEY);
  add_secret ("wrong API key", WRONG_KEY);
  add_secret ("superadmin password", PASSWORD);
  add_secret ("wrong superadmin password", WRONG_PW);
  add_secret ("bearer token of the test", token);
  add_secret ("first segment of every bearer token", token_head);

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

  g_mutex_lock (&captured_lock);
  g_test_message ("%u bytes of output and log messages captured", captured->len);
  g_assert_cmpuint (captured->len, >, 0);
  /* The scan can fail: debug messages were produced and kept, the command line's answers
   * too, and a planted secret is found. */
  g_assert_true (contains (captured->data, captured->len, "PRIORITY=7"));
  g_assert_true (contains (captured->data, captured->len, "full sync"));
  g_assert_true (contains ("x" API_KEY "y", strlen (API_KEY) + 2, API_KEY));
  assert_no_secret ("the log messages of this process or the command line", captured->data,
                    captured->len);
  g_mutex_unlock (&captured_lock);

  /* Every file the runs left behind. */
  n_files = scan_tree (g_get_home_dir ());
  if (!g_str_has_prefix (g_get_user_cache_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_cache_dir ());
  if (!g_str_has_prefix (g_get_user_config_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_config_dir ());
  if (!g_str_has_prefix (g_get_user_data_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_data_dir ());
  g_test_message ("%u files scanned", n_files);
  g_assert_cmpuint (n_files, >=, 2);

  cache_dir = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);
  g_assert_true (g_file_test (cache_dir, G_FILE_TEST_IS_DIR));
  assert_private_modes (cache_dir);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything logs: every debug message is produced, and kept. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured = g_byte_array_new ();
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  secrets = g_ptr_array_new_with_free_func ((GDestroyNotify) secret_free);

  g_test_add_func ("/secrets/never-leak", test_secrets_never_leak);

  return g_test_run ();
}
