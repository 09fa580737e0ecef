// The sandbox's demo inbox: a believable, fully deterministic set of accounts,
// people, chats and messages derived from a seed and a reference time.
import { makeGif, makeOggVoice, makePdf, makePng } from './media.ts';
import { DEFAULT_DEMO_PROFILES, SANDBOX_PROFILES, type ProfileKey } from './profiles.ts';
import { createRng, type Rng } from './rng.ts';

export interface DemoPerson {
  /** Stable, ID-safe key within the account ([a-z0-9_]); 'self' for the account owner. */
  key: string;
  fullName: string;
  username?: string;
  phoneNumber?: string;
  email?: string;
  /** iMessage only: Focus (Do Not Disturb) is on. */
  focused?: boolean;
  /** Not in the user's contacts: wrote first through the control API. */
  stranger?: boolean;
}
export type DemoAttachmentKind = 'image' | 'gif' | 'voice' | 'file' | 'video' | 'audio' | 'sticker';
export interface DemoAttachment {
  kind: DemoAttachmentKind;
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
  width?: number;
  height?: number;
  /** Seconds. */
  duration?: number;
}
/** senderKey is a DemoPerson.key or 'self'. */
export interface DemoReaction {
  senderKey: string;
  key: string;
}
export interface DemoMessage {
  key: string;
  senderKey: string;
  /** Epoch milliseconds. */
  timestamp: number;
  text?: string;
  attachment?: DemoAttachment;
  replyToKey?: string;
  reactions?: DemoReaction[];
}
export interface DemoChat {
  key: string;
  type: 'single' | 'group';
  title?: string;
  /** Everyone in the chat, starting with 'self'. */
  participantKeys: string[];
  adminKeys?: string[];
  /** Oldest first. */
  messages: DemoMessage[];
  unreadCount: number;
  isMuted?: boolean;
  isPinned?: boolean;
  isArchived?: boolean;
  isLowPriority?: boolean;
}
export interface DemoAccount {
  profile: ProfileKey;
  self: DemoPerson;
  /** Everyone the owner knows on this network, including people with no chat yet. */
  people: DemoPerson[];
  /** Most recently active first. */
  chats: DemoChat[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------- vocabulary

const ACCENTED_FIRST = ['Zoë', 'José', 'Søren', 'Ana Lúcia', 'Björn', 'Chloé', 'François', 'Renée', 'Joaquín', 'Łukasz', 'Noémie', 'Jürgen', 'Åsa', 'Inés', 'Raphaël', 'Tomás', 'Mónica', 'Siân', 'Ciarán', 'Núria'];
const PLAIN_FIRST = ['Maya', 'Liam', 'Priya', 'Daniel', 'Hannah', 'Marcus', 'Aisha', 'Kenji', 'Olivia', 'Mateo', 'Grace', 'Samuel', 'Nadia', 'Ethan', 'Leila', 'Oscar', 'Ruth', 'Tariq', 'Emily', 'Felix', 'Yuki', 'Isabel', 'Jonah', 'Amara', 'Theo', 'Sofia', 'Arjun', 'Clara', 'Kwame', 'Ingrid', 'Diego', 'Mei', 'Lucas', 'Fatima', 'Noah', 'Elena', 'Hugo', 'Rosa', 'Omar', 'Nora', 'Ben', 'Julia'];
const LAST = ['García', 'Müller', 'Nguyen', 'Okafor', 'Kowalski', 'Johansson', 'Dubois', 'Rossi', 'Tanaka', 'Silva', 'Patel', 'Schmidt', "O'Brien", 'Haddad', 'Kim', 'Fernández', 'Larsen', 'Novak', 'Çelik', 'Ibrahim', 'Moreau', 'Brennan', 'Costa', 'Lindqvist', 'Yilmaz', 'Andersen', 'Bianchi', 'Mendes', 'Nakamura', 'Hughes', 'Park', 'Sørensen', 'Wójcik', 'Ramírez', 'Fischer', 'Chen', 'Adeyemi', 'Walsh', 'Petrov', 'Eriksson', 'Khan', 'Santos', 'Lefèvre', 'Byrne'];

const SOCIAL_GROUPS = ['Family 🏡', 'Book club 📚', 'Weekend hikes', 'Apartment 4B', 'Café crew ☕', 'Ski trip ⛷️', 'Pub quiz legends', 'Soccer Sundays ⚽', 'Wedding planning 💍', 'Neighbours', 'College friends', 'Band practice 🎸', 'Running club', 'Birthday surprise 🤫'];
const SLACK_CHANNELS = ['general', 'random', 'design-crit', 'eng-backend', 'launch-room', 'coffee-chat', 'oncall', 'product-feedback'];
const DISCORD_CHANNELS = ['general', 'memes', 'game-night', 'music-recs', 'build-log', 'screenshots', 'book-nook'];

const SLOTS: Record<string, readonly string[]> = {
  food: ['pizza', 'ramen', 'tacos', 'sushi', 'pho', 'curry', 'dumplings', 'falafel', 'pad thai', 'crêpes', 'paella', 'brunch', 'pierogi', 'jollof rice'],
  place: ['the café on Elm Street', 'the park', 'the station', 'the gym', 'the library', 'the farmers market', 'the office', 'the beach', 'the bakery', 'the usual spot', 'the north entrance'],
  day: ['tomorrow', 'tonight', 'this weekend', 'next week', 'on Friday', 'on Saturday', 'on Sunday', 'Monday', 'Thursday'],
  time: ['7', '7:30', '8pm', 'noon', '6ish', 'half past five', '10am', '9:15'],
  city: ['Lisbon', 'Kyoto', 'Montréal', 'Berlin', 'Mexico City', 'Reykjavík', 'Porto', 'Oaxaca', 'Copenhagen', 'São Paulo', 'Zürich', 'Kraków', 'Nairobi', 'Hanoi'],
  emoji: ['😂', '🙌', '👍', '❤️', '🎉', '😅', '🙏', '🔥', '☕', '😴', '🤔', '✨', '😎', '🥲'],
  thing: ['charger', 'umbrella', 'book', 'keys', 'jacket', 'headphones', 'water bottle', 'board game', 'sunglasses'],
  activity: ['the hike', 'the concert', 'yoga', 'climbing', 'the movie', 'trivia night', 'the game', 'the run', 'pottery class'],
  item: ['report', 'deck', 'budget', 'proposal', 'résumé', 'slides', 'invoice', 'draft', 'spreadsheet'],
  n: ['2', '5', '10', '15', '20', '3', '4'],
  link: [
    'https://example.com/recipes/shakshuka',
    'https://example.com/articles/sleep-better',
    'https://example.com/tickets/4821',
    'https://example.com/listing/cabin-by-the-lake',
    'https://example.com/photos/album-2291',
    'https://example.com/blog/naive-bayes-explained',
    'https://example.com/docs/q3-plan',
    'https://example.org/maps/trailhead?pin=42',
    'https://example.net/watch?v=sandbox',
  ],
};

const MESSAGES = [
  'hey! are we still on for {day}?',
  'running {n} min late, sorry {emoji}',
  'just landed in {city} {emoji}',
  'want to grab {food} {day}?',
  'can you send me the {item} when you get a chance?',
  'I left my {thing} at your place 🙈',
  'Meet at {place} at {time}?',
  'omw',
  'haha yes',
  'ok sounds good',
  'lol',
  '👍',
  'thank you so much!!',
  'did you see this? {link}',
  'this is **so** good, you have to try it: {link}',
  "I'm _really_ not a morning person today",
  '**Reminder:** rent is due on the 1st',
  'that café had the best croissants ☕🥐',
  "that's a bit naïve, no?",
  'I updated my résumé, could you take a look? 🙏',
  'Happy birthday!!! 🎂🎉',
  'what time does {activity} start?',
  'anyone up for {activity} {day}?',
  'I can do {time} but not earlier',
  'traffic is terrible, be there soon',
  'good morning ☀️',
  'night! 😴',
  'how was {city}?',
  'we should plan a trip to {city} next year',
  "can't, I'm swamped with the {item} until {day}",
  'the meeting moved to {time}',
  'pushed the fix, can you review? {link}',
  "I'll bring {food}",
  "who's bringing drinks?",
  "I'm at {place}, where are you?",
  'just finished {activity}, exhausted {emoji}',
  'miss you guys ❤️',
  "that's hilarious 😂😂",
  'wait what',
  'no way',
  'honestly same',
  'yes please',
  'let me check my calendar',
  "I'll call you later",
  'can we reschedule? something came up',
  'do you still have the recipe for that {food}?',
  'tickets are {n}0 each, worth it?',
  'the view from up here {emoji}',
  'sending the photos from {city} tonight',
  'are you free for a quick call?',
  "Dinner at mine {day}? I'm making {food}",
  "don't forget your {thing}!",
  'does anyone know a good plumber? 🔧',
  'coffee? ☕',
  'the train is delayed again 🙄',
  "it's supposed to rain all weekend",
  'fun fact: crème brûlée is easier than it looks',
  'I got the job!!! 🎉',
  'congrats!! so proud of you',
  "what's the wifi password again?",
  'can you pick up milk on your way home?',
  "I'm outside",
  'heading out now',
  "let's do {time} at {place}",
  'So I finally watched it. The ending was kind of ridiculous but I loved it anyway. No spoilers for the others!',
  "Quick update: the landlord says the heating will be fixed by {day}. If not I'm calling again.",
  "Here's the plan: meet at {place} at {time}, grab {food}, then {activity}. Sound ok?",
  'Long day. The {item} took forever and then the printer died. I just want {food} and my couch.',
  'Is the _Zoë_ from your office the same one who did the pottery class?',
  'the new place in {city} does a **ridiculous** {food}, adding it to the list',
  'reading this on the train, pretty good so far: {link}',
  'my flight is at {time} {day}, can someone water the plants?',
  'soirée at Chloé’s {day}, you coming?',
  "I'm thinking {food} or {food}, you pick",
];

const REPLIES = {
  question: ['yes!', 'hmm not sure, let me check', "probably, I'll confirm later", 'I think so 🤔', 'nope, sorry', 'definitely', '{time} works for me', 'let me ask and get back to you', 'maybe {day}?'],
  greeting: ['hey! 👋', "hi! what's up?", 'morning ☀️', 'hey hey', 'hello hello'],
  thanks: ['anytime!', 'no problem 😊', 'of course!', 'happy to help'],
  link: ['oh nice, reading it now', 'saving that for later 🔖', 'ha, I saw that too', 'wow, thanks for sharing'],
  late: ['no worries!', 'all good, take your time', "np, I'm late too 😅"],
  celebrate: ['thank you!! 🥳', '❤️❤️', 'yay!! 🎉', 'so happy for you'],
  generic: ['haha', 'nice!', 'ok 👍', 'sounds good', 'true', 'lol yes', 'totally', 'oh really?', 'makes sense', '😂', 'agreed', 'same here', 'good to know'],
};

const DEFAULT_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🔥', '🎉'];

// ---------------------------------------------------------------------------- text

/** Templates cut once into literal text and slots (lists to pick from), in order. */
const TEMPLATE_PARTS = new Map<string, Array<string | readonly string[]>>();

function fill(rng: Rng, template: string): string {
  let parts = TEMPLATE_PARTS.get(template);
  if (!parts) {
    parts = [];
    let at = 0;
    for (const m of template.matchAll(/\{(\w+)\}/g)) {
      parts.push(template.slice(at, m.index), SLOTS[m[1]!] ?? m[0]);
      at = m.index + m[0].length;
    }
    parts.push(template.slice(at));
    TEMPLATE_PARTS.set(template, parts);
  }
  // Slots are filled left to right, as a replace() over the template would.
  let text = '';
  for (const part of parts) text += typeof part === 'string' ? part : rng.pick(part);
  return text;
}

export function generateMessageText(rng: Rng): string {
  let text = fill(rng, rng.pick(MESSAGES));
  if (rng.chance(0.08)) text += ` ${rng.pick(SLOTS.emoji!)}`;
  return text;
}

export function generateReply(rng: Rng, incomingText: string | undefined): string {
  const t = (incomingText ?? '').toLowerCase();
  let pool: readonly string[] = REPLIES.generic;
  if (/https?:\/\//.test(t)) pool = REPLIES.link;
  else if (/\b(thanks|thank you|thx)\b/.test(t)) pool = REPLIES.thanks;
  else if (/\b(late|sorry|delayed)\b/.test(t)) pool = REPLIES.late;
  else if (/(birthday|congrats|got the job|🎉)/.test(t)) pool = REPLIES.celebrate;
  else if (t.trim().endsWith('?')) pool = REPLIES.question;
  else if (/^(hi|hey|hello|yo|good morning|morning)\b/.test(t)) pool = REPLIES.greeting;
  return fill(rng, rng.pick(pool));
}

/** Networks without rich text show Markdown markers literally, so drop them there. */
function stripMarkdown(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, '$1').replace(/(^|\s)_(\S(?:.*?\S)?)_(?=$|[\s.,!?])/g, '$1$2');
}

// ---------------------------------------------------------------------------- people

/** A believable full name (some with accents), for generated crowds. */
export function randomFullName(rng: Rng): string {
  return `${rng.chance(0.2) ? rng.pick(ACCENTED_FIRST) : rng.pick(PLAIN_FIRST)} ${rng.pick(LAST)}`;
}

/** ASCII, lowercase, letters and digits only: for handles and e-mail addresses. */
function fold(s: string): string {
  const special: Record<string, string> = { ø: 'o', æ: 'ae', ß: 'ss', ł: 'l', đ: 'd', ı: 'i' };
  return s
    .toLowerCase()
    .replace(/[øæßłđı]/g, (c) => special[c] ?? c)
    .normalize('NFD')
    .replace(/[^a-z0-9]/g, '');
}

const PROFILE_INDEX: Record<ProfileKey, number> = { imessage: 0, whatsapp: 1, signal: 2, telegram: 3, slack: 4, discord: 5 };

function makePeople(rng: Rng, profile: ProfileKey, count: number, selfName: string): { self: DemoPerson; people: DemoPerson[] } {
  // A handful of accented names per account keeps accent-insensitive search testable.
  const firsts = [...rng.shuffle([...ACCENTED_FIRST]).slice(0, rng.int(5, 8)), ...rng.shuffle([...PLAIN_FIRST])];
  const lasts = rng.shuffle([...LAST]);
  const names = new Set<string>([selfName]);
  const fullNames: string[] = [];
  for (let i = 0; fullNames.length < count; i++) {
    const name = `${firsts[i % firsts.length]} ${lasts[(i * 7 + Math.floor(i / lasts.length)) % lasts.length]}`;
    if (!names.has(name)) {
      names.add(name);
      fullNames.push(name);
    }
  }
  rng.shuffle(fullNames);

  const usedKeys = new Set<string>(['self']);
  const usedNumbers = new Set<string>();
  const phone = (): string => {
    for (;;) {
      // +1 555 01x-xxxx: the fictional range, with the profile in the third digit group.
      const n = `+155501${PROFILE_INDEX[profile]}${String(rng.int(0, 9999)).padStart(4, '0')}`;
      if (!usedNumbers.has(n)) {
        usedNumbers.add(n);
        return n;
      }
    }
  };
  const unique = (base: string): string => {
    let k = base;
    for (let i = 2; usedKeys.has(k); i++) k = `${base}${i}`;
    usedKeys.add(k);
    return k;
  };
  const identity = (fullName: string, isSelf: boolean): DemoPerson => {
    const parts = fullName.split(' ');
    const first = fold(parts.slice(0, -1).join(''));
    const last = fold(parts[parts.length - 1] ?? '');
    const key = (k: string) => (isSelf ? 'self' : k);
    switch (profile) {
      case 'imessage':
      case 'whatsapp':
      case 'signal': {
        const phoneNumber = phone();
        const p: DemoPerson = { key: key(unique(phoneNumber.slice(1))), fullName, phoneNumber };
        if (profile === 'imessage' && rng.chance(0.25)) p.email = `${first}.${last}@example.com`;
        return p;
      }
      case 'telegram': {
        const handle = unique(rng.pick([`${first}_${last}`, `${first}${last.slice(0, 1)}`, `${first}${rng.int(10, 99)}`, `the_${first}`]).padEnd(5, '0'));
        const p: DemoPerson = { key: key(handle), fullName, username: `@${handle}` };
        if (rng.chance(0.4)) p.phoneNumber = phone();
        return p;
      }
      case 'slack': {
        const handle = unique(`${first}_${last}`);
        const username = handle.replace('_', '.');
        return { key: key(handle), fullName, username, email: `${username}@example.com` };
      }
      case 'discord': {
        const snowflake = unique(`${rng.int(100_000_000, 999_999_999)}${rng.int(100_000_000, 999_999_999)}`);
        return { key: key(snowflake), fullName, username: `${first}${rng.pick(['', '_', '.'])}${rng.int(1, 999)}` };
      }
    }
  };
  return { self: identity(selfName, true), people: fullNames.map((n) => identity(n, false)) };
}

/**
 * The n-th person outside the user's contacts to write first, with an ID shaped like
 * the network's. Their numbers come from another fictional range than contacts' (…02x…).
 */
export function strangerPerson(rng: Rng, profile: ProfileKey, n: number, fullName = randomFullName(rng)): DemoPerson {
  const parts = fullName.split(' ');
  const first = fold(parts.slice(0, -1).join('')) || 'someone';
  const last = fold(parts[parts.length - 1] ?? '');
  switch (profile) {
    case 'imessage':
    case 'whatsapp':
    case 'signal': {
      const phoneNumber = `+155502${PROFILE_INDEX[profile]}${String(n).padStart(4, '0')}`;
      return { key: phoneNumber.slice(1), fullName, phoneNumber, stranger: true };
    }
    case 'telegram':
      return { key: `${first}_${last}_${n}`, fullName, username: `@${first}_${last}_${n}`, stranger: true };
    case 'slack':
      return { key: `${first}_${last}_${n}`, fullName, username: `${first}.${last}${n}`, stranger: true };
    case 'discord':
      return { key: `${rng.int(100_000_000, 999_999_999)}${rng.int(100_000_000, 999_999_999)}`, fullName, username: `${first}${n}`, stranger: true };
  }
}

// ---------------------------------------------------------------------------- attachments

export function makeAttachment(rng: Rng): DemoAttachment {
  const kind = rng.weighted<DemoAttachmentKind>([
    { value: 'image', weight: 65 },
    { value: 'file', weight: 15 },
    { value: 'voice', weight: 12 },
    { value: 'gif', weight: 8 },
  ]);
  switch (kind) {
    case 'gif': {
      const [width, height] = rng.pick([[96, 64], [80, 80], [120, 68]] as const);
      return { kind, fileName: `${rng.pick(['lol', 'mood', 'dance', 'yes', 'facepalm'])}.gif`, mimeType: 'image/gif', bytes: makeGif(rng, width, height), width, height };
    }
    case 'voice': {
      const duration = rng.int(2, 75);
      return { kind, fileName: `voice-${rng.int(1000, 9999)}.ogg`, mimeType: 'audio/ogg', bytes: makeOggVoice(rng, duration), duration };
    }
    case 'file': {
      const title = rng.pick(['Itinerary', 'Invoice 2231', 'Lease agreement', 'Menu', 'Résumé', 'Q3 plan', 'Tickets', 'Recipe - crêpes', 'Meeting notes']);
      return { kind, fileName: `${title}.pdf`, mimeType: 'application/pdf', bytes: makePdf(rng, title) };
    }
    default: {
      const [width, height] = rng.pick([[320, 240], [240, 320], [300, 300], [320, 180], [180, 320], [256, 192]] as const);
      return { kind: 'image', fileName: `IMG_${rng.int(1000, 9999)}.png`, mimeType: 'image/png', bytes: makePng(rng, width, height), width, height };
    }
  }
}

// ---------------------------------------------------------------------------- chats

interface ChatPlan {
  chat: DemoChat;
  others: string[];
  size: number;
  lastAt: number;
  unread: number;
}

function buildMessages(rng: Rng, plan: ChatPlan, earliest: number, reactionPool: readonly string[], plain: boolean): DemoMessage[] {
  const { chat, others, size } = plan;
  const group = chat.type === 'group';

  // Bursty gaps: mostly seconds to minutes, sometimes hours to days between conversations.
  const gaps = Array.from({ length: size }, () =>
    rng.chance(0.12) ? rng.int(2 * HOUR, 3 * DAY) : rng.chance(0.7) ? rng.int(5_000, 3 * MINUTE) : rng.int(3 * MINUTE, 45 * MINUTE),
  );
  const total = gaps.slice(1).reduce((a, b) => a + b, 0);
  const scale = Math.min(1, (plan.lastAt - earliest) / Math.max(1, total));
  const times = new Array<number>(size);
  times[size - 1] = plan.lastAt;
  for (let i = size - 1; i > 0; i--) times[i - 1] = times[i]! - Math.max(1, Math.round(gaps[i]! * scale));

  // Some members of a group talk much more than others.
  const chattiness = others.map((value, i) => ({ value, weight: 1 / (i + 1) }));
  const pSelf = group ? 0.3 : 0.45;
  const senders: string[] = [];
  for (let i = 0; i < size; i++) {
    const prev = senders[i - 1];
    senders.push(prev !== undefined && rng.chance(0.35) ? prev : rng.chance(pSelf) ? 'self' : rng.weighted(chattiness));
  }
  // Unread chats end with a run of exactly `unread` messages from others after one of ours.
  if (plan.unread > 0) {
    for (let i = size - plan.unread; i < size; i++) if (senders[i] === 'self') senders[i] = rng.weighted(chattiness);
    if (size - plan.unread - 1 >= 0) senders[size - plan.unread - 1] = 'self';
  }

  const messages: DemoMessage[] = [];
  for (let i = 0; i < size; i++) {
    const senderKey = senders[i]!;
    const m: DemoMessage = { key: `${chat.key}_${i + 1}`, senderKey, timestamp: times[i]! };
    const prev = messages[i - 1];
    if (rng.chance(0.03)) {
      m.attachment = makeAttachment(rng);
      if (m.attachment.kind !== 'voice' && rng.chance(0.3)) m.text = generateMessageText(rng);
    } else {
      m.text = prev && prev.senderKey !== senderKey && rng.chance(0.35) ? generateReply(rng, prev.text) : generateMessageText(rng);
    }
    if (m.text !== undefined && plain) m.text = stripMarkdown(m.text);
    if (i >= 2 && rng.chance(0.05)) m.replyToKey = messages[i - rng.int(1, Math.min(12, i))]!.key;
    if (rng.chance(0.08)) {
      const candidates = chat.participantKeys.filter((k) => k !== senderKey);
      const n = group ? rng.int(1, Math.min(3, candidates.length)) : 1;
      m.reactions = rng.shuffle([...candidates]).slice(0, n).map((k) => ({ senderKey: k, key: rng.pick(reactionPool) }));
    }
    messages.push(m);
  }
  return messages;
}

function buildAccount(rng: Rng, profileKey: ProfileKey, now: number, selfName: string): DemoAccount {
  const profile = SANDBOX_PROFILES[profileKey];
  const { self, people } = makePeople(rng.fork('people'), profileKey, rng.int(25, 40), selfName);
  const crng = rng.fork('chats');

  const nChats = crng.int(12, 20);
  const nGroups = crng.int(3, 5);
  const nDms = nChats - nGroups;
  const nChatless = crng.int(5, 8);
  // Only the first `people.length - nChatless` people may appear in chats; the rest are contacts only.
  const pool = crng.shuffle([...people]).slice(0, people.length - nChatless);
  const dmPeople = pool.slice(0, nDms);

  const chats: DemoChat[] = dmPeople.map((p) => ({ key: `dm_${p.key}`, type: 'single', participantKeys: ['self', p.key], messages: [], unreadCount: 0 }));
  const titles = crng.shuffle([...(profileKey === 'slack' ? SLACK_CHANNELS : profileKey === 'discord' ? DISCORD_CHANNELS : SOCIAL_GROUPS)]);
  for (let g = 0; g < nGroups; g++) {
    const othersCount = g === 0 ? crng.int(6, 11) : crng.int(2, 6);
    const members = crng.shuffle([...pool]).slice(0, othersCount).map((p) => p.key);
    const adminKeys = crng.chance(0.5) ? [members[0]!, 'self'] : [members[0]!];
    chats.push({ key: `group_${g + 1}`, type: 'group', title: titles[g]!, participantKeys: ['self', ...members], adminKeys, messages: [], unreadCount: 0 });
  }

  // Recency: index 0 is the most recently active chat; offsets grow from minutes to ~45 days.
  crng.shuffle(chats);
  const lastAt = chats.map((_, r) => {
    const f = r / (nChats - 1);
    const offset = Math.exp(Math.log(10 * MINUTE) + Math.log((45 * DAY) / (10 * MINUTE)) * f) * (0.85 + crng.next() * 0.3);
    return now - Math.round(offset);
  });

  // Power-law sizes, handed out so that recent chats tend to be the long ones.
  const target = crng.int(800, 1300);
  const weights = chats.map((_, r) => (r + 1) ** -1.25 * (0.7 + crng.next() * 0.6));
  const sumW = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.min(600, Math.max(4, Math.round((target * w) / sumW)))).sort((a, b) => b - a);
  const sizeOrder = chats.map((_, r) => ({ r, k: r + crng.next() * 5 })).sort((a, b) => a.k - b.k);
  const sizeOf = new Array<number>(nChats);
  sizeOrder.forEach(({ r }, i) => (sizeOf[r] = sizes[i]!));

  // Flags: pinned among the recent, archived / low priority among the oldest.
  const at = (r: number) => chats[r]!;
  const pinned = crng.shuffle([0, 1, 2, 3, 4]).slice(0, crng.int(1, 2));
  for (const r of pinned) at(r).isPinned = true;
  const archived = nChats - 1 - crng.int(0, 2);
  at(archived).isArchived = true;
  const lowPriority = crng.pick([...Array(5).keys()].map((i) => nChats - 1 - i).filter((r) => r !== archived && !pinned.includes(r)));
  at(lowPriority).isLowPriority = true;
  const groupRanks = chats.map((c, r) => (c.type === 'group' ? r : -1)).filter((r) => r >= 0);
  const muted = [crng.pick(groupRanks)];
  const otherMutable = chats.map((_, r) => r).filter((r) => !muted.includes(r) && !pinned.includes(r));
  muted.push(crng.pick(otherMutable));
  for (const r of muted) at(r).isMuted = true;
  const unreadRanks = crng.shuffle([...Array(8).keys()].filter((r) => r !== archived && r !== lowPriority)).slice(0, crng.int(3, 5));

  const caps = profile.capabilities('single');
  const reactionPool = caps.allowedReactions ?? DEFAULT_REACTIONS;
  const plain = caps.formatting === undefined;
  const earliest = now - 59 * DAY;
  chats.forEach((chat, r) => {
    const size = sizeOf[r]!;
    const unread = unreadRanks.includes(r) ? Math.min(size - 1, crng.int(1, chat.type === 'group' ? 6 : 3)) : 0;
    const others = chat.participantKeys.slice(1);
    chat.messages = buildMessages(rng.fork(`messages:${chat.key}`), { chat, others, size, lastAt: lastAt[r]!, unread }, earliest, reactionPool, plain);
    chat.unreadCount = unread;
  });

  if (profileKey === 'imessage') {
    // Most 1:1 contacts have a Focus on, so "Notify Anyway" is easy to exercise.
    const prng = rng.fork('focus');
    const dmKeys = new Set(dmPeople.map((p) => p.key));
    for (const p of people) p.focused = prng.chance(dmKeys.has(p.key) ? 0.75 : 0.5);
    const need = Math.ceil(dmPeople.length * 0.6);
    for (const p of dmPeople) if (dmPeople.filter((q) => q.focused).length < need) p.focused = true;
  }

  return { profile: profileKey, self, people, chats };
}

export function buildDemoInbox(opts: { seed: number; now: number; profiles?: ProfileKey[] }): DemoAccount[] {
  const root = createRng(opts.seed);
  const o = root.fork('owner');
  const selfName = `${o.pick(PLAIN_FIRST)} ${o.pick(LAST)}`;
  return (opts.profiles ?? DEFAULT_DEMO_PROFILES).map((p) => buildAccount(root.fork(`account:${p}`), p, opts.now, selfName));
}
