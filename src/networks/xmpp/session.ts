// The connection: one @xmpp/client stream per account, with TLS policy, SASL,
// stream management (XEP-0198) resumption and reconnection with backoff. It never
// throws out of start(); it reports what happens as events:
//   'state'    (ConnectionState, message?)  for core
//   'session'  a new session is bound (set it up: roster, presence, rooms, catch-up)
//   'resumed'  the previous session was resumed; nothing was lost
//   'down'     the connection is gone (a reconnect is scheduled unless fatal)
//   'stanza'   every incoming stanza
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { client as xmppClient, xml, type Client, type CredentialsHandler, type TransportClass, type XmlElement } from '@xmpp/client';
import type { ConnectionState } from '../connector.ts';
import { parseJid } from './jid.ts';
import { ScramSha1, ScramSha256 } from './xep/scram.ts';

export type TlsMode = 'starttls' | 'direct' | 'none';

export interface SessionOptions {
  jid: string; // bare JID of the account
  password: string;
  host?: string;
  port?: number;
  /** starttls (default): TLS is required, negotiated on 5222; direct: TLS from the first byte (5223); none: allow unencrypted (loopback tests). */
  tls: TlsMode;
  resource: string;
  log: Logger;
}

/** Backoff between reconnection attempts, with ±20 % jitter. */
export const RECONNECT_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];
const ATTEMPT_TIMEOUT_MS = 20_000;

export class NotConnectedError extends Error {
  constructor(what = 'The XMPP connection is down') {
    super(what);
    this.name = 'NotConnectedError';
  }
}

/** Errors that retrying cannot fix: the account must be re-added. */
export class LoginError extends Error {
  constructor(
    message: string,
    readonly kind: 'bad-credentials' | 'tls' | 'unreachable' | 'protocol',
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

export function serviceURI(o: Pick<SessionOptions, 'jid' | 'host' | 'port' | 'tls'>): string {
  const domain = parseJid(o.jid).domain;
  // No host nor port: the domain alone lets @xmpp/resolve look up SRV records.
  if (!o.host && !o.port && o.tls !== 'direct') return domain;
  const host = o.host ?? domain;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return o.tls === 'direct' ? `xmpps://${h}:${o.port ?? 5223}` : `xmpp://${h}:${o.port ?? 5222}`;
}

/** SASL: refuses to authenticate on an unencrypted stream unless allowed, and never sends PLAIN in the clear. */
function credentialsHandler(o: SessionOptions): CredentialsHandler {
  return async (authenticate, mechanisms, _fast, entity) => {
    const secure = entity.isSecure();
    if (!secure && o.tls !== 'none') {
      throw new LoginError(`The XMPP server ${o.host ?? parseJid(o.jid).domain} did not offer TLS, so the password was not sent. Use --direct-tls if it speaks TLS on a dedicated port, or --no-tls to allow an unencrypted connection (only on a trusted network).`, 'tls');
    }
    const usable = mechanisms.filter((m) => m !== 'ANONYMOUS' && (secure || m !== 'PLAIN'));
    const mechanism = usable[0];
    if (!mechanism) {
      throw new LoginError(`The XMPP server offers no sign-in method Switchboard can use on ${secure ? 'this' : 'an unencrypted'} connection (offered: ${mechanisms.join(', ') || 'none'}).`, 'protocol');
    }
    const userAgent = xml('user-agent', { id: randomUUID() }, xml('software', {}, 'Switchboard'));
    await authenticate({ username: parseJid(o.jid).local, password: o.password }, mechanism, userAgent);
  };
}

function describe(err: unknown, o: SessionOptions): LoginError | Error {
  if (err instanceof LoginError) return err;
  const e = err as { name?: string; condition?: string; code?: string; message?: string };
  if (e?.name === 'SASLError') {
    if (['not-authorized', 'account-disabled', 'credentials-expired', 'invalid-authzid'].includes(e.condition ?? '')) {
      return new LoginError(`The XMPP server rejected the password for ${o.jid} (${e.condition}).`, 'bad-credentials');
    }
    return new LoginError(`Signing in to ${o.jid} failed: ${e.message}`, 'protocol');
  }
  const where = serviceURI(o);
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === 'EHOSTUNREACH' || e?.code === 'ETIMEDOUT' || e?.message === "Couldn't connect") {
    return new LoginError(`Cannot reach the XMPP server at ${where} (${e.code ?? e.message}).`, 'unreachable');
  }
  if (e?.code?.startsWith?.('ERR_TLS') || /certificate|self.signed|altname/i.test(e?.message ?? '')) {
    return new LoginError(`TLS with ${where} failed: ${e.message}`, 'tls');
  }
  return err instanceof Error ? err : new Error(String(err));
}

export class Session extends EventEmitter {
  readonly client: Client;
  readonly bareJid: string;
  /** True while the stream is bound (or resumed) and stanzas can be sent. */
  online = false;
  private stopped = true;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting = false;

  constructor(readonly opts: SessionOptions) {
    super();
    this.bareJid = `${parseJid(opts.jid).local}@${parseJid(opts.jid).domain}`;
    this.client = xmppClient({ service: serviceURI(opts), domain: parseJid(opts.jid).domain, resource: opts.resource, credentials: credentialsHandler(opts), timeout: 10_000 });
    this.client.reconnect.stop(); // reconnection is ours, with backoff
    // Direct TLS checks the certificate against the XMPP domain (XEP-0368), not the
    // host connected to (as STARTTLS already does).
    const domain = parseJid(opts.jid).domain;
    const tlsTransport = this.client.transports.find((T) => T.prototype.socketParameters('xmpps://example.org:5223') !== undefined);
    if (tlsTransport) {
      const base = tlsTransport.prototype.socketParameters;
      const DomainTLS = function () {} as unknown as TransportClass;
      DomainTLS.prototype = Object.create(tlsTransport.prototype);
      DomainTLS.prototype.socketParameters = function (service: string) {
        const params = base.call(this, service);
        return params && { ...params, servername: domain };
      };
      this.client.transports.unshift(DomainTLS);
    }
    // Fast SCRAM first (SHA-256 preferred), replacing the library's slow SCRAM-SHA-1.
    const mechs = this.client.saslFactory._mechs.filter((m) => !m.name.startsWith('SCRAM-'));
    this.client.saslFactory._mechs = [{ name: 'SCRAM-SHA-256', mech: ScramSha256 }, { name: 'SCRAM-SHA-1', mech: ScramSha1 }, ...mechs];
    const sm = this.client.streamManagement;
    sm.requestAckInterval = 15_000;
    sm.timeout = 30_000;
    // @xmpp/connection drops its parser after a parse error but keeps reading the
    // socket: the next bytes of a server that sends garbage would throw from a socket
    // event and end the process. Such a stream is over: hang up instead.
    const conn = this.client as unknown as { _onData(data: Buffer): void; parser: unknown; socket: { destroy(): void } | null };
    const onData = conn._onData.bind(conn);
    conn._onData = (data) => {
      if (conn.parser) onData(data);
      else conn.socket?.destroy();
    };
    this.client.on('error', (err: unknown) => this.opts.log.debug({ err: String(err) }, 'xmpp error'));
    this.client.on('stanza', (el: XmlElement) => this.emit('stanza', el));
    this.client.on('online', () => {
      this.online = true;
      this.attempt = 0;
      this.emit('session');
    });
    sm.on('resumed', () => {
      this.online = true;
      this.attempt = 0;
      this.emit('resumed');
    });
    this.client.on('disconnect', () => {
      const was = this.online;
      this.online = false;
      if (was) this.emit('down');
      if (!this.stopped && !this.connecting) {
        this.state('transient-disconnect', 'The connection to the XMPP server was lost; reconnecting.');
        this.schedule();
      }
    });
  }

  private state(state: ConnectionState, message?: string) {
    this.emit('state', state, message);
  }

  /** Starts connecting in the background. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connectOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.online = false;
    try {
      if (this.client.status !== 'offline') await this.client.stop();
    } catch {
      /* closing a dead stream */
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const base = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    this.attempt++;
    this.timer = setTimeout(() => void this.connectOnce(), base * (0.8 + Math.random() * 0.4));
    this.timer.unref?.();
  }

  /** One connection attempt; on failure a retry is scheduled unless the error is fatal. */
  private async connectOnce(): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    this.state('connecting');
    try {
      await this.establish(this.client, ATTEMPT_TIMEOUT_MS);
      this.connecting = false;
      this.state('connected');
    } catch (raw) {
      this.connecting = false;
      const err = describe(raw, this.opts);
      await this.client.disconnect().catch(() => {});
      if (this.stopped) return;
      if (err instanceof LoginError && err.kind === 'bad-credentials') {
        this.stopped = true;
        this.state('bad-credentials', err.message);
        return;
      }
      this.opts.log.info({ attempt: this.attempt, err: err.message }, 'xmpp connection attempt failed');
      this.state('transient-disconnect', err.message);
      this.schedule();
    }
  }

  /** Opens the stream and waits for a bound or resumed session, or the first error. */
  async establish(c: Client, timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(t);
        c.off('online', ok);
        c.streamManagement.off('resumed', ok);
        c.off('error', fail);
        c.off('disconnect', closed);
      };
      const ok = () => (cleanup(), resolve());
      const fail = (e: unknown) => (cleanup(), reject(e));
      const closed = () => fail(new Error('The server closed the connection while signing in.'));
      const t = setTimeout(() => fail(new LoginError(`No answer from the XMPP server at ${serviceURI(this.opts)} within ${timeoutMs / 1000} s.`, 'unreachable')), timeoutMs);
      c.on('online', ok);
      c.streamManagement.on('resumed', ok);
      c.on('error', fail);
      c.on('disconnect', closed);
      const { domain, lang } = c.options;
      (async () => {
        if (c.status !== 'offline' && c.status !== 'disconnect') await c.disconnect().catch(() => {});
        await c.connect(c.options.service);
        await c.open({ domain, lang });
      })().catch(fail);
    });
  }

  /** Sends a stanza; throws NotConnectedError when the stream is down. */
  async send(el: XmlElement): Promise<void> {
    if (!this.online) throw new NotConnectedError();
    await this.client.send(el);
  }

  /** An IQ request; resolves with the response's first child (or the iq itself when empty). */
  async iq(type: 'get' | 'set', to: string | undefined, child: XmlElement, timeoutMs = 15_000): Promise<XmlElement> {
    if (!this.online) throw new NotConnectedError();
    const res = await this.client.iqCaller.request(xml('iq', { type, to }, child), timeoutMs);
    return res.getChildElements()[0] ?? res;
  }
}

/** Signs in once and out again: proves the credentials and reachability (for `accounts add`). */
export async function verifyLogin(opts: Omit<SessionOptions, 'log' | 'resource'>, timeoutMs = 20_000): Promise<{ jid: string; secure: boolean }> {
  const log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
  const session = new Session({ ...opts, resource: `switchboard-check-${randomUUID().slice(0, 8)}`, log });
  try {
    await session.establish(session.client, timeoutMs);
    return { jid: session.client.jid?.toString() ?? opts.jid, secure: session.client.isSecure() };
  } catch (err) {
    throw describe(err, { ...opts, resource: '', log });
  } finally {
    await session.stop();
  }
}
