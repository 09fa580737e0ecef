// Faults in the networks.
// - Sandbox outages: the network goes down while sends are made and comes back
//   (POST /sandbox/v1/accounts/{id}/online): every send is delivered exactly once,
//   in the order it was made, and ends SUCCESS; the account shows the outage.
//   `npm test` runs a few rounds; `npm run soak` many sends over repeated outages
//   of several accounts at once.
// - A network that answers garbage: FAKE XMPP c2s servers (node:net listeners on
//   127.0.0.1, not XMPP servers) answer the stream opening with garbage bytes,
//   invalid XML, a stream error, or close in the middle of negotiation. XMPP
//   accounts pointing at them (added through core.accounts.add, with their
//   password file as `switchboard accounts add` writes it) must show a
//   connection state other than connected, keep retrying, and leave the rest of
//   the server answering; the password never appears in the log.
import { createServer as netServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountIDFor, writePassword, type XmppAccountConfig } from '../../src/networks/xmpp/account.ts';
import type { AccountRecord, JsonObject } from '../../src/store/records.ts';
import { withCore } from '../../src/cli/options.ts';
import { freePort, raw, report, rng, seedFrom, sleep, SOAK, startChild, startRelServer, tempDir, type ChildServer, type RelServer } from './harness.ts';

let s: RelServer;
let auth: Record<string, string>;
const summary: Record<string, unknown> = {};

beforeAll(async () => {
  s = await startRelServer({ retryDelaysMs: [100, 200, 400] });
  auth = { authorization: `Bearer ${s.token}` };
}, 60_000);
afterAll(async () => {
  report('faults in the networks', summary);
  await s?.stop();
});

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await raw(s.baseURL, method, path, { headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text.slice(0, 200)}`);
  return (res.status === 204 ? undefined : res.json()) as T;
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 400)}`);
    await sleep(50);
  }
}

const connection = async (accountID: string) => (await api<Array<{ accountID: string; connection?: { state: string; message?: string } }>>('GET', '/v1/accounts')).find((a) => a.accountID === accountID)?.connection;

// ---------------------------------------------------------------- sandbox outages

describe('sandbox outages', () => {
  const ROUNDS = SOAK ? 20 : 3;
  const PER_ROUND = SOAK ? 60 : 15;
  const SEED = seedFrom('FAULTS_SEED');

  it(`${ROUNDS} outages with sends before, during and after each: delivered exactly once, in order`, async () => {
    const r = rng(SEED);
    const accounts = SOAK ? ['sandbox-whatsapp', 'sandbox-signal', 'sandbox-telegram'] : ['sandbox-whatsapp'];
    const chatsOf = new Map<string, string[]>();
    for (const a of accounts) chatsOf.set(a, (await api('GET', `/v1/chats/search?accountIDs=${a}&limit=50`)).items.filter((c: { isReadOnly: boolean }) => !c.isReadOnly).slice(0, 8).map((c: { id: string }) => c.id));
    let sent = 0;
    let checked = 0;
    let outOfOrder = 0;
    let twice = 0;
    let missing = 0;
    const states = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = new Map<string, Array<{ chatID: string; pending: string }>>(accounts.map((a) => [a, []]));
      const sendSome = async (a: string, n: number) => {
        for (let i = 0; i < n; i++) {
          const chatID = r.pick(chatsOf.get(a)!);
          const { pendingMessageID } = await api('POST', `/v1/chats/${encodeURIComponent(chatID)}/messages`, { text: `outage ${SEED} round ${round} #${i}` });
          order.get(a)!.push({ chatID, pending: pendingMessageID });
          sent++;
        }
      };
      await Promise.all(accounts.map((a) => sendSome(a, r.int(0, 3))));
      for (const a of accounts) await api('POST', `/sandbox/v1/accounts/${a}/online`, { online: false });
      for (const a of accounts) states.add((await connection(a))?.state ?? 'none');
      // While down: sends queue as PENDING; the rest of the API answers.
      await Promise.all(accounts.map((a) => sendSome(a, PER_ROUND)));
      expect((await raw(s.baseURL, 'GET', '/v1/chats', { headers: auth })).status).toBe(200);
      const first = order.get(accounts[0]!)!.at(-1)!;
      expect((await api('GET', `/v1/chats/${encodeURIComponent(first.chatID)}/messages/${encodeURIComponent(first.pending)}`)).sendStatus.status).toBe('PENDING');
      await sleep(r.int(0, 200));
      for (const a of accounts) await api('POST', `/sandbox/v1/accounts/${a}/online`, { online: true });
      await Promise.all(accounts.map((a) => sendSome(a, r.int(1, 3))));
      // Everything ends SUCCESS; the network took each send once, in the order made.
      for (const a of accounts) {
        const mine = order.get(a)!;
        await until(
          async () => Promise.all(mine.map(async (m) => (await api('GET', `/v1/chats/${encodeURIComponent(m.chatID)}/messages/${encodeURIComponent(m.pending)}`)).sendStatus.status)),
          (st) => st.every((x) => x === 'SUCCESS'),
          `round ${round}: every send on ${a} to reach SUCCESS`,
        );
        const deliveries = (await api('GET', `/sandbox/v1/accounts/${a}`)).deliveries.map((d: { transactionID: string }) => d.transactionID) as string[];
        const ours = deliveries.filter((t) => mine.some((m) => m.pending === t));
        const expected = mine.map((m) => m.pending);
        twice += ours.length - new Set(ours).size;
        missing += expected.filter((t) => !ours.includes(t)).length;
        if (JSON.stringify([...new Set(ours)]) !== JSON.stringify(expected)) outOfOrder++;
        checked += expected.length;
        expect({ a, round, missing: expected.filter((t) => !ours.includes(t)) }).toEqual({ a, round, missing: [] });
        expect(ours, `${a} round ${round}: each send once, in order`).toEqual(expected);
        expect((await connection(a))?.state).toBe('connected');
      }
    }
    Object.assign(summary, {
      'outage rounds': ROUNDS,
      'accounts down at once': accounts.length,
      'sends (before, during, after outages)': sent,
      'deliveries checked': checked,
      'delivered twice / missing / rounds out of order': `${twice} / ${missing} / ${outOfOrder}`,
      'connection states seen during outages': [...states].join(', '),
    });
    expect([...states]).toEqual(['transient-disconnect']);
  }, SOAK ? 900_000 : 60_000);
});

// ---------------------------------------------------------------- a network that answers garbage

type Mode = 'garbage bytes' | 'garbage, then more' | 'invalid XML' | 'stream error' | 'closes mid-negotiation';

/** A FAKE XMPP client-to-server endpoint: not a server, a TCP listener that misbehaves in one way. */
class FakeC2S {
  private server: NetServer;
  connections = 0;
  readonly sockets = new Set<Socket>();

  constructor(readonly mode: Mode) {
    this.server = netServer((sock) => {
      this.connections++;
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => undefined);
      let opened = false;
      sock.on('data', () => {
        const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='fake' from='fake.example' version='1.0'>";
        const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x3c, 0x3c, 0x01, 0x80, 0x0a, ...Buffer.from(' garbage \u0000 ]]> <<< ')]);
        if (this.mode === 'garbage bytes') {
          if (!opened) sock.write(garbage); // once; the client hangs up
          opened = true;
        } else if (this.mode === 'garbage, then more') sock.write(garbage); // and again whenever the client says something
        else if (this.mode === 'invalid XML') sock.write(`${header}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mech<<</ <&;>`);
        else if (this.mode === 'stream error') sock.end(`${header}<stream:error><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
        else if (!opened) {
          opened = true;
          sock.write(`${header}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
        } else sock.destroy(); // the client answered the features: hang up mid-negotiation
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    for (const sock of this.sockets) sock.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function xmppAccount(i: number, port: number): AccountRecord {
  const jid = `alice${i}@fake.example`;
  const config: XmppAccountConfig = { jid, host: '127.0.0.1', port, tls: 'none', resource: `reliability-${i}` };
  return {
    id: accountIDFor(jid), connector: 'xmpp', network: 'XMPP', bridgeId: 'xmpp', bridgeType: 'xmpp', provider: 'self-hosted', host: 'fake.example',
    selfUserID: `@alice${i}:fake.example`, config: config as unknown as JsonObject, createdAt: Date.now(),
  };
}

describe('a network that answers garbage (fake XMPP servers)', () => {
  const modes: Mode[] = ['garbage bytes', 'invalid XML', 'stream error', 'closes mid-negotiation'];
  const fakes: FakeC2S[] = [];
  const PASSWORD = `fake-xmpp-password-${Date.now()}`;
  afterAll(async () => {
    for (const f of fakes) await f.close();
  });

  it('shows each account as not connected, keeps retrying, and the rest of the server answers', async () => {
    const accounts: Array<{ mode: Mode; id: string; fake: FakeC2S }> = [];
    for (const [i, mode] of modes.entries()) {
      const fake = new FakeC2S(mode);
      fakes.push(fake);
      const port = await fake.listen();
      const record = xmppAccount(i, port);
      const id = record.id;
      writePassword(s.dataDir, id, PASSWORD);
      await s.running.core.accounts.add(record, { fullName: `alice${i}`, username: `alice${i}@fake.example` }, true);
      accounts.push({ mode, id, fake });
    }
    const seen: Record<string, string> = {};
    const deadline = Date.now() + (SOAK ? 30_000 : 6_000);
    let checks = 0;
    while (Date.now() < deadline) {
      const list = await api<Array<{ accountID: string; network: string; connection?: { state: string } }>>('GET', '/v1/accounts');
      for (const a of accounts) {
        const acc = list.find((x) => x.accountID === a.id);
        expect(acc, `${a.mode}: the account is listed`).toBeDefined();
        expect(acc!.network).toBe('XMPP');
        expect({ mode: a.mode, state: acc!.connection?.state }).not.toEqual({ mode: a.mode, state: 'connected' });
        seen[a.mode] = acc!.connection?.state ?? 'none';
      }
      // The rest answers: lists, searches, a send on a sandbox network.
      expect((await raw(s.baseURL, 'GET', '/v1/chats', { headers: auth })).status).toBe(200);
      expect((await raw(s.baseURL, 'GET', '/v1/messages/search?query=dinner', { headers: auth })).status).toBe(200);
      checks++;
      await sleep(250);
    }
    const chat = (await api('GET', '/v1/chats/search?accountIDs=sandbox-signal&type=single&limit=1')).items[0];
    const { pendingMessageID } = await api('POST', `/v1/chats/${encodeURIComponent(chat.id)}/messages`, { text: 'still working' });
    await until(async () => (await api('GET', `/v1/chats/${encodeURIComponent(chat.id)}/messages/${encodeURIComponent(pendingMessageID)}`)).sendStatus.status, (x) => x === 'SUCCESS', 'a sandbox send to succeed');
    // Each fake was reached, and reached again (the connector retries with backoff). A
    // stream that stops making sense without closing ends only at the 20 s attempt timeout.
    for (const a of accounts) expect(a.fake.connections, `${a.mode}: connection attempts`).toBeGreaterThanOrEqual(a.mode === 'invalid XML' && !SOAK ? 1 : 2);
    for (const a of accounts) expect(['transient-disconnect', 'disconnected', 'connecting'], a.mode).toContain(seen[a.mode]);
    expect(s.logs.text()).not.toContain(PASSWORD);
    Object.assign(summary, {
      'fake XMPP servers': modes.join(', '),
      'their accounts’ last states': seen,
      'connection attempts per fake': Object.fromEntries(accounts.map((a) => [a.mode, a.fake.connections])),
      'health checks while they misbehaved (all 200)': checks,
    });
    for (const a of accounts) await s.running.core.accounts.remove(a.id);
    const after = accounts.map((a) => a.fake.connections);
    await sleep(1_500);
    expect(accounts.map((a) => a.fake.connections), 'a removed account stops reconnecting').toEqual(after);
  }, SOAK ? 120_000 : 60_000);

  // Found by this suite: after a parse error @xmpp/connection detaches its parser
  // (#onParserError → _detachParser) but keeps the socket's data listener, so the
  // next bytes from the server reach _onData with parser === null and throw
  // "Cannot read properties of null (reading 'write')" from a socket event: an
  // uncaught exception, which ends the whole `switchboard serve` process. Nothing in
  // src/networks/xmpp/session.ts catches it (and serve installs no
  // uncaughtException handler). One misbehaving XMPP server takes every account
  // and the API down.
  it('a real server process survives an XMPP server that answers garbage', async () => {
    const fake = new FakeC2S('garbage, then more');
    fakes.push(fake);
    const fakePort = await fake.listen();
    const dataDir = tempDir('switchboard-garbage-');
    const token = `sb_garbage_${'g'.repeat(30)}`;
    let child: ChildServer | undefined = await startChild({ dataDir, port: await freePort(), token });
    try {
      // Added the way `switchboard accounts add` does it (another process on the same
      // data directory, without the login check); the running server picks it up.
      const record = xmppAccount(9, fakePort);
      writePassword(dataDir, record.id, PASSWORD);
      await withCore(dataDir, (core) => core.accounts.add(record, { fullName: 'alice9', username: 'alice9@fake.example' }, false));
      await until(async () => fake.connections, (n) => n >= 1, 'the server to connect to the fake', 15_000).catch(() => fake.connections);
      await sleep(3_000);
      const exit = await Promise.race([child.exited, sleep(0).then(() => 'running' as const)]);
      const crash = /TypeError[^\n]*/.exec(child.stderr())?.[0];
      summary['serve process with a garbage-answering XMPP account'] = exit === 'running' ? 'still running' : `exited with ${exit}${crash ? ` (${crash})` : ''}`;
      expect({ exit, crash }).toEqual({ exit: 'running', crash: undefined });
      const accounts = (await (await fetch(`${child.baseURL}/v1/accounts`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ accountID: string; connection?: { state: string } }>;
      expect(accounts.find((a) => a.accountID === record.id)?.connection?.state).not.toBe('connected');
    } finally {
      await child?.kill9();
      child = undefined;
    }
  }, 60_000);
});
