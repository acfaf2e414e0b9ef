/* luma-cache-search.h: what the desktop's search finds in a cache file
 *
 * The GNOME Shell search provider looks into the caches of every saved
 * account while the user types, perhaps while a window has the same files
 * open. So a cache file is only read here: opened read-only, never
 * created, migrated, repaired or marked open (luma_cache_open_path() does
 * all of these). A file that is missing, damaged or of another version
 * gives nothing, not an error. No GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-forecast.h"
#include "luma-models.h"

G_BEGIN_DECLS

/**
 * LumaSearchRecord:
 * @record_id: a session id or a user id
 * @user_name: the record's user name
 * @time: Started On / Created On, unix seconds UTC
 */
typedef struct
{
  LumaLicenseType  license_type;
  char            *record_id;
  char            *user_name;
  gint64           time;
} LumaSearchRecord;

void luma_search_record_free (LumaSearchRecord *self);

/**
 * luma_cache_search_file:
 * @path: a cache file
 * @record_term: (nullable): the start of a session or user id, as typed,
 *   in capitals or in lower case (at least 3 characters, else no record is
 *   looked for); looked up in the id columns' own index, never in the
 *   history's search index, so names and emails are not searched
 * @max_records: at most this many records, sessions then users, each in
 *   id order
 * @tenants_out: (out): LumaTenantSummary*: the subscription cached there,
 *   then a superadmin's tenant list when the file has one
 * @records_out: (out): LumaSearchRecord*
 *
 * Returns: FALSE when the file cannot be read (missing, damaged, another
 * version); both arrays are set either way.
 */
gboolean luma_cache_search_file (const char  *path,
                                 const char  *record_term,
                                 guint        max_records,
                                 GPtrArray  **tenants_out,
                                 GPtrArray  **records_out);

/**
 * luma_cache_search_forecast:
 * @path: the cache file holding @tenant's history
 * @tenant: the tenant's figures (its subscription, or its row of a
 *   superadmin's tenant list)
 * @now: unix seconds
 *
 * The forecast of the subscription page (luma-forecast.h, the same recent
 * rate) from the day counts of the recent window read from @path, read
 * only like luma_cache_search_file(). A file that cannot be read counts no
 * consumption (no run-out day).
 *
 * Returns: (transfer full) (nullable): NULL when the term has no day.
 */
LumaForecast *luma_cache_search_forecast (const char              *path,
                                          const LumaTenantSummary *tenant,
                                          gint64                   now);

/* Do all @terms occur in @text, without regard to case? (The shell splits
 * what the user types into terms.) */
gboolean luma_search_terms_match (const char *const *terms,
                                  const char        *text);

G_END_DECLS
