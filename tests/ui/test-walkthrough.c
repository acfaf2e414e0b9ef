/* test-walkthrough.c: the window as a person meets it
 *
 * Real widgets against the sandbox, at the default 1000x720 and at 360 px wide:
 *
 * - unsaved contact edits: Edit focuses an empty new-address row, in view with the room of
 *   its message; Save only for changed, valid lists; closing the window asks (Cancel keeps
 *   the edit, Save sends it and closes, Discard closes);
 * - narrow: the window's minimum width is at most 360 px, the page switcher moves to the
 *   bottom, nothing is cut;
 * - keyboard: one Tab stop per row of the subscription details, and the focus on something
 *   of the page shown after a page switch, Back and Accounts;
 * - dates: in German and in New York time, the subscription's and the purchases' dates are
 *   the locale's, in the viewer's zone;
 * - the first sync (every answer held 1.5 s): the pages say what is loading, with progress;
 *   the first-run page offers no Refresh or Search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <time.h>

#include "luma-contacts-editor.h"
#include "luma-history-page-private.h"
#include "luma-purchases-page.h"
#include "luma-subscription-page-private.h"
#include "luma-tenants-page.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"
#include "luma-wrap-box.h"

#define ACME      "acme"
#define ACME_KEY  "acme-key-walk"
#define ROOT_USER "root"
#define ROOT_PASS "root-pass-walk"
/* The narrowest window a phone or a tiled half screen gives. */
#define NARROW    360

static LumaTestSandbox *sandbox;

/* ---- Helpers -------------------------------------------------------------------------------- */

static gboolean
window_ready (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data));
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

static LumaWindow *
open_window_at (const char     *url,
                LumaAccountKind kind,
                const char     *identity,
                const char     *secret,
                int             width,
                int             height)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = url != NULL ? luma_account_new (kind, url, identity) : NULL;
  GSettings *settings = luma_application_get_settings (app);
  GtkWindow *window;

  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized", FALSE);
  if (account != NULL)
    luma_account_set_secret (account, secret);
  window = luma_application_open_account (app, account);
  g_assert_true (LUMA_IS_WINDOW (window));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));

  return LUMA_WINDOW (window);
}

static LumaWindow *
open_window (LumaAccountKind kind,
             const char     *identity,
             const char     *secret,
             int             width,
             int             height)
{
  return open_window_at (luma_test_sandbox_get_url (sandbox), kind, identity, secret, width, height);
}

static LumaWindow *
open_tenant_window (int width,
                    int height)
{
  LumaWindow *window = open_window (LUMA_ACCOUNT_KIND_TENANT, ACME, ACME_KEY, width, height);

  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  luma_ui_test_flush ();
  return window;
}

static void
close_window (LumaWindow *window)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

static LumaContactsEditor *
get_editor (LumaWindow *window)
{
  return luma_subscription_page_get_contacts_editor (
    LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription")));
}

static gboolean
message_dialog_open (gpointer data)
{
  return luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* Frames for the layout and the editor's scroll, which runs at a frame. */
static void
wait_frames (GtkWidget *widget)
{
  gint64 end = g_get_monotonic_time () + 300 * 1000;

  while (g_get_monotonic_time () < end)
    {
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  luma_ui_test_flush ();
}

/* Whether all of @widget is inside the visible part of the scrolled window it is in. */
static gboolean
in_view (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  g_assert_nonnull (scrolled);
  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, scrolled, &bounds));
  if (g_test_verbose ())
    g_test_message ("%s at y %.0f-%.0f of 0-%d", G_OBJECT_TYPE_NAME (widget), bounds.origin.y,
                    bounds.origin.y + bounds.size.height, gtk_widget_get_height (scrolled));
  return bounds.size.height > 0 && bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scrolled);
}

static GtkWidget *
focus_of (LumaWindow *window)
{
  return gtk_window_get_focus (GTK_WINDOW (window));
}

static char *
join_list (JsonObject *o,
           const char *member)
{
  JsonArray *a = json_object_get_array_member (o, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;

  for (guint i = 0; i < json_array_get_length (a); i++)
    g_strv_builder_add (builder, json_array_get_string_element (a, i));
  strv = g_strv_builder_end (builder);
  return g_strjoinv ("|", strv);
}

static JsonObject *
tenant_get (const char *path)
{
  g_autofree char *url = g_strconcat (luma_test_sandbox_get_url (sandbox), path, NULL);
  g_autoptr(LumaTestResponse) r = luma_test_request ("GET", url, NULL,
                                                     "Luma-api-access-key", ACME_KEY,
                                                     "Luma-tenant-externalId", ACME,
                                                     NULL);

  luma_test_assert_response (r, 200, NULL);
  return json_object_ref (luma_test_response_get_result (r));
}

static gboolean
server_has_technical (gpointer data)
{
  g_autoptr(JsonObject) sub = tenant_get ("/subscription");
  g_autofree char *technical = join_list (sub, "technicalEmails");

  g_usleep (20000);
  return g_str_has_suffix (technical, data);
}

/* ---- Unsaved contact edits ------------------------------------------------------------------ */

static void
test_contacts_unsaved (void)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  LumaWindow *window = open_tenant_window (1000, 720);
  LumaContactsEditor *editor = get_editor (window);
  g_autoptr(JsonObject) before = tenant_get ("/subscription");
  guint n_technical = json_array_get_length (json_object_get_array_member (before, "technicalEmails"));
  GtkEditable *entry, *first;
  GtkWidget *focus, *row, *message;
  GtkWindow *dialog;

  /* Edit: the focus is in an empty row after the addresses, not on the first address */
  luma_contacts_editor_edit (editor);
  g_assert_true (luma_contacts_editor_get_editing (editor));
  entry = luma_contacts_editor_get_entry (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical);
  g_assert_nonnull (entry);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "");
  focus = focus_of (window);
  g_assert_nonnull (focus);
  g_assert_true (focus == GTK_WIDGET (entry) || gtk_widget_is_ancestor (focus, GTK_WIDGET (entry)));
  /* Nothing changed: nothing to save, nothing to ask about */
  g_assert_false (luma_contacts_editor_can_save (editor));
  g_assert_false (luma_window_get_unsaved (window));
  g_assert_null (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));

  /* At 1000x720 the new row is in view, and so is its message once there is one */
  wait_frames (GTK_WIDGET (window));
  row = gtk_widget_get_ancestor (GTK_WIDGET (entry), GTK_TYPE_LIST_BOX_ROW);
  g_assert_true (in_view (row));
  gtk_editable_set_text (entry, "noc@");
  wait_frames (GTK_WIDGET (window));
  g_assert_nonnull (luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));
  message = gtk_widget_get_last_child (gtk_widget_get_first_child (row));
  g_assert_true (GTK_IS_LABEL (message));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (message)), ==,
                   luma_contacts_editor_get_row_error (editor, LUMA_CONTACTS_LIST_TECHNICAL, n_technical));
  g_assert_true (in_view (row));
  g_assert_true (in_view (message));
  /* Invalid: unsaved, but Save is off */
  g_assert_true (luma_window_get_unsaved (window));
  g_assert_false (luma_contacts_editor_can_save (editor));

  /* Back to the lists as they were: nothing to save again */
  gtk_editable_set_text (entry, "");
  g_assert_false (luma_contacts_editor_can_save (editor));
  g_assert_false (luma_window_get_unsaved (window));

  /* Changed and valid: Save is on */
  gtk_editable_set_text (entry, "walk@acme.example");
  g_assert_true (luma_contacts_editor_can_save (editor));
  /* The person goes on in the first address, the caret at its start */
  first = luma_contacts_editor_get_entry (editor, LUMA_CONTACTS_LIST_TECHNICAL, 0);
  gtk_entry_grab_focus_without_selecting (GTK_ENTRY (first));
  gtk_editable_set_position (first, 0);

  /* Closing asks; Cancel keeps the window and the edit, focused */
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (message_dialog_open, NULL, 10));
  dialog = luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "save"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "discard"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "cancel"));
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "save"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  luma_ui_test_flush ();
  g_assert_nonnull (gtk_application_get_windows (GTK_APPLICATION (app)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (luma_contacts_editor_get_editing (editor));
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "walk@acme.example");
  g_assert_true (gtk_widget_is_ancestor (focus_of (window), GTK_WIDGET (editor)));
  /* ... where it was, with no address selected for the next key press to replace */
  focus = focus_of (window);
  g_assert_true (focus == GTK_WIDGET (first) || gtk_widget_is_ancestor (focus, GTK_WIDGET (first)));
  g_assert_false (gtk_editable_get_selection_bounds (first, NULL, NULL));

  /* Accounts asks too */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.accounts", NULL);
  g_assert_true (luma_ui_test_wait (message_dialog_open, NULL, 10));
  dialog = luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  luma_ui_test_flush ();
  g_assert_cmpstr (luma_window_get_page (window), ==, "tenant");

  /* Save: the lists are sent, then the window closes */
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (message_dialog_open, NULL, 10));
  dialog = luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "save");
  g_assert_true (luma_ui_test_wait (no_windows, app, 60));
  g_assert_true (luma_ui_test_wait (server_has_technical, (gpointer) "|walk@acme.example", 30));

  /* Discard: the window closes and the server keeps what it had */
  window = open_tenant_window (1000, 720);
  editor = get_editor (window);
  luma_contacts_editor_edit (editor);
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_BILLING);
  gtk_editable_set_text (entry, "dropped@acme.example");
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (message_dialog_open, NULL, 10));
  dialog = luma_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "discard");
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
  {
    g_autoptr(JsonObject) after = tenant_get ("/subscription");
    g_autofree char *billing = join_list (after, "billingEmails");

    g_assert_null (strstr (billing, "dropped@"));
  }

  /* Without edits the window closes at once */
  window = open_tenant_window (1000, 720);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (luma_ui_test_wait (no_windows, app, 30));
}

/* ---- Narrow windows ------------------------------------------------------------------------- */

static int
min_width (GtkWidget *widget)
{
  int minimum, natural;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  return minimum;
}

/* No visible label is given less room than it needs (a label that may neither wrap nor
 * ellipsize would be cut). */
static void
assert_nothing_cut (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      if (GTK_IS_LABEL (child) && gtk_widget_get_width (child) > 0)
        {
          int minimum = min_width (child);

          if (gtk_widget_get_width (child) < minimum)
            g_error ("label \"%s\" is %d px wide of the %d it needs",
                     gtk_label_get_label (GTK_LABEL (child)), gtk_widget_get_width (child), minimum);
        }
      assert_nothing_cut (child);
    }
}

static void
test_narrow (void)
{
  LumaWindow *window = open_tenant_window (NARROW, 720);
  const char *pages[] = { "subscription", "purchases", "account" };
  GtkWidget *header = luma_ui_test_find_descendant (GTK_WIDGET (window), ADW_TYPE_HEADER_BAR);
  GtkWidget *bar = luma_ui_test_find_descendant (GTK_WIDGET (window), ADW_TYPE_VIEW_SWITCHER_BAR);
  GtkWidget *history = luma_window_get_page_widget (window, "history");
  int window_min = min_width (GTK_WIDGET (window));

  /* Each page and the header fit in 360 px with the window's frame */
  g_assert_cmpint (min_width (header), <=, NARROW - 10);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_test_message ("page %s: at least %d px", pages[i],
                      min_width (luma_window_get_page_widget (window, pages[i])));
      g_assert_cmpint (min_width (luma_window_get_page_widget (window, pages[i])), <=, NARROW - 10);
    }

  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, MAX (window_min, NARROW));

  luma_window_show_page (window, "subscription");
  wait_frames (GTK_WIDGET (window));
  assert_nothing_cut (luma_window_get_page_widget (window, "subscription"));
  luma_window_show_page (window, "purchases");
  wait_frames (GTK_WIDGET (window));
  assert_nothing_cut (luma_window_get_page_widget (window, "purchases"));

  /* The whole window with the history page shown: its toolbar wraps onto more lines */
  luma_window_show_page (window, "history");
  wait_frames (GTK_WIDGET (window));
  window_min = min_width (GTK_WIDGET (window));
  g_test_message ("window: at least %d px; history page: at least %d px", window_min,
                  min_width (history));
  g_assert_cmpint (min_width (history), <=, NARROW - 10);
  g_assert_cmpint (window_min, <=, NARROW);
  /* The page switcher leaves the header for a bar at the bottom */
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, NARROW);
  g_assert_true (adw_view_switcher_bar_get_reveal (ADW_VIEW_SWITCHER_BAR (bar)));
  {
    GtkWidget *search = luma_ui_test_find_descendant (history, GTK_TYPE_SEARCH_ENTRY);
    GtkWidget *toolbar = luma_ui_test_find_descendant (history, LUMA_TYPE_WRAP_BOX);

    g_assert_nonnull (search);
    /* Room to read what is typed, not a stub with "…" */
    g_assert_cmpint (gtk_widget_get_width (search), >=, 150);
    /* The filters went onto more lines rather than out of the window */
    g_assert_cmpuint (luma_wrap_box_get_n_lines (LUMA_WRAP_BOX (toolbar)), >, 1);
    assert_nothing_cut (history);
  }

  close_window (window);
}

/* ---- Keyboard ------------------------------------------------------------------------------- */

/* The Tab stops in @widget: itself and what it holds that takes the keyboard focus. */
static guint
count_stops (GtkWidget *widget)
{
  guint n = 0;

  if (!gtk_widget_get_visible (widget) || !gtk_widget_get_can_focus (widget))
    return 0;
  if (gtk_widget_get_focusable (widget) && gtk_widget_is_sensitive (widget))
    {
      /* A label that takes the focus selects all its text: never a stop here */
      g_assert_false (GTK_IS_LABEL (widget));
      n++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_stops (child);

  return n;
}

static void
test_tab_stops (void)
{
  LumaWindow *window = open_tenant_window (1000, 720);
  GtkWidget *page = luma_window_get_page_widget (window, "subscription");
  GtkWidget *group = luma_ui_test_find_descendant (page, ADW_TYPE_PREFERENCES_GROUP);
  GtkWidget *first_row = luma_ui_test_find_descendant (group, ADW_TYPE_ACTION_ROW);
  GtkWidget *focus;
  guint n_rows = 0;

  /* After connecting, the focus is on the page (its first row), and no text is selected */
  focus = focus_of (window);
  g_assert_nonnull (focus);
  g_test_message ("focus after connecting: %s", G_OBJECT_TYPE_NAME (focus));
  g_assert_true (gtk_widget_is_ancestor (focus, page));
  g_assert_false (GTK_IS_LABEL (focus));
  g_assert_true (focus == first_row);

  /* Each details row is one Tab stop, and its History button one more */
  for (GtkWidget *row = first_row; row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *button = luma_ui_test_find_descendant (row, GTK_TYPE_BUTTON);

      if (!gtk_widget_get_visible (row))
        continue;
      n_rows++;
      g_test_message ("row %s: %u stops", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                      count_stops (row));
      g_assert_true (gtk_widget_get_focusable (row));
      g_assert_cmpuint (count_stops (row), ==, button != NULL ? 2 : 1);
    }
  g_assert_cmpuint (n_rows, ==, 7);

  /* The tenant's name, a title, is no stop either */
  g_assert_cmpuint (count_stops (gtk_widget_get_first_child (gtk_widget_get_parent (group))), ==, 0);

  close_window (window);
}

static void
assert_focus_in (LumaWindow *window,
                 GtkWidget  *page)
{
  GtkWidget *focus;

  luma_ui_test_flush ();
  focus = focus_of (window);
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_get_mapped (focus));
  g_assert_true (gtk_widget_is_ancestor (focus, page));
}

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

static void
test_focus_after_navigation (void)
{
  LumaWindow *window = open_tenant_window (1000, 720);
  LumaWindow *admin;
  LumaTenantsPage *tenants;

  /* A page switch from the keyboard (Alt+2, Alt+3, Alt+1) */
  assert_focus_in (window, luma_window_get_page_widget (window, "subscription"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "history");
  assert_focus_in (window, luma_window_get_page_widget (window, "history"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "purchases");
  luma_ui_test_flush ();
  /* The purchases are rows of text: focus is in them, or nowhere lost */
  g_assert_true (focus_of (window) == NULL ||
                 gtk_widget_is_ancestor (focus_of (window), luma_window_get_page_widget (window, "purchases")));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "subscription");
  assert_focus_in (window, luma_window_get_page_widget (window, "subscription"));

  /* Accounts: the account page's first field */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.accounts", NULL);
  assert_focus_in (window, luma_window_get_page_widget (window, "account"));
  close_window (window);

  /* Alt+Left from a tenant back to the superadmin's list */
  admin = open_window (LUMA_ACCOUNT_KIND_SUPERADMIN, ROOT_USER, ROOT_PASS, 1000, 720);
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (admin, "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (window_ready, admin, 60));
  assert_focus_in (admin, luma_window_get_page_widget (admin, "subscription"));
  gtk_widget_activate_action (GTK_WIDGET (admin), "win.back", NULL);
  g_assert_cmpstr (luma_window_get_page (admin), ==, "tenants");
  assert_focus_in (admin, GTK_WIDGET (tenants));
  close_window (admin);
}

/* ---- Dates ---------------------------------------------------------------------------------- */

static gboolean
set_german (void)
{
  return setlocale (LC_ALL, "de_DE.UTF-8") != NULL || setlocale (LC_ALL, "de_DE.utf8") != NULL;
}

static void
set_time_zone (const char *tz)
{
  g_setenv ("TZ", tz, TRUE);
  tzset ();
}

static void
test_dates_german_new_york (void)
{
  LumaWindow *window;
  LumaSubscriptionPage *page;
  LumaPurchasesPage *purchases;
  g_autoptr(JsonObject) sub = NULL;
  g_autoptr(JsonObject) pur = NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  g_autoptr(GDateTime) performed = NULL;
  g_autoptr(GDateTime) performed_local = NULL;
  g_autofree char *start_text = NULL;
  g_autofree char *end_text = NULL;
  g_autofree char *performed_text = NULL;
  g_autofree char *row = NULL;
  JsonObject *newest;

  if (!set_german ())
    {
      g_test_skip ("the de_DE.UTF-8 locale is not installed");
      return;
    }
  set_time_zone ("America/New_York");

  window = open_tenant_window (1000, 720);
  page = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (window, "subscription"));
  purchases = LUMA_PURCHASES_PAGE (luma_window_get_page_widget (window, "purchases"));
  sub = tenant_get ("/subscription");
  pur = tenant_get ("/subscription/purchases");

  /* Contract days: the German short date of the contract's (UTC) day */
  start = g_date_time_new_from_iso8601 (json_object_get_string_member (sub, "startDate"), NULL);
  end = g_date_time_new_from_iso8601 (json_object_get_string_member (sub, "endDate"), NULL);
  start_text = g_date_time_format (start, "%d.%m.%Y");
  end_text = g_date_time_format (end, "%d.%m.%Y");
  g_assert_cmpstr (luma_subscription_page_get_value (page, "start-date"), ==, start_text);
  g_assert_cmpstr (luma_subscription_page_get_value (page, "end-date"), ==, end_text);

  /* A purchase: German date and 24-hour time, in New York time */
  newest = json_array_get_object_element (json_object_get_array_member (pur, "items"), 0);
  performed = g_date_time_new_from_iso8601 (json_object_get_string_member (newest, "performedOn"), NULL);
  performed_local = g_date_time_to_local (performed);
  performed_text = g_date_time_format (performed_local, "%d.%m.%Y %H:%M:%S");
  row = luma_purchases_page_dup_row_text (purchases, 0);
  g_test_message ("purchase row: %s", row);
  g_assert_nonnull (strstr (row, performed_text));

  close_window (window);
  set_time_zone ("UTC");
  setlocale (LC_ALL, "C.UTF-8");
}

/* ---- The first sync and the first run ------------------------------------------------------ */

static const char *
shown_state (const char *page_name,
             LumaWindow *window)
{
  GtkWidget *stack = luma_ui_test_find_descendant (luma_window_get_page_widget (window, page_name),
                                                   GTK_TYPE_STACK);

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static gboolean
first_sync_shown (gpointer data)
{
  LumaWindow *window = data;
  LumaSync *sync = luma_window_get_sync (window);

  return sync != NULL && luma_sync_get_running (sync) &&
         g_strcmp0 (shown_state ("subscription", window), "loading") == 0;
}

/* Every answer of this sandbox takes 1.5 s: the first sync is seen as it runs. */
static void
test_first_sync (void)
{
  g_autoptr(LumaTestSandbox) slow = luma_test_sandbox_start ("--tenant", "slowco",
                                                             "--api-key", "slowco-key",
                                                             "--seed", "40",
                                                             "--slow-ms", "1500",
                                                             "--fault", "slow:1",
                                                             NULL);
  LumaWindow *window = open_window_at (luma_test_sandbox_get_url (slow), LUMA_ACCOUNT_KIND_TENANT,
                                       "slowco", "slowco-key", 1000, 720);
  GtkWidget *status;
  const char *description;

  /* Loading, with what is being done, not "No Subscription Data Yet" */
  g_assert_true (luma_ui_test_wait (first_sync_shown, window, 60));
  status = gtk_stack_get_visible_child (GTK_STACK (luma_ui_test_find_descendant (
    luma_window_get_page_widget (window, "subscription"), GTK_TYPE_STACK)));
  g_assert_true (ADW_IS_STATUS_PAGE (status));
  description = adw_status_page_get_description (ADW_STATUS_PAGE (status));
  g_test_message ("subscription page: %s: %s", adw_status_page_get_title (ADW_STATUS_PAGE (status)),
                  description);
  g_assert_nonnull (description);
  g_assert_true (g_str_has_prefix (description, "Receiving"));
  g_assert_nonnull (luma_ui_test_find_descendant (status, GTK_TYPE_PROGRESS_BAR));
  /* The purchases page too, not "No Purchases Yet" */
  g_assert_cmpstr (shown_state ("purchases", window), ==, "loading");

  /* And the details once they arrived */
  g_assert_true (luma_ui_test_wait (window_ready, window, 60));
  luma_ui_test_flush ();
  g_assert_cmpstr (shown_state ("subscription", window), ==, "details");
  g_assert_cmpstr (shown_state ("purchases", window), ==, "list");

  close_window (window);
}

/* The first-run page offers nothing that needs an account: what shows win.refresh (the
 * Refresh button, the menu's item) follows the action's state. */
static void
test_first_run_actions (void)
{
  LumaWindow *window = open_window_at (NULL, LUMA_ACCOUNT_KIND_TENANT, NULL, NULL, 1000, 720);
  GtkWidget *refresh = luma_ui_test_find_action_button (GTK_WIDGET (window), "win.refresh");

  g_assert_cmpstr (luma_window_get_page (window), ==, "account");
  g_assert_nonnull (refresh);
  luma_ui_test_flush ();
  g_assert_false (gtk_widget_get_sensitive (refresh));
  /* The focus is on the page, in its first field */
  assert_focus_in (window, luma_window_get_page_widget (window, "account"));
  close_window (window);

  window = open_tenant_window (1000, 720);
  refresh = luma_ui_test_find_action_button (GTK_WIDGET (window), "win.refresh");
  g_assert_true (gtk_widget_get_sensitive (refresh));
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  luma_ui_test_init (&argc, &argv);
  sandbox = luma_test_sandbox_start ("--tenant", ACME, "--tenant-name", "Acme Corporation",
                                     "--api-key", ACME_KEY, "--licenses", "20000",
                                     "--seed", "600",
                                     "--superadmin", ROOT_USER ":" ROOT_PASS,
                                     NULL);

  g_test_add_func ("/ui/walkthrough/contacts-unsaved", test_contacts_unsaved);
  g_test_add_func ("/ui/walkthrough/narrow", test_narrow);
  g_test_add_func ("/ui/walkthrough/tab-stops", test_tab_stops);
  g_test_add_func ("/ui/walkthrough/focus-after-navigation", test_focus_after_navigation);
  g_test_add_func ("/ui/walkthrough/dates-german-new-york", test_dates_german_new_york);
  g_test_add_func ("/ui/walkthrough/first-sync", test_first_sync);
  g_test_add_func ("/ui/walkthrough/first-run-actions", test_first_run_actions);

  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
