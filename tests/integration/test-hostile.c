/* test-hostile.c: the client against a server that breaks the contract on purpose
 *
 * An in-process SoupServer (in a thread of its own, so a client that blocked its main loop
 * would show as a hang, not pass) first serves a good two-page feed, which LumaSync stores.
 * Then its consumption feed turns hostile: wrong types, missing fields, a 3 MB string, a 10 MB
 * page, 100000 nested arrays, more values than a page of its limit may hold, numbers out of
 * range, negative counts, bytes that are not UTF-8, duplicate records in one page, cursors
 * that repeat or go back or are too long, feeds that never end or announce more than any
 * tenant has, empty pages that say hasMore, a license type that changes mid-feed, pages of a
 * million empty arrays or objects, error bodies of the same, and a body trickled byte by byte.
 * For each, the sync must fail with a clear error (domain, code, and a message naming the
 * problem), leave every row of the cache file as it was (a SHA-256 over all the data tables,
 * read with plain SQLite) and pass PRAGMA integrity_check, keep the process up with bounded
 * memory (its peak RSS, VmHWM, grows by less than 150 MB), and the next sync against the good
 * feed must reach exactly the good records again. A stored cursor that keeps failing is
 * dropped, a stored cursor too long to send is not sent, and a superadmin's tenant list
 * whose cursors go round is stopped as soon as one comes back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "luma-api-client.h"
#include "luma-cache-private.h"
#include "luma-sync.h"

/* A feed that has not ended after this many pages in one sync is stopped by the test
 * server itself (an empty last page), so a client without a loop guard fails the test
 * instead of hanging it. */
#define SERVER_PAGE_CAP 1000

/* Generous: the client may hold one 10 MB answer a few times over while decoding it. */
#define RSS_LIMIT_KB (512 * 1024)
/* The budget of docs/reliability.md: no answer grows the peak RSS by this much. */
#define RSS_GROWTH_LIMIT_KB (150 * 1024)

/* The deadline of one request in these tests; the trickled body takes far longer. */
#define TEST_DEADLINE_S 1
#define TRICKLE_TICK_MS 100
#define TRICKLE_TICKS 60

/* Cursors with characters that must be escaped in a query string. */
#define CURSOR_1 "c1 &limit=5/é%2F?#+"
#define CURSOR_2 "c2=end"

typedef enum
{
  FEED_GOOD,
  FEED_WRONG_TYPE,
  FEED_MISSING_FIELD,
  FEED_HUGE_STRING,
  FEED_DEEP_NESTING,
  FEED_OUT_OF_RANGE,
  FEED_NEGATIVE_COUNT,
  FEED_NEGATIVE_REMAINING,
  FEED_NOT_UTF8,
  FEED_DUPLICATES,
  FEED_SAME_CURSOR_WITH_ITEMS,
  FEED_CURSOR_BACKWARDS,
  FEED_ENDLESS,
  FEED_ENDLESS_EMPTY,
  FEED_ENDLESS_REMAINING,
  FEED_HUGE_PAGE,
  FEED_WIDE_ARRAYS,
  FEED_WIDE_OBJECTS,
  FEED_WIDE_STRICT_PAGE,
  FEED_WIDE_ERROR_OBJECTS,
  FEED_WIDE_ERROR_ARRAYS,
  FEED_LONG_CURSOR,
  FEED_EMPTY_HAS_MORE,
  FEED_REMAINING_HUGE,
  FEED_LICENSE_CHANGE,
  FEED_TRICKLE,
  FEED_FAIL_ON_STORED,
} FeedMode;

typedef struct
{
  GMutex        lock;
  FeedMode      mode;
  guint         consumption_requests;   /* since the mode was set */
  gboolean      cap_hit;
  GPtrArray    *cursors_seen;           /* the cursor parameter of each consumption request */
  guint         tenant_requests;        /* GET /platform/tenants, whose pages go round in a loop */
  guint         serial;

  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *base_url;
  GCond         ready_cond;
  gboolean      ready;
} HostileServer;

/* ---- The server --------------------------------------------------------------------------- */

static char *
envelope (const char *result_data)
{
  return g_strdup_printf ("{\"status\":\"success\",\"statusCode\":200,\"statusLine\":\"OK\","
                          "\"errors\":[],\"resultData\":%s}", result_data);
}

/* One session record; @conversations and @user_name are JSON text put in as is. */
static char *
session_item (const char *id,
              const char *user_name,
              const char *conversations)
{
  return g_strdup_printf ("{\"sessionId\":\"%s\",\"startedOn\":\"2026-03-14T09:26:53Z\","
                          "\"initiatedBy\":\"END_USER\",\"userName\":%s,"
                          "\"email\":\"zoe@acme.example\",\"role\":\"Analyst\","
                          "\"agentName\":null,\"channel\":\"MS_TEAMS\",\"conversations\":%s}",
                          id, user_name, conversations);
}

static char *
page (const char *items,
      const char *next_cursor,
      gboolean    has_more,
      const char *remaining)
{
  g_autofree char *cursor_json = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *result = NULL;

  json_node_set_string (node, next_cursor);
  cursor_json = json_to_string (node, FALSE);
  result = g_strdup_printf ("{\"licenseType\":\"SESSION\",\"items\":[%s],\"nextCursor\":%s,"
                            "\"hasMore\":%s,\"remaining\":%s}",
                            items, cursor_json, has_more ? "true" : "false", remaining);
  return envelope (result);
}

/* The good feed: none -> 2 records + CURSOR_1 -> 1 record + CURSOR_2 -> nothing new. */
static char *
good_page (const char *cursor)
{
  if (cursor == NULL || *cursor == '\0')
    {
      g_autofree char *a = session_item ("S-1", "\"Zoë Müller\"", "2");
      g_autofree char *b = session_item ("S-2", "\"O'Neil, Ana\"", "0");
      g_autofree char *items = g_strconcat (a, ",", b, NULL);

      return page (items, CURSOR_1, TRUE, "1");
    }
  if (g_strcmp0 (cursor, CURSOR_1) == 0)
    {
      g_autofree char *c = session_item ("S-3", "\"\\\"Bud\\\" Smith\"", "5");

      return page (c, CURSOR_2, FALSE, "0");
    }
  return page ("", CURSOR_2, FALSE, "0");
}

static char *
failure (guint       status,
         const char *status_line,
         const char *errors)
{
  return g_strdup_printf ("{\"status\":\"failure\",\"statusCode\":%u,\"statusLine\":\"%s\","
                          "\"errors\":[%s],\"resultData\":null}", status, status_line, errors);
}

/* @n copies of @unit, joined by commas. */
static char *
repeated (const char *unit,
          guint       n)
{
  GString *s = g_string_sized_new ((strlen (unit) + 1) * n);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, unit);
    }
  return g_string_free (s, FALSE);
}

static char *
hostile_page (HostileServer *hs,
              FeedMode       mode,
              const char    *cursor,
              guint         *status)
{
  g_autofree char *item = NULL;
  char *body = NULL;

  *status = 200;

  switch (mode)
    {
    case FEED_GOOD:
      body = good_page (cursor);
      break;

    case FEED_WRONG_TYPE:
      item = session_item ("S-10", "\"x\"", "\"3\"");
      body = page (item, "w1", FALSE, "0");
      break;

    case FEED_MISSING_FIELD:
      item = g_strdup ("{\"sessionId\":\"S-10\",\"initiatedBy\":\"END_USER\",\"userName\":\"x\","
                       "\"email\":\"\",\"role\":\"Analyst\",\"agentName\":null,"
                       "\"channel\":\"SLACK\",\"conversations\":1}");
      body = page (item, "m1", FALSE, "0");
      break;

    case FEED_HUGE_STRING:
    case FEED_HUGE_PAGE:
      {
        /* Within the 4 MB a page may take, then beyond it. */
        gsize n = mode == FEED_HUGE_STRING ? 3 * 1024 * 1024 : 10 * 1024 * 1024;
        GString *name = g_string_sized_new (n + 2);

        g_string_append_c (name, '"');
        for (gsize i = 0; i < n; i++)
          g_string_append_c (name, 'a' + (char) (i % 26));
        g_string_append_c (name, '"');
        item = session_item ("S-10", name->str, "1");
        g_string_free (name, TRUE);
        body = page (item, "h1", FALSE, "0");
      }
      break;

    case FEED_WIDE_ARRAYS:
    case FEED_WIDE_OBJECTS:
      /* 1.3 million values in 3.9 MB, under the byte limit of a page. */
      {
        g_autofree char *items = repeated (mode == FEED_WIDE_ARRAYS ? "[]" : "{}", 1300000);

        body = page (items, "wide1", FALSE, "0");
      }
      break;

    case FEED_WIDE_STRICT_PAGE:
      /* 4,000 good records (about 40,000 values: beyond the 32,256 of a page
       * of 1,000, within what any answer may hold), and a member the contract
       * does not name, so the one-pass reader leaves the page to the strict
       * decoders: the budget of a page holds on that path too. */
      {
        GString *items = g_string_new (NULL);
        g_autofree char *result = NULL;

        for (guint i = 0; i < 4000; i++)
          {
            g_autofree char *id = g_strdup_printf ("S-W%u", i);
            g_autofree char *one = session_item (id, "\"x\"", "1");

            if (i > 0)
              g_string_append_c (items, ',');
            g_string_append (items, one);
          }
        result = g_strdup_printf ("{\"licenseType\":\"SESSION\",\"items\":[%s],"
                                  "\"nextCursor\":\"ws1\",\"hasMore\":false,"
                                  "\"remaining\":0}", items->str);
        g_string_free (items, TRUE);
        body = g_strdup_printf ("{\"status\":\"success\",\"statusCode\":200,"
                                "\"statusLine\":\"OK\",\"errors\":[],\"traceId\":\"t-1\","
                                "\"resultData\":%s}", result);
      }
      break;

    case FEED_WIDE_ERROR_OBJECTS:
      /* 3 million empty objects (9 MB) in a 500, which is retried. */
      {
        g_autofree char *errors = repeated ("{}", 3000000);

        *status = 500;
        body = failure (500, "Internal Server Error", errors);
      }
      break;

    case FEED_WIDE_ERROR_ARRAYS:
      /* Under the 64 kB an error body may take, but 20000 values. */
      {
        g_autofree char *errors = repeated ("[]", 20000);

        *status = 500;
        body = failure (500, "Internal Server Error", errors);
      }
      break;

    case FEED_LONG_CURSOR:
      {
        g_autofree char *cursor_text = g_strnfill (1024 * 1024, 'c');

        item = session_item ("S-10", "\"x\"", "1");
        body = page (item, cursor_text, FALSE, "0");
      }
      break;

    case FEED_EMPTY_HAS_MORE:
      /* A new cursor each time, so only the empty page itself gives it away. */
      {
        g_autofree char *next = g_strdup_printf ("eh%u", hs->serial++);

        body = page ("", next, TRUE, "5");
      }
      break;

    case FEED_REMAINING_HUGE:
      /* Says 2^53 - 1 records remain, and then never ends. */
      {
        g_autofree char *id = g_strdup_printf ("S-H%u", hs->serial);
        g_autofree char *next = g_strdup_printf ("rh%u", hs->serial);

        hs->serial++;
        item = session_item (id, "\"x\"", "1");
        body = page (item, next, TRUE, "9007199254740991");
      }
      break;

    case FEED_LICENSE_CHANGE:
      if (g_strcmp0 (cursor, "lt1") == 0)
        body = envelope ("{\"licenseType\":\"USER\",\"items\":[{\"userId\":\"U-1\","
                         "\"userName\":\"zoe\",\"email\":\"zoe@acme.example\",\"firstName\":\"\","
                         "\"lastName\":\"\",\"role\":\"Analyst\",\"status\":\"ACTIVE\","
                         "\"createdOn\":\"2026-03-14T09:26:53Z\",\"conversations\":1}],"
                         "\"nextCursor\":\"lt2\",\"hasMore\":false,\"remaining\":0}");
      else
        {
          item = session_item ("S-L1", "\"x\"", "1");
          body = page (item, "lt1", TRUE, "1");
        }
      break;

    case FEED_FAIL_ON_STORED:
      /* The stored cursor always fails; from the beginning the feed is good. */
      if (g_strcmp0 (cursor, CURSOR_2) == 0)
        {
          *status = 500;
          body = failure (500, "Internal Server Error", "{\"code\":\"SERVER_ERROR\"}");
        }
      else
        body = good_page (cursor);
      break;

    case FEED_TRICKLE: /* see trickle_start() */
      g_assert_not_reached ();

    case FEED_DEEP_NESTING:
      {
        GString *items = g_string_sized_new (200002);

        for (guint i = 0; i < 100000; i++)
          g_string_append_c (items, '[');
        for (guint i = 0; i < 100000; i++)
          g_string_append_c (items, ']');
        body = page (items->str, "d1", FALSE, "0");
        g_string_free (items, TRUE);
      }
      break;

    case FEED_OUT_OF_RANGE:
      item = session_item ("S-10", "\"x\"", "9007199254740992");
      body = page (item, "o1", FALSE, "0");
      break;

    case FEED_NEGATIVE_COUNT:
      item = session_item ("S-10", "\"x\"", "-1");
      body = page (item, "n1", FALSE, "0");
      break;

    case FEED_NEGATIVE_REMAINING:
      item = session_item ("S-10", "\"x\"", "1");
      body = page (item, "r1", TRUE, "-5");
      break;

    case FEED_NOT_UTF8:
      item = session_item ("S-10", "\"bad \xff\xfe\xc3\x28 bytes\"", "1");
      body = page (item, "u1", FALSE, "0");
      break;

    case FEED_DUPLICATES:
      {
        g_autofree char *a = session_item ("S-10", "\"first\"", "1");
        g_autofree char *b = session_item ("S-11", "\"other\"", "1");
        g_autofree char *c = session_item ("S-10", "\"second\"", "7");
        g_autofree char *items = g_strjoin (",", a, b, c, NULL);

        body = page (items, "dup1", FALSE, "0");
      }
      break;

    case FEED_SAME_CURSOR_WITH_ITEMS:
      /* New records, but the cursor never moves: asking again gives the same answer. */
      item = session_item ("S-20", "\"x\"", "1");
      body = page (item, cursor != NULL ? cursor : CURSOR_2, TRUE, "1");
      break;

    case FEED_CURSOR_BACKWARDS:
      /* CURSOR_2 -> b1 -> back to CURSOR_1, which leads to b1 again: a cycle. */
      if (g_strcmp0 (cursor, "b1") == 0)
        {
          item = session_item ("S-21", "\"x\"", "1");
          body = page (item, CURSOR_1, TRUE, "1");
        }
      else
        {
          item = session_item ("S-22", "\"y\"", "1");
          body = page (item, "b1", TRUE, "1");
        }
      break;

    case FEED_ENDLESS:
      {
        g_autofree char *id = g_strdup_printf ("S-E%u", hs->serial);
        g_autofree char *next = g_strdup_printf ("e%u", hs->serial);

        hs->serial++;
        item = session_item (id, "\"x\"", "1");
        body = page (item, next, TRUE, "0");
      }
      break;

    case FEED_ENDLESS_EMPTY:
      body = page ("", cursor != NULL ? cursor : CURSOR_2, TRUE, "0");
      break;

    case FEED_ENDLESS_REMAINING:
      /* Consistent page by page (one more record "remaining"), but never done. */
      {
        g_autofree char *id = g_strdup_printf ("S-R%u", hs->serial);
        g_autofree char *next = g_strdup_printf ("r%u", hs->serial);

        hs->serial++;
        item = session_item (id, "\"x\"", "1");
        body = page (item, next, TRUE, "1");
      }
      break;
    }

  return body;
}

static void
set_json (SoupServerMessage *msg,
          guint              status,
          char              *body, /* owned */
          gsize              len,
          const char        *etag)
{
  soup_server_message_set_status (msg, status, NULL);
  if (etag != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, len);
}

/* A good page, one space at a time before it (JSON allows white space), each
 * TRICKLE_TICK_MS apart: each read of the client gets a byte well within its time-out. */
typedef struct
{
  SoupServerMessage *msg;
  char              *body;
  guint              ticks;
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
  if (++t->ticks < TRICKLE_TICKS)
    {
      soup_message_body_append (body, SOUP_MEMORY_STATIC, " ", 1);
      soup_server_message_unpause (t->msg);
      return G_SOURCE_CONTINUE;
    }
  soup_message_body_append (body, SOUP_MEMORY_COPY, t->body, strlen (t->body));
  soup_message_body_complete (body);
  soup_server_message_unpause (t->msg);
  return G_SOURCE_REMOVE;
}

static void
trickle_start (SoupServerMessage *msg,
               const char        *cursor)
{
  Trickle *t = g_new0 (Trickle, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  GSource *source = g_timeout_source_new (TRICKLE_TICK_MS);

  t->msg = g_object_ref (msg);
  t->body = good_page (cursor);
  g_signal_connect (msg, "finished", G_CALLBACK (trickle_finished_cb), t);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_server_message_pause (msg);
  g_source_set_callback (source, trickle_tick_cb, t, trickle_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

/* A superadmin's login, and a tenant list whose cursors go round: ta -> tb -> ta. After
 * SERVER_TENANT_PAGE_CAP pages the list ends, so a client that follows the loop lists
 * tenants it has seen before instead of hanging the test. */
#define SERVER_TENANT_PAGE_CAP 50

static gboolean
handle_platform (HostileServer     *hs,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  char *body;

  if (g_str_has_suffix (path, "/platform/login"))
    {
      body = envelope ("{\"token\":\"tok-1\",\"tokenType\":\"Bearer\",\"expiresIn\":900,"
                       "\"expiresAt\":\"2036-01-01T00:00:00Z\"}");
      set_json (msg, 200, body, strlen (body), NULL);
      return TRUE;
    }
  if (g_str_has_suffix (path, "/platform/tenants"))
    {
      const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
      gboolean last;
      g_autofree char *result = NULL;

      if (g_strcmp0 (soup_message_headers_get_one (request_headers, "Authorization"),
                     "Bearer tok-1") != 0)
        {
          body = failure (401, "Unauthorized", "{\"code\":\"UNAUTHENTICATED\"}");
          set_json (msg, 401, body, strlen (body), NULL);
          return TRUE;
        }
      g_mutex_lock (&hs->lock);
      last = ++hs->tenant_requests >= SERVER_TENANT_PAGE_CAP;
      g_mutex_unlock (&hs->lock);
      result = g_strdup_printf ("{\"items\":[{\"externalId\":\"%s\",\"tenantName\":\"T\","
                                "\"licenseType\":\"SESSION\","
                                "\"startDate\":\"2026-01-01T00:00:00Z\","
                                "\"endDate\":\"2026-12-31T23:59:59Z\",\"totalPurchase\":10,"
                                "\"consumed\":1,\"available\":9,\"overage\":0}],"
                                "\"nextCursor\":%s,\"hasMore\":%s}",
                                g_strcmp0 (cursor, "ta") == 0 ? "tenant-b" : "tenant-a",
                                last ? "null" : g_strcmp0 (cursor, "ta") == 0 ? "\"tb\"" : "\"ta\"",
                                last ? "false" : "true");
      body = envelope (result);
      set_json (msg, 200, body, strlen (body), NULL);
      return TRUE;
    }
  return FALSE;
}

static void
handle_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  HostileServer *hs = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  const char *if_none_match = soup_message_headers_get_one (request_headers, "If-None-Match");

  if (handle_platform (hs, msg, path, query))
    return;
  if (g_strcmp0 (soup_message_headers_get_one (request_headers, "Luma-api-access-key"),
                 "acme-key") != 0)
    {
      char *body = g_strdup ("{\"status\":\"failure\",\"statusCode\":401,\"statusLine\":"
                             "\"Unauthorized\",\"errors\":[{\"code\":\"UNAUTHENTICATED\"}],"
                             "\"resultData\":null}");

      set_json (msg, 401, body, strlen (body), NULL);
      return;
    }

  if (g_str_has_suffix (path, "/subscription"))
    {
      if (g_strcmp0 (if_none_match, "\"sub-1\"") == 0)
        {
          soup_server_message_set_status (msg, 304, NULL);
          return;
        }
      {
        char *body = envelope ("{\"externalId\":\"acme\",\"tenantName\":\"Acme\","
                               "\"licenseType\":\"SESSION\","
                               "\"startDate\":\"2026-01-01T00:00:00Z\","
                               "\"endDate\":\"2026-12-31T23:59:59Z\","
                               "\"sessionDurationMinutes\":30,\"totalPurchase\":100,"
                               "\"consumed\":3,\"available\":97,\"overage\":0,"
                               "\"technicalEmails\":[\"it@acme.example\"],"
                               "\"billingEmails\":[\"ap@acme.example\"],\"version\":1}");

        set_json (msg, 200, body, strlen (body), "\"sub-1\"");
      }
      return;
    }
  if (g_str_has_suffix (path, "/subscription/purchases"))
    {
      if (g_strcmp0 (if_none_match, "\"pur-1\"") == 0)
        {
          soup_server_message_set_status (msg, 304, NULL);
          return;
        }
      {
        char *body = envelope ("{\"items\":[{\"purchaseId\":\"P-1\","
                               "\"performedOn\":\"2026-01-01T00:00:00Z\",\"kind\":\"PURCHASE\","
                               "\"change\":100,\"totalAfter\":100,\"performedBy\":\"root\","
                               "\"reason\":\"Initial purchase\",\"reference\":null}]}");

        set_json (msg, 200, body, strlen (body), "\"pur-1\"");
      }
      return;
    }
  if (g_str_has_suffix (path, "/subscription/consumption"))
    {
      const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
      FeedMode mode;
      gboolean cap;
      guint status = 200;
      char *body;

      /* As web servers do with a request line longer than they take. */
      if (cursor != NULL && strlen (cursor) > 8192)
        {
          body = failure (414, "URI Too Long", "{\"code\":\"INVALID_PARAMETER\"}");
          set_json (msg, 414, body, strlen (body), NULL);
          return;
        }

      g_mutex_lock (&hs->lock);
      g_ptr_array_add (hs->cursors_seen, g_strdup (cursor != NULL ? cursor : ""));
      hs->consumption_requests++;
      cap = hs->consumption_requests > SERVER_PAGE_CAP;
      if (cap)
        hs->cap_hit = TRUE;
      mode = hs->mode;
      if (mode == FEED_TRICKLE && !cap)
        {
          g_mutex_unlock (&hs->lock);
          trickle_start (msg, cursor);
          return;
        }
      if (cap)
        body = page ("", "capped", FALSE, "0");
      else
        body = hostile_page (hs, mode, cursor, &status);
      g_mutex_unlock (&hs->lock);

      set_json (msg, status, body, strlen (body), NULL);
      return;
    }

  soup_server_message_set_status (msg, 404, NULL);
}

static gpointer
server_thread (gpointer user_data)
{
  HostileServer *hs = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri_string = NULL;

  g_main_context_push_thread_default (hs->context);

  hs->server = soup_server_new ("server-header", "hostile-test", NULL);
  soup_server_add_handler (hs->server, "/gateway/api/v1", handle_cb, hs, NULL);
  /* Our own socket on 127.0.0.1, port chosen by the kernel. */
  {
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_no_error (error);
    g_socket_bind (socket, any_port, TRUE, &error);
    g_assert_no_error (error);
    g_socket_listen (socket, &error);
    g_assert_no_error (error);
    bound = g_socket_get_local_address (socket, &error);
    g_assert_no_error (error);
    uri_string = g_strdup_printf ("http://127.0.0.1:%u/",
                                  g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    soup_server_listen_socket (hs->server, socket, 0, &error);
    g_assert_no_error (error);
  }

  g_mutex_lock (&hs->lock);
  hs->base_url = g_strdup_printf ("%sgateway/api/v1", uri_string);
  hs->ready = TRUE;
  g_cond_signal (&hs->ready_cond);
  g_mutex_unlock (&hs->lock);

  g_main_loop_run (hs->loop);

  soup_server_disconnect (hs->server);
  g_clear_object (&hs->server);
  g_main_context_pop_thread_default (hs->context);
  return NULL;
}

static HostileServer *
hostile_server_start (void)
{
  HostileServer *hs = g_new0 (HostileServer, 1);

  g_mutex_init (&hs->lock);
  g_cond_init (&hs->ready_cond);
  hs->cursors_seen = g_ptr_array_new_with_free_func (g_free);
  hs->context = g_main_context_new ();
  hs->loop = g_main_loop_new (hs->context, FALSE);
  hs->thread = g_thread_new ("hostile-server", server_thread, hs);

  g_mutex_lock (&hs->lock);
  while (!hs->ready)
    g_cond_wait (&hs->ready_cond, &hs->lock);
  g_mutex_unlock (&hs->lock);
  return hs;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
hostile_server_stop (HostileServer *hs)
{
  g_main_context_invoke (hs->context, quit_cb, hs->loop);
  g_thread_join (hs->thread);
  g_main_loop_unref (hs->loop);
  g_main_context_unref (hs->context);
  g_ptr_array_unref (hs->cursors_seen);
  g_free (hs->base_url);
  g_mutex_clear (&hs->lock);
  g_cond_clear (&hs->ready_cond);
  g_free (hs);
}

static void
hostile_server_set_mode (HostileServer *hs,
                         FeedMode       mode)
{
  g_mutex_lock (&hs->lock);
  hs->mode = mode;
  hs->consumption_requests = 0;
  hs->cap_hit = FALSE;
  g_ptr_array_set_size (hs->cursors_seen, 0);
  g_mutex_unlock (&hs->lock);
}

/* ---- The client side ---------------------------------------------------------------------- */

typedef struct
{
  HostileServer *server;
  char          *cache_path;
  LumaApiClient *client;
  LumaCache     *cache;
  LumaSync      *sync;
  char          *good_records;   /* records_fingerprint() after the good feed */
} Fixture;

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static LumaSyncSummary *
run_sync (Fixture  *f,
          GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  LumaSyncSummary *summary;

  luma_sync_run_async (f->sync, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = luma_sync_run_finish (f->sync, result, error);
  while (luma_sync_get_indexing (f->sync))
    g_main_context_iteration (NULL, TRUE);
  return summary;
}

/* SHA-256 over every row of every data table of the cache file, read with plain SQLite. */
static char *
cache_fingerprint (const char *path,
                   gint64     *sessions_out)
{
  static const char * const tables[] = {
    "meta", "sync_state", "subscription", "purchases", "sessions", "users",
    "conversation_sets", "conversations", "messages", "outbox", "contacts_conflict",
    "notified_thresholds",
  };
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      /* The count of syncs failed on the stored cursor is the one row a failure writes. */
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s %s ORDER BY 1, 2", tables[t],
                                              g_str_equal (tables[t], "meta")
                                              ? "WHERE key <> 'sync.cursor-failures'" : "");
      sqlite3_stmt *stmt = NULL;
      int rc;

      if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        g_error ("cannot read table %s of the cache: %s", tables[t], sqlite3_errmsg (db));
      g_checksum_update (checksum, (const guchar *) tables[t], -1);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const void *blob = sqlite3_column_blob (stmt, c);
              int n = sqlite3_column_bytes (stmt, c);
              char type = (char) ('0' + sqlite3_column_type (stmt, c));

              g_checksum_update (checksum, (const guchar *) &type, 1);
              if (blob != NULL)
                g_checksum_update (checksum, blob, n);
              g_checksum_update (checksum, (const guchar *) "\x1f", 1);
            }
          g_checksum_update (checksum, (const guchar *) "\x1e", 1);
        }
      g_assert_cmpint (rc, ==, SQLITE_DONE);
      sqlite3_finalize (stmt);
    }
  if (sessions_out != NULL)
    {
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sessions", -1, &stmt, NULL),
                       ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      *sessions_out = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  return g_strdup (g_checksum_get_string (checksum));
}

/* The records only: SHA-256 over the rows of the sessions and users tables. */
static char *
records_fingerprint (const char *path,
                     gint64     *rows_out)
{
  static const char * const sql[] = {
    "SELECT session_id, started_on, initiated_by, user_name, email, role, agent_name, channel, "
    "conversations FROM sessions ORDER BY session_id",
    "SELECT * FROM users ORDER BY 1",
  };
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  sqlite3 *db = NULL;
  gint64 rows = 0;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  for (guint t = 0; t < G_N_ELEMENTS (sql); t++)
    {
      sqlite3_stmt *stmt = NULL;
      int rc;

      if (sqlite3_prepare_v2 (db, sql[t], -1, &stmt, NULL) != SQLITE_OK)
        g_error ("cannot read the records of the cache: %s", sqlite3_errmsg (db));
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const void *blob = sqlite3_column_blob (stmt, c);

              if (blob != NULL)
                g_checksum_update (checksum, blob, sqlite3_column_bytes (stmt, c));
              g_checksum_update (checksum, (const guchar *) "\x1f", 1);
            }
          rows++;
        }
      g_assert_cmpint (rc, ==, SQLITE_DONE);
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  *rows_out = rows;
  return g_strdup (g_checksum_get_string (checksum));
}

/* "ok", or what PRAGMA integrity_check found. */
static char *
integrity_check (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GString *result = g_string_new (NULL);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (result->len > 0)
        g_string_append (result, "; ");
      g_string_append (result, (const char *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (result, FALSE);
}

static gint64
proc_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

static gint64
vm_rss_kb (void)
{
  return proc_status_kb ("VmRSS:");
}

/* Starts a new peak: VmHWM is set back to the present VmRSS. */
static void
reset_peak_rss (void)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY);

  if (fd < 0 || write (fd, "5", 1) != 1)
    g_test_message ("cannot reset the peak RSS: the growth is measured from the start");
  if (fd >= 0)
    close (fd);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "hostile", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  f->cache_path = g_build_filename (dir, "cache.db", NULL);
  f->server = hostile_server_start ();

  f->client = luma_api_client_new (f->server->base_url, &error);
  g_assert_no_error (error);
  luma_api_client_set_tenant_credentials (f->client, "acme", "acme-key");
  /* Broken bodies are retried like a 503: keep that short. */
  luma_api_client_set_retry_policy (f->client, 2, 1, 5);
  luma_api_client_set_timeout (f->client, 60);
  luma_api_client_set_deadline (f->client, TEST_DEADLINE_S);

  f->cache = luma_cache_open_path (f->cache_path, NULL, &error);
  g_assert_no_error (error);
  f->sync = luma_sync_new (f->client, f->cache);

  /* The good feed first: three records, cursor CURSOR_2. */
  summary = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_cmpint (summary->total_records, ==, 3);
  {
    gint64 rows = 0;

    f->good_records = records_fingerprint (f->cache_path, &rows);
    g_assert_cmpint (rows, ==, 3);
  }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->sync);
  if (f->cache != NULL)
    luma_cache_close (f->cache);
  g_clear_object (&f->cache);
  g_clear_object (&f->client);
  hostile_server_stop (f->server);
  g_free (f->cache_path);
  g_free (f->good_records);
}

/* Logs every failure (the TAP line shows only one) and marks the case failed. */
#define hostile_fail(...) G_STMT_START { \
    g_autofree char *_m = g_strdup_printf (__VA_ARGS__); \
    g_test_message ("FAILED: %s", _m); \
    g_test_fail_printf ("%s", _m); \
  } G_STMT_END

/* What one hostile answer must produce. */
typedef struct
{
  FeedMode     mode;
  const char  *what;        /* for the test log */
  const char  *needles[3];  /* the message must name the problem: one of these (case-insensitive) */
  gboolean     timeout;     /* LUMA_API_ERROR_TIMEOUT rather than LUMA_API_ERROR_PROTOCOL */
} HostileCase;

static gboolean
message_names_problem (const char         *message,
                       const char * const *needles)
{
  g_autofree char *lower = g_ascii_strdown (message, -1);

  for (guint i = 0; i < 3 && needles[i] != NULL; i++)
    {
      g_autofree char *needle = g_ascii_strdown (needles[i], -1);

      if (strstr (lower, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_hostile (Fixture       *f,
              gconstpointer  data)
{
  const HostileCase *hc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autoptr(LumaSyncSummary) again = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 rows_before = 0, rows_after = 0;
  g_autofree char *integrity = NULL;
  g_autofree char *records = NULL;
  gint64 rss_kb, rss_start_kb, peak_kb, records_rows = 0;
  LumaApiError expected = hc->timeout ? LUMA_API_ERROR_TIMEOUT : LUMA_API_ERROR_PROTOCOL;
  guint requests;
  gboolean cap_hit;

  before = cache_fingerprint (f->cache_path, &rows_before);
  g_assert_cmpint (rows_before, ==, 3);

  hostile_server_set_mode (f->server, hc->mode);
  reset_peak_rss ();
  rss_start_kb = vm_rss_kb ();
  summary = run_sync (f, &error);
  peak_kb = proc_status_kb ("VmHWM:");

  g_mutex_lock (&f->server->lock);
  requests = f->server->consumption_requests;
  cap_hit = f->server->cap_hit;
  g_mutex_unlock (&f->server->lock);
  g_test_message ("%s: %u consumption requests; %s", hc->what, requests,
                  error != NULL ? error->message : "no error");

  /* A clear error. */
  if (cap_hit)
    hostile_fail ("%s: the client asked for %u pages without noticing that the feed "
                        "never ends; it should stop with a protocol error", hc->what, requests);
  if (error == NULL)
    {
      hostile_fail ("%s: the sync succeeded (%s); expected LumaApiError %d",
                          hc->what, summary != NULL ? "a summary" : "no summary", expected);
    }
  else
    {
      if (!g_error_matches (error, LUMA_API_ERROR, expected))
        hostile_fail ("%s: expected LumaApiError %d, got %s %d: %s", hc->what, expected,
                            g_quark_to_string (error->domain), error->code, error->message);
      if (!message_names_problem (error->message, hc->needles))
        hostile_fail ("%s: the message does not name the problem (%s): %s", hc->what,
                            hc->needles[0], error->message);
      /* Never the whole 10 MB string, and printable as it is. */
      g_assert_cmpuint (strlen (error->message), <, 2048);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }

  /* The cache is unchanged, row for row. */
  after = cache_fingerprint (f->cache_path, &rows_after);
  if (g_strcmp0 (before, after) != 0)
    hostile_fail ("%s: the cache changed (%" G_GINT64_FORMAT " session rows before, %"
                        G_GINT64_FORMAT " after)", hc->what, rows_before, rows_after);

  integrity = integrity_check (f->cache_path);
  if (g_strcmp0 (integrity, "ok") != 0)
    hostile_fail ("%s: PRAGMA integrity_check: %s", hc->what, integrity);

  /* Memory stays bounded. */
  rss_kb = vm_rss_kb ();
  g_test_message ("%s: VmRSS %" G_GINT64_FORMAT " kB, peak %" G_GINT64_FORMAT " kB, %"
                  G_GINT64_FORMAT " kB at the start", hc->what, rss_kb, peak_kb, rss_start_kb);
  if (peak_kb - rss_start_kb >= RSS_GROWTH_LIMIT_KB)
    hostile_fail ("%s: the peak RSS grew by %" G_GINT64_FORMAT " MB (limit %d MB)", hc->what,
                  (peak_kb - rss_start_kb) / 1024, RSS_GROWTH_LIMIT_KB / 1024);
  g_assert_cmpint (rss_kb, <, RSS_LIMIT_KB);

  /* Still up, and the good feed gives exactly the good records again. */
  hostile_server_set_mode (f->server, FEED_GOOD);
  g_clear_error (&error);
  again = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_cmpint (again->total_records, ==, 3);
  records = records_fingerprint (f->cache_path, &records_rows);
  g_assert_cmpint (records_rows, ==, 3);
  g_assert_cmpstr (records, ==, f->good_records);
}

/* The cursors of the good feed hold characters a query string must escape: each comes
 * back to the server exactly as it was sent, across a restart of the cache. */
static void
test_cursor_round_trip (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autofree char *stored = luma_cache_get_cursor (f->cache, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, CURSOR_2);

  /* Reopen the cache, as the next start of the app would. */
  g_clear_object (&f->sync);
  luma_cache_close (f->cache);
  g_clear_object (&f->cache);
  f->cache = luma_cache_open_path (f->cache_path, NULL, &error);
  g_assert_no_error (error);
  f->sync = luma_sync_new (f->client, f->cache);

  hostile_server_set_mode (f->server, FEED_GOOD);
  summary = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_false (summary->full);
  g_assert_cmpint (summary->new_records, ==, 0);

  g_mutex_lock (&f->server->lock);
  g_assert_cmpuint (f->server->cursors_seen->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->server->cursors_seen, 0), ==, CURSOR_2);
  g_mutex_unlock (&f->server->lock);
}

/* The runs in a row that may fail on the stored cursor before it is dropped
 * (docs/reliability.md). */
#define CURSOR_FAILURES 3

/* A stored cursor on which the server always fails, although it answers everything else:
 * after CURSOR_FAILURES failed syncs it is dropped, saying so, and the next sync starts
 * over and reaches the good records. */
static void
test_cursor_keeps_failing (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autofree char *records = NULL;
  g_autofree char *integrity = NULL;
  gint64 rows = 0;

  hostile_server_set_mode (f->server, FEED_FAIL_ON_STORED);
  for (guint i = 1; i <= CURSOR_FAILURES; i++)
    {
      g_autoptr(LumaSyncSummary) failed = run_sync (f, &error);
      g_autofree char *stored = NULL;

      g_assert_null (failed);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
      g_test_message ("run %u: %s", i, error->message);
      g_clear_error (&error);
      stored = luma_cache_get_cursor (f->cache, &error);
      g_assert_no_error (error);
      if (i < CURSOR_FAILURES)
        g_assert_cmpstr (stored, ==, CURSOR_2);
      else
        g_assert_null (stored);
    }

  summary = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_true (summary->full);
  g_assert_cmpint (summary->total_records, ==, 3);
  records = records_fingerprint (f->cache_path, &rows);
  g_assert_cmpint (rows, ==, 3);
  g_assert_cmpstr (records, ==, f->good_records);
  integrity = integrity_check (f->cache_path);
  g_assert_cmpstr (integrity, ==, "ok");
}

/* Only the last failure says that the cursor was dropped; a success in between starts
 * the count again. */
static void
test_cursor_failure_message (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(LumaSyncSummary) good = NULL;

      hostile_server_set_mode (f->server, FEED_FAIL_ON_STORED);
      for (guint i = 1; i < CURSOR_FAILURES; i++)
        {
          g_autoptr(LumaSyncSummary) failed = run_sync (f, &error);

          g_assert_null (failed);
          g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
          g_assert_null (strstr (error->message, "dropped"));
          g_clear_error (&error);
        }
      hostile_server_set_mode (f->server, FEED_GOOD);
      good = run_sync (f, &error);
      g_assert_no_error (error);
      g_assert_false (good->full);
    }

  hostile_server_set_mode (f->server, FEED_FAIL_ON_STORED);
  for (guint i = 1; i <= CURSOR_FAILURES; i++)
    {
      g_autoptr(LumaSyncSummary) failed = run_sync (f, &error);

      g_assert_null (failed);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
      if (i == CURSOR_FAILURES)
        g_assert_nonnull (strstr (error->message, "dropped"));
      g_clear_error (&error);
    }
}

/* A full sync after the stored cursor was reset (here: one too long to send) starts the
 * count of failures again: one failure on the new cursor does not drop it. */
static void
test_cursor_failures_after_reset (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autoptr(LumaSyncSummary) failed = NULL;
  g_autofree char *long_cursor = g_strnfill (64 * 1024, 'q');
  g_autofree char *stored = NULL;

  hostile_server_set_mode (f->server, FEED_FAIL_ON_STORED);
  for (guint i = 1; i < CURSOR_FAILURES; i++)
    {
      g_autoptr(LumaSyncSummary) run = run_sync (f, &error);

      g_assert_null (run);
      g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
      g_clear_error (&error);
    }

  luma_cache_commit_batch (f->cache, long_cursor, NULL, &error);
  g_assert_no_error (error);
  hostile_server_set_mode (f->server, FEED_GOOD);
  summary = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_true (summary->full);
  g_assert_nonnull (summary->cursor_dropped);

  hostile_server_set_mode (f->server, FEED_FAIL_ON_STORED);
  failed = run_sync (f, &error);
  g_assert_null (failed);
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_SERVER);
  g_assert_null (strstr (error->message, "dropped"));
  g_clear_error (&error);
  stored = luma_cache_get_cursor (f->cache, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, CURSOR_2);
}

/* A cursor stored by a version that took any length, too long for a request line: it is
 * never sent; the sync starts over, says why, and reaches the good records. */
static void
test_stored_long_cursor (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LumaSyncSummary) summary = NULL;
  g_autofree char *long_cursor = g_strnfill (64 * 1024, 'q');
  g_autofree char *records = NULL;
  g_autofree char *text = NULL;
  gint64 rows = 0;

  luma_cache_commit_batch (f->cache, long_cursor, NULL, &error);
  g_assert_no_error (error);

  hostile_server_set_mode (f->server, FEED_GOOD);
  summary = run_sync (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_true (summary->full);
  g_assert_nonnull (summary->cursor_dropped);
  text = luma_sync_summary_to_string (summary);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "dropped"));
  g_assert_cmpint (summary->total_records, ==, 3);
  records = records_fingerprint (f->cache_path, &rows);
  g_assert_cmpstr (records, ==, f->good_records);

  g_mutex_lock (&f->server->lock);
  for (guint i = 0; i < f->server->cursors_seen->len; i++)
    g_assert_cmpuint (strlen (g_ptr_array_index (f->server->cursors_seen, i)), <=, 1024);
  g_mutex_unlock (&f->server->lock);
}

static void
list_tenants_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Tenant pages whose cursors come back (ta -> tb -> ta) are a loop, found when the first
 * cursor returns, not after thousands of pages. */
static void
test_tenant_cursor_loop (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(LumaApiClient) root = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GError) error = NULL;
  guint requests;

  root = luma_api_client_new (f->server->base_url, &error);
  g_assert_no_error (error);
  luma_api_client_set_superadmin_credentials (root, "root", "s3cret");
  luma_api_client_set_retry_policy (root, 2, 1, 5);

  luma_api_client_list_tenants_async (root, NULL, list_tenants_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  tenants = luma_api_client_list_tenants_finish (root, result, &error);

  g_mutex_lock (&f->server->lock);
  requests = f->server->tenant_requests;
  g_mutex_unlock (&f->server->lock);
  g_test_message ("%u tenant pages; %s", requests, error != NULL ? error->message : "no error");

  g_assert_null (tenants);
  g_assert_error (error, LUMA_API_ERROR, LUMA_API_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "tenant list does not move forward"));
  g_assert_cmpuint (requests, ==, 3);
}

static const HostileCase cases[] = {
  { FEED_WRONG_TYPE, "wrong-type", { "conversations", NULL } },
  { FEED_MISSING_FIELD, "missing-field", { "startedOn", NULL } },
  { FEED_HUGE_STRING, "huge-string", { "userName", NULL } },
  { FEED_DEEP_NESTING, "deep-nesting", { "items", "nest", "depth" } },
  { FEED_OUT_OF_RANGE, "out-of-range", { "conversations", NULL } },
  { FEED_NEGATIVE_COUNT, "negative-count", { "conversations", NULL } },
  { FEED_NEGATIVE_REMAINING, "negative-remaining", { "remaining", NULL } },
  { FEED_NOT_UTF8, "not-utf8", { "UTF-8", NULL } },
  { FEED_DUPLICATES, "duplicates", { "S-10", "duplicate", "twice" } },
  { FEED_SAME_CURSOR_WITH_ITEMS, "cursor-repeats", { "cursor", "forward", "loop" } },
  { FEED_CURSOR_BACKWARDS, "cursor-backwards", { "cursor", "forward", "loop" } },
  { FEED_ENDLESS, "endless-feed", { "cursor", "never ends", "remaining" } },
  { FEED_ENDLESS_EMPTY, "endless-empty-feed", { "cursor", "forward", "loop" } },
  { FEED_ENDLESS_REMAINING, "endless-feed-remaining", { "never ends", "pages", NULL } },
  { FEED_HUGE_PAGE, "huge-page", { "larger than 4 MB", NULL } },
  { FEED_WIDE_ARRAYS, "wide-arrays", { "values", NULL } },
  { FEED_WIDE_OBJECTS, "wide-objects", { "values", NULL } },
  { FEED_WIDE_STRICT_PAGE, "wide-page-strict-path", { "JSON values, more than the 32256", NULL } },
  { FEED_WIDE_ERROR_OBJECTS, "wide-error-objects", { "larger than 64 kB", NULL } },
  { FEED_WIDE_ERROR_ARRAYS, "wide-error-arrays", { "values", NULL } },
  { FEED_LONG_CURSOR, "long-cursor", { "nextCursor", NULL } },
  { FEED_EMPTY_HAS_MORE, "empty-page-has-more", { "hasMore", NULL } },
  { FEED_REMAINING_HUGE, "remaining-huge", { "announces", NULL } },
  { FEED_LICENSE_CHANGE, "license-type-changes", { "license type", NULL } },
  { FEED_TRICKLE, "trickled-body", { "deadline", NULL }, TRUE },
};

int
main (int   argc,
      char *argv[])
{
  g_autofree char **args = NULL;

  /* Every case reports (--keep-going), not only the first that fails. */
  args = g_new0 (char *, argc + 2);
  memcpy (args, argv, sizeof (char *) * (gsize) argc);
  args[argc++] = (char *) "--keep-going";
  argv = args;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/hostile/cursor-round-trip", Fixture, NULL, fixture_setup,
              test_cursor_round_trip, fixture_teardown);
  g_test_add ("/hostile/cursor-keeps-failing", Fixture, NULL, fixture_setup,
              test_cursor_keeps_failing, fixture_teardown);
  g_test_add ("/hostile/cursor-failure-message", Fixture, NULL, fixture_setup,
              test_cursor_failure_message, fixture_teardown);
  g_test_add ("/hostile/cursor-failures-after-reset", Fixture, NULL, fixture_setup,
              test_cursor_failures_after_reset, fixture_teardown);
  g_test_add ("/hostile/stored-long-cursor", Fixture, NULL, fixture_setup,
              test_stored_long_cursor, fixture_teardown);
  g_test_add ("/hostile/tenant-cursor-loop", Fixture, NULL, fixture_setup,
              test_tenant_cursor_loop, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/%s", cases[i].what);

      g_test_add (path, Fixture, &cases[i], fixture_setup, test_hostile, fixture_teardown);
    }

  return g_test_run ();
}
