// What the full-text index holds against what it should hold. The index keeps
// neither text nor per-row sizes, so it cannot be listed by rowid; both sides are
// read as "word sortKey" pairs instead: the live index through fts5vocab, the
// expected one from an index built afresh, in a temporary table, from the
// messages' text with the same tokenizer. Equal pairs mean every message is
// indexed under exactly its words, and nothing else is.
import type Database from 'better-sqlite3';
import { FTS_TOKENIZER } from '../../src/store/sqlite/migrations.ts';

export interface FtsIndexCheck {
  /** "word sortKey" pairs in the index, sorted. */
  live: string[];
  /** The pairs the messages' text yields, sorted. */
  expected: string[];
  /** Sort keys of the messages the index holds at least one word of. */
  docs: number[];
}

/**
 * The index's "word sortKey" pairs, sorted; reads only (no row of any table, temporary
 * ones included, changes). `db` is a connection to the index file with the store
 * attached as `store` (openSearchDatabase, or a repository's search.db).
 */
export function ftsPairs(db: Database.Database): string[] {
  db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_live USING fts5vocab(main, messages_fts, instance)');
  return db.prepare("SELECT term || ' ' || doc FROM temp.fts_live ORDER BY term, doc").pluck().all() as string[];
}

export function ftsIndexCheck(db: Database.Database): FtsIndexCheck {
  db.exec(`
    DROP TABLE IF EXISTS temp.fts_expected;
    CREATE VIRTUAL TABLE temp.fts_expected USING fts5(text, content = '', columnsize = 0, detail = none, tokenize = '${FTS_TOKENIZER}');
    INSERT INTO temp.fts_expected(rowid, text) SELECT sort_key, fold(plain) FROM store.messages WHERE plain IS NOT NULL;
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_expected_pairs USING fts5vocab(temp, fts_expected, instance);
  `);
  return {
    live: ftsPairs(db),
    expected: db.prepare("SELECT term || ' ' || doc FROM temp.fts_expected_pairs ORDER BY term, doc").pluck().all() as string[],
    docs: db.prepare('SELECT DISTINCT doc FROM temp.fts_live ORDER BY doc').pluck().all() as number[],
  };
}

/**
 * ftsIndexCheck, with FTS5's own integrity-check ('ok' or its error) and the changes
 * queued for the index that it has not applied, read without catching up first.
 */
export function indexHealth(db: Database.Database): FtsIndexCheck & { ftsCheck: string; unapplied: number } {
  const check = ftsIndexCheck(db);
  let ftsCheck = 'ok';
  try {
    db.prepare("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')").run();
  } catch (err) {
    ftsCheck = (err as Error).message;
  }
  const unapplied = db.prepare('SELECT count(*) FROM store.search_queue WHERE seq > (SELECT applied FROM search_state)').pluck().get() as number;
  return { ...check, ftsCheck, unapplied };
}
