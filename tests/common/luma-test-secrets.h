/* luma-test-secrets.h: look for secrets in what a test captured and in the files left behind
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-test-sandbox.h"

G_BEGIN_DECLS

/* ---- The secrets ---------------------------------------------------------------------------- */

typedef struct _LumaTestSecrets LumaTestSecrets;

LumaTestSecrets *luma_test_secrets_new             (void);
void             luma_test_secrets_free            (LumaTestSecrets *self);
/* Looks for @value from now on, as is and base64-encoded; @name says which secret was found. */
void             luma_test_secrets_add             (LumaTestSecrets *self,
                                                    const char      *name,
                                                    const char      *value);
/* Logs in to @sandbox as the superadmin @user and looks for that bearer token and for its
 * first dot-separated segment, which every token of the sandbox shares. */
void             luma_test_secrets_add_bearer_tokens (LumaTestSecrets *self,
                                                      LumaTestSandbox *sandbox,
                                                      const char      *user,
                                                      const char      *password);
/* Fails the test (without stopping it) for each secret in @data; @where names the place. */
void             luma_test_secrets_assert_absent   (LumaTestSecrets *self,
                                                    const char      *where,
                                                    const void      *data,
                                                    gsize            len);
/* The same for every regular file under @dir (links not followed); returns how many it read,
 * 0 when @dir does not exist. */
guint            luma_test_secrets_scan_tree       (LumaTestSecrets *self,
                                                    const char      *dir);
/* The same for the home folder and the XDG cache, config, data and state folders outside it;
 * says how many files it read. */
guint            luma_test_secrets_scan_user_dirs  (LumaTestSecrets *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTestSecrets, luma_test_secrets_free)

/* Whether @needle (not empty) is somewhere in the @len bytes of @data, NUL bytes included. */
gboolean         luma_test_bytes_contain           (const void      *data,
                                                    gsize            len,
                                                    const char      *needle);

/* Fails the test unless the app's cache folder (luma-subscription in the XDG cache folder)
 * exists and is 0700, every file under it 0600 and every folder below it 0700. */
void             luma_test_assert_private_cache    (void);

/* ---- Capturing log messages and output ------------------------------------------------------ */

/* Sets G_MESSAGES_DEBUG=all and a log writer that keeps every field of every message while
 * capturing; call it before anything logs (before g_test_init). Warnings and worse are still
 * written out, everything else only kept. */
void             luma_test_capture_install         (void);
void             luma_test_capture_start           (void);
void             luma_test_capture_stop            (void);
/* Keeps @label (may be NULL) and @len bytes of @data while capturing; from any thread. */
void             luma_test_capture_append          (const char      *label,
                                                    const void      *data,
                                                    gsize            len);
/* A copy of everything kept so far. */
GBytes          *luma_test_capture_get             (void);

G_END_DECLS
