/* test-background.c: the --background mode and its login item
 *
 * The real program ($LUMA_SUBSCRIPTION) runs with --background against the sandbox on a
 * private D-Bus whose org.freedesktop.Notifications is a recording test server
 * (GNOTIFICATION_BACKEND=freedesktop); the test raises the sandbox's consumption past 75 %
 * while it runs and checks what reached the server. The sync interval is shortened through
 * the LUMA_SYNC_INTERVAL_SECONDS test hook.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <sqlite3.h>

#include "luma-alerts.h"
#include "luma-background.h"
#include "luma-cache.h"
#include "luma-ui-test.h"

#include "luma-test-notification-server.h"
#include "luma-test-sandbox.h"

#define TENANT     "acme"
#define TENANT_KEY "acme-key-bg"

/* ---- The login item ------------------------------------------------------------------------- */

static void
test_autostart (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GSettings *settings = luma_application_get_settings (app);
  g_autofree char *path = luma_background_autostart_path ();
  g_autofree char *expected = g_build_filename (g_get_user_config_dir (), "autostart",
                                                "io.github.lumadesk.Subscription.desktop", NULL);
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *validator = g_find_program_in_path ("desktop-file-validate");

  if (luma_background_in_flatpak ())
    {
      g_test_skip ("inside Flatpak the login item is the background portal's");
      return;
    }

  g_assert_cmpstr (path, ==, expected);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* On: the entry appears, starting the app in the background. */
  g_settings_set_boolean (settings, "start-in-background", TRUE);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "luma-subscription --background");
  g_assert_true (g_key_file_get_boolean (entry, G_KEY_FILE_DESKTOP_GROUP,
                                         "X-GNOME-Autostart-enabled", &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_get_boolean (entry, G_KEY_FILE_DESKTOP_GROUP,
                                         G_KEY_FILE_DESKTOP_KEY_NO_DISPLAY, &error));
  g_assert_no_error (error);

  /* A valid desktop entry, as the session reads it. */
  if (validator != NULL)
    {
      const char *argv[] = { validator, path, NULL };
      g_autofree char *out = NULL;
      int status = -1;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                    &out, NULL, &status, &error);
      g_assert_no_error (error);
      g_test_message ("desktop-file-validate: %s", out);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_cmpstr (out, ==, "");
    }

  /* Off: gone. Off again: nothing to remove, no error. */
  g_settings_set_boolean (settings, "start-in-background", FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (luma_background_set_autostart (FALSE, &error));
  g_assert_no_error (error);

  /* On once more: back. */
  g_settings_set_boolean (settings, "start-in-background", TRUE);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_settings_set_boolean (settings, "start-in-background", FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* ---- --background against the sandbox ----------------------------------------------------- */

typedef struct
{
  gint64 consumed;
  gint64 total_purchase;
} Usage;

static Usage
get_usage (LumaTestSandbox *sb)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), "/subscription", NULL);
  LumaTestResponse *r = luma_test_request ("GET", url, NULL, "Luma-api-access-key", TENANT_KEY,
                                           "Luma-tenant-externalId", TENANT, NULL);
  JsonObject *result;
  Usage usage;

  luma_test_assert_response (r, 200, NULL);
  result = luma_test_response_get_result (r);
  usage.consumed = json_object_get_int_member (result, "consumed");
  usage.total_purchase = json_object_get_int_member (result, "totalPurchase");
  luma_test_response_free (r);
  return usage;
}

/* When the background process last synced, read from its cache file (0: not yet). Read
 * with SQLite directly: opening it as a LumaCache would write to it. */
static gint64
last_synced (const char *cache_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 synced = 0;

  if (!g_file_test (cache_path, G_FILE_TEST_EXISTS))
    return 0;
  if (sqlite3_open_v2 (cache_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT last_synced FROM sync_state WHERE id = 1", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    synced = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return synced;
}

/* Waits (polling, bounded) until the process synced after @after; returns the new time. */
static gint64
wait_for_sync_after (const char *cache_path,
                     gint64      after,
                     GSubprocess *process)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gint64 synced;

  while ((synced = last_synced (cache_path)) <= after)
    {
      g_assert_false (g_subprocess_get_identifier (process) == NULL);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }
  return synced;
}

/* What reached the server so far. The program stays connected, so there is no "after it
 * left" point to sync on: the checks below wait for later syncs instead (each evaluation
 * runs, and its notification leaves, before the next sync starts). */
static GPtrArray *
take_notifications (LumaTestNotificationServer *server)
{
  return luma_test_notification_server_take_notifications (server);
}

static gboolean
has_window (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  const char *xml = NULL;

  /* GtkApplication exports each window under the app's path, window/N. */
  reply = g_dbus_connection_call_sync (bus, "io.github.lumadesk.Subscription",
                                       "/io/github/lumadesk/Subscription/window",
                                       "org.freedesktop.DBus.Introspectable", "Introspect",
                                       NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(&s)", &xml);
  return strstr (xml, "<node name=\"") != NULL;
}

static void
test_background_notifies_once (void)
{
  const char *program = g_getenv ("LUMA_SUBSCRIPTION");
  g_autoptr(LumaTestNotificationServer) server = luma_test_notification_server_start ();
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                                           "--licenses", "1000", "--seed", "300", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSubprocess) again = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GPtrArray) later = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cache_path = NULL;
  g_autofree char *title = NULL;
  LumaTestNotification *n;
  Usage usage;
  gint64 synced, wanted;
  gint64 end;

  g_assert_nonnull (program);
  usage = get_usage (sb);
  g_assert_cmpint (usage.consumed * 100, <, usage.total_purchase * 75);
  cache_path = luma_cache_path_for_account (luma_test_sandbox_get_url (sb), TENANT);
  /* The percentages alone: the sandbox's term (this calendar year) may end within the
   * 60 days of the contract-end alert. */
  {
    g_autoptr(LumaCache) cache = luma_cache_open_for_account (luma_test_sandbox_get_url (sb), TENANT,
                                                              NULL, &error);
    LumaAlertSettings settings;

    g_assert_no_error (error);
    luma_alert_settings_init_default (&settings);
    settings.run_out_days = 0;
    settings.contract_end_days = 0;
    g_assert_true (luma_alert_settings_save (&settings, cache, TENANT, NULL, &error));
    g_assert_no_error (error);
    luma_cache_close (cache);
  }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", TENANT_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                luma_test_notification_server_get_address (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "GNOTIFICATION_BACKEND", "freedesktop", TRUE);
  g_subprocess_launcher_setenv (launcher, "LUMA_SYNC_INTERVAL_SECONDS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  /* The system's data (MIME database, icons), hidden from this test by its private dirs. */
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  /* No accessibility bus on the private bus. */
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);

  process = g_subprocess_launcher_spawn (launcher, &error, program, "--background",
                                         "--server", luma_test_sandbox_get_url (sb),
                                         "--tenant", TENANT, NULL);
  g_assert_no_error (error);

  /* The first sync, under 75 %: nothing to say, and no window. */
  synced = wait_for_sync_after (cache_path, 0, process);
  before = take_notifications (server);
  g_assert_cmpuint (before->len, ==, 0);
  bus = g_dbus_connection_new_for_address_sync (luma_test_notification_server_get_address (server),
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (has_window (bus));

  /* Consumption crosses 75 % while it runs: exactly one notification, at a later sync. */
  wanted = (usage.total_purchase * 76 + 99) / 100;
  luma_test_sandbox_add_records (sb, TENANT, (guint) (wanted - usage.consumed));
  usage = get_usage (sb);
  g_assert_cmpint (usage.consumed * 100 / usage.total_purchase, ==, 76);

  sent = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_test_notification_free);
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (sent->len == 0)
    {
      g_autoptr(GPtrArray) got = take_notifications (server);

      g_ptr_array_extend_and_steal (sent, g_steal_pointer (&got));
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }
  g_assert_cmpuint (sent->len, ==, 1);
  n = g_ptr_array_index (sent, 0);
  /* In the caller's language, as the background process speaks it. */
  title = g_strdup_printf (g_dgettext (GETTEXT_PACKAGE, "%d %% of licenses used"),
                           (int) (usage.consumed * 100 / usage.total_purchase));
  g_assert_cmpstr (n->summary, ==, title);

  /* Two more syncs after it: nothing repeated. */
  synced = wait_for_sync_after (cache_path, last_synced (cache_path), process);
  synced = wait_for_sync_after (cache_path, synced, process);
  later = take_notifications (server);
  g_assert_cmpuint (later->len, ==, 0);

  /* Launching it again opens the window in the running process. */
  again = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (again, NULL, &error);
  g_assert_no_error (error);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!has_window (bus))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

/* ---- --background as a superadmin: every tenant at each check -------------------------------- */

#define ADMIN    "root"
#define PASSWORD "s3cret-bg"
#define N_TENANTS 8

/* When the process last stored the tenant list (one per check), read with SQLite directly. */
static gint64
tenants_stored_on (const char *cache_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 stored = 0;

  if (!g_file_test (cache_path, G_FILE_TEST_EXISTS))
    return 0;
  if (sqlite3_open_v2 (cache_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'tenants_stored_on'", -1, &stmt,
                          NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    stored = g_ascii_strtoll ((const char *) sqlite3_column_text (stmt, 0), NULL, 10);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return stored;
}

static gint64
wait_for_check_after (const char  *cache_path,
                      gint64       after,
                      GSubprocess *process)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gint64 stored;

  while ((stored = tenants_stored_on (cache_path)) <= after)
    {
      g_assert_nonnull (g_subprocess_get_identifier (process));
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }
  return stored;
}

/* Waits until @n notifications arrived (at most 60 s), then two more checks for strays. */
static GPtrArray *
wait_for_notifications (LumaTestNotificationServer *server,
                        guint                       n,
                        const char                 *cache_path,
                        GSubprocess                *process)
{
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_test_notification_free);
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gint64 stored;

  while (sent->len < n)
    {
      g_autoptr(GPtrArray) got = take_notifications (server);

      g_ptr_array_extend_and_steal (sent, g_steal_pointer (&got));
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }
  stored = wait_for_check_after (cache_path, tenants_stored_on (cache_path), process);
  wait_for_check_after (cache_path, stored, process);
  {
    g_autoptr(GPtrArray) more = take_notifications (server);

    g_ptr_array_extend_and_steal (sent, g_steal_pointer (&more));
  }
  return sent;
}

static void
raise_tenant (LumaTestSandbox *sb,
              const char      *tenant,
              guint            percent)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/tenants/%s/stats", tenant);
  g_autoptr(JsonNode) stats = luma_test_sandbox_control (sb, "GET", path, NULL, NULL);
  gint64 consumed = json_object_get_int_member (json_node_get_object (stats), "consumed");
  gint64 wanted = 1000 * percent / 100 + 1;

  g_assert_cmpint (consumed, <, wanted);
  luma_test_sandbox_add_records (sb, tenant, (guint) (wanted - consumed));
}

static void
refill (LumaTestSandbox *sb,
        const char      *tenant,
        gint64           change)
{
  g_autofree char *login_url = g_strconcat (luma_test_sandbox_get_url (sb), "/platform/login", NULL);
  g_autofree char *url = g_strdup_printf ("%s/platform/tenants/%s/refills", luma_test_sandbox_get_url (sb), tenant);
  g_autofree char *body = g_strdup_printf ("{\"change\": %" G_GINT64_FORMAT ", \"reason\": \"test\"}", change);
  g_autofree char *auth = NULL;
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(LumaTestResponse) login = NULL;
  g_autoptr(LumaTestResponse) r = NULL;

  login = luma_test_request ("POST", login_url, "{\"username\": \"" ADMIN "\", \"password\": \"" PASSWORD "\"}",
                             NULL, NULL);
  luma_test_assert_response (login, 200, NULL);
  auth = g_strconcat ("Bearer ", json_object_get_string_member (luma_test_response_get_result (login), "token"), NULL);
  r = luma_test_request ("POST", url, body, "Authorization", auth, "Idempotency-Key", key, NULL);
  luma_test_assert_response (r, 201, NULL);
}

static void
test_background_superadmin (void)
{
  const char *program = g_getenv ("LUMA_SUBSCRIPTION");
  g_autoptr(LumaTestNotificationServer) server = luma_test_notification_server_start ();
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(LumaAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  const char *cache_path;
  LumaTestNotification *n;

  g_assert_nonnull (program);
  g_ptr_array_add (args, g_strdup ("--superadmin"));
  g_ptr_array_add (args, g_strdup (ADMIN ":" PASSWORD));
  for (guint i = 0; i < N_TENANTS; i++)
    {
      g_ptr_array_add (args, g_strdup ("--tenant"));
      g_ptr_array_add (args, g_strdup_printf ("t%u", i));
      g_ptr_array_add (args, g_strdup ("--tenant-name"));
      g_ptr_array_add (args, g_strdup_printf ("Tenant %u", i));
      g_ptr_array_add (args, g_strdup ("--api-key"));
      g_ptr_array_add (args, g_strdup_printf ("key-%u", i));
      g_ptr_array_add (args, g_strdup ("--licenses"));
      g_ptr_array_add (args, g_strdup ("1000"));
      g_ptr_array_add (args, g_strdup ("--seed"));
      g_ptr_array_add (args, g_strdup ("100"));
    }
  g_ptr_array_add (args, NULL);
  sb = luma_test_sandbox_startv ((const char * const *) args->pdata);
  account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN, luma_test_sandbox_get_url (sb), ADMIN);
  cache_path = luma_account_get_id (account)->cache_path;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "LUMA_PASSWORD", PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                luma_test_notification_server_get_address (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "GNOTIFICATION_BACKEND", "freedesktop", TRUE);
  g_subprocess_launcher_setenv (launcher, "LUMA_SYNC_INTERVAL_SECONDS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, "--background",
                                         "--server", luma_test_sandbox_get_url (sb),
                                         "--superadmin", ADMIN, NULL);
  g_assert_no_error (error);

  /* The first checks, everyone at 10 %: nothing. */
  wait_for_check_after (cache_path, wait_for_check_after (cache_path, 0, process), process);
  sent = take_notifications (server);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&sent, g_ptr_array_unref);

  /* Two tenants cross: one notification each, naming them; nothing repeats after. */
  raise_tenant (sb, "t1", 76);
  raise_tenant (sb, "t2", 86);
  sent = wait_for_notifications (server, 2, cache_path, process);
  g_assert_cmpuint (sent->len, ==, 2);
  for (guint i = 0; i < sent->len; i++)
    {
      n = sent->pdata[i];
      g_assert_true (g_str_has_prefix (n->summary, "Tenant 1: 76 %") ||
                     g_str_has_prefix (n->summary, "Tenant 2: 86 %"));
    }
  g_clear_pointer (&sent, g_ptr_array_unref);

  /* Five cross between two checks: one summary. Added within one check interval, so a
   * check may see some of them first: then those are told one by one, the rest in a summary
   * or alone; either way every crossing is told exactly once. */
  for (guint i = 3; i < 8; i++)
    {
      g_autofree char *id = g_strdup_printf ("t%u", i);

      raise_tenant (sb, id, 80);
    }
  sent = wait_for_notifications (server, 1, cache_path, process);
  {
    guint told = 0;

    for (guint i = 0; i < sent->len; i++)
      {
        guint64 many;
        g_autofree char *summary_title = NULL;

        n = sent->pdata[i];
        /* A summary starts with its count: "3 tenants passed 75 %", in the caller's
         * language; a tenant's own title starts with its name. */
        if (g_ascii_isdigit (n->summary[0]))
          {
            many = g_ascii_strtoull (n->summary, NULL, 10);
            summary_title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tenant passed %u %%",
                                                          "%u tenants passed %u %%", many),
                                             (guint) many, 75u);
            g_assert_cmpstr (n->summary, ==, summary_title);
            told += (guint) many;
          }
        else
          told++;
      }
    g_assert_cmpuint (told, ==, 5);
  }
  g_clear_pointer (&sent, g_ptr_array_unref);

  /* A refill of t1 brings it to 38 %: re-armed; crossing 75 % again is told again. */
  refill (sb, "t1", 1000);
  wait_for_check_after (cache_path, wait_for_check_after (cache_path, tenants_stored_on (cache_path), process),
                        process);
  sent = take_notifications (server);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&sent, g_ptr_array_unref);
  raise_tenant (sb, "t1", 76 * 2);
  sent = wait_for_notifications (server, 1, cache_path, process);
  g_assert_cmpuint (sent->len, ==, 1);
  n = sent->pdata[0];
  g_assert_true (g_str_has_prefix (n->summary, "Tenant 1: 76 %"));

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

/* ---- Secrets from the environment ------------------------------------------------------------ */

static gboolean
environ_contains (GPid        pid,
                  const char *needle)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/environ", (int) pid);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 0);
  for (gsize i = 0; i + strlen (needle) <= len; i++)
    if (memcmp (data + i, needle, strlen (needle)) == 0)
      return TRUE;
  return FALSE;
}

/* LUMA_API_KEY leaves the app's environment once read (children and /proc/PID/environ do not
 * see it), and a second invocation's LUMA_API_KEY reaches the running instance: started with a
 * wrong key, the app syncs only with the key of the second launch. */
static void
test_background_secrets_from_environment (void)
{
  const char *program = g_getenv ("LUMA_SUBSCRIPTION");
  g_autoptr(LumaTestNotificationServer) server = luma_test_notification_server_start ();
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                                           "--licenses", "1000", "--seed", "30", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSubprocess) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cache_path = NULL;
  const char *pid_text;
  GPid pid;
  gint64 end;

  g_assert_nonnull (program);
  cache_path = luma_cache_path_for_account (luma_test_sandbox_get_url (sb), TENANT);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", "not-the-key-f00d", TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                luma_test_notification_server_get_address (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "GNOTIFICATION_BACKEND", "freedesktop", TRUE);
  g_subprocess_launcher_setenv (launcher, "LUMA_SYNC_INTERVAL_SECONDS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, "--background",
                                         "--server", luma_test_sandbox_get_url (sb),
                                         "--tenant", TENANT, NULL);
  g_assert_no_error (error);
  pid_text = g_subprocess_get_identifier (process);
  g_assert_nonnull (pid_text);
  pid = (GPid) g_ascii_strtoll (pid_text, NULL, 10);

  /* Its first connection fails (wrong key); by then the key was read and is gone. */
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (environ_contains (pid, "not-the-key-f00d") || environ_contains (pid, "LUMA_API_KEY="))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100 * 1000);
    }
  /* The environment is still readable: something else is still there. */
  g_assert_true (environ_contains (pid, "GNOTIFICATION_BACKEND=freedesktop"));
  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpint (last_synced (cache_path), ==, 0);

  /* The second invocation carries the right key: the running instance uses it. */
  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", TENANT_KEY, TRUE);
  again = g_subprocess_launcher_spawn (launcher, &error, program,
                                       "--server", luma_test_sandbox_get_url (sb), "--tenant", TENANT, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (again, NULL, &error);
  g_assert_no_error (error);
  wait_for_sync_after (cache_path, 0, process);
  g_assert_false (environ_contains (pid, TENANT_KEY));

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  luma_ui_test_init (&argc, &argv);
  luma_ui_test_bind_translations ();

  g_test_add_func ("/ui/background/autostart", test_autostart);
  g_test_add_func ("/ui/background/notifies-once", test_background_notifies_once);
  g_test_add_func ("/ui/background/superadmin", test_background_superadmin);
  g_test_add_func ("/ui/background/secrets-from-environment", test_background_secrets_from_environment);

  return g_test_run ();
}
