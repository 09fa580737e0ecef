// Group chats: MUC rooms (XEP-0045). The rooms joined are those bookmarked
// (XEP-0402, else XEP-0048) to join automatically, those created through the API
// and those we were invited to. Participants are the room's affiliated members
// (owners and admins are isAdmin) plus whoever is present (occupants).
import { randomBytes } from 'node:crypto';
import type { XmlElement } from '@xmpp/client';
import type { RemoteChat, RemoteParticipant } from '../connector.ts';
import { ConnectorRefusal } from '../connector.ts';
import type { Shared } from './shared.ts';
import { NS } from './ns.ts';
import { bareOf, isValidBareJid, parseJid } from './jid.ts';
import { bookmarkPublish, bookmarksGet, legacyBookmarksGet, parseBookmarks, parseLegacyBookmarks, type Bookmark } from './xep/bookmarks.ts';
import {
  directInvite, getAffiliations, joinPresence, parseAffiliations, parseOccupantPresence, roomConfig, setAffiliation,
  type Affiliation, type Invite, type OccupantPresence, type Role,
} from './xep/muc.ts';

const ROOMS_KEY = 'rooms';
const JOIN_TIMEOUT_MS = 10_000;

interface SavedRoom {
  room: string;
  nick?: string;
  name?: string;
  password?: string;
}

interface Occupant {
  nick: string;
  realJid?: string;
  affiliation: Affiliation;
  role: Role;
}

interface Room {
  jid: string;
  nick: string;
  password?: string;
  name?: string;
  subject?: string;
  joined: boolean;
  role: Role;
  affiliation: Affiliation;
  occupants: Map<string, Occupant>;
  /** Affiliated members by bare JID (fetched when we may see them). */
  members: Map<string, Affiliation>;
  waiter?: (p: OccupantPresence) => void;
  announceTimer?: NodeJS.Timeout;
}

export class Rooms {
  private readonly rooms = new Map<string, Room>();
  private saved: SavedRoom[] = [];

  constructor(private readonly x: Shared) {}

  async load(): Promise<void> {
    this.saved = await this.x.memory.load<SavedRoom[]>(ROOMS_KEY, () => []);
    for (const s of this.saved) this.room(s.room, s);
  }

  isRoom(jid: string): boolean {
    return this.rooms.has(bareOf(jid));
  }

  private room(jid: string, s: Partial<SavedRoom> = {}): Room {
    let r = this.rooms.get(jid);
    if (!r) {
      const nick = s.nick ?? (parseJid(this.x.self).local || 'switchboard');
      r = { jid, nick, password: s.password, name: s.name, joined: false, role: 'none', affiliation: 'none', occupants: new Map(), members: new Map() };
      this.rooms.set(jid, r);
    }
    return r;
  }

  private save(r: Room): void {
    const entry: SavedRoom = { room: r.jid, nick: r.nick, name: r.name, password: r.password };
    this.saved = [...this.saved.filter((s) => s.room !== r.jid), entry];
    this.x.memory.set(ROOMS_KEY, this.saved);
  }

  /** Our nickname in a room. */
  nick(room: string): string | undefined {
    return this.rooms.get(room)?.nick;
  }

  /** The sender of a room message: the occupant's real JID when the room shows it, else the occupant JID. */
  senderJid(room: string, nick: string, hint?: string): string {
    return hint ?? this.rooms.get(room)?.occupants.get(nick)?.realJid ?? `${room}/${nick}`;
  }

  /** Joins every bookmarked (autojoin) and remembered room; each is caught up from its archive. */
  async joinAll(): Promise<void> {
    const bookmarks = await this.bookmarks();
    for (const b of bookmarks) if (b.autojoin) this.room(b.room, b);
    await Promise.all(
      [...this.rooms.values()].map(async (r) => {
        r.joined = false;
        r.occupants.clear();
        await this.join(r).catch((err: Error) => this.x.log.warn({ room: r.jid, err: err.message }, 'could not join room'));
      }),
    );
  }

  private async bookmarks(): Promise<Bookmark[]> {
    const s = this.x.session;
    const pep = await s.iq('get', undefined, bookmarksGet(), 8_000).catch(() => undefined);
    const found = pep ? parseBookmarks(pep.getChild('items')) : [];
    if (found.length) return found;
    return parseLegacyBookmarks(await s.iq('get', undefined, legacyBookmarksGet(), 8_000).catch(() => undefined));
  }

  /** Joins a room and waits for our own presence in it; returns whether the room was just created. */
  private async join(r: Room, attempt = 0): Promise<boolean> {
    const self = await new Promise<OccupantPresence>((resolve, reject) => {
      const t = setTimeout(() => (r.waiter = undefined, reject(new Error(`no answer from ${r.jid} within ${JOIN_TIMEOUT_MS / 1000} s`))), JOIN_TIMEOUT_MS);
      r.waiter = (p) => {
        clearTimeout(t);
        r.waiter = undefined;
        resolve(p);
      };
      this.x.session.send(joinPresence(r.jid, r.nick, r.password)).catch((err: Error) => (clearTimeout(t), reject(err)));
    });
    if (self.error === 'conflict' && attempt < 3) {
      r.nick = `${r.nick}_`;
      return this.join(r, attempt + 1);
    }
    if (self.error) throw new Error(`the room refused to let us in (${self.error})`);
    r.joined = true;
    r.affiliation = self.affiliation;
    r.role = self.role;
    const info = await this.x.disco.roomInfo(r.jid, true);
    const name = info?.identities.find((i) => i.category === 'conference')?.name;
    if (name && name !== parseJid(r.jid).local) r.name = name;
    await this.fetchMembers(r);
    this.save(r);
    await this.announce(r.jid);
    if (!self.codes.has('201')) await this.x.history.syncRoom(r.jid, !!info?.features.has(NS.mam));
    return self.codes.has('201');
  }

  /** Affiliated members, which owners and admins may list. */
  private async fetchMembers(r: Room): Promise<void> {
    if (r.affiliation !== 'owner' && r.affiliation !== 'admin') return;
    for (const a of ['owner', 'admin', 'member'] as const) {
      const items = await this.x.session.iq('get', r.jid, getAffiliations(a), 8_000).then(parseAffiliations, () => []);
      for (const i of items) r.members.set(i.jid, i.affiliation);
    }
  }

  /** Occupant presence: joins, leaves, role and affiliation changes. */
  onPresence(el: XmlElement): boolean {
    const p = parseOccupantPresence(el);
    if (!p) return false;
    const r = this.rooms.get(p.room);
    if (!r) return true;
    const self = p.codes.has('110') || (p.nick === r.nick && !!p.error);
    if (self) {
      r.affiliation = p.affiliation;
      r.role = p.role;
      if (!p.available && !p.newNick) r.joined = false;
      r.waiter?.(p);
      if (!r.waiter && r.joined) this.scheduleAnnounce(r);
      return true;
    }
    if (p.available) r.occupants.set(p.nick, { nick: p.nick, realJid: p.realJid, affiliation: p.affiliation, role: p.role });
    else r.occupants.delete(p.nick);
    if (p.realJid && p.affiliation !== 'none' && p.affiliation !== 'outcast') r.members.set(p.realJid, p.affiliation);
    else if (p.realJid && (p.affiliation === 'none' || p.affiliation === 'outcast')) r.members.delete(p.realJid);
    if (r.joined) this.scheduleAnnounce(r);
    return true;
  }

  onSubject(room: string, subject: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    r.subject = subject;
    if (r.joined) this.scheduleAnnounce(r);
  }

  private scheduleAnnounce(r: Room): void {
    clearTimeout(r.announceTimer);
    r.announceTimer = setTimeout(() => void this.announce(r.jid).catch((err) => this.x.log.warn({ err }, 'room update failed')), 100);
  }

  remote(room: string): RemoteChat {
    const r = this.rooms.get(room)!;
    const people = new Map<string, RemoteParticipant>();
    const admin = (a: Affiliation) => a === 'owner' || a === 'admin';
    for (const [jid, aff] of r.members) {
      if (jid === this.x.self || aff === 'outcast' || aff === 'none') continue;
      people.set(jid, { ...this.x.roster.user(jid), isAdmin: admin(aff) });
    }
    for (const o of r.occupants.values()) {
      if (o.realJid === this.x.self) continue;
      const key = o.realJid ?? `${room}/${o.nick}`;
      const known = people.get(key);
      const base = o.realJid ? this.x.roster.user(o.realJid) : { id: this.x.userID(key), fullName: o.nick, username: o.nick };
      people.set(key, { ...base, fullName: o.realJid && this.x.roster.name(o.realJid) ? base.fullName : o.nick, isAdmin: admin(o.affiliation) || !!known?.isAdmin });
    }
    return {
      remoteID: room,
      type: 'group',
      title: r.name ?? parseJid(room).local,
      description: r.subject ?? null,
      isReadOnly: r.joined && r.role === 'visitor',
      participants: [...people.values()],
    };
  }

  async announce(room: string): Promise<void> {
    const r = this.rooms.get(room);
    if (!r) return;
    clearTimeout(r.announceTimer);
    await this.x.ctx.emit({ type: 'chat', chat: this.remote(room) });
  }

  /** Creates a members-only, non-anonymous, archived room and invites the participants. */
  async create(title: string | undefined, participantIDs: string[]): Promise<RemoteChat> {
    const service = this.x.disco.server.muc;
    if (!service) throw new ConnectorRefusal('CREATE_CHAT_UNSUPPORTED', `The XMPP server ${this.x.domain} has no group chat (MUC) service.`);
    const invitees = participantIDs.map((id) => {
      const jid = this.x.jidOf(id);
      if (!jid || !isValidBareJid(jid) || !jid.includes('@')) throw new ConnectorRefusal('USER_NOT_FOUND', `${id} is not an XMPP address.`);
      return jid;
    });
    const slug = (title ?? 'group').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 24) || 'group';
    const jid = `${slug}-${randomBytes(3).toString('hex')}@${service}`;
    const r = this.room(jid);
    r.name = title;
    const created = await this.join(r);
    if (!created) {
      this.rooms.delete(jid);
      throw new ConnectorRefusal('CREATE_CHAT_FAILED', `The room ${jid} already existed; try again.`);
    }
    await this.x.session.iq('set', jid, roomConfig({ name: title, membersOnly: true }));
    for (const invitee of invitees) {
      await this.x.session.iq('set', jid, setAffiliation(invitee, 'member')).catch((err: Error) => this.x.log.warn({ err: err.message }, 'could not make the invitee a member'));
      r.members.set(invitee, 'member');
      await this.x.session.send(directInvite(invitee, jid, title));
    }
    await this.x.disco.roomInfo(jid, true);
    await this.bookmark(r);
    this.save(r);
    await this.x.history.markRoomFresh(jid);
    return this.remote(jid);
  }

  private async bookmark(r: Room): Promise<void> {
    await this.x.session
      .iq('set', undefined, bookmarkPublish({ room: r.jid, name: r.name, nick: r.nick, autojoin: true }), 8_000)
      .catch((err: Error) => this.x.log.info({ room: r.jid, err: err.message }, 'could not bookmark the room'));
  }

  /**
   * An invitation: accepted from people in the roster and for rooms on the
   * account's own server (anything else could be spam), by joining and bookmarking.
   */
  async onInvite(invite: Invite): Promise<void> {
    if (this.rooms.get(invite.room)?.joined) return;
    const fromContact = !!invite.from && this.x.roster.items.has(invite.from);
    const ownServer = invite.room.endsWith(`@${this.x.disco.server.muc ?? `\u0000`}`);
    if (!fromContact && !ownServer) {
      this.x.log.info({ room: invite.room, from: invite.from }, 'ignored an invitation from outside the roster');
      return;
    }
    const known = this.rooms.has(invite.room);
    const r = this.room(invite.room, { password: invite.password });
    try {
      await this.join(r);
    } catch (err) {
      if (!known) this.rooms.delete(invite.room);
      throw err;
    }
    await this.bookmark(r);
  }

  /** A bookmark published by another of our clients (PEP notification). */
  async onBookmarks(items: XmlElement): Promise<void> {
    for (const b of parseBookmarks(items)) {
      if (!b.autojoin || this.rooms.get(b.room)?.joined) continue;
      await this.join(this.room(b.room, b)).catch((err: Error) => this.x.log.warn({ room: b.room, err: err.message }, 'could not join bookmarked room'));
    }
  }

  /** Rooms we are in (for markers and typing). */
  joined(room: string): boolean {
    return !!this.rooms.get(room)?.joined;
  }
}
