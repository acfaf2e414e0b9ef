/* bench-hostile.c: the client's peak memory for hostile answers of every shape
 *
 *   bench-hostile [--deadline SECONDS] [--shape NAME]
 *
 * A child process serves one answer per shape (chosen by the path of the server address); this
 * process asks for a consumption page, as a sync does, and measures its own peak resident
 * memory (VmHWM, set back to the present RSS before each shape) until the answer is refused or
 * decoded. One line per shape: the shape, the size of the answer, the peak RSS, the time and
 * the client's verdict. Goal (docs/performance.md): no shape takes the peak above 150 MB.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "luma-api-client.h"

#define GOAL_MB 150

typedef struct
{
  const char *name;
  const char *what;
} Shape;

static const Shape shapes[] = {
  { "good", "a valid page of 1,000 records" },
  { "wide-arrays", "1.3 million empty arrays in a page (3.9 MB)" },
  { "wide-objects", "1.3 million empty objects in a page (3.9 MB)" },
  { "wide-members", "one object of 300,000 members in a page (3.9 MB)" },
  { "wide-objects-9mb", "3 million empty objects in a page (9 MB)" },
  { "wide-error-9mb", "3 million empty objects in a 500 error body (9 MB)" },
  { "wide-error-60kb", "20,000 empty arrays in a 500 error body (60 kB)" },
  { "huge-string", "a user name of 3 MB" },
  { "huge-page", "a page of 64 MB" },
  { "long-cursor", "a nextCursor of 3 MB" },
  { "deep-nesting", "100,000 nested arrays" },
  { "trickle", "a page trickled one byte every 100 ms" },
};

/* ---- The server (child process) ------------------------------------------------------------ */

static char *
envelope (guint       status,
          const char *result_data,
          const char *errors)
{
  return g_strdup_printf ("{\"status\":\"%s\",\"statusCode\":%u,\"statusLine\":\"%s\","
                          "\"errors\":[%s],\"resultData\":%s}",
                          status < 300 ? "success" : "failure", status,
                          status < 300 ? "OK" : "Internal Server Error", errors, result_data);
}

static void
append_record (GString *s,
               guint    i,
               gsize    name_len)
{
  g_string_append_printf (s, "%s{\"sessionId\":\"S-%07u\",\"startedOn\":\"2026-03-14T09:26:53Z\","
                          "\"initiatedBy\":\"END_USER\",\"userName\":\"", i > 0 ? "," : "", i);
  if (name_len == 0)
    g_string_append_printf (s, "user %u", i);
  for (gsize k = 0; k < name_len; k++)
    g_string_append_c (s, 'a' + (char) (k % 26));
  g_string_append (s, "\",\"email\":\"user@acme.example\",\"role\":\"Analyst\","
                   "\"agentName\":null,\"channel\":\"MS_TEAMS\",\"conversations\":1}");
}

static char *
page_with (const char *items,
           const char *cursor)
{
  g_autofree char *result = g_strdup_printf ("{\"licenseType\":\"SESSION\",\"items\":[%s],"
                                             "\"nextCursor\":\"%s\",\"hasMore\":false,"
                                             "\"remaining\":0}", items, cursor);
  return envelope (200, result, "");
}

static char *
repeated (const char *unit,
          gsize       n)
{
  GString *s = g_string_sized_new ((strlen (unit) + 1) * n);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, unit);
    }
  return g_string_free (s, FALSE);
}

static char *
body_for (const char *shape,
          guint      *status)
{
  *status = 200;
  if (g_str_equal (shape, "good") || g_str_equal (shape, "huge-string") ||
      g_str_equal (shape, "huge-page"))
    {
      g_autoptr(GString) items = g_string_new (NULL);
      guint n = g_str_equal (shape, "good") ? 1000 : 1;
      gsize name = g_str_equal (shape, "huge-string") ? 3 * 1024 * 1024
                   : g_str_equal (shape, "huge-page") ? 64 * 1024 * 1024 - 1024 : 0;

      for (guint i = 0; i < n; i++)
        append_record (items, i, name);
      return page_with (items->str, "c1");
    }
  if (g_str_equal (shape, "wide-arrays") || g_str_equal (shape, "wide-objects") ||
      g_str_equal (shape, "wide-objects-9mb"))
    {
      g_autofree char *items = repeated (g_str_equal (shape, "wide-arrays") ? "[]" : "{}",
                                         g_str_equal (shape, "wide-objects-9mb") ? 3000000 : 1300000);
      return page_with (items, "c1");
    }
  if (g_str_equal (shape, "wide-members"))
    {
      g_autoptr(GString) members = g_string_new ("{");

      for (guint i = 0; i < 300000; i++)
        g_string_append_printf (members, "%s\"k%u\":0", i > 0 ? "," : "", i);
      g_string_append_c (members, '}');
      return page_with (members->str, "c1");
    }
  if (g_str_equal (shape, "wide-error-9mb") || g_str_equal (shape, "wide-error-60kb"))
    {
      gboolean big = g_str_equal (shape, "wide-error-9mb");
      g_autofree char *errors = repeated (big ? "{}" : "[]", big ? 3000000 : 20000);

      *status = 500;
      return envelope (500, "null", errors);
    }
  if (g_str_equal (shape, "long-cursor"))
    {
      g_autoptr(GString) items = g_string_new (NULL);
      g_autofree char *cursor = g_strnfill (3 * 1024 * 1024, 'c');

      append_record (items, 0, 0);
      return page_with (items->str, cursor);
    }
  if (g_str_equal (shape, "deep-nesting"))
    {
      g_autofree char *open = g_strnfill (100000, '[');
      g_autofree char *close = g_strnfill (100000, ']');
      g_autofree char *items = g_strconcat (open, close, NULL);

      return page_with (items, "c1");
    }
  return NULL;
}

typedef struct
{
  SoupServerMessage *msg;
  char              *body;
  gboolean           finished;
} Trickle;

static void
trickle_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  ((Trickle *) user_data)->finished = TRUE;
}

static void
trickle_free (gpointer data)
{
  Trickle *t = data;

  g_signal_handlers_disconnect_by_data (t->msg, t);
  g_object_unref (t->msg);
  g_free (t->body);
  g_free (t);
}

static gboolean
trickle_tick_cb (gpointer user_data)
{
  Trickle *t = user_data;
  SoupMessageBody *body;

  if (t->finished)
    return G_SOURCE_REMOVE;
  body = soup_server_message_get_response_body (t->msg);
  /* One byte of the page at a time: it would take minutes. */
  if (*t->body != '\0')
    {
      soup_message_body_append (body, SOUP_MEMORY_COPY, t->body, 1);
      memmove (t->body, t->body + 1, strlen (t->body));
      soup_server_message_unpause (t->msg);
      return G_SOURCE_CONTINUE;
    }
  soup_message_body_complete (body);
  soup_server_message_unpause (t->msg);
  return G_SOURCE_REMOVE;
}

static void
handle_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", 3);
  const char *shape = parts[0] != NULL && parts[1] != NULL ? parts[1] : "";
  guint status;
  char *body;

  if (g_str_equal (shape, "trickle"))
    {
      Trickle *t = g_new0 (Trickle, 1);
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      t->msg = g_object_ref (msg);
      t->body = body_for ("good", &status);
      g_signal_connect (msg, "finished", G_CALLBACK (trickle_finished_cb), t);
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_server_message_pause (msg);
      g_timeout_add_full (G_PRIORITY_DEFAULT, 100, trickle_tick_cb, t, trickle_free);
      return;
    }

  body = body_for (shape, &status);
  if (body == NULL)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
}

/* Serves until killed; writes its port to @fd first. */
static void G_GNUC_NORETURN
serve (int fd)
{
  g_autoptr(SoupServer) server = soup_server_new ("server-header", "bench-hostile", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList *uris;
  char port[16];

  soup_server_add_handler (server, NULL, handle_cb, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("cannot listen: %s", error->message);
  uris = soup_server_get_uris (server);
  g_snprintf (port, sizeof port, "%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (write (fd, port, strlen (port)) < 0)
    _exit (1);
  close (fd);
  g_main_loop_run (loop);
  _exit (0);
}

/* ---- The client (this process) ------------------------------------------------------------- */

static gint64
proc_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

static void
reset_peak_rss (void)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY);

  if (fd < 0 || write (fd, "5", 1) != 1)
    g_printerr ("cannot reset the peak RSS: figures are peaks since the start\n");
  if (fd >= 0)
    close (fd);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
main (int   argc,
      char *argv[])
{
  int deadline = 5;
  g_autofree char *only = NULL;
  GOptionEntry entries[] = {
    { "deadline", 0, 0, G_OPTION_ARG_INT, &deadline, "Deadline of one request (s)", "SECONDS" },
    { "shape", 0, 0, G_OPTION_ARG_STRING, &only, "Only this shape (in a fresh process)", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  char port[16] = { 0 };
  int fds[2];
  pid_t child;
  gint64 worst_kb = 0;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- peak RSS for hostile answers");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  /* The server in its own process, forked before this one has threads, so its memory is
   * not the client's. */
  if (pipe (fds) != 0)
    return 1;
  child = fork ();
  if (child < 0)
    return 1;
  if (child == 0)
    {
      close (fds[0]);
      serve (fds[1]);
    }
  close (fds[1]);
  if (read (fds[0], port, sizeof port - 1) <= 0)
    return 1;
  close (fds[0]);

  g_print ("%-18s %-52s %10s %9s  %s\n", "shape", "answer", "peak RSS", "time", "client");
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%s/%s", port, shapes[i].name);
      g_autoptr(LumaApiClient) client = luma_api_client_new (url, &error);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(LumaConsumptionPage) page = NULL;
      g_autoptr(GError) call_error = NULL;
      g_autofree char *verdict = NULL;
      gint64 start_us, peak_kb;

      if (only != NULL && !g_str_equal (only, shapes[i].name))
        continue;
      g_assert_no_error (error);
      luma_api_client_set_tenant_credentials (client, "bench", "bench-key");
      /* A broken body is retried like a 503: keep the waits short, not the attempts. */
      luma_api_client_set_retry_policy (client, LUMA_API_CLIENT_DEFAULT_MAX_ATTEMPTS, 10, 50);
      luma_api_client_set_deadline (client, (guint) deadline);

      malloc_trim (0);
      reset_peak_rss ();
      start_us = g_get_monotonic_time ();
      luma_api_client_get_consumption_page_async (client, NULL, 1000, NULL, store_result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      page = luma_api_client_get_consumption_page_finish (client, result, &call_error);
      peak_kb = proc_status_kb ("VmHWM:");
      worst_kb = MAX (worst_kb, peak_kb);

      if (page != NULL)
        verdict = g_strdup_printf ("read: %u records", page->items->len);
      else
        verdict = g_utf8_substring (call_error->message, 0, MIN (g_utf8_strlen (call_error->message, -1), 110));
      g_print ("%-18s %-52s %7" G_GINT64_FORMAT " MB %7.2f s  %s\n", shapes[i].name, shapes[i].what,
               peak_kb / 1024, (g_get_monotonic_time () - start_us) / 1e6, verdict);
    }

  kill (child, SIGTERM);
  waitpid (child, NULL, 0);

  g_print ("\nworst peak RSS: %" G_GINT64_FORMAT " MB (goal: below %d MB)\n", worst_kb / 1024, GOAL_MB);
  return 0;
}
