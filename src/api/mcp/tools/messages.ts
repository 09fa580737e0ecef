// Message tools: read a chat, read one message, send (with Markdown, replies and
// attachments), edit, delete, react, and fetch attachments.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import type { Core } from '../../../core/core.ts';
import type { Message } from '../../../core/schemas/message.ts';
import { McpChat, McpMessage, paging } from '../schemas.ts';
import { messageText, moreText, toMcpMessage } from '../format.ts';
import { imageBlocks, MAX_INLINE_BYTES, uploadAttachment } from '../attachments.ts';
import { defineTool, ToolFailure, type McpMode, type ToolDef } from '../tool.ts';
import { chatIDArg, chatNames, chatWithNames, cursorArg, includeImagesArg, isPending, messageIDArg } from './common.ts';

/** How long send_message waits for the network to confirm before answering PENDING. */
export const SEND_WAIT_MS = 5_000;

/** The message once its send is no longer pending, or as it is after `timeoutMs`. */
async function settled(core: Core, chatID: string, pendingID: string, timeoutMs: number): Promise<Message> {
  const get = () => core.messages.get(chatID, pendingID);
  return new Promise<Message>((resolve, reject) => {
    let done = false;
    const finish = (m: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(m);
    };
    const check = () => get().then((m) => (isPending(m) ? undefined : finish(m)), (err: unknown) => (done ? undefined : ((done = true), clearTimeout(timer), unsubscribe(), reject(err))));
    const unsubscribe = core.events.subscribe((e) => {
      if (e.type === 'message.upserted' && e.chatID === chatID && e.ids.includes(pendingID)) void check();
    });
    const timer = setTimeout(() => void get().then(finish, reject), timeoutMs);
    void check();
  });
}

const attachmentArg = (mode: McpMode) =>
  z
    .strictObject({
      path: z
        .string()
        .min(1)
        .optional()
        .describe(
          mode === 'stdio'
            ? "Absolute path (or file:// URL, or ~/…) of a file on the user's machine to send."
            : "Absolute path of a file among Switchboard's uploads or media (its file:// srcURL from an upload works too); other paths are refused over HTTP: send the content as base64 instead.",
        ),
      base64: z.string().min(1).optional().describe('The file content, base64-encoded (a data: URL prefix is accepted).'),
      fileName: z.string().optional().describe('File name to show; defaults to the name of the path.'),
      mimeType: z.string().optional().describe('MIME type; detected from the content when absent.'),
    })
    .describe('A file to send: give exactly one of path or base64. The network may refuse some types or sizes; nothing is sent then.');

export function messageTools(mode: McpMode): ToolDef[] {
  return [
    defineTool({
      name: 'list_messages',
      title: 'Read a chat',
      description:
        "Lists a chat's messages, newest first, 20 per page, with full texts, senders, times, attachments and reactions. " +
        'Use it to read a conversation; pass nextCursor to go further back in time. With includeImages, small image attachments are returned as images.',
      scope: 'read',
      input: { chatID: chatIDArg, cursor: cursorArg, includeImages: includeImagesArg },
      output: { chat: McpChat.pick({ id: true, title: true, network: true, type: true, accountID: true }), messages: z.array(McpMessage).describe('Newest first.'), ...paging },
      async run({ chatID, cursor, includeImages }, { core, now }) {
        const { chat, names } = await chatWithNames(core, chatID);
        const page = await core.messages.list(chat.id, { cursor, direction: 'before' });
        const messages = page.items.map((m) => toMcpMessage(m, now(), undefined, names));
        const nextCursor = page.hasMore ? page.oldestCursor : null;
        const images = includeImages ? await imageBlocks(core, page.items) : { blocks: [] };
        const header = `Chat "${chat.title}" (${chat.network} ${chat.type === 'group' ? 'group' : 'one-to-one'}, chat ${chat.id}): ${messages.length} message${messages.length === 1 ? '' : 's'}, newest first.`;
        return {
          structured: { chat: { id: chat.id, title: chat.title, network: chat.network, type: chat.type, accountID: chat.accountID }, messages, hasMore: page.hasMore, nextCursor },
          text: [header, ...messages.map((m) => messageText(m)), moreText('list_messages', nextCursor), images.note ?? ''].filter(Boolean).join('\n\n'),
          content: images.blocks,
        };
      },
    }),
    defineTool({
      name: 'get_message',
      title: 'Get one message',
      description: 'Gets one message of a chat by its ID (or the pendingMessageID send_message returned), e.g. to check whether a send went through. With includeImages, a small image attachment is returned as an image.',
      scope: 'read',
      input: { chatID: chatIDArg, messageID: messageIDArg, includeImages: includeImagesArg },
      output: { message: McpMessage },
      async run({ chatID, messageID, includeImages }, { core, now }) {
        const { chat, names } = await chatWithNames(core, chatID);
        const m = await core.messages.get(chat.id, messageID);
        const message = toMcpMessage(m, now(), chat, names);
        const images = includeImages ? await imageBlocks(core, [m]) : { blocks: [] };
        return { structured: { message }, text: [messageText(message, { withChat: true }), images.note ?? ''].filter(Boolean).join('\n\n'), content: images.blocks };
      },
    }),
    defineTool({
      name: 'send_message',
      title: 'Send a message',
      description:
        'Sends a message to a chat as the user: text (Markdown: **bold**, _italic_, `code`, links), optionally as a reply to a message, optionally with one file attached (an image is sent as a photo). ' +
        "Only send what the user asked for. The chat's network may refuse long texts or some files; then nothing is sent and the error says why. " +
        `Answers once the network confirmed (or after ${SEND_WAIT_MS / 1000} s with status PENDING) with the new message's ID.`,
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
      input: {
        chatID: chatIDArg,
        text: z.string().optional().describe('Message text in Markdown (plain text is fine). Optional when an attachment is given (then it is the caption).'),
        replyToMessageID: z.string().min(1).optional().describe('ID of a message in the same chat to reply to.'),
        attachment: attachmentArg(mode).optional(),
      },
      output: {
        chatID: z.string(),
        pendingMessageID: z.string().describe('Temporary ID of the send; get_message accepts it.'),
        messageID: z.string().nullable().describe('Final message ID once the network confirmed; null while pending.'),
        status: z.string().describe('SUCCESS, PENDING, FAIL_RETRIABLE (retried automatically) or FAIL_PERMANENT.'),
        message: McpMessage,
      },
      async run({ chatID, text, replyToMessageID, attachment }, { core, now }) {
        const chat = await chatNames(core, chatID); // unknown chats fail before anything is uploaded
        if (!attachment && !text?.trim()) throw new ToolFailure('A message needs text, an attachment, or both; nothing was sent.');
        const upload = attachment ? await uploadAttachment(core, mode, attachment) : undefined;
        const sent = await core.messages.send(chat.record.id, {
          ...(text?.trim() ? { text } : {}),
          ...(replyToMessageID ? { replyToMessageID } : {}),
          ...(upload ? { attachment: { uploadID: upload.uploadID! } } : {}),
        });
        const m = await settled(core, sent.chatID, sent.pendingMessageID, SEND_WAIT_MS);
        const status = m.sendStatus?.status ?? 'SUCCESS';
        const message = toMcpMessage(m, now(), chat);
        const outcome =
          status === 'SUCCESS'
            ? `Sent to "${chat.title}" (${chat.network}) as message ${m.id}.`
            : status === 'PENDING'
              ? `Handed to ${chat.network} for "${chat.title}"; not confirmed yet. Check later with get_message and ID ${sent.pendingMessageID}.`
              : `${chat.network} did not take the message for "${chat.title}" (${status}${m.sendStatus?.message ? `: ${m.sendStatus.message}` : ''}).${status === 'FAIL_RETRIABLE' ? ' It will be retried automatically.' : ''}`;
        return {
          structured: { chatID: sent.chatID, pendingMessageID: sent.pendingMessageID, messageID: isPending(m) || m.id === sent.pendingMessageID ? null : m.id, status, message },
          text: `${outcome}\n\n${messageText(message)}`,
        };
      },
    }),
    defineTool({
      name: 'edit_message',
      title: 'Edit a message',
      description: "Replaces the text of a message the user sent (Markdown). Networks limit how long after sending and how often a message can be edited; messages with attachments can't be edited.",
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
      input: { chatID: chatIDArg, messageID: messageIDArg, text: z.string().min(1).describe('The new text, in Markdown.') },
      output: { message: McpMessage },
      async run({ chatID, messageID, text }, { core, now }) {
        const chat = await chatNames(core, chatID);
        const edited = await core.messages.edit(chatID, messageID, text);
        const message = toMcpMessage(edited, now(), chat);
        return { structured: { message }, text: `Edited message ${edited.id} in "${chat.title}" (${chat.network}).\n\n${messageText(message)}` };
      },
    }),
    defineTool({
      name: 'delete_message',
      title: 'Delete a message',
      description:
        'Deletes a message. forEveryone (the default) unsends a message the user sent, for all members, where the network still allows it; forEveryone=false removes any message only from this inbox. This cannot be undone.',
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: true },
      input: {
        chatID: chatIDArg,
        messageID: messageIDArg,
        forEveryone: z.boolean().optional().describe('true (default): delete for everyone; false: only for the user.'),
      },
      output: { deleted: z.literal(true), chatID: z.string(), messageID: z.string(), forEveryone: z.boolean() },
      async run({ chatID, messageID, forEveryone }, { core }) {
        const chat = await chatNames(core, chatID);
        const all = forEveryone ?? true;
        await core.messages.delete(chatID, messageID, all);
        return {
          structured: { deleted: true as const, chatID: chat.record.id, messageID, forEveryone: all },
          text: `Deleted message ${messageID} in "${chat.title}" (${chat.network}) ${all ? 'for everyone' : 'for the user only'}.`,
        };
      },
    }),
    defineTool({
      name: 'react',
      title: 'React to a message',
      description:
        "Adds a reaction (an emoji such as 👍 or ❤️) to a message, or removes the user's reaction with remove=true. Some networks accept only a few reactions (iMessage tapbacks, Telegram's set); get_chat lists them under allowedReactions.",
      scope: 'write',
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: true },
      input: {
        chatID: chatIDArg,
        messageID: messageIDArg,
        reaction: z.string().min(1).describe('The emoji (or network reaction key).'),
        remove: z.boolean().optional().describe('true removes this reaction of the user instead of adding it.'),
      },
      output: { chatID: z.string(), messageID: z.string(), reaction: z.string(), removed: z.boolean() },
      async run({ chatID, messageID, reaction, remove }, { core }) {
        const chat = await chatNames(core, chatID);
        const r = remove ? await core.messages.unreact(chatID, messageID, reaction) : await core.messages.react(chatID, messageID, reaction);
        return {
          structured: { chatID: r.chatID, messageID: r.messageID, reaction: r.reactionKey, removed: !!remove },
          text: `${remove ? 'Removed' : 'Added'} the reaction ${reaction} ${remove ? 'from' : 'to'} message ${r.messageID} in "${chat.title}" (${chat.network}).`,
        };
      },
    }),
    defineTool({
      name: 'download_attachment',
      title: 'Get an attachment',
      description:
        'Finds the local copy of a message attachment: give its url (mxc:// or localmxc://, from a message\'s attachments) or chatID + messageID (the first attachment, or the one at index). ' +
        'Answers the file path on the Switchboard machine; with includeContent, files up to 1 MB also come back as content (images as images).',
      scope: 'read',
      input: {
        url: z.string().min(1).optional().describe('The attachment url from a message.'),
        chatID: chatIDArg.optional(),
        messageID: messageIDArg.optional(),
        index: z.int().min(0).optional().describe('Which attachment of the message (default 0).'),
        includeContent: z.boolean().optional().describe('Return the file itself too, when it is at most 1 MB (default false).'),
      },
      output: {
        url: z.string(),
        fileURL: z.string().describe('file:// URL of the local copy, on the machine Switchboard runs on.'),
        path: z.string(),
        fileName: z.string(),
        mimeType: z.string(),
        size: z.number().describe('Size in bytes.'),
        contentIncluded: z.boolean(),
      },
      async run({ url, chatID, messageID, index, includeContent }, { core }) {
        let mediaURL = url;
        if (!mediaURL) {
          if (!chatID || !messageID) throw new ToolFailure('Give either url, or chatID and messageID.');
          const m = await core.messages.get(chatID, messageID);
          const a = m.attachments?.[index ?? 0];
          if (!a?.id) throw new ToolFailure(`Message ${m.id} has ${m.attachments?.length ? `only ${m.attachments.length} attachment(s)` : 'no attachments'}.`);
          mediaURL = a.id;
        }
        const { srcURL } = await core.assets.download(mediaURL);
        const media = (await core.media.get(mediaURL))!;
        const path = fileURLToPath(srcURL!);
        const include = !!includeContent && media.size <= MAX_INLINE_BYTES;
        const content = [];
        if (include) {
          const data = (await readFile(await core.assets.localFile(mediaURL))).toString('base64');
          content.push(
            media.mimeType.startsWith('image/')
              ? { type: 'image' as const, data, mimeType: media.mimeType }
              : { type: 'resource' as const, resource: { uri: srcURL!, mimeType: media.mimeType, blob: data } },
          );
        }
        const note = includeContent && !include ? ' It is over 1 MB, so its content is not included.' : '';
        return {
          structured: { url: mediaURL, fileURL: srcURL!, path, fileName: media.fileName, mimeType: media.mimeType, size: media.size, contentIncluded: include },
          text: `${media.fileName} (${media.mimeType}, ${media.size} bytes) is at ${path}.${note}`,
          content,
        };
      },
    }),
  ];
}

