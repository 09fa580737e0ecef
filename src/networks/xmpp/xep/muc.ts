// Multi-User Chat (XEP-0045) and direct MUC invitations (XEP-0249).
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';
import { bareOf } from '../jid.ts';

export type Affiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

/** Joins (or re-joins) a room; history comes from the room's archive, so none is asked for here. */
export function joinPresence(roomJid: string, nick: string, password?: string): XmlElement {
  return xml(
    'presence',
    { to: `${roomJid}/${nick}`, id: `join-${Math.random().toString(36).slice(2)}` },
    xml('x', { xmlns: NS.muc }, xml('history', { maxstanzas: '0' }), password ? xml('password', {}, password) : null),
  );
}

export const leavePresence = (roomJid: string, nick: string) => xml('presence', { to: `${roomJid}/${nick}`, type: 'unavailable' });

export interface OccupantPresence {
  room: string;
  nick: string;
  available: boolean;
  affiliation: Affiliation;
  role: Role;
  /** The occupant's real JID, when the room shows it. */
  realJid?: string;
  /** Status codes: 110 self-presence, 201 room created, 303 nick change, 307 kicked, 301 banned. */
  codes: Set<string>;
  newNick?: string;
  error?: string;
}

export function parseOccupantPresence(presence: XmlElement): OccupantPresence | undefined {
  const x = presence.getChild('x', NS.mucUser);
  const from = presence.attrs.from ?? '';
  const slash = from.indexOf('/');
  if (presence.attrs.type === 'error' && slash > 0) {
    const error = presence.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name ?? 'error';
    return { room: bareOf(from), nick: from.slice(slash + 1), available: false, affiliation: 'none', role: 'none', codes: new Set(), error };
  }
  if (!x || slash === -1) return undefined;
  const item = x.getChild('item');
  return {
    room: bareOf(from),
    nick: from.slice(slash + 1),
    available: presence.attrs.type !== 'unavailable',
    affiliation: (item?.attrs.affiliation as Affiliation) ?? 'none',
    role: (item?.attrs.role as Role) ?? 'none',
    realJid: item?.attrs.jid ? bareOf(item.attrs.jid) : undefined,
    codes: new Set(x.getChildren('status').map((s) => s.attrs.code ?? '')),
    newNick: item?.attrs.nick,
  };
}

export interface Invite {
  room: string;
  from?: string;
  reason?: string;
  password?: string;
}

/** A mediated invitation (from the room) or a direct one (XEP-0249, from the inviter). */
export function parseInvite(message: XmlElement): Invite | undefined {
  const direct = message.getChild('x', NS.directInvite);
  if (direct?.attrs.jid) return { room: bareOf(direct.attrs.jid), from: bareOf(message.attrs.from), reason: direct.attrs.reason, password: direct.attrs.password };
  const invite = message.getChild('x', NS.mucUser)?.getChild('invite');
  if (invite) {
    return {
      room: bareOf(message.attrs.from),
      from: invite.attrs.from ? bareOf(invite.attrs.from) : undefined,
      reason: invite.getChildText('reason') ?? undefined,
      password: message.getChild('x', NS.mucUser)?.getChildText('password') ?? undefined,
    };
  }
  return undefined;
}

/** A mediated invitation, sent through the room (which may also make the invitee a member). */
export const mediatedInvite = (roomJid: string, to: string, reason?: string) =>
  xml('message', { to: roomJid }, xml('x', { xmlns: NS.mucUser }, xml('invite', { to }, reason ? xml('reason', {}, reason) : null)));

/** A direct invitation (XEP-0249), which clients show even when the room's own one is lost. */
export const directInvite = (to: string, roomJid: string, reason?: string) =>
  xml('message', { to }, xml('x', { xmlns: NS.directInvite, jid: roomJid, reason }));

/** The room configuration form, submitted by the owner of a new room. */
export function roomConfig(opts: { name?: string; membersOnly: boolean }): XmlElement {
  const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
  return xml(
    'query',
    { xmlns: NS.mucOwner },
    xml(
      'x',
      { xmlns: NS.dataForms, type: 'submit' },
      field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'),
      opts.name ? field('muc#roomconfig_roomname', opts.name) : null,
      field('muc#roomconfig_persistentroom', '1'),
      field('muc#roomconfig_membersonly', opts.membersOnly ? '1' : '0'),
      field('muc#roomconfig_whois', 'anyone'),
      field('muc#roomconfig_publicroom', '0'),
      field('muc#roomconfig_enablearchiving', '1'),
      field('mam', '1'),
    ),
  );
}

export const setAffiliation = (jid: string, affiliation: Affiliation) =>
  xml('query', { xmlns: NS.mucAdmin }, xml('item', { jid, affiliation }));

export const getAffiliations = (affiliation: Affiliation) => xml('query', { xmlns: NS.mucAdmin }, xml('item', { affiliation }));

export function parseAffiliations(query: XmlElement | undefined): Array<{ jid: string; affiliation: Affiliation; nick?: string }> {
  return (query?.getChildren('item') ?? [])
    .filter((i) => i.attrs.jid)
    .map((i) => ({ jid: bareOf(i.attrs.jid), affiliation: (i.attrs.affiliation as Affiliation) ?? 'none', nick: i.attrs.nick }));
}
