// Starts a real Switchboard (real SQLite file in a fresh temp directory, real
// HTTP on 127.0.0.1, random port) and an official SDK client whose every JSON
// response is checked against the server's own OpenAPI document.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import BeeperDesktop from '@beeper/desktop-api';
import { startServer, type Running, type ServeOptions } from '../../src/cli/serve.ts';
import { expect } from 'vitest';
import { ResponseValidator } from './openapi.ts';
import { recordOperation } from './coverage.ts';
import { waitFor } from './expect.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;

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
  /** A JSON request (the sandbox control API, mostly) with the read+write token, or `token`; the raw response. */
  call(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  /** The same, failing the test on an error status; the JSON answer (undefined for 204). */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** A writable chat of an account that no earlier call on this server handed out (tests keep out of each other's way). */
  freshChat(accountID: string, type?: 'single' | 'group', ok?: (c: Chat) => boolean): Promise<Chat>;
  /** Sends and waits until the network has confirmed; the final message. */
  sendConfirmed(chatID: string, body: BeeperDesktop.MessageSendParams): Promise<Message>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  sandbox?: boolean;
  lively?: boolean;
  seed?: number;
  sandboxNetworks?: ServeOptions['sandboxNetworks'];
  dataDir?: string;
  envToken?: string;
  wsPingIntervalMs?: number;
  retryDelaysMs?: number[];
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const running = await startServer({ dataDir, port: 0, log, sandbox: opts.sandbox ?? true, lively: opts.lively ?? false, seed: opts.seed ?? 1, sandboxNetworks: opts.sandboxNetworks, envToken: opts.envToken, wsPingIntervalMs: opts.wsPingIntervalMs, retryDelaysMs: opts.retryDelaysMs });
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

  const client = sdk(token);
  const used = new Set<string>();
  const call: TestServer['call'] = (method, path, body, t) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (t) headers.authorization = `Bearer ${t}`;
    return server.fetch(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers });
  };

  const server: TestServer = {
    running,
    baseURL: running.baseURL,
    dataDir,
    token,
    readToken,
    client,
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
    call,
    async control<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await call(method, path, body);
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async freshChat(accountID, type = 'single', ok = () => true) {
      const page = await client.chats.search({ accountIDs: [accountID], type, limit: 100 });
      const chat = page.items.find((c) => !c.isReadOnly && !used.has(c.id) && ok(c));
      expect(chat, `an unused writable ${type} chat on ${accountID}`).toBeDefined();
      used.add(chat!.id);
      return chat!;
    },
    async sendConfirmed(chatID, body) {
      const { pendingMessageID } = await client.messages.send(chatID, body);
      return waitFor(() => client.messages.retrieve(pendingMessageID, { chatID }), (m) => m.sendStatus?.status === 'SUCCESS', 'the send to be confirmed');
    },
    async stop() {
      await running.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
