/* luma-subscription-page.h: the subscription details, the gauge, the chart and the contacts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"
#include "luma-chart.h"
#include "luma-contacts-editor.h"
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
/* The page's editor of the email lists (the window asks it about unsaved edits). */
LumaContactsEditor     *luma_subscription_page_get_contacts_editor (LumaSubscriptionPage *self);
/* Puts the keyboard focus on the first row of the details, when they are shown; FALSE
 * when they are not (the first sync, no subscription). */
gboolean                luma_subscription_page_focus_details    (LumaSubscriptionPage *self);
G_END_DECLS
