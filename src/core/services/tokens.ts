// Bearer tokens. Only a SHA-256 hash of each token is stored; the token itself is
// shown once, when created. SWITCHBOARD_ACCESS_TOKEN, when set, is also accepted
// with read and write (for CI and containers).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord } from '../../store/records.ts';
import type { Core } from '../core.ts';
import { opaqueID } from '../ids.ts';

export type Scope = 'read' | 'write';
export const SCOPES: Scope[] = ['read', 'write'];

export type TokenCheck =
  | { ok: true; id: string; scopes: Scope[] }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' };

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

export class Tokens {
  private readonly envHash: Buffer | undefined;

  constructor(
    private readonly core: Core,
    envToken: string | undefined = process.env.SWITCHBOARD_ACCESS_TOKEN,
  ) {
    this.envHash = envToken ? Buffer.from(hash(envToken), 'hex') : undefined;
  }

  async create(scopes: Scope[], label = '', extra: { clientID?: string; expiresAt?: number } = {}): Promise<{ token: string; record: TokenRecord }> {
    const token = `sb_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id: `tok_${opaqueID(9)}`,
      hash: hash(token),
      scopes,
      label,
      clientID: extra.clientID ?? null,
      createdAt: Date.now(),
      lastUsedAt: null,
      expiresAt: extra.expiresAt ?? null,
      revokedAt: null,
    };
    await this.core.repo.putToken(record);
    return { token, record };
  }

  list(): Promise<TokenRecord[]> {
    return this.core.repo.listTokens();
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.core.repo.revokeToken(id, Date.now())) > 0;
  }

  async check(header: string | undefined): Promise<TokenCheck> {
    if (!header) return { ok: false, reason: 'missing' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !TOKEN_SHAPE.test(m[1]!)) return { ok: false, reason: 'malformed' };
    const h = hash(m[1]!);
    // Hashing first means lookups and comparisons never touch the secret itself;
    // the environment token is compared in constant time all the same.
    if (this.envHash && timingSafeEqual(Buffer.from(h, 'hex'), this.envHash)) return { ok: true, id: 'env', scopes: [...SCOPES] };
    const record = await this.core.repo.getTokenByHash(h);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) return { ok: false, reason: 'expired' };
    return { ok: true, id: record.id, scopes: record.scopes };
  }
}
