// How XMPP names messages, tied together. A message has the sender's origin-id
// (or id attribute) and a stanza-id from each archive that stored it. The
// connector's remoteID for a message is the sender's ID (origin-id, else id,
// else the archive's stanza-id), the same however the message arrives (live,
// carbon, archive). References use other IDs in places — in rooms, reactions,
// retractions, replies and markers name the room's stanza-id — so each chat keeps
// a map between them. Also remembered: the author and text of recent messages
// (reply quotes, checking who may retract or correct), the reactions each person
// has on a message (XEP-0444 sends whole sets), the last message from others in
// each chat (what a read marker points at), and the IDs of our own corrections,
// reactions and retractions (so the archive does not replay them to us).
import type { Shared } from './shared.ts';
import { capObject, Lru } from './memory.ts';

const MAX_ALIASES = 3_000;
const MAX_REACTIONS = 3_000;

interface ChatRefs {
  /** alias (stanza-id, id attribute) → remoteID */
  a: Record<string, string>;
  /** remoteID → the room's stanza-id */
  s: Record<string, string>;
}

export class Refs {
  private readonly info = new Lru<string, { sender: string; text?: string }>(20_000);
  private ownOps!: string[];
  private ownOpsSet = new Set<string>();
  private lastIn!: Record<string, { id: string; sid?: string }>;

  constructor(private readonly x: Shared) {}

  async load(): Promise<void> {
    this.ownOps = await this.x.memory.load<string[]>('ownOps', () => []);
    this.ownOpsSet = new Set(this.ownOps);
    this.lastIn = await this.x.memory.load<Record<string, { id: string; sid?: string }>>('lastIncoming', () => ({}));
  }

  private async chat(chat: string): Promise<ChatRefs> {
    return this.x.memory.load<ChatRefs>(`refs:${chat}`, () => ({ a: {}, s: {} }));
  }

  /** Records a message's other IDs. */
  async record(chat: string, remoteID: string, aliases: Array<string | undefined>, roomStanzaID?: string): Promise<void> {
    const extra = aliases.filter((a): a is string => !!a && a !== remoteID);
    if (!extra.length && !roomStanzaID) return;
    const r = await this.chat(chat);
    for (const a of extra) r.a[a] = remoteID;
    if (roomStanzaID) {
      r.a[roomStanzaID] = remoteID;
      r.s[remoteID] = roomStanzaID;
    }
    capObject(r.a, MAX_ALIASES);
    capObject(r.s, MAX_ALIASES);
    this.x.memory.touch(`refs:${chat}`);
  }

  /** The remoteID a reference (any of a message's IDs) means. */
  async resolve(chat: string, ref: string): Promise<string> {
    return (await this.chat(chat)).a[ref] ?? ref;
  }

  /** The room's stanza-id of a message, which room references use; else its remoteID. */
  async roomRef(chat: string, remoteID: string): Promise<string> {
    return (await this.chat(chat)).s[remoteID] ?? remoteID;
  }

  remember(chat: string, remoteID: string, sender: string, text?: string): void {
    this.info.set(`${chat}\n${remoteID}`, { sender, text: text?.slice(0, 300) });
  }

  about(chat: string, remoteID: string): { sender: string; text?: string } | undefined {
    return this.info.get(`${chat}\n${remoteID}`);
  }

  /** The reactions a person has on a message, as last seen. */
  async reactions(chat: string, target: string, sender: string): Promise<string[]> {
    const all = await this.x.memory.load<Record<string, string[]>>(`reactions:${chat}`, () => ({}));
    return all[`${target}\n${sender}`] ?? [];
  }

  async setReactions(chat: string, target: string, sender: string, keys: string[]): Promise<void> {
    const key = `reactions:${chat}`;
    const all = await this.x.memory.load<Record<string, string[]>>(key, () => ({}));
    const k = `${target}\n${sender}`;
    delete all[k];
    if (keys.length) all[k] = keys;
    capObject(all, MAX_REACTIONS);
    this.x.memory.touch(key);
  }

  lastIncoming(chat: string): { id: string; sid?: string } | undefined {
    return this.lastIn[chat];
  }

  setLastIncoming(chat: string, id: string, sid?: string): void {
    this.lastIn[chat] = { id, sid };
    this.x.memory.touch('lastIncoming');
  }

  /** Our own non-message stanzas (corrections, reactions, retractions, markers). */
  addOwnOp(id: string): void {
    this.ownOps.push(id);
    this.ownOpsSet.add(id);
    if (this.ownOps.length > 2_000) this.ownOpsSet.delete(this.ownOps.shift()!);
    this.x.memory.touch('ownOps');
  }

  isOwnOp(id: string | undefined): boolean {
    return !!id && this.ownOpsSet.has(id);
  }
}
