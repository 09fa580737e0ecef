// The narrow interface core uses to reach storage. Each method is one logical
// change or one query and is atomic on its own, so another backend (PostgreSQL)
// can implement it without core ever holding a transaction open.
import type {
  AccountRecord,
  ChatRecord,
  EventRecord,
  OAuthClientRecord,
  OAuthCodeRecord,
  JsonObject,
  Json,
  MediaRecord,
  MessageRecord,
  ParticipantRecord,
  ReactionRecord,
  TokenRecord,
  UploadRecord,
  UserRecord,
} from './records.ts';

export type Direction = 'before' | 'after';

/** Keyset position in the chat list: (lastActivity, localID). */
export interface ChatKey {
  lastActivity: number;
  localID: number;
}
/** Keyset position in a message list or search: (sortKey, rowID). */
export interface MessageKey {
  sortKey: number;
  rowID: number;
}
/** Keyset position in a contact list: (sortName, id). */
export interface ContactKey {
  sortName: string;
  id: string;
}

export interface Page<T> {
  items: T[]; // always newest (or first in order) first
  hasMore: boolean; // more beyond this page in the direction asked
}

export interface ChatUpsert {
  id: string;
  accountID: string;
  remoteID: string;
  type: 'single' | 'group';
  title: string;
  description?: string | null;
  imgURL?: string | null;
  isReadOnly?: boolean;
  /** undefined leaves it as it is (new chats: not a request). */
  isMessageRequest?: boolean;
  lastActivity?: number;
  network: string; // for the title search text
}

/** User-side chat state core may change; undefined leaves a field alone. */
export interface ChatStatePatch {
  customTitle?: string | null;
  title?: string;
  description?: string | null;
  imgURL?: string | null;
  isArchived?: boolean;
  isMuted?: boolean;
  isPinned?: boolean;
  isLowPriority?: boolean;
  isMarkedUnread?: boolean;
  isReadOnly?: boolean;
  messageExpirySeconds?: number | null;
  draft?: JsonObject | null;
  reminder?: { remindAt: number; dismissOnIncomingMessage: boolean } | null;
}

export interface MessageInsert {
  chatLocalID: number;
  id: string;
  remoteID: string | null;
  pendingID: string | null;
  timestamp: number;
  senderID: string;
  senderName: string | null;
  type: string;
  text: string | null;
  plain: string | null;
  isSender: boolean;
  sendStatus: JsonObject | null;
  isHidden?: boolean;
  attachments: JsonObject[];
  linkedMessageID: string | null;
  mentions: string[] | null;
  links: JsonObject[];
  seen: Json;
  mentionsSelf: boolean;
  mediaFlags: number;
  /** When a disappearing message goes (ms); null or absent: never. */
  expiresAt?: number | null;
}

export interface MessagePatch {
  id?: string;
  remoteID?: string | null;
  timestamp?: number;
  text?: string | null;
  plain?: string | null;
  editedAt?: number | null;
  editCount?: number;
  sendStatus?: JsonObject | null;
  isDeleted?: boolean;
  isHidden?: boolean;
  attachments?: JsonObject[];
  seen?: Json;
  links?: JsonObject[];
  mentions?: string[] | null;
  mediaFlags?: number;
}

export interface ChatVersion {
  localID: number;
  lastActivity: number;
  version: number;
}

export interface ChatListQuery {
  accountIDs?: string[];
  cursor?: ChatKey;
  direction: Direction;
  limit: number;
}

export interface ChatSearchQuery extends ChatListQuery {
  text?: string; // raw user text; every word must match (case and accents ignored)
  scope: 'titles' | 'participants';
  inbox?: 'primary' | 'low-priority' | 'archive';
  unreadOnly?: boolean;
  type?: 'single' | 'group';
  lastActivityBefore?: number;
  lastActivityAfter?: number;
  includeMuted: boolean;
}

export interface MessageSearchQuery {
  text?: string; // raw user text; the store tokenizes it for its full-text index
  chatLocalIDs?: number[];
  accountIDs?: string[];
  chatType?: 'single' | 'group';
  mediaMask?: number; // any of these media_flags bits
  sender?: { kind: 'me' } | { kind: 'others' } | { kind: 'user'; id: string };
  after?: number; // timestamp bounds, exclusive
  before?: number;
  excludeLowPriority: boolean;
  includeMuted: boolean;
  /** Sort keys are unique across chats, so a search position is one. */
  cursor?: { sortKey: number };
  direction: Direction;
  limit: number;
}

export interface Repository {
  close(): void;

  // accounts
  listAccounts(): Promise<AccountRecord[]>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  putAccount(account: AccountRecord): Promise<void>;
  deleteAccount(id: string): Promise<void>;
  countAccounts(): Promise<number>;

  // users and contacts
  putUsers(users: UserRecord[]): Promise<void>;
  getUser(accountID: string, id: string): Promise<UserRecord | undefined>;
  findUsers(accountID: string, match: { id?: string; username?: string; phoneNumber?: string; email?: string }): Promise<UserRecord[]>;
  listContacts(accountID: string, q: { text?: string; cursor?: ContactKey; direction: Direction; limit: number }): Promise<Page<UserRecord & { sortName: string }>>;

  // chats
  upsertChat(chat: ChatUpsert): Promise<ChatRecord>;
  getChat(idOrLocalID: string): Promise<ChatRecord | undefined>;
  /** A chat's key and version only: enough to tell whether a cached view of it is current. */
  getChatVersion(idOrLocalID: string): Promise<{ localID: number; version: number } | undefined>;
  getChatByRemoteID(accountID: string, remoteID: string): Promise<ChatRecord | undefined>;
  getChatsByLocalIDs(localIDs: number[]): Promise<Map<number, ChatRecord>>;
  updateChatState(localID: number, patch: ChatStatePatch): Promise<ChatRecord>;
  deleteChat(localID: number): Promise<void>;
  listChats(q: ChatListQuery): Promise<Page<ChatRecord>>;
  /** The same page as listChats, keys and versions only: cheap when the caller has the chats' views cached. */
  listChatVersions(q: ChatListQuery): Promise<Page<ChatVersion>>;
  searchChats(q: ChatSearchQuery): Promise<Page<ChatRecord>>;
  findDirectChat(accountID: string, userID: string): Promise<ChatRecord | undefined>;
  dueReminders(now: number): Promise<ChatRecord[]>;

  // participants
  setParticipants(chatLocalID: number, participants: Array<{ userID: string; isAdmin?: boolean; isPending?: boolean; isNetworkBot?: boolean }>): Promise<void>;
  participantIDs(chatLocalID: number): Promise<string[]>;
  listParticipants(chatLocalID: number, limit: number): Promise<{ items: ParticipantRecord[]; total: number }>;
  participantsOf(chatLocalIDs: number[], limit: number): Promise<Map<number, ParticipantRecord[]>>;

  // messages
  /**
   * Inserts messages (skipping ones already stored under the same id, remote ID or
   * pending ID) and keeps the chats' activity and unread counters right.
   */
  insertMessages(batch: MessageInsert[]): Promise<Array<{ rowID: number; id: string; sortKey: number; inserted: boolean }>>;
  updateMessage(rowID: number, patch: MessagePatch): Promise<MessageRecord>;
  deleteMessage(rowID: number): Promise<void>;
  /** A message by its ID or its pending ID. */
  getMessage(chatLocalID: number, idOrPendingID: string): Promise<MessageRecord | undefined>;
  getMessageByRowID(rowID: number): Promise<MessageRecord | undefined>;
  listMessages(chatLocalID: number, q: { cursor?: MessageKey; direction: Direction; limit: number }): Promise<Page<MessageRecord>>;
  latestMessages(chatLocalIDs: number[]): Promise<Map<number, MessageRecord>>;
  searchMessages(q: MessageSearchQuery): Promise<Page<MessageRecord>>;
  outbox(): Promise<MessageRecord[]>;
  /** Deletes disappearing messages whose time has come; returns what went, by chat. */
  expireMessages(now: number): Promise<Array<{ chatID: string; ids: string[] }>>;
  /** Sets the read marker and recounts unread messages after it. */
  setReadMarker(chatLocalID: number, sortKey: number | null): Promise<ChatRecord>;

  // reactions
  putReaction(messageRowID: number, reaction: ReactionRecord, replaceOwn: boolean): Promise<void>;
  deleteReaction(messageRowID: number, participantID: string, key: string): Promise<boolean>;

  // files
  putUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  putMedia(media: MediaRecord): Promise<void>;
  getMedia(url: string): Promise<MediaRecord | undefined>;
  getMediaByPath(path: string): Promise<MediaRecord | undefined>;

  // access tokens
  putToken(token: TokenRecord): Promise<void>;
  getTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: number): Promise<number>;
  touchToken(id: string, at: number): Promise<void>;
  countTokens(): Promise<number>;

  // durable event log
  appendEvent(event: Omit<EventRecord, 'id'>): Promise<number>;
  /** Events after `afterID`, oldest first. */
  eventsAfter(afterID: number, limit: number): Promise<EventRecord[]>;
  /** The oldest retained event ID (the next one to be issued when none is kept) and the newest ever issued. */
  eventBounds(): Promise<{ oldest: number; newest: number }>;
  /** Drops events older than `before` (ms) and beyond the newest `keep`; returns how many went. */
  pruneEvents(before: number, keep: number): Promise<number>;

  // OAuth
  putOAuthClient(client: OAuthClientRecord): Promise<void>;
  getOAuthClient(id: string): Promise<OAuthClientRecord | undefined>;
  putOAuthCode(code: OAuthCodeRecord): Promise<void>;
  getOAuthCode(hash: string): Promise<OAuthCodeRecord | undefined>;
  /** Marks a code used; false when it already was (a replay). */
  useOAuthCode(hash: string, at: number, tokenID: string): Promise<boolean>;

  // connector-private state (JSON values)
  getState(accountID: string, key: string): Promise<Json | undefined>;
  setState(accountID: string, key: string, value: Json): Promise<void>;

  // bulk loads
  /**
   * Runs `load`, a long run of writes from one caller (a generated corpus), with
   * the store tuned for throughput: its writes are grouped into larger commits, and
   * each `commit()` call marks a point where everything written so far is durable.
   * Every method stays atomic on its own, and what a crash loses is at most the
   * writes since the last commit() (a backend may also commit more often, or at
   * every write). On return, or on an error, the store is as durable as after any
   * commit and its normal settings are back.
   */
  bulkLoad<T>(load: (commit: () => void) => Promise<T>): Promise<T>;
}
