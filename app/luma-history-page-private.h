/* luma-history-page-private.h: what the tests read and drive of the history page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-history-page.h"

G_BEGIN_DECLS

LumaHistoryModel       *luma_history_page_get_model    (LumaHistoryPage *self);
GtkColumnView          *luma_history_page_get_view     (LumaHistoryPage *self);
/* The query of the rows shown; NULL before the first one. */
const LumaHistoryQuery *luma_history_page_get_query    (LumaHistoryPage *self);
/* TRUE while a query runs. */
gboolean                luma_history_page_get_busy     (LumaHistoryPage *self);
/* "12 of 1,000 records" */
const char             *luma_history_page_get_count_text (LumaHistoryPage *self);

/* Changes the filters as the controls do (and updates the controls). */
void                    luma_history_page_set_search   (LumaHistoryPage *self,
                                                        const char      *text);
/* Types these days into the From and To fields (NULL or "" for none) and
 * commits them as Enter does. */
void                    luma_history_page_set_dates    (LumaHistoryPage *self,
                                                        const char      *from,
                                                        const char      *to);
/* The texts of the From and To fields (borrowed). */
void                    luma_history_page_get_dates    (LumaHistoryPage  *self,
                                                        const char      **from,
                                                        const char      **to);
/* The message shown beside the date fields, or NULL when none is shown. */
const char             *luma_history_page_get_date_message (LumaHistoryPage *self);
/* A filter's drop-down: "channel", "initiated-by", "role" or "status";
 * position 0 is "all", then the enumeration's values in order. */
GtkDropDown            *luma_history_page_get_filter   (LumaHistoryPage *self,
                                                        const char      *filter);
void                    luma_history_page_select_filter (LumaHistoryPage *self,
                                                         const char      *filter,
                                                         guint            position);
/* Sorts as a click on that column's header does. */
void                    luma_history_page_sort_by      (LumaHistoryPage   *self,
                                                        LumaHistoryColumn  column,
                                                        gboolean           descending);

/* Writes the rows shown (same columns, order and filters) to @file as CSV,
 * with a progress bar and Cancel, as the Download button does after its
 * confirmation and file chooser. */
void                    luma_history_page_download_to  (LumaHistoryPage *self,
                                                        GFile           *file);
gboolean                luma_history_page_get_downloading (LumaHistoryPage *self);

G_END_DECLS
