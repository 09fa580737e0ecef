// The data directory's store, opened for a command, with what takes long at open
// (the full-text index built afresh: its file missing, say) told in the log.
import type { Logger } from 'pino';
import { openSqliteRepository, type SqliteRepository } from '../store/sqlite/repository.ts';
import { databaseFile } from './paths.ts';

export function openStore(dataDir: string, log: Logger): SqliteRepository {
  let started = 0;
  return openSqliteRepository(databaseFile(dataDir), {
    onIndexRebuild({ reason, messages, done }) {
      if (done === 0) {
        started = performance.now();
        log.warn({ reason, messages }, `Building the full-text index of ${messages.toLocaleString('en')} messages afresh (${reason}): a few seconds per million messages`);
      } else if (done < messages) {
        log.info({ done, messages }, `Full-text index: ${Math.floor((done / messages) * 100)} % (${done.toLocaleString('en')} of ${messages.toLocaleString('en')} messages)`);
      } else {
        log.info({ messages, seconds: (performance.now() - started) / 1000 }, `Full-text index built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  });
}
