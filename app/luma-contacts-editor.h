/* luma-contacts-editor.h: the Technical Email and Billing Email lists, viewed and edited
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"
#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_CONTACTS_EDITOR (luma_contacts_editor_get_type ())

/* Signals: "saved" after a save ended (pushed, queued or conflicting), "save-failed" after
 * one ended in an error (the edit goes on). */
G_DECLARE_FINAL_TYPE (LumaContactsEditor, luma_contacts_editor, LUMA, CONTACTS_EDITOR, GtkWidget)

typedef enum
{
  LUMA_CONTACTS_LIST_TECHNICAL,
  LUMA_CONTACTS_LIST_BILLING,
} LumaContactsList;

void      luma_contacts_editor_set_context (LumaContactsEditor *self,
                                            LumaCache          *cache,
                                            LumaSync           *sync);
/* Shows the cached lists (or the edit waiting to be sent) again; ignored
 * while editing. */
void      luma_contacts_editor_reload      (LumaContactsEditor *self);

/* What Edit, Add, Save and Cancel do, for the buttons and for tests. */
void      luma_contacts_editor_edit        (LumaContactsEditor *self);
void      luma_contacts_editor_cancel      (LumaContactsEditor *self);
/* Focuses an empty row for a new address at the end of @list (a new one, or the empty
 * one already there) and scrolls it into view; returns its entry. Edit starts with one in
 * the Technical Email list. A new row left empty is no address: neither checked nor saved. */
GtkEditable *luma_contacts_editor_add_row  (LumaContactsEditor *self,
                                            LumaContactsList    list);
void      luma_contacts_editor_remove_row  (LumaContactsEditor *self,
                                            LumaContactsList    list,
                                            guint               index);
gboolean  luma_contacts_editor_get_editing (LumaContactsEditor *self);
gboolean  luma_contacts_editor_get_busy    (LumaContactsEditor *self);
/* Whether Save is enabled: the lists differ from those when editing began, every row is
 * valid and no list is empty. */
gboolean  luma_contacts_editor_can_save    (LumaContactsEditor *self);
/* TRUE while editing with lists that differ from those when editing began (valid or not):
 * what closing the window or switching account would lose. */
gboolean  luma_contacts_editor_get_modified (LumaContactsEditor *self);
/* Focuses what to edit, with no text selected: the first row with a problem, else the row
 * already focused, else the new row; the Edit button when not editing. */
void      luma_contacts_editor_focus       (LumaContactsEditor *self);
void      luma_contacts_editor_save        (LumaContactsEditor *self);

/* The rows shown: the addresses (view mode) or the entries' texts (edit mode). */
GStrv        luma_contacts_editor_dup_addresses (LumaContactsEditor *self,
                                                 LumaContactsList    list);
/* The entry of a row in edit mode, or NULL. */
GtkEditable *luma_contacts_editor_get_entry     (LumaContactsEditor *self,
                                                 LumaContactsList    list,
                                                 guint               index);
/* The reason shown on a row in edit mode, or NULL when it is valid. */
const char  *luma_contacts_editor_get_row_error (LumaContactsEditor *self,
                                                 LumaContactsList    list,
                                                 guint               index);

G_END_DECLS
