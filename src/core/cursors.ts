// Opaque pagination cursors. A cursor names a position (a keyset), not an offset,
// so pages stay stable while rows are added. The kind tag stops a cursor from
// one list being used on another; anything that does not decode is a 400.
import { badRequest } from './errors.ts';

export type CursorKind = 'chats' | 'messages' | 'search' | 'contacts';

export function encodeCursor(kind: CursorKind, key: Array<string | number>): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

/**
 * A list page as the API answers it: its items plus the cursors of its first
 * (newest) and last (oldest) rows, keyed the way the store pages them.
 */
export function cursorPage<R, T>(kind: CursorKind, page: { items: R[]; hasMore: boolean }, items: T[], key: (row: R) => Array<string | number>) {
  const first = page.items[0];
  const last = page.items.at(-1);
  return {
    items,
    hasMore: page.hasMore,
    oldestCursor: last === undefined ? null : encodeCursor(kind, key(last)),
    newestCursor: first === undefined ? null : encodeCursor(kind, key(first)),
  };
}

export function decodeCursor<const K extends ReadonlyArray<'string' | 'number'>>(
  kind: CursorKind,
  cursor: string,
  shape: K,
): { [I in keyof K]: K[I] extends 'string' ? string : number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed[0] === kind &&
    parsed.length === shape.length + 1 &&
    shape.every((t, i) => (t === 'number' ? Number.isSafeInteger(parsed[i + 1]) : typeof parsed[i + 1] === 'string'));
  if (!valid) {
    throw badRequest('INVALID_CURSOR', `The cursor is not one this list handed out. Use oldestCursor or newestCursor from an earlier ${kind} page, unchanged.`);
  }
  return (parsed as unknown[]).slice(1) as never;
}
