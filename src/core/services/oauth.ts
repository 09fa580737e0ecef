// OAuth 2.0 authorization code flow with PKCE (S256) for third-party apps:
// dynamic registration of public clients (RFC 7591), authorization codes,
// the code-for-token exchange (RFC 6749 §4.1, RFC 7636), introspection
// (RFC 7662) and revocation (RFC 7009). Access tokens are ordinary Switchboard
// tokens (see tokens.ts), tied to the client and expiring after a week; there
// are no refresh tokens. HTTP and HTML live in src/api/oauth.ts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JsonObject, OAuthClientRecord, OAuthCodeRecord, TokenRecord } from '../../store/records.ts';
import type { Core } from '../core.ts';
import { opaqueID } from '../ids.ts';
import { SCOPES, type Scope } from './tokens.ts';

/** Lifetime of an access token issued through OAuth (seconds). */
export const ACCESS_TOKEN_TTL_S = 7 * 24 * 3600;
/** Lifetime of an authorization code (ms). */
export const CODE_TTL_MS = 60_000;
/** The one local user every token acts for (the `sub` of introspection and userinfo). */
export const LOCAL_SUBJECT = 'switchboard-local-user';
export const LOCAL_USER_NAME = 'Switchboard user';
export const DEFAULT_CLIENT_NAME = 'Unnamed app';

/** An error an OAuth endpoint reports as `{error, error_description}` (RFC 6749 §5.2, RFC 7591 §3.2.2). */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

// ---- pure checks --------------------------------------------------------

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
const PKCE_SHAPE = /^[A-Za-z0-9\-._~]{43,128}$/;
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** A code_challenge or code_verifier: 43 to 128 unreserved characters (RFC 7636 §4.1–4.2). */
export function isPkceString(value: unknown): value is string {
  return typeof value === 'string' && PKCE_SHAPE.test(value);
}

/** The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Whether a verifier matches a stored S256 challenge (compared in constant time). */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const a = Buffer.from(s256(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Why a redirect URI cannot be registered, or null when it can: https anywhere,
 * http only on the loopback (any port, RFC 8252 §7.3), or a private-use scheme
 * in reverse-domain form such as `com.example.app:/cb` (RFC 8252 §7.1). Never
 * with a fragment or credentials.
 */
export function redirectURIProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || !uri) return 'a redirect URI must be a non-empty string';
  if (uri.length > 2000) return 'a redirect URI may be at most 2000 characters long';
  if (uri.includes('#')) return `"${uri}" has a fragment; redirect URIs may not`;
  if (/[\s<>"\\^`{|}]/.test(uri)) return `"${uri}" contains characters a URI may not`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri}" is not an absolute URI`;
  }
  if (url.username || url.password) return `"${uri}" carries credentials; redirect URIs may not`;
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.hostname ? null : `"${uri}" has no host`;
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.includes(url.hostname) ? null : `"${uri}" uses http on a host other than localhost, 127.0.0.1 or [::1]; use https`;
  }
  // Private-use schemes are named after a domain the app owns, so they contain a dot;
  // that also rules out javascript:, data:, file: and friends.
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
  return `"${uri}" uses the scheme "${scheme}:"; use https, http on the loopback, or a private-use scheme in reverse-domain form (com.example.app:/callback)`;
}

/** Parses a space-separated scope string; null when it names an unknown scope or none at all. */
export function parseScope(value: string): Scope[] | null {
  const words = value.split(' ').filter(Boolean);
  if (!words.length || words.some((w) => !SCOPES.includes(w as Scope))) return null;
  return SCOPES.filter((s) => words.includes(s));
}

export const scopeString = (scopes: readonly Scope[]) => SCOPES.filter((s) => scopes.includes(s)).join(' ');

// ---- shapes --------------------------------------------------------------

export interface RegisteredClient {
  client_id: string;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  scope: string;
  grant_types: ['authorization_code'];
  response_types: ['code'];
  token_endpoint_auth_method: 'none';
  [extra: string]: unknown;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type Introspection =
  | { active: false }
  | { active: true; scope: string; client_id?: string; token_type: 'Bearer'; exp?: number; iat?: number; sub: string };

/** The parameters of an authorization request, as received (strings, or undefined when absent or repeated). */
export interface AuthorizationParams {
  client_id?: string;
  redirect_uri?: string;
  response_type?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  scope?: string;
  state?: string;
}

export type AuthorizationCheck =
  /** The client or redirect URI is unknown: tell the user, never redirect. */
  | { kind: 'fatal'; description: string }
  /** The request is bad, but the redirect URI is trusted: send the error back there. */
  | { kind: 'redirect'; redirectURI: string; error: string; description: string; state?: string }
  | { kind: 'ok'; client: OAuthClientRecord; redirectURI: string; scopes: Scope[]; codeChallenge: string; state?: string };

/** Optional RFC 7591 metadata kept as sent (strings only) and returned on registration. */
const EXTRA_METADATA = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'software_id', 'software_version'] as const;

const asList = (v: unknown): unknown[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

export class OAuth {
  constructor(readonly core: Core) {}

  // ---- registration ------------------------------------------------------

  /** Registers a public client (RFC 7591). `body` is the request as parsed, JSON or form. */
  async register(body: unknown): Promise<RegisteredClient> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OAuthError('invalid_client_metadata', 'The registration request must be a JSON object (or a form).');
    const input = body as Record<string, unknown>;
    const meta = (description: string) => new OAuthError('invalid_client_metadata', description);

    const uris = asList(input.redirect_uris);
    if (!uris || !uris.length) throw new OAuthError('invalid_redirect_uri', 'redirect_uris is required: a non-empty array of redirect URIs.');
    if (uris.length > 20) throw new OAuthError('invalid_redirect_uri', 'At most 20 redirect URIs can be registered.');
    for (const uri of uris) {
      const problem = redirectURIProblem(uri);
      if (problem) throw new OAuthError('invalid_redirect_uri', `Invalid redirect URI: ${problem}.`);
    }
    const redirectURIs = [...new Set(uris as string[])];

    let name = DEFAULT_CLIENT_NAME;
    if (input.client_name !== undefined) {
      if (typeof input.client_name !== 'string') throw meta('client_name must be a string.');
      const cleaned = input.client_name.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim();
      if (cleaned.length > 100) throw meta('client_name may be at most 100 characters long.');
      if (cleaned) name = cleaned;
    }

    let scopes: Scope[] = [...SCOPES];
    if (input.scope !== undefined) {
      const parsed = typeof input.scope === 'string' ? parseScope(input.scope) : null;
      if (!parsed) throw meta(`scope must be a space-separated subset of "${SCOPES.join(' ')}".`);
      scopes = parsed;
    }

    if (input.token_endpoint_auth_method !== undefined && input.token_endpoint_auth_method !== 'none') {
      throw meta('Only public clients can register: token_endpoint_auth_method must be "none".');
    }
    const grantTypes = asList(input.grant_types);
    // Clients often ask for refresh_token too; RFC 7591 lets the server register less
    // than asked: the answer lists authorization_code only, as there are no refresh tokens.
    if (grantTypes && grantTypes.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
      throw meta('grant_types may only contain "authorization_code" (and "refresh_token", which is registered as authorization_code only: there are no refresh tokens).');
    }
    const responseTypes = asList(input.response_types);
    if (responseTypes && responseTypes.some((r) => r !== 'code')) throw meta('response_types may only contain "code".');

    const extra: JsonObject = {};
    for (const key of EXTRA_METADATA) {
      const v = input[key];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v.length > 2000) throw meta(`${key} must be a string of at most 2000 characters.`);
      extra[key] = v;
    }

    const now = Date.now();
    const record: OAuthClientRecord = {
      id: `sbc_${opaqueID(16)}`,
      name,
      redirectURIs,
      scopes,
      metadata: { ...extra, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' },
      createdAt: now,
    };
    await this.core.repo.putOAuthClient(record);
    return {
      client_id: record.id,
      client_id_issued_at: Math.floor(now / 1000),
      client_name: name,
      redirect_uris: redirectURIs,
      scope: scopeString(scopes),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...extra,
    };
  }

  client(id: string): Promise<OAuthClientRecord | undefined> {
    return this.core.repo.getOAuthClient(id);
  }

  // ---- authorization -----------------------------------------------------

  /**
   * Checks an authorization request (RFC 6749 §4.1.1 with PKCE). The client and
   * redirect URI come first: until both are known good, nothing may be sent to
   * the redirect URI.
   */
  async checkAuthorization(p: AuthorizationParams): Promise<AuthorizationCheck> {
    if (!p.client_id) return { kind: 'fatal', description: 'The request has no client_id (or more than one).' };
    const client = await this.client(p.client_id);
    if (!client) return { kind: 'fatal', description: 'No app is registered with this client_id. The app has to register again.' };
    let redirectURI: string;
    if (p.redirect_uri !== undefined) {
      if (!client.redirectURIs.includes(p.redirect_uri)) return { kind: 'fatal', description: 'The redirect_uri is not one the app registered.' };
      redirectURI = p.redirect_uri;
    } else if (client.redirectURIs.length === 1) {
      redirectURI = client.redirectURIs[0]!;
    } else {
      return { kind: 'fatal', description: 'The request has no redirect_uri, and the app registered more than one.' };
    }

    const fail = (error: string, description: string): AuthorizationCheck => ({ kind: 'redirect', redirectURI, error, description, state: p.state });
    if (p.response_type === undefined) return fail('invalid_request', 'response_type is required (and must be "code").');
    if (p.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
    if (p.code_challenge_method === undefined) return fail('invalid_request', 'PKCE is required: send code_challenge_method=S256 with a code_challenge.');
    if (p.code_challenge_method !== 'S256') return fail('invalid_request', `code_challenge_method "${p.code_challenge_method}" is not supported; only S256 is.`);
    if (p.code_challenge === undefined) return fail('invalid_request', 'PKCE is required: code_challenge is missing.');
    if (!isPkceString(p.code_challenge)) return fail('invalid_request', 'code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_" and "~".');

    let scopes = client.scopes;
    if (p.scope !== undefined) {
      const parsed = parseScope(p.scope);
      if (!parsed) return fail('invalid_scope', `scope must be a space-separated subset of "${SCOPES.join(' ')}".`);
      const extra = parsed.filter((s) => !client.scopes.includes(s));
      if (extra.length) return fail('invalid_scope', `The app registered for "${scopeString(client.scopes)}" only, not "${extra.join(' ')}".`);
      scopes = parsed;
    }
    return { kind: 'ok', client, redirectURI, scopes, codeChallenge: p.code_challenge, state: p.state };
  }

  /** Issues a single-use authorization code after the user approved; only its hash is stored. */
  async issueCode(grant: { clientID: string; redirectURI: string; scopes: Scope[]; codeChallenge: string }): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const record: OAuthCodeRecord = {
      hash: sha256hex(code),
      clientID: grant.clientID,
      redirectURI: grant.redirectURI,
      scopes: grant.scopes,
      codeChallenge: grant.codeChallenge,
      expiresAt: Date.now() + CODE_TTL_MS,
      usedAt: null,
      tokenID: null,
    };
    await this.core.repo.putOAuthCode(record);
    return code;
  }

  // ---- token endpoint ----------------------------------------------------

  /** Exchanges an authorization code for an access token (RFC 6749 §4.1.3, RFC 7636 §4.5). */
  async exchange(p: { grant_type?: string; code?: string; redirect_uri?: string; client_id?: string; code_verifier?: string }): Promise<TokenResponse> {
    if (p.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required (authorization_code).');
    if (p.grant_type !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'Only grant_type=authorization_code is supported; there are no refresh tokens.');
    if (!p.client_id) throw new OAuthError('invalid_request', 'client_id is required.');
    if (!p.code) throw new OAuthError('invalid_request', 'code is required.');
    if (p.code_verifier === undefined) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE).');
    if (!isPkceString(p.code_verifier)) throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_" and "~".');

    const client = await this.client(p.client_id);
    if (!client) throw new OAuthError('invalid_client', 'No app is registered with this client_id.');
    const redirectURI = p.redirect_uri ?? (client.redirectURIs.length === 1 ? client.redirectURIs[0] : undefined);
    if (redirectURI === undefined) throw new OAuthError('invalid_request', 'redirect_uri is required.');

    const hash = sha256hex(p.code);
    const code = await this.core.repo.getOAuthCode(hash);
    if (!code) throw new OAuthError('invalid_grant', 'The authorization code is not valid.');
    if (code.usedAt !== null) {
      // A code presented twice may have been stolen: the token it bought goes too (RFC 6749 §4.1.2).
      if (code.tokenID) await this.core.tokens.revoke(code.tokenID);
      throw new OAuthError('invalid_grant', 'The authorization code was already used; the token issued for it has been revoked.');
    }
    if (code.expiresAt <= Date.now()) throw new OAuthError('invalid_grant', 'The authorization code has expired; ask the user again.');
    if (code.clientID !== client.id) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client.');
    if (code.redirectURI !== redirectURI) throw new OAuthError('invalid_grant', 'redirect_uri does not match the one of the authorization request.');
    if (!verifierMatches(p.code_verifier, code.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (S256).');

    const { token, record } = await this.core.tokens.create(code.scopes, `OAuth: ${client.name}`, { clientID: client.id, expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000 });
    if (!(await this.core.repo.useOAuthCode(hash, Date.now(), record.id))) {
      // Another exchange of the same code won the race: neither token survives.
      await this.core.tokens.revoke(record.id);
      const winner = await this.core.repo.getOAuthCode(hash);
      if (winner?.tokenID) await this.core.tokens.revoke(winner.tokenID);
      throw new OAuthError('invalid_grant', 'The authorization code was already used; the token issued for it has been revoked.');
    }
    return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_S, scope: scopeString(code.scopes) };
  }

  // ---- introspection and revocation --------------------------------------

  /** The stored record of a token that is valid now (undefined for the environment token). */
  private async validToken(token: string): Promise<{ ok: false } | { ok: true; scopes: Scope[]; record?: TokenRecord }> {
    const check = await this.core.tokens.check(`Bearer ${token}`);
    if (!check.ok) return { ok: false };
    if (check.id === 'env') return { ok: true, scopes: check.scopes };
    return { ok: true, scopes: check.scopes, record: await this.core.repo.getTokenByHash(sha256hex(token)) };
  }

  /** RFC 7662: whether a token is active, and what it may do. */
  async introspect(token: string): Promise<Introspection> {
    const t = await this.validToken(token);
    if (!t.ok) return { active: false };
    const r = t.record;
    return {
      active: true,
      scope: scopeString(t.scopes),
      ...(r?.clientID ? { client_id: r.clientID } : {}),
      token_type: 'Bearer',
      ...(r?.expiresAt ? { exp: Math.floor(r.expiresAt / 1000) } : {}),
      ...(r ? { iat: Math.floor(r.createdAt / 1000) } : {}),
      sub: LOCAL_SUBJECT,
    };
  }

  /** What the userinfo endpoint says about the holder of a (valid) token. */
  async userinfo(token: string): Promise<{ sub: string; name: string; scope: string; client_id?: string }> {
    const t = await this.validToken(token);
    const scope = t.ok ? scopeString(t.scopes) : '';
    return { sub: LOCAL_SUBJECT, name: LOCAL_USER_NAME, scope, ...(t.ok && t.record?.clientID ? { client_id: t.record.clientID } : {}) };
  }

  /** RFC 7009: revokes a token if it exists; unknown tokens are not an error. */
  async revoke(token: string): Promise<void> {
    const record = await this.core.repo.getTokenByHash(sha256hex(token));
    if (record && record.revokedAt === null) await this.core.tokens.revoke(record.id);
  }
}
