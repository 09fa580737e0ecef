// The benchmark harness in smoke mode (a 2k-message store, half-second loads), run
// as `npm run bench -- --smoke` would, so the harness cannot rot unnoticed. Only
// the report's structure is checked: numbers exist, not what they are.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport, type Report } from '../../bench/report.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'switchboard-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const SQLITE_LIBRARY = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'sqlite3.a');
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const ENDPOINTS = [
  'info',
  'chats.list',
  'chats.list.deep',
  'chats.get',
  'messages.list',
  'messages.list.deep',
  'search.common',
  'search.rare',
  'search.multi',
  'search.filtered',
  'search.unified',
  'messages.send',
];

function runSmoke(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--quiet', '--out', out], { cwd: ROOT, timeout: 170_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe('npm run bench -- --smoke', () => {
  it('writes a JSON, Markdown and SVG report with every section filled in', { timeout: 180_000 }, async () => {
    const { stdout } = await runSmoke();
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    const md = files.find((f) => f.endsWith('.md') && f !== 'latest.md');
    const svg = files.find((f) => f.endsWith('.svg'));
    expect(json && md && svg, `report files in ${files.join(', ')}`).toBeTruthy();
    expect(files).toContain('latest.md');
    expect(stdout).toContain(join(out, md!));

    const r = JSON.parse(readFileSync(join(out, json!), 'utf8')) as Report;
    expect(r.mode).toBe('smoke');
    expect(r.machine.cpuModel).toBeTruthy();
    expect(isNumber(r.machine.cores) && isNumber(r.machine.loadAverageBefore[0])).toBe(true);
    expect(r.machine.node).toMatch(/^v\d+/);

    expect(r.sizes.map((s) => s.label)).toEqual(['2k']);
    for (const s of r.sizes) {
      expect(s.messages).toBeGreaterThan(0);
      for (const v of [s.storage.dbBytes, s.storage.bytesPer1M, s.server.coldStart.infoMs, s.server.coldStart.searchMs]) expect(isNumber(v)).toBe(true);
      if (process.platform === 'linux') expect(isNumber(s.server.rssIdleBytes) && isNumber(s.server.rssLoadMaxBytes)).toBe(true);
    }

    expect(r.endpoints.map((e) => e.id).sort()).toEqual([...ENDPOINTS].sort());
    // The framework ceiling is measured for /v1/info, at every size, and only there.
    for (const e of r.endpoints) expect(e.framework !== undefined, e.id).toBe(e.id === 'info');
    for (const e of r.endpoints.filter((x) => x.framework)) expect(e.framework!.rps).toBeGreaterThan(0);
    for (const e of r.endpoints) {
      expect(e.status, e.id).toBeLessThan(300);
      expect(e.responseBytes, e.id).toBeGreaterThan(0);
      for (const run of [e.load, e.latency, e.baseline]) {
        expect(run.requests, e.id).toBeGreaterThan(0);
        for (const v of [run.rps, run.p50, run.p99, run.p999]) expect(isNumber(v), e.id).toBe(true);
      }
      expect(isNumber(e.ratios.throughputVsBare), e.id).toBe(true);
      if (e.id === 'info') expect(e.floor).toBeNull();
      else {
        expect(e.floor!.iterations, e.id).toBeGreaterThan(0);
        for (const v of [e.floor!.p50, e.floor!.p99, e.floor!.primary.p50, e.ratios.latencyVsFloor]) expect(isNumber(v), e.id).toBe(true);
      }
    }
    const send = r.endpoints.find((e) => e.id === 'messages.send')!;
    expect(send.timeToSuccess!.samples).toBeGreaterThan(0);
    expect(isNumber(send.timeToSuccess!.p50) && isNumber(send.timeToSuccess!.p99)).toBe(true);

    expect(r.live.levels.map((l) => l.clients)).toEqual([1, 5]);
    for (const l of r.live.levels) expect(l.sends > 0 && isNumber(l.p50) && isNumber(l.p99)).toBe(true);
    expect(r.ingest.rate).toBeGreaterThan(0);
    // The floor replays every message of the generated store: the corpus and the demo inbox.
    const generated = r.ingest.fresh?.messages ?? r.ingest.builds.at(-1)!.messages;
    expect(r.ingest.floor.messages).toBeGreaterThanOrEqual(generated);
    expect(r.ingest.floor.messagesPerSecond).toBeGreaterThan(0);
    // The C floor needs the static SQLite of a better-sqlite3 built from source (as npm ci
    // builds it here, with no prebuilt binary to download) and a C compiler.
    const c = r.ingest.cFloor!;
    if (existsSync(SQLITE_LIBRARY)) {
      expect('skipped' in c ? c.skipped : '').toBe('');
      expect(!('skipped' in c) && c.messages).toBe(r.ingest.floor.messages);
      expect(!('skipped' in c) && c.messagesPerSecond).toBeGreaterThan(0);
    } else expect('skipped' in c && c.skipped).toMatch(/prebuilt/);

    expect(r.targets.length).toBeGreaterThanOrEqual(12);
    for (const t of r.targets) {
      expect(t.target && t.measured, t.id).toBeTruthy();
      expect([true, false, null]).toContain(t.pass);
    }

    const text = readFileSync(join(out, md!), 'utf8');
    expect(text).toMatch(/floor: the same [\d,]+ messages replayed/);
    expect(text).toMatch(/floor in C: (the same replay by SQLite's C API.*: [\d,]+ messages\/s|not measured)/);
    expect(text).toMatch(/\*\*Framework ceiling\*\* .*a minimal Fastify app [\d,]+ req\/s/);
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toBe(text);
    expect(text.split('\n')[0]).toMatch(/^# Switchboard benchmark/);
    expect(text).toMatch(/\| Target \| Measured \| Result \|/);
    expect(text).toMatch(/\*\*(PASS|FAIL)\*\*/);
    for (const heading of ['## Machine and run', '## Endpoints', '## Live events', '## Ingest', '## Footprint']) expect(text).toContain(heading);
    expect(text).toContain(`](${svg})`);
    const chart = readFileSync(join(out, svg!), 'utf8');
    expect(chart).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(chart).toContain('<circle');
    expect(chart.trim().endsWith('</svg>')).toBe(true);

    // A second report of the same commit on the same day is kept beside the first.
    const again = writeReport(r, out);
    const second = md!.replace(/\.md$/, '-2');
    expect(again.markdown).toBe(join(out, `${second}.md`));
    expect(readFileSync(join(out, md!), 'utf8')).toBe(text);
    expect(readFileSync(again.markdown, 'utf8')).toContain(`](${second}.svg)`);
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toBe(readFileSync(again.markdown, 'utf8'));
    expect(readdirSync(out).filter((f) => f.startsWith(second)).sort()).toEqual([`${second}.json`, `${second}.md`, `${second}.svg`]);
  });
});
