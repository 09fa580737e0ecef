import type { Repository } from '../repository.ts';
import { openDatabase, type DB } from './db.ts';
import { accountQueries } from './accounts.ts';
import { userQueries } from './users.ts';
import { chatQueries } from './chats.ts';
import { messageQueries } from './messages.ts';
import { fileQueries } from './files.ts';
import { tokenQueries } from './tokens.ts';
import { stateQueries } from './state.ts';
import { eventQueries } from './events.ts';
import { oauthQueries } from './oauth.ts';
import { bulkLoads } from './bulk.ts';
import { openSearchIndex, type IndexRebuildProgress, type SearchIndex } from './search-index.ts';

export interface SqliteRepository extends Repository {
  /** The underlying handle, for benchmarks and integrity checks only. */
  readonly db: DB;
  /** The full-text index, in its own file: for benchmarks and integrity checks only. */
  readonly search: SearchIndex;
}

/** `onIndexRebuild` hears of the full-text index being built afresh at open (its file missing, say), which takes seconds per million messages. */
export function openSqliteRepository(file: string, opts: { onIndexRebuild?: IndexRebuildProgress } = {}): SqliteRepository {
  const db = openDatabase(file);
  let search: SearchIndex;
  try {
    search = openSearchIndex(file, opts.onIndexRebuild);
  } catch (err) {
    db.close();
    throw err;
  }
  const bulk = bulkLoads(db, search);
  return {
    db,
    search,
    close: () => {
      try {
        search.close();
      } finally {
        db.close();
      }
    },
    ...accountQueries(db),
    ...userQueries(db),
    ...chatQueries(db),
    ...messageQueries(db, search, bulk.ownTransaction),
    ...fileQueries(db),
    ...tokenQueries(db),
    ...stateQueries(db),
    ...eventQueries(db),
    ...oauthQueries(db),
    bulkLoad: bulk.bulkLoad,
  };
}
