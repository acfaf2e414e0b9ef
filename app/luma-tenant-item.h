/* luma-tenant-item.h: one tenant of the superadmin's board, for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-capacity.h"
#include "luma-models.h"

G_BEGIN_DECLS

#define LUMA_TYPE_TENANT_ITEM (luma_tenant_item_get_type ())

G_DECLARE_FINAL_TYPE (LumaTenantItem, luma_tenant_item, LUMA, TENANT_ITEM, GObject)

/* @summary with the status and the days left as of @now, from the oldest
 * sample of the last 30 days (nullable): see luma_capacity_days_left(). The
 * board's sorters and search read it through the functions below. */
LumaTenantItem          *luma_tenant_item_new_at        (const LumaTenantSummary     *summary,
                                                         const LumaConsumptionSample *oldest,
                                                         gint64                       now);
/* A row of the board shows one tenant after another: a copy, then assigned
 * the tenant now at its position, and ::changed emitted. */
LumaTenantItem          *luma_tenant_item_copy          (LumaTenantItem              *from);
void                     luma_tenant_item_assign        (LumaTenantItem              *self,
                                                         LumaTenantItem              *from);
void                     luma_tenant_item_emit_changed  (LumaTenantItem              *self);
const LumaTenantSummary *luma_tenant_item_get_summary   (LumaTenantItem              *self);
/* Consumed / total purchase * 100 (100 when some is used of none bought). */
double                   luma_tenant_item_get_percent   (LumaTenantItem              *self);
LumaCapacity             luma_tenant_item_get_capacity  (LumaTenantItem              *self);
double                   luma_tenant_item_get_days_left (LumaTenantItem              *self);
/* The name and the id, case-folded, for the search. */
const char              *luma_tenant_item_get_search_key (LumaTenantItem             *self);

/* The board's order by risk: at or over capacity first, then near capacity,
 * then the rest; within each the fewest days left first (unknown last);
 * then by external id. A GCompareDataFunc for GtkCustomSorter. */
int                      luma_tenant_item_compare_risk  (gconstpointer                a,
                                                         gconstpointer                b,
                                                         gpointer                     user_data);
typedef enum
{
  LUMA_TENANT_COLUMN_NAME,
  LUMA_TENANT_COLUMN_LICENSE_TYPE,
  LUMA_TENANT_COLUMN_USED,           /* by percent */
  LUMA_TENANT_COLUMN_STATUS,         /* by risk */
  LUMA_TENANT_COLUMN_END_DATE,
  LUMA_TENANT_COLUMN_DAYS_LEFT,      /* unknown last */
  LUMA_TENANT_COLUMN_LAST_REFILL,    /* by time; never, then unknown, last */
} LumaTenantColumn;

/* The order of a column of the board (GINT_TO_POINTER (LumaTenantColumn) as
 * @user_data), ties by risk. A GCompareDataFunc for GtkCustomSorter. */
int                      luma_tenant_item_compare_column (gconstpointer               a,
                                                          gconstpointer               b,
                                                          gpointer                    user_data);

/* The order of the Last Refill column, ties by risk, with the tenants
 * that never had a refill and then those the server did not say about
 * after every known one in both directions: @user_data points to a
 * gboolean, TRUE while the column is sorted descending (the column view
 * turns every answer round then). A GCompareDataFunc for GtkCustomSorter. */
int                      luma_tenant_item_compare_last_refill (gconstpointer          a,
                                                               gconstpointer          b,
                                                               gpointer               user_data);

G_END_DECLS
