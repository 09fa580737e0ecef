// The composition root: store, core, connectors and the HTTP server, wired
// together. `switchboard serve` and the test harness both start servers here;
// `switchboard mcp` (stdio) starts the same core without HTTP (startCore).
import type { Logger } from 'pino';
import { Core } from '../core/core.ts';
import { createServer, type Server } from '../api/server.ts';
import { sandboxConnector } from '../networks/sandbox/connector.ts';
import { xmppConnector } from '../networks/xmpp/connector.ts';
import { addSandboxAccounts } from './sandbox-accounts.ts';
import type { ProfileKey } from '../networks/sandbox/profiles.ts';
import { openStore } from './open-store.ts';
import { VERSION } from './version.ts';

export interface CoreStartOptions {
  dataDir: string;
  /** Create the sandbox demo accounts on a first run (default true). */
  sandbox?: boolean;
  /** Simulated people answer on their own (default true). */
  lively?: boolean;
  seed?: number;
  /** Which simulated networks the sandbox creates (first run and reset); default iMessage, WhatsApp, Signal, Telegram. */
  sandboxNetworks?: ProfileKey[];
  log: Logger;
  envToken?: string;
  /** Delays between retries of failed sends (tests shorten them). */
  retryDelaysMs?: number[];
}

export interface ServeOptions extends CoreStartOptions {
  host?: string;
  port?: number;
  remote?: boolean;
  wsPingIntervalMs?: number;
}

export interface RunningCore {
  core: Core;
  /** Stops the connectors and closes the store. */
  stop(): Promise<void>;
}

export interface Running {
  core: Core;
  server: Server;
  baseURL: string;
  port: number;
  /** Set when this start created the first token (shown once). */
  firstToken?: string;
  stop(): Promise<void>;
}

/**
 * Opens the data directory's store, creates the sandbox accounts on a first run
 * and starts the connectors: everything but HTTP.
 */
export async function startCore(opts: CoreStartOptions, beforeStart?: (core: Core) => Promise<void>): Promise<RunningCore> {
  const repo = openStore(opts.dataDir, opts.log);
  const core = new Core({ repo, dataDir: opts.dataDir, log: opts.log, connectors: [sandboxConnector({ lively: opts.lively ?? true }), xmppConnector({ dataDir: opts.dataDir })], envToken: opts.envToken, retryDelaysMs: opts.retryDelaysMs });
  const stop = async () => {
    await core.stop();
    repo.close();
  };
  try {
    const seed = opts.seed ?? 1;
    if (opts.sandbox !== false) {
      core.sandbox.configure((s) => addSandboxAccounts(core, s, true, opts.sandboxNetworks), seed);
      if ((await repo.countAccounts()) === 0) await addSandboxAccounts(core, seed, false, opts.sandboxNetworks);
    }
    await beforeStart?.(core);
    await core.start();
    return { core, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startServer(opts: ServeOptions): Promise<Running> {
  let firstToken: string | undefined;
  const { core, stop: stopCore } = await startCore(opts, async (core) => {
    if (!opts.envToken && (await core.repo.countTokens()) === 0) {
      firstToken = (await core.tokens.create(['read', 'write'], 'created on first run')).token;
    }
  });
  try {
    const server = createServer({ core, log: opts.log, version: VERSION, host: opts.host ?? '127.0.0.1', port: opts.port ?? 23373, remote: opts.remote ?? false, wsPingIntervalMs: opts.wsPingIntervalMs });
    const { port, baseURL } = await server.listen();
    return {
      core,
      server,
      baseURL,
      port,
      firstToken,
      async stop() {
        await server.close();
        await stopCore();
      },
    };
  } catch (err) {
    await stopCore();
    throw err;
  }
}
