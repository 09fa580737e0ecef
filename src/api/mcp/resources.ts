// Chats as MCP resources: switchboard://chat/{chatID}, readable as Markdown (the
// chat, its members and its latest messages, oldest first). The list holds the
// most recently active chats; any chat can be read through the template.
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Core } from '../../core/core.ts';
import { ApiError } from '../../core/errors.ts';
import { chatText, memberNames, messageText, toMcpChat, toMcpMessage } from './format.ts';
import type { McpChat, McpMessage } from './schemas.ts';
import { lacksScope, type ToolContext } from './tool.ts';

export const CHAT_URI_PREFIX = 'switchboard://chat/';
/** How many chats resources/list names (the most recently active). */
export const LISTED_CHATS = 100;
/** How many of the latest messages a chat resource shows. */
export const RESOURCE_MESSAGES = 40;
/** JSON-RPC code MCP uses for an unknown resource. */
const RESOURCE_NOT_FOUND = -32002;

export const chatURI = (chatID: string) => `${CHAT_URI_PREFIX}${chatID}`;

/** The latest messages of a chat, oldest first, at least `count` when the chat has that many. */
export async function latestMessages(core: Core, chatID: string, count: number, now: number, names?: Map<string, string>): Promise<McpMessage[]> {
  const out: McpMessage[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await core.messages.list(chatID, { cursor, direction: 'before' });
    out.push(...page.items.map((m) => toMcpMessage(m, now, undefined, names)));
    if (!page.hasMore || !page.oldestCursor || out.length >= count) break;
    cursor = page.oldestCursor;
  }
  return out.reverse();
}

export function chatMarkdown(chat: McpChat, messages: McpMessage[]): string {
  return [
    `# ${chat.title}`,
    '',
    chatText(chat, true),
    '',
    `## Latest ${messages.length} messages, oldest first`,
    '',
    ...messages.map((m) => messageText(m)),
    '',
    `Older messages: list_messages with chatID ${chat.id} and the nextCursor of each page.`,
  ].join('\n');
}

export function registerResources(server: McpServer, ctx: ToolContext): void {
  const { core } = ctx;
  const requireRead = () => {
    if (!ctx.scopes.includes('read')) throw new McpError(ErrorCode.InvalidRequest, lacksScope('reading chats', 'read', ctx.scopes));
  };
  const template = new ResourceTemplate(`${CHAT_URI_PREFIX}{chatID}`, {
    list: async () => {
      requireRead();
      const page = await core.chats.search({ limit: LISTED_CHATS, direction: 'before' });
      return {
        resources: page.items.map((c) => {
          const chat = toMcpChat(c, ctx.now());
          return {
            uri: chatURI(c.id),
            name: chat.title,
            title: `${chat.title} (${chat.network})`,
            description: `${chat.network} ${chat.type === 'group' ? `group of ${chat.participantCount}` : 'one-to-one chat'}${chat.unreadCount ? `, ${chat.unreadCount} unread` : ''}${chat.lastActivityTime ? `, last active ${chat.lastActivityTime}` : ''}`,
            mimeType: 'text/markdown',
          };
        }),
      };
    },
  });
  server.registerResource(
    'chat',
    template,
    {
      title: 'Chat',
      description: `A chat with its members and latest ${RESOURCE_MESSAGES} messages, as Markdown. The list names the ${LISTED_CHATS} most recently active chats; any chat ID (or local chat ID) can be read.`,
      mimeType: 'text/markdown',
    },
    async (uri, variables) => {
      requireRead();
      const raw = variables.chatID;
      const chatID = decodeURIComponent(Array.isArray(raw) ? raw.join('/') : (raw ?? ''));
      try {
        const full = await core.chats.get(chatID, 500);
        const chat = toMcpChat(full, ctx.now());
        const messages = await latestMessages(core, chat.id, RESOURCE_MESSAGES, ctx.now(), memberNames(full));
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: chatMarkdown(chat, messages) }] };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) throw new McpError(RESOURCE_NOT_FOUND, err.message, { uri: uri.href });
        throw err;
      }
    },
  );
}
