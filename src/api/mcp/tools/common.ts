// Argument shapes several tools share, and small helpers over core.
import * as z from 'zod';
import type { Core } from '../../../core/core.ts';
import type { Message } from '../../../core/schemas/message.ts';
import type { McpChat } from '../schemas.ts';
import { memberNames, toMcpChat } from '../format.ts';

export const chatIDArg = z
  .string()
  .min(1)
  .describe('Chat ID (looks like "!abc…:sandbox-whatsapp.localhost") or its short numeric localChatID, as returned by search, search_chats or list_messages.');
export const messageIDArg = z.string().min(1).describe('Message ID (looks like "$abc…") from list_messages, search_messages or get_message; a pendingMessageID from send_message works for reads.');
export const cursorArg = z.string().min(1).optional().describe('nextCursor from the previous page; omit for the first page.');
export const includeImagesArg = z
  .boolean()
  .optional()
  .describe('Also return image attachments under 1 MB as images you can look at (default false).');

/** The chat as tools answer it, fresh from the store. */
export async function chatResult(core: Core, chatID: string, now: number, participants = 20): Promise<McpChat> {
  return toMcpChat(await core.chats.get(chatID, participants), now);
}

/** A chat's title, network and members' names, to label its messages. */
export async function chatWithNames(core: Core, chatID: string) {
  const chat = await core.chats.get(chatID, 500);
  return { chat, names: memberNames(chat) };
}

/** A chat's title and network, to label its messages. */
export async function chatNames(core: Core, chatID: string) {
  const chat = await core.chat(chatID);
  return { record: chat, title: chat.customTitle ?? chat.title, network: await core.networkName(chat.accountID) };
}

export const isPending = (m: Message) => m.sendStatus?.status === 'PENDING';
