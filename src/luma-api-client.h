/* luma-api-client.h: the client of docs/api.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-error.h"
#include "luma-models.h"

G_BEGIN_DECLS

#define LUMA_TYPE_API_CLIENT (luma_api_client_get_type ())

G_DECLARE_FINAL_TYPE (LumaApiClient, luma_api_client, LUMA, API_CLIENT, GObject)

#define LUMA_API_CLIENT_DEFAULT_TIMEOUT      30   /* seconds */
#define LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS 5
#define LUMA_API_CLIENT_DEFAULT_BASE_MS      250
#define LUMA_API_CLIENT_DEFAULT_CAP_MS       8000
#define LUMA_API_CLIENT_DEFAULT_DEADLINE     120  /* seconds */

/* @base_url: e.g. https://luma.example/gateway/api/v1. Fails with
 * LUMA_API_ERROR_INVALID_URL when it is not an absolute http(s) URL. An
 * http:// URL to a host that is not a loopback address is accepted here but
 * every call fails with LUMA_API_ERROR_INSECURE_URL until
 * luma_api_client_set_allow_insecure_http() allows it (after the user
 * confirmed). */
LumaApiClient *luma_api_client_new                         (const char     *base_url,
                                                            GError        **error);
const char    *luma_api_client_get_base_url                (LumaApiClient  *self);
/* TRUE for http:// to a host that is not loopback: ask the user first. */
gboolean       luma_api_client_is_insecure                 (LumaApiClient  *self);
void           luma_api_client_set_allow_insecure_http     (LumaApiClient  *self,
                                                            gboolean        allow);

/* A Tenant Administrator: the key and its tenant. */
void           luma_api_client_set_tenant_credentials      (LumaApiClient  *self,
                                                            const char     *external_id,
                                                            const char     *api_key);
/* A Superadmin: logs in on the first platform call (or luma_api_client_login_async()). */
void           luma_api_client_set_superadmin_credentials  (LumaApiClient  *self,
                                                            const char     *username,
                                                            const char     *password);
/* For a superadmin, the tenant whose resources are asked for (under
 * /platform/tenants/{id}/...). For a tenant admin, same as the external_id
 * of luma_api_client_set_tenant_credentials(). */
void           luma_api_client_set_tenant                  (LumaApiClient  *self,
                                                            const char     *external_id);
const char    *luma_api_client_get_tenant                  (LumaApiClient  *self);
gboolean       luma_api_client_is_superadmin               (LumaApiClient  *self);

/* An extra trusted CA (PEM), in addition to the system store; NULL removes it.
 * A change closes the open connections (requests in flight are cancelled). */
gboolean       luma_api_client_set_ca_file                 (LumaApiClient  *self,
                                                            const char     *path,
                                                            GError        **error);
/* Per read: connecting and waiting for the next bytes of the answer. A
 * change closes the open connections (requests in flight are cancelled), so
 * that every later request has it. */
void           luma_api_client_set_timeout                 (LumaApiClient  *self,
                                                            guint           seconds);
/* The most one attempt of a request may take, from sending it to the last
 * byte of the answer, however the bytes trickle in (0 = none; default
 * LUMA_API_CLIENT_DEFAULT_DEADLINE). An attempt past it fails with
 * LUMA_API_ERROR_TIMEOUT and is not retried. */
void           luma_api_client_set_deadline                (LumaApiClient  *self,
                                                            guint           seconds);
/* max_attempts counts the first try (1 = no retries); waits are
 * random(0, min(cap_ms, base_ms * 2^n)), at least Retry-After. */
void           luma_api_client_set_retry_policy            (LumaApiClient  *self,
                                                            guint           max_attempts,
                                                            guint           base_ms,
                                                            guint           cap_ms);

/* GET /subscription. With @if_none_match equal to the current ETag, fails
 * with LUMA_API_ERROR_NOT_MODIFIED. */
void               luma_api_client_get_subscription_async     (LumaApiClient        *self,
                                                               const char           *if_none_match,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
LumaSubscription  *luma_api_client_get_subscription_finish    (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               char                **etag_out,
                                                               GError              **error);

/* PUT /subscription/contacts with If-Match: "version". On
 * LUMA_API_ERROR_VERSION_MISMATCH @server_out gets the server's lists; on
 * LUMA_API_ERROR_VALIDATION @field_errors_out gets the per-field errors
 * (LumaFieldError*, without the leading VALIDATION_FAILED). */
void               luma_api_client_update_contacts_async      (LumaApiClient        *self,
                                                               const char *const    *technical_emails,
                                                               const char *const    *billing_emails,
                                                               gint64                version,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
LumaSubscription  *luma_api_client_update_contacts_finish     (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               LumaContacts        **server_out,
                                                               GPtrArray           **field_errors_out,
                                                               GError              **error);

/* GET /subscription/consumption. @cursor NULL or "" = from the start;
 * @limit 0 = the server's default. The page is decoded in a worker thread. */
void               luma_api_client_get_consumption_page_async (LumaApiClient        *self,
                                                               const char           *cursor,
                                                               guint                 limit,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
/* Called on the calling thread's main context with the nextCursor of a page
 * whose body arrived, read from the raw bytes before the page is decoded,
 * and only when the page says hasMore: a guess that lets the caller ask for
 * the next page while this one is decoded. The decoded page has the final
 * word; a caller must check that its next_cursor equals the guess. */
typedef void (*LumaCursorPeekFunc) (const char *next_cursor,
                                    gpointer    user_data);

/* As luma_api_client_get_consumption_page_async(), and @peek (may be NULL)
 * is called at most once, before @callback. Finish with
 * luma_api_client_get_consumption_page_finish(). */
void               luma_api_client_get_consumption_page_full_async (LumaApiClient        *self,
                                                                    const char           *cursor,
                                                                    guint                 limit,
                                                                    LumaCursorPeekFunc    peek,
                                                                    gpointer              peek_data,
                                                                    GCancellable         *cancellable,
                                                                    GAsyncReadyCallback   callback,
                                                                    gpointer              user_data);
LumaConsumptionPage *luma_api_client_get_consumption_page_finish (LumaApiClient      *self,
                                                                  GAsyncResult       *result,
                                                                  GError            **error);

/* GET /subscription/purchases -> LumaPurchase*, newest first. */
void               luma_api_client_get_purchases_async        (LumaApiClient        *self,
                                                               const char           *if_none_match,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
GPtrArray         *luma_api_client_get_purchases_finish       (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               char                **etag_out,
                                                               GError              **error);

/* GET /conversations?sessionId=|userId= -> LumaConversation*. */
void               luma_api_client_get_conversations_async    (LumaApiClient        *self,
                                                               LumaLicenseType       license_type,
                                                               const char           *record_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
GPtrArray         *luma_api_client_get_conversations_finish   (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

/* POST /platform/login (superadmin). Done implicitly before the first
 * platform call and again once after 401 TOKEN_EXPIRED. */
void               luma_api_client_login_async                (LumaApiClient        *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           luma_api_client_login_finish               (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

/* GET /platform/tenants -> LumaTenantSummary*, every tenant: follows the
 * pages (docs/api.md §3.2) and returns them all, in the server's order. */
void               luma_api_client_list_tenants_async         (LumaApiClient        *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
GPtrArray         *luma_api_client_list_tenants_finish        (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

/* POST /platform/tenants/{external_id}/refills. @reference nullable;
 * @idempotency_key NULL: a new UUID. The same key is sent on every retry. */
void               luma_api_client_refill_async               (LumaApiClient        *self,
                                                               const char           *external_id,
                                                               gint64                change,
                                                               const char           *reason,
                                                               const char           *reference,
                                                               const char           *idempotency_key,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
LumaRefillResult  *luma_api_client_refill_finish              (LumaApiClient        *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

G_END_DECLS
