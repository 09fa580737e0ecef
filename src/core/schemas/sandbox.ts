// The sandbox control API: what tests and the `switchboard sandbox` commands send
// to script the simulated networks. Outside the Beeper paths (/sandbox/v1/…).
import * as z from 'zod';
import { Timestamp } from './common.ts';
import { Chat } from './chat.ts';
import { Message } from './message.ts';

const userID = z.string().min(1).describe('User ID of a person on the account (@localpart:host).');
const messageID = z.string().min(1).describe('ID of a message in the chat.');

export const SandboxChatParams = z.object({ chatID: z.string().min(1).describe('Chat ID or local chat ID.') });
export const SandboxAccountParams = z.object({ accountID: z.string().min(1).describe('ID of a sandbox account.') });
export const SandboxPersonParams = SandboxAccountParams.extend({ userID });

const SimulatedFile = z
  .strictObject({
    base64: z.string().min(1).describe('File content, base64-encoded.'),
    fileName: z.string().min(1),
    mimeType: z.string().min(1).optional().describe('Detected from the content when absent.'),
  })
  .meta({ id: 'SandboxFile' });

export const IncomingBody = z
  .strictObject({
    senderID: userID.optional().describe('Who sends it (a member of the chat); default: the other person, or the first member of a group.'),
    text: z.string().min(1).optional().describe('Plain text of the message.'),
    attachment: SimulatedFile.optional(),
    replyToMessageID: messageID.optional(),
    timestamp: Timestamp.optional().describe('When it was sent; an older time makes it arrive out of order.'),
  })
  .meta({ id: 'SandboxIncoming' });
export type IncomingBody = z.infer<typeof IncomingBody>;

export const StrangerBody = z
  .strictObject({
    fullName: z.string().trim().min(1).max(200).optional().describe('Their name (default: a generated one).'),
    text: z.string().min(1).optional().describe('Plain text of their first message.'),
    attachment: SimulatedFile.optional(),
  })
  .meta({ id: 'SandboxStranger' });
export type StrangerBody = z.infer<typeof StrangerBody>;

export const IncomingReactionBody = z.strictObject({
  messageID,
  reactionKey: z.string().min(1),
  senderID: userID.optional(),
  remove: z.boolean().optional().describe('Take the reaction back instead.'),
});
export const IncomingEditBody = z.strictObject({ messageID, text: z.string().min(1) });
export const IncomingDeleteBody = z.strictObject({ messageID });
export const ReceiptBody = z.strictObject({ userID: userID.optional(), messageID: messageID.optional().describe('Read up to here (default: the latest message).') });
export const TypingBody = z.strictObject({ userID: userID.optional() });
export const MembershipBody = z.strictObject({ userID, action: z.enum(['join', 'leave']) });
export const FocusBody = z.strictObject({ focused: z.boolean().describe('Focus (do not disturb) on or off.') });
export const ScriptedSend = z
  .strictObject({
    outcome: z.enum(['success', 'pending', 'delay', 'fail-retriable', 'fail-permanent']).describe(
      'success: confirmed; pending: accepted, never confirmed; delay: confirmed after delayMs; fail-retriable: fails `failures` times, then succeeds on retry; fail-permanent: refused.',
    ),
    delayMs: z.int().min(0).max(600_000).optional(),
    failures: z.int().min(1).max(10).optional(),
  })
  .meta({ id: 'SandboxScriptedSend' });
export const ScriptBody = z.strictObject({ sends: z.array(ScriptedSend).min(1).max(1000).describe('Outcomes of the next sends, in order.') });
export const OnlineBody = z.strictObject({ online: z.boolean().describe('false: the network goes down (sends wait); true: it comes back.') });
export const ClockBody = z
  .strictObject({
    advanceSeconds: z.number().min(0).max(10 * 365 * 86400).optional().describe('Move time forward by this much.'),
    freeze: z.boolean().optional().describe('true stops time; false lets it run again.'),
    reset: z.boolean().optional().describe('Back to the real time.'),
  })
  .meta({ id: 'SandboxClockInput' });
export const ResetBody = z.strictObject({ seed: z.int().min(0).optional().describe('Seed of the new demo inbox (default: the current one).') });

export const ClockOutput = z
  .object({ now: Timestamp, frozen: z.boolean(), offsetSeconds: z.number() })
  .meta({ id: 'SandboxClock', description: 'The simulated clock.' });
export const SandboxAccountOutput = z
  .object({
    accountID: z.string(),
    network: z.string(),
    online: z.boolean(),
    scriptedSends: z.array(ScriptedSend),
    people: z.array(z.object({ id: z.string(), fullName: z.string(), focused: z.boolean() })),
    deliveries: z.array(z.object({ chatID: z.string().nullable(), messageID: z.string().nullable(), transactionID: z.string(), text: z.string().optional(), at: Timestamp })),
    notifications: z.array(z.object({ chatID: z.string(), userID: z.string(), at: Timestamp })),
  })
  .meta({ id: 'SandboxAccount', description: 'What a simulated network holds: its people, the sends it took (in order) and the notify-anyway notifications that broke through Focus.' });
export type SandboxAccountOutput = z.infer<typeof SandboxAccountOutput>;
export const StrangerOutput = z
  .object({ chat: Chat, message: Message })
  .meta({ id: 'SandboxStrangerChat', description: 'The chat the stranger started (a message request where the network has them) and their message.' });
export const ResetOutput = z.object({ accounts: z.array(z.string()), seed: z.int() }).meta({ id: 'SandboxReset' });
