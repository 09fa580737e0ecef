import { placeholders, prepared, type DB } from './db.ts';
import type { ChatRecord, ParticipantRecord } from '../records.ts';
import type { ChatListQuery, ChatSearchQuery, ChatStatePatch, ChatUpsert, ChatVersion, Page } from '../repository.ts';
import { fold, words } from '../text.ts';
import { bool, CHAT_COLUMNS, chatColumnsOf, int, json, toChat, toUser, type Row } from './rows.ts';
import { keyset } from './keyset.ts';
import { readMarker } from './unread.ts';

/** A chat is named by its ID or by its numeric local ID. */
const LOCAL_ID = /^\d{1,15}$/;

const titleText = (title: string, custom: string | null | undefined, network: string) => fold(`${custom ?? title} ${network}`);

/** Chat records kept for getChatsByLocalIDs, at most this many (then all dropped). */
const RECORD_CACHE_SIZE = 5_000;

export function chatQueries(db: DB) {
  // Records as last read, by local ID. A chat's version changes with any change to its
  // row (a trigger bumps it), so a record whose version is current is the row as it
  // stands, whichever process wrote it. Frozen: callers share them.
  const records = new Map<number, ChatRecord>();
  const remember = (chat: ChatRecord) => {
    if (records.size >= RECORD_CACHE_SIZE) records.clear();
    records.set(chat.localID, Object.freeze(chat));
    return chat;
  };
  const byID = db.prepare(`SELECT ${CHAT_COLUMNS} FROM chats WHERE id = ?`);
  const byLocal = db.prepare(`SELECT ${CHAT_COLUMNS} FROM chats WHERE local_id = ?`);
  const versionByID = db.prepare('SELECT local_id AS localID, version FROM chats WHERE id = ?');
  const versionByLocal = db.prepare('SELECT local_id AS localID, version FROM chats WHERE local_id = ?');
  const byRemote = db.prepare(`SELECT ${CHAT_COLUMNS} FROM chats WHERE account_id = ? AND remote_id = ?`);
  const networkOf = db.prepare('SELECT network FROM accounts WHERE id = ?');
  const accountOf = db.prepare('SELECT account_id FROM chats WHERE local_id = ?').pluck();
  const insert = db.prepare(`INSERT INTO chats (id, account_id, remote_id, type, title, description, img_url, is_read_only, is_message_request, last_activity, created_at)
    VALUES (@id, @accountID, @remoteID, @type, @title, @description, @imgURL, @isReadOnly, coalesce(@isMessageRequest, 0), @lastActivity, @createdAt)`);
  const insertSearch = db.prepare('INSERT INTO chat_search (local_id, title) VALUES (?, ?)');
  const setSearchTitle = db.prepare('UPDATE chat_search SET title = ? WHERE local_id = ?');
  const setSearchPeople = db.prepare('UPDATE chat_search SET people = ? WHERE local_id = ?');
  const updateNetworkFields = db.prepare(`UPDATE chats SET title = @title, description = @description, img_url = @imgURL,
    is_read_only = @isReadOnly, is_message_request = coalesce(@isMessageRequest, is_message_request),
    last_activity = max(last_activity, @lastActivity) WHERE local_id = @localID`);
  const deleteParticipants = db.prepare('DELETE FROM participants WHERE chat_local_id = ?');
  const insertParticipant = db.prepare(`INSERT INTO participants (chat_local_id, account_id, user_id, position, is_admin, is_pending, is_network_bot)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const participantNames = db.prepare(`SELECT group_concat(u.search_text, ' ') AS t FROM participants p
    JOIN users u ON u.account_id = p.account_id AND u.id = p.user_id WHERE p.chat_local_id = ? AND u.is_self = 0`);
  const setCount = db.prepare('UPDATE chats SET participant_count = ? WHERE local_id = ?');
  const participantsAll = db.prepare(`SELECT u.*, p.user_id, p.account_id AS p_account_id, p.is_admin, p.is_pending, p.is_network_bot FROM participants p
    LEFT JOIN users u ON u.account_id = p.account_id AND u.id = p.user_id
    WHERE p.chat_local_id = ? ORDER BY p.position LIMIT ?`);
  const memberIDs = db.prepare('SELECT user_id FROM participants WHERE chat_local_id = ? ORDER BY position').pluck();
  const direct = db.prepare(`SELECT ${chatColumnsOf('c')} FROM chats c JOIN participants p ON p.chat_local_id = c.local_id
    WHERE c.account_id = ? AND c.type = 'single' AND p.user_id = ? ORDER BY c.last_activity DESC LIMIT 1`);
  const due = db.prepare(`SELECT ${CHAT_COLUMNS} FROM chats WHERE reminder IS NOT NULL AND json_extract(reminder, '$.remindAt') <= ?`);
  const lastSortKey = db.prepare('SELECT max(sort_key) AS k FROM messages WHERE chat_local_id = ?');
  const moveReadMarker = readMarker(db);
  const delChat = db.prepare('DELETE FROM chats WHERE local_id = ?');

  const getLocal = (localID: number) => {
    const r = byLocal.get(localID) as Row | undefined;
    if (!r) throw new Error(`chat ${localID} does not exist`);
    return toChat(r);
  };

  const upsert = db.transaction((c: ChatUpsert): ChatRecord => {
    const existing = byRemote.get(c.accountID, c.remoteID) as Row | undefined;
    const fields = {
      title: c.title,
      description: c.description ?? null,
      imgURL: c.imgURL ?? null,
      isReadOnly: int(c.isReadOnly),
      isMessageRequest: c.isMessageRequest === undefined ? null : int(c.isMessageRequest),
      lastActivity: c.lastActivity ?? Date.now(),
    };
    if (!existing) {
      const localID = Number(insert.run({ ...fields, id: c.id, accountID: c.accountID, remoteID: c.remoteID, type: c.type, createdAt: Date.now() }).lastInsertRowid);
      insertSearch.run(localID, titleText(c.title, null, c.network));
      return getLocal(localID);
    }
    const prev = toChat(existing);
    updateNetworkFields.run({
      ...fields,
      description: c.description === undefined ? prev.description : fields.description,
      imgURL: c.imgURL === undefined ? prev.imgURL : fields.imgURL,
      lastActivity: c.lastActivity ?? prev.lastActivity,
      localID: prev.localID,
    });
    setSearchTitle.run(titleText(c.title, prev.customTitle, c.network), prev.localID);
    return getLocal(prev.localID);
  });

  const setParticipants = db.transaction(
    (chatLocalID: number, list: Array<{ userID: string; isAdmin?: boolean; isPending?: boolean; isNetworkBot?: boolean }>) => {
      // Only the account is needed: a whole chat row costs several times one column to read.
      const accountID = accountOf.get(chatLocalID) as string | undefined;
      if (accountID === undefined) throw new Error(`chat ${chatLocalID} does not exist`);
      deleteParticipants.run(chatLocalID);
      list.forEach((p, i) => insertParticipant.run(chatLocalID, accountID, p.userID, i, int(p.isAdmin), int(p.isPending), int(p.isNetworkBot)));
      const names = (participantNames.get(chatLocalID) as { t: string | null }).t ?? '';
      setCount.run(list.length, chatLocalID);
      setSearchPeople.run(names, chatLocalID);
    },
  );

  const COLUMNS: Record<keyof ChatStatePatch, string> = {
    customTitle: 'custom_title',
    title: 'title',
    description: 'description',
    imgURL: 'img_url',
    isArchived: 'is_archived',
    isMuted: 'is_muted',
    isPinned: 'is_pinned',
    isLowPriority: 'is_low_priority',
    isMarkedUnread: 'is_marked_unread',
    isReadOnly: 'is_read_only',
    messageExpirySeconds: 'message_expiry_seconds',
    draft: 'draft',
    reminder: 'reminder',
  };
  const updateState = db.transaction((localID: number, patch: ChatStatePatch) => {
    const columns: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as Array<[keyof ChatStatePatch, unknown]>) {
      if (value === undefined) continue;
      columns.push(COLUMNS[key]);
      params.push(typeof value === 'boolean' ? int(value) : value !== null && typeof value === 'object' ? json(value) : value);
    }
    // Only when something differs: an update that changes nothing would still bump
    // the chat's version (chats_version) and so throw away its cached views.
    if (columns.length) {
      const sets = columns.map((c) => `${c} = ?`).join(', ');
      const differs = columns.map((c) => `${c} IS NOT ?`).join(' OR ');
      prepared(db, `UPDATE chats SET ${sets} WHERE local_id = ? AND (${differs})`).run(...params, localID, ...params);
    }
    if (patch.customTitle !== undefined || patch.title !== undefined) {
      const c = getLocal(localID);
      const network = (networkOf.get(c.accountID) as { network: string } | undefined)?.network ?? '';
      setSearchTitle.run(titleText(c.title, c.customTitle, network), localID);
    }
    return getLocal(localID);
  });

  const setReadMarker = db.transaction((localID: number, sortKey: number | null) => {
    const key = sortKey ?? ((lastSortKey.get(localID) as { k: number | null }).k ?? 0);
    moveReadMarker(localID, key);
    return getLocal(localID);
  });

  function participantRecord(r: Row, chatAccount: string): ParticipantRecord {
    // A member whose user row is missing still shows, by ID.
    const base = r.id ? toUser(r) : { accountID: chatAccount, id: r.user_id as string };
    return { ...base, isAdmin: bool(r.is_admin), isPending: bool(r.is_pending), isNetworkBot: bool(r.is_network_bot) };
  }

  function listWhere(q: ChatListQuery, conds: string[], params: unknown[], columns = CHAT_COLUMNS) {
    if (q.accountIDs?.length) {
      conds.push(`account_id IN (${placeholders(q.accountIDs.length)})`);
      params.push(...q.accountIDs);
    }
    const ks = keyset(['last_activity', 'local_id'], q.cursor && [q.cursor.lastActivity, q.cursor.localID], q.direction);
    if (ks.where) conds.push(ks.where);
    const rows = prepared(
      db,
      `SELECT ${columns} FROM chats ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY ${ks.order} LIMIT ?`,
    ).all(...params, ...ks.params, q.limit + 1) as Row[];
    return ks.finish(rows, q.limit);
  }

  return {
    async upsertChat(c: ChatUpsert) {
      return upsert(c);
    },
    async getChat(idOrLocalID: string) {
      const r = (LOCAL_ID.test(idOrLocalID) ? byLocal.get(Number(idOrLocalID)) : byID.get(idOrLocalID)) as Row | undefined;
      return r && toChat(r);
    },
    async getChatVersion(idOrLocalID: string) {
      return (LOCAL_ID.test(idOrLocalID) ? versionByLocal.get(Number(idOrLocalID)) : versionByID.get(idOrLocalID)) as { localID: number; version: number } | undefined;
    },
    async getChatByRemoteID(accountID: string, remoteID: string) {
      const r = byRemote.get(accountID, remoteID) as Row | undefined;
      return r && toChat(r);
    },
    async getChatsByLocalIDs(localIDs: number[]) {
      const out = new Map<number, ChatRecord>();
      const ids = [...new Set(localIDs)];
      // One statement per list length (kept by prepared()): one call instead of one per chat.
      for (let i = 0; i < ids.length; i += 100) {
        const part = ids.slice(i, i + 100);
        // Versions first (two columns); whole rows only for chats changed since last read.
        const versions = prepared(db, `SELECT local_id, version FROM chats WHERE local_id IN (${placeholders(part.length)})`).raw().all(...part) as Array<[number, number]>;
        const stale: number[] = [];
        for (const [localID, version] of versions) {
          const known = records.get(localID);
          if (known?.version === version) out.set(localID, known);
          else stale.push(localID);
        }
        if (!stale.length) continue;
        for (const r of prepared(db, `SELECT ${CHAT_COLUMNS} FROM chats WHERE local_id IN (${placeholders(stale.length)})`).all(...stale) as Row[]) {
          out.set(r.local_id as number, remember(toChat(r)));
        }
      }
      return new Map(ids.filter((id) => out.has(id)).map((id) => [id, out.get(id)!])); // in the order asked
    },
    async updateChatState(localID: number, patch: ChatStatePatch) {
      return updateState(localID, patch);
    },
    async deleteChat(localID: number) {
      delChat.run(localID);
    },
    async listChats(q: ChatListQuery) {
      const page = listWhere(q, [], []);
      return { hasMore: page.hasMore, items: page.items.map(toChat) };
    },
    async listChatVersions(q: ChatListQuery) {
      return listWhere(q, [], [], 'local_id AS localID, last_activity AS lastActivity, version') as unknown as Page<ChatVersion>;
    },
    async searchChats(q: ChatSearchQuery) {
      const conds: string[] = [];
      const params: unknown[] = [];
      const column = q.scope === 'participants' ? 'people' : 'title';
      const ws = words(q.text);
      if (q.text?.trim() && !ws.length) return { hasMore: false, items: [] }; // nothing searchable in the text
      // Matched in the side table, looked up by the chat's key (chats are few; their rows stay small).
      if (ws.length) conds.push(`local_id IN (SELECT local_id FROM chat_search WHERE ${ws.map(() => `instr(${column}, ?) > 0`).join(' AND ')})`), params.push(...ws);
      if (q.inbox === 'primary') conds.push('is_archived = 0 AND is_low_priority = 0');
      if (q.inbox === 'low-priority') conds.push('is_low_priority = 1 AND is_archived = 0');
      if (q.inbox === 'archive') conds.push('is_archived = 1');
      if (q.unreadOnly) conds.push('(unread_count > 0 OR is_marked_unread = 1)');
      if (q.type) (conds.push('type = ?'), params.push(q.type));
      if (q.lastActivityBefore !== undefined) (conds.push('last_activity < ?'), params.push(q.lastActivityBefore));
      if (q.lastActivityAfter !== undefined) (conds.push('last_activity > ?'), params.push(q.lastActivityAfter));
      if (!q.includeMuted) conds.push('is_muted = 0');
      const page = listWhere(q, conds, params);
      return { hasMore: page.hasMore, items: page.items.map(toChat) };
    },
    async findDirectChat(accountID: string, userID: string) {
      const r = direct.get(accountID, userID) as Row | undefined;
      return r && toChat(r);
    },
    async dueReminders(now: number) {
      return (due.all(now) as Row[]).map(toChat);
    },
    async setParticipants(chatLocalID: number, list: Array<{ userID: string; isAdmin?: boolean; isPending?: boolean; isNetworkBot?: boolean }>) {
      setParticipants(chatLocalID, list);
    },
    async participantIDs(chatLocalID: number) {
      return memberIDs.all(chatLocalID) as string[];
    },
    async listParticipants(chatLocalID: number, limit: number) {
      const chat = getLocal(chatLocalID);
      const rows = participantsAll.all(chatLocalID, limit < 0 ? -1 : limit) as Row[];
      return { items: rows.map((r) => participantRecord(r, chat.accountID)), total: chat.participantCount };
    },
    async participantsOf(chatLocalIDs: number[], limit: number) {
      const out = new Map<number, ParticipantRecord[]>(chatLocalIDs.map((id) => [id, []]));
      if (!chatLocalIDs.length) return out;
      // Positions run 0..n-1 in every chat, so "the first `limit`" is a range: one query for all chats.
      const rows = prepared(
        db,
        `SELECT u.*, p.chat_local_id AS p_chat, p.user_id, p.account_id AS p_account_id, p.is_admin, p.is_pending, p.is_network_bot
          FROM participants p LEFT JOIN users u ON u.account_id = p.account_id AND u.id = p.user_id
          WHERE p.chat_local_id IN (${placeholders(chatLocalIDs.length)}) AND p.position < ? ORDER BY p.chat_local_id, p.position`,
      ).all(...chatLocalIDs, limit) as Row[];
      for (const r of rows) out.get(r.p_chat as number)?.push(participantRecord(r, r.p_account_id as string));
      return out;
    },
    async setReadMarker(localID: number, sortKey: number | null) {
      return setReadMarker(localID, sortKey);
    },
  };
}
