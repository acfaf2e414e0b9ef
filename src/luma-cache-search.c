/* luma-cache-search.c: what the desktop's search finds in a cache file (read only)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-cache-private.h"
#include "luma-cache-search.h"

void
luma_search_record_free (LumaSearchRecord *self)
{
  if (self == NULL)
    return;
  g_free (self->record_id);
  g_free (self->user_name);
  g_free (self);
}

gboolean
luma_search_terms_match (const char *const *terms,
                         const char        *text)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;
  /* Folded as the history's search folds, so both find the same. */
  folded = _luma_cache_fold (text, -1);
  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      g_autofree char *term = _luma_cache_fold (terms[i], -1);

      if (strstr (folded, term) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_tenants (sqlite3    *db,
              const char *sql,
              GPtrArray  *out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, _luma_cache_tenant_summary_from_row (stmt));
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE;
}

/* Ids are 1-64 characters of [A-Za-z0-9._:-] (docs/api.md; the decoder
 * stores no other): a longer term, or one with other than ASCII, is no
 * id's start. */
#define MAX_ID_BYTES 64

static gboolean
may_start_id (const char *term,
              gsize       len)
{
  if (len > MAX_ID_BYTES)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) term[i] >= 0x80)
      return FALSE;
  return TRUE;
}

/* The smallest string above every string that starts with @prefix, in
 * the byte order of the id columns (BINARY). @prefix is not empty and
 * ASCII, so its last byte has a next one. */
static char *
prefix_end (const char *prefix)
{
  char *end = g_strdup (prefix);

  end[strlen (end) - 1]++;
  return end;
}

typedef struct
{
  LumaLicenseType  type;
  const char      *term;
  gsize            len;
  sqlite3_stmt    *probe;
  sqlite3_stmt    *rows;
  guint            left;
  GPtrArray       *out;
  gboolean         ok;
} IdSearch;

/* Binds the range of the ids that start with @prefix to @stmt. */
static void
bind_prefix (sqlite3_stmt *stmt,
             const char   *prefix)
{
  sqlite3_reset (stmt);
  sqlite3_bind_text (stmt, 1, prefix, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, prefix_end (prefix), -1, g_free);
}

static gboolean
any_id_starts_with (IdSearch   *s,
                    const char *prefix)
{
  int rc;

  bind_prefix (s->probe, prefix);
  rc = sqlite3_step (s->probe);
  s->ok &= rc == SQLITE_ROW || rc == SQLITE_DONE;
  return rc == SQLITE_ROW;
}

static void
read_ids_starting_with (IdSearch   *s,
                        const char *prefix)
{
  int rc;

  bind_prefix (s->rows, prefix);
  sqlite3_bind_int64 (s->rows, 3, s->left);
  while ((rc = sqlite3_step (s->rows)) == SQLITE_ROW)
    {
      LumaSearchRecord *r = g_new0 (LumaSearchRecord, 1);

      r->license_type = s->type;
      r->record_id = g_strdup (_luma_cache_column_text (s->rows, 0));
      r->user_name = g_strdup (_luma_cache_column_text (s->rows, 1));
      r->time = sqlite3_column_int64 (s->rows, 2);
      g_ptr_array_add (s->out, r);
      s->left--;
    }
  s->ok &= rc == SQLITE_DONE;
}

/* Extends @prefix (the term's first prefix->len bytes, in the case of an
 * id) to the whole term: a letter in either case, capitals first as the
 * bytes sort, only where some id goes on that way. So the records come in
 * id order, and each step is one seek in the index. */
static void
find_ids (IdSearch *s,
          GString  *prefix)
{
  gsize start = prefix->len;
  gsize i = start;

  /* Only letters have two spellings. */
  while (i < s->len && !g_ascii_isalpha (s->term[i]))
    g_string_append_c (prefix, s->term[i++]);
  if (i == s->len)
    {
      if (prefix->len > 0)
        read_ids_starting_with (s, prefix->str);
    }
  else
    {
      const char cases[] = { g_ascii_toupper (s->term[i]), g_ascii_tolower (s->term[i]) };

      for (guint c = 0; c < G_N_ELEMENTS (cases) && s->left > 0 && s->ok; c++)
        {
          g_string_truncate (prefix, i);
          g_string_append_c (prefix, cases[c]);
          if (any_id_starts_with (s, prefix->str))
            find_ids (s, prefix);
        }
    }
  g_string_truncate (prefix, start);
}

/* The ids that start with @term, without regard to case, as GNOME Shell
 * matches the start of words: "s-00048" finds S-000048123, "48123" finds
 * nothing. Looked up as ranges of the id column's UNIQUE index (its
 * collation is BINARY, so each spelling is a range of its own): a few
 * seeks and at most @max rows, whatever the other columns hold, and
 * whether the history's search index is built or not. (Its trigrams
 * would walk every record whose email holds the term.) */
static gboolean
read_records (sqlite3         *db,
              LumaLicenseType  type,
              const char      *term,
              guint            max,
              GPtrArray       *out)
{
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *probe_sql = NULL;
  g_autofree char *rows_sql = NULL;
  g_autoptr(GString) prefix = NULL;
  IdSearch s = { type, term, strlen (term), NULL, NULL, max, out, TRUE };

  if (!may_start_id (term, s.len))
    return TRUE;
  probe_sql = g_strdup_printf ("SELECT 1 FROM %s WHERE %s >= ?1 AND %s < ?2 LIMIT 1",
                               t->table, t->id_col, t->id_col);
  rows_sql = g_strdup_printf ("SELECT %s, user_name, %s FROM %s WHERE %s >= ?1 AND %s < ?2"
                              " ORDER BY %s LIMIT ?3",
                              t->id_col, t->time_col, t->table, t->id_col, t->id_col, t->id_col);
  if (sqlite3_prepare_v2 (db, probe_sql, -1, &s.probe, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, rows_sql, -1, &s.rows, NULL) == SQLITE_OK)
    {
      prefix = g_string_sized_new (s.len);
      find_ids (&s, prefix);
    }
  else
    s.ok = FALSE;
  sqlite3_finalize (s.probe);
  sqlite3_finalize (s.rows);
  return s.ok;
}

gboolean
luma_cache_search_file (const char  *path,
                        const char  *record_term,
                        guint        max_records,
                        GPtrArray  **tenants_out,
                        GPtrArray  **records_out)
{
  g_autoptr(GPtrArray) tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_search_record_free);
  sqlite3 *db = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tenants_out != NULL && records_out != NULL, FALSE);

  /* Read-only never creates the file; a missing one is simply not there. */
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
      sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, 200);
      ok = read_tenants (db, "SELECT " LUMA_CACHE_TENANT_SUMMARY_COLS " FROM subscription", tenants);
      /* Older files have no tenant list: not an error. */
      read_tenants (db, "SELECT " LUMA_CACHE_TENANT_SUMMARY_COLS " FROM tenants ORDER BY position",
                    tenants);
      if (ok && record_term != NULL && g_utf8_strlen (record_term, -1) >= 3 && max_records > 0)
        {
          for (int type = LUMA_LICENSE_TYPE_SESSION; type <= LUMA_LICENSE_TYPE_USER; type++)
            if (records->len < max_records)
              read_records (db, type, record_term, max_records - records->len, records);
        }
    }
  if (db != NULL)
    sqlite3_close_v2 (db);

  *tenants_out = g_steal_pointer (&tenants);
  *records_out = g_steal_pointer (&records);
  return ok;
}

/* As luma_cache_count_in_ranges() does, on the read-only handle. */
static gboolean
count_days (sqlite3         *db,
            LumaLicenseType  type,
            const gint64    *bounds,
            guint            n_days,
            gint64          *counts)
{
  const LumaCacheHistoryTable *t = &_luma_cache_history_tables[type];
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc = SQLITE_DONE;

  sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE %s%s >= ?1 AND %s < ?2", t->table,
                         type == LUMA_LICENSE_TYPE_USER ? "status = ?3 AND " : "",
                         t->time_col, t->time_col);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  if (type == LUMA_LICENSE_TYPE_USER)
    sqlite3_bind_int (stmt, 3, LUMA_USER_STATUS_ACTIVE);
  for (guint i = 0; i < n_days && rc == SQLITE_DONE; i++)
    {
      sqlite3_bind_int64 (stmt, 1, bounds[i]);
      sqlite3_bind_int64 (stmt, 2, bounds[i + 1]);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          counts[i] = sqlite3_column_int64 (stmt, 0);
          rc = sqlite3_step (stmt);
        }
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE;
}

LumaForecast *
luma_cache_search_forecast (const char              *path,
                            const LumaTenantSummary *tenant,
                            gint64                   now)
{
  g_autoptr(GArray) bounds = NULL;
  g_autofree gint64 *counts = NULL;
  const gint64 *b;
  sqlite3 *db = NULL;
  guint n_days, n_recent, from;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (tenant != NULL, NULL);

  bounds = luma_forecast_day_bounds (tenant->start_date, tenant->end_date);
  if (bounds == NULL || bounds->len < 2)
    return NULL;
  b = (const gint64 *) (gpointer) bounds->data;
  n_days = bounds->len - 1;
  counts = g_new0 (gint64, n_days);

  /* Only the window of the rate and today, as the alerts count it: a few
   * dozen ranges of the time index, whatever the size of the history. */
  n_recent = luma_forecast_recent_days (b, n_days, now, &from);
  if ((guint) tenant->license_type < G_N_ELEMENTS (_luma_cache_history_tables) &&
      g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
      sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, 200);
      /* A file it cannot count in counts nothing rather than half. */
      if (!count_days (db, tenant->license_type, b + from, n_recent, counts + from))
        memset (counts, 0, sizeof (gint64) * n_days);
    }
  if (db != NULL)
    sqlite3_close_v2 (db);

  return luma_forecast_new (b, counts, n_days, now, tenant->consumed, tenant->total_purchase);
}
