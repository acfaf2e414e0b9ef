/* luma-account-page.h: first run and accounts: connect as a Tenant Administrator or a Superadmin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-account.h"

G_BEGIN_DECLS

#define LUMA_TYPE_ACCOUNT_PAGE (luma_account_page_get_type ())

G_DECLARE_FINAL_TYPE (LumaAccountPage, luma_account_page, LUMA, ACCOUNT_PAGE, GtkWidget)

typedef enum
{
  LUMA_ACCOUNT_FIELD_NONE,
  LUMA_ACCOUNT_FIELD_SERVER,
  LUMA_ACCOUNT_FIELD_TENANT,
  LUMA_ACCOUNT_FIELD_API_KEY,
  LUMA_ACCOUNT_FIELD_USER,
  LUMA_ACCOUNT_FIELD_PASSWORD,
} LumaAccountField;

/* Signals: "connected" (LumaAccount *account) after the server accepted the
 * credentials; the account carries its secret for this run, it is stored in
 * GSettings and the secret in the keyring. "open" (LumaAccount *account) when
 * a saved account is chosen. Forgetting a saved account (after the user
 * confirmed) activates app.forget-account with (kind, server, identity). */

void              luma_account_page_set_settings (LumaAccountPage  *self,
                                                  GSettings        *settings);
/* Fills the form, e.g. when a stored account lacks its secret. */
void              luma_account_page_prefill      (LumaAccountPage  *self,
                                                  LumaAccount      *account);
/* Shows @message next to @field (NONE: under the form). */
void              luma_account_page_show_error   (LumaAccountPage  *self,
                                                  LumaAccountField  field,
                                                  const char       *message);
/* The message shown next to @field, or NULL. */
const char       *luma_account_page_get_error    (LumaAccountPage  *self,
                                                  LumaAccountField  field);

/* What the form's controls do, for tests. */
void              luma_account_page_set_kind     (LumaAccountPage  *self,
                                                  LumaAccountKind   kind);
void              luma_account_page_set_field    (LumaAccountPage  *self,
                                                  LumaAccountField  field,
                                                  const char       *text);
void              luma_account_page_connect      (LumaAccountPage  *self);
/* The confirmation before forgetting a saved account; its "forget" response
 * activates app.forget-account. Returns the AdwMessageDialog shown. */
GtkWidget        *luma_account_page_ask_forget   (LumaAccountPage  *self,
                                                  LumaAccount      *account);
/* Stops the connection being tried, at once. */
void              luma_account_page_cancel       (LumaAccountPage  *self);
/* The server address last tried (normalized), or NULL. */
const char       *luma_account_page_get_tried_server (LumaAccountPage *self);
gboolean          luma_account_page_get_busy     (LumaAccountPage  *self);

G_END_DECLS
