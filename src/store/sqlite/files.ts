import type { DB } from './db.ts';
import type { MediaRecord, UploadRecord } from '../records.ts';
import type { Row } from './rows.ts';

const opt = (v: unknown) => (v === null ? undefined : (v as number));

/** The columns uploads and media share: where the file is and what it is. */
const fileFields = (r: Row) => ({
  path: r.path as string,
  fileName: r.file_name as string,
  mimeType: r.mime_type as string,
  size: r.size as number,
  width: opt(r.width),
  height: opt(r.height),
  duration: opt(r.duration),
});
const toUpload = (r: Row): UploadRecord => ({ id: r.id as string, ...fileFields(r), createdAt: r.created_at as number });
const toMedia = (r: Row): MediaRecord => ({ url: r.url as string, ...fileFields(r) });

export function fileQueries(db: DB) {
  const putUpload = db.prepare(`INSERT OR REPLACE INTO uploads (id, path, file_name, mime_type, size, width, height, duration, created_at)
    VALUES (@id, @path, @fileName, @mimeType, @size, @width, @height, @duration, @createdAt)`);
  const getUpload = db.prepare('SELECT * FROM uploads WHERE id = ?');
  const putMedia = db.prepare(`INSERT OR REPLACE INTO media (url, path, file_name, mime_type, size, width, height, duration)
    VALUES (@url, @path, @fileName, @mimeType, @size, @width, @height, @duration)`);
  const getMedia = db.prepare('SELECT * FROM media WHERE url = ?');
  const getMediaByPath = db.prepare('SELECT * FROM media WHERE path = ? LIMIT 1');
  const nullable = <T extends object>(o: T) => ({ width: null, height: null, duration: null, ...o });
  return {
    async putUpload(u: UploadRecord) {
      putUpload.run(nullable(u));
    },
    async getUpload(id: string) {
      const r = getUpload.get(id) as Row | undefined;
      return r && toUpload(r);
    },
    async putMedia(m: MediaRecord) {
      putMedia.run(nullable(m));
    },
    async getMedia(url: string) {
      const r = getMedia.get(url) as Row | undefined;
      return r && toMedia(r);
    },
    async getMediaByPath(path: string) {
      const r = getMediaByPath.get(path) as Row | undefined;
      return r && toMedia(r);
    },
  };
}
