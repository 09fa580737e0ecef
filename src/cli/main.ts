// `switchboard` command line. Each command group lives in its own module.
import { Command } from 'commander';
import { VERSION } from './version.ts';
import { registerServe } from './serve-command.ts';
import { registerToken } from './token-command.ts';
import { registerAccounts } from './accounts-command.ts';
import { registerSandbox } from './sandbox-command.ts';
import { registerMcp } from './mcp-command.ts';

export function program(): Command {
  const cli = new Command('switchboard').description('Headless server for the Beeper Desktop API').version(VERSION);
  registerServe(cli);
  registerToken(cli);
  registerAccounts(cli);
  registerSandbox(cli);
  registerMcp(cli);
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
