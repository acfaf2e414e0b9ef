/* test-last-look.c: "since you last looked", against a real cache file
 *
 * Two visits of the subscription page with records, a purchase and more
 * consumption stored between them, as a sync stores them; the new records
 * are also counted here with SQL on the same file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <sqlite3.h>

#include "luma-cache-private.h"
#include "luma-cache-sync.h"
#include "luma-format.h"
#include "luma-last-look.h"

#define DAY (24 * 3600)
#define NOW ((gint64) 1774033200)

static LumaCache *
open_cache (char **path_out)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "test-last-look", NULL);
  g_autoptr(GError) error = NULL;
  LumaCache *cache;

  g_mkdir_with_parents (dir, 0700);
  *path_out = g_build_filename (dir, "cache.sqlite", NULL);
  cache = luma_cache_open_path (*path_out, NULL, &error);
  g_assert_no_error (error);
  return cache;
}

static LumaSubscription *
make_subscription (LumaLicenseType type,
                   gint64          consumed)
{
  LumaSubscription *s = g_new0 (LumaSubscription, 1);
  const char *none[] = { NULL };

  s->external_id = g_strdup ("acme");
  s->tenant_name = g_strdup ("Acme Corporation");
  s->license_type = type;
  s->start_date = NOW - 100 * (gint64) DAY;
  s->end_date = NOW + 265 * (gint64) DAY;
  s->total_purchase = 1000;
  s->consumed = consumed;
  s->available = 1000 - consumed;
  s->technical_emails = g_strdupv ((char **) none);
  s->billing_emails = g_strdupv ((char **) none);
  s->version = 1;
  return s;
}

static void
add_sessions (LumaCache *cache,
              guint      first,
              guint      n)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  g_autoptr(GError) error = NULL;

  for (guint i = first; i < first + n; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup_printf ("S-%05u", i);
      r->started_on = NOW - (gint64) (i % 90) * DAY;
      r->user_name = g_strdup ("zoe");
      r->email = g_strdup ("");
      r->conversations = 1 + i % 3;
      g_ptr_array_add (records, r);
    }
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
store_purchases (LumaCache *cache,
                 guint      n)
{
  g_autoptr(GPtrArray) purchases = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_purchase_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      LumaPurchase *p = g_new0 (LumaPurchase, 1);

      p->purchase_id = g_strdup_printf ("P-%u", i);
      p->performed_on = NOW - (gint64) (n - i) * DAY;
      p->kind = LUMA_PURCHASE_KIND_REFILL;
      p->change = 100;
      p->total_after = 1000;
      p->performed_by = g_strdup ("root");
      p->reason = g_strdup ("more");
      g_ptr_array_add (purchases, p);
    }
  g_assert_true (luma_cache_store_purchases (cache, purchases, NULL, &error));
  g_assert_no_error (error);
}

static gint64
raw_count_after (const char *path,
                 gint64      after)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sessions WHERE id > ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, after);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* One visit of the page: the line against the stored marker, then the
 * marker of what it showed. */
static char *
visit (LumaCache              *cache,
       const LumaSubscription *s,
       gint64                  now,
       LumaLastLook           *current)
{
  LumaLastLook previous;
  g_autoptr(GError) error = NULL;
  gboolean has_previous = luma_last_look_load (cache, &previous);
  char *line = NULL;

  g_assert_true (luma_last_look_read (cache, s, has_previous ? &previous : NULL, now, current, &error));
  g_assert_no_error (error);
  if (has_previous)
    line = luma_last_look_describe (s->license_type, &previous, current);
  g_assert_true (luma_last_look_store (cache, current, &error));
  g_assert_no_error (error);
  return line;
}

static void
test_visits (void)
{
  g_autofree char *path = NULL;
  g_autoptr(LumaCache) cache = open_cache (&path);
  g_autoptr(LumaSubscription) s = make_subscription (LUMA_LICENSE_TYPE_SESSION, 850);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *value = NULL;
  g_autofree char *n = NULL;
  g_autofree char *expected = NULL;
  LumaLastLook first, second, loaded;

  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  add_sessions (cache, 0, 300);
  store_purchases (cache, 2);

  /* The first visit: no line. */
  g_assert_false (luma_last_look_load (cache, &loaded));
  line = visit (cache, s, NOW, &first);
  g_assert_null (line);
  g_assert_cmpint (first.max_record_id, >, 0);
  g_assert_cmpint (first.purchases, ==, 2);
  value = luma_cache_get_meta (cache, LUMA_LAST_LOOK_META_KEY, &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_true (luma_last_look_load (cache, &loaded));
  g_assert_cmpint (loaded.time, ==, NOW);
  g_assert_cmpint (loaded.consumed, ==, 850);
  g_assert_cmpint (loaded.total_purchase, ==, 1000);
  g_assert_cmpint (loaded.purchases, ==, 2);
  g_assert_cmpint (loaded.max_record_id, ==, first.max_record_id);

  /* Nothing changed: no line; an update of a known record is no news. */
  add_sessions (cache, 0, 10);
  line = visit (cache, s, NOW + 60, &second);
  g_assert_null (line);
  g_assert_cmpint (second.new_records, ==, 0);

  /* A sync brings 1,234 sessions, one purchase and the consumption. */
  add_sessions (cache, 300, 1234);
  add_sessions (cache, 0, 50);
  store_purchases (cache, 3);
  s->consumed = 910;
  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  g_assert_cmpint (raw_count_after (path, second.max_record_id), ==, 1234);
  line = visit (cache, s, NOW + DAY, &first);
  g_assert_cmpint (first.new_records, ==, 1234);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Since you last looked on "));
  n = luma_format_count (1234);
  expected = g_strdup_printf (": %s new sessions · 1 new purchase · 85 %% → 91 %% used", n);
  g_assert_true (g_str_has_suffix (line, expected));
  g_clear_pointer (&line, g_free);

  /* Only the share: one part. A shorter purchase list is no news. */
  store_purchases (cache, 1);
  s->consumed = 990;
  line = visit (cache, s, NOW + 2 * DAY, &second);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_suffix (line, ": 91 % → 99 % used"));
  g_clear_pointer (&line, g_free);

  /* A change too small to see in whole percents is none. */
  s->consumed = 991;
  line = visit (cache, s, NOW + 3 * DAY, &first);
  g_assert_null (line);
}

static void
test_users_and_damage (void)
{
  g_autofree char *path = NULL;
  g_autoptr(LumaCache) cache = open_cache (&path);
  g_autoptr(LumaSubscription) s = make_subscription (LUMA_LICENSE_TYPE_USER, 10);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  LumaLastLook look, loaded;

  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  g_assert_true (luma_cache_set_meta (cache, LUMA_LAST_LOOK_META_KEY, "1 12 10 1000 0 0", &error));
  line = visit (cache, s, NOW, &look);
  g_assert_null (line);

  /* A marker stored earlier, before the first user. */
  {
    LumaUserRecord *u = luma_user_record_new ();

    u->user_id = g_strdup ("U-1");
    u->user_name = g_strdup ("ana");
    u->email = g_strdup ("");
    u->first_name = g_strdup ("");
    u->last_name = g_strdup ("");
    u->created_on = NOW;
    g_ptr_array_add (users, u);
  }
  luma_cache_upsert_users (cache, users);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  line = visit (cache, s, NOW + 1, &look);
  g_assert_true (g_str_has_suffix (line, ": 1 new user"));

  /* A marker it cannot read counts as none: no line, and it is rewritten. */
  g_assert_true (luma_cache_set_meta (cache, LUMA_LAST_LOOK_META_KEY, "2 what", &error));
  g_assert_false (luma_last_look_load (cache, &loaded));
  g_assert_true (luma_cache_set_meta (cache, LUMA_LAST_LOOK_META_KEY, "1 -5 1 1 1 1", &error));
  g_assert_false (luma_last_look_load (cache, &loaded));
  g_clear_pointer (&line, g_free);
  line = visit (cache, s, NOW + 2, &look);
  g_assert_null (line);
  g_assert_true (luma_last_look_load (cache, &loaded));
  g_assert_cmpint (loaded.time, ==, NOW + 2);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/last-look/visits", test_visits);
  g_test_add_func ("/last-look/users-and-damage", test_users_and_damage);

  return g_test_run ();
}
