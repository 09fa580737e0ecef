// Starts a real Switchboard (real SQLite file in a fresh temp directory, real
// HTTP on 127.0.0.1, random port) and an official SDK client whose every JSON
// response is checked against the server's own OpenAPI document.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import BeeperDesktop from '@beeper/desktop-api';
import { startServer, type Running } from '../../src/cli/serve.ts';
import { ResponseValidator } from './openapi.ts';
import { recordOperation } from './coverage.ts';

export interface TestServer {
  running: Running;
  baseURL: string;
  dataDir: string;
  /** read + write */
  token: string;
  readToken: string;
  client: BeeperDesktop;
  readClient: BeeperDesktop;
  validator: ResponseValidator;
  /** Builds another SDK client (e.g. with a bad token); responses are validated too. */
  sdk(token: string): BeeperDesktop;
  /** fetch with the read+write token, response validated unless validate=false. */
  fetch(path: string, init?: RequestInit & { validate?: boolean }): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  sandbox?: boolean;
  lively?: boolean;
  seed?: number;
  dataDir?: string;
  envToken?: string;
  wsPingIntervalMs?: number;
  retryDelaysMs?: number[];
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const running = await startServer({ dataDir, port: 0, log, sandbox: opts.sandbox ?? true, lively: opts.lively ?? false, seed: opts.seed ?? 1, envToken: opts.envToken, wsPingIntervalMs: opts.wsPingIntervalMs, retryDelaysMs: opts.retryDelaysMs });
  const token = running.firstToken ?? (await running.core.tokens.create(['read', 'write'], 'test')).token;
  const readToken = (await running.core.tokens.create(['read'], 'test read-only')).token;
  const validator = new ResponseValidator((await (await globalThis.fetch(`${running.baseURL}/v1/spec`)).json()) as never);

  const validatingFetch: typeof globalThis.fetch = async (input, init) => {
    const res = await globalThis.fetch(input, init);
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('application/json')) {
      const body: unknown = await res.clone().json();
      const problems = validator.validate(init?.method ?? 'GET', url.pathname, res.status, body);
      if (problems.length) throw new Error(`Response does not match the OpenAPI document:\n${problems.join('\n')}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
    }
    const template = validator.match(url.pathname);
    if (template) recordOperation(init?.method ?? 'GET', template, res.status);
    return res;
  };
  const sdk = (t: string) => new BeeperDesktop({ accessToken: t, baseURL: running.baseURL, maxRetries: 0, fetch: validatingFetch, timeout: 30_000 });

  return {
    running,
    baseURL: running.baseURL,
    dataDir,
    token,
    readToken,
    client: sdk(token),
    readClient: sdk(readToken),
    validator,
    sdk,
    async fetch(path, init = {}) {
      const { validate = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      const f = validate ? validatingFetch : globalThis.fetch;
      return f(`${running.baseURL}${path}`, { ...rest, headers });
    },
    async stop() {
      await running.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
