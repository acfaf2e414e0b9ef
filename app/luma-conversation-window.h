/* luma-conversation-window.h: the conversations of one history record and their transcripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "luma-sync.h"

G_BEGIN_DECLS

#define LUMA_TYPE_CONVERSATION_WINDOW (luma_conversation_window_get_type ())

G_DECLARE_FINAL_TYPE (LumaConversationWindow, luma_conversation_window, LUMA,
                      CONVERSATION_WINDOW, AdwWindow)

/* Starts fetching (from the cache when it has them, else the server). */
LumaConversationWindow *luma_conversation_window_new              (LumaSync               *sync,
                                                                   LumaLicenseType         license_type,
                                                                   const char             *record_id,
                                                                   const char             *user_name);
/* FALSE while loading. */
gboolean                luma_conversation_window_get_loaded       (LumaConversationWindow *self);
/* The conversations shown (LumaConversation*), or NULL. */
GPtrArray              *luma_conversation_window_get_conversations (LumaConversationWindow *self);
/* Shows the transcript of conversation @index. */
void                    luma_conversation_window_select           (LumaConversationWindow *self,
                                                                   guint                   index);
/* The transcript's rows: date separators and messages, as their text. */
guint                   luma_conversation_window_get_n_transcript_rows (LumaConversationWindow *self);
/* Saves the conversations shown to @file as plain text or CSV
 * (luma-transcript.h), through a temporary file, as Export does after its
 * file chooser. */
void                    luma_conversation_window_export_to        (LumaConversationWindow *self,
                                                                   GFile                  *file,
                                                                   gboolean                csv);

G_END_DECLS
