/* bench-cache.c: how fast the cache writes and queries a large history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-cache [--records N] [--pages-per-commit N] [--path FILE]
 *
 * Prints one line per measurement. Not a test: nothing fails on timing.
 */

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <glib/gstdio.h>

#include "luma-cache-private.h"

static const char *const first_names[] = {
  "Zoë", "José", "Łukasz", "Søren", "李", "Ana", "Bud", "Chen", "Dana", "Eve", "Farid", "Gita",
  "Hugo", "Ines", "Jon", "Kai", "Lena", "Mo", "Nia", "Otto",
};
static const char *const last_names[] = {
  "Müller", "Ñúñez", "Żółć", "Ærø", "伟", "O'Neil", "\"Bud\" Smith", "Smith, Jr.", "Ng", "Park",
  "=HYPERLINK", "+1 555", "-Dash", "@handle", "Brown", "Garcia", "Ivanova", "Khan", "Lopez", "Meyer",
};

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* CPU time of every thread of the process: the wall clock says little on a
 * shared machine. */
static double
cpu_s (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static long
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

static LumaConsumptionPage *
make_page (guint start,
           guint n,
           guint total)
{
  LumaConsumptionPage *page = g_new0 (LumaConsumptionPage, 1);
  guint32 x = start * 2654435761u + 1;

  page->license_type = LUMA_LICENSE_TYPE_SESSION;
  page->items = g_ptr_array_new_full (n, (GDestroyNotify) luma_session_record_free);
  page->next_cursor = g_strdup_printf ("cursor-%u", start + n);
  page->has_more = start + n < total;
  for (guint i = 0; i < n; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();
      guint k = start + i;
      const char *first, *last;

      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      first = first_names[x % G_N_ELEMENTS (first_names)];
      last = last_names[(x >> 8) % G_N_ELEMENTS (last_names)];
      r->session_id = g_strdup_printf ("S-%09u", k);
      r->started_on = 1767225600 + (gint64) k * 28; /* one year for 1M */
      r->initiated_by = (x >> 3) % 2;
      r->user_name = g_strdup_printf ("%s %s %u", first, last, (x >> 12) % 5000);
      r->email = (x % 11 == 0) ? g_strdup ("") : g_strdup_printf ("user%u@acme.example", (x >> 12) % 5000);
      r->role = (x >> 5) % LUMA_N_ROLES;
      r->agent_name = (x % 3 == 0) ? g_strdup_printf ("Agent %u", (x >> 20) % 40) : NULL;
      r->channel = (x >> 7) % LUMA_N_CHANNELS;
      r->conversations = (x >> 9) % 7;
      g_ptr_array_add (page->items, r);
    }
  return page;
}

static void
check (gboolean  ok,
       GError   *error)
{
  if (!ok)
    g_error ("%s", error != NULL ? error->message : "failed");
}

static double
thread_cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double last_cpu;

/* Wall time; the CPU time of the query (it runs in this thread) goes to
 * last_cpu. */
static double
time_query (LumaCache        *cache,
            LumaHistoryQuery *q,
            guint            *n_out)
{
  g_autoptr(GError) error = NULL;
  double t0 = now_s ();
  double c0 = thread_cpu_s ();
  g_autoptr(GArray) ids = luma_cache_query_ids (cache, q, NULL, &error);

  check (ids != NULL, error);
  *n_out = ids->len;
  last_cpu = thread_cpu_s () - c0;
  return now_s () - t0;
}

static gboolean
count_row_cb (LumaLicenseType  type,
              gconstpointer    record,
              gpointer         user_data)
{
  const LumaSessionRecord *r = record;
  guint64 *sum = user_data;

  *sum += strlen (r->user_name) + 1;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  gint records = 1000000;
  gint pages_per_commit = 20;
  g_autofree char *path = NULL;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Number of session records", "N" },
    { "pages-per-commit", 0, 0, G_OPTION_ARG_INT, &pages_per_commit, "Pages of 1,000 per commit", "N" },
    { "path", 0, 0, G_OPTION_ARG_FILENAME, &path, "Cache file (default: a temporary one)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark the cache");
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autofree char *tmpdir = NULL;
  double t0, c0, t_gen = 0, t_insert, t_index;
  guint n = 0;
  static const struct { LumaHistoryColumn column; const char *name; } columns[] = {
    { LUMA_HISTORY_COLUMN_TIME, "started_on" }, { LUMA_HISTORY_COLUMN_ID, "session_id" },
    { LUMA_HISTORY_COLUMN_USER_NAME, "user_name" }, { LUMA_HISTORY_COLUMN_EMAIL, "email" },
    { LUMA_HISTORY_COLUMN_ROLE, "role" }, { LUMA_HISTORY_COLUMN_CONVERSATIONS, "conversations" },
    { LUMA_HISTORY_COLUMN_INITIATED_BY, "initiated_by" }, { LUMA_HISTORY_COLUMN_AGENT_NAME, "agent_name" },
    { LUMA_HISTORY_COLUMN_CHANNEL, "channel" },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (path == NULL)
    {
      tmpdir = g_dir_make_tmp ("bench-cache-XXXXXX", &error);
      check (tmpdir != NULL, error);
      path = g_build_filename (tmpdir, "cache.sqlite", NULL);
    }

  cache = luma_cache_open_path (path, NULL, &error);
  check (cache != NULL, error);
  g_print ("records: %d, pages of 1000, %d pages per commit\n",
           records, pages_per_commit);

  /* Full sync: no secondary index, rows and cursors in batched commits. */
  t0 = now_s ();
  c0 = cpu_s ();
  check (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error), error);
  for (gint start = 0, page_no = 0; start < records; start += 1000, page_no++)
    {
      double g0 = now_s ();
      LumaConsumptionPage *page = make_page (start, MIN (1000, records - start), records);

      t_gen += now_s () - g0;
      luma_cache_upsert_sessions (cache, page->items);
      if ((page_no + 1) % pages_per_commit == 0 || start + 1000 >= records)
        check (luma_cache_commit_batch (cache, page->next_cursor, NULL, &error), error);
      luma_consumption_page_free (page);
    }
  t_insert = now_s () - t0;
  g_print ("full sync insert: %.2f s CPU (including generating), peak RSS so far %ld MiB\n",
           cpu_s () - c0, peak_rss_kib () / 1024);
  g_print ("full sync insert: %.2f s total (%.2f s generating records, %.2f s in the cache), %.0f records/s in the cache\n",
           t_insert, t_gen, t_insert - t_gen, records / (t_insert - t_gen));

  {
    g_auto(LumaHistoryQuery) q;
    double t;

    luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
    t = time_query (cache, &q, &n);
    g_print ("newest first before indexes: %.3f s, %.3f s CPU (%u ids)\n", t, last_cpu, n);
  }

  t0 = now_s ();
  c0 = cpu_s ();
  check (luma_cache_build_indexes (cache, NULL, &error), error);
  t_index = now_s () - t0;
  g_print ("build indexes + search index: %.2f s (%.2f s CPU)\n", t_index, cpu_s () - c0);
  g_print ("browsable newest first after %.2f s, fully indexed after %.2f s (cache work only: %.2f s)\n",
           t_insert, t_insert + t_index, t_insert - t_gen + t_index);

  /* Reopen: includes the integrity check. */
  g_clear_object (&cache);
  t0 = now_s ();
  cache = luma_cache_open_path (path, NULL, &error);
  check (cache != NULL, error);
  g_print ("reopen after a clean close: %.3f s\n", now_s () - t0);
  {
    g_autofree char *marker = g_strconcat (path, ".open", NULL);

    g_clear_object (&cache);
    g_file_set_contents (marker, "", 0, NULL); /* as if the last run crashed */
    t0 = now_s ();
    cache = luma_cache_open_path (path, NULL, &error);
    check (cache != NULL, error);
    g_print ("reopen after a crash (full integrity check): %.3f s\n", now_s () - t0);
  }

  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    for (guint d = 0; d < 2; d++)
      {
        g_auto(LumaHistoryQuery) q;
        double t;

        luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
        q.sort_column = columns[c].column;
        q.descending = d;
        t = time_query (cache, &q, &n);
        g_print ("query_ids sort %-13s %-4s: %.3f s, %.3f s CPU (%u ids)\n", columns[c].name, d ? "desc" : "asc", t, last_cpu, n);
      }

  {
    g_auto(LumaHistoryQuery) q;
    double t;

    luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
    q.from = 1767225600 + 28 * (gint64) records / 4;
    q.to = 1767225600 + 28 * (gint64) records / 2;
    t = time_query (cache, &q, &n);
    g_print ("date range (a quarter), newest first: %.3f s, %.3f s CPU (%u ids)\n", t, last_cpu, n);
    q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
    t = time_query (cache, &q, &n);
    g_print ("date range (a quarter), by user name: %.3f s, %.3f s CPU (%u ids)\n", t, last_cpu, n);
    q.from = q.to = 0;
    q.channels = LUMA_HISTORY_CHANNEL_BIT (LUMA_CHANNEL_SLACK);
    t = time_query (cache, &q, &n);
    g_print ("channel filter, by user name: %.3f s, %.3f s CPU (%u ids)\n", t, last_cpu, n);
    q.channels = 0;
    q.sort_column = LUMA_HISTORY_COLUMN_TIME;

    q.search = g_strdup ("müller 12");
    t = time_query (cache, &q, &n);
    g_print ("search \"%s\" (trigram), newest first: %.3f s, %.3f s CPU (%u ids)\n", q.search, t, last_cpu, n);
    g_free (q.search);
    q.search = g_strdup ("user4242@");
    t = time_query (cache, &q, &n);
    g_print ("search \"%s\" (trigram), newest first: %.3f s, %.3f s CPU (%u ids)\n", q.search, t, last_cpu, n);
    g_free (q.search);
    q.search = g_strdup ("agent");
    t = time_query (cache, &q, &n);
    g_print ("search \"%s\" (trigram, a third of the rows), newest first: %.3f s, %.3f s CPU (%u ids)\n", q.search, t, last_cpu, n);
    g_free (q.search);
    q.search = g_strdup ("ng");
    t = time_query (cache, &q, &n);
    g_print ("search \"%s\" (2 characters, LIKE), newest first: %.3f s, %.3f s CPU (%u ids)\n", q.search, t, last_cpu, n);
    g_free (q.search);
    q.search = g_strdup ("smith");
    q.sort_column = LUMA_HISTORY_COLUMN_EMAIL;
    t = time_query (cache, &q, &n);
    g_print ("search \"%s\" (trigram), by email: %.3f s, %.3f s CPU (%u ids)\n", q.search, t, last_cpu, n);
    g_clear_pointer (&q.search, g_free);
    q.sort_column = LUMA_HISTORY_COLUMN_TIME;

    t0 = now_s ();
    n = luma_cache_count_matching (cache, &q, NULL, &error);
    g_print ("count all: %.3f s (%u)\n", now_s () - t0, n);
  }

  /* A GListModel's get_item(): 200 rows by id. */
  {
    g_auto(LumaHistoryQuery) q;
    g_autoptr(GArray) ids = NULL;
    const guint runs = 200;
    double t;

    luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
    q.sort_column = LUMA_HISTORY_COLUMN_USER_NAME;
    ids = luma_cache_query_ids (cache, &q, NULL, &error);
    check (ids != NULL, error);
    t0 = now_s ();
    for (guint r = 0; r < runs; r++)
      {
        guint start = (r * 4999) % (ids->len - 200);
        g_autoptr(GPtrArray) rows = luma_cache_fetch_sessions_by_ids (cache, &g_array_index (ids, gint64, start), 200, &error);
        check (rows != NULL && rows->len == 200, error);
      }
    t = (now_s () - t0) / runs;
    g_print ("fetch 200 rows by id: %.3f ms\n", t * 1000);
  }

  /* The CSV report's walk. */
  {
    g_auto(LumaHistoryQuery) q;
    guint64 sum = 0;

    luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
    t0 = now_s ();
    check (luma_cache_foreach_history (cache, &q, count_row_cb, &sum, NULL, &error), error);
    g_print ("foreach_history over every row, newest first: %.2f s\n", now_s () - t0);
  }

  /* An incremental sync: 5,000 changed and new records with every index present. */
  {
    double t;

    t0 = now_s ();
    for (guint p = 0; p < 5; p++)
      {
        LumaConsumptionPage *page = make_page (records - 2500 + p * 1000, 1000, records);
        luma_cache_upsert_sessions (cache, page->items);
        luma_consumption_page_free (page);
      }
    check (luma_cache_commit_batch (cache, "incremental", NULL, &error), error);
    t = now_s () - t0;
    g_print ("incremental: 5,000 records (2,500 new) in one commit with indexes: %.3f s\n", t);
  }

  g_print ("peak RSS: %ld MiB\n", peak_rss_kib () / 1024);

  g_clear_object (&cache);
  if (tmpdir != NULL)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);
      g_unlink (path);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (tmpdir);
    }
  return 0;
}
