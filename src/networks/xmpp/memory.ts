// What the connector remembers between connections, in core's per-account state
// (ctx.getState/setState): archive positions, rooms, peers' features, and the
// small maps that tie XMPP's several message IDs together. Values are cached
// and written back shortly after they change.
import type { ConnectorContext } from '../connector.ts';

/** A map that keeps only its newest `max` entries. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  has(k: K): boolean {
    return this.map.has(k);
  }
  set(k: K, v: V): this {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
    return this;
  }
  delete(k: K): boolean {
    return this.map.delete(k);
  }
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
  get size(): number {
    return this.map.size;
  }
}

const SAVE_DELAY_MS = 300;

export class Memory {
  private readonly cache = new Map<string, unknown>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ConnectorContext) {}

  async load<T>(key: string, fallback: () => T): Promise<T> {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const v = ((await this.ctx.getState<T>(key)) ?? fallback()) as T;
    if (!this.cache.has(key)) this.cache.set(key, v);
    return this.cache.get(key) as T;
  }

  /** The cached value (load() it first). */
  peek<T>(key: string): T | undefined {
    return this.cache.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.cache.set(key, value);
    this.touch(key);
  }

  /** Marks a cached (mutated) value for writing back. */
  touch(key: string): void {
    this.dirty.add(key);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), SAVE_DELAY_MS);
      this.timer.unref?.();
    }
  }

  /** Writes now; awaited where a position must be durable (archive catch-up). */
  async save(key: string, value: unknown): Promise<void> {
    this.cache.set(key, value);
    this.dirty.delete(key);
    await this.ctx.setState(key, value);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const k of keys) {
      try {
        await this.ctx.setState(k, this.cache.get(k) ?? null);
      } catch (err) {
        this.ctx.log.warn({ err, key: k }, 'could not save XMPP connector state');
      }
    }
  }
}

/** Keeps an object-as-map to its newest `max` keys (insertion order). */
export function capObject(o: Record<string, unknown>, max: number): void {
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length - max; i++) delete o[keys[i]!];
}
