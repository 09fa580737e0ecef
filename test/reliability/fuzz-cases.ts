// One generated request per case: an operation of the document, what was done to
// it (the mutation), and whether the request is broken in a way the server must
// refuse. Encoding happens here too, down to raw bytes (invalid UTF-8 included).
import * as fc from 'fast-check';
import { BAD_UTF8, BodyRules, forgedCursor, hugeString, MB, nastyString, oddNumbers, oddStrings, Values, wrongTyped, type Operation, type Param } from './contract.ts';

type Schema = Record<string, any>;

/** [key, value, raw]: raw values go into the query string as they are (bad percent-escapes). */
export type QueryPart = [string, string, boolean?];

export type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'multipart'; boundary: string; parts: Buffer };

export interface FuzzCase {
  op: Operation;
  mutation: string;
  method: string;
  pathParams: Record<string, { value: string; raw?: boolean }>;
  query: QueryPart[];
  body?: Body;
  /** undefined: the natural one for the body (application/json or multipart); null: none at all. */
  contentType?: string | null;
  /** Broken in a way the document says must be refused (for JSON bodies, decided with the document). */
  mustReject: boolean;
}

export interface Encoded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

// ---------------------------------------------------------------- encoding

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, as any client would send); the BAD_UTF8 marker becomes raw invalid bytes. */
export function pct(s: string): string {
  return s
    .split(BAD_UTF8)
    .map((piece) => [...Buffer.from(piece, 'utf8')].map((b) => (UNRESERVED.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join(''))
    .join('%FF%C3%28');
}

const BAD_BYTES = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf]);
const MARKER_IN_JSON = JSON.stringify(BAD_UTF8).slice(1, -1);

/** JSON text as bytes, with every BAD_UTF8 marker replaced by raw invalid UTF-8. */
export function jsonBytes(value: unknown): Buffer {
  const text = JSON.stringify(value) ?? 'null';
  const pieces = text.split(MARKER_IN_JSON);
  const out: Buffer[] = [];
  pieces.forEach((p, i) => {
    if (i) out.push(BAD_BYTES);
    out.push(Buffer.from(p, 'utf8'));
  });
  return Buffer.concat(out);
}

export function encode(c: FuzzCase, token: string): Encoded {
  const path = c.op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const p = c.pathParams[name];
    return p ? (p.raw ? p.value : pct(p.value)) : '';
  });
  const qs = c.query.map(([k, v, isRaw]) => (isRaw ? `${pct(k)}=${v}` : `${pct(k)}=${pct(v)}`)).join('&');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body: Buffer | undefined;
  let type: string | undefined;
  if (c.body?.kind === 'json') (body = jsonBytes(c.body.value)), (type = 'application/json');
  else if (c.body?.kind === 'text') (body = Buffer.from(c.body.text, 'utf8')), (type = 'application/json');
  else if (c.body?.kind === 'bytes') (body = c.body.bytes), (type = 'application/json');
  else if (c.body?.kind === 'multipart') (body = c.body.parts), (type = `multipart/form-data; boundary=${c.body.boundary}`);
  if (c.contentType !== undefined) type = c.contentType ?? undefined;
  if (type !== undefined) headers['content-type'] = type;
  if (body) headers['content-length'] = String(body.length);
  return { method: c.method, path: qs ? `${path}?${qs}` : path, headers, body };
}

/** How a case prints in a failure report: enough to replay it with curl. */
export function describeCase(c: FuzzCase, token = '$TOKEN'): string {
  const e = encode(c, token);
  const body = e.body ? (e.body.length > 600 ? `${e.body.subarray(0, 600).toString('utf8')}… (${e.body.length} bytes)` : e.body.toString('utf8')) : '';
  const path = e.path.length > 800 ? `${e.path.slice(0, 800)}… (${e.path.length} chars)` : e.path;
  return `[${c.op.id} / ${c.mutation}${c.mustReject ? ' / must be refused' : ''}] ${e.method} ${path}\n      headers: ${JSON.stringify({ ...e.headers, authorization: 'Bearer …' })}${body ? `\n      body: ${JSON.stringify(body)}` : ''}`;
}

// ---------------------------------------------------------------- cases

const shortNasty = nastyString;
const RAW_QUERY_VALUES = ['%FF', '%', '%Z', '%ZZ', '%00', '%C3', '%ED%A0%80', '+', '%2B', '&&', '==', '%E2%80%AE', '%F0%9F%98%80', '%25FF'];
const RAW_PATH_VALUES = ['%2F', '%2e%2e', '..', '.', '%00', '%20', '%E2%80%AE', '%F0%9F%98%80', 'a;b', 'a%3Bb'];
const BAD_JSON = [
  '{', '}', '{"a":}', "{'a':1}", '{"a":1,}', '{a:1}', 'NaN', '{"a":NaN}', '{"a":Infinity}', '{"a":1}garbage', '\u0000', '[', '"', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":1e99999}',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '[1,2', 'tru', '{"text":"a"}{"text":"b"}', '\ufeff{}', ' ', '\n', '{"":1}',
];
const WRONG_CONTENT_TYPES = ['multipart/form-data; boundary=x', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream', 'text/html', 'image/png', 'application/json-patch+json', 'application/jsonx', 'text/json'];
const ODD_JSON_CONTENT_TYPES = ['APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json;charset=UTF-8', 'application/json ; x=y'];

function typesOf(s: Schema): string[] {
  return Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
}

function queryString(value: unknown): QueryPart[] | string {
  if (Array.isArray(value)) return value.map((v) => String(v)).map((v) => ['', v] as QueryPart);
  if (value === null) return '';
  return String(value);
}

/** Serializes generated query values: arrays repeat the key (sometimes as key[]). */
function toQuery(values: Record<string, unknown>, _params: Param[], bracket: boolean): QueryPart[] {
  const out: QueryPart[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const s = queryString(v);
    if (typeof s === 'string') out.push([k, s]);
    else for (const [, item] of s) out.push([bracket ? `${k}[]` : k, item]);
  }
  return out;
}

/** Values a query parameter of this schema must not accept (the server coerces strings to numbers and booleans first). */
function wrongQueryValues(schema: Schema, rules: BodyRules): string[] {
  const s = rules.resolve(schema);
  const inner = s.anyOf ? rules.resolve(s.anyOf.find((x: Schema) => typesOf(x).includes('integer')) ?? s.anyOf[0]) : s;
  const t = typesOf(inner);
  if (t.includes('integer')) {
    const out = ['abc', '1.5', '1e3', ' 1', '0x10', '99999999999999999999', '1,2', '--1', 'Infinity'];
    if (inner.minimum !== undefined) out.push(String(inner.minimum - 1));
    if (inner.maximum !== undefined && inner.maximum < 2 ** 53) out.push(String(inner.maximum + 1));
    return out;
  }
  if (t.includes('boolean')) return ['yes', 'no', '1', '0', 'TRUE', 'False', 'on'];
  if (inner.enum) return ['bogus', ' ', `${inner.enum[0]} `, String(inner.enum[0]).toUpperCase()].filter((v) => !inner.enum.includes(v));
  if (inner.format === 'date-time') return ['yesterday', '2024-02-30T00:00:00Z', '2024-01-01', '2024-01-01T00:00:00', '1700000000', '2024-01-01T25:00:00Z'];
  if (t.includes('string') && (inner.minLength ?? 0) >= 1) return [''];
  return [];
}

/** Every object path of a JSON value (to drop, add or retype a field somewhere in it). */
function objectPaths(v: unknown, at: string[] = []): string[][] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return [at, ...Object.entries(v).flatMap(([k, x]) => objectPaths(x, [...at, k]))];
}

function fieldPaths(v: unknown, at: string[] = []): string[][] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return at.length ? [at] : [];
  return [...(at.length ? [at] : []), ...Object.entries(v).flatMap(([k, x]) => fieldPaths(x, [...at, k]))];
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function getAt(v: any, path: string[]): any {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), v);
}

function setAt(v: any, path: string[], value: unknown): any {
  if (!path.length) return value;
  const out = clone(v) ?? {};
  const parent = getAt(out, path.slice(0, -1));
  if (parent && typeof parent === 'object') parent[path.at(-1)!] = value;
  return out;
}

function deleteAt(v: any, path: string[]): any {
  const out = clone(v);
  const parent = getAt(out, path.slice(0, -1));
  if (parent && typeof parent === 'object') delete parent[path.at(-1)!];
  return out;
}

const multipartFile = (boundary: string, name: string, fileName: string, content: Buffer, type = 'application/octet-stream') =>
  Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${fileName}"\r\nContent-Type: ${type}\r\n\r\n`, 'utf8'), content, Buffer.from('\r\n')]);
const multipartField = (boundary: string, name: string, value: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8');

export class CaseFactory {
  constructor(
    private readonly rules: BodyRules,
    private readonly values: Values,
    private readonly nonexistent: Record<string, string>,
  ) {}

  private readonly cache = new Map<string, fc.Arbitrary<FuzzCase>>();

  /** Cases for one operation: valid, unusual and broken requests, weighted. */
  cases(op: Operation): fc.Arbitrary<FuzzCase> {
    let arb = this.cache.get(op.id);
    if (!arb) this.cache.set(op.id, (arb = this.build(op)));
    return arb;
  }

  private build(op: Operation): fc.Arbitrary<FuzzCase> {
    const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
    const queryParams = op.params.filter((p) => p.in === 'query');
    const validPath = fc.record(
      Object.fromEntries(pathNames.map((n) => [n, fc.oneof({ weight: 12, arbitrary: this.values.pool(n) ?? fc.string({ minLength: 1, maxLength: 10 }) }, { weight: 1, arbitrary: fc.constant(this.nonexistent[n] ?? 'nope') }).map((value) => ({ value }))])),
    ) as fc.Arbitrary<FuzzCase['pathParams']>;
    const queryValues = (mode: 'valid' | 'unusual') =>
      fc.record(
        Object.fromEntries(queryParams.map((p) => [p.name, mode === 'valid' || p.name === 'cursor' ? this.values.valid(p.schema, p.name) : this.values.unusual(p.schema, p.name).map((v) => (typeof v === 'string' && v.length > 150 ? v.slice(0, 150) : v))])),
        { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
      ) as fc.Arbitrary<Record<string, unknown>>;
    const validQuery = fc.tuple(queryValues('valid'), fc.boolean()).map(([v, bracket]) => toQuery(v, queryParams, bracket));
    const json = op.body?.kind === 'json' ? op.body.schema : undefined;
    const validBody: fc.Arbitrary<Body | undefined> = json ? this.values.valid(json).map((value) => ({ kind: 'json', value }) as Body) : op.body?.kind === 'multipart' ? this.multipartValid() : fc.constant(undefined);
    const base = fc.record({ pathParams: validPath, query: validQuery, body: validBody });
    const make = (mutation: string, mustReject: boolean, parts: Partial<FuzzCase>, b: { pathParams: FuzzCase['pathParams']; query: QueryPart[]; body: Body | undefined }): FuzzCase => {
      const c: FuzzCase = { op, mutation, method: op.method, pathParams: b.pathParams, query: b.query, body: b.body, mustReject, ...parts };
      // A JSON body the document does not allow must be refused, whatever was done to it.
      if (c.body?.kind === 'json' && c.contentType === undefined && json && !this.rules.allows(op, c.body.value === null ? {} : c.body.value)) c.mustReject = true;
      return c;
    };
    type B = { pathParams: FuzzCase['pathParams']; query: QueryPart[]; body: Body | undefined };
    const arbs: Array<{ weight: number; arbitrary: fc.Arbitrary<FuzzCase> }> = [];
    const add = (weight: number, arbitrary: fc.Arbitrary<FuzzCase>) => arbs.push({ weight, arbitrary });

    add(4, base.map((b) => make('valid', false, {}, b)));
    // Unusual but well-formed values everywhere.
    add(3, fc.record({ pathParams: validPath, q: queryValues('unusual'), bracket: fc.boolean(), body: json ? this.values.unusual(json).map((value) => ({ kind: 'json', value }) as Body) : validBody }).map(({ pathParams, q, bracket, body }) =>
      make('unusual values', false, {}, { pathParams, query: toQuery(q, queryParams, bracket), body }),
    ));
    if (pathNames.length) {
      add(1, fc.tuple(base, fc.constantFrom(...pathNames), fc.oneof(shortNasty.map((value) => ({ value })), fc.constantFrom(...RAW_PATH_VALUES).map((value) => ({ value, raw: true })), fc.string({ minLength: 990, maxLength: 1_100 }).map((value) => ({ value })))).map(([b, name, p]) =>
        make('odd path parameter', false, {}, { ...b, pathParams: { ...b.pathParams, [name]: p } }),
      ));
    }
    // Query: unknown parameter, missing required one, wrong value, the same one twice, raw escapes.
    add(1, fc.tuple(base, fc.constantFrom('bogus', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'cursor[]x', '', ' ', 'a.b', 'x[]'), shortNasty).map(([b, k, v]) =>
      make('unknown query parameter', true, {}, { ...b, query: [...b.query, [k, v]] }),
    ));
    const required = queryParams.filter((p) => p.required);
    if (required.length) {
      add(1, fc.tuple(base, fc.constantFrom(...required.map((p) => p.name))).map(([b, name]) => make('missing required query parameter', true, {}, { ...b, query: b.query.filter(([k]) => k !== name && k !== `${name}[]`) })));
    }
    const typed = queryParams.map((p) => ({ p, wrong: wrongQueryValues(p.schema, this.rules) })).filter((x) => x.wrong.length);
    if (typed.length) {
      add(2, fc.tuple(base, fc.constantFrom(...typed)).chain(([b, { p, wrong }]) =>
        fc.constantFrom(...wrong).map((v) => make('wrong query value', true, {}, { ...b, query: [...b.query.filter(([k]) => k !== p.name && k !== `${p.name}[]`), [p.name, v]] })),
      ));
    }
    const scalars = queryParams.filter((p) => !typesOf(this.rules.resolve(p.schema)).includes('array') && !(this.rules.resolve(p.schema).anyOf ?? []).some((x: Schema) => typesOf(x).includes('array')));
    if (scalars.length) {
      add(1, fc.tuple(base, fc.constantFrom(...scalars), queryValues('valid')).map(([b, p, q]) => {
        const v = q[p.name] ?? 'x';
        const s = v === null ? '' : String(v);
        return make('duplicate query parameter', true, {}, { ...b, query: [...b.query.filter(([k]) => k !== p.name), [p.name, s], [p.name, s]] });
      }));
    }
    add(1, fc.tuple(base, fc.constantFrom(...(queryParams.length ? queryParams.map((p) => p.name) : ['x'])), fc.constantFrom(...RAW_QUERY_VALUES)).map(([b, k, v]) =>
      make('raw query escape', false, {}, { ...b, query: [...b.query.filter(([x]) => x !== k), [k, v, true]] }),
    ));
    if (queryParams.some((p) => p.name === 'cursor')) {
      add(2, fc.tuple(base, forgedCursor, fc.constantFrom('before', 'after')).map(([b, cursor, direction]) =>
        make('forged cursor', false, {}, { ...b, query: [...b.query.filter(([k]) => k !== 'cursor' && k !== 'direction'), ['cursor', cursor], ['direction', direction]] }),
      ));
    }

    if (json) {
      // Body: a required field dropped, an unknown one added, a field of another type, numbers at and past their bounds.
      add(2, base.chain((b) => {
        const paths = fieldPaths((b.body as { value: unknown })?.value);
        if (!paths.length) return fc.constant(make('body field dropped', false, {}, { ...b, body: { kind: 'json', value: {} } }));
        return fc.constantFrom(...paths).map((p) => make('body field dropped', false, {}, { ...b, body: { kind: 'json', value: deleteAt((b.body as { value: unknown }).value, p) } }));
      }));
      add(2, fc.tuple(base, fc.constantFrom('bogus', '__proto__', 'constructor', 'prototype', '', 'TEXT', 'text ', '\u0000', 'id'), fc.oneof(wrongTyped, shortNasty)).chain(([b, key, v]) => {
        const objects = objectPaths((b.body as { value: unknown })?.value ?? {});
        return fc.constantFrom(...(objects.length ? objects : [[]])).map((at) => {
          const value = clone((b.body as { value: unknown })?.value ?? {});
          const target = at.length ? getAt(value, at) : value;
          if (target && typeof target === 'object') Object.defineProperty(target, key, { value: v, enumerable: true, configurable: true, writable: true });
          return make('body field added', false, {}, { ...b, body: { kind: 'json', value } });
        });
      }));
      add(3, fc.tuple(base, wrongTyped).chain(([b, v]) => {
        const paths = fieldPaths((b.body as { value: unknown })?.value);
        if (!paths.length) return fc.constant(make('body of the wrong type', false, {}, { ...b, body: { kind: 'json', value: v } }));
        return fc.constantFrom(...paths, []).map((p) => make(p.length ? 'body field of the wrong type' : 'body of the wrong type', false, {}, { ...b, body: { kind: 'json', value: setAt((b.body as { value: unknown }).value, p, v) } }));
      }));
      add(1, fc.tuple(base, fc.constantFrom(...oddNumbers)).chain(([b, n]) => {
        const paths = fieldPaths((b.body as { value: unknown })?.value);
        return fc.constantFrom(...(paths.length ? paths : [['n']])).map((p) => make('body number at a bound', false, {}, { ...b, body: { kind: 'json', value: setAt((b.body as { value: unknown })?.value ?? {}, p, n) } }));
      }));
      add(1, fc.tuple(base, hugeString).chain(([b, big]) => {
        const paths = fieldPaths((b.body as { value: unknown })?.value).filter((p) => typeof getAt((b.body as { value: unknown }).value, p) === 'string');
        return fc.constantFrom(...(paths.length ? paths : [['text']])).map((p) => make('huge string', false, {}, { ...b, body: { kind: 'json', value: setAt((b.body as { value: unknown })?.value ?? {}, p, big) } }));
      }));
      add(2, fc.tuple(base, fc.constantFrom(...BAD_JSON)).map(([b, text]) => {
        let parses = true;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parses = false;
        }
        const proto = /__proto__|constructor/.test(text);
        const blank = text.trim() === '' && text !== '\u0000';
        // A leading byte-order mark is ignored (RFC 8259 allows that), so '\ufeff{}' is just {}.
        if (text.startsWith('\ufeff')) (parses = true), (parsed = JSON.parse(text.slice(1)));
        // Unparsable JSON (and prototype poisoning) must be refused; a blank body counts as none.
        const mustReject = blank ? !this.rules.allows(op, {}) : !parses || proto || !this.rules.allows(op, parsed ?? {});
        return make('malformed JSON', mustReject, {}, { ...b, body: { kind: 'text', text } });
      }));
      add(1, fc.tuple(base, fc.constantFrom(...WRONG_CONTENT_TYPES, null)).map(([b, type]) => make(`content type ${type ?? '(none)'}`, true, { contentType: type }, b)));
      add(1, fc.tuple(base, fc.constantFrom(...ODD_JSON_CONTENT_TYPES)).map(([b, type]) => make(`content type ${type}`, false, { contentType: type }, b)));
      add(1, fc.tuple(base, fc.nat({ max: 200 })).map(([b, cut]) => {
        const bytes = jsonBytes((b.body as { value: unknown })?.value ?? {});
        const truncated = bytes.subarray(0, Math.max(1, Math.min(bytes.length - 1, cut)));
        let parses = true;
        try {
          JSON.parse(truncated.toString('utf8'));
        } catch {
          parses = false;
        }
        return make('truncated JSON', !parses, {}, { ...b, body: { kind: 'bytes', bytes: truncated } });
      }));
      add(1, base.map((b) => make('empty body', !this.rules.allows(op, {}), {}, { ...b, body: { kind: 'bytes', bytes: Buffer.alloc(0) } })));
      if (op.id !== 'uploadAssetBase64') {
        add(1, fc.tuple(base, fc.constantFrom('"', 'a', '\\u00e9', '😀')).map(([b, c]) => {
          const text = JSON.stringify({ text: '' }).replace('""', `"${c.repeat(Math.ceil((2 * MB + 100) / Buffer.byteLength(c)))}"`);
          return make('over the body limit', true, {}, { ...b, body: { kind: 'text', text } });
        }));
      }
    } else if (op.body?.kind === 'multipart') {
      add(6, fc.tuple(base, fc.constantFrom('no file part', 'truncated', 'wrong boundary', 'two files', 'many fields', 'json instead', 'empty', 'file part only headers', 'nasty file name')).chain(([b, kind]) =>
        fc.tuple(fc.uint8Array({ maxLength: 300 }), shortNasty).map(([bytes, name]) => this.multipartBroken(b, kind, Buffer.from(bytes), name, make)),
      ));
    } else if (op.method !== 'GET') {
      add(1, fc.tuple(base, fc.oneof(fc.constantFrom(...BAD_JSON), fc.constant('{"a":1}'))).map(([b, text]) => make('body where none is taken', false, {}, { ...b, body: { kind: 'text', text } })));
    } else {
      add(1, base.map((b) => make('body on a GET', false, {}, { ...b, body: { kind: 'text', text: '{"bogus":1' } })));
    }
    return fc.oneof(...arbs);
  }

  private multipartValid(): fc.Arbitrary<Body> {
    return fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 2_000 }), fc.oneof(fc.constantFrom('a.txt', 'photo.png', 'x'), shortNasty.map((s) => s.replace(/["\r\n]/g, '_'))), fc.option(shortNasty.map((s) => s.replace(/[\r\n]/g, ' ')))).map(([bytes, fileName, extra]) => {
      const boundary = 'fuzzboundary';
      const parts = [multipartFile(boundary, 'file', fileName || 'f', Buffer.from(bytes))];
      if (extra !== null) parts.push(multipartField(boundary, 'fileName', extra));
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      return { kind: 'multipart', boundary, parts: Buffer.concat(parts) } as Body;
    });
  }

  private multipartBroken(b: { pathParams: FuzzCase['pathParams']; query: QueryPart[]; body: Body | undefined }, kind: string, bytes: Buffer, name: string, make: (m: string, r: boolean, parts: Partial<FuzzCase>, b: { pathParams: FuzzCase['pathParams']; query: QueryPart[]; body: Body | undefined }) => FuzzCase): FuzzCase {
    const boundary = 'fuzzboundary';
    const end = Buffer.from(`--${boundary}--\r\n`);
    const body = (parts: Buffer[]): Body => ({ kind: 'multipart', boundary, parts: Buffer.concat(parts) });
    switch (kind) {
      case 'no file part':
        return make('multipart without a file', true, {}, { ...b, body: body([multipartField(boundary, 'fileName', 'x.txt'), end]) });
      case 'truncated':
        return make('multipart cut off', true, {}, { ...b, body: body([multipartFile(boundary, 'file', 'a.bin', bytes).subarray(0, 60 + (bytes.length >> 1))]) });
      case 'wrong boundary':
        return make('multipart with another boundary', true, {}, { ...b, body: { kind: 'multipart', boundary: 'other', parts: Buffer.concat([multipartFile(boundary, 'file', 'a.bin', bytes), end]) } });
      case 'two files':
        return make('multipart with two files', false, {}, { ...b, body: body([multipartFile(boundary, 'file', 'a.bin', bytes), multipartFile(boundary, 'file', 'b.bin', bytes), end]) });
      case 'many fields':
        return make('multipart with many fields', false, {}, { ...b, body: body([...Array.from({ length: 20 }, (_, i) => multipartField(boundary, `f${i}`, 'x')), multipartFile(boundary, 'file', 'a.bin', bytes), end]) });
      case 'json instead':
        return make('JSON to a multipart route', true, {}, { ...b, body: { kind: 'json', value: { file: bytes.toString('base64') } } });
      case 'empty':
        return make('empty multipart', true, {}, { ...b, body: body([end]) });
      case 'file part only headers':
        return make('multipart file part without its end', true, {}, { ...b, body: body([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n`)]) });
      default:
        return make('multipart with a nasty file name', false, {}, { ...b, body: body([multipartFile(boundary, 'file', name.replace(/[\r\n"]/g, '_') || '_', bytes), end]) });
    }
  }
}

export { oddStrings };
