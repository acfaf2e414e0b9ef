/* luma-models.h: the resources of docs/api.md as plain structs
 *
 * Their decoders are in luma-json-decode.h and luma-page-reader.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-error.h"
#include "luma-iso8601.h"

G_BEGIN_DECLS

/* Counts are non-negative integers below 2^53 (docs/api.md §1). */
#define LUMA_MAX_COUNT ((gint64) 9007199254740991) /* 2^53 - 1 */

/* A refill or removal changes the total purchase by at most this much
 * either way (docs/api.md §3.4). */
#define LUMA_MAX_REFILL_CHANGE ((gint64) 1000000)

/* The longest nextCursor a page may carry, in characters: real cursors are a
 * few dozen; a longer one would be stored and sent back on every sync. */
#define LUMA_MAX_CURSOR_LENGTH 1024

/* Enumerations. _to_string() gives the wire string, _from_string() accepts
 * exactly the wire strings (unknown values are a protocol error, never a
 * default), _to_display() gives a translated label for the UI. */

typedef enum
{
  LUMA_LICENSE_TYPE_SESSION,
  LUMA_LICENSE_TYPE_USER,
} LumaLicenseType;

typedef enum
{
  LUMA_INITIATED_BY_END_USER,
  LUMA_INITIATED_BY_AGENT,
} LumaInitiatedBy;

typedef enum
{
  LUMA_CHANNEL_MS_TEAMS,
  LUMA_CHANNEL_SKYPE_FOR_BUSINESS,
  LUMA_CHANNEL_WEB_WIDGET,
  LUMA_CHANNEL_SLACK,
  LUMA_CHANNEL_WHATSAPP,
  LUMA_CHANNEL_EMAIL,
} LumaChannel;

#define LUMA_N_CHANNELS (LUMA_CHANNEL_EMAIL + 1)

typedef enum
{
  LUMA_ROLE_ADMIN,
  LUMA_ROLE_DEVELOPER,
  LUMA_ROLE_ANALYST,
  LUMA_ROLE_SELF_SERVICE,
  LUMA_ROLE_GUEST,
} LumaRole;

#define LUMA_N_ROLES (LUMA_ROLE_GUEST + 1)

typedef enum
{
  LUMA_USER_STATUS_ACTIVE,
  LUMA_USER_STATUS_INACTIVE,
} LumaUserStatus;

typedef enum
{
  LUMA_SENDER_USER,
  LUMA_SENDER_BOT,
  LUMA_SENDER_AGENT,
} LumaSender;

typedef enum
{
  LUMA_PURCHASE_KIND_PURCHASE,
  LUMA_PURCHASE_KIND_REFILL,
  LUMA_PURCHASE_KIND_REMOVAL,
  LUMA_PURCHASE_KIND_AUTO_REFILL,
} LumaPurchaseKind;

/* What a tenant list says of a tenant's last refill (docs/api.md §3.2). */
typedef enum
{
  LUMA_LAST_REFILL_UNKNOWN,   /* absent: an older server, or an older cache */
  LUMA_LAST_REFILL_NEVER,     /* null: no refill nor removal yet */
  LUMA_LAST_REFILL_KNOWN,
} LumaLastRefill;

const char *luma_license_type_to_string   (LumaLicenseType   value);
gboolean    luma_license_type_from_string (const char       *str,
                                           LumaLicenseType  *out);
const char *luma_license_type_to_display  (LumaLicenseType   value);

const char *luma_initiated_by_to_string   (LumaInitiatedBy   value);
gboolean    luma_initiated_by_from_string (const char       *str,
                                           LumaInitiatedBy  *out);
const char *luma_initiated_by_to_display  (LumaInitiatedBy   value);

const char *luma_channel_to_string        (LumaChannel       value);
gboolean    luma_channel_from_string      (const char       *str,
                                           LumaChannel      *out);
const char *luma_channel_to_display       (LumaChannel       value);

const char *luma_role_to_string           (LumaRole          value);
gboolean    luma_role_from_string         (const char       *str,
                                           LumaRole         *out);
const char *luma_role_to_display          (LumaRole          value);

const char *luma_user_status_to_string    (LumaUserStatus    value);
gboolean    luma_user_status_from_string  (const char       *str,
                                           LumaUserStatus   *out);
const char *luma_user_status_to_display   (LumaUserStatus    value);

const char *luma_sender_to_string         (LumaSender        value);
gboolean    luma_sender_from_string       (const char       *str,
                                           LumaSender       *out);
const char *luma_sender_to_display        (LumaSender        value);

const char *luma_purchase_kind_to_string   (LumaPurchaseKind  value);
gboolean    luma_purchase_kind_from_string (const char       *str,
                                            LumaPurchaseKind *out);
const char *luma_purchase_kind_to_display  (LumaPurchaseKind  value);
/* Records and resources. Plain structs, public fields; every string is
 * valid UTF-8 and owned by the struct. */

typedef struct
{
  char            *session_id;
  gint64           started_on;      /* unix seconds UTC */
  LumaInitiatedBy  initiated_by;
  char            *user_name;
  char            *email;           /* may be "" (anonymous web widget users) */
  LumaRole         role;
  char            *agent_name;      /* NULL if no live agent joined */
  LumaChannel      channel;
  gint64           conversations;
} LumaSessionRecord;

typedef struct
{
  char           *user_id;
  char           *user_name;
  char           *email;
  char           *first_name;       /* may be "" */
  char           *last_name;        /* may be "" */
  LumaRole        role;
  LumaUserStatus  status;
  gint64          created_on;
  gint64          conversations;
  /* lastConversationOn (docs/api.md §2.3): FALSE when the server did not
   * say (an older server, or a row stored before the cache knew it). When
   * TRUE, the user never had a conversation if @conversations is 0, and
   * @last_conversation_on is the start of the last one otherwise. */
  gboolean        last_conversation_known;
  gint64          last_conversation_on;     /* unix seconds UTC */
} LumaUserRecord;

typedef struct
{
  LumaLicenseType  license_type;
  GPtrArray       *items;           /* LumaSessionRecord* or LumaUserRecord* per license_type; owns them */
  char            *next_cursor;
  gboolean         has_more;
  gint64           remaining;
} LumaConsumptionPage;

/* One page of GET /platform/tenants. */
typedef struct
{
  GPtrArray       *items;           /* LumaTenantSummary*; owns them */
  char            *next_cursor;     /* NULL on the last page */
  gboolean         has_more;
} LumaTenantPage;

typedef struct
{
  char            *external_id;
  char            *tenant_name;
  LumaLicenseType  license_type;
  gint64           start_date;
  gint64           end_date;
  gint64           session_duration_minutes;
  gint64           total_purchase;
  gint64           consumed;
  gint64           available;
  gint64           overage;
  GStrv            technical_emails;
  GStrv            billing_emails;
  gint64           version;
} LumaSubscription;

typedef struct
{
  GStrv  technical_emails;
  GStrv  billing_emails;
  gint64 version;
} LumaContacts;

typedef struct
{
  char             *purchase_id;
  gint64            performed_on;
  LumaPurchaseKind  kind;
  gint64            change;         /* > 0 addition, < 0 removal, never 0 */
  gint64            total_after;
  char             *performed_by;
  char             *reason;
  char             *reference;      /* nullable */
} LumaPurchase;

typedef struct
{
  LumaSender  sender;
  char       *sender_name;
  gint64      sent_at;
  char       *text;
} LumaMessage;

typedef struct
{
  char        *conversation_id;
  char        *session_id;          /* nullable (USER tenants) */
  char        *user_id;             /* nullable (SESSION tenants) */
  LumaChannel  channel;
  gint64       started_on;
  GPtrArray   *messages;            /* LumaMessage*, owns them, in time order */
} LumaConversation;

typedef struct
{
  char            *external_id;
  char            *tenant_name;
  LumaLicenseType  license_type;
  gint64           start_date;
  gint64           end_date;
  gint64           total_purchase;
  gint64           consumed;
  gint64           available;
  gint64           overage;
  LumaLastRefill   last_refill;         /* UNKNOWN: the server did not say */
  gint64           last_refill_at;      /* unix seconds UTC; when KNOWN */
  gint64           last_refill_change;  /* non-zero, negative for a removal; when KNOWN */
} LumaTenantSummary;

typedef struct
{
  char *code;                       /* e.g. "INVALID_EMAIL" */
  char *field;                      /* nullable, e.g. "technicalEmails[1]" */
  char *message;                    /* English, for logs */
} LumaFieldError;

typedef struct
{
  LumaPurchase *purchase;
  gint64        total_purchase;
  gint64        consumed;
  gint64        available;
  gint64        overage;
} LumaRefillResult;

typedef struct
{
  char   *token;                    /* secret: never log it */
  gint64  expires_in;               /* seconds */
  gint64  expires_at;               /* unix seconds UTC */
} LumaLoginResult;

LumaSessionRecord   *luma_session_record_new     (void);
LumaSessionRecord   *luma_session_record_copy    (const LumaSessionRecord   *self);
void                 luma_session_record_free    (LumaSessionRecord         *self);

LumaUserRecord      *luma_user_record_new        (void);
LumaUserRecord      *luma_user_record_copy       (const LumaUserRecord      *self);
void                 luma_user_record_free       (LumaUserRecord            *self);

void                 luma_consumption_page_free  (LumaConsumptionPage       *self);
void                 luma_tenant_page_free       (LumaTenantPage            *self);

LumaSubscription    *luma_subscription_copy      (const LumaSubscription    *self);
void                 luma_subscription_free      (LumaSubscription          *self);

LumaContacts        *luma_contacts_new           (const char *const         *technical_emails,
                                                  const char *const         *billing_emails,
                                                  gint64                     version);
LumaContacts        *luma_contacts_copy          (const LumaContacts        *self);
void                 luma_contacts_free          (LumaContacts              *self);

LumaPurchase        *luma_purchase_copy          (const LumaPurchase        *self);
void                 luma_purchase_free          (LumaPurchase              *self);

LumaMessage         *luma_message_copy           (const LumaMessage         *self);
void                 luma_message_free           (LumaMessage               *self);

LumaConversation    *luma_conversation_copy      (const LumaConversation    *self);
void                 luma_conversation_free      (LumaConversation          *self);

LumaTenantSummary   *luma_tenant_summary_copy    (const LumaTenantSummary   *self);
void                 luma_tenant_summary_free    (LumaTenantSummary         *self);

LumaFieldError      *luma_field_error_new        (const char                *code,
                                                  const char                *field,
                                                  const char                *message);
LumaFieldError      *luma_field_error_copy       (const LumaFieldError      *self);
void                 luma_field_error_free       (LumaFieldError            *self);

void                 luma_refill_result_free     (LumaRefillResult          *self);

void                 luma_login_result_free      (LumaLoginResult           *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaSessionRecord, luma_session_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaUserRecord, luma_user_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaConsumptionPage, luma_consumption_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTenantPage, luma_tenant_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaSubscription, luma_subscription_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaContacts, luma_contacts_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaPurchase, luma_purchase_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaMessage, luma_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaConversation, luma_conversation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTenantSummary, luma_tenant_summary_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaFieldError, luma_field_error_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaRefillResult, luma_refill_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaLoginResult, luma_login_result_free)

G_END_DECLS
