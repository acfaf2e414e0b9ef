/* test-notify.c: consumption notifications through a real notification server
 *
 * A private dbus-daemon runs a recording org.freedesktop.Notifications server
 * (tests/common/luma-test-notification-server.h); the real `--sync` program ($LUMA_CLI)
 * runs against the sandbox with GNOTIFICATION_BACKEND=freedesktop on that bus, and the test
 * checks exactly what reached the server. Expected texts are computed from the numbers the
 * sandbox reports. Withdrawing is checked in-process with LumaNotifier: the freedesktop
 * backend can only withdraw what the same process sent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include "luma-alerts.h"
#include "luma-cache.h"
#include "luma-notifier.h"
#include "luma-thresholds.h"

#include "luma-test-notification-server.h"
#include "luma-test-sandbox.h"

#define TENANT     "acme"
#define TENANT_KEY "acme-key-0001"

static LumaTestNotificationServer *server;

/* ---- Helpers ---------------------------------------------------------------------------------- */

/* Drops what earlier tests left behind, so each test counts only its own calls. */
static void
reset_server (void)
{
  g_autoptr(GPtrArray) notifications = luma_test_notification_server_take_notifications (server);
  g_autoptr(GArray) closed = luma_test_notification_server_take_closed (server);
}

typedef struct
{
  gint64  consumed;
  gint64  total_purchase;
  gint64  end_date;
  char   *license_type;
} Usage;

/* What the server says now (GET /subscription, as the client sees it). */
static Usage
get_usage (LumaTestSandbox *sb)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), "/subscription", NULL);
  g_autoptr(LumaTestResponse) r = NULL;
  JsonObject *result;
  Usage usage = { 0 };
  g_autoptr(GDateTime) end = NULL;

  r = luma_test_request ("GET", url, NULL, "Luma-api-access-key", TENANT_KEY,
                         "Luma-tenant-externalId", TENANT, NULL);
  luma_test_assert_response (r, 200, NULL);
  result = luma_test_response_get_result (r);
  usage.consumed = json_object_get_int_member (result, "consumed");
  usage.total_purchase = json_object_get_int_member (result, "totalPurchase");
  end = g_date_time_new_from_iso8601 (json_object_get_string_member (result, "endDate"), NULL);
  g_assert_nonnull (end);
  usage.end_date = g_date_time_to_unix (end);
  g_assert_cmpstr (json_object_get_string_member (result, "licenseType"), ==, "SESSION");
  return usage;
}

/* Adds records until consumption reaches @percent % of the total purchase (not beyond the
 * next whole percent), and returns the usage the server then reports. */
static Usage
raise_to_percent (LumaTestSandbox *sb,
                  guint            percent)
{
  Usage usage = get_usage (sb);
  gint64 wanted = (usage.total_purchase * percent + 99) / 100;

  g_assert_cmpint (usage.consumed, <=, wanted);
  if (usage.consumed < wanted)
    luma_test_sandbox_add_records (sb, TENANT, (guint) (wanted - usage.consumed));
  usage = get_usage (sb);
  g_assert_cmpint (usage.consumed * 100 / usage.total_purchase, ==, percent);
  return usage;
}

static void
set_total_purchase (LumaTestSandbox *sb,
                    gint64           total)
{
  g_autofree char *body = g_strdup_printf ("{\"totalPurchase\": %" G_GINT64_FORMAT "}", total);
  g_autoptr(JsonNode) node = NULL;

  node = luma_test_sandbox_control (sb, "PUT", "/sandbox/tenants/" TENANT "/subscription",
                                    body, NULL);
}

/* The text a person should read, written out here from the numbers (C locale: no digit
 * grouping), independently of luma-thresholds. */
static char *
expected_title (const Usage *usage)
{
  return g_strdup_printf ("%d %% of licenses used",
                          (int) (usage->consumed * 100 / usage->total_purchase));
}

static char *
expected_body (const Usage *usage)
{
  g_autoptr(GDateTime) end = g_date_time_new_from_unix_utc (usage->end_date);
  g_autofree char *day = g_date_time_format (end, "%x");

  g_autofree char *left = NULL;

  if (usage->consumed > usage->total_purchase)
    left = g_strdup_printf ("%" G_GINT64_FORMAT " more than purchased",
                            usage->consumed - usage->total_purchase);
  else if (usage->consumed == usage->total_purchase)
    left = g_strdup ("none left");
  else
    left = g_strdup_printf ("%" G_GINT64_FORMAT " left", usage->total_purchase - usage->consumed);

  return g_strdup_printf ("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " sessions used, %s. "
                          "The contract ends on %s.",
                          usage->consumed, usage->total_purchase, left, day);
}

/* The freedesktop urgency a priority may arrive as: normal is 1, urgent is 2 (critical);
 * high is 1 or 2 depending on the GLib version (2.74 sends 1, later ones 2). */
static void
assert_urgency (LumaTestNotification  *n,
                GNotificationPriority  priority)
{
  gint urgency = luma_test_notification_get_hint_byte (n, "urgency");

  switch (priority)
    {
    case G_NOTIFICATION_PRIORITY_NORMAL:
      g_assert_cmpint (urgency, ==, 1);
      break;
    case G_NOTIFICATION_PRIORITY_HIGH:
      g_assert_cmpint (urgency, >=, 1);
      g_assert_cmpint (urgency, <=, 2);
      break;
    case G_NOTIFICATION_PRIORITY_URGENT:
      g_assert_cmpint (urgency, ==, 2);
      break;
    case G_NOTIFICATION_PRIORITY_LOW:
    default:
      g_assert_not_reached ();
    }
}

static void
assert_threshold_notification (LumaTestNotification  *n,
                               const Usage           *usage,
                               GNotificationPriority  priority)
{
  g_autofree char *title = expected_title (usage);
  g_autofree char *body = expected_body (usage);

  g_assert_cmpstr (n->summary, ==, title);
  g_assert_cmpstr (n->body, ==, body);
  g_assert_cmpstr (luma_test_notification_get_hint_string (n, "desktop-entry"), ==, APP_ID);
  assert_urgency (n, priority);
  /* The default action (the Subscription page) and the button for the history. */
  g_assert_nonnull (luma_test_notification_get_action (n, "default"));
  g_assert_cmpuint (g_strv_length (n->actions), ==, 4);
  g_assert_cmpstr (n->actions[0], ==, "default");
  {
    g_autofree char *name = NULL;
    g_autoptr(GVariant) target = NULL;
    g_autoptr(GError) error = NULL;

    g_action_parse_detailed_name (n->actions[2], &name, &target, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (name, ==, "app.show-history");
    g_assert_nonnull (target);
    g_assert_cmpstr (g_variant_get_string (target, NULL), ==, TENANT);
    g_assert_cmpstr (n->actions[3], ==, "Show History");
  }
}

/* ---- Running the real program ----------------------------------------------------------------- */

static const char *
cli_program (void)
{
  const char *program = g_getenv ("LUMA_CLI");

  if (program == NULL || *program == '\0')
    g_error ("LUMA_CLI is not set: run this test through `meson test`");
  return program;
}

/* `--sync` on the test bus; returns what it sent, after the bus has seen it leave. */
static GPtrArray *
run_sync (LumaTestSandbox *sb,
          const char      *gsettings_backend)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", TENANT_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                luma_test_notification_server_get_address (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "GNOTIFICATION_BACKEND", "freedesktop", TRUE);
  if (gsettings_backend != NULL)
    g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", gsettings_backend, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);

  luma_test_notification_server_mark (server);
  process = g_subprocess_launcher_spawn (launcher, &error, cli_program (),
                                         "--server", luma_test_sandbox_get_url (sb),
                                         "--tenant", TENANT, "--sync", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("--sync: %s%s", out, err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (err, ==, "");

  luma_test_notification_server_sync (server);
  return luma_test_notification_server_take_notifications (server);
}

static GArray *
take_closed (void)
{
  return luma_test_notification_server_take_closed (server);
}

static LumaTestSandbox *
start_sandbox (void)
{
  return luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                  "--licenses", "1000", NULL);
}

/* Stores the tenant's alert settings in the cache the `--sync` program will use (created
 * here when it does not exist yet). */
static void
choose_alerts (LumaTestSandbox *sb,
               const char      *settings_text)
{
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  LumaAlertSettings settings;

  luma_alert_settings_init_default (&settings);
  g_assert_true (luma_alert_settings_from_string (&settings, settings_text));
  cache = luma_cache_open_for_account (luma_test_sandbox_get_url (sb), TENANT, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (luma_alert_settings_save (&settings, cache, TENANT, NULL, &error));
  g_assert_no_error (error);
  luma_cache_close (cache);
}

/* The percentages of the tests written before the look-ahead alerts, alone: the sandbox's
 * term is the current calendar year, which may well end within 60 days. */
#define PERCENTAGES_ONLY "percents=75,85,95,100;run-out-days=0;contract-end-days=0"

static void
write_notifications_setting (gboolean enabled)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", NULL);
  g_autofree char *path = g_build_filename (dir, "keyfile", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  text = g_strdup_printf ("[io/github/lumadesk/Subscription]\nnotifications-enabled=%s\n",
                          enabled ? "true" : "false");
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* The percents the cache of the `--sync` program recorded for the current term. */
static GArray *
cached_thresholds (LumaTestSandbox *sb)
{
  g_autofree char *path = luma_cache_path_for_account (luma_test_sandbox_get_url (sb), TENANT);
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSubscription) subscription = NULL;
  g_autoptr(GError) error = NULL;
  GArray *percents;

  cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  subscription = luma_cache_get_subscription (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subscription);
  percents = luma_cache_get_notified_thresholds (cache, TENANT, subscription->start_date, &error);
  g_assert_no_error (error);
  luma_cache_close (cache);
  return percents;
}

static void
assert_percents (GArray *percents,
                 ...)
{
  va_list ap;
  guint i = 0;

  va_start (ap, percents);
  for (int p = va_arg (ap, int); p != 0; p = va_arg (ap, int), i++)
    {
      g_assert_cmpuint (i, <, percents->len);
      g_assert_cmpint (g_array_index (percents, gint, i), ==, p);
    }
  va_end (ap);
  g_assert_cmpuint (percents->len, ==, i);
}

/* ---- Tests: the command line ------------------------------------------------------------------ */

static void
test_cli_crossings (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) refilled = NULL;
  g_autoptr(GPtrArray) rearmed = NULL;
  g_autoptr(GPtrArray) urgent = NULL;
  g_autoptr(GPtrArray) full = NULL;
  g_autoptr(GArray) percents = NULL;
  Usage usage;

  reset_server ();
  choose_alerts (sb, PERCENTAGES_ONLY);

  /* 76 %: one notification, for 75 %. */
  usage = raise_to_percent (sb, 76);
  first = run_sync (sb, NULL);
  g_assert_cmpuint (first->len, ==, 1);
  assert_threshold_notification (first->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);

  /* Nothing new: nothing said. */
  again = run_sync (sb, NULL);
  g_assert_cmpuint (again->len, ==, 0);

  /* 86 %: exactly one more. */
  usage = raise_to_percent (sb, 86);
  second = run_sync (sb, NULL);
  g_assert_cmpuint (second->len, ==, 1);
  assert_threshold_notification (second->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);
  percents = cached_thresholds (sb);
  assert_percents (percents, 75, 85, 0);
  g_clear_pointer (&percents, g_array_unref);

  /* A refill brings consumption under 75 %: nothing to say, both thresholds re-armed... */
  set_total_purchase (sb, usage.total_purchase * 2);
  refilled = run_sync (sb, NULL);
  g_assert_cmpuint (refilled->len, ==, 0);
  percents = cached_thresholds (sb);
  assert_percents (percents, 0);
  g_clear_pointer (&percents, g_array_unref);

  /* ...so the next crossing of 75 % is notified again. */
  usage = raise_to_percent (sb, 75);
  rearmed = run_sync (sb, NULL);
  g_assert_cmpuint (rearmed->len, ==, 1);
  assert_threshold_notification (rearmed->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);

  /* Straight past 85 and 95 to 96 %: one notification, for 95 %, with high priority. */
  usage = raise_to_percent (sb, 96);
  urgent = run_sync (sb, NULL);
  g_assert_cmpuint (urgent->len, ==, 1);
  assert_threshold_notification (urgent->pdata[0], &usage, G_NOTIFICATION_PRIORITY_HIGH);
  percents = cached_thresholds (sb);
  assert_percents (percents, 75, 85, 95, 0);

  /* 100 %: urgent. */
  usage = raise_to_percent (sb, 100);
  full = run_sync (sb, NULL);
  g_assert_cmpuint (full->len, ==, 1);
  assert_threshold_notification (full->pdata[0], &usage, G_NOTIFICATION_PRIORITY_URGENT);
}

static void
test_cli_disabled (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GPtrArray) off = NULL;
  g_autoptr(GPtrArray) on = NULL;
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GArray) percents = NULL;
  Usage usage;

  reset_server ();
  choose_alerts (sb, PERCENTAGES_ONLY);

  /* Preferences off (a keyfile backend, so the child reads what the test wrote). */
  write_notifications_setting (FALSE);
  raise_to_percent (sb, 80);
  off = run_sync (sb, "keyfile");
  g_assert_cmpuint (off->len, ==, 0);
  /* ...but the crossing is recorded. */
  percents = cached_thresholds (sb);
  assert_percents (percents, 75, 0);

  /* Turned on later: the old crossing is not replayed, the next one is told. */
  write_notifications_setting (TRUE);
  on = run_sync (sb, "keyfile");
  g_assert_cmpuint (on->len, ==, 0);

  usage = raise_to_percent (sb, 90);
  next = run_sync (sb, "keyfile");
  g_assert_cmpuint (next->len, ==, 1);
  assert_threshold_notification (next->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);
}

static void
test_cli_no_session_bus (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) percents = NULL;
  g_autoptr(GPtrArray) later = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Usage usage;

  reset_server ();
  choose_alerts (sb, PERCENTAGES_ONLY);

  /* No session bus (a cron job, ssh): the sync succeeds quietly and leaves the crossing for
   * a sync that can show it. */
  usage = raise_to_percent (sb, 77);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", TENANT_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                "unix:path=/nonexistent/bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, cli_program (),
                                         "--server", luma_test_sandbox_get_url (sb),
                                         "--tenant", TENANT, "--sync", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("--sync: %s%s", out, err);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  percents = cached_thresholds (sb);
  assert_percents (percents, 0);

  later = run_sync (sb, NULL);
  g_assert_cmpuint (later->len, ==, 1);
  assert_threshold_notification (later->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);
}

/* Chosen percentages: each told once, the others never. */
static void
test_cli_chosen_percentages (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) between = NULL;
  g_autoptr(GPtrArray) past_75 = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GArray) percents = NULL;
  Usage usage;

  reset_server ();
  choose_alerts (sb, "percents=50,90;run-out-days=0;contract-end-days=0");

  usage = raise_to_percent (sb, 51);
  first = run_sync (sb, NULL);
  g_assert_cmpuint (first->len, ==, 1);
  assert_threshold_notification (first->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);

  raise_to_percent (sb, 60);
  between = run_sync (sb, NULL);
  g_assert_cmpuint (between->len, ==, 0);

  /* 75 % is not chosen. */
  raise_to_percent (sb, 76);
  past_75 = run_sync (sb, NULL);
  g_assert_cmpuint (past_75->len, ==, 0);

  usage = raise_to_percent (sb, 91);
  second = run_sync (sb, NULL);
  g_assert_cmpuint (second->len, ==, 1);
  assert_threshold_notification (second->pdata[0], &usage, G_NOTIFICATION_PRIORITY_NORMAL);

  again = run_sync (sb, NULL);
  g_assert_cmpuint (again->len, ==, 0);
  percents = cached_thresholds (sb);
  assert_percents (percents, 50, 90, 0);
}

static char *
utc_day (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%d");
}

/* The look-ahead alerts, each once per term: a term of 100 days so far and 40 to go, 600
 * sessions spread over it (about 6 a day), 700 bought: about 17 days left at that rate. */
static void
test_cli_look_ahead (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *start = utc_day (now - 100 * 24 * 3600);
  g_autofree char *end = utc_day (now + 40 * 24 * 3600);
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                                           "--licenses", "700", "--seed", "600",
                                                           "--start", start, "--end", end, NULL);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(GArray) codes = NULL;
  g_autofree char *contract_title = NULL;
  LumaTestNotification *run_out = NULL, *contract = NULL;
  Usage usage = get_usage (sb);
  gint64 days_left;

  reset_server ();
  /* The look-ahead alerts alone (the defaults: 30 and 60 days). */
  choose_alerts (sb, "percents=;run-out-days=30;contract-end-days=60");

  first = run_sync (sb, NULL);
  g_assert_cmpuint (first->len, ==, 2);
  for (guint i = 0; i < first->len; i++)
    {
      LumaTestNotification *n = first->pdata[i];

      if (g_str_has_prefix (n->summary, "Licenses run out in "))
        run_out = n;
      else if (g_str_has_prefix (n->summary, "The contract ends in "))
        contract = n;
    }
  g_assert_nonnull (run_out);
  g_assert_nonnull (contract);
  g_assert_true (g_str_has_prefix (run_out->body, "At the current rate the licenses run out in "));
  g_assert_nonnull (strstr (run_out->body, " of 700 sessions used"));
  assert_urgency (run_out, G_NOTIFICATION_PRIORITY_HIGH);
  /* Whole days to the end of the term, rounded up, as the sandbox reports it. */
  days_left = (usage.end_date - now + 24 * 3600 - 1) / (24 * 3600);
  contract_title = g_strdup_printf ("The contract ends in %d days", (int) days_left);
  /* A second may pass between the two readings of the clock. */
  if (g_strcmp0 (contract->summary, contract_title) != 0)
    {
      g_free (contract_title);
      contract_title = g_strdup_printf ("The contract ends in %d days", (int) days_left - 1);
    }
  g_assert_cmpstr (contract->summary, ==, contract_title);
  assert_urgency (contract, G_NOTIFICATION_PRIORITY_NORMAL);
  g_assert_nonnull (luma_test_notification_get_action (contract, "default"));

  again = run_sync (sb, NULL);
  g_assert_cmpuint (again->len, ==, 0);

  /* Still due after more consumption: not told again in this term. */
  luma_test_sandbox_add_records (sb, TENANT, 20);
  more = run_sync (sb, NULL);
  g_assert_cmpuint (more->len, ==, 0);

  codes = cached_thresholds (sb);
  assert_percents (codes, LUMA_ALERT_CODE_CONTRACT_END, LUMA_ALERT_CODE_RUN_OUT, 0);
}

/* ---- Tests: LumaNotifier in-process ----------------------------------------------------------- */

static LumaSubscription *
subscription_new (gint64 start_date,
                  gint64 consumed,
                  gint64 total_purchase)
{
  LumaSubscription *sub = g_new0 (LumaSubscription, 1);

  sub->external_id = g_strdup (TENANT);
  sub->tenant_name = g_strdup ("Acme Corporation");
  sub->license_type = LUMA_LICENSE_TYPE_SESSION;
  sub->start_date = start_date;
  sub->end_date = start_date + 365 * 24 * 3600 - 1;
  sub->session_duration_minutes = 30;
  sub->total_purchase = total_purchase;
  sub->consumed = consumed;
  sub->available = MAX (0, total_purchase - consumed);
  sub->overage = MAX (0, consumed - total_purchase);
  sub->technical_emails = g_strsplit ("it@acme.example", ",", -1);
  sub->billing_emails = g_strsplit ("finance@acme.example", ",", -1);
  sub->version = 1;
  return sub;
}

typedef struct
{
  GApplication *application;
  LumaCache    *cache;
  LumaNotifier *notifier;
} InProcess;

static void
in_process_choose (InProcess              *ip,
                   const char             *settings_text,
                   const LumaSubscription *subscription)
{
  g_autoptr(GError) error = NULL;
  LumaAlertSettings settings;

  luma_alert_settings_init_default (&settings);
  g_assert_true (luma_alert_settings_from_string (&settings, settings_text));
  g_assert_true (luma_alert_settings_save (&settings, ip->cache, TENANT, subscription, &error));
  g_assert_no_error (error);
}

/* Evaluates, then waits until the server handled what was sent and the answers came back
 * (the backend needs the server's id to withdraw later). */
static LumaThreshold
evaluate (InProcess        *ip,
          LumaSubscription *sub,
          gboolean          enabled,
          GPtrArray       **sent_out,
          GArray          **closed_out)
{
  g_autoptr(GError) error = NULL;
  LumaThreshold notified = LUMA_THRESHOLD_NONE;

  g_assert_true (luma_notifier_evaluate (ip->notifier, sub, enabled, &notified, &error));
  g_assert_no_error (error);

  luma_test_notification_server_sync_with (server,
                                           g_application_get_dbus_connection (ip->application));
  while (g_main_context_iteration (NULL, FALSE))
    ;

  *sent_out = luma_test_notification_server_take_notifications (server);
  *closed_out = take_closed ();
  return notified;
}

static void
test_notifier_withdraw_and_terms (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "notify.sqlite", NULL);
  g_autoptr(LumaSubscription) s1 = NULL;
  g_autoptr(LumaSubscription) s2 = NULL;
  g_autoptr(LumaSubscription) s3 = NULL;
  g_autoptr(LumaSubscription) s4 = NULL;
  g_autoptr(LumaSubscription) s5 = NULL;
  g_autoptr(LumaSubscription) s6 = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GArray) closed = NULL;
  g_autoptr(GArray) percents = NULL;
  gint64 term = 1767225600;        /* 2026-01-01T00:00:00Z */
  gint64 next_term = term + 365 * 24 * 3600;
  guint32 id75, id85, id75_again;
  InProcess ip = { 0 };

  reset_server ();

  /* Registered like the headless --sync does, on the test bus. */
  ip.application = g_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_application_register (ip.application, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_application_get_dbus_connection (ip.application));
  ip.cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  ip.notifier = luma_notifier_new (ip.application, ip.cache);
  luma_notifier_set_name_tenant (ip.notifier, TRUE);
  in_process_choose (&ip, PERCENTAGES_ONLY, NULL);

  /* 76 %: 75 % is told, nothing withdrawn. */
  s1 = subscription_new (term, 760, 1000);
  g_assert_cmpint (evaluate (&ip, s1, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_75);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpuint (closed->len, ==, 0);
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[0])->summary, ==,
                   "Acme Corporation: 76 % of licenses used");
  id75 = ((LumaTestNotification *) sent->pdata[0])->id;
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* 86 %: 85 % is told and the 75 % notification is withdrawn. */
  s2 = subscription_new (term, 860, 1000);
  g_assert_cmpint (evaluate (&ip, s2, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_85);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpuint (((LumaTestNotification *) sent->pdata[0])->replaces_id, ==, 0);
  id85 = ((LumaTestNotification *) sent->pdata[0])->id;
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (g_array_index (closed, guint32, 0), ==, id75);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* A refill to 43 %: nothing told, the out-of-date 85 % notification withdrawn. */
  s3 = subscription_new (term, 860, 2000);
  g_assert_cmpint (evaluate (&ip, s3, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (g_array_index (closed, guint32, 0), ==, id85);
  percents = luma_cache_get_notified_thresholds (ip.cache, TENANT, term, &error);
  g_assert_no_error (error);
  assert_percents (percents, 0);
  g_clear_pointer (&percents, g_array_unref);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Re-armed: 75 % again; urgency normal. */
  s4 = subscription_new (term, 1500, 2000);
  g_assert_cmpint (evaluate (&ip, s4, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_75);
  g_assert_cmpuint (sent->len, ==, 1);
  assert_urgency (sent->pdata[0], G_NOTIFICATION_PRIORITY_NORMAL);
  id75_again = ((LumaTestNotification *) sent->pdata[0])->id;
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Notifications off at 100 %: nothing sent or withdrawn, the crossing recorded. */
  s5 = subscription_new (term, 2000, 2000);
  g_assert_cmpint (evaluate (&ip, s5, FALSE, &sent, &closed), ==, LUMA_THRESHOLD_100);
  g_assert_cmpuint (sent->len, ==, 0);
  g_assert_cmpuint (closed->len, ==, 0);
  percents = luma_cache_get_notified_thresholds (ip.cache, TENANT, term, &error);
  g_assert_no_error (error);
  assert_percents (percents, 75, 85, 95, 100, 0);
  g_clear_pointer (&percents, g_array_unref);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* A new term starts fresh: straight at 100 %, one urgent notification; the 75 % one of the
   * old term is withdrawn. */
  s6 = subscription_new (next_term, 1000, 1000);
  g_assert_cmpint (evaluate (&ip, s6, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_100);
  g_assert_cmpuint (sent->len, ==, 1);
  assert_urgency (sent->pdata[0], G_NOTIFICATION_PRIORITY_URGENT);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (g_array_index (closed, guint32, 0), ==, id75_again);
  percents = luma_cache_get_notified_thresholds (ip.cache, TENANT, next_term, &error);
  g_assert_no_error (error);
  assert_percents (percents, 75, 85, 95, 100, 0);

  /* Evaluating the same state again says nothing. */
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);
  g_assert_cmpint (evaluate (&ip, s6, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);
  g_assert_cmpuint (closed->len, ==, 0);

  g_clear_object (&ip.notifier);
  luma_cache_close (ip.cache);
  g_clear_object (&ip.cache);
  g_clear_object (&ip.application);
}

/* The notification spec makes the body markup on servers with "body-markup" and the summary
 * plain text. The tenant's name (server text) goes only into the summary, as it is; the body
 * holds no character markup would read, so it shows the same on every server. */
static void
test_notifier_plain_text (void)
{
  const char *name = "<a href=\"x\">link</a> R&D.csv";
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "notify-plain.sqlite", NULL);
  g_autoptr(LumaSubscription) sub = subscription_new (1767225600, 760, 1000);
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GArray) closed = NULL;
  g_autofree char *summary = g_strdup_printf ("%s: 76 %% of licenses used", name);
  LumaTestNotification *n;
  InProcess ip = { 0 };

  reset_server ();
  ip.application = g_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_application_register (ip.application, NULL, &error);
  g_assert_no_error (error);
  ip.cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  ip.notifier = luma_notifier_new (ip.application, ip.cache);
  luma_notifier_set_name_tenant (ip.notifier, TRUE);
  in_process_choose (&ip, PERCENTAGES_ONLY, NULL);

  g_free (sub->tenant_name);
  sub->tenant_name = g_strdup (name);
  g_assert_cmpint (evaluate (&ip, sub, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_75);
  g_assert_cmpuint (sent->len, ==, 1);
  n = sent->pdata[0];
  g_assert_cmpstr (n->summary, ==, summary);
  g_assert_null (strpbrk (n->body, "<>&"));
  g_assert_null (strstr (n->body, "link"));

  g_clear_object (&ip.notifier);
  luma_cache_close (ip.cache);
  g_clear_object (&ip.cache);
  g_clear_object (&ip.application);
}

/* Changing the choice does not replay what is due already; what becomes due later is told. */
static void
test_notifier_changes_do_not_replay (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "notify-changes.sqlite", NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  /* A term well in progress and far from its end, whatever the date the test runs on. */
  gint64 term = now - now % (24 * 3600) - 100 * 24 * 3600;
  g_autoptr(LumaSubscription) at_90 = subscription_new (term, 900, 1000);
  g_autoptr(LumaSubscription) at_97 = subscription_new (term, 970, 1000);
  g_autoptr(LumaSubscription) ending = NULL;
  g_autoptr(LumaSubscription) next = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GArray) closed = NULL;
  InProcess ip = { 0 };

  reset_server ();
  ip.application = g_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_application_register (ip.application, NULL, &error);
  g_assert_no_error (error);
  ip.cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  ip.notifier = luma_notifier_new (ip.application, ip.cache);
  in_process_choose (&ip, PERCENTAGES_ONLY, NULL);

  /* 90 %: 85 % told. */
  g_assert_cmpint (evaluate (&ip, at_90, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_85);
  g_assert_cmpuint (sent->len, ==, 1);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Now 80, 90 and 97 are chosen, at 90 %: 80 and 90 are past, not news. */
  in_process_choose (&ip, "percents=80,90,97;run-out-days=0;contract-end-days=0", at_90);
  g_assert_cmpint (evaluate (&ip, at_90, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* 97 % is crossed later: told, once. */
  g_assert_cmpint (evaluate (&ip, at_97, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[0])->summary, ==, "97 % of licenses used");
  assert_urgency (sent->pdata[0], G_NOTIFICATION_PRIORITY_HIGH);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);
  g_assert_cmpint (evaluate (&ip, at_97, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* The end moved to 20 days from now, then the contract-end alert turned on: due at once,
   * so not told... */
  ending = subscription_new (term, 970, 1000);
  ending->end_date = now + 20 * 24 * 3600;
  in_process_choose (&ip, "percents=80,90,97;run-out-days=0;contract-end-days=60", ending);
  g_assert_cmpint (evaluate (&ip, ending, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* ...but in the next term, where it comes due after the choice, it is told once. */
  next = subscription_new (now - 10 * 24 * 3600, 10, 1000);
  next->end_date = now + 20 * 24 * 3600;
  g_assert_cmpint (evaluate (&ip, next, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[0])->summary, ==,
                   "The contract ends in 20 days");
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);
  g_assert_cmpint (evaluate (&ip, next, TRUE, &sent, &closed), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpuint (sent->len, ==, 0);

  g_clear_object (&ip.notifier);
  luma_cache_close (ip.cache);
  g_clear_object (&ip.cache);
  g_clear_object (&ip.application);
}

/* ---- Tests: every tenant of a superadmin at once ------------------------------------------------ */

static LumaTenantSummary *
tenant_new (const char *id,
            gint64      start_date,
            gint64      consumed,
            gint64      total_purchase)
{
  LumaTenantSummary *t = g_new0 (LumaTenantSummary, 1);

  t->external_id = g_strdup (id);
  t->tenant_name = g_strdup_printf ("Tenant %s", id);
  t->license_type = LUMA_LICENSE_TYPE_SESSION;
  t->start_date = start_date;
  t->end_date = start_date + 365 * 24 * 3600 - 1;
  t->total_purchase = total_purchase;
  t->consumed = consumed;
  t->available = MAX (0, total_purchase - consumed);
  t->overage = MAX (0, consumed - total_purchase);
  return t;
}

static GStrv
evaluate_tenants (InProcess  *ip,
                  GPtrArray  *tenants,
                  GPtrArray **sent_out,
                  GArray    **closed_out)
{
  g_autoptr(GError) error = NULL;
  GStrv crossed = NULL;

  g_assert_true (luma_notifier_evaluate_tenants (ip->notifier, tenants, TRUE, &crossed, &error));
  g_assert_no_error (error);
  g_assert_nonnull (crossed);
  luma_test_notification_server_sync_with (server,
                                           g_application_get_dbus_connection (ip->application));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  *sent_out = luma_test_notification_server_take_notifications (server);
  *closed_out = take_closed ();
  return crossed;
}

static LumaTenantSummary *
tenant_at (GPtrArray *tenants,
           guint      i)
{
  return g_ptr_array_index (tenants, i);
}

/* Ten tenants in one check: a few crossings give one notification each, named; many give one
 * summary that opens the board on them; nothing repeats; a refill re-arms. */
static void
test_notifier_tenants (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "notify-tenants.sqlite", NULL);
  g_autoptr(GPtrArray) tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_tenant_summary_free);
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GArray) closed = NULL;
  g_auto(GStrv) crossed = NULL;
  gint64 term = 1767225600;        /* 2026-01-01T00:00:00Z */
  LumaTestNotification *n;
  guint32 id_t1;
  InProcess ip = { 0 };

  reset_server ();
  ip.application = g_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_application_register (ip.application, NULL, &error);
  g_assert_no_error (error);
  ip.cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  ip.notifier = luma_notifier_new (ip.application, ip.cache);
  luma_notifier_set_name_tenant (ip.notifier, TRUE);

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("t%u", i);

      g_ptr_array_add (tenants, tenant_new (id, term, 100, 1000));
    }

  /* Everyone at 10 %: nothing. */
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 0);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Two tenants cross (76 % and 96 %): one notification each, named, in the list's order. */
  tenant_at (tenants, 1)->consumed = 760;
  tenant_at (tenants, 2)->consumed = 960;
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 2);
  g_assert_cmpuint (sent->len, ==, 2);
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[0])->summary, ==, "Tenant t1: 76 % of licenses used");
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[1])->summary, ==, "Tenant t2: 96 % of licenses used");
  assert_urgency (sent->pdata[1], G_NOTIFICATION_PRIORITY_HIGH);
  id_t1 = ((LumaTestNotification *) sent->pdata[0])->id;
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* The next check with the same numbers: nothing repeats. */
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 0);
  g_assert_cmpuint (sent->len, ==, 0);
  g_assert_cmpuint (closed->len, ==, 0);
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Five cross at once (75 % four times, 100 % once): one summary, by the lowest threshold,
   * opening the board; the priority of the highest. */
  for (guint i = 3; i < 7; i++)
    tenant_at (tenants, i)->consumed = 800;
  tenant_at (tenants, 7)->consumed = 1000;
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 5);
  g_assert_true (g_strv_contains ((const char * const *) crossed, "t3"));
  g_assert_true (g_strv_contains ((const char * const *) crossed, "t7"));
  g_assert_cmpuint (sent->len, ==, 1);
  n = sent->pdata[0];
  g_assert_cmpstr (n->summary, ==, "5 tenants passed 75 %");
  g_assert_cmpstr (n->body, ==, "4 now at 75 %, 1 now at 100 %. Open the tenants board to see which.");
  g_assert_nonnull (luma_test_notification_get_action (n, "default"));
  assert_urgency (n, G_NOTIFICATION_PRIORITY_URGENT);
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* Again: nothing. */
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (sent->len, ==, 0);
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* A refill of t1 (to 38 %): re-armed, its notification withdrawn, nothing sent. */
  tenant_at (tenants, 1)->total_purchase = 2000;
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 0);
  g_assert_cmpuint (sent->len, ==, 0);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (g_array_index (closed, guint32, 0), ==, id_t1);
  g_clear_pointer (&crossed, g_strfreev);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&closed, g_array_unref);

  /* ... so crossing 75 % again is told again. */
  tenant_at (tenants, 1)->consumed = 1520;
  crossed = evaluate_tenants (&ip, tenants, &sent, &closed);
  g_assert_cmpuint (g_strv_length (crossed), ==, 1);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (((LumaTestNotification *) sent->pdata[0])->summary, ==, "Tenant t1: 76 % of licenses used");

  g_clear_object (&ip.notifier);
  luma_cache_close (ip.cache);
  g_clear_object (&ip.cache);
  g_clear_object (&ip.application);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  server = luma_test_notification_server_start ();
  /* For the in-process GApplication; children get it explicitly. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", luma_test_notification_server_get_address (server), TRUE);
  g_setenv ("GNOTIFICATION_BACKEND", "freedesktop", TRUE);

  g_test_add_func ("/notify/cli/crossings", test_cli_crossings);
  g_test_add_func ("/notify/cli/disabled", test_cli_disabled);
  g_test_add_func ("/notify/cli/no-session-bus", test_cli_no_session_bus);
  g_test_add_func ("/notify/notifier/withdraw-and-terms", test_notifier_withdraw_and_terms);
  g_test_add_func ("/notify/notifier/plain-text", test_notifier_plain_text);
  g_test_add_func ("/notify/cli/chosen-percentages", test_cli_chosen_percentages);
  g_test_add_func ("/notify/cli/look-ahead", test_cli_look_ahead);
  g_test_add_func ("/notify/notifier/changes-do-not-replay", test_notifier_changes_do_not_replay);
  g_test_add_func ("/notify/notifier/tenants", test_notifier_tenants);

  status = g_test_run ();
  luma_test_notification_server_stop (server);
  return status;
}
