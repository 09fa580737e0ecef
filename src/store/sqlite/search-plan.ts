// What one catch-up of the full-text index must do, from the changes queued since
// the last one (the store's search_queue, see migration 11). Pure: the caller reads
// the queue and the messages in one snapshot and applies the plan in one transaction.

/** A queued change: a range of new rows (sortKey null), or one row's text or sort key before it changed or went. */
export interface SearchOp {
  seq: number;
  firstRow: number;
  lastRow: number;
  sortKey: number | null;
  oldText: string | null;
}

export interface SearchPlan {
  /** Index entries to take out, each with the text it was indexed under (a contentless index needs it). */
  remove: Array<{ sortKey: number; text: string }>;
  /** Row ID intervals, sorted and disjoint, whose rows are indexed afresh from their current text. */
  index: Array<[number, number]>;
}

/**
 * Brings every row the ops touch from what the index holds for it to what the row
 * holds now. What the index holds is known from the row's first op in the queue:
 * the text a change recorded before it happened, or nothing if the row was
 * inserted by an earlier op of the same catch-up. Later ops on the row add nothing,
 * since its current text is read anyway. Every change to a message's text or sort
 * key, and every insert, is queued, so this is exact: an entry is never removed
 * with other words than it was indexed under (which would corrupt FTS5's index).
 */
export function planSearchChanges(ops: readonly SearchOp[]): SearchPlan {
  const ranges: Array<[number, number]> = [];
  const before = new Map<number, { sortKey: number; text: string } | null>();
  for (const op of ops) {
    if (op.sortKey === null) {
      ranges.push([op.firstRow, op.lastRow]);
      continue;
    }
    const row = op.firstRow;
    if (before.has(row)) continue;
    const insertedHere = ranges.some(([a, b]) => a <= row && row <= b);
    before.set(row, insertedHere || op.oldText === null ? null : { sortKey: op.sortKey, text: op.oldText });
  }
  const remove = [...before.values()].filter((e) => e !== null);
  return { remove, index: mergeIntervals([...ranges, ...[...before.keys()].map((r): [number, number] => [r, r])]) };
}

/** Sorted, disjoint intervals covering the same rows (touching ones joined). */
export function mergeIntervals(intervals: Array<[number, number]>): Array<[number, number]> {
  const sorted = intervals.map(([a, b]): [number, number] => [a, b]).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
