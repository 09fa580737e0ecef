// Chats: listing, details, search, user-side state (archive, pin, mute, drafts,
// reminders, read markers), creation and notify-anyway.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { ChatRecord, JsonObject } from '../../store/records.ts';
import type { ChatStatePatch, Page } from '../../store/repository.ts';
import type { Chat, ChatWithPreview, CreateChatOutput, DraftAttachment } from '../schemas/chat.ts';
import type { ChatDraftInput, CreateChatBody, FocusBody, ListChatsQuery, PatchChatBody, ReminderBody, SearchChatsQuery, StartChatBody } from '../schemas/inputs.ts';
import type { Core } from '../core.ts';
import { canCreateChats, canMarkRead, canNotifyAnyway, canResolveUsers, canUpdateChatInfo } from '../../networks/connector.ts';
import { badRequest, networkCall, refused } from '../errors.ts';
import { cursorPage, decodeCursor } from '../cursors.ts';
import { presentChat, presentMessage } from '../present.ts';
import { requireFeature } from '../capabilities.ts';
import { formatInput } from '../text.ts';
import { opaqueID } from '../ids.ts';

/** List and search endpoints embed at most this many participants per chat. */
export const LIST_PARTICIPANTS = 20;
const CHAT_PAGE = 25;

/**
 * Chats as the API shows them, kept per chat version (the store bumps it on any
 * change to the chat, its members, messages or reactions), so a cached view is
 * never stale; dropped wholesale when people's profiles change or an account
 * starts or stops. Lists send the cached JSON text as is.
 */
const VIEW_CACHE_SIZE = 5_000;
const LIST_START = Buffer.from('{"items":[');
const COMMA = Buffer.from(',');
interface CachedView {
  view: ChatWithPreview;
  /** The view as UTF-8 JSON, ready to be copied into a list response. */
  bytes: Buffer;
  version: number;
}

export class Chats {
  private readonly cache = new Map<number, Map<string, CachedView>>();

  constructor(private readonly core: Core) {}

  /** Drops every cached view (e.g. when names of people change). */
  forgetViews(): void {
    this.cache.clear();
  }

  private cached(chat: { localID: number; version: number }, key: string): CachedView | undefined {
    const hit = this.cache.get(chat.localID)?.get(key);
    return hit?.version === chat.version ? hit : undefined;
  }

  private remember(chat: ChatRecord, key: string, view: ChatWithPreview): CachedView {
    if (this.cache.size >= VIEW_CACHE_SIZE) this.cache.clear();
    let views = this.cache.get(chat.localID);
    if (!views) this.cache.set(chat.localID, (views = new Map()));
    const entry = { view, bytes: Buffer.from(JSON.stringify(view)), version: chat.version };
    views.set(key, entry);
    return entry;
  }

  /** One chat as the API shows it. Cached views are shared: callers must not change them. */
  async view(chat: ChatRecord, participantLimit = 100): Promise<Chat> {
    return (await this.entry(chat, participantLimit)).view;
  }

  private async entry(chat: ChatRecord, participantLimit: number): Promise<CachedView> {
    const key = `one:${participantLimit}`;
    const hit = this.cached(chat, key);
    if (hit) return hit;
    const ref = await this.core.chatRef(chat);
    const [participants, capabilities, network] = await Promise.all([
      this.core.repo.listParticipants(chat.localID, participantLimit),
      this.core.capabilities(chat, ref),
      this.core.networkName(chat.accountID),
    ]);
    return this.remember(chat, key, presentChat(chat, { network, participants: participants.items, capabilities }));
  }

  /** Several chats for a list or search, with at most 20 participants each. */
  async views(chats: ChatRecord[]): Promise<Chat[]> {
    return (await this.listViews(chats, false)).map((v) => v.view);
  }

  /** The same as views(), as UTF-8 JSON per chat (the cached text). */
  async viewsJSON(chats: ChatRecord[]): Promise<Array<{ id: string; bytes: Buffer }>> {
    return (await this.listViews(chats, false)).map((v) => ({ id: v.view.id, bytes: v.bytes }));
  }

  private async listViews(chats: ChatRecord[], withPreview: boolean): Promise<CachedView[]> {
    const key = withPreview ? 'list+preview' : 'list';
    const out = chats.map((c) => this.cached(c, key));
    const missing = chats.filter((_, i) => !out[i]);
    if (missing.length) {
      const ids = missing.map((c) => c.localID);
      const [participants, previews] = await Promise.all([
        this.core.repo.participantsOf(ids, LIST_PARTICIPANTS),
        withPreview ? this.core.repo.latestMessages(ids) : Promise.resolve(new Map()),
      ]);
      for (const [i, c] of chats.entries()) {
        if (out[i]) continue;
        const capabilities = await this.core.capabilities(c);
        const view: ChatWithPreview = presentChat(c, { network: await this.core.networkName(c.accountID), participants: participants.get(c.localID) ?? [], capabilities });
        const last = previews.get(c.localID);
        if (last) view.preview = presentMessage(last, { lastReadSortKey: c.lastReadSortKey, singleReaction: (capabilities.reactionCount ?? 1) === 1 });
        out[i] = this.remember(c, key, view);
      }
    }
    return out as CachedView[];
  }

  private page<T>(page: Page<{ lastActivity: number; localID: number }>, items: T[]) {
    return cursorPage('chats', page, items, (c) => [c.lastActivity, c.localID]);
  }

  private cursor(cursor: string | undefined) {
    if (!cursor) return undefined;
    const [lastActivity, localID] = decodeCursor('chats', cursor, ['number', 'number']);
    return { lastActivity, localID };
  }

  /**
   * A page of GET /v1/chats, as UTF-8 JSON assembled from the cached views: the page
   * is read as keys and versions, and only chats whose view is not cached at that
   * version are read in full.
   */
  async listJSON(q: ListChatsQuery): Promise<Buffer> {
    const page = await this.core.repo.listChatVersions({ accountIDs: q.accountIDs, cursor: this.cursor(q.cursor), direction: q.direction ?? 'before', limit: CHAT_PAGE });
    const key = 'list+preview';
    const views = page.items.map((k) => this.cached(k, key));
    const missing = page.items.filter((_, i) => !views[i]).map((k) => k.localID);
    if (missing.length) {
      const records = [...(await this.core.repo.getChatsByLocalIDs(missing)).values()];
      const fresh = await this.listViews(records, true);
      const byLocalID = new Map(records.map((c, i) => [c.localID, fresh[i]!]));
      page.items.forEach((k, i) => (views[i] ??= byLocalID.get(k.localID)));
    }
    const { items: _items, ...rest } = this.page(page, []);
    // A chat deleted between the two reads is left out.
    const parts: Buffer[] = [LIST_START];
    for (const v of views) {
      if (!v) continue;
      if (parts.length > 1) parts.push(COMMA);
      parts.push(v.bytes);
    }
    parts.push(Buffer.from(`],${JSON.stringify(rest).slice(1)}`));
    return Buffer.concat(parts);
  }

  /** A chat.upserted event's entries: the chat as lists show it (none once it is gone). */
  async eventViews(chatID: string): Promise<Chat[]> {
    const chat = await this.core.repo.getChat(chatID);
    return chat ? this.views([chat]) : [];
  }

  /** The chat ID of a chat named by its ID or local ID, or undefined when there is none. */
  async idOf(idOrLocalID: string): Promise<string | undefined> {
    return (await this.core.repo.getChat(idOrLocalID))?.id;
  }

  async get(idOrLocalID: string, maxParticipantCount: number | null | undefined): Promise<Chat> {
    return this.view(await this.core.chat(idOrLocalID), maxParticipantCount ?? 100);
  }

  /** The same as get(), as UTF-8 JSON. */
  async getJSON(idOrLocalID: string, maxParticipantCount: number | null | undefined): Promise<Buffer> {
    const limit = maxParticipantCount ?? 100;
    const hit = this.cached(await this.core.chatVersion(idOrLocalID), `one:${limit}`);
    return (hit ?? (await this.entry(await this.core.chat(idOrLocalID), limit))).bytes;
  }

  async searchRecords(q: SearchChatsQuery) {
    return this.core.repo.searchChats({
      text: q.query,
      scope: q.scope ?? 'titles',
      inbox: q.inbox,
      unreadOnly: q.unreadOnly ?? undefined,
      type: q.type === 'any' ? undefined : q.type,
      lastActivityBefore: q.lastActivityBefore ? Date.parse(q.lastActivityBefore) : undefined,
      lastActivityAfter: q.lastActivityAfter ? Date.parse(q.lastActivityAfter) : undefined,
      accountIDs: q.accountIDs,
      includeMuted: q.includeMuted ?? true,
      cursor: this.cursor(q.cursor),
      direction: q.direction ?? 'before',
      limit: q.limit ?? 50,
    });
  }

  async search(q: SearchChatsQuery) {
    const page = await this.searchRecords(q);
    return this.page(page, await this.views(page.items));
  }

  async patch(idOrLocalID: string, body: PatchChatBody): Promise<Chat> {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const ref = await this.core.chatRef(chat);
    const caps = await this.core.capabilities(chat, ref);
    const patch: ChatStatePatch = {
      isArchived: body.isArchived,
      isLowPriority: body.isLowPriority,
      isPinned: body.isPinned,
      isMuted: body.isMuted,
    };
    const networkChange: { title?: string; description?: string | null; imgPath?: string | null; messageExpirySeconds?: number | null } = {};
    if (body.title !== undefined) {
      requireFeature(caps.state?.title?.level, 'TITLE_UNSUPPORTED', 'renaming', network);
      if (body.title !== null && !body.title.trim()) throw badRequest('VALIDATION_ERROR', 'title must not be blank; send null to go back to the network title.');
      patch.customTitle = body.title;
      if (body.title !== null) networkChange.title = body.title;
    }
    if (body.description !== undefined) {
      requireFeature(caps.state?.description?.level, 'DESCRIPTION_UNSUPPORTED', 'changing the description', network);
      patch.description = body.description;
      networkChange.description = body.description;
    }
    if (body.imgURL !== undefined) {
      requireFeature(caps.state?.avatar?.level, 'AVATAR_UNSUPPORTED', 'changing the chat picture', network);
      const path = body.imgURL === null ? null : await this.core.assets.localFile(body.imgURL);
      patch.imgURL = path === null ? null : body.imgURL;
      networkChange.imgPath = path;
    }
    if (body.messageExpirySeconds !== undefined) {
      const seconds = body.messageExpirySeconds || null;
      requireFeature(caps.state?.disappearingTimer?.level, 'DISAPPEARING_UNSUPPORTED', 'disappearing messages', network);
      const timers = caps.disappearingTimer?.timers;
      if (seconds !== null && timers && !timers.includes(seconds * 1000)) {
        throw refused('DISAPPEARING_TIMER_NOT_ALLOWED', `${network} accepts these timers only: ${timers.map((t) => `${t / 1000} s`).join(', ')}.`, { allowedSeconds: timers.map((t) => t / 1000) });
      }
      patch.messageExpirySeconds = seconds;
      networkChange.messageExpirySeconds = seconds;
    }
    if (body.draft !== undefined) patch.draft = await this.draft(chat, body.draft);
    if (Object.keys(networkChange).length) {
      const client = this.core.client(chat.accountID);
      if (!canUpdateChatInfo(client)) throw refused('CHAT_INFO_UNSUPPORTED', `${network} chats cannot be changed from here.`);
      await networkCall(network, () => client.updateChatInfo(ref, networkChange));
    }
    return this.commit(chat, patch);
  }

  /** Applies a state patch and announces it. */
  async commit(chat: ChatRecord, patch: ChatStatePatch, participantLimit = 100): Promise<Chat> {
    const updated = await this.core.repo.updateChatState(chat.localID, patch);
    this.core.events.emit('chat.upserted', updated.id, [updated.id]);
    return this.view(updated, participantLimit);
  }

  /** Validates a draft change: a new non-empty draft only replaces an empty one. */
  async draft(chat: ChatRecord, input: ChatDraftInput): Promise<JsonObject | null> {
    if (input === null) return null;
    const attachments: Record<string, DraftAttachment> = {};
    for (const [key, a] of Object.entries(input.attachments ?? {})) {
      const upload = await this.core.assets.upload(a.uploadID);
      const id = a.id ?? key ?? opaqueID(8);
      const mimeType = a.mimeType ?? upload.mimeType;
      attachments[id] = {
        id,
        type: a.type === 'gif' || mimeType === 'image/gif' ? 'gif' : a.type === 'voice-note' ? 'recorded_audio' : 'file',
        mimeType,
        fileName: a.fileName ?? upload.fileName,
        filePath: upload.path,
        fileSize: upload.size,
        ...(a.size ? { size: a.size } : upload.width && upload.height ? { size: { width: upload.width, height: upload.height } } : {}),
        ...(a.duration !== undefined ? { audioDurationSeconds: a.duration } : {}),
      };
    }
    const text = input.text ? formatInput(input.text).text : '';
    const empty = !text && !Object.keys(attachments).length;
    if (!empty) assertNoDraft(chat);
    return empty ? null : ({ text, ...(Object.keys(attachments).length ? { attachments } : {}) } as JsonObject);
  }

  /** POST /v1/focus: no window to focus, but the draft it describes is set. */
  async focus(body: FocusBody): Promise<{ success: true }> {
    if (!body.chatID) return { success: true };
    const chat = await this.core.chat(body.chatID);
    if (body.messageID) await this.core.messages.record(chat, body.messageID);
    if (body.draftText === undefined && !body.draftAttachmentPath) return { success: true };
    const attachments: Record<string, { uploadID: string }> = {};
    if (body.draftAttachmentPath) {
      assertNoDraft(chat); // before the file is copied: a refused focus stores nothing
      const path = await this.core.assets.localFile(body.draftAttachmentPath);
      const upload = await this.core.assets.saveUpload(createReadStream(path), { fileName: basename(path) });
      attachments[upload.uploadID!] = { uploadID: upload.uploadID! };
    }
    await this.commit(chat, { draft: await this.draft(chat, { text: body.draftText ?? '', attachments }) });
    return { success: true };
  }

  async archive(idOrLocalID: string, archived: boolean): Promise<void> {
    const chat = await this.core.chat(idOrLocalID);
    const caps = await this.core.capabilities(chat);
    if (caps.archive === false) throw refused('ARCHIVE_UNSUPPORTED', `${await this.core.networkName(chat.accountID)} chats cannot be archived.`);
    await this.commit(chat, { isArchived: archived });
  }

  async setReminder(idOrLocalID: string, body: ReminderBody): Promise<void> {
    const chat = await this.core.chat(idOrLocalID);
    const remindAt = Date.parse(body.reminder.remindAt);
    await this.commit(chat, { reminder: { remindAt, dismissOnIncomingMessage: body.reminder.dismissOnIncomingMessage ?? false } });
    void this.core.due.check();
  }

  async clearReminder(idOrLocalID: string): Promise<void> {
    const chat = await this.core.chat(idOrLocalID);
    await this.commit(chat, { reminder: null });
  }

  async markRead(idOrLocalID: string, messageID?: string): Promise<Chat> {
    const chat = await this.core.chat(idOrLocalID);
    const upTo = messageID ? await this.core.messages.record(chat, messageID) : undefined;
    const updated = await this.core.repo.setReadMarker(chat.localID, upTo?.sortKey ?? null);
    const client = this.core.hasClient(chat.accountID) ? this.core.client(chat.accountID) : undefined;
    if (client && canMarkRead(client)) {
      const ref = await this.core.chatRef(chat);
      const target = upTo ?? (await this.core.repo.latestMessages([chat.localID])).get(chat.localID);
      await networkCall(await this.core.networkName(chat.accountID), () => client.markRead(ref, target?.remoteID ? { id: target.id, remoteID: target.remoteID, timestamp: target.timestamp, isSender: target.isSender } : undefined));
    }
    return this.commit(updated, { isMarkedUnread: false });
  }

  async markUnread(idOrLocalID: string, messageID?: string): Promise<Chat> {
    const chat = await this.core.chat(idOrLocalID);
    const caps = await this.core.capabilities(chat);
    if (caps.markAsUnread === false) throw refused('MARK_UNREAD_UNSUPPORTED', `${await this.core.networkName(chat.accountID)} chats cannot be marked unread.`);
    let current = chat;
    if (messageID) {
      const from = await this.core.messages.record(chat, messageID);
      current = await this.core.repo.setReadMarker(chat.localID, from.sortKey - 1);
    }
    return this.commit(current, { isMarkedUnread: true });
  }

  async notifyAnyway(idOrLocalID: string): Promise<Chat> {
    const chat = await this.core.chat(idOrLocalID);
    const network = await this.core.networkName(chat.accountID);
    const client = this.core.client(chat.accountID);
    if (!canNotifyAnyway(client)) {
      throw refused('NOTIFY_ANYWAY_UNSUPPORTED', `${network} has no way to notify someone despite their focus state, so nothing was sent.`, { network });
    }
    const ref = await this.core.chatRef(chat);
    await networkCall(network, () => client.notifyAnyway(ref));
    return this.view(await this.core.chat(chat.id));
  }

  async create(input: CreateChatBody): Promise<CreateChatOutput> {
    const body = { ...input, participantIDs: [...new Set(input.participantIDs)] };
    const account = await this.core.account(body.accountID);
    if (body.type === 'single' && body.participantIDs.length !== 1) {
      throw badRequest('VALIDATION_ERROR', "A 'single' chat takes exactly one participant ID.", {
        issues: [{ code: 'too_big', message: "type 'single' needs exactly one participantID", path: ['participantIDs'] }],
      });
    }
    if (body.type === 'single') {
      const existing = await this.core.repo.findDirectChat(account.id, body.participantIDs[0]!);
      if (existing) return this.created(existing, 'existing', body.messageText);
    }
    const client = this.core.client(account.id);
    if (!canCreateChats(client)) throw refused('CREATE_CHAT_UNSUPPORTED', `${account.network} chats cannot be created from here.`);
    const remote = await networkCall(account.network, () => client.createChat({ type: body.type, participantIDs: body.participantIDs, title: body.title }));
    const chat = await this.core.ingest.chat(account, remote);
    return this.created(chat, 'created', body.messageText);
  }

  async start(body: StartChatBody): Promise<CreateChatOutput> {
    const account = await this.core.account(body.accountID);
    const { fullName: _hint, ...ids } = body.user;
    if (!Object.values(ids).some(Boolean)) {
      throw badRequest('VALIDATION_ERROR', 'Give at least one of user.id, user.username, user.phoneNumber or user.email.', {
        issues: [{ code: 'custom', message: 'no identifier given', path: ['user'] }],
      });
    }
    let userID = ids.id && (await this.core.repo.getUser(account.id, ids.id))?.id;
    if (!userID) userID = (await this.core.repo.findUsers(account.id, ids))[0]?.id;
    const client = this.core.client(account.id);
    if (!userID && canResolveUsers(client)) {
      const found = await client.resolveUser(ids);
      if (found) {
        await this.core.ingest.users(account, [found]);
        userID = found.id;
      }
    }
    if (!userID) throw refused('USER_NOT_FOUND', `Nobody on ${account.network} matches ${JSON.stringify(ids)}.`);
    const existing = await this.core.repo.findDirectChat(account.id, userID);
    if (existing) return this.created(existing, 'existing', body.messageText);
    if (!canCreateChats(client)) throw refused('CREATE_CHAT_UNSUPPORTED', `${account.network} chats cannot be created from here.`);
    const remote = await networkCall(account.network, () => client.createChat({ type: 'single', participantIDs: [userID] }));
    return this.created(await this.core.ingest.chat(account, remote), 'created', body.messageText);
  }

  private async created(chat: ChatRecord, status: 'existing' | 'created', firstMessage?: string): Promise<CreateChatOutput> {
    if (firstMessage) await this.core.messages.send(chat.id, { text: firstMessage });
    const view = await this.view((await this.core.repo.getChat(chat.id))!);
    return { ...view, chatID: view.id, status };
  }
}

/** A new non-empty draft only replaces an empty one. */
function assertNoDraft(chat: ChatRecord): void {
  const current = chat.draft as { text?: string; attachments?: Record<string, unknown> } | null;
  if (current && (current.text || Object.keys(current.attachments ?? {}).length)) {
    throw refused('DRAFT_NOT_EMPTY', 'The chat already has a draft. Clear it first with draft=null, then set the new one.');
  }
}
