// Identifier minting. IDs are derived from what the network calls a thing, so
// the same chat or message always gets the same ID, across restarts and re-syncs.
import { hash, randomBytes } from 'node:crypto';

// One-shot hashing: a message ID is minted for every message ingested.
const digest = (...parts: string[]) => hash('sha256', parts.join('\u0000'), 'base64url');

/** Matrix-style room ID: !opaque:host. */
export function chatID(accountID: string, remoteChatID: string, host: string): string {
  return `!${digest('chat', accountID, remoteChatID).slice(0, 22)}:${host}`;
}

/** Matrix-style event ID for a message the network knows by remoteID. */
export function messageID(chatID: string, remoteMessageID: string): string {
  return `$${digest('message', chatID, remoteMessageID).slice(0, 27)}`;
}

/** Matrix-style user ID: @localpart:host; other characters (and '=', the escape) become =xx, so distinct names stay distinct. */
export function userID(localpart: string, host: string): string {
  const safe = localpart.toLowerCase().replace(/[^a-z0-9._\-/]/g, (ch) => `=${ch.codePointAt(0)!.toString(16).padStart(2, '0')}`);
  return `@${safe}:${host}`;
}

export const pendingMessageID = () => `pending-${randomBytes(12).toString('base64url')}`;
export const transactionID = () => `txn-${randomBytes(12).toString('base64url')}`;
export const uploadID = () => `upload-${randomBytes(16).toString('hex')}`;
export const opaqueID = (bytes = 16) => randomBytes(bytes).toString('base64url');
