// What refers to an earlier message: Last Message Correction (XEP-0308),
// Message Retraction (XEP-0424) and Message Reactions (XEP-0444).
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';

export const replace = (id: string) => xml('replace', { xmlns: NS.correction, id });
export const parseReplace = (message: XmlElement) => message.getChild('replace', NS.correction)?.attrs.id || undefined;

/** A retraction with the fallback body XEP-0424 asks for, for clients that do not know it. */
export const retractChildren = (id: string) => [
  xml('retract', { xmlns: NS.retract, id }),
  xml('fallback', { xmlns: NS.fallback, for: NS.retract }),
  xml('body', {}, 'This person attempted to retract a previous message, but it is unsupported by your client.'),
  xml('store', { xmlns: NS.hints }),
];

/** The ID a retraction targets: urn:xmpp:message-retract:1, or the older fastening form (:0). */
export function parseRetract(message: XmlElement): string | undefined {
  const current = message.getChild('retract', NS.retract)?.attrs.id;
  if (current) return current;
  const fasten = message.getChild('apply-to', NS.fasten);
  return fasten?.getChild('retract', NS.retractLegacy) ? fasten.attrs.id || undefined : undefined;
}

/** A reactions element carries the sender's complete set on the target; an empty set clears it. */
export const reactions = (id: string, keys: string[]) => xml('reactions', { xmlns: NS.reactions, id }, ...keys.map((k) => xml('reaction', {}, k)));

export function parseReactions(message: XmlElement): { id: string; keys: string[] } | undefined {
  const r = message.getChild('reactions', NS.reactions);
  if (!r?.attrs.id) return undefined;
  const keys = [...new Set(r.getChildren('reaction').map((e) => e.text().trim()).filter((k) => k && [...k].length <= 16))];
  return { id: r.attrs.id, keys };
}
