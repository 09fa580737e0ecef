// Adding and removing XMPP accounts: part of the composition root, because it joins
// the XMPP network (login check, password file) with core (which stores accounts).
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Core } from '../core/core.ts';
import { userID } from '../core/ids.ts';
import type { AccountRecord, JsonObject } from '../store/records.ts';
import { accountIDFor, passwordFile, writePassword, type XmppAccountConfig } from '../networks/xmpp/account.ts';
import { isValidBareJid, parseJid } from '../networks/xmpp/jid.ts';
import { verifyLogin, type TlsMode } from '../networks/xmpp/session.ts';

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
