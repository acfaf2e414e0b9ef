/* test-report.c: --status --json, its exit codes and the --report CSV files, against the sandbox
 *
 * The real program ($LUMA_CLI) runs as a tenant admin and as a superadmin. Its JSON is parsed
 * with json-glib and its CSV with a small RFC 4180 reader here; every value is compared with
 * what the sandbox answers over the API (GET /subscription, /subscription/purchases,
 * /platform/tenants), fetched by the test itself. The statuses and exit codes are written out
 * here from the documented rule (85 % warning, 95 % or over critical), not taken from src/.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-test-sandbox.h"

#define ADMIN    "root"
#define PASSWORD "s3cret"

typedef struct
{
  int   status;
  char *out;
  char *err;
} CliResult;

static void
cli_result_free (CliResult *r)
{
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

/* The program with @env_name=@env_value (NULL: neither secret set), no keyring reachable. */
static CliResult *
run_cli (const char *env_name,
         const char *env_value,
         ...) G_GNUC_NULL_TERMINATED;

static CliResult *
run_cli (const char *env_name,
         const char *env_value,
         ...)
{
  const char *program = g_getenv ("LUMA_CLI");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  CliResult *r = g_new0 (CliResult, 1);
  va_list ap;

  g_assert_nonnull (program);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "LUMA_API_KEY");
  g_subprocess_launcher_unsetenv (launcher, "LUMA_PASSWORD");
  if (env_name != NULL)
    g_subprocess_launcher_setenv (launcher, env_name, env_value, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);

  g_ptr_array_add (argv, (gpointer) program);
  va_start (ap, env_value);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
  return r;
}

/* Three tenants at 50 %, 90 % and 101 % of 1000 licenses, and a superadmin. */
static LumaTestSandbox *
start_sandbox (void)
{
  return luma_test_sandbox_start ("--superadmin", ADMIN ":" PASSWORD,
                                  "--tenant", "half", "--api-key", "half-key", "--tenant-name", "Half, Inc.",
                                  "--licenses", "1000", "--seed", "500",
                                  "--tenant", "ninety", "--api-key", "ninety-key", "--tenant-name", "=Ninety",
                                  "--licenses", "1000", "--seed", "900",
                                  "--tenant", "over", "--api-key", "over-key",
                                  "--licenses", "1000", "--seed", "1010", NULL);
}

static char *
login (LumaTestSandbox *sb)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), "/platform/login", NULL);
  g_autoptr(LumaTestResponse) r = luma_test_request ("POST", url,
                                                     "{\"username\": \"" ADMIN "\", \"password\": \"" PASSWORD "\"}",
                                                     NULL, NULL);

  luma_test_assert_response (r, 200, NULL);
  return g_strdup (json_object_get_string_member (luma_test_response_get_result (r), "token"));
}

/* GET @path as the superadmin: the items of resultData (a new reference). */
static JsonArray *
platform_items (LumaTestSandbox *sb,
                const char      *path)
{
  g_autofree char *token = login (sb);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), path, NULL);
  g_autoptr(LumaTestResponse) r = luma_test_request ("GET", url, NULL, "Authorization", auth, NULL);

  luma_test_assert_response (r, 200, NULL);
  return json_array_ref (json_object_get_array_member (luma_test_response_get_result (r), "items"));
}

static JsonObject *
find_tenant (JsonArray  *items,
             const char *id)
{
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *o = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (o, "externalId"), id) == 0)
        return o;
    }
  return NULL;
}

static const char *
expected_status (gint64 consumed,
                 gint64 total)
{
  if (consumed * 100 >= 95 * total)
    return "CRITICAL";
  if (consumed * 100 >= 85 * total)
    return "WARNING";
  return "OK";
}

/* One tenant of the JSON against the server's summary of it. */
static void
assert_tenant_equal (JsonObject *mine,
                     JsonObject *server)
{
  static const char * const strings[] = { "externalId", "tenantName", "licenseType", "startDate", "endDate" };
  static const char * const counts[] = { "totalPurchase", "consumed", "available" };
  gint64 consumed = json_object_get_int_member (server, "consumed");
  gint64 total = json_object_get_int_member (server, "totalPurchase");

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_assert_cmpstr (json_object_get_string_member (mine, strings[i]), ==,
                     json_object_get_string_member (server, strings[i]));
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    g_assert_cmpint (json_object_get_int_member (mine, counts[i]), ==,
                     json_object_get_int_member (server, counts[i]));
  g_assert_cmpint (json_object_get_int_member (mine, "percent"), ==, consumed * 100 / total);
  g_assert_cmpstr (json_object_get_string_member (mine, "status"), ==, expected_status (consumed, total));
  g_assert_true (json_object_has_member (mine, "runOutDate"));
  g_assert_true (json_object_has_member (mine, "lastSyncedAt"));
  g_assert_false (json_object_get_null_member (mine, "lastSyncedAt"));
  /* Used up: the day of the data; otherwise a day or null. */
  if (consumed >= total)
    g_assert_false (json_object_get_null_member (mine, "runOutDate"));
}

static JsonObject *
parse_report (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* ---- --status --json ------------------------------------------------------------------------ */

static void
test_status_json_exit_codes (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(JsonArray) server = platform_items (sb, "/platform/tenants");
  const char *url = luma_test_sandbox_get_url (sb);
  static const struct { const char *tenant; const char *key; int code; } cases[] = {
    { "half", "half-key", 0 },      /* 50 %: OK */
    { "ninety", "ninety-key", 1 },  /* 90 %: WARNING */
    { "over", "over-key", 2 },      /* 101 %: CRITICAL */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CliResult) r = NULL;
      g_autoptr(CliResult) again = NULL;
      g_autoptr(JsonObject) report = NULL;
      JsonArray *tenants;
      JsonObject *expected = find_tenant (server, cases[i].tenant);

      g_assert_nonnull (expected);
      /* A sync and the report in one run: the JSON alone on standard output. */
      r = run_cli ("LUMA_API_KEY", cases[i].key, "--server", url, "--tenant", cases[i].tenant,
                   "--sync", "--status", "--json", NULL);
      g_assert_cmpint (r->status, ==, cases[i].code);
      report = parse_report (r->out);
      tenants = json_object_get_array_member (report, "tenants");
      g_assert_cmpuint (json_array_get_length (tenants), ==, 1);
      assert_tenant_equal (json_array_get_object_element (tenants, 0), expected);
      g_assert_cmpstr (json_object_get_string_member (report, "status"), ==,
                       json_object_get_string_member (json_array_get_object_element (tenants, 0), "status"));

      /* From the cache alone, no secret needed: the same code. */
      again = run_cli (NULL, NULL, "--server", url, "--tenant", cases[i].tenant, "--status", "--json", NULL);
      g_assert_cmpint (again->status, ==, cases[i].code);
    }
}

static void
test_status_json_superadmin (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(JsonArray) server = platform_items (sb, "/platform/tenants");
  g_autoptr(CliResult) sync = NULL;
  g_autoptr(CliResult) r = NULL;
  g_autoptr(JsonObject) report = NULL;
  JsonArray *tenants;

  /* --sync without --tenant: the tenant list, one request. */
  sync = run_cli ("LUMA_PASSWORD", PASSWORD, "--server", luma_test_sandbox_get_url (sb),
                  "--superadmin", ADMIN, "--sync", NULL);
  g_assert_cmpint (sync->status, ==, 0);
  g_assert_nonnull (strstr (sync->out, "3 tenants checked"));

  r = run_cli (NULL, NULL, "--server", luma_test_sandbox_get_url (sb), "--superadmin", ADMIN,
               "--status", "--json", NULL);
  /* The worst of the three: 101 %. */
  g_assert_cmpint (r->status, ==, 2);
  report = parse_report (r->out);
  g_assert_cmpstr (json_object_get_string_member (report, "status"), ==, "CRITICAL");
  tenants = json_object_get_array_member (report, "tenants");
  g_assert_cmpuint (json_array_get_length (tenants), ==, json_array_get_length (server));
  for (guint i = 0; i < json_array_get_length (tenants); i++)
    {
      JsonObject *mine = json_array_get_object_element (tenants, i);
      JsonObject *expected = find_tenant (server, json_object_get_string_member (mine, "externalId"));

      g_assert_nonnull (expected);
      assert_tenant_equal (mine, expected);
    }
}

static void
test_status_json_unknown (void)
{
  g_autoptr(GSocketService) closed = NULL;
  g_autoptr(CliResult) down = NULL;
  g_autoptr(CliResult) nothing = NULL;
  g_autoptr(CliResult) superadmin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port nothing listens on. */
  closed = g_socket_service_new ();
  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (closed), NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (G_SOCKET_LISTENER (closed));
  url = g_strdup_printf ("http://127.0.0.1:%u/gateway/api/v1", port);

  /* The server down and nothing cached: 3, nothing on standard output to misread. */
  down = run_cli ("LUMA_API_KEY", "some-key", "--server", url, "--tenant", "acme", "--sync", "--status",
                  "--json", NULL);
  g_assert_cmpint (down->status, ==, 3);
  g_assert_cmpstr (down->out, ==, "");
  g_assert_cmpstr (down->err, !=, "");

  nothing = run_cli (NULL, NULL, "--server", url, "--tenant", "acme", "--status", "--json", NULL);
  g_assert_cmpint (nothing->status, ==, 3);
  superadmin = run_cli (NULL, NULL, "--server", url, "--superadmin", ADMIN, "--status", "--json", NULL);
  g_assert_cmpint (superadmin->status, ==, 3);
}

/* ---- --report ----------------------------------------------------------------------------- */

/* RFC 4180: rows of fields (GStrv), CRLF line ends, quoted fields with doubled quotes. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      if (*p == '"')
        {
          for (p++; *p != '\0'; p++)
            {
              if (*p == '"' && p[1] == '"')
                g_string_append_c (field, *p++);
              else if (*p == '"')
                break;
              else
                g_string_append_c (field, *p);
            }
          g_assert_cmpint (*p, ==, '"');
          p++;
        }
      while (*p != '\0' && *p != ',' && *p != '\r')
        g_string_append_c (field, *p++);
      g_ptr_array_add (fields, g_strdup (field->str));
      g_string_truncate (field, 0);
      if (*p == ',')
        {
          p++;
          continue;
        }
      g_assert_cmpint (*p, ==, '\r');
      g_assert_cmpint (p[1], ==, '\n');
      p += 2;
      g_ptr_array_add (fields, NULL);
      g_ptr_array_add (rows, g_ptr_array_steal (fields, NULL));
    }
  return rows;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
test_report_tenants (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(JsonArray) server = platform_items (sb, "/platform/tenants");
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "tenants.csv", NULL);
  g_autoptr(CliResult) sync = NULL;
  g_autoptr(CliResult) r = NULL;
  g_autoptr(CliResult) no_tenant = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *text = NULL;
  guint refills = 0;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  sync = run_cli ("LUMA_PASSWORD", PASSWORD, "--server", luma_test_sandbox_get_url (sb),
                  "--superadmin", ADMIN, "--sync", NULL);
  g_assert_cmpint (sync->status, ==, 0);
  r = run_cli (NULL, NULL, "--server", luma_test_sandbox_get_url (sb), "--superadmin", ADMIN,
               "--export-csv", path, "--report", "tenants", NULL);
  g_assert_cmpint (r->status, ==, 0);

  text = read_file (path);
  rows = parse_csv (text);
  g_assert_cmpuint (rows->len, ==, json_array_get_length (server) + 1);
  g_assert_cmpstr (((char **) rows->pdata[0])[0], ==, "Tenant");
  for (guint i = 1; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      JsonObject *t = find_tenant (server, row[1]);
      gint64 consumed, total;
      g_autofree char *percent = NULL;

      g_assert_nonnull (t);
      g_assert_cmpuint (g_strv_length (row), ==, 13);
      consumed = json_object_get_int_member (t, "consumed");
      total = json_object_get_int_member (t, "totalPurchase");
      /* A name starting with = is guarded: no spreadsheet runs it. */
      if (g_str_has_prefix (json_object_get_string_member (t, "tenantName"), "="))
        {
          g_autofree char *guarded = g_strconcat ("'", json_object_get_string_member (t, "tenantName"), NULL);

          g_assert_cmpstr (row[0], ==, guarded);
        }
      else
        {
          g_assert_cmpstr (row[0], ==, json_object_get_string_member (t, "tenantName"));
        }
      g_assert_cmpstr (row[3], ==, json_object_get_string_member (t, "startDate"));
      g_assert_cmpstr (row[4], ==, json_object_get_string_member (t, "endDate"));
      g_assert_cmpint (g_ascii_strtoll (row[5], NULL, 10), ==, total);
      g_assert_cmpint (g_ascii_strtoll (row[6], NULL, 10), ==, consumed);
      g_assert_cmpint (g_ascii_strtoll (row[7], NULL, 10), ==, json_object_get_int_member (t, "available"));
      percent = g_strdup_printf ("%" G_GINT64_FORMAT, consumed * 100 / total);
      g_assert_cmpstr (row[8], ==, percent);
      g_assert_cmpstr (row[9], ==, consumed * 100 >= 95 * total ? "At or over capacity"
                                   : consumed * 100 >= 85 * total ? "Near capacity" : "OK");
      /* The last refill: its time as the server wrote it (UTC), its change; empty for none. */
      if (json_object_get_null_member (t, "lastRefill"))
        {
          g_assert_cmpstr (row[11], ==, "");
          g_assert_cmpstr (row[12], ==, "");
        }
      else
        {
          JsonObject *last = json_object_get_object_member (t, "lastRefill");

          g_assert_cmpstr (row[11], ==, json_object_get_string_member (last, "at"));
          g_assert_cmpint (g_ascii_strtoll (row[12], NULL, 10), ==, json_object_get_int_member (last, "change"));
          refills++;
        }
    }
  /* The sandbox's tenants of 20 licenses and more had refills. */
  g_assert_cmpuint (refills, >, 0);

  /* A tenant admin has no board. */
  no_tenant = run_cli (NULL, NULL, "--server", luma_test_sandbox_get_url (sb), "--tenant", "half",
                       "--export-csv", path, "--report", "tenants", NULL);
  g_assert_cmpint (no_tenant->status, ==, 2);
}

static void
test_report_purchases (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ();
  g_autoptr(JsonArray) server = platform_items (sb, "/platform/tenants/ninety/subscription/purchases");
  g_autoptr(CliResult) sync = NULL;
  g_autoptr(CliResult) r = NULL;
  g_autoptr(CliResult) bad = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  sync = run_cli ("LUMA_API_KEY", "ninety-key", "--server", luma_test_sandbox_get_url (sb),
                  "--tenant", "ninety", "--sync", NULL);
  g_assert_cmpint (sync->status, ==, 0);
  r = run_cli (NULL, NULL, "--server", luma_test_sandbox_get_url (sb), "--tenant", "ninety",
               "--export-csv", "-", "--report", "purchases", NULL);
  g_assert_cmpint (r->status, ==, 0);

  rows = parse_csv (r->out);
  g_assert_cmpuint (rows->len, ==, json_array_get_length (server) + 1);
  g_assert_cmpuint (json_array_get_length (server), >, 1);
  for (guint i = 1; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      JsonObject *p = json_array_get_object_element (server, i - 1);
      const char *reference = json_object_get_null_member (p, "reference") ? ""
                              : json_object_get_string_member (p, "reference");

      g_assert_cmpuint (g_strv_length (row), ==, 8);
      g_assert_cmpstr (row[0], ==, json_object_get_string_member (p, "performedOn"));
      g_assert_cmpstr (row[1], ==, json_object_get_string_member (p, "kind"));
      /* Removals stay negative numbers, not guarded text. */
      g_assert_cmpint (g_ascii_strtoll (row[2], NULL, 10), ==, json_object_get_int_member (p, "change"));
      g_assert_cmpint (g_ascii_strtoll (row[3], NULL, 10), ==, json_object_get_int_member (p, "totalAfter"));
      g_assert_cmpstr (row[4], ==, json_object_get_string_member (p, "performedBy"));
      g_assert_cmpstr (row[5], ==, json_object_get_string_member (p, "reason"));
      g_assert_cmpstr (row[6], ==, reference);
      g_assert_cmpstr (row[7], ==, json_object_get_string_member (p, "purchaseId"));
    }

  bad = run_cli (NULL, NULL, "--server", luma_test_sandbox_get_url (sb), "--tenant", "ninety",
                 "--export-csv", "-", "--report", "invoices", NULL);
  g_assert_cmpint (bad->status, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/report/status-json/exit-codes", test_status_json_exit_codes);
  g_test_add_func ("/report/status-json/superadmin", test_status_json_superadmin);
  g_test_add_func ("/report/status-json/unknown", test_status_json_unknown);
  g_test_add_func ("/report/csv/tenants", test_report_tenants);
  g_test_add_func ("/report/csv/purchases", test_report_purchases);

  return g_test_run ();
}
