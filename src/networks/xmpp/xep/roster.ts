// The roster (RFC 6121): contacts and presence subscriptions.
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';
import { bareOf } from '../jid.ts';

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: 'none' | 'to' | 'from' | 'both' | 'remove';
  ask?: boolean;
  groups: string[];
}

export const rosterGet = () => xml('query', { xmlns: NS.roster });

export function parseRoster(query: XmlElement | undefined): RosterItem[] {
  return (query?.getChildren('item') ?? [])
    .filter((i) => i.attrs.jid)
    .map((i) => ({
      jid: bareOf(i.attrs.jid),
      name: i.attrs.name || undefined,
      subscription: (i.attrs.subscription as RosterItem['subscription']) ?? 'none',
      ask: i.attrs.ask === 'subscribe',
      groups: i.getChildren('group').map((g) => g.text()),
    }));
}

export const rosterSet = (jid: string, name?: string) => xml('query', { xmlns: NS.roster }, xml('item', { jid, name }));

export const presenceTo = (to: string, type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed') => xml('presence', { to, type });

export interface PeerPresence {
  jid: string; // full JID
  available: boolean;
  show?: 'away' | 'chat' | 'dnd' | 'xa';
  status?: string;
  caps?: { node: string; ver: string };
}

export function parsePresence(presence: XmlElement): PeerPresence | undefined {
  const type = presence.attrs.type;
  if (type && type !== 'unavailable') return undefined;
  const c = presence.getChild('c', NS.caps);
  return {
    jid: presence.attrs.from ?? '',
    available: type !== 'unavailable',
    show: (presence.getChildText('show') as PeerPresence['show']) || undefined,
    status: presence.getChildText('status') ?? undefined,
    caps: c?.attrs.node && c.attrs.ver ? { node: c.attrs.node, ver: c.attrs.ver } : undefined,
  };
}
