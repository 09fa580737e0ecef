// Big bodies and slow clients. Memory is measured on a real server process
// (`switchboard serve`): its peak resident set (VmHWM, reset before each case
// through /proc/<pid>/clear_refs) must not grow by more than a bound while it
// refuses a body. Nothing above ~100 MB is sent.
//
// Slow clients: the server's own timeouts are read from the running server and
// reported; they are too long to wait for in `npm test` (60 s for headers, 120 s
// for a body, checked every 30 s), so the fast run proves the mechanism on a
// second HTTP front of the same core with the timeouts shortened, and that
// hundreds of slow connections do not starve other clients. `npm run soak`
// waits for the real ones.
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/api/server.ts';
import { freePort, openSocket, procMemory, raw, report, resetPeak, sleep, SOAK, startChild, startRelServer, tempDir, type ChildServer, type RelServer } from './harness.ts';

const TOKEN = `sb_limits_${'k'.repeat(30)}`;
const MB = 1024 * 1024;
const results: Record<string, unknown> = {};
const slow: Record<string, unknown> = {};

// ---------------------------------------------------------------- bodies and memory

describe('big bodies are refused without the memory to hold them', () => {
  let child: ChildServer;
  let chatPath: string;

  beforeAll(async () => {
    child = await startChild({ dataDir: tempDir('switchboard-limits-'), port: await freePort(), token: TOKEN });
    const chats = await (await fetch(`${child.baseURL}/v1/chats/search?accountIDs=sandbox-whatsapp&type=single&limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    chatPath = `/v1/chats/${encodeURIComponent((chats as { items: Array<{ id: string }> }).items[0]!.id)}/messages`;
  }, 90_000);
  afterAll(async () => {
    report('big bodies (server peak RSS growth, MB)', results);
    await child?.stop();
  });

  /** Runs fn and returns how far the server's peak RSS rose above its RSS before it. */
  async function growth<T>(fn: () => Promise<T>): Promise<{ mb: number; value: T }> {
    await sleep(300);
    resetPeak(child.pid);
    const base = procMemory(child.pid).rss;
    const value = await fn();
    await sleep(300);
    return { mb: Math.round((procMemory(child.pid).hwm - base) * 10) / 10, value };
  }

  /**
   * Streams a JSON body of about `size` bytes ({"content":"AAAA…"}), chunked or with
   * a declared length, stopping when the server answers; resolves with the status.
   */
  /**
   * POSTs `size` bytes (or declares `declared` and stops early) over a raw socket and
   * resolves with the status as soon as the server answers. The server may answer and
   * hang up before the body is sent: writes then fail (EPIPE), which is no error here.
   */
  function stream(path: string, size: number, o: { token?: string; declared?: number; accept?: string } = {}): Promise<{ status: number; sentMB: number; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let sent = 0;
      let status: number | undefined;
      let head = '';
      const headers = [
        `POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${child.port}`, 'Content-Type: application/json', 'Connection: close',
        ...(o.token ? [`Authorization: Bearer ${o.token}`] : []), ...(o.accept ? [`Accept: ${o.accept}`] : []),
        o.declared !== undefined ? `Content-Length: ${o.declared}` : 'Transfer-Encoding: chunked',
      ];
      const sock = connect(child.port, '127.0.0.1');
      const done = () => (status === undefined ? reject(new Error(`no answer after ${Math.round(sent / MB)} MB`)) : resolve({ status, sentMB: Math.round(sent / MB), ms: Date.now() - started }));
      sock.on('data', (d: Buffer) => {
        if (status !== undefined) return;
        head += d.toString('latin1');
        const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
        if (m) {
          status = Number(m[1]);
          sock.destroy();
        }
      });
      sock.on('error', () => undefined); // EPIPE/ECONNRESET once the server has answered and hung up
      sock.on('close', done);
      const frame = (b: Buffer) => (o.declared !== undefined ? b : Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]));
      const chunk = frame(Buffer.alloc(MB, 'A'));
      sock.write(`${headers.join('\r\n')}\r\n\r\n`);
      sock.write(frame(Buffer.from('{"content":"')));
      const pump = () => {
        while (status === undefined && !sock.destroyed && sent < size - 2) {
          const ok = sock.write(chunk);
          sent += MB;
          if (!ok) return void sock.once('drain', pump);
        }
        if (status === undefined && !sock.destroyed && o.declared === undefined) sock.write(Buffer.concat([frame(Buffer.from('"}')), Buffer.from('0\r\n\r\n')]));
      };
      pump();
    });
  }

  it('a declared Content-Length just over the base64 upload limit (760 MB): 413 at once', async () => {
    const { mb, value } = await growth(() => stream('/v1/assets/upload/base64', 2 * MB, { token: TOKEN, declared: 760 * MB + 1 }));
    results['760 MB + 1 declared, base64 upload → 413'] = mb;
    expect(value.status).toBe(413);
    expect(value.ms).toBeLessThan(5_000);
    expect(mb).toBeLessThan(24);
  });

  it('a body just over the 2 MB limit of the other routes: 413', async () => {
    const declared = await growth(() => stream(chatPath, 2 * MB, { token: TOKEN, declared: 2 * MB + 1 }));
    const chunked = await growth(() => stream(chatPath, 3 * MB, { token: TOKEN }));
    results['2 MB + 1 declared, send → 413'] = declared.mb;
    results['3 MB chunked, send → 413'] = chunked.mb;
    expect(declared.value.status).toBe(413);
    expect(chunked.value.status).toBe(413);
    expect(Math.max(declared.mb, chunked.mb)).toBeLessThan(24);
  });

  it('the MCP endpoint refuses 60 MB without a token before reading it', async () => {
    const { mb, value } = await growth(() => stream('/v0/mcp', 60 * MB, { accept: 'application/json, text/event-stream' }));
    results['60 MB to /v0/mcp without a token → 401'] = mb;
    expect(value.status).toBe(401);
    expect(mb).toBeLessThan(24);
  });

  // Found by this suite: REST routes authenticated in the handler, after Fastify had
  // read and parsed the whole body (up to 760 MB for base64 uploads), so anyone who
  // could reach the port made the server buffer it without a token. They now
  // authenticate in onRequest, before the body, as /v0/mcp does.
  it('an 80 MB base64 upload without a token is refused before it is buffered', async () => {
    const { mb, value } = await growth(() => stream('/v1/assets/upload/base64', 80 * MB));
    results['80 MB base64 upload without a token → 401'] = mb;
    expect(value.status).toBe(401);
    expect(mb, 'peak RSS growth (MB) while refusing an unauthenticated 80 MB body').toBeLessThan(40);
  }, 60_000);

  it('an authenticated 40 MB base64 upload is taken (its cost in memory is reported)', async () => {
    const { mb, value } = await growth(() => stream('/v1/assets/upload/base64', 40 * MB, { token: TOKEN }));
    results['40 MB base64 upload with a token → 200'] = mb;
    expect(value.status).toBe(200);
    // Parsed in memory: the JSON text, the cleaned copy and the decoded buffer. A bound
    // against anything worse; a 500 MB upload sent this way needs gigabytes.
    expect(mb).toBeLessThan(40 * 10);
  }, 60_000);

  it('still answers', async () => {
    expect((await fetch(`${child.baseURL}/v1/info`)).status).toBe(200);
  });
});

// ---------------------------------------------------------------- slow clients

describe('slow clients (slowloris)', () => {
  let s: RelServer;
  let front: Server;
  let frontPort: number;

  beforeAll(async () => {
    s = await startRelServer();
    // A second HTTP front on the same core, with the same code path and shorter timeouts.
    front = createServer({ core: s.running.core, log: pino({ level: 'silent' }), version: 'slow', host: '127.0.0.1', port: 0, remote: false });
    const node = front.app.server as typeof front.app.server & { connectionsCheckingInterval: number };
    node.headersTimeout = 1_000;
    node.requestTimeout = 2_000;
    node.connectionsCheckingInterval = 200;
    frontPort = (await front.listen()).port;
  }, 60_000);
  afterAll(async () => {
    report('slow clients', slow);
    await front?.close();
    await s?.stop();
  });

  /** Sends `first`, then `drip` every `everyMs`, and resolves with how long until the server closed the connection (and what it said). */
  function drip(portNo: number, first: string, dripText: string, everyMs: number, giveUpMs: number): Promise<{ closedAfterMs: number | null; answer: string }> {
    return new Promise((resolve) => {
      void openSocket(portNo).then((sock: Socket) => {
        const started = Date.now();
        let answer = '';
        let done = false;
        const finish = (closed: boolean) => {
          if (done) return;
          done = true;
          clearInterval(timer);
          clearTimeout(limit);
          sock.destroy();
          resolve({ closedAfterMs: closed ? Date.now() - started : null, answer });
        };
        sock.on('data', (d) => (answer += d.toString()));
        sock.on('close', () => finish(true));
        sock.on('error', () => finish(true));
        sock.write(first);
        const timer = setInterval(() => !sock.destroyed && sock.write(dripText), everyMs);
        const limit = setTimeout(() => finish(false), giveUpMs);
      });
    });
  }

  it('reports the timeouts of the real server, and they are finite', () => {
    const node = s.running.server.app.server as typeof s.running.server.app.server & { connectionsCheckingInterval: number };
    const t = { headersTimeout: node.headersTimeout, requestTimeout: node.requestTimeout, keepAliveTimeout: node.keepAliveTimeout, socketTimeout: node.timeout, connectionsCheckingInterval: node.connectionsCheckingInterval };
    report('slow clients: the real server', {
      ...t,
      'slow headers are cut after': `${t.headersTimeout / 1000}–${(t.headersTimeout + t.connectionsCheckingInterval) / 1000} s`,
      'slow bodies are cut after': `${t.requestTimeout / 1000}–${(t.requestTimeout + t.connectionsCheckingInterval) / 1000} s`,
      configurable: 'no: createServer takes none of these (Fastify requestTimeout 120 s, Node headersTimeout 60 s, connection checks every 30 s)',
    });
    expect(t.headersTimeout).toBeGreaterThan(0);
    expect(t.headersTimeout).toBeLessThanOrEqual(60_000);
    expect(t.requestTimeout).toBeGreaterThan(0);
    expect(t.requestTimeout).toBeLessThanOrEqual(120_000);
  });

  it('cuts off a client that sends its headers a line at a time (shortened timeouts)', async () => {
    const r = await drip(frontPort, `GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:${frontPort}\r\n`, 'X-Slow: 1\r\n', 200, 10_000);
    slow['slow headers cut after (ms, headersTimeout 1 s)'] = r.closedAfterMs;
    expect(r.closedAfterMs, 'closed').not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(3_000);
    expect(r.answer).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('cuts off a client that sends its body a byte at a time (shortened timeouts)', async () => {
    const head = `POST /v1/focus HTTP/1.1\r\nHost: 127.0.0.1:${frontPort}\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`;
    const r = await drip(frontPort, head, ' ', 200, 10_000);
    slow['slow body cut after (ms, requestTimeout 2 s)'] = r.closedAfterMs;
    expect(r.closedAfterMs, 'closed').not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(4_500);
  });

  it('keeps answering others while 400 slow clients hold connections to the real server', async () => {
    const socks = await Promise.all(Array.from({ length: 400 }, () => openSocket(s.port)));
    for (const sock of socks) {
      sock.on('error', () => undefined);
      sock.write(`GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nX-Slow: `);
    }
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await raw(s.baseURL, 'GET', '/v1/accounts', { headers: { authorization: `Bearer ${s.token}` }, timeoutMs: 5_000 });
      expect(res.status).toBe(200);
      times.push(res.ms);
    }
    for (const sock of socks) sock.destroy();
    slow['slowest of 20 requests beside 400 slow connections (ms)'] = Math.max(...times);
    expect(Math.max(...times)).toBeLessThan(2_000);
  });

  // Only in `npm run soak` (defined there, not skipped here): it waits minutes for the real timeouts.
  if (SOAK) it('soak: the real server cuts off slow headers within 90 s and a slow body within 150 s', async () => {
    const [headers, body] = await Promise.all([
      drip(s.port, `GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n`, 'X-Slow: 1\r\n', 5_000, 120_000),
      drip(s.port, `POST /v1/focus HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`, ' ', 5_000, 180_000),
    ]);
    slow['real slow headers cut after (s)'] = headers.closedAfterMs && headers.closedAfterMs / 1000;
    slow['real slow body cut after (s)'] = body.closedAfterMs && body.closedAfterMs / 1000;
    expect(headers.closedAfterMs).not.toBeNull();
    expect(headers.closedAfterMs!).toBeLessThan(95_000);
    expect(body.closedAfterMs).not.toBeNull();
    expect(body.closedAfterMs!).toBeLessThan(155_000);
  }, 200_000);
});
