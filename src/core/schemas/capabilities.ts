// The per-chat capability object: what the chat's network accepts. It mirrors the
// room-features model of mautrix bridges, so values from real bridges fit as-is.
import * as z from 'zod';
import { SupportLevel } from './common.ts';

const level = SupportLevel;

export const AttachmentCapabilities = z
  .object({
    mimeTypes: z
      .record(z.string(), level)
      .describe('Support level per MIME type or pattern such as "image/*". A type that matches nothing is rejected.'),
    caption: level.optional(),
    maxCaptionLength: z.int().optional().describe('Longest caption accepted, in characters.'),
    maxSize: z.int().optional().describe('Largest file accepted, in bytes.'),
    maxWidth: z.int().optional().describe('Widest image or video accepted, in pixels.'),
    maxHeight: z.int().optional().describe('Tallest image or video accepted, in pixels.'),
    maxDuration: z.int().optional().describe('Longest audio or video accepted, in seconds.'),
    viewOnce: z.boolean().optional().describe('Whether this kind of file can be sent as view-once.'),
  })
  .meta({ id: 'AttachmentCapabilities', description: 'Limits for one kind of attachment.' });

const stateLevel = z.object({ level });

export const ChatStateCapabilities = z
  .object({
    disappearingTimer: stateLevel.optional().describe('Changing the disappearing-message timer.'),
    avatar: stateLevel.optional().describe('Changing the chat picture.'),
    title: stateLevel.optional().describe('Renaming the chat.'),
    description: stateLevel.optional().describe('Changing the topic or description.'),
  })
  .meta({ id: 'ChatStateCapabilities', description: 'Which chat settings can be changed.' });

export const ChatCapabilities = z
  .object({
    formatting: z.record(z.string(), level).optional().describe('Rich-text features by name (bold, inline_code, …). Absent: plain text only.'),
    attachments: z
      .record(z.string(), AttachmentCapabilities)
      .optional()
      .describe('Attachment kinds by Matrix msgtype (m.image, m.file, …) with their limits. Absent kinds are rejected.'),
    maxTextLength: z.int().optional().describe('Longest text message accepted, in characters.'),
    locationMessage: level.optional(),
    poll: level.optional(),
    thread: level.optional(),
    reply: level.optional(),
    edit: level.optional(),
    editMaxCount: z.int().optional().describe('How many times one message may be edited.'),
    editMaxAge: z.int().optional().describe('How old a message may be and still be edited, in seconds.'),
    delete: level.optional(),
    deleteMaxAge: z.int().optional().describe('How old a message may be and still be deleted for everyone, in seconds.'),
    deleteForMe: z.boolean().optional().describe('Whether a message can be deleted for yourself only.'),
    messageRequest: z
      .object({ acceptWithMessage: level.optional(), acceptWithButton: level.optional() })
      .optional()
      .describe('Present while the chat is a message request (someone outside your contacts wrote first): how it can be accepted. Replying accepts it where acceptWithMessage > 0.'),
    reaction: level.optional(),
    reactionCount: z.int().optional().describe('How many reactions one person may put on one message.'),
    allowedReactions: z.array(z.string()).optional().describe('The only reactions accepted. Absent: any emoji.'),
    customEmojiReactions: z.boolean().optional().describe('Whether custom (non-Unicode) emoji can be used as reactions.'),
    disappearingTimer: z
      .object({
        types: z.array(z.enum(['afterRead', 'afterSend'])).optional(),
        timers: z.array(z.int()).optional().describe('Accepted timer values in milliseconds. Absent: any value.'),
        omitEmptyTimer: z.boolean().optional(),
      })
      .optional()
      .describe('Disappearing-message timers the network offers.'),
    readReceipts: z.boolean().optional(),
    typingNotifications: z.boolean().optional(),
    archive: z.boolean().optional(),
    markAsUnread: z.boolean().optional(),
    deleteChat: z.boolean().optional(),
    deleteChatForEveryone: z.boolean().optional(),
    participantActions: z
      .object({
        ban: level.optional(),
        invite: level.optional(),
        kick: level.optional(),
        leave: level.optional(),
        revokeInvite: level.optional(),
      })
      .optional(),
    state: ChatStateCapabilities.optional(),
  })
  .meta({ id: 'ChatCapabilities', description: "What this chat's network accepts; operations it rejects fail before anything is sent." });
export type ChatCapabilities = z.infer<typeof ChatCapabilities>;
export type AttachmentCapabilities = z.infer<typeof AttachmentCapabilities>;
