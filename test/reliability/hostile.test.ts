// Hostile requests against a real server: DNS rebinding, cross-origin
// preflights, path traversal and symlink escapes on every parameter that takes a
// file, URLs the server must never fetch, header injection through file names,
// brute-forced tokens, and secrets that must never reach a log line or an error.
// (Body sizes, memory and slow clients are in limits.test.ts.)
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as netServer, type Server as NetServer } from 'node:net';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/server.ts';
import { makePng } from '../../src/networks/sandbox/media.ts';
import { createRng } from '../../src/networks/sandbox/rng.ts';
import { envelopeProblems, raw, rawSocket, report, ROOT, startRelServer, tempDir, type RawResponse, type RelServer } from './harness.ts';

const run = promisify(execFile);
const ENV_TOKEN = `sb_env_${randomBytes(24).toString('base64url')}`;

let s: RelServer;
let port: number;
let auth: Record<string, string>;
let outside: string;
let secret: string;
let dm: { id: string };
let group: { id: string; imgURL?: string | null };
let insidePng: string;
/** Every response worth scanning for secrets at the end (error bodies and all headers). */
const seen: Array<{ what: string; res: RawResponse }> = [];
const counts: Record<string, number> = {};
const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

beforeAll(async () => {
  s = await startRelServer({ logLevel: 'trace', envToken: ENV_TOKEN });
  port = s.port;
  auth = { authorization: `Bearer ${s.token}` };
  dm = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-whatsapp&type=single&limit=5', { headers: auth })).json().items[0];
  group = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-whatsapp&type=group&limit=5', { headers: auth })).json().items[0];
  outside = tempDir('switchboard-outside-');
  secret = `TOP SECRET ${randomBytes(8).toString('hex')}`;
  writeFileSync(join(outside, 'secret.txt'), `${secret}\n`);
  writeFileSync(join(outside, 'secret.png'), Buffer.concat([Buffer.from(makePng(createRng(5), 8, 8)), Buffer.from(secret)]));
  mkdirSync(join(s.dataDir, 'uploads', 'sub'), { recursive: true });
  symlinkSync(join(outside, 'secret.txt'), join(s.dataDir, 'uploads', 'link-out.txt'));
  symlinkSync(join(outside, 'secret.png'), join(s.dataDir, 'uploads', 'link-out.png'));
  symlinkSync(outside, join(s.dataDir, 'uploads', 'dirlink'));
  symlinkSync('/etc/passwd', join(s.dataDir, 'uploads', 'sub', 'passwd'));
  insidePng = join(s.dataDir, 'uploads', 'inside.png');
  writeFileSync(insidePng, Buffer.from(makePng(createRng(6), 8, 8)));
}, 60_000);

afterAll(async () => {
  report('hostile requests', counts);
  await s?.stop();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

async function req(method: string, path: string, o: { headers?: Record<string, string>; body?: unknown; form?: string; localAddress?: string; what?: string } = {}) {
  const headers: Record<string, string> = { ...auth, ...o.headers };
  let body: string | undefined;
  if (o.body !== undefined) (headers['content-type'] ??= 'application/json'), (body = JSON.stringify(o.body));
  if (o.form !== undefined) (headers['content-type'] = 'application/x-www-form-urlencoded'), (body = o.form);
  const res = await raw(s.baseURL, method, path, { headers, body, localAddress: o.localAddress });
  seen.push({ what: o.what ?? `${method} ${path}`, res });
  return res;
}

const mcp = (name: string, args: Record<string, unknown>, headers: Record<string, string> = {}) =>
  req('POST', '/v0/mcp', { headers: { accept: 'application/json, text/event-stream', ...headers }, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } } });

function expectRefused(res: RawResponse, what: string, statuses = [400, 403, 404]) {
  expect({ what, status: res.status, body: res.text.slice(0, 200) }).toMatchObject({ what, status: expect.toSatisfy((x: number) => statuses.includes(x)) });
  expect(envelopeProblems(res), what).toEqual([]);
}

// ---------------------------------------------------------------- DNS rebinding

describe('DNS rebinding: only this machine, by name, on this port', () => {
  const foreign = () => [
    'evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1:${port}.evil.example`, `localhost:${port + 1}`,
    '127.0.0.1', `0.0.0.0:${port}`, `[::ffff:127.0.0.1]:${port}`, `2130706433:${port}`, `127.1:${port}`, `localhost.:${port}`, `127.0.0.1:${port}@evil.example`, `evil.example#@127.0.0.1:${port}`,
  ];

  it('refuses every route (table, MCP, OAuth, discovery) with 403 HOST_NOT_ALLOWED for a foreign Host, with a valid token', async () => {
    const routes = routeTable({ info: () => ({}) as never, spec: () => ({}) });
    const paths = [
      ...routes.map((r) => ({ method: r.method, path: r.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(n === 'chatID' ? dm.id : n === 'accountID' ? 'sandbox-whatsapp' : 'x')) })),
      { method: 'POST', path: '/v0/mcp' }, { method: 'GET', path: '/oauth/authorize' }, { method: 'POST', path: '/oauth/token' }, { method: 'GET', path: '/.well-known/oauth-authorization-server' },
      { method: 'GET', path: '/.well-known/oauth-protected-resource' }, { method: 'GET', path: '/oauth/userinfo' }, { method: 'GET', path: '/no/such/route' },
    ];
    let n = 0;
    for (const host of foreign()) {
      for (const { method, path } of paths) {
        const res = await req(method, path, { headers: { host }, body: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined, what: `Host ${host}` });
        expect({ host, method, path, status: res.status, code: res.json().code }).toEqual({ host, method, path, status: 403, code: 'HOST_NOT_ALLOWED' });
        n++;
      }
    }
    bump('foreign-Host requests refused', n);
  }, 60_000);

  it('refuses the WebSocket upgrade for a foreign Host', async () => {
    for (const host of foreign().slice(0, 6)) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers: { ...auth, host } });
        ws.once('upgrade', () => (ws.close(), resolve(101)));
        ws.once('unexpected-response', (_r, res) => (res.resume(), resolve(res.statusCode ?? 0)));
        ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
      });
      expect({ host, status }).toEqual({ host, status: 403 });
    }
  });

  it('refuses a request without a Host (HTTP/1.0) and one with an empty Host; HTTP/1.1 without Host is a 400 from the parser', async () => {
    expect(await rawSocket(port, `GET /v1/accounts HTTP/1.0\r\nAuthorization: Bearer ${s.token}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403[^]*HOST_NOT_ALLOWED/);
    expect(await rawSocket(port, `GET /v1/accounts HTTP/1.1\r\nHost:\r\nAuthorization: Bearer ${s.token}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (400|403)/);
    const noHost = await rawSocket(port, `GET /v1/accounts HTTP/1.1\r\nAuthorization: Bearer ${s.token}\r\nConnection: close\r\n\r\n`);
    expect(noHost).toMatch(/^HTTP\/1\.1 400/);
    expect(noHost).not.toContain('accountID');
  });

  it('accepts the loopback names with the port, in any case', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect({ host, status: (await req('GET', '/v1/accounts', { headers: { host } })).status }).toEqual({ host, status: 200 });
    }
  });
});

// ---------------------------------------------------------------- CORS

describe('CORS: foreign origins get no access', () => {
  const origins = () => ['https://evil.example', 'http://evil.example', 'null', 'http://127.0.0.1.evil.example', `http://localhost.evil.example:${port}`, 'file://', 'http://localhost@evil.example', `https://evil.example:${port}`, 'chrome-extension://abcdef'];
  const paths = ['/v1/chats', `/v1/chats/${encodeURIComponent('!x:y')}/messages`, '/v1/assets/upload', '/v0/mcp', '/oauth/token', '/oauth/authorize', '/sandbox/v1/reset', '/v1/info'];

  it('answers preflights from foreign origins without Access-Control-Allow-Origin', async () => {
    let n = 0;
    for (const origin of origins()) {
      for (const path of paths) {
        const res = await req('OPTIONS', path, { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
        expect({ origin, path, acao: res.headers['access-control-allow-origin'], creds: res.headers['access-control-allow-credentials'] }).toEqual({ origin, path, acao: undefined, creds: undefined });
        expect(res.status, `${origin} ${path}`).toBeLessThan(500);
        n++;
      }
      const get = await req('GET', '/v1/accounts', { headers: { origin } });
      expect(get.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    bump('foreign-origin preflights without access', n);
  });

  it('lets local pages in, and anyone read the public discovery documents', async () => {
    const local = await req('OPTIONS', '/v1/chats', { headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const discovery = await req('GET', '/.well-known/oauth-authorization-server', { headers: { origin: 'https://evil.example' } });
    expect(discovery.headers['access-control-allow-origin']).toBe('*');
    expect(discovery.text).not.toContain('sb_');
  });
});

// ---------------------------------------------------------------- files

describe('path traversal and symlink escapes on every parameter that takes a file', () => {
  const escapes = () => {
    const out = join(outside, 'secret.txt');
    const name = basename(outside);
    const paths = [
      '/etc/passwd', out, `${s.dataDir}/../${name}/secret.txt`, `${s.dataDir}/uploads/../../${name}/secret.txt`, `${s.dataDir}/uploads/link-out.txt`, `${s.dataDir}/uploads/link-out.png`,
      `${s.dataDir}/uploads/dirlink/secret.txt`, `${s.dataDir}/uploads/dirlink/secret.png`, `${s.dataDir}/uploads/sub/passwd`, `${s.dataDir}/uploads/sub/../../../${name}/secret.txt`,
      `${s.dataDir}/uploads/x\u0000/../../../../etc/passwd`, `${s.dataDir}/${'a/'.repeat(2_100)}x`,
    ];
    return [
      ...paths,
      ...paths.filter((p) => !p.includes('\u0000')).map((p) => pathToFileURL(p).href),
      `file://${s.dataDir}/%2e%2e/${name}/secret.txt`, `file://${s.dataDir}/uploads/%2e%2e%2f%2e%2e%2f${name}/secret.txt`, `file://localhost${out}`, `file:///${out}`, `file:${out}`,
      'file://evil.example/etc/passwd', 'file:///etc/passwd%00.png', 'secret.txt', '../secret.txt', 'uploads/../../secret.txt', '~/secret.txt', '', ' ', 'file://', 'file:///',
    ];
  };

  const leaks = (res: RawResponse) => res.text.includes(secret) || /root:.*:0:0:/.test(res.text) || res.body.includes(Buffer.from(secret));

  it('GET /v1/assets/serve?url= serves nothing outside the data directory', async () => {
    for (const url of escapes()) {
      const res = await req('GET', `/v1/assets/serve?url=${encodeURIComponent(url)}`, { what: `serve ${url.slice(0, 80)}` });
      expectRefused(res, `serve ${url.slice(0, 120)}`, [400, 403, 404]);
      expect(leaks(res), url).toBe(false);
    }
    bump('file escapes refused', escapes().length);
    expect((await req('GET', `/v1/assets/serve?url=${encodeURIComponent(pathToFileURL(insidePng).href)}`)).status).toBe(200);
  });

  it('POST /v1/focus draftAttachmentPath: refused, and the draft and uploads stay as they were', async () => {
    const uploads = () => s.db.prepare('SELECT count(*) FROM uploads').pluck().get();
    const before = { draft: s.db.prepare('SELECT draft FROM chats WHERE id = ?').pluck().get(dm.id), uploads: uploads() };
    for (const path of escapes()) {
      const res = await req('POST', '/v1/focus', { body: { chatID: dm.id, draftText: 'x', draftAttachmentPath: path }, what: `focus ${path.slice(0, 80)}` });
      if (path === '' || path === ' ') {
        // No path at all: only the text is drafted (then cleared again below).
        await req('PATCH', `/v1/chats/${encodeURIComponent(dm.id)}`, { body: { draft: null } });
        continue;
      }
      expectRefused(res, `focus ${path.slice(0, 120)}`, [400, 403, 404]);
      expect(leaks(res), path).toBe(false);
      expect({ path, draft: s.db.prepare('SELECT draft FROM chats WHERE id = ?').pluck().get(dm.id), uploads: uploads() }).toEqual({ path, ...before });
    }
    bump('file escapes refused', escapes().length);
    const ok = await req('POST', '/v1/focus', { body: { chatID: dm.id, draftAttachmentPath: insidePng } });
    expect(ok.status).toBe(200);
    await req('PATCH', `/v1/chats/${encodeURIComponent(dm.id)}`, { body: { draft: null } });
  });

  it('PATCH /v1/chats/{id} imgURL: refused, and the picture stays as it was', async () => {
    const img = () => s.db.prepare('SELECT img_url FROM chats WHERE id = ?').pluck().get(group.id);
    const before = img();
    for (const path of escapes()) {
      if (path === '' || path === ' ') continue;
      const res = await req('PATCH', `/v1/chats/${encodeURIComponent(group.id)}`, { body: { imgURL: path }, what: `imgURL ${path.slice(0, 80)}` });
      expectRefused(res, `imgURL ${path.slice(0, 120)}`, [400, 403, 404]);
      expect(leaks(res), path).toBe(false);
      expect({ path, img: img() }).toEqual({ path, img: before });
    }
    bump('file escapes refused', escapes().length);
    expect((await req('PATCH', `/v1/chats/${encodeURIComponent(group.id)}`, { body: { imgURL: insidePng } })).status).toBe(200);
  });

  it('MCP send_message attachment.path over HTTP: a tool error, and nothing is sent', async () => {
    const messages = () => s.db.prepare('SELECT count(*) FROM messages m JOIN chats c ON c.local_id = m.chat_local_id WHERE c.id = ?').pluck().get(dm.id);
    const before = messages();
    for (const path of escapes()) {
      const res = await mcp('send_message', { chatID: dm.id, text: 'with a file', attachment: { path } });
      expect(res.status, path).toBe(200);
      const body = res.json();
      expect({ path, isError: body.result?.isError ?? !!body.error }).toEqual({ path, isError: true });
      expect(leaks(res), path).toBe(false);
    }
    expect(messages()).toBe(before);
    bump('file escapes refused', escapes().length);
    const ok = (await mcp('send_message', { chatID: dm.id, text: 'with a file', attachment: { path: insidePng } })).json();
    expect(ok.result?.isError ?? false).toBe(false);
  }, 60_000);
});

describe("the data directory's own files are not files to hand out", () => {
  // The data directory holds more than media: the SQLite database (every message,
  // token hashes, OAuth clients) and secrets/ with the XMPP passwords (README: the
  // password is "never in the database, the logs or the API"). The file
  // parameters accept any file inside the data directory, so all of these are
  // readable with a read-only token through /v1/assets/serve, and can be attached
  // to a draft or a message with a write token. Expected: refused (403).
  const internal = () => [
    join(s.dataDir, 'secrets', 'xmpp-alice-example-org.password'),
    join(s.dataDir, 'switchboard.db'),
    join(s.dataDir, 'switchboard.db-wal'),
    join(s.dataDir, 'switchboard-search.db'),
  ];
  beforeAll(() => {
    mkdirSync(join(s.dataDir, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(s.dataDir, 'secrets', 'xmpp-alice-example-org.password'), 'hunter2-in-the-data-dir', { mode: 0o600 });
  });

  it('GET /v1/assets/serve does not serve the XMPP password files or the database (read-only token)', async () => {
    const served: string[] = [];
    for (const path of internal()) {
      const res = await req('GET', `/v1/assets/serve?url=${encodeURIComponent(pathToFileURL(path).href)}`, { headers: { authorization: `Bearer ${s.readToken}` } });
      if (res.status === 200) served.push(`${basename(path)} (${res.body.length} bytes${res.text.includes('hunter2') ? ', the password' : ''})`);
    }
    expect(served, 'internal files served').toEqual([]);
  });

  it('POST /v1/focus and MCP send_message do not attach them', async () => {
    const attached: string[] = [];
    for (const path of internal()) {
      const focus = await req('POST', '/v1/focus', { body: { chatID: dm.id, draftAttachmentPath: path } });
      if (focus.status === 200) attached.push(`focus ${basename(path)}`);
      await req('PATCH', `/v1/chats/${encodeURIComponent(dm.id)}`, { body: { draft: null } });
      const tool = (await mcp('send_message', { chatID: dm.id, text: 'x', attachment: { path } })).json();
      if (!(tool.result?.isError ?? !!tool.error)) attached.push(`MCP ${basename(path)}`);
    }
    expect(attached, 'internal files attached').toEqual([]);
  });
});

describe('URLs other than mxc:// are never fetched', () => {
  let listener: NetServer;
  let connections = 0;
  beforeAll(async () => {
    listener = netServer((sock) => {
      connections++;
      sock.end('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG');
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  });
  afterAll(() => listener?.close());

  it('refuses http(s), javascript:, data:, file:// with a host and protocol-relative URLs everywhere, and the listener hears nothing', async () => {
    const lp = (listener.address() as { port: number }).port;
    const urls = [
      `http://127.0.0.1:${lp}/x.png`, `https://127.0.0.1:${lp}/x.png`, `http://localhost:${lp}/x.png`, `//127.0.0.1:${lp}/x.png`, `ftp://127.0.0.1:${lp}/x.png`, `gopher://127.0.0.1:${lp}/_x`,
      `ws://127.0.0.1:${lp}/`, `file://127.0.0.1:${lp}/etc/passwd`, `mxc://127.0.0.1:${lp}/x`, `localmxc://127.0.0.1:${lp}/x`, `HTTP://127.0.0.1:${lp}/x`, ` http://127.0.0.1:${lp}/x`,
      `http://[::ffff:7f00:1]:${lp}/x`, 'javascript:alert(1)', 'data:image/png;base64,iVBORw0KGgo=', 'data:text/html,<script>alert(1)</script>', 'blob:http://127.0.0.1/x',
    ];
    for (const url of urls) {
      const enc = encodeURIComponent(url);
      const results = [
        ['download', await req('POST', '/v1/assets/download', { body: { url } })],
        ['serve', await req('GET', `/v1/assets/serve?url=${enc}`)],
        ['imgURL', await req('PATCH', `/v1/chats/${encodeURIComponent(group.id)}`, { body: { imgURL: url } })],
        ['focus', await req('POST', '/v1/focus', { body: { chatID: dm.id, draftAttachmentPath: url } })],
        ['send uploadID', await req('POST', `/v1/chats/${encodeURIComponent(dm.id)}/messages`, { body: { text: 'x', attachment: { uploadID: url } } })],
        ['draft uploadID', await req('PATCH', `/v1/chats/${encodeURIComponent(dm.id)}`, { body: { draft: { text: 'x', attachments: { a: { uploadID: url } } } } })],
      ] as const;
      for (const [where, res] of results) expectRefused(res, `${where} ${url}`, [400, 403, 404, 422]);
      const tool = (await mcp('send_message', { chatID: dm.id, text: 'x', attachment: { path: url } })).json();
      expect(tool.result?.isError ?? !!tool.error, url).toBe(true);
    }
    // OAuth client metadata full of URLs: registering and showing the consent page fetches none of them.
    const reg = await req('POST', '/oauth/register', {
      body: {
        client_name: 'fetch me', redirect_uris: [`http://127.0.0.1:${lp}/cb`], logo_uri: `http://127.0.0.1:${lp}/logo.png`, client_uri: `http://127.0.0.1:${lp}/`, jwks_uri: `http://127.0.0.1:${lp}/jwks`,
        policy_uri: `http://127.0.0.1:${lp}/p`, tos_uri: `http://127.0.0.1:${lp}/t`, sector_identifier_uri: `http://127.0.0.1:${lp}/s`, initiate_login_uri: `https://127.0.0.1:${lp}/i`,
      },
    });
    expect(reg.status).toBe(201);
    const page = await req('GET', `/oauth/authorize?response_type=code&client_id=${reg.json().client_id}&redirect_uri=${encodeURIComponent(`http://127.0.0.1:${lp}/cb`)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&state=x`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('logo.png');
    await new Promise((r) => setTimeout(r, 300));
    expect(connections, 'connections the server made to the listener').toBe(0);
    bump('URLs refused without a fetch', urls.length * 7);
  }, 60_000);
});

describe('header injection through file names', () => {
  const names = [
    'evil\r\nSet-Cookie: pwned=1\r\n.png', 'evil\nX-Injected: 1.txt', 'a"b\\c".txt', 'naïve 文件 😀.txt', 'x;filename=evil.exe', '%0d%0aX-Injected:%201.txt', 'line\u2028sep.txt', '../../etc/passwd', '\u0000nul.txt',
    'quote"; filename*=UTF-8\'\'evil.exe', `${'long'.repeat(100)}.txt`,
  ];

  function expectSafeDisposition(res: RawResponse, what: string) {
    expect(res.status, what).toBe(200);
    const dispositions = res.rawHeaders.filter((_, i) => i % 2 === 0 && res.rawHeaders[i]!.toLowerCase() === 'content-disposition');
    expect(dispositions.length, `${what}: one Content-Disposition`).toBe(1);
    const value = String(res.headers['content-disposition']);
    expect(value, what).toMatch(/^inline; filename="[\x20-\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!'()*._~-]*$/);
    expect(res.headers['set-cookie'], what).toBeUndefined();
    expect(res.headers['x-injected'], what).toBeUndefined();
  }

  it('an uploaded file named with CR LF, quotes and non-ASCII is served with one safe Content-Disposition', async () => {
    for (const fileName of names) {
      const up = await req('POST', '/v1/assets/upload/base64', { body: { content: Buffer.from('hello').toString('base64'), fileName } });
      expect(up.status, fileName).toBe(200);
      const { srcURL, fileName: stored } = up.json();
      expect(stored, fileName).not.toMatch(/[\r\n\u0000"]/);
      expectSafeDisposition(await req('GET', `/v1/assets/serve?url=${encodeURIComponent(srcURL)}`), fileName);
      // The same name as the multipart form's fileName field.
      const b = 'injectionboundary';
      const form = `--${b}\r\nContent-Disposition: form-data; name="fileName"\r\n\r\n${fileName}\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${b}--\r\n`;
      const mp = await raw(s.baseURL, 'POST', '/v1/assets/upload', { headers: { ...auth, 'content-type': `multipart/form-data; boundary=${b}` }, body: form });
      expect(mp.status, fileName).toBe(200);
      expectSafeDisposition(await req('GET', `/v1/assets/serve?url=${encodeURIComponent(mp.json().srcURL)}`), `multipart ${fileName}`);
    }
    bump('hostile file names served safely', names.length * 2);
  });

  it('an attachment renamed at send time (attachment.fileName) is served by its media URL with one safe Content-Disposition', async () => {
    const up = (await req('POST', '/v1/assets/upload/base64', { body: { content: Buffer.from(`media ${Date.now()}`).toString('base64'), fileName: 'plain.txt' } })).json();
    for (const fileName of names.slice(0, 6)) {
      const sent = await req('POST', `/v1/chats/${encodeURIComponent(dm.id)}/messages`, { body: { attachment: { uploadID: up.uploadID, fileName } } });
      expect(sent.status, fileName).toBe(200);
      const m = (await req('GET', `/v1/chats/${encodeURIComponent(dm.id)}/messages/${encodeURIComponent(sent.json().pendingMessageID)}`)).json();
      expectSafeDisposition(await req('GET', `/v1/assets/serve?url=${encodeURIComponent(m.attachments[0].id)}`), `media ${fileName}`);
    }
    bump('hostile file names served safely', 6);
  });
});

// ---------------------------------------------------------------- tokens

describe('brute-forcing tokens', () => {
  it('answers 429 with Retry-After after 30 failures from one client, on every authenticated surface, to valid tokens too', async () => {
    const ip = '127.0.0.201';
    for (let i = 0; i < 30; i++) {
      const res = await req('GET', '/v1/accounts', { headers: { authorization: `Bearer sb_${randomBytes(32).toString('base64url')}` }, localAddress: ip });
      expect(res.status, `attempt ${i + 1}`).toBe(401);
    }
    const limited = await req('GET', '/v1/accounts', { headers: { authorization: `Bearer sb_${randomBytes(32).toString('base64url')}` }, localAddress: ip });
    expect(limited.status).toBe(429);
    expect(envelopeProblems(limited)).toEqual([]);
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    // The right token does not get through while the client is locked out (or guessing would go on).
    expect((await req('GET', '/v1/accounts', { localAddress: ip })).status).toBe(429);
    const mcpRes = await raw(s.baseURL, 'POST', '/v0/mcp', { headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', localAddress: ip });
    expect(mcpRes.status).toBe(429);
    expect(mcpRes.headers['retry-after']).toBeTruthy();
    const token = await raw(s.baseURL, 'POST', '/oauth/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x', localAddress: ip });
    expect(token.status).toBe(429);
    const introspect = await raw(s.baseURL, 'POST', '/oauth/introspect', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${s.token}`, localAddress: ip });
    expect(introspect.status).toBe(429);
    const ws = await new Promise<number>((resolve) => {
      const c = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers: auth, localAddress: ip });
      c.once('upgrade', () => (c.close(), resolve(101)));
      c.once('unexpected-response', (_r, res) => (res.resume(), resolve(res.statusCode ?? 0)));
      c.once('error', () => undefined);
    });
    expect(ws).toBe(429);
    // Another client is not affected.
    expect((await req('GET', '/v1/accounts', { localAddress: '127.0.0.202' })).status).toBe(200);
    bump('brute-force attempts before 429', 30);
  });

  it('compares tokens only by their SHA-256 hash (looked up by hash; the environment token with timingSafeEqual)', async () => {
    const source = readFileSync(join(ROOT, 'src/core/services/tokens.ts'), 'utf8');
    const check = source.slice(source.indexOf('async check('), source.indexOf('\n  }\n', source.indexOf('async check(')));
    const hashAt = check.indexOf('hash(m[1]');
    expect(hashAt, 'check() hashes the presented token').toBeGreaterThan(0);
    expect(check.indexOf('getTokenByHash('), 'the lookup comes after hashing').toBeGreaterThan(hashAt);
    expect(check).toMatch(/timingSafeEqual\(/);
    expect(check, 'no direct comparison of the presented token').not.toMatch(/m\[1\]!?\s*(===|!==|==)/);
    // And what the store is asked for is the hash, never the token.
    const repo = s.running.core.repo;
    const original = repo.getTokenByHash.bind(repo);
    const asked: string[] = [];
    repo.getTokenByHash = async (h: string) => (asked.push(h), original(h));
    try {
      await req('GET', '/v1/accounts', { headers: { authorization: `Bearer ${s.readToken}` } });
    } finally {
      repo.getTokenByHash = original;
    }
    expect(asked).toEqual([createHash('sha256').update(s.readToken).digest('hex')]);
  });
});

describe('secrets never reach a log line or an error', () => {
  const secrets = new Map<string, string>();

  it('runs token creation, an OAuth flow, MCP, WebSocket and failed authentications with real-looking tokens', async () => {
    secrets.set('read-write token', s.token).set('read-only token', s.readToken).set('environment token', ENV_TOKEN);
    // The CLI creates a token on the same data directory while the server runs.
    const cli = await run(process.execPath, [join(ROOT, 'bin/switchboard.mjs'), 'token', 'create', '--scopes', 'read', '--label', 'cli', '--data-dir', s.dataDir], { cwd: ROOT, env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'trace' } });
    const cliToken = cli.stdout.trim().split(/\s+/).find((w) => w.startsWith('sb_'))!;
    expect(cliToken).toBeTruthy();
    expect(cli.stderr).not.toContain(cliToken);
    secrets.set('CLI token', cliToken);
    expect((await req('GET', '/v1/accounts', { headers: { authorization: `Bearer ${cliToken}` } })).status).toBe(200);
    expect((await req('GET', '/v1/accounts', { headers: { authorization: `Bearer ${ENV_TOKEN}` } })).status).toBe(200);
    const revoked = await s.running.core.tokens.create(['read', 'write'], 'revoked');
    await s.running.core.tokens.revoke(revoked.record.id);
    secrets.set('revoked token', revoked.token);

    // OAuth: register, consent (as a browser on this machine), code, token, use, introspect, userinfo, revoke, replay.
    const redirect = 'http://127.0.0.1:9/callback';
    const client = (await req('POST', '/oauth/register', { body: { client_name: 'Secret Keeper', redirect_uris: [redirect], scope: 'read write' } })).json();
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    secrets.set('PKCE verifier', verifier);
    const query = `response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(redirect)}&scope=read%20write&state=st4te&code_challenge=${challenge}&code_challenge_method=S256`;
    const consent = await req('GET', `/oauth/authorize?${query}`, { headers: {} });
    expect(consent.status).toBe(200);
    const cookie = String(consent.headers['set-cookie']).split(';')[0]!;
    secrets.set('consent session', cookie.split('=')[1]!);
    const fields = Object.fromEntries([...consent.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')]));
    secrets.set('CSRF token', fields.csrf_token!);
    const approved = await req('POST', '/oauth/authorize', { headers: { cookie, origin: s.baseURL }, form: new URLSearchParams({ ...fields, decision: 'approve' }).toString() });
    expect(approved.status).toBe(302);
    const code = new URL(String(approved.headers.location)).searchParams.get('code')!;
    secrets.set('authorization code', code);
    const exchange = await req('POST', '/oauth/token', { headers: {}, form: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: client.client_id, code_verifier: verifier }).toString() });
    expect(exchange.status).toBe(200);
    const oauthToken = exchange.json().access_token as string;
    secrets.set('OAuth access token', oauthToken);
    const bearer = { authorization: `Bearer ${oauthToken}` };
    expect((await req('GET', '/v1/accounts', { headers: bearer })).status).toBe(200);
    expect((await mcp('list_accounts', {}, bearer)).status).toBe(200);
    expect((await req('POST', '/oauth/introspect', { headers: {}, form: `token=${oauthToken}` })).json().active).toBe(true);
    expect((await req('GET', '/oauth/userinfo', { headers: bearer })).status).toBe(200);
    expect((await req('POST', '/oauth/token', { headers: {}, form: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: client.client_id, code_verifier: verifier }).toString() })).status).toBe(400);
    expect((await req('GET', '/v1/accounts', { headers: bearer })).status).toBe(401); // the replay revoked it
    expect((await req('POST', '/oauth/revoke', { headers: {}, form: `token=${oauthToken}` })).status).toBe(200);

    // Failed authentications with tokens that look real, on every surface.
    const flip = (t: string) => `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`;
    const lookalikes = [`sb_${randomBytes(32).toString('base64url')}`, flip(s.token), flip(ENV_TOKEN), `${ENV_TOKEN}x`, revoked.token, oauthToken];
    lookalikes.forEach((t, i) => secrets.set(`look-alike token ${i}`, t));
    let address = 150;
    for (const t of lookalikes) {
      const localAddress = `127.0.0.${address++}`;
      for (const authorization of [`Bearer ${t}`, `bearer ${t}`, `Token ${t}`, `Bearer ${t} ${t}`]) {
        expect((await req('GET', '/v1/chats', { headers: { authorization }, localAddress })).status).toBe(401);
      }
      expect((await req('POST', '/v0/mcp', { headers: { authorization: `Bearer ${t}`, accept: 'application/json, text/event-stream' }, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, localAddress })).status).toBe(401);
      expect((await req('GET', '/oauth/userinfo', { headers: { authorization: `Bearer ${t}` }, localAddress })).status).toBe(401);
      expect((await req('POST', '/oauth/introspect', { headers: {}, form: `token=${encodeURIComponent(t)}`, localAddress })).json().active).toBe(false);
      expect((await req('POST', '/oauth/session', { headers: {}, form: `token=${encodeURIComponent(t)}&authorize_query=`, localAddress })).status).toBe(401);
      const status = await new Promise<number>((resolve) => {
        const c = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers: { authorization: `Bearer ${t}` }, localAddress });
        c.once('upgrade', () => (c.close(), resolve(101)));
        c.once('unexpected-response', (_r, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (expect(body).not.toContain(t), resolve(res.statusCode ?? 0)));
        });
        c.once('error', () => undefined);
      });
      expect(status).toBe(401);
    }
    // A token where a token does not go: in the query string (refused, not echoed).
    const inQuery = await req('GET', `/v1/chats?access_token=${s.token}`);
    expect(inQuery.status).toBe(400);
  }, 60_000);

  it('has none of them in the captured log, in any error body or in any response header', async () => {
    await s.running.core.events.flushed();
    const log = s.logs.text();
    expect(s.logs.lines.length, 'the trace log captured something').toBeGreaterThan(50);
    const found: string[] = [];
    for (const [name, value] of secrets) {
      for (const line of s.logs.lines) if (line.includes(value)) found.push(`${name} in the log: ${line.slice(0, 400)}`);
      for (const { what, res } of seen) {
        const issuing = (name === 'OAuth access token' && what.startsWith('POST /oauth/token')) || (name === 'authorization code' && what.startsWith('POST /oauth/authorize')) || (['consent session', 'CSRF token'].includes(name) && what.startsWith('GET /oauth/authorize'));
        if (issuing) continue;
        if (res.status >= 400 && res.text.includes(value)) found.push(`${name} in the ${res.status} body of ${what}`);
        if (JSON.stringify(res.headers).includes(value)) found.push(`${name} in a response header of ${what}`);
        if (what.startsWith('POST /oauth/introspect') || what.startsWith('GET /oauth/userinfo')) if (res.text.includes(value)) found.push(`${name} echoed by ${what}`);
      }
    }
    expect(found).toEqual([]);
    report('secrets', { 'secrets checked': secrets.size, 'log lines scanned': s.logs.lines.length, 'responses scanned': seen.length, 'secrets found': found.length });
  });

  it('keeps no token, code or verifier in the database files', () => {
    const files = readdirSync(s.dataDir).filter((f) => f.startsWith('switchboard.db') || f.startsWith('switchboard-search.db'));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(s.dataDir, f))));
    const stored = [...secrets].filter(([, v]) => bytes.includes(Buffer.from(v))).map(([k]) => k);
    expect(stored).toEqual([]);
  });
});

describe('after all that', () => {
  it('the server still answers', async () => {
    expect((await raw(s.baseURL, 'GET', '/v1/info')).status).toBe(200);
    expect((await req('GET', '/v1/chats')).status).toBe(200);
  });
});
