// Uploads (multipart and base64), media downloads and /v1/assets/serve: type
// sniffing, HTTP caching and ranges, and the data-directory confinement.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop, { toFile } from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError } from '../helpers/expect.ts';
import { makePng } from '../../src/networks/sandbox/media.ts';
import { createRng } from '../../src/networks/sandbox/rng.ts';

let s: TestServer;
let outsideDir: string;
beforeAll(async () => {
  s = await startTestServer();
  outsideDir = mkdtempSync(join(tmpdir(), 'switchboard-outside-'));
});
afterAll(async () => {
  await s?.stop();
  if (outsideDir) rmSync(outsideDir, { recursive: true, force: true });
});

const PNG = Buffer.from(makePng(createRng(21), 20, 10));
const TEXT = Buffer.from('Just a few lines of text.\nNothing else.\n');

const serve = (url: string, headers: Record<string, string> = {}) => s.fetch(`/v1/assets/serve?url=${encodeURIComponent(url)}`, { headers });

async function expectServeError(url: string, status: number, code?: string) {
  const res = await serve(url);
  expect(res.status).toBe(status);
  const body = (await res.json()) as { code: string; message: string };
  if (code) expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
}

describe('multipart upload', () => {
  it('sniffs a PNG sent without mimeType as image/png with its pixel size', async () => {
    const up = await s.client.assets.upload({ file: await toFile(PNG, 'photo.png') });
    expect(up).toMatchObject({ mimeType: 'image/png', width: 20, height: 10, fileSize: PNG.length, fileName: 'photo.png' });
    expect(up.uploadID).toMatch(/\S/);
    expect(up.srcURL).toMatch(/^file:\/\//);
  });

  it('keeps an explicit mimeType', async () => {
    const up = await s.client.assets.upload({ file: await toFile(PNG, 'photo.png'), fileName: 'renamed.png', mimeType: 'application/octet-stream' });
    expect(up.mimeType).toBe('application/octet-stream');
    expect(up.fileName).toBe('renamed.png');
  });

  it('takes a text file as text/plain', async () => {
    const up = await s.client.assets.upload({ file: await toFile(TEXT, 'notes.txt') });
    expect(up.mimeType).toBe('text/plain');
    expect(up.fileSize).toBe(TEXT.length);
    const bare = await s.client.assets.upload({ file: await toFile(TEXT, 'notes') });
    expect(bare.mimeType).toBe('text/plain');
  });
});

describe('base64 upload', () => {
  it('sniffs a PNG, keeps an explicit mimeType, takes text as text/plain', async () => {
    const png = await s.client.assets.uploadBase64({ content: PNG.toString('base64'), fileName: 'b64.png' });
    expect(png).toMatchObject({ mimeType: 'image/png', width: 20, height: 10, fileSize: PNG.length });
    const kept = await s.client.assets.uploadBase64({ content: PNG.toString('base64'), fileName: 'b64.png', mimeType: 'image/x-custom' });
    expect(kept.mimeType).toBe('image/x-custom');
    const text = await s.client.assets.uploadBase64({ content: TEXT.toString('base64'), fileName: 'b64' });
    expect(text.mimeType).toBe('text/plain');
    expect(text.fileSize).toBe(TEXT.length);
  });

  it('refuses content that is not base64 (400)', async () => {
    const e = await apiError(s.client.assets.uploadBase64({ content: 'this is *not* base64!', fileName: 'x.bin' }), 400);
    expect(e.error.details?.issues?.[0]?.path).toEqual(['body', 'content']);
  });
});

describe('download', () => {
  it('answers 404 for an unknown mxc:// URL and 400 for an http:// URL (no server-side fetch)', async () => {
    await apiError(s.client.assets.download({ url: 'mxc://example.org/doesnotexist' }), 404);
    await apiError(s.client.assets.download({ url: 'http://example.com/x' }), 400);
  });
});

describe('serve', () => {
  let upload: BeeperDesktop.AssetUploadResponse;
  beforeAll(async () => {
    upload = await s.client.assets.upload({ file: await toFile(PNG, 'served.png') });
  });

  it('streams the whole file with Content-Type and ETag, and 304 for If-None-Match', async () => {
    const res = await s.client.assets.serve({ url: upload.srcURL! });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);

    const again = await serve(upload.srcURL!, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers a byte range with 206 and Content-Range', async () => {
    const res = await serve(upload.srcURL!, { range: 'bytes=0-9' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-9/${PNG.length}`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(10);
    expect(body.equals(PNG.subarray(0, 10))).toBe(true);
  });

  it('answers a suffix range with the last bytes', async () => {
    const res = await serve(upload.srcURL!, { range: 'bytes=-5' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${PNG.length - 5}-${PNG.length - 1}/${PNG.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG.subarray(PNG.length - 5))).toBe(true);
  });

  it('answers 416 with Content-Range bytes */size for a range past the end', async () => {
    const res = await serve(upload.srcURL!, { range: `bytes=${PNG.length}-` });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${PNG.length}`);
  });

  it('serves media by its localmxc:// URL', async () => {
    const chat = (await s.client.chats.search({ accountIDs: ['sandbox-whatsapp'], type: 'single' })).items[0]!;
    const { pendingMessageID } = await s.client.messages.send(chat.id, { attachment: { uploadID: upload.uploadID! } });
    const m = await s.client.messages.retrieve(pendingMessageID, { chatID: chat.id });
    const res = await serve(m.attachments![0]!.id!);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('refuses files outside the data directory with 403', async () => {
    await expectServeError('file:///etc/passwd', 403, 'PATH_OUTSIDE_DATA_DIR');

    // ".." out of the data directory, to a file that exists.
    const outside = join(outsideDir, 'secret.txt');
    writeFileSync(outside, 'secret outside the data dir\n');
    const rel = join('..', basename(outsideDir), 'secret.txt');
    await expectServeError(`file://${s.dataDir}/${rel}`, 403, 'PATH_OUTSIDE_DATA_DIR');
    await expectServeError(`file://${s.dataDir}/../does-not-exist-anywhere.txt`, 403, 'PATH_OUTSIDE_DATA_DIR');

    // A symlink inside the data directory pointing out of it.
    const link = join(s.dataDir, 'uploads', 'innocent-link.txt');
    symlinkSync(outside, link);
    await expectServeError(pathToFileURL(link).href, 403, 'PATH_OUTSIDE_DATA_DIR');
  });

  it('serves a file:// URL of an upload (200)', async () => {
    const text = await s.client.assets.upload({ file: await toFile(TEXT, 'served.txt') });
    const res = await serve(text.srcURL!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(Buffer.from(await res.arrayBuffer()).equals(TEXT)).toBe(true);
  });

  it('refuses javascript: and http:// URLs with 400', async () => {
    await expectServeError('javascript:alert(1)', 400);
    await expectServeError('http://example.com/x.png', 400);
    await expectServeError('https://127.0.0.1/x.png', 400);
  });
});
