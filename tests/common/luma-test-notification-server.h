/* luma-test-notification-server.h: a private D-Bus session with a recording
 * org.freedesktop.Notifications server, for tests of desktop notifications
 *
 * luma_test_notification_server_start() spawns its own dbus-daemon (no
 * service activation, so nothing else can answer) and serves the
 * Desktop Notifications Specification on it from a thread of the test: Notify
 * returns a new id, CloseNotification emits NotificationClosed (reason 3),
 * GetCapabilities and GetServerInformation answer. Every Notify and
 * CloseNotification call is recorded for the test to check.
 *
 * Point clients at it with DBUS_SESSION_BUS_ADDRESS=<address> and
 * GNOTIFICATION_BACKEND=freedesktop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One Notify call as received. */
typedef struct
{
  char     *sender;          /* unique bus name of the caller */
  char     *app_name;
  guint32   replaces_id;
  char     *app_icon;
  char     *summary;
  char     *body;
  GStrv     actions;         /* action key, label, key, label, ... */
  GVariant *hints;           /* a{sv} */
  gint32    expire_timeout;
  guint32   id;              /* the id the server answered */
} LumaTestNotification;

void        luma_test_notification_free            (LumaTestNotification *self);
/* The hint as a string / byte; NULL / -1 when absent or of another type. */
const char *luma_test_notification_get_hint_string (LumaTestNotification *self,
                                                    const char           *name);
gint        luma_test_notification_get_hint_byte   (LumaTestNotification *self,
                                                    const char           *name);
/* The label of the action with that key, or NULL. */
const char *luma_test_notification_get_action      (LumaTestNotification *self,
                                                    const char           *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTestNotification, luma_test_notification_free)

typedef struct _LumaTestNotificationServer LumaTestNotificationServer;

/* Fails the test when dbus-daemon cannot be started or the name cannot be owned. The daemon
 * dies with the test process. */
LumaTestNotificationServer *luma_test_notification_server_start   (void);
/* Terminates the daemon, stops the thread, frees. */
void                        luma_test_notification_server_stop    (LumaTestNotificationServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTestNotificationServer, luma_test_notification_server_stop)

/* "unix:path=...,guid=..." */
const char *luma_test_notification_server_get_address (LumaTestNotificationServer *self);

/* Remembers which clients are connected now; luma_test_notification_server_sync() waits for
 * the ones that connect later to leave. Call it before starting a child process. */
void        luma_test_notification_server_mark    (LumaTestNotificationServer *self);
/* After the child processes started since the mark have exited: waits (up to 60 s, then fails
 * the test) until the bus has seen them disconnect, so everything they sent has been routed,
 * and until the server has handled all of it. No sleeping on a guess: after this, what was
 * not recorded was not sent. */
void        luma_test_notification_server_sync    (LumaTestNotificationServer *self);
/* The same for a client connection of the test process itself: a round trip through the
 * server on @client, so every call @client made before has been handled. */
void        luma_test_notification_server_sync_with (LumaTestNotificationServer *self,
                                                     GDBusConnection            *client);

/* The Notify calls received since the last take (LumaTestNotification *), oldest first. */
GPtrArray  *luma_test_notification_server_take_notifications (LumaTestNotificationServer *self);
/* The ids of the CloseNotification calls received since the last take (guint32). */
GArray     *luma_test_notification_server_take_closed        (LumaTestNotificationServer *self);

G_END_DECLS
