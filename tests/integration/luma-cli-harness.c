/* luma-cli-harness.c: the headless command line without the GTK app around it
 *
 * Used by the integration tests when the app is not built (-Dapp=false); the app's own main()
 * hands the same arguments to luma_cli_run().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include "luma-cli.h"

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  return luma_cli_run (argc, argv);
}
