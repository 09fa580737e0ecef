// The full-text index in its own file, kept up from the store's queue of changes:
// the plan of one catch-up, and the index after crashes, lost or foreign index
// files, restored stores, other processes and concurrent catch-ups.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRecord } from '../../src/store/records.ts';
import type { MessageInsert } from '../../src/store/repository.ts';
import { openDatabase } from '../../src/store/sqlite/db.ts';
import { openSqliteRepository, type SqliteRepository } from '../../src/store/sqlite/repository.ts';
import { indexCatchUp, openSearchDatabase, searchFileOf } from '../../src/store/sqlite/search-index.ts';
import { mergeIntervals, planSearchChanges, type SearchOp } from '../../src/store/sqlite/search-plan.ts';
import { indexHealth } from '../helpers/fts-index.ts';

const T0 = 1_700_000_000_000;
const WRITER = fileURLToPath(new URL('./fixtures/search-writer.ts', import.meta.url));

describe('planSearchChanges', () => {
  const range = (seq: number, firstRow: number, lastRow: number): SearchOp => ({ seq, firstRow, lastRow, sortKey: null, oldText: null });
  const change = (seq: number, row: number, sortKey: number, oldText: string | null): SearchOp => ({ seq, firstRow: row, lastRow: row, sortKey, oldText });

  it('indexes new rows without removing anything', () => {
    expect(planSearchChanges([range(1, 10, 19), range(2, 20, 25)])).toEqual({ remove: [], index: [[10, 25]] });
  });

  it('removes a changed row by the text of its first change, and indexes its current text', () => {
    const plan = planSearchChanges([change(1, 5, 500, 'first words'), change(2, 5, 501, 'second words'), change(3, 8, 800, null)]);
    expect(plan.remove).toEqual([{ sortKey: 500, text: 'first words' }]);
    // Row 8 had no text, so nothing of it was indexed; it is indexed now.
    expect(plan.index).toEqual([[5, 5], [8, 8]]);
  });

  it('removes nothing for a row inserted earlier in the same catch-up', () => {
    expect(planSearchChanges([range(1, 1, 10), change(2, 4, 400, 'just inserted')])).toEqual({ remove: [], index: [[1, 10]] });
  });

  it('a row ID deleted and then given to a new row: the old entry goes, the new row is indexed', () => {
    const plan = planSearchChanges([change(1, 10, 1000, 'deleted text'), range(2, 10, 12)]);
    expect(plan).toEqual({ remove: [{ sortKey: 1000, text: 'deleted text' }], index: [[10, 12]] });
  });

  it('mergeIntervals sorts and joins overlapping and touching intervals', () => {
    expect(mergeIntervals([[9, 9], [1, 3], [4, 5], [2, 2], [7, 8]])).toEqual([[1, 5], [7, 9]]);
    expect(mergeIntervals([])).toEqual([]);
  });
});

let dir: string;
let file: string;
const open: SqliteRepository[] = [];
const openRepo = (f = file) => {
  const r = openSqliteRepository(f);
  open.push(r);
  return r;
};
const closeRepo = (r: SqliteRepository) => {
  open.splice(open.indexOf(r), 1);
  r.close();
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-search-'));
  file = join(dir, 'switchboard.db');
});
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const message = (chat: ChatRecord, plain: string | null): MessageInsert => ({
  chatLocalID: chat.localID, id: `$s${++n}`, remoteID: `s${n}`, pendingID: null, timestamp: T0 + n * 1000, senderID: '@other:test', senderName: 'Other',
  type: 'TEXT', text: plain, plain, isSender: false, sendStatus: null, attachments: [], linkedMessageID: null, mentions: null, links: [], seen: null, mentionsSelf: false, mediaFlags: 0,
});

async function chatIn(repo: SqliteRepository, remoteID = 'c'): Promise<ChatRecord> {
  await repo.putAccount({ id: 'acc1', connector: 'sandbox', network: 'WhatsApp', bridgeId: 'b', bridgeType: 'whatsapp', provider: 'local', host: 'acc1.test', selfUserID: '@me:acc1.test', config: {}, createdAt: T0 });
  return repo.upsertChat({ id: `!${remoteID}:test`, accountID: 'acc1', remoteID, type: 'group', title: remoteID, network: 'WhatsApp', lastActivity: T0 });
}

const found = async (repo: SqliteRepository, text: string) =>
  (await repo.searchMessages({ text, direction: 'before', limit: 1000, excludeLowPriority: false, includeMuted: true })).items.map((m) => m.plain);

/** Deletes the index's file (and its WAL), as a backup without it would. */
const dropIndexFile = () => ['', '-wal', '-shm'].forEach((s) => rmSync(searchFileOf(file) + s, { force: true }));

/** The index of a store file against its messages, read without catching up first; and what is still queued. */
function indexState(f = file) {
  const db = openSearchDatabase(f);
  try {
    const { live, expected, ftsCheck, unapplied } = indexHealth(db);
    expect(ftsCheck).toBe('ok');
    return { live, expected, unapplied };
  } finally {
    db.close();
  }
}

/** Runs the writer fixture; `until` decides from its output when to kill it (it kills itself in live mode). */
function runWriter(mode: 'live' | 'bulk', until: (out: string) => boolean = () => false): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (until(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code ? reject(new Error(`writer exited ${code}: ${err}`)) : resolve({ out, signal })));
  });
}

describe('the full-text index after a crash', () => {
  it('a process killed right after its writes: the next open indexes exactly what it queued', async () => {
    const { out, signal } = await runWriter('live');
    expect(out).toContain('written');
    expect(signal).toBe('SIGKILL');
    // The kill came before any catch-up: the index holds none of it yet.
    const before = indexState();
    expect(before.unapplied).toBeGreaterThan(300);
    expect(before.live).toEqual([]);
    const repo = openRepo();
    const after = indexState();
    expect(after.unapplied).toBe(0);
    expect(after.live).toEqual(after.expected);
    expect(after.live.length).toBeGreaterThan(500);
    expect(await found(repo, 'again0 edited')).toEqual([]); // row 0 was deleted (the last word is a prefix: again0 first)
    expect(await found(repo, 'again5 edited')).toEqual(['edited late again5']);
  });

  it('a bulk load killed while its worker thread indexes: the next open completes the index, nothing twice', async () => {
    const { out, signal } = await runWriter('bulk', (o) => o.includes('committed 3'));
    expect(signal).toBe('SIGKILL');
    const batches = out.match(/committed \d+/g)!.length;
    const repo = openRepo();
    const messages = repo.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
    // The killed batch may or may not have committed; none is half there.
    expect(messages % 20_000).toBe(0);
    expect(messages / 20_000).toBeGreaterThanOrEqual(batches);
    const { live, expected, unapplied } = indexState();
    expect(unapplied).toBe(0);
    expect(live.length).toBe(expected.length);
    expect(live).toEqual(expected);
  }, 60_000);
});

describe('the index file', () => {
  it('is built afresh from the store when it is missing, saying why and how far it got', async () => {
    const heard: unknown[] = [];
    let repo = openSqliteRepository(file, { onIndexRebuild: (p) => heard.push(p) });
    open.push(repo);
    expect(heard).toEqual([]); // a new store: nothing to build, nothing said
    const chat = await chatIn(repo);
    await repo.insertMessages([message(chat, 'kept in the store'), message(chat, null), message(chat, 'also kept')]);
    closeRepo(repo);
    dropIndexFile();
    repo = openSqliteRepository(file, { onIndexRebuild: (p) => heard.push(p) });
    open.push(repo);
    expect(heard).toEqual([
      { reason: 'its file is missing or new', messages: 2, done: 0 },
      { reason: 'its file is missing or new', messages: 2, done: 2 },
    ]);
    expect(await found(repo, 'kept')).toEqual(['also kept', 'kept in the store']);
    const { live, expected } = indexState();
    expect(live).toEqual(expected);
  });

  it('built afresh while the queue is empty is not built again at the next open', async () => {
    let repo = openRepo();
    const chat = await chatIn(repo);
    const m = message(chat, 'only once');
    await repo.insertMessages([m]);
    repo.search.catchUp();
    await repo.insertMessages([m]); // a duplicate: nothing new queued, and the applied entry leaves
    expect(repo.db.prepare('SELECT count(*) FROM search_queue').pluck().get()).toBe(0);
    closeRepo(repo);
    dropIndexFile();
    const heard: unknown[] = [];
    for (let i = 0; i < 2; i++) openSqliteRepository(file, { onIndexRebuild: (p) => heard.push(p) }).close();
    expect(heard).toHaveLength(2); // the first open: start and end; the second: nothing
    repo = openRepo();
    expect(await found(repo, 'once')).toEqual(['only once']);
  });

  it('of another store is rebuilt for this one', async () => {
    const otherFile = join(dir, 'other.db');
    const other = openRepo(otherFile);
    await other.insertMessages([message(await chatIn(other), 'from the other store')]);
    closeRepo(other);
    let repo = openRepo();
    await repo.insertMessages([message(await chatIn(repo), 'from this store')]);
    closeRepo(repo);
    copyFileSync(searchFileOf(otherFile), searchFileOf(file));
    repo = openRepo();
    expect(await found(repo, 'store')).toEqual(['from this store']);
    expect(await found(repo, 'other')).toEqual([]);
  });

  it('newer than a store restored from an older copy is rebuilt', async () => {
    let repo = openRepo();
    const chat = await chatIn(repo);
    await repo.insertMessages([message(chat, 'before the copy')]);
    closeRepo(repo);
    copyFileSync(file, join(dir, 'copy.db'));
    repo = openRepo();
    const [later] = await repo.insertMessages([message(chat, 'after the copy')]);
    await repo.updateMessage(later!.rowID, { plain: 'edited after the copy' });
    expect(await found(repo, 'copy')).toEqual(['edited after the copy', 'before the copy']);
    closeRepo(repo);
    copyFileSync(join(dir, 'copy.db'), file);
    repo = openRepo();
    expect(await found(repo, 'copy')).toEqual(['before the copy']);
    // New messages are indexed as usual afterwards.
    await repo.insertMessages([message(chat, 'copy restored')]);
    expect(await found(repo, 'copy')).toEqual(['copy restored', 'before the copy']);
    const { live, expected } = indexState();
    expect(live).toEqual(expected);
  });

  it('older than the changes its store still keeps (restored from an older copy) is rebuilt', async () => {
    let repo = openRepo();
    const chat = await chatIn(repo);
    await repo.insertMessages([message(chat, 'first word')]);
    expect(await found(repo, 'word')).toEqual(['first word']);
    closeRepo(repo); // the last connection to close folds the WAL into the file
    copyFileSync(searchFileOf(file), join(dir, 'index-copy.db'));
    repo = openRepo();
    // Each insert drops the queue entries the index has applied.
    await repo.insertMessages([message(chat, 'second word')]);
    expect(await found(repo, 'word')).toEqual(['second word', 'first word']);
    await repo.insertMessages([message(chat, 'third word')]);
    expect(repo.db.prepare('SELECT min(seq) FROM search_queue').pluck().get()).toBeGreaterThan(2);
    closeRepo(repo);
    dropIndexFile();
    copyFileSync(join(dir, 'index-copy.db'), searchFileOf(file));
    repo = openRepo();
    expect(await found(repo, 'word')).toEqual(['third word', 'second word', 'first word']);
    const { live, expected } = indexState();
    expect(live).toEqual(expected);
  });

  it('of another schema version is built afresh', async () => {
    let repo = openRepo();
    await repo.insertMessages([message(await chatIn(repo), 'survives the rebuild')]);
    repo.search.db.exec("PRAGMA main.user_version = 99; INSERT INTO messages_fts(messages_fts) VALUES('delete-all');");
    closeRepo(repo);
    repo = openRepo();
    expect(repo.search.db.pragma('main.user_version', { simple: true })).toBe(1);
    expect(await found(repo, 'rebuild')).toEqual(['survives the rebuild']);
  });
});

describe('catching up with many changes', () => {
  const many = (chat: ChatRecord, n: number, word: string) => Array.from({ length: n }, (_, i) => message(chat, `${word} number${i}`));
  /** An indexed store of `kept` messages and 12,000 more whose chat another connection then deletes: 12,000 removals queued by the cascade. */
  const removalsQueued = async (kept: number) => {
    const repo = openRepo();
    const chat = await chatIn(repo);
    const gone = await chatIn(repo, 'gone');
    await repo.insertMessages([...many(gone, 12_000, 'gone'), ...many(chat, kept, 'kept')]);
    repo.search.catchUp();
    closeRepo(repo);
    const raw = openDatabase(file);
    raw.prepare('DELETE FROM chats WHERE local_id = ?').run(gone.localID);
    raw.close();
  };
  /** One catch-up transaction on a connection of its own; the last change it applied, and the last queued. */
  const oneTransaction = () => {
    const db = openSearchDatabase(file);
    try {
      const applied = indexCatchUp(db)(1);
      return { applied, last: db.prepare("SELECT seq FROM store.sqlite_sequence WHERE name = 'search_queue'").pluck().get() as number };
    } finally {
      db.close();
    }
  };

  it('removes entries a transaction at a time while most messages stay', async () => {
    await removalsQueued(30_000);
    const first = oneTransaction();
    expect(first.applied).toBeLessThan(first.last); // 5,000 at most
    openRepo(); // catches up with the rest
    const { live, expected, unapplied } = indexState();
    expect(unapplied).toBe(0);
    expect(live).toEqual(expected);
    expect(live.some((p) => p.startsWith('gone '))).toBe(false);
  });

  it('builds the index afresh instead when the changes outnumber the messages left', async () => {
    await removalsQueued(100);
    // One transaction does it all: the index is rebuilt from the 100 messages left.
    const first = oneTransaction();
    expect(first.applied).toBe(first.last);
    const { live, expected, unapplied } = indexState();
    expect(unapplied).toBe(0);
    expect(live).toEqual(expected);
    expect(live.filter((p) => p.startsWith('kept '))).toHaveLength(100);
  });
});

describe('other connections', () => {
  it('changes another process queues are indexed without a search asking', async () => {
    const repo = openRepo();
    const chat = await chatIn(repo);
    // A second connection writes as the store does: the row and its queue entry in one transaction.
    const other = openDatabase(file);
    other.transaction(() => {
      const row = other
        .prepare("INSERT INTO messages (id, chat_local_id, sort_key, timestamp, sender_id, type, text, plain) VALUES ('$x', ?, ?, ?, '@x:test', 'TEXT', 'written elsewhere', 'written elsewhere')")
        .run(chat.localID, T0 * 1000, T0).lastInsertRowid;
      other.prepare('INSERT INTO search_queue (first_row, last_row) VALUES (?, ?)').run(row, row);
    })();
    other.close();
    const deadline = Date.now() + 5_000;
    while (indexState().unapplied > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(indexState().unapplied).toBe(0);
    expect(indexState().live).toEqual(['elsewhere ' + T0 * 1000, 'written ' + T0 * 1000]);
  });

  it('two repositories writing and searching one store apply every change exactly once', async () => {
    const a = openRepo();
    const b = openRepo();
    const chat = await chatIn(a);
    for (let i = 0; i < 40; i++) {
      const [writer, reader] = i % 2 ? [a, b] : [b, a];
      const [stored] = await writer.insertMessages([message(chat, `round${i} shared words`)]);
      if (i % 3 === 0) await reader.updateMessage(stored!.rowID, { plain: `round${i} changed by the other` });
      if (i % 4 === 0) await writer.deleteMessage(stored!.rowID);
      // Each side finds what the other just wrote.
      const now = i % 4 === 0 ? [] : [i % 3 === 0 ? `round${i} changed by the other` : `round${i} shared words`];
      expect(await found(reader, `round${i}`)).toEqual(now);
      expect(await found(writer, `round${i}`)).toEqual(now);
    }
    const { live, expected, unapplied } = indexState();
    expect(unapplied).toBe(0);
    expect(live).toEqual(expected);
    // Applied changes leave the queue with a later insert.
    await a.insertMessages([message(chat, 'last one')]);
    expect(a.db.prepare('SELECT count(*) FROM search_queue').pluck().get()).toBeLessThanOrEqual(2);
  });
});
