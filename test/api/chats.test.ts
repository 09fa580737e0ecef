// Chats through the official SDK: listing and paging, details with participant
// limits, user-side state (flags, drafts, title, timer, archive, reminders, read
// markers), creating and starting chats, and POST /v1/focus.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, codeOf, waitFor } from '../helpers/expect.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;

const WHATSAPP = 'sandbox-whatsapp';

let s: TestServer;

async function allChats(params: BeeperDesktop.ChatListParams = {}): Promise<BeeperDesktop.ChatListResponse[]> {
  const out: BeeperDesktop.ChatListResponse[] = [];
  for await (const c of s.client.chats.list(params)) out.push(c);
  return out;
}

/** A chat (fresh from the list) matching `pred` and not already used by another test. */
const used = new Set<string>();
async function pick(pred: (c: Chat) => boolean, what: string): Promise<Chat> {
  const c = (await allChats()).find((c) => !used.has(c.id) && pred(c));
  if (!c) throw new Error(`no chat in the demo inbox is ${what}`);
  used.add(c.id);
  return c;
}

/** The newest `pages` pages of a chat's messages, newest first. */
async function recentMessages(chatID: string, pages = 3): Promise<Message[]> {
  const out: Message[] = [];
  let page = await s.client.messages.list(chatID);
  for (let i = 0; ; i++) {
    out.push(...page.items);
    if (i + 1 >= pages || !page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  return out;
}

const t = (iso: string | undefined) => Date.parse(iso!);
const ids = (cs: Array<{ id: string }>) => cs.map((c) => c.id);
const partnerOf = (c: Chat) => c.participants.items.find((p) => !p.isSelf)!;
const plainFlags = (c: Chat) => !c.isArchived && !c.isLowPriority && !c.isMuted && !c.isPinned && !c.isMarkedUnread && !c.draft && !c.reminder;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe('chats.list', () => {
  it('lists every chat once, most recently active first, each with its latest message as preview', async () => {
    const chats = await allChats();
    expect(chats.length).toBeGreaterThan(25);
    expect(new Set(ids(chats)).size).toBe(chats.length);
    expect(new Set(chats.map((c) => c.accountID)).size).toBe(4);
    for (let i = 1; i < chats.length; i++) expect(t(chats[i - 1]!.lastActivity)).toBeGreaterThanOrEqual(t(chats[i]!.lastActivity));
    for (const c of chats) {
      expect(c.preview, c.id).toBeDefined();
      expect(c.preview!.chatID).toBe(c.id);
    }
    for (const c of [chats[0]!, chats[Math.floor(chats.length / 2)]!, chats.at(-1)!]) {
      const newest = (await s.client.messages.list(c.id)).items[0]!;
      expect(c.preview!.id).toBe(newest.id);
      expect(c.preview!.sortKey).toBe(newest.sortKey);
    }
  });

  it('pages with getNextPage() and with cursor + direction, without duplicates', async () => {
    const first = await s.client.chats.list();
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.hasMore).toBe(true);
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.items.length).toBeGreaterThan(0);
    expect(ids(second.items).filter((id) => ids(first.items).includes(id))).toEqual([]);
    expect(t(first.items.at(-1)!.lastActivity)).toBeGreaterThanOrEqual(t(second.items[0]!.lastActivity));

    const manual = await s.client.chats.list({ cursor: first.oldestCursor!, direction: 'before' });
    expect(ids(manual.items)).toEqual(ids(second.items));
    const back = await s.client.chats.list({ cursor: manual.newestCursor!, direction: 'after' });
    expect(ids(back.items)).toEqual(ids(first.items));

    // Walking all pages by hand ends with hasMore false and sees each chat once.
    const seen: string[] = [];
    let page = first;
    for (;;) {
      seen.push(...ids(page.items));
      if (!page.hasMore) break;
      page = await s.client.chats.list({ cursor: page.oldestCursor!, direction: 'before' });
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(ids(await allChats()));
  });

  it('filters by accountIDs', async () => {
    const chats = await allChats();
    const accountIDs = [...new Set(chats.map((c) => c.accountID))];
    for (const accountID of accountIDs) {
      const only = await allChats({ accountIDs: [accountID] });
      expect(only.length).toBeGreaterThan(0);
      expect(ids(only)).toEqual(ids(chats.filter((c) => c.accountID === accountID)));
    }
    const two = await allChats({ accountIDs: accountIDs.slice(0, 2) });
    expect(ids(two)).toEqual(ids(chats.filter((c) => accountIDs.slice(0, 2).includes(c.accountID))));
    expect((await s.client.chats.list({ accountIDs: ['no-such-account'] })).items).toEqual([]);
  });
});

describe('participants in lists and details', () => {
  let big: BeeperDesktop.ChatCreateResponse;
  let members: string[];

  beforeAll(async () => {
    const account = (await s.client.accounts.list()).find((a) => a.accountID === WHATSAPP)!;
    const contacts = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 200 })).items.filter((u) => u.id !== account.user.id);
    expect(contacts.length).toBeGreaterThan(21);
    members = contacts.slice(0, 24).map((u) => u.id);
    big = await s.client.chats.create({ accountID: WHATSAPP, type: 'group', participantIDs: members, title: 'Big group for participant limits' });
    used.add(big.id);
  });

  it('creates the group with everyone', () => {
    expect(big.status).toBe('created');
    expect(big.type).toBe('group');
    expect(big.participants.total).toBe(members.length + 1);
  });

  it('embeds at most 20 participants per chat in chats.list and chats.search', async () => {
    const listed = (await allChats({ accountIDs: [WHATSAPP] })).find((c) => c.id === big.id)!;
    expect(listed).toBeDefined();
    expect(listed.participants.items).toHaveLength(20);
    expect(listed.participants.hasMore).toBe(true);
    expect(listed.participants.total).toBe(members.length + 1);
    for (const c of await allChats()) expect(c.participants.items.length).toBeLessThanOrEqual(20);

    const found = (await s.client.chats.search({ query: 'participant limits' })).items.find((c) => c.id === big.id)!;
    expect(found).toBeDefined();
    expect(found.participants.items).toHaveLength(20);
    expect(found.participants.hasMore).toBe(true);
    expect(found.participants.total).toBe(members.length + 1);
  });

  it('retrieve includes up to 100 participants by default', async () => {
    const chat = await s.client.chats.retrieve(big.id);
    expect(chat.participants.items).toHaveLength(members.length + 1);
    expect(chat.participants.hasMore).toBe(false);
    for (const id of members) expect(chat.participants.items.map((p) => p.id)).toContain(id);
  });
});

describe('chats.retrieve', () => {
  let bigID: string;
  const MEMBERS = 130;

  beforeAll(async () => {
    // A group larger than any network in the sandbox would make, written through core.
    const account = (await s.running.core.repo.getAccount(WHATSAPP))!;
    const host = account.selfUserID.split(':')[1];
    const participants = Array.from({ length: MEMBERS }, (_, i) => ({ id: `@member${i}:${host}`, fullName: `Member ${i}` }));
    const record = await s.running.core.ingest.chat(account, { remoteID: 'test-huge-group', type: 'group', title: 'Huge test group', participants });
    bigID = record.id;
    used.add(bigID);
  });

  it('returns a chat by ID and by localChatID', async () => {
    const listed = (await allChats()).find((c) => c.type === 'group' && c.id !== bigID)!;
    const byID = await s.client.chats.retrieve(listed.id);
    expect(byID.id).toBe(listed.id);
    expect(byID.title).toBe(listed.title);
    expect(byID.participants.total).toBe(listed.participants.total);
    expect(await s.client.chats.retrieve(listed.localChatID!)).toEqual(byID);
  });

  it('includes 100 participants by default, 0 with maxParticipantCount=0, all with -1', async () => {
    const total = MEMBERS + 1;
    const def = await s.client.chats.retrieve(bigID);
    expect(def.participants).toMatchObject({ total, hasMore: true });
    expect(def.participants.items).toHaveLength(100);

    const none = await s.client.chats.retrieve(bigID, { maxParticipantCount: 0 });
    expect(none.participants).toMatchObject({ items: [], total, hasMore: true });

    const all = await s.client.chats.retrieve(bigID, { maxParticipantCount: -1 });
    expect(all.participants.items).toHaveLength(total);
    expect(all.participants.hasMore).toBe(false);
    expect(new Set(all.participants.items.map((p) => p.id)).size).toBe(total);

    const some = await s.client.chats.retrieve(bigID, { maxParticipantCount: 7 });
    expect(some.participants.items.map((p) => p.id)).toEqual(all.participants.items.slice(0, 7).map((p) => p.id));
    expect(some.participants.hasMore).toBe(true);

    const max = await s.client.chats.retrieve(bigID, { maxParticipantCount: 500 });
    expect(max.participants.items).toHaveLength(total);
  });

  it('rejects maxParticipantCount outside -1..500 with 400', async () => {
    for (const maxParticipantCount of [501, -2, 1.5]) {
      const err = await apiError(s.client.chats.retrieve(bigID, { maxParticipantCount }));
      expect(err.status, String(maxParticipantCount)).toBe(400);
      expect(codeOf(err)).toBe('VALIDATION_ERROR');
    }
  });

  it('answers 404 CHAT_NOT_FOUND for an unknown chat', async () => {
    for (const id of ['!nope:sandbox-whatsapp.localhost', '987654']) {
      const err = await apiError(s.client.chats.retrieve(id));
      expect(err.status).toBe(404);
      expect(codeOf(err)).toBe('CHAT_NOT_FOUND');
    }
  });
});

describe('chats.update', () => {
  it('round-trips isPinned, isMuted, isArchived and isLowPriority', async () => {
    const chat = await pick((c) => plainFlags(c), 'without any flag');
    const on = await s.client.chats.update(chat.id, { isPinned: true, isMuted: true, isArchived: true, isLowPriority: true });
    expect(on).toMatchObject({ id: chat.id, isPinned: true, isMuted: true, isArchived: true, isLowPriority: true });
    expect(await s.client.chats.retrieve(chat.id)).toMatchObject({ isPinned: true, isMuted: true, isArchived: true, isLowPriority: true });

    // One field at a time leaves the others alone.
    const unpinned = await s.client.chats.update(chat.id, { isPinned: false });
    expect(unpinned).toMatchObject({ isPinned: false, isMuted: true, isArchived: true, isLowPriority: true });
    const unmuted = await s.client.chats.update(chat.id, { isMuted: false });
    expect(unmuted).toMatchObject({ isPinned: false, isMuted: false, isArchived: true, isLowPriority: true });

    const off = await s.client.chats.update(chat.id, { isArchived: false, isLowPriority: false });
    expect(off).toMatchObject({ isPinned: false, isMuted: false, isArchived: false, isLowPriority: false });
    expect(await s.client.chats.retrieve(chat.id)).toMatchObject({ isPinned: false, isMuted: false, isArchived: false, isLowPriority: false });
  });

  it('accepts a draft only when there is none: DRAFT_NOT_EMPTY, then null clears it', async () => {
    const chat = await pick((c) => !c.draft, 'without a draft');
    const first = await s.client.chats.update(chat.id, { draft: { text: 'first draft' } });
    expect(first.draft?.text).toContain('first draft');

    const err = await apiError(s.client.chats.update(chat.id, { draft: { text: 'second draft' } }));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('DRAFT_NOT_EMPTY');
    expect((await s.client.chats.retrieve(chat.id)).draft?.text).toContain('first draft');

    const cleared = await s.client.chats.update(chat.id, { draft: null });
    expect(cleared.draft ?? null).toBeNull();
    expect((await s.client.chats.retrieve(chat.id)).draft ?? null).toBeNull();

    const second = await s.client.chats.update(chat.id, { draft: { text: 'second draft' } });
    expect(second.draft?.text).toContain('second draft');
    expect(second.draft?.text).not.toContain('first');
  });

  it('renames a group whose network allows it, and null goes back to the network title', async () => {
    const group = await pick((c) => c.type === 'group' && (c.capabilities?.state?.title?.level ?? 0) > 0, 'a renamable group');
    const renamed = await s.client.chats.update(group.id, { title: 'Renamed by the chats test' });
    expect(renamed.title).toBe('Renamed by the chats test');
    expect((await s.client.chats.retrieve(group.id)).title).toBe('Renamed by the chats test');
    expect(ids((await s.client.chats.search({ query: 'renamed chats test' })).items)).toContain(group.id);

    const blank = await apiError(s.client.chats.update(group.id, { title: '   ' }));
    expect(blank.status).toBe(400);

    const back = await s.client.chats.update(group.id, { title: null });
    expect(back.title).toBe(group.title);
  });

  it('refuses to rename a one-to-one chat where the network does not support it (422)', async () => {
    const dm = await pick((c) => c.type === 'single' && !((c.capabilities?.state?.title?.level ?? 0) > 0), 'a DM without renaming');
    const before = await s.client.chats.retrieve(dm.id);
    const err = await apiError(s.client.chats.update(dm.id, { title: 'Not allowed' }));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('TITLE_UNSUPPORTED');
    expect(await s.client.chats.retrieve(dm.id)).toEqual(before);
  });

  it('sets the WhatsApp disappearing timer only to an allowed value; null clears it', async () => {
    const chat = await pick((c) => c.accountID === WHATSAPP && c.type === 'single', 'a WhatsApp DM');
    const timers = chat.capabilities?.disappearingTimer?.timers;
    expect(timers?.map((ms) => ms / 1000)).toContain(86400);

    const set = await s.client.chats.update(chat.id, { messageExpirySeconds: 86400 });
    expect(set.messageExpirySeconds).toBe(86400);

    const err = await apiError(s.client.chats.update(chat.id, { messageExpirySeconds: 1234 }));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('DISAPPEARING_TIMER_NOT_ALLOWED');
    expect((await s.client.chats.retrieve(chat.id)).messageExpirySeconds).toBe(86400);

    const cleared = await s.client.chats.update(chat.id, { messageExpirySeconds: null });
    expect(cleared.messageExpirySeconds ?? null).toBeNull();
    expect((await s.client.chats.retrieve(chat.id)).messageExpirySeconds ?? null).toBeNull();

    // 0 turns it off as well.
    expect((await s.client.chats.update(chat.id, { messageExpirySeconds: 604800 })).messageExpirySeconds).toBe(604800);
    expect((await s.client.chats.update(chat.id, { messageExpirySeconds: 0 })).messageExpirySeconds ?? null).toBeNull();
  });

  it('refuses the timer on a network without disappearing messages (422)', async () => {
    const chat = await pick((c) => c.capabilities?.state?.disappearingTimer === undefined && c.type === 'single', 'a chat without a timer');
    const err = await apiError(s.client.chats.update(chat.id, { messageExpirySeconds: 86400 }));
    expect(err.status).toBe(422);
    expect((await s.client.chats.retrieve(chat.id)).messageExpirySeconds ?? null).toBeNull();
  });

  it('needs the write scope (403 with a read-only token)', async () => {
    const chat = (await allChats())[0]!;
    const err = await apiError(s.readClient.chats.update(chat.id, { isPinned: !chat.isPinned }));
    expect(err.status).toBe(403);
    expect((await s.client.chats.retrieve(chat.id)).isPinned).toBe(chat.isPinned);
  });

  it('answers 404 for an unknown chat and 400 for an unknown field', async () => {
    const err = await apiError(s.client.chats.update('!nope:sandbox-whatsapp.localhost', { isPinned: true }));
    expect(err.status).toBe(404);
    const chat = (await allChats())[0]!;
    const res = await s.fetch(`/v1/chats/${encodeURIComponent(chat.id)}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ isFavourite: true }) });
    expect(res.status).toBe(400);
  });
});

describe('chats.archive', () => {
  it('archives (204) by default, unarchives with archived=false', async () => {
    const chat = await pick((c) => !c.isArchived, 'not archived');
    const res = await s.client.chats.archive(chat.id).asResponse();
    expect(res.status).toBe(204);
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(true);
    expect(ids((await s.client.chats.search({ inbox: 'archive', limit: 200 })).items)).toContain(chat.id);

    expect((await s.client.chats.archive(chat.id, { archived: false }).asResponse()).status).toBe(204);
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(false);

    await s.client.chats.archive(chat.id, { archived: true });
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(true);
    await s.client.chats.archive(chat.id, { archived: false });

    // No body at all means archived=true as well.
    const raw = await s.fetch(`/v1/chats/${encodeURIComponent(chat.id)}/archive`, { method: 'POST' });
    expect(raw.status).toBe(204);
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(true);
    await s.client.chats.archive(chat.id, { archived: false });
  });

  it('answers 404 for an unknown chat', async () => {
    const err = await apiError(s.client.chats.archive('!nope:sandbox-whatsapp.localhost'));
    expect(err.status).toBe(404);
  });
});

describe('chats.reminders', () => {
  it('sets a reminder (remindAt, dismissOnIncomingMessage) and deletes it', async () => {
    const chat = await pick((c) => !c.reminder, 'without a reminder');
    const remindAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await s.client.chats.reminders.create(chat.id, { reminder: { remindAt } }).asResponse();
    expect(res.status).toBe(204);
    const withReminder = await s.client.chats.retrieve(chat.id);
    expect(t(withReminder.reminder?.remindAt)).toBe(t(remindAt));
    expect(withReminder.reminder?.dismissOnIncomingMessage ?? false).toBe(false);
    expect(withReminder.isMarkedUnread ?? false).toBe(false);

    expect((await s.client.chats.reminders.delete(chat.id).asResponse()).status).toBe(204);
    expect((await s.client.chats.retrieve(chat.id)).reminder ?? null).toBeNull();
  });

  it('fires a reminder that is due: the chat is marked unread and the reminder cleared', async () => {
    const chat = await pick((c) => !c.reminder && !c.isMarkedUnread, 'not marked unread');
    await s.client.chats.reminders.create(chat.id, { reminder: { remindAt: new Date(Date.now() - 60_000).toISOString() } });
    const fired = await waitFor(
      () => s.client.chats.retrieve(chat.id),
      (c) => (c.reminder ?? null) === null && c.isMarkedUnread === true,
      'the due reminder to fire',
      5_000,
    );
    expect(fired.isMarkedUnread).toBe(true);
    expect(ids((await s.client.chats.search({ unreadOnly: true, limit: 200 })).items)).toContain(chat.id);
  });

  it('dismissOnIncomingMessage: a message from someone else cancels the reminder, our own does not', async () => {
    const chat = await pick((c) => c.accountID === WHATSAPP && c.type === 'group' && !c.reminder, 'a WhatsApp group');
    const account = (await s.running.core.repo.getAccount(WHATSAPP))!;
    const record = (await s.running.core.repo.getChat(chat.id))!;
    const remindAt = new Date(Date.now() + 3_600_000).toISOString();
    await s.client.chats.reminders.create(chat.id, { reminder: { remindAt, dismissOnIncomingMessage: true } });
    expect((await s.client.chats.retrieve(chat.id)).reminder).toMatchObject({ dismissOnIncomingMessage: true });

    await s.running.core.ingest.messages(account, record.remoteID, [{ remoteID: 'own-1', senderID: account.selfUserID, timestamp: Date.now(), text: 'from me', isSender: true }], false);
    expect((await s.client.chats.retrieve(chat.id)).reminder).toMatchObject({ dismissOnIncomingMessage: true });

    await s.running.core.ingest.messages(account, record.remoteID, [{ remoteID: 'x1', senderID: partnerOf(chat).id, timestamp: Date.now(), text: 'hi' }], false);
    const after = await s.client.chats.retrieve(chat.id);
    expect(after.reminder ?? null).toBeNull();
    expect(after.isMarkedUnread ?? false).toBe(false);
  });

  it('a reminder without dismissOnIncomingMessage survives incoming messages', async () => {
    const chat = await pick((c) => c.accountID === WHATSAPP && c.type === 'single' && !c.reminder, 'a WhatsApp DM');
    const account = (await s.running.core.repo.getAccount(WHATSAPP))!;
    const record = (await s.running.core.repo.getChat(chat.id))!;
    const remindAt = new Date(Date.now() + 3_600_000).toISOString();
    await s.client.chats.reminders.create(chat.id, { reminder: { remindAt, dismissOnIncomingMessage: false } });
    await s.running.core.ingest.messages(account, record.remoteID, [{ remoteID: 'x2', senderID: partnerOf(chat).id, timestamp: Date.now(), text: 'hello' }], false);
    expect(t((await s.client.chats.retrieve(chat.id)).reminder?.remindAt)).toBe(t(remindAt));
    await s.client.chats.reminders.delete(chat.id);
  });

  it('rejects a malformed remindAt with 400 and an unknown chat with 404', async () => {
    const chat = (await allChats())[0]!;
    const bad = await apiError(s.client.chats.reminders.create(chat.id, { reminder: { remindAt: 'tomorrow' } }));
    expect(bad.status).toBe(400);
    const missing = await apiError(s.client.chats.reminders.create('!nope:sandbox-whatsapp.localhost', { reminder: { remindAt: new Date().toISOString() } }));
    expect(missing.status).toBe(404);
  });
});

describe('read and unread', () => {
  const incoming = (ms: Message[]) => ms.filter((m) => !m.isSender);

  it('markRead: unreadCount 0, not marked unread, read marker at the latest message', async () => {
    const chat = await pick((c) => c.unreadCount > 0 && !c.reminder, 'unread');
    const latest = (await s.client.messages.list(chat.id)).items[0]!;
    const read = await s.client.chats.markRead(chat.id);
    expect(read.unreadCount).toBe(0);
    expect(read.isMarkedUnread ?? false).toBe(false);
    expect(read.lastReadMessageSortKey).toBe(latest.sortKey);
    expect(await s.client.chats.retrieve(chat.id)).toMatchObject({ unreadCount: 0, lastReadMessageSortKey: latest.sortKey });
    for (const m of incoming((await s.client.messages.list(chat.id)).items)) expect(m.isUnread).toBe(false);
    expect(ids((await s.client.chats.search({ unreadOnly: true, limit: 200 })).items)).not.toContain(chat.id);
  });

  it('markUnread flags the chat; markRead clears the flag', async () => {
    const chat = await pick((c) => c.unreadCount === 0 && !c.isMarkedUnread && !c.reminder, 'read');
    const unread = await s.client.chats.markUnread(chat.id);
    expect(unread.isMarkedUnread).toBe(true);
    expect(unread.unreadCount).toBe(0);
    expect(ids((await s.client.chats.search({ unreadOnly: true, limit: 200 })).items)).toContain(chat.id);
    const read = await s.client.chats.markRead(chat.id);
    expect(read.isMarkedUnread ?? false).toBe(false);
  });

  it('markUnread with an older incoming messageID counts that message and the later incoming ones', async () => {
    const chat = await pick((c) => c.type === 'group' && !c.reminder && !c.isMuted, 'a group');
    const messages = await recentMessages(chat.id);
    const others = incoming(messages);
    expect(others.length).toBeGreaterThan(3);
    const from = others[3]!; // the fourth newest incoming message
    const expected = others.filter((m) => m.sortKey >= from.sortKey).length;
    expect(expected).toBeGreaterThanOrEqual(4);

    const chatAfter = await s.client.chats.markUnread(chat.id, { messageID: from.id });
    expect(chatAfter.isMarkedUnread).toBe(true);
    expect(chatAfter.unreadCount).toBe(expected);
    const listed = await recentMessages(chat.id);
    for (const m of incoming(listed)) expect(m.isUnread, m.id).toBe(m.sortKey >= from.sortKey);
  });

  it('markRead with a messageID leaves the later messages unread', async () => {
    const chat = await pick((c) => c.type === 'group' && !c.reminder, 'another group');
    const others = incoming(await recentMessages(chat.id));
    expect(others.length).toBeGreaterThan(2);
    const upTo = others[2]!;
    const expected = others.filter((m) => m.sortKey > upTo.sortKey).length;
    expect(expected).toBeGreaterThanOrEqual(2);

    const read = await s.client.chats.markRead(chat.id, { messageID: upTo.id });
    expect(read.lastReadMessageSortKey).toBe(upTo.sortKey);
    expect(read.unreadCount).toBe(expected);
    expect(read.isMarkedUnread ?? false).toBe(false);
    for (const m of incoming(await recentMessages(chat.id))) expect(m.isUnread, m.id).toBe(m.sortKey > upTo.sortKey);
  });

  it('answers 404 for a message that is not in the chat', async () => {
    const chat = (await allChats())[0]!;
    const err = await apiError(s.client.chats.markRead(chat.id, { messageID: 'no-such-message' }));
    expect(err.status).toBe(404);
    const err2 = await apiError(s.client.chats.markUnread(chat.id, { messageID: 'no-such-message' }));
    expect(err2.status).toBe(404);
  });
});

describe('chats.create', () => {
  it("returns the existing one-to-one chat with status 'existing'", async () => {
    const dm = await pick((c) => c.accountID === WHATSAPP && c.type === 'single', 'a WhatsApp DM');
    const res = await s.client.chats.create({ accountID: WHATSAPP, type: 'single', participantIDs: [partnerOf(dm).id] });
    expect(res.status).toBe('existing');
    expect(res.id).toBe(dm.id);
    expect(res.chatID).toBe(dm.id);
    expect(res.type).toBe('single');
  });

  it("creates a group with status 'created'", async () => {
    const before = await allChats({ accountIDs: [WHATSAPP] });
    const contacts = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 200 })).items;
    const two = contacts.slice(-2).map((u) => u.id);
    const res = await s.client.chats.create({ accountID: WHATSAPP, type: 'group', participantIDs: two, title: 'Created by the chats test' });
    expect(res.status).toBe('created');
    expect(res.chatID).toBe(res.id);
    expect(ids(before)).not.toContain(res.id);
    expect(res).toMatchObject({ type: 'group', accountID: WHATSAPP, title: 'Created by the chats test' });
    expect(res.participants.total).toBe(3);
    for (const id of two) expect(res.participants.items.map((p) => p.id)).toContain(id);
    expect((await s.client.chats.retrieve(res.id)).title).toBe('Created by the chats test');
    expect(ids(await allChats({ accountIDs: [WHATSAPP] }))).toContain(res.id);
  });

  it("creates a one-to-one chat with someone who has none ('created'), then returns it ('existing')", async () => {
    const contacts = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 200 })).items;
    const dmPartners = new Set((await allChats({ accountIDs: [WHATSAPP] })).filter((c) => c.type === 'single').map((c) => partnerOf(c).id));
    const person = [...contacts].reverse().find((u) => !dmPartners.has(u.id))!;
    expect(person).toBeDefined();
    const created = await s.client.chats.create({ accountID: WHATSAPP, type: 'single', participantIDs: [person.id] });
    expect(created.status).toBe('created');
    expect(created.type).toBe('single');
    expect(created.participants.items.map((p) => p.id)).toContain(person.id);
    const again = await s.client.chats.create({ accountID: WHATSAPP, type: 'single', participantIDs: [person.id] });
    expect(again.status).toBe('existing');
    expect(again.id).toBe(created.id);
  });

  it("rejects a 'single' chat with two participants (400)", async () => {
    const contacts = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 2 })).items;
    const err = await apiError(s.client.chats.create({ accountID: WHATSAPP, type: 'single', participantIDs: contacts.map((u) => u.id) }));
    expect(err.status).toBe(400);
  });

  it('answers 404 for an unknown account and 422 for an unknown participant', async () => {
    const contact = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 1 })).items[0]!;
    const noAccount = await apiError(s.client.chats.create({ accountID: 'no-such-account', type: 'single', participantIDs: [contact.id] }));
    expect(noAccount.status).toBe(404);
    const host = contact.id.split(':')[1];
    for (const type of ['single', 'group'] as const) {
      const nobody = await apiError(s.client.chats.create({ accountID: WHATSAPP, type, participantIDs: [`@nobody-here:${host}`] }));
      expect(nobody.status, type).toBe(422);
    }
  });
});

describe('chats.start', () => {
  it("starts a chat by phone number with someone who has none ('created'), then finds it ('existing')", async () => {
    const contacts = (await s.client.accounts.contacts.list(WHATSAPP, { limit: 200 })).items;
    const dmPartners = new Set((await allChats({ accountIDs: [WHATSAPP] })).filter((c) => c.type === 'single').map((c) => partnerOf(c).id));
    const person = contacts.find((u) => u.phoneNumber && !dmPartners.has(u.id));
    expect(person, 'a WhatsApp contact without a chat').toBeDefined();

    const first = await s.client.chats.start({ accountID: WHATSAPP, user: { phoneNumber: person!.phoneNumber! } });
    expect(first.status).toBe('created');
    expect(first.type).toBe('single');
    expect(first.participants.items.map((p) => p.id)).toContain(person!.id);
    expect(first.chatID).toBe(first.id);

    const again = await s.client.chats.start({ accountID: WHATSAPP, user: { phoneNumber: person!.phoneNumber! } });
    expect(again.status).toBe('existing');
    expect(again.id).toBe(first.id);

    const byID = await s.client.chats.start({ accountID: WHATSAPP, user: { id: person!.id } });
    expect(byID.status).toBe('existing');
    expect(byID.id).toBe(first.id);
  });

  it('finds the person by username and by email too', async () => {
    const accounts = await s.client.accounts.list();
    const cases: Array<{ accountID: string; user: BeeperDesktop.ChatStartParams.User; personID: string }> = [];
    for (const a of accounts) {
      const contacts = (await s.client.accounts.contacts.list(a.accountID, { limit: 200 })).items;
      const withHandle = contacts.find((u) => u.username);
      if (withHandle) cases.push({ accountID: a.accountID, user: { username: withHandle.username! }, personID: withHandle.id });
      const withEmail = contacts.find((u) => u.email);
      if (withEmail) cases.push({ accountID: a.accountID, user: { email: withEmail.email!.toUpperCase() }, personID: withEmail.id });
    }
    expect(cases.some((c) => c.user.username)).toBe(true);
    expect(cases.some((c) => c.user.email)).toBe(true);
    for (const { accountID, user, personID } of cases) {
      const existing = (await allChats({ accountIDs: [accountID] })).find((c) => c.type === 'single' && partnerOf(c).id === personID);
      const res = await s.client.chats.start({ accountID, user });
      expect(res.status, JSON.stringify(user)).toBe(existing ? 'existing' : 'created');
      if (existing) expect(res.id).toBe(existing.id);
      expect(res.participants.items.map((p) => p.id)).toContain(personID);
    }
  });

  it('answers 422 USER_NOT_FOUND when nobody matches', async () => {
    const err = await apiError(s.client.chats.start({ accountID: WHATSAPP, user: { email: 'nobody-at-all@invalid.example' } }));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('USER_NOT_FOUND');
    const err2 = await apiError(s.client.chats.start({ accountID: WHATSAPP, user: { phoneNumber: '+1 999 000 0000' } }));
    expect(err2.status).toBe(422);
    expect(codeOf(err2)).toBe('USER_NOT_FOUND');
  });

  it('answers 400 without any identifier and 404 for an unknown account', async () => {
    for (const user of [{}, { fullName: 'Somebody' }]) {
      const err = await apiError(s.client.chats.start({ accountID: WHATSAPP, user }));
      expect(err.status).toBe(400);
    }
    const err = await apiError(s.client.chats.start({ accountID: 'no-such-account', user: { phoneNumber: '+15550000000' } }));
    expect(err.status).toBe(404);
  });
});

describe('focus', () => {
  it('without chatID does nothing and answers success', async () => {
    expect(await s.client.focus()).toEqual({ success: true });
    expect(await s.client.focus({})).toEqual({ success: true });
  });

  it('with chatID and draftText sets the draft', async () => {
    const chat = await pick((c) => !c.draft, 'without a draft');
    expect(await s.client.focus({ chatID: chat.id, draftText: 'typed through focus' })).toEqual({ success: true });
    expect((await s.client.chats.retrieve(chat.id)).draft?.text).toContain('typed through focus');

    const other = await pick((c) => !c.draft, 'without a draft');
    expect(await s.client.focus({ chatID: other.localChatID!, draftText: 'by local ID' })).toEqual({ success: true });
    expect((await s.client.chats.retrieve(other.id)).draft?.text).toContain('by local ID');
  });

  it('attaches a file from the data directory (its uploads) to the draft', async () => {
    const chat = await pick((c) => !c.draft, 'without a draft');
    const path = join(s.dataDir, 'uploads', 'focus-note.txt');
    writeFileSync(path, 'a note for the draft\n');
    expect(await s.client.focus({ chatID: chat.id, draftText: 'see attached', draftAttachmentPath: path })).toEqual({ success: true });
    const draft = (await s.client.chats.retrieve(chat.id)).draft!;
    expect(draft.text).toContain('see attached');
    const attachments = Object.values(draft.attachments ?? {});
    expect(attachments).toHaveLength(1);
    expect(attachments[0]!.fileName).toBe('focus-note.txt');
  });

  it('refuses a draftAttachmentPath outside the data directory with 403', async () => {
    const chat = await pick((c) => !c.draft, 'without a draft');
    // A symlink inside the data directory to a file outside it is outside too.
    const secret = join(mkdtempSync(join(tmpdir(), 'switchboard-outside-')), 'secret.txt');
    writeFileSync(secret, 'not for drafts\n');
    const link = join(s.dataDir, 'link-to-secret');
    symlinkSync(secret, link);
    for (const path of ['/etc/hostname', '/etc/passwd', join(s.dataDir, '..', 'elsewhere.txt'), `${s.dataDir}/../../etc/hostname`, link, `file://${link}`]) {
      const err = await apiError(s.client.focus({ chatID: chat.id, draftAttachmentPath: path }));
      expect(err.status, path).toBe(403);
    }
    expect((await s.client.chats.retrieve(chat.id)).draft ?? null).toBeNull();
    rmSync(dirname(secret), { recursive: true, force: true });
  });

  it('answers 404 for an unknown chatID', async () => {
    const err = await apiError(s.client.focus({ chatID: '!nope:sandbox-whatsapp.localhost', draftText: 'x' }));
    expect(err.status).toBe(404);
    expect(codeOf(err)).toBe('CHAT_NOT_FOUND');
  });
});
