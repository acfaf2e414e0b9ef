/* luma-subscription-page.h: the subscription details, the gauge, the chart and the contacts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"
#include "luma-chart.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_SUBSCRIPTION_PAGE (luma_subscription_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaSubscriptionPage, luma_subscription_page, LUMA, SUBSCRIPTION_PAGE,
                      GtkWidget)

/* @superadmin shows the Refill button. */
void                    luma_subscription_page_set_context      (LumaSubscriptionPage *self,
                                                                 LumaCache            *cache,
                                                                 LumaSync             *sync,
                                                                 gboolean              superadmin);
/* Reads the subscription and the weekly consumption from the cache again. */
void                    luma_subscription_page_reload           (LumaSubscriptionPage *self);
/* What is shown, or NULL when the cache has no subscription yet. */
const LumaSubscription *luma_subscription_page_get_subscription (LumaSubscriptionPage *self);
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

/* "At the current rate the licenses run out on ..." / "... last past the end
 * date": from the consumption since the start of the term. */
char                   *luma_subscription_forecast              (const LumaSubscription *subscription,
                                                                 gint64                  now);
/* A day of the contract calendar (UTC), in the locale's format. */
char                   *luma_format_day                         (gint64                  unix_seconds);
/* A count with the locale's digit grouping. */
char                   *luma_format_count                       (gint64                  n);
/* The n to give ngettext for a count of any size or sign. */
gulong                  luma_plural_n                           (gint64                  n);
/* "Synced 5 minutes ago", "Never synced". */
char                   *luma_format_last_synced                 (gint64                  synced,
                                                                 gint64                  now);

G_END_DECLS
