/* luma-history-columns.h: the columns of the License Consumption History
 *
 * One table per license type says which columns the history has, in which
 * order, under which heading and how wide: the history view builds its
 * columns from it, the CSV report writes its header row and its fields in
 * its order, and each column sorts by its LumaHistoryColumn (the
 * LumaHistoryQuery sort key), so the three always agree.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-cache.h"
#include "luma-models.h"

G_BEGIN_DECLS

/**
 * LumaHistoryValueKind:
 *
 * What a column holds, and so how the view and the report write it.
 */
typedef enum
{
  LUMA_HISTORY_VALUE_TEXT,   /* a string: luma_history_record_get_text() */
  LUMA_HISTORY_VALUE_TIME,   /* unix seconds: luma_history_record_get_value() */
  LUMA_HISTORY_VALUE_COUNT,  /* a number: luma_history_record_get_value() */
  LUMA_HISTORY_VALUE_ENUM,   /* the enumeration the key names (LumaRole...): get_value() */
} LumaHistoryValueKind;

/**
 * LumaHistoryColumnInfo:
 * @key: what the column holds, and its sort key (LumaHistoryQuery.sort_column)
 * @kind: the kind of value
 * @title: the heading, untranslated: the view's column title and the CSV
 *   report's header; see luma_history_column_get_title()
 * @width_chars: the natural width of the view's cells in characters; 0 when
 *   the cell is not text (the Conversations button)
 * @expand: the view gives the column a share of any extra width
 */
typedef struct
{
  LumaHistoryColumn     key;
  LumaHistoryValueKind  kind;
  const char           *title;
  guint                 width_chars;
  gboolean              expand;
} LumaHistoryColumnInfo;

/* The columns of @license_type's history, in their order; @n_columns gets
 * how many. */
const LumaHistoryColumnInfo *luma_history_columns_get      (LumaLicenseType              license_type,
                                                            guint                       *n_columns);
/* The translated heading of a column. */
const char                  *luma_history_column_get_title (const LumaHistoryColumnInfo *info);

/* A text column's value in @record (a LumaSessionRecord or a LumaUserRecord,
 * after @license_type), borrowed; NULL for the columns that hold a time, a
 * count or an enumeration, and for a column the license type lacks. */
const char                  *luma_history_record_get_text  (LumaLicenseType              license_type,
                                                            gconstpointer                record,
                                                            LumaHistoryColumn            key);
/* A time (unix seconds), count or enumeration column's value in @record;
 * 0 for a text column and for a column the license type lacks. */
gint64                       luma_history_record_get_value (LumaLicenseType              license_type,
                                                            gconstpointer                record,
                                                            LumaHistoryColumn            key);
/* A cell of column @info (of @license_type's table) as the view shows it:
 * translated labels, the time in the viewer's time zone
 * (luma_format_record_time()). */
char                        *luma_history_record_format    (LumaLicenseType              license_type,
                                                            gconstpointer                record,
                                                            const LumaHistoryColumnInfo *info);

G_END_DECLS
