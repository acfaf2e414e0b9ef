/* fuzz-common.h: what every decoded resource must satisfy, for the fuzz targets
 *
 * A decoder that returns a value promises the contract of docs/api.md:
 * valid UTF-8 everywhere, identifiers of the documented alphabet, counts in
 * 0..2^53-1, known enumeration values, times that format and parse back to
 * the same second. A decoder that fails must say so in LUMA_PROTOCOL_ERROR
 * with a message that starts with the JSON path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>
#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "luma-models.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static inline void
fuzz_check_text (const char *s,
                 gboolean    nullable)
{
  if (s == NULL)
    {
      g_assert (nullable);
      return;
    }
  g_assert (g_utf8_validate (s, -1, NULL));
}

static inline void
fuzz_check_id (const char *s,
               gboolean    allow_colon)
{
  gsize len;

  g_assert (s != NULL);
  len = strlen (s);
  g_assert (len >= 1 && len <= 64);
  for (gsize i = 0; i < len; i++)
    g_assert (g_ascii_isalnum (s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-' ||
              (allow_colon && s[i] == ':'));
}

static inline void
fuzz_check_count (gint64 n)
{
  g_assert (n >= 0 && n <= LUMA_MAX_COUNT);
}

/* A decoded time is printable and reads back as itself. */
static inline void
fuzz_check_time (gint64 t)
{
  g_autofree char *s = luma_format_iso8601_utc (t);
  gint64 back = 0;

  g_assert (s != NULL);
  g_assert (luma_parse_iso8601 (s, &back));
  g_assert (back == t);
}

static inline void
fuzz_check_strv (GStrv v)
{
  g_assert (v != NULL);
  for (guint i = 0; v[i] != NULL; i++)
    fuzz_check_text (v[i], FALSE);
}

static inline void
fuzz_check_counts (gint64 total,
                   gint64 consumed,
                   gint64 available,
                   gint64 overage)
{
  fuzz_check_count (total);
  fuzz_check_count (consumed);
  fuzz_check_count (available);
  fuzz_check_count (overage);
  g_assert (available == MAX (0, total - consumed));
  g_assert (overage == MAX (0, consumed - total));
}

static inline void
fuzz_check_session (const LumaSessionRecord *r)
{
  fuzz_check_id (r->session_id, TRUE);
  fuzz_check_time (r->started_on);
  g_assert (r->initiated_by <= LUMA_INITIATED_BY_AGENT);
  fuzz_check_text (r->user_name, FALSE);
  g_assert (*r->user_name != '\0');
  fuzz_check_text (r->email, FALSE);
  g_assert (r->role < LUMA_N_ROLES);
  fuzz_check_text (r->agent_name, TRUE);
  g_assert (r->channel < LUMA_N_CHANNELS);
  fuzz_check_count (r->conversations);
}

static inline void
fuzz_check_user (const LumaUserRecord *r)
{
  fuzz_check_id (r->user_id, TRUE);
  fuzz_check_text (r->user_name, FALSE);
  fuzz_check_text (r->email, FALSE);
  fuzz_check_text (r->first_name, FALSE);
  fuzz_check_text (r->last_name, FALSE);
  g_assert (r->role < LUMA_N_ROLES);
  g_assert (r->status <= LUMA_USER_STATUS_INACTIVE);
  fuzz_check_time (r->created_on);
  fuzz_check_count (r->conversations);
}

static inline void
fuzz_check_page (const LumaConsumptionPage *p)
{
  g_assert (p->license_type <= LUMA_LICENSE_TYPE_USER);
  g_assert (p->items != NULL);
  for (guint i = 0; i < p->items->len; i++)
    {
      if (p->license_type == LUMA_LICENSE_TYPE_SESSION)
        fuzz_check_session (g_ptr_array_index (p->items, i));
      else
        fuzz_check_user (g_ptr_array_index (p->items, i));
    }
  fuzz_check_text (p->next_cursor, FALSE);
  g_assert (*p->next_cursor != '\0');
  g_assert (p->has_more == TRUE || p->has_more == FALSE);
  fuzz_check_count (p->remaining);
}

static inline void
fuzz_check_purchase (const LumaPurchase *p)
{
  fuzz_check_id (p->purchase_id, TRUE);
  fuzz_check_time (p->performed_on);
  g_assert (p->kind <= LUMA_PURCHASE_KIND_AUTO_REFILL);
  g_assert (p->change != 0);
  fuzz_check_count (p->total_after);
  fuzz_check_text (p->performed_by, FALSE);
  fuzz_check_text (p->reason, FALSE);
  fuzz_check_text (p->reference, TRUE);
}

static inline void
fuzz_check_message (const LumaMessage *m)
{
  g_assert (m->sender <= LUMA_SENDER_AGENT);
  fuzz_check_text (m->sender_name, FALSE);
  fuzz_check_time (m->sent_at);
  fuzz_check_text (m->text, FALSE);
}

static inline void
fuzz_check_conversation (const LumaConversation *c)
{
  fuzz_check_id (c->conversation_id, TRUE);
  g_assert (c->session_id == NULL || strlen (c->session_id) <= 64);
  if (c->session_id != NULL)
    fuzz_check_id (c->session_id, TRUE);
  if (c->user_id != NULL)
    fuzz_check_id (c->user_id, TRUE);
  g_assert (c->channel < LUMA_N_CHANNELS);
  fuzz_check_time (c->started_on);
  g_assert (c->messages != NULL);
  for (guint i = 0; i < c->messages->len; i++)
    fuzz_check_message (g_ptr_array_index (c->messages, i));
}

static inline void
fuzz_check_tenant (const LumaTenantSummary *t)
{
  fuzz_check_id (t->external_id, FALSE);
  fuzz_check_text (t->tenant_name, FALSE);
  g_assert (t->license_type <= LUMA_LICENSE_TYPE_USER);
  fuzz_check_time (t->start_date);
  fuzz_check_time (t->end_date);
  fuzz_check_counts (t->total_purchase, t->consumed, t->available, t->overage);
  g_assert (t->last_refill <= LUMA_LAST_REFILL_KNOWN);
  if (t->last_refill == LUMA_LAST_REFILL_KNOWN)
    {
      fuzz_check_time (t->last_refill_at);
      g_assert (t->last_refill_change != 0);
      g_assert (t->last_refill_change >= -LUMA_MAX_REFILL_CHANGE && t->last_refill_change <= LUMA_MAX_REFILL_CHANGE);
    }
}

static inline void
fuzz_check_subscription (const LumaSubscription *s)
{
  fuzz_check_id (s->external_id, FALSE);
  fuzz_check_text (s->tenant_name, FALSE);
  g_assert (s->license_type <= LUMA_LICENSE_TYPE_USER);
  fuzz_check_time (s->start_date);
  fuzz_check_time (s->end_date);
  g_assert (s->session_duration_minutes >= 1 && s->session_duration_minutes <= 1440);
  fuzz_check_counts (s->total_purchase, s->consumed, s->available, s->overage);
  fuzz_check_strv (s->technical_emails);
  fuzz_check_strv (s->billing_emails);
  fuzz_check_count (s->version);
}

/* A failed decode: the protocol domain and a message starting with the path. */
static inline void
fuzz_check_error (const GError *error,
                  const char   *path_prefix)
{
  g_assert (error != NULL);
  g_assert (error->domain == LUMA_PROTOCOL_ERROR);
  g_assert (error->message != NULL && *error->message != '\0');
  g_assert (g_utf8_validate (error->message, -1, NULL));
  if (path_prefix != NULL && !g_str_has_prefix (error->message, path_prefix))
    g_error ("error message does not start with the path \"%s\": %s", path_prefix, error->message);
}

/* Log output would only slow the fuzzer down; criticals still abort. */
static inline void
fuzz_quiet_logs (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      g_once_init_leave (&done, 1);
    }
}
