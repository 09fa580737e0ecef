import * as z from 'zod';
import { Dimensions, Timestamp } from './common.ts';

export const SendStatus = z
  .object({
    status: z.enum(['SUCCESS', 'PENDING', 'FAIL_RETRIABLE', 'FAIL_PERMANENT']).describe('Where the send stands.'),
    timestamp: Timestamp.describe('When the status last changed.'),
    reason: z.string().optional().describe('Machine-readable failure reason.'),
    message: z.string().optional().describe('Readable status or failure explanation.'),
    deliveredToUsers: z.array(z.string()).optional().describe('Users the network reported delivery to.'),
    internalError: z.string().optional().describe('Diagnostic detail from the connector.'),
  })
  .meta({ id: 'SendStatus', description: 'Delivery state of a message sent from this account.' });
export type SendStatus = z.infer<typeof SendStatus>;

export const Attachment = z
  .object({
    id: z.string().optional().describe('Media URL (mxc:// or localmxc://); pass it to the download endpoint for a local file.'),
    type: z.enum(['unknown', 'img', 'video', 'audio']).describe('Broad kind of media.'),
    srcURL: z.string().optional().describe('Where the file can be fetched (local file:// URL or media URL).'),
    mimeType: z.string().optional(),
    fileName: z.string().optional(),
    fileSize: z.number().optional().describe('Size in bytes.'),
    isGif: z.boolean().optional(),
    isSticker: z.boolean().optional(),
    isVoiceNote: z.boolean().optional(),
    duration: z.number().optional().describe('Length in seconds.'),
    transcription: z
      .object({ transcription: z.string(), engine: z.string(), language: z.string().optional() })
      .optional()
      .meta({ id: 'Transcription' }),
    posterImg: z.string().optional().describe('Poster frame of a video.'),
    size: Dimensions.partial().optional().describe('Pixel size.'),
  })
  .meta({ id: 'Attachment', description: 'A file attached to a message.' });
export type Attachment = z.infer<typeof Attachment>;

export const LinkPreview = z
  .object({
    url: z.string(),
    originalURL: z.string().optional(),
    favicon: z.string().optional(),
    img: z.string().optional(),
    imgSize: Dimensions.partial().optional(),
    title: z.string(),
    summary: z.string().optional(),
  })
  .meta({ id: 'LinkPreview', description: 'Preview of a link in a message.' });

export const Reaction = z
  .object({
    id: z.string().describe('The reacting user ID, plus the key when one person may react several times.'),
    reactionKey: z.string().describe('Emoji, or a network-specific key.'),
    imgURL: z.string().optional().describe('Image of a custom reaction.'),
    participantID: z.string().describe('Who reacted.'),
    emoji: z.boolean().optional().describe('True when reactionKey is a Unicode emoji.'),
  })
  .meta({ id: 'Reaction' });
export type Reaction = z.infer<typeof Reaction>;

const SeenByParticipant = z
  .record(z.string(), z.union([z.boolean(), Timestamp]))
  .meta({ id: 'MessageSeenByParticipant', description: 'Read state per group member.' });

export const MessageSeen = z
  .union([z.boolean(), Timestamp, SeenByParticipant])
  .meta({ id: 'MessageSeen', description: 'Whether, when, or by whom the message was read.' });

export const MessageType = z.enum(['TEXT', 'NOTICE', 'IMAGE', 'VIDEO', 'VOICE', 'AUDIO', 'FILE', 'STICKER', 'LOCATION', 'REACTION']);
export type MessageType = z.infer<typeof MessageType>;

export const Message = z
  .object({
    id: z.string().describe('Message ID, stable for the life of the message.'),
    chatID: z.string().describe('ID of the chat the message is in.'),
    accountID: z.string().describe('Account the message belongs to.'),
    senderID: z.string().describe('Matrix-style ID of the sender.'),
    senderName: z.string().optional().describe('Display name of the sender.'),
    timestamp: Timestamp.describe('When the message was sent.'),
    sortKey: z.string().describe('Unique key that orders messages in their chat.'),
    type: MessageType.optional().describe('Kind of content.'),
    text: z.string().optional().describe('Body as Matrix HTML (plain text when unformatted).'),
    editedTimestamp: Timestamp.optional().describe('When it was last edited.'),
    isSender: z.boolean().optional().describe('True when sent by this account.'),
    sendStatus: SendStatus.optional(),
    isHidden: z.boolean().optional(),
    isDeleted: z.boolean().optional(),
    attachments: z.array(Attachment).optional(),
    isUnread: z.boolean().optional().describe('True when not yet read by you.'),
    linkedMessageID: z.string().optional().describe('ID of the message this one replies to.'),
    mentions: z.array(z.string()).nullable().optional().describe('Mentioned user IDs and @room.'),
    links: z.array(LinkPreview).optional(),
    reactions: z.array(Reaction).optional(),
    seen: MessageSeen.optional(),
  })
  .meta({ id: 'Message', description: 'A message in a chat.' });
export type Message = z.infer<typeof Message>;
