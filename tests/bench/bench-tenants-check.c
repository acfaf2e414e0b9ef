/* bench-tenants-check.c: the CPU of a superadmin's background check of every tenant
 *
 *   bench-tenants-check [--tenants N] [--http N]
 *
 * In memory: N tenants (default 10,000) with varied terms and usage are stored in a
 * superadmin's cache and their threshold crossings evaluated and recorded, as one background
 * check does after its request (luma_cache_store_tenants() + luma_notifier_evaluate_tenants());
 * three checks: the first (thousands of crossings recorded), one with nothing new, one with
 * 1 % of the tenants changed. Over HTTP (with --http N, needs $LUMA_SANDBOX): the same after
 * GET /platform/tenants from a sandbox with N tenants, the decoding of the answer included.
 * Prints the process CPU time (all threads) of each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/resource.h>

#include <glib/gstdio.h>

#include "luma-api-client.h"
#include "luma-cache.h"
#include "luma-notifier.h"

#include "luma-test-sandbox.h"

static double
process_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 +
         usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

static void
check_ok (gboolean  ok,
          GError   *error)
{
  if (!ok)
    {
      g_printerr ("bench-tenants-check: %s\n", error != NULL ? error->message : "failed");
      exit (1);
    }
}

static guint32
mix (guint32 x)
{
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

/* Terms starting on one of 12 months, totals from 100 to 100,000, usage 0-110 %. */
static GPtrArray *
generate (guint n,
          guint salt)
{
  GPtrArray *tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);

  for (guint i = 0; i < n; i++)
    {
      LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);
      guint32 h = mix (i * 2654435761u + 1);
      guint32 u = mix (i + salt * 7919u);

      t->external_id = g_strdup_printf ("tenant-%05u", i);
      t->tenant_name = g_strdup_printf ("Tenant %u", i);
      t->license_type = h & 1 ? LUMA_LICENSE_TYPE_USER : LUMA_LICENSE_TYPE_SESSION;
      t->start_date = 1767225600 + (gint64) (h % 12) * 30 * 86400;
      t->end_date = t->start_date + 365 * 86400 - 1;
      t->total_purchase = 100 + (h >> 8) % 100000;
      t->consumed = t->total_purchase * (gint64) (u % 111) / 100;
      t->available = MAX (0, t->total_purchase - t->consumed);
      t->overage = MAX (0, t->consumed - t->total_purchase);
      g_ptr_array_add (tenants, t);
    }
  return tenants;
}

static double
one_check (LumaCache    *cache,
           LumaNotifier *notifier,
           GPtrArray    *tenants,
           guint        *n_crossed)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) crossed = NULL;
  double start = process_cpu_ms ();

  check_ok (luma_cache_store_tenants (cache, tenants, &error), error);
  check_ok (luma_notifier_evaluate_tenants (notifier, tenants, FALSE, &crossed, &error), error);
  *n_crossed = g_strv_length (crossed);
  return process_cpu_ms () - start;
}

static void
in_memory (const char *dir,
           guint       n)
{
  g_autofree char *path = g_build_filename (dir, "superadmin.sqlite", NULL);
  g_autoptr(GApplication) app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaNotifier) notifier = NULL;
  g_autoptr(GPtrArray) first = generate (n, 0);
  g_autoptr(GPtrArray) changed = NULL;
  g_autoptr(GError) error = NULL;
  guint crossed;
  double ms;

  cache = luma_cache_open_path (path, NULL, &error);
  check_ok (cache != NULL, error);
  notifier = luma_notifier_new (app, cache);

  ms = one_check (cache, notifier, first, &crossed);
  g_print ("in memory, %u tenants, first check: %.0f ms CPU (%u crossings recorded)\n", n, ms, crossed);
  ms = one_check (cache, notifier, first, &crossed);
  g_print ("in memory, %u tenants, nothing new: %.0f ms CPU (%u crossings)\n", n, ms, crossed);

  /* 1 % of them (every hundredth) used more or were refilled. */
  changed = generate (n, 0);
  for (guint i = 0; i < n; i += 100)
    {
      LumaTenantSummary *t = g_ptr_array_index (changed, i);

      t->consumed = (i / 100) % 2 ? t->total_purchase : t->total_purchase / 10;
    }
  ms = one_check (cache, notifier, changed, &crossed);
  g_print ("in memory, %u tenants, 1 %% changed: %.0f ms CPU (%u crossings)\n", n, ms, crossed);

  luma_cache_close (cache);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
over_http (const char *dir,
           guint       n)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(LumaTestSandbox) sb = NULL;
  g_autoptr(LumaApiClient) client = NULL;
  g_autofree char *path = g_build_filename (dir, "superadmin-http.sqlite", NULL);
  g_autoptr(GApplication) app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaNotifier) notifier = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (args, g_strdup ("--superadmin"));
  g_ptr_array_add (args, g_strdup ("root:bench"));
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (args, g_strdup ("--tenant"));
      g_ptr_array_add (args, g_strdup_printf ("t%05u", i));
      g_ptr_array_add (args, g_strdup ("--licenses"));
      g_ptr_array_add (args, g_strdup_printf ("%u", 10 + i % 20));
      g_ptr_array_add (args, g_strdup ("--seed"));
      g_ptr_array_add (args, g_strdup ("10"));
    }
  g_ptr_array_add (args, NULL);
  sb = luma_test_sandbox_startv ((const char * const *) args->pdata);

  client = luma_api_client_new (luma_test_sandbox_get_url (sb), &error);
  check_ok (client != NULL, error);
  luma_api_client_set_superadmin_credentials (client, "root", "bench");
  cache = luma_cache_open_path (path, NULL, &error);
  check_ok (cache != NULL, error);
  notifier = luma_notifier_new (app, cache);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) tenants = NULL;
      g_auto(GStrv) crossed = NULL;
      double start = process_cpu_ms ();

      luma_api_client_list_tenants_async (client, NULL, list_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      tenants = luma_api_client_list_tenants_finish (client, result, &error);
      check_ok (tenants != NULL, error);
      check_ok (luma_cache_store_tenants (cache, tenants, &error), error);
      check_ok (luma_notifier_evaluate_tenants (notifier, tenants, FALSE, &crossed, &error), error);
      g_print ("over HTTP, %u tenants, check %u: %.0f ms CPU (request, decoding, store, evaluation; "
               "%u crossings)\n", tenants->len, round + 1, process_cpu_ms () - start,
               g_strv_length (crossed));
    }

  luma_cache_close (cache);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  gint n = 10000;
  gint http = 0;
  GOptionEntry entries[] = {
    { "tenants", 0, 0, G_OPTION_ARG_INT, &n, "Tenants in memory (default 10000)", "N" },
    { "http", 0, 0, G_OPTION_ARG_INT, &http, "Also over HTTP from a sandbox with N tenants", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_add_main_entries (context, entries, NULL);
  check_ok (g_option_context_parse (context, &argc, &argv, &error), error);

  dir = g_dir_make_tmp ("bench-tenants-XXXXXX", &error);
  check_ok (dir != NULL, error);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);

  if (n > 0)
    in_memory (dir, (guint) n);
  if (http > 0)
    over_http (dir, (guint) http);

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);

        g_unlink (p);
      }
    g_rmdir (dir);
  }
  return 0;
}
