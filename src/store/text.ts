// Text folding for the store's own matching (chat titles, names, contacts): the
// same rules the FTS5 tokenizer applies to messages, case and accents ignored.

/** Lowercases and strips combining marks: "Zoë Ångström" → "zoe angstrom". */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** Splits user text into folded words of letters and digits. */
export function words(text: string | undefined): string[] {
  if (!text) return [];
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * FTS5 MATCH expression for "all words, any order, last one as a prefix".
 * Each word is quoted, so user text can never inject FTS5 syntax.
 */
export function ftsQuery(text: string | undefined): string | undefined {
  const ws = words(text);
  if (ws.length === 0) return undefined;
  return ws.map((w, i) => `"${w}"${i === ws.length - 1 ? '*' : ''}`).join(' ');
}
