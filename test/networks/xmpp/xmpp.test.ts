// The XMPP connector against a real Prosody: a Switchboard account (alice) driven
// through the official SDK, and people (bob, carol, dave, and alice's own phone)
// driven directly with stanza.js. Every mapping is exercised in both directions.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFile } from '@beeper/desktop-api';
import type { Chat } from '@beeper/desktop-api/resources/chats/chats';
import type { Message } from '@beeper/desktop-api/resources/shared';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { apiError, waitFor } from '../../helpers/expect.ts';
import { passwordFile } from '../../../src/networks/xmpp/account.ts';
import { addXmppAccount } from '../../../src/cli/xmpp-account.ts';
import { xmppConnector } from '../../../src/networks/xmpp/connector.ts';
import { canSendTyping, type ConnectorContext, type ConnectorEvent } from '../../../src/networks/connector.ts';
import { userID } from '../../../src/core/ids.ts';
import { befriend, childText, esc, iq, MUC, peer, startProsody, type Peer, type Prosody, type XMLElement } from './harness.ts';

const NS = {
  reactions: 'urn:xmpp:reactions:0',
  retract: 'urn:xmpp:message-retract:1',
  reply: 'urn:xmpp:reply:0',
  fallback: 'urn:xmpp:fallback:0',
  correction: 'urn:xmpp:message-correct:0',
  markers: 'urn:xmpp:chat-markers:0',
  receipts: 'urn:xmpp:receipts',
  chatStates: 'http://jabber.org/protocol/chatstates',
  oob: 'jabber:x:oob',
  attention: 'urn:xmpp:attention:0',
  sid: 'urn:xmpp:sid:0',
  hints: 'urn:xmpp:hints',
};
const ACCOUNT = 'xmpp-alice-localhost';
const PASSWORD = 'correct horse battery staple';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201a3a1e0a40000000049454e44ae426082', 'hex');

let prosody: Prosody;
let s: TestServer;
let bob: Peer; // supports everything
let carol: Peer; // no reactions, no attention
let dave: Peer; // not in alice's roster
let phone: Peer; // alice's other client
const id = (local: string) => userID(local, 'localhost');

const isMessage = (el: XMLElement) => el.name === 'message';
const bodyOf = (el: XMLElement) => childText(el, 'body');

async function chatTitled(title: string): Promise<Chat> {
  return waitFor(
    async () => (await s.client.chats.list({ accountIDs: [ACCOUNT] })).items.find((c) => c.title === title),
    (c) => !!c,
    `a chat titled "${title}"`,
    10_000,
  ) as Promise<Chat>;
}

async function messages(chatID: string): Promise<Message[]> {
  return (await s.client.messages.list(chatID)).items;
}

async function messageWhere(chatID: string, ok: (m: Message) => boolean, what: string, timeoutMs = 10_000): Promise<Message> {
  return (await waitFor(async () => (await messages(chatID)).find(ok), (m) => !!m, what, timeoutMs))!;
}

/** Sends through the API and waits for the network's confirmation. */
async function send(chatID: string, body: Parameters<TestServer['client']['messages']['send']>[1]): Promise<Message> {
  const { pendingMessageID } = await s.client.messages.send(chatID, body);
  return waitFor(() => s.client.messages.retrieve(pendingMessageID, { chatID }), (m) => m.sendStatus?.status === 'SUCCESS', `message ${pendingMessageID} to be sent`, 10_000);
}

/** The remote (XMPP) ID of a message: what the connector put on the wire. */
const remoteIDOf = async (m: Message) => {
  const row = await s.running.core.repo.getMessage((await s.running.core.chat(m.chatID)).localID, m.id);
  return row!.remoteID!;
};

beforeAll(async () => {
  prosody = await startProsody();
  await Promise.all([prosody.register('alice', PASSWORD), prosody.register('bob', 'pw-bob'), prosody.register('carol', 'pw-carol'), prosody.register('dave', 'pw-dave'), prosody.register('erin', 'pw-erin')]);
  [bob, carol, dave, phone] = await Promise.all([
    peer(prosody, 'bob', 'pw-bob', { features: [NS.reactions, NS.retract, NS.reply], presence: { show: 'dnd', status: 'Focusing' } }),
    peer(prosody, 'carol', 'pw-carol', { withoutFeatures: [NS.attention] }),
    peer(prosody, 'dave', 'pw-dave'),
    peer(prosody, 'alice', PASSWORD, { resource: 'phone' }),
  ]);
  await phone.client.enableCarbons();
  await befriend(phone, bob, { b: 'Bob Builder' });
  await befriend(phone, carol, { b: 'Carol Singer' });
  // Bob owns a room, shows real JIDs, and names it; Carol is in it; alice's phone bookmarked it.
  await bob.client.joinRoom(`club@${MUC}`, 'Bob');
  await iq(bob, `<iq type='set' to='club@${MUC}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>
    <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
    <field var='muc#roomconfig_roomname'><value>Book Club</value></field>
    <field var='muc#roomconfig_whois'><value>anyone</value></field>
    <field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>`);
  await carol.client.joinRoom(`club@${MUC}`, 'Carol');
  await bob.send(`<message to='club@${MUC}' type='groupchat' id='club-0'><body>Welcome to the club</body></message>`);
  await iq(phone, `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'><item id='club@${MUC}'>
    <conference xmlns='urn:xmpp:bookmarks:1' name='Book Club' autojoin='true'><nick>alice</nick></conference></item></publish>
    <publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
    <field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#access_model'><value>whitelist</value></field>
    <field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub></iq>`);

  s = await startTestServer({ sandbox: false });
  await addXmppAccount(s.running.core, { jid: 'alice@localhost', password: PASSWORD, host: '127.0.0.1', port: prosody.c2sPort, tls: 'none' }, { start: true });
  await chatTitled('Book Club');
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await Promise.all([bob, carol, dave, phone].map((p) => p?.stop()));
  await prosody?.destroy();
});

describe('XMPP account', () => {
  it('is listed with its user, and its password is only in a 0600 file of the data directory', async () => {
    const accounts = await s.client.accounts.list();
    const a = accounts.find((x) => x.accountID === ACCOUNT)!;
    expect(a).toMatchObject({ network: 'XMPP', bridge: { id: 'xmpp', type: 'xmpp', provider: 'self-hosted' }, user: { id: '@alice:localhost' } });
    expect(JSON.stringify(accounts)).not.toContain(PASSWORD);
    const file = passwordFile(s.dataDir, ACCOUNT);
    expect(readFileSync(file, 'utf8')).toBe(PASSWORD);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await s.running.core.repo.setState(ACCOUNT, 'probe', 1); // flush the WAL into the file below
    for (const f of ['switchboard.db', 'switchboard.db-wal']) {
      let bytes = Buffer.alloc(0);
      try {
        bytes = readFileSync(join(s.dataDir, f));
      } catch {
        /* no WAL file */
      }
      expect(bytes.includes(Buffer.from(PASSWORD)), `${f} must not hold the password`).toBe(false);
    }
  });
});

describe('XMPP contacts and chats', () => {
  it('lists roster contacts with their names and searches them, and finds a typed JID', async () => {
    const contacts = await waitFor(
      async () => (await s.client.accounts.contacts.list(ACCOUNT)).items,
      (items) => items.some((u) => u.fullName === 'Carol Singer'),
      'the roster as contacts',
    );
    expect(contacts.find((u) => u.id === id('bob'))).toMatchObject({ fullName: 'Bob Builder', username: 'bob@localhost' });
    expect(contacts.some((u) => u.id === id('dave'))).toBe(false);
    const found = await s.client.accounts.contacts.list(ACCOUNT, { query: 'builder' });
    expect(found.items.map((u) => u.id)).toEqual([id('bob')]);
    const typed = await s.client.accounts.contacts.search(ACCOUNT, { query: 'dave@localhost' });
    expect(typed.items.map((u) => u.id)).toContain(id('dave'));
  });

  it('a roster change made on another client updates the contacts', async () => {
    await phone.client.updateRosterItem({ jid: 'carol@localhost', name: 'Carol S.', subscription: 'both' });
    await waitFor(async () => (await s.client.accounts.contacts.list(ACCOUNT, { query: 'carol' })).items, (items) => items[0]?.fullName === 'Carol S.', 'the renamed contact');
  });

  it('a bookmarked room is a group chat whose participants are its occupants, admins by affiliation', async () => {
    const club = await chatTitled('Book Club');
    expect(club.type).toBe('group');
    const full = await waitFor(() => s.client.chats.retrieve(club.id), (c) => c.participants!.items!.length >= 3, 'the occupants');
    const byID = new Map(full.participants!.items!.map((p) => [p.id, p]));
    expect(byID.get(id('bob'))).toMatchObject({ isAdmin: true });
    expect(byID.get(id('carol'))).toMatchObject({ isAdmin: false });
    expect(byID.has('@alice:localhost')).toBe(true);
    // What was said before the account joined comes from the room's archive (MUC MAM).
    const before = await messageWhere(club.id, (m) => m.text === 'Welcome to the club', 'the room’s history');
    expect(before).toMatchObject({ senderID: id('bob'), isSender: false });
  });

  it('in a room, reactions and read markers name messages by the room’s stanza-id, both ways', async () => {
    const club = await chatTitled('Book Club');
    expect((club.capabilities as { reaction?: number }).reaction).toBeGreaterThan(0); // the room assigns stanza-ids
    const since = bob.mark();
    await bob.send(`<message to='club@${MUC}' type='groupchat' id='club-1'><body>Chapter one is done</body></message>`);
    const echo = await bob.waitFor((el) => isMessage(el) && el.attributes.type === 'groupchat' && bodyOf(el) === 'Chapter one is done', 'the room’s copy', 10_000, since);
    const roomSid = echo.getChildren('stanza-id', NS.sid).find((e) => e.attributes.by === `club@${MUC}`)!.attributes.id!;
    const m = await messageWhere(club.id, (x) => x.text === 'Chapter one is done', 'bob’s room message');
    expect(m).toMatchObject({ senderID: id('bob'), isSender: false });
    const since2 = bob.mark();
    await s.client.chats.messages.reactions.add(m.id, { chatID: club.id, reactionKey: '📚' });
    const r = await bob.waitFor((el) => isMessage(el) && !!el.getChild('reactions', NS.reactions), 'alice’s reaction in the room', 10_000, since2);
    expect(r.attributes.type).toBe('groupchat');
    expect(r.getChild('reactions', NS.reactions)!.attributes.id).toBe(roomSid);
    await s.client.chats.markRead(club.id);
    const marker = await bob.waitFor((el) => isMessage(el) && !!el.getChild('displayed', NS.markers), 'alice’s read marker in the room', 10_000, since2);
    expect(marker.getChild('displayed', NS.markers)!.attributes.id).toBe(roomSid);

    const mine = await send(club.id, { text: 'Chapter two next' });
    const myEcho = await bob.waitFor((el) => isMessage(el) && bodyOf(el) === 'Chapter two next', 'alice’s room message', 10_000, since2);
    const mySid = myEcho.getChildren('stanza-id', NS.sid).find((e) => e.attributes.by === `club@${MUC}`)!.attributes.id!;
    await bob.send(`<message to='club@${MUC}' type='groupchat' id='club-r'><reactions xmlns='${NS.reactions}' id='${mySid}'><reaction>🔥</reaction></reactions><store xmlns='${NS.hints}'/></message>`);
    const reacted = await waitFor(() => s.client.messages.retrieve(mine.id, { chatID: club.id }), (x) => !!x.reactions?.length, 'bob’s reaction in the room');
    expect(reacted.reactions!.map((x) => [x.participantID, x.reactionKey])).toEqual([[id('bob'), '🔥']]);
  });

  it('starts a chat with a JID that is not a contact yet, and messages reach that person', async () => {
    const started = await s.client.chats.start({ accountID: ACCOUNT, user: { username: 'dave@localhost' } });
    expect(started).toMatchObject({ status: 'created', type: 'single' });
    const since = dave.mark();
    await send(started.chatID, { text: 'Hello Dave' });
    const got = await dave.waitFor((el) => isMessage(el) && bodyOf(el) === 'Hello Dave', 'the first message', 10_000, since);
    expect(got.attributes.from).toMatch(/^alice@localhost\//);
    // Dave got a presence subscription request (the chat added him to the roster).
    await dave.waitFor((el) => el.name === 'presence' && el.attributes.type === 'subscribe' && el.attributes.from === 'alice@localhost', 'a subscription request');
  });

  it('a message to an address the server does not know ends FAIL_PERMANENT with the server’s reason', async () => {
    const started = await s.client.chats.start({ accountID: ACCOUNT, user: { username: 'nobody@localhost' } });
    const { pendingMessageID } = await s.client.messages.send(started.chatID, { text: 'Anyone there?' });
    const failed = await waitFor(() => s.client.messages.retrieve(pendingMessageID, { chatID: started.chatID }), (m) => m.sendStatus?.status === 'FAIL_PERMANENT', 'the bounce');
    expect(failed.sendStatus?.message).toMatch(/could not deliver the message \(service-unavailable/);
  });

  it('creates a group with invitations; invitees who join are occupants; messages flow both ways', async () => {
    const since = bob.mark();
    const created = await s.client.chats.create({ accountID: ACCOUNT, type: 'group', participantIDs: [id('bob'), id('carol')], title: 'Planning' });
    expect(created.type).toBe('group');
    expect(new Set(created.participants!.items!.map((p) => p.id))).toEqual(new Set(['@alice:localhost', id('bob'), id('carol')]));
    const invite = await bob.waitFor((el) => isMessage(el) && !!el.getChild('x', 'jabber:x:conference'), 'an invitation', 10_000, since);
    const room = invite.getChild('x', 'jabber:x:conference')!.attributes.jid!;
    expect(room).toMatch(new RegExp(`^planning-[0-9a-f]+@${MUC.replace('.', '\\.')}$`));
    await bob.client.joinRoom(room, 'Bobby');
    const text = 'Agenda: *everything*';
    const sinceMsg = bob.mark();
    await send(created.chatID, { text: 'Agenda: **everything**' });
    const got = await bob.waitFor((el) => isMessage(el) && el.attributes.type === 'groupchat' && bodyOf(el) === text, 'the group message', 10_000, sinceMsg);
    expect(got.attributes.from).toBe(`${room}/alice`);
    await bob.send(`<message to='${room}' type='groupchat' id='g-1'><body>Count me in</body></message>`);
    const m = await messageWhere(created.chatID, (x) => x.text === 'Count me in', 'bob’s group message');
    expect(m).toMatchObject({ senderID: id('bob'), isSender: false });
    const chat = await waitFor(() => s.client.chats.retrieve(created.chatID), (c) => c.participants!.items!.some((p) => p.id === id('bob')), 'bob as a participant');
    expect(chat.participants!.items!.find((p) => p.id === id('bob'))!.isAdmin).toBe(false);
  });

  it('joins a room a contact invites the account to (XEP-0249), but not one a stranger does', async () => {
    await bob.client.joinRoom(`den@${MUC}`, 'Bob');
    await bob.send(`<message to='alice@localhost'><x xmlns='jabber:x:conference' jid='den@${MUC}' reason='Come in'/></message>`);
    const den = await chatTitled('den');
    expect(den.type).toBe('group');
    // The room hides real JIDs (semi-anonymous): Bob is known by his occupant JID.
    const occupant = userID(`den@${MUC}/Bob`, 'localhost');
    expect(occupant).toBe('@den=40conference.localhost/bob:localhost');
    const full = await waitFor(() => s.client.chats.retrieve(den.id), (c) => c.participants!.items!.some((p) => p.id === occupant), 'bob in the den');
    expect(full.participants!.items!.find((p) => p.id === occupant)).toMatchObject({ fullName: 'Bob', isAdmin: true });
    // Erin is not in alice's roster, and the room is not on alice's own server.
    const erin = await peer(prosody, 'erin', 'pw-erin');
    await erin.send(`<message to='alice@localhost'><x xmlns='jabber:x:conference' jid='spam@rooms.example.net'/></message>`);
    await erin.send(`<message to='alice@localhost' type='chat' id='erin-1'><body>did you get my invite?</body></message>`);
    await erin.stop();
    await waitFor(async () => (await s.client.chats.list({ accountIDs: [ACCOUNT] })).items.some((c) => c.preview?.text === 'did you get my invite?'), Boolean, 'dave’s message');
    expect((await s.client.chats.list({ accountIDs: [ACCOUNT] })).items.some((c) => c.title === 'spam')).toBe(false);
  });
});

describe('XMPP messages', () => {
  let bobChat: Chat;
  let fromBob: Message; // b-1
  let toBob: Message;

  it('receives a message with XEP-0393 styling as HTML', async () => {
    await bob.send(`<message to='alice@localhost' type='chat' id='b-1'><body>Hello *Alice*, see _this_</body><origin-id xmlns='${NS.sid}' id='b-1'/><markable xmlns='${NS.markers}'/></message>`);
    bobChat = await chatTitled('Bob Builder');
    fromBob = await messageWhere(bobChat.id, (m) => !m.isSender && !!m.text?.includes('Hello'), 'bob’s message');
    expect(fromBob).toMatchObject({ senderID: id('bob'), text: 'Hello <strong>Alice</strong>, see <em>this</em>', isSender: false });
  });

  it('sends a plain styled body with origin-id, markable and a receipt request; the receipt sets deliveredTo', async () => {
    const since = bob.mark();
    toBob = await send(bobChat.id, { text: 'Hi **Bob**, run `make` and ~~panic~~' });
    const got = await bob.waitFor((el) => isMessage(el) && !!bodyOf(el)?.startsWith('Hi'), 'the message', 10_000, since);
    expect(bodyOf(got)).toBe('Hi *Bob*, run `make` and ~panic~');
    expect(got.getChild('html', 'http://jabber.org/protocol/xhtml-im')).toBeUndefined();
    const origin = got.getChild('origin-id', NS.sid)!.attributes.id;
    expect(origin).toBe(got.attributes.id);
    expect(got.getChild('markable', NS.markers)).toBeDefined();
    expect(got.getChild('request', NS.receipts)).toBeDefined();
    await bob.send(`<message to='alice@localhost' id='r-1'><received xmlns='${NS.receipts}' id='${origin}'/></message>`);
    const delivered = await waitFor(() => s.client.messages.retrieve(toBob.id, { chatID: bobChat.id }), (m) => !!m.sendStatus?.deliveredToUsers?.length, 'the delivery receipt');
    expect(delivered.sendStatus).toMatchObject({ status: 'SUCCESS', deliveredToUsers: [id('bob')] });
  });

  it('marks read with a displayed marker, and the peer’s displayed marker marks ours seen', async () => {
    const since = bob.mark();
    await s.client.chats.markRead(bobChat.id, { messageID: fromBob.id });
    const marker = await bob.waitFor((el) => isMessage(el) && !!el.getChild('displayed', NS.markers), 'a displayed marker', 10_000, since);
    expect(marker.getChild('displayed', NS.markers)!.attributes.id).toBe('b-1');
    expect(marker.getChild('store', NS.hints)).toBeDefined();
    await bob.send(`<message to='alice@localhost' type='chat' id='d-1'><displayed xmlns='${NS.markers}' id='${await remoteIDOf(toBob)}'/></message>`);
    await waitFor(() => s.client.messages.retrieve(toBob.id, { chatID: bobChat.id }), (m) => !!m.seen, 'our message to be seen');
  });

  it('edits both ways (XEP-0308)', async () => {
    const since = bob.mark();
    await s.client.messages.update(toBob.id, { chatID: bobChat.id, text: 'Hi **Bob**, fixed' });
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('replace', NS.correction), 'a correction', 10_000, since);
    expect(got.getChild('replace', NS.correction)!.attributes.id).toBe(await remoteIDOf(toBob));
    expect(bodyOf(got)).toBe('Hi *Bob*, fixed');
    await bob.send(`<message to='alice@localhost' type='chat' id='b-1-fix'><body>Hello *Alice*, see that</body><replace xmlns='${NS.correction}' id='b-1'/></message>`);
    const edited = await waitFor(() => s.client.messages.retrieve(fromBob.id, { chatID: bobChat.id }), (m) => !!m.text?.includes('that'), 'bob’s correction');
    expect(edited.text).toBe('Hello <strong>Alice</strong>, see that');
    // The correction is an edit, not a new message.
    expect((await messages(bobChat.id)).filter((m) => m.text?.includes('see that'))).toHaveLength(1);
  });

  it('reacts both ways (XEP-0444), with the store hint', async () => {
    const since = bob.mark();
    await s.client.chats.messages.reactions.add(fromBob.id, { chatID: bobChat.id, reactionKey: '👍' });
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('reactions', NS.reactions), 'a reaction', 10_000, since);
    const r = got.getChild('reactions', NS.reactions)!;
    expect(r.attributes.id).toBe('b-1');
    expect(r.getChildren('reaction').map((x) => x.getText())).toEqual(['👍']);
    expect(got.getChild('store', NS.hints)).toBeDefined();
    const since2 = bob.mark();
    await s.client.chats.messages.reactions.delete('👍', { chatID: bobChat.id, messageID: fromBob.id });
    const cleared = await bob.waitFor((el) => isMessage(el) && !!el.getChild('reactions', NS.reactions), 'the reaction removed', 10_000, since2);
    expect(cleared.getChild('reactions', NS.reactions)!.getChildren('reaction')).toHaveLength(0);

    const target = await remoteIDOf(toBob);
    await bob.send(`<message to='alice@localhost' type='chat' id='re-1'><reactions xmlns='${NS.reactions}' id='${target}'><reaction>❤️</reaction><reaction>🎉</reaction></reactions><store xmlns='${NS.hints}'/></message>`);
    const reacted = await waitFor(() => s.client.messages.retrieve(toBob.id, { chatID: bobChat.id }), (m) => (m.reactions?.length ?? 0) === 2, 'bob’s reactions');
    expect(reacted.reactions!.map((x) => [x.participantID, x.reactionKey]).sort()).toEqual([[id('bob'), '❤️'], [id('bob'), '🎉']]);
    await bob.send(`<message to='alice@localhost' type='chat' id='re-2'><reactions xmlns='${NS.reactions}' id='${target}'><reaction>🎉</reaction></reactions><store xmlns='${NS.hints}'/></message>`);
    await waitFor(() => s.client.messages.retrieve(toBob.id, { chatID: bobChat.id }), (m) => m.reactions?.map((x) => x.reactionKey).join() === '🎉', 'the ❤️ removed');
  });

  it('replies both ways (XEP-0461 with an XEP-0428 quote fallback)', async () => {
    const since = bob.mark();
    const reply = await send(bobChat.id, { text: 'Replying to you', replyToMessageID: fromBob.id });
    expect(reply.linkedMessageID).toBe(fromBob.id);
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('reply', NS.reply), 'a reply', 10_000, since);
    expect(got.getChild('reply', NS.reply)!.attributes).toMatchObject({ id: 'b-1', to: 'bob@localhost' });
    const body = bodyOf(got)!;
    expect(body).toBe('> Hello *Alice*, see that\nReplying to you');
    const fb = got.getChild('fallback', NS.fallback)!;
    expect(fb.attributes.for).toBe(NS.reply);
    const range = fb.getChild('body')!.attributes;
    expect([...body].slice(Number(range.start), Number(range.end)).join('')).toBe('> Hello *Alice*, see that\n');

    const target = await remoteIDOf(toBob);
    const quote = '> Hi *Bob*, fixed\n';
    await bob.send(`<message to='alice@localhost' type='chat' id='b-2'><body>${esc(quote)}Sure thing</body><reply xmlns='${NS.reply}' to='alice@localhost' id='${target}'/>
      <fallback xmlns='${NS.fallback}' for='${NS.reply}'><body start='0' end='${[...quote].length}'/></fallback></message>`);
    const m = await messageWhere(bobChat.id, (x) => x.text === 'Sure thing', 'bob’s reply without the quote');
    expect(m.linkedMessageID).toBe(toBob.id);
  });

  it('retracts both ways (XEP-0424)', async () => {
    const mine = await send(bobChat.id, { text: 'Oops, wrong chat' });
    const since = bob.mark();
    await s.client.messages.delete(mine.id, { chatID: bobChat.id, forEveryone: true });
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('retract', NS.retract), 'a retraction', 10_000, since);
    expect(got.getChild('retract', NS.retract)!.attributes.id).toBe(await remoteIDOf(mine));
    expect(got.getChild('fallback', NS.fallback)!.attributes.for).toBe(NS.retract);

    await bob.send(`<message to='alice@localhost' type='chat' id='b-3'><body>This will vanish</body></message>`);
    const vanishing = await messageWhere(bobChat.id, (x) => x.text === 'This will vanish', 'the message to be retracted');
    await bob.send(`<message to='alice@localhost' type='chat' id='b-3-r'><retract xmlns='${NS.retract}' id='b-3'/><fallback xmlns='${NS.fallback}' for='${NS.retract}'/><body>retracted</body><store xmlns='${NS.hints}'/></message>`);
    await waitFor(() => s.client.messages.retrieve(vanishing.id, { chatID: bobChat.id }), (m) => !!m.isDeleted, 'the retraction');
    // A peer cannot retract what alice wrote.
    await bob.send(`<message to='alice@localhost' type='chat' id='b-4-r'><retract xmlns='${NS.retract}' id='${await remoteIDOf(toBob)}'/><store xmlns='${NS.hints}'/></message>`);
    await bob.send(`<message to='alice@localhost' type='chat' id='b-5'><body>after the forged retraction</body></message>`);
    await messageWhere(bobChat.id, (x) => x.text === 'after the forged retraction', 'the next message');
    expect((await s.client.messages.retrieve(toBob.id, { chatID: bobChat.id })).isDeleted).toBeFalsy();
  });

  it('shows messages sent from the account’s other client (carbons) as sent by the account', async () => {
    await phone.send(`<message to='bob@localhost' type='chat' id='phone-1'><body>Sent from my phone</body><origin-id xmlns='${NS.sid}' id='phone-1'/></message>`);
    const m = await messageWhere(bobChat.id, (x) => x.text === 'Sent from my phone', 'the carbon');
    expect(m).toMatchObject({ isSender: true, senderID: '@alice:localhost' });
    // A forged carbon (not from alice's own server) is ignored.
    await bob.send(`<message to='alice@localhost' type='chat' id='forged'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
      <message xmlns='jabber:client' from='alice@localhost/x' to='bob@localhost' type='chat' id='forged-inner'><body>Forged by bob</body></message></forwarded></sent></message>`);
    await bob.send(`<message to='alice@localhost' type='chat' id='b-6'><body>after the forged carbon</body></message>`);
    await messageWhere(bobChat.id, (x) => x.text === 'after the forged carbon', 'the next message');
    expect((await messages(bobChat.id)).some((x) => x.text === 'Forged by bob')).toBe(false);
  });

  it('reading on the account’s other client (a displayed marker carbon) marks the chat read here', async () => {
    await bob.send(`<message to='alice@localhost' type='chat' id='b-7'><body>read me on your phone</body><markable xmlns='${NS.markers}'/></message>`);
    await waitFor(() => s.client.chats.retrieve(bobChat.id), (c) => c.unreadCount > 0, 'an unread message');
    await phone.send(`<message to='bob@localhost' type='chat' id='phone-read'><displayed xmlns='${NS.markers}' id='b-7'/></message>`);
    await waitFor(() => s.client.chats.retrieve(bobChat.id), (c) => c.unreadCount === 0, 'the chat read on the phone');
  });

  it('sends files through HTTP upload (XEP-0363) with an OOB URL', async () => {
    const up = await s.client.assets.upload({ file: await toFile(PNG, 'dot.png') });
    const since = bob.mark();
    const sent = await send(bobChat.id, { attachment: { uploadID: up.uploadID! } });
    expect(sent.attachments?.[0]).toMatchObject({ mimeType: 'image/png', fileName: 'dot.png' });
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('x', NS.oob), 'the file', 10_000, since);
    const url = childText(got.getChild('x', NS.oob), 'url')!;
    expect(bodyOf(got)).toBe(url);
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('receives files from OOB URLs into the media store, served by /v1/assets/serve', async () => {
    const bytes = Buffer.from('%PDF-1.4 a small document\n');
    const slot = await bob.client.getUploadSlot('upload.localhost', { name: 'notes.pdf', size: bytes.length, mediaType: 'application/pdf' });
    const headers: Record<string, string> = { 'content-type': 'application/pdf' };
    for (const h of slot.upload.headers ?? []) headers[h.name] = h.value;
    const put = await fetch(slot.upload.url, { method: 'PUT', body: bytes, headers });
    expect(put.status).toBe(201);
    await bob.send(`<message to='alice@localhost' type='chat' id='f-1'><body>${esc(slot.download)}</body><x xmlns='${NS.oob}'><url>${esc(slot.download)}</url></x></message>`);
    const m = await messageWhere(bobChat.id, (x) => !x.isSender && !!x.attachments?.length, 'bob’s file');
    const a = m.attachments![0]!;
    expect(a).toMatchObject({ mimeType: 'application/pdf', fileName: 'notes.pdf', fileSize: bytes.length });
    expect(m.text ?? '').toBe('');
    const served = await s.client.assets.serve({ url: a.srcURL! });
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    // A URL pointing into a private network is not fetched: the link stays text.
    await bob.send(`<message to='alice@localhost' type='chat' id='f-2'><body>http://10.1.2.3/secret.png</body><x xmlns='${NS.oob}'><url>http://10.1.2.3/secret.png</url></x></message>`);
    const link = await messageWhere(bobChat.id, (x) => x.text === 'http://10.1.2.3/secret.png', 'the unfetched link');
    expect(link.attachments ?? []).toHaveLength(0);
  });

  it('sends typing notifications (XEP-0085) and reports the peer’s', async () => {
    const core = s.running.core;
    const client = core.client(ACCOUNT);
    expect(canSendTyping(client)).toBe(true);
    if (!canSendTyping(client)) return;
    const since = bob.mark();
    await client.setTyping(await core.chatRef(await core.chat(bobChat.id)), true);
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('composing', NS.chatStates), 'composing', 10_000, since);
    expect(got.getChild('no-store', NS.hints)).toBeDefined();

    // Incoming chat states become typing events: seen on a second connector instance of the same account.
    const events: ConnectorEvent[] = [];
    const account = (await core.account(ACCOUNT))!;
    const ctx: ConnectorContext = {
      account: { id: account.id, host: account.host, selfUserID: account.selfUserID, config: { ...account.config, resource: 'typing-probe' } },
      log: core.log,
      now: Date.now,
      userID: (local) => userID(local, account.host),
      emit: async (e) => void events.push(e),
      storeMedia: async () => 'mxc://unused',
      getState: async () => undefined,
      setState: async () => {},
    };
    const probe = await xmppConnector({ dataDir: s.dataDir }).create(ctx);
    await probe.connect();
    try {
      await waitFor(async () => events.some((e) => e.type === 'state' && e.state === 'connected'), Boolean, 'the probe to connect');
      await waitFor(async () => events.some((e) => e.type === 'chat' && e.chat.remoteID === `club@${MUC}`), Boolean, 'the probe to be set up', 10_000);
      await bob.send(`<message to='alice@localhost' type='chat' id='t-1'><body>typing test</body></message>`);
      await bob.send(`<message to='alice@localhost' type='chat'><composing xmlns='${NS.chatStates}'/></message>`);
      await waitFor(async () => events.find((e) => e.type === 'typing'), Boolean, 'a typing event');
      expect(events.find((e) => e.type === 'typing')).toMatchObject({ chatRemoteID: 'bob@localhost', userID: id('bob'), typing: true });
      await bob.send(`<message to='alice@localhost' type='chat'><paused xmlns='${NS.chatStates}'/></message>`);
      await waitFor(async () => events.filter((e) => e.type === 'typing').at(-1), (e) => e?.type === 'typing' && !e.typing, 'typing stopped');
    } finally {
      await probe.disconnect();
    }
  });
});

describe('XMPP capabilities and notify anyway', () => {
  it('declares what the peer’s client supports, and refuses the rest before sending', async () => {
    const bobChat = await chatTitled('Bob Builder');
    await carol.send(`<message to='alice@localhost' type='chat' id='c-1'><body>Hi from Carol</body></message>`);
    const carolChat = await chatTitled('Carol S.');
    const caps = (c: Chat) => c.capabilities as { reaction?: number; delete?: number; edit?: number; attachments?: Record<string, { maxSize?: number }> };
    const bobCaps = caps(await s.client.chats.retrieve(bobChat.id));
    expect(bobCaps).toMatchObject({ reaction: 2, delete: 2, edit: 2 });
    expect(bobCaps.attachments?.['m.image']?.maxSize).toBe(10 * 1024 * 1024); // from the upload service's disco#info
    const carolCaps = caps(await waitFor(() => s.client.chats.retrieve(carolChat.id), (c) => caps(c).edit === 2, 'carol’s features'));
    expect(carolCaps).toMatchObject({ reaction: 0, delete: 0 });
    const m = await messageWhere(carolChat.id, (x) => x.text === 'Hi from Carol', 'carol’s message');
    const since = carol.mark();
    await apiError(s.client.chats.messages.reactions.add(m.id, { chatID: carolChat.id, reactionKey: '👍' }), 422, 'REACTION_UNSUPPORTED');
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.received.slice(since).some((el) => isMessage(el) && !!el.getChild('reactions', NS.reactions))).toBe(false);
  });

  it('notifies anyway with an attention request (XEP-0224) when the peer’s client supports it', async () => {
    const bobChat = await chatTitled('Bob Builder');
    const since = bob.mark();
    await s.client.chats.notifyAnyway(bobChat.id);
    const got = await bob.waitFor((el) => isMessage(el) && !!el.getChild('attention', NS.attention), 'the attention request', 10_000, since);
    expect(got.attributes.type).toBe('headline');
    expect(got.attributes.to).toBe(bob.fullJid);
  });

  it('refuses notify anyway for a peer without attention support (naming XMPP and the peer) and in groups; nothing is sent', async () => {
    const carolChat = await chatTitled('Carol S.');
    const since = carol.mark();
    const e = await apiError(s.client.chats.notifyAnyway(carolChat.id), 422, 'NOTIFY_ANYWAY_UNSUPPORTED');
    expect(e.error!.message).toMatch(/XMPP/);
    expect(e.error!.message).toMatch(/carol@localhost/);
    expect(e.error!.details).toMatchObject({ network: 'XMPP' });
    const club = await chatTitled('Book Club');
    const g = await apiError(s.client.chats.notifyAnyway(club.id), 422, 'NOTIFY_ANYWAY_UNSUPPORTED');
    expect(g.error!.message).toMatch(/group/);
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.received.slice(since).some((el) => isMessage(el) && !!el.getChild('attention', NS.attention))).toBe(false);
  });
});
