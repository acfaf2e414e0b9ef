/* luma-email.c: validation of the Technical Email and Billing Email lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "luma-email.h"

/* Bounds of @address without surrounding ASCII white space (what the server
 * trims). */
static void
trim_bounds (const char  *address,
             const char **start_out,
             gsize       *len_out)
{
  const char *start = address;
  const char *end;

  while (*start != '\0' && g_ascii_isspace (*start))
    start++;
  end = start + strlen (start);
  while (end > start && g_ascii_isspace (end[-1]))
    end--;

  *start_out = start;
  *len_out = end - start;
}

static gboolean
local_part_has_invalid_char (const char *local,
                             gsize       len)
{
  const char *p = local;
  const char *end = local + len;

  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c < 0x80)
        {
          if (c <= 0x20 || c == 0x7f)
            return TRUE;
          p++;
        }
      else
        {
          gunichar uc = g_utf8_get_char (p);

          /* No-break and other Unicode spaces, C1 controls, line separators. */
          if (g_unichar_isspace (uc) || g_unichar_iscntrl (uc) ||
              g_unichar_type (uc) == G_UNICODE_SPACE_SEPARATOR ||
              g_unichar_type (uc) == G_UNICODE_LINE_SEPARATOR ||
              g_unichar_type (uc) == G_UNICODE_PARAGRAPH_SEPARATOR)
            return TRUE;
          p = g_utf8_next_char (p);
        }
    }

  return FALSE;
}

static LumaEmailProblem
validate_domain (const char *domain,
                 gsize       len)
{
  gsize i;
  gsize label_start = 0;
  guint n_labels = 0;

  if (len == 0)
    return LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY;

  for (i = 0; i < len; i++)
    {
      char c = domain[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '.')
        return LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR;
    }

  for (i = 0; i <= len; i++)
    {
      if (i == len || domain[i] == '.')
        {
          gsize label_len = i - label_start;

          if (label_len == 0)
            return LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL;
          if (domain[label_start] == '-' || domain[i - 1] == '-')
            return LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN;
          n_labels++;
          label_start = i + 1;
        }
    }

  if (n_labels < 2)
    return LUMA_EMAIL_PROBLEM_DOMAIN_ONE_LABEL;

  return LUMA_EMAIL_PROBLEM_NONE;
}

static LumaEmailProblem
validate_trimmed (const char *start,
                  gsize       len)
{
  const char *at;
  gsize local_len;

  if (len == 0)
    return LUMA_EMAIL_PROBLEM_EMPTY;
  if (!g_utf8_validate (start, len, NULL))
    return LUMA_EMAIL_PROBLEM_INVALID_UTF8;
  if (len < LUMA_EMAIL_MIN_LENGTH)
    return LUMA_EMAIL_PROBLEM_TOO_SHORT;
  if (len > LUMA_EMAIL_MAX_LENGTH)
    return LUMA_EMAIL_PROBLEM_TOO_LONG;

  at = memchr (start, '@', len);
  if (at == NULL)
    return LUMA_EMAIL_PROBLEM_NO_AT;
  if (memchr (at + 1, '@', len - (at + 1 - start)) != NULL)
    return LUMA_EMAIL_PROBLEM_SEVERAL_AT;

  local_len = at - start;
  if (local_len == 0)
    return LUMA_EMAIL_PROBLEM_LOCAL_EMPTY;
  if (local_len > LUMA_EMAIL_LOCAL_MAX_LENGTH)
    return LUMA_EMAIL_PROBLEM_LOCAL_TOO_LONG;
  if (local_part_has_invalid_char (start, local_len))
    return LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR;

  return validate_domain (at + 1, len - local_len - 1);
}

LumaEmailProblem
luma_email_validate (const char *address)
{
  const char *start;
  gsize len;

  if (address == NULL)
    return LUMA_EMAIL_PROBLEM_EMPTY;

  trim_bounds (address, &start, &len);
  return validate_trimmed (start, len);
}

gboolean
luma_email_is_valid (const char *address)
{
  return luma_email_validate (address) == LUMA_EMAIL_PROBLEM_NONE;
}

char *
luma_email_normalize (const char *address)
{
  const char *start;
  gsize len;

  if (address == NULL)
    return g_strdup ("");

  trim_bounds (address, &start, &len);
  return g_strndup (start, len);
}

gboolean
luma_email_equal (const char *a,
                  const char *b)
{
  const char *a_start, *b_start;
  gsize a_len, b_len;

  trim_bounds (a != NULL ? a : "", &a_start, &a_len);
  trim_bounds (b != NULL ? b : "", &b_start, &b_len);

  return a_len == b_len && g_ascii_strncasecmp (a_start, b_start, a_len) == 0;
}

const char *
luma_email_problem_get_message (LumaEmailProblem problem)
{
  switch (problem)
    {
    case LUMA_EMAIL_PROBLEM_NONE:
      return NULL;
    case LUMA_EMAIL_PROBLEM_EMPTY:
      return _("Enter an email address");
    case LUMA_EMAIL_PROBLEM_INVALID_UTF8:
      return _("The address contains characters that cannot be read");
    case LUMA_EMAIL_PROBLEM_TOO_SHORT:
      return _("An email address has at least 3 characters");
    case LUMA_EMAIL_PROBLEM_TOO_LONG:
      return _("An email address can have at most 254 characters");
    case LUMA_EMAIL_PROBLEM_NO_AT:
      return _("An email address needs an “@”, as in name@example.com");
    case LUMA_EMAIL_PROBLEM_SEVERAL_AT:
      return _("An email address has only one “@”");
    case LUMA_EMAIL_PROBLEM_LOCAL_EMPTY:
      return _("Add the name before the “@”");
    case LUMA_EMAIL_PROBLEM_LOCAL_TOO_LONG:
      return _("The part before the “@” can have at most 64 characters");
    case LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR:
      return _("The part before the “@” cannot contain spaces or control characters");
    case LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY:
      return _("Add the domain after the “@”, as in name@example.com");
    case LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL:
      return _("The domain cannot start or end with a dot or have two dots in a row");
    case LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR:
      return _("The domain can only contain letters a–z, digits, hyphens and dots");
    case LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN:
      return _("A part of the domain cannot start or end with a hyphen");
    case LUMA_EMAIL_PROBLEM_DOMAIN_ONE_LABEL:
      return _("The domain needs at least one dot, as in example.com");
    case LUMA_EMAIL_PROBLEM_DUPLICATE:
      return _("This address is already in the list");
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
luma_email_problem_get_code (LumaEmailProblem problem)
{
  switch (problem)
    {
    case LUMA_EMAIL_PROBLEM_NONE:
      return NULL;
    case LUMA_EMAIL_PROBLEM_DUPLICATE:
      return "DUPLICATE_EMAIL";
    default:
      return "INVALID_EMAIL";
    }
}

const char *
luma_email_list_problem_get_message (LumaEmailListProblem problem)
{
  switch (problem)
    {
    case LUMA_EMAIL_LIST_PROBLEM_NONE:
      return NULL;
    case LUMA_EMAIL_LIST_PROBLEM_EMPTY:
      return _("Add at least one email address");
    case LUMA_EMAIL_LIST_PROBLEM_TOO_MANY:
      return _("A list can hold at most 20 addresses");
    default:
      g_return_val_if_reached (NULL);
    }
}

LumaEmailListResult *
luma_email_validate_list (const char * const *addresses,
                          gssize              n_addresses)
{
  LumaEmailListResult *result = g_new0 (LumaEmailListResult, 1);
  g_autoptr(GHashTable) seen = NULL;
  guint i;

  if (n_addresses < 0)
    n_addresses = addresses != NULL ? g_strv_length ((char **) addresses) : 0;

  result->n_rows = n_addresses;
  result->rows = g_new0 (LumaEmailProblem, MAX (n_addresses, 1));
  result->first = g_new0 (guint, MAX (n_addresses, 1));

  if (n_addresses == 0)
    result->problem = LUMA_EMAIL_LIST_PROBLEM_EMPTY;
  else if (n_addresses > LUMA_EMAIL_LIST_MAX)
    result->problem = LUMA_EMAIL_LIST_PROBLEM_TOO_MANY;

  /* Valid addresses are ASCII-only after the @ and may hold UTF-8 before it;
   * folding ASCII case only matches the server's comparison. */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (i = 0; i < result->n_rows; i++)
    {
      LumaEmailProblem problem = luma_email_validate (addresses[i]);

      result->first[i] = i;

      if (problem == LUMA_EMAIL_PROBLEM_NONE)
        {
          g_autofree char *trimmed = luma_email_normalize (addresses[i]);
          char *key = g_ascii_strdown (trimmed, -1);
          gpointer earlier;

          if (g_hash_table_lookup_extended (seen, key, NULL, &earlier))
            {
              problem = LUMA_EMAIL_PROBLEM_DUPLICATE;
              result->first[i] = GPOINTER_TO_UINT (earlier);
              g_free (key);
            }
          else
            {
              g_hash_table_insert (seen, key, GUINT_TO_POINTER (i));
            }
        }

      result->rows[i] = problem;
      if (problem != LUMA_EMAIL_PROBLEM_NONE)
        result->n_bad_rows++;
    }

  return result;
}

gboolean
luma_email_list_result_is_ok (const LumaEmailListResult *result)
{
  g_return_val_if_fail (result != NULL, FALSE);

  return result->problem == LUMA_EMAIL_LIST_PROBLEM_NONE && result->n_bad_rows == 0;
}

void
luma_email_list_result_free (LumaEmailListResult *result)
{
  if (result == NULL)
    return;

  g_free (result->rows);
  g_free (result->first);
  g_free (result);
}
