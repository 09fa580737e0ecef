// Prompts a host can offer the user: summarize what is unread, and draft a reply
// to a chat. Each fills in the current data so the model starts with it.
import * as z from 'zod';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ApiError } from '../../core/errors.ts';
import { chatText, memberNames, messageText, toMcpChat, toMcpMessage } from './format.ts';
import type { McpMessage } from './schemas.ts';
import { latestMessages } from './resources.ts';
import { lacksScope, type ToolContext } from './tool.ts';

/** summarize_unread covers at most this many chats, and this many unread messages of each. */
const UNREAD_CHATS = 20;
const UNREAD_PER_CHAT = 50;
/** draft_reply shows this many of the latest messages. */
const REPLY_CONTEXT = 30;

/** An unknown chat or account named in a prompt argument is an invalid-params error naming it. */
async function invalidParamsOn404<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new McpError(ErrorCode.InvalidParams, err.message);
    throw err;
  }
}

export function registerPrompts(server: McpServer, ctx: ToolContext): void {
  const { core } = ctx;
  const requireRead = () => {
    if (!ctx.scopes.includes('read')) throw new McpError(ErrorCode.InvalidRequest, lacksScope('this prompt', 'read', ctx.scopes));
  };
  const user = (text: string) => ({ role: 'user' as const, content: { type: 'text' as const, text } });

  server.registerPrompt(
    'summarize_unread',
    {
      title: 'Summarize unread chats',
      description: 'Summarizes the unread chats (all accounts, or one), most recent first: who wrote, what they want, and what needs an answer.',
      argsSchema: {
        accountID: z.string().optional().describe('Only this account (see list_accounts); all accounts when left out.'),
      },
    },
    async ({ accountID }) => {
      requireRead();
      if (accountID) await invalidParamsOn404(() => core.account(accountID));
      const page = await core.chats.search({ unreadOnly: true, limit: UNREAD_CHATS, direction: 'before', ...(accountID ? { accountIDs: [accountID] } : {}) });
      const now = ctx.now();
      const sections: string[] = [];
      for (const c of page.items) {
        const chat = toMcpChat(c, now);
        const names = memberNames(c);
        const unread: McpMessage[] = [];
        let cursor: string | undefined;
        // Unread messages are the newest ones: page back until the older ones are read.
        for (;;) {
          const p = await core.messages.list(c.id, { cursor, direction: 'before' });
          const fresh = p.items.filter((m) => m.isUnread).map((m) => toMcpMessage(m, now, undefined, names));
          unread.push(...fresh);
          if (!p.hasMore || !p.oldestCursor || unread.length >= UNREAD_PER_CHAT || p.items.some((m) => !m.isSender && !m.isUnread)) break;
          cursor = p.oldestCursor;
        }
        const shown = unread.slice(0, UNREAD_PER_CHAT).reverse();
        sections.push([chatText(chat), ...shown.map((m) => messageText(m))].join('\n'));
      }
      const scope = accountID ? ` on account ${accountID}` : '';
      const intro = page.items.length
        ? `Here are my unread chats${scope} (${page.items.length}${page.hasMore ? ` most recent; there are more` : ''}), each with its unread messages, oldest first.`
        : `I have no unread chats${scope}.`;
      const ask =
        'Summarize them for me, most important first: for each chat, who wrote and what they want in one or two sentences, and say clearly when someone waits for an answer or a decision from me. ' +
        'Group chats where nothing needs me can share one line. Keep the chat IDs at hand in case I want to reply (send_message) or mark chats read (mark_read), but do not do either unless I ask.';
      return { description: 'Unread chats to summarize', messages: [user([intro, ...sections, ask].join('\n\n'))] };
    },
  );

  server.registerPrompt(
    'draft_reply',
    {
      title: 'Draft a reply',
      description: 'Drafts a reply to a chat from its latest messages, in the language and tone of the conversation, for the user to review before anything is sent.',
      argsSchema: {
        chatID: z.string().min(1).describe('The chat to reply in (chat ID or local chat ID).'),
        instructions: z.string().optional().describe('What the reply should say or how it should sound, e.g. "decline politely".'),
      },
    },
    async ({ chatID, instructions }) => {
      requireRead();
      const full = await invalidParamsOn404(() => core.chats.get(chatID, 500));
      const chat = toMcpChat(full, ctx.now());
      const messages = await latestMessages(core, chat.id, REPLY_CONTEXT, ctx.now(), memberNames(full));
      const text = [
        `Here is my ${chat.network} chat "${chat.title}", latest messages oldest first:`,
        [chatText(chat, true), ...messages.map((m) => messageText(m))].join('\n'),
        `Draft my reply to it.${instructions ? ` What I want to say: ${instructions}` : ''}`,
        'Write as me, in the language and tone of the conversation, answering what is still open; keep it as short as a chat message should be. ' +
          `Show me the draft and do not send it until I approve; then send it with send_message (chatID ${chat.id}), or keep it as the chat's draft with update_chat.`,
      ].join('\n\n');
      return { description: `Reply draft for "${chat.title}" (${chat.network})`, messages: [user(text)] };
    },
  );
}
