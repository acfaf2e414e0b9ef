/* luma-startup-trace.h: the milestones of a cold start, for build-aux/bench cold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* With LUMA_TRACE_STARTUP=FILE in the environment, writes one line per milestone of the start
 * of @app to FILE (see luma-startup-trace.c); without it, does nothing. Call it once, before
 * g_application_run(). */
void luma_startup_trace_init (GtkApplication *app);

G_END_DECLS
