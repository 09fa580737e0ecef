// The XMPP connector: one client (client.ts) per account, over any standard
// server's client-to-server port. The client and its XMPP library are loaded when
// the first XMPP account starts, not when the server does: most servers have no
// XMPP account, and loading them is a tenth of a second of every cold start.
import type { NetworkConnector } from '../connector.ts';

export interface XmppConnectorOptions {
  /** The data directory; passwords are read from its secrets/ folder. */
  dataDir: string;
  /** How long a send waits for the connection before core is told to retry (default 60 s). */
  holdMs?: number;
}

export function xmppConnector(opts: XmppConnectorOptions): NetworkConnector {
  return {
    type: 'xmpp',
    create: async (ctx) => {
      const { XmppClient } = await import('./client.ts');
      return new XmppClient(ctx, opts);
    },
  };
}
