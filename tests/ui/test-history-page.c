/* test-history-page.c: the history page as a person meets it, against the SQL of the cache
 *
 * A real LumaHistoryPage in a 1000x720 window under Xvfb, fed by its own sync of a sandbox
 * tenant into a cache of each test's own, in New York time (daylight saving time changes on 8 March and 1 November 2026, both
 * inside the tenant's term). What the page shows is compared with the cache's SQLite file,
 * read here with SQL of its own:
 *
 * - after a first sync of 40,000 records (two commits) the first visible row is the newest
 *   session; after each sort it is the first row of that order; a sync that adds 500 newer
 *   records while the view is at the top shows them at the top, and one while the view is
 *   further down keeps the same rows (and the selection) in view;
 * - typed days (ISO 8601 and the locale's format) and the periods give exactly the records of
 *   those local calendar days, as SQLite's own localtime reads them; a day that cannot be read
 *   is said so in words;
 * - the role filter (sessions and users) and the status filter equal SQL, also when set by a
 *   filter from the breakdown;
 * - during a held first sync the page says it is loading, counts what has arrived, and
 *   Download asks before writing a partial report.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "luma-api-client.h"
#include "luma-conversation-window.h"
#include "luma-format.h"
#include "luma-history-page-private.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"

#define BIG        "big"
#define BIG_KEY    "big-key-ui"
#define BIG_SEED   40000
#define PEOPLE     "people"
#define PEOPLE_KEY "people-key-ui"
#define HELD       "held"
#define HELD_KEY   "held-key-ui"

static LumaTestSandbox *sandbox;

/* ---- A page with a sync of its own ------------------------------------------------------------ */

typedef struct
{
  GtkWindow       *window;
  LumaHistoryPage *page;
  LumaCache       *cache;
  LumaSync        *sync;
  GSettings       *settings;
  char            *path;
} Fixture;

static void
fixture_open (Fixture    *f,
              const char *tenant,
              const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaApiClient) client = luma_api_client_new (luma_test_sandbox_get_url (sandbox), &error);

  g_assert_no_error (error);
  luma_api_client_set_tenant_credentials (client, tenant, key);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  f->path = g_build_filename (g_get_user_cache_dir (), tenant, NULL);
  f->cache = luma_cache_open_path (f->path, NULL, &error);
  g_assert_no_error (error);
  f->sync = luma_sync_new (client, f->cache);
  f->settings = g_settings_new ("io.github.lumadesk.Subscription");

  f->page = g_object_new (LUMA_TYPE_HISTORY_PAGE, NULL);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1000, 720);
  gtk_window_set_child (f->window, GTK_WIDGET (f->page));
  luma_history_page_set_settings (f->page, f->settings);
  luma_history_page_set_context (f->page, f->cache, f->sync);
  gtk_window_present (f->window);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, f->page, 30));
}

static void
fixture_close (Fixture *f)
{
  gtk_window_destroy (f->window);
  luma_ui_test_flush ();
  g_clear_object (&f->sync);
  luma_cache_close (f->cache);
  g_clear_object (&f->cache);
  g_clear_object (&f->settings);
  g_clear_pointer (&f->path, g_free);
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = luma_sync_run_finish (LUMA_SYNC (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_assert_no_error (error);
  *done = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
run_sync (Fixture *f)
{
  gboolean done = FALSE;

  luma_sync_run_async (f->sync, NULL, sync_done_cb, &done);
  g_assert_true (luma_ui_test_wait (flag_set, &done, 120));
}

static gboolean
page_idle (gpointer data)
{
  LumaHistoryPage *page = data;

  return !luma_history_page_get_busy (page) && luma_history_page_get_query (page) != NULL;
}

/* Lets the page finish its query and GTK lay the rows out. */
static void
settle (Fixture *f)
{
  g_assert_true (luma_ui_test_wait (page_idle, f->page, 60));
  luma_ui_test_flush ();
  g_assert_true (luma_ui_test_wait (page_idle, f->page, 60));
  luma_ui_test_flush ();
}

/* ---- What the window shows -------------------------------------------------------------------- */

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

static GtkWidget *
list_of (Fixture *f)
{
  GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (luma_history_page_get_view (f->page)),
                                                  GTK_TYPE_LIST_VIEW);

  g_assert_nonnull (list);
  return list;
}

/* The id in the first cell of the highest row a person sees whole (or mostly). */
static char *
first_visible_id (Fixture *f)
{
  GtkWidget *list = list_of (f);
  GtkWidget *best = NULL;
  float best_y = G_MAXFLOAT;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_point_t p;

      if (!gtk_widget_get_mapped (row) || first_inscription_text (row) == NULL)
        continue;
      g_assert_true (gtk_widget_compute_point (row, list, &GRAPHENE_POINT_INIT (0, 0), &p));
      if (p.y + gtk_widget_get_height (row) / 2.0 < 0 || p.y >= gtk_widget_get_height (list))
        continue;
      if (p.y < best_y)
        {
          best_y = p.y;
          best = row;
        }
    }

  g_assert_nonnull (best);
  return g_strdup (first_inscription_text (best));
}

/* Whether the row of @id is on screen. */
static gboolean
row_visible (Fixture    *f,
             const char *id)
{
  GtkWidget *list = list_of (f);

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_point_t p;

      if (!gtk_widget_get_mapped (row) || g_strcmp0 (first_inscription_text (row), id) != 0)
        continue;
      g_assert_true (gtk_widget_compute_point (row, list, &GRAPHENE_POINT_INIT (0, 0), &p));
      return p.y >= 0 && p.y + gtk_widget_get_height (row) <= gtk_widget_get_height (list);
    }
  return FALSE;
}

static GtkAdjustment *
vadjustment (Fixture *f)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (luma_history_page_get_view (f->page)),
                                                 GTK_TYPE_SCROLLED_WINDOW);

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
}

/* ---- The cache, read with SQL of its own ------------------------------------------------------ */

static sqlite3 *
open_db (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

/* The row ids @sql selects (one column), in its order. */
static GArray *
sql_ids (Fixture    *f,
         const char *sql)
{
  sqlite3 *db = open_db (f);
  sqlite3_stmt *stmt = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ids;
}

static char *
sql_text (Fixture    *f,
          const char *sql)
{
  sqlite3 *db = open_db (f);
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

/* The page's rows are exactly @expected, in order. */
static void
assert_rows (Fixture *f,
             GArray  *expected)
{
  LumaHistoryModel *model = luma_history_page_get_model (f->page);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpint (luma_history_model_get_row_id (model, i), ==, g_array_index (expected, gint64, i));
}

#define SESSION_ORDER " ORDER BY started_on DESC, id DESC"
#define USER_ORDER    " ORDER BY created_on DESC, id DESC"

/* ---- First sync, sorts, and syncs that add rows ---------------------------------------------- */

typedef struct
{
  LumaHistoryColumn column;
  const char       *sql;
} SortCase;

static const SortCase session_sorts[] = {
  { LUMA_HISTORY_COLUMN_TIME, "started_on" },
  { LUMA_HISTORY_COLUMN_ID, "session_id" },
  { LUMA_HISTORY_COLUMN_INITIATED_BY, "initiated_by" },
  { LUMA_HISTORY_COLUMN_USER_NAME, "user_name" },
  { LUMA_HISTORY_COLUMN_EMAIL, "email" },
  { LUMA_HISTORY_COLUMN_ROLE, "role" },
  { LUMA_HISTORY_COLUMN_AGENT_NAME, "agent_name" },
  { LUMA_HISTORY_COLUMN_CHANNEL, "channel" },
  { LUMA_HISTORY_COLUMN_CONVERSATIONS, "conversations" },
};

static void
test_scroll_position (void)
{
  Fixture f = { 0 };
  g_autofree char *newest = NULL;
  g_autofree char *shown = NULL;

  fixture_open (&f, BIG, BIG_KEY);

  /* The first sync commits twice (20,000 rows each): the newest session at the top. */
  run_sync (&f);
  settle (&f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f.page))),
                    ==, BIG_SEED);
  newest = sql_text (&f, "SELECT session_id FROM sessions" SESSION_ORDER " LIMIT 1");
  shown = first_visible_id (&f);
  g_assert_cmpstr (shown, ==, newest);
  {
    g_autofree char *count = luma_format_count (BIG_SEED);
    g_autofree char *text = g_strdup_printf ("%s records", count);

    g_assert_cmpstr (luma_history_page_get_count_text (f.page), ==, text);
  }

  /* Every sort, both ways, from far down the list: the first row of the SQL order on top. */
  for (guint i = 0; i < G_N_ELEMENTS (session_sorts); i++)
    for (int descending = 0; descending <= 1; descending++)
      {
        const char *dir = descending ? "DESC" : "ASC";
        g_autofree char *sql = g_strdup_printf ("SELECT session_id FROM sessions ORDER BY %s %s,"
                                                " started_on %s, id %s LIMIT 1",
                                                session_sorts[i].sql, dir, dir, dir);
        g_autofree char *first = sql_text (&f, sql);
        g_autofree char *top = NULL;
        GtkAdjustment *adj = vadjustment (&f);

        gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
        luma_ui_test_flush ();
        luma_history_page_sort_by (f.page, session_sorts[i].column, descending);
        settle (&f);
        top = first_visible_id (&f);
        g_test_message ("sort by %s %s: %s", session_sorts[i].sql, dir, top);
        g_assert_cmpstr (top, ==, first);
      }

  /* Newest first again, at the top: 500 newer records come in at the top. */
  luma_history_page_sort_by (f.page, LUMA_HISTORY_COLUMN_TIME, TRUE);
  settle (&f);
  luma_test_sandbox_add_records (sandbox, BIG, 500);
  run_sync (&f);
  settle (&f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f.page))),
                    ==, BIG_SEED + 500);
  g_clear_pointer (&newest, g_free);
  g_clear_pointer (&shown, g_free);
  newest = sql_text (&f, "SELECT session_id FROM sessions" SESSION_ORDER " LIMIT 1");
  shown = first_visible_id (&f);
  g_assert_cmpstr (shown, ==, newest);

  /* Further down, the rows in view stay in view... */
  {
    GtkAdjustment *adj = vadjustment (&f);
    double row_h = gtk_adjustment_get_upper (adj) / (BIG_SEED + 500);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gtk_adjustment_set_value (adj, 1000 * row_h);
    luma_ui_test_flush ();
    before = first_visible_id (&f);
    luma_test_sandbox_add_records (sandbox, BIG, 500);
    run_sync (&f);
    settle (&f);
    after = first_visible_id (&f);
    g_assert_cmpstr (after, ==, before);
  }

  /* ... and so does the selected row. */
  {
    GtkSelectionModel *selection = gtk_column_view_get_model (luma_history_page_get_view (f.page));
    GtkAdjustment *adj = vadjustment (&f);
    double row_h = gtk_adjustment_get_upper (adj) / (BIG_SEED + 1000);
    guint top = (guint) (gtk_adjustment_get_value (adj) / row_h + 0.5);
    g_autoptr(LumaHistoryItem) item = NULL;
    g_autofree char *chosen = NULL;

    gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (selection), top + 3);
    item = g_object_ref (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection)));
    chosen = g_strdup (luma_history_item_get_record_id (item));
    luma_ui_test_flush ();
    g_assert_true (row_visible (&f, chosen));
    luma_test_sandbox_add_records (sandbox, BIG, 500);
    run_sync (&f);
    settle (&f);
    g_assert_true (row_visible (&f, chosen));
    g_assert_cmpstr (luma_history_item_get_record_id (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection))),
                     ==, chosen);
  }

  /* The sort is remembered for this license model. */
  luma_history_page_sort_by (f.page, LUMA_HISTORY_COLUMN_EMAIL, FALSE);
  settle (&f);
  {
    g_autoptr(GSettings) child = g_settings_get_child (f.settings, "history-session");
    g_autofree char *column = g_settings_get_string (child, "sort-column");

    g_assert_cmpstr (column, ==, "email");
    g_assert_false (g_settings_get_boolean (child, "sort-descending"));
  }
  luma_history_page_sort_by (f.page, LUMA_HISTORY_COLUMN_TIME, TRUE);
  settle (&f);

  fixture_close (&f);
}

/* ---- Days of the local calendar --------------------------------------------------------------- */

/* The sessions of the local days @from to @to (YYYY-MM-DD), newest first, as SQLite's
 * localtime (the C library's, under the same TZ) reads them. */
static GArray *
sessions_of_days (Fixture    *f,
                  const char *from,
                  const char *to)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id FROM sessions WHERE"
                                          " date(started_on, 'unixepoch', 'localtime')"
                                          " BETWEEN '%s' AND '%s'" SESSION_ORDER, from, to);

  return sql_ids (f, sql);
}

static char *
iso_day (const GDate *day)
{
  return g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (day), g_date_get_month (day),
                          g_date_get_day (day));
}

static void
set_dates (Fixture    *f,
           const char *from,
           const char *to)
{
  luma_history_page_set_dates (f->page, from, to);
  settle (f);
}

static void
test_local_days (void)
{
  Fixture f = { 0 };
  g_autoptr(GArray) expected = NULL;
  g_autoptr(GArray) all = NULL;
  GDate from, to, today;

  /* The zone the page's days are checked in; the test sets it itself. */
  g_assert_cmpstr (g_getenv ("TZ"), ==, "America/New_York");

  fixture_open (&f, BIG, BIG_KEY);
  run_sync (&f);
  settle (&f);
  all = sql_ids (&f, "SELECT id FROM sessions" SESSION_ORDER);
  assert_rows (&f, all);

  /* ISO 8601, across the end of daylight saving time (1 November) */
  set_dates (&f, "2026-10-30", "2026-11-03");
  expected = sessions_of_days (&f, "2026-10-30", "2026-11-03");
  g_assert_cmpuint (expected->len, >, 0);
  assert_rows (&f, expected);
  g_assert_null (luma_history_page_get_date_message (f.page));
  g_clear_pointer (&expected, g_array_unref);

  /* One day, the day the clocks go back */
  set_dates (&f, "2026-11-01", "2026-11-01");
  expected = sessions_of_days (&f, "2026-11-01", "2026-11-01");
  assert_rows (&f, expected);
  g_clear_pointer (&expected, g_array_unref);

  /* The locale's own format, across the start of daylight saving time (8 March) */
  {
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    g_date_clear (&from, 1);
    g_date_clear (&to, 1);
    g_date_set_dmy (&from, 6, 3, 2026);
    g_date_set_dmy (&to, 9, 3, 2026);
    a = luma_format_calendar_day (&from);
    b = luma_format_calendar_day (&to);
    g_test_message ("typed %s to %s", a, b);
    set_dates (&f, a, b);
    expected = sessions_of_days (&f, "2026-03-06", "2026-03-09");
    g_assert_cmpuint (expected->len, >, 0);
    assert_rows (&f, expected);
    g_clear_pointer (&expected, g_array_unref);
  }

  /* A day that cannot be read: said in words, and the rows stay */
  set_dates (&f, "2026-02-30", "2026-03-09");
  g_assert_nonnull (luma_history_page_get_date_message (f.page));
  g_assert_true (strstr (luma_history_page_get_date_message (f.page), "2026-02-30") != NULL);
  expected = sessions_of_days (&f, "2026-03-06", "2026-03-09");
  assert_rows (&f, expected);
  g_clear_pointer (&expected, g_array_unref);

  /* The periods */
  luma_local_today (&today);
  for (guint days = 7; days <= 90; days = days == 7 ? 30 : days == 30 ? 90 : 91)
    {
      g_autofree char *target = g_strdup_printf ("last-%u", days);
      g_autofree char *a = NULL;
      g_autofree char *b = iso_day (&today);

      from = today;
      g_date_subtract_days (&from, days - 1);
      a = iso_day (&from);
      gtk_widget_activate_action (GTK_WIDGET (f.page), "history.period", "s", target);
      settle (&f);
      g_assert_null (luma_history_page_get_date_message (f.page));
      expected = sessions_of_days (&f, a, b);
      g_test_message ("%s: %s to %s, %u records", target, a, b, expected->len);
      g_assert_cmpuint (expected->len, >, 0);
      assert_rows (&f, expected);
      g_clear_pointer (&expected, g_array_unref);
    }

  /* This term (the sandbox's default: the calendar year) and the one before */
  gtk_widget_activate_action (GTK_WIDGET (f.page), "history.period", "s", "term");
  settle (&f);
  expected = sessions_of_days (&f, "2026-01-01", "2026-12-31");
  assert_rows (&f, expected);
  g_clear_pointer (&expected, g_array_unref);
  gtk_widget_activate_action (GTK_WIDGET (f.page), "history.period", "s", "previous-term");
  settle (&f);
  {
    const char *a, *b;
    GDate d;

    luma_history_page_get_dates (f.page, &a, &b);
    g_assert_true (luma_parse_day (a, &d));
    g_assert_cmpint (g_date_get_year (&d), ==, 2025);
    g_assert_cmpint (g_date_get_month (&d), ==, 1);
    g_assert_cmpint (g_date_get_day (&d), ==, 1);
    g_assert_true (luma_parse_day (b, &d));
    g_assert_cmpint (g_date_get_year (&d), ==, 2025);
    g_assert_cmpint (g_date_get_month (&d), ==, 12);
    g_assert_cmpint (g_date_get_day (&d), ==, 31);
  }
  /* Local days: the first hours (UTC) of this term were still 2025 in New York */
  expected = sessions_of_days (&f, "2025-01-01", "2025-12-31");
  assert_rows (&f, expected);
  g_clear_pointer (&expected, g_array_unref);

  /* Clear Filters: everything again */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.page), "history.clear-filters", NULL));
  settle (&f);
  g_clear_pointer (&all, g_array_unref);
  all = sql_ids (&f, "SELECT id FROM sessions" SESSION_ORDER);
  assert_rows (&f, all);

  fixture_close (&f);
}

/* ---- Role and status -------------------------------------------------------------------------- */

static void
assert_filter (Fixture    *f,
               const char *filter,
               guint       position,
               const char *sql)
{
  g_autoptr(GArray) expected = sql_ids (f, sql);
  GtkDropDown *dropdown = luma_history_page_get_filter (f->page, filter);
  GtkStringObject *item = NULL;

  luma_history_page_select_filter (f->page, filter, position);
  settle (f);
  g_test_message ("%s %u: %u records", filter, position, expected->len);
  assert_rows (f, expected);

  /* The button says what it filters, not just "Admin" */
  item = gtk_drop_down_get_selected_item (dropdown);
  g_assert_nonnull (item);
  if (g_strcmp0 (filter, "role") == 0 && position > 0)
    g_assert_cmpstr (gtk_string_object_get_string (item), !=, luma_role_to_display (position - 1));
  if (g_strcmp0 (filter, "status") == 0 && position > 0)
    g_assert_cmpstr (gtk_string_object_get_string (item), !=, luma_user_status_to_display (position - 1));
}

/* What the breakdown's bars filter by (@role: -1 for none, @status: -1 for none), the
 * other filters cleared: the rows of @sql, the role filter showing the role. */
static void
assert_applied (Fixture    *f,
                gint32      role,
                gint32      status,
                const char *sql)
{
  g_autoptr(GArray) expected = sql_ids (f, sql);
  g_autoptr(GVariant) filter = NULL;
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (role >= 0)
    g_variant_dict_insert (&dict, "role", "i", role);
  if (status >= 0)
    g_variant_dict_insert (&dict, "status", "i", status);
  filter = g_variant_ref_sink (g_variant_dict_end (&dict));
  luma_history_page_apply_filter (f->page, filter);
  settle (f);
  g_test_message ("filter role %d, status %d: %u records", role, status, expected->len);
  assert_rows (f, expected);
  g_assert_cmpuint (gtk_drop_down_get_selected (luma_history_page_get_filter (f->page, "role")), ==,
                    (guint) (role + 1));
  g_assert_null (luma_history_page_get_date_message (f->page));
}

static void
test_role_and_status (void)
{
  Fixture f = { 0 };

  /* Sessions: by role */
  fixture_open (&f, BIG, BIG_KEY);
  run_sync (&f);
  settle (&f);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (luma_history_page_get_filter (f.page, "role"))));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (luma_history_page_get_filter (f.page, "status"))));
  for (guint r = 0; r < LUMA_N_ROLES; r++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT id FROM sessions WHERE role = %u" SESSION_ORDER, r);

      assert_filter (&f, "role", r + 1, sql);
      g_assert_true (g_str_has_suffix (luma_history_page_get_count_text (f.page), " records"));
      g_assert_nonnull (strstr (luma_history_page_get_count_text (f.page), " of "));
    }
  assert_filter (&f, "role", 0, "SELECT id FROM sessions" SESSION_ORDER);

  /* A filter from the breakdown replaces the role chosen and a day that could not be read */
  assert_filter (&f, "role", LUMA_ROLE_GUEST + 1, "SELECT id FROM sessions WHERE role = 4" SESSION_ORDER);
  set_dates (&f, "2026-02-30", "");
  g_assert_nonnull (luma_history_page_get_date_message (f.page));
  assert_applied (&f, 1, -1, "SELECT id FROM sessions WHERE role = 1" SESSION_ORDER);
  assert_applied (&f, -1, -1, "SELECT id FROM sessions" SESSION_ORDER);
  fixture_close (&f);

  /* Users: by role, by status, and both */
  fixture_open (&f, PEOPLE, PEOPLE_KEY);
  run_sync (&f);
  settle (&f);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (luma_history_page_get_filter (f.page, "status"))));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (luma_history_page_get_filter (f.page, "channel"))));
  for (guint r = 0; r < LUMA_N_ROLES; r++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT id FROM users WHERE role = %u" USER_ORDER, r);

      assert_filter (&f, "role", r + 1, sql);
    }
  assert_filter (&f, "role", 0, "SELECT id FROM users" USER_ORDER);
  for (guint s = 0; s < 2; s++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT id FROM users WHERE status = %u" USER_ORDER, s);

      assert_filter (&f, "status", s + 1, sql);
    }
  assert_filter (&f, "role", LUMA_ROLE_GUEST + 1,
                 "SELECT id FROM users WHERE status = 1 AND role = 4" USER_ORDER);
  /* The breakdown of a user-based tenant: active users of each role */
  for (guint r = 0; r < LUMA_N_ROLES; r++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT id FROM users WHERE status = %d AND role = %u" USER_ORDER,
                                              LUMA_USER_STATUS_ACTIVE, r);

      assert_applied (&f, (gint32) r, LUMA_USER_STATUS_ACTIVE, sql);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.page), "history.clear-filters", NULL));
  settle (&f);
  {
    g_autoptr(GArray) all = sql_ids (&f, "SELECT id FROM users" USER_ORDER);

    assert_rows (&f, all);
  }
  fixture_close (&f);
}

/* ---- A held first sync ------------------------------------------------------------------------ */

static gboolean
answer_held (gpointer data)
{
  return luma_test_sandbox_faults_used_up (sandbox);
}

typedef struct
{
  gboolean armed;
  gint64   after;
} Hold;

static void
done_cb (LumaSync   *sync,
         GParamSpec *pspec,
         Hold       *hold)
{
  if (hold->armed || luma_sync_get_done (sync) < hold->after)
    return;
  hold->armed = TRUE;
  luma_test_sandbox_hold_next_answer (sandbox);
}

static gboolean
hold_armed_and_held (gpointer data)
{
  return ((Hold *) data)->armed && luma_test_sandbox_faults_used_up (sandbox);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  return (AdwMessageDialog *) luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static gboolean
message_dialog_shown (gpointer data)
{
  AdwMessageDialog *dialog = find_message_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static gboolean
no_message_dialog (gpointer data)
{
  return find_message_dialog () == NULL;
}

static gboolean
has_records (gpointer data)
{
  Fixture *f = data;

  return page_idle (f->page) &&
         g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f->page))) >= 2000;
}

static void
test_held_first_sync (void)
{
  Fixture f = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AdwStatusPage *status;
  AdwMessageDialog *dialog;
  gboolean done = FALSE;
  Hold hold = { FALSE, 2000 };
  gulong handler;

  fixture_open (&f, HELD, HELD_KEY);
  settle (&f);

  /* Nothing has arrived: the page says it is loading, not that the history is empty. */
  luma_test_sandbox_hold_next_answer (sandbox);
  luma_sync_run_async (f.sync, cancellable, sync_done_cb, &done);
  g_assert_true (luma_ui_test_wait (answer_held, NULL, 60));
  luma_ui_test_flush ();
  status = ADW_STATUS_PAGE (luma_ui_test_find_descendant (GTK_WIDGET (f.page), ADW_TYPE_STATUS_PAGE));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (status)));
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Loading the History…");
  g_assert_cmpstr (luma_history_page_get_count_text (f.page), ==, "0 records so far, syncing…");
  g_cancellable_cancel (cancellable);
  g_assert_true (luma_ui_test_wait (flag_set, &done, 60));

  /* Two batches in: counted as they arrive, the sync still running */
  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  luma_sync_set_page_limit (f.sync, 500);
  luma_sync_set_batch_rows (f.sync, 1000);
  handler = g_signal_connect (f.sync, "notify::done", G_CALLBACK (done_cb), &hold);
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  done = FALSE;
  luma_sync_run_async (f.sync, cancellable, sync_done_cb, &done);
  g_assert_true (luma_ui_test_wait (hold_armed_and_held, &hold, 60));
  g_signal_handler_disconnect (f.sync, handler);
  g_assert_true (luma_ui_test_wait (has_records, &f, 60));
  luma_ui_test_flush ();
  g_assert_true (luma_sync_get_running (f.sync));
  {
    guint n = g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f.page)));
    g_autofree char *count = luma_format_count (n);
    g_autofree char *text = g_strdup_printf ("%s records so far, syncing…", count);

    g_assert_cmpstr (luma_history_page_get_count_text (f.page), ==, text);
  }

  /* Download asks first: Wait writes nothing. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.page), "history.download", NULL));
  g_assert_true (luma_ui_test_wait (message_dialog_shown, NULL, 30));
  dialog = find_message_dialog ();
  g_assert_true (adw_message_dialog_has_response (dialog, "anyway"));
  g_assert_true (adw_message_dialog_has_response (dialog, "wait"));
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "wait");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The History Is Not Complete Yet");
  adw_message_dialog_response (dialog, "wait");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (luma_ui_test_wait (no_message_dialog, NULL, 30));
  g_assert_false (luma_history_page_get_downloading (f.page));

  /* Stopped before the end: still incomplete, and still said so */
  g_cancellable_cancel (cancellable);
  g_assert_true (luma_ui_test_wait (flag_set, &done, 60));
  luma_test_sandbox_set_faults (sandbox, "{\"faults\": []}");
  luma_ui_test_flush ();
  g_assert_nonnull (strstr (luma_history_page_get_count_text (f.page), "so far, not synced to the end"));

  /* Synced to the end: a plain count, and Download asks the usual question */
  run_sync (&f);
  settle (&f);
  g_assert_null (strstr (luma_history_page_get_count_text (f.page), "so far"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.page), "history.download", NULL));
  g_assert_true (luma_ui_test_wait (message_dialog_shown, NULL, 30));
  dialog = find_message_dialog ();
  g_assert_false (adw_message_dialog_has_response (dialog, "anyway"));
  g_assert_true (adw_message_dialog_has_response (dialog, "download"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (luma_ui_test_wait (no_message_dialog, NULL, 30));

  fixture_close (&f);
}

/* ---- Keyboard --------------------------------------------------------------------------------- */

static void
test_keyboard (void)
{
  Fixture f = { 0 };
  GtkWidget *focus;
  GtkWidget *search;

  fixture_open (&f, PEOPLE, PEOPLE_KEY);
  run_sync (&f);
  settle (&f);

  /* Escape in the search clears it */
  luma_history_page_focus_search (f.page);
  focus = gtk_root_get_focus (GTK_ROOT (f.window));
  search = gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (search);
  luma_history_page_set_search (f.page, "zzz-nothing");
  settle (&f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f.page))), ==, 0);
  g_signal_emit_by_name (search, "stop-search");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, "");
  luma_ui_test_wait (page_idle, f.page, 30);
  g_usleep (300 * 1000);  /* the search entry's delay */
  luma_ui_test_flush ();
  settle (&f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (luma_history_page_get_model (f.page))), >, 0);

  /* Activating a row (Enter, a double click) opens its conversations */
  {
    LumaHistoryModel *model = luma_history_page_get_model (f.page);
    guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
    guint position = G_MAXUINT;
    GtkWindow *conversations;

    for (guint i = 0; i < n && position == G_MAXUINT; i++)
      {
        g_autoptr(LumaHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

        if (luma_history_item_get_conversations (item) > 0)
          position = i;
      }
    g_assert_cmpuint (position, !=, G_MAXUINT);
    g_assert_null (luma_ui_test_find_toplevel (LUMA_TYPE_CONVERSATION_WINDOW));
    g_signal_emit_by_name (luma_history_page_get_view (f.page), "activate", position);
    conversations = luma_ui_test_find_toplevel (LUMA_TYPE_CONVERSATION_WINDOW);
    g_assert_nonnull (conversations);
    g_assert_true (gtk_window_get_transient_for (conversations) == f.window);
    gtk_window_destroy (conversations);
    luma_ui_test_flush ();
  }

  /* Shown again, the keyboard is on the search (Tab goes on to the filters and the rows) */
  gtk_widget_set_visible (GTK_WIDGET (f.page), FALSE);
  gtk_window_set_focus (f.window, NULL);
  gtk_widget_set_visible (GTK_WIDGET (f.page), TRUE);
  luma_ui_test_flush ();
  focus = gtk_root_get_focus (GTK_ROOT (f.window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) == search);

  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LumaApplication) app = NULL;
  int status;

  /* Days of a zone with daylight saving time, whatever zone the suite runs in. */
  g_setenv ("TZ", "America/New_York", TRUE);
  tzset ();
  luma_ui_test_init (&argc, &argv);
  /* Its start-up registers the resources and the style sheet. */
  app = luma_ui_test_get_application ();

  sandbox = luma_test_sandbox_start ("--tenant", BIG,
                                     "--api-key", BIG_KEY,
                                     "--license-model", "session",
                                     "--licenses", "100000",
                                     "--seed", G_STRINGIFY (BIG_SEED),
                                     "--tenant", PEOPLE,
                                     "--api-key", PEOPLE_KEY,
                                     "--license-model", "user",
                                     "--licenses", "2000",
                                     "--seed", "600",
                                     "--tenant", HELD,
                                     "--api-key", HELD_KEY,
                                     "--license-model", "session",
                                     "--licenses", "10000",
                                     "--seed", "5000",
                                     "--latency", "5",
                                     "--slow-ms", "600000",
                                     NULL);

  g_test_add_func ("/ui/history-page/scroll-position", test_scroll_position);
  g_test_add_func ("/ui/history-page/local-days", test_local_days);
  g_test_add_func ("/ui/history-page/role-and-status", test_role_and_status);
  g_test_add_func ("/ui/history-page/held-first-sync", test_held_first_sync);
  g_test_add_func ("/ui/history-page/keyboard", test_keyboard);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
