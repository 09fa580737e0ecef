// Outgoing messages between core and the wire. Core has stored each send before
// it gets here; the outbox makes sure it reaches the server exactly once:
//   - while the session is not ready, sends wait (up to HOLD_MS, then a retriable
//     SendError lets core retry later; a message that was already written to a
//     connection that then died keeps waiting for the next session instead);
//   - a sent message succeeds when the server acknowledges it (XEP-0198), or when
//     it shows up in the archive or as the room's reflection;
//   - a message whose acknowledgement was lost with the connection is looked for
//     in the archive after reconnecting, and sent again only if it is not there;
//   - every send carries origin-id = id = core's transactionID, so a re-send is
//     the same message to every client and archive.
// Sends go out in the order they came in.
import type { XmlElement } from '@xmpp/client';
import { SendError } from '../connector.ts';
import type { Shared } from './shared.ts';
import { NotConnectedError } from './session.ts';

export const HOLD_MS = 60_000;

interface Item {
  originID: string;
  /** Where it goes: a bare JID, and whether that is a room. */
  to: string;
  group: boolean;
  seq: number;
  /** When it was last written to a connection. */
  sentAt?: number;
  build: () => Promise<XmlElement> | XmlElement;
  state: 'queued' | 'sending' | 'sent' | 'uncertain';
  resolve: (at: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Outbox {
  private readonly items = new Map<string, Item>();
  private seq = 0;
  private pumping = false;
  /** Set by the client: the session is set up (caught up with the archive). */
  ready = false;

  constructor(
    private readonly x: Shared,
    private readonly holdMs = HOLD_MS,
  ) {
    const sm = x.session.client.streamManagement;
    sm.on('ack', (stanza: XmlElement) => {
      const item = stanza.name === 'message' ? this.items.get(stanza.attrs.id ?? '') : undefined;
      if (item && (item.state === 'sent' || item.state === 'uncertain')) this.done(item);
    });
    sm.on('fail', (stanza: XmlElement) => {
      const item = stanza.name === 'message' ? this.items.get(stanza.attrs.id ?? '') : undefined;
      if (item && item.state === 'sent') item.state = 'uncertain';
    });
  }

  /** Resolves with the time the server took the message. */
  send(originID: string, target: { to: string; group: boolean }, build: () => Promise<XmlElement> | XmlElement): Promise<number> {
    const existing = this.items.get(originID);
    if (existing) {
      // Core retries a send that already waits here: follow the first attempt.
      return new Promise((resolve, reject) => {
        const { resolve: r0, reject: j0 } = existing;
        existing.resolve = (at) => (r0(at), resolve(at));
        existing.reject = (e) => (j0(e), reject(e));
      });
    }
    return new Promise((resolve, reject) => {
      const item: Item = {
        originID,
        ...target,
        seq: this.seq++,
        build,
        state: 'queued',
        resolve,
        reject,
        timer: setTimeout(() => this.expire(item), this.holdMs),
      };
      item.timer.unref?.();
      this.items.set(originID, item);
      if (this.ready) void this.pump();
    });
  }

  /** The message is known to have reached the server (archive, reflection). */
  confirm(originID: string): void {
    const item = this.items.get(originID);
    if (item && item.state !== 'sending') this.done(item);
  }

  /** The server bounced the message: it will not be delivered. */
  bounce(originID: string, reason: string): boolean {
    const item = this.items.get(originID);
    if (!item) return false;
    clearTimeout(item.timer);
    this.items.delete(originID);
    item.reject(new SendError(reason, 'XMPP_ERROR', false));
    return true;
  }

  /** Messages written to a connection that died before the server acknowledged them. */
  uncertain(): Array<{ originID: string; to: string; group: boolean; sentAt: number }> {
    return [...this.items.values()].filter((i) => i.state === 'uncertain').map((i) => ({ originID: i.originID, to: i.to, group: i.group, sentAt: i.sentAt ?? Date.now() }));
  }

  get pending(): number {
    return this.items.size;
  }

  /** Sends what waits, oldest first; called when the session becomes ready. */
  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!this.ready || !this.x.session.online) return;
        const next = [...this.items.values()].filter((i) => i.state === 'queued' || i.state === 'uncertain').sort((a, b) => a.seq - b.seq)[0];
        if (!next) return;
        next.state = 'sending';
        let stanza: XmlElement;
        try {
          stanza = await next.build();
        } catch (err) {
          if (err instanceof NotConnectedError) {
            next.state = 'queued';
            return; // the upload needs the connection: the next session tries again
          }
          clearTimeout(next.timer);
          this.items.delete(next.originID);
          next.reject(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        try {
          next.sentAt = Date.now();
          await this.x.session.send(stanza);
          if (next.state !== 'sending') continue; // confirmed meanwhile
          next.state = 'sent';
          // Without stream management there is no acknowledgement to wait for.
          if (!this.x.session.client.streamManagement.enabled) this.done(next);
        } catch {
          if (next.state === 'sending') next.state = 'queued';
          return; // the connection went down; the next session resumes pumping
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The connection is gone for good (stop): waiting sends fail retriably. */
  failAll(reason: string): void {
    for (const item of this.items.values()) {
      clearTimeout(item.timer);
      item.reject(new SendError(reason, 'NOT_CONNECTED', true));
    }
    this.items.clear();
  }

  private done(item: Item): void {
    clearTimeout(item.timer);
    this.items.delete(item.originID);
    item.resolve(this.x.ctx.now());
  }

  private expire(item: Item): void {
    if (this.items.get(item.originID) !== item) return;
    if (item.state !== 'queued') {
      // It may have reached the server: re-sending blindly could duplicate it, so it
      // waits for the next session, which looks for it in the archive first.
      item.timer = setTimeout(() => this.expire(item), this.holdMs);
      item.timer.unref?.();
      return;
    }
    this.items.delete(item.originID);
    const seconds = Math.round(this.holdMs / 1000);
    item.reject(new SendError(`The XMPP connection has been down for ${seconds} s; the message was not sent yet and will be retried.`, 'NOT_CONNECTED', true));
  }
}
