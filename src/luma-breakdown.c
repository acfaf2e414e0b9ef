/* luma-breakdown.c: the periods of the breakdown, its items and its CSV
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-breakdown.h"
#include "luma-csv.h"

#define DAY (24 * 3600)

const char *
luma_period_preset_to_display (LumaPeriodPreset preset)
{
  switch (preset)
    {
    case LUMA_PERIOD_LAST_7_DAYS: return _("Last 7 Days");
    case LUMA_PERIOD_LAST_30_DAYS: return _("Last 30 Days");
    case LUMA_PERIOD_LAST_90_DAYS: return _("Last 90 Days");
    case LUMA_PERIOD_THIS_TERM: return _("This Term");
    case LUMA_PERIOD_PREVIOUS_TERM: return _("Previous Term");
    default: return "";
    }
}

/* Midnight of the day @days_from_today days from the day of @now, in @tz. */
static gint64
local_midnight (gint64     now,
                GTimeZone *tz,
                int        days_from_today)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (now);
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) midnight = NULL;
  g_autoptr(GDateTime) shifted = NULL;

  if (at == NULL)
    return now;
  local = g_date_time_to_timezone (at, tz);
  midnight = g_date_time_new (tz, g_date_time_get_year (local), g_date_time_get_month (local),
                              g_date_time_get_day_of_month (local), 0, 0, 0);
  /* Adding days keeps the wall-clock time: midnight stays midnight across
   * a change to or from daylight saving time. */
  shifted = midnight != NULL ? g_date_time_add_days (midnight, days_from_today) : NULL;
  return shifted != NULL ? g_date_time_to_unix (shifted) : now;
}

void
luma_period_for_preset (LumaPeriodPreset  preset,
                        gint64            now,
                        gint64            term_start,
                        gint64            term_end,
                        GTimeZone        *tz,
                        gint64           *from_out,
                        gint64           *to_out,
                        gint64           *previous_from_out)
{
  g_autoptr(GTimeZone) local = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  gint64 length;
  int days;

  g_return_if_fail (from_out != NULL && to_out != NULL && previous_from_out != NULL);

  switch (preset)
    {
    case LUMA_PERIOD_THIS_TERM:
    case LUMA_PERIOD_PREVIOUS_TERM:
      length = MAX (term_end, term_start) - term_start + 1;
      *from_out = term_start;
      *to_out = term_start + length;
      if (preset == LUMA_PERIOD_PREVIOUS_TERM)
        {
          *to_out = term_start;
          *from_out = term_start - length;
        }
      *previous_from_out = *from_out - length;
      return;

    case LUMA_PERIOD_LAST_7_DAYS:
      days = 7;
      break;
    case LUMA_PERIOD_LAST_90_DAYS:
      days = 90;
      break;
    case LUMA_PERIOD_LAST_30_DAYS:
    default:
      days = 30;
      break;
    }

  luma_period_for_last_days (days, now, local, from_out, to_out, previous_from_out);
}

void
luma_period_for_last_days (int        days,
                           gint64     now,
                           GTimeZone *tz,
                           gint64    *from_out,
                           gint64    *to_out,
                           gint64    *previous_from_out)
{
  g_autoptr(GTimeZone) local = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();

  g_return_if_fail (from_out != NULL && to_out != NULL && previous_from_out != NULL);

  days = MAX (days, 1);
  *to_out = local_midnight (now, local, 1);
  *from_out = local_midnight (now, local, 1 - days);
  *previous_from_out = local_midnight (now, local, 1 - 2 * days);
}

gboolean
luma_breakdown_change_percent (gint64  previous,
                               gint64  current,
                               double *percent_out)
{
  g_return_val_if_fail (percent_out != NULL, FALSE);

  if (previous <= 0)
    return FALSE;
  *percent_out = ((double) current - (double) previous) * 100.0 / (double) previous;
  return TRUE;
}

void
luma_breakdown_item_free (LumaBreakdownItem *self)
{
  if (self == NULL)
    return;
  g_free (self->user_name);
  g_free (self->email);
  g_free (self->user_id);
  g_free (self);
}

void
luma_breakdown_free (LumaBreakdown *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->channels, g_ptr_array_unref);
  g_clear_pointer (&self->roles, g_ptr_array_unref);
  g_clear_pointer (&self->initiators, g_ptr_array_unref);
  g_clear_pointer (&self->top_users, g_ptr_array_unref);
  g_free (self);
}

GPtrArray *
luma_breakdown_get_group (const LumaBreakdown    *self,
                          LumaBreakdownDimension  dimension)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (dimension)
    {
    case LUMA_BREAKDOWN_CHANNEL: return self->channels;
    case LUMA_BREAKDOWN_ROLE: return self->roles;
    case LUMA_BREAKDOWN_INITIATOR: return self->initiators;
    case LUMA_BREAKDOWN_USER: return self->top_users;
    default: g_return_val_if_reached (NULL);
    }
}

void
luma_idle_user_free (LumaIdleUser *self)
{
  if (self == NULL)
    return;
  g_free (self->user_id);
  g_free (self->user_name);
  g_free (self->email);
  g_free (self);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void
append_breakdown_row (GString    *out,
                      const char *group,
                      const char *value,
                      const char *email,
                      gint64      count)
{
  luma_csv_append_field (out, group, -1, TRUE);
  g_string_append_c (out, ',');
  luma_csv_append_field (out, value, -1, TRUE);
  g_string_append_c (out, ',');
  luma_csv_append_field (out, email, -1, TRUE);
  g_string_append_c (out, ',');
  luma_csv_append_count (out, count);
  g_string_append (out, "\r\n");
}

static const char *
item_label (LumaBreakdownDimension   dimension,
            const LumaBreakdownItem *item)
{
  switch (dimension)
    {
    case LUMA_BREAKDOWN_CHANNEL: return luma_csv_channel_label (item->value);
    case LUMA_BREAKDOWN_ROLE: return luma_csv_role_label (item->value);
    case LUMA_BREAKDOWN_INITIATOR: return luma_csv_initiated_by_label (item->value);
    case LUMA_BREAKDOWN_USER:
    default:
      return item->user_id != NULL ? item->user_id : item->user_name;
    }
}

void
luma_breakdown_append_csv (GString             *out,
                           const LumaBreakdown *breakdown)
{
  static const char * const groups[] = { "Channel", "Role", "Initiated By", "User" };
  const char *header[] = {
    /* Translators: CSV headings of the breakdown export */
    C_("breakdown-csv", "Group"), C_("breakdown-csv", "Value"), C_("breakdown-csv", "Email"),
    C_("breakdown-csv", "Count"),
  };
  g_autoptr(GString) period = g_string_new (NULL);

  g_return_if_fail (out != NULL && breakdown != NULL);

  luma_csv_append_row (out, header, G_N_ELEMENTS (header));

  luma_csv_append_time (period, breakdown->from);
  g_string_append_c (period, '/');
  luma_csv_append_time (period, breakdown->to);
  append_breakdown_row (out, "Total", period->str, NULL, breakdown->total);
  g_string_truncate (period, 0);
  luma_csv_append_time (period, breakdown->previous_from);
  g_string_append_c (period, '/');
  luma_csv_append_time (period, breakdown->from);
  append_breakdown_row (out, "Previous Period", period->str, NULL, breakdown->previous_total);

  for (guint d = 0; d < G_N_ELEMENTS (groups); d++)
    {
      GPtrArray *items = luma_breakdown_get_group (breakdown, d);

      for (guint i = 0; items != NULL && i < items->len; i++)
        {
          const LumaBreakdownItem *item = g_ptr_array_index (items, i);

          append_breakdown_row (out, groups[d], item_label (d, item),
                                d == LUMA_BREAKDOWN_USER ? item->email : NULL, item->count);
        }
    }
}

void
luma_idle_users_append_csv (GString   *out,
                            GPtrArray *idle_users)
{
  const char *header[] = {
    /* Translators: CSV headings of the idle licenses export */
    C_("idle-csv", "User ID"), C_("idle-csv", "User Name"), C_("idle-csv", "Email"),
    C_("idle-csv", "Role"), C_("idle-csv", "Created On"), C_("idle-csv", "Conversations"),
    C_("idle-csv", "Last Conversation"),
  };

  g_return_if_fail (out != NULL && idle_users != NULL);

  luma_csv_append_row (out, header, G_N_ELEMENTS (header));
  for (guint i = 0; i < idle_users->len; i++)
    {
      const LumaIdleUser *u = g_ptr_array_index (idle_users, i);

      luma_csv_append_field (out, u->user_id, -1, TRUE);
      g_string_append_c (out, ',');
      luma_csv_append_field (out, u->user_name, -1, TRUE);
      g_string_append_c (out, ',');
      luma_csv_append_field (out, u->email, -1, TRUE);
      g_string_append_c (out, ',');
      luma_csv_append_field (out, luma_csv_role_label (u->role), -1, TRUE);
      g_string_append_c (out, ',');
      luma_csv_append_time (out, u->created_on);
      g_string_append_c (out, ',');
      luma_csv_append_count (out, u->conversations);
      g_string_append_c (out, ',');
      if (u->last_conversation > 0)
        luma_csv_append_time (out, u->last_conversation);
      g_string_append (out, "\r\n");
    }
}
