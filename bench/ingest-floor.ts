// The floor under `sandbox generate`: the message rows of a generated store,
// replayed into a fresh database with the current schema through the store's own
// insert and full-text statements, run bare (one transaction per batch, the batch's
// text indexed in sort-key order, synchronous=OFF as in a bulk load), with no
// JavaScript around them: no corpus, no row building, no chats or events.
// What `sandbox generate` reaches can only come near this rate. The benchmark runs
// it on the store whose build it reports; by hand:
//
//   node --import tsx bench/ingest-floor.ts <data-dir or .db of a generated store> [batch, default: generate's]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase, placeholders } from '../src/store/sqlite/db.ts';
import { INDEX_TEXT, INSERT_COLUMNS, INSERT_MESSAGE } from '../src/store/sqlite/messages.ts';
import { BATCH as GENERATE_BATCH } from '../src/networks/sandbox/generate.ts';

export interface IngestFloor {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Per message, µs: the row inserts, the full-text statement, the commit (which writes the index out). */
  perMessage: { insert: number; index: number; commit: number };
}

/** Replays the messages of `source` (a data dir or .db) into a temp database; only the writes are timed. */
export function measureIngestFloor(source: string, batch = GENERATE_BATCH): IngestFloor {
  const src = new Database(source.endsWith('.db') ? source : join(source, 'switchboard.db'), { readonly: true });
  const file = join(tmpdir(), `switchboard-ingest-floor-${process.pid}.db`);
  const clean = () => ['', '-wal', '-shm'].forEach((s) => rmSync(file + s, { force: true }));
  clean();
  const db = openDatabase(file); // schema, pragmas and fold() as the store has them
  try {
    for (const table of ['accounts', 'chats']) {
      const all = src.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      const keys = Object.keys(all[0] ?? {});
      const put = db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${placeholders(keys.length)})`);
      db.transaction(() => all.forEach((r) => put.run(...keys.map((k) => r[k]))))();
    }
    db.pragma('synchronous = OFF');
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
    const seconds = (ms.insert + ms.index + ms.commit) / 1000;
    const us = (v: number) => (v * 1000) / Math.max(1, messages);
    return { messages, seconds, messagesPerSecond: Math.round(messages / seconds), perMessage: { insert: us(ms.insert), index: us(ms.index), commit: us(ms.commit) } };
  } finally {
    db.close();
    src.close();
    clean();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [source, batchArg] = process.argv.slice(2);
  if (!source) throw new Error('usage: ingest-floor.ts <generated data dir or .db> [batch]');
  const f = measureIngestFloor(source, batchArg ? Number(batchArg) : undefined);
  const us = (v: number) => `${v.toFixed(1)} µs`;
  process.stdout.write(
    `${f.messages.toLocaleString('en')} messages in ${f.seconds.toFixed(1)} s: ${f.messagesPerSecond.toLocaleString('en')} messages/s ` +
      `(a message: insert ${us(f.perMessage.insert)}, full-text ${us(f.perMessage.index)}, commit with the index flush ${us(f.perMessage.commit)})\n`,
  );
}
