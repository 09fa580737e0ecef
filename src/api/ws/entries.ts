// The objects an event carries: Message objects for message.upserted, the Chat for
// chat.upserted. Built once per event and shared by every connection that sends it,
// so a thousand subscribers cost one lookup.
import type { Core } from '../../core/core.ts';
import type { DomainEvent } from '../../core/events.ts';

const CACHE_SIZE = 2_000;

export class EntryBuilder {
  private readonly cache = new Map<number, Promise<object[] | undefined>>();

  constructor(private readonly core: Core) {}

  for(e: DomainEvent): Promise<object[] | undefined> {
    let entries = this.cache.get(e.id);
    if (!entries) {
      entries = this.build(e);
      this.cache.set(e.id, entries);
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return entries;
  }

  private async build(e: DomainEvent): Promise<object[] | undefined> {
    if (e.type === 'chat.upserted') return this.core.chats.eventViews(e.chatID);
    if (e.type === 'message.upserted') return this.core.messages.eventViews(e.chatID, e.ids);
    return undefined;
  }
}
