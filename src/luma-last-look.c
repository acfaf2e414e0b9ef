/* luma-last-look.c: "since you last looked" on the subscription page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "luma-cache-sync.h"
#include "luma-format.h"
#include "luma-last-look.h"

/* The stored form: a version, then the five figures. */
#define FORMAT_VERSION "1"

gboolean
luma_last_look_load (LumaCache    *cache,
                     LumaLastLook *out)
{
  g_autofree char *value = NULL;
  g_auto(GStrv) fields = NULL;
  gint64 v[5];

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  value = luma_cache_get_meta (cache, LUMA_LAST_LOOK_META_KEY, NULL);
  if (value == NULL)
    return FALSE;
  fields = g_strsplit (value, " ", -1);
  if (g_strv_length (fields) != 6 || !g_str_equal (fields[0], FORMAT_VERSION))
    return FALSE;
  for (guint i = 0; i < 5; i++)
    if (!g_ascii_string_to_signed (fields[i + 1], 10, 0, G_MAXINT64, &v[i], NULL))
      return FALSE;

  out->time = v[0];
  out->consumed = v[1];
  out->total_purchase = v[2];
  out->purchases = v[3];
  out->max_record_id = v[4];
  return TRUE;
}

gboolean
luma_last_look_read (LumaCache              *cache,
                     const LumaSubscription *subscription,
                     const LumaLastLook     *since,
                     gint64                  now,
                     LumaLastLook           *out,
                     GError                **error)
{
  g_autoptr(GPtrArray) purchases = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (subscription != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  purchases = luma_cache_get_purchases (cache, NULL, error);
  if (purchases == NULL)
    return FALSE;
  /* With no marker every record is counted: the caller shows nothing then. */
  if (!luma_cache_count_history_after (cache, subscription->license_type,
                                       since != NULL ? since->max_record_id : 0,
                                       &out->max_record_id, &out->new_records, error))
    return FALSE;

  out->time = now;
  out->consumed = MAX (subscription->consumed, 0);
  out->total_purchase = MAX (subscription->total_purchase, 0);
  out->purchases = purchases->len;
  return TRUE;
}

gboolean
luma_last_look_store (LumaCache          *cache,
                      const LumaLastLook *look,
                      GError            **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (LUMA_IS_CACHE (cache), FALSE);
  g_return_val_if_fail (look != NULL, FALSE);

  value = g_strdup_printf (FORMAT_VERSION " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                           " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                           MAX (look->time, 0), MAX (look->consumed, 0), MAX (look->total_purchase, 0),
                           MAX (look->purchases, 0), MAX (look->max_record_id, 0));
  return luma_cache_set_meta (cache, LUMA_LAST_LOOK_META_KEY, value, error);
}

static char *
used_percent (const LumaLastLook *look)
{
  double pct = look->total_purchase > 0 ? (double) look->consumed * 100.0 / (double) look->total_purchase
                                        : (look->consumed > 0 ? 100.0 : 0.0);

  return luma_format_percent (pct);
}

char *
luma_last_look_describe (LumaLicenseType     license_type,
                         const LumaLastLook *previous,
                         const LumaLastLook *current)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *then_pct = NULL;
  g_autofree char *now_pct = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *when = NULL;
  gint64 new_purchases;

  g_return_val_if_fail (previous != NULL, NULL);
  g_return_val_if_fail (current != NULL, NULL);

  if (current->new_records > 0)
    {
      g_autofree char *n = luma_format_count (current->new_records);

      if (license_type == LUMA_LICENSE_TYPE_USER)
        /* Translators: part of the "since you last looked" line; %s is a number */
        g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s new user", "%s new users",
                                                              luma_plural_n (current->new_records)), n));
      else
        /* Translators: part of the "since you last looked" line; %s is a number */
        g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s new session",
                                                              "%s new sessions",
                                                              luma_plural_n (current->new_records)), n));
    }

  /* The purchase list is replaced as a whole: a shorter one is no news. */
  new_purchases = current->purchases - previous->purchases;
  if (new_purchases > 0)
    {
      g_autofree char *n = luma_format_count (new_purchases);

      /* Translators: part of the "since you last looked" line; %s is a number */
      g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s new purchase",
                                                            "%s new purchases",
                                                            luma_plural_n (new_purchases)), n));
    }

  /* Compared as shown, whole percents: a change too small to see is none. */
  then_pct = used_percent (previous);
  now_pct = used_percent (current);
  if (!g_str_equal (then_pct, now_pct))
    /* Translators: part of the "since you last looked" line: the share of the
     * licenses used then and now, "85 % → 91 % used" */
    g_ptr_array_add (parts, g_strdup_printf (_("%s → %s used"), then_pct, now_pct));

  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  /* The separator of the desktop search's lines too. */
  joined = g_strjoinv (" · ", (char **) parts->pdata);
  when = luma_format_date_time (previous->time);
  /* Translators: %s (first) is a date and time, %s (second) what changed:
   * "Since you last looked on 03/14/2026 09:26:53 AM: 12 new sessions · 1 new purchase" */
  return g_strdup_printf (_("Since you last looked on %s: %s"), when, joined);
}
