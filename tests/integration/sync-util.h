/* sync-util.h: helpers shared by test-sync.c and test-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The checksum of docs/api.md §7 is computed here from the cache file with plain SQL, not
 * through LumaCache, so a record the cache writes wrongly cannot read back "right".
 */

#pragma once

#include <sqlite3.h>
#include <string.h>

#include "luma-test-sandbox.h"

#define ACME      "acme"
#define ACME_KEY  "acme-key-0001"

/* The wire names, in the order the cache stores them (the enums of luma-models.h). */
static const char * const initiated_by_names[] = { "END_USER", "AGENT" };
static const char * const channel_names[] = {
  "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL"
};
static const char * const role_names[] = { "Admin", "Developer", "Analyst", "Self-service", "Guest" };
static const char * const status_names[] = { "ACTIVE", "INACTIVE" };

static inline const char *
enum_name (const char * const *names,
           guint               n_names,
           gint64              value)
{
  g_assert_cmpint (value, >=, 0);
  g_assert_cmpint (value, <, n_names);
  return names[value];
}

static inline void
append_time (GString *line,
             gint64   unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);
  g_autofree char *text = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");

  g_string_append (line, text);
}

static inline void
append_text (GString       *line,
             sqlite3_stmt  *stmt,
             int            column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  if (text != NULL)
    g_string_append (line, (const char *) text);
}

/* Opens the cache file read-only; NULL (no failure) when it does not exist yet. */
static inline sqlite3 *
open_cache_db (const char *path)
{
  sqlite3 *db = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_test_message ("cannot open %s: %s", path, sqlite3_errmsg (db));
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  return db;
}

/* Number of rows in @table, -1 when the file or the table is not there (yet). */
static inline gint64
count_cache_rows (const char *path,
                  const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3 *db = open_cache_db (path);
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  if (db == NULL)
    return -1;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* The §7 checksum of the session (or user) history in the cache file, with the record count. */
static inline char *
cache_checksum (const char *path,
                gboolean    users,
                gint64     *records_out)
{
  static const char session_sql[] =
    "SELECT session_id, started_on, initiated_by, user_name, email, role, agent_name, channel, "
    "conversations FROM sessions ORDER BY session_id COLLATE BINARY";
  static const char user_sql[] =
    "SELECT user_id, user_name, email, first_name, last_name, role, status, created_on, "
    "conversations, last_conversation_on FROM users ORDER BY user_id COLLATE BINARY";
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GString) line = g_string_new (NULL);
  sqlite3 *db = open_cache_db (path);
  sqlite3_stmt *stmt = NULL;
  gint64 n = 0;
  int rc;

  g_assert_nonnull (db);
  g_assert_cmpint (sqlite3_prepare_v2 (db, users ? user_sql : session_sql, -1, &stmt, NULL),
                   ==, SQLITE_OK);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_string_truncate (line, 0);
      if (!users)
        {
          append_text (line, stmt, 0);
          g_string_append_c (line, '\t');
          append_time (line, sqlite3_column_int64 (stmt, 1));
          g_string_append_c (line, '\t');
          g_string_append (line, enum_name (initiated_by_names, G_N_ELEMENTS (initiated_by_names),
                                            sqlite3_column_int64 (stmt, 2)));
          g_string_append_c (line, '\t');
          append_text (line, stmt, 3);
          g_string_append_c (line, '\t');
          append_text (line, stmt, 4);
          g_string_append_c (line, '\t');
          g_string_append (line, enum_name (role_names, G_N_ELEMENTS (role_names),
                                            sqlite3_column_int64 (stmt, 5)));
          g_string_append_c (line, '\t');
          append_text (line, stmt, 6);
          g_string_append_c (line, '\t');
          g_string_append (line, enum_name (channel_names, G_N_ELEMENTS (channel_names),
                                            sqlite3_column_int64 (stmt, 7)));
          g_string_append_c (line, '\t');
          g_string_append_printf (line, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 8));
        }
      else
        {
          for (int c = 0; c < 5; c++)
            {
              append_text (line, stmt, c);
              g_string_append_c (line, '\t');
            }
          g_string_append (line, enum_name (role_names, G_N_ELEMENTS (role_names),
                                            sqlite3_column_int64 (stmt, 5)));
          g_string_append_c (line, '\t');
          g_string_append (line, enum_name (status_names, G_N_ELEMENTS (status_names),
                                            sqlite3_column_int64 (stmt, 6)));
          g_string_append_c (line, '\t');
          append_time (line, sqlite3_column_int64 (stmt, 7));
          g_string_append_c (line, '\t');
          g_string_append_printf (line, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 8));
          /* lastConversationOn: NULL (never, or not given) is the empty field */
          g_string_append_c (line, '\t');
          if (sqlite3_column_type (stmt, 9) != SQLITE_NULL)
            append_time (line, sqlite3_column_int64 (stmt, 9));
        }
      g_string_append_c (line, '\n');
      g_checksum_update (checksum, (const guchar *) line->str, line->len);
      n++;
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);

  sqlite3_finalize (stmt);
  sqlite3_close (db);
  if (records_out != NULL)
    *records_out = n;
  return g_strdup (g_checksum_get_string (checksum));
}

/* The cache equals the sandbox row for row: same count, same checksum. */
static inline void
assert_cache_matches_sandbox (const char      *cache_path,
                              LumaTestSandbox *sb,
                              const char      *tenant,
                              gboolean         users)
{
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  gint64 sandbox_records = 0;
  gint64 cache_records = 0;

  expected = luma_test_sandbox_get_checksum (sb, tenant, &sandbox_records, NULL);
  actual = cache_checksum (cache_path, users, &cache_records);
  g_assert_cmpint (cache_records, ==, sandbox_records);
  g_assert_cmpstr (actual, ==, expected);
}
