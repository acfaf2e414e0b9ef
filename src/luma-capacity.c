/* luma-capacity.c: how close a tenant is to its total purchase, and when it
 * runs out at the recent rate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "luma-capacity.h"
#include "luma-thresholds.h"

LumaCapacity
luma_capacity_of (gint64 consumed,
                  gint64 total_purchase)
{
  guint reached = luma_thresholds_reached (consumed, total_purchase);

  if (reached & LUMA_THRESHOLD_100)
    return LUMA_CAPACITY_AT_OR_OVER;
  if (reached & LUMA_THRESHOLD_75)
    return LUMA_CAPACITY_NEAR;
  return LUMA_CAPACITY_OK;
}

double
luma_capacity_days_left (const LumaTenantSummary     *tenant,
                         const LumaConsumptionSample *oldest,
                         gint64                       now)
{
  gint64 available;
  gint64 used;
  gint64 span;

  g_return_val_if_fail (tenant != NULL, -1);

  if (now < tenant->start_date || now > tenant->end_date)
    return -1;
  available = tenant->total_purchase - tenant->consumed;
  if (available <= 0)
    return 0;

  if (oldest != NULL && oldest->term_start == tenant->start_date &&
      oldest->sampled_on >= now - LUMA_CAPACITY_RATE_WINDOW_S &&
      now - oldest->sampled_on >= LUMA_CAPACITY_RATE_MIN_SPAN_S)
    {
      used = tenant->consumed - oldest->consumed;
      span = now - oldest->sampled_on;
    }
  else
    {
      used = tenant->consumed;
      span = MAX (now - tenant->start_date, 1);
    }

  if (used <= 0)
    return -1;
  /* Whole seconds, as available * span / used in one rounding (not through a
   * rate, which rounds twice): tenants whose numbers give the same time in
   * theory (9 of 10 and 18 of 20 since the same day) tie exactly, and the
   * order does not depend on which way a division rounded. */
  return round ((double) available * (double) span / (double) used) / 86400.0;
}
