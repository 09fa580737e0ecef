// JIDs, and how they map to the API's Matrix-style IDs.
//
// User IDs. An account's user IDs all carry the host of the account's own JID
// (alice@example.org → host "example.org"); their localpart names the JID:
//   - a JID on the account's own domain is its node:   bob@example.org   → @bob:example.org
//   - a JID on another domain is the whole bare JID:   bob@jabber.de     → @bob=40jabber.de:example.org
//   - a domain-only JID (a service, a bot host):        news.example.org  → @=40news.example.org:example.org
//   - a MUC occupant whose real JID is hidden: its occupant JID
//                                     room@conference.example.org/Bob → @room=40conference.example.org/bob:example.org
// ('@' and other characters outside [a-z0-9._-/] are escaped as =xx by core, so the
// mapping can be reversed for ASCII JIDs; the connector remembers the others.) Chat remote IDs are bare JIDs: the peer's for a
// one-to-one chat, the room's for a group chat.

export interface ParsedJid {
  local: string;
  domain: string;
  resource: string;
}

/** Splits a JID; local and domain are lower-cased (they are case-insensitive), the resource is kept. */
export function parseJid(value: string): ParsedJid {
  const slash = value.indexOf('/');
  const bareText = slash === -1 ? value : value.slice(0, slash);
  const resource = slash === -1 ? '' : value.slice(slash + 1);
  const at = bareText.lastIndexOf('@');
  const local = at === -1 ? '' : bareText.slice(0, at);
  const domain = at === -1 ? bareText : bareText.slice(at + 1);
  return { local: local.toLowerCase(), domain: domain.toLowerCase().replace(/\.$/, ''), resource };
}

export const bareOf = (value: string | undefined): string => {
  if (!value) return '';
  const j = parseJid(value);
  return j.local ? `${j.local}@${j.domain}` : j.domain;
};

export const resourceOf = (value: string | undefined): string => (value ? parseJid(value).resource : '');

export function isValidBareJid(value: string): boolean {
  const j = parseJid(value);
  return !!j.domain && !j.resource && /^[^\s@/"&'<>:]*$/.test(j.local) && /^[a-z0-9.-]+$/i.test(j.domain) && j.local.length <= 1023;
}

/** The user ID localpart for a JID (see the header). */
export function localpartFor(jid: string, accountDomain: string): string {
  const j = parseJid(jid);
  const bare = j.local ? `${j.local}@${j.domain}` : `@${j.domain}`;
  const base = j.local && j.domain === accountDomain ? j.local : bare;
  return j.resource ? `${bare}/${j.resource}` : base;
}

/** Reverses a user ID made by `localpartFor` + core's userID(); undefined when it is not one. */
export function jidFromUserID(userID: string, accountDomain: string): string | undefined {
  const m = /^@(.+):([^:]+)$/.exec(userID);
  if (!m || m[2]!.toLowerCase() !== accountDomain) return undefined;
  // Core escapes with a variable number of hex digits, so only ASCII (two digits)
  // reverses unambiguously; the connector remembers the JIDs it has seen for the rest.
  const local = m[1]!.replace(/=([0-7][0-9a-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (local.startsWith('@')) return local.slice(1);
  return local.includes('@') ? local : `${local}@${accountDomain}`;
}
