// The sandbox network: accounts that behave like iMessage, WhatsApp, Signal,
// Telegram, Slack or Discord (their capability profiles, their ID shapes) without
// touching a real chat. On first connect it seeds a deterministic demo inbox; then
// its simulated people confirm sends and, when lively, read, react and reply. Tests
// script it through simulate(): incoming messages, failures, outages, Focus.
import type {
  ChatRef, ConnectorContext, NetworkClient, NetworkConnector, OutgoingMessage, RemoteChat, RemoteUser, ScriptedSend, SendResult, SimulationCommand,
  SimulatedFile, SimulationResult, SimulationState,
} from '../connector.ts';
import { ConnectorRefusal, SendError } from '../connector.ts';
import { buildDemoInbox, strangerPerson, type DemoPerson } from './corpus.ts';
import { SANDBOX_PROFILES, type ProfileKey, type SandboxProfile } from './profiles.ts';
import { createRng, type Rng } from './rng.ts';
import { personUser, seedDemo, storeAttachment } from './seed.ts';
import { Behaviour } from './behaviour.ts';
import { generateCorpus } from './generate.ts';

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

const localpart = (p: DemoPerson) => (p.key === 'self' ? p.phoneNumber?.replace(/\D/g, '') || p.username?.replace(/^@/, '') || 'me' : p.key);

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

/** What the simulated network remembers across restarts. */
interface NetworkMemory {
  people: DemoPerson[];
  sent: number;
  injected: number;
  /** People outside the user's contacts who wrote first, so far. */
  strangers?: number;
  deliveries: SimulationState['deliveries'];
  notifications: SimulationState['notifications'];
}

const KEEP = 1_000;

class SandboxClient implements NetworkClient {
  protected readonly profile: SandboxProfile;
  private readonly config: SandboxAccountConfig;
  protected memory: NetworkMemory = { people: [], sent: 0, injected: 0, deliveries: [], notifications: [] };
  private rng: Rng;
  private behaviour: Behaviour;
  private online = true;
  /** Sends waiting for the network to come back, in the order they were made. */
  private readonly waiting: Array<() => void> = [];
  private readonly script: ScriptedSend[] = [];
  /** The scripted outcome each send drew, kept across its retries. */
  private readonly plans = new Map<string, { plan: ScriptedSend; failed: number }>();

  constructor(
    protected readonly ctx: ConnectorContext,
    private readonly opts: SandboxOptions,
  ) {
    this.config = ctx.account.config as SandboxAccountConfig;
    this.profile = SANDBOX_PROFILES[this.config.profile];
    this.rng = createRng(this.config.seed).fork('live');
    this.behaviour = new Behaviour(ctx, this.profile, this.rng);
  }

  async connect(): Promise<void> {
    await this.ctx.emit({ type: 'state', state: 'connecting' });
    const saved = await this.ctx.getState<NetworkMemory>('sandbox');
    if (saved) this.memory = saved;
    else await this.seed();
    // Same seed and same history of sends: same replies.
    this.rng = createRng(this.config.seed + this.memory.sent).fork('live');
    this.behaviour = new Behaviour(this.ctx, this.profile, this.rng);
    await this.ctx.emit({ type: 'state', state: 'connected' });
  }

  async disconnect(): Promise<void> {
    this.behaviour.stop();
  }

  capabilities(chat: ChatRef) {
    const caps = this.profile.capabilities(chat.type);
    if (chat.isMessageRequest && this.profile.messageRequest) caps.messageRequest = { ...this.profile.messageRequest };
    return caps;
  }

  async sendMessage(chat: ChatRef, message: OutgoingMessage): Promise<SendResult> {
    if (!this.online) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const txn = message.transactionID;
    const remoteID = `out-${txn}`;
    let entry = this.plans.get(txn);
    if (!entry) {
      entry = { plan: this.script.shift() ?? { outcome: 'success' }, failed: 0 };
      this.plans.set(txn, entry);
    }
    const { plan } = entry;
    if (plan.outcome === 'fail-permanent') {
      this.plans.delete(txn);
      throw new SendError(`${this.profile.network} refused the message (scripted permanent failure).`, 'SCRIPTED_FAILURE', false);
    }
    if (plan.outcome === 'fail-retriable' && entry.failed < (plan.failures ?? 1)) {
      entry.failed++;
      throw new SendError(`${this.profile.network} could not take the message right now (scripted failure ${entry.failed} of ${plan.failures ?? 1}).`, 'SCRIPTED_TEMPORARY_FAILURE', true);
    }
    this.plans.delete(txn);
    if (this.plans.size > KEEP) this.plans.delete(this.plans.keys().next().value!); // plans of sends core gave up on
    if (plan.outcome === 'pending') return { remoteID, status: 'PENDING' };
    if (plan.outcome === 'delay') {
      this.behaviour.later(plan.delayMs ?? 1_000, async () => {
        await this.deliver(chat, remoteID, message);
        await this.ctx.emit({ type: 'sendStatus', chatRemoteID: chat.remoteID, remoteID, status: 'SUCCESS' });
      });
      return { remoteID, status: 'PENDING' };
    }
    await this.deliver(chat, remoteID, message);
    return { remoteID, timestamp: this.ctx.now() };
  }

  /** The network takes the message: once per transaction, however often it is sent. */
  private async deliver(chat: ChatRef, remoteID: string, message: OutgoingMessage): Promise<void> {
    if (this.memory.deliveries.some((d) => d.transactionID === message.transactionID)) return;
    this.memory.sent++;
    this.memory.deliveries.push({ chatRemoteID: chat.remoteID, remoteID, transactionID: message.transactionID, text: message.plain, at: this.ctx.now() });
    this.memory.deliveries = this.memory.deliveries.slice(-KEEP);
    await this.remember();
    // Answering a message request accepts it (core only lets the send through where the network allows that).
    if (chat.isMessageRequest) await this.ctx.emit({ type: 'chat', chat: { remoteID: chat.remoteID, type: chat.type, isMessageRequest: false } });
    if (this.opts.lively) this.behaviour.answer(chat, remoteID, message.plain);
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
    const p = this.memory.people.find(
      (p) =>
        (q.id && this.ctx.userID(p.key) === q.id) ||
        (digits && p.phoneNumber?.replace(/\D/g, '') === digits) ||
        (handle && p.username?.replace(/^@/, '').toLowerCase() === handle) ||
        (q.email && p.email?.toLowerCase() === q.email.toLowerCase()),
    );
    return p && this.user(p);
  }

  async simulate(cmd: SimulationCommand): Promise<SimulationResult> {
    const at = () => this.ctx.now();
    switch (cmd.kind) {
      case 'incoming': {
        const senderID = this.sender(cmd.chat, cmd.senderID);
        const remoteID = `sim-${++this.memory.injected}`;
        await this.remember();
        const attachments = await this.attachments(cmd.attachment);
        await this.ctx.emit({
          type: 'messages',
          chatRemoteID: cmd.chat.remoteID,
          messages: [{ remoteID, senderID, timestamp: cmd.timestamp ?? at(), text: cmd.text, attachments, replyToRemoteID: cmd.replyTo?.remoteID }],
        });
        return { remoteID };
      }
      case 'reaction':
        await this.ctx.emit({ type: 'reaction', chatRemoteID: cmd.chat.remoteID, targetRemoteID: cmd.target.remoteID, senderID: this.sender(cmd.chat, cmd.senderID), key: cmd.key, timestamp: at(), removed: cmd.removed });
        return {};
      case 'edit':
        await this.ctx.emit({ type: 'edit', chatRemoteID: cmd.chat.remoteID, targetRemoteID: cmd.target.remoteID, text: cmd.text, timestamp: at() });
        return {};
      case 'delete':
        await this.ctx.emit({ type: 'delete', chatRemoteID: cmd.chat.remoteID, targetRemoteID: cmd.target.remoteID });
        return {};
      case 'receipt':
        if (cmd.upTo) await this.ctx.emit({ type: 'receipt', chatRemoteID: cmd.chat.remoteID, userID: this.sender(cmd.chat, cmd.userID), upToRemoteID: cmd.upTo.remoteID, timestamp: at() });
        return {};
      case 'typing':
        await this.ctx.emit({ type: 'typing', chatRemoteID: cmd.chat.remoteID, userID: this.sender(cmd.chat, cmd.userID), typing: true });
        return {};
      case 'membership':
        return this.membership(cmd.chat, cmd.userID, cmd.action);
      case 'stranger':
        return this.stranger(cmd);
      case 'accept':
        return this.accept(cmd.chat);
      case 'focus': {
        const person = this.person(cmd.userID);
        if (!person) throw new ConnectorRefusal('USER_NOT_FOUND', `${this.profile.network} has nobody with the ID ${cmd.userID}.`);
        person.focused = cmd.focused;
        await this.remember();
        return {};
      }
      case 'script':
        this.script.push(...cmd.sends);
        return {};
      case 'online':
        await this.setOnline(cmd.online);
        return {};
      case 'generate':
        return { generated: await generateCorpus(this.ctx, this.profile, cmd) };
      case 'inspect':
        return {
          state: {
            online: this.online,
            scriptedSends: [...this.script],
            people: this.memory.people.map((p) => ({ id: this.ctx.userID(p.key), fullName: p.fullName, focused: !!p.focused })),
            deliveries: this.memory.deliveries,
            notifications: this.memory.notifications,
          },
        };
    }
  }

  private async setOnline(online: boolean): Promise<void> {
    if (online === this.online) return;
    this.online = online;
    await this.ctx.emit({ type: 'state', state: online ? 'connected' : 'transient-disconnect', message: online ? undefined : 'simulated outage' });
    // Back online: held sends go out one at a time, in the order they were made.
    if (online) for (const release of this.waiting.splice(0)) release();
  }

  private async membership(chat: ChatRef, userID: string, action: 'join' | 'leave') {
    if (chat.type !== 'group') throw new ConnectorRefusal('NOT_A_GROUP', 'People join and leave groups only.');
    const member = chat.participantIDs.includes(userID);
    if (action === 'leave') {
      if (!member) throw new ConnectorRefusal('NOT_A_MEMBER', `${userID} is not in this group.`);
      await this.ctx.emit({ type: 'members', chatRemoteID: chat.remoteID, left: [userID] });
      return {};
    }
    if (member) throw new ConnectorRefusal('ALREADY_A_MEMBER', `${userID} is already in this group.`);
    if (!userID.endsWith(`:${this.profile.host}`)) throw new ConnectorRefusal('USER_NOT_FOUND', `${userID} is not a ${this.profile.network} user ID (…:${this.profile.host}).`);
    // People the network knows by name join with their profile; others by ID alone.
    const person = this.person(userID);
    await this.ctx.emit({ type: 'members', chatRemoteID: chat.remoteID, joined: [person ? this.user(person) : { id: userID }] });
    return {};
  }

  /** A file a simulated person sends, stored as the network would hand it over. */
  private async attachments(file: SimulatedFile | undefined) {
    return file ? [await storeAttachment(this.ctx, { kind: file.mimeType.startsWith('image/') ? 'image' : 'file', ...file })] : undefined;
  }

  /** Someone outside the contacts writes first: a new DM, held as a message request where the network has them. */
  private async stranger(cmd: Extract<SimulationCommand, { kind: 'stranger' }>): Promise<SimulationResult> {
    const n = (this.memory.strangers ?? 0) + 1;
    const person = strangerPerson(this.rng.fork(`stranger-${n}`), this.profile.key, n, cmd.fullName);
    if (this.person(this.ctx.userID(person.key))) throw new ConnectorRefusal('USER_EXISTS', `${this.profile.network} already has someone with the ID of stranger ${n}; reset the sandbox.`);
    const attachments = await this.attachments(cmd.attachment);
    this.memory.strangers = n;
    this.memory.people.push(person);
    const remoteID = `sim-${++this.memory.injected}`;
    await this.remember();
    const chatRemoteID = `dm-${person.key}`;
    const at = this.ctx.now();
    await this.ctx.emit({
      type: 'chat',
      chat: { remoteID: chatRemoteID, type: 'single', participants: [this.user(person)], lastActivity: at, isMessageRequest: !!this.profile.messageRequest },
    });
    await this.ctx.emit({ type: 'messages', chatRemoteID, messages: [{ remoteID, senderID: this.ctx.userID(person.key), timestamp: at, text: cmd.text, attachments }] });
    return { remoteID, chatRemoteID };
  }

  /** The user presses the network's Accept button (in its own app): the request becomes an ordinary chat. */
  private async accept(chat: ChatRef): Promise<SimulationResult> {
    const network = this.profile.network;
    if (!chat.isMessageRequest) throw new ConnectorRefusal('NOT_A_MESSAGE_REQUEST', `This ${network} chat is not a message request; there is nothing to accept.`);
    if ((this.profile.messageRequest?.acceptWithButton ?? 0) <= 0) throw new ConnectorRefusal('ACCEPT_UNSUPPORTED', `${network} has no Accept button for message requests.`);
    await this.ctx.emit({ type: 'chat', chat: { remoteID: chat.remoteID, type: chat.type, isMessageRequest: false } });
    return {};
  }

  /** Who a simulated event comes from: the given member, else the other person (DM) or the first member. */
  private sender(chat: ChatRef, userID: string | undefined): string {
    if (userID) {
      if (!chat.participantIDs.includes(userID)) throw new ConnectorRefusal('NOT_A_MEMBER', `${userID} is not in this chat.`);
      return userID;
    }
    const first = chat.participantIDs[0];
    if (!first) throw new ConnectorRefusal('NOT_A_MEMBER', 'This chat has nobody else in it.');
    return first;
  }

  protected person(userID: string | undefined): DemoPerson | undefined {
    return userID === undefined ? undefined : this.memory.people.find((p) => this.ctx.userID(p.key) === userID);
  }

  private user(p: DemoPerson): RemoteUser {
    return personUser(this.ctx, p);
  }

  protected remember(): Promise<void> {
    return this.ctx.setState('sandbox', this.memory);
  }

  /** Writes the demo inbox through core, once per account. */
  private async seed(): Promise<void> {
    const demo = buildDemoInbox({ seed: this.config.seed, now: this.config.seededAt, profiles: [this.config.profile] })[0]!;
    const started = Date.now();
    this.memory = { people: demo.people, sent: 0, injected: 0, deliveries: [], notifications: [] };
    const { chats, messages } = await seedDemo(this.ctx, demo);
    await this.remember();
    this.ctx.log.info({ chats, messages, people: demo.people.length, ms: Date.now() - started }, `sandbox ${this.profile.network} inbox seeded`);
  }
}

/** iMessage sandbox accounts can also notify despite Focus, as iMessage does. */
class FocusAwareSandboxClient extends SandboxClient {
  async notifyAnyway(chat: ChatRef): Promise<void> {
    const network = this.profile.network;
    if (chat.type !== 'single') throw new ConnectorRefusal('NOTIFY_ANYWAY_UNSUPPORTED', `${network} offers Notify Anyway only in one-to-one chats, not in groups.`);
    const person = this.person(chat.participantIDs[0]);
    if (!person?.focused) {
      throw new ConnectorRefusal('RECIPIENT_NOT_FOCUSED', `${person?.fullName ?? 'The recipient'} does not have Focus on, so their notifications are not silenced; send a normal message instead.`);
    }
    this.memory.notifications = [...this.memory.notifications, { chatID: chat.id, userID: chat.participantIDs[0]!, at: this.ctx.now() }].slice(-KEEP);
    await this.remember();
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
