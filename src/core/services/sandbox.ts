// The sandbox control plane: turns control-API requests (chat and message IDs,
// ISO times) into simulation commands for the simulated networks, and owns the
// simulated clock and resets. Refuses accounts that are not simulated.
import type { ChatRecord } from '../../store/records.ts';
import type { Message } from '../schemas/message.ts';
import type { ClockOutput, IncomingBody, SandboxAccountOutput, ScriptedSend, StrangerBody } from '../schemas/sandbox.ts';
import type { Chat } from '../schemas/chat.ts';
import type * as z from 'zod';
import type { Core } from '../core.ts';
import { canSimulate, type ChatRef, type MessageRef, type NetworkClient, type SimulationCommand, type Simulates } from '../../networks/connector.ts';
import { badRequest, networkCall, notFound, refused } from '../errors.ts';
import { messageID } from '../ids.ts';
import { iso } from '../present.ts';

/** Creates the sandbox accounts (with their demo inbox) for a seed; supplied by the composition root. */
export type SandboxSeeder = (seed: number) => Promise<string[]>;

export class Sandbox {
  private seeder: SandboxSeeder | undefined;
  private seed = 1;

  constructor(private readonly core: Core) {}

  /** Called by the composition root, which knows how sandbox accounts are made. */
  configure(seeder: SandboxSeeder, seed: number): void {
    this.seeder = seeder;
    this.seed = seed;
  }

  private simulator(accountID: string): NetworkClient & Simulates {
    const client = this.core.client(accountID);
    if (!canSimulate(client)) throw refused('NOT_SIMULATED', `Account ${accountID} is a real network, not a sandbox account; only sandbox accounts can be scripted.`);
    return client;
  }

  private async run(accountID: string, command: SimulationCommand) {
    const simulator = this.simulator(accountID);
    return networkCall(await this.core.networkName(accountID), () => simulator.simulate(command));
  }

  private async target(chatID: string): Promise<{ chat: ChatRecord; ref: ChatRef }> {
    const chat = await this.core.chat(chatID);
    return { chat, ref: await this.core.chatRef(chat) };
  }

  private async messageRef(chat: ChatRecord, id: string): Promise<MessageRef> {
    const m = await this.core.messages.record(chat, id);
    if (!m.remoteID) throw refused('MESSAGE_PENDING', 'That message has not reached the network yet.');
    return { id: m.id, remoteID: m.remoteID, timestamp: m.timestamp, isSender: m.isSender };
  }

  private async file(a: { base64: string; fileName: string; mimeType?: string }) {
    const bytes = Buffer.from(a.base64, 'base64');
    if (a.mimeType) return { bytes, fileName: a.fileName, mimeType: a.mimeType };
    const { fileTypeFromBuffer } = await import('file-type'); // loaded on first use, as in assets.ts
    return { bytes, fileName: a.fileName, mimeType: (await fileTypeFromBuffer(bytes))?.mime ?? 'application/octet-stream' };
  }

  private requireContent(body: { text?: string; attachment?: unknown }): void {
    if (!body.text && !body.attachment) {
      throw badRequest('VALIDATION_ERROR', 'An incoming message needs text, an attachment, or both.', { issues: [{ code: 'custom', message: 'text or attachment is required', path: ['body', 'text'] }] });
    }
  }

  private async storedMessage(chat: ChatRecord, remoteID: string): Promise<Message> {
    const stored = await this.core.repo.getMessage(chat.localID, messageID(chat.id, remoteID));
    if (!stored) throw new Error('the simulated message was not stored');
    return this.core.messages.view((await this.core.repo.getChat(chat.id))!, stored);
  }

  /** A message from a simulated person arrives; answers the stored Message. */
  async incoming(chatID: string, body: IncomingBody): Promise<Message> {
    this.requireContent(body);
    const { chat, ref } = await this.target(chatID);
    const { remoteID } = await this.run(chat.accountID, {
      kind: 'incoming',
      chat: ref,
      senderID: body.senderID,
      text: body.text,
      attachment: body.attachment && (await this.file(body.attachment)),
      replyTo: body.replyToMessageID ? await this.messageRef(chat, body.replyToMessageID) : undefined,
      timestamp: body.timestamp ? Date.parse(body.timestamp) : undefined,
    });
    return this.storedMessage(chat, remoteID!);
  }

  /** Someone outside the user's contacts writes first: answers the new chat (a message request where the network has them) and the message. */
  async stranger(accountID: string, body: StrangerBody): Promise<{ chat: Chat; message: Message }> {
    this.requireContent(body);
    const account = await this.core.account(accountID);
    const { remoteID, chatRemoteID } = await this.run(accountID, {
      kind: 'stranger',
      fullName: body.fullName,
      text: body.text,
      attachment: body.attachment && (await this.file(body.attachment)),
    });
    const chat = await this.core.repo.getChatByRemoteID(account.id, chatRemoteID!);
    if (!chat) throw new Error('the simulated chat was not stored');
    return { chat: await this.core.chats.view(chat), message: await this.storedMessage(chat, remoteID!) };
  }

  /** The user accepts a message request with the network's own button; answers the chat. */
  async accept(chatID: string): Promise<Chat> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'accept', chat: ref });
    return this.core.chats.get(chat.id, undefined);
  }

  async reaction(chatID: string, body: { messageID: string; reactionKey: string; senderID?: string; remove?: boolean }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'reaction', chat: ref, target: await this.messageRef(chat, body.messageID), senderID: body.senderID, key: body.reactionKey, removed: body.remove });
  }

  async edit(chatID: string, body: { messageID: string; text: string }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'edit', chat: ref, target: await this.messageRef(chat, body.messageID), text: body.text });
  }

  async remove(chatID: string, body: { messageID: string }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'delete', chat: ref, target: await this.messageRef(chat, body.messageID) });
  }

  async receipt(chatID: string, body: { userID?: string; messageID?: string }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    const latest = body.messageID ? undefined : (await this.core.repo.latestMessages([chat.localID])).get(chat.localID);
    const upTo = body.messageID ? await this.messageRef(chat, body.messageID) : latest?.remoteID ? { id: latest.id, remoteID: latest.remoteID, timestamp: latest.timestamp, isSender: latest.isSender } : undefined;
    await this.run(chat.accountID, { kind: 'receipt', chat: ref, userID: body.userID, upTo });
  }

  async typing(chatID: string, body: { userID?: string }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'typing', chat: ref, userID: body.userID });
  }

  async membership(chatID: string, body: { userID: string; action: 'join' | 'leave' }): Promise<void> {
    const { chat, ref } = await this.target(chatID);
    await this.run(chat.accountID, { kind: 'membership', chat: ref, userID: body.userID, action: body.action });
  }

  async focus(accountID: string, userID: string, focused: boolean): Promise<void> {
    await this.core.account(accountID);
    await this.run(accountID, { kind: 'focus', userID, focused });
  }

  async script(accountID: string, sends: z.infer<typeof ScriptedSend>[]): Promise<SandboxAccountOutput> {
    await this.core.account(accountID);
    await this.run(accountID, { kind: 'script', sends });
    return this.account(accountID);
  }

  async online(accountID: string, online: boolean): Promise<void> {
    await this.core.account(accountID);
    await this.run(accountID, { kind: 'online', online });
  }

  async account(accountID: string): Promise<SandboxAccountOutput> {
    const account = await this.core.account(accountID);
    const { state } = await this.run(accountID, { kind: 'inspect' });
    const s = state!;
    const chats = new Map<string, string | null>();
    const chatOf = async (remoteID: string) => {
      if (!chats.has(remoteID)) chats.set(remoteID, (await this.core.repo.getChatByRemoteID(account.id, remoteID))?.id ?? null);
      return chats.get(remoteID)!;
    };
    const deliveries = [];
    for (const d of s.deliveries) {
      const chatID = await chatOf(d.chatRemoteID);
      deliveries.push({ chatID, messageID: chatID ? messageID(chatID, d.remoteID) : null, transactionID: d.transactionID, ...(d.text !== undefined ? { text: d.text } : {}), at: iso(d.at) });
    }
    return {
      accountID: account.id,
      network: account.network,
      online: s.online,
      scriptedSends: s.scriptedSends,
      people: s.people,
      deliveries,
      notifications: s.notifications.map((n) => ({ ...n, at: iso(n.at) })),
    };
  }

  /**
   * Fills the store with a generated corpus, spread over the sandbox accounts:
   * chats and messages are split evenly, each account's share with power-law sizes.
   */
  async generate(opts: { chats: number; messages: number; seed: number; onProgress?: (done: number, total: number) => void }) {
    const accounts = (await this.core.repo.listAccounts()).filter((a) => a.connector === 'sandbox' && this.core.hasClient(a.id));
    if (!accounts.length) throw refused('NO_SANDBOX_ACCOUNTS', 'There is no running sandbox account to generate into; start without --no-sandbox.');
    // One bulk load: the writes between two progress reports (the chats and read
    // markers around a batch of messages, which commits on its own) are one commit
    // instead of a few per chat.
    return this.core.repo.bulkLoad(async (commit) => {
      const totals = { chats: 0, messages: 0, people: 0 };
      let before = 0;
      for (const [i, a] of accounts.entries()) {
        const share = (n: number) => Math.floor(n / accounts.length) + (i < n % accounts.length ? 1 : 0);
        const chats = share(opts.chats);
        const messages = Math.max(chats, share(opts.messages));
        if (!chats) continue;
        const onProgress = (done: number) => {
          commit();
          opts.onProgress?.(before + done, opts.messages);
        };
        const { generated } = await this.run(a.id, { kind: 'generate', chats, messages, seed: opts.seed, onProgress });
        totals.chats += generated!.chats;
        totals.messages += generated!.messages;
        totals.people += generated!.people;
        before = totals.messages;
      }
      await this.core.events.flushed();
      return totals;
    });
  }

  clockState(): z.infer<typeof ClockOutput> {
    const c = this.core.clock.state();
    return { now: iso(c.now), frozen: c.frozen, offsetSeconds: Math.round(c.offsetMs / 1000) };
  }

  clock(body: { advanceSeconds?: number; freeze?: boolean; reset?: boolean }): z.infer<typeof ClockOutput> {
    const clock = this.core.clock;
    if (body.reset) clock.reset();
    if (body.freeze === true) clock.freeze();
    if (body.freeze === false) clock.resume();
    if (body.advanceSeconds) clock.advance(body.advanceSeconds * 1000);
    return this.clockState();
  }

  /** Removes every sandbox account with its chats, resets the clock, and seeds anew. */
  async reset(seed?: number): Promise<{ accounts: string[]; seed: number }> {
    if (!this.seeder) throw notFound('SANDBOX_DISABLED', 'This server was started without the sandbox.');
    for (const a of await this.core.repo.listAccounts()) if (a.connector === 'sandbox') await this.core.accounts.remove(a.id);
    this.core.clock.reset();
    this.seed = seed ?? this.seed;
    return { accounts: await this.seeder(this.seed), seed: this.seed };
  }
}
