// Test harness for the XMPP connector: a real Prosody on 127.0.0.1 (config from
// ./prosody/, free ports, a temporary data directory), users registered with
// prosodyctl, and peers driven with the `stanza` library over Prosody's WebSocket.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createClient, JXT, type Agent } from 'stanza';

export type XMLElement = JXT.XMLElement;
const parse = (s: string) => JXT.parse(s);

const run = promisify(execFile);
const TEMPLATE = new URL('./prosody/prosody.cfg.lua.template', import.meta.url).pathname;
export const DOMAIN = 'localhost';
export const MUC = 'conference.localhost';

/**
 * A free port below the kernel's ephemeral range (32768+), so that sockets other
 * tests open on port 0 (servers, proxies) cannot take it between our check and
 * Prosody's bind.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.unref();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

async function poll(ok: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The uid/gid Prosody runs as when we are root (it does not drop privileges itself). */
function prosodyUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('prosody:'));
  if (!line) throw new Error('running as root, but there is no prosody user (apt-get install prosody)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface Prosody {
  dir: string;
  config: string;
  c2sPort: number;
  httpPort: number;
  /** With TLS: the direct-TLS port and the CA that signed the server's certificate. */
  directTlsPort?: number;
  caFile?: string;
  wsURL: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  register(user: string, password: string): Promise<void>;
  log(): string;
  destroy(): Promise<void>;
}

/**
 * A test CA and a certificate for `localhost` signed by it (openssl comes with
 * Prosody's dependencies). Returns the CA certificate's path.
 */
async function makeCertificates(certs: string): Promise<string> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const f = (name: string) => join(certs, name);
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=Switchboard test CA']);
  await run('openssl', ['req', ...ec, '-keyout', f('localhost.key'), '-out', f('localhost.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('san.ext'), 'subjectAltName=DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', f('localhost.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('localhost.crt'), '-days', '2', '-extfile', f('san.ext')]);
  return f('ca.crt');
}

export async function startProsody(opts: { logLevel?: 'debug' | 'info' | 'warn'; tls?: boolean } = {}): Promise<Prosody> {
  const owner = prosodyUser();
  const dir = mkdtempSync(join(tmpdir(), 'sb-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const caFile = opts.tls ? await makeCertificates(join(dir, 'certs')) : undefined;
  const c2sPort = await freePort();
  const httpPort = await freePort();
  const directTlsPort = opts.tls ? await freePort() : undefined;
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    readFileSync(TEMPLATE, 'utf8')
      .replaceAll('{{DIR}}', dir)
      .replaceAll('{{C2S_PORT}}', String(c2sPort))
      .replaceAll('{{HTTP_PORT}}', String(httpPort))
      .replaceAll('{{LOG_LEVEL}}', opts.logLevel ?? 'info')
      .replaceAll('{{DIRECT_TLS_PORT}}', directTlsPort ? String(directTlsPort) : '')
      .replaceAll('{{REQUIRE_TLS}}', opts.tls ? 'true' : 'false')
      .replaceAll('{{TLS_OFF}}', opts.tls ? '' : '"tls";'),
  );
  const owned = [dir, join(dir, 'data'), join(dir, 'certs'), config, ...(opts.tls ? ['localhost.crt', 'localhost.key'].map((n) => join(dir, 'certs', n)) : [])];
  if (owner) for (const p of owned) chownSync(p, owner.uid, owner.gid);

  let proc: ChildProcess | undefined;
  let output = '';
  const p: Prosody = {
    dir,
    config,
    c2sPort,
    httpPort,
    directTlsPort,
    caFile,
    wsURL: `ws://127.0.0.1:${httpPort}/xmpp-websocket`,
    async start() {
      const logFrom = p.log().length;
      proc = spawn('prosody', ['--config', config, '-F'], { ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d) => (output += d));
      proc.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<void>((_, reject) => proc!.once('exit', (code) => reject(new Error(`prosody exited (${code}):\n${output}\n${p.log().slice(-3000)}`))));
      exited.catch(() => {});
      await Promise.race([poll(async () => (await canConnect(c2sPort)) && (await canConnect(httpPort)) && (!directTlsPort || (await canConnect(directTlsPort))), 'prosody to listen', 15_000), exited]);
      // Something else answering on our ports would look the same: make sure Prosody bound them.
      if (/Failed to open server port/.test(p.log().slice(logFrom))) throw new Error(`prosody could not bind its ports:\n${p.log().slice(-2000)}`);
    },
    async stop() {
      const cp = proc;
      proc = undefined;
      if (!cp || cp.exitCode !== null) return;
      const gone = new Promise((r) => cp.once('exit', r));
      cp.kill('SIGTERM');
      const t = setTimeout(() => cp.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
      await poll(async () => !(await canConnect(c2sPort)), 'prosody to close its port', 5_000);
    },
    async restart() {
      await p.stop();
      await p.start();
    },
    async register(user, password) {
      await run('prosodyctl', ['--config', config, 'register', user, DOMAIN, password]);
    },
    log() {
      try {
        return readFileSync(join(dir, 'prosody.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async destroy() {
      await p.stop();
      if (process.env.XMPP_TEST_KEEP_PROSODY) process.stdout.write(`Prosody directory kept: ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  await p.start();
  return p;
}

// ---- peers --------------------------------------------------------------------------

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export interface Peer {
  client: Agent;
  jid: string; // bare
  fullJid: string;
  /** Every stanza received, parsed. */
  received: XMLElement[];
  /** Sends raw XML (the peer has no stream management, so raw writes are safe). */
  send(xml: string): Promise<void>;
  /** Waits for a received stanza matching `match` (also among those already received since `since`). */
  waitFor(match: (el: XMLElement) => boolean, what: string, timeoutMs?: number, since?: number): Promise<XMLElement>;
  mark(): number;
  stop(): Promise<void>;
}

export interface PeerOptions {
  resource?: string;
  /** disco#info features the peer's client advertises (besides stanza's own). */
  features?: string[];
  /** Features stanza advertises by default that this peer's client should not. */
  withoutFeatures?: string[];
  /** Initial presence (false: none). */
  presence?: false | { show?: 'dnd' | 'away' | 'chat' | 'xa'; status?: string };
  /** Accept every presence subscription request (default true). */
  acceptSubscriptions?: boolean;
}

/** A stanza.js client for a registered user, connected over Prosody's WebSocket. */
export async function peer(prosody: Prosody, user: string, password: string, opts: PeerOptions = {}): Promise<Peer> {
  const jid = `${user}@${DOMAIN}`;
  const client = createClient({
    jid,
    password,
    resource: opts.resource ?? `peer-${randomUUID().slice(0, 6)}`,
    transports: { websocket: prosody.wsURL, bosh: false },
    useStreamManagement: false,
  });
  for (const f of opts.features ?? []) client.disco.addFeature(f);
  for (const f of opts.withoutFeatures ?? []) for (const set of client.disco.features.values()) set.delete(f);
  if (opts.acceptSubscriptions !== false) client.on('subscribe', (p) => client.acceptSubscription(p.from));
  const received: XMLElement[] = [];
  const waiters = new Set<() => void>();
  client.on('raw:incoming', (data: string) => {
    if (!/^\s*<(message|presence|iq)[\s>]/.test(data)) return;
    try {
      received.push(parse(data));
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  const started = new Promise<void>((resolve, reject) => {
    client.once('session:started', () => resolve());
    client.once('stream:error', (e) => reject(new Error(`stream error: ${JSON.stringify(e)}`)));
    client.once('auth:failed' as never, () => reject(new Error(`auth failed for ${jid}`)));
  });
  client.connect();
  await started;
  if (opts.presence !== false) client.sendPresence(opts.presence ?? {});
  const transport = () => client.transport as unknown as { write(data: string, enc: string, cb: (err?: Error) => void): void };
  return {
    client,
    jid,
    fullJid: client.jid,
    received,
    // Over WebSocket (RFC 7395) every stanza carries its namespace itself.
    send: (xml) => {
      const framed = xml.trim().replace(/^<(message|presence|iq)\b(?![^>]*\sxmlns=)/, '<$1 xmlns="jabber:client"');
      return new Promise<void>((resolve, reject) => transport().write(framed, 'utf8', (err) => (err ? reject(err) : resolve())));
    },
    mark: () => received.length,
    waitFor(match, what, timeoutMs = 10_000, since = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = received.slice(since).find(match);
          if (hit) {
            waiters.delete(check);
            clearTimeout(t);
            resolve(hit);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${jid}: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      const ended = new Promise((r) => client.once('--transport-disconnected', () => r(undefined)));
      client.disconnect();
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}

/** The text of a child element, found by name and namespace. */
export const childText = (el: XMLElement | undefined, name: string, xmlns?: string) => el?.getChild(name, xmlns)?.getText();

/** Mutual presence subscription between two peers (both must accept subscriptions). */
export async function befriend(a: Peer, b: Peer, names: { a?: string; b?: string } = {}): Promise<void> {
  await a.client.updateRosterItem({ jid: b.jid, name: names.b, subscription: 'none' });
  await b.client.updateRosterItem({ jid: a.jid, name: names.a, subscription: 'none' });
  a.client.subscribe(b.jid);
  b.client.subscribe(a.jid);
  const both = async (p: Peer, other: string) => (await p.client.getRoster()).items?.some((i) => i.jid === other && i.subscription === 'both');
  await poll(async () => (await both(a, b.jid)) && (await both(b, a.jid)), `${a.jid} and ${b.jid} to subscribe to each other`, 10_000);
}

/** Sends an IQ as raw XML and waits for its result (or throws on an error answer). */
export async function iq(p: Peer, xml: string, timeoutMs = 10_000): Promise<XMLElement> {
  const id = `iq-${randomUUID().slice(0, 8)}`;
  const since = p.mark();
  await p.send(xml.replace(/^<iq\b/, `<iq id='${id}'`));
  const res = await p.waitFor((el) => el.name === 'iq' && el.attributes.id === id, `the answer to ${id}`, timeoutMs, since);
  if (res.attributes.type === 'error') throw new Error(`iq ${id} failed: ${res.toString()}`);
  return res;
}

export { poll };

export interface Proxy {
  port: number;
  /** Cuts every open connection (both directions), as a network failure would. */
  dropAll(): number;
  close(): Promise<void>;
}

/** A TCP proxy in front of a port, so tests can cut connections without the server noticing first. */
export async function tcpProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((downstream) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const proxy: Proxy = {
    port: (server.address() as { port: number }).port,
    dropAll() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    async close() {
      proxy.dropAll();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
  return proxy;
}
