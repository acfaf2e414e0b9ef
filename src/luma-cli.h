/* luma-cli.h: the headless command line of luma-subscription
 *
 * Runs before GTK starts and needs no display:
 *
 *   luma-subscription --server URL --tenant ID --sync
 *   luma-subscription --server URL --tenant ID --status
 *   luma-subscription --server URL --tenant ID --export-csv FILE
 *                     [--from DATE] [--to DATE] [--search TEXT] [--bom]
 *
 * with --superadmin USER to act as a superadmin on the tenant, and
 * --ca-file FILE to trust an extra certificate authority. The API key comes
 * from LUMA_API_KEY or the keyring, a superadmin password from LUMA_PASSWORD
 * or the keyring: never from the command line, where other users could read
 * it. The cache lives under $XDG_CACHE_HOME like the app's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses of luma_cli_run(). */
#define LUMA_CLI_EXIT_OK        0
#define LUMA_CLI_EXIT_FAILURE   1  /* the command failed; stderr says why */
#define LUMA_CLI_EXIT_USAGE     2  /* the command line itself is wrong */

/* TRUE when the arguments ask for a headless command (--sync, --status or
 * --export-csv): then call luma_cli_run() instead of starting the UI. */
gboolean luma_cli_is_headless (int    argc,
                               char **argv);

/* Parses the arguments and runs the commands they name (in the order sync,
 * status, export), printing results on standard output and errors on
 * standard error. Returns the exit status. */
int      luma_cli_run         (int    argc,
                               char **argv);

G_END_DECLS
