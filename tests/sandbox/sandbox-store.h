/* sandbox-store.h: the SQLite state of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sandbox-generate.h"

G_BEGIN_DECLS

typedef struct _SandboxStore SandboxStore;

/* A tenant as it is kept in memory; every change is written through to
 * the database with sandbox_store_save_tenant(). */
typedef struct
{
  gint64          id;
  char           *external_id;
  char           *name;
  SandboxLicense  license;
  gint64          start;
  gint64          end;
  gint64          session_minutes;
  gint64          total;
  gint64          consumed;
  gint64          version;
  GStrv           technical;
  GStrv           billing;
  char           *api_key;
  gboolean        key_active;
  gboolean        key_permission;
  guint64         seed;
  gint64          last_seq;
  gint64          next_number;
  gint64          next_purchase;
  gint64          last_time;
  gint64          feed_id;
  char           *domain;
  /* The latest REFILL or REMOVAL (0 change: none), kept in memory from the
   * purchases so that a list of 10,000 tenants reads no table. */
  gint64          last_refill_at;
  gint64          last_refill_change;
  gint64          last_refill_number;
} SandboxTenant;

typedef struct
{
  char           *external_id;
  char           *name;
  char           *api_key;
  SandboxLicense  license;
  gint64          licenses;
  gint64          seed_count;
  guint64         seed_value;
  gint64          start;
  gint64          end;
  gint64          session_minutes;
  gboolean        generated;     /* by --generate-tenants */
} SandboxTenantSpec;

void            sandbox_tenant_spec_free     (SandboxTenantSpec *spec);

SandboxStore   *sandbox_store_open           (const char    *path,
                                              gboolean       temporary,
                                              GError       **error);
void            sandbox_store_free           (SandboxStore  *store);

gboolean        sandbox_store_add_tenants    (SandboxStore  *store,
                                              GPtrArray     *specs,
                                              GError       **error);
SandboxTenant  *sandbox_store_lookup         (SandboxStore  *store,
                                              const char    *external_id);
SandboxTenant  *sandbox_store_lookup_key     (SandboxStore  *store,
                                              const char    *api_key);
GPtrArray      *sandbox_store_list_tenants   (SandboxStore  *store);
gboolean        sandbox_store_save_tenant    (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              GError       **error);

gboolean        sandbox_store_begin          (SandboxStore  *store,
                                              GError       **error);
gboolean        sandbox_store_commit         (SandboxStore  *store,
                                              GError       **error);
void            sandbox_store_rollback       (SandboxStore  *store);

gboolean        sandbox_store_recompute_consumed (SandboxStore  *store,
                                                  SandboxTenant *tenant,
                                                  GError       **error);
gboolean        sandbox_store_record_exists  (SandboxStore        *store,
                                              SandboxTenant       *tenant,
                                              const char          *rid,
                                              gboolean            *exists,
                                              GError             **error);
gboolean        sandbox_store_insert_record  (SandboxStore        *store,
                                              SandboxTenant       *tenant,
                                              const SandboxRecord *record,
                                              GError             **error);
gboolean        sandbox_store_append_generated (SandboxStore  *store,
                                                SandboxTenant *tenant,
                                                gint64         count,
                                                GError       **error);
char           *sandbox_store_next_rid       (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              GError       **error);
gboolean        sandbox_store_touch          (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              gint64         count,
                                              gint64        *touched,
                                              GError       **error);
gboolean        sandbox_store_page           (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              gint64         after_seq,
                                              gint64         limit,
                                              GString       *items,
                                              gint64        *last_seq,
                                              gboolean      *has_more,
                                              gint64        *remaining,
                                              GError       **error);
gboolean        sandbox_store_conversations  (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              const char    *rid,
                                              GString       *out,
                                              gboolean      *found,
                                              GError       **error);
gboolean        sandbox_store_purchases      (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              GString       *out,
                                              GError       **error);
gboolean        sandbox_store_add_purchase   (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              gint64         performed,
                                              int            kind,
                                              gint64         change,
                                              const char    *performed_by,
                                              const char    *reason,
                                              const char    *reference,
                                              GString       *purchase_json,
                                              GError       **error);
gboolean        sandbox_store_stats          (SandboxStore  *store,
                                              SandboxTenant *tenant,
                                              gint64        *records,
                                              char         **checksum,
                                              GError       **error);
gboolean        sandbox_store_idempotency_get (SandboxStore  *store,
                                               const char    *key,
                                               gint64         not_before,
                                               char         **fingerprint,
                                               guint         *status,
                                               char         **body,
                                               GError       **error);
gboolean        sandbox_store_idempotency_put (SandboxStore  *store,
                                               const char    *key,
                                               const char    *fingerprint,
                                               gint64         created,
                                               guint          status,
                                               const char    *body,
                                               GError       **error);

/* @seed: the tenant's, which dates a user's last conversation */
void            sandbox_record_append_json   (GString             *out,
                                              SandboxLicense       license,
                                              guint64              seed,
                                              const SandboxRecord *record);

G_END_DECLS
