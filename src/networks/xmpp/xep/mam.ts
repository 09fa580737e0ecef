// Message Archive Management (XEP-0313) with Result Set Management paging
// (XEP-0059) and the data form (XEP-0004) that filters a query.
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';
import { delayStamp } from './stanza.ts';

export interface MamQuery {
  queryID: string;
  with?: string;
  start?: Date;
  /** Page forward after this archive ID. */
  after?: string;
  /** Page backward before this archive ID; '' = from the newest. */
  before?: string;
  max: number;
}

export function mamQuery(q: MamQuery): XmlElement {
  const fields: XmlElement[] = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam))];
  if (q.with) fields.push(xml('field', { var: 'with' }, xml('value', {}, q.with)));
  if (q.start) fields.push(xml('field', { var: 'start' }, xml('value', {}, q.start.toISOString())));
  const set = xml('set', { xmlns: NS.rsm }, xml('max', {}, String(q.max)));
  if (q.after !== undefined) set.append(xml('after', {}, q.after));
  if (q.before !== undefined) set.append(xml('before', {}, q.before));
  return xml('query', { xmlns: NS.mam, queryid: q.queryID }, xml('x', { xmlns: NS.dataForms, type: 'submit' }, ...fields), set);
}

export interface MamResult {
  queryID: string;
  /** The archive's ID for the message (its stanza-id in that archive). */
  archiveID: string;
  message: XmlElement;
  stamp?: number;
}

/** A <message><result/></message> carrying one archived message; the caller checks `from`. */
export function parseMamResult(message: XmlElement): MamResult | undefined {
  const result = message.getChild('result', NS.mam);
  if (!result?.attrs.id) return undefined;
  const forwarded = result.getChild('forwarded', NS.forward);
  const inner = forwarded?.getChild('message', NS.client) ?? forwarded?.getChild('message');
  if (!forwarded || !inner) return undefined;
  return { queryID: result.attrs.queryid ?? '', archiveID: result.attrs.id, message: inner, stamp: delayStamp(forwarded) };
}

export interface MamFin {
  complete: boolean;
  first?: string;
  last?: string;
}

/** The <fin/> element (or the iq result around it). */
export function parseFin(el: XmlElement): MamFin {
  const fin = el.is('fin', NS.mam) ? el : el.getChild('fin', NS.mam);
  const set = fin?.getChild('set', NS.rsm);
  return { complete: fin?.attrs.complete === 'true', first: set?.getChildText('first') ?? undefined, last: set?.getChildText('last') ?? undefined };
}
