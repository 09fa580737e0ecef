// The reliability suite's own harness: an in-process server whose logs are
// captured, a checksum and a change counter over the store, raw HTTP (any header,
// any bytes, any local address), a real child-process server that can be killed,
// memory sampling, seeds, and the summary every part prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as netServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type Database from 'better-sqlite3';
import { startServer, type Running } from '../../src/cli/serve.ts';
import { createLogger } from '../../src/cli/log.ts';
import type { SqliteRepository } from '../../src/store/sqlite/repository.ts';
import type { SearchIndex } from '../../src/store/sqlite/search-index.ts';
import { ResponseValidator } from '../helpers/openapi.ts';
import { ftsPairs, indexHealth } from '../helpers/fts-index.ts';

/** `npm run soak` sets this: the long variants (more sends, more kills, 60 s of load, real slowloris timeouts). */
export const SOAK = process.env.SWITCHBOARD_SOAK === '1';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- seeds and summary

/** A seed from the environment (to reproduce a run) or a fresh one; printed either way. */
export function seedFrom(name: string): number {
  const v = process.env[name];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${v}"`);
    return n | 0;
  }
  return (Math.floor(Math.random() * 0x7fffffff) ^ Date.now()) | 0;
}

/** A small seeded generator (mulberry32) for schedules that must be reproducible. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

/**
 * Prints one part's results and, when RELIABILITY_SUMMARY_FILE is set (the soak
 * runner sets it), appends them there so the runner can print one summary.
 */
export function report(part: string, data: Record<string, unknown>): void {
  const lines = Object.entries(data).map(([k, v]) => `    ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  console.log(`\n[reliability] ${part}${SOAK ? ' (soak)' : ''}\n${lines.join('\n')}\n`);
  const file = process.env.RELIABILITY_SUMMARY_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ part, ...data })}\n`);
}

// ---------------------------------------------------------------- logs

/** Captures every log line the server writes (JSON, one per line). */
export class LogSink {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer | string, _enc, done) => {
      this.lines.push(chunk.toString());
      done();
    },
  });

  text(): string {
    return this.lines.join('');
  }
}

// ---------------------------------------------------------------- in-process server

export interface RelServer {
  running: Running;
  baseURL: string;
  port: number;
  dataDir: string;
  /** read + write */
  token: string;
  readToken: string;
  db: Database.Database;
  /** The full-text index (its own file; see src/store/sqlite/search-index.ts). */
  index: SearchIndex;
  validator: ResponseValidator;
  spec: Record<string, any>;
  logs: LogSink;
  log: Logger;
  stop(): Promise<void>;
}

export interface RelServerOptions {
  lively?: boolean;
  seed?: number;
  envToken?: string;
  retryDelaysMs?: number[];
  /** pino level of the captured log (default: info). */
  logLevel?: string;
  remote?: boolean;
}

export async function startRelServer(opts: RelServerOptions = {}): Promise<RelServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rel-'));
  const logs = new LogSink();
  // The logger `switchboard serve` uses (JSON, with its redactions), into the sink.
  const log = createLogger(opts.logLevel ?? 'info', logs.stream);
  const running = await startServer({
    dataDir,
    port: 0,
    log,
    sandbox: true,
    lively: opts.lively ?? false,
    seed: opts.seed ?? 1,
    envToken: opts.envToken,
    retryDelaysMs: opts.retryDelaysMs,
    remote: opts.remote,
  });
  const token = running.firstToken ?? (await running.core.tokens.create(['read', 'write'], 'reliability')).token;
  const readToken = (await running.core.tokens.create(['read'], 'reliability read-only')).token;
  const spec = (await (await fetch(`${running.baseURL}/v1/spec`)).json()) as Record<string, any>;
  return {
    running,
    baseURL: running.baseURL,
    port: running.port,
    dataDir,
    token,
    readToken,
    db: (running.core.repo as SqliteRepository).db,
    index: (running.core.repo as SqliteRepository).search,
    validator: new ResponseValidator(spec as never),
    spec,
    logs,
    log,
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- the store

/** Every table whose rows a request could change (the FTS index by its rowids). */
export const STORE_TABLES = ['accounts', 'users', 'chats', 'participants', 'messages', 'reactions', 'uploads', 'media', 'tokens', 'connector_state', 'events', 'oauth_clients', 'oauth_codes'];

/**
 * SHA-256 over every row of the store's tables, the full-text index's (word, message)
 * pairs and the files in uploads/ and media/. The index is read once it has caught up
 * with every committed change, so it is a function of the store alone, whenever its
 * background catch-up ran.
 */
export function storeChecksum(s: Pick<RelServer, 'db' | 'index' | 'dataDir'>): string {
  const { db, dataDir } = s;
  const h = createHash('sha256');
  for (const table of STORE_TABLES) {
    h.update(`\n#${table}\n`);
    for (const row of db.prepare(`SELECT * FROM ${table}`).iterate()) h.update(JSON.stringify(row));
  }
  h.update('\n#fts\n');
  s.index.catchUp();
  for (const pair of ftsPairs(s.index.db)) h.update(`${pair},`);
  for (const dir of ['uploads', 'media']) h.update(`\n#${dir}\n${listFiles(join(dataDir, dir)).join('\n')}`);
  return h.digest('hex');
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/**
 * Rows changed through the server's own connection since it opened (SQLite's
 * total_changes(), triggers included) plus the number of files it keeps: exact and
 * cheap, so it can be read around every request.
 */
export function changeCounter(db: Database.Database, dataDir: string): string {
  const n = db.prepare('SELECT total_changes()').pluck().get() as number;
  // A file added to or removed from uploads/ or media/ (both flat) changes its directory's mtime.
  const dirs = ['uploads', 'media'].map((d) => (existsSync(join(dataDir, d)) ? statSync(join(dataDir, d), { bigint: true }).mtimeNs : 0n));
  return `${n}/${dirs.join('/')}`;
}

/**
 * Waits until the store stops changing on its own (sends finishing in the
 * background, due work): the change counter stays the same for `quietMs`.
 */
export async function settle(s: RelServer, quietMs = 15, maxMs = 3_000): Promise<void> {
  const end = Date.now() + maxMs;
  await s.running.core.events.flushed();
  let last = changeCounter(s.db, s.dataDir);
  let since = Date.now();
  while (Date.now() < end) {
    await sleep(3);
    await s.running.core.events.flushed();
    const now = changeCounter(s.db, s.dataDir);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** The checks the crash test runs on a data directory's database, through a connection from openSearchDatabase. */
export function storeIntegrity(db: Database.Database) {
  const integrity = db.pragma('integrity_check', { simple: true }) as string;
  const { live, expected, ftsCheck, unapplied } = indexHealth(db);
  const liveSet = new Set(live);
  const expectedSet = new Set(expected);
  return {
    integrity,
    ftsCheck,
    /** (word, message) pairs in the index, and those the messages' text yields. */
    ftsPairs: live.length,
    expectedPairs: expected.length,
    missingFromIndex: expected.filter((p) => !liveSet.has(p)).length,
    strayInIndex: live.filter((p) => !expectedSet.has(p)).length,
    /** Changes queued for the index that it has not applied (a clean stop applies them all). */
    unapplied,
  };
}

// ---------------------------------------------------------------- raw HTTP

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values as they came, duplicates included. */
  rawHeaders: string[];
  body: Buffer;
  text: string;
  ms: number;
  json<T = any>(): T;
}

export interface RawOptions {
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Client address on the loopback (127.0.0.x): each one is its own client for the failed-auth limit. */
  localAddress?: string;
  /** Do not send a Host header at all. */
  noHost?: boolean;
  agent?: Agent | false;
  timeoutMs?: number;
}

/**
 * Plain HTTP with full control of method, path, headers and bytes. A request that
 * fails on a reused keep-alive connection before any answer (the server had closed
 * it) is sent once more on a fresh one, as Node's documentation recommends.
 */
export async function raw(baseURL: string, method: string, path: string, o: RawOptions = {}): Promise<RawResponse> {
  try {
    return await rawOnce(baseURL, method, path, o);
  } catch (err) {
    if ((err as { reusedSocket?: boolean }).reusedSocket) return rawOnce(baseURL, method, path, { ...o, agent: false });
    throw err;
  }
}

const quiet = new WeakSet<object>();

function rawOnce(baseURL: string, method: string, path: string, o: RawOptions): Promise<RawResponse> {
  const url = new URL(baseURL);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: o.headers,
        localAddress: o.localAddress,
        setHost: !o.noHost,
        agent: o.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body, text, ms: Date.now() - started, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer to ${method} ${path.slice(0, 200)} within ${o.timeoutMs ?? 15_000} ms`)));
    // A server that answers early (413) and closes may make the rest of the write fail after the answer.
    req.on('socket', (sock) => {
      if (!quiet.has(sock)) quiet.add(sock), sock.on('error', () => {});
    });
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      reject(Object.assign(err, { reusedSocket: req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(err.message)) }));
    });
    req.end(o.body);
  });
}

/** Writes bytes on a fresh TCP connection and collects whatever comes back until it closes (or timeoutMs). */
export function rawSocket(port: number, data: string | Buffer, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(t);
      sock.destroy();
      resolve(out);
    };
    const t = setTimeout(done, timeoutMs);
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('close', done);
    sock.on('error', done);
    sock.write(data);
  });
}

/** Opens a TCP connection and resolves once it is connected. */
export function openSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, host);
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** The error envelope every failure must come in: {message, code, details?} and the version header. */
export function envelopeProblems(res: RawResponse): string[] {
  const problems: string[] = [];
  if (!/^application\/json/.test(String(res.headers['content-type'] ?? ''))) problems.push(`content-type is "${res.headers['content-type'] ?? ''}", not application/json`);
  if (!res.headers['x-beeper-desktop-version']) problems.push('no X-Beeper-Desktop-Version header');
  let body: any;
  try {
    body = JSON.parse(res.text);
  } catch {
    problems.push(`body is not JSON: ${res.text.slice(0, 120)}`);
    return problems;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [...problems, 'body is not an object'];
  if (typeof body.message !== 'string' || !body.message) problems.push('no message');
  if (typeof body.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(body.code)) problems.push(`code is ${JSON.stringify(body.code)}`);
  if (body.details !== undefined && body.details !== null && (typeof body.details !== 'object' || Array.isArray(body.details))) problems.push('details is not an object');
  const extra = Object.keys(body).filter((k) => !['message', 'code', 'details'].includes(k));
  if (extra.length) problems.push(`extra keys ${extra.join(', ')}`);
  return problems;
}

// ---------------------------------------------------------------- memory

/** Resident memory of a process, in MB, from /proc (VmRSS; VmHWM is its peak). */
export function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

// ---------------------------------------------------------------- a real server process

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  proc: ChildProcess;
  pid: number;
  port: number;
  baseURL: string;
  /** What the process wrote to stderr (its JSON log) so far. */
  stderr(): string;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), and wait. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * `node bin/switchboard.mjs serve` on the given data directory and port, with the
 * token in SWITCHBOARD_ACCESS_TOKEN and quiet sandbox people; resolves once
 * /v1/info answers.
 */
export async function startChild(o: { dataDir: string; port: number; token: string; args?: string[]; logLevel?: string; readyTimeoutMs?: number }): Promise<ChildServer> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin/switchboard.mjs'), 'serve', '--port', String(o.port), '--data-dir', o.dataDir, '--quiet-sandbox', '--log-level', o.logLevel ?? 'warn', ...(o.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, SWITCHBOARD_ACCESS_TOKEN: o.token, SWITCHBOARD_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const baseURL = `http://127.0.0.1:${o.port}`;
  const end = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`the server exited before answering; stderr:\n${err.slice(-4000)}`);
    try {
      const res = await fetch(`${baseURL}/v1/info`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`the server did not answer within ${o.readyTimeoutMs ?? 60_000} ms; stderr:\n${err.slice(-4000)}`);
    }
    await sleep(50);
  }
  return {
    proc,
    pid: proc.pid!,
    port: o.port,
    baseURL,
    stderr: () => err,
    exited,
    async kill9() {
      if (!gone) proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** A fresh temporary directory. */
export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Percentile of a sorted list. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
