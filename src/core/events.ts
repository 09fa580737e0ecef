// Domain events, emitted after the change they describe is committed. The
// WebSocket endpoint and other live consumers subscribe here.
import { EventEmitter } from 'node:events';

export type DomainEventType = 'chat.upserted' | 'chat.deleted' | 'message.upserted' | 'message.deleted';

export interface DomainEvent {
  type: DomainEventType;
  chatID: string;
  ids: string[];
  ts: number;
}

export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit(type: DomainEventType, chatID: string, ids: string[]): void {
    this.emitter.emit('event', { type, chatID, ids, ts: Date.now() } satisfies DomainEvent);
  }

  subscribe(listener: (e: DomainEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
