// Roster and presence: contacts for the API (isContact), the peers' online
// resources (whose clients we ask what they support) and their availability
// (<show>dnd</show> is XMPP's "do not disturb").
import type { XmlElement } from '@xmpp/client';
import type { RemoteUser } from '../connector.ts';
import type { Shared } from './shared.ts';
import { bareOf, isValidBareJid, parseJid, resourceOf } from './jid.ts';
import { parsePresence, parseRoster, presenceTo, rosterGet, rosterSet, type PeerPresence, type RosterItem } from './xep/roster.ts';

const CONTACTS_KEY = 'contacts';

export class Roster {
  readonly items = new Map<string, RosterItem>();
  private readonly presences = new Map<string, Map<string, PeerPresence>>();

  constructor(private readonly x: Shared) {}

  /** Fetches the roster and reports it as users; those no longer in it stop being contacts. */
  async fetch(): Promise<void> {
    const items = parseRoster(await this.x.session.iq('get', undefined, rosterGet()));
    this.items.clear();
    for (const i of items) if (i.subscription !== 'remove') this.items.set(i.jid, i);
    const before = await this.x.memory.load<string[]>(CONTACTS_KEY, () => []);
    const gone = before.filter((j) => !this.items.has(j));
    const users = [...this.items.values()].map((i) => this.user(i.jid));
    for (const j of gone) users.push({ ...this.user(j), isContact: false });
    if (users.length) await this.x.ctx.emit({ type: 'users', users });
    this.x.memory.set(CONTACTS_KEY, [...this.items.keys()]);
  }

  /** A roster push (RFC 6121 §2.1.6); only our own server may send one. */
  async onPush(stanza: XmlElement, query: XmlElement): Promise<boolean> {
    const from = stanza.attrs.from;
    if (from && bareOf(from) !== this.x.self) return false;
    for (const item of parseRoster(query)) {
      if (item.subscription === 'remove') this.items.delete(item.jid);
      else this.items.set(item.jid, item);
      await this.x.ctx.emit({ type: 'users', users: [{ ...this.user(item.jid), isContact: item.subscription !== 'remove' }] });
      if (this.x.chats.known(item.jid)) await this.x.chats.announce(item.jid);
    }
    this.x.memory.set(CONTACTS_KEY, [...this.items.keys()]);
    return true;
  }

  /** Presence of a contact (not of a room). */
  onPresence(el: XmlElement): void {
    const p = parsePresence(el);
    if (!p || !p.jid) return;
    const bare = bareOf(p.jid);
    const resource = resourceOf(p.jid);
    if (bare === this.x.self && resource === this.x.config.resource) return;
    let map = this.presences.get(bare);
    if (!map) this.presences.set(bare, (map = new Map()));
    if (!p.available) {
      if (resource) map.delete(resource);
      else map.clear();
      return;
    }
    const known = map.get(resource);
    map.set(resource, p);
    if (resource && (!known || known.caps?.ver !== p.caps?.ver)) void this.x.disco.probePeer(p.jid, p.caps);
  }

  /** Subscription requests: approved for people in the roster, left pending otherwise. */
  async onSubscription(el: XmlElement): Promise<void> {
    const from = bareOf(el.attrs.from);
    if (!from || from === this.x.self) return;
    if (el.attrs.type === 'subscribe') {
      if (this.items.has(from)) await this.x.session.send(presenceTo(from, 'subscribed'));
      else this.x.log.info({ from }, 'presence subscription request from someone outside the roster; not approved');
    }
  }

  /** Online resources (full JIDs) of a peer, most available first. */
  resources(bare: string): PeerPresence[] {
    const rank = (p: PeerPresence) => ({ chat: 0, undefined: 1, away: 2, dnd: 3, xa: 4 })[String(p.show) as 'chat'] ?? 1;
    return [...(this.presences.get(bare)?.values() ?? [])].sort((a, b) => rank(a) - rank(b));
  }

  /** dnd when every online resource of the peer is on do-not-disturb. */
  isDnd(bare: string): boolean {
    const r = this.resources(bare);
    return r.length > 0 && r.every((p) => p.show === 'dnd');
  }

  name(bare: string): string | undefined {
    return this.items.get(bare)?.name;
  }

  user(bare: string): RemoteUser {
    const j = parseJid(bare);
    return { id: this.x.userID(bare), fullName: this.name(bare) ?? (j.local || j.domain), username: bare, isContact: this.items.has(bare) };
  }

  /**
   * Adds someone we start a chat with to the roster and asks for their presence
   * (pre-approving ours), so their client's features and availability become known.
   */
  async ensureContact(bare: string): Promise<void> {
    if (this.items.has(bare) || bare === this.x.self) return;
    await this.x.session.iq('set', undefined, rosterSet(bare));
    await this.x.session.send(presenceTo(bare, 'subscribed'));
    await this.x.session.send(presenceTo(bare, 'subscribe'));
  }

  /** Contacts (and a typed JID) matching a query. */
  search(query: string): RemoteUser[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const out = [...this.items.values()].filter((i) => i.jid.includes(q) || i.name?.toLowerCase().includes(q)).map((i) => this.user(i.jid));
    const typed = this.jidFromQuery(q);
    if (typed && !out.some((u) => u.username === typed)) out.unshift(this.user(typed));
    return out;
  }

  /** A JID from what someone typed: a bare JID, an xmpp: URI, or a name on the account's own server. */
  jidFromQuery(query: string): string | undefined {
    let q = query.trim().toLowerCase().replace(/^xmpp:/, '').replace(/\?.*$/, '');
    if (!q) return undefined;
    if (!q.includes('@') && /^[a-z0-9._-]+$/.test(q) && !q.includes('.')) q = `${q}@${this.x.domain}`;
    return isValidBareJid(q) && q.includes('@') ? bareOf(q) : undefined;
  }
}
