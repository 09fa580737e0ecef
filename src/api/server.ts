// The HTTP surface: one Fastify instance, cross-cutting hooks at the root, and
// every route from the resource modules registered from its declaration.
import os from 'node:os';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { Logger } from 'pino';
import * as z from 'zod';
import type { Core } from '../core/core.ts';
import type { InfoOutput } from '../core/schemas/outputs.ts';
import { coerceQuery } from './coerce.ts';
import { clientErrorHandler, errorHandler, notFoundHandler, validationError } from './errors.ts';
import { authenticate, AuthFailureLimiter, checkHost } from './security.ts';
import { applyCors } from './cors.ts';
import type { RouteDef } from './route.ts';
import { buildOpenApi } from './openapi.ts';
import { attachWebSocket } from './ws/server.ts';
import { oauthEndpoints, registerOAuth } from './oauth.ts';
import { registerMcp } from './mcp/http.ts';
import { infoRoutes } from './resources/info.ts';
import { accountRoutes } from './resources/accounts.ts';
import { chatRoutes } from './resources/chats.ts';
import { messageRoutes } from './resources/messages.ts';
import { appRoutes } from './resources/app.ts';
import { assetRoutes } from './resources/assets.ts';
import { sandboxRoutes } from './resources/sandbox.ts';

/** Compiler factory for route schemas, which this server never declares. */
const noFastifySchemas = () => () => {
  throw new Error('Fastify route schemas are not used: validate with zod in the route declaration (src/api/route.ts).');
};

export const APP_NAME = 'Switchboard';
export const BUNDLE_ID = 'dev.switchboard.server';

export interface ServerOptions {
  core: Core;
  log: Logger;
  version: string;
  host: string;
  port: number;
  remote: boolean;
  /** WebSocket keep-alive ping interval (default 30 s). */
  wsPingIntervalMs?: number;
}

export interface ServerFacts {
  info(): InfoOutput;
  spec(): Record<string, unknown>;
}

export interface Server {
  app: FastifyInstance;
  routes: RouteDef[];
  listen(): Promise<{ port: number; baseURL: string }>;
  close(): Promise<void>;
}

/** Every route of the API, in one table (also walked by the OpenAPI generator and the tests). */
export function routeTable(facts: ServerFacts): RouteDef[] {
  return [...infoRoutes(facts), ...accountRoutes, ...appRoutes, ...chatRoutes, ...messageRoutes, ...assetRoutes, ...sandboxRoutes];
}

export function createServer(opts: ServerOptions): Server {
  const { core } = opts;
  let boundPort = opts.port;
  const baseURL = () => `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${boundPort}`;
  let spec: Record<string, unknown> | undefined;
  let info: InfoOutput | undefined;

  const facts: ServerFacts = {
    // Computed once per bound port: it describes the server, which does not change.
    info: () => (info ??= describe()),
    spec: () => (spec ??= buildOpenApi(routes, { version: opts.version, baseURL: baseURL() })),
  };
  function describe(): InfoOutput {
    const base = baseURL();
    return {
      app: { name: APP_NAME, version: opts.version, bundle_id: BUNDLE_ID },
      platform: { os: process.platform, arch: process.arch, release: os.release() },
      server: { status: 'running', base_url: base, port: boundPort, hostname: opts.host, remote_access: opts.remote, mcp_enabled: true },
      endpoints: {
        oauth: oauthEndpoints(base),
        spec: `${base}/v1/spec`,
        mcp: `${base}/v0/mcp`,
        ws_events: `${base.replace(/^http/, 'ws')}/v1/ws`,
      },
    };
  }
  const routes = routeTable(facts);

  const app = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // A child logger per request only when its lines can be written (info and below); above, errors still log, without the request ID.
    childLoggerFactory: (logger, bindings, options) => (opts.log.isLevelEnabled('info') ? logger.child(bindings, options) : logger),
    bodyLimit: 2 * 1024 * 1024,
    requestTimeout: 120_000,
    connectionTimeout: 0,
    // Slow-body clients (slowloris) are cut off; long downloads are not, since the timer resets on activity.
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // No route declares a Fastify schema: requests are checked with zod (parse()
    // below) and responses written by the routes. Without these stand-ins Fastify
    // loads its Ajv and fast-json-stringify compilers at every start (~80 ms).
    schemaController: { compilersFactory: { buildValidator: noFastifySchemas, buildSerializer: noFastifySchemas } },
    return503OnClosing: true,
    // The router's and the HTTP parser's own refusals leave in the same envelope as ours.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-beeper-desktop-version', opts.version);
      errorHandler(err, request, reply);
    },
    clientErrorHandler: clientErrorHandler(opts.version),
  });

  const limiter = new AuthFailureLimiter();
  const hostPolicy = { remote: opts.remote, names: [opts.host].filter((h) => !['0.0.0.0', '::'].includes(h)).map((h) => (h.includes(':') ? `[${h}]` : h)), port: () => boundPort };

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // One hook for what every request gets: the version header, the Host check, CORS.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-beeper-desktop-version', opts.version);
    try {
      checkHost(hostPolicy, request.headers.host);
    } catch (err) {
      return done(err as Error);
    }
    if (!applyCors(request, reply)) done();
  });
  if (opts.log.isLevelEnabled('info')) app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  // JSON and multipart only: other bodies are refused with 415 instead of reaching validation as strings.
  app.removeContentTypeParser('text/plain');
  // An empty body with a JSON content type counts as no body (SDKs send that for optional bodies).
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || body === undefined) return done(null, undefined);
    jsonParser(req, body as string, done);
  });

  const register = (scope: FastifyInstance, def: RouteDef) => {
    const schemas = { params: def.params, query: def.query?.strict(), body: def.multipart ? undefined : def.body };
    scope.route({
      method: def.method,
      url: def.path.replace(/\{(\w+)\}/g, ':$1'),
      bodyLimit: def.bodyLimit,
      // Before the body is read: a request without a valid token costs no memory or disk.
      ...(def.scope === 'public' ? {} : { onRequest: async (request: FastifyRequest) => authenticate(core, limiter, { ip: request.ip, authorization: request.headers.authorization }, def.scope) }),
      handler: (request, reply) => {
        const { params, query, body } = validate(def, schemas, request);
        // Listed, not spread: under load, spreading the validated input into a new
        // object cost a quarter of a small response's CPU time (measured on /v1/info).
        const result = def.handler({ params, query, body, core, request, reply } as Parameters<RouteDef['handler']>[0]);
        const finish = (answer: unknown) => {
          if (reply.sent) return undefined;
          if (def.response.status === 204) {
            reply.status(204).send();
            return undefined;
          }
          return answer;
        };
        return result instanceof Promise ? result.then(finish) : finish(result);
      },
    });
  };
  void app.register(async (scope) => {
    for (const def of routes) if (!def.multipart) register(scope, def);
  });
  // Only uploads take multipart bodies, so only they load the plugin (and its hook
  // on every response); elsewhere Fastify finds no parser and answers 415.
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: 500 * 1024 * 1024, files: 1 } });
    for (const def of routes) if (def.multipart) register(scope, def);
  });

  registerOAuth(app, { core, baseURL, limiter, hostPolicy });
  registerMcp(app, { core, baseURL, limiter, version: opts.version });

  const ws = attachWebSocket(app.server, { core, limiter, hostPolicy, version: opts.version, pingIntervalMs: opts.wsPingIntervalMs });
  app.addHook('onClose', async () => ws.close());

  return {
    app,
    routes,
    async listen() {
      await app.listen({ host: opts.host, port: opts.port });
      const address = app.server.address();
      if (address && typeof address === 'object') boundPort = address.port;
      spec = undefined;
      info = undefined;
      return { port: boundPort, baseURL: baseURL() };
    },
    async close() {
      // In-flight requests get a moment to finish; kept-alive client sockets do not hold the shutdown.
      const force = setTimeout(() => app.server.closeAllConnections(), 2_000);
      await app.close();
      clearTimeout(force);
    },
  };
}

interface Compiled {
  params?: z.ZodType;
  query?: z.ZodObject;
  body?: z.ZodType;
}

function validate(def: RouteDef, schemas: Compiled, request: FastifyRequest) {
  const parse = <S extends z.ZodType | undefined>(schema: S, value: unknown, where: 'path' | 'query' | 'body') => {
    if (!schema) return undefined;
    const r = schema.safeParse(value);
    if (!r.success) throw validationError(r.error, where);
    return r.data;
  };
  const rawQuery = (request.query ?? {}) as Record<string, unknown>;
  const query = def.query ? coerceQuery(def.query.shape, rawQuery) : rawQuery;
  if (!def.query && Object.keys(rawQuery).length) {
    throw validationError(new z.ZodError([{ code: 'unrecognized_keys', keys: Object.keys(rawQuery), path: [], message: `This route takes no query parameters (got ${Object.keys(rawQuery).join(', ')})` }]), 'query');
  }
  return {
    params: parse(schemas.params, request.params, 'path'),
    query: parse(schemas.query, query, 'query'),
    body: parse(schemas.body, request.body ?? {}, 'body'),
  };
}
