/* luma-test-notification-server.c: a private D-Bus session with a recording
 * org.freedesktop.Notifications server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "luma-test-notification-server.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"
#define NOTIFICATIONS_IFACE "org.freedesktop.Notifications"
/* The test's own round-trip method, on the same object. */
#define CONTROL_IFACE       "io.github.lumadesk.TestNotificationServer"

static const char introspection_xml[] =
  "<node>"
  "  <interface name='" NOTIFICATIONS_IFACE "'>"
  "    <method name='Notify'>"
  "      <arg type='s' name='app_name' direction='in'/>"
  "      <arg type='u' name='replaces_id' direction='in'/>"
  "      <arg type='s' name='app_icon' direction='in'/>"
  "      <arg type='s' name='summary' direction='in'/>"
  "      <arg type='s' name='body' direction='in'/>"
  "      <arg type='as' name='actions' direction='in'/>"
  "      <arg type='a{sv}' name='hints' direction='in'/>"
  "      <arg type='i' name='expire_timeout' direction='in'/>"
  "      <arg type='u' name='id' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'>"
  "      <arg type='u' name='id' direction='in'/>"
  "    </method>"
  "    <method name='GetCapabilities'>"
  "      <arg type='as' name='capabilities' direction='out'/>"
  "    </method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' name='name' direction='out'/>"
  "      <arg type='s' name='vendor' direction='out'/>"
  "      <arg type='s' name='version' direction='out'/>"
  "      <arg type='s' name='spec_version' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='u' name='reason'/>"
  "    </signal>"
  "    <signal name='ActionInvoked'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='s' name='action_key'/>"
  "    </signal>"
  "  </interface>"
  "  <interface name='" CONTROL_IFACE "'>"
  "    <method name='Sync'/>"
  "  </interface>"
  "</node>";

/* A minimal bus: no service activation (nothing but this server can own the name), only the
 * EXTERNAL authentication, everything allowed. */
static const char bus_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:dir=%s</listen>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

struct _LumaTestNotificationServer
{
  char            *dir;
  GSubprocess     *daemon;
  char            *address;
  GDBusConnection *connection;
  GDBusNodeInfo   *introspection;
  guint            registration_ids[2];
  GMainContext    *context;
  GMainLoop       *loop;
  GThread         *thread;
  GStrv            marked;

  GMutex           lock;
  GPtrArray       *notifications;   /* LumaTestNotification * */
  GArray          *closed;          /* guint32 */
  guint32          last_id;
};

void
luma_test_notification_free (LumaTestNotification *self)
{
  if (self == NULL)
    return;

  g_free (self->sender);
  g_free (self->app_name);
  g_free (self->app_icon);
  g_free (self->summary);
  g_free (self->body);
  g_strfreev (self->actions);
  g_clear_pointer (&self->hints, g_variant_unref);
  g_free (self);
}

const char *
luma_test_notification_get_hint_string (LumaTestNotification *self,
                                        const char           *name)
{
  const char *value = NULL;

  if (!g_variant_lookup (self->hints, name, "&s", &value))
    return NULL;
  return value;
}

gint
luma_test_notification_get_hint_byte (LumaTestNotification *self,
                                      const char           *name)
{
  guchar value;

  if (!g_variant_lookup (self->hints, name, "y", &value))
    return -1;
  return value;
}

const char *
luma_test_notification_get_action (LumaTestNotification *self,
                                   const char           *key)
{
  for (guint i = 0; self->actions[i] != NULL && self->actions[i + 1] != NULL; i += 2)
    if (g_str_equal (self->actions[i], key))
      return self->actions[i + 1];
  return NULL;
}

/* ---- The server (runs in its own thread) ------------------------------------------------------ */

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  LumaTestNotificationServer *self = user_data;

  if (g_str_equal (interface_name, CONTROL_IFACE))
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  if (g_str_equal (method_name, "Notify"))
    {
      LumaTestNotification *n = g_new0 (LumaTestNotification, 1);
      guint32 id;

      g_variant_get (parameters, "(susss^as@a{sv}i)", &n->app_name, &n->replaces_id,
                     &n->app_icon, &n->summary, &n->body, &n->actions, &n->hints,
                     &n->expire_timeout);
      n->sender = g_strdup (sender);

      g_mutex_lock (&self->lock);
      id = n->replaces_id != 0 ? n->replaces_id : ++self->last_id;
      n->id = id;
      g_ptr_array_add (self->notifications, n);
      g_mutex_unlock (&self->lock);

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      guint32 id;

      g_variant_get (parameters, "(u)", &id);
      g_mutex_lock (&self->lock);
      g_array_append_val (self->closed, id);
      g_mutex_unlock (&self->lock);

      /* 3: closed by a call to CloseNotification */
      g_dbus_connection_emit_signal (connection, NULL, NOTIFICATIONS_PATH, NOTIFICATIONS_IFACE,
                                     "NotificationClosed", g_variant_new ("(uu)", id, 3),
                                     NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    {
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(ssss)", "luma-test", "lumadesk",
                                                            "1.0", "1.2"));
    }
  else
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.UnknownMethod",
                                                  method_name);
    }
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

static gpointer
server_thread (gpointer user_data)
{
  LumaTestNotificationServer *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* ---- Starting and stopping -------------------------------------------------------------------- */

static void
child_setup (gpointer user_data)
{
  /* The daemon goes when the test goes, even after a failed assertion. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

LumaTestNotificationServer *
luma_test_notification_server_start (void)
{
  LumaTestNotificationServer *self = g_new0 (LumaTestNotificationServer, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config_arg = NULL;
  g_autofree char *line = NULL;
  guint32 request_result = 0;

  g_mutex_init (&self->lock);
  self->notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_test_notification_free);
  self->closed = g_array_new (FALSE, FALSE, sizeof (guint32));

  self->dir = g_dir_make_tmp ("luma-test-bus-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_strdup_printf (bus_config, self->dir);
  config_path = g_build_filename (self->dir, "bus.conf", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  config_arg = g_strconcat ("--config-file=", config_path, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", config_arg,
                                              "--print-address=1", "--nofork", NULL);
  if (self->daemon == NULL)
    g_error ("Cannot start dbus-daemon (package dbus-daemon): %s", error->message);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->daemon));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || *g_strstrip (line) == '\0')
    g_error ("dbus-daemon printed no address");
  self->address = g_steal_pointer (&line);

  self->connection =
    g_dbus_connection_new_for_address_sync (self->address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);

  self->introspection = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);

  /* Method calls are dispatched in the context current at registration: the server thread's. */
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_main_context_push_thread_default (self->context);
  for (guint i = 0; i < G_N_ELEMENTS (self->registration_ids); i++)
    {
      self->registration_ids[i] =
        g_dbus_connection_register_object (self->connection, NOTIFICATIONS_PATH,
                                           self->introspection->interfaces[i], &vtable,
                                           self, NULL, &error);
      g_assert_no_error (error);
    }
  g_main_context_pop_thread_default (self->context);
  self->thread = g_thread_new ("notification-server", server_thread, self);

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", NOTIFICATIONS_NAME, 4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &request_result);
  g_assert_cmpuint (request_result, ==, 1 /* PRIMARY_OWNER */);

  luma_test_notification_server_mark (self);
  return self;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
luma_test_notification_server_stop (LumaTestNotificationServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;

  if (self == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (self->registration_ids); i++)
    g_dbus_connection_unregister_object (self->connection, self->registration_ids[i]);
  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);

  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->introspection, g_dbus_node_info_unref);

  g_subprocess_send_signal (self->daemon, SIGTERM);
  g_subprocess_wait (self->daemon, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&self->daemon);

  dir = g_dir_open (self->dir, 0, NULL);
  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (self->dir, name, NULL);

          g_unlink (path);
        }
    }
  g_rmdir (self->dir);

  g_free (self->dir);
  g_free (self->address);
  g_strfreev (self->marked);
  g_ptr_array_unref (self->notifications);
  g_array_unref (self->closed);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
luma_test_notification_server_get_address (LumaTestNotificationServer *self)
{
  return self->address;
}

/* ---- Synchronising with clients --------------------------------------------------------------- */

static GStrv
list_clients (LumaTestNotificationServer *self)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree const char **names = NULL;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListNames", NULL, G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(^a&s)", &names);
  for (guint i = 0; names[i] != NULL; i++)
    if (names[i][0] == ':')
      g_strv_builder_add (builder, names[i]);
  return g_strv_builder_end (builder);
}

void
luma_test_notification_server_mark (LumaTestNotificationServer *self)
{
  g_strfreev (self->marked);
  self->marked = list_clients (self);
}

void
luma_test_notification_server_sync_with (LumaTestNotificationServer *self,
                                         GDBusConnection            *client)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Calls from one connection to one destination arrive in order and are dispatched in order
   * in the server thread: when this answer comes, everything before it was handled. */
  reply = g_dbus_connection_call_sync (client, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       CONTROL_IFACE, "Sync", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

void
luma_test_notification_server_sync (LumaTestNotificationServer *self)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  /* The bus routes what a client wrote before it handles its disconnection, so once the
   * client's name is gone its calls are queued to the server, ahead of the Sync call below. */
  for (;;)
    {
      g_auto(GStrv) clients = list_clients (self);
      gboolean others = FALSE;

      for (guint i = 0; clients[i] != NULL && !others; i++)
        others = !g_strv_contains ((const char * const *) self->marked, clients[i]);
      if (!others)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("A client of the test bus is still connected after 60 s");
      g_usleep (10 * 1000);
    }

  luma_test_notification_server_sync_with (self, self->connection);
}

GPtrArray *
luma_test_notification_server_take_notifications (LumaTestNotificationServer *self)
{
  GPtrArray *taken;

  g_mutex_lock (&self->lock);
  taken = self->notifications;
  self->notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_test_notification_free);
  g_mutex_unlock (&self->lock);
  return taken;
}

GArray *
luma_test_notification_server_take_closed (LumaTestNotificationServer *self)
{
  GArray *taken;

  g_mutex_lock (&self->lock);
  taken = self->closed;
  self->closed = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_mutex_unlock (&self->lock);
  return taken;
}
