/* luma-ui-test.h: helpers for the UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

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

  if (!gtk_init_check ())
    g_error ("Cannot open a display (DISPLAY=%s, WAYLAND_DISPLAY=%s): run the ui suite under "
             "xvfb-run, as build-aux/check does",
             g_getenv ("DISPLAY"), g_getenv ("WAYLAND_DISPLAY"));
  adw_init ();
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

G_END_DECLS
