import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** --data-dir, else $XDG_DATA_HOME/switchboard, else ~/.local/share/switchboard. */
export function resolveDataDir(flag?: string): string {
  const dir = flag ? resolve(flag) : join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'switchboard');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const databaseFile = (dataDir: string) => join(dataDir, 'switchboard.db');
