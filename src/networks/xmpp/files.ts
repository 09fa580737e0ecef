// Files. Out: HTTP File Upload (XEP-0363) — ask the server's upload service for
// a slot, PUT the file, send the GET URL as body and OOB URL (XEP-0066). In: OOB
// URLs are downloaded into the media store, but only from places that cannot be
// used to probe the local network: https URLs on public hosts, or the account's
// own server (its upload host is where its users' files live, http or https).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { isIP } from 'node:net';
import { basename, extname } from 'node:path';
import type { OutgoingAttachment, RemoteAttachment } from '../connector.ts';
import { SendError } from '../connector.ts';
import type { Shared } from './shared.ts';
import { parseSlot, slotRequest } from './xep/files.ts';
import { NotConnectedError } from './session.ts';

export const MAX_DOWNLOAD = 100 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 120_000;
const ORIGINS_KEY = 'uploadOrigins';

const MIME_BY_EXT: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.mp3': 'audio/mpeg', '.m4a': 'audio/mp4', '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg', '.wav': 'audio/wav', '.pdf': 'application/pdf', '.txt': 'text/plain', '.zip': 'application/zip',
};

function privateAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (v === 6) return h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
}

export class Files {
  private origins: string[] = [];

  constructor(private readonly x: Shared) {}

  async load(): Promise<void> {
    this.origins = await this.x.memory.load<string[]>(ORIGINS_KEY, () => []);
  }

  /** Whether an incoming URL may be fetched (see the header). */
  allowed(raw: string): boolean {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if (url.username || url.password) return false;
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    const host = url.hostname.toLowerCase();
    const own = this.ownHosts();
    if (this.origins.includes(url.origin) || own.some((h) => host === h || host.endsWith(`.${h}`))) return true;
    return url.protocol === 'https:' && !privateAddress(host);
  }

  private ownHosts(): string[] {
    const hosts = [this.x.domain];
    if (this.x.config.host) hosts.push(this.x.config.host.toLowerCase());
    const upload = this.x.disco.server.upload?.jid;
    if (upload) hosts.push(upload.toLowerCase());
    return hosts;
  }

  /** Uploads a file through the server's upload service; returns the URL to send. */
  async upload(a: OutgoingAttachment): Promise<string> {
    const service = this.x.disco.server.upload;
    if (!service) throw new SendError(`The XMPP server ${this.x.domain} has no HTTP upload service, so files cannot be sent.`, 'UPLOAD_UNSUPPORTED', false);
    if (service.maxSize && a.size > service.maxSize) throw new SendError(`The file is ${a.size} bytes; the server accepts up to ${service.maxSize}.`, 'ATTACHMENT_TOO_LARGE', false);
    let slotEl;
    try {
      slotEl = await this.x.session.iq('get', service.jid, slotRequest({ fileName: a.fileName, size: a.size, mimeType: a.mimeType }));
    } catch (err) {
      if (err instanceof NotConnectedError) throw err;
      const condition = (err as { condition?: string }).condition;
      throw new SendError(`The upload service refused the file${condition ? ` (${condition})` : ''}.`, 'UPLOAD_REFUSED', condition === 'resource-constraint' || condition === 'internal-server-error');
    }
    const slot = parseSlot(slotEl);
    if (!slot) throw new SendError('The upload service answered without a usable slot.', 'UPLOAD_FAILED', true);
    const res = await fetch(slot.putURL, {
      method: 'PUT',
      headers: { ...slot.headers, 'content-type': a.mimeType, 'content-length': String(a.size) },
      body: Readable.toWeb(createReadStream(a.path)) as ReadableStream,
      duplex: 'half',
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    } as RequestInit).catch((err: Error) => {
      throw new SendError(`Uploading the file failed: ${err.message}`, 'UPLOAD_FAILED', true);
    });
    await res.body?.cancel().catch(() => {});
    if (res.status !== 200 && res.status !== 201) throw new SendError(`The upload service answered HTTP ${res.status} to the file.`, 'UPLOAD_FAILED', res.status >= 500);
    const origin = new URL(slot.getURL).origin;
    if (!this.origins.includes(origin)) {
      this.origins.push(origin);
      this.x.memory.set(ORIGINS_KEY, this.origins);
    }
    return slot.getURL;
  }

  /** Downloads an attachment into the media store; undefined when not allowed or it fails. */
  async download(url: string): Promise<RemoteAttachment | undefined> {
    if (!this.allowed(url)) {
      this.x.log.info({ url }, 'not downloading an attachment from an untrusted place');
      return undefined;
    }
    try {
      const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const declared = Number(res.headers.get('content-length'));
      if (declared > MAX_DOWNLOAD) throw new Error(`too large (${declared} bytes)`);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > MAX_DOWNLOAD) throw new Error('too large');
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      const fileName = decodeURIComponent(basename(new URL(url).pathname)) || 'file';
      const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      const mimeType = type && type !== 'application/octet-stream' ? type : MIME_BY_EXT[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
      const stored = await this.x.ctx.storeMedia({ bytes, fileName, mimeType });
      const top = mimeType.split('/')[0];
      const kind = mimeType === 'image/gif' ? 'gif' : top === 'image' ? 'image' : top === 'video' ? 'video' : top === 'audio' ? 'audio' : 'file';
      return { url: stored, mimeType, fileName, size, kind };
    } catch (err) {
      this.x.log.warn({ url, err: (err as Error).message }, 'could not download an attachment');
      return undefined;
    }
  }
}
