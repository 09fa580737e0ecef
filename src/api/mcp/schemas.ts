// The shapes MCP tools answer with (their outputSchema / structuredContent).
// They are smaller than the REST wire objects and made for a model: IDs to act
// on, network names, ISO timestamps next to a human form, plain full texts.
import * as z from 'zod';

export const McpPerson = z.object({
  id: z.string().describe('User ID (@localpart:host).'),
  name: z.string().describe('Display name; "You" for the account owner.'),
  isMe: z.boolean(),
});
export type McpPerson = z.infer<typeof McpPerson>;

export const McpAttachment = z.object({
  url: z.string().optional().describe('Media URL (mxc:// or localmxc://); pass it to download_attachment.'),
  kind: z.string().describe('image, video, audio, voice-note, gif, sticker or file.'),
  fileName: z.string().optional(),
  mimeType: z.string().optional(),
  size: z.number().optional().describe('Size in bytes.'),
  width: z.number().optional(),
  height: z.number().optional(),
  durationSeconds: z.number().optional(),
});

export const McpMessage = z.object({
  id: z.string().describe('Message ID (use it to reply, react, edit or delete).'),
  chatID: z.string().describe('ID of the chat the message is in.'),
  chatTitle: z.string().optional().describe('Title of that chat (in search results).'),
  network: z.string().optional().describe('Network of that chat (in search results).'),
  sender: McpPerson,
  timestamp: z.string().describe('When it was sent, ISO 8601.'),
  time: z.string().describe("When it was sent, in the user's time zone, e.g. \"Tue 24 Nov, 14:05 (2 hours ago)\"."),
  type: z.string().describe('TEXT, IMAGE, VIDEO, VOICE, AUDIO, FILE, STICKER, LOCATION, NOTICE, …'),
  text: z.string().describe('The full text, as plain text (may be empty for a bare attachment).'),
  isUnread: z.boolean().optional(),
  editedAt: z.string().optional(),
  isDeleted: z.boolean().optional(),
  replyToMessageID: z.string().optional().describe('The message this one replies to.'),
  sendStatus: z.string().optional().describe('For messages you sent: PENDING, SUCCESS, FAIL_RETRIABLE or FAIL_PERMANENT.'),
  attachments: z.array(McpAttachment).optional(),
  reactions: z.array(z.object({ reaction: z.string(), by: z.string().describe('User ID of who reacted.'), byName: z.string().optional().describe('Their name; "You" for the user.') })).optional(),
});
export type McpMessage = z.infer<typeof McpMessage>;

export const McpChat = z.object({
  id: z.string().describe('Chat ID (!opaque:host); every chat tool takes it as chatID.'),
  localChatID: z.string().nullable().describe('Short numeric ID, accepted wherever a chat ID is.'),
  title: z.string(),
  network: z.string().describe('WhatsApp, Signal, iMessage, Telegram, …'),
  accountID: z.string(),
  type: z.enum(['single', 'group']).describe("'single' for one-to-one, 'group' otherwise."),
  unreadCount: z.number(),
  lastActivity: z.string().optional().describe('ISO 8601.'),
  lastActivityTime: z.string().optional().describe("Human form in the user's time zone."),
  participantCount: z.number(),
  participants: z.array(McpPerson).describe('Members (possibly a subset; see participantCount).'),
  isArchived: z.boolean(),
  isPinned: z.boolean(),
  isMuted: z.boolean(),
  isLowPriority: z.boolean(),
  isMarkedUnread: z.boolean(),
  isReadOnly: z.boolean().optional(),
  reminder: z.object({ remindAt: z.string(), time: z.string(), dismissOnIncomingMessage: z.boolean() }).optional(),
  draft: z.object({ text: z.string(), attachments: z.array(z.string()).optional() }).optional(),
  lastMessage: McpMessage.optional(),
});
export type McpChat = z.infer<typeof McpChat>;

export const McpContact = z.object({
  id: z.string().describe('User ID; start_chat takes it.'),
  name: z.string(),
  username: z.string().optional(),
  phoneNumber: z.string().optional(),
  email: z.string().optional(),
  cannotMessage: z.boolean().optional(),
  accountID: z.string().optional(),
  network: z.string().optional(),
});
export type McpContact = z.infer<typeof McpContact>;

export const McpAccount = z.object({
  accountID: z.string(),
  network: z.string(),
  user: McpContact.describe('The account owner on that network.'),
  connection: z.string().describe('connected, connecting, disconnected, … or offline when no connector runs.'),
});
export type McpAccount = z.infer<typeof McpAccount>;

/** Paging fields of every list answer. */
export const paging = {
  hasMore: z.boolean().describe('Whether there is more beyond this page.'),
  nextCursor: z.string().nullable().describe('Pass as cursor (with the same other arguments) for the next page; null at the end.'),
};
