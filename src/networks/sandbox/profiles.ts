// Capability profiles the sandbox network can impersonate. Values follow what the
// real networks' bridges declare, so clients see realistic limits in testing.
import type { AttachmentCapabilities, ChatCapabilities } from '../../core/schemas/capabilities.ts';

export type ProfileKey = 'imessage' | 'whatsapp' | 'signal' | 'telegram' | 'slack' | 'discord';

export interface SandboxProfile {
  key: ProfileKey;
  /** Display name of the network. */
  network: string;
  bridgeType: string;
  /** Host part of user IDs on this network. */
  host: string;
  idStyle: 'phone' | 'handle' | 'snowflake' | 'email';
  /** Whether 1:1 chats offer "Notify Anyway" for recipients with Focus on. */
  notifyAnyway: boolean;
  /** How message requests (chats strangers start) are accepted; absent: strangers' chats are ordinary chats. */
  messageRequest?: NonNullable<ChatCapabilities['messageRequest']>;
  /** A fresh object on every call, so callers may mutate it. */
  capabilities(type: 'single' | 'group'): ChatCapabilities;
}

type Formatting = NonNullable<ChatCapabilities['formatting']>;

const MiB = 1024 * 1024;
const HOUR = 3600;
const DAY = 24 * HOUR;

function levels(full: string[], partial: string[] = [], dropped: string[] = []): Formatting {
  const out: Formatting = {};
  for (const k of full) out[k] = 2;
  for (const k of partial) out[k] = 1;
  for (const k of dropped) out[k] = -1;
  return out;
}

/** The usual set of attachment kinds, all with one size limit; `extra` overrides per kind. */
function attachments(
  maxSize: number,
  opts: { caption?: boolean; maxCaptionLength?: number; kinds?: string[]; extra?: Record<string, Partial<AttachmentCapabilities>> } = {},
): Record<string, AttachmentCapabilities> {
  const mime: Record<string, Record<string, 2>> = {
    'm.image': { 'image/*': 2 },
    'm.video': { 'video/*': 2 },
    'm.audio': { 'audio/*': 2 },
    'm.file': { '*/*': 2 },
    'org.matrix.msc3245.voice': { 'audio/ogg': 2, 'audio/mp4': 2, 'audio/aac': 2 },
    'fi.mau.gif': { 'image/gif': 2, 'video/mp4': 2 },
    'm.sticker': { 'image/webp': 2, 'image/png': 2, 'image/gif': 2 },
  };
  const kinds = opts.kinds ?? Object.keys(mime);
  const out: Record<string, AttachmentCapabilities> = {};
  for (const kind of kinds) {
    const entry: AttachmentCapabilities = { mimeTypes: { ...mime[kind] }, maxSize };
    if (opts.caption && kind !== 'm.sticker' && kind !== 'org.matrix.msc3245.voice') {
      entry.caption = 2;
      if (opts.maxCaptionLength !== undefined) entry.maxCaptionLength = opts.maxCaptionLength;
    }
    out[kind] = { ...entry, ...opts.extra?.[kind] };
  }
  return out;
}

function groupState(type: 'single' | 'group', opts: { description?: boolean; avatar?: boolean; timer?: boolean } = {}) {
  const g = type === 'group';
  const state: NonNullable<ChatCapabilities['state']> = {
    title: { level: g ? 2 : 0 },
    description: { level: g && opts.description !== false ? 2 : 0 },
    avatar: { level: g && opts.avatar !== false ? 2 : 0 },
  };
  if (opts.timer) state.disappearingTimer = { level: 2 };
  return state;
}

// Telegram only accepts reactions from a server-provided list; this is a fixed stand-in.
const TELEGRAM_REACTIONS = ['👍', '👎', '❤️', '🔥', '🥰', '👏', '😁', '🤔', '🤯', '😱', '😢', '🎉', '🤩', '🙏', '👌', '😍', '💯', '🤣', '⚡', '🏆', '💔', '👀', '🤝', '🤗', '😎'];

const IMESSAGE_TAPBACKS = ['❤️', '👍', '👎', '😂', '‼️', '❓'];

function imessage(type: 'single' | 'group'): ChatCapabilities {
  return {
    // iMessage declares no limit; a generous one keeps clients' length checks meaningful.
    maxTextLength: 20000,
    attachments: attachments(100 * MiB, { kinds: ['m.image', 'm.video', 'm.audio', 'm.file', 'org.matrix.msc3245.voice', 'fi.mau.gif'] }),
    reply: 2,
    thread: 0,
    edit: 2,
    editMaxAge: 15 * 60,
    editMaxCount: 5,
    delete: 2,
    deleteMaxAge: 120,
    deleteForMe: true,
    reaction: 2,
    reactionCount: 1,
    allowedReactions: [...IMESSAGE_TAPBACKS],
    customEmojiReactions: false,
    readReceipts: true,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    state: groupState(type, { description: false }),
  };
}

function whatsapp(type: 'single' | 'group'): ChatCapabilities {
  const caps: ChatCapabilities = {
    formatting: levels(
      ['bold', 'italic', 'strikethrough', 'inline_code', 'code_block', 'user_link', 'unordered_list', 'ordered_list', 'ordered_list.start', 'blockquote'],
      ['inline_link', 'headers'],
    ),
    maxTextLength: 65536,
    attachments: attachments(2000 * MiB, {
      caption: true,
      maxCaptionLength: 65536,
      extra: { 'm.image': { viewOnce: true }, 'm.video': { viewOnce: true } },
    }),
    locationMessage: 2,
    poll: 2,
    reply: 2,
    thread: 0,
    edit: 2,
    editMaxAge: 15 * 60,
    delete: 2,
    deleteMaxAge: 2 * DAY,
    deleteForMe: true,
    reaction: 2,
    reactionCount: 1,
    customEmojiReactions: false,
    disappearingTimer: { types: ['afterSend'], timers: [DAY * 1000, 7 * DAY * 1000, 90 * DAY * 1000] },
    readReceipts: true,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    deleteChat: true,
    state: groupState(type, { timer: true }),
  };
  if (type === 'group') caps.participantActions = { invite: 2, kick: 2, leave: 2 };
  return caps;
}

function signal(type: 'single' | 'group'): ChatCapabilities {
  const caps: ChatCapabilities = {
    formatting: levels(
      ['bold', 'italic', 'strikethrough', 'spoiler', 'inline_code', 'code_block', 'user_link'],
      ['blockquote', 'inline_link', 'unordered_list', 'ordered_list', 'headers'],
    ),
    maxTextLength: 2000,
    attachments: attachments(100 * MiB, {
      caption: true,
      maxCaptionLength: 2000,
      extra: {
        'm.image': { maxWidth: 4096, maxHeight: 4096, viewOnce: true },
        'm.video': { viewOnce: true },
        'org.matrix.msc3245.voice': { maxDuration: HOUR },
      },
    }),
    poll: 2,
    reply: 2,
    thread: 0,
    edit: 2,
    editMaxAge: DAY,
    editMaxCount: 10,
    delete: 2,
    deleteMaxAge: DAY,
    deleteForMe: true,
    reaction: 2,
    reactionCount: 1,
    customEmojiReactions: false,
    disappearingTimer: { types: ['afterRead'] },
    readReceipts: true,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    state: groupState(type, { timer: true }),
  };
  if (type === 'group') caps.participantActions = { ban: 2, invite: 2, kick: 2, leave: 2, revokeInvite: 2 };
  return caps;
}

function telegram(type: 'single' | 'group'): ChatCapabilities {
  const caps: ChatCapabilities = {
    formatting: levels(
      ['bold', 'italic', 'underline', 'strikethrough', 'spoiler', 'inline_code', 'code_block', 'code_block.syntax_highlighting', 'blockquote', 'inline_link', 'user_link'],
      ['unordered_list', 'ordered_list'],
      ['ordered_list.jump_value', 'custom_emoji', 'spoiler.reason'],
    ),
    maxTextLength: 4096,
    attachments: attachments(2048 * MiB, { caption: true, maxCaptionLength: 1024, extra: { 'm.image': { maxSize: 10 * MiB } } }),
    reply: 2,
    thread: 0,
    edit: 2,
    delete: 2,
    deleteForMe: true,
    reaction: 2,
    reactionCount: 1,
    allowedReactions: [...TELEGRAM_REACTIONS],
    customEmojiReactions: false,
    disappearingTimer: { types: ['afterSend'], timers: [DAY * 1000, 7 * DAY * 1000, 31 * DAY * 1000] },
    readReceipts: true,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    state: groupState(type, { timer: true }),
  };
  if (type === 'group') caps.participantActions = { ban: 2, invite: 2, kick: 2, leave: 2 };
  return caps;
}

function slack(type: 'single' | 'group'): ChatCapabilities {
  const caps: ChatCapabilities = {
    formatting: levels(
      ['bold', 'italic', 'strikethrough', 'inline_code', 'code_block', 'blockquote', 'inline_link', 'user_link', 'room_link', 'at_room_mention', 'unordered_list', 'ordered_list'],
      ['custom_emoji'],
    ),
    maxTextLength: 40000,
    attachments: attachments(1024 * MiB, { caption: true, kinds: ['m.image', 'm.video', 'm.audio', 'm.file', 'fi.mau.gif'] }),
    reply: 2,
    thread: 2,
    edit: 2,
    delete: 2,
    deleteForMe: false,
    reaction: 2,
    reactionCount: 23,
    customEmojiReactions: true,
    readReceipts: false,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    state: groupState(type, { avatar: false }),
  };
  if (type === 'group') caps.participantActions = { invite: 2, kick: 2, leave: 2 };
  return caps;
}

function discord(type: 'single' | 'group'): ChatCapabilities {
  const caps: ChatCapabilities = {
    formatting: levels(
      ['bold', 'italic', 'underline', 'strikethrough', 'spoiler', 'inline_code', 'code_block', 'code_block.syntax_highlighting', 'blockquote', 'headers', 'inline_link', 'user_link', 'room_link', 'custom_emoji', 'unordered_list', 'ordered_list'],
    ),
    maxTextLength: 2000,
    attachments: attachments(10 * MiB, { caption: true, maxCaptionLength: 2000 }),
    reply: 2,
    thread: 2,
    edit: 2,
    delete: 2,
    deleteForMe: false,
    reaction: 2,
    reactionCount: 20,
    customEmojiReactions: true,
    readReceipts: false,
    typingNotifications: true,
    archive: true,
    markAsUnread: true,
    state: groupState(type),
  };
  if (type === 'group') caps.participantActions = { ban: 2, invite: 2, kick: 2, leave: 2 };
  return caps;
}

function profile(
  key: ProfileKey,
  network: string,
  bridgeType: string,
  idStyle: SandboxProfile['idStyle'],
  capabilities: (type: 'single' | 'group') => ChatCapabilities,
  messageRequest?: SandboxProfile['messageRequest'],
): SandboxProfile {
  return { key, network, bridgeType, host: `sandbox-${key}.localhost`, idStyle, notifyAnyway: key === 'imessage', messageRequest, capabilities };
}

export const SANDBOX_PROFILES: Record<ProfileKey, SandboxProfile> = {
  imessage: profile('imessage', 'iMessage', 'imessage', 'phone', imessage),
  whatsapp: profile('whatsapp', 'WhatsApp', 'whatsapp', 'phone', whatsapp),
  // Signal: a reply accepts a request (partly: the sender learns only that you replied), as does its Accept button.
  signal: profile('signal', 'Signal', 'signal', 'phone', signal, { acceptWithMessage: 1, acceptWithButton: 2 }),
  telegram: profile('telegram', 'Telegram', 'telegram', 'handle', telegram),
  slack: profile('slack', 'Slack', 'slackgo', 'handle', slack),
  // Discord: a request must be accepted with its button before you can answer.
  discord: profile('discord', 'Discord', 'discordgo', 'snowflake', discord, { acceptWithMessage: 0, acceptWithButton: 2 }),
};

export const DEFAULT_DEMO_PROFILES: ProfileKey[] = ['imessage', 'whatsapp', 'signal', 'telegram'];
