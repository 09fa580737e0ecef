import { prepared, type DB } from './db.ts';
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

/** The stored columns that hold a connector's value as given (not a flag, not derived), with the field each comes from. */
const AS_GIVEN = [['full_name', 'fullName'], ['username', 'username'], ['phone_number', 'phoneNumber'], ['email', 'email'], ['img_url', 'imgURL']] as const;
/** The columns put writes besides the key, with the parameter each is written from. */
const STORED = [
  ...AS_GIVEN,
  ['cannot_message', 'cannotMessage'], ['is_self', 'isSelf'], ['is_contact', 'isContact'], ['search_text', 'searchText'], ['sort_name', 'sortName'],
] as const;

export function userQueries(db: DB) {
  const put = db.prepare(`INSERT OR REPLACE INTO users (account_id, id, ${STORED.map(([column]) => column).join(', ')})
    VALUES (@accountID, @id, ${STORED.map(([, key]) => `@${key}`).join(', ')})`);
  const get = db.prepare('SELECT * FROM users WHERE account_id = ? AND id = ?');
  // Fields a connector does not mention stay as they were, and being a contact
  // (or the owner) is sticky: seeing someone in a group does not drop them from contacts.
  const putMany = db.transaction((users: UserRecord[]) => {
    for (const u of users) {
      const row = get.get(u.accountID, u.id) as Row | undefined;
      // Someone seen again just as stored (every chat lists its members): nothing to write.
      if (row && seenAsStored(row, u)) continue;
      const old = row ? toUser(row) : undefined;
      const m = { ...old, ...definedOnly(u) } as UserRecord;
      const values = {
        accountID: m.accountID,
        id: m.id,
        fullName: m.fullName ?? null,
        username: m.username ?? null,
        phoneNumber: m.phoneNumber ?? null,
        email: m.email ?? null,
        imgURL: m.imgURL ?? null,
        cannotMessage: int(m.cannotMessage),
        isSelf: int(old?.isSelf || u.isSelf),
        isContact: int(old?.isContact || u.isContact),
        searchText: userSearchText(m),
        sortName: sortName(m),
      };
      put.run(values);
    }
  });
  db.function('digits', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.replace(/\D/g, '') : null));

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
      if (m.phoneNumber?.replace(/\D/g, '')) (conds.push('digits(phone_number) = ?'), params.push(m.phoneNumber.replace(/\D/g, '')));
      if (m.email) (conds.push('lower(email) = lower(?)'), params.push(m.email));
      if (!conds.length) return [];
      const rows = prepared(db, `SELECT * FROM users WHERE account_id = ? AND (${conds.join(' OR ')}) AND is_self = 0`).all(...params) as Row[];
      return rows.map(toUser);
    },
    async listContacts(accountID: string, q: { text?: string; cursor?: ContactKey; direction: Direction; limit: number }) {
      const ks = keyset(['sort_name', 'id'], q.cursor && [q.cursor.sortName, q.cursor.id], q.direction, false);
      const conds = ['account_id = ?', 'is_contact = 1', 'is_self = 0'];
      const params: unknown[] = [accountID];
      const ws = words(q.text);
      if (q.text?.trim() && !ws.length) return { hasMore: false, items: [] }; // nothing searchable in the text
      for (const w of ws) (conds.push('instr(search_text, ?) > 0'), params.push(w));
      if (ks.where) conds.push(ks.where);
      const rows = prepared(db, `SELECT * FROM users WHERE ${conds.join(' AND ')} ORDER BY ${ks.order} LIMIT ?`).all(...params, ...ks.params, q.limit + 1) as Row[];
      const page = ks.finish(rows, q.limit);
      return { hasMore: page.hasMore, items: page.items.map((r) => ({ ...toUser(r), sortName: r.sort_name as string })) };
    },
  };
}

/**
 * Whether storing `u` would change nothing: each field it gives equals the stored
 * one, and it sets no sticky flag the row lacks. The folded search columns derive
 * from those fields, so nothing needs folding to tell.
 */
function seenAsStored(row: Row, u: UserRecord): boolean {
  return (
    AS_GIVEN.every(([column, key]) => u[key] === undefined || row[column] === u[key]) &&
    (u.cannotMessage === undefined || row.cannot_message === int(u.cannotMessage)) &&
    !(u.isSelf && !row.is_self) &&
    !(u.isContact && !row.is_contact)
  );
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
