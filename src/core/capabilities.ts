// Checks of an operation against a chat's capabilities, run before anything is
// sent. Each failure names the network and the limit, so the caller can adapt.
import type { ChatCapabilities } from './schemas/capabilities.ts';
import { refused } from './errors.ts';
import { textLength } from './text.ts';

const supported = (level: number | undefined) => (level ?? 0) > 0;

export function requireFeature(level: number | undefined, code: string, what: string, network: string): void {
  if (!supported(level)) throw refused(code, `${network} does not support ${what} in this chat.`);
}

/**
 * A message request (someone outside the user's contacts wrote first) takes nothing but
 * what accepts it: a reply, where the network accepts requests with a message.
 */
export function checkMessageRequest(isMessageRequest: boolean, caps: ChatCapabilities, action: 'reply' | 'react', network: string): void {
  if (!isMessageRequest) return;
  const replyAccepts = supported(caps.messageRequest?.acceptWithMessage);
  if (action === 'reply' && replyAccepts) return;
  const how = replyAccepts ? 'reply to it to accept it first' : `${network} accepts requests only with its Accept button, not by replying: accept it in ${network} first`;
  throw refused('MESSAGE_REQUEST_NOT_ACCEPTED', `This ${network} chat is a message request from someone outside your contacts; ${how}.`, { action });
}

export function checkText(caps: ChatCapabilities, plain: string, network: string): void {
  const max = caps.maxTextLength;
  const length = textLength(plain);
  if (max !== undefined && length > max) {
    throw refused('TEXT_TOO_LONG', `The text is ${length} characters; ${network} accepts at most ${max}. Shorten it or split it into several messages.`, { length, maxTextLength: max });
  }
}

export type AttachmentHint = 'image' | 'video' | 'audio' | 'file' | 'gif' | 'voice-note' | 'sticker';

/** The Matrix msgtype (or pseudo-type) capabilities key an attachment by. */
export function attachmentKind(mimeType: string, hint?: AttachmentHint): string {
  switch (hint) {
    case 'image': return 'm.image';
    case 'video': return 'm.video';
    case 'audio': return 'm.audio';
    case 'file': return 'm.file';
    case 'gif': return 'fi.mau.gif';
    case 'voice-note': return 'org.matrix.msc3245.voice';
    case 'sticker': return 'm.sticker';
  }
  const top = mimeType.split('/')[0];
  return top === 'image' ? 'm.image' : top === 'video' ? 'm.video' : top === 'audio' ? 'm.audio' : 'm.file';
}

/** Support level of a MIME type in a capability map: exact match, then "type/*", then "*\/*". */
export function mimeLevel(map: Record<string, number>, mimeType: string): number {
  const type = mimeType.toLowerCase().split(';')[0]!.trim();
  return map[type] ?? map[`${type.split('/')[0]}/*`] ?? map['*/*'] ?? -2;
}

export interface AttachmentFacts {
  mimeType: string;
  size: number;
  width?: number;
  height?: number;
  duration?: number;
  hint?: AttachmentHint;
  caption?: string;
}

export function checkAttachment(caps: ChatCapabilities, a: AttachmentFacts, network: string): string {
  const kind = attachmentKind(a.mimeType, a.hint);
  const limits = caps.attachments?.[kind];
  if (!limits) throw refused('ATTACHMENT_TYPE_UNSUPPORTED', `${network} does not accept ${kind} attachments in this chat.`, { kind });
  if (!supported(mimeLevel(limits.mimeTypes, a.mimeType))) {
    throw refused('ATTACHMENT_MIME_UNSUPPORTED', `${network} does not accept ${a.mimeType} files as ${kind}. Accepted: ${Object.keys(limits.mimeTypes).join(', ')}.`, { kind, mimeType: a.mimeType });
  }
  if (limits.maxSize !== undefined && a.size > limits.maxSize) {
    throw refused('ATTACHMENT_TOO_LARGE', `The file is ${a.size} bytes; ${network} accepts ${kind} files up to ${limits.maxSize} bytes.`, { size: a.size, maxSize: limits.maxSize });
  }
  if (limits.maxWidth !== undefined && (a.width ?? 0) > limits.maxWidth) throw refused('ATTACHMENT_TOO_LARGE', `The image is ${a.width} px wide; ${network} accepts at most ${limits.maxWidth} px.`);
  if (limits.maxHeight !== undefined && (a.height ?? 0) > limits.maxHeight) throw refused('ATTACHMENT_TOO_LARGE', `The image is ${a.height} px tall; ${network} accepts at most ${limits.maxHeight} px.`);
  if (limits.maxDuration !== undefined && (a.duration ?? 0) > limits.maxDuration) throw refused('ATTACHMENT_TOO_LONG', `The media lasts ${a.duration} s; ${network} accepts at most ${limits.maxDuration} s.`);
  if (a.caption) {
    if (!supported(limits.caption)) throw refused('CAPTION_UNSUPPORTED', `${network} does not allow text with ${kind} attachments; send the text as its own message.`);
    if (limits.maxCaptionLength !== undefined && textLength(a.caption) > limits.maxCaptionLength) {
      throw refused('TEXT_TOO_LONG', `The caption is ${textLength(a.caption)} characters; ${network} accepts at most ${limits.maxCaptionLength} with ${kind} attachments.`);
    }
  }
  return kind;
}

export interface EditFacts {
  timestamp: number;
  editCount: number;
}

export function checkEdit(caps: ChatCapabilities, m: EditFacts, now: number, network: string): void {
  requireFeature(caps.edit, 'EDIT_UNSUPPORTED', 'editing messages', network);
  if (caps.editMaxAge !== undefined && now - m.timestamp > caps.editMaxAge * 1000) {
    throw refused('EDIT_WINDOW_EXPIRED', `${network} allows edits only within ${formatSeconds(caps.editMaxAge)} of sending; this message is older.`);
  }
  if (caps.editMaxCount !== undefined && m.editCount >= caps.editMaxCount) {
    throw refused('EDIT_LIMIT_REACHED', `${network} allows at most ${caps.editMaxCount} edits of a message.`);
  }
}

export function checkDeleteForEveryone(caps: ChatCapabilities, timestamp: number, now: number, network: string): void {
  requireFeature(caps.delete, 'DELETE_UNSUPPORTED', 'deleting messages for everyone', network);
  if (caps.deleteMaxAge !== undefined && now - timestamp > caps.deleteMaxAge * 1000) {
    throw refused('DELETE_WINDOW_EXPIRED', `${network} allows deleting for everyone only within ${formatSeconds(caps.deleteMaxAge)} of sending; delete it for yourself instead (forEveryone=false).`);
  }
}

const EMOJI = /^(\p{Extended_Pictographic}|\p{Regional_Indicator}|[\u{1F3FB}-\u{1F3FF}\u200d\ufe0f\u20e3#*0-9]|\p{Emoji_Component})+$/u;
export const isEmoji = (key: string) => EMOJI.test(key) && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(key);

export function checkReaction(caps: ChatCapabilities, key: string, network: string): void {
  requireFeature(caps.reaction, 'REACTION_UNSUPPORTED', 'reactions', network);
  if (caps.allowedReactions && !caps.allowedReactions.includes(key)) {
    throw refused('REACTION_NOT_ALLOWED', `${network} accepts only these reactions: ${caps.allowedReactions.join(' ')}.`, { allowedReactions: caps.allowedReactions });
  }
  if (!isEmoji(key) && !caps.customEmojiReactions && !caps.allowedReactions?.includes(key)) {
    throw refused('REACTION_NOT_ALLOWED', `${network} accepts only emoji reactions; "${key}" is not one.`);
  }
}

function formatSeconds(s: number): string {
  if (s % 86400 === 0) return `${s / 86400} day${s === 86400 ? '' : 's'}`;
  if (s % 3600 === 0) return `${s / 3600} hour${s === 3600 ? '' : 's'}`;
  if (s % 60 === 0) return `${s / 60} minute${s === 60 ? '' : 's'}`;
  return `${s} seconds`;
}
