// One declaration per tool: name, words for the model, the scope it needs, its
// annotations and its zod input/output shapes. Registration adds what every tool
// shares: the scope check, structuredContent next to readable text, and core's
// errors turned into tool errors (isError) that say what went wrong.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type * as z from 'zod';
import type { Core } from '../../core/core.ts';
import type { Scope } from '../../core/services/tokens.ts';
import { ApiError } from '../../core/errors.ts';

export type McpMode = 'http' | 'stdio';

export interface ToolContext {
  core: Core;
  scopes: readonly Scope[];
  mode: McpMode;
  /** Core's time, for "2 hours ago". */
  now(): number;
}

export interface ToolOutput<O> {
  structured: O;
  /** Readable rendering of the result (the model may see only this). */
  text: string;
  /** More content after the text, e.g. images. */
  content?: ContentBlock[];
}

export interface ToolAnnotationsIn {
  /** The tool may delete or overwrite something, or sends something to other people. */
  destructiveHint?: boolean;
  /** Calling it again with the same arguments changes nothing more. */
  idempotentHint?: boolean;
  /** It reaches the chat network (other people), not only local state. */
  openWorldHint?: boolean;
}

export interface ToolDef<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  scope: Scope;
  annotations?: ToolAnnotationsIn;
  input: I;
  output: O;
  run(args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<ToolOutput<z.output<z.ZodObject<O>>>>;
}

/** Keeps the argument and result types of `run` tied to the shapes. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(def: ToolDef<I, O>): ToolDef {
  return def as unknown as ToolDef;
}

/** A failure the tool reports to the model as it is (isError), e.g. a refused argument. */
export class ToolFailure extends Error {}

export function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** Core's errors keep their message and code; anything unexpected is logged and reported briefly. */
export function errorResult(err: unknown, ctx: ToolContext, tool: string): CallToolResult {
  if (err instanceof ApiError) {
    const details = err.details && !('issues' in err.details) && Object.keys(err.details).length ? ` Details: ${JSON.stringify(err.details)}` : '';
    return toolError(`${err.message} (${err.code})${details}`);
  }
  if (err instanceof ToolFailure) return toolError(err.message);
  ctx.core.log.error({ err, tool }, 'MCP tool failed');
  return toolError(`${tool} hit an unexpected error (${err instanceof Error ? err.message : String(err)}); nothing was changed unless the result said so.`);
}

export const lacksScope = (tool: string, scope: Scope, scopes: readonly Scope[]) =>
  `This access token lacks the "${scope}" scope (it has ${scopes.map((s) => `"${s}"`).join(' and ') || 'none'}), so ${tool} did not run and nothing was ${scope === 'write' ? 'sent or changed' : 'read'}. Ask the user for a token with the ${scope} scope.`;

export function registerTool(server: McpServer, def: ToolDef, ctx: ToolContext): void {
  const annotations = {
    title: def.title,
    readOnlyHint: def.scope === 'read',
    ...(def.scope === 'write' ? { destructiveHint: def.annotations?.destructiveHint ?? false } : {}),
    ...(def.annotations?.idempotentHint !== undefined || def.scope === 'read' ? { idempotentHint: def.annotations?.idempotentHint ?? true } : {}),
    openWorldHint: def.annotations?.openWorldHint ?? false,
  };
  const callback = async (args: Record<string, unknown>): Promise<CallToolResult> => {
    if (!ctx.scopes.includes(def.scope)) return toolError(lacksScope(def.name, def.scope, ctx.scopes));
    try {
      const out = await def.run(args as never, ctx);
      return {
        structuredContent: out.structured as Record<string, unknown>,
        content: [{ type: 'text', text: out.text }, ...(out.content ?? [])],
      };
    } catch (err) {
      return errorResult(err, ctx, def.name);
    }
  };
  server.registerTool(
    def.name,
    { title: def.title, description: def.description, inputSchema: def.input, outputSchema: def.output, annotations },
    callback as never,
  );
}
