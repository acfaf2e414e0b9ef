/* luma-conversation-window.c: the conversations of one history record and their transcripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-conversation-window.h"
#include "luma-csv.h"
#include "luma-format.h"
#include "luma-transcript.h"

struct _LumaConversationWindow
{
  AdwWindow        parent_instance;

  LumaSync        *sync;
  LumaLicenseType  license_type;
  char            *record_id;
  char            *user_name;
  GPtrArray       *conversations;
  GtkFileChooserNative *chooser;
  GCancellable    *cancellable;
  gboolean         loaded;
  guint            n_transcript_rows;

  AdwWindowTitle  *window_title;
  GtkStack        *stack;
  AdwStatusPage   *error_page;
  GtkListBox      *conversation_list;
  GtkListBox      *transcript;
  AdwLeaflet      *leaflet;
  GtkWidget       *list_pane;
  GtkWidget       *transcript_pane;
  GtkButton       *back_button;
  guint            back_idle;
};

G_DEFINE_FINAL_TYPE (LumaConversationWindow, luma_conversation_window, ADW_TYPE_WINDOW)

static GtkWidget *
message_row (const LumaMessage *m)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *header, *text, *row;
  g_autofree char *time = luma_format_time (m->sent_at);
  g_autofree char *who = NULL;
  g_autofree char *a11y = NULL;

  /* Translators: sender line of a message: "NAME (Bot) · TIME" */
  who = g_strdup_printf (_("%s (%s) · %s"), m->sender_name, luma_sender_to_display (m->sender), time);
  header = gtk_label_new (who);
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_widget_add_css_class (header, "caption-heading");
  gtk_box_append (GTK_BOX (box), header);

  text = gtk_label_new (m->text);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_box_append (GTK_BOX (box), text);

  gtk_widget_add_css_class (box, "luma-message-bubble");
  if (m->sender == LUMA_SENDER_USER)
    {
      gtk_widget_add_css_class (box, "user");
      gtk_widget_set_halign (box, GTK_ALIGN_END);
    }
  else
    {
      gtk_widget_add_css_class (box, m->sender == LUMA_SENDER_AGENT ? "agent" : "bot");
      gtk_widget_set_halign (box, GTK_ALIGN_START);
    }
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  a11y = g_strdup_printf ("%s: %s", who, m->text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);

  return row;
}

static GtkWidget *
date_row (gint64 t)
{
  g_autofree char *day = luma_format_weekday (t);
  GtkWidget *label = gtk_label_new (day);
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_widget_add_css_class (label, "luma-date-separator");
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);

  return row;
}

static void
clear_box (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, child);
}

void
luma_conversation_window_select (LumaConversationWindow *self,
                                 guint                   index)
{
  LumaConversation *c;
  int last_day = -1;
  int last_year = -1;

  g_return_if_fail (LUMA_IS_CONVERSATION_WINDOW (self));

  if (self->conversations == NULL || index >= self->conversations->len)
    return;

  c = g_ptr_array_index (self->conversations, index);
  clear_box (self->transcript);
  self->n_transcript_rows = 0;

  for (guint i = 0; c->messages != NULL && i < c->messages->len; i++)
    {
      LumaMessage *m = g_ptr_array_index (c->messages, i);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (m->sent_at);

      /* A separator before the first message of each day */
      if (dt != NULL &&
          (g_date_time_get_day_of_year (dt) != last_day || g_date_time_get_year (dt) != last_year))
        {
          last_day = g_date_time_get_day_of_year (dt);
          last_year = g_date_time_get_year (dt);
          gtk_list_box_append (self->transcript, date_row (m->sent_at));
          self->n_transcript_rows++;
        }
      gtk_list_box_append (self->transcript, message_row (m));
      self->n_transcript_rows++;
    }

  if (gtk_list_box_get_selected_row (self->conversation_list) !=
      gtk_list_box_get_row_at_index (self->conversation_list, (int) index))
    gtk_list_box_select_row (self->conversation_list,
                             gtk_list_box_get_row_at_index (self->conversation_list, (int) index));
}

static void
conversation_selected_cb (LumaConversationWindow *self,
                          GtkListBoxRow          *row)
{
  if (row == NULL)
    return;
  luma_conversation_window_select (self, (guint) gtk_list_box_row_get_index (row));
  /* Narrow: the transcript takes the place of the list */
  adw_leaflet_set_visible_child (self->leaflet, self->transcript_pane);
}

static gboolean
update_back_button_cb (gpointer user_data)
{
  LumaConversationWindow *self = user_data;

  self->back_idle = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->back_button),
                          adw_leaflet_get_folded (self->leaflet) &&
                          adw_leaflet_get_visible_child (self->leaflet) == self->transcript_pane);
  return G_SOURCE_REMOVE;
}

static void
leaflet_changed_cb (LumaConversationWindow *self)
{
  /* Also while the template is built, before its children are bound */
  if (self->leaflet == NULL || self->back_button == NULL)
    return;
  /* The leaflet folds while it is laid out: change the header bar after that. */
  if (self->back_idle == 0)
    self->back_idle = g_idle_add (update_back_button_cb, self);
}

static void
back_clicked_cb (LumaConversationWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_widget_grab_focus (GTK_WIDGET (self->conversation_list));
}

static void
show_conversations (LumaConversationWindow *self)
{
  clear_box (self->conversation_list);

  if (self->conversations->len == 0)
    {
      adw_status_page_set_title (self->error_page, _("No Conversations"));
      adw_status_page_set_icon_name (self->error_page, "mail-unread-symbolic");
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  for (guint i = 0; i < self->conversations->len; i++)
    {
      LumaConversation *c = g_ptr_array_index (self->conversations, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *when = luma_format_date_time (c->started_on);
      g_autofree char *subtitle = NULL;
      guint n = c->messages != NULL ? c->messages->len : 0;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), when);
      /* Translators: "MS Teams · 5 messages · C-0001-1" */
      subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u message · %s",
                                               "%s · %u messages · %s", n),
                                  luma_channel_to_display (c->channel), n, c->conversation_id);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (self->conversation_list, row);
    }

  gtk_stack_set_visible_child_name (self->stack, "conversations");
  luma_conversation_window_select (self, 0);
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LumaConversationWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *conversations;

  conversations = luma_sync_fetch_conversations_finish (LUMA_SYNC (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loaded = TRUE;
  if (conversations == NULL)
    {
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_NETWORK) ||
          g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_TIMEOUT))
        adw_status_page_set_description (self->error_page,
                                         _("These conversations were never viewed before and the "
                                           "server cannot be reached. Try again when online."));
      else
        {
          /* The description is markup; the message may quote the server. */
          g_autofree char *escaped = g_markup_escape_text (error->message, -1);

          adw_status_page_set_description (self->error_page, escaped);
        }
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  self->conversations = conversations;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.export", TRUE);
  show_conversations (self);
}

/* ---- Export --------------------------------------------------------------------------------- */

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LumaConversationWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;

  if (luma_csv_save_finish (result, &error))
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cannot Export the Conversations"),
                                   error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
luma_conversation_window_export_to (LumaConversationWindow *self,
                                    GFile                  *file,
                                    gboolean                csv)
{
  g_autoptr(GBytes) bytes = NULL;
  char *text;

  g_return_if_fail (LUMA_IS_CONVERSATION_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->conversations == NULL)
    return;
  text = csv ? luma_transcript_to_csv (self->conversations)
             : luma_transcript_to_text (self->record_id, self->user_name, self->conversations);
  bytes = g_bytes_new_take (text, strlen (text));
  luma_csv_save_async (file, bytes, self->cancellable, export_done_cb, g_object_ref (self));
}

static void
chooser_response_cb (LumaConversationWindow *self,
                     int                     response,
                     GtkFileChooserNative   *chooser)
{
  g_autoptr(GFile) file = NULL;
  gboolean csv = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "csv"));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    luma_conversation_window_export_to (self, file, csv);
}

static void
export_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  LumaConversationWindow *self = LUMA_CONVERSATION_WINDOW (widget);
  gboolean csv = g_strcmp0 (g_variant_get_string (parameter, NULL), "csv") == 0;
  g_autofree char *name = NULL;

  if (self->chooser != NULL || self->conversations == NULL)
    return;
  name = g_strdup_printf ("conversations-%s.%s", self->record_id, csv ? "csv" : "txt");
  self->chooser = gtk_file_chooser_native_new (_("Export the Conversations"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  g_object_set_data (G_OBJECT (self->chooser), "csv", GINT_TO_POINTER (csv));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
luma_conversation_window_dispose (GObject *object)
{
  LumaConversationWindow *self = LUMA_CONVERSATION_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->back_idle, g_source_remove);
  g_clear_object (&self->sync);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->conversations, g_ptr_array_unref);

  G_OBJECT_CLASS (luma_conversation_window_parent_class)->dispose (object);
}

static void
luma_conversation_window_finalize (GObject *object)
{
  LumaConversationWindow *self = LUMA_CONVERSATION_WINDOW (object);

  g_free (self->record_id);
  g_free (self->user_name);

  G_OBJECT_CLASS (luma_conversation_window_parent_class)->finalize (object);
}

static void
luma_conversation_window_class_init (LumaConversationWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_conversation_window_dispose;
  object_class->finalize = luma_conversation_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-conversation-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, transcript);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, list_pane);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, transcript_pane);
  gtk_widget_class_bind_template_child (widget_class, LumaConversationWindow, back_button);
  gtk_widget_class_bind_template_callback (widget_class, conversation_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_install_action (widget_class, "conversation.export", "s", export_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
luma_conversation_window_init (LumaConversationWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Until the conversations are there. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.export", FALSE);
  luma_a11y_fix_names (GTK_WIDGET (self));
}

LumaConversationWindow *
luma_conversation_window_new (LumaSync        *sync,
                              LumaLicenseType  license_type,
                              const char      *record_id,
                              const char      *user_name)
{
  LumaConversationWindow *self;
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (LUMA_IS_SYNC (sync), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);

  self = g_object_new (LUMA_TYPE_CONVERSATION_WINDOW, NULL);
  self->sync = g_object_ref (sync);
  self->license_type = license_type;
  self->record_id = g_strdup (record_id);
  self->user_name = g_strdup (user_name);

  if (user_name != NULL && *user_name != '\0')
    subtitle = g_strdup_printf ("%s · %s", user_name, record_id);
  else
    subtitle = g_strdup (record_id);
  adw_window_title_set_subtitle (self->window_title, subtitle);

  luma_sync_fetch_conversations_async (sync, record_id, self->cancellable, fetch_cb,
                                       g_object_ref (self));

  return self;
}

gboolean
luma_conversation_window_get_loaded (LumaConversationWindow *self)
{
  g_return_val_if_fail (LUMA_IS_CONVERSATION_WINDOW (self), FALSE);
  return self->loaded;
}

GPtrArray *
luma_conversation_window_get_conversations (LumaConversationWindow *self)
{
  g_return_val_if_fail (LUMA_IS_CONVERSATION_WINDOW (self), NULL);
  return self->conversations;
}

guint
luma_conversation_window_get_n_transcript_rows (LumaConversationWindow *self)
{
  g_return_val_if_fail (LUMA_IS_CONVERSATION_WINDOW (self), 0);
  return self->n_transcript_rows;
}
