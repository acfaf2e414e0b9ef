/* fuzz-envelope.c: libFuzzer target for luma_envelope_parse()
 *
 * The first byte picks the HTTP status, the rest is the body. Properties:
 * never crashes; on success the result is an object or null node and the
 * error list agrees with the status (empty for 2xx, at least one error
 * with a non-empty code otherwise); on failure a LUMA_PROTOCOL_ERROR with a
 * code the header documents and a UTF-8 message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-common.h"
#include "luma-json-decode.h"

static const guint statuses[] = { 200, 201, 304, 400, 401, 403, 404, 409, 412, 422, 428, 429,
                                  500, 503 };

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  guint status;

  fuzz_quiet_logs ();
  if (size < 1)
    return 0;
  status = statuses[data[0] % G_N_ELEMENTS (statuses)];
  body = g_bytes_new (data + 1, size - 1);

  result = luma_envelope_parse (body, status, &errors, &error);
  if (result == NULL)
    {
      fuzz_check_error (error, NULL);
      g_assert (error->code == LUMA_PROTOCOL_ERROR_INVALID_JSON ||
                error->code == LUMA_PROTOCOL_ERROR_INVALID_UTF8 ||
                error->code == LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE ||
                error->code == LUMA_PROTOCOL_ERROR_MISSING_FIELD ||
                error->code == LUMA_PROTOCOL_ERROR_WRONG_TYPE ||
                error->code == LUMA_PROTOCOL_ERROR_OUT_OF_RANGE ||
                error->code == LUMA_PROTOCOL_ERROR_INVALID_VALUE);
      return 0;
    }

  g_assert (error == NULL);
  g_assert (JSON_NODE_HOLDS_OBJECT (result) || JSON_NODE_HOLDS_NULL (result));
  g_assert (errors != NULL);
  if (status >= 200 && status < 300)
    g_assert_cmpuint (errors->len, ==, 0);
  else
    g_assert_cmpuint (errors->len, >, 0);
  for (guint i = 0; i < errors->len; i++)
    {
      const LumaFieldError *fe = g_ptr_array_index (errors, i);

      g_assert (fe->code != NULL && *fe->code != '\0');
      fuzz_check_text (fe->code, FALSE);
      fuzz_check_text (fe->field, TRUE);
      fuzz_check_text (fe->message, TRUE);
    }
  return 0;
}
