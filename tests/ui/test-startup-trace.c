/* test-startup-trace.c: the milestones LUMA_TRACE_STARTUP writes, from the real program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real program ($LUMA_SUBSCRIPTION) starts on a tenant of the sandbox with the trace
 * written to a file; the test reads the lines as build-aux/bench cold does: each milestone
 * once, in the order of a start, with times that belong to this start.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "luma-test-sandbox.h"

#define TENANT     "trace"
#define TENANT_KEY "trace-key"

typedef struct
{
  char   *name;
  gint64  monotonic_us;
  double  since_start_ms;
  double  gap_ms;
  char   *detail;
} Milestone;

static void
milestone_free (gpointer data)
{
  Milestone *m = data;

  g_free (m->name);
  g_free (m->detail);
  g_free (m);
}

/* The lines of @path, each "NAME MONOTONIC_US SINCE_START_MS LONGEST_GAP_MS [DETAIL]". */
static GPtrArray *
read_milestones (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *milestones = g_ptr_array_new_with_free_func (milestone_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return milestones;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      Milestone *m;
      char *end;

      /* The last line may still be on its way. */
      if (lines[i + 1] == NULL)
        break;
      fields = g_strsplit (lines[i], " ", 5);
      g_assert_cmpuint (g_strv_length (fields), >=, 4);
      m = g_new0 (Milestone, 1);
      m->name = g_strdup (fields[0]);
      m->monotonic_us = g_ascii_strtoll (fields[1], &end, 10);
      g_assert_true (*end == '\0');
      m->since_start_ms = g_ascii_strtod (fields[2], &end);
      g_assert_true (*end == '\0');
      m->gap_ms = g_ascii_strtod (fields[3], &end);
      g_assert_true (*end == '\0');
      m->detail = g_strdup (fields[4]);
      g_ptr_array_add (milestones, m);
    }
  return milestones;
}

static Milestone *
find (GPtrArray  *milestones,
      const char *name)
{
  Milestone *found = NULL;

  for (guint i = 0; i < milestones->len; i++)
    {
      Milestone *m = milestones->pdata[i];

      if (g_str_equal (m->name, name))
        {
          /* Each once. */
          g_assert_null (found);
          found = m;
        }
    }
  return found;
}

/* The program ends with the test, even when an assertion aborts it: otherwise it would keep
 * the test's output open and the test would end only at its timeout. */
static void
end_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
launcher_for (LumaTestSandbox *sb)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_set_child_setup (launcher, end_with_parent, NULL, NULL);

  g_subprocess_launcher_setenv (launcher, "LUMA_API_KEY", TENANT_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", "cairo", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  g_subprocess_launcher_unsetenv (launcher, "LUMA_TRACE_STARTUP");
  return launcher;
}

static void
stop (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

static void
test_trace_milestones (void)
{
  const char *program = g_getenv ("LUMA_SUBSCRIPTION");
  g_autoptr(LumaTestSandbox) sb = luma_test_sandbox_start ("--tenant", TENANT, "--api-key", TENANT_KEY,
                                                           "--licenses", "1000", "--seed", "200", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) milestones = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("luma-trace-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "trace", NULL);
  static const char *const order[] = { "main", "window", "first-frame", "tenant", "subscription" };
  gint64 spawned = g_get_monotonic_time ();
  gint64 deadline = spawned + 60 * G_USEC_PER_SEC;
  Milestone *previous = NULL;

  g_assert_nonnull (program);
  g_assert_no_error (error);

  launcher = launcher_for (sb);
  g_subprocess_launcher_setenv (launcher, "LUMA_TRACE_STARTUP", path, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, "--server", luma_test_sandbox_get_url (sb),
                                         "--tenant", TENANT, NULL);
  g_assert_no_error (error);

  /* Until the cached or first-synced subscription is painted. */
  for (;;)
    {
      g_clear_pointer (&milestones, g_ptr_array_unref);
      milestones = read_milestones (path);
      if (find (milestones, "subscription") != NULL)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          for (guint i = 0; i < milestones->len; i++)
            g_test_message ("seen: %s", ((Milestone *) milestones->pdata[i])->name);
          g_error ("no \"subscription\" milestone within 60 s");
        }
      g_usleep (50 * 1000);
    }
  stop (process);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      Milestone *m = find (milestones, order[i]);

      g_assert_nonnull (m);
      g_test_message ("%s at +%.1f ms from the process's start, longest gap %.1f ms%s%s", m->name,
                      m->since_start_ms, m->gap_ms, m->detail != NULL ? ", " : "",
                      m->detail != NULL ? m->detail : "");
      /* This process, on the monotonic clock: after the spawn, in order, within the minute. */
      g_assert_cmpint (m->monotonic_us, >=, spawned);
      g_assert_cmpint (m->monotonic_us, <=, g_get_monotonic_time ());
      g_assert_cmpfloat (m->since_start_ms, >=, 0);
      g_assert_cmpfloat (m->since_start_ms, <, 60000);
      g_assert_cmpfloat (m->gap_ms, >=, 0);
      if (previous != NULL)
        {
          g_assert_cmpint (m->monotonic_us, >=, previous->monotonic_us);
          /* The longest gap so far only grows. */
          g_assert_cmpfloat (m->gap_ms, >=, previous->gap_ms);
        }
      previous = m;
    }
  g_assert_cmpstr (find (milestones, "first-frame")->detail, ==, "GskCairoRenderer");

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/ui/startup-trace/milestones", test_trace_milestones);
  return g_test_run ();
}
