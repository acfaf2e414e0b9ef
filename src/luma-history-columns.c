/* luma-history-columns.c: the columns of the License Consumption History
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-format.h"
#include "luma-history-columns.h"

/* The order of the API's records, which people compare the report with. */
static const LumaHistoryColumnInfo session_columns[] = {
  { LUMA_HISTORY_COLUMN_ID, LUMA_HISTORY_VALUE_TEXT, N_("Session ID"), 11, FALSE },
  { LUMA_HISTORY_COLUMN_TIME, LUMA_HISTORY_VALUE_TIME, N_("Started On"), 19, FALSE },
  { LUMA_HISTORY_COLUMN_INITIATED_BY, LUMA_HISTORY_VALUE_ENUM, N_("Initiated By"), 9, FALSE },
  { LUMA_HISTORY_COLUMN_USER_NAME, LUMA_HISTORY_VALUE_TEXT, N_("User Name"), 16, TRUE },
  { LUMA_HISTORY_COLUMN_EMAIL, LUMA_HISTORY_VALUE_TEXT, N_("Email"), 28, TRUE },
  /* Translators: a column heading, the user's role in the tenant (Admin, Guest...) */
  { LUMA_HISTORY_COLUMN_ROLE, LUMA_HISTORY_VALUE_ENUM, N_("Role"), 11, FALSE },
  { LUMA_HISTORY_COLUMN_AGENT_NAME, LUMA_HISTORY_VALUE_TEXT, N_("Agent Name"), 13, TRUE },
  { LUMA_HISTORY_COLUMN_CHANNEL, LUMA_HISTORY_VALUE_ENUM, N_("Channel"), 15, FALSE },
  { LUMA_HISTORY_COLUMN_CONVERSATIONS, LUMA_HISTORY_VALUE_COUNT, N_("Conversations"), 0, FALSE },
};

static const LumaHistoryColumnInfo user_columns[] = {
  { LUMA_HISTORY_COLUMN_ID, LUMA_HISTORY_VALUE_TEXT, N_("User ID"), 12, FALSE },
  { LUMA_HISTORY_COLUMN_USER_NAME, LUMA_HISTORY_VALUE_TEXT, N_("User Name"), 18, TRUE },
  { LUMA_HISTORY_COLUMN_EMAIL, LUMA_HISTORY_VALUE_TEXT, N_("Email"), 28, TRUE },
  { LUMA_HISTORY_COLUMN_FIRST_NAME, LUMA_HISTORY_VALUE_TEXT, N_("First Name"), 12, TRUE },
  { LUMA_HISTORY_COLUMN_LAST_NAME, LUMA_HISTORY_VALUE_TEXT, N_("Last Name"), 12, TRUE },
  { LUMA_HISTORY_COLUMN_ROLE, LUMA_HISTORY_VALUE_ENUM, N_("Role"), 10, FALSE },
  /* Translators: a column heading, the status of the user's account (Active, Inactive) */
  { LUMA_HISTORY_COLUMN_STATUS, LUMA_HISTORY_VALUE_ENUM, N_("Status"), 8, FALSE },
  { LUMA_HISTORY_COLUMN_TIME, LUMA_HISTORY_VALUE_TIME, N_("Created On"), 19, FALSE },
  { LUMA_HISTORY_COLUMN_CONVERSATIONS, LUMA_HISTORY_VALUE_COUNT, N_("Conversations"), 0, FALSE },
};

const LumaHistoryColumnInfo *
luma_history_columns_get (LumaLicenseType  license_type,
                          guint           *n_columns)
{
  g_return_val_if_fail (n_columns != NULL, NULL);

  if (license_type == LUMA_LICENSE_TYPE_USER)
    {
      *n_columns = G_N_ELEMENTS (user_columns);
      return user_columns;
    }
  *n_columns = G_N_ELEMENTS (session_columns);
  return session_columns;
}

const char *
luma_history_column_get_title (const LumaHistoryColumnInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_dgettext (GETTEXT_PACKAGE, info->title);
}

const char *
luma_history_record_get_text (LumaLicenseType   license_type,
                              gconstpointer     record,
                              LumaHistoryColumn key)
{
  g_return_val_if_fail (record != NULL, NULL);

  if (license_type == LUMA_LICENSE_TYPE_USER)
    {
      const LumaUserRecord *u = record;

      switch (key)
        {
        case LUMA_HISTORY_COLUMN_ID: return u->user_id;
        case LUMA_HISTORY_COLUMN_USER_NAME: return u->user_name;
        case LUMA_HISTORY_COLUMN_EMAIL: return u->email;
        case LUMA_HISTORY_COLUMN_FIRST_NAME: return u->first_name;
        case LUMA_HISTORY_COLUMN_LAST_NAME: return u->last_name;
        default: return NULL;
        }
    }
  else
    {
      const LumaSessionRecord *s = record;

      switch (key)
        {
        case LUMA_HISTORY_COLUMN_ID: return s->session_id;
        case LUMA_HISTORY_COLUMN_USER_NAME: return s->user_name;
        case LUMA_HISTORY_COLUMN_EMAIL: return s->email;
        case LUMA_HISTORY_COLUMN_AGENT_NAME: return s->agent_name;
        default: return NULL;
        }
    }
}

gint64
luma_history_record_get_value (LumaLicenseType   license_type,
                               gconstpointer     record,
                               LumaHistoryColumn key)
{
  g_return_val_if_fail (record != NULL, 0);

  if (license_type == LUMA_LICENSE_TYPE_USER)
    {
      const LumaUserRecord *u = record;

      switch (key)
        {
        case LUMA_HISTORY_COLUMN_TIME: return u->created_on;
        case LUMA_HISTORY_COLUMN_ROLE: return u->role;
        case LUMA_HISTORY_COLUMN_STATUS: return u->status;
        case LUMA_HISTORY_COLUMN_CONVERSATIONS: return u->conversations;
        default: return 0;
        }
    }
  else
    {
      const LumaSessionRecord *s = record;

      switch (key)
        {
        case LUMA_HISTORY_COLUMN_TIME: return s->started_on;
        case LUMA_HISTORY_COLUMN_ROLE: return s->role;
        case LUMA_HISTORY_COLUMN_INITIATED_BY: return s->initiated_by;
        case LUMA_HISTORY_COLUMN_CHANNEL: return s->channel;
        case LUMA_HISTORY_COLUMN_CONVERSATIONS: return s->conversations;
        default: return 0;
        }
    }
}

char *
luma_history_record_format (LumaLicenseType              license_type,
                            gconstpointer                record,
                            const LumaHistoryColumnInfo *info)
{
  gint64 value;
  const char *label;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (info != NULL, NULL);

  value = luma_history_record_get_value (license_type, record, info->key);
  switch (info->kind)
    {
    case LUMA_HISTORY_VALUE_TIME:
      return luma_format_record_time (value);
    case LUMA_HISTORY_VALUE_COUNT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, value);
    case LUMA_HISTORY_VALUE_ENUM:
      if (info->key == LUMA_HISTORY_COLUMN_ROLE)
        label = luma_role_to_display ((LumaRole) value);
      else if (info->key == LUMA_HISTORY_COLUMN_INITIATED_BY)
        label = luma_initiated_by_to_display ((LumaInitiatedBy) value);
      else if (info->key == LUMA_HISTORY_COLUMN_CHANNEL)
        label = luma_channel_to_display ((LumaChannel) value);
      else
        label = luma_user_status_to_display ((LumaUserStatus) value);
      break;
    case LUMA_HISTORY_VALUE_TEXT:
    default:
      label = luma_history_record_get_text (license_type, record, info->key);
      break;
    }

  return g_strdup (label != NULL ? label : "");
}
