/* luma-preferences-window.h: sync interval, notifications and other settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-cache.h"

G_BEGIN_DECLS

#define LUMA_TYPE_PREFERENCES_WINDOW (luma_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (LumaPreferencesWindow, luma_preferences_window, LUMA, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

LumaPreferencesWindow *luma_preferences_window_new       (GSettings             *settings);
/* Shows the alerts of the tenant whose subscription @cache holds (nullable:
 * hides them), stored in that cache (luma-alerts.h). */
void                   luma_preferences_window_set_cache (LumaPreferencesWindow *self,
                                                          LumaCache             *cache);
/* The error under the percentages, or NULL when they are valid. */
const char            *luma_preferences_window_get_alerts_error (LumaPreferencesWindow *self);

G_END_DECLS
