// Message search (SQLite FTS5 under the repository), and the unified search that
// combines chat titles, group members and messages in one answer.
import type { ChatRecord } from '../../store/records.ts';
import type { MessageSearchQuery } from '../../store/repository.ts';
import type { SearchMessagesQuery } from '../schemas/inputs.ts';
import type { SearchMessagesOutput } from '../schemas/outputs.ts';
import type { Core } from '../core.ts';
import { cursorPage, decodeCursor } from '../cursors.ts';
import { MEDIA_FILE, MEDIA_IMAGE, MEDIA_LINK, MEDIA_VIDEO } from '../ingest.ts';

const MEDIA_BITS = { any: MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_FILE | MEDIA_LINK, image: MEDIA_IMAGE, video: MEDIA_VIDEO, file: MEDIA_FILE, link: MEDIA_LINK } as const;
/** Unified search shows this many chats of each kind. */
const UNIFIED_CHATS = 30;
const CHATS_END = Buffer.from('}}');

export class Search {
  constructor(private readonly core: Core) {}

  async messages(q: SearchMessagesQuery): Promise<SearchMessagesOutput> {
    const { page, chats } = await this.messagePage(q);
    const chatViews = await this.core.chats.views(chats);
    return { ...page, chats: Object.fromEntries(chatViews.map((c) => [c.id, c])) };
  }

  /**
   * The same as messages(), as UTF-8 JSON: the result chats (most of the answer's
   * bytes) are copied from their cached views instead of serialized again.
   */
  async messagesJSON(q: SearchMessagesQuery): Promise<Buffer> {
    const { page, chats } = await this.messagePage(q);
    const views = await this.core.chats.viewsJSON(chats);
    const parts: Buffer[] = [Buffer.from(`${JSON.stringify(page).slice(0, -1)},"chats":{`)];
    views.forEach((v, i) => parts.push(Buffer.from(`${i ? ',' : ''}${JSON.stringify(v.id)}:`), v.bytes));
    parts.push(CHATS_END);
    return Buffer.concat(parts);
  }

  private async messagePage(q: SearchMessagesQuery) {
    let chatLocalIDs: number[] | undefined;
    if (q.chatIDs?.length) chatLocalIDs = await Promise.all(q.chatIDs.map(async (id) => (await this.core.chat(id)).localID));
    const cursor = q.cursor ? decodeCursor('search', q.cursor, ['number']) : undefined;
    const query: MessageSearchQuery = {
      text: q.query,
      chatLocalIDs,
      accountIDs: q.accountIDs,
      chatType: q.chatType,
      mediaMask: q.mediaTypes?.reduce((mask, t) => mask | MEDIA_BITS[t], 0) || undefined,
      sender: q.sender === 'me' ? { kind: 'me' } : q.sender === 'others' ? { kind: 'others' } : q.sender ? { kind: 'user', id: q.sender } : undefined,
      after: q.dateAfter ? Date.parse(q.dateAfter) : undefined,
      before: q.dateBefore ? Date.parse(q.dateBefore) : undefined,
      excludeLowPriority: q.excludeLowPriority ?? true,
      includeMuted: q.includeMuted ?? true,
      cursor: cursor && { sortKey: cursor[0] },
      direction: q.direction ?? 'before',
      limit: q.limit ?? 20,
    };
    const found = await this.core.repo.searchMessages(query);
    const chats = await this.core.repo.getChatsByLocalIDs(found.items.map((m) => m.chatLocalID));
    const page = cursorPage('search', found, await this.core.messages.views(chats, found.items), (m) => [m.sortKey]);
    return { page, chats: [...chats.values()] };
  }

  async unified(text: string) {
    const common = { query: text, limit: UNIFIED_CHATS, includeMuted: true } as const;
    const [titles, groups, messages] = await Promise.all([
      this.core.chats.searchRecords({ ...common, scope: 'titles' }),
      this.core.chats.searchRecords({ ...common, scope: 'participants', type: 'group' }),
      this.messages({ query: text }),
    ]);
    const views = (chats: ChatRecord[]) => this.core.chats.views(chats);
    return { results: { chats: await views(titles.items), in_groups: await views(groups.items), messages } };
  }
}
