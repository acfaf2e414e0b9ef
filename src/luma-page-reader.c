/* luma-page-reader.c: the one-pass reader of consumption pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "luma-json-decode.h"
#include "luma-models-private.h"
#include "luma-page-reader.h"
#include "luma-page-reader-private.h"

/* The fast path for consumption pages.
 *
 * A sync of a million records spends most of its time building and walking
 * json-glib's tree. This single-pass reader decodes the envelope of a
 * consumption page straight into records. It accepts only what the strict
 * decoders of luma-json-decode.c accept, and gives up on anything else
 * (unknown members, odd escapes, any error); the caller then runs the strict
 * decoders, whose error names the path. So valid pages are fast and errors
 * stay exact. */

typedef struct
{
  const char *p;
  const char *end;
  GString    *scratch;  /* unescaped strings */
} Reader;

static inline void
skip_ws (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static inline gboolean
expect (Reader *r,
        char    c)
{
  skip_ws (r);
  if (r->p < r->end && *r->p == c)
    {
      r->p++;
      return TRUE;
    }
  return FALSE;
}

static inline gboolean
hex4 (const char *p,
      guint      *out)
{
  guint v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return FALSE;
      v = v * 16 + (guint) d;
    }
  *out = v;
  return TRUE;
}

/* Reads a string; *out points either into the buffer or into r->scratch
 * (valid until the next string). Rejects control characters, invalid
 * UTF-8, lone surrogates and \u0000, which json-glib would cut short. */
static gboolean
read_string (Reader      *r,
             const char **out,
             size_t      *len_out)
{
  const char *start;
  const char *q;

  skip_ws (r);
  if (r->p >= r->end || *r->p != '"')
    return FALSE;
  start = ++r->p;
  q = start;
  while (q < r->end && *q != '"' && *q != '\\' && (guchar) *q >= 0x20)
    q++;
  if (q >= r->end || (guchar) *q < 0x20)
    return FALSE;
  if (*q == '"')
    {
      if (!g_utf8_validate (start, q - start, NULL))
        return FALSE;
      *out = start;
      *len_out = (size_t) (q - start);
      r->p = q + 1;
      return TRUE;
    }

  /* with escapes */
  g_string_truncate (r->scratch, 0);
  g_string_append_len (r->scratch, start, q - start);
  while (q < r->end && *q != '"')
    {
      if ((guchar) *q < 0x20)
        return FALSE;
      if (*q != '\\')
        {
          g_string_append_c (r->scratch, *q++);
          continue;
        }
      if (q + 1 >= r->end)
        return FALSE;
      switch (q[1])
        {
        case '"': g_string_append_c (r->scratch, '"'); q += 2; break;
        case '\\': g_string_append_c (r->scratch, '\\'); q += 2; break;
        case '/': g_string_append_c (r->scratch, '/'); q += 2; break;
        case 'b': g_string_append_c (r->scratch, '\b'); q += 2; break;
        case 'f': g_string_append_c (r->scratch, '\f'); q += 2; break;
        case 'n': g_string_append_c (r->scratch, '\n'); q += 2; break;
        case 'r': g_string_append_c (r->scratch, '\r'); q += 2; break;
        case 't': g_string_append_c (r->scratch, '\t'); q += 2; break;
        case 'u':
          {
            guint cp, low;

            if (r->end - q < 6 || !hex4 (q + 2, &cp))
              return FALSE;
            q += 6;
            if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
              return FALSE;
            if (cp >= 0xd800 && cp <= 0xdbff)
              {
                if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4 (q + 2, &low) ||
                    low < 0xdc00 || low > 0xdfff)
                  return FALSE;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                q += 6;
              }
            g_string_append_unichar (r->scratch, cp);
          }
          break;
        default:
          return FALSE;
        }
    }
  if (q >= r->end)
    return FALSE;
  if (!g_utf8_validate (r->scratch->str, r->scratch->len, NULL))
    return FALSE;
  *out = r->scratch->str;
  *len_out = r->scratch->len;
  r->p = q + 1;
  return TRUE;
}

static inline gboolean
read_int (Reader *r,
          gint64  min,
          gint64  max,
          gint64 *out)
{
  gboolean negative = FALSE;
  guint64 v = 0;
  const char *digits;

  skip_ws (r);
  if (r->p < r->end && *r->p == '-')
    {
      negative = TRUE;
      r->p++;
    }
  digits = r->p;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
    {
      v = v * 10 + (guint64) (*r->p - '0');
      r->p++;
      if (r->p - digits > 16)
        return FALSE;
    }
  if (r->p == digits || (r->p - digits > 1 && *digits == '0'))
    return FALSE;
  if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
    return FALSE;
  *out = negative ? -(gint64) v : (gint64) v;
  return *out >= min && *out <= max;
}

static inline gboolean
read_literal (Reader     *r,
              const char *word,
              size_t      len)
{
  skip_ws (r);
  if ((size_t) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

static inline gboolean
peek_null (Reader *r)
{
  skip_ws (r);
  return r->p < r->end && *r->p == 'n';
}

/* A member name, then the colon. */
static inline gboolean
read_key (Reader      *r,
          const char **key,
          size_t      *len)
{
  return read_string (r, key, len) && expect (r, ':');
}

#define KEY_IS(k, n, lit) ((n) == sizeof (lit) - 1 && memcmp ((k), (lit), sizeof (lit) - 1) == 0)

static gboolean
read_enum (Reader            *r,
           const char *const *names,
           guint              n_names,
           int               *out)
{
  const char *str;
  size_t len;

  if (!read_string (r, &str, &len))
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    if (strlen (names[i]) == len && memcmp (names[i], str, len) == 0)
      {
        *out = (int) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
read_time (Reader *r,
           gint64 *out)
{
  const char *str;
  size_t len;
  char buf[64];

  if (!read_string (r, &str, &len) || len >= sizeof buf)
    return FALSE;
  memcpy (buf, str, len);
  buf[len] = '\0';
  return luma_parse_iso8601 (buf, out);
}

static gboolean
read_text (Reader  *r,
           guint    min_chars,
           guint    max_chars,
           char   **out)
{
  const char *str;
  size_t len;

  if (*out != NULL || !read_string (r, &str, &len) ||
      memchr (str, '\0', len) != NULL || !_luma_length_ok (str, len, min_chars, max_chars))
    return FALSE;
  *out = g_strndup (str, len);
  return TRUE;
}

static inline gboolean
identifier_ok (const char *str,
               size_t      len,
               gboolean    allow_colon)
{
  if (len < 1 || len > 64)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    {
      char c = str[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-' && !(allow_colon && c == ':'))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_identifier (Reader  *r,
                 char   **out)
{
  const char *str;
  size_t len;

  if (*out != NULL || !read_string (r, &str, &len) || !identifier_ok (str, len, TRUE))
    return FALSE;
  *out = g_strndup (str, len);
  return TRUE;
}

enum
{
  F_ID = 1 << 0, F_TIME = 1 << 1, F_INITIATED = 1 << 2, F_NAME = 1 << 3, F_EMAIL = 1 << 4,
  F_ROLE = 1 << 5, F_AGENT = 1 << 6, F_CHANNEL = 1 << 7, F_CONVERSATIONS = 1 << 8,
  F_FIRST = 1 << 9, F_LAST = 1 << 10, F_STATUS = 1 << 11, F_LAST_CONVERSATION = 1 << 12,
};

#define SEEN(flag) G_STMT_START { if (seen & (flag)) goto fail; seen |= (flag); } G_STMT_END

static LumaSessionRecord *
fast_session_record (Reader *r)
{
  g_autoptr(LumaSessionRecord) rec = g_new0 (LumaSessionRecord, 1);
  guint seen = 0;
  int v;

  if (!expect (r, '{'))
    return NULL;
  if (expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "sessionId"))
        { SEEN (F_ID); if (!read_identifier (r, &rec->session_id)) goto fail; }
      else if (KEY_IS (key, n, "startedOn"))
        { SEEN (F_TIME); if (!read_time (r, &rec->started_on)) goto fail; }
      else if (KEY_IS (key, n, "initiatedBy"))
        { SEEN (F_INITIATED); if (!read_enum (r, _luma_initiated_by_names, G_N_ELEMENTS (_luma_initiated_by_names), &v)) goto fail; rec->initiated_by = v; }
      else if (KEY_IS (key, n, "userName"))
        { SEEN (F_NAME); if (!read_text (r, 1, 256, &rec->user_name)) goto fail; }
      else if (KEY_IS (key, n, "email"))
        { SEEN (F_EMAIL); if (!read_text (r, 0, 254, &rec->email)) goto fail; }
      else if (KEY_IS (key, n, "role"))
        { SEEN (F_ROLE); if (!read_enum (r, _luma_role_names, G_N_ELEMENTS (_luma_role_names), &v)) goto fail; rec->role = v; }
      else if (KEY_IS (key, n, "agentName"))
        {
          SEEN (F_AGENT);
          if (peek_null (r))
            {
              if (!read_literal (r, "null", 4))
                goto fail;
            }
          else if (!read_text (r, 1, 256, &rec->agent_name))
            goto fail;
        }
      else if (KEY_IS (key, n, "channel"))
        { SEEN (F_CHANNEL); if (!read_enum (r, _luma_channel_names, G_N_ELEMENTS (_luma_channel_names), &v)) goto fail; rec->channel = v; }
      else if (KEY_IS (key, n, "conversations"))
        { SEEN (F_CONVERSATIONS); if (!read_int (r, 0, LUMA_MAX_COUNT, &rec->conversations)) goto fail; }
      else
        goto fail;
    }
  while (expect (r, ','));
  if (!expect (r, '}') ||
      seen != (F_ID | F_TIME | F_INITIATED | F_NAME | F_EMAIL | F_ROLE | F_AGENT | F_CHANNEL | F_CONVERSATIONS))
    goto fail;
  return g_steal_pointer (&rec);

fail:
  return NULL;
}

static LumaUserRecord *
fast_user_record (Reader *r)
{
  g_autoptr(LumaUserRecord) rec = g_new0 (LumaUserRecord, 1);
  gboolean no_last_conversation = FALSE;
  guint seen = 0;
  int v;

  if (!expect (r, '{'))
    return NULL;
  if (expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "userId"))
        { SEEN (F_ID); if (!read_identifier (r, &rec->user_id)) goto fail; }
      else if (KEY_IS (key, n, "userName"))
        { SEEN (F_NAME); if (!read_text (r, 1, 256, &rec->user_name)) goto fail; }
      else if (KEY_IS (key, n, "email"))
        { SEEN (F_EMAIL); if (!read_text (r, 0, 254, &rec->email)) goto fail; }
      else if (KEY_IS (key, n, "firstName"))
        { SEEN (F_FIRST); if (!read_text (r, 0, 256, &rec->first_name)) goto fail; }
      else if (KEY_IS (key, n, "lastName"))
        { SEEN (F_LAST); if (!read_text (r, 0, 256, &rec->last_name)) goto fail; }
      else if (KEY_IS (key, n, "role"))
        { SEEN (F_ROLE); if (!read_enum (r, _luma_role_names, G_N_ELEMENTS (_luma_role_names), &v)) goto fail; rec->role = v; }
      else if (KEY_IS (key, n, "status"))
        { SEEN (F_STATUS); if (!read_enum (r, _luma_user_status_names, G_N_ELEMENTS (_luma_user_status_names), &v)) goto fail; rec->status = v; }
      else if (KEY_IS (key, n, "createdOn"))
        { SEEN (F_TIME); if (!read_time (r, &rec->created_on)) goto fail; }
      else if (KEY_IS (key, n, "conversations"))
        { SEEN (F_CONVERSATIONS); if (!read_int (r, 0, LUMA_MAX_COUNT, &rec->conversations)) goto fail; }
      else if (KEY_IS (key, n, "lastConversationOn"))
        {
          SEEN (F_LAST_CONVERSATION);
          rec->last_conversation_known = TRUE;
          if (peek_null (r))
            {
              if (!read_literal (r, "null", 4))
                goto fail;
              no_last_conversation = TRUE;
            }
          else if (!read_time (r, &rec->last_conversation_on))
            goto fail;
        }
      else
        goto fail;
    }
  while (expect (r, ','));
  /* lastConversationOn is optional (older servers); when given it must
   * agree with the count, which the strict decoder then names. */
  if (!expect (r, '}') ||
      (seen & ~F_LAST_CONVERSATION) != (F_ID | F_NAME | F_EMAIL | F_FIRST | F_LAST | F_ROLE | F_STATUS |
                                        F_TIME | F_CONVERSATIONS) ||
      ((seen & F_LAST_CONVERSATION) && no_last_conversation != (rec->conversations == 0)))
    goto fail;
  return g_steal_pointer (&rec);

fail:
  return NULL;
}

enum
{
  P_LICENSE = 1 << 0, P_ITEMS = 1 << 1, P_CURSOR = 1 << 2, P_HAS_MORE = 1 << 3, P_REMAINING = 1 << 4,
  E_STATUS = 1 << 0, E_CODE = 1 << 1, E_LINE = 1 << 2, E_ERRORS = 1 << 3, E_RESULT = 1 << 4,
};

static LumaConsumptionPage *
fast_page (Reader *r)
{
  g_autoptr(LumaConsumptionPage) page = g_new0 (LumaConsumptionPage, 1);
  guint seen = 0, first;
  int v;

  if (!expect (r, '{') || expect (r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (r, &key, &n))
        goto fail;
      if (KEY_IS (key, n, "licenseType"))
        {
          SEEN (P_LICENSE);
          if (!read_enum (r, _luma_license_type_names, G_N_ELEMENTS (_luma_license_type_names), &v))
            goto fail;
          page->license_type = v;
        }
      else if (KEY_IS (key, n, "items"))
        {
          /* The item shape depends on licenseType, which must come first. */
          SEEN (P_ITEMS);
          if (!(seen & P_LICENSE) || !expect (r, '['))
            goto fail;
          page->items = g_ptr_array_new_full (1000, page->license_type == LUMA_LICENSE_TYPE_SESSION
                                                    ? (GDestroyNotify) luma_session_record_free
                                                    : (GDestroyNotify) luma_user_record_free);
          if (!expect (r, ']'))
            {
              do
                {
                  gpointer item = page->license_type == LUMA_LICENSE_TYPE_SESSION
                                  ? (gpointer) fast_session_record (r)
                                  : (gpointer) fast_user_record (r);
                  if (item == NULL)
                    goto fail;
                  g_ptr_array_add (page->items, item);
                }
              while (expect (r, ','));
              if (!expect (r, ']'))
                goto fail;
            }
        }
      else if (KEY_IS (key, n, "nextCursor"))
        { SEEN (P_CURSOR); if (!read_text (r, 1, LUMA_MAX_CURSOR_LENGTH, &page->next_cursor)) goto fail; }
      else if (KEY_IS (key, n, "hasMore"))
        {
          SEEN (P_HAS_MORE);
          if (read_literal (r, "true", 4))
            page->has_more = TRUE;
          else if (read_literal (r, "false", 5))
            page->has_more = FALSE;
          else
            goto fail;
        }
      else if (KEY_IS (key, n, "remaining"))
        { SEEN (P_REMAINING); if (!read_int (r, 0, LUMA_MAX_COUNT, &page->remaining)) goto fail; }
      else
        goto fail;
    }
  while (expect (r, ','));
  if (!expect (r, '}') || seen != (P_LICENSE | P_ITEMS | P_CURSOR | P_HAS_MORE | P_REMAINING))
    goto fail;
  /* An empty page that says hasMore: the strict decoder names it. */
  if (page->items->len == 0 && page->has_more)
    goto fail;
  /* A record twice: the strict decoder names it. */
  if (_luma_consumption_page_find_duplicate (page, &first) >= 0)
    goto fail;
  return g_steal_pointer (&page);

fail:
  return NULL;
}

static LumaConsumptionPage *
fast_envelope_page (const char *data,
                    gsize       len,
                    guint       http_status)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  g_autoptr(LumaConsumptionPage) page = NULL;
  Reader r = { data, data + len, scratch };
  guint seen = 0;

  if (!expect (&r, '{') || expect (&r, '}'))
    return NULL;
  do
    {
      const char *key;
      size_t n;

      if (!read_key (&r, &key, &n))
        return NULL;
      if (KEY_IS (key, n, "status"))
        {
          const char *str;
          size_t len2;

          if ((seen & E_STATUS) || !read_string (&r, &str, &len2) || !KEY_IS (str, len2, "success"))
            return NULL;
          seen |= E_STATUS;
        }
      else if (KEY_IS (key, n, "statusCode"))
        {
          gint64 code;

          if ((seen & E_CODE) || !read_int (&r, 100, 599, &code) || code != http_status)
            return NULL;
          seen |= E_CODE;
        }
      else if (KEY_IS (key, n, "statusLine"))
        {
          const char *str;
          size_t len2;

          if ((seen & E_LINE) || !read_string (&r, &str, &len2))
            return NULL;
          seen |= E_LINE;
        }
      else if (KEY_IS (key, n, "errors"))
        {
          if ((seen & E_ERRORS) || !expect (&r, '[') || !expect (&r, ']'))
            return NULL;
          seen |= E_ERRORS;
        }
      else if (KEY_IS (key, n, "resultData"))
        {
          if ((seen & E_RESULT) || (page = fast_page (&r)) == NULL)
            return NULL;
          seen |= E_RESULT;
        }
      else
        return NULL;
    }
  while (expect (&r, ','));
  if (!expect (&r, '}') || seen != (E_STATUS | E_CODE | E_LINE | E_ERRORS | E_RESULT))
    return NULL;
  skip_ws (&r);
  if (r.p != r.end)
    return NULL;
  return g_steal_pointer (&page);
}

LumaConsumptionPage *
luma_consumption_page_read_fast (GBytes *body,
                                 guint   http_status)
{
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data == NULL || http_status < 200 || http_status >= 300)
    return NULL;
  return fast_envelope_page (data, len, http_status);
}

LumaConsumptionPage *
luma_consumption_page_from_bytes (GBytes  *body,
                                  guint    http_status,
                                  GError **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  LumaConsumptionPage *page = luma_consumption_page_read_fast (body, http_status);

  if (page != NULL)
    return page;

  /* Anything unusual: the strict decoders say exactly what is wrong. */
  node = luma_envelope_parse (body, http_status, &errors, error);
  if (node == NULL)
    return NULL;
  if (http_status < 200 || http_status >= 300)
    {
      g_set_error (error, LUMA_PROTOCOL_ERROR, LUMA_PROTOCOL_ERROR_INVALID_ENVELOPE,
                   "statusCode: %u is not a success", http_status);
      return NULL;
    }
  return luma_consumption_page_from_json (node, error);
}
