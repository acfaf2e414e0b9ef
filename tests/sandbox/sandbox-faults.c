/* sandbox-faults.c: fault injection of the sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sandbox-faults.h"
#include "sandbox-generate.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

typedef struct
{
  SandboxFaultKind kind;
  double           rate;
  gint64           count;   /* answers left to hit; -1 for no limit */
} Fault;

struct _SandboxFaults
{
  SandboxRng  rng;
  GArray     *list;
};

static const char * const kind_names[] = {
  "none", "500", "429", "reset", "truncate", "garbage", "slow",
};

SandboxFaults *
sandbox_faults_new (guint64 seed)
{
  SandboxFaults *faults = g_new0 (SandboxFaults, 1);

  sandbox_rng_init (&faults->rng, seed, 0xfa17);
  faults->list = g_array_new (FALSE, FALSE, sizeof (Fault));
  return faults;
}

void
sandbox_faults_free (SandboxFaults *faults)
{
  if (faults == NULL)
    return;
  g_array_unref (faults->list);
  g_free (faults);
}

SandboxFaultKind
sandbox_fault_kind_parse (const char *name)
{
  for (guint i = 1; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (kind_names[i], name) == 0)
      return i;
  return SANDBOX_FAULT_NONE;
}

const char *
sandbox_fault_kind_name (SandboxFaultKind kind)
{
  return kind_names[kind];
}

void
sandbox_faults_clear (SandboxFaults *faults)
{
  g_array_set_size (faults->list, 0);
}

void
sandbox_faults_add (SandboxFaults    *faults,
                    SandboxFaultKind  kind,
                    double            rate,
                    gint64            count)
{
  Fault fault = { kind, rate, count };

  g_array_append_val (faults->list, fault);
}

gboolean
sandbox_faults_add_spec (SandboxFaults  *faults,
                         const char     *spec,
                         GError        **error)
{
  const char *colon = strrchr (spec, ':');
  g_autofree char *kind_name = NULL;
  SandboxFaultKind kind;
  char *end = NULL;
  double rate;

  if (colon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--fault %s: expected KIND:RATE", spec);
      return FALSE;
    }
  kind_name = g_strndup (spec, colon - spec);
  kind = sandbox_fault_kind_parse (kind_name);
  errno = 0;
  rate = g_ascii_strtod (colon + 1, &end);
  if (kind == SANDBOX_FAULT_NONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--fault %s: unknown kind \"%s\" (500, 429, reset, truncate, garbage, slow)",
                   spec, kind_name);
      return FALSE;
    }
  if (errno != 0 || end == colon + 1 || *end != '\0' || !(rate >= 0.0 && rate <= 1.0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--fault %s: the rate must be a number from 0 to 1", spec);
      return FALSE;
    }
  sandbox_faults_add (faults, kind, rate, -1);
  return TRUE;
}

/* One draw per configured fault per answer, so a run is repeatable. */
SandboxFaultKind
sandbox_faults_pick (SandboxFaults *faults)
{
  SandboxFaultKind hit = SANDBOX_FAULT_NONE;

  for (guint i = 0; i < faults->list->len; i++)
    {
      Fault *fault = &g_array_index (faults->list, Fault, i);
      double draw = sandbox_rng_double (&faults->rng);

      if (hit != SANDBOX_FAULT_NONE || !(draw < fault->rate))
        continue;
      hit = fault->kind;
      if (fault->count > 0 && --fault->count == 0)
        {
          g_array_remove_index (faults->list, i);
          i--;
        }
    }
  return hit;
}

void
sandbox_faults_append_json (SandboxFaults *faults,
                            GString       *out)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < faults->list->len; i++)
    {
      Fault *fault = &g_array_index (faults->list, Fault, i);
      char rate[G_ASCII_DTOSTR_BUF_SIZE];

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "{\"kind\":\"%s\",\"rate\":%s", kind_names[fault->kind],
                              g_ascii_formatd (rate, sizeof rate, "%.6g", fault->rate));
      if (fault->count >= 0)
        g_string_append_printf (out, ",\"count\":%" G_GINT64_FORMAT, fault->count);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}
