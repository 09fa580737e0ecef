// How MCP results read: timestamps in the user's terms ("Tue 24 Nov, 14:05 (2
// hours ago)") and chats, messages and people as compact objects a model can act
// on, plus the plain-text rendering that goes along with them. Message texts are
// never shortened: long lists are paged instead.
import type { Account, User } from '../../core/schemas/user.ts';
import type { Chat, ChatWithPreview } from '../../core/schemas/chat.ts';
import type { Message } from '../../core/schemas/message.ts';
import { htmlToPlain } from '../../core/text.ts';
import type { McpAccount, McpChat, McpContact, McpMessage, McpPerson } from './schemas.ts';

/** The time zone timestamps are shown in: the machine's own (the user's, for a local server). */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const dateParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
];

/** "2 hours ago", "in 3 days", "just now". */
export function relativeTime(ms: number, now: number): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return 'just now';
  for (const [unit, size] of UNITS) {
    if (abs >= size || unit === 'minute') return relative.format(Math.round(diff / size) || Math.sign(diff), unit);
  }
  return 'just now';
}

/** "Tue 24 Nov, 14:05 (2 hours ago)"; the year is added when it is not the current one. */
export function humanTime(ms: number, now: number): string {
  const parts = Object.fromEntries(dateParts.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const currentYear = Object.fromEntries(dateParts.formatToParts(new Date(now)).map((p) => [p.type, p.value])).year;
  const year = parts.year !== currentYear ? ` ${parts.year}` : '';
  return `${parts.weekday} ${parts.day} ${parts.month}${year}, ${parts.hour}:${parts.minute} (${relativeTime(ms, now)})`;
}

/** The ISO and human forms of a wire timestamp. */
export function when(iso: string | undefined, now: number): { at: string; time: string } | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : { at: iso, time: humanTime(ms, now) };
}

const nameOf = (u: User | undefined) => u?.fullName ?? u?.username ?? u?.phoneNumber ?? u?.email ?? u?.id ?? 'Unknown';

/** Message text as plain text: Matrix HTML is flattened, nothing is cut. */
export const plainText = (m: Message) => (m.text === undefined ? '' : /<[a-z][^>]*>|&\w+;|&#/i.test(m.text) ? htmlToPlain(m.text) : m.text);

export interface ChatNames {
  title: string;
  network: string;
}

/** Display names of a chat's members by user ID ("You" for the account owner), to name who reacted. */
export function memberNames(chat: Chat): Map<string, string> {
  return new Map(chat.participants.items.map((p) => [p.id, p.isSelf ? 'You' : nameOf(p)]));
}

export function toMcpMessage(m: Message, now: number, chat?: ChatNames, names?: Map<string, string>): McpMessage {
  const t = when(m.timestamp, now)!;
  const out: McpMessage = {
    id: m.id,
    chatID: m.chatID,
    ...(chat ? { chatTitle: chat.title, network: chat.network } : {}),
    sender: { id: m.senderID, name: m.isSender ? 'You' : m.senderName ?? m.senderID, isMe: !!m.isSender },
    timestamp: t.at,
    time: t.time,
    type: m.type ?? 'TEXT',
    text: plainText(m),
  };
  if (m.isUnread) out.isUnread = true;
  if (m.editedTimestamp) out.editedAt = m.editedTimestamp;
  if (m.isDeleted) out.isDeleted = true;
  if (m.linkedMessageID) out.replyToMessageID = m.linkedMessageID;
  if (m.sendStatus) out.sendStatus = m.sendStatus.status;
  if (m.attachments?.length) {
    out.attachments = m.attachments.map((a) => ({
      ...(a.id ? { url: a.id } : {}),
      kind: a.isVoiceNote ? 'voice-note' : a.isSticker ? 'sticker' : a.isGif ? 'gif' : a.type === 'img' ? 'image' : a.type === 'unknown' ? 'file' : a.type,
      ...(a.fileName ? { fileName: a.fileName } : {}),
      ...(a.mimeType ? { mimeType: a.mimeType } : {}),
      ...(a.fileSize !== undefined ? { size: a.fileSize } : {}),
      ...(a.size?.width && a.size.height ? { width: a.size.width, height: a.size.height } : {}),
      ...(a.duration !== undefined ? { durationSeconds: a.duration } : {}),
    }));
  }
  if (m.reactions?.length) {
    out.reactions = m.reactions.map((r) => {
      const name = names?.get(r.participantID);
      return { reaction: r.reactionKey, by: r.participantID, ...(name ? { byName: name } : {}) };
    });
  }
  return out;
}

const person = (p: User): McpPerson => ({ id: p.id, name: p.isSelf ? 'You' : nameOf(p), isMe: !!p.isSelf });

export function toMcpChat(c: Chat | ChatWithPreview, now: number): McpChat {
  const last = when(c.lastActivity, now);
  const out: McpChat = {
    id: c.id,
    localChatID: c.localChatID ?? null,
    title: c.title,
    network: c.network,
    accountID: c.accountID,
    type: c.type,
    unreadCount: c.unreadCount,
    ...(last ? { lastActivity: last.at, lastActivityTime: last.time } : {}),
    participantCount: c.participants.total,
    participants: c.participants.items.map(person),
    isArchived: !!c.isArchived,
    isPinned: !!c.isPinned,
    isMuted: !!c.isMuted,
    isLowPriority: !!c.isLowPriority,
    isMarkedUnread: !!c.isMarkedUnread,
  };
  if (c.isReadOnly) out.isReadOnly = true;
  const reminder = when(c.reminder?.remindAt, now);
  if (reminder) out.reminder = { remindAt: reminder.at, time: reminder.time, dismissOnIncomingMessage: !!c.reminder?.dismissOnIncomingMessage };
  if (c.draft) {
    const files = Object.values(c.draft.attachments ?? {}).map((a) => a.fileName ?? a.id);
    out.draft = { text: htmlToPlain(c.draft.text), ...(files.length ? { attachments: files } : {}) };
  }
  if ('preview' in c && c.preview) out.lastMessage = toMcpMessage(c.preview, now);
  return out;
}

export function toMcpAccount(a: Account, state: string | undefined): McpAccount {
  return {
    accountID: a.accountID,
    network: a.network ?? a.bridge.type,
    user: toMcpContact(a.user),
    connection: state ?? 'offline',
  };
}

export function toMcpContact(u: User): McpContact {
  const out: McpContact = { id: u.id, name: nameOf(u) };
  if (u.username) out.username = u.username;
  if (u.phoneNumber) out.phoneNumber = u.phoneNumber;
  if (u.email) out.email = u.email;
  if (u.cannotMessage) out.cannotMessage = true;
  return out;
}

// ---- text renderings --------------------------------------------------------

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`);

/** One message as a block of text: header line, then the full text, then attachments and reactions. */
export function messageText(m: McpMessage, opts: { withChat?: boolean } = {}): string {
  const flags = [m.isUnread ? 'unread' : '', m.editedAt ? 'edited' : '', m.isDeleted ? 'deleted' : '', m.sendStatus && m.sendStatus !== 'SUCCESS' ? m.sendStatus.toLowerCase() : '']
    .filter(Boolean)
    .join(', ');
  const where = opts.withChat && m.chatTitle ? ` in "${m.chatTitle}" (${m.network}, chat ${m.chatID})` : '';
  const lines = [`[${m.time}] ${m.sender.name}${where}${flags ? ` (${flags})` : ''} — message ${m.id}${m.replyToMessageID ? `, replying to ${m.replyToMessageID}` : ''}:`];
  if (m.text) lines.push(...m.text.split('\n').map((l) => `  ${l}`));
  for (const a of m.attachments ?? []) {
    const dims = a.width && a.height ? `, ${a.width}×${a.height}` : '';
    lines.push(`  [${a.kind}: ${a.fileName ?? 'file'}${a.mimeType ? `, ${a.mimeType}` : ''}${a.size !== undefined ? `, ${size(a.size)}` : ''}${dims}${a.url ? `, ${a.url}` : ''}]`);
  }
  if (m.reactions?.length) lines.push(`  reactions: ${m.reactions.map((r) => `${r.reaction} by ${r.byName ?? r.by}`).join('; ')}`);
  return lines.join('\n');
}

export function chatLine(c: McpChat): string {
  const state = [c.unreadCount ? `${c.unreadCount} unread` : '', c.isMarkedUnread ? 'marked unread' : '', c.isPinned ? 'pinned' : '', c.isMuted ? 'muted' : '', c.isArchived ? 'archived' : '', c.isLowPriority ? 'low priority' : '']
    .filter(Boolean)
    .join(', ');
  const kind = c.type === 'group' ? `group of ${c.participantCount}` : 'one-to-one';
  return `"${c.title}" — ${c.network} ${kind}, chat ${c.id} (local ${c.localChatID ?? '-'})${c.lastActivityTime ? `, last active ${c.lastActivityTime}` : ''}${state ? `; ${state}` : ''}`;
}

export function chatText(c: McpChat, detail = false): string {
  const lines = [chatLine(c)];
  if (detail) {
    const shown = c.participants.map((p) => `${p.name} (${p.id})`).join(', ');
    lines.push(`  members: ${shown}${c.participantCount > c.participants.length ? `, and ${c.participantCount - c.participants.length} more` : ''}`);
    lines.push(`  account: ${c.accountID}`);
  }
  if (c.reminder) lines.push(`  reminder: ${c.reminder.time}${c.reminder.dismissOnIncomingMessage ? ' (cancelled by a new incoming message)' : ''}`);
  if (c.draft) lines.push(`  draft: ${c.draft.text}${c.draft.attachments ? ` [+ ${c.draft.attachments.join(', ')}]` : ''}`);
  if (c.lastMessage) lines.push(`  last message: ${messageText(c.lastMessage).replace(/\n/g, '\n  ')}`);
  return lines.join('\n');
}

export function contactText(u: McpContact): string {
  const ids = [u.username ? `@${u.username.replace(/^@/, '')}` : '', u.phoneNumber ?? '', u.email ?? ''].filter(Boolean).join(', ');
  return `${u.name} — ${u.id}${ids ? ` (${ids})` : ''}${u.cannotMessage ? ' [cannot be messaged from here]' : ''}`;
}

export const moreText = (tool: string, cursor: string | null) =>
  cursor ? `More results: call ${tool} again with the same arguments and cursor "${cursor}".` : 'No more results.';
