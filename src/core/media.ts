// Media files kept in the data directory, named by content hash and addressed by
// localmxc:// URLs. Messages and drafts refer to media; uploads become media when sent.
import { createHash } from 'node:crypto';
import { copyFile, link, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { MediaRecord } from '../store/records.ts';
import type { Core } from './core.ts';

export const MEDIA_HOST = 'switchboard';

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const safeExt = (fileName: string) => {
  const ext = extname(fileName).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
};

export class MediaStore {
  constructor(private readonly core: Core) {}

  get dir(): string {
    return join(this.core.dataDir, 'media');
  }

  async storeBytes(file: { bytes: Uint8Array; fileName: string; mimeType: string; width?: number; height?: number; duration?: number }): Promise<string> {
    const hash = createHash('sha256').update(file.bytes).digest('hex');
    const path = join(this.dir, hash + safeExt(file.fileName));
    if (!existsSync(path)) await writeFile(path, file.bytes);
    return this.record(hash, path, { ...file, size: file.bytes.byteLength });
  }

  /** Takes a file already in the data directory (an upload) into the media store. */
  async storeFile(src: string, meta: { fileName: string; mimeType: string; size: number; width?: number; height?: number; duration?: number }): Promise<string> {
    const hash = await hashFile(src);
    const path = join(this.dir, hash + safeExt(meta.fileName));
    if (!existsSync(path)) await link(src, path).catch(() => copyFile(src, path));
    return this.record(hash, path, meta);
  }

  get(url: string): Promise<MediaRecord | undefined> {
    return this.core.repo.getMedia(url);
  }

  private async record(hash: string, path: string, meta: { fileName: string; mimeType: string; size: number; width?: number; height?: number; duration?: number }) {
    const url = `localmxc://${MEDIA_HOST}/${hash}`;
    await this.core.repo.putMedia({
      url,
      path,
      fileName: meta.fileName,
      mimeType: meta.mimeType,
      size: meta.size,
      width: meta.width,
      height: meta.height,
      duration: meta.duration,
    });
    return url;
  }
}
