/* test-contract-faults.c: the injected faults of docs/api.md section 7, as a client sees them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "contract-util.h"

#define SLOW_MS 2500

static LumaTestSandbox *
start_sandbox (const char *extra_name,
               const char *extra_value)
{
  return luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "40",
                                  "--superadmin", ROOT_USER ":" ROOT_PASS,
                                  "--slow-ms", G_STRINGIFY (SLOW_MS),
                                  extra_name, extra_value, NULL);
}

static void
set_fault (LumaTestSandbox *sb,
           const char      *kind,
           const char      *count)
{
  g_autofree char *body = NULL;

  if (count != NULL)
    body = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 1.0, \"count\": %s}]}",
                            kind, count);
  else
    body = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 1.0}]}", kind);
  luma_test_sandbox_set_faults (sb, body);
}

static void
clear_faults (LumaTestSandbox *sb)
{
  luma_test_sandbox_set_faults (sb, "{\"latencyMs\": 0, \"faults\": []}");
}

/* The complete, correct answer to GET /subscription (no faults set). */
static GBytes *
real_subscription_body (LumaTestSandbox *sb)
{
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

  luma_test_assert_response (r, 200, NULL);
  return g_bytes_ref (r->body);
}

static gboolean
is_prefix (GBytes *part,
           GBytes *whole)
{
  gsize n, m;
  const guint8 *a = g_bytes_get_data (part, &n);
  const guint8 *b = g_bytes_get_data (whole, &m);

  return n <= m && (n == 0 || memcmp (a, b, n) == 0);
}

static gboolean
parses_as_json (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  return size > 0 && json_parser_load_from_data (parser, data, size, NULL);
}

/* Control endpoints are never faulted, whatever is set. */
static void
assert_control_unaffected (LumaTestSandbox *sb)
{
  gint64 records = -1;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sb, ACME, &records, NULL);

  g_assert_cmpint (records, >=, 40);
}

static void
test_fault_500 (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  const char *paths[] = {
    "/subscription", "/subscription/consumption", "/subscription/purchases",
  };

  set_fault (sb, "500", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, paths[i], ACME_KEY, ACME);

      luma_test_assert_response (r, 500, "SERVER_ERROR");
    }
  {
    /* Platform endpoints too, the login included. */
    g_autoptr(LumaTestResponse) r = platform_request (sb, "POST", "/platform/login", NULL,
                                                      "{\"username\": \"root\", "
                                                      "\"password\": \"s3cret\"}", NULL, NULL);

    luma_test_assert_response (r, 500, "SERVER_ERROR");
  }
  assert_control_unaffected (sb);

  clear_faults (sb);
  {
    g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

    luma_test_assert_response (r, 200, NULL);
  }
}

static void
test_fault_429 (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  g_autoptr(LumaTestResponse) r = NULL;

  set_fault (sb, "429", NULL);
  r = tenant_get (sb, "/subscription/consumption?limit=10", ACME_KEY, ACME);
  luma_test_assert_response (r, 429, "RATE_LIMITED");
  g_assert_cmpstr (luma_test_response_get_header (r, "retry-after"), ==, "1");
  assert_control_unaffected (sb);
}

static void
test_fault_reset (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  g_autoptr(GBytes) real = real_subscription_body (sb);
  g_autoptr(LumaTestResponse) r = NULL;
  const char *length;

  set_fault (sb, "reset", NULL);
  r = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  /* The status line and headers arrived... */
  g_assert_cmpuint (r->status, ==, 200);
  length = luma_test_response_get_header (r, "content-length");
  g_assert_nonnull (length);
  /* ...with the full Content-Length, but only part of the body did. */
  g_assert_cmpuint (g_ascii_strtoull (length, NULL, 10), ==, g_bytes_get_size (real));
  g_assert_cmpuint (g_bytes_get_size (r->body), <, g_bytes_get_size (real));
  g_assert_true (is_prefix (r->body, real));
  g_assert_null (r->envelope);
  assert_control_unaffected (sb);
}

static void
test_fault_truncate (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  g_autoptr(GBytes) real = real_subscription_body (sb);
  g_autoptr(LumaTestResponse) r = NULL;
  const char *length;
  gsize half = g_bytes_get_size (real) / 2;

  set_fault (sb, "truncate", NULL);
  r = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  /* A consistent Content-Length: the transport sees nothing wrong... */
  length = luma_test_response_get_header (r, "content-length");
  g_assert_nonnull (length);
  g_assert_cmpuint (g_ascii_strtoull (length, NULL, 10), ==, g_bytes_get_size (r->body));
  /* ...but the body is the real JSON cut in half. */
  g_assert_cmpuint (g_bytes_get_size (r->body), >=, half);
  g_assert_cmpuint (g_bytes_get_size (r->body), <=, half + 1);
  g_assert_true (is_prefix (r->body, real));
  g_assert_false (parses_as_json (r->body));
  assert_control_unaffected (sb);
}

static void
test_fault_garbage (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  g_autoptr(LumaTestResponse) r = NULL;
  g_autoptr(LumaTestResponse) r2 = NULL;

  set_fault (sb, "garbage", NULL);
  r = tenant_get (sb, "/subscription", ACME_KEY, ACME);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (r->body), >, 0);
  g_assert_false (parses_as_json (r->body));

  r2 = tenant_get (sb, "/subscription/purchases", ACME_KEY, ACME);
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_false (parses_as_json (r2->body));
  assert_control_unaffected (sb);
}

static void
test_fault_slow (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);
  g_autoptr(LumaTestResponse) impatient = NULL;
  g_autoptr(LumaTestResponse) patient = NULL;
  gint64 start;
  gint64 elapsed;
  const char *headers[] = {
    "Luma-api-access-key", ACME_KEY, "Luma-tenant-externalId", ACME, NULL
  };
  g_autofree char *url = api_url (sb, "/subscription");

  set_fault (sb, "slow", NULL);

  /* A client with a 1 s time-out gives up: the answer is held for 2.5 s. */
  impatient = luma_test_requestv ("GET", url, NULL, headers, 1);
  g_assert_error (impatient->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* A patient one gets the real answer, no sooner than --slow-ms. */
  start = g_get_monotonic_time ();
  patient = luma_test_requestv ("GET", url, NULL, headers, 30);
  elapsed = g_get_monotonic_time () - start;
  luma_test_assert_response (patient, 200, NULL);
  g_assert_cmpint (elapsed, >=, SLOW_MS * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpstr (get_str (luma_test_response_get_result (patient), "externalId"), ==, ACME);
}

static gint64
time_request (LumaTestSandbox *sb)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

  luma_test_assert_response (r, 200, NULL);
  return g_get_monotonic_time () - start;
}

static void
test_fault_latency (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("--latency", "700");

  /* Every answer waits at least the latency: set on the command line... */
  g_assert_cmpint (time_request (sb), >=, 700 * G_TIME_SPAN_MILLISECOND);

  /* ...or replaced through the control endpoint. */
  luma_test_sandbox_set_faults (sb, "{\"latencyMs\": 1200, \"faults\": []}");
  g_assert_cmpint (time_request (sb), >=, 1200 * G_TIME_SPAN_MILLISECOND);
}

static void
test_fault_count (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox (NULL, NULL);

  set_fault (sb, "500", "2");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

      luma_test_assert_response (r, 500, "SERVER_ERROR");
    }
  /* Control calls in between do not use up the count. */
  set_fault (sb, "429", "3");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

      assert_control_unaffected (sb);
      luma_test_assert_response (r, 429, "RATE_LIMITED");
    }
  /* Then the fault is gone. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

      luma_test_assert_response (r, 200, NULL);
    }
}

/* The statuses of n requests against a sandbox started with these fault options. */
static char *
fault_pattern (const char *seed_value,
               guint       n)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                             "--fault", "500:0.5", "--seed-value", seed_value, NULL);
  g_autoptr(GString) pattern = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

      if (r->status == 500)
        luma_test_assert_response (r, 500, "SERVER_ERROR");
      else
        luma_test_assert_response (r, 200, NULL);
      g_string_append_c (pattern, r->status == 500 ? 'F' : '.');
    }
  return g_string_free (g_steal_pointer (&pattern), FALSE);
}

static void
test_fault_rate_repeatable (void)
{
  g_autofree char *a = fault_pattern ("7", 60);
  g_autofree char *b = fault_pattern ("7", 60);

  g_test_message ("pattern %s", a);
  /* Half of the answers fail (60 draws: all or none would be a broken generator)... */
  g_assert_nonnull (strchr (a, 'F'));
  g_assert_nonnull (strchr (a, '.'));
  /* ...and the same seed value fails the same ones. */
  g_assert_cmpstr (a, ==, b);
}

static void
test_fault_command_line (void)
{
  g_autoptr(LumaTestSandbox) sb = start_sandbox ("--fault", "429:1");
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription", ACME_KEY, ACME);

  luma_test_assert_response (r, 429, "RATE_LIMITED");
  g_assert_cmpstr (luma_test_response_get_header (r, "retry-after"), ==, "1");
  clear_faults (sb);
  {
    g_autoptr(LumaTestResponse) ok = tenant_get (sb, "/subscription", ACME_KEY, ACME);

    luma_test_assert_response (ok, 200, NULL);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/faults/500", test_fault_500);
  g_test_add_func ("/contract/faults/429", test_fault_429);
  g_test_add_func ("/contract/faults/reset", test_fault_reset);
  g_test_add_func ("/contract/faults/truncate", test_fault_truncate);
  g_test_add_func ("/contract/faults/garbage", test_fault_garbage);
  g_test_add_func ("/contract/faults/slow", test_fault_slow);
  g_test_add_func ("/contract/faults/latency", test_fault_latency);
  g_test_add_func ("/contract/faults/count", test_fault_count);
  g_test_add_func ("/contract/faults/rate-repeatable", test_fault_rate_repeatable);
  g_test_add_func ("/contract/faults/command-line", test_fault_command_line);

  return g_test_run ();
}
