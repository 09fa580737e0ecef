// Creating the sandbox accounts: part of the composition root, because it joins
// the sandbox network (which knows its profiles) with core (which stores accounts).
import type { Core } from '../core/core.ts';
import { userID } from '../core/ids.ts';
import { sandboxAccount } from '../networks/sandbox/connector.ts';
import { DEFAULT_DEMO_PROFILES, type ProfileKey } from '../networks/sandbox/profiles.ts';

/** Adds one sandbox account per profile (their demo inbox is written when each connects). */
export async function addSandboxAccounts(core: Core, seed: number, start: boolean, profiles: ProfileKey[] = DEFAULT_DEMO_PROFILES): Promise<string[]> {
  const now = Date.now();
  const ids: string[] = [];
  for (const key of profiles) {
    const a = sandboxAccount(key, seed, now);
    await core.accounts.add(
      { id: a.id, connector: a.connector, network: a.network, bridgeId: a.bridgeId, bridgeType: a.bridgeType, provider: a.provider, host: a.host, selfUserID: userID(a.selfLocalpart, a.host), config: a.config, createdAt: now },
      a.self,
      start,
    );
    ids.push(a.id);
  }
  return ids;
}
