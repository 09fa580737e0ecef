// `npm run soak`: the long variants of the reliability suite (SWITCHBOARD_SOAK=1):
// 40,000 fuzz cases, 30,000 sends and ingests with 25 kills, 60 s of load, many
// outages of several networks at once, the real slow-client timeouts. Runs
// test/reliability with vitest, one file at a time (so the load test has the
// machine to itself), then prints one summary of what every part
// reported and which tests failed. Exits with vitest's status.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-soak-'));
const summaryFile = join(dir, 'summary.jsonl');
const resultsFile = join(dir, 'results.json');
const started = Date.now();

const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/reliability', '--no-file-parallelism', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SWITCHBOARD_SOAK: '1', RELIABILITY_SUMMARY_FILE: summaryFile },
  });
  child.on('exit', (c) => resolve(c ?? 1));
});

const parts = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown> & { part: string }) : [];
const failed: string[] = [];
let total = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string }> }> };
  for (const file of results.testResults) {
    for (const t of file.assertionResults) {
      total++;
      if (t.status === 'failed') failed.push(`${file.name.replace(`${root}`, '')} › ${t.fullName}`);
    }
  }
}

const get = (part: string): Record<string, unknown> => parts.find((p) => p.part === part) ?? {};
const fuzz = get('contract fuzzing');
const crash = get('crash durability');
const load = get('load');
const lines = [
  '',
  '================ Switchboard reliability soak: summary ================',
  `duration: ${((Date.now() - started) / 60_000).toFixed(1)} min; tests: ${total}, failed: ${failed.length}`,
  '',
  `fuzzing:      ${fuzz['cases tried'] ?? '?'} cases (seed ${fuzz.seed ?? '?'}), invariants violated: ${fuzz['invariants violated'] ?? '?'}`,
  `crashes:      ${crash.kills ?? '?'} kills over ${crash.operations ?? '?'} operations (seed ${crash.seed ?? '?'}): acknowledged ${crash.acknowledged ?? '?'}, found after crashes ${crash['found after crashes'] ?? '?'}, lost ${crash.lost ?? '?'}, duplicated ${crash.duplicated ?? '?'}`,
  `              integrity ${crash.integrity ?? '?'}, FTS ${crash['FTS integrity-check'] ?? '?'} (${crash['FTS rows / messages with text / missing / stray'] ?? '?'}), still pending ${crash['still pending after 60 s'] ?? '?'}`,
  `load:         ${load.requests ?? '?'} requests (${load['requests/s'] ?? '?'}/s, ${load['clients / subscribers / seconds'] ?? '?'} clients/subscribers/s), transport errors ${load['transport errors'] ?? '?'}, 5xx ${load['5xx'] ?? '?'}`,
  `              p50/p99 ms ${load['p50 / p99 ms (all)'] ?? '?'} (after warm-up ${load['p50 / p99 ms (after the first 2 s)'] ?? '?'}); RSS ${load['RSS max first third / last third / allowed growth (MB)'] ?? '?'} (first/last third max, allowed growth)`,
  `              RSS samples: ${load['RSS samples (MB, every 1 s)'] ?? '?'}`,
  '',
  ...parts.filter((p) => !['contract fuzzing', 'crash durability', 'load'].includes(p.part)).map((p) => `${p.part}: ${JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'part')))}`),
  '',
  failed.length ? `failed tests (${failed.length}):\n  ${failed.join('\n  ')}` : 'failed tests: none',
  '=======================================================================',
  '',
];
process.stdout.write(lines.join('\n'));
rmSync(dir, { recursive: true, force: true });
process.exit(code);
