/* fuzz-json.c: libFuzzer target for one strict JSON decoder of luma-json-decode.h
 *
 * Built once per decoder (FUZZ_SUBSCRIPTION, FUZZ_CONTACTS, ...). The input
 * is the `resultData` JSON; when json-glib reads it, the decoder either
 * returns a value that keeps every promise of the contract (fuzz-common.h;
 * the item decoders are reached through the list decoders too) or fails with
 * LUMA_PROTOCOL_ERROR and a message that starts with "resultData". The public
 * one-item decoders (luma_session_record_from_json() ...) get the same input
 * in the target of their list.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-common.h"
#include "luma-json-decode-private.h"

/* A one-item decoder: paths are relative to the item, so only the domain and
 * the UTF-8 of the message are checked. */
#define DECODE_ITEM(type, decoder, check)                    \
  G_STMT_START {                                             \
    g_autoptr(GError) item_error = NULL;                     \
    g_autoptr(type) item = decoder (node, &item_error);      \
                                                             \
    if (item != NULL)                                        \
      check;                                                 \
    else                                                     \
      fuzz_check_error (item_error, NULL);                   \
  } G_STMT_END

static void
decode_items (JsonNode *node)
{
#if defined(FUZZ_CONSUMPTION_PAGE)
  DECODE_ITEM (LumaSessionRecord, luma_session_record_from_json, fuzz_check_session (item));
  DECODE_ITEM (LumaUserRecord, luma_user_record_from_json, fuzz_check_user (item));
#elif defined(FUZZ_PURCHASES)
  DECODE_ITEM (LumaPurchase, luma_purchase_from_json, fuzz_check_purchase (item));
#elif defined(FUZZ_CONVERSATIONS)
  DECODE_ITEM (LumaConversation, luma_conversation_from_json, fuzz_check_conversation (item));
  DECODE_ITEM (LumaMessage, luma_message_from_json, fuzz_check_message (item));
#elif defined(FUZZ_TENANTS)
  DECODE_ITEM (LumaTenantSummary, luma_tenant_summary_from_json, fuzz_check_tenant (item));
#else
  (void) node;
#endif
}

static void
decode (JsonNode *node)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

#if defined(FUZZ_SUBSCRIPTION)
  g_autoptr(LumaSubscription) s = luma_subscription_from_json (node, &error);

  ok = s != NULL;
  if (ok)
    {
      g_autoptr(LumaSubscription) copy = luma_subscription_copy (s);

      fuzz_check_subscription (s);
      fuzz_check_subscription (copy);
    }
#elif defined(FUZZ_CONTACTS)
  g_autoptr(LumaContacts) c = luma_contacts_from_json (node, &error);

  ok = c != NULL;
  if (ok)
    {
      fuzz_check_strv (c->technical_emails);
      fuzz_check_strv (c->billing_emails);
      fuzz_check_count (c->version);
    }
#elif defined(FUZZ_CONSUMPTION_PAGE)
  g_autoptr(LumaConsumptionPage) p = luma_consumption_page_from_json (node, &error);

  ok = p != NULL;
  if (ok)
    fuzz_check_page (p);
#elif defined(FUZZ_PURCHASES)
  g_autoptr(GPtrArray) list = luma_purchase_list_from_json (node, &error);

  ok = list != NULL;
  for (guint i = 0; ok && i < list->len; i++)
    {
      g_autoptr(LumaPurchase) copy = luma_purchase_copy (g_ptr_array_index (list, i));

      fuzz_check_purchase (g_ptr_array_index (list, i));
      fuzz_check_purchase (copy);
    }
#elif defined(FUZZ_CONVERSATIONS)
  g_autoptr(GPtrArray) list = luma_conversation_list_from_json (node, &error);

  ok = list != NULL;
  for (guint i = 0; ok && i < list->len; i++)
    {
      g_autoptr(LumaConversation) copy = luma_conversation_copy (g_ptr_array_index (list, i));

      fuzz_check_conversation (g_ptr_array_index (list, i));
      fuzz_check_conversation (copy);
    }
#elif defined(FUZZ_TENANTS)
  g_autoptr(GPtrArray) list = luma_tenant_list_from_json (node, &error);

  ok = list != NULL;
  for (guint i = 0; ok && i < list->len; i++)
    fuzz_check_tenant (g_ptr_array_index (list, i));
#elif defined(FUZZ_REFILL)
  g_autoptr(LumaRefillResult) r = luma_refill_result_from_json (node, &error);

  ok = r != NULL;
  if (ok)
    {
      g_assert (r->purchase != NULL);
      fuzz_check_purchase (r->purchase);
      fuzz_check_counts (r->total_purchase, r->consumed, r->available, r->overage);
    }
#elif defined(FUZZ_LOGIN)
  g_autoptr(LumaLoginResult) l = luma_login_result_from_json (node, &error);

  ok = l != NULL;
  if (ok)
    {
      g_assert (l->token != NULL && *l->token != '\0');
      fuzz_check_text (l->token, FALSE);
      g_assert (l->expires_in > 0);
      fuzz_check_time (l->expires_at);
    }
#else
#error "define which decoder to fuzz"
#endif

  if (ok)
    g_assert (error == NULL);
  else
    fuzz_check_error (error, "resultData");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = NULL;

  fuzz_quiet_logs ();
  if (size == 0)
    return 0;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL))
    return 0;
  if (json_parser_get_root (parser) == NULL)
    return 0;
  decode (json_parser_get_root (parser));
  decode_items (json_parser_get_root (parser));
  return 0;
}
