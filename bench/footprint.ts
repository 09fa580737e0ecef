// Footprint: what the store costs on disk, what the server holds in memory idle
// and under load, and how long it takes to start on a store.
import { searchFileOf } from '../src/store/sqlite/search-index.ts';
import { fileSize } from './stores.ts';
import type { RunningSwitchboard } from './server.ts';
import { sleep } from './util.ts';

export interface StorageFootprint {
  messages: number;
  /** The store file and its WAL. */
  dbBytes: number;
  walBytes: number;
  /** The full-text index's own file (switchboard-search.db) and its WAL; absent from reports before the index had a file of its own. */
  searchBytes?: number;
  searchWalBytes?: number;
  /** Both files and their WALs, scaled to a million messages. */
  bytesPer1M: number;
}

export function storageFootprint(dbFile: string, messages: number): StorageFootprint {
  const searchFile = searchFileOf(dbFile);
  const files = {
    dbBytes: fileSize(dbFile),
    walBytes: fileSize(`${dbFile}-wal`),
    searchBytes: fileSize(searchFile),
    searchWalBytes: fileSize(`${searchFile}-wal`),
  };
  return { messages, ...files, bytesPer1M: messages ? (storeBytes(files) / messages) * 1_000_000 : 0 };
}

/** Everything the store holds on disk: its file, the index's, and their WALs. */
export const storeBytes = (s: Omit<StorageFootprint, 'messages' | 'bytesPer1M'>) => s.dbBytes + s.walBytes + (s.searchBytes ?? 0) + (s.searchWalBytes ?? 0);

/** RSS once the server has started and settled, before any load. */
export async function idleRss(server: RunningSwitchboard, settleMs = 500): Promise<number | undefined> {
  await sleep(settleMs);
  return server.rss();
}

export interface ServerFootprint {
  /** Cold start of the server on this store (from spawn), ms. */
  coldStart: { infoMs: number; searchMs: number };
  rssIdleBytes?: number;
  /** Largest RSS sampled while load ran (reads, sends and live clients), bytes. */
  rssLoadMaxBytes?: number;
  rssSamples: number;
}
