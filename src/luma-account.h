/* luma-account.h: one account the app connects with, and what identifies it
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

/* Any spelling of a server address as the API base the client talks to:
 * "http://h:p", "http://h:p/" and "http://h:p/gateway/api/v1" all give
 * "http://h:p/gateway/api/v1". An address without a scheme is taken as a
 * person means it: http:// for localhost, a loopback address or an IP
 * address with a port ("127.0.0.1:47123"), else https:// ("luma.example").
 * The scheme and host are lower-cased. "" for an empty @text. Free with
 * g_free(). */
char            *luma_account_normalize_server (const char      *text);

/* What identifies an account, the same from any spelling of its address:
 * the one key for the session table, the cache file and the keyring item
 * (luma-credentials stores it under @server and @user). */
typedef struct
{
  LumaAccountKind  kind;
  char            *server;      /* the normalized API base */
  char            *user;        /* the tenant's external id, or the superadmin's user name */
  char            *key;         /* "KIND\nSERVER\nUSER": one per account */
  char            *cache_name;  /* the account of its cache: the tenant id, or "superadmin:USER" */
  char            *cache_path;  /* luma_cache_path_for_account (server, cache_name) */
} LumaAccountIdentity;

LumaAccountIdentity *luma_account_identify       (LumaAccountKind      kind,
                                                  const char          *server,
                                                  const char          *user);
void                 luma_account_identity_free  (LumaAccountIdentity *identity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaAccountIdentity, luma_account_identity_free)

#define LUMA_TYPE_ACCOUNT (luma_account_get_type ())

G_DECLARE_FINAL_TYPE (LumaAccount, luma_account, LUMA, ACCOUNT, GObject)

/* @identity is the tenant's external id or the superadmin's user name;
 * @server any spelling of the address (it is normalized). */
LumaAccount     *luma_account_new          (LumaAccountKind  kind,
                                            const char      *server,
                                            const char      *identity);
LumaAccountKind  luma_account_get_kind     (LumaAccount     *self);
/* The normalized API base. */
const char      *luma_account_get_server   (LumaAccount     *self);
const char      *luma_account_get_identity (LumaAccount     *self);
/* Cache file, keyring item and table key of this account. */
const LumaAccountIdentity *luma_account_get_id (LumaAccount *self);
/* The cache account name of @tenant's data as seen by this account: the
 * tenant id for a Tenant Administrator, "superadmin:USER/TENANT" for a
 * Superadmin. Free with g_free(). */
char            *luma_account_dup_tenant_cache_name (LumaAccount *self,
                                                     const char  *tenant);
/* The API key or password for this run only (from the environment or the
 * first-run page); NULL means: look it up in the keyring. An empty secret
 * is set as NULL. */
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
