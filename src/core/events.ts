// Domain events, emitted after the change they describe is committed. Each one is
// appended to a durable, bounded log (its row ID is the event's eventID) and then
// handed to live listeners in log order, so a client that knows the last eventID
// it saw can be replayed exactly what it missed.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Repository } from '../store/repository.ts';
import type { EventRecord } from '../store/records.ts';

export type DomainEventType = EventRecord['type'];
export type DomainEvent = EventRecord;

/** How long and how many events are kept for resuming clients. */
export const EVENT_RETENTION = { ms: 7 * 24 * 3600_000, count: 100_000 };
const PRUNE_EVERY_MS = 3600_000;

export class DomainEvents {
  private readonly emitter = new EventEmitter();
  /** Appends are chained so listeners see events in eventID order. */
  private tail: Promise<void> = Promise.resolve();
  private pruner: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly log: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  emit(type: DomainEventType, chatID: string, ids: string[]): void {
    const ts = Date.now();
    this.tail = this.tail.then(async () => {
      try {
        const id = await this.repo.appendEvent({ type, chatID, ids, ts });
        this.emitter.emit('event', { id, type, chatID, ids, ts } satisfies DomainEvent);
      } catch (err) {
        this.log.error({ err, type, chatID }, 'could not record a domain event');
      }
    });
  }

  /** Resolves once every event emitted so far is in the log and delivered to listeners. */
  flushed(): Promise<void> {
    return this.tail;
  }

  /** The oldest eventID still kept (a client resuming from before it has missed events). */
  async oldestKept(): Promise<number> {
    return (await this.repo.eventBounds()).oldest;
  }

  /** Up to `limit` logged events after `id`, in order: what a resuming client missed. */
  after(id: number, limit: number): Promise<DomainEvent[]> {
    return this.repo.eventsAfter(id, limit);
  }

  subscribe(listener: (e: DomainEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  start(): void {
    const prune = async () => {
      const dropped = await this.repo.pruneEvents(Date.now() - EVENT_RETENTION.ms, EVENT_RETENTION.count);
      if (dropped) this.log.info({ dropped }, 'pruned old events');
    };
    void prune();
    this.pruner = setInterval(() => void prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruner);
    await this.tail;
  }
}
