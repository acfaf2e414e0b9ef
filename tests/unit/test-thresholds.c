/* test-thresholds.c: sequences of consumption, refills and term changes
 * against the notifications they must give
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <glib.h>

#include "luma-capacity.h"
#include "luma-thresholds.h"

/* Contract terms of the calendar years 2026 and 2027 (docs/api.md §1). */
#define TERM_2026_START G_GINT64_CONSTANT (1767225600)  /* 2026-01-01T00:00:00Z */
#define TERM_2026_END   G_GINT64_CONSTANT (1798761599)  /* 2026-12-31T23:59:59Z */
#define TERM_2027_START G_GINT64_CONSTANT (1798761600)  /* 2027-01-01T00:00:00Z */

typedef struct
{
  int           term;       /* 2026 or 2027 */
  gint64        consumed;
  gint64        total;
  LumaThreshold notify;     /* expected */
  guint         rearmed;    /* expected */
} Step;

#define END_OF_STEPS { 0, 0, 0, 0, 0 }

/* Runs the steps in order, carrying the stored state from one to the next
 * as the cache would (a copy of the struct, as after a restart). */
static void
run_steps (const Step *steps)
{
  LumaThresholdState stored = { 0, };
  gboolean have_state = FALSE;
  guint i;

  for (i = 0; steps[i].term != 0; i++)
    {
      LumaThresholdDecision d;
      gint64 start = steps[i].term == 2026 ? TERM_2026_START : TERM_2027_START;
      LumaThreshold got;

      got = luma_thresholds_evaluate (have_state ? &stored : NULL, start,
                                      steps[i].consumed, steps[i].total, &d);
      if (got != steps[i].notify || d.notify != got || d.rearmed != steps[i].rearmed)
        g_error ("step %u (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT "): expected notify %u rearmed %u, "
                 "got notify %u rearmed %u",
                 i, steps[i].consumed, steps[i].total, steps[i].notify, steps[i].rearmed,
                 d.notify, d.rearmed);

      g_assert_cmpint (d.state.term_start, ==, start);
      g_assert_cmpuint (d.state.notified, ==,
                        luma_thresholds_reached (steps[i].consumed, steps[i].total));

      stored = d.state;
      have_state = TRUE;
    }
}

static void
test_thresholds_rising (void)
{
  static const Step steps[] = {
    { 2026,    0, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  500, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  749, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  750, 1000, LUMA_THRESHOLD_75, 0 },
    { 2026,  750, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  849, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  850, 1000, LUMA_THRESHOLD_85, 0 },
    { 2026,  900, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  950, 1000, LUMA_THRESHOLD_95, 0 },
    { 2026,  999, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 1000, 1000, LUMA_THRESHOLD_100, 0 },
    { 2026, 1000, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 1500, 1000, LUMA_THRESHOLD_NONE, 0 },
    END_OF_STEPS
  };

  run_steps (steps);
}

static void
test_thresholds_first_sync_skips (void)
{
  /* A first sync at 90 % notifies once, for 85 %, not for 75 % too. */
  static const Step at_90[] = {
    { 2026, 900, 1000, LUMA_THRESHOLD_85, 0 },
    { 2026, 900, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 940, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 960, 1000, LUMA_THRESHOLD_95, 0 },
    END_OF_STEPS
  };
  /* A jump over several thresholds between two syncs: only the highest. */
  static const Step jump[] = {
    { 2026,  100, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 1001, 1000, LUMA_THRESHOLD_100, 0 },
    { 2026, 1002, 1000, LUMA_THRESHOLD_NONE, 0 },
    END_OF_STEPS
  };

  run_steps (at_90);
  run_steps (jump);
}

static void
test_thresholds_refill_rearms (void)
{
  static const Step steps[] = {
    { 2026,  860, 1000, LUMA_THRESHOLD_85, 0 },
    /* A refill of 200: 860 of 1200 is 71.7 %, both re-armed, nothing said. */
    { 2026,  860, 1200, LUMA_THRESHOLD_NONE, LUMA_THRESHOLD_75 | LUMA_THRESHOLD_85 },
    { 2026,  899, 1200, LUMA_THRESHOLD_NONE, 0 },
    { 2026,  900, 1200, LUMA_THRESHOLD_75, 0 },
    { 2026, 1020, 1200, LUMA_THRESHOLD_85, 0 },
    { 2026, 1140, 1200, LUMA_THRESHOLD_95, 0 },
    /* A small refill: 1140 of 1250 is 91.2 %, only 95 % re-armed. */
    { 2026, 1140, 1250, LUMA_THRESHOLD_NONE, LUMA_THRESHOLD_95 },
    { 2026, 1150, 1250, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 1188, 1250, LUMA_THRESHOLD_95, 0 },
    /* A removal brings it back past 100 %. */
    { 2026, 1188, 1188, LUMA_THRESHOLD_100, 0 },
    END_OF_STEPS
  };

  run_steps (steps);
}

static void
test_thresholds_new_term (void)
{
  static const Step steps[] = {
    { 2026,  960, 1000, LUMA_THRESHOLD_95, 0 },
    /* The new term starts fresh: nothing re-armed, nothing to notify at 0. */
    { 2027,    0, 1000, LUMA_THRESHOLD_NONE, 0 },
    { 2027,  760, 1000, LUMA_THRESHOLD_75, 0 },
    END_OF_STEPS
  };
  /* Same consumption found in a new term: notified again, for that term. */
  static const Step same[] = {
    { 2026,  900, 1000, LUMA_THRESHOLD_85, 0 },
    { 2027,  900, 1000, LUMA_THRESHOLD_85, 0 },
    { 2027,  900, 1000, LUMA_THRESHOLD_NONE, 0 },
    END_OF_STEPS
  };
  /* A term is known by its start: an extended end date keeps what was notified. */
  LumaThresholdState stored = { TERM_2026_START, LUMA_THRESHOLD_75 };
  LumaThresholdState other = { TERM_2027_START, LUMA_THRESHOLD_75 | LUMA_THRESHOLD_85 };
  LumaThresholdDecision d;

  run_steps (steps);
  run_steps (same);

  g_assert_cmpint (luma_thresholds_evaluate (&stored, TERM_2026_START, 800, 1000, &d), ==,
                   LUMA_THRESHOLD_NONE);
  /* State of another term is not re-armed: it is just not this term's. */
  g_assert_cmpint (luma_thresholds_evaluate (&other, TERM_2026_START, 800, 1000, &d), ==,
                   LUMA_THRESHOLD_75);
  g_assert_cmpuint (d.rearmed, ==, 0);
}

static void
test_thresholds_zero_total (void)
{
  static const Step steps[] = {
    { 2026, 0, 0, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 5, 0, LUMA_THRESHOLD_100, 0 },
    { 2026, 6, 0, LUMA_THRESHOLD_NONE, 0 },
    { 2026, 6, 100, LUMA_THRESHOLD_NONE, LUMA_THRESHOLD_ALL },
    END_OF_STEPS
  };

  run_steps (steps);
}

static void
test_thresholds_exact_arithmetic (void)
{
  /* Integer comparisons: no rounding up just below a threshold. */
  g_assert_cmpuint (luma_thresholds_reached (5, 7), ==, 0);                  /* 71.4 % */
  g_assert_cmpuint (luma_thresholds_reached (6, 7), ==,
                    LUMA_THRESHOLD_75 | LUMA_THRESHOLD_85);                   /* 85.7 % */
  g_assert_cmpuint (luma_thresholds_reached (3, 4), ==, LUMA_THRESHOLD_75);  /* 75 % */
  g_assert_cmpuint (luma_thresholds_reached (74999, 100000), ==, 0);
  g_assert_cmpuint (luma_thresholds_reached (75000, 100000), ==, LUMA_THRESHOLD_75);
  g_assert_cmpuint (luma_thresholds_reached (19, 20), ==,
                    LUMA_THRESHOLD_75 | LUMA_THRESHOLD_85 | LUMA_THRESHOLD_95);
  g_assert_cmpuint (luma_thresholds_reached (1, 1), ==, LUMA_THRESHOLD_ALL);
  /* Counts up to 2^53 - 1 do not overflow. */
  g_assert_cmpuint (luma_thresholds_reached (LUMA_MAX_COUNT, LUMA_MAX_COUNT), ==, LUMA_THRESHOLD_ALL);
  g_assert_cmpuint (luma_thresholds_reached (LUMA_MAX_COUNT / 2, LUMA_MAX_COUNT), ==, 0);
  g_assert_cmpuint (luma_thresholds_reached (LUMA_MAX_COUNT, 1), ==, LUMA_THRESHOLD_ALL);
  /* Out-of-range input is clamped, never a crash or a false alarm. */
  g_assert_cmpuint (luma_thresholds_reached (-5, 100), ==, 0);
  g_assert_cmpuint (luma_thresholds_reached (50, -100), ==, LUMA_THRESHOLD_ALL);

  g_assert_cmpint (luma_threshold_highest (0), ==, LUMA_THRESHOLD_NONE);
  g_assert_cmpint (luma_threshold_highest (LUMA_THRESHOLD_75 | LUMA_THRESHOLD_95), ==, LUMA_THRESHOLD_95);
  g_assert_cmpuint (luma_threshold_get_percent (LUMA_THRESHOLD_85), ==, 85);
  g_assert_cmpuint (luma_threshold_get_percent (LUMA_THRESHOLD_NONE), ==, 0);
}

static void
test_thresholds_from_percents (void)
{
  g_autoptr(GArray) percents = g_array_new (FALSE, FALSE, sizeof (gint));
  gint values[] = { 75, 95, 50, 100 };

  g_assert_cmpuint (luma_thresholds_from_percents (NULL), ==, 0);
  g_assert_cmpuint (luma_thresholds_from_percents (percents), ==, 0);
  g_array_append_vals (percents, values, G_N_ELEMENTS (values));
  g_assert_cmpuint (luma_thresholds_from_percents (percents), ==,
                    LUMA_THRESHOLD_75 | LUMA_THRESHOLD_95 | LUMA_THRESHOLD_100);
}

static void
test_thresholds_priority_and_id (void)
{
  g_autofree char *id85 = luma_threshold_notification_id ("acme", LUMA_THRESHOLD_85);
  g_autofree char *id100 = luma_threshold_notification_id ("acme", LUMA_THRESHOLD_100);

  g_assert_cmpint (luma_threshold_get_priority (LUMA_THRESHOLD_75), ==, G_NOTIFICATION_PRIORITY_NORMAL);
  g_assert_cmpint (luma_threshold_get_priority (LUMA_THRESHOLD_85), ==, G_NOTIFICATION_PRIORITY_NORMAL);
  g_assert_cmpint (luma_threshold_get_priority (LUMA_THRESHOLD_95), ==, G_NOTIFICATION_PRIORITY_HIGH);
  g_assert_cmpint (luma_threshold_get_priority (LUMA_THRESHOLD_100), ==, G_NOTIFICATION_PRIORITY_URGENT);

  g_assert_cmpstr (id85, ==, "threshold-acme-85");
  g_assert_cmpstr (id100, ==, "threshold-acme-100");
}

static void
check_notification (LumaThreshold    threshold,
                    LumaLicenseType  type,
                    const char      *tenant_name,
                    gint64           consumed,
                    gint64           total,
                    const char      *title,
                    const char      *body)
{
  g_autoptr(LumaThresholdNotification) n =
    luma_threshold_notification_new (threshold, type, tenant_name, consumed, total, TERM_2026_END);

  g_assert_cmpstr (n->title, ==, title);
  g_assert_cmpstr (n->body, ==, body);
  g_assert_cmpint (n->priority, ==, luma_threshold_get_priority (threshold));
}

static void
test_thresholds_text (void)
{
  /* The test environment runs in C.UTF-8: no thousands separator, and the C
   * locale's short date. */
  check_notification (LUMA_THRESHOLD_85, LUMA_LICENSE_TYPE_SESSION, NULL, 850, 1000,
                      "85 % of licenses used",
                      "850 of 1000 sessions used, 150 left. The contract ends on 12/31/26.");
  /* The title says what was reached, not less. */
  check_notification (LUMA_THRESHOLD_85, LUMA_LICENSE_TYPE_SESSION, NULL, 903, 1000,
                      "90 % of licenses used",
                      "903 of 1000 sessions used, 97 left. The contract ends on 12/31/26.");
  check_notification (LUMA_THRESHOLD_75, LUMA_LICENSE_TYPE_USER, NULL, 38, 50,
                      "76 % of licenses used",
                      "38 of 50 user licenses used, 12 left. The contract ends on 12/31/26.");
  check_notification (LUMA_THRESHOLD_100, LUMA_LICENSE_TYPE_SESSION, "Acme Corporation", 1, 1,
                      "Acme Corporation: 100 % of licenses used",
                      "1 of 1 session used, none left. The contract ends on 12/31/26.");
  check_notification (LUMA_THRESHOLD_100, LUMA_LICENSE_TYPE_USER, "", 1050, 1000,
                      "105 % of licenses used",
                      "1050 of 1000 user licenses used, 50 more than purchased. "
                      "The contract ends on 12/31/26.");
  check_notification (LUMA_THRESHOLD_100, LUMA_LICENSE_TYPE_SESSION, NULL, 5, 0,
                      "100 % of licenses used",
                      "5 of 0 sessions used, 5 more than purchased. "
                      "The contract ends on 12/31/26.");
}

static void
test_thresholds_text_grouping (void)
{
  const char *locales[] = { "en_US.UTF-8", "en_GB.UTF-8", "en_US.utf8", NULL };
  g_autofree char *saved = g_strdup (setlocale (LC_NUMERIC, NULL));
  const char *found = NULL;
  guint i;

  for (i = 0; locales[i] != NULL && found == NULL; i++)
    if (setlocale (LC_NUMERIC, locales[i]) != NULL)
      found = locales[i];

  if (found == NULL)
    {
      g_test_skip ("no English locale installed to check thousands separators");
      return;
    }

  check_notification (LUMA_THRESHOLD_95, LUMA_LICENSE_TYPE_SESSION, NULL, 950000, 1000000,
                      "95 % of licenses used",
                      "950,000 of 1,000,000 sessions used, 50,000 left. "
                      "The contract ends on 12/31/26.");
  setlocale (LC_NUMERIC, saved);
}

/* The tenants board's status and days left (luma-capacity.h). */
static void
test_capacity (void)
{
  LumaTenantSummary t = { .external_id = (char *) "acme", .start_date = TERM_2026_START,
                          .end_date = TERM_2026_END, .total_purchase = 1000 };
  gint64 day = 86400;
  gint64 now = TERM_2026_START + 100 * day;
  LumaConsumptionSample sample = { TERM_2026_START, now - 10 * day, 400 };

  g_assert_cmpint (luma_capacity_of (0, 0), ==, LUMA_CAPACITY_OK);
  g_assert_cmpint (luma_capacity_of (1, 0), ==, LUMA_CAPACITY_AT_OR_OVER);
  g_assert_cmpint (luma_capacity_of (749, 1000), ==, LUMA_CAPACITY_OK);
  g_assert_cmpint (luma_capacity_of (750, 1000), ==, LUMA_CAPACITY_NEAR);
  g_assert_cmpint (luma_capacity_of (999, 1000), ==, LUMA_CAPACITY_NEAR);
  g_assert_cmpint (luma_capacity_of (1000, 1000), ==, LUMA_CAPACITY_AT_OR_OVER);
  g_assert_cmpint (luma_capacity_of (1010, 1000), ==, LUMA_CAPACITY_AT_OR_OVER);

  /* One sample: the term's average, 500 in 100 days, 500 left: 100 days */
  t.consumed = 500;
  g_assert_cmpfloat (luma_capacity_days_left (&t, NULL, now), ==, 100.0);
  /* The recent rate: 100 in the last 10 days, 500 left: 50 days */
  g_assert_cmpfloat (luma_capacity_days_left (&t, &sample, now), ==, 50.0);
  /* A sample of another term, older than the window or younger than an hour: the average */
  sample.term_start = TERM_2026_START - 365 * day;
  g_assert_cmpfloat (luma_capacity_days_left (&t, &sample, now), ==, 100.0);
  sample.term_start = TERM_2026_START;
  sample.sampled_on = now - 31 * day;
  g_assert_cmpfloat (luma_capacity_days_left (&t, &sample, now), ==, 100.0);
  sample.sampled_on = now - 60;
  g_assert_cmpfloat (luma_capacity_days_left (&t, &sample, now), ==, 100.0);
  /* Consumption that does not grow: unknown */
  sample.sampled_on = now - 10 * day;
  sample.consumed = 500;
  g_assert_cmpfloat (luma_capacity_days_left (&t, &sample, now), <, 0);
  t.consumed = 0;
  g_assert_cmpfloat (luma_capacity_days_left (&t, NULL, now), <, 0);
  /* Nothing left: 0; outside the term: unknown */
  t.consumed = 1000;
  g_assert_cmpfloat (luma_capacity_days_left (&t, NULL, now), ==, 0);
  t.consumed = 500;
  g_assert_cmpfloat (luma_capacity_days_left (&t, NULL, TERM_2026_END + 1), <, 0);
  g_assert_cmpfloat (luma_capacity_days_left (&t, NULL, TERM_2026_START - 1), <, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/thresholds/rising", test_thresholds_rising);
  g_test_add_func ("/thresholds/first-sync-skips", test_thresholds_first_sync_skips);
  g_test_add_func ("/thresholds/refill-rearms", test_thresholds_refill_rearms);
  g_test_add_func ("/thresholds/new-term", test_thresholds_new_term);
  g_test_add_func ("/thresholds/zero-total", test_thresholds_zero_total);
  g_test_add_func ("/thresholds/exact-arithmetic", test_thresholds_exact_arithmetic);
  g_test_add_func ("/thresholds/from-percents", test_thresholds_from_percents);
  g_test_add_func ("/thresholds/priority-and-id", test_thresholds_priority_and_id);
  g_test_add_func ("/thresholds/text", test_thresholds_text);
  g_test_add_func ("/thresholds/text-grouping", test_thresholds_text_grouping);
  g_test_add_func ("/thresholds/capacity", test_capacity);

  return g_test_run ();
}
