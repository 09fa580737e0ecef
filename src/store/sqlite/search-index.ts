// The full-text index of messages, kept in a database file of its own beside the
// store's (switchboard-search.db beside switchboard.db) and brought up to date from
// the store's search queue (migration 11) rather than in the transaction that
// changed the messages.
//
// Why a second file: SQLite lets one connection at a time write a file, and
// indexing text was about a third of a bulk load's time. With the index in its own
// file, a worker thread indexes one batch of a bulk load while the main thread
// inserts the next (a million generated messages: about 100,000 instead of 70,000
// per second at the floor). Live writes gain too: a message no longer pays for an
// index segment in its own commit; the index catches up a moment later, many
// messages at a time, and always before a search runs.
//
// Why a queue: a transaction across two WAL files is not atomic, so the index is
// never written in the store's transactions. Every change that the index must
// follow is queued in the store, in the same transaction as the change; a catch-up
// applies queued changes and records the last one applied, in one transaction of the
// index file. After a crash anywhere, the next catch-up applies exactly what was
// not applied. The index is derived data: if its file is missing, belongs to
// another store, or is older than the queue allows, it is built afresh.
import { basename, dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FTS_TOKENIZER } from './migrations.ts';
import { planSearchChanges, type SearchOp } from './search-plan.ts';
import { openConnection, type DB } from './db.ts';

/** The index file beside a store file: switchboard.db → switchboard-search.db. */
export function searchFileOf(storeFile: string): string {
  const ext = extname(storeFile);
  return join(dirname(storeFile), `${basename(storeFile, ext)}-search${ext}`);
}

/**
 * fold(plain), without calling into JavaScript for ASCII text (most messages: the
 * calls were about a quarter of the time indexing took). fold() only lowercases ASCII,
 * and the tokenizer lowercases it anyway, so either way the index gets the same
 * words, and removing an entry by fold(old text) finds them.
 */
const FOLDED_PLAIN = 'CASE WHEN length(plain) = octet_length(plain) THEN plain ELSE fold(plain) END';
/**
 * Indexes the text of the rows from one row ID to another, in rowid (sort key)
 * order: FTS5 writes out what it holds in memory as a new segment whenever a rowid
 * is lower than the one before, and the messages of a batch come chat after chat,
 * each with its own span of time. Unsorted, a batch of many chats became hundreds
 * of small segments, and merging them cost more than indexing the text. Runs on a
 * connection that sees both files (messages_fts in one, messages in the other).
 */
export const INDEX_TEXT = `INSERT INTO messages_fts(rowid, text)
  SELECT sort_key, ${FOLDED_PLAIN} FROM messages WHERE row_id BETWEEN ? AND ? AND plain IS NOT NULL ORDER BY sort_key`;

/**
 * The index's schema. Contentless (the folded text is indexed, not stored twice);
 * no per-message sizes (columnsize=0: kept for ranking, which search never does),
 * so an entry is removed by handing FTS5 the text it was indexed with; detail=none,
 * because search needs words and prefixes, never phrases or positions; rowids are
 * the messages' sort keys, so reading backwards by rowid yields matches newest
 * first without sorting them all. prefix: the last word of a query is a prefix
 * ("din" finds "dinner"); 2- and 3-letter prefix indexes keep short prefixes from
 * expanding to thousands of words (a 1-letter last word is searched as a word).
 * hashsize: a batch of 50,000 messages becomes one segment, not several.
 */
const SCHEMA = `
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = '', columnsize = 0, detail = none, prefix = '2 3',
    tokenize = '${FTS_TOKENIZER}'
  );
  INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 8388608);
  -- Which store this index belongs to, and the last queued change it holds.
  CREATE TABLE search_state (store_id TEXT NOT NULL, applied INTEGER NOT NULL);
`;

/** Queued changes applied per transaction: a catch-up of a big backlog commits as it goes. */
const OPS_PER_TRANSACTION = 5_000;

/**
 * A connection to the index file with the store attached as `store`: names that
 * the index file lacks (messages, chats…) resolve to the store's tables, so search
 * queries read as on the store itself.
 */
export function openSearchDatabase(storeFile: string): DB {
  const db = openConnection(searchFileOf(storeFile));
  db.prepare('ATTACH ? AS store').run(storeFile);
  return db;
}

/** The number of the last change ever queued (applied ones leave the queue; their numbers are not reused). */
const lastQueued = (db: DB) => (db.prepare("SELECT seq FROM store.sqlite_sequence WHERE name = 'search_queue'").pluck().get() as number | undefined) ?? 0;

/**
 * Changes to catch up with, per message left with text, above which building the
 * index afresh is cheaper: an entry's removal costs about three times its
 * indexing (removing the million entries of a reset sandbox took 15 s). Counted
 * only from this many changes on.
 */
const REBUILD_RATIO = 3;
const REBUILD_FROM = 10_000;

/**
 * Catch-up for a connection from openSearchDatabase: applies queued changes, a
 * transaction at a time up to `transactions` (all by default), and returns the
 * last one applied. Safe against other connections and processes doing the same:
 * each change is applied exactly once.
 */
export function indexCatchUp(db: DB): (transactions?: number) => number {
  const claim = db.prepare('UPDATE search_state SET applied = applied');
  const appliedNow = db.prepare('SELECT applied FROM search_state').pluck();
  const queued = db.prepare(`SELECT seq, first_row AS firstRow, last_row AS lastRow, sort_key AS sortKey, old_text AS oldText
    FROM store.search_queue WHERE seq > ? ORDER BY seq LIMIT ${OPS_PER_TRANSACTION}`);
  const queuedChanges = db.prepare('SELECT count(*) FROM store.search_queue WHERE seq > ? AND sort_key IS NOT NULL').pluck();
  const withText = db.prepare('SELECT count(plain) FROM store.messages').pluck();
  const remove = db.prepare("INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', ?, fold(?))");
  const removeAll = db.prepare("INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')");
  const index = db.prepare(INDEX_TEXT);
  const setApplied = db.prepare('UPDATE search_state SET applied = ?');
  return (transactions = Infinity) => {
    let applied = 0;
    for (let t = 0; t < transactions; t++) {
      // Deferred, then a write to the index file: an IMMEDIATE transaction would
      // take the store's write lock as well. The queue and the messages are then read
      // in one snapshot of the store.
      db.exec('BEGIN');
      try {
        claim.run();
        applied = appliedNow.get() as number;
        const ops = queued.all(applied) as SearchOp[];
        if (ops.length === 0) {
          db.exec('ROLLBACK');
          break;
        }
        const changes = t === 0 && ops.length === OPS_PER_TRANSACTION ? (queuedChanges.get(applied) as number) : 0;
        if (changes >= REBUILD_FROM && changes > REBUILD_RATIO * (withText.get() as number)) {
          removeAll.run();
          applied = indexEverything(db);
        } else {
          const plan = planSearchChanges(ops);
          for (const r of plan.remove) remove.run(r.sortKey, r.text);
          for (const [first, last] of plan.index) index.run(first, last);
          applied = ops.at(-1)!.seq;
        }
        setApplied.run(applied);
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    }
    return applied;
  };
}

/** Messages indexed per statement when the index is built afresh: the unit of its progress. */
const REBUILD_STEP = 100_000;

/**
 * Fills an empty index, in the caller's transaction, with every message of the
 * store as of its snapshot, REBUILD_STEP rows at a time (reporting after each, and
 * once before, when there is anything to index), and returns the last change
 * queued up to that snapshot: the index now reflects all of them.
 */
function indexEverything(db: DB, report?: (done: number, messages: number) => void): number {
  const rows = db.prepare('SELECT min(row_id) AS first, max(row_id) AS last, count(plain) AS messages FROM store.messages').get() as { first: number | null; last: number | null; messages: number };
  const index = db.prepare(INDEX_TEXT);
  // A new store has nothing to index, and nothing to report.
  if (rows.messages === 0) report = undefined;
  let done = 0;
  report?.(done, rows.messages);
  for (let from = rows.first ?? 1; from <= (rows.last ?? 0); from += REBUILD_STEP) {
    done += index.run(from, from + REBUILD_STEP - 1).changes;
    report?.(done, rows.messages);
  }
  return lastQueued(db);
}

/** The index file's schema version (its user_version): a file of another version is built afresh. */
const INDEX_VERSION = 1;

/** Building the index afresh, reported as it goes (done 0 first, then after each step): it takes seconds per million messages. */
export type IndexRebuildProgress = (p: { reason: string; messages: number; done: number }) => void;

/**
 * Creates the index if its file is new, and builds it afresh if it is not this
 * store's, is of another schema version, or is out of step with the store's queue
 * (either restored from an older copy than the other).
 */
function ensureIndex(db: DB, progress?: IndexRebuildProgress): void {
  const storeID = db.prepare('SELECT store_id FROM store.search_link').pluck().get() as string;
  /** Why the index must be built afresh, if it must. */
  const unfit = (): string | undefined => {
    const hasState = db.prepare("SELECT 1 FROM main.sqlite_schema WHERE name = 'search_state'").get() !== undefined;
    const state = hasState ? (db.prepare('SELECT store_id AS storeID, applied FROM search_state').get() as { storeID: string; applied: number } | undefined) : undefined;
    if (!state) return 'its file is missing or new';
    if (db.pragma('main.user_version', { simple: true }) !== INDEX_VERSION) return 'its file is of another version';
    if (state.storeID !== storeID) return 'its file belongs to another store';
    const last = lastQueued(db);
    if (state.applied > last) return 'its file is newer than the store (restored from an older copy?)';
    // Numbers are given without gaps, and only applied changes leave the queue: one
    // missing after the last applied means the file is older than the store's queue.
    const waiting = db.prepare('SELECT count(*) FROM store.search_queue WHERE seq > ?').pluck().get(state.applied) as number;
    if (waiting !== last - state.applied) return 'its file is older than the changes the store still keeps (restored from an older copy?)';
    return undefined;
  };
  if (!unfit()) return;
  db.exec('BEGIN');
  try {
    // Takes the index file's write lock: a process building it at the same time is
    // waited for, and its index kept if it fits.
    db.pragma(`main.user_version = ${INDEX_VERSION}`);
    const reason = unfit();
    if (!reason) return void db.exec('COMMIT');
    db.exec('DROP TABLE IF EXISTS messages_fts; DROP TABLE IF EXISTS search_state;');
    db.exec(SCHEMA);
    const applied = indexEverything(db, progress && ((done, messages) => progress({ reason, messages, done })));
    db.prepare('INSERT INTO search_state (store_id, applied) VALUES (?, ?)').run(storeID, applied);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

export interface SearchIndex {
  /** The connection search queries run on (the index file, the store attached). */
  readonly db: DB;
  /** Applies every queued change now: searches call it first, so they see every committed message. */
  catchUp(): void;
  /** Messages changed: catch up soon, a moment later, with whatever else changed meanwhile. */
  changed(): void;
  /** Queued changes up to here are applied and may be dropped from the queue. */
  applied(): number;
  /** A bulk load starts: until it ends, a worker thread catches up after each commit. */
  startBackground(): void;
  /** The bulk load ends: waits for the worker to catch up, then stops it. */
  endBackground(): Promise<void>;
  close(): void;
}

/** How soon after a change the index catches up, and how often it looks for changes made by other processes. */
const SOON_MS = 20;
const POLL_MS = 500;

export function openSearchIndex(storeFile: string, onRebuild?: IndexRebuildProgress): SearchIndex {
  const db = openSearchDatabase(storeFile);
  let catchUp: ReturnType<typeof indexCatchUp>;
  let applied: number;
  try {
    ensureIndex(db, onRebuild);
    catchUp = indexCatchUp(db);
    applied = catchUp();
  } catch (err) {
    db.close();
    throw err;
  }
  const pending = db.prepare('SELECT EXISTS (SELECT 1 FROM store.search_queue WHERE seq > ?)').pluck();
  let soon: NodeJS.Timeout | undefined;
  let worker: IndexWorker | undefined;
  const catchUpNow = () => {
    if (soon) (clearTimeout(soon), (soon = undefined));
    if (pending.get(applied)) applied = catchUp();
  };
  // In the background a transaction at a time, yielding to the event loop between
  // them: a large backlog (a sandbox reset) would otherwise hold it for seconds.
  // A failed catch-up loses nothing (the queue keeps the changes): it is tried again
  // at the next poll, and a search runs one itself and reports its error.
  const quietly = () => {
    soon = undefined;
    if (worker) return;
    try {
      if (!pending.get(applied)) return;
      applied = catchUp(1);
      if (pending.get(applied)) soon = setTimeout(quietly, 0).unref();
    } catch {
      /* retried */
    }
  };
  const poll = setInterval(quietly, POLL_MS).unref();
  return {
    db,
    catchUp: catchUpNow,
    changed() {
      if (worker) worker.kick();
      else soon ??= setTimeout(quietly, SOON_MS).unref();
    },
    applied: () => Math.max(applied, worker?.applied ?? 0),
    startBackground() {
      if (!worker) worker = startIndexWorker(storeFile);
    },
    async endBackground() {
      const w = worker;
      if (!w) return;
      let failure: unknown;
      try {
        applied = Math.max(applied, await w.finish());
      } catch (err) {
        failure = err;
      } finally {
        worker = undefined;
      }
      // Whatever the worker left is still queued.
      catchUpNow();
      if (failure) throw failure;
    },
    close() {
      clearInterval(poll);
      if (soon) clearTimeout(soon);
      try {
        if (db.open) catchUpNow();
      } finally {
        db.close();
      }
    },
  };
}

/** tsx's ESM API (the package's "import" export of tsx/esm/api), by URL: a worker started from source loads its TypeScript through it. */
function tsxImporter(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}

interface IndexWorker {
  kick(): void;
  finish(): Promise<number>;
  readonly applied: number;
}

/** The worker's module: the bundle's JavaScript beside this file's chunk, or this TypeScript source through tsx. */
function startIndexWorker(storeFile: string): IndexWorker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './search-worker.ts' : './search-worker.js', import.meta.url);
  const worker = fromSource
    ? new Worker(`import(${JSON.stringify(tsxImporter())}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`, {
        eval: true,
        workerData: { storeFile },
      })
    : new Worker(entry, { workerData: { storeFile } });
  let applied = 0;
  let failure: Error | undefined;
  let finished: ((applied: number) => void) | undefined;
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (m: { applied: number; done?: boolean }) => {
    applied = Math.max(applied, m.applied);
    if (m.done) finished?.(applied);
  });
  worker.on('error', (err) => (failure = err));
  return {
    kick: () => worker.postMessage('catch-up'),
    get applied() {
      return applied;
    },
    async finish() {
      const done = new Promise<number>((resolve) => (finished = resolve));
      worker.postMessage('finish');
      // The worker ends after its last catch-up, or on an error: either way, what it
      // did not apply is still queued, and the caller catches up after it.
      await Promise.race([done, ended]);
      await worker.terminate();
      if (failure) throw new Error(`indexing the bulk load's messages failed: ${failure.message}`, { cause: failure });
      return applied;
    },
  };
}
