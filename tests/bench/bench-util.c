/* bench-util.c: what the benchmarks of the real window share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "bench-util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <glib/gstdio.h>

#include "luma-cache-private.h"
#include "luma-ui-test.h"

void
bench_check (gboolean  ok,
             GError   *error)
{
  if (!ok)
    g_error ("%s", error != NULL ? error->message : "failed");
}

/* ---- Clocks and the system ------------------------------------------------------------------ */

double
bench_process_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

double
bench_thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

long
bench_proc_status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  return line != NULL ? strtol (line + strlen (field), NULL, 10) : -1;
}

char *
bench_load_average (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  parts = g_strsplit (text, " ", 4);
  if (g_strv_length (parts) < 3)
    return g_strdup ("?");
  return g_strdup_printf ("%s %s %s", parts[0], parts[1], parts[2]);
}

/* ---- Set-up and clean-up -------------------------------------------------------------------- */

char *
bench_make_private_home (const char *name_template)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp (name_template, &error);
  const char *xdg[][2] = {
    { "XDG_CACHE_HOME", "cache" }, { "XDG_CONFIG_HOME", "config" }, { "XDG_DATA_HOME", "data" },
  };

  bench_check (home != NULL, error);
  for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *dir = g_build_filename (home, xdg[i][1], NULL);

      g_setenv (xdg[i][0], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  return g_steal_pointer (&home);
}

void
bench_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            bench_remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_remove (path);
}

LumaTestSandbox *
bench_start_sandbox (const char * const *extra_args)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *base[] = {
    "--tenant", BENCH_TENANT, "--tenant-name", "Bench Ltd", "--api-key", BENCH_API_KEY,
    "--licenses", "5000000", "--seed", "0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (base); i++)
    g_ptr_array_add (args, (gpointer) base[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra_args[i]);
  g_ptr_array_add (args, NULL);
  return luma_test_sandbox_startv ((const char * const *) args->pdata);
}

guint32
bench_mix (guint32 x)
{
  x ^= x >> 16; x *= 0x7feb352du;
  x ^= x >> 15; x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

void
bench_build_cache (const char      *server,
                   guint            n,
                   BenchRecordFunc  make_record,
                   gpointer         data,
                   const char      *cursor,
                   double          *written_s,
                   double          *indexed_s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) cache = NULL;
  double t0 = g_get_monotonic_time () / 1e6;

  cache = luma_cache_open_for_account (server, BENCH_TENANT, NULL, &error);
  bench_check (cache != NULL, error);
  bench_check (luma_cache_begin_full_sync (cache, LUMA_LICENSE_TYPE_SESSION, &error), error);
  for (guint start = 0; start < n; start += 1000)
    {
      g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
      gboolean last = start + 1000 >= n;

      for (guint i = start; i < MIN (start + 1000, n); i++)
        g_ptr_array_add (page, make_record (i, n, data));
      luma_cache_upsert_sessions (cache, page);
      /* Large transactions, as a full sync commits them. */
      if ((start + 1000) % 50000 == 0 || last)
        bench_check (luma_cache_commit_batch (cache, last ? cursor : NULL, NULL, &error), error);
    }
  *written_s = g_get_monotonic_time () / 1e6 - t0;
  bench_check (luma_cache_build_indexes (cache, NULL, &error), error);
  *indexed_s = g_get_monotonic_time () / 1e6 - t0;
}

/* ---- The history benches' cache ------------------------------------------------------------- */

static const char *const first_names[] = {
  "Ana", "Bruno", "Chen", "Dana", "Elif", "Farid", "Gita", "Hugo", "Inês", "José", "Kai",
  "Lena", "Mateo", "Nia", "Otto", "Priya", "Quinn", "Rosa", "Søren", "Tariq", "Uma", "Vera",
  "Wei", "Ximena", "Yusuf", "Zoë", "Łukasz", "Aiko", "Björn", "Chloé",
};
static const char *const first_ascii[] = {
  "ana", "bruno", "chen", "dana", "elif", "farid", "gita", "hugo", "ines", "jose", "kai",
  "lena", "mateo", "nia", "otto", "priya", "quinn", "rosa", "soren", "tariq", "uma", "vera",
  "wei", "ximena", "yusuf", "zoe", "lukasz", "aiko", "bjorn", "chloe",
};
static const char *const last_names[] = {
  "Müller", "Garcia", "Ivanova", "Khan", "Lopez", "Meyer", "Nguyen", "O'Neil", "Park", "Rossi",
  "Smith", "Tanaka", "Umarov", "van Dijk", "Weber", "Xu", "Yılmaz", "Żak", "Brown", "Costa",
  "Dubois", "Eriksen", "Fischer", "Hansen", "Jensen", "Kowalski", "Novak", "Silva", "Santos",
  "Moreau",
};
static const char *const last_ascii[] = {
  "mueller", "garcia", "ivanova", "khan", "lopez", "meyer", "nguyen", "oneil", "park", "rossi",
  "smith", "tanaka", "umarov", "vandijk", "weber", "xu", "yilmaz", "zak", "brown", "costa",
  "dubois", "eriksen", "fischer", "hansen", "jensen", "kowalski", "novak", "silva", "santos",
  "moreau",
};
static const char *const domains[] = {
  "acme.example", "acme-eu.example", "corp.acme.example", "partners.example", "mail.example",
};

#define N_USERS  40000
#define N_AGENTS 25

/* The first record's time: a year before the newest, which is about now. */
static gint64 first_time;
static gint64 span_s = 365 * 24 * 3600;

static LumaSessionRecord *
history_record (guint    i,
                guint    n,
                gpointer data)
{
  LumaSessionRecord *r = luma_session_record_new ();
  guint32 h = bench_mix (i * 2654435761u + 17);
  guint user = bench_mix (i ^ 0x9e3779b9u) % N_USERS;
  guint32 u = bench_mix (user + 101);
  guint f = u % G_N_ELEMENTS (first_names), l = (u >> 8) % G_N_ELEMENTS (last_names);
  gboolean visitor = (u >> 16) % 100 < 6;
  guint c = h % 100;

  r->session_id = g_strdup_printf ("S-%08u", i);
  r->started_on = first_time + (gint64) ((double) i * span_s / n) + (h >> 20) % 20;
  if (visitor)
    {
      r->user_name = g_strdup_printf ("Visitor %u", user);
      r->email = g_strdup ("");
      r->role = LUMA_ROLE_GUEST;
      r->channel = LUMA_CHANNEL_WEB_WIDGET;
    }
  else
    {
      r->user_name = g_strdup_printf ("%s %s", first_names[f], last_names[l]);
      r->email = g_strdup_printf ("%s.%s%u@%s", first_ascii[f], last_ascii[l], user % 1000,
                                  domains[(u >> 4) % G_N_ELEMENTS (domains)]);
      r->role = (u >> 20) % 10 < 6 ? LUMA_ROLE_SELF_SERVICE : (u >> 20) % LUMA_N_ROLES;
      r->channel = c < 35 ? LUMA_CHANNEL_MS_TEAMS : c < 55 ? LUMA_CHANNEL_WEB_WIDGET
                 : c < 70 ? LUMA_CHANNEL_SLACK : c < 75 ? LUMA_CHANNEL_SKYPE_FOR_BUSINESS
                 : c < 90 ? LUMA_CHANNEL_WHATSAPP : LUMA_CHANNEL_EMAIL;
    }
  r->initiated_by = (h >> 8) % 100 < 12 ? LUMA_INITIATED_BY_AGENT : LUMA_INITIATED_BY_END_USER;
  if (r->initiated_by == LUMA_INITIATED_BY_AGENT || (h >> 12) % 100 < 20)
    {
      guint a = (h >> 4) % N_AGENTS;

      r->agent_name = g_strdup_printf ("%s %s", first_names[(a * 7) % G_N_ELEMENTS (first_names)],
                                       last_names[(a * 11 + 3) % G_N_ELEMENTS (last_names)]);
    }
  r->conversations = (h >> 24) % 100 < 3 ? 0 : 1 + (h >> 16) % 6;
  return r;
}

void
bench_prepare_history_cache (LumaTestSandbox *sandbox,
                             guint            n,
                             const char      *template_path)
{
  const char *server = luma_test_sandbox_get_url (sandbox);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = luma_cache_path_for_account (server, BENCH_TENANT);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *cursor = NULL;
  g_autoptr(LumaCache) cache = NULL;
  double written_s, indexed_s;

  g_mkdir_with_parents (dir, 0700);
  if (template_path != NULL && g_file_test (template_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GFile) from = g_file_new_for_path (template_path);
      g_autoptr(GFile) to = g_file_new_for_path (path);

      bench_check (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error), error);
      g_chmod (path, 0600);
      g_print ("cache: copied from %s\n", template_path);
    }
  else
    {
      first_time = g_get_real_time () / G_USEC_PER_SEC - span_s;
      bench_build_cache (server, n, history_record, NULL, NULL, &written_s, &indexed_s);
      g_print ("cache: %u records written in %.1f s; indexes ready after %.1f s\n", n, written_s,
               indexed_s);
      if (template_path != NULL)
        {
          g_autoptr(GFile) from = g_file_new_for_path (path);
          g_autoptr(GFile) to = g_file_new_for_path (template_path);

          bench_check (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error), error);
        }
    }

  /* The cursor of this sandbox's feed, so the sync at start is an incremental one. */
  cursor = luma_test_sandbox_get_feed_end (sandbox, BENCH_TENANT, BENCH_API_KEY);
  cache = luma_cache_open_path (path, NULL, &error);
  bench_check (cache != NULL, error);
  bench_check (luma_cache_commit_batch (cache, cursor, NULL, &error), error);
  if (luma_cache_count_records (cache, LUMA_LICENSE_TYPE_SESSION, NULL) < n)
    g_error ("the cache %s holds fewer than %u records", path, n);
}

/* ---- The application ------------------------------------------------------------------------ */

void
bench_init_gtk (const char *step)
{
  if (!gtk_init_check ())
    g_error ("Cannot open a display: run this under Xvfb (build-aux/bench %s does)", step);
  adw_init ();
}

LumaApplication *
bench_application_new (void)
{
  LumaApplication *app = luma_ui_test_get_application ();
  GSettings *settings = luma_application_get_settings (app);

  g_settings_set_int (settings, "window-width", 1280);
  g_settings_set_int (settings, "window-height", 800);
  g_settings_set_boolean (settings, "notifications-enabled", FALSE);
  return app;
}

LumaWindow *
bench_open_window (LumaApplication *app,
                   LumaTestSandbox *sandbox)
{
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (sandbox),
                                                     BENCH_TENANT);
  GtkWindow *window;

  luma_account_set_secret (account, BENCH_API_KEY);
  window = luma_application_open_account (app, account);
  if (!LUMA_IS_WINDOW (window))
    g_error ("the application opened no window for the account");
  return LUMA_WINDOW (window);
}

void
bench_print_renderer (const char *renderer)
{
  const char *renderer_env = g_getenv ("GSK_RENDERER");

  g_print ("GSK_RENDERER=%s, renderer %s\n", renderer_env != NULL ? renderer_env : "(unset)", renderer);
}

/* ---- The main loop -------------------------------------------------------------------------- */

static void
iterate_blocking (void)
{
  g_main_context_iteration (NULL, TRUE);
}

static void (*iterate_func) (void) = iterate_blocking;

void
bench_set_iterate (void (*iterate) (void))
{
  iterate_func = iterate != NULL ? iterate : iterate_blocking;
}

void
bench_iterate (void)
{
  iterate_func ();
}

void
bench_spin_for (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < end)
    bench_iterate ();
}

gboolean
bench_spin_until (gboolean (*done) (gpointer data),
                  gpointer   data,
                  guint      timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      bench_iterate ();
    }
  return TRUE;
}

typedef struct
{
  gint64 start;
  gint64 end;
} Gap;

static GArray *gaps;     /* Gap */
static gint64  hb_last;

static gboolean
heartbeat_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (now - hb_last > 10000)
    {
      Gap gap = { hb_last, now };

      g_array_append_val (gaps, gap);
    }
  hb_last = now;
  return G_SOURCE_CONTINUE;
}

void
bench_heartbeat_start (void)
{
  gaps = g_array_new (FALSE, FALSE, sizeof (Gap));
  hb_last = g_get_monotonic_time ();
  g_timeout_add (5, heartbeat_cb, NULL);
}

void
bench_heartbeat_reset (void)
{
  hb_last = g_get_monotonic_time ();
}

void
bench_heartbeat_max_gap (gint64  t0,
                         gint64  t1,
                         double *max_ms,
                         guint  *n_stalls)
{
  *max_ms = 0;
  *n_stalls = 0;
  for (guint i = 0; i < gaps->len; i++)
    {
      Gap *gap = &g_array_index (gaps, Gap, i);

      if (gap->end > t0 && gap->start < t1)
        {
          double ms = (gap->end - gap->start) / 1e3;

          *max_ms = MAX (*max_ms, ms);
          if (ms > BENCH_STALL_MS)
            (*n_stalls)++;
        }
    }
}

void
bench_heartbeat_print_stalls (gint64 t0,
                              gint64 t1)
{
  for (guint i = 0; i < gaps->len; i++)
    {
      Gap *gap = &g_array_index (gaps, Gap, i);

      if (gap->end > t0 && gap->start < t1 && gap->end - gap->start > BENCH_STALL_MS * 1000)
        g_print ("    stall %6.0f ms at +%.3f s\n", (gap->end - gap->start) / 1e3, (gap->start - t0) / 1e6);
    }
}
