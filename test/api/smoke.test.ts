import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe('smoke', () => {
  it('serves info, accounts and the demo inbox through the SDK', async () => {
    const info = await s.client.info.retrieve();
    expect(info.app.name).toBe('Switchboard');
    const accounts = await s.client.accounts.list();
    expect(accounts.map((a) => a.network).sort()).toEqual(['Signal', 'Telegram', 'WhatsApp', 'iMessage']);
    const page = await s.client.chats.list();
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items[0]!.preview).toBeDefined();
  });
});
