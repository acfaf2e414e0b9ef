/* luma-capacity.h: how close a tenant is to its total purchase, and when it
 * runs out at the recent rate
 *
 * Pure logic, no I/O: the tenants board and its tests share these rules.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-models.h"

G_BEGIN_DECLS

/* Ordered by risk: a higher value needs action sooner. */
typedef enum
{
  LUMA_CAPACITY_OK,
  LUMA_CAPACITY_NEAR,      /* the first alert threshold (75 %) reached, not 100 % */
  LUMA_CAPACITY_AT_OR_OVER,/* 100 % reached: consumed >= total purchase */
} LumaCapacity;

#define LUMA_CAPACITY_N 3

/* By the alert thresholds of luma-thresholds.h (integer arithmetic). */
LumaCapacity luma_capacity_of (gint64 consumed,
                               gint64 total_purchase);

/* The consumption of a tenant at one time, as the tenant list gave it. */
typedef struct
{
  gint64 term_start;   /* the contract term it belongs to (its start date) */
  gint64 sampled_on;   /* unix seconds UTC */
  gint64 consumed;
} LumaConsumptionSample;

/* The window of the recent rate, and the shortest span a rate is taken over. */
#define LUMA_CAPACITY_RATE_WINDOW_S (30 * 86400)
#define LUMA_CAPACITY_RATE_MIN_SPAN_S 3600

/**
 * luma_capacity_days_left:
 * @tenant: the tenant now
 * @oldest: (nullable): the oldest stored sample of the last 30 days
 * @now: unix seconds UTC
 *
 * Days until the available licenses are used at the recent rate: the rate
 * from @oldest to now when @oldest is of the same term, within the window
 * and at least an hour old; otherwise the average since the start of the
 * term. 0 when nothing is available. The time is rounded to whole seconds.
 *
 * Returns: the days (fractional), or a negative value when unknown: the term
 * has not started or is over, or consumption does not grow.
 */
double       luma_capacity_days_left (const LumaTenantSummary     *tenant,
                                      const LumaConsumptionSample *oldest,
                                      gint64                       now);

G_END_DECLS
