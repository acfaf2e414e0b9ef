/* luma-screenshots.c: PNG screenshots of every page against a demo sandbox
 *
 * Not a test: run it under Xvfb with LUMA_SANDBOX set, e.g.
 *   LUMA_SANDBOX=_build/tests/sandbox/luma-sandbox GSETTINGS_SCHEMA_DIR=_build/data \
 *     xvfb-run -a _build/tests/ui/luma-screenshots OUTPUT-DIR [--pages]
 * Each page is rendered by GTK itself, so the pictures do not depend on a window manager.
 * Without --pages: the overview pictures of the README and the metainfo. With --pages: each
 * page at the default 1000x720 and at 360 px wide (PAGE-1000.png, PAGE-360.png), in the
 * language of the environment (LANGUAGE, LC_ALL; the catalogs in LUMA_LOCALEDIR).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-breakdown-page-private.h"
#include "luma-contacts-editor.h"
#include "luma-conversation-window.h"
#include "luma-history-page-private.h"
#include "luma-preferences-window.h"
#include "luma-refill-dialog.h"
#include "luma-subscription-page-private.h"
#include "luma-tenants-page.h"
#include "luma-test-sandbox.h"
#include "luma-ui-test.h"
#include "luma-window-private.h"

static const char *output_dir;
static gboolean pages_set;
static LumaTestSandbox *sandbox;

/* Lets page transitions and button state animations finish: a picture taken in the middle of
 * one shows a half-highlighted view switcher. */
static void
settle (guint milliseconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) milliseconds * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10 * 1000);
    }
}

static void
painted_cb (GdkFrameClock *clock,
            gboolean      *painted)
{
  *painted = TRUE;
}

/* Until the window was laid out and painted once more: a widget shown or hidden meanwhile
 * (a back button, a spinner) has no allocation to be drawn with before that. */
static void
wait_for_paint (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean painted = FALSE;
  gulong handler;

  if (clock == NULL)
    return;
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (painted_cb), &painted);
  gtk_widget_queue_draw (window);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, handler);
}

static void
save_png (GtkWidget  *window,
          const char *name)
{
  GtkSnapshot *snapshot;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (output_dir, name, NULL);
  int width, height;

  settle (500);
  luma_ui_test_flush ();
  wait_for_paint (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);

  /* What GTK draws for the window, rendered off screen by the window's own renderer. */
  snapshot = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (window)->snapshot (window, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_print ("%s\n", path);
}

static gboolean
ready (gpointer data)
{
  return luma_window_get_ready (LUMA_WINDOW (data));
}

static gboolean
idle_history (gpointer data)
{
  return !luma_history_page_get_busy (LUMA_HISTORY_PAGE (data)) &&
         luma_history_page_get_query (LUMA_HISTORY_PAGE (data)) != NULL;
}

static gboolean
loaded (gpointer data)
{
  return luma_conversation_window_get_loaded (LUMA_CONVERSATION_WINDOW (data));
}

static gboolean
tenants_loaded (gpointer data)
{
  return luma_tenants_page_get_loaded (LUMA_TENANTS_PAGE (data));
}

static gboolean
subscription_ready (gpointer data)
{
  return luma_subscription_page_get_chart_ready (LUMA_SUBSCRIPTION_PAGE (data));
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

/* The editor selects the text of the entry it focuses first; a picture should not show that
 * selection in an entry the focus has left. */
static void
unselect_entries (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_EDITABLE (child) && !gtk_widget_has_focus (child) &&
          gtk_editable_get_delegate (GTK_EDITABLE (child)) == NULL)
        gtk_editable_select_region (GTK_EDITABLE (child), 0, 0);
      unselect_entries (child);
    }
}

static gboolean
breakdown_idle (gpointer data)
{
  LumaBreakdownPage *page = data;

  return !luma_breakdown_page_get_busy (page) && luma_breakdown_page_get_breakdown (page) != NULL;
}

static GtkWindow *
open (LumaAccountKind kind,
      const char     *identity,
      const char     *secret,
      int             width,
      int             height)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  g_autoptr(LumaAccount) account = NULL;
  GtkWindow *window;

  g_settings_set_int (luma_application_get_settings (app), "window-width", width);
  g_settings_set_int (luma_application_get_settings (app), "window-height", height);
  if (identity != NULL)
    {
      account = luma_account_new (kind, luma_test_sandbox_get_url (sandbox), identity);
      luma_account_set_secret (account, secret);
    }
  window = luma_application_open_account (app, account);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
  return window;
}

static void
make_screenshots (void)
{
  GtkWindow *window;
  LumaSubscriptionPage *subscription;
  LumaHistoryPage *history;
  LumaContactsEditor *editor;
  LumaConversationWindow *conversations;
  LumaTenantsPage *tenants;
  LumaRefillDialog *refill;
  GtkEditable *entry;

  /* First run */
  window = open (LUMA_ACCOUNT_KIND_TENANT, NULL, NULL, 900, 700);
  save_png (GTK_WIDGET (window), "first-run.png");
  gtk_window_destroy (window);

  /* A tenant administrator's pages; tall, so the whole Subscription page shows */
  window = open (LUMA_ACCOUNT_KIND_TENANT, "acme", "acme-key", 1100, 1340);
  g_assert_true (luma_ui_test_wait (ready, window, 60));
  subscription = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "subscription"));
  g_assert_true (luma_ui_test_wait (subscription_ready, subscription, 60));
  /* The chart's cumulative view: the estimate and the run-out day. */
  luma_subscription_page_set_chart_view (subscription, LUMA_CHART_VIEW_TERM);
  g_assert_true (luma_ui_test_wait (subscription_ready, subscription, 60));
  save_png (GTK_WIDGET (window), "subscription.png");
  /* For looking at the page at other sizes (not in the README). */
  if (g_getenv ("LUMA_SCREENSHOTS_SIZES") != NULL)
    {
      gtk_window_set_default_size (window, 1000, 720);
      g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, window, 30));
      save_png (GTK_WIDGET (window), "subscription-1000x720.png");
      gtk_window_set_default_size (window, 360, 1600);
      save_png (GTK_WIDGET (window), "subscription-360.png");
    }
  luma_subscription_page_set_chart_view (subscription, LUMA_CHART_VIEW_WEEK);
  g_assert_true (luma_ui_test_wait (subscription_ready, subscription, 60));

  /* Taller: the editor's rows and their messages take more room than the lists. */
  gtk_window_set_default_size (window, 1100, 1500);
  editor = find_editor (GTK_WIDGET (subscription));
  luma_contacts_editor_edit (editor);
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  gtk_editable_set_text (entry, "noc@");
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_BILLING);
  gtk_editable_set_text (entry, "ops@acme.example");
  unselect_entries (GTK_WIDGET (editor));
  save_png (GTK_WIDGET (window), "contacts-edit.png");
  luma_contacts_editor_cancel (editor);

  gtk_window_set_default_size (window, 1280, 800);
  history = LUMA_HISTORY_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "history"));
  luma_window_show_page (LUMA_WINDOW (window), "history");
  g_assert_true (luma_ui_test_wait (idle_history, history, 30));
  save_png (GTK_WIDGET (window), "history.png");

  {
    LumaHistoryModel *model = luma_history_page_get_model (history);
    g_autoptr(LumaHistoryItem) item = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
      {
        item = g_list_model_get_item (G_LIST_MODEL (model), i);
        if (luma_history_item_get_conversations (item) >= 2)
          break;
        g_clear_object (&item);
      }
    g_assert_nonnull (item);
    conversations = luma_conversation_window_new (luma_window_get_sync (LUMA_WINDOW (window)),
                                                  LUMA_LICENSE_TYPE_SESSION,
                                                  luma_history_item_get_record_id (item),
                                                  luma_history_item_get_session (item)->user_name);
    gtk_window_present (GTK_WINDOW (conversations));
    g_assert_true (luma_ui_test_wait (loaded, conversations, 30));
    g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, conversations, 30));
    save_png (GTK_WIDGET (conversations), "conversation.png");
    gtk_window_destroy (GTK_WINDOW (conversations));
  }

  /* A few purchases: a short window, without a screenful of empty space under them. */
  gtk_window_set_default_size (window, 1100, 520);
  luma_window_show_page (LUMA_WINDOW (window), "purchases");
  save_png (GTK_WIDGET (window), "purchases.png");

  /* Where the licenses go, wide and narrow (the phone size the window allows). */
  gtk_window_set_default_size (window, 1000, 720);
  luma_window_show_page (LUMA_WINDOW (window), "breakdown");
  g_assert_true (luma_ui_test_wait (breakdown_idle,
                                    luma_window_get_page_widget (LUMA_WINDOW (window), "breakdown"), 30));
  save_png (GTK_WIDGET (window), "breakdown.png");
  gtk_window_set_default_size (window, 360, 720);
  save_png (GTK_WIDGET (window), "breakdown-narrow.png");
  gtk_window_destroy (window);

  /* A user-based tenant's breakdown, with its idle licenses. */
  window = open (LUMA_ACCOUNT_KIND_TENANT, "globex", "globex-key", 1000, 1100);
  g_assert_true (luma_ui_test_wait (ready, window, 60));
  luma_window_show_page (LUMA_WINDOW (window), "breakdown");
  luma_breakdown_page_set_period (LUMA_BREAKDOWN_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "breakdown")),
                                  LUMA_PERIOD_THIS_TERM);
  g_assert_true (luma_ui_test_wait (breakdown_idle,
                                    luma_window_get_page_widget (LUMA_WINDOW (window), "breakdown"), 30));
  save_png (GTK_WIDGET (window), "breakdown-users.png");
  gtk_window_destroy (window);

  /* A superadmin: the tenants board, also on a phone, and the refill dialog */
  window = open (LUMA_ACCOUNT_KIND_SUPERADMIN, "root", "s3cret", 360, 720);
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  save_png (GTK_WIDGET (window), "tenants-narrow.png");
  gtk_window_destroy (window);

  window = open (LUMA_ACCOUNT_KIND_SUPERADMIN, "root", "s3cret", 1000, 720);
  tenants = LUMA_TENANTS_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "tenants"));
  g_assert_true (luma_ui_test_wait (tenants_loaded, tenants, 30));
  save_png (GTK_WIDGET (window), "tenants.png");
  luma_tenants_page_activate (tenants, 0);
  g_assert_true (luma_ui_test_wait (ready, window, 60));
  refill = luma_refill_dialog_new (luma_window_get_client (LUMA_WINDOW (window)),
                                   luma_subscription_page_get_subscription (
                                     LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "subscription"))));
  gtk_window_set_transient_for (GTK_WINDOW (refill), window);
  luma_refill_dialog_set_values (refill, FALSE, 5000, "Customer order 4480", "PO-4480");
  gtk_window_present (GTK_WINDOW (refill));
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, refill, 30));
  save_png (GTK_WIDGET (refill), "refill.png");
  gtk_window_destroy (GTK_WINDOW (refill));
  gtk_window_destroy (window);
}

/* Each page at @width x @height: subscription, contacts edit, history, conversation,
 * purchases, account, preferences. */
static void
shoot_pages (int width,
             int height)
{
  g_autoptr(LumaApplication) app = luma_ui_test_get_application ();
  GtkWindow *window;
  GtkWindow *other;
  LumaSubscriptionPage *subscription;
  LumaHistoryPage *history;
  LumaContactsEditor *editor;
  GtkEditable *entry;
  g_autofree char *name = NULL;

#define SAVE(widget, page) \
  G_STMT_START { \
    g_free (name); \
    name = g_strdup_printf ("%s-%d.png", page, width); \
    save_png (GTK_WIDGET (widget), name); \
  } G_STMT_END

  window = open (LUMA_ACCOUNT_KIND_TENANT, "acme", "acme-key", width, height);
  g_assert_true (luma_ui_test_wait (ready, window, 60));
  subscription = LUMA_SUBSCRIPTION_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "subscription"));
  g_assert_true (luma_ui_test_wait (subscription_ready, subscription, 60));
  SAVE (window, "subscription");

  /* Edit: the new row focused and in view; an address being typed with its message */
  editor = find_editor (GTK_WIDGET (subscription));
  luma_contacts_editor_edit (editor);
  entry = luma_contacts_editor_add_row (editor, LUMA_CONTACTS_LIST_TECHNICAL);
  gtk_editable_set_text (entry, "noc@");
  gtk_editable_set_position (entry, -1);
  SAVE (window, "contacts-edit");
  luma_contacts_editor_cancel (editor);

  history = LUMA_HISTORY_PAGE (luma_window_get_page_widget (LUMA_WINDOW (window), "history"));
  luma_window_show_page (LUMA_WINDOW (window), "history");
  g_assert_true (luma_ui_test_wait (idle_history, history, 30));
  SAVE (window, "history");

  {
    LumaHistoryModel *model = luma_history_page_get_model (history);
    g_autoptr(LumaHistoryItem) item = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
      {
        item = g_list_model_get_item (G_LIST_MODEL (model), i);
        if (luma_history_item_get_conversations (item) >= 2)
          break;
        g_clear_object (&item);
      }
    g_assert_nonnull (item);
    other = GTK_WINDOW (luma_conversation_window_new (luma_window_get_sync (LUMA_WINDOW (window)),
                                                      LUMA_LICENSE_TYPE_SESSION,
                                                      luma_history_item_get_record_id (item),
                                                      luma_history_item_get_session (item)->user_name));
    gtk_window_set_default_size (other, width, height);
    gtk_window_present (other);
    g_assert_true (luma_ui_test_wait (loaded, other, 30));
    g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, other, 30));
    SAVE (other, "conversation");
    gtk_window_destroy (other);
  }

  luma_window_show_page (LUMA_WINDOW (window), "purchases");
  SAVE (window, "purchases");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.accounts", NULL);
  SAVE (window, "account");
  gtk_window_destroy (window);

  other = GTK_WINDOW (luma_preferences_window_new (luma_application_get_settings (app)));
  gtk_window_set_default_size (other, width, height);
  gtk_window_present (other);
  g_assert_true (luma_ui_test_wait (luma_ui_test_widget_mapped, other, 30));
  SAVE (other, "preferences");
  gtk_window_destroy (other);
#undef SAVE
}

static void
make_page_screenshots (void)
{
  shoot_pages (1000, 720);
  shoot_pages (360, 720);
}

int
main (int   argc,
      char *argv[])
{
  const char *locale_dir = g_getenv ("LUMA_LOCALEDIR");
  int status;

  luma_ui_test_init (&argc, &argv);
  if (argc < 2)
    g_error ("Usage: luma-screenshots OUTPUT-DIR [--pages]");
  output_dir = argv[1];
  pages_set = argc > 2 && g_strcmp0 (argv[2], "--pages") == 0;
  /* The pages in the language asked for, from the build's catalogs */
  if (locale_dir != NULL)
    {
      bindtextdomain (GETTEXT_PACKAGE, locale_dir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    }
  /* As main.c: the templates and _() translate in the app's domain */
  textdomain (GETTEXT_PACKAGE);
  g_mkdir_with_parents (output_dir, 0755);

  sandbox = luma_test_sandbox_start ("--tenant", "acme",
                                     "--tenant-name", "Acme Corporation",
                                     "--api-key", "acme-key",
                                     "--licenses", "20000",
                                     "--seed", "16500",
                                     "--tenant", "globex",
                                     "--tenant-name", "Globex Ltd",
                                     "--api-key", "globex-key",
                                     "--license-model", "user",
                                     "--licenses", "800",
                                     "--seed", "420",
                                     "--tenant", "initech",
                                     "--tenant-name", "Initech",
                                     "--api-key", "initech-key",
                                     "--licenses", "5000",
                                     "--seed", "4880",
                                     "--tenant", "umbrella",
                                     "--tenant-name", "Umbrella Health",
                                     "--api-key", "umbrella-key",
                                     "--license-model", "user",
                                     "--licenses", "1200",
                                     "--seed", "300",
                                     "--tenant", "hooli",
                                     "--tenant-name", "Hooli Cloud Services",
                                     "--api-key", "hooli-key",
                                     "--licenses", "50000",
                                     "--seed", "9100",
                                     "--generate-tenants", "300",
                                     "--superadmin", "root:s3cret",
                                     NULL);

  if (pages_set)
    g_test_add_func ("/screenshots/pages", make_page_screenshots);
  else
    g_test_add_func ("/screenshots", make_screenshots);
  status = g_test_run ();
  luma_test_sandbox_stop (sandbox);

  return status;
}
