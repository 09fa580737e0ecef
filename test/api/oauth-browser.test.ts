// The consent page in a real browser (Debian's Chromium through playwright-core):
// what it shows — read from the DOM and, with tesseract, from a screenshot — and
// that pressing Approve lands on the app's redirect URI with a code that works.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get install -y chromium tesseract-ocr';
const run = promisify(execFile);

let s: TestServer;
let browser: Browser | undefined;
let app: HttpServer;
let appBase = '';
const hits: string[] = [];
const shots = mkdtempSync(join(tmpdir(), 'switchboard-oauth-shots-'));

beforeAll(async () => {
  s = await startTestServer();
  // The third-party app's redirect target: a tiny page on the loopback.
  app = createHttpServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Acme Notes</title><p>Signed in.</p>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const address = app.address();
  appBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => app?.close(resolve));
  await s?.stop();
  rmSync(shots, { recursive: true, force: true });
});

/** Fails (never skips) when a system tool the test needs is missing. */
async function requireTools() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}; this test needs it. Install it with: ${INSTALL}`);
  try {
    await run('tesseract', ['--version']);
  } catch {
    throw new Error(`tesseract (OCR) is not installed; this test needs it. Install it with: ${INSTALL}`);
  }
}

const words = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('consent in a real browser', () => {
  it('shows the app and its scopes (also to OCR), and Approve returns to the app with a working code', async () => {
    await requireTools();
    const redirectURI = `${appBase}/callback`;
    const reg = await fetch(`${s.baseURL}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Acme Notes', redirect_uris: [redirectURI], scope: 'read write' }),
    });
    expect(reg.status).toBe(201);
    const client = (await reg.json()) as { client_id: string };

    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = randomBytes(12).toString('base64url');
    const authorize = `${s.baseURL}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: redirectURI, code_challenge: challenge, code_challenge_method: 'S256', scope: 'read write', state })}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const response = await page.goto(authorize);
    expect(response?.status()).toBe(200);

    // What the DOM says.
    const text = words(await page.innerText('body'));
    expect(text).toContain('Acme Notes');
    expect(text).toContain('Read your chats, messages and contacts');
    expect(text).toContain('Send messages and change chats on your behalf');
    expect(text).toContain(new URL(appBase).host);

    // What the screen shows, read back by OCR.
    const png = join(shots, 'consent.png');
    await page.screenshot({ path: png, fullPage: true });
    const { stdout } = await run('tesseract', [png, 'stdout'], { timeout: 15_000 });
    const seen = words(stdout);
    if (process.env.SHOW_OCR) process.stdout.write(`\n--- tesseract ---\n${stdout}\n-----------------\n`);
    expect(seen, 'OCR of the consent page').toContain('Acme Notes');
    for (const word of 'Read your chats messages and contacts Send messages and change chats on your behalf'.split(' ')) {
      expect(seen.toLowerCase(), `OCR finds "${word}" in:\n${stdout}`).toContain(word.toLowerCase());
    }

    // Approve: the browser follows the redirect to the app, with a code and the same state.
    const browserLog: string[] = [];
    page.on('console', (m) => browserLog.push(m.text()));
    page.on('response', (r) => browserLog.push(`${r.status()} ${r.url()}`));
    try {
      await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectURI), { timeout: 10_000 }), page.getByRole('button', { name: 'Approve' }).click()]);
    } catch (err) {
      throw new Error(`Approve did not lead to ${redirectURI}. The browser saw:\n${browserLog.join('\n')}`, { cause: err });
    }
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe(state);
    const code = landed.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hits.some((h) => h.startsWith('/callback?'))).toBe(true);

    // The app exchanges the code and uses the token.
    const res = await fetch(`${s.baseURL}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectURI, client_id: client.client_id, code_verifier: verifier }).toString(),
    });
    expect(res.status).toBe(200);
    const grant = (await res.json()) as { access_token: string; scope: string };
    expect(grant.scope).toBe('read write');
    const chats = await s.sdk(grant.access_token).chats.list();
    expect(chats.items.length).toBeGreaterThan(0);
  });
});
