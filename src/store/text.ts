// Text folding for the store's own matching (chat titles, names, contacts): the
// same rules the FTS5 tokenizer applies to messages, case and accents ignored.

// Letters that carry their mark inside (no Unicode decomposition), as people type them without it.
const BASE_LETTERS: Record<string, string> = {
  ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', đ: 'd', ð: 'd', þ: 'th', ß: 'ss', ı: 'i', ħ: 'h', ŧ: 't', ŋ: 'n', ĸ: 'k', ſ: 's', ƒ: 'f',
};
const INNER_MARKS = new RegExp(`[${Object.keys(BASE_LETTERS).join('')}]`, 'g');

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Lowercases and strips accents, including letters like ł and ø: "Zoë Ångström Łukasz" → "zoe angstrom lukasz".
 * The full-text index holds fold(plain) and deletes an entry by handing FTS5 that
 * same text again: a change here needs a migration that rebuilds messages_fts.
 */
export function fold(text: string): string {
  // ASCII has nothing to decompose or strip (most message text, folded for the index).
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(INNER_MARKS, (ch) => BASE_LETTERS[ch]!);
}

/** Splits user text into folded words of letters and digits. */
export function words(text: string | undefined): string[] {
  if (!text) return [];
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * FTS5 MATCH expression for "all words, any order, last one as a prefix".
 * Each word is quoted, so user text can never inject FTS5 syntax. `tokens` cuts a
 * word as the index's tokenizer does (see sqlite/fts-tokens.ts). A last word of
 * one letter stays a whole word: as a prefix it would match most messages, and
 * the index keeps no 1-letter prefixes to find them fast.
 */
export function ftsQuery(text: string | undefined, tokens: (word: string) => string[] = (w) => [w]): string | undefined {
  const ws = words(text).flatMap(tokens);
  if (ws.length === 0) return undefined;
  const last = ws.length - 1;
  return ws.map((w, i) => `"${w}"${i === last && [...w].length > 1 ? '*' : ''}`).join(' ');
}
