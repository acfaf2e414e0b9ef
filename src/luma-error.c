/* luma-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>

#include "luma-error.h"

G_DEFINE_QUARK (luma-protocol-error-quark, luma_protocol_error)

/* An extended error domain, so the server's code and the HTTP status travel
 * with the GError through GTask and g_propagate_error(). */
typedef struct
{
  char  *server_code;
  guint  http_status;
} LumaApiErrorPrivate;

static void
luma_api_error_private_init (LumaApiErrorPrivate *priv)
{
  priv->server_code = NULL;
  priv->http_status = 0;
}

static void
luma_api_error_private_copy (const LumaApiErrorPrivate *src,
                             LumaApiErrorPrivate       *dest)
{
  dest->server_code = g_strdup (src->server_code);
  dest->http_status = src->http_status;
}

static void
luma_api_error_private_clear (LumaApiErrorPrivate *priv)
{
  g_clear_pointer (&priv->server_code, g_free);
}

G_DEFINE_EXTENDED_ERROR (LumaApiError, luma_api_error)

const char *
luma_api_error_get_server_code (const GError *error)
{
  LumaApiErrorPrivate *priv;

  if (error == NULL || error->domain != LUMA_API_ERROR)
    return NULL;
  priv = luma_api_error_get_private (error);
  return priv != NULL ? priv->server_code : NULL;
}

guint
luma_api_error_get_http_status (const GError *error)
{
  LumaApiErrorPrivate *priv;

  if (error == NULL || error->domain != LUMA_API_ERROR)
    return 0;
  priv = luma_api_error_get_private (error);
  return priv != NULL ? priv->http_status : 0;
}

GError *
luma_api_error_new_full (LumaApiError  code,
                         const char   *server_code,
                         guint         http_status,
                         const char   *format,
                         ...)
{
  g_autofree char *message = NULL;
  LumaApiErrorPrivate *priv;
  GError *error;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  error = g_error_new_literal (LUMA_API_ERROR, code, message);
  priv = luma_api_error_get_private (error);
  priv->server_code = g_strdup (server_code);
  priv->http_status = http_status;
  return error;
}
