/* bench-util.h: what the benchmarks of the real window share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CPU clocks and /proc readers, a private home, the sandbox and a cache of generated session
 * records, the application and its window, a main loop spun for a while or until something
 * happened, and a 5 ms heartbeat that measures the main loop's stalls.
 */

#pragma once

#include <adwaita.h>

#include "luma-application.h"
#include "luma-test-sandbox.h"
#include "luma-window.h"

G_BEGIN_DECLS

#define BENCH_TENANT   "bench"
#define BENCH_API_KEY  "bench-key"
/* A main-loop gap longer than this is a stall. */
#define BENCH_STALL_MS 50.0

/* Ends the bench with @error's message unless @ok: a bench has no failed test to report. */
void              bench_check                  (gboolean          ok,
                                                GError           *error);

/* ---- Clocks and the system ------------------------------------------------------------------ */

double            bench_process_cpu_ms         (void);
double            bench_thread_cpu_ms          (void);
/* A "Field:" of /proc/self/status in KiB (e.g. "RssAnon:"), -1 when unknown. */
long              bench_proc_status_kib        (const char       *field);
/* The three load averages of /proc/loadavg, "?" when unknown. */
char             *bench_load_average           (void);

/* ---- Set-up and clean-up -------------------------------------------------------------------- */

/* A new folder from @name_template (see g_dir_make_tmp()) holding the XDG cache, config and data
 * folders, settings in memory and no proxy look-up: call it before anything reads them. */
char             *bench_make_private_home      (const char       *name_template);
/* Removes @path and everything under it. */
void              bench_remove_tree            (const char       *path);

/* A sandbox with the bench's tenant (5,000,000 licenses, no records of its own) and
 * @extra_args (NULL-terminated, may be NULL). */
LumaTestSandbox  *bench_start_sandbox          (const char * const *extra_args);

/* A well-mixed hash of @x: generated records look random yet are the same in every run. */
guint32           bench_mix                    (guint32           x);

typedef LumaSessionRecord *(*BenchRecordFunc) (guint    i,
                                               guint    n,
                                               gpointer data);

/* Writes @n records made by @make_record into the tenant's cache for @server with the cache's
 * bulk API and builds its indexes; @cursor (may be NULL) is committed with the last batch.
 * Stores the seconds until the records were written and until the indexes were ready. */
void              bench_build_cache            (const char       *server,
                                                guint             n,
                                                BenchRecordFunc   make_record,
                                                gpointer          data,
                                                const char       *cursor,
                                                double           *written_s,
                                                double           *indexed_s);

/* The history benches' cache of @n session records for the bench's tenant on @sandbox: 40,000
 * users (6 % visitors) over the year before now, names and emails in many scripts, six channels,
 * 25 agents; every index built. Copied from @template_path when that file exists, else built
 * (and, with @template_path, kept there); then its cursor is set to the end of the sandbox's
 * feed, so that a sync at start is an incremental one. */
void              bench_prepare_history_cache  (LumaTestSandbox  *sandbox,
                                                guint             n,
                                                const char       *template_path);

/* ---- The application ------------------------------------------------------------------------ */

/* GTK and libadwaita; ends the bench without a display, naming @step of build-aux/bench. */
void              bench_init_gtk               (const char       *step);
/* The application, its window 1280 x 800, its notifications off. */
LumaApplication  *bench_application_new        (void);
/* A window of @app for the bench's tenant on @sandbox, signed in with its key. */
LumaWindow       *bench_open_window            (LumaApplication  *app,
                                                LumaTestSandbox  *sandbox);
void              bench_print_renderer         (const char       *renderer);

/* ---- The main loop -------------------------------------------------------------------------- */

/* What one turn of the main loop is (by default one blocking iteration): a bench that follows
 * the window after each turn sets its own. */
void              bench_set_iterate            (void            (*iterate) (void));
void              bench_iterate                (void);
void              bench_spin_for               (gint64            us);
/* Spins until @done says TRUE (returns TRUE) or @timeout_s passed (returns FALSE). */
gboolean          bench_spin_until             (gboolean        (*done) (gpointer data),
                                                gpointer          data,
                                                guint             timeout_s);

/* Starts the 5 ms heartbeat; every gap between its beats longer than 10 ms is kept. */
void              bench_heartbeat_start        (void);
/* The next gap starts now: a gap that began before a step (the bench's own set-up) is not
 * the step's. */
void              bench_heartbeat_reset        (void);
/* The longest gap overlapping @t0..@t1 (monotonic µs) and how many were stalls. */
void              bench_heartbeat_max_gap      (gint64            t0,
                                                gint64            t1,
                                                double           *max_ms,
                                                guint            *n_stalls);
/* Prints each stall overlapping @t0..@t1 and when it began. */
void              bench_heartbeat_print_stalls (gint64            t0,
                                                gint64            t1);

G_END_DECLS
