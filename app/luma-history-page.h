/* luma-history-page.h: the License Consumption History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"
#include "luma-history-model.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_HISTORY_PAGE (luma_history_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaHistoryPage, luma_history_page, LUMA, HISTORY_PAGE, GtkWidget)

void                    luma_history_page_set_context  (LumaHistoryPage *self,
                                                        LumaCache       *cache,
                                                        LumaSync        *sync);
/* The application's settings (csv-byte-order-mark), or NULL for the defaults. */
void                    luma_history_page_set_settings (LumaHistoryPage *self,
                                                        GSettings       *settings);
/* Runs the query again (after a sync), keeping the selected row and the
 * scroll position. */
void                    luma_history_page_reload       (LumaHistoryPage *self);
void                    luma_history_page_focus_search (LumaHistoryPage *self);
/* Shows what the a{sv} @filter describes, the other filters cleared:
 * "user" (s, searched for), "channel" (i, a LumaChannel), "initiator" (i, a
 * LumaInitiatedBy), "role" (i, a LumaRole), "status" (i, a LumaUserStatus),
 * "from" and "to" (x, unix seconds of [from, to): the days that hold them).
 * Other keys are ignored. */
void                    luma_history_page_apply_filter (LumaHistoryPage *self,
                                                        GVariant        *filter);

G_END_DECLS
