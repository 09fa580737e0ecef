// MCP over streamable HTTP at /v0/mcp, with bearer tokens (stored ones and
// OAuth-issued ones alike) and the OAuth protected-resource metadata (RFC 9728)
// that tells MCP hosts where to get a token.
//
// Stateless mode: every POST gets a fresh McpServer and transport
// (sessionIdGenerator: undefined) built for the scopes of the token that came
// with it. Each request is authenticated on its own, so a revoked or expired
// token stops working at once and a session can never outlive its token's
// scopes; there is no session state to keep, bound or expire; and nothing here
// needs server-initiated messages (no subscriptions, no list changes), which is
// all a session or the GET stream would add. Building a server costs well under
// a millisecond next to the request itself. GET (the SSE stream) and DELETE
// (ending a session) are therefore answered 405, as the transport spec allows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.ts';
import { ApiError } from '../../core/errors.ts';
import { SCOPES, type Scope } from '../../core/services/tokens.ts';
import type { AuthFailureLimiter } from '../security.ts';

// The MCP SDK and the tools are loaded on the first MCP request, not at start-up:
// they are most of the server's module graph and many servers never see MCP.
let modules: Promise<[typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js'), typeof import('./server.ts')]> | undefined;
const loadMcp = () => (modules ??= Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('./server.ts')]));

export const MCP_PATH = '/v0/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** JSON-RPC bodies are parsed in memory; base64 attachments make them large (about 48 MB of file). */
export const MCP_BODY_LIMIT = 64 * 1024 * 1024;

export interface McpHttpDeps {
  core: Core;
  baseURL: () => string;
  limiter: AuthFailureLimiter;
  version: string;
}

const REASONS = {
  missing: 'No access token: send "Authorization: Bearer <token>" (create one with `switchboard token create`, or get one through OAuth).',
  malformed: 'The Authorization header is not "Bearer <token>".',
  unknown: 'The access token is not valid.',
  revoked: 'The access token was revoked.',
  expired: 'The access token has expired.',
} as const;

/**
 * RFC 9728 metadata of the MCP endpoint as a protected resource. `resource` is
 * the endpoint as the caller addressed it (hosts check that it matches the URL
 * they were given, e.g. localhost rather than 127.0.0.1); the authorization
 * server is the issuer its own metadata names.
 */
export function protectedResourceMetadata(origin: string, issuer: string) {
  return {
    resource: `${origin}${MCP_PATH}`,
    authorization_servers: [issuer],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Switchboard MCP server',
    resource_documentation: `${issuer}/v1/info`,
  };
}

const UNPARSABLE = Symbol('unparsable JSON');

const jsonRpcError = (reply: FastifyReply, status: number, code: number, message: string) =>
  reply.status(status).type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id: null });

export function registerMcp(app: FastifyInstance, deps: McpHttpDeps): void {
  const { core, baseURL, limiter } = deps;
  // The Host header has passed the root Host check (or --remote accepts any).
  const origin = (request: FastifyRequest) => (request.headers.host ? `${request.protocol}://${request.headers.host}` : baseURL());

  // Hosts look for the metadata at the root and, per RFC 9728 §3.1, under the resource's path.
  const metadata = async (request: FastifyRequest, reply: FastifyReply) => reply.header('vary', 'host').send(protectedResourceMetadata(origin(request), baseURL()));
  app.get(METADATA_PATH, metadata);
  app.get(`${METADATA_PATH}${MCP_PATH}`, metadata);

  void app.register(async (scope) => {
    const granted = new WeakMap<FastifyRequest, Scope[]>();

    // JSON-RPC wants its own parse error (-32700), not the REST error envelope.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MCP_BODY_LIMIT }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch {
        done(null, UNPARSABLE);
      }
    });

    // Authentication comes first, before a (possibly large) body is read.
    scope.addHook('onRequest', async (request, reply) => {
      limiter.check(request.ip);
      const result = await core.tokens.check(request.headers.authorization);
      if (!result.ok) {
        limiter.fail(request.ip);
        const message = REASONS[result.reason];
        // RFC 6750 §3: no error code when no token was sent at all.
        const error = result.reason === 'missing' ? '' : `, error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`;
        reply.header('www-authenticate', `Bearer resource_metadata="${origin(request)}${METADATA_PATH}"${error}`);
        throw new ApiError(401, 'UNAUTHORIZED', message);
      }
      granted.set(request, result.scopes);
    });

    scope.post(MCP_PATH, { bodyLimit: MCP_BODY_LIMIT }, async (request, reply) => {
      const body: unknown = request.body;
      if (body === UNPARSABLE || body === undefined) return jsonRpcError(reply, 400, -32700, 'Parse error: the body must be a JSON-RPC message (or a batch) in JSON.');
      const [{ StreamableHTTPServerTransport }, { createMcpServer }] = await loadMcp();
      const server = createMcpServer({ core, scopes: granted.get(request) ?? [], mode: 'http', version: deps.version });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      // The transport writes the response itself; headers set so far (version, CORS) go along.
      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string | string[] | number);
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, body);
      } catch (err) {
        request.log.error({ err }, 'MCP request failed');
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { 'content-type': 'application/json' });
          reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error; the server log has the details.' }, id: null }));
        }
      }
      return reply;
    });

    const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
      jsonRpcError(reply.header('allow', 'POST'), 405, -32000, 'Method not allowed: this MCP endpoint is stateless (no sessions, no event stream); send JSON-RPC with POST.');
    scope.get(MCP_PATH, notAllowed);
    scope.delete(MCP_PATH, notAllowed);
  });
}
