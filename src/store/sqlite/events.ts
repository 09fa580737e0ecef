import type { DB } from './db.ts';
import type { EventRecord } from '../records.ts';
import type { Row } from './rows.ts';

const toEvent = (r: Row): EventRecord => ({
  id: r.id as number,
  type: r.type as EventRecord['type'],
  chatID: r.chat_id as string,
  ids: JSON.parse(r.ids as string) as string[],
  ts: r.ts as number,
});

export function eventQueries(db: DB) {
  const append = db.prepare('INSERT INTO events (type, chat_id, ids, ts) VALUES (?, ?, ?, ?)');
  const after = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?');
  // AUTOINCREMENT's counter remembers the last ID ever issued, even once the log is pruned empty.
  const bounds = db.prepare(`SELECT coalesce((SELECT min(id) FROM events), issued + 1) AS oldest, issued AS newest
    FROM (SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS issued)`);
  const pruneOld = db.prepare('DELETE FROM events WHERE ts < ?');
  const pruneMany = db.prepare('DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?');
  return {
    async appendEvent(e: Omit<EventRecord, 'id'>) {
      return Number(append.run(e.type, e.chatID, JSON.stringify(e.ids), e.ts).lastInsertRowid);
    },
    async eventsAfter(afterID: number, limit: number) {
      return (after.all(afterID, limit) as Row[]).map(toEvent);
    },
    async eventBounds() {
      return bounds.get() as { oldest: number; newest: number };
    },
    async pruneEvents(before: number, keep: number) {
      return db.transaction(() => pruneOld.run(before).changes + pruneMany.run(keep).changes)();
    },
  };
}
