/* luma-page-reader.h: the one-pass reader of consumption pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-models.h"

G_BEGIN_DECLS

/* A whole 2xx answer of GET /subscription/consumption (envelope and page)
 * in one pass without building a JSON tree; anything the fast reader does
 * not expect goes through luma_envelope_parse() and
 * luma_consumption_page_from_json(), so errors are the same. */
LumaConsumptionPage *luma_consumption_page_from_bytes (GBytes     *body,
                                                       guint       http_status,
                                                       GError    **error);

G_END_DECLS
