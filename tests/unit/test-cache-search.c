/* test-cache-search.c: what the desktop's search finds in a cache file
 *
 * luma_cache_search_file() on real cache files, written as a sync writes
 * them: ids are found by their start whatever the other columns hold, in
 * the case people type them, with or without the history's search index.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "luma-cache-private.h"
#include "luma-cache-search.h"

#define NOW ((gint64) 1774033200)

static char *
test_path (const char *name)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "test-cache-search", NULL);

  g_mkdir_with_parents (dir, 0700);
  return g_build_filename (dir, name, NULL);
}

static LumaCache *
open_cache (const char *path)
{
  g_autoptr(GError) error = NULL;
  LumaCache *cache = luma_cache_open_path (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cache);
  return cache;
}

/* Sessions "S-000048000" on, every one's email at acme.example, none with
 * "acme" in its id. */
static void
add_sessions (LumaCache *cache,
              guint      n)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup_printf ("S-%09u", 48000 + i);
      r->started_on = NOW - i;
      r->user_name = g_strdup_printf ("acme.user%u", i % 7);
      r->email = g_strdup_printf ("user%u@acme.example", i % 7);
      r->agent_name = g_strdup ("Acme Support");
      r->channel = LUMA_CHANNEL_SLACK;
      r->conversations = 1;
      g_ptr_array_add (records, r);
    }
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Searches @path for @term; returns the ids found, in order. */
static GStrv
search_ids (const char *path,
            const char *term,
            guint       max)
{
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();

  g_assert_true (luma_cache_search_file (path, term, max, &tenants, &records));
  g_assert_cmpuint (records->len, <=, max);
  for (guint i = 0; i < records->len; i++)
    {
      const LumaSearchRecord *r = g_ptr_array_index (records, i);

      g_strv_builder_add (ids, r->record_id);
    }
  return g_strv_builder_end (ids);
}

static void
assert_ids (const char *path,
            const char *term,
            guint       max,
            const char *expected)
{
  g_auto(GStrv) ids = search_ids (path, term, max);
  g_autofree char *joined = g_strjoinv (" ", ids);

  g_assert_cmpstr (joined, ==, expected);
}

static void
test_session_ids (void)
{
  g_autofree char *path = test_path ("sessions.sqlite");
  g_autoptr(LumaCache) cache = open_cache (path);
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) records = NULL;

  add_sessions (cache, 200);
  g_clear_object (&cache);

  /* In every record's email, user and agent name, in no id: nothing. */
  assert_ids (path, "acme", 5, "");
  assert_ids (path, "ACME", 5, "");
  assert_ids (path, "acme.example", 5, "");

  /* The start of an id, in id order, up to the limit. */
  assert_ids (path, "S-0000481", 5, "S-000048100 S-000048101 S-000048102 S-000048103 S-000048104");
  assert_ids (path, "S-00004812", 100,
              "S-000048120 S-000048121 S-000048122 S-000048123 S-000048124 "
              "S-000048125 S-000048126 S-000048127 S-000048128 S-000048129");
  assert_ids (path, "S-000048123", 5, "S-000048123");

  /* Typed in lower case or in mixed case. */
  assert_ids (path, "s-000048123", 5, "S-000048123");
  assert_ids (path, "s-0000481", 2, "S-000048100 S-000048101");

  /* Not the middle or the end of an id; nothing past the range. */
  assert_ids (path, "000048123", 5, "");
  assert_ids (path, "48123", 5, "");
  assert_ids (path, "S-000048200", 5, "");
  assert_ids (path, "S-1", 5, "");

  /* Fewer than 3 characters or no room: no record looked for. */
  assert_ids (path, "S-", 5, "");
  assert_ids (path, "S-0000481", 0, "");

  /* The record's fields come with it. */
  g_assert_true (luma_cache_search_file (path, "S-000048123", 5, &tenants, &records));
  g_assert_cmpuint (records->len, ==, 1);
  {
    const LumaSearchRecord *r = g_ptr_array_index (records, 0);

    g_assert_cmpint (r->license_type, ==, LUMA_LICENSE_TYPE_SESSION);
    g_assert_cmpstr (r->user_name, ==, "acme.user4");
    g_assert_cmpint (r->time, ==, NOW - 123);
  }
}

static void
test_user_ids (void)
{
  g_autofree char *path = test_path ("users.sqlite");
  g_autoptr(LumaCache) cache = open_cache (path);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autoptr(GError) error = NULL;
  /* Ids written in upper, lower and mixed case. */
  const char *user_ids[] = { "U-00042", "U-00043", "u-00044", "usr-Ab1", "usr-ab2", "usr-AB3" };

  for (guint i = 0; i < G_N_ELEMENTS (user_ids); i++)
    {
      LumaUserRecord *u = luma_user_record_new ();

      u->user_id = g_strdup (user_ids[i]);
      u->user_name = g_strdup_printf ("user%u", i);
      u->email = g_strdup_printf ("user%u@acme.example", i);
      u->first_name = g_strdup ("Acme");
      u->last_name = g_strdup ("U-00042");
      u->created_on = NOW - i;
      g_ptr_array_add (users, u);
    }
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  assert_ids (path, "acme", 5, "");
  /* Another record's last name is not its id. */
  assert_ids (path, "U-00042", 5, "U-00042");
  /* Without regard to case, in id order (the bytes': capitals first). */
  assert_ids (path, "u-0004", 5, "U-00042 U-00043 u-00044");
  assert_ids (path, "U-0004", 5, "U-00042 U-00043 u-00044");
  assert_ids (path, "u-0004", 2, "U-00042 U-00043");
  assert_ids (path, "USR-AB", 5, "usr-AB3 usr-Ab1 usr-ab2");
  assert_ids (path, "usr-aB", 5, "usr-AB3 usr-Ab1 usr-ab2");
  assert_ids (path, "usr-ab2", 5, "usr-ab2");
  assert_ids (path, "Usr-Ab1", 5, "usr-Ab1");
  /* Not ASCII, or longer than an id: no id starts with it. */
  assert_ids (path, "usr-Äb", 5, "");
  assert_ids (path, "U-000420000000000000000000000000000000000000000000000000000000000000", 5, "");
}

/* How many sessions the history's search index finds by @id. */
static gint64
count_in_search_index (const char *path,
                       const char *id)
{
  g_autofree char *match = g_strdup_printf ("session_id : \"%s\"", id);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sessions_fts WHERE sessions_fts MATCH ?1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* During a full sync the search index is emptied and rebuilt only at its
 * end; the ids are found all along. */
static void
test_without_search_index (void)
{
  g_autofree char *path = test_path ("full-sync.sqlite");
  g_autoptr(LumaCache) cache = open_cache (path);
  g_autoptr(GError) error = NULL;

  add_sessions (cache, 50);
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error));
  g_assert_no_error (error);
  add_sessions (cache, 20);
  g_assert_false (luma_cache_get_indexes_ready (cache));
  g_assert_cmpint (count_in_search_index (path, "S-000048019"), ==, 0);

  assert_ids (path, "S-00004801", 5, "S-000048010 S-000048011 S-000048012 S-000048013 S-000048014");
  assert_ids (path, "s-000048019", 5, "S-000048019");
  assert_ids (path, "S-00004802", 5, "");
  assert_ids (path, "acme", 5, "");

  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_in_search_index (path, "S-000048019"), ==, 1);
  assert_ids (path, "s-000048019", 5, "S-000048019");
}

static void
test_missing_file (void)
{
  g_autofree char *path = test_path ("missing.sqlite");
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) records = NULL;

  g_assert_false (luma_cache_search_file (path, "S-0000481", 5, &tenants, &records));
  g_assert_cmpuint (tenants->len, ==, 0);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cache-search/session-ids", test_session_ids);
  g_test_add_func ("/cache-search/user-ids", test_user_ids);
  g_test_add_func ("/cache-search/without-search-index", test_without_search_index);
  g_test_add_func ("/cache-search/missing-file", test_missing_file);

  return g_test_run ();
}
