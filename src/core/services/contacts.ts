// Contacts of an account: the people the network lists as contacts, searchable
// locally, plus whatever the network itself can find by name or identifier.
import type { UserRecord } from '../../store/records.ts';
import type { ListContactsQuery } from '../schemas/inputs.ts';
import type { User } from '../schemas/user.ts';
import type { Core } from '../core.ts';
import { canResolveUsers, canSearchUsers } from '../../networks/connector.ts';
import { cursorPage, decodeCursor } from '../cursors.ts';
import { presentUser } from '../present.ts';

const SEARCH_LIMIT = 50;

export class Contacts {
  constructor(private readonly core: Core) {}

  async list(accountID: string, q: ListContactsQuery) {
    await this.core.account(accountID);
    const cursor = q.cursor ? decodeCursor('contacts', q.cursor, ['string', 'string']) : undefined;
    const page = await this.core.repo.listContacts(accountID, {
      text: q.query,
      cursor: cursor && { sortName: cursor[0], id: cursor[1] },
      direction: q.direction ?? 'before',
      limit: q.limit ?? 50,
    });
    // Contacts run A→Z: 'before' continues down the list (oldestCursor is the last row).
    return cursorPage('contacts', page, page.items.map(presentUser), (u) => [u.sortName, u.id]);
  }

  async search(accountID: string, query: string): Promise<{ items: User[] }> {
    const account = await this.core.account(accountID);
    const found = new Map<string, UserRecord>();
    const add = (users: UserRecord[]) => users.forEach((u) => found.has(u.id) || found.set(u.id, u));
    // Exact identifiers first, then contacts by name, then the network's own search.
    const q = query.trim();
    add(await this.core.repo.findUsers(account.id, { id: q, username: q, phoneNumber: /\d{5,}/.test(q) ? q : undefined, email: q.includes('@') ? q : undefined }));
    add((await this.core.repo.listContacts(account.id, { text: q, direction: 'before', limit: SEARCH_LIMIT })).items);
    const client = this.core.hasClient(account.id) ? this.core.client(account.id) : undefined;
    if (client && canSearchUsers(client)) {
      const remote = await client.searchUsers(q);
      await this.core.ingest.users(account, remote);
      add(remote.map((u) => ({ ...u, accountID: account.id })));
    } else if (client && canResolveUsers(client)) {
      const one = await client.resolveUser({ username: q, phoneNumber: q, email: q });
      if (one) add([{ ...one, accountID: account.id }]);
    }
    return { items: [...found.values()].filter((u) => u.id !== account.selfUserID).slice(0, SEARCH_LIMIT).map(presentUser) };
  }
}
