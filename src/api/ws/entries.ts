// What an event frame carries besides its per-connection `seq`: the time, chat, IDs
// and the objects (Message objects for message.upserted, the Chat for chat.upserted),
// built and serialized once per event and shared by every connection that sends it,
// so a thousand subscribers cost one lookup and one JSON.stringify.
import type { Core } from '../../core/core.ts';
import type { DomainEvent } from '../../core/events.ts';

const CACHE_SIZE = 2_000;

export class EntryBuilder {
  private readonly cache = new Map<number, Promise<string>>();

  constructor(private readonly core: Core) {}

  /** The frame's JSON after `"seq":N,` up to its closing brace. */
  tail(e: DomainEvent): Promise<string> {
    let tail = this.cache.get(e.id);
    if (!tail) {
      tail = this.serialize(e);
      this.cache.set(e.id, tail);
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return tail;
  }

  private async serialize(e: DomainEvent): Promise<string> {
    const entries = await this.build(e);
    const rest = JSON.stringify({ ts: new Date(e.ts).toISOString(), chatID: e.chatID, ids: e.ids, ...(entries ? { entries } : {}), eventID: e.id });
    return rest.slice(1); // without the opening brace: the connection writes type and seq first
  }

  private async build(e: DomainEvent): Promise<object[] | undefined> {
    if (e.type === 'chat.upserted') return this.core.chats.eventViews(e.chatID);
    if (e.type === 'message.upserted') return this.core.messages.eventViews(e.chatID, e.ids);
    return undefined;
  }
}
