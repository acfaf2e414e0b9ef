/* luma-account.c: one account the app connects with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "luma-account.h"

struct _LumaAccount
{
  GObject          parent_instance;

  LumaAccountKind  kind;
  char            *server;
  char            *identity;
  char            *secret;
};

G_DEFINE_FINAL_TYPE (LumaAccount, luma_account, G_TYPE_OBJECT)

static void
luma_account_finalize (GObject *object)
{
  LumaAccount *self = LUMA_ACCOUNT (object);

  g_free (self->server);
  g_free (self->identity);
  if (self->secret != NULL)
    {
      /* Do not leave a key or password behind in freed memory. */
      memset (self->secret, 0, strlen (self->secret));
      g_free (self->secret);
    }

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
  self->kind = kind;
  self->server = g_strstrip (g_strdup (server));
  self->identity = g_strstrip (g_strdup (identity));

  return self;
}

LumaAccountKind
luma_account_get_kind (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), LUMA_ACCOUNT_KIND_TENANT);
  return self->kind;
}

const char *
luma_account_get_server (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->server;
}

const char *
luma_account_get_identity (LumaAccount *self)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);
  return self->identity;
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

  if (self->secret != NULL)
    {
      memset (self->secret, 0, strlen (self->secret));
      g_clear_pointer (&self->secret, g_free);
    }
  self->secret = g_strdup (secret);
}

gboolean
luma_account_equal (LumaAccount *a,
                    LumaAccount *b)
{
  g_return_val_if_fail (LUMA_IS_ACCOUNT (a), FALSE);
  g_return_val_if_fail (LUMA_IS_ACCOUNT (b), FALSE);

  return a->kind == b->kind &&
         g_strcmp0 (a->server, b->server) == 0 &&
         g_strcmp0 (a->identity, b->identity) == 0;
}

char *
luma_account_dup_label (LumaAccount *self)
{
  g_autoptr(GUri) uri = NULL;
  const char *host = NULL;

  g_return_val_if_fail (LUMA_IS_ACCOUNT (self), NULL);

  uri = g_uri_parse (self->server, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    host = g_uri_get_host (uri);
  if (host == NULL)
    host = self->server;

  if (self->kind == LUMA_ACCOUNT_KIND_SUPERADMIN)
    /* Translators: a superadmin account: "USER (Superadmin) on HOST" */
    return g_strdup_printf (_("%s (Superadmin) on %s"), self->identity, host);

  /* Translators: a tenant account: "TENANT on HOST" */
  return g_strdup_printf (_("%s on %s"), self->identity, host);
}

static const char *
kind_to_string (LumaAccountKind kind)
{
  return kind == LUMA_ACCOUNT_KIND_SUPERADMIN ? "superadmin" : "tenant";
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
                             kind_to_string (account->kind),
                             account->server,
                             account->identity);
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
