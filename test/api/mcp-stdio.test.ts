// `switchboard mcp` over stdio, as a desktop host runs it: the SDK's client
// spawns the real command on a data directory a server run prepared, calls
// tools, and the results are checked afterwards through the REST API. stdout
// must carry nothing but the protocol; logs go to stderr.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type BeeperDesktop from '@beeper/desktop-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/expect.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let dataDir: string;
let elsewhere: string;
let chat: BeeperDesktop.Chat;
let client: Client;
let transport: StdioClientTransport;
const protocolErrors: Error[] = [];
let stderr = '';
const sent: string[] = [];

async function call<T = Record<string, any>>(name: string, args: Record<string, unknown> = {}): Promise<{ data: T; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  expect(r.isError, `${name} failed: ${text}`).toBeFalsy();
  return { data: r.structuredContent as T, text };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-mcp-stdio-'));
  elsewhere = mkdtempSync(join(tmpdir(), 'switchboard-mcp-user-files-'));
  // A server run prepares the data directory (demo inbox), then stops: the stdio command opens it itself.
  const s = await startTestServer({ dataDir });
  chat = (await s.client.chats.search({ query: 'WhatsApp', type: 'single', limit: 1 })).items[0]!;
  await s.stop();

  transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, 'bin/switchboard.mjs'), 'mcp', '--data-dir', dataDir, '--quiet-sandbox'],
    cwd: ROOT,
    stderr: 'pipe',
    env: { SWITCHBOARD_LOG_FORMAT: 'json', SWITCHBOARD_LOG_LEVEL: 'info' },
  });
  transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  client = new Client({ name: 'switchboard-stdio-test', version: '1.0.0' });
  // Anything on stdout that is not a JSON-RPC message surfaces here.
  client.onerror = (err) => protocolErrors.push(err);
  await client.connect(transport);
  await client.listTools();
}, 60_000);

afterAll(async () => {
  await client?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

describe('switchboard mcp (stdio)', () => {
  it('announces itself and lists the tools, with local files allowed for attachments', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'switchboard' });
    expect(client.getInstructions()).toContain('chatID');
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(21);
    const send = tools.find((t) => t.name === 'send_message')!;
    expect(JSON.stringify(send.inputSchema)).toContain("user's machine");
    expect(send.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it('list_accounts and search_chats read the data directory', async () => {
    const { data } = await call<{ accounts: Array<{ network: string; connection: string }> }>('list_accounts');
    expect(data.accounts.map((a) => a.network).sort()).toEqual(['Signal', 'Telegram', 'WhatsApp', 'iMessage']);
    expect(data.accounts.every((a) => a.connection === 'connected')).toBe(true);
    const found = await call<{ chats: Array<{ id: string; network: string }> }>('search_chats', { query: chat.title });
    expect(found.data.chats.map((c) => c.id)).toContain(chat.id);
  });

  it('send_message sends text and files from anywhere the user can read (stdio only)', async () => {
    const text = await call<{ status: string; messageID: string }>('send_message', { chatID: chat.id, text: 'sent over **stdio**' });
    expect(text.data.status).toBe('SUCCESS');
    sent.push(text.data.messageID);

    // A file outside the data directory: refused over HTTP, fine for the local user's own command.
    const path = join(elsewhere, 'holiday.png');
    writeFileSync(path, Buffer.from(PNG_BASE64, 'base64'));
    const file = await call<{ status: string; messageID: string; message: { type: string; attachments: Array<{ fileName: string; mimeType: string }> } }>('send_message', {
      chatID: chat.id,
      text: 'look',
      attachment: { path },
    });
    expect(file.data.status).toBe('SUCCESS');
    expect(file.data.message.type).toBe('IMAGE');
    expect(file.data.message.attachments[0]).toMatchObject({ fileName: 'holiday.png', mimeType: 'image/png' });
    sent.push(file.data.messageID);

    const relative = (await client.callTool({ name: 'send_message', arguments: { chatID: chat.id, attachment: { path: 'holiday.png' } } })) as CallToolResult;
    expect(relative.isError).toBe(true);
    expect(JSON.stringify(relative.content)).toContain('absolute');
    const missing = (await client.callTool({ name: 'send_message', arguments: { chatID: chat.id, attachment: { path: join(elsewhere, 'nope.png') } } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(JSON.stringify(missing.content)).toContain('nothing was sent');
  });

  it('writes only the protocol to stdout and its logs to stderr, and stops when the host closes stdin', async () => {
    expect(protocolErrors).toEqual([]);
    await waitFor(async () => stderr, (e) => e.includes('serving MCP on stdio'), 'the start-up log line on stderr');
    for (const line of stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line), `stderr line: ${line}`).not.toThrow();
    const pid = transport.pid!;
    await client.close();
    await waitFor(async () => stderr, (e) => e.includes('stdin closed'), 'the shutdown log line');
    await waitFor(
      async () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      },
      (alive) => !alive,
      'the process to exit',
    );
  });

  it('what it sent is in the data directory for the next server run', async () => {
    const s = await startTestServer({ dataDir });
    try {
      const messages = (await s.client.messages.list(chat.id)).items;
      const text = messages.find((m) => m.id === sent[0])!;
      expect(text.text).toBe('sent over <strong>stdio</strong>');
      const image = messages.find((m) => m.id === sent[1])!;
      expect(image.type).toBe('IMAGE');
      expect(image.attachments).toHaveLength(1);
      expect(image.attachments![0]).toMatchObject({ mimeType: 'image/png', fileName: 'holiday.png' });
    } finally {
      await s.stop();
    }
  });
});
