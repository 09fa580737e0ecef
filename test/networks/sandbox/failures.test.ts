// How sends end when the network misbehaves, seen through the official SDK: the
// control API scripts the next sends of an account (permanent and retriable
// failures, never-confirmed and late confirmations) or takes a network down, and
// the network's own record of what it took (deliveries) shows what really went out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { waitFor } from '../../helpers/expect.ts';

type Message = BeeperDesktop.Message;
type Status = NonNullable<Message['sendStatus']>['status'];

interface SandboxAccount {
  accountID: string;
  online: boolean;
  scriptedSends: Array<{ outcome: string; delayMs?: number; failures?: number }>;
  deliveries: Array<{ chatID: string | null; messageID: string | null; transactionID: string; text?: string; at: string }>;
}

const IMESSAGE = 'sandbox-imessage';
const WHATSAPP = 'sandbox-whatsapp';
const SIGNAL = 'sandbox-signal';
const TELEGRAM = 'sandbox-telegram';

let s: TestServer;
let client: BeeperDesktop;

beforeAll(async () => {
  s = await startTestServer({ retryDelaysMs: [200, 400, 800] });
  client = s.client;
});
afterAll(async () => s?.stop());

// ---------------------------------------------------------------- helpers

const network = (accountID: string) => s.control<SandboxAccount>('GET', `/sandbox/v1/accounts/${accountID}`);
const script = (accountID: string, sends: SandboxAccount['scriptedSends']) => s.control<SandboxAccount>('POST', `/sandbox/v1/accounts/${accountID}/script`, { sends });
const setOnline = (accountID: string, online: boolean) => s.control('POST', `/sandbox/v1/accounts/${accountID}/online`, { online });


const get = (chatID: string, pendingMessageID: string) => client.messages.retrieve(pendingMessageID, { chatID });
const statusOf = async (chatID: string, pendingMessageID: string) => (await get(chatID, pendingMessageID)).sendStatus?.status;

async function until(chatID: string, pendingMessageID: string, status: Status, timeoutMs = 5_000): Promise<Message> {
  return waitFor(() => get(chatID, pendingMessageID), (m) => m.sendStatus?.status === status, `the send to reach ${status}`, timeoutMs);
}

/** Deliveries of one send (by its transaction, which is the pending message ID). */
const deliveriesOf = (account: SandboxAccount, pendingMessageID: string) => account.deliveries.filter((d) => d.transactionID === pendingMessageID);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- scripted outcomes

describe('scripted sends', () => {
  it('fail-permanent: the send ends FAIL_PERMANENT with a reason and never reaches the network', async () => {
    const chat = await s.freshChat(WHATSAPP);
    const scripted = await script(WHATSAPP, [{ outcome: 'fail-permanent' }]);
    expect(scripted.scriptedSends).toEqual([{ outcome: 'fail-permanent' }]);

    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'this will be refused' });
    const failed = await until(chat.id, pendingMessageID, 'FAIL_PERMANENT');
    expect(failed.sendStatus?.reason).toBe('SCRIPTED_FAILURE');
    expect(failed.sendStatus?.message).toContain('WhatsApp');
    expect(failed.text).toBe('this will be refused');

    const after = await network(WHATSAPP);
    expect(after.scriptedSends).toEqual([]);
    expect(deliveriesOf(after, pendingMessageID)).toEqual([]);
    expect(after.deliveries.some((d) => d.text === 'this will be refused')).toBe(false);
    // It stays failed: no retry turns it into a success later.
    await sleep(1_000);
    expect(await statusOf(chat.id, pendingMessageID)).toBe('FAIL_PERMANENT');

    // Never having reached the network, it can simply be removed by its pending ID.
    expect((await client.messages.delete(pendingMessageID, { chatID: chat.id }).asResponse()).status).toBe(204);
    expect((await client.messages.list(chat.id)).items.map((m) => m.id)).not.toContain(pendingMessageID);
  });

  it('fail-retriable ×2: the send is seen FAIL_RETRIABLE, then ends SUCCESS, delivered exactly once', async () => {
    const chat = await s.freshChat(WHATSAPP);
    await script(WHATSAPP, [{ outcome: 'fail-retriable', failures: 2 }]);
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'second time lucky' });

    const retrying = await until(chat.id, pendingMessageID, 'FAIL_RETRIABLE');
    expect(retrying.sendStatus?.reason).toBe('SCRIPTED_TEMPORARY_FAILURE');
    const done = await until(chat.id, pendingMessageID, 'SUCCESS');
    expect(done.id).not.toBe(pendingMessageID);

    const deliveries = deliveriesOf(await network(WHATSAPP), pendingMessageID);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ chatID: chat.id, messageID: done.id, text: 'second time lucky' });
  });

  it('fail-retriable more often than there are retries: the send gives up with FAIL_PERMANENT', async () => {
    const chat = await s.freshChat(SIGNAL);
    await script(SIGNAL, [{ outcome: 'fail-retriable', failures: 10 }]);
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'never getting through' });
    // 3 retries of 200 + 400 + 800 ms, then no more.
    const failed = await until(chat.id, pendingMessageID, 'FAIL_PERMANENT', 8_000);
    expect(failed.sendStatus?.reason).toBe('SCRIPTED_TEMPORARY_FAILURE');
    expect(deliveriesOf(await network(SIGNAL), pendingMessageID)).toEqual([]);
  });

  it('pending: the send is accepted and stays PENDING', async () => {
    const chat = await s.freshChat(TELEGRAM);
    await script(TELEGRAM, [{ outcome: 'pending' }]);
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'into the void' });
    // Taken by the network (it has its final ID) but never confirmed.
    const taken = await waitFor(() => get(chat.id, pendingMessageID), (m) => m.id !== pendingMessageID, 'the network to take the send');
    expect(taken.sendStatus?.status).toBe('PENDING');
    await sleep(1_500);
    const later = await get(chat.id, pendingMessageID);
    expect(later.sendStatus?.status).toBe('PENDING');
    expect(later.id).toBe(taken.id);
  });

  it('delay 500 ms: PENDING first, then SUCCESS once the late confirmation arrives', async () => {
    const chat = await s.freshChat(TELEGRAM);
    await script(TELEGRAM, [{ outcome: 'delay', delayMs: 500 }]);
    const sentAt = Date.now();
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'slow network' });
    const taken = await waitFor(() => get(chat.id, pendingMessageID), (m) => m.id !== pendingMessageID, 'the network to take the send');
    expect(taken.sendStatus?.status).toBe('PENDING');
    expect(deliveriesOf(await network(TELEGRAM), pendingMessageID), 'not delivered yet').toEqual([]);

    const done = await until(chat.id, pendingMessageID, 'SUCCESS');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(450);
    expect(done.id).toBe(taken.id);
    expect(deliveriesOf(await network(TELEGRAM), pendingMessageID)).toHaveLength(1);
  });

  it('out of order: A delayed 800 ms, B at once → B is confirmed before A', async () => {
    const chat = await s.freshChat(IMESSAGE);
    await script(IMESSAGE, [{ outcome: 'delay', delayMs: 800 }, { outcome: 'success' }]);
    const a = await client.messages.send(chat.id, { text: 'message A' });
    // A has drawn its (delayed) outcome before B is sent.
    await waitFor(() => get(chat.id, a.pendingMessageID), (m) => m.id !== a.pendingMessageID, 'the network to take A');
    const b = await client.messages.send(chat.id, { text: 'message B' });

    const bDone = await until(chat.id, b.pendingMessageID, 'SUCCESS');
    expect(await statusOf(chat.id, a.pendingMessageID), 'A is still waiting when B is confirmed').toBe('PENDING');
    const aDone = await until(chat.id, a.pendingMessageID, 'SUCCESS');
    expect(Date.parse(bDone.sendStatus!.timestamp)).toBeLessThan(Date.parse(aDone.sendStatus!.timestamp));

    const texts = (await network(IMESSAGE)).deliveries.map((d) => d.text).filter((t) => t === 'message A' || t === 'message B');
    expect(texts).toEqual(['message B', 'message A']);
  });

  it('an incoming message with an older timestamp sorts before newer ones', async () => {
    const chat = await s.freshChat(SIGNAL);
    const newer = await s.control<Message>('POST', `/sandbox/v1/chats/${encodeURIComponent(chat.id)}/incoming`, { text: 'written just now' });
    const oldTime = new Date(Date.now() - 3_600_000).toISOString();
    const older = await s.control<Message>('POST', `/sandbox/v1/chats/${encodeURIComponent(chat.id)}/incoming`, { text: 'written an hour ago', timestamp: oldTime });
    expect(Date.parse(older.timestamp)).toBe(Date.parse(oldTime));
    expect(older.sortKey < newer.sortKey).toBe(true);

    const page = (await client.messages.list(chat.id)).items; // newest first
    const iNewer = page.findIndex((m) => m.id === newer.id);
    const iOlder = page.findIndex((m) => m.id === older.id);
    expect(iNewer).toBe(0);
    expect(iOlder).toBeGreaterThan(iNewer);
    // It sits where its time puts it, among the history.
    const neighbours = page.slice(iOlder - 1, iOlder + 2).map((m) => Date.parse(m.timestamp));
    expect([...neighbours].sort((x, y) => y - x)).toEqual(neighbours);
  });
});

// ---------------------------------------------------------------- outages

describe('outage', () => {
  it('sends wait while the network is down, then go out in order, each exactly once', async () => {
    const chat = await s.freshChat(SIGNAL);
    await setOnline(SIGNAL, false);
    expect((await network(SIGNAL)).online).toBe(false);

    const texts = [1, 2, 3, 4, 5].map((i) => `queued ${i}`);
    const pendings: string[] = [];
    for (const text of texts) pendings.push((await client.messages.send(chat.id, { text })).pendingMessageID);
    await sleep(500);
    for (const p of pendings) {
      const m = await get(chat.id, p);
      expect(m.sendStatus?.status).toBe('PENDING');
      expect(m.id, 'not taken by the network').toBe(p);
    }
    expect((await network(SIGNAL)).deliveries.filter((d) => pendings.includes(d.transactionID))).toEqual([]);

    await setOnline(SIGNAL, true);
    expect((await network(SIGNAL)).online).toBe(true);
    for (const p of pendings) await until(chat.id, p, 'SUCCESS');

    const delivered = (await network(SIGNAL)).deliveries.filter((d) => pendings.includes(d.transactionID));
    expect(delivered.map((d) => d.transactionID)).toEqual(pendings);
    expect(new Set(delivered.map((d) => d.transactionID)).size).toBe(5);
    expect(delivered.map((d) => d.text)).toEqual(texts);
    expect(delivered.every((d) => d.chatID === chat.id)).toBe(true);
    // The chat shows them in the order they were written.
    const page = (await client.messages.list(chat.id)).items.filter((m) => texts.includes(m.text ?? '')).reverse();
    expect(page.map((m) => m.text)).toEqual(texts);
    expect(page.map((m) => m.id)).toEqual(delivered.map((d) => d.messageID));
  });

  it('a send waiting out an outage still draws its scripted outcome', async () => {
    const chat = await s.freshChat(TELEGRAM);
    await setOnline(TELEGRAM, false);
    await script(TELEGRAM, [{ outcome: 'fail-permanent' }]);
    const { pendingMessageID } = await client.messages.send(chat.id, { text: 'waits, then fails' });
    await sleep(300);
    expect(await statusOf(chat.id, pendingMessageID)).toBe('PENDING');
    await setOnline(TELEGRAM, true);
    await until(chat.id, pendingMessageID, 'FAIL_PERMANENT');
    expect(deliveriesOf(await network(TELEGRAM), pendingMessageID)).toEqual([]);
  });
});

describe('isolation between accounts', () => {
  it("one account's script and outage never touch another account's sends", async () => {
    const waChat = await s.freshChat(WHATSAPP);
    const signalChat = await s.freshChat(SIGNAL);
    const tgChat = await s.freshChat(TELEGRAM);
    const imChat = await s.freshChat(IMESSAGE);

    await script(WHATSAPP, [{ outcome: 'fail-permanent' }]);
    await setOnline(SIGNAL, false);
    try {
      // Telegram and iMessage go on as usual.
      for (const chat of [tgChat, imChat]) {
        const { pendingMessageID } = await client.messages.send(chat.id, { text: `business as usual on ${chat.network}` });
        await until(chat.id, pendingMessageID, 'SUCCESS');
      }
      expect((await network(TELEGRAM)).online).toBe(true);
      expect((await network(IMESSAGE)).scriptedSends).toEqual([]);

      // WhatsApp's scripted failure is still waiting for a WhatsApp send; Signal is still down.
      expect((await network(WHATSAPP)).scriptedSends).toEqual([{ outcome: 'fail-permanent' }]);
      expect((await network(WHATSAPP)).online).toBe(true);
      expect((await network(SIGNAL)).online).toBe(false);
      expect((await network(SIGNAL)).scriptedSends).toEqual([]);

      // The WhatsApp send is the one that fails, and the Signal send waits.
      const wa = await client.messages.send(waChat.id, { text: 'this one draws the failure' });
      const sig = await client.messages.send(signalChat.id, { text: 'waiting for Signal' });
      await until(waChat.id, wa.pendingMessageID, 'FAIL_PERMANENT');
      expect(await statusOf(signalChat.id, sig.pendingMessageID)).toBe('PENDING');
      await setOnline(SIGNAL, true);
      await until(signalChat.id, sig.pendingMessageID, 'SUCCESS');
    } finally {
      await setOnline(SIGNAL, true);
    }
  });
});
