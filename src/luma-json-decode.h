/* luma-json-decode.h: the strict json-glib decoders of the envelope and of
 * every answer of docs/api.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "luma-models.h"

G_BEGIN_DECLS

/* Strict decoders. Each takes the node of the resource and fails with a
 * LUMA_PROTOCOL_ERROR whose message starts with the JSON path of the
 * offending member. Decoders of a whole answer (subscription, contacts,
 * consumption page, purchase list, conversation list, tenant list, refill
 * result, login result) name paths from "resultData"; the decoders of one
 * item, for tests, are in luma-json-decode-private.h. */

LumaSubscription    *luma_subscription_from_json      (JsonNode  *node,
                                                       GError   **error);
LumaContacts        *luma_contacts_from_json          (JsonNode  *node,
                                                       GError   **error);
LumaConsumptionPage *luma_consumption_page_from_json  (JsonNode  *node,
                                                       GError   **error);
/* resultData {"items": [purchase...]} -> GPtrArray of LumaPurchase* */
GPtrArray           *luma_purchase_list_from_json     (JsonNode  *node,
                                                       GError   **error);
/* resultData {"items": [conversation...]} -> GPtrArray of LumaConversation* */
GPtrArray           *luma_conversation_list_from_json (JsonNode  *node,
                                                       GError   **error);
/* resultData {"items": [tenant...]} -> GPtrArray of LumaTenantSummary* */
GPtrArray           *luma_tenant_list_from_json       (JsonNode  *node,
                                                       GError   **error);
/* resultData {"items": [tenant...], "nextCursor": ..., "hasMore": ...}: one
 * page of the tenant list. An answer without hasMore (servers before paging)
 * is the whole list. */
LumaTenantPage      *luma_tenant_page_from_json       (JsonNode  *node,
                                                       GError   **error);
LumaRefillResult    *luma_refill_result_from_json     (JsonNode  *node,
                                                       GError   **error);
LumaLoginResult     *luma_login_result_from_json      (JsonNode  *node,
                                                       GError   **error);

/* The most JSON values (array elements and object members, and the root)
 * luma_envelope_parse() builds a tree of; the API client checks a smaller
 * budget per endpoint first. */
#define LUMA_JSON_MAX_VALUES 131072

/* Counts the values of @body from its bytes, without building a tree, and
 * fails with LUMA_PROTOCOL_ERROR_TOO_LARGE when there are more than
 * @max_values (0 = no limit), or with LUMA_PROTOCOL_ERROR_INVALID_JSON when
 * it nests deeper than json-glib's stack allows. An empty body passes. */
gboolean             luma_json_check_budget           (GBytes     *body,
                                                       guint       max_values,
                                                       GError    **error);

/**
 * luma_envelope_parse:
 * @body: the response body (NULL or empty is an error)
 * @http_status: the HTTP status of the answer; the envelope must agree
 * @errors_out: (out) (optional): the envelope's error objects, LumaFieldError*
 *   (code, field, message), in order; an empty array on success
 * @error: a LUMA_PROTOCOL_ERROR when the body is not JSON
 *   (INVALID_JSON, INVALID_UTF8) or not a well-formed envelope
 *   (INVALID_ENVELOPE), or holds more than LUMA_JSON_MAX_VALUES values
 *   (TOO_LARGE)
 *
 * Checks the envelope of docs/api.md §1 and returns its `resultData`: a new
 * reference to an object node, or to a null node when resultData is null.
 * A failure envelope (4xx/5xx) is not a GError here: look at @errors_out.
 */
JsonNode            *luma_envelope_parse              (GBytes     *body,
                                                       guint       http_status,
                                                       GPtrArray **errors_out,
                                                       GError    **error);

G_END_DECLS
