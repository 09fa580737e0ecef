// Bugs the reliability suite found (most of them the contract fuzzer), fixed, each
// kept here with the request that found it. Other bugs it found are pinned where
// they were found: hostile.test.ts (the data directory's own files, a token in the
// trace log), limits.test.ts (unauthenticated bodies buffered) and faults.test.ts
// (an XMPP server that answers garbage ended the process).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeProblems, raw, rawSocket, startRelServer, type RelServer, type RawResponse } from './harness.ts';

let s: RelServer;
let auth: Record<string, string>;
let chat: { id: string; localChatID: string };

beforeAll(async () => {
  s = await startRelServer();
  auth = { authorization: `Bearer ${s.token}` };
  chat = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-whatsapp&type=single&limit=5', { headers: auth })).json().items[0];
}, 60_000);
afterAll(async () => s?.stop());

const json = (_body?: unknown) => ({ ...auth, 'content-type': 'application/json' });
const count = (table: string) => s.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const files = (dir: string) => readdirSync(join(s.dataDir, dir)).sort();

function expectEnvelope(res: RawResponse, what: string) {
  expect({ what, status: res.status, problems: envelopeProblems(res), body: res.text.slice(0, 200) }).toMatchObject({ what, problems: [] });
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
}

async function upload(content: string, fileName: string) {
  const res = await raw(s.baseURL, 'POST', '/v1/assets/upload/base64', { headers: json(null), body: JSON.stringify({ content: Buffer.from(content).toString('base64'), fileName }) });
  expect(res.status).toBe(200);
  return res.json<{ uploadID: string; srcURL: string }>();
}

const boundary = 'regressionboundary';
const part = (name: string, value: string, fileName?: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${fileName ? `; filename="${fileName}"` : ''}\r\n${fileName ? 'Content-Type: text/plain\r\n' : ''}\r\n${value}\r\n`;
const multipart = (...parts: string[]) => ({ headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: `${parts.join('')}--${boundary}--\r\n` });

describe('query parameters named like Object.prototype members (found by the fuzzer)', () => {
  // src/api/coerce.ts coerceQuery looks the key up with shape[name], which finds
  // Object.prototype's members: baseType() then reads .def of a function and throws.
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    it(`GET /v1/chats/search?${key}=1 is a 400 VALIDATION_ERROR, not a 500`, async () => {
      const res = await raw(s.baseURL, 'GET', `/v1/chats/search?${key}=1`, { headers: auth });
      expectEnvelope(res, key);
      expect(res.json().code).toBe('VALIDATION_ERROR');
    });
  }
});

describe('searching for words the full-text index splits differently', () => {
  // src/store/text.ts ftsQuery() splits the query into words with JavaScript's
  // Unicode tables and quotes each word; FTS5's unicode61 tokenizer uses Unicode 6.1
  // tables and splits some of those words again (U+19B0–U+19C9 were combining marks
  // then, letters now). A quoted word of two tokens is a phrase, which a detail=none
  // index refuses: "fts5: phrase queries are not supported (detail!=full)" → 500.
  for (const [path, query] of [['/v1/messages/search', 'Ͱᦰ0'], ['/v1/search', 'aᦰb'], ['/v1/messages/search', 'dinner aᦰb']]) {
    it(`GET ${path}?query=${query} answers (200), not a 500 (found by the fuzzer)`, async () => {
      const res = await raw(s.baseURL, 'GET', `${path}?query=${encodeURIComponent(query!)}`, { headers: auth });
      expect({ status: res.status, body: res.text.slice(0, 120) }).toMatchObject({ status: 200 });
    });
  }
});

describe("the router's own errors come in the error envelope", () => {
  // Fastify answers these itself (onBadUrl, maxParamLength, the HTTP parser's
  // clientError) before any hook runs: {error, code, message, statusCode} or no
  // code at all, and no X-Beeper-Desktop-Version. createServer sets neither
  // frameworkErrors nor clientErrorHandler.
  it('a path with an invalid %-escape (GET /v1/chats/%FF/messages)', async () => {
    expectEnvelope(await raw(s.baseURL, 'GET', '/v1/chats/%FF/messages', { headers: auth }), 'bad escape');
  });

  it('a path parameter longer than 1000 characters (found by the fuzzer)', async () => {
    expectEnvelope(await raw(s.baseURL, 'GET', `/v1/chats/${'a'.repeat(1_001)}`, { headers: auth }), 'long parameter');
  });

  it('a URL longer than the 16 KB header limit (a search with many chatIDs)', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `chatIDs=${encodeURIComponent(`!chat${i}xxxxxxxxxxxxxxxxxxxxxx:sandbox-whatsapp.localhost`)}`).join('&');
    const res = await raw(s.baseURL, 'GET', `/v1/messages/search?${ids}`, { headers: auth });
    expect([414, 431]).toContain(res.status);
    expectEnvelope(res, 'long URL');
  });
});

describe('the document lists every status the server answers', () => {
  // src/api/openapi.ts: ERROR_RESPONSES has no 413 or 415, and public routes get
  // only 500, although /v1/info answers 400 to an unknown parameter and every
  // route 403 to a foreign Host.
  it('413 and 415 for every operation with a body; 400 and 403 for every operation', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(s.spec.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const want = ['400', '403', ...(op.requestBody ? ['413', '415'] : [])];
        for (const status of want) if (!op.responses[status]) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('multipart uploads at their limits', () => {
  // src/api/resources/assets.ts: request.parts() with fields: 10 — past the limit
  // the iterator neither yields nor throws, so the handler awaits forever.
  it('more than 10 form fields: 413 within seconds, not an answer that never comes (found by the fuzzer)', async () => {
    const fields = Array.from({ length: 12 }, (_, i) => part(`f${i}`, 'x'));
    const res = await raw(s.baseURL, 'POST', '/v1/assets/upload', { ...multipart(...fields, part('file', 'hello', 'a.txt')), timeoutMs: 5_000 }).catch((err: Error) => err);
    expect(res instanceof Error ? res.message : res.status).toBe(413);
  });

  // The first file is streamed to uploads/ (core.assets.receive) before the
  // second trips the files limit; the 413 leaves it behind, with no row.
  it('two files: 413, and nothing is left in uploads/ (found by the fuzzer)', async () => {
    const before = files('uploads');
    const res = await raw(s.baseURL, 'POST', '/v1/assets/upload', multipart(part('file', 'one', 'a.txt'), part('file', 'two', 'b.txt')));
    expect(res.status).toBe(413);
    expect(files('uploads')).toEqual(before);
  });
});

describe('refused writes change nothing', () => {
  // src/core/services/messages.ts send(): media.storeFile() runs before the reply
  // target is looked up (and before requireFeature(caps.reply)).
  it('a send with an attachment replying to an unknown message: 404, and no media stored (found by the fuzzer)', async () => {
    const up = await upload(`attachment ${Date.now()}`, 'note.txt');
    const media = count('media');
    const mediaFiles = files('media');
    const res = await raw(s.baseURL, 'POST', `/v1/chats/${encodeURIComponent(chat.id)}/messages`, { headers: json(null), body: JSON.stringify({ text: 'x', replyToMessageID: '$nope', attachment: { uploadID: up.uploadID } }) });
    expect(res.status).toBe(404);
    expect({ rows: count('media'), files: files('media') }).toEqual({ rows: media, files: mediaFiles });
  });

  // src/core/services/chats.ts focus(): saveUpload() runs before draft() refuses
  // a chat that already has a draft.
  it('POST /v1/focus with draftAttachmentPath on a chat with a draft: 422, and no upload stored', async () => {
    const up = await upload('focus attachment', 'focus.txt');
    const target = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-signal&type=single&limit=5', { headers: auth })).json().items[1];
    expect((await raw(s.baseURL, 'PATCH', `/v1/chats/${encodeURIComponent(target.id)}`, { headers: json(null), body: JSON.stringify({ draft: { text: 'already drafted' } }) })).status).toBe(200);
    const rows = count('uploads');
    const before = files('uploads');
    const res = await raw(s.baseURL, 'POST', '/v1/focus', { headers: json(null), body: JSON.stringify({ chatID: target.id, draftAttachmentPath: fileURLToPath(up.srcURL) }) });
    expect(res.status).toBe(422);
    expect({ rows: count('uploads'), files: files('uploads') }).toEqual({ rows, files: before });
  });

  // src/core/services/chats.ts create(): participantIDs are not de-duplicated;
  // ingest.chat() stores the chat, then setParticipants() hits the participants
  // primary key, outside that transaction: 500 "Nothing was changed", and a chat
  // without members stays (and the network has created the group).
  it('POST /v1/chats with a participant listed twice: no 500, and no half-created chat (found by the fuzzer)', async () => {
    const contacts = (await raw(s.baseURL, 'GET', '/v1/accounts/sandbox-whatsapp/contacts/list?limit=3', { headers: auth })).json().items;
    const user = contacts[1].id;
    const chats = count('chats');
    const res = await raw(s.baseURL, 'POST', '/v1/chats', { headers: json(null), body: JSON.stringify({ accountID: 'sandbox-whatsapp', type: 'group', participantIDs: [user, user], title: 'twice' }) });
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expect(count('chats')).toBe(chats);
    else expect(res.json().participants.items.filter((p: { id: string }) => p.id === user)).toHaveLength(1);
  });
});

describe('file parameters given a directory', () => {
  // src/core/services/assets.ts inside() accepts the data directory itself (real
  // === root) and localFile() never checks that the path is a file; focus() then
  // streams the directory (EISDIR) and answers 500.
  it('POST /v1/focus with draftAttachmentPath = the data directory: a 4xx, not a 500', async () => {
    const res = await raw(s.baseURL, 'POST', '/v1/focus', { headers: json(), body: JSON.stringify({ chatID: chat.id, draftText: 'x', draftAttachmentPath: s.dataDir }) });
    expectEnvelope(res, 'directory');
  });

  it('PATCH /v1/chats/{id} imgURL = a directory: refused, not stored as the picture', async () => {
    const group = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-whatsapp&type=group&limit=1', { headers: auth })).json().items[0];
    const res = await raw(s.baseURL, 'PATCH', `/v1/chats/${encodeURIComponent(group.id)}`, { headers: json(), body: JSON.stringify({ imgURL: join(s.dataDir, 'uploads') }) });
    expectEnvelope(res, 'directory as picture');
  });
});

describe('JSON routes refuse other bodies', () => {
  // @fastify/multipart registers a multipart/form-data parser for every route; a
  // route that takes JSON then sees no body at all and applies its defaults.
  // Here "archived=false" in a form archives the chat (archived defaults to true).
  it('POST /v1/chats/{id}/archive with a multipart body: 415, and the chat is not archived', async () => {
    const target = (await raw(s.baseURL, 'GET', '/v1/chats/search?accountIDs=sandbox-telegram&type=single&limit=5', { headers: auth })).json().items.find((c: { isArchived: boolean }) => !c.isArchived);
    const res = await raw(s.baseURL, 'POST', `/v1/chats/${encodeURIComponent(target.id)}/archive`, multipart(part('archived', 'false')));
    const after = (await raw(s.baseURL, 'GET', `/v1/chats/${encodeURIComponent(target.id)}`, { headers: auth })).json();
    expect({ status: res.status, archived: after.isArchived }).toEqual({ status: 415, archived: false });
  });
});

describe('the server is still up', () => {
  it('answers after all of the above', async () => {
    expect((await raw(s.baseURL, 'GET', '/v1/info')).status).toBe(200);
    expect(await rawSocket(s.port, 'GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 403/);
  });
});
