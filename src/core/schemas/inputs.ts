// Request shapes: path parameters, query strings and bodies of every operation.
// Query values arrive as strings; the HTTP layer coerces them by the base type of
// each field (see api/coerce.ts) before these schemas validate them.
import * as z from 'zod';
import { Cursor, Direction, Timestamp } from './common.ts';

const id = (what: string) => z.string().min(1).describe(what);
export const chatIDParam = id('Chat ID, or the numeric localChatID of the chat.');
export const messageIDParam = id('Message ID; reads also accept a pendingMessageID.');
export const accountIDParam = id('Account ID.');

export const ChatParams = z.object({ chatID: chatIDParam });
export const MessageParams = z.object({ chatID: chatIDParam, messageID: messageIDParam });
export const ReactionParams = MessageParams.extend({ reactionKey: z.string().min(1).describe('Reaction key to remove.') });
export const AccountParams = z.object({ accountID: accountIDParam });

export const PageQuery = z.object({
  cursor: Cursor.optional(),
  direction: Direction.optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

const accountIDs = z.array(z.string()).describe('Only these accounts.');

export const ListChatsQuery = PageQuery.extend({ accountIDs: accountIDs.optional() });
export type ListChatsQuery = z.infer<typeof ListChatsQuery>;

export const GetChatQuery = z.object({
  maxParticipantCount: z
    .int()
    .min(-1)
    .max(500)
    .nullable()
    .optional()
    .describe('How many members to include: -1 for all, otherwise 0-500 (default 100).'),
});

export const SearchChatsQuery = PageQuery.extend({
  query: z.string().min(1).optional().describe('Words to look for; every word must match, in any order, ignoring case and accents.'),
  scope: z.enum(['titles', 'participants']).optional().describe("'titles' (default) matches titles and network names; 'participants' matches member names."),
  inbox: z.enum(['primary', 'low-priority', 'archive']).optional().describe('Only chats in this inbox.'),
  unreadOnly: z.boolean().nullable().optional().describe('Only chats with unread messages.'),
  type: z.enum(['single', 'group', 'any']).optional().describe('Only this kind of chat (default any).'),
  limit: z.int().min(1).max(200).optional().describe('Page size, 1-200 (default 50).'),
  lastActivityBefore: Timestamp.optional().describe('Only chats last active before this time.'),
  lastActivityAfter: Timestamp.optional().describe('Only chats last active after this time.'),
  accountIDs: accountIDs.optional(),
  includeMuted: z.boolean().nullable().optional().describe('Include muted chats (default true).'),
});
export type SearchChatsQuery = z.infer<typeof SearchChatsQuery>;

export const SearchMessagesQuery = PageQuery.extend({
  query: z.string().optional().describe('Words the messages must contain, in any order; the last word also matches as a prefix.'),
  chatIDs: z.array(z.string()).optional().describe('Only these chats (IDs or local IDs).'),
  accountIDs: accountIDs.optional(),
  chatType: z.enum(['group', 'single']).optional().describe('Only group or only one-to-one chats.'),
  mediaTypes: z.array(z.enum(['any', 'video', 'image', 'link', 'file'])).optional().describe("Only messages with this media; ['any'] for any media."),
  sender: z.string().optional().describe("'me', 'others', or a user ID."),
  dateAfter: Timestamp.optional().describe('Only messages sent after this time.'),
  dateBefore: Timestamp.optional().describe('Only messages sent before this time.'),
  limit: z.int().min(1).max(20).optional().describe('Page size, 1-20 (default 20).'),
  excludeLowPriority: z.boolean().nullable().optional().describe('Leave out low-priority chats (default true).'),
  includeMuted: z.boolean().nullable().optional().describe('Include muted chats (default true).'),
});
export type SearchMessagesQuery = z.infer<typeof SearchMessagesQuery>;

export const UnifiedSearchQuery = z.object({ query: z.string().min(1).describe('Text as the user typed it.') });

export const SearchContactsQuery = z.object({ query: z.string().min(1).describe('Name, handle, phone number or email to look for.') });
export const ListContactsQuery = PageQuery.extend({
  limit: z.int().min(1).max(200).optional().describe('Page size, 1-200 (default 50).'),
  query: z.string().min(1).optional().describe('Only contacts matching this text.'),
});
export type ListContactsQuery = z.infer<typeof ListContactsQuery>;

export const MessageTextInput = z
  .string()
  .meta({ id: 'MessageTextInput', description: 'Markdown (or plain text), converted to Matrix HTML. A JSON-encoded string is taken as HTML as-is.' });

export const AttachmentTypeHint = z.enum(['image', 'video', 'audio', 'file', 'gif', 'voice-note', 'sticker']).meta({ id: 'MessageAttachmentType' });

export const MessageAttachmentInput = z
  .strictObject({
    uploadID: z.string().min(1).describe('ID returned by an upload endpoint.'),
    mimeType: z.string().optional().describe('Overrides the detected MIME type.'),
    fileName: z.string().optional().describe('Overrides the file name.'),
    size: z.object({ width: z.number(), height: z.number() }).optional().describe('Overrides the pixel size.'),
    duration: z.number().optional().describe('Overrides the duration, in seconds.'),
    type: AttachmentTypeHint.optional().describe('Kind of attachment; guessed from the MIME type when absent.'),
  })
  .meta({ id: 'MessageAttachmentInput' });
export type MessageAttachmentInput = z.infer<typeof MessageAttachmentInput>;

export const DraftAttachmentInput = MessageAttachmentInput.extend({
  id: z.string().optional().describe('Attachment ID within the draft; generated when absent.'),
}).meta({ id: 'DraftAttachmentInput' });

export const ChatDraftInput = z
  .strictObject({
    text: MessageTextInput,
    attachments: z.record(z.string(), DraftAttachmentInput).optional().describe('Files by attachment ID, each from an upload.'),
  })
  .nullable()
  .meta({ id: 'ChatDraftInput', description: 'New draft, or null to clear it. A non-empty draft is accepted only when the chat has none.' });
export type ChatDraftInput = z.infer<typeof ChatDraftInput>;

export const PatchChatBody = z.strictObject({
  draft: ChatDraftInput.optional(),
  title: z.string().nullable().optional().describe('New title, or null to go back to the network title.'),
  description: z.string().nullable().optional().describe('New group topic, or null to clear it.'),
  imgURL: z.string().nullable().optional().describe('Path (or file:// URL) of an uploaded image, from POST /v1/assets/upload, for the group picture; null removes it.'),
  isArchived: z.boolean().optional(),
  isLowPriority: z.boolean().optional(),
  isPinned: z.boolean().optional(),
  isMuted: z.boolean().optional(),
  messageExpirySeconds: z.int().min(0).nullable().optional().describe('Disappearing-message timer in seconds; null or 0 turns it off.'),
});
export type PatchChatBody = z.infer<typeof PatchChatBody>;

export const CreateChatBody = z
  .strictObject({
    accountID: z.string().min(1).describe('Account to create the chat on.'),
    type: z.enum(['single', 'group']).describe("'single' takes exactly one participant; 'group' one or more."),
    participantIDs: z.array(z.string().min(1)).min(1).describe('User IDs to add.'),
    title: z.string().optional().describe('Group title.'),
    messageText: z.string().optional().describe('First message, sent once the chat exists.'),
  })
  .meta({ id: 'CreateChatInput' });
export type CreateChatBody = z.infer<typeof CreateChatBody>;

export const StartChatBody = z
  .strictObject({
    accountID: z.string().min(1).describe('Account to start the chat on.'),
    user: z
      .strictObject({
        id: z.string().optional(),
        username: z.string().optional(),
        phoneNumber: z.string().optional(),
        email: z.string().optional(),
        fullName: z.string().optional().describe('Used only to rank candidates.'),
      })
      .describe('What is known about the person; the best identifier is used.'),
    messageText: z.string().optional().describe('First message, sent once the chat exists.'),
    allowInvite: z.boolean().optional().describe('Allow starting through an invite where the network needs one (default true).'),
  })
  .meta({ id: 'StartChatInput' });
export type StartChatBody = z.infer<typeof StartChatBody>;

export const ArchiveBody = z.strictObject({ archived: z.boolean().optional().describe('true (default) archives, false unarchives.') });
export const ReminderBody = z.strictObject({
  reminder: z.strictObject({
    remindAt: Timestamp.describe('When to remind.'),
    dismissOnIncomingMessage: z.boolean().optional().describe('Cancel the reminder when someone writes in the chat.'),
  }),
});
export type ReminderBody = z.infer<typeof ReminderBody>;
export const ReadBody = z.strictObject({ messageID: z.string().min(1).optional().describe('Read up to and including this message (default: all).') });
export const UnreadBody = z.strictObject({ messageID: z.string().min(1).optional().describe('Mark unread from this message on.') });
export const NotifyAnywayBody = z.strictObject({});

export const SendMessageBody = z.strictObject({
  text: MessageTextInput.optional(),
  replyToMessageID: z.string().min(1).optional().describe('Message this one replies to.'),
  attachment: MessageAttachmentInput.optional(),
});
export type SendMessageBody = z.infer<typeof SendMessageBody>;

export const EditMessageBody = z.strictObject({ text: z.string().min(1).describe('New text (Markdown or JSON-encoded HTML).') });
export const DeleteMessageQuery = z.object({
  forEveryone: z.boolean().nullable().optional().describe('Delete for everyone (default) or only for you.'),
});
export const AddReactionBody = z.strictObject({
  reactionKey: z.string().min(1).describe('Emoji or network reaction key.'),
  transactionID: z.string().optional().describe('Client-chosen ID to match the reaction with its events.'),
});

export const FocusBody = z
  .strictObject({
    chatID: z.string().optional().describe('Chat whose draft to set (ID or local ID).'),
    messageID: z.string().optional().describe('Accepted for compatibility; there is no window to scroll.'),
    draftText: z.string().optional().describe('Text to put in the draft.'),
    draftAttachmentPath: z.string().optional().describe('Path of a file Switchboard stored (an upload or media, e.g. an upload\'s srcURL path) to attach to the draft.'),
  })
  .meta({ id: 'FocusAppInput' });
export type FocusBody = z.infer<typeof FocusBody>;

export const DownloadAssetBody = z
  .strictObject({ url: z.string().min(1).describe('mxc:// or localmxc:// URL of the file.') })
  .meta({ id: 'DownloadAssetInput' });
export const ServeAssetQuery = z.object({ url: z.string().min(1).describe('mxc://, localmxc:// or file:// URL of the file.') });
export const UploadBase64Body = z
  .strictObject({
    content: z.string().min(1).max(750_000_000).describe('File content in base64 (up to about 500 MB decoded).'),
    fileName: z.string().optional().describe('File name; generated when absent.'),
    mimeType: z.string().optional().describe('MIME type; detected from the content when absent.'),
  })
  .meta({ id: 'UploadAssetInput' });
export type UploadBase64Body = z.infer<typeof UploadBase64Body>;
