// Uploads, media downloads and the file resolution behind /v1/assets/serve.
// Every path handed out or accepted is a file under the data directory's uploads/
// or media/: symlinks and ".." are resolved before the check, so nothing else can
// be read through here.
import { createWriteStream, readdirSync, rmSync, statSync } from 'node:fs';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { UploadRecord } from '../../store/records.ts';
import type { UploadAssetOutput } from '../schemas/outputs.ts';
import type { Core } from '../core.ts';
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import { uploadID } from '../ids.ts';
// file-type and image-size are imported where they are used: only uploads need them,
// and loading them at start is a tenth of a second of every cold start.

export const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;

const BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain', '.md': 'text/markdown', '.csv': 'text/csv', '.json': 'application/json', '.html': 'text/html',
  '.svg': 'image/svg+xml', '.vcf': 'text/vcard', '.ics': 'text/calendar',
};

export interface ReceivedFile {
  id: string;
  path: string;
  size: number;
  fileName?: string;
}

export interface ServableFile {
  path: string;
  size: number;
  mtimeMs: number;
  mimeType: string;
  fileName: string;
}

/** Bytes still arriving (or left by a crash) after this long are swept away at startup. */
const STALE_INCOMING_MS = 24 * 3600_000;

export class Assets {
  /** Real paths of uploads/ and media/, resolved once. */
  private roots: Promise<string[]> | undefined;

  constructor(private readonly core: Core) {
    sweepStale(this.incomingDir, Date.now() - STALE_INCOMING_MS);
  }

  private get uploadsDir() {
    return join(this.core.dataDir, 'uploads');
  }

  /** Where uploads are written until they are complete: uploads/ only ever holds finished files. */
  private get incomingDir() {
    return join(this.core.dataDir, 'incoming');
  }

  /** Stores an upload: streamed to disk (refusing more than 500 MB), then typed and measured. */
  async saveUpload(source: Readable | Uint8Array, meta: { fileName?: string; mimeType?: string }): Promise<UploadAssetOutput> {
    return this.finishUpload(await this.receive(source, meta.fileName), meta);
  }

  /** First half of an upload: the bytes on disk. Multipart forms may name the file only after sending it. */
  async receive(source: Readable | Uint8Array, fileName?: string): Promise<ReceivedFile> {
    const id = uploadID();
    const ext = extname(sanitizeFileName(fileName) ?? '').match(/^\.[A-Za-z0-9]{1,8}$/)?.[0] ?? '';
    const path = join(this.incomingDir, id + ext);
    let size = 0;
    try {
      if (source instanceof Uint8Array) {
        if (source.byteLength > MAX_UPLOAD_BYTES) throw tooLarge();
        const fh = await open(path, 'wx', 0o600);
        await fh.writeFile(source).finally(() => fh.close());
        size = source.byteLength;
      } else {
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            size += chunk.length;
            done(size > MAX_UPLOAD_BYTES ? tooLarge() : null, chunk);
          },
        });
        await pipeline(source, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
        if ((source as Readable & { truncated?: boolean }).truncated) throw tooLarge();
      }
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return { id, path, size, fileName };
  }

  /** Drops received bytes that will not become an upload (the form was refused). */
  async discard(file: ReceivedFile): Promise<void> {
    await rm(file.path, { force: true });
  }

  /** Second half: the name, the MIME type (given, else sniffed) and image dimensions, recorded. */
  async finishUpload(file: ReceivedFile, meta: { fileName?: string; mimeType?: string }): Promise<UploadAssetOutput> {
    const { id, size } = file;
    const fileName = sanitizeFileName(meta.fileName ?? file.fileName) ?? `${id}.bin`;
    const mimeType = meta.mimeType || (await sniff(file.path, fileName));
    const dims = mimeType.startsWith('image/') ? await imageSize(file.path) : undefined;
    const path = join(this.uploadsDir, basename(file.path));
    await rename(file.path, path);
    const record: UploadRecord = { id, path, fileName, mimeType, size, width: dims?.width, height: dims?.height, createdAt: this.core.now() };
    await this.core.repo.putUpload(record);
    this.core.log.debug({ uploadID: id, size, mimeType }, 'upload stored');
    const out: UploadAssetOutput = { uploadID: id, srcURL: pathToFileURL(path).href, fileName, mimeType, fileSize: size };
    if (record.width !== undefined) out.width = record.width;
    if (record.height !== undefined) out.height = record.height;
    return out;
  }

  async upload(id: string): Promise<UploadRecord> {
    const upload = await this.core.repo.getUpload(id);
    if (!upload) throw notFound('UPLOAD_NOT_FOUND', `No upload has the ID "${id}". Upload the file first with POST /v1/assets/upload.`);
    return upload;
  }

  /** mxc:// or localmxc:// → a file:// URL of the local copy. */
  async download(url: string): Promise<{ srcURL: string }> {
    if (!/^(local)?mxc:\/\//.test(url)) throw badRequest('UNSUPPORTED_URL', 'Only mxc:// and localmxc:// URLs can be downloaded; this server never fetches other URLs.');
    const media = await this.core.media.get(url);
    if (!media) throw notFound('MEDIA_NOT_FOUND', `No media is known by the URL ${url}.`);
    return { srcURL: pathToFileURL(media.path).href };
  }

  /** Resolves what /v1/assets/serve may stream for a URL. */
  async servable(url: string): Promise<ServableFile> {
    if (/^(local)?mxc:\/\//.test(url)) {
      const media = await this.core.media.get(url);
      if (!media) throw notFound('MEDIA_NOT_FOUND', `No media is known by the URL ${url}.`);
      const path = await this.inside(media.path);
      const st = await stat(path);
      return { path, size: st.size, mtimeMs: st.mtimeMs, mimeType: media.mimeType, fileName: media.fileName };
    }
    if (url.startsWith('file://')) {
      const path = await this.localFile(url);
      const st = await stat(path);
      const media = await this.core.repo.getMediaByPath(path);
      return { path, size: st.size, mtimeMs: st.mtimeMs, mimeType: media?.mimeType ?? (await sniff(path, path)), fileName: media?.fileName ?? basename(path) };
    }
    throw badRequest('UNSUPPORTED_URL', 'Only mxc://, localmxc:// and file:// URLs can be served; this server never fetches other URLs.');
  }

  /**
   * A file:// URL or absolute path, or a media URL, as a real path inside the data
   * directory. Anything else is refused with 403, even when the file exists.
   */
  async localFile(urlOrPath: string): Promise<string> {
    if (/^(local)?mxc:\/\//.test(urlOrPath)) {
      const media = await this.core.media.get(urlOrPath);
      if (!media) throw notFound('MEDIA_NOT_FOUND', `No media is known by the URL ${urlOrPath}.`);
      return this.inside(media.path);
    }
    let path: string;
    try {
      path = urlOrPath.startsWith('file://') ? fileURLToPath(urlOrPath) : urlOrPath;
    } catch {
      throw badRequest('INVALID_FILE_URL', 'The file URL is malformed.');
    }
    if (!isAbsolute(path)) throw badRequest('INVALID_FILE_URL', 'File paths must be absolute (or file:// URLs).');
    return this.inside(path);
  }

  /**
   * The real path of a file Switchboard stored itself: under uploads/ or media/.
   * The rest of the data directory (the database, account passwords) and
   * directories are never handed out or attached.
   */
  private async inside(path: string): Promise<string> {
    const roots = await (this.roots ??= realpath(this.core.dataDir).then((data) => [join(data, 'uploads'), join(data, 'media')]));
    const within = (p: string) => roots.some((root) => p.startsWith(root + sep));
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      // Do not reveal whether a file elsewhere exists.
      if (!within(path)) throw outside();
      throw notFound('FILE_NOT_FOUND', 'No such file among the uploads and media.');
    }
    if (!within(real)) throw outside();
    if (!(await stat(real)).isFile()) throw notFound('FILE_NOT_FOUND', 'That path is not a file.');
    return real;
  }
}

const outside = () => forbidden('PATH_OUTSIDE_DATA_DIR', 'Only files Switchboard stored (uploads and media in its data directory) can be used here; upload the file first with POST /v1/assets/upload.');
const tooLarge = () => new ApiError(413, 'FILE_TOO_LARGE', `Uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);

function sweepStale(dir: string, olderThan: number): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).mtimeMs < olderThan) rmSync(path, { force: true });
  }
}

/** Keeps a display name harmless: no directories, no control characters, no quotes. */
export function sanitizeFileName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const clean = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').trim().slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : undefined;
}

async function imageSize(path: string) {
  const { imageSizeFromFile } = await import('image-size/fromFile');
  return imageSizeFromFile(path).catch(() => undefined);
}

async function sniff(path: string, fileName: string): Promise<string> {
  const { fileTypeFromFile } = await import('file-type');
  const detected = await fileTypeFromFile(path).catch(() => undefined);
  if (detected) return detected.mime;
  const byExt = BY_EXTENSION[extname(fileName).toLowerCase()];
  if (byExt) return byExt;
  // No magic number: call it text when the start decodes as UTF-8 without control bytes.
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
    return bytesRead > 0 && !text.includes('\ufffd') && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? 'text/plain' : 'application/octet-stream';
  } finally {
    await fh.close();
  }
}
