/* luma-refill-dialog.h: a Superadmin adds or removes licenses of a tenant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-api-client.h"

G_BEGIN_DECLS

#define LUMA_TYPE_REFILL_DIALOG (luma_refill_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LumaRefillDialog, luma_refill_dialog, LUMA, REFILL_DIALOG, AdwWindow)

/* Signal: "refilled" (gpointer LumaRefillResult *, borrowed) after the server
 * accepted the refill; the dialog then closes. */

/* @subscription: the tenant's current numbers, for the preview. */
LumaRefillDialog *luma_refill_dialog_new         (LumaApiClient          *client,
                                                  const LumaSubscription *subscription);
/* The Idempotency-Key the refill as the controls now give it is sent with:
 * one per exact request body (change, reason, reference). A body sent without
 * a definitive answer (a network error, a time-out) keeps its key for every
 * retry, also after edits and back; any other body gets a key of its own. A
 * definitive answer spends the key. */
const char       *luma_refill_dialog_get_idempotency_key (LumaRefillDialog *self);

/* What the controls do, for tests. */
void              luma_refill_dialog_set_values  (LumaRefillDialog *self,
                                                  gboolean          remove,
                                                  gint64            amount,
                                                  const char       *reason,
                                                  const char       *reference);
gboolean          luma_refill_dialog_can_submit  (LumaRefillDialog *self);
/* Sends without the confirmation step (the confirmation calls this). */
void              luma_refill_dialog_submit      (LumaRefillDialog *self);
gboolean          luma_refill_dialog_get_busy    (LumaRefillDialog *self);
/* The server's refusal or another error shown in the dialog, or NULL. */
const char       *luma_refill_dialog_get_error   (LumaRefillDialog *self);
/* "Total purchase: 50,000 → 55,000 …" */
const char       *luma_refill_dialog_get_preview (LumaRefillDialog *self);

G_END_DECLS
