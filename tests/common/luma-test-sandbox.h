/* luma-test-sandbox.h: spawn the luma-sandbox server and talk HTTP to it from tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- The sandbox process ------------------------------------------------------------------ */

typedef struct _LumaTestSandbox LumaTestSandbox;

/* Spawns $LUMA_SANDBOX with the given arguments plus "--port 0" and reads the base URL from
 * the first line of its standard output. Fails the test with a clear message when the variable
 * is unset or the sandbox does not start within 60 s. The sandbox is killed if the test
 * process dies first, so a failed assertion never leaves a server behind. */
LumaTestSandbox *luma_test_sandbox_start        (const char         *first_arg,
                                                 ...) G_GNUC_NULL_TERMINATED;
LumaTestSandbox *luma_test_sandbox_startv       (const char * const *args);

/* "http://127.0.0.1:PORT/gateway/api/v1" */
const char      *luma_test_sandbox_get_url      (LumaTestSandbox    *self);
/* "http://127.0.0.1:PORT" */
const char      *luma_test_sandbox_get_root     (LumaTestSandbox    *self);
GPid             luma_test_sandbox_get_pid      (LumaTestSandbox    *self);

/* Calls a /sandbox control endpoint (path like "/sandbox/faults"); json_body may be NULL.
 * Returns the envelope's resultData (a new reference; a JSON null node when it is null).
 * When status_out is NULL any status other than 2xx fails the test; otherwise the status is
 * stored there and the caller checks it. A body that is not a JSON envelope always fails. */
JsonNode        *luma_test_sandbox_control      (LumaTestSandbox    *self,
                                                 const char         *method,
                                                 const char         *path,
                                                 const char         *json_body,
                                                 guint              *status_out);

/* POST /sandbox/tenants/{tenant}/records {"count": count}; fails the test unless all are added. */
void             luma_test_sandbox_add_records  (LumaTestSandbox    *self,
                                                 const char         *tenant,
                                                 guint               count);
/* POST /sandbox/tenants/{tenant}/records/touch {"count": count} */
void             luma_test_sandbox_touch_records (LumaTestSandbox   *self,
                                                  const char        *tenant,
                                                  guint              count);
/* PUT /sandbox/faults with faults_json as the body, e.g. "{\"faults\": []}" */
void             luma_test_sandbox_set_faults   (LumaTestSandbox    *self,
                                                 const char         *faults_json);
/* Holds the next API answer for the sandbox's --slow-ms (a slow fault of count 1), replacing
 * the faults set before. */
void             luma_test_sandbox_hold_next_answer (LumaTestSandbox *self);
/* Whether the faults set last were all used up (GET /sandbox/faults lists none): after
 * luma_test_sandbox_hold_next_answer(), an answer is being held. */
gboolean         luma_test_sandbox_faults_used_up   (LumaTestSandbox *self);
/* GET /sandbox/tenants/{tenant}/stats: returns the checksum, stores records and consumed. */
char            *luma_test_sandbox_get_checksum (LumaTestSandbox    *self,
                                                 const char         *tenant,
                                                 gint64             *records_out,
                                                 gint64             *consumed_out);

/* Sends SIGTERM, waits up to 60 s for the exit, asserts a clean exit with status 0, frees. */
void             luma_test_sandbox_stop         (LumaTestSandbox    *self);
/* The same with another signal (SIGINT must stop it cleanly too). */
void             luma_test_sandbox_stop_with_signal (LumaTestSandbox *self,
                                                     int              signum);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTestSandbox, luma_test_sandbox_stop)

/* ---- Plain HTTP requests ------------------------------------------------------------------ */

typedef struct {
  guint       status;    /* HTTP status, 0 when no status line arrived */
  char       *reason;    /* HTTP reason phrase, or NULL */
  GHashTable *headers;   /* lower-case name -> value (repeated headers joined by ", ") */
  GBytes     *body;      /* what arrived, possibly partial (compare with Content-Length:
                          * libsoup may not report an early close as an error); never NULL */
  JsonNode   *envelope;  /* the parsed body, NULL unless the body is a JSON object */
  GError     *error;     /* transport error (connection closed early, time-out), or NULL */
} LumaTestResponse;

/* One synchronous request with a 30 s time-out and no content decoding. json_body (may be
 * NULL) is sent as application/json. The variable arguments are header name, value pairs
 * ending with NULL. Never fails the test by itself: transport errors land in ->error. */
LumaTestResponse *luma_test_request             (const char         *method,
                                                 const char         *url,
                                                 const char         *json_body,
                                                 const char         *first_header_name,
                                                 ...) G_GNUC_NULL_TERMINATED;
/* The same with headers as a NULL-terminated name, value, ... array (may be NULL) and a
 * time-out in seconds (0 means the default of 30). */
LumaTestResponse *luma_test_requestv            (const char         *method,
                                                 const char         *url,
                                                 const char         *json_body,
                                                 const char * const *headers,
                                                 guint               timeout_seconds);
void              luma_test_response_free       (LumaTestResponse   *r);

/* Trust the certificates in this PEM file (and only them) for https requests from now on;
 * NULL goes back to the system's trust store. For a sandbox started with --tls-cert. */
void              luma_test_set_tls_anchors     (const char         *pem_file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LumaTestResponse, luma_test_response_free)

/* Lower-case name; NULL when absent. */
const char       *luma_test_response_get_header (LumaTestResponse   *r,
                                                 const char         *name);
/* The envelope's resultData when it is an object, else NULL (borrowed). */
JsonObject       *luma_test_response_get_result (LumaTestResponse   *r);
/* errors[index].code / .field, or NULL (borrowed). */
const char       *luma_test_response_get_error_code  (LumaTestResponse *r,
                                                      guint             index);
const char       *luma_test_response_get_error_field (LumaTestResponse *r,
                                                      guint             index);
guint             luma_test_response_get_n_errors    (LumaTestResponse *r);

/* Asserts a complete answer (no transport error, Content-Length bytes of body) with this HTTP
 * status whose body is a well-formed envelope (Content-Type application/json; status,
 * statusCode == HTTP status, statusLine == reason phrase, errors, resultData with the
 * documented types; 304: no body) and, when code is not NULL, whose first error has that code. */
#define luma_test_assert_response(r, status, code) \
  luma_test_check_response ((r), (status), (code), __FILE__, __LINE__, G_STRFUNC)
void              luma_test_check_response      (LumaTestResponse   *r,
                                                 guint               status,
                                                 const char         *code,
                                                 const char         *file,
                                                 int                 line,
                                                 const char         *func);

/* ---- The consumption feed ----------------------------------------------------------------- */

/* GET /subscription/consumption?limit=1000&cursor=@cursor ("" for the start) as the tenant
 * admin of @tenant; fails the test unless the answer is a 200 envelope. */
LumaTestResponse *luma_test_sandbox_get_feed_page   (LumaTestSandbox *self,
                                                     const char      *tenant,
                                                     const char      *api_key,
                                                     const char      *cursor);
/* The cursor at the end of @tenant's feed: a cache that stores it looks synced. Each request
 * waits up to 700 s: longer than the sandbox may hold an answer (--fault slow). */
char             *luma_test_sandbox_get_feed_end    (LumaTestSandbox *self,
                                                     const char      *tenant,
                                                     const char      *api_key);

/* The checksum of section 7 of docs/api.md computed from items in the shape of 2.3
 * (JsonObject *), of license type "SESSION" or "USER". Independent of the sandbox. */
char             *luma_test_checksum_items      (GPtrArray          *items,
                                                 const char         *license_type);

G_END_DECLS
