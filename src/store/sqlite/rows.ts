// Column ↔ record mapping shared by the SQLite query modules.
import type { AccountRecord, ChatRecord, Json, MessageRecord, UserRecord } from '../records.ts';

export type Row = Record<string, unknown>;

export const bool = (v: unknown): boolean => v === 1 || v === 1n || v === true;
export const int = (b: boolean | undefined): number => (b ? 1 : 0);
export const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
export function parse<T = Json>(v: unknown, fallback: T): T {
  return typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
}
const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

export function toAccount(r: Row): AccountRecord {
  return {
    id: r.id as string,
    connector: r.connector as string,
    network: r.network as string,
    bridgeId: r.bridge_id as string,
    bridgeType: r.bridge_type as string,
    provider: r.provider as AccountRecord['provider'],
    host: r.host as string,
    selfUserID: r.self_user_id as string,
    config: parse(r.config, {}),
    createdAt: r.created_at as number,
  };
}

export function toUser(r: Row): UserRecord {
  return {
    accountID: r.account_id as string,
    id: r.id as string,
    fullName: opt(r.full_name),
    username: opt(r.username),
    phoneNumber: opt(r.phone_number),
    email: opt(r.email),
    imgURL: opt(r.img_url),
    cannotMessage: bool(r.cannot_message),
    isSelf: bool(r.is_self),
    isContact: bool(r.is_contact),
  };
}

/** Every chat column toChat reads: not the search texts, which can be long for big groups. */
const CHAT_FIELDS = [
  'local_id', 'id', 'account_id', 'remote_id', 'type', 'title', 'custom_title', 'description', 'img_url', 'is_read_only', 'is_message_request', 'last_activity',
  'unread_count', 'unread_mentions_count', 'last_read_sort_key', 'is_marked_unread', 'is_archived', 'is_muted', 'is_pinned', 'is_low_priority',
  'message_expiry_seconds', 'draft', 'reminder', 'participant_count', 'created_at', 'version',
];
export const CHAT_COLUMNS = CHAT_FIELDS.join(', ');
export const chatColumnsOf = (alias: string) => CHAT_FIELDS.map((f) => `${alias}.${f}`).join(', ');

export function toChat(r: Row): ChatRecord {
  return {
    localID: r.local_id as number,
    id: r.id as string,
    accountID: r.account_id as string,
    remoteID: r.remote_id as string,
    type: r.type as ChatRecord['type'],
    title: r.title as string,
    customTitle: (r.custom_title as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    imgURL: (r.img_url as string | null) ?? null,
    isReadOnly: bool(r.is_read_only),
    isMessageRequest: bool(r.is_message_request),
    lastActivity: r.last_activity as number,
    unreadCount: r.unread_count as number,
    unreadMentionsCount: r.unread_mentions_count as number,
    lastReadSortKey: (r.last_read_sort_key as number | null) ?? null,
    isMarkedUnread: bool(r.is_marked_unread),
    isArchived: bool(r.is_archived),
    isMuted: bool(r.is_muted),
    isPinned: bool(r.is_pinned),
    isLowPriority: bool(r.is_low_priority),
    messageExpirySeconds: (r.message_expiry_seconds as number | null) ?? null,
    draft: parse(r.draft, null),
    reminder: parse(r.reminder, null),
    participantCount: r.participant_count as number,
    createdAt: r.created_at as number,
    version: r.version as number,
  };
}

/** Message rows are read joined with their chat (for chatID and accountID). */
export const MESSAGE_COLUMNS = `m.*, c.id AS chat_id, c.account_id AS account_id`;

export function toMessage(r: Row): MessageRecord {
  return {
    rowID: r.row_id as number,
    id: r.id as string,
    chatLocalID: r.chat_local_id as number,
    chatID: r.chat_id as string,
    accountID: r.account_id as string,
    remoteID: (r.remote_id as string | null) ?? null,
    pendingID: (r.pending_id as string | null) ?? null,
    sortKey: r.sort_key as number,
    timestamp: r.timestamp as number,
    senderID: r.sender_id as string,
    senderName: (r.sender_name as string | null) ?? null,
    type: r.type as string,
    text: (r.text as string | null) ?? null,
    plain: (r.plain as string | null) ?? null,
    editedAt: (r.edited_at as number | null) ?? null,
    editCount: r.edit_count as number,
    isSender: bool(r.is_sender),
    sendStatus: parse(r.send_status, null),
    isHidden: bool(r.is_hidden),
    isDeleted: bool(r.is_deleted),
    attachments: parse(r.attachments, []),
    linkedMessageID: (r.linked_message_id as string | null) ?? null,
    mentions: parse(r.mentions, null),
    links: parse(r.links, []),
    seen: parse(r.seen, null),
    mentionsSelf: bool(r.mentions_self),
    reactions: [],
  };
}
