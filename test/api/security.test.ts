// Authentication, scopes, the Host check, CORS, the version header and the
// failed-authentication limit, walked over the route table so that every route
// (including ones added later) is covered.
import { request as httpRequest } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, routeTable, type Server } from '../../src/api/server.ts';
import type { RouteDef } from '../../src/api/route.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
let version: string;
const ids = { chatID: '', messageID: '', accountID: 'sandbox-whatsapp', reactionKey: '👍' };
const fronts: Server[] = [];

const routes: RouteDef[] = routeTable({ info: () => ({}) as never, spec: () => ({}) });
const privateRoutes = routes.filter((r) => r.scope !== 'public');
const writeRoutes = routes.filter((r) => r.scope === 'write');
const publicRoutes = routes.filter((r) => r.scope === 'public');

beforeAll(async () => {
  s = await startTestServer();
  version = (await s.client.info.retrieve()).app.version;
  const chat = (await s.client.chats.search({ accountIDs: ['sandbox-whatsapp'], type: 'single' })).items.find((c) => !c.isArchived)!;
  ids.chatID = chat.id;
  ids.messageID = (await s.client.messages.list(chat.id)).items.find((m) => !m.isDeleted)!.id;
});
afterAll(async () => {
  for (const f of fronts) await f.close();
  await s?.stop();
});

const label = (r: RouteDef) => `${r.method} ${r.path}`;
const concrete = (r: RouteDef) => r.path.replace(/\{(\w+)\}/g, (_, name: keyof typeof ids) => encodeURIComponent(ids[name]));

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** Plain HTTP over node:http, so that any header (Host included) can be set. */
function raw(baseURL: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  const url = new URL(path, baseURL);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Checks an error response: status, code, a message, a documented body, the version header. */
function expectError(res: Raw, status: number, code: string, what: string) {
  expect({ what, status: res.status }).toEqual({ what, status });
  const body = res.json() as { message: unknown; code: unknown };
  expect({ what, code: body.code, message: typeof body.message }).toEqual({ what, code, message: 'string' });
  expect(res.headers['x-beeper-desktop-version'], what).toBe(version);
}

function validated(r: RouteDef, res: Raw) {
  const problems = s.validator.validate(r.method, concrete(r), res.status, res.json());
  expect(problems, `${label(r)} ${res.status}`).toEqual([]);
}

/** A separate HTTP front on the same core: its own failed-authentication budget. */
async function freshFront(): Promise<string> {
  const srv = createServer({ core: s.running.core, log: pino({ level: 'silent' }), version, host: '127.0.0.1', port: 0, remote: false });
  fronts.push(srv);
  return (await srv.listen()).baseURL;
}

/**
 * Sends requests that are meant to fail authentication, moving to a fresh front
 * before the per-client budget (30 a minute) would turn them into 429s.
 */
function authProber() {
  let base = '';
  let used = Infinity;
  return async (r: RouteDef, headers: Record<string, string>) => {
    if (used >= 25) {
      base = await freshFront();
      used = 0;
    }
    used++;
    return raw(base, r.method, concrete(r), headers, ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.multipart ? '{}' : undefined);
  };
}

describe('authentication on every non-public route', () => {
  it('covers the route table', () => {
    expect(privateRoutes.length).toBeGreaterThan(20);
    expect(publicRoutes.map((r) => r.path).sort()).toEqual(['/v1/info', '/v1/spec']);
  });

  it('answers 401 UNAUTHORIZED without a token', async () => {
    const probe = authProber();
    for (const r of privateRoutes) {
      const res = await probe(r, {});
      expectError(res, 401, 'UNAUTHORIZED', label(r));
      validated(r, res);
    }
  });

  it('answers 401 to malformed Authorization headers', async () => {
    const probe = authProber();
    for (const r of privateRoutes) {
      for (const authorization of ['Basic xyz', 'Bearer', 'Bearer ', `Token ${s.token}`]) {
        expectError(await probe(r, { authorization }), 401, 'UNAUTHORIZED', `${label(r)} with "${authorization}"`);
      }
    }
  });

  it('answers 401 to an unknown token', async () => {
    const probe = authProber();
    const unknown = `sb_${'A'.repeat(43)}`;
    for (const r of privateRoutes) expectError(await probe(r, { authorization: `Bearer ${unknown}` }), 401, 'UNAUTHORIZED', label(r));
  });

  it('answers 401 to a revoked token (which worked before revocation)', async () => {
    const { token, record } = await s.running.core.tokens.create(['read', 'write'], 'to revoke');
    expect((await s.sdk(token).accounts.list()).length).toBeGreaterThan(0);
    expect(await s.running.core.tokens.revoke(record.id)).toBe(true);
    const probe = authProber();
    for (const r of privateRoutes) expectError(await probe(r, { authorization: `Bearer ${token}` }), 401, 'UNAUTHORIZED', label(r));
  });

  it('answers 401 to an expired token', async () => {
    const { token } = await s.running.core.tokens.create(['read', 'write'], 'expired', { expiresAt: Date.now() - 1000 });
    const probe = authProber();
    for (const r of privateRoutes) expectError(await probe(r, { authorization: `Bearer ${token}` }), 401, 'UNAUTHORIZED', label(r));
  });
});

describe('scopes', () => {
  it('answers 403 INSUFFICIENT_SCOPE on every write route with a read-only token, changing nothing', async () => {
    expect(writeRoutes.length).toBeGreaterThan(10);
    const before = await s.client.chats.retrieve(ids.chatID);
    const messagesBefore = await s.client.messages.list(ids.chatID);
    for (const r of writeRoutes) {
      const res = await raw(s.baseURL, r.method, concrete(r), { authorization: `Bearer ${s.readToken}` }, ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.multipart ? '{}' : undefined);
      expectError(res, 403, 'INSUFFICIENT_SCOPE', label(r));
      validated(r, res);
    }
    expect(await s.client.chats.retrieve(ids.chatID)).toEqual(before);
    expect((await s.client.messages.list(ids.chatID)).items).toEqual(messagesBefore.items);
  });

  it('lets the read-only token through on read routes', async () => {
    for (const r of privateRoutes.filter((x) => x.scope === 'read')) {
      const res = await raw(s.baseURL, r.method, concrete(r), { authorization: `Bearer ${s.readToken}` });
      expect([401, 403], `${label(r)} → ${res.status} ${res.body.slice(0, 200)}`).not.toContain(res.status);
    }
  });

  it('answers public routes without a token', async () => {
    for (const r of publicRoutes) {
      const res = await raw(s.baseURL, r.method, r.path);
      expect(res.status, label(r)).toBe(200);
      expect(res.headers['x-beeper-desktop-version']).toBe(version);
    }
  });
});

describe('Host header (DNS rebinding)', () => {
  it('refuses a foreign Host even with a valid token, accepts localhost and 127.0.0.1 with the port', async () => {
    const port = new URL(s.baseURL).port;
    const auth = { authorization: `Bearer ${s.token}` };
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost', `127.0.0.1:${Number(port) + 1}`]) {
      expectError(await raw(s.baseURL, 'GET', '/v1/accounts', { ...auth, host }), 403, 'HOST_NOT_ALLOWED', host);
    }
    expectError(await raw(s.baseURL, 'GET', '/v1/info', { host: 'evil.example' }), 403, 'HOST_NOT_ALLOWED', 'public route, foreign host');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const res = await raw(s.baseURL, 'GET', '/v1/accounts', { ...auth, host });
      expect(res.status, host).toBe(200);
    }
  });
});

describe('CORS', () => {
  it('allows preflights from a local origin only', async () => {
    const preflight = (origin: string) =>
      raw(s.baseURL, 'OPTIONS', '/v1/chats', { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' });
    const local = await preflight('http://localhost:3000');
    expect(local.status).toBeLessThan(300);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const evil = await preflight('https://evil.example');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();

    const get = await raw(s.baseURL, 'GET', '/v1/accounts', { origin: 'https://evil.example', authorization: `Bearer ${s.token}` });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('x-beeper-desktop-version', () => {
  it('is on 200, 204, 4xx and unknown-route 404 responses', async () => {
    const ok = await s.fetch('/v1/accounts');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-beeper-desktop-version')).toBe(version);

    const archived = (await s.client.chats.retrieve(ids.chatID)).isArchived;
    const noContent = await s.fetch(`/v1/chats/${encodeURIComponent(ids.chatID)}/archive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ archived }) });
    expect(noContent.status).toBe(204);
    expect(noContent.headers.get('x-beeper-desktop-version')).toBe(version);

    const bad = await s.fetch('/v1/chats/search?limit=abc');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-beeper-desktop-version')).toBe(version);

    const missing = await s.fetch('/v1/chats/!nope:nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-beeper-desktop-version')).toBe(version);

    const noRoute = await s.fetch('/v1/no-such-route', { validate: false });
    expect(noRoute.status).toBe(404);
    expect(((await noRoute.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    expect(noRoute.headers.get('x-beeper-desktop-version')).toBe(version);
  });
});

describe('failed-authentication limit', () => {
  it('answers 429 with retry-after after 30 failures from one client', async () => {
    const base = await freshFront();
    const bad = { authorization: `Bearer sb_${'B'.repeat(43)}` };
    for (let i = 0; i < 30; i++) expectError(await raw(base, 'GET', '/v1/accounts', bad), 401, 'UNAUTHORIZED', `failure ${i + 1}`);
    const limited = await raw(base, 'GET', '/v1/accounts', bad);
    expectError(limited, 429, 'TOO_MANY_AUTH_FAILURES', '31st');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(s.validator.validate('GET', '/v1/accounts', 429, limited.json())).toEqual([]);
    // Other fronts (clients of other servers) are not affected.
    expect((await raw(s.baseURL, 'GET', '/v1/accounts', { authorization: `Bearer ${s.token}` })).status).toBe(200);
  });
});

describe('SWITCHBOARD_ACCESS_TOKEN', () => {
  it('is accepted with read and write', async () => {
    const envToken = 'env-token-' + 'x'.repeat(20);
    const t = await startTestServer({ envToken });
    try {
      const c = t.sdk(envToken);
      const chats = await c.chats.list();
      expect(chats.items.length).toBeGreaterThan(0);
      const chat = chats.items[0]!;
      const sent = await c.messages.send(chat.id, { text: 'written with the environment token' });
      expect(sent.pendingMessageID).toMatch(/\S/);
      expect((await c.focus({})).success).toBe(true);
      const wrong = await raw(t.baseURL, 'GET', '/v1/accounts', { authorization: `Bearer ${envToken}y` });
      expect(wrong.status).toBe(401);
    } finally {
      await t.stop();
    }
  });
});
