/* luma-test-sandbox.c: spawn the luma-sandbox server and talk HTTP to it from tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "luma-test-sandbox.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <gio/gunixinputstream.h>
#include <libsoup/soup.h>

#define START_TIMEOUT_S   60
#define STOP_TIMEOUT_S    60
#define REQUEST_TIMEOUT_S 30
#define FEED_END_TIMEOUT_S 700
#define API_BASE_PATH     "/gateway/api/v1"

struct _LumaTestSandbox
{
  GSubprocess *process;
  GThread     *drain_thread;
  char        *url;
  char        *root;
  GPid         pid;
};

/* ---- Process ------------------------------------------------------------------------------ */

static void
child_setup (gpointer user_data)
{
  /* A failed assertion aborts the test without running cleanups: take the server down too. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Keeps the sandbox's standard output flowing (a full pipe would block it) and shows what it
 * says in the test log. */
static gpointer
drain_stdout_thread (gpointer data)
{
  GInputStream *stream = data;
  char buf[4096];
  gssize n;

  while ((n = g_input_stream_read (stream, buf, sizeof buf, NULL, NULL)) > 0)
    {
      if (fwrite (buf, 1, n, stderr) != (size_t) n)
        break;
      fflush (stderr);
    }
  g_object_unref (stream);
  return NULL;
}

/* Reads one line from fd, waiting at most until deadline (monotonic µs). */
static char *
read_first_line (int      fd,
                 gint64   deadline,
                 GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char c;
      ssize_t n;
      int r;

      if (left_ms <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "no base URL on standard output within %d s (got \"%s\")",
                       START_TIMEOUT_S, line->str);
          return NULL;
        }

      r = poll (&pfd, 1, (int) MIN (left_ms, 1000));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "poll: %s",
                       g_strerror (errno));
          return NULL;
        }
      if (r == 0)
        continue;

      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "read: %s",
                       g_strerror (errno));
          return NULL;
        }
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                       "standard output closed before the base URL (got \"%s\")", line->str);
          return NULL;
        }
      if (c == '\n')
        break;
      g_string_append_c (line, c);
    }

  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static char *
describe_args (const char * const *argv)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, quoted);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

LumaTestSandbox *
luma_test_sandbox_startv (const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *command = NULL;
  LumaTestSandbox *self;
  const char *program = g_getenv ("LUMA_SANDBOX");
  const char *identifier;
  GInputStream *out;

  if (program == NULL || *program == '\0')
    g_error ("LUMA_SANDBOX is not set: run this test through `meson test`, or set it to the "
             "path of the luma-sandbox program");

  g_ptr_array_add (argv, (gpointer) program);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, NULL);
  command = describe_args ((const char * const *) argv->pdata);
  g_test_message ("starting %s", command);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  self = g_new0 (LumaTestSandbox, 1);
  self->process = g_subprocess_launcher_spawnv (launcher,
                                                (const char * const *) argv->pdata,
                                                &error);
  if (self->process == NULL)
    g_error ("could not start the sandbox (%s): %s", command, error->message);

  identifier = g_subprocess_get_identifier (self->process);
  self->pid = identifier != NULL ? (GPid) atoi (identifier) : 0;

  out = g_subprocess_get_stdout_pipe (self->process);
  line = read_first_line (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out)),
                          g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC,
                          &error);
  if (line == NULL)
    {
      g_subprocess_force_exit (self->process);
      g_error ("the sandbox did not start (%s): %s", command, error->message);
    }

  if (!g_str_has_prefix (line, "http://") && !g_str_has_prefix (line, "https://"))
    g_error ("the first line of the sandbox's output is not a URL: \"%s\"", line);
  if (!g_str_has_suffix (line, API_BASE_PATH))
    g_error ("the sandbox's base URL \"%s\" does not end in %s", line, API_BASE_PATH);

  self->url = g_steal_pointer (&line);
  self->root = g_strndup (self->url, strlen (self->url) - strlen (API_BASE_PATH));
  self->drain_thread = g_thread_new ("sandbox-stdout", drain_stdout_thread, g_object_ref (out));

  g_test_message ("sandbox %d listening at %s", (int) self->pid, self->url);
  return self;
}

LumaTestSandbox *
luma_test_sandbox_start (const char *first_arg,
                         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return luma_test_sandbox_startv ((const char * const *) args->pdata);
}

const char *
luma_test_sandbox_get_url (LumaTestSandbox *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->url;
}

const char *
luma_test_sandbox_get_root (LumaTestSandbox *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->root;
}

GPid
luma_test_sandbox_get_pid (LumaTestSandbox *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pid;
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *done = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
luma_test_sandbox_stop (LumaTestSandbox *self)
{
  luma_test_sandbox_stop_with_signal (self, SIGTERM);
}

void
luma_test_sandbox_stop_with_signal (LumaTestSandbox *self,
                                    int              signum)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) timeout = NULL;
  gboolean done = FALSE;
  gboolean timed_out = FALSE;

  if (self == NULL)
    return;

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_subprocess_send_signal (self->process, signum);
  g_subprocess_wait_async (self->process, NULL, wait_cb, &done);

  timeout = g_timeout_source_new_seconds (STOP_TIMEOUT_S);
  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);

  while (!done && !timed_out)
    g_main_context_iteration (context, TRUE);

  if (!done)
    {
      g_subprocess_force_exit (self->process);
      g_error ("the sandbox (pid %d) did not exit within %d s of signal %d",
               (int) self->pid, STOP_TIMEOUT_S, signum);
    }

  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (g_subprocess_get_if_signaled (self->process))
    g_error ("the sandbox (pid %d) was killed by signal %d instead of exiting cleanly on "
             "signal %d", (int) self->pid, g_subprocess_get_term_sig (self->process), signum);
  if (g_subprocess_get_exit_status (self->process) != 0)
    g_error ("the sandbox (pid %d) exited with status %d after signal %d",
             (int) self->pid, g_subprocess_get_exit_status (self->process), signum);

  g_thread_join (self->drain_thread);
  g_object_unref (self->process);
  g_free (self->url);
  g_free (self->root);
  g_free (self);
}

/* ---- HTTP --------------------------------------------------------------------------------- */

static GTlsDatabase *tls_anchors;

void
luma_test_set_tls_anchors (const char *pem_file)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&tls_anchors);
  if (pem_file == NULL)
    return;
  tls_anchors = g_tls_file_database_new (pem_file, &error);
  if (tls_anchors == NULL)
    g_error ("cannot load certificates from %s: %s", pem_file, error->message);
}

static void
collect_header_cb (const char *name,
                   const char *value,
                   gpointer    user_data)
{
  GHashTable *headers = user_data;
  g_autofree char *key = g_ascii_strdown (name, -1);
  const char *old = g_hash_table_lookup (headers, key);

  if (old != NULL)
    g_hash_table_insert (headers, g_steal_pointer (&key), g_strdup_printf ("%s, %s", old, value));
  else
    g_hash_table_insert (headers, g_steal_pointer (&key), g_strdup (value));
}

LumaTestResponse *
luma_test_requestv (const char         *method,
                    const char         *url,
                    const char         *json_body,
                    const char * const *headers,
                    guint               timeout_seconds)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GByteArray) body = g_byte_array_new ();
  LumaTestResponse *r = g_new0 (LumaTestResponse, 1);

  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* A new session per request: a per-request time-out, and no connection reused after a
   * fault closed one. No content decoder, so the body is exactly what was sent. */
  session = soup_session_new_with_options ("timeout", timeout_seconds > 0 ? timeout_seconds
                                                                           : REQUEST_TIMEOUT_S,
                                           NULL);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  /* The default proxy resolver reads GSettings schemas that isolated test dirs hide, and the
   * sandbox is on loopback anyway. */
  soup_session_set_proxy_resolver (session, NULL);
  if (tls_anchors != NULL)
    soup_session_set_tls_database (session, tls_anchors);

  msg = soup_message_new (method, url);
  if (msg == NULL)
    g_error ("not a valid request: %s %s", method, url);

  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    {
      if (headers[i + 1] == NULL)
        g_error ("header %s has no value", headers[i]);
      soup_message_headers_append (soup_message_get_request_headers (msg),
                                   headers[i], headers[i + 1]);
    }

  if (json_body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  stream = soup_session_send (session, msg, NULL, &r->error);
  if (stream != NULL)
    {
      guint8 buf[16384];
      gssize n;

      while ((n = g_input_stream_read (stream, buf, sizeof buf, NULL, &r->error)) > 0)
        g_byte_array_append (body, buf, n);
      g_input_stream_close (stream, NULL, NULL);
    }

  r->status = soup_message_get_status (msg);
  if (r->status != 0)
    {
      r->reason = g_strdup (soup_message_get_reason_phrase (msg));
      soup_message_headers_foreach (soup_message_get_response_headers (msg),
                                    collect_header_cb, r->headers);
    }
  r->body = g_byte_array_free_to_bytes (g_steal_pointer (&body));

  if (g_bytes_get_size (r->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize size;
      const char *data = g_bytes_get_data (r->body, &size);

      if (json_parser_load_from_data (parser, data, size, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        r->envelope = json_node_copy (json_parser_get_root (parser));
    }

  return r;
}

LumaTestResponse *
luma_test_request (const char *method,
                   const char *url,
                   const char *json_body,
                   const char *first_header_name,
                   ...)
{
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_header_name);
  for (const char *name = first_header_name; name != NULL; name = va_arg (ap, const char *))
    {
      g_ptr_array_add (headers, (gpointer) name);
      g_ptr_array_add (headers, va_arg (ap, gpointer));
    }
  va_end (ap);
  g_ptr_array_add (headers, NULL);

  return luma_test_requestv (method, url, json_body, (const char * const *) headers->pdata, 0);
}

void
luma_test_response_free (LumaTestResponse *r)
{
  if (r == NULL)
    return;
  g_free (r->reason);
  g_clear_pointer (&r->headers, g_hash_table_unref);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->envelope, json_node_unref);
  g_clear_error (&r->error);
  g_free (r);
}

const char *
luma_test_response_get_header (LumaTestResponse *r,
                               const char       *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (r->headers, key);
}

JsonObject *
luma_test_response_get_result (LumaTestResponse *r)
{
  JsonObject *envelope;
  JsonNode *result;

  if (r->envelope == NULL)
    return NULL;
  envelope = json_node_get_object (r->envelope);
  result = json_object_get_member (envelope, "resultData");
  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return NULL;
  return json_node_get_object (result);
}

static JsonObject *
get_error (LumaTestResponse *r,
           guint             index)
{
  JsonNode *errors;
  JsonArray *array;
  JsonNode *item;

  if (r->envelope == NULL)
    return NULL;
  errors = json_object_get_member (json_node_get_object (r->envelope), "errors");
  if (errors == NULL || !JSON_NODE_HOLDS_ARRAY (errors))
    return NULL;
  array = json_node_get_array (errors);
  if (index >= json_array_get_length (array))
    return NULL;
  item = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
}

guint
luma_test_response_get_n_errors (LumaTestResponse *r)
{
  JsonNode *errors;

  if (r->envelope == NULL)
    return 0;
  errors = json_object_get_member (json_node_get_object (r->envelope), "errors");
  if (errors == NULL || !JSON_NODE_HOLDS_ARRAY (errors))
    return 0;
  return json_array_get_length (json_node_get_array (errors));
}

static const char *
get_error_string (LumaTestResponse *r,
                  guint             index,
                  const char       *member)
{
  JsonObject *error = get_error (r, index);
  JsonNode *node;

  if (error == NULL)
    return NULL;
  node = json_object_get_member (error, member);
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
luma_test_response_get_error_code (LumaTestResponse *r,
                                   guint             index)
{
  return get_error_string (r, index, "code");
}

const char *
luma_test_response_get_error_field (LumaTestResponse *r,
                                    guint             index)
{
  return get_error_string (r, index, "field");
}

static char *
body_excerpt (LumaTestResponse *r)
{
  gsize size;
  const char *data = g_bytes_get_data (r->body, &size);

  return g_utf8_make_valid (data != NULL ? data : "", MIN (size, 600));
}

static gboolean
is_string_member (JsonObject *object,
                  const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && json_node_get_value_type (node) == G_TYPE_STRING;
}

static char *
check_envelope (LumaTestResponse *r,
                guint             status,
                const char       *code)
{
  JsonObject *envelope;
  JsonNode *node;
  JsonArray *errors;
  gboolean success = status >= 200 && status < 300;
  const char *content_type;

  if (r->error != NULL)
    return g_strdup_printf ("transport error: %s", r->error->message);
  if (r->status != status)
    return g_strdup_printf ("HTTP status %u, expected %u", r->status, status);
  /* libsoup does not always report a connection closed before Content-Length bytes. */
  if (luma_test_response_get_header (r, "content-length") != NULL &&
      g_ascii_strtoull (luma_test_response_get_header (r, "content-length"), NULL, 10) !=
      g_bytes_get_size (r->body))
    return g_strdup_printf ("Content-Length %s but %" G_GSIZE_FORMAT " bytes of body",
                            luma_test_response_get_header (r, "content-length"),
                            g_bytes_get_size (r->body));

  if (status == 304)
    {
      if (g_bytes_get_size (r->body) != 0)
        return g_strdup ("304 with a body");
      return NULL;
    }

  content_type = luma_test_response_get_header (r, "content-type");
  if (content_type == NULL || !g_str_has_prefix (content_type, "application/json"))
    return g_strdup_printf ("Content-Type is %s, not application/json",
                            content_type ? content_type : "absent");

  if (r->envelope == NULL)
    return g_strdup ("the body is not a JSON object");
  envelope = json_node_get_object (r->envelope);

  if (!is_string_member (envelope, "status") ||
      g_strcmp0 (json_object_get_string_member (envelope, "status"),
                 success ? "success" : "failure") != 0)
    return g_strdup_printf ("envelope status is not \"%s\"", success ? "success" : "failure");

  node = json_object_get_member (envelope, "statusCode");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != status)
    return g_strdup_printf ("envelope statusCode is not the integer %u", status);

  if (!is_string_member (envelope, "statusLine"))
    return g_strdup ("envelope statusLine is not a string");
  if (g_strcmp0 (json_object_get_string_member (envelope, "statusLine"), r->reason) != 0)
    return g_strdup_printf ("envelope statusLine \"%s\" is not the HTTP reason phrase \"%s\"",
                            json_object_get_string_member (envelope, "statusLine"), r->reason);

  node = json_object_get_member (envelope, "errors");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("envelope errors is not an array");
  errors = json_node_get_array (node);
  if (success && json_array_get_length (errors) != 0)
    return g_strdup ("a success with errors");
  if (!success && json_array_get_length (errors) == 0)
    return g_strdup ("a failure without errors");
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonNode *item = json_array_get_element (errors, i);
      JsonObject *error;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return g_strdup_printf ("errors[%u] is not an object", i);
      error = json_node_get_object (item);
      if (!is_string_member (error, "code"))
        return g_strdup_printf ("errors[%u].code is not a string", i);
      if (json_object_has_member (error, "field") && !is_string_member (error, "field"))
        return g_strdup_printf ("errors[%u].field is not a string", i);
      /* The 422 header object is documented as just {"code": "VALIDATION_FAILED"}. */
      if (json_object_has_member (error, "message") && !is_string_member (error, "message"))
        return g_strdup_printf ("errors[%u].message is not a string", i);
      if (!json_object_has_member (error, "message") &&
          g_strcmp0 (json_object_get_string_member (error, "code"), "VALIDATION_FAILED") != 0)
        return g_strdup_printf ("errors[%u] has no message", i);
    }

  node = json_object_get_member (envelope, "resultData");
  if (node == NULL)
    return g_strdup ("envelope has no resultData");
  if (!JSON_NODE_HOLDS_OBJECT (node) && !JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("resultData is neither an object nor null");
  if (success && !JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup ("a success without a resultData object");
  if (!success && status != 412 && !JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("a failure with a non-null resultData");

  if (code != NULL && g_strcmp0 (luma_test_response_get_error_code (r, 0), code) != 0)
    return g_strdup_printf ("first error code is %s, expected %s",
                            luma_test_response_get_error_code (r, 0), code);

  return NULL;
}

void
luma_test_check_response (LumaTestResponse *r,
                          guint             status,
                          const char       *code,
                          const char       *file,
                          int               line,
                          const char       *func)
{
  g_autofree char *problem = check_envelope (r, status, code);

  if (problem != NULL)
    {
      g_autofree char *excerpt = body_excerpt (r);
      g_autofree char *message = g_strdup_printf ("unexpected answer: %s; body: %s",
                                                  problem, excerpt);

      g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
    }
}

/* ---- Control endpoints -------------------------------------------------------------------- */

JsonNode *
luma_test_sandbox_control (LumaTestSandbox *self,
                           const char      *method,
                           const char      *path,
                           const char      *json_body,
                           guint           *status_out)
{
  g_autofree char *url = g_strconcat (self->root, path, NULL);
  g_autoptr(LumaTestResponse) r = luma_test_requestv (method, url, json_body, NULL, 0);
  JsonNode *result;

  if (r->error != NULL)
    g_error ("%s %s: %s", method, path, r->error->message);
  if (r->envelope == NULL)
    {
      g_autofree char *excerpt = body_excerpt (r);

      g_error ("%s %s: HTTP %u, the body is not a JSON envelope: %s",
               method, path, r->status, excerpt);
    }
  if (status_out != NULL)
    *status_out = r->status;
  else if (r->status < 200 || r->status >= 300)
    {
      g_autofree char *excerpt = body_excerpt (r);

      g_error ("%s %s: HTTP %u: %s", method, path, r->status, excerpt);
    }

  result = json_object_get_member (json_node_get_object (r->envelope), "resultData");
  return result != NULL ? json_node_copy (result) : json_node_new (JSON_NODE_NULL);
}

static JsonObject *
control_object (LumaTestSandbox *self,
                const char      *method,
                const char      *path,
                const char      *json_body,
                JsonNode       **node_out)
{
  JsonNode *node = luma_test_sandbox_control (self, method, path, json_body, NULL);

  *node_out = node;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    g_error ("%s %s: resultData is not an object", method, path);
  return json_node_get_object (node);
}

static void
records_request (LumaTestSandbox *self,
                 const char      *tenant,
                 const char      *what,
                 guint            count)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/tenants/%s/records%s", tenant, what);
  g_autofree char *body = g_strdup_printf ("{\"count\": %u}", count);
  g_autoptr(JsonNode) node = NULL;

  control_object (self, "POST", path, body, &node);
}

void
luma_test_sandbox_add_records (LumaTestSandbox *self,
                               const char      *tenant,
                               guint            count)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/tenants/%s/records", tenant);
  g_autofree char *body = g_strdup_printf ("{\"count\": %u}", count);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result = control_object (self, "POST", path, body, &node);

  if (!json_object_has_member (result, "added") ||
      json_object_get_int_member (result, "added") != count)
    g_error ("POST %s asked for %u records, answer says added %" G_GINT64_FORMAT,
             path, count, json_object_get_int_member_with_default (result, "added", -1));
}

void
luma_test_sandbox_touch_records (LumaTestSandbox *self,
                                 const char      *tenant,
                                 guint            count)
{
  records_request (self, tenant, "/touch", count);
}

void
luma_test_sandbox_set_faults (LumaTestSandbox *self,
                              const char      *faults_json)
{
  g_autoptr(JsonNode) node = luma_test_sandbox_control (self, "PUT", "/sandbox/faults",
                                                        faults_json, NULL);
}

void
luma_test_sandbox_hold_next_answer (LumaTestSandbox *self)
{
  luma_test_sandbox_set_faults (self, "{\"faults\": [{\"kind\": \"slow\", \"rate\": 1.0, \"count\": 1}]}");
}

gboolean
luma_test_sandbox_faults_used_up (LumaTestSandbox *self)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result = control_object (self, "GET", "/sandbox/faults", NULL, &node);

  if (!json_object_has_member (result, "faults") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (result, "faults")))
    g_error ("GET /sandbox/faults: no faults array");
  return json_array_get_length (json_object_get_array_member (result, "faults")) == 0;
}

char *
luma_test_sandbox_get_checksum (LumaTestSandbox *self,
                                const char      *tenant,
                                gint64          *records_out,
                                gint64          *consumed_out)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/tenants/%s/stats", tenant);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result = control_object (self, "GET", path, NULL, &node);

  if (!is_string_member (result, "checksum"))
    g_error ("GET %s: no checksum string", path);
  if (records_out != NULL)
    *records_out = json_object_get_int_member_with_default (result, "records", -1);
  if (consumed_out != NULL)
    *consumed_out = json_object_get_int_member_with_default (result, "consumed", -1);
  return g_strdup (json_object_get_string_member (result, "checksum"));
}

/* ---- Checksum ----------------------------------------------------------------------------- */

static const char * const session_columns[] = {
  "sessionId", "startedOn", "initiatedBy", "userName", "email", "role", "agentName", "channel",
  "conversations", NULL
};
static const char * const user_columns[] = {
  "userId", "userName", "email", "firstName", "lastName", "role", "status", "createdOn",
  "conversations", "lastConversationOn", NULL
};

static void
append_field (GString    *line,
              JsonObject *item,
              const char *member)
{
  JsonNode *node = json_object_get_member (item, member);

  if (node == NULL)
    g_error ("item without %s", member);
  if (JSON_NODE_HOLDS_NULL (node))
    return;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      g_string_append_printf (line, "%" G_GINT64_FORMAT, json_node_get_int (node));
      return;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("item member %s is neither a string, an integer nor null", member);

  if (g_str_equal (member, "startedOn") || g_str_equal (member, "createdOn") ||
      g_str_equal (member, "lastConversationOn"))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
      g_autoptr(GDateTime) utc = NULL;
      g_autofree char *text = NULL;

      if (dt == NULL)
        g_error ("item member %s is not a date-time: %s", member, json_node_get_string (node));
      utc = g_date_time_to_utc (dt);
      text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
      g_string_append (line, text);
      return;
    }

  g_string_append (line, json_node_get_string (node));
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  const char *la = *(const char * const *) a;
  const char *lb = *(const char * const *) b;
  /* The id is the first field; compare it alone so the tab after it cannot reorder ids that
   * are prefixes of one another. */
  gsize na = strcspn (la, "\t");
  gsize nb = strcspn (lb, "\t");
  int c = memcmp (la, lb, MIN (na, nb));

  if (c != 0)
    return c;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

char *
luma_test_checksum_items (GPtrArray  *items,
                          const char *license_type)
{
  const char * const *columns;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  if (g_strcmp0 (license_type, "SESSION") == 0)
    columns = session_columns;
  else if (g_strcmp0 (license_type, "USER") == 0)
    columns = user_columns;
  else
    g_error ("unknown license type %s", license_type);

  for (guint i = 0; i < items->len; i++)
    {
      GString *line = g_string_new (NULL);

      for (guint c = 0; columns[c] != NULL; c++)
        {
          if (c > 0)
            g_string_append_c (line, '\t');
          append_field (line, g_ptr_array_index (items, i), columns[c]);
        }
      g_string_append_c (line, '\n');
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }

  g_ptr_array_sort (lines, compare_lines);
  for (guint i = 0; i < lines->len; i++)
    g_checksum_update (sum, g_ptr_array_index (lines, i), -1);

  return g_strdup (g_checksum_get_string (sum));
}

/* ---- The consumption feed ----------------------------------------------------------------- */

static LumaTestResponse *
feed_page (LumaTestSandbox *self,
           const char      *tenant,
           const char      *api_key,
           const char      *cursor,
           guint            timeout_seconds)
{
  g_autofree char *url = g_strdup_printf ("%s/subscription/consumption?limit=1000&cursor=%s",
                                          luma_test_sandbox_get_url (self), cursor);
  const char *headers[] = { "Luma-api-access-key", api_key, "Luma-tenant-externalId", tenant, NULL };
  LumaTestResponse *r = luma_test_requestv ("GET", url, NULL, headers, timeout_seconds);

  luma_test_assert_response (r, 200, NULL);
  return r;
}

LumaTestResponse *
luma_test_sandbox_get_feed_page (LumaTestSandbox *self,
                                 const char      *tenant,
                                 const char      *api_key,
                                 const char      *cursor)
{
  return feed_page (self, tenant, api_key, cursor, 0);
}

char *
luma_test_sandbox_get_feed_end (LumaTestSandbox *self,
                                const char      *tenant,
                                const char      *api_key)
{
  g_autofree char *cursor = g_strdup ("");

  for (;;)
    {
      g_autoptr(LumaTestResponse) r = feed_page (self, tenant, api_key, cursor, FEED_END_TIMEOUT_S);
      JsonObject *result = luma_test_response_get_result (r);

      g_free (cursor);
      cursor = g_strdup (json_object_get_string_member (result, "nextCursor"));
      if (!json_object_get_boolean_member (result, "hasMore"))
        return g_steal_pointer (&cursor);
    }
}
