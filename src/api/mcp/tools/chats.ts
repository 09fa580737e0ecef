// Chat tools: find and inspect chats, and change their state (read markers,
// archive, reminders, pin/mute/low priority/draft, notify anyway, start a chat).
import * as z from 'zod';
import type { ChatCapabilities } from '../../../core/schemas/capabilities.ts';
import { ApiError } from '../../../core/errors.ts';
import { McpChat, paging } from '../schemas.ts';
import { chatText, humanTime, moreText, toMcpChat } from '../format.ts';
import { defineTool, ToolFailure, type ToolDef } from '../tool.ts';
import { chatIDArg, chatResult, cursorArg, messageIDArg } from './common.ts';

const Capabilities = z.object({
  maxTextLength: z.number().optional().describe('Longest text accepted, in characters.'),
  formatting: z.boolean().describe('Whether bold, italic, links, … are kept.'),
  replies: z.boolean(),
  reactions: z.boolean(),
  allowedReactions: z.array(z.string()).optional().describe('The only reactions accepted; absent means any emoji.'),
  edits: z.boolean(),
  editWindowSeconds: z.number().optional().describe('How long after sending a message can still be edited.'),
  deleteForEveryone: z.boolean(),
  deleteWindowSeconds: z.number().optional(),
  attachmentKinds: z.array(z.string()).describe('Kinds of files accepted (m.image, m.video, m.audio, m.file, …).'),
});

function summarize(c: ChatCapabilities): z.infer<typeof Capabilities> {
  const on = (level: number | undefined) => (level ?? 0) > 0;
  return {
    ...(c.maxTextLength !== undefined ? { maxTextLength: c.maxTextLength } : {}),
    formatting: Object.values(c.formatting ?? {}).some((l) => l > 0),
    replies: on(c.reply),
    reactions: on(c.reaction),
    ...(c.allowedReactions ? { allowedReactions: c.allowedReactions } : {}),
    edits: on(c.edit),
    ...(c.editMaxAge !== undefined ? { editWindowSeconds: c.editMaxAge } : {}),
    deleteForEveryone: on(c.delete),
    ...(c.deleteMaxAge !== undefined ? { deleteWindowSeconds: c.deleteMaxAge } : {}),
    attachmentKinds: Object.keys(c.attachments ?? {}),
  };
}

const chatOut = { chat: McpChat };

export function chatTools(): ToolDef[] {
  return [
    defineTool({
      name: 'search_chats',
      title: 'Find chats',
      description:
        'Finds chats, most recently active first. query matches chat titles and network names (scope=participants: member names); without query it lists all chats. ' +
        'Filter by unreadOnly, inbox (primary, low-priority, archive), type (single/group) or accountIDs. Use it to find the chatID of a person or group, or to see what is unread.',
      scope: 'read',
      input: {
        query: z.string().min(1).optional().describe('Words to find; every word must match, in any order, ignoring case and accents.'),
        scope: z.enum(['titles', 'participants']).optional().describe("'titles' (default) or 'participants' (member names)."),
        unreadOnly: z.boolean().optional().describe('Only chats with unread messages.'),
        inbox: z.enum(['primary', 'low-priority', 'archive']).optional().describe('Only chats in this inbox.'),
        type: z.enum(['single', 'group', 'any']).optional().describe('Only one-to-one or only group chats (default any).'),
        accountIDs: z.array(z.string()).optional().describe('Only these accounts (see list_accounts).'),
        limit: z.int().min(1).max(50).optional().describe('Chats per page, 1-50 (default 20).'),
        cursor: cursorArg,
      },
      output: { chats: z.array(McpChat), ...paging },
      async run(args, { core, now }) {
        const page = await core.chats.search({
          query: args.query,
          scope: args.scope,
          unreadOnly: args.unreadOnly,
          inbox: args.inbox,
          type: args.type,
          accountIDs: args.accountIDs,
          limit: args.limit ?? 20,
          cursor: args.cursor,
          direction: 'before',
        });
        const chats = page.items.map((c) => toMcpChat(c, now()));
        const nextCursor = page.hasMore ? page.oldestCursor : null;
        const head = chats.length ? `${chats.length} chat${chats.length === 1 ? '' : 's'}, most recently active first:` : 'No chats match.';
        return { structured: { chats, hasMore: page.hasMore, nextCursor }, text: [head, ...chats.map((c) => chatText(c)), moreText('search_chats', nextCursor)].join('\n\n') };
      },
    }),
    defineTool({
      name: 'get_chat',
      title: 'Get a chat',
      description: "Gets one chat: title, network, members, unread count, state (archived, pinned, muted, reminder, draft) and what its network accepts (text length, reactions, edits, files).",
      scope: 'read',
      input: { chatID: chatIDArg, maxParticipants: z.int().min(1).max(500).optional().describe('How many members to list (default 50).') },
      output: { chat: McpChat, capabilities: Capabilities },
      async run({ chatID, maxParticipants }, { core, now }) {
        const full = await core.chats.get(chatID, maxParticipants ?? 50);
        const chat = toMcpChat(full, now());
        const capabilities = summarize(full.capabilities ?? {});
        const caps = [
          capabilities.maxTextLength ? `texts up to ${capabilities.maxTextLength} characters` : '',
          capabilities.allowedReactions ? `reactions: ${capabilities.allowedReactions.join(' ')}` : capabilities.reactions ? 'any emoji reaction' : 'no reactions',
          capabilities.edits ? `edits${capabilities.editWindowSeconds ? ` within ${Math.round(capabilities.editWindowSeconds / 60)} min` : ''}` : 'no edits',
          capabilities.attachmentKinds.length ? `files: ${capabilities.attachmentKinds.join(', ')}` : 'no files',
        ].filter(Boolean);
        return { structured: { chat, capabilities }, text: `${chatText(chat, true)}\n  network accepts: ${caps.join('; ')}` };
      },
    }),
    defineTool({
      name: 'mark_read',
      title: 'Mark a chat read',
      description: 'Marks a chat read (everything, or up to and including upToMessageID); the network may show read receipts to the others.',
      scope: 'write',
      annotations: { idempotentHint: true, openWorldHint: true },
      input: { chatID: chatIDArg, upToMessageID: messageIDArg.optional() },
      output: chatOut,
      async run({ chatID, upToMessageID }, { core, now }) {
        const chat = toMcpChat(await core.chats.markRead(chatID, upToMessageID), now());
        return { structured: { chat }, text: `Marked read: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'mark_unread',
      title: 'Mark a chat unread',
      description: 'Flags a chat unread so the user comes back to it; with fromMessageID, that message and the later ones count as unread again.',
      scope: 'write',
      annotations: { idempotentHint: true },
      input: { chatID: chatIDArg, fromMessageID: messageIDArg.optional() },
      output: chatOut,
      async run({ chatID, fromMessageID }, { core, now }) {
        const chat = toMcpChat(await core.chats.markUnread(chatID, fromMessageID), now());
        return { structured: { chat }, text: `Marked unread: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'archive_chat',
      title: 'Archive a chat',
      description: 'Moves a chat to the archive (archived=true, the default) or back to the inbox (archived=false). Nothing is deleted.',
      scope: 'write',
      annotations: { idempotentHint: true },
      input: { chatID: chatIDArg, archived: z.boolean().optional().describe('true (default) archives, false unarchives.') },
      output: chatOut,
      async run({ chatID, archived }, { core, now }) {
        await core.chats.archive(chatID, archived ?? true);
        const chat = await chatResult(core, chatID, now());
        return { structured: { chat }, text: `${archived === false ? 'Unarchived' : 'Archived'}: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'set_reminder',
      title: 'Set a reminder',
      description:
        'Reminds the user about a chat later: at that time the chat is marked unread. Give remindAt (ISO 8601 with a time zone offset) or inMinutes. ' +
        'With dismissOnIncomingMessage, a new message from someone else cancels the reminder. Replaces any earlier reminder of the chat.',
      scope: 'write',
      annotations: { idempotentHint: true },
      input: {
        chatID: chatIDArg,
        remindAt: z.iso.datetime({ offset: true }).optional().describe('When, e.g. "2025-11-24T14:05:00+01:00".'),
        inMinutes: z.number().positive().max(5 * 366 * 24 * 60).optional().describe('Or: this many minutes from now.'),
        dismissOnIncomingMessage: z.boolean().optional().describe('Cancel the reminder when someone writes in the chat (default false).'),
      },
      output: chatOut,
      async run({ chatID, remindAt, inMinutes, dismissOnIncomingMessage }, { core, now }) {
        if ((remindAt === undefined) === (inMinutes === undefined)) throw new ToolFailure('Give exactly one of remindAt or inMinutes; no reminder was set.');
        const at = remindAt !== undefined ? Date.parse(remindAt) : now() + inMinutes! * 60_000;
        if (at <= now()) throw new ToolFailure(`${remindAt} is in the past (it is now ${new Date(now()).toISOString()}); no reminder was set.`);
        await core.chats.setReminder(chatID, { reminder: { remindAt: new Date(at).toISOString(), dismissOnIncomingMessage: dismissOnIncomingMessage ?? false } });
        const chat = await chatResult(core, chatID, now());
        return { structured: { chat }, text: `Reminder set for ${humanTime(at, now())}: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'clear_reminder',
      title: 'Clear a reminder',
      description: "Removes a chat's reminder (set with set_reminder), if it has one; the chat will not be marked unread for it.",
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: true },
      input: { chatID: chatIDArg },
      output: chatOut,
      async run({ chatID }, { core, now }) {
        await core.chats.clearReminder(chatID);
        const chat = await chatResult(core, chatID, now());
        return { structured: { chat }, text: `Reminder cleared: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'update_chat',
      title: 'Pin, mute or set a draft',
      description:
        "Changes a chat's state in this inbox: pinned, muted, lowPriority, and the draft (unsent text the user finds in the chat, Markdown). " +
        'A draft is set only when the chat has none: clear it first with draft=null. Only the fields given change.',
      scope: 'write',
      annotations: { idempotentHint: true },
      input: {
        chatID: chatIDArg,
        pinned: z.boolean().optional(),
        muted: z.boolean().optional(),
        lowPriority: z.boolean().optional().describe('Move to (true) or out of (false) the low-priority inbox.'),
        draft: z.string().nullable().optional().describe('Draft text (Markdown), or null to clear the draft.'),
      },
      output: chatOut,
      async run({ chatID, pinned, muted, lowPriority, draft }, { core, now }) {
        if (pinned === undefined && muted === undefined && lowPriority === undefined && draft === undefined) {
          throw new ToolFailure('Nothing to change: give pinned, muted, lowPriority or draft.');
        }
        const updated = await core.chats.patch(chatID, {
          ...(pinned !== undefined ? { isPinned: pinned } : {}),
          ...(muted !== undefined ? { isMuted: muted } : {}),
          ...(lowPriority !== undefined ? { isLowPriority: lowPriority } : {}),
          ...(draft !== undefined ? { draft: draft === null ? null : { text: draft } } : {}),
        });
        const chat = toMcpChat(updated, now());
        return { structured: { chat }, text: `Updated: ${chatText(chat)}` };
      },
    }),
    defineTool({
      name: 'notify_anyway',
      title: 'Notify anyway',
      description:
        "Asks the network to notify the other person of a one-to-one chat although their Focus / do-not-disturb is on (iMessage's \"Notify Anyway\"). " +
        'Use it only when the user wants to break through for something urgent. Networks without the feature refuse, and nothing is sent.',
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
      input: { chatID: chatIDArg },
      output: { notified: z.literal(true), chat: McpChat },
      async run({ chatID }, { core, now }) {
        try {
          const chat = toMcpChat(await core.chats.notifyAnyway(chatID), now());
          return { structured: { notified: true as const, chat }, text: `${chat.network} notified the other person of "${chat.title}" despite their Focus.` };
        } catch (err) {
          if (err instanceof ApiError && err.status === 422) {
            const nothing = /nothing was sent/i.test(err.message) ? '' : ' Nothing was sent.';
            throw new ToolFailure(`${err.message}${nothing} (${err.code})`);
          }
          throw err;
        }
      },
    }),
    defineTool({
      name: 'start_chat',
      title: 'Start a chat',
      description:
        'Opens a one-to-one chat with someone on one account (see list_accounts), from their user ID (search_contacts finds it) or a username, phone number or email. ' +
        'Returns the existing chat when there is one. It sends nothing: use send_message with the chat ID afterwards.',
      scope: 'write',
      annotations: { idempotentHint: true, openWorldHint: true },
      input: {
        accountID: z.string().min(1).describe('Account to start the chat on.'),
        userID: z.string().optional().describe('User ID from search_contacts.'),
        username: z.string().optional(),
        phoneNumber: z.string().optional().describe('In international form, e.g. +15550101002.'),
        email: z.string().optional(),
      },
      output: { status: z.enum(['existing', 'created']), chat: McpChat },
      async run({ accountID, userID, username, phoneNumber, email }, { core, now }) {
        if (!userID && !username && !phoneNumber && !email) throw new ToolFailure('Give userID, username, phoneNumber or email of the person.');
        const out = await core.chats.start({ accountID, user: { id: userID, username, phoneNumber, email } });
        const chat = toMcpChat(out, now());
        const status = out.status ?? 'existing';
        return { structured: { status, chat }, text: `${status === 'created' ? 'Started a new chat' : 'There already is a chat'}: ${chatText(chat)}` };
      },
    }),
  ];
}
