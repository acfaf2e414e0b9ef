/* luma-tenants-page.h: the superadmin's home: every tenant with its consumption
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-tenant-item.h"

G_BEGIN_DECLS

#define LUMA_TYPE_TENANTS_PAGE (luma_tenants_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaTenantsPage, luma_tenants_page, LUMA, TENANTS_PAGE, GtkWidget)

/* Signal: "tenant-activated" (LumaTenantItem *tenant). */

void        luma_tenants_page_set_client   (LumaTenantsPage *self,
                                            LumaApiClient   *client);
/* Asks the server for the list again. */
void        luma_tenants_page_refresh      (LumaTenantsPage *self);
/* The superadmin's own cache: the list of the last successful load is shown
 * at once and when the server cannot be reached. */
void        luma_tenants_page_set_cache    (LumaTenantsPage *self,
                                            LumaCache       *cache);
/* Is the list shown the cached one (the last load failed or is pending)? */
gboolean    luma_tenants_page_get_from_cache (LumaTenantsPage *self);
gboolean    luma_tenants_page_get_loaded   (LumaTenantsPage *self);
/* The error of the last refresh, or NULL. */
const GError *luma_tenants_page_get_error  (LumaTenantsPage *self);
void        luma_tenants_page_focus_search (LumaTenantsPage *self);
void        luma_tenants_page_set_search   (LumaTenantsPage *self,
                                            const char      *text);
/* Shows only the tenants with these external ids (from a summary
 * notification), search cleared; NULL shows every tenant again. */
void        luma_tenants_page_filter_to    (LumaTenantsPage    *self,
                                            const char * const *ids);
/* The tenants shown, sorted and filtered (LumaTenantItem). */
GListModel *luma_tenants_page_get_shown    (LumaTenantsPage *self);
/* How many of all tenants (not only those shown) have that status. */
guint       luma_tenants_page_count_status (LumaTenantsPage *self,
                                            LumaCapacity     capacity);
/* Shows only the tenants of a status (LumaCapacity) and of a license type
 * (LumaLicenseType); -1 for any. */
void        luma_tenants_page_set_filters  (LumaTenantsPage *self,
                                            int              capacity,
                                            int              license_type);
/* Back to the default order: by risk (see luma_tenant_item_compare_risk()). */
void        luma_tenants_page_sort_by_risk (LumaTenantsPage *self);
/* Opens the tenant as activating its row does. */
void        luma_tenants_page_activate     (LumaTenantsPage *self,
                                            guint            position);

G_END_DECLS
