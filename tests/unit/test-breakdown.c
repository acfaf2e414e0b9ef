/* test-breakdown.c: where the licenses go and the idle licenses, against independent SQL
 *
 * Real cache files with generated records; every figure is counted again
 * here with SQL written for the test (and sorted in C), on the same file,
 * for several periods. Runs in New York time: the last 30 days before
 * 20 March 2026 cross the change to daylight saving time (8 March).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "luma-breakdown.h"
#include "luma-cache-private.h"
#include "luma-csv.h"

#define DAY (24 * 3600)

/* 2026-03-20 15:00 in New York (EDT, UTC-4) */
#define NOW ((gint64) 1774033200)
/* The contract term: 2025-07-01T00:00:00Z to 2026-06-30T23:59:59Z */
#define TERM_START ((gint64) 1751328000)
#define TERM_END ((gint64) 1782863999)

static const char * const names[] = {
  "zoe.muller", "Zoe.Muller", "jose", "O'Neil, Ana", "=HYPERLINK(1)", "李 伟", "bud", "søren",
};

static char *
test_path (const char *name)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "test-breakdown", NULL);

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

/* Sessions spread over two terms, denser in the last weeks. */
static void
fill_sessions (LumaCache *cache)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (16);

  for (guint i = 0; i < 6000; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();
      guint name = g_rand_int_range (rand, 0, G_N_ELEMENTS (names));

      r->session_id = g_strdup_printf ("S-%05u", i);
      if (i % 3 == 0)
        r->started_on = NOW - g_rand_int_range (rand, 0, 100 * DAY);
      else
        r->started_on = TERM_START - 365 * (gint64) DAY + g_rand_int_range (rand, 0, 2 * 365 * DAY);
      /* Exactly on the boundaries too: [from, to) must hold. */
      if (i % 97 == 0)
        r->started_on = TERM_START;
      r->initiated_by = g_rand_int_range (rand, 0, 2);
      r->user_name = g_strdup (names[name]);
      r->email = g_strdup (name == 6 ? "" : "someone@acme.example");
      r->role = g_rand_int_range (rand, 0, LUMA_N_ROLES);
      /* Leave a channel out, so a group has only the values that occur. */
      r->channel = g_rand_int_range (rand, 0, LUMA_N_CHANNELS - 1);
      r->conversations = g_rand_int_range (rand, 0, 5);
      g_ptr_array_add (records, r);
    }
  g_rand_free (rand);
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ---- The independent counts ------------------------------------------------------------------ */

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  return db;
}

static gint64
raw_count (sqlite3    *db,
           const char *sql,
           gint64      a,
           gint64      b,
           gint64      c)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, a);
  sqlite3_bind_int64 (stmt, 2, b);
  sqlite3_bind_int64 (stmt, 3, c);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
check_group (sqlite3    *db,
             GPtrArray  *items,
             const char *sql,
             guint       n_values,
             gint64      from,
             gint64      to)
{
  gint64 prev_count = G_MAXINT64;
  gint prev_value = -1;
  guint n_nonzero = 0;

  for (guint v = 0; v < n_values; v++)
    {
      gint64 expected = raw_count (db, sql, from, to, v);
      gboolean found = FALSE;

      if (expected > 0)
        n_nonzero++;
      for (guint i = 0; i < items->len; i++)
        {
          const LumaBreakdownItem *item = g_ptr_array_index (items, i);

          if (item->value == (gint) v)
            {
              g_assert_cmpint (item->count, ==, expected);
              found = TRUE;
            }
        }
      g_assert_true (found == (expected > 0));
    }
  g_assert_cmpuint (items->len, ==, n_nonzero);

  /* Largest first, ties in enum order. */
  for (guint i = 0; i < items->len; i++)
    {
      const LumaBreakdownItem *item = g_ptr_array_index (items, i);

      g_assert_true (item->count < prev_count || (item->count == prev_count && item->value > prev_value));
      prev_count = item->count;
      prev_value = item->value;
    }
}

typedef struct
{
  char   *name;
  char   *email;
  gint64  count;
} UserCount;

static gint
user_count_compare (gconstpointer a,
                    gconstpointer b)
{
  const UserCount *x = a;
  const UserCount *y = b;
  int c;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  c = strcmp (x->name, y->name);
  return c != 0 ? c : strcmp (x->email, y->email);
}

static void
user_count_clear (gpointer data)
{
  UserCount *u = data;

  g_free (u->name);
  g_free (u->email);
}

/* The top session users: every session of the period read, counted by name
 * and email (byte for byte) in C. */
static void
check_top_sessions (sqlite3   *db,
                    GPtrArray *top,
                    gint64     from,
                    gint64     to,
                    guint      n_top)
{
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) sorted = g_array_new (FALSE, TRUE, sizeof (UserCount));
  sqlite3_stmt *stmt = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_array_set_clear_func (sorted, user_count_clear);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT user_name, email FROM sessions"
                                       " WHERE started_on BETWEEN ?1 AND ?2 - 1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      char *k = g_strdup_printf ("%s%c%s", sqlite3_column_text (stmt, 0), 0x1f,
                                 sqlite3_column_text (stmt, 1));

      value = g_hash_table_lookup (counts, k);
      g_hash_table_replace (counts, k, GSIZE_TO_POINTER (GPOINTER_TO_SIZE (value) + 1));
    }
  sqlite3_finalize (stmt);

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) parts = g_strsplit (key, "\x1f", 2);
      UserCount u = { g_strdup (parts[0]), g_strdup (parts[1]), (gint64) GPOINTER_TO_SIZE (value) };

      g_array_append_val (sorted, u);
    }
  g_array_sort (sorted, user_count_compare);

  g_assert_cmpuint (top->len, ==, MIN (n_top, sorted->len));
  for (guint i = 0; i < top->len; i++)
    {
      const LumaBreakdownItem *item = g_ptr_array_index (top, i);
      const UserCount *u = &g_array_index (sorted, UserCount, i);

      g_assert_cmpstr (item->user_name, ==, u->name);
      g_assert_cmpstr (item->email, ==, u->email);
      g_assert_cmpint (item->count, ==, u->count);
    }
}

/* ---- Periods ---------------------------------------------------------------------------------- */

static void
assert_local_midnight (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (t);

  g_assert_cmpint (g_date_time_get_hour (dt), ==, 0);
  g_assert_cmpint (g_date_time_get_minute (dt), ==, 0);
  g_assert_cmpint (g_date_time_get_second (dt), ==, 0);
}

static void
test_periods (void)
{
  gint64 from, to, prev;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  double pct;

  /* Seven whole days ending with today, in New York. */
  luma_period_for_preset (LUMA_PERIOD_LAST_7_DAYS, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
  assert_local_midnight (from);
  assert_local_midnight (to);
  assert_local_midnight (prev);
  g_assert_cmpint (to, ==, 1774065600);    /* 2026-03-21T00:00:00-04:00 */
  g_assert_cmpint (to - from, ==, 7 * DAY);
  /* The seven days before hold the change to summer time (8 March). */
  g_assert_cmpint (from - prev, ==, 7 * DAY - 3600);

  /* Thirty days cross the change to summer time: one hour shorter; the
   * previous thirty do not. */
  luma_period_for_preset (LUMA_PERIOD_LAST_30_DAYS, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
  assert_local_midnight (from);
  assert_local_midnight (prev);
  g_assert_cmpint (to - from, ==, 30 * DAY - 3600);
  g_assert_cmpint (from - prev, ==, 30 * DAY);

  luma_period_for_preset (LUMA_PERIOD_LAST_90_DAYS, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
  assert_local_midnight (from);
  assert_local_midnight (prev);
  g_assert_cmpint (to - from, ==, 90 * DAY - 3600);

  /* Another zone given explicitly: UTC days. */
  luma_period_for_preset (LUMA_PERIOD_LAST_7_DAYS, NOW, TERM_START, TERM_END, utc, &from, &to, &prev);
  g_assert_cmpint (to, ==, 1774051200);    /* 2026-03-21T00:00:00Z */
  g_assert_cmpint (to - from, ==, 7 * DAY);

  /* The term, closed at its end; the previous one is as long. */
  luma_period_for_preset (LUMA_PERIOD_THIS_TERM, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
  g_assert_cmpint (from, ==, TERM_START);
  g_assert_cmpint (to, ==, TERM_END + 1);
  g_assert_cmpint (prev, ==, TERM_START - (TERM_END + 1 - TERM_START));
  luma_period_for_preset (LUMA_PERIOD_PREVIOUS_TERM, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
  g_assert_cmpint (to, ==, TERM_START);
  g_assert_cmpint (from, ==, TERM_START - (TERM_END + 1 - TERM_START));
  g_assert_cmpint (from - prev, ==, to - from);

  for (int p = 0; p < LUMA_N_PERIOD_PRESETS; p++)
    g_assert_cmpstr (luma_period_preset_to_display (p), !=, "");

  g_assert_true (luma_breakdown_change_percent (200, 250, &pct));
  g_assert_cmpfloat_with_epsilon (pct, 25.0, 1e-9);
  g_assert_true (luma_breakdown_change_percent (200, 150, &pct));
  g_assert_cmpfloat_with_epsilon (pct, -25.0, 1e-9);
  g_assert_false (luma_breakdown_change_percent (0, 150, &pct));
}

/* ---- Sessions --------------------------------------------------------------------------------- */

static void
breakdown_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  LumaBreakdown **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = luma_cache_get_breakdown_finish (LUMA_CACHE (source), result, &error);
  g_assert_no_error (error);
}

static void
test_sessions (void)
{
  g_autofree char *path = test_path ("sessions.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  fill_sessions (cache);
  db = raw_open (path);

  for (int p = 0; p < LUMA_N_PERIOD_PRESETS; p++)
    {
      g_autoptr(LumaBreakdown) b = NULL;
      gint64 from, to, prev;
      guint n_top = p == LUMA_PERIOD_LAST_7_DAYS ? 3 : LUMA_BREAKDOWN_DEFAULT_TOP_USERS;

      luma_period_for_preset (p, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
      if (p == LUMA_PERIOD_LAST_30_DAYS)
        {
          /* The async variant gives the same. */
          luma_cache_get_breakdown_async (cache, LUMA_LICENSE_TYPE_SESSION, from, to, prev, n_top,
                                          NULL, breakdown_done_cb, &b);
          while (b == NULL)
            g_main_context_iteration (NULL, TRUE);
        }
      else
        b = luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_SESSION, from, to, prev, n_top,
                                      NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (b);

      g_assert_cmpint (b->total, >, 0);
      g_assert_cmpint (b->total, ==,
                       raw_count (db, "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1",
                                  from, to, 0));
      g_assert_cmpint (b->previous_total, ==,
                       raw_count (db, "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1",
                                  prev, from, 0));
      check_group (db, b->channels,
                   "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND channel = ?3",
                   LUMA_N_CHANNELS, from, to);
      check_group (db, b->roles,
                   "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND role = ?3",
                   LUMA_N_ROLES, from, to);
      check_group (db, b->initiators,
                   "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND initiated_by = ?3",
                   2, from, to);
      check_top_sessions (db, b->top_users, from, to, n_top);
      g_assert_true (luma_breakdown_get_group (b, LUMA_BREAKDOWN_CHANNEL) == b->channels);
      g_assert_true (luma_breakdown_get_group (b, LUMA_BREAKDOWN_USER) == b->top_users);

      if (p == LUMA_PERIOD_THIS_TERM)
        {
          g_autoptr(GString) csv = g_string_new (NULL);
          g_autofree char *total_row = NULL;

          luma_breakdown_append_csv (csv, b);
          g_assert_true (g_str_has_prefix (csv->str, "Group,Value,Email,Count\r\n"));
          total_row = g_strdup_printf ("Total,2025-07-01T00:00:00Z/2026-07-01T00:00:00Z,,%" G_GINT64_FORMAT "\r\n",
                                       b->total);
          g_assert_nonnull (strstr (csv->str, total_row));
          /* A name that starts a formula is guarded. */
          if (strstr (csv->str, "HYPERLINK") != NULL)
            g_assert_nonnull (strstr (csv->str, "User,'=HYPERLINK(1),"));
        }
    }
  sqlite3_close (db);

  /* A bad period is refused. */
  g_assert_null (luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_SESSION, NOW, NOW, NOW - DAY,
                                           10, NULL, &error));
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_SESSION, NOW - DAY, NOW, NOW,
                                           10, NULL, &error));
  g_assert_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID);
  g_clear_error (&error);
}

/* Every way the sessions' period is read gives the same figures: through
 * the time index or in rowid order, in one part or in two on two threads.
 * Beside the generated sessions: users tied in the top (a name and its
 * other case, a name and its prefix, an empty email, the same name with two
 * emails) with more sessions than anyone in the last 7 days, and 3,000
 * users with one session each in the term, more than the users' table
 * starts with. The tied users lead the last 7 and 30 days. */
static void
test_sessions_plans (void)
{
  static const struct { const char *name; const char *email; } tied[] = {
    { "tie", "" }, { "tie", "a@acme.example" }, { "Tie", "" }, { "tie-a", "" },
    { "ti", "b@acme.example" }, { "tie-a", "A@acme.example" },
  };
  static const struct { LumaCacheBreakdownPlan plan; guint n_parts; } plans[] = {
    { LUMA_CACHE_BREAKDOWN_AUTO, 0 },
    { LUMA_CACHE_BREAKDOWN_TIME_INDEX, 1 },
    { LUMA_CACHE_BREAKDOWN_TIME_INDEX, 2 },
    { LUMA_CACHE_BREAKDOWN_TABLE_SCAN, 1 },
    { LUMA_CACHE_BREAKDOWN_TABLE_SCAN, 2 },
  };
  static const guint tops[] = { 3, LUMA_BREAKDOWN_DEFAULT_TOP_USERS, 10000 };
  g_autofree char *path = test_path ("plans.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  fill_sessions (cache);
  for (guint i = 0; i < G_N_ELEMENTS (tied) * 200 + 3000; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup_printf ("T-%05u", i);
      if (i < G_N_ELEMENTS (tied) * 200)
        {
          r->user_name = g_strdup (tied[i % G_N_ELEMENTS (tied)].name);
          r->email = g_strdup (tied[i % G_N_ELEMENTS (tied)].email);
          r->started_on = NOW - (gint64) (i % 5) * DAY;
        }
      else
        {
          r->user_name = g_strdup_printf ("many %u", i);
          r->email = g_strdup_printf ("many%u@acme.example", i % 7);
          r->started_on = TERM_START + (gint64) (i % 200) * DAY;
        }
      r->initiated_by = i % 2;
      r->role = i % LUMA_N_ROLES;
      r->channel = i % LUMA_N_CHANNELS;
      g_ptr_array_add (records, r);
    }
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (luma_cache_build_indexes (cache, NULL, &error));
  g_assert_no_error (error);
  db = raw_open (path);

  for (guint k = 0; k < G_N_ELEMENTS (plans); k++)
    {
      luma_cache_set_breakdown_plan (plans[k].plan, plans[k].n_parts);
      for (int p = 0; p < LUMA_N_PERIOD_PRESETS; p++)
        for (guint t = 0; t < G_N_ELEMENTS (tops); t++)
          {
            g_autoptr(LumaBreakdown) b = NULL;
            g_autoptr(GCancellable) cancellable = g_cancellable_new ();
            gint64 from, to, prev;

            luma_period_for_preset (p, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
            b = luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_SESSION, from, to, prev, tops[t],
                                          NULL, &error);
            g_assert_no_error (error);
            g_assert_nonnull (b);
            g_assert_cmpint (b->total, ==,
                             raw_count (db, "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1",
                                        from, to, 0));
            g_assert_cmpint (b->previous_total, ==,
                             raw_count (db, "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1",
                                        prev, from, 0));
            check_group (db, b->channels,
                         "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND channel = ?3",
                         LUMA_N_CHANNELS, from, to);
            check_group (db, b->roles,
                         "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND role = ?3",
                         LUMA_N_ROLES, from, to);
            check_group (db, b->initiators,
                         "SELECT count(*) FROM sessions WHERE started_on BETWEEN ?1 AND ?2 - 1 AND initiated_by = ?3",
                         2, from, to);
            check_top_sessions (db, b->top_users, from, to, tops[t]);
            if (p == LUMA_PERIOD_LAST_7_DAYS || p == LUMA_PERIOD_LAST_30_DAYS)
              {
                /* The tied users lead, in name and email order (bytes). */
                const LumaBreakdownItem *first = g_ptr_array_index (b->top_users, 0);

                g_assert_cmpstr (first->user_name, ==, "Tie");
                g_assert_cmpstr (first->email, ==, "");
                g_assert_cmpint (first->count, ==, 200);
              }

            /* Cancelled: no figures. */
            g_cancellable_cancel (cancellable);
            g_assert_null (luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_SESSION, from, to, prev,
                                                     tops[t], cancellable, &error));
            g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
            g_clear_error (&error);
          }
    }
  luma_cache_set_breakdown_plan (LUMA_CACHE_BREAKDOWN_AUTO, 0);
  sqlite3_close (db);
}

/* ---- Users and idle licenses ------------------------------------------------------------------ */

static LumaConversation *
make_conversation (const char *user_id,
                   guint       n,
                   gint64      started_on)
{
  LumaConversation *c = g_new0 (LumaConversation, 1);

  c->conversation_id = g_strdup_printf ("C-%s-%u", user_id, n);
  c->user_id = g_strdup (user_id);
  c->channel = LUMA_CHANNEL_SLACK;
  c->started_on = started_on;
  return c;
}

/* The users' last conversation comes three ways: the date the feed gives
 * (lastConversationOn), "never" (no conversation), or not given (an older
 * server), when the stored transcripts stand in if they are complete. */
static void
test_users (void)
{
  g_autofree char *path = test_path ("users.sqlite");
  g_autoptr(LumaCache) cache = open_ok (path);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (30);
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  gint64 cutoff_7, to_7, from_7, prev_7;
  guint from_feed = 0, from_transcripts = 0, never = 0;

  luma_period_for_preset (LUMA_PERIOD_LAST_7_DAYS, NOW, TERM_START, TERM_END, NULL, &from_7, &to_7, &prev_7);
  cutoff_7 = to_7 - 7 * DAY;

  for (guint i = 0; i < 800; i++)
    {
      LumaUserRecord *u = luma_user_record_new ();

      u->user_id = g_strdup_printf ("U-%04u", i);
      u->user_name = g_strdup (names[i % G_N_ELEMENTS (names)]);
      u->email = g_strdup_printf ("u%u@acme.example", i);
      u->first_name = g_strdup ("");
      u->last_name = g_strdup ("");
      u->role = g_rand_int_range (rand, 0, LUMA_N_ROLES);
      u->status = i % 5 == 0 ? LUMA_USER_STATUS_INACTIVE : LUMA_USER_STATUS_ACTIVE;
      u->created_on = NOW - g_rand_int_range (rand, 0, 400 * DAY);
      u->conversations = g_rand_int_range (rand, 0, 4);
      /* Odd users are dated by the feed (null when they had none); even
       * ones come from an older server. */
      u->last_conversation_known = i % 2 == 1;
      if (u->last_conversation_known && u->conversations > 0)
        u->last_conversation_on = NOW - g_rand_int_range (rand, 0, 120 * DAY);
      g_ptr_array_add (records, u);
    }
  /* On either side of the 7-day cut-off exactly. */
  for (guint i = 0; i < 2; i++)
    {
      LumaUserRecord *u = luma_user_record_new ();

      u->user_id = g_strdup (i == 0 ? "U-edge-before" : "U-edge-at");
      u->user_name = g_strdup ("edge");
      u->email = g_strdup ("");
      u->first_name = g_strdup ("");
      u->last_name = g_strdup ("");
      u->role = LUMA_ROLE_ADMIN;
      u->status = LUMA_USER_STATUS_ACTIVE;
      u->created_on = NOW - 200 * DAY;
      u->conversations = 5;
      u->last_conversation_known = TRUE;
      u->last_conversation_on = cutoff_7 - 1 + i;
      g_ptr_array_add (records, u);
    }
  luma_cache_upsert_users (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Stored transcripts: complete sets, old and recent, out-of-date ones
   * (fewer stored than the record counts now), none for some users, and
   * sets of dated users that say otherwise (the feed's date wins). */
  for (guint i = 0; i < records->len; i++)
    {
      const LumaUserRecord *u = g_ptr_array_index (records, i);
      g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_conversation_free);
      gint64 n = u->conversations;

      if (n == 0 || (i % 2 == 1 && i % 3 != 0) || i % 10 == 4)
        continue;
      if (i % 6 == 0)
        n--;
      for (gint64 k = 0; k < n; k++)
        g_ptr_array_add (conversations,
                         make_conversation (u->user_id, k, NOW - g_rand_int_range (rand, 0, 90 * DAY)));
      g_assert_true (luma_cache_store_conversations (cache, LUMA_LICENSE_TYPE_USER, u->user_id,
                                                     conversations, &error));
      g_assert_no_error (error);
    }
  g_rand_free (rand);

  db = raw_open (path);

  for (int p = 0; p < LUMA_N_PERIOD_PRESETS; p++)
    {
      g_autoptr(LumaBreakdown) b = NULL;
      gint64 from, to, prev;
      gint64 prev_conversations = G_MAXINT64;

      luma_period_for_preset (p, NOW, TERM_START, TERM_END, NULL, &from, &to, &prev);
      b = luma_cache_get_breakdown (cache, LUMA_LICENSE_TYPE_USER, from, to, prev,
                                    LUMA_BREAKDOWN_DEFAULT_TOP_USERS, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (b->total, ==,
                       raw_count (db, "SELECT count(*) FROM users WHERE status = 0"
                                  " AND created_on BETWEEN ?1 AND ?2 - 1", from, to, 0));
      g_assert_cmpint (b->previous_total, ==,
                       raw_count (db, "SELECT count(*) FROM users WHERE status = 0"
                                  " AND created_on BETWEEN ?1 AND ?2 - 1", prev, from, 0));
      g_assert_cmpuint (b->channels->len, ==, 0);
      g_assert_cmpuint (b->initiators->len, ==, 0);
      check_group (db, b->roles,
                   "SELECT count(*) FROM users WHERE status = 0 AND created_on BETWEEN ?1 AND ?2 - 1"
                   " AND role = ?3", LUMA_N_ROLES, from, to);

      /* The top users: the most conversations among the period's licenses. */
      g_assert_cmpuint (b->top_users->len, ==,
                        MIN (LUMA_BREAKDOWN_DEFAULT_TOP_USERS, (guint) b->total));
      for (guint i = 0; i < b->top_users->len; i++)
        {
          const LumaBreakdownItem *item = g_ptr_array_index (b->top_users, i);
          g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM users WHERE status = 0"
                                                  " AND created_on BETWEEN ?1 AND ?2 - 1"
                                                  " AND conversations > ?3");

          g_assert_cmpint (item->count, <=, prev_conversations);
          prev_conversations = item->count;
          /* Fewer users than its rank have more conversations. */
          g_assert_cmpint (raw_count (db, sql, from, to, item->count), <=, i);
          /* It is one of the period's licenses, with its own count. */
          g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM users WHERE status = 0"
                                               " AND created_on BETWEEN ?1 AND ?2 - 1"
                                               " AND user_id = ?3 AND conversations = ?4",
                                               -1, &stmt, NULL), ==, SQLITE_OK);
          sqlite3_bind_int64 (stmt, 1, from);
          sqlite3_bind_int64 (stmt, 2, to);
          sqlite3_bind_text (stmt, 3, item->user_id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (stmt, 4, item->count);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
          g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 1);
          sqlite3_finalize (stmt);
        }
    }

  /* Idle licenses at several cut-offs: the same users as the SQL below,
   * with the same last dates, longest idle first. */
  for (int days = 7; days <= 90; days += 83 / 4)
    {
      g_autoptr(GPtrArray) idle = NULL;
      g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      gint64 cutoff, to, prev;
      gint64 last = -1;

      luma_period_for_preset (LUMA_PERIOD_LAST_7_DAYS, NOW, TERM_START, TERM_END, NULL, &cutoff, &to, &prev);
      cutoff = to - (gint64) days * DAY;
      idle = luma_cache_list_idle_users (cache, cutoff, NULL, &error);
      g_assert_no_error (error);

      /* Idle: no conversation, or the last one before the cut-off: the
       * feed's date, else (not given) a complete stored set, none of
       * whose conversations is as recent. */
      g_assert_cmpint (sqlite3_prepare_v2 (db,
                         "SELECT u.user_id, CASE WHEN u.last_conversation_on IS NOT NULL"
                         "   THEN u.last_conversation_on"
                         "   ELSE (SELECT max(started_on) FROM conversations c"
                         "     WHERE c.record_kind = 1 AND c.record_id = u.user_id) END"
                         " FROM users u WHERE u.status = 0 AND u.created_on < ?1 AND"
                         " (u.conversations = 0 OR"
                         "  (u.last_conversation_on IS NOT NULL AND u.last_conversation_on < ?1) OR"
                         "  (u.last_conversation_on IS NULL"
                         "   AND u.conversations = (SELECT n_conversations FROM conversation_sets s"
                         "     WHERE s.record_kind = 1 AND s.record_id = u.user_id)"
                         "   AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.record_kind = 1"
                         "     AND c.record_id = u.user_id AND c.started_on >= ?1)))",
                         -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_int64 (stmt, 1, cutoff);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_hash_table_insert (expected, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                             GINT_TO_POINTER ((int) (sqlite3_column_int64 (stmt, 1) - TERM_START)));
      sqlite3_finalize (stmt);

      g_assert_cmpuint (idle->len, >, 0);
      g_assert_cmpuint (idle->len, ==, g_hash_table_size (expected));
      for (guint i = 0; i < idle->len; i++)
        {
          const LumaIdleUser *u = g_ptr_array_index (idle, i);
          gpointer value;

          g_assert_true (g_hash_table_lookup_extended (expected, u->user_id, NULL, &value));
          if (u->conversations == 0)
            g_assert_cmpint (u->last_conversation, ==, 0);
          else
            {
              g_assert_cmpint (u->last_conversation, ==, GPOINTER_TO_INT (value) + TERM_START);
              g_assert_cmpint (u->last_conversation, <, cutoff);
            }
          g_assert_cmpint (u->created_on, <, cutoff);
          g_assert_cmpint (u->last_conversation, >=, last);
          last = u->last_conversation;
          /* Where the date came from: odd users and the edges from the feed. */
          if (u->conversations == 0)
            never++;
          else if (g_str_has_prefix (u->user_id, "U-edge") ||
                   g_ascii_strtoull (u->user_id + 2, NULL, 10) % 2 == 1)
            from_feed++;
          else
            from_transcripts++;
        }

      if (days == 7)
        {
          g_autoptr(GString) csv = g_string_new (NULL);
          g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc (NOW - 200 * DAY);
          g_autoptr(GDateTime) before = g_date_time_new_from_unix_utc (cutoff_7 - 1);
          g_autofree char *created_text = g_date_time_format (created, "%Y-%m-%dT%H:%M:%SZ");
          g_autofree char *before_text = g_date_time_format (before, "%Y-%m-%dT%H:%M:%SZ");
          g_autofree char *row = g_strdup_printf ("\r\nU-edge-before,edge,,Admin,%s,5,%s\r\n",
                                                  created_text, before_text);

          /* The last second before the cut-off is idle; the cut-off itself is not. */
          g_assert_true (g_hash_table_contains (expected, "U-edge-before"));
          g_assert_false (g_hash_table_contains (expected, "U-edge-at"));

          luma_idle_users_append_csv (csv, idle);
          g_assert_true (g_str_has_prefix (csv->str, "User ID,User Name,Email,Role,Created On,"
                                           "Conversations,Last Conversation\r\n"));
          g_assert_nonnull (strstr (csv->str, "'=HYPERLINK(1)"));
          /* The date in UTC, whatever the zone (here New York's). */
          g_assert_nonnull (strstr (csv->str, row));
        }
    }
  sqlite3_close (db);

  /* Each way of knowing was listed, users whose transcripts nobody opened
   * too: only the feed's date shows those idle. */
  g_assert_cmpuint (from_feed, >, 0);
  g_assert_cmpuint (from_transcripts, >, 0);
  g_assert_cmpuint (never, >, 0);
}

/* ---- Saving a document through a temporary file --------------------------------------------- */

static void
test_save (void)
{
  g_autofree char *path = test_path ("idle.csv");
  g_autoptr(GBytes) bytes = g_bytes_new_static ("a,b\r\n", 5);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_true (luma_csv_save_to_path (path, bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "a,b\r\n");

  /* Nothing is left behind. */
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_false (g_str_has_prefix (name, ".idle.csv."));

  /* A folder is refused and left alone. */
  g_assert_false (luma_csv_save_to_path (dir, bytes, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything reads the zone. */
  g_setenv ("TZ", "America/New_York", TRUE);
  tzset ();

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/breakdown/periods", test_periods);
  g_test_add_func ("/breakdown/sessions", test_sessions);
  g_test_add_func ("/breakdown/sessions-plans", test_sessions_plans);
  g_test_add_func ("/breakdown/users-and-idle", test_users);
  g_test_add_func ("/breakdown/save", test_save);

  return g_test_run ();
}
