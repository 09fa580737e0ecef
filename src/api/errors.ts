// Every error leaves in the same envelope: {message, code, details}.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { ApiError } from '../core/errors.ts';

export function validationError(error: z.ZodError, where: 'path' | 'query' | 'body'): ApiError {
  const issues = error.issues.map((i) => ({ code: i.code, message: i.message, path: [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))] }));
  const first = issues[0]!;
  return new ApiError(400, 'VALIDATION_ERROR', `Invalid request ${where}: ${first.path.slice(1).join('.') || where} — ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}.`, { issues });
}

/** Fastify's own errors (bad JSON, wrong content type, body too large, …) in our envelope. */
function fromFastify(err: FastifyError): ApiError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'INVALID_JSON', `The request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'This route takes application/json (or multipart/form-data for uploads).');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is too large: ${err.message}`);
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'INVALID_URL', 'The URL has an invalid %-escape; encode path parameters with encodeURIComponent.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(414, 'URI_TOO_LONG', 'A path parameter is longer than 1000 characters; no ID is that long.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PROTO_VIOLATION':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ApiError(400, 'INVALID_BODY', err.message);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ApiError(err.statusCode, 'BAD_REQUEST', err.message);
  return undefined;
}

export function errorHandler(this: unknown, err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let api = err instanceof ApiError ? err : err instanceof z.ZodError ? validationError(err, 'body') : fromFastify(err as FastifyError);
  if (!api) {
    request.log.error({ err }, 'unhandled error');
    api = new ApiError(500, 'INTERNAL_ERROR', 'The server hit an unexpected error; the log has the details. Nothing was changed unless the response said so.');
  } else if (api.status >= 500) request.log.error({ err }, api.message);
  if (api.status === 429 && api.details && 'retryAfter' in api.details) reply.header('retry-after', String(api.details.retryAfter));
  // Refused before its body was read (no token, too large): keep the connection while
  // the rest is read and discarded. Closing with unread data in flight resets the
  // connection, and a reset can destroy this answer before the client has read it.
  if (!request.raw.complete) {
    reply.removeHeader('connection'); // Fastify asks for a close after body errors
    reply.raw.shouldKeepAlive = true;
    reply.raw.once('finish', () => request.raw.resume());
  }
  void reply.status(api.status).type('application/json').send({ message: api.message, code: api.code, ...(api.details !== undefined ? { details: api.details } : {}) });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ message: `No route ${request.method} ${request.url.split('?')[0]}. GET /v1/spec lists them.`, code: 'ROUTE_NOT_FOUND' });
}

/**
 * Errors of the HTTP parser (header block too large, malformed request line,
 * timeouts) come before any request exists: answered here on the raw socket, in
 * the same envelope, then the connection is closed as Node would.
 */
export function clientErrorHandler(version: string) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time; the connection is closed.']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'HEADERS_TOO_LARGE', 'The URL and headers exceed 16 KB; pass long lists in several requests.']
          : [400, 'BAD_REQUEST', 'The request is not valid HTTP/1.1.'];
    const body = JSON.stringify({ message, code });
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Beeper-Desktop-Version: ${version}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
