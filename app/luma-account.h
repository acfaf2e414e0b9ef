/* luma-account.h: one account the app connects with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  LUMA_ACCOUNT_KIND_TENANT,     /* a Tenant Administrator: server, tenant id, API key */
  LUMA_ACCOUNT_KIND_SUPERADMIN, /* a Superadmin: server, user, password */
} LumaAccountKind;

#define LUMA_TYPE_ACCOUNT (luma_account_get_type ())

G_DECLARE_FINAL_TYPE (LumaAccount, luma_account, LUMA, ACCOUNT, GObject)

/* @identity is the tenant's external id or the superadmin's user name. */
LumaAccount     *luma_account_new          (LumaAccountKind  kind,
                                            const char      *server,
                                            const char      *identity);
LumaAccountKind  luma_account_get_kind     (LumaAccount     *self);
const char      *luma_account_get_server   (LumaAccount     *self);
const char      *luma_account_get_identity (LumaAccount     *self);
/* The API key or password for this run only (from the environment or the
 * first-run page); NULL means: look it up in the keyring. */
const char      *luma_account_get_secret   (LumaAccount     *self);
void             luma_account_set_secret   (LumaAccount     *self,
                                            const char      *secret);
gboolean         luma_account_equal        (LumaAccount     *a,
                                            LumaAccount     *b);
/* "acme on luma.example", for lists and window subtitles; free with g_free(). */
char            *luma_account_dup_label    (LumaAccount     *self);

/* The GSettings "accounts" key holds a(sss): (kind, server, identity) with
 * kind "tenant" or "superadmin". Unknown kinds are skipped. */
GPtrArray       *luma_account_list_load    (GSettings       *settings);
/* Adds @account unless an equal one is stored; returns its index. */
int              luma_account_list_add     (GSettings       *settings,
                                            LumaAccount     *account);
void             luma_account_list_remove  (GSettings       *settings,
                                            LumaAccount     *account);

G_END_DECLS
