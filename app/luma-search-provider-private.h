/* luma-search-provider-private.h: the search provider's search, for benchmarks and tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-search-provider.h"

G_BEGIN_DECLS

/* The search a GetInitialResultSet runs, in the calling thread, over the
 * caches of @accounts (LumaAccount*) at @now: "NAME|DESCRIPTION" of each
 * result, in the order given to the shell. */
GStrv _luma_search_provider_search (GPtrArray         *accounts,
                                    const char *const *terms,
                                    gint64             now);

G_END_DECLS
