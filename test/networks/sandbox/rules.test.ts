// The sandbox networks' profile rules, seen through the official SDK the way an
// integration meets them: text limits at the boundary, edit and delete windows on
// the simulated clock, edit counts, one reaction per person, iMessage tapbacks,
// attachment kinds and sizes, and disappearing-message timers. The control API
// (/sandbox/v1/…) only moves the clock and injects the other side's messages.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop, { toFile } from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { apiError, waitFor } from '../../helpers/expect.ts';
import { makePng } from '../../../src/networks/sandbox/media.ts';
import { createRng } from '../../../src/networks/sandbox/rng.ts';

type Message = BeeperDesktop.Message;

const IMESSAGE = 'sandbox-imessage';
const WHATSAPP = 'sandbox-whatsapp';
const SIGNAL = 'sandbox-signal';
const TELEGRAM = 'sandbox-telegram';
const MiB = 1024 * 1024;
const TAPBACKS = ['❤️', '👍', '👎', '😂', '‼️', '❓'];

let s: TestServer;
let client: BeeperDesktop;
const selfIDs = new Map<string, string>();

beforeAll(async () => {
  s = await startTestServer();
  client = s.client;
  for (const a of await client.accounts.list()) selfIDs.set(a.accountID, a.user.id);
});
afterAll(async () => s?.stop());
// Tests that move the simulated clock leave it as they found it.
afterEach(async () => {
  const clock = await s.control<{ offsetSeconds: number; frozen: boolean }>('POST', '/sandbox/v1/clock', { reset: true });
  expect(clock).toMatchObject({ offsetSeconds: 0, frozen: false });
});

// ---------------------------------------------------------------- helpers

const advance = (seconds: number) => s.control<{ offsetSeconds: number }>('POST', '/sandbox/v1/clock', { advanceSeconds: seconds });


async function listIDs(chatID: string, pages = 3): Promise<string[]> {
  const ids: string[] = [];
  let n = 0;
  for await (const m of client.messages.list(chatID)) {
    ids.push(m.id);
    if (++n >= pages * 20) break;
  }
  return ids;
}

const mine = (m: Message, accountID: string) => (m.reactions ?? []).filter((r) => r.participantID === selfIDs.get(accountID));

const png = (w: number, h: number) => Buffer.from(makePng(createRng(3), w, h));
/** A valid PNG padded with zeros to exactly `size` bytes. */
function pngOfSize(size: number): Buffer {
  const out = Buffer.alloc(size);
  png(4, 4).copy(out);
  return out;
}

// ---------------------------------------------------------------- text length

describe('text length', () => {
  const limits: Array<[string, string, number]> = [
    ['Signal', SIGNAL, 2000],
    ['Telegram', TELEGRAM, 4096],
    ['WhatsApp', WHATSAPP, 65536],
    ['iMessage', IMESSAGE, 20000],
  ];

  for (const [network, accountID, max] of limits) {
    it(`${network}: ${max} characters are sent, ${max + 1} are refused with TEXT_TOO_LONG`, async () => {
      const chat = await s.freshChat(accountID);
      expect(chat.capabilities?.maxTextLength).toBe(max);
      const ok = await s.sendConfirmed(chat.id, { text: 'a'.repeat(max) });
      expect(ok.text).toHaveLength(max);

      const before = await listIDs(chat.id, 1);
      const e = await apiError(client.messages.send(chat.id, { text: 'b'.repeat(max + 1) }), 422, 'TEXT_TOO_LONG');
      expect(e.error.details).toMatchObject({ length: max + 1, maxTextLength: max });
      expect(e.error.message).toContain(network);
      expect(await listIDs(chat.id, 1), 'nothing was sent').toEqual(before);
    });
  }

  it('counts characters, not UTF-16 units: 2,000 emoji fit a Signal message', async () => {
    const chat = await s.freshChat(SIGNAL);
    const ok = await s.sendConfirmed(chat.id, { text: '😀'.repeat(2000) });
    expect([...(ok.text ?? '')]).toHaveLength(2000);
    await apiError(client.messages.send(chat.id, { text: '😀'.repeat(2001) }), 422, 'TEXT_TOO_LONG');
  });

  it('refuses an over-long edit the same way', async () => {
    const chat = await s.freshChat(SIGNAL);
    const m = await s.sendConfirmed(chat.id, { text: 'short' });
    await apiError(client.messages.update(m.id, { chatID: chat.id, text: 'c'.repeat(2001) }), 422, 'TEXT_TOO_LONG');
    expect((await client.messages.retrieve(m.id, { chatID: chat.id })).text).toBe('short');
  });
});

// ---------------------------------------------------------------- edits

describe('edit window (simulated clock)', () => {
  it('WhatsApp: an own message can be edited after 14 minutes, not after 16 (EDIT_WINDOW_EXPIRED)', async () => {
    const chat = await s.freshChat(WHATSAPP);
    expect(chat.capabilities?.editMaxAge).toBe(15 * 60);
    const m = await s.sendConfirmed(chat.id, { text: 'typo in here' });

    expect((await advance(14 * 60)).offsetSeconds).toBe(14 * 60);
    const edited = await client.messages.update(m.id, { chatID: chat.id, text: 'no typo in here' });
    expect(edited.text).toBe('no typo in here');
    expect(edited.editedTimestamp).toBeDefined();

    expect((await advance(2 * 60)).offsetSeconds).toBe(16 * 60);
    const e = await apiError(client.messages.update(m.id, { chatID: chat.id, text: 'too late now' }), 422, 'EDIT_WINDOW_EXPIRED');
    expect(e.error.message).toContain('WhatsApp');
    expect(e.error.message).toContain('15 minutes');
    expect((await client.messages.retrieve(m.id, { chatID: chat.id })).text).toBe('no typo in here');
  });

  it('the window starts at the simulated time of sending: a message sent 20 minutes ahead is editable at once', async () => {
    const chat = await s.freshChat(WHATSAPP);
    await advance(20 * 60);
    // Sent "20 minutes from now": its own window starts then.
    const m = await s.sendConfirmed(chat.id, { text: 'sent in the future' });
    const edited = await client.messages.update(m.id, { chatID: chat.id, text: 'still in the window' });
    expect(edited.text).toBe('still in the window');
  });
});

describe('edit and delete windows of every profile (simulated clock)', () => {
  const DAY = 86400;
  // [account, edit window, delete-for-everyone window] in seconds; undefined: no limit.
  const windows: Array<[string, number | undefined, number | undefined]> = [
    [IMESSAGE, 15 * 60, 120],
    [WHATSAPP, 15 * 60, 2 * DAY],
    [SIGNAL, DAY, DAY],
    [TELEGRAM, undefined, undefined],
  ];
  for (const [accountID, editMax, deleteMax] of windows) {
    it(`${accountID}: edits ${editMax ? `within ${editMax} s` : 'at any age'}`, async () => {
      const chat = await s.freshChat(accountID);
      expect(chat.capabilities?.editMaxAge).toBe(editMax);
      const m = await s.sendConfirmed(chat.id, { text: 'edit window probe' });
      await advance((editMax ?? 400 * DAY) - 60);
      expect((await client.messages.update(m.id, { chatID: chat.id, text: 'edited in time' })).text).toBe('edited in time');
      await advance(120);
      if (editMax) await apiError(client.messages.update(m.id, { chatID: chat.id, text: 'edited too late' }), 422, 'EDIT_WINDOW_EXPIRED');
      else expect((await client.messages.update(m.id, { chatID: chat.id, text: 'edited much later' })).text).toBe('edited much later');
    });

    it(`${accountID}: deletes for everyone ${deleteMax ? `within ${deleteMax} s` : 'at any age'}`, async () => {
      const chat = await s.freshChat(accountID);
      expect(chat.capabilities?.deleteMaxAge).toBe(deleteMax);
      const early = await s.sendConfirmed(chat.id, { text: 'delete window probe 1' });
      const late = await s.sendConfirmed(chat.id, { text: 'delete window probe 2' });
      await advance((deleteMax ?? 400 * DAY) - 60);
      await client.messages.delete(early.id, { chatID: chat.id, forEveryone: true });
      expect((await client.messages.retrieve(early.id, { chatID: chat.id })).isDeleted).toBe(true);
      await advance(120);
      if (deleteMax) await apiError(client.messages.delete(late.id, { chatID: chat.id, forEveryone: true }), 422, 'DELETE_WINDOW_EXPIRED');
      else {
        await client.messages.delete(late.id, { chatID: chat.id, forEveryone: true });
        expect((await client.messages.retrieve(late.id, { chatID: chat.id })).isDeleted).toBe(true);
      }
    });
  }
});

describe('edit count', () => {
  const counts: Array<[string, string, number]> = [
    ['Signal', SIGNAL, 10],
    ['iMessage', IMESSAGE, 5],
  ];
  for (const [network, accountID, max] of counts) {
    it(`${network}: ${max} edits of a message work, edit ${max + 1} is refused with EDIT_LIMIT_REACHED`, async () => {
      const chat = await s.freshChat(accountID);
      expect(chat.capabilities?.editMaxCount).toBe(max);
      const m = await s.sendConfirmed(chat.id, { text: 'version 0' });
      for (let i = 1; i <= max; i++) {
        const edited = await client.messages.update(m.id, { chatID: chat.id, text: `version ${i}` });
        expect(edited.text).toBe(`version ${i}`);
      }
      const e = await apiError(client.messages.update(m.id, { chatID: chat.id, text: `version ${max + 1}` }), 422, 'EDIT_LIMIT_REACHED');
      expect(e.error.message).toContain(network);
      expect((await client.messages.retrieve(m.id, { chatID: chat.id })).text).toBe(`version ${max}`);
    });
  }
});

// ---------------------------------------------------------------- deletes

describe('delete window (simulated clock)', () => {
  it('iMessage: delete for everyone works within a minute', async () => {
    const chat = await s.freshChat(IMESSAGE);
    expect(chat.capabilities?.deleteMaxAge).toBe(120);
    const m = await s.sendConfirmed(chat.id, { text: 'unsend me quickly' });
    await advance(60);
    expect((await client.messages.delete(m.id, { chatID: chat.id, forEveryone: true }).asResponse()).status).toBe(204);
    expect((await client.messages.retrieve(m.id, { chatID: chat.id })).isDeleted).toBe(true);
  });

  it('iMessage: after 3 minutes delete for everyone is refused (DELETE_WINDOW_EXPIRED); for me still works', async () => {
    const chat = await s.freshChat(IMESSAGE);
    const m = await s.sendConfirmed(chat.id, { text: 'too late to unsend' });
    await advance(3 * 60);
    const e = await apiError(client.messages.delete(m.id, { chatID: chat.id, forEveryone: true }), 422, 'DELETE_WINDOW_EXPIRED');
    expect(e.error.message).toContain('iMessage');
    const still = await client.messages.retrieve(m.id, { chatID: chat.id });
    expect(still.isDeleted ?? false).toBe(false);
    expect(still.text).toBe('too late to unsend');

    expect((await client.messages.delete(m.id, { chatID: chat.id, forEveryone: false }).asResponse()).status).toBe(204);
    await apiError(client.messages.retrieve(m.id, { chatID: chat.id }), 404);
    expect(await listIDs(chat.id, 1)).not.toContain(m.id);
  });
});

// ---------------------------------------------------------------- reactions

describe('reactions', () => {
  for (const accountID of [IMESSAGE, WHATSAPP, SIGNAL, TELEGRAM]) {
    it(`${accountID}: a second reaction replaces the first (one per person)`, async () => {
      const chat = await s.freshChat(accountID);
      expect(chat.capabilities?.reactionCount).toBe(1);
      const m = await s.sendConfirmed(chat.id, { text: 'react to this' });
      await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '👍' });
      expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), accountID).map((r) => r.reactionKey)).toEqual(['👍']);
      await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '❤️' });
      expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), accountID).map((r) => r.reactionKey)).toEqual(['❤️']);
    });
  }

  it('iMessage takes each of the six tapbacks and refuses anything else (REACTION_NOT_ALLOWED)', async () => {
    const chat = await s.freshChat(IMESSAGE);
    expect(chat.capabilities?.allowedReactions).toEqual(TAPBACKS);
    const m = await s.sendConfirmed(chat.id, { text: 'tapback here' });
    for (const key of TAPBACKS) {
      const res = await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: key });
      expect(res.reactionKey).toBe(key);
      expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), IMESSAGE).map((r) => r.reactionKey)).toEqual([key]);
    }
    const e = await apiError(client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '🎉' }), 422, 'REACTION_NOT_ALLOWED');
    expect(e.error.details).toMatchObject({ allowedReactions: TAPBACKS });
    expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), IMESSAGE).map((r) => r.reactionKey)).toEqual([TAPBACKS.at(-1)]);
  });

  it('Telegram takes only reactions from its list (REACTION_NOT_ALLOWED otherwise)', async () => {
    const chat = await s.freshChat(TELEGRAM);
    expect(chat.capabilities?.allowedReactions).toContain('🔥');
    expect(chat.capabilities?.allowedReactions).not.toContain('🦄');
    const m = await s.sendConfirmed(chat.id, { text: 'hot take' });
    await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '🔥' });
    await apiError(client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '🦄' }), 422, 'REACTION_NOT_ALLOWED');
    expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), TELEGRAM).map((r) => r.reactionKey)).toEqual(['🔥']);
  });

  it('no profile takes a word as a reaction (REACTION_NOT_ALLOWED)', async () => {
    const chat = await s.freshChat(SIGNAL);
    const m = await s.sendConfirmed(chat.id, { text: 'react with words' });
    await apiError(client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: 'lol' }), 422, 'REACTION_NOT_ALLOWED');
  });

  it('the same 🎉 is fine on WhatsApp, which has no list', async () => {
    const chat = await s.freshChat(WHATSAPP);
    const m = await s.sendConfirmed(chat.id, { text: 'party' });
    await client.chats.messages.reactions.add(m.id, { chatID: chat.id, reactionKey: '🎉' });
    expect(mine(await client.messages.retrieve(m.id, { chatID: chat.id }), WHATSAPP).map((r) => r.reactionKey)).toEqual(['🎉']);
  });
});

// ---------------------------------------------------------------- attachments

describe('attachments', () => {
  it('Telegram: an image of exactly 10 MiB is sent, one byte more is ATTACHMENT_TOO_LARGE; as a file it is fine', async () => {
    const chat = await s.freshChat(TELEGRAM);
    const atLimit = await client.assets.upload({ file: await toFile(pngOfSize(10 * MiB), 'limit.png'), mimeType: 'image/png' });
    const sent = await s.sendConfirmed(chat.id, { attachment: { uploadID: atLimit.uploadID!, type: 'image' } });
    expect(sent.attachments?.[0]).toMatchObject({ type: 'img', fileSize: 10 * MiB });

    const over = await client.assets.upload({ file: await toFile(pngOfSize(10 * MiB + 1), 'over.png'), mimeType: 'image/png' });
    const before = await listIDs(chat.id, 1);
    const e = await apiError(client.messages.send(chat.id, { attachment: { uploadID: over.uploadID!, type: 'image' } }), 422, 'ATTACHMENT_TOO_LARGE');
    expect(e.error.details).toMatchObject({ size: 10 * MiB + 1, maxSize: 10 * MiB });
    expect(await listIDs(chat.id, 1)).toEqual(before);

    // The limit is Telegram's for images; documents may be up to 2 GiB.
    const asFile = await s.sendConfirmed(chat.id, { attachment: { uploadID: over.uploadID!, type: 'file' } });
    expect(asFile.attachments?.[0]?.fileSize).toBe(10 * MiB + 1);
  });

  it('Signal refuses an MP3 as a voice note (ATTACHMENT_MIME_UNSUPPORTED) but sends it as audio', async () => {
    const chat = await s.freshChat(SIGNAL);
    const up = await client.assets.upload({ file: await toFile(Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00not really an mp3'), 'memo.mp3'), mimeType: 'audio/mpeg' });
    const e = await apiError(client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'voice-note' } }), 422, 'ATTACHMENT_MIME_UNSUPPORTED');
    expect(e.error.details).toMatchObject({ kind: 'org.matrix.msc3245.voice', mimeType: 'audio/mpeg' });
    const sent = await s.sendConfirmed(chat.id, { attachment: { uploadID: up.uploadID!, type: 'audio' } });
    expect(sent.attachments?.[0]?.mimeType).toBe('audio/mpeg');
  });

  it('Telegram captions: 1,024 characters with an image are fine, 1,025 are TEXT_TOO_LONG', async () => {
    const chat = await s.freshChat(TELEGRAM);
    const up = await client.assets.upload({ file: await toFile(png(8, 8), 'captioned.png') });
    const ok = await s.sendConfirmed(chat.id, { text: 'x'.repeat(1024), attachment: { uploadID: up.uploadID! } });
    expect(ok.text).toHaveLength(1024);
    await apiError(client.messages.send(chat.id, { text: 'y'.repeat(1025), attachment: { uploadID: up.uploadID! } }), 422, 'TEXT_TOO_LONG');
  });

  it('iMessage takes no caption with a file (CAPTION_UNSUPPORTED)', async () => {
    const chat = await s.freshChat(IMESSAGE);
    const up = await client.assets.upload({ file: await toFile(png(8, 8), 'uncaptioned.png') });
    await apiError(client.messages.send(chat.id, { text: 'look', attachment: { uploadID: up.uploadID! } }), 422, 'CAPTION_UNSUPPORTED');
    await s.sendConfirmed(chat.id, { attachment: { uploadID: up.uploadID! } });
  });

  it('Signal: images up to 4096 px wide, voice notes up to an hour', async () => {
    const chat = await s.freshChat(SIGNAL);
    const wide = await client.assets.upload({ file: await toFile(png(4097, 2), 'panorama.png') });
    expect(wide.width).toBe(4097);
    await apiError(client.messages.send(chat.id, { attachment: { uploadID: wide.uploadID!, type: 'image' } }), 422, 'ATTACHMENT_TOO_LARGE');
    const fits = await client.assets.upload({ file: await toFile(png(4096, 2), 'fits.png') });
    await s.sendConfirmed(chat.id, { attachment: { uploadID: fits.uploadID!, type: 'image' } });

    const voice = await client.assets.upload({ file: await toFile(Buffer.from('OggS\x00\x02not really ogg'), 'memo.ogg'), mimeType: 'audio/ogg' });
    await apiError(client.messages.send(chat.id, { attachment: { uploadID: voice.uploadID!, type: 'voice-note', duration: 3601 } }), 422, 'ATTACHMENT_TOO_LONG');
    const sent = await s.sendConfirmed(chat.id, { attachment: { uploadID: voice.uploadID!, type: 'voice-note', duration: 3600 } });
    expect(sent.attachments?.[0]).toMatchObject({ isVoiceNote: true, duration: 3600 });
  });

  it('iMessage refuses a PNG sent as a GIF (ATTACHMENT_MIME_UNSUPPORTED) and stickers altogether', async () => {
    const chat = await s.freshChat(IMESSAGE);
    const up = await client.assets.upload({ file: await toFile(png(8, 8), 'still.png') });
    await apiError(client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'gif' } }), 422, 'ATTACHMENT_MIME_UNSUPPORTED');
    await apiError(client.messages.send(chat.id, { attachment: { uploadID: up.uploadID!, type: 'sticker' } }), 422, 'ATTACHMENT_TYPE_UNSUPPORTED');
  });
});

// ---------------------------------------------------------------- disappearing messages

describe('disappearing messages (simulated clock)', () => {
  it('WhatsApp: only its timers are accepted; messages after the timer was set disappear after 24 h, earlier ones stay', async () => {
    const chat = await s.freshChat(WHATSAPP, 'single', (c) => (c.messageExpirySeconds ?? null) === null);
    const earlier = await s.sendConfirmed(chat.id, { text: 'sent before the timer' });

    const set = await client.chats.update(chat.id, { messageExpirySeconds: 86400 });
    expect(set.messageExpirySeconds).toBe(86400);
    const e = await apiError(client.chats.update(chat.id, { messageExpirySeconds: 1234 }), 422, 'DISAPPEARING_TIMER_NOT_ALLOWED');
    expect(e.error.details).toMatchObject({ allowedSeconds: [86400, 604800, 7776000] });
    expect((await client.chats.retrieve(chat.id)).messageExpirySeconds).toBe(86400);

    const sent = await s.sendConfirmed(chat.id, { text: 'this one will vanish' });
    const incoming = await s.control<Message>('POST', `/sandbox/v1/chats/${encodeURIComponent(chat.id)}/incoming`, { text: 'so will this reply' });
    expect(incoming.chatID).toBe(chat.id);
    const goners = [sent.id, incoming.id];

    // 23 hours on: everything is still there.
    await advance(23 * 3600);
    for (const id of [earlier.id, ...goners]) expect((await client.messages.retrieve(id, { chatID: chat.id })).id).toBe(id);

    // Past 24 hours: the two go, the earlier message stays.
    await advance(2 * 3600);
    for (const id of goners) {
      await waitFor(
        () => client.messages.retrieve(id, { chatID: chat.id }).then(() => 'still there', (err: { status?: number }) => err.status),
        (v) => v === 404,
        `message ${id} to disappear`,
      );
    }
    const ids = await listIDs(chat.id, 2);
    for (const id of goners) expect(ids).not.toContain(id);
    expect(ids).toContain(earlier.id);
    expect((await client.messages.retrieve(earlier.id, { chatID: chat.id })).text).toBe('sent before the timer');

    await client.chats.update(chat.id, { messageExpirySeconds: null });
  });

  it('Signal accepts any timer', async () => {
    const chat = await s.freshChat(SIGNAL);
    expect(chat.capabilities?.disappearingTimer?.timers).toBeUndefined();
    for (const seconds of [1234, 30, 86400 * 3 + 7]) {
      expect((await client.chats.update(chat.id, { messageExpirySeconds: seconds })).messageExpirySeconds).toBe(seconds);
    }
    expect((await client.chats.update(chat.id, { messageExpirySeconds: null })).messageExpirySeconds ?? null).toBeNull();
  });

  it('iMessage has no disappearing messages (DISAPPEARING_UNSUPPORTED)', async () => {
    const chat = await s.freshChat(IMESSAGE);
    await apiError(client.chats.update(chat.id, { messageExpirySeconds: 86400 }), 422, 'DISAPPEARING_UNSUPPORTED');
  });
});

// ---------------------------------------------------------------- the clock itself

describe('the simulated clock', () => {
  it('advances, freezes, resumes and resets', async () => {
    const start = await s.control<{ now: string; frozen: boolean; offsetSeconds: number }>('GET', '/sandbox/v1/clock');
    expect(start).toMatchObject({ frozen: false, offsetSeconds: 0 });
    expect(Math.abs(Date.parse(start.now) - Date.now())).toBeLessThan(5_000);

    const ahead = await advance(3 * 86400);
    expect(ahead.offsetSeconds).toBe(3 * 86400);

    const frozen = await s.control<{ now: string; frozen: boolean }>('POST', '/sandbox/v1/clock', { freeze: true });
    expect(frozen.frozen).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect((await s.control<{ now: string }>('GET', '/sandbox/v1/clock')).now).toBe(frozen.now);
    // Sends made now carry the frozen simulated time.
    const chat = await s.freshChat(WHATSAPP);
    const m = await s.sendConfirmed(chat.id, { text: 'stamped by the frozen clock' });
    expect(m.timestamp).toBe(frozen.now);

    const moved = await s.control<{ now: string; frozen: boolean }>('POST', '/sandbox/v1/clock', { advanceSeconds: 60 });
    expect(Date.parse(moved.now) - Date.parse(frozen.now)).toBe(60_000);
    const resumed = await s.control<{ now: string; frozen: boolean }>('POST', '/sandbox/v1/clock', { freeze: false });
    expect(resumed.frozen).toBe(false);
    expect(Date.parse(resumed.now)).toBeGreaterThanOrEqual(Date.parse(moved.now));
  });
});
