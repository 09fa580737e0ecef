// Search and directory tools: unified search, message search, accounts, contacts.
import * as z from 'zod';
import type { Chat } from '../../../core/schemas/chat.ts';
import { McpAccount, McpChat, McpContact, McpMessage, paging } from '../schemas.ts';
import { chatText, contactText, messageText, moreText, toMcpAccount, toMcpChat, toMcpContact, toMcpMessage } from '../format.ts';
import { defineTool, type ToolDef } from '../tool.ts';
import { cursorArg } from './common.ts';

const names = (chats: Record<string, Chat>) => (id: string) => {
  const c = chats[id];
  return c ? { title: c.title, network: c.network } : undefined;
};

export function searchTools(): ToolDef[] {
  return [
    defineTool({
      name: 'search',
      title: 'Search everything',
      description:
        'One search over the whole inbox: chats whose title or network matches, groups with a member of that name, and messages containing the words (the 20 newest; ' +
        'search_messages with the same query and nextMessagesCursor gives more). Start here when the user names a person, group or topic.',
      scope: 'read',
      input: { query: z.string().min(1).describe('Text as the user would type it.') },
      output: {
        chats: z.array(McpChat).describe('Chats whose title or network matches.'),
        groups: z.array(McpChat).describe('Groups with a member whose name matches.'),
        messages: z.array(McpMessage).describe('Messages containing every word, newest first.'),
        hasMoreMessages: z.boolean(),
        nextMessagesCursor: z.string().nullable().describe('cursor for search_messages (with the same query) to get older matching messages.'),
      },
      async run({ query }, { core, now }) {
        const { results } = await core.search.unified(query);
        const chats = results.chats.map((c) => toMcpChat(c, now()));
        const groups = results.in_groups.map((c) => toMcpChat(c, now()));
        const label = names(results.messages.chats);
        const messages = results.messages.items.map((m) => toMcpMessage(m, now(), label(m.chatID)));
        const next = results.messages.hasMore ? results.messages.oldestCursor : null;
        const text = [
          `Chats matching "${query}": ${chats.length ? '' : 'none'}`,
          ...chats.map((c) => chatText(c)),
          `Groups with a member matching "${query}": ${groups.length ? '' : 'none'}`,
          ...groups.map((c) => chatText(c)),
          `Messages containing "${query}": ${messages.length ? '' : 'none'}`,
          ...messages.map((m) => messageText(m, { withChat: true })),
          next ? `More messages: call search_messages with query "${query}" and cursor "${next}".` : '',
        ].filter(Boolean);
        return { structured: { chats, groups, messages, hasMoreMessages: results.messages.hasMore, nextMessagesCursor: next }, text: text.join('\n\n') };
      },
    }),
    defineTool({
      name: 'search_messages',
      title: 'Search messages',
      description:
        'Finds messages containing every word of query (any order, ignoring case and accents; the last word also matches as a prefix), newest first, across all chats or only some. ' +
        'Filters: chatIDs, accountIDs, chatType, sender ("me", "others" or a user ID), dates, media. Low-priority chats are left out unless excludeLowPriority=false. Pass nextCursor for older matches.',
      scope: 'read',
      input: {
        query: z.string().min(1).optional().describe('Words the messages must contain.'),
        chatIDs: z.array(z.string()).optional().describe('Only in these chats (IDs or local IDs).'),
        accountIDs: z.array(z.string()).optional().describe('Only in these accounts.'),
        chatType: z.enum(['single', 'group']).optional(),
        sender: z.string().optional().describe('"me", "others", or a user ID.'),
        mediaTypes: z.array(z.enum(['any', 'image', 'video', 'file', 'link'])).optional().describe('Only messages with this kind of media.'),
        dateAfter: z.iso.datetime({ offset: true }).optional().describe('Only messages sent after this time (ISO 8601 with offset).'),
        dateBefore: z.iso.datetime({ offset: true }).optional().describe('Only messages sent before this time.'),
        excludeLowPriority: z.boolean().optional().describe('Leave out low-priority chats (default true).'),
        limit: z.int().min(1).max(20).optional().describe('Messages per page, 1-20 (default 20).'),
        cursor: cursorArg,
      },
      output: { messages: z.array(McpMessage).describe('Newest first; each names its chat and network.'), ...paging },
      async run(args, { core, now }) {
        const page = await core.search.messages({ ...args, direction: 'before' });
        const label = names(page.chats);
        const messages = page.items.map((m) => toMcpMessage(m, now(), label(m.chatID)));
        const nextCursor = page.hasMore ? page.oldestCursor : null;
        const head = messages.length ? `${messages.length} message${messages.length === 1 ? '' : 's'}${args.query ? ` containing "${args.query}"` : ''}, newest first:` : 'No messages match.';
        return {
          structured: { messages, hasMore: page.hasMore, nextCursor },
          text: [head, ...messages.map((m) => messageText(m, { withChat: true })), moreText('search_messages', nextCursor)].join('\n\n'),
        };
      },
    }),
    defineTool({
      name: 'list_accounts',
      title: 'List accounts',
      description: "Lists the user's chat accounts (one per network: WhatsApp, Signal, iMessage, Telegram, …) with their account IDs, the user's own identity on each, and whether it is connected.",
      scope: 'read',
      input: {},
      output: { accounts: z.array(McpAccount) },
      async run(_args, { core }) {
        const accounts = (await core.accounts.list()).map((a) => toMcpAccount(a, core.connectionState(a.accountID)?.state));
        const text = accounts.length
          ? accounts.map((a) => `${a.network} — account ${a.accountID}, you are ${contactText(a.user)}; ${a.connection}`).join('\n')
          : 'No accounts are set up.';
        return { structured: { accounts }, text };
      },
    }),
    defineTool({
      name: 'search_contacts',
      title: 'Find people',
      description:
        'Finds people by name, username, phone number or email on one account, or on all accounts when accountID is left out, including people the user has no chat with yet. ' +
        'The user IDs found work with start_chat.',
      scope: 'read',
      annotations: { openWorldHint: true },
      input: {
        query: z.string().min(1).describe('Name, handle, phone number or email.'),
        accountID: z.string().min(1).optional().describe('Only this account (see list_accounts).'),
      },
      output: { contacts: z.array(McpContact).describe('Each with the accountID and network it was found on.') },
      async run({ query, accountID }, { core }) {
        const accounts = accountID ? [await core.account(accountID)] : await core.accounts.records();
        const contacts: McpContact[] = [];
        for (const a of accounts) {
          const found = await core.contacts.search(a.id, query);
          contacts.push(...found.items.map((u) => ({ ...toMcpContact(u), accountID: a.id, network: a.network })));
        }
        const text = contacts.length ? contacts.map((c) => `${contactText(c)} on ${c.network} (account ${c.accountID})`).join('\n') : `Nobody matches "${query}".`;
        return { structured: { contacts }, text };
      },
    }),
  ];
}
