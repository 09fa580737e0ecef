// Time-driven work: reminders that come due bring their chat back (marked unread,
// reminder cleared), and disappearing messages whose timer ran out are deleted.
// Checked periodically and at once whenever the clock jumps (sandbox simulation).
import type { Core } from './core.ts';

const POLL_MS = 15_000;

export class DueWork {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly core: Core) {}

  start(): void {
    this.timer = setInterval(() => this.check(), POLL_MS);
    this.timer.unref();
    this.unlisten = this.core.clock.onChange(() => this.check());
    this.check();
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.unlisten?.();
    return this.running;
  }

  /** Runs a check now (after whatever check is already running). */
  check(): Promise<void> {
    this.running = this.running.then(() => this.fire()).catch((err: unknown) => this.core.log.error({ err }, 'due work failed'));
    return this.running;
  }

  private async fire(): Promise<void> {
    const now = this.core.now();
    for (const chat of await this.core.repo.dueReminders(now)) {
      await this.core.repo.updateChatState(chat.localID, { reminder: null, isMarkedUnread: true });
      this.core.events.emit('chat.upserted', chat.id, [chat.id]);
      this.core.log.info({ chatID: chat.id }, 'reminder due: chat marked unread');
    }
    for (const { chatID, ids } of await this.core.repo.expireMessages(now)) {
      const chat = await this.core.repo.getChat(chatID);
      if (chat) await this.core.repo.setReadMarker(chat.localID, chat.lastReadSortKey ?? 0); // recount what is still unread
      this.core.events.emit('message.deleted', chatID, ids);
      this.core.events.emit('chat.upserted', chatID, [chatID]);
    }
  }
}
