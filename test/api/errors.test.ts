// Every error status in its envelope {message, code, details}, and the promise
// that a rejected write changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, type ErrorBody } from '../helpers/expect.ts';

let s: TestServer;
let chat: BeeperDesktop.Chat;
let chatPath: string;

beforeAll(async () => {
  s = await startTestServer();
  chat = (await s.client.chats.search({ accountIDs: ['sandbox-imessage'], type: 'single' })).items.find((c) => !c.isReadOnly)!;
  chatPath = `/v1/chats/${encodeURIComponent(chat.id)}`;
});
afterAll(async () => s?.stop());

async function envelope(res: Response, status: number, code?: string): Promise<ErrorBody> {
  const text = await res.text();
  expect({ status: res.status, body: text.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(typeof body.code).toBe('string');
  if (code) expect(body.code).toBe(code);
  return body;
}

/** What a write could change in the test chat: the chat itself and its newest messages. */
async function chatState() {
  const [c, page] = await Promise.all([s.client.chats.retrieve(chat.id), s.client.messages.list(chat.id)]);
  return { chat: c, messages: page.items };
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('400 Bad Request', () => {
  it('names the field of an invalid query value', async () => {
    const body = await envelope(await s.fetch('/v1/chats/search?limit=abc'), 400, 'VALIDATION_ERROR');
    expect(body.details?.issues?.[0]?.path).toEqual(['query', 'limit']);
    expect(body.message).toMatch(/limit/);

    const { error: sdk } = await apiError(s.client.chats.search({ limit: 0 }), 400, 'VALIDATION_ERROR');
    expect(sdk.details?.issues?.[0]?.path).toEqual(['query', 'limit']);
  });

  it('refuses an unknown query parameter', async () => {
    const body = await envelope(await s.fetch('/v1/chats/search?bogus=1'), 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(body.details?.issues)).toContain('bogus');
    await envelope(await s.fetch('/v1/accounts?bogus=1'), 400, 'VALIDATION_ERROR');
  });

  it('refuses an unknown body field, and nothing is sent', async () => {
    const before = await chatState();
    const body = await envelope(await s.fetch(`${chatPath}/messages`, json({ text: 'hello', bogus: true })), 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(body.details?.issues)).toContain('bogus');
    expect(body.details?.issues?.[0]?.path[0]).toBe('body');
    expect(await chatState()).toEqual(before);
  });

  it('refuses a body that is not JSON (INVALID_JSON), and nothing is sent', async () => {
    const before = await chatState();
    await envelope(await s.fetch(`${chatPath}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": "hi",' }), 400, 'INVALID_JSON');
    expect(await chatState()).toEqual(before);
  });

  it('names the field of an invalid body value', async () => {
    const { error: body } = await apiError(s.client.messages.send(chat.id, { text: 'x', replyToMessageID: '' }), 400, 'VALIDATION_ERROR');
    expect(body.details?.issues?.[0]?.path).toEqual(['body', 'replyToMessageID']);
  });
});

describe('415 Unsupported Media Type', () => {
  it('answers 415 to a body of a content type it does not take (application/xml), and nothing is sent', async () => {
    const before = await chatState();
    const res = await s.fetch(`${chatPath}/messages`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<text>hello</text>', validate: false });
    await envelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await chatState()).toEqual(before);
  });

  it('answers 415 to a text/plain body, and nothing is sent', async () => {
    const before = await chatState();
    const res = await s.fetch(`${chatPath}/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"text":"hello"}', validate: false });
    await envelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await chatState()).toEqual(before);
  });

  it('answers 415 to a multipart body on a route other than the upload, and nothing is sent', async () => {
    const before = await chatState();
    const form = new FormData();
    form.set('text', 'hello');
    const res = await s.fetch(`${chatPath}/messages`, { method: 'POST', body: form, validate: false });
    const body = await envelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(body.message).toMatch(/application\/json/);
    expect(await chatState()).toEqual(before);
  });
});

describe('401 Unauthorized', () => {
  it('answers without a token or with a bad one', async () => {
    await envelope(await s.fetch('/v1/chats', { headers: { authorization: '' } }), 401, 'UNAUTHORIZED');
    await apiError(s.sdk(`sb_${'C'.repeat(43)}`).chats.list(), 401, 'UNAUTHORIZED');
  });
});

describe('403 Forbidden', () => {
  it('answers a write with a read-only token, and nothing changes', async () => {
    const before = await chatState();
    await apiError(s.readClient.messages.send(chat.id, { text: 'not allowed' }), 403, 'INSUFFICIENT_SCOPE');
    await apiError(s.readClient.chats.archive(chat.id, { archived: !chat.isArchived }), 403, 'INSUFFICIENT_SCOPE');
    expect(await chatState()).toEqual(before);
  });
});

describe('404 Not Found', () => {
  it('answers an unknown chat, an unknown message and an unknown route', async () => {
    await apiError(s.client.chats.retrieve('!doesnotexist:sandbox-imessage.localhost'), 404, 'CHAT_NOT_FOUND');
    await apiError(s.client.messages.list('999999999'), 404, 'CHAT_NOT_FOUND');
    await apiError(s.client.messages.retrieve('$doesnotexist', { chatID: chat.id }), 404, 'MESSAGE_NOT_FOUND');
    await envelope(await s.fetch('/v1/nothing/here', { validate: false }), 404, 'ROUTE_NOT_FOUND');
    await envelope(await s.fetch('/v1/chats', { method: 'DELETE', validate: false }), 404, 'ROUTE_NOT_FOUND');
  });

  it('changes nothing when a write targets an unknown message', async () => {
    const before = await chatState();
    await apiError(s.client.messages.update('$doesnotexist', { chatID: chat.id, text: 'x' }), 404, 'MESSAGE_NOT_FOUND');
    await apiError(s.client.chats.messages.reactions.add('$doesnotexist', { chatID: chat.id, reactionKey: '❤️' }), 404, 'MESSAGE_NOT_FOUND');
    expect(await chatState()).toEqual(before);
  });
});

describe('422 Unprocessable', () => {
  it('answers a capability refusal with a specific code, and nothing changes', async () => {
    const target = (await s.client.messages.list(chat.id)).items.find((m) => !m.isDeleted)!;
    const before = await chatState();
    const { error: body } = await apiError(s.client.chats.messages.reactions.add(target.id, { chatID: chat.id, reactionKey: '🎉' }), 422, 'REACTION_NOT_ALLOWED');
    expect(body.message).toMatch(/iMessage/);
    expect(body.details).toMatchObject({ allowedReactions: expect.arrayContaining(['❤️']) });
    await apiError(s.client.messages.send(chat.id, { text: 'x'.repeat(20_001) }), 422, 'TEXT_TOO_LONG');
    expect(await chatState()).toEqual(before);
  });
});
