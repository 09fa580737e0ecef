// POST /v1/chats/{chatID}/notify-anyway against the sandbox: iMessage one-to-one
// chats notify a partner who has Focus on; everything else is refused with a
// specific code and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, codeOf } from '../helpers/expect.ts';
import { buildDemoInbox } from '../../src/networks/sandbox/corpus.ts';

type Chat = BeeperDesktop.Chat;

const IMESSAGE = 'sandbox-imessage';

let s: TestServer;
let chats: Chat[];
let focusedDM: Chat;
let unfocusedDM: Chat;
let group: Chat;

/** The breakthrough notifications the simulated iMessage network recorded, read through the sandbox control API. */
async function notifications(): Promise<unknown[]> {
  const res = await s.fetch(`/sandbox/v1/accounts/${IMESSAGE}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { notifications: unknown[] }).notifications;
}

/** Calls `fn` (expected to be refused) and checks that neither the chat nor the notification log changed. */
async function expectNothingChanged<T>(chatID: string, fn: () => Promise<T>): Promise<T> {
  const before = await s.client.chats.retrieve(chatID);
  const logBefore = await notifications();
  const result = await fn();
  expect(await s.client.chats.retrieve(chatID)).toEqual(before);
  expect(await notifications()).toEqual(logBefore);
  return result;
}

beforeAll(async () => {
  s = await startTestServer();
  chats = [];
  for await (const c of s.client.chats.list()) chats.push(c);
  // Focus flags come from the seed (1, as the harness uses) and not from the time.
  const people = buildDemoInbox({ seed: 1, now: Date.now(), profiles: ['imessage'] })[0]!.people;
  const focusOf = (c: Chat) => {
    const partner = c.participants.items.find((p) => !p.isSelf);
    return people.find((p) => p.phoneNumber !== undefined && p.phoneNumber === partner?.phoneNumber)?.focused;
  };
  const dms = chats.filter((c) => c.accountID === IMESSAGE && c.type === 'single');
  focusedDM = dms.find((c) => focusOf(c) === true)!;
  unfocusedDM = dms.find((c) => focusOf(c) === false)!;
  group = chats.find((c) => c.accountID === IMESSAGE && c.type === 'group')!;
  expect(focusedDM, 'an iMessage DM whose partner has Focus on').toBeDefined();
  expect(unfocusedDM, 'an iMessage DM whose partner has Focus off').toBeDefined();
  expect(group, 'an iMessage group').toBeDefined();
});
afterAll(async () => s?.stop());

describe('notify-anyway on iMessage', () => {
  it('notifies a one-to-one partner who has Focus on and returns the chat', async () => {
    const before = await notifications();
    const chat = await s.client.chats.notifyAnyway(focusedDM.id);
    expect(chat.id).toBe(focusedDM.id);
    expect(chat.accountID).toBe(IMESSAGE);
    expect(chat.type).toBe('single');
    expect(chat).toEqual(await s.client.chats.retrieve(focusedDM.id));
    const after = await notifications();
    expect(after).toHaveLength(before.length + 1);
    expect(after.slice(0, before.length)).toEqual(before);
    const partner = focusedDM.participants.items.find((p) => !p.isSelf)!;
    expect(after.at(-1)).toMatchObject({ chatID: focusedDM.id, userID: partner.id });
  });

  it('accepts the localChatID in place of the chat ID', async () => {
    expect(focusedDM.localChatID).toMatch(/^\d+$/);
    const before = await notifications();
    const chat = await s.client.chats.notifyAnyway(focusedDM.localChatID!);
    expect(chat.id).toBe(focusedDM.id);
    expect(await notifications()).toHaveLength(before.length + 1);
  });

  it('refuses a partner without Focus with 422 RECIPIENT_NOT_FOCUSED and changes nothing', async () => {
    const err = await expectNothingChanged(unfocusedDM.id, () => apiError(s.client.chats.notifyAnyway(unfocusedDM.id)));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('RECIPIENT_NOT_FOCUSED');
  });

  it('refuses a group with 422 NOTIFY_ANYWAY_UNSUPPORTED and changes nothing', async () => {
    const err = await expectNothingChanged(group.id, () => apiError(s.client.chats.notifyAnyway(group.id)));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('NOTIFY_ANYWAY_UNSUPPORTED');
  });
});

describe('notify-anyway elsewhere', () => {
  it('refuses a WhatsApp chat with 422 NOTIFY_ANYWAY_UNSUPPORTED naming WhatsApp', async () => {
    const wa = chats.find((c) => c.network === 'WhatsApp' && c.type === 'single')!;
    expect(wa).toBeDefined();
    const err = await expectNothingChanged(wa.id, () => apiError(s.client.chats.notifyAnyway(wa.id)));
    expect(err.status).toBe(422);
    expect(codeOf(err)).toBe('NOTIFY_ANYWAY_UNSUPPORTED');
    expect(err.error.message).toContain('WhatsApp');
  });

  it('refuses the one-to-one chats of every other network the same way', async () => {
    const others = [...new Set(chats.filter((c) => c.accountID !== IMESSAGE).map((c) => c.accountID))];
    expect(others.length).toBeGreaterThan(0);
    for (const accountID of others) {
      const dm = chats.find((c) => c.accountID === accountID && c.type === 'single')!;
      const err = await expectNothingChanged(dm.id, () => apiError(s.client.chats.notifyAnyway(dm.id)));
      expect(err.status).toBe(422);
      expect(codeOf(err)).toBe('NOTIFY_ANYWAY_UNSUPPORTED');
      expect(err.error.message).toContain(dm.network);
    }
  });

  it('answers 404 CHAT_NOT_FOUND for an unknown chat', async () => {
    const before = await notifications();
    for (const id of ['!doesnotexist:sandbox-imessage.localhost', '999999']) {
      const err = await apiError(s.client.chats.notifyAnyway(id));
      expect(err.status).toBe(404);
      expect(codeOf(err)).toBe('CHAT_NOT_FOUND');
    }
    expect(await notifications()).toEqual(before);
  });

  it('refuses a read-only token with 403 and sends nothing', async () => {
    const err = await expectNothingChanged(focusedDM.id, () => apiError(s.readClient.chats.notifyAnyway(focusedDM.id)));
    expect(err.status).toBe(403);
  });
});
