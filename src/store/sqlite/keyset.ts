// Keyset pagination: a page is "the next N rows past this key", so a deep page
// costs what the first does and rows inserted meanwhile cause no gaps or repeats.
import type { Direction } from '../repository.ts';

export interface Keyset {
  where: string; // '' when there is no cursor
  params: unknown[];
  order: string;
  /** Rows come back in scan order; this puts them newest-first. */
  finish<T>(rows: T[], limit: number): { items: T[]; hasMore: boolean };
}

/**
 * @param columns the sort key, e.g. ['c.last_activity', 'c.local_id'], descending = newest first
 * @param descending when false the list's natural order is ascending (contacts by name)
 */
export function keyset(columns: string[], cursor: unknown[] | undefined, direction: Direction, descending = true): Keyset {
  // 'before' walks the natural order (older / further down); 'after' walks back.
  const forward = direction !== 'after' || !cursor;
  const scanDesc = forward === descending;
  const tuple = `(${columns.join(', ')})`;
  const marks = `(${columns.map(() => '?').join(', ')})`;
  return {
    where: cursor ? `${tuple} ${scanDesc ? '<' : '>'} ${marks}` : '',
    params: cursor ?? [],
    order: columns.map((c) => `${c} ${scanDesc ? 'DESC' : 'ASC'}`).join(', '),
    finish(rows, limit) {
      const hasMore = rows.length > limit;
      const items = rows.slice(0, limit);
      if (!forward) items.reverse();
      return { items, hasMore };
    },
  };
}
