/* luma-preferences-window.h: sync interval, notifications and other settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LUMA_TYPE_PREFERENCES_WINDOW (luma_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (LumaPreferencesWindow, luma_preferences_window, LUMA, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

LumaPreferencesWindow *luma_preferences_window_new (GSettings *settings);

G_END_DECLS
