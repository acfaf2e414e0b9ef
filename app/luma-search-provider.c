/* luma-search-provider.c: the GNOME Shell search provider (org.gnome.Shell.SearchProvider2)
 *
 * A result id names the account, the tenant and maybe a record, separated
 * by tabs: "KIND\tSERVER\tIDENTITY\tTENANT\tRECORD" (RECORD empty for a
 * tenant), so activating it needs nothing but the id. The metas of the
 * results of the last searches are kept for GetResultMetas, which the shell
 * calls with ids it was just given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-cache.h"
#include "luma-cache-search.h"
#include "luma-format.h"
#include "luma-search-provider-private.h"

/* Records shown per search: the shell shows a handful per provider. */
#define MAX_RECORDS 5
/* Metas kept between a search and GetResultMetas. */
#define MAX_METAS 2000

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.gnome.Shell.SearchProvider2'>"
  "    <method name='GetInitialResultSet'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetSubsearchResultSet'>"
  "      <arg type='as' name='previous_results' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetResultMetas'>"
  "      <arg type='as' name='identifiers' direction='in'/>"
  "      <arg type='aa{sv}' name='metas' direction='out'/>"
  "    </method>"
  "    <method name='ActivateResult'>"
  "      <arg type='s' name='identifier' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "    <method name='LaunchSearch'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

struct _LumaSearchProvider
{
  GObject          parent_instance;

  GApplication    *app;        /* unowned: it owns us */
  GSettings       *settings;
  GDBusConnection *connection;
  guint            registration;
  GHashTable      *metas;      /* id -> Meta* */
};

G_DEFINE_FINAL_TYPE (LumaSearchProvider, luma_search_provider, G_TYPE_OBJECT)

enum { SIGNAL_ACTIVATE_RESULT, SIGNAL_LAUNCH_SEARCH, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct
{
  char *id;
  char *name;
  char *description;
} Meta;

static void
meta_free (Meta *meta)
{
  if (meta == NULL)
    return;
  g_free (meta->id);
  g_free (meta->name);
  g_free (meta->description);
  g_free (meta);
}

/* ---- Searching, in a worker thread ---------------------------------------------------------- */

typedef struct
{
  GPtrArray *accounts;   /* LumaAccount*, only read in the thread */
  GStrv      terms;
  GStrv      previous;   /* subsearch: keep only these ids; or NULL */
  gint64     now;
} SearchArgs;

static void
search_args_free (SearchArgs *args)
{
  g_ptr_array_unref (args->accounts);
  g_strfreev (args->terms);
  g_strfreev (args->previous);
  g_free (args);
}

static char *
result_id (LumaAccount *a,
           const char  *tenant,
           const char  *record)
{
  return g_strdup_printf ("%s\t%s\t%s\t%s\t%s",
                          luma_account_get_kind (a) == LUMA_ACCOUNT_KIND_SUPERADMIN ? "superadmin" : "tenant",
                          luma_account_get_server (a), luma_account_get_identity (a), tenant,
                          record != NULL ? record : "");
}

/* @history_path: the cache holding @t's history, for the run-out day. */
static void
add_tenant (GPtrArray               *results,
            GHashTable              *seen,
            LumaAccount             *a,
            const LumaTenantSummary *t,
            const char              *history_path,
            const char *const       *terms,
            gint64                   now)
{
  g_autofree char *id = NULL;
  g_autoptr(LumaForecast) forecast = NULL;
  Meta *meta;

  if (!luma_search_terms_match (terms, t->tenant_name) && !luma_search_terms_match (terms, t->external_id))
    return;
  id = result_id (a, t->external_id, NULL);
  if (g_hash_table_contains (seen, id))
    return;

  meta = g_new0 (Meta, 1);
  meta->id = g_steal_pointer (&id);
  meta->name = g_strdup (t->tenant_name != NULL && *t->tenant_name != '\0' ? t->tenant_name : t->external_id);
  /* The run-out day of the subscription page: the same forecast. */
  forecast = luma_cache_search_forecast (history_path, t, now);
  meta->description = luma_format_usage_summary (t->consumed, t->total_purchase,
                                                 forecast != NULL ? luma_forecast_get_run_out (forecast) : 0);
  g_hash_table_add (seen, meta->id);
  g_ptr_array_add (results, meta);
}

static void
add_records (GPtrArray               *results,
             GHashTable              *seen,
             LumaAccount             *a,
             const LumaTenantSummary *t,
             GPtrArray               *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      const LumaSearchRecord *r = g_ptr_array_index (records, i);
      g_autofree char *id = result_id (a, t->external_id, r->record_id);
      g_autofree char *day = luma_format_date_time (r->time);
      Meta *meta;

      if (g_hash_table_contains (seen, id))
        continue;
      meta = g_new0 (Meta, 1);
      meta->id = g_steal_pointer (&id);
      meta->name = g_strdup (r->record_id);
      /* Translators: under a session or user id found by the desktop's search:
       * "TENANT · USER NAME · DATE AND TIME" */
      meta->description = g_strdup_printf (_("%s · %s · %s"),
                                           t->tenant_name != NULL ? t->tenant_name : t->external_id,
                                           r->user_name, day);
      g_hash_table_add (seen, meta->id);
      g_ptr_array_add (results, meta);
    }
}

/* A single term may be the start of a session or user id; ids are looked
 * for from 3 characters on (luma_cache_search_file()), fewer would list
 * arbitrary records, so a shorter one opens no tenant's cache. */
static const char *
record_term (const char *const *terms)
{
  if (terms == NULL || terms[0] == NULL || terms[1] != NULL || g_utf8_strlen (terms[0], -1) < 3)
    return NULL;
  return terms[0];
}

/* The cache of one of a superadmin's tenants, as the session names it. */
static char *
tenant_cache_path (LumaAccount             *a,
                   const LumaTenantSummary *t)
{
  g_autofree char *account = luma_account_dup_tenant_cache_name (a, t->external_id);

  return luma_cache_path_for_account (luma_account_get_server (a), account);
}

static void
search_account (GPtrArray         *results,
                GHashTable        *seen,
                LumaAccount       *a,
                const char *const *terms,
                gint64             now)
{
  const char *term = record_term ((const char *const *) terms);
  const char *path = luma_account_get_id (a)->cache_path;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) records = NULL;

  if (luma_account_get_kind (a) == LUMA_ACCOUNT_KIND_TENANT)
    {
      luma_cache_search_file (path, term, MAX_RECORDS, &tenants, &records);
      for (guint i = 0; i < tenants->len; i++)
        {
          add_tenant (results, seen, a, g_ptr_array_index (tenants, i), path, terms, now);
          add_records (results, seen, a, g_ptr_array_index (tenants, i), records);
        }
      return;
    }

  /* A superadmin: the tenant list of their own cache, then each tenant's cache. */
  luma_cache_search_file (path, NULL, 0, &tenants, &records);
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (tenants, i);
      g_autofree char *tenant_path = tenant_cache_path (a, t);

      add_tenant (results, seen, a, t, tenant_path, terms, now);
    }
  if (term == NULL)
    return;
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (tenants, i);
      g_autofree char *tenant_path = tenant_cache_path (a, t);
      g_autoptr(GPtrArray) own = NULL;
      g_autoptr(GPtrArray) found = NULL;

      luma_cache_search_file (tenant_path, term, MAX_RECORDS, &own, &found);
      add_records (results, seen, a, t, found);
    }
}

GStrv
_luma_search_provider_search (GPtrArray         *accounts,
                              const char *const *terms,
                              gint64             now)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) meta_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();

  for (guint i = 0; i < accounts->len; i++)
    search_account (results, seen, g_ptr_array_index (accounts, i), terms, now);
  for (guint i = 0; i < results->len; i++)
    {
      Meta *meta = g_ptr_array_index (results, i);
      g_autofree char *line = g_strdup_printf ("%s|%s", meta->name, meta->description);

      g_strv_builder_add (lines, line);
    }
  return g_strv_builder_end (lines);
}

static void
search_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SearchArgs *args = task_data;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) meta_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < args->accounts->len; i++)
    search_account (results, seen, g_ptr_array_index (args->accounts, i),
                    (const char *const *) args->terms, args->now);

  if (args->previous != NULL)
    for (guint i = results->len; i > 0; i--)
      {
        Meta *meta = g_ptr_array_index (results, i - 1);

        if (!g_strv_contains ((const char *const *) args->previous, meta->id))
          g_ptr_array_remove_index (results, i - 1);
      }

  g_task_return_pointer (task, g_steal_pointer (&results), (GDestroyNotify) g_ptr_array_unref);
}

/* ---- D-Bus ---------------------------------------------------------------------------------- */

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  LumaSearchProvider *self = LUMA_SEARCH_PROVIDER (source);
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GPtrArray) results = g_task_propagate_pointer (G_TASK (result), NULL);
  GVariantBuilder builder;

  if (g_hash_table_size (self->metas) > MAX_METAS)
    g_hash_table_remove_all (self->metas);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("as"));
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      Meta *meta = g_ptr_array_index (results, i);

      g_variant_builder_add (&builder, "s", meta->id);
      g_hash_table_replace (self->metas, meta->id, meta);
      /* The table owns it now. */
      g_ptr_array_index (results, i) = NULL;
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(as)", &builder));
  g_application_release (self->app);
}

static void
start_search (LumaSearchProvider    *self,
              GDBusMethodInvocation *invocation,
              GStrv                  terms,
              GStrv                  previous)
{
  g_autoptr(GTask) task = NULL;
  SearchArgs *args = g_new0 (SearchArgs, 1);

  /* Fresh objects of this request: nothing else holds or changes them. */
  args->accounts = luma_account_list_load (self->settings);
  args->terms = terms;
  args->previous = previous;
  args->now = g_get_real_time () / G_USEC_PER_SEC;

  /* A D-Bus activated service stays up until the answer is sent. */
  g_application_hold (self->app);
  task = g_task_new (self, NULL, search_done_cb, g_object_ref (invocation));
  g_task_set_source_tag (task, start_search);
  g_task_set_task_data (task, args, (GDestroyNotify) search_args_free);
  g_task_run_in_thread (task, search_thread);
}

static GVariant *
get_result_metas (LumaSearchProvider *self,
                  const char *const  *ids)
{
  g_autoptr(GIcon) icon = g_themed_icon_new (APP_ID);
  g_autofree char *icon_text = g_icon_to_string (icon);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; ids[i] != NULL; i++)
    {
      Meta *meta = g_hash_table_lookup (self->metas, ids[i]);

      if (meta == NULL)
        continue;
      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (meta->id));
      g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (meta->name));
      g_variant_builder_add (&builder, "{sv}", "description", g_variant_new_string (meta->description));
      g_variant_builder_add (&builder, "{sv}", "gicon", g_variant_new_string (icon_text));
      g_variant_builder_close (&builder);
    }
  return g_variant_new ("(aa{sv})", &builder);
}

static gboolean
activate_result (LumaSearchProvider *self,
                 const char         *id,
                 guint               timestamp)
{
  g_auto(GStrv) parts = g_strsplit (id, "\t", 5);
  g_autoptr(LumaAccount) account = NULL;
  LumaAccountKind kind;

  if (g_strv_length (parts) != 5 || *parts[1] == '\0' || *parts[2] == '\0' || *parts[3] == '\0')
    return FALSE;
  if (g_str_equal (parts[0], "tenant"))
    kind = LUMA_ACCOUNT_KIND_TENANT;
  else if (g_str_equal (parts[0], "superadmin"))
    kind = LUMA_ACCOUNT_KIND_SUPERADMIN;
  else
    return FALSE;

  account = luma_account_new (kind, parts[1], parts[2]);
  g_signal_emit (self, signals[SIGNAL_ACTIVATE_RESULT], 0, account, parts[3],
                 *parts[4] != '\0' ? parts[4] : NULL, timestamp);
  return TRUE;
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  LumaSearchProvider *self = user_data;

  if (g_str_equal (method_name, "GetInitialResultSet"))
    {
      GStrv terms = NULL;

      g_variant_get (parameters, "(^as)", &terms);
      start_search (self, invocation, terms, NULL);
    }
  else if (g_str_equal (method_name, "GetSubsearchResultSet"))
    {
      GStrv previous = NULL;
      GStrv terms = NULL;

      g_variant_get (parameters, "(^as^as)", &previous, &terms);
      start_search (self, invocation, terms, previous);
    }
  else if (g_str_equal (method_name, "GetResultMetas"))
    {
      g_autofree const char **ids = NULL;

      g_variant_get (parameters, "(^a&s)", &ids);
      g_dbus_method_invocation_return_value (invocation, get_result_metas (self, ids));
    }
  else if (g_str_equal (method_name, "ActivateResult"))
    {
      const char *id;
      guint32 timestamp;

      g_variant_get (parameters, "(&sasu)", &id, NULL, &timestamp);
      if (activate_result (self, id, timestamp))
        g_dbus_method_invocation_return_value (invocation, NULL);
      else
        g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "Unknown result %s", id);
    }
  else if (g_str_equal (method_name, "LaunchSearch"))
    {
      g_auto(GStrv) terms = NULL;
      guint32 timestamp;

      g_variant_get (parameters, "(^asu)", &terms, &timestamp);
      g_signal_emit (self, signals[SIGNAL_LAUNCH_SEARCH], 0, terms, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "Unknown method %s", method_name);
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

gboolean
luma_search_provider_export (LumaSearchProvider  *self,
                             GDBusConnection     *connection,
                             const char          *object_path,
                             GError             **error)
{
  g_autoptr(GDBusNodeInfo) info = NULL;

  g_return_val_if_fail (LUMA_IS_SEARCH_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->registration == 0, FALSE);

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return FALSE;
  self->registration = g_dbus_connection_register_object (connection, object_path, info->interfaces[0],
                                                          &vtable, self, NULL, error);
  if (self->registration == 0)
    return FALSE;
  self->connection = g_object_ref (connection);
  return TRUE;
}

void
luma_search_provider_unexport (LumaSearchProvider *self)
{
  g_return_if_fail (LUMA_IS_SEARCH_PROVIDER (self));

  if (self->registration != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration);
  self->registration = 0;
  g_clear_object (&self->connection);
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
luma_search_provider_dispose (GObject *object)
{
  LumaSearchProvider *self = LUMA_SEARCH_PROVIDER (object);

  luma_search_provider_unexport (self);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->metas, g_hash_table_unref);

  G_OBJECT_CLASS (luma_search_provider_parent_class)->dispose (object);
}

static void
luma_search_provider_class_init (LumaSearchProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = luma_search_provider_dispose;

  signals[SIGNAL_ACTIVATE_RESULT] =
    g_signal_new ("activate-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, LUMA_TYPE_ACCOUNT, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_LAUNCH_SEARCH] =
    g_signal_new ("launch-search", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRV, G_TYPE_UINT);
}

static void
luma_search_provider_init (LumaSearchProvider *self)
{
  self->metas = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) meta_free);
}

LumaSearchProvider *
luma_search_provider_new (GApplication *app,
                          GSettings    *settings)
{
  LumaSearchProvider *self;

  g_return_val_if_fail (G_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (LUMA_TYPE_SEARCH_PROVIDER, NULL);
  self->app = app;
  self->settings = g_object_ref (settings);
  return self;
}
