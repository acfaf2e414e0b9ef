/* test-api-client.c: LumaApiClient against the real sandbox over HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "luma-api-client.h"
#include "luma-test-sandbox.h"

#define ACME       "acme"
#define ACME_KEY   "acme-key-5bd1c0d2e0b44b7d"
#define BETA       "beta"
#define BETA_KEY   "beta-key-77aa01c3f9e2"
#define GAMMA      "gamma"
#define GAMMA_KEY  "gamma-key-0c1d2e3f4a5b"
#define ROOT_USER  "root"
#define ROOT_PASS  "s3cret-Pa55word"

static LumaTestSandbox *sandbox;
static GString *log_text;

/* Helpers */

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static LumaApiClient *
tenant_client (const char *tenant,
               const char *key)
{
  g_autoptr(GError) error = NULL;
  LumaApiClient *client = luma_api_client_new (luma_test_sandbox_get_url (sandbox), &error);

  g_assert_no_error (error);
  luma_api_client_set_tenant_credentials (client, tenant, key);
  /* quick retries keep the fault tests short */
  luma_api_client_set_retry_policy (client, 5, 20, 200);
  luma_api_client_set_timeout (client, 20);
  return client;
}

static LumaApiClient *
superadmin_client (const char *password)
{
  g_autoptr(GError) error = NULL;
  LumaApiClient *client = luma_api_client_new (luma_test_sandbox_get_url (sandbox), &error);

  g_assert_no_error (error);
  luma_api_client_set_superadmin_credentials (client, ROOT_USER, password);
  luma_api_client_set_retry_policy (client, 5, 20, 200);
  return client;
}

static LumaSubscription *
get_subscription (LumaApiClient  *client,
                  const char     *if_none_match,
                  char          **etag_out,
                  GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_get_subscription_async (client, if_none_match, NULL, store_result_cb, &result);
  return luma_api_client_get_subscription_finish (client, wait_for (&result), etag_out, error);
}

static LumaConsumptionPage *
get_page (LumaApiClient  *client,
          const char     *cursor,
          guint           limit,
          GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_get_consumption_page_async (client, cursor, limit, NULL, store_result_cb, &result);
  return luma_api_client_get_consumption_page_finish (client, wait_for (&result), error);
}

static GPtrArray *
get_purchases (LumaApiClient  *client,
               const char     *if_none_match,
               char          **etag_out,
               GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_get_purchases_async (client, if_none_match, NULL, store_result_cb, &result);
  return luma_api_client_get_purchases_finish (client, wait_for (&result), etag_out, error);
}

static GPtrArray *
get_conversations (LumaApiClient   *client,
                   LumaLicenseType  type,
                   const char      *id,
                   GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_get_conversations_async (client, type, id, NULL, store_result_cb, &result);
  return luma_api_client_get_conversations_finish (client, wait_for (&result), error);
}

static LumaRefillResult *
refill (LumaApiClient  *client,
        const char     *tenant,
        gint64          change,
        const char     *reason,
        const char     *reference,
        const char     *key,
        GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_refill_async (client, tenant, change, reason, reference, key, NULL,
                                store_result_cb, &result);
  return luma_api_client_refill_finish (client, wait_for (&result), error);
}

static GPtrArray *
list_tenants (LumaApiClient  *client,
              GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_list_tenants_async (client, NULL, store_result_cb, &result);
  return luma_api_client_list_tenants_finish (client, wait_for (&result), error);
}

static gboolean
login (LumaApiClient  *client,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_login_async (client, NULL, store_result_cb, &result);
  return luma_api_client_login_finish (client, wait_for (&result), error);
}

static void
assert_api_error (const GError *error,
                  LumaApiError  code,
                  const char   *server_code)
{
  g_assert_nonnull (error);
  if (error->domain != LUMA_API_ERROR || error->code != (int) code)
    g_error ("expected LUMA_API_ERROR %d, got %s %d: %s", code,
             g_quark_to_string (error->domain), error->code, error->message);
  g_assert_cmpstr (luma_api_error_get_server_code (error), ==, server_code);
  /* no secret ever appears in a message */
  g_assert_null (strstr (error->message, ACME_KEY));
  g_assert_null (strstr (error->message, BETA_KEY));
  g_assert_null (strstr (error->message, ROOT_PASS));
  g_test_message ("error: %s", error->message);
}

/* The line of a record as section 7 of docs/api.md defines it for the
 * checksum. */
static char *
session_line (const LumaSessionRecord *r)
{
  char started[LUMA_ISO8601_BUF_SIZE];

  luma_format_iso8601_utc_to_buffer (r->started_on, started);
  return g_strdup_printf ("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" G_GINT64_FORMAT "\n",
                          r->session_id, started, luma_initiated_by_to_string (r->initiated_by),
                          r->user_name, r->email, luma_role_to_string (r->role),
                          r->agent_name ? r->agent_name : "", luma_channel_to_string (r->channel),
                          r->conversations);
}

static char *
user_line (const LumaUserRecord *r)
{
  char created[LUMA_ISO8601_BUF_SIZE];
  char last[LUMA_ISO8601_BUF_SIZE] = "";

  luma_format_iso8601_utc_to_buffer (r->created_on, created);
  /* The sandbox dates every user: null (empty) exactly when there were none. */
  g_assert_true (r->last_conversation_known);
  if (r->conversations > 0)
    luma_format_iso8601_utc_to_buffer (r->last_conversation_on, last);
  return g_strdup_printf ("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\n",
                          r->user_id, r->user_name, r->email, r->first_name, r->last_name,
                          luma_role_to_string (r->role), luma_user_status_to_string (r->status),
                          created, r->conversations, last);
}

/* Follows the feed from @cursor to its end, upserting into @lines (id ->
 * checksum line); returns the last cursor. */
static char *
sync_feed (LumaApiClient   *client,
           const char      *cursor,
           guint            limit,
           GHashTable      *lines,
           LumaLicenseType  expected_type,
           guint           *n_items_out)
{
  g_autofree char *current = g_strdup (cursor);
  guint n_items = 0;
  gboolean has_more = TRUE;

  while (has_more)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LumaConsumptionPage) page = get_page (client, current, limit, &error);

      g_assert_no_error (error);
      g_assert_cmpint (page->license_type, ==, expected_type);
      g_assert_cmpuint (page->items->len, <=, limit);
      for (guint i = 0; i < page->items->len; i++)
        {
          if (expected_type == LUMA_LICENSE_TYPE_SESSION)
            {
              LumaSessionRecord *r = g_ptr_array_index (page->items, i);
              g_hash_table_replace (lines, g_strdup (r->session_id), session_line (r));
            }
          else
            {
              LumaUserRecord *r = g_ptr_array_index (page->items, i);
              g_hash_table_replace (lines, g_strdup (r->user_id), user_line (r));
            }
        }
      n_items += page->items->len;
      has_more = page->has_more;
      if (!has_more)
        g_assert_cmpint (page->remaining, ==, 0);
      g_free (current);
      current = g_strdup (page->next_cursor);
    }
  if (n_items_out != NULL)
    *n_items_out = n_items;
  return g_steal_pointer (&current);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
checksum_of (GHashTable *lines)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, lines);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *line = g_hash_table_lookup (lines, g_ptr_array_index (keys, i));
      g_checksum_update (checksum, (const guchar *) line, -1);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

static void
set_faults (const char *json)
{
  luma_test_sandbox_set_faults (sandbox, json);
}

/* Construction */

static void
test_urls (void)
{
  static const char *const invalid[] = {
    "", "luma.example", "ftp://luma.example/gateway/api/v1", "https://",
    "https://user:pw@luma.example/gateway/api/v1", "https://luma.example/gateway/api/v1?x=1",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) secure = NULL;
  g_autoptr(LumaApiClient) loopback = NULL;
  g_autoptr(LumaApiClient) insecure = NULL;
  g_autoptr(LumaSubscription) sub = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(LumaApiClient) client = luma_api_client_new (invalid[i], &error);

      g_test_message ("%s", invalid[i]);
      g_assert_null (client);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_INVALID_URL);
      g_clear_error (&error);
    }

  secure = luma_api_client_new ("https://luma.example/gateway/api/v1/", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (luma_api_client_get_base_url (secure), ==, "https://luma.example/gateway/api/v1");
  g_assert_false (luma_api_client_is_insecure (secure));

  loopback = luma_api_client_new ("http://[::1]:8080/gateway/api/v1", &error);
  g_assert_no_error (error);
  g_assert_false (luma_api_client_is_insecure (loopback));

  /* plain http to another machine needs a confirmation; nothing is sent before */
  insecure = luma_api_client_new ("http://192.0.2.10/gateway/api/v1", &error);
  g_assert_no_error (error);
  g_assert_true (luma_api_client_is_insecure (insecure));
  luma_api_client_set_tenant_credentials (insecure, ACME, ACME_KEY);
  sub = get_subscription (insecure, NULL, NULL, &error);
  g_assert_null (sub);
  assert_api_error (error, LUMA_API_ERROR_INSECURE_URL, NULL);
  g_clear_error (&error);

  /* no credentials */
  {
    g_autoptr(LumaApiClient) bare = luma_api_client_new (luma_test_sandbox_get_url (sandbox), &error);
    g_autoptr(LumaSubscription) none = get_subscription (bare, NULL, NULL, &error);

    g_assert_null (none);
    assert_api_error (error, LUMA_API_ERROR_NO_CREDENTIALS, NULL);
    g_assert_false (luma_api_client_is_superadmin (bare));
  }
}

/* Tenant endpoints */

static void
test_subscription (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(LumaApiClient) user_client = tenant_client (BETA, BETA_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(LumaSubscription) again = NULL;
  g_autoptr(LumaSubscription) user_sub = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *checksum = NULL;
  gint64 records, consumed;

  sub = get_subscription (client, NULL, &etag, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  g_assert_cmpstr (sub->external_id, ==, ACME);
  g_assert_cmpstr (sub->tenant_name, ==, "Acme Corporation");
  g_assert_cmpint (sub->license_type, ==, LUMA_LICENSE_TYPE_SESSION);
  g_assert_cmpint (sub->total_purchase, ==, 250);
  checksum = luma_test_sandbox_get_checksum (sandbox, ACME, &records, &consumed);
  g_assert_cmpint (sub->consumed, ==, consumed);
  g_assert_cmpint (sub->start_date, <=, sub->end_date);

  /* the same ETag: not modified */
  again = get_subscription (client, etag, NULL, &error);
  g_assert_null (again);
  assert_api_error (error, LUMA_API_ERROR_NOT_MODIFIED, NULL);
  g_clear_error (&error);

  user_sub = get_subscription (user_client, "\"something-else\"", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_sub->license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpstr (user_sub->external_id, ==, BETA);
}

static void
check_feed (const char      *tenant,
            const char      *key,
            LumaLicenseType  type)
{
  g_autoptr(LumaApiClient) client = tenant_client (tenant, key);
  g_autoptr(GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *cursor = NULL;
  g_autofree char *cursor2 = NULL;
  g_autofree char *cursor3 = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *ours2 = NULL;
  g_autofree char *theirs2 = NULL;
  gint64 records, consumed;
  guint n_items;

  cursor = sync_feed (client, NULL, 37, lines, type, &n_items);
  theirs = luma_test_sandbox_get_checksum (sandbox, tenant, &records, &consumed);
  g_assert_cmpuint (n_items, ==, records);
  g_assert_cmpuint (g_hash_table_size (lines), ==, records);
  ours = checksum_of (lines);
  g_assert_cmpstr (ours, ==, theirs);

  /* nothing new: one empty page */
  cursor2 = sync_feed (client, cursor, 37, lines, type, &n_items);
  g_assert_cmpuint (n_items, ==, 0);

  /* new and changed records come after the cursor, once each */
  luma_test_sandbox_add_records (sandbox, tenant, 5);
  luma_test_sandbox_touch_records (sandbox, tenant, 3);
  cursor3 = sync_feed (client, cursor2, 1000, lines, type, &n_items);
  g_assert_cmpuint (n_items, ==, 8);
  g_free (theirs);
  theirs2 = luma_test_sandbox_get_checksum (sandbox, tenant, &records, &consumed);
  theirs = NULL;
  g_assert_cmpuint (g_hash_table_size (lines), ==, records);
  ours2 = checksum_of (lines);
  g_assert_cmpstr (ours2, ==, theirs2);
}

static void
test_consumption_session (void)
{
  check_feed (ACME, ACME_KEY, LUMA_LICENSE_TYPE_SESSION);
}

static void
test_consumption_user (void)
{
  check_feed (BETA, BETA_KEY, LUMA_LICENSE_TYPE_USER);
}

static void
test_consumption_errors (void)
{
  g_autoptr(LumaApiClient) acme = tenant_client (ACME, ACME_KEY);
  g_autoptr(LumaApiClient) beta = tenant_client (BETA, BETA_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaConsumptionPage) beta_page = NULL;
  LumaConsumptionPage *page;

  page = get_page (acme, "not-a-cursor", 10, &error);
  g_assert_null (page);
  assert_api_error (error, LUMA_API_ERROR_INVALID_CURSOR, "INVALID_CURSOR");
  g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 400);
  g_clear_error (&error);

  /* another tenant's cursor */
  beta_page = get_page (beta, NULL, 2, &error);
  g_assert_no_error (error);
  page = get_page (acme, beta_page->next_cursor, 10, &error);
  g_assert_null (page);
  assert_api_error (error, LUMA_API_ERROR_INVALID_CURSOR, "INVALID_CURSOR");
  g_clear_error (&error);

  page = get_page (acme, NULL, 1001, &error);
  g_assert_null (page);
  assert_api_error (error, LUMA_API_ERROR_BAD_REQUEST, "INVALID_PARAMETER");
  g_clear_error (&error);

  /* the server's default limit */
  page = get_page (acme, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->items->len, >, 0);
  g_assert_cmpuint (page->items->len, <=, 500);
  luma_consumption_page_free (page);
}

static void
test_purchases (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) purchases = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autofree char *etag = NULL;
  gint64 sum = 0;

  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
  purchases = get_purchases (client, NULL, &etag, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  g_assert_cmpuint (purchases->len, >=, 1);
  for (guint i = 0; i < purchases->len; i++)
    {
      LumaPurchase *p = g_ptr_array_index (purchases, i);

      sum += p->change;
      if (i > 0)
        g_assert_cmpint (p->performed_on, <=, ((LumaPurchase *) g_ptr_array_index (purchases, i - 1))->performed_on);
    }
  /* newest first; the history adds up to the total purchase */
  g_assert_cmpint (((LumaPurchase *) g_ptr_array_index (purchases, 0))->total_after, ==, sub->total_purchase);
  g_assert_cmpint (sum, ==, sub->total_purchase);
  g_assert_cmpint (((LumaPurchase *) g_ptr_array_index (purchases, purchases->len - 1))->kind, ==,
                   LUMA_PURCHASE_KIND_PURCHASE);

  again = get_purchases (client, etag, NULL, &error);
  g_assert_null (again);
  assert_api_error (error, LUMA_API_ERROR_NOT_MODIFIED, NULL);
}

static void
check_conversations (const char      *tenant,
                     const char      *key,
                     LumaLicenseType  type)
{
  g_autoptr(LumaApiClient) client = tenant_client (tenant, key);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaConsumptionPage) page = get_page (client, NULL, 20, &error);
  g_autoptr(GPtrArray) missing = NULL;
  guint checked = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < page->items->len && checked < 4; i++)
    {
      const char *id;
      gint64 expected;
      g_autoptr(GPtrArray) conversations = NULL;

      if (type == LUMA_LICENSE_TYPE_SESSION)
        {
          LumaSessionRecord *r = g_ptr_array_index (page->items, i);
          id = r->session_id;
          expected = r->conversations;
        }
      else
        {
          LumaUserRecord *r = g_ptr_array_index (page->items, i);
          id = r->user_id;
          expected = r->conversations;
        }
      if (expected == 0 && checked > 0)
        continue;

      conversations = get_conversations (client, type, id, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (conversations->len, ==, expected);
      for (guint c = 0; c < conversations->len; c++)
        {
          LumaConversation *conv = g_ptr_array_index (conversations, c);

          g_assert_cmpstr (type == LUMA_LICENSE_TYPE_SESSION ? conv->session_id : conv->user_id, ==, id);
          g_assert_null (type == LUMA_LICENSE_TYPE_SESSION ? conv->user_id : conv->session_id);
          g_assert_cmpuint (conv->messages->len, >=, 2);
          for (guint m = 1; m < conv->messages->len; m++)
            g_assert_cmpint (((LumaMessage *) g_ptr_array_index (conv->messages, m))->sent_at, >=,
                             ((LumaMessage *) g_ptr_array_index (conv->messages, m - 1))->sent_at);
        }
      checked++;
    }
  g_assert_cmpuint (checked, >, 0);

  missing = get_conversations (client, type, "NO-SUCH-RECORD", &error);
  g_assert_null (missing);
  assert_api_error (error, LUMA_API_ERROR_NOT_FOUND, "NOT_FOUND");
}

static void
test_conversations_session (void)
{
  check_conversations (ACME, ACME_KEY, LUMA_LICENSE_TYPE_SESSION);
}

static void
test_conversations_user (void)
{
  check_conversations (BETA, BETA_KEY, LUMA_LICENSE_TYPE_USER);
}

static LumaSubscription *
update_contacts (LumaApiClient      *client,
                 const char *const  *technical,
                 const char *const  *billing,
                 gint64              version,
                 LumaContacts      **server_out,
                 GPtrArray         **field_errors_out,
                 GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  luma_api_client_update_contacts_async (client, technical, billing, version, NULL,
                                         store_result_cb, &result);
  return luma_api_client_update_contacts_finish (client, wait_for (&result), server_out,
                                                 field_errors_out, error);
}

static void
test_contacts (void)
{
  const char *technical[] = { "it@acme.example", "noc@acme.example", NULL };
  const char *billing[] = { "finance@acme.example", NULL };
  const char *other[] = { "ap@acme.example", NULL };
  const char *bad[] = { "it@acme.example", "noc@", NULL };
  const char *dup[] = { "a@acme.example", "A@acme.example", NULL };
  const char *empty[] = { NULL };
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(LumaSubscription) updated = NULL;
  g_autoptr(LumaSubscription) updated2 = NULL;
  g_autoptr(LumaContacts) server = NULL;
  g_autoptr(GPtrArray) field_errors = NULL;
  LumaSubscription *refused;
  LumaFieldError *fe;

  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);

  updated = update_contacts (client, technical, billing, sub->version, &server, &field_errors, &error);
  g_assert_no_error (error);
  g_assert_null (server);
  g_assert_null (field_errors);
  g_assert_cmpint (updated->version, ==, sub->version + 1);
  g_assert_true (g_strv_equal ((const char *const *) updated->technical_emails, technical));
  g_assert_true (g_strv_equal ((const char *const *) updated->billing_emails, billing));

  /* someone else's edit meanwhile: 412 with the server's lists */
  refused = update_contacts (client, technical, other, sub->version, &server, &field_errors, &error);
  g_assert_null (refused);
  assert_api_error (error, LUMA_API_ERROR_VERSION_MISMATCH, "VERSION_MISMATCH");
  g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 412);
  g_assert_nonnull (server);
  g_assert_cmpint (server->version, ==, updated->version);
  g_assert_true (g_strv_equal ((const char *const *) server->billing_emails, billing));
  g_clear_error (&error);
  g_clear_pointer (&server, luma_contacts_free);

  /* 422 with one error per field */
  refused = update_contacts (client, bad, dup, updated->version, &server, &field_errors, &error);
  g_assert_null (refused);
  assert_api_error (error, LUMA_API_ERROR_VALIDATION, "VALIDATION_FAILED");
  g_assert_null (server);
  g_assert_nonnull (field_errors);
  g_assert_cmpuint (field_errors->len, ==, 2);
  fe = g_ptr_array_index (field_errors, 0);
  g_assert_cmpstr (fe->code, ==, "INVALID_EMAIL");
  g_assert_cmpstr (fe->field, ==, "technicalEmails[1]");
  fe = g_ptr_array_index (field_errors, 1);
  g_assert_cmpstr (fe->code, ==, "DUPLICATE_EMAIL");
  g_assert_cmpstr (fe->field, ==, "billingEmails[1]");
  g_clear_error (&error);
  g_clear_pointer (&field_errors, g_ptr_array_unref);

  refused = update_contacts (client, empty, billing, updated->version, NULL, &field_errors, &error);
  g_assert_null (refused);
  assert_api_error (error, LUMA_API_ERROR_VALIDATION, "VALIDATION_FAILED");
  fe = g_ptr_array_index (field_errors, 0);
  g_assert_cmpstr (fe->code, ==, "EMPTY_LIST");
  g_clear_error (&error);

  /* an answer lost on the way back: the retry meets its own change */
  {
    const char *technical2[] = { " it@acme.example ", NULL };
    g_autoptr(LumaSubscription) saved = NULL;

    set_faults ("{\"faults\": [{\"kind\": \"reset\", \"rate\": 1.0, \"count\": 1}]}");
    saved = update_contacts (client, technical2, billing, updated->version, &server, NULL, &error);
    set_faults ("{\"faults\": []}");
    g_assert_no_error (error);
    g_assert_null (server);
    g_assert_cmpint (saved->version, ==, updated->version + 1);
    g_assert_cmpstr (saved->technical_emails[0], ==, "it@acme.example");
    g_assert_null (saved->technical_emails[1]);

    /* and back, for the checks below */
    g_clear_pointer (&updated, luma_subscription_free);
    updated = update_contacts (client, technical, billing, saved->version, NULL, NULL, &error);
    g_assert_no_error (error);
  }

  /* nothing was changed by the refused edits */
  updated2 = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (updated2->version, ==, updated->version);
  g_assert_true (g_strv_equal ((const char *const *) updated2->technical_emails, technical));
}

/* Error mapping */

static void
test_auth_errors (void)
{
  g_autoptr(GError) error = NULL;
  LumaSubscription *sub;

  {
    g_autoptr(LumaApiClient) wrong_key = tenant_client (ACME, "not-the-key");
    sub = get_subscription (wrong_key, NULL, NULL, &error);
    g_assert_null (sub);
    assert_api_error (error, LUMA_API_ERROR_AUTH, "UNAUTHENTICATED");
    g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 401);
    g_assert_null (strstr (error->message, "not-the-key"));
    g_clear_error (&error);
  }

  {
    /* beta's key for acme */
    g_autoptr(LumaApiClient) wrong_tenant = tenant_client (ACME, BETA_KEY);
    sub = get_subscription (wrong_tenant, NULL, NULL, &error);
    g_assert_null (sub);
    assert_api_error (error, LUMA_API_ERROR_FORBIDDEN, "WRONG_TENANT");
    g_clear_error (&error);
  }

  {
    g_autoptr(LumaApiClient) gamma = tenant_client (GAMMA, GAMMA_KEY);
    g_autoptr(JsonNode) r1 = NULL;
    g_autoptr(JsonNode) r2 = NULL;

    r1 = luma_test_sandbox_control (sandbox, "PUT", "/sandbox/tenants/" GAMMA "/api-key",
                                    "{\"active\": false}", NULL);
    sub = get_subscription (gamma, NULL, NULL, &error);
    g_assert_null (sub);
    assert_api_error (error, LUMA_API_ERROR_FORBIDDEN, "KEY_INACTIVE");
    g_assert_nonnull (strstr (error->message, "inactive"));
    g_clear_error (&error);

    r2 = luma_test_sandbox_control (sandbox, "PUT", "/sandbox/tenants/" GAMMA "/api-key",
                                    "{\"active\": true, \"permissions\": []}", NULL);
    sub = get_subscription (gamma, NULL, NULL, &error);
    g_assert_null (sub);
    assert_api_error (error, LUMA_API_ERROR_FORBIDDEN, "PERMISSION_DENIED");
    g_clear_error (&error);
  }

  {
    g_autoptr(LumaApiClient) root = superadmin_client ("wrong-password");
    g_autoptr(GPtrArray) tenants = list_tenants (root, &error);

    g_assert_null (tenants);
    assert_api_error (error, LUMA_API_ERROR_AUTH, "INVALID_CREDENTIALS");
    g_assert_null (strstr (error->message, "wrong-password"));
    g_clear_error (&error);
  }

  {
    g_autoptr(LumaApiClient) root = superadmin_client (ROOT_PASS);

    luma_api_client_set_tenant (root, "no-such-tenant");
    sub = get_subscription (root, NULL, NULL, &error);
    g_assert_null (sub);
    assert_api_error (error, LUMA_API_ERROR_NOT_FOUND, "NOT_FOUND");
    g_clear_error (&error);
  }
}

/* Platform */

/* 2,500 tenants are three pages; the client follows them. */
static void
test_tenant_pages (void)
{
  g_autoptr(LumaTestSandbox) many = luma_test_sandbox_start ("--generate-tenants", "2500",
                                                             "--superadmin", ROOT_USER ":" ROOT_PASS,
                                                             NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) root = luma_api_client_new (luma_test_sandbox_get_url (many), &error);
  g_autoptr(GPtrArray) tenants = NULL;

  g_assert_no_error (error);
  luma_api_client_set_superadmin_credentials (root, ROOT_USER, ROOT_PASS);
  tenants = list_tenants (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 2500);
  for (guint i = 0; i < tenants->len; i++)
    {
      LumaTenantSummary *t = g_ptr_array_index (tenants, i);
      g_autofree char *id = g_strdup_printf ("t-%04u", i + 1);

      g_assert_cmpstr (t->external_id, ==, id);
    }
}

static void
test_platform (void)
{
  g_autoptr(LumaApiClient) root = superadmin_client (ROOT_PASS);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(LumaConsumptionPage) page = NULL;
  g_autoptr(GPtrArray) purchases = NULL;
  g_autoptr(GPtrArray) purchases_after = NULL;
  g_autoptr(LumaRefillResult) result = NULL;
  g_autoptr(LumaRefillResult) replay = NULL;
  g_autoptr(LumaRefillResult) reused = NULL;
  g_autoptr(LumaRefillResult) below = NULL;
  g_autofree char *key = g_uuid_string_random ();
  LumaTenantSummary *t;
  LumaPurchase *newest;

  g_assert_true (luma_api_client_is_superadmin (root));
  g_assert_true (login (root, &error));
  g_assert_no_error (error);

  tenants = list_tenants (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 3);
  t = g_ptr_array_index (tenants, 0);
  g_assert_cmpstr (t->external_id, ==, ACME);
  t = g_ptr_array_index (tenants, 1);
  g_assert_cmpstr (t->external_id, ==, BETA);
  g_assert_cmpint (t->license_type, ==, LUMA_LICENSE_TYPE_USER);

  /* tenant resources under /platform/tenants/{id} */
  luma_api_client_set_tenant (root, BETA);
  sub = get_subscription (root, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sub->external_id, ==, BETA);
  g_assert_cmpint (sub->consumed, ==, t->consumed);
  page = get_page (root, NULL, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpint (page->license_type, ==, LUMA_LICENSE_TYPE_USER);
  g_assert_cmpuint (page->items->len, ==, 5);
  purchases = get_purchases (root, NULL, NULL, &error);
  g_assert_no_error (error);

  /* a refill, then the same key again: replayed, nothing changes */
  result = refill (root, BETA, 40, "Customer order 4480", "PO-4480", key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->purchase->change, ==, 40);
  g_assert_cmpint (result->purchase->kind, ==, LUMA_PURCHASE_KIND_REFILL);
  g_assert_cmpstr (result->purchase->reference, ==, "PO-4480");
  g_assert_cmpstr (result->purchase->performed_by, ==, ROOT_USER);
  g_assert_cmpint (result->total_purchase, ==, sub->total_purchase + 40);
  g_assert_cmpint (result->purchase->total_after, ==, result->total_purchase);

  replay = refill (root, BETA, 40, "Customer order 4480", "PO-4480", key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (replay->purchase->purchase_id, ==, result->purchase->purchase_id);
  g_assert_cmpint (replay->total_purchase, ==, result->total_purchase);

  reused = refill (root, BETA, 41, "Customer order 4480", "PO-4480", key, &error);
  g_assert_null (reused);
  assert_api_error (error, LUMA_API_ERROR_CONFLICT, "IDEMPOTENCY_KEY_REUSED");
  g_clear_error (&error);

  purchases_after = get_purchases (root, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (purchases_after->len, ==, purchases->len + 1);
  newest = g_ptr_array_index (purchases_after, 0);
  g_assert_cmpstr (newest->purchase_id, ==, result->purchase->purchase_id);

  /* a removal below what is consumed is refused */
  below = refill (root, BETA, -(result->total_purchase - result->consumed + 1), "Too much", NULL, NULL, &error);
  g_assert_null (below);
  assert_api_error (error, LUMA_API_ERROR_CONFLICT, "BELOW_CONSUMED");
  g_clear_error (&error);

  /* a key the contract does not allow is refused before anything is sent */
  below = refill (root, BETA, 5, "Bad key", NULL, "two words", &error);
  g_assert_null (below);
  assert_api_error (error, LUMA_API_ERROR_BAD_REQUEST, NULL);
  g_clear_error (&error);

  /* 422 per field */
  below = refill (root, BETA, 0, "", NULL, NULL, &error);
  g_assert_null (below);
  assert_api_error (error, LUMA_API_ERROR_VALIDATION, "VALIDATION_FAILED");
}

static const LumaTenantSummary *
find_tenant (GPtrArray  *tenants,
             const char *id)
{
  for (guint i = 0; i < tenants->len; i++)
    {
      const LumaTenantSummary *t = g_ptr_array_index (tenants, i);

      if (g_strcmp0 (t->external_id, id) == 0)
        return t;
    }
  g_assert_not_reached ();
}

static void
assert_last_refill (LumaApiClient *root,
                    const char    *id,
                    gint64         at,
                    gint64         change)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = list_tenants (root, &error);
  const LumaTenantSummary *t;

  g_assert_no_error (error);
  t = find_tenant (tenants, id);
  g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_KNOWN);
  g_assert_cmpint (t->last_refill_at, ==, at);
  g_assert_cmpint (t->last_refill_change, ==, change);
}

/* The tenant list says each tenant's last refill or removal: what its
 * purchase history holds before, then a refill, then a removal after it. */
static void
test_last_refill (void)
{
  g_autoptr(LumaApiClient) root = superadmin_client (ROOT_PASS);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = list_tenants (root, &error);
  g_autoptr(GPtrArray) purchases = NULL;
  g_autoptr(LumaRefillResult) added = NULL;
  g_autoptr(LumaRefillResult) removed = NULL;
  const LumaPurchase *latest = NULL;
  const LumaTenantSummary *t;

  g_assert_no_error (error);
  /* Every tenant says something: this server knows the member. */
  for (guint i = 0; i < tenants->len; i++)
    g_assert_cmpint (((LumaTenantSummary *) g_ptr_array_index (tenants, i))->last_refill, !=,
                     LUMA_LAST_REFILL_UNKNOWN);

  /* Before: the newest refill or removal of the purchase history (newest first), or never. */
  luma_api_client_set_tenant (root, GAMMA);
  purchases = get_purchases (root, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < purchases->len && latest == NULL; i++)
    {
      const LumaPurchase *p = g_ptr_array_index (purchases, i);

      if (p->kind == LUMA_PURCHASE_KIND_REFILL || p->kind == LUMA_PURCHASE_KIND_REMOVAL)
        latest = p;
    }
  t = find_tenant (tenants, GAMMA);
  if (latest == NULL)
    g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_NEVER);
  else
    {
      g_assert_cmpint (t->last_refill, ==, LUMA_LAST_REFILL_KNOWN);
      g_assert_cmpint (t->last_refill_at, ==, latest->performed_on);
      g_assert_cmpint (t->last_refill_change, ==, latest->change);
    }

  added = refill (root, GAMMA, 1000, "Customer order 5120", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (added->purchase->kind, ==, LUMA_PURCHASE_KIND_REFILL);
  assert_last_refill (root, GAMMA, added->purchase->performed_on, 1000);

  /* A removal after it, even within the same second, becomes the last. */
  removed = refill (root, GAMMA, -7, "Unused licenses returned", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (removed->purchase->kind, ==, LUMA_PURCHASE_KIND_REMOVAL);
  g_assert_cmpint (removed->purchase->performed_on, >=, added->purchase->performed_on);
  assert_last_refill (root, GAMMA, removed->purchase->performed_on, -7);
}

/* Faults and retries */

static void
test_retries (void)
{
  static const char *const kinds[] = { "500", "reset", "truncate", "garbage" };
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *faults = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 1.0, \"count\": 2}]}", kinds[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(LumaSubscription) sub = NULL;
      g_autoptr(LumaConsumptionPage) page = NULL;

      g_test_message ("fault %s", kinds[i]);
      set_faults (faults);
      sub = get_subscription (client, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (sub->external_id, ==, ACME);

      set_faults (faults);
      page = get_page (client, NULL, 50, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->items->len, ==, 50);
    }
  set_faults ("{\"faults\": []}");
}

static void
test_retry_after (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  gint64 start;

  set_faults ("{\"faults\": [{\"kind\": \"429\", \"rate\": 1.0, \"count\": 1}]}");
  start = g_get_monotonic_time ();
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Retry-After: 1 was honoured (a behaviour check: the client waited) */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC);
  set_faults ("{\"faults\": []}");
}

static void
test_retries_exhausted (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(LumaConsumptionPage) page = NULL;

  luma_api_client_set_retry_policy (client, 3, 10, 50);

  set_faults ("{\"faults\": [{\"kind\": \"500\", \"rate\": 1.0, \"count\": 3}]}");
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_null (sub);
  assert_api_error (error, LUMA_API_ERROR_SERVER, "SERVER_ERROR");
  g_assert_cmpuint (luma_api_error_get_http_status (error), ==, 500);
  g_clear_error (&error);

  set_faults ("{\"faults\": [{\"kind\": \"garbage\", \"rate\": 1.0, \"count\": 3}]}");
  page = get_page (client, NULL, 10, &error);
  g_assert_null (page);
  assert_api_error (error, LUMA_API_ERROR_PROTOCOL, NULL);
  g_clear_error (&error);

  /* the faults were used up: the next call works */
  set_faults ("{\"faults\": []}");
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
test_timeout (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;

  luma_api_client_set_timeout (client, 1);
  luma_api_client_set_retry_policy (client, 1, 10, 10);
  set_faults ("{\"faults\": [{\"kind\": \"slow\", \"rate\": 1.0, \"count\": 1}]}");
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_null (sub);
  assert_api_error (error, LUMA_API_ERROR_TIMEOUT, NULL);
  set_faults ("{\"faults\": []}");
}

/* A time-out set after a request holds for the next one too, though the
 * connection of the first is kept alive (the session's first connection
 * shortens the time-out and then puts the usual one back). */
static void
test_timeout_changed (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  gint64 start;

  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&sub, luma_subscription_free);

  luma_api_client_set_timeout (client, 1);
  luma_api_client_set_retry_policy (client, 1, 10, 10);
  set_faults ("{\"faults\": [{\"kind\": \"slow\", \"rate\": 1.0, \"count\": 1}]}");
  start = g_get_monotonic_time ();
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_null (sub);
  assert_api_error (error, LUMA_API_ERROR_TIMEOUT, NULL);
  /* Not the 20 s the kept connection was opened with. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  set_faults ("{\"faults\": []}");
}

/* TLS: a certificate from an unknown CA is refused with the reason; the
 * configured CA file makes it trusted; a certificate for another name is
 * refused even then. */
static void
run_openssl (const char *dir,
             const char *command)
{
  g_autofree char *full = g_strdup_printf ("sh -c 'cd \"%s\" && %s'", dir, command);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* captured: anything on stdout would break the TAP stream */
  g_spawn_command_line_sync (full, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", command, out, err);
}

static void
make_certificate (const char *dir,
                  const char *name,
                  const char *san)
{
  g_autofree char *ext = g_strdup_printf ("%s/%s.ext", dir, name);
  g_autofree char *ext_text = g_strdup_printf ("subjectAltName=%s\n", san);
  g_autofree char *req = g_strdup_printf ("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                                          " -keyout %s.key -out %s.csr -subj /CN=%s 2>&1", name, name, name);
  g_autofree char *sign = g_strdup_printf ("openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                                           " -days 2 -extfile %s.ext -out %s.pem 2>&1", name, name, name);

  g_assert_true (g_file_set_contents (ext, ext_text, -1, NULL));
  run_openssl (dir, req);
  run_openssl (dir, sign);
}

static void
test_tls (void)
{
  g_autofree char *dir = g_dir_make_tmp ("luma-tls-XXXXXX", NULL);
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *good_cert = g_build_filename (dir, "good.pem", NULL);
  g_autofree char *good_key = g_build_filename (dir, "good.key", NULL);
  g_autofree char *bad_cert = g_build_filename (dir, "bad.pem", NULL);
  g_autofree char *bad_key = g_build_filename (dir, "bad.key", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (dir);
  run_openssl (dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -keyout ca.key -out ca.pem -days 2 -subj /CN=Luma-Test-CA 2>&1");
  make_certificate (dir, "good", "IP:127.0.0.1");
  make_certificate (dir, "bad", "DNS:wrong.example");

  {
    g_autoptr(LumaTestSandbox) https = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                                                                "--tls-cert", good_cert, "--tls-key", good_key,
                                                                NULL);
    g_autoptr(LumaApiClient) client = luma_api_client_new (luma_test_sandbox_get_url (https), &error);
    g_autoptr(LumaSubscription) refused = NULL;
    g_autoptr(LumaSubscription) sub = NULL;

    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (luma_test_sandbox_get_url (https), "https://"));
    luma_api_client_set_tenant_credentials (client, ACME, ACME_KEY);

    refused = get_subscription (client, NULL, NULL, &error);
    g_assert_null (refused);
    assert_api_error (error, LUMA_API_ERROR_TLS, NULL);
    g_assert_nonnull (strstr (error->message, "not signed by a known certificate authority"));
    g_clear_error (&error);

    g_assert_false (luma_api_client_set_ca_file (client, "/nonexistent/ca.pem", &error));
    g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_TLS);
    g_clear_error (&error);

    g_assert_true (luma_api_client_set_ca_file (client, ca, &error));
    g_assert_no_error (error);
    sub = get_subscription (client, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sub->external_id, ==, ACME);
  }

  {
    g_autoptr(LumaTestSandbox) https = luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                                                                "--tls-cert", bad_cert, "--tls-key", bad_key,
                                                                NULL);
    g_autoptr(LumaApiClient) client = luma_api_client_new (luma_test_sandbox_get_url (https), &error);
    g_autoptr(LumaSubscription) refused = NULL;

    g_assert_no_error (error);
    luma_api_client_set_tenant_credentials (client, ACME, ACME_KEY);
    g_assert_true (luma_api_client_set_ca_file (client, ca, &error));
    refused = get_subscription (client, NULL, NULL, &error);
    g_assert_null (refused);
    assert_api_error (error, LUMA_API_ERROR_TLS, NULL);
    g_assert_nonnull (strstr (error->message, "bad identity"));
  }

  run_openssl (dir, "rm -f ca.* good.* bad.*");
  g_rmdir (dir);
}

/* A refill whose answer failed is retried with the same key and performed
 * exactly once. */
static void
test_refill_once (void)
{
  static const char *const kinds[] = { "500", "reset" };
  g_autoptr(LumaApiClient) root = superadmin_client (ROOT_PASS);
  g_autoptr(GError) error = NULL;

  luma_api_client_set_tenant (root, ACME);
  g_assert_true (login (root, &error));

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *faults = g_strdup_printf ("{\"faults\": [{\"kind\": \"%s\", \"rate\": 1.0, \"count\": 1}]}", kinds[i]);
      g_autoptr(GPtrArray) before = get_purchases (root, NULL, NULL, &error);
      g_autoptr(GPtrArray) after = NULL;
      g_autoptr(LumaRefillResult) result = NULL;
      g_autofree char *reason = g_strdup_printf ("Retried refill (%s)", kinds[i]);
      guint found = 0;

      g_assert_no_error (error);
      set_faults (faults);
      result = refill (root, ACME, 7, reason, NULL, NULL, &error);
      g_assert_no_error (error);
      set_faults ("{\"faults\": []}");

      after = get_purchases (root, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (after->len, ==, before->len + 1);
      for (guint k = 0; k < after->len; k++)
        if (g_strcmp0 (((LumaPurchase *) g_ptr_array_index (after, k))->reason, reason) == 0)
          found++;
      g_assert_cmpuint (found, ==, 1);
    }
}

static void
test_token_refresh (void)
{
  g_autoptr(LumaTestSandbox) short_lived = luma_test_sandbox_start ("--tenant", ACME,
                                                                    "--api-key", ACME_KEY,
                                                                    "--seed", "10",
                                                                    "--superadmin", ROOT_USER ":" ROOT_PASS,
                                                                    "--token-lifetime", "1",
                                                                    NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) root = luma_api_client_new (luma_test_sandbox_get_url (short_lived), &error);
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) tenants2 = NULL;

  g_assert_no_error (error);
  luma_api_client_set_superadmin_credentials (root, ROOT_USER, ROOT_PASS);
  luma_api_client_set_retry_policy (root, 5, 20, 200);

  tenants = list_tenants (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 1);

  /* the token is gone after a second; the client signs in again by itself */
  g_usleep (2100 * 1000);
  g_log_set_debug_enabled (TRUE);
  g_string_truncate (log_text, 0);
  tenants2 = list_tenants (root, &error);
  g_log_set_debug_enabled (FALSE);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants2->len, ==, 1);
  g_assert_nonnull (strstr (log_text->str, "token expired, signing in again"));
  g_assert_null (strstr (log_text->str, ROOT_PASS));
}

static void
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

static gboolean
cancel_timeout_cb (gpointer user_data)
{
  cancel_cb (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancellable2 = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  LumaConsumptionPage *page;

  /* while the request is on the wire */
  set_faults ("{\"latencyMs\": 3000, \"faults\": []}");
  luma_api_client_get_consumption_page_async (client, NULL, 10, cancellable, store_result_cb, &result);
  g_timeout_add (100, cancel_timeout_cb, cancellable);
  page = luma_api_client_get_consumption_page_finish (client, wait_for (&result), &error);
  g_assert_null (page);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* while waiting to retry: every answer fails, so the request cannot succeed before the
   * cancel whatever the sandbox still does with the request cancelled above */
  set_faults ("{\"latencyMs\": 0, \"faults\": [{\"kind\": \"500\", \"rate\": 1.0}]}");
  luma_api_client_set_retry_policy (client, 5, 60000, 60000);
  luma_api_client_get_consumption_page_async (client, NULL, 10, cancellable2, store_result_cb, &result2);
  g_timeout_add (300, cancel_timeout_cb, cancellable2);
  page = luma_api_client_get_consumption_page_finish (client, wait_for (&result2), &error);
  g_assert_null (page);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  set_faults ("{\"latencyMs\": 0, \"faults\": []}");
}

/* Secrets stay out of every log line, even with debug output on. */
static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      {
        g_string_append (log_text, fields[i].value);
        g_string_append_c (log_text, '\n');
      }
  /* debug output would break the TAP stream on stdout */
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
test_secrets_not_logged (void)
{
  g_autoptr(LumaApiClient) client = tenant_client (ACME, ACME_KEY);
  g_autoptr(LumaApiClient) root = superadmin_client (ROOT_PASS);
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSubscription) sub = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  gboolean was_enabled = g_log_get_debug_enabled ();

  g_log_set_debug_enabled (TRUE);
  g_string_truncate (log_text, 0);

  set_faults ("{\"faults\": [{\"kind\": \"500\", \"rate\": 1.0, \"count\": 1}]}");
  sub = get_subscription (client, NULL, NULL, &error);
  g_assert_no_error (error);
  tenants = list_tenants (root, &error);
  g_assert_no_error (error);
  set_faults ("{\"faults\": []}");

  g_log_set_debug_enabled (was_enabled);
  /* the client did log, and nothing secret */
  g_assert_nonnull (strstr (log_text->str, "/subscription"));
  g_assert_null (strstr (log_text->str, ACME_KEY));
  g_assert_null (strstr (log_text->str, ROOT_PASS));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  sandbox = luma_test_sandbox_start ("--tenant", ACME,
                                     "--tenant-name", "Acme Corporation",
                                     "--api-key", ACME_KEY,
                                     "--license-model", "session",
                                     "--licenses", "250",
                                     "--seed", "300",
                                     "--tenant", BETA,
                                     "--tenant-name", "Beta Ltd",
                                     "--api-key", BETA_KEY,
                                     "--license-model", "user",
                                     "--licenses", "100",
                                     "--seed", "80",
                                     "--tenant", GAMMA,
                                     "--api-key", GAMMA_KEY,
                                     "--seed", "5",
                                     "--superadmin", ROOT_USER ":" ROOT_PASS,
                                     NULL);

  g_test_add_func ("/api-client/urls", test_urls);
  g_test_add_func ("/api-client/subscription", test_subscription);
  g_test_add_func ("/api-client/consumption/session", test_consumption_session);
  g_test_add_func ("/api-client/consumption/user", test_consumption_user);
  g_test_add_func ("/api-client/consumption/errors", test_consumption_errors);
  g_test_add_func ("/api-client/purchases", test_purchases);
  g_test_add_func ("/api-client/conversations/session", test_conversations_session);
  g_test_add_func ("/api-client/conversations/user", test_conversations_user);
  g_test_add_func ("/api-client/contacts", test_contacts);
  g_test_add_func ("/api-client/errors/auth", test_auth_errors);
  g_test_add_func ("/api-client/platform", test_platform);
  g_test_add_func ("/api-client/platform/tenant-pages", test_tenant_pages);
  g_test_add_func ("/api-client/platform/last-refill", test_last_refill);
  g_test_add_func ("/api-client/faults/retries", test_retries);
  g_test_add_func ("/api-client/faults/retry-after", test_retry_after);
  g_test_add_func ("/api-client/faults/exhausted", test_retries_exhausted);
  g_test_add_func ("/api-client/faults/timeout", test_timeout);
  g_test_add_func ("/api-client/faults/timeout-changed", test_timeout_changed);
  g_test_add_func ("/api-client/faults/refill-once", test_refill_once);
  g_test_add_func ("/api-client/token-refresh", test_token_refresh);
  g_test_add_func ("/api-client/cancel", test_cancel);
  g_test_add_func ("/api-client/secrets-not-logged", test_secrets_not_logged);
  g_test_add_func ("/api-client/tls", test_tls);

  ret = g_test_run ();
  luma_test_sandbox_stop (sandbox);
  return ret;
}
