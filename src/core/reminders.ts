// Due reminders bring their chat back: it is marked unread (and thereby shows up
// in unread filters) and the reminder is cleared.
import type { Core } from './core.ts';

const POLL_MS = 15_000;

export class Reminders {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly core: Core) {}

  start(): void {
    this.timer = setInterval(() => void this.fire(), POLL_MS);
    this.timer.unref();
    void this.fire();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checks at once, e.g. after a reminder was set in the past. */
  schedule(): void {
    void this.fire();
  }

  async fire(): Promise<number> {
    const due = await this.core.repo.dueReminders(this.core.now());
    for (const chat of due) {
      await this.core.repo.updateChatState(chat.localID, { reminder: null, isMarkedUnread: true });
      this.core.events.emit('chat.upserted', chat.id, [chat.id]);
      this.core.log.info({ chatID: chat.id }, 'reminder due: chat marked unread');
    }
    return due.length;
  }
}
