import * as z from 'zod';
import { Dimensions, Timestamp } from './common.ts';
import { ChatCapabilities } from './capabilities.ts';
import { Participant } from './user.ts';
import { Message } from './message.ts';

export const DraftAttachment = z
  .object({
    id: z.string(),
    type: z.enum(['file', 'gif', 'recorded_audio']),
    mimeType: z.string().optional(),
    fileName: z.string().optional(),
    filePath: z.string().optional().describe('Path of the file on this machine.'),
    fileSize: z.number().optional(),
    stickerID: z.string().optional(),
    audioDurationSeconds: z.number().optional(),
    size: Dimensions.partial().optional(),
  })
  .meta({ id: 'DraftAttachment', description: 'A file waiting in a draft.' });
export type DraftAttachment = z.infer<typeof DraftAttachment>;

export const ChatDraft = z
  .object({
    text: z.string().describe('Draft body as Matrix HTML.'),
    attachments: z.record(z.string(), DraftAttachment).optional().describe('Draft files by attachment ID.'),
  })
  .nullable()
  .meta({ id: 'ChatDraft', description: 'Unsent draft of the chat, or null.' });
export type ChatDraft = z.infer<typeof ChatDraft>;

export const Reminder = z.object({
  remindAt: Timestamp.optional(),
  dismissOnIncomingMessage: z.boolean().optional(),
});

export const Chat = z
  .object({
    id: z.string().describe('Chat ID (!opaque:host), stable.'),
    localChatID: z.string().nullable().optional().describe('Short numeric ID of the chat on this server; accepted wherever a chat ID is.'),
    accountID: z.string().describe('Account the chat belongs to.'),
    network: z.string().describe('Name of the network, for display.'),
    title: z.string().describe('Title to display.'),
    description: z.string().nullable().optional().describe('Topic of a group.'),
    imgURL: z.string().nullable().optional().describe('Chat picture.'),
    type: z.enum(['single', 'group']).describe("'single' for a one-to-one chat, 'group' otherwise."),
    isReadOnly: z.boolean().optional().describe('True when you cannot send here.'),
    participants: z
      .object({
        items: z.array(Participant).describe('Members included in this response (possibly a subset).'),
        hasMore: z.boolean().describe('True when more members exist than listed.'),
        total: z.int().describe('Number of members.'),
      })
      .describe('Members of the chat.'),
    lastActivity: Timestamp.optional().describe('Time of the latest activity.'),
    unreadCount: z.int().describe('Unread messages.'),
    unreadMentionsCount: z.int().optional().describe('Unread messages that mention you or @room.'),
    lastReadMessageSortKey: z.string().optional().describe('sortKey of the last message you read.'),
    draft: ChatDraft.optional(),
    reminder: Reminder.nullable().optional().describe('Pending reminder, or null.'),
    snooze: z
      .object({ snoozeUntil: Timestamp.optional(), userSnoozedAt: Timestamp.optional() })
      .nullable()
      .optional()
      .describe('Snooze state, or null.'),
    isArchived: z.boolean().optional(),
    isMarkedUnread: z.boolean().optional().describe('True when you marked the chat unread.'),
    isMuted: z.boolean().optional(),
    isPinned: z.boolean().optional(),
    isLowPriority: z.boolean().optional(),
    messageExpirySeconds: z.int().nullable().optional().describe('Disappearing-message timer in seconds.'),
    capabilities: ChatCapabilities.optional(),
  })
  .meta({ id: 'Chat', description: 'A conversation: one-to-one or group.' });
export type Chat = z.infer<typeof Chat>;

export const ChatWithPreview = Chat.extend({
  preview: Message.optional().describe('The latest message of the chat.'),
}).meta({ id: 'ChatWithPreview', description: 'A chat with its latest message.' });
export type ChatWithPreview = z.infer<typeof ChatWithPreview>;

export const CreateChatOutput = Chat.extend({
  chatID: z.string().describe('Same as id; kept for older clients.'),
  status: z.enum(['existing', 'created']).optional().describe('Whether the chat already existed; kept for older clients.'),
}).meta({ id: 'CreateChatOutput' });
export type CreateChatOutput = z.infer<typeof CreateChatOutput>;
