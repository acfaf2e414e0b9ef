/* luma-window.h: the main window, one per account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-account.h"
#include "luma-application.h"

G_BEGIN_DECLS

#define LUMA_TYPE_WINDOW (luma_window_get_type ())

G_DECLARE_FINAL_TYPE (LumaWindow, luma_window, LUMA, WINDOW, AdwApplicationWindow)

/* @account NULL: the first-run page asks how to connect. */
LumaWindow  *luma_window_new         (LumaApplication *application,
                                      LumaAccount     *account);
LumaAccount *luma_window_get_account (LumaWindow      *self);
void         luma_window_set_account (LumaWindow      *self,
                                      LumaAccount     *account);
/* A short message at the bottom of the window. */
void         luma_window_add_toast   (LumaWindow      *self,
                                      const char      *message);

G_END_DECLS
