// Files in and out of MCP: attachments given to send_message (a local path or
// base64) become uploads, and images of messages go back as MCP image content.
//
// Which local paths are accepted depends on where the MCP host runs:
// - over HTTP the caller may be anywhere (another app, another machine with
//   --remote), so only files among the data directory's uploads and media can be named, exactly as
//   for the REST API (core.assets.localFile refuses the rest with 403);
// - over stdio the host is a program the user started on this machine, as this
//   user, and the user points at their own files: any regular file this process
//   can read is accepted.
import { createReadStream } from 'node:fs';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileTypeFromBuffer } from 'file-type';
import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { Core } from '../../core/core.ts';
import type { Message } from '../../core/schemas/message.ts';
import type { UploadAssetOutput } from '../../core/schemas/outputs.ts';
import { MAX_UPLOAD_BYTES } from '../../core/services/assets.ts';
import { ToolFailure, type McpMode } from './tool.ts';

/** Images larger than this are described, not sent as image content. */
export const MAX_INLINE_BYTES = 1024 * 1024;
/** At most this many images in one result. */
export const MAX_INLINE_IMAGES = 10;
const INLINE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export interface AttachmentArg {
  path?: string;
  base64?: string;
  fileName?: string;
  mimeType?: string;
}

/** Stores an attachment argument as an upload (then sent like any upload, so capability checks apply). */
export async function uploadAttachment(core: Core, mode: McpMode, a: AttachmentArg): Promise<UploadAssetOutput> {
  if ((a.path === undefined) === (a.base64 === undefined)) {
    throw new ToolFailure('attachment needs exactly one of "path" (a local file) or "base64" (the file content); nothing was sent.');
  }
  if (a.base64 !== undefined) {
    const clean = a.base64.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
    if (!clean || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw new ToolFailure('attachment.base64 is not base64-encoded content; nothing was sent.');
    const bytes = Buffer.from(clean, 'base64');
    // Without a name the file is still named by what it is (photo.png rather than upload-….bin).
    const type = a.fileName ? undefined : await fileTypeFromBuffer(bytes).catch(() => undefined);
    return core.assets.saveUpload(bytes, { fileName: a.fileName ?? (type ? `attachment.${type.ext}` : undefined), mimeType: a.mimeType });
  }
  const path = mode === 'http' ? await core.assets.localFile(a.path!) : await readableFile(a.path!);
  return core.assets.saveUpload(createReadStream(path), { fileName: a.fileName ?? basename(path), mimeType: a.mimeType });
}

/** stdio: an absolute path (or file:// URL, or ~/…) to a regular file this process can read. */
async function readableFile(input: string): Promise<string> {
  let path = input.startsWith('file://') ? fileURLToPath(input) : input;
  if (path === '~' || path.startsWith('~/')) path = join(homedir(), path.slice(1));
  if (!isAbsolute(path)) throw new ToolFailure(`attachment.path must be an absolute path (got "${input}"); nothing was sent.`);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new ToolFailure(`There is no file at ${path}; nothing was sent.`);
  if (!st.isFile()) throw new ToolFailure(`${path} is not a regular file; nothing was sent.`);
  if (st.size > MAX_UPLOAD_BYTES) throw new ToolFailure(`${path} is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB; nothing was sent.`);
  await access(path, constants.R_OK).catch(() => {
    throw new ToolFailure(`${path} cannot be read by Switchboard; nothing was sent.`);
  });
  return path;
}

/** Image attachments of messages as MCP image content (small ones only, read from the media store). */
export async function imageBlocks(core: Core, messages: Message[]): Promise<{ blocks: ContentBlock[]; note?: string }> {
  const blocks: ContentBlock[] = [];
  const skipped: string[] = [];
  for (const m of messages) {
    for (const a of m.attachments ?? []) {
      if (!a.id || !a.mimeType || !INLINE_TYPES.includes(a.mimeType)) continue;
      const label = `${a.fileName ?? 'image'} of message ${m.id}`;
      if (blocks.length / 2 >= MAX_INLINE_IMAGES) {
        skipped.push(`${label} (limit of ${MAX_INLINE_IMAGES} images per result)`);
        continue;
      }
      const media = await core.media.get(a.id);
      if (!media) continue;
      if (media.size > MAX_INLINE_BYTES) {
        skipped.push(`${label} (${Math.round(media.size / 1024)} KB, over 1 MB: use download_attachment)`);
        continue;
      }
      const path = await core.assets.localFile(a.id);
      const data = (await readFile(path)).toString('base64');
      blocks.push({ type: 'text', text: `Image: ${label}` }, { type: 'image', data, mimeType: media.mimeType });
    }
  }
  return { blocks, note: skipped.length ? `Images not included: ${skipped.join('; ')}.` : undefined };
}
