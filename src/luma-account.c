/* luma-account.c: one account the app connects with, and what identifies it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-account.h"
#include "luma-cache.h"
#include "luma-credentials.h"

#define API_PATH "/gateway/api/v1"

/* localhost, a loopback address, or an IP address with a port: a server on
 * this computer or a test machine, which speaks http. */
static gboolean
means_http (const char *authority)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gboolean has_port = FALSE;
  const char *colon;

  if (*authority == '[')
    {
      const char *end = strchr (authority, ']');

      if (end == NULL)
        return FALSE;
      host = g_strndup (authority + 1, end - authority - 1);
      has_port = end[1] == ':';
    }
  else if ((colon = strrchr (authority, ':')) != NULL && strchr (authority, ':') == colon)
    {
      host = g_strndup (authority, colon - authority);
      has_port = TRUE;
    }
  else
    {
      host = g_strdup (authority);
    }

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return FALSE;
  return has_port || g_inet_address_get_is_loopback (address);
}

char *
luma_account_normalize_server (const char *text)
{
  g_autofree char *s = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  gsize len;

  if (*s == '\0')
    return g_strdup ("");

  if (strstr (s, "://") == NULL)
    {
      g_autofree char *authority = g_strndup (s, strcspn (s, "/?#"));

      with_scheme = g_strconcat (means_http (authority) ? "http://" : "https://", s, NULL);
    }
  else
    {
      with_scheme = g_strdup (s);
    }

  /* Scheme and host are case-insensitive, and a default port is no port. */
  uri = g_uri_parse (with_scheme, G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  if (uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0')
    {
      g_autofree char *scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
      g_autofree char *host = g_ascii_strdown (g_uri_get_host (uri), -1);
      int port = g_uri_get_port (uri);
      g_autoptr(GUri) clean = NULL;

      if ((port == 80 && g_str_equal (scheme, "http")) || (port == 443 && g_str_equal (scheme, "https")))
        port = -1;
      clean = g_uri_build (G_URI_FLAGS_NONE, scheme, g_uri_get_userinfo (uri), host, port,
                           g_uri_get_path (uri), NULL, NULL);

      g_free (with_scheme);
      with_scheme = g_uri_to_string (clean);
    }

  len = strlen (with_scheme);
  while (len > 0 && with_scheme[len - 1] == '/')
    with_scheme[--len] = '\0';

  if (g_str_has_suffix (with_scheme, API_PATH))
    return g_steal_pointer (&with_scheme);

  return g_strconcat (with_scheme, API_PATH, NULL);
}

static const char *
kind_to_string (LumaAccountKind kind)
{
  return kind == LUMA_ACCOUNT_KIND_SUPERADMIN ? "superadmin" : "tenant";
}

LumaAccountIdentity *
luma_account_identify (LumaAccountKind  kind,
                       const char      *server,
                       const char      *user)
{
  LumaAccountIdentity *identity;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);

  identity = g_new0 (LumaAccountIdentity, 1);
  identity->kind = kind;
  identity->server = luma_account_normalize_server (server);
  identity->user = g_strstrip (g_strdup (user));
  identity->key = g_strdup_printf ("%s\n%s\n%s", kind_to_string (kind), identity->server,
                                   identity->user);
  identity->cache_name = kind == LUMA_ACCOUNT_KIND_SUPERADMIN
                         ? g_strdup_printf ("superadmin:%s", identity->user)
                         : g_strdup (identity->user);
  identity->cache_path = luma_cache_path_for_account (identity->server, identity->cache_name);

  return identity;
}

void
luma_account_identity_free (LumaAccountIdentity *identity)
{
  if (identity == NULL)
    return;

  g_free (identity->server);
  g_free (identity->user);
  g_free (identity->key);
  g_free (identity->cache_name);
  g_free (identity->cache_path);
  g_free (identity);
}

struct _LumaAccount
{
  GObject          parent_instance;

  char                *secret;
  LumaAccountIdentity *id;      /* kind, server and identity (id->user) */
};

G_DEFINE_FINAL_TYPE (LumaAccount, luma_account, G_TYPE_OBJECT)

static void
luma_account_finalize (GObject *object)
{
  LumaAccount *self = LUMA_ACCOUNT (object);

  luma_credentials_free_secret (self->secret);
  luma_account_identity_free (self->id);

  G_OBJECT_CLASS (luma_account_parent_class)->finalize (object);
}

static void
luma_account_class_init (LumaAccountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = luma_account_finalize;
}

static void
luma_account_init (LumaAccount *self)
{
}

LumaAccount *
luma_account_new (LumaAccountKind  kind,
                  const char      *server,
                  const char      *identity)
{
  LumaAccount *self;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);

  self = g_object_new (LUMA_TYPE_ACCOUNT, NULL);
  self->id = luma_account_identify (kind, server, identity);

  return self;
}

LumaAccountKind
luma_account_get_kind (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), LUMA_ACCOUNT_KIND_TENANT);
  return self->id->kind;
}

const char *
luma_account_get_server (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->id->server;
}

const char *
luma_account_get_identity (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->id->user;
}

const LumaAccountIdentity *
luma_account_get_id (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->id;
}

char *
luma_account_dup_tenant_cache_name (LumaAccount *self,
                                    const char  *tenant)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (tenant != NULL, NULL);

  if (self->id->kind == LUMA_ACCOUNT_KIND_SUPERADMIN)
    return g_strdup_printf ("superadmin:%s/%s", self->id->user, tenant);
  return g_strdup (tenant);
}

const char *
luma_account_get_secret (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->secret;
}

void
luma_account_set_secret (LumaAccount *self,
                         const char  *secret)
{
  g_return_if_fail (LUMA_IS_ACCOUNT (self));

  /* Its own secret again (the same account object): wiping it first would keep "". */
  if (secret == self->secret)
    return;
  luma_credentials_free_secret (g_steal_pointer (&self->secret));
  /* Set but empty (LUMA_API_KEY=""): as unset, the keyring's. */
  self->secret = secret != NULL && *secret != '\0' ? g_strdup (secret) : NULL;
}

gboolean
luma_account_equal (LumaAccount *a,
                    LumaAccount *b)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (a), FALSE);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (b), FALSE);

  return g_str_equal (a->id->key, b->id->key);
}

char *
luma_account_dup_label (LumaAccount *self)
{
  g_autoptr(GUri) uri = NULL;
  const char *host = NULL;

  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);

  uri = g_uri_parse (self->id->server, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    host = g_uri_get_host (uri);
  if (host == NULL)
    host = self->id->server;

  if (self->id->kind == LUMA_ACCOUNT_KIND_SUPERADMIN)
    /* Translators: a superadmin account: "USER (Superadmin) on HOST" */
    return g_strdup_printf (_("%s (Superadmin) on %s"), self->id->user, host);

  /* Translators: a tenant account: "TENANT on HOST" */
  return g_strdup_printf (_("%s on %s"), self->id->user, host);
}

GPtrArray *
luma_account_list_load (GSettings *settings)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  const char *kind, *server, *identity;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  value = g_settings_get_value (settings, "accounts");
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &kind, &server, &identity))
    {
      LumaAccountKind k;

      if (g_str_equal (kind, "tenant"))
        k = LUMA_ACCOUNT_KIND_TENANT;
      else if (g_str_equal (kind, "superadmin"))
        k = LUMA_ACCOUNT_KIND_SUPERADMIN;
      else
        continue;

      if (*server == '\0' || *identity == '\0')
        continue;

      g_ptr_array_add (accounts, luma_account_new (k, server, identity));
    }

  return g_steal_pointer (&accounts);
}

static void
store (GSettings *settings,
       GPtrArray *accounts)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sss)"));
  for (guint i = 0; i < accounts->len; i++)
    {
      LumaAccount *account = g_ptr_array_index (accounts, i);

      g_variant_builder_add (&builder, "(sss)",
                             kind_to_string (account->id->kind),
                             account->id->server,
                             account->id->user);
    }
  g_settings_set_value (settings, "accounts", g_variant_builder_end (&builder));
}

int
luma_account_list_add (GSettings   *settings,
                       LumaAccount *account)
{
  g_autoptr(GPtrArray) accounts = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), -1);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (account), -1);

  accounts = luma_account_list_load (settings);
  for (guint i = 0; i < accounts->len; i++)
    if (luma_account_equal (g_ptr_array_index (accounts, i), account))
      return (int) i;

  g_ptr_array_add (accounts, g_object_ref (account));
  store (settings, accounts);

  return (int) accounts->len - 1;
}

void
luma_account_list_remove (GSettings   *settings,
                          LumaAccount *account)
{
  g_autoptr(GPtrArray) accounts = NULL;
  int active;

  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (LUMA_IS_ACCOUNT (account));

  accounts = luma_account_list_load (settings);
  active = g_settings_get_int (settings, "active-account");
  for (guint i = 0; i < accounts->len; i++)
    {
      if (!luma_account_equal (g_ptr_array_index (accounts, i), account))
        continue;

      g_ptr_array_remove_index (accounts, i);
      store (settings, accounts);
      /* Keep "active-account" pointing at the same account, or at none. */
      if (active == (int) i)
        g_settings_set_int (settings, "active-account", -1);
      else if (active > (int) i)
        g_settings_set_int (settings, "active-account", active - 1);
      return;
    }
}
