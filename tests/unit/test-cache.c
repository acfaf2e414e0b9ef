/* test-cache.c: the SQLite cache, on real files in a private XDG cache directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "luma-cache-private.h"
#include "luma-csv.h"

/* ---- Helpers -------------------------------------------------------------------------------- */

static char *
test_path (const char *name)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "test-cache", NULL);

  g_mkdir_with_parents (dir, 0700);
  return g_build_filename (dir, name, NULL);
}

static LumaCache *
open_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  LumaCache *cache = luma_cache_open_path (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cache);
  return cache;
}

static gint64
raw_int (const char *path,
         const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = G_MININT64;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

static LumaSessionRecord *
make_session (const char *id,
              gint64      started_on,
              const char *user_name,
              const char *email,
              const char *agent,
              guint       channel,
              guint       role,
              guint       initiated_by,
              gint64      conversations)
{
  LumaSessionRecord *r = luma_session_record_new ();

  r->session_id = g_strdup (id);
  r->started_on = started_on;
  r->user_name = g_strdup (user_name);
  r->email = g_strdup (email);
  r->agent_name = g_strdup (agent);
  r->channel = channel;
  r->role = role;
  r->initiated_by = initiated_by;
  r->conversations = conversations;
  return r;
}

static GPtrArray *
session_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
}

/* Stages @n simple sessions "S-<prefix>-i" and returns nothing. */
static void
stage_sessions (LumaCache  *cache,
                const char *prefix,
                guint       n,
                gint64      t0)
{
  g_autoptr(GPtrArray) records = session_array ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("S-%s-%06u", prefix, i);
      g_ptr_array_add (records, make_session (id, t0 + i, "user", "u@example.org", NULL,
                                              LUMA_CHANNEL_SLACK, LUMA_ROLE_GUEST,
                                              LUMA_INITIATED_BY_END_USER, 1));
    }
  luma_cache_upsert_sessions (cache, records);
}

static gint64
count_sessions (LumaCache *cache)
{
  g_autoptr(GError) error = NULL;
  gint64 n = luma_cache_count_records (cache, LUMA_LICENSE_TYPE_SESSION, &error);

  g_assert_no_error (error);
  return n;
}

/* ---- Opening, schema, files ----------------------------------------------------------------- */

static void
test_schema_create_reopen (void)
{
  g_autofree char *path = test_path ("schema.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gint64 version;

  g_assert_false (luma_cache_was_rebuilt (cache));
  g_assert_null (luma_cache_get_corrupt_path (cache));
  g_assert_cmpstr (luma_cache_get_path (cache), ==, path);
  g_assert_true (luma_cache_get_indexes_ready (cache));
  g_assert_cmpint (count_sessions (cache), ==, 0);
  g_assert_false (luma_cache_get_license_type (cache, NULL));

  g_assert_true (luma_cache_set_meta (cache, "k", "v", &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  version = raw_int (path, "PRAGMA user_version");
  g_assert_cmpint (version, >=, 2);
  g_assert_cmpint (raw_int (path, "PRAGMA application_id"), ==, 0x4C554D41);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                  "('sessions', 'users', 'sync_state', 'outbox', 'contacts_conflict',"
                                  " 'notified_thresholds', 'purchases', 'subscription', 'meta',"
                                  " 'conversations', 'messages')"), ==, 11);

  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  value = luma_cache_get_meta (cache, "k", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "v");
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, version);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
test_account_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autofree char *path = luma_cache_path_for_account ("https://luma.example/gateway/api/v1", "acme");
  g_autofree char *other = luma_cache_path_for_account ("https://luma.example/gateway/api/v1", "superadmin:root/acme");
  g_autofree char *other_server = luma_cache_path_for_account ("https://other.example/gateway/api/v1", "acme");
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "luma-subscription", NULL);
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GPtrArray) records = session_array ();

  g_assert_true (g_str_has_prefix (path, dir));
  g_assert_cmpstr (path, !=, other);
  g_assert_cmpstr (path, !=, other_server);
  g_assert_null (strstr (base, "acme"));

  umask (022);
  cache = luma_cache_open_for_account ("https://luma.example/gateway/api/v1", "acme", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (luma_cache_get_path (cache), ==, path);
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  g_ptr_array_add (records, make_session ("S-1", 100, "a", "a@b.cd", NULL, 0, 0, 0, 1));
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, "c1", NULL, &error));
  g_assert_no_error (error);

  wal = g_strconcat (path, "-wal", NULL);
  shm = g_strconcat (path, "-shm", NULL);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (file_mode (wal), ==, 0600);
  g_assert_cmpuint (file_mode (shm), ==, 0600);
  g_clear_object (&cache);

  /* A loosened folder is tightened again at the next open. */
  g_chmod (dir, 0755);
  cache = luma_cache_open_for_account ("https://luma.example/gateway/api/v1", "acme", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpint (count_sessions (cache), ==, 1);
}

static void
test_migration (void)
{
  g_autofree char *path = test_path ("migrate.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) notified = NULL;

  stage_sessions (cache, "m", 10, 1000);
  g_assert_true (luma_cache_commit_batch (cache, "cur", NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  /* What a cache of schema 1 looked like: no notified thresholds yet. */
  raw_exec (path, "DROP TABLE notified_thresholds; PRAGMA user_version = 1;");
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sqlite_schema WHERE name = 'notified_thresholds'"), ==, 0);

  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), >=, 2);
  g_assert_cmpint (count_sessions (cache), ==, 10);
  /* A session-based history keeps its cursor (only user-based ones sync again). */
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sync_state WHERE cursor = 'cur'"), ==, 1);
  g_assert_true (luma_cache_record_threshold_notified (cache, "acme", 1, 75, 5, &error));
  g_assert_no_error (error);
  notified = luma_cache_get_notified_thresholds (cache, "acme", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (notified->len, ==, 1);
}

static void
test_newer_schema (void)
{
  g_autofree char *path = test_path ("newer.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) again = NULL;

  g_clear_object (&cache);
  raw_exec (path, "PRAGMA user_version = 999;");
  again = luma_cache_open_path (path, NULL, &error);
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_SCHEMA);
  g_assert_null (again);
  /* Left alone, not moved aside. */
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, 999);
}

static guint
count_corrupt_files (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strconcat (base, ".corrupt-", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix) && !g_str_has_suffix (name, "-wal") && !g_str_has_suffix (name, "-shm"))
      n++;
  return n;
}

static void
check_rebuilt (const char   *path,
               const char   *expected_content,
               gsize         expected_len)
{
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *moved = NULL;
  gsize len;

  g_assert_true (luma_cache_was_rebuilt (cache));
  g_assert_nonnull (luma_cache_get_corrupt_path (cache));
  g_assert_true (g_str_has_prefix (luma_cache_get_corrupt_path (cache), path));
  g_assert_true (strstr (luma_cache_get_corrupt_path (cache), ".corrupt-") != NULL);
  g_assert_cmpuint (count_corrupt_files (path), ==, 1);

  /* The damaged file is kept as it was. */
  if (expected_content != NULL)
    {
      g_assert_true (g_file_get_contents (luma_cache_get_corrupt_path (cache), &moved, &len, NULL));
      g_assert_cmpmem (moved, len, expected_content, expected_len);
    }

  /* The new cache is empty and works. */
  g_assert_cmpint (count_sessions (cache), ==, 0);
  stage_sessions (cache, "r", 3, 0);
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  /* Opened again, it is a healthy cache. */
  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (count_sessions (cache), ==, 3);
}

static void
test_corrupt_garbage (void)
{
  g_autofree char *path = test_path ("garbage.sqlite");
  char garbage[8192];

  for (guint i = 0; i < sizeof garbage; i++)
    garbage[i] = (char) (i * 7 + 3);
  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, NULL));
  check_rebuilt (path, garbage, sizeof garbage);
}

static void
test_corrupt_foreign (void)
{
  g_autofree char *path = test_path ("foreign.sqlite");

  raw_exec (path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('not ours');");
  check_rebuilt (path, NULL, 0);
}

static void
test_corrupt_pages (void)
{
  g_autofree char *path = test_path ("damaged.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *content = NULL;
  gsize len;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("p%u", i);
      stage_sessions (cache, prefix, 1000, i * 1000);
    }
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&cache); /* checkpoints: everything is in the main file */

  /* Overwrite b-tree pages in the middle, keeping the header intact. */
  g_assert_true (g_file_get_contents (path, &content, &len, NULL));
  g_assert_cmpuint (len, >, 64 * 1024);
  memset (content + len / 2, 0x5a, 3 * 4096);
  g_assert_true (g_file_set_contents (path, content, len, NULL));

  check_rebuilt (path, content, len);
}

/* A real cache with a pending edit and a conflict, closed (everything in
 * the main file), for the salvage tests. */
static void
fill_for_salvage (const char *path)
{
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  const char *t1[] = { "noc@acme.example", NULL };
  const char *b1[] = { "ap@acme.example", NULL };
  const char *t2[] = { "cto@acme.example", NULL };
  g_autoptr(LumaContacts) mine = luma_contacts_new (t1, b1, 4);
  g_autoptr(LumaContacts) theirs = luma_contacts_new (t2, b1, 5);
  g_autoptr(LumaContacts) edit = luma_contacts_new (t2, t1, 5);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("p%u", i);
      stage_sessions (cache, prefix, 1000, i * 1000);
    }
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_store_conflict (cache, mine, theirs, &error));
  g_assert_true (luma_cache_outbox_queue (cache, edit, &error));
  g_assert_no_error (error);
}

static void
corrupt_page (const char *path,
              gint64      page)
{
  g_autofree char *content = NULL;
  gint64 page_size = raw_int (path, "PRAGMA page_size");
  gsize len;

  g_assert_true (g_file_get_contents (path, &content, &len, NULL));
  g_assert_cmpint ((page - 1) * page_size + page_size, <=, len);
  memset (content + (page - 1) * page_size, 0x5a, page_size);
  g_assert_true (g_file_set_contents (path, content, len, NULL));
}

/* Pages of the history are damaged: the pending edit and the conflict are
 * read from the damaged file into the new cache, and the user is told. */
static void
test_corrupt_salvage (void)
{
  g_autofree char *path = test_path ("salvage.sqlite");
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GError) error = NULL;
  gint64 sessions_root, outbox_root;

  fill_for_salvage (path);
  sessions_root = raw_int (path, "SELECT rootpage FROM sqlite_schema WHERE name = 'sessions'");
  outbox_root = raw_int (path, "SELECT rootpage FROM sqlite_schema WHERE name = 'outbox'");
  g_assert_cmpint (sessions_root, !=, outbox_root);
  corrupt_page (path, sessions_root);

  cache = open_ok (path);
  g_assert_true (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (count_sessions (cache), ==, 0);
  g_assert_cmpint (luma_cache_get_salvage (cache), ==,
                   LUMA_CACHE_SALVAGE_OUTBOX_KEPT | LUMA_CACHE_SALVAGE_CONFLICT_KEPT);
  g_assert_nonnull (strstr (luma_cache_get_rebuild_message (cache), "were kept"));

  pending = luma_cache_outbox_peek (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pending);
  g_assert_cmpstr (pending->technical_emails[0], ==, "cto@acme.example");
  g_assert_cmpstr (pending->billing_emails[0], ==, "noc@acme.example");
  g_assert_cmpint (pending->version, ==, 5);
  g_assert_true (luma_cache_get_conflict (cache, &mine, &theirs, &error));
  g_assert_cmpstr (mine->technical_emails[0], ==, "noc@acme.example");
  g_assert_cmpint (mine->version, ==, 4);
  g_assert_cmpstr (theirs->technical_emails[0], ==, "cto@acme.example");
  g_assert_cmpint (theirs->version, ==, 5);
}

/* The page of the pending edit itself is damaged: it cannot be kept, and
 * the user is told so in words; the conflict still is. */
static void
test_corrupt_salvage_lost (void)
{
  g_autofree char *path = test_path ("salvage-lost.sqlite");
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(GError) error = NULL;

  fill_for_salvage (path);
  corrupt_page (path, raw_int (path, "SELECT rootpage FROM sqlite_schema WHERE name = 'outbox'"));

  cache = open_ok (path);
  g_assert_true (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (luma_cache_get_salvage (cache), ==,
                   LUMA_CACHE_SALVAGE_OUTBOX_LOST | LUMA_CACHE_SALVAGE_CONFLICT_KEPT);
  g_assert_nonnull (strstr (luma_cache_get_rebuild_message (cache), "could not be recovered"));
  g_assert_nonnull (strstr (luma_cache_get_rebuild_message (cache), "conflict over the email lists was kept"));
  pending = luma_cache_outbox_peek (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pending);
  g_assert_true (luma_cache_get_conflict (cache, NULL, NULL, &error));
}

/* ---- Batches -------------------------------------------------------------------------------- */

static void
test_batch_atomicity (void)
{
  g_autofree char *path = test_path ("batch.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bad = session_array ();
  g_autofree char *cursor = NULL;
  gint64 n_new = -1;

  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_no_error (error);
  g_assert_null (cursor);

  stage_sessions (cache, "a", 100, 0);
  stage_sessions (cache, "b", 20, 0);
  g_assert_cmpuint (luma_cache_get_batch_size (cache), ==, 120);
  g_assert_true (luma_cache_commit_batch (cache, "cursor-1", &n_new, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n_new, ==, 120);
  g_assert_cmpuint (luma_cache_get_batch_size (cache), ==, 0);

  /* Staged but never committed: gone after a restart, the cursor stays. */
  stage_sessions (cache, "c", 50, 0);
  g_clear_object (&cache);
  cache = open_ok (path);
  g_assert_cmpint (count_sessions (cache), ==, 120);
  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_cmpstr (cursor, ==, "cursor-1");
  g_assert_true (luma_cache_get_license_type (cache, NULL));

  /* A batch that fails half-way writes nothing, not even its first rows. */
  stage_sessions (cache, "d", 30, 0);
  g_ptr_array_add (bad, make_session ("S-bad", 1, NULL /* NOT NULL */, "x@y.zz", NULL, 0, 0, 0, 0));
  luma_cache_upsert_sessions (cache, bad);
  g_assert_false (luma_cache_commit_batch (cache, "cursor-2", NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == LUMA_CACHE_ERROR);
  g_clear_error (&error);
  g_assert_cmpint (count_sessions (cache), ==, 120);
  g_clear_pointer (&cursor, g_free);
  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_cmpstr (cursor, ==, "cursor-1");
  g_assert_cmpuint (luma_cache_get_batch_size (cache), ==, 0);

  /* Discarded records are not written by the next commit. */
  stage_sessions (cache, "e", 5, 0);
  luma_cache_discard_batch (cache);
  stage_sessions (cache, "f", 7, 0);
  g_assert_true (luma_cache_commit_batch (cache, "cursor-3", &n_new, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n_new, ==, 7);
  g_assert_cmpint (count_sessions (cache), ==, 127);

  g_assert_true (luma_cache_reset_cursor (cache, &error));
  g_clear_pointer (&cursor, g_free);
  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_null (cursor);
  g_assert_cmpint (count_sessions (cache), ==, 127);
}

static void
test_upsert (void)
{
  g_autofree char *path = test_path ("upsert.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = session_array ();
  g_autoptr(GPtrArray) second = session_array ();
  g_autoptr(GPtrArray) third = session_array ();
  g_autoptr(GPtrArray) fetched = NULL;
  g_autoptr(GArray) ids = NULL;
  g_auto(LumaHistoryQuery) query;
  LumaSessionRecord *r;
  gint64 n_new = -1;

  luma_history_query_init (&query, LUMA_LICENSE_TYPE_SESSION);
  g_ptr_array_add (first, make_session ("S-1", 100, "ann", "ann@a.bc", NULL, 0, 0, 0, 1));
  g_ptr_array_add (first, make_session ("S-2", 200, "bob", "bob@a.bc", "Agent", 1, 1, 1, 2));
  luma_cache_upsert_sessions (cache, first);
  g_assert_true (luma_cache_commit_batch (cache, "c1", &n_new, &error));
  g_assert_cmpint (n_new, ==, 2);

  ids = luma_cache_query_ids (cache, &query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 2);

  /* S-1 comes again twice in one batch, then S-2 in the next: the newest wins. */
  g_ptr_array_add (second, make_session ("S-1", 100, "ann", "ann@a.bc", "Late Agent", 2, 0, 1, 2));
  g_ptr_array_add (second, make_session ("S-1", 100, "Ann B.", "ann@a.bc", "Late Agent", 2, 0, 1, 3));
  luma_cache_upsert_sessions (cache, second);
  g_assert_true (luma_cache_commit_batch (cache, "c2", &n_new, &error));
  g_assert_cmpint (n_new, ==, 0);
  g_ptr_array_add (third, make_session ("S-2", 200, "bob", "bob@a.bc", NULL, 1, 1, 1, 9));
  g_ptr_array_add (third, make_session ("S-3", 300, "cy", "", NULL, 2, 2, 0, 0));
  luma_cache_upsert_sessions (cache, third);
  g_assert_true (luma_cache_commit_batch (cache, "c3", &n_new, &error));
  g_assert_cmpint (n_new, ==, 1);

  g_assert_cmpint (count_sessions (cache), ==, 3);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sessions WHERE session_id = 'S-1'"), ==, 1);

  /* The row id stays the same across an update. */
  fetched = luma_cache_fetch_sessions_by_ids (cache, (gint64 *) ids->data, ids->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fetched->len, ==, 2);
  r = g_ptr_array_index (fetched, 0); /* newest first: S-2 */
  g_assert_cmpstr (r->session_id, ==, "S-2");
  g_assert_null (r->agent_name);
  g_assert_cmpint (r->conversations, ==, 9);
  r = g_ptr_array_index (fetched, 1);
  g_assert_cmpstr (r->session_id, ==, "S-1");
  g_assert_cmpstr (r->user_name, ==, "Ann B.");
  g_assert_cmpstr (r->agent_name, ==, "Late Agent");
  g_assert_cmpint (r->channel, ==, 2);
  g_assert_cmpint (r->initiated_by, ==, 1);
  g_assert_cmpint (r->conversations, ==, 3);
}

/* ---- Queries against an independent evaluation ------------------------------------------- */

static const char *const names[] = {
  "Alice", "alice", "ALICE Smith", "Zoë Müller", "José Ñúñez", "O'Neil, Ana", "\"Bud\" Smith",
  "bob_", "100% Bob", "=HYPERLINK(\"x\")", "+1 555", "-Dash", "@handle", "李 伟", "smithers",
  "Al", "al_ice", "Bo",
};
static const char *const emails[] = {
  "alice@acme.example", "ALICE@acme.example", "bob@acme.example", "", "zoe@acme.example",
  "a_b@acme.example", "smith@x.example",
};
static const char *const agents[] = { NULL, "Ana O'Neil", "ana o'neil", "Ben", NULL, "Zed" };

typedef struct
{
  gint64            id;
  LumaSessionRecord r;
} Row;

static void
row_free (Row *row)
{
  g_free (row->r.session_id);
  g_free (row->r.user_name);
  g_free (row->r.email);
  g_free (row->r.agent_name);
  g_free (row);
}

static GPtrArray *
load_rows (const char *path)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, session_id, started_on, initiated_by,"
                                           " user_name, email, role, agent_name, channel,"
                                           " conversations FROM sessions", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Row *row = g_new0 (Row, 1);
      row->id = sqlite3_column_int64 (stmt, 0);
      row->r.session_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      row->r.started_on = sqlite3_column_int64 (stmt, 2);
      row->r.initiated_by = sqlite3_column_int (stmt, 3);
      row->r.user_name = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      row->r.email = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
      row->r.role = sqlite3_column_int (stmt, 6);
      row->r.agent_name = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
      row->r.channel = sqlite3_column_int (stmt, 8);
      row->r.conversations = sqlite3_column_int64 (stmt, 9);
      g_ptr_array_add (rows, row);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rows;
}

static gboolean
contains_nocase (const char *haystack,
                 const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_ascii_strdown (haystack, -1);
  n = g_ascii_strdown (needle, -1);
  return strstr (h, n) != NULL;
}

static gboolean
row_matches (const Row              *row,
             const LumaHistoryQuery *q)
{
  if (q->from != 0 && row->r.started_on < q->from)
    return FALSE;
  if (q->to != 0 && row->r.started_on > q->to)
    return FALSE;
  if (q->channels != 0 && !(q->channels & (1u << row->r.channel)))
    return FALSE;
  if (q->roles != 0 && !(q->roles & (1u << row->r.role)))
    return FALSE;
  if (q->initiated_by >= 0 && (gint) row->r.initiated_by != q->initiated_by)
    return FALSE;
  if (q->search != NULL && q->search[0] != '\0' &&
      !contains_nocase (row->r.session_id, q->search) &&
      !contains_nocase (row->r.user_name, q->search) &&
      !contains_nocase (row->r.email, q->search) &&
      !contains_nocase (row->r.agent_name, q->search))
    return FALSE;
  return TRUE;
}

static int
cmp_int (gint64 a,
         gint64 b)
{
  return a < b ? -1 : a > b;
}

/* NULL first, then without regard to ASCII case. */
static int
cmp_text_nocase (const char *a,
                 const char *b)
{
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  return g_ascii_strcasecmp (a, b);
}

static int
row_compare (gconstpointer pa,
             gconstpointer pb,
             gpointer      data)
{
  const Row *a = *(const Row **) pa;
  const Row *b = *(const Row **) pb;
  const LumaHistoryQuery *q = data;
  int c = 0;

  switch (q->sort_column)
    {
    case LUMA_HISTORY_COLUMN_TIME:
      break;
    case LUMA_HISTORY_COLUMN_ID:
      c = strcmp (a->r.session_id, b->r.session_id);
      break;
    case LUMA_HISTORY_COLUMN_USER_NAME:
      c = cmp_text_nocase (a->r.user_name, b->r.user_name);
      break;
    case LUMA_HISTORY_COLUMN_EMAIL:
      c = cmp_text_nocase (a->r.email, b->r.email);
      break;
    case LUMA_HISTORY_COLUMN_AGENT_NAME:
      c = cmp_text_nocase (a->r.agent_name, b->r.agent_name);
      break;
    case LUMA_HISTORY_COLUMN_ROLE:
      c = cmp_int (a->r.role, b->r.role);
      break;
    case LUMA_HISTORY_COLUMN_CHANNEL:
      c = cmp_int (a->r.channel, b->r.channel);
      break;
    case LUMA_HISTORY_COLUMN_INITIATED_BY:
      c = cmp_int (a->r.initiated_by, b->r.initiated_by);
      break;
    case LUMA_HISTORY_COLUMN_CONVERSATIONS:
      c = cmp_int (a->r.conversations, b->r.conversations);
      break;
    default:
      g_assert_not_reached ();
    }
  if (c == 0 && q->sort_column != LUMA_HISTORY_COLUMN_ID)
    c = cmp_int (a->r.started_on, b->r.started_on);
  if (c == 0)
    c = cmp_int (a->id, b->id);
  return q->descending ? -c : c;
}

static GArray *
expected_ids (GPtrArray              *rows,
              const LumaHistoryQuery *q)
{
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < rows->len; i++)
    if (row_matches (g_ptr_array_index (rows, i), q))
      g_ptr_array_add (matching, g_ptr_array_index (rows, i));
  g_ptr_array_sort_with_data (matching, row_compare, (gpointer) q);
  for (guint i = 0; i < matching->len; i++)
    g_array_append_val (ids, ((Row *) g_ptr_array_index (matching, i))->id);
  return ids;
}

static void
fill_random_sessions (LumaCache *cache,
                      guint      n,
                      guint32    seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;

  for (guint page = 0; page < n / 500; page++)
    {
      g_autoptr(GPtrArray) records = session_array ();

      for (guint i = 0; i < 500; i++)
        {
          g_autofree char *id = g_strdup_printf ("S-%07u", g_rand_int_range (rand, 0, n * 2));
          g_ptr_array_add (records,
                           make_session (id,
                                         1767225600 + g_rand_int_range (rand, 0, 2000), /* many ties */
                                         names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))],
                                         emails[g_rand_int_range (rand, 0, G_N_ELEMENTS (emails))],
                                         agents[g_rand_int_range (rand, 0, G_N_ELEMENTS (agents))],
                                         g_rand_int_range (rand, 0, LUMA_N_CHANNELS),
                                         g_rand_int_range (rand, 0, LUMA_N_ROLES),
                                         g_rand_int_range (rand, 0, 2),
                                         g_rand_int_range (rand, 0, 7)));
        }
      luma_cache_upsert_sessions (cache, records);
      if (page % 3 == 2)
        {
          g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
          g_assert_no_error (error);
        }
    }
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
}

typedef struct
{
  GArray *ids;
  guint   n;
  LumaLicenseType type;
} ForeachData;

static gboolean
collect_cb (LumaLicenseType  type,
            gconstpointer    record,
            gpointer         user_data)
{
  ForeachData *data = user_data;
  const LumaSessionRecord *r = record;

  g_assert_cmpint (type, ==, data->type);
  g_assert_nonnull (r->session_id);
  data->n++;
  /* the row id is not part of the record: compare session ids instead */
  g_array_append_val (data->ids, r->started_on);
  return TRUE;
}

static void
check_query (LumaCache              *cache,
             GPtrArray              *rows,
             const LumaHistoryQuery *q)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) got = luma_cache_query_ids (cache, q, NULL, &error);
  g_autoptr(GArray) want = expected_ids (rows, q);
  gint64 count;

  g_assert_no_error (error);
  if (got->len != want->len ||
      (got->len > 0 && memcmp (got->data, want->data, got->len * sizeof (gint64)) != 0))
    {
      guint i;

      for (i = 0; i < MIN (got->len, want->len); i++)
        if (g_array_index (got, gint64, i) != g_array_index (want, gint64, i))
          break;
      g_error ("query column %d desc %d search \"%s\" channels %x roles %x initiated %d from %"
               G_GINT64_FORMAT ": got %u rows, expected %u, first difference at %u",
               q->sort_column, q->descending, q->search ? q->search : "", q->channels, q->roles,
               q->initiated_by, q->from, got->len, want->len, i);
    }
  count = luma_cache_count_matching (cache, q, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, want->len);
}

static void
run_query_matrix (LumaCache *cache,
                  GPtrArray *rows)
{
  static const LumaHistoryColumn columns[] = {
    LUMA_HISTORY_COLUMN_TIME, LUMA_HISTORY_COLUMN_ID, LUMA_HISTORY_COLUMN_USER_NAME,
    LUMA_HISTORY_COLUMN_EMAIL, LUMA_HISTORY_COLUMN_ROLE, LUMA_HISTORY_COLUMN_CONVERSATIONS,
    LUMA_HISTORY_COLUMN_INITIATED_BY, LUMA_HISTORY_COLUMN_AGENT_NAME, LUMA_HISTORY_COLUMN_CHANNEL,
  };
  static const char *const searches[] = {
    NULL, "a", "al", "ALI", "smith", "ë m", "%", "_", "100%", "a_b", "\"bud\"", "o'n", "李", "S-00001",
    "nothing-like-this",
  };

  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    for (guint d = 0; d < 2; d++)
      {
        g_auto(LumaHistoryQuery) q;

        luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
        q.sort_column = columns[c];
        q.descending = d;
        check_query (cache, rows, &q);

        q.from = 1767225600 + 500;
        q.to = 1767225600 + 1500;
        check_query (cache, rows, &q);

        q.channels = LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_SLACK) | LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_EMAIL);
        q.initiated_by = LUMA_INITIATED_BY_AGENT;
        check_query (cache, rows, &q);

        q.from = q.to = 0;
        q.channels = 0;
        q.initiated_by = -1;
        q.roles = LUMA_HISTORY_ROLE_BIT (LUMA_ROLE_GUEST);
        q.search = g_strdup (searches[(c * 2 + d) % G_N_ELEMENTS (searches)]);
        check_query (cache, rows, &q);
      }

  for (guint s = 0; s < G_N_ELEMENTS (searches); s++)
    {
      g_auto(LumaHistoryQuery) q;

      luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
      q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
      q.search = g_strdup (searches[s]);
      check_query (cache, rows, &q);
    }
}

static void
test_query_matches_independent (void)
{
  g_autofree char *path = test_path ("query.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) bad;

  /* Indexes present all along (an incremental sync). */
  fill_random_sessions (cache, 6000, 7);
  rows = load_rows (path);
  g_assert_cmpuint (rows->len, >, 3000);
  g_assert_true (luma_cache_get_indexes_ready (cache));
  run_query_matrix (cache, rows);

  /* A full sync: no sort or search index, then built afterwards. */
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error));
  g_assert_no_error (error);
  g_assert_false (luma_cache_get_indexes_ready (cache));
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions_by_user_name'"), ==, 0);
  fill_random_sessions (cache, 3000, 8);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = load_rows (path);
  run_query_matrix (cache, rows);

  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_get_indexes_ready (cache));
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions_by_user_name'"), ==, 1);
  run_query_matrix (cache, rows);

  /* Changes after the search index was built reach it, and it stays sound. */
  fill_random_sessions (cache, 1000, 9);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = load_rows (path);
  run_query_matrix (cache, rows);
  raw_exec (path, "INSERT INTO sessions_fts (sessions_fts) VALUES ('integrity-check')");

  /* A column of the other license type is refused. */
  luma_history_query_init (&bad, LUMA_LICENSE_TYPE_SESSION);
  bad.sort_column = LUMA_HISTORY_COLUMN_STATUS;
  g_assert_null (luma_cache_query_ids (cache, &bad, NULL, &error));
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
}

static void
test_fetch_and_foreach (void)
{
  g_autofree char *path = test_path ("fetch.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) wanted = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) fetched = NULL;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_auto(LumaHistoryQuery) q;
  ForeachData data = { 0 };

  fill_random_sessions (cache, 3000, 11);
  rows = load_rows (path);
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_insert (by_id, &((Row *) g_ptr_array_index (rows, i))->id, g_ptr_array_index (rows, i));

  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  q.sort_column = LUMA_HISTORY_COLUMN_EMAIL;
  ids = luma_cache_query_ids (cache, &q, NULL, &error);
  g_assert_no_error (error);

  /* 300 ids (more than one statement's worth), an unknown id, in view order. */
  for (guint i = 0; i < 300; i++)
    g_array_append_val (wanted, g_array_index (ids, gint64, (i * 7) % ids->len));
  g_array_insert_val (wanted, 150, (gint64) { 99999999 });
  fetched = luma_cache_fetch_sessions_by_ids (cache, (gint64 *) wanted->data, wanted->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fetched->len, ==, 300);
  for (guint i = 0, j = 0; i < wanted->len; i++)
    {
      const Row *row = g_hash_table_lookup (by_id, &g_array_index (wanted, gint64, i));
      const LumaSessionRecord *r;

      if (row == NULL)
        continue;
      r = g_ptr_array_index (fetched, j++);
      g_assert_cmpstr (r->session_id, ==, row->r.session_id);
      g_assert_cmpstr (r->user_name, ==, row->r.user_name);
      g_assert_cmpstr (r->email, ==, row->r.email);
      g_assert_cmpstr (r->agent_name, ==, row->r.agent_name);
      g_assert_cmpint (r->started_on, ==, row->r.started_on);
      g_assert_cmpint (r->channel, ==, row->r.channel);
      g_assert_cmpint (r->conversations, ==, row->r.conversations);
    }

  /* foreach walks the same rows in the same order. */
  data.ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  data.type = LUMA_LICENSE_TYPE_SESSION;
  g_assert_true (luma_cache_foreach_history (cache, &q, collect_cb, &data, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.n, ==, ids->len);
  for (guint i = 0; i < ids->len; i++)
    {
      const Row *row = g_hash_table_lookup (by_id, &g_array_index (ids, gint64, i));
      g_assert_cmpint (g_array_index (data.ids, gint64, i), ==, row->r.started_on);
    }
  g_array_unref (data.ids);

  /* With a filter, and cancelled. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    ForeachData d2 = { g_array_new (FALSE, FALSE, sizeof (gint64)), 0, LUMA_LICENSE_TYPE_SESSION };

    q.search = g_strdup ("smith");
    g_assert_true (luma_cache_foreach_history (cache, &q, collect_cb, &d2, NULL, &error));
    g_assert_cmpint (d2.n, ==, luma_cache_count_matching (cache, &q, NULL, NULL));
    g_assert_cmpuint (d2.n, >, 0);

    g_cancellable_cancel (cancellable);
    g_assert_false (luma_cache_foreach_history (cache, &q, collect_cb, &d2, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_array_unref (d2.ids);
  }
}

/* ---- Users ---------------------------------------------------------------------------------- */

static void
test_users (void)
{
  g_autofree char *path = test_path ("users.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) fetched = NULL;
  g_auto(LumaHistoryQuery) q;
  const char *firsts[] = { "Zoë", "adam", "Bea", "", "carl" };

  for (guint i = 0; i < 50; i++)
    {
      LumaUserRecord *u = luma_user_record_new ();
      u->user_id = g_strdup_printf ("U-%03u", i);
      u->user_name = g_strdup_printf ("user%u", i % 7);
      u->email = g_strdup_printf ("u%u@acme.example", i);
      u->first_name = g_strdup (firsts[i % 5]);
      u->last_name = g_strdup (i % 2 ? "Smith" : "jones");
      u->role = i % LUMA_N_ROLES;
      u->status = i % 3 == 0 ? LUMA_USER_STATUS_INACTIVE : LUMA_USER_STATUS_ACTIVE;
      u->created_on = 1000 + (i % 10);
      u->conversations = i;
      g_ptr_array_add (users, u);
    }
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_USER, &error));
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, "u1", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_get_indexes_ready (cache));

  luma_history_query_init (&q, LUMA_LICENSE_TYPE_USER);
  q.sort_column = LUMA_HISTORY_COLUMN_FIRST_NAME;
  q.descending = FALSE;
  q.status = LUMA_USER_STATUS_ACTIVE;
  q.search = g_strdup ("smi");
  ids = luma_cache_query_ids (cache, &q, NULL, &error);
  g_assert_no_error (error);
  fetched = luma_cache_fetch_users_by_ids (cache, (gint64 *) ids->data, ids->len, &error);
  g_assert_no_error (error);
  /* odd i (Smith) and i % 3 != 0 (active) */
  g_assert_cmpuint (fetched->len, ==, 17);
  for (guint i = 0; i < fetched->len; i++)
    {
      const LumaUserRecord *u = g_ptr_array_index (fetched, i);
      g_assert_cmpstr (u->last_name, ==, "Smith");
      g_assert_cmpint (u->status, ==, LUMA_USER_STATUS_ACTIVE);
      if (i > 0)
        {
          const LumaUserRecord *prev = g_ptr_array_index (fetched, i - 1);
          int c = g_ascii_strcasecmp (prev->first_name, u->first_name);
          g_assert_cmpint (c, <=, 0);
          if (c == 0)
            g_assert_cmpint (prev->created_on, <=, u->created_on);
        }
    }
  g_assert_cmpint (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_USER, NULL), ==, 50);

  /* A session-only column is refused for users. */
  q.sort_column = LUMA_HISTORY_COLUMN_CHANNEL;
  g_assert_cmpint (luma_cache_count_matching (cache, &q, NULL, &error), ==, -1);
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
}

/* ---- Small tables --------------------------------------------------------------------------- */

static LumaContacts *
contacts (const char *t1,
          const char *t2,
          const char *b1,
          gint64      version)
{
  const char *technical[] = { t1, t2, NULL };
  const char *billing[] = { b1, NULL };

  return luma_contacts_new (technical, billing, version);
}

static void
assert_contacts (const LumaContacts *c,
                 const char         *t1,
                 const char         *t2,
                 const char         *b1,
                 gint64              version)
{
  g_assert_nonnull (c);
  g_assert_cmpstr (c->technical_emails[0], ==, t1);
  g_assert_cmpstr (c->technical_emails[1], ==, t2);
  if (t2 != NULL)
    g_assert_null (c->technical_emails[2]);
  g_assert_cmpstr (c->billing_emails[0], ==, b1);
  g_assert_null (c->billing_emails[1]);
  g_assert_cmpint (c->version, ==, version);
}

static void
test_outbox_and_conflict (void)
{
  g_autofree char *path = test_path ("outbox.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaContacts) edit = contacts ("it@acme.example", "noc, \"x\"@acme.example", "ap@acme.example", 7);
  g_autoptr(LumaContacts) peeked = NULL;
  g_autoptr(LumaContacts) theirs = contacts ("it@acme.example", NULL, "finance@acme.example", 8);
  g_autoptr(LumaContacts) mine_out = NULL;
  g_autoptr(LumaContacts) theirs_out = NULL;
  gint64 queued_on = 0;

  g_assert_null (luma_cache_outbox_peek (cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_outbox_queue (cache, edit, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  /* A restart keeps it. */
  cache = open_ok (path);
  peeked = luma_cache_outbox_peek (cache, &queued_on, &error);
  g_assert_no_error (error);
  assert_contacts (peeked, "it@acme.example", "noc, \"x\"@acme.example", "ap@acme.example", 7);
  g_assert_cmpint (queued_on, >, 0);

  /* A 412: both versions are kept, through a restart too. */
  g_assert_false (luma_cache_get_conflict (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_store_conflict (cache, peeked, theirs, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);
  cache = open_ok (path);
  g_assert_null (luma_cache_outbox_peek (cache, NULL, &error));
  g_assert_true (luma_cache_get_conflict (cache, &mine_out, &theirs_out, &error));
  g_assert_no_error (error);
  assert_contacts (mine_out, "it@acme.example", "noc, \"x\"@acme.example", "ap@acme.example", 7);
  assert_contacts (theirs_out, "it@acme.example", NULL, "finance@acme.example", 8);

  /* Resolving with the user's lists queues them on top of the server's version. */
  g_assert_true (luma_cache_resolve_conflict (cache, mine_out, &error));
  g_assert_no_error (error);
  g_assert_false (luma_cache_get_conflict (cache, NULL, NULL, &error));
  g_clear_pointer (&peeked, luma_contacts_free);
  peeked = luma_cache_outbox_peek (cache, NULL, &error);
  assert_contacts (peeked, "it@acme.example", "noc, \"x\"@acme.example", "ap@acme.example", 8);

  g_assert_true (luma_cache_outbox_clear (cache, &error));
  g_assert_null (luma_cache_outbox_peek (cache, NULL, &error));
  g_assert_no_error (error);

  /* Resolving by taking the server's version leaves nothing to push. */
  g_assert_true (luma_cache_store_conflict (cache, edit, theirs, &error));
  g_assert_true (luma_cache_resolve_conflict (cache, NULL, &error));
  g_assert_false (luma_cache_get_conflict (cache, NULL, NULL, &error));
  g_assert_null (luma_cache_outbox_peek (cache, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_thresholds (LumaCache  *cache,
                   const char *tenant,
                   gint64      term,
                   const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) got = luma_cache_get_notified_thresholds (cache, tenant, term, &error);
  g_autoptr(GString) s = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < got->len; i++)
    g_string_append_printf (s, "%s%d", i ? "," : "", g_array_index (got, gint, i));
  g_assert_cmpstr (s->str, ==, expected);
}

static void
test_thresholds (void)
{
  g_autofree char *path = test_path ("thresholds.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;

  assert_thresholds (cache, "acme", 1767225600, "");
  g_assert_true (luma_cache_record_threshold_notified (cache, "acme", 1767225600, 85, 100, &error));
  g_assert_true (luma_cache_record_threshold_notified (cache, "acme", 1767225600, 75, 100, &error));
  g_assert_true (luma_cache_record_threshold_notified (cache, "acme", 1767225600, 95, 100, &error));
  g_assert_true (luma_cache_record_threshold_notified (cache, "acme", 1767225600, 95, 200, &error));
  g_assert_true (luma_cache_record_threshold_notified (cache, "other", 1767225600, 100, 100, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);
  cache = open_ok (path);

  assert_thresholds (cache, "acme", 1767225600, "75,85,95");
  assert_thresholds (cache, "acme", 1798761600, "");
  assert_thresholds (cache, "other", 1767225600, "100");

  /* A refill brought consumption to 84.9 %: 85 and 95 are re-armed. */
  g_assert_true (luma_cache_clear_thresholds_above (cache, "acme", 1767225600, 84.9, &error));
  g_assert_no_error (error);
  assert_thresholds (cache, "acme", 1767225600, "75");
  assert_thresholds (cache, "other", 1767225600, "100");
  g_assert_true (luma_cache_clear_thresholds_above (cache, "acme", 1767225600, 75.0, &error));
  assert_thresholds (cache, "acme", 1767225600, "75");
}

static void
test_subscription_purchases_conversations (void)
{
  g_autofree char *path = test_path ("resources.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  LumaSubscription sub = { 0 };
  g_autoptr(LumaSubscription) got = NULL;
  g_autofree char *etag = NULL;
  const char *technical[] = { "it@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", "cfo@acme.example", NULL };
  g_autoptr(GPtrArray) purchases = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_purchase_free);
  g_autoptr(GPtrArray) got_purchases = NULL;
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_conversation_free);
  g_autoptr(GPtrArray) got_conversations = NULL;
  g_autoptr(GPtrArray) sessions = session_array ();
  g_autoptr(GPtrArray) more = session_array ();
  LumaLicenseType type;

  g_assert_null (luma_cache_get_subscription (cache, &etag, &error));
  g_assert_no_error (error);
  g_assert_null (etag);

  sub.external_id = (char *) "acme";
  sub.tenant_name = (char *) "Acme Corporation";
  sub.license_type = LUMA_LICENSE_TYPE_USER;
  sub.start_date = 1767225600;
  sub.end_date = 1798761599;
  sub.session_duration_minutes = 30;
  sub.total_purchase = 50000;
  sub.consumed = 48213;
  sub.available = 1787;
  sub.technical_emails = (GStrv) technical;
  sub.billing_emails = (GStrv) billing;
  sub.version = 7;
  g_assert_true (luma_cache_store_subscription (cache, &sub, "\"sub-7\"", &error));
  g_assert_no_error (error);
  got = luma_cache_get_subscription (cache, &etag, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (etag, ==, "\"sub-7\"");
  g_assert_cmpstr (got->tenant_name, ==, "Acme Corporation");
  g_assert_cmpint (got->license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpint (got->consumed, ==, 48213);
  g_assert_cmpint (got->end_date, ==, 1798761599);
  g_assert_cmpstr (got->billing_emails[1], ==, "cfo@acme.example");
  g_assert_null (got->billing_emails[2]);
  g_assert_true (luma_cache_get_license_type (cache, &type));
  g_assert_cmpint (type, ==, LUMA_LICENSE_TYPE_USER);

  for (guint i = 0; i < 3; i++)
    {
      LumaPurchase *p = g_new0 (LumaPurchase, 1);
      p->purchase_id = g_strdup_printf ("P-%u", 3 - i);
      p->performed_on = 3000 - i;
      p->kind = i == 2 ? LUMA_PURCHASE_KIND_PURCHASE : LUMA_PURCHASE_KIND_REFILL;
      p->change = i == 1 ? -5 : 100;
      p->total_after = 195 - i;
      p->performed_by = g_strdup ("superadmin");
      p->reason = g_strdup ("Q4, \"big\" order");
      p->reference = i == 0 ? g_strdup ("PO-1") : NULL;
      g_ptr_array_add (purchases, p);
    }
  g_assert_true (luma_cache_store_purchases (cache, purchases, "\"p-3\"", &error));
  g_clear_pointer (&etag, g_free);
  got_purchases = luma_cache_get_purchases (cache, &etag, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (etag, ==, "\"p-3\"");
  g_assert_cmpuint (got_purchases->len, ==, 3);
  g_assert_cmpstr (((LumaPurchase *) got_purchases->pdata[0])->purchase_id, ==, "P-3");
  g_assert_cmpstr (((LumaPurchase *) got_purchases->pdata[0])->reference, ==, "PO-1");
  g_assert_null (((LumaPurchase *) got_purchases->pdata[1])->reference);
  g_assert_cmpint (((LumaPurchase *) got_purchases->pdata[1])->change, ==, -5);
  g_assert_cmpstr (((LumaPurchase *) got_purchases->pdata[2])->reason, ==, "Q4, \"big\" order");

  /* Conversations: not cached, cached, then out of date when the count grows. */
  g_ptr_array_add (sessions, make_session ("S-9", 5, "zoe", "z@a.bc", NULL, 0, 0, 0, 2));
  luma_cache_upsert_sessions (cache, sessions);
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_null (luma_cache_get_conversations (cache, LUMA_LICENSE_TYPE_SESSION, "S-9", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      LumaConversation *c = g_new0 (LumaConversation, 1);
      c->conversation_id = g_strdup_printf ("C-9-%u", i);
      c->session_id = g_strdup ("S-9");
      c->channel = LUMA_CHANNEL_SLACK;
      c->started_on = 5 + i;
      c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_message_free);
      for (guint j = 0; j < i * 3; j++)
        {
          LumaMessage *m = g_new0 (LumaMessage, 1);
          m->sender = j % 3;
          m->sender_name = g_strdup ("Zoë");
          m->sent_at = 10 + j;
          m->text = g_strdup_printf ("line %u\nwith a break", j);
          g_ptr_array_add (c->messages, m);
        }
      g_ptr_array_add (conversations, c);
    }
  g_assert_true (luma_cache_store_conversations (cache, LUMA_LICENSE_TYPE_SESSION, "S-9", conversations, &error));
  g_assert_no_error (error);
  got_conversations = luma_cache_get_conversations (cache, LUMA_LICENSE_TYPE_SESSION, "S-9", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got_conversations->len, ==, 2);
  {
    LumaConversation *c0 = got_conversations->pdata[0];
    LumaConversation *c1 = got_conversations->pdata[1];
    LumaMessage *m;

    g_assert_cmpstr (c0->conversation_id, ==, "C-9-0");
    g_assert_cmpuint (c0->messages->len, ==, 0);
    g_assert_null (c0->user_id);
    g_assert_cmpstr (c1->session_id, ==, "S-9");
    g_assert_cmpuint (c1->messages->len, ==, 3);
    m = c1->messages->pdata[2];
    g_assert_cmpint (m->sender, ==, 2);
    g_assert_cmpstr (m->text, ==, "line 2\nwith a break");
    g_assert_cmpint (m->sent_at, ==, 12);
  }
  /* Storing again replaces, never duplicates. */
  g_assert_true (luma_cache_store_conversations (cache, LUMA_LICENSE_TYPE_SESSION, "S-9", conversations, &error));
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM messages"), ==, 3);

  g_ptr_array_add (more, make_session ("S-9", 5, "zoe", "z@a.bc", NULL, 0, 0, 0, 3));
  luma_cache_upsert_sessions (cache, more);
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_clear_pointer (&got_conversations, g_ptr_array_unref);
  got_conversations = luma_cache_get_conversations (cache, LUMA_LICENSE_TYPE_SESSION, "S-9", &error);
  g_assert_no_error (error);
  g_assert_null (got_conversations);
}

/* ---- Async use from a main loop ------------------------------------------------------------ */

typedef struct
{
  GMainLoop *loop;
  guint      pending;
  guint      history_changed;
  guint      ready_notified;
  GArray    *ids;
  gint64     n_new;
} AsyncState;

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncState *state = user_data;
  g_autoptr(GError) error = NULL;
  gint64 n_new = 0;

  g_assert_true (luma_cache_write_page_finish (LUMA_CACHE (source), result, &n_new, &error));
  g_assert_no_error (error);
  state->n_new += n_new;
  if (--state->pending == 0)
    g_main_loop_quit (state->loop);
}

static void
build_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncState *state = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (luma_cache_build_indexes_finish (LUMA_CACHE (source), result, &error));
  g_assert_no_error (error);
  if (--state->pending == 0)
    g_main_loop_quit (state->loop);
}

static void
history_changed_cb (LumaCache *cache,
                    gpointer   user_data)
{
  ((AsyncState *) user_data)->history_changed++;
}

static void
ready_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  ((AsyncState *) user_data)->ready_notified++;
}

static void
test_async_pages (void)
{
  g_autofree char *path = test_path ("async.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AsyncState state = { loop, 0, 0, 0, NULL, 0 };
  g_auto(LumaHistoryQuery) q;
  g_autofree char *cursor = NULL;
  const guint n_pages = 50, page_size = 1000;

  g_signal_connect (cache, "history-changed", G_CALLBACK (history_changed_cb), &state);
  g_signal_connect (cache, "notify::indexes-ready", G_CALLBACK (ready_cb), &state);

  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error));
  g_assert_no_error (error);

  /* A full sync of 50,000 records, 10 pages per commit. */
  for (guint p = 0; p < n_pages; p++)
    {
      LumaConsumptionPage *page = g_new0 (LumaConsumptionPage, 1);

      page->license_type = LUMA_LICENSE_TYPE_SESSION;
      page->items = session_array ();
      page->next_cursor = g_strdup_printf ("cursor-%u", p);
      page->has_more = p + 1 < n_pages;
      for (guint i = 0; i < page_size; i++)
        {
          guint n = p * page_size + i;
          g_autofree char *id = g_strdup_printf ("S-%07u", n);
          g_autofree char *name = g_strdup_printf ("User %u", n % 977);
          g_ptr_array_add (page->items, make_session (id, 1767225600 + n * 30, name,
                                                      "u@acme.example", n % 3 ? NULL : "Agent",
                                                      n % LUMA_N_CHANNELS, n % LUMA_N_ROLES,
                                                      n % 2, n % 7));
        }
      state.pending++;
      luma_cache_write_page_async (cache, page, p % 10 == 9, NULL, write_done_cb, &state);
    }
  g_main_loop_run (loop);
  g_assert_cmpint (state.n_new, ==, n_pages * page_size);
  g_assert_cmpint (count_sessions (cache), ==, n_pages * page_size);
  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_cmpstr (cursor, ==, "cursor-49");

  /* Browsable before the indexes exist. */
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  state.ids = luma_cache_query_ids (cache, &q, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (state.ids->len, ==, n_pages * page_size);
  g_clear_pointer (&state.ids, g_array_unref);

  state.pending = 1;
  luma_cache_build_indexes_async (cache, NULL, build_done_cb, &state);
  g_main_loop_run (loop);
  g_assert_true (luma_cache_get_indexes_ready (cache));

  q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
  q.descending = FALSE;
  q.search = g_strdup ("user 97");
  state.ids = luma_cache_query_ids (cache, &q, NULL, &error);
  g_assert_no_error (error);
  /* "User 97" and "User 970".."User 976", each n % 977 over 50,000 records */
  {
    guint expected = 0;
    for (guint n = 0; n < n_pages * page_size; n++)
      {
        guint k = n % 977;
        if (k == 97 || (k >= 970 && k <= 976))
          expected++;
      }
    g_assert_cmpuint (state.ids->len, ==, expected);
  }
  g_clear_pointer (&state.ids, g_array_unref);

  /* Let the idle emissions run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (state.history_changed, ==, 5);
  g_assert_cmpuint (state.ready_notified, >=, 1);
}

/* ---- One case folding for every search ------------------------------------------------------ */

static const char *const fold_names[] = {
  "Ärger Müller", "ÄRGER", "ärgerlich", "Ωmega", "ωmega", "ΩMEGA", "Zoë", "ZOË",
  "José Ñúñez", "JOSÉ ÑÚÑEZ", "Łukasz Żółć", "ŁUKASZ ŻÓŁĆ", "Straße", "plain", "Søren Ærø",
};

/* Bit i set: fold_names[i] is among the rows of @search, by each search path. */
static guint
fold_match_ids (LumaCache  *cache,
                const char *search)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaHistoryQuery) query = luma_history_query_new (LUMA_LICENSE_TYPE_SESSION);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint mask = 0;

  query->search = g_strdup (search);
  ids = luma_cache_query_ids (cache, query, NULL, &error);
  g_assert_no_error (error);
  rows = luma_cache_fetch_sessions_by_ids (cache, (const gint64 *) ids->data, ids->len, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    {
      LumaSessionRecord *r = g_ptr_array_index (rows, i);

      mask |= 1u << g_ascii_strtoull (r->session_id + 2, NULL, 10);
    }
  g_assert_cmpint (luma_cache_count_matching (cache, query, NULL, NULL), ==, rows->len);
  return mask;
}

/* The same, through the CSV export's filter: by the ids in the report. */
static guint
fold_match_csv (LumaCache  *cache,
                const char *search)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaHistoryQuery) query = luma_history_query_new (LUMA_LICENSE_TYPE_SESSION);
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 n_rows = 0;
  guint mask = 0;

  query->search = g_strdup (search);
  g_assert_true (luma_csv_export_to_stream (cache, query, stream, LUMA_CSV_FLAGS_NONE, NULL, NULL,
                                            &n_rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (stream, NULL, NULL));
  text = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (stream)),
                    g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (stream)));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *id = strstr (lines[i], "F-");

      if (id != NULL)
        mask |= 1u << g_ascii_strtoull (id + 2, NULL, 10);
    }
  {
    guint64 n_bits = 0;

    for (guint m = mask; m != 0; m &= m - 1)
      n_bits++;
    g_assert_cmpuint (n_rows, ==, n_bits);
  }
  return mask;
}

static guint
fold_mask (const int *indexes)
{
  guint mask = 0;

  for (guint i = 0; indexes[i] >= 0; i++)
    mask |= 1u << indexes[i];
  return mask;
}

/* Upper and lower case of letters outside ASCII find the same rows, by the
 * search index, without it (a term under 3 characters, or while the index
 * is being built) and in the CSV filter. */
static void
test_search_case_folding (void)
{
  g_autofree char *path = test_path ("fold.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GPtrArray) records = session_array ();
  g_autoptr(GError) error = NULL;
  static const int aerger[] = { 0, 1, 2, -1 };
  static const int omega[] = { 3, 4, 5, -1 };
  static const int zoe[] = { 6, 7, -1 };
  static const int nunez[] = { 8, 9, -1 };
  static const int zolc[] = { 10, 11, -1 };
  static const struct { const char *term; const int *expected; } cases[] = {
    { "ärger", aerger }, { "ÄRGER", aerger }, { "ÄrGeR", aerger }, { "äR", aerger }, { "Är", aerger },
    { "Ω", omega }, { "ω", omega }, { "ωm", omega }, { "ΩM", omega }, { "ωmega", omega }, { "ΩMEGA", omega },
    { "ZOË", zoe }, { "zoë", zoe }, { "oË", zoe },
    { "ñúñez", nunez }, { "ÑÚÑ", nunez }, { "Ñ", nunez },
    { "żółć", zolc }, { "ŻÓŁĆ", zolc }, { "ŁU", zolc },
  };
  guint by_index[G_N_ELEMENTS (cases)];

  for (guint i = 0; i < G_N_ELEMENTS (fold_names); i++)
    {
      g_autofree char *id = g_strdup_printf ("F-%u", i);
      g_ptr_array_add (records, make_session (id, 1000 + i, fold_names[i], "", NULL,
                                              LUMA_CHANNEL_SLACK, LUMA_ROLE_GUEST,
                                              LUMA_INITIATED_BY_END_USER, 1));
    }
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_get_indexes_ready (cache));

  /* With the search index (for terms of 3 characters or more). */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("search \"%s\"", cases[i].term);
      by_index[i] = fold_match_ids (cache, cases[i].term);
      g_assert_cmphex (by_index[i], ==, fold_mask (cases[i].expected));
      g_assert_cmphex (fold_match_csv (cache, cases[i].term), ==, by_index[i]);
    }

  /* While the index is being built: every term takes the other path. */
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error));
  g_assert_no_error (error);
  g_assert_false (luma_cache_get_indexes_ready (cache));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("search \"%s\" without the index", cases[i].term);
      g_assert_cmphex (fold_match_ids (cache, cases[i].term), ==, by_index[i]);
      g_assert_cmphex (fold_match_csv (cache, cases[i].term), ==, by_index[i]);
    }
}

/* ---- Closing ------------------------------------------------------------------------------- */

static void
store_error_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GError **slot = user_data;
  GError *error = NULL;

  if (!luma_cache_build_indexes_finish (LUMA_CACHE (source), result, &error))
    *slot = error;
  else
    *slot = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "built");
}

/* The index build goes in steps, each queuing the next: closing between
 * two steps ends the chain (its callback runs) and lets the cache go. */
static void
test_close_during_index_build (void)
{
  g_autofree char *path = test_path ("close-build.sqlite");
  LumaCache *cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  GError *built = NULL;
  gint64 deadline;

  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error));
  g_assert_no_error (error);
  stage_sessions (cache, "b", 5000, 0);
  g_assert_true (luma_cache_commit_batch (cache, "c", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (luma_cache_get_indexes_ready (cache));

  g_object_add_weak_pointer (G_OBJECT (cache), (gpointer *) &cache);
  luma_cache_build_indexes_async (cache, NULL, store_error_cb, &built);
  luma_cache_close (cache);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (built == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_error (built, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED);
  g_clear_error (&built);

  /* Nothing holds the cache any more. */
  g_object_unref (cache);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (cache);

  /* What was built stays, the rest is built next time. */
  cache = open_ok (path);
  g_assert_cmpint (count_sessions (cache), ==, 5000);
  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_get_indexes_ready (cache));
  g_object_unref (cache);
}

static void
open_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LumaCache **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = luma_cache_open_for_account_finish (result, &error);
  g_assert_no_error (error);
}

/* A caller running its own main context in another thread: the open must
 * not touch that context from the worker thread (GLib refuses to push a
 * context another thread owns), the result comes back in it, and so do the
 * cache's signals. */
typedef struct
{
  GMainContext *context;
  LumaCache    *cache;
  GError       *error;
  gboolean      done;
  GThread      *signalled_in;
  guint         n_signals;
} ContextOpen;

static void
context_open_done_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ContextOpen *co = user_data;

  g_assert_true (g_main_context_is_owner (co->context));
  co->cache = luma_cache_open_for_account_finish (result, &co->error);
  co->done = TRUE;
}

static void
context_history_changed_cb (LumaCache *cache,
                            gpointer   user_data)
{
  ContextOpen *co = user_data;

  co->signalled_in = g_thread_self ();
  co->n_signals++;
}

static gpointer
open_in_context_thread (gpointer data)
{
  ContextOpen *co = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (co->context);
  luma_cache_open_for_account_async ("https://luma.example/gateway/api/v1", "context-owner",
                                     NULL, context_open_done_cb, co);
  while (!co->done)
    g_main_context_iteration (co->context, TRUE);
  g_assert_no_error (co->error);
  g_assert_nonnull (co->cache);

  g_signal_connect (co->cache, "history-changed", G_CALLBACK (context_history_changed_cb), co);
  stage_sessions (co->cache, "ctx", 3, 1000);
  g_assert_true (luma_cache_commit_batch (co->cache, NULL, NULL, &error));
  g_assert_no_error (error);
  while (co->n_signals == 0)
    g_main_context_iteration (co->context, TRUE);

  g_main_context_pop_thread_default (co->context);
  return g_thread_self ();
}

static void
test_open_async_other_context (void)
{
  ContextOpen co = { 0 };
  g_autoptr(GThread) thread = NULL;
  GThread *owner;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  co.context = g_main_context_new ();
  thread = g_thread_new ("test-open-context", open_in_context_thread, &co);
  owner = g_thread_join (g_steal_pointer (&thread));
  g_assert_true (co.signalled_in == owner);
  g_assert_cmpuint (co.n_signals, ==, 1);
  g_assert_cmpint (luma_cache_count_records (co.cache, LUMA_LICENSE_TYPE_SESSION, &error), ==, 3);
  g_assert_no_error (error);

  /* Nothing of it was queued on the global default context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (co.n_signals, ==, 1);
  g_clear_object (&co.cache);
  g_main_context_unref (co.context);

  /* Cancelled before it ran: a clean G_IO_ERROR_CANCELLED and no cache. */
  g_cancellable_cancel (cancellable);
  co = (ContextOpen) { 0 };
  co.context = g_main_context_ref_thread_default ();
  luma_cache_open_for_account_async ("https://luma.example/gateway/api/v1", "cancelled",
                                     cancellable, context_open_done_cb, &co);
  while (!co.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (co.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (co.cache);
  g_clear_error (&co.error);
  g_main_context_unref (co.context);
}

/* The opener's context is the global default one, which nobody owns or
 * iterates while the writer thread commits (a command-line tool, a test, a
 * window between two iterations): the handlers must still run in the
 * opener's thread when it iterates that context, never on the writer thread
 * (whose thread-default context is that same one). A cache disposed with
 * emissions still pending leaves nothing behind in the context. */
typedef struct
{
  GThread *thread;
  guint    n;
} Emissions;

static void
count_emission_cb (LumaCache *cache,
                   gpointer   user_data)
{
  Emissions *e = user_data;

  e->thread = g_thread_self ();
  e->n++;
}

static void
commit_sessions (LumaCache  *cache,
                 const char *prefix)
{
  g_autoptr(GError) error = NULL;

  stage_sessions (cache, prefix, 10, 0);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_signal_in_opener_context (void)
{
  g_autofree char *path = test_path ("signal-context.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  Emissions e = { NULL, 0 };

  g_assert_null (g_main_context_get_thread_default ());
  g_signal_connect (cache, "history-changed", G_CALLBACK (count_emission_cb), &e);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* The commit has returned, so the writer is done with it. */
  commit_sessions (cache, "a");
  g_assert_cmpuint (e.n, ==, 0);
  g_assert_true (g_main_context_pending (NULL));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (e.n, ==, 1);
  g_assert_true (e.thread == g_thread_self ());

  commit_sessions (cache, "b");
  commit_sessions (cache, "c");
  g_assert_cmpuint (e.n, ==, 1);
  g_assert_true (g_main_context_pending (NULL));
  g_clear_object (&cache);
  g_assert_false (g_main_context_pending (NULL));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (e.n, ==, 1);
}

/* ---- Counts over ranges of time ------------------------------------------------------------- */

static void
ranges_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = luma_cache_count_in_ranges_finish (LUMA_CACHE (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

/* Ranges of @size seconds from @from, the last cut short after @to. */
static GArray *
even_bounds (gint64 from,
             gint64 to,
             gint64 size)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (gint64 t = from; t <= to; t += size)
    g_array_append_val (bounds, t);
  to += 1;
  g_array_append_val (bounds, to);
  return bounds;
}

static void
test_count_in_ranges (void)
{
  g_autofree char *path = test_path ("buckets.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = session_array ();
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autoptr(GArray) counts = NULL;
  g_autoptr(GArray) weeks = NULL;
  g_autoptr(GArray) days = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  const gint64 day = 24 * 3600, from = 1735689600 /* 2025-01-01 */, to = from + 365 * day - 1;
  const gint64 sizes[] = { day, 7 * day, 6 * 3600, 365 * day, 1000 * day };
  guint n = 20000;

  /* Times spread over the year and a little outside it, with records on
   * the exact edges. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("S-%06u", i);
      gint64 t;

      if (i == 0)
        t = from;
      else if (i == 1)
        t = to;
      else if (i == 2)
        t = from - 1;
      else if (i == 3)
        t = to + 1;
      else
        t = from - 30 * day + (gint64) g_rand_int_range (rand, 0, (gint32) (425 * day / 60)) * 60;
      g_ptr_array_add (sessions, make_session (id, t, "user", "u@example.org", NULL,
                                               LUMA_CHANNEL_SLACK, LUMA_ROLE_GUEST,
                                               LUMA_INITIATED_BY_END_USER, 1));
    }
  luma_cache_upsert_sessions (cache, sessions);
  g_assert_true (luma_cache_commit_batch (cache, "c1", NULL, &error));
  g_assert_no_error (error);

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      g_autoptr(GArray) bounds = even_bounds (from, to, sizes[k]);
      gint64 n_buckets = bounds->len - 1;
      g_autofree gint64 *expected = g_new0 (gint64, n_buckets);
      gint64 total = 0, in_range = 0;

      /* The independent count: every record, in C. */
      for (guint i = 0; i < sessions->len; i++)
        {
          const LumaSessionRecord *r = g_ptr_array_index (sessions, i);

          if (r->started_on >= from && r->started_on <= to)
            {
              expected[(r->started_on - from) / sizes[k]]++;
              in_range++;
            }
        }

      counts = luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_SESSION, -1,
                                           (const gint64 *) (gpointer) bounds->data, bounds->len,
                                           NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (counts->len, ==, n_buckets);
      for (guint b = 0; b < counts->len; b++)
        {
          g_assert_cmpint (g_array_index (counts, gint64, b), ==, expected[b]);
          total += g_array_index (counts, gint64, b);
        }
      g_assert_cmpint (total, ==, in_range);
      g_assert_cmpint (total, <, n);
      g_clear_pointer (&counts, g_array_unref);
    }

  /* The async variant gives the same, in this thread. */
  weeks = even_bounds (from, to, 7 * day);
  luma_cache_count_in_ranges_async (cache, LUMA_LICENSE_TYPE_SESSION, -1,
                                    (const gint64 *) (gpointer) weeks->data, weeks->len, NULL,
                                    ranges_done_cb, &counts);
  while (counts == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counts->len, ==, 53);
  g_assert_cmpint (g_array_index (counts, gint64, 0), >, 0);
  g_clear_pointer (&counts, g_array_unref);

  /* The other history is empty: all zeros, not an error. */
  for (guint i = 0; i < 3; i++)
    {
      LumaUserRecord *u = luma_user_record_new ();

      u->user_id = g_strdup_printf ("U-%u", i);
      u->user_name = g_strdup ("u");
      u->email = g_strdup ("u@example.org");
      u->first_name = g_strdup ("F");
      u->last_name = g_strdup ("L");
      u->created_on = from + (gint64) i * 2 * day;
      u->status = i == 1 ? LUMA_USER_STATUS_ACTIVE : LUMA_USER_STATUS_INACTIVE;
      g_ptr_array_add (users, u);
    }
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  days = even_bounds (from, from + 7 * day - 1, day);
  counts = luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_USER, -1,
                                       (const gint64 *) (gpointer) days->data, days->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counts->len, ==, 7);
  for (guint b = 0; b < 7; b++)
    g_assert_cmpint (g_array_index (counts, gint64, b), ==, b % 2 == 0 && b < 6 ? 1 : 0);
  g_clear_pointer (&counts, g_array_unref);
  /* Only the active users (the licenses held) when asked. */
  counts = luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_USER, LUMA_USER_STATUS_ACTIVE,
                                       (const gint64 *) (gpointer) days->data, days->len, NULL, &error);
  g_assert_no_error (error);
  for (guint b = 0; b < 7; b++)
    g_assert_cmpint (g_array_index (counts, gint64, b), ==, b == 2 ? 1 : 0);
  g_clear_pointer (&counts, g_array_unref);

  /* Bad arguments are refused with a clear error: one bound, bounds out of order, too many. */
  g_assert_null (luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_SESSION, -1, &from, 1,
                                             NULL, &error));
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
  g_clear_error (&error);
  {
    const gint64 backwards[] = { to, from };

    g_assert_null (luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_SESSION, -1, backwards, 2,
                                               NULL, &error));
    g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    g_autoptr(GArray) seconds = even_bounds (from, from + 9000, 1);

    g_assert_null (luma_cache_count_in_ranges (cache, LUMA_LICENSE_TYPE_SESSION, -1,
                                               (const gint64 *) (gpointer) seconds->data,
                                               seconds->len, NULL, &error));
    g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
    g_clear_error (&error);
  }
}

/* ---- A superadmin's tenant list ------------------------------------------------------------- */

static LumaTenantSummary *
make_tenant (const char      *id,
             const char      *name,
             LumaLicenseType  type,
             gint64           total,
             gint64           consumed)
{
  LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);

  t->external_id = g_strdup (id);
  t->tenant_name = g_strdup (name);
  t->license_type = type;
  t->start_date = 1735689600;
  t->end_date = 1767225599;
  t->total_purchase = total;
  t->consumed = consumed;
  t->available = MAX (total - consumed, 0);
  t->overage = MAX (consumed - total, 0);
  return t;
}

static void
set_last_refill (LumaTenantSummary *t,
                 LumaLastRefill     state,
                 gint64             at,
                 gint64             change)
{
  t->last_refill = state;
  t->last_refill_at = at;
  t->last_refill_change = change;
}

/* A cache of the version before the last refill (schema 5) opens, keeps its
 * tenant list with the last refill unknown, and stores the next list whole. */
static void
test_tenants_migration (void)
{
  g_autofree char *path = test_path ("tenants-v5.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  g_autoptr(GPtrArray) got = NULL;
  const LumaTenantSummary *t;

  g_ptr_array_add (tenants, make_tenant ("acme", "Acme", LUMA_LICENSE_TYPE_SESSION, 1000, 760));
  set_last_refill (g_ptr_array_index (tenants, 0), LUMA_LAST_REFILL_KNOWN, 1760000000, 250);
  g_assert_true (luma_cache_store_tenants (cache, tenants, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  /* The file as the previous version left it: its tenants table, its user_version. */
  raw_exec (path, "ALTER TABLE tenants DROP COLUMN last_refill_on;"
                  "ALTER TABLE tenants DROP COLUMN last_refill_change;"
                  "PRAGMA user_version = 5;");
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM pragma_table_info('tenants')"
                                  " WHERE name LIKE 'last_refill%'"), ==, 0);

  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), >=, 6);
  got = luma_cache_get_tenants (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 1);
  t = g_ptr_array_index (got, 0);
  g_assert_cmpstr (t->external_id, ==, "acme");
  g_assert_cmpint (t->consumed, ==, 760);
  /* Stored before the version knew it: unknown, not "never". */
  g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_UNKNOWN);
  g_clear_pointer (&got, g_ptr_array_unref);

  g_assert_true (luma_cache_store_tenants (cache, tenants, &error));
  g_assert_no_error (error);
  got = luma_cache_get_tenants (cache, NULL, &error);
  g_assert_no_error (error);
  t = g_ptr_array_index (got, 0);
  g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_KNOWN);
  g_assert_cmpint (t->last_refill_at, ==, 1760000000);
  g_assert_cmpint (t->last_refill_change, ==, 250);
}

static LumaUserRecord *
make_user (const char *id,
           gint64      conversations,
           gboolean    last_known,
           gint64      last_on)
{
  LumaUserRecord *u = luma_user_record_new ();

  u->user_id = g_strdup (id);
  u->user_name = g_strdup (id);
  u->email = g_strdup ("");
  u->first_name = g_strdup ("");
  u->last_name = g_strdup ("");
  u->role = LUMA_ROLE_GUEST;
  u->status = LUMA_USER_STATUS_ACTIVE;
  u->created_on = 1700000000;
  u->conversations = conversations;
  u->last_conversation_known = last_known;
  u->last_conversation_on = last_on;
  return u;
}

/* Each user's last conversation, stored as given and read back: a date,
 * never (no conversation), and not given (NULL with conversations). */
static void
assert_users_last_conversation (LumaCache *cache,
                                gboolean   dated)
{
  g_autoptr(GError) error = NULL;
  gint64 ids[] = { 1, 2, 3 };
  g_autoptr(GPtrArray) users = luma_cache_fetch_users_by_ids (cache, ids, G_N_ELEMENTS (ids), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 3);
  for (guint i = 0; i < users->len; i++)
    {
      const LumaUserRecord *u = g_ptr_array_index (users, i);

      if (g_str_equal (u->user_id, "U-dated"))
        {
          g_assert_cmpint (u->last_conversation_known, ==, dated);
          g_assert_cmpint (u->last_conversation_on, ==, dated ? 1760000000 : 0);
        }
      else if (g_str_equal (u->user_id, "U-never"))
        g_assert_true (u->last_conversation_known);
      else
        {
          g_assert_cmpstr (u->user_id, ==, "U-unknown");
          g_assert_false (u->last_conversation_known);
        }
    }
}

/* A cache of the version before the users' last conversation (schema 6)
 * opens with its users kept and their last conversation unknown, and its
 * user-based history syncs again from the beginning to learn it. */
static void
test_users_migration (void)
{
  g_autofree char *path = test_path ("users-v6.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autofree char *cursor = NULL;
  LumaLicenseType type = LUMA_LICENSE_TYPE_SESSION;

  g_ptr_array_add (users, make_user ("U-dated", 3, TRUE, 1760000000));
  g_ptr_array_add (users, make_user ("U-never", 0, TRUE, 0));
  g_ptr_array_add (users, make_user ("U-unknown", 2, FALSE, 0));
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_USER, &error));
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, "u1", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM users WHERE last_conversation_on IS NULL"), ==, 2);
  assert_users_last_conversation (cache, TRUE);
  g_clear_object (&cache);

  /* The file as the previous version left it. */
  raw_exec (path, "ALTER TABLE users DROP COLUMN last_conversation_on; PRAGMA user_version = 6;");

  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), >=, 7);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM pragma_table_info('users')"
                                  " WHERE name = 'last_conversation_on'"), ==, 1);
  g_assert_cmpint (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_USER, NULL), ==, 3);
  /* Stored before the version knew it: unknown, not "never". */
  assert_users_last_conversation (cache, FALSE);
  /* The next sync is a full one, of the same license type. */
  cursor = luma_cache_get_cursor (cache, &error);
  g_assert_no_error (error);
  g_assert_null (cursor);
  g_assert_true (luma_cache_get_license_type (cache, &type));
  g_assert_cmpint (type, ==, LUMA_LICENSE_TYPE_USER);

  /* It stores the dates again. */
  g_assert_true (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_USER, &error));
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, "u2", NULL, &error));
  g_assert_no_error (error);
  assert_users_last_conversation (cache, TRUE);
  g_clear_object (&cache);

  /* Opened again, nothing runs twice. */
  cache = open_ok (path);
  g_assert_false (luma_cache_was_rebuilt (cache));
  g_free (cursor);
  cursor = luma_cache_get_cursor (cache, NULL);
  g_assert_cmpstr (cursor, ==, "u2");
}

static void
test_tenants (void)
{
  g_autofree char *path = test_path ("tenants.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  g_autoptr(GPtrArray) got = NULL;
  gint64 stored_on = -1, before = g_get_real_time () / G_USEC_PER_SEC;

  /* Never stored: NULL, no error. */
  got = luma_cache_get_tenants (cache, &stored_on, &error);
  g_assert_no_error (error);
  g_assert_null (got);
  g_assert_cmpint (stored_on, ==, 0);

  g_ptr_array_add (tenants, make_tenant ("zeta", "Zeta Ltd", LUMA_LICENSE_TYPE_USER, 50, 60));
  g_ptr_array_add (tenants, make_tenant ("acme", "Acme — Ünïcode", LUMA_LICENSE_TYPE_SESSION, 1000, 760));
  g_ptr_array_add (tenants, make_tenant ("beta", "Beta", LUMA_LICENSE_TYPE_SESSION, 10, 1));
  /* A removal, never, and unknown (an older server's list) */
  set_last_refill (g_ptr_array_index (tenants, 0), LUMA_LAST_REFILL_KNOWN, 1760000000, -500);
  set_last_refill (g_ptr_array_index (tenants, 1), LUMA_LAST_REFILL_NEVER, 0, 0);
  g_assert_true (luma_cache_store_tenants (cache, tenants, &error));
  g_assert_no_error (error);

  /* Survives a reopen, in the stored order, every field. */
  g_clear_object (&cache);
  cache = open_ok (path);
  got = luma_cache_get_tenants (cache, &stored_on, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpuint (got->len, ==, 3);
  g_assert_cmpint (stored_on, >=, before);
  for (guint i = 0; i < 3; i++)
    {
      const LumaTenantSummary *a = g_ptr_array_index (tenants, i);
      const LumaTenantSummary *b = g_ptr_array_index (got, i);

      g_assert_cmpstr (a->external_id, ==, b->external_id);
      g_assert_cmpstr (a->tenant_name, ==, b->tenant_name);
      g_assert_cmpint (a->license_type, ==, b->license_type);
      g_assert_cmpint (a->start_date, ==, b->start_date);
      g_assert_cmpint (a->end_date, ==, b->end_date);
      g_assert_cmpint (a->total_purchase, ==, b->total_purchase);
      g_assert_cmpint (a->consumed, ==, b->consumed);
      g_assert_cmpint (a->available, ==, b->available);
      g_assert_cmpint (a->overage, ==, b->overage);
      g_assert_cmpint (a->last_refill, ==, b->last_refill);
      g_assert_cmpint (a->last_refill_at, ==, b->last_refill_at);
      g_assert_cmpint (a->last_refill_change, ==, b->last_refill_change);
    }
  g_clear_pointer (&got, g_ptr_array_unref);

  /* Storing replaces the list; an empty list is a list, not "never". */
  g_ptr_array_remove_index (tenants, 2);
  g_ptr_array_remove_index (tenants, 0);
  g_assert_true (luma_cache_store_tenants (cache, tenants, &error));
  got = luma_cache_get_tenants (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpstr (((LumaTenantSummary *) g_ptr_array_index (got, 0))->external_id, ==, "acme");
  g_clear_pointer (&got, g_ptr_array_unref);
  g_ptr_array_set_size (tenants, 0);
  g_assert_true (luma_cache_store_tenants (cache, tenants, &error));
  got = luma_cache_get_tenants (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpuint (got->len, ==, 0);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM tenants"), ==, 0);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
store_at (LumaCache *cache,
          GPtrArray *tenants,
          gint64     now)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  luma_cache_store_tenants_async (cache, tenants, now, NULL, stored_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (luma_cache_store_tenants_finish (cache, result, &error));
  g_assert_no_error (error);
}

/* Each tenant's consumption over time: the first sample of a day, the oldest in the window. */
static void
test_tenant_samples (void)
{
  g_autofree char *path = test_path ("tenant-samples.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  g_autoptr(GHashTable) samples = NULL;
  LumaTenantSummary *acme;
  const LumaConsumptionSample *sample;
  gint64 day = 86400;
  gint64 t0 = (g_get_real_time () / G_USEC_PER_SEC) / day * day - 40 * day;

  acme = make_tenant ("acme", "Acme", LUMA_LICENSE_TYPE_SESSION, 1000, 100);
  g_ptr_array_add (tenants, acme);
  g_ptr_array_add (tenants, make_tenant ("zeta", "Zeta", LUMA_LICENSE_TYPE_USER, 50, 10));

  samples = luma_cache_get_tenant_samples (cache, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (samples), ==, 0);
  g_clear_pointer (&samples, g_hash_table_unref);

  /* Day 0 (kept past the window of 31 days? no: pruned), day 5 twice, day 20 */
  store_at (cache, tenants, t0);
  acme->consumed = 200;
  store_at (cache, tenants, t0 + 5 * day + 60);
  acme->consumed = 250;
  store_at (cache, tenants, t0 + 5 * day + 7200);
  acme->consumed = 400;
  store_at (cache, tenants, t0 + 20 * day);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM tenant_samples WHERE external_id = 'acme'"), ==, 3);

  /* The oldest at or after the start of the window, the first of its day */
  samples = luma_cache_get_tenant_samples (cache, t0 + day, &error);
  g_assert_no_error (error);
  sample = g_hash_table_lookup (samples, "acme");
  g_assert_nonnull (sample);
  g_assert_cmpint (sample->sampled_on, ==, t0 + 5 * day + 60);
  g_assert_cmpint (sample->consumed, ==, 200);
  g_assert_cmpint (sample->term_start, ==, acme->start_date);
  g_assert_nonnull (g_hash_table_lookup (samples, "zeta"));
  g_clear_pointer (&samples, g_hash_table_unref);

  /* Samples older than a month and a day go with the next store */
  store_at (cache, tenants, t0 + 33 * day);
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM tenant_samples WHERE external_id = 'acme'"), ==, 3);
  g_assert_cmpint (raw_int (path, "SELECT min(sampled_on) FROM tenant_samples") - t0, ==, 5 * day + 60);
}

static gboolean
stop_after_two_cb (LumaLicenseType  type,
                   gconstpointer    record,
                   gpointer         user_data)
{
  return ++*(guint *) user_data < 2;
}

static void
test_open_async (void)
{
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) q;
  g_autofree char *server = NULL;
  g_autofree char *account = NULL;
  guint seen = 0;

  luma_cache_open_for_account_async ("https://luma.example/gateway/api/v1", "superadmin:root/acme",
                                     NULL, open_done_cb, &cache);
  while (cache == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (luma_cache_was_rebuilt (cache));

  /* Which account a file belongs to is written down, no secret with it. */
  server = luma_cache_get_meta (cache, "server_url", &error);
  account = luma_cache_get_meta (cache, "account", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (server, ==, "https://luma.example/gateway/api/v1");
  g_assert_cmpstr (account, ==, "superadmin:root/acme");

  stage_sessions (cache, "x", 10, 0);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  /* A NULL cursor keeps the stored one (none here). */
  g_assert_null (luma_cache_get_cursor (cache, NULL));

  /* The row function can stop the walk early; that is not an error. */
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  g_assert_true (luma_cache_foreach_history (cache, &q, stop_after_two_cb, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen, ==, 2);

  /* After close, calls fail cleanly. */
  luma_cache_close (cache);
  g_assert_cmpint (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_SESSION, &error), ==, -1);
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (luma_cache_set_meta (cache, "k", "v", &error));
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_CLOSED);

  /* Let the task's last reference go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cache/schema/create-reopen", test_schema_create_reopen);
  g_test_add_func ("/cache/schema/account-files", test_account_files);
  g_test_add_func ("/cache/schema/migration", test_migration);
  g_test_add_func ("/cache/schema/open-async", test_open_async);
  g_test_add_func ("/cache/schema/open-async-other-context", test_open_async_other_context);
  g_test_add_func ("/cache/schema/signal-in-opener-context", test_signal_in_opener_context);
  g_test_add_func ("/cache/schema/newer", test_newer_schema);
  g_test_add_func ("/cache/corrupt/garbage", test_corrupt_garbage);
  g_test_add_func ("/cache/corrupt/foreign", test_corrupt_foreign);
  g_test_add_func ("/cache/corrupt/pages", test_corrupt_pages);
  g_test_add_func ("/cache/corrupt/salvage", test_corrupt_salvage);
  g_test_add_func ("/cache/corrupt/salvage-lost", test_corrupt_salvage_lost);
  g_test_add_func ("/cache/batch/atomicity", test_batch_atomicity);
  g_test_add_func ("/cache/batch/upsert", test_upsert);
  g_test_add_func ("/cache/query/independent", test_query_matches_independent);
  g_test_add_func ("/cache/query/fetch-foreach", test_fetch_and_foreach);
  g_test_add_func ("/cache/query/users", test_users);
  g_test_add_func ("/cache/outbox-conflict", test_outbox_and_conflict);
  g_test_add_func ("/cache/thresholds", test_thresholds);
  g_test_add_func ("/cache/resources", test_subscription_purchases_conversations);
  g_test_add_func ("/cache/query/count-in-ranges", test_count_in_ranges);
  g_test_add_func ("/cache/tenants", test_tenants);
  g_test_add_func ("/cache/tenants/migration", test_tenants_migration);
  g_test_add_func ("/cache/users/migration", test_users_migration);
  g_test_add_func ("/cache/tenant-samples", test_tenant_samples);
  g_test_add_func ("/cache/async-pages", test_async_pages);
  g_test_add_func ("/cache/close-during-index-build", test_close_during_index_build);
  g_test_add_func ("/cache/query/case-folding", test_search_case_folding);

  return g_test_run ();
}
