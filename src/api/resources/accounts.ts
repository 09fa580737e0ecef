import { AccountParams, ListContactsQuery, SearchContactsQuery } from '../../core/schemas/inputs.ts';
import { GetAccountsOutput, ListContactsOutput, SearchContactsOutput } from '../../core/schemas/outputs.ts';
import { route } from '../route.ts';

export const accountRoutes = [
  route({
    method: 'GET',
    path: '/v1/accounts',
    operationId: 'getAccounts',
    tag: 'Accounts',
    summary: 'List accounts',
    description: 'The chat accounts on this server, with their connector and the owner\'s identity.',
    scope: 'read',
    response: { status: 200, schema: GetAccountsOutput },
    handler: ({ core }) => core.accounts.list(),
  }),
  route({
    method: 'GET',
    path: '/v1/accounts/{accountID}/contacts',
    operationId: 'searchContacts',
    tag: 'Contacts',
    summary: 'Search contacts',
    description: "Finds people on one account: its contacts by name, exact handles, phone numbers and emails, and the network's own search where it has one.",
    scope: 'read',
    params: AccountParams,
    query: SearchContactsQuery,
    response: { status: 200, schema: SearchContactsOutput },
    handler: ({ core, params, query }) => core.contacts.search(params.accountID, query.query),
  }),
  route({
    method: 'GET',
    path: '/v1/accounts/{accountID}/contacts/list',
    operationId: 'listContacts',
    tag: 'Contacts',
    summary: 'List contacts',
    description: "One account's contacts in alphabetical order, a page at a time; direction 'before' continues down the list.",
    scope: 'read',
    params: AccountParams,
    query: ListContactsQuery,
    response: { status: 200, schema: ListContactsOutput },
    handler: ({ core, params, query }) => core.contacts.list(params.accountID, query),
  }),
];
