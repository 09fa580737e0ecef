// Pure functions: cursors, message text, capability checks, search text folding,
// ID minting, query coercion and Range parsing.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../../src/core/cursors.ts';
import { ApiError } from '../../src/core/errors.ts';
import { formatInput, htmlToPlain, textLength } from '../../src/core/text.ts';
import {
  attachmentKind, checkAttachment, checkDeleteForEveryone, checkEdit, checkReaction, checkText, isEmoji, mimeLevel,
} from '../../src/core/capabilities.ts';
import type { ChatCapabilities } from '../../src/core/schemas/capabilities.ts';
import { fold, ftsQuery, words } from '../../src/store/text.ts';
import { chatID, messageID, userID } from '../../src/core/ids.ts';
import { coerceQuery } from '../../src/api/coerce.ts';
import { parseRange } from '../../src/api/serve-file.ts';

/** Runs fn and returns the ApiError it throws (fails when it throws nothing or something else). */
function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError, nothing was thrown');
}

describe('cursors', () => {
  it('round-trips a key of numbers and strings', () => {
    const c = encodeCursor('messages', [1_700_000_000_000_123, 42]);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    expect(decodeCursor('messages', c, ['number', 'number'])).toEqual([1_700_000_000_000_123, 42]);
    const contacts = encodeCursor('contacts', ['zoë', '@z:host']);
    expect(decodeCursor('contacts', contacts, ['string', 'string'])).toEqual(['zoë', '@z:host']);
  });

  it.each([
    ['a cursor of another list', encodeCursor('chats', [1, 2])],
    ['too few parts', encodeCursor('messages', [1])],
    ['too many parts', encodeCursor('messages', [1, 2, 3])],
    ['a string where a number belongs', encodeCursor('messages', ['1', 2])],
    ['a fractional number', encodeCursor('messages', [1.5, 2])],
    ['an unsafe integer', Buffer.from(JSON.stringify(['messages', 2 ** 60, 1])).toString('base64url')],
    ['JSON that is not an array', Buffer.from(JSON.stringify({ kind: 'messages' })).toString('base64url')],
    ['garbage', 'not a cursor!!'],
    ['base64 of garbage', Buffer.from('}{ nope').toString('base64url')],
    ['the empty string', ''],
  ])('rejects %s with 400 INVALID_CURSOR', (_what, cursor) => {
    const err = apiError(() => decodeCursor('messages', cursor, ['number', 'number']));
    expect(err.status).toBe(400);
    expect(err.code).toBe('INVALID_CURSOR');
    expect(err.message).toMatch(/cursor/i);
  });
});

describe('message text (formatInput, htmlToPlain, textLength)', () => {
  it('keeps plain text plain', () => {
    for (const s of ['hello world', '2 * 3 = 6', "it's 5 o'clock, isn't it?", 'Price: 10$ (approx.)']) {
      expect(formatInput(s)).toEqual({ text: s, html: false, plain: s });
    }
  });

  it('turns Markdown into HTML with a plain-text twin', () => {
    expect(formatInput('**bold** and _it_')).toEqual({ text: '<strong>bold</strong> and <em>it</em>', html: true, plain: 'bold and it' });
    expect(formatInput('`code`')).toMatchObject({ text: '<code>code</code>', html: true, plain: 'code' });
    const multi = formatInput('para one\n\npara two');
    expect(multi.html).toBe(true);
    expect(multi.text).toContain('<p>para one</p>');
    expect(multi.plain).toBe('para one\n\npara two');
  });

  it('escapes text that would read as HTML, keeping the plain text as typed', () => {
    const r = formatInput('a < b');
    expect(r.plain).toBe('a < b');
    if (r.html) expect(r.text).toBe('a &lt; b');
    else expect(r.text).toBe('a < b');
  });

  it('escapes raw HTML inside Markdown instead of passing it through', () => {
    const r = formatInput('<b>x</b> **y** <img src=x onerror=alert(1)>');
    expect(r.html).toBe(true);
    expect(r.text).not.toMatch(/<b>|<img/);
    expect(r.text).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(r.text).toContain('<strong>y</strong>');
    expect(r.plain).toBe('<b>x</b> y <img src=x onerror=alert(1)>');
  });

  it('takes a JSON-encoded string as HTML and sanitizes it to the Matrix subset', () => {
    const r = formatInput(JSON.stringify('<b>hi</b><script>alert(1)</script><a href="javascript:alert(1)">l</a><a href="https://x.org">ok</a><span onclick="x()">s</span>'));
    expect(r.html).toBe(true);
    expect(r.text).toContain('<b>hi</b>');
    expect(r.text).not.toMatch(/script|javascript:|onclick/);
    expect(r.text).toContain('<a href="https://x.org">ok</a>');
    expect(r.plain).toBe('hiloks');
  });

  it('htmlToPlain drops reply fallbacks and tags, breaks lines and decodes entities once', () => {
    expect(htmlToPlain('<mx-reply><blockquote>quoted</blockquote></mx-reply>answer')).toBe('answer');
    expect(htmlToPlain('one<br>two<br/>three')).toBe('one\ntwo\nthree');
    expect(htmlToPlain('<p>a</p><p>b</p>')).toBe('a\nb');
    expect(htmlToPlain('&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &#128077; &#x1F44D;')).toBe('<tag> & "q" \'s\' 👍 👍');
    expect(htmlToPlain('&amp;lt;')).toBe('&lt;');
    expect(htmlToPlain('<ul><li>x</li><li>y</li></ul>')).toBe('x\ny');
  });

  it('textLength counts code points', () => {
    expect(textLength('👍')).toBe(1);
    expect('👍'.length).toBe(2);
    expect(textLength('héllo')).toBe(5);
    expect(textLength('👍🏽')).toBe(2); // emoji + skin-tone modifier
    expect(textLength('')).toBe(0);
  });
});

describe('capabilities', () => {
  const NET = 'TestNet';

  it('mimeLevel: exact type, then type/*, then */*, else -2', () => {
    const map = { 'image/png': 2, 'image/*': 1, '*/*': 0 };
    expect(mimeLevel(map, 'image/png')).toBe(2);
    expect(mimeLevel(map, 'IMAGE/PNG; charset=binary')).toBe(2);
    expect(mimeLevel(map, 'image/webp')).toBe(1);
    expect(mimeLevel(map, 'video/mp4')).toBe(0);
    expect(mimeLevel({ 'image/png': 2 }, 'image/gif')).toBe(-2);
    expect(mimeLevel({}, 'application/pdf')).toBe(-2);
    expect(mimeLevel({ 'image/png': -1, 'image/*': 2 }, 'image/png')).toBe(-1); // exact wins even when worse
  });

  it('attachmentKind: by MIME type, with the hint taking precedence', () => {
    expect(attachmentKind('image/png')).toBe('m.image');
    expect(attachmentKind('video/mp4')).toBe('m.video');
    expect(attachmentKind('audio/ogg')).toBe('m.audio');
    expect(attachmentKind('application/pdf')).toBe('m.file');
    expect(attachmentKind('text/plain')).toBe('m.file');
    expect(attachmentKind('image/gif', 'gif')).toBe('fi.mau.gif');
    expect(attachmentKind('audio/ogg', 'voice-note')).toBe('org.matrix.msc3245.voice');
    expect(attachmentKind('image/webp', 'sticker')).toBe('m.sticker');
    expect(attachmentKind('image/png', 'file')).toBe('m.file');
  });

  it('checkText: limit in code points, 422 TEXT_TOO_LONG with the numbers', () => {
    expect(() => checkText({}, 'x'.repeat(100_000), NET)).not.toThrow();
    expect(() => checkText({ maxTextLength: 5 }, 'hello', NET)).not.toThrow();
    expect(() => checkText({ maxTextLength: 5 }, '👍👍👍👍👍', NET)).not.toThrow();
    const err = apiError(() => checkText({ maxTextLength: 5 }, 'hello!', NET));
    expect(err.status).toBe(422);
    expect(err.code).toBe('TEXT_TOO_LONG');
    expect(err.details).toEqual({ length: 6, maxTextLength: 5 });
    expect(err.message).toContain(NET);
  });

  it('checkAttachment: kind, MIME level, size and caption', () => {
    const caps: ChatCapabilities = { attachments: { 'm.image': { mimeTypes: { 'image/*': 2 }, maxSize: 1000, caption: 0 } } };
    expect(checkAttachment(caps, { mimeType: 'image/png', size: 1000 }, NET)).toBe('m.image');
    expect(apiError(() => checkAttachment(caps, { mimeType: 'video/mp4', size: 1 }, NET)).code).toBe('ATTACHMENT_TYPE_UNSUPPORTED');
    expect(apiError(() => checkAttachment({ attachments: { 'm.file': { mimeTypes: { 'application/pdf': 2 } } } }, { mimeType: 'application/zip', size: 1 }, NET)).code).toBe('ATTACHMENT_MIME_UNSUPPORTED');
    expect(apiError(() => checkAttachment(caps, { mimeType: 'image/png', size: 1001 }, NET)).code).toBe('ATTACHMENT_TOO_LARGE');
    expect(apiError(() => checkAttachment(caps, { mimeType: 'image/png', size: 10, caption: 'hi' }, NET)).code).toBe('CAPTION_UNSUPPORTED');
  });

  it('checkEdit: feature, age window (inclusive) and edit count', () => {
    const now = 1_000_000_000;
    const caps: ChatCapabilities = { edit: 2, editMaxAge: 60, editMaxCount: 2 };
    expect(apiError(() => checkEdit({}, { timestamp: now, editCount: 0 }, now, NET)).code).toBe('EDIT_UNSUPPORTED');
    expect(apiError(() => checkEdit({ edit: 0 }, { timestamp: now, editCount: 0 }, now, NET)).code).toBe('EDIT_UNSUPPORTED');
    expect(() => checkEdit(caps, { timestamp: now - 60_000, editCount: 1 }, now, NET)).not.toThrow();
    const late = apiError(() => checkEdit(caps, { timestamp: now - 60_001, editCount: 0 }, now, NET));
    expect([late.status, late.code]).toEqual([422, 'EDIT_WINDOW_EXPIRED']);
    expect(late.message).toContain('1 minute');
    expect(apiError(() => checkEdit(caps, { timestamp: now, editCount: 2 }, now, NET)).code).toBe('EDIT_LIMIT_REACHED');
    expect(() => checkEdit({ edit: 1 }, { timestamp: 0, editCount: 99 }, now, NET)).not.toThrow(); // no limits given
  });

  it('checkDeleteForEveryone: feature and age window', () => {
    const now = 5_000_000_000;
    expect(apiError(() => checkDeleteForEveryone({}, now, now, NET)).code).toBe('DELETE_UNSUPPORTED');
    expect(() => checkDeleteForEveryone({ delete: 2, deleteMaxAge: 86400 }, now - 86_400_000, now, NET)).not.toThrow();
    const err = apiError(() => checkDeleteForEveryone({ delete: 2, deleteMaxAge: 86400 }, now - 86_400_001, now, NET));
    expect(err.code).toBe('DELETE_WINDOW_EXPIRED');
    expect(err.message).toMatch(/1 day.*forEveryone=false/);
    expect(() => checkDeleteForEveryone({ delete: 1 }, 0, now, NET)).not.toThrow();
  });

  it('checkReaction: feature, allowed list, emoji only unless custom emoji are allowed', () => {
    expect(apiError(() => checkReaction({}, '👍', NET)).code).toBe('REACTION_UNSUPPORTED');
    expect(() => checkReaction({ reaction: 2 }, '👍', NET)).not.toThrow();
    expect(() => checkReaction({ reaction: 2 }, '❤️', NET)).not.toThrow();
    const notEmoji = apiError(() => checkReaction({ reaction: 2 }, 'party_parrot', NET));
    expect([notEmoji.status, notEmoji.code]).toEqual([422, 'REACTION_NOT_ALLOWED']);
    expect(() => checkReaction({ reaction: 2, customEmojiReactions: true }, 'party_parrot', NET)).not.toThrow();
    const list: ChatCapabilities = { reaction: 2, allowedReactions: ['👍', '❤️', 'like'] };
    expect(() => checkReaction(list, '👍', NET)).not.toThrow();
    expect(() => checkReaction(list, 'like', NET)).not.toThrow(); // listed keys need not be emoji
    const outside = apiError(() => checkReaction(list, '😂', NET));
    expect(outside.code).toBe('REACTION_NOT_ALLOWED');
    expect(outside.details).toEqual({ allowedReactions: ['👍', '❤️', 'like'] });
  });

  it('isEmoji: pictographs, flags, keycaps, ZWJ sequences and modifiers; not letters, digits or text', () => {
    for (const k of ['👍', '❤️', '👍🏽', '🇫🇷', '👨‍👩‍👧', '1️⃣', '🎉']) expect(isEmoji(k), k).toBe(true);
    for (const k of ['a', '1', '#', ':)', '👍a', '', 'like', ' ']) expect(isEmoji(k), JSON.stringify(k)).toBe(false);
  });
});

describe('store text folding (fold, words, ftsQuery)', () => {
  it('fold lowercases and strips diacritics', () => {
    expect(fold('Zoë Ångström')).toBe('zoe angstrom');
    expect(fold('ÉCOLE Ñandú')).toBe('ecole nandu');
    expect(fold('plain')).toBe('plain');
  });

  it('fold takes a shortcut for ASCII that gives what the full rules give', () => {
    const full = (t: string) => t.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
    const ascii = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join('');
    for (const t of [ascii, 'Hey! Are we still on for TOMORROW? https://Example.com/X?a=1', '', 'MiXeD 123 _-*']) expect(fold(t)).toBe(full(t));
    // One non-ASCII character anywhere takes the full path.
    expect(fold('CAFE\u0301 Łódź')).toBe('cafe lodz');
    expect(fold('ﬁle ＡＢＣ')).toBe('file abc');
  });

  it('words splits folded text into letters and digits', () => {
    expect(words('Hello, Wörld! 42 times')).toEqual(['hello', 'world', '42', 'times']);
    expect(words("don't")).toEqual(['don', 't']);
    expect(words(undefined)).toEqual([]);
    expect(words('  \t ')).toEqual([]);
    expect(words('"*()-:')).toEqual([]);
  });

  it('ftsQuery quotes every word and makes only the last a prefix', () => {
    expect(ftsQuery('hello world')).toBe('"hello" "world"*');
    expect(ftsQuery('one')).toBe('"one"*');
    // A 1-letter last word is a whole word: as a prefix it would match most messages.
    expect(ftsQuery('NEAR(x AND y')).toBe('"near" "x" "and" "y"');
    expect(ftsQuery('col:x -y "zz')).toBe('"col" "x" "y" "zz"*');
    expect(ftsQuery('pizza é')).toBe('"pizza" "e"');
    expect(ftsQuery('pizza éa')).toBe('"pizza" "ea"*');
    expect(ftsQuery('')).toBeUndefined();
    expect(ftsQuery(undefined)).toBeUndefined();
    expect(ftsQuery('"*')).toBeUndefined();
    // No quote can appear inside a quoted word.
    for (const q of ['a"b', 'x"" OR ""y', '"\'"']) expect(ftsQuery(q) ?? '').toMatch(/^("[^"]+"\*? ?)*$/);
  });
});

describe('IDs', () => {
  it('chat and message IDs are stable, distinct and Matrix-shaped', () => {
    expect(chatID('acc', 'remote-1', 'example.org')).toBe(chatID('acc', 'remote-1', 'example.org'));
    expect(chatID('acc', 'remote-1', 'example.org')).not.toBe(chatID('acc', 'remote-2', 'example.org'));
    expect(chatID('acc', 'remote-1', 'example.org')).not.toBe(chatID('acc2', 'remote-1', 'example.org'));
    expect(chatID('acc', 'remote-1', 'example.org')).toMatch(/^![A-Za-z0-9_-]{22}:example\.org$/);
    const room = chatID('acc', 'r', 'h');
    expect(messageID(room, 'm1')).toBe(messageID(room, 'm1'));
    expect(messageID(room, 'm1')).not.toBe(messageID(room, 'm2'));
    expect(messageID(room, 'm1')).not.toBe(messageID(chatID('acc', 'other', 'h'), 'm1'));
    expect(messageID(room, 'm1')).toMatch(/^\$[A-Za-z0-9_-]{27}$/);
    // IDs are stored and handed out: the same inputs give the same IDs in every release.
    expect(room).toBe('!OFKhueezJIoS6mcDQUQ-6L:h');
    expect(messageID(room, 'm1')).toBe('$DLi4IX-c0nHuxsvFFzCcVol6Hyk');
    expect(messageID(room, 'ünï 😀')).toBe('$ZkxfrGGbtDGNYlz9M33i0tyy4Tw');
  });

  it('user IDs keep Matrix-safe localparts and escape everything else', () => {
    expect(userID('alice', 'h.org')).toBe('@alice:h.org');
    expect(userID('Alice', 'h.org')).toBe('@alice:h.org');
    expect(userID('bob.smith-2_x/y', 'h')).toBe('@bob.smith-2_x/y:h');
    expect(userID('Bob Smith', 'h')).toBe('@bob=20smith:h');
    expect(userID('+1 555', 'h')).toBe('@=2b1=20555:h');
    for (const local of ['josé', '😀', 'a@b:c', 'x y\tz', '!#$%']) {
      expect(userID(local, 'h'), local).toMatch(/^@[a-z0-9._=\-/]+:h$/);
    }
  });

  it('user IDs of different localparts do not collide (an escaped character is not the same as its escape)', () => {
    // "=" is both allowed and the escape character; it must itself be escaped.
    expect(userID('a b', 'h')).not.toBe(userID('a=20b', 'h'));
    expect(userID('+1', 'h')).not.toBe(userID('=2b1', 'h'));
  });
});

describe('coerceQuery', () => {
  const shape = {
    n: z.int().min(0).optional(),
    f: z.number().optional(),
    b: z.boolean().nullable().optional(),
    s: z.string().optional(),
    ids: z.array(z.string()).optional(),
    nums: z.array(z.int()).optional(),
    kinds: z.array(z.enum(['a', 'b'])).optional(),
  };

  it('converts numbers and booleans by the field type, leaving non-numbers for validation to reject', () => {
    expect(coerceQuery(shape, { n: '5', f: '-1.5', b: 'true', s: '42' })).toEqual({ n: 5, f: -1.5, b: true, s: '42' });
    expect(coerceQuery(shape, { b: 'false' })).toEqual({ b: false });
    expect(coerceQuery(shape, { b: 'null' })).toEqual({ b: null });
    expect(coerceQuery(shape, { n: 'abc', b: 'yes' })).toEqual({ n: 'abc', b: 'yes' });
    expect(coerceQuery(shape, { n: '1e3' })).toEqual({ n: '1e3' });
  });

  it('makes arrays of repeated keys, of key[] keys, and of a single value for array fields', () => {
    expect(coerceQuery(shape, { ids: ['a', 'b'] })).toEqual({ ids: ['a', 'b'] });
    expect(coerceQuery(shape, { ids: 'a' })).toEqual({ ids: ['a'] });
    expect(coerceQuery(shape, { 'ids[]': ['a', 'b'] })).toEqual({ ids: ['a', 'b'] });
    expect(coerceQuery(shape, { ids: 'a', 'ids[]': ['b', 'c'] })).toEqual({ ids: ['a', 'b', 'c'] });
    expect(coerceQuery(shape, { nums: ['1', '2'], kinds: 'a' })).toEqual({ nums: [1, 2], kinds: ['a'] });
  });

  it('passes unknown keys through unchanged (so strict validation can name them)', () => {
    expect(coerceQuery(shape, { other: '1', 'x[]': ['2'] })).toEqual({ other: '1', 'x[]': ['2'] });
  });

  it('converts the elements of a required (unwrapped) array field too', () => {
    expect(coerceQuery({ nums: z.array(z.int()) }, { nums: ['3', '4'] })).toEqual({ nums: [3, 4] });
    expect(coerceQuery({ flags: z.array(z.boolean()) }, { flags: 'true' })).toEqual({ flags: [true] });
  });
});

describe('parseRange', () => {
  const size = 1000;
  it('reads one byte range, open-ended and suffix forms, clamping the end', () => {
    expect(parseRange('bytes=0-99', size)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', size)).toEqual({ start: 100, end: 999 });
    expect(parseRange('bytes=-100', size)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-5000', size)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=990-5000', size)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=999-999', size)).toEqual({ start: 999, end: 999 });
    expect(parseRange(' bytes=0-0 ', size)).toEqual({ start: 0, end: 0 });
  });

  it('answers unsatisfiable for ranges outside the file', () => {
    expect(parseRange('bytes=1000-', size)).toBe('unsatisfiable');
    expect(parseRange('bytes=5000-6000', size)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', size)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('ignores absent, malformed, foreign-unit and multi-range headers (the whole file is served)', () => {
    for (const h of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=a-b', 'bytes=0-1,5-6', 'bytes 0-1']) {
      expect(parseRange(h, size), String(h)).toBeUndefined();
    }
    // last < first is invalid: either ignored or refused, never a range.
    expect([undefined, 'unsatisfiable']).toContain(parseRange('bytes=5-2', size));
  });
});
