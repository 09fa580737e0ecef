import { placeholders, prepared, type DB } from './db.ts';
import type { MessageRecord, ReactionRecord } from '../records.ts';
import type { Direction, MessageInsert, MessageKey, MessagePatch, MessageSearchQuery } from '../repository.ts';
import { ftsQuery } from '../text.ts';
import { ftsTokenizer } from './fts-tokens.ts';
import type { SearchIndex } from './search-index.ts';
import { bool, int, json, MESSAGE_COLUMNS, toMessage, type Row } from './rows.ts';
import { keyset } from './keyset.ts';
import { readMarker } from './unread.ts';

/** Sort keys are timestamp-ordered integers, unique across chats: ms × 1000 + a tiebreak. */
const TIEBREAK = 1000;

// The store's one insert path for messages, exported for the benchmark's ingest
// floor (bench/ingest-floor.ts), which replays rows through these same statements.
/** The columns a message insert binds, in order. */
export const INSERT_COLUMNS = [
  'id', 'chat_local_id', 'remote_id', 'pending_id', 'sort_key', 'timestamp', 'sender_id', 'sender_name', 'type', 'text', 'plain',
  'is_sender', 'send_status', 'is_hidden', 'attachments', 'linked_message_id', 'mentions', 'links', 'seen', 'mentions_self', 'media_flags', 'expires_at',
] as const;
export const INSERT_MESSAGE = `INSERT OR IGNORE INTO messages (${INSERT_COLUMNS.join(', ')}) VALUES (${placeholders(INSERT_COLUMNS.length)})`;
/**
 * `search` is the full-text index (search-index.ts), which follows the changes
 * queued here. `ownTransaction` runs a batch as a transaction of its own, also
 * during a bulk load (see bulk.ts).
 */
export function messageQueries(db: DB, search: SearchIndex, ownTransaction: <T>(run: () => T) => T = (run) => run()) {
  const FROM = `FROM messages m JOIN chats c ON c.local_id = m.chat_local_id`;
  const tokens = ftsTokenizer();
  const byAnyID = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.chat_local_id = @chat AND m.id = @id
    UNION ALL SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.chat_local_id = @chat AND m.pending_id = @id LIMIT 1`);
  const byRow = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.row_id = ?`);
  const latest = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.chat_local_id = ? AND m.is_hidden = 0 ORDER BY m.sort_key DESC LIMIT 1`);
  const maxKeyIn = db.prepare('SELECT max(sort_key) AS k FROM messages WHERE sort_key BETWEEN ? AND ?');
  const firstGap = db.prepare(`SELECT min(s.sort_key) + 1 AS k FROM messages s WHERE s.sort_key >= ?
    AND NOT EXISTS (SELECT 1 FROM messages t WHERE t.sort_key = s.sort_key + 1)`);
  const chatCounters = db.prepare('SELECT last_read_sort_key FROM chats WHERE local_id = ?');
  const insert = db.prepare(INSERT_MESSAGE);
  const sameID = db.prepare('SELECT row_id AS rowID, id, sort_key AS sortKey FROM messages WHERE chat_local_id = ? AND id = ?');
  const queueRows = db.prepare('INSERT INTO search_queue (first_row, last_row) VALUES (?, ?)');
  const dropApplied = db.prepare('DELETE FROM search_queue WHERE seq <= ?');
  const samePending = db.prepare('SELECT row_id AS rowID, id, sort_key AS sortKey FROM messages WHERE chat_local_id = ? AND pending_id = ?');
  const bumpChat = db.prepare(`UPDATE chats SET last_activity = max(last_activity, ?), unread_count = unread_count + ?,
    unread_mentions_count = unread_mentions_count + ? WHERE local_id = ?`);
  const setReadMarker = readMarker(db);
  const reactionsOf = db.prepare('SELECT * FROM reactions WHERE message_row_id = ? ORDER BY timestamp, participant_id');
  const delOwnReactions = db.prepare('DELETE FROM reactions WHERE message_row_id = ? AND participant_id = ?');
  const putReaction = db.prepare(`INSERT INTO reactions (message_row_id, participant_id, key, emoji, img_url, timestamp) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(message_row_id, participant_id, key) DO UPDATE SET timestamp = excluded.timestamp`);
  const delReaction = db.prepare('DELETE FROM reactions WHERE message_row_id = ? AND participant_id = ? AND key = ?');
  const delMessage = db.prepare('DELETE FROM messages WHERE row_id = ?');
  const expired = db.prepare(`SELECT m.row_id, m.id, c.id AS chat_id FROM messages m JOIN chats c ON c.local_id = m.chat_local_id
    WHERE m.expires_at IS NOT NULL AND m.expires_at <= ? ORDER BY m.expires_at`);
  const outbox = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.is_sender = 1 AND m.remote_id IS NULL ORDER BY m.row_id`);

  /** Fills in reactions: one query for the whole list. */
  function withReactions(records: MessageRecord[]): MessageRecord[] {
    if (records.length === 0) return records;
    const rows = (records.length === 1 ? reactionsOf.all(records[0]!.rowID) : reactionsFor(records.length).all(...records.map((m) => m.rowID))) as Row[];
    const byMessage = new Map<number, ReactionRecord[]>();
    for (const r of rows) {
      const list = byMessage.get(r.message_row_id as number) ?? [];
      list.push({ participantID: r.participant_id as string, key: r.key as string, emoji: bool(r.emoji), imgURL: (r.img_url as string | null) ?? undefined, timestamp: r.timestamp as number });
      byMessage.set(r.message_row_id as number, list);
    }
    for (const m of records) m.reactions = byMessage.get(m.rowID) ?? [];
    return records;
  }
  const reactionsFor = (n: number) => prepared(db, `SELECT * FROM reactions WHERE message_row_id IN (${placeholders(n)}) ORDER BY timestamp, participant_id`);
  const one = (r: Row | undefined) => (r ? withReactions([toMessage(r)])[0] : undefined);
  const mustRow = (rowID: number) => {
    const m = one(byRow.get(rowID) as Row | undefined);
    if (!m) throw new Error(`message row ${rowID} does not exist`);
    return m;
  };

  /** The first free sort key for a timestamp: unique across all chats, in timestamp order. */
  function nextSortKey(timestamp: number): number {
    const base = timestamp * TIEBREAK;
    const taken = (maxKeyIn.get(base, base + TIEBREAK - 1) as { k: number | null }).k;
    if (taken === null) return base;
    if (taken < base + TIEBREAK - 1) return taken + 1;
    // A thousand messages in one millisecond: the next free key after them.
    return (firstGap.get(base) as { k: number }).k;
  }

  type Stored = { rowID: number; id: string; sortKey: number };
  const duplicateOf = (m: MessageInsert) =>
    (sameID.get(m.chatLocalID, m.id) as Stored | undefined) ??
    (m.pendingID ? (samePending.get(m.chatLocalID, m.pendingID) as Stored | undefined) : undefined);

  /** Stores one message under a sort key; changes is 0 when the insert is ignored (a duplicate ID, or the key is taken). */
  const insertRow = (m: MessageInsert, sortKey: number) =>
    // Positional parameters, passed one by one: binding 22 named ones per row costs
    // more than the insert, and an array of them costs a lookup per element.
    insert.run(
      m.id, m.chatLocalID, m.remoteID, m.pendingID, sortKey, m.timestamp, m.senderID, m.senderName, m.type, m.text, m.plain,
      int(m.isSender), json(m.sendStatus), int(m.isHidden), m.attachments.length ? json(m.attachments) : null, m.linkedMessageID,
      json(m.mentions), m.links.length ? json(m.links) : null, json(m.seen), int(m.mentionsSelf), m.mediaFlags, m.expiresAt ?? null,
    );

  const insertBatch = db.transaction((batch: MessageInsert[]) => {
    const results: Array<Stored & { inserted: boolean }> = [];
    // Per-chat counter changes, applied once per chat at the end of the batch.
    const touched = new Map<number, { lastRead: number | null; maxTs: number; unread: number; mentions: number; ownMax: number | null }>();
    let firstRow = 0;
    let lastRow = 0;
    for (const m of batch) {
      // The common case costs one statement: the insert. Only when it is ignored do we
      // look for why — a message seen before, or another one in the same millisecond.
      let sortKey = m.timestamp * TIEBREAK;
      let info = insertRow(m, sortKey);
      if (info.changes === 0) {
        const dup = duplicateOf(m);
        if (dup) {
          results.push({ ...dup, inserted: false });
          continue;
        }
        sortKey = nextSortKey(m.timestamp);
        info = insertRow(m, sortKey);
        if (info.changes === 0) throw new Error(`message ${m.id} could not be stored in chat ${m.chatLocalID}`);
      }
      let t = touched.get(m.chatLocalID);
      if (!t) {
        const c = chatCounters.get(m.chatLocalID) as { last_read_sort_key: number | null } | undefined;
        if (!c) throw new Error(`chat ${m.chatLocalID} does not exist`);
        t = { lastRead: c.last_read_sort_key, maxTs: 0, unread: 0, mentions: 0, ownMax: null };
        touched.set(m.chatLocalID, t);
      }
      if (!m.isHidden) t.maxTs = Math.max(t.maxTs, m.timestamp);
      if (m.isSender) t.ownMax = Math.max(t.ownMax ?? 0, sortKey);
      else if (!m.isHidden && (t.lastRead === null || sortKey > t.lastRead)) {
        t.unread++;
        if (m.mentionsSelf) t.mentions++;
      }
      const rowID = Number(info.lastInsertRowid);
      if (!firstRow) firstRow = rowID;
      lastRow = rowID;
      results.push({ rowID, id: m.id, sortKey, inserted: true });
    }
    // Rows inserted in one transaction have consecutive IDs: one queue entry has the
    // index take them all. Entries it has applied go, with this commit.
    if (firstRow) queueRows.run(firstRow, lastRow);
    dropApplied.run(search.applied());
    for (const [chat, t] of touched) {
      bumpChat.run(t.maxTs, t.unread, t.mentions, chat);
      // Sending in a chat means having read it up to there.
      if (t.ownMax !== null && (t.lastRead === null || t.ownMax > t.lastRead)) setReadMarker(chat, t.ownMax);
    }
    return results;
  });

  /** Columns holding JSON: every value is encoded, strings too (a seen time is a JSON string). */
  const JSON_COLUMNS = new Set<keyof MessagePatch>(['sendStatus', 'attachments', 'seen', 'links', 'mentions']);
  const PATCH_COLUMNS: Record<keyof MessagePatch, string> = {
    id: 'id',
    remoteID: 'remote_id',
    timestamp: 'timestamp',
    text: 'text',
    plain: 'plain',
    editedAt: 'edited_at',
    editCount: 'edit_count',
    sendStatus: 'send_status',
    isDeleted: 'is_deleted',
    isHidden: 'is_hidden',
    attachments: 'attachments',
    seen: 'seen',
    links: 'links',
    mentions: 'mentions',
    mediaFlags: 'media_flags',
  };

  return {
    async insertMessages(batch: MessageInsert[]) {
      const stored = ownTransaction(() => insertBatch(batch));
      search.changed();
      return stored;
    },
    async updateMessage(rowID: number, patch: MessagePatch) {
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [key, value] of Object.entries(patch) as Array<[keyof MessagePatch, unknown]>) {
        if (value === undefined) continue;
        sets.push(`${PATCH_COLUMNS[key]} = ?`);
        params.push(JSON_COLUMNS.has(key) ? json(value) : typeof value === 'boolean' ? int(value) : value);
      }
      if (sets.length) prepared(db, `UPDATE messages SET ${sets.join(', ')} WHERE row_id = ?`).run(...params, rowID);
      if (patch.plain !== undefined) search.changed();
      return mustRow(rowID);
    },
    async deleteMessage(rowID: number) {
      delMessage.run(rowID);
      search.changed();
    },
    async getMessage(chatLocalID: number, id: string) {
      return one(byAnyID.get({ chat: chatLocalID, id }) as Row | undefined);
    },
    async getMessageByRowID(rowID: number) {
      return one(byRow.get(rowID) as Row | undefined);
    },
    async listMessages(chatLocalID: number, q: { cursor?: MessageKey; direction: Direction; limit: number }) {
      const ks = keyset(['m.sort_key'], q.cursor && [q.cursor.sortKey], q.direction);
      const rows = prepared(db, `SELECT ${MESSAGE_COLUMNS} ${FROM} WHERE m.chat_local_id = ? ${ks.where ? `AND ${ks.where}` : ''} ORDER BY ${ks.order} LIMIT ?`).all(chatLocalID, ...ks.params, q.limit + 1) as Row[];
      const page = ks.finish(rows, q.limit);
      return { hasMore: page.hasMore, items: withReactions(page.items.map(toMessage)) };
    },
    async latestMessages(chatLocalIDs: number[]) {
      const found: MessageRecord[] = [];
      for (const id of new Set(chatLocalIDs)) {
        const r = latest.get(id) as Row | undefined;
        if (r) found.push(toMessage(r));
      }
      return new Map(withReactions(found).map((m) => [m.chatLocalID, m]));
    },
    async searchMessages(q: MessageSearchQuery) {
      const conds = ['m.is_deleted = 0', 'm.is_hidden = 0'];
      const params: unknown[] = [];
      const match = ftsQuery(q.text, tokens);
      if (q.text?.trim() && !match) return { hasMore: false, items: [] }; // nothing searchable in the text
      if (q.chatLocalIDs) (conds.push(`m.chat_local_id IN (${placeholders(q.chatLocalIDs.length) || 'NULL'})`), params.push(...q.chatLocalIDs));
      if (q.accountIDs?.length) (conds.push(`c.account_id IN (${placeholders(q.accountIDs.length)})`), params.push(...q.accountIDs));
      if (q.chatType) (conds.push('c.type = ?'), params.push(q.chatType));
      if (q.mediaMask) (conds.push('(m.media_flags & ?) != 0'), params.push(q.mediaMask));
      if (q.sender?.kind === 'me') conds.push('m.is_sender = 1');
      if (q.sender?.kind === 'others') conds.push('m.is_sender = 0');
      if (q.sender?.kind === 'user') (conds.push('m.sender_id = ?'), params.push(q.sender.id));
      if (q.after !== undefined) (conds.push('m.timestamp > ?'), params.push(q.after));
      if (q.before !== undefined) (conds.push('m.timestamp < ?'), params.push(q.before));
      if (q.excludeLowPriority) conds.push('c.is_low_priority = 0');
      if (!q.includeMuted) conds.push('c.is_muted = 0');
      // With words, walk the full-text index by rowid (= sort key) from the newest match
      // and stop at the page's end: no sorting of every match, however common the word.
      const key = match ? 'f.rowid' : 'm.sort_key';
      const ks = keyset([key], q.cursor && [q.cursor.sortKey], q.direction);
      if (ks.where) conds.push(ks.where);
      const from = match ? `FROM messages_fts f JOIN messages m ON m.sort_key = f.rowid JOIN chats c ON c.local_id = m.chat_local_id` : FROM;
      if (match) conds.unshift('messages_fts MATCH ?');
      // Words are looked up on the index's connection (the store attached to it),
      // once the index holds every committed change.
      if (match) search.catchUp();
      const rows = prepared(match ? search.db : db, `SELECT ${MESSAGE_COLUMNS} ${from} WHERE ${conds.join(' AND ')} ORDER BY ${ks.order} LIMIT ?`).all(...(match ? [match] : []), ...params, ...ks.params, q.limit + 1) as Row[];
      const page = ks.finish(rows, q.limit);
      return { hasMore: page.hasMore, items: withReactions(page.items.map(toMessage)) };
    },
    async outbox() {
      return withReactions((outbox.all() as Row[]).map(toMessage)).filter((m) => {
        const status = (m.sendStatus as { status?: string } | null)?.status;
        return status === 'PENDING' || status === 'FAIL_RETRIABLE';
      });
    },
    async expireMessages(now: number) {
      return db.transaction(() => {
        const rows = expired.all(now) as Array<{ row_id: number; id: string; chat_id: string }>;
        const byChat = new Map<string, string[]>();
        for (const r of rows) {
          delMessage.run(r.row_id);
          const ids = byChat.get(r.chat_id);
          if (ids) ids.push(r.id);
          else byChat.set(r.chat_id, [r.id]);
        }
        if (rows.length) search.changed();
        return [...byChat].map(([chatID, ids]) => ({ chatID, ids }));
      })();
    },
    async putReaction(messageRowID: number, r: ReactionRecord, replaceOwn: boolean) {
      db.transaction(() => {
        if (replaceOwn) delOwnReactions.run(messageRowID, r.participantID);
        putReaction.run(messageRowID, r.participantID, r.key, int(r.emoji), r.imgURL ?? null, r.timestamp);
      })();
    },
    async deleteReaction(messageRowID: number, participantID: string, key: string) {
      return delReaction.run(messageRowID, participantID, key).changes > 0;
    },
  };
}
