/* luma-ui-test.h: helpers for the UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <libintl.h>

#include "luma-application.h"

G_BEGIN_DECLS

/* g_test_init() with private XDG dirs, then GTK. Without a display the test fails: a UI test
 * that silently skips would let a broken window pass CI. */
static inline void
luma_ui_test_init (int    *argc,
                   char ***argv)
{
  g_autoptr(GPtrArray) mime_dirs = g_ptr_array_new_with_free_func (g_free);

  /* The private XDG dirs hide the system's MIME database, without which
   * gdk-pixbuf cannot tell an SVG icon from garbage: keep the real one. */
  for (const char * const *dir = g_get_system_data_dirs (); *dir != NULL; dir++)
    g_ptr_array_add (mime_dirs, g_build_filename (*dir, "mime", NULL));
  g_ptr_array_add (mime_dirs, NULL);

  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_content_type_set_mime_dirs ((const char * const *) mime_dirs->pdata);
  /* Settings and resources in memory; no notifications of a real session. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* Software GL under Xvfb is about three times slower than cairo, and the
   * renderer is not what these tests check. An explicit choice wins. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  if (!gtk_init_check ())
    g_error ("Cannot open a display (DISPLAY=%s, WAYLAND_DISPLAY=%s): run the ui suite under "
             "xvfb-run, as build-aux/check does",
             g_getenv ("DISPLAY"), g_getenv ("WAYLAND_DISPLAY"));
  adw_init ();
}

/* Makes this process read the build folder's translations, as the app does when it runs
 * from there (app/main.c), so that a test can say what a process in the caller's language
 * shows: g_dgettext (GETTEXT_PACKAGE, "...") then gives the same words. Call it after
 * luma_ui_test_init(), which has set the locale. */
static inline void
luma_ui_test_bind_translations (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);

  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

/* Runs the main context until @done returns TRUE or @timeout_s pass; returns what @done said
 * last. The time-out only bounds a failing test; nothing asserts on durations. */
static inline gboolean
luma_ui_test_wait (gboolean (*done) (gpointer data),
                   gpointer   data,
                   guint      timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return done (data);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return TRUE;
}

/* Spins the main context for a few iterations so pending idles and frames run. */
static inline void
luma_ui_test_flush (void)
{
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

/* The registered application of this test process (one per process: a second one would
 * clash with the first on the session bus). It does not ask the bus for its name, so tests
 * can run while the app is open elsewhere. Returns a new reference. */
static inline LumaApplication *
luma_ui_test_get_application (void)
{
  static LumaApplication *app;

  if (app == NULL)
    {
      g_autoptr(GError) error = NULL;

      app = luma_application_new ();
      g_application_set_flags (G_APPLICATION (app),
                               g_application_get_flags (G_APPLICATION (app)) |
                               G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, &error);
      g_assert_no_error (error);
    }

  return g_object_ref (app);
}

static inline gboolean
luma_ui_test_widget_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (GTK_WIDGET (widget));
}

/* The first widget under @widget (not @widget itself), depth first, for which @match says
 * TRUE, or NULL. */
static inline GtkWidget *
luma_ui_test_find_matching (GtkWidget     *widget,
                            gboolean     (*match) (GtkWidget *child, gconstpointer data),
                            gconstpointer  data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (match (child, data))
        return child;
      if ((found = luma_ui_test_find_matching (child, match, data)) != NULL)
        return found;
    }

  return NULL;
}

static inline gboolean
luma_ui_test_is_of_type (GtkWidget     *widget,
                         gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, (GType) GPOINTER_TO_SIZE (type));
}

/* The first widget of @type under @widget, or NULL: for the parts a composite widget builds
 * on its own, such as the GtkListView inside a GtkColumnView. */
static inline GtkWidget *
luma_ui_test_find_descendant (GtkWidget *widget,
                              GType      type)
{
  return luma_ui_test_find_matching (widget, luma_ui_test_is_of_type, GSIZE_TO_POINTER (type));
}

static inline gboolean
luma_ui_test_is_action_button (GtkWidget     *widget,
                               gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* The first button under @widget that activates @action ("win.refresh"), or NULL. */
static inline GtkWidget *
luma_ui_test_find_action_button (GtkWidget  *widget,
                                 const char *action)
{
  return luma_ui_test_find_matching (widget, luma_ui_test_is_action_button, action);
}

static inline gboolean
luma_ui_test_is_button_labelled (GtkWidget     *widget,
                                 gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

/* The first button under @widget labelled @label (with its mnemonic underscore), or NULL. */
static inline GtkWidget *
luma_ui_test_find_button_labelled (GtkWidget  *widget,
                                   const char *label)
{
  return luma_ui_test_find_matching (widget, luma_ui_test_is_button_labelled, label);
}

/* The first toplevel of @type that is visible, or NULL. */
static inline GtkWindow *
luma_ui_test_find_toplevel (GType type)
{
  g_autoptr(GListModel) toplevels = NULL;

  toplevels = g_object_ref (gtk_window_get_toplevels ());
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) &&
          gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

/* Library widgets that name their own parts. */
static inline gboolean
luma_ui_test_is_opaque (GtkWidget *widget)
{
  static const char *opaque[] = {
    "GtkWindowControls", "AdwViewSwitcher", "AdwViewSwitcherTitle", "AdwViewSwitcherBar",
    "AdwToastWidget", "AdwEntryRow", "AdwPasswordEntryRow", "GtkMenuButton", "GtkDropDown",
    "GtkSpinButton", "GtkSearchEntry", "GtkEntry", "GtkPopover", "GtkPopoverMenu", NULL,
  };

  return g_strv_contains (opaque, G_OBJECT_TYPE_NAME (widget));
}

static inline gboolean
luma_ui_test_is_interactive (GtkWidget *widget)
{
  /* The list inside a GtkColumnView is named through the column view. */
  if (GTK_IS_LIST_VIEW (widget) && GTK_IS_COLUMN_VIEW (gtk_widget_get_parent (widget)))
    return FALSE;

  return GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_SWITCH (widget) ||
         GTK_IS_CHECK_BUTTON (widget) || GTK_IS_ENTRY (widget) || GTK_IS_SEARCH_ENTRY (widget) ||
         GTK_IS_SPIN_BUTTON (widget) || GTK_IS_DROP_DOWN (widget) || GTK_IS_SCALE (widget) ||
         GTK_IS_COLUMN_VIEW (widget) || GTK_IS_LIST_VIEW (widget) || ADW_IS_ENTRY_ROW (widget) ||
         ADW_IS_COMBO_ROW (widget);
}

/* Whether a screen reader has a name to read for @widget: an explicit label, a labelled-by
 * relation, or the text it shows (a button's label, a row's title). */
static inline gboolean
luma_ui_test_has_name (GtkWidget *widget)
{
  GtkAccessible *accessible = GTK_ACCESSIBLE (widget);

  if (gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL) ||
      gtk_test_accessible_has_relation (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;

  if (GTK_IS_BUTTON (widget))
    {
      const char *label = gtk_button_get_label (GTK_BUTTON (widget));
      GtkWidget *child = gtk_button_get_child (GTK_BUTTON (widget));

      if (gtk_button_get_icon_name (GTK_BUTTON (widget)) == NULL && label != NULL && *label != '\0')
        return TRUE;
      if (GTK_IS_LABEL (child) && *gtk_label_get_label (GTK_LABEL (child)) != '\0')
        return TRUE;
      return FALSE;
    }
  if (GTK_IS_CHECK_BUTTON (widget))
    return gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)) != NULL;
  if (ADW_IS_PREFERENCES_ROW (widget))
    {
      const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));

      return title != NULL && *title != '\0';
    }

  return FALSE;
}

/* Appends "Type (where)" for every visible interactive widget under @widget without a name. */
static inline void
luma_ui_test_collect_unnamed (GtkWidget *widget,
                              GString   *report,
                              guint     *n_checked)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if (luma_ui_test_is_interactive (widget))
    {
      (*n_checked)++;
      if (!luma_ui_test_has_name (widget))
        {
          const char *tooltip = gtk_widget_get_tooltip_text (widget);
          GtkWidget *parent = gtk_widget_get_parent (widget);

          g_string_append_printf (report, "%s (tooltip \"%s\", in %s)\n", G_OBJECT_TYPE_NAME (widget),
                                  tooltip != NULL ? tooltip : "",
                                  parent != NULL ? G_OBJECT_TYPE_NAME (parent) : "-");
        }
    }

  if (luma_ui_test_is_opaque (widget))
    return;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    luma_ui_test_collect_unnamed (child, report, n_checked);
}

static inline void
luma_ui_test_assert_all_named (GtkWidget *root,
                               guint      min_checked)
{
  g_autoptr(GString) report = g_string_new (NULL);
  guint n_checked = 0;

  luma_ui_test_collect_unnamed (root, report, &n_checked);
  if (report->len > 0)
    g_error ("Interactive widgets without an accessible name in %s:\n%s",
             G_OBJECT_TYPE_NAME (root), report->str);
  /* The walk really saw the controls */
  g_assert_cmpuint (n_checked, >=, min_checked);
}

G_END_DECLS
