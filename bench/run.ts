// `npm run bench`: builds (or reuses) generated stores, runs the real server on
// copies of them, loads it from another process next to a same-bytes bare
// node:http server and the raw SQLite queries, and writes a report.
//
//   npm run bench               quick: 10k and 100k messages (a few minutes at most)
//   npm run bench -- --full     adds the 1M-message store
//   npm run bench -- --smoke    a tiny run (2k messages, short loads) into a temp dir
//   --out DIR                   where the report goes (default bench/results, or a temp dir with --smoke)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaselineServer, recordRoute, type BaselineRoute } from './baseline-http.ts';
import { endpointCases, type EndpointCase } from './endpoints.ts';
import { measureFloor, openFloorDB, type FloorResult } from './floor.ts';
import { idleRss, storageFootprint } from './footprint.ts';
import { measureLive, measureSendSuccess, type LiveLevel } from './live.ts';
import { LoadGenerator, type LoadJob, type LoadResult } from './load.ts';
import { describeFloor, evaluateTargets, fmtMs, writeReport, type EndpointResult, type Mode, type Report, type SizeResult } from './report.ts';
import { measureIngestFloor, measureIngestFloorC, type IngestFloor, type SkippedFloor } from './ingest-floor.ts';
import { ensureBuilt, RssSampler, startSwitchboard, type RunningSwitchboard } from './server.ts';
import { GENERATOR_VERSION, SCHEMA_VERSION, SEED, copyStore, ensureStore, generate, inspectStore, storeSpec, type Store } from './stores.ts';
import { REPO_ROOT, log, setQuiet } from './util.ts';

export interface ModeConfig {
  mode: Mode;
  sizes: number[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Alternating rounds of Switchboard and the bare server sharing durationSeconds. */
  ratioRounds: number;
  /** The one-connection latency run. */
  latencySeconds: number;
  floorBudgetMs: number;
  floorMaxIterations: number;
  liveLevels: number[];
  liveSends: number;
  successSamples: number;
  /** Size of the fresh generate measuring ingest when every store came from the cache. */
  freshIngestMessages: number;
}

export const MODES: Record<Mode, ModeConfig> = {
  quick: {
    mode: 'quick',
    sizes: [10_000, 100_000],
    connections: 10,
    warmupSeconds: 0.4,
    durationSeconds: 1,
    ratioRounds: 2,
    latencySeconds: 0.75,
    floorBudgetMs: 250,
    floorMaxIterations: 5_000,
    liveLevels: [1, 100, 1_000],
    liveSends: 30,
    successSamples: 20,
    freshIngestMessages: 20_000,
  },
  full: {
    mode: 'full',
    sizes: [10_000, 100_000, 1_000_000],
    connections: 10,
    warmupSeconds: 1,
    durationSeconds: 3,
    // Short rounds, many of them: the VM's speed changes by the second, and a ratio
    // is fair only when both sides sample the same moments.
    ratioRounds: 6,
    latencySeconds: 2,
    floorBudgetMs: 600,
    floorMaxIterations: 10_000,
    liveLevels: [1, 100, 1_000],
    liveSends: 30,
    successSamples: 30,
    freshIngestMessages: 20_000,
  },
  smoke: {
    mode: 'smoke',
    sizes: [2_000],
    connections: 2,
    warmupSeconds: 0.1,
    durationSeconds: 0.5,
    ratioRounds: 1,
    latencySeconds: 0.3,
    floorBudgetMs: 30,
    floorMaxIterations: 300,
    liveLevels: [1, 5],
    liveSends: 5,
    successSamples: 3,
    freshIngestMessages: 2_000,
  },
};

export interface RunOptions {
  mode: Mode;
  /** Report directory; default bench/results (a new temp dir for smoke runs). */
  outDir?: string;
  quiet?: boolean;
}

export function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { mode: 'quick' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--full') opts.mode = 'full';
    else if (a === '--smoke') opts.mode = 'smoke';
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--out') opts.outDir = argv[++i];
    else if (a.startsWith('--out=')) opts.outDir = a.slice(6);
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench [-- --full | --smoke] [--out DIR] [--quiet]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --full, --smoke, --out DIR)`);
  }
  if (opts.mode === 'smoke' && opts.outDir === undefined) opts.outDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-smoke-'));
  return opts;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

interface Tools {
  cfg: ModeConfig;
  load: LoadGenerator;
  baseline: BaselineServer;
  /** A minimal Fastify app with the same bytes, for GET /v1/info: the framework's own ceiling. */
  framework: BaselineServer;
  notes: string[];
}

const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : Number.NaN);

interface Recorded {
  route: BaselineRoute;
  bytes: number;
  status: number;
  contentType: string | null;
  /** IDs of the items answered, in order (lists, searches, one chat). */
  itemIDs: string[] | null;
}

function itemIDs(body: Buffer): string[] | null {
  let v: { items?: Array<{ id: string }>; results?: { messages?: { items?: Array<{ id: string }> } }; id?: unknown };
  try {
    v = JSON.parse(body.toString('utf8')) as typeof v;
  } catch {
    return null;
  }
  const items = v.items ?? v.results?.messages?.items;
  if (Array.isArray(items)) return items.map((i) => i.id);
  return typeof v.id === 'string' ? [v.id] : null;
}

/** Floor and endpoint found the same items: the floor's queries still mirror the store. */
function checkFloor(t: Tools, size: string, c: EndpointCase, floor: MeasuredFloor | undefined, recorded: Recorded): FloorResult | null {
  if (!floor) return null;
  if (floor.itemIDs && recorded.itemIDs) {
    floor.result.matchesEndpoint = floor.itemIDs.length === recorded.itemIDs.length && floor.itemIDs.every((id, i) => id === recorded.itemIDs![i]);
    if (!floor.result.matchesEndpoint) {
      t.notes.push(`The storage floor of ${c.id} at ${size} found other items than the endpoint answered (${floor.itemIDs.length} vs ${recorded.itemIDs.length}): bench/floor.ts no longer mirrors the store's queries.`);
    }
  }
  return floor.result;
}

type MeasuredFloor = ReturnType<typeof measureFloor>;

/** Records Switchboard's answer to each case: the bytes the bare server will answer. */
async function recordRoutes(server: RunningSwitchboard, cases: EndpointCase[]) {
  const out = new Map<string, Recorded>();
  for (const c of cases) {
    const res = await fetch(`${server.baseURL}${c.path}`, {
      method: c.method,
      headers: { ...server.headers, 'accept-encoding': 'identity', ...(c.body ? { 'content-type': 'application/json' } : {}) },
      body: c.body,
    });
    const { route, body } = await recordRoute(c.method, c.path, res);
    out.set(c.id, { route, bytes: body.byteLength, status: res.status, contentType: res.headers.get('content-type'), itemIDs: itemIDs(body) });
  }
  return out;
}

/**
 * A freshly started server runs every route's code for the first time: each read is
 * loaded briefly first (discarded), so the first endpoint measured is not the one
 * that pays for the JIT warming up.
 */
async function warmUp(t: Tools, server: RunningSwitchboard, cases: EndpointCase[]): Promise<void> {
  for (const c of cases) {
    await t.load.run({ url: `${server.baseURL}${c.path}`, method: c.method, headers: server.headers, connections: t.cfg.connections, warmupSeconds: 0, durationSeconds: WARM_UP_SECONDS });
  }
}
const WARM_UP_SECONDS = 0.3;

/** Switchboard and the bare server with the same bytes loaded in alternating rounds, then Switchboard with one connection. */
async function measureEndpoint(
  t: Tools,
  size: string,
  server: RunningSwitchboard,
  sampler: RssSampler,
  c: EndpointCase,
  recorded: Recorded,
  measured: MeasuredFloor | undefined,
  /** Measures the floor again after the latency run, adding to the first samples (reads). */
  measureAgain?: (first: MeasuredFloor) => MeasuredFloor,
): Promise<EndpointResult> {
  const job = (baseURL: string, connections: number, warmupSeconds: number, durationSeconds: number): LoadJob => ({
    url: `${baseURL}${c.path}`,
    method: c.method,
    headers: { ...server.headers, ...(c.body ? { 'content-type': 'application/json' } : {}) },
    body: c.body,
    connections,
    warmupSeconds,
    durationSeconds,
  });
  sampler.start();
  let load: LoadResult;
  let baseline: LoadResult;
  let latency: LoadResult;
  let framework: EndpointResult['framework'];
  try {
    // GET /v1/info also gets the minimal Fastify app, in the same rounds.
    const others = [`${t.baseline.baseURL}${c.path}`, ...(c.id === 'info' ? [`${t.framework.baseURL}${c.path}`] : [])];
    const rounds = await t.load.runRounds(job(server.baseURL, t.cfg.connections, t.cfg.warmupSeconds, t.cfg.durationSeconds), others, t.cfg.ratioRounds);
    load = rounds.load;
    baseline = rounds.others[0]!;
    if (rounds.others[1]) framework = { rps: rounds.others[1].rps };
    latency = await t.load.run(job(server.baseURL, 1, 0, t.cfg.latencySeconds));
  } finally {
    sampler.stop();
  }
  const floor = checkFloor(t, size, c, measured && measureAgain ? measureAgain(measured) : measured, recorded);
  const result: EndpointResult = {
    id: c.id,
    label: c.label,
    method: c.method,
    path: c.path,
    size,
    status: recorded.status,
    contentType: recorded.contentType,
    responseBytes: recorded.bytes,
    load,
    latency,
    baseline,
    floor,
    ratios: { throughputVsBare: ratio(load.rps, baseline.rps), latencyVsFloor: floor ? ratio(latency.p50, floor.p50) : null },
    framework,
  };
  if (recorded.status >= 300) t.notes.push(`${c.id} at ${size} answered ${recorded.status} when recorded; its numbers measure that error.`);
  if (load.non2xx || load.errors || latency.non2xx || latency.errors) {
    t.notes.push(`${c.id} at ${size}: ${load.non2xx + latency.non2xx} non-2xx answers and ${load.errors + latency.errors} errors under load.`);
  }
  log(
    `  ${size} ${c.label}: ${Math.round(load.rps)} req/s (bare ${Math.round(baseline.rps)}, ${(result.ratios.throughputVsBare * 100).toFixed(0)} %), ` +
      `p50 ${fmtMs(load.p50)} ms loaded, ${fmtMs(latency.p50)} ms 1-conn${floor ? `, floor ${fmtMs(floor.p50)} ms` : ''}` +
      (framework ? `; minimal Fastify ${Math.round(framework.rps)} req/s (${((framework.rps / baseline.rps) * 100).toFixed(0)} %)` : ''),
  );
  return result;
}

async function benchSize(t: Tools, store: Store, largest: boolean): Promise<{ size: SizeResult; endpoints: EndpointResult[]; live?: LiveLevel[] }> {
  const label = store.spec.label;
  const facts = inspectStore(store.dbFile);
  const cases = endpointCases(facts);
  const reads = cases.filter((c) => !c.write);
  const writes = cases.filter((c) => c.write);
  log(`${label}: ${facts.messages.toLocaleString('en')} messages in ${facts.chats.toLocaleString('en')} chats; storage floors…`);

  // Read floors are measured now and again right after each endpoint's latency run,
  // each time for half the budget, on the original store (the server runs on a copy).
  const floors = new Map<string, MeasuredFloor>();
  const ro = openFloorDB(store.dbFile);
  const half = { budgetMs: t.cfg.floorBudgetMs / 2, maxIterations: Math.ceil(t.cfg.floorMaxIterations / 2) };
  const measureAgain = (c: EndpointCase) => (first: MeasuredFloor) => measureFloor(ro, c.floor!, half, first.samples);

  const endpoints: EndpointResult[] = [];
  let rssLoadMax = 0;
  let rssSamples = 0;

  // Reads: one server on one copy.
  let readCopy: ReturnType<typeof copyStore> | undefined;
  let coldStart: { infoMs: number; searchMs: number };
  let rssIdle: number | undefined;
  try {
    for (const c of reads) if (c.floor) floors.set(c.id, measureFloor(ro, c.floor, half));
    readCopy = copyStore(store, 'reads');
    log(`${label}: starting switchboard (reads)…`);
    const server = await startSwitchboard(readCopy.dir, facts.words.common.term);
    try {
      coldStart = server.coldStart;
      rssIdle = await idleRss(server);
      log(`  cold start: /v1/info ${Math.round(coldStart.infoMs)} ms, search ${Math.round(coldStart.searchMs)} ms; idle RSS ${((rssIdle ?? 0) / 1e6).toFixed(0)} MB`);
      const recorded = await recordRoutes(server, reads);
      await t.baseline.setRoutes([...recorded.values()].map((r) => r.route));
      await t.framework.setRoutes([...recorded.values()].map((r) => r.route));
      await warmUp(t, server, reads);
      const sampler = new RssSampler(() => server.rss());
      for (const c of reads) endpoints.push(await measureEndpoint(t, label, server, sampler, c, recorded.get(c.id)!, floors.get(c.id), measureAgain(c)));
      rssLoadMax = Math.max(rssLoadMax, sampler.max);
      rssSamples += sampler.samples;
    } finally {
      await server.stop();
    }
  } finally {
    readCopy?.remove();
    ro.close();
  }

  // Writes: sends (and live events on the largest store) on a second copy.
  let live: LiveLevel[] | undefined;
  const writeCopy = copyStore(store, 'writes');
  try {
    const rw = openFloorDB(join(writeCopy.dir, 'switchboard.db'), true);
    try {
      for (const c of writes) if (c.floor) floors.set(c.id, measureFloor(rw, c.floor, { budgetMs: t.cfg.floorBudgetMs, maxIterations: t.cfg.floorMaxIterations }));
    } finally {
      rw.close();
    }
    log(`${label}: starting switchboard (writes)…`);
    const server = await startSwitchboard(writeCopy.dir, facts.words.common.term);
    try {
      const recorded = await recordRoutes(server, writes);
      await t.baseline.setRoutes([...recorded.values()].map((r) => r.route));
      const sampler = new RssSampler(() => server.rss());
      for (const c of writes) endpoints.push(await measureEndpoint(t, label, server, sampler, c, recorded.get(c.id)!, floors.get(c.id)));
      const send = endpoints.at(-1)!;
      send.timeToSuccess = await measureSendSuccess({ baseURL: server.baseURL, token: server.token, chatID: facts.busiestChat.id, count: t.cfg.successSamples });
      log(`  send → SUCCESS: p50 ${fmtMs(send.timeToSuccess.p50)} ms, p99 ${fmtMs(send.timeToSuccess.p99)} ms`);
      if (largest) {
        log(`${label}: live events with ${t.cfg.liveLevels.join(', ')} WebSocket clients…`);
        sampler.start();
        try {
          live = await measureLive({
            baseURL: server.baseURL,
            token: server.token,
            chatID: facts.busiestChat.id,
            levels: t.cfg.liveLevels,
            sends: t.cfg.liveSends,
            onLevel: (l) => log(`  ${l.clients} clients: p50 ${fmtMs(l.p50)} ms, p99 ${fmtMs(l.p99)} ms${l.missed ? `, ${l.missed} missed` : ''}`),
          });
        } finally {
          sampler.stop();
        }
      }
      rssLoadMax = Math.max(rssLoadMax, sampler.max);
      rssSamples += sampler.samples;
    } finally {
      await server.stop();
    }
  } finally {
    writeCopy.remove();
  }

  const size: SizeResult = {
    label,
    targetMessages: store.spec.messages,
    messages: facts.messages,
    chats: facts.chats,
    cached: !store.built,
    store: {
      generatorVersion: store.meta.generatorVersion,
      schemaVersion: store.meta.schemaVersion,
      builtAt: store.meta.builtAt,
      buildSeconds: store.meta.buildSeconds,
      ingestRate: store.meta.ingestRate,
    },
    facts: {
      busiestChat: { id: facts.busiestChat.id, type: facts.busiestChat.type, messages: facts.busiestChat.messages, participants: facts.busiestChat.participants },
      chatListDeepIndex: facts.chatListDeep.index,
      messagesDeepIndex: facts.messagesDeep.index,
      words: facts.words,
    },
    storage: storageFootprint(store.dbFile, facts.messages),
    server: { coldStart: coldStart!, rssIdleBytes: rssIdle, rssLoadMaxBytes: rssSamples ? rssLoadMax : undefined, rssSamples },
  };
  return { size, endpoints, live };
}

export async function runBench(opts: RunOptions): Promise<{ report: Report; files: ReturnType<typeof writeReport> }> {
  setQuiet(opts.quiet ?? false);
  const cfg = MODES[opts.mode];
  const started = Date.now();
  const loadAverageBefore = loadavg();
  const cpu = cpus();
  const date = new Date(started).toISOString().slice(0, 10);
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'nogit';
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const outDir = opts.outDir ?? join(REPO_ROOT, 'bench', 'results');
  log(`${cfg.mode} run: stores ${cfg.sizes.map((n) => storeSpec(n).label).join(', ')}; load average ${loadAverageBefore.map((v) => v.toFixed(2)).join(' ')}`);
  ensureBuilt(log);

  const stores: Store[] = [];
  for (const n of cfg.sizes) stores.push(await ensureStore(storeSpec(n)));

  // Ingest: the rates of stores built now; otherwise a fresh generate into a temp dir.
  // Either way, the same rows replayed with bare statements right after, before the
  // endpoints: the floor. This VM's speed swings by half within minutes, so a floor
  // measured after the endpoints' eight minutes could come from another phase.
  const built = stores.filter((s) => s.built);
  const builds = built.map((s) => ({ size: s.spec.label, messages: s.spec.messages, messagesPerSecond: s.meta.ingestRate }));
  const biggestBuild = builds.at(-1);
  let fresh: Report['ingest']['fresh'] = null;
  const floors = (source: string) => ({ floor: measureIngestFloor(source), cFloor: measureIngestFloorC(source) });
  let measured: { floor: IngestFloor; cFloor: IngestFloor | SkippedFloor };
  if (biggestBuild) {
    log(`ingest floor: the ${biggestBuild.size} store's rows replayed with bare statements (better-sqlite3, then C)…`);
    measured = floors(built.at(-1)!.dbFile);
  } else {
    const spec = storeSpec(cfg.freshIngestMessages);
    log(`ingest: fresh ${spec.messages.toLocaleString('en')}-message generate (every store came from the cache), then its floor…`);
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-ingest-'));
    try {
      fresh = { messages: spec.messages, messagesPerSecond: (await generate(dir, spec)).rate };
      measured = floors(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const ingestRate = biggestBuild ? biggestBuild.messagesPerSecond : fresh!.messagesPerSecond;
  const { floor, cFloor } = measured;
  log(`  ${ingestRate.toLocaleString('en')} messages/s; floor ${describeFloor(floor)}; in C ${'skipped' in cFloor ? `not measured: ${cFloor.skipped}` : describeFloor(cFloor)}`);
  const ingest: Report['ingest'] = {
    builds,
    fresh,
    rate: ingestRate,
    source: biggestBuild ? `building the ${biggestBuild.size} store` : `fresh ${fresh!.messages.toLocaleString('en')}-message generate`,
    floor,
    cFloor,
  };

  const notes: string[] = [];
  const [load, baseline, framework] = await Promise.all([LoadGenerator.start(), BaselineServer.start('node'), BaselineServer.start('fastify')]);
  const tools: Tools = { cfg, load, baseline, framework, notes };
  const sizes: SizeResult[] = [];
  const endpoints: EndpointResult[] = [];
  let live: LiveLevel[] = [];
  try {
    for (const [i, store] of stores.entries()) {
      const r = await benchSize(tools, store, i === stores.length - 1);
      sizes.push(r.size);
      endpoints.push(...r.endpoints);
      if (r.live) live = r.live;
    }
  } finally {
    await Promise.all([load.close(), baseline.close(), framework.close()]);
  }

  if (loadAverageBefore[0]! > cpu.length * 0.5) {
    notes.push(
      `The machine was busy before the run (1-minute load average ${loadAverageBefore[0]!.toFixed(2)} on ${cpu.length} cores): other processes competed with the server, the load generator and the bare server, so ratios are noisy.`,
    );
  }
  const base: Omit<Report, 'targets'> = {
    schema: 1,
    mode: cfg.mode,
    date,
    commit,
    dirty,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: {
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      platform: `${platform()} ${release()}`,
      totalMemoryBytes: totalmem(),
      loadAverageBefore,
      loadAverageAfter: loadavg(),
    },
    config: {
      sizes: stores.map((s) => s.spec.label),
      connections: cfg.connections,
      warmupSeconds: cfg.warmupSeconds,
      durationSeconds: cfg.durationSeconds,
      ratioRounds: cfg.ratioRounds,
      latencySeconds: cfg.latencySeconds,
      floorBudgetMs: cfg.floorBudgetMs,
      generatorVersion: GENERATOR_VERSION,
      schemaVersion: SCHEMA_VERSION,
      seed: SEED,
    },
    sizes,
    endpoints,
    live: { size: sizes.at(-1)!.label, levels: live },
    ingest,
    notes,
  };
  const report: Report = { ...base, targets: evaluateTargets(base) };
  const files = writeReport(report, outDir);
  log(`done in ${Math.round(report.seconds)} s`);
  return { report, files };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const { report, files } = await runBench(opts);
  const width = Math.max(...report.targets.map((t) => t.target.length));
  for (const t of report.targets) process.stderr.write(`  ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target.padEnd(width)}  ${t.measured}\n`);
  process.stdout.write(`${files.markdown}\n${files.json}\n${files.svg}\n${files.latest}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
