/* luma-cache-connection.c: SQLite connections, statements, transactions and errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-cache-private.h"

#include <json-glib/json-glib.h>

/* Readers map the file: pages read from it cost no heap and no copy, so
 * the cache only holds pages still in the WAL (the file is private to the
 * app and never truncated while open). Its size also bounds the sorter's
 * memory before it spills to files (searches sort their matches: 2 MB made
 * those slower). Both are freed when the reader goes idle. */
#define READER_CACHE_KIB 16384
#define READER_MMAP_BYTES (G_GINT64_CONSTANT (2) << 30)

/* ---- Errors --------------------------------------------------------------------------------- */

static LumaCacheError
error_code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      return LUMA_CACHE_ERROR_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return LUMA_CACHE_ERROR_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return LUMA_CACHE_ERROR_BUSY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_NOLFS:
      return LUMA_CACHE_ERROR_IO;
    default:
      return LUMA_CACHE_ERROR_FAILED;
    }
}

void
_luma_cache_set_sqlite_error (GError     **error,
                              sqlite3     *db,
                              int          rc,
                              const char  *what)
{
  if ((rc & 0xff) == SQLITE_INTERRUPT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
      return;
    }
  g_set_error (error, LUMA_CACHE_ERROR, error_code_for (rc), "%s: %s", what,
               db != NULL && sqlite3_errcode (db) == rc ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

/* ---- Connections ---------------------------------------------------------------------------- */

void
_luma_cache_db_free (LumaCacheDb *db)
{
  if (db == NULL)
    return;
  g_clear_pointer (&db->stmts, g_hash_table_unref);
  sqlite3_close_v2 (db->db);
  g_free (db);
}

static int
progress_cb (void *data)
{
  LumaCacheDb *db = data;

  return db->cancellable != NULL && g_cancellable_is_cancelled (db->cancellable);
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* ---- One case folding for every search ------------------------------------------------------
 *
 * The search index (FTS5's trigram tokenizer, case_sensitive 0) folds each
 * character on its own by Unicode simple case folding and normalizes
 * nothing. Searches that cannot use it (terms under 3 characters, while the
 * index is being built) fold the same way here, so that `ÄRGER` finds
 * `ärger` on every path, and the search and the CSV filter agree. */

static gunichar
fold_char (gunichar c)
{
  char utf8[6];
  g_autofree char *folded = NULL;
  int len;

  len = g_unichar_to_utf8 (c, utf8);
  folded = g_utf8_casefold (utf8, len);
  /* Full folding that grows (ß -> ss) has no simple form: the index keeps
   * such a letter, or takes its lower case (ẞ -> ß). */
  if (g_utf8_strlen (folded, -1) == 1)
    return g_utf8_get_char (folded);
  return g_unichar_tolower (c);
}

char *
_luma_cache_fold (const char *text,
                  gssize      len)
{
  GString *out;
  const char *end;

  if (len < 0)
    len = strlen (text);
  end = text + len;
  out = g_string_sized_new (len);
  for (const char *p = text; p < end; )
    {
      if ((guchar) *p < 0x80)
        {
          g_string_append_c (out, g_ascii_tolower (*p));
          p++;
          continue;
        }
      {
        gunichar c = g_utf8_get_char_validated (p, end - p);

        if (c == (gunichar) -1 || c == (gunichar) -2)
          {
            /* Not UTF-8: kept as it is, byte by byte. */
            g_string_append_c (out, *p);
            p++;
            continue;
          }
        g_string_append_unichar (out, fold_char (c));
        p = g_utf8_next_char (p);
      }
    }
  return g_string_free (out, FALSE);
}

/* luma_contains(TEXT, FOLDED): whether TEXT, folded, holds FOLDED (a term
 * folded with _luma_cache_fold()). NULL TEXT holds nothing. */
static void
contains_func (sqlite3_context  *ctx,
               int               argc,
               sqlite3_value   **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  const char *needle = (const char *) sqlite3_value_text (argv[1]);
  gboolean ascii = TRUE;
  int len;

  if (text == NULL || needle == NULL)
    {
      sqlite3_result_int (ctx, 0);
      return;
    }
  len = sqlite3_value_bytes (argv[0]);
  for (int i = 0; i < len && ascii; i++)
    ascii = (guchar) text[i] < 0x80;

  /* The common case, without a copy: ASCII folds to ASCII. */
  if (ascii)
    {
      gsize n = strlen (needle);

      for (int i = 0; i + (int) n <= len; i++)
        if (g_ascii_strncasecmp (text + i, needle, n) == 0)
          {
            sqlite3_result_int (ctx, 1);
            return;
          }
      sqlite3_result_int (ctx, 0);
      return;
    }

  {
    g_autofree char *folded = _luma_cache_fold (text, len);

    sqlite3_result_int (ctx, strstr (folded, needle) != NULL);
  }
}

LumaCacheDb *
_luma_cache_db_wrap (sqlite3 *handle)
{
  LumaCacheDb *db = g_new0 (LumaCacheDb, 1);

  db->db = handle;
  db->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_stmt);
  sqlite3_progress_handler (handle, 4000, progress_cb, db);
  sqlite3_create_function (handle, "luma_contains", 2,
                           SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                           NULL, contains_func, NULL, NULL);
  _luma_cache_breakdown_register (handle);
  return db;
}

LumaCacheDb *
_luma_cache_db_open_read (const char  *path,
                          GError     **error)
{
  sqlite3 *handle = NULL;
  int rc = sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  LumaCacheDb *db;
  g_autofree char *pragmas = NULL;

  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, handle, rc, "Cannot open the cache");
      sqlite3_close_v2 (handle);
      return NULL;
    }
  db = _luma_cache_db_wrap (handle);
  sqlite3_busy_timeout (handle, 5000);
  pragmas = g_strdup_printf ("PRAGMA cache_size = -%d; PRAGMA mmap_size = %" G_GINT64_FORMAT ";"
                             "PRAGMA query_only = 1;",
                             READER_CACHE_KIB, READER_MMAP_BYTES);
  if (!_luma_cache_db_exec (db, pragmas, error))
    {
      _luma_cache_db_free (db);
      return NULL;
    }
  return db;
}

/* ---- Statements ----------------------------------------------------------------------------- */

gboolean
_luma_cache_db_exec (LumaCacheDb  *db,
                     const char   *sql,
                     GError      **error)
{
  int rc = sqlite3_exec (db->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cache");
      return FALSE;
    }
  return TRUE;
}

/* A prepared statement kept for the life of the connection, reset and
 * cleared. Reset it again after use so no read transaction stays open. */
sqlite3_stmt *
_luma_cache_db_prepare (LumaCacheDb  *db,
                        const char   *sql,
                        GError      **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (db->stmts, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cache");
      return NULL;
    }
  g_hash_table_insert (db->stmts, (gpointer) sql, stmt);
  return stmt;
}

gboolean
_luma_cache_db_step_done (LumaCacheDb   *db,
                          sqlite3_stmt  *stmt,
                          GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _luma_cache_set_sqlite_error (error, db->db, rc, "Cache");
      return FALSE;
    }
  return TRUE;
}

/* Prepares @sql, binds the arguments after @types (one letter each: 's' a
 * string, 'i' a gint64, 'd' a gdouble) and runs it once. */
gboolean
_luma_cache_db_exec_bound (LumaCacheDb  *db,
                           const char   *sql,
                           GError      **error,
                           const char   *types,
                           ...)
{
  sqlite3_stmt *stmt = _luma_cache_db_prepare (db, sql, error);
  va_list ap;

  if (stmt == NULL)
    return FALSE;
  va_start (ap, types);
  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 's')
        _luma_cache_bind_text (stmt, i + 1, va_arg (ap, const char *));
      else if (types[i] == 'i')
        sqlite3_bind_int64 (stmt, i + 1, va_arg (ap, gint64));
      else if (types[i] == 'd')
        sqlite3_bind_double (stmt, i + 1, va_arg (ap, gdouble));
    }
  va_end (ap);
  return _luma_cache_db_step_done (db, stmt, error);
}

/* One integer from a statement prepared for this call only. */
gboolean
_luma_cache_db_query_int (LumaCacheDb  *db,
                          const char   *sql,
                          gint64       *out,
                          int          *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

void
_luma_cache_bind_text (sqlite3_stmt *stmt,
                       int           col,
                       const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_STATIC);
}

const char *
_luma_cache_column_text (sqlite3_stmt *stmt,
                         int           col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return text != NULL ? text : "";
}

/* ---- Email lists, stored as JSON arrays ----------------------------------------------------- */

char *
_luma_cache_strv_to_json (const char *const *strv)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

GStrv
_luma_cache_json_to_strv (const char  *json,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;
  JsonArray *array;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    goto bad;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    goto bad;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        goto bad;
      g_strv_builder_add (builder, json_node_get_string (node));
    }
  return g_strv_builder_end (builder);

bad:
  g_set_error_literal (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CORRUPT,
                       "Cache: a stored email list is damaged");
  return NULL;
}

/* ---- Transactions on the writer connection -------------------------------------------------- */

gboolean
_luma_cache_begin (LumaCache  *self,
                   GError    **error)
{
  return _luma_cache_db_exec (self->wdb, "BEGIN IMMEDIATE", error);
}

gboolean
_luma_cache_commit (LumaCache  *self,
                    GError    **error)
{
  if (!_luma_cache_db_exec (self->wdb, "COMMIT", error))
    {
      sqlite3_exec (self->wdb->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

void
_luma_cache_rollback (LumaCache *self)
{
  if (!sqlite3_get_autocommit (self->wdb->db))
    sqlite3_exec (self->wdb->db, "ROLLBACK", NULL, NULL, NULL);
}
