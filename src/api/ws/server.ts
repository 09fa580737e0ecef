// /v1/ws: the same bearer token as the REST routes, checked on the upgrade request
// (with the Host check), so an unauthorized client gets a plain HTTP 401 and never
// a socket. Keep-alive pings find dead peers.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Core } from '../../core/core.ts';
import { ApiError } from '../../core/errors.ts';
import { authenticate, checkHost, type AuthFailureLimiter, type HostPolicy } from '../security.ts';
import { Connection } from './connection.ts';
import { EntryBuilder } from './entries.ts';

export const WS_PATH = '/v1/ws';

export interface WebSocketOptions {
  core: Core;
  limiter: AuthFailureLimiter;
  hostPolicy: HostPolicy;
  version: string;
  /** Keep-alive ping interval; a client that has not answered the previous ping is dropped. */
  pingIntervalMs?: number;
}

function refuse(socket: Duplex, status: number, reason: string, body: object, version: string): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
      `X-Beeper-Desktop-Version: ${version}\r\nConnection: close\r\n\r\n${json}`,
  );
}

export function attachWebSocket(server: Server, opts: WebSocketOptions): { close(): void; clients(): number } {
  const { core } = opts;
  const entries = new EntryBuilder(core);
  const alive = new WeakMap<WebSocket, boolean>();
  // The WebSocket library is loaded by the first upgrade, not at start: a shorter cold start.
  let wss: WebSocketServer | undefined;
  let loading: Promise<WebSocketServer> | undefined;
  const socketServer = () =>
    (loading ??= import('ws').then(({ WebSocketServer }) => {
      wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
      wss.on('headers', (headers) => headers.push(`X-Beeper-Desktop-Version: ${opts.version}`));
      return wss;
    }));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) return refuse(socket, 404, 'Not Found', { message: `No WebSocket endpoint at ${path}; use ${WS_PATH}.`, code: 'ROUTE_NOT_FOUND' }, opts.version);
      try {
        checkHost(opts.hostPolicy, req.headers.host);
        await authenticate(core, opts.limiter, { ip: req.socket.remoteAddress ?? '', authorization: req.headers.authorization }, 'read');
      } catch (err) {
        if (err instanceof ApiError) {
          const reasons: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests' };
          return refuse(socket, err.status, reasons[err.status] ?? 'Bad Request', { message: err.message, code: err.code }, opts.version);
        }
        core.log.error({ err }, 'websocket upgrade failed');
        return refuse(socket, 500, 'Internal Server Error', { message: 'The server hit an unexpected error.', code: 'INTERNAL_ERROR' }, opts.version);
      }
      (await socketServer()).handleUpgrade(req, socket, head, (ws) => {
        const conn = new Connection(ws, core, entries);
        const unsubscribe = core.events.subscribe((e) => conn.onEvent(e));
        alive.set(ws, true);
        ws.on('pong', () => alive.set(ws, true));
        ws.on('message', (data, isBinary) => conn.onMessage(data, isBinary));
        ws.on('close', () => {
          conn.close();
          unsubscribe();
        });
        ws.on('error', (err) => core.log.debug({ err }, 'websocket error'));
        conn.start();
      });
    })();
  });

  const pinger = setInterval(() => {
    for (const ws of wss?.clients ?? []) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, opts.pingIntervalMs ?? 30_000);
  pinger.unref();

  return {
    close() {
      clearInterval(pinger);
      for (const ws of wss?.clients ?? []) ws.close(1001, 'server shutting down');
      wss?.close();
    },
    clients: () => wss?.clients.size ?? 0,
  };
}
