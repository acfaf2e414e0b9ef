/* luma-last-look.h: "since you last looked" on the subscription page
 *
 * Each time the subscription page of a tenant is shown, what it showed is
 * stored in that tenant's cache (meta key "last-look"): the time, the
 * consumption and the total purchase, the number of purchases and the
 * newest history row. The next time, the page compares the cache with that
 * marker: the records first stored since (new sessions, or new users for
 * user-based tenants), the new purchases and the change of the share used.
 * No GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-cache.h"

G_BEGIN_DECLS

/* The meta key of the marker in a tenant's cache. */
#define LUMA_LAST_LOOK_META_KEY "last-look"

/**
 * LumaLastLook:
 * @time: when the page was shown, unix seconds
 * @consumed: the subscription's consumption then
 * @total_purchase: its total purchase then
 * @purchases: how many purchases were cached
 * @max_record_id: the newest history row (luma_cache_count_history_after())
 * @new_records: records first stored after the marker this one is compared
 *   with (set by luma_last_look_read(), not stored)
 */
typedef struct
{
  gint64 time;
  gint64 consumed;
  gint64 total_purchase;
  gint64 purchases;
  gint64 max_record_id;
  gint64 new_records;
} LumaLastLook;

/* The marker stored in @cache; FALSE when there is none (the first visit)
 * or it cannot be read. */
gboolean  luma_last_look_load     (LumaCache              *cache,
                                   LumaLastLook           *out);

/* What @cache holds now for @subscription, at @now; @since (nullable): the
 * marker to count the new records after. */
gboolean  luma_last_look_read     (LumaCache              *cache,
                                   const LumaSubscription *subscription,
                                   const LumaLastLook     *since,
                                   gint64                  now,
                                   LumaLastLook           *out,
                                   GError                **error);

gboolean  luma_last_look_store    (LumaCache              *cache,
                                   const LumaLastLook     *look,
                                   GError                **error);

/* The line: "Since you last looked on DATE TIME: 1,234 new sessions · 1 new
 * purchase · 85 % → 91 % used", the parts that changed only; NULL when
 * nothing did. @current from luma_last_look_read() with @since @previous. */
char     *luma_last_look_describe (LumaLicenseType         license_type,
                                   const LumaLastLook     *previous,
                                   const LumaLastLook     *current);

G_END_DECLS
