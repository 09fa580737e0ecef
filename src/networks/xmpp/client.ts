// The XMPP client: one per account, over any standard server's
// client-to-server port (STARTTLS on 5222, direct TLS, or plain TCP on a trusted
// loopback). The pieces live in their own modules: session.ts (connection,
// resumption, reconnects), roster.ts (contacts, presence), chats.ts and rooms.ts
// (one-to-one chats, MUC), history.ts (MAM), inbound.ts (messages in), outbox.ts
// (messages out, exactly once), files.ts (upload/download), disco.ts
// (capabilities), refs.ts (message IDs), and xep/ (stanza builders and parsers).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { xml, type XmlElement } from '@xmpp/client';
import type {
  ChatCapabilities, ChatRef, ConnectorContext, CreatesChats, DeletesMessages, EditsMessages, MessageRef, NetworkClient,
  NotifiesAnyway, OutgoingMessage, ReactsToMessages, RemoteChat, RemoteUser, ResolvesUsers, SearchesUsers, SendResult, SendsReadReceipts, SendsTyping,
} from '../connector.ts';
import { ConnectorRefusal, SendError } from '../connector.ts';
import { readPassword, type XmppAccountConfig } from './account.ts';
import type { XmppConnectorOptions } from './connector.ts';
import { NotConnectedError, Session } from './session.ts';
import { Memory } from './memory.ts';
import { Shared } from './shared.ts';
import { Roster } from './roster.ts';
import { Rooms } from './rooms.ts';
import { DirectChats } from './chats.ts';
import { Disco } from './disco.ts';
import { History } from './history.ts';
import { Inbound } from './inbound.ts';
import { Outbox, HOLD_MS } from './outbox.ts';
import { Files } from './files.ts';
import { Refs } from './refs.ts';
import { NS } from './ns.ts';
import { bareOf } from './jid.ts';
import { noStoreHint, originID, storeHint } from './xep/stanza.ts';
import { chatState, displayed, markable, receiptRequest } from './xep/markers.ts';
import { reactions, replace, retractChildren } from './xep/interactions.ts';
import { replyParts } from './xep/replies.ts';
import { oob } from './xep/files.ts';
import { attention } from './xep/attention.ts';
import { htmlToStyling } from './xep/styling.ts';

/** How long edits, reactions and the like wait for a reconnection before they are refused. */
const OP_WAIT_MS = 10_000;

export class XmppClient
  implements NetworkClient, EditsMessages, DeletesMessages, ReactsToMessages, SendsReadReceipts, SendsTyping, CreatesChats, ResolvesUsers, SearchesUsers, NotifiesAnyway
{
  private x?: Shared;
  private readonly config: XmppAccountConfig;
  private queue: Promise<void> = Promise.resolve();
  private ready = false;
  private readonly readiness = new EventEmitter();
  /** Read markers asked for while offline, sent once connected. */
  private readonly pendingMarkers = new Map<string, { chat: ChatRef; upTo: MessageRef | undefined }>();

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly opts: XmppConnectorOptions,
  ) {
    this.config = ctx.account.config as unknown as XmppAccountConfig;
  }

  // ---- lifecycle ---------------------------------------------------------------------

  async connect(): Promise<void> {
    await this.ctx.emit({ type: 'state', state: 'connecting' });
    let password: string;
    try {
      password = readPassword(this.opts.dataDir, this.ctx.account.id);
    } catch {
      await this.ctx.emit({ type: 'state', state: 'bad-credentials', message: `The password file of ${this.config.jid} is missing from the data directory; remove the account and add it again.` });
      return;
    }
    const session = new Session({ jid: this.config.jid, password, host: this.config.host, port: this.config.port, tls: this.config.tls, resource: this.config.resource, log: this.ctx.log });
    const x = new Shared(this.ctx, this.ctx.log, session, new Memory(this.ctx), this.config);
    x.roster = new Roster(x);
    x.rooms = new Rooms(x);
    x.chats = new DirectChats(x);
    x.disco = new Disco(x);
    x.history = new History(x);
    x.inbound = new Inbound(x);
    x.outbox = new Outbox(x, this.opts.holdMs ?? HOLD_MS);
    x.files = new Files(x);
    x.refs = new Refs(x);
    this.x = x;
    try {
      await Promise.all([x.disco.load(), x.rooms.load(), x.files.load(), x.refs.load()]);
    } catch (err) {
      this.ctx.log.warn({ err }, 'could not load the XMPP connector state');
    }
    session.client.iqCallee.get(NS.discoInfo, 'query', (c) => x.disco.answer(c.element));
    session.client.iqCallee.set(NS.roster, 'query', async (c) => ((await x.roster.onPush(c.stanza, c.element)) ? true : xml('error', { type: 'cancel' }, xml('forbidden', { xmlns: NS.stanzaErrors }))));
    session.on('state', (state, message) => void this.ctx.emit({ type: 'state', state, message }));
    session.on('stanza', (el: XmlElement) => this.route(el));
    session.on('session', () => this.enqueue(() => this.setup()));
    session.on('resumed', () => this.becomeReady());
    session.on('down', () => {
      this.ready = false;
      x.outbox.ready = false;
    });
    session.start();
  }

  async disconnect(): Promise<void> {
    const x = this.x;
    if (!x) return;
    this.ready = false;
    x.outbox.ready = false;
    await x.session.stop();
    x.outbox.failAll('The XMPP account was stopped before the message was sent.');
    await x.memory.flush();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err) => this.ctx.log.warn({ err }, 'xmpp: processing failed'));
  }

  private route(el: XmlElement): void {
    const x = this.x!;
    if (el.name === 'message') {
      if (x.history.collect(el)) return;
      this.enqueue(() => x.inbound.onMessage(el));
    } else if (el.name === 'presence') {
      if (x.rooms.onPresence(el)) return;
      const type = el.attrs.type;
      if (type === 'subscribe' || type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed') void x.roster.onSubscription(el).catch(() => {});
      else x.roster.onPresence(el);
    }
  }

  /** A new session: carbons, server features, roster, presence, rooms, archive catch-up; then sends flow. */
  private async setup(): Promise<void> {
    const x = this.x!;
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof NotConnectedError || !x.session.online) throw err;
        this.ctx.log.warn({ err: (err as Error).message, step: what }, 'xmpp session setup step failed');
      }
    };
    try {
      await step('carbons', () => x.session.iq('set', undefined, xml('enable', { xmlns: NS.carbons })));
      await step('disco', () => x.disco.discoverServer());
      await step('roster', () => x.roster.fetch());
      await step('presence', () => x.session.send(xml('presence', {}, x.disco.capsElement())));
      await step('rooms', () => x.rooms.joinAll());
      await step('archive', () => x.history.syncAccount());
      await step('outbox', () => x.history.findOwn(x.outbox.uncertain()));
    } catch {
      return; // the connection dropped; the next session sets up again
    }
    if (x.session.online) await this.becomeReady();
  }

  private async becomeReady(): Promise<void> {
    const x = this.x!;
    this.ready = true;
    x.outbox.ready = true;
    this.readiness.emit('ready');
    void x.outbox.pump();
    for (const [key, p] of this.pendingMarkers) {
      this.pendingMarkers.delete(key);
      await this.markRead(p.chat, p.upTo).catch(() => {});
    }
  }

  private whenReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const on = () => (clearTimeout(t), resolve(true));
      const t = setTimeout(() => (this.readiness.off('ready', on), resolve(false)), ms);
      this.readiness.once('ready', on);
    });
  }

  /** For operations core applies only when they succeed: wait a little for a reconnection, else refuse. */
  private async online(): Promise<Shared> {
    if (!this.x || !(await this.whenReady(OP_WAIT_MS))) {
      throw new ConnectorRefusal('NETWORK_UNAVAILABLE', `The XMPP account ${this.config.jid} is not connected right now, so nothing was sent; try again once it is back.`);
    }
    return this.x;
  }

  // ---- messages --------------------------------------------------------------------------

  capabilities(chat: ChatRef): ChatCapabilities {
    return this.x ? this.x.disco.capabilities(chat) : {};
  }

  private address(chat: ChatRef): { to: string; type: 'chat' | 'groupchat'; group: boolean } {
    const group = chat.type === 'group';
    return { to: chat.remoteID, type: group ? 'groupchat' : 'chat', group };
  }

  /** How another stanza names a message: rooms use their stanza-id, one-to-one chats the sender's ID. */
  private async ref(chat: ChatRef, target: MessageRef): Promise<string> {
    return chat.type === 'group' ? this.x!.refs.roomRef(chat.remoteID, target.remoteID) : target.remoteID;
  }

  async sendMessage(chat: ChatRef, message: OutgoingMessage): Promise<SendResult> {
    const x = this.x;
    if (!x) throw new SendError('The XMPP account is not running.', 'NOT_CONNECTED', true);
    const { to, type, group } = this.address(chat);
    const id = message.transactionID;
    const text = message.html && message.text ? htmlToStyling(message.text) : (message.plain ?? message.text ?? '');
    let body = text;
    const extra: XmlElement[] = [];
    if (message.replyTo) {
      const about = x.refs.about(chat.remoteID, message.replyTo.remoteID);
      const author = message.replyTo.isSender ? x.self : about?.sender ?? (group ? undefined : chat.remoteID);
      const parts = replyParts(text, { to: author && group && !author.includes('/') ? undefined : author, id: await this.ref(chat, message.replyTo), quote: about?.text });
      body = parts.body;
      extra.push(...parts.elements);
    }
    let url: string | undefined;
    const build = async () => {
      if (message.attachment && !url) url = await x.files.upload(message.attachment);
      const content = url ? (body ? `${body}\n${url}` : url) : body;
      return xml(
        'message',
        { to, type, id },
        xml('body', {}, content),
        originID(id),
        markable(),
        group ? null : receiptRequest(),
        chatState('active'),
        ...extra,
        url ? oob(url) : null,
      );
    };
    const at = await x.outbox.send(id, { to, group }, build);
    x.refs.remember(chat.remoteID, id, x.self, text);
    return { remoteID: id, timestamp: at };
  }

  private async sendOp(chat: ChatRef, children: Array<XmlElement | null>): Promise<void> {
    const x = await this.online();
    const { to, type } = this.address(chat);
    const id = randomUUID();
    x.refs.addOwnOp(id);
    try {
      await x.session.send(xml('message', { to, type, id }, ...children, originID(id)));
    } catch (err) {
      if (err instanceof NotConnectedError) throw new ConnectorRefusal('NETWORK_UNAVAILABLE', `The XMPP connection dropped; nothing was sent.`);
      throw err;
    }
  }

  async editMessage(chat: ChatRef, target: MessageRef, edit: { text: string; html: boolean; plain: string }): Promise<void> {
    const text = edit.html ? htmlToStyling(edit.text) : edit.plain;
    await this.sendOp(chat, [xml('body', {}, text), replace(target.remoteID), storeHint()]);
    this.x!.refs.remember(chat.remoteID, target.remoteID, this.x!.self, text);
  }

  async deleteMessage(chat: ChatRef, target: MessageRef, forEveryone: boolean): Promise<void> {
    if (!forEveryone) return; // XMPP has no deleting for oneself: it is only removed here
    await this.sendOp(chat, retractChildren(await this.ref(chat, target)));
  }

  async addReaction(chat: ChatRef, target: MessageRef, key: string): Promise<void> {
    await this.react(chat, target, (keys) => [...keys.filter((k) => k !== key), key]);
  }

  async removeReaction(chat: ChatRef, target: MessageRef, key: string): Promise<void> {
    await this.react(chat, target, (keys) => keys.filter((k) => k !== key));
  }

  /** XEP-0444 sends the complete set of one's reactions on a message. */
  private async react(chat: ChatRef, target: MessageRef, change: (keys: string[]) => string[]): Promise<void> {
    const x = await this.online();
    const keys = change(await x.refs.reactions(chat.remoteID, target.remoteID, x.self));
    await this.sendOp(chat, [reactions(await this.ref(chat, target), keys), storeHint()]);
    await x.refs.setReactions(chat.remoteID, target.remoteID, x.self, keys);
  }

  async markRead(chat: ChatRef, upTo: MessageRef | undefined): Promise<void> {
    const x = this.x;
    if (!x) return;
    if (!this.ready) {
      this.pendingMarkers.set(chat.id, { chat, upTo });
      return;
    }
    // A displayed marker names a message from the other side.
    let ref: string | undefined;
    if (upTo && !upTo.isSender) ref = await this.ref(chat, upTo);
    else {
      const last = x.refs.lastIncoming(chat.remoteID);
      ref = last && (chat.type === 'group' ? (last.sid ?? last.id) : last.id);
    }
    if (!ref) return;
    await this.sendOp(chat, [displayed(ref), storeHint()]);
  }

  async setTyping(chat: ChatRef, typing: boolean): Promise<void> {
    const x = this.x;
    if (!x || !this.ready) return; // typing is momentary: nothing to catch up on
    const { to, type } = this.address(chat);
    await x.session.send(xml('message', { to, type }, chatState(typing ? 'composing' : 'paused'), noStoreHint())).catch(() => {});
  }

  // ---- chats and people ----------------------------------------------------------------

  async createChat(request: { type: 'single' | 'group'; participantIDs: string[]; title?: string }): Promise<RemoteChat> {
    const x = this.x;
    if (!x || !(await this.whenReady(OP_WAIT_MS))) throw new ConnectorRefusal('NETWORK_UNAVAILABLE', `The XMPP account ${this.config.jid} is not connected right now; try again once it is back.`);
    if (request.type === 'single') return x.chats.create(request.participantIDs[0]!);
    return x.rooms.create(request.title, request.participantIDs);
  }

  async resolveUser(q: { id?: string; username?: string; phoneNumber?: string; email?: string }): Promise<RemoteUser | undefined> {
    const x = this.x;
    if (!x) return undefined;
    const jid = q.id ? x.jidOf(q.id) : x.roster.jidFromQuery(q.username ?? q.email ?? '');
    if (!jid || !jid.includes('@') || jid === x.self || x.rooms.isRoom(jid)) return undefined;
    return x.roster.user(bareOf(jid));
  }

  async searchUsers(query: string): Promise<RemoteUser[]> {
    return this.x ? this.x.roster.search(query).filter((u) => u.username !== this.x!.self) : [];
  }

  // ---- notify anyway (XEP-0224) -------------------------------------------------------------

  async notifyAnyway(chat: ChatRef): Promise<void> {
    if (chat.type !== 'single') {
      throw new ConnectorRefusal('NOTIFY_ANYWAY_UNSUPPORTED', 'XMPP can ask for attention (XEP-0224) only in one-to-one chats, not in group chats; nothing was sent.');
    }
    const x = this.x;
    if (!x || !(await this.whenReady(OP_WAIT_MS))) throw new ConnectorRefusal('NETWORK_UNAVAILABLE', `The XMPP account ${this.config.jid} is not connected right now; nothing was sent.`);
    const peer = chat.remoteID;
    const name = x.roster.name(peer) ? `${x.roster.name(peer)} (${peer})` : peer;
    const dnd = x.roster.isDnd(peer) ? ` ${name} is on Do Not Disturb.` : '';
    const online = x.roster.resources(peer);
    if (!online.length) {
      throw new ConnectorRefusal('NOTIFY_ANYWAY_UNSUPPORTED', `XMPP attention requests reach only a client that is online and advertises urn:xmpp:attention:0; ${name} has no client online that shares its presence with you, so nothing was sent.`);
    }
    const able: string[] = [];
    for (const p of online) {
      if (!x.disco.resourceFeatures(p.jid)) await x.disco.probePeer(p.jid, p.caps);
      if (x.disco.resourceFeatures(p.jid)?.has(NS.attention)) able.push(p.jid);
    }
    if (!able.length) {
      throw new ConnectorRefusal('NOTIFY_ANYWAY_UNSUPPORTED', `${name}'s XMPP client does not accept attention requests (it does not advertise urn:xmpp:attention:0), so nothing was sent.${dnd}`);
    }
    for (const jid of able) await x.session.send(attention(jid, randomUUID()));
  }
}
