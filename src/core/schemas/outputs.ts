// Response shapes of the operations that are not a plain domain object.
import * as z from 'zod';
import { paged } from './common.ts';
import { Account, User } from './user.ts';
import { Chat, ChatWithPreview } from './chat.ts';
import { Message } from './message.ts';

export const GetAccountsOutput = z.array(Account).meta({ id: 'GetAccountsOutput', description: 'Accounts on this server.' });
export const ListChatsOutput = paged(ChatWithPreview, 'Chats, most recently active first.').meta({ id: 'ListChatsOutput' });
export const SearchChatsOutput = paged(Chat, 'Chats that match, most recently active first.').meta({ id: 'SearchChatsOutput' });
export const ListMessagesOutput = paged(Message, 'Messages of the chat, newest first.').meta({ id: 'ListMessagesOutput' });
export const SearchMessagesOutput = paged(Message, 'Matching messages, newest first.')
  .extend({ chats: z.record(z.string(), Chat).describe('The chats of the listed messages, by chat ID.') })
  .meta({ id: 'SearchMessagesOutput' });
export type SearchMessagesOutput = z.infer<typeof SearchMessagesOutput>;
export const ListContactsOutput = paged(User, 'Contacts of the account, by name.').meta({ id: 'ListContactsOutput' });
export const SearchContactsOutput = z.object({ items: z.array(User) }).meta({ id: 'SearchContactsOutput' });
export const UnifiedSearchOutput = z
  .object({
    results: z.object({
      chats: z.array(Chat).describe('Chats whose title or network matches.'),
      in_groups: z.array(Chat).describe('Groups with a member whose name matches.'),
      messages: SearchMessagesOutput,
    }),
  })
  .meta({ id: 'UnifiedSearchOutput' });
export const FocusOutput = z.object({ success: z.boolean() }).meta({ id: 'FocusAppOutput' });
export const SendMessageOutput = z
  .object({
    chatID: z.string(),
    pendingMessageID: z.string().describe('ID of the message while it is being sent; it keeps resolving after the network confirms.'),
  })
  .meta({ id: 'SendMessageOutput' });
export const EditMessageOutput = Message.extend({
  success: z.literal(true).describe('Always true; kept for older clients.'),
  messageID: z.string().describe('Same as id; kept for older clients.'),
}).meta({ id: 'EditMessageOutput' });
export const AddReactionOutput = z
  .object({
    success: z.literal(true),
    chatID: z.string(),
    messageID: z.string(),
    reactionKey: z.string(),
    transactionID: z.string(),
  })
  .meta({ id: 'AddReactionOutput' });
export const RemoveReactionOutput = z
  .object({ success: z.literal(true), chatID: z.string(), messageID: z.string(), reactionKey: z.string() })
  .meta({ id: 'RemoveReactionOutput' });
export const DownloadAssetOutput = z
  .object({ srcURL: z.string().optional().describe('file:// URL of the local copy.'), error: z.string().optional() })
  .meta({ id: 'DownloadAssetOutput' });
export const UploadAssetOutput = z
  .object({
    uploadID: z.string().optional(),
    srcURL: z.string().optional().describe('file:// URL of the stored upload.'),
    fileName: z.string().optional(),
    mimeType: z.string().optional(),
    fileSize: z.number().optional(),
    width: z.number().optional(),
    height: z.number().optional(),
    duration: z.number().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'UploadAssetOutput' });
export type UploadAssetOutput = z.infer<typeof UploadAssetOutput>;
export const InfoOutput = z
  .object({
    app: z.object({ name: z.string(), version: z.string(), bundle_id: z.string() }),
    platform: z.object({ os: z.string(), arch: z.string(), release: z.string().optional() }),
    server: z.object({
      status: z.string(),
      base_url: z.string(),
      port: z.int(),
      hostname: z.string(),
      remote_access: z.boolean(),
      mcp_enabled: z.boolean(),
    }),
    endpoints: z.object({
      oauth: z.object({
        authorization_endpoint: z.string(),
        token_endpoint: z.string(),
        introspection_endpoint: z.string(),
        userinfo_endpoint: z.string(),
        revocation_endpoint: z.string(),
        registration_endpoint: z.string(),
      }),
      spec: z.string().describe('URL of this server\'s OpenAPI document.'),
      mcp: z.string(),
      ws_events: z.string(),
    }),
  })
  .meta({ id: 'ConnectInfoOutput', description: 'What this server is and where its endpoints are.' });
export type InfoOutput = z.infer<typeof InfoOutput>;
