// Live delivery: WebSocket clients (in this process) subscribed to every chat;
// a send's latency is from just before its POST until every client has the
// message.upserted event carrying its pendingMessageID.
import WebSocket from 'ws';
import { summarize, sleep } from './util.ts';

export interface LiveLevel {
  clients: number;
  sends: number;
  /** Sends for which some client never got the event (within the timeout). */
  missed: number;
  p50: number;
  p99: number;
  max: number;
}

const EVENT_TIMEOUT_MS = 15_000;
const CONNECT_CONCURRENCY = 50;

/** One subscribed client; remembers when each message ID first arrived in a message.upserted. */
class Client {
  readonly seen = new Map<string, number>();
  /** IDs confirmed by the network: the second event of a send, `[finalID, pendingID]`. */
  readonly confirmed = new Set<string>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const now = performance.now();
      const msg = JSON.parse(String(data)) as { type: string; ids?: string[] };
      if (msg.type !== 'message.upserted' || !msg.ids) return;
      for (const id of msg.ids) if (!this.seen.has(id)) this.seen.set(id, now);
      if (msg.ids.length > 1) this.confirmed.add(msg.ids[1]!);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  static connect(wsURL: string, token: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsURL, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      const fail = (err: Error) => reject(err);
      ws.once('error', fail);
      ws.on('message', function first(data) {
        const msg = JSON.parse(String(data)) as { type: string };
        if (msg.type === 'ready') ws.send(JSON.stringify({ type: 'subscriptions.set', requestID: 'bench', chatIDs: ['*'] }));
        if (msg.type === 'subscriptions.updated') {
          ws.off('message', first);
          ws.off('error', fail);
          ws.on('error', () => {});
          resolve(new Client(ws));
        }
      });
    });
  }

  /** Resolves once `has()` holds (checked after each event), or after the timeout. */
  async until(has: () => boolean, deadline: number): Promise<boolean> {
    while (!has()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return true;
  }

  reset(): void {
    this.seen.clear();
    this.confirmed.clear();
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * For each level (number of clients, growing), connects clients up to it and
 * times `sends` sends, one at a time, each after the previous one is confirmed.
 */
export async function measureLive(opts: {
  baseURL: string;
  token: string;
  chatID: string;
  levels: number[];
  sends: number;
  onLevel?: (l: LiveLevel) => void;
}): Promise<LiveLevel[]> {
  const wsURL = `${opts.baseURL.replace(/^http/, 'ws')}/v1/ws`;
  const clients: Client[] = [];
  const out: LiveLevel[] = [];
  try {
    for (const level of opts.levels) {
      while (clients.length < level) {
        const batch = Math.min(CONNECT_CONCURRENCY, level - clients.length);
        clients.push(...(await Promise.all(Array.from({ length: batch }, () => Client.connect(wsURL, opts.token)))));
      }
      const samples: number[] = [];
      let missed = 0;
      for (let i = 0; i < opts.sends; i++) {
        for (const c of clients) c.reset();
        const t0 = performance.now();
        const res = await fetch(`${opts.baseURL}/v1/chats/${encodeURIComponent(opts.chatID)}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text: `live ${level}/${i}` }),
        });
        if (!res.ok) throw new Error(`send failed: ${res.status} ${await res.text()}`);
        const { pendingMessageID } = (await res.json()) as { pendingMessageID: string };
        const deadline = performance.now() + EVENT_TIMEOUT_MS;
        const got = await Promise.all(clients.map((c) => c.until(() => c.seen.has(pendingMessageID), deadline)));
        if (got.every(Boolean)) samples.push(Math.max(...clients.map((c) => c.seen.get(pendingMessageID)!)) - t0);
        else missed++;
        // Let the confirmation (the send's second event) reach everyone before the next send.
        await Promise.all(clients.map((c) => c.until(() => c.confirmed.has(pendingMessageID), performance.now() + EVENT_TIMEOUT_MS)));
        await sleep(2);
      }
      const s = summarize(samples);
      const result = { clients: level, sends: samples.length, missed, p50: s.p50, p99: s.p99, max: s.max };
      opts.onLevel?.(result);
      out.push(result);
    }
  } finally {
    for (const c of clients) c.close();
  }
  return out;
}

/**
 * Time from just before a send's POST until GET of its pendingMessageID shows
 * sendStatus SUCCESS (polled every millisecond or so), for `count` sends in a row.
 */
export async function measureSendSuccess(opts: { baseURL: string; token: string; chatID: string; count: number }): Promise<{ samples: number; failed: number; p50: number; p99: number; max: number }> {
  const headers = { authorization: `Bearer ${opts.token}` };
  const chat = `${opts.baseURL}/v1/chats/${encodeURIComponent(opts.chatID)}`;
  const samples: number[] = [];
  let failed = 0;
  for (let i = 0; i < opts.count; i++) {
    const t0 = performance.now();
    const res = await fetch(`${chat}/messages`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ text: `success ${i}` }),
    });
    if (!res.ok) throw new Error(`send failed: ${res.status} ${await res.text()}`);
    const { pendingMessageID } = (await res.json()) as { pendingMessageID: string };
    let done = false;
    while (!done && performance.now() - t0 < EVENT_TIMEOUT_MS) {
      const r = await fetch(`${chat}/messages/${encodeURIComponent(pendingMessageID)}`, { headers });
      const m = (await r.json()) as { sendStatus?: { status?: string } };
      const status = m.sendStatus?.status;
      if (status === 'SUCCESS') {
        samples.push(performance.now() - t0);
        done = true;
      } else if (status === 'FAIL_PERMANENT') break;
      else await sleep(1);
    }
    if (!done) failed++;
  }
  const s = summarize(samples);
  return { samples: s.count, failed, p50: s.p50, p99: s.p99, max: s.max };
}
