/* luma-contacts-editor.c: the Technical Email and Billing Email lists, viewed and edited
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-a11y.h"
#include "luma-contacts-editor.h"
#include "luma-email.h"
#include "luma-utils.h"

typedef struct
{
  GtkWidget *row;
  GtkEntry  *entry;
  GtkLabel  *error;
  gboolean   touched;       /* typed into, so an empty row may be called empty */
  gboolean   is_new;        /* added while editing: left blank, it is no address at all */
  char      *server_error;  /* the server's reason after a refused save, until edited */
} EditRow;

struct _LumaContactsEditor
{
  GtkWidget      parent_instance;

  LumaCache     *cache;
  LumaSync      *sync;
  GCancellable  *cancellable;
  gboolean       editing;
  gboolean       busy;
  GPtrArray     *rows[2];     /* EditRow*, in edit mode */
  GStrv          original[2]; /* the lists when editing began, normalized */
  guint          scroll_tick;
  EditRow       *scroll_row;  /* the row to bring into view at the next frame */

  GtkStack      *buttons_stack;
  GtkButton     *edit_button;
  GtkButton     *save_button;
  GtkButton     *cancel_button;
  GtkRevealer   *pending_revealer;
  GtkLabel      *pending_label;
  GtkButton     *resolve_button;
  GtkListBox    *technical_list;
  GtkListBox    *billing_list;
  GtkLabel      *technical_error;
  GtkLabel      *billing_error;
  GtkButton     *add_technical_button;
  GtkButton     *add_billing_button;
};

G_DEFINE_FINAL_TYPE (LumaContactsEditor, luma_contacts_editor, GTK_TYPE_WIDGET)

static void edit_row_free (gpointer data)
{
  EditRow *row = data;

  g_free (row->server_error);
  g_free (row);
}

static GtkListBox *
list_box (LumaContactsEditor *self,
          LumaContactsList    list)
{
  return list == LUMA_CONTACTS_LIST_TECHNICAL ? self->technical_list : self->billing_list;
}

/* A new row left blank is no address: it is neither checked nor saved. */
static gboolean
row_is_blank_new (EditRow *row)
{
  g_autofree char *text = NULL;

  if (!row->is_new)
    return FALSE;
  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row->entry))));
  return *text == '\0';
}

static void
clear_list (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, child);
}

static void
fill_view (GtkListBox         *box,
           const char * const *addresses)
{
  clear_list (box);

  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), addresses[i]);
      gtk_widget_add_css_class (row, "property");
      gtk_list_box_append (box, row);
    }

  if (addresses == NULL || addresses[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No address"));
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (box, row);
    }
}

/* The lists to show: a conflict's own version, an edit waiting in the
 * outbox, or the subscription's. */
static LumaContacts *
load_contacts (LumaContactsEditor *self,
               char              **note_out,
               gboolean           *conflict_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(LumaContacts) pending = NULL;
  g_autoptr(LumaSubscription) s = NULL;

  *note_out = NULL;
  *conflict_out = FALSE;

  if (luma_cache_get_conflict (self->cache, &mine, &theirs, &error))
    {
      *conflict_out = TRUE;
      *note_out = g_strdup (_("Your last edit conflicts with a newer version on the server."));
      return g_steal_pointer (&mine);
    }
  g_clear_error (&error);

  pending = luma_cache_outbox_peek (self->cache, NULL, &error);
  if (pending != NULL)
    {
      *note_out = g_strdup (_("Saved while offline: these lists are sent at the next sync."));
      return g_steal_pointer (&pending);
    }
  g_clear_error (&error);

  s = luma_cache_get_subscription (self->cache, NULL, &error);
  if (s == NULL)
    return NULL;

  return luma_contacts_new ((const char * const *) s->technical_emails,
                            (const char * const *) s->billing_emails,
                            s->version);
}

void
luma_contacts_editor_reload (LumaContactsEditor *self)
{
  g_autoptr(LumaContacts) contacts = NULL;
  g_autofree char *note = NULL;
  gboolean conflict = FALSE;

  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (self->editing || self->cache == NULL)
    return;

  contacts = load_contacts (self, &note, &conflict);
  fill_view (self->technical_list,
             contacts != NULL ? (const char * const *) contacts->technical_emails : NULL);
  fill_view (self->billing_list,
             contacts != NULL ? (const char * const *) contacts->billing_emails : NULL);

  gtk_label_set_label (self->pending_label, note != NULL ? note : "");
  gtk_revealer_set_reveal_child (self->pending_revealer, note != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->resolve_button), conflict);
  gtk_widget_set_sensitive (GTK_WIDGET (self->edit_button), contacts != NULL && !conflict);
}

void
luma_contacts_editor_set_context (LumaContactsEditor *self,
                                  LumaCache          *cache,
                                  LumaSync           *sync)
{
  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (self->editing)
    luma_contacts_editor_cancel (self);
  g_set_object (&self->cache, cache);
  g_set_object (&self->sync, sync);
  luma_contacts_editor_reload (self);
}

/* ---- Edit mode ------------------------------------------------------------------------------ */

static void
set_list_problem (GtkLabel             *label,
                  LumaEmailListProblem  problem)
{
  const char *message = luma_email_list_problem_get_message (problem);

  gtk_label_set_label (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

static gboolean
validate_list (LumaContactsEditor *self,
               LumaContactsList    list)
{
  GPtrArray *rows = self->rows[list];
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(GArray) checked = g_array_new (FALSE, FALSE, sizeof (guint));  /* row of each text */
  g_autoptr(LumaEmailListResult) result = NULL;
  guint n_checked = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      EditRow *row = g_ptr_array_index (rows, i);

      if (row_is_blank_new (row))
        continue;
      g_ptr_array_add (texts, (gpointer) gtk_editable_get_text (GTK_EDITABLE (row->entry)));
      g_array_append_val (checked, i);
    }

  result = luma_email_validate_list ((const char * const *) texts->pdata, texts->len);

  for (guint i = 0; i < rows->len; i++)
    {
      EditRow *row = g_ptr_array_index (rows, i);
      LumaEmailProblem problem = LUMA_EMAIL_PROBLEM_NONE;
      const char *message = NULL;
      g_autofree char *duplicate = NULL;
      guint first = 0;

      if (n_checked < checked->len && g_array_index (checked, guint, n_checked) == i)
        {
          problem = result->rows[n_checked];
          first = g_array_index (checked, guint, result->first[n_checked]);
          n_checked++;
        }

      if (row->server_error != NULL)
        message = row->server_error;
      else if (problem == LUMA_EMAIL_PROBLEM_DUPLICATE)
        /* Translators: %u is the number of the row this address repeats */
        message = duplicate = g_strdup_printf (_("The same address as row %u"), first + 1);
      else if (problem != LUMA_EMAIL_PROBLEM_NONE &&
               (row->touched || problem != LUMA_EMAIL_PROBLEM_EMPTY))
        message = luma_email_problem_get_message (problem);

      gtk_label_set_label (row->error, message != NULL ? message : "");
      gtk_widget_set_visible (GTK_WIDGET (row->error), message != NULL);
      if (problem != LUMA_EMAIL_PROBLEM_NONE || row->server_error != NULL)
        {
          gtk_widget_add_css_class (GTK_WIDGET (row->entry), "error");
          gtk_accessible_update_state (GTK_ACCESSIBLE (row->entry),
                                       GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                       -1);
        }
      else
        {
          gtk_widget_remove_css_class (GTK_WIDGET (row->entry), "error");
          gtk_accessible_reset_state (GTK_ACCESSIBLE (row->entry), GTK_ACCESSIBLE_STATE_INVALID);
        }
      gtk_accessible_update_property (GTK_ACCESSIBLE (row->entry),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      message != NULL ? message : "",
                                      -1);
    }

  set_list_problem (list == LUMA_CONTACTS_LIST_TECHNICAL ? self->technical_error
                                                         : self->billing_error,
                    result->problem);
  gtk_widget_set_sensitive (GTK_WIDGET (list == LUMA_CONTACTS_LIST_TECHNICAL
                                        ? self->add_technical_button
                                        : self->add_billing_button),
                            !self->busy && rows->len < LUMA_EMAIL_LIST_MAX);
  /* An empty boxed list would still draw its frame, as a thin line. */
  gtk_widget_set_visible (GTK_WIDGET (list_box (self, list)), rows->len > 0);

  if (!luma_email_list_result_is_ok (result))
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    if (((EditRow *) g_ptr_array_index (rows, i))->server_error != NULL)
      return FALSE;

  return TRUE;
}

static GStrv collect (LumaContactsEditor *self,
                      LumaContactsList    list);

static gboolean
lists_changed (LumaContactsEditor *self)
{
  for (guint l = 0; l < 2; l++)
    {
      g_auto(GStrv) now = collect (self, l);

      if (self->original[l] == NULL || !g_strv_equal ((const char * const *) now,
                                                      (const char * const *) self->original[l]))
        return TRUE;
    }
  return FALSE;
}

static void
validate (LumaContactsEditor *self)
{
  gboolean ok_technical, ok_billing;

  if (!self->editing)
    return;

  ok_technical = validate_list (self, LUMA_CONTACTS_LIST_TECHNICAL);
  ok_billing = validate_list (self, LUMA_CONTACTS_LIST_BILLING);
  /* Saving the lists as they were would only bump their version on the server. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            ok_technical && ok_billing && !self->busy && lists_changed (self));
}

/* Coordinates are those of the scrolled window: 0 to its page size is what is in view. */
static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  LumaContactsEditor *self = LUMA_CONTACTS_EDITOR (widget);
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  EditRow *row = self->scroll_row;
  GtkWidget *add_button;
  GtkAdjustment *adjustment;
  graphene_rect_t row_bounds, button_bounds;
  double top, bottom, value, page;

  if (row == NULL || scrolled == NULL || !self->editing)
    goto done;
  /* Not laid out yet: the next frame. */
  if (gtk_widget_get_height (row->row) <= 0)
    return G_SOURCE_CONTINUE;

  add_button = gtk_widget_get_parent (row->row) == GTK_WIDGET (self->technical_list)
               ? GTK_WIDGET (self->add_technical_button) : GTK_WIDGET (self->add_billing_button);
  if (!gtk_widget_compute_bounds (row->row, scrolled, &row_bounds) ||
      !gtk_widget_compute_bounds (add_button, scrolled, &button_bounds))
    goto done;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  value = gtk_adjustment_get_value (adjustment);
  page = gtk_adjustment_get_page_size (adjustment);
  top = row_bounds.origin.y;
  /* The row, the room of a message under it and the Add button after it */
  bottom = MAX (row_bounds.origin.y + row_bounds.size.height + 24,
                button_bounds.origin.y + button_bounds.size.height + 12);
  if (bottom - top > page)
    bottom = top + page;
  if (bottom > page)
    value += bottom - page;
  else if (top < 0)
    value += top;
  gtk_adjustment_set_value (adjustment, value);

done:
  self->scroll_row = NULL;
  self->scroll_tick = 0;
  return G_SOURCE_REMOVE;
}

/* Brings @row, the room of its message and the list's Add button into view once laid out:
 * a new row at the end of the page would else be out of sight with its message. */
static void
scroll_to_row (LumaContactsEditor *self,
               EditRow            *row)
{
  self->scroll_row = row;
  if (self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_tick_cb, NULL, NULL);
}

static void
cancel_scroll (LumaContactsEditor *self)
{
  self->scroll_row = NULL;
  if (self->scroll_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick);
  self->scroll_tick = 0;
}

static void
entry_changed_cb (GtkEditable        *entry,
                  LumaContactsEditor *self)
{
  for (guint l = 0; l < 2; l++)
    for (guint i = 0; i < self->rows[l]->len; i++)
      {
        EditRow *row = g_ptr_array_index (self->rows[l], i);

        if (GTK_EDITABLE (row->entry) == entry)
          {
            row->touched = TRUE;
            g_clear_pointer (&row->server_error, g_free);
            validate (self);
            /* Its message may have appeared under it: keep both in view. */
            scroll_to_row (self, row);
            return;
          }
      }

  validate (self);
}

static void
update_row_labels (LumaContactsEditor *self,
                   LumaContactsList    list)
{
  for (guint i = 0; i < self->rows[list]->len; i++)
    {
      EditRow *row = g_ptr_array_index (self->rows[list], i);
      GtkWidget *remove = g_object_get_data (G_OBJECT (row->row), "remove-button");
      g_autofree char *label = NULL;
      g_autofree char *remove_label = NULL;

      if (list == LUMA_CONTACTS_LIST_TECHNICAL)
        {
          /* Translators: accessible name of an address entry, %u is its row number */
          label = g_strdup_printf (_("Technical email address %u"), i + 1);
          /* Translators: accessible name of a row's remove button, %u is its row number */
          remove_label = g_strdup_printf (_("Remove technical email address %u"), i + 1);
        }
      else
        {
          label = g_strdup_printf (_("Billing email address %u"), i + 1);
          remove_label = g_strdup_printf (_("Remove billing email address %u"), i + 1);
        }
      gtk_accessible_update_property (GTK_ACCESSIBLE (row->entry),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
    }
}

static void
remove_clicked_cb (GtkButton          *button,
                   LumaContactsEditor *self)
{
  for (guint l = 0; l < 2; l++)
    for (guint i = 0; i < self->rows[l]->len; i++)
      {
        EditRow *row = g_ptr_array_index (self->rows[l], i);

        if (g_object_get_data (G_OBJECT (row->row), "remove-button") == (gpointer) button)
          {
            luma_contacts_editor_remove_row (self, l, i);
            return;
          }
      }
}

static EditRow *
append_edit_row (LumaContactsEditor *self,
                 LumaContactsList    list,
                 const char         *address)
{
  EditRow *row = g_new0 (EditRow, 1);
  GtkWidget *box, *line, *remove;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (box), line);

  row->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (row->entry), TRUE);
  gtk_entry_set_input_purpose (row->entry, GTK_INPUT_PURPOSE_EMAIL);
  gtk_entry_set_placeholder_text (row->entry, _("name@example.com"));
  gtk_editable_set_text (GTK_EDITABLE (row->entry), address != NULL ? address : "");
  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->entry));

  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_tooltip_text (remove, _("Remove"));
  gtk_widget_add_css_class (remove, "flat");
  gtk_box_append (GTK_BOX (line), remove);

  row->error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->error, 0);
  gtk_label_set_wrap (row->error, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (row->error), "luma-field-error");
  gtk_widget_set_visible (GTK_WIDGET (row->error), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->error));

  row->row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row->row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row->row), box);
  g_object_set_data (G_OBJECT (row->row), "remove-button", remove);
  /* The error label describes the entry for screen readers. */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (row->entry),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, row->error, NULL,
                                  -1);

  g_signal_connect (row->entry, "changed", G_CALLBACK (entry_changed_cb), self);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked_cb), self);

  gtk_list_box_append (list_box (self, list), row->row);
  g_ptr_array_add (self->rows[list], row);
  update_row_labels (self, list);

  return row;
}

static void
set_editing (LumaContactsEditor *self,
             gboolean            editing)
{
  self->editing = editing;
  gtk_stack_set_visible_child_name (self->buttons_stack, editing ? "edit" : "view");
  gtk_widget_set_visible (GTK_WIDGET (self->add_technical_button), editing);
  gtk_widget_set_visible (GTK_WIDGET (self->add_billing_button), editing);
  if (!editing)
    {
      cancel_scroll (self);
      g_clear_pointer (&self->original[0], g_strfreev);
      g_clear_pointer (&self->original[1], g_strfreev);
      gtk_widget_set_visible (GTK_WIDGET (self->technical_list), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->billing_list), TRUE);
      g_ptr_array_set_size (self->rows[0], 0);
      g_ptr_array_set_size (self->rows[1], 0);
      gtk_widget_set_visible (GTK_WIDGET (self->technical_error), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->billing_error), FALSE);
    }
}

void
luma_contacts_editor_edit (LumaContactsEditor *self)
{
  g_autoptr(LumaContacts) contacts = NULL;
  g_autofree char *note = NULL;
  gboolean conflict;

  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (self->editing || self->cache == NULL)
    return;

  contacts = load_contacts (self, &note, &conflict);
  if (contacts == NULL || conflict)
    return;

  clear_list (self->technical_list);
  clear_list (self->billing_list);
  set_editing (self, TRUE);

  for (guint i = 0; contacts->technical_emails != NULL && contacts->technical_emails[i]; i++)
    append_edit_row (self, LUMA_CONTACTS_LIST_TECHNICAL, contacts->technical_emails[i]);
  for (guint i = 0; contacts->billing_emails != NULL && contacts->billing_emails[i]; i++)
    append_edit_row (self, LUMA_CONTACTS_LIST_BILLING, contacts->billing_emails[i]);

  self->original[LUMA_CONTACTS_LIST_TECHNICAL] = collect (self, LUMA_CONTACTS_LIST_TECHNICAL);
  self->original[LUMA_CONTACTS_LIST_BILLING] = collect (self, LUMA_CONTACTS_LIST_BILLING);

  /* Focus goes to an empty row for a new address, not to the first address (the first key
   * press would replace it); in view with the room of its message. */
  luma_contacts_editor_add_row (self, LUMA_CONTACTS_LIST_TECHNICAL);
}

static gboolean
has_focus_within (LumaContactsEditor *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self));
}

/* Leaves edit mode; the focus that was on a row (now gone) goes to Edit. */
static void
end_editing (LumaContactsEditor *self)
{
  gboolean had_focus = has_focus_within (self);

  set_editing (self, FALSE);
  luma_contacts_editor_reload (self);
  if (had_focus)
    gtk_widget_grab_focus (GTK_WIDGET (self->edit_button));
}

void
luma_contacts_editor_cancel (LumaContactsEditor *self)
{
  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (!self->editing)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->busy = FALSE;
  end_editing (self);
}

GtkEditable *
luma_contacts_editor_add_row (LumaContactsEditor *self,
                              LumaContactsList    list)
{
  EditRow *row;

  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), NULL);
  g_return_val_if_fail (self->editing, NULL);

  /* One empty row to type into is enough: a second Add goes to it. */
  row = self->rows[list]->len > 0 ? g_ptr_array_index (self->rows[list], self->rows[list]->len - 1) : NULL;
  if (row == NULL || !row_is_blank_new (row))
    {
      if (self->rows[list]->len >= LUMA_EMAIL_LIST_MAX)
        return NULL;
      row = append_edit_row (self, list, NULL);
      row->is_new = TRUE;
    }
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (row->entry));
  scroll_to_row (self, row);

  return GTK_EDITABLE (row->entry);
}

static void
add_technical_clicked_cb (LumaContactsEditor *self)
{
  luma_contacts_editor_add_row (self, LUMA_CONTACTS_LIST_TECHNICAL);
}

static void
add_billing_clicked_cb (LumaContactsEditor *self)
{
  luma_contacts_editor_add_row (self, LUMA_CONTACTS_LIST_BILLING);
}

void
luma_contacts_editor_remove_row (LumaContactsEditor *self,
                                 LumaContactsList    list,
                                 guint               index)
{
  EditRow *row;

  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));
  g_return_if_fail (self->editing);
  g_return_if_fail (index < self->rows[list]->len);

  row = g_ptr_array_index (self->rows[list], index);
  if (self->scroll_row == row)
    cancel_scroll (self);
  gtk_list_box_remove (list_box (self, list), row->row);
  g_ptr_array_remove_index (self->rows[list], index);
  update_row_labels (self, list);
  validate (self);
}

gboolean
luma_contacts_editor_get_editing (LumaContactsEditor *self)
{
  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), FALSE);
  return self->editing;
}

gboolean
luma_contacts_editor_get_busy (LumaContactsEditor *self)
{
  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), FALSE);
  return self->busy;
}

gboolean
luma_contacts_editor_can_save (LumaContactsEditor *self)
{
  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), FALSE);
  return self->editing && gtk_widget_get_sensitive (GTK_WIDGET (self->save_button));
}

gboolean
luma_contacts_editor_get_modified (LumaContactsEditor *self)
{
  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), FALSE);
  return self->editing && lists_changed (self);
}

void
luma_contacts_editor_focus (LumaContactsEditor *self)
{
  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (!self->editing)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->edit_button));
      return;
    }

  /* The first row with a problem, else where the focus was (back from a question about the
   * edit), else the last row (the new one). Never with the text selected: the first key
   * press would replace an address. */
  for (guint l = 0; l < 2; l++)
    for (guint i = 0; i < self->rows[l]->len; i++)
      {
        EditRow *row = g_ptr_array_index (self->rows[l], i);

        if (gtk_widget_has_css_class (GTK_WIDGET (row->entry), "error"))
          {
            gtk_entry_grab_focus_without_selecting (row->entry);
            scroll_to_row (self, row);
            return;
          }
      }
  if (has_focus_within (self))
    return;
  if (self->rows[0]->len > 0)
    {
      EditRow *row = g_ptr_array_index (self->rows[0], self->rows[0]->len - 1);

      gtk_entry_grab_focus_without_selecting (row->entry);
      scroll_to_row (self, row);
    }
}

static GStrv
collect (LumaContactsEditor *self,
         LumaContactsList    list)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < self->rows[list]->len; i++)
    {
      EditRow *row = g_ptr_array_index (self->rows[list], i);
      g_autofree char *address = NULL;

      if (row_is_blank_new (row))
        continue;
      address = luma_email_normalize (gtk_editable_get_text (GTK_EDITABLE (row->entry)));
      g_strv_builder_add (builder, address);
    }

  return g_strv_builder_end (builder);
}

/* "technicalEmails[3]" -> the row it names, or NULL. */
static EditRow *
row_for_field (LumaContactsEditor *self,
               const char         *field)
{
  LumaContactsList list;
  const char *p;
  guint64 index;

  if (field == NULL)
    return NULL;
  if (g_str_has_prefix (field, "technicalEmails["))
    list = LUMA_CONTACTS_LIST_TECHNICAL;
  else if (g_str_has_prefix (field, "billingEmails["))
    list = LUMA_CONTACTS_LIST_BILLING;
  else
    return NULL;

  p = strchr (field, '[') + 1;
  index = g_ascii_strtoull (p, NULL, 10);
  if (index >= self->rows[list]->len)
    return NULL;

  return g_ptr_array_index (self->rows[list], index);
}

static const char *
server_code_message (const char *code)
{
  if (g_strcmp0 (code, "DUPLICATE_EMAIL") == 0)
    return _("The server says this address appears twice");
  if (g_strcmp0 (code, "EMPTY_LIST") == 0)
    return _("The server needs at least one address in each list");
  return _("The server does not accept this address");
}

static void
show_conflict (LumaContactsEditor *self);

static void
toast (LumaContactsEditor *self,
       const char         *message)
{
  luma_widget_show_toast (GTK_WIDGET (self), message);
}

static void
save_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LumaContactsEditor *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) field_errors = NULL;
  LumaContactsOutcome outcome;

  outcome = luma_sync_save_contacts_finish (LUMA_SYNC (source), result, &field_errors, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }

  self->busy = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), TRUE);

  if (error != NULL)
    {
      if (g_error_matches (error, LUMA_API_ERROR, LUMA_API_ERROR_VALIDATION) && field_errors != NULL)
        {
          for (guint i = 0; i < field_errors->len; i++)
            {
              LumaFieldError *fe = g_ptr_array_index (field_errors, i);
              EditRow *row = row_for_field (self, fe->field);

              if (row != NULL)
                {
                  g_free (row->server_error);
                  row->server_error = g_strdup (server_code_message (fe->code));
                }
            }
          toast (self, _("The server refused some addresses: see the marked rows"));
        }
      else
        {
          g_autofree char *message = g_strdup_printf (_("Cannot save the contacts: %s"), error->message);

          toast (self, message);
        }
      validate (self);
      g_signal_emit_by_name (self, "save-failed");
      g_object_unref (self);
      return;
    }

  end_editing (self);

  switch (outcome)
    {
    case LUMA_CONTACTS_PUSHED:
      toast (self, _("Contacts saved"));
      break;
    case LUMA_CONTACTS_QUEUED:
      toast (self, _("Offline: the contacts are saved here and sent at the next sync"));
      break;
    case LUMA_CONTACTS_CONFLICT:
    default:
      show_conflict (self);
      break;
    }

  g_signal_emit_by_name (self, "saved");
  g_object_unref (self);
}

void
luma_contacts_editor_save (LumaContactsEditor *self)
{
  g_auto(GStrv) technical = NULL;
  g_auto(GStrv) billing = NULL;

  g_return_if_fail (LUMA_IS_CONTACTS_EDITOR (self));

  if (!luma_contacts_editor_can_save (self) || self->sync == NULL)
    return;

  technical = collect (self, LUMA_CONTACTS_LIST_TECHNICAL);
  billing = collect (self, LUMA_CONTACTS_LIST_BILLING);

  self->busy = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), FALSE);

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  luma_sync_save_contacts_async (self->sync,
                                 (const char * const *) technical,
                                 (const char * const *) billing,
                                 self->cancellable,
                                 save_cb,
                                 g_object_ref (self));
}

GStrv
luma_contacts_editor_dup_addresses (LumaContactsEditor *self,
                                    LumaContactsList    list)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), NULL);

  if (self->editing)
    {
      builder = g_strv_builder_new ();
      for (guint i = 0; i < self->rows[list]->len; i++)
        {
          EditRow *row = g_ptr_array_index (self->rows[list], i);

          g_strv_builder_add (builder, gtk_editable_get_text (GTK_EDITABLE (row->entry)));
        }
      return g_strv_builder_end (builder);
    }

  builder = g_strv_builder_new ();
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list_box (self, list)));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ADW_IS_ACTION_ROW (child) && !gtk_widget_has_css_class (child, "dim-label"))
      g_strv_builder_add (builder, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)));

  return g_strv_builder_end (builder);
}

GtkEditable *
luma_contacts_editor_get_entry (LumaContactsEditor *self,
                                LumaContactsList    list,
                                guint               index)
{
  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), NULL);

  if (!self->editing || index >= self->rows[list]->len)
    return NULL;
  return GTK_EDITABLE (((EditRow *) g_ptr_array_index (self->rows[list], index))->entry);
}

const char *
luma_contacts_editor_get_row_error (LumaContactsEditor *self,
                                    LumaContactsList    list,
                                    guint               index)
{
  EditRow *row;

  g_return_val_if_fail (LUMA_IS_CONTACTS_EDITOR (self), NULL);

  if (!self->editing || index >= self->rows[list]->len)
    return NULL;

  row = g_ptr_array_index (self->rows[list], index);
  if (!gtk_widget_get_visible (GTK_WIDGET (row->error)))
    return NULL;
  return gtk_label_get_label (row->error);
}

/* ---- Conflicts ------------------------------------------------------------------------------ */

static char *
describe (const LumaContacts *c)
{
  g_autofree char *technical = g_strjoinv ("\n", c->technical_emails);
  g_autofree char *billing = g_strjoinv ("\n", c->billing_emails);

  return g_strdup_printf ("%s\n%s\n\n%s\n%s", _("Technical Email"), technical,
                          _("Billing Email"), billing);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LumaContactsEditor) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!luma_cache_resolve_conflict_finish (LUMA_CACHE (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot resolve the conflict: %s"), error->message);

      toast (self, message);
      return;
    }

  luma_contacts_editor_reload (self);
  /* Push the chosen version (or fetch the server's) now. */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.refresh", NULL);
}

static void
conflict_response_cb (AdwMessageDialog   *dialog,
                      const char         *response,
                      LumaContactsEditor *self)
{
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GError) error = NULL;

  if (self->cache == NULL || g_strcmp0 (response, "later") == 0)
    return;

  if (!luma_cache_get_conflict (self->cache, &mine, &theirs, &error))
    return;

  luma_cache_resolve_conflict_async (self->cache,
                                     g_strcmp0 (response, "mine") == 0 ? mine : NULL,
                                     NULL, resolved_cb, g_object_ref (self));
}

static void
show_conflict (LumaContactsEditor *self)
{
  g_autoptr(LumaContacts) mine = NULL;
  g_autoptr(LumaContacts) theirs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mine_text = NULL;
  g_autofree char *theirs_text = NULL;
  GtkWidget *grid, *label;
  GtkWidget *dialog;

  if (self->cache == NULL || !luma_cache_get_conflict (self->cache, &mine, &theirs, &error))
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("The Contacts Changed on the Server"),
                                   _("Someone saved other lists since you started editing. "
                                     "Choose the version to keep."));
  grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);

  label = gtk_label_new (_("Your Version"));
  gtk_widget_add_css_class (label, "heading");
  gtk_grid_attach (GTK_GRID (grid), label, 0, 0, 1, 1);
  label = gtk_label_new (_("Server Version"));
  gtk_widget_add_css_class (label, "heading");
  gtk_grid_attach (GTK_GRID (grid), label, 1, 0, 1, 1);

  mine_text = describe (mine);
  theirs_text = describe (theirs);
  label = gtk_label_new (mine_text);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_valign (label, GTK_ALIGN_START);
  gtk_grid_attach (GTK_GRID (grid), label, 0, 1, 1, 1);
  label = gtk_label_new (theirs_text);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_valign (label, GTK_ALIGN_START);
  gtk_grid_attach (GTK_GRID (grid), label, 1, 1, 1, 1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), grid);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "later", _("_Later"),
                                    "theirs", _("Use _Server Version"),
                                    "mine", _("Keep _My Version"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "mine",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "mine");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect_object (dialog, "response", G_CALLBACK (conflict_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
resolve_clicked_cb (LumaContactsEditor *self)
{
  show_conflict (self);
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
luma_contacts_editor_dispose (GObject *object)
{
  LumaContactsEditor *self = LUMA_CONTACTS_EDITOR (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  cancel_scroll (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LUMA_TYPE_CONTACTS_EDITOR);
  /* The template's top child has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);

  G_OBJECT_CLASS (luma_contacts_editor_parent_class)->dispose (object);
}

static void
luma_contacts_editor_finalize (GObject *object)
{
  LumaContactsEditor *self = LUMA_CONTACTS_EDITOR (object);

  g_ptr_array_unref (self->rows[0]);
  g_ptr_array_unref (self->rows[1]);
  g_strfreev (self->original[0]);
  g_strfreev (self->original[1]);

  G_OBJECT_CLASS (luma_contacts_editor_parent_class)->finalize (object);
}

static void
luma_contacts_editor_class_init (LumaContactsEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = luma_contacts_editor_dispose;
  object_class->finalize = luma_contacts_editor_finalize;

  /* Emitted after a save finished (pushed, queued or conflicting). */
  g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 0);
  /* Emitted when a save ended in an error: the edit goes on. */
  g_signal_new ("save-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lumadesk/Subscription/luma-contacts-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, buttons_stack);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, edit_button);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, pending_revealer);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, pending_label);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, resolve_button);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, technical_list);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, billing_list);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, technical_error);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, billing_error);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, add_technical_button);
  gtk_widget_class_bind_template_child (widget_class, LumaContactsEditor, add_billing_button);
  gtk_widget_class_bind_template_callback (widget_class, luma_contacts_editor_edit);
  gtk_widget_class_bind_template_callback (widget_class, luma_contacts_editor_cancel);
  gtk_widget_class_bind_template_callback (widget_class, luma_contacts_editor_save);
  gtk_widget_class_bind_template_callback (widget_class, resolve_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_technical_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_billing_clicked_cb);
}

static void
luma_contacts_editor_init (LumaContactsEditor *self)
{
  self->rows[0] = g_ptr_array_new_with_free_func (edit_row_free);
  self->rows[1] = g_ptr_array_new_with_free_func (edit_row_free);

  gtk_widget_init_template (GTK_WIDGET (self));
  luma_a11y_fix_names (GTK_WIDGET (self));
}
