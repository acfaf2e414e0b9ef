/* luma-thresholds.c: when to tell the tenant administrator about consumption
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-format.h"
#include "luma-thresholds.h"

static const struct
{
  LumaThreshold threshold;
  guint         percent;
} thresholds[] = {
  { LUMA_THRESHOLD_75, 75 },
  { LUMA_THRESHOLD_85, 85 },
  { LUMA_THRESHOLD_95, 95 },
  { LUMA_THRESHOLD_100, 100 },
};

G_STATIC_ASSERT (G_N_ELEMENTS (thresholds) == LUMA_THRESHOLD_COUNT);

gboolean
luma_threshold_percent_reached (guint  percent,
                                gint64 consumed,
                                gint64 total_purchase)
{
  consumed = CLAMP (consumed, 0, LUMA_MAX_COUNT);
  total_purchase = CLAMP (total_purchase, 0, LUMA_MAX_COUNT);

  /* Nothing bought and nothing used is not "100 %"; anything used of
   * nothing bought is past every threshold. */
  if (total_purchase == 0)
    return consumed > 0;
  /* Both are below 2^53 and a percent is small: no overflow. */
  return consumed * 100 >= total_purchase * (gint64) percent;
}

guint
luma_thresholds_reached (gint64 consumed,
                         gint64 total_purchase)
{
  guint reached = 0;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (thresholds); i++)
    if (luma_threshold_percent_reached (thresholds[i].percent, consumed, total_purchase))
      reached |= thresholds[i].threshold;

  return reached;
}

LumaThreshold
luma_threshold_nth (guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (thresholds), LUMA_THRESHOLD_NONE);

  return thresholds[index].threshold;
}

LumaThreshold
luma_threshold_highest (guint set)
{
  gsize i;

  for (i = G_N_ELEMENTS (thresholds); i > 0; i--)
    if (set & thresholds[i - 1].threshold)
      return thresholds[i - 1].threshold;

  return LUMA_THRESHOLD_NONE;
}

guint
luma_thresholds_from_percents (GArray *percents)
{
  guint set = 0;
  guint i;
  gsize j;

  if (percents == NULL)
    return 0;

  for (i = 0; i < percents->len; i++)
    for (j = 0; j < G_N_ELEMENTS (thresholds); j++)
      if (g_array_index (percents, gint, i) == (gint) thresholds[j].percent)
        set |= thresholds[j].threshold;

  return set;
}

guint
luma_threshold_get_percent (LumaThreshold threshold)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (thresholds); i++)
    if (threshold == thresholds[i].threshold)
      return thresholds[i].percent;

  return 0;
}

LumaThreshold
luma_threshold_from_percent (gint percent)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (thresholds); i++)
    if ((gint) thresholds[i].percent == percent)
      return thresholds[i].threshold;

  return LUMA_THRESHOLD_NONE;
}

LumaThreshold
luma_thresholds_evaluate (const LumaThresholdState *previous,
                          gint64                    term_start,
                          gint64                    consumed,
                          gint64                    total_purchase,
                          LumaThresholdDecision    *decision)
{
  guint before = 0;
  guint reached;
  LumaThreshold highest;

  g_return_val_if_fail (decision != NULL, LUMA_THRESHOLD_NONE);

  if (previous != NULL &&
      previous->term_start == term_start)
    before = previous->notified & LUMA_THRESHOLD_ALL;

  reached = luma_thresholds_reached (consumed, total_purchase);
  highest = luma_threshold_highest (reached);

  /* The stored set is always "everything reached at the last look", so the
   * highest threshold reached is new exactly when it is not in it; lower
   * ones crossed in the same step are passed over, not notified. */
  decision->notify = (highest != LUMA_THRESHOLD_NONE && !(before & highest))
                     ? highest : LUMA_THRESHOLD_NONE;
  decision->rearmed = before & ~reached;
  decision->state.term_start = term_start;
  decision->state.notified = reached;

  return decision->notify;
}

GNotificationPriority
luma_threshold_get_priority (LumaThreshold threshold)
{
  return luma_threshold_get_priority_for_percent (luma_threshold_get_percent (threshold));
}

char *
luma_threshold_notification_id (const char    *external_id,
                                LumaThreshold  threshold)
{
  g_return_val_if_fail (external_id != NULL, NULL);

  return g_strdup_printf ("threshold-%s-%u", external_id, luma_threshold_get_percent (threshold));
}

static char *
format_usage (LumaLicenseType license_type,
              gint64          consumed,
              gint64          total_purchase)
{
  g_autofree char *used = luma_format_count (consumed);
  g_autofree char *total = luma_format_count (total_purchase);
  gulong n = (gulong) MIN (total_purchase, (gint64) G_MAXLONG);

  if (consumed > total_purchase)
    {
      g_autofree char *over = luma_format_count (consumed - total_purchase);

      if (license_type == LUMA_LICENSE_TYPE_USER)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s of %s user license used, %s more than purchased.",
                                             "%s of %s user licenses used, %s more than purchased.",
                                             n),
                                used, total, over);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s of %s session used, %s more than purchased.",
                                           "%s of %s sessions used, %s more than purchased.",
                                           n),
                              used, total, over);
    }

  if (consumed == total_purchase)
    {
      if (license_type == LUMA_LICENSE_TYPE_USER)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s of %s user license used, none left.",
                                             "%s of %s user licenses used, none left.",
                                             n),
                                used, total);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s of %s session used, none left.",
                                           "%s of %s sessions used, none left.",
                                           n),
                              used, total);
    }

  {
    g_autofree char *left = luma_format_count (total_purchase - consumed);

    if (license_type == LUMA_LICENSE_TYPE_USER)
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s of %s user license used, %s left.",
                                           "%s of %s user licenses used, %s left.",
                                           n),
                              used, total, left);
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%s of %s session used, %s left.",
                                         "%s of %s sessions used, %s left.",
                                         n),
                            used, total, left);
  }
}

LumaThresholdNotification *
luma_threshold_notification_new (LumaThreshold    threshold,
                                 LumaLicenseType  license_type,
                                 const char      *tenant_name,
                                 gint64           consumed,
                                 gint64           total_purchase,
                                 gint64           term_end)
{
  g_return_val_if_fail (threshold != LUMA_THRESHOLD_NONE, NULL);

  return luma_threshold_notification_new_for_percent (luma_threshold_get_percent (threshold),
                                                      license_type, tenant_name, consumed,
                                                      total_purchase, term_end);
}

GNotificationPriority
luma_threshold_get_priority_for_percent (guint percent)
{
  if (percent >= 100)
    return G_NOTIFICATION_PRIORITY_URGENT;
  if (percent >= 95)
    return G_NOTIFICATION_PRIORITY_HIGH;
  return G_NOTIFICATION_PRIORITY_NORMAL;
}

char *
luma_threshold_format_usage (LumaLicenseType license_type,
                             gint64          consumed,
                             gint64          total_purchase)
{
  return format_usage (license_type, CLAMP (consumed, 0, LUMA_MAX_COUNT),
                       CLAMP (total_purchase, 0, LUMA_MAX_COUNT));
}

LumaThresholdNotification *
luma_threshold_notification_new_for_percent (guint            threshold_percent,
                                             LumaLicenseType  license_type,
                                             const char      *tenant_name,
                                             gint64           consumed,
                                             gint64           total_purchase,
                                             gint64           term_end)
{
  LumaThresholdNotification *self;
  g_autofree char *usage = NULL;
  g_autofree char *end_text = NULL;
  gint64 percent;

  g_return_val_if_fail (threshold_percent > 0, NULL);

  consumed = CLAMP (consumed, 0, LUMA_MAX_COUNT);
  total_purchase = CLAMP (total_purchase, 0, LUMA_MAX_COUNT);

  percent = total_purchase > 0 ? consumed * 100 / total_purchase : 100;
  percent = CLAMP (percent, (gint64) threshold_percent, G_MAXINT);

  self = g_new0 (LumaThresholdNotification, 1);
  self->priority = luma_threshold_get_priority_for_percent (threshold_percent);

  if (tenant_name != NULL && *tenant_name != '\0')
    /* Translators: the tenant's name, then a percentage such as 85 */
    self->title = g_strdup_printf (_("%s: %d %% of licenses used"), tenant_name, (int) percent);
  else
    /* Translators: a percentage such as 85 */
    self->title = g_strdup_printf (_("%d %% of licenses used"), (int) percent);

  usage = format_usage (license_type, consumed, total_purchase);

  end_text = luma_format_day (term_end);

  if (*end_text != '\0')
    {
      g_autofree char *ends = NULL;

      /* Translators: the argument is a date in the locale's format, such as "12/31/2026" */
      ends = g_strdup_printf (_("The contract ends on %s."), end_text);
      self->body = g_strconcat (usage, " ", ends, NULL);
    }
  else
    {
      self->body = g_steal_pointer (&usage);
    }

  return self;
}

void
luma_threshold_notification_free (LumaThresholdNotification *self)
{
  if (self == NULL)
    return;

  g_free (self->title);
  g_free (self->body);
  g_free (self);
}
