/* luma-models-private.h: what the types, the strict decoders and the page
 * reader share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-models.h"

G_BEGIN_DECLS

/* The wire strings of each enumeration, indexed by its value. */
extern const char *const _luma_license_type_names[LUMA_LICENSE_TYPE_USER + 1];
extern const char *const _luma_initiated_by_names[LUMA_INITIATED_BY_AGENT + 1];
extern const char *const _luma_channel_names[LUMA_N_CHANNELS];
extern const char *const _luma_role_names[LUMA_N_ROLES];
extern const char *const _luma_user_status_names[LUMA_USER_STATUS_INACTIVE + 1];
extern const char *const _luma_sender_names[LUMA_SENDER_AGENT + 1];
extern const char *const _luma_purchase_kind_names[LUMA_PURCHASE_KIND_AUTO_REFILL + 1];

/* The index of @str in @names (exact match) into *out; FALSE when @str is
 * NULL or not there. */
gboolean _luma_enum_lookup (const char *const *names,
                            guint              n_names,
                            const char        *str,
                            int               *out);

/* Length limits are in characters; max 0 = no limit. Bytes bound
 * characters from above, so most strings need no counting. */
static inline gboolean
_luma_length_ok (const char *str,
                 size_t      bytes,
                 guint       min_chars,
                 guint       max_chars)
{
  if (bytes < min_chars)
    return FALSE;
  if (max_chars > 0 && bytes > max_chars &&
      g_utf8_strlen (str, (gssize) bytes) > (glong) max_chars)
    return FALSE;
  return TRUE;
}

/* The index of the first record of @page whose id an earlier one has (whose
 * index goes to *first_out), or -1. Both page decoders refuse such a page. */
gint64 _luma_consumption_page_find_duplicate (const LumaConsumptionPage *page,
                                              guint                     *first_out);

G_END_DECLS
