/* luma-breakdown.h: where the licenses go, and the idle licenses
 *
 * For a period of local days [from, to): the consumption counted by
 * channel, by role, by initiator and by user, and the same period's total
 * against the previous one of the same length. For user-based tenants, the
 * idle licenses: active users who had no conversation for a number of days.
 * The queries run on the cache's read connections (luma-cache-breakdown.c);
 * the periods and the CSV here (luma-breakdown.c). No GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "luma-cache.h"

G_BEGIN_DECLS

/* ---- Periods ---------------------------------------------------------------------------------- */

typedef enum
{
  LUMA_PERIOD_LAST_7_DAYS,
  LUMA_PERIOD_LAST_30_DAYS,
  LUMA_PERIOD_LAST_90_DAYS,
  LUMA_PERIOD_THIS_TERM,
  LUMA_PERIOD_PREVIOUS_TERM,
} LumaPeriodPreset;

#define LUMA_N_PERIOD_PRESETS (LUMA_PERIOD_PREVIOUS_TERM + 1)

/* The preset's title ("Last 30 Days"), translated. */
const char *luma_period_preset_to_display (LumaPeriodPreset preset);

/**
 * luma_period_for_preset:
 * @preset: the period
 * @now: unix seconds UTC
 * @term_start: the contract term's first second (unix seconds UTC)
 * @term_end: its last second (a closed interval, as the contract says)
 * @tz: (nullable): the zone of the days; NULL for local time
 * @from_out: the period's first second
 * @to_out: the first second after it
 * @previous_from_out: the first second of the previous period of the same
 *   length (which ends at @from_out)
 *
 * The last N days are N whole days of @tz ending with today, so their length
 * in seconds changes with daylight saving time; the previous period is the N
 * days before. This term runs from @term_start to the end of the term; the
 * previous term is the same length just before @term_start.
 */
void        luma_period_for_preset        (LumaPeriodPreset  preset,
                                           gint64            now,
                                           gint64            term_start,
                                           gint64            term_end,
                                           GTimeZone        *tz,
                                           gint64           *from_out,
                                           gint64           *to_out,
                                           gint64           *previous_from_out);

/* The last @days whole days of @tz ending with today, and the @days
 * before (as luma_period_for_preset() does for 7, 30 and 90). */
void        luma_period_for_last_days     (int               days,
                                           gint64            now,
                                           GTimeZone        *tz,
                                           gint64           *from_out,
                                           gint64           *to_out,
                                           gint64           *previous_from_out);

/* The change from @previous to @current in percent (+25.0, -10.0); FALSE
 * when @previous is 0 (no percentage says anything then). */
gboolean    luma_breakdown_change_percent (gint64            previous,
                                           gint64            current,
                                           double           *percent_out);

/* ---- The breakdown ---------------------------------------------------------------------------- */

typedef enum
{
  LUMA_BREAKDOWN_CHANNEL,    /* session only */
  LUMA_BREAKDOWN_ROLE,
  LUMA_BREAKDOWN_INITIATOR,  /* session only */
  LUMA_BREAKDOWN_USER,
} LumaBreakdownDimension;

/**
 * LumaBreakdownItem:
 * @value: the LumaChannel, LumaRole or LumaInitiatedBy; -1 for a user
 * @user_name: (nullable): a user's name (LUMA_BREAKDOWN_USER)
 * @email: (nullable): a user's email, maybe ""
 * @user_id: (nullable): a user license's id (user-based tenants)
 * @count: sessions (session-based) or licenses (user-based); for a user of
 *   a user-based tenant, that user's conversations
 */
typedef struct
{
  gint    value;
  char   *user_name;
  char   *email;
  char   *user_id;
  gint64  count;
} LumaBreakdownItem;

void luma_breakdown_item_free (LumaBreakdownItem *self);

/**
 * LumaBreakdown:
 *
 * What is counted: sessions started in the period (session-based), or the
 * licenses of active users allocated in the period (user-based; the
 * consumption the chart shows). The groups hold only values that occur,
 * largest count first (ties in enum order, then by name); @channels and
 * @initiators are empty for user-based tenants. @top_users: the users with
 * the most sessions in the period (session-based, by user name and email),
 * or the active users allocated in it with the most conversations
 * (user-based).
 */
typedef struct
{
  LumaLicenseType  license_type;
  gint64           from;
  gint64           to;
  gint64           previous_from;
  gint64           total;
  gint64           previous_total;
  GPtrArray       *channels;    /* LumaBreakdownItem* */
  GPtrArray       *roles;
  GPtrArray       *initiators;
  GPtrArray       *top_users;
} LumaBreakdown;

void            luma_breakdown_free        (LumaBreakdown *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaBreakdown, luma_breakdown_free)

GPtrArray      *luma_breakdown_get_group   (const LumaBreakdown    *self,
                                            LumaBreakdownDimension  dimension);

#define LUMA_BREAKDOWN_DEFAULT_TOP_USERS 10

/* Counts the period [@from, @to) and the previous one [@previous_from,
 * @from), keeping @n_top users. Runs on a read connection of the pool: any
 * thread may call it. @to <= @from or @previous_from > @from:
 * LUMA_CACHE_ERROR_INVALID. */
LumaBreakdown  *luma_cache_get_breakdown        (LumaCache            *self,
                                                 LumaLicenseType       license_type,
                                                 gint64                from,
                                                 gint64                to,
                                                 gint64                previous_from,
                                                 guint                 n_top,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
void            luma_cache_get_breakdown_async  (LumaCache            *self,
                                                 LumaLicenseType       license_type,
                                                 gint64                from,
                                                 gint64                to,
                                                 gint64                previous_from,
                                                 guint                 n_top,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
LumaBreakdown  *luma_cache_get_breakdown_finish (LumaCache            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* ---- Idle licenses ---------------------------------------------------------------------------- */

#define LUMA_IDLE_DEFAULT_DAYS 30

/**
 * LumaIdleUser:
 * @last_conversation: the start of the user's last conversation (unix
 *   seconds UTC), or 0 when they never had one
 *
 * An active user license nobody used since the cut-off.
 */
typedef struct
{
  char     *user_id;
  char     *user_name;
  char     *email;
  LumaRole  role;
  gint64    created_on;
  gint64    conversations;
  gint64    last_conversation;
} LumaIdleUser;

void luma_idle_user_free (LumaIdleUser *self);

/* The idle licenses of a user-based tenant at @cutoff (unix seconds UTC,
 * for example the start of the day N days ago): active users whose license
 * was allocated before @cutoff and who had no conversation, or whose last
 * conversation started before @cutoff. The last conversation is the date
 * the feed gives (lastConversationOn); for a user the server did not date
 * (an older server), the transcripts stored in the cache stand in, and only
 * when all of that user's are stored (the stored set is as large as the
 * record's count): otherwise the user is not known to be idle and is left
 * out. A user with none is listed with @last_conversation 0. Longest idle
 * first (never, then the oldest last conversation), then by user name. A
 * GPtrArray of LumaIdleUser*. Any thread. */
GPtrArray      *luma_cache_list_idle_users        (LumaCache            *self,
                                                   gint64                cutoff,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
void            luma_cache_list_idle_users_async  (LumaCache            *self,
                                                   gint64                cutoff,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GPtrArray      *luma_cache_list_idle_users_finish (LumaCache            *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* ---- CSV (the guarded writer of luma-csv.h) --------------------------------------------------- */

/* One row per group value and user: Group, Value, Email, Count, and the
 * totals of the period and the previous one, with a header. Values in
 * English, as the history report writes them. */
void            luma_breakdown_append_csv   (GString              *out,
                                             const LumaBreakdown  *breakdown);
/* User ID, User Name, Email, Role, Created On, Conversations, Last
 * Conversation (empty when none), with a header. */
void            luma_idle_users_append_csv  (GString              *out,
                                             GPtrArray            *idle_users);

G_END_DECLS
