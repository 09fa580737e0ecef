// OAuth 2.0 (authorization code + PKCE) as a third-party app sees it: plain
// fetch, form-encoded bodies, discovery → registration → consent → code →
// token → the API through the official SDK → introspection → revocation, and
// every way the flow must refuse.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/api/server.ts';
import { apiError } from '../helpers/expect.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const fronts: Server[] = [];
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  for (const f of fronts) await f.close();
  await s?.stop();
});

const APP_REDIRECT = 'http://127.0.0.1:47001/callback';
const BIN = new URL('../../bin/switchboard.mjs', import.meta.url).pathname;
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, SWITCHBOARD_LOG_FORMAT: 'json' } });

interface Registered {
  client_id: string;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  scope: string;
  [k: string]: unknown;
}

interface OAuthErrorBody {
  error: string;
  error_description: string;
  message: string;
  code: string;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** POSTs a form (or, with json, a JSON object) to an OAuth endpoint. */
function post(path: string, body: Record<string, string | string[]>, opts: { json?: boolean; headers?: Record<string, string>; base?: string } = {}) {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  return fetch(`${opts.base ?? s.baseURL}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded', ...opts.headers },
    body: opts.json ? JSON.stringify(body) : form.toString(),
  });
}

async function oauthError(res: Response, status: number, error: string): Promise<OAuthErrorBody> {
  const body = (await res.json()) as OAuthErrorBody;
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  expect(body.code).toBe(error.toUpperCase());
  expect(typeof body.message).toBe('string');
  expect(typeof body.error_description).toBe('string');
  return body;
}

async function register(meta: Record<string, unknown> = {}): Promise<Registered> {
  const res = await fetch(`${s.baseURL}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Test App', redirect_uris: [APP_REDIRECT], ...meta }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Registered;
}

const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

/** The hidden fields of the consent form. */
function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) out[decode(m[1]!)] = decode(m[2]!);
  return out;
}

interface AuthorizeParams {
  client_id: string;
  redirect_uri?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  response_type?: string;
  scope?: string;
  state?: string;
}

function authorizeURL(p: AuthorizeParams): string {
  const q = new URLSearchParams(Object.entries({ response_type: 'code', code_challenge_method: 'S256', ...p }).filter((e): e is [string, string] => e[1] !== undefined));
  return `${s.baseURL}/oauth/authorize?${q}`;
}

/** Opens the consent page as a browser on this machine would: the page, its session cookie and its form. */
async function consent(p: AuthorizeParams, headers: Record<string, string> = {}) {
  const res = await fetch(authorizeURL(p), { redirect: 'manual', headers });
  const html = await res.text();
  const cookie = /^(sb_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  return { res, html, cookie, fields: hiddenFields(html) };
}

/** Presses a button of the consent form. */
function decide(fields: Record<string, string>, decision: 'approve' | 'deny', headers: Record<string, string>) {
  return post('/oauth/authorize', { ...fields, decision }, { headers });
}

/** Runs authorize + approve; returns the code from the redirect. */
async function authorizeCode(client: Registered, opts: { scope?: string; state?: string; redirectURI?: string } = {}) {
  const { verifier, challenge } = pkce();
  const state = opts.state ?? randomBytes(8).toString('hex');
  const page = await consent({ client_id: client.client_id, redirect_uri: opts.redirectURI ?? client.redirect_uris[0], code_challenge: challenge, scope: opts.scope, state });
  expect(page.res.status, page.html).toBe(200);
  expect(page.cookie).toBeTruthy();
  const res = await decide(page.fields, 'approve', { cookie: page.cookie!, origin: new URL(s.baseURL).origin });
  expect(res.status, await res.clone().text()).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(location.searchParams.get('state')).toBe(state);
  return { code: location.searchParams.get('code')!, verifier, state, location };
}

function exchange(client: Registered, code: string, verifier: string, extra: Record<string, string> = {}, json = false) {
  return post('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0]!, client_id: client.client_id, code_verifier: verifier, ...extra }, { json });
}

async function tokenFor(client: Registered, opts: { scope?: string } = {}) {
  const { code, verifier } = await authorizeCode(client, opts);
  const res = await exchange(client, code, verifier);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
}

const introspect = async (token: string) => (await (await post('/oauth/introspect', { token })).json()) as Record<string, unknown>;

describe('discovery', () => {
  it('serves RFC 8414 metadata, readable from any origin', async () => {
    const res = await fetch(`${s.baseURL}/.well-known/oauth-authorization-server`, { headers: { origin: 'https://some-app.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const meta = (await res.json()) as Record<string, unknown>;
    const base = s.baseURL;
    expect(meta).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      registration_endpoint: `${base}/oauth/register`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      scopes_supported: ['read', 'write'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
    expect(typeof meta.service_documentation).toBe('string');

    // The preflight is open too; the API itself keeps its local-origin rule.
    const preflight = await fetch(`${s.baseURL}/.well-known/oauth-authorization-server`, { method: 'OPTIONS', headers: { origin: 'https://some-app.example', 'access-control-request-method': 'GET' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const api = await fetch(`${s.baseURL}/v1/info`, { headers: { origin: 'https://some-app.example' } });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
    // /v1/info advertises the same endpoints.
    expect((await s.client.info.retrieve()).endpoints.oauth).toMatchObject({ token_endpoint: meta.token_endpoint, registration_endpoint: meta.registration_endpoint });
  });
});

describe('the whole flow', () => {
  it('registers, gets consent, exchanges the code and calls the API with the token until it is revoked', async () => {
    const client = await register({ client_name: 'Flow App', scope: 'read write' });
    expect(client).toMatchObject({ client_name: 'Flow App', redirect_uris: [APP_REDIRECT], scope: 'read write', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] });
    expect(client.client_id).toMatch(/\S{16,}/);
    expect(Math.abs(client.client_id_issued_at - Date.now() / 1000)).toBeLessThan(60);

    // The consent page, as a browser on this machine sees it.
    const { verifier, challenge } = pkce();
    const page = await consent({ client_id: client.client_id, redirect_uri: APP_REDIRECT, code_challenge: challenge, state: 'xyz-123' });
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.res.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    // The form may also lead on to the app: browsers check form-action on the redirect after the POST.
    expect(csp).toContain("form-action 'self' http://127.0.0.1:47001;");
    expect(page.res.headers.get('x-frame-options')).toBe('DENY');
    expect(page.res.headers.get('cache-control')).toBe('no-store');
    const setCookie = page.res.headers.get('set-cookie')!;
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/oauth']) expect(setCookie).toContain(attr);
    expect(page.html).toContain('Flow App');
    expect(page.html).toContain('127.0.0.1:47001');
    expect(page.html).toContain('Read your chats, messages and contacts');
    expect(page.html).toContain('Send messages and change chats on your behalf');
    expect(page.html).not.toMatch(/<script|src=|href=/i);
    expect(page.fields.csrf_token).toMatch(/\S{20,}/);

    // Approve → back to the app with a code and the same state.
    const approved = await decide(page.fields, 'approve', { cookie: page.cookie!, origin: new URL(s.baseURL).origin });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(APP_REDIRECT);
    expect(location.searchParams.get('state')).toBe('xyz-123');
    expect(location.searchParams.get('iss')).toBe(s.baseURL);
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The code for a token.
    const res = await exchange(client, code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const grant = (await res.json()) as Record<string, unknown>;
    expect(grant).toEqual({ access_token: expect.stringMatching(/^sb_/), token_type: 'Bearer', expires_in: 604800, scope: 'read write' });
    const token = grant.access_token as string;

    // The API through the official SDK.
    const sdk = s.sdk(token);
    const chats = await sdk.chats.list();
    expect(chats.items.length).toBeGreaterThan(0);
    const sent = await sdk.messages.send(chats.items[0]!.id, { text: 'sent by an OAuth app' });
    expect(sent.pendingMessageID).toMatch(/\S/);

    // Stored as a token of this client, expiring in a week; only its hash is kept.
    const record = (await s.running.core.tokens.list()).find((t) => t.clientID === client.client_id)!;
    expect(record).toBeDefined();
    expect(record.label).toBe('OAuth: Flow App');
    expect(record.scopes).toEqual(['read', 'write']);
    expect(Math.abs(record.expiresAt! - (Date.now() + 7 * 86_400_000))).toBeLessThan(60_000);
    expect(JSON.stringify(record)).not.toContain(token);

    // Introspection and userinfo.
    const info = await introspect(token);
    expect(info).toMatchObject({ active: true, scope: 'read write', client_id: client.client_id, token_type: 'Bearer', sub: expect.any(String) });
    expect(Math.abs((info.exp as number) - Math.floor(record.expiresAt! / 1000))).toBeLessThanOrEqual(1);
    expect(Math.abs((info.iat as number) - Date.now() / 1000)).toBeLessThan(60);
    const me = await fetch(`${s.baseURL}/oauth/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ sub: info.sub, name: expect.any(String), scope: 'read write', client_id: client.client_id });

    // Revocation: 200 {}, then 401 everywhere and inactive.
    const revoked = await post('/oauth/revoke', { token });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({});
    await apiError(sdk.chats.list(), 401, 'UNAUTHORIZED');
    expect(await introspect(token)).toEqual({ active: false });
    const meAfter = await fetch(`${s.baseURL}/oauth/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    await oauthError(meAfter, 401, 'invalid_token');
    expect(meAfter.headers.get('www-authenticate')).toMatch(/^Bearer /);

    // Revoking an unknown (or already revoked) token is not an error.
    expect((await post('/oauth/revoke', { token: `sb_${'Z'.repeat(43)}` })).status).toBe(200);
    expect((await post('/oauth/revoke', { token })).status).toBe(200);
  });

  it('grants only the scopes asked for: a read-only grant reads but gets 403 on writes', async () => {
    const client = await register({ client_name: 'Reader' });
    const grant = await tokenFor(client, { scope: 'read' });
    expect(grant.scope).toBe('read');
    const sdk = s.sdk(grant.access_token);
    const chat = (await sdk.chats.list()).items[0]!;
    expect((await sdk.messages.list(chat.id)).items.length).toBeGreaterThan(0);
    await apiError(sdk.messages.send(chat.id, { text: 'not allowed' }), 403, 'INSUFFICIENT_SCOPE');
    expect(await introspect(grant.access_token)).toMatchObject({ active: true, scope: 'read', client_id: client.client_id });
  });

  it('lists only the scopes asked for on the consent page, and refuses scopes the app did not register', async () => {
    const client = await register({ client_name: 'Narrow', scope: 'read' });
    expect(client.scope).toBe('read');
    const page = await consent({ client_id: client.client_id, code_challenge: pkce().challenge, state: 's' });
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Read your chats, messages and contacts');
    expect(page.html).not.toContain('Send messages and change chats on your behalf');
    const wider = await fetch(authorizeURL({ client_id: client.client_id, code_challenge: pkce().challenge, scope: 'read write', state: 's' }), { redirect: 'manual' });
    expect(wider.status).toBe(302);
    const location = new URL(wider.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('state')).toBe('s');
  });

  it('accepts JSON bodies as well as forms, and a redirect_uri left out when only one is registered', async () => {
    const form = await post('/oauth/register', { client_name: 'Form App', redirect_uris: [APP_REDIRECT, 'com.example.formapp:/cb'] });
    expect(form.status).toBe(201);
    const formClient = (await form.json()) as Registered;
    expect(formClient.redirect_uris).toEqual([APP_REDIRECT, 'com.example.formapp:/cb']);

    const client = await register({ client_name: 'JSON App' });
    const { verifier, challenge } = pkce();
    const page = await consent({ client_id: client.client_id, code_challenge: challenge, state: 'json' }); // no redirect_uri
    expect(page.res.status).toBe(200);
    const approved = await decide(page.fields, 'approve', { cookie: page.cookie! });
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const res = await exchange(client, code, verifier, {}, true);
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const info = (await (await post('/oauth/introspect', { token: access_token }, { json: true })).json()) as Record<string, unknown>;
    expect(info.active).toBe(true);
    expect(await (await post('/oauth/revoke', { token: access_token }, { json: true })).json()).toEqual({});
    expect(await introspect(access_token)).toEqual({ active: false });
  });

  it('sends a private-use redirect URI back to the app with the code', async () => {
    const client = await register({ client_name: 'Native App', redirect_uris: ['com.example.native:/oauth'] });
    const { code, location } = await authorizeCode(client, { state: 'n' });
    expect(location.protocol).toBe('com.example.native:');
    expect(location.pathname).toBe('/oauth');
    expect(code).toMatch(/\S{43}/);
  });
});

describe('the token endpoint refuses', () => {
  it('a wrong code_verifier', async () => {
    const client = await register();
    const { code } = await authorizeCode(client);
    await oauthError(await exchange(client, code, pkce().verifier), 400, 'invalid_grant');
  });

  it('a code used twice, and revokes the token the first use bought', async () => {
    const client = await register();
    const { code, verifier } = await authorizeCode(client);
    const first = await exchange(client, code, verifier);
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await s.sdk(access_token).accounts.list()).length).toBeGreaterThan(0);
    const again = await oauthError(await exchange(client, code, verifier), 400, 'invalid_grant');
    expect(again.error_description).toMatch(/already used/);
    await apiError(s.sdk(access_token).accounts.list(), 401, 'UNAUTHORIZED');
    expect(await introspect(access_token)).toEqual({ active: false });
  });

  it('an expired code', async () => {
    const client = await register();
    const { verifier, challenge } = pkce();
    const code = randomBytes(32).toString('base64url');
    await s.running.core.repo.putOAuthCode({
      hash: createHash('sha256').update(code).digest('hex'),
      clientID: client.client_id,
      redirectURI: APP_REDIRECT,
      scopes: ['read'],
      codeChallenge: challenge,
      expiresAt: Date.now() - 1_000,
      usedAt: null,
      tokenID: null,
    });
    const body = await oauthError(await exchange(client, code, verifier), 400, 'invalid_grant');
    expect(body.error_description).toMatch(/expired/);
  });

  it('a redirect_uri other than the authorization request’s, and another client’s code', async () => {
    const client = await register({ redirect_uris: [APP_REDIRECT, 'http://localhost:47002/other'] });
    const { code, verifier } = await authorizeCode(client, { redirectURI: APP_REDIRECT });
    await oauthError(await exchange(client, code, verifier, { redirect_uri: 'http://localhost:47002/other' }), 400, 'invalid_grant');
    const other = await register();
    await oauthError(await exchange(other, code, verifier), 400, 'invalid_grant');
    // Neither failure used the code up.
    expect((await exchange(client, code, verifier)).status).toBe(200);
  });

  it('unknown clients, unknown codes, other grant types and missing parameters', async () => {
    const client = await register();
    const { verifier } = pkce();
    await oauthError(await exchange({ ...client, client_id: 'sbc_nope' }, 'whatever', verifier), 400, 'invalid_client');
    await oauthError(await exchange(client, randomBytes(32).toString('base64url'), verifier), 400, 'invalid_grant');
    await oauthError(await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: client.client_id }), 400, 'unsupported_grant_type');
    await oauthError(await post('/oauth/token', { grant_type: 'authorization_code', client_id: client.client_id, code_verifier: verifier }), 400, 'invalid_request');
    await oauthError(await exchange(client, 'abc', 'too-short'), 400, 'invalid_request');
    await oauthError(await post('/oauth/token', {}), 400, 'invalid_request');
    const text = await fetch(`${s.baseURL}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=authorization_code' });
    await oauthError(text, 415, 'invalid_request');
    await oauthError(await post('/oauth/introspect', {}), 400, 'invalid_request');
    await oauthError(await post('/oauth/revoke', {}), 400, 'invalid_request');
  });

  it('answers 429 with Retry-After after too many failed exchanges', async () => {
    const front = createServer({ core: s.running.core, log: pino({ level: 'silent' }), version: 'test', host: '127.0.0.1', port: 0, remote: false });
    fronts.push(front);
    const base = (await front.listen()).baseURL;
    const client = await register();
    const bad = () => post('/oauth/token', { grant_type: 'authorization_code', code: 'nope', client_id: client.client_id, redirect_uri: APP_REDIRECT, code_verifier: pkce().verifier }, { base });
    for (let i = 0; i < 30; i++) expect((await bad()).status).toBe(400);
    const limited = await bad();
    const body = await oauthError(limited, 429, 'slow_down');
    expect(body.message).toMatch(/try again/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the authorization endpoint', () => {
  it('redirects PKCE problems back to the app as invalid_request, with the state', async () => {
    const client = await register();
    const { challenge } = pkce();
    const cases: Array<[string, AuthorizeParams]> = [
      ['plain', { client_id: client.client_id, code_challenge: challenge, code_challenge_method: 'plain', state: 'st' }],
      ['no challenge', { client_id: client.client_id, state: 'st' }],
      ['short challenge', { client_id: client.client_id, code_challenge: 'abc', state: 'st' }],
    ];
    for (const [what, p] of cases) {
      const res = await fetch(authorizeURL(p), { redirect: 'manual' });
      expect(res.status, what).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`, what).toBe(APP_REDIRECT);
      expect(location.searchParams.get('error'), what).toBe('invalid_request');
      expect(location.searchParams.get('error_description'), what).toBeTruthy();
      expect(location.searchParams.get('state'), what).toBe('st');
      expect(location.searchParams.get('code'), what).toBeNull();
    }
    const noMethod = await fetch(`${s.baseURL}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.client_id, code_challenge: challenge })}`, { redirect: 'manual' });
    expect(new URL(noMethod.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const token = await fetch(authorizeURL({ client_id: client.client_id, code_challenge: challenge, response_type: 'token' }), { redirect: 'manual' });
    expect(new URL(token.headers.get('location')!).searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('shows an error page, and never redirects, for an unknown client or redirect URI', async () => {
    const client = await register({ redirect_uris: [APP_REDIRECT, 'http://localhost:47002/second'] });
    const { challenge } = pkce();
    const cases: Array<[string, AuthorizeParams]> = [
      ['unregistered redirect', { client_id: client.client_id, redirect_uri: 'http://127.0.0.1:47001/elsewhere', code_challenge: challenge }],
      ['foreign redirect', { client_id: client.client_id, redirect_uri: 'https://evil.example/cb', code_challenge: challenge }],
      ['ambiguous redirect', { client_id: client.client_id, code_challenge: challenge }],
      ['unknown client', { client_id: 'sbc_unknown', redirect_uri: APP_REDIRECT, code_challenge: challenge }],
    ];
    for (const [what, p] of cases) {
      const res = await fetch(authorizeURL(p), { redirect: 'manual' });
      expect(res.status, what).toBe(400);
      expect(res.headers.get('location'), what).toBeNull();
      expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
      expect(res.headers.get('set-cookie'), what).toBeNull();
      expect(await res.text(), what).toContain('cannot be used');
    }
    const none = await fetch(`${s.baseURL}/oauth/authorize`, { redirect: 'manual' });
    expect(none.status).toBe(400);
  });

  it('refuses approval without the session, with a wrong CSRF token or from a foreign Origin', async () => {
    const client = await register();
    const page = await consent({ client_id: client.client_id, code_challenge: pkce().challenge, state: 'csrf' });
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['no cookie', page.fields, {}],
      ['unknown session', page.fields, { cookie: 'sb_session=forged' }],
      ['wrong CSRF token', { ...page.fields, csrf_token: 'x'.repeat(43) }, { cookie: page.cookie! }],
      ['no CSRF token', { ...page.fields, csrf_token: '' }, { cookie: page.cookie! }],
      ['foreign Origin', page.fields, { cookie: page.cookie!, origin: 'https://evil.example' }],
      ['other local Origin', page.fields, { cookie: page.cookie!, origin: 'http://localhost:3000' }],
    ];
    for (const [what, fields, headers] of cases) {
      const res = await decide(fields, 'approve', headers);
      expect(res.status, what).toBe(403);
      expect(res.headers.get('location'), what).toBeNull();
      expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
    }
    // The same form, sent properly, still works.
    const ok = await decide(page.fields, 'approve', { cookie: page.cookie!, origin: new URL(s.baseURL).origin });
    expect(ok.status).toBe(302);
  });

  it('sends access_denied back with the state when the user denies', async () => {
    const client = await register();
    const page = await consent({ client_id: client.client_id, code_challenge: pkce().challenge, state: 'no-thanks' });
    const res = await decide(page.fields, 'deny', { cookie: page.cookie! });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('no-thanks');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('escapes the app name on the consent page', async () => {
    const client = await register({ client_name: '<script>alert(1)</script> & "Co"' });
    const page = await consent({ client_id: client.client_id, code_challenge: pkce().challenge });
    expect(page.html).not.toContain('<script>');
    expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
  });

  it('asks a browser that is not on this machine to sign in with a write token first', async () => {
    const client = await register({ client_name: 'Remote App' });
    const { verifier, challenge } = pkce();
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    const page = await consent({ client_id: client.client_id, code_challenge: challenge, state: 'r' }, forwarded);
    expect(page.res.status).toBe(200);
    expect(page.cookie).toBeUndefined();
    expect(page.html).toContain('Sign in');
    expect(page.html).toContain('Remote App');
    expect(page.fields.csrf_token).toBeUndefined();
    const authorizeQuery = page.fields.authorize_query!;

    const wrong = await post('/oauth/session', { token: `sb_${'Q'.repeat(43)}`, authorize_query: authorizeQuery }, { headers: forwarded });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const readOnly = await post('/oauth/session', { token: s.readToken, authorize_query: authorizeQuery }, { headers: forwarded });
    expect(readOnly.status).toBe(403);
    expect(await readOnly.text()).toContain('write scope');
    const foreign = await post('/oauth/session', { token: s.token, authorize_query: authorizeQuery }, { headers: { ...forwarded, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);

    const signedIn = await post('/oauth/session', { token: s.token, authorize_query: authorizeQuery }, { headers: forwarded });
    expect(signedIn.status).toBe(303);
    const cookie = /^(sb_session=[^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toBeTruthy();
    const back = signedIn.headers.get('location')!;
    expect(back.startsWith('/oauth/authorize?')).toBe(true);

    const consentPage = await fetch(`${s.baseURL}${back}`, { headers: { ...forwarded, cookie: cookie! } });
    const html = await consentPage.text();
    expect(html).toContain('Approve');
    const res = await decide(hiddenFields(html), 'approve', { ...forwarded, cookie: cookie! });
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    expect((await exchange(client, code, verifier)).status).toBe(200);
  });
});

describe('registration', () => {
  it('accepts https, loopback http and private-use schemes', async () => {
    const uris = ['https://app.example.com/cb', 'http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb', 'com.example.app:/cb'];
    const client = await register({ redirect_uris: uris, client_name: undefined });
    expect(client.redirect_uris).toEqual(uris);
    expect(client.client_name).toBe('Unnamed app');
    expect(client.scope).toBe('read write');
  });

  it('refuses other redirect URIs with invalid_redirect_uri', async () => {
    for (const uri of ['http://evil.example/cb', 'https://app.example.com/cb#frag', 'javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'not a uri', '/relative', 'https://user:pw@app.example.com/cb']) {
      const res = await post('/oauth/register', { client_name: 'Bad', redirect_uris: [uri] }, { json: true });
      const body = await oauthError(res, 400, 'invalid_redirect_uri');
      expect(body.error_description, uri).toBeTruthy();
    }
    await oauthError(await post('/oauth/register', { client_name: 'None' }, { json: true }), 400, 'invalid_redirect_uri');
    const empty = await fetch(`${s.baseURL}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [] }) });
    await oauthError(empty, 400, 'invalid_redirect_uri');
  });

  it('refuses confidential clients, other grants and unknown scopes with invalid_client_metadata', async () => {
    const bad: Array<Record<string, unknown>> = [
      { token_endpoint_auth_method: 'client_secret_basic' },
      { grant_types: ['authorization_code', 'client_credentials'] },
      { response_types: ['token'] },
      { scope: 'read admin' },
      { client_name: 42 },
    ];
    for (const extra of bad) {
      const res = await fetch(`${s.baseURL}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [APP_REDIRECT], ...extra }) });
      await oauthError(res, 400, 'invalid_client_metadata');
    }
  });
});

describe('registration of clients that also ask for refresh tokens', () => {
  it('registers them for authorization_code only, since there are no refresh tokens', async () => {
    const res = await fetch(`${s.baseURL}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [APP_REDIRECT], client_name: 'MCP host', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { grant_types: string[] }).grant_types).toEqual(['authorization_code']);
  });
});

describe('userinfo', () => {
  it('needs a valid token', async () => {
    const res = await fetch(`${s.baseURL}/oauth/userinfo`);
    await oauthError(res, 401, 'invalid_token');
    const me = (await (await fetch(`${s.baseURL}/oauth/userinfo`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ sub: 'switchboard-local-user', scope: 'read write' });
    expect(me.client_id).toBeUndefined();
  });
});

describe('the command line', () => {
  it('lists OAuth tokens with their app, and revokes them', async () => {
    const client = await register({ client_name: 'Listed App' });
    const grant = await tokenFor(client);
    const line = (await cli('token', 'list', '--data-dir', s.dataDir)).stdout.split('\n').find((l) => l.includes(`client ${client.client_id} (Listed App)`))!;
    expect(line).toBeDefined();
    expect(line).toContain('\tactive\t');
    expect(line).toMatch(/\texpires \d{4}-/);
    expect(line).toContain('OAuth: Listed App');
    const id = line.split('\t')[0]!;
    expect((await cli('token', 'revoke', id, '--data-dir', s.dataDir)).stdout).toContain(`Revoked ${id}`);
    await apiError(s.sdk(grant.access_token).accounts.list(), 401, 'UNAUTHORIZED');
    expect(await introspect(grant.access_token)).toEqual({ active: false });
  });
});
