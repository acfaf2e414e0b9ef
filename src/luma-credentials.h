/* luma-credentials.h: API keys and passwords in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LUMA_CREDENTIALS_SCHEMA_NAME "io.github.lumadesk.Subscription.Credential"

#define LUMA_CREDENTIALS_ERROR (luma_credentials_error_quark ())

typedef enum
{
  LUMA_CREDENTIALS_ERROR_NO_KEYRING, /* no Secret Service on the session bus */
  LUMA_CREDENTIALS_ERROR_FAILED,     /* the keyring answered with an error (locked, refused...) */
} LumaCredentialsError;

GQuark   luma_credentials_error_quark (void);

/* Overwrites @secret (an API key or password, may be NULL) before freeing it, so no copy is
 * left behind in freed memory. The one place secrets are wiped. */
void     luma_credentials_free_secret (char *secret);
/* Overwrites @len bytes at @data (a buffer that held a secret: a request body, a header);
 * what luma_credentials_free_secret() uses. */
void     luma_credentials_wipe        (gpointer    data,
                                       gsize       len);
/* Reads the environment variable @name (LUMA_API_KEY, LUMA_PASSWORD) and removes it from
 * the process: unset, and its bytes overwritten where they were, so neither child processes
 * nor /proc/PID/environ see it. Returns a copy to free with luma_credentials_free_secret(),
 * or NULL when unset. */
char    *luma_credentials_take_env    (const char *name);

/* A tenant API key: attributes server (the base URL) and tenant. */
void     luma_credentials_store_api_key_async        (const char           *server,
                                                      const char           *tenant,
                                                      const char           *api_key,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean luma_credentials_store_api_key_finish       (GAsyncResult         *result,
                                                      GError              **error);
/* Returns the key, NULL with no error when none is stored. Looks at the
 * session-only store first. */
void     luma_credentials_lookup_api_key_async       (const char           *server,
                                                      const char           *tenant,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char    *luma_credentials_lookup_api_key_finish      (GAsyncResult         *result,
                                                      GError              **error);
/* Removes it from the keyring and the session-only store. Nothing stored, or no keyring
 * at all, is no error. */
void     luma_credentials_clear_api_key_async        (const char           *server,
                                                      const char           *tenant,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean luma_credentials_clear_api_key_finish       (GAsyncResult         *result,
                                                      GError              **error);

/* A superadmin password: attributes server and user. */
void     luma_credentials_store_password_async       (const char           *server,
                                                      const char           *user,
                                                      const char           *password,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean luma_credentials_store_password_finish      (GAsyncResult         *result,
                                                      GError              **error);
void     luma_credentials_lookup_password_async      (const char           *server,
                                                      const char           *user,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char    *luma_credentials_lookup_password_finish     (GAsyncResult         *result,
                                                      GError              **error);
void     luma_credentials_clear_password_async       (const char           *server,
                                                      const char           *user,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean luma_credentials_clear_password_finish      (GAsyncResult         *result,
                                                      GError              **error);

/* The fallback when there is no keyring (LUMA_CREDENTIALS_ERROR_NO_KEYRING):
 * keep the secret in memory for this process only. @is_password FALSE: an
 * API key (@account is the tenant); TRUE: a password (@account is the user). */
void     luma_credentials_remember_for_session       (const char           *server,
                                                      const char           *account,
                                                      gboolean              is_password,
                                                      const char           *secret);
void     luma_credentials_forget_session             (void);

G_END_DECLS
