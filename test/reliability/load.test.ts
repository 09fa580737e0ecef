// Load: 200 concurrent clients (plain fetch loops on the loopback) mixing chat
// lists, message pages, chat details, searches and sends, plus 20 WebSocket
// subscribers to every chat, against a real `switchboard serve` process: ~10 s in
// `npm test`, 60 s in `npm run soak`. Zero transport errors, zero 5xx, every
// subscriber sees an unbroken sequence, and no unbounded memory growth: the
// server's RSS is sampled every second and the highest sample of the last third
// may exceed the highest of the first third by at most max(64 MB, 25 %) — the
// SQLite page cache (64 MiB, configured in db.ts) and the memory-mapped database
// file (which grows with the sends) may fill legitimately while the run goes on;
// growth beyond that, over a steady mix, is a leak. LOAD_SEED reproduces the mix.
// Latencies are measured in the test process, which also parses every event of
// the 20 subscribers: on a 2-core machine they include the client's own queueing.
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, percentile, procMemory, report, rng, seedFrom, sleep, SOAK, startChild, tempDir, type ChildServer } from './harness.ts';

const SEED = seedFrom('LOAD_SEED');
const SECONDS = Number(process.env.LOAD_SECONDS ?? (SOAK ? 60 : 10));
const CLIENTS = 200;
const SUBSCRIBERS = 20;
const TOKEN = `sb_load_${'l'.repeat(32)}`;

let child: ChildServer | undefined;
afterAll(async () => {
  await child?.stop();
});

type Kind = 'chat list' | 'message page' | 'chat details' | 'message search' | 'chat search' | 'send';
const MIX: Array<[Kind, number]> = [['chat list', 25], ['message page', 20], ['chat details', 15], ['message search', 15], ['chat search', 10], ['send', 15]];

describe('load', () => {
  it(`${CLIENTS} clients and ${SUBSCRIBERS} WebSocket subscribers for ${SECONDS} s: no errors, no 5xx, bounded memory`, async () => {
    const port = await freePort();
    child = await startChild({ dataDir: tempDir('switchboard-load-'), port, token: TOKEN });
    const base = child.baseURL;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const chats = ((await (await fetch(`${base}/v1/chats/search?limit=200`, { headers })).json()) as { items: Array<{ id: string; isReadOnly: boolean }> }).items.filter((c) => !c.isReadOnly);
    const words = ['dinner', 'tomorrow', 'thanks', 'café', 'meeting', 'photo', 'the', 'ok', 'love you', 'see'];
    console.log(`[reliability] load seed ${SEED} (reproduce with LOAD_SEED=${SEED})`);

    // Subscribers.
    const subs = await Promise.all(
      Array.from({ length: SUBSCRIBERS }, () =>
        new Promise<{ ws: WebSocket; events: number; gaps: number; closed: boolean; errors: number }>((resolve, reject) => {
          const state = { ws: new WebSocket(`${base.replace('http', 'ws')}/v1/ws`, { headers }), events: 0, gaps: 0, closed: false, errors: 0 };
          let lastSeq = 0;
          state.ws.on('message', (data) => {
            const msg = JSON.parse(String(data)) as { type: string; seq?: number };
            if (msg.type === 'ready') state.ws.send(JSON.stringify({ type: 'subscriptions.set', requestID: 'all', chatIDs: ['*'] }));
            else if (msg.type === 'subscriptions.updated') resolve(state);
            else if (msg.type === 'error') state.errors++;
            else if (typeof msg.seq === 'number') {
              state.events++;
              if (lastSeq && msg.seq !== lastSeq + 1) state.gaps++;
              lastSeq = msg.seq;
            }
          });
          state.ws.on('close', () => (state.closed = true));
          state.ws.on('error', reject);
        }),
      ),
    );

    // Memory, every second.
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(Math.round(procMemory(child!.pid).rss * 10) / 10), 1_000);

    const latencies = new Map<Kind, number[]>(MIX.map(([k]) => [k, []]));
    /** Latencies of requests started after the first two seconds (caches warm, all clients running). */
    const steady: number[] = [];
    const stats = { requests: 0, transportErrors: 0, serverErrors: 0, clientErrors: 0, sends: 0, transportExamples: [] as string[], statusExamples: [] as string[] };
    const weights = MIX.reduce((n, [, w]) => n + w, 0);
    const end = Date.now() + SECONDS * 1_000;

    const client = async (n: number) => {
      const r = rng(SEED + n);
      const pickKind = (): Kind => {
        let x = r.next() * weights;
        for (const [k, w] of MIX) if ((x -= w) < 0) return k;
        return 'chat list';
      };
      while (Date.now() < end) {
        const kind = pickKind();
        const chat = r.pick(chats);
        const path = `/v1/chats/${encodeURIComponent(chat.id)}`;
        const [url, init]: [string, RequestInit] =
          kind === 'chat list' ? [`${base}/v1/chats`, { headers }]
          : kind === 'message page' ? [`${base}${path}/messages`, { headers }]
          : kind === 'chat details' ? [`${base}${path}`, { headers }]
          : kind === 'message search' ? [`${base}/v1/messages/search?query=${encodeURIComponent(r.pick(words))}`, { headers }]
          : kind === 'chat search' ? [`${base}/v1/chats/search?query=${encodeURIComponent(r.pick(['a', 'e', 'whats', 'signal', 'group']))}`, { headers }]
          : [`${base}${path}/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ text: `load ${n} ${stats.requests}` }) }];
        const started = performance.now();
        const startedMs = Date.now();
        try {
          const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
          latencies.get(kind)!.push(performance.now() - started);
          if (startedMs - startedAt > 2_000) steady.push(performance.now() - started);
          stats.requests++;
          if (res.status >= 500) (stats.serverErrors++, stats.statusExamples.length < 5 && stats.statusExamples.push(`${kind} ${res.status}`));
          else if (res.status >= 400) (stats.clientErrors++, stats.statusExamples.length < 5 && stats.statusExamples.push(`${kind} ${res.status}`));
          else if (kind === 'send') stats.sends++;
        } catch (err) {
          stats.transportErrors++;
          if (stats.transportExamples.length < 5) stats.transportExamples.push(`${kind}: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? '')}`);
        }
      }
    };
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const elapsed = (Date.now() - startedAt) / 1000;
    clearInterval(sampler);
    await sleep(1_000); // the last confirmations reach the subscribers
    for (const sub of subs) sub.ws.close();

    const all = [...latencies.values()].flat().sort((a, b) => a - b);
    const pct = (xs: number[], p: number) => Math.round(percentile([...xs].sort((a, b) => a - b), p) * 10) / 10;
    const third = Math.max(1, Math.floor(rss.length / 3));
    const firstMax = Math.max(...rss.slice(0, third));
    const lastMax = Math.max(...rss.slice(-third));
    const allowed = Math.max(64, firstMax * 0.25);
    report('load', {
      seed: SEED,
      'clients / subscribers / seconds': `${CLIENTS} / ${SUBSCRIBERS} / ${elapsed.toFixed(1)}`,
      requests: stats.requests,
      'requests/s': Math.round(stats.requests / elapsed),
      'sends acknowledged': stats.sends,
      'transport errors': stats.transportErrors,
      '5xx': stats.serverErrors,
      '4xx': stats.clientErrors,
      'p50 / p99 ms (all)': `${pct(all, 50)} / ${pct(all, 99)}`,
      'p50 / p99 ms (after the first 2 s)': `${pct(steady, 50)} / ${pct(steady, 99)}`,
      ...Object.fromEntries(MIX.map(([k]) => [`p50 / p99 ms (${k})`, `${pct(latencies.get(k)!, 50)} / ${pct(latencies.get(k)!, 99)}`])),
      'events per subscriber (min)': Math.min(...subs.map((x) => x.events)),
      'subscriber sequence gaps / errors / closed early': `${subs.reduce((n, x) => n + x.gaps, 0)} / ${subs.reduce((n, x) => n + x.errors, 0)} / ${subs.filter((x) => x.closed && x.ws.readyState !== WebSocket.CLOSING && x.ws.readyState !== WebSocket.CLOSED).length}`,
      'RSS samples (MB, every 1 s)': rss.join(' '),
      'RSS max first third / last third / allowed growth (MB)': `${firstMax} / ${lastMax} / ${allowed.toFixed(0)}`,
      ...(stats.transportExamples.length ? { 'transport error examples': stats.transportExamples } : {}),
      ...(stats.statusExamples.length ? { 'status examples': stats.statusExamples } : {}),
    });

    expect(stats.transportErrors, stats.transportExamples.join('\n')).toBe(0);
    expect(stats.serverErrors, stats.statusExamples.join('\n')).toBe(0);
    expect(stats.clientErrors, stats.statusExamples.join('\n')).toBe(0);
    expect(stats.requests).toBeGreaterThan(CLIENTS * 5);
    expect(stats.sends).toBeGreaterThan(0);
    for (const sub of subs) {
      expect(sub.gaps).toBe(0);
      expect(sub.errors).toBe(0);
      // Each acknowledged send is announced at least twice (pending, then confirmed), to every subscriber.
      expect(sub.events).toBeGreaterThanOrEqual(stats.sends * 2);
    }
    expect(rss.length).toBeGreaterThanOrEqual(Math.min(SECONDS, 8));
    expect(lastMax - firstMax, `RSS grew from ${firstMax} to ${lastMax} MB`).toBeLessThanOrEqual(allowed);
    expect((await fetch(`${base}/v1/info`)).status).toBe(200);
  }, (SECONDS + 120) * 1_000);
});
