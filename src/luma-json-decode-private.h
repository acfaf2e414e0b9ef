/* luma-json-decode-private.h: the decoders of one item of an answer, for
 * the tests and the fuzzers (the API client decodes whole answers)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-json-decode.h"

G_BEGIN_DECLS

/* As the decoders of luma-json-decode.h, but error paths are relative to
 * the item (e.g. "startedOn"). */

LumaSessionRecord   *luma_session_record_from_json    (JsonNode  *node,
                                                       GError   **error);
LumaUserRecord      *luma_user_record_from_json       (JsonNode  *node,
                                                       GError   **error);
LumaPurchase        *luma_purchase_from_json          (JsonNode  *node,
                                                       GError   **error);
LumaMessage         *luma_message_from_json           (JsonNode  *node,
                                                       GError   **error);
LumaConversation    *luma_conversation_from_json      (JsonNode  *node,
                                                       GError   **error);
LumaTenantSummary   *luma_tenant_summary_from_json    (JsonNode  *node,
                                                       GError   **error);

G_END_DECLS
