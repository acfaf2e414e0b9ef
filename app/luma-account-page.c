/* luma-account-page.c: first run and accounts: connect as a Tenant Administrator or a Superadmin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-account-page.h"
#include "luma-credentials.h"
#include "luma-session.h"

struct _LumaAccountPage
{
  GtkWidget            parent_instance;

  GSettings           *settings;
  GCancellable        *cancellable;
  LumaAccount         *pending;       /* the account being tried */
  char                *tried_server;  /* its address: errors name it, not the field's text */
  gboolean             busy;

  GtkToggleButton     *tenant_toggle;
  GtkToggleButton     *superadmin_toggle;
  AdwEntryRow         *server_row;
  AdwPreferencesGroup *tenant_group;
  AdwEntryRow         *tenant_row;
  AdwPasswordEntryRow *key_row;
  AdwPreferencesGroup *superadmin_group;
  AdwEntryRow         *user_row;
  AdwPasswordEntryRow *password_row;
  GtkLabel            *server_error;
  GtkLabel            *tenant_error;
  GtkLabel            *key_error;
  GtkLabel            *user_error;
  GtkLabel            *password_error;
  GtkLabel            *general_error;
  GtkButton           *connect_button;
  GtkButton           *cancel_button;
  GtkSpinner          *spinner;
  AdwPreferencesGroup *saved_group;
  GtkListBox          *saved_list;
};

G_DEFINE_FINAL_TYPE (LumaAccountPage, luma_account_page, GTK_TYPE_WIDGET)

enum { SIGNAL_CONNECTED, SIGNAL_OPEN, N_SIGNALS };
static guint signals[N_SIGNALS];

static GtkLabel *
error_label (LumaAccountPage  *self,
             LumaAccountField  field)
{
  switch (field)
    {
    case LUMA_ACCOUNT_FIELD_SERVER: return self->server_error;
    case LUMA_ACCOUNT_FIELD_TENANT: return self->tenant_error;
    case LUMA_ACCOUNT_FIELD_API_KEY: return self->key_error;
    case LUMA_ACCOUNT_FIELD_USER: return self->user_error;
    case LUMA_ACCOUNT_FIELD_PASSWORD: return self->password_error;
    case LUMA_ACCOUNT_FIELD_NONE:
    default: return self->general_error;
    }
}

static GtkWidget *
field_row (LumaAccountPage  *self,
           LumaAccountField  field)
{
  switch (field)
    {
    case LUMA_ACCOUNT_FIELD_SERVER: return GTK_WIDGET (self->server_row);
    case LUMA_ACCOUNT_FIELD_TENANT: return GTK_WIDGET (self->tenant_row);
    case LUMA_ACCOUNT_FIELD_API_KEY: return GTK_WIDGET (self->key_row);
    case LUMA_ACCOUNT_FIELD_USER: return GTK_WIDGET (self->user_row);
    case LUMA_ACCOUNT_FIELD_PASSWORD: return GTK_WIDGET (self->password_row);
    case LUMA_ACCOUNT_FIELD_NONE:
    default: return NULL;
    }
}

static void
clear_errors (LumaAccountPage *self)
{
  for (LumaAccountField f = LUMA_ACCOUNT_FIELD_NONE; f <= LUMA_ACCOUNT_FIELD_PASSWORD; f++)
    {
      GtkWidget *row = field_row (self, f);

      gtk_widget_set_visible (GTK_WIDGET (error_label (self, f)), FALSE);
      if (row != NULL)
        {
          gtk_widget_remove_css_class (row, "error");
          gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
        }
    }
}

void
luma_account_page_show_error (LumaAccountPage  *self,
                              LumaAccountField  field,
                              const char       *message)
{
  GtkLabel *label;
  GtkWidget *row;

  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  label = error_label (self, field);
  row = field_row (self, field);
  gtk_label_set_label (label, message);
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (row != NULL)
    {
      gtk_widget_add_css_class (row, "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (row),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                   -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                      -1);
      gtk_widget_grab_focus (row);
    }
}

const char *
luma_account_page_get_error (LumaAccountPage  *self,
                             LumaAccountField  field)
{
  GtkLabel *label;

  g_return_val_if_fail (LUMA_IS_ACCOUNT_PAGE (self), NULL);

  label = error_label (self, field);
  return gtk_widget_get_visible (GTK_WIDGET (label)) ? gtk_label_get_label (label) : NULL;
}

static LumaAccountKind
get_kind (LumaAccountPage *self)
{
  return gtk_toggle_button_get_active (self->superadmin_toggle) ? LUMA_ACCOUNT_KIND_SUPERADMIN
                                                                : LUMA_ACCOUNT_KIND_TENANT;
}

static void
kind_toggled_cb (LumaAccountPage *self)
{
  gboolean superadmin = get_kind (self) == LUMA_ACCOUNT_KIND_SUPERADMIN;

  gtk_widget_set_visible (GTK_WIDGET (self->tenant_group), !superadmin);
  gtk_widget_set_visible (GTK_WIDGET (self->superadmin_group), superadmin);
  clear_errors (self);
}

static void
field_changed_cb (LumaAccountPage *self)
{
  if (!self->busy)
    clear_errors (self);
}

void
luma_account_page_set_kind (LumaAccountPage *self,
                            LumaAccountKind  kind)
{
  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  gtk_toggle_button_set_active (kind == LUMA_ACCOUNT_KIND_SUPERADMIN ? self->superadmin_toggle
                                                                     : self->tenant_toggle,
                                TRUE);
}

void
luma_account_page_set_field (LumaAccountPage  *self,
                             LumaAccountField  field,
                             const char       *text)
{
  GtkWidget *row;

  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  row = field_row (self, field);
  if (row != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
}

void
luma_account_page_prefill (LumaAccountPage *self,
                           LumaAccount     *account)
{
  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (LUMA_IS_ACCOUNT (account));

  luma_account_page_set_kind (self, luma_account_get_kind (account));
  luma_account_page_set_field (self, LUMA_ACCOUNT_FIELD_SERVER, luma_account_get_server (account));
  if (luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_TENANT)
    luma_account_page_set_field (self, LUMA_ACCOUNT_FIELD_TENANT, luma_account_get_identity (account));
  else
    luma_account_page_set_field (self, LUMA_ACCOUNT_FIELD_USER, luma_account_get_identity (account));
}

gboolean
luma_account_page_get_busy (LumaAccountPage *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT_PAGE (self), FALSE);
  return self->busy;
}

static void
set_busy (LumaAccountPage *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
}

/* The words for a failed connection, and the field at fault. */
static LumaAccountField
explain_error (LumaAccountPage  *self,
               const GError     *error,
               char            **message_out)
{
  gboolean superadmin = get_kind (self) == LUMA_ACCOUNT_KIND_SUPERADMIN;
  const char *code = error->domain == LUMA_API_ERROR ? luma_api_error_get_server_code (error) : NULL;
  const char *url = self->tried_server != NULL ? self->tried_server : "";

  if (error->domain != LUMA_API_ERROR)
    {
      *message_out = g_strdup (error->message);
      return LUMA_ACCOUNT_FIELD_NONE;
    }

  switch (error->code)
    {
    case LUMA_API_ERROR_NETWORK:
    case LUMA_API_ERROR_TIMEOUT:
      /* Translators: %s is the server address that was tried */
      *message_out = g_strdup_printf (_("The server at %s cannot be reached. Check the address and your network connection."), url);
      return LUMA_ACCOUNT_FIELD_SERVER;
    case LUMA_API_ERROR_TLS:
      /* Already "The server’s certificate is not trusted: why", with the address tried. */
      *message_out = g_strdup (error->message);
      return LUMA_ACCOUNT_FIELD_SERVER;
    case LUMA_API_ERROR_INSECURE_URL:
      /* Translators: %s is the server address that was tried */
      *message_out = g_strdup_printf (_("%s is not encrypted. Use an https:// address: unencrypted http:// is only allowed for this computer."), url);
      return LUMA_ACCOUNT_FIELD_SERVER;
    case LUMA_API_ERROR_INVALID_URL:
      *message_out = g_strdup (_("This is not a server address. Enter it as https://luma.example.com"));
      return LUMA_ACCOUNT_FIELD_SERVER;
    case LUMA_API_ERROR_NOT_FOUND:
    case LUMA_API_ERROR_PROTOCOL:
    case LUMA_API_ERROR_BAD_REQUEST:
      /* Translators: %s is the server address that was tried */
      *message_out = g_strdup_printf (_("No Luma server answers at %s."), url);
      return LUMA_ACCOUNT_FIELD_SERVER;
    case LUMA_API_ERROR_AUTH:
      if (superadmin)
        {
          *message_out = g_strdup (_("The user name or the password is wrong."));
          return LUMA_ACCOUNT_FIELD_PASSWORD;
        }
      *message_out = g_strdup (_("This API access key is not valid for this tenant."));
      return LUMA_ACCOUNT_FIELD_API_KEY;
    case LUMA_API_ERROR_FORBIDDEN:
      if (g_strcmp0 (code, "WRONG_TENANT") == 0)
        {
          *message_out = g_strdup (_("This key belongs to another tenant."));
          return LUMA_ACCOUNT_FIELD_TENANT;
        }
      if (g_strcmp0 (code, "KEY_INACTIVE") == 0)
        {
          *message_out = g_strdup (_("This API access key is inactive. Activate it in Luma, or create a new one."));
          return LUMA_ACCOUNT_FIELD_API_KEY;
        }
      if (g_strcmp0 (code, "PERMISSION_DENIED") == 0)
        {
          *message_out = g_strdup (_("This API access key lacks the Tenant Settings permission."));
          return LUMA_ACCOUNT_FIELD_API_KEY;
        }
      *message_out = g_strdup (_("The server does not allow this account to see the subscription."));
      return superadmin ? LUMA_ACCOUNT_FIELD_USER : LUMA_ACCOUNT_FIELD_API_KEY;
    case LUMA_API_ERROR_RATE_LIMITED:
    case LUMA_API_ERROR_SERVER:
      /* Translators: %s is the server address that was tried */
      *message_out = g_strdup_printf (_("The server at %s has a problem right now. Try again in a few minutes."), url);
      return LUMA_ACCOUNT_FIELD_NONE;
    default:
      *message_out = g_strdup (error->message);
      return LUMA_ACCOUNT_FIELD_NONE;
    }
}

static void
finish_connected (LumaAccountPage *self)
{
  g_autoptr(LumaAccount) account = g_steal_pointer (&self->pending);
  int index;

  set_busy (self, FALSE);

  if (self->settings != NULL)
    {
      index = luma_account_list_add (self->settings, account);
      g_settings_set_int (self->settings, "active-account", index);
    }

  /* The form is done with the secret. */
  luma_account_page_set_field (self, LUMA_ACCOUNT_FIELD_API_KEY, "");
  luma_account_page_set_field (self, LUMA_ACCOUNT_FIELD_PASSWORD, "");

  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0, account);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LumaAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  LumaAccount *account = self->pending;
  gboolean ok;

  if (account == NULL)
    return;

  if (luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_TENANT)
    ok = luma_credentials_store_api_key_finish (result, &error);
  else
    ok = luma_credentials_store_password_finish (result, &error);

  if (!ok)
    {
      /* No keyring: keep the secret for this session only, and carry on. */
      luma_credentials_remember_for_session (luma_account_get_server (account),
                                             luma_account_get_identity (account),
                                             luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN,
                                             luma_account_get_secret (account));
      g_message ("The secret is kept for this session only: %s", error->message);
    }

  finish_connected (self);
}

static void
store_secret (LumaAccountPage *self)
{
  LumaAccount *account = self->pending;

  if (luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_TENANT)
    luma_credentials_store_api_key_async (luma_account_get_server (account),
                                          luma_account_get_identity (account),
                                          luma_account_get_secret (account),
                                          self->cancellable, stored_cb, g_object_ref (self));
  else
    luma_credentials_store_password_async (luma_account_get_server (account),
                                           luma_account_get_identity (account),
                                           luma_account_get_secret (account),
                                           self->cancellable, stored_cb, g_object_ref (self));
}

static void
check_done (LumaAccountPage *self,
            GError          *error)
{
  g_autofree char *message = NULL;
  LumaAccountField field;

  if (error == NULL)
    {
      store_secret (self);
      return;
    }

  set_busy (self, FALSE);
  g_clear_object (&self->pending);
  field = explain_error (self, error, &message);
  luma_account_page_show_error (self, field, message);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LumaAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;

  luma_session_check_finish (result, &error);
  /* Cancelled: by the Cancel button, which already said so, or the page went away. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  check_done (self, error);
}

void
luma_account_page_connect (LumaAccountPage *self)
{
  g_autofree char *server = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *trimmed = NULL;
  LumaAccountKind kind;
  const char *identity;
  const char *secret;
  LumaAccountField identity_field, secret_field;

  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  if (self->busy)
    return;

  clear_errors (self);
  kind = get_kind (self);
  server = luma_account_normalize_server (gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  if (kind == LUMA_ACCOUNT_KIND_TENANT)
    {
      identity = gtk_editable_get_text (GTK_EDITABLE (self->tenant_row));
      secret = gtk_editable_get_text (GTK_EDITABLE (self->key_row));
      identity_field = LUMA_ACCOUNT_FIELD_TENANT;
      secret_field = LUMA_ACCOUNT_FIELD_API_KEY;
    }
  else
    {
      identity = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
      secret = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
      identity_field = LUMA_ACCOUNT_FIELD_USER;
      secret_field = LUMA_ACCOUNT_FIELD_PASSWORD;
    }

  if (*server == '\0')
    {
      luma_account_page_show_error (self, LUMA_ACCOUNT_FIELD_SERVER, _("Enter the address of the Luma server."));
      return;
    }
  trimmed = g_strstrip (g_strdup (identity != NULL ? identity : ""));
  if (*trimmed == '\0')
    {
      luma_account_page_show_error (self, identity_field,
                                    kind == LUMA_ACCOUNT_KIND_TENANT
                                    ? _("Enter the tenant’s ID (its external ID in Luma).")
                                    : _("Enter your user name."));
      return;
    }
  if (secret == NULL || *secret == '\0')
    {
      luma_account_page_show_error (self, secret_field,
                                    kind == LUMA_ACCOUNT_KIND_TENANT
                                    ? _("Enter the API access key created in Luma.")
                                    : _("Enter your password."));
      return;
    }

  self->pending = luma_account_new (kind, server, identity);
  luma_account_set_secret (self->pending, secret);
  g_free (self->tried_server);
  self->tried_server = g_strdup (luma_account_get_server (self->pending));
  set_busy (self, TRUE);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->settings != NULL)
    ca = g_settings_get_string (self->settings, "ca-file");
  /* One real request with a short time-out proves the address, the identity and the secret;
   * nothing is written before it answered. */
  luma_session_check_async (self->pending, ca, self->cancellable, checked_cb, g_object_ref (self));
}

/* Enter in a field goes on to the next empty one, as a person filling the form in order
 * expects; with nothing empty after it, Enter connects (and names any field still missing). */
static void
field_activated_cb (LumaAccountPage *self,
                    GtkWidget       *row)
{
  GtkWidget *order[3];
  gboolean after = FALSE;

  order[0] = GTK_WIDGET (self->server_row);
  if (get_kind (self) == LUMA_ACCOUNT_KIND_TENANT)
    {
      order[1] = GTK_WIDGET (self->tenant_row);
      order[2] = GTK_WIDGET (self->key_row);
    }
  else
    {
      order[1] = GTK_WIDGET (self->user_row);
      order[2] = GTK_WIDGET (self->password_row);
    }

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autofree char *text = NULL;

      if (order[i] == row)
        {
          after = TRUE;
          continue;
        }
      if (!after)
        continue;
      text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (order[i]))));
      if (*text == '\0')
        {
          gtk_widget_grab_focus (order[i]);
          return;
        }
    }

  luma_account_page_connect (self);
}

void
luma_account_page_cancel (LumaAccountPage *self)
{
  g_autofree char *message = NULL;

  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  if (!self->busy)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pending);
  set_busy (self, FALSE);
  /* Translators: %s is the server address that was tried */
  message = g_strdup_printf (_("Connecting to %s was cancelled."), self->tried_server);
  luma_account_page_show_error (self, LUMA_ACCOUNT_FIELD_NONE, message);
}

const char *
luma_account_page_get_tried_server (LumaAccountPage *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT_PAGE (self), NULL);
  return self->tried_server;
}

/* ---- Saved accounts ------------------------------------------------------------------------- */

static void
forget_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    LumaAccountPage  *self)
{
  LumaAccount *account = g_object_get_data (G_OBJECT (dialog), "account");

  if (g_strcmp0 (response, "forget") != 0 || account == NULL)
    return;

  /* The application forgets it: the session's keyring item and cache files, then the settings entry. */
  gtk_widget_activate_action (GTK_WIDGET (self), "app.forget-account", "(sss)",
                              luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN
                              ? "superadmin" : "tenant",
                              luma_account_get_server (account),
                              luma_account_get_identity (account));
}

/* Asks first, saying what goes. Returns the dialog, for tests. */
GtkWidget *
luma_account_page_ask_forget (LumaAccountPage *self,
                              LumaAccount     *account)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *label = luma_account_dup_label (account);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  g_return_val_if_fail (LUMA_IS_ACCOUNT_PAGE (self), NULL);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (account), NULL);

  /* Translators: %s names an account, e.g. "acme on luma.example" */
  heading = g_strdup_printf (_("Forget %s?"), label);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, NULL);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               luma_account_get_kind (account) == LUMA_ACCOUNT_KIND_SUPERADMIN
                               ? _("The saved password is removed from the keyring, and the cached "
                                   "history of its tenants is deleted from this computer, with the "
                                   "user names, emails and conversation transcripts in it. The "
                                   "data on the server stays.")
                               : _("The saved API access key is removed from the keyring, and the "
                                   "cached history is deleted from this computer, with the user "
                                   "names, emails and conversation transcripts in it. The data on "
                                   "the server stays."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "forget", _("_Forget"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "account", g_object_ref (account), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (forget_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
remove_saved_clicked_cb (GtkButton       *button,
                         LumaAccountPage *self)
{
  LumaAccount *account = g_object_get_data (G_OBJECT (button), "account");

  if (account != NULL)
    luma_account_page_ask_forget (self, account);
}

static void
fill_saved (LumaAccountPage *self)
{
  g_autoptr(GPtrArray) accounts = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->saved_list))) != NULL)
    gtk_list_box_remove (self->saved_list, child);

  if (self->settings == NULL)
    return;

  accounts = luma_account_list_load (self->settings);
  for (guint i = 0; i < accounts->len; i++)
    {
      LumaAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *label = luma_account_dup_label (account);
      g_autofree char *remove_label = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), luma_account_get_server (account));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "account", g_object_ref (account), g_object_unref);

      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Forget this account"));
      /* Translators: %s names an account */
      remove_label = g_strdup_printf (_("Forget %s"), label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
      g_object_set_data_full (G_OBJECT (remove), "account", g_object_ref (account), g_object_unref);
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_saved_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));

      gtk_list_box_append (self->saved_list, row);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->saved_group), accounts->len > 0);
}

static void
saved_activated_cb (LumaAccountPage *self,
                    GtkListBoxRow   *row)
{
  LumaAccount *account = g_object_get_data (G_OBJECT (row), "account");

  if (account != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN], 0, account);
}

static void
settings_changed_cb (LumaAccountPage *self,
                     const char      *key)
{
  if (g_strcmp0 (key, "accounts") == 0)
    fill_saved (self);
}

void
luma_account_page_set_settings (LumaAccountPage *self,
                                GSettings       *settings)
{
  g_return_if_fail (LUMA_IS_ACCOUNT_PAGE (self));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_func (self->settings, settings_changed_cb, self);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_signal_connect_object (settings, "changed", G_CALLBACK (settings_changed_cb), self,
                             G_CONNECT_SWAPPED);
  fill_saved (self);
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
luma_account_page_dispose (GObject *object)
{
  LumaAccountPage *self = LUMA_ACCOUNT_PAGE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_ACCOUNT_PAGE);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->settings);
  g_clear_object (&self->pending);
  g_clear_pointer (&self->tried_server, g_free);

  G_OBJECT_CLASS (luma_account_page_parent_class)->dispose (object);
}

static void
luma_account_page_class_init (LumaAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_account_page_dispose;

  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, LUMA_TYPE_ACCOUNT);
  signals[SIGNAL_OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, LUMA_TYPE_ACCOUNT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, tenant_toggle);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, superadmin_toggle);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, tenant_group);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, tenant_row);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, key_row);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, superadmin_group);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, user_row);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, server_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, tenant_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, key_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, user_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, password_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, general_error);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, connect_button);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, saved_group);
  gtk_widget_class_bind_template_child (widget_class, LumaAccountPage, saved_list);
  gtk_widget_class_bind_template_callback (widget_class, kind_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, luma_account_page_connect);
  gtk_widget_class_bind_template_callback (widget_class, luma_account_page_cancel);
  gtk_widget_class_bind_template_callback (widget_class, saved_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_activated_cb);
}

static void
luma_account_page_init (LumaAccountPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
  luma_a11y_name_from_mnemonic (GTK_BUTTON (self->tenant_toggle));
  luma_a11y_name_from_mnemonic (GTK_BUTTON (self->superadmin_toggle));
  luma_a11y_name_from_mnemonic (self->connect_button);
  luma_a11y_name_from_mnemonic (self->cancel_button);
  luma_a11y_label_password_peek (self->key_row, _("Show or hide the API access key"));
  luma_a11y_label_password_peek (self->password_row, _("Show or hide the password"));

  /* The error labels describe their fields for screen readers. */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->server_row),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->server_error, NULL, -1);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->tenant_row),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->tenant_error, NULL, -1);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->key_row),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->key_error, NULL, -1);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->user_row),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->user_error, NULL, -1);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->password_row),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->password_error, NULL, -1);
}
