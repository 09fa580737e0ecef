import type { DB } from './db.ts';
import type { UserRecord } from '../records.ts';
import type { ContactKey, Direction } from '../repository.ts';
import { fold, words } from '../text.ts';
import { int, toUser, type Row } from './rows.ts';
import { keyset } from './keyset.ts';

/** Folded text a contact is found by: name, handle, phone digits, email. */
export function userSearchText(u: UserRecord): string {
  const phoneDigits = u.phoneNumber?.replace(/\D/g, '');
  return fold([u.fullName, u.username, u.phoneNumber, phoneDigits, u.email, u.id].filter(Boolean).join(' '));
}
const sortName = (u: UserRecord) => fold(u.fullName || u.username || u.phoneNumber || u.email || u.id);

export function userQueries(db: DB) {
  // Fields a connector does not know stay as they were (COALESCE), and being a
  // contact is sticky: seeing someone in a group does not drop them from contacts.
  const put = db.prepare(`INSERT INTO users (account_id, id, full_name, username, phone_number, email, img_url, cannot_message, is_self, is_contact, search_text, sort_name)
    VALUES (@accountID, @id, @fullName, @username, @phoneNumber, @email, @imgURL, @cannotMessage, @isSelf, @isContact, @searchText, @sortName)
    ON CONFLICT(account_id, id) DO UPDATE SET
      full_name = COALESCE(excluded.full_name, full_name), username = COALESCE(excluded.username, username),
      phone_number = COALESCE(excluded.phone_number, phone_number), email = COALESCE(excluded.email, email),
      img_url = COALESCE(excluded.img_url, img_url), cannot_message = excluded.cannot_message,
      is_self = max(is_self, excluded.is_self), is_contact = max(is_contact, excluded.is_contact),
      search_text = excluded.search_text, sort_name = excluded.sort_name`);
  const get = db.prepare('SELECT * FROM users WHERE account_id = ? AND id = ?');
  const putMany = db.transaction((users: UserRecord[]) => {
    for (const u of users) {
      const existing = get.get(u.accountID, u.id) as Row | undefined;
      const merged = { ...(existing ? toUser(existing) : {}), ...definedOnly(u) } as UserRecord;
      put.run({
        accountID: u.accountID,
        id: u.id,
        fullName: u.fullName ?? null,
        username: u.username ?? null,
        phoneNumber: u.phoneNumber ?? null,
        email: u.email ?? null,
        imgURL: u.imgURL ?? null,
        cannotMessage: int(u.cannotMessage),
        isSelf: int(u.isSelf),
        isContact: int(u.isContact),
        searchText: userSearchText(merged),
        sortName: sortName(merged),
      });
    }
  });

  return {
    async putUsers(users: UserRecord[]) {
      putMany(users);
    },
    async getUser(accountID: string, id: string) {
      const r = get.get(accountID, id) as Row | undefined;
      return r && toUser(r);
    },
    async findUsers(accountID: string, m: { id?: string; username?: string; phoneNumber?: string; email?: string }) {
      const conds: string[] = [];
      const params: unknown[] = [accountID];
      if (m.id) (conds.push('id = ?'), params.push(m.id));
      if (m.username) (conds.push('lower(username) = lower(?)'), params.push(m.username.replace(/^@/, '')), conds.push('lower(username) = lower(?)'), params.push(m.username));
      if (m.phoneNumber) (conds.push("replace(replace(replace(replace(phone_number,'+',''),' ',''),'-',''),'(','') = ?"), params.push(m.phoneNumber.replace(/\D/g, '')));
      if (m.email) (conds.push('lower(email) = lower(?)'), params.push(m.email));
      if (!conds.length) return [];
      const rows = db.prepare(`SELECT * FROM users WHERE account_id = ? AND (${conds.join(' OR ')}) AND is_self = 0`).all(...params) as Row[];
      return rows.map(toUser);
    },
    async listContacts(accountID: string, q: { text?: string; cursor?: ContactKey; direction: Direction; limit: number }) {
      const ks = keyset(['sort_name', 'id'], q.cursor && [q.cursor.sortName, q.cursor.id], q.direction, false);
      const conds = ['account_id = ?', 'is_contact = 1', 'is_self = 0'];
      const params: unknown[] = [accountID];
      for (const w of words(q.text)) (conds.push('instr(search_text, ?) > 0'), params.push(w));
      if (ks.where) conds.push(ks.where);
      const rows = db
        .prepare(`SELECT * FROM users WHERE ${conds.join(' AND ')} ORDER BY ${ks.order} LIMIT ?`)
        .all(...params, ...ks.params, q.limit + 1) as Row[];
      const page = ks.finish(rows, q.limit);
      return { hasMore: page.hasMore, items: page.items.map((r) => ({ ...toUser(r), sortName: r.sort_name as string })) };
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
