/* luma-page-reader-private.h: the one-pass reader alone, for the API client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-models.h"

G_BEGIN_DECLS

/* The one-pass reader without the strict fallback: a page, or %NULL (no
 * error) for any body it does not expect. The API client checks the value
 * budget of the answer before it builds a JSON tree for the strict decoders,
 * which luma_consumption_page_from_bytes() would do at once. */
LumaConsumptionPage *luma_consumption_page_read_fast (GBytes     *body,
                                                      guint       http_status);

G_END_DECLS
