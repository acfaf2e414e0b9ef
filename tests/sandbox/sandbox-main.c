/* sandbox-main.c: command line of luma-sandbox, the local Luma server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sandbox-faults.h"
#include "sandbox-json.h"
#include "sandbox-server.h"
#include "sandbox-store.h"

static const char usage[] =
  "Usage: luma-sandbox [OPTION...]\n"
  "A local server implementing the Luma Subscription API (docs/api.md).\n"
  "The first line on standard output is the base URL.\n"
  "\n"
  "Server options:\n"
  "  --port N                  port; 0 (default) picks a free one\n"
  "  --listen ADDRESS          address to listen on (default 127.0.0.1)\n"
  "  --db PATH                 keep the state in this SQLite file\n"
  "  --config FILE             read tenants and superadmins from a JSON file\n"
  "  --superadmin USER:PASSWORD  a superadmin account (repeatable)\n"
  "  --token-lifetime SECONDS  bearer token lifetime (default 900)\n"
  "  --tls-cert FILE, --tls-key FILE  serve HTTPS\n"
  "  --latency MS              delay every answer\n"
  "  --fault KIND:RATE         500, 429, reset, truncate, garbage or slow (repeatable)\n"
  "  --slow-ms MS              how long a slow answer stalls (default 30000)\n"
  "  --seed-value N            random seed (before any --tenant: for all)\n"
  "  --generate-tenants N      add N generated tenants t-0001..: varied terms,\n"
  "                            license types, totals and consumption\n"
  "\n"
  "Tenant options (after --tenant ID, up to the next --tenant):\n"
  "  --tenant ID               a tenant; repeat for several\n"
  "  --tenant-name NAME        display name\n"
  "  --api-key KEY             the tenant's key (default sandbox-key-ID)\n"
  "  --license-model session|user  license type (default session)\n"
  "  --licenses N              total purchase (default 1000)\n"
  "  --seed N                  generate N history records (default 0)\n"
  "  --seed-value N            the tenant's random seed\n"
  "  --start DATE, --end DATE  contract term (default: the current year, UTC)\n"
  "  --session-duration MIN    session length in minutes (default 30)\n";

typedef struct
{
  guint             port;
  char             *listen;
  char             *db;
  char             *tls_cert;
  char             *tls_key;
  gint64            token_lifetime;
  guint             latency_ms;
  guint             slow_ms;
  guint64           seed_value;
  gint64            generate_tenants;
  GHashTable       *superadmins;
  GPtrArray        *tenants;     /* SandboxTenantSpec */
  GPtrArray        *fault_specs; /* char * */
} Options;

static GMainLoop *main_loop;

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (main_loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
fail (GError     **error,
      const char  *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError     **error,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "");
  g_free ((*error)->message);
  (*error)->message = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

static gboolean
parse_int (const char  *option,
           const char  *text,
           gint64       min,
           gint64       max,
           gint64      *value,
           GError     **error)
{
  if (!g_ascii_string_to_signed (text, 10, min, max, value, NULL))
    return fail (error, "%s %s: expected an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                 option, text, min, max);
  return TRUE;
}

/* A date alone means the start (or, for --end, the last second) of that day. */
static gboolean
parse_date (const char  *option,
            const char  *text,
            gboolean     end_of_day,
            gint64      *value,
            GError     **error)
{
  g_autofree char *full = NULL;

  if (strlen (text) == 10)
    full = g_strdup_printf ("%sT%s", text, end_of_day ? "23:59:59Z" : "00:00:00Z");
  if (!sandbox_time_parse (full != NULL ? full : text, value))
    return fail (error, "%s %s: expected YYYY-MM-DD or an ISO 8601 date-time with an offset", option, text);
  return TRUE;
}

static gboolean
valid_external_id (const char *id)
{
  gsize len = strlen (id);

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
      return FALSE;
  return TRUE;
}

static SandboxTenantSpec *
tenant_spec_new (Options    *options,
                 const char *id)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  SandboxTenantSpec *spec = g_new0 (SandboxTenantSpec, 1);
  int year = g_date_time_get_year (now);

  spec->external_id = g_strdup (id);
  spec->license = SANDBOX_LICENSE_SESSION;
  spec->licenses = 1000;
  spec->seed_value = options->seed_value;
  spec->start = sandbox_days_from_civil (year, 1, 1) * 86400;
  spec->end = sandbox_days_from_civil (year, 12, 31) * 86400 + 86399;
  spec->session_minutes = 30;
  return spec;
}

static gboolean
add_superadmin (Options     *options,
                const char  *value,
                GError     **error)
{
  const char *colon = strchr (value, ':');

  if (colon == NULL || colon == value || colon[1] == '\0')
    return fail (error, "--superadmin %s: expected USER:PASSWORD", value);
  g_hash_table_replace (options->superadmins, g_strndup (value, colon - value), g_strdup (colon + 1));
  return TRUE;
}

static gboolean parse_config (Options *options, const char *path, GError **error);

static const char * const known_options[] = {
  "--port", "--listen", "--db", "--config", "--superadmin", "--token-lifetime", "--tls-cert",
  "--tls-key", "--latency", "--fault", "--slow-ms", "--seed-value", "--tenant", "--tenant-name",
  "--api-key", "--license-model", "--licenses", "--seed", "--start", "--end", "--session-duration",
  "--generate-tenants", NULL
};

static gboolean
parse_args (Options  *options,
            int       argc,
            char    **argv,
            GError  **error)
{
  SandboxTenantSpec *tenant = NULL;

  for (int i = 1; i < argc; i++)
    {
      g_autofree char *name = NULL;
      const char *value = NULL;
      const char *eq;
      gint64 n;

      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          exit (0);
        }
      if (!g_str_has_prefix (argv[i], "--"))
        return fail (error, "unexpected argument %s", argv[i]);
      eq = strchr (argv[i], '=');
      name = eq != NULL ? g_strndup (argv[i], eq - argv[i]) : g_strdup (argv[i]);
      if (!g_strv_contains (known_options, name))
        return fail (error, "unknown option %s (see --help)", name);
      g_clear_pointer (&name, g_free);
      if (eq != NULL)
        {
          name = g_strndup (argv[i], eq - argv[i]);
          value = eq + 1;
        }
      else
        {
          name = g_strdup (argv[i]);
          if (i + 1 >= argc)
            return fail (error, "%s needs a value", name);
          value = argv[++i];
        }

      if (strcmp (name, "--port") == 0)
        {
          if (!parse_int (name, value, 0, 65535, &n, error))
            return FALSE;
          options->port = n;
        }
      else if (strcmp (name, "--listen") == 0)
        g_free (options->listen), options->listen = g_strdup (value);
      else if (strcmp (name, "--db") == 0)
        g_free (options->db), options->db = g_strdup (value);
      else if (strcmp (name, "--config") == 0)
        {
          if (!parse_config (options, value, error))
            return FALSE;
        }
      else if (strcmp (name, "--superadmin") == 0)
        {
          if (!add_superadmin (options, value, error))
            return FALSE;
        }
      else if (strcmp (name, "--token-lifetime") == 0)
        {
          if (!parse_int (name, value, 1, 86400 * 365, &options->token_lifetime, error))
            return FALSE;
        }
      else if (strcmp (name, "--tls-cert") == 0)
        g_free (options->tls_cert), options->tls_cert = g_strdup (value);
      else if (strcmp (name, "--tls-key") == 0)
        g_free (options->tls_key), options->tls_key = g_strdup (value);
      else if (strcmp (name, "--latency") == 0)
        {
          if (!parse_int (name, value, 0, 600000, &n, error))
            return FALSE;
          options->latency_ms = n;
        }
      else if (strcmp (name, "--slow-ms") == 0)
        {
          if (!parse_int (name, value, 0, 600000, &n, error))
            return FALSE;
          options->slow_ms = n;
        }
      else if (strcmp (name, "--fault") == 0)
        g_ptr_array_add (options->fault_specs, g_strdup (value));
      else if (strcmp (name, "--seed-value") == 0)
        {
          if (!parse_int (name, value, 0, G_MAXINT64, &n, error))
            return FALSE;
          if (tenant != NULL)
            tenant->seed_value = n;
          else
            options->seed_value = n;
        }
      else if (strcmp (name, "--generate-tenants") == 0)
        {
          if (!parse_int (name, value, 0, 100000, &options->generate_tenants, error))
            return FALSE;
        }
      else if (strcmp (name, "--tenant") == 0)
        {
          if (!valid_external_id (value))
            return fail (error, "--tenant %s: an id is 1-64 characters of [A-Za-z0-9._-]", value);
          tenant = tenant_spec_new (options, value);
          g_ptr_array_add (options->tenants, tenant);
        }
      else if (tenant == NULL &&
               (strcmp (name, "--tenant-name") == 0 || strcmp (name, "--api-key") == 0 ||
                strcmp (name, "--license-model") == 0 || strcmp (name, "--licenses") == 0 ||
                strcmp (name, "--seed") == 0 || strcmp (name, "--start") == 0 ||
                strcmp (name, "--end") == 0 || strcmp (name, "--session-duration") == 0))
        return fail (error, "%s must follow a --tenant", name);
      else if (strcmp (name, "--tenant-name") == 0)
        {
          if (*value == '\0' || !g_utf8_validate (value, -1, NULL))
            return fail (error, "--tenant-name: expected a non-empty UTF-8 name");
          g_free (tenant->name), tenant->name = g_strdup (value);
        }
      else if (strcmp (name, "--api-key") == 0)
        {
          if (*value == '\0' || !g_str_is_ascii (value))
            return fail (error, "--api-key: expected a non-empty ASCII key");
          g_free (tenant->api_key), tenant->api_key = g_strdup (value);
        }
      else if (strcmp (name, "--license-model") == 0)
        {
          if (strcmp (value, "session") == 0)
            tenant->license = SANDBOX_LICENSE_SESSION;
          else if (strcmp (value, "user") == 0)
            tenant->license = SANDBOX_LICENSE_USER;
          else
            return fail (error, "--license-model %s: expected session or user", value);
        }
      else if (strcmp (name, "--licenses") == 0)
        {
          if (!parse_int (name, value, 0, G_GINT64_CONSTANT (9007199254740991), &tenant->licenses, error))
            return FALSE;
        }
      else if (strcmp (name, "--seed") == 0)
        {
          if (!parse_int (name, value, 0, 100000000, &tenant->seed_count, error))
            return FALSE;
        }
      else if (strcmp (name, "--start") == 0)
        {
          if (!parse_date (name, value, FALSE, &tenant->start, error))
            return FALSE;
        }
      else if (strcmp (name, "--end") == 0)
        {
          if (!parse_date (name, value, TRUE, &tenant->end, error))
            return FALSE;
        }
      else if (strcmp (name, "--session-duration") == 0)
        {
          if (!parse_int (name, value, 1, 1440, &tenant->session_minutes, error))
            return FALSE;
        }
      else
        return fail (error, "unknown option %s (see --help)", name);
    }
  return TRUE;
}

static const char *
config_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return sandbox_json_node_is_string (node) ? json_node_get_string (node) : NULL;
}

/* {"superadmins": ["user:password"], "tenants": [{"id": "acme", "name": ..., "apiKey": ...,
 *   "licenseModel": "session", "licenses": N, "seed": N, "seedValue": N, "start": DATE,
 *   "end": DATE, "sessionDurationMinutes": N}]} */
static gboolean
parse_config (Options     *options,
              const char  *path,
              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonNode *node;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fail (error, "%s: expected a JSON object", path);
  root = json_node_get_object (json_parser_get_root (parser));

  node = json_object_get_member (root, "superadmins");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      {
        JsonNode *item = json_array_get_element (json_node_get_array (node), i);

        if (!sandbox_json_node_is_string (item) || !add_superadmin (options, json_node_get_string (item), error))
          return fail (error, "%s: superadmins[%u] must be \"USER:PASSWORD\"", path, i);
      }

  node = json_object_get_member (root, "tenants");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      {
        JsonNode *item = json_array_get_element (json_node_get_array (node), i);
        JsonObject *object;
        SandboxTenantSpec *spec;
        const char *text;
        JsonNode *member;

        if (!JSON_NODE_HOLDS_OBJECT (item))
          return fail (error, "%s: tenants[%u] must be an object", path, i);
        object = json_node_get_object (item);
        text = config_string (object, "id");
        if (text == NULL || !valid_external_id (text))
          return fail (error, "%s: tenants[%u].id must be 1-64 characters of [A-Za-z0-9._-]", path, i);
        spec = tenant_spec_new (options, text);
        g_ptr_array_add (options->tenants, spec);
        if ((text = config_string (object, "name")) != NULL)
          spec->name = g_strdup (text);
        if ((text = config_string (object, "apiKey")) != NULL)
          spec->api_key = g_strdup (text);
        if ((text = config_string (object, "licenseModel")) != NULL)
          spec->license = strcmp (text, "user") == 0 ? SANDBOX_LICENSE_USER : SANDBOX_LICENSE_SESSION;
        if (sandbox_json_node_is_int ((member = json_object_get_member (object, "licenses"))))
          spec->licenses = MAX (0, json_node_get_int (member));
        if (sandbox_json_node_is_int ((member = json_object_get_member (object, "seed"))))
          spec->seed_count = CLAMP (json_node_get_int (member), 0, 100000000);
        if (sandbox_json_node_is_int ((member = json_object_get_member (object, "seedValue"))))
          spec->seed_value = json_node_get_int (member);
        if (sandbox_json_node_is_int ((member = json_object_get_member (object, "sessionDurationMinutes"))))
          spec->session_minutes = CLAMP (json_node_get_int (member), 1, 1440);
        if ((text = config_string (object, "start")) != NULL && !parse_date ("start", text, FALSE, &spec->start, error))
          return FALSE;
        if ((text = config_string (object, "end")) != NULL && !parse_date ("end", text, TRUE, &spec->end, error))
          return FALSE;
      }
  return TRUE;
}

/* After the tenants given one by one, which keep their options. */
static void
generate_tenants (Options *options)
{
  SandboxGeneratedTenant generated = { .name = g_string_new (NULL) };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (gint64 i = 1; i <= options->generate_tenants; i++)
    {
      SandboxTenantSpec *spec;

      sandbox_generate_tenant (options->seed_value, i, options->generate_tenants, now, &generated);
      spec = tenant_spec_new (options, generated.external_id);
      spec->name = g_strdup (generated.name->str);
      spec->license = generated.license;
      spec->licenses = generated.licenses;
      spec->seed_count = generated.records;
      spec->start = generated.start;
      spec->end = generated.end;
      spec->generated = TRUE;
      g_ptr_array_add (options->tenants, spec);
    }
  g_string_free (generated.name, TRUE);
}

static gboolean
check_tenants (Options  *options,
               GError  **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);

  generate_tenants (options);
  if (options->tenants->len == 0)
    {
      SandboxTenantSpec *spec = tenant_spec_new (options, "acme");

      spec->name = g_strdup ("Acme Corporation");
      g_ptr_array_add (options->tenants, spec);
    }
  for (guint i = 0; i < options->tenants->len; i++)
    {
      SandboxTenantSpec *spec = g_ptr_array_index (options->tenants, i);
      SandboxTenantSpec *other;

      if (spec->api_key == NULL)
        spec->api_key = g_strdup_printf ("sandbox-key-%s", spec->external_id);
      if (spec->end < spec->start)
        return fail (error, "tenant %s: --end is before --start", spec->external_id);
      if (g_hash_table_contains (ids, spec->external_id))
        return fail (error, "tenant %s is given twice", spec->external_id);
      if ((other = g_hash_table_lookup (keys, spec->api_key)) != NULL)
        return fail (error, "tenants %s and %s have the same API key", other->external_id, spec->external_id);
      g_hash_table_add (ids, spec->external_id);
      g_hash_table_insert (keys, spec->api_key, spec);
    }
  return TRUE;
}

static void
remove_database (const char *path)
{
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (journal);
  g_unlink (wal);
  g_unlink (shm);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *base_url = NULL;
  SandboxServerOptions server_options = { 0 };
  Options options = { 0 };
  SandboxStore *store = NULL;
  SandboxFaults *faults = NULL;
  SandboxServer *server = NULL;
  gboolean temporary = FALSE;
  int status = 1;

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);

  options.listen = g_strdup ("127.0.0.1");
  options.token_lifetime = 900;
  options.slow_ms = 30000;
  options.seed_value = 1;
  options.superadmins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  options.tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) sandbox_tenant_spec_free);
  options.fault_specs = g_ptr_array_new_with_free_func (g_free);

  if (!parse_args (&options, argc, argv, &error) || !check_tenants (&options, &error))
    goto out;

  /* Caught from the start: a SIGTERM that arrives while seeding, or right
   * after the base URL was printed, still ends in a clean exit. */
  main_loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, NULL);
  g_unix_signal_add (SIGINT, quit_cb, NULL);

  faults = sandbox_faults_new (options.seed_value);
  for (guint i = 0; i < options.fault_specs->len; i++)
    if (!sandbox_faults_add_spec (faults, g_ptr_array_index (options.fault_specs, i), &error))
      goto out;

  if ((options.tls_cert == NULL) != (options.tls_key == NULL))
    {
      fail (&error, "--tls-cert and --tls-key go together");
      goto out;
    }
  if (options.tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (options.tls_cert, options.tls_key, &error);
      if (certificate == NULL)
        goto out;
    }

  if (options.db != NULL)
    db_path = g_strdup (options.db);
  else
    {
      int fd = g_file_open_tmp ("luma-sandbox-XXXXXX.db", &db_path, &error);

      if (fd < 0)
        goto out;
      close (fd);
      temporary = TRUE;
    }

  store = sandbox_store_open (db_path, temporary, &error);
  if (store == NULL)
    goto out;
  /* With the journal in memory SQLite never reopens the file by name, so a
   * temporary database can go now: not even SIGKILL leaves it behind. */
  if (temporary)
    remove_database (db_path);
  if (!sandbox_store_add_tenants (store, options.tenants, &error))
    goto out;

  server_options.certificate = certificate;
  server_options.superadmins = options.superadmins;
  server_options.token_lifetime = options.token_lifetime;
  server_options.latency_ms = options.latency_ms;
  server_options.slow_ms = options.slow_ms;
  server = sandbox_server_new (store, faults, &server_options);
  if (!sandbox_server_listen (server, options.listen, options.port, &base_url, &error))
    goto out;

  printf ("%s\n", base_url);
  fflush (stdout);
  for (guint i = 0; i < options.tenants->len; i++)
    {
      SandboxTenantSpec *spec = g_ptr_array_index (options.tenants, i);
      SandboxTenant *t = sandbox_store_lookup (store, spec->external_id);

      if (spec->generated)
        continue;
      g_printerr ("luma-sandbox: tenant %s (%s), key %s, %s records\n", t->external_id,
                  sandbox_license_names[t->license], t->api_key,
                  t->last_seq > 0 ? "with" : "no");
    }

  if (options.generate_tenants > 0)
    g_printerr ("luma-sandbox: %" G_GINT64_FORMAT " generated tenants, keys sandbox-key-ID\n",
                options.generate_tenants);

  g_main_loop_run (main_loop);
  status = 0;

out:
  g_clear_pointer (&main_loop, g_main_loop_unref);
  if (error != NULL)
    g_printerr ("luma-sandbox: %s\n", error->message);
  sandbox_server_free (server);
  sandbox_store_free (store);
  sandbox_faults_free (faults);
  if (temporary && db_path != NULL)
    remove_database (db_path);
  g_free (options.listen);
  g_free (options.db);
  g_free (options.tls_cert);
  g_free (options.tls_key);
  g_hash_table_unref (options.superadmins);
  g_ptr_array_unref (options.tenants);
  g_ptr_array_unref (options.fault_specs);
  return status;
}
