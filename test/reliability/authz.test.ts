// The authorization matrix: every route of the route table, plus the routes that
// live outside it (OAuth, MCP at /v0/mcp, the /v1/ws upgrade, discovery
// documents), against seven credentials: none, malformed, unknown, revoked,
// expired, read-only and read-write. The expected status of each cell comes from
// the route's declared scope; the matrix is printed. Every route the server
// registers must have a row, so a new route cannot be missed.
//
// An authorized request carries an unknown query parameter (or an empty body
// where the route needs one), so it is answered 400 by validation, which runs
// only after authentication and scope have passed: nothing is changed.
// Each row comes from its own loopback address (127.0.0.x), so the failed-
// authentication limit (30 a minute per client) never turns a 401 into a 429.
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, routeTable } from '../../src/api/server.ts';
import type { RouteDef } from '../../src/api/route.ts';
import { raw, report, startRelServer, type RelServer, type RawResponse } from './harness.ts';

const COLUMNS = ['none', 'malformed', 'unknown', 'revoked', 'expired', 'read-only', 'read-write'] as const;
type Column = (typeof COLUMNS)[number];
const PROBE = '__authz_probe';

interface Row {
  label: string;
  /** What each column must answer. */
  expected: Record<Column, number>;
  send(auth: string | undefined, address: string): Promise<{ status: number; res?: RawResponse }>;
}

let s: RelServer;
let creds: Record<Column, string[]>;
const ids = { chatID: '', messageID: '', accountID: 'sandbox-whatsapp', reactionKey: '👍', userID: '' };
let registered: string[] = [];

beforeAll(async () => {
  s = await startRelServer();
  const auth = { authorization: `Bearer ${s.token}` };
  const chat = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-whatsapp&type=single&limit=5', { headers: auth })).json().items[0];
  ids.chatID = chat.id;
  ids.userID = chat.participants.items.find((p: { isSelf: boolean }) => !p.isSelf).id;
  ids.messageID = (await raw(s.baseURL, 'GET', `/v1/chats/${encodeURIComponent(chat.id)}/messages`, { headers: auth })).json().items[0].id;
  const revoked = await s.running.core.tokens.create(['read', 'write'], 'to revoke');
  await s.running.core.tokens.revoke(revoked.record.id);
  const expired = await s.running.core.tokens.create(['read', 'write'], 'expired', { expiresAt: Date.now() - 1_000 });
  creds = {
    none: [''],
    malformed: ['Basic dXNlcjpwYXNzd29yZA==', 'Bearer', `Bearer ${s.token} extra`, 'Bearer short', `Token ${s.token}`, `Bearer ${s.token.slice(0, 10)}\u00e9${s.token.slice(11)}`],
    unknown: [`Bearer sb_${'Q'.repeat(43)}`, `Bearer ${s.token.slice(0, -1)}${s.token.endsWith('A') ? 'B' : 'A'}`],
    revoked: [`Bearer ${revoked.token}`],
    expired: [`Bearer ${expired.token}`],
    'read-only': [`Bearer ${s.readToken}`],
    'read-write': [`Bearer ${s.token}`],
  };
  // Every route the HTTP server registers (seen by a fresh front on the same core).
  const front = createServer({ core: s.running.core, log: pino({ level: 'silent' }), version: 'matrix', host: '127.0.0.1', port: 0, remote: false });
  front.app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD' && m !== 'OPTIONS') registered.push(`${m} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  await front.listen();
  await front.close();
  registered = [...new Set(registered)];
}, 120_000);
afterAll(async () => s?.stop());

const routes: RouteDef[] = routeTable({ info: () => ({}) as never, spec: () => ({}) });
const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, n: keyof typeof ids) => encodeURIComponent(ids[n]));
const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);

function expectFor(scope: 'public' | 'read' | 'write', ok: number, bad = 401): Record<Column, number> {
  if (scope === 'public') return Object.fromEntries(COLUMNS.map((c) => [c, ok])) as Record<Column, number>;
  return { none: bad, malformed: bad, unknown: bad, revoked: bad, expired: bad, 'read-only': scope === 'write' ? 403 : ok, 'read-write': ok };
}

function http(method: string, path: string, body?: { type: string; text: string }, extra: Record<string, string> = {}) {
  return async (auth: string | undefined, address: string) => {
    const headers: Record<string, string> = { ...extra };
    if (auth) headers.authorization = auth;
    if (body) headers['content-type'] = body.type;
    const res = await raw(s.baseURL, method, path, { headers, body: body?.text, localAddress: address });
    return { status: res.status, res };
  };
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const r of routes) {
    const isPublic = r.scope === 'public';
    const path = concrete(r.path) + (isPublic ? '' : `?${PROBE}=1`);
    out.push({
      label: `${r.method} ${r.path}`,
      expected: expectFor(r.scope, isPublic ? 200 : 400),
      send: http(r.method, path, hasBody(r.method) ? { type: 'application/json', text: '{}' } : undefined),
    });
  }
  const mcpBody = { type: 'application/json', text: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) };
  const mcpHeaders = { accept: 'application/json, text/event-stream' };
  out.push(
    { label: 'POST /v0/mcp (MCP, tools/list)', expected: expectFor('read', 200), send: http('POST', '/v0/mcp', mcpBody, mcpHeaders) },
    { label: 'GET /v0/mcp (MCP event stream)', expected: expectFor('read', 405), send: http('GET', '/v0/mcp', undefined, mcpHeaders) },
    { label: 'DELETE /v0/mcp (MCP session end)', expected: expectFor('read', 405), send: http('DELETE', '/v0/mcp', undefined, mcpHeaders) },
    { label: 'GET /v1/ws (WebSocket upgrade)', expected: expectFor('read', 101), send: upgrade },
    { label: 'GET /oauth/userinfo', expected: expectFor('read', 200), send: http('GET', '/oauth/userinfo') },
    // Public by design: the Authorization header plays no part in these.
    { label: 'GET /.well-known/oauth-authorization-server', expected: expectFor('public', 200), send: http('GET', '/.well-known/oauth-authorization-server') },
    { label: 'GET /.well-known/oauth-protected-resource', expected: expectFor('public', 200), send: http('GET', '/.well-known/oauth-protected-resource') },
    { label: 'GET /.well-known/oauth-protected-resource/v0/mcp', expected: expectFor('public', 200), send: http('GET', '/.well-known/oauth-protected-resource/v0/mcp') },
    { label: 'POST /oauth/register (empty)', expected: expectFor('public', 400), send: http('POST', '/oauth/register', { type: 'application/json', text: '{}' }) },
    { label: 'GET /oauth/authorize (no parameters)', expected: expectFor('public', 400), send: http('GET', '/oauth/authorize') },
    { label: 'POST /oauth/authorize (no session)', expected: expectFor('public', 403), send: http('POST', '/oauth/authorize', { type: 'application/x-www-form-urlencoded', text: 'decision=approve' }) },
    { label: 'POST /oauth/session (no token in the form)', expected: expectFor('public', 401), send: http('POST', '/oauth/session', { type: 'application/x-www-form-urlencoded', text: 'authorize_query=' }) },
    { label: 'POST /oauth/token (empty)', expected: expectFor('public', 400), send: http('POST', '/oauth/token', { type: 'application/x-www-form-urlencoded', text: '' }) },
    { label: 'POST /oauth/introspect (no token)', expected: expectFor('public', 400), send: http('POST', '/oauth/introspect', { type: 'application/x-www-form-urlencoded', text: '' }) },
    { label: 'POST /oauth/revoke (no token)', expected: expectFor('public', 400), send: http('POST', '/oauth/revoke', { type: 'application/x-www-form-urlencoded', text: '' }) },
  );
  return out;
}

/** The /v1/ws upgrade: 101 when accepted, else the HTTP status it was refused with. */
function upgrade(auth: string | undefined, address: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.baseURL.replace('http', 'ws')}/v1/ws`, { headers: auth ? { authorization: auth } : {}, localAddress: address });
    ws.once('upgrade', (res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe('authorization matrix', () => {
  it('has a row for every route the server registers (the route table and the extras)', () => {
    const labels = rows().map((r) => r.label.split(' (')[0]!);
    const missing = registered.filter((r) => !labels.includes(r));
    expect(missing, 'routes without a row in the matrix').toEqual([]);
    expect(routes.length).toBeGreaterThan(40);
  });

  it('answers every route × credential with the status its scope implies', async () => {
    const table = rows();
    const results: Array<{ row: Row; got: Record<Column, number[]> }> = [];
    const mismatches: string[] = [];
    let address = 10;
    for (const row of table) {
      const ip = `127.0.0.${address++}`;
      const got = {} as Record<Column, number[]>;
      for (const column of COLUMNS) {
        got[column] = [];
        for (const cred of creds[column]) {
          const { status, res } = await row.send(cred || undefined, ip);
          got[column].push(status);
          if (status !== row.expected[column]) mismatches.push(`${row.label} with ${column} (${cred.slice(0, 24)}…): ${status}, expected ${row.expected[column]}${res ? ` — ${res.text.slice(0, 160)}` : ''}`);
          if (res && status === 401 && res.headers['content-type']?.includes('json')) {
            // Failed authentications say why, in the envelope (OAuth adds its RFC fields).
            expect(typeof res.json().message, row.label).toBe('string');
            if (row.label.includes('/v0/mcp')) expect(res.headers['www-authenticate'], row.label).toMatch(/^Bearer resource_metadata=/);
          }
          if (res && status === 400 && row.expected[column] === 400 && !row.label.includes('/oauth/') && !row.label.includes('/v1/info') && !row.label.includes('/v1/spec')) {
            expect(res.text, `${row.label}: the 400 comes from validation, after authorization`).toContain(PROBE);
          }
        }
      }
      results.push({ row, got });
    }
    const width = Math.max(...table.map((r) => r.label.length));
    const cell = (vals: number[], exp: number) => `${vals.every((v) => v === exp) ? ' ' : '✗'}${vals[0]}`.padEnd(11);
    const lines = [
      `${'route'.padEnd(width)}  ${COLUMNS.map((c) => c.padEnd(11)).join('')}`,
      ...results.map(({ row, got }) => `${row.label.padEnd(width)}  ${COLUMNS.map((c) => cell(got[c], row.expected[c])).join('')}`),
    ];
    console.log(`\n[reliability] authorization matrix (${table.length} routes × ${COLUMNS.length} credentials; ✗ marks an unexpected status)\n${lines.join('\n')}\n`);
    report('authorization matrix', {
      routes: table.length,
      credentials: COLUMNS.join(', '),
      'cells checked': results.reduce((n, r) => n + COLUMNS.reduce((m, c) => m + r.got[c].length, 0), 0),
      'unexpected statuses': mismatches.length,
    });
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('changed nothing: no message was sent and no chat changed by any probe', async () => {
    const page = (await raw(s.baseURL, 'GET', `/v1/chats/${encodeURIComponent(ids.chatID)}/messages`, { headers: { authorization: `Bearer ${s.token}` } })).json();
    expect(page.items[0].id).toBe(ids.messageID);
    const deliveries = (await raw(s.baseURL, 'GET', '/sandbox/v1/accounts/sandbox-whatsapp', { headers: { authorization: `Bearer ${s.token}` } })).json().deliveries;
    expect(deliveries).toEqual([]);
  });
});
