// Incoming messages, whichever way they arrive — live, as a carbon of another of
// the account's clients (XEP-0280), or from an archive (XEP-0313) — become core
// events through one path, so a message gets the same remoteID every way (see
// refs.ts) and is stored once.
import { randomUUID } from 'node:crypto';
import { xml, type XmlElement } from '@xmpp/client';
import type { ConnectorEvent, RemoteAttachment, RemoteMessage } from '../connector.ts';
import type { Shared } from './shared.ts';
import { NS } from './ns.ts';
import { bareOf, resourceOf } from './jid.ts';
import { Lru } from './memory.ts';
import { delayStamp, stanzaIDBy, stanzaIDs, unwrapCarbon } from './xep/stanza.ts';
import { parseReactions, parseReplace, parseRetract } from './xep/interactions.ts';
import { parseReply, stripFallback } from './xep/replies.ts';
import { parseChatState, parseMarkers, receiptReceived } from './xep/markers.ts';
import { parseOob } from './xep/files.ts';
import { parseInvite } from './xep/muc.ts';
import { stylingToHtml } from './xep/styling.ts';
import type { MamResult } from './xep/mam.ts';

/** Where processed messages go: straight to core, or batched (archive pages). */
interface Sink {
  message(chat: string, m: RemoteMessage): Promise<void>;
  event(e: ConnectorEvent): Promise<void>;
}

class LiveSink implements Sink {
  constructor(private readonly x: Shared) {}
  message(chat: string, m: RemoteMessage) {
    return this.x.ctx.emit({ type: 'messages', chatRemoteID: chat, messages: [m] });
  }
  event(e: ConnectorEvent) {
    return this.x.ctx.emit(e);
  }
}

/** Collects messages in order and stores them in bulk; anything else flushes first (its target may be in the batch). */
class BatchSink implements Sink {
  private chats = new Map<string, RemoteMessage[]>();
  constructor(
    private readonly x: Shared,
    private readonly history: boolean,
  ) {}
  async message(chat: string, m: RemoteMessage) {
    const list = this.chats.get(chat);
    if (list) list.push(m);
    else this.chats.set(chat, [m]);
  }
  async event(e: ConnectorEvent) {
    await this.flush();
    await this.x.ctx.emit(e);
  }
  async flush() {
    if (!this.chats.size) return;
    const chats = [...this.chats].map(([chatRemoteID, messages]) => ({ chatRemoteID, messages }));
    this.chats = new Map();
    if (this.history) await this.x.ctx.emit({ type: 'history', chats });
    else for (const c of chats) await this.x.ctx.emit({ type: 'messages', chatRemoteID: c.chatRemoteID, messages: c.messages });
  }
}

interface Source {
  kind: 'live' | 'carbon' | 'archive';
  /** For archive results: the archive's ID and stamp, and the room when it is a room's archive. */
  archiveID?: string;
  stamp?: number;
  room?: string;
}

export class Inbound {
  private readonly seen = new Lru<string, true>(20_000);
  private readonly live: LiveSink;

  constructor(private readonly x: Shared) {
    this.live = new LiveSink(x);
  }

  /** A live <message> stanza. */
  async onMessage(el: XmlElement): Promise<void> {
    const self = this.x.self;
    const event = el.getChild('event', NS.pubsubEvent);
    if (event) {
      const items = event.getChild('items');
      if (bareOf(el.attrs.from ?? self) === self && items?.attrs.node === NS.bookmarks2) await this.x.rooms.onBookmarks(items);
      return;
    }
    if (el.getChild('sent', NS.carbons) || el.getChild('received', NS.carbons)) {
      const carbon = unwrapCarbon(el, self);
      if (!carbon) return this.x.log.warn({ from: el.attrs.from }, 'ignored a carbon copy not sent by our own server');
      return this.process(carbon.message, { kind: 'carbon' }, this.live);
    }
    return this.process(el, { kind: 'live' }, this.live);
  }

  /** Archive results, oldest first; `history` marks a first backfill. */
  async processArchive(results: MamResult[], room: string | undefined, history: boolean): Promise<void> {
    const sink = new BatchSink(this.x, history);
    for (const r of results) {
      try {
        await this.process(r.message, { kind: 'archive', archiveID: r.archiveID, stamp: r.stamp, room }, sink);
      } catch (err) {
        this.x.log.warn({ err, archiveID: r.archiveID }, 'could not process an archived message');
      }
    }
    await sink.flush();
  }

  private async process(m: XmlElement, src: Source, sink: Sink): Promise<void> {
    const x = this.x;
    const self = x.self;
    const type = m.attrs.type ?? 'normal';
    const ids = stanzaIDs(m);
    const from = m.attrs.from ?? self;

    if (type === 'error') return this.bounced(m);
    if (type === 'headline') return;

    // ---- which chat, who sent it -------------------------------------------------------
    let chat: string;
    let group = false;
    let isSelf: boolean;
    let sender: string; // JID (bare, or occupant JID)
    let replyTo: string | undefined; // where receipts go
    let roomSid: string | undefined;
    if (type === 'groupchat' || src.room) {
      chat = src.room ?? bareOf(from);
      group = true;
      if (!x.rooms.isRoom(chat)) return;
      const nick = resourceOf(from);
      const subject = m.getChild('subject');
      if (!nick || (subject && !m.getChild('body'))) {
        if (subject && src.kind === 'live') x.rooms.onSubject(chat, subject.text());
        return;
      }
      const hint = m.getChild('x', NS.mucUser)?.getChild('item')?.attrs.jid;
      const real = hint ? bareOf(hint) : undefined;
      isSelf = real === self || (!real && nick === x.rooms.nick(chat));
      sender = isSelf ? self : x.rooms.senderJid(chat, nick, real);
      roomSid = stanzaIDBy(ids, chat) ?? (src.room ? src.archiveID : undefined);
    } else {
      const fromBare = bareOf(from);
      const toBare = bareOf(m.attrs.to ?? self);
      isSelf = fromBare === self;
      chat = isSelf ? toBare : fromBare;
      if (!chat || chat === self) return; // notes to self are not a chat here
      const invite = parseInvite(m);
      if (invite) {
        if (!isSelf && src.kind === 'live') await x.rooms.onInvite(invite);
        return;
      }
      if (x.rooms.isRoom(chat)) return; // private messages in rooms are not supported
      sender = isSelf ? self : fromBare;
      replyTo = from;
    }
    // A stanza without any ID (chat states often have none) cannot arrive twice as the same thing.
    const stableID = ids.originID ?? ids.idAttr ?? (group ? roomSid : stanzaIDBy(ids, self) ?? src.archiveID);
    const remoteID = stableID ?? randomUUID();
    const key = `${chat}\n${remoteID}`;
    if (isSelf) x.outbox.confirm(remoteID);
    if (src.kind !== 'archive') {
      // Live stanzas carry the archive's ID: the next catch-up starts after it.
      const sid = group ? roomSid : stanzaIDBy(ids, self);
      if (sid) await x.history.advance(group ? chat : undefined, sid);
    }
    if (this.seen.has(key) || (isSelf && x.refs.isOwnOp(remoteID))) return;
    this.seen.set(key, true);

    const timestamp = src.stamp ?? delayStamp(m) ?? x.ctx.now();
    const senderID = isSelf ? x.ctx.account.selfUserID : x.userID(sender);
    const body = m.getChildText('body');

    // ---- typing, receipts, markers ----------------------------------------------------
    const state = parseChatState(m);
    if (state && src.kind === 'live' && !isSelf && (group ? x.rooms.joined(chat) : x.chats.known(chat))) {
      await sink.event({ type: 'typing', chatRemoteID: chat, userID: senderID, typing: state === 'composing' });
    }
    const markers = parseMarkers(m);
    if (markers.receiptFor && !group && !isSelf) {
      const target = await x.refs.resolve(chat, markers.receiptFor);
      const author = x.refs.about(chat, target)?.sender;
      if (!author || author === self) await sink.event({ type: 'sendStatus', chatRemoteID: chat, remoteID: target, status: 'SUCCESS', deliveredTo: [senderID] });
    }
    if (markers.receiptRequest && body !== null && !group && !isSelf && src.kind === 'live' && m.attrs.id) {
      await x.session.send(xml('message', { to: replyTo, id: randomUUID() }, receiptReceived(m.attrs.id))).catch(() => {});
    }
    if (markers.displayed) {
      const upTo = await x.refs.resolve(chat, markers.displayed);
      if (isSelf) await sink.event({ type: 'read', chatRemoteID: chat, upToRemoteID: upTo });
      else await sink.event({ type: 'receipt', chatRemoteID: chat, userID: senderID, upToRemoteID: upTo, timestamp });
    }

    // ---- reactions, retraction, correction --------------------------------------------
    const reactions = parseReactions(m);
    if (reactions) {
      const target = await x.refs.resolve(chat, reactions.id);
      const before = await x.refs.reactions(chat, target, sender);
      for (const k of before.filter((k) => !reactions.keys.includes(k))) {
        await sink.event({ type: 'reaction', chatRemoteID: chat, targetRemoteID: target, senderID, key: k, timestamp, removed: true });
      }
      for (const k of reactions.keys.filter((k) => !before.includes(k))) {
        await sink.event({ type: 'reaction', chatRemoteID: chat, targetRemoteID: target, senderID, key: k, timestamp });
      }
      await x.refs.setReactions(chat, target, sender, reactions.keys);
      return;
    }
    const retracted = parseRetract(m);
    if (retracted) {
      const target = await x.refs.resolve(chat, retracted);
      const author = x.refs.about(chat, target)?.sender;
      if (author && author !== sender) return x.log.warn({ chat, sender }, 'ignored a retraction of someone else’s message');
      await sink.event({ type: 'delete', chatRemoteID: chat, targetRemoteID: target });
      return;
    }
    const corrected = parseReplace(m);
    if (corrected && body !== null) {
      const target = await x.refs.resolve(chat, corrected);
      const author = x.refs.about(chat, target)?.sender;
      if (author && author !== sender) return x.log.warn({ chat, sender }, 'ignored a correction of someone else’s message');
      const text = stripFallback(body, m, [NS.reply]);
      const html = stylingToHtml(text);
      await sink.event({ type: 'edit', chatRemoteID: chat, targetRemoteID: target, text: html ?? text, html: html !== undefined, timestamp });
      x.refs.remember(chat, target, sender, text);
      return;
    }

    // ---- a message --------------------------------------------------------------------
    const oobs = parseOob(m);
    if (body === null && !oobs.length) return;
    if (m.getChild('fallback', NS.fallback)?.attrs.for === NS.retract) return; // a retraction we do not understand
    let text = body === null ? '' : stripFallback(body, m, [NS.reply]);
    const attachments: RemoteAttachment[] = [];
    for (const url of [...new Set(oobs.map((o) => o.url))]) {
      const a = await x.files.download(url);
      if (!a) continue;
      attachments.push(a);
      if (text.trim() === url) text = '';
    }
    const reply = parseReply(m);
    const html = text ? stylingToHtml(text) : undefined;
    const message: RemoteMessage = {
      remoteID,
      senderID,
      timestamp,
      text: html ?? text,
      html: html !== undefined,
      attachments: attachments.length ? attachments : undefined,
      replyToRemoteID: reply ? await x.refs.resolve(chat, reply.id) : undefined,
      isSender: isSelf,
    };
    if (!group) await x.chats.ensure(chat, src.kind === 'archive' ? timestamp : undefined);
    await sink.message(chat, message);
    x.refs.remember(chat, remoteID, sender, text);
    await x.refs.record(chat, remoteID, [ids.idAttr, ids.originID], roomSid);
    if (!isSelf) x.refs.setLastIncoming(chat, remoteID, roomSid);
  }

  /** A message error: a send of ours that the server or the peer's server refused. */
  private async bounced(m: XmlElement): Promise<void> {
    const id = m.attrs.id;
    if (!id) return;
    const condition = m.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name ?? 'error';
    const text = m.getChild('error')?.getChildText('text', NS.stanzaErrors);
    const reason = `The XMPP server could not deliver the message (${condition}${text ? `: ${text}` : ''}).`;
    if (this.x.outbox.bounce(id, reason)) return;
    const chat = bareOf(m.attrs.from);
    if (chat) await this.x.ctx.emit({ type: 'sendStatus', chatRemoteID: chat, remoteID: id, status: 'FAIL_PERMANENT', reason: 'XMPP_ERROR', message: reason });
  }
}
