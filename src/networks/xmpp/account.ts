// XMPP accounts: what is stored for one, and its password, which never goes into
// the database but into a 0600 file in the data directory.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsMode } from './session.ts';

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

