// When the whole suite runs (scripts/test.sh without arguments), checks at the end
// that every operation of the Beeper Desktop API was answered successfully at
// least once through the tests' validating SDK client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeTable } from '../src/api/server.ts';
import { COVERAGE_FILE_ENV, recordedOperations } from './helpers/coverage.ts';

export default function setup() {
  if (process.env.SWITCHBOARD_REQUIRE_ALL_OPERATIONS !== '1') return;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ops-'));
  const file = join(dir, 'operations.log');
  process.env[COVERAGE_FILE_ENV] = file;
  return () => {
    const seen = recordedOperations(file);
    rmSync(dir, { recursive: true, force: true });
    const routes = routeTable({ info: () => ({}) as never, spec: () => ({}) }).filter((r) => r.path.startsWith('/v1/') && r.operationId !== 'getSpec');
    const missing = routes.map((r) => `${r.method} ${r.path}`).filter((op) => !seen.has(op));
    if (missing.length) throw new Error(`These operations were never answered with success in the tests:\n  ${missing.join('\n  ')}`);
    process.stdout.write(`\nAll ${routes.length} API operations were answered successfully through the SDK-driven tests.\n`);
  };
}
