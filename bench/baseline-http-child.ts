// The baselines' server (forked by bench/baseline-http.ts), answering each known
// request with bytes recorded from Switchboard — same status, same content type,
// same body — and nothing else. Two kinds:
// - `node` (the transport ceiling): a bare node:http server;
// - `fastify` (the framework's own ceiling): a minimal Fastify app, one catch-all
//   route, no hooks, no plugins: what Switchboard's HTTP framework costs before any
//   of Switchboard's code runs.
import { createServer } from 'node:http';
import type { BaselineRoute } from './baseline-http.ts';

type Response = { status: number; headers: Record<string, string | number>; body: Buffer };
let routes = new Map<string, Response>();
const kind = process.argv[2] === 'fastify' ? 'fastify' : 'node';

async function listen(): Promise<number> {
  if (kind === 'fastify') {
    // Loaded only here: the bare server's process holds nothing but node:http.
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ keepAliveTimeout: 60_000 });
    app.all('*', (req, reply) => {
      const r = routes.get(`${req.method} ${req.url}`);
      if (!r) return reply.code(404).send();
      return reply.code(r.status).headers(r.headers).send(r.body);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return (app.server.address() as { port: number }).port;
  }
  const server = createServer((req, res) => {
    // Read the request (a POST's body included) to its end, as any server must.
    req.resume();
    req.on('end', () => {
      const r = routes.get(`${req.method} ${req.url}`);
      if (!r) {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
        return;
      }
      res.writeHead(r.status, r.headers);
      res.end(r.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

process.on('message', (msg: { type: 'routes'; routes: BaselineRoute[] }) => {
  if (msg.type !== 'routes') return;
  routes = new Map(
    msg.routes.map((r) => {
      const body = Buffer.from(r.bodyBase64, 'base64');
      return [`${r.method} ${r.path}`, { status: r.status, headers: { ...r.headers, 'content-length': body.byteLength }, body }];
    }),
  );
  process.send!({ type: 'routes-set', count: routes.size });
});
void listen().then((port) => process.send!({ type: 'listening', port }));
process.on('disconnect', () => process.exit(0));
