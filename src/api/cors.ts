// Cross-origin access: pages served by this machine may call the API; anyone may
// read the discovery documents under /.well-known/. A small hook rather than the
// CORS plugin: most callers (SDKs, tools) send no Origin at all and pass through
// untouched, where the plugin rebuilt its options on every request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLocalOrigin } from './security.ts';

const METHODS = 'GET, POST, PUT, PATCH, DELETE';
const HEADERS = 'authorization, content-type, range, if-none-match, mcp-protocol-version, mcp-session-id, last-event-id';
const EXPOSED = 'x-beeper-desktop-version, content-range, etag';
const MAX_AGE = '600';

/** Adds the CORS headers a request's Origin earns; answers a preflight itself (then returns true). */
export function applyCors(request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  const open = request.url.startsWith('/.well-known/');
  const allowed = open || isLocalOrigin(origin);
  reply.header('vary', 'Origin');
  if (allowed) reply.header('access-control-allow-origin', open ? '*' : origin).header('access-control-expose-headers', EXPOSED);
  if (request.method !== 'OPTIONS' || !request.headers['access-control-request-method']) return false;
  // A preflight: answered here. Without the allow headers, the browser refuses.
  if (allowed) reply.header('access-control-allow-methods', METHODS).header('access-control-allow-headers', HEADERS).header('access-control-max-age', MAX_AGE);
  void reply.status(204).send();
  return true;
}
