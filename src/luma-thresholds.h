/* luma-thresholds.h: when to tell the tenant administrator about consumption
 *
 * Pure logic, no I/O: the caller loads the stored state from the cache,
 * calls luma_thresholds_evaluate() after every sync, shows the notification
 * it asks for (if any) and stores the new state, so a restart never repeats
 * a notification.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-models.h"

G_BEGIN_DECLS

/**
 * LumaThreshold:
 *
 * The consumption thresholds Luma alerts at, as bit flags so that a set of
 * them (what was already notified) fits in one integer for storage.
 */
typedef enum
{
  LUMA_THRESHOLD_NONE = 0,
  LUMA_THRESHOLD_75   = 1 << 0,
  LUMA_THRESHOLD_85   = 1 << 1,
  LUMA_THRESHOLD_95   = 1 << 2,
  LUMA_THRESHOLD_100  = 1 << 3,
} LumaThreshold;

#define LUMA_THRESHOLD_ALL (LUMA_THRESHOLD_75 | LUMA_THRESHOLD_85 | LUMA_THRESHOLD_95 | LUMA_THRESHOLD_100)

/**
 * LumaThresholdState:
 * @term_start: start of the contract term the set belongs to (unix seconds);
 *   a term is known by its start, as in the cache (an end date moved by a
 *   renewal is the same term)
 * @notified: the thresholds (LumaThreshold flags) already dealt with in that
 *   term: notified, or passed over by a higher one
 *
 * What the cache keeps per tenant and term. A zeroed struct means "nothing
 * notified". With the cache: @notified is
 * luma_thresholds_from_percents (luma_cache_get_notified_thresholds ()); after
 * an evaluation record every threshold of the new @notified that was not
 * there before with luma_cache_record_threshold_notified(), and when
 * @rearmed is not empty call luma_cache_clear_thresholds_above() with the
 * percent of the highest threshold still reached (0 when none).
 */
typedef struct
{
  gint64 term_start;
  guint  notified;
} LumaThresholdState;

/**
 * LumaThresholdDecision:
 * @notify: the one threshold to notify now, or %LUMA_THRESHOLD_NONE
 * @rearmed: thresholds (flags) of this term that were notified before and are
 *   no longer reached (a refill or a removal of consumption): their
 *   notifications are out of date and may be withdrawn
 * @state: the state to store
 */
typedef struct
{
  LumaThreshold      notify;
  guint              rearmed;
  LumaThresholdState state;
} LumaThresholdDecision;

/**
 * luma_thresholds_evaluate:
 * @previous: (nullable): the stored state, NULL when none
 * @term_start: start of the current contract term
 * @consumed: consumed licenses now
 * @total_purchase: total purchase now
 * @decision: (out): what to do
 *
 * Rules: a threshold is reached when consumed >= threshold % of the total
 * purchase (integer arithmetic, no rounding). Only the highest threshold
 * reached that was not dealt with yet is notified; the lower ones reached at
 * the same time are recorded without a notification (a first sync at 90 %
 * notifies 85 % once). A threshold no longer reached is re-armed. A term
 * other than the stored one starts from nothing. A total purchase of 0 with
 * consumption above 0 counts as every threshold reached; 0 of 0 reaches none.
 *
 * Returns: decision->notify
 */
LumaThreshold  luma_thresholds_evaluate     (const LumaThresholdState *previous,
                                             gint64                    term_start,
                                             gint64                    consumed,
                                             gint64                    total_purchase,
                                             LumaThresholdDecision    *decision);

/* The thresholds reached (flags) at this consumption, by the rule above. */
guint          luma_thresholds_reached      (gint64                    consumed,
                                             gint64                    total_purchase);

/* Whether any @percent is reached at this consumption, by the same rule
 * (the thresholds each tenant chooses, luma-alerts.h, use it too). */
gboolean       luma_threshold_percent_reached (guint                   percent,
                                               gint64                  consumed,
                                               gint64                  total_purchase);

/* How many thresholds there are, and the @index-th of them in ascending
 * order (LUMA_THRESHOLD_75 first): for loops over every threshold. */
#define LUMA_THRESHOLD_COUNT 4
LumaThreshold  luma_threshold_nth           (guint                     index);

/* Flags from percents as the cache stores them (a GArray of gint; values
 * other than 75, 85, 95, 100 are ignored); NULL gives 0. */
guint          luma_thresholds_from_percents (GArray                  *percents);

/* 75, 85, 95 or 100 for a single threshold; 0 for NONE. */
guint          luma_threshold_get_percent   (LumaThreshold             threshold);

/* The threshold of 75, 85, 95 or 100; NONE for any other percent. */
LumaThreshold  luma_threshold_from_percent  (gint                      percent);

/* The highest threshold in a set of flags, or NONE. */
LumaThreshold  luma_threshold_highest       (guint                     thresholds);

/* NORMAL below 95 %, HIGH at 95 %, URGENT at 100 %. */
GNotificationPriority luma_threshold_get_priority (LumaThreshold       threshold);

/* A stable GNotification id per tenant and threshold, "threshold-ID-85":
 * the same crossing replaces rather than stacks. */
char          *luma_threshold_notification_id (const char             *external_id,
                                               LumaThreshold           threshold);

/**
 * LumaThresholdNotification:
 * @title: e.g. "85 % of licenses used"
 * @body: e.g. "850 of 1,000 sessions used, 150 left. The contract ends on
 *   31 December 2026."
 * @priority: see luma_threshold_get_priority()
 *
 * The text of a notification, translated, numbers grouped by the locale
 * (LC_NUMERIC), the end date of the term as a day in UTC (the contract's
 * own calendar, not the viewer's time zone).
 */
typedef struct
{
  char                  *title;
  char                  *body;
  GNotificationPriority  priority;
} LumaThresholdNotification;

/* @tenant_name (nullable) is named in the title when given (superadmins see
 * several tenants). The title gives the percentage actually reached (rounded
 * down), never less than the threshold. */
LumaThresholdNotification *luma_threshold_notification_new  (LumaThreshold    threshold,
                                                             LumaLicenseType  license_type,
                                                             const char      *tenant_name,
                                                             gint64           consumed,
                                                             gint64           total_purchase,
                                                             gint64           term_end);
/* The same for any percentage (the thresholds each tenant chooses,
 * luma-alerts.h); the priority is that of
 * luma_threshold_get_priority_for_percent(). */
LumaThresholdNotification *luma_threshold_notification_new_for_percent (guint            threshold_percent,
                                                                         LumaLicenseType  license_type,
                                                                         const char      *tenant_name,
                                                                         gint64           consumed,
                                                                         gint64           total_purchase,
                                                                         gint64           term_end);
/* NORMAL below 95 %, HIGH from 95 %, URGENT from 100 %. */
GNotificationPriority      luma_threshold_get_priority_for_percent     (guint            percent);
/* "850 of 1,000 sessions used, 150 left." (or "none left", "N more than
 * purchased"), as the notifications say it. */
char                      *luma_threshold_format_usage                 (LumaLicenseType  license_type,
                                                                         gint64           consumed,
                                                                         gint64           total_purchase);
void                       luma_threshold_notification_free (LumaThresholdNotification *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaThresholdNotification, luma_threshold_notification_free)

G_END_DECLS
