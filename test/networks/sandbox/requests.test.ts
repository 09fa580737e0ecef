// Message requests on the sandbox networks, seen through the official SDK: a chat a
// stranger starts is a request where the network has them (Signal, Discord) and an
// ordinary chat elsewhere (WhatsApp); a request takes only what accepts it (a reply
// on Signal, the Accept button on Discord), and the request state survives restarts.
// The control API (/sandbox/v1/…) only plays the stranger and presses the button.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { apiError } from '../../helpers/expect.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;

const SIGNAL = 'sandbox-signal';
const DISCORD = 'sandbox-discord';
const WHATSAPP = 'sandbox-whatsapp';

interface Delivery {
  chatID: string | null;
  text?: string;
}

let s: TestServer;
let client: BeeperDesktop;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-requests-'));
  s = await startTestServer({ dataDir, sandboxNetworks: ['signal', 'discord', 'whatsapp'] });
  client = s.client;
});
afterAll(async () => {
  await s?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A stranger writes first through the control API: the new chat and message as the server answered them. */
const stranger = (accountID: string, body: { fullName?: string; text?: string }) => s.control<{ chat: Chat; message: Message }>('POST', `/sandbox/v1/accounts/${accountID}/strangers`, body);
const deliveries = async (accountID: string) => (await s.control<{ deliveries: Delivery[] }>('GET', `/sandbox/v1/accounts/${accountID}`)).deliveries;

describe('a stranger writes first', () => {
  it('on Signal the chat is a message request that says how it can be accepted; contacts’ chats are not', async () => {
    const { chat, message } = await stranger(SIGNAL, { fullName: 'Ada Quist', text: 'hi, Bo gave me your number' });
    expect(chat).toMatchObject({ accountID: SIGNAL, type: 'single', title: 'Ada Quist', unreadCount: 1 });
    expect(chat.capabilities?.messageRequest).toEqual({ acceptWithMessage: 1, acceptWithButton: 2 });
    expect(message).toMatchObject({ chatID: chat.id, text: 'hi, Bo gave me your number', isSender: false });

    // Through the SDK: listed in the inbox, retrieved by ID and by local ID, the message in it.
    const got = await client.chats.retrieve(chat.id);
    expect(got.capabilities?.messageRequest).toEqual({ acceptWithMessage: 1, acceptWithButton: 2 });
    expect((await client.chats.retrieve(String(got.localChatID))).capabilities?.messageRequest).toBeDefined();
    const other = got.participants.items.find((p) => !p.isSelf)!;
    expect(other.phoneNumber).toMatch(/^\+155502\d{5}$/); // a number outside the contacts' range
    const listed = (await client.chats.list({ accountIDs: [SIGNAL] })).items.find((c) => c.id === chat.id);
    expect(listed?.capabilities?.messageRequest).toBeDefined();
    expect((await client.messages.list(chat.id)).items.map((m) => m.text)).toEqual(['hi, Bo gave me your number']);

    const contact = await s.freshChat(SIGNAL, 'single', (c) => c.id !== chat.id);
    expect(contact.capabilities?.messageRequest).toBeUndefined();
  });

  it('on WhatsApp, which has no message requests, it is an ordinary chat: replies and reactions go through', async () => {
    const { chat, message } = await stranger(WHATSAPP, { text: 'is this the bike for sale?' });
    expect(chat.capabilities?.messageRequest).toBeUndefined();
    expect(chat.participants.items.find((p) => !p.isSelf)?.fullName).toMatch(/\S+ \S+/); // a generated name
    await client.chats.messages.reactions.add(message.id, { chatID: chat.id, reactionKey: '👍' });
    const sent = await s.sendConfirmed(chat.id, { text: 'it is, still available' });
    expect(sent.sendStatus?.status).toBe('SUCCESS');
    const accept = await s.call('POST', `/sandbox/v1/chats/${chat.id}/accept`);
    expect(accept.status).toBe(422);
    expect(await accept.json()).toMatchObject({ code: 'NOT_A_MESSAGE_REQUEST' });
  });
});

describe('accepting a request', () => {
  it('Signal: a reaction is refused (nothing changes); a reply is delivered and accepts the request', async () => {
    const { chat, message } = await stranger(SIGNAL, { fullName: 'Bea Lund', text: 'hello from the meetup' });

    const refused = await apiError(client.chats.messages.reactions.add(message.id, { chatID: chat.id, reactionKey: '👍' }), 422, 'MESSAGE_REQUEST_NOT_ACCEPTED');
    expect(refused.error?.message).toMatch(/Signal.*message request.*reply to it to accept it/);
    expect((await client.messages.retrieve(message.id, { chatID: chat.id })).reactions ?? []).toEqual([]);

    const reply = await s.sendConfirmed(chat.id, { text: 'hi Bea, good to hear from you' });
    expect(reply.sendStatus?.status).toBe('SUCCESS');
    expect((await deliveries(SIGNAL)).filter((d) => d.chatID === chat.id).map((d) => d.text)).toEqual(['hi Bea, good to hear from you']);
    const accepted = await client.chats.retrieve(chat.id);
    expect(accepted.capabilities?.messageRequest).toBeUndefined();
    expect(accepted.capabilities?.reaction).toBe(2); // the rest of Signal's profile is unchanged

    await client.chats.messages.reactions.add(message.id, { chatID: chat.id, reactionKey: '👍' });
    expect((await client.messages.retrieve(message.id, { chatID: chat.id })).reactions?.map((r) => r.reactionKey)).toEqual(['👍']);
  });

  it('Discord: replying is refused before anything is sent; the Accept button makes it an ordinary chat', async () => {
    const { chat } = await stranger(DISCORD, { fullName: 'Cy Moreau', text: 'saw your post in #help' });
    expect(chat.capabilities?.messageRequest).toEqual({ acceptWithMessage: 0, acceptWithButton: 2 });
    expect(chat.participants.items.find((p) => !p.isSelf)?.id).toMatch(/^@\d{18}:sandbox-discord\.localhost$/); // a snowflake

    const refused = await apiError(client.messages.send(chat.id, { text: 'hey' }), 422, 'MESSAGE_REQUEST_NOT_ACCEPTED');
    expect(refused.error?.message).toMatch(/Discord accepts requests only with its Accept button/);
    expect((await client.messages.list(chat.id)).items).toHaveLength(1); // nothing stored
    expect((await deliveries(DISCORD)).filter((d) => d.chatID === chat.id)).toEqual([]); // nothing sent

    const accepted = await s.control<Chat>('POST', `/sandbox/v1/chats/${chat.id}/accept`);
    expect(accepted.id).toBe(chat.id);
    expect(accepted.capabilities?.messageRequest).toBeUndefined();
    expect((await client.chats.retrieve(chat.id)).capabilities?.messageRequest).toBeUndefined();
    expect((await s.sendConfirmed(chat.id, { text: 'hey, sure' })).sendStatus?.status).toBe('SUCCESS');

    const again = await s.call('POST', `/sandbox/v1/chats/${chat.id}/accept`);
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ code: 'NOT_A_MESSAGE_REQUEST' });
  });

  it('Signal requests can also be accepted with the button', async () => {
    const { chat } = await stranger(SIGNAL, { text: 'button test' });
    expect((await s.control<Chat>('POST', `/sandbox/v1/chats/${chat.localChatID}/accept`)).capabilities?.messageRequest).toBeUndefined();
  });
});

describe('the control API refuses bad input and changes nothing', () => {
  it('no text and no attachment → 400; unknown account → 404; empty name → 400', async () => {
    const before = (await client.chats.list({ accountIDs: [SIGNAL] })).items.length;
    const empty = await s.call('POST', `/sandbox/v1/accounts/${SIGNAL}/strangers`, {});
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    const blankName = await s.call('POST', `/sandbox/v1/accounts/${SIGNAL}/strangers`, { fullName: '  ', text: 'x' });
    expect(blankName.status).toBe(400);
    const unknown = await s.call('POST', '/sandbox/v1/accounts/sandbox-nope/strangers', { text: 'x' });
    expect(unknown.status).toBe(404);
    const readOnly = await s.call('POST', `/sandbox/v1/accounts/${SIGNAL}/strangers`, { text: 'x' }, s.readToken);
    expect(readOnly.status).toBe(403);
    expect((await client.chats.list({ accountIDs: [SIGNAL] })).items.length).toBe(before);
  });
});

describe('the request state is the network’s, kept in the store', () => {
  it('survives a restart; accepting after it works', async () => {
    const { chat } = await stranger(SIGNAL, { fullName: 'Dee Ortega', text: 'still there?' });
    await s.stop();
    s = await startTestServer({ dataDir, sandboxNetworks: ['signal', 'discord', 'whatsapp'] });
    client = s.client;
    expect((await client.chats.retrieve(chat.id)).capabilities?.messageRequest).toEqual({ acceptWithMessage: 1, acceptWithButton: 2 });
    await s.sendConfirmed(chat.id, { text: 'yes!' });
    expect((await client.chats.retrieve(chat.id)).capabilities?.messageRequest).toBeUndefined();
    // The next stranger is a new person, not the one before the restart.
    const next = await stranger(SIGNAL, { text: 'me too' });
    expect(next.chat.id).not.toBe(chat.id);
  });
});
