// What connectors report, stored: chats, people, messages, edits, reactions,
// deletions, receipts. Everything is de-duplicated by the network's IDs, and the
// domain events go out only after the store has committed.
import type { AccountRecord, ChatRecord, JsonObject } from '../store/records.ts';
import type { MessageInsert } from '../store/repository.ts';
import type { ConnectorEvent, RemoteAttachment, RemoteChat, RemoteMessage, RemoteUser } from '../networks/connector.ts';
import type { Attachment } from './schemas/message.ts';
import type { Core } from './core.ts';
import { chatID, messageID } from './ids.ts';
import { formatInput, htmlToPlain, sanitizeMatrixHtml, type FormattedText } from './text.ts';
import { isEmoji } from './capabilities.ts';

export const MEDIA_IMAGE = 1;
export const MEDIA_VIDEO = 2;
export const MEDIA_FILE = 4;
export const MEDIA_LINK = 8;

const LINK = /\bhttps?:\/\/\S+/i;

/** Wire attachment for stored media. */
export function attachmentJson(a: RemoteAttachment): Attachment {
  const top = a.mimeType.split('/')[0];
  const type: Attachment['type'] = a.kind === 'image' || a.kind === 'gif' || a.kind === 'sticker' || (!a.kind && top === 'image') ? 'img' : a.kind === 'video' || top === 'video' ? 'video' : a.kind === 'voice' || a.kind === 'audio' || top === 'audio' ? 'audio' : 'unknown';
  const out: Attachment = { id: a.url, type, srcURL: a.url, mimeType: a.mimeType, fileName: a.fileName, fileSize: a.size };
  if (a.kind === 'gif' || a.mimeType === 'image/gif') out.isGif = true;
  if (a.kind === 'sticker') out.isSticker = true;
  if (a.kind === 'voice') out.isVoiceNote = true;
  if (a.duration !== undefined) out.duration = a.duration;
  if (a.width !== undefined && a.height !== undefined) out.size = { width: a.width, height: a.height };
  return out;
}

export function messageType(attachments: RemoteAttachment[]): string {
  const a = attachments[0];
  if (!a) return 'TEXT';
  if (a.kind === 'sticker') return 'STICKER';
  if (a.kind === 'voice') return 'VOICE';
  const top = a.mimeType.split('/')[0];
  if (a.kind === 'image' || a.kind === 'gif' || top === 'image') return 'IMAGE';
  if (a.kind === 'video' || top === 'video') return 'VIDEO';
  if (a.kind === 'audio' || top === 'audio') return 'AUDIO';
  return 'FILE';
}

export function mediaFlags(attachments: Array<{ mimeType?: string; type?: string }>, plain: string | null): number {
  // The includes() spares most texts the regular expression (a million times in a generated corpus).
  let flags = plain?.includes('://') && LINK.test(plain) ? MEDIA_LINK : 0;
  for (const a of attachments) {
    const top = a.mimeType?.split('/')[0];
    flags |= top === 'image' ? MEDIA_IMAGE : top === 'video' ? MEDIA_VIDEO : MEDIA_FILE;
  }
  return flags;
}

/** Text a connector received: HTML is sanitized, plain text stays plain. */
function receivedText(text: string | undefined, html: boolean | undefined): FormattedText | undefined {
  if (text === undefined || text === '') return undefined;
  if (!html) return { text, html: false, plain: text };
  const clean = sanitizeMatrixHtml(text);
  return { text: clean, html: true, plain: htmlToPlain(clean) };
}

export class Ingest {
  constructor(private readonly core: Core) {}

  async apply(account: AccountRecord, event: ConnectorEvent): Promise<void> {
    switch (event.type) {
      case 'users':
        return this.users(account, event.users);
      case 'chat':
        return void (await this.chat(account, event.chat));
      case 'messages':
        return void (await this.messages(account, event.chatRemoteID, event.messages, event.history ?? false));
      case 'history':
        return void (await this.messagesOf(account, event.chats, true));
      case 'members':
        return this.members(account, event);
      case 'edit':
        return this.edit(account, event);
      case 'reaction':
        return this.reaction(account, event);
      case 'delete':
        return this.remove(account, event);
      case 'receipt':
        return this.receipt(account, event);
      case 'read':
        return this.read(account, event);
      case 'sendStatus':
        return this.core.messages.applySendStatus(account, event);
      case 'typing':
      case 'state':
        return; // typing reaches clients once live events carry it
    }
  }

  async users(account: AccountRecord, users: RemoteUser[]): Promise<void> {
    await this.core.repo.putUsers(users.map((u) => ({ ...u, accountID: account.id, isSelf: u.id === account.selfUserID })));
    this.core.chats.forgetViews(); // members' names may have changed in any chat
  }

  async chat(account: AccountRecord, remote: RemoteChat): Promise<ChatRecord> {
    const repo = this.core.repo;
    const id = chatID(account.id, remote.remoteID, account.host);
    if (remote.participants) await this.users(account, remote.participants);
    const existing = await repo.getChatByRemoteID(account.id, remote.remoteID);
    // A network may list someone twice (or the user among the others): each member once.
    const others = [...new Map((remote.participants ?? []).filter((p) => p.id !== account.selfUserID).map((p) => [p.id, p])).values()];
    const title = remote.title ?? (remote.type === 'single' ? others[0]?.fullName || others[0]?.username || others[0]?.phoneNumber || others[0]?.id : undefined) ?? existing?.title ?? 'Untitled chat';
    let chat = await repo.upsertChat({
      id,
      accountID: account.id,
      remoteID: remote.remoteID,
      type: remote.type,
      title,
      description: remote.description,
      imgURL: remote.imgURL,
      isReadOnly: remote.isReadOnly,
      isMessageRequest: remote.isMessageRequest,
      lastActivity: remote.lastActivity ?? existing?.lastActivity ?? this.core.now(),
      network: account.network,
    });
    if (remote.participants) {
      await repo.setParticipants(chat.localID, [
        { userID: account.selfUserID },
        ...others.map((p) => ({ userID: p.id, isAdmin: p.isAdmin, isPending: p.isPending, isNetworkBot: p.isNetworkBot })),
      ]);
    }
    if (!existing && remote.state) chat = await repo.updateChatState(chat.localID, remote.state);
    else chat = (await repo.getChat(chat.id))!;
    this.core.events.emit('chat.upserted', chat.id, [chat.id]);
    return chat;
  }

  private async chatFor(account: AccountRecord, chatRemoteID: string): Promise<ChatRecord | undefined> {
    const chat = await this.core.repo.getChatByRemoteID(account.id, chatRemoteID);
    if (!chat) this.core.log.warn({ accountID: account.id, chatRemoteID }, 'event for a chat the connector never announced; dropped');
    return chat;
  }

  async messages(account: AccountRecord, chatRemoteID: string, messages: RemoteMessage[], history: boolean): Promise<string[]> {
    return this.messagesOf(account, [{ chatRemoteID, messages }], history);
  }

  /**
   * Stores the messages of one or more chats in a single batch (one transaction),
   * then announces them chat by chat. Bulk history for many small chats goes in
   * one write instead of one per chat.
   */
  async messagesOf(account: AccountRecord, groups: Array<{ chatRemoteID: string; messages: RemoteMessage[] }>, history: boolean): Promise<string[]> {
    const repo = this.core.repo;
    // Senders' names first, one lookup each: a batch can hold tens of thousands of
    // messages from a handful of people, and the loop below then awaits nothing per message.
    const names = new Map<string, string | null>();
    for (const { messages } of groups) {
      for (const { senderID } of messages) {
        if (names.has(senderID)) continue;
        const u = await repo.getUser(account.id, senderID);
        names.set(senderID, u?.fullName ?? u?.username ?? null);
      }
    }
    const batch: MessageInsert[] = [];
    const sources: Array<{ chat: ChatRecord; m: RemoteMessage }> = [];
    for (const { chatRemoteID, messages } of groups) {
      const chat = messages.length ? await this.chatFor(account, chatRemoteID) : undefined;
      if (!chat) continue;
      for (const m of messages) {
        const text = receivedText(m.text, m.html);
        const attachments = m.attachments ?? [];
        const isSender = m.isSender || m.senderID === account.selfUserID;
        const mentions = m.mentions ?? null;
        sources.push({ chat, m });
        batch.push({
          chatLocalID: chat.localID,
          id: messageID(chat.id, m.remoteID),
          remoteID: m.remoteID,
          pendingID: null,
          timestamp: m.timestamp,
          senderID: m.senderID,
          senderName: names.get(m.senderID) ?? null,
          type: messageType(attachments),
          text: text?.text ?? null,
          plain: text?.plain ?? null,
          isSender,
          sendStatus: isSender ? ({ status: 'SUCCESS', timestamp: new Date(m.timestamp).toISOString() } as JsonObject) : null,
          attachments: attachments.map((a) => attachmentJson(a) as JsonObject),
          linkedMessageID: m.replyToRemoteID ? messageID(chat.id, m.replyToRemoteID) : null,
          mentions,
          links: [],
          seen: null,
          mentionsSelf: !!mentions && (mentions.includes(account.selfUserID) || mentions.includes('@room')),
          mediaFlags: mediaFlags(attachments, text?.plain ?? null),
          expiresAt: chat.messageExpirySeconds ? m.timestamp + chat.messageExpirySeconds * 1000 : null,
        });
      }
    }
    if (!batch.length) return [];
    const results = await repo.insertMessages(batch);
    const insertedByChat = new Map<ChatRecord, string[]>();
    const heardFrom = new Set<ChatRecord>(); // chats with a new message from someone else
    for (let i = 0; i < sources.length; i++) {
      const { chat, m } = sources[i]!;
      const r = results[i]!;
      for (const x of m.reactions ?? []) {
        await repo.putReaction(r.rowID, { participantID: x.senderID, key: x.key, emoji: isEmoji(x.key), timestamp: x.timestamp ?? m.timestamp }, false);
      }
      if (!r.inserted) continue;
      const ids = insertedByChat.get(chat);
      if (ids) ids.push(r.id);
      else insertedByChat.set(chat, [r.id]);
      if (!batch[i]!.isSender) heardFrom.add(chat);
    }
    for (const [chat, ids] of insertedByChat) {
      if (!history && heardFrom.has(chat) && chat.reminder?.dismissOnIncomingMessage) await repo.updateChatState(chat.localID, { reminder: null });
      this.core.events.emit('message.upserted', chat.id, ids);
      this.core.events.emit('chat.upserted', chat.id, [chat.id]);
    }
    return [...insertedByChat.values()].flat();
  }

  /** Joins and leaves, applied to the member list as it stands (roles of others kept). */
  private async members(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'members' }>) {
    const chat = await this.chatFor(account, e.chatRemoteID);
    if (!chat) return;
    if (e.joined?.length) await this.users(account, e.joined);
    const { items } = await this.core.repo.listParticipants(chat.localID, -1);
    const left = new Set(e.left ?? []);
    const members = items.filter((p) => !left.has(p.id)).map((p) => ({ userID: p.id, isAdmin: p.isAdmin, isPending: p.isPending, isNetworkBot: p.isNetworkBot }));
    for (const p of e.joined ?? []) {
      if (!members.some((m) => m.userID === p.id)) members.push({ userID: p.id, isAdmin: p.isAdmin, isPending: p.isPending, isNetworkBot: p.isNetworkBot });
    }
    await this.core.repo.setParticipants(chat.localID, members);
    this.core.events.emit('chat.upserted', chat.id, [chat.id]);
  }

  private async target(account: AccountRecord, chatRemoteID: string, targetRemoteID: string) {
    const chat = await this.chatFor(account, chatRemoteID);
    const message = chat && (await this.core.repo.getMessage(chat.localID, messageID(chat.id, targetRemoteID)));
    if (chat && !message) this.core.log.debug({ chatID: chat.id, targetRemoteID }, 'event for an unknown message; dropped');
    return chat && message ? { chat, message } : undefined;
  }

  private async edit(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'edit' }>) {
    const t = await this.target(account, e.chatRemoteID, e.targetRemoteID);
    if (!t) return;
    const text = receivedText(e.text, e.html) ?? formatInput(e.text);
    await this.core.repo.updateMessage(t.message.rowID, {
      text: text.text,
      plain: text.plain,
      editedAt: e.timestamp,
      editCount: t.message.editCount + 1,
      mediaFlags: mediaFlags(t.message.attachments as Attachment[], text.plain),
    });
    this.core.events.emit('message.upserted', t.chat.id, [t.message.id]);
  }

  private async reaction(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'reaction' }>) {
    const t = await this.target(account, e.chatRemoteID, e.targetRemoteID);
    if (!t) return;
    if (e.removed) await this.core.repo.deleteReaction(t.message.rowID, e.senderID, e.key);
    else {
      const caps = await this.core.capabilities(t.chat);
      await this.core.repo.putReaction(t.message.rowID, { participantID: e.senderID, key: e.key, emoji: isEmoji(e.key), timestamp: e.timestamp }, (caps.reactionCount ?? 1) === 1);
    }
    this.core.events.emit('message.upserted', t.chat.id, [t.message.id]);
  }

  private async remove(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'delete' }>) {
    const t = await this.target(account, e.chatRemoteID, e.targetRemoteID);
    if (!t) return;
    await this.core.repo.updateMessage(t.message.rowID, { isDeleted: true, text: null, plain: null, attachments: [], mediaFlags: 0 });
    this.core.events.emit('message.deleted', t.chat.id, [t.message.id]);
  }

  /** Someone read up to a message: our messages up to it become seen. */
  private async receipt(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'receipt' }>) {
    const t = await this.target(account, e.chatRemoteID, e.upToRemoteID);
    if (!t) return;
    const when = new Date(e.timestamp).toISOString();
    const changed: string[] = [];
    // Walk back over our own recent messages that the receipt covers.
    let cursor: { sortKey: number; rowID: number } | undefined = { sortKey: t.message.sortKey + 1, rowID: 0 };
    for (let pages = 0; cursor && pages < 5; pages++) {
      const page = await this.core.repo.listMessages(t.chat.localID, { cursor, direction: 'before', limit: 50 });
      for (const m of page.items) {
        if (!m.isSender) continue;
        const seen = t.chat.type === 'single' ? when : { ...((m.seen as Record<string, string>) ?? {}), [e.userID]: when };
        if (t.chat.type === 'single' && m.seen) {
          cursor = undefined;
          break;
        }
        await this.core.repo.updateMessage(m.rowID, { seen });
        changed.push(m.id);
      }
      const last = page.items.at(-1);
      cursor = cursor && page.hasMore && last ? { sortKey: last.sortKey, rowID: last.rowID } : undefined;
    }
    if (changed.length) this.core.events.emit('message.upserted', t.chat.id, changed);
  }

  /** The account owner read the chat elsewhere. */
  private async read(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'read' }>) {
    const chat = await this.chatFor(account, e.chatRemoteID);
    if (!chat) return;
    const upTo = e.upToRemoteID ? await this.core.repo.getMessage(chat.localID, messageID(chat.id, e.upToRemoteID)) : undefined;
    await this.core.repo.setReadMarker(chat.localID, upTo?.sortKey ?? null);
    if (chat.isMarkedUnread) await this.core.repo.updateChatState(chat.localID, { isMarkedUnread: false });
    this.core.events.emit('chat.upserted', chat.id, [chat.id]);
  }
}
