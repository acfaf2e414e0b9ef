/* luma-cli.c: the headless command line of luma-subscription
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "luma-cli"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixoutputstream.h>
#include <unistd.h>

#include "luma-cache.h"
#include "luma-cli.h"
#include "luma-credentials.h"
#include "luma-csv.h"
#include "luma-format.h"
#include "luma-models.h"
#include "luma-report.h"
#include "luma-session.h"

typedef struct
{
  char     *server;
  char     *tenant;
  char     *superadmin;
  char     *ca_file;
  gboolean  sync;
  gboolean  status;
  char     *export_csv;
  char     *from;
  char     *to;
  char     *search;
  gboolean  bom;
  gboolean  json;
  char     *report;
  gint64    from_time;  /* parsed --from / --to, 0 when absent */
  gint64    to_time;
  char     *password;   /* LUMA_PASSWORD and LUMA_API_KEY, taken out of the environment */
  char     *api_key;
} CliOptions;

static void
cli_options_clear (CliOptions *options)
{
  g_clear_pointer (&options->server, g_free);
  g_clear_pointer (&options->tenant, g_free);
  g_clear_pointer (&options->superadmin, g_free);
  g_clear_pointer (&options->ca_file, g_free);
  g_clear_pointer (&options->export_csv, g_free);
  g_clear_pointer (&options->from, g_free);
  g_clear_pointer (&options->to, g_free);
  g_clear_pointer (&options->search, g_free);
  g_clear_pointer (&options->report, g_free);
  luma_credentials_free_secret (g_steal_pointer (&options->password));
  luma_credentials_free_secret (g_steal_pointer (&options->api_key));
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliOptions, cli_options_clear)

gboolean
luma_cli_is_headless (int    argc,
                      char **argv)
{
  static const char * const commands[] = { "--sync", "--status", "--export-csv" };

  for (int i = 1; i < argc && argv[i] != NULL; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      for (guint j = 0; j < G_N_ELEMENTS (commands); j++)
        {
          gsize len = strlen (commands[j]);

          if (strncmp (argv[i], commands[j], len) == 0 &&
              (argv[i][len] == '\0' || argv[i][len] == '='))
            return TRUE;
        }
    }

  return FALSE;
}

static void
print_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
print_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s: %s\n", g_get_prgname () != NULL ? g_get_prgname () : "luma-subscription",
              message);
}

/* ---- Waiting for async calls without a UI ----------------------------------------------------- */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gboolean
cancel_on_signal_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_CONTINUE;
}

/* ---- Dates ------------------------------------------------------------------------------------ */

/* YYYY-MM-DD (the whole day in UTC: its first second for a lower bound, its
 * last for an upper one) or an ISO 8601 date-time with an offset. */
static gboolean
parse_date (const char  *text,
            gboolean     end_of_day,
            gint64      *out,
            GError     **error)
{
  guint year, month, day;
  char tail;

  if (sscanf (text, "%4u-%2u-%2u%c", &year, &month, &day, &tail) == 3 &&
      strlen (text) == 10 && g_date_valid_dmy (day, month, year))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_utc (year, month, day, 0, 0, 0);

      if (dt != NULL)
        {
          *out = g_date_time_to_unix (dt) + (end_of_day ? 24 * 60 * 60 - 1 : 0);
          return TRUE;
        }
    }

  if (luma_parse_iso8601 (text, out))
    return TRUE;

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "\"%s\" is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", text);
  return FALSE;
}

/* ---- Opening the account ---------------------------------------------------------------------- */

/* The account named on the command line: a superadmin acting on the tenant, or the tenant's
 * admin. The secret comes from the environment, else the session looks in the keyring. */
static LumaAccount *
cli_account (const CliOptions *options)
{
  LumaAccount *account;

  if (options->superadmin != NULL)
    {
      account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN, options->server, options->superadmin);
    }
  else
    {
      account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, options->server, options->tenant);
    }
  luma_account_set_secret (account, options->superadmin != NULL ? options->password : options->api_key);
  return account;
}

/* The tenant's cache as it is, for the commands without network. */
static LumaCache *
open_existing_cache (const CliOptions  *options,
                     GError           **error)
{
  g_autoptr(LumaAccount) account = cli_account (options);
  g_autofree char *name = luma_account_dup_tenant_cache_name (account, options->tenant);
  g_autofree char *path = luma_cache_path_for_account (luma_account_get_server (account), name);
  LumaCache *cache;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Nothing is cached for tenant \"%s\" at %s yet: run --sync first",
                   options->tenant, luma_account_get_server (account));
      return NULL;
    }

  cache = luma_cache_open_for_account (luma_account_get_server (account), name, NULL, error);
  if (cache != NULL && luma_cache_was_rebuilt (cache))
    print_error ("%s (the damaged file: %s)", luma_cache_get_rebuild_message (cache),
                 luma_cache_get_corrupt_path (cache));
  return cache;
}

/* Starts the session and opens the tenant: secret, client, first connection, cache. */
static gboolean
start_session (LumaSession       *session,
               const CliOptions  *options,
               GError           **error)
{
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GError) local_error = NULL;
  LumaCache *cache;

  luma_session_start_async (session, NULL, store_result_cb, &started);
  if (!luma_session_start_finish (session, wait_for_result (&started), &local_error))
    {
      if (g_error_matches (local_error, LUMA_API_ERROR, LUMA_API_ERROR_NO_CREDENTIALS))
        g_set_error (error, LUMA_API_ERROR, LUMA_API_ERROR_NO_CREDENTIALS,
                     "%s: set %s in the environment or sign in once with the app",
                     local_error->message,
                     options->superadmin != NULL ? "LUMA_PASSWORD" : "LUMA_API_KEY");
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* A superadmin without --tenant: its list of every tenant. */
  if (options->superadmin != NULL && options->tenant == NULL)
    return TRUE;
  if (options->superadmin != NULL)
    {
      luma_session_open_tenant_async (session, options->tenant, NULL, store_result_cb, &opened);
      if (!luma_session_open_tenant_finish (session, wait_for_result (&opened), error))
        return FALSE;
    }

  cache = luma_session_get_cache (session);
  if (luma_cache_was_rebuilt (cache))
    print_error ("The local cache was damaged; it was moved to %s and will be filled again "
                 "by a full sync", luma_cache_get_corrupt_path (cache));
  return TRUE;
}

/* ---- The commands ----------------------------------------------------------------------------- */

/* A superadmin's --sync without --tenant: the tenant list (one request), stored for --status
 * and --report tenants, and the crossings of every tenant notified as the background does. */
static int
command_check_tenants (const CliOptions *options,
                       LumaSession      *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_auto(GStrv) crossed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  luma_session_check_tenants_async (session, NULL, store_result_cb, &result);
  tenants = luma_session_check_tenants_finish (session, wait_for_result (&result), &crossed, &error);
  luma_session_stop (session);
  if (tenants == NULL)
    {
      print_error ("Cannot check the tenants: %s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }

  line = g_strdup_printf ("%u tenants checked, %u crossed a threshold", tenants->len,
                          crossed != NULL ? g_strv_length (crossed) : 0);
  if (options->json)
    g_printerr ("%s\n", line);
  else
    g_print ("%s\n", line);
  return LUMA_CLI_EXIT_OK;
}

static int
command_sync (const CliOptions *options)
{
  g_autoptr(LumaAccount) account = cli_account (options);
  g_autoptr(LumaSession) session = luma_session_new (account);
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  LumaSync *sync;
  guint sigint_id, sigterm_id;

  luma_session_set_ca_file (session, options->ca_file);
  if (!start_session (session, options, &error))
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }
  if (options->tenant == NULL)
    return command_check_tenants (options, session);
  sync = luma_session_get_sync (session);

  /* Interrupted: stop at once; the committed part stays and the next
   * --sync resumes from it. */
  sigint_id = g_unix_signal_add (SIGINT, cancel_on_signal_cb, cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, cancel_on_signal_cb, cancellable);
  g_signal_connect_swapped (cancellable, "cancelled", G_CALLBACK (luma_session_cancel_sync), session);

  /* Desktop notifications when consumption crossed 75/85/95/100 % are the session's, after
   * a successful sync (luma-notifier.h). */
  luma_session_sync_async (session, NULL, store_result_cb, &result);
  summary = luma_session_sync_finish (session, wait_for_result (&result), &error);

  /* The process ends here: finish the index build a full sync started, so
   * the cache is complete when the app opens it. */
  while (luma_sync_get_indexing (sync) && !g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (cancellable, session);

  if (summary == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        print_error ("Sync interrupted; the next --sync resumes where it stopped");
      else if (luma_sync_get_offline (sync))
        print_error ("Sync failed: %s (the cached data stays available with --status)",
                     error->message);
      else
        print_error ("Sync failed: %s", error->message);
      luma_session_stop (session);
      return LUMA_CLI_EXIT_FAILURE;
    }

  line = luma_sync_summary_to_string (summary);
  /* With --json standard output carries the JSON alone. */
  if (options->json)
    g_printerr ("%s\n", line);
  else
    g_print ("%s\n", line);

  luma_session_stop (session);
  return LUMA_CLI_EXIT_OK;
}

static char *
format_day (gint64 unix_seconds)
{
  char *day = luma_format_iso8601_day (unix_seconds);

  return day != NULL ? day : g_strdup ("?");
}

static int
command_status (const CliOptions *options)
{
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;
  g_autofree char *technical = NULL;
  g_autofree char *billing = NULL;
  gint64 records, last_synced;
  guint percent;

  cache = open_existing_cache (options, &error);
  if (cache == NULL)
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }

  subscription = luma_cache_get_subscription (cache, NULL, &error);
  if (subscription == NULL)
    {
      if (error != NULL)
        print_error ("Cannot read the local cache: %s", error->message);
      else
        print_error ("Nothing is cached for tenant \"%s\" yet: run --sync first",
                     options->tenant);
      return LUMA_CLI_EXIT_FAILURE;
    }

  start = format_day (subscription->start_date);
  end = format_day (subscription->end_date);
  technical = g_strjoinv (", ", subscription->technical_emails);
  billing = g_strjoinv (", ", subscription->billing_emails);
  percent = subscription->total_purchase > 0
            ? (guint) MIN (subscription->consumed * 100 / subscription->total_purchase, 9999)
            : 0;

  g_print ("Tenant: %s (%s)\n", subscription->tenant_name, subscription->external_id);
  g_print ("License type: %s\n", luma_license_type_to_display (subscription->license_type));
  g_print ("Contract term: %s to %s\n", start, end);
  g_print ("Total purchase: %" G_GINT64_FORMAT "\n", subscription->total_purchase);
  g_print ("Consumed: %" G_GINT64_FORMAT " (%u %%)\n", subscription->consumed, percent);
  g_print ("Available: %" G_GINT64_FORMAT "\n", subscription->available);
  if (subscription->overage > 0)
    g_print ("Overage: %" G_GINT64_FORMAT "\n", subscription->overage);
  g_print ("Technical email: %s\n", technical);
  g_print ("Billing email: %s\n", billing);

  records = luma_cache_count_records (cache, subscription->license_type, NULL);
  last_synced = luma_cache_get_last_synced (cache);
  if (last_synced > 0)
    {
      g_autofree char *when = luma_format_iso8601_utc (last_synced);

      g_print ("History: %" G_GINT64_FORMAT " records, last synced %s\n", MAX (records, 0), when);
    }
  else
    {
      g_print ("History: %" G_GINT64_FORMAT " records, never fully synced\n", MAX (records, 0));
    }

  if (luma_cache_get_conflict (cache, &mine, &theirs, NULL))
    g_print ("Email lists: your edit conflicts with a newer version on the server; "
             "open the app to choose\n");
  else if ((pending = luma_cache_outbox_peek (cache, NULL, NULL)) != NULL)
    g_print ("Email lists: an edit is waiting to be sent (next --sync)\n");

  return LUMA_CLI_EXIT_OK;
}

/* ---- Every tenant: --status --json and --report tenants --------------------------------------- */

/* The stored tenant list of the superadmin @account (what --sync without --tenant and the
 * app stored). */
static GPtrArray *
load_tenant_list (const CliOptions  *options,
                  LumaAccount       *account,
                  gint64            *stored_on_out,
                  GError           **error)
{
  const LumaAccountIdentity *id = luma_account_get_id (account);
  g_autoptr(LumaCache) cache = NULL;
  GPtrArray *tenants;
  GError *local_error = NULL;

  if (!g_file_test (id->cache_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No tenant list of %s at %s is cached yet: run --sync first",
                   options->superadmin, options->server);
      return NULL;
    }
  cache = luma_cache_open_for_account (id->server, id->cache_name, NULL, error);
  if (cache == NULL)
    return NULL;
  tenants = luma_cache_get_tenants (cache, stored_on_out, &local_error);
  luma_cache_close (cache);
  if (tenants == NULL && local_error == NULL)
    g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "No tenant list of %s at %s is cached yet: run --sync first",
                 options->superadmin, options->server);
  if (tenants == NULL)
    g_propagate_error (error, local_error);
  return tenants;
}

/* The superadmin @account's cache of @tenant's history, when one was synced (for the recent
 * rate). */
static LumaCache *
open_tenant_cache_if_any (LumaAccount *account,
                          const char  *tenant)
{
  g_autofree char *name = luma_account_dup_tenant_cache_name (account, tenant);
  g_autofree char *path = luma_cache_path_for_account (luma_account_get_server (account), name);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return luma_cache_open_for_account (luma_account_get_server (account), name, NULL, NULL);
}

/* The JSON of every tenant asked for; returns the exit code (worst status). */
static int
command_status_json (const CliOptions *options)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  LumaReportStatus worst = LUMA_REPORT_STATUS_UNKNOWN;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tenants");
  json_builder_begin_array (builder);

  if (options->tenant != NULL)
    {
      g_autoptr(LumaCache) cache = open_existing_cache (options, &error);
      g_autoptr(LumaSubscription) subscription = NULL;
      g_autoptr(LumaTenantSummary) summary = NULL;
      LumaReportStatus status;

      if (cache == NULL)
        {
          print_error ("%s", error->message);
          return LUMA_REPORT_STATUS_UNKNOWN;
        }
      subscription = luma_cache_get_subscription (cache, NULL, &error);
      if (subscription == NULL)
        {
          if (error != NULL)
            print_error ("Cannot read the local cache: %s", error->message);
          else
            print_error ("Nothing is cached for tenant \"%s\" yet: run --sync first", options->tenant);
          return LUMA_REPORT_STATUS_UNKNOWN;
        }
      summary = luma_report_summary_from_subscription (subscription);
      json_builder_add_value (builder, luma_report_tenant_to_json (summary, cache,
                                                                   luma_cache_get_last_synced (cache),
                                                                   &status));
      worst = status;
    }
  else
    {
      g_autoptr(LumaAccount) account = cli_account (options);
      g_autoptr(GPtrArray) tenants = NULL;
      gint64 stored_on = 0;

      tenants = load_tenant_list (options, account, &stored_on, &error);
      if (tenants == NULL)
        {
          print_error ("%s", error->message);
          return LUMA_REPORT_STATUS_UNKNOWN;
        }
      /* A list known to be empty is known. */
      worst = LUMA_REPORT_STATUS_OK;
      for (guint i = 0; i < tenants->len; i++)
        {
          const LumaTenantSummary *t = g_ptr_array_index (tenants, i);
          g_autoptr(LumaCache) cache = open_tenant_cache_if_any (account, t->external_id);
          LumaReportStatus status;

          json_builder_add_value (builder, luma_report_tenant_to_json (t, cache, stored_on, &status));
          worst = luma_report_status_worst (worst, status);
          if (cache != NULL)
            luma_cache_close (cache);
        }
    }

  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, luma_report_status_to_string (worst));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  return worst;
}

/* The words of the tenants board (untranslated in a report, as the enumerations are). */
static const char *
status_label (LumaReportStatus status)
{
  switch (status)
    {
    case LUMA_REPORT_STATUS_WARNING:
      return "Near capacity";
    case LUMA_REPORT_STATUS_CRITICAL:
      return "At or over capacity";
    case LUMA_REPORT_STATUS_OK:
    default:
      return "OK";
    }
}

static char *
csv_time (gint64 unix_seconds)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (unix_seconds <= 0)
    return NULL;
  luma_csv_append_time (out, unix_seconds);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
write_table (const CliOptions    *options,
             const char * const  *header,
             guint                n_columns,
             GPtrArray           *rows,
             const gboolean      *numeric)
{
  g_autoptr(GError) error = NULL;
  LumaCsvFlags flags = options->bom ? LUMA_CSV_FLAGS_BOM : LUMA_CSV_FLAGS_NONE;
  guint64 written = 0;

  if (g_strcmp0 (options->export_csv, "-") == 0)
    {
      g_autoptr(GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);

      if (!luma_csv_write_table_to_stream (out, header, n_columns, rows, numeric, flags, &written,
                                           &error))
        {
          print_error ("%s", error->message);
          return FALSE;
        }
      g_printerr ("%" G_GUINT64_FORMAT " rows written\n", written);
      return TRUE;
    }

  if (!luma_csv_write_table_to_path (options->export_csv, header, n_columns, rows, numeric, flags,
                                     &written, &error))
    {
      print_error ("%s", error->message);
      return FALSE;
    }
  g_print ("%" G_GUINT64_FORMAT " rows written to %s\n", written, options->export_csv);
  return TRUE;
}

/* A row is freed with g_strfreev(), which stops at the first NULL: absent
 * values are written as empty cells. */
static void
fill_empty_cells (char  **row,
                  gsize   n_columns)
{
  for (gsize i = 0; i < n_columns; i++)
    if (row[i] == NULL)
      row[i] = g_strdup ("");
}

static int
command_export_tenants (const CliOptions *options)
{
  static const gboolean numeric[] = {
    FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, TRUE,
  };
  const char *header[] = {
    _("Tenant"), _("External ID"), _("License Type"), _("Start Date"), _("End Date"),
    _("Total Purchase"), _("Consumed"), _("Available"), _("Percent"), _("Status"), _("Runs Out On"),
    _("Last Refill"), _("Last Refill Change"),
  };
  g_autoptr(LumaAccount) account = cli_account (options);
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GError) error = NULL;
  gint64 stored_on = 0;

  G_STATIC_ASSERT (G_N_ELEMENTS (numeric) == 13);
  tenants = load_tenant_list (options, account, &stored_on, &error);
  if (tenants == NULL)
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }

  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (tenants, i);
      g_autoptr(LumaCache) cache = open_tenant_cache_if_any (account, t->external_id);
      LumaRunOutInput input = { t->start_date, t->end_date, t->total_purchase, t->consumed };
      gint64 run_out;
      char **row = g_new0 (char *, G_N_ELEMENTS (header) + 1);

      luma_report_run_out_input (cache, t->license_type, stored_on, &input);
      run_out = luma_report_estimate_run_out (&input);
      if (cache != NULL)
        luma_cache_close (cache);

      row[0] = g_strdup (t->tenant_name);
      row[1] = g_strdup (t->external_id);
      row[2] = g_strdup (luma_license_type_to_display (t->license_type));
      row[3] = csv_time (t->start_date);
      row[4] = csv_time (t->end_date);
      row[5] = g_strdup_printf ("%" G_GINT64_FORMAT, t->total_purchase);
      row[6] = g_strdup_printf ("%" G_GINT64_FORMAT, t->consumed);
      row[7] = g_strdup_printf ("%" G_GINT64_FORMAT, t->available);
      row[8] = t->total_purchase > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, t->consumed * 100 / t->total_purchase)
                                     : NULL;
      row[9] = g_strdup (status_label (luma_report_status_for (t->consumed, t->total_purchase)));
      row[10] = run_out > 0 ? luma_format_iso8601_day (run_out) : NULL;
      /* Empty both when there was none and when the server did not say. */
      if (t->last_refill == LUMA_LAST_REFILL_KNOWN)
        {
          row[11] = csv_time (t->last_refill_at);
          row[12] = g_strdup_printf ("%" G_GINT64_FORMAT, t->last_refill_change);
        }
      fill_empty_cells (row, G_N_ELEMENTS (header));
      g_ptr_array_add (rows, row);
    }

  return write_table (options, header, G_N_ELEMENTS (header), rows, numeric)
         ? LUMA_CLI_EXIT_OK : LUMA_CLI_EXIT_FAILURE;
}

static int
command_export_purchases (const CliOptions *options)
{
  static const gboolean numeric[] = { FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE };
  const char *header[] = {
    _("Performed On"), _("Kind"), _("Change"), _("Total After"), _("Performed By"), _("Reason"),
    _("Reference"), _("Purchase ID"),
  };
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(GPtrArray) purchases = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GError) error = NULL;

  G_STATIC_ASSERT (G_N_ELEMENTS (numeric) == 8);
  cache = open_existing_cache (options, &error);
  if (cache == NULL)
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }
  purchases = luma_cache_get_purchases (cache, NULL, &error);
  if (purchases == NULL)
    {
      print_error ("Cannot read the local cache: %s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }

  for (guint i = 0; i < purchases->len; i++)
    {
      const LumaPurchase *p = g_ptr_array_index (purchases, i);
      char **row = g_new0 (char *, G_N_ELEMENTS (header) + 1);

      row[0] = csv_time (p->performed_on);
      row[1] = g_strdup (luma_purchase_kind_to_string (p->kind));
      row[2] = g_strdup_printf ("%" G_GINT64_FORMAT, p->change);
      row[3] = g_strdup_printf ("%" G_GINT64_FORMAT, p->total_after);
      row[4] = g_strdup (p->performed_by);
      row[5] = g_strdup (p->reason);
      row[6] = g_strdup (p->reference);
      row[7] = g_strdup (p->purchase_id);
      fill_empty_cells (row, G_N_ELEMENTS (header));
      g_ptr_array_add (rows, row);
    }

  return write_table (options, header, G_N_ELEMENTS (header), rows, numeric)
         ? LUMA_CLI_EXIT_OK : LUMA_CLI_EXIT_FAILURE;
}

static int
command_export (const CliOptions *options)
{
  g_autoptr(LumaCache) cache = NULL;
  g_auto(LumaHistoryQuery) query = { 0 };
  g_autoptr(GError) error = NULL;
  LumaLicenseType license_type;
  LumaCsvFlags flags;
  guint64 rows = 0;

  if (g_strcmp0 (options->report, "tenants") == 0)
    return command_export_tenants (options);
  if (g_strcmp0 (options->report, "purchases") == 0)
    return command_export_purchases (options);

  cache = open_existing_cache (options, &error);
  if (cache == NULL)
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }
  if (!luma_cache_get_license_type (cache, &license_type))
    {
      print_error ("Nothing is cached for tenant \"%s\" yet: run --sync first",
                   options->tenant);
      return LUMA_CLI_EXIT_FAILURE;
    }

  luma_history_query_init (&query, license_type);
  query.from = options->from_time;
  query.to = options->to_time;
  query.search = g_strdup (options->search);

  flags = options->bom ? LUMA_CSV_FLAGS_BOM : LUMA_CSV_FLAGS_NONE;

  /* "-" is standard output: the report alone goes there, the count to standard error. */
  if (g_strcmp0 (options->export_csv, "-") == 0)
    {
      g_autoptr(GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);

      if (!luma_csv_export_to_stream (cache, &query, out, flags, NULL, NULL, &rows, NULL,
                                      &error) ||
          !g_output_stream_flush (out, NULL, &error))
        {
          print_error ("%s", error->message);
          return LUMA_CLI_EXIT_FAILURE;
        }
      g_printerr ("%" G_GUINT64_FORMAT " rows written\n", rows);
      return LUMA_CLI_EXIT_OK;
    }

  if (!luma_csv_export_to_path (cache, &query, options->export_csv, flags,
                                NULL, NULL, &rows, NULL, &error))
    {
      print_error ("%s", error->message);
      return LUMA_CLI_EXIT_FAILURE;
    }

  g_print ("%" G_GUINT64_FORMAT " rows written to %s\n", rows, options->export_csv);
  return LUMA_CLI_EXIT_OK;
}

/* ---- Entry point ------------------------------------------------------------------------------ */

int
luma_cli_run (int    argc,
              char **argv)
{
  g_auto(CliOptions) options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  int status;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &options.server,
      N_("Address of the Luma server, e.g. https://luma.example (its API base or just the origin)"), N_("URL") },
    { "tenant", 0, 0, G_OPTION_ARG_STRING, &options.tenant,
      N_("External id of the tenant"), N_("ID") },
    { "superadmin", 0, 0, G_OPTION_ARG_STRING, &options.superadmin,
      N_("Act as this superadmin (password from LUMA_PASSWORD or the keyring)"), N_("USER") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options.ca_file,
      N_("Also trust the certificate authorities in this PEM file"), N_("FILE") },
    { "sync", 0, 0, G_OPTION_ARG_NONE, &options.sync,
      N_("Bring the local cache up to date and print a summary"), NULL },
    { "status", 0, 0, G_OPTION_ARG_NONE, &options.status,
      N_("Print the subscription from the local cache (no network)"), NULL },
    { "export-csv", 0, 0, G_OPTION_ARG_FILENAME, &options.export_csv,
      N_("Write the License Consumption History to a CSV file"), N_("FILE") },
    { "from", 0, 0, G_OPTION_ARG_STRING, &options.from,
      N_("Export only records from this day on"), N_("DATE") },
    { "to", 0, 0, G_OPTION_ARG_STRING, &options.to,
      N_("Export only records up to this day"), N_("DATE") },
    { "search", 0, 0, G_OPTION_ARG_STRING, &options.search,
      N_("Export only records containing this text"), N_("TEXT") },
    { "bom", 0, 0, G_OPTION_ARG_NONE, &options.bom,
      N_("Start the CSV file with a byte-order mark (for Excel)"), NULL },
    { "report", 0, 0, G_OPTION_ARG_STRING, &options.report,
      N_("What --export-csv writes: history (the default), purchases, or tenants (a superadmin's board)"),
      N_("history|purchases|tenants") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      N_("With --status: print JSON and exit 0 OK, 1 warning, 2 critical, 3 unknown"), NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Headless commands: --sync, --status, --export-csv. The API key "
                                  "comes from LUMA_API_KEY or the keyring."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  /* Read once and taken out of the environment: not passed on to anything this starts. */
  options.password = luma_credentials_take_env ("LUMA_PASSWORD");
  options.api_key = luma_credentials_take_env ("LUMA_API_KEY");

  /* Parse a copy: the caller's vector stays intact for the UI. */
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    {
      print_error ("%s (see --help)", error->message);
      return LUMA_CLI_EXIT_USAGE;
    }
  if (args[0] != NULL && args[1] != NULL)
    {
      print_error ("Unexpected argument \"%s\" (see --help)", args[1]);
      return LUMA_CLI_EXIT_USAGE;
    }

  if (!options.sync && !options.status && options.export_csv == NULL)
    {
      print_error ("Nothing to do: give --sync, --status or --export-csv (see --help)");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.server == NULL || *g_strstrip (options.server) == '\0')
    {
      print_error ("--server URL is required");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.report != NULL && g_strcmp0 (options.report, "history") != 0 &&
      g_strcmp0 (options.report, "purchases") != 0 && g_strcmp0 (options.report, "tenants") != 0)
    {
      print_error ("--report %s: expected history, purchases or tenants", options.report);
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.tenant != NULL && *g_strstrip (options.tenant) == '\0')
    g_clear_pointer (&options.tenant, g_free);
  /* A superadmin without --tenant works on its list of every tenant. */
  if (options.tenant == NULL &&
      (options.superadmin == NULL ||
       (options.export_csv != NULL && g_strcmp0 (options.report, "tenants") != 0)))
    {
      print_error (options.superadmin == NULL ? "--tenant ID is required"
                                              : "--tenant ID is required but for --sync, --status "
                                                "and --report tenants");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (g_strcmp0 (options.report, "tenants") == 0 && options.superadmin == NULL)
    {
      print_error ("--report tenants is a superadmin's: give --superadmin USER");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.export_csv == NULL &&
      (options.from != NULL || options.to != NULL || options.search != NULL || options.bom ||
       options.report != NULL))
    {
      print_error ("--from, --to, --search, --bom and --report go with --export-csv");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.report != NULL && g_strcmp0 (options.report, "history") != 0 &&
      (options.from != NULL || options.to != NULL || options.search != NULL))
    {
      print_error ("--from, --to and --search go with the history report");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.json && !options.status)
    {
      print_error ("--json goes with --status");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.status && !options.json && options.tenant == NULL)
    {
      print_error ("--status without --tenant lists every tenant: add --json");
      return LUMA_CLI_EXIT_USAGE;
    }

  if (options.from != NULL && !parse_date (options.from, FALSE, &options.from_time, &error))
    {
      print_error ("--from: %s", error->message);
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.to != NULL && !parse_date (options.to, TRUE, &options.to_time, &error))
    {
      print_error ("--to: %s", error->message);
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.from_time != 0 && options.to_time != 0 && options.from_time > options.to_time)
    {
      print_error ("--from is after --to");
      return LUMA_CLI_EXIT_USAGE;
    }

  /* For monitoring: a failed sync still reports what is cached, and the exit code is the
   * status's (3 when nothing is known). */
  if (options.json)
    {
      if (options.sync)
        command_sync (&options);
      status = command_status_json (&options);
      if (options.export_csv != NULL && command_export (&options) != LUMA_CLI_EXIT_OK)
        return LUMA_REPORT_STATUS_UNKNOWN;
      return status;
    }

  if (options.sync && (status = command_sync (&options)) != LUMA_CLI_EXIT_OK)
    return status;
  if (options.status && (status = command_status (&options)) != LUMA_CLI_EXIT_OK)
    return status;
  if (options.export_csv != NULL && (status = command_export (&options)) != LUMA_CLI_EXIT_OK)
    return status;

  return LUMA_CLI_EXIT_OK;
}
