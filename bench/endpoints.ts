// The requests the benchmark measures, built for one store from its facts.
import type { StoreFacts } from './stores.ts';

/** What floor.ts needs to run the SQLite queries behind an endpoint. */
export type FloorSpec =
  | { kind: 'chatList'; cursor?: { lastActivity: number; localID: number } }
  | { kind: 'chatGet'; chatID: string }
  | { kind: 'messagePage'; chatID: string; beforeSortKey?: number }
  | { kind: 'messageSearch'; text: string; chatType?: 'group' | 'single'; senderMe?: boolean; mediaMask?: number }
  | { kind: 'unifiedSearch'; text: string }
  | { kind: 'send'; chatLocalID: number; text: string };

export interface EndpointCase {
  /** Stable key, e.g. "chats.list.deep". */
  id: string;
  /** As shown in the report, e.g. "GET /v1/chats (deep page)". */
  label: string;
  method: 'GET' | 'POST';
  /** Path and query, exactly as requested. */
  path: string;
  body?: string;
  /** Changes the store: measured on the writes copy. */
  write: boolean;
  /** Undefined: the endpoint runs no query (GET /v1/info). */
  floor?: FloorSpec;
}

const enc = encodeURIComponent;
export const SEND_TEXT = 'Benchmark message: how fast does this go out?';

export function endpointCases(f: StoreFacts): EndpointCase[] {
  const chat = f.busiestChat;
  const chatPath = `/v1/chats/${enc(chat.id)}`;
  const { common, rare, multi } = f.words;
  const search = (q: string) => `/v1/messages/search?query=${enc(q)}`;
  return [
    { id: 'info', label: 'GET /v1/info', method: 'GET', path: '/v1/info', write: false },
    { id: 'chats.list', label: 'GET /v1/chats (first page)', method: 'GET', path: '/v1/chats', write: false, floor: { kind: 'chatList' } },
    {
      id: 'chats.list.deep',
      label: 'GET /v1/chats (deep page, ~80 %)',
      method: 'GET',
      path: `/v1/chats?cursor=${enc(f.chatListDeep.cursor)}`,
      write: false,
      floor: { kind: 'chatList', cursor: { lastActivity: f.chatListDeep.lastActivity, localID: f.chatListDeep.localID } },
    },
    { id: 'chats.get', label: 'GET /v1/chats/{id} (busiest chat)', method: 'GET', path: chatPath, write: false, floor: { kind: 'chatGet', chatID: chat.id } },
    { id: 'messages.list', label: 'GET /v1/chats/{id}/messages (first page)', method: 'GET', path: `${chatPath}/messages`, write: false, floor: { kind: 'messagePage', chatID: chat.id } },
    {
      id: 'messages.list.deep',
      label: 'GET /v1/chats/{id}/messages (deep page, ~80 %)',
      method: 'GET',
      path: `${chatPath}/messages?cursor=${enc(f.messagesDeep.cursor)}`,
      write: false,
      floor: { kind: 'messagePage', chatID: chat.id, beforeSortKey: f.messagesDeep.sortKey },
    },
    { id: 'search.common', label: `GET /v1/messages/search (common word "${common.term}")`, method: 'GET', path: search(common.term), write: false, floor: { kind: 'messageSearch', text: common.term } },
    { id: 'search.rare', label: `GET /v1/messages/search (rare word "${rare.term}")`, method: 'GET', path: search(rare.term), write: false, floor: { kind: 'messageSearch', text: rare.term } },
    { id: 'search.multi', label: `GET /v1/messages/search (words "${multi.query}")`, method: 'GET', path: search(multi.query), write: false, floor: { kind: 'messageSearch', text: multi.query } },
    {
      id: 'search.filtered',
      label: `GET /v1/messages/search ("${common.term}", chatType=group, sender=me)`,
      method: 'GET',
      path: `${search(common.term)}&chatType=group&sender=me`,
      write: false,
      floor: { kind: 'messageSearch', text: common.term, chatType: 'group', senderMe: true },
    },
    { id: 'search.unified', label: `GET /v1/search ("${common.term}")`, method: 'GET', path: `/v1/search?query=${enc(common.term)}`, write: false, floor: { kind: 'unifiedSearch', text: common.term } },
    {
      id: 'messages.send',
      label: 'POST /v1/chats/{id}/messages (send)',
      method: 'POST',
      path: `${chatPath}/messages`,
      body: JSON.stringify({ text: SEND_TEXT }),
      write: true,
      floor: { kind: 'send', chatLocalID: chat.localID, text: SEND_TEXT },
    },
  ];
}
