// Accounts and their contacts: GET /v1/accounts, /v1/accounts/{id}/contacts/list
// (alphabetical, cursor-paged both ways) and /v1/accounts/{id}/contacts (search).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BeeperDesktop from '@beeper/desktop-api';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiError, codeOf } from '../helpers/expect.ts';

type User = BeeperDesktop.User;
type Account = BeeperDesktop.Account;

let s: TestServer;
let accounts: Account[];
/** Every contact of every account, as listed with the largest page. */
const contactsOf = new Map<string, User[]>();

/** Case- and accent-insensitive form (what "alphabetical" and the search ignore). */
const fold = (t: string) => t.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
const nameOf = (u: User) => u.fullName ?? u.username ?? u.phoneNumber ?? u.email ?? u.id;
const ids = (users: User[]) => users.map((u) => u.id);

async function allContacts(accountID: string, pageSize: number): Promise<{ items: User[]; pages: number }> {
  const items: User[] = [];
  let pages = 0;
  let page = await s.client.accounts.contacts.list(accountID, { limit: pageSize });
  for (;;) {
    pages++;
    items.push(...page.items);
    if (!page.hasMore) break;
    expect(page.oldestCursor).toBeTruthy();
    page = await s.client.accounts.contacts.list(accountID, { limit: pageSize, cursor: page.oldestCursor!, direction: 'before' });
  }
  return { items, pages };
}

beforeAll(async () => {
  s = await startTestServer();
  accounts = await s.client.accounts.list();
  for (const a of accounts) {
    const page = await s.client.accounts.contacts.list(a.accountID, { limit: 200 });
    expect(page.hasMore).toBe(false);
    contactsOf.set(a.accountID, page.items);
  }
});
afterAll(async () => s?.stop());

describe('accounts.list', () => {
  it('lists the four sandbox accounts with bridge, network and the owner', async () => {
    expect(accounts).toHaveLength(4);
    expect(new Set(accounts.map((a) => a.accountID)).size).toBe(4);
    expect(new Set(accounts.map((a) => a.network)).size).toBe(4);
    for (const a of accounts) {
      expect(a.accountID).toMatch(/^sandbox-/);
      expect(a.bridge).toEqual({ id: expect.any(String), type: expect.any(String), provider: expect.any(String) });
      expect(a.bridge.type).toBe('sandbox');
      expect(['cloud', 'self-hosted', 'local', 'platform-sdk']).toContain(a.bridge.provider);
      expect(a.network).toEqual(expect.any(String));
      expect(a.network!.length).toBeGreaterThan(0);
      expect(a.user.isSelf).toBe(true);
      expect(a.user.id).toMatch(/^@.+:.+/);
      expect(a.user.fullName).toEqual(expect.any(String));
    }
  });

  it('never lists the owner among the contacts', () => {
    for (const a of accounts) {
      const contacts = contactsOf.get(a.accountID)!;
      expect(contacts.length).toBeGreaterThan(0);
      expect(ids(contacts)).not.toContain(a.user.id);
      for (const u of contacts) expect(u.isSelf).toBe(false);
    }
  });
});

describe('contacts.list', () => {
  it('lists contacts in alphabetical order as a person sorts: case, accents and letters like Ł, Ø, Æ folded', () => {
    const collator = new Intl.Collator('en', { sensitivity: 'base' });
    for (const a of accounts) {
      const names = contactsOf.get(a.accountID)!.map(nameOf);
      expect(names, a.accountID).toEqual([...names].sort(collator.compare));
    }
  });

  it('returns 50 contacts by default, with hasMore when there are more', async () => {
    // The demo accounts have fewer than 50 contacts: give one account 60 more.
    const accountID = accounts[0]!.accountID;
    const account = (await s.running.core.repo.getAccount(accountID))!;
    const host = account.selfUserID.split(':')[1];
    await s.running.core.ingest.users(
      account,
      Array.from({ length: 60 }, (_, i) => ({ id: `@bulk${i}:${host}`, fullName: `Bulk Contact ${String(i).padStart(2, '0')}`, isContact: true })),
    );
    const all = (await s.client.accounts.contacts.list(accountID, { limit: 200 })).items;
    expect(all.length).toBeGreaterThan(60);
    contactsOf.set(accountID, all);

    const page = await s.client.accounts.contacts.list(accountID);
    expect(page.items).toHaveLength(50);
    expect(page.hasMore).toBe(true);
    expect(ids(page.items)).toEqual(ids(all.slice(0, 50)));
  });

  it('honours limit 1 to 200 and rejects 0 and 201 with 400', async () => {
    const accountID = accounts[0]!.accountID;
    const all = contactsOf.get(accountID)!;
    const one = await s.client.accounts.contacts.list(accountID, { limit: 1 });
    expect(ids(one.items)).toEqual([all[0]!.id]);
    expect(one.hasMore).toBe(true);
    const max = await s.client.accounts.contacts.list(accountID, { limit: 200 });
    expect(ids(max.items)).toEqual(ids(all));
    for (const limit of [0, 201, -1]) {
      const err = await apiError(s.client.accounts.contacts.list(accountID, { limit }));
      expect(err.status).toBe(400);
    }
  });

  it("pages through every contact with cursor and direction 'before', without duplicates or gaps", async () => {
    for (const a of accounts) {
      const expected = contactsOf.get(a.accountID)!;
      const { items, pages } = await allContacts(a.accountID, 7);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(ids(items)).size).toBe(items.length);
      expect(ids(items)).toEqual(ids(expected));
    }
  });

  it('pages through the SDK iterator the same way', async () => {
    const accountID = accounts[1]!.accountID;
    const seen: User[] = [];
    for await (const u of s.client.accounts.contacts.list(accountID, { limit: 5 })) seen.push(u);
    expect(ids(seen)).toEqual(ids(contactsOf.get(accountID)!));
  });

  it("walks back up the list with direction 'after'", async () => {
    const accountID = accounts[1]!.accountID;
    const first = await s.client.accounts.contacts.list(accountID, { limit: 6 });
    const second = await s.client.accounts.contacts.list(accountID, { limit: 6, cursor: first.oldestCursor!, direction: 'before' });
    expect(second.items.length).toBeGreaterThan(0);
    expect(ids(second.items).some((id) => ids(first.items).includes(id))).toBe(false);
    const back = await s.client.accounts.contacts.list(accountID, { limit: 6, cursor: second.newestCursor!, direction: 'after' });
    expect(ids(back.items)).toEqual(ids(first.items));
    expect(back.hasMore).toBe(false);
  });

  it('filters by query (every word, case and accents ignored)', async () => {
    for (const a of accounts) {
      const contacts = contactsOf.get(a.accountID)!;
      // A contact whose name carries an accent, searched for without it.
      const target = contacts.find((u) => u.fullName && fold(u.fullName) !== u.fullName.toLowerCase()) ?? contacts[0]!;
      const lastName = target.fullName!.split(' ').at(-1)!;
      const query = fold(lastName).toUpperCase();
      const page = await s.client.accounts.contacts.list(a.accountID, { query, limit: 200 });
      expect(ids(page.items)).toContain(target.id);
      const expected = contacts.filter((u) => fold([u.fullName, u.username, u.phoneNumber, u.email].filter(Boolean).join(' ')).includes(fold(lastName)));
      expect(ids(page.items).sort()).toEqual(ids(expected).sort());
      const both = await s.client.accounts.contacts.list(a.accountID, { query: `${fold(lastName)} ${fold(target.fullName!.split(' ')[0]!)}`, limit: 200 });
      expect(ids(both.items)).toContain(target.id);
      for (const u of both.items) expect(fold(nameOf(u))).toContain(fold(lastName));
    }
    const none = await s.client.accounts.contacts.list(accounts[0]!.accountID, { query: 'zzqqxxnobody' });
    expect(none.items).toEqual([]);
    expect(none.hasMore).toBe(false);
  });

  it('answers 404 for an unknown account', async () => {
    const err = await apiError(s.client.accounts.contacts.list('no-such-account'));
    expect(err.status).toBe(404);
    expect(codeOf(err)).toBe('ACCOUNT_NOT_FOUND');
  });
});

describe('contacts.search', () => {
  it('finds a contact by name, ignoring case and accents', async () => {
    for (const a of accounts) {
      const contacts = contactsOf.get(a.accountID)!;
      const target = contacts.find((u) => u.fullName && fold(u.fullName) !== u.fullName.toLowerCase()) ?? contacts[0]!;
      const { items } = await s.client.accounts.contacts.search(a.accountID, { query: fold(target.fullName!).toUpperCase() });
      expect(ids(items)).toContain(target.id);
      for (const u of items) expect(u.isSelf).toBe(false);
    }
  });

  it('finds a name with letters that have no Unicode decomposition (Ł, Ø) by its plain spelling', async () => {
    const accountID = accounts[2]!.accountID;
    const account = (await s.running.core.repo.getAccount(accountID))!;
    const host = account.selfUserID.split(':')[1];
    const id = `@stroke-letters:${host}`;
    await s.running.core.ingest.users(account, [{ id, fullName: 'Łucja Søndergård', isContact: true }]);
    // The exact spelling works …
    expect(ids((await s.client.accounts.contacts.search(accountID, { query: 'łucja' })).items)).toContain(id);
    // … and so should the spelling without the marks, as it does for "Søndergård" → "å".
    expect(ids((await s.client.accounts.contacts.search(accountID, { query: 'søndergard' })).items)).toContain(id);
    expect(ids((await s.client.accounts.contacts.search(accountID, { query: 'lucja' })).items), '"lucja" finds "Łucja"').toContain(id);
    expect(ids((await s.client.accounts.contacts.search(accountID, { query: 'sondergard' })).items), '"sondergard" finds "Søndergård"').toContain(id);
  });

  it('finds a contact by the digits of their phone number and by the number as written', async () => {
    let checked = 0;
    for (const a of accounts) {
      const target = contactsOf.get(a.accountID)!.find((u) => u.phoneNumber);
      if (!target) continue;
      checked++;
      const digits = target.phoneNumber!.replace(/\D/g, '');
      const byDigits = await s.client.accounts.contacts.search(a.accountID, { query: digits });
      expect(ids(byDigits.items)).toContain(target.id);
      expect(byDigits.items.every((u) => u.phoneNumber?.replace(/\D/g, '').includes(digits))).toBe(true);
      const asWritten = await s.client.accounts.contacts.search(a.accountID, { query: target.phoneNumber! });
      expect(ids(asWritten.items)).toContain(target.id);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('finds a contact by email', async () => {
    const found = accounts.flatMap((a) => contactsOf.get(a.accountID)!.filter((u) => u.email).map((u) => ({ accountID: a.accountID, u })));
    expect(found.length).toBeGreaterThan(0);
    const { accountID, u } = found[0]!;
    const { items } = await s.client.accounts.contacts.search(accountID, { query: u.email! });
    expect(ids(items)).toContain(u.id);
    const upper = await s.client.accounts.contacts.search(accountID, { query: u.email!.toUpperCase() });
    expect(ids(upper.items)).toContain(u.id);
  });

  it('requires a query: missing or empty is 400', async () => {
    const accountID = accounts[0]!.accountID;
    const empty = await apiError(s.client.accounts.contacts.search(accountID, { query: '' }));
    expect(empty.status).toBe(400);
    expect(codeOf(empty)).toBe('VALIDATION_ERROR');
    const missing = await s.fetch(`/v1/accounts/${encodeURIComponent(accountID)}/contacts`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { code: string }).code).toBe('VALIDATION_ERROR');
  });

  it('answers 404 for an unknown account', async () => {
    const err = await apiError(s.client.accounts.contacts.search('no-such-account', { query: 'a' }));
    expect(err.status).toBe(404);
    expect(codeOf(err)).toBe('ACCOUNT_NOT_FOUND');
  });
});
