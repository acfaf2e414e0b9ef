/* luma-models.c: the resources of docs/api.md as plain structs: their
 * enumerations, constructors, copies and frees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "luma-credentials.h"
#include "luma-models.h"
#include "luma-models-private.h"

/* Enumerations */

const char *const _luma_license_type_names[] = { "SESSION", "USER" };
const char *const _luma_initiated_by_names[] = { "END_USER", "AGENT" };
const char *const _luma_channel_names[] = {
  "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL",
};
const char *const _luma_role_names[] = {
  "Admin", "Developer", "Analyst", "Self-service", "Guest",
};
const char *const _luma_user_status_names[] = { "ACTIVE", "INACTIVE" };
const char *const _luma_sender_names[] = { "USER", "BOT", "AGENT" };
const char *const _luma_purchase_kind_names[] = {
  "PURCHASE", "REFILL", "REMOVAL", "AUTO_REFILL",
};

gboolean
_luma_enum_lookup (const char *const *names,
                   guint              n_names,
                   const char        *str,
                   int               *out)
{
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    {
      if (strcmp (names[i], str) == 0)
        {
          *out = (int) i;
          return TRUE;
        }
    }
  return FALSE;
}

#define DEFINE_ENUM_STRINGS(Type, type, names)                          \
  const char *                                                          \
  luma_##type##_to_string (Type value)                                  \
  {                                                                     \
    if ((guint) value >= G_N_ELEMENTS (names))                          \
      return NULL;                                                      \
    return names[value];                                                \
  }                                                                     \
  gboolean                                                              \
  luma_##type##_from_string (const char *str,                           \
                             Type       *out)                           \
  {                                                                     \
    int v;                                                              \
    if (!_luma_enum_lookup (names, G_N_ELEMENTS (names), str, &v))      \
      return FALSE;                                                     \
    if (out != NULL)                                                    \
      *out = (Type) v;                                                  \
    return TRUE;                                                        \
  }

DEFINE_ENUM_STRINGS (LumaLicenseType, license_type, _luma_license_type_names)
DEFINE_ENUM_STRINGS (LumaInitiatedBy, initiated_by, _luma_initiated_by_names)
DEFINE_ENUM_STRINGS (LumaChannel, channel, _luma_channel_names)
DEFINE_ENUM_STRINGS (LumaRole, role, _luma_role_names)
DEFINE_ENUM_STRINGS (LumaUserStatus, user_status, _luma_user_status_names)
DEFINE_ENUM_STRINGS (LumaSender, sender, _luma_sender_names)
DEFINE_ENUM_STRINGS (LumaPurchaseKind, purchase_kind, _luma_purchase_kind_names)

const char *
luma_license_type_to_display (LumaLicenseType value)
{
  switch (value)
    {
    case LUMA_LICENSE_TYPE_SESSION: return _("Session-Based");
    case LUMA_LICENSE_TYPE_USER: return _("User-Based");
    default: return NULL;
    }
}

const char *
luma_initiated_by_to_display (LumaInitiatedBy value)
{
  switch (value)
    {
    case LUMA_INITIATED_BY_END_USER: return _("End User");
    case LUMA_INITIATED_BY_AGENT: return _("Agent");
    default: return NULL;
    }
}

const char *
luma_channel_to_display (LumaChannel value)
{
  switch (value)
    {
    case LUMA_CHANNEL_MS_TEAMS: return _("MS Teams");
    case LUMA_CHANNEL_SKYPE_FOR_BUSINESS: return _("Skype for Business");
    case LUMA_CHANNEL_WEB_WIDGET: return _("Web Widget");
    case LUMA_CHANNEL_SLACK: return _("Slack");
    case LUMA_CHANNEL_WHATSAPP: return _("WhatsApp");
    /* Translators: the channel a conversation came through, not an address */
    case LUMA_CHANNEL_EMAIL: return C_("channel", "Email");
    default: return NULL;
    }
}

const char *
luma_role_to_display (LumaRole value)
{
  switch (value)
    {
    /* Translators: a user's role in the tenant (the "Role" column), short for Administrator */
    case LUMA_ROLE_ADMIN: return _("Admin");
    case LUMA_ROLE_DEVELOPER: return _("Developer");
    case LUMA_ROLE_ANALYST: return _("Analyst");
    case LUMA_ROLE_SELF_SERVICE: return _("Self-service");
    case LUMA_ROLE_GUEST: return _("Guest");
    default: return NULL;
    }
}

const char *
luma_user_status_to_display (LumaUserStatus value)
{
  switch (value)
    {
    /* Translators: the status of a user account (the "Status" column) */
    case LUMA_USER_STATUS_ACTIVE: return C_("user status", "Active");
    /* Translators: the status of a user account (the "Status" column) */
    case LUMA_USER_STATUS_INACTIVE: return C_("user status", "Inactive");
    default: return NULL;
    }
}

const char *
luma_sender_to_display (LumaSender value)
{
  switch (value)
    {
    /* Translators: who wrote a message of a conversation */
    case LUMA_SENDER_USER: return C_("message sender", "User");
    case LUMA_SENDER_BOT: return C_("message sender", "Bot");
    case LUMA_SENDER_AGENT: return C_("message sender", "Agent");
    default: return NULL;
    }
}

const char *
luma_purchase_kind_to_display (LumaPurchaseKind value)
{
  switch (value)
    {
    /* Translators: the kind of an entry of the purchase history (a noun) */
    case LUMA_PURCHASE_KIND_PURCHASE: return C_("purchase kind", "Purchase");
    /* Translators: a purchase history entry: licenses added later (a noun, not a verb) */
    case LUMA_PURCHASE_KIND_REFILL: return C_("purchase kind", "Refill");
    case LUMA_PURCHASE_KIND_REMOVAL: return C_("purchase kind", "Removal");
    case LUMA_PURCHASE_KIND_AUTO_REFILL: return C_("purchase kind", "Auto-Refill");
    default: return NULL;
    }
}

/* Structs */

static void
ptr_array_unref0 (GPtrArray *array)
{
  if (array != NULL)
    g_ptr_array_unref (array);
}

LumaSessionRecord *
luma_session_record_new (void)
{
  return g_new0 (LumaSessionRecord, 1);
}

LumaSessionRecord *
luma_session_record_copy (const LumaSessionRecord *self)
{
  LumaSessionRecord *copy = g_new (LumaSessionRecord, 1);

  *copy = *self;
  copy->session_id = g_strdup (self->session_id);
  copy->user_name = g_strdup (self->user_name);
  copy->email = g_strdup (self->email);
  copy->agent_name = g_strdup (self->agent_name);
  return copy;
}

void
luma_session_record_free (LumaSessionRecord *self)
{
  if (self == NULL)
    return;
  g_free (self->session_id);
  g_free (self->user_name);
  g_free (self->email);
  g_free (self->agent_name);
  g_free (self);
}

LumaUserRecord *
luma_user_record_new (void)
{
  return g_new0 (LumaUserRecord, 1);
}

LumaUserRecord *
luma_user_record_copy (const LumaUserRecord *self)
{
  LumaUserRecord *copy = g_new (LumaUserRecord, 1);

  *copy = *self;
  copy->user_id = g_strdup (self->user_id);
  copy->user_name = g_strdup (self->user_name);
  copy->email = g_strdup (self->email);
  copy->first_name = g_strdup (self->first_name);
  copy->last_name = g_strdup (self->last_name);
  return copy;
}

void
luma_user_record_free (LumaUserRecord *self)
{
  if (self == NULL)
    return;
  g_free (self->user_id);
  g_free (self->user_name);
  g_free (self->email);
  g_free (self->first_name);
  g_free (self->last_name);
  g_free (self);
}

void
luma_consumption_page_free (LumaConsumptionPage *self)
{
  if (self == NULL)
    return;
  ptr_array_unref0 (self->items);
  g_free (self->next_cursor);
  g_free (self);
}

void
luma_tenant_page_free (LumaTenantPage *self)
{
  if (self == NULL)
    return;
  ptr_array_unref0 (self->items);
  g_free (self->next_cursor);
  g_free (self);
}

LumaSubscription *
luma_subscription_copy (const LumaSubscription *self)
{
  LumaSubscription *copy = g_new (LumaSubscription, 1);

  *copy = *self;
  copy->external_id = g_strdup (self->external_id);
  copy->tenant_name = g_strdup (self->tenant_name);
  copy->technical_emails = g_strdupv (self->technical_emails);
  copy->billing_emails = g_strdupv (self->billing_emails);
  return copy;
}

void
luma_subscription_free (LumaSubscription *self)
{
  if (self == NULL)
    return;
  g_free (self->external_id);
  g_free (self->tenant_name);
  g_strfreev (self->technical_emails);
  g_strfreev (self->billing_emails);
  g_free (self);
}

LumaContacts *
luma_contacts_new (const char *const *technical_emails,
                   const char *const *billing_emails,
                   gint64             version)
{
  LumaContacts *self = g_new0 (LumaContacts, 1);
  const char *const empty[] = { NULL };

  self->technical_emails = g_strdupv ((GStrv) (technical_emails ? technical_emails : empty));
  self->billing_emails = g_strdupv ((GStrv) (billing_emails ? billing_emails : empty));
  self->version = version;
  return self;
}

LumaContacts *
luma_contacts_copy (const LumaContacts *self)
{
  return luma_contacts_new ((const char *const *) self->technical_emails,
                            (const char *const *) self->billing_emails,
                            self->version);
}

void
luma_contacts_free (LumaContacts *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->technical_emails);
  g_strfreev (self->billing_emails);
  g_free (self);
}

LumaPurchase *
luma_purchase_copy (const LumaPurchase *self)
{
  LumaPurchase *copy = g_new (LumaPurchase, 1);

  *copy = *self;
  copy->purchase_id = g_strdup (self->purchase_id);
  copy->performed_by = g_strdup (self->performed_by);
  copy->reason = g_strdup (self->reason);
  copy->reference = g_strdup (self->reference);
  return copy;
}

void
luma_purchase_free (LumaPurchase *self)
{
  if (self == NULL)
    return;
  g_free (self->purchase_id);
  g_free (self->performed_by);
  g_free (self->reason);
  g_free (self->reference);
  g_free (self);
}

LumaMessage *
luma_message_copy (const LumaMessage *self)
{
  LumaMessage *copy = g_new (LumaMessage, 1);

  *copy = *self;
  copy->sender_name = g_strdup (self->sender_name);
  copy->text = g_strdup (self->text);
  return copy;
}

void
luma_message_free (LumaMessage *self)
{
  if (self == NULL)
    return;
  g_free (self->sender_name);
  g_free (self->text);
  g_free (self);
}

LumaConversation *
luma_conversation_copy (const LumaConversation *self)
{
  LumaConversation *copy = g_new (LumaConversation, 1);

  *copy = *self;
  copy->conversation_id = g_strdup (self->conversation_id);
  copy->session_id = g_strdup (self->session_id);
  copy->user_id = g_strdup (self->user_id);
  copy->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_message_free);
  if (self->messages != NULL)
    for (guint i = 0; i < self->messages->len; i++)
      g_ptr_array_add (copy->messages, luma_message_copy (g_ptr_array_index (self->messages, i)));
  return copy;
}

void
luma_conversation_free (LumaConversation *self)
{
  if (self == NULL)
    return;
  g_free (self->conversation_id);
  g_free (self->session_id);
  g_free (self->user_id);
  ptr_array_unref0 (self->messages);
  g_free (self);
}

LumaTenantSummary *
luma_tenant_summary_copy (const LumaTenantSummary *self)
{
  LumaTenantSummary *copy = g_new (LumaTenantSummary, 1);

  *copy = *self;
  copy->external_id = g_strdup (self->external_id);
  copy->tenant_name = g_strdup (self->tenant_name);
  return copy;
}

void
luma_tenant_summary_free (LumaTenantSummary *self)
{
  if (self == NULL)
    return;
  g_free (self->external_id);
  g_free (self->tenant_name);
  g_free (self);
}

LumaFieldError *
luma_field_error_new (const char *code,
                      const char *field,
                      const char *message)
{
  LumaFieldError *self = g_new (LumaFieldError, 1);

  self->code = g_strdup (code);
  self->field = g_strdup (field);
  self->message = g_strdup (message);
  return self;
}

LumaFieldError *
luma_field_error_copy (const LumaFieldError *self)
{
  return luma_field_error_new (self->code, self->field, self->message);
}

void
luma_field_error_free (LumaFieldError *self)
{
  if (self == NULL)
    return;
  g_free (self->code);
  g_free (self->field);
  g_free (self->message);
  g_free (self);
}

void
luma_refill_result_free (LumaRefillResult *self)
{
  if (self == NULL)
    return;
  luma_purchase_free (self->purchase);
  g_free (self);
}

void
luma_login_result_free (LumaLoginResult *self)
{
  if (self == NULL)
    return;
  /* Do not leave the token in freed memory. */
  luma_credentials_free_secret (self->token);
  g_free (self);
}
