/* luma-transcript.h: the conversations of a session or user as plain text and CSV
 *
 * What the conversation window exports. The plain text is for people (a
 * heading per conversation, then "[TIME] NAME (Sender): text", dates and
 * times in the viewer's time zone, labels translated); the CSV is for
 * programs (one row per message, times ISO 8601 UTC, values in English,
 * text fields through the formula guard of luma-csv.h). No GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "luma-models.h"

G_BEGIN_DECLS

/* @record_id: the session or user id; @user_name: (nullable) the user's
 * name, for the heading; @conversations: LumaConversation*. Lines end in
 * LF; a message of several lines is indented under its sender line. */
char *luma_transcript_to_text (const char *record_id,
                               const char *user_name,
                               GPtrArray  *conversations);

/* Header: Conversation ID, Session ID, User ID, Channel, Conversation
 * Started On, Message, Sent At, Sender, Sender Name, Text (translated
 * headings). CRLF line ends, as RFC 4180. */
char *luma_transcript_to_csv  (GPtrArray  *conversations);

G_END_DECLS
