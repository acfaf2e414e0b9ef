/* luma-subscription-page-private.h: what the tests read and drive of the subscription page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-subscription-page.h"

G_BEGIN_DECLS

/* The value label of a row: "license-type", "start-date", "end-date",
 * "session-duration", "total-purchase", "consumed", "available", "forecast",
 * "synced". */
const char             *luma_subscription_page_get_value        (LumaSubscriptionPage *self,
                                                                 const char           *name);
/* FALSE while the weekly consumption is being counted. */
gboolean                luma_subscription_page_get_chart_ready  (LumaSubscriptionPage *self);
LumaChart              *luma_subscription_page_get_chart        (LumaSubscriptionPage *self);
/* The chart's buckets: days or weeks (the default) from the start date. */
void                    luma_subscription_page_set_chart_per_day (LumaSubscriptionPage *self,
                                                                  gboolean              per_day);

G_END_DECLS
