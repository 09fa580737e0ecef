// The storage floor: the SQLite queries an endpoint runs, in-process with
// better-sqlite3 on the same store, timed per operation. Written from what the
// store does (src/store/sqlite/*.ts) for each endpoint — the essential queries,
// not every auxiliary lookup — so "endpoint latency ÷ floor" says how much the
// layers above SQLite (HTTP, validation, presentation, JSON) add.
import Database from 'better-sqlite3';
import { openConnection } from '../src/store/sqlite/db.ts';
import { indexCatchUp, openSearchDatabase, searchFileOf } from '../src/store/sqlite/search-index.ts';
import { ftsQuery, words } from '../src/store/text.ts';
import type { FloorSpec } from './endpoints.ts';
import { summarize } from './util.ts';

type DB = Database.Database;
type Row = Record<string, unknown>;

export interface FloorResult {
  iterations: number;
  /** Whole operation up to the answer, ms. */
  p50: number;
  p99: number;
  mean: number;
  /** Median of each step, ms. */
  steps: Record<string, number>;
  /** The step that is the endpoint's main query (for search: the FTS5 query), ms. */
  primary: { step: string; p50: number; p99: number };
  /** What each step runs. */
  queries: string[];
  /**
   * Whether the queries found the same items, in the same order, as the endpoint
   * answered (null: not comparable). False means this file no longer mirrors the store.
   */
  matchesEndpoint: boolean | null;
}

export interface FloorOptions {
  /** Time spent measuring one operation (after a warm-up). */
  budgetMs: number;
  maxIterations: number;
}

interface Plan {
  primary: string;
  queries: string[];
  /** One operation; `lap(step)` closes the step that just ran. */
  iterate(lap: (step: string) => void): void;
  /** Work the endpoint leaves for after its answer: timed as steps, outside the operation's total. */
  after?(lap: (step: string) => void): void;
  /** IDs of the items the last operation found, in order (to check them against the endpoint's answer). */
  ids?(): string[];
  /** Undoes what the operations wrote. */
  cleanup?(): void;
}

/**
 * A store's two connections, as the server has them: the store file, and the
 * full-text index's file with the store attached as `store` (openSearchDatabase in
 * src/store/sqlite/search-index.ts), on which message searches run.
 */
export interface FloorDB {
  store: DB;
  search: DB;
  close(): void;
}

/** Opens a store the way the server does (its settings: same cache and mmap), read-only unless asked. */
export function openFloorDB(dbFile: string, writable = false): FloorDB {
  const readOnly = (file: string) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('cache_size = -65536');
    db.pragma('mmap_size = 268435456');
    db.pragma('temp_store = MEMORY');
    return db;
  };
  const store = writable ? openConnection(dbFile) : readOnly(dbFile);
  let search: DB;
  if (writable) search = openSearchDatabase(dbFile);
  else {
    // The attached store is opened with the connection's flags: read-only too.
    search = readOnly(searchFileOf(dbFile));
    search.prepare('ATTACH ? AS store').run(dbFile);
  }
  return {
    store,
    search,
    close() {
      search.close();
      store.close();
    },
  };
}

const MSG_COLUMNS = 'm.*, c.id AS chat_id, c.account_id AS account_id';
const MSG_FROM = `SELECT ${MSG_COLUMNS} FROM messages m JOIN chats c ON c.local_id = m.chat_local_id`;
/** List and search endpoints embed at most this many participants per chat (LIST_PARTICIPANTS). */
const LIST_PARTICIPANTS = 20;
const marks = (n: number) => Array(n).fill('?').join(',');

/** Statements prepared per list length, as the store does for IN (…) lists. */
function perLength(db: DB, sql: (marks: string) => string) {
  const cache = new Map<number, Database.Statement>();
  return (n: number) => {
    let st = cache.get(n);
    if (!st) cache.set(n, (st = db.prepare(sql(marks(n)))));
    return st;
  };
}

/** The first ≤20 members of several chats in one range query over (chat, position) (participantsOf). */
function participantsOf(db: DB) {
  const st = perLength(
    db,
    (m) => `SELECT u.*, p.chat_local_id AS p_chat, p.user_id, p.account_id AS p_account_id, p.is_admin, p.is_pending, p.is_network_bot
      FROM participants p LEFT JOIN users u ON u.account_id = p.account_id AND u.id = p.user_id
      WHERE p.chat_local_id IN (${m}) AND p.position < ? ORDER BY p.chat_local_id, p.position`,
  );
  return (chatLocalIDs: unknown[]) => (chatLocalIDs.length ? st(chatLocalIDs.length).all(...chatLocalIDs, LIST_PARTICIPANTS) : []);
}

/** Reactions of a page of messages in one query (withReactions). */
function reactionsOf(db: DB) {
  const one = db.prepare('SELECT * FROM reactions WHERE message_row_id = ? ORDER BY timestamp, participant_id');
  const many = perLength(db, (m) => `SELECT * FROM reactions WHERE message_row_id IN (${m}) ORDER BY timestamp, participant_id`);
  return (rows: Row[]) => (rows.length === 0 ? [] : rows.length === 1 ? one.all(rows[0]!.row_id) : many(rows.length).all(...rows.map((r) => r.row_id)));
}

function chatListPlan(db: DB, cursor?: { lastActivity: number; localID: number }): Plan {
  const page = db.prepare(`SELECT * FROM chats ${cursor ? 'WHERE (last_activity, local_id) < (?, ?)' : ''} ORDER BY last_activity DESC, local_id DESC LIMIT ?`);
  const participants = participantsOf(db);
  const latest = db.prepare(`${MSG_FROM} WHERE m.chat_local_id = ? AND m.is_hidden = 0 ORDER BY m.sort_key DESC LIMIT 1`);
  const reactions = reactionsOf(db);
  const params = cursor ? [cursor.lastActivity, cursor.localID] : [];
  let chats: Row[] = [];
  return {
    primary: 'page',
    queries: ['page: 26 chats by (last_activity, local_id) keyset', 'participants: ≤20 per chat, one range query', 'latest: newest visible message per chat, then their reactions in one query'],
    iterate(lap) {
      chats = (page.all(...params, 26) as Row[]).slice(0, 25);
      lap('page');
      participants(chats.map((c) => c.local_id));
      lap('participants');
      const previews: Row[] = [];
      for (const c of chats) {
        const m = latest.get(c.local_id) as Row | undefined;
        if (m) previews.push(m);
      }
      reactions(previews);
      lap('latest');
    },
    ids: () => chats.map((c) => c.id as string),
  };
}

function chatGetPlan(db: DB, chatID: string): Plan {
  const byID = db.prepare('SELECT * FROM chats WHERE id = ?');
  const byLocal = db.prepare('SELECT * FROM chats WHERE local_id = ?');
  const participants = db.prepare(`SELECT u.*, p.user_id, p.account_id AS p_account_id, p.is_admin, p.is_pending, p.is_network_bot FROM participants p
    LEFT JOIN users u ON u.account_id = p.account_id AND u.id = p.user_id WHERE p.chat_local_id = ? ORDER BY p.position LIMIT ?`);
  let chat: Row | undefined;
  return {
    primary: 'chat',
    queries: ['chat: the chat row by ID', 'participants: the chat again, then ≤100 members with their user rows'],
    iterate(lap) {
      chat = byID.get(chatID) as Row;
      lap('chat');
      byLocal.get(chat.local_id);
      participants.all(chat.local_id, 100);
      lap('participants');
    },
    ids: () => (chat ? [chat.id as string] : []),
  };
}

function messagePagePlan(db: DB, chatID: string, beforeSortKey?: number): Plan {
  const byID = db.prepare('SELECT * FROM chats WHERE id = ?');
  const page = db.prepare(`${MSG_FROM} WHERE m.chat_local_id = ? ${beforeSortKey !== undefined ? 'AND m.sort_key < ?' : ''} ORDER BY m.sort_key DESC LIMIT ?`);
  const reactions = reactionsOf(db);
  const params = beforeSortKey !== undefined ? [beforeSortKey] : [];
  let rows: Row[] = [];
  return {
    primary: 'page',
    queries: ['chat: the chat row by ID', 'page: 21 messages by sort_key keyset', 'reactions: of the page, one query'],
    iterate(lap) {
      const c = byID.get(chatID) as Row;
      lap('chat');
      rows = (page.all(c.local_id, ...params, 21) as Row[]).slice(0, 20);
      lap('page');
      reactions(rows);
      lap('reactions');
    },
    ids: () => rows.map((m) => m.id as string),
  };
}

/**
 * The store's message search with the API's defaults (low-priority chats excluded,
 * muted included): a look at the index's queue for changes to catch up on first,
 * then the full-text index read newest-first by rowid (= sort key), joined to
 * messages and chats, stopping at the page's end. These two run on the index's
 * connection, as in the store; reactions and chats on the store's.
 */
function messageSearchSteps({ store: db, search: index }: FloorDB, spec: { text: string; chatType?: string; senderMe?: boolean; mediaMask?: number }) {
  const conds = ['messages_fts MATCH ?', 'm.is_deleted = 0', 'm.is_hidden = 0'];
  const params: unknown[] = [ftsQuery(spec.text)];
  if (spec.chatType) (conds.push('c.type = ?'), params.push(spec.chatType));
  if (spec.mediaMask) (conds.push('(m.media_flags & ?) != 0'), params.push(spec.mediaMask));
  if (spec.senderMe) conds.push('m.is_sender = 1');
  conds.push('c.is_low_priority = 0');
  // The last change the index applied: the store keeps it in memory, and finds nothing queued since.
  const applied = index.prepare('SELECT applied FROM search_state').pluck().get() as number;
  const pending = index.prepare('SELECT EXISTS (SELECT 1 FROM store.search_queue WHERE seq > ?)').pluck();
  const search = index.prepare(
    `SELECT ${MSG_COLUMNS} FROM messages_fts f JOIN messages m ON m.sort_key = f.rowid JOIN chats c ON c.local_id = m.chat_local_id
     WHERE ${conds.join(' AND ')} ORDER BY f.rowid DESC LIMIT ?`,
  );
  const reactions = reactionsOf(db);
  const byCount = new Map<number, Database.Statement>(); // prepared once per list length, as the store keeps them
  const chatsIn = (ids: unknown[]) => {
    let st = byCount.get(ids.length);
    if (!st) byCount.set(ids.length, (st = db.prepare(`SELECT * FROM chats WHERE local_id IN (${marks(ids.length)})`)));
    return st.all(...ids);
  };
  const participants = participantsOf(db);
  let rows: Row[] = [];
  return {
    queries: [
      'queue: whether the index has queued changes to apply first (none)',
      "fts: FTS5 MATCH on the index's connection (the store attached), read newest-first by rowid (= sort key), joined to messages and chats, filters, LIMIT 21",
      'reactions: of the results, one query',
      'chats: the result chats in one query, with ≤20 participants each in one range query',
    ],
    run(lap: (step: string) => void) {
      pending.get(applied);
      lap('queue');
      rows = (search.all(...params, 21) as Row[]).slice(0, 20);
      lap('fts');
      reactions(rows);
      lap('reactions');
      const chats = [...new Set(rows.map((m) => m.chat_local_id))];
      if (chats.length) chatsIn(chats);
      participants(chats);
      lap('chats');
    },
    ids: () => rows.map((m) => m.id as string),
  };
}

function unifiedSearchPlan(dbs: FloorDB, text: string): Plan {
  const db = dbs.store;
  const ws = words(text);
  const match = (column: string) => ws.map(() => `instr(${column}, ?) > 0`).join(' AND ');
  const titles = db.prepare(`SELECT * FROM chats WHERE local_id IN (SELECT local_id FROM chat_search WHERE ${match('title')}) ORDER BY last_activity DESC, local_id DESC LIMIT ?`);
  const groups = db.prepare(`SELECT * FROM chats WHERE local_id IN (SELECT local_id FROM chat_search WHERE ${match('people')}) AND type = 'group' ORDER BY last_activity DESC, local_id DESC LIMIT ?`);
  const participants = participantsOf(db);
  const messages = messageSearchSteps(dbs, { text });
  return {
    primary: 'fts',
    queries: ['titles: ≤31 chats whose title matches, with their participants', 'groups: ≤31 groups with a matching member, with their participants', ...messages.queries],
    iterate(lap) {
      participants((titles.all(...ws, 31) as Row[]).slice(0, 30).map((c) => c.local_id));
      lap('titles');
      participants((groups.all(...ws, 31) as Row[]).slice(0, 30).map((c) => c.local_id));
      lap('groups');
      messages.run(lap);
    },
    ids: messages.ids,
  };
}

/**
 * What a send writes before it answers: the message row, its entry in the index's
 * queue (and the drop of entries the index has applied), the chat's counters and
 * read marker (one transaction of the store), then two events. The full-text index
 * is written after the answer, on its own connection (search-index.ts: a moment
 * after a change, the index catches up with everything queued since, in one
 * transaction of its file): timed here after each send as a step outside the
 * operation's total, since the answer does not wait for it. A catch-up per send is
 * the dearest case: the store's covers all sends of the last 20 ms at once.
 * Committed for real on the writes copy (before its server starts), as the store
 * does, and deleted afterwards.
 */
function sendPlan({ store: db, search }: FloorDB, chatLocalID: number, text: string): Plan {
  const insert = db.prepare(`INSERT OR IGNORE INTO messages (id, chat_local_id, remote_id, pending_id, sort_key, timestamp, sender_id, sender_name, type, text, plain,
      is_sender, send_status, is_hidden, attachments, linked_message_id, mentions, links, seen, mentions_self, media_flags, expires_at)
    VALUES (?, ?, NULL, ?, ?, ?, '@bench:sandbox.localhost', 'Bench', 'TEXT', ?, ?, 1, ?, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL)`);
  const counters = db.prepare('SELECT last_read_sort_key FROM chats WHERE local_id = ?');
  const queueRows = db.prepare('INSERT INTO search_queue (first_row, last_row) VALUES (?, ?)');
  const dropApplied = db.prepare('DELETE FROM search_queue WHERE seq <= ?');
  const bump = db.prepare('UPDATE chats SET last_activity = max(last_activity, ?), unread_count = unread_count + ?, unread_mentions_count = unread_mentions_count + ? WHERE local_id = ?');
  const recount = db.prepare(`SELECT count(*) AS n, coalesce(sum(mentions_self), 0) AS mentions FROM messages
    WHERE chat_local_id = ? AND sort_key > ? AND is_sender = 0 AND is_hidden = 0 AND is_deleted = 0`);
  const setMarker = db.prepare('UPDATE chats SET last_read_sort_key = ?, unread_count = ?, unread_mentions_count = ? WHERE local_id = ?');
  const event = db.prepare('INSERT INTO events (type, chat_id, ids, ts) VALUES (?, ?, ?, ?)');
  const chatID = (db.prepare('SELECT id FROM chats WHERE local_id = ?').get(chatLocalID) as { id: string }).id;
  // The store's own catch-up (search-index.ts), on the index's connection.
  const catchUp = indexCatchUp(search);
  let applied = catchUp();
  let n = 0;
  const write = db.transaction((id: string, now: number, sortKey: number) => {
    const info = insert.run(id, chatLocalID, id, sortKey, now, text, text, JSON.stringify({ status: 'PENDING', timestamp: new Date(now).toISOString() }));
    counters.get(chatLocalID);
    const row = Number(info.lastInsertRowid);
    queueRows.run(row, row);
    dropApplied.run(applied);
    bump.run(now, 0, 0, chatLocalID);
    const { n: unread, mentions } = recount.get(chatLocalID, sortKey) as { n: number; mentions: number };
    setMarker.run(sortKey, unread, mentions, chatLocalID);
  });
  // Sort keys are unique across chats: start past every key in the store.
  const maxKey = (db.prepare('SELECT max(sort_key) AS k FROM messages').get() as { k: number | null }).k ?? 0;
  const base = Math.max(Date.now() * 1000, maxKey + 1);
  const prefix = `bench-floor-${process.pid}-`;
  return {
    primary: 'insert',
    queries: [
      "insert: message row + the index's queue entry (applied ones dropped) + chat counters + read marker, one transaction",
      'events: message.upserted and chat.upserted appended to the event log',
      "index (after the answer, outside the total): the index catches up with the send's row, one transaction of its file",
    ],
    iterate(lap) {
      const now = Date.now();
      const id = `${prefix}${++n}`;
      write(id, now, base + n);
      lap('insert');
      event.run('message.upserted', chatID, JSON.stringify([id]), now);
      event.run('chat.upserted', chatID, JSON.stringify([chatID]), now);
      lap('events');
    },
    after(lap) {
      applied = catchUp();
      lap('index');
    },
    // The rows would sit in the outbox (is_sender, no remote ID) and be sent when the
    // server starts. Deleting them queues their removal from the index, which the
    // server applies when it opens the store.
    cleanup() {
      db.prepare("DELETE FROM events WHERE type = 'message.upserted' AND ids LIKE ?").run(`["${prefix}%`);
      db.prepare('DELETE FROM messages WHERE chat_local_id = ? AND id >= ? AND id < ?').run(chatLocalID, prefix, `${prefix}~`);
    },
  };
}

function planFor(db: FloorDB, spec: FloorSpec): Plan {
  switch (spec.kind) {
    case 'chatList':
      return chatListPlan(db.store, spec.cursor);
    case 'chatGet':
      return chatGetPlan(db.store, spec.chatID);
    case 'messagePage':
      return messagePagePlan(db.store, spec.chatID, spec.beforeSortKey);
    case 'messageSearch': {
      const s = messageSearchSteps(db, spec);
      return { primary: 'fts', queries: s.queries, iterate: (lap) => s.run(lap), ids: s.ids };
    }
    case 'unifiedSearch':
      return unifiedSearchPlan(db, spec.text);
    case 'send':
      return sendPlan(db, spec.chatLocalID, spec.text);
  }
}

/** Raw timings of a floor, kept so that a later measurement can add to them. */
export interface FloorSamples {
  totals: number[];
  steps: Map<string, number[]>;
}

/**
 * Times one endpoint's queries: a short warm-up, then as many operations as the
 * budget allows. Given an earlier measurement of the same floor, adds to its
 * samples: the benchmark measures each read floor before and after the endpoint's
 * latency run, so that the machine changing speed in between reaches both sides
 * of the ratio.
 */
export function measureFloor(
  db: FloorDB,
  spec: FloorSpec,
  opts: FloorOptions,
  earlier?: FloorSamples,
): { result: FloorResult; itemIDs: string[] | null; samples: FloorSamples } {
  const plan = planFor(db, spec);
  const samples: FloorSamples = earlier ?? { totals: [], steps: new Map() };
  const runSteps = new Map<string, number[]>();
  let last = 0n;
  const lap = (step: string) => {
    const now = process.hrtime.bigint();
    let list = runSteps.get(step);
    if (!list) runSteps.set(step, (list = []));
    list.push(Number(now - last) / 1e6);
    last = now;
  };
  /** One operation, ms; what the endpoint leaves for after its answer runs once the total is taken. */
  const once = () => {
    const t0 = process.hrtime.bigint();
    last = t0;
    plan.iterate(lap);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (plan.after) {
      last = process.hrtime.bigint();
      plan.after(lap);
    }
    return ms;
  };
  const warmup = Math.min(20, opts.maxIterations);
  for (let i = 0; i < warmup; i++) once();
  runSteps.clear();
  const started = performance.now();
  let count = 0;
  while (count < opts.maxIterations && (count < 5 || performance.now() - started < opts.budgetMs)) {
    samples.totals.push(once());
    count++;
  }
  for (const [step, times] of runSteps) samples.steps.set(step, [...(samples.steps.get(step) ?? []), ...times]);
  const itemIDs = plan.ids?.() ?? null;
  plan.cleanup?.();
  const total = summarize(samples.totals);
  const primary = summarize(samples.steps.get(plan.primary) ?? []);
  const result: FloorResult = {
    iterations: total.count,
    p50: total.p50,
    p99: total.p99,
    mean: total.mean,
    steps: Object.fromEntries([...samples.steps].map(([k, v]) => [k, summarize(v).p50])),
    primary: { step: plan.primary, p50: primary.p50, p99: primary.p99 },
    queries: plan.queries,
    matchesEndpoint: null,
  };
  return { result, itemIDs, samples };
}
