/* luma-notifier.h: desktop notifications when consumption crosses a threshold
 *
 * After every sync the caller hands the subscription to
 * luma_notifier_evaluate(). It asks luma-thresholds what to say, records
 * the crossing in the cache (so a restart never repeats it) and, when
 * notifications are enabled, sends one GNotification per crossing:
 *
 *   id       "threshold-TENANT-PERCENT" (luma_threshold_notification_id())
 *   title    "85 % of licenses used"
 *   body     "850 of 1,000 sessions used, 150 left. The contract ends on ..."
 *   default  app.show-subscription, target: the tenant's external id (s)
 *   button   "Show History" -> app.show-history, target: the tenant (s)
 *   priority normal, high at 95 %, urgent at 100 %
 *
 * The percentages are those the tenant chose and two look-ahead alerts join
 * them (luma-alerts.h): "Licenses run out in N days" (id
 * "alert-TENANT-run-out", high priority) and "The contract ends in N days"
 * ("alert-TENANT-contract-end"), each once per term, with the same actions.
 *
 * A newer threshold withdraws the older notifications of the same tenant;
 * a refill that re-arms a threshold withdraws its out-of-date notification.
 * GIO only: the GApplication may be a GtkApplication or a plain one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-cache.h"
#include "luma-models.h"
#include "luma-thresholds.h"

G_BEGIN_DECLS

/* Actions the notifications activate; the application provides them, both
 * with a string parameter: the tenant's external id. */
#define LUMA_NOTIFIER_ACTION_SHOW_SUBSCRIPTION "show-subscription"
#define LUMA_NOTIFIER_ACTION_SHOW_HISTORY      "show-history"
/* The default action of a summary notification: the tenants board filtered
 * to the tenants that crossed (parameter "as": their external ids). */
#define LUMA_NOTIFIER_ACTION_SHOW_TENANTS      "show-tenants"

/* More crossings than this in one check of a superadmin's tenants become
 * one summary notification instead of one per tenant. */
#define LUMA_NOTIFIER_SUMMARY_AFTER 3

#define LUMA_TYPE_NOTIFIER (luma_notifier_get_type ())

G_DECLARE_FINAL_TYPE (LumaNotifier, luma_notifier, LUMA, NOTIFIER, GObject)

/* @cache: the cache of the account the subscriptions come from (one per
 * account); the notified thresholds are kept there. */
LumaNotifier *luma_notifier_new                (GApplication            *application,
                                                LumaCache               *cache);
GApplication *luma_notifier_get_application    (LumaNotifier            *self);
LumaCache    *luma_notifier_get_cache          (LumaNotifier            *self);

/* Name the tenant in the title ("Acme: 85 % of licenses used"), for a
 * superadmin who follows several tenants. Default FALSE. */
void          luma_notifier_set_name_tenant    (LumaNotifier            *self,
                                                gboolean                 name_tenant);
gboolean      luma_notifier_get_name_tenant    (LumaNotifier            *self);

/* Decides, records, notifies. With @notifications_enabled FALSE nothing is
 * sent or withdrawn, but crossings are recorded all the same (turning
 * notifications on later does not replay old ones). The crossing is
 * recorded before the notification is sent: should the cache refuse the
 * write, nothing is sent and the error is returned, so a crossing is never
 * announced twice. Nothing is sent either when the application has no D-Bus
 * connection or is not the primary instance (the crossing stays recorded).
 *
 * @notified_out: (optional): the threshold crossed now (also when not
 *   sent because notifications are off), or LUMA_THRESHOLD_NONE (also for
 *   a chosen percentage other than 75, 85, 95, 100 and the look-ahead
 *   alerts). */
gboolean      luma_notifier_evaluate           (LumaNotifier            *self,
                                                const LumaSubscription  *subscription,
                                                gboolean                 notifications_enabled,
                                                LumaThreshold           *notified_out,
                                                GError                 **error);

/* The same for the subscription stored in the cache (what the sync that just
 * finished wrote there); nothing to do when none is cached yet. */
gboolean      luma_notifier_evaluate_cached    (LumaNotifier            *self,
                                                gboolean                 notifications_enabled,
                                                LumaThreshold           *notified_out,
                                                GError                 **error);

/* A superadmin's check of every tenant (the tenant list, LumaTenantSummary*,
 * one request) against the usual thresholds, 75, 85, 95 and 100 %
 * (luma_thresholds_evaluate()), not the alerts each tenant chose, which
 * luma_notifier_evaluate() follows; the notified thresholds of every tenant
 * are read in one query and every change written in one transaction of the
 * notifier's cache (the superadmin's own).
 * Up to LUMA_NOTIFIER_SUMMARY_AFTER crossings are notified one per tenant
 * (the tenant named in the title); more become one summary, "7 tenants
 * passed 75 %" (the lowest threshold crossed, which all of them passed),
 * whose default action is app.show-tenants with their ids.
 *
 * @crossed_out: (optional) (out): the external ids of the tenants that
 *   crossed a threshold in this check (also when not sent), a GStrv. */
gboolean      luma_notifier_evaluate_tenants   (LumaNotifier            *self,
                                                GPtrArray               *tenants,
                                                gboolean                 notifications_enabled,
                                                GStrv                   *crossed_out,
                                                GError                 **error);

/* The "notifications-enabled" key of the app's GSettings schema, TRUE
 * when the schema is not installed (a headless install without data/). */
gboolean      luma_notifier_get_enabled_setting (void);

/* For the headless `--sync`: evaluates the subscription in @cache (nothing
 * to do when none is cached) through a GApplication registered under
 * APP_ID, honouring the preference above, and makes sure the notification
 * has left the process before returning. Without a session bus nothing is
 * evaluated (a later sync that can show it will), unless notifications are
 * off, in which case crossings are just recorded. */
gboolean      luma_notifier_notify_after_sync  (LumaCache               *cache,
                                                gboolean                 name_tenant,
                                                GError                 **error);

/* For the command line: luma_notifier_evaluate_tenants() on a superadmin's
 * cache through the short-lived registration and the preference of
 * luma_notifier_notify_after_sync(), with the same rules. */
gboolean      luma_notifier_notify_tenants_after_check (LumaCache        *cache,
                                                        GPtrArray        *tenants,
                                                        GStrv            *crossed_out,
                                                        GError          **error);

G_END_DECLS
