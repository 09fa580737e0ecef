// Streams a file with the HTTP caching and range semantics media players expect:
// a weak ETag from size and mtime, If-None-Match → 304, one byte range → 206,
// an unsatisfiable range → 416.
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServableFile } from '../core/services/assets.ts';

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/** Parses a single "bytes=" range; multiple ranges are served as the whole file. */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

const contentDisposition = (name: string) =>
  `inline; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export function serveFile(request: FastifyRequest, reply: FastifyReply, file: ServableFile): FastifyReply {
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=3600');
  reply.header('content-disposition', contentDisposition(file.fileName)).header('x-content-type-options', 'nosniff');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.status(304).send();
  const range = parseRange(request.headers.range, file.size);
  if (range === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${file.size}`).type('application/json').send({ message: `The range lies outside the file (${file.size} bytes).`, code: 'RANGE_NOT_SATISFIABLE' });
  }
  reply.type(file.mimeType);
  if (range) {
    reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`).header('content-length', range.end - range.start + 1);
    return reply.send(createReadStream(file.path, { start: range.start, end: range.end }));
  }
  reply.header('content-length', file.size);
  return reply.send(createReadStream(file.path));
}
