// Bookmarked rooms: PEP Native Bookmarks (XEP-0402) and, for older servers,
// bookmarks in private XML storage (XEP-0048 / XEP-0049).
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';
import { bareOf } from '../jid.ts';

export interface Bookmark {
  room: string;
  name?: string;
  nick?: string;
  password?: string;
  autojoin: boolean;
}

export const bookmarksGet = () => xml('pubsub', { xmlns: NS.pubsub }, xml('items', { node: NS.bookmarks2 }));

/** Items of the urn:xmpp:bookmarks:1 node (from an <items/> result or a PEP event). */
export function parseBookmarks(items: XmlElement | undefined): Bookmark[] {
  return (items?.getChildren('item') ?? []).flatMap((item) => {
    const c = item.getChild('conference', NS.bookmarks2);
    if (!item.attrs.id || !c) return [];
    return [{ room: bareOf(item.attrs.id), name: c.attrs.name, nick: c.getChildText('nick') ?? undefined, password: c.getChildText('password') ?? undefined, autojoin: c.attrs.autojoin === 'true' || c.attrs.autojoin === '1' }];
  });
}

export function bookmarkPublish(b: Bookmark): XmlElement {
  const field = (v: string, value: string, type?: string) => xml('field', { var: v, type }, xml('value', {}, value));
  return xml(
    'pubsub',
    { xmlns: NS.pubsub },
    xml('publish', { node: NS.bookmarks2 }, xml('item', { id: b.room }, xml('conference', { xmlns: NS.bookmarks2, name: b.name, autojoin: b.autojoin ? 'true' : 'false' }, b.nick ? xml('nick', {}, b.nick) : null))),
    xml(
      'publish-options',
      {},
      xml(
        'x',
        { xmlns: NS.dataForms, type: 'submit' },
        field('FORM_TYPE', NS.pubsubPublishOptions, 'hidden'),
        field('pubsub#persist_items', 'true'),
        field('pubsub#max_items', 'max'),
        field('pubsub#send_last_published_item', 'never'),
        field('pubsub#access_model', 'whitelist'),
      ),
    ),
  );
}

export const legacyBookmarksGet = () => xml('query', { xmlns: NS.private }, xml('storage', { xmlns: NS.bookmarksLegacy }));

export function parseLegacyBookmarks(query: XmlElement | undefined): Bookmark[] {
  const storage = query?.getChild('storage', NS.bookmarksLegacy);
  return (storage?.getChildren('conference') ?? [])
    .filter((c) => c.attrs.jid)
    .map((c) => ({ room: bareOf(c.attrs.jid), name: c.attrs.name, nick: c.getChildText('nick') ?? undefined, password: c.getChildText('password') ?? undefined, autojoin: c.attrs.autojoin === 'true' || c.attrs.autojoin === '1' }));
}
