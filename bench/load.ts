// Load from a separate process: autocannon runs in a forked child (load-child.ts),
// keep-alive, a fixed number of connections, a fixed duration, after a warm-up
// whose results are thrown away.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  /** Run first and discarded. */
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  seconds: number;
  /** 2xx responses in the measured window. */
  requests: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses, ms. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** Bytes on the wire per response, headers included. */
  bytesPerResponse: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Reply =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'rounds'; id: number; result: LoadResult; others: LoadResult[] }
  | { type: 'error'; id: number; message: string };

export class LoadGenerator {
  private nextID = 1;
  private readonly waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (msg: Reply) => {
      if (msg.type === 'ready') return;
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.type === 'error') w?.reject(new Error(`load generator: ${msg.message}`));
      else w?.resolve(msg);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the load generator exited (code ${code})`));
      this.waiting.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const child = fork(fileURLToPath(new URL('./load-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the load generator exited at start (code ${code})`)));
    });
    return new LoadGenerator(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async run(job: LoadJob): Promise<LoadResult> {
    return ((await this.send({ type: 'run', job })) as Extract<Reply, { type: 'result' }>).result;
  }

  /**
   * Loads job.url and each of otherURLs the same way, in `rounds` alternating rounds
   * that share job.durationSeconds (after a warm-up of each): for ratios between them
   * that the machine's speed changing during the measurement does not skew.
   */
  async runRounds(job: LoadJob, otherURLs: string[], rounds: number): Promise<{ load: LoadResult; others: LoadResult[] }> {
    const reply = (await this.send({ type: 'rounds', job, otherURLs, rounds })) as Extract<Reply, { type: 'rounds' }>;
    return { load: reply.result, others: reply.others };
  }

  private send(request: Record<string, unknown>): Promise<Reply> {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...request, id });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
