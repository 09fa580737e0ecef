// The worker thread that keeps the full-text index up during a bulk load (see
// search-index.ts): told after each commit of the main thread, it catches up.
import { parentPort, workerData } from 'node:worker_threads';
import { indexCatchUp, openSearchDatabase } from './search-index.ts';

const { storeFile } = workerData as { storeFile: string };
const db = openSearchDatabase(storeFile);
// As the bulk load's own writes: not synced until the load ends (its last
// checkpoint below, under the usual setting, syncs them).
db.pragma('synchronous = OFF');
const catchUp = indexCatchUp(db);

parentPort!.on('message', (m: 'catch-up' | 'finish') => {
  const applied = catchUp();
  if (m === 'catch-up') {
    parentPort!.postMessage({ applied });
    return;
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  parentPort!.postMessage({ applied, done: true });
  parentPort!.close();
});
