/* luma-refill-dialog.c: a Superadmin adds or removes licenses of a tenant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-refill-dialog.h"
#include "luma-format.h"

#define MAX_REASON 500
#define MAX_REFERENCE 100

struct _LumaRefillDialog
{
  AdwWindow         parent_instance;

  LumaApiClient    *client;
  LumaSubscription *subscription;
  GCancellable     *cancellable;
  /* One Idempotency-Key per exact request body: a retry of the same body
   * reuses its key (the server applies it once), another body gets its own
   * (the server would refuse a key reused with another body). */
  GHashTable       *sent_keys;      /* body sent without a definitive answer -> its key */
  char             *unused_key;     /* the key of the next body not sent yet */
  char             *sending_body;   /* the body of the request in flight */
  gboolean          busy;
  gboolean          reason_touched; /* left empty, or a confirmation was tried */

  GtkButton        *cancel_button;
  GtkButton        *refill_button;
  GtkSpinner       *spinner;
  GtkToggleButton  *add_toggle;
  GtkToggleButton  *remove_toggle;
  GtkSpinButton    *amount_spin;
  AdwEntryRow      *reason_row;
  AdwEntryRow      *reference_row;
  GtkLabel         *preview_label;
  GtkLabel         *error_label;
};

G_DEFINE_FINAL_TYPE (LumaRefillDialog, luma_refill_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_REFILLED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gint64
get_change (LumaRefillDialog *self)
{
  gint64 amount = (gint64) gtk_spin_button_get_value (self->amount_spin);

  return gtk_toggle_button_get_active (self->remove_toggle) ? -amount : amount;
}

/* The amount is shown with the locale's digit grouping ("5,000"), as every other number. */
static gboolean
amount_output_cb (LumaRefillDialog *self,
                  GtkSpinButton    *spin)
{
  g_autofree char *text = luma_format_count ((gint64) gtk_spin_button_get_value (spin));

  if (g_strcmp0 (text, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

/* Reads what was typed with or without grouping ("5,000", "5 000", "5000"). */
static int
amount_input_cb (LumaRefillDialog *self,
                 double           *new_value,
                 GtkSpinButton    *spin)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  gint64 value = 0;
  gboolean digits = FALSE;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        {
          if (value > G_MAXINT64 / 10 - 9)
            return GTK_INPUT_ERROR;
          value = value * 10 + (c - '0');
          digits = TRUE;
        }
      else if (!(c == ',' || c == '.' || c == '\'' || g_unichar_isspace (c) ||
                 c == 0x00a0 || c == 0x202f || c == 0x2009))
        return GTK_INPUT_ERROR;
    }
  if (!digits)
    return GTK_INPUT_ERROR;

  *new_value = (double) value;
  return TRUE;
}

static char *
get_trimmed (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
set_error (LumaRefillDialog *self,
           const char       *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* Whether the controls make a request to send; with @allow_no_reason, an
 * empty reason passes (the button is usable without one: pressing it says
 * what is missing). @local_error (nullable) is set to what to show at once
 * when the server would refuse the change, else to NULL. */
static gboolean
values_valid (LumaRefillDialog  *self,
              gboolean           allow_no_reason,
              char             **local_error)
{
  gint64 change = get_change (self);
  g_autofree char *reason = get_trimmed (self->reason_row);
  g_autofree char *reference = get_trimmed (self->reference_row);
  const LumaSubscription *s = self->subscription;
  gint64 removable = MAX (0, s->total_purchase - s->consumed);

  if (local_error != NULL)
    *local_error = NULL;
  /* The server would refuse it (BELOW_CONSUMED): said here, before any confirmation. */
  if (change < 0 && -change > removable)
    {
      if (local_error != NULL)
        {
          g_autofree char *n = luma_format_count (removable);
          g_autofree char *consumed = luma_format_count (s->consumed);

          if (removable == 0)
            /* Translators: %s is the number of licenses consumed */
            *local_error = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "No license can be removed: all are consumed (%s).",
                                                         "No license can be removed: all are consumed (%s).",
                                                         luma_plural_n (s->consumed)),
                                            consumed);
          else
            /* Translators: the first %s is a number of licenses, the second the number consumed */
            *local_error = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "At most %s license can be removed: %s are consumed.",
                                                         "At most %s licenses can be removed: %s are consumed.",
                                                         luma_plural_n (removable)),
                                            n, consumed);
        }
      return FALSE;
    }
  return change != 0 && (allow_no_reason || *reason != '\0') &&
         g_utf8_strlen (reason, -1) <= MAX_REASON && g_utf8_strlen (reference, -1) <= MAX_REFERENCE &&
         s->total_purchase + change >= 0;
}

static void
update (LumaRefillDialog *self)
{
  gint64 change = get_change (self);
  gboolean removing = gtk_toggle_button_get_active (self->remove_toggle);
  g_autofree char *reason = get_trimmed (self->reason_row);
  const LumaSubscription *s = self->subscription;
  const char *tenant = s->tenant_name != NULL ? s->tenant_name : s->external_id;
  gint64 total_after = s->total_purchase + change;
  gint64 available_after = MAX (0, total_after - s->consumed);
  g_autofree char *t0 = luma_format_count (s->total_purchase);
  g_autofree char *t1 = luma_format_count (total_after);
  g_autofree char *a0 = luma_format_count (s->available);
  g_autofree char *a1 = luma_format_count (available_after);
  g_autofree char *preview = NULL;
  g_autofree char *title = NULL;
  g_autofree char *refused = NULL;
  gboolean enough;

  /* Translators: the title of the dialog that removes licenses; %s is the tenant */
  title = removing ? g_strdup_printf (_("Remove Licenses from %s"), tenant)
  /* Translators: the title of the dialog that adds licenses; %s is the tenant */
                   : g_strdup_printf (_("Add Licenses to %s"), tenant);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_button_set_label (self->refill_button, removing ? _("_Remove Licenses…") : _("_Add Licenses…"));
  luma_a11y_name_from_mnemonic (self->refill_button);

  /* The button stays usable without a reason: trying it says what is missing. */
  enough = values_valid (self, TRUE, &refused);
  if (refused != NULL)
    {
      /* No preview of a removal that cannot happen ("Available: 500 → 0"). */
      gtk_label_set_label (self->preview_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->preview_label), FALSE);
      set_error (self, refused);
    }
  else
    {
      /* Translators: the refill preview: "Total purchase: 50,000 → 55,000. Available: 1,787 → 6,787." */
      preview = g_strdup_printf (_("Total purchase: %s → %s. Available: %s → %s."), t0, t1, a0, a1);
      gtk_label_set_label (self->preview_label, preview);
      gtk_widget_set_visible (GTK_WIDGET (self->preview_label), TRUE);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->refill_button), enough && !self->busy);

  if (*reason == '\0' && self->reason_touched)
    gtk_widget_add_css_class (GTK_WIDGET (self->reason_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->reason_row), "error");
}

static void
reason_left_cb (LumaRefillDialog *self)
{
  g_autofree char *reason = get_trimmed (self->reason_row);

  if (*reason == '\0' && !self->reason_touched)
    {
      self->reason_touched = TRUE;
      update (self);
    }
}

/* The request body the controls give, exactly (change, reason, reference). */
static char *
dup_request_body (LumaRefillDialog *self)
{
  g_autofree char *reason = get_trimmed (self->reason_row);
  g_autofree char *reference = get_trimmed (self->reference_row);
  g_autoptr(GVariant) body = g_variant_ref_sink (g_variant_new ("(xsms)", get_change (self), reason,
                                                                *reference != '\0' ? reference : NULL));

  return g_variant_print (body, FALSE);
}

static void
changed_cb (LumaRefillDialog *self)
{
  if (self->busy)
    return;

  set_error (self, NULL);
  update (self);
}

static void
set_busy (LumaRefillDialog *self,
          gboolean          busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->amount_spin), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reason_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reference_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_toggle), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_toggle), !busy);
  update (self);
}

/* Errors after which the refill may or may not have been applied: no answer,
 * or one that cannot be read (a connection cut after the server applied it
 * gives half a body). Only the same key can find out, by a retry. */
static gboolean
outcome_unknown (const GError *error)
{
  return error->domain == LUMA_API_ERROR &&
         (error->code == LUMA_API_ERROR_NETWORK || error->code == LUMA_API_ERROR_TIMEOUT ||
          error->code == LUMA_API_ERROR_SERVER || error->code == LUMA_API_ERROR_RATE_LIMITED ||
          error->code == LUMA_API_ERROR_PROTOCOL);
}

static void
refill_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LumaRefillDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaRefillResult) refill = NULL;
  const char *code;

  refill = luma_api_client_refill_finish (LUMA_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);

  /* A definitive answer spends the key: sending the same values again is
   * another refill. Without an answer the key stays with its body. */
  if (refill != NULL || !outcome_unknown (error))
    g_hash_table_remove (self->sent_keys, self->sending_body);
  g_clear_pointer (&self->sending_body, g_free);

  if (refill != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_REFILLED], 0, refill);
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  code = error->domain == LUMA_API_ERROR ? luma_api_error_get_server_code (error) : NULL;
  if (g_strcmp0 (code, "BELOW_CONSUMED") == 0)
    {
      g_autofree char *consumed = luma_format_count (self->subscription->consumed);
      g_autofree char *message = NULL;

      /* Translators: %s is the number of licenses consumed */
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The server refused the removal: "
                                              "the total purchase cannot go below the %s license "
                                              "already consumed.",
                                              "The server refused the removal: the total purchase "
                                              "cannot go below the %s licenses already consumed.",
                                              luma_plural_n (self->subscription->consumed)),
                                 consumed);
      set_error (self, message);
    }
  else if (outcome_unknown (error))
    {
      /* Not answered: the same body gets the same key on the next try, so it
       * is never applied twice. */
      set_error (self, _("The refill could not be sent. Try again: it will be applied only once."));
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("The server refused the refill: %s"), error->message);

      set_error (self, message);
    }
}

void
luma_refill_dialog_submit (LumaRefillDialog *self)
{
  g_autofree char *reason = NULL;
  g_autofree char *reference = NULL;

  g_return_if_fail (LUMA_IS_REFILL_DIALOG (self));

  if (!luma_refill_dialog_can_submit (self))
    return;

  reason = get_trimmed (self->reason_row);
  reference = get_trimmed (self->reference_row);
  g_free (self->sending_body);
  self->sending_body = dup_request_body (self);
  if (!g_hash_table_contains (self->sent_keys, self->sending_body))
    {
      g_hash_table_insert (self->sent_keys, g_strdup (self->sending_body),
                           g_steal_pointer (&self->unused_key));
      self->unused_key = g_uuid_string_random ();
    }
  set_error (self, NULL);
  set_busy (self, TRUE);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  luma_api_client_refill_async (self->client,
                                self->subscription->external_id,
                                get_change (self),
                                reason,
                                *reference != '\0' ? reference : NULL,
                                g_hash_table_lookup (self->sent_keys, self->sending_body),
                                self->cancellable,
                                refill_cb,
                                g_object_ref (self));
}

static void
confirm_cb (AdwMessageDialog *dialog,
            const char       *response,
            LumaRefillDialog *self)
{
  if (g_strcmp0 (response, "refill") == 0)
    luma_refill_dialog_submit (self);
}

static void
refill_clicked_cb (LumaRefillDialog *self)
{
  gint64 change = get_change (self);
  g_autofree char *reason = get_trimmed (self->reason_row);
  g_autofree char *n = luma_format_count (ABS (change));
  const char *tenant = self->subscription->tenant_name != NULL ? self->subscription->tenant_name
                                                               : self->subscription->external_id;
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (*reason == '\0')
    {
      self->reason_touched = TRUE;
      update (self);
      set_error (self, _("Enter a reason: it is kept in the purchase history."));
      gtk_widget_grab_focus (GTK_WIDGET (self->reason_row));
      return;
    }
  if (!values_valid (self, FALSE, NULL))
    return;

  if (change > 0)
    /* Translators: "Add 5,000 licenses to Acme Corporation?", the first %s is the number */
    heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Add %s license to %s?",
                                            "Add %s licenses to %s?", luma_plural_n (change)),
                               n, tenant);
  else
    /* Translators: "Remove 5,000 licenses from Acme Corporation?", the first %s is the number */
    heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Remove %s license from %s?",
                                            "Remove %s licenses from %s?", luma_plural_n (change)),
                               n, tenant);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   gtk_label_get_label (self->preview_label));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "refill", change > 0 ? _("_Add Licenses") : _("_Remove Licenses"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "refill",
                                              change > 0 ? ADW_RESPONSE_SUGGESTED
                                                         : ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  luma_a11y_fix_names (dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
luma_refill_dialog_set_values (LumaRefillDialog *self,
                               gboolean          remove,
                               gint64            amount,
                               const char       *reason,
                               const char       *reference)
{
  g_return_if_fail (LUMA_IS_REFILL_DIALOG (self));

  gtk_toggle_button_set_active (remove ? self->remove_toggle : self->add_toggle, TRUE);
  gtk_spin_button_set_value (self->amount_spin, (double) amount);
  gtk_editable_set_text (GTK_EDITABLE (self->reason_row), reason != NULL ? reason : "");
  gtk_editable_set_text (GTK_EDITABLE (self->reference_row), reference != NULL ? reference : "");
}

gboolean
luma_refill_dialog_can_submit (LumaRefillDialog *self)
{
  g_return_val_if_fail (LUMA_IS_REFILL_DIALOG (self), FALSE);
  return !self->busy && values_valid (self, FALSE, NULL);
}

gboolean
luma_refill_dialog_get_busy (LumaRefillDialog *self)
{
  g_return_val_if_fail (LUMA_IS_REFILL_DIALOG (self), FALSE);
  return self->busy;
}

const char *
luma_refill_dialog_get_error (LumaRefillDialog *self)
{
  g_return_val_if_fail (LUMA_IS_REFILL_DIALOG (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
         ? gtk_label_get_label (self->error_label) : NULL;
}

const char *
luma_refill_dialog_get_preview (LumaRefillDialog *self)
{
  g_return_val_if_fail (LUMA_IS_REFILL_DIALOG (self), NULL);
  return gtk_label_get_label (self->preview_label);
}

const char *
luma_refill_dialog_get_idempotency_key (LumaRefillDialog *self)
{
  g_autofree char *body = NULL;
  const char *key;

  g_return_val_if_fail (LUMA_IS_REFILL_DIALOG (self), NULL);

  body = dup_request_body (self);
  key = g_hash_table_lookup (self->sent_keys, body);
  return key != NULL ? key : self->unused_key;
}

static void
luma_refill_dialog_dispose (GObject *object)
{
  LumaRefillDialog *self = LUMA_REFILL_DIALOG (object);

  /* A refill already sent is not cancelled half-way: its answer is just not shown. */
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->subscription, luma_subscription_free);

  G_OBJECT_CLASS (luma_refill_dialog_parent_class)->dispose (object);
}

static void
luma_refill_dialog_finalize (GObject *object)
{
  LumaRefillDialog *self = LUMA_REFILL_DIALOG (object);

  g_hash_table_unref (self->sent_keys);
  g_free (self->unused_key);
  g_free (self->sending_body);

  G_OBJECT_CLASS (luma_refill_dialog_parent_class)->finalize (object);
}

static void
luma_refill_dialog_class_init (LumaRefillDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_refill_dialog_dispose;
  object_class->finalize = luma_refill_dialog_finalize;

  signals[SIGNAL_REFILLED] = g_signal_new ("refilled", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_POINTER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-refill-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, refill_button);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, add_toggle);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, remove_toggle);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, amount_spin);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, reference_row);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, preview_label);
  gtk_widget_class_bind_template_child (widget_class, LumaRefillDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, amount_output_cb);
  gtk_widget_class_bind_template_callback (widget_class, amount_input_cb);
  gtk_widget_class_bind_template_callback (widget_class, refill_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reason_left_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
luma_refill_dialog_init (LumaRefillDialog *self)
{
  self->sent_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->unused_key = g_uuid_string_random ();
  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
  luma_a11y_name_from_mnemonic (self->cancel_button);
  luma_a11y_name_from_mnemonic (self->refill_button);

  {
    GtkEventController *focus = gtk_event_controller_focus_new ();

    /* The reason is marked missing only once it was left empty. */
    g_signal_connect_swapped (focus, "leave", G_CALLBACK (reason_left_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->reason_row), focus);
  }
}

LumaRefillDialog *
luma_refill_dialog_new (LumaApiClient          *client,
                        const LumaSubscription *subscription)
{
  LumaRefillDialog *self;

  g_return_val_if_fail (LUMA_IS_API_CLIENT (client), NULL);
  g_return_val_if_fail (subscription != NULL, NULL);

  self = g_object_new (LUMA_TYPE_REFILL_DIALOG, NULL);
  self->client = g_object_ref (client);
  self->subscription = luma_subscription_copy (subscription);
  update (self);

  return self;
}
