/* main.c: luma-subscription
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "luma-application.h"
#include "luma-cli.h"
#include "luma-startup-trace.h"

/* Where the translations are: LUMA_LOCALEDIR when set; the build folder's compiled
 * catalogs (po/LANG/LC_MESSAGES) when the program runs from a meson build folder, where the
 * installed ones are missing or older; else the installed ones. */
static char *
find_locale_dir (void)
{
  const char *dir = g_getenv ("LUMA_LOCALEDIR");
  g_autofree char *exe = NULL;
  g_autofree char *exe_dir = NULL;
  g_autofree char *build_marker = NULL;

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);

  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      exe_dir = g_path_get_dirname (exe);
      build_marker = g_build_filename (exe_dir, "..", "meson-private", NULL);
      if (g_file_test (build_marker, G_FILE_TEST_IS_DIR))
        return g_build_filename (exe_dir, "..", "po", NULL);
    }

  return g_strdup (LOCALEDIR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LumaApplication) app = NULL;
  g_autofree char *locale_dir = find_locale_dir ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Commands such as "sync" or "export" run without a display. */
  if (luma_cli_is_headless (argc, argv))
    return luma_cli_run (argc, argv);

  app = luma_application_new ();
  /* Only with LUMA_TRACE_STARTUP set (build-aux/bench cold). */
  luma_startup_trace_init (GTK_APPLICATION (app));

  return g_application_run (G_APPLICATION (app), argc, argv);
}
