// The composition root: store, core, connectors and the HTTP server, wired
// together. `switchboard serve` and the test harness both start servers here.
import type { Logger } from 'pino';
import { openSqliteRepository } from '../store/sqlite/repository.ts';
import { Core } from '../core/core.ts';
import { createServer, type Server } from '../api/server.ts';
import { sandboxAccount, sandboxConnector } from '../networks/sandbox/connector.ts';
import { DEFAULT_DEMO_PROFILES } from '../networks/sandbox/profiles.ts';
import { userID } from '../core/ids.ts';
import { databaseFile } from './paths.ts';
import { VERSION } from './version.ts';

export interface ServeOptions {
  dataDir: string;
  host?: string;
  port?: number;
  remote?: boolean;
  /** Create the sandbox demo accounts on a first run (default true). */
  sandbox?: boolean;
  /** Simulated people answer on their own (default true). */
  lively?: boolean;
  seed?: number;
  log: Logger;
  envToken?: string;
  wsPingIntervalMs?: number;
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

export async function startServer(opts: ServeOptions): Promise<Running> {
  const repo = openSqliteRepository(databaseFile(opts.dataDir));
  const core = new Core({ repo, dataDir: opts.dataDir, log: opts.log, connectors: [sandboxConnector({ lively: opts.lively ?? true })], envToken: opts.envToken });
  let firstToken: string | undefined;
  try {
    if (opts.sandbox !== false && (await repo.countAccounts()) === 0) {
      const now = Date.now();
      for (const key of DEFAULT_DEMO_PROFILES) {
        const a = sandboxAccount(key, opts.seed ?? 1, now);
        await core.accounts.add(
          { id: a.id, connector: a.connector, network: a.network, bridgeId: a.bridgeId, bridgeType: a.bridgeType, provider: a.provider, host: a.host, selfUserID: userID(a.selfLocalpart, a.host), config: a.config, createdAt: now },
          a.self,
          false,
        );
      }
    }
    if (!opts.envToken && (await repo.countTokens()) === 0) {
      firstToken = (await core.tokens.create(['read', 'write'], 'created on first run')).token;
    }
    await core.start();
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
        await core.stop();
        repo.close();
      },
    };
  } catch (err) {
    await core.stop();
    repo.close();
    throw err;
  }
}
