// The benchmark report: one JSON document (everything measured), a Markdown
// rendering that starts with the performance targets, and a hand-written SVG of
// p50 latency against store size.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloorResult } from './floor.ts';
import type { IngestFloor, SkippedFloor } from './ingest-floor.ts';
import { storeBytes, type ServerFootprint, type StorageFootprint } from './footprint.ts';
import type { LiveLevel } from './live.ts';
import type { LoadResult } from './load.ts';

export type Mode = 'smoke' | 'quick' | 'full';

export interface EndpointResult {
  id: string;
  label: string;
  method: string;
  path: string;
  /** Store size label ("10k" …). */
  size: string;
  status: number;
  contentType: string | null;
  /** Body bytes of Switchboard's answer (the bare server answers the same bytes). */
  responseBytes: number;
  /** Switchboard under load: `config.connections` connections. */
  load: LoadResult;
  /** Switchboard, one connection: latency without queueing. */
  latency: LoadResult;
  /** The bare node:http server answering the same bytes, loaded like `load`. */
  baseline: LoadResult;
  /** The SQLite queries alone, in-process; null when the endpoint runs none. */
  floor: FloorResult | null;
  ratios: {
    /** load.rps ÷ baseline.rps. */
    throughputVsBare: number;
    /** latency.p50 ÷ floor.p50. */
    latencyVsFloor: number | null;
  };
  /** GET /v1/info only: a minimal Fastify app with the same bytes, loaded in the same alternating rounds as Switchboard and the bare server. */
  framework?: { rps: number };
  /** Sends only: from POST until GET of the pendingMessageID shows SUCCESS. */
  timeToSuccess?: { samples: number; failed: number; p50: number; p99: number; max: number };
}

export interface SizeResult {
  label: string;
  /** Messages asked of the generator (the store also holds the ~4k-message demo inbox). */
  targetMessages: number;
  messages: number;
  chats: number;
  cached: boolean;
  store: { generatorVersion: number; schemaVersion: number; builtAt: string; buildSeconds: number; ingestRate: number };
  facts: {
    busiestChat: { id: string; type: string; messages: number; participants: number };
    chatListDeepIndex: number;
    messagesDeepIndex: number;
    words: { common: { term: string; docs: number }; rare: { term: string; docs: number }; multi: { query: string; docs: number } };
  };
  storage: StorageFootprint;
  server: ServerFootprint;
}

export interface Report {
  schema: 1;
  mode: Mode;
  date: string;
  commit: string;
  /** Tracked files had uncommitted changes. */
  dirty: boolean;
  startedAt: string;
  seconds: number;
  machine: { cpuModel: string; cores: number; node: string; platform: string; totalMemoryBytes: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  config: {
    sizes: string[];
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    /** Alternating rounds of Switchboard and the bare server that share durationSeconds. */
    ratioRounds: number;
    latencySeconds: number;
    floorBudgetMs: number;
    generatorVersion: number;
    schemaVersion: number;
    seed: number;
  };
  sizes: SizeResult[];
  endpoints: EndpointResult[];
  live: { size: string; levels: LiveLevel[] };
  ingest: {
    /** Rates `sandbox generate` reported for stores built in this run. */
    builds: Array<{ size: string; messages: number; messagesPerSecond: number }>;
    /** A fresh generate into a temp dir, run when every store came from the cache. */
    fresh: { messages: number; messagesPerSecond: number } | null;
    /** The rate the target is judged on. */
    rate: number;
    source: string;
    /** The same rows replayed by bare statements right after (bench/ingest-floor.ts): the store's work for them, on one thread. */
    floor: IngestFloor;
    /** The same replay by SQLite's C API (bench/ingest-floor.c): SQLite's own work, no binding; absent from reports before it existed. */
    cFloor?: IngestFloor | SkippedFloor;
  };
  targets: Target[];
  notes: string[];
}

export interface Target {
  id: string;
  target: string;
  measured: string;
  pass: boolean | null;
}

// ---------------------------------------------------------------- formatting

const MB = 1_000_000;
export const fmtMs = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en');
const fmtInt = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en'));
const fmtPct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(0)} %`);
const fmtX = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)}×`);
const fmtMB = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v / MB).toFixed(v < 10 * MB ? 1 : 0)} MB`);
const fmtBytes = (v: number) => (v < 10_000 ? `${v} B` : v < 10 * MB ? `${(v / 1000).toFixed(1)} kB` : fmtMB(v));
const verdict = (p: boolean | null) => (p === null ? 'n/a' : p ? '**PASS**' : '**FAIL**');

// ---------------------------------------------------------------- targets

/** Evaluates the performance targets at the largest store measured (1M with --full). */
export function evaluateTargets(r: Omit<Report, 'targets'>): Target[] {
  const largest = r.sizes.at(-1)!;
  const smallest = r.sizes[0]!;
  const at = largest.label === '1m' ? 'at 1M' : `at ${largest.label} (largest size in ${r.mode} mode; 1M needs --full)`;
  const ep = (id: string, size = largest.label) => r.endpoints.find((e) => e.id === id && e.size === size);
  const targets: Target[] = [];
  const throughput = (id: string, name: string, min: number, where: string) => {
    const e = ep(id);
    const ratio = e?.ratios.throughputVsBare;
    const fw = e?.framework ? `; a minimal Fastify app with the same bytes: ${fmtPct(e.framework.rps / e.baseline.rps)} of bare` : '';
    targets.push({
      id: `throughput.${id}`,
      target: `${name} ≥ ${min * 100} % of same-bytes bare node:http throughput ${where}`,
      measured: e ? `${fmtPct(ratio)} (${fmtInt(e.load.rps)} vs ${fmtInt(e.baseline.rps)} req/s${fw})` : 'not measured',
      pass: ratio === undefined ? null : ratio >= min,
    });
  };
  throughput('info', '`GET /v1/info`', 0.7, `(${largest.label})`);
  throughput('chats.get', '`GET /v1/chats/{id}`', 0.35, at);
  throughput('chats.list', 'Chat list page (`GET /v1/chats`)', 0.35, at);
  throughput('messages.list', 'Message page (`GET /v1/chats/{id}/messages`)', 0.35, at);

  const search = ep('search.common');
  const word = largest.facts.words.common.term;
  targets.push({
    id: 'search.p50',
    target: `Message search p50 ≤ 5 ms, single common word ("${word}"), one connection, ${at}`,
    measured: search ? `${fmtMs(search.latency.p50)} ms` : 'not measured',
    pass: search ? search.latency.p50 <= 5 : null,
  });
  targets.push({
    id: 'search.p99',
    target: `Message search p99 ≤ 25 ms, same query, ${at}`,
    measured: search ? `${fmtMs(search.latency.p99)} ms` : 'not measured',
    pass: search ? search.latency.p99 <= 25 : null,
  });
  const fts = search?.floor?.primary.p50;
  const ftsRatio = search && fts ? search.latency.p50 / fts : null;
  targets.push({
    id: 'search.vsFloor',
    target: `Message search p50 ≤ 2× the raw FTS5 query in-process, ${at}`,
    measured: search && fts ? `${fmtX(ftsRatio)} (${fmtMs(search.latency.p50)} ms vs ${fmtMs(fts)} ms)` : 'not measured',
    pass: ftsRatio === null ? null : ftsRatio <= 2,
  });
  targets.push({
    id: 'ingest',
    target: 'Ingest ≥ 50,000 messages/s with FTS',
    measured:
      `${fmtInt(r.ingest.rate)} messages/s (${r.ingest.source}); the same rows by bare statements on one thread: ${fmtInt(r.ingest.floor.messagesPerSecond)} messages/s` +
      (r.ingest.cFloor && !('skipped' in r.ingest.cFloor) ? `, by SQLite's C API: ${fmtInt(r.ingest.cFloor.messagesPerSecond)}` : ''),
    pass: r.ingest.rate >= 50_000,
  });
  const cold = largest.server.coldStart;
  targets.push({
    id: 'coldStart',
    target: `Cold start ≤ 1 s (spawn to first \`/v1/info\` 200) ${at}`,
    measured: `${fmtInt(cold.infoMs)} ms (first search 200 at ${fmtInt(cold.searchMs)} ms)`,
    pass: cold.infoMs <= 1000,
  });
  const rss = largest.server.rssLoadMaxBytes;
  targets.push({
    id: 'rss',
    target: `RSS ≤ 250 MB under load ${at}`,
    measured: rss === undefined ? 'not measured (no /proc)' : fmtMB(rss),
    pass: rss === undefined ? null : rss <= 250 * MB,
  });
  const growth = (name: string, ids: string[]) => {
    if (largest === smallest) {
      targets.push({ id: `growth.${ids[0]}`, target: `${name} p50 ${at} within 1.5× of ${smallest.label}`, measured: 'n/a (one store size)', pass: null });
      return;
    }
    const ratios = ids
      .map((id) => ({ id, big: ep(id), small: ep(id, smallest.label) }))
      .filter((x) => x.big && x.small)
      .map((x) => ({ id: x.id, ratio: x.big!.latency.p50 / x.small!.latency.p50, big: x.big!.latency.p50, small: x.small!.latency.p50 }));
    const worst = ratios.sort((a, b) => b.ratio - a.ratio)[0];
    targets.push({
      id: `growth.${ids[0]}`,
      target: `${name} p50 (one connection) ${at} within 1.5× of ${smallest.label}`,
      measured: worst ? `${fmtX(worst.ratio)} (${worst.id}: ${fmtMs(worst.big)} vs ${fmtMs(worst.small)} ms)` : 'not measured',
      pass: worst ? worst.ratio <= 1.5 : null,
    });
  };
  growth('Chat list page (first and deep, worst)', ['chats.list', 'chats.list.deep']);
  growth('Message page (first and deep, worst)', ['messages.list', 'messages.list.deep']);
  return targets;
}

// ---------------------------------------------------------------- Markdown

/** "55,064 messages/s (a message: insert 9.9 µs, full-text 3.9 µs, commit 4.3 µs)" */
export function describeFloor(f: IngestFloor): string {
  const us = (v: number) => `${v.toFixed(1)} µs`;
  return `${fmtInt(f.messagesPerSecond)} messages/s (a message: insert ${us(f.perMessage.insert)}, full-text ${us(f.perMessage.index)}, commit ${us(f.perMessage.commit)})`;
}

export function renderMarkdown(r: Report, svgName: string): string {
  const L: string[] = [];
  const largest = r.sizes.at(-1)!;
  L.push(`# Switchboard benchmark — ${r.date}, ${r.commit}${r.dirty ? ' (uncommitted changes)' : ''}, ${r.mode} run`);
  L.push('');
  L.push(
    `Targets are judged at the largest store measured: **${largest.label}** (${fmtInt(largest.messages)} messages)` +
      (largest.label === '1m' ? '.' : `; run \`npm run bench -- --full\` for the 1M point.`) +
      ' Latency targets use the one-connection run (no queueing); throughput ratios use the loaded run.',
  );
  L.push('');
  L.push('| Target | Measured | Result |');
  L.push('|---|---|---|');
  for (const t of r.targets) L.push(`| ${t.target} | ${t.measured} | ${verdict(t.pass)} |`);
  const passed = r.targets.filter((t) => t.pass === true).length;
  const judged = r.targets.filter((t) => t.pass !== null).length;
  L.push('');
  L.push(`${passed} of ${judged} targets met.`);
  L.push('');
  L.push('## Machine and run');
  L.push('');
  L.push(`- CPU: ${r.machine.cpuModel}, ${r.machine.cores} cores; ${fmtMB(r.machine.totalMemoryBytes)} memory; ${r.machine.platform}`);
  L.push(
    `- Node ${r.machine.node}; load average before the run: ${r.machine.loadAverageBefore.map((v) => v.toFixed(2)).join(', ')} (after: ${r.machine.loadAverageAfter.map((v) => v.toFixed(2)).join(', ')})`,
  );
  L.push(
    `- Load: autocannon in its own process, keep-alive, ${r.config.connections} connections, ${r.config.warmupSeconds} s warm-up (discarded), then ${r.config.durationSeconds} s measured, ` +
      `in ${r.config.ratioRounds} rounds alternating with the bare server (and for \`GET /v1/info\` the minimal Fastify app), so a change in the machine's speed during a measurement reaches both sides of a ratio alike; ` +
      `one-connection latency run ${r.config.latencySeconds} s. Server: \`switchboard serve --quiet-sandbox --log-level warn\` (compiled, as \`npm start\` runs it) on a copy of the store, ` +
      'every read route loaded 0.3 s first (discarded) so that JIT warm-up is not charged to the first endpoint. ' +
      'Lists, message pages, chats and the chats of a search are answered from views kept per chat version; the benchmark repeats one request, so it measures that path (the storage floor is the uncached query).',
  );
  L.push(`- Stores: \`sandbox generate\` (generator v${r.config.generatorVersion}, schema v${r.config.schemaVersion}, seed ${r.config.seed}), chats ≈ messages / 100, plus the ~4k-message demo inbox.`);
  L.push(`- Run took ${Math.round(r.seconds)} s, started ${r.startedAt}.`);
  L.push('');
  L.push('## How to read this');
  L.push('');
  L.push('- **×bare** — Switchboard throughput ÷ the throughput of a bare `node:http` server (own process) answering the same request with exactly the same bytes, loaded the same way: the share of the transport ceiling Switchboard reaches. 100 % would mean the server costs nothing beyond HTTP.');
  L.push('- **Framework ceiling** (`GET /v1/info` only) — a minimal Fastify app (one catch-all route answering the recorded bytes, no hooks, no plugins), loaded in the same alternating rounds as Switchboard and the bare server: the share of bare that Fastify alone reaches, which bounds what Switchboard, built on it, can reach.');
  L.push('- **×floor** — Switchboard p50 latency with one connection ÷ the median in-process time of the SQLite queries that endpoint runs (better-sqlite3, same store and full-text index files, read-only; for reads, timed half before and half right after the latency run, so that the machine speeding up or slowing down reaches both sides): how much HTTP, validation, presentation and JSON add on top of storage. ' +
      "A send's floor stops where the send answers: the index catching up with it afterwards is timed as its own step (`index`), outside the total.");
  L.push('- Latencies are in milliseconds. *Loaded* columns come from the run with all connections (they include queueing); *1-conn* columns from the run with one.');
  L.push('');
  L.push('## Endpoints');
  L.push('');
  L.push('| Endpoint | Store | req/s | p50 | p99 | p99.9 | bare req/s | ×bare | 1-conn p50 | 1-conn p99 | floor p50 | ×floor | body |');
  L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const ids = [...new Set(r.endpoints.map((e) => e.id))];
  for (const id of ids) {
    for (const e of r.endpoints.filter((x) => x.id === id)) {
      const bad = e.status >= 300 || e.load.non2xx || e.load.errors ? ' ⚠' : '';
      L.push(
        `| ${e.label}${bad} | ${e.size} | ${fmtInt(e.load.rps)} | ${fmtMs(e.load.p50)} | ${fmtMs(e.load.p99)} | ${fmtMs(e.load.p999)} | ${fmtInt(e.baseline.rps)} | ${fmtPct(e.ratios.throughputVsBare)} | ` +
          `${fmtMs(e.latency.p50)} | ${fmtMs(e.latency.p99)} | ${e.floor ? fmtMs(e.floor.p50) : '–'} | ${fmtX(e.ratios.latencyVsFloor)} | ${fmtBytes(e.responseBytes)} |`,
      );
    }
  }
  const framework = r.endpoints.filter((e) => e.framework);
  if (framework.length) {
    L.push('');
    L.push(
      '**Framework ceiling** (`GET /v1/info`, same rounds): a minimal Fastify app ' +
        framework.map((e) => `${fmtInt(e.framework!.rps)} req/s, ${fmtPct(e.framework!.rps / e.baseline.rps)} of bare at ${e.size} (Switchboard ${fmtPct(e.ratios.throughputVsBare)})`).join('; ') +
        '.',
    );
  }
  const flagged = r.endpoints.filter((e) => e.status >= 300 || e.load.non2xx || e.load.errors);
  if (flagged.length) {
    L.push('');
    L.push('⚠ answered other than 2xx or with errors: ' + flagged.map((e) => `${e.id} @ ${e.size} (status ${e.status}, ${e.load.non2xx} non-2xx, ${e.load.errors} errors)`).join('; ') + '.');
  }
  const sends = r.endpoints.filter((e) => e.timeToSuccess);
  if (sends.length) {
    L.push('');
    L.push('**Send to SUCCESS** (POST, then GET of the `pendingMessageID` until `sendStatus` is `SUCCESS`):');
    L.push('');
    L.push('| Store | sends | p50 | p99 | max | failed |');
    L.push('|---|--:|--:|--:|--:|--:|');
    for (const e of sends) L.push(`| ${e.size} | ${e.timeToSuccess!.samples} | ${fmtMs(e.timeToSuccess!.p50)} | ${fmtMs(e.timeToSuccess!.p99)} | ${fmtMs(e.timeToSuccess!.max)} | ${e.timeToSuccess!.failed} |`);
  }
  L.push('');
  L.push('**Storage floor, per step** (median ms; the step in bold is the main query):');
  L.push('');
  L.push('| Endpoint | Store | iterations | p50 | p99 | steps |');
  L.push('|---|---|--:|--:|--:|---|');
  for (const e of r.endpoints.filter((x) => x.floor)) {
    const f = e.floor!;
    const steps = Object.entries(f.steps)
      .map(([k, v]) => (k === f.primary.step ? `**${k} ${fmtMs(v)}**` : `${k} ${fmtMs(v)}`))
      .join(', ');
    L.push(`| ${e.id} | ${e.size} | ${fmtInt(f.iterations)} | ${fmtMs(f.p50)} | ${fmtMs(f.p99)} | ${steps} |`);
  }
  L.push('');
  L.push(`![p50 latency (one connection) against store size](${svgName})`);
  L.push('');
  L.push('## Live events');
  L.push('');
  L.push(`Send → \`message.upserted\` at every subscribed WebSocket client (clients in the benchmark process, subscribed to \`["*"]\`), ${r.live.size} store; from just before the POST until the last client has the event.`);
  L.push('');
  L.push('| Clients | sends | p50 | p99 | max | missed |');
  L.push('|--:|--:|--:|--:|--:|--:|');
  for (const l of r.live.levels) L.push(`| ${fmtInt(l.clients)} | ${l.sends} | ${fmtMs(l.p50)} | ${fmtMs(l.p99)} | ${fmtMs(l.max)} | ${l.missed} |`);
  L.push('');
  L.push('## Ingest');
  L.push('');
  L.push('Messages per second into the store with full-text indexing, as `sandbox generate` writes them through core (what it reports).');
  L.push('');
  for (const b of r.ingest.builds) L.push(`- ${b.size} store built in this run: ${fmtInt(b.messagesPerSecond)} messages/s`);
  if (r.ingest.fresh) L.push(`- fresh ${fmtInt(r.ingest.fresh.messages)}-message generate into a temp dir: ${fmtInt(r.ingest.fresh.messagesPerSecond)} messages/s`);
  for (const s of r.sizes.filter((x) => x.cached)) L.push(`- (${s.label} store from the cache, built ${s.store.builtAt}: ${fmtInt(s.store.ingestRate)} messages/s then)`);
  const f = r.ingest.floor;
  const share = (x: IngestFloor) => `${Math.round((r.ingest.rate / x.messagesPerSecond) * 100)} %`;
  L.push(
    `- floor: the same ${fmtInt(f.messages)} messages replayed right after into a fresh store (its file and the index's) by bare better-sqlite3 statements, as the store writes them ` +
      `(\`bench/ingest-floor.ts\`): ${describeFloor(f)}; \`sandbox generate\` reached ${share(f)} of it. ` +
      'The floor is the work of the schema and its full-text index for these rows on one thread: generate adds the corpus, core and the chats, members, events and read markers, ' +
      'but indexes on a second thread (the index has its own file) while the first inserts the next batch, so on more than one core it can exceed the floor.',
  );
  const c = r.ingest.cFloor;
  if (c && 'skipped' in c) L.push(`- floor in C: not measured (${c.skipped}).`);
  else if (c) {
    L.push(
      `- floor in C: the same replay by SQLite's C API, linked against better-sqlite3's own SQLite (\`bench/ingest-floor.c\`): ${describeFloor(c)}; ` +
        `generate reached ${share(c)} of it. This is SQLite's own work for these rows, schema and index: the difference from the floor above is the JavaScript binding ` +
        '(values converted and bound one call at a time, and `fold()` called back into JavaScript for every message; the C program folds ASCII case only, so it errs on the fast side).',
    );
  }
  L.push('');
  L.push('## Footprint');
  L.push('');
  L.push('| Store | messages | chats | store (db + wal) | search index (db + wal) | on disk | per 1M messages | RSS idle | RSS under load (max) | cold start: /v1/info | cold start: search |');
  L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of r.sizes) {
    const index = s.storage.searchBytes === undefined ? '–' : fmtMB(s.storage.searchBytes + (s.storage.searchWalBytes ?? 0));
    L.push(
      `| ${s.label} | ${fmtInt(s.messages)} | ${fmtInt(s.chats)} | ${fmtMB(s.storage.dbBytes + s.storage.walBytes)} | ${index} | ${fmtMB(storeBytes(s.storage))} | ${fmtMB(s.storage.bytesPer1M)} | ${fmtMB(s.server.rssIdleBytes)} | ` +
        `${fmtMB(s.server.rssLoadMaxBytes)} | ${fmtInt(s.server.coldStart.infoMs)} ms | ${fmtInt(s.server.coldStart.searchMs)} ms |`,
    );
  }
  L.push('');
  L.push('RSS is VmRSS from `/proc/<pid>/status`, sampled every 100 ms while load ran (reads, sends and WebSocket clients). Cold start is timed from spawning `switchboard serve` on a fresh copy of the store.');
  L.push('');
  L.push('## Stores and queries');
  L.push('');
  for (const s of r.sizes) {
    const f = s.facts;
    L.push(
      `- **${s.label}**: busiest chat ${f.busiestChat.type} with ${fmtInt(f.busiestChat.messages)} messages and ${f.busiestChat.participants} participants; ` +
        `deep chat page at chat #${fmtInt(f.chatListDeepIndex)} of ${fmtInt(s.chats)}, deep message page at message #${fmtInt(f.messagesDeepIndex)}; ` +
        `common word "${f.words.common.term}" (${fmtInt(f.words.common.docs)} messages), rare "${f.words.rare.term}" (${fmtInt(f.words.rare.docs)}), multi-word "${f.words.multi.query}" (${fmtInt(f.words.multi.docs)}).`,
    );
  }
  if (r.notes.length) {
    L.push('');
    L.push('## Notes');
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
  }
  L.push('');
  return L.join('\n');
}

// ---------------------------------------------------------------- SVG

const SERIES = [
  { id: 'chats.list', name: 'chat list (first page)', color: '#1f77b4' },
  { id: 'messages.list', name: 'message page (first page)', color: '#2ca02c' },
  { id: 'search.common', name: 'message search (common word)', color: '#d62728' },
];

function niceStep(max: number): number {
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** p50 latency (one connection) against store size, log-scale x from 10k to 1M. */
export function renderSvg(r: Report): string {
  const W = 720;
  const H = 420;
  const m = { left: 70, right: 230, top: 40, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const sizes = r.sizes.map((s) => ({ label: s.label, n: s.targetMessages }));
  const lo = Math.min(10_000, ...sizes.map((s) => s.n));
  const hi = Math.max(1_000_000, ...sizes.map((s) => s.n));
  const x = (n: number) => m.left + ((Math.log10(n) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const points = SERIES.map((s) => ({
    ...s,
    pts: sizes
      .map((z) => ({ n: z.n, v: r.endpoints.find((e) => e.id === s.id && e.size === z.label)?.latency.p50 }))
      .filter((p): p is { n: number; v: number } => p.v !== undefined && Number.isFinite(p.v)),
  }));
  const maxV = Math.max(0.001, ...points.flatMap((s) => s.pts.map((p) => p.v)));
  const step = niceStep(maxV * 1.1);
  const top = Math.ceil((maxV * 1.1) / step) * step;
  const y = (v: number) => m.top + ph - (v / top) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">p50 latency (one connection) against store size — ${esc(r.date)} ${esc(r.commit)}</text>`);
  for (let v = 0; v <= top + 1e-9; v += step) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(6))}</text>`);
  }
  for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) {
    const xx = x(10 ** p).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${m.top}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    const label = 10 ** p >= 1_000_000 ? `${10 ** p / 1_000_000}M` : `${10 ** p / 1000}k`;
    out.push(`<text x="${xx}" y="${m.top + ph + 18}" text-anchor="middle">${label}</text>`);
  }
  for (const s of sizes.filter((z) => !Number.isInteger(Math.log10(z.n)))) {
    out.push(`<text x="${x(s.n).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle" fill="#666">${esc(s.label)}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 18}" text-anchor="middle">messages in the store (log scale)</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">p50 latency, ms</text>`);
  points.forEach((s, i) => {
    if (s.pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.pts.map((p) => `${x(p.n).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}"/>`);
    for (const p of s.pts) {
      out.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="4" fill="${s.color}"><title>${esc(s.name)}: ${fmtMs(p.v)} ms</title></circle>`);
      out.push(`<text x="${(x(p.n) + 6).toFixed(1)}" y="${(y(p.v) - 6).toFixed(1)}" fill="${s.color}" font-size="11">${fmtMs(p.v)}</text>`);
    }
    const ly = m.top + 10 + i * 22;
    out.push(`<line x1="${m.left + pw + 20}" x2="${m.left + pw + 44}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw + 50}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------- files

/**
 * `<date>-<commit>`, or `<date>-<commit>-2`, `-3`… for further runs of one commit on
 * one day: on a machine whose speed drifts, a second run adds to the record instead
 * of overwriting the first.
 */
function reportBase(r: Report, dir: string): string {
  const first = `${r.date}-${r.commit}`;
  let base = first;
  for (let n = 2; existsSync(join(dir, `${base}.json`)); n++) base = `${first}-${n}`;
  return base;
}

export function writeReport(r: Report, dir: string): { json: string; markdown: string; svg: string; latest: string } {
  mkdirSync(dir, { recursive: true });
  const base = reportBase(r, dir);
  const files = { json: join(dir, `${base}.json`), markdown: join(dir, `${base}.md`), svg: join(dir, `${base}.svg`), latest: join(dir, 'latest.md') };
  writeFileSync(files.json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(files.svg, renderSvg(r));
  writeFileSync(files.markdown, renderMarkdown(r, `${base}.svg`));
  copyFileSync(files.markdown, files.latest);
  return files;
}
