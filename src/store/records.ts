// Rows as the store holds them. They are storage-shaped (milliseconds, flags,
// JSON blobs); core turns them into wire objects. Nothing here knows HTTP.
// JSON blobs (drafts, attachments, send status …) are opaque to the store: core
// owns their schemas and writes and reads them; the store only keeps them.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface AccountRecord {
  id: string;
  connector: string; // which connector serves it: 'sandbox', 'xmpp', …
  network: string; // display name: 'WhatsApp'
  bridgeId: string;
  bridgeType: string;
  provider: 'cloud' | 'self-hosted' | 'local' | 'platform-sdk';
  host: string; // host part of the account's Matrix-style IDs
  selfUserID: string;
  config: JsonObject; // connector settings (never secrets; those live in files)
  createdAt: number;
}

export interface UserRecord {
  accountID: string;
  id: string;
  fullName?: string;
  username?: string;
  phoneNumber?: string;
  email?: string;
  imgURL?: string;
  cannotMessage?: boolean;
  isSelf?: boolean;
  isContact?: boolean;
}

export interface ParticipantRecord extends UserRecord {
  isAdmin?: boolean;
  isPending?: boolean;
  isNetworkBot?: boolean;
}

export interface ReminderRecord {
  remindAt: number;
  dismissOnIncomingMessage: boolean;
}

export interface ChatRecord {
  localID: number; // the localChatID
  id: string;
  accountID: string;
  remoteID: string;
  type: 'single' | 'group';
  title: string; // as the network names it
  customTitle: string | null; // set by the user through PATCH
  description: string | null;
  imgURL: string | null;
  isReadOnly: boolean;
  /** Started by someone outside the user's contacts and not accepted yet (networks with message requests). */
  isMessageRequest: boolean;
  lastActivity: number; // ms
  unreadCount: number;
  unreadMentionsCount: number;
  lastReadSortKey: number | null;
  isMarkedUnread: boolean;
  isArchived: boolean;
  isMuted: boolean;
  isPinned: boolean;
  isLowPriority: boolean;
  messageExpirySeconds: number | null;
  draft: JsonObject | null;
  reminder: ReminderRecord | null;
  participantCount: number;
  createdAt: number;
  /** Grows with every change to the chat, its members, messages or reactions: a cache key. */
  version: number;
}

export interface MessageRecord {
  rowID: number;
  id: string;
  chatLocalID: number;
  chatID: string;
  accountID: string;
  remoteID: string | null;
  pendingID: string | null;
  sortKey: number;
  timestamp: number;
  senderID: string;
  senderName: string | null;
  type: string;
  text: string | null; // Matrix HTML or plain text
  plain: string | null; // what search indexes
  editedAt: number | null;
  editCount: number;
  isSender: boolean;
  sendStatus: JsonObject | null;
  isHidden: boolean;
  isDeleted: boolean;
  attachments: JsonObject[];
  linkedMessageID: string | null;
  mentions: string[] | null;
  links: JsonObject[];
  seen: Json; // boolean | ISO string | { [userID]: boolean | ISO string }
  mentionsSelf: boolean;
  reactions: ReactionRecord[];
}

export interface ReactionRecord {
  participantID: string;
  key: string;
  emoji: boolean;
  imgURL?: string;
  timestamp: number;
}

export interface UploadRecord {
  id: string;
  path: string;
  fileName: string;
  mimeType: string;
  size: number;
  width?: number;
  height?: number;
  duration?: number;
  createdAt: number;
}

export interface MediaRecord {
  url: string; // mxc:// or localmxc://
  path: string; // absolute, inside the data directory
  fileName: string;
  mimeType: string;
  size: number;
  width?: number;
  height?: number;
  duration?: number;
}

export interface EventRecord {
  id: number;
  type: 'chat.upserted' | 'chat.deleted' | 'message.upserted' | 'message.deleted';
  chatID: string;
  ids: string[];
  ts: number;
}

export interface OAuthClientRecord {
  id: string;
  name: string;
  redirectURIs: string[];
  scopes: Array<'read' | 'write'>;
  metadata: JsonObject;
  createdAt: number;
}

export interface OAuthCodeRecord {
  hash: string;
  clientID: string;
  redirectURI: string;
  scopes: Array<'read' | 'write'>;
  codeChallenge: string;
  expiresAt: number;
  usedAt: number | null;
  tokenID: string | null;
}

export interface TokenRecord {
  id: string;
  hash: string;
  scopes: Array<'read' | 'write'>;
  label: string;
  clientID: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}
