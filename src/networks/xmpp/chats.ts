// One-to-one chats: one per peer (bare JID), announced to core the first time
// a message to or from the peer is seen, or when one is started through the API.
import type { RemoteChat } from '../connector.ts';
import { ConnectorRefusal } from '../connector.ts';
import type { Shared } from './shared.ts';
import { isValidBareJid } from './jid.ts';

export class DirectChats {
  /** Peers announced during this session. */
  private readonly announced = new Set<string>();

  constructor(private readonly x: Shared) {}

  known(peer: string): boolean {
    return this.announced.has(peer);
  }

  remote(peer: string, lastActivity?: number): RemoteChat {
    const user = this.x.roster.user(peer);
    return { remoteID: peer, type: 'single', title: user.fullName, participants: [user], lastActivity };
  }

  /** Announces the chat once per session (with the time of its first message when backfilling). */
  async ensure(peer: string, lastActivity?: number): Promise<void> {
    if (this.announced.has(peer)) return;
    await this.announce(peer, lastActivity);
  }

  async announce(peer: string, lastActivity?: number): Promise<void> {
    this.announced.add(peer);
    await this.x.ctx.emit({ type: 'chat', chat: this.remote(peer, lastActivity) });
  }

  /** createChat / start chat with one person: adds them to the roster (see Roster.ensureContact). */
  async create(participantID: string): Promise<RemoteChat> {
    const jid = this.x.jidOf(participantID);
    if (!jid || !isValidBareJid(jid) || !jid.includes('@')) {
      throw new ConnectorRefusal('USER_NOT_FOUND', `${participantID} is not an XMPP address (expected a user ID of this account, e.g. ${this.x.ctx.userID('name')}).`);
    }
    if (jid === this.x.self) throw new ConnectorRefusal('USER_NOT_FOUND', 'This is your own XMPP address.');
    if (this.x.rooms.isRoom(jid)) throw new ConnectorRefusal('USER_NOT_FOUND', `${jid} is a group chat, not a person.`);
    await this.x.roster.ensureContact(jid);
    this.announced.add(jid);
    return this.remote(jid);
  }
}
