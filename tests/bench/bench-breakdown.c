/* bench-breakdown.c: where the licenses go, idle licenses and the desktop's search at scale
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-breakdown [--records N] [--users N] [--runs N] [--all-plans]
 *
 * Writes a session-based tenant's cache with N session records over one
 * contract year and a user-based tenant's cache with N users, both in a
 * private cache folder and at the paths of two saved accounts, then times
 * the breakdown of the full term (goal <= 300 ms) and of the last 90 and
 * 30 days (with --all-plans also each way of reading the period, forced),
 * the idle-user list (goal <= 300 ms) and the search provider's answer,
 * run in-process over those caches as a GetInitialResultSet runs it
 * (goal <= 50 ms). Prints one line per measurement; nothing fails on
 * timing.
 */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include "luma-account.h"
#include "luma-breakdown.h"
#include "luma-cache-private.h"
#include "luma-cache-search.h"
#include "luma-search-provider-private.h"

#define SERVER "https://bench.example/gateway/api/v1"
#define DAY (24 * 3600)
/* 2026-01-01T00:00:00Z: the term is that year; "now" is 300 days in. */
#define TERM_START ((gint64) 1767225600)
#define TERM_END (TERM_START + 365 * (gint64) DAY - 1)
#define NOW (TERM_START + 300 * (gint64) DAY + 12 * 3600)

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1e3;
}

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The breakdown reads a long period on two threads: their CPU together. */
static double
process_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
check (gboolean  ok,
       GError   *error)
{
  if (!ok)
    g_error ("%s", error != NULL ? error->message : "failed");
}

static char *
load_average (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  parts = g_strsplit (text, " ", 4);
  return g_strv_length (parts) >= 3 ? g_strjoin (" ", parts[0], parts[1], parts[2], NULL) : g_strdup ("?");
}

/* The private cache folder: only the caches and their side files. */
static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_remove (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

static LumaSubscription *
make_subscription (const char      *id,
                   const char      *name,
                   LumaLicenseType  type,
                   gint64           total,
                   gint64           consumed)
{
  LumaSubscription *s = g_new0 (LumaSubscription, 1);
  const char *none[] = { NULL };

  s->external_id = g_strdup (id);
  s->tenant_name = g_strdup (name);
  s->license_type = type;
  s->start_date = TERM_START;
  s->end_date = TERM_END;
  s->session_duration_minutes = 30;
  s->total_purchase = total;
  s->consumed = consumed;
  s->available = MAX (total - consumed, 0);
  s->technical_emails = g_strdupv ((char **) none);
  s->billing_emails = g_strdupv ((char **) none);
  s->version = 1;
  return s;
}

/* Sessions spread evenly over the days up to NOW, mixed channels, roles
 * and some 5,000 users. Returns how many started before NOW. */
static gint64
write_sessions (LumaCache *cache,
                guint      n)
{
  g_autoptr(GError) error = NULL;
  gint64 step = MAX ((NOW - TERM_START) / (gint64) n, 1);
  guint32 x = 1;

  check (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error), error);
  for (guint start = 0, page_no = 0; start < n; start += 1000, page_no++)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
      g_autofree char *cursor = g_strdup_printf ("cursor-%u", start + 1000);

      for (guint k = start; k < MIN (start + 1000, n); k++)
        {
          LumaSessionRecord *r = luma_session_record_new ();

          x ^= x << 13; x ^= x >> 17; x ^= x << 5;
          r->session_id = g_strdup_printf ("S-%09u", k);
          r->started_on = TERM_START + (gint64) k * step;
          r->initiated_by = (x >> 3) % 2;
          r->user_name = g_strdup_printf ("user %u", (x >> 12) % 5000);
          r->email = g_strdup_printf ("user%u@acme.example", (x >> 12) % 5000);
          r->role = (x >> 5) % LUMA_N_ROLES;
          r->agent_name = (x % 3 == 0) ? g_strdup_printf ("Agent %u", (x >> 20) % 40) : NULL;
          r->channel = (x >> 7) % LUMA_N_CHANNELS;
          r->conversations = (x >> 9) % 7;
          g_ptr_array_add (items, r);
        }
      luma_cache_upsert_sessions (cache, items);
      if ((page_no + 1) % 20 == 0 || start + 1000 >= n)
        check (luma_cache_commit_batch (cache, cursor, NULL, &error), error);
    }
  return n;
}

/* Users allocated over the year before NOW; 90 % active, 60 % without a
 * conversation (idle), the others with conversations dated by the feed
 * over the last 120 days (about three in four of them idle at 30 days),
 * but one in ten of those not dated (an older server) and without stored
 * transcripts (the fallback's lookups, never listed). */
static void
write_users (LumaCache *cache,
             guint      n)
{
  g_autoptr(GError) error = NULL;
  guint32 x = 7;

  check (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_USER, &error), error);
  for (guint start = 0, page_no = 0; start < n; start += 1000, page_no++)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_user_record_free);
      g_autofree char *cursor = g_strdup_printf ("cursor-%u", start + 1000);

      for (guint k = start; k < MIN (start + 1000, n); k++)
        {
          LumaUserRecord *u = luma_user_record_new ();

          x ^= x << 13; x ^= x >> 17; x ^= x << 5;
          u->user_id = g_strdup_printf ("U-%08u", k);
          u->user_name = g_strdup_printf ("user %u", k);
          u->email = g_strdup_printf ("user%u@globex.example", k);
          u->first_name = g_strdup ("");
          u->last_name = g_strdup ("");
          u->role = (x >> 5) % LUMA_N_ROLES;
          u->status = x % 10 == 0 ? LUMA_USER_STATUS_INACTIVE : LUMA_USER_STATUS_ACTIVE;
          u->created_on = NOW - 365 * (gint64) DAY + (gint64) ((x >> 8) % (365 * DAY));
          u->conversations = (x >> 4) % 10 < 6 ? 0 : 1 + (x >> 16) % 5;
          u->last_conversation_known = u->conversations == 0 || (x >> 20) % 10 != 0;
          if (u->conversations > 0 && u->last_conversation_known)
            u->last_conversation_on = NOW - (gint64) ((x >> 11) % 120) * DAY - (gint64) ((x >> 3) % DAY);
          g_ptr_array_add (items, u);
        }
      luma_cache_upsert_users (cache, items);
      if ((page_no + 1) % 20 == 0 || start + 1000 >= n)
        check (luma_cache_commit_batch (cache, cursor, NULL, &error), error);
    }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *wall,
        GArray     *cpu,
        const char *goal)
{
  g_autofree char *load = load_average ();

  g_array_sort (wall, compare_double);
  g_array_sort (cpu, compare_double);
  g_print ("%s: median %.1f ms (min %.1f, max %.1f; CPU median %.1f ms) over %u runs, goal %s, load %s\n",
           what, g_array_index (wall, double, wall->len / 2), g_array_index (wall, double, 0),
           g_array_index (wall, double, wall->len - 1), g_array_index (cpu, double, cpu->len / 2),
           wall->len, goal, load);
}

int
main (int   argc,
      char *argv[])
{
  gint records = 1000000;
  gint users = 100000;
  gint runs = 5;
  gboolean all_plans = FALSE;
  GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &records, "Session records of the session-based tenant", "N" },
    { "users", 0, 0, G_OPTION_ARG_INT, &users, "Users of the user-based tenant", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Timed runs per measurement", "N" },
    { "all-plans", 0, 0, G_OPTION_ARG_NONE, &all_plans, "Also time each way of reading a breakdown's period", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark breakdowns, idle licenses, search");
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) acme = NULL;
  g_autoptr(LumaCache) globex = NULL;
  g_autoptr(LumaSubscription) acme_s = NULL;
  g_autoptr(LumaSubscription) globex_s = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *home = NULL;
  g_autofree char *load = NULL;
  gint64 consumed;
  double t0;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  runs = MAX (runs, 1);

  /* The caches go where the saved accounts' caches go, in a folder of our own. */
  home = g_dir_make_tmp ("bench-breakdown-XXXXXX", &error);
  check (home != NULL, error);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);

  load = load_average ();
  g_print ("records: %d sessions, %d users; load before: %s\n", records, users, load);

  t0 = now_ms ();
  acme = luma_cache_open_for_account (SERVER, "acme", NULL, &error);
  check (acme != NULL, error);
  consumed = write_sessions (acme, records);
  acme_s = make_subscription ("acme", "Acme Corporation", LUMA_LICENSE_TYPE_SESSION,
                              consumed + consumed / 10, consumed);
  check (luma_cache_store_subscription (acme, acme_s, NULL, &error), error);
  check (luma_cache_build_indexes (acme, NULL, &error), error);
  g_print ("session cache written and indexed: %.1f s\n", (now_ms () - t0) / 1e3);

  t0 = now_ms ();
  globex = luma_cache_open_for_account (SERVER, "globex", NULL, &error);
  check (globex != NULL, error);
  write_users (globex, users);
  globex_s = make_subscription ("globex", "Globex Ltd.", LUMA_LICENSE_TYPE_USER, users * 2, users);
  check (luma_cache_store_subscription (globex, globex_s, NULL, &error), error);
  check (luma_cache_build_indexes (globex, NULL, &error), error);
  g_print ("user cache written and indexed: %.1f s\n", (now_ms () - t0) / 1e3);

  /* The breakdown of the full term against the previous term, and of the
   * last 90 and 30 days (read in rowid order, and through the time index). */
  {
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
    static const struct { const char *name; int days; } periods[] = {
      { "breakdown of the full term", 0 },
      { "breakdown of the last 90 days", 90 },
      { "breakdown of the last 30 days", 30 },
    };

    static const struct { const char *name; LumaCacheBreakdownPlan plan; guint n_parts; } plans[] = {
      { "", LUMA_CACHE_BREAKDOWN_AUTO, 0 },
      { ", time index, one thread", LUMA_CACHE_BREAKDOWN_TIME_INDEX, 1 },
      { ", time index, two threads", LUMA_CACHE_BREAKDOWN_TIME_INDEX, 2 },
      { ", rowid order, one thread", LUMA_CACHE_BREAKDOWN_TABLE_SCAN, 1 },
      { ", rowid order, two threads", LUMA_CACHE_BREAKDOWN_TABLE_SCAN, 2 },
    };

    for (guint k = 0; k < (all_plans ? G_N_ELEMENTS (plans) : 1); k++)
      for (guint p = 0; p < G_N_ELEMENTS (periods); p++)
        {
          g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
          g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
          g_autofree char *name = g_strconcat (periods[p].name, plans[k].name, NULL);
          gint64 from = TERM_START, to = TERM_END + 1, previous_from = TERM_START - (TERM_END + 1 - TERM_START);
          gint64 total = 0;

          luma_cache_set_breakdown_plan (plans[k].plan, plans[k].n_parts);
          if (periods[p].days > 0)
            luma_period_for_last_days (periods[p].days, NOW, utc, &from, &to, &previous_from);
          for (gint i = 0; i < runs; i++)
            {
              double w = now_ms (), c = process_cpu_ms ();
              g_autoptr(LumaBreakdown) b = luma_cache_get_breakdown (acme, LUMA_LICENSE_TYPE_SESSION, from, to,
                                                                     previous_from,
                                                                     LUMA_BREAKDOWN_DEFAULT_TOP_USERS, NULL, &error);

              check (b != NULL, error);
              w = now_ms () - w;
              c = process_cpu_ms () - c;
              g_array_append_val (wall, w);
              g_array_append_val (cpu, c);
              total = b->total;
            }
          g_print ("%s: %" G_GINT64_FORMAT " sessions\n", name, total);
          /* The CPU is the process's: both threads of a split read. */
          report (name, wall, cpu, periods[p].days == 0 ? "<= 300 ms" : "-");
        }
    luma_cache_set_breakdown_plan (LUMA_CACHE_BREAKDOWN_AUTO, 0);
  }

  /* The user-based tenant's breakdown of the full term (its own queries). */
  {
    g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
    gint64 total = 0;

    for (gint i = 0; i < runs; i++)
      {
        double w = now_ms (), c = process_cpu_ms ();
        g_autoptr(LumaBreakdown) b = luma_cache_get_breakdown (globex, LUMA_LICENSE_TYPE_USER, TERM_START,
                                                               TERM_END + 1, TERM_START - (TERM_END + 1 - TERM_START),
                                                               LUMA_BREAKDOWN_DEFAULT_TOP_USERS, NULL, &error);

        check (b != NULL, error);
        w = now_ms () - w;
        c = process_cpu_ms () - c;
        g_array_append_val (wall, w);
        g_array_append_val (cpu, c);
        total = b->total;
      }
    g_print ("breakdown of the full term, user-based: %" G_GINT64_FORMAT " licenses\n", total);
    report ("breakdown of the full term, user-based", wall, cpu, "-");
  }

  /* The idle licenses, 30 days. */
  {
    g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
    guint listed = 0;

    for (gint i = 0; i < runs; i++)
      {
        double w = now_ms (), c = thread_cpu_ms ();
        g_autoptr(GPtrArray) idle = luma_cache_list_idle_users (globex, NOW - 30 * (gint64) DAY, NULL, &error);

        check (idle != NULL, error);
        w = now_ms () - w;
        c = thread_cpu_ms () - c;
        g_array_append_val (wall, w);
        g_array_append_val (cpu, c);
        listed = idle->len;
      }
    g_print ("idle users: %u of %d listed\n", listed, users);
    report ("idle-user list", wall, cpu, "<= 300 ms");
  }

  /* The search provider, as a GetInitialResultSet runs it (the D-Bus round
   * trip and GetResultMetas, a table lookup, not included). */
  g_ptr_array_add (accounts, luma_account_new (LUMA_ACCOUNT_KIND_TENANT, SERVER, "acme"));
  g_ptr_array_add (accounts, luma_account_new (LUMA_ACCOUNT_KIND_TENANT, SERVER, "globex"));
  {
    static const char *const tenant_terms[] = { "acme", NULL };
    static const char *const session_terms[] = { "S-00000481", NULL };
    static const char *const user_terms[] = { "U-0000481", NULL };
    static const struct { const char *name; const char *const *terms; } searches[] = {
      { "search provider, a tenant by name", tenant_terms },
      { "search provider, a session id", session_terms },
      { "search provider, a user id", user_terms },
    };

    for (guint s = 0; s < G_N_ELEMENTS (searches); s++)
      {
        g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
        g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
        g_auto(GStrv) first = NULL;

        for (gint i = 0; i < MAX (runs, 21); i++)
          {
            double w = now_ms (), c = thread_cpu_ms ();
            g_auto(GStrv) lines = _luma_search_provider_search (accounts, searches[s].terms, NOW);

            w = now_ms () - w;
            c = thread_cpu_ms () - c;
            g_array_append_val (wall, w);
            g_array_append_val (cpu, c);
            if (first == NULL)
              first = g_steal_pointer (&lines);
          }
        g_print ("%s: %u results, first \"%s\"\n", searches[s].name, g_strv_length (first),
                 first[0] != NULL ? first[0] : "");
        report (searches[s].name, wall, cpu, "<= 50 ms");
      }
  }

  /* Its parts: the run-out day (the forecast's day counts) and the id search alone. */
  {
    g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
    g_autofree char *path = luma_cache_path_for_account (SERVER, "acme");
    LumaTenantSummary t = { 0 };

    t.license_type = LUMA_LICENSE_TYPE_SESSION;
    t.start_date = acme_s->start_date;
    t.end_date = acme_s->end_date;
    t.total_purchase = acme_s->total_purchase;
    t.consumed = acme_s->consumed;
    for (gint i = 0; i < MAX (runs, 21); i++)
      {
        double w = now_ms (), c = thread_cpu_ms ();
        g_autoptr(LumaForecast) f = luma_cache_search_forecast (path, &t, NOW);

        w = now_ms () - w;
        c = thread_cpu_ms () - c;
        g_array_append_val (wall, w);
        g_array_append_val (cpu, c);
      }
    report ("search provider's run-out day alone (luma_cache_search_forecast)", wall, cpu, "-");
    g_array_set_size (wall, 0);
    g_array_set_size (cpu, 0);
    for (gint i = 0; i < MAX (runs, 21); i++)
      {
        double w = now_ms (), c = thread_cpu_ms ();
        g_autoptr(GPtrArray) tenants = NULL;
        g_autoptr(GPtrArray) found = NULL;

        luma_cache_search_file (path, "acme", 5, &tenants, &found);
        w = now_ms () - w;
        c = thread_cpu_ms () - c;
        g_array_append_val (wall, w);
        g_array_append_val (cpu, c);
      }
    report ("search provider's id search for \"acme\" alone (luma_cache_search_file)", wall, cpu, "-");
  }

  g_clear_object (&acme);
  g_clear_object (&globex);
  {
    g_autofree char *after = load_average ();

    g_print ("load after: %s\n", after);
  }
  remove_tree (home);
  return 0;
}
