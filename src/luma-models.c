/* luma-models.c: resources of docs/api.md and their strict decoders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "luma-models.h"

/* Enumerations */

static const char *const license_type_names[] = { "SESSION", "USER" };
static const char *const initiated_by_names[] = { "END_USER", "AGENT" };
static const char *const channel_names[] = {
  "MS_TEAMS", "SKYPE_FOR_BUSINESS", "WEB_WIDGET", "SLACK", "WHATSAPP", "EMAIL",
};
static const char *const role_names[] = {
  "Admin", "Developer", "Analyst", "Self-service", "Guest",
};
static const char *const user_status_names[] = { "ACTIVE", "INACTIVE" };
static const char *const sender_names[] = { "USER", "BOT", "AGENT" };
static const char *const purchase_kind_names[] = {
  "PURCHASE", "REFILL", "REMOVAL", "AUTO_REFILL",
};

static gboolean
enum_lookup (const char *const *names,
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
    if (!enum_lookup (names, G_N_ELEMENTS (names), str, &v))            \
      return FALSE;                                                     \
    if (out != NULL)                                                    \
      *out = (Type) v;                                                  \
    return TRUE;                                                        \
  }

DEFINE_ENUM_STRINGS (LumaLicenseType, license_type, license_type_names)
DEFINE_ENUM_STRINGS (LumaInitiatedBy, initiated_by, initiated_by_names)
DEFINE_ENUM_STRINGS (LumaChannel, channel, channel_names)
DEFINE_ENUM_STRINGS (LumaRole, role, role_names)
DEFINE_ENUM_STRINGS (LumaUserStatus, user_status, user_status_names)
DEFINE_ENUM_STRINGS (LumaSender, sender, sender_names)
DEFINE_ENUM_STRINGS (LumaPurchaseKind, purchase_kind, purchase_kind_names)

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

/* Times */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static gint64
days_from_civil (gint64 y,
                 guint  m,
                 guint  d)
{
  gint64 era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint) (y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint64) doe - 719468;
}

static void
civil_from_days (gint64  z,
                 gint64 *y_out,
                 guint  *m_out,
                 guint  *d_out)
{
  gint64 era, y;
  guint doe, yoe, doy, mp, d, m;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (guint) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = (gint64) yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  *y_out = y + (m <= 2);
  *m_out = m;
  *d_out = d;
}

static inline gboolean
read_digits (const char *s,
             guint       n,
             guint      *out)
{
  guint v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      v = v * 10 + (guint) (s[i] - '0');
    }
  *out = v;
  return TRUE;
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define MIN_ISO8601_UNIX G_GINT64_CONSTANT (-62135596800)
#define MAX_ISO8601_UNIX G_GINT64_CONSTANT (253402300799)

gboolean
luma_parse_iso8601 (const char *str,
                    gint64     *out)
{
  static const guint8 month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  guint year, month, day, hour, minute, second;
  gint64 offset = 0;
  gint64 value;
  const char *p;
  gboolean leap;

  if (str == NULL)
    return FALSE;

  /* YYYY-MM-DDTHH:MM:SS: 19 characters; strlen-free checks stop at a NUL
   * because NUL is neither a digit nor a separator. */
  if (!read_digits (str, 4, &year) || str[4] != '-' ||
      !read_digits (str + 5, 2, &month) || str[7] != '-' ||
      !read_digits (str + 8, 2, &day) || (str[10] != 'T' && str[10] != 't') ||
      !read_digits (str + 11, 2, &hour) || str[13] != ':' ||
      !read_digits (str + 14, 2, &minute) || str[16] != ':' ||
      !read_digits (str + 17, 2, &second))
    return FALSE;

  if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
      hour > 23 || minute > 59 || second > 59)
    return FALSE;
  leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap)
    return FALSE;

  p = str + 19;
  if (*p == '.')
    {
      p++;
      if (*p < '0' || *p > '9')
        return FALSE;
      while (*p >= '0' && *p <= '9')
        p++;
    }

  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      guint oh, om;

      if (!read_digits (p + 1, 2, &oh) || p[3] != ':' || !read_digits (p + 4, 2, &om) ||
          oh > 23 || om > 59)
        return FALSE;
      offset = (gint64) oh * 3600 + (gint64) om * 60;
      if (*p == '-')
        offset = -offset;
      p += 6;
    }
  else
    return FALSE;

  if (*p != '\0')
    return FALSE;

  value = days_from_civil (year, month, day) * 86400 +
          (gint64) hour * 3600 + (gint64) minute * 60 + second - offset;
  /* An offset can move year 0000 or 9999 out of the years the formatter,
   * GDateTime and the CSV readers know: the UTC instant must be in 0001..9999. */
  if (value < MIN_ISO8601_UNIX || value > MAX_ISO8601_UNIX)
    return FALSE;
  if (out != NULL)
    *out = value;
  return TRUE;
}

void
luma_format_iso8601_utc_to_buffer (gint64 unix_seconds,
                                   char   buf[LUMA_ISO8601_BUF_SIZE])
{
  gint64 days, secs, y;
  guint m, d;

  days = unix_seconds / 86400;
  secs = unix_seconds % 86400;
  if (secs < 0)
    {
      secs += 86400;
      days -= 1;
    }
  civil_from_days (days, &y, &m, &d);
  g_snprintf (buf, LUMA_ISO8601_BUF_SIZE,
              "%04" G_GINT64_FORMAT "-%02u-%02uT%02u:%02u:%02uZ",
              y, m, d,
              (guint) (secs / 3600), (guint) (secs / 60 % 60), (guint) (secs % 60));
}

char *
luma_format_iso8601_utc (gint64 unix_seconds)
{
  char buf[LUMA_ISO8601_BUF_SIZE];

  luma_format_iso8601_utc_to_buffer (unix_seconds, buf);
  return g_strdup (buf);
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
  if (self->token != NULL)
    {
      /* Do not leave the token in freed memory. */
      memset (self->token, 0, strlen (self->token));
      g_free (self->token);
    }
  g_free (self);
}

/* Decoding. A Path is a chain on the stack; it is only turned into text
 * when an error is reported, so valid input costs nothing for it. */

typedef struct _Path Path;
struct _Path
{
  const Path *parent;
  const char *member; /* NULL for an array element */
  guint       index;
};

static void
path_append (GString    *s,
             const Path *path)
{
  if (path == NULL)
    return;
  path_append (s, path->parent);
  if (path->member != NULL)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, path->member);
    }
  else
    g_string_append_printf (s, "[%u]", path->index);
}

static void G_GNUC_PRINTF (5, 6)
set_error (GError     **error,
           const Path  *path,
           const char  *member,
           int          code,
           const char  *format,
           ...)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *message = NULL;
  va_list args;

  path_append (s, path);
  if (member != NULL)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, member);
    }
  if (s->len == 0)
    g_string_append (s, "(root)");

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Member names and quoted values come from the server: keep the message UTF-8. */
  g_string_append (s, ": ");
  g_string_append (s, message);
  if (!g_utf8_validate (s->str, (gssize) s->len, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (s->str, (gssize) s->len);

      g_set_error_literal (error, LUMA_PROTOCOL_ERROR, code, valid);
      return;
    }
  g_set_error_literal (error, LUMA_PROTOCOL_ERROR, code, s->str);
}

static const char *
node_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY: return "an array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING: return "a string";
        case G_TYPE_BOOLEAN: return "a boolean";
        case G_TYPE_DOUBLE: return "a fractional number";
        default: return "a number";
        }
    default: return "something else";
    }
}

static JsonObject *
as_object (JsonNode    *node,
           const Path  *path,
           GError     **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, path, NULL, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an object, got %s", node ? node_type_name (node) : "nothing");
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonNode *
get_member (JsonObject  *obj,
            const Path  *path,
            const char  *name,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    set_error (error, path, name, LUMA_PROTOCOL_ERROR_MISSING_FIELD, "required member is missing");
  return node;
}

/* Returns the string without copying it, or NULL with @error set. With
 * @nullable, a JSON null gives NULL with *is_null = TRUE and no error. */
static const char *
peek_string (JsonObject  *obj,
             const Path  *path,
             const char  *name,
             gboolean     nullable,
             gboolean    *is_null,
             GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);
  const char *str;

  if (is_null != NULL)
    *is_null = FALSE;
  if (node == NULL)
    return NULL;
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *is_null = TRUE;
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 nullable ? "expected a string or null, got %s" : "expected a string, got %s",
                 node_type_name (node));
      return NULL;
    }
  str = json_node_get_string (node);
  /* json-glib lets "\ud800" through as bytes that are not UTF-8. */
  if (!g_utf8_validate (str, -1, NULL))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                 "the string is not valid UTF-8");
      return NULL;
    }
  return str;
}

/* Length limits are in characters; max 0 = no limit. Bytes bound
 * characters from above, so most strings need no counting. */
static inline gboolean
length_ok (const char *str,
           size_t      bytes,
           guint       min_chars,
           guint       max_chars)
{
  if (bytes < min_chars)
    return FALSE;
  if (max_chars > 0 && bytes > max_chars &&
      g_utf8_strlen (str, (gssize) bytes) > (glong) max_chars)
    return FALSE;
  return TRUE;
}

static inline gboolean
identifier_ok (const char *str,
               size_t      len,
               gboolean    allow_colon)
{
  if (len < 1 || len > 64)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    {
      char c = str[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-' && !(allow_colon && c == ':'))
        return FALSE;
    }
  return TRUE;
}

/* Length limits are in characters; 0 = no limit. */
static gboolean
get_string (JsonObject  *obj,
            const Path  *path,
            const char  *name,
            gboolean     nullable,
            guint        min_chars,
            guint        max_chars,
            char       **out,
            GError     **error)
{
  gboolean is_null;
  const char *str = peek_string (obj, path, name, nullable, &is_null, error);

  if (str == NULL)
    {
      if (is_null)
        {
          *out = NULL;
          return TRUE;
        }
      return FALSE;
    }

  if (min_chars > 0 || max_chars > 0)
    {
      if (!length_ok (str, strlen (str), min_chars, max_chars))
        {
          set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                     max_chars > 0 ? "expected %u to %u characters" : "expected at least %u characters",
                     min_chars, max_chars);
          return FALSE;
        }
    }

  *out = g_strdup (str);
  return TRUE;
}

/* sessionId, userId, conversationId, purchaseId: 1-64 of [A-Za-z0-9._:-];
 * externalId: the same without ':'. */
static gboolean
get_identifier (JsonObject  *obj,
                const Path  *path,
                const char  *name,
                gboolean     nullable,
                gboolean     allow_colon,
                char       **out,
                GError     **error)
{
  gboolean is_null;
  const char *str = peek_string (obj, path, name, nullable, &is_null, error);
  size_t len = 0;

  if (str == NULL)
    {
      if (is_null)
        {
          *out = NULL;
          return TRUE;
        }
      return FALSE;
    }

  for (const char *p = str; *p != '\0'; p++, len++)
    {
      char c = *p;

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-' && !(allow_colon && c == ':'))
        {
          set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                     "not a valid identifier");
          return FALSE;
        }
    }
  if (len < 1 || len > 64)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "an identifier has 1 to 64 characters");
      return FALSE;
    }

  *out = g_strndup (str, len);
  return TRUE;
}

static gboolean
get_int (JsonObject  *obj,
         const Path  *path,
         const char  *name,
         gint64       min,
         gint64       max,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);
  gint64 v;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an integer, got %s", node_type_name (node));
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")",
                 v, min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static inline gboolean
get_count (JsonObject  *obj,
           const Path  *path,
           const char  *name,
           gint64      *out,
           GError     **error)
{
  return get_int (obj, path, name, 0, LUMA_MAX_COUNT, out, error);
}

static gboolean
get_boolean (JsonObject  *obj,
             const Path  *path,
             const char  *name,
             gboolean    *out,
             GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected a boolean, got %s", node_type_name (node));
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_time (JsonObject  *obj,
          const Path  *path,
          const char  *name,
          gint64      *out,
          GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an ISO 8601 date-time string, got %s", node_type_name (node));
      return FALSE;
    }
  if (!luma_parse_iso8601 (json_node_get_string (node), out))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "expected an ISO 8601 date-time with offset, years 0001 to 9999 in UTC");
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_enum (JsonObject        *obj,
          const Path        *path,
          const char        *name,
          const char *const *names,
          guint              n_names,
          int               *out,
          GError           **error)
{
  const char *str = peek_string (obj, path, name, FALSE, NULL, error);

  if (str == NULL)
    return FALSE;
  if (!enum_lookup (names, n_names, str, out))
    {
      g_autofree char *shown = g_strndup (str, 64);

      set_error (error, path, name, LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "unknown value \"%s\"", shown);
      return FALSE;
    }
  return TRUE;
}

#define GET_ENUM(obj, path, name, names, out, error)                         \
  G_STMT_START {                                                             \
    int v_;                                                                  \
    if (!get_enum ((obj), (path), (name), (names), G_N_ELEMENTS (names), &v_, (error))) \
      goto fail;                                                             \
    (out) = v_;                                                              \
  } G_STMT_END

static JsonArray *
get_array (JsonObject  *obj,
           const Path  *path,
           const char  *name,
           GError     **error)
{
  JsonNode *node = get_member (obj, path, name, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, path, name, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                 "expected an array, got %s", node_type_name (node));
      return NULL;
    }
  return json_node_get_array (node);
}

static gboolean
get_string_list (JsonObject  *obj,
                 const Path  *path,
                 const char  *name,
                 GStrv       *out,
                 GError     **error)
{
  JsonArray *array = get_array (obj, path, name, error);
  Path member = { path, name, 0 };
  g_autoptr(GStrvBuilder) builder = NULL;
  guint n;

  if (array == NULL)
    return FALSE;
  n = json_array_get_length (array);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      Path element = { &member, NULL, i };
      const char *str;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          set_error (error, &element, NULL, LUMA_PROTOCOL_ERROR_WRONG_TYPE,
                     "expected a string, got %s", node_type_name (node));
          return FALSE;
        }
      str = json_node_get_string (node);
      if (!g_utf8_validate (str, -1, NULL))
        {
          set_error (error, &element, NULL, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                     "the string is not valid UTF-8");
          return FALSE;
        }
      g_strv_builder_add (builder, str);
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* consumed = totalPurchase - available + overage, available and overage
 * the clamped differences (docs/api.md §2.1). */
static gboolean
check_counts (const Path  *path,
              gint64       total_purchase,
              gint64       consumed,
              gint64       available,
              gint64       overage,
              GError     **error)
{
  if (available != MAX (0, total_purchase - consumed))
    {
      set_error (error, path, "available", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " is not max(0, totalPurchase - consumed)", available);
      return FALSE;
    }
  if (overage != MAX (0, consumed - total_purchase))
    {
      set_error (error, path, "overage", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " is not max(0, consumed - totalPurchase)", overage);
      return FALSE;
    }
  return TRUE;
}

static const Path result_data_path = { NULL, "resultData", 0 };

/* Session and user records: the hot path of a sync. */

static LumaSessionRecord *
decode_session_record (JsonNode    *node,
                       const Path  *path,
                       GError     **error)
{
  g_autoptr(LumaSessionRecord) r = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaSessionRecord, 1);
  if (!get_identifier (obj, path, "sessionId", FALSE, TRUE, &r->session_id, error) ||
      !get_time (obj, path, "startedOn", &r->started_on, error))
    goto fail;
  GET_ENUM (obj, path, "initiatedBy", initiated_by_names, r->initiated_by, error);
  if (!get_string (obj, path, "userName", FALSE, 1, 256, &r->user_name, error) ||
      !get_string (obj, path, "email", FALSE, 0, 254, &r->email, error))
    goto fail;
  GET_ENUM (obj, path, "role", role_names, r->role, error);
  if (!get_string (obj, path, "agentName", TRUE, 1, 256, &r->agent_name, error))
    goto fail;
  GET_ENUM (obj, path, "channel", channel_names, r->channel, error);
  if (!get_count (obj, path, "conversations", &r->conversations, error))
    goto fail;

  return g_steal_pointer (&r);

fail:
  return NULL;
}

static LumaUserRecord *
decode_user_record (JsonNode    *node,
                    const Path  *path,
                    GError     **error)
{
  g_autoptr(LumaUserRecord) r = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaUserRecord, 1);
  if (!get_identifier (obj, path, "userId", FALSE, TRUE, &r->user_id, error) ||
      !get_string (obj, path, "userName", FALSE, 1, 256, &r->user_name, error) ||
      !get_string (obj, path, "email", FALSE, 0, 254, &r->email, error) ||
      !get_string (obj, path, "firstName", FALSE, 0, 256, &r->first_name, error) ||
      !get_string (obj, path, "lastName", FALSE, 0, 256, &r->last_name, error))
    goto fail;
  GET_ENUM (obj, path, "role", role_names, r->role, error);
  GET_ENUM (obj, path, "status", user_status_names, r->status, error);
  if (!get_time (obj, path, "createdOn", &r->created_on, error) ||
      !get_count (obj, path, "conversations", &r->conversations, error))
    goto fail;

  return g_steal_pointer (&r);

fail:
  return NULL;
}

LumaSessionRecord *
luma_session_record_from_json (JsonNode  *node,
                               GError   **error)
{
  return decode_session_record (node, NULL, error);
}

LumaUserRecord *
luma_user_record_from_json (JsonNode  *node,
                            GError   **error)
{
  return decode_user_record (node, NULL, error);
}

/* The index of a record whose id an earlier record of the page already has
 * (and that earlier one's index in *first_out), or -1. A page holds each record
 * once: which of two versions is current would be a guess. Both decoders use it. */
static gint64
page_find_duplicate (const LumaConsumptionPage *page,
                     guint                     *first_out)
{
  g_autoptr(GHashTable) ids = NULL;

  if (page->items == NULL || page->items->len < 2)
    return -1;
  ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < page->items->len; i++)
    {
      gpointer item = g_ptr_array_index (page->items, i);
      const char *id = page->license_type == LUMA_LICENSE_TYPE_SESSION
                       ? ((LumaSessionRecord *) item)->session_id
                       : ((LumaUserRecord *) item)->user_id;
      gpointer first;

      if (g_hash_table_lookup_extended (ids, id, NULL, &first))
        {
          *first_out = GPOINTER_TO_UINT (first);
          return i;
        }
      g_hash_table_insert (ids, (gpointer) id, GUINT_TO_POINTER (i));
    }
  return -1;
}

LumaConsumptionPage *
luma_consumption_page_from_json (JsonNode  *node,
                                 GError   **error)
{
  const Path *path = &result_data_path;
  const Path items_path = { path, "items", 0 };
  g_autoptr(LumaConsumptionPage) page = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonArray *items;
  gint64 duplicate;
  guint n, first = 0;

  if (obj == NULL)
    return NULL;

  page = g_new0 (LumaConsumptionPage, 1);
  GET_ENUM (obj, path, "licenseType", license_type_names, page->license_type, error);
  items = get_array (obj, path, "items", error);
  if (items == NULL)
    goto fail;
  if (!get_string (obj, path, "nextCursor", FALSE, 1, 0, &page->next_cursor, error) ||
      !get_boolean (obj, path, "hasMore", &page->has_more, error) ||
      !get_count (obj, path, "remaining", &page->remaining, error))
    goto fail;

  n = json_array_get_length (items);
  if (page->license_type == LUMA_LICENSE_TYPE_SESSION)
    {
      page->items = g_ptr_array_new_full (n, (GDestroyNotify) luma_session_record_free);
      for (guint i = 0; i < n; i++)
        {
          Path element = { &items_path, NULL, i };
          LumaSessionRecord *r = decode_session_record (json_array_get_element (items, i),
                                                        &element, error);
          if (r == NULL)
            goto fail;
          g_ptr_array_add (page->items, r);
        }
    }
  else
    {
      page->items = g_ptr_array_new_full (n, (GDestroyNotify) luma_user_record_free);
      for (guint i = 0; i < n; i++)
        {
          Path element = { &items_path, NULL, i };
          LumaUserRecord *r = decode_user_record (json_array_get_element (items, i),
                                                  &element, error);
          if (r == NULL)
            goto fail;
          g_ptr_array_add (page->items, r);
        }
    }

  duplicate = page_find_duplicate (page, &first);
  if (duplicate >= 0)
    {
      Path element = { &items_path, NULL, (guint) duplicate };
      gpointer item = g_ptr_array_index (page->items, (guint) duplicate);
      gboolean session = page->license_type == LUMA_LICENSE_TYPE_SESSION;

      set_error (error, &element, session ? "sessionId" : "userId",
                 LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "duplicate record: \"%s\" is twice in the page (also items[%u])",
                 session ? ((LumaSessionRecord *) item)->session_id
                         : ((LumaUserRecord *) item)->user_id,
                 first);
      goto fail;
    }

  return g_steal_pointer (&page);

fail:
  return NULL;
}

/* Subscription and contacts */

static gboolean
decode_contacts_into (JsonObject  *obj,
                      const Path  *path,
                      GStrv       *technical,
                      GStrv       *billing,
                      gint64      *version,
                      GError     **error)
{
  return get_string_list (obj, path, "technicalEmails", technical, error) &&
         get_string_list (obj, path, "billingEmails", billing, error) &&
         get_count (obj, path, "version", version, error);
}

LumaSubscription *
luma_subscription_from_json (JsonNode  *node,
                             GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaSubscription) s = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  s = g_new0 (LumaSubscription, 1);
  if (!get_identifier (obj, path, "externalId", FALSE, FALSE, &s->external_id, error) ||
      !get_string (obj, path, "tenantName", FALSE, 1, 256, &s->tenant_name, error))
    goto fail;
  GET_ENUM (obj, path, "licenseType", license_type_names, s->license_type, error);
  if (!get_time (obj, path, "startDate", &s->start_date, error) ||
      !get_time (obj, path, "endDate", &s->end_date, error))
    goto fail;
  if (s->end_date < s->start_date)
    {
      set_error (error, path, "endDate", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "the contract term ends before it starts");
      goto fail;
    }
  if (!get_int (obj, path, "sessionDurationMinutes", 1, 1440, &s->session_duration_minutes, error) ||
      !get_count (obj, path, "totalPurchase", &s->total_purchase, error) ||
      !get_count (obj, path, "consumed", &s->consumed, error) ||
      !get_count (obj, path, "available", &s->available, error) ||
      !get_count (obj, path, "overage", &s->overage, error) ||
      !check_counts (path, s->total_purchase, s->consumed, s->available, s->overage, error) ||
      !decode_contacts_into (obj, path, &s->technical_emails, &s->billing_emails, &s->version, error))
    goto fail;

  return g_steal_pointer (&s);

fail:
  return NULL;
}

LumaContacts *
luma_contacts_from_json (JsonNode  *node,
                         GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaContacts) c = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;
  c = g_new0 (LumaContacts, 1);
  if (!decode_contacts_into (obj, path, &c->technical_emails, &c->billing_emails, &c->version, error))
    return NULL;
  return g_steal_pointer (&c);
}

/* Purchases */

static LumaPurchase *
decode_purchase (JsonNode    *node,
                 const Path  *path,
                 GError     **error)
{
  g_autoptr(LumaPurchase) p = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  p = g_new0 (LumaPurchase, 1);
  if (!get_identifier (obj, path, "purchaseId", FALSE, TRUE, &p->purchase_id, error) ||
      !get_time (obj, path, "performedOn", &p->performed_on, error))
    goto fail;
  GET_ENUM (obj, path, "kind", purchase_kind_names, p->kind, error);
  if (!get_int (obj, path, "change", -LUMA_MAX_COUNT, LUMA_MAX_COUNT, &p->change, error))
    goto fail;
  if (p->change == 0)
    {
      set_error (error, path, "change", LUMA_PROTOCOL_ERROR_OUT_OF_RANGE,
                 "a purchase changes the total by a non-zero amount");
      goto fail;
    }
  if ((p->kind == LUMA_PURCHASE_KIND_REMOVAL) != (p->change < 0))
    {
      set_error (error, path, "change", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "%" G_GINT64_FORMAT " does not match kind %s",
                 p->change, purchase_kind_names[p->kind]);
      goto fail;
    }
  if (!get_count (obj, path, "totalAfter", &p->total_after, error) ||
      !get_string (obj, path, "performedBy", FALSE, 1, 256, &p->performed_by, error) ||
      !get_string (obj, path, "reason", FALSE, 1, 500, &p->reason, error) ||
      !get_string (obj, path, "reference", TRUE, 1, 100, &p->reference, error))
    goto fail;

  return g_steal_pointer (&p);

fail:
  return NULL;
}

LumaPurchase *
luma_purchase_from_json (JsonNode  *node,
                         GError   **error)
{
  return decode_purchase (node, NULL, error);
}

typedef gpointer (*DecodeFunc) (JsonNode *node, const Path *path, GError **error);

static GPtrArray *
decode_item_list (JsonNode       *node,
                  DecodeFunc      decode,
                  GDestroyNotify  free_func,
                  GError        **error)
{
  const Path *path = &result_data_path;
  const Path items_path = { path, "items", 0 };
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonArray *items;
  guint n;

  if (obj == NULL)
    return NULL;
  items = get_array (obj, path, "items", error);
  if (items == NULL)
    return NULL;
  n = json_array_get_length (items);
  list = g_ptr_array_new_full (n, free_func);
  for (guint i = 0; i < n; i++)
    {
      Path element = { &items_path, NULL, i };
      gpointer item = decode (json_array_get_element (items, i), &element, error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (list, item);
    }
  return g_steal_pointer (&list);
}

GPtrArray *
luma_purchase_list_from_json (JsonNode  *node,
                              GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_purchase,
                           (GDestroyNotify) luma_purchase_free, error);
}

/* Conversations */

static LumaMessage *
decode_message (JsonNode    *node,
                const Path  *path,
                GError     **error)
{
  g_autoptr(LumaMessage) m = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  m = g_new0 (LumaMessage, 1);
  GET_ENUM (obj, path, "sender", sender_names, m->sender, error);
  if (!get_string (obj, path, "senderName", FALSE, 0, 256, &m->sender_name, error) ||
      !get_time (obj, path, "sentAt", &m->sent_at, error) ||
      !get_string (obj, path, "text", FALSE, 0, 0, &m->text, error))
    goto fail;

  return g_steal_pointer (&m);

fail:
  return NULL;
}

LumaMessage *
luma_message_from_json (JsonNode  *node,
                        GError   **error)
{
  return decode_message (node, NULL, error);
}

static LumaConversation *
decode_conversation (JsonNode    *node,
                     const Path  *path,
                     GError     **error)
{
  g_autoptr(LumaConversation) c = NULL;
  JsonObject *obj = as_object (node, path, error);
  const Path messages_path = { path, "messages", 0 };
  JsonArray *messages;
  guint n;

  if (obj == NULL)
    return NULL;

  c = g_new0 (LumaConversation, 1);
  if (!get_identifier (obj, path, "conversationId", FALSE, TRUE, &c->conversation_id, error) ||
      !get_identifier (obj, path, "sessionId", TRUE, TRUE, &c->session_id, error) ||
      !get_identifier (obj, path, "userId", TRUE, TRUE, &c->user_id, error))
    goto fail;
  if ((c->session_id == NULL) == (c->user_id == NULL))
    {
      set_error (error, path, c->session_id ? "userId" : "sessionId",
                 LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "exactly one of sessionId and userId must be set");
      goto fail;
    }
  GET_ENUM (obj, path, "channel", channel_names, c->channel, error);
  if (!get_time (obj, path, "startedOn", &c->started_on, error))
    goto fail;
  messages = get_array (obj, path, "messages", error);
  if (messages == NULL)
    goto fail;
  n = json_array_get_length (messages);
  c->messages = g_ptr_array_new_full (n, (GDestroyNotify) luma_message_free);
  for (guint i = 0; i < n; i++)
    {
      Path element = { &messages_path, NULL, i };
      LumaMessage *m = decode_message (json_array_get_element (messages, i), &element, error);

      if (m == NULL)
        goto fail;
      g_ptr_array_add (c->messages, m);
    }

  return g_steal_pointer (&c);

fail:
  return NULL;
}

LumaConversation *
luma_conversation_from_json (JsonNode  *node,
                             GError   **error)
{
  return decode_conversation (node, NULL, error);
}

GPtrArray *
luma_conversation_list_from_json (JsonNode  *node,
                                  GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_conversation,
                           (GDestroyNotify) luma_conversation_free, error);
}

/* Platform */

static LumaTenantSummary *
decode_tenant_summary (JsonNode    *node,
                       const Path  *path,
                       GError     **error)
{
  g_autoptr(LumaTenantSummary) t = NULL;
  JsonObject *obj = as_object (node, path, error);

  if (obj == NULL)
    return NULL;

  t = g_new0 (LumaTenantSummary, 1);
  if (!get_identifier (obj, path, "externalId", FALSE, FALSE, &t->external_id, error) ||
      !get_string (obj, path, "tenantName", FALSE, 1, 256, &t->tenant_name, error))
    goto fail;
  GET_ENUM (obj, path, "licenseType", license_type_names, t->license_type, error);
  if (!get_time (obj, path, "startDate", &t->start_date, error) ||
      !get_time (obj, path, "endDate", &t->end_date, error) ||
      !get_count (obj, path, "totalPurchase", &t->total_purchase, error) ||
      !get_count (obj, path, "consumed", &t->consumed, error) ||
      !get_count (obj, path, "available", &t->available, error) ||
      !get_count (obj, path, "overage", &t->overage, error) ||
      !check_counts (path, t->total_purchase, t->consumed, t->available, t->overage, error))
    goto fail;

  return g_steal_pointer (&t);

fail:
  return NULL;
}

LumaTenantSummary *
luma_tenant_summary_from_json (JsonNode  *node,
                               GError   **error)
{
  return decode_tenant_summary (node, NULL, error);
}

GPtrArray *
luma_tenant_list_from_json (JsonNode  *node,
                            GError   **error)
{
  return decode_item_list (node, (DecodeFunc) decode_tenant_summary,
                           (GDestroyNotify) luma_tenant_summary_free, error);
}

LumaRefillResult *
luma_refill_result_from_json (JsonNode  *node,
                              GError   **error)
{
  const Path *path = &result_data_path;
  const Path purchase_path = { path, "purchase", 0 };
  const Path sub_path = { path, "subscription", 0 };
  g_autoptr(LumaRefillResult) r = NULL;
  JsonObject *obj = as_object (node, path, error);
  JsonObject *sub;
  JsonNode *member;
  g_autofree char *external_id = NULL;

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaRefillResult, 1);
  member = get_member (obj, path, "purchase", error);
  if (member == NULL)
    return NULL;
  r->purchase = decode_purchase (member, &purchase_path, error);
  if (r->purchase == NULL)
    return NULL;

  member = get_member (obj, path, "subscription", error);
  if (member == NULL)
    return NULL;
  sub = as_object (member, &sub_path, error);
  if (sub == NULL ||
      !get_identifier (sub, &sub_path, "externalId", FALSE, FALSE, &external_id, error) ||
      !get_count (sub, &sub_path, "totalPurchase", &r->total_purchase, error) ||
      !get_count (sub, &sub_path, "consumed", &r->consumed, error) ||
      !get_count (sub, &sub_path, "available", &r->available, error) ||
      !get_count (sub, &sub_path, "overage", &r->overage, error) ||
      !check_counts (&sub_path, r->total_purchase, r->consumed, r->available, r->overage, error))
    return NULL;

  return g_steal_pointer (&r);
}

LumaLoginResult *
luma_login_result_from_json (JsonNode  *node,
                             GError   **error)
{
  const Path *path = &result_data_path;
  g_autoptr(LumaLoginResult) r = NULL;
  JsonObject *obj = as_object (node, path, error);
  const char *token_type;

  if (obj == NULL)
    return NULL;

  r = g_new0 (LumaLoginResult, 1);
  if (!get_string (obj, path, "token", FALSE, 1, 8192, &r->token, error))
    return NULL;
  /* The token goes into a header: no control characters or spaces. */
  for (const char *p = r->token; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      {
        set_error (error, path, "token", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                   "the token holds characters a header cannot carry");
        return NULL;
      }
  token_type = peek_string (obj, path, "tokenType", FALSE, NULL, error);
  if (token_type == NULL)
    return NULL;
  if (g_ascii_strcasecmp (token_type, "Bearer") != 0)
    {
      set_error (error, path, "tokenType", LUMA_PROTOCOL_ERROR_INVALID_VALUE,
                 "expected \"Bearer\"");
      return NULL;
    }
  if (!get_int (obj, path, "expiresIn", 1, LUMA_MAX_COUNT, &r->expires_in, error) ||
      !get_time (obj, path, "expiresAt", &r->expires_at, error))
    return NULL;

  return g_steal_pointer (&r);
}

/* The envelope */

/* json-glib refuses a document with bytes that are not UTF-8 without
 * saying where; find the JSON path of the string holding the first bad
 * byte, so the error names the field like every other one. */
typedef struct
{
  gboolean    is_array;
  guint       index;
  const char *key;
  gsize       key_len;
} ScanFrame;

static char *
path_of_offset (const char *data,
                gsize       len,
                gsize       offset)
{
  g_autoptr(GArray) stack = g_array_new (FALSE, TRUE, sizeof (ScanFrame));
  gboolean expect_key = FALSE;
  gsize i = 0;

  while (i < len)
    {
      char c = data[i];

      if (c == '{' || c == '[')
        {
          ScanFrame f = { c == '[', 0, NULL, 0 };
          g_array_append_val (stack, f);
          expect_key = c == '{';
          i++;
        }
      else if (c == '}' || c == ']')
        {
          if (stack->len > 0)
            g_array_set_size (stack, stack->len - 1);
          expect_key = FALSE;
          i++;
        }
      else if (c == ',')
        {
          if (stack->len > 0)
            {
              ScanFrame *f = &g_array_index (stack, ScanFrame, stack->len - 1);
              if (f->is_array)
                f->index++;
              else
                expect_key = TRUE;
            }
          i++;
        }
      else if (c == '"')
        {
          gsize start = ++i;

          while (i < len && data[i] != '"')
            i += data[i] == '\\' ? 2 : 1;
          if (offset >= start && offset <= i)
            {
              GString *s = g_string_new (NULL);

              for (guint k = 0; k < stack->len; k++)
                {
                  ScanFrame *f = &g_array_index (stack, ScanFrame, k);

                  if (f->is_array)
                    g_string_append_printf (s, "[%u]", f->index);
                  else if (f->key != NULL && !(expect_key && k == stack->len - 1))
                    {
                      if (s->len > 0)
                        g_string_append_c (s, '.');
                      g_string_append_len (s, f->key, f->key_len);
                    }
                }
              if (s->len == 0)
                g_string_append (s, "(root)");
              return g_string_free (s, FALSE);
            }
          if (expect_key && stack->len > 0)
            {
              ScanFrame *f = &g_array_index (stack, ScanFrame, stack->len - 1);
              f->key = data + start;
              f->key_len = MIN (i, len) - start;
              expect_key = FALSE;
            }
          i++;
        }
      else
        i++;
    }
  return g_strdup ("(root)");
}

/* json-glib parses recursively; a hostile answer of a million '[' would
 * exhaust the stack. Nothing in the contract nests deeper than a few
 * levels. */
#define MAX_JSON_DEPTH 64

static gboolean
nesting_ok (const char *data,
            gsize       len)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_JSON_DEPTH)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static gboolean
parse_json (GBytes      *body,
            JsonParser  *parser,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  const char *end;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                           "(root): the answer has no body");
      return FALSE;
    }
  if (!nesting_ok (data, len))
    {
      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                   "(root): the answer nests deeper than %u levels", MAX_JSON_DEPTH);
      return FALSE;
    }
  if (json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    return TRUE;

  if (!g_utf8_validate (data, (gssize) len, &end))
    {
      g_autofree char *where = path_of_offset (data, len, (gsize) (end - data));

      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_UTF8,
                   "%s: the string is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")",
                   where, (gsize) (end - data));
      return FALSE;
    }
  /* json-glib quotes what it decoded, which can be a lone surrogate (bytes
   * ED B8 80) or other bytes that are not UTF-8: messages reach logs and labels. */
  {
    g_autofree char *reason = g_utf8_make_valid (local_error->message, -1);

    g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_JSON,
                 "(root): the answer is not valid JSON: %s", reason);
  }
  return FALSE;
}

JsonNode *
luma_envelope_parse (GBytes     *body,
                     guint       http_status,
                     GPtrArray **errors_out,
                     GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) errors = NULL;
  JsonObject *root;
  JsonNode *result;
  JsonArray *array;
  const char *status;
  gint64 status_code;
  gboolean success = http_status >= 200 && http_status < 300;
  guint n;

  if (!parse_json (body, parser, error))
    return NULL;

  root = as_object (json_parser_get_root (parser), NULL, error);
  if (root == NULL)
    goto envelope_error;

  status = peek_string (root, NULL, "status", FALSE, NULL, error);
  if (status == NULL)
    goto envelope_error;
  if (strcmp (status, success ? "success" : "failure") != 0)
    {
      set_error (error, NULL, "status", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "expected \"%s\" for HTTP status %u", success ? "success" : "failure", http_status);
      return NULL;
    }
  if (!get_int (root, NULL, "statusCode", 100, 599, &status_code, error))
    goto envelope_error;
  if (status_code != http_status)
    {
      set_error (error, NULL, "statusCode", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "%" G_GINT64_FORMAT " differs from the HTTP status %u", status_code, http_status);
      return NULL;
    }
  if (peek_string (root, NULL, "statusLine", FALSE, NULL, error) == NULL)
    goto envelope_error;

  array = get_array (root, NULL, "errors", error);
  if (array == NULL)
    goto envelope_error;
  n = json_array_get_length (array);
  if (success != (n == 0))
    {
      set_error (error, NULL, "errors", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 success ? "a success carries no errors" : "a failure carries at least one error");
      return NULL;
    }
  errors = g_ptr_array_new_full (n, (GDestroyNotify) luma_field_error_free);
  for (guint i = 0; i < n; i++)
    {
      const Path errors_path = { NULL, "errors", 0 };
      Path element = { &errors_path, NULL, i };
      JsonObject *obj = as_object (json_array_get_element (array, i), &element, error);
      g_autoptr(LumaFieldError) fe = NULL;

      if (obj == NULL)
        goto envelope_error;
      fe = g_new0 (LumaFieldError, 1);
      if (!get_string (obj, &element, "code", FALSE, 1, 64, &fe->code, error))
        goto envelope_error;
      if (json_object_has_member (obj, "field") &&
          !get_string (obj, &element, "field", TRUE, 0, 256, &fe->field, error))
        goto envelope_error;
      if (json_object_has_member (obj, "message") &&
          !get_string (obj, &element, "message", TRUE, 0, 4096, &fe->message, error))
        goto envelope_error;
      g_ptr_array_add (errors, g_steal_pointer (&fe));
    }

  result = get_member (root, NULL, "resultData", error);
  if (result == NULL)
    goto envelope_error;
  if (!JSON_NODE_HOLDS_OBJECT (result) && !JSON_NODE_HOLDS_NULL (result))
    {
      set_error (error, NULL, "resultData", LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                 "expected an object or null, got %s", node_type_name (result));
      return NULL;
    }

  if (errors_out != NULL)
    *errors_out = g_steal_pointer (&errors);
  return json_node_ref (result);

envelope_error:
  /* A malformed envelope is INVALID_ENVELOPE whatever the detail was;
   * the message keeps the detail and the path. */
  if (error != NULL && *error != NULL && (*error)->domain == LUMA_PROTOCOL_ERROR &&
      (*error)->code != LUMA_PROTOCOL_ERROR_INVALID_UTF8)
    (*error)->code = LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE;
  return NULL;
}

/* The fast path for consumption pages.
 *
 * A sync of a million records spends most of its time building and walking
 * json-glib's tree. This single-pass reader decodes the envelope of a
 * consumption page straight into records. It accepts only what the strict
 * decoders above accept, and gives up on anything else (unknown members,
 * odd escapes, any error); the caller then runs the strict decoders, whose
 * error names the path. So valid pages are fast and errors stay exact. */

typedef struct
{
  const char *p;
  const char *end;
  GString    *scratch;  /* unescaped strings */
} Reader;

static inline void
skip_ws (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static inline gboolean
expect (Reader *r,
        char    c)
{
  skip_ws (r);
  if (r->p < r->end && *r->p == c)
    {
      r->p++;
      return TRUE;
    }
  return FALSE;
}

static inline gboolean
hex4 (const char *p,
      guint      *out)
{
  guint v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return FALSE;
      v = v * 16 + (guint) d;
    }
  *out = v;
  return TRUE;
}

/* Reads a string; *out points either into the buffer or into r->scratch
 * (valid until the next string). Rejects control characters, invalid
 * UTF-8, lone surrogates and \u0000, which json-glib would cut short. */
static gboolean
read_string (Reader      *r,
             const char **out,
             size_t      *len_out)
{
  const char *start;
  const char *q;

  skip_ws (r);
  if (r->p >= r->end || *r->p != '"')
    return FALSE;
  start = ++r->p;
  q = start;
  while (q < r->end && *q != '"' && *q != '\\' && (guchar) *q >= 0x20)
    q++;
  if (q >= r->end || (guchar) *q < 0x20)
    return FALSE;
  if (*q == '"')
    {
      if (!g_utf8_validate (start, q - start, NULL))
        return FALSE;
      *out = start;
      *len_out = (size_t) (q - start);
      r->p = q + 1;
      return TRUE;
    }

  /* with escapes */
  g_string_truncate (r->scratch, 0);
  g_string_append_len (r->scratch, start, q - start);
  while (q < r->end && *q != '"')
    {
      if ((guchar) *q < 0x20)
        return FALSE;
      if (*q != '\\')
        {
          g_string_append_c (r->scratch, *q++);
          continue;
        }
      if (q + 1 >= r->end)
        return FALSE;
      switch (q[1])
        {
        case '"': g_string_append_c (r->scratch, '"'); q += 2; break;
        case '\\': g_string_append_c (r->scratch, '\\'); q += 2; break;
        case '/': g_string_append_c (r->scratch, '/'); q += 2; break;
        case 'b': g_string_append_c (r->scratch, '\b'); q += 2; break;
        case 'f': g_string_append_c (r->scratch, '\f'); q += 2; break;
        case 'n': g_string_append_c (r->scratch, '\n'); q += 2; break;
        case 'r': g_string_append_c (r->scratch, '\r'); q += 2; break;
        case 't': g_string_append_c (r->scratch, '\t'); q += 2; break;
        case 'u':
          {
            guint cp, low;

            if (r->end - q < 6 || !hex4 (q + 2, &cp))
              return FALSE;
            q += 6;
            if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
              return FALSE;
            if (cp >= 0xd800 && cp <= 0xdbff)
              {
                if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4 (q + 2, &low) ||
                    low < 0xdc00 || low > 0xdfff)
                  return FALSE;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                q += 6;
              }
            g_string_append_unichar (r->scratch, cp);
          }
          break;
        default:
          return FALSE;
        }
    }
  if (q >= r->end)
    return FALSE;
  if (!g_utf8_validate (r->scratch->str, r->scratch->len, NULL))
    return FALSE;
  *out = r->scratch->str;
  *len_out = r->scratch->len;
  r->p = q + 1;
  return TRUE;
}

static inline gboolean
read_int (Reader *r,
          gint64  min,
          gint64  max,
          gint64 *out)
{
  gboolean negative = FALSE;
  guint64 v = 0;
  const char *digits;

  skip_ws (r);
  if (r->p < r->end && *r->p == '-')
    {
      negative = TRUE;
      r->p++;
    }
  digits = r->p;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
    {
      v = v * 10 + (guint64) (*r->p - '0');
      r->p++;
      if (r->p - digits > 16)
        return FALSE;
    }
  if (r->p == digits || (r->p - digits > 1 && *digits == '0'))
    return FALSE;
  if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
    return FALSE;
  *out = negative ? -(gint64) v : (gint64) v;
  return *out >= min && *out <= max;
}

static inline gboolean
read_literal (Reader     *r,
              const char *word,
              size_t      len)
{
  skip_ws (r);
  if ((size_t) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

static inline gboolean
peek_null (Reader *r)
{
  skip_ws (r);
  return r->p < r->end && *r->p == 'n';
}

/* A member name, then the colon. */
static inline gboolean
read_key (Reader      *r,
          const char **key,
          size_t      *len)
{
  return read_string (r, key, len) && expect (r, ':');
}

#define KEY_IS(k, n, lit) ((n) == sizeof (lit) - 1 && memcmp ((k), (lit), sizeof (lit) - 1) == 0)

static gboolean
read_enum (Reader            *r,
           const char *const *names,
           guint              n_names,
           int               *out)
{
  const char *str;
  size_t len;

  if (!read_string (r, &str, &len))
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    if (strlen (names[i]) == len && memcmp (names[i], str, len) == 0)
      {
        *out = (int) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
read_time (Reader *r,
           gint64 *out)
{
  const char *str;
  size_t len;
  char buf[64];

  if (!read_string (r, &str, &len) || len >= sizeof buf)
    return FALSE;
  memcpy (buf, str, len);
  buf[len] = '\0';
  return luma_parse_iso8601 (buf, out);
}

static gboolean
read_text (Reader  *r,
           guint    min_chars,
           guint    max_chars,
           char   **out)
{
  const char *str;
  size_t len;

  if (*out != NULL || !read_string (r, &str, &len) ||
      memchr (str, '\0', len) != NULL || !length_ok (str, len, min_chars, max_chars))
    return FALSE;
  *out = g_strndup (str, len);
  return TRUE;
}

static gboolean
read_identifier (Reader  *r,
                 char   **out)
{
  const char *str;
  size_t len;

  if (*out != NULL || !read_string (r, &str, &len) || !identifier_ok (str, len, TRUE))
    return FALSE;
  *out = g_strndup (str, len);
  return TRUE;
}

enum
{
  F_ID = 1 << 0, F_TIME = 1 << 1, F_INITIATED = 1 << 2, F_NAME = 1 << 3, F_EMAIL = 1 << 4,
  F_ROLE = 1 << 5, F_AGENT = 1 << 6, F_CHANNEL = 1 << 7, F_CONVERSATIONS = 1 << 8,
  F_FIRST = 1 << 9, F_LAST = 1 << 10, F_STATUS = 1 << 11,
};

#define SEEN(flag) G_STMT_START { if (seen & (flag)) goto fail; seen |= (flag); } G_STMT_END

static LumaSessionRecord *
fast_session_record (Reader *r)
{
  g_autoptr(LumaSessionRecord) rec = g_new0 (LumaSessionRecord, 1);
  guint seen = 0;
  int v;

  if (!expect (r, '{'))
    return NULL;
  if (expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "sessionId"))
        { SEEN (F_ID); if (!read_identifier (r, &rec->session_id)) goto fail; }
      else if (KEY_IS (key, n, "startedOn"))
        { SEEN (F_TIME); if (!read_time (r, &rec->started_on)) goto fail; }
      else if (KEY_IS (key, n, "initiatedBy"))
        { SEEN (F_INITIATED); if (!read_enum (r, initiated_by_names, G_N_ELEMENTS (initiated_by_names), &v)) goto fail; rec->initiated_by = v; }
      else if (KEY_IS (key, n, "userName"))
        { SEEN (F_NAME); if (!read_text (r, 1, 256, &rec->user_name)) goto fail; }
      else if (KEY_IS (key, n, "email"))
        { SEEN (F_EMAIL); if (!read_text (r, 0, 254, &rec->email)) goto fail; }
      else if (KEY_IS (key, n, "role"))
        { SEEN (F_ROLE); if (!read_enum (r, role_names, G_N_ELEMENTS (role_names), &v)) goto fail; rec->role = v; }
      else if (KEY_IS (key, n, "agentName"))
        {
          SEEN (F_AGENT);
          if (peek_null (r))
            {
              if (!read_literal (r, "null", 4))
                goto fail;
            }
          else if (!read_text (r, 1, 256, &rec->agent_name))
            goto fail;
        }
      else if (KEY_IS (key, n, "channel"))
        { SEEN (F_CHANNEL); if (!read_enum (r, channel_names, G_N_ELEMENTS (channel_names), &v)) goto fail; rec->channel = v; }
      else if (KEY_IS (key, n, "conversations"))
        { SEEN (F_CONVERSATIONS); if (!read_int (r, 0, LUMA_MAX_COUNT, &rec->conversations)) goto fail; }
      else
        goto fail;
    }
  while (expect (r, ','));
  if (!expect (r, '}') ||
      seen != (F_ID | F_TIME | F_INITIATED | F_NAME | F_EMAIL | F_ROLE | F_AGENT | F_CHANNEL | F_CONVERSATIONS))
    goto fail;
  return g_steal_pointer (&rec);

fail:
  return NULL;
}

static LumaUserRecord *
fast_user_record (Reader *r)
{
  g_autoptr(LumaUserRecord) rec = g_new0 (LumaUserRecord, 1);
  guint seen = 0;
  int v;

  if (!expect (r, '{'))
    return NULL;
  if (expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "userId"))
        { SEEN (F_ID); if (!read_identifier (r, &rec->user_id)) goto fail; }
      else if (KEY_IS (key, n, "userName"))
        { SEEN (F_NAME); if (!read_text (r, 1, 256, &rec->user_name)) goto fail; }
      else if (KEY_IS (key, n, "email"))
        { SEEN (F_EMAIL); if (!read_text (r, 0, 254, &rec->email)) goto fail; }
      else if (KEY_IS (key, n, "firstName"))
        { SEEN (F_FIRST); if (!read_text (r, 0, 256, &rec->first_name)) goto fail; }
      else if (KEY_IS (key, n, "lastName"))
        { SEEN (F_LAST); if (!read_text (r, 0, 256, &rec->last_name)) goto fail; }
      else if (KEY_IS (key, n, "role"))
        { SEEN (F_ROLE); if (!read_enum (r, role_names, G_N_ELEMENTS (role_names), &v)) goto fail; rec->role = v; }
      else if (KEY_IS (key, n, "status"))
        { SEEN (F_STATUS); if (!read_enum (r, user_status_names, G_N_ELEMENTS (user_status_names), &v)) goto fail; rec->status = v; }
      else if (KEY_IS (key, n, "createdOn"))
        { SEEN (F_TIME); if (!read_time (r, &rec->created_on)) goto fail; }
      else if (KEY_IS (key, n, "conversations"))
        { SEEN (F_CONVERSATIONS); if (!read_int (r, 0, LUMA_MAX_COUNT, &rec->conversations)) goto fail; }
      else
        goto fail;
    }
  while (expect (r, ','));
  if (!expect (r, '}') ||
      seen != (F_ID | F_NAME | F_EMAIL | F_FIRST | F_LAST | F_ROLE | F_STATUS | F_TIME | F_CONVERSATIONS))
    goto fail;
  return g_steal_pointer (&rec);

fail:
  return NULL;
}

enum
{
  P_LICENSE = 1 << 0, P_ITEMS = 1 << 1, P_CURSOR = 1 << 2, P_HAS_MORE = 1 << 3, P_REMAINING = 1 << 4,
  E_STATUS = 1 << 0, E_CODE = 1 << 1, E_LINE = 1 << 2, E_ERRORS = 1 << 3, E_RESULT = 1 << 4,
};

static LumaConsumptionPage *
fast_page (Reader *r)
{
  g_autoptr(LumaConsumptionPage) page = g_new0 (LumaConsumptionPage, 1);
  guint seen = 0, first;
  int v;

  if (!expect (r, '{') || expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "licenseType"))
        {
          SEEN (P_LICENSE);
          if (!read_enum (r, license_type_names, G_N_ELEMENTS (license_type_names), &v))
            goto fail;
          page->license_type = v;
        }
      else if (KEY_IS (key, n, "items"))
        {
          /* The item shape depends on licenseType, which must come first. */
          SEEN (P_ITEMS);
          if (!(seen & P_LICENSE) || !expect (r, '['))
            goto fail;
          page->items = g_ptr_array_new_full (1000, page->license_type == LUMA_LICENSE_TYPE_SESSION
                                                    ? (GDestroyNotify) luma_session_record_free
                                                    : (GDestroyNotify) luma_user_record_free);
          if (!expect (r, ']'))
            {
              do
                {
                  gpointer item = page->license_type == LUMA_LICENSE_TYPE_SESSION
                                  ? (gpointer) fast_session_record (r)
                                  : (gpointer) fast_user_record (r);
                  if (item == NULL)
                    goto fail;
                  g_ptr_array_add (page->items, item);
                }
              while (expect (r, ','));
              if (!expect (r, ']'))
                goto fail;
            }
        }
      else if (KEY_IS (key, n, "nextCursor"))
        { SEEN (P_CURSOR); if (!read_text (r, 1, 0, &page->next_cursor)) goto fail; }
      else if (KEY_IS (key, n, "hasMore"))
        {
          SEEN (P_HAS_MORE);
          if (read_literal (r, "true", 4))
            page->has_more = TRUE;
          else if (read_literal (r, "false", 5))
            page->has_more = FALSE;
          else
            goto fail;
        }
      else if (KEY_IS (key, n, "remaining"))
        { SEEN (P_REMAINING); if (!read_int (r, 0, LUMA_MAX_COUNT, &page->remaining)) goto fail; }
      else
        goto fail;
    }
  while (expect (r, ','));
  if (!expect (r, '}') || seen != (P_LICENSE | P_ITEMS | P_CURSOR | P_HAS_MORE | P_REMAINING))
    goto fail;
  /* A record twice: the strict decoder names it. */
  if (page_find_duplicate (page, &first) >= 0)
    goto fail;
  return g_steal_pointer (&page);

fail:
  return NULL;
}

static LumaConsumptionPage *
fast_envelope_page (const char *data,
                    gsize       len,
                    guint       http_status)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  g_autoptr(LumaConsumptionPage) page = NULL;
  Reader r = { data, data + len, scratch };
  guint seen = 0;

  if (!expect (&r, '{') || expect (&r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (&r, &key, &n))
        return NULL;
      if (KEY_IS (key, n, "status"))
        {
          const char *str;
          size_t len2;

          if ((seen & E_STATUS) || !read_string (&r, &str, &len2) || !KEY_IS (str, len2, "success"))
            return NULL;
          seen |= E_STATUS;
        }
      else if (KEY_IS (key, n, "statusCode"))
        {
          gint64 code;

          if ((seen & E_CODE) || !read_int (&r, 100, 599, &code) || code != http_status)
            return NULL;
          seen |= E_CODE;
        }
      else if (KEY_IS (key, n, "statusLine"))
        {
          const char *str;
          size_t len2;

          if ((seen & E_LINE) || !read_string (&r, &str, &len2))
            return NULL;
          seen |= E_LINE;
        }
      else if (KEY_IS (key, n, "errors"))
        {
          if ((seen & E_ERRORS) || !expect (&r, '[') || !expect (&r, ']'))
            return NULL;
          seen |= E_ERRORS;
        }
      else if (KEY_IS (key, n, "resultData"))
        {
          if ((seen & E_RESULT) || (page = fast_page (&r)) == NULL)
            return NULL;
          seen |= E_RESULT;
        }
      else
        return NULL;
    }
  while (expect (&r, ','));
  if (!expect (&r, '}') || seen != (E_STATUS | E_CODE | E_LINE | E_ERRORS | E_RESULT))
    return NULL;
  skip_ws (&r);
  if (r.p != r.end)
    return NULL;
  return g_steal_pointer (&page);
}

LumaConsumptionPage *
luma_consumption_page_from_bytes (GBytes  *body,
                                  guint    http_status,
                                  GError **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data != NULL && http_status >= 200 && http_status < 300)
    {
      LumaConsumptionPage *page = fast_envelope_page (data, len, http_status);

      if (page != NULL)
        return page;
    }

  /* Anything unusual: the strict decoders say exactly what is wrong. */
  node = luma_envelope_parse (body, http_status, &errors, error);
  if (node == NULL)
    return NULL;
  if (http_status < 200 || http_status >= 300)
    {
      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                   "statusCode: %u is not a success", http_status);
      return NULL;
    }
  return luma_consumption_page_from_json (node, error);
}
