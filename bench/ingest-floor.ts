// The floor under `sandbox generate`: the message rows of a generated store,
// replayed into a fresh store with the current schema (its file, and the full-text
// index's file beside it) through the store's own insert and full-text statements,
// run bare on one connection that sees both files (one transaction per batch, the
// batch's text indexed in sort-key order, synchronous=OFF as in a bulk load), with
// no JavaScript around them: no corpus, no row building, no chats or events, no
// queue of changes for the index (one row a batch). That is the store's work for
// these rows on one thread. `sandbox generate` spreads it over two: a worker thread
// indexes a batch in the index's file while the main thread inserts the next, so
// with a second core it can exceed this rate. Measured twice:
// by better-sqlite3, as the store runs them, and by SQLite's C API (ingest-floor.c,
// linked against better-sqlite3's own SQLite), which shows what SQLite itself
// costs with no binding at all. The benchmark runs both on the store whose build it
// reports; by hand:
//
//   node --import tsx bench/ingest-floor.ts <data-dir or .db of a generated store> [batch, default: generate's]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase, placeholders } from '../src/store/sqlite/db.ts';
import { INSERT_COLUMNS, INSERT_MESSAGE } from '../src/store/sqlite/messages.ts';
import { INDEX_TEXT, openSearchIndex, searchFileOf } from '../src/store/sqlite/search-index.ts';
import { BATCH as GENERATE_BATCH } from '../src/networks/sandbox/generate.ts';
import { describeFloor } from './report.ts';
import { REPO_ROOT } from './util.ts';

export interface IngestFloor {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Per message, µs: the row inserts, the full-text statement, the commit (of both files; it writes the index out). */
  perMessage: { insert: number; index: number; commit: number };
}

/** What the C floor reports when it cannot run here, and why. */
export interface SkippedFloor {
  skipped: string;
}

const sourceFile = (source: string) => (source.endsWith('.db') ? source : join(source, 'switchboard.db'));

/**
 * A fresh store in the temp dir with the store's schema, pragmas and fold(), holding
 * the accounts and chats of `src` (the messages' foreign keys need them), and its
 * empty index file. `setup`: the SQL that makes a connection to the store see the
 * index too (the store's own INDEX_TEXT names messages_fts unqualified), with the
 * settings of the index's connection in a bulk load (search-worker.ts: unsynced,
 * its 64 MiB page cache; an attached file gets neither from the pragmas before).
 */
function replayTarget(src: Database.Database, label: string): { file: string; setup: string; clean: () => void } {
  const file = join(tmpdir(), `switchboard-ingest-floor-${label}-${process.pid}.db`);
  const index = searchFileOf(file);
  const clean = () => [file, index].forEach((f) => ['', '-wal', '-shm'].forEach((s) => rmSync(f + s, { force: true })));
  clean();
  const db = openDatabase(file);
  try {
    for (const table of ['accounts', 'chats']) {
      const all = src.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      const keys = Object.keys(all[0] ?? {});
      const put = db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${placeholders(keys.length)})`);
      db.transaction(() => all.forEach((r) => put.run(...keys.map((k) => r[k]))))();
    }
  } finally {
    db.close();
  }
  openSearchIndex(file).close();
  const setup = `ATTACH '${index.replaceAll("'", "''")}' AS search; PRAGMA search.synchronous = OFF; PRAGMA search.cache_size = -65536;`;
  return { file, setup, clean };
}

/** The floor from the milliseconds each step took over `messages`. */
const floorOf = (messages: number, ms: { insert: number; index: number; commit: number }): IngestFloor => {
  const seconds = (ms.insert + ms.index + ms.commit) / 1000;
  const us = (v: number) => (v * 1000) / Math.max(1, messages);
  return { messages, seconds, messagesPerSecond: Math.round(messages / seconds), perMessage: { insert: us(ms.insert), index: us(ms.index), commit: us(ms.commit) } };
};

/** Replays the messages of `source` (a data dir or .db) into a temp database by better-sqlite3; only the writes are timed. */
export function measureIngestFloor(source: string, batch = GENERATE_BATCH): IngestFloor {
  const src = new Database(sourceFile(source), { readonly: true });
  const target = replayTarget(src, 'js');
  const db = openDatabase(target.file);
  try {
    db.pragma('synchronous = OFF');
    db.exec(target.setup);
    // Read a batch at a time (untimed), so a million rows never sit in memory at once.
    // The row ID comes first, for the next page; the rest in the order the insert binds them.
    const read = src.prepare(`SELECT row_id, ${INSERT_COLUMNS.join(', ')} FROM messages WHERE row_id > ? ORDER BY row_id LIMIT ?`).raw();
    const insert = db.prepare(INSERT_MESSAGE);
    const index = db.prepare(INDEX_TEXT);
    const ms = { insert: 0, index: 0, commit: 0 };
    let messages = 0;
    for (let after = 0; ; ) {
      const page = read.all(after, batch) as unknown[][];
      if (!page.length) break;
      after = page.at(-1)![0] as number;
      const rows = page.map((r) => r.slice(1));
      let t = performance.now();
      db.exec('BEGIN');
      let first = 0;
      let last = 0;
      for (const r of rows) {
        last = Number(insert.run(r).lastInsertRowid);
        first ||= last;
      }
      ms.insert += performance.now() - t;
      t = performance.now();
      index.run(first, last);
      ms.index += performance.now() - t;
      t = performance.now();
      db.exec('COMMIT');
      ms.commit += performance.now() - t;
      messages += rows.length;
    }
    return floorOf(messages, ms);
  } finally {
    db.close();
    src.close();
    target.clean();
  }
}

/**
 * The C floor's program, compiled once per source and library into the benchmark
 * cache, or why it cannot be: it links the static SQLite that better-sqlite3
 * leaves when built from source (as `npm ci` does here, with no prebuilt binary to
 * download), so the two floors run the same SQLite.
 */
function cFloorProgram(cacheDir: string): string | SkippedFloor {
  const pkg = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const library = join(pkg, 'build', 'Release', 'sqlite3.a');
  const headers = join(pkg, 'deps', 'sqlite3');
  if (!existsSync(library)) {
    return { skipped: `better-sqlite3 was installed prebuilt, without its static SQLite library (${library}); \`npm rebuild better-sqlite3 --build-from-source\` builds it` };
  }
  const code = join(REPO_ROOT, 'bench', 'ingest-floor.c');
  const { size, mtimeMs } = statSync(library);
  const key = createHash('sha256').update(readFileSync(code)).update(`${library} ${size} ${mtimeMs}`).digest('hex').slice(0, 12);
  const program = join(cacheDir, `ingest-floor-c-${key}`);
  if (existsSync(program)) return program;
  mkdirSync(cacheDir, { recursive: true });
  // Builds from an older source or library are never used again.
  for (const f of readdirSync(cacheDir)) if (f.startsWith('ingest-floor-c-')) rmSync(join(cacheDir, f), { force: true });
  for (const compiler of ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(compiler, ['-O2', '-o', program, code, `-I${headers}`, library, '-lpthread', '-lm', '-ldl'], { stdio: ['ignore', 'ignore', 'pipe'] });
      return program;
    } catch (err) {
      const e = err as { code?: string; stderr?: Buffer };
      if (e.code !== 'ENOENT') return { skipped: `${compiler} could not build bench/ingest-floor.c: ${e.stderr?.toString().trim().slice(0, 500)}` };
    }
  }
  return { skipped: 'no C compiler (cc, gcc or clang) on this machine' };
}

/** The same replay as measureIngestFloor, by SQLite's C API (bench/ingest-floor.c). */
export function measureIngestFloorC(source: string, batch = GENERATE_BATCH, cacheDir = join(REPO_ROOT, 'bench', 'cache')): IngestFloor | SkippedFloor {
  const program = cFloorProgram(cacheDir);
  if (typeof program !== 'string') return program;
  const file = sourceFile(source);
  const src = new Database(file, { readonly: true });
  const target = replayTarget(src, 'c');
  src.close();
  try {
    const out = execFileSync(program, [file, target.file, target.setup, INSERT_MESSAGE, INDEX_TEXT, INSERT_COLUMNS.join(', '), String(batch)], { encoding: 'utf8' });
    const { messages, ...ms } = JSON.parse(out) as { messages: number; insert: number; index: number; commit: number };
    return floorOf(messages, ms);
  } finally {
    target.clean();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [source, batchArg] = process.argv.slice(2);
  if (!source) throw new Error('usage: ingest-floor.ts <generated data dir or .db> [batch]');
  const batch = batchArg ? Number(batchArg) : undefined;
  const js = measureIngestFloor(source, batch);
  process.stdout.write(`better-sqlite3: ${js.messages.toLocaleString('en')} messages in ${js.seconds.toFixed(1)} s: ${describeFloor(js)}\n`);
  const c = measureIngestFloorC(source, batch);
  process.stdout.write('skipped' in c ? `C: not measured: ${c.skipped}\n` : `C: ${c.messages.toLocaleString('en')} messages in ${c.seconds.toFixed(1)} s: ${describeFloor(c)}\n`);
}
