// What simulated people do on their own after you write to them: read it, maybe
// react, type and answer. Driven by the account's seeded random stream, so the same
// seed and the same sends give the same answers.
import type { ChatRef, ConnectorContext } from '../connector.ts';
import type { SandboxProfile } from './profiles.ts';
import type { Rng } from './rng.ts';
import { generateReply } from './corpus.ts';

export class Behaviour {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly profile: SandboxProfile,
    private readonly rng: Rng,
  ) {}

  /** Runs fn after ms (real time); failures are logged, never thrown. */
  later(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((err: unknown) => this.ctx.log.warn({ err }, 'sandbox simulation step failed'));
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  answer(chat: ChatRef, remoteID: string, text: string | undefined): void {
    const other = chat.type === 'single' ? chat.participantIDs[0] : this.rng.pick(chat.participantIDs);
    if (!other) return;
    const caps = this.profile.capabilities(chat.type);
    const at = () => this.ctx.now();
    if (caps.readReceipts !== false) {
      this.later(this.rng.int(500, 2000), () => this.ctx.emit({ type: 'receipt', chatRemoteID: chat.remoteID, userID: other, upToRemoteID: remoteID, timestamp: at() }));
    }
    if (this.rng.chance(0.2) && (caps.reaction ?? 0) > 0) {
      const key = this.rng.pick(caps.allowedReactions ?? ['👍', '❤️', '😂']);
      this.later(this.rng.int(1000, 3000), () => this.ctx.emit({ type: 'reaction', chatRemoteID: chat.remoteID, targetRemoteID: remoteID, senderID: other, key, timestamp: at() }));
    }
    if (this.rng.chance(0.5)) {
      const reply = generateReply(this.rng, text);
      const typingFor = this.rng.int(1000, 3000);
      this.later(this.rng.int(1000, 3000), async () => {
        await this.ctx.emit({ type: 'typing', chatRemoteID: chat.remoteID, userID: other, typing: true });
        this.later(typingFor, async () => {
          await this.ctx.emit({ type: 'typing', chatRemoteID: chat.remoteID, userID: other, typing: false });
          await this.ctx.emit({ type: 'messages', chatRemoteID: chat.remoteID, messages: [{ remoteID: `re-${remoteID}`, senderID: other, timestamp: at(), text: reply }] });
        });
      });
    }
  }
}
