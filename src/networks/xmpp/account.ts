// XMPP accounts: what is stored for one (never the password: that lives in a
// 0600 file in the data directory), and adding or removing one.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Core } from '../../core/core.ts';
import { userID } from '../../core/ids.ts';
import type { AccountRecord, JsonObject } from '../../store/records.ts';
import { isValidBareJid, parseJid } from './jid.ts';
import { verifyLogin, type TlsMode } from './session.ts';

export interface XmppAccountConfig {
  jid: string;
  host?: string;
  port?: number;
  tls: TlsMode;
  /** This server's XMPP resource, fixed per account. */
  resource: string;
}

export const secretsDir = (dataDir: string) => join(dataDir, 'secrets');
export const passwordFile = (dataDir: string, accountID: string) => join(secretsDir(dataDir), `${accountID}.password`);

export function readPassword(dataDir: string, accountID: string): string {
  return readFileSync(passwordFile(dataDir, accountID), 'utf8').replace(/\r?\n$/, '');
}

/** Writes the password file (0600, in a 0700 directory) without ever logging it. */
export function writePassword(dataDir: string, accountID: string, password: string): void {
  mkdirSync(secretsDir(dataDir), { recursive: true, mode: 0o700 });
  chmodSync(secretsDir(dataDir), 0o700);
  const file = passwordFile(dataDir, accountID);
  writeFileSync(file, password, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export const accountIDFor = (bareJid: string) => `xmpp-${bareJid.replace(/[^a-z0-9]+/gi, '-')}`;

export interface AddXmppAccount {
  jid: string;
  password: string;
  host?: string;
  port?: number;
  tls: TlsMode;
}

/**
 * Signs in once with the credentials, then stores the account and its password.
 * Throws (and writes nothing) when the JID is malformed, the account exists, or
 * the login fails.
 */
export async function addXmppAccount(core: Core, req: AddXmppAccount, opts: { start?: boolean; verifyTimeoutMs?: number } = {}): Promise<AccountRecord> {
  const j = parseJid(req.jid.trim());
  const bare = j.local ? `${j.local}@${j.domain}` : '';
  if (!bare || !isValidBareJid(bare)) throw new Error(`"${req.jid}" is not a JID of the form name@server.`);
  if (!req.password) throw new Error('The password is empty.');
  const id = accountIDFor(bare);
  if (await core.repo.getAccount(id)) throw new Error(`The XMPP account ${bare} is already added (account ID ${id}).`);
  await verifyLogin({ jid: bare, password: req.password, host: req.host, port: req.port, tls: req.tls }, opts.verifyTimeoutMs);
  const config: XmppAccountConfig = { jid: bare, tls: req.tls, resource: `switchboard-${randomBytes(4).toString('hex')}` };
  if (req.host) config.host = req.host;
  if (req.port) config.port = req.port;
  const record: AccountRecord = {
    id,
    connector: 'xmpp',
    network: 'XMPP',
    bridgeId: 'xmpp',
    bridgeType: 'xmpp',
    provider: 'self-hosted',
    host: j.domain,
    selfUserID: userID(j.local, j.domain),
    config: config as unknown as JsonObject,
    createdAt: Date.now(),
  };
  writePassword(core.dataDir, id, req.password);
  try {
    await core.accounts.add(record, { fullName: j.local, username: bare }, opts.start ?? false);
  } catch (err) {
    rmSync(passwordFile(core.dataDir, id), { force: true });
    throw err;
  }
  return record;
}

/** Deletes an account (any connector) and, for XMPP ones, its password file. */
export async function removeAccount(core: Core, accountID: string): Promise<AccountRecord> {
  const account = await core.account(accountID);
  await core.accounts.remove(accountID);
  rmSync(passwordFile(core.dataDir, accountID), { force: true });
  return account;
}
