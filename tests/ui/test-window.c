/* test-window.c: the application object and its main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "luma-application.h"
#include "luma-preferences-window.h"
#include "luma-window.h"
#include "luma-ui-test.h"

static gboolean
about_is_open (gpointer data)
{
  return luma_ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW) != NULL;
}

static gboolean
preferences_are_open (gpointer data)
{
  return luma_ui_test_find_toplevel (LUMA_TYPE_PREFERENCES_WINDOW) != NULL;
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

/* Whether the class of @widget installed the action @name (e.g. "win.refresh"). */
static gboolean
has_class_action (GtkWidget  *widget,
                  const char *name)
{
  GtkWidgetClass *klass = GTK_WIDGET_GET_CLASS (widget);
  GType owner;
  const char *action_name;
  const GVariantType *parameter_type;
  const char *property_name;

  /* GTK 4.8 writes every out argument: none may be NULL. */
  for (guint i = 0;
       gtk_widget_class_query_action (klass, i, &owner, &action_name, &parameter_type,
                                      &property_name);
       i++)
    if (g_strcmp0 (action_name, name) == 0)
      return TRUE;

  return FALSE;
}

static void
test_window_opens (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  const char *app_actions[] = { "quit", "about", "preferences", "shortcuts", "show-page",
                                "show-subscription", "show-history" };
  const char *win_actions[] = { "win.refresh", "win.search", "win.back", "win.accounts" };
  g_auto(GStrv) accels = NULL;
  GtkWindow *window;
  GtkWindow *about;

  window = luma_application_open_account (app, NULL);
  g_assert_true (LUMA_IS_WINDOW (window));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));

  g_assert_cmpstr (gtk_window_get_title (window), ==, "Luma Subscription");
  /* No account stored: the first-run page. */
  g_assert_null (luma_window_get_account (LUMA_WINDOW (window)));

  for (guint i = 0; i < G_N_ELEMENTS (app_actions); i++)
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), app_actions[i]));
  for (guint i = 0; i < G_N_ELEMENTS (win_actions); i++)
    g_assert_true (has_class_action (GTK_WIDGET (window), win_actions[i]));

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>q"));
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.refresh");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>r"));
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.search");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>f"));

  /* The shortcuts window comes from the resource GtkApplication loads by itself. */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_true (luma_ui_test_wait (about_is_open, NULL, 30));
  about = luma_ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_true (gtk_window_get_transient_for (about) == window);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==,
                   "Luma Subscription");
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  gtk_window_destroy (about);

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_true (luma_ui_test_wait (preferences_are_open, NULL, 30));
  gtk_window_destroy (luma_ui_test_find_toplevel (LUMA_TYPE_PREFERENCES_WINDOW));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

static void
test_window_size_remembered (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GSettings *settings = luma_application_get_settings (app);
  GtkWindow *window;
  int width, height;

  g_settings_set_int (settings, "window-width", 812);
  g_settings_set_int (settings, "window-height", 634);
  g_settings_set_boolean (settings, "window-maximized", FALSE);

  window = luma_application_open_account (app, NULL);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  gtk_window_get_default_size (window, &width, &height);
  g_assert_cmpint (width, ==, 812);
  g_assert_cmpint (height, ==, 634);

  gtk_window_set_default_size (window, 901, 702);
  luma_ui_test_flush ();
  gtk_window_close (window);
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 901);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 702);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

static void
test_account_list (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GSettings *settings = luma_application_get_settings (app);
  g_autoptr(LumaAccount) tenant = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                    "https://luma.example/gateway/api/v1", "acme");
  g_autoptr(LumaAccount) admin = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                   "https://luma.example/gateway/api/v1", "root");
  g_autoptr(GPtrArray) accounts = NULL;

  g_settings_reset (settings, "accounts");
  g_assert_cmpint (luma_account_list_add (settings, tenant), ==, 0);
  g_assert_cmpint (luma_account_list_add (settings, admin), ==, 1);
  g_assert_cmpint (luma_account_list_add (settings, tenant), ==, 0);
  g_settings_set_int (settings, "active-account", 1);

  accounts = luma_account_list_load (settings);
  g_assert_cmpuint (accounts->len, ==, 2);
  g_assert_true (luma_account_equal (g_ptr_array_index (accounts, 1), admin));
  g_assert_cmpint (luma_account_get_kind (g_ptr_array_index (accounts, 1)), ==,
                   LUMA_ACCOUNT_KIND_SUPERADMIN);

  luma_account_list_remove (settings, tenant);
  g_clear_pointer (&accounts, g_ptr_array_unref);
  accounts = luma_account_list_load (settings);
  g_assert_cmpuint (accounts->len, ==, 1);
  /* The active account is still the superadmin, now at index 0. */
  g_assert_cmpint (g_settings_get_int (settings, "active-account"), ==, 0);
  g_settings_reset (settings, "accounts");
  g_settings_reset (settings, "active-account");
}

int
main (int   argc,
      char *argv[])
{
  luma_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/window/opens", test_window_opens);
  g_test_add_func ("/ui/window/size-remembered", test_window_size_remembered);
  g_test_add_func ("/ui/window/account-list", test_account_list);

  return g_test_run ();
}
