// OAuth 2.0 authorization code flow with PKCE (S256) for third-party apps.
// (Being written: see the OAuth issue.)
import type { Core } from '../core.ts';

export class OAuth {
  constructor(readonly core: Core) {}
}
