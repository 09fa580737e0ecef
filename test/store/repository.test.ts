// The SQLite repository on a real database file in a fresh temporary directory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteRepository, type SqliteRepository } from '../../src/store/sqlite/repository.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { openDatabase } from '../../src/store/sqlite/db.ts';
import type { AccountRecord, ChatRecord, MessageRecord, TokenRecord } from '../../src/store/records.ts';
import type { ChatKey, ChatUpsert, Direction, MessageInsert, MessageKey, MessageSearchQuery } from '../../src/store/repository.ts';
import { fold, words } from '../../src/store/text.ts';
import { ftsIndexCheck } from '../helpers/fts-index.ts';

const T0 = 1_700_000_000_000;

let dir: string;
let file: string;
let repo: SqliteRepository;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-repo-'));
  file = join(dir, 'switchboard.sqlite');
  repo = openSqliteRepository(file);
});
afterEach(() => {
  try {
    repo.close();
  } catch {
    // already closed by the test
  }
  rmSync(dir, { recursive: true, force: true });
});

const account = (id = 'acc1', over: Partial<AccountRecord> = {}): AccountRecord => ({
  id,
  connector: 'sandbox',
  network: 'WhatsApp',
  bridgeId: `bridge-${id}`,
  bridgeType: 'whatsapp',
  provider: 'local',
  host: `${id}.test`,
  selfUserID: `@me:${id}.test`,
  config: { seed: 1 },
  createdAt: T0,
  ...over,
});

const chatInput = (accountID: string, remoteID: string, over: Partial<ChatUpsert> = {}): ChatUpsert => ({
  id: `!${remoteID}-${accountID}:test`,
  accountID,
  remoteID,
  type: 'group',
  title: `Chat ${remoteID}`,
  network: 'WhatsApp',
  lastActivity: T0,
  ...over,
});

let seq = 0;
const msg = (chat: ChatRecord, over: Partial<MessageInsert> = {}): MessageInsert => {
  seq++;
  return {
    chatLocalID: chat.localID,
    id: `$m${seq}`,
    remoteID: `remote-${seq}`,
    pendingID: null,
    timestamp: T0 + seq * 1000,
    senderID: '@other:test',
    senderName: 'Other',
    type: 'TEXT',
    text: `message ${seq}`,
    plain: `message ${seq}`,
    isSender: false,
    sendStatus: null,
    attachments: [],
    linkedMessageID: null,
    mentions: null,
    links: [],
    seen: null,
    mentionsSelf: false,
    mediaFlags: 0,
    ...over,
  };
};

async function setup(chats = 1, into: SqliteRepository = repo): Promise<ChatRecord[]> {
  await into.putAccount(account());
  const out: ChatRecord[] = [];
  for (let i = 0; i < chats; i++) out.push(await into.upsertChat(chatInput('acc1', `c${i}`)));
  return out;
}

const insertAll = async (ms: MessageInsert[]) => Promise.all((await repo.insertMessages(ms)).map(async (r) => (await repo.getMessageByRowID(r.rowID))!));
const insertOne = async (m: MessageInsert) => (await repo.getMessageByRowID((await repo.insertMessages([m]))[0]!.rowID))!;
const chatOf = async (localID: number) => (await repo.getChat(String(localID)))!;
const userVersion = (db: { pragma: (s: string, o: { simple: true }) => unknown }) => db.pragma('user_version', { simple: true });
/** The full-text index's connection (its own file, the store attached), once it holds every committed change. */
const indexDb = () => (repo.search.catchUp(), repo.search.db);

describe('migrations', () => {
  it('brings a new database to the latest version', () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(userVersion(repo.db)).toBe(MIGRATIONS.length);
    const tables = (repo.db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['accounts', 'chats', 'messages', 'reactions', 'search_queue', 'tokens', 'users']));
    // The full-text index lives in a file of its own beside the store's.
    expect(tables).not.toContain('messages_fts');
    expect(existsSync(join(dir, 'switchboard-search.sqlite'))).toBe(true);
    const indexTables = repo.search.db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'").pluck().all();
    expect(indexTables).toEqual(expect.arrayContaining(['messages_fts', 'search_state']));
  });

  it('reopening a current database changes nothing', async () => {
    await repo.putAccount(account());
    const schema = () => repo.db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    const before = schema();
    repo.close();
    repo = openSqliteRepository(file);
    expect(userVersion(repo.db)).toBe(MIGRATIONS.length);
    expect(schema()).toEqual(before);
    expect(await repo.getAccount('acc1')).toEqual(account());
  });

  it('migrates a database of version 8: the full-text index is rebuilt lighter, with every message it held', async () => {
    // Built as version 8 built it, with two messages indexed.
    repo.close();
    rmSync(file, { force: true });
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.function('fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? fold(v) : null));
    // Version 8: the last before the lighter index.
    for (const [v, sql] of MIGRATIONS.slice(0, 8).entries()) old.transaction(() => (old.exec(sql), old.pragma(`user_version = ${v + 1}`)))();
    old.prepare(`INSERT INTO accounts (id, connector, network, bridge_id, bridge_type, provider, host, self_user_id, created_at) VALUES ('acc1', 'sandbox', 'WhatsApp', 'b', 'whatsapp', 'local', 'acc1.test', '@me:acc1.test', ${T0})`).run();
    old.prepare(`INSERT INTO chats (id, account_id, remote_id, type, last_activity, created_at) VALUES ('!c:test', 'acc1', 'c', 'group', ${T0}, ${T0})`).run();
    const put = old.prepare(`INSERT INTO messages (id, chat_local_id, sort_key, timestamp, sender_id, type, text, plain) VALUES (?, 1, ?, ${T0}, '@x:test', 'TEXT', ?, ?)`);
    const index = old.prepare('INSERT INTO messages_fts (rowid, text) VALUES (?, fold(?))');
    for (const [id, key, text] of [['$old', T0 * 1000, 'Crème brûlée'], ['$gone', T0 * 1000 + 1, 'Crème glacée']] as const) {
      put.run(id, key, text, text);
      index.run(key, text);
    }
    const ftsSql = (db: Database.Database) => db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'messages_fts'").pluck().get() as string;
    expect(ftsSql(old)).toContain('contentless_delete');
    old.close();

    repo = openSqliteRepository(file);
    expect(userVersion(repo.db)).toBe(MIGRATIONS.length);
    expect(ftsSql(repo.db)).toBeUndefined();
    expect(ftsSql(repo.search.db)).toMatch(/columnsize = 0[\s\S]*prefix = '2 3'/);
    expect(ftsSql(repo.search.db)).not.toContain('contentless_delete');
    expect(repo.search.db.prepare("SELECT v FROM messages_fts_config WHERE k = 'hashsize'").pluck().get()).toBe(8 * 1024 * 1024);
    const found = async (text: string) => (await repo.searchMessages({ text, direction: 'before', limit: 10, excludeLowPriority: false, includeMuted: true })).items.map((m) => m.id);
    expect(await found('creme brul')).toEqual(['$old']);
    expect(await found('creme')).toEqual(['$gone', '$old']);
    // The rebuilt index deletes by text: the triggers hand it what it was built from.
    const chat = (await repo.getChatByRemoteID('acc1', 'c'))!;
    await repo.deleteMessage((await repo.getMessage(chat.localID, '$gone'))!.rowID);
    await repo.insertMessages([msg(chat, { plain: 'crème fraîche' })]);
    expect(await found('CRÈME')).toHaveLength(2);
    expect(await found('glacee')).toEqual([]);
    const { live, expected } = ftsIndexCheck(indexDb());
    expect(live).toEqual(expected);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

  it('refuses a database from a newer Switchboard, saying so', () => {
    repo.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openSqliteRepository(file)).toThrow(new RegExp(`version ${MIGRATIONS.length + 1}, newer than this Switchboard knows \\(${MIGRATIONS.length}\\)`));
    // The file is left as it was.
    const check = new Database(file);
    expect(userVersion(check)).toBe(MIGRATIONS.length + 1);
    check.close();
  });
});

describe('accounts and users', () => {
  it('puts, gets, lists, updates and counts accounts', async () => {
    expect(await repo.getAccount('nope')).toBeUndefined();
    await repo.putAccount(account('b', { createdAt: T0 + 1 }));
    await repo.putAccount(account('a', { createdAt: T0 }));
    expect((await repo.listAccounts()).map((a) => a.id)).toEqual(['a', 'b']);
    expect(await repo.countAccounts()).toBe(2);
    await repo.putAccount(account('a', { network: 'Signal', config: { x: [1, 'y'] }, createdAt: T0 + 99 }));
    const a = await repo.getAccount('a');
    expect(a).toMatchObject({ network: 'Signal', config: { x: [1, 'y'] } });
    expect(a!.createdAt).toBe(T0); // creation time is kept
    expect(await repo.countAccounts()).toBe(2);
  });

  it('deleting an account removes its chats, messages, users and state', async () => {
    const [c] = await setup();
    await repo.putUsers([{ accountID: 'acc1', id: '@u:test', fullName: 'U' }]);
    await repo.setState('acc1', 'k', 1);
    await insertOne(msg(c!));
    await repo.deleteAccount('acc1');
    expect(await repo.getAccount('acc1')).toBeUndefined();
    expect(await repo.getChat(c!.id)).toBeUndefined();
    expect(await repo.getUser('acc1', '@u:test')).toBeUndefined();
    expect(await repo.getState('acc1', 'k')).toBeUndefined();
    expect(repo.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });

  it('keeps known user fields when a later put does not know them, and being a contact is sticky', async () => {
    await repo.putAccount(account());
    await repo.putUsers([{ accountID: 'acc1', id: '@zoe:test', fullName: 'Zoë', username: 'zoe', email: 'z@x.org', imgURL: 'mxc://x/y', isContact: true }]);
    await repo.putUsers([{ accountID: 'acc1', id: '@zoe:test', phoneNumber: '+1 555 0100', isContact: false }]);
    expect(await repo.getUser('acc1', '@zoe:test')).toEqual({
      accountID: 'acc1',
      id: '@zoe:test',
      fullName: 'Zoë',
      username: 'zoe',
      phoneNumber: '+1 555 0100',
      email: 'z@x.org',
      imgURL: 'mxc://x/y',
      cannotMessage: false,
      isSelf: false,
      isContact: true,
    });
    // New values replace old ones.
    await repo.putUsers([{ accountID: 'acc1', id: '@zoe:test', fullName: 'Zoë Z.' }]);
    expect((await repo.getUser('acc1', '@zoe:test'))!.fullName).toBe('Zoë Z.');
    // The search text follows the merged record: the name and the phone digits both find her.
    expect((await repo.listContacts('acc1', { text: 'zoe', direction: 'before', limit: 10 })).items.map((u) => u.id)).toEqual(['@zoe:test']);
    expect((await repo.listContacts('acc1', { text: '15550100', direction: 'before', limit: 10 })).items.map((u) => u.id)).toEqual(['@zoe:test']);
  });

  it('writes nothing for a user seen again as stored, and everything that changed', async () => {
    await repo.putAccount(account());
    const zoe = { accountID: 'acc1', id: '@zoe:test', fullName: 'Zoë', phoneNumber: '+1 555 0100', isContact: true };
    await repo.putUsers([zoe, { accountID: 'acc1', id: '@me:acc1.test', fullName: 'Me', isSelf: true }]);
    const writes = () => repo.db.prepare('SELECT total_changes()').pluck().get() as number;
    const before = writes();
    // As a group lists its members: the same facts, some left out, contact and owner flags not repeated.
    await repo.putUsers([{ accountID: 'acc1', id: '@zoe:test', fullName: 'Zoë' }, { accountID: 'acc1', id: '@me:acc1.test' }]);
    await repo.putUsers([{ ...zoe, isContact: false }]);
    expect(writes()).toBe(before);
    for (const change of [{ fullName: 'Zoë Z.' }, { username: 'zoe' }, { email: 'z@x.org' }, { imgURL: 'mxc://x/y' }, { cannotMessage: true }, { phoneNumber: '+1 555 0199' }]) {
      const n = writes();
      await repo.putUsers([{ accountID: 'acc1', id: '@zoe:test', ...change }]);
      expect(writes(), JSON.stringify(change)).toBeGreaterThan(n);
      expect(await repo.getUser('acc1', '@zoe:test')).toMatchObject(change);
    }
    expect((await repo.listContacts('acc1', { text: '15550199', direction: 'before', limit: 10 })).items.map((u) => u.id)).toEqual(['@zoe:test']);
  });

  it('keeps cannotMessage when a later put does not mention it', async () => {
    await repo.putAccount(account());
    await repo.putUsers([{ accountID: 'acc1', id: '@u:test', cannotMessage: true }]);
    await repo.putUsers([{ accountID: 'acc1', id: '@u:test', fullName: 'U' }]);
    expect((await repo.getUser('acc1', '@u:test'))!.cannotMessage).toBe(true);
    await repo.putUsers([{ accountID: 'acc1', id: '@u:test', cannotMessage: false }]);
    expect((await repo.getUser('acc1', '@u:test'))!.cannotMessage).toBe(false);
  });

  it('finds users by handle and email, never the account owner', async () => {
    await repo.putAccount(account());
    await repo.putUsers([
      { accountID: 'acc1', id: '@me:test', username: 'me', isSelf: true },
      { accountID: 'acc1', id: '@ann:test', username: 'Ann', email: 'Ann@Example.org' },
    ]);
    expect((await repo.findUsers('acc1', { username: '@ann' })).map((u) => u.id)).toEqual(['@ann:test']);
    expect((await repo.findUsers('acc1', { username: 'ANN' })).map((u) => u.id)).toEqual(['@ann:test']);
    expect((await repo.findUsers('acc1', { email: 'ann@example.ORG' })).map((u) => u.id)).toEqual(['@ann:test']);
    expect((await repo.findUsers('acc1', { id: '@ann:test' })).map((u) => u.id)).toEqual(['@ann:test']);
    expect(await repo.findUsers('acc1', { username: 'me' })).toEqual([]);
    expect(await repo.findUsers('acc1', { id: '@me:test' })).toEqual([]);
    expect(await repo.findUsers('acc1', {})).toEqual([]);
  });

  it('finds users by the digits of their phone number, whatever its punctuation', async () => {
    await repo.putAccount(account());
    await repo.putUsers([
      { accountID: 'acc1', id: '@e164:test', phoneNumber: '+15550100' },
      { accountID: 'acc1', id: '@dashes:test', phoneNumber: '+1 555-0101' },
      { accountID: 'acc1', id: '@parens:test', phoneNumber: '+44 (20) 7946-0018' },
    ]);
    expect((await repo.findUsers('acc1', { phoneNumber: '+1 555 0100' })).map((u) => u.id)).toEqual(['@e164:test']);
    expect((await repo.findUsers('acc1', { phoneNumber: '15550101' })).map((u) => u.id)).toEqual(['@dashes:test']);
    expect((await repo.findUsers('acc1', { phoneNumber: '+442079460018' })).map((u) => u.id)).toEqual(['@parens:test']);
  });
});

describe('chats', () => {
  it('upsertChat assigns increasing local IDs and finds chats by ID, local ID and remote ID', async () => {
    const chats = await setup(4);
    const ids = chats.map((c) => c.localID);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    const c = chats[2]!;
    expect(await repo.getChat(c.id)).toEqual(c);
    expect(await repo.getChat(String(c.localID))).toEqual(c);
    expect(await repo.getChatByRemoteID('acc1', c.remoteID)).toEqual(c);
    expect(await repo.getChat('999999')).toBeUndefined();
    expect(await repo.getChat('!missing:test')).toBeUndefined();
    expect((await repo.getChatsByLocalIDs([ids[0]!, ids[0]!, 999999])).size).toBe(1);
  });

  it('getChatsByLocalIDs answers rows as they stand, also after another connection changes or deletes them', async () => {
    const [a, b] = await setup(2);
    const first = await repo.getChatsByLocalIDs([b!.localID, a!.localID]);
    expect([...first.keys()]).toEqual([b!.localID, a!.localID]);
    expect(first.get(a!.localID)).toEqual(a);
    // Kept records are shared, so they cannot be changed by a caller.
    expect(Object.isFrozen(first.get(a!.localID))).toBe(true);
    await repo.updateChatState(a!.localID, { isArchived: true });
    expect((await repo.getChatsByLocalIDs([a!.localID])).get(a!.localID)).toMatchObject({ isArchived: true, version: a!.version + 1 });
    // Another process (the CLI) writes the same file, through its own connection.
    const other = openDatabase(file);
    other.prepare('UPDATE chats SET title = ? WHERE local_id = ?').run('Renamed elsewhere', b!.localID);
    other.prepare('DELETE FROM chats WHERE local_id = ?').run(a!.localID);
    other.close();
    const after = await repo.getChatsByLocalIDs([a!.localID, b!.localID]);
    expect([...after.keys()]).toEqual([b!.localID]);
    expect(after.get(b!.localID)).toMatchObject({ title: 'Renamed elsewhere', version: b!.version + 1 });
  });

  it('upserting a known chat keeps its local ID and unknown fields, and activity never goes back', async () => {
    await setup(0);
    const first = await repo.upsertChat(chatInput('acc1', 'x', { description: 'topic', imgURL: 'mxc://a/b', lastActivity: T0 + 5000 }));
    const again = await repo.upsertChat(chatInput('acc1', 'x', { title: 'Renamed', lastActivity: T0 }));
    expect(again.localID).toBe(first.localID);
    expect(again).toMatchObject({ title: 'Renamed', description: 'topic', imgURL: 'mxc://a/b', lastActivity: T0 + 5000 });
    const cleared = await repo.upsertChat(chatInput('acc1', 'x', { description: null }));
    expect(cleared.description).toBeNull();
    const next = await repo.upsertChat(chatInput('acc1', 'y'));
    expect(next.localID).toBeGreaterThan(first.localID);
  });

  it('a message request stays one until the network says otherwise; new chats are not requests', async () => {
    await setup(0);
    expect((await repo.upsertChat(chatInput('acc1', 'plain'))).isMessageRequest).toBe(false);
    const request = await repo.upsertChat(chatInput('acc1', 'r', { isMessageRequest: true }));
    expect(request.isMessageRequest).toBe(true);
    const renamed = await repo.upsertChat(chatInput('acc1', 'r', { title: 'Renamed' }));
    expect(renamed).toMatchObject({ isMessageRequest: true, title: 'Renamed' });
    expect(renamed.version).toBeGreaterThan(request.version);
    const accepted = await repo.upsertChat(chatInput('acc1', 'r', { isMessageRequest: false }));
    expect(accepted.isMessageRequest).toBe(false);
    expect(accepted.version).toBeGreaterThan(renamed.version); // cached views of it are stale
  });

  it('replacing a member list bumps the chat version once, also when members leave or the list is set again', async () => {
    const [c] = await setup();
    const version = async () => (await repo.getChatVersion(c!.id))!.version;
    const v0 = await version();
    await repo.setParticipants(c!.localID, [{ userID: '@me:acc1.test' }, { userID: '@a:test' }, { userID: '@b:test' }]);
    const v1 = await version();
    expect(v1).toBe(v0 + 1);
    await repo.setParticipants(c!.localID, [{ userID: '@me:acc1.test' }, { userID: '@a:test' }, { userID: '@b:test' }]);
    const v2 = await version();
    expect(v2).toBe(v1 + 1); // roles may have changed: cached views are stale
    await repo.setParticipants(c!.localID, [{ userID: '@me:acc1.test' }]);
    expect(await version()).toBe(v2 + 1);
    expect((await chatOf(c!.localID)).participantCount).toBe(1);
  });

  it('a member seen again as stored writes nothing; a changed field or a sticky flag does', async () => {
    await setup(0);
    const changes = () => repo.db.prepare('SELECT total_changes()').pluck().get() as number;
    await repo.putUsers([{ accountID: 'acc1', id: '@z:test', fullName: 'Zoë Ångström', isContact: true }]);
    const before = changes();
    // Seen in a group: fewer fields, not a contact there. Nothing to write, and still a contact.
    await repo.putUsers([{ accountID: 'acc1', id: '@z:test', fullName: 'Zoë Ångström', isContact: false }]);
    await repo.putUsers([{ accountID: 'acc1', id: '@z:test' }]);
    expect(changes()).toBe(before);
    expect(await repo.getUser('acc1', '@z:test')).toMatchObject({ fullName: 'Zoë Ångström', isContact: true });
    await repo.putUsers([{ accountID: 'acc1', id: '@z:test', username: 'zoe' }]);
    expect(changes()).toBeGreaterThan(before);
    expect(await repo.getUser('acc1', '@z:test')).toMatchObject({ fullName: 'Zoë Ångström', username: 'zoe', isContact: true });
    const contacts = await repo.listContacts('acc1', { text: 'angstrom zoe', direction: 'before', limit: 10 });
    expect(contacts.items.map((u) => u.id)).toEqual(['@z:test']);
  });

  it('updateChatState changes only what it is given', async () => {
    const [c] = await setup();
    const s = await repo.updateChatState(c!.localID, { isMuted: true, draft: { text: 'hi' }, reminder: { remindAt: T0, dismissOnIncomingMessage: true } });
    expect(s).toMatchObject({ isMuted: true, isPinned: false, draft: { text: 'hi' }, reminder: { remindAt: T0, dismissOnIncomingMessage: true } });
    const t = await repo.updateChatState(c!.localID, { draft: null, isPinned: true });
    expect(t).toMatchObject({ isMuted: true, isPinned: true, draft: null });
    expect((await repo.dueReminders(T0)).map((x) => x.localID)).toEqual([c!.localID]);
    expect(await repo.dueReminders(T0 - 1)).toEqual([]);
  });

  it('a state patch that changes nothing leaves the chat and its version as they were; one that changes anything bumps it', async () => {
    const [c] = await setup();
    const set = await repo.updateChatState(c!.localID, { isMarkedUnread: true, draft: { text: 'hi' } });
    const same = await repo.updateChatState(c!.localID, { isMarkedUnread: true, draft: { text: 'hi' } });
    expect(same.version).toBe(set.version);
    const cleared = await repo.updateChatState(c!.localID, { isMarkedUnread: false, draft: { text: 'hi' } });
    expect(cleared).toMatchObject({ isMarkedUnread: false, draft: { text: 'hi' } });
    expect(cleared.version).toBe(set.version + 1);
    expect((await repo.updateChatState(c!.localID, { draft: null })).version).toBe(set.version + 2);
    expect((await repo.updateChatState(c!.localID, { draft: null, isMarkedUnread: false })).version).toBe(set.version + 2);
  });
});

describe('inserting messages', () => {
  it('orders sort keys by timestamp, whatever order messages arrive in', async () => {
    const [c] = await setup();
    const arrivals = [5, 1, 3, 2, 4].map((k) => msg(c!, { timestamp: T0 + k * 1000, plain: `t${k}` }));
    const results = await repo.insertMessages(arrivals);
    expect(results.every((r) => r.inserted)).toBe(true);
    const byTime = results.map((r, i) => ({ sortKey: r.sortKey, timestamp: arrivals[i]!.timestamp })).sort((a, b) => a.timestamp - b.timestamp);
    for (let i = 1; i < byTime.length; i++) expect(byTime[i]!.sortKey).toBeGreaterThan(byTime[i - 1]!.sortKey);
    const page = await repo.listMessages(c!.localID, { direction: 'before', limit: 10 });
    expect(page.items.map((m) => m.plain)).toEqual(['t5', 't4', 't3', 't2', 't1']);
  });

  it('gives 1,000+ messages of the same millisecond unique, increasing sort keys', async () => {
    const [c] = await setup();
    const ts = T0 + 777;
    const batch = Array.from({ length: 1200 }, (_, i) => msg(c!, { timestamp: ts, plain: `same ${i}` }));
    const results = await repo.insertMessages(batch);
    expect(results.filter((r) => r.inserted)).toHaveLength(1200);
    const keys = results.map((r) => r.sortKey);
    expect(new Set(keys).size).toBe(1200);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThan(keys[i - 1]!);
    // Later and earlier messages still sort around them.
    const later = await insertOne(msg(c!, { timestamp: ts + 1 }));
    const earlier = await insertOne(msg(c!, { timestamp: ts - 1 }));
    expect(later.sortKey).toBeGreaterThan(Math.max(...keys));
    expect(earlier.sortKey).toBeLessThan(Math.min(...keys));
    // Sort keys are unique across chats too (they are the search index's rowids): the
    // same millisecond in another chat gets the next free key, close to its time.
    const other = await repo.upsertChat(chatInput('acc1', 'other'));
    const o = await insertOne(msg(other, { timestamp: ts }));
    expect([...keys, later.sortKey, earlier.sortKey]).not.toContain(o.sortKey);
    expect(o.sortKey).toBeGreaterThan(ts * 1000);
    expect(o.sortKey).toBeLessThan((ts + 2) * 1000);
  });

  it('skips duplicates by ID or pending ID, also within one batch', async () => {
    const [c] = await setup();
    const original = msg(c!, { pendingID: 'pending-1' });
    const [first] = await repo.insertMessages([original]);
    expect(first!.inserted).toBe(true);
    const before = await chatOf(c!.localID);
    const again = await repo.insertMessages([
      { ...original },
      msg(c!, { remoteID: null, pendingID: 'pending-1' }),
    ]);
    expect(again.map((r) => r.inserted)).toEqual([false, false]);
    for (const r of again) expect(r.rowID).toBe(first!.rowID);
    const twice = msg(c!);
    const batch = await repo.insertMessages([twice, { ...twice }]);
    expect(batch.map((r) => r.inserted)).toEqual([true, false]);
    expect((await chatOf(c!.localID)).unreadCount).toBe(before.unreadCount + 1);
    expect(repo.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 2 });
  });

  it('a large mixed batch ends as the same messages one at a time would: new, duplicate, same-millisecond', async () => {
    // A batch is the store's fast path (one transaction, counters and full-text index
    // once per batch); whatever it does inside, it must end as one call per message would.
    const build = (chats: ChatRecord[], stored: MessageInsert[]) => {
      // Only chat a has messages of your own (they move its read marker); b's unread count is only added up.
      const [a, b] = chats;
      const out: MessageInsert[] = [];
      for (let i = 0; i < 140; i++) {
        const chat = i % 3 ? a! : b!;
        const kind = i % 10;
        if (i < 40) out.push(msg(chat, { timestamp: T0 + 2_000_000 + i * 1000 })); // a run of new messages first
        else if (kind === 1) out.push({ ...stored[i % stored.length]! }); // seen before, by ID
        else if (kind === 2) {
          const old = stored[i % stored.length]!; // seen before, by pending ID
          out.push(msg(chat, { remoteID: null, pendingID: old.pendingID, chatLocalID: old.chatLocalID }));
        }
        else if (kind === 3) out.push({ ...out[out.length - 1]! }); // twice in the batch
        else if (kind === 4) out.push(msg(chat, { timestamp: T0 + 5_000_000 })); // the same millisecond, again and again
        else if (kind === 5) {
          // Twice in the batch, the first copy in a millisecond taken before, the second not:
          // the first is stored (under the next free key), the second is the duplicate.
          const first = msg(chat, { timestamp: stored[0]!.timestamp, pendingID: `twice-${i}` });
          out.push(first, { ...first, timestamp: T0 + 3_000_000 + i * 1000 });
          const again = msg(chat, { timestamp: stored[1]!.timestamp, pendingID: `again-${i}` });
          out.push(again, msg(chat, { timestamp: T0 + 4_000_000 + i * 1000, pendingID: again.pendingID }));
        } else out.push(msg(chat, { timestamp: T0 + 1_000_000 + ((i * 7919) % 100) * 1000, isSender: i % 7 === 0 && chat === a, mentionsSelf: i % 11 === 0 }));
      }
      return out;
    };
    const chats = await setup(2);
    const stored = Array.from({ length: 5 }, (_, i) => msg(chats[i % 2]!, { pendingID: `p${i}`, timestamp: T0 + 1_000_000 + i * 1000 }));
    await repo.insertMessages(stored);
    const batch = build(chats, stored);
    const together = await repo.insertMessages(batch);

    // The same history, one message per call, in a second store.
    const other = openSqliteRepository(join(dir, 'one-by-one.sqlite'));
    try {
      expect((await setup(2, other)).map((c) => c.localID)).toEqual(chats.map((c) => c.localID));
      await other.insertMessages(stored);
      const single = [];
      for (const m of batch) single.push(...(await other.insertMessages([m])));
      const outcome = (rs: typeof together) => rs.map((r) => ({ id: r.id, sortKey: r.sortKey, inserted: r.inserted }));
      expect(outcome(together)).toEqual(outcome(single));
      expect(together.filter((r) => !r.inserted).length).toBeGreaterThanOrEqual(20);
      // Each result names the row that holds its message.
      for (const r of together) expect((await repo.getMessageByRowID(r.rowID))?.id).toBe(r.id);
      const rows = (db: Database.Database) => db.prepare('SELECT chat_local_id, id, pending_id, sort_key, plain FROM messages ORDER BY sort_key').all();
      expect(rows(repo.db)).toEqual(rows(other.db));
      const counters = (db: Database.Database) => db.prepare('SELECT local_id, unread_count, unread_mentions_count, last_activity, last_read_sort_key FROM chats ORDER BY local_id').all();
      expect(counters(repo.db)).toEqual(counters(other.db));
      const search = async (r: SqliteRepository) => (await r.searchMessages({ text: 'message', direction: 'before', limit: 500, excludeLowPriority: false, includeMuted: true })).items.map((m) => m.sortKey);
      expect(await search(repo)).toEqual(await search(other));
      expect((await search(repo)).length).toBe((rows(repo.db) as unknown[]).length);
    } finally {
      other.close();
    }
  });

  it('stores and returns every field, and finds a message by ID, pending ID or network ID', async () => {
    const [c] = await setup();
    const input = msg(c!, {
      pendingID: 'pending-x',
      isSender: true,
      sendStatus: { status: 'PENDING' },
      attachments: [{ id: 'mxc://a/b', type: 'img' }],
      mentions: ['@a:test'],
      links: [{ url: 'https://x.org', title: 'X' }],
      seen: { '@a:test': true },
      linkedMessageID: '$parent',
      type: 'IMAGE',
      mediaFlags: 1,
    });
    const rec = await insertOne(input);
    expect(rec).toMatchObject({
      id: input.id,
      chatLocalID: c!.localID,
      chatID: c!.id,
      accountID: 'acc1',
      remoteID: input.remoteID,
      pendingID: 'pending-x',
      timestamp: input.timestamp,
      isSender: true,
      sendStatus: { status: 'PENDING' },
      attachments: [{ id: 'mxc://a/b', type: 'img' }],
      mentions: ['@a:test'],
      links: [{ url: 'https://x.org', title: 'X' }],
      seen: { '@a:test': true },
      linkedMessageID: '$parent',
      type: 'IMAGE',
      isDeleted: false,
      editCount: 0,
      reactions: [],
    });
    for (const key of [input.id, 'pending-x']) expect((await repo.getMessage(c!.localID, key))?.rowID).toBe(rec.rowID);
    expect(await repo.getMessage(c!.localID, 'nope')).toBeUndefined();
  });
});

describe('unread counters', () => {
  it('counts messages from others after the read marker, with mentions, and not hidden ones', async () => {
    const [c] = await setup();
    await repo.insertMessages([msg(c!), msg(c!, { mentionsSelf: true }), msg(c!, { isHidden: true, mentionsSelf: true })]);
    let chat = await chatOf(c!.localID);
    expect([chat.unreadCount, chat.unreadMentionsCount]).toEqual([2, 1]);
    await insertOne(msg(c!));
    chat = await chatOf(c!.localID);
    expect([chat.unreadCount, chat.unreadMentionsCount]).toEqual([3, 1]);
  });

  it('sending your own message marks everything before it read', async () => {
    const [c] = await setup();
    await repo.insertMessages([msg(c!), msg(c!, { mentionsSelf: true })]);
    const own = await insertOne(msg(c!, { isSender: true, senderID: '@me:acc1.test' }));
    let chat = await chatOf(c!.localID);
    expect([chat.unreadCount, chat.unreadMentionsCount, chat.lastReadSortKey]).toEqual([0, 0, own.sortKey]);
    await insertOne(msg(c!, { mentionsSelf: true }));
    chat = await chatOf(c!.localID);
    expect([chat.unreadCount, chat.unreadMentionsCount]).toEqual([1, 1]);
    // In one batch: only what follows your own message stays unread.
    await repo.insertMessages([msg(c!), msg(c!, { isSender: true }), msg(c!), msg(c!, { mentionsSelf: true })]);
    chat = await chatOf(c!.localID);
    expect([chat.unreadCount, chat.unreadMentionsCount]).toEqual([2, 1]);
  });

  it('a backfilled message older than the read marker is not unread', async () => {
    const [c] = await setup();
    await insertOne(msg(c!, { timestamp: T0 + 10_000_000, isSender: true }));
    await insertOne(msg(c!, { timestamp: T0 + 1 }));
    expect((await chatOf(c!.localID)).unreadCount).toBe(0);
  });

  it('setReadMarker recounts after the marker; null reads everything', async () => {
    const [c] = await setup();
    const recs = (await insertAll([msg(c!), msg(c!, { mentionsSelf: true }), msg(c!), msg(c!, { mentionsSelf: true })]));
    let chat = await repo.setReadMarker(c!.localID, recs[1]!.sortKey);
    expect([chat.unreadCount, chat.unreadMentionsCount, chat.lastReadSortKey]).toEqual([2, 1, recs[1]!.sortKey]);
    chat = await repo.setReadMarker(c!.localID, recs[0]!.sortKey - 1);
    expect([chat.unreadCount, chat.unreadMentionsCount]).toEqual([4, 2]);
    chat = await repo.setReadMarker(c!.localID, null);
    expect([chat.unreadCount, chat.unreadMentionsCount, chat.lastReadSortKey]).toEqual([0, 0, recs[3]!.sortKey]);
    // A deleted message no longer counts.
    const fresh = await insertOne(msg(c!));
    await repo.updateMessage(fresh.rowID, { isDeleted: true });
    chat = await repo.setReadMarker(c!.localID, recs[3]!.sortKey);
    expect(chat.unreadCount).toBe(0);
  });

  it('moves the chat activity to the newest visible message', async () => {
    const [c] = await setup();
    await repo.insertMessages([msg(c!, { timestamp: T0 + 50_000 }), msg(c!, { timestamp: T0 + 90_000, isHidden: true })]);
    expect((await chatOf(c!.localID)).lastActivity).toBe(T0 + 50_000);
  });
});

/** Walks a list page by page in one direction, returning every item seen. */
async function walk<T, K>(
  fetch: (cursor: K | undefined) => Promise<{ items: T[]; hasMore: boolean }>,
  edge: (items: T[]) => T,
  keyOf: (item: T) => K,
  start?: K,
  between?: (page: number) => Promise<void>,
): Promise<{ items: T[]; pages: number; hasMoreFlags: boolean[] }> {
  const items: T[] = [];
  const hasMoreFlags: boolean[] = [];
  let cursor = start;
  for (let pages = 1; pages < 1000; pages++) {
    const page = await fetch(cursor);
    items.push(...page.items);
    hasMoreFlags.push(page.hasMore);
    if (!page.hasMore || page.items.length === 0) return { items, pages, hasMoreFlags };
    cursor = keyOf(edge(page.items));
    if (between) await between(pages);
  }
  throw new Error('paging did not end');
}

describe('keyset paging', () => {
  const mkey = (m: MessageRecord): MessageKey => ({ sortKey: m.sortKey, rowID: m.rowID });
  const ckey = (c: ChatRecord): ChatKey => ({ lastActivity: c.lastActivity, localID: c.localID });

  it('listMessages pages back and forth over the whole chat without gaps or repeats', async () => {
    const [c] = await setup();
    const all = (await insertAll(Array.from({ length: 95 }, () => msg(c!))));
    const newestFirst = [...all].sort((a, b) => b.sortKey - a.sortKey).map((m) => m.id);
    const list = (direction: Direction) => (cursor: MessageKey | undefined) => repo.listMessages(c!.localID, { cursor, direction, limit: 10 });

    const back = await walk(list('before'), (items) => items.at(-1)!, mkey);
    expect(back.items.map((m) => m.id)).toEqual(newestFirst);
    expect(back.pages).toBe(10);
    expect(back.hasMoreFlags).toEqual([...Array(9).fill(true), false]);

    // Forward from the oldest: pages come newest-first within each page.
    const oldest = all.reduce((a, b) => (a.sortKey < b.sortKey ? a : b));
    const fwd = await walk(list('after'), (items) => items[0]!, mkey, mkey(oldest));
    const fwdIDs = fwd.items.map((m) => m.id);
    expect(new Set(fwdIDs).size).toBe(94);
    expect([...fwdIDs].sort()).toEqual(newestFirst.filter((id) => id !== oldest.id).sort());
    const firstPage = await repo.listMessages(c!.localID, { cursor: mkey(oldest), direction: 'after', limit: 10 });
    for (let i = 1; i < firstPage.items.length; i++) expect(firstPage.items[i]!.sortKey).toBeLessThan(firstPage.items[i - 1]!.sortKey);
  });

  it('listMessages stays stable when messages arrive between pages', async () => {
    const [c] = await setup();
    const all = (await insertAll(Array.from({ length: 50 }, () => msg(c!))));
    const backfilled: string[] = [];
    const walked = await walk(
      (cursor) => repo.listMessages(c!.localID, { cursor, direction: 'before', limit: 7 }),
      (items) => items.at(-1)!,
      mkey,
      undefined,
      async (page) => {
        if (page > 3) return;
        // Newer messages (above the cursor) and older backfill (below everything).
        await repo.insertMessages([msg(c!, { timestamp: T0 + 10_000_000 + page })]);
        const old = await insertOne(msg(c!, { timestamp: T0 - page * 1000 }));
        backfilled.push(old.id);
      },
    );
    const ids = walked.items.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...all.map((m) => m.id), ...backfilled].sort());
  });

  it('listChats pages over chats with equal activity without gaps or repeats, also when chats are added', async () => {
    await setup(0);
    await repo.putAccount(account('acc2'));
    const chats: ChatRecord[] = [];
    for (let i = 0; i < 23; i++) chats.push(await repo.upsertChat(chatInput(i % 4 === 0 ? 'acc2' : 'acc1', `r${i}`, { lastActivity: T0 + Math.floor(i / 3) * 1000 })));
    const expected = [...chats].sort((a, b) => b.lastActivity - a.lastActivity || b.localID - a.localID).map((c) => c.localID);
    const list = (direction: Direction) => (cursor: ChatKey | undefined) => repo.listChats({ cursor, direction, limit: 5 });

    const back = await walk(list('before'), (items) => items.at(-1)!, ckey);
    expect(back.items.map((c) => c.localID)).toEqual(expected);
    expect(back.hasMoreFlags.at(-1)).toBe(false);

    const last = chats.find((c) => c.localID === expected.at(-1))!;
    const fwd = await walk(list('after'), (items) => items[0]!, ckey, ckey(last));
    expect([...fwd.items.map((c) => c.localID)].sort((a, b) => a - b)).toEqual(expected.slice(0, -1).sort((a, b) => a - b));

    // Chats added while paging: a newer one is not repeated, an older one shows once at the end.
    const added: number[] = [];
    const during = await walk(list('before'), (items) => items.at(-1)!, ckey, undefined, async (page) => {
      if (page !== 2) return;
      await repo.upsertChat(chatInput('acc1', 'new-top', { lastActivity: T0 + 10_000_000 }));
      added.push((await repo.upsertChat(chatInput('acc1', 'new-bottom', { lastActivity: T0 - 10_000_000 }))).localID);
    });
    expect(during.items.map((c) => c.localID)).toEqual([...expected, ...added]);

    const acc2 = await repo.listChats({ accountIDs: ['acc2'], direction: 'before', limit: 100 });
    expect(acc2.items.map((c) => c.accountID)).toEqual(Array(6).fill('acc2'));
  });
});

describe('searchMessages (FTS5)', () => {
  interface World {
    c1: ChatRecord;
    single: ChatRecord;
    low: ChatRecord;
    other: ChatRecord;
    m: Record<string, MessageRecord>;
  }

  async function world(): Promise<World> {
    await repo.putAccount(account('acc1'));
    await repo.putAccount(account('acc2'));
    const c1 = await repo.upsertChat(chatInput('acc1', 'group'));
    const single = await repo.upsertChat(chatInput('acc1', 'single', { type: 'single' }));
    const low = await repo.upsertChat(chatInput('acc1', 'low'));
    const other = await repo.upsertChat(chatInput('acc2', 'elsewhere'));
    await repo.updateChatState(single.localID, { isMuted: true });
    await repo.updateChatState(low.localID, { isLowPriority: true });
    const text = (plain: string) => ({ text: plain, plain });
    const defs: Record<string, MessageInsert> = {
      dinner: msg(c1, text("Dinner at Zoë's place tonight")),
      mine: msg(c1, { ...text('See you at dinner'), isSender: true, senderID: '@me:acc1.test' }),
      cafe: msg(single, text('The café is NAÏVE')),
      lowprio: msg(low, text('low priority dinner')),
      elsewhere: msg(other, text('dinner on the other account')),
      photo: msg(c1, { ...text('holiday photo'), senderID: '@bob:test', mediaFlags: 1 }),
      video: msg(c1, { ...text('video clip'), mediaFlags: 2 }),
      hello: msg(c1, text('hello world')),
      syntax: msg(c1, text('near and col x star')),
      hidden: msg(c1, { ...text('hidden dinner'), isHidden: true }),
      noText: msg(c1, { text: null, plain: null, mediaFlags: 4 }),
    };
    const m: Record<string, MessageRecord> = {};
    for (const [k, v] of Object.entries(defs)) m[k] = await insertOne(v);
    return { c1, single, low, other, m };
  }

  const search = async (q: Partial<MessageSearchQuery>) => {
    const page = await repo.searchMessages({ excludeLowPriority: false, includeMuted: true, direction: 'before', limit: 100, ...q });
    return page.items;
  };
  const names = (w: World, items: MessageRecord[]) => items.map((i) => Object.entries(w.m).find(([, r]) => r.rowID === i.rowID)?.[0] ?? `row ${i.rowID}`).sort();

  it('matches all words in any order, folding case and diacritics', async () => {
    const w = await world();
    expect(names(w, await search({ text: 'tonight dinner' }))).toEqual(['dinner']);
    expect(names(w, await search({ text: 'dinner tonight' }))).toEqual(['dinner']);
    expect(names(w, await search({ text: 'ZOE' }))).toEqual(['dinner']);
    expect(names(w, await search({ text: 'zoë' }))).toEqual(['dinner']);
    expect(names(w, await search({ text: 'cafe naive' }))).toEqual(['cafe']);
    expect(names(w, await search({ text: 'CAFÉ Naïve' }))).toEqual(['cafe']);
    expect(names(w, await search({ text: 'dinner' }))).toEqual(['dinner', 'elsewhere', 'lowprio', 'mine']);
    expect(names(w, await search({ text: 'dinner breakfast' }))).toEqual([]);
  });

  it('folds letters without a Unicode decomposition (ł, ø, æ, ß) like accents', async () => {
    const [c] = await setup();
    const m = await insertOne(msg(c!, { plain: 'Łukasz and Søren ate smørrebrød in Straße' }));
    for (const q of ['lukasz', 'soren', 'smorrebrod', 'strasse', 'ŁUKASZ', 'Søren']) {
      expect((await search({ text: q })).map((x) => x.rowID), q).toEqual([m.rowID]);
    }
  });

  it('treats only the last word as a prefix', async () => {
    const w = await world();
    expect(names(w, await search({ text: 'din' }))).toEqual(['dinner', 'elsewhere', 'lowprio', 'mine']);
    expect(names(w, await search({ text: 'tonight din' }))).toEqual(['dinner']);
    expect(names(w, await search({ text: 'din tonight' }))).toEqual([]);
    expect(names(w, await search({ text: 'hel wor' }))).toEqual([]);
    expect(names(w, await search({ text: 'hello wor' }))).toEqual(['hello']);
  });

  /** Names of the visible messages containing every word of q literally (the last as a prefix). */
  const literalMatches = (w: World, q: string) => {
    const ws = words(q);
    return Object.entries(w.m)
      .filter(([k]) => k !== 'hidden')
      .filter(([, r]) => {
        const tokens = words(r.plain ?? '');
        return ws.length > 0 && ws.every((word, i) => tokens.some((t) => (i === ws.length - 1 ? t.startsWith(word) : t === word)));
      })
      .map(([k]) => k)
      .sort();
  };

  it('treats FTS5 syntax in user text as plain words', async () => {
    const w = await world();
    const queries = ['AND', 'NEAR(', 'col:x', '-x', 'x*', '^near', 'dinner OR hello', 'dinner NOT tonight', '"dinner', '(dinner', 'near(x, 2)', '{plain}: x', 'x AND', 'star"', 'NEAR("near" "x")'];
    for (const q of queries) expect(names(w, await search({ text: q })), `query ${JSON.stringify(q)}`).toEqual(literalMatches(w, q));
    expect(names(w, await search({ text: 'AND' }))).toEqual(['syntax']);
    expect(names(w, await search({ text: 'col:x' }))).toEqual(['syntax']);
    expect(names(w, await search({ text: '-x' }))).toEqual(['syntax']);
    expect(names(w, await search({ text: 'dinner NOT tonight' }))).toEqual([]);
  });

  it('a query of FTS5 syntax characters only (no words) finds nothing', async () => {
    const w = await world();
    const found: Record<string, string[]> = {};
    for (const q of ['"', '*', '""""', "'", '-', '(', ':', '^']) found[q] = names(w, await search({ text: q }));
    expect(found).toEqual({ '"': [], '*': [], '""""': [], "'": [], '-': [], '(': [], ':': [], '^': [] });
  });

  it('without text, the filters alone select', async () => {
    const w = await world();
    const all = Object.keys(w.m).filter((k) => k !== 'hidden').sort();
    expect(names(w, await search({}))).toEqual(all);
    expect(names(w, await search({ text: '' }))).toEqual(all);
    expect(names(w, await search({ text: '   ' }))).toEqual(all);
  });

  it('filters by chat, account, chat type, media, sender, dates, low priority and muted', async () => {
    const w = await world();
    expect(names(w, await search({ chatLocalIDs: [w.single.localID, w.low.localID] }))).toEqual(['cafe', 'lowprio']);
    expect(names(w, await search({ chatLocalIDs: [] }))).toEqual([]);
    expect(names(w, await search({ accountIDs: ['acc2'] }))).toEqual(['elsewhere']);
    expect(names(w, await search({ chatType: 'single' }))).toEqual(['cafe']);
    expect(names(w, await search({ mediaMask: 1 }))).toEqual(['photo']);
    expect(names(w, await search({ mediaMask: 1 | 2 }))).toEqual(['photo', 'video']);
    expect(names(w, await search({ mediaMask: 4 }))).toEqual(['noText']);
    expect(names(w, await search({ sender: { kind: 'me' } }))).toEqual(['mine']);
    expect(names(w, await search({ sender: { kind: 'others' }, text: 'dinner' }))).toEqual(['dinner', 'elsewhere', 'lowprio']);
    expect(names(w, await search({ sender: { kind: 'user', id: '@bob:test' } }))).toEqual(['photo']);
    // Date bounds are exclusive.
    expect(names(w, await search({ text: 'dinner', after: w.m.dinner!.timestamp }))).toEqual(['elsewhere', 'lowprio', 'mine']);
    expect(names(w, await search({ text: 'dinner', before: w.m.lowprio!.timestamp }))).toEqual(['dinner', 'mine']);
    expect(names(w, await search({ after: w.m.cafe!.timestamp - 1, before: w.m.cafe!.timestamp + 1 }))).toEqual(['cafe']);
    expect(names(w, await search({ text: 'dinner', excludeLowPriority: true }))).toEqual(['dinner', 'elsewhere', 'mine']);
    expect(names(w, await search({ text: 'cafe', includeMuted: false }))).toEqual([]);
    expect(names(w, await search({ text: 'cafe', includeMuted: true }))).toEqual(['cafe']);
  });

  it('pages across chats whose sort keys tie, without gaps or repeats', async () => {
    await setup(0);
    const chats = [await repo.upsertChat(chatInput('acc1', 'a')), await repo.upsertChat(chatInput('acc1', 'b')), await repo.upsertChat(chatInput('acc1', 'c'))];
    for (let i = 0; i < 10; i++) for (const c of chats) await insertOne(msg(c, { timestamp: T0 + i * 1000, plain: `ping ${i}` }));
    const walked = await walk<MessageRecord, MessageKey>(
      (cursor) => repo.searchMessages({ text: 'ping', cursor, direction: 'before', limit: 7, excludeLowPriority: false, includeMuted: true }),
      (items) => items.at(-1)!,
      (m) => ({ sortKey: m.sortKey, rowID: m.rowID }),
    );
    const ids = walked.items.map((m) => m.rowID);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    const sorted = [...walked.items].sort((a, b) => b.sortKey - a.sortKey || b.rowID - a.rowID).map((m) => m.rowID);
    expect(ids).toEqual(sorted);
  });

  it('a word folded by the store finds the original spelling in the index', async () => {
    const [c] = await setup();
    const m = await insertOne(msg(c!, { plain: 'Ångström Façade' }));
    expect((await search({ text: fold('ÅNGSTRÖM façade') })).map((x) => x.rowID)).toEqual([m.rowID]);
  });

  it('keeps the index in step with updates and deletions', async () => {
    const w = await world();
    const integrity = () => indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
    integrity();
    await repo.updateMessage(w.m.hello!.rowID, { text: 'goodbye moon', plain: 'goodbye moon', editedAt: T0, editCount: 1 });
    expect(names(w, await search({ text: 'hello' }))).toEqual([]);
    expect(names(w, await search({ text: 'goodbye' }))).toEqual(['hello']);
    // Other updates leave the index alone.
    await repo.updateMessage(w.m.hello!.rowID, { seen: true });
    expect(names(w, await search({ text: 'moon' }))).toEqual(['hello']);
    // Soft delete (plain cleared) and hard delete.
    await repo.updateMessage(w.m.dinner!.rowID, { isDeleted: true, text: null, plain: null });
    expect(names(w, await search({ text: 'tonight' }))).toEqual([]);
    await repo.deleteMessage(w.m.video!.rowID);
    expect(await search({ text: 'video' })).toEqual([]);
    expect(await repo.getMessageByRowID(w.m.video!.rowID)).toBeUndefined();
    // Text appearing on a message that had none.
    await repo.updateMessage(w.m.noText!.rowID, { plain: 'caption added' });
    expect(names(w, await search({ text: 'caption' }))).toEqual(['noText']);
    integrity();
    // A whole chat going away takes its messages out of the index.
    await repo.deleteChat(w.single.localID);
    expect(await search({ text: 'cafe' })).toEqual([]);
    integrity();
    const fts = indexDb().prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'cafe'").get() as { n: number };
    expect(fts.n).toBe(0);
  });
});

describe('full-text index against the messages table', () => {
  it('indexes exactly the messages that have text, also after edits, soft and hard deletes', async () => {
    const [c] = await setup();
    // The index's rowids are the messages' sort keys.
    const indexed = () => ftsIndexCheck(indexDb()).docs;
    const withText = () => (repo.db.prepare('SELECT sort_key FROM messages WHERE plain IS NOT NULL ORDER BY sort_key').all() as Array<{ sort_key: number }>).map((r) => r.sort_key);
    const some = await insertOne(msg(c!, { plain: 'some words' }));
    const media = await insertOne(msg(c!, { text: null, plain: null, mediaFlags: 1 }));
    const soft = await insertOne(msg(c!, { plain: 'to be deleted' }));
    const hard = await insertOne(msg(c!, { plain: 'gone entirely' }));
    await repo.updateMessage(soft.rowID, { isDeleted: true, text: null, plain: null });
    await repo.updateMessage(media.rowID, { plain: 'a caption arrives' });
    await repo.deleteMessage(hard.rowID);
    expect(indexed()).toEqual(withText());
    expect(indexed()).toHaveLength(2);
    // Each under exactly its words: the edited caption's, not the deleted text's.
    const { live, expected } = ftsIndexCheck(indexDb());
    expect(live).toEqual(expected);
    expect(live).toEqual(expect.arrayContaining([`some ${some.sortKey}`, `words ${some.sortKey}`, `caption ${media.sortKey}`, `arrives ${media.sortKey}`]));
    expect(live.filter((p) => /^(be|deleted|gone|entirely) /.test(p))).toEqual([]);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

  it('indexes ASCII text of any case as other text, and removes each message by the words it was indexed under', async () => {
    // ASCII text goes to the tokenizer unfolded (it lowercases it the same); the triggers
    // delete by fold(old.plain). A word left behind would show here as a live pair too many.
    const [c] = await setup();
    const [upper, accented, mixed, kept] = await repo.insertMessages([
      msg(c!, { plain: 'Some WORDS Here' }),
      msg(c!, { plain: 'Ångström ŁÓDŹ Café' }),
      msg(c!, { plain: 'MiXeD Case 42' }),
      msg(c!, { plain: 'STAYS AS IT IS' }),
    ]);
    const { live: before, expected: all } = ftsIndexCheck(indexDb());
    expect(before).toEqual(all);
    expect(before).toEqual(expect.arrayContaining([`words ${upper!.sortKey}`, `lodz ${accented!.sortKey}`, `mixed ${mixed!.sortKey}`, `stays ${kept!.sortKey}`]));
    await repo.updateMessage(upper!.rowID, { text: 'Other TEXT', plain: 'Other TEXT', editedAt: T0, editCount: 1 });
    await repo.updateMessage(accented!.rowID, { isDeleted: true, text: null, plain: null });
    await repo.deleteMessage(mixed!.rowID);
    const { live, expected } = ftsIndexCheck(indexDb());
    expect(live).toEqual(expected);
    expect(live).toEqual([`as ${kept!.sortKey}`, `is ${kept!.sortKey}`, `it ${kept!.sortKey}`, `other ${upper!.sortKey}`, `stays ${kept!.sortKey}`, `text ${upper!.sortKey}`]);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

  it('indexes a batch of many chats whose times interleave, each message under its sort key', async () => {
    const chats = await setup(3);
    // Chat after chat, each later chat's span starting before the previous one's: the
    // index gets its rows sorted, whatever order the batch has.
    const batch = chats.flatMap((c, i) => Array.from({ length: 5 }, (_, j) => msg(c, { timestamp: T0 - i * 60_000 + j * 1000, plain: `word${i} w${j} shared` })));
    const stored = await repo.insertMessages(batch);
    const hits = (q: string) => indexDb().prepare('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid').pluck().all(q);
    expect(hits('shared')).toEqual(stored.map((r) => r.sortKey).sort((a, b) => a - b));
    expect(hits('word1')).toEqual(stored.slice(5, 10).map((r) => r.sortKey));
    expect(hits('w3 word2')).toEqual([stored[13]!.sortKey]);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

});

describe('updating messages', () => {
  it('round-trips every JSON field, including a seen time that is a bare string', async () => {
    const [c] = await setup();
    const m = await insertOne(msg(c!));
    const when = new Date(T0).toISOString();
    await repo.updateMessage(m.rowID, { seen: when, sendStatus: { status: 'SUCCESS', timestamp: when }, mentions: ['@room'], links: [{ url: 'https://x.org', title: 'X' }] });
    const got = (await repo.getMessageByRowID(m.rowID))!;
    expect(got.seen).toBe(when);
    expect(got.sendStatus).toEqual({ status: 'SUCCESS', timestamp: when });
    expect(got.mentions).toEqual(['@room']);
    expect(got.links).toEqual([{ url: 'https://x.org', title: 'X' }]);
    await repo.updateMessage(m.rowID, { seen: { '@a:test': when } });
    expect((await repo.getMessageByRowID(m.rowID))!.seen).toEqual({ '@a:test': when });
    // The chat's list still reads it.
    expect((await repo.listMessages(c!.localID, { direction: 'before', limit: 10 })).items[0]!.seen).toEqual({ '@a:test': when });
  });
});

describe('reactions', () => {
  it('adds, replaces your own where asked, and removes reactions', async () => {
    const [c] = await setup();
    const m = await insertOne(msg(c!));
    await repo.putReaction(m.rowID, { participantID: '@a:test', key: '👍', emoji: true, timestamp: 1 }, false);
    await repo.putReaction(m.rowID, { participantID: '@a:test', key: '❤️', emoji: true, timestamp: 2 }, false);
    await repo.putReaction(m.rowID, { participantID: '@b:test', key: 'party', emoji: false, imgURL: 'mxc://e/p', timestamp: 3 }, false);
    // The same reaction again only refreshes it.
    await repo.putReaction(m.rowID, { participantID: '@a:test', key: '👍', emoji: true, timestamp: 4 }, false);
    let got = (await repo.getMessageByRowID(m.rowID))!.reactions;
    expect(got.map((r) => [r.participantID, r.key])).toEqual([
      ['@a:test', '❤️'],
      ['@b:test', 'party'],
      ['@a:test', '👍'],
    ]);
    expect(got.find((r) => r.key === 'party')).toEqual({ participantID: '@b:test', key: 'party', emoji: false, imgURL: 'mxc://e/p', timestamp: 3 });
    expect(got.find((r) => r.key === '👍')!.imgURL).toBeUndefined();

    await repo.putReaction(m.rowID, { participantID: '@a:test', key: '😂', emoji: true, timestamp: 5 }, true);
    got = (await repo.getMessage(c!.localID, m.id))!.reactions;
    expect(got.map((r) => [r.participantID, r.key])).toEqual([
      ['@b:test', 'party'],
      ['@a:test', '😂'],
    ]);
    expect(await repo.deleteReaction(m.rowID, '@a:test', '😂')).toBe(true);
    expect(await repo.deleteReaction(m.rowID, '@a:test', '😂')).toBe(false);
    // Listing pages carry reactions too; deleting the message takes them along.
    expect((await repo.listMessages(c!.localID, { direction: 'before', limit: 5 })).items[0]!.reactions).toHaveLength(1);
    await repo.deleteMessage(m.rowID);
    expect(repo.db.prepare('SELECT count(*) AS n FROM reactions').get()).toEqual({ n: 0 });
  });
});

describe('tokens', () => {
  const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
    id,
    hash: `hash-${id}`,
    scopes: ['read', 'write'],
    label: `label ${id}`,
    clientID: null,
    createdAt: T0,
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    ...over,
  });

  it('stores, finds by hash, touches, lists, counts and revokes tokens', async () => {
    await repo.putToken(token('tok_b', { createdAt: T0 + 1, scopes: ['read'], clientID: 'client', expiresAt: T0 + 5 }));
    await repo.putToken(token('tok_a'));
    expect(await repo.getTokenByHash('hash-tok_b')).toEqual(token('tok_b', { createdAt: T0 + 1, scopes: ['read'], clientID: 'client', expiresAt: T0 + 5 }));
    expect(await repo.getTokenByHash('nope')).toBeUndefined();
    expect((await repo.listTokens()).map((t) => t.id)).toEqual(['tok_a', 'tok_b']);
    await repo.touchToken('tok_a', T0 + 100);
    expect((await repo.getTokenByHash('hash-tok_a'))!.lastUsedAt).toBe(T0 + 100);
    expect(await repo.countTokens()).toBe(2);
    expect(await repo.revokeToken('tok_a', T0 + 200)).toBe(1);
    expect(await repo.revokeToken('tok_a', T0 + 300)).toBe(0); // already revoked: the first time stays
    expect((await repo.getTokenByHash('hash-tok_a'))!.revokedAt).toBe(T0 + 200);
    expect(await repo.revokeToken('tok_missing', T0)).toBe(0);
    expect(await repo.countTokens()).toBe(1);
    await expect(repo.putToken(token('tok_c', { hash: 'hash-tok_b' }))).rejects.toThrow(/UNIQUE/);
  });
});

describe('uploads and media', () => {
  it('round-trips uploads and media, optional sizes staying absent', async () => {
    const upload = { id: 'upload-1', path: '/data/uploads/1', fileName: 'a.png', mimeType: 'image/png', size: 10, width: 4, height: 3, createdAt: T0 };
    await repo.putUpload(upload);
    expect(await repo.getUpload('upload-1')).toEqual({ ...upload, duration: undefined });
    await repo.putUpload({ ...upload, fileName: 'b.png' });
    expect((await repo.getUpload('upload-1'))!.fileName).toBe('b.png');
    expect(await repo.getUpload('upload-2')).toBeUndefined();

    const media = { url: 'mxc://host/abc', path: '/data/media/abc', fileName: 'v.mp4', mimeType: 'video/mp4', size: 99, duration: 1.5 };
    await repo.putMedia(media);
    expect(await repo.getMedia('mxc://host/abc')).toEqual({ ...media, width: undefined, height: undefined });
    expect(await repo.getMediaByPath('/data/media/abc')).toEqual(await repo.getMedia('mxc://host/abc'));
    expect(await repo.getMedia('mxc://host/none')).toBeUndefined();
    expect(await repo.getMediaByPath('/elsewhere')).toBeUndefined();
  });
});

describe('connector state', () => {
  it('keeps JSON values per account and key', async () => {
    await repo.putAccount(account('a'));
    await repo.putAccount(account('b'));
    expect(await repo.getState('a', 'cursor')).toBeUndefined();
    await repo.setState('a', 'cursor', { since: 5, rooms: ['x', 'y'], ok: true, none: null });
    await repo.setState('b', 'cursor', 'other');
    await repo.setState('a', 'n', 0);
    expect(await repo.getState('a', 'cursor')).toEqual({ since: 5, rooms: ['x', 'y'], ok: true, none: null });
    expect(await repo.getState('b', 'cursor')).toBe('other');
    expect(await repo.getState('a', 'n')).toBe(0);
    await repo.setState('a', 'cursor', null);
    expect(await repo.getState('a', 'cursor')).toBeNull();
    await expect(repo.setState('ghost', 'k', 1)).rejects.toThrow(/FOREIGN KEY/);
  });
});

describe('bulk loads', () => {
  const pragma = (name: string) => repo.db.pragma(name, { simple: true });
  /** What another connection (a running server) sees: only what is committed. */
  const committed = () => {
    const other = new Database(file, { readonly: true });
    try {
      return {
        messages: other.prepare('SELECT count(*) FROM messages').pluck().get() as number,
        chats: other.prepare('SELECT count(*) FROM chats').pluck().get() as number,
      };
    } finally {
      other.close();
    }
  };

  it('groups small writes into commits, commits a batch of messages on its own, and restores the settings', async () => {
    const [c] = await setup();
    const synchronous = pragma('synchronous');
    const seen: Array<{ messages: number; chats: number }> = [];
    const result = await repo.bulkLoad(async (commit) => {
      expect(pragma('synchronous')).toBe(0); // OFF while loading
      await repo.upsertChat(chatInput('acc1', 'new'));
      seen.push(committed()); // the chat waits for a commit
      // A batch of messages is a transaction of its own: it commits what came before it too.
      await repo.insertMessages([msg(c!, { plain: 'first batch' }), msg(c!, { plain: 'first again' })]);
      seen.push(committed());
      await repo.upsertChat(chatInput('acc1', 'newer'));
      await repo.setReadMarker(c!.localID, null);
      seen.push(committed());
      commit();
      seen.push(committed());
      await repo.insertMessages([msg(c!, { plain: 'second batch' })]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual([
      { messages: 0, chats: 1 },
      { messages: 2, chats: 2 },
      { messages: 2, chats: 2 },
      { messages: 2, chats: 3 },
    ]);
    expect(committed()).toEqual({ messages: 3, chats: 3 });
    expect(repo.db.inTransaction).toBe(false);
    expect(pragma('synchronous')).toBe(synchronous);
    expect((await chatOf(c!.localID)).lastReadSortKey).not.toBeNull();
    expect((await repo.searchMessages({ text: 'batch', direction: 'before', limit: 10, excludeLowPriority: false, includeMuted: true })).items).toHaveLength(2);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

  it('on an error keeps what was committed, drops the rest, and restores the settings', async () => {
    const [c] = await setup();
    const synchronous = pragma('synchronous');
    await expect(
      repo.bulkLoad(async (commit) => {
        await repo.insertMessages([msg(c!, { plain: 'kept' })]);
        await repo.upsertChat(chatInput('acc1', 'kept'));
        commit();
        await repo.upsertChat(chatInput('acc1', 'lost'));
        throw new Error('generator failed');
      }),
    ).rejects.toThrow('generator failed');
    expect(repo.db.inTransaction).toBe(false);
    expect(pragma('synchronous')).toBe(synchronous);
    expect(repo.db.prepare('SELECT plain FROM messages').pluck().all()).toEqual(['kept']);
    expect(repo.db.prepare('SELECT remote_id FROM chats ORDER BY local_id').pluck().all()).toEqual(['c0', 'kept']);
    // A batch that fails is rolled back whole, and the load goes on in a transaction.
    await expect(
      repo.bulkLoad(async () => {
        await expect(repo.insertMessages([msg(c!, { plain: 'fine' }), msg({ ...c!, localID: 999 }, { plain: 'no such chat' })])).rejects.toThrow(/FOREIGN KEY/);
        expect(repo.db.inTransaction).toBe(true);
        await repo.insertMessages([msg(c!, { plain: 'after' })]);
      }),
    ).resolves.toBeUndefined();
    expect(repo.db.prepare('SELECT plain FROM messages ORDER BY row_id').pluck().all()).toEqual(['kept', 'after']);
    // The store works as usual afterwards.
    await repo.insertMessages([msg(c!, { plain: 'outside' })]);
    expect(committed().messages).toBe(3);
    indexDb().prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  });

  it('refuses to start inside another bulk load', async () => {
    await setup();
    await repo.bulkLoad(async () => {
      await expect(repo.bulkLoad(async () => 1)).rejects.toThrow(/bulk load/);
    });
    expect(repo.db.inTransaction).toBe(false);
  });
});
