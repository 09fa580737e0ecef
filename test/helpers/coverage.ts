// Records which documented operations the SDK-driven tests answered with success,
// so the suite can prove that every operation of the contract was exercised.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export const COVERAGE_FILE_ENV = 'SWITCHBOARD_OPERATIONS_LOG';

export function recordOperation(method: string, template: string, status: number): void {
  const file = process.env[COVERAGE_FILE_ENV];
  if (file && status >= 200 && status < 300) appendFileSync(file, `${method.toUpperCase()} ${template}\n`);
}

export function recordedOperations(file: string): Set<string> {
  return new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
}
