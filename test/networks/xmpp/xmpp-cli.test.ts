// `switchboard accounts add xmpp …` and `accounts remove` as a person runs them:
// a real CLI process against the data directory of a running server, which picks
// the change up without a restart.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { waitFor } from '../../helpers/expect.ts';
import { passwordFile } from '../../../src/networks/xmpp/account.ts';
import { peer, startProsody, type Peer, type Prosody } from './harness.ts';

const run = promisify(execFile);
const BIN = new URL('../../../bin/switchboard.mjs', import.meta.url).pathname;
const ACCOUNT = 'xmpp-alice-localhost';
const PASSWORD = 'the-right-one';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, SWITCHBOARD_LOG_FORMAT: 'json', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let prosody: Prosody;
let s: TestServer;
let dir: string;
let bob: Peer;
const secret = (name: string, content: string) => {
  const f = join(dir, name);
  writeFileSync(f, `${content}\n`, { mode: 0o600 });
  return f;
};
const add = (...extra: string[]) => cli('accounts', 'add', 'xmpp', '--jid', 'alice@localhost', '--host', '127.0.0.1', '--data-dir', s.dataDir, ...extra);
const xmppAccounts = async () => (await s.client.accounts.list()).filter((a) => a.network === 'XMPP');

beforeAll(async () => {
  prosody = await startProsody();
  await Promise.all([prosody.register('alice', PASSWORD), prosody.register('bob', 'pw-bob')]);
  bob = await peer(prosody, 'bob', 'pw-bob');
  dir = mkdtempSync(join(tmpdir(), 'sb-xmpp-cli-'));
  mkdirSync(join(dir, 'data'));
  s = await startTestServer({ sandbox: false, dataDir: join(dir, 'data') });
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await bob?.stop();
  await prosody?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('switchboard accounts add xmpp', () => {
  it('refuses a wrong password with a clear message and exit code 1, storing nothing', async () => {
    const r = await add('--password-file', secret('wrong', 'not-the-password'), '--port', String(prosody.c2sPort), '--no-tls');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected the password for alice@localhost/);
    expect(r.stderr + r.stdout).not.toContain('not-the-password');
    expect(await xmppAccounts()).toEqual([]);
    expect(existsSync(passwordFile(s.dataDir, ACCOUNT))).toBe(false);
  });

  it('refuses an unreachable server, and a server without TLS unless --no-tls is given', async () => {
    const closed = await add('--password-file', secret('right', PASSWORD), '--port', '1', '--no-tls');
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/Cannot reach the XMPP server at xmpp:\/\/127\.0\.0\.1:1/);
    const plain = await add('--password-file', secret('right', PASSWORD), '--port', String(prosody.c2sPort));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/did not offer TLS, so the password was not sent/);
    expect(await xmppAccounts()).toEqual([]);
  });

  it('adds the account to a running server, which connects it within seconds; the password is kept in a 0600 file', async () => {
    const r = await add('--password-file', secret('right', PASSWORD), '--port', String(prosody.c2sPort), '--no-tls');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Added the XMPP account alice@localhost as xmpp-alice-localhost/);
    const [account] = await waitFor(xmppAccounts, (a) => a.length === 1, 'the account in the API');
    expect(account).toMatchObject({ accountID: ACCOUNT, network: 'XMPP', user: { id: '@alice:localhost' } });
    const file = passwordFile(s.dataDir, ACCOUNT);
    expect(readFileSync(file, 'utf8')).toBe(PASSWORD);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The running server started the connector: a message from bob arrives.
    await waitFor(async () => s.running.core.connectionState(ACCOUNT)?.state, (st) => st === 'connected', 'the connector to connect', 10_000);
    await bob.send(`<message to='alice@localhost' type='chat' id='cli-1'><body>Welcome aboard</body></message>`);
    const chat = await waitFor(async () => (await s.client.chats.list()).items.find((c) => c.network === 'XMPP'), (c) => !!c, 'the chat with bob', 10_000);
    expect(chat!.preview?.text).toBe('Welcome aboard');
    const again = await add('--password-file', secret('right', PASSWORD), '--port', String(prosody.c2sPort), '--no-tls');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already added/);
  });

  it('reports bad credentials (and stops retrying) when the server no longer accepts the password', async () => {
    await run('prosodyctl', ['--config', prosody.config, 'deluser', 'alice@localhost']);
    await prosody.restart(); // ends the session that was signed in before
    const state = await waitFor(async () => s.running.core.connectionState(ACCOUNT), (st) => st?.state === 'bad-credentials', 'bad credentials', 15_000);
    expect(state!.message).toMatch(/rejected the password for alice@localhost/);
    const attempts = () => (prosody.log().match(/Client connected/g) ?? []).length;
    const before = attempts();
    await new Promise((r) => setTimeout(r, 1_500)); // longer than several reconnection delays
    expect(s.running.core.connectionState(ACCOUNT)?.state).toBe('bad-credentials');
    expect(attempts()).toBe(before);
  });

  it('removes the account: the running server stops it, and the password file is deleted', async () => {
    const r = await cli('accounts', 'remove', ACCOUNT, '--data-dir', s.dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Removed XMPP account xmpp-alice-localhost/);
    expect(existsSync(passwordFile(s.dataDir, ACCOUNT))).toBe(false);
    await waitFor(async () => s.running.core.hasClient(ACCOUNT), (live) => !live, 'the connector to stop', 10_000);
    expect(await xmppAccounts()).toEqual([]);
    expect((await s.client.chats.list()).items.filter((c) => c.network === 'XMPP')).toEqual([]);
    const missing = await cli('accounts', 'remove', ACCOUNT, '--data-dir', s.dataDir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No account has the ID/);
  });
});

describe('switchboard accounts add xmpp over TLS', () => {
  let tlsProsody: Prosody;
  let data: string;
  beforeAll(async () => {
    tlsProsody = await startProsody({ tls: true });
    await Promise.all([tlsProsody.register('alice', PASSWORD), tlsProsody.register('bob', 'pw-bob')]);
    data = mkdtempSync(join(tmpdir(), 'sb-xmpp-tls-'));
  }, 60_000);
  afterAll(async () => {
    await tlsProsody?.destroy();
    rmSync(data, { recursive: true, force: true });
  });
  const addTo = (env: Record<string, string>, jid: string, password: string, ...extra: string[]) =>
    cliWith(env, 'accounts', 'add', 'xmpp', '--jid', jid, '--password-file', secret(`tls-${jid}`, password), '--host', '127.0.0.1', '--data-dir', data, ...extra);

  it('checks the server certificate: one from an unknown CA is refused, nothing stored', async () => {
    const r = await addTo({}, 'alice@localhost', PASSWORD, '--port', String(tlsProsody.c2sPort));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TLS with xmpp:\/\/127\.0\.0\.1:\d+ failed: .*(self-signed|issuer|verify)/i);
    expect(existsSync(passwordFile(data, ACCOUNT))).toBe(false);
  });

  it('signs in with STARTTLS (the default) and with direct TLS when the certificate is trusted', async () => {
    const trust = { NODE_EXTRA_CA_CERTS: tlsProsody.caFile! };
    const starttls = await addTo(trust, 'alice@localhost', PASSWORD, '--port', String(tlsProsody.c2sPort));
    expect(starttls.stderr).toBe('');
    expect(starttls.code).toBe(0);
    const direct = await addTo(trust, 'bob@localhost', 'pw-bob', '--port', String(tlsProsody.directTlsPort), '--direct-tls');
    expect(direct.stderr).toBe('');
    expect(direct.code).toBe(0);
    const list = await cli('accounts', 'list', '--json', '--data-dir', data);
    const accounts = JSON.parse(list.stdout) as Array<{ accountID: string }>;
    expect(accounts.map((a) => a.accountID).sort()).toEqual(['xmpp-alice-localhost', 'xmpp-bob-localhost']);
  });
});
