// Messages: listing, reading, sending (through a persistent outbox with retries),
// editing, deleting and reactions. Every operation is checked against the chat's
// capabilities before anything reaches the network.
import type { AccountRecord, ChatRecord, JsonObject, MessageRecord } from '../../store/records.ts';
import type { Attachment, Message, SendStatus } from '../schemas/message.ts';
import type { SendMessageBody } from '../schemas/inputs.ts';
import type { ChatCapabilities } from '../schemas/capabilities.ts';
import type { Core } from '../core.ts';
import type { ConnectorEvent, MessageRef, OutgoingMessage, RemoteAttachment } from '../../networks/connector.ts';
import { canDelete, canEdit, canReact, SendError } from '../../networks/connector.ts';
import { badRequest, networkCall, notFound, refused } from '../errors.ts';
import { cursorPage, decodeCursor } from '../cursors.ts';
import { presentMessage } from '../present.ts';
import { attachmentKind, checkAttachment, checkDeleteForEveryone, checkEdit, checkMessageRequest, checkReaction, checkText, isEmoji, requireFeature, type AttachmentHint } from '../capabilities.ts';
import { formatInput } from '../text.ts';
import { messageID, pendingMessageID, transactionID } from '../ids.ts';
import { attachmentJson, mediaFlags, messageType } from '../ingest.ts';

const MESSAGE_PAGE = 20;
/** Default retry delays for sends the network says may succeed later. */
export const RETRY_DELAYS_MS = [1_000, 4_000, 15_000, 60_000];

const status = (s: SendStatus['status'], at: number, extra: Partial<SendStatus> = {}): JsonObject =>
  ({ status: s, timestamp: new Date(at).toISOString(), ...extra }) as JsonObject;

/**
 * Message pages as UTF-8 JSON, kept per chat version: the store bumps a chat's
 * version in the same transaction as any change to its messages, reactions or
 * read marker, so a kept page is never stale. Oldest entries go first.
 */
const PAGE_CACHE_SIZE = 1_000;

export class Messages {
  private readonly inFlight = new Set<number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pages = new Map<string, { version: number; bytes: Buffer }>();

  constructor(private readonly core: Core) {}

  async view(chat: ChatRecord, m: MessageRecord, caps?: ChatCapabilities): Promise<Message> {
    const c = caps ?? (await this.core.capabilities(chat));
    return presentMessage(m, { lastReadSortKey: chat.lastReadSortKey, singleReaction: (c.reactionCount ?? 1) === 1 });
  }

  async views(chats: Map<number, ChatRecord>, messages: MessageRecord[]): Promise<Message[]> {
    const caps = new Map<number, ChatCapabilities>();
    const out: Message[] = [];
    for (const m of messages) {
      const chat = chats.get(m.chatLocalID)!;
      if (!caps.has(chat.localID)) caps.set(chat.localID, await this.core.capabilities(chat));
      out.push(await this.view(chat, m, caps.get(chat.localID)));
    }
    return out;
  }

  /** A message.upserted event's entries: each message once, as the API shows it (none once the chat is gone). */
  async eventViews(chatID: string, ids: string[]): Promise<Message[]> {
    const chat = await this.core.repo.getChat(chatID);
    if (!chat) return [];
    const caps = await this.core.capabilities(chat);
    const out: Message[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      const m = await this.core.repo.getMessage(chat.localID, id);
      if (m && !seen.has(m.rowID)) {
        seen.add(m.rowID);
        out.push(await this.view(chat, m, caps));
      }
    }
    return out;
  }

  /** A message of a chat by ID, pending ID or network ID; 404 otherwise. */
  async record(chat: ChatRecord, id: string): Promise<MessageRecord> {
    const m = await this.core.repo.getMessage(chat.localID, id);
    if (!m) throw notFound('MESSAGE_NOT_FOUND', `Chat ${chat.id} has no message "${id}".`);
    return m;
  }

  async list(idOrLocalID: string, q: { cursor?: string; direction?: 'before' | 'after' }) {
    return this.page(await this.core.chat(idOrLocalID), q);
  }

  /** The same page as list(), as UTF-8 JSON, from the page cache when the chat has not changed. */
  async listJSON(idOrLocalID: string, q: { cursor?: string; direction?: 'before' | 'after' }): Promise<Buffer> {
    const current = await this.core.chatVersion(idOrLocalID);
    const key = `${current.localID} ${q.direction ?? 'before'} ${q.cursor ?? ''}`;
    const hit = this.pages.get(key);
    if (hit?.version === current.version) return hit.bytes;
    const chat = await this.core.chat(idOrLocalID);
    const bytes = Buffer.from(JSON.stringify(await this.page(chat, q)));
    this.pages.delete(key);
    if (this.pages.size >= PAGE_CACHE_SIZE) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(key, { version: chat.version, bytes });
    return bytes;
  }

  private async page(chat: ChatRecord, q: { cursor?: string; direction?: 'before' | 'after' }) {
    const cursor = q.cursor ? decodeCursor('messages', q.cursor, ['number']) : undefined;
    const page = await this.core.repo.listMessages(chat.localID, { cursor: cursor && { sortKey: cursor[0], rowID: 0 }, direction: q.direction ?? 'before', limit: MESSAGE_PAGE });
    const caps = await this.core.capabilities(chat);
    const items = await Promise.all(page.items.map((m) => this.view(chat, m, caps)));
    return cursorPage('messages', page, items, (m) => [m.sortKey]);
  }

  async get(idOrLocalID: string, id: string): Promise<Message> {
    const chat = await this.core.chat(idOrLocalID);
    return this.view(chat, await this.record(chat, id));
  }

  async send(idOrLocalID: string, body: SendMessageBody): Promise<{ chatID: string; pendingMessageID: string }> {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    if (chat.isReadOnly) throw refused('CHAT_READ_ONLY', `You cannot send messages in this ${network} chat.`);
    const hasText = body.text !== undefined && body.text.trim() !== '';
    if (!hasText && !body.attachment) {
      throw badRequest('VALIDATION_ERROR', 'A message needs text, an attachment, or both.', { issues: [{ code: 'custom', message: 'text or attachment is required', path: ['text'] }] });
    }
    this.core.client(chat.accountID); // fail early when the account is not running
    const caps = await this.core.capabilities(chat);
    checkMessageRequest(chat.isMessageRequest, caps, 'reply', network);
    const text = hasText ? formatInput(body.text!) : undefined;
    // Every check before anything is stored: a refused send leaves no media behind.
    let replyTo: MessageRecord | undefined;
    if (body.replyToMessageID) {
      requireFeature(caps.reply, 'REPLY_UNSUPPORTED', 'replies', network);
      replyTo = await this.core.repo.getMessage(chat.localID, body.replyToMessageID);
      if (!replyTo) throw notFound('MESSAGE_NOT_FOUND', `Chat ${chat.id} has no message "${body.replyToMessageID}" to reply to.`);
    }
    let media: RemoteAttachment | undefined;
    if (body.attachment) {
      const a = body.attachment;
      const upload = await this.core.assets.upload(a.uploadID);
      const facts = {
        mimeType: a.mimeType ?? upload.mimeType,
        size: upload.size,
        width: a.size?.width ?? upload.width,
        height: a.size?.height ?? upload.height,
        duration: a.duration ?? upload.duration,
        hint: a.type as AttachmentHint | undefined,
        caption: text?.plain,
      };
      checkAttachment(caps, facts, network);
      const fileName = a.fileName ?? upload.fileName;
      const url = await this.core.media.storeFile(upload.path, { fileName, mimeType: facts.mimeType, size: upload.size, width: facts.width, height: facts.height, duration: facts.duration });
      const kind = a.type === 'voice-note' ? 'voice' : a.type === 'gif' ? 'gif' : a.type === 'sticker' ? 'sticker' : undefined;
      media = { url, mimeType: facts.mimeType, fileName, size: upload.size, kind, width: facts.width, height: facts.height, duration: facts.duration };
    } else if (text) {
      checkText(caps, text.plain, network);
    }
    const account = await this.core.account(chat.accountID);
    const pending = pendingMessageID();
    const now = this.core.now();
    const [record] = (await this.core.repo.insertMessages([
      {
        chatLocalID: chat.localID,
        id: pending,
        remoteID: null,
        pendingID: pending,
        timestamp: now,
        senderID: account.selfUserID,
        senderName: (await this.core.repo.getUser(account.id, account.selfUserID))?.fullName ?? null,
        type: messageType(media ? [media] : []),
        text: text?.text ?? null,
        plain: text?.plain ?? null,
        isSender: true,
        sendStatus: status('PENDING', now, { message: 'Sending' }),
        attachments: media ? [attachmentJson(media) as JsonObject] : [],
        linkedMessageID: replyTo?.id ?? null,
        mentions: null,
        links: [],
        seen: null,
        mentionsSelf: false,
        mediaFlags: mediaFlags(media ? [media] : [], text?.plain ?? null),
        expiresAt: chat.messageExpirySeconds ? now + chat.messageExpirySeconds * 1000 : null,
      },
    ])) as unknown as [{ rowID: number; id: string }];
    this.core.events.emit('message.upserted', chat.id, [record.id]);
    this.core.events.emit('chat.upserted', chat.id, [chat.id]);
    void this.dispatch(record.rowID, 0);
    return { chatID: chat.id, pendingMessageID: pending };
  }

  /** Sends (or re-sends) an outbox message; the outcome is stored on the message. */
  private async dispatch(rowID: number, attempt: number): Promise<void> {
    if (this.inFlight.has(rowID)) return;
    this.inFlight.add(rowID);
    let m: MessageRecord | undefined;
    try {
      m = await this.core.repo.getMessageByRowID(rowID);
      if (!m) return;
      const chatRecord = await this.core.chat(m.chatID);
      const ref = await this.core.chatRef(chatRecord);
      const client = this.core.client(m.accountID);
      const replyTo = m.linkedMessageID ? await this.core.repo.getMessage(chatRecord.localID, m.linkedMessageID) : undefined;
      const att = m.attachments[0] as Attachment | undefined;
      const media = att?.id ? await this.core.media.get(att.id) : undefined;
      const hint: AttachmentHint | undefined = att?.isVoiceNote ? 'voice-note' : att?.isGif ? 'gif' : att?.isSticker ? 'sticker' : undefined;
      const outgoing: OutgoingMessage = {
        transactionID: m.pendingID ?? m.id,
        text: m.text ?? undefined,
        html: m.text !== null && m.text !== m.plain,
        plain: m.plain ?? undefined,
        replyTo: replyTo?.remoteID ? this.ref(replyTo) : undefined,
        attachment: media && att ? {
          path: media.path,
          fileName: att.fileName ?? media.fileName,
          mimeType: att.mimeType ?? media.mimeType,
          size: media.size,
          kind: attachmentKind(att.mimeType ?? media.mimeType, hint),
          width: att.size?.width,
          height: att.size?.height,
          duration: att.duration,
        } : undefined,
      };
      const result = await client.sendMessage(ref, outgoing);
      const finalID = messageID(chatRecord.id, result.remoteID);
      // The network's echo of this very send may have been stored first; ours absorbs it.
      const echo = await this.core.repo.getMessage(chatRecord.localID, finalID);
      if (echo && echo.rowID !== rowID) await this.core.repo.deleteMessage(echo.rowID);
      const confirmed = await this.core.repo.updateMessage(rowID, {
        id: finalID,
        remoteID: result.remoteID,
        sendStatus: status(result.status ?? 'SUCCESS', this.core.now()),
      });
      // The pending ID rides along so clients can match the confirmation to their send.
      this.core.events.emit('message.upserted', chatRecord.id, m.pendingID && m.pendingID !== confirmed.id ? [confirmed.id, m.pendingID] : [confirmed.id]);
    } catch (err) {
      if (!m) return this.core.log.error({ err, rowID }, 'outbox message vanished');
      const retriable = err instanceof SendError ? err.retriable : false;
      const reason = err instanceof SendError ? err.reason : 'INTERNAL_ERROR';
      const message = err instanceof Error ? err.message : String(err);
      const delays = this.core.retryDelaysMs;
      const last = attempt >= delays.length;
      const s = retriable && !last ? 'FAIL_RETRIABLE' : 'FAIL_PERMANENT';
      this.core.log.warn({ chatID: m.chatID, messageID: m.id, attempt, reason, retriable }, `send failed: ${message}`);
      const updated = await this.core.repo.updateMessage(rowID, { sendStatus: status(s, this.core.now(), { reason, message, ...(err instanceof SendError ? {} : { internalError: message }) }) });
      this.core.events.emit('message.upserted', m.chatID, [updated.id]);
      if (s === 'FAIL_RETRIABLE') {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.dispatch(rowID, attempt + 1);
        }, delays[attempt]);
        timer.unref();
        this.timers.add(timer);
      }
    } finally {
      this.inFlight.delete(rowID);
    }
  }

  /** Re-sends what was still pending when the server last stopped. */
  async resumeOutbox(): Promise<number> {
    const pending = await this.core.repo.outbox();
    for (const m of pending) if (this.core.hasClient(m.accountID)) void this.dispatch(m.rowID, 0);
    return pending.length;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** A connector reports how a send it accepted as PENDING ended. */
  async applySendStatus(account: AccountRecord, e: Extract<ConnectorEvent, { type: 'sendStatus' }>): Promise<void> {
    const chat = await this.core.repo.getChatByRemoteID(account.id, e.chatRemoteID);
    const m = chat && (await this.core.repo.getMessage(chat.localID, messageID(chat.id, e.remoteID)));
    if (!chat || !m) return;
    const extra: Partial<SendStatus> = {};
    if (e.reason) extra.reason = e.reason;
    if (e.message) extra.message = e.message;
    if (e.deliveredTo) extra.deliveredToUsers = e.deliveredTo;
    await this.core.repo.updateMessage(m.rowID, { sendStatus: status(e.status, this.core.now(), extra) });
    this.core.events.emit('message.upserted', chat.id, [m.id]);
  }

  private ref(m: MessageRecord): MessageRef {
    return { id: m.id, remoteID: m.remoteID!, timestamp: m.timestamp, isSender: m.isSender };
  }

  private async confirmed(chat: ChatRecord, id: string, verb: string): Promise<MessageRecord> {
    const m = await this.record(chat, id);
    if (!m.remoteID) {
      throw refused('MESSAGE_PENDING', `The message is ${m.sendStatus ? `in state ${(m.sendStatus as SendStatus).status}` : 'not sent yet'}; it can only be ${verb} once the network has confirmed it.`);
    }
    if (m.isDeleted) throw refused('MESSAGE_DELETED', `The message was deleted and cannot be ${verb}.`);
    return m;
  }

  async edit(idOrLocalID: string, id: string, newText: string) {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const m = await this.confirmed(chat, id, 'edited');
    if (!m.isSender) throw refused('NOT_YOUR_MESSAGE', 'Only messages you sent can be edited.');
    if (m.attachments.length) throw refused('EDIT_UNSUPPORTED', 'Messages with attachments cannot be edited.');
    const caps = await this.core.capabilities(chat);
    checkEdit(caps, m, this.core.now(), network);
    const text = formatInput(newText);
    if (!text.plain.trim()) throw badRequest('VALIDATION_ERROR', 'The new text is empty.', { issues: [{ code: 'too_small', message: 'text must not be blank', path: ['text'] }] });
    checkText(caps, text.plain, network);
    const client = this.core.client(chat.accountID);
    if (!canEdit(client)) throw refused('EDIT_UNSUPPORTED', `${network} messages cannot be edited from here.`);
    const ref = await this.core.chatRef(chat);
    await networkCall(network, () => client.editMessage(ref, this.ref(m), text));
    const updated = await this.core.repo.updateMessage(m.rowID, {
      text: text.text,
      plain: text.plain,
      editedAt: this.core.now(),
      editCount: m.editCount + 1,
      mediaFlags: mediaFlags([], text.plain),
    });
    this.core.events.emit('message.upserted', chat.id, [updated.id]);
    return { ...(await this.view(chat, updated, caps)), success: true as const, messageID: updated.id };
  }

  async delete(idOrLocalID: string, id: string, forEveryone: boolean): Promise<void> {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const m = await this.record(chat, id);
    const status = (m.sendStatus as SendStatus | null)?.status;
    if (status === 'FAIL_PERMANENT' && !m.remoteID) {
      // Never reached the network: removing it here is all there is to do.
      await this.core.repo.deleteMessage(m.rowID);
      this.core.events.emit('message.deleted', chat.id, [m.id]);
      return;
    }
    if (m.pendingID === id) {
      throw badRequest('PENDING_MESSAGE_ID', `Pending message IDs cannot be used to delete; ${m.remoteID ? `delete by the final ID ${m.id}` : 'wait for the send to finish, then delete by the final message ID'}.`);
    }
    const caps = await this.core.capabilities(chat);
    const client = this.core.client(chat.accountID);
    if (forEveryone) {
      if (!m.isSender) throw refused('NOT_YOUR_MESSAGE', 'Only messages you sent can be deleted for everyone; use forEveryone=false to remove it for yourself.');
      if (m.isDeleted) throw refused('MESSAGE_DELETED', 'The message is already deleted.');
      checkDeleteForEveryone(caps, m.timestamp, this.core.now(), network);
      if (!canDelete(client)) throw refused('DELETE_UNSUPPORTED', `${network} messages cannot be deleted from here.`);
      const ref = await this.core.chatRef(chat);
      if (m.remoteID) await networkCall(network, () => client.deleteMessage(ref, this.ref(m), true));
      await this.core.repo.updateMessage(m.rowID, { isDeleted: true, text: null, plain: null, attachments: [], mediaFlags: 0 });
    } else {
      if (caps.deleteForMe === false) throw refused('DELETE_FOR_ME_UNSUPPORTED', `${network} cannot delete a message only for you.`);
      const ref = await this.core.chatRef(chat);
      if (m.remoteID && canDelete(client)) await networkCall(network, () => client.deleteMessage(ref, this.ref(m), false));
      await this.core.repo.deleteMessage(m.rowID);
      if (!m.isSender && !m.isDeleted) await this.core.repo.setReadMarker(chat.localID, chat.lastReadSortKey ?? 0);
    }
    this.core.events.emit('message.deleted', chat.id, [m.id]);
    this.core.events.emit('chat.upserted', chat.id, [chat.id]);
  }

  async react(idOrLocalID: string, id: string, key: string, txn?: string) {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const m = await this.confirmed(chat, id, 'reacted to');
    const caps = await this.core.capabilities(chat);
    checkMessageRequest(chat.isMessageRequest, caps, 'react', network);
    checkReaction(caps, key, network);
    const client = this.core.client(chat.accountID);
    if (!canReact(client)) throw refused('REACTION_UNSUPPORTED', `${network} reactions cannot be sent from here.`);
    const ref = await this.core.chatRef(chat);
    await networkCall(network, () => client.addReaction(ref, this.ref(m), key));
    const account = await this.core.account(chat.accountID);
    await this.core.repo.putReaction(m.rowID, { participantID: account.selfUserID, key, emoji: isEmoji(key), timestamp: this.core.now() }, (caps.reactionCount ?? 1) === 1);
    this.core.events.emit('message.upserted', chat.id, [m.id]);
    return { success: true as const, chatID: chat.id, messageID: m.id, reactionKey: key, transactionID: txn ?? transactionID() };
  }

  async unreact(idOrLocalID: string, id: string, key: string) {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const m = await this.confirmed(chat, id, 'changed');
    const account = await this.core.account(chat.accountID);
    if (!m.reactions.some((r) => r.participantID === account.selfUserID && r.key === key)) {
      throw notFound('REACTION_NOT_FOUND', `You have no "${key}" reaction on this message.`);
    }
    const client = this.core.client(chat.accountID);
    if (!canReact(client)) throw refused('REACTION_UNSUPPORTED', `${network} reactions cannot be removed from here.`);
    const ref = await this.core.chatRef(chat);
    await networkCall(network, () => client.removeReaction(ref, this.ref(m), key));
    await this.core.repo.deleteReaction(m.rowID, account.selfUserID, key);
    this.core.events.emit('message.upserted', chat.id, [m.id]);
    return { success: true as const, chatID: chat.id, messageID: m.id, reactionKey: key };
  }
}
