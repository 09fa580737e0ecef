// Benchmark stores: generated once with `switchboard sandbox generate`, cached in
// bench/cache/<size>-g<GENERATOR_VERSION>/ and reused while the generator and the
// schema are unchanged. Servers always run on a copy (sends change the store).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { searchFileOf } from '../src/store/sqlite/search-index.ts';
import { encodeCursor } from '../src/core/cursors.ts';
import { ftsQuery } from '../src/store/text.ts';
import { REPO_ROOT, SWITCHBOARD_BIN, log } from './util.ts';

/**
 * Bump when `sandbox generate` (src/networks/sandbox/generate.ts, corpus.ts) changes
 * what it writes: cached stores of another version are rebuilt.
 */
export const GENERATOR_VERSION = 2;
/** The schema version this checkout creates (PRAGMA user_version). */
export const SCHEMA_VERSION = MIGRATIONS.length;
/** Also keyed on the migrations' text: a migration edited in place keeps its version number. */
const SCHEMA_HASH = createHash('sha256').update(MIGRATIONS.join('\n')).digest('hex').slice(0, 16);
export const SEED = 1;
export const CACHE_ROOT = join(REPO_ROOT, 'bench', 'cache');
const DB_FILE = 'switchboard.db';
/** Sources whose change probably means GENERATOR_VERSION should be bumped (a warning only). */
const GENERATOR_SOURCES = ['src/networks/sandbox/generate.ts', 'src/networks/sandbox/corpus.ts'];

export interface StoreSpec {
  /** "10k", "100k", "1m" … */
  label: string;
  messages: number;
  chats: number;
}

export interface StoreMeta {
  generatorVersion: number;
  schemaVersion: number;
  schemaHash: string;
  seed: number;
  messages: number;
  chats: number;
  builtAt: string;
  buildSeconds: number;
  /** messages/s as `sandbox generate` reported it (FTS included). */
  ingestRate: number;
  generatorSourceHash: string;
}

export interface Store {
  spec: StoreSpec;
  dir: string;
  dbFile: string;
  meta: StoreMeta;
  /** Built by this run (false: taken from the cache). */
  built: boolean;
}

/** Chats ≈ messages / 100, as the issue asks; the generator needs at least one message per chat. */
export function storeSpec(messages: number): StoreSpec {
  const label = messages >= 1_000_000 ? `${messages / 1_000_000}m` : `${messages / 1_000}k`;
  return { label, messages, chats: Math.max(1, Math.round(messages / 100)) };
}

function generatorSourceHash(): string {
  const h = createHash('sha256');
  for (const f of GENERATOR_SOURCES) {
    const p = join(REPO_ROOT, f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

function readMeta(dir: string): StoreMeta | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'bench-store.json'), 'utf8')) as StoreMeta;
  } catch {
    return undefined;
  }
}

function userVersion(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** Runs `switchboard sandbox generate` into `dataDir`; returns the rate it reports. */
export async function generate(dataDir: string, spec: { messages: number; chats: number }, seed = SEED): Promise<{ rate: number; seconds: number }> {
  const started = performance.now();
  const args = [SWITCHBOARD_BIN, 'sandbox', 'generate', '--chats', String(spec.chats), '--messages', String(spec.messages), '--seed', String(seed), '--data-dir', dataDir];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    // Progress lines, every ~2 s off a terminal: useful while a 1M store builds.
    if (spec.messages >= 200_000) process.stderr.write(`  ${d.toString().trim()}\n`);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`sandbox generate failed (exit ${code}):\n${err.slice(-2000)}${out.slice(-2000)}`);
  const m = /([\d,]+) messages\/s/.exec(out);
  if (!m) throw new Error(`sandbox generate did not report a rate:\n${out}`);
  return { rate: Number(m[1]!.replace(/,/g, '')), seconds: (performance.now() - started) / 1000 };
}

/** The cached store for `spec`, built first when missing or stale. */
export async function ensureStore(spec: StoreSpec, cacheRoot = CACHE_ROOT): Promise<Store> {
  const dir = join(cacheRoot, `${spec.label}-g${GENERATOR_VERSION}`);
  const dbFile = join(dir, DB_FILE);
  const sourceHash = generatorSourceHash();
  const meta = readMeta(dir);
  const fresh =
    meta &&
    existsSync(dbFile) &&
    meta.generatorVersion === GENERATOR_VERSION &&
    meta.schemaVersion === SCHEMA_VERSION &&
    meta.schemaHash === SCHEMA_HASH &&
    meta.seed === SEED &&
    meta.messages === spec.messages &&
    meta.chats === spec.chats &&
    userVersion(dbFile) === SCHEMA_VERSION &&
    // Without its index file, the server would spend its cold start rebuilding it.
    existsSync(searchFileOf(dbFile));
  if (fresh) {
    if (meta.generatorSourceHash !== sourceHash) {
      log(`note: the generator sources changed since the cached ${spec.label} store was built; bump GENERATOR_VERSION in bench/stores.ts if its output changed.`);
    }
    return { spec, dir, dbFile, meta, built: false };
  }
  log(`building the ${spec.label} store (${spec.messages.toLocaleString('en')} messages, ${spec.chats.toLocaleString('en')} chats)…`);
  mkdirSync(cacheRoot, { recursive: true });
  // Built beside its final place and renamed, so an interrupted build never looks cached.
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    const { rate, seconds } = await generate(building, spec);
    const built: StoreMeta = {
      generatorVersion: GENERATOR_VERSION,
      schemaVersion: userVersion(join(building, DB_FILE)),
      schemaHash: SCHEMA_HASH,
      seed: SEED,
      messages: spec.messages,
      chats: spec.chats,
      builtAt: new Date().toISOString(),
      buildSeconds: seconds,
      ingestRate: rate,
      generatorSourceHash: sourceHash,
    };
    writeFileSync(join(building, 'bench-store.json'), `${JSON.stringify(built, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    log(`  built in ${seconds.toFixed(1)} s: ${rate.toLocaleString('en')} messages/s`);
    return { spec, dir, dbFile, meta: built, built: true };
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  }
}

/** A private copy of a store's data directory, for one server to change. */
export function copyStore(store: Store, label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `switchboard-bench-${store.spec.label}-${label}-`));
  cpSync(store.dir, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** What the benchmark needs to know about a store: sizes, a busy chat, deep cursors, search words. */
export interface StoreFacts {
  messages: number;
  chats: number;
  dbBytes: number;
  walBytes: number;
  /** The full-text index's own file (switchboard-search.db) and its WAL. */
  searchBytes: number;
  searchWalBytes: number;
  schemaVersion: number;
  busiestChat: { id: string; localID: number; type: string; messages: number; participants: number };
  /** Send target: the busiest chat. */
  chatListDeep: { index: number; lastActivity: number; localID: number; cursor: string };
  messagesDeep: { index: number; sortKey: number; cursor: string };
  words: {
    common: { term: string; docs: number };
    rare: { term: string; docs: number };
    multi: { query: string; docs: number };
  };
}

export function inspectStore(dbFile: string): StoreFacts {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const searchFile = searchFileOf(dbFile);
  try {
    // The full-text index, for the search words (read-only too, as the connection).
    db.prepare('ATTACH ? AS search').run(searchFile);
    const count = (sql: string, ...p: unknown[]) => (db.prepare(sql).get(...p) as { n: number }).n;
    const messages = count('SELECT count(*) AS n FROM messages');
    const chats = count('SELECT count(*) AS n FROM chats');
    const busiest = db
      .prepare(`SELECT c.id, c.local_id AS localID, c.type, c.participant_count AS participants, count(*) AS messages
        FROM messages m JOIN chats c ON c.local_id = m.chat_local_id GROUP BY m.chat_local_id ORDER BY messages DESC, c.local_id LIMIT 1`)
      .get() as StoreFacts['busiestChat'];
    // ~80 % down the chat list, in its own order.
    const chatIndex = Math.floor(chats * 0.8);
    const deepChat = db
      .prepare('SELECT last_activity AS lastActivity, local_id AS localID FROM chats ORDER BY last_activity DESC, local_id DESC LIMIT 1 OFFSET ?')
      .get(chatIndex) as { lastActivity: number; localID: number };
    // ~80 % back in the busiest chat.
    const messageIndex = Math.floor(busiest.messages * 0.8);
    const deepKey = (db.prepare('SELECT sort_key AS k FROM messages WHERE chat_local_id = ? ORDER BY sort_key DESC LIMIT 1 OFFSET ?').get(busiest.localID, messageIndex) as { k: number }).k;
    return {
      messages,
      chats,
      dbBytes: fileSize(dbFile),
      walBytes: fileSize(`${dbFile}-wal`),
      searchBytes: fileSize(searchFile),
      searchWalBytes: fileSize(`${searchFile}-wal`),
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      busiestChat: busiest,
      chatListDeep: { index: chatIndex, ...deepChat, cursor: encodeCursor('chats', [deepChat.lastActivity, deepChat.localID]) },
      messagesDeep: { index: messageIndex, sortKey: deepKey, cursor: encodeCursor('messages', [deepKey]) },
      words: searchWords(db),
    };
  } finally {
    db.close();
  }
}

/** Picks search words from the full-text index's own vocabulary (an fts5vocab table in temp), the index attached as `search`. */
function searchWords(db: Database.Database): StoreFacts['words'] {
  db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab USING fts5vocab(search, messages_fts, row)');
  const terms = db.prepare("SELECT term, doc AS docs FROM temp.bench_vocab WHERE length(term) >= 3 AND term NOT GLOB '*[^a-z]*' ORDER BY doc DESC, term").all() as Array<{
    term: string;
    docs: number;
  }>;
  if (terms.length < 3) throw new Error('the store has too few words to search');
  const common = terms[0]!;
  // Rare: the least frequent longer word that still occurs more than once.
  const rare = [...terms].reverse().find((t) => t.term.length >= 4 && t.docs >= 2) ?? terms.at(-1)!;
  const matches = db.prepare('SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?');
  // Multi-word: two frequent words (not the most common one) that occur together often enough.
  let multi: { query: string; docs: number } | undefined;
  const pool = terms.slice(1, 12);
  for (let i = 0; i < pool.length && !multi; i++) {
    for (let j = i + 1; j < pool.length; j++) {
      const query = `${pool[i]!.term} ${pool[j]!.term}`;
      const docs = (matches.get(ftsQuery(query)) as { n: number }).n;
      if (docs >= 5) {
        multi = { query, docs };
        break;
      }
    }
  }
  multi ??= { query: `${common.term} ${terms[1]!.term}`, docs: (matches.get(ftsQuery(`${common.term} ${terms[1]!.term}`)) as { n: number }).n };
  return { common, rare, multi };
}
