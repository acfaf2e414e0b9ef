/* sandbox-faults.h: fault injection of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SANDBOX_FAULT_NONE,
  SANDBOX_FAULT_500,
  SANDBOX_FAULT_429,
  SANDBOX_FAULT_RESET,
  SANDBOX_FAULT_TRUNCATE,
  SANDBOX_FAULT_GARBAGE,
  SANDBOX_FAULT_SLOW,
} SandboxFaultKind;

typedef struct _SandboxFaults SandboxFaults;

SandboxFaults    *sandbox_faults_new        (guint64        seed);
void              sandbox_faults_free       (SandboxFaults *faults);
SandboxFaultKind  sandbox_fault_kind_parse  (const char    *name);
const char       *sandbox_fault_kind_name   (SandboxFaultKind kind);
void              sandbox_faults_clear      (SandboxFaults *faults);
void              sandbox_faults_add        (SandboxFaults *faults,
                                             SandboxFaultKind kind,
                                             double         rate,
                                             gint64         count);
gboolean          sandbox_faults_add_spec   (SandboxFaults *faults,
                                             const char    *spec,
                                             GError       **error);
SandboxFaultKind  sandbox_faults_pick       (SandboxFaults *faults);
void              sandbox_faults_append_json (SandboxFaults *faults,
                                              GString       *out);

G_END_DECLS
