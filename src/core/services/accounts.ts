import type { AccountRecord, UserRecord } from '../../store/records.ts';
import type { Account } from '../schemas/user.ts';
import type { Core } from '../core.ts';
import { presentAccount } from '../present.ts';

export class Accounts {
  constructor(private readonly core: Core) {}

  async list(): Promise<Account[]> {
    const accounts = await this.core.repo.listAccounts();
    return Promise.all(accounts.map(async (a) => presentAccount(a, await this.core.repo.getUser(a.id, a.selfUserID))));
  }

  /** Stores a new account with its owner's profile and starts its connector. */
  async add(account: AccountRecord, self: Omit<UserRecord, 'accountID' | 'id'>, start = true): Promise<void> {
    await this.core.repo.putAccount(account);
    await this.core.repo.putUsers([{ ...self, accountID: account.id, id: account.selfUserID, isSelf: true }]);
    if (start) await this.core.startAccount(account);
  }

  /** Stops the account's connector and deletes it with its chats and messages (announced as chat.deleted). */
  async remove(accountID: string): Promise<void> {
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
