// The transport ceiling: a bare node:http server in its own process that answers
// every benchmarked request with exactly the bytes Switchboard answered for it.
// Loading it the same way as Switchboard tells what HTTP alone costs here. The same
// with a minimal Fastify app tells what the framework alone costs.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BaselineRoute {
  method: string;
  /** Path with query, exactly as the load generator requests it. */
  path: string;
  status: number;
  headers: Record<string, string>;
  bodyBase64: string;
}

/** Response headers worth copying: what a client would see besides the framing. */
const COPIED = ['content-type', 'x-beeper-desktop-version'];

/** A Switchboard response recorded as a baseline route. */
export async function recordRoute(method: string, path: string, res: Response): Promise<{ route: BaselineRoute; body: Buffer }> {
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const h of COPIED) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  return { route: { method, path, status: res.status, headers, bodyBase64: body.toString('base64') }, body };
}

export class BaselineServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseURL: string,
  ) {}

  static async start(kind: 'node' | 'fastify' = 'node'): Promise<BaselineServer> {
    const child = fork(fileURLToPath(new URL('./baseline-http-child.ts', import.meta.url)), [kind], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { type: string; port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`the baseline server exited at start (code ${code})`)));
    });
    return new BaselineServer(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Replaces every route. */
  setRoutes(routes: BaselineRoute[]): Promise<void> {
    return new Promise((resolve) => {
      const done = (m: { type: string }) => {
        if (m.type !== 'routes-set') return;
        this.child.off('message', done);
        resolve();
      };
      this.child.on('message', done);
      this.child.send({ type: 'routes', routes });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
