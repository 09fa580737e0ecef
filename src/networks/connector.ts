// The seam between core and the networks. A connector is small: one required
// interface per logged-in account (NetworkClient) plus one optional interface per
// further ability, which core detects with the type guards below and refuses
// cleanly when absent. Connectors never touch storage: they convert and send,
// and hand what they receive to core as ConnectorEvents; core stores, de-duplicates
// and notifies.
import type { Logger } from 'pino';
import type { ChatCapabilities } from '../core/schemas/capabilities.ts';

export type { ChatCapabilities };

// ---- what core tells a connector --------------------------------------------------

export interface AccountInfo {
  id: string;
  host: string; // host part of this account's user IDs
  selfUserID: string;
  config: Record<string, unknown>;
}

export interface ChatRef {
  id: string; // API chat ID
  remoteID: string; // the network's ID for the chat
  type: 'single' | 'group';
  participantIDs: string[]; // API user IDs, without the account owner
  isMessageRequest: boolean; // someone outside the user's contacts started it; not accepted yet
}

export interface MessageRef {
  id: string;
  remoteID: string;
  timestamp: number;
  isSender: boolean;
}

export interface OutgoingAttachment {
  path: string; // local file inside the data directory
  fileName: string;
  mimeType: string;
  size: number;
  kind: string; // Matrix msgtype, e.g. m.image
  width?: number;
  height?: number;
  duration?: number;
}

export interface OutgoingMessage {
  transactionID: string; // stable across retries of the same send
  text?: string; // Matrix HTML or plain text, as stored
  html: boolean;
  plain?: string; // plain-text rendering for networks without formatting
  replyTo?: MessageRef;
  attachment?: OutgoingAttachment;
}

export interface SendResult {
  remoteID: string;
  timestamp?: number;
  /** PENDING: accepted, delivery reported later through a 'sendStatus' event. Default SUCCESS. */
  status?: 'SUCCESS' | 'PENDING';
}

/** A send failure. `retriable` ones are retried by core with backoff. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** The network refuses an operation for this chat (distinct from a transport failure). */
export class ConnectorRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectorRefusal';
  }
}

// ---- what a connector tells core --------------------------------------------------

export interface RemoteUser {
  id: string; // API user ID (@localpart:host), see ConnectorContext.userID
  fullName?: string;
  username?: string;
  phoneNumber?: string;
  email?: string;
  imgURL?: string;
  isContact?: boolean;
  cannotMessage?: boolean;
}

export interface RemoteParticipant extends RemoteUser {
  isAdmin?: boolean;
  isPending?: boolean;
  isNetworkBot?: boolean;
}

export interface RemoteChat {
  remoteID: string;
  type: 'single' | 'group';
  title?: string; // for DMs core falls back to the other person's name
  description?: string | null;
  imgURL?: string | null;
  isReadOnly?: boolean;
  /** true: a message request (someone outside the user's contacts wrote first); false: accepted. Unset: unchanged. */
  isMessageRequest?: boolean;
  participants?: RemoteParticipant[]; // without the account owner
  /** Time of the latest activity when known (e.g. from history); new chats default to now. */
  lastActivity?: number;
  /** User-side state known from the network or another device. */
  state?: { isMuted?: boolean; isPinned?: boolean; isArchived?: boolean; isLowPriority?: boolean; messageExpirySeconds?: number | null };
}

export interface RemoteAttachment {
  url: string; // mxc:// or localmxc:// from ConnectorContext.storeMedia
  mimeType: string;
  fileName: string;
  size: number;
  kind?: 'image' | 'gif' | 'video' | 'audio' | 'voice' | 'file' | 'sticker';
  width?: number;
  height?: number;
  duration?: number;
}

export interface RemoteMessage {
  remoteID: string;
  senderID: string; // API user ID
  timestamp: number;
  text?: string;
  html?: boolean; // text is Matrix HTML (else plain)
  attachments?: RemoteAttachment[];
  replyToRemoteID?: string;
  mentions?: string[];
  isSender?: boolean; // sent by the account owner (e.g. from another device)
  reactions?: Array<{ senderID: string; key: string; timestamp?: number }>;
}

export type ConnectorEvent =
  | { type: 'chat'; chat: RemoteChat }
  | { type: 'users'; users: RemoteUser[] }
  | { type: 'messages'; chatRemoteID: string; messages: RemoteMessage[]; /** backfill: history, not news */ history?: boolean }
  /** History of several chats at once, stored in one write (bulk backfill). */
  | { type: 'history'; chats: Array<{ chatRemoteID: string; messages: RemoteMessage[] }> }
  /** People joined or left a group (the other members, and their roles, stay as they are). */
  | { type: 'members'; chatRemoteID: string; joined?: RemoteParticipant[]; left?: string[] }
  | { type: 'edit'; chatRemoteID: string; targetRemoteID: string; text: string; html?: boolean; timestamp: number }
  | { type: 'reaction'; chatRemoteID: string; targetRemoteID: string; senderID: string; key: string; timestamp: number; removed?: boolean }
  | { type: 'delete'; chatRemoteID: string; targetRemoteID: string }
  | { type: 'receipt'; chatRemoteID: string; userID: string; upToRemoteID: string; timestamp: number }
  | { type: 'read'; chatRemoteID: string; upToRemoteID?: string }
  | { type: 'typing'; chatRemoteID: string; userID: string; typing: boolean }
  | { type: 'sendStatus'; chatRemoteID: string; remoteID: string; status: 'SUCCESS' | 'FAIL_PERMANENT' | 'FAIL_RETRIABLE'; reason?: string; message?: string; deliveredTo?: string[] }
  | { type: 'state'; state: ConnectionState; message?: string };

export type ConnectionState = 'connecting' | 'connected' | 'bad-credentials' | 'transient-disconnect' | 'disconnected';

export interface ConnectorContext {
  readonly account: AccountInfo;
  readonly log: Logger;
  now(): number;
  /** Makes this account's user ID for a network-local name. */
  userID(localpart: string): string;
  /** Hands an event to core; resolves once it is stored. */
  emit(event: ConnectorEvent): Promise<void>;
  /** Stores received media in the data directory; returns its media URL. */
  storeMedia(file: { bytes: Uint8Array; fileName: string; mimeType: string; width?: number; height?: number; duration?: number }): Promise<string>;
  /** Small persistent key-value state private to this account's connector. */
  getState<T>(key: string): Promise<T | undefined>;
  setState(key: string, value: unknown): Promise<void>;
}

// ---- the interfaces ------------------------------------------------------------------

export interface NetworkClient {
  /** Starts the connection. Never throws: problems are reported as 'state' events. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  capabilities(chat: ChatRef): ChatCapabilities;
  sendMessage(chat: ChatRef, message: OutgoingMessage): Promise<SendResult>;
}

export interface EditsMessages {
  editMessage(chat: ChatRef, target: MessageRef, edit: { text: string; html: boolean; plain: string }): Promise<void>;
}
export interface DeletesMessages {
  deleteMessage(chat: ChatRef, target: MessageRef, forEveryone: boolean): Promise<void>;
}
export interface ReactsToMessages {
  addReaction(chat: ChatRef, target: MessageRef, key: string): Promise<void>;
  removeReaction(chat: ChatRef, target: MessageRef, key: string): Promise<void>;
}
export interface SendsReadReceipts {
  markRead(chat: ChatRef, upTo: MessageRef | undefined): Promise<void>;
}
export interface SendsTyping {
  setTyping(chat: ChatRef, typing: boolean): Promise<void>;
}
export interface CreatesChats {
  createChat(request: { type: 'single' | 'group'; participantIDs: string[]; title?: string }): Promise<RemoteChat>;
}
export interface ResolvesUsers {
  /** Finds a person by ID, handle, phone number or email; undefined when the network knows nobody. */
  resolveUser(query: { id?: string; username?: string; phoneNumber?: string; email?: string }): Promise<RemoteUser | undefined>;
}
export interface SearchesUsers {
  searchUsers(query: string): Promise<RemoteUser[]>;
}
export interface NotifiesAnyway {
  /** Delivers a notification despite the recipient's focus state; throws ConnectorRefusal when this chat cannot. */
  notifyAnyway(chat: ChatRef): Promise<void>;
}
export interface UpdatesChatInfo {
  updateChatInfo(chat: ChatRef, change: { title?: string; description?: string | null; imgPath?: string | null; messageExpirySeconds?: number | null }): Promise<void>;
}

// ---- simulation (the sandbox) ------------------------------------------------------

/** How the network answers the next send, when a test scripts it. */
export interface ScriptedSend {
  outcome: 'success' | 'pending' | 'delay' | 'fail-retriable' | 'fail-permanent';
  /** delay: confirmation after this long (the send stays PENDING meanwhile). */
  delayMs?: number;
  /** fail-retriable: how many attempts fail before one succeeds (default 1). */
  failures?: number;
}

export interface SimulatedFile {
  bytes: Uint8Array;
  fileName: string;
  mimeType: string;
}

/** Commands a simulated network takes from the sandbox control API (IDs already resolved by core). */
export type SimulationCommand =
  | { kind: 'incoming'; chat: ChatRef; senderID?: string; text?: string; attachment?: SimulatedFile; replyTo?: MessageRef; timestamp?: number }
  | { kind: 'reaction'; chat: ChatRef; target: MessageRef; senderID?: string; key: string; removed?: boolean }
  | { kind: 'edit'; chat: ChatRef; target: MessageRef; text: string }
  | { kind: 'delete'; chat: ChatRef; target: MessageRef }
  | { kind: 'receipt'; chat: ChatRef; userID?: string; upTo?: MessageRef }
  | { kind: 'typing'; chat: ChatRef; userID?: string }
  | { kind: 'membership'; chat: ChatRef; userID: string; action: 'join' | 'leave' }
  /** Someone the user does not know writes first: a new one-to-one chat (a message request where the network has them). */
  | { kind: 'stranger'; fullName?: string; text?: string; attachment?: SimulatedFile }
  /** The user accepts a message request with the network's own Accept button (e.g. on their phone). */
  | { kind: 'accept'; chat: ChatRef }
  | { kind: 'focus'; userID: string; focused: boolean }
  | { kind: 'script'; sends: ScriptedSend[] }
  | { kind: 'online'; online: boolean }
  | { kind: 'inspect' }
  | { kind: 'generate'; chats: number; messages: number; seed: number; onProgress?: (done: number, total: number) => void };

/** What a simulated network reports about itself. */
export interface SimulationState {
  online: boolean;
  scriptedSends: ScriptedSend[];
  people: Array<{ id: string; fullName: string; focused: boolean }>;
  /** Messages the network accepted, in order (the last 1,000). */
  deliveries: Array<{ chatRemoteID: string; remoteID: string; transactionID: string; text?: string; at: number }>;
  /** Notify-anyway notifications that broke through Focus. */
  notifications: Array<{ chatID: string; userID: string; at: number }>;
}

export interface SimulationResult {
  remoteID?: string;
  chatRemoteID?: string;
  state?: SimulationState;
  generated?: { chats: number; messages: number; people: number };
}

export interface Simulates {
  /** Returns the remote IDs of what it created (incoming, stranger), the state (inspect), or nothing. */
  simulate(command: SimulationCommand): Promise<SimulationResult>;
}

export interface NetworkConnector {
  /** Name stored with each account, e.g. 'sandbox'. */
  readonly type: string;
  /** May load the client's code first (the XMPP connector does, on first use). */
  create(ctx: ConnectorContext): NetworkClient | Promise<NetworkClient>;
}

const has = <K extends string>(c: object, ...methods: K[]): boolean => methods.every((m) => typeof (c as Record<string, unknown>)[m] === 'function');
export const canEdit = (c: NetworkClient): c is NetworkClient & EditsMessages => has(c, 'editMessage');
export const canDelete = (c: NetworkClient): c is NetworkClient & DeletesMessages => has(c, 'deleteMessage');
export const canReact = (c: NetworkClient): c is NetworkClient & ReactsToMessages => has(c, 'addReaction', 'removeReaction');
export const canMarkRead = (c: NetworkClient): c is NetworkClient & SendsReadReceipts => has(c, 'markRead');
export const canSendTyping = (c: NetworkClient): c is NetworkClient & SendsTyping => has(c, 'setTyping');
export const canCreateChats = (c: NetworkClient): c is NetworkClient & CreatesChats => has(c, 'createChat');
export const canResolveUsers = (c: NetworkClient): c is NetworkClient & ResolvesUsers => has(c, 'resolveUser');
export const canSearchUsers = (c: NetworkClient): c is NetworkClient & SearchesUsers => has(c, 'searchUsers');
export const canNotifyAnyway = (c: NetworkClient): c is NetworkClient & NotifiesAnyway => has(c, 'notifyAnyway');
export const canSimulate = (c: NetworkClient): c is NetworkClient & Simulates => has(c, 'simulate');
export const canUpdateChatInfo = (c: NetworkClient): c is NetworkClient & UpdatesChatInfo => has(c, 'updateChatInfo');
