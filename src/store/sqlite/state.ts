import type { DB } from './db.ts';
import type { Json } from '../records.ts';

export function stateQueries(db: DB) {
  const get = db.prepare('SELECT value FROM connector_state WHERE account_id = ? AND key = ?');
  const set = db.prepare(`INSERT INTO connector_state (account_id, key, value) VALUES (?, ?, ?)
    ON CONFLICT(account_id, key) DO UPDATE SET value = excluded.value`);
  return {
    async getState(accountID: string, key: string) {
      const r = get.get(accountID, key) as { value: string } | undefined;
      return r ? (JSON.parse(r.value) as Json) : undefined;
    },
    async setState(accountID: string, key: string, value: Json) {
      set.run(accountID, key, JSON.stringify(value));
    },
  };
}
