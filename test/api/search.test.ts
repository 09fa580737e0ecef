// Search: GET /v1/messages/search, /v1/chats/search and the unified /v1/search.
// The whole demo inbox is read once through the API (chats.list, messages.list);
// the expected results of each search are computed from that copy, and the words
// searched for are picked from it, so nothing depends on the corpus's wording.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, codeOf } from '../helpers/expect.ts';

type Chat = BeeperDesktop.Chat;
type Message = BeeperDesktop.Message;
type SearchParams = BeeperDesktop.MessageSearchParams;
type ChatSearchParams = BeeperDesktop.ChatSearchParams;

let s: TestServer;
let messages: Message[];

/** Case and accents ignored, as the API promises. */
const fold = (t: string) => t.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
const tokens = (t: string | undefined): string[] => (t ? fold(t).match(/[\p{L}\p{N}]+/gu) ?? [] : []);
const sorted = (xs: string[]): string[] => [...xs].sort();
const idsOf = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

async function allChats(): Promise<Chat[]> {
  const out: Chat[] = [];
  for await (const c of s.client.chats.list()) out.push(c);
  return out;
}
async function chatsByID(): Promise<Map<string, Chat>> {
  return new Map((await allChats()).map((c) => [c.id, c]));
}

/** "All words in any order, the last one also as a prefix." */
function textMatches(text: string | undefined, query: string): boolean {
  const q = tokens(query);
  const have = tokens(text);
  return q.every((w, i) => (i === q.length - 1 ? have.some((h) => h.startsWith(w)) : have.includes(w)));
}

/** What messages.search should find, by default filters (low-priority chats left out). */
function expected(chats: Map<string, Chat>, filter: (m: Message, c: Chat) => boolean, opts: { excludeLowPriority?: boolean; includeMuted?: boolean } = {}): string[] {
  const { excludeLowPriority = true, includeMuted = true } = opts;
  return messages
    .filter((m) => {
      const c = chats.get(m.chatID)!;
      if (excludeLowPriority && c.isLowPriority) return false;
      if (!includeMuted && c.isMuted) return false;
      return filter(m, c);
    })
    .map((m) => m.id);
}

/** Every page of a message search, walked with oldestCursor; checks the paging invariants. */
async function searchAll(params: SearchParams): Promise<Message[]> {
  const out: Message[] = [];
  let page = await s.client.messages.search(params);
  for (let i = 0; ; i++) {
    expect(page.items.length).toBeLessThanOrEqual(params.limit ?? 20);
    out.push(...page.items);
    if (!page.hasMore) break;
    expect(page.items.length).toBeGreaterThan(0);
    expect(i).toBeLessThan(500);
    page = await s.client.messages.search({ ...params, cursor: page.oldestCursor!, direction: 'before' });
  }
  const ids = idsOf(out);
  expect(new Set(ids).size, 'no message twice').toBe(ids.length);
  for (let i = 1; i < out.length; i++) expect(Date.parse(out[i - 1]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(out[i]!.timestamp));
  return out;
}

async function searchIDs(params: SearchParams): Promise<string[]> {
  return sorted(idsOf(await searchAll(params)));
}

async function chatSearch(params: ChatSearchParams): Promise<Chat[]> {
  const out: Chat[] = [];
  for await (const c of s.client.chats.search({ limit: 200, ...params })) out.push(c);
  for (let i = 1; i < out.length; i++) expect(Date.parse(out[i - 1]!.lastActivity!)).toBeGreaterThanOrEqual(Date.parse(out[i]!.lastActivity!));
  return out;
}

/** Documents that contain a token, by folded token. */
function tokenIndex(ms: Message[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const m of ms) for (const w of new Set(tokens(m.text))) (index.get(w) ?? index.set(w, new Set()).get(w)!).add(m.id);
  return index;
}

let index: Map<string, Set<string>>;
/** A plain word in a moderate number of messages. */
let word: string;

beforeAll(async () => {
  s = await startTestServer();
  const chats = await allChats();
  messages = [];
  await Promise.all(
    chats.map(async (c) => {
      for await (const m of s.client.messages.list(c.id)) messages.push(m);
    }),
  );
  expect(messages.length).toBeGreaterThan(500);
  index = tokenIndex(messages);
  const candidates = [...index.entries()]
    .filter(([w, ids]) => /^[a-z]{5,}$/.test(w) && ids.size >= 5 && ids.size <= 60)
    .filter(([w]) => ![...index.keys()].some((k) => k !== w && k.startsWith(w)))
    .sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]));
  expect(candidates.length).toBeGreaterThan(0);
  word = candidates[0]![0];
}, 60_000);
afterAll(async () => s?.stop());

describe('messages.search: text', () => {
  it('finds the messages containing a word, newest first, and nothing else', async () => {
    const chats = await chatsByID();
    const found = await searchAll({ query: word });
    expect(found.length).toBeGreaterThan(0);
    for (const m of found) expect(tokens(m.text)).toContain(word);
    expect(sorted(idsOf(found))).toEqual(sorted(expected(chats, (m) => textMatches(m.text, word))));
  });

  it('matches all words, in any order', async () => {
    const chats = await chatsByID();
    // Two words that occur together in some message, but each also without the other.
    const pair = (() => {
      for (const m of messages) {
        const ws = [...new Set(tokens(m.text))].filter((w) => /^[a-z]{4,}$/.test(w) && index.get(w)!.size >= 3);
        for (const a of ws) for (const b of ws) if (a < b && index.get(a)!.size !== index.get(b)!.size && !chats.get(m.chatID)!.isLowPriority) return { a, b, m };
      }
      return undefined;
    })();
    expect(pair).toBeDefined();
    const { a, b, m } = pair!;
    const ab = await searchIDs({ query: `${a} ${b}` });
    const ba = await searchIDs({ query: `${b} ${a}` });
    expect(ab).toContain(m.id);
    expect(ba).toContain(m.id);
    expect(ab).toEqual(sorted(expected(chats, (x) => textMatches(x.text, `${a} ${b}`))));
    expect(ba).toEqual(sorted(expected(chats, (x) => textMatches(x.text, `${b} ${a}`))));
    // Fewer than either word alone: both are required.
    expect(ab.length).toBeLessThan(Math.max(index.get(a)!.size, index.get(b)!.size));
  });

  it('ignores case', async () => {
    const lower = await searchIDs({ query: word });
    expect(await searchIDs({ query: word.toUpperCase() })).toEqual(lower);
    expect(await searchIDs({ query: word[0]!.toUpperCase() + word.slice(1) })).toEqual(lower);
  });

  it('folds diacritics: the word without accents, with accents and in capitals finds the same messages', async () => {
    const chats = await chatsByID();
    // The most frequent accented word of the inbox, e.g. "café".
    const accented = new Map<string, number>();
    for (const m of messages) {
      for (const raw of new Set((m.text ?? '').toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? [])) {
        if (fold(raw) !== raw && /^[a-z]{3,}$/.test(fold(raw))) accented.set(raw, (accented.get(raw) ?? 0) + 1);
      }
    }
    const [raw] = [...accented.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const plain = fold(raw);
    const want = sorted(expected(chats, (m) => textMatches(m.text, plain)));
    expect(want.length).toBeGreaterThan(0);
    expect(await searchIDs({ query: plain })).toEqual(want);
    expect(await searchIDs({ query: raw })).toEqual(want);
    expect(await searchIDs({ query: raw.toUpperCase() })).toEqual(want);
    const found = await searchAll({ query: plain, limit: 20 });
    expect(found.some((m) => (m.text ?? '').toLowerCase().includes(raw)), `"${plain}" finds "${raw}"`).toBe(true);
  });

  it('matches the last word as a prefix, but not the earlier ones', async () => {
    const chats = await chatsByID();
    // A long word whose first five letters are not a word of their own (like "croiss" for "croissants").
    const long = [...index.entries()]
      .filter(([w, ids]) => /^[a-z]{8,}$/.test(w) && !index.has(w.slice(0, 5)) && [...ids].some((id) => !chats.get(messages.find((m) => m.id === id)!.chatID)!.isLowPriority))
      .sort((a, b) => a[1].size - b[1].size)
      .find(([, ids]) => ids.size >= 2);
    expect(long).toBeDefined();
    const [full, withFull] = long!;
    const prefix = full.slice(0, 5);
    const found = await searchAll({ query: prefix });
    for (const m of found) expect(tokens(m.text).some((w) => w.startsWith(prefix))).toBe(true);
    const ids = sorted(idsOf(found));
    expect(ids).toEqual(sorted(expected(chats, (m) => textMatches(m.text, prefix))));
    const m = messages.find((x) => withFull.has(x.id) && !chats.get(x.chatID)!.isLowPriority)!;
    expect(ids).toContain(m.id);

    // Another word of that message: as last word the prefix still works, as first word it must be whole.
    const other = tokens(m.text).find((w) => w !== full && w.length >= 2 && !w.startsWith(prefix))!;
    expect(other).toBeDefined();
    expect(await searchIDs({ query: `${other} ${prefix}` })).toContain(m.id);
    const prefixFirst = await searchAll({ query: `${prefix} ${other}` });
    expect(idsOf(prefixFirst)).not.toContain(m.id);
    for (const x of prefixFirst) expect(tokens(x.text)).toContain(prefix);
  });
});

describe('messages.search: filters', () => {
  it('chatIDs limits to those chats, by ID or by localChatID', async () => {
    const chats = await chatsByID();
    const small = [...chats.values()].filter((c) => !c.isLowPriority && messages.filter((m) => m.chatID === c.id).length <= 60).slice(0, 2);
    expect(small).toHaveLength(2);
    const want = sorted(expected(chats, (m) => small.some((c) => c.id === m.chatID)));
    expect(want.length).toBeGreaterThan(0);
    expect(await searchIDs({ chatIDs: small.map((c) => c.id) })).toEqual(want);
    expect(await searchIDs({ chatIDs: small.map((c) => c.localChatID!) })).toEqual(want);
    expect(await searchIDs({ chatIDs: [small[0]!.id, small[1]!.localChatID!] })).toEqual(want);
  });

  it('accountIDs limits to those accounts', async () => {
    const chats = await chatsByID();
    const accountID = messages.find((m) => tokens(m.text).includes(word))!.accountID;
    const found = await searchAll({ query: word, accountIDs: [accountID] });
    for (const m of found) expect(m.accountID).toBe(accountID);
    expect(sorted(idsOf(found))).toEqual(sorted(expected(chats, (m) => m.accountID === accountID && textMatches(m.text, word))));
  });

  it("chatType 'group' and 'single'", async () => {
    const chats = await chatsByID();
    for (const chatType of ['group', 'single'] as const) {
      const got = await searchIDs({ query: word, chatType });
      expect(got).toEqual(sorted(expected(chats, (m, c) => c.type === chatType && textMatches(m.text, word))));
    }
    const groups = await searchIDs({ query: word, chatType: 'group' });
    const singles = await searchIDs({ query: word, chatType: 'single' });
    expect(sorted([...groups, ...singles])).toEqual(await searchIDs({ query: word }));
  });

  it("mediaTypes ['image'] finds messages with an image, ['any'] those with any media or a link", async () => {
    const chats = await chatsByID();
    const images = await searchAll({ mediaTypes: ['image'] });
    expect(images.length).toBeGreaterThan(0);
    for (const m of images) expect(m.attachments?.some((a) => a.mimeType?.startsWith('image/'))).toBe(true);
    expect(sorted(idsOf(images))).toEqual(sorted(expected(chats, (m) => !!m.attachments?.some((a) => a.mimeType?.startsWith('image/')))));

    const accountID = images[0]!.accountID;
    const any = await searchAll({ mediaTypes: ['any'], accountIDs: [accountID] });
    const hasMedia = (m: Message) => !!m.attachments?.length || /\bhttps?:\/\/\S+/i.test(m.text ?? '');
    for (const m of any) expect(hasMedia(m)).toBe(true);
    expect(sorted(idsOf(any))).toEqual(sorted(expected(chats, (m) => m.accountID === accountID && hasMedia(m))));
    expect(any.some((m) => !m.attachments?.length)).toBe(true); // links count as media
  });

  it("sender 'me', 'others' and a user ID", async () => {
    const chats = await chatsByID();
    const me = await searchAll({ query: word, sender: 'me' });
    for (const m of me) expect(m.isSender).toBe(true);
    expect(sorted(idsOf(me))).toEqual(sorted(expected(chats, (m) => !!m.isSender && textMatches(m.text, word))));
    const others = await searchAll({ query: word, sender: 'others' });
    for (const m of others) expect(m.isSender ?? false).toBe(false);
    expect(sorted(idsOf(others))).toEqual(sorted(expected(chats, (m) => !m.isSender && textMatches(m.text, word))));

    // The person with the fewest (but some) messages outside low-priority chats.
    const counts = new Map<string, number>();
    for (const id of expected(chats, (m) => !m.isSender)) {
      const m = messages.find((x) => x.id === id)!;
      counts.set(m.senderID, (counts.get(m.senderID) ?? 0) + 1);
    }
    const [senderID] = [...counts.entries()].filter(([, n]) => n >= 3).sort((a, b) => a[1] - b[1])[0]!;
    const theirs = await searchAll({ sender: senderID });
    for (const m of theirs) expect(m.senderID).toBe(senderID);
    expect(sorted(idsOf(theirs))).toEqual(sorted(expected(chats, (m) => m.senderID === senderID)));
  });

  it('dateAfter and dateBefore are strict bounds', async () => {
    const chats = await chatsByID();
    const chat = [...chats.values()].find((c) => !c.isLowPriority && messages.filter((m) => m.chatID === c.id).length >= 10 && messages.filter((m) => m.chatID === c.id).length <= 80)!;
    expect(chat).toBeDefined();
    const own = messages.filter((m) => m.chatID === chat.id);
    const pivot = own[Math.floor(own.length / 2)]!;
    const T = Date.parse(pivot.timestamp);
    const iso = (ms: number) => new Date(ms).toISOString();

    const after = await searchIDs({ chatIDs: [chat.id], dateAfter: pivot.timestamp });
    expect(after).not.toContain(pivot.id);
    expect(after).toEqual(sorted(own.filter((m) => Date.parse(m.timestamp) > T).map((m) => m.id)));
    const before = await searchIDs({ chatIDs: [chat.id], dateBefore: pivot.timestamp });
    expect(before).not.toContain(pivot.id);
    expect(before).toEqual(sorted(own.filter((m) => Date.parse(m.timestamp) < T).map((m) => m.id)));
    const window = await searchIDs({ chatIDs: [chat.id], dateAfter: iso(T - 1), dateBefore: iso(T + 1) });
    expect(window).toContain(pivot.id);
    expect(window).toEqual(sorted(own.filter((m) => Math.abs(Date.parse(m.timestamp) - T) < 1).map((m) => m.id)));
    // Offsets are understood: the same instant written in another zone.
    const shifted = new Date(T + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect(Date.parse(shifted)).toBe(T);
    expect(await searchIDs({ chatIDs: [chat.id], dateAfter: shifted })).toEqual(after);
  });

  it('excludeLowPriority defaults to true: a chat made low priority disappears and comes back with false', async () => {
    const chats = await chatsByID();
    const chat = [...chats.values()].find((c) => !c.isLowPriority && !c.isMuted && c.type === 'single' && messages.some((m) => m.chatID === c.id && tokens(m.text).length))!;
    const m = messages.find((x) => x.chatID === chat.id && tokens(x.text).length)!;
    const query = tokens(m.text).slice(0, 2).join(' ');
    expect(await searchIDs({ query, chatIDs: [chat.id] })).toContain(m.id);

    await s.client.chats.update(chat.id, { isLowPriority: true });
    try {
      expect(await searchIDs({ query, chatIDs: [chat.id] })).toEqual([]);
      expect(await searchIDs({ query })).not.toContain(m.id);
      expect(await searchIDs({ query, chatIDs: [chat.id], excludeLowPriority: false })).toContain(m.id);
      expect(await searchIDs({ query, excludeLowPriority: false })).toContain(m.id);
    } finally {
      await s.client.chats.update(chat.id, { isLowPriority: false });
    }
    expect(await searchIDs({ query, chatIDs: [chat.id] })).toContain(m.id);

    // The demo inbox's own low-priority chats are left out too.
    const low = [...chats.values()].find((c) => c.isLowPriority && messages.some((x) => x.chatID === c.id));
    if (low) {
      expect(await searchIDs({ chatIDs: [low.id] })).toEqual([]);
      expect((await s.client.messages.search({ chatIDs: [low.id], excludeLowPriority: false })).items.length).toBeGreaterThan(0);
    }
  });

  it('includeMuted=false leaves muted chats out (included by default)', async () => {
    const chats = await chatsByID();
    const muted = [...chats.values()].find((c) => c.isMuted && !c.isLowPriority)!;
    expect(muted).toBeDefined();
    expect((await s.client.messages.search({ chatIDs: [muted.id] })).items.length).toBeGreaterThan(0);
    expect((await s.client.messages.search({ chatIDs: [muted.id], includeMuted: true })).items.length).toBeGreaterThan(0);
    expect((await s.client.messages.search({ chatIDs: [muted.id], includeMuted: false })).items).toEqual([]);
    expect(await searchIDs({ query: word, includeMuted: false })).toEqual(sorted(expected(chats, (m) => textMatches(m.text, word), { includeMuted: false })));
  });

  it('limit is 1 to 20: 21 and 0 are 400', async () => {
    const five = await s.client.messages.search({ limit: 5 });
    expect(five.items).toHaveLength(5);
    expect(five.hasMore).toBe(true);
    const def = await s.client.messages.search({});
    expect(def.items).toHaveLength(20);
    const twenty = await s.client.messages.search({ limit: 20 });
    expect(idsOf(twenty.items)).toEqual(idsOf(def.items));
    for (const limit of [21, 0, -1]) {
      const err = await apiError(s.client.messages.search({ limit }));
      expect(err.status, String(limit)).toBe(400);
    }
  });

  it('the chats map holds exactly the chats of the listed messages', async () => {
    for (const params of [{ query: word }, {}, { mediaTypes: ['image'] as Array<'image'> }]) {
      const res = await s.client.messages.search(params).asResponse();
      const body = (await res.json()) as { items: Message[]; chats: Record<string, Chat> };
      expect(body.items.length).toBeGreaterThan(0);
      expect(sorted(Object.keys(body.chats))).toEqual(sorted([...new Set(body.items.map((m) => m.chatID))]));
      for (const [id, chat] of Object.entries(body.chats)) expect(chat.id).toBe(id);
    }
  });

  it('pages through all results with oldestCursor and back with newestCursor', async () => {
    const chats = await chatsByID();
    // A word in a few dozen messages: several pages of 7.
    const query = [...index.entries()].filter(([w, ids]) => /^[a-z]{3,}$/.test(w) && ids.size >= 40 && ids.size <= 120).sort((a, b) => a[1].size - b[1].size)[0]![0];
    const all = await searchAll({ query, limit: 7 });
    expect(all.length).toBeGreaterThan(14);
    expect(sorted(idsOf(all))).toEqual(sorted(expected(chats, (m) => textMatches(m.text, query))));

    // Through the SDK's own paging as well.
    const viaSDK: string[] = [];
    for await (const m of s.client.messages.search({ query, limit: 20 })) viaSDK.push(m.id);
    expect(viaSDK).toEqual(idsOf(await searchAll({ query, limit: 20 })));

    const first = await s.client.messages.search({ query, limit: 7 });
    const second = await s.client.messages.search({ query, limit: 7, cursor: first.oldestCursor!, direction: 'before' });
    const back = await s.client.messages.search({ query, limit: 7, cursor: second.newestCursor!, direction: 'after' });
    expect(idsOf(back.items)).toEqual(idsOf(first.items));
  });

  it('rejects a forged cursor with 400 INVALID_CURSOR', async () => {
    const chatsCursor = (await s.client.chats.list()).oldestCursor!;
    const forged = Buffer.from(JSON.stringify(['search', 'x', 1])).toString('base64url');
    for (const cursor of ['not-a-cursor', chatsCursor, forged, 'eyJhIjoxfQ']) {
      const err = await apiError(s.client.messages.search({ query: word, cursor, direction: 'before' }));
      expect(err.status, cursor).toBe(400);
      expect(codeOf(err)).toBe('INVALID_CURSOR');
    }
  });
});

describe('chats.search', () => {
  const titleText = (c: Chat) => fold(`${c.title} ${c.network}`);

  it("scope 'titles' matches the network name (e.g. 'whatsapp' finds the WhatsApp chats)", async () => {
    const chats = await allChats();
    for (const network of [...new Set(chats.map((c) => c.network))]) {
      const q = network.toLowerCase();
      const found = await chatSearch({ query: q });
      const ofNetwork = chats.filter((c) => c.network === network);
      expect(found.length).toBeGreaterThanOrEqual(ofNetwork.length);
      for (const c of ofNetwork) expect(idsOf(found)).toContain(c.id);
      for (const c of found) expect(titleText(c)).toContain(fold(q));
    }
  });

  it("scope 'titles' matches words of the title, all of them, ignoring case and accents", async () => {
    const chats = await allChats();
    const group = chats.find((c) => c.type === 'group' && tokens(c.title).filter((w) => w.length >= 3).length >= 2)!;
    const [a, b] = tokens(group.title).filter((w) => w.length >= 3);
    const want = (q: string) => sorted(idsOf(chats.filter((c) => tokens(q).every((w) => titleText(c).includes(w)))));
    expect(sorted(idsOf(await chatSearch({ query: a!.toUpperCase() })))).toEqual(want(a!));
    const both = await chatSearch({ query: `${b} ${a}`, scope: 'titles' });
    expect(idsOf(both)).toContain(group.id);
    expect(sorted(idsOf(both))).toEqual(want(`${a} ${b}`));
    expect(await chatSearch({ query: `${a} zzqqxx` })).toEqual([]);
  });

  it("scope 'participants' matches member names, accents folded (e.g. 'jose' finds 'José')", async () => {
    const chats = await allChats();
    const memberText = (c: Chat) => c.participants.items.filter((p) => !p.isSelf).map((p) => fold([p.fullName, p.username, p.phoneNumber, p.email, p.id].filter(Boolean).join(' ')));
    // A first name with an accent that some group member has.
    const name = chats
      .filter((c) => c.type === 'group')
      .flatMap((c) => c.participants.items)
      .map((p) => p.fullName?.split(' ')[0] ?? '')
      .find((n) => fold(n) !== n.toLowerCase() && /^[a-z]{3,}$/.test(fold(n)));
    expect(name, 'a group member with an accented first name').toBeDefined();
    const q = fold(name!);
    const want = sorted(idsOf(chats.filter((c) => memberText(c).some((t) => t.includes(q)))));
    const found = await chatSearch({ query: q, scope: 'participants' });
    expect(found.some((c) => c.type === 'group')).toBe(true);
    expect(sorted(idsOf(found))).toEqual(want);
    expect(sorted(idsOf(await chatSearch({ query: name!, scope: 'participants' })))).toEqual(want);
    expect(sorted(idsOf(await chatSearch({ query: name!.toUpperCase(), scope: 'participants' })))).toEqual(want);

    // A group title is not a member name.
    const group = chats.find((c) => c.type === 'group' && tokens(c.title).some((w) => w.length >= 4 && !chats.some((x) => memberText(x).some((t) => t.includes(w)))))!;
    const titleWord = tokens(group.title).find((w) => w.length >= 4 && !chats.some((x) => memberText(x).some((t) => t.includes(w))))!;
    expect(idsOf(await chatSearch({ query: titleWord }))).toContain(group.id);
    expect(await chatSearch({ query: titleWord, scope: 'participants' })).toEqual([]);
  });

  it('inbox primary, low-priority and archive', async () => {
    const chats = await allChats();
    const cases = {
      primary: (c: Chat) => !c.isArchived && !c.isLowPriority,
      'low-priority': (c: Chat) => !!c.isLowPriority && !c.isArchived,
      archive: (c: Chat) => !!c.isArchived,
    } as const;
    for (const [inbox, pred] of Object.entries(cases) as Array<[keyof typeof cases, (c: Chat) => boolean]>) {
      const want = sorted(idsOf(chats.filter(pred)));
      expect(want.length, inbox).toBeGreaterThan(0);
      expect(sorted(idsOf(await chatSearch({ inbox })))).toEqual(want);
    }
  });

  it('unreadOnly, type single / group, accountIDs, includeMuted', async () => {
    const chats = await allChats();
    const check = async (params: ChatSearchParams, pred: (c: Chat) => boolean) => {
      const want = sorted(idsOf(chats.filter(pred)));
      expect(want.length, JSON.stringify(params)).toBeGreaterThan(0);
      expect(sorted(idsOf(await chatSearch(params))), JSON.stringify(params)).toEqual(want);
    };
    await check({ unreadOnly: true }, (c) => c.unreadCount > 0 || !!c.isMarkedUnread);
    await check({ unreadOnly: false }, () => true);
    await check({ type: 'single' }, (c) => c.type === 'single');
    await check({ type: 'group' }, (c) => c.type === 'group');
    await check({ type: 'any' }, () => true);
    const accountIDs = [...new Set(chats.map((c) => c.accountID))].slice(0, 2);
    await check({ accountIDs: [accountIDs[0]!] }, (c) => c.accountID === accountIDs[0]);
    await check({ accountIDs }, (c) => accountIDs.includes(c.accountID));
    await check({ includeMuted: false }, (c) => !c.isMuted);
    await check({ includeMuted: true }, () => true);
    await check({ type: 'group', includeMuted: false, unreadOnly: true }, (c) => c.type === 'group' && !c.isMuted && (c.unreadCount > 0 || !!c.isMarkedUnread));
  });

  it('lastActivityBefore and lastActivityAfter', async () => {
    const chats = await allChats();
    const pivot = chats[Math.floor(chats.length / 2)]!;
    const T = Date.parse(pivot.lastActivity!);
    const at = (c: Chat) => Date.parse(c.lastActivity!);
    const before = await chatSearch({ lastActivityBefore: pivot.lastActivity! });
    expect(sorted(idsOf(before))).toEqual(sorted(idsOf(chats.filter((c) => at(c) < T))));
    const after = await chatSearch({ lastActivityAfter: pivot.lastActivity! });
    expect(sorted(idsOf(after))).toEqual(sorted(idsOf(chats.filter((c) => at(c) > T))));
    expect(idsOf([...before, ...after])).not.toContain(pivot.id);
    const window = await chatSearch({ lastActivityAfter: new Date(T - 1).toISOString(), lastActivityBefore: new Date(T + 1).toISOString() });
    expect(idsOf(window)).toContain(pivot.id);
  });

  it('limit: 50 by default, 1 to 200, 0 and 201 are 400; pages without duplicates', async () => {
    const chats = await allChats();
    expect(chats.length).toBeGreaterThan(50);
    const def = await s.client.chats.search({});
    expect(def.items).toHaveLength(50);
    expect(def.hasMore).toBe(true);
    expect(idsOf(def.items)).toEqual(idsOf(chats.slice(0, 50)));
    const one = await s.client.chats.search({ limit: 1 });
    expect(idsOf(one.items)).toEqual([chats[0]!.id]);
    const max = await s.client.chats.search({ limit: 200 });
    expect(idsOf(max.items)).toEqual(idsOf(chats));
    expect(max.hasMore).toBe(false);
    for (const limit of [0, 201]) {
      const err = await apiError(s.client.chats.search({ limit }));
      expect(err.status, String(limit)).toBe(400);
    }
    const paged: string[] = [];
    for await (const c of s.client.chats.search({ limit: 9 })) paged.push(c.id);
    expect(paged).toEqual(idsOf(chats));
    for (const c of max.items) expect(c.participants.items.length).toBeLessThanOrEqual(20);
  });
});

describe('unified search', () => {
  it('results.chats: chats whose title or network matches', async () => {
    const chats = await allChats();
    const network = chats.find((c) => c.type === 'group')!.network;
    const { results } = await s.client.search({ query: network.toLowerCase() });
    const ofNetwork = chats.filter((c) => c.network === network);
    expect(results.chats.length).toBeGreaterThan(0);
    for (const c of results.chats) expect(fold(`${c.title} ${c.network}`)).toContain(fold(network));
    for (const c of ofNetwork.slice(0, results.chats.length)) expect(idsOf(results.chats)).toContain(c.id);
    for (const c of results.in_groups) expect(c.type).toBe('group');
  });

  it('results.in_groups: only groups, with a member whose name matches', async () => {
    const chats = await allChats();
    const groups = chats.filter((c) => c.type === 'group');
    const member = groups.flatMap((c) => c.participants.items).find((p) => !p.isSelf && p.fullName)!;
    const first = member.fullName!.split(' ')[0]!;
    const { results } = await s.client.search({ query: first });
    expect(results.in_groups.length).toBeGreaterThan(0);
    const want = groups.filter((g) => g.participants.items.some((p) => !p.isSelf && fold(p.fullName ?? '').includes(fold(first))));
    for (const c of results.in_groups) {
      expect(c.type).toBe('group');
      expect(c.participants.items.some((p) => !p.isSelf && fold([p.fullName, p.username, p.phoneNumber, p.email, p.id].join(' ')).includes(fold(first)))).toBe(true);
    }
    for (const g of want) expect(idsOf(results.in_groups)).toContain(g.id);
    // The one-to-one chat with that person can show among the chats (by title), never among the groups.
    expect(results.in_groups.every((c) => c.type === 'group')).toBe(true);
  });

  it('results.messages: the first page of the message search, with its chats', async () => {
    const { results } = await s.client.search({ query: word });
    const page = await s.client.messages.search({ query: word });
    expect(results.messages.items.length).toBeGreaterThan(0);
    expect(results.messages.items.length).toBeLessThanOrEqual(20);
    expect(idsOf(results.messages.items)).toEqual(idsOf(page.items));
    expect(results.messages.hasMore).toBe(page.hasMore);
    for (const m of results.messages.items) expect(tokens(m.text)).toContain(word);
    expect(sorted(Object.keys(results.messages.chats))).toEqual(sorted([...new Set(results.messages.items.map((m) => m.chatID))]));
  });

  it('requires a query: empty or missing is 400', async () => {
    const err = await apiError(s.client.search({ query: '' }));
    expect(err.status).toBe(400);
    expect(codeOf(err)).toBe('VALIDATION_ERROR');
    const res = await s.fetch('/v1/search');
    expect(res.status).toBe(400);
  });
});
