// Cross-cutting protections, registered once at the root: the Host check against
// DNS rebinding, bearer-token authentication with scopes, and a limit on failed
// authentication attempts.
import type { Core } from '../core/core.ts';
import type { Scope } from './route.ts';
import { ApiError } from '../core/errors.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface HostPolicy {
  remote: boolean;
  /** Extra host names accepted besides the loopback ones (e.g. the --host given). */
  names: string[];
  port(): number;
}

/** A request whose Host is not this server on the loopback (DNS rebinding) is refused. */
export function checkHost(policy: HostPolicy, host: string | undefined): void {
  if (policy.remote) return;
  const allowed = allowedHosts(policy);
  if (!host || !allowed.has(host.toLowerCase())) {
    throw new ApiError(403, 'HOST_NOT_ALLOWED', `Requests must be addressed to this machine (Host ${[...allowed][0]}); "${host ?? ''}" is refused. Start the server with --remote to accept other hosts.`);
  }
}

const hostSets = new WeakMap<HostPolicy, { port: number; hosts: Set<string> }>();

/** The Host values a policy accepts, computed again only when the port changes (after listen). */
function allowedHosts(policy: HostPolicy): Set<string> {
  const port = policy.port();
  let entry = hostSets.get(policy);
  if (entry?.port !== port) {
    entry = { port, hosts: new Set([...LOOPBACK_NAMES, ...policy.names].flatMap((n) => [`${n}:${port}`, ...(port === 80 ? [n] : [])])) };
    hostSets.set(policy, entry);
  }
  return entry.hosts;
}

/** Origins of pages served from this machine: the only ones allowed cross-origin. */
export function isLocalOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK_NAMES.includes(u.hostname === '::1' ? '[::1]' : u.hostname);
  } catch {
    return false;
  }
}

/** Per-client budget of failed authentications, refilled over a minute. */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max = 30,
    private readonly windowMs = 60_000,
  ) {}

  check(client: string, now = Date.now()): void {
    const f = this.failures.get(client);
    if (f && now - f.since < this.windowMs && f.count >= this.max) {
      const retryAfter = Math.ceil((f.since + this.windowMs - now) / 1000);
      throw new ApiError(429, 'TOO_MANY_AUTH_FAILURES', `Too many requests with a bad token from this client; try again in ${retryAfter} s.`, { retryAfter });
    }
  }

  fail(client: string, now = Date.now()): void {
    const f = this.failures.get(client);
    if (!f || now - f.since >= this.windowMs) this.failures.set(client, { count: 1, since: now });
    else f.count++;
    if (this.failures.size > 10_000) this.failures.clear(); // bounded memory under a spray of clients
  }
}

const REASONS = {
  missing: 'No access token: send "Authorization: Bearer <token>". Create one with `switchboard token create`.',
  malformed: 'The Authorization header is not "Bearer <token>".',
  unknown: 'The access token is not valid.',
  revoked: 'The access token was revoked.',
  expired: 'The access token has expired.',
} as const;

/** What authentication looks at: the client's address and its Authorization header. */
export interface Credentials {
  ip: string;
  authorization: string | undefined;
}

export async function authenticate(core: Core, limiter: AuthFailureLimiter, request: Credentials, scope: Scope): Promise<void> {
  if (scope === 'public') return;
  const client = request.ip;
  limiter.check(client);
  const result = await core.tokens.check(request.authorization);
  if (!result.ok) {
    limiter.fail(client);
    throw new ApiError(401, 'UNAUTHORIZED', REASONS[result.reason]);
  }
  if (!result.scopes.includes(scope)) {
    throw new ApiError(403, 'INSUFFICIENT_SCOPE', `This operation needs the "${scope}" scope; the token has ${result.scopes.map((s) => `"${s}"`).join(' and ') || 'none'}.`);
  }
}
