/* fuzz-consumption-bytes.c: libFuzzer target for luma_consumption_page_from_bytes()
 *
 * The sync engine reads every page of the change feed with a fast reader
 * that builds no JSON tree and falls back to the strict decoders for
 * anything unusual. Property (differential): for any body, the fast path
 * and the strict path (luma_envelope_parse() + luma_consumption_page_from_json())
 * agree: both refuse it, or both accept it with the same page, field by
 * field. An accepted page keeps every promise of fuzz-common.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-common.h"
#include "luma-json-decode.h"
#include "luma-page-reader.h"

static void
assert_same_session (const LumaSessionRecord *a,
                     const LumaSessionRecord *b)
{
  g_assert_cmpstr (a->session_id, ==, b->session_id);
  g_assert (a->started_on == b->started_on);
  g_assert (a->initiated_by == b->initiated_by);
  g_assert_cmpstr (a->user_name, ==, b->user_name);
  g_assert_cmpstr (a->email, ==, b->email);
  g_assert (a->role == b->role);
  g_assert_cmpstr (a->agent_name, ==, b->agent_name);
  g_assert (a->channel == b->channel);
  g_assert (a->conversations == b->conversations);
}

static void
assert_same_user (const LumaUserRecord *a,
                  const LumaUserRecord *b)
{
  g_assert_cmpstr (a->user_id, ==, b->user_id);
  g_assert_cmpstr (a->user_name, ==, b->user_name);
  g_assert_cmpstr (a->email, ==, b->email);
  g_assert_cmpstr (a->first_name, ==, b->first_name);
  g_assert_cmpstr (a->last_name, ==, b->last_name);
  g_assert (a->role == b->role);
  g_assert (a->status == b->status);
  g_assert (a->created_on == b->created_on);
  g_assert (a->conversations == b->conversations);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(LumaConsumptionPage) fast = NULL;
  g_autoptr(LumaConsumptionPage) strict = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) fast_error = NULL;
  g_autoptr(GError) strict_error = NULL;

  fuzz_quiet_logs ();

  fast = luma_consumption_page_from_bytes (body, 200, &fast_error);
  node = luma_envelope_parse (body, 200, NULL, &strict_error);
  if (node != NULL)
    strict = luma_consumption_page_from_json (node, &strict_error);

  if (fast == NULL || strict == NULL)
    {
      if (fast != NULL)
        g_error ("the fast reader accepted a page the strict decoder refuses: %s",
                 strict_error->message);
      if (strict != NULL)
        g_error ("the fast reader refused a page the strict decoder accepts: %s",
                 fast_error->message);
      fuzz_check_error (fast_error, NULL);
      return 0;
    }

  fuzz_check_page (fast);
  g_assert (fast->license_type == strict->license_type);
  g_assert_cmpuint (fast->items->len, ==, strict->items->len);
  g_assert_cmpstr (fast->next_cursor, ==, strict->next_cursor);
  g_assert (fast->has_more == strict->has_more);
  g_assert (fast->remaining == strict->remaining);
  for (guint i = 0; i < fast->items->len; i++)
    {
      if (fast->license_type == LUMA_LICENSE_TYPE_SESSION)
        assert_same_session (g_ptr_array_index (fast->items, i),
                             g_ptr_array_index (strict->items, i));
      else
        assert_same_user (g_ptr_array_index (fast->items, i),
                          g_ptr_array_index (strict->items, i));
    }
  return 0;
}
