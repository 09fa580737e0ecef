// The simulated people of the sandbox and the control API that stands in for
// them: what they send, react, edit, delete, read and join shows up through the
// official SDK; Focus decides notify-anyway; reminders follow the simulated clock;
// lively people read and answer on their own; and a seed always gives the same inbox.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { apiError, waitFor } from '../../helpers/expect.ts';
import { makePng } from '../../../src/networks/sandbox/media.ts';
import { createRng } from '../../../src/networks/sandbox/rng.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;

interface SandboxAccount {
  accountID: string;
  network: string;
  online: boolean;
  scriptedSends: Array<{ outcome: string }>;
  people: Array<{ id: string; fullName: string; focused: boolean }>;
  deliveries: Array<{ chatID: string | null; messageID: string | null; transactionID: string; text?: string; at: string }>;
  notifications: Array<{ chatID: string; userID: string; at: string }>;
}

const IMESSAGE = 'sandbox-imessage';
const WHATSAPP = 'sandbox-whatsapp';
const SIGNAL = 'sandbox-signal';
const TELEGRAM = 'sandbox-telegram';

/** Quiet (people only confirm sends), seed 1. */
let s: TestServer;
/** Lively (people read, react and answer on their own), also seed 1. */
let lively: TestServer;

beforeAll(async () => {
  [s, lively] = await Promise.all([startTestServer({ seed: 1 }), startTestServer({ seed: 1, lively: true })]);
});
afterAll(async () => {
  await Promise.all([s?.stop(), lively?.stop()]);
});

// ---------------------------------------------------------------- helpers

const enc = encodeURIComponent;
const network = (accountID: string) => s.control<SandboxAccount>('GET', `/sandbox/v1/accounts/${accountID}`);


const others = (chat: Chat) => chat.participants.items.filter((p) => !p.isSelf);

const retrieve = (chatID: string, id: string) => s.client.messages.retrieve(id, { chatID });

// ---------------------------------------------------------------- determinism (first, on fresh servers)

interface Snapshot {
  /** chat ID → title and the texts of its five newest messages */
  chats: Map<string, { title: string; newest: string[] }>;
  /** chat ID → number of messages, when counted */
  counts?: Map<string, number>;
}

async function snapshot(server: TestServer, withCounts = false): Promise<Snapshot> {
  const chats = new Map<string, { title: string; newest: string[] }>();
  const counts = new Map<string, number>();
  for await (const chat of server.client.chats.list()) {
    const page = await server.client.messages.list(chat.id);
    chats.set(chat.id, { title: chat.title, newest: page.items.slice(0, 5).map((m) => m.text ?? `[${m.attachments?.[0]?.fileName ?? m.type}]`) });
    if (withCounts) {
      let n = 0;
      for await (const _ of server.client.messages.list(chat.id)) n++;
      counts.set(chat.id, n);
    }
  }
  return { chats, counts: withCounts ? counts : undefined };
}

const sorted = (snap: Snapshot) => [...snap.chats].sort(([a], [b]) => a.localeCompare(b));

describe('determinism', () => {
  let first: Snapshot;

  it('two servers with the same seed have the same inbox', async () => {
    first = await snapshot(s, true);
    const second = await snapshot(lively);
    expect(first.chats.size).toBeGreaterThan(50);
    expect(sorted(second)).toEqual(sorted(first));
  });

  it('reset with another seed makes another inbox; reset with the same seed recreates it', async () => {
    const reset2 = await s.control<{ accounts: string[]; seed: number }>('POST', '/sandbox/v1/reset', { seed: 2 });
    expect(reset2).toEqual({ accounts: [IMESSAGE, WHATSAPP, SIGNAL, TELEGRAM], seed: 2 });
    const other = await snapshot(s);
    const titles = (snap: Snapshot) => [...snap.chats.values()].map((c) => c.title).sort();
    expect(titles(other)).not.toEqual(titles(first));
    expect(sorted(other)).not.toEqual(sorted(first));

    const reset1 = await s.control<{ accounts: string[]; seed: number }>('POST', '/sandbox/v1/reset', { seed: 1 });
    expect(reset1.seed).toBe(1);
    const again = await snapshot(s, true);
    expect(sorted(again)).toEqual(sorted(first));
    expect([...again.counts!].sort()).toEqual([...first.counts!].sort());
    expect([...first.counts!.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------- what people do

describe('simulated people', () => {
  it('an incoming text arrives from the chosen member, unread, and the unread count grows', async () => {
    const group = await s.freshChat(WHATSAPP, 'group', (c) => others(c).length >= 2);
    const sender = others(group)[1]!;
    const before = await s.client.chats.retrieve(group.id);

    const injected = await s.control<Message>('POST', `/sandbox/v1/chats/${enc(group.id)}/incoming`, { text: 'hello from the other side', senderID: sender.id });
    expect(injected).toMatchObject({ chatID: group.id, senderID: sender.id, text: 'hello from the other side', isSender: false, isUnread: true });

    const m = await retrieve(group.id, injected.id);
    expect(m).toMatchObject({ senderID: sender.id, senderName: sender.fullName, isUnread: true, isSender: false });
    expect((await s.client.messages.list(group.id)).items[0]!.id).toBe(injected.id);
    const after = await s.client.chats.retrieve(group.id);
    expect(after.unreadCount).toBe(before.unreadCount + 1);
    // It is the chat's newest activity: first in the inbox, with the message as its preview.
    const top = (await s.client.chats.list()).items[0]!;
    expect(top.id).toBe(group.id);
    expect(top.preview?.id).toBe(injected.id);
  });

  it('without senderID it comes from the other person of a DM', async () => {
    const dm = await s.freshChat(SIGNAL);
    const injected = await s.control<Message>('POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, { text: 'just me' });
    expect(injected.senderID).toBe(others(dm)[0]!.id);
  });

  it('a sender who is not in the chat is refused (422) and nothing arrives', async () => {
    const dm = await s.freshChat(SIGNAL);
    const stranger = (await network(SIGNAL)).people.find((p) => !others(dm).some((o) => o.id === p.id))!;
    const before = (await s.client.messages.list(dm.id)).items.map((m) => m.id);
    const res = await s.call('POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, { text: 'who am I', senderID: stranger.id });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_A_MEMBER');
    expect((await s.client.messages.list(dm.id)).items.map((m) => m.id)).toEqual(before);
  });

  it('an incoming PNG (base64) arrives as an image attachment with the same bytes', async () => {
    const dm = await s.freshChat(TELEGRAM);
    const png = Buffer.from(makePng(createRng(11), 16, 12));
    const injected = await s.control<Message>('POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, {
      text: 'look at this',
      attachment: { base64: png.toString('base64'), fileName: 'sunset.png', mimeType: 'image/png' },
    });
    const m = await retrieve(dm.id, injected.id);
    expect(m.text).toBe('look at this');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments![0]!;
    expect(a).toMatchObject({ type: 'img', mimeType: 'image/png', fileName: 'sunset.png', fileSize: png.length });
    const { srcURL } = await s.client.assets.download({ url: a.id! });
    expect(readFileSync(fileURLToPath(srcURL!)).equals(png)).toBe(true);
  });

  it('an injected reaction, edit and deletion show through the SDK', async () => {
    const dm = await s.freshChat(WHATSAPP);
    const other = others(dm)[0]!;
    const mine = await s.sendConfirmed(dm.id, { text: 'react to me please' });
    const theirs = await s.control<Message>('POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, { text: 'I mean tuesday' });

    // reaction, then taking it back
    await s.control('POST', `/sandbox/v1/chats/${enc(dm.id)}/reactions`, { messageID: mine.id, reactionKey: '😂' });
    expect((await retrieve(dm.id, mine.id)).reactions).toEqual([expect.objectContaining({ participantID: other.id, reactionKey: '😂' })]);
    await s.control('POST', `/sandbox/v1/chats/${enc(dm.id)}/reactions`, { messageID: mine.id, reactionKey: '😂', remove: true });
    expect((await retrieve(dm.id, mine.id)).reactions ?? []).toEqual([]);

    // edit
    expect(theirs.editedTimestamp).toBeUndefined();
    await s.control('POST', `/sandbox/v1/chats/${enc(dm.id)}/edits`, { messageID: theirs.id, text: 'I mean wednesday' });
    const edited = await retrieve(dm.id, theirs.id);
    expect(edited.text).toBe('I mean wednesday');
    expect(edited.editedTimestamp).toBeDefined();
    expect(Date.parse(edited.editedTimestamp!)).toBeGreaterThanOrEqual(Date.parse(theirs.timestamp));

    // deletion
    await s.control('POST', `/sandbox/v1/chats/${enc(dm.id)}/deletions`, { messageID: theirs.id });
    const deleted = await retrieve(dm.id, theirs.id);
    expect(deleted.isDeleted).toBe(true);
    expect(deleted.text ?? null).toBeNull();
  });

  it('a read receipt makes your sent messages seen', async () => {
    const dm = await s.freshChat(IMESSAGE);
    const a = await s.sendConfirmed(dm.id, { text: 'first of two' });
    const b = await s.sendConfirmed(dm.id, { text: 'second of two' });
    expect((await retrieve(dm.id, a.id)).seen).toBeUndefined();
    expect((await retrieve(dm.id, b.id)).seen).toBeUndefined();

    await s.control('POST', `/sandbox/v1/chats/${enc(dm.id)}/receipts`, {});
    for (const id of [a.id, b.id]) expect((await retrieve(dm.id, id)).seen).toBeTruthy();
  });

  it('a receipt in a group records who read, up to the given message only', async () => {
    const group = await s.freshChat(SIGNAL, 'group', (c) => others(c).length >= 2);
    const reader = others(group)[0]!;
    const a = await s.sendConfirmed(group.id, { text: 'group message one' });
    const b = await s.sendConfirmed(group.id, { text: 'group message two' });
    await s.control('POST', `/sandbox/v1/chats/${enc(group.id)}/receipts`, { userID: reader.id, messageID: a.id });
    expect((await retrieve(group.id, a.id)).seen).toMatchObject({ [reader.id]: expect.any(String) });
    expect((await retrieve(group.id, b.id)).seen).toBeUndefined();
  });

  it('someone joins and leaves a group: its participants change', async () => {
    const group = await s.freshChat(TELEGRAM, 'group');
    const members = () => s.client.chats.retrieve(group.id).then((c) => c.participants.items.map((p) => p.id));
    const newcomer = (await network(TELEGRAM)).people.find((p) => !group.participants.items.some((m) => m.id === p.id))!;
    expect(newcomer, 'someone outside the group').toBeDefined();
    const before = await members();

    await s.control('POST', `/sandbox/v1/chats/${enc(group.id)}/members`, { userID: newcomer.id, action: 'join' });
    const joined = await members();
    expect(joined).toContain(newcomer.id);
    expect(joined.sort()).toEqual([...before, newcomer.id].sort());

    await s.control('POST', `/sandbox/v1/chats/${enc(group.id)}/members`, { userID: newcomer.id, action: 'leave' });
    expect((await members()).sort()).toEqual([...before].sort());
  });

  it("a join or leave leaves the other members' roles alone (admins stay admins)", async () => {
    const group = await s.freshChat(WHATSAPP, 'group', (c) => c.participants.items.some((p) => !p.isSelf && p.isAdmin));
    const roles = async () =>
      Object.fromEntries((await s.client.chats.retrieve(group.id)).participants.items.map((p) => [p.id, !!p.isAdmin] as const));
    const before = await roles();
    expect(Object.values(before)).toContain(true);
    const newcomer = (await network(WHATSAPP)).people.find((p) => !(p.id in before))!;

    await s.control('POST', `/sandbox/v1/chats/${enc(group.id)}/members`, { userID: newcomer.id, action: 'join' });
    expect(await roles()).toEqual({ ...before, [newcomer.id]: false });
    await s.control('POST', `/sandbox/v1/chats/${enc(group.id)}/members`, { userID: newcomer.id, action: 'leave' });
    expect(await roles()).toEqual(before);
  });

  it('an incoming reply points at the message it answers', async () => {
    const dm = await s.freshChat(IMESSAGE);
    const question = await s.sendConfirmed(dm.id, { text: 'pizza or sushi?' });
    const answer = await s.control<Message>('POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, { text: 'sushi', replyToMessageID: question.id });
    expect((await retrieve(dm.id, answer.id)).linkedMessageID).toBe(question.id);
  });

  it('membership is for groups only (422 NOT_A_GROUP)', async () => {
    const dm = await s.freshChat(TELEGRAM);
    const someone = (await network(TELEGRAM)).people[0]!;
    const res = await s.call('POST', `/sandbox/v1/chats/${enc(dm.id)}/members`, { userID: someone.id, action: 'join' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_A_GROUP');
  });
});

// ---------------------------------------------------------------- Focus and notify-anyway

describe('notify-anyway follows Focus', () => {
  it('iMessage DM: refused while the partner has Focus off, notifies once it is on', async () => {
    const dm = await s.freshChat(IMESSAGE);
    const partner = others(dm)[0]!;
    const focus = (focused: boolean) => s.control('PUT', `/sandbox/v1/accounts/${IMESSAGE}/people/${enc(partner.id)}/focus`, { focused });

    await focus(false);
    expect((await network(IMESSAGE)).people.find((p) => p.id === partner.id)?.focused).toBe(false);
    const before = (await network(IMESSAGE)).notifications;
    await apiError(s.client.chats.notifyAnyway(dm.id), 422, 'RECIPIENT_NOT_FOCUSED');
    expect((await network(IMESSAGE)).notifications).toEqual(before);

    await focus(true);
    expect((await network(IMESSAGE)).people.find((p) => p.id === partner.id)?.focused).toBe(true);
    const chat = await s.client.chats.notifyAnyway(dm.id);
    expect(chat.id).toBe(dm.id);
    const after = (await network(IMESSAGE)).notifications;
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ chatID: dm.id, userID: partner.id });
  });

  it('WhatsApp: 422 NOTIFY_ANYWAY_UNSUPPORTED even with Focus on', async () => {
    const dm = await s.freshChat(WHATSAPP);
    await s.control('PUT', `/sandbox/v1/accounts/${WHATSAPP}/people/${enc(others(dm)[0]!.id)}/focus`, { focused: true });
    const e = await apiError(s.client.chats.notifyAnyway(dm.id), 422, 'NOTIFY_ANYWAY_UNSUPPORTED');
    expect(e.error.message).toContain('WhatsApp');
  });

  it('Focus of someone the network does not know: 422 USER_NOT_FOUND', async () => {
    const res = await s.call('PUT', `/sandbox/v1/accounts/${IMESSAGE}/people/${enc('@nobody:sandbox-imessage.localhost')}/focus`, { focused: true });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('USER_NOT_FOUND');
  });
});

// ---------------------------------------------------------------- the control API itself

describe('control API', () => {
  it('answers 404 for an unknown account or chat', async () => {
    for (const [method, path, body] of [
      ['GET', '/sandbox/v1/accounts/sandbox-nope', undefined],
      ['POST', '/sandbox/v1/accounts/sandbox-nope/script', { sends: [{ outcome: 'success' }] }],
      ['POST', '/sandbox/v1/accounts/sandbox-nope/online', { online: false }],
      ['PUT', `/sandbox/v1/accounts/sandbox-nope/people/${enc('@x:sandbox-nope.localhost')}/focus`, { focused: true }],
      ['POST', `/sandbox/v1/chats/${enc('!nope:sandbox-whatsapp.localhost')}/incoming`, { text: 'hi' }],
    ] as const) {
      const res = await s.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { code: string }).code).toMatch(/NOT_FOUND$/);
    }
  });

  it('refuses a read-only token on every write route (403) and lets it read (200)', async () => {
    const dm = await s.freshChat(SIGNAL);
    const person = others(dm)[0]!.id;
    const writes: Array<[string, string, unknown]> = [
      ['POST', `/sandbox/v1/chats/${enc(dm.id)}/incoming`, { text: 'sneaky' }],
      ['POST', `/sandbox/v1/chats/${enc(dm.id)}/receipts`, {}],
      ['POST', `/sandbox/v1/chats/${enc(dm.id)}/typing`, {}],
      ['POST', `/sandbox/v1/accounts/${SIGNAL}/script`, { sends: [{ outcome: 'fail-permanent' }] }],
      ['POST', `/sandbox/v1/accounts/${SIGNAL}/online`, { online: false }],
      ['PUT', `/sandbox/v1/accounts/${SIGNAL}/people/${enc(person)}/focus`, { focused: true }],
      ['POST', '/sandbox/v1/clock', { advanceSeconds: 3600 }],
      ['POST', '/sandbox/v1/reset', { seed: 5 }],
    ];
    const before = (await s.client.messages.list(dm.id)).items.map((m) => m.id);
    for (const [method, path, body] of writes) {
      const res = await s.call(method, path, body, s.readToken);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    // Nothing happened.
    const state = await network(SIGNAL);
    expect(state).toMatchObject({ online: true, scriptedSends: [] });
    expect((await s.client.messages.list(dm.id)).items.map((m) => m.id)).toEqual(before);
    expect((await s.control<{ offsetSeconds: number }>('GET', '/sandbox/v1/clock')).offsetSeconds).toBe(0);

    for (const path of [`/sandbox/v1/accounts/${SIGNAL}`, '/sandbox/v1/clock']) {
      const res = await s.call('GET', path, undefined, s.readToken);
      expect(res.status, `GET ${path}`).toBe(200);
    }
  });

  it('refuses a bad token (401) and a malformed body (400)', async () => {
    const stranger = await s.fetch(`/sandbox/v1/accounts/${SIGNAL}`, { headers: { authorization: 'Bearer nope' } });
    expect(stranger.status).toBe(401);
    const bad = await s.call('POST', `/sandbox/v1/accounts/${SIGNAL}/script`, { sends: [{ outcome: 'explode' }] });
    expect(bad.status).toBe(400);
    expect((await network(SIGNAL)).scriptedSends).toEqual([]);
  });
});

// ---------------------------------------------------------------- reminders on the clock

describe('reminders follow the simulated clock', () => {
  it('a reminder set an hour ahead fires right after the clock moves past it', async () => {
    const chat = await s.freshChat(TELEGRAM, 'single', (c) => !c.reminder && !c.isMarkedUnread);
    const { now } = await s.control<{ now: string }>('GET', '/sandbox/v1/clock');
    const remindAt = new Date(Date.parse(now) + 3_600_000).toISOString();
    await s.client.chats.reminders.create(chat.id, { reminder: { remindAt } });
    try {
      await s.control('POST', '/sandbox/v1/clock', { advanceSeconds: 1800 });
      await new Promise((r) => setTimeout(r, 200)); // the due check runs at each clock jump
      const halfway = await s.client.chats.retrieve(chat.id);
      expect(halfway.reminder?.remindAt).toBeDefined();
      expect(halfway.isMarkedUnread ?? false).toBe(false);

      await s.control('POST', '/sandbox/v1/clock', { advanceSeconds: 3700 - 1800 });
      const fired = await waitFor(
        () => s.client.chats.retrieve(chat.id),
        (c) => (c.reminder ?? null) === null && c.isMarkedUnread === true,
        'the reminder to fire',
        // well under the 15 s periodic check: it must come from the clock jump
        3_000,
      );
      expect(fired.isMarkedUnread).toBe(true);
    } finally {
      await s.control('POST', '/sandbox/v1/clock', { reset: true });
    }
  });
});

// ---------------------------------------------------------------- lively people

describe('lively people', () => {
  it('read what you send and answer some of it', async () => {
    // Always the same chat, whichever tests ran before: the people's answers depend only on the seed and the sends.
    const dm = (await lively.client.chats.search({ accountIDs: [WHATSAPP], type: 'single', limit: 100 })).items.find((c) => !c.isReadOnly)!;
    expect(dm).toBeDefined();
    const partner = others(dm)[0]!;
    const sent: Message[] = [];
    for (const text of ['are you around later?', 'thinking of getting food', 'the new place on 5th maybe', 'let me know!']) sent.push(await lively.sendConfirmed(dm.id, { text }));
    const ids = new Set(sent.map((m) => m.id));
    const since = Date.parse(sent[0]!.timestamp);

    const page = await waitFor(
      () => lively.client.messages.list(dm.id).then((p) => p.items),
      (items) => items.some((m) => ids.has(m.id) && !!m.seen) && items.some((m) => !m.isSender && Date.parse(m.timestamp) >= since),
      'a read receipt and a reply',
      15_000,
    );
    expect(page.filter((m) => ids.has(m.id) && m.seen).length).toBeGreaterThanOrEqual(1);
    const replies = page.filter((m) => !m.isSender && Date.parse(m.timestamp) >= since);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    for (const r of replies) {
      expect(r.senderID).toBe(partner.id);
      expect(r.text?.length).toBeGreaterThan(0);
    }
  });
});
