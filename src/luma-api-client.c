/* luma-api-client.c: the client of docs/api.md over libsoup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-api"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "luma-api-client.h"
#include "luma-credentials.h"
#include "luma-json-decode.h"
#include "luma-page-reader-private.h"

#define MAX_RETRY_AFTER_S 120 /* a hostile Retry-After must not park a sync for days */
#define DEFAULT_PAGE_LIMIT 500

struct _LumaApiClient
{
  GObject       parent_instance;

  SoupSession  *session;
  char         *base_url;        /* without a trailing slash */
  char         *host;
  int           port;
  gboolean      insecure;        /* http:// to a host that is not loopback */
  gboolean      allow_insecure;

  char         *tenant;
  char         *api_key;         /* secret */
  char         *username;
  char         *password;        /* secret */
  char         *token;           /* secret */

  GTlsDatabase *extra_ca;

  guint         max_attempts;
  guint         base_ms;
  guint         cap_ms;
  guint         deadline_s;
};

G_DEFINE_FINAL_TYPE (LumaApiClient, luma_api_client, G_TYPE_OBJECT)

typedef enum
{
  CALL_SUBSCRIPTION,
  CALL_CONTACTS,
  CALL_CONSUMPTION,
  CALL_PURCHASES,
  CALL_CONVERSATIONS,
  CALL_LOGIN,
  CALL_TENANTS,
  CALL_REFILL,
} CallKind;

/* What one answer may hold, from docs/api.md: the bytes of its body, and the
 * JSON values (array elements and object members) a tree may be built of.
 * A page of 1,000 records is about 250 kB and 11,000 values; a wide answer
 * of empty objects costs json-glib about 100 times its size, so the values
 * bound the memory and the bytes bound the time to read. */
typedef struct
{
  gsize  max_bytes;
  guint  max_values;
} AnswerBudget;

typedef struct
{
  CallKind             kind;
  const char          *method;
  char                *path;           /* relative to the base URL, with the query */
  GBytes              *body;           /* may hold a password: cleared when done */
  char                *if_none_match;
  char                *if_match;
  char                *idempotency_key;
  GStrv                technical;      /* contacts: what was sent, trimmed */
  GStrv                billing;
  gboolean             platform;       /* needs the bearer token */
  guint                limit;          /* consumption: the most items a page may hold */
  LumaCursorPeekFunc   peek;           /* consumption: told the next cursor early, once */
  gpointer             peek_data;

  guint                attempt;        /* 1-based */
  gboolean             relogged;
  GTlsCertificateFlags tls_errors;
  GSource             *wait_source;
  GSource             *cancel_source;

  /* the answer being read */
  SoupMessage         *msg;
  GInputStream        *stream;
  GByteArray          *buffer;
  AnswerBudget         budget;         /* for the status of this answer */

  /* the attempt under way: cancelled by the task's cancellable or its deadline */
  GCancellable        *attempt_cancellable;
  GCancellable        *task_cancellable;
  gulong               attempt_cancel_id;
  GSource             *deadline_source;
  gboolean             deadline_hit;

  /* results besides the value */
  char                *etag;
  LumaContacts        *server_contacts;
  GPtrArray           *field_errors;
} Call;

static void
wipe_bytes (GBytes *bytes)
{
  if (bytes != NULL)
    {
      gsize len;
      char *data = (char *) g_bytes_get_data (bytes, &len);

      /* The body of a login holds the password. */
      luma_credentials_wipe (data, len);
      g_bytes_unref (bytes);
    }
}

static void attempt_end (Call *call);

static void
call_free (Call *call)
{
  attempt_end (call);
  if (call->wait_source != NULL)
    {
      g_source_destroy (call->wait_source);
      g_source_unref (call->wait_source);
    }
  if (call->cancel_source != NULL)
    {
      g_source_destroy (call->cancel_source);
      g_source_unref (call->cancel_source);
    }
  g_clear_object (&call->stream);
  g_clear_pointer (&call->buffer, g_byte_array_unref);
  g_clear_object (&call->msg);
  g_free (call->path);
  wipe_bytes (call->body);
  g_free (call->if_none_match);
  g_free (call->if_match);
  g_free (call->idempotency_key);
  g_strfreev (call->technical);
  g_strfreev (call->billing);
  g_free (call->etag);
  g_clear_pointer (&call->server_contacts, luma_contacts_free);
  g_clear_pointer (&call->field_errors, g_ptr_array_unref);
  g_free (call);
}

static void
secret_free (char *secret)
{
  luma_credentials_free_secret (secret);
}

static void
luma_api_client_finalize (GObject *object)
{
  LumaApiClient *self = (LumaApiClient *) object;

  g_clear_object (&self->session);
  g_clear_object (&self->extra_ca);
  g_free (self->base_url);
  g_free (self->host);
  g_free (self->tenant);
  g_free (self->username);
  secret_free (self->api_key);
  secret_free (self->password);
  secret_free (self->token);

  G_OBJECT_CLASS (luma_api_client_parent_class)->finalize (object);
}

static void
luma_api_client_class_init (LumaApiClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = luma_api_client_finalize;
}

static void
luma_api_client_init (LumaApiClient *self)
{
  /* SoupSession in libsoup 3 decodes gzip by default (SoupContentDecoder). */
  self->session = soup_session_new_with_options ("user-agent", "luma-subscription/" PACKAGE_VERSION,
                                                 "timeout", LUMA_API_CLIENT_DEFAULT_TIMEOUT,
                                                 "idle-timeout", 60,
                                                 NULL);
  self->max_attempts = LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS;
  self->base_ms = LUMA_API_CLIENT_DEFAULT_BASE_MS;
  self->cap_ms = LUMA_API_CLIENT_DEFAULT_CAP_MS;
  self->deadline_s = LUMA_API_CLIENT_DEFAULT_DEADLINE;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

LumaApiClient *
luma_api_client_new (const char  *base_url,
                     GError     **error)
{
  g_autoptr(LumaApiClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);

  uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: %s", base_url, local_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if ((g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_URL,
                   "“%s” is not an https:// server address", base_url);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_URL,
                   "A server address has no user, query or fragment part");
      return NULL;
    }

  self = g_object_new (LUMA_TYPE_API_CLIENT, NULL);
  self->base_url = g_strdup (base_url);
  len = strlen (self->base_url);
  while (len > 0 && self->base_url[len - 1] == '/')
    self->base_url[--len] = '\0';
  self->host = g_strdup (g_uri_get_host (uri));
  self->port = g_uri_get_port (uri);
  self->insecure = g_ascii_strcasecmp (scheme, "http") == 0 && !host_is_loopback (self->host);
  /* A server on this machine is never reached through a proxy. */
  if (host_is_loopback (self->host))
    soup_session_set_proxy_resolver (self->session, NULL);

  return g_steal_pointer (&self);
}

const char *
luma_api_client_get_base_url (LumaApiClient *self)
{
  g_return_val_if_fail (LUMA_IS_API_CLIENT (self), NULL);
  return self->base_url;
}

gboolean
luma_api_client_is_insecure (LumaApiClient *self)
{
  g_return_val_if_fail (LUMA_IS_API_CLIENT (self), FALSE);
  return self->insecure;
}

void
luma_api_client_set_allow_insecure_http (LumaApiClient *self,
                                         gboolean       allow)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  self->allow_insecure = !!allow;
}

static void
set_secret (char      **field,
            const char *value)
{
  secret_free (*field);
  *field = g_strdup (value);
}

void
luma_api_client_set_tenant_credentials (LumaApiClient *self,
                                        const char    *external_id,
                                        const char    *api_key)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  g_free (self->tenant);
  self->tenant = g_strdup (external_id);
  set_secret (&self->api_key, api_key);
  g_clear_pointer (&self->username, g_free);
  set_secret (&self->password, NULL);
  set_secret (&self->token, NULL);
}

void
luma_api_client_set_superadmin_credentials (LumaApiClient *self,
                                            const char    *username,
                                            const char    *password)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  g_free (self->username);
  self->username = g_strdup (username);
  set_secret (&self->password, password);
  set_secret (&self->token, NULL);
  set_secret (&self->api_key, NULL);
}

void
luma_api_client_set_tenant (LumaApiClient *self,
                            const char    *external_id)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  g_free (self->tenant);
  self->tenant = g_strdup (external_id);
}

const char *
luma_api_client_get_tenant (LumaApiClient *self)
{
  g_return_val_if_fail (LUMA_IS_API_CLIENT (self), NULL);
  return self->tenant;
}

gboolean
luma_api_client_is_superadmin (LumaApiClient *self)
{
  g_return_val_if_fail (LUMA_IS_API_CLIENT (self), FALSE);
  return self->username != NULL;
}

gboolean
luma_api_client_set_ca_file (LumaApiClient  *self,
                             const char     *path,
                             GError        **error)
{
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LUMA_IS_API_CLIENT (self), FALSE);

  if (path == NULL)
    {
      /* A kept-alive connection was verified with the old trust: drop the
       * open connections so the next request verifies again (requests in
       * flight end as cancelled). */
      if (self->extra_ca != NULL)
        {
          g_clear_object (&self->extra_ca);
          soup_session_abort (self->session);
        }
      return TRUE;
    }
  db = g_tls_file_database_new (path, &local_error);
  if (db == NULL)
    {
      g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS,
                   "Cannot use the certificate authority file “%s”: %s", path, local_error->message);
      return FALSE;
    }
  g_set_object (&self->extra_ca, db);
  soup_session_abort (self->session);
  return TRUE;
}

void
luma_api_client_set_timeout (LumaApiClient *self,
                             guint          seconds)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  if (soup_session_get_timeout (self->session) == seconds)
    return;
  soup_session_set_timeout (self->session, seconds);
  /* A kept-alive connection goes on with the time-out it was opened with. */
  soup_session_abort (self->session);
}

void
luma_api_client_set_deadline (LumaApiClient *self,
                              guint          seconds)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  self->deadline_s = seconds;
}

void
luma_api_client_set_retry_policy (LumaApiClient *self,
                                  guint          max_attempts,
                                  guint          base_ms,
                                  guint          cap_ms)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  self->max_attempts = MAX (max_attempts, 1);
  self->base_ms = base_ms;
  self->cap_ms = MAX (cap_ms, base_ms);
}

/* Error messages */

/* The server's message may echo what was sent; keep the secrets out. */
static char *
scrub (LumaApiClient *self,
       const char    *text)
{
  const char *secrets[] = { self->api_key, self->password, self->token };
  g_autoptr(GString) s = g_string_new (text);

  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (secrets[i] != NULL && *secrets[i] != '\0')
      g_string_replace (s, secrets[i], "***", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static const char *
describe_code (const char *code)
{
  static const struct { const char *code; const char *text; } texts[] = {
    { "UNAUTHENTICATED", "The server did not accept the API access key for this tenant" },
    { "INVALID_CREDENTIALS", "The server refused the user name or password" },
    { "TOKEN_EXPIRED", "The sign-in expired and signing in again did not help" },
    { "KEY_INACTIVE", "The server refused the API access key (inactive key)" },
    { "WRONG_TENANT", "The API access key belongs to another tenant" },
    { "PERMISSION_DENIED", "The API access key lacks the Tenant Settings permission" },
    { "TENANT_KEY_ON_PLATFORM", "A tenant API access key cannot be used for superadmin functions" },
    { "NOT_FOUND", "The tenant, session or user does not exist" },
    { "METHOD_NOT_ALLOWED", "The server does not offer this function" },
    { "BELOW_CONSUMED", "The removal would bring the total purchase below the licenses already consumed" },
    { "IDEMPOTENCY_KEY_REUSED", "This refill was already sent with different values" },
    { "VERSION_MISMATCH", "Someone else changed the email lists meanwhile" },
    { "VALIDATION_FAILED", "The server refused some of the values" },
    { "PRECONDITION_REQUIRED", "The request lacked its version (If-Match)" },
    { "RATE_LIMITED", "The server is busy (rate limited); try again later" },
    { "SERVER_ERROR", "The server had an internal error" },
    { "UNAVAILABLE", "The server is unavailable" },
    { "INVALID_CURSOR", "The stored sync position is not valid for this tenant" },
    { "INVALID_PARAMETER", "The server refused a parameter of the request" },
    { "INVALID_BODY", "The server refused the request body" },
    { "IDEMPOTENCY_KEY_REQUIRED", "The refill was sent without its idempotency key" },
  };

  if (code != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
      if (strcmp (texts[i].code, code) == 0)
        return texts[i].text;
  return NULL;
}

static LumaApiError
code_for_status (guint       status,
                 const char *server_code)
{
  switch (status)
    {
    case 400:
      return g_strcmp0 (server_code, "INVALID_CURSOR") == 0 ? LUMA_API_ERROR_INVALID_CURSOR
                                                           : LUMA_API_ERROR_BAD_REQUEST;
    case 401: return LUMA_API_ERROR_AUTH;
    case 403: return LUMA_API_ERROR_FORBIDDEN;
    case 404: return LUMA_API_ERROR_NOT_FOUND;
    case 409: return LUMA_API_ERROR_CONFLICT;
    case 412: return LUMA_API_ERROR_VERSION_MISMATCH;
    case 422: return LUMA_API_ERROR_VALIDATION;
    case 429: return LUMA_API_ERROR_RATE_LIMITED;
    default:
      if (status >= 500)
        return LUMA_API_ERROR_SERVER;
      return LUMA_API_ERROR_BAD_REQUEST;
    }
}

static GError *
error_from_answer (LumaApiClient *self,
                   guint          status,
                   const char    *reason,
                   GPtrArray     *errors)
{
  const char *server_code = NULL;
  const char *server_message = NULL;
  const char *text;
  g_autofree char *scrubbed = NULL;

  if (errors != NULL && errors->len > 0)
    {
      LumaFieldError *first = g_ptr_array_index (errors, 0);

      server_code = first->code;
      server_message = first->message;
      /* On a 422 the first error only says VALIDATION_FAILED. */
      if (server_message == NULL && errors->len > 1)
        server_message = ((LumaFieldError *) g_ptr_array_index (errors, 1))->message;
    }

  text = describe_code (server_code);
  scrubbed = scrub (self, server_message ? server_message : (reason ? reason : ""));
  return luma_api_error_new_full (code_for_status (status, server_code), server_code, status,
                                  "%s (HTTP %u%s%s%s%s)",
                                  text ? text : "The server refused the request",
                                  status,
                                  server_code ? ", " : "", server_code ? server_code : "",
                                  *scrubbed ? ": " : "", scrubbed);
}

static char *
describe_tls_errors (GTlsCertificateFlags flags)
{
  g_autoptr(GString) s = g_string_new (NULL);
  static const struct { GTlsCertificateFlags flag; const char *text; } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a known certificate authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it does not match the server name (bad identity)" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      {
        if (s->len > 0)
          g_string_append (s, "; ");
        g_string_append (s, reasons[i].text);
      }
  if (s->len == 0)
    g_string_append (s, "it could not be verified");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Decoding, in a worker thread */

typedef struct
{
  CallKind   kind;
  guint      status;
  GBytes    *body;
  guint      max_values;
} DecodeJob;

typedef struct
{
  gpointer        value;
  GDestroyNotify  value_free;
  GPtrArray      *errors;          /* envelope errors */
  LumaContacts   *server_contacts; /* 412 */
  char           *token;           /* login: secret */
  GError         *envelope_error;  /* the body is not a complete envelope: retry */
  GError         *budget_error;    /* more values than the answer can hold: do not retry */
  GError         *decode_error;    /* resultData does not follow the contract */
} DecodeResult;

static void
decode_job_free (DecodeJob *job)
{
  g_bytes_unref (job->body);
  g_free (job);
}

static void
decode_result_free (DecodeResult *result)
{
  if (result->value != NULL && result->value_free != NULL)
    result->value_free (result->value);
  g_clear_pointer (&result->errors, g_ptr_array_unref);
  g_clear_pointer (&result->server_contacts, luma_contacts_free);
  secret_free (result->token);
  g_clear_error (&result->envelope_error);
  g_clear_error (&result->budget_error);
  g_clear_error (&result->decode_error);
  g_free (result);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DecodeJob *job = task_data;
  DecodeResult *result = g_new0 (DecodeResult, 1);
  g_autoptr(JsonNode) node = NULL;

  /* The hot path of a sync: pages read in one pass, without a JSON tree. */
  if (job->kind == CALL_CONSUMPTION && job->status >= 200 && job->status < 300)
    {
      result->value = luma_consumption_page_read_fast (job->body, job->status);
      result->value_free = (GDestroyNotify) luma_consumption_page_free;
      if (result->value != NULL)
        goto out;
      /* Not a page the fast reader expects: below, within the budget of the
       * answer, the strict decoders tell a broken body (retried) from one
       * that breaks the contract (not retried). */
    }

  /* Before any tree is built: a wide answer would take gigabytes. */
  if (!luma_json_check_budget (job->body, job->max_values, &result->budget_error))
    goto out;

  node = luma_envelope_parse (job->body, job->status, &result->errors, &result->envelope_error);
  if (node == NULL)
    goto out;

  if (job->status >= 200 && job->status < 300)
    {
      switch (job->kind)
        {
        case CALL_SUBSCRIPTION:
        case CALL_CONTACTS:
          result->value = luma_subscription_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) luma_subscription_free;
          break;
        case CALL_CONSUMPTION:
          result->value = luma_consumption_page_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) luma_consumption_page_free;
          break;
        case CALL_PURCHASES:
          result->value = luma_purchase_list_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) g_ptr_array_unref;
          break;
        case CALL_CONVERSATIONS:
          result->value = luma_conversation_list_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) g_ptr_array_unref;
          break;
        case CALL_TENANTS:
          result->value = luma_tenant_page_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) luma_tenant_page_free;
          break;
        case CALL_REFILL:
          result->value = luma_refill_result_from_json (node, &result->decode_error);
          result->value_free = (GDestroyNotify) luma_refill_result_free;
          break;
        case CALL_LOGIN:
          {
            LumaLoginResult *login = luma_login_result_from_json (node, &result->decode_error);

            if (login != NULL)
              {
                result->token = g_steal_pointer (&login->token);
                luma_login_result_free (login);
                result->value = GINT_TO_POINTER (TRUE);
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  else if (job->status == 412 && JSON_NODE_HOLDS_OBJECT (node))
    {
      result->server_contacts = luma_contacts_from_json (node, &result->decode_error);
    }

out:
  g_task_return_pointer (task, result, (GDestroyNotify) decode_result_free);
}

#define KB(n) ((gsize) (n) * 1024)
#define MB(n) ((gsize) (n) * 1024 * 1024)

static AnswerBudget
answer_budget (CallKind kind,
               guint    status,
               guint    limit)
{
  gboolean success = status >= 200 && status < 300;

  /* A 412 or 422 of the contacts names their lists or each refused address. */
  if (kind == CALL_CONTACTS && (success || status == 412 || status == 422))
    return (AnswerBudget) { KB (256), 4096 };
  /* Any other failure: an envelope with a few error objects. */
  if (!success)
    return (AnswerBudget) { KB (64), 2048 };

  switch (kind)
    {
    case CALL_CONSUMPTION:
      /* About 11 values a record; room for longer texts and white space. */
      return (AnswerBudget) { MB (4), 32 * MAX (limit, 1) + 256 };
    case CALL_SUBSCRIPTION:
      return (AnswerBudget) { KB (256), 4096 };
    case CALL_PURCHASES:
    case CALL_CONVERSATIONS:
    case CALL_TENANTS:
      /* Lists without a page limit, and pages of up to 1,000 tenants of
       * at most 14 values each: thousands of items fit. */
      return (AnswerBudget) { MB (4), 65536 };
    case CALL_LOGIN:
    case CALL_REFILL:
      return (AnswerBudget) { KB (64), 256 };
    case CALL_CONTACTS:
    default:
      g_assert_not_reached ();
    }
}

static GError *
too_large_error (guint status,
                 gsize max_bytes)
{
  if (max_bytes % MB (1) == 0)
    return luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                    "The server’s answer is larger than %" G_GSIZE_FORMAT " MB "
                                    "(HTTP %u)", max_bytes / MB (1), status);
  return luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                  "The server’s answer is larger than %" G_GSIZE_FORMAT " kB "
                                  "(HTTP %u)", max_bytes / KB (1), status);
}

/* The deadline of one attempt: the per-read time-out of the session restarts
 * with every byte, so a server trickling a byte every few seconds would hold
 * a request for ever without it. */

static void
attempt_task_cancelled_cb (GCancellable *task_cancellable,
                           gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
attempt_deadline_cb (gpointer user_data)
{
  Call *call = user_data;

  g_debug ("%s %s: attempt %u passed its deadline", call->method, call->path, call->attempt);
  call->deadline_hit = TRUE;
  g_clear_pointer (&call->deadline_source, g_source_unref);
  g_cancellable_cancel (call->attempt_cancellable);
  return G_SOURCE_REMOVE;
}

/* Ends the deadline of the attempt under way, if any. */
static void
attempt_end (Call *call)
{
  if (call->deadline_source != NULL)
    {
      g_source_destroy (call->deadline_source);
      g_clear_pointer (&call->deadline_source, g_source_unref);
    }
  if (call->attempt_cancel_id != 0)
    {
      /* Not g_cancellable_disconnect(): this may run inside the handler. */
      g_signal_handler_disconnect (call->task_cancellable, call->attempt_cancel_id);
      call->attempt_cancel_id = 0;
    }
  g_clear_object (&call->task_cancellable);
  g_clear_object (&call->attempt_cancellable);
}

/* The cancellable of a new attempt, cancelled with the task or at the deadline. */
static GCancellable *
attempt_begin (GTask *task)
{
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  attempt_end (call);
  call->deadline_hit = FALSE;
  call->attempt_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->task_cancellable = g_object_ref (cancellable);
      call->attempt_cancel_id = g_cancellable_connect (cancellable,
                                                       G_CALLBACK (attempt_task_cancelled_cb),
                                                       call->attempt_cancellable, NULL);
    }
  if (self->deadline_s > 0)
    {
      call->deadline_source = g_timeout_source_new_seconds (self->deadline_s);
      g_source_set_callback (call->deadline_source, attempt_deadline_cb, call, NULL);
      g_source_attach (call->deadline_source, g_task_get_context (task));
    }
  return call->attempt_cancellable;
}

/* The request cycle */

static void call_send (GTask *task);
static char *tenant_path (LumaApiClient *self, const char *resource, const char *query);
static void login_internal (LumaApiClient *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

static gboolean
wait_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->wait_source, g_source_unref);
  if (call->cancel_source != NULL)
    {
      g_source_destroy (call->cancel_source);
      g_clear_pointer (&call->cancel_source, g_source_unref);
    }
  call_send (task);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->cancel_source, g_source_unref);
  if (call->wait_source != NULL)
    {
      g_source_destroy (call->wait_source);
      g_clear_pointer (&call->wait_source, g_source_unref);
    }
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Returns FALSE when no attempt is left; otherwise the task is sent again
 * after a full-jitter backoff, at least @retry_after_s. */
static gboolean
schedule_retry (GTask *task,
                guint  retry_after_s)
{
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint64 ceiling, delay_ms;

  if (call->attempt >= self->max_attempts)
    return FALSE;
  /* A POST without an Idempotency-Key could be performed twice. Login is
   * the exception: it changes nothing on the server but issues a token. */
  if (g_str_equal (call->method, "POST") && call->idempotency_key == NULL && call->kind != CALL_LOGIN)
    return FALSE;

  ceiling = (guint64) self->base_ms << MIN (call->attempt - 1, 20);
  ceiling = MIN (ceiling, self->cap_ms);
  delay_ms = ceiling > 0 ? (guint64) g_random_double_range (0, (double) ceiling + 1) : 0;
  delay_ms = MAX (delay_ms, (guint64) MIN (retry_after_s, MAX_RETRY_AFTER_S) * 1000);

  g_debug ("%s %s: attempt %u failed, retrying in %" G_GUINT64_FORMAT " ms",
           call->method, call->path, call->attempt, delay_ms);

  call->wait_source = g_timeout_source_new ((guint) delay_ms);
  g_source_set_callback (call->wait_source, wait_done_cb, task, NULL);
  g_source_attach (call->wait_source, g_task_get_context (task));
  if (cancellable != NULL)
    {
      call->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (wait_cancelled_cb), task, NULL);
      g_source_attach (call->cancel_source, g_task_get_context (task));
    }
  return TRUE;
}

static void
fail (GTask  *task,
      GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
relogin_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      fail (task, error);
      return;
    }
  call_send (task);
}

static void
decode_done_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  LumaApiClient *self = LUMA_API_CLIENT (object);
  GTask *decode_task = G_TASK (res);
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  DecodeJob *job = g_task_get_task_data (decode_task);
  guint status = job->status;
  DecodeResult *result;
  guint retry_after = 0;

  result = g_task_propagate_pointer (decode_task, NULL);
  g_assert (result != NULL);

  if (g_task_return_error_if_cancelled (task))
    {
      decode_result_free (result);
      g_object_unref (task);
      return;
    }

  if (result->budget_error != NULL)
    {
      /* The same answer again would be as large: no retry. */
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                           "The server’s answer cannot be read (HTTP %u): %s",
                                           status, result->budget_error->message));
      goto out;
    }

  if (result->envelope_error != NULL)
    {
      /* A body that is not a complete envelope is treated like a 503. */
      g_debug ("%s %s: HTTP %u with a broken body: %s", call->method, call->path,
               status, result->envelope_error->message);
      if (schedule_retry (task, 0))
        goto out;
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                           "The server sent an answer that cannot be read (HTTP %u): %s",
                                           status, result->envelope_error->message));
      goto out;
    }

  if (status >= 200 && status < 300)
    {
      if (result->decode_error != NULL)
        {
          fail (task, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                               "The server’s answer does not follow the protocol: %s",
                                               result->decode_error->message));
          goto out;
        }
      if (call->kind == CALL_LOGIN)
        {
          secret_free (self->token);
          self->token = g_steal_pointer (&result->token);
          g_task_return_boolean (task, TRUE);
          g_object_unref (task);
          goto out;
        }
      if (call->kind == CALL_CONSUMPTION)
        {
          LumaConsumptionPage *page = result->value;

          if (page->items->len > call->limit)
            {
              fail (task, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                                   "The server’s answer does not follow the protocol: "
                                                   "resultData.items: %u items, more than the limit %u",
                                                   page->items->len, call->limit));
              goto out;
            }
        }
      g_task_return_pointer (task, g_steal_pointer (&result->value), result->value_free);
      g_object_unref (task);
      goto out;
    }

  /* A failure envelope */
  {
    const char *server_code = NULL;

    if (result->errors != NULL && result->errors->len > 0)
      server_code = ((LumaFieldError *) g_ptr_array_index (result->errors, 0))->code;

    if (status == 401 && call->platform && !call->relogged &&
        g_strcmp0 (server_code, "TOKEN_EXPIRED") == 0 && call->kind != CALL_LOGIN)
      {
        g_debug ("%s %s: token expired, signing in again", call->method, call->path);
        call->relogged = TRUE;
        secret_free (self->token);
        self->token = NULL;
        login_internal (self, g_task_get_cancellable (task), relogin_cb, task);
        goto out;
      }

    if (status == 429 || status >= 500)
      {
        if (status == 429)
          retry_after = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (decode_task), "retry-after"));
        if (schedule_retry (task, retry_after))
          goto out;
      }

    if (status == 412)
      {
        LumaContacts *server = result->server_contacts;

        /* A retried PUT whose first attempt went through but whose answer
         * was lost meets its own change: that is a success. Read the
         * subscription it produced. */
        if (call->kind == CALL_CONTACTS && call->attempt > 1 && server != NULL &&
            g_strv_equal ((const char *const *) server->technical_emails,
                          (const char *const *) call->technical) &&
            g_strv_equal ((const char *const *) server->billing_emails,
                          (const char *const *) call->billing))
          {
            g_debug ("%s %s: the lost answer had succeeded", call->method, call->path);
            call->method = "GET";
            g_free (call->path);
            call->path = tenant_path (self, "/subscription", "");
            g_clear_pointer (&call->body, g_bytes_unref);
            g_clear_pointer (&call->if_match, g_free);
            call_send (task);
            goto out;
          }
        call->server_contacts = g_steal_pointer (&result->server_contacts);
      }
    if (status == 422 && result->errors != NULL)
      {
        call->field_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_field_error_free);
        for (guint i = 0; i < result->errors->len; i++)
          {
            LumaFieldError *fe = g_ptr_array_index (result->errors, i);

            if (g_strcmp0 (fe->code, "VALIDATION_FAILED") != 0)
              g_ptr_array_add (call->field_errors, luma_field_error_copy (fe));
          }
      }

    fail (task, error_from_answer (self, status, NULL, result->errors));
  }

out:
  decode_result_free (result);
}

/* A failure of the transport: cancelled, TLS, or retried. */
static void
transport_failed (GTask  *task,
                  GError *error) /* owned */
{
  Call *call = g_task_get_task_data (task);
  gboolean deadline_hit = call->deadline_hit;

  g_clear_object (&call->stream);
  g_clear_pointer (&call->buffer, g_byte_array_unref);
  g_clear_object (&call->msg);
  attempt_end (call);

  /* A server that took that long will take as long again: no retry. */
  if (deadline_hit)
    {
      LumaApiClient *self = g_task_get_source_object (task);

      if (!g_task_return_error_if_cancelled (task))
        g_task_return_error (task, luma_api_error_new_full (LUMA_API_ERROR_TIMEOUT, NULL, 0,
                                                            "The server did not complete its answer "
                                                            "within %u s (the deadline of one request)",
                                                            self->deadline_s));
      g_object_unref (task);
      g_error_free (error);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (task, error);
      return;
    }
  if (error->domain == G_TLS_ERROR)
    {
      g_autofree char *why = describe_tls_errors (call->tls_errors);

      fail (task, luma_api_error_new_full (LUMA_API_ERROR_TLS, NULL, 0,
                                           "The server’s certificate is not trusted: %s", why));
      g_error_free (error);
      return;
    }
  g_debug ("%s %s: attempt %u: %s", call->method, call->path, call->attempt, error->message);
  if (schedule_retry (task, 0))
    {
      g_error_free (error);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    fail (task, luma_api_error_new_full (LUMA_API_ERROR_TIMEOUT, NULL, 0,
                                         "The server did not answer in time"));
  else
    fail (task, luma_api_error_new_full (LUMA_API_ERROR_NETWORK, NULL, 0,
                                         "Cannot reach the server: %s", error->message));
  g_error_free (error);
}

/* The nextCursor of a page that says hasMore, read from the end of the raw
 * body (where servers put it) without decoding the page: only a guess, which
 * the caller checks against the decoded page. NULL when not found there. */
static char *
peek_next_cursor (GBytes *body)
{
  static const char key[] = "\"nextCursor\":\"";
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  const char *tail, *found = NULL, *p, *end;
  gsize tail_len;

  if (data == NULL)
    return NULL;
  tail_len = MIN (len, 1024);
  tail = data + len - tail_len;
  end = data + len;
  for (p = tail; (p = g_strstr_len (p, end - p, key)) != NULL; p++)
    found = p;
  if (found == NULL || g_strstr_len (tail, tail_len, "\"hasMore\":true") == NULL)
    return NULL;
  found += sizeof key - 1;
  for (p = found; p < end && *p != '"'; p++)
    if (*p == '\\' || (guchar) *p < 0x20)
      return NULL;
  if (p == end || p == found)
    return NULL;
  return g_strndup (found, p - found);
}

/* The whole body arrived: decode it off the main thread, so a page of 1000
 * records never stalls the UI. */
static void
body_complete (GTask *task)
{
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&call->msg);
  guint status = soup_message_get_status (msg);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  GTask *decode_task;
  DecodeJob *job;

  g_clear_object (&call->stream);
  attempt_end (call);
  g_free (call->etag);
  call->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));

  job = g_new0 (DecodeJob, 1);
  job->kind = call->kind;
  job->status = status;
  job->body = g_byte_array_free_to_bytes (g_steal_pointer (&call->buffer));
  job->max_values = call->budget.max_values;
  if (call->peek != NULL && status >= 200 && status < 300)
    {
      g_autofree char *next = peek_next_cursor (job->body);

      if (next != NULL)
        {
          LumaCursorPeekFunc peek = call->peek;

          /* Once: a retried attempt does not ask again. */
          call->peek = NULL;
          peek (next, call->peek_data);
        }
    }
  decode_task = g_task_new (self, NULL, decode_done_cb, task);
  g_task_set_source_tag (decode_task, body_complete);
  g_task_set_task_data (decode_task, job, (GDestroyNotify) decode_job_free);
  if (status == 429)
    {
      const char *value = soup_message_headers_get_one (headers, "Retry-After");
      guint64 seconds = 0;

      if (value != NULL && g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &seconds, NULL))
        g_object_set_data (G_OBJECT (decode_task), "retry-after", GUINT_TO_POINTER ((guint) seconds));
    }
  g_task_run_in_thread (decode_task, decode_thread);
  g_object_unref (decode_task);
}

static void read_next (GTask *task);

static void
read_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), res, &error);

  if (chunk == NULL)
    {
      transport_failed (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      body_complete (task);
      return;
    }
  if (call->buffer->len + g_bytes_get_size (chunk) > call->budget.max_bytes)
    {
      guint status = soup_message_get_status (call->msg);

      g_clear_object (&call->stream);
      g_clear_pointer (&call->buffer, g_byte_array_unref);
      g_clear_object (&call->msg);
      attempt_end (call);
      fail (task, too_large_error (status, call->budget.max_bytes));
      return;
    }
  g_byte_array_append (call->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  read_next (task);
}

static void
read_next (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   call->attempt_cancellable, read_cb, task);
}

static void
send_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  SoupMessage *msg = call->msg;
  GError *error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (session, res, &error);
  goffset length;
  guint status;

  if (stream == NULL)
    {
      transport_failed (task, error);
      return;
    }

  status = soup_message_get_status (msg);
  g_debug ("%s %s: HTTP %u (attempt %u)", call->method, call->path, status, call->attempt);

  if (status == SOUP_STATUS_NOT_MODIFIED)
    {
      g_clear_object (&call->msg);
      attempt_end (call);
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_NOT_MODIFIED, NULL, 304,
                                           "Not modified"));
      return;
    }

  if (status >= 300 && status < 400)
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Location");
      g_autofree char *shown = g_strndup (location ? location : "", 200);

      g_clear_object (&call->msg);
      attempt_end (call);
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, status,
                                           "The server redirected the request (HTTP %u to “%s”); "
                                           "check the server address", status, shown));
      return;
    }

  /* A hostile or broken server must not make the client hold gigabytes. */
  call->budget = answer_budget (call->kind, status, call->limit);
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  if (length > 0 && (guint64) length > call->budget.max_bytes)
    {
      g_clear_object (&call->msg);
      attempt_end (call);
      fail (task, too_large_error (status, call->budget.max_bytes));
      return;
    }

  call->stream = g_steal_pointer (&stream);
  call->buffer = g_byte_array_sized_new (length > 0 ? (guint) length : 16 * 1024);
  read_next (task);
}

static gboolean
accept_certificate_cb (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTask *task = user_data;
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GSocketConnectable) identity = NULL;
  GTlsCertificateFlags extra_errors;

  call->tls_errors = errors;
  if (self->extra_ca == NULL)
    return FALSE;

  /* Not trusted by the system store: try the configured extra CA. */
  identity = g_network_address_new (self->host, (guint16) self->port);
  extra_errors = g_tls_database_verify_chain (self->extra_ca, certificate,
                                              G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                              identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                              NULL, NULL);
  call->tls_errors = extra_errors;
  return extra_errors == 0;
}

static void
call_send (GTask *task)
{
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (call->platform && self->token == NULL)
    {
      if (self->username == NULL || self->password == NULL)
        {
          fail (task, luma_api_error_new_full (LUMA_API_ERROR_NO_CREDENTIALS, NULL, 0,
                                               "No superadmin user name and password are set"));
          return;
        }
      login_internal (self, g_task_get_cancellable (task), relogin_cb, task);
      return;
    }

  call->attempt++;
  url = g_strconcat (self->base_url, call->path, NULL);
  msg = soup_message_new (call->method, url);
  if (msg == NULL)
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_INVALID_URL, NULL, 0,
                                           "Cannot build a request for the server address"));
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (call->platform)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
      luma_credentials_wipe (auth, strlen (auth));
    }
  else if (call->kind != CALL_LOGIN)
    {
      soup_message_headers_replace (headers, "Luma-api-access-key", self->api_key);
      soup_message_headers_replace (headers, "Luma-tenant-externalId", self->tenant);
    }
  if (call->if_none_match != NULL)
    soup_message_headers_replace (headers, "If-None-Match", call->if_none_match);
  if (call->if_match != NULL)
    soup_message_headers_replace (headers, "If-Match", call->if_match);
  if (call->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", call->idempotency_key);
  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", call->body);

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), task);
  /* A redirect would carry the key to wherever it points. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  g_debug ("%s %s (attempt %u)", call->method, call->path, call->attempt);
  g_clear_object (&call->msg);
  call->msg = g_object_ref (msg);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT,
                           attempt_begin (task), send_cb, task);
}

static GTask *
call_new (LumaApiClient       *self,
          CallKind             kind,
          const char          *method,
          char                *path, /* owned */
          GBytes              *body, /* owned */
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  call->kind = kind;
  call->method = method;
  call->path = path;
  call->body = body;
  call->platform = g_str_has_prefix (path, "/platform/") && kind != CALL_LOGIN;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  return task;
}

/* Checks what every call needs; on failure the task is finished. */
static gboolean
call_check (GTask    *task,
            gboolean  needs_tenant)
{
  LumaApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (self->insecure && !self->allow_insecure)
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_INSECURE_URL, NULL, 0,
                                           "The server address uses unencrypted http:// to another "
                                           "machine; this must be confirmed first"));
      return FALSE;
    }
  if (!call->platform && call->kind != CALL_LOGIN && !needs_tenant)
    return TRUE;
  if (needs_tenant && (self->tenant == NULL || *self->tenant == '\0'))
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_NO_CREDENTIALS, NULL, 0,
                                           "No tenant is selected"));
      return FALSE;
    }
  if (!call->platform && call->kind != CALL_LOGIN && self->api_key == NULL)
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_NO_CREDENTIALS, NULL, 0,
                                           "No API access key is set"));
      return FALSE;
    }
  return TRUE;
}

/* A tenant resource: under /platform/tenants/{id} for a superadmin. */
static char *
tenant_path (LumaApiClient *self,
             const char    *resource,
             const char    *query)
{
  if (self->username != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (self->tenant ? self->tenant : "", NULL, FALSE);

      return g_strconcat ("/platform/tenants/", escaped, resource, query, NULL);
    }
  return g_strconcat (resource, query, NULL);
}

static GBytes *
json_body (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize len;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

static char *
quote_etag (const char *value)
{
  return g_strdup_printf ("\"%s\"", value);
}

/* GET /subscription */

void
luma_api_client_get_subscription_async (LumaApiClient       *self,
                                        const char          *if_none_match,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;
  Call *call;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  task = call_new (self, CALL_SUBSCRIPTION, "GET", tenant_path (self, "/subscription", ""), NULL,
                   luma_api_client_get_subscription_async, cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->if_none_match = g_strdup (if_none_match);
  if (call_check (task, TRUE))
    call_send (task);
}

LumaSubscription *
luma_api_client_get_subscription_finish (LumaApiClient  *self,
                                         GAsyncResult   *result,
                                         char          **etag_out,
                                         GError        **error)
{
  LumaSubscription *value;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_get_subscription_async, NULL);

  value = g_task_propagate_pointer (G_TASK (result), error);
  if (etag_out != NULL)
    {
      Call *call = g_task_get_task_data (G_TASK (result));
      *etag_out = value != NULL ? g_strdup (call->etag) : NULL;
    }
  return value;
}

/* PUT /subscription/contacts */

static GStrv
trimmed_strv (const char *const *values)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autofree char *copy = g_strstrip (g_strdup (values[i]));
      g_strv_builder_add (builder, copy);
    }
  return g_strv_builder_end (builder);
}

static void
add_string_array (JsonBuilder       *builder,
                  const char        *name,
                  const char *const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

void
luma_api_client_update_contacts_async (LumaApiClient       *self,
                                       const char *const   *technical_emails,
                                       const char *const   *billing_emails,
                                       gint64               version,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *version_str = NULL;
  GTask *task;
  Call *call;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  json_builder_begin_object (builder);
  add_string_array (builder, "technicalEmails", technical_emails);
  add_string_array (builder, "billingEmails", billing_emails);
  json_builder_end_object (builder);

  task = call_new (self, CALL_CONTACTS, "PUT", tenant_path (self, "/subscription/contacts", ""),
                   json_body (builder), luma_api_client_update_contacts_async,
                   cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->technical = trimmed_strv (technical_emails);
  call->billing = trimmed_strv (billing_emails);
  version_str = g_strdup_printf ("%" G_GINT64_FORMAT, version);
  call->if_match = quote_etag (version_str);
  if (call_check (task, TRUE))
    call_send (task);
}

LumaSubscription *
luma_api_client_update_contacts_finish (LumaApiClient  *self,
                                        GAsyncResult   *result,
                                        LumaContacts  **server_out,
                                        GPtrArray     **field_errors_out,
                                        GError        **error)
{
  Call *call;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_update_contacts_async, NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (server_out != NULL)
    *server_out = call->server_contacts ? luma_contacts_copy (call->server_contacts) : NULL;
  if (field_errors_out != NULL)
    *field_errors_out = call->field_errors ? g_ptr_array_ref (call->field_errors) : NULL;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GET /subscription/consumption */

void
luma_api_client_get_consumption_page_async (LumaApiClient       *self,
                                            const char          *cursor,
                                            guint                limit,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  luma_api_client_get_consumption_page_full_async (self, cursor, limit, NULL, NULL,
                                                   cancellable, callback, user_data);
}

void
luma_api_client_get_consumption_page_full_async (LumaApiClient       *self,
                                                 const char          *cursor,
                                                 guint                limit,
                                                 LumaCursorPeekFunc   peek,
                                                 gpointer             peek_data,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  g_autoptr(GString) query = g_string_new (NULL);
  GTask *task;
  Call *call;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  if (limit > 0)
    g_string_append_printf (query, "?limit=%u", limit);
  if (cursor != NULL && *cursor != '\0')
    {
      g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);

      g_string_append_printf (query, "%scursor=%s", query->len > 0 ? "&" : "?", escaped);
    }

  task = call_new (self, CALL_CONSUMPTION, "GET",
                   tenant_path (self, "/subscription/consumption", query->str), NULL,
                   luma_api_client_get_consumption_page_async, cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->limit = limit > 0 ? limit : DEFAULT_PAGE_LIMIT;
  call->peek = peek;
  call->peek_data = peek_data;
  if (call_check (task, TRUE))
    call_send (task);
}

LumaConsumptionPage *
luma_api_client_get_consumption_page_finish (LumaApiClient  *self,
                                             GAsyncResult   *result,
                                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_get_consumption_page_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GET /subscription/purchases */

void
luma_api_client_get_purchases_async (LumaApiClient       *self,
                                     const char          *if_none_match,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;
  Call *call;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  task = call_new (self, CALL_PURCHASES, "GET", tenant_path (self, "/subscription/purchases", ""),
                   NULL, luma_api_client_get_purchases_async, cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->if_none_match = g_strdup (if_none_match);
  if (call_check (task, TRUE))
    call_send (task);
}

GPtrArray *
luma_api_client_get_purchases_finish (LumaApiClient  *self,
                                      GAsyncResult   *result,
                                      char          **etag_out,
                                      GError        **error)
{
  GPtrArray *value;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_get_purchases_async, NULL);

  value = g_task_propagate_pointer (G_TASK (result), error);
  if (etag_out != NULL)
    {
      Call *call = g_task_get_task_data (G_TASK (result));
      *etag_out = value != NULL ? g_strdup (call->etag) : NULL;
    }
  return value;
}

/* GET /conversations */

void
luma_api_client_get_conversations_async (LumaApiClient       *self,
                                         LumaLicenseType      license_type,
                                         const char          *record_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *query = NULL;
  GTask *task;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  g_return_if_fail (record_id != NULL);

  escaped = g_uri_escape_string (record_id, NULL, FALSE);
  query = g_strdup_printf ("?%s=%s",
                           license_type == LUMA_LICENSE_TYPE_USER ? "userId" : "sessionId", escaped);
  task = call_new (self, CALL_CONVERSATIONS, "GET", tenant_path (self, "/conversations", query),
                   NULL, luma_api_client_get_conversations_async, cancellable, callback, user_data);
  if (call_check (task, TRUE))
    call_send (task);
}

GPtrArray *
luma_api_client_get_conversations_finish (LumaApiClient  *self,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_get_conversations_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /platform/login */

static void
login_internal (LumaApiClient       *self,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GTask *task;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, self->username ? self->username : "");
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, self->password ? self->password : "");
  json_builder_end_object (builder);

  task = call_new (self, CALL_LOGIN, "POST", g_strdup ("/platform/login"), json_body (builder),
                   luma_api_client_login_async, cancellable, callback, user_data);
  if (self->username == NULL || self->password == NULL)
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_NO_CREDENTIALS, NULL, 0,
                                           "No superadmin user name and password are set"));
      return;
    }
  if (call_check (task, FALSE))
    call_send (task);
}

void
luma_api_client_login_async (LumaApiClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  login_internal (self, cancellable, callback, user_data);
}

gboolean
luma_api_client_login_finish (LumaApiClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_login_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GET /platform/tenants, every page */

/* Far more than any platform has, and a bound on a server whose cursors
 * never end: in pages, and in tenants held (pages of up to 1,000). */
#define MAX_TENANT_PAGES 10000
#define MAX_TENANTS 1000000

typedef struct
{
  GPtrArray  *tenants;  /* LumaTenantSummary* */
  char       *cursor;   /* of the page asked for; NULL for the first */
  GHashTable *cursors;  /* every cursor asked for: a list that comes back is a loop */
  guint       pages;
} ListTenants;

static void
list_tenants_free (ListTenants *list)
{
  g_ptr_array_unref (list->tenants);
  g_hash_table_unref (list->cursors);
  g_free (list->cursor);
  g_free (list);
}

static void list_tenants_page_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
list_tenants_next (GTask *outer)
{
  LumaApiClient *self = g_task_get_source_object (outer);
  ListTenants *list = g_task_get_task_data (outer);
  g_autofree char *escaped = NULL;
  char *path;
  GTask *task;

  /* The first request has no parameters: a server before paging answers
   * it with the whole list. */
  if (list->cursor == NULL)
    path = g_strdup ("/platform/tenants");
  else
    {
      escaped = g_uri_escape_string (list->cursor, NULL, FALSE);
      path = g_strconcat ("/platform/tenants?cursor=", escaped, NULL);
    }
  task = call_new (self, CALL_TENANTS, "GET", path, NULL, list_tenants_next,
                   g_task_get_cancellable (outer), list_tenants_page_cb, outer);
  if (call_check (task, FALSE))
    call_send (task);
}

static void
list_tenants_page_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *outer = user_data;
  ListTenants *list = g_task_get_task_data (outer);
  g_autoptr(LumaTenantPage) page = NULL;
  GError *error = NULL;

  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (page == NULL)
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  list->pages++;
  g_ptr_array_extend_and_steal (list->tenants, g_steal_pointer (&page->items));
  if (!page->has_more)
    {
      g_task_return_pointer (outer, g_ptr_array_ref (list->tenants), (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (outer);
      return;
    }
  if (g_strcmp0 (page->next_cursor, list->cursor) == 0 ||
      (page->next_cursor != NULL && g_hash_table_contains (list->cursors, page->next_cursor)) ||
      list->pages >= MAX_TENANT_PAGES || list->tenants->len >= MAX_TENANTS)
    {
      g_task_return_error (outer, luma_api_error_new_full (LUMA_API_ERROR_PROTOCOL, NULL, 200,
                                                           "The server’s answer does not follow the protocol: "
                                                           "the tenant list does not move forward after %u pages",
                                                           list->pages));
      g_object_unref (outer);
      return;
    }
  g_free (list->cursor);
  list->cursor = g_steal_pointer (&page->next_cursor);
  if (list->cursor != NULL)
    g_hash_table_add (list->cursors, g_strdup (list->cursor));
  list_tenants_next (outer);
}

void
luma_api_client_list_tenants_async (LumaApiClient       *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  ListTenants *list;
  GTask *outer;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, luma_api_client_list_tenants_async);
  list = g_new0 (ListTenants, 1);
  list->tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  list->cursors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (outer, list, (GDestroyNotify) list_tenants_free);
  list_tenants_next (outer);
}

GPtrArray *
luma_api_client_list_tenants_finish (LumaApiClient  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_list_tenants_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /platform/tenants/{id}/refills */

static gboolean
idempotency_key_ok (const char *key)
{
  size_t len = strlen (key);

  if (len < 1 || len > 255)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if ((guchar) key[i] < 0x21 || (guchar) key[i] > 0x7e)
      return FALSE;
  return TRUE;
}

void
luma_api_client_refill_async (LumaApiClient       *self,
                              const char          *external_id,
                              gint64               change,
                              const char          *reason,
                              const char          *reference,
                              const char          *idempotency_key,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *escaped = NULL;
  GTask *task;
  Call *call;

  g_return_if_fail (LUMA_IS_API_CLIENT (self));
  g_return_if_fail (external_id != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "change");
  json_builder_add_int_value (builder, change);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason ? reason : "");
  json_builder_set_member_name (builder, "reference");
  if (reference != NULL)
    json_builder_add_string_value (builder, reference);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  escaped = g_uri_escape_string (external_id, NULL, FALSE);
  task = call_new (self, CALL_REFILL, "POST",
                   g_strconcat ("/platform/tenants/", escaped, "/refills", NULL),
                   json_body (builder), luma_api_client_refill_async,
                   cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  /* One key per intended refill, the same on every retry. */
  call->idempotency_key = idempotency_key ? g_strdup (idempotency_key) : g_uuid_string_random ();
  if (!idempotency_key_ok (call->idempotency_key))
    {
      fail (task, luma_api_error_new_full (LUMA_API_ERROR_BAD_REQUEST, NULL, 0,
                                           "An idempotency key is 1 to 255 printable ASCII characters"));
      return;
    }
  if (call_check (task, FALSE))
    call_send (task);
}

LumaRefillResult *
luma_api_client_refill_finish (LumaApiClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == luma_api_client_refill_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
