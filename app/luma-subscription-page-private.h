/* luma-subscription-page-private.h: what the tests read and drive of the subscription page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-subscription-page.h"

G_BEGIN_DECLS

/* The value label of a row: "license-type", "start-date", "end-date",
 * "session-duration", "total-purchase", "consumed", "available", "forecast",
 * "synced", "last-look" ("since you last looked", "" when hidden). */
const char             *luma_subscription_page_get_value        (LumaSubscriptionPage *self,
                                                                 const char           *name);
/* FALSE while the consumption of the chart or of the forecast is being counted. */
gboolean                luma_subscription_page_get_chart_ready  (LumaSubscriptionPage *self);
/* The "since you last looked" line of this showing is up to date. */
gboolean                luma_subscription_page_get_last_look_ready (LumaSubscriptionPage *self);
LumaChart              *luma_subscription_page_get_chart        (LumaSubscriptionPage *self);
/* The chart's buckets: days or weeks (the default) from the start date. */
void                    luma_subscription_page_set_chart_per_day (LumaSubscriptionPage *self,
                                                                  gboolean              per_day);

typedef enum
{
  LUMA_CHART_VIEW_DAY,
  LUMA_CHART_VIEW_WEEK,
  LUMA_CHART_VIEW_TERM,
} LumaChartView;

/* Day, Week (the default) or Term: the cumulative view with the estimate. */
void                    luma_subscription_page_set_chart_view   (LumaSubscriptionPage *self,
                                                                 LumaChartView         view);
/* From the consumption of each local day; NULL until counted. */
const LumaForecast     *luma_subscription_page_get_forecast     (LumaSubscriptionPage *self);
/* The banner's text while an alert the tenant chose is due, else NULL. */
const char             *luma_subscription_page_get_alert_text   (LumaSubscriptionPage *self);
/* The mailto: URI of "Request More Licenses"; NULL without a subscription. */
char                   *luma_subscription_page_dup_request_uri  (LumaSubscriptionPage *self);

G_END_DECLS
