// `switchboard sandbox …`: script the sandbox of a running server through its
// control API, or fill a data directory with a generated corpus.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from './log.ts';
import { dataDirOption, integer, sandboxNetworksOption } from './options.ts';
import type { ProfileKey } from '../networks/sandbox/profiles.ts';
import { resolveDataDir } from './paths.ts';
import { startCore } from './serve.ts';

interface Connection {
  url: string;
  token?: string;
}

const serverOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--url <url>', 'base URL of the running server').env('SWITCHBOARD_URL').default('http://127.0.0.1:23373'))
    .addOption(new Option('--token <token>', 'access token with the write scope').env('SWITCHBOARD_ACCESS_TOKEN'));

/** Calls the control API; prints the JSON answer, or the error and exit code 1. */
async function call(conn: Connection, method: string, path: string, body?: unknown): Promise<void> {
  if (!conn.token) throw new Error('an access token is needed: pass --token or set SWITCHBOARD_ACCESS_TOKEN (see `switchboard token create`).');
  let res: Response;
  try {
    res = await fetch(new URL(path, conn.url), {
      method,
      headers: { authorization: `Bearer ${conn.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(`no server answers at ${conn.url} (${(err as Error).message}); start it with \`switchboard serve\` or pass --url.`);
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`${res.status}: ${text}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(text ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : 'done\n');
}

const enc = encodeURIComponent;

/** A file for the control API; the server detects its type. */
const fileBody = (path: string) => ({ base64: readFileSync(path).toString('base64'), fileName: basename(path) });

/** "fail-retriable:2", "delay:1500", "pending" … → a scripted send. */
function scriptedSend(spec: string) {
  const [outcome, arg] = spec.split(':');
  const outcomes = ['success', 'pending', 'delay', 'fail-retriable', 'fail-permanent'];
  if (!outcome || !outcomes.includes(outcome)) throw new InvalidArgumentError(`outcomes are ${outcomes.join(', ')} (delay:MS, fail-retriable:N)`);
  const n = arg === undefined ? undefined : Number(arg);
  if (n !== undefined && !Number.isInteger(n)) throw new InvalidArgumentError(`"${spec}": the number after ":" must be whole`);
  return { outcome, ...(outcome === 'delay' && n !== undefined ? { delayMs: n } : {}), ...(outcome === 'fail-retriable' && n !== undefined ? { failures: n } : {}) };
}

/** "90s", "15m", "2h", "3d" → seconds. */
function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(v);
  if (!m) throw new InvalidArgumentError('a duration is a number with s, m, h or d (e.g. 15m)');
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'];
}

export function registerSandbox(cli: Command): void {
  const sandbox = cli.command('sandbox').description('script the simulated networks, or generate a large inbox');

  serverOptions(sandbox.command('state <accountID>').description('show a sandbox network: people and Focus, sends it took, scripted outcomes')).action(
    (accountID: string, o: Connection) => call(o, 'GET', `/sandbox/v1/accounts/${enc(accountID)}`),
  );
  serverOptions(
    sandbox
      .command('incoming <chatID> [text]')
      .description('a simulated person sends a message into a chat')
      .option('--from <userID>', 'who sends it (default: the other person)')
      .option('--file <path>', 'attach this file')
      .option('--reply-to <messageID>', 'as a reply to this message')
      .option('--at <iso>', 'sent at this time (older: arrives out of order)'),
  ).action((chatID: string, text: string | undefined, o: Connection & { from?: string; file?: string; replyTo?: string; at?: string }) => {
    const attachment = o.file ? fileBody(o.file) : undefined;
    return call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/incoming`, { text, senderID: o.from, attachment, replyToMessageID: o.replyTo, timestamp: o.at });
  });
  serverOptions(sandbox.command('react <chatID> <messageID> <key>').description('a simulated person reacts').option('--from <userID>').option('--remove', 'take it back')).action(
    (chatID: string, messageID: string, key: string, o: Connection & { from?: string; remove?: boolean }) =>
      call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/reactions`, { messageID, reactionKey: key, senderID: o.from, remove: o.remove }),
  );
  serverOptions(sandbox.command('edit <chatID> <messageID> <text>').description('the network reports an edit')).action((chatID: string, messageID: string, text: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/edits`, { messageID, text }),
  );
  serverOptions(sandbox.command('delete <chatID> <messageID>').description('the network reports a deletion')).action((chatID: string, messageID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/deletions`, { messageID }),
  );
  serverOptions(sandbox.command('read <chatID>').description('a simulated person reads the chat').option('--by <userID>').option('--up-to <messageID>')).action(
    (chatID: string, o: Connection & { by?: string; upTo?: string }) => call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/receipts`, { userID: o.by, messageID: o.upTo }),
  );
  serverOptions(sandbox.command('typing <chatID>').description('a simulated person starts typing').option('--from <userID>')).action((chatID: string, o: Connection & { from?: string }) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/typing`, { userID: o.from }),
  );
  serverOptions(sandbox.command('join <chatID> <userID>').description('someone joins a sandbox group')).action((chatID: string, userID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/members`, { userID, action: 'join' }),
  );
  serverOptions(sandbox.command('leave <chatID> <userID>').description('someone leaves a sandbox group')).action((chatID: string, userID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/members`, { userID, action: 'leave' }),
  );
  serverOptions(
    sandbox
      .command('stranger <accountID> [text]')
      .description('someone outside your contacts writes first (a message request on Signal and Discord)')
      .option('--name <fullName>', 'their name (default: a generated one)')
      .option('--file <path>', 'attach this file'),
  ).action((accountID: string, text: string | undefined, o: Connection & { name?: string; file?: string }) =>
    call(o, 'POST', `/sandbox/v1/accounts/${enc(accountID)}/strangers`, { text, fullName: o.name, attachment: o.file ? fileBody(o.file) : undefined }),
  );
  serverOptions(sandbox.command('accept <chatID>').description("accept a message request with the network's Accept button")).action((chatID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/chats/${enc(chatID)}/accept`),
  );
  serverOptions(sandbox.command('focus <accountID> <userID> <on|off>').description("turn a person's Focus (do not disturb) on or off")).action(
    (accountID: string, userID: string, state: string, o: Connection) => {
      if (state !== 'on' && state !== 'off') throw new InvalidArgumentError('say on or off');
      return call(o, 'PUT', `/sandbox/v1/accounts/${enc(accountID)}/people/${enc(userID)}/focus`, { focused: state === 'on' });
    },
  );
  serverOptions(
    sandbox
      .command('script <accountID> <outcomes...>')
      .description('how the next sends end, in order: success, pending, delay:MS, fail-retriable[:N], fail-permanent'),
  ).action((accountID: string, outcomes: string[], o: Connection) => call(o, 'POST', `/sandbox/v1/accounts/${enc(accountID)}/script`, { sends: outcomes.map(scriptedSend) }));
  serverOptions(sandbox.command('offline <accountID>').description('the network goes down; sends wait')).action((accountID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/accounts/${enc(accountID)}/online`, { online: false }),
  );
  serverOptions(sandbox.command('online <accountID>').description('the network comes back; waiting sends go out in order')).action((accountID: string, o: Connection) =>
    call(o, 'POST', `/sandbox/v1/accounts/${enc(accountID)}/online`, { online: true }),
  );
  serverOptions(
    sandbox
      .command('clock')
      .description('show or change the simulated clock')
      .option('--advance <duration>', 'move time forward (e.g. 15m, 2h, 3d)', duration)
      .option('--freeze', 'stop time')
      .option('--resume', 'let time run again')
      .option('--reset', 'back to the real time'),
  ).action((o: Connection & { advance?: number; freeze?: boolean; resume?: boolean; reset?: boolean }) =>
    o.advance === undefined && !o.freeze && !o.resume && !o.reset
      ? call(o, 'GET', '/sandbox/v1/clock')
      : call(o, 'POST', '/sandbox/v1/clock', { advanceSeconds: o.advance, freeze: o.freeze ? true : o.resume ? false : undefined, reset: o.reset }),
  );
  serverOptions(sandbox.command('reset').description('delete the sandbox accounts and seed them again').option('--seed <n>', 'seed of the new inbox', integer)).action(
    (o: Connection & { seed?: number }) => call(o, 'POST', '/sandbox/v1/reset', { seed: o.seed }),
  );

  sandbox
    .command('generate')
    .description('fill a data directory with a large generated inbox (the server may be running or not)')
    .requiredOption('--chats <n>', 'number of chats', integer)
    .requiredOption('--messages <n>', 'number of messages', integer)
    .option('--seed <n>', 'seed (same seed, same corpus)', integer, 1)
    .addOption(sandboxNetworksOption())
    .addOption(dataDirOption())
    .action(async (o: { chats: number; messages: number; seed: number; sandboxNetworks: ProfileKey[]; dataDir?: string }) => {
      if (o.chats < 1 || o.messages < o.chats) throw new InvalidArgumentError('--chats must be at least 1 and --messages at least --chats');
      const dataDir = resolveDataDir(o.dataDir);
      const running = await startCore({ dataDir, log: createLogger('warn'), lively: false, seed: o.seed, sandboxNetworks: o.sandboxNetworks });
      try {
        const started = performance.now();
        const progress = new ProgressBar(o.messages);
        const totals = await running.core.sandbox.generate({ chats: o.chats, messages: o.messages, seed: o.seed, onProgress: (done) => progress.update(done) });
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(
          `Generated ${totals.messages.toLocaleString('en')} messages in ${totals.chats.toLocaleString('en')} chats with ${totals.people.toLocaleString('en')} people ` +
            `in ${seconds.toFixed(1)} s: ${Math.round(totals.messages / seconds).toLocaleString('en')} messages/s.\n`,
        );
      } finally {
        await running.stop();
      }
    });
}

/** One line on stderr, redrawn in place on a terminal, every ~2 s otherwise. */
class ProgressBar {
  private readonly started = performance.now();
  private last = 0;

  constructor(private readonly total: number) {}

  update(done: number): void {
    const now = performance.now();
    const tty = process.stderr.isTTY;
    if (now - this.last < (tty ? 100 : 2000) && done < this.total) return;
    this.last = now;
    const share = Math.min(1, done / this.total);
    const rate = done / ((now - this.started) / 1000);
    const bar = '█'.repeat(Math.round(share * 30)).padEnd(30, '░');
    const eta = rate > 0 ? Math.ceil((this.total - done) / rate) : 0;
    const line = `${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${done.toLocaleString('en')}/${this.total.toLocaleString('en')} messages  ${Math.round(rate).toLocaleString('en')}/s  ETA ${eta}s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  }

  done(): void {
    this.update(this.total);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}
