// Records → wire objects. Pure functions: everything they need is passed in.
import type { AccountRecord, ChatRecord, MessageRecord, ParticipantRecord, UserRecord } from '../store/records.ts';
import type { Account, Participant, User } from './schemas/user.ts';
import type { Chat, ChatDraft } from './schemas/chat.ts';
import type { Attachment, Message, SendStatus } from './schemas/message.ts';
import type { ChatCapabilities } from './schemas/capabilities.ts';

export const iso = (ms: number) => new Date(ms).toISOString();

/** Sort keys travel as fixed-width digit strings so that they also sort as strings. */
export const sortKeyString = (key: number) => String(key).padStart(16, '0');
export const parseSortKey = (s: string): number | undefined => (/^\d{1,16}$/.test(s) ? Number(s) : undefined);

export function presentUser(u: UserRecord): User {
  const out: User = { id: u.id };
  if (u.username) out.username = u.username;
  if (u.phoneNumber) out.phoneNumber = u.phoneNumber;
  if (u.email) out.email = u.email;
  if (u.fullName) out.fullName = u.fullName;
  if (u.imgURL) out.imgURL = u.imgURL;
  if (u.cannotMessage) out.cannotMessage = true;
  out.isSelf = !!u.isSelf;
  return out;
}

export function presentParticipant(p: ParticipantRecord): Participant {
  return { ...presentUser(p), isAdmin: !!p.isAdmin, isPending: !!p.isPending, isNetworkBot: !!p.isNetworkBot };
}

export function presentAccount(a: AccountRecord, self: UserRecord | undefined, connection?: Account['connection']): Account {
  return {
    accountID: a.id,
    bridge: { id: a.bridgeId, type: a.bridgeType, provider: a.provider },
    network: a.network,
    user: presentUser(self ?? { accountID: a.id, id: a.selfUserID, isSelf: true }),
    ...(connection ? { connection } : {}),
  };
}

export interface ChatContext {
  network: string;
  participants: ParticipantRecord[];
  capabilities: ChatCapabilities;
}

export function presentChat(c: ChatRecord, ctx: ChatContext): Chat {
  const chat: Chat = {
    id: c.id,
    localChatID: String(c.localID),
    accountID: c.accountID,
    network: ctx.network,
    title: c.customTitle ?? c.title,
    description: c.description,
    imgURL: c.imgURL,
    type: c.type,
    isReadOnly: c.isReadOnly,
    participants: {
      items: ctx.participants.map(presentParticipant),
      hasMore: ctx.participants.length < c.participantCount,
      total: c.participantCount,
    },
    lastActivity: iso(c.lastActivity),
    unreadCount: c.unreadCount,
    unreadMentionsCount: c.unreadMentionsCount,
    draft: (c.draft as ChatDraft | null) ?? null,
    reminder: c.reminder ? { remindAt: iso(c.reminder.remindAt), dismissOnIncomingMessage: c.reminder.dismissOnIncomingMessage } : null,
    snooze: null,
    isArchived: c.isArchived,
    isMarkedUnread: c.isMarkedUnread,
    isMuted: c.isMuted,
    isPinned: c.isPinned,
    isLowPriority: c.isLowPriority,
    messageExpirySeconds: c.messageExpirySeconds,
    capabilities: ctx.capabilities,
  };
  if (c.lastReadSortKey !== null) chat.lastReadMessageSortKey = sortKeyString(c.lastReadSortKey);
  return chat;
}

export interface MessageContext {
  lastReadSortKey: number | null;
  /** One reaction per person: reaction IDs are the person's ID; otherwise ID + key. */
  singleReaction: boolean;
}

export function presentMessage(m: MessageRecord, ctx: MessageContext): Message {
  const msg: Message = {
    id: m.id,
    chatID: m.chatID,
    accountID: m.accountID,
    senderID: m.senderID,
    timestamp: iso(m.timestamp),
    sortKey: sortKeyString(m.sortKey),
    type: m.type as Message['type'],
    isSender: m.isSender,
  };
  if (m.senderName) msg.senderName = m.senderName;
  if (m.text !== null) msg.text = m.text;
  if (m.editedAt !== null) msg.editedTimestamp = iso(m.editedAt);
  if (m.sendStatus) msg.sendStatus = m.sendStatus as SendStatus;
  if (m.isHidden) msg.isHidden = true;
  if (m.isDeleted) msg.isDeleted = true;
  if (m.attachments.length) msg.attachments = m.attachments as Attachment[];
  if (!m.isSender) msg.isUnread = ctx.lastReadSortKey === null || m.sortKey > ctx.lastReadSortKey;
  if (m.linkedMessageID) msg.linkedMessageID = m.linkedMessageID;
  if (m.mentions) msg.mentions = m.mentions;
  if (m.links.length) msg.links = m.links as Message['links'];
  if (m.reactions.length) {
    msg.reactions = m.reactions.map((r) => ({
      id: ctx.singleReaction ? r.participantID : `${r.participantID}${r.key}`,
      reactionKey: r.key,
      participantID: r.participantID,
      emoji: r.emoji,
      ...(r.imgURL ? { imgURL: r.imgURL } : {}),
    }));
  }
  if (m.seen !== null && m.seen !== undefined) msg.seen = m.seen as Message['seen'];
  return msg;
}
