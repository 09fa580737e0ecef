// Starts the real Switchboard server as a child process (`switchboard serve`) on a
// data directory, times its cold start, samples its memory and stops it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, SWITCHBOARD_BIN, freePort, rssBytes, sleep } from './util.ts';

/**
 * The server is measured as `npm start` runs it: from the compiled JavaScript. An
 * edited checkout would otherwise run through tsx (slower to start), so src/ is
 * compiled first when dist/ is older.
 */
export function ensureBuilt(log: (line: string) => void): void {
  const built = join(REPO_ROOT, 'dist', 'cli', 'main.js');
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(REPO_ROOT, 'src'))) return;
  log('src/ is newer than dist/: compiling (npm run build) so the server starts as npm start runs it…');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; fix the compile errors above, then run the benchmark again');
}

export interface ColdStart {
  /** From spawn to the first 200 of GET /v1/info. */
  infoMs: number;
  /** From spawn to the first 200 of GET /v1/messages/search. */
  searchMs: number;
}

export interface RunningSwitchboard {
  pid: number;
  baseURL: string;
  token: string;
  coldStart: ColdStart;
  /** Authorization (and other) headers every request needs. */
  headers: Record<string, string>;
  rss(): number | undefined;
  /** Output the server wrote (its warnings), the last 8 kB. */
  output(): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Spawns `switchboard serve` on `dataDir` and waits until both /v1/info and a
 * message search answer 200, timing each from the spawn.
 */
export async function startSwitchboard(dataDir: string, searchQuery: string): Promise<RunningSwitchboard> {
  const port = await freePort();
  const token = `sbbench_${randomBytes(24).toString('base64url')}`;
  const baseURL = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  // Started as `npm start` starts it: through the script's shebang, with its V8 flags.
  const child = spawn(
    SWITCHBOARD_BIN,
    ['serve', '--port', String(port), '--data-dir', dataDir, '--quiet-sandbox', '--log-level', 'warn'],
    { cwd: REPO_ROOT, env: { ...process.env, SWITCHBOARD_ACCESS_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const headers = { authorization: `Bearer ${token}` };

  const firstOK = async (path: string, auth: boolean): Promise<number> => {
    for (;;) {
      if (exited !== undefined) throw new Error(`switchboard serve exited (code ${exited}) before answering:\n${output}`);
      if (performance.now() - spawnedAt > READY_TIMEOUT_MS) throw new Error(`switchboard serve did not answer ${path} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
      try {
        const res = await fetch(`${baseURL}${path}`, { headers: auth ? headers : {} });
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - spawnedAt;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
  };
  let coldStart: ColdStart;
  try {
    const [infoMs, searchMs] = await Promise.all([firstOK('/v1/info', false), firstOK(`/v1/messages/search?query=${encodeURIComponent(searchQuery)}`, true)]);
    coldStart = { infoMs, searchMs };
  } catch (err) {
    await stopChild(child, exit);
    throw err;
  }
  return {
    pid: child.pid!,
    baseURL,
    token,
    coldStart,
    headers,
    rss: () => rssBytes(child.pid!),
    output: () => output,
    stop: () => stopChild(child, exit),
  };
}

async function stopChild(child: ChildProcess, exit: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killed = await Promise.race([exit.then(() => false), sleep(10_000).then(() => true)]);
  if (killed) {
    child.kill('SIGKILL');
    await exit;
  }
}

/** Samples a process's RSS every `everyMs` while started; reports the maximum. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  max = 0;
  samples = 0;

  constructor(
    private readonly read: () => number | undefined,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private sample(): void {
    const v = this.read();
    if (v !== undefined) {
      this.samples++;
      this.max = Math.max(this.max, v);
    }
  }
}
