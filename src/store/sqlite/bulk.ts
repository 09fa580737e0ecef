import type { DB } from './db.ts';
import type { SearchIndex } from './search-index.ts';

/**
 * Bulk loads (see Repository.bulkLoad): one write transaction held from commit()
 * to commit(), so the many small atomic writes of a generated corpus (chats,
 * members, events, read markers…) share a commit instead of paying one each; the
 * store's own small transactions nest inside it as savepoints, while a batch of
 * messages runs as a transaction of its own (ownTransaction). Meanwhile the file is
 * not synced (synchronous=OFF): a crash of this process still loses only what
 * came after the last commit, while a power cut could lose more, which is the
 * price of a bulk load. Afterwards the setting is restored and a checkpoint
 * under it syncs what was written. The full-text index is kept up by a worker
 * thread meanwhile, in its own file (search-index.ts), and has caught up with
 * everything when the load returns.
 */
export function bulkLoads(db: DB, search: SearchIndex) {
  let running = false;
  // IMMEDIATE: take the write lock now (waiting for another writer, such as a
  // running server, as long as busy_timeout allows) rather than fail on the first write.
  const begin = () => db.exec('BEGIN IMMEDIATE');
  // A statement that fails badly enough (disk full) ends the whole transaction: go on without one.
  const end = (how: 'COMMIT' | 'ROLLBACK') => db.inTransaction && db.exec(how);

  async function bulkLoad<T>(load: (commit: () => void) => Promise<T>): Promise<T> {
    if (running || db.inTransaction) throw new Error('a bulk load needs the store to itself: another one or a transaction is open');
    running = true;
    const synchronous = db.pragma('synchronous', { simple: true }) as number;
    db.pragma('synchronous = OFF');
    search.startBackground();
    try {
      begin();
      const result = await load(() => {
        end('COMMIT');
        begin();
      });
      end('COMMIT');
      await search.endBackground();
      return result;
    } catch (err) {
      end('ROLLBACK');
      await search.endBackground().catch(() => {}); // the load's own error is the one to report
      throw err;
    } finally {
      running = false;
      db.pragma(`synchronous = ${synchronous}`);
      // Copies the WAL into the database file under the restored setting, which
      // syncs it: what the unsynced checkpoints wrote is on disk from here on.
      db.pragma('wal_checkpoint(PASSIVE)');
    }
  }

  /**
   * Runs a large store transaction (a batch of messages) as a transaction of its
   * own, also during a bulk load: the load commits what it has first and goes on
   * after it. Nested in the load's transaction it would be a savepoint, and SQLite
   * keeps a copy of every page a savepoint changes, in case it is rolled back:
   * for a batch of messages, thousands of index pages.
   */
  function ownTransaction<T>(run: () => T): T {
    if (!running || !db.inTransaction) return run();
    end('COMMIT');
    try {
      return run();
    } finally {
      begin();
    }
  }

  return { bulkLoad, ownTransaction };
}
