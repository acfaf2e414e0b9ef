/* bench-csv.c: the License Consumption Report against the sqlite3 shell
 *
 * Fills a cache with N session records (1,000,000 by default), then exports
 * them in the history's default order, alternately with
 * luma_csv_export_to_path() and with `sqlite3 -csv -header` selecting the same
 * columns in the same order from the same file, and prints both times and
 * their ratio (ours / sqlite3; the goal is 0.5 or less), in wall-clock time
 * and in CPU time (user + system; steadier on a shared machine). Both write
 * ISO 8601 times (the shell with strftime()); our export also does what the
 * shell does not: labels for enumerations, quoting and the formula guard, and
 * fsync() and rename() of a temporary file.
 *
 *   bench-csv [--records N] [--runs R] [--cache FILE] [--keep] [--sqlite3 PROGRAM]
 *
 * --cache reuses FILE when it already holds N session records (and keeps it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "luma-cache-private.h"
#include "luma-csv.h"

static const char * const names[] = {
  "zoe.muller", "Zoë Müller", "José Ñúñez", "Łukasz Żółć", "Søren Ærø", "李 伟",
  "O'Neil, Ana", "\"Bud\" Smith", "=HYPERLINK(\"http://x\",\"y\")", "+1 555", "-Dash", "@handle",
  "ana.oneil", "john.smith", "maria.garcia", "wei.li", "ahmed.khan", "emma.brown",
};

static void
fill_cache (LumaCache *cache,
            guint      n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  gint64 t = 1767225600; /* 2026-01-01T00:00:00Z */
  guint i = 0;

  if (!luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error))
    g_error ("%s", error->message);

  while (i < n)
    {
      GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
      g_autofree char *cursor = NULL;
      guint end = MIN (n, i + 50000);

      for (; i < end; i++)
        {
          LumaSessionRecord *r = luma_session_record_new ();
          const char *name = names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))];

          t += g_rand_int_range (rand, 0, 60);
          r->session_id = g_strdup_printf ("S-%09u", i);
          r->started_on = t;
          r->initiated_by = g_rand_int_range (rand, 0, 2);
          r->user_name = g_strdup (name);
          r->email = g_rand_int_range (rand, 0, 10) == 0 ? g_strdup ("")
                                                         : g_strdup_printf ("user%u@acme.example", i % 5000);
          r->role = g_rand_int_range (rand, 0, LUMA_N_ROLES);
          r->agent_name = g_rand_boolean (rand) ? NULL : g_strdup ("Ana O'Neil");
          r->channel = g_rand_int_range (rand, 0, LUMA_N_CHANNELS);
          r->conversations = g_rand_int_range (rand, 0, 7);
          g_ptr_array_add (batch, r);
        }

      luma_cache_upsert_sessions (cache, batch);
      g_ptr_array_unref (batch);
      cursor = g_strdup_printf ("bench-%u", i);
      if (!luma_cache_commit_batch (cache, cursor, NULL, &error))
        g_error ("%s", error->message);
    }

  if (!luma_cache_build_indexes (cache, NULL, &error))
    g_error ("%s", error->message);
}

typedef struct
{
  double wall;
  double cpu;
} Timing;

static double
cpu_seconds (int who)
{
  struct rusage ru;

  getrusage (who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static Timing
run_ours (LumaCache  *cache,
          const char *out)
{
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) query = { 0, };
  guint64 rows = 0;
  gint64 start;
  double cpu_start;
  Timing t;

  luma_history_query_init (&query, LUMA_LICENSE_TYPE_SESSION);
  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds (RUSAGE_SELF);
  if (!luma_csv_export_to_path (cache, &query, out, LUMA_CSV_FLAGS_NONE, NULL, NULL, &rows, NULL,
                                &error))
    g_error ("%s", error->message);
  t.wall = (g_get_monotonic_time () - start) / 1e6;
  t.cpu = cpu_seconds (RUSAGE_SELF) - cpu_start;

  return t;
}

static Timing
run_sqlite3 (const char *program,
             const char *cache_path,
             const char *out)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  double cpu_start;
  Timing t;

  /* The same rows and columns in the same order as the report (the history's
   * default sort: newest first, ties by row id), with its ISO 8601 UTC times. */
  const char *sql =
    "SELECT session_id, strftime('%Y-%m-%dT%H:%M:%SZ', started_on, 'unixepoch'),"
    " initiated_by, user_name, email, role, agent_name, channel,"
    " conversations FROM sessions ORDER BY started_on DESC, id DESC";

  g_subprocess_launcher_set_stdout_file_path (launcher, out);
  start = g_get_monotonic_time ();
  /* Children's usage is counted once they are reaped, whichever thread reaps them. */
  cpu_start = cpu_seconds (RUSAGE_CHILDREN);
  proc = g_subprocess_launcher_spawn (launcher, &error, program, "-csv", "-header", "-readonly",
                                      cache_path, sql, NULL);
  if (proc == NULL)
    g_error ("%s", error->message);
  if (!g_subprocess_wait_check (proc, NULL, &error))
    g_error ("%s", error->message);
  t.wall = (g_get_monotonic_time () - start) / 1e6;
  t.cpu = cpu_seconds (RUSAGE_CHILDREN) - cpu_start;

  return t;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (goffset) st.st_size : -1;
}

int
main (int   argc,
      char *argv[])
{
  int records = 1000000;
  int runs = 3;
  char *cache_path = NULL;
  char *sqlite3_program = NULL;
  gboolean keep = FALSE;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Session records (default 1000000)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs of each (default 3)", "R" },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &cache_path, "Cache file to create or reuse", "FILE" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the output files", NULL },
    { "sqlite3", 0, 0, G_OPTION_ARG_FILENAME, &sqlite3_program, "The sqlite3 shell", "PROGRAM" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- CSV export benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *ours_path = NULL;
  g_autofree char *sqlite_path = NULL;
  g_autoptr(GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) theirs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ours_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) theirs_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  gboolean own_cache;
  double ours_median, theirs_median, ours_cpu_median, theirs_cpu_median;
  gint64 start;
  int i;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (records < 1 || runs < 1)
    {
      g_printerr ("--records and --runs must be at least 1\n");
      return 2;
    }
  own_cache = cache_path == NULL;
  if (sqlite3_program == NULL)
    sqlite3_program = g_strdup ("sqlite3");

  dir = g_dir_make_tmp ("bench-csv-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  if (own_cache)
    cache_path = g_build_filename (dir, "cache.sqlite", NULL);
  ours_path = g_build_filename (dir, "ours.csv", NULL);
  sqlite_path = g_build_filename (dir, "sqlite3.csv", NULL);

  cache = luma_cache_open_path (cache_path, NULL, &error);
  if (cache == NULL)
    g_error ("%s", error->message);

  if (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_SESSION, NULL) != records)
    {
      start = g_get_monotonic_time ();
      fill_cache (cache, records);
      g_print ("filled the cache with %d session records in %.1f s\n", records,
               (g_get_monotonic_time () - start) / 1e6);
    }

  /* One untimed run of each warms the page cache for both alike. */
  run_ours (cache, ours_path);
  run_sqlite3 (sqlite3_program, cache_path, sqlite_path);

  for (i = 0; i < runs; i++)
    {
      Timing a = run_ours (cache, ours_path);
      Timing b = run_sqlite3 (sqlite3_program, cache_path, sqlite_path);

      g_array_append_val (ours, a.wall);
      g_array_append_val (theirs, b.wall);
      g_array_append_val (ours_cpu, a.cpu);
      g_array_append_val (theirs_cpu, b.cpu);
      g_print ("run %d: luma-csv %.3f s (cpu %.3f s), sqlite3 -csv %.3f s (cpu %.3f s)\n",
               i + 1, a.wall, a.cpu, b.wall, b.cpu);
    }

  g_array_sort (ours, compare_doubles);
  g_array_sort (theirs, compare_doubles);
  g_array_sort (ours_cpu, compare_doubles);
  g_array_sort (theirs_cpu, compare_doubles);
  ours_median = g_array_index (ours, double, runs / 2);
  theirs_median = g_array_index (theirs, double, runs / 2);
  ours_cpu_median = g_array_index (ours_cpu, double, runs / 2);
  theirs_cpu_median = g_array_index (theirs_cpu, double, runs / 2);

  g_print ("records: %d\n", records);
  g_print ("luma-csv:     median %.3f s, best %.3f s, cpu median %.3f s, %" G_GOFFSET_FORMAT " bytes\n",
           ours_median, g_array_index (ours, double, 0), ours_cpu_median, file_size (ours_path));
  g_print ("sqlite3 -csv: median %.3f s, best %.3f s, cpu median %.3f s, %" G_GOFFSET_FORMAT " bytes\n",
           theirs_median, g_array_index (theirs, double, 0), theirs_cpu_median,
           file_size (sqlite_path));
  g_print ("ratio (luma-csv / sqlite3, medians): wall %.2f, cpu %.2f\n",
           ours_median / theirs_median, ours_cpu_median / theirs_cpu_median);

  g_print ("goal (ratio <= 0.50): %s\n", ours_median <= 0.5 * theirs_median ? "met" : "missed");

  luma_cache_close (cache);
  if (keep)
    {
      g_print ("output files in %s\n", dir);
    }
  else
    {
      g_unlink (ours_path);
      g_unlink (sqlite_path);
      if (own_cache)
        {
          g_autofree char *wal = g_strconcat (cache_path, "-wal", NULL);
          g_autofree char *shm = g_strconcat (cache_path, "-shm", NULL);

          g_unlink (cache_path);
          g_unlink (wal);
          g_unlink (shm);
        }
      g_rmdir (dir);
    }

  g_free (cache_path);
  g_free (sqlite3_program);
  return 0;
}
