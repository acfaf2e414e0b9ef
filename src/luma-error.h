/* luma-error.h: error domains of the core library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LumaProtocolError:
 *
 * What the server sent does not follow docs/api.md. The message of such
 * an error always names the JSON path of the offending member, for
 * example `resultData.items[17].startedOn: expected an ISO 8601 date-time
 * with offset`.
 */
#define LUMA_PROTOCOL_ERROR (luma_protocol_error_quark ())

typedef enum
{
  LUMA_PROTOCOL_ERROR_INVALID_JSON,     /* not JSON at all, or truncated */
  LUMA_PROTOCOL_ERROR_MISSING_FIELD,    /* a required member is absent */
  LUMA_PROTOCOL_ERROR_WRONG_TYPE,       /* e.g. a string where a number belongs */
  LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,     /* negative count, >= 2^53, change 0 ... */
  LUMA_PROTOCOL_ERROR_INVALID_UTF8,     /* a string that is not valid UTF-8 */
  LUMA_PROTOCOL_ERROR_INVALID_VALUE,    /* unknown enum value, bad date, bad id */
  LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE, /* status/statusCode/errors/resultData wrong */
  LUMA_PROTOCOL_ERROR_TOO_LARGE,        /* more JSON values than the answer can hold */
} LumaProtocolError;

GQuark luma_protocol_error_quark (void);

/**
 * LumaApiError:
 *
 * Why a call to the server failed, in terms of what the caller can do about
 * it. The server's own error code (e.g. `KEY_INACTIVE`) and the HTTP status
 * are kept with the error: see luma_api_error_get_server_code() and
 * luma_api_error_get_http_status(). Messages never contain an API key,
 * password or bearer token.
 */
#define LUMA_API_ERROR (luma_api_error_quark ())

typedef enum
{
  LUMA_API_ERROR_NETWORK,          /* cannot connect, connection lost: offline */
  LUMA_API_ERROR_TLS,              /* certificate not trusted; the message says why */
  LUMA_API_ERROR_TIMEOUT,          /* no answer in time */
  LUMA_API_ERROR_AUTH,             /* 401: wrong key, wrong password: ask the user */
  LUMA_API_ERROR_FORBIDDEN,        /* 403: inactive key, wrong tenant, no permission */
  LUMA_API_ERROR_NOT_FOUND,        /* 404 */
  LUMA_API_ERROR_CONFLICT,         /* 409: BELOW_CONSUMED, IDEMPOTENCY_KEY_REUSED */
  LUMA_API_ERROR_VERSION_MISMATCH, /* 412: the contacts changed meanwhile */
  LUMA_API_ERROR_VALIDATION,       /* 422: see the field errors */
  LUMA_API_ERROR_RATE_LIMITED,     /* 429 after every retry */
  LUMA_API_ERROR_SERVER,           /* 5xx after every retry */
  LUMA_API_ERROR_PROTOCOL,         /* the answer does not follow the contract */
  LUMA_API_ERROR_BAD_REQUEST,      /* 400 other than INVALID_CURSOR, 405, 428: a client bug */
  LUMA_API_ERROR_INVALID_CURSOR,   /* 400 INVALID_CURSOR: drop the cursor, sync from the start */
  LUMA_API_ERROR_NOT_MODIFIED,     /* 304: keep the cached copy */
  LUMA_API_ERROR_INSECURE_URL,     /* http:// to a host that is not loopback, not allowed */
  LUMA_API_ERROR_INVALID_URL,      /* the server address cannot be used */
  LUMA_API_ERROR_NO_CREDENTIALS,   /* no API key / password configured for this call */
} LumaApiError;

GQuark       luma_api_error_quark           (void);

/* The server's error code (e.g. "KEY_INACTIVE") of an error in LUMA_API_ERROR,
 * or NULL when the server sent none (network errors, 304...). */
const char  *luma_api_error_get_server_code (const GError *error);

/* The HTTP status of the answer that caused an error in LUMA_API_ERROR, or 0
 * when there was no answer. */
guint        luma_api_error_get_http_status (const GError *error);

/* Internal helper for the client: a LUMA_API_ERROR error carrying the server
 * code and HTTP status. */
GError      *luma_api_error_new_full        (LumaApiError  code,
                                             const char   *server_code,
                                             guint         http_status,
                                             const char   *format,
                                             ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
