/* luma-window.c: the main window, one per account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-window.h"

struct _LumaWindow
{
  AdwApplicationWindow  parent_instance;

  LumaAccount          *account;
  GCancellable         *cancellable;

  AdwHeaderBar         *header_bar;
  GtkButton            *back_button;
  GtkStack             *refresh_stack;
  GtkSpinner           *sync_spinner;
  AdwViewSwitcherTitle *switcher_title;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkProgressBar       *sync_progress;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
};

G_DEFINE_FINAL_TYPE (LumaWindow, luma_window, ADW_TYPE_APPLICATION_WINDOW)

static GSettings *
get_settings (LumaWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!LUMA_IS_APPLICATION (app))
    return NULL;

  return luma_application_get_settings (LUMA_APPLICATION (app));
}

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

static gboolean
luma_window_close_request (GtkWindow *window)
{
  LumaWindow *self = LUMA_WINDOW (window);

  save_window_state (self);
  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (luma_window_parent_class)->close_request (window);
}

static void
update_title (LumaWindow *self)
{
  g_autofree char *label = NULL;

  if (self->account != NULL)
    label = luma_account_dup_label (self->account);
  adw_view_switcher_title_set_subtitle (self->switcher_title, label);
}

void
luma_window_set_account (LumaWindow  *self,
                         LumaAccount *account)
{
  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (account == NULL || LUMA_IS_ACCOUNT (account));

  if (!g_set_object (&self->account, account))
    return;

  update_title (self);
  if (account == NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "account");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "tenant");
}

LumaAccount *
luma_window_get_account (LumaWindow *self)
{
  g_return_val_if_fail (LUMA_IS_WINDOW (self), NULL);
  return self->account;
}

void
luma_window_add_toast (LumaWindow *self,
                       const char *message)
{
  g_return_if_fail (LUMA_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
refresh_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
}

static void
search_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
}

static void
back_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
}

static void
accounts_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  LumaWindow *self = LUMA_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "account");
}

static void
luma_window_dispose (GObject *object)
{
  LumaWindow *self = LUMA_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (luma_window_parent_class)->dispose (object);
}

static void
luma_window_class_init (LumaWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = luma_window_dispose;
  window_class->close_request = luma_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, refresh_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, sync_spinner);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, sync_progress);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaWindow, view_stack);

  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action_cb);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action_cb);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action_cb);
  gtk_widget_class_install_action (widget_class, "win.accounts", NULL, accounts_action_cb);
}

static void
luma_window_init (LumaWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

LumaWindow *
luma_window_new (LumaApplication *application,
                 LumaAccount     *account)
{
  LumaWindow *self;

  g_return_val_if_fail (LUMA_IS_APPLICATION (application), NULL);

  self = g_object_new (LUMA_TYPE_WINDOW,
                       "application", application,
                       NULL);
  restore_window_state (self);
  gtk_stack_set_visible_child_name (self->main_stack, "account");
  luma_window_set_account (self, account);

  return self;
}
