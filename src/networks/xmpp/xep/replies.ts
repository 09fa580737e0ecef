// Message Replies (XEP-0461) with a quoted fallback body marked by Fallback
// Indication (XEP-0428), so clients without replies still show the quote.
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';

export interface ReplyOut {
  /** JID of the author of the replied-to message. */
  to?: string;
  id: string;
  /** Plain text of the replied-to message, quoted in the fallback when known. */
  quote?: string;
}

/** Body and elements of a reply: the fallback quote goes before `text`. */
export function replyParts(text: string, r: ReplyOut): { body: string; elements: XmlElement[] } {
  const elements: XmlElement[] = [xml('reply', { xmlns: NS.reply, to: r.to, id: r.id })];
  if (!r.quote) return { body: text, elements };
  const lines = r.quote.split('\n').slice(0, 3);
  const quote = `${lines.map((l) => `> ${l}`).join('\n')}\n`;
  // Offsets count code points (XEP-0426).
  elements.push(xml('fallback', { xmlns: NS.fallback, for: NS.reply }, xml('body', { start: '0', end: String([...quote].length) })));
  return { body: quote + text, elements };
}

export interface ReplyIn {
  id: string;
  to?: string;
}

export const parseReply = (message: XmlElement): ReplyIn | undefined => {
  const r = message.getChild('reply', NS.reply);
  return r?.attrs.id ? { id: r.attrs.id, to: r.attrs.to } : undefined;
};

/** The body without the parts marked as fallback for the given features (XEP-0428 ranges, code points). */
export function stripFallback(body: string, message: XmlElement, features: string[]): string {
  const chars = [...body];
  const ranges: Array<[number, number]> = [];
  for (const f of message.getChildren('fallback', NS.fallback)) {
    if (!features.includes(f.attrs.for ?? '')) continue;
    const parts = f.getChildren('body');
    if (!parts.length) return ''; // the whole body is fallback
    for (const b of parts) {
      const start = Number(b.attrs.start ?? 0);
      const end = Number(b.attrs.end ?? chars.length);
      if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= chars.length && start < end) ranges.push([start, end]);
    }
  }
  if (!ranges.length) return body;
  return chars.filter((_, i) => !ranges.some(([s, e]) => i >= s && i < e)).join('');
}
