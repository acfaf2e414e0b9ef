/* sandbox-server.h: the HTTP side of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sandbox-faults.h"
#include "sandbox-store.h"

G_BEGIN_DECLS

#define SANDBOX_BASE_PATH "/gateway/api/v1"

typedef struct _SandboxServer SandboxServer;

typedef struct
{
  GTlsCertificate *certificate;     /* nullable */
  GHashTable      *superadmins;     /* user -> password */
  gint64           token_lifetime;  /* seconds */
  guint            latency_ms;
  guint            slow_ms;
} SandboxServerOptions;

SandboxServer *sandbox_server_new     (SandboxStore                *store,
                                       SandboxFaults               *faults,
                                       const SandboxServerOptions  *options);
gboolean       sandbox_server_listen  (SandboxServer               *self,
                                       const char                  *address,
                                       guint                        port,
                                       char                       **base_url,
                                       GError                     **error);
void           sandbox_server_free    (SandboxServer               *self);

G_END_DECLS
