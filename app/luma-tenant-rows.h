/* luma-tenant-rows.h: the tenants the board shows, in order, as rows that keep their items
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-tenant-item.h"

G_BEGIN_DECLS

#define LUMA_TYPE_TENANT_ROWS (luma_tenant_rows_get_type ())

G_DECLARE_FINAL_TYPE (LumaTenantRows, luma_tenant_rows, LUMA, TENANT_ROWS, GObject)

LumaTenantRows *luma_tenant_rows_new (void);
/* Shows @tenants (LumaTenantItems, in this order; references are taken). */
void            luma_tenant_rows_set (LumaTenantRows *self,
                                      GPtrArray      *tenants);

G_END_DECLS
