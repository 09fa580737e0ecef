// Live events over /v1/ws with real `ws` clients: the upgrade's authentication,
// delivery of sends and their confirmations, filtered and paused subscriptions,
// per-connection sequence numbers, resuming with "since", every error code, slow
// consumers being cut off with bounded server memory, and changes made by a
// connector. Every event received is checked against the wire shape, and its
// entries against the server's own Message and Chat schemas.
import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/expect.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;

// ---------------------------------------------------------------- wire types

type EventType = 'chat.upserted' | 'chat.deleted' | 'message.upserted' | 'message.deleted';
const EVENT_TYPES = new Set<string>(['chat.upserted', 'chat.deleted', 'message.upserted', 'message.deleted']);
const EVENT_KEYS = new Set(['type', 'seq', 'ts', 'chatID', 'ids', 'entries', 'eventID']);

interface WsMessage {
  type: string;
  [key: string]: unknown;
}

interface WsEvent {
  type: EventType;
  seq: number;
  ts: string;
  chatID: string;
  ids: string[];
  entries?: Array<Record<string, unknown>>;
  eventID: number;
}

interface WsError {
  type: 'error';
  requestID?: string;
  code: 'INVALID_COMMAND' | 'INVALID_PAYLOAD' | 'NOT_SUBSCRIBED' | 'INTERNAL_ERROR';
  message: string;
}

const isEvent = (m: WsMessage): m is WsMessage & WsEvent => EVENT_TYPES.has(m.type);
const messageEntry = (e: WsEvent) => e.entries?.[0] as (Message & Record<string, unknown>) | undefined;
const chatEntry = (e: WsEvent) => e.entries?.[0] as (Chat & Record<string, unknown>) | undefined;
const eventIDs = (events: WsEvent[]) => events.map((e) => e.eventID);

// ---------------------------------------------------------------- schemas of entries

/** Message and Chat validators compiled from the server's own OpenAPI document. */
let entrySchemas: { message: ValidateFunction; chat: ValidateFunction } | undefined;

async function loadEntrySchemas(server: TestServer): Promise<void> {
  if (entrySchemas) return;
  const doc = (await (await fetch(`${server.baseURL}/v1/spec`)).json()) as { components: Record<string, unknown> };
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/components', 'spec#/components') : rewrite(x)]));
    }
    return v;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'spec', components: rewrite(doc.components) });
  entrySchemas = {
    message: ajv.compile({ $ref: 'spec#/components/schemas/Message' }),
    chat: ajv.compile({ $ref: 'spec#/components/schemas/Chat' }),
  };
}

/** What is wrong with a domain event on the wire (empty when nothing is). */
function eventProblems(e: WsEvent, validateEntries = true): string[] {
  const out: string[] = [];
  const where = `${e.type} #${e.seq} (eventID ${e.eventID})`;
  for (const k of Object.keys(e)) if (!EVENT_KEYS.has(k)) out.push(`${where}: unexpected field ${k}`);
  if (!Number.isInteger(e.seq) || e.seq < 1) out.push(`${where}: seq ${e.seq} is not a positive integer`);
  if (!Number.isSafeInteger(e.eventID) || e.eventID < 1) out.push(`${where}: eventID ${e.eventID} is not a positive integer`);
  if (typeof e.ts !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(e.ts) || Number.isNaN(Date.parse(e.ts))) out.push(`${where}: ts ${e.ts} is not ISO 8601`);
  if (typeof e.chatID !== 'string' || !e.chatID) out.push(`${where}: no chatID`);
  if (!Array.isArray(e.ids) || !e.ids.length || !e.ids.every((x) => typeof x === 'string')) out.push(`${where}: ids ${JSON.stringify(e.ids)}`);
  if (e.type.endsWith('.deleted')) {
    if (e.entries !== undefined) out.push(`${where}: a deletion carries entries`);
    return out;
  }
  if (!Array.isArray(e.entries)) return [...out, `${where}: no entries`];
  const validate = !validateEntries ? undefined : e.type === 'message.upserted' ? entrySchemas?.message : entrySchemas?.chat;
  for (const [i, entry] of e.entries.entries()) {
    if (validate && !validate(entry)) out.push(`${where}: entries[${i}] ${(validate.errors ?? []).map((x) => `${x.instancePath} ${x.message}`).join('; ')}`);
    if (e.type === 'chat.upserted' && entry.id !== e.chatID) out.push(`${where}: the chat entry is ${String(entry.id)}`);
    if (e.type === 'message.upserted' && entry.chatID !== e.chatID) out.push(`${where}: entries[${i}] belongs to ${String(entry.chatID)}`);
  }
  return out;
}

// ---------------------------------------------------------------- a client

interface Received {
  /** performance.now() when the frame was handed to the client. */
  at: number;
  msg: WsMessage;
}

const live = new Set<Client>();

/** A `ws` client that keeps everything it receives and lets tests await what they expect. */
class Client {
  readonly received: Received[] = [];
  /** Problems with the shape of events received (checked after every test). */
  readonly problems: string[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly wakers = new Set<() => void>();
  private requests = 0;

  /** lean: entries are only shape-checked, then dropped, so a long run stays cheap and out of this (the server's) heap. */
  private constructor(
    readonly ws: WebSocket,
    private readonly lean = false,
  ) {
    live.add(this);
    ws.on('message', (data, isBinary) => {
      const at = performance.now();
      let msg: WsMessage;
      try {
        msg = JSON.parse(String(data)) as WsMessage;
      } catch {
        this.problems.push(`a ${isBinary ? 'binary' : 'text'} frame that is not JSON: ${String(data).slice(0, 200)}`);
        return;
      }
      if (isBinary) this.problems.push(`a binary frame: ${msg.type}`);
      if (isEvent(msg)) {
        this.problems.push(...eventProblems(msg, !this.lean));
        if (this.lean) delete msg.entries;
      }
      this.received.push({ at, msg });
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('error', () => {}); // surfaces as a close, or a failed connect()
  }

  /** Connects, and awaits the server's ready message. */
  static async connect(server: TestServer, token = server.token, opts: { lean?: boolean } = {}): Promise<Client> {
    const c = new Client(new WebSocket(wsURL(server), { headers: { authorization: `Bearer ${token}` } }), opts.lean);
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('error', reject);
    });
    const ready = await c.next((m) => m.type === 'ready', 2_000, 'ready');
    expect(ready).toEqual({ type: 'ready', version: 1, chatIDs: [] });
    expect(c.received[0]!.msg.type, 'ready comes first').toBe('ready');
    return c;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Resolves on the next frame or close, or after `ms`. */
  private until(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  /** The first message (from index `from` on) matching `pred`, with its arrival time; waits for it up to `timeoutMs`. */
  async find(pred: (m: WsMessage) => boolean, timeoutMs = 3_000, what = 'a matching message', from = 0): Promise<Received> {
    const end = performance.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.received.length; i++) if (pred(this.received[i]!.msg)) return this.received[i]!;
      const left = end - performance.now();
      if (this.closeInfo || left <= 0) {
        const why = this.closeInfo ? `the connection closed (${this.closeInfo.code} ${this.closeInfo.reason})` : `${timeoutMs} ms passed`;
        const tail = this.received.slice(-8).map((r) => JSON.stringify(r.msg).slice(0, 200));
        throw new Error(`Waiting for ${what}: ${why}. Last messages:\n  ${tail.join('\n  ')}`);
      }
      await this.until(left);
    }
  }

  async next<T extends WsMessage = WsMessage>(pred: (m: WsMessage) => boolean, timeoutMs = 3_000, what?: string, from = 0): Promise<T> {
    return (await this.find(pred, timeoutMs, what, from)).msg as T;
  }

  /** The first event of `type` for `chatID` matching `pred`. */
  event(type: EventType, chatID: string, pred: (e: WsEvent) => boolean = () => true, timeoutMs = 3_000): Promise<WsEvent> {
    return this.next<WsMessage & WsEvent>((m) => isEvent(m) && m.type === type && m.chatID === chatID && pred(m), timeoutMs, `${type} for ${chatID}`);
  }

  /** Waits until an event with eventID >= `eventID` has arrived (only meaningful when subscribed to it). */
  async reach(eventID: number, timeoutMs = 5_000): Promise<void> {
    await this.find((m) => isEvent(m) && m.eventID >= eventID, timeoutMs, `an event with eventID >= ${eventID}`);
  }

  events(): WsEvent[] {
    return this.received.map((r) => r.msg).filter(isEvent);
  }

  errors(): WsError[] {
    return this.received.map((r) => r.msg).filter((m) => m.type === 'error') as unknown as WsError[];
  }

  send(payload: object | string): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  /** Sends subscriptions.set and returns the answer carrying its requestID (subscriptions.updated or error). */
  async subscribe(chatIDs: string[], opts: { since?: number | string; requestID?: string } = {}): Promise<WsMessage> {
    const requestID = opts.requestID ?? `req-${++this.requests}`;
    this.send({ type: 'subscriptions.set', requestID, chatIDs, ...(opts.since !== undefined ? { since: opts.since } : {}) });
    return this.next((m) => m.requestID === requestID, 3_000, `the answer to ${requestID}`);
  }

  /** Subscribes and expects subscriptions.updated with `expected` (default: the chat IDs asked for). */
  async subscribed(chatIDs: string[], opts: { since?: number | string; expected?: string[] } = {}): Promise<void> {
    const answer = await this.subscribe(chatIDs, opts);
    expect(answer).toMatchObject({ type: 'subscriptions.updated', chatIDs: opts.expected ?? chatIDs });
  }

  close(): void {
    live.delete(this);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

const wsURL = (server: TestServer, path = '/v1/ws') => `${server.baseURL.replace(/^http/, 'ws')}${path}`;

/** Attempts an upgrade that must be refused; returns the HTTP response. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        try {
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new Error(`HTTP ${res.statusCode} with a body that is not JSON: ${text}`));
        }
      });
    });
  });
}

/** Seq is 1..N in order and eventIDs strictly increase. */
function expectGapless(events: WsEvent[], what: string): void {
  expect(
    events.map((e) => e.seq),
    `${what}: seq`,
  ).toEqual(events.map((_, i) => i + 1));
  for (let i = 1; i < events.length; i++) expect(events[i]!.eventID, `${what}: eventID after ${events[i - 1]!.eventID}`).toBeGreaterThan(events[i - 1]!.eventID);
}

function expectNoDuplicates(events: WsEvent[], what: string): void {
  const ids = eventIDs(events);
  expect(new Set(ids).size, `${what}: duplicate eventIDs in ${ids.join(',')}`).toBe(ids.length);
}

afterEach(() => {
  const problems = [...live].flatMap((c) => c.problems);
  for (const c of [...live]) c.close();
  expect(problems, 'events that do not have the documented shape').toEqual([]);
});

// ---------------------------------------------------------------- the main server

let s: TestServer;
const chats: Chat[] = [];
const used = new Set<string>();

/** A writable chat not handed out before, so tests keep out of each other's way. */
function freshChat(): Chat {
  const c = chats.find((c) => !used.has(c.id));
  if (!c) throw new Error('out of demo chats');
  used.add(c.id);
  return c;
}

const partnerOf = (c: Chat) => c.participants.items.find((p) => !p.isSelf)!;

async function confirmed(server: TestServer, chatID: string, pendingMessageID: string): Promise<Message> {
  return waitFor(() => server.client.messages.retrieve(pendingMessageID, { chatID }), (m) => m.sendStatus?.status === 'SUCCESS', `confirmation of ${pendingMessageID}`);
}

/** Sends through the SDK and waits for the network's confirmation. */
async function sendConfirmed(chatID: string, text: string): Promise<{ pendingMessageID: string; message: Message }> {
  const { pendingMessageID } = await s.client.messages.send(chatID, { text });
  return { pendingMessageID, message: await confirmed(s, chatID, pendingMessageID) };
}

/** Every event emitted so far is in the log; returns the newest eventID, after the clients (subscribed to '*') have it. */
async function settle(server: TestServer, ...clients: Client[]): Promise<number> {
  await server.running.core.events.flushed();
  const { newest } = await server.running.core.repo.eventBounds();
  for (const c of clients) await c.reach(newest);
  return newest;
}

/** Every event emitted so far is in the log; the newest eventID (for a "since" taken when nothing is in flight). */
async function mark(server: TestServer): Promise<number> {
  await server.running.core.events.flushed();
  return (await server.running.core.repo.eventBounds()).newest;
}

beforeAll(async () => {
  s = await startTestServer();
  await loadEntrySchemas(s);
  for (const accountID of ['sandbox-whatsapp', 'sandbox-signal', 'sandbox-telegram']) {
    const page = await s.client.chats.search({ accountIDs: [accountID], type: 'single', limit: 100 });
    chats.push(...page.items.filter((c) => !c.isReadOnly));
  }
  expect(chats.length).toBeGreaterThan(12);
});
afterAll(async () => s?.stop());

describe('upgrade authentication', () => {
  const auth = () => ({ authorization: `Bearer ${s.token}` });

  it('refuses a missing token with HTTP 401 and the JSON error envelope, before upgrading', async () => {
    const res = await refusedUpgrade(wsURL(s), {});
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-beeper-desktop-version']).toBeTruthy();
    expect(res.headers['upgrade']).toBeUndefined();
  });

  it('refuses a bad token with HTTP 401', async () => {
    const res = await refusedUpgrade(wsURL(s), { authorization: 'Bearer not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(res.headers['x-beeper-desktop-version']).toBeTruthy();
    const malformed = await refusedUpgrade(wsURL(s), { authorization: s.token });
    expect(malformed.status).toBe(401);
  });

  it('accepts a read-only token: reading events needs only read', async () => {
    const chat = freshChat();
    const c = await Client.connect(s, s.readToken);
    await c.subscribed(['*']);
    const { pendingMessageID } = await s.client.messages.send(chat.id, { text: 'seen by a read-only client' });
    const e = await c.event('message.upserted', chat.id, (e) => e.ids.includes(pendingMessageID));
    expect(messageEntry(e)?.text).toBe('seen by a read-only client');
  });

  it('sends X-Beeper-Desktop-Version on the 101 too', async () => {
    const ws = new WebSocket(wsURL(s), { headers: auth() });
    const [res] = await new Promise<[import('node:http').IncomingMessage]>((resolve, reject) => {
      ws.once('upgrade', (r) => resolve([r]));
      ws.once('error', reject);
    });
    expect(res.headers['x-beeper-desktop-version']).toBeTruthy();
    ws.terminate();
  });

  it('refuses a foreign Host with HTTP 403', async () => {
    const res = await refusedUpgrade(wsURL(s), { ...auth(), host: `evil.example:${s.running.port}` });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(res.headers['x-beeper-desktop-version']).toBeTruthy();
  });

  it('answers 404 on another path', async () => {
    const res = await refusedUpgrade(wsURL(s, '/v1/wsx'), auth());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ message: expect.any(String), code: expect.any(String) });
  });
});

describe('live delivery of a send', () => {
  it('delivers the send as message.upserted within 100 ms, then the confirmation carrying the pending ID', async () => {
    const chat = freshChat();
    const c = await Client.connect(s);
    const answer = await c.subscribe(['*'], { requestID: 'all-chats-please' });
    expect(answer).toEqual({ type: 'subscriptions.updated', requestID: 'all-chats-please', chatIDs: ['*'] });

    const text = `latency probe ${Date.now()}`;
    const t0 = performance.now();
    const { pendingMessageID, chatID } = await s.client.messages.send(chat.id, { text });
    const first = await c.find((m) => isEvent(m) && m.type === 'message.upserted' && messageEntry(m)?.text === text, 2_000, 'the sent message');
    const latency = first.at - t0;
    console.log(`send → message.upserted: ${latency.toFixed(1)} ms`);
    expect(latency).toBeLessThan(100);
    const e = first.msg as WsMessage & WsEvent;
    expect(chatID).toBe(chat.id);
    expect(e.chatID).toBe(chat.id);
    expect(e.ids).toEqual([pendingMessageID]);
    expect(messageEntry(e)).toMatchObject({ chatID: chat.id, isSender: true, text });

    const confirm = await c.event('message.upserted', chat.id, (x) => x.seq > e.seq && x.ids.length === 2 && x.ids[1] === pendingMessageID);
    const final = await confirmed(s, chat.id, pendingMessageID);
    expect(confirm.ids).toEqual([final.id, pendingMessageID]);
    expect(messageEntry(confirm)).toMatchObject({ id: final.id, text, sendStatus: { status: 'SUCCESS' } });
    expect(confirm.eventID).toBeGreaterThan(e.eventID);
    // The chat's preview changed with the send.
    const chatEvent = await c.event('chat.upserted', chat.id);
    expect(chatEntry(chatEvent)?.id).toBe(chat.id);
  });
});

describe('filtered subscriptions', () => {
  it('a client subscribed to chat A gets A’s events and never B’s', async () => {
    const [a, b] = [freshChat(), freshChat()];
    const onlyA = await Client.connect(s);
    const all = await Client.connect(s);
    await onlyA.subscribed([a.id]);
    await all.subscribed(['*']);

    const toB = await sendConfirmed(b.id, 'for B only');
    const toA = await sendConfirmed(a.id, 'for A');
    await s.client.chats.update(b.id, { isMuted: true });
    const sentinel = await s.client.messages.send(a.id, { text: 'sentinel for A' });
    await onlyA.event('message.upserted', a.id, (e) => e.ids.includes(sentinel.pendingMessageID));
    await settle(s, all);

    // B's events happened (the '*' client saw them) before the sentinel, and A's client has none of them.
    expect(all.events().filter((e) => e.chatID === b.id).length).toBeGreaterThanOrEqual(4);
    expect(onlyA.events().filter((e) => e.chatID !== a.id)).toEqual([]);
    expect(onlyA.events().some((e) => e.ids.includes(toA.pendingMessageID) && messageEntry(e)?.sendStatus?.status === 'SUCCESS')).toBe(true);
    expect(all.events().some((e) => e.ids.includes(toB.pendingMessageID))).toBe(true);
    // A's client sees exactly what '*' saw for A (up to the sentinel), in the same order.
    const last = onlyA.events().at(-1)!.eventID;
    expect(eventIDs(onlyA.events())).toEqual(eventIDs(all.events().filter((e) => e.chatID === a.id && e.eventID <= last)));
    expectGapless(onlyA.events(), 'chat A');
  });

  it('subscribes by localChatID and answers with the chat ID', async () => {
    const chat = freshChat();
    expect(chat.localChatID).toBeTruthy();
    const c = await Client.connect(s);
    const answer = await c.subscribe([chat.localChatID!], { requestID: 'by-local-id' });
    expect(answer).toEqual({ type: 'subscriptions.updated', requestID: 'by-local-id', chatIDs: [chat.id] });
    const { pendingMessageID } = await s.client.messages.send(chat.id, { text: 'by local ID' });
    const e = await c.event('message.upserted', chat.id, (e) => e.ids.includes(pendingMessageID));
    expect(e.chatID).toBe(chat.id);
  });

  it('[] pauses delivery; resubscribing continues seq without the paused events', async () => {
    const chat = freshChat();
    const c = await Client.connect(s);
    const control = await Client.connect(s);
    await c.subscribed(['*']);
    await control.subscribed(['*']);
    await sendConfirmed(chat.id, 'before the pause');
    await settle(s, c, control);
    const beforePause = c.events().length;
    const lastSeq = c.events().at(-1)!.seq;

    await c.subscribed([]);
    const paused = await sendConfirmed(chat.id, 'while paused');
    await s.client.chats.update(chat.id, { isPinned: true });
    const pausedUpTo = await settle(s, control);
    expect(control.events().some((e) => e.ids.includes(paused.pendingMessageID))).toBe(true);
    // Poll a while: nothing may arrive while paused.
    const end = performance.now() + 300;
    while (performance.now() < end) {
      expect(c.events().length).toBe(beforePause);
      await new Promise((r) => setTimeout(r, 20));
    }

    await c.subscribed(['*']);
    const after = await s.client.messages.send(chat.id, { text: 'after the pause' });
    const e = await c.event('message.upserted', chat.id, (e) => e.ids.includes(after.pendingMessageID));
    expect(e.seq).toBe(lastSeq + 1);
    expect(e.eventID).toBeGreaterThan(pausedUpTo);
    expect(c.events().filter((x) => x.eventID <= pausedUpTo && x.seq > lastSeq)).toEqual([]);
    expectGapless(c.events(), 'paused client');
  });
});

describe('seq', () => {
  it('runs 1..N without gaps over sends, reactions, read/unread and PATCH, and matches the log', async () => {
    const [a, b] = [freshChat(), freshChat()];
    const c = await Client.connect(s);
    await c.subscribed(['*']);
    const pendings: Array<{ chatID: string; pendingMessageID: string }> = [];
    for (let i = 0; i < 30; i++) {
      const chatID = i % 2 ? a.id : b.id;
      const { pendingMessageID } = await s.client.messages.send(chatID, { text: `seq ${i}` });
      pendings.push({ chatID, pendingMessageID });
    }
    const finals = await Promise.all(pendings.map((p) => confirmed(s, p.chatID, p.pendingMessageID)));
    const target = finals.find((m) => m.chatID === a.id)!;
    await s.client.chats.messages.reactions.add(target.id, { chatID: a.id, reactionKey: '👍' });
    await s.client.chats.messages.reactions.delete('👍', { chatID: a.id, messageID: target.id });
    await s.client.chats.markRead(a.id);
    await s.client.chats.markUnread(a.id);
    await s.client.chats.markRead(b.id);
    await s.client.chats.update(a.id, { isMuted: true });
    await s.client.chats.update(a.id, { isMuted: false, isPinned: true });
    await s.client.messages.update(finals.find((m) => m.chatID === b.id)!.id, { chatID: b.id, text: 'seq edited' });
    const newest = await settle(s, c);

    const events = c.events();
    expect(events.length).toBeGreaterThanOrEqual(30 * 3 + 8);
    expectGapless(events, '30 sends and friends');
    expect(events.at(-1)!.eventID).toBe(newest);
    // Nothing in the log between the first and last event was skipped.
    const log = await s.running.core.repo.eventsAfter(events[0]!.eventID - 1, 10_000);
    expect(eventIDs(events)).toEqual(log.map((e) => e.id));
    for (const p of pendings) expect(events.filter((e) => e.type === 'message.upserted' && e.ids.includes(p.pendingMessageID)).length, p.pendingMessageID).toBeGreaterThanOrEqual(2);
    const targetEvents = events.filter((e) => e.type === 'message.upserted' && e.ids[0] === target.id && e.ids.length === 1);
    const thumbs = (e: WsEvent) => (messageEntry(e)?.reactions ?? []).some((r) => r.reactionKey === '👍');
    expect(targetEvents.map(thumbs).slice(-2), 'reaction added, then removed').toEqual([true, false]);
    expect(events.filter((e) => e.type === 'chat.upserted' && e.chatID === a.id).length).toBeGreaterThanOrEqual(15 + 4); // 15 sends, read, unread, two PATCHes
  });
});

describe('resume with since', () => {
  it('replays exactly what a disconnected client missed, then continues live', async () => {
    const [a, b] = [freshChat(), freshChat()];
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const c1 = await Client.connect(s);
    await c1.subscribed(['*']);
    await sendConfirmed(a.id, 'seen by client 1');
    await sendConfirmed(b.id, 'seen by client 1 too');
    await settle(s, watcher, c1);
    const last = c1.events().at(-1)!.eventID;
    c1.ws.terminate();
    await c1.closed;

    const missed = [];
    for (let i = 0; i < 10; i++) missed.push(await s.client.messages.send(i % 3 ? a.id : b.id, { text: `missed ${i}` }));
    await Promise.all(missed.map((m) => confirmed(s, m.chatID, m.pendingMessageID)));
    await s.client.chats.update(b.id, { isPinned: true });
    const upTo = await settle(s, watcher);
    const window = watcher.events().filter((e) => e.eventID > last);
    expect(window.length).toBeGreaterThanOrEqual(10 * 3 + 1);

    const c2 = await Client.connect(s);
    const answer = await c2.subscribe(['*'], { since: last, requestID: 'resume' });
    expect(answer).toEqual({ type: 'subscriptions.updated', requestID: 'resume', chatIDs: ['*'] });
    await c2.reach(upTo);
    expect(eventIDs(c2.events())).toEqual(eventIDs(window));
    expect(c2.events().map((e) => [e.type, e.chatID, e.ids])).toEqual(window.map((e) => [e.type, e.chatID, e.ids]));
    for (const m of missed) expect(c2.events().some((e) => e.ids.includes(m.pendingMessageID) && messageEntry(e)?.text !== undefined)).toBe(true);
    expect(c2.events().some((e) => e.type === 'chat.upserted' && e.chatID === b.id && chatEntry(e)?.isPinned === true)).toBe(true);

    // Live after the replay: one more send arrives once.
    const more = await sendConfirmed(a.id, 'after the resume');
    const end = await settle(s, watcher, c2);
    expect(eventIDs(c2.events())).toEqual(eventIDs(watcher.events().filter((e) => e.eventID > last && e.eventID <= end)));
    expect(c2.events().filter((e) => e.ids.includes(more.pendingMessageID)).length).toBe(watcher.events().filter((e) => e.ids.includes(more.pendingMessageID)).length);
    expectNoDuplicates(c2.events(), 'resumed client');
    expectGapless(c2.events(), 'resumed client');
  });

  it('replays while events keep coming, without duplicates or gaps', async () => {
    const chat = freshChat();
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const since = await mark(s);
    for (let i = 0; i < 5; i++) await s.client.messages.send(chat.id, { text: `backlog ${i}` });
    const c = await Client.connect(s);
    // Sends race with the replay.
    const racing = Promise.all(Array.from({ length: 10 }, (_, i) => s.client.messages.send(chat.id, { text: `racing ${i}` })));
    await c.subscribed(['*'], { since });
    const sent = await racing;
    await Promise.all(sent.map((m) => confirmed(s, m.chatID, m.pendingMessageID)));
    await settle(s, watcher, c);
    expect(eventIDs(c.events())).toEqual(eventIDs(watcher.events().filter((e) => e.eventID > since)));
    expectGapless(c.events(), 'racing replay');

    // Asking again with the same since sends nothing already sent.
    await c.subscribed(['*'], { since });
    const sentinel = await s.client.messages.send(chat.id, { text: 'after asking again' });
    await c.event('message.upserted', chat.id, (e) => e.ids.includes(sentinel.pendingMessageID));
    expectNoDuplicates(c.events(), 'asked twice');
    expectGapless(c.events(), 'asked twice');
  });

  it('with a chat filter replays only that chat’s events; since may be a numeric string', async () => {
    const [a, b] = [freshChat(), freshChat()];
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const since = await mark(s);
    for (let i = 0; i < 4; i++) await sendConfirmed(i % 2 ? a.id : b.id, `filtered replay ${i}`);
    await s.client.chats.update(a.id, { isMuted: true });
    const upTo = await settle(s, watcher);
    const expectedA = watcher.events().filter((e) => e.eventID > since && e.chatID === a.id);
    expect(expectedA.length).toBeGreaterThanOrEqual(7);

    const onlyA = await Client.connect(s);
    await onlyA.subscribed([a.id], { since });
    await onlyA.reach(expectedA.at(-1)!.eventID);
    expect(eventIDs(onlyA.events())).toEqual(eventIDs(expectedA));
    expectGapless(onlyA.events(), 'filtered replay');

    const asString = await Client.connect(s);
    await asString.subscribed(['*'], { since: String(since) });
    await asString.reach(upTo);
    expect(eventIDs(asString.events())).toEqual(eventIDs(watcher.events().filter((e) => e.eventID > since)));
  });

  /** An eventID whose successors were pruned (all of the log goes), after some events. */
  async function prunedSince(chatID: string, watcher: Client): Promise<number> {
    await sendConfirmed(chatID, 'before the prune');
    const stale = await settle(s, watcher);
    await sendConfirmed(chatID, 'to be pruned');
    await settle(s, watcher);
    expect(await s.running.core.repo.pruneEvents(Date.now() + 1, 0)).toBeGreaterThan(0);
    return stale;
  }

  it('refuses a since older than the retained log with INVALID_PAYLOAD (log pruned empty)', async () => {
    const chat = freshChat();
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const stale = await prunedSince(chat.id, watcher);
    // Nothing is kept any more: the next ID to be issued is the oldest, and the last one issued is remembered.
    const bounds = await s.running.core.repo.eventBounds();
    expect(bounds.newest).toBeGreaterThan(stale);
    expect(bounds.oldest).toBe(bounds.newest + 1);

    const c = await Client.connect(s);
    c.send({ type: 'subscriptions.set', requestID: 'too-old', chatIDs: ['*'], since: stale });
    const err = await c.next<WsMessage & WsError>((m) => m.type === 'error' && m.requestID === 'too-old', 1_000, 'INVALID_PAYLOAD for a pruned since');
    expect(err).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.any(String) });
  });

  it('refuses a since older than the retained log with INVALID_PAYLOAD (newer events retained)', async () => {
    const chat = freshChat();
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const stale = await prunedSince(chat.id, watcher);
    await sendConfirmed(chat.id, 'retained');
    await settle(s, watcher);

    const c = await Client.connect(s);
    c.send({ type: 'subscriptions.set', requestID: 'too-old-2', chatIDs: ['*'], since: stale });
    const err = await c.next<WsMessage & WsError>((m) => m.type === 'error' && m.requestID === 'too-old-2', 1_000, 'INVALID_PAYLOAD for a pruned since');
    expect(err).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.any(String) });
    // Nothing was replayed: a partial replay would hide the gap.
    expect(c.events()).toEqual([]);
  });

  it('a refused since is the only answer to its request and leaves the subscription unchanged', async () => {
    const [a, b] = [freshChat(), freshChat()];
    const watcher = await Client.connect(s);
    await watcher.subscribed(['*']);
    const stale = await prunedSince(a.id, watcher);
    await sendConfirmed(a.id, 'retained');
    await settle(s, watcher);

    const c = await Client.connect(s);
    await c.subscribed([a.id]);
    c.send({ type: 'subscriptions.set', requestID: 'too-old-3', chatIDs: ['*'], since: stale });
    await c.next((m) => m.type === 'error' && m.requestID === 'too-old-3', 1_000, 'INVALID_PAYLOAD for a pruned since');
    // B's change, then a sentinel in A: once the sentinel is in, B's event would have been too.
    await s.client.chats.update(b.id, { isMuted: true });
    const sentinel = await s.client.messages.send(a.id, { text: 'sentinel' });
    await c.event('message.upserted', a.id, (e) => e.ids.includes(sentinel.pendingMessageID));
    expect(c.received.filter((r) => r.msg.requestID === 'too-old-3').map((r) => r.msg.type)).toEqual(['error']);
    expect(c.events().filter((e) => e.chatID === b.id)).toEqual([]);
  });
});

describe('errors', () => {
  async function expectError(c: Client, payload: object | string | Buffer, code: WsError['code'], requestID?: string): Promise<WsError> {
    const from = c.received.length;
    if (Buffer.isBuffer(payload)) c.ws.send(payload, { binary: true });
    else c.send(payload);
    const err = await c.next<WsMessage & WsError>((m) => m.type === 'error', 2_000, `${code} for ${String(payload).slice(0, 80)}`, from);
    expect(err.code, JSON.stringify(err)).toBe(code);
    expect(typeof err.message).toBe('string');
    expect(err.message.length).toBeGreaterThan(0);
    if (requestID !== undefined) expect(err.requestID).toBe(requestID);
    else expect(err.requestID).toBeUndefined();
    expect(Object.keys(err).every((k) => ['type', 'requestID', 'code', 'message'].includes(k)), JSON.stringify(err)).toBe(true);
    return err;
  }

  it('INVALID_COMMAND for an unknown type, echoing requestID', async () => {
    const c = await Client.connect(s);
    await expectError(c, { type: 'nope', requestID: 'r-nope' }, 'INVALID_COMMAND', 'r-nope');
    await expectError(c, { type: 'nope' }, 'INVALID_COMMAND');
    await c.subscribed(['*']); // still usable
  });

  it('INVALID_PAYLOAD for bad JSON, binary frames and malformed subscriptions.set, echoing requestID', async () => {
    const c = await Client.connect(s);
    const chat = freshChat();
    await expectError(c, '{"type": "subscriptions.set", ', 'INVALID_PAYLOAD');
    await expectError(c, Buffer.from(JSON.stringify({ type: 'subscriptions.set', chatIDs: ['*'] })), 'INVALID_PAYLOAD');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-string', chatIDs: '*' }, 'INVALID_PAYLOAD', 'r-string');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-numbers', chatIDs: [1, 2] }, 'INVALID_PAYLOAD', 'r-numbers');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-missing' }, 'INVALID_PAYLOAD', 'r-missing');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-mixed', chatIDs: ['*', chat.id] }, 'INVALID_PAYLOAD', 'r-mixed');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-extra', chatIDs: ['*'], extra: true }, 'INVALID_PAYLOAD', 'r-extra');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-negative', chatIDs: ['*'], since: -1 }, 'INVALID_PAYLOAD', 'r-negative');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-fraction', chatIDs: ['*'], since: 1.5 }, 'INVALID_PAYLOAD', 'r-fraction');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-word', chatIDs: ['*'], since: 'yesterday' }, 'INVALID_PAYLOAD', 'r-word');
    await expectError(c, '[1, 2]', 'INVALID_PAYLOAD');
    // None of it changed the (empty) subscription, and no answer but errors was sent.
    expect(c.received.filter((r) => r.msg.type === 'subscriptions.updated')).toEqual([]);
    await c.subscribed(['*']);
    expect(c.closeInfo).toBeUndefined();
  });

  it('NOT_SUBSCRIBED for unknown chat IDs, echoing requestID; the previous subscription still delivers', async () => {
    const chat = freshChat();
    const c = await Client.connect(s);
    await c.subscribed([chat.id]);
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-unknown', chatIDs: ['!nope:nowhere.example'] }, 'NOT_SUBSCRIBED', 'r-unknown');
    await expectError(c, { type: 'subscriptions.set', requestID: 'r-some-unknown', chatIDs: [chat.id, '!nope:nowhere.example'] }, 'NOT_SUBSCRIBED', 'r-some-unknown');
    await expectError(c, { type: 'subscriptions.set', chatIDs: ['999999999'] }, 'NOT_SUBSCRIBED');
    const { pendingMessageID } = await s.client.messages.send(chat.id, { text: 'still subscribed' });
    await c.event('message.upserted', chat.id, (e) => e.ids.includes(pendingMessageID));
  });
});

describe('changes made by a connector', () => {
  it('an incoming message ingested through core becomes message.upserted with the Message', async () => {
    const chat = freshChat();
    const c = await Client.connect(s);
    await c.subscribed([chat.id]);
    const core = s.running.core;
    const account = (await core.repo.getAccount(chat.accountID))!;
    const record = (await core.repo.getChat(chat.id))!;
    const partner = partnerOf(chat);
    const remoteID = `ws-incoming-${Date.now()}`;
    const [id] = await core.ingest.messages(account, record.remoteID, [{ remoteID, senderID: partner.id, timestamp: Date.now(), text: 'hello from the network' }], false);
    const e = await c.event('message.upserted', chat.id, (e) => e.ids.includes(id!));
    expect(e.ids).toEqual([id]);
    expect(messageEntry(e)).toMatchObject({ id, chatID: chat.id, senderID: partner.id, isSender: false, text: 'hello from the network' });
    const chatEvent = await c.event('chat.upserted', chat.id, (x) => x.seq > e.seq);
    expect(chatEntry(chatEvent)?.id).toBe(chat.id);

    // The network deletes it.
    await core.ingest.apply(account, { type: 'delete', chatRemoteID: record.remoteID, targetRemoteID: remoteID });
    const gone = await c.event('message.deleted', chat.id, (x) => x.ids.includes(id!));
    expect(gone.ids).toEqual([id]);
    expect(gone.entries).toBeUndefined();
  });

  it('PATCH /v1/chats/{id} becomes chat.upserted with the Chat', async () => {
    const chat = freshChat();
    const c = await Client.connect(s);
    await c.subscribed(['*']);
    const updated = await s.client.chats.update(chat.id, { isPinned: true, isMuted: true });
    const e = await c.event('chat.upserted', chat.id, (x) => chatEntry(x)?.isPinned === true);
    expect(e.ids).toEqual([chat.id]);
    expect(chatEntry(e)).toMatchObject({ id: chat.id, isPinned: true, isMuted: true, accountID: chat.accountID });
    expect(chatEntry(e)?.title).toBe(updated.title);
    await s.client.chats.update(chat.id, { isPinned: false });
    const back = await c.event('chat.upserted', chat.id, (x) => x.seq > e.seq);
    expect(chatEntry(back)).toMatchObject({ isPinned: false, isMuted: true });
  });

  it('removing an account becomes chat.deleted for each of its chats', async () => {
    const accountID = 'sandbox-imessage';
    const theirs = (await s.client.chats.search({ accountIDs: [accountID], limit: 100 })).items.map((c) => c.id);
    expect(theirs.length).toBeGreaterThan(0);
    const c = await Client.connect(s);
    await c.subscribed(['*']);
    await s.running.core.accounts.remove(accountID);
    for (const id of theirs) expect(await s.running.core.repo.getChat(id), `${id} is gone`).toBeUndefined();
    const sentinelChat = freshChat();
    await s.client.chats.update(sentinelChat.id, { isMuted: true });
    await c.event('chat.upserted', sentinelChat.id);
    const deleted = c.events().filter((e) => e.type === 'chat.deleted');
    expect(deleted.map((e) => e.chatID).sort()).toEqual([...theirs].sort());
    for (const e of deleted) expect(e.ids).toEqual([e.chatID]);
  });

  it('deleting a message becomes message.deleted', async () => {
    const chat = freshChat();
    const { message } = await sendConfirmed(chat.id, 'to be deleted');
    const c = await Client.connect(s);
    await c.subscribed([chat.id]);
    await s.client.messages.delete(message.id, { chatID: chat.id });
    const e = await c.event('message.deleted', chat.id);
    expect(e.ids).toEqual([message.id]);
    expect(e.entries).toBeUndefined();
  });
});

// ---------------------------------------------------------------- slow consumers (their own server)

/** A real gc, so heap numbers measure what is retained rather than garbage not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('slow consumers', () => {
  let big: TestServer;
  beforeAll(async () => {
    big = await startTestServer();
  });
  afterAll(async () => big?.stop());

  it('cuts off a client that stops reading, keeps memory bounded, and keeps serving the others', async () => {
    const core = big.running.core;
    const emitter = (core.events as unknown as { emitter: EventEmitter }).emitter;
    const targets = [];
    for (const accountID of ['sandbox-whatsapp', 'sandbox-signal']) {
      const account = (await core.repo.getAccount(accountID))!;
      for (const c of (await big.client.chats.search({ accountIDs: [accountID], type: 'single', limit: 3 })).items) {
        targets.push({ account, record: (await core.repo.getChat(c.id))!, sender: partnerOf(c).id });
      }
    }

    const normal = await Client.connect(big, big.token, { lean: true });
    await normal.subscribed(['*']);
    const slow = await Client.connect(big);
    await slow.subscribed(['*']);
    const since = await mark(big);
    const listeners = emitter.listenerCount('event');
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();

    const gc = collector();
    gc();
    const before = process.memoryUsage();
    const filler = 'All work and no play makes Jack a dull boy. '.repeat(100); // ~4.4 KB a message
    const calls = 2_500; // two events each (message.upserted + chat.upserted): 5,000 events
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      const t = targets[i % targets.length]!;
      await core.ingest.messages(t.account, t.record.remoteID, [{ remoteID: `flood-${i}`, senderID: t.sender, timestamp: Date.now(), text: `${i} ${filler}` }], false);
      // A connector's events come from I/O; let the sockets move between them now and then.
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const newest = await settle(big);
    const produced = newest - since;
    gc();
    const during = process.memoryUsage();
    await normal.reach(newest, 15_000);
    const elapsed = performance.now() - t0;
    gc();
    const after = process.memoryUsage();
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `slow consumer: ${produced} events in ${elapsed.toFixed(0)} ms; heapUsed ${mb(before.heapUsed)} → ${mb(during.heapUsed)} → ${mb(after.heapUsed)} MB; ` +
        `arrayBuffers ${mb(before.arrayBuffers)} → ${mb(during.arrayBuffers)} → ${mb(after.arrayBuffers)} MB; rss ${mb(before.rss)} → ${mb(after.rss)} MB`,
    );
    expect(produced).toBeGreaterThanOrEqual(5_000);
    expect(during.heapUsed - before.heapUsed).toBeLessThan(50 * 1024 * 1024);
    expect(during.arrayBuffers - before.arrayBuffers).toBeLessThan(50 * 1024 * 1024);

    // The normal client got everything, in order.
    const got = normal.events().filter((e) => e.eventID > since);
    expect(got.length).toBe(produced);
    expectGapless(normal.events(), 'the normal client');

    // The slow one was cut off: once it reads again it finds the error and the close (1013), or a closed connection.
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    const closed = await Promise.race([slow.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 8_000))]);
    expect(closed, 'the slow client was closed').toBeDefined();
    expect([1013, 1006]).toContain(closed!.code);
    const slowEvents = slow.events();
    expect(slowEvents.length).toBeLessThan(produced);
    expectGapless(slowEvents, 'the slow client until it was cut off');
    if (closed!.code === 1013) {
      const err = slow.errors().at(-1);
      expect(err?.code).toBe('INTERNAL_ERROR');
      expect(slow.received.at(-1)!.msg.type).toBe('error');
    }
    console.log(`slow consumer closed with ${closed!.code} after ${slowEvents.length} of ${produced} events`);
    await waitFor(async () => emitter.listenerCount('event'), (n) => n === listeners - 1, 'the server to drop the slow connection');
  });

  it('does not cut off a client that reads when a connector reports a burst without pausing', async () => {
    const core = big.running.core;
    const chat = (await big.client.chats.search({ accountIDs: ['sandbox-telegram'], type: 'single', limit: 1 })).items[0]!;
    const account = (await core.repo.getAccount(chat.accountID))!;
    const record = (await core.repo.getChat(chat.id))!;
    const c = await Client.connect(big);
    await c.subscribed(['*']);
    const since = await mark(big);
    // 1,000 short messages, one ingest each, back to back (as a connector walking a sync
    // response does): 2,000 events, about 3 MB in all, well within the socket's buffers.
    for (let i = 0; i < 1_000; i++) {
      await core.ingest.messages(account, record.remoteID, [{ remoteID: `burst-${i}`, senderID: partnerOf(chat).id, timestamp: Date.now(), text: `burst ${i}` }], false);
    }
    const newest = await mark(big);
    expect(newest - since).toBe(2_000);
    await c.reach(newest, 10_000);
    expect(c.errors()).toEqual([]);
    expect(c.events().length).toBe(2_000);
    expectGapless(c.events(), 'the burst');
  });
});

describe('keep-alive', () => {
  let k: TestServer;
  beforeAll(async () => {
    k = await startTestServer({ sandbox: false, wsPingIntervalMs: 200 });
  });
  afterAll(async () => k?.stop());

  const open = (autoPong: boolean) =>
    new Promise<{ ws: WebSocket; pings: () => number }>((resolve, reject) => {
      let pings = 0;
      const ws = new WebSocket(`${k.baseURL.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${k.token}` }, autoPong });
      ws.on('ping', () => pings++);
      ws.once('open', () => resolve({ ws, pings: () => pings }));
      ws.once('error', reject);
    });

  it('pings every interval, keeps a client that answers and drops one that does not', async () => {
    const healthy = await open(true);
    const silent = await open(false);
    const closed = new Promise<number>((r) => silent.ws.once('close', (code) => r(code)));
    // A client that never answers is terminated after the ping it ignored (abnormal closure, no close frame).
    expect(await closed).toBe(1006);
    await waitFor(async () => healthy.pings(), (n) => n >= 3, 'three pings to the healthy client', 5_000);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    healthy.ws.close();
  });
});
