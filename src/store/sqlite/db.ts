import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.ts';
import { fold } from '../text.ts';

export type DB = Database.Database;

const statements = new WeakMap<DB, Map<string, Database.Statement>>();
const STATEMENT_CACHE = 500;

/**
 * A prepared statement for SQL built at run time (filters, keyset directions),
 * kept for reuse: preparing costs as much as running a small query.
 */
export function prepared(db: DB, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let st = cache.get(sql);
  if (!st) {
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    cache.set(sql, (st = db.prepare(sql)));
  }
  return st;
}

/** "?, ?, ?": the parameter list of an IN (…) of n values. */
export const placeholders = (n: number) => Array(n).fill('?').join(', ');

/**
 * Opens a database file (creating it if needed) with the settings every connection
 * of the store uses, to the store's file or to the full-text index's.
 */
export function openConnection(file: string): DB {
  const db = new Database(file);
  // WAL lets the CLI read and write while a server runs on the same file; with
  // WAL, synchronous=NORMAL survives process crashes (a power cut may lose the
  // last transactions, never corrupt the file).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB page cache
  db.pragma('temp_store = MEMORY');
  db.pragma('mmap_size = 268435456'); // read pages straight from the OS cache
  // The full-text index holds folded text (search-index.ts; migrations up to 10 built it in the store's file).
  db.function('fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? fold(v) : null));
  return db;
}

/** Opens (creating if needed) the store's database file and brings its schema up to date. */
export function openDatabase(file: string): DB {
  const db = openConnection(file);
  migrate(db);
  return db;
}

export function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The database schema is version ${current}, newer than this Switchboard knows (${MIGRATIONS.length}). Upgrade Switchboard or use another --data-dir.`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
