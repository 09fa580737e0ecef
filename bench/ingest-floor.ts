// The floor under `sandbox generate`: the message rows of a generated store,
// replayed into a fresh database with the current schema by bare better-sqlite3
// statements, the way the store writes them (one transaction per batch, the
// batch's text indexed in sort-key order, synchronous=OFF as in a bulk load), with
// no JavaScript around them: no corpus, no row building, no chats or events.
// What `sandbox generate` reaches can only come near this rate.
//
//   node --import tsx bench/ingest-floor.ts <data-dir or .db of a generated store> [batch, default: generate's]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/store/sqlite/db.ts';
import { BATCH as GENERATE_BATCH } from '../src/networks/sandbox/generate.ts';

const [source, batchArg] = process.argv.slice(2);
if (!source) throw new Error('usage: ingest-floor.ts <generated data dir or .db> [batch]');
const BATCH = Number(batchArg ?? GENERATE_BATCH);
const COLUMNS = `id, chat_local_id, remote_id, pending_id, sort_key, timestamp, sender_id, sender_name, type, text, plain,
  is_sender, send_status, is_hidden, attachments, linked_message_id, mentions, links, seen, mentions_self, media_flags, expires_at`;

const src = new Database(source.endsWith('.db') ? source : join(source, 'switchboard.db'), { readonly: true });
const rows = src.prepare(`SELECT ${COLUMNS} FROM messages ORDER BY row_id`).raw().all() as unknown[][];
const file = join(tmpdir(), `switchboard-ingest-floor-${process.pid}.db`);
const clean = () => ['', '-wal', '-shm'].forEach((s) => rmSync(file + s, { force: true }));
clean();
const db = openDatabase(file); // schema, pragmas and fold() as the store has them
for (const table of ['accounts', 'chats']) {
  const all = src.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
  const keys = Object.keys(all[0] ?? {});
  const put = db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`);
  db.transaction(() => all.forEach((r) => put.run(...keys.map((k) => r[k]))))();
}
db.pragma('synchronous = OFF');
const insert = db.prepare(`INSERT OR IGNORE INTO messages (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})`);
const index = db.prepare(`INSERT INTO messages_fts(rowid, text)
  SELECT sort_key, fold(plain) FROM messages WHERE row_id BETWEEN ? AND ? AND plain IS NOT NULL ORDER BY sort_key`);

const ms = { insert: 0, index: 0, commit: 0 };
const started = performance.now();
for (let i = 0; i < rows.length; i += BATCH) {
  let t = performance.now();
  db.exec('BEGIN');
  let first = 0;
  let last = 0;
  for (const r of rows.slice(i, i + BATCH)) {
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
}
const seconds = (performance.now() - started) / 1000;
db.close();
clean();
const us = (v: number) => `${((v * 1000) / rows.length).toFixed(1)} µs`;
process.stdout.write(
  `${rows.length.toLocaleString('en')} messages in ${seconds.toFixed(1)} s: ${Math.round(rows.length / seconds).toLocaleString('en')} messages/s ` +
    `(a message: insert ${us(ms.insert)}, full-text ${us(ms.index)}, commit with the index flush ${us(ms.commit)})\n`,
);
