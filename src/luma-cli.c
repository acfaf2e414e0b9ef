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
  if (luma_account_get_secret (account) != NULL && *luma_account_get_secret (account) == '\0')
    luma_account_set_secret (account, NULL);
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

static int
command_export (const CliOptions *options)
{
  g_autoptr(LumaCache) cache = NULL;
  g_auto(LumaHistoryQuery) query = { 0 };
  g_autoptr(GError) error = NULL;
  LumaLicenseType license_type;
  LumaCsvFlags flags;
  guint64 rows = 0;

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
  if (options.tenant == NULL || *g_strstrip (options.tenant) == '\0')
    {
      print_error ("--tenant ID is required");
      return LUMA_CLI_EXIT_USAGE;
    }
  if (options.export_csv == NULL &&
      (options.from != NULL || options.to != NULL || options.search != NULL || options.bom))
    {
      print_error ("--from, --to, --search and --bom go with --export-csv");
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

  if (options.sync && (status = command_sync (&options)) != LUMA_CLI_EXIT_OK)
    return status;
  if (options.status && (status = command_status (&options)) != LUMA_CLI_EXIT_OK)
    return status;
  if (options.export_csv != NULL && (status = command_export (&options)) != LUMA_CLI_EXIT_OK)
    return status;

  return LUMA_CLI_EXIT_OK;
}
