// `switchboard` command line.
import { Command, InvalidArgumentError, Option } from 'commander';
import { openSqliteRepository } from '../store/sqlite/repository.ts';
import { Core } from '../core/core.ts';
import { SCOPES, type Scope } from '../core/services/tokens.ts';
import { createLogger } from './log.ts';
import { databaseFile, resolveDataDir } from './paths.ts';
import { startServer } from './serve.ts';
import { VERSION } from './version.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
};
const integer = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
};
const scopes = (v: string): Scope[] => {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((s) => !SCOPES.includes(s as Scope));
  if (bad.length || !list.length) throw new InvalidArgumentError(`scopes are a comma-separated list of: ${SCOPES.join(', ')}`);
  return [...new Set(list)] as Scope[];
};
const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (default: $XDG_DATA_HOME/switchboard or ~/.local/share/switchboard)');

/** A core over the data directory without connectors, for offline commands. */
async function withCore<T>(dataDir: string | undefined, fn: (core: Core) => Promise<T>): Promise<T> {
  const dir = resolveDataDir(dataDir);
  const repo = openSqliteRepository(databaseFile(dir));
  try {
    return await fn(new Core({ repo, dataDir: dir, log: createLogger('warn'), connectors: [] }));
  } finally {
    repo.close();
  }
}

export function program(): Command {
  const cli = new Command('switchboard').description('Headless server for the Beeper Desktop API').version(VERSION);

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
    .option('--log-level <level>', 'trace, debug, info, warn or error', process.env.SWITCHBOARD_LOG_LEVEL ?? 'info')
    .action(async (o: { port: number; host: string; dataDir?: string; remote: boolean; sandbox: boolean; quietSandbox: boolean; seed: number; logLevel: string }) => {
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

  const token = cli.command('token').description('manage access tokens');
  token
    .command('create')
    .description('create an access token and print it (shown only once)')
    .option('--scopes <list>', 'comma-separated scopes: read, write', scopes, ['read', 'write'] as Scope[])
    .option('--label <text>', 'a note to recognise the token by', '')
    .addOption(dataDirOption())
    .action(async (o: { scopes: Scope[]; label: string; dataDir?: string }) => {
      const { token: value, record } = await withCore(o.dataDir, (core) => core.tokens.create(o.scopes, o.label));
      process.stderr.write(`Created token ${record.id} with scopes ${record.scopes.join(', ')}.\n`);
      process.stdout.write(`${value}\n`);
    });
  token
    .command('list')
    .description('list access tokens (never their values)')
    .addOption(dataDirOption())
    .action(async (o: { dataDir?: string }) => {
      // Tokens issued through OAuth name their app next to its client ID.
      const { tokens, apps } = await withCore(o.dataDir, async (core) => {
        const tokens = await core.tokens.list();
        const apps = new Map<string, string>();
        for (const id of new Set(tokens.map((t) => t.clientID).filter((c): c is string => !!c))) {
          const client = await core.oauth.client(id);
          if (client) apps.set(id, client.name);
        }
        return { tokens, apps };
      });
      if (!tokens.length) return void process.stdout.write('No tokens.\n');
      for (const t of tokens) {
        const state = t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < Date.now() ? 'expired' : 'active';
        const client = t.clientID ? `\tclient ${t.clientID} (${apps.get(t.clientID) ?? 'app no longer registered'})` : '';
        const expires = t.expiresAt ? `\texpires ${new Date(t.expiresAt).toISOString()}` : '';
        process.stdout.write(
          `${t.id}\t${state}\t${t.scopes.join(',')}\tcreated ${new Date(t.createdAt).toISOString()}\tlast used ${t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : 'never'}${expires}${client}${t.label ? `\t${t.label}` : ''}\n`,
        );
      }
    });
  token
    .command('revoke <id>')
    .description('revoke an access token by its ID (see token list)')
    .addOption(dataDirOption())
    .action(async (id: string, o: { dataDir?: string }) => {
      const done = await withCore(o.dataDir, (core) => core.tokens.revoke(id));
      if (!done) {
        process.stderr.write(`No active token has the ID ${id}; \`switchboard token list\` shows them.\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`Revoked ${id}.\n`);
    });

  const accounts = cli.command('accounts').description('manage chat accounts');
  accounts
    .command('list')
    .description('list accounts')
    .addOption(dataDirOption())
    .option('--json', 'print JSON', false)
    .action(async (o: { dataDir?: string; json: boolean }) => {
      const list = await withCore(o.dataDir, (core) => core.accounts.list());
      if (o.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      if (!list.length) return void process.stdout.write('No accounts.\n');
      for (const a of list) process.stdout.write(`${a.accountID}\t${a.network ?? '?'}\t${a.bridge.type}/${a.bridge.provider}\t${a.user.fullName ?? a.user.id}\n`);
    });

  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
