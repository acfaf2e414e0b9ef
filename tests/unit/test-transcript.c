/* test-transcript.c: a session's or user's conversations as plain text and CSV
 *
 * Runs in New York time and the C locale: the text shows local times, the
 * CSV UTC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <time.h>

#include "luma-transcript.h"

/* 2026-03-14T13:26:53Z, 09:26:53 in New York (EDT) */
#define T0 ((gint64) 1773494813)

static LumaMessage *
message (LumaSender  sender,
         const char *name,
         gint64      sent_at,
         const char *text)
{
  LumaMessage *m = g_new0 (LumaMessage, 1);

  m->sender = sender;
  m->sender_name = g_strdup (name);
  m->sent_at = sent_at;
  m->text = g_strdup (text);
  return m;
}

static GPtrArray *
make_conversations (void)
{
  GPtrArray *conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_conversation_free);
  LumaConversation *c = g_new0 (LumaConversation, 1);

  c->conversation_id = g_strdup ("C-1");
  c->session_id = g_strdup ("S-1");
  c->channel = LUMA_CHANNEL_MS_TEAMS;
  c->started_on = T0;
  c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) luma_message_free);
  g_ptr_array_add (c->messages, message (LUMA_SENDER_USER, "Zoë Müller", T0, "Hello, \"bot\""));
  g_ptr_array_add (c->messages, message (LUMA_SENDER_BOT, "Luma", T0 + 5, "Two\nlines"));
  g_ptr_array_add (c->messages, message (LUMA_SENDER_AGENT, "=cmd|' /C calc'!A0", T0 + 65, "-1+1"));
  g_ptr_array_add (conversations, c);

  c = g_new0 (LumaConversation, 1);
  c->conversation_id = g_strdup ("C-2");
  c->session_id = g_strdup ("S-1");
  c->channel = LUMA_CHANNEL_WEB_WIDGET;
  c->started_on = T0 + 86400;
  g_ptr_array_add (conversations, c);
  return conversations;
}

static void
test_text (void)
{
  g_autoptr(GPtrArray) conversations = make_conversations ();
  g_autofree char *text = luma_transcript_to_text ("S-1", "Zoë Müller", conversations);
  g_autofree char *no_name = luma_transcript_to_text ("S-1", NULL, conversations);

  g_assert_cmpstr (text, ==,
                   "Conversations of Zoë Müller (S-1)\n"
                   "\n"
                   "C-1 · MS Teams · 03/14/26 09:26:53\n"
                   "[09:26:53] Zoë Müller (User): Hello, \"bot\"\n"
                   "[09:26:58] Luma (Bot): Two\n"
                   "    lines\n"
                   "[09:27:58] =cmd|' /C calc'!A0 (Agent): -1+1\n"
                   "\n"
                   "C-2 · Web Widget · 03/15/26 09:26:53\n");
  g_assert_true (g_str_has_prefix (no_name, "Conversations of S-1\n\n"));
}

static void
test_csv (void)
{
  g_autoptr(GPtrArray) conversations = make_conversations ();
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autofree char *csv = luma_transcript_to_csv (conversations);
  g_autofree char *empty = luma_transcript_to_csv (none);
  const char *header = "Conversation ID,Session ID,User ID,Channel,Conversation Started On,Message,"
                       "Sent At,Sender,Sender Name,Text\r\n";
  g_autofree char *expected = g_strconcat (
    header,
    "C-1,S-1,,MS Teams,2026-03-14T13:26:53Z,1,2026-03-14T13:26:53Z,User,Zoë Müller,\"Hello, \"\"bot\"\"\"\r\n",
    "C-1,S-1,,MS Teams,2026-03-14T13:26:53Z,2,2026-03-14T13:26:58Z,Bot,Luma,\"Two\nlines\"\r\n",
    /* Formulas are guarded in text fields. */
    "C-1,S-1,,MS Teams,2026-03-14T13:26:53Z,3,2026-03-14T13:27:58Z,Agent,'=cmd|' /C calc'!A0,'-1+1\r\n",
    NULL);

  g_assert_cmpstr (csv, ==, expected);
  g_assert_cmpstr (empty, ==, header);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", "America/New_York", TRUE);
  tzset ();

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/transcript/text", test_text);
  g_test_add_func ("/transcript/csv", test_csv);

  return g_test_run ();
}
