/* test-app-secrets.c: the app keeps the API key, the password and bearer tokens in the keyring only
 *
 * The real application runs in this process with settings in a keyfile (GSETTINGS_BACKEND=
 * keyfile) under a private HOME and XDG folders, every log message produced
 * (G_MESSAGES_DEBUG=all) and kept by a log writer, g_print()/g_printerr() kept, and the
 * process's standard error sent to a file. On the first-run page a Tenant Administrator is
 * connected with an API key typed into the form, and a Superadmin with a password; each
 * syncs a tenant. Then:
 *
 * - the keyring (the Secret Service of the test session, build-aux/test-session) holds the
 *   key and the password under the documented schema;
 * - neither they nor any bearer token of the sandbox (the test logs in itself to learn the
 *   first segment all its tokens share) appear in any captured output or log message, or in
 *   any byte of any file under the private HOME and XDG folders (the settings keyfile, the
 *   caches), as is or base64-encoded; the keyfile holds the two accounts, so the scan really
 *   read the settings;
 * - the cache folder is 0700 and every file in it 0600.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "luma-account-page.h"
#include "luma-credentials.h"
#include "luma-tenants-page.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"
#include "luma-window.h"

#define TENANT    "vault"
#define API_KEY   "k3y-vault-9f1e2d3c4b5a6978-secret"
#define ADMIN     "keeper"
#define PASSWORD  "pw-Hq7wT3vX9kP2-secret"

/* ---- Capturing everything ------------------------------------------------------------------ */

static GByteArray *captured;
static GMutex captured_lock;
static gboolean capturing;  /* from GTK's start to the app's end: not the sandbox's set-up */

static void
capture (const char *label,
         const void *data,
         gsize       len)
{
  g_mutex_lock (&captured_lock);
  if (!capturing)
    {
      g_mutex_unlock (&captured_lock);
      return;
    }
  if (label != NULL)
    g_byte_array_append (captured, (const guint8 *) label, strlen (label));
  g_byte_array_append (captured, data, len);
  g_mutex_unlock (&captured_lock);
}

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      gsize len = fields[i].length < 0 ? strlen (fields[i].value) : (gsize) fields[i].length;

      capture ("\n", fields[i].key, strlen (fields[i].key));
      capture ("=", fields[i].value, len);
    }

  /* Keep the test's own output quiet, but never hide a warning. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
capture_print (const char *text)
{
  capture ("\n[print]", text, strlen (text));
}

/* ---- Looking for secrets ------------------------------------------------------------------- */

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
  /* Without the padding and the last characters, which depend on what follows the secret. */
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

static void
assert_no_secret (const char *where,
                  const void *data,
                  gsize       len)
{
  for (guint i = 0; i < secrets->len; i++)
    {
      Secret *s = g_ptr_array_index (secrets, i);

      if (contains (data, len, s->plain))
        {
          if (g_getenv ("LUMA_SECRETS_DEBUG"))
            {
              const char *hit = g_strstr_len (data, len, s->plain);
              gsize from = hit != NULL && hit - (const char *) data > 300 ? (hit - (const char *) data) - 300 : 0;

              g_test_message ("context: %.*s", 600, (const char *) data + from);
            }
          g_test_fail_printf ("the %s is in %s", s->name, where);
        }
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

static void
assert_private_modes (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;
  struct stat st;

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
        assert_private_modes (path);
      else if ((st.st_mode & 0777) != 0600)
        g_test_fail_printf ("the cache file %s has mode %03o, not 600", path, st.st_mode & 0777);
    }
}

/* ---- Driving the window -------------------------------------------------------------------- */

static gboolean
window_synced (gpointer data)
{
  LumaWindow *window = data;

  return luma_window_get_ready (window) && luma_window_get_sync (window) != NULL &&
         !luma_sync_get_running (luma_window_get_sync (window)) &&
         !luma_sync_get_indexing (luma_window_get_sync (window));
}

static gboolean
account_page_idle (gpointer data)
{
  return !luma_account_page_get_busy (LUMA_ACCOUNT_PAGE (data));
}

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

typedef struct
{
  LumaWindow *window;
  const char *page;
} PageWanted;

static gboolean
page_is (gpointer data)
{
  PageWanted *want = data;

  return g_strcmp0 (luma_window_get_page (want->window), want->page) == 0;
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

/* Fills the first-run form as a person would and connects; returns once it went on. */
static void
connect_account (LumaWindow      *window,
                 LumaAccountKind  kind,
                 const char      *url,
                 const char      *identity,
                 const char      *secret)
{
  LumaAccountPage *page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (window, "account"));
  gboolean tenant = kind == LUMA_ACCOUNT_KIND_TENANT;
  PageWanted want = { window, tenant ? "tenant" : "tenants" };

  g_assert_cmpstr (luma_window_get_page (window), ==, "account");
  luma_account_page_set_kind (page, kind);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, url);
  luma_account_page_set_field (page, tenant ? LUMA_ACCOUNT_FIELD_TENANT : LUMA_ACCOUNT_FIELD_USER,
                               identity);
  luma_account_page_set_field (page, tenant ? LUMA_ACCOUNT_FIELD_API_KEY : LUMA_ACCOUNT_FIELD_PASSWORD,
                               secret);
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_NONE));
  g_assert_true (luma_ui_test_wait (page_is, &want, 60));
}

static char *
keyring_lookup (const char *server,
                const char *attribute,
                const char *value)
{
  static const SecretSchema schema = {
    LUMA_CREDENTIALS_SCHEMA_NAME, SECRET_SCHEMA_DONT_MATCH_NAME,
    { { "server", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } }
  };
  g_autoptr(GError) error = NULL;
  char *found = secret_password_lookup_sync (&schema, NULL, &error, "server", server,
                                             attribute, value, NULL);

  g_assert_no_error (error);
  return found;
}

/* ---- The test ------------------------------------------------------------------------------- */

static void
test_app_secrets (void)
{
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(LumaTestResponse) login = NULL;
  g_autoptr(LumaApplication) app = NULL;
  g_autofree char *login_url = NULL;
  g_autofree char *token_head = NULL;
  g_autofree char *keyfile_path = NULL;
  g_autofree char *keyfile = NULL;
  g_autofree char *cache_dir = NULL;
  g_autofree char *stderr_path = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *server = NULL;
  g_autofree char *stored_key = NULL;
  g_autofree char *stored_password = NULL;
  g_auto(GStrv) segments = NULL;
  g_autoptr(GError) error = NULL;
  LumaWindow *window;
  LumaTenantsPage *tenants;
  const char *url;
  const char *token;
  gsize stderr_len = 0;
  GPrintFunc old_print;
  guint n_files;
  int saved_stderr, fd;

  sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", API_KEY, "--seed", "400",
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
  g_assert_cmpuint (strlen (segments[0]), >=, 8);
  token_head = g_strconcat (segments[0], ".", NULL);

  add_secret ("API key", API_KEY);
  add_secret ("superadmin password", PASSWORD);
  add_secret ("bearer token of the test", token);
  add_secret ("first segment of every bearer token", token_head);

  /* What the app prints is kept, and standard error goes to a file: whatever a library
   * writes there directly is scanned too. */
  fd = g_file_open_tmp ("app-secrets-stderr-XXXXXX", &stderr_path, &error);
  g_assert_no_error (error);
  saved_stderr = dup (STDERR_FILENO);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);
  close (fd);
  old_print = g_set_print_handler (capture_print);
  g_mutex_lock (&captured_lock);
  capturing = TRUE;
  g_mutex_unlock (&captured_lock);

  /* GTK after the private folders exist: nothing of it reads the real ones. */
  if (!gtk_init_check ())
    g_error ("Cannot open a display: run the ui suite under xvfb-run, as build-aux/check does");
  adw_init ();
  app = luma_ui_test_get_application ();

  /* A Tenant Administrator, the key typed into the first-run form. */
  window = LUMA_WINDOW (luma_application_open_account (app, NULL));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  connect_account (window, LUMA_ACCOUNT_KIND_TENANT, url, TENANT, API_KEY);
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  g_assert_cmpstr (luma_window_get_tenant (window), ==, TENANT);
  server = g_strdup (luma_account_get_server (luma_window_get_account (window)));

  /* A Superadmin, the password typed in; the tenant opened from the list syncs too. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.accounts", NULL);
  connect_account (window, LUMA_ACCOUNT_KIND_SUPERADMIN, url, ADMIN, PASSWORD);
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 60));
  g_assert_null (luma_tenants_page_get_error (tenants));
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  g_assert_cmpstr (luma_window_get_tenant (window), ==, TENANT);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
  g_settings_sync ();

  /* The secrets are in the keyring. */
  stored_key = keyring_lookup (server, "tenant", TENANT);
  g_assert_cmpstr (stored_key, ==, API_KEY);
  stored_password = keyring_lookup (server, "user", ADMIN);
  g_assert_cmpstr (stored_password, ==, PASSWORD);

  /* Standard output and error back, and what was written there kept. */
  g_mutex_lock (&captured_lock);
  capturing = FALSE;
  g_mutex_unlock (&captured_lock);
  g_set_print_handler (old_print);
  fflush (stderr);
  g_assert_cmpint (dup2 (saved_stderr, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved_stderr);
  g_file_get_contents (stderr_path, &stderr_text, &stderr_len, &error);
  g_assert_no_error (error);
  if (stderr_len > 0)
    g_printerr ("%s", stderr_text);
  assert_no_secret ("the standard error", stderr_text, stderr_len);
  g_unlink (stderr_path);

  /* Nothing in any output or log message. The scan can fail: debug messages were produced
   * and kept, and a planted secret is found. */
  g_mutex_lock (&captured_lock);
  g_test_message ("%u bytes of log messages and output captured", captured->len);
  g_assert_true (contains (captured->data, captured->len, "PRIORITY=7"));
  /* ... among them the requests of both syncs, with their credentials' headers set. */
  g_assert_true (contains (captured->data, captured->len, "/subscription/consumption"));
  g_assert_true (contains (captured->data, captured->len, "/platform/login"));
  g_assert_true (contains ("x" API_KEY "y", strlen (API_KEY) + 2, API_KEY));
  assert_no_secret ("the log messages or printed output", captured->data, captured->len);
  g_mutex_unlock (&captured_lock);

  /* The settings went to the keyfile, with both accounts but no secret. */
  keyfile_path = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", "keyfile", NULL);
  g_file_get_contents (keyfile_path, &keyfile, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (keyfile, TENANT));
  g_assert_nonnull (strstr (keyfile, ADMIN));

  /* Nothing in any file. */
  n_files = scan_tree (g_get_home_dir ());
  if (!g_str_has_prefix (g_get_user_cache_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_cache_dir ());
  if (!g_str_has_prefix (g_get_user_config_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_config_dir ());
  if (!g_str_has_prefix (g_get_user_data_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_data_dir ());
  if (!g_str_has_prefix (g_get_user_state_dir (), g_get_home_dir ()))
    n_files += scan_tree (g_get_user_state_dir ());
  g_test_message ("%u files scanned", n_files);
  /* The keyfile and the two caches at least. */
  g_assert_cmpuint (n_files, >=, 3);

  cache_dir = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);
  g_assert_true (g_file_test (cache_dir, G_FILE_TEST_IS_DIR));
  assert_private_modes (cache_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) mime_dirs = g_ptr_array_new_with_free_func (g_free);

  /* Before anything logs: every debug message is produced, and kept. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured = g_byte_array_new ();
  g_log_set_writer_func (capture_writer, NULL, NULL);

  /* The private XDG folders hide the system's MIME database: keep the real one. */
  for (const char * const *dir = g_get_system_data_dirs (); *dir != NULL; dir++)
    g_ptr_array_add (mime_dirs, g_build_filename (*dir, "mime", NULL));
  g_ptr_array_add (mime_dirs, NULL);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_content_type_set_mime_dirs ((const char * const *) mime_dirs->pdata);
  /* Settings in a file under the private XDG_CONFIG_HOME, where the scan reads them. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  /* Logs to the writer above, not to the journal. */
  g_unsetenv ("JOURNAL_STREAM");
  secrets = g_ptr_array_new_with_free_func ((GDestroyNotify) secret_free);

  g_test_add_func ("/ui/app-secrets/keyring-only", test_app_secrets);

  return g_test_run ();
}
