// History from Message Archive Management (XEP-0313): on the first connection
// the newest messages of the account's archive (and of each room's) are
// backfilled; after every reconnection the archives are read forward from the
// last archive ID seen, so nothing sent meanwhile is missed. Results are fed
// through the same path as live messages, in archive order; the positions are
// saved after every page.
import { randomBytes } from 'node:crypto';
import type { XmlElement } from '@xmpp/client';
import type { Shared } from './shared.ts';
import { bareOf } from './jid.ts';
import { mamQuery, parseFin, parseMamResult, type MamResult } from './xep/mam.ts';
import { stanzaIDs } from './xep/stanza.ts';

/** How much history a first connection backfills. */
export const BACKFILL_ACCOUNT = 5_000;
export const BACKFILL_ROOM = 1_000;
const PAGE = 100;
const QUERY_TIMEOUT_MS = 30_000;

interface Position {
  /** Last archive ID processed. */
  last?: string;
  /** When it was processed (fallback when the archive forgot that ID). */
  at: number;
}

export class History {
  private readonly collecting = new Map<string, { from: string; results: MamResult[] }>();

  constructor(private readonly x: Shared) {}

  /** Routes a <message><result/></message>; false when it is not an answer to one of our queries. */
  collect(message: XmlElement): boolean {
    const r = parseMamResult(message);
    if (!r) return false;
    const q = this.collecting.get(r.queryID);
    // Only the archive we asked may answer (the account's own server, or the room).
    if (q && bareOf(message.attrs.from ?? this.x.self) === q.from) q.results.push(r);
    return true;
  }

  private async page(archive: string | undefined, q: { after?: string; before?: string; start?: Date }): Promise<{ results: MamResult[]; complete: boolean; first?: string; last?: string }> {
    const queryID = randomBytes(6).toString('hex');
    const entry = { from: archive ?? this.x.self, results: [] as MamResult[] };
    this.collecting.set(queryID, entry);
    try {
      const res = await this.x.session.iq('set', archive, mamQuery({ queryID, max: PAGE, ...q }), QUERY_TIMEOUT_MS);
      const fin = parseFin(res);
      return { results: entry.results, ...fin, complete: fin.complete || entry.results.length === 0 };
    } finally {
      this.collecting.delete(queryID);
    }
  }

  private key(archive: string | undefined) {
    return archive ? `mam:room:${archive}` : 'mam:account';
  }

  /** The account's archive: backfill the first time, catch up afterwards. */
  async syncAccount(): Promise<void> {
    await this.sync(undefined, BACKFILL_ACCOUNT);
  }

  async syncRoom(room: string, hasArchive: boolean): Promise<void> {
    if (!hasArchive) return;
    await this.sync(room, BACKFILL_ROOM);
  }

  /** A room we just created has no history: start its position now. */
  async markRoomFresh(room: string): Promise<void> {
    await this.x.memory.save(this.key(room), { at: this.x.ctx.now() } satisfies Position);
  }

  private async sync(archive: string | undefined, backfill: number): Promise<void> {
    const key = this.key(archive);
    const pos = await this.x.memory.load<Position | null>(key, () => null);
    const started = Date.now();
    let count = 0;
    if (!pos) {
      count = await this.backfill(archive, backfill);
    } else {
      count = await this.catchUp(archive, pos);
    }
    this.x.log.info({ archive: archive ?? this.x.self, messages: count, ms: Date.now() - started, mode: pos ? 'catch-up' : 'backfill' }, 'xmpp archive synced');
  }

  /** Pages backwards from the newest message, then processes oldest first as history. */
  private async backfill(archive: string | undefined, limit: number): Promise<number> {
    const pages: MamResult[][] = [];
    let before = '';
    let total = 0;
    let newest: string | undefined;
    for (;;) {
      const p = await this.page(archive, { before });
      if (p.results.length) pages.unshift(p.results);
      newest ??= p.last ?? p.results.at(-1)?.archiveID;
      total += p.results.length;
      if (p.complete || !p.first || total >= limit) break;
      before = p.first;
    }
    const results = pages.flat();
    await this.x.inbound.processArchive(results, archive, true);
    await this.x.memory.save(this.key(archive), { last: newest, at: this.x.ctx.now() } satisfies Position);
    return results.length;
  }

  /** Pages forward from the last archive ID processed. */
  private async catchUp(archive: string | undefined, pos: Position): Promise<number> {
    let after = pos.last;
    let start: Date | undefined = pos.last ? undefined : new Date(pos.at - 60_000);
    let count = 0;
    for (;;) {
      let p;
      try {
        p = await this.page(archive, after !== undefined ? { after } : { start });
      } catch (err) {
        // The archive no longer has that ID (expired): read from the time instead.
        if (after !== undefined && (err as { condition?: string }).condition === 'item-not-found') {
          after = undefined;
          start = new Date(pos.at - 60_000);
          continue;
        }
        throw err;
      }
      await this.x.inbound.processArchive(p.results, archive, false);
      count += p.results.length;
      const last = p.last ?? p.results.at(-1)?.archiveID;
      if (last) {
        after = last;
        await this.x.memory.save(this.key(archive), { last, at: this.x.ctx.now() } satisfies Position);
      }
      if (p.complete || !last) break;
    }
    return count;
  }

  /**
   * Looks in the archives for messages whose acknowledgement was lost with a
   * connection: those found reached the server and are not sent again. Reads
   * backwards from the newest message until a little before they were sent
   * (the server's clock may differ from ours).
   */
  async findOwn(items: Array<{ originID: string; to: string; group: boolean; sentAt: number }>): Promise<void> {
    const byArchive = new Map<string | undefined, typeof items>();
    for (const i of items) {
      const archive = i.group ? i.to : undefined;
      byArchive.set(archive, [...(byArchive.get(archive) ?? []), i]);
    }
    for (const [archive, list] of byArchive) {
      const wanted = new Set(list.map((i) => i.originID));
      const oldest = Math.min(...list.map((i) => i.sentAt)) - 120_000;
      let before = '';
      for (let pages = 0; wanted.size && pages < 50; pages++) {
        const p = await this.page(archive, { before });
        for (const r of p.results) {
          const ids = stanzaIDs(r.message);
          const own = archive ? true : bareOf(r.message.attrs.from) === this.x.self;
          for (const id of [ids.originID, ids.idAttr]) if (own && id && wanted.delete(id)) this.x.outbox.confirm(id);
        }
        const first = p.first ?? p.results[0]?.archiveID;
        if (p.complete || !first || (p.results[0]?.stamp ?? 0) < oldest) break;
        before = first;
      }
      this.x.log.info({ archive: archive ?? this.x.self, unacknowledged: list.length, resend: wanted.size }, 'looked for unacknowledged messages in the archive');
    }
  }

  /** A live message carried the archive's stanza-id: remember it as the newest position. */
  async advance(archive: string | undefined, stanzaID: string): Promise<void> {
    const key = this.key(archive);
    const pos = await this.x.memory.load<Position | null>(key, () => null);
    if (!pos) return; // not synced yet: the backfill sets the position
    this.x.memory.set(key, { last: stanzaID, at: this.x.ctx.now() } satisfies Position);
  }
}
