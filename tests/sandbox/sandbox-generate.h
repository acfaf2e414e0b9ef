/* sandbox-generate.h: deterministic records and transcripts of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SANDBOX_LICENSE_SESSION,
  SANDBOX_LICENSE_USER,
} SandboxLicense;

#define SANDBOX_N_CHANNELS 6
#define SANDBOX_N_ROLES    5

extern const char * const sandbox_license_names[2];
extern const char * const sandbox_initiated_names[2];
extern const char * const sandbox_channel_names[SANDBOX_N_CHANNELS];
extern const char * const sandbox_role_names[SANDBOX_N_ROLES];
extern const char * const sandbox_status_names[2];
extern const char * const sandbox_kind_names[4];

enum { SANDBOX_STATUS_ACTIVE, SANDBOX_STATUS_INACTIVE };
enum { SANDBOX_KIND_PURCHASE, SANDBOX_KIND_REFILL, SANDBOX_KIND_REMOVAL, SANDBOX_KIND_AUTO_REFILL };

/* One record of the consumption history; which members matter depends on
 * the license type. Strings are borrowed. */
typedef struct
{
  const char *rid;
  gint64      time;          /* startedOn or createdOn */
  int         initiated;
  const char *user_name;
  const char *email;
  const char *first_name;
  const char *last_name;
  int         role;
  const char *agent_name;    /* nullable */
  int         channel;
  int         status;
  gint64      conversations;
} SandboxRecord;

/* Buffers a generated record points into. */
typedef struct
{
  char     rid[32];
  GString *user_name;
  GString *email;
} SandboxScratch;

typedef struct
{
  guint64 state;
} SandboxRng;

void     sandbox_rng_init          (SandboxRng *rng,
                                    guint64     a,
                                    guint64     b);
guint64  sandbox_rng_next          (SandboxRng *rng);
double   sandbox_rng_double        (SandboxRng *rng);
guint64  sandbox_hash_string       (const char *text);

int      sandbox_enum_lookup       (const char * const *names,
                                    guint               n_names,
                                    const char         *value);

void     sandbox_scratch_init      (SandboxScratch *scratch);
void     sandbox_scratch_clear     (SandboxScratch *scratch);

void     sandbox_generate_record   (guint64          seed,
                                    const char      *domain,
                                    SandboxLicense   license,
                                    gint64           number,
                                    gint64           time,
                                    SandboxScratch  *scratch,
                                    SandboxRecord   *record);

/* One of the tenants of --generate-tenants: a mix of license types,
 * contract terms of 6, 12 or 24 months started up to a term ago, totals of
 * 10 to about 1,200 licenses and consumption from none to past the total,
 * weighted so that every status of the tenants board is common. */
typedef struct
{
  char            external_id[16];
  GString        *name;
  SandboxLicense  license;
  gint64          licenses;
  gint64          records;       /* history records to seed */
  gint64          start;
  gint64          end;
} SandboxGeneratedTenant;

void     sandbox_generate_tenant   (guint64                 seed,
                                    gint64                  number,   /* 1-based */
                                    gint64                  count,    /* how many are generated */
                                    gint64                  now,
                                    SandboxGeneratedTenant *tenant);

/* The start of @record's last conversation, as the transcripts of
 * sandbox_generate_conversations() date it; FALSE when it has none. */
gboolean sandbox_last_conversation_on   (guint64              seed,
                                         SandboxLicense       license,
                                         const SandboxRecord *record,
                                         gint64               session_minutes,
                                         gint64              *out);
void     sandbox_generate_conversations (GString             *out,
                                         guint64              seed,
                                         SandboxLicense       license,
                                         const SandboxRecord *record,
                                         gint64               session_minutes);

G_END_DECLS
