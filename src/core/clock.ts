// Core's sense of time. Normally the wall clock; the sandbox simulator may move it
// forward or stop it, so that edit windows, reminders and disappearing messages can
// be tested without waiting. Security clocks (token and code expiry) never use it.

export interface ClockState {
  now: number;
  frozen: boolean;
  offsetMs: number;
}

export class Clock {
  private offset = 0;
  private frozenAt: number | undefined;
  private readonly listeners = new Set<() => void>();

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset;
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offset += ms;
    this.changed();
  }

  /** Stops time where it is (until resume). */
  freeze(): void {
    this.frozenAt ??= this.now();
    this.changed();
  }

  /** Lets time run again from where it stands. */
  resume(): void {
    if (this.frozenAt === undefined) return;
    this.offset = this.frozenAt - Date.now();
    this.frozenAt = undefined;
    this.changed();
  }

  /** Back to the wall clock. */
  reset(): void {
    this.offset = 0;
    this.frozenAt = undefined;
    this.changed();
  }

  state(): ClockState {
    return { now: this.now(), frozen: this.frozenAt !== undefined, offsetMs: this.frozenAt !== undefined ? this.frozenAt - Date.now() : this.offset };
  }

  /** Called after every jump, so time-driven work (reminders, expiry) can catch up at once. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
