// Messages end to end through the official SDK: sending (text, formatting,
// replies, attachments), reading back, capability refusals, edits, deletes,
// reactions and paging while new messages arrive.
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop, { toFile } from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, waitFor } from '../helpers/expect.ts';
import { makePng } from '../../src/networks/sandbox/media.ts';
import { createRng } from '../../src/networks/sandbox/rng.ts';

type Message = BeeperDesktop.Message;

let s: TestServer;
let client: BeeperDesktop;
const selfIDs = new Map<string, string>();

beforeAll(async () => {
  s = await startTestServer();
  client = s.client;
  for (const a of await client.accounts.list()) selfIDs.set(a.accountID, a.user.id);
});
afterAll(async () => s?.stop());

// ---------------------------------------------------------------- helpers

async function chatsOf(accountID: string, type: 'single' | 'group' = 'single') {
  const page = await client.chats.search({ accountIDs: [accountID], type, limit: 100 });
  const chats = page.items.filter((c) => !c.isReadOnly);
  expect(chats.length, `${accountID} has ${type} chats`).toBeGreaterThan(0);
  return chats;
}

const used = new Set<string>();
/** A writable chat of an account not handed out before (tests keep out of each other's way). */
async function freshChat(accountID: string, type: 'single' | 'group' = 'single') {
  const chat = (await chatsOf(accountID, type)).find((c) => !used.has(c.id)) ?? (await chatsOf(accountID, type))[0]!;
  used.add(chat.id);
  return chat;
}

async function allMessages(chatID: string): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of client.messages.list(chatID)) out.push(m);
  return out;
}

const firstPageIDs = async (chatID: string) => (await client.messages.list(chatID)).items.map((m) => `${m.id}|${m.text ?? ''}|${m.editedTimestamp ?? ''}`);

/** Holds the sandbox network's sends of one account until released, so the pending state can be observed. */
function holdSends(accountID: string) {
  const net = s.running.core.client(accountID) as unknown as { sendMessage: (...args: unknown[]) => Promise<unknown> };
  const original = net.sendMessage;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  net.sendMessage = async (...args: unknown[]) => {
    await gate;
    return original.apply(net, args);
  };
  return () => {
    net.sendMessage = original;
    release();
  };
}

const png = (w: number, h: number, seed = 7) => Buffer.from(makePng(createRng(seed), w, h));

async function uploadPng(w = 12, h = 8, seed = 7) {
  return client.assets.upload({ file: await toFile(png(w, h, seed), 'picture.png') });
}

// ---------------------------------------------------------------- tests

describe('send text and read it back', () => {
  it('answers with a pendingMessageID that reads while pending and after confirmation, then under its final id', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const release = holdSends('sandbox-whatsapp');
    let pendingMessageID: string;
    try {
      const sent = await client.messages.send(chat.id, { text: 'Hello from the test suite' });
      expect(sent.chatID).toBe(chat.id);
      expect(sent.pendingMessageID).toMatch(/\S/);
      pendingMessageID = sent.pendingMessageID;
      const pending = await client.messages.retrieve(pendingMessageID, { chatID: chat.id });
      expect(pending.sendStatus?.status).toBe('PENDING');
      expect(pending.isSender).toBe(true);
      expect(pending.text).toBe('Hello from the test suite');
    } finally {
      release();
    }
    const done = await waitFor(() => client.messages.retrieve(pendingMessageID, { chatID: chat.id }), (m) => m.sendStatus?.status === 'SUCCESS', 'SUCCESS');
    expect(done.id).not.toBe(pendingMessageID);
    const byFinal = await client.messages.retrieve(done.id, { chatID: chat.id });
    expect(byFinal).toEqual(done);

    const page = await client.messages.list(chat.id);
    expect(page.items[0]!.id).toBe(done.id);
    expect(page.items[0]!.isSender).toBe(true);
    const keys = page.items.map((m) => m.sortKey);
    expect([...keys].sort().reverse()).toEqual(keys);
  });

  it('stores Markdown as Matrix HTML and plain text as it is', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const bold = await s.sendConfirmed(chat.id, { text: 'this is **bold**' });
    expect(bold.text).toContain('<strong>bold</strong>');
    const plain = await s.sendConfirmed(chat.id, { text: 'just some plain words' });
    expect(plain.text).toBe('just some plain words');
  });

  it('keeps a JSON-encoded HTML string as sanitized HTML and escapes raw HTML typed as Markdown', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const html = await s.sendConfirmed(chat.id, { text: JSON.stringify('<b>x</b><script>alert(1)</script>') });
    expect(html.text).toContain('<b>x</b>');
    expect(html.text).not.toMatch(/<script/i);
    expect(html.text).not.toContain('alert(1)');
    const typed = await s.sendConfirmed(chat.id, { text: 'look <script>alert(1)</script>' });
    expect(typed.text).not.toMatch(/<script/i);
    expect(typed.text).toContain('&lt;script&gt;');
  });

  it('sends replies and refuses an unknown reply target', async () => {
    const chat = await freshChat('sandbox-signal');
    const target = (await client.messages.list(chat.id)).items.find((m) => !m.isSender && !m.isDeleted)!;
    expect(target).toBeDefined();
    const reply = await s.sendConfirmed(chat.id, { text: 'replying', replyToMessageID: target.id });
    expect(reply.linkedMessageID).toBe(target.id);
    const before = await firstPageIDs(chat.id);
    await apiError(client.messages.send(chat.id, { text: 'reply to nothing', replyToMessageID: '$no-such-message' }), 404);
    expect(await firstPageIDs(chat.id)).toEqual(before);
  });

  it('refuses an empty message with 400 and details.issues, and an unknown chat with 404', async () => {
    const chat = await freshChat('sandbox-signal');
    const before = await firstPageIDs(chat.id);
    const e = await apiError(client.messages.send(chat.id, {}), 400);
    expect(Array.isArray(e.error.details?.issues)).toBe(true);
    expect(e.error.details!.issues!.length).toBeGreaterThan(0);
    await apiError(client.messages.send(chat.id, { text: '   ' }), 400);
    expect(await firstPageIDs(chat.id)).toEqual(before);
    await apiError(client.messages.send('!nosuchchat:sandbox-signal.localhost', { text: 'hi' }), 404);
  });
});

describe('capability refusals (422, nothing stored)', () => {
  it('Signal: 2,001 characters → TEXT_TOO_LONG, 2,000 are accepted', async () => {
    const chat = await freshChat('sandbox-signal');
    const before = await firstPageIDs(chat.id);
    const e = await apiError(client.messages.send(chat.id, { text: 'a'.repeat(2001) }), 422, 'TEXT_TOO_LONG');
    expect(e.error.details).toMatchObject({ length: 2001, maxTextLength: 2000 });
    expect(await firstPageIDs(chat.id)).toEqual(before);
    const ok = await s.sendConfirmed(chat.id, { text: 'a'.repeat(2000) });
    expect(ok.text).toBe('a'.repeat(2000));
  });

  it('iMessage: a non-tapback reaction → REACTION_NOT_ALLOWED, ❤️ works', async () => {
    const chat = await freshChat('sandbox-imessage');
    const target = (await client.messages.list(chat.id)).items.find((m) => !m.isDeleted && m.sendStatus?.status !== 'PENDING')!;
    const before = await client.messages.retrieve(target.id, { chatID: chat.id });
    await apiError(client.chats.messages.reactions.add(target.id, { chatID: chat.id, reactionKey: '🎉' }), 422, 'REACTION_NOT_ALLOWED');
    expect(await client.messages.retrieve(target.id, { chatID: chat.id })).toEqual(before);
    const ok = await client.chats.messages.reactions.add(target.id, { chatID: chat.id, reactionKey: '❤️' });
    expect(ok.success).toBe(true);
    const after = await client.messages.retrieve(target.id, { chatID: chat.id });
    expect(after.reactions?.some((r) => r.reactionKey === '❤️' && r.participantID === selfIDs.get('sandbox-imessage'))).toBe(true);
  });

  it('WhatsApp: editing an own message older than 15 minutes → EDIT_WINDOW_EXPIRED', async () => {
    let old: Message | undefined;
    for (const chat of await chatsOf('sandbox-whatsapp')) {
      old = (await client.messages.list(chat.id)).items.find(
        (m) => m.isSender && !m.isDeleted && !m.attachments?.length && Date.now() - Date.parse(m.timestamp) > 20 * 60_000,
      );
      if (old) break;
    }
    expect(old, 'an own WhatsApp message older than 15 min in the demo inbox').toBeDefined();
    const e = await apiError(client.messages.update(old!.id, { chatID: old!.chatID, text: 'too late' }), 422, 'EDIT_WINDOW_EXPIRED');
    expect(e.error.message).toMatch(/15 minutes/);
    expect(await client.messages.retrieve(old!.id, { chatID: old!.chatID })).toEqual(old);
  });

  it("refuses to edit someone else's message", async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const theirs = (await client.messages.list(chat.id)).items.find((m) => !m.isSender && !m.isDeleted)!;
    await apiError(client.messages.update(theirs.id, { chatID: chat.id, text: 'not mine' }), 422);
    expect(await client.messages.retrieve(theirs.id, { chatID: chat.id })).toEqual(theirs);
  });

  it('iMessage: five edits of a fresh message succeed, the sixth → EDIT_LIMIT_REACHED', async () => {
    const chat = await freshChat('sandbox-imessage');
    const m = await s.sendConfirmed(chat.id, { text: 'edit me' });
    for (let i = 1; i <= 5; i++) {
      const edited = await client.messages.update(m.id, { chatID: chat.id, text: `edit number ${i}` });
      expect(edited.text).toBe(`edit number ${i}`);
    }
    await apiError(client.messages.update(m.id, { chatID: chat.id, text: 'edit number 6' }), 422, 'EDIT_LIMIT_REACHED');
    expect((await client.messages.retrieve(m.id, { chatID: chat.id })).text).toBe('edit number 5');
  });

  it('refuses an attachment MIME type the network does not take as that kind → ATTACHMENT_MIME_UNSUPPORTED', async () => {
    const chat = await freshChat('sandbox-imessage');
    const up = await client.assets.upload({ file: await toFile(Buffer.from('MZ\x90\x00fake executable'), 'setup.exe'), mimeType: 'application/x-msdownload' });
    const before = await firstPageIDs(chat.id);
    const e = await apiError(
      client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'image', mimeType: 'application/x-msdownload' } }),
      422,
      'ATTACHMENT_MIME_UNSUPPORTED',
    );
    expect(e.error.details).toMatchObject({ mimeType: 'application/x-msdownload' });
    expect(await firstPageIDs(chat.id)).toEqual(before);
  });

  it('refuses an image over the network size limit (Telegram images: 10 MiB) → ATTACHMENT_TOO_LARGE', async () => {
    const chat = await freshChat('sandbox-telegram');
    const tgChat = await client.chats.retrieve(chat.id);
    const maxSize = (tgChat.capabilities as { attachments?: Record<string, { maxSize?: number }> } | undefined)?.attachments?.['m.image']?.maxSize;
    expect(maxSize).toBe(10 * 1024 * 1024);
    const big = Buffer.alloc(maxSize! + 1);
    png(4, 4).copy(big);
    const up = await client.assets.upload({ file: await toFile(big, 'big.png'), mimeType: 'image/png' });
    expect(up.fileSize).toBe(maxSize! + 1);
    const before = await firstPageIDs(chat.id);
    const e = await apiError(client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'image' } }), 422, 'ATTACHMENT_TOO_LARGE');
    expect(e.error.details).toMatchObject({ size: maxSize! + 1, maxSize });
    expect(await firstPageIDs(chat.id)).toEqual(before);
  });
});

describe('edit', () => {
  it('returns the Message with success, messageID, editedTimestamp and the new text', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const m = await s.sendConfirmed(chat.id, { text: 'first draft' });
    expect(m.editedTimestamp).toBeUndefined();
    const edited = await client.messages.update(m.id, { chatID: chat.id, text: 'second **draft**' });
    expect(edited.success).toBe(true);
    expect(edited.messageID).toBe(m.id);
    expect(edited.id).toBe(m.id);
    expect(edited.chatID).toBe(chat.id);
    expect(edited.text).toContain('<strong>draft</strong>');
    expect(edited.editedTimestamp).toBeDefined();
    const read = await client.messages.retrieve(m.id, { chatID: chat.id });
    expect(read.text).toBe(edited.text);
    expect(read.editedTimestamp).toBe(edited.editedTimestamp);
  });

  it('refuses to edit a message with an attachment (422)', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const up = await uploadPng(6, 6, 3);
    const m = await s.sendConfirmed(chat.id, { attachment: { uploadID: up.uploadID! } });
    await apiError(client.messages.update(m.id, { chatID: chat.id, text: 'caption now' }), 422);
    const read = await client.messages.retrieve(m.id, { chatID: chat.id });
    expect(read.text).toBeUndefined();
    expect(read.editedTimestamp).toBeUndefined();
  });
});

describe('delete', () => {
  it('deletes an own fresh message for everyone by default (204, then isDeleted)', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const m = await s.sendConfirmed(chat.id, { text: 'delete me for everyone' });
    const res = await client.messages.delete(m.id, { chatID: chat.id }).asResponse();
    expect(res.status).toBe(204);
    const read = await client.messages.retrieve(m.id, { chatID: chat.id });
    expect(read.isDeleted).toBe(true);
    expect(read.text).toBeUndefined();
  });

  it("deletes someone else's message only for me (204, then 404)", async () => {
    const chat = await freshChat('sandbox-signal');
    const theirs = (await client.messages.list(chat.id)).items.find((m) => !m.isSender && !m.isDeleted)!;
    const res = await client.messages.delete(theirs.id, { chatID: chat.id, forEveryone: false }).asResponse();
    expect(res.status).toBe(204);
    await apiError(client.messages.retrieve(theirs.id, { chatID: chat.id }), 404);
    expect((await client.messages.list(chat.id)).items.some((m) => m.id === theirs.id)).toBe(false);
  });

  it('refuses a pendingMessageID (400) while the send is pending, and keeps the message', async () => {
    const chat = await freshChat('sandbox-telegram');
    const release = holdSends('sandbox-telegram');
    let pendingMessageID: string;
    try {
      ({ pendingMessageID } = await client.messages.send(chat.id, { text: 'still sending' }));
      await apiError(client.messages.delete(pendingMessageID, { chatID: chat.id }), 400);
    } finally {
      release();
    }
    const done = await waitFor(() => client.messages.retrieve(pendingMessageID, { chatID: chat.id }), (m) => m.sendStatus?.status === 'SUCCESS', 'SUCCESS');
    expect(done.isDeleted).toBeUndefined();
  });

  it('refuses a pendingMessageID (400) after the send was confirmed, and keeps the message', async () => {
    const chat = await freshChat('sandbox-telegram');
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'sent, then deleted by pending id' });
    const done = await waitFor(() => client.messages.retrieve(pendingMessageID, { chatID: chat.id }), (m) => m.sendStatus?.status === 'SUCCESS', 'SUCCESS');
    await apiError(client.messages.delete(pendingMessageID, { chatID: chat.id }), 400);
    const read = await client.messages.retrieve(done.id, { chatID: chat.id });
    expect(read.isDeleted).toBeUndefined();
    expect(read.text).toBe('sent, then deleted by pending id');
  });
});

describe('reactions', () => {
  it('adds a reaction (echoing or generating transactionID), shows it with the own user ID, replaces it on one-per-user networks, removes it', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const self = selfIDs.get('sandbox-whatsapp')!;
    const target = (await client.messages.list(chat.id)).items.find((m) => !m.isSender && !m.isDeleted && !m.reactions?.some((r) => r.participantID === self))!;
    expect(target).toBeDefined();

    const added = await client.chats.messages.reactions.add(target.id, { chatID: chat.id, reactionKey: '👍', transactionID: 'txn-from-test-1' });
    expect(added).toEqual({ success: true, chatID: chat.id, messageID: target.id, reactionKey: '👍', transactionID: 'txn-from-test-1' });
    let mine = (await client.messages.retrieve(target.id, { chatID: chat.id })).reactions?.filter((r) => r.participantID === self) ?? [];
    expect(mine.map((r) => r.reactionKey)).toEqual(['👍']);

    const second = await client.chats.messages.reactions.add(target.id, { chatID: chat.id, reactionKey: '😂' });
    expect(second.success).toBe(true);
    expect(second.reactionKey).toBe('😂');
    expect(second.transactionID).toMatch(/\S/);
    mine = (await client.messages.retrieve(target.id, { chatID: chat.id })).reactions?.filter((r) => r.participantID === self) ?? [];
    expect(mine.map((r) => r.reactionKey)).toEqual(['😂']);

    const removed = await client.chats.messages.reactions.delete('😂', { chatID: chat.id, messageID: target.id });
    expect(removed).toMatchObject({ success: true, chatID: chat.id, messageID: target.id, reactionKey: '😂' });
    mine = (await client.messages.retrieve(target.id, { chatID: chat.id })).reactions?.filter((r) => r.participantID === self) ?? [];
    expect(mine).toEqual([]);
  });

  it('answers 404 when removing a reaction that was never added', async () => {
    const chat = await freshChat('sandbox-whatsapp');
    const target = (await client.messages.list(chat.id)).items.find((m) => !m.isDeleted)!;
    await apiError(client.chats.messages.reactions.delete('🦄', { chatID: chat.id, messageID: target.id }), 404);
  });
});

describe('pages and chats served from the cache stay current', () => {
  // List pages and chats are kept per chat version; every change must show at once.
  it('shows a reaction, an edit, a new message, a delete and the read state on the next read of the same page', async () => {
    const chat = await freshChat('sandbox-telegram');
    const self = selfIDs.get('sandbox-telegram')!;
    const page = async () => (await client.messages.list(chat.id)).items;
    const sent = await client.messages.send(chat.id, { text: 'cache check' });
    const mine = await waitFor(() => client.messages.retrieve(sent.pendingMessageID, { chatID: chat.id }), (m) => m.sendStatus?.status === 'SUCCESS', 'the send');
    expect((await page()).map((m) => m.id)).toContain(mine.id);
    expect(await page()).toEqual(await page()); // a cached read answers the same

    const theirs = (await page()).find((m) => !m.isSender && !m.isDeleted)!;
    await client.chats.messages.reactions.add(theirs.id, { chatID: chat.id, reactionKey: '👍' });
    expect((await page()).find((m) => m.id === theirs.id)!.reactions?.filter((r) => r.participantID === self).map((r) => r.reactionKey)).toEqual(['👍']);

    await client.messages.update(mine.id, { chatID: chat.id, text: 'cache check, edited' });
    expect((await page()).find((m) => m.id === mine.id)!.text).toBe('cache check, edited');

    await client.messages.delete(mine.id, { chatID: chat.id });
    expect((await page()).find((m) => m.id === mine.id)?.isDeleted ?? true).toBe(true);

    await client.chats.markUnread(chat.id);
    expect((await client.chats.retrieve(chat.id)).isMarkedUnread).toBe(true);
    await client.chats.markRead(chat.id);
    expect((await client.chats.retrieve(chat.id)).isMarkedUnread).toBe(false);
    expect((await client.chats.list()).items.find((c) => c.id === chat.id)?.isMarkedUnread ?? false).toBe(false);
  });
});

describe('paging while messages arrive', () => {
  it("pages back with direction 'before' without gaps or repeats while sends land, and finds the new ones with 'after'", async () => {
    // A long chat: the one with the most pages among the account's chats.
    let chat: BeeperDesktop.Chat | undefined;
    for (const c of await chatsOf('sandbox-telegram')) {
      if (used.has(c.id)) continue;
      const first = await client.messages.list(c.id);
      if (first.hasMore) {
        chat = c;
        break;
      }
    }
    expect(chat, 'a chat with more than one page').toBeDefined();
    used.add(chat!.id);
    const chatID = chat!.id;

    const first = await client.messages.list(chatID);
    const seen: Message[] = [...first.items];
    const newPending: string[] = [];
    let page = first;
    let n = 0;
    while (page.hasMore) {
      newPending.push((await client.messages.send(chatID, { text: `arrived while paging #${++n}` })).pendingMessageID);
      page = await client.messages.list(chatID, { cursor: page.oldestCursor!, direction: 'before' });
      seen.push(...page.items);
    }
    expect(n).toBeGreaterThan(0);
    const newMessages = await Promise.all(
      newPending.map((p) => waitFor(() => client.messages.retrieve(p, { chatID }), (m) => m.sendStatus?.status === 'SUCCESS', 'SUCCESS')),
    );
    const newIDs = new Set(newMessages.map((m) => m.id));

    const seenIDs = seen.map((m) => m.id);
    expect(new Set(seenIDs).size).toBe(seenIDs.length); // no duplicates
    const all = await allMessages(chatID);
    expect(seenIDs).toEqual(all.map((m) => m.id).filter((id) => !newIDs.has(id))); // no gaps, same order
    expect(seenIDs.some((id) => newIDs.has(id))).toBe(false);

    // Every new message is newer than the first page and shows up paging forward from it.
    const newestKey = first.items[0]!.sortKey;
    for (const m of newMessages) expect(m.sortKey > newestKey).toBe(true);
    const forward: Message[] = [];
    let cursor = first.newestCursor!;
    for (;;) {
      const p = await client.messages.list(chatID, { cursor, direction: 'after' });
      forward.push(...p.items);
      if (!p.hasMore || !p.newestCursor) break;
      cursor = p.newestCursor;
    }
    expect(new Set(forward.map((m) => m.id))).toEqual(newIDs);
  });
});

describe('sending an attachment', () => {
  it('sends an uploaded PNG as an IMAGE with a localmxc:// attachment that downloads to a file in the data dir', async () => {
    const chat = await freshChat('sandbox-imessage');
    const up = await uploadPng(12, 8, 11);
    expect(up.mimeType).toBe('image/png');
    const m = await s.sendConfirmed(chat.id, { attachment: { uploadID: up.uploadID! } });
    expect(m.type).toBe('IMAGE');
    expect(m.attachments).toHaveLength(1);
    const att = m.attachments![0]!;
    expect(att.id).toMatch(/^localmxc:\/\//);
    expect(att.mimeType).toBe('image/png');
    expect(att.size).toEqual({ width: 12, height: 8 });
    const { srcURL } = await client.assets.download({ url: att.id! });
    expect(srcURL).toMatch(/^file:\/\//);
    const path = realpathSync(fileURLToPath(srcURL!));
    expect(path.startsWith(realpathSync(s.dataDir) + sep)).toBe(true);
  });
});
