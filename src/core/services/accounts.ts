import type { AccountRecord, UserRecord } from '../../store/records.ts';
import type { Account } from '../schemas/user.ts';
import type { Core } from '../core.ts';
import { presentAccount } from '../present.ts';

/** How often a running server looks for accounts added or removed by another process (the CLI). */
export const WATCH_INTERVAL_MS = 2_000;

export class Accounts {
  private watchTimer: NodeJS.Timeout | undefined;
  private watching = false;
  private known = new Set<string>();
  /** Accounts this process added itself: it decided whether to start them. */
  private readonly local = new Set<string>();

  constructor(private readonly core: Core) {}

  /**
   * Polls the accounts table so that accounts added or removed by another process
   * (`switchboard accounts add|remove` against this data directory) start or stop
   * here without a restart.
   */
  async watch(intervalMs = WATCH_INTERVAL_MS): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    this.known = new Set((await this.core.repo.listAccounts()).map((a) => a.id));
    const tick = async () => {
      try {
        const before = new Set(this.known);
        const stored = await this.core.repo.listAccounts();
        const ids = new Set(stored.map((a) => a.id));
        const gone = [...before].filter((id) => !ids.has(id));
        for (const id of ids) this.known.add(id);
        for (const id of gone) {
          this.known.delete(id);
          this.local.delete(id);
        }
        for (const a of stored) {
          if (!this.watching || before.has(a.id) || this.local.has(a.id) || this.core.hasClient(a.id)) continue;
          this.core.log.info({ accountID: a.id, connector: a.connector }, 'account added; starting it');
          await this.core.startAccount(a);
        }
        for (const id of gone) {
          if (!this.watching || !this.core.hasClient(id)) continue;
          this.core.log.info({ accountID: id }, 'account removed; stopping it');
          await this.core.stopAccount(id);
        }
      } catch (err) {
        this.core.log.warn({ err }, 'could not check the accounts for changes');
      }
      if (this.watching) {
        this.watchTimer = setTimeout(() => void tick(), intervalMs);
        this.watchTimer.unref();
      }
    };
    this.watchTimer = setTimeout(() => void tick(), intervalMs);
    this.watchTimer.unref();
  }

  unwatch(): void {
    this.watching = false;
    clearTimeout(this.watchTimer);
  }

  /** Every account as stored (IDs, networks, configuration). */
  records(): Promise<AccountRecord[]> {
    return this.core.repo.listAccounts();
  }

  async list(): Promise<Account[]> {
    const accounts = await this.records();
    return Promise.all(accounts.map(async (a) => presentAccount(a, await this.core.repo.getUser(a.id, a.selfUserID), this.core.connectionState(a.id) ?? { state: 'offline' })));
  }

  /** Stores a new account with its owner's profile and starts its connector. */
  async add(account: AccountRecord, self: Omit<UserRecord, 'accountID' | 'id'>, start = true): Promise<void> {
    this.local.add(account.id); // this process decides whether it starts; the watch leaves it alone
    await this.core.repo.putAccount(account);
    this.known.add(account.id);
    await this.core.repo.putUsers([{ ...self, accountID: account.id, id: account.selfUserID, isSelf: true }]);
    if (start && !this.core.hasClient(account.id)) await this.core.startAccount(account);
  }

  /** Stops the account's connector and deletes it with its chats and messages (announced as chat.deleted). */
  async remove(accountID: string): Promise<void> {
    this.local.delete(accountID);
    await this.core.stopAccount(accountID);
    const chatIDs: string[] = [];
    for (let page = await this.core.repo.listChats({ accountIDs: [accountID], direction: 'before', limit: 500 }); ; ) {
      chatIDs.push(...page.items.map((c) => c.id));
      const last = page.items.at(-1);
      if (!page.hasMore || !last) break;
      page = await this.core.repo.listChats({ accountIDs: [accountID], cursor: { lastActivity: last.lastActivity, localID: last.localID }, direction: 'before', limit: 500 });
    }
    await this.core.repo.deleteAccount(accountID);
    for (const id of chatIDs) this.core.events.emit('chat.deleted', id, [id]);
  }
}
