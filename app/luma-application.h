/* luma-application.h: the application object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-account.h"
#include "luma-background.h"

G_BEGIN_DECLS

#define LUMA_TYPE_APPLICATION (luma_application_get_type ())

G_DECLARE_FINAL_TYPE (LumaApplication, luma_application, LUMA, APPLICATION, AdwApplication)

LumaApplication *luma_application_new          (void);
GSettings       *luma_application_get_settings (LumaApplication *self);

/* Opens a window on @account (NULL: the stored active account, or the
 * first-run page when there is none) and presents it. */
GtkWindow       *luma_application_open_account (LumaApplication *self,
                                                LumaAccount     *account);

/* The --background follower, NULL when not running in the background. */
LumaBackground  *luma_application_get_background (LumaApplication *self);

G_END_DECLS
