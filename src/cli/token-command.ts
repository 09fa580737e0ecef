// `switchboard token …`: access tokens.
import type { Command } from 'commander';
import type { Scope } from '../core/services/tokens.ts';
import { dataDirOption, scopes, withCore } from './options.ts';

export function registerToken(cli: Command): void {
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
}
