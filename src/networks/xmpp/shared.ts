// What the connector's modules share: the account, the session, the memory,
// the ID mapping, and each other (wired by the client in connector.ts).
import type { Logger } from 'pino';
import type { ConnectorContext } from '../connector.ts';
import type { XmppAccountConfig } from './account.ts';
import type { Session } from './session.ts';
import type { Memory } from './memory.ts';
import type { Roster } from './roster.ts';
import type { Rooms } from './rooms.ts';
import type { DirectChats } from './chats.ts';
import type { Disco } from './disco.ts';
import type { History } from './history.ts';
import type { Inbound } from './inbound.ts';
import type { Outbox } from './outbox.ts';
import type { Files } from './files.ts';
import type { Refs } from './refs.ts';
import { bareOf, jidFromUserID, localpartFor } from './jid.ts';

export class Shared {
  roster!: Roster;
  rooms!: Rooms;
  chats!: DirectChats;
  disco!: Disco;
  history!: History;
  inbound!: Inbound;
  outbox!: Outbox;
  files!: Files;
  refs!: Refs;
  /** JIDs behind user IDs that do not reverse by themselves (non-ASCII). */
  private readonly jids = new Map<string, string>();

  constructor(
    readonly ctx: ConnectorContext,
    readonly log: Logger,
    readonly session: Session,
    readonly memory: Memory,
    readonly config: XmppAccountConfig,
  ) {}

  get self(): string {
    return bareOf(this.config.jid);
  }

  get domain(): string {
    return this.ctx.account.host;
  }

  /** The API user ID of a JID (bare, or a room occupant's full JID). */
  userID(jid: string): string {
    const id = this.ctx.userID(localpartFor(jid, this.domain));
    if (jidFromUserID(id, this.domain) !== jid.toLowerCase()) this.jids.set(id, jid);
    return id;
  }

  /** The JID behind an API user ID, when it is one of this account's. */
  jidOf(userID: string): string | undefined {
    if (userID === this.ctx.account.selfUserID) return this.self;
    return this.jids.get(userID) ?? jidFromUserID(userID, this.domain);
  }
}
