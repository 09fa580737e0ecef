// Basics shared by every message: RFC 6120 stanza errors, delayed delivery
// (XEP-0203), unique and stable stanza IDs (XEP-0359), processing hints
// (XEP-0334) and forwarding / message carbons (XEP-0297, XEP-0280).
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';
import { bareOf } from '../jid.ts';

export const originID = (id: string) => xml('origin-id', { xmlns: NS.sid, id });
export const storeHint = () => xml('store', { xmlns: NS.hints });
export const noStoreHint = () => xml('no-store', { xmlns: NS.hints });

export interface StanzaIDs {
  /** The sender's own ID (origin-id), else the id attribute. */
  originID?: string;
  idAttr?: string;
  /** stanza-id elements, by the archive that assigned them. */
  stanzaIDs: Array<{ id: string; by: string }>;
}

export function stanzaIDs(message: XmlElement): StanzaIDs {
  const origin = message.getChild('origin-id', NS.sid)?.attrs.id;
  return {
    originID: origin || undefined,
    idAttr: message.attrs.id || undefined,
    stanzaIDs: message
      .getChildren('stanza-id', NS.sid)
      .filter((e) => e.attrs.id && e.attrs.by)
      .map((e) => ({ id: e.attrs.id!, by: bareOf(e.attrs.by) })),
  };
}

/** The stanza-id an archive (by its bare JID) assigned, if any. */
export const stanzaIDBy = (ids: StanzaIDs, by: string) => ids.stanzaIDs.find((s) => s.by === by)?.id;

/** XEP-0203 delay stamp in ms. */
export function delayStamp(el: XmlElement): number | undefined {
  const stamp = el.getChild('delay', NS.delay)?.attrs.stamp;
  const t = stamp ? Date.parse(stamp) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * A carbon copy (XEP-0280) of a message sent or received by another of the
 * account's clients. Only the account's own server may send them: `from` must be
 * the account's bare JID, else the wrapper is ignored (a forged carbon).
 */
export function unwrapCarbon(message: XmlElement, selfBare: string): { direction: 'sent' | 'received'; message: XmlElement } | undefined {
  for (const direction of ['sent', 'received'] as const) {
    const wrapper = message.getChild(direction, NS.carbons);
    if (!wrapper) continue;
    if (bareOf(message.attrs.from) !== selfBare || message.attrs.from!.includes('/')) return undefined;
    const inner = wrapper.getChild('forwarded', NS.forward)?.getChild('message', NS.client) ?? wrapper.getChild('forwarded', NS.forward)?.getChild('message');
    return inner ? { direction, message: inner } : undefined;
  }
  return undefined;
}

export const enableCarbons = () => xml('iq', { type: 'set' }, xml('enable', { xmlns: NS.carbons }));

/** The condition of a stanza error element (<error><item-not-found/>…). */
export function errorCondition(stanza: XmlElement): string | undefined {
  const error = stanza.getChild('error');
  return error?.getChildElements().find((c) => c.getNS() === NS.stanzaErrors && c.name !== 'text')?.name;
}
