/* luma-credentials.c: API keys and passwords in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-credentials"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libsecret/secret.h>

#include "luma-credentials.h"

G_DEFINE_QUARK (luma-credentials-error-quark, luma_credentials_error)

static const SecretSchema *
credential_schema (void)
{
  static const SecretSchema schema = {
    LUMA_CREDENTIALS_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "tenant", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  return &schema;
}

/* The session-only store, for a desktop without a keyring. */

static GMutex session_lock;
static GHashTable *session_secrets; /* "kind\nserver\naccount" -> secret */

static char *
session_key (const char *server,
             const char *account,
             gboolean    is_password)
{
  return g_strdup_printf ("%s\n%s\n%s", is_password ? "password" : "api-key", server, account);
}

void
luma_credentials_wipe (gpointer data,
                       gsize    len)
{
  /* Unlike memset(), never optimized away before a free. */
  if (data != NULL && len > 0)
    explicit_bzero (data, len);
}

void
luma_credentials_free_secret (char *secret)
{
  if (secret == NULL)
    return;
  luma_credentials_wipe (secret, strlen (secret));
  g_free (secret);
}

char *
luma_credentials_take_env (const char *name)
{
  gsize name_len = strlen (name);
  char *value = getenv (name);
  char *entry;
  char *copy;

  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  /* getenv() points into the "NAME=value" entry: for the environment the process started
   * with, the block /proc/PID/environ reads, which unsetenv() leaves as it was. */
  entry = value - name_len - 1;
  g_unsetenv (name);
  if (strncmp (entry, name, name_len) == 0 && entry[name_len] == '=')
    luma_credentials_wipe (entry, name_len + 1 + strlen (value));
  return copy;
}

static void
secret_string_free (gpointer data)
{
  luma_credentials_free_secret (data);
}

void
luma_credentials_remember_for_session (const char *server,
                                       const char *account,
                                       gboolean    is_password,
                                       const char *secret)
{
  g_return_if_fail (server != NULL && account != NULL);

  g_mutex_lock (&session_lock);
  if (session_secrets == NULL)
    session_secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, secret_string_free);
  if (secret != NULL)
    g_hash_table_replace (session_secrets, session_key (server, account, is_password), g_strdup (secret));
  else
    {
      g_autofree char *key = session_key (server, account, is_password);
      g_hash_table_remove (session_secrets, key);
    }
  g_mutex_unlock (&session_lock);
}

void
luma_credentials_forget_session (void)
{
  g_mutex_lock (&session_lock);
  g_clear_pointer (&session_secrets, g_hash_table_unref);
  g_mutex_unlock (&session_lock);
}

static char *
session_lookup (const char *server,
                const char *account,
                gboolean    is_password)
{
  g_autofree char *key = session_key (server, account, is_password);
  char *secret = NULL;

  g_mutex_lock (&session_lock);
  if (session_secrets != NULL)
    secret = g_strdup (g_hash_table_lookup (session_secrets, key));
  g_mutex_unlock (&session_lock);
  return secret;
}

/* Errors */

static gboolean
is_no_keyring_error (const GError *error)
{
  /* No session bus, or nobody owns org.freedesktop.secrets and nothing can
   * be activated. */
  if (error->domain == G_DBUS_ERROR)
    return error->code == G_DBUS_ERROR_SERVICE_UNKNOWN ||
           error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER ||
           error->code == G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND ||
           error->code == G_DBUS_ERROR_SPAWN_EXEC_FAILED ||
           error->code == G_DBUS_ERROR_SPAWN_CHILD_EXITED ||
           error->code == G_DBUS_ERROR_SPAWN_FAILED ||
           error->code == G_DBUS_ERROR_FILE_NOT_FOUND ||
           error->code == G_DBUS_ERROR_NO_SERVER ||
           error->code == G_DBUS_ERROR_NOT_SUPPORTED;
  if (error->domain == G_IO_ERROR)
    return error->code == G_IO_ERROR_NOT_FOUND ||
           error->code == G_IO_ERROR_CONNECTION_REFUSED ||
           error->code == G_IO_ERROR_NOT_SUPPORTED ||
           error->code == G_IO_ERROR_FAILED; /* "Cannot autolaunch D-Bus without X11" */
  return FALSE;
}

static GError *
map_error (GError *error)
{
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  if (is_no_keyring_error (error))
    mapped = g_error_new (LUMA_CREDENTIALS_ERROR, LUMA_CREDENTIALS_ERROR_NO_KEYRING,
                          "No keyring (Secret Service) is available, so the secret cannot be "
                          "saved; it can be kept for this session only (%s)", error->message);
  else
    mapped = g_error_new (LUMA_CREDENTIALS_ERROR, LUMA_CREDENTIALS_ERROR_FAILED,
                          "The keyring refused the request: %s", error->message);
  g_error_free (error);
  return mapped;
}

/* Store */

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
store_async (const char          *server,
             const char          *account,
             gboolean             is_password,
             const char          *secret,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *label = NULL;

  g_task_set_source_tag (task, source_tag);
  if (is_password)
    {
      label = g_strdup_printf ("Luma superadmin password for %s on %s", account, server);
      secret_password_store (credential_schema (), SECRET_COLLECTION_DEFAULT, label, secret,
                             cancellable, store_cb, task,
                             "server", server, "user", account, NULL);
    }
  else
    {
      label = g_strdup_printf ("Luma API access key for tenant %s on %s", account, server);
      secret_password_store (credential_schema (), SECRET_COLLECTION_DEFAULT, label, secret,
                             cancellable, store_cb, task,
                             "server", server, "tenant", account, NULL);
    }
}

void
luma_credentials_store_api_key_async (const char          *server,
                                      const char          *tenant,
                                      const char          *api_key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (server != NULL && tenant != NULL && api_key != NULL);
  store_async (server, tenant, FALSE, api_key, luma_credentials_store_api_key_async,
               cancellable, callback, user_data);
}

gboolean
luma_credentials_store_api_key_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
luma_credentials_store_password_async (const char          *server,
                                       const char          *user,
                                       const char          *password,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (server != NULL && user != NULL && password != NULL);
  store_async (server, user, TRUE, password, luma_credentials_store_password_async,
               cancellable, callback, user_data);
}

gboolean
luma_credentials_store_password_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Lookup */

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    {
      char *copy = g_strdup (secret);

      secret_password_free (secret);
      g_task_return_pointer (task, copy, secret_string_free);
    }
}

static void
lookup_async (const char          *server,
              const char          *account,
              gboolean             is_password,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  char *remembered = session_lookup (server, account, is_password);

  g_task_set_source_tag (task, source_tag);
  if (remembered != NULL)
    {
      g_task_return_pointer (task, remembered, secret_string_free);
      g_object_unref (task);
      return;
    }
  if (is_password)
    secret_password_lookup (credential_schema (), cancellable, lookup_cb, task,
                            "server", server, "user", account, NULL);
  else
    secret_password_lookup (credential_schema (), cancellable, lookup_cb, task,
                            "server", server, "tenant", account, NULL);
}

void
luma_credentials_lookup_api_key_async (const char          *server,
                                       const char          *tenant,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (server != NULL && tenant != NULL);
  lookup_async (server, tenant, FALSE, luma_credentials_lookup_api_key_async,
                cancellable, callback, user_data);
}

char *
luma_credentials_lookup_api_key_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
luma_credentials_lookup_password_async (const char          *server,
                                        const char          *user,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (server != NULL && user != NULL);
  lookup_async (server, user, TRUE, luma_credentials_lookup_password_async,
                cancellable, callback, user_data);
}

char *
luma_credentials_lookup_password_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear */

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: nothing was stored, which is fine; so is a
   * missing keyring, which cannot hold the secret either. */
  secret_password_clear_finish (result, &error);
  if (error != NULL && !is_no_keyring_error (error))
    {
      g_task_return_error (task, map_error (error));
      return;
    }
  g_clear_error (&error);
  g_task_return_boolean (task, TRUE);
}

static void
clear_async (const char          *server,
             const char          *account,
             gboolean             is_password,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  luma_credentials_remember_for_session (server, account, is_password, NULL);
  if (is_password)
    secret_password_clear (credential_schema (), cancellable, clear_cb, task,
                           "server", server, "user", account, NULL);
  else
    secret_password_clear (credential_schema (), cancellable, clear_cb, task,
                           "server", server, "tenant", account, NULL);
}

void
luma_credentials_clear_api_key_async (const char          *server,
                                      const char          *tenant,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (server != NULL && tenant != NULL);
  clear_async (server, tenant, FALSE, luma_credentials_clear_api_key_async,
               cancellable, callback, user_data);
}

gboolean
luma_credentials_clear_api_key_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
luma_credentials_clear_password_async (const char          *server,
                                       const char          *user,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (server != NULL && user != NULL);
  clear_async (server, user, TRUE, luma_credentials_clear_password_async,
               cancellable, callback, user_data);
}

gboolean
luma_credentials_clear_password_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
