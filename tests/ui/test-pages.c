/* test-pages.c: every page of the window against the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include <sqlite3.h>

#include "luma-account-page.h"
#include "luma-alerts.h"
#include "luma-breakdown-page-private.h"
#include "luma-cache-private.h"
#include "luma-contacts-editor.h"
#include "luma-gauge-private.h"
#include "luma-conversation-window.h"
#include "luma-history-page-private.h"
#include "luma-preferences-window.h"
#include "luma-purchases-page.h"
#include "luma-refill-dialog.h"
#include "luma-subscription-page-private.h"
#include "luma-tenants-page-private.h"
#include "luma-test-sandbox.h"
#include "luma-format.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"

#define ACME       "acme"
#define ACME_KEY   "acme-key-ui"
#define BETA       "beta"
#define BETA_KEY   "beta-key-ui"
#define ROOT_USER  "root"
#define ROOT_PASS  "s3cret-ui"

static LumaTestSandbox *sandbox;

/* The warnings a test provokes on purpose (prefixes of them, NULL-terminated), and which
 * came: the structured log's default writer would make them fatal. */
static const char *expected_warnings[3];
static gboolean    expected_warnings_seen[G_N_ELEMENTS (expected_warnings)];

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if ((log_level & G_LOG_LEVEL_WARNING) != 0)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        for (guint w = 0; expected_warnings[w] != NULL; w++)
          if (g_str_has_prefix (fields[i].value, expected_warnings[w]))
            {
              g_test_message ("expected warning: %s", (const char *) fields[i].value);
              expected_warnings_seen[w] = TRUE;
              return G_LOG_WRITER_HANDLED;
            }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* ---- Helpers -------------------------------------------------------------------------------- */

static JsonObject *
tenant_get (const char *tenant,
            const char *key,
            const char *path)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sandbox), path, NULL);
  LumaTestResponse *r = luma_test_request ("GET", url, NULL,
                                           "Luma-api-access-key", key,
                                           "Luma-tenant-externalId", tenant,
                                           NULL);
  JsonObject *result;

  luma_test_assert_response (r, 200, NULL);
  result = json_object_ref (luma_test_response_get_result (r));
  luma_test_response_free (r);
  return result;
}

static gboolean
window_ready (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data));
}

static LumaWindow *
open_window (LumaAccountKind kind,
             const char     *identity,
             const char     *secret)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (kind, luma_test_sandbox_get_url (sandbox),
                                                     identity);
  GtkWindow *window;

  luma_account_set_secret (account, secret);
  window = luma_application_open_account (app, account);
  g_assert_true (LUMA_IS_WINDOW (window));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));

  return LUMA_WINDOW (window);
}

static LumaWindow *
open_tenant_window (const char *tenant,
                    const char *key)
{
  LumaWindow *window = open_window (LUMA_ACCOUNT_KIND_TENANT, tenant, key);

  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenant");
  return window;
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

static void
close_window (LumaWindow *window)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

static gboolean
history_idle (gpointer data)
{
  LumaHistoryPage *page = data;

  return !luma_history_page_get_busy (page) && luma_history_page_get_query (page) != NULL;
}

static gboolean
history_not_downloading (gpointer data)
{
  return !luma_history_page_get_downloading (LUMA_HISTORY_PAGE (data));
}

static char *
count_string (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

/* ---- Subscription and purchases ------------------------------------------------------------- */

static void
test_subscription_page (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  LumaPurchasesPage *purchases = LUMA_PURCHASES_PAGE (luma_window_get_page_widget (window, "purchases"));
  g_autoptr(JsonObject) sub = tenant_get (ACME, ACME_KEY, "/subscription");
  g_autoptr(JsonObject) pur = tenant_get (ACME, ACME_KEY, "/subscription/purchases");
  g_autofree char *total = count_string (json_object_get_int_member (sub, "totalPurchase"));
  g_autofree char *consumed = count_string (json_object_get_int_member (sub, "consumed"));
  g_autofree char *available = count_string (json_object_get_int_member (sub, "available"));
  g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT " minutes",
                                               json_object_get_int_member (sub, "sessionDurationMinutes"));
  JsonArray *items = json_object_get_array_member (pur, "items");
  JsonObject *newest = json_array_get_object_element (items, 0);
  g_autofree char *row = NULL;
  g_autofree char *newest_total = NULL;

  g_assert_cmpstr (luma_subscription_page_get_value (page, "license-type"), ==, "Session-Based");
  g_assert_cmpstr (luma_subscription_page_get_value (page, "total-purchase"), ==, total);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "consumed"), ==, consumed);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "available"), ==, available);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "session-duration"), ==, duration);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "synced"), ==, "Synced just now");
  /* The contract term of the sandbox is the current calendar year, in progress. */
  g_assert_true (g_str_has_prefix (luma_subscription_page_get_value (page, "forecast"), "At the current rate"));

  g_assert_nonnull (luma_subscription_page_get_subscription (page));
  g_assert_cmpstr (luma_subscription_page_get_subscription (page)->tenant_name, ==, "Acme Corporation");

  /* Purchases: as many rows as the server's history, newest first */
  g_assert_cmpuint (luma_purchases_page_get_purchases (purchases)->len, ==, json_array_get_length (items));
  row = luma_purchases_page_dup_row_text (purchases, 0);
  newest_total = g_strdup_printf ("|Total %'" G_GINT64_FORMAT, json_object_get_int_member (newest, "totalAfter"));
  g_assert_true (g_str_has_suffix (row, newest_total));
  g_assert_true (strstr (row, json_object_get_string_member (newest, "performedBy")) != NULL);
  g_assert_true (strstr (row, json_object_get_string_member (newest, "reason")) != NULL);
  g_assert_null (luma_purchases_page_dup_row_text (purchases, json_array_get_length (items)));

  close_window (window);
}

/* ---- Since you last looked -------------------------------------------------------------------- */

static gboolean
last_look_ready (gpointer data)
{
  LumaSubscriptionPage *page = data;

  return gtk_widget_get_mapped (GTK_WIDGET (page)) && luma_subscription_page_get_last_look_ready (page);
}

static void
last_look_add (LumaCache *cache,
               guint      first,
               guint      n_sessions,
               guint      n_purchases)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  g_autoptr(GPtrArray) purchases = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_purchase_free);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = first; i < first + n_sessions; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup_printf ("S-LOOK-%05u", i);
      r->started_on = now - (gint64) i * 60;
      r->user_name = g_strdup ("zoe");
      r->email = g_strdup ("");
      r->conversations = 1;
      g_ptr_array_add (records, r);
    }
  luma_cache_upsert_sessions (cache, records);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < n_purchases; i++)
    {
      LumaPurchase *p = g_new0 (LumaPurchase, 1);

      p->purchase_id = g_strdup_printf ("P-LOOK-%u", i);
      p->performed_on = now - (gint64) (n_purchases - i) * 3600;
      p->kind = LUMA_PURCHASE_KIND_REFILL;
      p->change = 100;
      p->total_after = 1000;
      p->performed_by = g_strdup ("root");
      p->reason = g_strdup ("more");
      g_ptr_array_add (purchases, p);
    }
  g_assert_true (luma_cache_store_purchases (cache, purchases, NULL, &error));
  g_assert_no_error (error);
}

/* Two visits of a tenant's subscription page with a sync's records between
 * them: the line appears on the second, not on the first, and goes when
 * nothing changed since. */
static void
test_last_look (void)
{
  /* Its resources hold the page's template. */
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "test-last-look", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.sqlite", NULL);
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSubscription) s = g_new0 (LumaSubscription, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *n = NULL;
  g_autofree char *expected = NULL;
  const char *none[] = { NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  LumaSubscriptionPage *page;
  GtkWindow *window;

  g_mkdir_with_parents (dir, 0700);
  cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  s->external_id = g_strdup ("look");
  s->tenant_name = g_strdup ("Look Ltd.");
  s->license_type = LUMA_LICENSE_TYPE_SESSION;
  s->start_date = now - 100 * (gint64) 86400;
  s->end_date = now + 265 * (gint64) 86400;
  s->session_duration_minutes = 30;
  s->total_purchase = 1000;
  s->consumed = 850;
  s->available = 150;
  s->technical_emails = g_strdupv ((char **) none);
  s->billing_emails = g_strdupv ((char **) none);
  s->version = 1;
  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  g_assert_no_error (error);
  last_look_add (cache, 0, 300, 2);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 700);
  page = g_object_new (LUMA_TYPE_SUBSCRIPTION_PAGE, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  luma_subscription_page_set_context (page, cache, NULL, FALSE);

  /* The first visit: nothing to compare with. */
  gtk_window_present (window);
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  g_assert_cmpstr (luma_subscription_page_get_value (page, "last-look"), ==, "");

  /* Away while a sync stores 25 sessions, a purchase and the consumption. */
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  last_look_add (cache, 300, 25, 3);
  s->consumed = 910;
  s->available = 90;
  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  g_assert_no_error (error);
  luma_subscription_page_reload (page);

  gtk_window_present (window);
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  n = luma_format_count (25);
  expected = g_strdup_printf (": %s · %s · %s", "25 new sessions", "1 new purchase", "85 % → 91 % used");
  if (g_str_has_prefix (luma_subscription_page_get_value (page, "last-look"), "Since you last looked on "))
    g_assert_true (g_str_has_suffix (luma_subscription_page_get_value (page, "last-look"), expected));
  else
    /* Translated: the parts are still there. */
    g_assert_nonnull (strstr (luma_subscription_page_get_value (page, "last-look"), n));

  /* The third visit: nothing new since the second, no line. */
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  gtk_window_present (window);
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  g_assert_cmpstr (luma_subscription_page_get_value (page, "last-look"), ==, "");

  gtk_window_destroy (window);
}

/* The share used as the page shows it, from the server's figures. */
static char *
used_percent_of (LumaTestSandbox *sb,
                 const char      *tenant,
                 const char      *key)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sb), "/subscription", NULL);
  LumaTestResponse *r = luma_test_request ("GET", url, NULL,
                                           "Luma-api-access-key", key,
                                           "Luma-tenant-externalId", tenant,
                                           NULL);
  JsonObject *sub;
  gint64 consumed, total;

  luma_test_assert_response (r, 200, NULL);
  sub = luma_test_response_get_result (r);
  consumed = json_object_get_int_member (sub, "consumed");
  total = json_object_get_int_member (sub, "totalPurchase");
  luma_test_response_free (r);
  g_assert_cmpint (total, >, 0);
  return luma_format_percent ((double) consumed * 100.0 / (double) total);
}

/* The same over HTTP: a first visit syncs; the server gains sessions while the window is
 * closed; the next visit's sync brings them, and the page says how many are new. */
static void
test_last_look_sync (void)
{
  LumaTestSandbox *own = luma_test_sandbox_start ("--tenant", "lambda", "--tenant-name", "Lambda Ltd",
                                                  "--api-key", "lambda-key", "--license-model", "session",
                                                  "--licenses", "400", "--seed", "120", NULL);
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = NULL;
  g_autofree char *then_pct = NULL;
  g_autofree char *now_pct = NULL;
  g_autofree char *n = NULL;
  g_autofree char *sessions = NULL;
  g_autofree char *change = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) since = NULL;
  gint64 before = 0, after = 0;
  LumaSubscriptionPage *page;
  LumaWindow *window;
  const char *line;

  account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, luma_test_sandbox_get_url (own), "lambda");
  luma_account_set_secret (account, "lambda-key");

  /* The first visit: synced, nothing to compare with. */
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  luma_window_show_page (window, "subscription");
  page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  g_assert_cmpstr (luma_subscription_page_get_value (page, "last-look"), ==, "");
  close_window (window);

  /* Meanwhile the tenant's users start 37 sessions. */
  then_pct = used_percent_of (own, "lambda", "lambda-key");
  g_free (luma_test_sandbox_get_checksum (own, "lambda", &before, NULL));
  luma_test_sandbox_add_records (own, "lambda", 37);
  g_free (luma_test_sandbox_get_checksum (own, "lambda", &after, NULL));
  g_assert_cmpint (after - before, ==, 37);
  now_pct = used_percent_of (own, "lambda", "lambda-key");

  /* The next visit: its sync brings them. */
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  luma_window_show_page (window, "subscription");
  page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  line = luma_subscription_page_get_value (page, "last-look");
  g_test_message ("last look: %s", line);

  /* In the words of the catalog the page uses. */
  n = luma_format_count (37);
  sessions = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s new session", "%s new sessions", 37), n);
  since = g_strsplit (g_dgettext (GETTEXT_PACKAGE, "Since you last looked on %s: %s"), "%s", -1);
  g_assert_cmpuint (g_strv_length (since), ==, 3);
  /* The new sessions, no purchase, and the share used if its whole percent changed. */
  if (!g_str_equal (then_pct, now_pct))
    change = g_strdup_printf (g_dgettext (GETTEXT_PACKAGE, "%s → %s used"), then_pct, now_pct);
  expected = g_strconcat (since[1], sessions, change != NULL ? " · " : "", change, NULL);
  g_assert_true (g_str_has_prefix (line, since[0]));
  g_assert_true (g_str_has_suffix (line, expected));
  /* Between them, the day of the first visit. */
  g_assert_cmpuint (strlen (line), >, strlen (since[0]) + strlen (expected));

  close_window (window);
  luma_test_sandbox_stop (own);
}

/* ---- The consumption chart ------------------------------------------------------------------ */

static gboolean
chart_ready (gpointer data)
{
  return luma_subscription_page_get_chart_ready (LUMA_SUBSCRIPTION_PAGE (data));
}

typedef struct
{
  gint64  start;
  gint64  end;
  guint   days_per_bar;
  GDate   first;        /* the local day of the term's start */
  GArray *counts;
} ChartCount;

/* The local calendar day of a moment, as the viewer's clock shows it. */
static void
local_day_of (gint64  t,
              GDate  *out)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (t);

  g_date_clear (out, 1);
  g_date_set_dmy (out, (GDateDay) g_date_time_get_day_of_month (dt),
                  (GDateMonth) g_date_time_get_month (dt), (GDateYear) g_date_time_get_year (dt));
}

static gboolean
chart_count_cb (LumaLicenseType  type,
                gconstpointer    record,
                gpointer         user_data)
{
  ChartCount *c = user_data;
  gint64 t = ((const LumaSessionRecord *) record)->started_on;
  GDate day;
  gint64 b;

  g_assert_cmpint (type, ==, LUMA_LICENSE_TYPE_SESSION);
  if (t < c->start || t > c->end)
    return TRUE;
  local_day_of (t, &day);
  b = g_date_days_between (&c->first, &day) / (gint64) c->days_per_bar;
  g_assert_cmpint (b, <, (gint64) c->counts->len);
  g_array_index (c->counts, gint64, b)++;
  return TRUE;
}

/* The chart against the cached records counted one by one, in the viewer's calendar days
 * (or weeks of them from the term's first day). */
static void
assert_chart (LumaSubscriptionPage *page,
              LumaCache            *cache,
              guint                 days_per_bar)
{
  const LumaSubscription *sub = luma_subscription_page_get_subscription (page);
  LumaChart *chart = luma_subscription_page_get_chart (page);
  g_auto(LumaHistoryQuery) q;
  g_autoptr(GError) error = NULL;
  ChartCount c = { sub->start_date, sub->end_date, days_per_bar, { 0 }, NULL };
  GDate last;
  gint64 total = 0;

  local_day_of (sub->start_date, &c.first);
  local_day_of (sub->end_date, &last);
  c.counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_array_set_size (c.counts, g_date_days_between (&c.first, &last) / days_per_bar + 1);
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  g_assert_true (luma_cache_foreach_history (cache, &q, chart_count_cb, &c, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (luma_chart_get_n_buckets (chart), ==, c.counts->len);
  for (guint i = 0; i < c.counts->len; i++)
    {
      g_assert_cmpint (luma_chart_get_bucket (chart, i), ==, g_array_index (c.counts, gint64, i));
      total += g_array_index (c.counts, gint64, i);
    }
  g_assert_cmpint (total, >, 0);
  g_array_unref (c.counts);
}

static void
test_chart (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  LumaCache *cache = luma_sync_get_cache (luma_window_get_sync (window));
  LumaChart *chart = luma_subscription_page_get_chart (page);

  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  assert_chart (page, cache, 7);
  g_assert_true (strstr (luma_chart_get_text (chart), "per week") != NULL);

  luma_subscription_page_set_chart_per_day (page, TRUE);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  assert_chart (page, cache, 1);
  g_assert_true (strstr (luma_chart_get_text (chart), "per day") != NULL);

  luma_subscription_page_set_chart_per_day (page, FALSE);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  assert_chart (page, cache, 7);

  close_window (window);
}


/* Counts the records of each local day of the term, one by one. */
typedef struct
{
  const gint64 *bounds;
  guint         n_days;
  gint64       *counts;
} DayCount;

static gboolean
day_count_cb (LumaLicenseType  type,
              gconstpointer    record,
              gpointer         user_data)
{
  DayCount *c = user_data;
  gint64 t = ((const LumaSessionRecord *) record)->started_on;

  for (guint i = 0; i < c->n_days; i++)
    if (t >= c->bounds[i] && t < c->bounds[i + 1])
      c->counts[i]++;
  return TRUE;
}

static void
test_chart_forecast (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  LumaCache *cache = luma_sync_get_cache (luma_window_get_sync (window));
  LumaChart *chart = luma_subscription_page_get_chart (page);
  const LumaSubscription *sub = NULL;
  const LumaForecast *f;
  g_autoptr(GArray) bounds = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(LumaHistoryQuery) q;
  g_autofree gint64 *counts = NULL;
  g_autofree char *sentence = NULL;
  g_autofree char *consumed = NULL;
  g_autofree char *total = NULL;
  g_autofree char *expected_alert = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *first = NULL;
  gint64 sum = 0, past = 0, window_sum = 0;
  guint from;
  LumaAlertSettings alerts;
  GListModel *controllers;
  gboolean handled = FALSE;
  DayCount c;

  luma_subscription_page_set_chart_view (page, LUMA_CHART_VIEW_TERM);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  sub = luma_subscription_page_get_subscription (page);
  f = luma_subscription_page_get_forecast (page);
  g_assert_nonnull (f);
  g_assert_true (luma_chart_get_cumulative (chart));

  /* The days of the term, counted here one record at a time. */
  bounds = luma_forecast_day_bounds (sub->start_date, sub->end_date);
  counts = g_new0 (gint64, bounds->len - 1);
  c.bounds = (const gint64 *) (gpointer) bounds->data;
  c.n_days = bounds->len - 1;
  c.counts = counts;
  luma_history_query_init (&q, LUMA_LICENSE_TYPE_SESSION);
  g_assert_true (luma_cache_foreach_history (cache, &q, day_count_cb, &c, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (luma_chart_get_n_buckets (chart), ==, c.n_days);
  g_assert_cmpuint (f->n_days, ==, c.n_days);
  for (guint i = 0; i <= f->today; i++)
    past += counts[i];
  /* The curve ends today at the subscription's figure and climbs by each day's count. */
  g_assert_cmpint (luma_chart_get_bucket (chart, f->today), ==, sub->consumed);
  for (guint i = 0; i <= f->today; i++)
    {
      sum += counts[i];
      g_assert_cmpint (luma_chart_get_bucket (chart, i), ==, MAX (sub->consumed - past + sum, 0));
    }
  /* The rate: the 30 whole days before today (or fewer at the start of the term). */
  from = f->today > 30 ? f->today - 30 : 0;
  for (guint i = from; i < f->today; i++)
    window_sum += counts[i];
  if (f->today > 0)
    {
      g_assert_cmpint (f->rate_sum, ==, window_sum);
      g_assert_cmpuint (f->rate_days, ==, f->today - from);
    }
  /* After today: the estimate, never below what is consumed. */
  for (guint i = f->today + 1; i < f->n_days; i++)
    g_assert_cmpint (luma_chart_get_bucket (chart, i), >=, luma_chart_get_bucket (chart, i - 1));

  /* The sentence and the description use the same forecast. */
  sentence = luma_format_forecast_recent (f);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "forecast"), ==, sentence);
  consumed = count_string (sub->consumed);
  total = count_string (sub->total_purchase);
  g_assert_nonnull (strstr (luma_chart_get_text (chart), consumed));
  g_assert_nonnull (strstr (luma_chart_get_text (chart), total));
  g_assert_nonnull (strstr (luma_chart_get_text (chart), " a day over the last "));

  /* The keyboard: Right starts at today, Home goes to the first day. */
  controllers = gtk_widget_observe_controllers (GTK_WIDGET (chart));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        {
          g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Right, 0, 0, &handled);
          g_assert_true (handled);
          g_assert_cmpint (luma_chart_get_highlight (chart), ==, (gint) f->today);
          g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Home, 0, 0, &handled);
          g_assert_cmpint (luma_chart_get_highlight (chart), ==, 0);
          g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Left, 0, 0, &handled);
          g_assert_cmpint (luma_chart_get_highlight (chart), ==, 0);
        }
    }
  g_object_unref (controllers);
  g_assert_true (handled);
  first = luma_chart_dup_bucket_text (chart, 0);
  g_assert_nonnull (strstr (first, " in total"));

  /* The banner says what is due by the tenant's (default) alerts; a tenant administrator is
   * offered to write to the contacts. */
  luma_alert_settings_init_default (&alerts);
  expected_alert = luma_alerts_describe_active (&alerts, sub, f, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpstr (luma_subscription_page_get_alert_text (page), ==, expected_alert);
  uri = luma_subscription_page_dup_request_uri (page);
  g_assert_true (g_str_has_prefix (uri, "mailto:"));
  g_assert_nonnull (strstr (uri, "subject=More%20Luma%20licenses%20for%20Acme%20Corporation"));

  /* Back to the bars: the test above still holds. */
  luma_subscription_page_set_chart_view (page, LUMA_CHART_VIEW_WEEK);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  g_assert_false (luma_chart_get_cumulative (chart));
  assert_chart (page, cache, 7);

  close_window (window);
}

/* A count of the term's days that fails (here: the history table is gone) still ends: the
 * Term view shows the chart without a projection, not the bars it showed before. */
static void
test_chart_forecast_error (void)
{
  /* Its start-up registers the page's template. */
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "forecast-error.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaCache) cache = NULL;
  g_autoptr(LumaSubscription) s = g_new0 (LumaSubscription, 1);
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_session_record_free);
  const char *none[] = { NULL };
  LumaSubscriptionPage *page;
  GtkWindow *window;
  sqlite3 *db = NULL;

  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  cache = luma_cache_open_path (path, NULL, &error);
  g_assert_no_error (error);
  s->external_id = g_strdup ("omega");
  s->tenant_name = g_strdup ("Omega");
  s->license_type = LUMA_LICENSE_TYPE_SESSION;
  s->start_date = now - 30 * 24 * 3600;
  s->end_date = now + 335 * 24 * 3600 - 1;
  s->total_purchase = 1000;
  s->consumed = 60;
  s->available = 940;
  s->technical_emails = g_strdupv ((char **) none);
  s->billing_emails = g_strdupv ((char **) none);
  s->version = 1;
  g_assert_true (luma_cache_store_subscription (cache, s, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 60; i++)
    {
      LumaSessionRecord *r = luma_session_record_new ();

      r->session_id = g_strdup_printf ("S-%06u", i);
      r->started_on = now - (gint64) i * 12 * 3600;
      r->user_name = g_strdup ("user");
      r->email = g_strdup ("");
      r->channel = LUMA_CHANNEL_SLACK;
      r->conversations = 1;
      g_ptr_array_add (sessions, r);
    }
  luma_cache_upsert_sessions (cache, sessions);
  g_assert_true (luma_cache_commit_batch (cache, NULL, NULL, &error));
  g_assert_no_error (error);

  page = g_object_new (LUMA_TYPE_SUBSCRIPTION_PAGE, NULL);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1000, 720);
  gtk_window_set_child (window, GTK_WIDGET (page));
  luma_subscription_page_set_context (page, cache, NULL, FALSE);
  gtk_window_present (window);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  g_assert_nonnull (luma_subscription_page_get_forecast (page));
  g_assert_cmpuint (luma_chart_get_n_buckets (luma_subscription_page_get_chart (page)), >, 0);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "DROP TABLE sessions", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* The "since you last looked" line counts the same history: it fails too, and ends. */
  expected_warnings[0] = "Cannot count the consumption of each day: ";
  expected_warnings[1] = "Cannot keep the last look at the subscription: ";
  memset (expected_warnings_seen, 0, sizeof expected_warnings_seen);
  luma_subscription_page_set_chart_view (page, LUMA_CHART_VIEW_TERM);
  luma_subscription_page_reload (page);
  g_assert_true (luma_ui_test_wait (chart_ready, page, 30));
  g_assert_true (luma_ui_test_wait (last_look_ready, page, 30));
  g_assert_true (expected_warnings_seen[0]);
  g_assert_true (expected_warnings_seen[1]);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "last-look"), ==, "");
  memset (expected_warnings, 0, sizeof expected_warnings);
  g_assert_null (luma_subscription_page_get_forecast (page));
  g_assert_cmpuint (luma_chart_get_n_buckets (luma_subscription_page_get_chart (page)), ==, 0);

  gtk_window_destroy (window);
  luma_ui_test_flush ();
  luma_cache_close (cache);
}

/* ---- History -------------------------------------------------------------------------------- */

/* The text of the first GtkInscription under @widget, or NULL. */
static const char *
first_inscription_text (GtkWidget *widget)
{
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *text = first_inscription_text (child);

      if (text != NULL)
        return text;
    }
  return NULL;
}

/* The row widgets GTK keeps (about two hundred, and the rows its focus and
 * selection trackers hold) are reused across queries and rebound when their
 * item changes: each must show the record now at its position. In widget
 * order their first cells (the IDs) are record ids of increasing positions
 * of the model, and those of the rows on screen are consecutive. */
static void
assert_rows_show_model (LumaHistoryPage *page)
{
  LumaHistoryModel *model = luma_history_page_get_model (page);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_autoptr(GHashTable) positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (luma_history_page_get_view (page)),
                                                   GTK_TYPE_LIST_VIEW);
  guint rows = 0, shown = 0;
  guint last = 0, last_shown = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LumaHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_hash_table_insert (positions, g_strdup (luma_history_item_get_record_id (item)),
                           GUINT_TO_POINTER (i + 1));
    }

  g_assert_nonnull (list);
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *id = first_inscription_text (row);
      guint position;

      if (id == NULL)
        continue;
      /* 1-based: 0 is "not a record of the model" */
      position = GPOINTER_TO_UINT (g_hash_table_lookup (positions, id));
      g_assert_cmpuint (position, >, last);
      last = position;
      rows++;
      if (gtk_widget_get_mapped (row))
        {
          if (shown > 0)
            g_assert_cmpuint (position, ==, last_shown + 1);
          last_shown = position;
          shown++;
        }
    }
  g_assert_cmpuint (rows, >=, MIN (n, 200));
  g_assert_cmpuint (shown, >, 10);
}

static void
test_history_page (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaHistoryPage *page = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  gint64 records = 0;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sandbox, ACME, &records, NULL);
  LumaHistoryModel *model;
  g_autoptr(LumaHistoryItem) first = NULL;
  g_autoptr(LumaHistoryItem) second = NULL;
  GListModel *columns;

  luma_window_show_page (window, "history");
  g_assert_true (luma_ui_test_wait (history_idle, page, 30));
  luma_ui_test_flush ();

  model = luma_history_page_get_model (page);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, records);
  g_assert_cmpint (records, >, 0);

  /* Session-based: the nine columns of luma-facts */
  columns = gtk_column_view_get_columns (luma_history_page_get_view (page));
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, 9);

  /* Newest first by default */
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  second = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpint (luma_history_item_get_session (first)->started_on, >=,
                   luma_history_item_get_session (second)->started_on);

  /* A click on User Name sorts by it, ascending */
  luma_history_page_sort_by (page, LUMA_HISTORY_COLUMN_USER_NAME, FALSE);
  g_assert_true (luma_ui_test_wait (history_idle, page, 30));
  g_assert_cmpint (luma_history_page_get_query (page)->sort_column, ==, LUMA_HISTORY_COLUMN_USER_NAME);
  g_assert_false (luma_history_page_get_query (page)->descending);
  g_clear_object (&first);
  g_clear_object (&second);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  second = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpint (g_ascii_strcasecmp (luma_history_item_get_session (first)->user_name,
                                       luma_history_item_get_session (second)->user_name), <=, 0);
  luma_ui_test_flush ();
  assert_rows_show_model (page);

  /* A re-sort keeps the selected row selected */
  {
    GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (luma_history_page_get_view (page)));
    g_autofree char *chosen = NULL;
    g_autoptr(LumaHistoryItem) still = NULL;

    /* The model reuses item objects per position: keep the id, not the item. */
    gtk_single_selection_set_selected (selection, 42);
    chosen = g_strdup (luma_history_item_get_record_id (gtk_single_selection_get_selected_item (selection)));
    luma_history_page_sort_by (page, LUMA_HISTORY_COLUMN_CHANNEL, TRUE);
    g_assert_true (luma_ui_test_wait (history_idle, page, 30));
    g_assert_cmpint (luma_history_page_get_query (page)->sort_column, ==, LUMA_HISTORY_COLUMN_CHANNEL);
    g_assert_true (luma_history_page_get_query (page)->descending);
    g_assert_cmpuint (gtk_single_selection_get_selected (selection), !=, GTK_INVALID_LIST_POSITION);
    still = g_object_ref (gtk_single_selection_get_selected_item (selection));
    g_assert_cmpstr (luma_history_item_get_record_id (still), ==, chosen);
  }

  /* A re-sort far down the list shows the new order from its first row, the
   * selected record still selected */
  {
    GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (luma_history_page_get_view (page)));
    GtkScrolledWindow *scrolled = GTK_SCROLLED_WINDOW (gtk_widget_get_parent (GTK_WIDGET (luma_history_page_get_view (page))));
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (scrolled);
    g_autofree char *chosen = NULL;
    g_autoptr(LumaHistoryItem) still = NULL;
    double row_h;
    guint now;

    luma_ui_test_flush ();
    row_h = gtk_adjustment_get_upper (adj) / records;
    g_assert_cmpfloat (row_h, >, 0);
    gtk_single_selection_set_selected (selection, 300);
    chosen = g_strdup (luma_history_item_get_record_id (gtk_single_selection_get_selected_item (selection)));
    gtk_adjustment_set_value (adj, 295 * row_h);
    luma_ui_test_flush ();

    luma_history_page_sort_by (page, LUMA_HISTORY_COLUMN_EMAIL, FALSE);
    g_assert_true (luma_ui_test_wait (history_idle, page, 30));
    luma_ui_test_flush ();
    assert_rows_show_model (page);

    now = gtk_single_selection_get_selected (selection);
    g_assert_cmpuint (now, !=, GTK_INVALID_LIST_POSITION);
    still = g_object_ref (gtk_single_selection_get_selected_item (selection));
    g_assert_cmpstr (luma_history_item_get_record_id (still), ==, chosen);
    /* The first row at the top */
    g_assert_cmpfloat (gtk_adjustment_get_value (adj), <, row_h / 2);
  }

  /* A search narrows the rows, and the count says so */
  luma_history_page_set_search (page, "S-000000001");
  g_assert_true (luma_ui_test_wait (history_idle, page, 30));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >=, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), <, records);
  {
    g_autofree char *prefix = g_strdup_printf ("%u of ", g_list_model_get_n_items (G_LIST_MODEL (model)));

    g_assert_true (g_str_has_prefix (luma_history_page_get_count_text (page), prefix));
  }

  /* Download writes what the screen shows: the same rows in the same order */
  {
    g_autofree char *path = g_build_filename (g_get_user_data_dir (), "history.csv", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autofree char *contents = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

    g_mkdir_with_parents (g_get_user_data_dir (), 0700);
    luma_history_page_download_to (page, file);
    g_assert_true (luma_history_page_get_downloading (page));
    g_assert_true (luma_ui_test_wait (history_not_downloading, page, 30));
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    lines = g_strsplit (contents, "\r\n", -1);
    /* header + rows + the empty string after the last CRLF */
    g_assert_cmpuint (g_strv_length (lines), ==, n + 2);
    g_assert_true (g_str_has_prefix (lines[0], "Session ID,"));
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(LumaHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

        g_assert_true (g_str_has_prefix (lines[i + 1], luma_history_item_get_record_id (item)));
      }
  }

  close_window (window);
}


/* ---- Contacts ------------------------------------------------------------------------------- */

static gboolean
editor_idle (gpointer data)
{
  return !luma_contacts_editor_get_busy (LUMA_CONTACTS_EDITOR (data)) &&
         !luma_contacts_editor_get_editing (LUMA_CONTACTS_EDITOR (data));
}

static LumaContactsEditor *
find_editor (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      LumaContactsEditor *found;

      if (LUMA_IS_CONTACTS_EDITOR (child))
        return LUMA_CONTACTS_EDITOR (child);
      if ((found = find_editor (child)) != NULL)
        return found;
    }
  return NULL;
}

static char *
join_list (JsonObject *o,
           const char *member)
{
  JsonArray *a = json_object_get_array_member (o, member);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (a); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? "|" : "", json_array_get_string_element (a, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_contacts (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaContactsEditor *editor = find_editor (luma_window_get_page_widget (window, "subscription"));
  g_autoptr(JsonObject) before = tenant_get (ACME, ACME_KEY, "/subscription");
  g_autoptr(JsonObject) after = NULL;
  g_auto(GStrv) shown = NULL;
  g_autofree char *technical = NULL;
  g_autofree char *billing = NULL;
  g_autofree char *shown_joined = NULL;
  GtkEditable *entry;
  guint n_technical;

  g_assert_nonnull (editor);

  /* The lists shown are the server's */
  shown = luma_contacts_editor_dup_addresses (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  shown_joined = g_strjoinv ("|", shown);
  technical = join_list (before, "technicalEmails");
  g_assert_cmpstr (shown_joined, ==, technical);
  g_clear_pointer (&shown, g_strfreev);

  luma_contacts_editor_edit (editor);
  g_assert_true (luma_contacts_editor_get_editing (editor));
  /* Nothing changed yet: nothing to save */
  g_assert_false (luma_contacts_editor_can_save (editor));
  n_technical = json_array_get_length (json_object_get_array_member (before, "technicalEmails"));

  /* Invalid: marked with the reason, Save disabled */
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  gtk_editable_set_text (entry, "noc@");
  g_assert_nonnull (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));
  g_assert_false (luma_contacts_editor_can_save (editor));

  /* Duplicate (ASCII case does not matter): marked, Save disabled */
  gtk_editable_set_text (entry, json_array_get_string_element (json_object_get_array_member (before, "technicalEmails"), 0));
  {
    g_autofree char *upper = g_ascii_strup (gtk_editable_get_text (entry), -1);

    gtk_editable_set_text (entry, upper);
  }
  g_assert_nonnull (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));
  g_assert_true (strstr (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical), "row 1") != NULL);
  g_assert_false (luma_contacts_editor_can_save (editor));

  /* Valid: Save enabled */
  gtk_editable_set_text (entry, "  noc@acme.example ");
  g_assert_null (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));
  g_assert_true (luma_contacts_editor_can_save (editor));

  /* An empty Billing list is refused too */
  while (luma_contacts_editor_get_entry (editor, LUMA_CONTACTS_LIST_BILLING, 0) != NULL)
    luma_contacts_editor_remove_row (editor, LUMA_CONTACTS_LIST_BILLING, 0);
  g_assert_false (luma_contacts_editor_can_save (editor));
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_BILLING);
  gtk_editable_set_text (entry, "ap@acme.example");
  g_assert_true (luma_contacts_editor_can_save (editor));

  luma_contacts_editor_save (editor);
  g_assert_true (luma_ui_test_wait (editor_idle, editor, 30));
  g_assert_cmpstr (luma_window_get_last_toast (window), ==, "Contacts saved");

  /* The sandbox ends with the saved lists, trimmed */
  after = tenant_get (ACME, ACME_KEY, "/subscription");
  g_free (technical);
  technical = join_list (after, "technicalEmails");
  billing = join_list (after, "billingEmails");
  g_assert_true (g_str_has_suffix (technical, "|noc@acme.example"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (after, "technicalEmails")), ==, n_technical + 1);
  g_assert_cmpstr (billing, ==, "ap@acme.example");
  g_assert_cmpint (json_object_get_int_member (after, "version"), ==,
                   json_object_get_int_member (before, "version") + 1);

  /* And the page shows them */
  shown = luma_contacts_editor_dup_addresses (editor, LUMA_CONTACTS_LIST_BILLING);
  g_assert_cmpuint (g_strv_length (shown), ==, 1);
  g_assert_cmpstr (shown[0], ==, "ap@acme.example");

  close_window (window);
}

/* ---- Conversations -------------------------------------------------------------------------- */

static gboolean
conversations_loaded (gpointer data)
{
  return luma_conversation_window_get_loaded (LUMA_CONVERSATION_WINDOW (data));
}

static gboolean
files_exist (gpointer data)
{
  for (const char **path = data; *path != NULL; path++)
    if (!g_file_test (*path, G_FILE_TEST_IS_REGULAR))
      return FALSE;
  return TRUE;
}

static void
test_conversation_transcript (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaHistoryPage *page = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  LumaHistoryModel *model;
  g_autoptr(LumaHistoryItem) item = NULL;
  LumaConversationWindow *conversations;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) server = NULL;
  GPtrArray *shown;

  luma_window_show_page (window, "history");
  g_assert_true (luma_ui_test_wait (history_idle, page, 30));
  model = luma_history_page_get_model (page);

  /* The newest record that has conversations */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      item = g_list_model_get_item (G_LIST_MODEL (model), i);
      if (luma_history_item_get_conversations (item) > 0)
        break;
      g_clear_object (&item);
    }
  g_assert_nonnull (item);

  conversations = luma_conversation_window_new (luma_window_get_sync (window),
                                                LUMA_LICENSE_TYPE_SESSION,
                                                luma_history_item_get_record_id (item),
                                                luma_history_item_get_session (item)->user_name);
  gtk_window_set_transient_for (GTK_WINDOW (conversations), GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (conversations));
  g_assert_true (luma_ui_test_wait (conversations_loaded, conversations, 30));

  path = g_strdup_printf ("/conversations?sessionId=%s", luma_history_item_get_record_id (item));
  server = tenant_get (ACME, ACME_KEY, path);
  shown = luma_conversation_window_get_conversations (conversations);
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->len, ==, luma_history_item_get_conversations (item));
  g_assert_cmpuint (shown->len, ==, json_array_get_length (json_object_get_array_member (server, "items")));

  /* The first transcript: every message plus at least one date separator */
  {
    LumaConversation *c = g_ptr_array_index (shown, 0);

    g_assert_cmpuint (luma_conversation_window_get_n_transcript_rows (conversations), >, c->messages->len);
    for (guint i = 1; i < c->messages->len; i++)
      g_assert_cmpint (((LumaMessage *) g_ptr_array_index (c->messages, i - 1))->sent_at, <=,
                       ((LumaMessage *) g_ptr_array_index (c->messages, i))->sent_at);
  }

  /* Exported as text and CSV, through a temporary file. */
  {
    g_autofree char *text_path = g_build_filename (g_get_user_data_dir (), "transcript.txt", NULL);
    g_autofree char *csv_path = g_build_filename (g_get_user_data_dir (), "transcript.csv", NULL);
    g_autoptr(GFile) text_file = g_file_new_for_path (text_path);
    g_autoptr(GFile) csv_file = g_file_new_for_path (csv_path);
    g_autofree char *text = NULL;
    g_autofree char *csv = NULL;
    g_autofree char *heading = g_strdup_printf ("Conversations of %s (%s)\n",
                                                luma_history_item_get_session (item)->user_name,
                                                luma_history_item_get_record_id (item));

    g_mkdir_with_parents (g_get_user_data_dir (), 0700);
    luma_conversation_window_export_to (conversations, text_file, FALSE);
    luma_conversation_window_export_to (conversations, csv_file, TRUE);
    g_assert_true (luma_ui_test_wait (files_exist, (gpointer) (const char *[]) { text_path, csv_path, NULL }, 30));
    g_assert_true (g_file_get_contents (text_path, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, heading));
    g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
    g_assert_true (g_str_has_prefix (csv, "Conversation ID,Session ID,User ID,Channel,"));
  }

  gtk_window_destroy (GTK_WINDOW (conversations));
  close_window (window);
}

/* ---- Where the licenses go ------------------------------------------------------------------ */

static gboolean
breakdown_idle (gpointer data)
{
  LumaBreakdownPage *page = data;

  return !luma_breakdown_page_get_busy (page) && luma_breakdown_page_get_breakdown (page) != NULL;
}

static void
test_breakdown_page (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaBreakdownPage *page = LUMA_BREAKDOWN_PAGE (luma_window_get_page_widget (window, "breakdown"));
  LumaHistoryPage *history = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  g_autoptr(LumaBreakdown) expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "breakdown.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *csv = NULL;
  const LumaBreakdown *b;
  const LumaBreakdownItem *first;
  const LumaHistoryQuery *query;
  gint64 from, to, previous;

  luma_window_show_page (window, "breakdown");
  luma_breakdown_page_set_period (page, LUMA_PERIOD_THIS_TERM);
  g_assert_true (luma_ui_test_wait (breakdown_idle, page, 30));
  b = luma_breakdown_page_get_breakdown (page);

  /* What the cache counts for the same period. */
  expected = luma_cache_get_breakdown (luma_window_get_cache (window), LUMA_LICENSE_TYPE_SESSION,
                                       b->from, b->to, b->previous_from, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->total, >, 0);
  g_assert_cmpint (b->total, ==, expected->total);
  g_assert_cmpint (b->previous_total, ==, expected->previous_total);
  g_assert_cmpuint (b->channels->len, ==, expected->channels->len);
  luma_period_for_preset (LUMA_PERIOD_THIS_TERM, g_get_real_time () / G_USEC_PER_SEC,
                          b->from, b->to - 1, NULL, &from, &to, &previous);
  g_assert_cmpint (from, ==, b->from);

  /* A channel's bar opens the history filtered to that channel and period. */
  first = g_ptr_array_index (b->channels, 0);
  g_assert_true (luma_breakdown_page_activate_bar (page, LUMA_BREAKDOWN_CHANNEL, 0));
  g_assert_true (luma_ui_test_wait (history_idle, history, 30));
  query = luma_history_page_get_query (history);
  g_assert_cmpuint (query->channels, ==, LUMA_HISTORY_CHANNEL_BIT (first->value));
  g_assert_cmpint (query->from, >, 0);
  g_assert_cmpint (query->to, >, query->from);
  g_assert_false (luma_breakdown_page_activate_bar (page, LUMA_BREAKDOWN_CHANNEL, 1000));

  /* Exported as CSV. */
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  luma_breakdown_page_export_to (page, file, FALSE);
  g_assert_true (luma_ui_test_wait (files_exist, (gpointer) (const char *[]) { path, NULL }, 30));
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "Group,Value,Email,Count\r\nTotal,"));

  close_window (window);
}

/* ---- Superadmin ----------------------------------------------------------------------------- */

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

static gboolean
refill_dialog_closed (gpointer data)
{
  return luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG) == NULL;
}

static gboolean
refill_dialog_open (gpointer data)
{
  return luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG) != NULL;
}

static guint
count_purchases (void)
{
  g_autoptr(JsonObject) pur = tenant_get (BETA, BETA_KEY, "/subscription/purchases");

  return json_array_get_length (json_object_get_array_member (pur, "items"));
}

static GtkSpinButton *
find_spin_button (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkSpinButton *found;

      if (GTK_IS_SPIN_BUTTON (child))
        return GTK_SPIN_BUTTON (child);
      if ((found = find_spin_button (child)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_entry_row_titled (GtkWidget     *widget,
                     gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static GtkWidget *
find_entry_row (GtkWidget  *widget,
                const char *title)
{
  return luma_ui_test_find_matching (widget, is_entry_row_titled, title);
}

/* The sync after a refill is done: the dialog gets the new numbers. */
static gboolean
window_synced (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data)) &&
         !luma_sync_get_running (luma_window_get_sync (LUMA_WINDOW (data)));
}

static gboolean
refill_confirmation_open (gpointer data)
{
  return luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static void
test_superadmin_refill (void)
{
  LumaWindow *window = open_window (LUMA_ACCOUNT_KIND_SUPERADMIN, ROOT_USER, ROOT_PASS);
  LumaTenantsPage *tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  GListModel *shown;
  LumaRefillDialog *dialog;
  g_autoptr(JsonObject) before = tenant_get (BETA, BETA_KEY, "/subscription");
  g_autoptr(JsonObject) after = NULL;
  guint purchases_before = count_purchases ();
  g_autofree char *key = NULL;
  guint beta = G_MAXUINT;

  g_assert_cmpstr (luma_window_get_page (window), ==, "tenants");
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  g_assert_null (luma_tenants_page_get_error (tenants));
  shown = luma_tenants_page_get_shown (tenants);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2);

  /* Searching narrows the list */
  luma_tenants_page_set_search (tenants, "beta");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1);
  luma_tenants_page_set_search (tenants, "");

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(LumaTenantItem) t = g_list_model_get_item (shown, i);

      if (g_str_equal (luma_tenant_item_get_summary (t)->external_id, BETA))
        beta = i;
    }
  g_assert_cmpuint (beta, !=, G_MAXUINT);

  /* Opening a tenant shows the same pages */
  luma_tenants_page_activate (tenants, beta);
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenant");
  g_assert_cmpstr (luma_subscription_page_get_value (page, "license-type"), ==, "User-Based");

  /* The Refill dialog: reason required, a preview of the totals */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refill", NULL);
  g_assert_true (luma_ui_test_wait (refill_dialog_open, NULL, 10));
  dialog = LUMA_REFILL_DIALOG (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));
  key = g_strdup (luma_refill_dialog_get_idempotency_key (dialog));

  /* The amount as typed, with or without digit grouping; shown grouped; nonsense is refused */
  {
    GtkSpinButton *spin = find_spin_button (GTK_WIDGET (dialog));
    g_autofree char *grouped = g_strdup_printf ("%'d", 1250);

    g_assert_nonnull (spin);
    gtk_editable_set_text (GTK_EDITABLE (spin), "1,250");
    gtk_spin_button_update (spin);
    g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, 1250);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, grouped);
    gtk_editable_set_text (GTK_EDITABLE (spin), "40 000");
    gtk_spin_button_update (spin);
    g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, 40000);
    gtk_editable_set_text (GTK_EDITABLE (spin), "12 licenses");
    gtk_spin_button_update (spin);
    g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, 40000);
  }

  luma_refill_dialog_set_values (dialog, FALSE, 25, "", NULL);
  g_assert_false (luma_refill_dialog_can_submit (dialog));
  luma_refill_dialog_set_values (dialog, FALSE, 25, "UI test order", "PO-UI-1");
  g_assert_true (luma_refill_dialog_can_submit (dialog));
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), ==, key);
  {
    g_autofree char *expected = g_strdup_printf ("Total purchase: %'" G_GINT64_FORMAT " → %'" G_GINT64_FORMAT,
                                                 json_object_get_int_member (before, "totalPurchase"),
                                                 json_object_get_int_member (before, "totalPurchase") + 25);

    g_assert_true (g_str_has_prefix (luma_refill_dialog_get_preview (dialog), expected));
  }

  /* Two clicks in a row send one refill */
  luma_refill_dialog_submit (dialog);
  luma_refill_dialog_submit (dialog);
  g_assert_true (luma_ui_test_wait (refill_dialog_closed, NULL, 30));

  after = tenant_get (BETA, BETA_KEY, "/subscription");
  g_assert_cmpint (json_object_get_int_member (after, "totalPurchase"), ==,
                   json_object_get_int_member (before, "totalPurchase") + 25);
  g_assert_cmpuint (count_purchases (), ==, purchases_before + 1);

  /* A removal above what is available: refused in the dialog before any
   * confirmation, with the number that can be removed; nothing changes */
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refill", NULL);
  g_assert_true (luma_ui_test_wait (refill_dialog_open, NULL, 10));
  dialog = LUMA_REFILL_DIALOG (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (dialog)), "Add Licenses to "));
  g_assert_nonnull (luma_ui_test_find_button_labelled (GTK_WIDGET (dialog), "_Add Licenses…"));
  luma_refill_dialog_set_values (dialog, TRUE,
                                 json_object_get_int_member (after, "available") + 1,
                                 "Too many", NULL);
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (dialog)), "Remove Licenses from "));
  {
    GtkWidget *remove = luma_ui_test_find_button_labelled (GTK_WIDGET (dialog), "_Remove Licenses…");
    g_autofree char *most = g_strdup_printf ("At most %'" G_GINT64_FORMAT " licenses can be removed",
                                             json_object_get_int_member (after, "available"));

    g_assert_nonnull (remove);
    g_assert_null (luma_ui_test_find_button_labelled (GTK_WIDGET (dialog), "_Add Licenses…"));
    g_assert_false (gtk_widget_get_sensitive (remove));
    g_assert_false (luma_refill_dialog_can_submit (dialog));
    g_assert_nonnull (luma_refill_dialog_get_error (dialog));
    g_test_message ("%s", luma_refill_dialog_get_error (dialog));
    g_assert_true (g_str_has_prefix (luma_refill_dialog_get_error (dialog), most));
    /* No preview of the impossible ("Available: 100 → 0") */
    g_assert_null (strstr (luma_refill_dialog_get_preview (dialog), "→"));
    luma_refill_dialog_submit (dialog);
    g_assert_false (luma_refill_dialog_get_busy (dialog));
    g_assert_false (refill_confirmation_open (NULL));
  }
  g_assert_cmpuint (count_purchases (), ==, purchases_before + 1);

  /* Exactly what is available can be removed; the confirmation says Remove */
  luma_refill_dialog_set_values (dialog, TRUE, json_object_get_int_member (after, "available"),
                                 "Unused licenses", NULL);
  g_assert_true (luma_refill_dialog_can_submit (dialog));
  g_assert_null (luma_refill_dialog_get_error (dialog));
  gtk_widget_activate (luma_ui_test_find_button_labelled (GTK_WIDGET (dialog), "_Remove Licenses…"));
  g_assert_true (luma_ui_test_wait (refill_confirmation_open, NULL, 10));
  {
    AdwMessageDialog *confirm = ADW_MESSAGE_DIALOG (luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

    g_assert_true (g_str_has_prefix (adw_message_dialog_get_heading (confirm), "Remove "));
    g_assert_cmpstr (adw_message_dialog_get_response_label (confirm, "refill"), ==, "_Remove Licenses");
    adw_message_dialog_response (confirm, "cancel");
    gtk_window_destroy (GTK_WINDOW (confirm));
  }

  /* The reason is not marked before the user left it empty or tried to confirm */
  luma_refill_dialog_set_values (dialog, FALSE, 5, "", NULL);
  {
    GtkWidget *reason = find_entry_row (GTK_WIDGET (dialog), "Reason (required)");
    GtkWidget *add = luma_ui_test_find_button_labelled (GTK_WIDGET (dialog), "_Add Licenses…");

    g_assert_nonnull (reason);
    g_assert_false (gtk_widget_has_css_class (reason, "error"));
    g_assert_false (luma_refill_dialog_can_submit (dialog));
    g_assert_true (gtk_widget_get_sensitive (add));
    g_signal_emit_by_name (add, "clicked");
    g_assert_true (gtk_widget_has_css_class (reason, "error"));
    g_assert_false (refill_confirmation_open (NULL));
    g_assert_nonnull (luma_refill_dialog_get_error (dialog));
    gtk_editable_set_text (GTK_EDITABLE (reason), "Order 77");
    g_assert_false (gtk_widget_has_css_class (reason, "error"));
    g_assert_null (luma_refill_dialog_get_error (dialog));
  }
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A notification's "Show History" opens that tenant's history */
  {
    g_autoptr(LumaApplication) app = luma_ui_test_get_application ();

    g_action_group_activate_action (G_ACTION_GROUP (app), "show-history", g_variant_new_string (ACME));
    g_assert_true (luma_ui_test_wait (window_ready, window, 60));
    g_assert_cmpstr (luma_window_get_tenant (window), ==, ACME);
    g_assert_cmpstr (luma_window_get_page (window), ==, "tenant");
  }

  /* Back to the tenants */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenants");

  close_window (window);
}

static LumaRefillDialog *
open_beta_refill (LumaWindow *window)
{
  LumaTenantsPage *tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  GListModel *shown;

  if (g_strcmp0 (luma_window_get_tenant (window), BETA) != 0)
    {
      g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
      shown = luma_tenants_page_get_shown (tenants);
      for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
        {
          g_autoptr(LumaTenantItem) t = g_list_model_get_item (shown, i);

          if (g_str_equal (luma_tenant_item_get_summary (t)->external_id, BETA))
            luma_tenants_page_activate (tenants, i);
        }
    }
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  g_assert_cmpstr (luma_window_get_tenant (window), ==, BETA);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.refill", NULL);
  g_assert_true (luma_ui_test_wait (refill_dialog_open, NULL, 10));
  return LUMA_REFILL_DIALOG (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));
}

static gboolean
window_idle (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data)) &&
         !luma_sync_get_running (luma_window_get_sync (LUMA_WINDOW (data)));
}

/* Sets a fault for the dialog's next request alone: the window's own requests are done. */
static void
set_refill_fault (LumaWindow *window,
                  const char *faults_json)
{
  g_assert_true (luma_ui_test_wait (window_idle, window, 60));
  luma_test_sandbox_set_faults (sandbox, faults_json);
}

static void
submit_and_wait (LumaRefillDialog *dialog)
{
  g_assert_true (luma_refill_dialog_can_submit (dialog));
  luma_refill_dialog_submit (dialog);
  while (luma_refill_dialog_get_busy (dialog))
    g_main_context_iteration (NULL, TRUE);
}

/* The Idempotency-Key belongs to the exact request body: after a try that got
 * no answer, an edited amount is another refill with its own key (the old key
 * with another body would be refused as reused), and the same body again
 * keeps its key, so a refill the server applied but whose answer was lost is
 * not applied a second time. */
static void
test_refill_key_per_body (void)
{
  LumaWindow *window = open_window (LUMA_ACCOUNT_KIND_SUPERADMIN, ROOT_USER, ROOT_PASS);
  LumaApiClient *client;
  LumaRefillDialog *dialog;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *key = NULL;
  guint purchases_before;

  dialog = open_beta_refill (window);
  /* One attempt per request: each fault is an error the dialog sees. Set once the session
   * has started (a tenant is open): its first connection sets the client's policy for the
   * time of that one request and then puts the usual one back. */
  client = luma_window_get_client (window);
  luma_api_client_set_retry_policy (client, 1, 0, 0);
  before = tenant_get (BETA, BETA_KEY, "/subscription");
  purchases_before = count_purchases ();

  /* A server error: not applied; the key stays with this body. */
  luma_refill_dialog_set_values (dialog, FALSE, 7, "Key test", NULL);
  key = g_strdup (luma_refill_dialog_get_idempotency_key (dialog));
  set_refill_fault (window, "{\"faults\": [{\"kind\": \"500\", \"rate\": 1, \"count\": 1}]}");
  submit_and_wait (dialog);
  g_assert_nonnull (luma_refill_dialog_get_error (dialog));
  g_assert_nonnull (strstr (luma_refill_dialog_get_error (dialog), "could not be sent"));
  g_assert_cmpuint (count_purchases (), ==, purchases_before);

  /* Edited: another body, another key; edited back: the key of that body. */
  luma_refill_dialog_set_values (dialog, FALSE, 8, "Key test", NULL);
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), !=, key);
  luma_refill_dialog_set_values (dialog, FALSE, 7, "Key test, edited", NULL);
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), !=, key);
  luma_refill_dialog_set_values (dialog, FALSE, 7, "Key test", "PO-1");
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), !=, key);
  luma_refill_dialog_set_values (dialog, FALSE, 7, "Key test", NULL);
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), ==, key);

  /* The connection drops after the server applied it: half an answer, the
   * outcome unknown to the dialog, which must not say the server refused. */
  set_refill_fault (window, "{\"faults\": [{\"kind\": \"reset\", \"rate\": 1, \"count\": 1}]}");
  submit_and_wait (dialog);
  g_assert_nonnull (luma_refill_dialog_get_error (dialog));
  g_assert_nonnull (strstr (luma_refill_dialog_get_error (dialog), "could not be sent"));
  g_assert_cmpuint (count_purchases (), ==, purchases_before + 1);
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), ==, key);

  /* Tried again: the server repeats its answer, nothing is applied twice. */
  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  luma_refill_dialog_submit (dialog);
  g_assert_true (luma_ui_test_wait (refill_dialog_closed, NULL, 30));
  after = tenant_get (BETA, BETA_KEY, "/subscription");
  g_assert_cmpint (json_object_get_int_member (after, "totalPurchase"), ==,
                   json_object_get_int_member (before, "totalPurchase") + 7);
  g_assert_cmpuint (count_purchases (), ==, purchases_before + 1);

  /* The edited amount, sent after the failed try, is its own refill: applied, not refused
   * as a reused key. */
  dialog = open_beta_refill (window);
  luma_refill_dialog_set_values (dialog, FALSE, 3, "Key test 2", NULL);
  g_clear_pointer (&key, g_free);
  key = g_strdup (luma_refill_dialog_get_idempotency_key (dialog));
  set_refill_fault (window, "{\"faults\": [{\"kind\": \"500\", \"rate\": 1, \"count\": 1}]}");
  submit_and_wait (dialog);
  g_assert_nonnull (strstr (luma_refill_dialog_get_error (dialog), "could not be sent"));
  luma_refill_dialog_set_values (dialog, FALSE, 4, "Key test 2", NULL);
  g_assert_cmpstr (luma_refill_dialog_get_idempotency_key (dialog), !=, key);
  luma_refill_dialog_submit (dialog);
  g_assert_true (luma_ui_test_wait (refill_dialog_closed, NULL, 30));
  g_clear_pointer (&after, json_object_unref);
  after = tenant_get (BETA, BETA_KEY, "/subscription");
  g_assert_cmpint (json_object_get_int_member (after, "totalPurchase"), ==,
                   json_object_get_int_member (before, "totalPurchase") + 7 + 4);
  g_assert_cmpuint (count_purchases (), ==, purchases_before + 2);

  luma_api_client_set_retry_policy (client, LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS,
                                    LUMA_API_CLIENT_DEFAULT_BASE_MS, LUMA_API_CLIENT_DEFAULT_CAP_MS);
  close_window (window);
}

static gboolean
find_visible_refill_button (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_ACTIONABLE (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), "win.refill") == 0 &&
          gtk_widget_is_visible (child))
        return TRUE;
      if (find_visible_refill_button (child))
        return TRUE;
    }
  return FALSE;
}

static void
test_tenant_has_no_refill (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  g_assert_false (find_visible_refill_button (GTK_WIDGET (window)));

  /* Even activated directly, the action does nothing for a tenant admin */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refill", NULL);
  luma_ui_test_flush ();
  g_assert_null (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));

  close_window (window);
}

/* ---- Accessibility -------------------------------------------------------------------------- */

static void
test_accessible_names (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaContactsEditor *editor = find_editor (luma_window_get_page_widget (window, "subscription"));
  LumaHistoryPage *history = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  LumaWindow *admin;
  LumaTenantsPage *tenants;
  LumaRefillDialog *dialog;

  /* A tenant's pages, the contacts being edited, the history's rows */
  luma_contacts_editor_edit (editor);
  luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_BILLING);
  luma_window_show_page (window, "history");
  g_assert_true (luma_ui_test_wait (history_idle, history, 30));
  luma_ui_test_flush ();
  luma_ui_test_assert_all_named (GTK_WIDGET (window), 30);
  luma_contacts_editor_cancel (editor);
  close_window (window);

  /* The first-run page (no account) */
  {
    g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
    GtkWindow *first_run = luma_application_open_account (app, NULL);

    g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, first_run, 30));
    luma_ui_test_assert_all_named (GTK_WIDGET (first_run), 5);
    close_window (LUMA_WINDOW (first_run));
  }

  /* The superadmin's tenants and the refill dialog */
  admin = open_window (LUMA_ACCOUNT_KIND_SUPERADMIN, ROOT_USER, ROOT_PASS);
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (admin, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  luma_ui_test_flush ();
  luma_ui_test_assert_all_named (GTK_WIDGET (admin), 5);
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_ready, admin, 60));
  gtk_widget_activate_action (GTK_WIDGET (admin), "win.refill", NULL);
  g_assert_true (luma_ui_test_wait (refill_dialog_open, NULL, 10));
  dialog = LUMA_REFILL_DIALOG (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));
  luma_ui_test_flush ();
  luma_ui_test_assert_all_named (GTK_WIDGET (dialog), 5);
  gtk_window_destroy (GTK_WINDOW (dialog));
  close_window (admin);
}

/* ---- Offline -------------------------------------------------------------------------------- */

static gboolean
window_offline (gpointer data)
{
  return luma_window_get_offline (LUMA_WINDOW (data)) &&
         !luma_sync_get_running (luma_window_get_sync (LUMA_WINDOW (data)));
}

static void
test_offline (void)
{
  /* A server of its own, stopped half-way */
  LumaTestSandbox *gone = luma_test_sandbox_start ("--tenant", "gamma", "--api-key", "gamma-key",
                                                   "--seed", "40", NULL);
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT,
                                                     luma_test_sandbox_get_url (gone), "gamma");
  LumaWindow *window;
  LumaSubscriptionPage *page;
  LumaContactsEditor *editor;
  g_autofree char *consumed = NULL;
  GtkEditable *entry;

  luma_account_set_secret (account, "gamma-key");
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  g_assert_false (luma_window_get_offline (window));
  page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  consumed = g_strdup (luma_subscription_page_get_value (page, "consumed"));

  luma_test_sandbox_stop (gone);

  /* Refresh: the banner says offline, the cached data stays */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
  g_assert_true (luma_ui_test_wait (window_offline, window, 60));
  g_assert_cmpstr (luma_subscription_page_get_value (page, "consumed"), ==, consumed);

  /* Saving offline queues the edit and says so */
  editor = find_editor (GTK_WIDGET (page));
  luma_contacts_editor_edit (editor);
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  gtk_editable_set_text (entry, "offline@gamma.example");
  luma_contacts_editor_save (editor);
  g_assert_true (luma_ui_test_wait (editor_idle, editor, 60));
  g_assert_true (g_str_has_prefix (luma_window_get_last_toast (window), "Offline"));
  {
    g_auto(GStrv) shown = luma_contacts_editor_dup_addresses (editor, LUMA_CONTACTS_LIST_TECHNICAL);

    g_assert_true (g_strv_contains ((const char * const *) shown, "offline@gamma.example"));
  }

  close_window (window);
}

/* The superadmin's tenant list comes from the cache when the server is gone. */
static void
test_tenants_offline (void)
{
  LumaTestSandbox *gone = luma_test_sandbox_start ("--tenant", "delta", "--tenant-name", "Delta Inc",
                                                   "--api-key", "delta-key", "--seed", "20",
                                                   "--superadmin", "boss:boss-pass", NULL);
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                     luma_test_sandbox_get_url (gone), "boss");
  g_autoptr(LumaTenantItem) item = NULL;
  LumaTenantsPage *tenants;
  LumaWindow *window;

  luma_account_set_secret (account, "boss-pass");
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  g_assert_null (luma_tenants_page_get_error (tenants));
  g_assert_false (luma_tenants_page_get_from_cache (tenants));
  g_assert_cmpuint (g_list_model_get_n_items (luma_tenants_page_get_shown (tenants)), ==, 1);

  /* Offline, the button that opens the refill dialog is disabled and says why. */
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_synced, window, 60));
  {
    GtkWidget *page = luma_window_get_page_widget (window, "subscription");
    GtkWidget *opener = luma_ui_test_find_button_labelled (page, "_Add or Remove Licenses…");

    g_assert_nonnull (opener);
    g_assert_true (gtk_widget_get_sensitive (opener));
    g_assert_null (gtk_widget_get_tooltip_text (opener));
    luma_test_sandbox_stop (gone);
    gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL);
    g_assert_true (luma_ui_test_wait (window_offline, window, 60));
    g_assert_false (gtk_widget_get_sensitive (opener));
    g_assert_nonnull (gtk_widget_get_tooltip_text (opener));
    g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (opener), "Offline"));
  }
  close_window (window);

  window = LUMA_WINDOW (luma_application_open_account (app, account));
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 60));
  g_assert_nonnull (luma_tenants_page_get_error (tenants));
  g_assert_true (luma_tenants_page_get_from_cache (tenants));
  /* The same kind of banner as the tenant pages */
  g_assert_nonnull (_luma_tenants_page_get_offline_banner (tenants));
  g_assert_true (g_str_has_prefix (_luma_tenants_page_get_offline_banner (tenants), "Offline"));
  g_assert_cmpuint (g_list_model_get_n_items (luma_tenants_page_get_shown (tenants)), ==, 1);
  item = g_list_model_get_item (luma_tenants_page_get_shown (tenants), 0);
  g_assert_cmpstr (luma_tenant_item_get_summary (item)->external_id, ==, "delta");
  g_assert_cmpstr (luma_tenant_item_get_summary (item)->tenant_name, ==, "Delta Inc");

  close_window (window);
}

/* ---- Plain text where server or user text meets markup -------------------------------------- */

#define MARKUP_TEXT "<a href=\"x\">link</a> R&D.csv"

/* Whether a label under @widget shows @text as is (not parsed as markup), alone or within
 * a longer text. */
static gboolean
shows_literally (GtkWidget  *widget,
                 const char *text)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return TRUE;
  /* The tenants board's cells: text set as text, never parsed as markup. */
  if (GTK_IS_INSCRIPTION (widget) && gtk_inscription_get_text (GTK_INSCRIPTION (widget)) != NULL &&
      gtk_inscription_get_attributes (GTK_INSCRIPTION (widget)) == NULL &&
      strstr (gtk_inscription_get_text (GTK_INSCRIPTION (widget)), text) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_literally (child, text))
      return TRUE;
  return FALSE;
}

static GtkWidget *
find_row_titled (GtkWidget  *widget,
                 const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row_titled (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* No label of an alert mark touches another label or the mark of a label on the second row,
 * which runs down through the first, at any width from that in a 360 px window (about
 * 300 px) up. */
static void
test_gauge_labels (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *gauge = luma_gauge_new ();

  gtk_window_set_child (GTK_WINDOW (window), gauge);
  luma_gauge_set_values (LUMA_GAUGE (gauge), 200, 200);
  gtk_window_present (GTK_WINDOW (window));
  luma_ui_test_flush ();

  for (int width = 280; width <= 1000; width++)
    for (guint i = 0; i < 4; i++)
      for (guint j = 0; j < 4; j++)
        {
          double mark_i, x_i, mark_j, x_j;
          int w_i, w_j, row_i, row_j;

          if (i == j)
            continue;
          _luma_gauge_get_label (LUMA_GAUGE (gauge), width, i, &mark_i, &x_i, &w_i, &row_i);
          _luma_gauge_get_label (LUMA_GAUGE (gauge), width, j, &mark_j, &x_j, &w_j, &row_j);
          if (row_i == row_j && !(x_i + w_i < x_j || x_j + w_j < x_i))
            {
              g_test_message ("at %d px the labels %u (%.1f-%.1f) and %u (%.1f-%.1f) touch",
                              width, i, x_i, x_i + w_i, j, x_j, x_j + w_j);
              g_assert_not_reached ();
            }
          /* Mark j crosses the first row to its label on the second */
          if (row_i == 0 && row_j == 1 && mark_j >= x_i - 1 && mark_j <= x_i + w_i + 1)
            {
              g_test_message ("at %d px the label %u (%.1f-%.1f) touches the mark at %.1f",
                              width, i, x_i, x_i + w_i, mark_j);
              g_assert_not_reached ();
            }
        }

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_plain_text (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  LumaPreferencesWindow *preferences;
  GtkWidget *row;

  /* A toast (server error texts and file names go there), through the action the pages use. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-toast", "s", MARKUP_TEXT);
  luma_ui_test_flush ();
  g_assert_true (shows_literally (GTK_WIDGET (window), MARKUP_TEXT));
  close_window (window);

  /* A row whose subtitle is a file name the user chose. */
  g_settings_set_string (settings, "ca-file", "/tmp/" MARKUP_TEXT);
  preferences = luma_preferences_window_new (settings);
  gtk_window_present (GTK_WINDOW (preferences));
  luma_ui_test_flush ();
  row = find_row_titled (GTK_WIDGET (preferences), "Extra Trusted Certificate");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "/tmp/" MARKUP_TEXT);
  g_assert_true (shows_literally (row, "/tmp/" MARKUP_TEXT));
  gtk_window_destroy (GTK_WINDOW (preferences));
}

static gboolean
purchases_show_markup_text (gpointer data)
{
  return shows_literally (GTK_WIDGET (data), MARKUP_TEXT);
}

/* A tenant named in markup, as a superadmin sees it: the tenant list, the subscription page and a
 * purchase's row show the name and the refill reason as they are. */
static void
test_plain_text_tenant (void)
{
  LumaTestSandbox *own = luma_test_sandbox_start ("--tenant", "rho", "--tenant-name", MARKUP_TEXT,
                                                  "--api-key", "rho-key", "--seed", "30",
                                                  "--superadmin", "boss:boss-pass", NULL);
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                     luma_test_sandbox_get_url (own), "boss");
  LumaTenantsPage *tenants;
  LumaRefillDialog *dialog;
  LumaWindow *window;

  luma_account_set_secret (account, "boss-pass");
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  luma_ui_test_flush ();
  g_assert_true (shows_literally (GTK_WIDGET (tenants), MARKUP_TEXT));

  /* An answer that is not JSON (an HTML error page): the error text quotes it, and is shown
   * as it is. */
  luma_api_client_set_retry_policy (luma_window_get_client (window), 1, 0, 0);
  luma_test_sandbox_set_faults (own, "{\"faults\": [{\"kind\": \"garbage\", \"rate\": 1, \"count\": 1}]}");
  luma_tenants_page_refresh (tenants);
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  g_assert_nonnull (luma_tenants_page_get_error (tenants));
  g_test_message ("%s", luma_tenants_page_get_error (tenants)->message);
  g_assert_nonnull (strpbrk (luma_tenants_page_get_error (tenants)->message, "<&"));
  luma_ui_test_flush ();
  g_assert_true (shows_literally (GTK_WIDGET (tenants), luma_tenants_page_get_error (tenants)->message));
  luma_api_client_set_retry_policy (luma_window_get_client (window), LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS,
                                    LUMA_API_CLIENT_DEFAULT_BASE_MS, LUMA_API_CLIENT_DEFAULT_CAP_MS);

  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  luma_ui_test_flush ();
  g_assert_true (shows_literally (luma_window_get_page_widget (window, "subscription"), MARKUP_TEXT));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.refill", NULL);
  g_assert_true (luma_ui_test_wait (refill_dialog_open, NULL, 10));
  dialog = LUMA_REFILL_DIALOG (luma_ui_test_find_toplevel (LUMA_TYPE_REFILL_DIALOG));
  luma_refill_dialog_set_values (dialog, FALSE, 5, MARKUP_TEXT, NULL);
  luma_refill_dialog_submit (dialog);
  g_assert_true (luma_ui_test_wait (refill_dialog_closed, NULL, 30));
  g_assert_true (luma_ui_test_wait (window_idle, window, 60));
  luma_window_show_page (window, "purchases");
  g_assert_true (luma_ui_test_wait (purchases_show_markup_text,
                                    luma_window_get_page_widget (window, "purchases"), 30));

  close_window (window);
  luma_test_sandbox_stop (own);
}

/* ---- Keyboard ------------------------------------------------------------------------------ */

/* The Escape shortcut of @widget's class, as a key press finds it. */
static GtkShortcut *
find_escape (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == GDK_KEY_Escape &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0)
            return g_steal_pointer (&shortcut);
        }
    }
  return NULL;
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Escape on @window closes it. */
static void
assert_escape_closes (GtkWindow *window)
{
  g_autoptr(GtkShortcut) escape = NULL;
  gpointer alive = window;

  gtk_window_present (window);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  escape = find_escape (GTK_WIDGET (window));
  g_assert_nonnull (escape);
  g_object_add_weak_pointer (G_OBJECT (window), &alive);
  g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (escape), 0, GTK_WIDGET (window),
                                               gtk_shortcut_get_arguments (escape)));
  g_assert_true (luma_ui_test_wait (pointer_cleared, &alive, 30));
}

static void
test_keyboard (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  GtkWidget *history = luma_window_get_page_widget (window, "history");
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  g_auto(GStrv) search_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.search");
  g_auto(GStrv) quit_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_auto(GStrv) refresh_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.refresh");
  GtkWidget *focus;

  /* Ctrl+F: the history page, its search entry focused. */
  g_assert_true (g_strv_contains ((const char * const *) search_accels, "<Control>f"));
  g_assert_true (g_strv_contains ((const char * const *) quit_accels, "<Control>q"));
  g_assert_true (g_strv_contains ((const char * const *) refresh_accels, "<Control>r"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  luma_ui_test_flush ();
  g_assert_true (gtk_widget_get_mapped (history));
  focus = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, history));
  g_assert_nonnull (gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY));

  /* Alt+1 back to the Subscription page. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "subscription");
  luma_ui_test_flush ();
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));

  /* Escape closes each dialog. */
  assert_escape_closes (GTK_WINDOW (luma_preferences_window_new (luma_application_get_settings (app))));
  assert_escape_closes (GTK_WINDOW (luma_refill_dialog_new (luma_window_get_client (window),
                                                            luma_subscription_page_get_subscription (page))));
  assert_escape_closes (GTK_WINDOW (luma_conversation_window_new (luma_window_get_sync (window),
                                                                  LUMA_LICENSE_TYPE_SESSION,
                                                                  "no-such-session", "Nobody")));

  close_window (window);
}

/* ---- First run ------------------------------------------------------------------------------ */

static gboolean
account_page_idle (gpointer data)
{
  return !luma_account_page_get_busy (LUMA_ACCOUNT_PAGE (data));
}

static void
test_account_errors (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GtkWindow *window = luma_application_open_account (app, NULL);
  LumaAccountPage *page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "account"));

  g_assert_cmpstr (luma_window_get_page (LUMA_WINDOW (window)), ==, "account");

  /* Nothing entered: the server field says what is missing */
  luma_account_page_connect (page);
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER));

  /* A server that does not answer: said next to the server address */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, "http://127.0.0.1:9/");
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_TENANT, ACME);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, ACME_KEY);
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_API_KEY));

  /* A wrong key: said next to the key */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, luma_test_sandbox_get_url (sandbox));
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, "not-the-key");
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_API_KEY));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER));

  /* A key of another tenant: said next to the tenant */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, BETA_KEY);
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_TENANT));

  /* A wrong superadmin password: said next to the password */
  luma_account_page_set_kind (page, LUMA_ACCOUNT_KIND_SUPERADMIN);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_USER, ROOT_USER);
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_PASSWORD, "wrong");
  luma_account_page_connect (page);
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_PASSWORD));

  close_window (LUMA_WINDOW (window));
}

/* Enter as a person presses it in the first-run form, in the real field's text. */
static void
press_enter_in (LumaAccountPage *page,
                const char      *row_name)
{
  GtkWidget *row = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page), LUMA_TYPE_ACCOUNT_PAGE, row_name));

  g_assert_nonnull (row);
  /* The text's "activate" is what its Enter key binding emits. */
  g_signal_emit_by_name (gtk_editable_get_delegate (GTK_EDITABLE (row)), "activate");
}

static gboolean
focus_is_in (LumaAccountPage *page,
             const char      *row_name)
{
  GtkWidget *row = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page), LUMA_TYPE_ACCOUNT_PAGE, row_name));
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (page)));

  return focus != NULL && (focus == row || gtk_widget_is_ancestor (focus, row));
}

static void
test_account_enter (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GtkWindow *window = luma_application_open_account (app, NULL);
  LumaAccountPage *page = LUMA_ACCOUNT_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "account"));

  gtk_window_present (window);
  luma_ui_test_flush ();

  /* Enter in the address goes on to the empty tenant field: no error, no connection yet. */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_SERVER, luma_test_sandbox_get_url (sandbox));
  press_enter_in (page, "server_row");
  g_assert_true (focus_is_in (page, "tenant_row"));
  g_assert_false (luma_account_page_get_busy (page));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_NONE));
  g_assert_null (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_SERVER));

  /* From the tenant to the empty key. */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_TENANT, ACME);
  press_enter_in (page, "tenant_row");
  g_assert_true (focus_is_in (page, "key_row"));
  g_assert_false (luma_account_page_get_busy (page));

  /* Enter in an empty key with everything before it filled tries it, and says the key is
   * missing. */
  press_enter_in (page, "key_row");
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_API_KEY));

  /* Everything filled: Enter in the address connects (a wrong key, said next to the key). */
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_API_KEY, "not-the-key");
  press_enter_in (page, "server_row");
  g_assert_true (luma_ui_test_wait (account_page_idle, page, 60));
  g_assert_nonnull (luma_account_page_get_error (page, LUMA_ACCOUNT_FIELD_API_KEY));

  /* A superadmin's form goes from the address to the user, then the password. */
  luma_account_page_set_kind (page, LUMA_ACCOUNT_KIND_SUPERADMIN);
  press_enter_in (page, "server_row");
  g_assert_true (focus_is_in (page, "user_row"));
  luma_account_page_set_field (page, LUMA_ACCOUNT_FIELD_USER, ROOT_USER);
  press_enter_in (page, "user_row");
  g_assert_true (focus_is_in (page, "password_row"));
  g_assert_false (luma_account_page_get_busy (page));

  close_window (LUMA_WINDOW (window));
}

/* ---- A conflicting edit --------------------------------------------------------------------- */

static gboolean
message_dialog_open (gpointer data)
{
  return luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
server_has_technical (gpointer data)
{
  g_autoptr(JsonObject) sub = tenant_get (ACME, ACME_KEY, "/subscription");
  g_autofree char *technical = join_list (sub, "technicalEmails");

  g_usleep (50000);
  return g_strcmp0 (technical, data) == 0;
}

static void
test_contacts_conflict (void)
{
  LumaWindow *window = open_tenant_window (ACME, ACME_KEY);
  LumaContactsEditor *editor = find_editor (luma_window_get_page_widget (window, "subscription"));
  GtkWindow *dialog;
  GtkEditable *entry;

  /* Someone else saves other lists after the window synced */
  json_node_unref (luma_test_sandbox_control (sandbox, "PUT", "/sandbox/tenants/" ACME "/subscription",
                                              "{\"technicalEmails\": [\"theirs@acme.example\"]}",
                                              NULL));

  luma_contacts_editor_edit (editor);
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  gtk_editable_set_text (entry, "mine@acme.example");
  luma_contacts_editor_save (editor);

  /* The conflict dialog shows both versions; keep mine */
  g_assert_true (luma_ui_test_wait (message_dialog_open, NULL, 30));
  dialog = luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "mine"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "theirs"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "mine");

  /* Mine reaches the server with the next sync */
  {
    g_auto(GStrv) mine = luma_contacts_editor_dup_addresses (editor, LUMA_CONTACTS_LIST_TECHNICAL);
    g_autofree char *expected = NULL;

    g_assert_true (g_strv_contains ((const char * const *) mine, "mine@acme.example"));
    expected = g_strjoinv ("|", mine);
    g_assert_true (luma_ui_test_wait (server_has_technical, expected, 60));
  }

  close_window (window);
}

/* ---- A user-based tenant -------------------------------------------------------------------- */

static void
test_user_based_tenant (void)
{
  LumaWindow *window = open_tenant_window (BETA, BETA_KEY);
  LumaSubscriptionPage *page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  LumaHistoryPage *history = LUMA_HISTORY_PAGE (luma_window_get_page_widget (window, "history"));
  g_autoptr(JsonObject) sub = tenant_get (BETA, BETA_KEY, "/subscription");
  g_autofree char *consumed = count_string (json_object_get_int_member (sub, "consumed"));
  const char *titles[] = { "User ID", "User Name", "Email", "First Name", "Last Name", "Role",
                           "Status", "Created On", "Conversations" };
  GListModel *columns;
  gint64 records = 0;
  g_autofree char *checksum = luma_test_sandbox_get_checksum (sandbox, BETA, &records, NULL);

  g_assert_cmpstr (luma_subscription_page_get_value (page, "license-type"), ==, "User-Based");
  g_assert_cmpstr (luma_subscription_page_get_value (page, "consumed"), ==, consumed);

  luma_window_show_page (window, "history");
  g_assert_true (luma_ui_test_wait (history_idle, history, 30));
  columns = gtk_column_view_get_columns (luma_history_page_get_view (history));
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, G_N_ELEMENTS (titles));
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      g_assert_cmpstr (gtk_column_view_column_get_title (column), ==, titles[i]);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (history))), ==, records);
  g_assert_cmpint (luma_history_page_get_query (history)->license_type, ==, LUMA_LICENSE_TYPE_USER);

  close_window (window);
}

/* ---- The command line ----------------------------------------------------------------------- */

typedef struct
{
  LumaApplication *app;
  gint64           deadline;
  char            *identity;
  char            *page;
} CliCheck;

static gboolean
cli_check_cb (gpointer user_data)
{
  CliCheck *check = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (check->app));

  if (windows != NULL && LUMA_IS_WINDOW (windows->data) && luma_window_get_ready (windows->data))
    {
      LumaWindow *window = windows->data;

      check->identity = g_strdup (luma_account_get_identity (luma_window_get_account (window)));
      check->page = g_strdup (luma_window_get_page (window));
    }
  else if (g_get_monotonic_time () < check->deadline)
    {
      return G_SOURCE_CONTINUE;
    }

  g_action_group_activate_action (G_ACTION_GROUP (check->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
test_command_line (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  const char *good[] = { "luma-subscription", "--server", luma_test_sandbox_get_url (sandbox),
                         "--tenant", ACME, NULL };
  CliCheck check = { app, g_get_monotonic_time () + 60 * G_USEC_PER_SEC, NULL, NULL };
  int status;

  /* --server and --tenant open a window on that account, the key from LUMA_API_KEY.
   * (A GApplication parses its command line once: this is the only run in the process.) */
  g_setenv ("LUMA_API_KEY", ACME_KEY, TRUE);
  g_timeout_add (50, cli_check_cb, &check);
  status = g_application_run (G_APPLICATION (app), 5, (char **) good);
  g_unsetenv ("LUMA_API_KEY");
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (check.identity, ==, ACME);
  g_assert_cmpstr (check.page, ==, "tenant");
  g_free (check.identity);
  g_free (check.page);
}

/* A page asked for while the window still connects (a notification's "Show History" that
 * starts the app) is the page shown once the tenant's pages are there. */
static void
test_show_page_while_connecting (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_TENANT, luma_test_sandbox_get_url (sandbox),
                                                     "acme");
  AdwViewStack *stack;
  LumaWindow *window;

  luma_account_set_secret (account, "acme-key-ui");
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  /* The tenant opens asynchronously: not shown yet. */
  g_assert_cmpstr (luma_window_get_page (window), !=, "tenant");
  luma_window_show_page (window, "history");

  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenant");
  stack = ADW_VIEW_STACK (luma_ui_test_find_descendant (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK));
  g_assert_nonnull (stack);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "history");

  /* Once shown, a page asked for is shown at once. */
  luma_window_show_page (window, "purchases");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "purchases");
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  luma_ui_test_init (&argc, &argv);
  g_log_set_writer_func (log_writer, NULL, NULL);

  sandbox = luma_test_sandbox_start ("--tenant", ACME,
                                     "--tenant-name", "Acme Corporation",
                                     "--api-key", ACME_KEY,
                                     "--license-model", "session",
                                     "--licenses", "600",
                                     "--seed", "500",
                                     "--tenant", BETA,
                                     "--tenant-name", "Beta Ltd",
                                     "--api-key", BETA_KEY,
                                     "--license-model", "user",
                                     "--licenses", "200",
                                     "--seed", "150",
                                     "--superadmin", ROOT_USER ":" ROOT_PASS,
                                     NULL);

  g_test_add_func ("/ui/pages/subscription", test_subscription_page);
  g_test_add_func ("/ui/pages/show-page-while-connecting", test_show_page_while_connecting);
  g_test_add_func ("/ui/pages/last-look", test_last_look);
  g_test_add_func ("/ui/pages/last-look-sync", test_last_look_sync);
  g_test_add_func ("/ui/pages/chart", test_chart);
  g_test_add_func ("/ui/pages/chart-forecast", test_chart_forecast);
  g_test_add_func ("/ui/pages/chart-forecast-error", test_chart_forecast_error);
  g_test_add_func ("/ui/pages/history", test_history_page);
  g_test_add_func ("/ui/pages/user-based-tenant", test_user_based_tenant);
  g_test_add_func ("/ui/pages/contacts", test_contacts);
  g_test_add_func ("/ui/pages/contacts-conflict", test_contacts_conflict);
  g_test_add_func ("/ui/pages/conversation-transcript", test_conversation_transcript);
  g_test_add_func ("/ui/pages/breakdown", test_breakdown_page);
  g_test_add_func ("/ui/pages/superadmin-refill", test_superadmin_refill);
  g_test_add_func ("/ui/pages/refill-key-per-body", test_refill_key_per_body);
  g_test_add_func ("/ui/pages/tenant-has-no-refill", test_tenant_has_no_refill);
  g_test_add_func ("/ui/pages/accessible-names", test_accessible_names);
  g_test_add_func ("/ui/pages/offline", test_offline);
  g_test_add_func ("/ui/pages/tenants-offline", test_tenants_offline);
  g_test_add_func ("/ui/pages/gauge-labels", test_gauge_labels);
  g_test_add_func ("/ui/pages/plain-text", test_plain_text);
  g_test_add_func ("/ui/pages/plain-text-tenant", test_plain_text_tenant);
  g_test_add_func ("/ui/pages/keyboard", test_keyboard);
  g_test_add_func ("/ui/pages/account-errors", test_account_errors);
  g_test_add_func ("/ui/pages/account-enter", test_account_enter);
  g_test_add_func ("/ui/pages/command-line", test_command_line);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
