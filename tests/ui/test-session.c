/* test-session.c: one session per account: the first connection, sharing, forgetting
 *
 * The real application in this process against the sandbox over HTTP, with the Secret Service
 * of the test session (build-aux/test-session) for the keyring:
 *
 * - the account page's first connection to a server that holds its answer (the sandbox's
 *   `slow` fault) stops at once on Cancel, names the address it tried (an address typed
 *   without a scheme is tried over http when it is an IP address with a port), and a failed
 *   first connection leaves no file in the cache folder;
 * - a window and the background mode on one account share one session, so one cache (one
 *   writer thread); a sync from either is seen by both;
 * - a server whose certificate is not trusted: the account page and a failed sync's toast say
 *   so once;
 * - a superadmin going Back to the tenant list closes the session's tenant too: no cache kept
 *   open, no timer syncing the tenant left;
 * - forgetting an account after the confirmation removes its keyring item and every file of
 *   it under the cache folder, damaged copies included, and its settings entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "luma-account-page.h"
#include "luma-background.h"
#include "luma-credentials.h"
#include "luma-session.h"
#include "luma-tenants-page.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"

#define TENANT     "acme"
#define TENANT_KEY "acme-key-session"

static LumaTestSandbox *sandbox;

/* ---- Helpers -------------------------------------------------------------------------------- */

static guint
count_cache_files (void)
{
  g_autofree char *dir_path = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gboolean
account_page_idle (gpointer data)
{
  return !luma_account_page_get_busy (LUMA_ACCOUNT_PAGE (data));
}

static gboolean
answer_held (gpointer data)
{
  return luma_test_sandbox_faults_used_up (data);
}

static gboolean
window_synced (gpointer data)
{
  LumaWindow *window = data;

  return luma_window_get_ready (window) && luma_window_get_sync (window) != NULL &&
         !luma_sync_get_running (luma_window_get_sync (window)) &&
         !luma_sync_get_indexing (luma_window_get_sync (window));
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

static void
close_all_windows (LumaApplication *app)
{
  GList *windows;

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (windows->data);
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

static char *
keyring_lookup (const char *server,
                const char *tenant)
{
  static const SecretSchema schema = {
    LUMA_CREDENTIALS_SCHEMA_NAME, SECRET_SCHEMA_DONT_MATCH_NAME,
    { { "server", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } }
  };
  g_autoptr(GError) error = NULL;
  char *found = secret_password_lookup_sync (&schema, NULL, &error, "server", server,
                                             "tenant", tenant, NULL);

  g_assert_no_error (error);
  return found;
}

/* ---- The first connection ------------------------------------------------------------------- */

static void
test_cancel_first_connection (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  const char *root = luma_test_sandbox_get_root (sandbox);
  /* "127.0.0.1:PORT", as a person types it */
  const char *typed = root + strlen ("http://");
  g_autofree char *tried = g_strconcat (root, "/gateway/api/v1", NULL);
  LumaAccountPage *page;
  GtkWindow *window;
  const char *message;
  gint64 before;

  g_assert_true (g_str_has_prefix (root, "http://127.0.0.1:"));
  window = luma_application_open_account (app, NULL);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  g_assert_cmpstr (luma_window_get_page (LUMA_WINDOW (window)), ==, "account");
  page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "account"));

  /* The server holds its answer for minutes: Connect, then Cancel. */
  luma_test_sandbox_hold_next_answer (sandbox);
  luma_account_page_set_kind (page, LUMA_ACCOUNT_KIND_TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, typed);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_TENANT, TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, TENANT_KEY);
  luma_account_page_connect (page);
  g_assert_true (luma_account_page_get_busy (page));
  g_assert_cmpstr (luma_account_page_get_tried_server (page), ==, tried);
  g_assert_true (luma_ui_test_wait (answer_held, sandbox, 30));
  g_assert_true (luma_account_page_get_busy (page));

  /* Typed meanwhile: the error still names the address tried. */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, "luma.example.com");
  before = g_get_monotonic_time ();
  luma_account_page_cancel (page);
  g_assert_false (luma_account_page_get_busy (page));
  g_assert_cmpint (g_get_monotonic_time () - before, <, G_USEC_PER_SEC);
  message = luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_NONE);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, tried));
  luma_ui_test_flush ();
  g_assert_false (luma_account_page_get_busy (page));
  g_assert_cmpuint (count_cache_files (), ==, 0);

  /* A server that is not there: the error names the address tried, and nothing is cached. */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, "127.0.0.1:9");
  luma_account_page_connect (page);
  g_assert_cmpstr (luma_account_page_get_tried_server (page), ==, "http://127.0.0.1:9/gateway/api/v1");
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, "elsewhere.example");
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 30));
  message = luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "http://127.0.0.1:9/gateway/api/v1"));
  g_assert_cmpstr (luma_window_get_page (LUMA_WINDOW (window)), ==, "account");
  g_assert_cmpuint (count_cache_files (), ==, 0);

  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  close_all_windows (app);
}

/* A session started on a server that is not there: no cache file either. */
static void
session_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
test_failed_start_no_cache (void)
{
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, "127.0.0.1:9", TENANT);
  g_autoptr(LumaSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  luma_account_set_secret (account, TENANT_KEY);
  session = luma_session_new (account);
  luma_session_start_async (session, NULL, session_done_cb, &result);
  g_assert_true (luma_ui_test_wait (has_result, &result, 30));
  g_assert_false (luma_session_start_finish (session, result, &error));
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "http://127.0.0.1:9/gateway/api/v1"));
  g_assert_cmpint (luma_session_get_status (session), ==, LUMA_SESSION_STATUS_FAILED);
  g_assert_null (luma_session_get_cache (session));
  g_assert_cmpuint (count_cache_files (), ==, 0);
}

/* ---- An untrusted certificate ------------------------------------------------------------- */

#define UNTRUSTED "certificate is not trusted"

static guint
count_phrase (const char *text,
              const char *phrase)
{
  guint n = 0;

  for (const char *p = strstr (text, phrase); p != NULL; p = strstr (p + 1, phrase))
    n++;
  return n;
}

static LumaTestSandbox *
start_tls_sandbox (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                 "sandbox-tls.crt", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                                "sandbox-tls.key", NULL);

  return luma_test_sandbox_start ("--tls-cert", cert, "--tls-key", key, "--tenant", TENANT,
                                  "--api-key", TENANT_KEY, "--seed", "25", NULL);
}

/* The account page says it once, with the address tried. */
static void
test_untrusted_first_connection (void)
{
  LumaTestSandbox *tls = start_tls_sandbox ();
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  LumaAccountPage *page;
  GtkWindow *window;
  const char *message;

  g_settings_set_string (luma_application_get_settings (app), "ca-file", "");
  window = luma_application_open_account (app, NULL);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "account"));
  luma_account_page_set_kind (page, LUMA_ACCOUNT_KIND_TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, luma_test_sandbox_get_url (tls));
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_TENANT, TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, TENANT_KEY);
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  message = luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER);
  g_assert_nonnull (message);
  g_test_message ("%s", message);
  g_assert_cmpuint (count_phrase (message, UNTRUSTED), ==, 1);
  g_assert_nonnull (strstr (message, luma_test_sandbox_get_url (tls)));

  close_all_windows (app);
  luma_test_sandbox_stop (tls);
}

static gboolean
toast_untrusted (gpointer data)
{
  const char *toast = luma_window_get_last_toast (data);

  return toast != NULL && strstr (toast, UNTRUSTED) != NULL && luma_window_get_ready (data) &&
         !luma_sync_get_running (luma_window_get_sync (data));
}

/* A sync refused for the certificate: the toast says it once. */
static void
test_untrusted_sync (void)
{
  LumaTestSandbox *tls = start_tls_sandbox ();
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GSettings *settings = luma_application_get_settings (app);
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (tls), TENANT);
  g_autofree char *ca = g_test_build_filename (G_TEST_DIST, "integration", "data",
                                               "sandbox-tls.crt", NULL);
  g_autoptr(GError) error = NULL;
  LumaWindow *window;

  g_settings_set_string (settings, "ca-file", ca);
  luma_account_set_secret (account, TENANT_KEY);
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));

  /* The certificate no longer trusted: the next sync is refused. */
  g_assert_true (luma_api_client_set_ca_file (luma_window_get_client (window), NULL, &error));
  g_assert_no_error (error);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_ui_test_wait (toast_untrusted, window, 60));
  g_test_message ("%s", luma_window_get_last_toast (window));
  g_assert_cmpuint (count_phrase (luma_window_get_last_toast (window), UNTRUSTED), ==, 1);

  close_all_windows (app);
  g_settings_set_string (settings, "ca-file", "");
  luma_test_sandbox_stop (tls);
}

/* ---- A window and the background mode on one account ---------------------------------------- */

typedef struct
{
  LumaSession *session;
  guint        n_syncs;
} SyncsWanted;

static gboolean
syncs_reached (gpointer data)
{
  SyncsWanted *want = data;

  return luma_session_get_n_syncs (want->session) >= want->n_syncs &&
         luma_session_get_status (want->session) == LUMA_SESSION_STATUS_READY;
}

static gboolean
background_synced (gpointer data)
{
  return luma_background_get_n_syncs (data) > 0;
}

static void
test_window_and_background_share (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = NULL;
  g_autoptr(LumaAccount) respelled = NULL;
  g_autoptr(LumaSession) session = NULL;
  g_autoptr(LumaBackground) background = NULL;
  LumaWindow *window;
  SyncsWanted want;
  guint window_syncs, background_syncs;

  account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, luma_test_sandbox_get_url (sandbox), TENANT);
  luma_account_set_secret (account, TENANT_KEY);
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));

  /* The background mode, given the bare origin: the same account, the same session. */
  respelled = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, luma_test_sandbox_get_root (sandbox), TENANT);
  session = luma_application_dup_session (app, respelled);
  g_assert_true (session == luma_window_get_session (window));
  background = luma_background_new (session);
  g_assert_true (luma_background_get_session (background) == luma_window_get_session (window));
  /* One cache object, so one writer thread on the file. */
  g_assert_true (luma_session_get_cache (session) == luma_window_get_cache (window));
  g_assert_true (luma_sync_get_cache (luma_window_get_sync (window)) == luma_session_get_cache (session));
  g_assert_true (luma_ui_test_wait (background_synced, background, 60));
  g_assert_null (luma_background_get_error (background));

  /* A sync from the window is seen by the background mode. */
  luma_test_sandbox_add_records (sandbox, TENANT, 7);
  background_syncs = luma_background_get_n_syncs (background);
  want.session = session;
  want.n_syncs = luma_session_get_n_syncs (session) + 1;
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_ui_test_wait (syncs_reached, &want, 60));
  g_assert_cmpuint (luma_background_get_n_syncs (background), ==, background_syncs + 1);

  /* And one of the background mode's by the window: its pages show the new records. */
  window_syncs = luma_session_get_n_syncs (session);
  luma_test_sandbox_add_records (sandbox, TENANT, 3);
  want.n_syncs = window_syncs + 1;
  luma_session_sync_async (luma_background_get_session (background), NULL, NULL, NULL);
  g_assert_true (luma_ui_test_wait (syncs_reached, &want, 60));
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  g_assert_cmpuint (luma_background_get_n_syncs (background), ==, background_syncs + 2);
  {
    gint64 records = 0;
    LumaLicenseType type;

    g_free (luma_test_sandbox_get_checksum (sandbox, TENANT, &records, NULL));
    g_assert_true (luma_cache_get_license_type (luma_window_get_cache (window), &type));
    g_assert_cmpint (luma_cache_count_records (luma_window_get_cache (window), type, NULL), ==, records);
  }

  g_clear_object (&background);
  close_all_windows (app);
}

/* Stop in the window ends the session's held sync at once. */
static gboolean
sync_running (gpointer data)
{
  LumaSync *sync = luma_window_get_sync (data);

  return sync != NULL && luma_sync_get_running (sync) && luma_test_sandbox_faults_used_up (sandbox);
}

static gboolean
sync_stopped (gpointer data)
{
  LumaSync *sync = luma_window_get_sync (data);

  return sync != NULL && !luma_sync_get_running (sync);
}

static gboolean
stop_told (gpointer data)
{
  return g_strcmp0 (luma_window_get_last_toast (data), "Sync stopped. Refresh to continue.") == 0 &&
         luma_window_get_ready (data);
}

static void
test_stop_held_sync (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (sandbox), TENANT);
  LumaWindow *window;

  luma_account_set_secret (account, TENANT_KEY);
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));

  luma_test_sandbox_hold_next_answer (sandbox);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_ui_test_wait (sync_running, window, 30));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-sync", NULL);
  g_assert_true (luma_ui_test_wait (sync_stopped, window, 10));
  g_assert_true (luma_ui_test_wait (stop_told, window, 10));

  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  close_all_windows (app);
}

/* ---- A superadmin going back to the tenant list --------------------------------------------- */

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* A window of the superadmin "boss" of @own, on the tenant "delta", synced. */
static LumaWindow *
open_superadmin_tenant (LumaTestSandbox *own,
                        LumaAccount     *account)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  LumaTenantsPage *tenants;
  LumaWindow *window;

  luma_account_set_secret (account, "boss-pass");
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  g_assert_cmpstr (luma_session_get_tenant (luma_window_get_session (window)), ==, "delta");
  return window;
}

static LumaTestSandbox *
start_superadmin_sandbox (void)
{
  return luma_test_sandbox_start ("--tenant", "delta", "--api-key", "delta-key", "--seed", "20",
                                  "--superadmin", "boss:boss-pass", NULL);
}

static void
test_back_closes_tenant (void)
{
  LumaTestSandbox *own = start_superadmin_sandbox ();
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                     luma_test_sandbox_get_url (own), "boss");
  LumaWindow *window = open_superadmin_tenant (own, account);
  LumaSession *session = luma_window_get_session (window);
  guint interval, n_syncs;
  gint64 until;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenants");
  g_assert_null (luma_session_get_tenant (session));
  g_assert_null (luma_session_get_cache (session));
  g_assert_null (luma_session_get_sync (session));

  /* A timer every second: nothing left to sync. */
  interval = luma_session_get_sync_interval (session);
  n_syncs = luma_session_get_n_syncs (session);
  luma_session_set_sync_interval (session, 1);
  until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  g_assert_true (luma_ui_test_wait (time_passed, &until, 10));
  g_assert_cmpuint (luma_session_get_n_syncs (session), ==, n_syncs);
  g_assert_cmpint (luma_session_get_status (session), ==, LUMA_SESSION_STATUS_READY);
  luma_session_set_sync_interval (session, interval);

  close_all_windows (app);
  luma_test_sandbox_stop (own);
}

/* A superadmin forgotten while its session is stopped: the tenant list is read from its file,
 * so the tenants' caches go too. */
static void
test_forget_stopped_superadmin (void)
{
  LumaTestSandbox *own = start_superadmin_sandbox ();
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                     luma_test_sandbox_get_url (own), "boss");
  g_autofree char *tenant_name = luma_account_dup_tenant_cache_name (account, "delta");
  g_autofree char *tenant_path = luma_cache_path_for_account (luma_account_get_server (account),
                                                              tenant_name);
  g_autoptr(LumaSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  open_superadmin_tenant (own, account);
  close_all_windows (app);
  session = luma_application_dup_session (app, account);
  g_assert_cmpint (luma_session_get_status (session), ==, LUMA_SESSION_STATUS_STOPPED);
  g_assert_true (g_file_test (luma_account_get_id (account)->cache_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (tenant_path, G_FILE_TEST_EXISTS));

  luma_session_forget_async (session, NULL, session_done_cb, &result);
  g_assert_true (luma_ui_test_wait (has_result, &result, 30));
  g_assert_true (luma_session_forget_finish (session, result, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (luma_account_get_id (account)->cache_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (tenant_path, G_FILE_TEST_EXISTS));

  luma_test_sandbox_stop (own);
}

/* ---- Forget --------------------------------------------------------------------------------- */

static gboolean
forgotten (gpointer data)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(GPtrArray) accounts = luma_account_list_load (luma_application_get_settings (app));

  return accounts->len == 0 && count_cache_files () == 0;
}

static void
test_forget (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  const char *url = luma_test_sandbox_get_url (sandbox);
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, url, TENANT);
  g_autofree char *stored = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *corrupt = NULL;
  g_autofree char *corrupt_wal = NULL;
  LumaAccountPage *page;
  LumaWindow *window;
  GtkWidget *dialog;

  /* Connected on the first-run page: the key goes to the keyring, the history to the cache. */
  window = LUMA_WINDOW (luma_application_open_account (app, NULL));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (window, "account"));
  luma_account_page_set_kind (page, LUMA_ACCOUNT_KIND_TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, luma_test_sandbox_get_root (sandbox));
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_TENANT, TENANT);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, TENANT_KEY);
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_NONE));
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));

  stored = keyring_lookup (url, TENANT);
  g_assert_cmpstr (stored, ==, TENANT_KEY);
  g_assert_true (g_file_test (luma_account_get_id (account)->cache_path, G_FILE_TEST_EXISTS));
  /* A damaged copy set aside earlier goes too. */
  corrupt = g_strconcat (luma_account_get_id (account)->cache_path, ".corrupt-20240101T000000Z", NULL);
  corrupt_wal = g_strconcat (corrupt, "-wal", NULL);
  g_assert_true (g_file_set_contents (corrupt, "not a database", -1, NULL));
  g_assert_true (g_file_set_contents (corrupt_wal, "x", -1, NULL));
  g_assert_cmpuint (count_cache_files (), >=, 3);

  /* Forget, from the saved accounts, after the confirmation that says what goes. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.accounts", NULL);
  dialog = luma_account_page_ask_forget (page, account);
  g_assert_true (ADW_IS_MESSAGE_DIALOG (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "keyring"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "emails"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "transcripts"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "forget");
  g_assert_true (luma_ui_test_wait (forgotten, NULL, 60));
  luma_ui_test_flush ();

  gone = keyring_lookup (url, TENANT);
  g_assert_null (gone);
  g_assert_cmpuint (count_cache_files (), ==, 0);
  g_assert_null (luma_window_get_account (window));
  g_assert_cmpstr (luma_window_get_page (window), ==, "account");

  close_all_windows (app);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* The system proxy settings live in GSettings schemas the test environment hides. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  luma_ui_test_init (&argc, &argv);

  sandbox = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                     "--licenses", "1000", "--seed", "200",
                                     "--slow-ms", "600000", NULL);

  g_test_add_func ("/ui/session/cancel-first-connection", test_cancel_first_connection);
  g_test_add_func ("/ui/session/failed-start-no-cache", test_failed_start_no_cache);
  g_test_add_func ("/ui/session/untrusted-first-connection", test_untrusted_first_connection);
  g_test_add_func ("/ui/session/untrusted-sync", test_untrusted_sync);
  g_test_add_func ("/ui/session/window-and-background", test_window_and_background_share);
  g_test_add_func ("/ui/session/stop-held-sync", test_stop_held_sync);
  g_test_add_func ("/ui/session/back-closes-tenant", test_back_closes_tenant);
  g_test_add_func ("/ui/session/forget", test_forget);
  g_test_add_func ("/ui/session/forget-stopped-superadmin", test_forget_stopped_superadmin);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
