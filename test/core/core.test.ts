// Core's account lifecycle with a connector that loads its client's code
// asynchronously (as the XMPP connector does): a stop that comes while the code
// loads must cancel the start, not leave a client running for a removed account.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.ts';
import { openSqliteRepository } from '../../src/store/sqlite/repository.ts';
import type { NetworkClient, NetworkConnector } from '../../src/networks/connector.ts';
import type { AccountRecord } from '../../src/store/records.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A connector whose create() waits for release(), counting connects. */
function slowConnector() {
  let release!: () => void;
  const loaded = new Promise<void>((r) => (release = r));
  const counts = { created: 0, connected: 0 };
  const client: NetworkClient = {
    connect: async () => void counts.connected++,
    disconnect: async () => {},
    capabilities: () => ({}) as never,
    sendMessage: async () => ({ remoteID: 'x' }) as never,
  };
  const connector: NetworkConnector = {
    type: 'slow',
    create: async () => {
      await loaded;
      counts.created++;
      return client;
    },
  };
  return { connector, release, counts };
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-core-'));
  dirs.push(dir);
  const repo = openSqliteRepository(join(dir, 'switchboard.db'));
  const slow = slowConnector();
  const core = new Core({ repo, dataDir: dir, log: pino({ level: 'silent' }), connectors: [slow.connector] });
  const account: AccountRecord = {
    id: 'slowacct', connector: 'slow', network: 'Slow', bridgeId: 'slow', bridgeType: 'slow', provider: 'local',
    host: 'slow.localhost', selfUserID: '@me:slow.localhost', config: {}, createdAt: Date.now(),
  };
  await repo.putAccount(account);
  return { core, repo, slow, account };
}

describe('Core account lifecycle', () => {
  it('connects the client once its code has loaded', async () => {
    const { core, repo, slow, account } = await setup();
    const started = core.startAccount(account);
    expect(core.hasClient(account.id)).toBe(false);
    slow.release();
    await started;
    expect(slow.counts).toEqual({ created: 1, connected: 1 });
    expect(core.hasClient(account.id)).toBe(true);
    await core.stopAccount(account.id);
    repo.close();
  });

  it('a stop while the client code loads cancels the start', async () => {
    const { core, repo, slow, account } = await setup();
    const started = core.startAccount(account);
    await core.stopAccount(account.id);
    slow.release();
    await started;
    expect(slow.counts).toEqual({ created: 1, connected: 0 });
    expect(core.hasClient(account.id)).toBe(false);
    repo.close();
  });
});

describe('Ingest: the user reading elsewhere', () => {
  it('a read from the network moves the marker and clears a chat marked unread; a chat not marked stays as it was', async () => {
    const { core, repo, account } = await setup();
    const apply = (e: Parameters<Core['ingest']['apply']>[1]) => core.ingest.apply(account, e);
    for (const remoteID of ['marked', 'plain']) {
      await apply({ type: 'chat', chat: { remoteID, type: 'single', participants: [{ id: '@ann:slow.localhost', fullName: 'Ann' }] } });
      await apply({ type: 'messages', chatRemoteID: remoteID, messages: [1, 2, 3].map((i) => ({ remoteID: `m${i}`, senderID: '@ann:slow.localhost', timestamp: 1_700_000_000_000 + i, text: `hi ${i}` })) });
    }
    const marked = (await repo.getChatByRemoteID(account.id, 'marked'))!;
    await repo.updateChatState(marked.localID, { isMarkedUnread: true });
    for (const remoteID of ['marked', 'plain']) {
      const before = (await repo.getChatByRemoteID(account.id, remoteID))!;
      expect(before.unreadCount).toBe(3);
      await apply({ type: 'read', chatRemoteID: remoteID, upToRemoteID: 'm2' });
      const after = (await repo.getChatByRemoteID(account.id, remoteID))!;
      expect(after).toMatchObject({ unreadCount: 1, isMarkedUnread: false });
      expect(after.version).toBeGreaterThan(before.version);
    }
    repo.close();
  });
});
