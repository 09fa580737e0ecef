// HTTP File Upload (XEP-0363) slots and Out of Band Data (XEP-0066) URLs.
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';

export const slotRequest = (file: { fileName: string; size: number; mimeType: string }) =>
  xml('request', { xmlns: NS.upload, filename: file.fileName, size: String(file.size), 'content-type': file.mimeType });

export interface UploadSlot {
  putURL: string;
  getURL: string;
  /** Only the headers XEP-0363 allows a service to ask for. */
  headers: Record<string, string>;
}

const ALLOWED_HEADERS = new Set(['authorization', 'cookie', 'expires']);

export function parseSlot(slot: XmlElement | undefined): UploadSlot | undefined {
  const put = slot?.getChild('put');
  const get = slot?.getChild('get');
  if (!put?.attrs.url || !get?.attrs.url) return undefined;
  const headers: Record<string, string> = {};
  for (const h of put.getChildren('header')) {
    const name = (h.attrs.name ?? '').toLowerCase();
    if (ALLOWED_HEADERS.has(name)) headers[name] = h.text().replace(/[\r\n]/g, '');
  }
  return { putURL: put.attrs.url, getURL: get.attrs.url, headers };
}

/** The upload service's size limit, from its disco#info extended form. */
export function maxFileSize(forms: Map<string, Map<string, string[]>>): number | undefined {
  const v = Number(forms.get(NS.upload)?.get('max-file-size')?.[0]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

export const oob = (url: string, desc?: string) => xml('x', { xmlns: NS.oob }, xml('url', {}, url), desc ? xml('desc', {}, desc) : null);

export function parseOob(message: XmlElement): Array<{ url: string; desc?: string }> {
  return message
    .getChildren('x', NS.oob)
    .map((x) => ({ url: (x.getChildText('url') ?? '').trim(), desc: x.getChildText('desc') ?? undefined }))
    .filter((o) => o.url);
}
