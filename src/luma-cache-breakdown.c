/* luma-cache-breakdown.c: where the licenses go, and the idle licenses (read only)
 *
 * Reads the sessions and users tables (and, for the idle licenses, the
 * stored conversations) on a read connection of the pool.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-breakdown.h"
#include "luma-cache-private.h"

/* ---- The breakdown -------------------------------------------------------------------------- */

static const char session_count_sql[] =
  "SELECT count(*) FROM sessions WHERE started_on >= ?1 AND started_on < ?2";

/* User-based: what is consumed is the licenses held, i.e. active users. */
static const char user_groups_sql[] =
  "SELECT -1, role, -1, count(*) FROM users"
  " WHERE status = 0 AND created_on >= ?1 AND created_on < ?2 GROUP BY role";
static const char user_count_sql[] =
  "SELECT count(*) FROM users WHERE status = 0 AND created_on >= ?1 AND created_on < ?2";
static const char user_top_sql[] =
  "SELECT user_name, email, conversations, user_id FROM users"
  " WHERE status = 0 AND created_on >= ?1 AND created_on < ?2"
  " ORDER BY conversations DESC, user_name COLLATE BINARY, user_id LIMIT ?3";

static gint
item_compare (gconstpointer a,
              gconstpointer b)
{
  const LumaBreakdownItem *x = *(LumaBreakdownItem * const *) a;
  const LumaBreakdownItem *y = *(LumaBreakdownItem * const *) b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->value - y->value;
}

static GPtrArray *
items_from_counts (const gint64 *counts,
                   guint         n)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_breakdown_item_free);

  for (guint i = 0; i < n; i++)
    {
      LumaBreakdownItem *item;

      if (counts[i] == 0)
        continue;
      item = g_new0 (LumaBreakdownItem, 1);
      item->value = (gint) i;
      item->count = counts[i];
      g_ptr_array_add (items, item);
    }
  g_ptr_array_sort (items, item_compare);
  return items;
}

static gboolean
step_error (LumaCacheDb   *db,
            int            rc,
            GCancellable  *cancellable,
            GError       **error)
{
  if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    _luma_cache_set_sqlite_error (error, db->db, rc, "Cannot count the breakdown");
  return FALSE;
}

static gboolean
count_range (LumaCacheDb   *db,
             const char    *sql,
             gint64         from,
             gint64         to,
             gint64        *out,
             GCancellable  *cancellable,
             GError       **error)
{
  sqlite3_stmt *stmt = _luma_cache_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || step_error (db, rc, cancellable, error);
}

/* ---- Sessions: one pass in C ----------------------------------------------------------------
 *
 * GROUP BY sorts the period's rows (1,000,000 for a full term) twice, once
 * for the small dimensions and once for the users. Instead the period is
 * read once and counted here: the small dimensions in arrays, the users in
 * an open-addressing table keyed by the two strings, which allocates only
 * for a new user. A period that holds most of the table is read in rowid
 * order (the time index would add a lookup per row), the previous period's
 * rows counted on the way; a short one through the time index. A large
 * read is split in two parts on two read connections and two threads. */

/* The users' table: small slots (a part of the hash and the group's index)
 * so that most of it stays in the CPU's cache, the groups beside it, and
 * each group's user name and email one after the other in @keys. */
typedef struct
{
  guint32 tag;     /* the hash's upper half */
  guint32 group;   /* index + 1 in the groups; 0: empty */
} UserSlot;

typedef struct
{
  gsize   key;     /* offset in the keys: the user name, then the email */
  guint32 user_name_len;
  guint32 email_len;
  gint64  count;
} UserGroup;

typedef struct
{
  gint64        total;
  gint64        previous_total;
  gint64        channels[LUMA_N_CHANNELS];
  gint64        roles[LUMA_N_ROLES];
  gint64        initiators[2];
  gint64        from;         /* rows before it are the previous period's */
  UserSlot     *slots;
  gsize         n_slots;      /* a power of two */
  UserGroup    *groups;
  gsize         n_groups;
  gsize         groups_size;
  GByteArray   *keys;
  GCancellable *cancellable;
  guint         rows;
} Tally;

static void
tally_init (Tally        *t,
            gint64        from,
            GCancellable *cancellable)
{
  memset (t, 0, sizeof *t);
  t->from = from;
  t->cancellable = cancellable;
  t->n_slots = 1024;
  t->slots = g_new0 (UserSlot, t->n_slots);
  t->groups_size = 256;
  t->groups = g_new (UserGroup, t->groups_size);
  t->keys = g_byte_array_sized_new (16 * 1024);
}

static void
tally_clear (Tally *t)
{
  g_clear_pointer (&t->slots, g_free);
  g_clear_pointer (&t->groups, g_free);
  g_clear_pointer (&t->keys, g_byte_array_unref);
}

static inline guint64
hash_mix (guint64 h,
          guint64 word)
{
  h ^= word;
  h *= G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  return h ^ (h >> 31);
}

/* Eight bytes at a time: the names are short and this runs once a row. */
static inline guint64
hash_bytes (guint64     h,
            const char *s,
            gsize       len)
{
  guint64 word;

  for (; len >= 8; s += 8, len -= 8)
    {
      memcpy (&word, s, 8);
      h = hash_mix (h, word);
    }
  word = 0;
  memcpy (&word, s, len);
  return hash_mix (h, word ^ ((guint64) len << 56));
}

static inline guint64
hash_user (const char *user_name,
           gsize       user_name_len,
           const char *email,
           gsize       email_len)
{
  return hash_bytes (hash_bytes (G_GUINT64_CONSTANT (0x6c756d61), user_name, user_name_len),
                     email, email_len);
}

static inline const char *
group_user_name (const Tally     *t,
                 const UserGroup *g)
{
  return (const char *) t->keys->data + g->key;
}

static inline const char *
group_email (const Tally     *t,
             const UserGroup *g)
{
  return (const char *) t->keys->data + g->key + g->user_name_len;
}

static void
tally_grow (Tally *t)
{
  UserSlot *old = t->slots;
  gsize old_slots = t->n_slots;
  gsize mask;

  t->n_slots *= 2;
  t->slots = g_new0 (UserSlot, t->n_slots);
  mask = t->n_slots - 1;
  for (gsize i = 0; i < old_slots; i++)
    {
      const UserGroup *g;
      gsize j;

      if (old[i].group == 0)
        continue;
      g = &t->groups[old[i].group - 1];
      j = hash_user (group_user_name (t, g), g->user_name_len, group_email (t, g), g->email_len) & mask;
      for (; t->slots[j].group != 0; j = (j + 1) & mask)
        ;
      t->slots[j] = old[i];
    }
  g_free (old);
}

static inline void
tally_add_user (Tally      *t,
                const char *user_name,
                gsize       user_name_len,
                const char *email,
                gsize       email_len,
                gint64      n)
{
  guint64 hash = hash_user (user_name, user_name_len, email, email_len);
  guint32 tag = hash >> 32;
  gsize mask = t->n_slots - 1;

  for (gsize i = hash & mask;; i = (i + 1) & mask)
    {
      UserSlot *slot = &t->slots[i];
      UserGroup *g;

      if (slot->group == 0)
        {
          if (t->n_groups == t->groups_size)
            {
              t->groups_size *= 2;
              t->groups = g_renew (UserGroup, t->groups, t->groups_size);
            }
          g = &t->groups[t->n_groups++];
          g->key = t->keys->len;
          g->user_name_len = user_name_len;
          g->email_len = email_len;
          g->count = n;
          g_byte_array_append (t->keys, (const guint8 *) user_name, user_name_len);
          g_byte_array_append (t->keys, (const guint8 *) email, email_len);
          slot->tag = tag;
          slot->group = t->n_groups;
          /* At most half full, so probes stay short. */
          if (t->n_groups * 2 > t->n_slots)
            tally_grow (t);
          return;
        }
      if (slot->tag != tag)
        continue;
      g = &t->groups[slot->group - 1];
      if (g->user_name_len == user_name_len && g->email_len == email_len &&
          memcmp (group_user_name (t, g), user_name, user_name_len) == 0 &&
          memcmp (group_email (t, g), email, email_len) == 0)
        {
          g->count += n;
          return;
        }
    }
}

static void
tally_merge (Tally       *into,
             const Tally *from)
{
  into->total += from->total;
  into->previous_total += from->previous_total;
  for (guint i = 0; i < LUMA_N_CHANNELS; i++)
    into->channels[i] += from->channels[i];
  for (guint i = 0; i < LUMA_N_ROLES; i++)
    into->roles[i] += from->roles[i];
  for (guint i = 0; i < 2; i++)
    into->initiators[i] += from->initiators[i];
  for (gsize i = 0; i < from->n_groups; i++)
    {
      const UserGroup *g = &from->groups[i];

      tally_add_user (into, group_user_name (from, g), g->user_name_len,
                      group_email (from, g), g->email_len, g->count);
    }
}

/* As SQLite's BINARY collation compares. */
static int
binary_compare (const char *a,
                gsize       a_len,
                const char *b,
                gsize       b_len)
{
  int c = memcmp (a, b, MIN (a_len, b_len));

  if (c != 0)
    return c;
  return a_len < b_len ? -1 : a_len > b_len;
}

/* The order of the top users: count descending, then user name and email
 * (BINARY), as the GROUP BY's ORDER BY gave them. */
static int
user_group_compare (const Tally     *t,
                    const UserGroup *x,
                    const UserGroup *y)
{
  int c;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  c = binary_compare (group_user_name (t, x), x->user_name_len, group_user_name (t, y), y->user_name_len);
  return c != 0 ? c : binary_compare (group_email (t, x), x->email_len, group_email (t, y), y->email_len);
}

static gint
user_group_ptr_compare (gconstpointer a,
                        gconstpointer b,
                        gpointer      t)
{
  return user_group_compare (t, *(const UserGroup * const *) a, *(const UserGroup * const *) b);
}

/* A heap with the last of the kept users at its root. */
static void
heap_sift_down (const Tally      *t,
                const UserGroup **heap,
                gsize             n,
                gsize             i)
{
  for (;;)
    {
      gsize last = i, l = 2 * i + 1, r = l + 1;
      const UserGroup *tmp;

      if (l < n && user_group_compare (t, heap[l], heap[last]) > 0)
        last = l;
      if (r < n && user_group_compare (t, heap[r], heap[last]) > 0)
        last = r;
      if (last == i)
        return;
      tmp = heap[i];
      heap[i] = heap[last];
      heap[last] = tmp;
      i = last;
    }
}

/* The first @n_top users in order, kept in a heap of @n_top: the users of
 * a long period may be many. */
static GPtrArray *
tally_top_users (const Tally *t,
                 guint        n_top)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_breakdown_item_free);
  gsize k = MIN ((gsize) n_top, t->n_groups);
  g_autofree const UserGroup **heap = NULL;

  if (k == 0)
    return items;
  heap = g_new (const UserGroup *, k);
  for (gsize i = 0; i < k; i++)
    heap[i] = &t->groups[i];
  for (gsize j = k / 2; j-- > 0;)
    heap_sift_down (t, heap, k, j);
  for (gsize i = k; i < t->n_groups; i++)
    if (user_group_compare (t, &t->groups[i], heap[0]) < 0)
      {
        heap[0] = &t->groups[i];
        heap_sift_down (t, heap, k, 0);
      }
  g_qsort_with_data (heap, k, sizeof *heap, user_group_ptr_compare, (gpointer) t);
  for (gsize i = 0; i < k; i++)
    {
      LumaBreakdownItem *item = g_new0 (LumaBreakdownItem, 1);

      item->value = -1;
      item->user_name = g_strndup (group_user_name (t, heap[i]), heap[i]->user_name_len);
      item->email = g_strndup (group_email (t, heap[i]), heap[i]->email_len);
      item->count = heap[i]->count;
      g_ptr_array_add (items, item);
    }
  return items;
}

/* ---- The SQL function that counts ------------------------------------------------------------
 *
 * The rows are counted inside SQLite, by an aggregate function given the
 * tally as a pointer: a row returned to the caller and its columns read
 * one by one cost a third more. */

static const char tally_pointer_type[] = "luma-breakdown-tally";

static void
tally_step_func (sqlite3_context  *ctx,
                 int               argc,
                 sqlite3_value   **argv)
{
  Tally *t = sqlite3_value_pointer (argv[0], tally_pointer_type);
  gint64 channel, role, initiator;
  const char *user_name, *email;

  if (t == NULL)
    {
      sqlite3_result_error (ctx, "luma_breakdown_tally() without its tally", -1);
      return;
    }
  /* SQLite's progress handler stops the statement on cancel as well; this
   * also covers the time spent here. */
  if (++t->rows % 65536 == 0 && g_cancellable_is_cancelled (t->cancellable))
    {
      sqlite3_result_error_code (ctx, SQLITE_INTERRUPT);
      return;
    }
  if (sqlite3_value_int64 (argv[1]) < t->from)
    {
      t->previous_total++;
      return;
    }
  t->total++;
  channel = sqlite3_value_int64 (argv[2]);
  role = sqlite3_value_int64 (argv[3]);
  initiator = sqlite3_value_int64 (argv[4]);
  if (channel >= 0 && channel < LUMA_N_CHANNELS)
    t->channels[channel]++;
  if (role >= 0 && role < LUMA_N_ROLES)
    t->roles[role]++;
  if (initiator >= 0 && initiator < 2)
    t->initiators[initiator]++;
  /* Both columns are NOT NULL. */
  user_name = (const char *) sqlite3_value_text (argv[5]);
  email = (const char *) sqlite3_value_text (argv[6]);
  tally_add_user (t, user_name != NULL ? user_name : "", sqlite3_value_bytes (argv[5]),
                  email != NULL ? email : "", sqlite3_value_bytes (argv[6]), 1);
}

static void
tally_final_func (sqlite3_context *ctx)
{
  sqlite3_result_null (ctx);
}

void
_luma_cache_breakdown_register (sqlite3 *handle)
{
  sqlite3_create_function (handle, "luma_breakdown_tally", 7, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                           NULL, NULL, tally_step_func, tally_final_func);
}

/* Rows with a rowid in [?3, ?4] and a time in [?1, ?2): ?1 is the previous
 * period's start, the rows before the period are counted as its. The unary
 * + keeps the time index out. */
static const char session_scan_sql[] =
  "SELECT luma_breakdown_tally(?5, started_on, channel, role, initiated_by, user_name, email)"
  " FROM sessions WHERE id BETWEEN ?3 AND ?4 AND +started_on >= ?1 AND +started_on < ?2";
/* Rows in [?1, ?2) through the time index (?3 and ?4 unused). */
static const char session_range_sql[] =
  "SELECT luma_breakdown_tally(?5, started_on, channel, role, initiated_by, user_name, email)"
  " FROM sessions WHERE started_on >= ?1 AND started_on < ?2";
/* Each a lookup in an index or the rowid tree, not a scan. */
static const char session_bounds_sql[] =
  "SELECT (SELECT min(id) FROM sessions), (SELECT max(id) FROM sessions)";
static const char session_time_bounds_sql[] =
  "SELECT (SELECT min(started_on) FROM sessions), (SELECT max(started_on) FROM sessions)";

/* A read through the time index costs a rowid lookup per row: at 1M rows
 * written in time order (as syncs write them), about as much as a read in
 * rowid order for the full term and 1.7x less for 27 % of the rows
 * (docs/performance.md); under half the rows, the index is the cheaper. */
#define INDEX_ROW_COST 2
/* Below this many rows, a second thread costs more than it saves. */
#define SPLIT_MIN_ROWS 50000

static LumaCacheBreakdownPlan forced_plan = LUMA_CACHE_BREAKDOWN_AUTO;
static guint forced_parts = 0;

void
luma_cache_set_breakdown_plan (LumaCacheBreakdownPlan plan,
                               guint                  n_parts)
{
  forced_plan = plan;
  forced_parts = MIN (n_parts, 2);
}

typedef struct
{
  LumaCacheDb   *db;
  const char    *sql;
  gint64         params[4];
  Tally          tally;
  gboolean       ok;
  GError        *error;
} ScanPart;

static gpointer
scan_part (gpointer data)
{
  ScanPart *p = data;
  sqlite3_stmt *stmt = _luma_cache_db_prepare (p->db, p->sql, &p->error);
  int rc;

  if (stmt == NULL)
    return NULL;
  for (int i = 0; i < 4; i++)
    sqlite3_bind_int64 (stmt, i + 1, p->params[i]);
  sqlite3_bind_pointer (stmt, 5, &p->tally, tally_pointer_type, NULL);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  /* The pointer goes with this read. */
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_ROW)
    step_error (p->db, rc, p->tally.cancellable, &p->error);
  else
    p->ok = TRUE;
  return NULL;
}

static gboolean
query_pair (LumaCacheDb   *db,
            const char    *sql,
            gint64        *a,
            gint64        *b,
            GCancellable  *cancellable,
            GError       **error)
{
  sqlite3_stmt *stmt = _luma_cache_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *a = sqlite3_column_int64 (stmt, 0);
      *b = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || step_error (db, rc, cancellable, error);
}

static gboolean
read_session_breakdown (LumaCache      *self,
                        LumaCacheDb    *db,
                        LumaBreakdown  *b,
                        guint           n_top,
                        GCancellable   *cancellable,
                        GError        **error)
{
  gboolean indexed = g_atomic_int_get (&self->indexes_ready[LUMA_LICENSE_TYPE_SESSION]);
  gboolean use_index = FALSE;
  gint64 min_id = 0, max_id = 0, n_rows;
  gint64 lo = b->from, hi = b->to;    /* the part of the period that holds rows */
  double share = 1.0;                 /* the period's share of the rows */
  guint n_parts;
  ScanPart parts[2] = { { 0 } };
  GThread *thread = NULL;
  gboolean ok = TRUE;

  if (!query_pair (db, session_bounds_sql, &min_id, &max_id, cancellable, error))
    return FALSE;
  /* About: rowids are given in order and seldom freed. */
  n_rows = max_id >= min_id ? max_id - min_id + 1 : 0;

  /* The share from the time the rows span, as if evenly spread (only with
   * the time index: without it min() would read every row). */
  if (indexed && n_rows > 0)
    {
      gint64 first = 0, last = 0;

      if (!query_pair (db, session_time_bounds_sql, &first, &last, cancellable, error))
        return FALSE;
      lo = MAX (b->from, first);
      hi = MIN (b->to, last + 1);
      share = hi > lo ? (double) (hi - lo) / (double) (last + 1 - first) : 0.0;
      use_index = share * INDEX_ROW_COST < 1.0;
    }
  if (forced_plan != LUMA_CACHE_BREAKDOWN_AUTO)
    use_index = forced_plan == LUMA_CACHE_BREAKDOWN_TIME_INDEX;
  if (forced_parts != 0)
    n_parts = forced_parts;
  else
    n_parts = (use_index ? share : 1.0) * n_rows >= SPLIT_MIN_ROWS ? 2 : 1;
  if (hi <= lo)
    {
      lo = b->from;
      hi = b->to;
    }

  for (guint i = 0; i < n_parts; i++)
    {
      ScanPart *p = &parts[i];

      tally_init (&p->tally, b->from, cancellable);
      p->sql = use_index ? session_range_sql : session_scan_sql;
      if (use_index)
        {
          /* Halves of the time that holds rows; the first and the last
           * part reach the period's ends. */
          gint64 mid = lo + (hi - lo) / 2;

          p->params[0] = i == 0 ? b->from : mid;
          p->params[1] = i + 1 == n_parts ? b->to : mid;
        }
      else
        {
          /* Halves of the rowids; the first and the last part are open, so
           * rows written meanwhile are counted at most once. */
          gint64 mid = min_id + n_rows / 2;

          p->params[0] = b->previous_from;
          p->params[1] = b->to;
          p->params[2] = i == 0 ? G_MININT64 : mid;
          p->params[3] = i + 1 == n_parts ? G_MAXINT64 : mid - 1;
        }
    }

  parts[0].db = db;
  if (n_parts == 2)
    {
      parts[1].db = _luma_cache_pool_acquire (self, cancellable, error);
      if (parts[1].db == NULL)
        ok = FALSE;
      else
        thread = g_thread_try_new ("luma-breakdown", scan_part, &parts[1], NULL);
    }
  if (ok)
    {
      scan_part (&parts[0]);
      if (thread != NULL)
        g_thread_join (thread);
      else if (n_parts == 2)
        scan_part (&parts[1]);
      _luma_cache_pool_release (self, parts[1].db);

      for (guint i = 0; i < n_parts && ok; i++)
        if (!parts[i].ok)
          {
            g_propagate_error (error, g_steal_pointer (&parts[i].error));
            ok = FALSE;
          }
    }

  if (ok && n_parts == 2)
    tally_merge (&parts[0].tally, &parts[1].tally);
  if (ok && use_index &&
      !count_range (db, session_count_sql, b->previous_from, b->from,
                    &parts[0].tally.previous_total, cancellable, error))
    ok = FALSE;
  if (ok)
    {
      const Tally *t = &parts[0].tally;

      b->total = t->total;
      b->previous_total = t->previous_total;
      b->channels = items_from_counts (t->channels, LUMA_N_CHANNELS);
      b->roles = items_from_counts (t->roles, LUMA_N_ROLES);
      b->initiators = items_from_counts (t->initiators, 2);
      b->top_users = tally_top_users (t, n_top);
    }
  for (guint i = 0; i < n_parts; i++)
    {
      tally_clear (&parts[i].tally);
      g_clear_error (&parts[i].error);
    }
  return ok;
}

/* ---- User-based: the active users' licenses ------------------------------------------------
 *
 * At most a few hundred thousand rows, answered from their indexes. */

static gboolean
read_user_breakdown (LumaCacheDb    *db,
                     LumaBreakdown  *b,
                     guint           n_top,
                     GCancellable   *cancellable,
                     GError        **error)
{
  gint64 roles[LUMA_N_ROLES] = { 0 };
  sqlite3_stmt *stmt;
  int rc;

  stmt = _luma_cache_db_prepare (db, user_groups_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, b->from);
  sqlite3_bind_int64 (stmt, 2, b->to);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 role = sqlite3_column_int64 (stmt, 1);
      gint64 n = sqlite3_column_int64 (stmt, 3);

      b->total += n;
      if (role >= 0 && role < LUMA_N_ROLES)
        roles[role] += n;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return step_error (db, rc, cancellable, error);

  b->channels = items_from_counts (NULL, 0);
  b->roles = items_from_counts (roles, LUMA_N_ROLES);
  b->initiators = items_from_counts (NULL, 0);

  if (!count_range (db, user_count_sql, b->previous_from, b->from, &b->previous_total,
                    cancellable, error))
    return FALSE;

  b->top_users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_breakdown_item_free);
  if (n_top == 0)
    return TRUE;
  stmt = _luma_cache_db_prepare (db, user_top_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, b->from);
  sqlite3_bind_int64 (stmt, 2, b->to);
  sqlite3_bind_int64 (stmt, 3, n_top);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaBreakdownItem *item = g_new0 (LumaBreakdownItem, 1);

      item->value = -1;
      item->user_name = g_strdup (_luma_cache_column_text (stmt, 0));
      item->email = g_strdup (_luma_cache_column_text (stmt, 1));
      item->count = sqlite3_column_int64 (stmt, 2);
      item->user_id = g_strdup (_luma_cache_column_text (stmt, 3));
      g_ptr_array_add (b->top_users, item);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return step_error (db, rc, cancellable, error);
  return TRUE;
}

LumaBreakdown *
luma_cache_get_breakdown (LumaCache        *self,
                          LumaLicenseType   license_type,
                          gint64            from,
                          gint64            to,
                          gint64            previous_from,
                          guint             n_top,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr(LumaBreakdown) b = NULL;
  LumaCacheDb *db;
  gboolean ok;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);

  if (!_luma_cache_check_license_type (license_type, error))
    return NULL;
  if (to <= from || previous_from > from)
    {
      g_set_error (error, LUMA_CACHE_ERROR, LUMA_CACHE_ERROR_INVALID,
                   "Invalid breakdown period (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   ", previous from %" G_GINT64_FORMAT ")", from, to, previous_from);
      return NULL;
    }

  b = g_new0 (LumaBreakdown, 1);
  b->license_type = license_type;
  b->from = from;
  b->to = to;
  b->previous_from = previous_from;

  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    ok = FALSE;
  else if (license_type == LUMA_LICENSE_TYPE_SESSION)
    ok = read_session_breakdown (self, db, b, n_top, cancellable, error);
  else
    ok = read_user_breakdown (db, b, n_top, cancellable, error);
  _luma_cache_pool_release (self, db);
  return ok ? g_steal_pointer (&b) : NULL;
}

typedef struct
{
  LumaLicenseType license_type;
  gint64          from;
  gint64          to;
  gint64          previous_from;
  guint           n_top;
} BreakdownArgs;

static void
breakdown_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  BreakdownArgs *args = task_data;
  GError *error = NULL;
  LumaBreakdown *b = luma_cache_get_breakdown (source, args->license_type, args->from, args->to,
                                               args->previous_from, args->n_top, cancellable,
                                               &error);

  if (b == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, b, (GDestroyNotify) luma_breakdown_free);
}

void
luma_cache_get_breakdown_async (LumaCache           *self,
                                LumaLicenseType      license_type,
                                gint64               from,
                                gint64               to,
                                gint64               previous_from,
                                guint                n_top,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  BreakdownArgs *args;

  g_return_if_fail (LUMA_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_get_breakdown_async);
  args = g_new0 (BreakdownArgs, 1);
  args->license_type = license_type;
  args->from = from;
  args->to = to;
  args->previous_from = previous_from;
  args->n_top = n_top;
  g_task_set_task_data (task, args, g_free);
  g_task_run_in_thread (task, breakdown_thread);
}

LumaBreakdown *
luma_cache_get_breakdown_finish (LumaCache     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Idle licenses -------------------------------------------------------------------------- */

/* A user's last conversation is the date the feed gave (lastConversationOn,
 * stored by the sync). Only when the server did not give one (an older
 * server, or a row stored before the cache knew the column) does it fall
 * back to the stored transcripts, and then only to a complete set: when the
 * record's count grew since, the newer ones (and their dates) are not in
 * the cache, so the user is not known to be idle. The CASE evaluates the
 * fallback's subqueries for those users alone. */
static const char idle_sql[] =
  "SELECT user_id, user_name, email, role, created_on, conversations, last FROM ("
  "  SELECT u.user_id, u.user_name, u.email, u.role, u.created_on, u.conversations,"
  "    CASE WHEN u.conversations = 0 THEN NULL"
  "         WHEN u.last_conversation_on IS NOT NULL THEN u.last_conversation_on"
  "         WHEN (SELECT s.n_conversations FROM conversation_sets AS s"
  "               WHERE s.record_kind = 1 AND s.record_id = u.user_id) = u.conversations"
  "         THEN (SELECT max(c.started_on) FROM conversations AS c"
  "               WHERE c.record_kind = 1 AND c.record_id = u.user_id)"
  "    END AS last"
  "  FROM users AS u WHERE u.status = 0 AND u.created_on < ?1)"
  " WHERE conversations = 0 OR last < ?1"
  " ORDER BY CASE WHEN conversations = 0 THEN 0 ELSE last END,"
  "   user_name COLLATE BINARY, user_id";

GPtrArray *
luma_cache_list_idle_users (LumaCache     *self,
                            gint64         cutoff,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GPtrArray) users = NULL;
  sqlite3_stmt *stmt;
  LumaCacheDb *db;
  int rc;

  g_return_val_if_fail (LUMA_IS_CACHE (self), NULL);

  db = _luma_cache_pool_acquire (self, cancellable, error);
  if (db == NULL)
    return NULL;
  stmt = _luma_cache_db_prepare (db, idle_sql, error);
  if (stmt == NULL)
    {
      _luma_cache_pool_release (self, db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, cutoff);

  users = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_idle_user_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LumaIdleUser *u = g_new0 (LumaIdleUser, 1);

      u->user_id = g_strdup (_luma_cache_column_text (stmt, 0));
      u->user_name = g_strdup (_luma_cache_column_text (stmt, 1));
      u->email = g_strdup (_luma_cache_column_text (stmt, 2));
      u->role = sqlite3_column_int (stmt, 3);
      u->created_on = sqlite3_column_int64 (stmt, 4);
      u->conversations = sqlite3_column_int64 (stmt, 5);
      u->last_conversation = u->conversations > 0 ? sqlite3_column_int64 (stmt, 6) : 0;
      g_ptr_array_add (users, u);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      step_error (db, rc, cancellable, error);
      g_clear_pointer (&users, g_ptr_array_unref);
    }
  _luma_cache_pool_release (self, db);
  return g_steal_pointer (&users);
}

static void
idle_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *users = luma_cache_list_idle_users (source, *(gint64 *) task_data, cancellable, &error);

  if (users == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, users, (GDestroyNotify) g_ptr_array_unref);
}

void
luma_cache_list_idle_users_async (LumaCache           *self,
                                  gint64               cutoff,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LUMA_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_cache_list_idle_users_async);
  g_task_set_task_data (task, g_memdup2 (&cutoff, sizeof cutoff), g_free);
  g_task_run_in_thread (task, idle_thread);
}

GPtrArray *
luma_cache_list_idle_users_finish (LumaCache     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
