// What the server, the rooms and the peers' clients support (XEP-0030 service
// discovery, XEP-0115 capabilities), and the per-chat capabilities that follow.
import type { XmlElement } from '@xmpp/client';
import type { ChatCapabilities, ChatRef } from '../connector.ts';
import type { Shared } from './shared.ts';
import { NS } from './ns.ts';
import { bareOf } from './jid.ts';
import { capsElement, capsVer, infoQuery, infoResult, itemsQuery, parseInfo, parseItems, type DiscoInfo } from './xep/disco.ts';
import { maxFileSize } from './xep/files.ts';

const SERVER_KEY = 'server';
const PEERS_KEY = 'peerFeatures';
const CAPS_NODE = 'https://github.com/switchboard/switchboard';

export interface ServerInfo {
  features: string[];
  upload?: { jid: string; maxSize?: number };
  muc?: string;
}

/** The client features Switchboard answers disco#info with (and hashes into its caps). */
export const OWN_FEATURES = [
  NS.discoInfo, NS.caps, NS.markers, NS.receipts, NS.chatStates, NS.correction, NS.retract, NS.reactions, NS.reply, NS.fallback,
  NS.oob, NS.attention, NS.sid, NS.styling, NS.muc, NS.directInvite, NS.ping, `${NS.bookmarks2}+notify`,
];
type Level = 0 | 1 | 2;
const OWN_IDENTITY = { category: 'client', type: 'bot', name: 'Switchboard' };

/** Files the upload service takes when it states no limit (conservative). */
const DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024;
const MAX_TEXT = 50_000; // XMPP sets no limit; servers cap stanzas (Prosody: 256 KiB)

export class Disco {
  server: ServerInfo = { features: [] };
  private peers: Record<string, string[]> = {};
  /** Features per online resource (full JID). */
  private readonly resources = new Map<string, Set<string>>();
  private readonly rooms = new Map<string, DiscoInfo>();
  private readonly byVer = new Map<string, Set<string>>();

  constructor(private readonly x: Shared) {}

  async load(): Promise<void> {
    this.server = await this.x.memory.load<ServerInfo>(SERVER_KEY, () => ({ features: [] }));
    this.peers = await this.x.memory.load<Record<string, string[]>>(PEERS_KEY, () => ({}));
  }

  /** The server's features and services: HTTP upload (XEP-0363) and a MUC service. */
  async discoverServer(): Promise<void> {
    const s = this.x.session;
    const info = parseInfo(await s.iq('get', this.x.domain, infoQuery()));
    const found: ServerInfo = { features: [...info.features] };
    const items = parseItems(await s.iq('get', this.x.domain, itemsQuery()).catch(() => undefined));
    await Promise.all(
      items.map(async (item) => {
        const i = await s.iq('get', item.jid, infoQuery(), 5_000).then(parseInfo, () => undefined);
        if (!i) return;
        if (i.features.has(NS.upload) && !found.upload) found.upload = { jid: item.jid, maxSize: maxFileSize(i.forms) };
        if (i.identities.some((id) => id.category === 'conference' && id.type === 'text') && !found.muc) found.muc = item.jid;
      }),
    );
    this.server = found;
    this.x.memory.set(SERVER_KEY, found);
  }

  /** Asks a peer's client what it supports (cached by its caps hash). */
  async probePeer(fullJid: string, caps?: { node: string; ver: string }): Promise<void> {
    const key = caps && `${caps.node}#${caps.ver}`;
    let features = key ? this.byVer.get(key) : undefined;
    if (!features) {
      const info = await this.x.session.iq('get', fullJid, infoQuery(), 8_000).then(parseInfo, () => undefined);
      if (!info) return;
      features = info.features;
      if (key) this.byVer.set(key, features);
    }
    this.resources.set(fullJid, features);
    const bare = bareOf(fullJid);
    // What the peer's clients support together, remembered for when they are offline.
    const all = new Set<string>();
    for (const [jid, f] of this.resources) if (bareOf(jid) === bare) f.forEach((v) => all.add(v));
    this.peers[bare] = [...all].sort();
    this.x.memory.touch(PEERS_KEY);
  }

  /** Features of one online resource, if it was asked. */
  resourceFeatures(fullJid: string): Set<string> | undefined {
    return this.resources.get(fullJid);
  }

  /** Last known features of a peer's clients; undefined when never learned. */
  peerFeatures(bare: string): Set<string> | undefined {
    const f = this.peers[bare];
    return f ? new Set(f) : undefined;
  }

  async roomInfo(room: string, refresh = false): Promise<DiscoInfo | undefined> {
    if (!refresh && this.rooms.has(room)) return this.rooms.get(room);
    const info = await this.x.session.iq('get', room, infoQuery(), 8_000).then(parseInfo, () => undefined);
    if (info) this.rooms.set(room, info);
    return info;
  }

  cachedRoomInfo(room: string): DiscoInfo | undefined {
    return this.rooms.get(room);
  }

  /** Our answer to disco#info (XEP-0030), also for our caps node. */
  answer(query: XmlElement): XmlElement {
    return infoResult(OWN_IDENTITY, OWN_FEATURES, query.attrs.node);
  }

  capsElement(): XmlElement {
    return capsElement(CAPS_NODE, capsVer(OWN_IDENTITY, OWN_FEATURES));
  }

  /**
   * A chat's capabilities. XMPP features depend on the other side:
   * - one-to-one: what the peer's clients advertise in disco#info (remembered when
   *   they go offline). Never learned (no presence subscription yet, never online):
   *   the conservative default — corrections (partial: clients without XEP-0308 show
   *   the new text as another message) and replies (partial: the quote fallback),
   *   but no reactions and no retraction, which would silently do nothing there.
   * - rooms: the room relays everything; reactions and retraction (XEP-0444/0424
   *   address room messages by the room's stanza-id) need a room that assigns
   *   stanza-ids (urn:xmpp:sid:0 or MAM). Corrections and replies always work
   *   (fully when the room advertises them). Room not discovered yet: as unknown.
   * - files need the server's HTTP upload service (XEP-0363), within its limit.
   */
  capabilities(chat: ChatRef): ChatCapabilities {
    let edit: Level = 1;
    let del: Level = 0;
    let reaction: Level = 0;
    let reply: Level = 1;
    if (chat.type === 'single') {
      const f = this.peerFeatures(chat.remoteID);
      if (f) {
        edit = f.has(NS.correction) ? 2 : 1;
        del = f.has(NS.retract) || f.has(NS.retractLegacy) ? 2 : 0;
        reaction = f.has(NS.reactions) ? 2 : 0;
        reply = f.has(NS.reply) ? 2 : 1;
      }
    } else {
      const info = this.rooms.get(chat.remoteID);
      if (info) {
        const ids = info.features.has(NS.sid) || info.features.has(NS.mam);
        edit = info.features.has(NS.correction) ? 2 : 1;
        del = info.features.has(NS.retract) ? 2 : ids ? 1 : 0;
        reaction = info.features.has(NS.reactions) ? 2 : ids ? 1 : 0;
        reply = info.features.has(NS.reply) ? 2 : 1;
      }
    }
    const caps: ChatCapabilities = {
      formatting: { bold: 1, italic: 1, strikethrough: 1, inline_code: 1, code_block: 1, blockquote: 1, inline_link: 1, unordered_list: 1, ordered_list: 1, headers: 1 },
      maxTextLength: MAX_TEXT,
      reply,
      edit,
      delete: del,
      deleteForMe: true,
      reaction,
      reactionCount: 20,
      readReceipts: true,
      typingNotifications: true,
    };
    const upload = this.server.upload;
    if (upload) {
      const limits = (mimeTypes: Record<string, Level>) => ({ mimeTypes, caption: 0 as Level, maxSize: upload.maxSize ?? DEFAULT_MAX_UPLOAD });
      caps.attachments = {
        'm.image': limits({ 'image/*': 2 }),
        'fi.mau.gif': limits({ 'image/gif': 2 }),
        'm.sticker': limits({ 'image/*': 1 }),
        'm.video': limits({ 'video/*': 2 }),
        'm.audio': limits({ 'audio/*': 2 }),
        'org.matrix.msc3245.voice': limits({ 'audio/*': 2 }),
        'm.file': limits({ '*/*': 2 }),
      };
    }
    return caps;
  }
}
