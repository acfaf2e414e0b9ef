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

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "luma-account-page.h"
#include "luma-credentials.h"
#include "luma-tenants-page.h"
#include "luma-test-sandbox.h"
#include "luma-test-secrets.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"

#define TENANT    "vault"
#define API_KEY   "k3y-vault-9f1e2d3c4b5a6978-secret"
#define ADMIN     "keeper"
#define PASSWORD  "pw-Hq7wT3vX9kP2-secret"

static LumaTestSecrets *secrets;

/* g_print() and g_printerr() of the app, kept with its log messages. */
static void
capture_print (const char *text)
{
  luma_test_capture_append ("\n[print]", text, strlen (text));
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
  g_autoptr(LumaApplication) app = NULL;
  g_autofree char *keyfile_path = NULL;
  g_autofree char *keyfile = NULL;
  g_autofree char *stderr_path = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *server = NULL;
  g_autofree char *stored_key = NULL;
  g_autofree char *stored_password = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) captured = NULL;
  LumaWindow *window;
  LumaTenantsPage *tenants;
  const char *url;
  gsize stderr_len = 0;
  const void *data;
  gsize len;
  GPrintFunc old_print;
  guint n_files;
  int saved_stderr, fd;

  sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", API_KEY, "--seed", "400",
                                "--superadmin", ADMIN ":" PASSWORD, NULL);
  url = luma_test_sandbox_get_url (sb);


  luma_test_secrets_add (secrets, "API key", API_KEY);
  luma_test_secrets_add (secrets, "superadmin password", PASSWORD);
  /* The sandbox's tokens, to know what they look like. */
  luma_test_secrets_add_bearer_tokens (secrets, sb, ADMIN, PASSWORD);

  /* What the app prints is kept, and standard error goes to a file: whatever a library
   * writes there directly is scanned too. */
  fd = g_file_open_tmp ("app-secrets-stderr-XXXXXX", &stderr_path, &error);
  g_assert_no_error (error);
  saved_stderr = dup (STDERR_FILENO);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);
  close (fd);
  old_print = g_set_print_handler (capture_print);
  luma_test_capture_start ();

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
  luma_test_capture_stop ();
  g_set_print_handler (old_print);
  fflush (stderr);
  g_assert_cmpint (dup2 (saved_stderr, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved_stderr);
  g_file_get_contents (stderr_path, &stderr_text, &stderr_len, &error);
  g_assert_no_error (error);
  if (stderr_len > 0)
    g_printerr ("%s", stderr_text);
  luma_test_secrets_assert_absent (secrets, "the standard error", stderr_text, stderr_len);
  g_unlink (stderr_path);

  /* Nothing in any output or log message. The scan can fail: debug messages were produced
   * and kept, and a planted secret is found. */
  captured = luma_test_capture_get ();
  data = g_bytes_get_data (captured, &len);
  g_test_message ("%" G_GSIZE_FORMAT " bytes of log messages and output captured", len);
  g_assert_true (luma_test_bytes_contain (data, len, "PRIORITY=7"));
  /* ... among them the requests of both syncs, with their credentials' headers set. */
  g_assert_true (luma_test_bytes_contain (data, len, "/subscription/consumption"));
  g_assert_true (luma_test_bytes_contain (data, len, "/platform/login"));
  g_assert_true (luma_test_bytes_contain ("x" API_KEY "y", strlen (API_KEY) + 2, API_KEY));
  luma_test_secrets_assert_absent (secrets, "the log messages or printed output", data, len);

  /* The settings went to the keyfile, with both accounts but no secret. */
  keyfile_path = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", "keyfile", NULL);
  g_file_get_contents (keyfile_path, &keyfile, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (keyfile, TENANT));
  g_assert_nonnull (strstr (keyfile, ADMIN));

  /* Nothing in any file. */
  n_files = luma_test_secrets_scan_user_dirs (secrets);
  /* The keyfile and the two caches at least. */
  g_assert_cmpuint (n_files, >=, 3);

  luma_test_assert_private_cache ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) mime_dirs = g_ptr_array_new_with_free_func (g_free);

  /* Before anything logs: every debug message is produced, and kept. */
  luma_test_capture_install ();

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
  secrets = luma_test_secrets_new ();

  g_test_add_func ("/ui/app-secrets/keyring-only", test_app_secrets);

  return g_test_run ();
}
