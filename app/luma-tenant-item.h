/* luma-tenant-item.h: one tenant of the superadmin's list, for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-models.h"

G_BEGIN_DECLS

#define LUMA_TYPE_TENANT_ITEM (luma_tenant_item_get_type ())

G_DECLARE_FINAL_TYPE (LumaTenantItem, luma_tenant_item, LUMA, TENANT_ITEM, GObject)

/* Properties (for sorters and filters): "external-id", "tenant-name",
 * "license-type" (display label), "total-purchase", "consumed", "available"
 * (gint64) and "percent" (double, consumed / total purchase * 100). */
LumaTenantItem          *luma_tenant_item_new         (const LumaTenantSummary *summary);
const LumaTenantSummary *luma_tenant_item_get_summary (LumaTenantItem          *self);
double                   luma_tenant_item_get_percent (LumaTenantItem          *self);

G_END_DECLS
