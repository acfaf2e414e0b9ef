/* luma-application.c: the application object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-account-page.h"
#include "luma-application.h"
#include "luma-background.h"
#include "luma-credentials.h"
#include "luma-preferences-window.h"
#include "luma-resources.h"
#include "luma-search-provider.h"
#include "luma-tenants-page.h"
#include "luma-window.h"

struct _LumaApplication
{
  AdwApplication  parent_instance;

  GSettings          *settings;
  LumaBackground     *background;
  GHashTable         *sessions;   /* LumaAccountIdentity key -> LumaSession: one per account */
  LumaSearchProvider *search_provider;
};

G_DEFINE_FINAL_TYPE (LumaApplication, luma_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Connect to this Luma server for this run"), N_("URL") },
  { "tenant", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("As the Tenant Administrator of this tenant (API key from LUMA_API_KEY or the keyring)"),
    N_("ID") },
  { "superadmin", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("As this Superadmin (password from LUMA_PASSWORD or the keyring)"), N_("USER") },
  { "background", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run without a window: sync at the interval of the preferences and notify; "
       "launching the app again opens the window"), NULL },
  { NULL }
};

LumaApplication *
luma_application_new (void)
{
  return g_object_new (LUMA_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       /* A second invocation's LUMA_API_KEY / LUMA_PASSWORD reach the
                        * running instance's command_line(). */
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_SEND_ENVIRONMENT,
                       "resource-base-path", "/io/github/lumadesk/Subscription",
                       NULL);
}

GSettings *
luma_application_get_settings (LumaApplication *self)
{
  g_return_val_if_fail (LUMA_IS_APPLICATION (self), NULL);

  if (self->settings == NULL)
    self->settings = g_settings_new (APP_ID);

  return self->settings;
}

/* ---- Sessions: one per account, shared by its window and the background mode ------------------ */

static guint
read_sync_interval (LumaApplication *self)
{
  const char *test_seconds = g_getenv ("LUMA_SYNC_INTERVAL_SECONDS");
  guint64 seconds;

  /* A test hook: minutes are too long for a test run. */
  if (test_seconds != NULL && g_ascii_string_to_unsigned (test_seconds, 10, 1, 86400, &seconds, NULL))
    return (guint) seconds;
  return MAX (g_settings_get_uint (luma_application_get_settings (self), "sync-interval"), 1) * 60;
}

static void
session_settings_changed_cb (LumaApplication *self,
                             const char      *key)
{
  GHashTableIter iter;
  gpointer session;
  g_autofree char *ca = NULL;

  if (g_strcmp0 (key, "sync-interval") != 0 && g_strcmp0 (key, "ca-file") != 0)
    return;

  ca = g_settings_get_string (luma_application_get_settings (self), "ca-file");
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    {
      luma_session_set_sync_interval (session, read_sync_interval (self));
      luma_session_set_ca_file (session, ca);
    }
}

static void
session_finalized_cb (gpointer  data,
                      GObject  *where_the_object_was)
{
  LumaApplication *self = data;
  GHashTableIter iter;
  gpointer session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    if (session == (gpointer) where_the_object_was)
      {
        g_hash_table_iter_remove (&iter);
        return;
      }
}

LumaSession *
luma_application_dup_session (LumaApplication *self,
                              LumaAccount     *account)
{
  const LumaAccountIdentity *id;
  GSettings *settings;
  LumaSession *session;
  g_autofree char *ca = NULL;

  g_return_val_if_fail (LUMA_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (account), NULL);

  id = luma_account_get_id (account);
  session = g_hash_table_lookup (self->sessions, id->key);
  if (session != NULL &&
      (luma_session_get_status (session) == LUMA_SESSION_STATUS_STOPPED ||
       luma_session_get_status (session) == LUMA_SESSION_STATUS_FAILED))
    {
      /* Let go of: a new start begins afresh (a stopped one may still finish its callbacks). */
      g_object_weak_unref (G_OBJECT (session), session_finalized_cb, self);
      g_hash_table_remove (self->sessions, id->key);
      session = NULL;
    }
  if (session != NULL)
    {
      /* A secret given for this run replaces the one the session had, in its client too. */
      luma_session_set_secret (session, luma_account_get_secret (account));
      return g_object_ref (session);
    }

  settings = luma_application_get_settings (self);
  session = luma_session_new (account);
  luma_session_set_application (session, G_APPLICATION (self));
  ca = g_settings_get_string (settings, "ca-file");
  luma_session_set_ca_file (session, ca);
  luma_session_set_sync_interval (session, read_sync_interval (self));
  g_settings_bind (settings, "notifications-enabled", session, "notifications-enabled",
                   G_SETTINGS_BIND_GET);
  /* Kept while a window or the background mode uses it: the last one closes its cache. */
  g_hash_table_insert (self->sessions, g_strdup (id->key), session);
  g_object_weak_ref (G_OBJECT (session), session_finalized_cb, self);
  return session;
}

void
luma_application_release_session (LumaApplication *self,
                                  LumaSession     *session,
                                  GtkWindow       *leaving)
{
  g_return_if_fail (LUMA_IS_APPLICATION (self));
  g_return_if_fail (LUMA_IS_SESSION (session));

  if (self->background != NULL && luma_background_get_session (self->background) == session)
    return;
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (l->data != (gpointer) leaving && LUMA_IS_WINDOW (l->data) &&
        luma_window_get_session (l->data) == session)
      return;

  /* The last user: stop its sync and close its cache, as a window on its own did. */
  luma_session_stop (session);
}

static void
forget_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LumaApplication *self = g_task_get_source_object (task);
  LumaSession *session = LUMA_SESSION (source);
  LumaAccount *account = luma_session_get_account (session);
  GError *error = NULL;

  /* The settings entry goes in any case: the user asked to forget it. */
  luma_account_list_remove (luma_application_get_settings (self), account);

  if (!luma_session_forget_finish (session, result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
luma_application_forget_account_async (LumaApplication     *self,
                                       LumaAccount         *account,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(LumaSession) session = NULL;
  GTask *task;

  g_return_if_fail (LUMA_IS_APPLICATION (self));
  g_return_if_fail (LUMA_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, luma_application_forget_account_async);

  /* The windows on it go back to the first-run page first: they let go of the cache. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (LUMA_IS_WINDOW (l->data) && luma_window_get_account (l->data) != NULL &&
        luma_account_equal (luma_window_get_account (l->data), account))
      luma_window_set_account (l->data, NULL);
  if (self->background != NULL && luma_account_equal (luma_background_get_account (self->background), account))
    g_clear_object (&self->background);

  session = luma_application_dup_session (self, account);
  luma_session_forget_async (session, cancellable, forget_done_cb, task);
}

gboolean
luma_application_forget_account_finish (LumaApplication  *self,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
forget_action_done_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!luma_application_forget_account_finish (LUMA_APPLICATION (source), result, &error))
    g_warning ("Cannot forget the account completely: %s", error->message);
}

/* app.forget-account (kind, server, identity): after the user confirmed. */
static void
forget_account_activated (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  LumaApplication *self = user_data;
  g_autoptr(LumaAccount) account = NULL;
  const char *kind, *server, *identity;

  g_variant_get (parameter, "(&s&s&s)", &kind, &server, &identity);
  account = luma_account_new (g_str_equal (kind, "superadmin") ? LUMA_ACCOUNT_KIND_SUPERADMIN
                                                               : LUMA_ACCOUNT_KIND_TENANT,
                              server, identity);
  luma_application_forget_account_async (self, account, NULL, forget_action_done_cb, NULL);
}

static LumaWindow *
find_window (LumaApplication *self,
             LumaAccount     *account)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      LumaAccount *other;

      if (!LUMA_IS_WINDOW (l->data))
        continue;

      other = luma_window_get_account (l->data);
      if (account == NULL || (other != NULL && luma_account_equal (other, account)))
        return l->data;
    }

  return NULL;
}

static LumaAccount *
load_active_account (LumaApplication *self)
{
  GSettings *settings = luma_application_get_settings (self);
  g_autoptr(GPtrArray) accounts = luma_account_list_load (settings);
  int active = g_settings_get_int (settings, "active-account");

  if (active >= 0 && (guint) active < accounts->len)
    return g_object_ref (g_ptr_array_index (accounts, active));

  return NULL;
}

GtkWindow *
luma_application_open_account (LumaApplication *self,
                               LumaAccount     *account)
{
  g_autoptr(LumaAccount) stored = NULL;
  LumaWindow *window;

  g_return_val_if_fail (LUMA_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (account == NULL || LUMA_IS_ACCOUNT (account), NULL);

  window = find_window (self, account);
  if (window != NULL && account != NULL)
    {
      /* A secret given for this run replaces the one the window had. */
      if (luma_account_get_secret (account) != NULL)
        luma_window_set_account (window, account);
      gtk_window_present (GTK_WINDOW (window));
      return GTK_WINDOW (window);
    }

  if (account == NULL)
    {
      if (window != NULL)
        {
          gtk_window_present (GTK_WINDOW (window));
          return GTK_WINDOW (window);
        }
      account = stored = load_active_account (self);
    }

  window = luma_window_new (self, account);
  gtk_window_present (GTK_WINDOW (window));

  return GTK_WINDOW (window);
}

static void
luma_application_activate (GApplication *app)
{
  luma_application_open_account (LUMA_APPLICATION (app), NULL);
}

/* --background: no window; the hold keeps the process alive until quit. */
static int
start_background (LumaApplication         *self,
                  GApplicationCommandLine *command_line,
                  LumaAccount             *account)
{
  g_autoptr(LumaAccount) stored = NULL;

  if (self->background != NULL)
    return 0;
  if (account == NULL)
    account = stored = load_active_account (self);
  if (account == NULL)
    {
      g_application_command_line_printerr (command_line, "%s\n",
                                           _("No account to follow: connect one in the window first, "
                                             "or give --server and --tenant"));
      return 1;
    }

  {
    g_autoptr(LumaSession) session = luma_application_dup_session (self, account);

    self->background = luma_background_new (session);
  }
  g_application_hold (G_APPLICATION (self));
  return 0;
}

LumaBackground *
luma_application_get_background (LumaApplication *self)
{
  g_return_val_if_fail (LUMA_IS_APPLICATION (self), NULL);
  return self->background;
}

static void
start_in_background_changed_cb (LumaApplication *self)
{
  g_autoptr(GError) error = NULL;
  gboolean enabled = g_settings_get_boolean (luma_application_get_settings (self), "start-in-background");

  if (luma_background_in_flatpak ())
    return;
  if (!luma_background_set_autostart (enabled, &error))
    g_warning ("Cannot update the login item: %s", error->message);
}

static int
luma_application_command_line (GApplication            *app,
                               GApplicationCommandLine *command_line)
{
  LumaApplication *self = LUMA_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autoptr(LumaAccount) account = NULL;
  const char *server = NULL;
  const char *tenant = NULL;
  const char *superadmin = NULL;

  gboolean background = FALSE;

  /* Read once, then out of this process's environment: the secrets must not reach the
   * programs it starts or /proc/PID/environ. A remote invocation sent its own
   * environment (G_APPLICATION_SEND_ENVIRONMENT), read from the command line below. */
  if (!g_application_command_line_get_is_remote (command_line))
    {
      luma_credentials_free_secret (luma_credentials_take_env ("LUMA_API_KEY"));
      luma_credentials_free_secret (luma_credentials_take_env ("LUMA_PASSWORD"));
    }

  g_variant_dict_lookup (options, "server", "&s", &server);
  g_variant_dict_lookup (options, "tenant", "&s", &tenant);
  g_variant_dict_lookup (options, "superadmin", "&s", &superadmin);
  g_variant_dict_lookup (options, "background", "b", &background);

  if (server == NULL && tenant == NULL && superadmin == NULL)
    {
      if (background)
        return start_background (self, command_line, NULL);
      g_application_activate (app);
      return 0;
    }

  if (server == NULL || *server == '\0')
    {
      g_application_command_line_printerr (command_line, "%s\n",
                                           _("--tenant and --superadmin need --server URL"));
      return 2;
    }
  if ((tenant == NULL) == (superadmin == NULL))
    {
      g_application_command_line_printerr (command_line, "%s\n",
                                           _("Give either --tenant ID or --superadmin USER with --server"));
      return 2;
    }

  if (tenant != NULL)
    {
      account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, server, tenant);
      luma_account_set_secret (account,
                               g_application_command_line_getenv (command_line, "LUMA_API_KEY"));
    }
  else
    {
      account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN, server, superadmin);
      luma_account_set_secret (account,
                               g_application_command_line_getenv (command_line, "LUMA_PASSWORD"));
    }

  if (background)
    return start_background (self, command_line, account);

  luma_application_open_account (self, account);

  return 0;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  LumaApplication *self = user_data;

  /* Close the windows first so each one saves its size. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; )
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
  /* A window with unsaved contact edits asked what to do with them: it closes after the
   * answer, and the application does not quit under it. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (LUMA_IS_WINDOW (l->data) && luma_window_get_unsaved (l->data))
      return;
  g_application_quit (G_APPLICATION (self));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  LumaApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Luma Subscription developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", parent != NULL,
                        "application-name", _("Luma Subscription"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Luma Subscription developers"),
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/lumadesk/subscription",
                        "issue-url", "https://github.com/lumadesk/subscription/issues",
                        "comments", _("Follow your Luma licenses: subscription, consumption "
                                      "history, conversations and purchases, also offline."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  LumaApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  LumaPreferencesWindow *prefs;

  prefs = luma_preferences_window_new (luma_application_get_settings (self));
  if (LUMA_IS_WINDOW (parent))
    luma_preferences_window_set_cache (prefs, luma_window_get_cache (LUMA_WINDOW (parent)));
  if (parent != NULL)
    {
      gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
      gtk_window_set_modal (GTK_WINDOW (prefs), TRUE);
    }
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
shortcuts_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  LumaApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
show_page_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  LumaApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* Also reachable over D-Bus (gapplication action), e.g. for screenshots. */
  if (LUMA_IS_WINDOW (window))
    luma_window_show_page (LUMA_WINDOW (window), g_variant_get_string (parameter, NULL));
}

/* The window showing @tenant (or able to: a superadmin's), presented on @page. */
static void
show_tenant_page (LumaApplication *self,
                  const char      *tenant,
                  const char      *page)
{
  LumaWindow *found = NULL;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      LumaAccount *account;

      if (!LUMA_IS_WINDOW (l->data))
        continue;
      if (g_strcmp0 (luma_window_get_tenant (l->data), tenant) == 0)
        {
          found = l->data;
          break;
        }
      account = luma_window_get_account (l->data);
      if (found == NULL && account != NULL &&
          luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN)
        found = l->data;
    }

  if (found == NULL)
    {
      /* No window (running in the background): the stored account's. */
      found = LUMA_WINDOW (luma_application_open_account (self, NULL));
    }
  else if (g_strcmp0 (luma_window_get_tenant (found), tenant) != 0)
    {
      luma_window_open_tenant (found, tenant);
    }

  gtk_window_present (GTK_WINDOW (found));
  luma_window_show_page (found, page);
}

/* From a consumption notification: the tenant's Subscription page. */
static void
show_subscription_activated (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  show_tenant_page (user_data, g_variant_get_string (parameter, NULL), "subscription");
}

/* From a consumption notification's "Show History" button. */
static void
show_history_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  show_tenant_page (user_data, g_variant_get_string (parameter, NULL), "history");
}

/* ---- The desktop's search ------------------------------------------------------------------ */

static void
search_activate_result_cb (LumaApplication *self,
                           LumaAccount     *account,
                           const char      *tenant,
                           const char      *record_id,
                           guint            timestamp)
{
  LumaWindow *window = LUMA_WINDOW (luma_application_open_account (self, account));

  if (luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN &&
      g_strcmp0 (luma_window_get_tenant (window), tenant) != 0)
    luma_window_open_tenant (window, tenant);

  if (record_id != NULL)
    {
      GVariantDict filter;

      g_variant_dict_init (&filter, NULL);
      g_variant_dict_insert (&filter, "user", "s", record_id);
      gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-history-filtered",
                                          g_variant_dict_end (&filter));
    }
  gtk_window_present_with_time (GTK_WINDOW (window), timestamp);
}

static void
search_launch_cb (LumaApplication *self,
                  GStrv            terms,
                  guint            timestamp)
{
  GtkWindow *window = luma_application_open_account (self, NULL);

  gtk_window_present_with_time (window, timestamp);
}

static gboolean
luma_application_dbus_register (GApplication     *app,
                                GDBusConnection  *connection,
                                const char       *object_path,
                                GError          **error)
{
  LumaApplication *self = LUMA_APPLICATION (app);

  if (!G_APPLICATION_CLASS (luma_application_parent_class)->dbus_register (app, connection,
                                                                            object_path, error))
    return FALSE;

  /* Started by the shell for a search (--gapplication-service): stay a while
   * for the next keystrokes instead of leaving after each answer. */
  if (g_application_get_flags (app) & G_APPLICATION_IS_SERVICE)
    g_application_set_inactivity_timeout (app, 10000);

  self->search_provider = luma_search_provider_new (app, luma_application_get_settings (self));
  g_signal_connect_object (self->search_provider, "activate-result",
                           G_CALLBACK (search_activate_result_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_provider, "launch-search",
                           G_CALLBACK (search_launch_cb), self, G_CONNECT_SWAPPED);
  return luma_search_provider_export (self->search_provider, connection,
                                      LUMA_SEARCH_PROVIDER_OBJECT_PATH, error);
}

static void
luma_application_dbus_unregister (GApplication    *app,
                                  GDBusConnection *connection,
                                  const char      *object_path)
{
  LumaApplication *self = LUMA_APPLICATION (app);

  if (self->search_provider != NULL)
    luma_search_provider_unexport (self->search_provider);
  g_clear_object (&self->search_provider);

  G_APPLICATION_CLASS (luma_application_parent_class)->dbus_unregister (app, connection, object_path);
}

/* From a summary notification of a superadmin's background check: the tenants board, filtered
 * to the tenants that crossed. */
static void
show_tenants_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  LumaApplication *self = user_data;
  g_autofree const char **ids = g_variant_get_strv (parameter, NULL);
  LumaAccount *watched = NULL;
  LumaWindow *found = NULL;

  if (self->background != NULL)
    watched = luma_background_get_account (self->background);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      LumaAccount *account;

      if (!LUMA_IS_WINDOW (l->data))
        continue;
      account = luma_window_get_account (l->data);
      if (account == NULL || luma_account_get_kind (account) != LUMA_ACCOUNT_KIND_SUPERADMIN)
        continue;
      /* The watched account's window first. */
      if (found == NULL || (watched != NULL && luma_account_equal (account, watched)))
        found = l->data;
    }
  if (found == NULL)
    found = LUMA_WINDOW (luma_application_open_account (self, watched));

  if (g_strcmp0 (luma_window_get_page (found), "tenant") == 0)
    gtk_widget_activate_action (GTK_WIDGET (found), "win.back", NULL);
  luma_tenants_page_filter_to (LUMA_TENANTS_PAGE (luma_window_get_page_widget (found, "tenants")),
                               ids);
  gtk_window_present (GTK_WINDOW (found));
}

static const GActionEntry app_actions[] = {
  { "show-tenants", show_tenants_activated, "as" },
  { "show-page", show_page_activated, "s" },
  { "forget-account", forget_account_activated, "(sss)" },
  { "show-subscription", show_subscription_activated, "s" },
  { "show-history", show_history_activated, "s" },
  { "quit", quit_activated },
  { "about", about_activated },
  { "preferences", preferences_activated },
  { "shortcuts", shortcuts_activated },
};

static void
luma_application_startup (GApplication *app)
{
  LumaApplication *self = LUMA_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };
  static const char *refresh_accels[] = { "<Control>r", "F5", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };

  G_APPLICATION_CLASS (luma_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         shortcuts_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.refresh", refresh_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);

  /* The login item follows the preference, whoever changes it. */
  g_signal_connect_object (luma_application_get_settings (self), "changed::start-in-background",
                           G_CALLBACK (start_in_background_changed_cb), self, G_CONNECT_SWAPPED);
  if (g_settings_get_boolean (luma_application_get_settings (self), "start-in-background"))
    start_in_background_changed_cb (self);
  g_signal_connect_object (luma_application_get_settings (self), "changed",
                           G_CALLBACK (session_settings_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
luma_application_dispose (GObject *object)
{
  LumaApplication *self = LUMA_APPLICATION (object);

  g_clear_object (&self->background);
  if (self->sessions != NULL)
    {
      GHashTableIter iter;
      gpointer session;

      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, NULL, &session))
        g_object_weak_unref (session, session_finalized_cb, self);
    }
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->search_provider);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (luma_application_parent_class)->dispose (object);
}

static void
luma_application_class_init (LumaApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = luma_application_dispose;

  app_class->activate = luma_application_activate;
  app_class->startup = luma_application_startup;
  app_class->command_line = luma_application_command_line;
  app_class->dbus_register = luma_application_dbus_register;
  app_class->dbus_unregister = luma_application_dbus_unregister;

  luma_register_resource ();
}

static void
luma_application_init (LumaApplication *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Follow the licenses of a Luma tenant."));
}
