/* luma-email.h: validation of the Technical Email and Billing Email lists
 *
 * The rules are exactly those of docs/api.md §2.2, so that an address the
 * client accepts is one the server accepts too, and a row the client marks
 * is marked with the reason the server would give.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LUMA_EMAIL_MIN_LENGTH       3   /* bytes, after trimming */
#define LUMA_EMAIL_MAX_LENGTH       254 /* bytes, after trimming */
#define LUMA_EMAIL_LOCAL_MAX_LENGTH 64  /* bytes before the @ */
#define LUMA_EMAIL_LIST_MAX         20  /* addresses per list */

/**
 * LumaEmailProblem:
 *
 * Why one address (or one row of a list) is refused. Every value but
 * %LUMA_EMAIL_PROBLEM_NONE maps to the server code `INVALID_EMAIL`, except
 * %LUMA_EMAIL_PROBLEM_DUPLICATE which maps to `DUPLICATE_EMAIL`.
 */
typedef enum
{
  LUMA_EMAIL_PROBLEM_NONE,
  LUMA_EMAIL_PROBLEM_EMPTY,                 /* nothing but white space */
  LUMA_EMAIL_PROBLEM_INVALID_UTF8,
  LUMA_EMAIL_PROBLEM_TOO_SHORT,             /* < 3 bytes */
  LUMA_EMAIL_PROBLEM_TOO_LONG,              /* > 254 bytes */
  LUMA_EMAIL_PROBLEM_NO_AT,
  LUMA_EMAIL_PROBLEM_SEVERAL_AT,
  LUMA_EMAIL_PROBLEM_LOCAL_EMPTY,           /* nothing before the @ */
  LUMA_EMAIL_PROBLEM_LOCAL_TOO_LONG,        /* > 64 bytes before the @ */
  LUMA_EMAIL_PROBLEM_LOCAL_INVALID_CHAR,    /* a space or control character before the @ */
  LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY,          /* nothing after the @ */
  LUMA_EMAIL_PROBLEM_DOMAIN_EMPTY_LABEL,    /* leading, trailing or doubled dot */
  LUMA_EMAIL_PROBLEM_DOMAIN_INVALID_CHAR,   /* not [A-Za-z0-9-.] */
  LUMA_EMAIL_PROBLEM_DOMAIN_HYPHEN,         /* a label starts or ends with a hyphen */
  LUMA_EMAIL_PROBLEM_DOMAIN_ONE_LABEL,      /* no dot in the domain */
  LUMA_EMAIL_PROBLEM_DUPLICATE,             /* the same address earlier in the list */
} LumaEmailProblem;

/**
 * LumaEmailListProblem:
 *
 * What is wrong with a list as a whole (its rows may have problems too).
 */
typedef enum
{
  LUMA_EMAIL_LIST_PROBLEM_NONE,
  LUMA_EMAIL_LIST_PROBLEM_EMPTY,     /* no address: server code EMPTY_LIST */
  LUMA_EMAIL_LIST_PROBLEM_TOO_MANY,  /* more than LUMA_EMAIL_LIST_MAX */
} LumaEmailListProblem;

/* Checks one address. Surrounding white space is ignored, as the server
 * trims it too. @address may be NULL (treated as empty). */
LumaEmailProblem  luma_email_validate              (const char       *address);

gboolean          luma_email_is_valid              (const char       *address);

/* The address as it will be stored: a copy trimmed of surrounding white space. */
char             *luma_email_normalize             (const char       *address);

/* TRUE when both addresses are the same after trimming, ignoring ASCII case. */
gboolean          luma_email_equal                 (const char       *a,
                                                    const char       *b);

/* A translated sentence telling the user what to fix, for display next to
 * the row. NULL for LUMA_EMAIL_PROBLEM_NONE. */
const char       *luma_email_problem_get_message   (LumaEmailProblem  problem);

/* The server's error code for the problem ("INVALID_EMAIL" or
 * "DUPLICATE_EMAIL"), or NULL for LUMA_EMAIL_PROBLEM_NONE. */
const char       *luma_email_problem_get_code      (LumaEmailProblem  problem);

const char       *luma_email_list_problem_get_message (LumaEmailListProblem problem);

/**
 * LumaEmailListResult:
 * @problem: what is wrong with the list as a whole
 * @n_rows: the number of rows checked
 * @rows: (array length=n_rows): the problem of each row, in order
 * @first: (array length=n_rows): for a %LUMA_EMAIL_PROBLEM_DUPLICATE row,
 *   the index of the earlier row it repeats; otherwise the row's own index
 * @n_bad_rows: how many rows have a problem
 *
 * The result of luma_email_validate_list(). The list is acceptable when
 * luma_email_list_result_is_ok() says so.
 */
typedef struct
{
  LumaEmailListProblem  problem;
  guint                 n_rows;
  LumaEmailProblem     *rows;
  guint                *first;
  guint                 n_bad_rows;
} LumaEmailListResult;

/* Checks a list of 1 to LUMA_EMAIL_LIST_MAX addresses. @n_addresses -1 means
 * @addresses is NULL-terminated. Every row is checked on its own (an empty row
 * is LUMA_EMAIL_PROBLEM_EMPTY: callers drop rows they treat as placeholders
 * before calling); a valid row equal (luma_email_equal()) to an earlier row
 * is LUMA_EMAIL_PROBLEM_DUPLICATE, like the server's DUPLICATE_EMAIL on the
 * second occurrence. Never returns NULL. */
LumaEmailListResult *luma_email_validate_list      (const char * const *addresses,
                                                    gssize              n_addresses);
gboolean             luma_email_list_result_is_ok  (const LumaEmailListResult *result);
void                 luma_email_list_result_free   (LumaEmailListResult       *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaEmailListResult, luma_email_list_result_free)

G_END_DECLS
