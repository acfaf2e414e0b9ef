/* luma-window.c: the main window, one per account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-account-page.h"
#include "luma-breakdown-page.h"
#include "luma-format.h"
#include "luma-history-page.h"
#include "luma-purchases-page.h"
#include "luma-refill-dialog.h"
#include "luma-subscription-page.h"
#include "luma-tenants-page.h"
#include "luma-a11y.h"
#include "luma-window-private.h"

/* What the user asked for when the contacts had unsaved edits: done once they are saved or
 * dropped. */
typedef enum
{
  LEAVE_NONE,
  LEAVE_CLOSE,
  LEAVE_ACCOUNTS,
  LEAVE_BACK,
} LeaveAction;

struct _LumaWindow
{
  AdwApplicationWindow  parent_instance;

  LumaApplication      *application;     /* not owned: it outlives its windows */
  LumaAccount          *account;
  LumaSession          *session;         /* the application's, shared with the background mode */
  LumaCache            *cache;           /* the session's, of the tenant shown */
  LumaSync             *sync;
  char                 *tenant;          /* the tenant whose pages are shown */
  char                 *pending_page;    /* asked for before the tenant's pages were shown */
  GCancellable         *cancellable;     /* of this window's wait for the session */
  GCancellable         *tenant_cancellable;
  gboolean              sync_stopped;      /* the user stopped the running sync */
  gboolean              ready;
  char                 *last_toast;
  LeaveAction           leave_after_save;   /* what a save of the unsaved edits leads to */
  LeaveAction           leave_after_idle;   /* what Discard leads to, once its dialog is gone */
  GtkWindow            *leave_dialog;       /* the question about unsaved edits, while open */
  guint                 focus_idle;
  gboolean              focus_into_page;    /* the main page changed: focus goes into it */
  gboolean              focus_history_search; /* the history was just shown: its search */
  GtkWidget            *focus_before;       /* the focus when the page had none to take */
  guint                 focus_retries;

  AdwHeaderBar         *header_bar;
  GtkButton            *back_button;
  GtkStack             *refresh_stack;
  GtkSpinner           *sync_spinner;
  GtkButton            *stop_sync_button;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkProgressBar       *sync_progress;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  LumaAccountPage      *account_page;
  LumaTenantsPage      *tenants_page;
  LumaSubscriptionPage *subscription_page;
  LumaHistoryPage      *history_page;
  LumaPurchasesPage    *purchases_page;
  LumaBreakdownPage    *breakdown_page;
};

G_DEFINE_FINAL_TYPE (LumaWindow, luma_window, ADW_TYPE_APPLICATION_WINDOW)

static void start_session  (LumaWindow *self);
static void detach_session (LumaWindow *self);
static void run_sync       (LumaWindow *self);

static LumaApiClient *
get_client (LumaWindow *self)
{
  return self->session != NULL ? luma_session_get_client (self->session) : NULL;
}

static GSettings *
get_settings (LumaWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!LUMA_IS_APPLICATION (app))
    return NULL;

  return luma_application_get_settings (LUMA_APPLICATION (app));
}

/* ---- Window state --------------------------------------------------------------------------- */

static void
save_window_state (LumaWindow *self)
{
  GSettings *settings = get_settings (self);
  int width, height;

  if (settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
    }
}

static void
restore_window_state (LumaWindow *self)
{
  GSettings *settings = get_settings (self);
  int width, height;

  if (settings == NULL)
    return;

  width = g_settings_get_int (settings, "window-width");
  height = g_settings_get_int (settings, "window-height");
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean confirm_leave (LumaWindow  *self,
                               LeaveAction  action);

static gboolean
luma_window_close_request (GtkWindow *window)
{
  LumaWindow *self = LUMA_WINDOW (window);

  /* Unsaved contact edits: ask first, close after the answer. */
  if (!confirm_leave (self, LEAVE_CLOSE))
    return TRUE;

  save_window_state (self);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->tenant_cancellable);

  return GTK_WINDOW_CLASS (luma_window_parent_class)->close_request (window);
}

/* ---- Toasts and header ---------------------------------------------------------------------- */

void
luma_window_add_toast (LumaWindow *self,
                       const char *message)
{
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  escaped = g_markup_escape_text (message, -1);
  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  /* A toast's title is markup in libadwaita 1.2 (no use-markup switch yet); messages carry
   * server text and file names. */
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
luma_window_add_file_toast (LumaWindow *self,
                            const char *message,
                            GFile      *file)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  AdwToast *toast;

  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      luma_window_add_toast (self, message);
      return;
    }

  escaped = g_markup_escape_text (message, -1);
  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 10);
  adw_toast_set_button_label (toast, _("_Open"));
  adw_toast_set_action_name (toast, "win.open-file");
  adw_toast_set_action_target_value (toast, g_variant_new_string (path));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
luma_window_get_last_toast (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->last_toast;
}

static gboolean
is_superadmin (LumaWindow *self)
{
  return self->account != NULL &&
         luma_account_get_kind (self->account) == LUMA_ACCOUNT_KIND_SUPERADMIN;
}

static void
update_header (LumaWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);
  gboolean tenant_open = g_strcmp0 (page, "tenant") == 0;
  g_autofree char *label = NULL;

  /* The page switcher belongs to a tenant's pages only. */
  adw_view_switcher_title_set_stack (self->switcher_title, tenant_open ? self->view_stack : NULL);
  adw_view_switcher_bar_set_stack (self->switcher_bar, tenant_open ? self->view_stack : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), tenant_open && is_superadmin (self));
  gtk_widget_set_visible (GTK_WIDGET (self->refresh_stack),
                          tenant_open || g_strcmp0 (page, "tenants") == 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back", tenant_open && is_superadmin (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refill",
                                 tenant_open && is_superadmin (self) && get_client (self) != NULL &&
                                 !(self->sync != NULL && luma_sync_get_offline (self->sync)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-history", tenant_open);
  /* Nothing to refresh or search before an account is chosen (the first-run page). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refresh", self->account != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search",
                                 tenant_open || g_strcmp0 (page, "tenants") == 0);

  if (self->account != NULL)
    label = luma_account_dup_label (self->account);
  if (is_superadmin (self) && tenant_open && self->tenant != NULL)
    {
      g_autofree char *with_tenant = g_strdup_printf ("%s · %s", self->tenant, label);

      adw_view_switcher_title_set_subtitle (self->switcher_title, with_tenant);
    }
  else
    {
      adw_view_switcher_title_set_subtitle (self->switcher_title, label);
    }
}

/* ---- Focus ---------------------------------------------------------------------------------- */

static GtkWidget *
visible_page (LumaWindow *self)
{
  GtkWidget *page = gtk_stack_get_visible_child (self->main_stack);

  if (page == GTK_WIDGET (self->view_stack))
    page = adw_view_stack_get_visible_child (self->view_stack);
  return page;
}

/* Focuses the first widget of @widget that takes focus and is shown, in the order of the
 * widget tree (a page's first row, field or button). */
static gboolean
focus_first (GtkWidget *widget)
{
  if (!gtk_widget_get_mapped (widget) || !gtk_widget_is_sensitive (widget) ||
      !gtk_widget_get_can_focus (widget))
    return FALSE;
  /* Scrolled windows, viewports and lists take focus only to pass it on: their rows first */
  if (gtk_widget_get_focusable (widget) && !GTK_IS_SCROLLED_WINDOW (widget) &&
      !GTK_IS_VIEWPORT (widget) && !GTK_IS_LIST_BOX (widget) && gtk_widget_grab_focus (widget))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (focus_first (child))
      return TRUE;

  return FALSE;
}

static gboolean
focus_idle_cb (gpointer user_data)
{
  LumaWindow *self = LUMA_WINDOW (user_data);
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));
  GtkWidget *page = visible_page (self);
  gboolean into_page = self->focus_into_page;
  gboolean to_search = self->focus_history_search;

  self->focus_idle = 0;
  self->focus_into_page = FALSE;
  self->focus_history_search = FALSE;
  if (page == NULL || !gtk_widget_get_visible (GTK_WIDGET (self)))
    return G_SOURCE_REMOVE;

  /* The history, just shown, puts the keyboard on its search, whatever the view stack did
   * with the focus meanwhile: it moves a focus it held in the page before on by one Tab
   * stop in the new page, past the search. */
  if (page == GTK_WIDGET (self->history_page) && to_search)
    {
      luma_history_page_focus_search (self->history_page);
      return G_SOURCE_REMOVE;
    }

  /* Focus already on the page shown stays. After a switch between a tenant's pages, focus in
   * the header bar or the banner stays too (the page switcher, Refresh); after a change of
   * the main page (connected, another account, Back) it goes into the new page, and focus on
   * a page that went away (or none) always does. */
  if (focus != NULL && gtk_widget_get_mapped (focus) &&
      (gtk_widget_is_ancestor (focus, page) ||
       (!into_page && !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->main_stack)))))
    return G_SOURCE_REMOVE;

  if (page == GTK_WIDGET (self->history_page))
    luma_history_page_focus_search (self->history_page);
  else if (page == GTK_WIDGET (self->tenants_page))
    luma_tenants_page_focus_search (self->tenants_page);
  else if (!(page == GTK_WIDGET (self->subscription_page) &&
             luma_subscription_page_focus_details (self->subscription_page)) &&
           !focus_first (page) && self->focus_retries < 40)
    {
      /* Nothing to focus yet (a loading page): again in a moment, unless the user moved the
       * focus meanwhile. */
      if (self->focus_retries == 0)
        g_set_weak_pointer (&self->focus_before, focus);
      if (self->focus_retries == 0 || self->focus_before == focus)
        {
          self->focus_retries++;
          self->focus_into_page = into_page;
          self->focus_idle = g_timeout_add (250, focus_idle_cb, self);
          return G_SOURCE_REMOVE;
        }
    }

  self->focus_retries = 0;
  g_clear_weak_pointer (&self->focus_before);
  return G_SOURCE_REMOVE;
}

/* After every change of page (a page switch, an account switch, Back, a closed dialog): the
 * keyboard focus should not be left on a page no longer shown, or nowhere. */
static void
queue_focus_check (LumaWindow *self)
{
  /* A new change of page starts over (a retry waiting for a loading page is dropped). */
  g_clear_handle_id (&self->focus_idle, g_source_remove);
  self->focus_retries = 0;
  g_clear_weak_pointer (&self->focus_before);
  self->focus_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, focus_idle_cb, self, NULL);
}

static void
main_stack_changed_cb (LumaWindow *self)
{
  update_header (self);
  self->focus_into_page = TRUE;
  queue_focus_check (self);
}

static void
view_stack_changed_cb (LumaWindow *self)
{
  self->focus_history_search = visible_page (self) == GTK_WIDGET (self->history_page);
  queue_focus_check (self);
}

static void
show_main (LumaWindow *self,
           const char *name)
{
  gtk_stack_set_visible_child_name (self->main_stack, name);
  update_header (self);
}

/* ---- Sync ----------------------------------------------------------------------------------- */

static void
update_sync_state (LumaWindow *self)
{
  gboolean running = self->sync != NULL && luma_sync_get_running (self->sync);
  gint64 done = self->sync != NULL ? luma_sync_get_done (self->sync) : 0;
  gint64 total = self->sync != NULL ? luma_sync_get_total (self->sync) : 0;
  gboolean long_sync;

  gtk_stack_set_visible_child_name (self->refresh_stack, running ? "spinner" : "button");
  gtk_spinner_set_spinning (self->sync_spinner, running);
  /* Stop is offered only while there is something to stop. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-sync", running);
  gtk_widget_set_visible (GTK_WIDGET (self->stop_sync_button), running);

  /* A progress bar only for the long syncs: a first one, or after a long time offline. */
  long_sync = running && luma_sync_get_phase (self->sync) == LUMA_SYNC_PHASE_CONSUMPTION &&
              total > 2 * LUMA_SYNC_DEFAULT_PAGE_LIMIT;
  gtk_widget_set_visible (GTK_WIDGET (self->sync_progress), long_sync);
  if (long_sync)
    {
      g_autofree char *d = luma_format_count (done);
      g_autofree char *t = luma_format_count (total);
      /* Translators: sync progress: "12,000 of 1,000,000 records" */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Syncing: %s of %s record",
                                                            "Syncing: %s of %s records",
                                                            luma_plural_n (total)),
                                               d, t);

      gtk_progress_bar_set_fraction (self->sync_progress, (double) done / total);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->sync_progress),
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->sync_progress), text);
    }
}

static void
update_offline (LumaWindow *self)
{
  gboolean offline = self->sync != NULL && luma_sync_get_offline (self->sync);

  gtk_revealer_set_reveal_child (self->offline_revealer, offline);
  update_header (self);
}

static void
sync_notify_cb (LumaWindow *self)
{
  update_sync_state (self);
  update_offline (self);
}

static void
reload_pages (LumaWindow *self)
{
  luma_subscription_page_reload (self->subscription_page);
  luma_purchases_page_reload (self->purchases_page);
  luma_breakdown_page_reload (self->breakdown_page);
  /* The history page follows LumaCache::history-changed by itself. */
}

static char *
describe_sync_error (const GError *error)
{
  if (error->domain == LUMA_API_ERROR)
    switch (error->code)
      {
      case LUMA_API_ERROR_AUTH:
        return g_strdup (_("The server refused the API key or password. Open Accounts to enter it again."));
      case LUMA_API_ERROR_FORBIDDEN:
        return g_strdup_printf (_("The server does not allow this: %s"), error->message);
      case LUMA_API_ERROR_TLS:
        /* The client's words already say the certificate is not trusted, and why. */
        return g_strdup (error->message);
      case LUMA_API_ERROR_RATE_LIMITED:
      case LUMA_API_ERROR_SERVER:
        return g_strdup (_("The server has a problem right now; the app tries again later."));
      default:
        break;
      }

  return g_strdup_printf (_("Sync failed: %s"), error->message);
}

/* What the session's sync did, told the way this window tells it. The notifications are the
 * session's: each window and the background mode see the same syncs. */
static void
sync_finished_cb (LumaWindow            *self,
                  const LumaSyncSummary *summary,
                  const GError          *error)
{
  if (self->sync == NULL)
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Stopped by the user: what was committed stays, and the next sync resumes from there.
       * Not an error, so no error message; other cancellations close the tenant. */
      if (self->sync_stopped)
        {
          self->sync_stopped = FALSE;
          self->ready = TRUE;
          update_sync_state (self);
          reload_pages (self);
          luma_window_add_toast (self, _("Sync stopped. Refresh to continue."));
          g_object_notify (G_OBJECT (self), "ready");
        }
      return;
    }

  self->ready = TRUE;
  update_sync_state (self);
  update_offline (self);
  reload_pages (self);

  if (summary == NULL)
    {
      if (g_error_matches (error, LUMA_SYNC_ERROR, LUMA_SYNC_ERROR_BUSY))
        return;
      if (!(error->domain == LUMA_API_ERROR &&
            (error->code == LUMA_API_ERROR_NETWORK || error->code == LUMA_API_ERROR_TIMEOUT)))
        {
          g_autofree char *message = describe_sync_error (error);

          luma_window_add_toast (self, message);
        }
      g_object_notify (G_OBJECT (self), "ready");
      return;
    }

  if (summary->conflict)
    luma_window_add_toast (self, _("The contacts changed on the server meanwhile: choose the version to keep"));
  else if (summary->contacts_pushed)
    luma_window_add_toast (self, _("The contacts saved offline were sent"));
  if (summary->license_type_changed && summary->total_records > 0)
    luma_history_page_reload (self->history_page);

  g_object_notify (G_OBJECT (self), "ready");
}

static void
run_sync (LumaWindow *self)
{
  if (self->session == NULL || self->sync == NULL)
    return;

  self->sync_stopped = FALSE;
  /* Joins the running sync, if any: its end is seen through ::sync-finished. */
  luma_session_sync_async (self->session, NULL, NULL, NULL);
  update_sync_state (self);
}

static void
cancel_sync (LumaWindow *self)
{
  if (self->sync == NULL || !luma_sync_get_running (self->sync))
    return;

  self->sync_stopped = TRUE;
  luma_session_cancel_sync (self->session);
}

/* ---- Opening a tenant ----------------------------------------------------------------------- */

static void
close_tenant (LumaWindow *self)
{
  g_cancellable_cancel (self->tenant_cancellable);
  g_clear_object (&self->tenant_cancellable);
  self->sync_stopped = FALSE;

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);

  luma_subscription_page_set_context (self->subscription_page, NULL, NULL, FALSE);
  luma_history_page_set_context (self->history_page, NULL, NULL);
  luma_purchases_page_set_sync (self->purchases_page, NULL);
  luma_purchases_page_set_cache (self->purchases_page, NULL);
  luma_breakdown_page_set_cache (self->breakdown_page, NULL);

  g_clear_object (&self->sync);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->tenant, g_free);
  self->ready = FALSE;
  update_sync_state (self);
  update_offline (self);
}

/* The session's open tenant on the pages. */
static void
show_tenant (LumaWindow *self)
{
  LumaCache *cache = luma_session_get_cache (self->session);

  close_tenant (self);
  self->tenant = g_strdup (luma_session_get_tenant (self->session));
  self->cache = g_object_ref (cache);
  self->sync = g_object_ref (luma_session_get_sync (self->session));
  if (luma_cache_was_rebuilt (cache))
    luma_window_add_toast (self, luma_cache_get_rebuild_message (cache));

  g_signal_connect_swapped (self->sync, "notify::running", G_CALLBACK (sync_notify_cb), self);
  g_signal_connect_swapped (self->sync, "notify::done", G_CALLBACK (sync_notify_cb), self);
  g_signal_connect_swapped (self->sync, "notify::total", G_CALLBACK (sync_notify_cb), self);
  g_signal_connect_swapped (self->sync, "notify::phase", G_CALLBACK (sync_notify_cb), self);
  g_signal_connect_swapped (self->sync, "notify::offline", G_CALLBACK (sync_notify_cb), self);

  /* What the cache has first, so the window is useful at once, even offline. */
  luma_subscription_page_set_context (self->subscription_page, cache, self->sync, is_superadmin (self));
  luma_history_page_set_context (self->history_page, cache, self->sync);
  luma_purchases_page_set_cache (self->purchases_page, cache);
  luma_purchases_page_set_sync (self->purchases_page, self->sync);
  luma_breakdown_page_set_cache (self->breakdown_page, cache);
  show_main (self, "tenant");
  /* A notification's "Show History" that started the app lands where it said. */
  if (self->pending_page != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, self->pending_page);
  g_clear_pointer (&self->pending_page, g_free);

  run_sync (self);
}

static void
tenant_opened_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LumaWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Another tenant was opened or the window closed meanwhile. */
  if (!luma_session_open_tenant_finish (LUMA_SESSION (source), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
        return;
      message = g_strdup_printf (_("Cannot open the local cache: %s"), error->message);
      luma_window_add_toast (self, message);
      show_main (self, is_superadmin (self) ? "tenants" : "account");
      return;
    }
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))) ||
      LUMA_SESSION (source) != self->session)
    return;
  show_tenant (self);
}

void
luma_window_open_tenant (LumaWindow *self,
                         const char *external_id)
{
  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (external_id != NULL);

  if (self->session == NULL || luma_session_get_client (self->session) == NULL)
    return;

  close_tenant (self);
  self->tenant_cancellable = g_cancellable_new ();
  adw_view_stack_set_visible_child_name (self->view_stack, "subscription");
  show_main (self, "loading");
  luma_session_open_tenant_async (self->session, external_id, self->tenant_cancellable,
                                  tenant_opened_cb, g_object_ref (self));
}

static void
tenant_activated_cb (LumaWindow     *self,
                     LumaTenantItem *item)
{
  luma_window_open_tenant (self, luma_tenant_item_get_summary (item)->external_id);
}

/* ---- Connecting an account ------------------------------------------------------------------ */

static void
ask_account (LumaWindow       *self,
             LumaAccountField  field,
             const char       *message)
{
  close_tenant (self);
  if (self->account != NULL)
    luma_account_page_prefill (self->account_page, self->account);
  if (message != NULL)
    luma_account_page_show_error (self->account_page, field, message);
  show_main (self, "account");
}

/* The started session on the pages: a tenant's, or a superadmin's list of tenants. */
static void
show_session (LumaWindow *self)
{
  if (!is_superadmin (self))
    {
      show_tenant (self);
      return;
    }

  show_main (self, "tenants");
  /* The tenant list is kept in the superadmin's own cache, for offline use. */
  luma_tenants_page_set_cache (self->tenants_page, luma_session_get_account_cache (self->session));
  luma_tenants_page_set_client (self->tenants_page, luma_session_get_client (self->session));
  update_header (self);
}

static void
session_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LumaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean tenant;

  if (!luma_session_start_finish (LUMA_SESSION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          LUMA_SESSION (source) != self->session)
        return;

      tenant = luma_account_get_kind (self->account) == LUMA_ACCOUNT_KIND_TENANT;
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_NO_CREDENTIALS))
        ask_account (self, tenant ? LUMA_ACCOUNT_FIELD_API_KEY : LUMA_ACCOUNT_FIELD_PASSWORD,
                     tenant ? _("No API access key is stored for this account: enter it to connect.")
                            : _("No password is stored for this account: enter it to connect."));
      else
        ask_account (self, LUMA_ACCOUNT_FIELD_SERVER, error->message);
      return;
    }
  if (LUMA_SESSION (source) != self->session || g_cancellable_is_cancelled (self->cancellable))
    return;
  show_session (self);
}

static void
detach_session (LumaWindow *self)
{
  close_tenant (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      /* Not gtk_window_get_application(): in dispose the window may have left it already. */
      if (self->application != NULL)
        luma_application_release_session (self->application, self->session, GTK_WINDOW (self));
    }
  g_clear_object (&self->session);
  luma_tenants_page_set_cache (self->tenants_page, NULL);
}

static void
start_session (LumaWindow *self)
{
  detach_session (self);
  update_header (self);

  if (self->account == NULL || self->application == NULL)
    {
      show_main (self, "account");
      return;
    }

  /* The application's session of the account: shared with the background mode. */
  self->session = luma_application_dup_session (self->application, self->account);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->session, "sync-finished", G_CALLBACK (sync_finished_cb), self,
                           G_CONNECT_SWAPPED);

  /* A superadmin's list shows its loading state at once; it fills once started. */
  show_main (self, is_superadmin (self) ? "tenants" : "loading");
  luma_session_start_async (self->session, self->cancellable, session_started_cb,
                            g_object_ref (self));
}

void
luma_window_set_account (LumaWindow  *self,
                         LumaAccount *account)
{
  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (account == NULL || LUMA_IS_ACCOUNT (account));

  g_set_object (&self->account, account);
  start_session (self);
  g_object_notify (G_OBJECT (self), "account");
}

LumaAccount *
luma_window_get_account (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->account;
}

LumaSession *
luma_window_get_session (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->session;
}

static void
account_connected_cb (LumaWindow  *self,
                      LumaAccount *account)
{
  luma_window_set_account (self, account);
}

static void
account_open_cb (LumaWindow  *self,
                 LumaAccount *account)
{
  GSettings *settings = get_settings (self);

  if (settings != NULL)
    g_settings_set_int (settings, "active-account", luma_account_list_add (settings, account));
  luma_window_set_account (self, account);
}

/* ---- Actions -------------------------------------------------------------------------------- */

static void
refresh_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_strcmp0 (page, "tenants") == 0)
    luma_tenants_page_refresh (self->tenants_page);
  else if (self->sync != NULL)
    run_sync (self);
  else if (self->account != NULL && get_client (self) == NULL)
    start_session (self);
}

static void
cancel_sync_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  cancel_sync (LUMA_WINDOW (widget));
}

static void
search_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_strcmp0 (page, "tenants") == 0)
    {
      luma_tenants_page_focus_search (self->tenants_page);
    }
  else if (g_strcmp0 (page, "tenant") == 0)
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "history");
      luma_history_page_focus_search (self->history_page);
    }
}

static void
show_history_filtered_action_cb (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);

  /* Also while the tenant opens: the history runs it once its cache is there. */
  luma_history_page_apply_filter (self->history_page, parameter);
  adw_view_stack_set_visible_child_name (self->view_stack, "history");
}

static void
back_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);

  if (!is_superadmin (self) || !confirm_leave (self, LEAVE_BACK))
    return;

  close_tenant (self);
  /* The session's too: else its timer keeps syncing and notifying the tenant left. */
  luma_session_close_tenant (self->session);
  show_main (self, "tenants");
  luma_tenants_page_refresh (self->tenants_page);
}

static void
accounts_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);

  if (!confirm_leave (self, LEAVE_ACCOUNTS))
    return;
  luma_account_page_set_settings (self->account_page, get_settings (self));
  show_main (self, "account");
}

static void
show_history_action_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  luma_window_show_page (LUMA_WINDOW (widget), "history");
}

static void
show_page_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  luma_window_show_page (LUMA_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
refilled_cb (LumaRefillDialog *dialog,
             gpointer          result,
             LumaWindow       *self)
{
  const LumaRefillResult *refill = result;
  g_autofree char *message = luma_format_refill_done (refill->purchase->change, refill->total_purchase);

  luma_window_add_toast (self, message);
  run_sync (self);
}

static void
show_toast_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  luma_window_add_toast (LUMA_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
file_opened_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LumaWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (self), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot open the file: %s"), error->message);

      luma_window_add_toast (self, message);
    }
}

/* win.open-file (path): the file in the default application for its type. */
static void
open_file_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri_full (GTK_WINDOW (self), uri, GDK_CURRENT_TIME, NULL, file_opened_cb,
                     g_object_ref (self));
}

static void
show_file_toast_action_cb (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  const char *message, *path;
  g_autoptr(GFile) file = NULL;

  g_variant_get (parameter, "(&s&s)", &message, &path);
  file = g_file_new_for_path (path);
  luma_window_add_file_toast (LUMA_WINDOW (widget), message, file);
}

/* ---- Unsaved contact edits ------------------------------------------------------------------ */

static LumaContactsEditor *
get_editor (LumaWindow *self)
{
  return luma_subscription_page_get_contacts_editor (self->subscription_page);
}

static void
leave (LumaWindow  *self,
       LeaveAction  action)
{
  switch (action)
    {
    case LEAVE_CLOSE:
      gtk_window_close (GTK_WINDOW (self));
      break;
    case LEAVE_ACCOUNTS:
      gtk_widget_activate_action (GTK_WIDGET (self), "win.accounts", NULL);
      break;
    case LEAVE_BACK:
      gtk_widget_activate_action (GTK_WIDGET (self), "win.back", NULL);
      break;
    case LEAVE_NONE:
    default:
      break;
    }
}

static gboolean
leave_idle_cb (gpointer user_data)
{
  LumaWindow *self = LUMA_WINDOW (user_data);
  LeaveAction action = self->leave_after_idle;

  self->leave_after_idle = LEAVE_NONE;
  leave (self, action);
  return G_SOURCE_REMOVE;
}

static void
show_editor (LumaWindow *self)
{
  luma_window_show_page (self, "subscription");
  luma_contacts_editor_focus (get_editor (self));
}

static void
contacts_saved_cb (LumaWindow *self)
{
  LeaveAction action = self->leave_after_save;

  self->leave_after_save = LEAVE_NONE;
  leave (self, action);
}

static void
contacts_save_failed_cb (LumaWindow *self)
{
  /* The edit goes on, with the reasons on its rows. */
  if (self->leave_after_save != LEAVE_NONE)
    show_editor (self);
  self->leave_after_save = LEAVE_NONE;
}

static void
leave_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   LumaWindow       *self)
{
  LeaveAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "leave-action"));
  LumaContactsEditor *editor = get_editor (self);

  self->leave_dialog = NULL;
  if (g_strcmp0 (response, "save") == 0 && luma_contacts_editor_can_save (editor))
    {
      self->leave_after_save = action;
      luma_contacts_editor_save (editor);
    }
  else if (g_strcmp0 (response, "discard") == 0)
    {
      luma_contacts_editor_cancel (editor);
      /* After the dialog is gone: closing its parent under it would leave it dangling. */
      self->leave_after_idle = action;
      g_idle_add_full (G_PRIORITY_DEFAULT, leave_idle_cb, g_object_ref (self), g_object_unref);
    }
  else
    {
      show_editor (self);
    }
}

/* TRUE when @action may go on at once; else asks what to do with the unsaved contact edits
 * (Save, Discard, Cancel) and does @action after Save or Discard. */
static gboolean
confirm_leave (LumaWindow  *self,
               LeaveAction  action)
{
  LumaContactsEditor *editor = get_editor (self);
  AdwMessageDialog *dialog;

  if (editor == NULL || !luma_contacts_editor_get_modified (editor))
    return TRUE;
  /* A save is under way for an earlier request, or the question is already asked. */
  if (luma_contacts_editor_get_busy (editor) || self->leave_dialog != NULL)
    {
      if (self->leave_dialog != NULL)
        gtk_window_present (self->leave_dialog);
      return FALSE;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Save the Contacts?"),
                                                       _("The email lists have changes that are not saved yet.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  /* Lists with a problem cannot be saved: fix them (Cancel) or drop them. */
  adw_message_dialog_set_response_enabled (dialog, "save", luma_contacts_editor_can_save (editor));
  adw_message_dialog_set_default_response (dialog, luma_contacts_editor_can_save (editor) ? "save" : "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  if (!luma_contacts_editor_can_save (editor))
    adw_message_dialog_set_body (dialog, _("The email lists have changes that are not saved yet, and "
                                           "some addresses need fixing before they can be saved."));
  g_object_set_data (G_OBJECT (dialog), "leave-action", GINT_TO_POINTER (action));
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_response_cb), self, 0);
  self->leave_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));

  return FALSE;
}

gboolean
luma_window_get_unsaved (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), FALSE);
  return luma_contacts_editor_get_modified (get_editor (self));
}

static void
refill_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);
  const LumaSubscription *s = luma_subscription_page_get_subscription (self->subscription_page);
  LumaRefillDialog *dialog;

  /* Only a superadmin ever gets here: the action is disabled otherwise. */
  if (!is_superadmin (self) || get_client (self) == NULL || s == NULL)
    return;

  dialog = luma_refill_dialog_new (get_client (self), s);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  g_signal_connect_object (dialog, "refilled", G_CALLBACK (refilled_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Accessors ------------------------------------------------------------------------------ */

LumaApiClient *
luma_window_get_client (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return get_client (self);
}

LumaCache *
luma_window_get_cache (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->cache;
}

LumaSync *
luma_window_get_sync (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->sync;
}

const char *
luma_window_get_page (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

void
luma_window_show_page (LumaWindow *self,
                       const char *tenant_page)
{
  g_return_if_fail (LUMA_IS_WINDOW (self));

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "tenant") == 0)
    {
      adw_view_stack_set_visible_child_name (self->view_stack, tenant_page);
      return;
    }
  /* Still connecting: shown with the tenant's pages. */
  g_free (self->pending_page);
  self->pending_page = g_strdup (tenant_page);
}

GtkWidget *
luma_window_get_page_widget (LumaWindow *self,
                             const char *name)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);

  if (g_strcmp0 (name, "account") == 0)
    return GTK_WIDGET (self->account_page);
  if (g_strcmp0 (name, "tenants") == 0)
    return GTK_WIDGET (self->tenants_page);
  if (g_strcmp0 (name, "subscription") == 0)
    return GTK_WIDGET (self->subscription_page);
  if (g_strcmp0 (name, "history") == 0)
    return GTK_WIDGET (self->history_page);
  if (g_strcmp0 (name, "purchases") == 0)
    return GTK_WIDGET (self->purchases_page);
  if (g_strcmp0 (name, "breakdown") == 0)
    return GTK_WIDGET (self->breakdown_page);
  return NULL;
}

const char *
luma_window_get_tenant (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->tenant;
}

gboolean
luma_window_get_offline (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), FALSE);
  return gtk_revealer_get_reveal_child (self->offline_revealer);
}

gboolean
luma_window_get_ready (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), FALSE);
  return self->ready;
}

/* ---- GObject -------------------------------------------------------------------------------- */

enum { PROP_0, PROP_ACCOUNT, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
luma_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LumaWindow *self = LUMA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
luma_window_dispose (GObject *object)
{
  LumaWindow *self = LUMA_WINDOW (object);

  if (self->history_page != NULL)
    detach_session (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->account);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->pending_page, g_free);
  g_clear_handle_id (&self->focus_idle, g_source_remove);
  g_clear_weak_pointer (&self->focus_before);

  G_OBJECT_CLASS (luma_window_parent_class)->dispose (object);
}

static void
luma_window_class_init (LumaWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = luma_window_dispose;
  object_class->get_property = luma_window_get_property;
  window_class->close_request = luma_window_close_request;

  properties[PROP_ACCOUNT] = g_param_spec_object ("account", NULL, NULL, LUMA_TYPE_ACCOUNT,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LUMA_TYPE_ACCOUNT_PAGE);
  g_type_ensure (LUMA_TYPE_TENANTS_PAGE);
  g_type_ensure (LUMA_TYPE_SUBSCRIPTION_PAGE);
  g_type_ensure (LUMA_TYPE_HISTORY_PAGE);
  g_type_ensure (LUMA_TYPE_PURCHASES_PAGE);
  g_type_ensure (LUMA_TYPE_BREAKDOWN_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, refresh_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, sync_spinner);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, stop_sync_button);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, sync_progress);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, tenants_page);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, subscription_page);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, purchases_page);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, breakdown_page);
  gtk_widget_class_bind_template_callback (widget_class, main_stack_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, view_stack_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, account_connected_cb);
  gtk_widget_class_bind_template_callback (widget_class, account_open_cb);
  gtk_widget_class_bind_template_callback (widget_class, tenant_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action_cb);
  gtk_widget_class_install_action (widget_class, "win.cancel-sync", NULL, cancel_sync_action_cb);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action_cb);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action_cb);
  gtk_widget_class_install_action (widget_class, "win.accounts", NULL, accounts_action_cb);
  gtk_widget_class_install_action (widget_class, "win.show-history", NULL, show_history_action_cb);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action_cb);
  gtk_widget_class_install_action (widget_class, "win.show-history-filtered", "a{sv}",
                                   show_history_filtered_action_cb);
  gtk_widget_class_install_action (widget_class, "win.refill", NULL, refill_action_cb);
  /* For the pages and their widgets (luma_widget_show_toast()): they do not know the window. */
  gtk_widget_class_install_action (widget_class, "win.show-toast", "s", show_toast_action_cb);
  /* A toast about a file written (message, path), with Open; and Open itself (path). */
  gtk_widget_class_install_action (widget_class, "win.show-file-toast", "(ss)", show_file_toast_action_cb);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", open_file_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "subscription");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "history");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "purchases");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.back", NULL);
}

static void
luma_window_init (LumaWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-sync", FALSE);
  g_signal_connect_object (get_editor (self), "saved", G_CALLBACK (contacts_saved_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (get_editor (self), "save-failed", G_CALLBACK (contacts_save_failed_cb),
                           self, G_CONNECT_SWAPPED);
}

LumaWindow *
luma_window_new (LumaApplication *application,
                 LumaAccount     *account)
{
  LumaWindow *self;
  GSettings *settings;

  g_return_val_if_fail (LUMA_IS_APPLICATION (application), NULL);

  self = g_object_new (LUMA_TYPE_WINDOW,
                       "application", application,
                       NULL);
  self->application = application;
  settings = luma_application_get_settings (application);
  luma_account_page_set_settings (self->account_page, settings);
  luma_history_page_set_settings (self->history_page, settings);
  restore_window_state (self);
  luma_window_set_account (self, account);

  return self;
}
