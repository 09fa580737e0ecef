// Service discovery (XEP-0030), entity capabilities (XEP-0115) and the
// extended info forms (XEP-0128) servers use to announce limits.
import { createHash } from 'node:crypto';
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';

export interface DiscoInfo {
  identities: Array<{ category: string; type: string; name?: string }>;
  features: Set<string>;
  /** Extended info forms by FORM_TYPE: field var → values. */
  forms: Map<string, Map<string, string[]>>;
}

export const infoQuery = (node?: string) => xml('query', { xmlns: NS.discoInfo, node });
export const itemsQuery = (node?: string) => xml('query', { xmlns: NS.discoItems, node });

export function parseInfo(query: XmlElement | undefined): DiscoInfo {
  const forms = new Map<string, Map<string, string[]>>();
  for (const x of query?.getChildren('x', NS.dataForms) ?? []) {
    const fields = new Map<string, string[]>();
    for (const f of x.getChildren('field')) if (f.attrs.var) fields.set(f.attrs.var, f.getChildren('value').map((v) => v.text()));
    const type = fields.get('FORM_TYPE')?.[0];
    if (type) forms.set(type, fields);
  }
  return {
    identities: (query?.getChildren('identity') ?? []).map((i) => ({ category: i.attrs.category ?? '', type: i.attrs.type ?? '', name: i.attrs.name })),
    features: new Set((query?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? '').filter(Boolean)),
    forms,
  };
}

export function parseItems(query: XmlElement | undefined): Array<{ jid: string; name?: string; node?: string }> {
  return (query?.getChildren('item') ?? []).filter((i) => i.attrs.jid).map((i) => ({ jid: i.attrs.jid!, name: i.attrs.name, node: i.attrs.node }));
}

export interface OwnIdentity {
  category: string;
  type: string;
  name: string;
}

/** Our answer to disco#info. */
export function infoResult(identity: OwnIdentity, features: string[], node?: string): XmlElement {
  return xml('query', { xmlns: NS.discoInfo, node }, xml('identity', { ...identity }), ...features.map((f) => xml('feature', { var: f })));
}

/** The XEP-0115 verification string of an identity and feature list. */
export function capsVer(identity: OwnIdentity, features: string[]): string {
  const s = `${identity.category}/${identity.type}//${identity.name}<${[...features].sort().map((f) => `${f}<`).join('')}`;
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

export const capsElement = (node: string, ver: string) => xml('c', { xmlns: NS.caps, hash: 'sha-1', node, ver });
