// One /v1/ws client: its subscription, its per-connection sequence numbers, and
// resumable delivery. Events go out in eventID order through one chain, so
// replayed and live events can never interleave, repeat or skip.
import type { WebSocket } from 'ws';
import type { Core } from '../../core/core.ts';
import type { DomainEvent } from '../../core/events.ts';
import type { EntryBuilder } from './entries.ts';

export type WsErrorCode = 'INVALID_COMMAND' | 'INVALID_PAYLOAD' | 'NOT_SUBSCRIBED' | 'INTERNAL_ERROR';

/**
 * A client is cut off rather than buffered without end when the bytes waiting for it
 * pass bufferedBytes, or when more events than heldEvents arrive during its replay.
 * queuedEvents only guards against runaway growth of the delivery chain itself.
 */
export const LIMITS = { bufferedBytes: 8 * 1024 * 1024, heldEvents: 10_000, queuedEvents: 100_000, replayPage: 500 };

type Subscription = { all: true } | { all: false; chatIDs: Set<string> };

class WsInputError extends Error {
  constructor(
    readonly code: WsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class Connection {
  private seq = 0;
  private subscription: Subscription = { all: false, chatIDs: new Set() };
  /** The last eventID sent; anything at or below it is never sent again. */
  private delivered = 0;
  private replaying = false;
  private readonly held: DomainEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly core: Core,
    private readonly entries: EntryBuilder,
  ) {}

  start(): void {
    this.send({ type: 'ready', version: 1, chatIDs: [] });
  }

  close(): void {
    this.closed = true;
  }

  /** A domain event from core, in eventID order. */
  onEvent(e: DomainEvent): void {
    if (this.closed) return;
    if (this.replaying) {
      if (this.held.length >= LIMITS.heldEvents) return this.tooSlow(`more than ${LIMITS.heldEvents} events arrived while replaying`);
      this.held.push(e);
      return;
    }
    if (this.matches(e)) this.enqueue(e);
  }

  onMessage(data: unknown, isBinary: boolean): void {
    this.chain = this.chain.then(() => this.command(data, isBinary)).catch((err: unknown) => this.internal(err));
  }

  private async command(data: unknown, isBinary: boolean): Promise<void> {
    let requestID: string | undefined;
    try {
      if (isBinary) throw new WsInputError('INVALID_PAYLOAD', 'Send text frames carrying JSON.');
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        throw new WsInputError('INVALID_PAYLOAD', 'The message is not valid JSON.');
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new WsInputError('INVALID_PAYLOAD', 'A command is a JSON object with a "type".');
      const m = msg as Record<string, unknown>;
      if (typeof m.requestID === 'string') requestID = m.requestID;
      if (m.type !== 'subscriptions.set') throw new WsInputError('INVALID_COMMAND', `Unknown command ${JSON.stringify(m.type)}; the only command is "subscriptions.set".`);
      await this.setSubscriptions(m, requestID);
    } catch (err) {
      if (err instanceof WsInputError) return this.sendError(err.code, err.message, requestID);
      throw err;
    }
  }

  private async setSubscriptions(m: Record<string, unknown>, requestID: string | undefined): Promise<void> {
    const extra = Object.keys(m).filter((k) => !['type', 'requestID', 'chatIDs', 'since'].includes(k));
    if (extra.length) throw new WsInputError('INVALID_PAYLOAD', `Unknown field${extra.length > 1 ? 's' : ''}: ${extra.join(', ')}.`);
    if (m.requestID !== undefined && typeof m.requestID !== 'string') throw new WsInputError('INVALID_PAYLOAD', 'requestID must be a string.');
    const ids = m.chatIDs;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new WsInputError('INVALID_PAYLOAD', 'chatIDs must be an array of chat ID strings, or ["*"].');
    if (ids.includes('*') && ids.length > 1) throw new WsInputError('INVALID_PAYLOAD', '"*" subscribes to every chat and cannot be combined with chat IDs.');
    let since: number | undefined;
    if (m.since !== undefined) {
      since = typeof m.since === 'string' && /^\d+$/.test(m.since) ? Number(m.since) : (m.since as number);
      if (!Number.isSafeInteger(since) || since < 0) throw new WsInputError('INVALID_PAYLOAD', 'since must be the eventID of an event this server sent (a non-negative integer).');
    }
    if (since !== undefined) {
      const oldest = await this.core.events.oldestKept();
      if (since < oldest - 1) {
        throw new WsInputError('INVALID_PAYLOAD', `Events after ${since} are no longer kept (the oldest kept is ${oldest}); refetch over HTTP, then subscribe without "since". The subscription is unchanged.`);
      }
    }
    let subscription: Subscription;
    if (ids[0] === '*') subscription = { all: true };
    else {
      const resolved = new Set<string>();
      const unknown: string[] = [];
      for (const id of ids as string[]) {
        const chatID = await this.core.chats.idOf(id);
        if (chatID) resolved.add(chatID);
        else unknown.push(id);
      }
      if (unknown.length) throw new WsInputError('NOT_SUBSCRIBED', `No chat has the ID${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the subscription is unchanged.`);
      subscription = { all: false, chatIDs: resolved };
    }
    this.subscription = subscription;
    this.send({ type: 'subscriptions.updated', ...(requestID !== undefined ? { requestID } : {}), chatIDs: subscription.all ? ['*'] : [...subscription.chatIDs] });
    if (since !== undefined) await this.replay(since);
  }

  /** Sends what the log holds after `since`, then whatever arrived meanwhile, then goes live. */
  private async replay(since: number): Promise<void> {
    this.replaying = true;
    try {
      let after = Math.max(since, this.delivered);
      for (;;) {
        const page = await this.core.events.after(after, LIMITS.replayPage);
        for (const e of page) if (this.matches(e)) await this.deliver(e);
        if (page.length < LIMITS.replayPage) break;
        after = page.at(-1)!.id;
        if (this.closed) return;
      }
      // Events that arrived while replaying; those already read from the log are skipped by deliver().
    } finally {
      this.replaying = false;
    }
    const held = this.held.splice(0);
    for (const e of held) if (this.matches(e)) this.enqueue(e);
  }

  private matches(e: DomainEvent): boolean {
    return this.subscription.all || this.subscription.chatIDs.has(e.chatID);
  }

  private enqueue(e: DomainEvent): void {
    if (this.ws.bufferedAmount > LIMITS.bufferedBytes) return this.tooSlow(`more than ${LIMITS.bufferedBytes / 1024 / 1024} MB of events are waiting to be read`);
    if (this.queued >= LIMITS.queuedEvents) return this.tooSlow(`more than ${LIMITS.queuedEvents} events are waiting to be sent`);
    this.queued++;
    this.chain = this.chain
      .then(() => this.deliver(e))
      .catch((err: unknown) => this.internal(err))
      .finally(() => this.queued--);
  }

  private async deliver(e: DomainEvent): Promise<void> {
    if (this.closed || e.id <= this.delivered) return;
    this.delivered = e.id;
    const tail = await this.entries.tail(e);
    // {type, seq, ts, chatID, ids, entries?, eventID}: only seq is this connection's own.
    this.sendText(`{"type":${JSON.stringify(e.type)},"seq":${++this.seq},${tail}`);
  }

  private send(payload: object): void {
    this.sendText(JSON.stringify(payload));
  }

  private sendText(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
  }

  private sendError(code: WsErrorCode, message: string, requestID?: string): void {
    this.send({ type: 'error', ...(requestID !== undefined ? { requestID } : {}), code, message });
  }

  private tooSlow(why: string): void {
    if (this.closed) return;
    this.sendError('INTERNAL_ERROR', `This connection is too far behind (${why}) and is being closed. Reconnect and resume with "since": ${this.delivered}.`);
    this.closed = true;
    this.ws.close(1013, 'consumer too slow');
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  private internal(err: unknown): void {
    this.core.log.error({ err }, 'websocket delivery failed');
    this.sendError('INTERNAL_ERROR', 'The server failed to handle that; it has been logged.');
  }
}
