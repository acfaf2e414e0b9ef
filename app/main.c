/* main.c: luma-subscription
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "luma-application.h"
#include "luma-cli.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LumaApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Commands such as "sync" or "export" run without a display. */
  if (luma_cli_is_headless (argc, argv))
    return luma_cli_run (argc, argv);

  app = luma_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
