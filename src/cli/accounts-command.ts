// `switchboard accounts …`: chat accounts.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { dataDirOption, port, withCore } from './options.ts';

export function registerAccounts(cli: Command): void {
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

  accounts
    .command('add')
    .description('sign in to a chat account and add it (a running server picks it up within seconds)')
    .argument('<network>', 'the network: xmpp', (v: string) => {
      if (v.toLowerCase() !== 'xmpp') throw new InvalidArgumentError('the only network that can be added is xmpp');
      return 'xmpp';
    })
    .requiredOption('--jid <jid>', 'your XMPP address, e.g. alice@example.org')
    .requiredOption('--password-file <file>', 'a file holding the password (keep it mode 0600)')
    .option('--host <host>', 'server host name or address (default: from DNS SRV records, else the JID’s domain)')
    .option('--port <port>', 'server port (default 5222, or 5223 with --direct-tls)', port)
    .option('--direct-tls', 'TLS from the first byte (XEP-0368, usually port 5223) instead of STARTTLS', false)
    .option('--no-tls', 'allow an unencrypted connection (only for a trusted network such as the loopback)')
    .addOption(dataDirOption())
    .action(async (_network: string, o: { jid: string; passwordFile: string; host?: string; port?: number; directTls: boolean; tls: boolean; dataDir?: string }) => {
      let password: string;
      try {
        password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new Error(`cannot read the password file ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (o.directTls && !o.tls) throw new Error('--direct-tls and --no-tls contradict each other');
      const tls = !o.tls ? 'none' : o.directTls ? 'direct' : 'starttls';
      // Loaded here, not at the top: it brings the XMPP library, which no other command needs.
      const { addXmppAccount } = await import('./xmpp-account.ts');
      const account = await withCore(o.dataDir, (core) => addXmppAccount(core, { jid: o.jid, password, host: o.host, port: o.port, tls }));
      process.stdout.write(`Added the XMPP account ${o.jid.trim().toLowerCase()} as ${account.id}. A running server connects it within a few seconds; otherwise it connects when the server starts.\n`);
    });

  accounts
    .command('remove')
    .description('remove an account with its chats and messages (a running server stops it within seconds)')
    .argument('<accountID>', 'the account ID (see accounts list)')
    .addOption(dataDirOption())
    .action(async (accountID: string, o: { dataDir?: string }) => {
      const { removeAccount } = await import('./xmpp-account.ts');
      const account = await withCore(o.dataDir, (core) => removeAccount(core, accountID));
      process.stdout.write(`Removed ${account.network} account ${account.id}.\n`);
    });
}
