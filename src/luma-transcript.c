/* luma-transcript.c: the conversations of a session or user as plain text and CSV
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "luma-csv.h"
#include "luma-format.h"
#include "luma-transcript.h"

static const char * const sender_labels[] = { "User", "Bot", "Agent" };

/* The text with every line after the first indented, so a message of
 * several lines stays under its sender line. */
static void
append_indented (GString    *out,
                 const char *text,
                 const char *indent)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\r' && p[1] == '\n')
        continue;
      g_string_append_c (out, *p == '\r' ? '\n' : *p);
      if ((*p == '\n' || *p == '\r') && p[1] != '\0')
        g_string_append (out, indent);
    }
}

char *
luma_transcript_to_text (const char *record_id,
                         const char *user_name,
                         GPtrArray  *conversations)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (record_id != NULL, NULL);
  g_return_val_if_fail (conversations != NULL, NULL);

  if (user_name != NULL && *user_name != '\0')
    /* Translators: first line of an exported transcript: "Conversations of NAME (ID)" */
    g_string_append_printf (out, _("Conversations of %s (%s)"), user_name, record_id);
  else
    /* Translators: first line of an exported transcript: "Conversations of ID" */
    g_string_append_printf (out, _("Conversations of %s"), record_id);
  g_string_append_c (out, '\n');

  for (guint i = 0; i < conversations->len; i++)
    {
      const LumaConversation *c = g_ptr_array_index (conversations, i);
      g_autofree char *started = luma_format_date_time (c->started_on);

      g_string_append_c (out, '\n');
      /* Translators: heading of a conversation in an exported transcript:
       * "CONVERSATION-ID · CHANNEL · DATE AND TIME" */
      g_string_append_printf (out, _("%s · %s · %s"), c->conversation_id,
                              luma_channel_to_display (c->channel), started);
      g_string_append_c (out, '\n');

      for (guint j = 0; c->messages != NULL && j < c->messages->len; j++)
        {
          const LumaMessage *m = g_ptr_array_index (c->messages, j);
          g_autofree char *time = luma_format_time (m->sent_at);

          /* Translators: a message line of an exported transcript:
           * "[TIME] NAME (Bot): " followed by the message */
          g_string_append_printf (out, _("[%s] %s (%s): "), time,
                                  m->sender_name != NULL ? m->sender_name : "",
                                  luma_sender_to_display (m->sender));
          append_indented (out, m->text != NULL ? m->text : "", "    ");
          g_string_append_c (out, '\n');
        }
    }

  return g_string_free (out, FALSE);
}

static void
append_sep_field (GString    *out,
                  const char *value,
                  gboolean    guard)
{
  g_string_append_c (out, ',');
  luma_csv_append_field (out, value, -1, guard);
}

char *
luma_transcript_to_csv (GPtrArray *conversations)
{
  const char *header[] = {
    /* Translators: CSV headings of an exported transcript */
    C_("transcript-csv", "Conversation ID"), C_("transcript-csv", "Session ID"),
    C_("transcript-csv", "User ID"), C_("transcript-csv", "Channel"),
    C_("transcript-csv", "Conversation Started On"), C_("transcript-csv", "Message"),
    C_("transcript-csv", "Sent At"), C_("transcript-csv", "Sender"),
    C_("transcript-csv", "Sender Name"), C_("transcript-csv", "Text"),
  };
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (conversations != NULL, NULL);

  luma_csv_append_row (out, header, G_N_ELEMENTS (header));
  for (guint i = 0; i < conversations->len; i++)
    {
      const LumaConversation *c = g_ptr_array_index (conversations, i);

      for (guint j = 0; c->messages != NULL && j < c->messages->len; j++)
        {
          const LumaMessage *m = g_ptr_array_index (c->messages, j);
          char number[16];

          luma_csv_append_field (out, c->conversation_id, -1, TRUE);
          append_sep_field (out, c->session_id, TRUE);
          append_sep_field (out, c->user_id, TRUE);
          append_sep_field (out, luma_csv_channel_label (c->channel), TRUE);
          g_string_append_c (out, ',');
          luma_csv_append_time (out, c->started_on);
          g_snprintf (number, sizeof number, "%u", j + 1);
          append_sep_field (out, number, FALSE);
          g_string_append_c (out, ',');
          luma_csv_append_time (out, m->sent_at);
          append_sep_field (out, (guint) m->sender < G_N_ELEMENTS (sender_labels)
                                 ? sender_labels[m->sender] : "", TRUE);
          append_sep_field (out, m->sender_name, TRUE);
          append_sep_field (out, m->text, TRUE);
          g_string_append (out, "\r\n");
        }
    }

  return g_string_free (out, FALSE);
}
