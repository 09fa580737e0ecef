// Every route with {chatID} in its path takes the chat's numeric localChatID in
// its place and answers as it does for the chat ID. The route table is walked,
// so routes added later are covered too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { routeTable } from '../../src/api/server.ts';
import type { RouteDef } from '../../src/api/route.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/expect.ts';

let s: TestServer;
let chat: BeeperDesktop.Chat;

const routes: RouteDef[] = routeTable({ info: () => ({}) as never, spec: () => ({}) }).filter((r) => r.path.includes('{chatID}'));

beforeAll(async () => {
  s = await startTestServer();
  chat = (await s.client.chats.search({ accountIDs: ['sandbox-whatsapp'], type: 'single' })).items.find((c) => !c.isReadOnly)!;
});
afterAll(async () => s?.stop());

/** A fresh message of our own, confirmed by the network. */
async function ownMessage(text: string): Promise<string> {
  const { pendingMessageID } = await s.client.messages.send(chat.id, { text });
  return (await waitFor(() => s.client.messages.retrieve(pendingMessageID, { chatID: chat.id }), (m) => m.sendStatus?.status === 'SUCCESS', 'send confirmation')).id;
}

async function othersMessage(): Promise<string> {
  return (await s.client.messages.list(chat.id)).items.find((m) => !m.isSender && !m.isDeleted)!.id;
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/**
 * How to call a route so that the call can succeed each time it is made; each
 * call is prepared afresh. Routes without an entry get a generic call (a message
 * of someone else, a 👍 reaction key, an empty JSON body) and are compared all the same.
 */
const CALLS: Record<string, () => Promise<Call>> = {
  'PATCH /v1/chats/{chatID}': async () => ({ body: { isPinned: true } }),
  'POST /v1/chats/{chatID}/archive': async () => ({ body: { archived: false } }),
  'POST /v1/chats/{chatID}/reminders': async () => ({ body: { reminder: { remindAt: new Date(Date.now() + 86_400_000).toISOString() } } }),
  'POST /v1/chats/{chatID}/messages': async () => ({ body: { text: 'sent by chat ID or local ID' } }),
  'PUT /v1/chats/{chatID}/messages/{messageID}': async () => ({ params: { messageID: await ownMessage('to be edited') }, body: { text: 'edited' } }),
  'DELETE /v1/chats/{chatID}/messages/{messageID}': async () => ({ params: { messageID: await ownMessage('to be deleted') } }),
  'POST /v1/chats/{chatID}/messages/{messageID}/reactions': async () => ({ params: { messageID: await othersMessage() }, body: { reactionKey: '👍' } }),
  'DELETE /v1/chats/{chatID}/messages/{messageID}/reactions/{reactionKey}': async () => {
    const messageID = await othersMessage();
    await s.client.chats.messages.reactions.add(messageID, { chatID: chat.id, reactionKey: '👍' });
    return { params: { messageID, reactionKey: '👍' } };
  },
};

async function prepare(r: RouteDef): Promise<Call> {
  const specific = CALLS[`${r.method} ${r.path}`];
  if (specific) return specific();
  return {
    params: { messageID: await othersMessage(), reactionKey: '👍' },
    body: ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined,
  };
}

async function call(r: RouteDef, chatID: string, c: Call) {
  const path = r.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(name === 'chatID' ? chatID : (c.params?.[name] ?? 'unset')));
  const query = c.query ? `?${new URLSearchParams(c.query)}` : '';
  const res = await s.fetch(path + query, {
    method: r.method,
    ...(c.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('localChatID in place of the chat ID', () => {
  it('covers the routes with {chatID}', () => {
    expect(routes.length).toBeGreaterThanOrEqual(10);
    expect(routes.some((r) => r.method === 'GET')).toBe(true);
    expect(routes.some((r) => r.method !== 'GET')).toBe(true);
  });

  it('is a numeric string', () => {
    expect(chat.localChatID).toMatch(/^\d+$/);
  });

  for (const r of routes) {
    it(`${r.method} ${r.path} answers the same`, async () => {
      const local = chat.localChatID!;
      if (r.method === 'GET') {
        const c = await prepare(r);
        const byID = await call(r, chat.id, c);
        const byLocal = await call(r, local, c);
        expect(byID.status).toBe(200);
        expect(byLocal).toEqual(byID);
        return;
      }
      const byID = await call(r, chat.id, await prepare(r));
      const byLocal = await call(r, local, await prepare(r));
      expect(byLocal.body?.code, JSON.stringify(byLocal.body)).not.toBe('CHAT_NOT_FOUND');
      // The prepared calls are ones that succeed; compare them on success, not on a shared failure.
      if (CALLS[`${r.method} ${r.path}`]) expect(byID.status, JSON.stringify(byID.body)).toBeLessThan(300);
      expect({ status: byLocal.status, code: byLocal.body?.code }).toEqual({ status: byID.status, code: byID.body?.code });
      if (byID.body && 'chatID' in byID.body) expect(byLocal.body?.chatID).toBe(chat.id);
      if (byID.body && 'id' in byID.body && r.path === '/v1/chats/{chatID}') expect(byLocal.body?.id).toBe(chat.id);
    });
  }

  it('answers 404 for a localChatID no chat has', async () => {
    const res = await s.fetch('/v1/chats/987654321');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('CHAT_NOT_FOUND');
  });
});
