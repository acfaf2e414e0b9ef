/* test-contract-feed.c: the consumption change feed of docs/api.md section 2.3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "contract-util.h"

#define BIG_SEED 10000

static GHashTable *
index_by_id (GPtrArray  *items,
             const char *id_member)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *item = g_ptr_array_index (items, i);
      const char *id = get_str (item, id_member);

      if (g_hash_table_contains (index, id))
        g_error ("%s %s appears twice in the feed", id_member, id);
      g_hash_table_insert (index, (gpointer) id, item);
    }
  return index;
}

static gboolean
has_non_ascii (const char *s)
{
  for (; *s != '\0'; s++)
    if ((guchar) *s >= 0x80)
      return TRUE;
  return FALSE;
}

static void
test_feed_paging (void)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY,
                             "--license-model", "session", "--licenses", "20000",
                             "--seed", G_STRINGIFY (BIG_SEED), "--seed-value", "42",
                             "--superadmin", ROOT_USER ":" ROOT_PASS, NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) platform_items = NULL;
  g_autoptr(GHashTable) index = NULL;
  g_autoptr(GHashTable) seen_channels = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_roles = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_initiators = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) previous = NULL;
  g_autoptr(LumaTestResponse) sub_r = NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *platform_sum = NULL;
  g_autofree char *token = NULL;
  gboolean non_ascii = FALSE, comma = FALSE, quote = FALSE, apostrophe = FALSE;
  gboolean formula = FALSE, no_agent = FALSE, agent = FALSE;
  gint64 records, consumed;
  guint pages = 0;
  JsonObject *sub = get_subscription (sb, ACME_KEY, ACME, &sub_r);

  checksum = luma_test_sandbox_get_checksum (sb, ACME, &records, &consumed);
  g_assert_cmpint (records, ==, BIG_SEED);

  /* An odd page size, checking remaining on every page: received + remaining == total. */
  for (;;)
    {
      g_autofree char *escaped = g_uri_escape_string (cursor ? cursor : "", NULL, TRUE);
      g_autofree char *path = g_strdup_printf ("/subscription/consumption?limit=997%s%s",
                                               cursor ? "&cursor=" : "", cursor ? escaped : "");
      g_autoptr(LumaTestResponse) r = tenant_get (sb, path, ACME_KEY, ACME);
      JsonObject *result;
      gboolean more;

      luma_test_assert_response (r, 200, NULL);
      result = luma_test_response_get_result (r);
      g_assert_cmpstr (get_str (result, "licenseType"), ==, "SESSION");
      append_items (items, result);
      more = get_bool (result, "hasMore");
      g_assert_cmpint (items->len + get_int (result, "remaining"), ==, records);
      g_assert_cmpint (more, ==, items->len < (guint) records);
      g_free (cursor);
      cursor = g_strdup (get_str (result, "nextCursor"));
      pages++;
      if (!more)
        break;
      g_assert_cmpuint (pages, <=, BIG_SEED / 997 + 1);
    }
  g_assert_cmpuint (pages, ==, (BIG_SEED + 996) / 997);

  /* No gap, no duplicate: every id once, as many as the sandbox holds, same checksum. */
  index = index_by_id (items, "sessionId");
  g_assert_cmpuint (g_hash_table_size (index), ==, records);
  ours = luma_test_checksum_items (items, "SESSION");
  g_assert_cmpstr (ours, ==, checksum);
  g_assert_cmpint (get_int (sub, "consumed"), ==, consumed);

  /* Generated data (section 7): start times increase along the feed, within the term, up to
   * now, and the mix of values is there. */
  start = parse_server_time (get_str (sub, "startDate"));
  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *item = g_ptr_array_index (items, i);
      GDateTime *t = parse_server_time (get_str (item, "startedOn"));
      const char *name = get_str (item, "userName");

      g_assert_cmpint (g_date_time_compare (start, t), <=, 0);
      g_assert_cmpint (g_date_time_compare (t, now), <=, 0);
      if (previous != NULL)
        g_assert_cmpint (g_date_time_compare (previous, t), <=, 0);
      g_clear_pointer (&previous, g_date_time_unref);
      previous = t;

      g_assert_true (str_in (get_str (item, "channel"), channels));
      g_assert_true (str_in (get_str (item, "role"), roles));
      g_assert_true (str_in (get_str (item, "initiatedBy"), initiators));
      g_hash_table_add (seen_channels, (gpointer) get_str (item, "channel"));
      g_hash_table_add (seen_roles, (gpointer) get_str (item, "role"));
      g_hash_table_add (seen_initiators, (gpointer) get_str (item, "initiatedBy"));
      non_ascii |= has_non_ascii (name);
      comma |= strchr (name, ',') != NULL;
      quote |= strchr (name, '"') != NULL;
      apostrophe |= strchr (name, '\'') != NULL;
      formula |= name[0] != '\0' && strchr ("=+-@", name[0]) != NULL;
      if (is_null_member (item, "agentName"))
        no_agent = TRUE;
      else
        {
          agent = TRUE;
          non_ascii |= has_non_ascii (get_str (item, "agentName"));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen_channels), ==, g_strv_length ((char **) channels));
  g_assert_cmpuint (g_hash_table_size (seen_roles), ==, g_strv_length ((char **) roles));
  g_assert_cmpuint (g_hash_table_size (seen_initiators), ==, 2);
  g_assert_true (non_ascii);
  g_assert_true (comma);
  g_assert_true (quote);
  g_assert_true (apostrophe);
  g_assert_true (formula);
  g_assert_true (no_agent);
  g_assert_true (agent);

  /* The last cursor: nothing after it. */
  {
    g_autofree char *escaped = g_uri_escape_string (cursor, NULL, TRUE);
    g_autofree char *path = g_strdup_printf ("/subscription/consumption?cursor=%s", escaped);
    g_autoptr(LumaTestResponse) r = tenant_get (sb, path, ACME_KEY, ACME);

    luma_test_assert_response (r, 200, NULL);
    g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (r), "items")),
                      ==, 0);
    g_assert_false (get_bool (luma_test_response_get_result (r), "hasMore"));
    g_assert_cmpint (get_int (luma_test_response_get_result (r), "remaining"), ==, 0);
  }

  /* The superadmin's view of the same feed, pages of 1000. */
  token = platform_login (sb, ROOT_USER, ROOT_PASS);
  platform_items = fetch_feed (sb, "/platform/tenants/" ACME, NULL, NULL, token, NULL, 1000, NULL);
  g_assert_cmpuint (platform_items->len, ==, records);
  platform_sum = luma_test_checksum_items (platform_items, "SESSION");
  g_assert_cmpstr (platform_sum, ==, checksum);
}

static void
test_feed_default_limit (void)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "1200", NULL);
  g_autoptr(LumaTestResponse) r = tenant_get (sb, "/subscription/consumption", ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) empty = tenant_get (sb, "/subscription/consumption?cursor=",
                                                  ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) max = tenant_get (sb, "/subscription/consumption?limit=1000",
                                                ACME_KEY, ACME);
  g_autoptr(LumaTestResponse) one = tenant_get (sb, "/subscription/consumption?limit=1",
                                                ACME_KEY, ACME);
  JsonObject *result;

  luma_test_assert_response (r, 200, NULL);
  result = luma_test_response_get_result (r);
  g_assert_cmpuint (json_array_get_length (get_arr (result, "items")), ==, 500);
  g_assert_true (get_bool (result, "hasMore"));
  g_assert_cmpint (get_int (result, "remaining"), ==, 1200 - 500);

  /* An empty cursor is the beginning. */
  luma_test_assert_response (empty, 200, NULL);
  g_assert_true (json_node_equal (
    json_array_get_element (get_arr (luma_test_response_get_result (empty), "items"), 0),
    json_array_get_element (get_arr (result, "items"), 0)));

  luma_test_assert_response (max, 200, NULL);
  g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (max), "items")),
                    ==, 1000);
  luma_test_assert_response (one, 200, NULL);
  g_assert_cmpuint (json_array_get_length (get_arr (luma_test_response_get_result (one), "items")),
                    ==, 1);
}

static void
test_feed_incremental_session (void)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "500", NULL);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) nothing = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) touched = NULL;
  g_autoptr(GPtrArray) touched_again = NULL;
  g_autoptr(GPtrArray) since_first = NULL;
  g_autoptr(GPtrArray) everything = NULL;
  g_autoptr(GHashTable) first_index = NULL;
  g_autoptr(GHashTable) since_index = NULL;
  g_autoptr(GHashTable) state = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) state_items = g_ptr_array_new ();
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;
  g_autofree char *c3 = NULL;
  g_autofree char *c4 = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *ours = NULL;
  gint64 records;
  GHashTableIter iter;
  gpointer value;

  first = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 200, &c1);
  g_assert_cmpuint (first->len, ==, 500);
  first_index = index_by_id (first, "sessionId");

  /* Nothing changed: nothing comes, and the cursor handed back still works. */
  nothing = fetch_feed (sb, "", ACME_KEY, ACME, NULL, c1, 200, &c2);
  g_assert_cmpuint (nothing->len, ==, 0);

  /* New records: only they come. */
  luma_test_sandbox_add_records (sb, ACME, 25);
  added = fetch_feed (sb, "", ACME_KEY, ACME, NULL, c2, 200, &c3);
  g_assert_cmpuint (added->len, ==, 25);
  for (guint i = 0; i < added->len; i++)
    g_assert_false (g_hash_table_contains (first_index,
                                           get_str (g_ptr_array_index (added, i), "sessionId")));
  g_hash_table_unref (index_by_id (added, "sessionId"));

  /* Touched records: the oldest in the change sequence come again, once, one more
   * conversation each. */
  luma_test_sandbox_touch_records (sb, ACME, 10);
  touched = fetch_feed (sb, "", ACME_KEY, ACME, NULL, c3, 200, &c4);
  g_assert_cmpuint (touched->len, ==, 10);
  g_hash_table_unref (index_by_id (touched, "sessionId"));
  for (guint i = 0; i < touched->len; i++)
    {
      JsonObject *now = g_ptr_array_index (touched, i);
      JsonObject *before = g_hash_table_lookup (first_index, get_str (now, "sessionId"));
      gboolean among_oldest = FALSE;

      g_assert_nonnull (before);
      g_assert_cmpint (get_int (now, "conversations"), ==, get_int (before, "conversations") + 1);
      g_assert_cmpstr (get_str (now, "startedOn"), ==, get_str (before, "startedOn"));
      for (guint j = 0; j < 10; j++)
        among_oldest |= g_str_equal (get_str (g_ptr_array_index (first, j), "sessionId"),
                                     get_str (now, "sessionId"));
      g_assert_true (among_oldest);
    }

  /* The same cursor again gives the same answer: cursors are valid forever. */
  touched_again = fetch_feed (sb, "", ACME_KEY, ACME, NULL, c3, 200, NULL);
  g_assert_cmpuint (touched_again->len, ==, 10);

  /* From the first cursor: the added and the touched ones, each once. */
  since_first = fetch_feed (sb, "", ACME_KEY, ACME, NULL, c1, 7, NULL);
  g_assert_cmpuint (since_first->len, ==, 35);
  since_index = index_by_id (since_first, "sessionId");

  /* From the beginning: every record once, the touched ones last. */
  everything = fetch_feed (sb, "", ACME_KEY, ACME, NULL, NULL, 1000, NULL);
  g_assert_cmpuint (everything->len, ==, 525);
  g_hash_table_unref (index_by_id (everything, "sessionId"));
  for (guint i = 0; i < 10; i++)
    g_assert_cmpstr (get_str (g_ptr_array_index (everything, 515 + i), "sessionId"), ==,
                     get_str (g_ptr_array_index (touched, i), "sessionId"));

  /* A client that upserts what it got ends with the sandbox's state. */
  for (guint i = 0; i < first->len; i++)
    g_hash_table_insert (state, (gpointer) get_str (g_ptr_array_index (first, i), "sessionId"),
                         g_ptr_array_index (first, i));
  for (guint i = 0; i < since_first->len; i++)
    g_hash_table_insert (state,
                         (gpointer) get_str (g_ptr_array_index (since_first, i), "sessionId"),
                         g_ptr_array_index (since_first, i));
  g_hash_table_iter_init (&iter, state);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (state_items, value);
  checksum = luma_test_sandbox_get_checksum (sb, ACME, &records, NULL);
  g_assert_cmpint (records, ==, 525);
  ours = luma_test_checksum_items (state_items, "SESSION");
  g_assert_cmpstr (ours, ==, checksum);
}

static void
test_feed_incremental_user (void)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", BETA, "--api-key", BETA_KEY, "--license-model", "user",
                             "--licenses", "1000", "--seed", "60", NULL);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) touched = NULL;
  g_autoptr(GHashTable) first_index = NULL;
  g_autoptr(LumaTestResponse) before_r = NULL;
  g_autoptr(LumaTestResponse) after_r = NULL;
  g_autofree char *c1 = NULL;
  JsonObject *before_sub = get_subscription (sb, BETA_KEY, BETA, &before_r);
  JsonObject *after_sub;
  guint flipped = 0;
  gint64 delta = 0;

  first = fetch_feed (sb, "", BETA_KEY, BETA, NULL, NULL, 1000, &c1);
  first_index = index_by_id (first, "userId");

  luma_test_sandbox_touch_records (sb, BETA, 4);
  touched = fetch_feed (sb, "", BETA_KEY, BETA, NULL, c1, 1000, NULL);
  g_assert_cmpuint (touched->len, ==, 4);
  for (guint i = 0; i < touched->len; i++)
    {
      JsonObject *now = g_ptr_array_index (touched, i);
      JsonObject *before = g_hash_table_lookup (first_index, get_str (now, "userId"));
      gboolean was_active, is_active;

      g_assert_nonnull (before);
      g_assert_cmpint (get_int (now, "conversations"), ==, get_int (before, "conversations") + 1);
      was_active = g_str_equal (get_str (before, "status"), "ACTIVE");
      is_active = g_str_equal (get_str (now, "status"), "ACTIVE");
      if (was_active != is_active)
        {
          flipped++;
          delta += is_active ? 1 : -1;
        }
    }
  /* Every second touched user flips. */
  g_assert_cmpuint (flipped, ==, 2);

  after_sub = get_subscription (sb, BETA_KEY, BETA, &after_r);
  g_assert_cmpint (get_int (after_sub, "consumed"), ==, get_int (before_sub, "consumed") + delta);
}

static void
test_feed_invalid (void)
{
  g_autoptr(LumaTestSandbox) sb =
    luma_test_sandbox_start ("--tenant", ACME, "--api-key", ACME_KEY, "--seed", "30",
                             "--tenant", BETA, "--api-key", BETA_KEY, "--seed", "30", NULL);
  g_autoptr(LumaTestResponse) beta_page = tenant_get (sb, "/subscription/consumption?limit=5",
                                                      BETA_KEY, BETA);
  g_autoptr(LumaTestResponse) acme_page = tenant_get (sb, "/subscription/consumption?limit=5",
                                                      ACME_KEY, ACME);
  g_autofree char *beta_cursor = NULL;
  g_autofree char *acme_cursor = NULL;
  const char *bad_cursors[] = { "not a cursor", "djE6", "AAAA", "%00", "-1", "djE6NDgyMTM" };
  const char *bad_limits[] = { "0", "1001", "-1", "abc", "1.5", "10x", "99999999999999999999" };

  luma_test_assert_response (beta_page, 200, NULL);
  luma_test_assert_response (acme_page, 200, NULL);
  beta_cursor = g_uri_escape_string (get_str (luma_test_response_get_result (beta_page),
                                              "nextCursor"), NULL, TRUE);
  acme_cursor = g_uri_escape_string (get_str (luma_test_response_get_result (acme_page),
                                              "nextCursor"), NULL, TRUE);

  {
    /* Another tenant's cursor, even at the same position. */
    g_autofree char *path = g_strdup_printf ("/subscription/consumption?cursor=%s", beta_cursor);
    g_autoptr(LumaTestResponse) r = tenant_get (sb, path, ACME_KEY, ACME);

    luma_test_assert_response (r, 400, "INVALID_CURSOR");
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad_cursors); i++)
    {
      g_autofree char *escaped = g_uri_escape_string (bad_cursors[i], NULL, TRUE);
      g_autofree char *path = g_strdup_printf ("/subscription/consumption?cursor=%s", escaped);
      g_autoptr(LumaTestResponse) r = tenant_get (sb, path, ACME_KEY, ACME);

      /* Skip a string that happens to be this tenant's own valid cursor. */
      if (g_strcmp0 (escaped, acme_cursor) == 0)
        continue;
      g_test_message ("cursor %s", bad_cursors[i]);
      luma_test_assert_response (r, 400, "INVALID_CURSOR");
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad_limits); i++)
    {
      g_autofree char *path = g_strdup_printf ("/subscription/consumption?limit=%s",
                                               bad_limits[i]);
      g_autoptr(LumaTestResponse) r = tenant_get (sb, path, ACME_KEY, ACME);

      g_test_message ("limit %s", bad_limits[i]);
      luma_test_assert_response (r, 400, "INVALID_PARAMETER");
      g_assert_cmpstr (luma_test_response_get_error_field (r, 0), ==, "limit");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/contract/feed/paging", test_feed_paging);
  g_test_add_func ("/contract/feed/default-limit", test_feed_default_limit);
  g_test_add_func ("/contract/feed/incremental-session", test_feed_incremental_session);
  g_test_add_func ("/contract/feed/incremental-user", test_feed_incremental_user);
  g_test_add_func ("/contract/feed/invalid", test_feed_invalid);

  return g_test_run ();
}
