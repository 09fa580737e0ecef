// The sandbox network: accounts that behave like iMessage, WhatsApp, Signal or
// Telegram (their capability profiles, their ID shapes) without touching a real
// chat. On first connect it seeds a deterministic demo inbox; afterwards its
// simulated people confirm sends and, when lively, sometimes read, react and reply.
import type {
  ChatRef, ConnectorContext, MessageRef, NetworkClient, NetworkConnector, OutgoingMessage, RemoteChat, RemoteMessage, RemoteUser, SendResult,
} from '../connector.ts';
import { ConnectorRefusal } from '../connector.ts';
import { buildDemoInbox, generateReply, type DemoAccount, type DemoAttachment, type DemoPerson } from './corpus.ts';
import { SANDBOX_PROFILES, type ProfileKey, type SandboxProfile } from './profiles.ts';
import { createRng, type Rng } from './rng.ts';

export interface SandboxOptions {
  /** Simulated people answer, read and react on their own. Off: sends are only confirmed. */
  lively: boolean;
}

export interface SandboxAccountConfig {
  profile: ProfileKey;
  seed: number;
  seededAt: number;
  [key: string]: unknown;
}

const localpart = (p: DemoPerson) => p.key === 'self' ? (p.phoneNumber?.replace(/\D/g, '') || p.username?.replace(/^@/, '') || 'me') : p.key;

/** The account a sandbox profile creates: enough for core to store it before connecting. */
export function sandboxAccount(profileKey: ProfileKey, seed: number, now: number) {
  const profile = SANDBOX_PROFILES[profileKey];
  const demo = buildDemoInbox({ seed, now, profiles: [profileKey] })[0]!;
  return {
    id: `sandbox-${profileKey}`,
    connector: 'sandbox',
    network: profile.network,
    bridgeId: `sandbox-${profileKey}`,
    bridgeType: 'sandbox',
    provider: 'local' as const,
    host: profile.host,
    selfLocalpart: localpart(demo.self),
    self: { fullName: demo.self.fullName, phoneNumber: demo.self.phoneNumber, username: demo.self.username, email: demo.self.email },
    config: { profile: profileKey, seed, seededAt: now } satisfies SandboxAccountConfig,
  };
}

interface SandboxState {
  people: DemoPerson[];
  sent: number;
}

class SandboxClient implements NetworkClient {
  private readonly profile: SandboxProfile;
  private readonly config: SandboxAccountConfig;
  private readonly timers = new Set<NodeJS.Timeout>();
  private state: SandboxState = { people: [], sent: 0 };
  private rng: Rng;

  constructor(
    protected readonly ctx: ConnectorContext,
    private readonly opts: SandboxOptions,
  ) {
    this.config = ctx.account.config as SandboxAccountConfig;
    this.profile = SANDBOX_PROFILES[this.config.profile];
    this.rng = createRng(this.config.seed).fork('live');
  }

  async connect(): Promise<void> {
    await this.ctx.emit({ type: 'state', state: 'connecting' });
    const saved = await this.ctx.getState<SandboxState>('sandbox');
    if (saved) this.state = saved;
    else await this.seed();
    this.rng = createRng(this.config.seed + this.state.sent).fork('live');
    await this.ctx.emit({ type: 'state', state: 'connected' });
  }

  async disconnect(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  capabilities(chat: ChatRef) {
    return this.profile.capabilities(chat.type);
  }

  async sendMessage(chat: ChatRef, message: OutgoingMessage): Promise<SendResult> {
    this.state.sent++;
    await this.ctx.setState('sandbox', this.state);
    const remoteID = `out-${message.transactionID}`;
    if (this.opts.lively) this.simulateAnswer(chat, remoteID, message.plain);
    return { remoteID, timestamp: this.ctx.now() };
  }

  async editMessage(): Promise<void> {}
  async deleteMessage(): Promise<void> {}
  async addReaction(): Promise<void> {}
  async removeReaction(): Promise<void> {}
  async markRead(): Promise<void> {}
  async setTyping(): Promise<void> {}
  async updateChatInfo(): Promise<void> {}

  async createChat(request: { type: 'single' | 'group'; participantIDs: string[]; title?: string }): Promise<RemoteChat> {
    const people = request.participantIDs.map((id) => {
      const p = this.person(id);
      if (!p) throw new ConnectorRefusal('USER_NOT_FOUND', `${this.profile.network} has nobody with the ID ${id}.`);
      return p;
    });
    const remoteID = request.type === 'single' ? `dm-${people[0]!.key}` : `group-${this.ctx.now().toString(36)}-${this.rng.int(0, 1e6).toString(36)}`;
    return {
      remoteID,
      type: request.type,
      title: request.type === 'group' ? request.title || people.map((p) => p.fullName.split(' ')[0]).join(', ') : undefined,
      participants: people.map((p) => this.user(p)),
    };
  }

  async resolveUser(q: { id?: string; username?: string; phoneNumber?: string; email?: string }): Promise<RemoteUser | undefined> {
    const digits = q.phoneNumber?.replace(/\D/g, '');
    const handle = q.username?.replace(/^@/, '').toLowerCase();
    const p = this.state.people.find(
      (p) =>
        (q.id && this.ctx.userID(p.key) === q.id) ||
        (digits && p.phoneNumber?.replace(/\D/g, '') === digits) ||
        (handle && p.username?.replace(/^@/, '').toLowerCase() === handle) ||
        (q.email && p.email?.toLowerCase() === q.email.toLowerCase()),
    );
    return p && this.user(p);
  }

  protected person(userID: string | undefined): DemoPerson | undefined {
    return userID === undefined ? undefined : this.state.people.find((p) => this.ctx.userID(p.key) === userID);
  }

  private user(p: DemoPerson): RemoteUser {
    return { id: this.ctx.userID(p.key), fullName: p.fullName, username: p.username, phoneNumber: p.phoneNumber, email: p.email, isContact: true };
  }

  /** Writes the demo inbox through core, once per account. */
  private async seed(): Promise<void> {
    const demo: DemoAccount = buildDemoInbox({ seed: this.config.seed, now: this.config.seededAt, profiles: [this.config.profile] })[0]!;
    const started = Date.now();
    this.state = { people: demo.people, sent: 0 };
    await this.ctx.emit({ type: 'users', users: demo.people.map((p) => this.user(p)) });
    const idOf = (key: string) => (key === 'self' ? this.ctx.account.selfUserID : this.ctx.userID(key));
    const byKey = new Map(demo.people.map((p) => [p.key, p]));
    let messages = 0;
    for (const chat of demo.chats) {
      const remoteID = chat.type === 'single' ? `dm-${chat.participantKeys.find((k) => k !== 'self')}` : chat.key;
      await this.ctx.emit({
        type: 'chat',
        chat: {
          remoteID,
          type: chat.type,
          title: chat.title,
          lastActivity: chat.messages[0]?.timestamp ?? this.config.seededAt,
          participants: chat.participantKeys
            .filter((k) => k !== 'self')
            .map((k) => ({ ...this.user(byKey.get(k)!), isAdmin: chat.adminKeys?.includes(k) ?? false })),
          state: { isMuted: chat.isMuted, isPinned: chat.isPinned, isArchived: chat.isArchived, isLowPriority: chat.isLowPriority },
        },
      });
      const batch: RemoteMessage[] = [];
      for (const m of chat.messages) {
        batch.push({
          remoteID: m.key,
          senderID: idOf(m.senderKey),
          timestamp: m.timestamp,
          text: m.text,
          attachments: m.attachment ? [await this.attachment(m.attachment)] : undefined,
          replyToRemoteID: m.replyToKey,
          isSender: m.senderKey === 'self',
          reactions: m.reactions?.map((r) => ({ senderID: idOf(r.senderKey), key: r.key })),
        });
      }
      await this.ctx.emit({ type: 'messages', chatRemoteID: remoteID, messages: batch, history: true });
      messages += batch.length;
      const lastRead = chat.messages[chat.messages.length - 1 - chat.unreadCount];
      await this.ctx.emit({ type: 'read', chatRemoteID: remoteID, upToRemoteID: lastRead?.key });
    }
    await this.ctx.setState('sandbox', this.state);
    this.ctx.log.info({ chats: demo.chats.length, messages, people: demo.people.length, ms: Date.now() - started }, `sandbox ${this.profile.network} inbox seeded`);
  }

  private async attachment(a: DemoAttachment) {
    const url = await this.ctx.storeMedia({ bytes: a.bytes, fileName: a.fileName, mimeType: a.mimeType, width: a.width, height: a.height, duration: a.duration });
    return { url, mimeType: a.mimeType, fileName: a.fileName, size: a.bytes.byteLength, kind: a.kind, width: a.width, height: a.height, duration: a.duration };
  }

  /** In one-to-one chats the other person may read, react and reply a little later. */
  private simulateAnswer(chat: ChatRef, remoteID: string, text: string | undefined): void {
    const other = chat.type === 'single' ? chat.participantIDs[0] : this.rng.pick(chat.participantIDs);
    if (!other) return;
    const later = (ms: number, fn: () => Promise<void>) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        fn().catch((err) => this.ctx.log.warn({ err }, 'sandbox simulation step failed'));
      }, ms);
      t.unref();
      this.timers.add(t);
    };
    const at = () => this.ctx.now();
    later(this.rng.int(500, 2000), () => this.ctx.emit({ type: 'receipt', chatRemoteID: chat.remoteID, userID: other, upToRemoteID: remoteID, timestamp: at() }));
    if (this.rng.chance(0.2) && (this.profile.capabilities(chat.type).reaction ?? 0) > 0) {
      const allowed = this.profile.capabilities(chat.type).allowedReactions ?? ['👍', '❤️', '😂'];
      const key = this.rng.pick(allowed);
      later(this.rng.int(1000, 3000), () => this.ctx.emit({ type: 'reaction', chatRemoteID: chat.remoteID, targetRemoteID: remoteID, senderID: other, key, timestamp: at() }));
    }
    if (this.rng.chance(0.5)) {
      const reply = generateReply(this.rng, text);
      const id = `in-${remoteID}`;
      later(this.rng.int(2000, 6000), async () => {
        await this.ctx.emit({ type: 'typing', chatRemoteID: chat.remoteID, userID: other, typing: true });
        await this.ctx.emit({ type: 'messages', chatRemoteID: chat.remoteID, messages: [{ remoteID: id, senderID: other, timestamp: at(), text: reply }] });
      });
    }
  }
}

/** iMessage sandbox accounts can also notify despite Focus, as iMessage does. */
class FocusAwareSandboxClient extends SandboxClient {
  async notifyAnyway(chat: ChatRef): Promise<void> {
    const network = 'iMessage';
    if (chat.type !== 'single') throw new ConnectorRefusal('NOTIFY_ANYWAY_UNSUPPORTED', `${network} offers Notify Anyway only in one-to-one chats, not in groups.`);
    const person = this.person(chat.participantIDs[0]);
    if (!person?.focused) {
      throw new ConnectorRefusal('RECIPIENT_NOT_FOCUSED', `${person?.fullName ?? 'The recipient'} does not have Focus on, so their notifications are not silenced; send a normal message instead.`);
    }
    const log = (await this.ctx.getState<Array<{ chatID: string; userID: string; at: number }>>('notifications')) ?? [];
    log.push({ chatID: chat.id, userID: chat.participantIDs[0]!, at: this.ctx.now() });
    await this.ctx.setState('notifications', log.slice(-100));
  }
}

export function sandboxConnector(opts: SandboxOptions): NetworkConnector {
  return {
    type: 'sandbox',
    create(ctx) {
      const profile = SANDBOX_PROFILES[(ctx.account.config as SandboxAccountConfig).profile];
      return profile.notifyAnyway ? new FocusAwareSandboxClient(ctx, opts) : new SandboxClient(ctx, opts);
    },
  };
}
