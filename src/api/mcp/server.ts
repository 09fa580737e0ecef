// The MCP server: Switchboard's inbox as tools, resources and prompts for AI
// assistants. One McpServer is built for one caller — its scopes decide which
// tools may run — and served over streamable HTTP (http.ts) or stdio
// (src/cli/mcp-command.ts). Every tool calls the same core services as the REST
// routes, so validation, capability checks and events are the same.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Core } from '../../core/core.ts';
import type { Scope } from '../../core/services/tokens.ts';
import { TIME_ZONE } from './format.ts';
import { registerPrompts } from './prompts.ts';
import { registerResources } from './resources.ts';
import { registerTool, type McpMode, type ToolContext, type ToolDef } from './tool.ts';
import { chatTools } from './tools/chats.ts';
import { messageTools } from './tools/messages.ts';
import { searchTools } from './tools/search.ts';

export interface McpServerOptions {
  core: Core;
  /** What the caller may do: `read` for the read tools, `write` for the others. */
  scopes: readonly Scope[];
  /** http: attachments only from the data directory's uploads and media; stdio: any file the user can read. */
  mode: McpMode;
  /** Switchboard's version, announced to the host. */
  version: string;
}

const toolsByMode = new Map<McpMode, ToolDef[]>();

/** Every tool, in the order hosts list them (built once per mode: HTTP builds a server per request). */
export function allTools(mode: McpMode): ToolDef[] {
  let tools = toolsByMode.get(mode);
  if (!tools) toolsByMode.set(mode, (tools = [...searchTools(), ...chatTools(), ...messageTools(mode)]));
  return tools;
}

const INSTRUCTIONS = `Switchboard is the user's chat inbox across networks (WhatsApp, Signal, iMessage, Telegram, …), on the user's own machine.
- Find things with search (chats, groups and messages at once), search_chats or search_messages; read a chat with list_messages.
- Chats are named by chatID ("!…:host", or a short numeric local ID), messages by messageID ("$…"); tools that act on them take these IDs.
- Times are given as ISO 8601 and in the user's time zone (${TIME_ZONE}), e.g. "Tue 24 Nov, 14:05 (2 hours ago)".
- Long lists come in pages: pass nextCursor back as cursor for the next one. Message texts are never shortened.
- Tools that send or change something act as the user and are visible to other people: only use them when the user asked.`;

export function createMcpServer(opts: McpServerOptions): McpServer {
  const { core } = opts;
  const server = new McpServer(
    { name: 'switchboard', title: 'Switchboard', version: opts.version },
    { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS },
  );
  const ctx: ToolContext = { core, scopes: opts.scopes, mode: opts.mode, now: () => core.now() };
  for (const def of allTools(opts.mode)) registerTool(server, def, ctx);
  registerResources(server, ctx);
  registerPrompts(server, ctx);
  return server;
}
