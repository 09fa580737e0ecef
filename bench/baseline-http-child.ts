// The transport ceiling's server (forked by bench/baseline-http.ts): a bare
// node:http server answering each known request with bytes recorded from
// Switchboard — same status, same content type, same body — and nothing else.
import { createServer } from 'node:http';
import type { BaselineRoute } from './baseline-http.ts';

type Response = { status: number; headers: Record<string, string | number>; body: Buffer };
let routes = new Map<string, Response>();

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
server.listen(0, '127.0.0.1', () => process.send!({ type: 'listening', port: (server.address() as { port: number }).port }));
process.on('disconnect', () => process.exit(0));
