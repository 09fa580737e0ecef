// The words of a search as FTS5's own tokenizer cuts them. JavaScript's Unicode
// tables are newer than unicode61's (Unicode 6.1): some characters that are
// letters now were marks then, so "aᦰb" is one word to us and two tokens to
// FTS5. A quoted string of two tokens is a phrase, which a detail=none index
// refuses; asking the tokenizer itself keeps the two sides in agreement.
import Database from 'better-sqlite3';
import { FTS_TOKENIZER } from './migrations.ts';

const CACHE_LIMIT = 10_000;

export function ftsTokenizer(): (word: string) => string[] {
  // A private in-memory database: tokenizing a query never writes to the store.
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE tok USING fts5(t, tokenize = '${FTS_TOKENIZER}');
    CREATE VIRTUAL TABLE tok_terms USING fts5vocab(tok, instance);`);
  const put = db.prepare('INSERT INTO tok(rowid, t) VALUES (1, ?)');
  const terms = db.prepare('SELECT term FROM tok_terms ORDER BY offset').pluck();
  const clear = db.prepare('DELETE FROM tok');
  const cache = new Map<string, string[]>();
  return (word) => {
    // Folded ASCII letters and digits are single tokens to unicode61 as to us.
    if (/^[a-z0-9]+$/.test(word)) return [word];
    let tokens = cache.get(word);
    if (!tokens) {
      put.run(word);
      tokens = terms.all() as string[];
      clear.run();
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(word, tokens);
    }
    return tokens;
  };
}
