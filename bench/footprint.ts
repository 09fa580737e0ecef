// Footprint: what the store costs on disk, what the server holds in memory idle
// and under load, and how long it takes to start on a store.
import { fileSize } from './stores.ts';
import type { RunningSwitchboard } from './server.ts';
import { sleep } from './util.ts';

export interface StorageFootprint {
  messages: number;
  dbBytes: number;
  walBytes: number;
  /** (db + wal) scaled to a million messages. */
  bytesPer1M: number;
}

export function storageFootprint(dbFile: string, messages: number): StorageFootprint {
  const dbBytes = fileSize(dbFile);
  const walBytes = fileSize(`${dbFile}-wal`);
  return { messages, dbBytes, walBytes, bytesPer1M: messages ? ((dbBytes + walBytes) / messages) * 1_000_000 : 0 };
}

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
