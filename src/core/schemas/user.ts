import * as z from 'zod';

export const User = z
  .object({
    id: z.string().describe('Stable Matrix-style user ID (@localpart:host). Use it to refer to this person.'),
    username: z.string().optional().describe('Handle on the network, when it has one.'),
    phoneNumber: z.string().optional().describe('Phone number in E.164 form, when known.'),
    email: z.string().optional().describe('Email address, when known; not necessarily verified.'),
    fullName: z.string().optional().describe('Name as clients display it.'),
    imgURL: z.string().optional().describe('Avatar URL (mxc://, file:// or remote), when there is one.'),
    cannotMessage: z.boolean().optional().describe('True when a new conversation with this person cannot be started from here.'),
    isSelf: z.boolean().optional().describe('True for the account owner.'),
  })
  .meta({ id: 'User', description: 'A person on a chat network.' });
export type User = z.infer<typeof User>;

export const Participant = User.extend({
  isAdmin: z.boolean().optional().describe('True when this member administers the chat.'),
  isPending: z.boolean().optional().describe('True when invited but not yet joined.'),
  isNetworkBot: z.boolean().optional().describe('True for a bot run by the network or bridge.'),
}).meta({ id: 'Participant', description: 'A member of a chat.' });
export type Participant = z.infer<typeof Participant>;

export const Bridge = z
  .object({
    id: z.string().describe('Identifier of the connector instance serving the account.'),
    type: z.string().describe('Kind of connector, e.g. whatsapp, xmpp, sandbox.'),
    provider: z.enum(['cloud', 'self-hosted', 'local', 'platform-sdk']).describe('Where the connector runs.'),
  })
  .meta({ id: 'Bridge', description: 'The connector behind an account.' });

export const Account = z
  .object({
    accountID: z.string().describe('Account ID; routes and filters that act on one account take it.'),
    bridge: Bridge,
    network: z.string().optional().describe('Name of the network, e.g. WhatsApp.'),
    user: User,
    connection: z
      .object({
        state: z.enum(['connecting', 'connected', 'bad-credentials', 'transient-disconnect', 'disconnected', 'offline']),
        message: z.string().optional(),
      })
      .optional()
      .describe("Switchboard extension: how the account's connector stands ('offline': no connector is running for it)."),
  })
  .meta({ id: 'Account', description: 'A chat account connected to this server.' });
export type Account = z.infer<typeof Account>;
