import type { DB } from './db.ts';
import type { TokenRecord } from '../records.ts';
import type { Row } from './rows.ts';

function toToken(r: Row): TokenRecord {
  return {
    id: r.id as string,
    hash: r.hash as string,
    scopes: (r.scopes as string).split(' ').filter(Boolean) as TokenRecord['scopes'],
    label: r.label as string,
    clientID: (r.client_id as string | null) ?? null,
    createdAt: r.created_at as number,
    lastUsedAt: (r.last_used_at as number | null) ?? null,
    expiresAt: (r.expires_at as number | null) ?? null,
    revokedAt: (r.revoked_at as number | null) ?? null,
  };
}

export function tokenQueries(db: DB) {
  const put = db.prepare(`INSERT INTO tokens (id, hash, scopes, label, client_id, created_at, last_used_at, expires_at, revoked_at)
    VALUES (@id, @hash, @scopes, @label, @clientID, @createdAt, @lastUsedAt, @expiresAt, @revokedAt)`);
  const byHash = db.prepare('SELECT * FROM tokens WHERE hash = ?');
  const list = db.prepare('SELECT * FROM tokens ORDER BY created_at, id');
  const revoke = db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const touch = db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?');
  const count = db.prepare('SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL');
  return {
    async putToken(t: TokenRecord) {
      put.run({ ...t, scopes: t.scopes.join(' ') });
    },
    async getTokenByHash(hash: string) {
      const r = byHash.get(hash) as Row | undefined;
      return r && toToken(r);
    },
    async listTokens() {
      return (list.all() as Row[]).map(toToken);
    },
    async revokeToken(id: string, at: number) {
      return revoke.run(at, id).changes;
    },
    async touchToken(id: string, at: number) {
      touch.run(at, id);
    },
    async countTokens() {
      return (count.get() as { n: number }).n;
    },
  };
}
