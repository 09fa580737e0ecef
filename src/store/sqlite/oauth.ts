import type { DB } from './db.ts';
import type { OAuthClientRecord, OAuthCodeRecord } from '../records.ts';
import { parse, type Row } from './rows.ts';

const scopes = (s: unknown) => (s as string).split(' ').filter(Boolean) as OAuthClientRecord['scopes'];

export function oauthQueries(db: DB) {
  const putClient = db.prepare(`INSERT OR REPLACE INTO oauth_clients (id, name, redirect_uris, scopes, metadata, created_at)
    VALUES (@id, @name, @redirectURIs, @scopes, @metadata, @createdAt)`);
  const getClient = db.prepare('SELECT * FROM oauth_clients WHERE id = ?');
  const putCode = db.prepare(`INSERT INTO oauth_codes (hash, client_id, redirect_uri, scopes, code_challenge, expires_at, used_at, token_id)
    VALUES (@hash, @clientID, @redirectURI, @scopes, @codeChallenge, @expiresAt, @usedAt, @tokenID)`);
  const getCode = db.prepare('SELECT * FROM oauth_codes WHERE hash = ?');
  const useCode = db.prepare('UPDATE oauth_codes SET used_at = ?, token_id = ? WHERE hash = ? AND used_at IS NULL');
  const dropExpired = db.prepare('DELETE FROM oauth_codes WHERE expires_at < ? AND used_at IS NULL');
  return {
    async putOAuthClient(c: OAuthClientRecord) {
      putClient.run({ ...c, redirectURIs: JSON.stringify(c.redirectURIs), scopes: c.scopes.join(' '), metadata: JSON.stringify(c.metadata) });
    },
    async getOAuthClient(id: string) {
      const r = getClient.get(id) as Row | undefined;
      return (
        r && {
          id: r.id as string,
          name: r.name as string,
          redirectURIs: parse<string[]>(r.redirect_uris, []),
          scopes: scopes(r.scopes),
          metadata: parse(r.metadata, {}),
          createdAt: r.created_at as number,
        }
      );
    },
    async putOAuthCode(c: OAuthCodeRecord) {
      dropExpired.run(Date.now() - 86_400_000); // unused codes are worthless a day on
      putCode.run({ ...c, scopes: c.scopes.join(' ') });
    },
    async getOAuthCode(hash: string) {
      const r = getCode.get(hash) as Row | undefined;
      return (
        r && {
          hash: r.hash as string,
          clientID: r.client_id as string,
          redirectURI: r.redirect_uri as string,
          scopes: scopes(r.scopes),
          codeChallenge: r.code_challenge as string,
          expiresAt: r.expires_at as number,
          usedAt: (r.used_at as number | null) ?? null,
          tokenID: (r.token_id as string | null) ?? null,
        }
      );
    },
    async useOAuthCode(hash: string, at: number, tokenID: string) {
      return useCode.run(at, tokenID, hash).changes > 0;
    },
  };
}
