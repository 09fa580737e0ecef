// History and resilience of the XMPP connector against a real Prosody: a
// backfill of 1,000 archived messages (MAM), catch-up after the account was
// offline, a dropped connection resumed with stream management, and a Prosody
// restart in mid-conversation with messages sent through the API meanwhile —
// each delivered exactly once and in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chat } from '@beeper/desktop-api/resources/chats/chats';
import type { Message } from '@beeper/desktop-api/resources/shared';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { waitFor } from '../../helpers/expect.ts';
import { addXmppAccount } from '../../../src/cli/xmpp-account.ts';
import { childText, iq, peer, startProsody, tcpProxy, type Peer, type Prosody, type Proxy } from './harness.ts';

const ACCOUNT = 'xmpp-alice-localhost';
const BACKFILL = 1_000;

let prosody: Prosody;
let proxy: Proxy;
let s: TestServer;
let bob: Peer;
let bobChat: Chat;

/** Every message of a chat, paged through the API (newest first), oldest first. */
async function allMessages(chatID: string): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of s.client.messages.list(chatID)) out.push(m);
  return out.reverse();
}

async function sendThroughAPI(text: string): Promise<string> {
  return (await s.client.messages.send(bobChat.id, { text })).pendingMessageID;
}

/** Bob's own archive of his conversation with alice, oldest first (bodies of alice's messages). */
async function bobsArchiveFromAlice(p: Peer): Promise<string[]> {
  const bodies: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await p.client.searchHistory({ with: 'alice@localhost', paging: { max: 250, after } });
    for (const r of page.results ?? []) {
      const msg = r.item.message;
      if (msg?.body && msg.from?.startsWith('alice@localhost')) bodies.push(msg.body);
    }
    if (page.complete || !page.paging?.last) break;
    after = page.paging.last;
  }
  return bodies;
}

beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'debug' });
  await Promise.all([prosody.register('alice', 'pw-alice'), prosody.register('bob', 'pw-bob')]);
  proxy = await tcpProxy(prosody.c2sPort);
  bob = await peer(prosody, 'bob', 'pw-bob');
  s = await startTestServer({ sandbox: false });
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await bob?.stop();
  await proxy?.close();
  await prosody?.destroy();
});

describe('XMPP history', () => {
  it(`backfills ${BACKFILL} archived messages on first connect, each exactly once`, async () => {
    // Bob writes while alice has no client online: only the archive (and offline storage) hold it all.
    for (let i = 1; i <= BACKFILL; i++) {
      await bob.send(`<message to='alice@localhost' type='chat' id='h-${i}'><body>history ${String(i).padStart(4, '0')}</body></message>`);
    }
    await iq(bob, `<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`); // everything before it is processed
    const started = Date.now();
    await addXmppAccount(s.running.core, { jid: 'alice@localhost', password: 'pw-alice', host: '127.0.0.1', port: proxy.port, tls: 'none' }, { start: true });
    bobChat = await waitFor(async () => (await s.client.chats.list()).items.find((c) => c.title === 'bob'), (c) => !!c, 'the chat with bob', 15_000) as Chat;
    await waitFor(() => s.client.chats.retrieve(bobChat.id), (c) => c.unreadCount >= BACKFILL, `${BACKFILL} messages`, 30_000);
    const ms = Date.now() - started;
    const all = await allMessages(bobChat.id);
    const texts = all.map((m) => m.text);
    const distinct = new Set(all.map((m) => m.id));
    const expected = Array.from({ length: BACKFILL }, (_, i) => `history ${String(i + 1).padStart(4, '0')}`);
    process.stdout.write(`MAM backfill: ${BACKFILL} archived, ${all.length} listed through the API, ${distinct.size} distinct, ${all.length - new Set(texts).size} duplicated, in ${ms} ms\n`);
    expect(all.length).toBe(BACKFILL);
    expect(distinct.size).toBe(BACKFILL);
    expect(texts).toEqual(expected); // in order, none missing, none twice
  }, 60_000);

  it('catches up from the last archive ID after the account was offline (no duplicates)', async () => {
    const core = s.running.core;
    const record = await core.account(ACCOUNT);
    await core.stopAccount(ACCOUNT);
    for (let i = 1; i <= 3; i++) await bob.send(`<message to='alice@localhost' type='chat' id='off-${i}'><body>while you were away ${i}</body></message>`);
    await iq(bob, `<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await core.startAccount(record);
    await waitFor(() => allMessages(bobChat.id), (all) => all.filter((m) => m.text?.startsWith('while you were away')).length >= 3, 'the missed messages', 15_000);
    await bob.send(`<message to='alice@localhost' type='chat' id='off-4'><body>and now live</body></message>`);
    const all = await waitFor(() => allMessages(bobChat.id), (x) => x.some((m) => m.text === 'and now live'), 'the live message');
    expect(all.filter((m) => m.text?.startsWith('while you were away')).map((m) => m.text)).toEqual([1, 2, 3].map((i) => `while you were away ${i}`));
    expect(all.length).toBe(BACKFILL + 4);
  }, 60_000);
});

describe('XMPP resilience', () => {
  it('resumes the stream after a dropped connection (XEP-0198) and delivers what was sent meanwhile once', async () => {
    const since = bob.mark();
    const logBefore = prosody.log().length;
    expect(proxy.dropAll()).toBeGreaterThan(0);
    const ids = [await sendThroughAPI('during the blip 1'), await sendThroughAPI('during the blip 2')];
    for (const id of ids) await waitFor(() => s.client.messages.retrieve(id, { chatID: bobChat.id }), (m) => m.sendStatus?.status === 'SUCCESS', `${id} to be sent`, 15_000);
    await waitFor(async () => bob.received.slice(since).filter((el) => el.name === 'message' && childText(el, 'body')?.startsWith('during the blip')).length, (n) => n >= 2, 'both messages at bob');
    await new Promise((r) => setTimeout(r, 300));
    const got = bob.received.slice(since).filter((el) => el.name === 'message').map((el) => childText(el, 'body')).filter((b) => b?.startsWith('during the blip'));
    expect(got).toEqual(['during the blip 1', 'during the blip 2']);
    // The server resumed the same session (XEP-0198) rather than starting a new one.
    expect(prosody.log().slice(logBefore)).toMatch(/mod_smacks resuming existing session/);
  }, 60_000);

  it('survives a Prosody restart mid-conversation: messages sent during the outage arrive exactly once, in order', async () => {
    const sent: string[] = [];
    const pending: string[] = [];
    const say = async (text: string) => {
      sent.push(text);
      pending.push(await sendThroughAPI(text));
    };
    for (let i = 1; i <= 3; i++) await say(`conversation ${i}`);
    await waitFor(async () => bob.received.filter((el) => childText(el, 'body') === 'conversation 3').length, (n) => n === 1, 'the conversation so far');
    await bob.send(`<message to='alice@localhost' type='chat' id='before-restart'><body>bob before the restart</body></message>`);
    await waitFor(() => allMessages(bobChat.id), (x) => x.some((m) => m.text === 'bob before the restart'), 'bob’s answer');
    await say('sent just as the server stops'); // its acknowledgement may be lost with the connection
    await prosody.stop();
    for (let i = 1; i <= 8; i++) await say(`during the outage ${i}`);
    const during = await Promise.all(pending.slice(-8).map((id) => s.client.messages.retrieve(id, { chatID: bobChat.id })));
    expect(during.every((m) => m.sendStatus?.status === 'PENDING')).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    await prosody.start();
    const final = await waitFor(
      () => Promise.all(pending.map((id) => s.client.messages.retrieve(id, { chatID: bobChat.id }))),
      (ms) => ms.every((m) => m.sendStatus?.status === 'SUCCESS' || m.sendStatus?.status === 'FAIL_PERMANENT'),
      'every send to end',
      30_000,
    );
    for (let i = 1; i <= 2; i++) await say(`after the restart ${i}`);
    await waitFor(() => Promise.all(pending.slice(-2).map((id) => s.client.messages.retrieve(id, { chatID: bobChat.id }))), (ms) => ms.every((m) => m.sendStatus?.status === 'SUCCESS'), 'the last sends');

    // Bob's view, from his archive on the restarted server.
    const bob2 = await peer(prosody, 'bob', 'pw-bob');
    try {
      await bob2.send(`<message to='alice@localhost' type='chat' id='after-restart'><body>bob after the restart</body></message>`);
      const archived = (await bobsArchiveFromAlice(bob2)).filter((b) => sent.includes(b));
      const delivered = new Set(archived);
      const duplicated = archived.length - delivered.size;
      const lost = sent.filter((t) => !delivered.has(t)).length;
      if (duplicated) process.stdout.write(`archived: ${JSON.stringify(archived)}\n`);
      process.stdout.write(`Prosody restart: sent ${sent.length}, delivered ${delivered.size}, duplicated ${duplicated}, lost ${lost}\n`);
      expect({ duplicated, lost }).toEqual({ duplicated: 0, lost: 0 });
      expect(archived).toEqual(sent); // in order
      expect(final.every((m) => m.sendStatus?.status === 'SUCCESS')).toBe(true);
      // The conversation goes on both ways, and nothing appears twice in Switchboard either.
      const all = await waitFor(() => allMessages(bobChat.id), (x) => x.some((m) => m.text === 'bob after the restart'), 'bob’s message after the restart', 15_000);
      const mine = all.filter((m) => m.isSender && sent.includes(m.text ?? '')).map((m) => m.text);
      expect(mine).toEqual(sent);
      expect(all.filter((m) => m.text === 'bob before the restart')).toHaveLength(1);
    } finally {
      await bob2.stop();
    }
  }, 60_000);
});
