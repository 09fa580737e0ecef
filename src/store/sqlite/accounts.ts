import type { DB } from './db.ts';
import type { AccountRecord } from '../records.ts';
import { toAccount, type Row } from './rows.ts';

export function accountQueries(db: DB) {
  const list = db.prepare('SELECT * FROM accounts ORDER BY created_at, id');
  const get = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const put = db.prepare(`INSERT INTO accounts (id, connector, network, bridge_id, bridge_type, provider, host, self_user_id, config, created_at)
    VALUES (@id, @connector, @network, @bridgeId, @bridgeType, @provider, @host, @selfUserID, @config, @createdAt)
    ON CONFLICT(id) DO UPDATE SET connector=excluded.connector, network=excluded.network, bridge_id=excluded.bridge_id,
      bridge_type=excluded.bridge_type, provider=excluded.provider, host=excluded.host, self_user_id=excluded.self_user_id, config=excluded.config`);
  const del = db.prepare('DELETE FROM accounts WHERE id = ?');
  const count = db.prepare('SELECT count(*) AS n FROM accounts');
  return {
    async listAccounts() {
      return (list.all() as Row[]).map(toAccount);
    },
    async getAccount(id: string) {
      const r = get.get(id) as Row | undefined;
      return r && toAccount(r);
    },
    async putAccount(a: AccountRecord) {
      put.run({ ...a, config: JSON.stringify(a.config) });
    },
    async deleteAccount(id: string) {
      del.run(id);
    },
    async countAccounts() {
      return (count.get() as { n: number }).n;
    },
  };
}
