#!/usr/bin/env -S node --max-semi-space-size=4
// The flag keeps V8's young generation at 4 MB semi-spaces instead of 16: the server
// allocates briskly but keeps little, and its resident memory under load drops by
// about a third with no measurable cost in throughput (see the README's Benchmarks).
//
// Runs the bundled JavaScript in dist/ (built by `npm run build`, which `npm ci`
// runs) when it is at least as new as every source file; otherwise runs the
// TypeScript sources through tsx, so an edited checkout never runs stale code.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `sandbox generate` is the opposite case: it keeps each batch of 50,000 messages
// alive while building and writing it, and small semi-spaces copy that batch from
// space to space over and over. V8 takes the flag only at start, so that command
// runs in a child started with larger ones (signals passed on, exit status returned).
const BULK_HEAP = '--max-semi-space-size=64';
const CHILD = 'SWITCHBOARD_GENERATE_CHILD'; // set in the child's environment
const args = process.argv.slice(2);
// Only a process started with the IPC channel below is the child: the variable alone,
// left in a shell's environment, would make every command stop itself at once.
const isChild = process.env[CHILD] !== undefined && process.send !== undefined;
delete process.env[CHILD];
if (isChild) {
  watchLauncher();
  await run();
} else if (args[0] === 'sandbox' && args[1] === 'generate') {
  // The handlers go in before the spawn: a signal that came between the two would kill
  // this process by default and leave the child running on its own. One that arrives
  // during the spawn is handled on the next turn of the event loop, with `child` set.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let child;
  for (const s of signals) process.on(s, () => child.kill(s));
  // The IPC channel carries nothing: it closes when this process ends, however it ends.
  child = spawn(process.execPath, [BULK_HEAP, fileURLToPath(import.meta.url), ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD]: '1' },
  });
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    for (const s of signals) process.removeAllListeners(s);
    process.kill(process.pid, signal);
  });
} else {
  await run();
}

/**
 * In the child: when the launcher dies without passing on a signal (SIGKILL), stop
 * too, rather than go on writing to the store unseen. The generator lets the event
 * loop turn between batches, so this is noticed within one. The channel may have
 * closed already while this module was loading (a launcher killed at once).
 */
function watchLauncher() {
  const stop = () => process.kill(process.pid, 'SIGTERM');
  if (!process.connected) return stop();
  process.channel.unref(); // the channel alone must not keep this process alive
  process.once('disconnect', stop);
}

async function run() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = join(root, 'dist', 'cli', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'src'))) {
    await import(built);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}
