// Writing a demo inbox through core, as any connector would hand over history.
import type { ConnectorContext, RemoteMessage, RemoteUser } from '../connector.ts';
import type { DemoAccount, DemoAttachment, DemoPerson } from './corpus.ts';

export const personUser = (ctx: ConnectorContext, p: DemoPerson): RemoteUser => ({
  id: ctx.userID(p.key),
  fullName: p.fullName,
  username: p.username,
  phoneNumber: p.phoneNumber,
  email: p.email,
  isContact: !p.stranger,
});

/** The network's ID of a demo chat: DMs are named after the other person. */
export const demoChatRemoteID = (chat: { type: 'single' | 'group'; key: string; participantKeys: string[] }) =>
  chat.type === 'single' ? `dm-${chat.participantKeys.find((k) => k !== 'self')}` : chat.key;

export async function storeAttachment(ctx: ConnectorContext, a: DemoAttachment) {
  const url = await ctx.storeMedia({ bytes: a.bytes, fileName: a.fileName, mimeType: a.mimeType, width: a.width, height: a.height, duration: a.duration });
  return { url, mimeType: a.mimeType, fileName: a.fileName, size: a.bytes.byteLength, kind: a.kind, width: a.width, height: a.height, duration: a.duration };
}

/** Emits people, chats, messages (as history) and read markers of a demo account. */
export async function seedDemo(ctx: ConnectorContext, demo: DemoAccount): Promise<{ chats: number; messages: number }> {
  await ctx.emit({ type: 'users', users: demo.people.map((p) => personUser(ctx, p)) });
  const idOf = (key: string) => (key === 'self' ? ctx.account.selfUserID : ctx.userID(key));
  const byKey = new Map(demo.people.map((p) => [p.key, p]));
  let messages = 0;
  for (const chat of demo.chats) {
    const remoteID = demoChatRemoteID(chat);
    await ctx.emit({
      type: 'chat',
      chat: {
        remoteID,
        type: chat.type,
        title: chat.title,
        lastActivity: chat.messages[0]?.timestamp,
        participants: chat.participantKeys.filter((k) => k !== 'self').map((k) => ({ ...personUser(ctx, byKey.get(k)!), isAdmin: chat.adminKeys?.includes(k) ?? false })),
        state: { isMuted: chat.isMuted, isPinned: chat.isPinned, isArchived: chat.isArchived, isLowPriority: chat.isLowPriority },
      },
    });
    const batch: RemoteMessage[] = [];
    for (const m of chat.messages) {
      batch.push({
        remoteID: m.key,
        senderID: idOf(m.senderKey),
        timestamp: m.timestamp,
        text: m.text,
        attachments: m.attachment ? [await storeAttachment(ctx, m.attachment)] : undefined,
        replyToRemoteID: m.replyToKey,
        isSender: m.senderKey === 'self',
        reactions: m.reactions?.map((r) => ({ senderID: idOf(r.senderKey), key: r.key })),
      });
    }
    await ctx.emit({ type: 'messages', chatRemoteID: remoteID, messages: batch, history: true });
    messages += batch.length;
    const lastRead = chat.messages[chat.messages.length - 1 - chat.unreadCount];
    await ctx.emit({ type: 'read', chatRemoteID: remoteID, upToRemoteID: lastRead?.key });
  }
  return { chats: demo.chats.length, messages };
}
