// `switchboard serve`: run the API server.
import type { Command } from 'commander';
import { createLogger } from './log.ts';
import { resolveDataDir } from './paths.ts';
import { startServer } from './serve.ts';
import { VERSION } from './version.ts';
import { dataDirOption, integer, port, sandboxNetworksOption } from './options.ts';
import type { ProfileKey } from '../networks/sandbox/profiles.ts';

export function registerServe(cli: Command): void {
  cli
    .command('serve', { isDefault: true })
    .description('run the API server')
    .option('--port <port>', 'port to listen on', port, 23373)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(dataDirOption())
    .option('--remote', 'accept requests for any Host (for access through a proxy or another machine)', false)
    .option('--no-sandbox', 'do not create the sandbox demo accounts on a first run')
    .option('--quiet-sandbox', 'sandbox people only confirm sends; no automatic replies, reads or reactions', false)
    .option('--seed <n>', 'seed of the sandbox demo inbox', integer, 1)
    .addOption(sandboxNetworksOption())
    .option('--log-level <level>', 'trace, debug, info, warn or error', process.env.SWITCHBOARD_LOG_LEVEL ?? 'info')
    .action(async (o: { port: number; host: string; dataDir?: string; remote: boolean; sandbox: boolean; quietSandbox: boolean; seed: number; sandboxNetworks: ProfileKey[]; logLevel: string }) => {
      const log = createLogger(o.logLevel);
      const dataDir = resolveDataDir(o.dataDir);
      const running = await startServer({
        dataDir,
        host: o.host,
        port: o.port,
        remote: o.remote,
        sandbox: o.sandbox,
        lively: !o.quietSandbox,
        seed: o.seed,
        sandboxNetworks: o.sandboxNetworks,
        log,
        envToken: process.env.SWITCHBOARD_ACCESS_TOKEN || undefined,
      });
      log.info({ url: running.baseURL, dataDir }, `Switchboard ${VERSION} listening on ${running.baseURL}`);
      if (running.firstToken) {
        process.stdout.write(
          `\nCreated the first access token (read, write). It is shown only now; keep it:\n\n  ${running.firstToken}\n\n` +
            `Try it:\n  curl -H "Authorization: Bearer ${running.firstToken}" ${running.baseURL}/v1/accounts\n\n`,
        );
      }
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        await running.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
