import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChatCapabilities } from '../../../src/core/schemas/capabilities.ts';
import { buildDemoInbox, generateMessageText, generateReply, type DemoAccount, type DemoChat } from '../../../src/networks/sandbox/corpus.ts';
import { makeGif, makeOggVoice, makePdf, makePng } from '../../../src/networks/sandbox/media.ts';
import { DEFAULT_DEMO_PROFILES, SANDBOX_PROFILES, type ProfileKey } from '../../../src/networks/sandbox/profiles.ts';
import { createRng } from '../../../src/networks/sandbox/rng.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const SEEDS = [1, 42, 20250601];
const TAPBACKS = ['❤️', '👍', '👎', '😂', '‼️', '❓'];

const inboxes = new Map(SEEDS.map((seed) => [seed, buildDemoInbox({ seed, now: NOW })]));
const inbox = (seed: number) => inboxes.get(seed)!;
const everyAccount = (): [number, DemoAccount][] => SEEDS.flatMap((s) => inbox(s).map((a) => [s, a] as [number, DemoAccount]));
const everyChat = (): DemoChat[] => everyAccount().flatMap(([, a]) => a.chats);

/** The run of messages from others at the end of a chat, after its last own message. */
function trailingFromOthers(chat: DemoChat): number {
  let n = 0;
  for (let i = chat.messages.length - 1; i >= 0 && chat.messages[i]!.senderKey !== 'self'; i--) n++;
  return n;
}

function chatlessPeople(account: DemoAccount) {
  const inChats = new Set(account.chats.flatMap((c) => c.participantKeys));
  return account.people.filter((p) => !inChats.has(p.key));
}

describe('rng', () => {
  it('repeats for a seed and stays in range', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 200 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 200 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const r = createRng(8);
    for (let i = 0; i < 500; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
  });

  it('forks independently of how much the parent has been used', () => {
    const a = createRng(9);
    const b = createRng(9);
    b.next();
    b.next();
    expect(a.fork('x').next()).toBe(b.fork('x').next());
    expect(a.fork('x').next()).not.toBe(a.fork('y').next());
  });

  it('shuffles in place and picks by weight', () => {
    const r = createRng(3);
    const arr = [1, 2, 3, 4, 5, 6];
    expect(r.shuffle(arr)).toBe(arr);
    expect([...arr].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 50; i++) expect(r.weighted([{ value: 'a', weight: 0 }, { value: 'b', weight: 1 }])).toBe('b');
  });
});

describe('profiles', () => {
  it('declares the documented limits', () => {
    const im = SANDBOX_PROFILES.imessage.capabilities('single');
    expect(im.allowedReactions).toEqual(TAPBACKS);
    expect(im.customEmojiReactions).toBe(false);
    expect(im.formatting).toBeUndefined();
    expect(SANDBOX_PROFILES.signal.capabilities('single').maxTextLength).toBe(2000);
    expect(SANDBOX_PROFILES.signal.messageRequest).toEqual({ acceptWithMessage: 1, acceptWithButton: 2 });
    expect(SANDBOX_PROFILES.signal.capabilities('single').messageRequest).toBeUndefined(); // only request chats carry it
    const wa = SANDBOX_PROFILES.whatsapp.capabilities('group');
    expect(wa.editMaxAge).toBe(900);
    expect(wa.deleteMaxAge).toBe(172800);
    expect(wa.disappearingTimer?.timers).toEqual([86400000, 604800000, 7776000000]);
    expect(wa.participantActions).toEqual({ invite: 2, kick: 2, leave: 2 });
    expect(SANDBOX_PROFILES.whatsapp.capabilities('single').participantActions).toBeUndefined();
    expect(SANDBOX_PROFILES.telegram.capabilities('single').attachments?.['m.image']?.maxSize).toBe(10 * 1024 * 1024);
  });

  it('produces capabilities that satisfy the API schema', () => {
    for (const p of Object.values(SANDBOX_PROFILES)) {
      for (const type of ['single', 'group'] as const) expect(ChatCapabilities.safeParse(p.capabilities(type)).success).toBe(true);
    }
  });

  it('offers Notify Anyway only on iMessage', () => {
    expect(SANDBOX_PROFILES.imessage.notifyAnyway).toBe(true);
    expect(SANDBOX_PROFILES.whatsapp.notifyAnyway).toBe(false);
    for (const key of Object.keys(SANDBOX_PROFILES) as ProfileKey[]) {
      expect(SANDBOX_PROFILES[key].key).toBe(key);
      expect(SANDBOX_PROFILES[key].notifyAnyway).toBe(key === 'imessage');
    }
  });

  it('returns a fresh capabilities object on every call', () => {
    for (const p of Object.values(SANDBOX_PROFILES)) {
      const first = p.capabilities('group');
      const pristine = structuredClone(first);
      first.maxTextLength = 1;
      first.allowedReactions?.push('🦄');
      if (first.attachments?.['m.image']) first.attachments['m.image'].mimeTypes['x/y'] = 2;
      if (first.state?.title) first.state.title.level = -2;
      expect(p.capabilities('group')).toEqual(pristine);
    }
  });
});

describe('demo inbox', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(buildDemoInbox({ seed: 42, now: NOW })).toEqual(inbox(42));
    expect(inbox(1)).not.toEqual(inbox(42));
  });

  it('shifts with `now` but keeps the same content', () => {
    const later = buildDemoInbox({ seed: 42, now: NOW + 3_600_000 });
    const a = inbox(42)[0]!.chats[0]!.messages[0]!;
    const b = later[0]!.chats[0]!.messages[0]!;
    expect(b.timestamp - a.timestamp).toBe(3_600_000);
    expect(b.text).toBe(a.text);
  });

  it('has the expected shape and size', () => {
    for (const seed of SEEDS) {
      const accounts = inbox(seed);
      expect(accounts.map((a) => a.profile)).toEqual(DEFAULT_DEMO_PROFILES);
      const total = accounts.reduce((n, a) => n + a.chats.reduce((m, c) => m + c.messages.length, 0), 0);
      expect(total).toBeGreaterThanOrEqual(3000);
      expect(total).toBeLessThanOrEqual(6000);
      for (const a of accounts) {
        expect(a.chats.length).toBeGreaterThanOrEqual(12);
        expect(a.chats.length).toBeLessThanOrEqual(20);
        const groups = a.chats.filter((c) => c.type === 'group');
        expect(groups.length).toBeGreaterThanOrEqual(3);
        expect(groups.length).toBeLessThanOrEqual(5);
        for (const g of groups) {
          expect(g.title).toBeTruthy();
          expect(g.participantKeys.length).toBeGreaterThanOrEqual(3);
          expect(g.participantKeys.length).toBeLessThanOrEqual(12);
        }
        expect(a.people.length).toBeGreaterThanOrEqual(25);
        expect(a.people.length).toBeLessThanOrEqual(40);
        expect(chatlessPeople(a).length).toBeGreaterThanOrEqual(5);
        expect(a.chats.filter((c) => c.isArchived).length).toBe(1);
        expect(a.chats.filter((c) => c.isLowPriority).length).toBe(1);
        expect(a.chats.filter((c) => c.isPinned).length).toBeGreaterThanOrEqual(1);
        expect(a.chats.filter((c) => c.isMuted).length).toBeGreaterThanOrEqual(2);
      }
      // Power-law-ish: a few long chats, several short ones.
      const sizes = accounts.flatMap((a) => a.chats.map((c) => c.messages.length));
      expect(sizes.filter((n) => n >= 200).length).toBeGreaterThanOrEqual(2);
      expect(sizes.filter((n) => n <= 30).length).toBeGreaterThanOrEqual(10);
    }
  });

  it('uses unique, ID-safe keys and network-style identifiers', () => {
    for (const [, a] of everyAccount()) {
      const keys = a.people.map((p) => p.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.every((k) => /^[a-z0-9_]+$/.test(k))).toBe(true);
      expect(new Set(a.chats.map((c) => c.key)).size).toBe(a.chats.length);
      for (const p of a.people) {
        if (SANDBOX_PROFILES[a.profile].idStyle === 'phone') {
          expect(p.phoneNumber).toMatch(/^\+1555\d{7}$/);
          expect(p.key).toBe(p.phoneNumber!.slice(1));
        }
        if (a.profile === 'telegram') expect(p.username).toBe(`@${p.key}`);
      }
    }
    const names = everyAccount().flatMap(([, a]) => a.people.map((p) => p.fullName));
    expect(names.some((n) => n.normalize('NFD') !== n)).toBe(true);
  });

  it('keeps timestamps strictly ascending and within the last 60 days', () => {
    for (const chat of everyChat()) {
      for (let i = 1; i < chat.messages.length; i++) expect(chat.messages[i]!.timestamp).toBeGreaterThan(chat.messages[i - 1]!.timestamp);
      expect(chat.messages[0]!.timestamp).toBeGreaterThan(NOW - 61 * 86_400_000);
      expect(chat.messages.at(-1)!.timestamp).toBeLessThanOrEqual(NOW);
    }
    for (const [, a] of everyAccount()) expect(NOW - a.chats[0]!.messages.at(-1)!.timestamp).toBeLessThan(6 * 3_600_000);
  });

  it('sends only from participants, replies to earlier messages, and reacts once per person', () => {
    let messages = 0;
    let fromSelf = 0;
    for (const chat of everyChat()) {
      expect(chat.participantKeys[0]).toBe('self');
      const members = new Set(chat.participantKeys);
      const seen = new Set<string>();
      const problems: string[] = [];
      for (const m of chat.messages) {
        messages++;
        if (m.senderKey === 'self') fromSelf++;
        if (!members.has(m.senderKey)) problems.push(`${m.key}: sender ${m.senderKey} not in chat`);
        if (m.text === undefined && m.attachment === undefined) problems.push(`${m.key}: empty`);
        if (m.replyToKey !== undefined && !seen.has(m.replyToKey)) problems.push(`${m.key}: reply to unknown ${m.replyToKey}`);
        const senders = (m.reactions ?? []).map((r) => r.senderKey);
        if (new Set(senders).size !== senders.length) problems.push(`${m.key}: duplicate reactor`);
        if (senders.some((s) => !members.has(s))) problems.push(`${m.key}: reactor not in chat`);
        seen.add(m.key);
      }
      expect(problems).toEqual([]);
    }
    expect(fromSelf / messages).toBeGreaterThan(0.3);
    expect(fromSelf / messages).toBeLessThan(0.5);
  });

  it('reacts on iMessage only with tapbacks, and within the allowed list on Telegram', () => {
    for (const [, a] of everyAccount()) {
      const allowed = SANDBOX_PROFILES[a.profile].capabilities('single').allowedReactions;
      if (!allowed) continue;
      for (const c of a.chats) for (const m of c.messages) for (const r of m.reactions ?? []) expect(allowed).toContain(r.key);
    }
    const im = inbox(42).find((a) => a.profile === 'imessage')!;
    const keys = im.chats.flatMap((c) => c.messages.flatMap((m) => (m.reactions ?? []).map((r) => r.key)));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => TAPBACKS.includes(k))).toBe(true);
  });

  it('marks most iMessage DM partners as focused, and nobody elsewhere', () => {
    for (const [, a] of everyAccount()) {
      if (a.profile !== 'imessage') {
        expect(a.people.every((p) => p.focused === undefined)).toBe(true);
        continue;
      }
      const partners = a.chats.filter((c) => c.type === 'single').map((c) => a.people.find((p) => p.key === c.participantKeys[1])!);
      expect(partners.filter((p) => p.focused).length / partners.length).toBeGreaterThanOrEqual(0.6);
      expect(partners.some((p) => !p.focused) || partners.length < 3).toBe(true);
    }
  });

  it('counts unread messages as the trailing run from others', () => {
    for (const [, a] of everyAccount()) {
      expect(a.chats.filter((c) => c.unreadCount > 0).length).toBeGreaterThanOrEqual(2);
      for (const c of a.chats) {
        expect(c.unreadCount).toBeGreaterThanOrEqual(0);
        expect(c.unreadCount).toBeLessThanOrEqual(trailingFromOthers(c));
        if (c.unreadCount > 0) expect(c.unreadCount).toBe(trailingFromOthers(c));
        if (c.isArchived) expect(c.unreadCount).toBe(0);
      }
    }
  });

  it('includes small attachments of several kinds', () => {
    const attachments = everyChat().flatMap((c) => c.messages.flatMap((m) => (m.attachment ? [m.attachment] : [])));
    expect(attachments.length).toBeGreaterThan(30);
    expect(attachments.every((a) => a.bytes.length > 0 && a.bytes.length < 4096)).toBe(true);
    expect(new Set(attachments.map((a) => a.kind))).toEqual(new Set(['image', 'file', 'voice', 'gif']));
  });

  it('builds other profiles and a subset on request', () => {
    const accounts = buildDemoInbox({ seed: 5, now: NOW, profiles: ['slack', 'discord'] });
    expect(accounts.map((a) => a.profile)).toEqual(['slack', 'discord']);
    expect(accounts[1]!.people.every((p) => /^\d{18}$/.test(p.key))).toBe(true);
  });
});

describe('text', () => {
  it('generates plausible, deterministic text', () => {
    const a = createRng(11);
    const b = createRng(11);
    for (let i = 0; i < 100; i++) {
      const t = generateMessageText(a);
      expect(t).toBe(generateMessageText(b));
      expect(t.length).toBeGreaterThan(0);
      expect(t).not.toMatch(/\{\w+\}/);
    }
    const all = Array.from({ length: 2000 }, () => generateMessageText(a)).join('\n');
    for (const needle of ['café', 'naïve', 'résumé', 'https://example.', '**']) expect(all).toContain(needle);
  });

  it('replies in context', () => {
    const r = createRng(12);
    expect(['anytime!', 'no problem 😊', 'of course!', 'happy to help']).toContain(generateReply(r, 'Thanks for yesterday'));
    for (let i = 0; i < 50; i++) expect(generateReply(r, i % 2 ? undefined : 'are you coming?').length).toBeGreaterThan(0);
  });

  it('strips Markdown on networks without rich text', () => {
    const im = inbox(42).find((a) => a.profile === 'imessage')!;
    expect(im.chats.some((c) => c.messages.some((m) => m.text?.includes('**')))).toBe(false);
  });
});

describe('media', () => {
  it('makes a real PNG of the requested size', () => {
    const r = createRng(1);
    for (const [w, h] of [[320, 240], [17, 5], [1, 1]] as const) {
      const png = makePng(r, w, h);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      expect(new TextDecoder().decode(png.subarray(12, 16))).toBe('IHDR');
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([w, h]);
      // Walk the chunks: the image data must inflate to exactly one filter byte plus packed pixels per row.
      const idat: Uint8Array[] = [];
      let o = 8;
      const types: string[] = [];
      while (o < png.length) {
        const len = view.getUint32(o);
        const type = new TextDecoder().decode(png.subarray(o + 4, o + 8));
        types.push(type);
        if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
        o += 12 + len;
      }
      expect(types).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
      expect(inflateSync(Buffer.concat(idat)).length).toBe((Math.ceil(w / 4) + 1) * h);
    }
  });

  it('makes a GIF, an Ogg voice note and a PDF with the right signatures', () => {
    const r = createRng(2);
    const gif = makeGif(r, 96, 64);
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
    expect(gif.at(-1)).toBe(0x3b);
    const ogg = makeOggVoice(r, 10);
    expect(new TextDecoder().decode(ogg.subarray(0, 4))).toBe('OggS');
    expect(new TextDecoder().decode(ogg.subarray(28, 36))).toBe('OpusHead');
    const pdf = new TextDecoder().decode(makePdf(r, 'Résumé (draft)'));
    expect(pdf.startsWith('%PDF-1.4')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(makePng(createRng(5), 10, 10)).toEqual(makePng(createRng(5), 10, 10));
  });
});
