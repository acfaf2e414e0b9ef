/* luma-csv.h: the License Consumption Report (CSV)
 *
 * The report holds the rows of the history view (same columns, order and
 * filters, from one LumaHistoryQuery), written as RFC 4180:
 *
 * - UTF-8, CRLF line ends, a header row;
 * - a field is quoted when it holds a comma, a semicolon, a tab, a double
 *   quote, CR or LF, and double quotes inside are doubled;
 * - no byte-order mark by default (what RFC 4180, LibreOffice and scripts
 *   expect); LUMA_CSV_FLAGS_BOM adds one, which Excel on Windows needs to
 *   read UTF-8 rather than the ANSI code page;
 * - the header is translated like the view, the values are not: enumerations
 *   are written as their English labels ("End User", "MS Teams", "Active");
 * - times are ISO 8601 in UTC with the offset: 2026-03-14T09:26:53Z;
 * - formula injection is neutralised in every text field whichever of comma,
 *   semicolon or tab a spreadsheet splits on (OWASP CSV injection): at the
 *   start of the field and after each comma, semicolon, tab, CR or LF in
 *   it, a single quote (') is inserted when what follows, past white space
 *   (NBSP and other Unicode spaces included), zero-width characters and
 *   double quotes, is =, +, -, @ or a full-width ＝ ＋ － ＠; a field
 *   starting with tab, CR or LF gets it too. The numeric Conversations
 *   column is written as is.
 *
 * A report saved to a file is written to a temporary file next to it and
 * renamed over the target only when complete, so a cancel, an error or a
 * full disk never leaves a partial report under the chosen name. The file is
 * synced before the rename and the folder after it. A file replaced keeps its
 * permissions (0600 stays 0600). Any name the folder takes works (the
 * temporary name is shortened to fit); a longer one is refused with
 * G_IO_ERROR_FILENAME_TOO_LONG before anything is written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-cache.h"
#include "luma-models.h"

G_BEGIN_DECLS

typedef enum
{
  LUMA_CSV_FLAGS_NONE = 0,
  LUMA_CSV_FLAGS_BOM  = 1 << 0,  /* start with a UTF-8 byte-order mark (EF BB BF) */
} LumaCsvFlags;

/**
 * LumaCsvProgressFunc:
 * @rows_written: rows written so far
 * @rows_total: rows the report will hold (counted before writing)
 * @user_data: the data given with the function
 *
 * Called now and then while a report is written, and once at the end.
 */
typedef void (*LumaCsvProgressFunc) (guint64  rows_written,
                                     guint64  rows_total,
                                     gpointer user_data);

/* ---- The writer core: no cache, no I/O -------------------------------------------------------- */

/* Appends one field. @len -1 for NUL-terminated. @guard applies the formula
 * guard (text fields); numbers are appended with @guard FALSE. @value NULL
 * is an empty field. */
void         luma_csv_append_field        (GString                 *out,
                                           const char              *value,
                                           gssize                   len,
                                           gboolean                 guard);
/* Appends one record of text fields (all guarded), separated by commas and
 * ended by CRLF. */
void         luma_csv_append_row          (GString                 *out,
                                           const char * const      *fields,
                                           guint                    n_fields);
/* The header row of the report for @license_type, translated: the headings
 * of luma-history-columns.h. */
void         luma_csv_append_header       (GString                 *out,
                                           LumaLicenseType          license_type);
/* One record (a LumaSessionRecord or LumaUserRecord, after @license_type):
 * its fields in the order of luma-history-columns.h, ended by CRLF. */
void         luma_csv_append_record       (GString                 *out,
                                           LumaLicenseType          license_type,
                                           gconstpointer            record);
void         luma_csv_append_session      (GString                 *out,
                                           const LumaSessionRecord *record);
void         luma_csv_append_user         (GString                 *out,
                                           const LumaUserRecord    *record);
/* YYYY-MM-DDTHH:MM:SSZ, as the report writes times. */
void         luma_csv_append_time         (GString                 *out,
                                           gint64                   unix_seconds);
/* A count in decimal, as the report writes numbers. */
void         luma_csv_append_count        (GString                 *out,
                                           gint64                   n);

/* The untranslated labels the report uses for enumeration values. */
const char  *luma_csv_initiated_by_label  (LumaInitiatedBy          value);
const char  *luma_csv_channel_label       (LumaChannel              value);
const char  *luma_csv_role_label          (LumaRole                 value);
const char  *luma_csv_user_status_label   (LumaUserStatus           value);

/* ---- Export from the cache --------------------------------------------------------------------- */

/* Writes the report to @out (for example standard output) and flushes it,
 * without closing it. Whatever was written before an error stays written: use a file
 * target for the all-or-nothing guarantee. @progress may be NULL (then the
 * rows are not counted first). Returns FALSE with G_IO_ERROR_CANCELLED when
 * cancelled. @rows_out: (optional) rows written. */
gboolean     luma_csv_export_to_stream    (LumaCache               *cache,
                                           const LumaHistoryQuery  *query,
                                           GOutputStream           *out,
                                           LumaCsvFlags             flags,
                                           LumaCsvProgressFunc      progress,
                                           gpointer                 progress_data,
                                           guint64                 *rows_out,
                                           GCancellable            *cancellable,
                                           GError                 **error);

/* Writes the report to @path through a temporary file ".NAME.XXXXXX" in the
 * same folder (permissions 0666 less the umask), renamed to @path when
 * complete and flushed to disk. On failure or cancel, @path is untouched
 * (an earlier file of that name stays as it was) and the temporary file is
 * removed. Blocks: for the command line and worker threads. */
gboolean     luma_csv_export_to_path      (LumaCache               *cache,
                                           const LumaHistoryQuery  *query,
                                           const char              *path,
                                           LumaCsvFlags             flags,
                                           LumaCsvProgressFunc      progress,
                                           gpointer                 progress_data,
                                           guint64                 *rows_out,
                                           GCancellable            *cancellable,
                                           GError                 **error);

/* A report that is a table in memory (the tenants board, the purchase
 * history), by the same rules and with the same all-or-nothing file:
 * @header has @n_columns headings, @rows holds one array of @n_columns
 * fields (const char *, NULL for empty) per row. Fields of the columns
 * whose @numeric is TRUE are written as they are (a count of -500 stays a
 * number); every other field is guarded. @numeric may be NULL (all text).
 * @rows_out: (optional) rows written. */
gboolean     luma_csv_write_table_to_path   (const char              *path,
                                             const char * const      *header,
                                             guint                    n_columns,
                                             GPtrArray               *rows,
                                             const gboolean          *numeric,
                                             LumaCsvFlags             flags,
                                             guint64                 *rows_out,
                                             GError                 **error);
gboolean     luma_csv_write_table_to_stream (GOutputStream           *out,
                                             const char * const      *header,
                                             guint                    n_columns,
                                             GPtrArray               *rows,
                                             const gboolean          *numeric,
                                             LumaCsvFlags             flags,
                                             guint64                 *rows_out,
                                             GError                 **error);

/* luma_csv_export_to_path() in a worker thread for the UI. @target must have
 * a local path (G_IO_ERROR_NOT_SUPPORTED otherwise). @progress is called in
 * the thread-default main context of the caller, at most about ten times a
 * second and once at the end before @callback; @progress_notify frees
 * @progress_data after the last call. @query is copied. */
void         luma_csv_export_async        (LumaCache               *cache,
                                           const LumaHistoryQuery  *query,
                                           GFile                   *target,
                                           LumaCsvFlags             flags,
                                           LumaCsvProgressFunc      progress,
                                           gpointer                 progress_data,
                                           GDestroyNotify           progress_notify,
                                           GCancellable            *cancellable,
                                           GAsyncReadyCallback      callback,
                                           gpointer                 user_data);
/* @rows_out: (optional) rows written. */
gboolean     luma_csv_export_finish       (GAsyncResult            *result,
                                           guint64                 *rows_out,
                                           GError                 **error);

/* ---- Other files saved the same way ----------------------------------------------------------- */

/* Saves @contents (a whole document already in memory: a transcript, a
 * breakdown, a list) to @path as luma_csv_export_to_path() saves a report:
 * through a temporary file renamed over @path when complete and synced, so
 * @path holds the old file or the whole new one. Blocks. */
gboolean     luma_csv_save_to_path        (const char              *path,
                                           GBytes                  *contents,
                                           GCancellable            *cancellable,
                                           GError                 **error);
/* luma_csv_save_to_path() in a worker thread. @target must have a local
 * path (G_IO_ERROR_NOT_SUPPORTED otherwise). */
void         luma_csv_save_async          (GFile                   *target,
                                           GBytes                  *contents,
                                           GCancellable            *cancellable,
                                           GAsyncReadyCallback      callback,
                                           gpointer                 user_data);
gboolean     luma_csv_save_finish         (GAsyncResult            *result,
                                           GError                 **error);

G_END_DECLS
