/* test-credentials.c: LumaCredentials against a real gnome-keyring-daemon on a private bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test starts its own dbus-daemon and gnome-keyring-daemon with a fresh home, so it
 * never touches the keyring of whoever runs it. The no-keyring cases run in subprocesses
 * on a second private bus where nothing provides the Secret Service.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "luma-credentials.h"

#define SERVER   "https://luma.example/gateway/api/v1"
#define SERVER2  "https://other.example/gateway/api/v1"
#define KEY      "5bd1c0d2e0b44b7d9b7c-test-key"
#define PASSWORD "correct horse battery staple"

static const char bus_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:tmpdir=%s</listen>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

static char *tmp_dir;
static GPid keyring_bus_pid;
static GPid empty_bus_pid;
static GPid keyring_pid;

/* Helpers */

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static gboolean
store_api_key (const char  *server,
               const char  *tenant,
               const char  *key,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_store_api_key_async (server, tenant, key, NULL, store_result_cb, &result);
  return luma_credentials_store_api_key_finish (wait_for (&result), error);
}

static char *
lookup_api_key (const char  *server,
                const char  *tenant,
                GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_lookup_api_key_async (server, tenant, NULL, store_result_cb, &result);
  return luma_credentials_lookup_api_key_finish (wait_for (&result), error);
}

static gboolean
clear_api_key (const char  *server,
               const char  *tenant,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_clear_api_key_async (server, tenant, NULL, store_result_cb, &result);
  return luma_credentials_clear_api_key_finish (wait_for (&result), error);
}

static gboolean
store_password (const char  *server,
                const char  *user,
                const char  *password,
                GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_store_password_async (server, user, password, NULL, store_result_cb, &result);
  return luma_credentials_store_password_finish (wait_for (&result), error);
}

static char *
lookup_password (const char  *server,
                 const char  *user,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_lookup_password_async (server, user, NULL, store_result_cb, &result);
  return luma_credentials_lookup_password_finish (wait_for (&result), error);
}

static gboolean
clear_password (const char  *server,
                const char  *user,
                GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_credentials_clear_password_async (server, user, NULL, store_result_cb, &result);
  return luma_credentials_clear_password_finish (wait_for (&result), error);
}

/* Keyring tests */

static void
test_api_key (void)
{
  static const SecretSchema schema = {
    LUMA_CREDENTIALS_SCHEMA_NAME, SECRET_SCHEMA_DONT_MATCH_NAME,
    { { "server", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 } }
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *other_tenant = NULL;
  g_autofree char *other_server = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *direct = NULL;

  g_assert_true (store_api_key (SERVER, "acme", KEY, &error));
  g_assert_no_error (error);

  found = lookup_api_key (SERVER, "acme", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, KEY);

  /* stored with the documented schema and attributes */
  direct = secret_password_lookup_sync (&schema, NULL, &error, "server", SERVER, "tenant", "acme", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (direct, ==, KEY);

  other_tenant = lookup_api_key (SERVER, "beta", &error);
  g_assert_no_error (error);
  g_assert_null (other_tenant);
  other_server = lookup_api_key (SERVER2, "acme", &error);
  g_assert_no_error (error);
  g_assert_null (other_server);

  /* storing again replaces */
  g_assert_true (store_api_key (SERVER, "acme", KEY "-2", &error));
  g_free (found);
  found = lookup_api_key (SERVER, "acme", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, KEY "-2");

  g_assert_true (clear_api_key (SERVER, "acme", &error));
  g_assert_no_error (error);
  gone = lookup_api_key (SERVER, "acme", &error);
  g_assert_no_error (error);
  g_assert_null (gone);

  /* clearing what is not there is fine */
  g_assert_true (clear_api_key (SERVER, "acme", &error));
  g_assert_no_error (error);
}

static void
test_password (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *as_key = NULL;
  g_autofree char *gone = NULL;

  g_assert_true (store_password (SERVER, "root", PASSWORD, &error));
  g_assert_no_error (error);
  found = lookup_password (SERVER, "root", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, PASSWORD);

  /* a password is not an API key of a tenant with the same name */
  as_key = lookup_api_key (SERVER, "root", &error);
  g_assert_no_error (error);
  g_assert_null (as_key);

  g_assert_true (clear_password (SERVER, "root", &error));
  g_assert_no_error (error);
  gone = lookup_password (SERVER, "root", &error);
  g_assert_no_error (error);
  g_assert_null (gone);
}

/* Without a keyring (in subprocesses, on a bus without the Secret Service) */

static void
check_no_keyring (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *remembered = NULL;
  g_autofree char *remembered_password = NULL;
  g_autofree char *gone = NULL;

  g_assert_false (store_api_key (SERVER, "acme", KEY, &error));
  g_assert_error (error, LUMA_CREDENTIALS_ERROR, LUMA_CREDENTIALS_ERROR_NO_KEYRING);
  g_assert_nonnull (strstr (error->message, "No keyring"));
  g_assert_null (strstr (error->message, KEY));
  g_clear_error (&error);

  found = lookup_api_key (SERVER, "acme", &error);
  g_assert_null (found);
  g_assert_error (error, LUMA_CREDENTIALS_ERROR, LUMA_CREDENTIALS_ERROR_NO_KEYRING);
  g_clear_error (&error);

  /* the session-only fallback */
  luma_credentials_remember_for_session (SERVER, "acme", FALSE, KEY);
  luma_credentials_remember_for_session (SERVER, "root", TRUE, PASSWORD);
  remembered = lookup_api_key (SERVER, "acme", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (remembered, ==, KEY);
  remembered_password = lookup_password (SERVER, "root", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (remembered_password, ==, PASSWORD);

  g_assert_true (clear_api_key (SERVER, "acme", &error));
  g_assert_no_error (error);
  gone = lookup_api_key (SERVER, "acme", &error);
  g_assert_null (gone);
  g_assert_error (error, LUMA_CREDENTIALS_ERROR, LUMA_CREDENTIALS_ERROR_NO_KEYRING);
  luma_credentials_forget_session ();
}

static void
test_no_keyring_on_bus (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", g_getenv ("LUMA_TEST_EMPTY_BUS"), TRUE);
      check_no_keyring ();
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", tmp_dir);

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      check_no_keyring ();
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Private daemons */

static char *
start_bus (GPid *pid_out)
{
  g_autofree char *config_path = g_build_filename (tmp_dir, "bus.conf", NULL);
  g_autofree char *config = g_strdup_printf (bus_config, tmp_dir);
  g_autofree char *config_arg = g_strdup_printf ("--config-file=%s", config_path);
  const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--print-address=1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  char *line = NULL;
  int out_fd;

  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                            pid_out, NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_line (channel, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strchomp (line);
  return line;
}

static gboolean
name_has_owner (GDBusConnection *bus,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
start_keyring (const char *bus_address)
{
  g_autofree char *home = g_build_filename (tmp_dir, "home", NULL);
  g_autofree char *data = g_build_filename (tmp_dir, "home", ".local", "share", NULL);
  g_autofree char *runtime = g_build_filename (tmp_dir, "runtime", NULL);
  const char *argv[] = { "gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground", NULL };
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  int in_fd;
  gint64 deadline;

  g_mkdir_with_parents (data, 0700);
  g_mkdir_with_parents (runtime, 0700);
  envp = g_environ_setenv (envp, "HOME", home, TRUE);
  envp = g_environ_setenv (envp, "XDG_DATA_HOME", data, TRUE);
  envp = g_environ_setenv (envp, "XDG_RUNTIME_DIR", runtime, TRUE);
  envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  envp = g_environ_unsetenv (envp, "GNOME_KEYRING_CONTROL");

  g_spawn_async_with_pipes (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                            &keyring_pid, &in_fd, NULL, NULL, &error);
  g_assert_no_error (error);
  /* the password of the new login keyring, then end of input */
  g_assert_cmpint (write (in_fd, "test-keyring-password", 21), ==, 21);
  close (in_fd);

  bus = g_dbus_connection_new_for_address_sync (bus_address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!name_has_owner (bus, "org.freedesktop.secrets"))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("gnome-keyring-daemon did not take org.freedesktop.secrets within 20 s");
      g_usleep (50 * 1000);
    }
}

static void
stop_process (GPid pid)
{
  if (pid > 0)
    {
      kill (pid, SIGTERM);
      waitpid (pid, NULL, 0);
      g_spawn_close_pid (pid);
    }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                                                   NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

          if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
            remove_tree (child);
          else
            g_unlink (child);
          g_object_unref (info);
        }
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/credentials/api-key", test_api_key);
  g_test_add_func ("/credentials/password", test_password);
  g_test_add_func ("/credentials/no-keyring/empty-bus", test_no_keyring_on_bus);
  g_test_add_func ("/credentials/no-keyring/no-bus", test_no_bus);

  if (g_test_subprocess ())
    {
      tmp_dir = g_strdup (g_getenv ("LUMA_TEST_TMP_DIR"));
      return g_test_run ();
    }

  tmp_dir = g_dir_make_tmp ("luma-credentials-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("LUMA_TEST_TMP_DIR", tmp_dir, TRUE);

  {
    g_autofree char *keyring_bus = start_bus (&keyring_bus_pid);
    g_autofree char *empty_bus = start_bus (&empty_bus_pid);

    g_setenv ("LUMA_TEST_EMPTY_BUS", empty_bus, TRUE);
    start_keyring (keyring_bus);
    /* before anything in this process connects to the session bus */
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", keyring_bus, TRUE);
  }

  ret = g_test_run ();

  stop_process (keyring_pid);
  stop_process (keyring_bus_pid);
  stop_process (empty_bus_pid);
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
