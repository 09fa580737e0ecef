// Option parsers and helpers shared by the command modules.
import { InvalidArgumentError, Option } from 'commander';
import { openStore } from './open-store.ts';
import { Core } from '../core/core.ts';
import { SCOPES, type Scope } from '../core/services/tokens.ts';
import { createLogger } from './log.ts';
import { resolveDataDir } from './paths.ts';
import { DEFAULT_DEMO_PROFILES, SANDBOX_PROFILES, type ProfileKey } from '../networks/sandbox/profiles.ts';

export const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
};
export const integer = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
};
export const scopes = (v: string): Scope[] => {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((s) => !SCOPES.includes(s as Scope));
  if (bad.length || !list.length) throw new InvalidArgumentError(`scopes are a comma-separated list of: ${SCOPES.join(', ')}`);
  return [...new Set(list)] as Scope[];
};
/** "signal,discord" or "all" → sandbox profiles. */
const sandboxNetworks = (v: string): ProfileKey[] => {
  const all = Object.keys(SANDBOX_PROFILES) as ProfileKey[];
  if (v.trim() === 'all') return all;
  const list = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = list.filter((s) => !all.includes(s as ProfileKey));
  if (bad.length || !list.length) throw new InvalidArgumentError(`sandbox networks are "all" or a comma-separated list of: ${all.join(', ')}`);
  return [...new Set(list)] as ProfileKey[];
};
export const sandboxNetworksOption = () =>
  new Option('--sandbox-networks <list>', 'simulated networks made on a first run and on reset: "all" or a list of imessage, whatsapp, signal, telegram, slack, discord')
    .argParser(sandboxNetworks)
    .default(DEFAULT_DEMO_PROFILES, 'imessage,whatsapp,signal,telegram');
export const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (default: $XDG_DATA_HOME/switchboard or ~/.local/share/switchboard)');

/** A core over the data directory without connectors, for offline commands. */
export async function withCore<T>(dataDir: string | undefined, fn: (core: Core) => Promise<T>): Promise<T> {
  const dir = resolveDataDir(dataDir);
  const log = createLogger('warn');
  const repo = openStore(dir, log);
  try {
    return await fn(new Core({ repo, dataDir: dir, log, connectors: [] }));
  } finally {
    repo.close();
  }
}

