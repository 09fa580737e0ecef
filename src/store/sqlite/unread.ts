import type { DB } from './db.ts';

/** Moves a chat's read marker and recounts what is unread after it. */
export function readMarker(db: DB) {
  const recount = db.prepare(`SELECT count(*) AS n, coalesce(sum(mentions_self), 0) AS mentions FROM messages
    WHERE chat_local_id = ? AND sort_key > ? AND is_sender = 0 AND is_hidden = 0 AND is_deleted = 0`);
  const set = db.prepare('UPDATE chats SET last_read_sort_key = ?, unread_count = ?, unread_mentions_count = ? WHERE local_id = ?');
  return (chatLocalID: number, sortKey: number) => {
    const { n, mentions } = recount.get(chatLocalID, sortKey) as { n: number; mentions: number };
    set.run(sortKey, n, mentions, chatLocalID);
  };
}
