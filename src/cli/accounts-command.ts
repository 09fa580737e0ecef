// `switchboard accounts …`: chat accounts.
import type { Command } from 'commander';
import { dataDirOption, withCore } from './options.ts';

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
}
