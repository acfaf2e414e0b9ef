/* luma-purchases-page.h: the License Purchase History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_PURCHASES_PAGE (luma_purchases_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaPurchasesPage, luma_purchases_page, LUMA, PURCHASES_PAGE, GtkWidget)

void       luma_purchases_page_set_cache (LumaPurchasesPage *self,
                                          LumaCache         *cache);
void       luma_purchases_page_reload    (LumaPurchasesPage *self);
/* The sync whose first run the page shows while the cache has no purchases yet. */
void       luma_purchases_page_set_sync  (LumaPurchasesPage *self,
                                          LumaSync          *sync);
/* The purchases shown (LumaPurchase*, newest first). */
GPtrArray *luma_purchases_page_get_purchases (LumaPurchasesPage *self);
/* The text of row @index: "title|subtitle|total", for tests. */
char      *luma_purchases_page_dup_row_text  (LumaPurchasesPage *self,
                                              guint              index);

G_END_DECLS
