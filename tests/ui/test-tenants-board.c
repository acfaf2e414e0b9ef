/* test-tenants-board.c: the superadmin's tenants board against 10,000 generated tenants
 *
 * The sandbox generates 10,000 tenants (--generate-tenants). The test reads them itself, page
 * by page over HTTP, and computes on its own what the board must show: each tenant's status
 * from the 75 % and 100 % thresholds in integer arithmetic, its days left at the average rate
 * of the term (a fresh cache holds no earlier sample), and the order by risk. The real window
 * signed in as a superadmin must show exactly that order; its status counts and the number of
 * tenants each filter shows must equal SQL over the superadmin's cache file as the app stored
 * it, and the sandbox's data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "luma-cache.h"
#include "luma-tenants-page-private.h"
#include "luma-test-sandbox.h"
#include "luma-format.h"
#include "luma-ui-test.h"
#include "luma-window.h"

#define N_TENANTS  10000
#define ROOT_USER  "root"
#define ROOT_PASS  "board-Pa55"

static LumaTestSandbox *sandbox;

typedef struct
{
  char   *external_id;
  char   *name_key;   /* name and id, case-folded */
  int     license;    /* 0 SESSION, 1 USER, as LumaLicenseType */
  int     status;     /* 0 OK, 1 near, 2 at or over */
  double  days;       /* negative: unknown */
  double  percent;
} Expected;

static void
expected_clear (Expected *e)
{
  g_free (e->external_id);
  g_free (e->name_key);
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

/* The rules, written again from docs and the issue rather than taken from the app. */
static void
expected_from_json (JsonObject *t,
                    gint64      now,
                    Expected   *e)
{
  gint64 total = json_object_get_int_member (t, "totalPurchase");
  gint64 consumed = json_object_get_int_member (t, "consumed");
  gint64 start = parse_time (json_object_get_string_member (t, "startDate"));
  gint64 end = parse_time (json_object_get_string_member (t, "endDate"));
  g_autofree char *key = g_strconcat (json_object_get_string_member (t, "tenantName"), "\n",
                                      json_object_get_string_member (t, "externalId"), NULL);

  e->external_id = g_strdup (json_object_get_string_member (t, "externalId"));
  e->name_key = g_utf8_casefold (key, -1);
  e->license = g_str_equal (json_object_get_string_member (t, "licenseType"), "USER") ? 1 : 0;
  if (total == 0)
    e->status = consumed > 0 ? 2 : 0;
  else
    e->status = consumed >= total ? 2 : consumed * 100 >= total * 75 ? 1 : 0;
  e->percent = total > 0 ? 100.0 * consumed / total : 0;
  if (now < start || now > end)
    e->days = -1;
  else if (consumed >= total)
    e->days = 0;
  else if (consumed <= 0)
    e->days = -1;
  else
    e->days = round ((double) (total - consumed) * (double) (now - start) / (double) consumed) / 86400.0;
}

static int
compare_expected (gconstpointer a,
                  gconstpointer b)
{
  const Expected *x = a;
  const Expected *y = b;

  if (x->status != y->status)
    return y->status - x->status;
  if ((x->days < 0) != (y->days < 0))
    return x->days < 0 ? 1 : -1;
  if (x->days != y->days)
    return x->days < y->days ? -1 : 1;
  return strcmp (x->external_id, y->external_id);
}

/* "Bearer TOKEN" of the superadmin. */
static char *
sandbox_auth (void)
{
  g_autofree char *login_url = g_strconcat (luma_test_sandbox_get_url (sandbox), "/platform/login", NULL);
  g_autoptr(LumaTestResponse) login = luma_test_request ("POST", login_url,
                                                         "{\"username\": \"" ROOT_USER "\", \"password\": \"" ROOT_PASS "\"}",
                                                         NULL, NULL);

  luma_test_assert_response (login, 200, NULL);
  return g_strdup_printf ("Bearer %s", json_object_get_string_member (luma_test_response_get_result (login), "token"));
}

/* Every tenant, as the sandbox lists them, in pages of 1,000. */
static GArray *
read_sandbox_tenants (gint64 now)
{
  g_autofree char *auth = sandbox_auth ();
  g_autofree char *cursor = NULL;
  GArray *all = g_array_new (FALSE, TRUE, sizeof (Expected));

  g_array_set_clear_func (all, (GDestroyNotify) expected_clear);
  do
    {
      g_autofree char *url = cursor != NULL
        ? g_strdup_printf ("%s/platform/tenants?limit=1000&cursor=%s", luma_test_sandbox_get_url (sandbox), cursor)
        : g_strdup_printf ("%s/platform/tenants?limit=1000", luma_test_sandbox_get_url (sandbox));
      const char *headers[] = { "Authorization", auth, NULL };
      g_autoptr(LumaTestResponse) r = luma_test_requestv ("GET", url, NULL, headers, 0);
      JsonObject *result;
      JsonArray *items;

      luma_test_assert_response (r, 200, NULL);
      result = luma_test_response_get_result (r);
      items = json_object_get_array_member (result, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          Expected e = { 0 };

          expected_from_json (json_array_get_object_element (items, i), now, &e);
          g_array_append_val (all, e);
        }
      g_clear_pointer (&cursor, g_free);
      if (json_object_get_boolean_member (result, "hasMore"))
        cursor = g_strdup (json_object_get_string_member (result, "nextCursor"));
    }
  while (cursor != NULL);
  return all;
}

/* A refill through the sandbox; its performedOn in unix seconds. */
static gint64
sandbox_refill (const char *id,
                gint64      change)
{
  g_autofree char *auth = sandbox_auth ();
  g_autofree char *url = g_strdup_printf ("%s/platform/tenants/%s/refills", luma_test_sandbox_get_url (sandbox), id);
  g_autofree char *body = g_strdup_printf ("{\"change\": %" G_GINT64_FORMAT ", \"reason\": \"Board test\"}", change);
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(LumaTestResponse) r = luma_test_request ("POST", url, body, "Authorization", auth,
                                                     "Idempotency-Key", key, NULL);
  JsonObject *purchase;

  luma_test_assert_response (r, 201, NULL);
  purchase = json_object_get_object_member (luma_test_response_get_result (r), "purchase");
  return parse_time (json_object_get_string_member (purchase, "performedOn"));
}

/* The text of a cell (the board's cells are GtkInscriptions). */
static const char *
cell_text (gpointer cell)
{
  return GTK_IS_INSCRIPTION (cell) ? gtk_inscription_get_text (cell) : gtk_label_get_label (cell);
}

static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (GTK_IS_LABEL (widget) || GTK_IS_INSCRIPTION (widget))
    g_ptr_array_add (labels, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

/* The cell of the last column (Last Refill) in the row on screen that shows @id. */
static GtkWidget *
refill_cell_of (LumaTenantsPage *tenants,
                const char      *id)
{
  GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (_luma_tenants_page_get_view (tenants)),
                                                  GTK_TYPE_LIST_VIEW);

  g_assert_nonnull (list);
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();
      gboolean ours = FALSE;

      if (!gtk_widget_get_mapped (row))
        continue;
      collect_labels (row, labels);
      for (guint i = 0; i < labels->len; i++)
        ours |= g_strcmp0 (cell_text (labels->pdata[i]), id) == 0;
      if (ours)
        return labels->pdata[labels->len - 1];
    }
  return NULL;
}

typedef struct
{
  LumaTenantsPage *tenants;
  const char      *id;
  GtkWidget       *cell;
} CellWait;

static gboolean
refill_cell_shown (gpointer data)
{
  CellWait *wait = data;

  wait->cell = refill_cell_of (wait->tenants, wait->id);
  return wait->cell != NULL;
}

/* Labels cut in the rows on screen, but for the tenant's name and id (a long name is cut
 * and its row keeps the whole in its id): "label (needs N px, has M)". */
static GPtrArray *
cut_cells (LumaTenantsPage *tenants)
{
  GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (_luma_tenants_page_get_view (tenants)),
                                                  GTK_TYPE_LIST_VIEW);
  GPtrArray *cut = g_ptr_array_new_with_free_func (g_free);

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      if (!gtk_widget_get_mapped (row))
        continue;
      collect_labels (row, labels);
      for (guint i = 2; i < labels->len; i++)
        {
          GtkWidget *label = labels->pdata[i];
          g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (label, cell_text (label));
          int needed = 0;

          pango_layout_get_pixel_size (layout, &needed, NULL);
          if (gtk_widget_get_mapped (label) && needed > gtk_widget_get_width (label))
            g_ptr_array_add (cut, g_strdup_printf ("%s (needs %d px, has %d)",
                                                   cell_text (label), needed,
                                                   gtk_widget_get_width (label)));
        }
    }
  return cut;
}

/* What the view holds, for a failing test's log. */
static void
debug_rows (LumaTenantsPage *tenants)
{
  GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (_luma_tenants_page_get_view (tenants)),
                                                  GTK_TYPE_LIST_VIEW);

  g_test_message ("view mapped: %d", gtk_widget_get_mapped (GTK_WIDGET (_luma_tenants_page_get_view (tenants))));
  for (GtkWidget *row = list != NULL ? gtk_widget_get_first_child (list) : NULL; row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      collect_labels (row, labels);
      g_test_message ("row %s mapped %d: %u labels, first %s", G_OBJECT_TYPE_NAME (row),
                      gtk_widget_get_mapped (row), labels->len,
                      labels->len > 0 ? cell_text (labels->pdata[0]) : "-");
    }
}

/* The order a column sorts by, from the summary alone: < 0, 0 or > 0 as @a goes
 * before, with or after @b ascending (ties are broken by risk in the app). */
static int
column_order (guint           column,
              LumaTenantItem *a,
              LumaTenantItem *b)
{
  const LumaTenantSummary *x = luma_tenant_item_get_summary (a);
  const LumaTenantSummary *y = luma_tenant_item_get_summary (b);

  switch (column)
    {
    case 0:
      return g_utf8_collate (*x->tenant_name != '\0' ? x->tenant_name : x->external_id,
                             *y->tenant_name != '\0' ? y->tenant_name : y->external_id);
    case 1:
      return g_utf8_collate (luma_license_type_to_display (x->license_type),
                             luma_license_type_to_display (y->license_type));
    case 2:
      return (luma_tenant_item_get_percent (a) > luma_tenant_item_get_percent (b)) -
             (luma_tenant_item_get_percent (a) < luma_tenant_item_get_percent (b));
    case 3:
      return luma_tenant_item_compare_risk (a, b, NULL);
    case 4:
      return (x->end_date > y->end_date) - (x->end_date < y->end_date);
    case 5:
    default:
      {
        /* Unknown (negative) after every number. */
        double dx = luma_tenant_item_get_days_left (a), dy = luma_tenant_item_get_days_left (b);

        dx = dx < 0 ? INFINITY : dx;
        dy = dy < 0 ? INFINITY : dy;
        return (dx > dy) - (dx < dy);
      }
    }
}

static void
assert_sorted_by (GListModel *shown,
                  guint       column,
                  gboolean    descending)
{
  guint n = g_list_model_get_n_items (shown);

  for (guint i = 1; i < n; i++)
    {
      g_autoptr(LumaTenantItem) a = g_list_model_get_item (shown, i - 1);
      g_autoptr(LumaTenantItem) b = g_list_model_get_item (shown, i);
      int c = column_order (column, a, b);

      if (descending ? c < 0 : c > 0)
        g_error ("column %u %s: row %u (%s) before row %u (%s)", column, descending ? "descending" : "ascending",
                 i - 1, luma_tenant_item_get_summary (a)->external_id, i,
                 luma_tenant_item_get_summary (b)->external_id);
    }
}

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

static gint64
sql_count (sqlite3    *db,
           const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM tenants WHERE %s", where);
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

typedef struct
{
  const char *path;
} CacheWait;

/* The app stores the list on its writer thread after showing it. */
static gboolean
cache_stored (gpointer data)
{
  CacheWait *wait = data;
  sqlite3 *db = NULL;
  gboolean done = FALSE;

  if (sqlite3_open_v2 (wait->path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
    {
      sqlite3_stmt *stmt = NULL;

      if (sqlite3_prepare_v2 (db, "SELECT COUNT(*) FROM tenants", -1, &stmt, NULL) == SQLITE_OK &&
          sqlite3_step (stmt) == SQLITE_ROW)
        done = sqlite3_column_int64 (stmt, 0) == N_TENANTS;
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  return done;
}

/* SQL of the statuses, on the cache's columns. */
static const char *const status_sql[3] = {
  "NOT ((total_purchase = 0 AND consumed > 0) OR (total_purchase > 0 AND consumed * 100 >= total_purchase * 75))",
  "total_purchase > 0 AND consumed * 100 >= total_purchase * 75 AND consumed < total_purchase",
  "((total_purchase = 0 AND consumed > 0) OR (total_purchase > 0 AND consumed >= total_purchase))",
};

static void
test_board (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = luma_account_new (LUMA_ACCOUNT_KIND_SUPERADMIN,
                                                     luma_test_sandbox_get_url (sandbox), ROOT_USER);
  g_autofree char *cache_path = luma_cache_path_for_account (luma_test_sandbox_get_url (sandbox),
                                                             "superadmin:" ROOT_USER);
  /* A fixed time, so the test and the board compute the same days left. */
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GArray) expected = read_sandbox_tenants (now);
  guint expected_counts[3] = { 0, 0, 0 };
  CacheWait wait = { cache_path };
  LumaTenantsPage *tenants;
  GListModel *shown;
  LumaWindow *window;
  sqlite3 *db = NULL;
  guint mismatches = 0;

  g_assert_cmpuint (expected->len, ==, N_TENANTS);
  g_array_sort (expected, compare_expected);
  for (guint i = 0; i < expected->len; i++)
    expected_counts[g_array_index (expected, Expected, i).status]++;
  /* The generated tenants have every status, in numbers. */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (expected_counts[i], >, 500);

  luma_account_set_secret (account, ROOT_PASS);
  window = LUMA_WINDOW (luma_application_open_account (app, account));
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (window, "tenants"));
  _luma_tenants_page_set_now (tenants, now);
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 120));
  g_assert_null (luma_tenants_page_get_error (tenants));

  /* The order by risk equals the independent computation. */
  shown = luma_tenants_page_get_shown (tenants);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, N_TENANTS);
  for (guint i = 0; i < N_TENANTS; i++)
    {
      g_autoptr(LumaTenantItem) item = g_list_model_get_item (shown, i);
      const Expected *e = &g_array_index (expected, Expected, i);

      if (g_strcmp0 (luma_tenant_item_get_summary (item)->external_id, e->external_id) != 0)
        {
          if (mismatches++ < 5)
            g_test_message ("position %u: the board shows %s, expected %s (status %d, %.4f days)", i,
                            luma_tenant_item_get_summary (item)->external_id, e->external_id,
                            e->status, e->days);
        }
    }
  g_assert_cmpuint (mismatches, ==, 0);

  /* Status counts: the board, the sandbox's data and SQL over the cache file agree. */
  g_assert_true (luma_ui_test_wait (cache_stored, &wait, 60));
  g_assert_cmpint (sqlite3_open_v2 (cache_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint status = 0; status < 3; status++)
    {
      g_assert_cmpuint (luma_tenants_page_count_status (tenants, status), ==, expected_counts[status]);
      g_assert_cmpint (sql_count (db, status_sql[status]), ==, expected_counts[status]);
    }

  /* Each filter, and each pair of them, shows what SQL counts. */
  for (int status = -1; status < 3; status++)
    for (int license = -1; license < 2; license++)
      {
        g_autofree char *where = g_strdup_printf ("(%s) AND (%s)",
                                                  status < 0 ? "1" : status_sql[status],
                                                  license < 0 ? "1" : license == 0 ? "license_type = 0"
                                                                                   : "license_type = 1");
        guint from_data = 0;

        for (guint i = 0; i < expected->len; i++)
          {
            const Expected *e = &g_array_index (expected, Expected, i);

            if ((status < 0 || e->status == status) && (license < 0 || e->license == license))
              from_data++;
          }
        luma_tenants_page_set_filters (tenants, status, license);
        g_assert_cmpuint (g_list_model_get_n_items (shown), ==, sql_count (db, where));
        g_assert_cmpuint (g_list_model_get_n_items (shown), ==, from_data);
        /* A filter keeps the order by risk. */
        if (g_list_model_get_n_items (shown) > 1)
          {
            g_autoptr(LumaTenantItem) first = g_list_model_get_item (shown, 0);
            g_autoptr(LumaTenantItem) second = g_list_model_get_item (shown, 1);

            g_assert_cmpint (luma_tenant_item_compare_risk (first, second, NULL), <, 0);
          }
      }
  luma_tenants_page_set_filters (tenants, -1, -1);

  /* A search: case-folded name or id */
  {
    guint matches = 0;

    for (guint i = 0; i < expected->len; i++)
      if (strstr (g_array_index (expected, Expected, i).name_key, "zürich") != NULL)
        matches++;
    g_assert_cmpuint (matches, >, 0);
    luma_tenants_page_set_search (tenants, "ZÜRICH");
    g_assert_cmpuint (g_list_model_get_n_items (shown), ==, matches);
    luma_tenants_page_set_search (tenants, "");
  }

  /* Sorted by another column (Used), then back to risk */
  {
    GtkColumnView *view = _luma_tenants_page_get_view (tenants);
    g_autoptr(GtkColumnViewColumn) used = g_list_model_get_item (gtk_column_view_get_columns (view), 2);
    double last = -1;

    g_assert_cmpstr (gtk_column_view_column_get_title (used), ==, "Used");
    gtk_column_view_sort_by_column (view, used, GTK_SORT_ASCENDING);
    for (guint i = 0; i < N_TENANTS; i++)
      {
        g_autoptr(LumaTenantItem) item = g_list_model_get_item (shown, i);

        g_assert_cmpfloat (luma_tenant_item_get_percent (item), >=, last);
        last = luma_tenant_item_get_percent (item);
      }
    luma_tenants_page_sort_by_risk (tenants);
    for (guint i = 0; i < N_TENANTS; i += 97)
      {
        g_autoptr(LumaTenantItem) item = g_list_model_get_item (shown, i);

        g_assert_cmpstr (luma_tenant_item_get_summary (item)->external_id, ==,
                         g_array_index (expected, Expected, i).external_id);
      }
  }

  /* Every column but Last Refill (below), both ways, from the order by risk: the page
   * sorts the store itself, and the view's sorter only tells it which column and way. */
  {
    GtkColumnView *view = _luma_tenants_page_get_view (tenants);

    for (guint column = 0; column < 6; column++)
      for (int way = 0; way < 2; way++)
        {
          g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (gtk_column_view_get_columns (view), column);

          gtk_column_view_sort_by_column (view, c, way ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
          g_assert_cmpuint (g_list_model_get_n_items (shown), ==, N_TENANTS);
          assert_sorted_by (shown, column, way);
          /* A filter keeps the column's order. */
          luma_tenants_page_set_filters (tenants, LUMA_CAPACITY_OK, -1);
          assert_sorted_by (shown, column, way);
          luma_tenants_page_set_filters (tenants, -1, -1);
        }
    luma_tenants_page_sort_by_risk (tenants);
    assert_sorted_by (shown, 3, FALSE);
  }

  /* A refill through the sandbox, a refresh: the row shows it, and it leads the
   * Last Refill column sorted descending; tenants without one stay last either way. */
  {
    GtkColumnView *view = _luma_tenants_page_get_view (tenants);
    g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (gtk_column_view_get_columns (view), 6);
    const char *id = g_array_index (expected, Expected, N_TENANTS / 2).external_id;
    gint64 at = sandbox_refill (id, 1000);
    g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (at);
    g_autofree char *day = g_date_time_format (local, "%x");
    g_autofree char *time = g_date_time_format (local, "%x %X");
    g_autofree char *count = g_strdup_printf ("%'d", 1000);
    g_autofree char *text = g_strdup_printf ("%s · +%s", day, count);
    g_autoptr(LumaTenantItem) first = NULL;
    g_autoptr(LumaTenantItem) last = NULL;
    GtkWidget *cell;

    g_assert_cmpstr (gtk_column_view_column_get_title (column), ==, "Last Refill");
    luma_tenants_page_refresh (tenants);
    g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 120));
    g_assert_null (luma_tenants_page_get_error (tenants));

    gtk_column_view_sort_by_column (view, column, GTK_SORT_DESCENDING);
    first = g_list_model_get_item (shown, 0);
    g_assert_cmpstr (luma_tenant_item_get_summary (first)->external_id, ==, id);
    g_assert_cmpint (luma_tenant_item_get_summary (first)->last_refill_at, ==, at);
    last = g_list_model_get_item (shown, N_TENANTS - 1);
    g_assert_cmpint (luma_tenant_item_get_summary (last)->last_refill, ==, LUMA_LAST_REFILL_NEVER);
    for (guint i = 1; i < N_TENANTS; i++)
      {
        g_autoptr(LumaTenantItem) a = g_list_model_get_item (shown, i - 1);
        g_autoptr(LumaTenantItem) b = g_list_model_get_item (shown, i);
        const LumaTenantSummary *sa = luma_tenant_item_get_summary (a);
        const LumaTenantSummary *sb = luma_tenant_item_get_summary (b);

        /* Known, newest first, then never. */
        g_assert_cmpint (sa->last_refill == LUMA_LAST_REFILL_KNOWN ? 0 : 1, <=,
                         sb->last_refill == LUMA_LAST_REFILL_KNOWN ? 0 : 1);
        if (sa->last_refill == LUMA_LAST_REFILL_KNOWN && sb->last_refill == LUMA_LAST_REFILL_KNOWN)
          g_assert_cmpint (sa->last_refill_at, >=, sb->last_refill_at);
      }

    /* The real cell of that row, on screen at the top once the view has drawn. */
    {
      CellWait cell_wait = { tenants, id, NULL };
      GtkWidget *list = luma_ui_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW);

      /* The view keeps the row it showed across a sort: back to the first, once it has
       * laid out the new order (GTK 4.8 has no gtk_column_view_scroll_to()). */
      luma_ui_test_flush ();
      g_assert_true (gtk_widget_activate_action (list, "list.scroll-to-item", "u", 0));

      if (!luma_ui_test_wait (refill_cell_shown, &cell_wait, 30))
        debug_rows (tenants);
      cell = cell_wait.cell;
    }
    g_assert_nonnull (cell);
    g_assert_cmpstr (cell_text (cell), ==, text);
    g_assert_cmpstr (_luma_tenants_page_get_cell_tooltip (GTK_WIDGET (cell)), ==, time);

    /* At the default window width no cell but a long name is cut. */
    {
      g_autoptr(GPtrArray) cut = NULL;

      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 1000);
      cut = cut_cells (tenants);
      for (guint i = 0; i < cut->len; i++)
        g_test_message ("cut: %s", (const char *) cut->pdata[i]);
      g_assert_cmpuint (cut->len, ==, 0);
    }

    /* Nor would a tenant of five-digit counts be: the Used column takes one. */
    {
      GListModel *columns = gtk_column_view_get_columns (view);
      g_autofree char *big = luma_format_count (88888);
      g_autofree char *percent = luma_format_percent (100);
      g_autofree char *used = g_strdup_printf ("%s / %s (%s)", big, big, percent);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), used);
      int needed = 0;
      gboolean found = FALSE;

      pango_layout_get_pixel_size (layout, &needed, NULL);
      for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
        {
          g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

          if (g_strcmp0 (gtk_column_view_column_get_title (c), "Used") != 0)
            continue;
          found = TRUE;
          /* The cell's padding, 12 px a side. */
          g_assert_cmpint (gtk_column_view_column_get_fixed_width (c), >=, needed + 24);
        }
      g_assert_true (found);
    }

    /* And every column is in the window: nothing to scroll sideways to. Each heading
     * is whole (with room for the sort arrow), unless the columns already take the
     * whole width ("Contract End" was cut in English). */
    {
      GListModel *columns = gtk_column_view_get_columns (view);
      int sum = 0;
      guint cut_headings = 0;

      for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
        {
          g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);
          g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view),
                                                                          gtk_column_view_column_get_title (c));
          int needed = 0;

          pango_layout_get_pixel_size (layout, &needed, NULL);
          sum += gtk_column_view_column_get_fixed_width (c);
          if (gtk_column_view_column_get_fixed_width (c) < needed + 32)
            {
              g_test_message ("heading \"%s\" cut: needs %d px, has %d",
                              gtk_column_view_column_get_title (c), needed + 32,
                              gtk_column_view_column_get_fixed_width (c));
              cut_headings++;
            }
        }
      g_assert_cmpint (sum, <=, gtk_widget_get_width (GTK_WIDGET (view)));
      if (cut_headings > 0)
        g_assert_cmpint (sum, >=, gtk_widget_get_width (GTK_WIDGET (view)) - 20);
    }

    /* Ascending: the oldest known first, never still last. */
    gtk_column_view_sort_by_column (view, column, GTK_SORT_ASCENDING);
    g_clear_object (&first);
    g_clear_object (&last);
    first = g_list_model_get_item (shown, 0);
    last = g_list_model_get_item (shown, N_TENANTS - 1);
    g_assert_cmpint (luma_tenant_item_get_summary (first)->last_refill, ==, LUMA_LAST_REFILL_KNOWN);
    g_assert_cmpint (luma_tenant_item_get_summary (last)->last_refill, ==, LUMA_LAST_REFILL_NEVER);
    luma_tenants_page_sort_by_risk (tenants);
  }

  sqlite3_close (db);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  luma_ui_test_init (&argc, &argv);
  sandbox = luma_test_sandbox_start ("--generate-tenants", G_STRINGIFY (N_TENANTS),
                                     "--superadmin", ROOT_USER ":" ROOT_PASS,
                                     NULL);
  g_test_add_func ("/ui/tenants-board/10000", test_board);
  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);
  return status;
}
