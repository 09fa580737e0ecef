// The command line as a person uses it: real processes on a real data directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../../bin/switchboard.mjs', import.meta.url).pathname;
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: { ...process.env, SWITCHBOARD_LOG_FORMAT: 'json' } });

let dataDir: string;
let server: ChildProcess;
let baseURL: string;
let firstToken: string;
let stderr = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--quiet-sandbox'], { env: { ...process.env, SWITCHBOARD_LOG_FORMAT: 'json' } });
  let stdout = '';
  server.stdout!.on('data', (d) => (stdout += d));
  server.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 30_000);
    const check = () => {
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1];
      const token = /\n  (sb_[A-Za-z0-9_-]+)\n/.exec(stdout)?.[1];
      if (url && token) {
        clearTimeout(timer);
        baseURL = url;
        firstToken = token;
        resolve();
      }
    };
    server.stdout!.on('data', check);
    server.stderr!.on('data', check);
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const get = (path: string, token?: string) => fetch(`${baseURL}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('switchboard serve', () => {
  it('prints a first token that works, and seeds the sandbox accounts', async () => {
    const res = await get('/v1/accounts', firstToken);
    expect(res.status).toBe(200);
    const accounts = (await res.json()) as Array<{ network: string }>;
    expect(accounts.map((a) => a.network).sort()).toEqual(['Signal', 'Telegram', 'WhatsApp', 'iMessage']);
  });

  it('never writes the token into its logs', () => {
    expect(stderr).not.toContain(firstToken);
  });

  it('refuses an unknown --sandbox-networks name before starting, naming the choices', async () => {
    await expect(cli('serve', '--sandbox-networks', 'signal,myspace', '--data-dir', dataDir, '--port', '0')).rejects.toMatchObject({
      stderr: expect.stringContaining('imessage, whatsapp, signal, telegram, slack, discord'),
    });
  });
});

describe('switchboard token', () => {
  it('creates a read-only token that can read but not write, lists it, and revokes it', async () => {
    const { stdout } = await cli('token', 'create', '--scopes', 'read', '--label', 'ci reader', '--data-dir', dataDir);
    const token = stdout.trim();
    expect(token).toMatch(/^sb_/);
    expect((await get('/v1/chats', token)).status).toBe(200);
    const write = await fetch(`${baseURL}/v1/chats/1/archive`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(write.status).toBe(403);

    const list = (await cli('token', 'list', '--data-dir', dataDir)).stdout;
    const line = list.split('\n').find((l) => l.includes('ci reader'))!;
    expect(line).toContain('active');
    expect(line).toContain('\tread\t');
    expect(list).not.toContain(token);

    const id = line.split('\t')[0]!;
    expect((await cli('token', 'revoke', id, '--data-dir', dataDir)).stdout).toContain(`Revoked ${id}`);
    expect((await get('/v1/chats', token)).status).toBe(401);
    expect((await cli('token', 'list', '--data-dir', dataDir)).stdout.split('\n').find((l) => l.startsWith(id))).toContain('revoked');
  });

  it('refuses unknown scopes and unknown token IDs with a clear message', async () => {
    await expect(cli('token', 'create', '--scopes', 'admin', '--data-dir', dataDir)).rejects.toMatchObject({ stderr: expect.stringContaining('read, write') });
    await expect(cli('token', 'revoke', 'tok_nope', '--data-dir', dataDir)).rejects.toMatchObject({ stderr: expect.stringContaining('token list') });
  });
});

describe('switchboard accounts list', () => {
  it('lists the accounts of a running server from its data directory', async () => {
    const { stdout } = await cli('accounts', 'list', '--data-dir', dataDir, '--json');
    const accounts = JSON.parse(stdout) as Array<{ accountID: string; bridge: { provider: string } }>;
    expect(accounts.map((a) => a.accountID).sort()).toEqual(['sandbox-imessage', 'sandbox-signal', 'sandbox-telegram', 'sandbox-whatsapp']);
  });
});
