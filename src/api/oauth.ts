// OAuth 2.0 over HTTP: discovery (RFC 8414), dynamic registration (RFC 7591),
// the authorization endpoint with its consent page, the token endpoint
// (RFC 6749 + PKCE, RFC 7636), introspection (RFC 7662), revocation (RFC 7009)
// and userinfo. These are not /v1 routes: they answer in the RFCs' shapes
// (`{error, error_description}`), with the project's `message` and `code`
// added so the usual error envelope holds as well. The logic lives in
// core/services/oauth.ts; this file is the HTTP glue.
//
// Approving an app needs a session, so that a page elsewhere cannot approve
// itself: a browser on this machine gets one when it opens the consent page; a
// browser elsewhere (with --remote) signs in with an existing write token first.
// The consent form carries a CSRF token bound to that session.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type { Core } from '../core/core.ts';
import { ApiError } from '../core/errors.ts';
import { OAuthError, scopeString, type AuthorizationParams } from '../core/services/oauth.ts';
import { SCOPES } from '../core/services/tokens.ts';
import { errorHandler } from './errors.ts';
import { consentPage, errorPage, signInPage } from './oauth-page.ts';
import { authenticate, checkHost, type AuthFailureLimiter, type HostPolicy } from './security.ts';

export interface OAuthDeps {
  core: Core;
  baseURL: () => string;
  limiter: AuthFailureLimiter;
  hostPolicy: HostPolicy;
}

const SESSION_COOKIE = 'sb_session';
const SESSION_TTL_MS = 10 * 60_000;
const LOOPBACK_IPS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
const AUTHORIZE_PARAMS = ['client_id', 'redirect_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'scope', 'state'] as const;
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Short-lived approval sessions, in memory only: a restart signs everyone out. */
class Sessions {
  private readonly live = new Map<string, { csrf: string; expiresAt: number }>();

  create(): { id: string; csrf: string } {
    const now = Date.now();
    for (const [id, s] of this.live) if (s.expiresAt <= now) this.live.delete(id);
    if (this.live.size >= 1000) this.live.delete(this.live.keys().next().value!); // oldest first
    const session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url') };
    this.live.set(session.id, { csrf: session.csrf, expiresAt: now + SESSION_TTL_MS });
    return session;
  }

  get(id: string | undefined): { id: string; csrf: string } | undefined {
    const s = id ? this.live.get(id) : undefined;
    if (!s || s.expiresAt <= Date.now()) return undefined;
    return { id: id!, csrf: s.csrf };
  }
}

// ---- small helpers ------------------------------------------------------

type Fields = Record<string, unknown>;

/** The named parameters that came as one string each, and the names that came more than once. */
function readParams<K extends string>(source: unknown, names: readonly K[]): { values: Partial<Record<K, string>>; repeated: K[]; invalid: K[] } {
  const input = (source && typeof source === 'object' && !Array.isArray(source) ? source : {}) as Fields;
  const values: Partial<Record<K, string>> = {};
  const repeated: K[] = [];
  const invalid: K[] = [];
  for (const name of names) {
    const v = input[name];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') values[name] = v;
    else if (Array.isArray(v)) repeated.push(name);
    else invalid.push(name);
  }
  return { values, repeated, invalid };
}

const isObjectBody = (body: unknown) => body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body));

function sendOAuthError(reply: FastifyReply, status: number, error: string, description: string, extra: Fields = {}): FastifyReply {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json')
    .send({ error, error_description: description, message: description, code: error.toUpperCase(), ...extra });
}

/** The limiter's 429, in the RFC shape; other errors are thrown on. */
function sendLimited(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof ApiError) || err.status !== 429) throw err;
  const retryAfter = (err.details as { retryAfter?: number } | undefined)?.retryAfter ?? 60;
  reply.header('retry-after', String(retryAfter));
  return sendOAuthError(reply, 429, 'slow_down', err.message, { details: { retryAfter } });
}

function sendPage(reply: FastifyReply, status: number, html: string, formTargets: string[] = []): FastifyReply {
  const csp = formTargets.length ? PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${formTargets.join(' ')}`) : PAGE_CSP;
  return reply
    .status(status)
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'same-origin') // not no-referrer: that makes browsers send "Origin: null" with the form
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .send(html);
}

/**
 * Where the consent form may be sent on: the redirect URI's origin (or scheme,
 * for app URIs). Browsers apply form-action to the redirect that follows the
 * form's POST, so 'self' alone would block the way back to the app.
 */
function formTarget(redirectURI: string): string {
  const url = new URL(redirectURI);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

/** How the consent page names where the user goes back to. */
function redirectHost(redirectURI: string): string {
  const url = new URL(redirectURI);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : `the app behind ${url.protocol}`;
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A browser on this machine: the connection comes from the loopback and no
 * proxy says it forwarded it for someone else.
 */
function isLocalBrowser(request: FastifyRequest): boolean {
  const h = request.headers;
  return LOOPBACK_IPS.includes(request.ip) && !h['x-forwarded-for'] && !h.forwarded && !h['x-real-ip'];
}

// ---- the routes ----------------------------------------------------------

/** Where the OAuth endpoints are, for discovery documents (RFC 8414 metadata, /v1/info). */
export function oauthEndpoints(base: string) {
  return {
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    introspection_endpoint: `${base}/oauth/introspect`,
    userinfo_endpoint: `${base}/oauth/userinfo`,
    revocation_endpoint: `${base}/oauth/revoke`,
    registration_endpoint: `${base}/oauth/register`,
  };
}

export function registerOAuth(app: FastifyInstance, deps: OAuthDeps): void {
  const { core, baseURL, limiter, hostPolicy } = deps;
  const sessions = new Sessions();

  /** An Origin header, when sent, must be this server (the Host the browser addressed, itself allowed). */
  const sameOrigin = (request: FastifyRequest): boolean => {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes "null" (sandboxed frames, some redirects)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (url.host === new URL(baseURL()).host) return true;
    if (url.host !== (request.headers.host ?? '').toLowerCase()) return false;
    try {
      checkHost(hostPolicy, url.host);
      return true;
    } catch {
      return false;
    }
  };

  const setSessionCookie = (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=/oauth; Max-Age=${SESSION_TTL_MS / 1000}; HttpOnly; SameSite=Strict${secure}`);
  };

  const tokenFrom = (authorization: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';

  void app.register(async (scope) => {
    await scope.register(formbody);

    // Unreadable bodies (bad JSON, other content types, too large) in the RFC shape;
    // anything else (the Host check, say) in the project's envelope.
    scope.setErrorHandler(function (err: FastifyError | Error, request, reply) {
      const fe = err as FastifyError;
      if (!(err instanceof ApiError) && typeof fe.code === 'string' && fe.code.startsWith('FST_') && fe.statusCode && fe.statusCode < 500) {
        const status = [413, 415].includes(fe.statusCode) ? fe.statusCode : 400;
        return sendOAuthError(reply, status, 'invalid_request', `The request body could not be read (send application/x-www-form-urlencoded or JSON): ${err.message}`);
      }
      return errorHandler.call(this, err, request, reply);
    });

    // ---- discovery --------------------------------------------------------

    scope.get('/.well-known/oauth-authorization-server', async () => {
      const base = baseURL();
      return {
        issuer: base,
        ...oauthEndpoints(base),
        scopes_supported: [...SCOPES],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        introspection_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        authorization_response_iss_parameter_supported: true,
        // The API's own description of itself (the OpenAPI document).
        service_documentation: `${base}/v1/spec`,
      };
    });

    // ---- registration -----------------------------------------------------

    scope.post('/oauth/register', async (request, reply) => {
      try {
        const client = await core.oauth.register(request.body);
        return reply.status(201).header('cache-control', 'no-store').send(client);
      } catch (err) {
        if (err instanceof OAuthError) return sendOAuthError(reply, err.status, err.error, err.description);
        throw err;
      }
    });

    // ---- authorization ----------------------------------------------------

    /**
     * Checks an authorization request (from the query or the consent form).
     * Answers the request itself when it is bad; otherwise returns what to show.
     */
    const checkRequest = async (source: unknown, reply: FastifyReply) => {
      const { values, repeated, invalid } = readParams(source, AUTHORIZE_PARAMS);
      if (repeated.includes('client_id') || repeated.includes('redirect_uri') || invalid.includes('client_id') || invalid.includes('redirect_uri')) {
        sendPage(reply, 400, errorPage('This link cannot be used', 'The request names its app or its redirect address more than once. Go back to the app and try again.'));
        return undefined;
      }
      const check = await core.oauth.checkAuthorization(values as AuthorizationParams);
      if (check.kind === 'fatal') {
        sendPage(reply, 400, errorPage('This link cannot be used', `${check.description} Nothing was shared; go back to the app and try again.`));
        return undefined;
      }
      const bad = [...repeated, ...invalid];
      const failure = bad.length
        ? { redirectURI: check.redirectURI, error: 'invalid_request', description: `Parameters may be sent only once: ${bad.join(', ')}.`, state: values.state }
        : check.kind === 'redirect'
          ? check
          : undefined;
      if (failure) {
        void reply.redirect(withParams(failure.redirectURI, { error: failure.error, error_description: failure.description, state: failure.state, iss: baseURL() }), 302);
        return undefined;
      }
      return check.kind === 'ok' ? { ...check, values } : undefined;
    };

    scope.get('/oauth/authorize', async (request, reply) => {
      const ok = await checkRequest(request.query, reply);
      if (!ok) return reply;
      let session = sessions.get(cookie(request, SESSION_COOKIE));
      if (!session && isLocalBrowser(request)) {
        session = sessions.create();
        setSessionCookie(request, reply, session.id);
      }
      if (!session) {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        return sendPage(reply, 200, signInPage({ clientName: ok.client.name, authorizeQuery: query }));
      }
      const fields = { ...ok.values, redirect_uri: ok.redirectURI, scope: scopeString(ok.scopes) };
      return sendPage(reply, 200, consentPage({ clientName: ok.client.name, redirectHost: redirectHost(ok.redirectURI), scopes: ok.scopes, fields, csrf: session.csrf }), [formTarget(ok.redirectURI)]);
    });

    scope.post('/oauth/authorize', async (request, reply) => {
      const body = (isObjectBody(request.body) ? request.body ?? {} : {}) as Fields;
      if (!sameOrigin(request)) return sendPage(reply, 403, errorPage('Not allowed', 'This approval was sent from another site. Approve apps only on the Switchboard page itself.'));
      const session = sessions.get(cookie(request, SESSION_COOKIE));
      if (!session) return sendPage(reply, 403, errorPage('Session expired', 'The approval session is missing or has expired (or this browser blocks cookies). Go back to the app and start again.'));
      const csrf = body.csrf_token;
      if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrf)) return sendPage(reply, 403, errorPage('Not allowed', 'The form is out of date or was not sent from this page. Go back to the app and start again.'));

      const ok = await checkRequest(body, reply);
      if (!ok) return reply;
      if (body.decision === 'deny') {
        return reply.redirect(withParams(ok.redirectURI, { error: 'access_denied', error_description: 'The user did not allow access.', state: ok.state, iss: baseURL() }), 302);
      }
      if (body.decision !== 'approve') return sendPage(reply, 400, errorPage('Choose Approve or Deny', 'The form did not say whether you approve. Go back and press one of the buttons.'));
      const code = await core.oauth.issueCode({ clientID: ok.client.id, redirectURI: ok.redirectURI, scopes: ok.scopes, codeChallenge: ok.codeChallenge });
      request.log.info({ clientID: ok.client.id, scopes: ok.scopes }, 'OAuth app approved');
      return reply.redirect(withParams(ok.redirectURI, { code, state: ok.state, iss: baseURL() }), 302);
    });

    // Sign-in for browsers that are not on this machine: an existing write token opens a session.
    scope.post('/oauth/session', async (request, reply) => {
      const body = (isObjectBody(request.body) ? request.body ?? {} : {}) as Fields;
      if (!sameOrigin(request)) return sendPage(reply, 403, errorPage('Not allowed', 'This sign-in was sent from another site.'));
      const query = new URLSearchParams(typeof body.authorize_query === 'string' ? body.authorize_query : '');
      const clientID = query.get('client_id');
      const clientName = (clientID && (await core.oauth.client(clientID))?.name) || 'An app';
      const again = (status: number, error: string) => sendPage(reply, status, signInPage({ clientName, authorizeQuery: query.toString(), error }));
      try {
        limiter.check(request.ip);
      } catch (err) {
        if (err instanceof ApiError && err.status === 429) return again(429, err.message);
        throw err;
      }
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      const check = await core.tokens.check(`Bearer ${token}`);
      if (!check.ok) {
        limiter.fail(request.ip);
        return again(401, 'That access token is not valid (or was revoked, or has expired).');
      }
      if (!check.scopes.includes('write')) return again(403, 'That access token cannot approve apps: it needs the write scope.');
      const session = sessions.create();
      setSessionCookie(request, reply, session.id);
      // Back to the same request, now with a session; only ever to our own authorize page.
      return reply.redirect(`/oauth/authorize?${query.toString()}`, 303);
    });

    // ---- token endpoint ---------------------------------------------------

    scope.post('/oauth/token', async (request, reply) => {
      try {
        limiter.check(request.ip);
      } catch (err) {
        return sendLimited(reply, err);
      }
      const fail = (status: number, error: string, description: string) => {
        limiter.fail(request.ip); // failed exchanges count as failed authentications
        return sendOAuthError(reply, status, error, description);
      };
      if (!isObjectBody(request.body)) return fail(400, 'invalid_request', 'Send the parameters as a form (or a JSON object).');
      const { values, repeated, invalid } = readParams(request.body, ['grant_type', 'code', 'redirect_uri', 'client_id', 'code_verifier'] as const);
      if (repeated.length || invalid.length) return fail(400, 'invalid_request', `Each parameter must be one string, sent once: ${[...repeated, ...invalid].join(', ')}.`);
      try {
        const token = await core.oauth.exchange(values);
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
      } catch (err) {
        if (err instanceof OAuthError) return fail(err.status, err.error, err.description);
        throw err;
      }
    });

    // ---- introspection, revocation, userinfo -----------------------------

    /** The `token` parameter of introspection and revocation, or an error already sent. */
    const tokenParam = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
      const { values } = readParams(isObjectBody(request.body) ? request.body : {}, ['token'] as const);
      if (!values.token) {
        sendOAuthError(reply, 400, 'invalid_request', 'The token parameter is required.');
        return undefined;
      }
      return values.token;
    };

    // No client authentication (RFC 7662 leaves it to the server): the caller has
    // to hold the token already, and learns only what that token itself allows.
    // Inactive answers count as failed authentications, as a bad bearer token would.
    scope.post('/oauth/introspect', async (request, reply) => {
      try {
        limiter.check(request.ip);
      } catch (err) {
        return sendLimited(reply, err);
      }
      const token = tokenParam(request, reply);
      if (token === undefined) return reply;
      const result = await core.oauth.introspect(token);
      if (!result.active) limiter.fail(request.ip);
      return reply.header('cache-control', 'no-store').send(result);
    });

    // Public clients revoke with the token alone (RFC 7009 §2.1): holding it is the proof.
    scope.post('/oauth/revoke', async (request, reply) => {
      const token = tokenParam(request, reply);
      if (token === undefined) return reply;
      await core.oauth.revoke(token);
      return reply.header('cache-control', 'no-store').send({});
    });

    scope.get('/oauth/userinfo', async (request, reply) => {
      try {
        await authenticate(core, limiter, { ip: request.ip, authorization: request.headers.authorization }, 'read');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 429) return sendLimited(reply, err);
        const error = err.status === 403 ? 'insufficient_scope' : 'invalid_token';
        // RFC 6750 §3: no error code in the challenge when no token was sent at all.
        const challenge = request.headers.authorization ? `, error="${error}", error_description="${err.message.replace(/["\\]/g, "'")}"` : '';
        reply.header('www-authenticate', `Bearer realm="Switchboard"${challenge}`);
        return sendOAuthError(reply, err.status, error, err.message);
      }
      return reply.header('cache-control', 'no-store').send(await core.oauth.userinfo(tokenFrom(request.headers.authorization)));
    });
  });
}
