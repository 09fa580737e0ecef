// `switchboard mcp`: the MCP server over stdin/stdout, for desktop hosts that
// launch a command. It opens the data directory itself and runs the connectors
// (the same core as `serve`, without HTTP), with read and write: the local user
// started it. stdout carries the protocol only; logs go to stderr.
import type { Command } from 'commander';
import { createLogger } from './log.ts';
import { resolveDataDir } from './paths.ts';
import { startCore } from './serve.ts';
import { VERSION } from './version.ts';
import { dataDirOption, integer, sandboxNetworksOption } from './options.ts';
import type { ProfileKey } from '../networks/sandbox/profiles.ts';

export function registerMcp(cli: Command): void {
  cli
    .command('mcp')
    .description('serve MCP (Model Context Protocol) over stdin/stdout, for AI assistants that launch a command')
    .addOption(dataDirOption())
    .option('--no-sandbox', 'do not create the sandbox demo accounts on a first run')
    .option('--quiet-sandbox', 'sandbox people only confirm sends; no automatic replies, reads or reactions', false)
    .option('--seed <n>', 'seed of the sandbox demo inbox', integer, 1)
    .addOption(sandboxNetworksOption())
    .option('--log-level <level>', 'trace, debug, info, warn or error (logs go to stderr)', process.env.SWITCHBOARD_LOG_LEVEL ?? 'info')
    .action(async (o: { dataDir?: string; sandbox: boolean; quietSandbox: boolean; seed: number; sandboxNetworks: ProfileKey[]; logLevel: string }) => {
      const log = createLogger(o.logLevel, process.stderr);
      const dataDir = resolveDataDir(o.dataDir);
      const running = await startCore({ dataDir, sandbox: o.sandbox, lively: !o.quietSandbox, seed: o.seed, sandboxNetworks: o.sandboxNetworks, log });
      // Loaded here, not at the top: other commands need not load the MCP SDK.
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('../api/mcp/server.ts')]);
      const server = createMcpServer({ core: running.core, scopes: ['read', 'write'], mode: 'stdio', version: VERSION });
      const transport = new StdioServerTransport();

      let stopping = false;
      const stop = async (why: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ why }, 'MCP (stdio) shutting down');
        await server.close().catch(() => undefined);
        await running.stop();
        process.exit(0);
      };
      transport.onerror = (err) => log.warn({ err }, 'MCP (stdio) transport error');
      // The host closing our stdin (or going away) ends the session.
      process.stdin.on('end', () => void stop('stdin closed'));
      process.stdin.on('close', () => void stop('stdin closed'));
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));

      await server.connect(transport);
      log.info({ dataDir }, `Switchboard ${VERSION} serving MCP on stdio`);
    });
}
