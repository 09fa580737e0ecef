// The MCP server at /v0/mcp, driven by the SDK's own client over streamable HTTP
// against a real server with the sandbox: every tool, its annotations and
// structured results, scopes, resources, prompts, and the OAuth discovery a host
// needs when it has no token yet.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { buildDemoInbox } from '../../src/networks/sandbox/corpus.ts';

type Chat = BeeperDesktop.Chat;

const READ_TOOLS = ['search', 'search_chats', 'search_messages', 'get_chat', 'list_messages', 'get_message', 'list_accounts', 'search_contacts', 'download_attachment'];
const WRITE_TOOLS = [
  'send_message', 'edit_message', 'delete_message', 'react', 'mark_read', 'mark_unread', 'archive_chat', 'set_reminder', 'clear_reminder', 'update_chat', 'notify_anyway', 'start_chat',
];
/** Write tools that send to other people or delete something. */
const DESTRUCTIVE = ['send_message', 'edit_message', 'delete_message', 'react', 'notify_anyway', 'clear_reminder'];
/** A 1×1 PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const HUMAN_TIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}( \d{4})?, \d{2}:\d{2} \((just now|in .+|.+ ago)\)$/;

let s: TestServer;
let rw: Client;
let ro: Client;
let chats: Chat[];
let waDM: Chat;
let outside: string;

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${s.baseURL}/v0/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

const textOf = (r: CallToolResult) => r.content.filter((c): c is Extract<ContentBlock, { type: 'text' }> => c.type === 'text').map((c) => c.text).join('\n');

/** Calls a tool that must succeed; returns its structured content and text. */
async function call<T = Record<string, any>>(name: string, args: Record<string, unknown> = {}, client = rw): Promise<{ data: T; text: string; result: CallToolResult }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `${name} failed: ${textOf(result)}`).toBeFalsy();
  expect(result.structuredContent, `${name} has structured content`).toBeDefined();
  return { data: result.structuredContent as T, text: textOf(result), result };
}

/** Calls a tool that must fail with a tool error; returns the error text. */
async function fail(name: string, args: Record<string, unknown> = {}, client = rw): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `${name} should have failed, got: ${textOf(result).slice(0, 300)}`).toBe(true);
  return textOf(result);
}

async function messagesOf(chatID: string) {
  return (await s.client.messages.list(chatID)).items;
}

beforeAll(async () => {
  s = await startTestServer();
  rw = await connect(s.token);
  ro = await connect(s.readToken);
  // The client validates structured results against the output schemas it listed.
  await rw.listTools();
  await ro.listTools();
  chats = [];
  for await (const c of s.client.chats.list()) chats.push(c);
  waDM = chats.find((c) => c.network === 'WhatsApp' && c.type === 'single' && !c.isArchived && !c.isLowPriority)!;
  expect(waDM).toBeDefined();
  outside = mkdtempSync(join(tmpdir(), 'switchboard-mcp-outside-'));
});
afterAll(async () => {
  await rw?.close();
  await ro?.close();
  await s?.stop();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe('tools/list', () => {
  it('lists the 21 tools with descriptions, schemas and annotations', async () => {
    const { tools } = await rw.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
    for (const t of tools) {
      expect(t.description!.length, `${t.name} explains itself`).toBeGreaterThan(60);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type, `${t.name} declares its output`).toBe('object');
      expect(t.annotations?.title, `${t.name} has a title`).toBeTruthy();
      const write = WRITE_TOOLS.includes(t.name);
      expect(t.annotations?.readOnlyHint, `${t.name} readOnlyHint`).toBe(!write);
      if (write) expect(t.annotations?.destructiveHint, `${t.name} destructiveHint`).toBe(DESTRUCTIVE.includes(t.name));
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.send_message!.annotations).toMatchObject({ destructiveHint: true, idempotentHint: false, openWorldHint: true });
    expect(byName.archive_chat!.annotations).toMatchObject({ destructiveHint: false, idempotentHint: true });
    expect(byName.list_messages!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    // send_message over HTTP says which paths it takes.
    expect(JSON.stringify(byName.send_message!.inputSchema)).toContain('uploads or media');
  });
});

describe('reading', () => {
  it('list_accounts names every account with its network and connection', async () => {
    const { data, text } = await call<{ accounts: Array<{ accountID: string; network: string; connection: string; user: { id: string } }> }>('list_accounts');
    expect(data.accounts.map((a) => a.network).sort()).toEqual(['Signal', 'Telegram', 'WhatsApp', 'iMessage']);
    for (const a of data.accounts) {
      expect(a.connection).toBe('connected');
      expect(a.user.id).toMatch(/^@/);
      expect(text).toContain(a.accountID);
    }
  });

  it('search_chats finds chats by network and pages with a cursor, without duplicates', async () => {
    const expected = (await s.client.chats.search({ query: 'WhatsApp', limit: 200 })).items.map((c) => c.id);
    expect(expected.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const { data } = await call<{ chats: Array<{ id: string; network: string; lastActivityTime: string }>; hasMore: boolean; nextCursor: string | null }>('search_chats', { query: 'WhatsApp', limit: 5, ...(cursor ? { cursor } : {}) });
      expect(data.chats.length).toBeLessThanOrEqual(5);
      for (const c of data.chats) expect(c.lastActivityTime).toMatch(HUMAN_TIME);
      seen.push(...data.chats.map((c) => c.id));
      if (!data.nextCursor) break;
      expect(data.hasMore).toBe(true);
      cursor = data.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
  });

  it('search_chats lists unread chats', async () => {
    const { data } = await call<{ chats: Array<{ unreadCount: number; isMarkedUnread: boolean }> }>('search_chats', { unreadOnly: true, limit: 50 });
    expect(data.chats.length).toBeGreaterThan(0);
    for (const c of data.chats) expect(c.unreadCount > 0 || c.isMarkedUnread).toBe(true);
  });

  it('search_messages finds a word, names chats and networks, and pages without duplicates', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const { data, text } = await call<{ messages: Array<{ id: string; text: string; chatID: string; chatTitle: string; network: string; time: string }>; nextCursor: string | null }>('search_messages', {
        query: 'pottery',
        limit: 10,
        ...(cursor ? { cursor } : {}),
      });
      expect(data.messages).toHaveLength(10);
      for (const m of data.messages) {
        expect(m.text.toLowerCase()).toContain('pottery');
        expect(m.chatTitle).toBeTruthy();
        expect(['WhatsApp', 'Signal', 'iMessage', 'Telegram']).toContain(m.network);
        expect(m.time).toMatch(HUMAN_TIME);
        expect(text).toContain(m.id);
      }
      seen.push(...data.messages.map((m) => m.id));
      expect(data.nextCursor).toBeTruthy();
      cursor = data.nextCursor!;
    }
    expect(new Set(seen).size).toBe(30);
    const rest = await s.client.messages.search({ query: 'pottery', limit: 10 });
    expect(seen.slice(0, 10)).toEqual(rest.items.map((m) => m.id));
  });

  it('search finds chats by title and messages by word in one call', async () => {
    const title = waDM.title;
    const { data } = await call<{ chats: Array<{ id: string }>; groups: unknown[]; messages: unknown[]; nextMessagesCursor: string | null }>('search', { query: title });
    expect(data.chats.map((c) => c.id)).toContain(waDM.id);
    const words = await call<{ messages: Array<{ text: string }>; hasMoreMessages: boolean; nextMessagesCursor: string | null }>('search', { query: 'pottery' });
    expect(words.data.messages).toHaveLength(20);
    expect(words.data.hasMoreMessages).toBe(true);
    // The cursor continues in search_messages.
    const more = await call<{ messages: Array<{ text: string }> }>('search_messages', { query: 'pottery', cursor: words.data.nextMessagesCursor });
    expect(more.data.messages.length).toBeGreaterThan(0);
    for (const m of [...words.data.messages, ...more.data.messages]) expect(m.text.toLowerCase()).toContain('pottery');
  });

  it('get_chat describes a chat and what its network accepts', async () => {
    const { data, text } = await call<{ chat: Record<string, any>; capabilities: Record<string, any> }>('get_chat', { chatID: waDM.id });
    expect(data.chat).toMatchObject({ id: waDM.id, title: waDM.title, network: 'WhatsApp', type: 'single', accountID: waDM.accountID, unreadCount: waDM.unreadCount });
    expect(data.chat.participants.some((p: { isMe: boolean }) => p.isMe)).toBe(true);
    expect(data.capabilities.attachmentKinds).toContain('m.image');
    expect(data.capabilities.edits).toBe(true);
    expect(text).toContain(waDM.id);
    // The local chat ID works too.
    expect((await call<{ chat: { id: string } }>('get_chat', { chatID: waDM.localChatID })).data.chat.id).toBe(waDM.id);
  });

  it('an unknown chat is a tool error naming the ID', async () => {
    const id = '!doesnotexist:sandbox-whatsapp.localhost';
    for (const tool of ['get_chat', 'list_messages', 'send_message', 'mark_read', 'archive_chat']) {
      const text = await fail(tool, { chatID: id, ...(tool === 'send_message' ? { text: 'hi' } : {}) });
      expect(text, tool).toContain(id);
      expect(text, tool).toContain('CHAT_NOT_FOUND');
    }
  });

  it('list_messages reads a chat newest first with full texts and pages back with a cursor', async () => {
    const busy = chats.find((c) => c.type === 'group' && !c.isLowPriority)!;
    const rest = await s.client.messages.list(busy.id);
    const first = await call<{ chat: { id: string; network: string }; messages: Array<{ id: string; text: string; timestamp: string; time: string; sender: { name: string } }>; hasMore: boolean; nextCursor: string }>('list_messages', { chatID: busy.id });
    expect(first.data.chat).toMatchObject({ id: busy.id, network: busy.network });
    expect(first.data.messages.map((m) => m.id)).toEqual(rest.items.map((m) => m.id));
    const stamps = first.data.messages.map((m) => Date.parse(m.timestamp));
    expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
    for (const m of first.data.messages) expect(m.time).toMatch(HUMAN_TIME);
    expect(first.data.hasMore).toBe(true);
    const second = await call<{ messages: Array<{ id: string }> }>('list_messages', { chatID: busy.id, cursor: first.data.nextCursor });
    const ids = [...first.data.messages, ...second.data.messages].map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Date.parse(first.data.messages.at(-1)!.timestamp)).toBeGreaterThanOrEqual(Date.parse((second.data.messages[0] as { timestamp?: string }).timestamp ?? '0'));
    // Texts are whole: the longest message comes back as the REST API has it.
    const longest = rest.items.filter((m) => m.text && !/<[a-z]/i.test(m.text)).sort((a, b) => b.text!.length - a.text!.length)[0]!;
    expect(first.data.messages.find((m) => m.id === longest.id)!.text).toBe(longest.text);
  });

  it('get_message with includeImages returns a small image attachment as image content', async () => {
    const found = await s.client.messages.search({ mediaTypes: ['image'], limit: 20 });
    const withPng = found.items.find((m) => m.attachments?.some((a) => a.mimeType === 'image/png'))!;
    expect(withPng).toBeDefined();
    const plain = await call<{ message: { id: string; type: string; attachments: Array<{ url: string; kind: string; mimeType: string }> } }>('get_message', { chatID: withPng.chatID, messageID: withPng.id });
    expect(plain.data.message.type).toBe('IMAGE');
    expect(plain.data.message.attachments[0]).toMatchObject({ kind: 'image', mimeType: 'image/png' });
    expect(plain.result.content.some((c) => c.type === 'image')).toBe(false);
    const { result } = await call('get_message', { chatID: withPng.chatID, messageID: withPng.id, includeImages: true });
    const image = result.content.find((c) => c.type === 'image') as { data: string; mimeType: string };
    expect(image.mimeType).toBe('image/png');
    expect(Buffer.from(image.data, 'base64').subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('download_attachment finds the local copy, by URL or by message, and can return the content', async () => {
    const found = await s.client.messages.search({ mediaTypes: ['image'], limit: 20 });
    const m = found.items.find((x) => x.attachments?.some((a) => a.mimeType === 'image/png'))!;
    const byMessage = await call<{ url: string; path: string; fileURL: string; mimeType: string; size: number; contentIncluded: boolean }>('download_attachment', { chatID: m.chatID, messageID: m.id });
    expect(byMessage.data.url).toBe(m.attachments![0]!.id);
    expect(byMessage.data.path.startsWith(s.dataDir)).toBe(true);
    expect(byMessage.data.fileURL).toBe(`file://${byMessage.data.path}`);
    expect(byMessage.data.contentIncluded).toBe(false);
    const byURL = await call<{ path: string; contentIncluded: boolean }>('download_attachment', { url: byMessage.data.url, includeContent: true });
    expect(byURL.data.path).toBe(byMessage.data.path);
    expect(byURL.data.contentIncluded).toBe(true);
    expect(byURL.result.content.some((c) => c.type === 'image' && c.mimeType === 'image/png')).toBe(true);
    expect(await fail('download_attachment', { url: 'https://example.com/x.png' })).toContain('UNSUPPORTED_URL');
  });

  it('search_contacts finds people across accounts or on one', async () => {
    const account = (await s.client.accounts.list()).find((a) => a.network === 'Signal')!;
    const contact = (await s.client.accounts.contacts.list(account.accountID, { limit: 5 })).items.find((u) => u.fullName)!;
    const firstName = contact.fullName!.split(' ')[0]!;
    const all = await call<{ contacts: Array<{ id: string; name: string; accountID: string; network: string }> }>('search_contacts', { query: contact.fullName });
    expect(all.data.contacts.find((c) => c.id === contact.id)).toMatchObject({ accountID: account.accountID, network: 'Signal', name: contact.fullName });
    const one = await call<{ contacts: Array<{ accountID: string; name: string }> }>('search_contacts', { query: firstName, accountID: account.accountID });
    expect(one.data.contacts.length).toBeGreaterThan(0);
    for (const c of one.data.contacts) expect(c.accountID).toBe(account.accountID);
  });
});

describe('sending', () => {
  it('send_message sends Markdown text, confirmed, and replies to a message', async () => {
    const { data, text } = await call<{ chatID: string; pendingMessageID: string; messageID: string; status: string; message: { text: string; sender: { isMe: boolean } } }>('send_message', {
      chatID: waDM.id,
      text: 'Hello **from MCP**',
    });
    expect(data.chatID).toBe(waDM.id);
    expect(data.status).toBe('SUCCESS');
    expect(data.messageID).toMatch(/^\$/);
    expect(data.message).toMatchObject({ text: 'Hello from MCP', sender: { isMe: true } });
    expect(text).toContain(data.messageID);
    const stored = await s.client.messages.retrieve(data.messageID, { chatID: waDM.id });
    expect(stored.text).toBe('Hello <strong>from MCP</strong>');
    expect(stored.sendStatus?.status).toBe('SUCCESS');

    const reply = await call<{ messageID: string; message: { replyToMessageID: string } }>('send_message', { chatID: waDM.id, text: 'and a reply', replyToMessageID: data.messageID });
    expect(reply.data.message.replyToMessageID).toBe(data.messageID);
    expect((await s.client.messages.retrieve(reply.data.messageID, { chatID: waDM.id })).linkedMessageID).toBe(data.messageID);
  });

  it('send_message with a base64 PNG produces an image message on the sandbox chat', async () => {
    const { data } = await call<{ messageID: string; message: { type: string; attachments: Array<{ mimeType: string; fileName: string }> } }>('send_message', {
      chatID: waDM.id,
      text: 'a picture',
      attachment: { base64: PNG_BASE64, fileName: 'dot.png' },
    });
    expect(data.message.type).toBe('IMAGE');
    const stored = (await messagesOf(waDM.id)).find((m) => m.id === data.messageID)!;
    expect(stored.type).toBe('IMAGE');
    expect(stored.attachments).toHaveLength(1);
    expect(stored.attachments![0]).toMatchObject({ mimeType: 'image/png', fileName: 'dot.png', type: 'img' });
    // Without a file name, the file is named after what it is.
    const unnamed = await call<{ messageID: string }>('send_message', { chatID: waDM.id, attachment: { base64: `data:image/png;base64,${PNG_BASE64}` } });
    expect((await messagesOf(waDM.id)).find((m) => m.id === unnamed.data.messageID)!.attachments![0]).toMatchObject({ mimeType: 'image/png', fileName: 'attachment.png' });
    // The sent image can be looked at again through list_messages.
    const listed = await call('list_messages', { chatID: waDM.id, includeImages: true });
    expect(listed.result.content.some((c) => c.type === 'image' && c.mimeType === 'image/png')).toBe(true);
  });

  it('send_message with a path among the data directory’s uploads attaches that file', async () => {
    const path = join(s.dataDir, 'uploads', 'mcp-upload.png');
    writeFileSync(path, Buffer.from(PNG_BASE64, 'base64'));
    const { data } = await call<{ messageID: string }>('send_message', { chatID: waDM.id, attachment: { path } });
    const stored = (await messagesOf(waDM.id)).find((m) => m.id === data.messageID)!;
    expect(stored.type).toBe('IMAGE');
    expect(stored.attachments![0]).toMatchObject({ mimeType: 'image/png', fileName: 'mcp-upload.png' });
  });

  it('over HTTP, a path outside the data directory is refused and nothing is sent', async () => {
    const path = join(outside, 'secret.png');
    writeFileSync(path, Buffer.from(PNG_BASE64, 'base64'));
    const before = (await messagesOf(waDM.id)).map((m) => m.id);
    const text = await fail('send_message', { chatID: waDM.id, text: 'should not go', attachment: { path } });
    expect(text).toContain('PATH_OUTSIDE_DATA_DIR');
    expect(await fail('send_message', { chatID: waDM.id, attachment: { path: '/etc/passwd' } })).toContain('PATH_OUTSIDE_DATA_DIR');
    expect(await fail('send_message', { chatID: waDM.id, attachment: { base64: PNG_BASE64, path } })).toContain('exactly one');
    expect(await fail('send_message', { chatID: waDM.id })).toContain('nothing was sent');
    expect((await messagesOf(waDM.id)).map((m) => m.id)).toEqual(before);
  });

  it('capability checks apply: a text longer than the network allows is refused', async () => {
    const signal = chats.find((c) => c.network === 'Signal' && c.type === 'single')!;
    const text = await fail('send_message', { chatID: signal.id, text: 'x'.repeat(2001) });
    expect(text).toContain('Signal');
    expect(text).toMatch(/TEXT_TOO_LONG|2000|2,000/);
  });

  it('edit_message, react and delete_message act on a sent message', async () => {
    const sent = await call<{ messageID: string }>('send_message', { chatID: waDM.id, text: 'first version' });
    const id = sent.data.messageID;

    const edited = await call<{ message: { id: string; text: string; editedAt: string } }>('edit_message', { chatID: waDM.id, messageID: id, text: 'second _version_' });
    expect(edited.data.message).toMatchObject({ id, text: 'second version' });
    expect(edited.data.message.editedAt).toBeTruthy();
    expect((await s.client.messages.retrieve(id, { chatID: waDM.id })).text).toBe('second <em>version</em>');

    const reacted = await call<{ reaction: string; removed: boolean }>('react', { chatID: waDM.id, messageID: id, reaction: '👍' });
    expect(reacted.data).toMatchObject({ reaction: '👍', removed: false });
    expect((await s.client.messages.retrieve(id, { chatID: waDM.id })).reactions?.map((r) => r.reactionKey)).toEqual(['👍']);
    const seen = await call<{ message: { reactions: Array<{ reaction: string; by: string; byName: string }> } }>('get_message', { chatID: waDM.id, messageID: id });
    expect(seen.data.message.reactions).toEqual([expect.objectContaining({ reaction: '👍', byName: 'You' })]);
    expect(seen.text).toContain('👍 by You');
    await call('react', { chatID: waDM.id, messageID: id, reaction: '👍', remove: true });
    expect((await s.client.messages.retrieve(id, { chatID: waDM.id })).reactions ?? []).toEqual([]);

    const deleted = await call<{ deleted: boolean; forEveryone: boolean }>('delete_message', { chatID: waDM.id, messageID: id });
    expect(deleted.data).toMatchObject({ deleted: true, forEveryone: true });
    expect((await s.client.messages.retrieve(id, { chatID: waDM.id })).isDeleted).toBe(true);
    expect(await fail('edit_message', { chatID: waDM.id, messageID: '$nope', text: 'x' })).toContain('$nope');
  });
});

describe('chat state', () => {
  it('mark_read and mark_unread change the unread state', async () => {
    const unread = chats.find((c) => c.unreadCount > 0 && !c.isArchived)!;
    const read = await call<{ chat: { id: string; unreadCount: number; isMarkedUnread: boolean } }>('mark_read', { chatID: unread.id });
    expect(read.data.chat).toMatchObject({ id: unread.id, unreadCount: 0, isMarkedUnread: false });
    expect((await s.client.chats.retrieve(unread.id)).unreadCount).toBe(0);
    const again = await call<{ chat: { isMarkedUnread: boolean } }>('mark_unread', { chatID: unread.id });
    expect(again.data.chat.isMarkedUnread).toBe(true);
    expect((await s.client.chats.retrieve(unread.id)).isMarkedUnread).toBe(true);
  });

  it('archive_chat archives and brings back', async () => {
    const chat = chats.find((c) => !c.isArchived && c.network === 'Telegram')!;
    expect((await call<{ chat: { isArchived: boolean } }>('archive_chat', { chatID: chat.id })).data.chat.isArchived).toBe(true);
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(true);
    expect((await call<{ chat: { isArchived: boolean } }>('archive_chat', { chatID: chat.id, archived: false })).data.chat.isArchived).toBe(false);
    expect((await s.client.chats.retrieve(chat.id)).isArchived).toBe(false);
  });

  it('set_reminder and clear_reminder', async () => {
    const chat = chats.find((c) => c.network === 'Signal')!;
    const at = new Date(Date.now() + 2 * 3600_000);
    const set = await call<{ chat: { reminder: { remindAt: string; time: string; dismissOnIncomingMessage: boolean } } }>('set_reminder', { chatID: chat.id, remindAt: at.toISOString(), dismissOnIncomingMessage: true });
    expect(Date.parse(set.data.chat.reminder.remindAt)).toBe(at.getTime());
    expect(set.data.chat.reminder.time).toMatch(/\(in 2 hours\)$/);
    expect((await s.client.chats.retrieve(chat.id)).reminder).toMatchObject({ dismissOnIncomingMessage: true });
    const rel = await call<{ chat: { reminder: { remindAt: string } } }>('set_reminder', { chatID: chat.id, inMinutes: 30 });
    expect(Math.abs(Date.parse(rel.data.chat.reminder.remindAt) - (Date.now() + 30 * 60_000))).toBeLessThan(60_000);
    expect(await fail('set_reminder', { chatID: chat.id, remindAt: '2001-01-01T00:00:00Z' })).toContain('past');
    expect(await fail('set_reminder', { chatID: chat.id })).toContain('exactly one');
    const cleared = await call<{ chat: { reminder?: unknown } }>('clear_reminder', { chatID: chat.id });
    expect(cleared.data.chat.reminder).toBeUndefined();
    expect((await s.client.chats.retrieve(chat.id)).reminder).toBeNull();
  });

  it('update_chat pins, mutes, moves to low priority and sets and clears a draft', async () => {
    const chat = chats.find((c) => c.network === 'iMessage' && !c.isPinned && !c.isMuted && !c.isLowPriority && !c.draft)!;
    const { data } = await call<{ chat: Record<string, any> }>('update_chat', { chatID: chat.id, pinned: true, muted: true, lowPriority: true, draft: 'see you **soon**' });
    expect(data.chat).toMatchObject({ isPinned: true, isMuted: true, isLowPriority: true, draft: { text: 'see you soon' } });
    const stored = await s.client.chats.retrieve(chat.id);
    expect(stored).toMatchObject({ isPinned: true, isMuted: true, isLowPriority: true });
    expect(stored.draft?.text).toBe('see you <strong>soon</strong>');
    expect(await fail('update_chat', { chatID: chat.id, draft: 'another' })).toContain('DRAFT_NOT_EMPTY');
    const back = await call<{ chat: Record<string, any> }>('update_chat', { chatID: chat.id, pinned: false, muted: false, lowPriority: false, draft: null });
    expect(back.data.chat).toMatchObject({ isPinned: false, isMuted: false, isLowPriority: false });
    expect(back.data.chat.draft).toBeUndefined();
    expect((await s.client.chats.retrieve(chat.id)).draft).toBeNull();
    expect(await fail('update_chat', { chatID: chat.id })).toContain('Nothing to change');
  });

  it('notify_anyway refuses WhatsApp by name, and works on a focused iMessage DM', async () => {
    const wa = chats.find((c) => c.network === 'WhatsApp' && c.type === 'single')!;
    const before = (await s.client.messages.list(wa.id)).items.map((m) => m.id);
    const text = await fail('notify_anyway', { chatID: wa.id });
    expect(text).toContain('WhatsApp');
    expect(text.toLowerCase()).toContain('nothing was sent');
    expect(text).toContain('NOTIFY_ANYWAY_UNSUPPORTED');
    expect((await s.client.messages.list(wa.id)).items.map((m) => m.id)).toEqual(before);

    const people = buildDemoInbox({ seed: 1, now: Date.now(), profiles: ['imessage'] })[0]!.people;
    const focused = chats.find((c) => {
      if (c.network !== 'iMessage' || c.type !== 'single') return false;
      const partner = c.participants.items.find((p) => !p.isSelf);
      return people.find((p) => p.phoneNumber !== undefined && p.phoneNumber === partner?.phoneNumber)?.focused === true;
    })!;
    expect(focused, 'an iMessage DM whose partner has Focus on').toBeDefined();
    // The breakthrough notifications the simulated iMessage network recorded (sandbox control API).
    const log = async () => ((await (await s.fetch(`/sandbox/v1/accounts/${focused.accountID}`)).json()) as { notifications: unknown[] }).notifications;
    const n = (await log()).length;
    const ok = await call<{ notified: boolean; chat: { id: string; network: string } }>('notify_anyway', { chatID: focused.id });
    expect(ok.data).toMatchObject({ notified: true, chat: { id: focused.id, network: 'iMessage' } });
    expect(await log()).toHaveLength(n + 1);

    const group = chats.find((c) => c.network === 'iMessage' && c.type === 'group')!;
    expect((await fail('notify_anyway', { chatID: group.id })).toLowerCase()).toContain('nothing was sent');
  });

  it('start_chat returns the existing chat with someone, or opens a new one', async () => {
    const partner = waDM.participants.items.find((p) => !p.isSelf)!;
    const existing = await call<{ status: string; chat: { id: string } }>('start_chat', { accountID: waDM.accountID, userID: partner.id });
    expect(existing.data).toMatchObject({ status: 'existing', chat: { id: waDM.id } });

    const dmPartners = new Set(chats.filter((c) => c.accountID === waDM.accountID && c.type === 'single').flatMap((c) => c.participants.items.map((p) => p.id)));
    const contacts = (await s.client.accounts.contacts.list(waDM.accountID, { limit: 200 })).items;
    const stranger = contacts.find((u) => !dmPartners.has(u.id) && !u.cannotMessage && u.phoneNumber)!;
    expect(stranger, 'a WhatsApp contact without a chat').toBeDefined();
    const created = await call<{ status: string; chat: { id: string; type: string; participants: Array<{ id: string }> } }>('start_chat', { accountID: waDM.accountID, phoneNumber: stranger.phoneNumber });
    expect(created.data.status).toBe('created');
    expect(created.data.chat.type).toBe('single');
    expect(created.data.chat.participants.map((p) => p.id)).toContain(stranger.id);
    expect((await s.client.chats.retrieve(created.data.chat.id)).id).toBe(created.data.chat.id);
    expect(await fail('start_chat', { accountID: waDM.accountID })).toContain('userID');
  });
});

describe('scopes', () => {
  it('a read-only token reads but cannot call write tools, and nothing changes', async () => {
    const read = await call<{ chat: { id: string } }>('get_chat', { chatID: waDM.id }, ro);
    expect(read.data.chat.id).toBe(waDM.id);
    await call('search_messages', { query: 'pottery', limit: 1 }, ro);
    const before = (await messagesOf(waDM.id)).map((m) => m.id);
    const chatBefore = await s.client.chats.retrieve(waDM.id);
    const calls: Array<[string, Record<string, unknown>]> = [
      ['send_message', { chatID: waDM.id, text: 'nope' }],
      ['archive_chat', { chatID: waDM.id }],
      ['update_chat', { chatID: waDM.id, pinned: true }],
      ['mark_read', { chatID: waDM.id }],
      ['notify_anyway', { chatID: waDM.id }],
    ];
    for (const [tool, args] of calls) {
      const text = await fail(tool, args, ro);
      expect(text, tool).toContain('lacks the "write" scope');
      expect(text, tool).toContain(tool);
    }
    expect((await messagesOf(waDM.id)).map((m) => m.id)).toEqual(before);
    expect(await s.client.chats.retrieve(waDM.id)).toEqual(chatBefore);
  });
});

describe('resources and prompts', () => {
  it('lists chats as resources and reads one as Markdown', async () => {
    const { resourceTemplates } = await rw.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['switchboard://chat/{chatID}']);
    const { resources } = await rw.listResources();
    expect(resources.length).toBeGreaterThan(50);
    const listed = resources.find((r) => r.uri === `switchboard://chat/${waDM.id}`)!;
    expect(listed).toMatchObject({ name: waDM.title, mimeType: 'text/markdown' });
    expect(listed.description).toContain('WhatsApp');

    const { contents } = await rw.readResource({ uri: listed.uri });
    const text = (contents[0] as { text: string }).text;
    expect(text).toContain(`# ${waDM.title}`);
    expect(text).toContain(waDM.id);
    const latest = (await messagesOf(waDM.id))[0]!;
    expect(text).toContain(latest.id);
    await expect(rw.readResource({ uri: 'switchboard://chat/!nope:sandbox-whatsapp.localhost' })).rejects.toThrow('!nope:sandbox-whatsapp.localhost');
  });

  it('offers summarize_unread and draft_reply, filled with the inbox', async () => {
    const { prompts } = await rw.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['draft_reply', 'summarize_unread']);
    expect(prompts.find((p) => p.name === 'draft_reply')!.arguments).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'chatID', required: true }), expect.objectContaining({ name: 'instructions', required: false })]),
    );

    const unreadChat = (await s.client.chats.search({ unreadOnly: true, limit: 1 })).items[0]!;
    const summary = await rw.getPrompt({ name: 'summarize_unread', arguments: {} });
    expect(summary.messages.length).toBeGreaterThan(0);
    const summaryText = (summary.messages[0]!.content as { text: string }).text;
    expect(summaryText).toContain(unreadChat.title);
    expect(summaryText).toContain(unreadChat.id);
    expect(summaryText).toMatch(/summarize/i);

    const whatsapp = await rw.getPrompt({ name: 'summarize_unread', arguments: { accountID: waDM.accountID } });
    const whatsappText = (whatsapp.messages[0]!.content as { text: string }).text;
    expect(whatsappText).toContain(waDM.accountID);
    expect(whatsappText).not.toMatch(/— (Signal|Telegram|iMessage) /);
    await expect(rw.getPrompt({ name: 'summarize_unread', arguments: { accountID: 'nope' } })).rejects.toThrow('nope');

    const draft = await rw.getPrompt({ name: 'draft_reply', arguments: { chatID: waDM.id, instructions: 'say yes' } });
    const draftText = (draft.messages[0]!.content as { text: string }).text;
    expect(draftText).toContain(waDM.title);
    expect(draftText).toContain('say yes');
    expect(draftText).toContain((await messagesOf(waDM.id))[0]!.id);
    await expect(rw.getPrompt({ name: 'draft_reply', arguments: { chatID: '!nope:x' } })).rejects.toThrow('!nope:x');
  });
});

describe('HTTP endpoint', () => {
  it('answers 401 with WWW-Authenticate pointing at the protected-resource metadata', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) };
    const res = await fetch(`${s.baseURL}/v0/mcp`, init);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${s.baseURL}/.well-known/oauth-protected-resource"`);
    expect(res.headers.get('x-beeper-desktop-version')).toBeTruthy();
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const bad = await fetch(`${s.baseURL}/v0/mcp`, { ...init, headers: { ...init.headers, authorization: 'Bearer sb_notarealtoken_notarealtoken' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');

    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/v0/mcp']) {
      const meta = await fetch(`${s.baseURL}${path}`, { headers: { origin: 'https://app.example' } });
      expect(meta.status).toBe(200);
      expect(meta.headers.get('access-control-allow-origin')).toBe('*');
      expect(await meta.json()).toEqual(
        expect.objectContaining({ resource: `${s.baseURL}/v0/mcp`, authorization_servers: [s.baseURL], scopes_supported: ['read', 'write'], bearer_methods_supported: ['header'] }),
      );
    }
    // The authorization server the metadata names is there.
    expect((await fetch(`${s.baseURL}/.well-known/oauth-authorization-server`)).status).toBe(200);
    // A host configured with localhost finds the resource under that name (hosts compare them).
    const port = new URL(s.baseURL).port;
    const viaLocalhost = await new Promise<{ resource: string; authorization_servers: string[] }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/.well-known/oauth-protected-resource', headers: { host: `localhost:${port}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(JSON.parse(body)));
        })
        .on('error', reject);
    });
    expect(viaLocalhost).toMatchObject({ resource: `http://localhost:${port}/v0/mcp`, authorization_servers: [s.baseURL] });
  });

  it('accepts an OAuth-issued token, and not once it has expired', async () => {
    const { token } = await s.running.core.tokens.create(['read', 'write'], 'OAuth: x', { clientID: 'x', expiresAt: Date.now() + 3600e3 });
    const client = await connect(token);
    const { structuredContent } = (await client.callTool({ name: 'list_accounts', arguments: {} })) as CallToolResult;
    expect((structuredContent as { accounts: unknown[] }).accounts).toHaveLength(4);
    await client.close();

    const expired = await s.running.core.tokens.create(['read'], 'OAuth: y', { clientID: 'y', expiresAt: Date.now() - 1000 });
    await expect(connect(expired.token)).rejects.toThrow();
  });

  it('is stateless: GET and DELETE are 405, bad JSON is a JSON-RPC parse error, /v1/info says MCP is on', async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${s.baseURL}/v0/mcp`, { method, headers: { ...auth, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
    const res = await fetch(`${s.baseURL}/v0/mcp`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    // A plain JSON-RPC call, as any HTTP client would send it.
    const direct = await fetch(`${s.baseURL}/v0/mcp`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_chat', arguments: { chatID: waDM.id } } }),
    });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('x-beeper-desktop-version')).toBeTruthy();
    const body = (await direct.json()) as { id: number; result: { structuredContent: { chat: { id: string } } } };
    expect(body.id).toBe(7);
    expect(body.result.structuredContent.chat.id).toBe(waDM.id);

    const info = await s.client.info.retrieve();
    expect(info.server.mcp_enabled).toBe(true);
    expect(info.endpoints.mcp).toBe(`${s.baseURL}/v0/mcp`);
  });
});
