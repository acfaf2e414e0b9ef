/* bench-sync.c: how fast a full sync fills an empty cache, and what a sync with nothing new costs
 *
 *   bench-sync --url URL --tenant ID --cache FILE
 *
 * The API key comes from LUMA_API_KEY. FILE is removed first (and its -wal/-shm), so the sync is
 * a full one into an empty cache. Prints one "name: value" line per measurement:
 *
 *   records              records in the cache after the full sync
 *   full_sync_s          start to the last batch committed
 *   browsable_s          start to the first screen (50 rows) of the history newest first
 *   indexes_s            start to every sort index and the search index built (usable)
 *   indexing_done_s      start to the end of the background work (the WAL checkpoint after
 *                        the build included)
 *   records_per_s        records / full_sync_s
 *   client_cpu_sync_s    CPU time of this process (all threads) during the full sync
 *   requests             requests of the full sync
 *   client_cpu_indexes_s CPU time of this process from the end of the sync to the end of indexing
 *   peak_rss_sync_mb     the process's peak resident memory (VmHWM) during the full sync
 *   peak_rss_mb          the same at the end (the index build and the query included)
 *   noop_sync_ms         a second sync with nothing new
 *   noop_requests        its requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-sync.h"

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Peak resident set size in kB, from /proc/self/status. */
static gint64
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10) : -1;
}

/* CPU time (user + system) of this process so far, in seconds: with full_sync_s it tells
 * whether the client or the server bounds the sync. */
static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static double
seconds_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static void
fail (const char *what,
      GError     *error)
{
  g_printerr ("bench-sync: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *url = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *cache_path = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(LumaApiClient) client = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSync) sync = NULL;
  g_autoptr(LumaSyncSummary) full = NULL;
  g_autoptr(LumaSyncSummary) noop = NULL;
  g_autoptr(GAsyncResult) full_result = NULL;
  g_autoptr(GAsyncResult) noop_result = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_auto(LumaHistoryQuery) query = { 0 };
  g_autoptr(GError) error = NULL;
  const char *key = g_getenv ("LUMA_API_KEY");
  double full_s, browsable_s, indexes_s = -1, indexing_done_s;
  gint64 rss_sync_kb;
  double cpu_start, cpu_sync, cpu_indexes;
  gint64 start, noop_start, noop_us;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Base URL of the server", "URL" },
    { "tenant", 0, 0, G_OPTION_ARG_STRING, &tenant, "Tenant external id", "ID" },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &cache_path, "Cache file (removed first)", "FILE" },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    fail ("arguments", error);
  if (url == NULL || tenant == NULL || cache_path == NULL || key == NULL)
    {
      g_printerr ("bench-sync: --url, --tenant, --cache and LUMA_API_KEY are required\n");
      return 2;
    }

  for (const char *suffix = ""; suffix != NULL;
       suffix = g_str_equal (suffix, "") ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *path = g_strconcat (cache_path, suffix, NULL);

      g_unlink (path);
    }

  client = luma_api_client_new (url, &error);
  if (client == NULL)
    fail ("client", error);
  luma_api_client_set_tenant_credentials (client, tenant, key);

  cache = luma_cache_open_path (cache_path, NULL, &error);
  if (cache == NULL)
    fail ("cache", error);
  sync = luma_sync_new (client, cache);

  /* Full sync into the empty cache. */
  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  luma_sync_run_async (sync, NULL, store_result_cb, &full_result);
  full = luma_sync_run_finish (sync, wait_for (&full_result), &error);
  if (full == NULL)
    fail ("full sync", error);
  full_s = seconds_since (start);
  rss_sync_kb = peak_rss_kb ();
  cpu_sync = cpu_seconds () - cpu_start;

  /* What the history view does first: the row ids newest first, then one screen of rows. */
  luma_history_query_init (&query, LUMA_LICENSE_TYPE_SESSION);
  ids = luma_cache_query_ids (cache, &query, NULL, &error);
  if (ids == NULL)
    fail ("query newest first", error);
  rows = luma_cache_fetch_sessions_by_ids (cache, (const gint64 *) ids->data, MIN (ids->len, 50),
                                           &error);
  if (rows == NULL)
    fail ("fetch the first screen", error);
  browsable_s = seconds_since (start);

  while (luma_sync_get_indexing (sync))
    {
      g_main_context_iteration (NULL, TRUE);
      if (indexes_s < 0 && luma_cache_get_indexes_ready (cache))
        indexes_s = seconds_since (start);
    }
  if (!luma_cache_get_indexes_ready (cache))
    {
      g_printerr ("bench-sync: the indexes were not built\n");
      return 1;
    }
  indexing_done_s = seconds_since (start);
  cpu_indexes = cpu_seconds () - cpu_start - cpu_sync;
  if (indexes_s < 0)
    indexes_s = indexing_done_s;

  /* A sync with nothing new. */
  noop_start = g_get_monotonic_time ();
  luma_sync_run_async (sync, NULL, store_result_cb, &noop_result);
  noop = luma_sync_run_finish (sync, wait_for (&noop_result), &error);
  if (noop == NULL)
    fail ("sync with nothing new", error);
  noop_us = g_get_monotonic_time () - noop_start;

  printf ("records: %" G_GINT64_FORMAT "\n", full->total_records);
  printf ("full_sync_s: %.2f\n", full_s);
  printf ("browsable_s: %.2f\n", browsable_s);
  printf ("indexes_s: %.2f\n", indexes_s);
  printf ("indexing_done_s: %.2f\n", indexing_done_s);
  printf ("records_per_s: %.0f\n", full->total_records / full_s);
  printf ("client_cpu_sync_s: %.2f\n", cpu_sync);
  printf ("client_cpu_indexes_s: %.2f\n", cpu_indexes);
  printf ("requests: %u\n", full->requests);
  printf ("peak_rss_sync_mb: %.1f\n", rss_sync_kb / 1024.0);
  printf ("peak_rss_mb: %.1f\n", peak_rss_kb () / 1024.0);
  printf ("noop_sync_ms: %.1f\n", noop_us / 1000.0);
  printf ("noop_requests: %u\n", noop->requests);
  printf ("first_row_of_%u: %s\n", ids->len,
          rows->len > 0 ? ((LumaSessionRecord *) g_ptr_array_index (rows, 0))->session_id : "-");

  luma_cache_close (cache);
  return 0;
}
