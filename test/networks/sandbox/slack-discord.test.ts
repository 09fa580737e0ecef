// The Slack and Discord sandbox profiles, made with --sandbox-networks, seen through
// the official SDK: their ID shapes and the rules that set them apart from the
// four default profiles (Discord's 2,000 characters and 10 MiB files; Slack's
// several reactions per person and custom emoji).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop, { toFile } from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { apiError } from '../../helpers/expect.ts';
import { makePng } from '../../../src/networks/sandbox/media.ts';
import { createRng } from '../../../src/networks/sandbox/rng.ts';

const SLACK = 'sandbox-slack';
const DISCORD = 'sandbox-discord';
const MiB = 1024 * 1024;

let s: TestServer;
let client: BeeperDesktop;

beforeAll(async () => {
  s = await startTestServer({ sandboxNetworks: ['slack', 'discord'] });
  client = s.client;
});
afterAll(async () => s?.stop());

const other = (c: BeeperDesktop.Chat) => c.participants.items.find((p) => !p.isSelf)!;

describe('--sandbox-networks slack,discord', () => {
  it('makes exactly those accounts, each with its demo inbox and its network’s ID shapes', async () => {
    const accounts = await client.accounts.list();
    expect(accounts.map((a) => [a.accountID, a.network]).sort()).toEqual([
      [DISCORD, 'Discord'],
      [SLACK, 'Slack'],
    ]);
    const discord = await s.freshChat(DISCORD);
    expect(other(discord).id).toMatch(/^@\d{18}:sandbox-discord\.localhost$/);
    const slack = await s.freshChat(SLACK);
    expect(other(slack).username).toMatch(/^[a-z0-9]+\.[a-z0-9]+$/);
    expect(other(slack).email).toMatch(/@example\.com$/);
  });

  it('Discord: 2,000 characters are sent, 2,001 are refused with TEXT_TOO_LONG', async () => {
    const chat = await s.freshChat(DISCORD);
    expect(chat.capabilities?.maxTextLength).toBe(2000);
    expect((await s.sendConfirmed(chat.id, { text: 'd'.repeat(2000) })).text).toHaveLength(2000);
    const e = await apiError(client.messages.send(chat.id, { text: 'd'.repeat(2001) }), 422, 'TEXT_TOO_LONG');
    expect(e.error?.message).toContain('Discord');
  });

  it('Discord: a file over 10 MiB is refused with ATTACHMENT_TOO_LARGE before it is sent', async () => {
    const chat = await s.freshChat(DISCORD);
    const big = Buffer.alloc(10 * MiB + 1);
    Buffer.from(makePng(createRng(3), 4, 4)).copy(big);
    const up = await client.assets.upload({ file: await toFile(big, 'big.png'), mimeType: 'image/png' });
    const before = (await client.messages.list(chat.id)).items.length;
    await apiError(client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'image' } }), 422, 'ATTACHMENT_TOO_LARGE');
    expect((await client.messages.list(chat.id)).items.length).toBe(before);
  });

  it('Slack: one person may put several reactions on a message, custom emoji included', async () => {
    const chat = await s.freshChat(SLACK);
    expect(chat.capabilities).toMatchObject({ reactionCount: 23, customEmojiReactions: true, thread: 2 });
    const m = await s.sendConfirmed(chat.id, { text: 'ship it?' });
    for (const key of ['👍', '🎉', 'shipit']) await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: key });
    const self = (await client.accounts.list()).find((a) => a.accountID === SLACK)!.user.id;
    const mine = (await client.messages.retrieve(m.id, { chatID: chat.id })).reactions?.filter((r) => r.participantID === self).map((r) => r.reactionKey);
    expect(mine?.sort()).toEqual(['shipit', '👍', '🎉'].sort());
  });
});
