// Requests for every operation, derived from the server's own OpenAPI document
// (GET /v1/spec), and the ways to break them. Valid values come from each
// parameter's and body's JSON Schema, with real IDs, cursors and URLs of the
// running server mixed in so that many requests get past the 404s; broken ones
// drop required fields, add unknown ones, change types, push numbers past their
// bounds, forge cursors, send invalid UTF-8, bad JSON, the wrong content type, too
// much, or the same query parameter twice. Whether a JSON body is valid is decided
// by the document itself (Ajv), not by this file.
import * as fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

type Schema = Record<string, any>;

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  path: string;
  id: string;
  scope: string;
  params: Param[];
  body?: { kind: 'json' | 'multipart'; schema: Schema };
}

/** Real values of the running server, used for fields with these names. */
export interface Pools {
  chatIDs: string[];
  messageIDs: string[];
  accountIDs: string[];
  userIDs: string[];
  uploadIDs: string[];
  /** mxc://, localmxc:// and file:// URLs that exist */
  urls: string[];
  /** absolute paths of files in the data directory */
  paths: string[];
  cursors: string[];
  reactionKeys: string[];
  words: string[];
}

export function operations(spec: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries<Schema>(spec.paths)) {
    for (const [method, op] of Object.entries<Schema>(byMethod)) {
      const content = op.requestBody?.content ?? {};
      const body = content['application/json']
        ? { kind: 'json' as const, schema: content['application/json'].schema }
        : content['multipart/form-data']
          ? { kind: 'multipart' as const, schema: content['multipart/form-data'].schema }
          : undefined;
      ops.push({ method: method.toUpperCase(), path, id: op.operationId, scope: op['x-switchboard-scope'], params: op.parameters ?? [], body });
    }
  }
  return ops;
}

// ---------------------------------------------------------------- the document as a validator

export class BodyRules {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly spec: Schema) {
    (addFormats as unknown as (a: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: 'doc', components: rewrite(spec.components) });
  }

  /** Whether the document allows this JSON body for the operation. */
  allows(op: Operation, body: unknown): boolean {
    if (!op.body || op.body.kind !== 'json') return true;
    let v = this.compiled.get(op.id);
    if (!v) this.compiled.set(op.id, (v = this.ajv.compile(rewrite(op.body.schema))));
    return v(body) as boolean;
  }

  resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; s?.$ref && i < 10; i++) s = this.spec.components.schemas[String(s.$ref).replace('#/components/schemas/', '')];
    return s;
  }
}

function rewrite(v: unknown): any {
  if (Array.isArray(v)) return v.map(rewrite);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/components', 'doc#/components') : rewrite(x)]));
  }
  return v;
}

// ---------------------------------------------------------------- strings and numbers that hurt

/** Marks where raw invalid UTF-8 bytes go in an encoded body or query (replaced at the byte level). */
export const BAD_UTF8 = '\u0001BADUTF8\u0001';
const BAD_SEQUENCES = [[0xff], [0xfe, 0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];

export const MB = 1024 * 1024;

export const oddStrings = [
  '', ' ', '\t\n\r', '\u0000', 'a\u0000b', '\u202eevil.exe\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd RTL', 'a\u200bb\u200cc\u200dd\ufeff', '👩‍👩‍👧‍👦', '🏳️‍🌈🇺🇳',
  'e\u0301\u0301\u0301\u0301', 'Z̷̡̢͎̖̓͌a̸̧͙̓l̶̡̛g̷o̵', '\ud800', '\udfff\ud800', '\u2028\u2029', 'İıßǅ', 'ﷺ', '%00', '%2e%2e%2f', '../../../../etc/passwd', '..\\..\\windows',
  'file:///etc/passwd', 'http://127.0.0.1:1/x', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '"\'<>&;|`$()', '<script>alert(1)</script>',
  'NEAR(a b)', '* OR "', 'a AND NOT b', '"unterminated', '-x', '^x', 'x*', "' OR 1=1 --", '${jndi:ldap://x}', '{{7*7}}', '\\', '@', ':', '!', '$', '#', '?', '/', '.', '..',
  '!abc:sandbox-whatsapp.localhost', '@x:y', '$event', '0', '-1', '9999999999999999999999', '1e308', 'NaN', 'Infinity', 'null', 'true', '[]', '{}',
  'a'.repeat(300), '\u{10FFFF}', BAD_UTF8, `x${BAD_UTF8}y`,
];

const bigString = fc.constantFrom('a', 'é', '😀', '\u200b', '"', '\\').map((c) => c.repeat(Math.ceil(MB / c.length)));

/** Odd strings of every kind, at most a few hundred characters. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...oddStrings) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 200, maxLength: 400 }) },
);

/** Long strings: a few thousand characters, or 1 MB of one character (for bodies only). */
export const hugeString: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 2_000, maxLength: 5_000 }), bigString);

export const oddNumbers = [0, -0, -1, 1, 1.5, -1.5, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324, Number.MAX_VALUE, 0.1];

// ---------------------------------------------------------------- values from schemas

const FIELD_POOLS: Record<string, keyof Pools> = {
  chatID: 'chatIDs',
  chatIDs: 'chatIDs',
  messageID: 'messageIDs',
  replyToMessageID: 'messageIDs',
  accountID: 'accountIDs',
  accountIDs: 'accountIDs',
  userID: 'userIDs',
  senderID: 'userIDs',
  participantIDs: 'userIDs',
  id: 'userIDs',
  uploadID: 'uploadIDs',
  url: 'urls',
  imgURL: 'urls',
  draftAttachmentPath: 'paths',
  cursor: 'cursors',
  reactionKey: 'reactionKeys',
  query: 'words',
  text: 'words',
  draftText: 'words',
  messageText: 'words',
  sender: 'userIDs',
};

export class Values {
  constructor(
    private readonly rules: BodyRules,
    private readonly pools: Pools,
  ) {}

  pool(name: string): fc.Arbitrary<string> | undefined {
    const key = FIELD_POOLS[name];
    const values = key ? this.pools[key] : undefined;
    return values?.length ? fc.constantFrom(...values) : undefined;
  }

  /** A value the schema accepts (mostly), real IDs preferred for known field names. */
  valid(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = this.rules.resolve(schema) ?? {};
    if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => this.valid(x, name, depth)));
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.const !== undefined) return fc.constant(s.const);
    const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : ['string'];
    if (types.length > 1) return fc.oneof(...types.map((t) => this.valid({ ...s, type: t }, name, depth)));
    const pooled = this.pool(name);
    switch (types[0]) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e6), max: Math.min(s.maximum ?? 1000, 1e6) });
      case 'number':
        return fc.double({ min: s.minimum ?? -1e6, max: Math.min(s.maximum ?? 1e6, 1e6), noNaN: true, noDefaultInfinity: true });
      case 'array': {
        const item = pooled ?? this.valid(s.items ?? {}, name, depth + 1);
        return fc.array(item, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
      }
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = Object.entries<Schema>(s.properties ?? {});
        const required: string[] = s.required ?? [];
        if (!props.length && s.additionalProperties && typeof s.additionalProperties === 'object') {
          return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), this.valid(s.additionalProperties, '', depth + 1), { maxKeys: 2 });
        }
        return fc.record(Object.fromEntries(props.map(([k, v]) => [k, this.valid(v, k, depth + 1)])), { requiredKeys: required });
      }
      default: {
        if (s.format === 'date-time') return isoDate;
        if (s.format === 'binary') return fc.constant('');
        const min = s.minLength ?? 0;
        const generic = fc.string({ minLength: min, maxLength: Math.max(min, 20) });
        return pooled ? fc.oneof({ weight: 5, arbitrary: pooled }, { weight: 1, arbitrary: generic }) : generic;
      }
    }
  }

  /** The same shape, with strings and numbers drawn from the nasty lists. */
  unusual(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = this.rules.resolve(schema) ?? {};
    if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => this.unusual(x, name, depth)));
    const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : ['string'];
    if (s.enum) return fc.oneof(fc.constantFrom(...s.enum), nastyString);
    if (types.length > 1) return fc.oneof(...types.map((t) => this.unusual({ ...s, type: t }, name, depth)));
    switch (types[0]) {
      case 'integer':
      case 'number':
        return fc.oneof(fc.constantFrom(...oddNumbers), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
      case 'array':
        return fc.array(this.unusual(s.items ?? {}, name, depth + 1), { maxLength: 4 });
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = Object.entries<Schema>(s.properties ?? {});
        return fc.record(Object.fromEntries(props.map(([k, v]) => [k, fc.oneof(this.valid(v, k, depth + 1), this.unusual(v, k, depth + 1))])), { requiredKeys: s.required ?? [] });
      }
      case 'string':
        if (s.format === 'date-time') return fc.oneof(isoDate, fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+23:59', '2024-02-29T00:00:00-00:00', '1970-01-01T00:00:00.000Z', '2024-02-30T00:00:00Z', 'yesterday'));
        return nastyString;
      default:
        return fc.oneof(nastyString, fc.constantFrom(...oddNumbers), fc.boolean(), fc.constant(null));
    }
  }
}

const isoDate = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).chain((d) =>
  fc.constantFrom(d.toISOString(), d.toISOString().replace('Z', '+05:30'), d.toISOString().replace(/\.\d+Z$/, 'Z')),
);

/** A value of another JSON type than the schema wants (the caller checks with the document). */
export const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', 'x', [], [1], {}, { a: 1 }, [[[]]], '42', 'true'),
  fc.array(fc.string(), { maxLength: 3 }),
);

// ---------------------------------------------------------------- cursors

export const cursorKinds = ['chats', 'messages', 'search', 'contacts', 'bogus'];
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Cursors that were never handed out: wrong kind, wrong types, huge numbers, not base64, not JSON. */
export const forgedCursor: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...cursorKinds), fc.array(fc.oneof(fc.integer(), fc.constantFrom(...oddNumbers), fc.string({ maxLength: 10 }), fc.constant(null)), { maxLength: 4 })).map(([k, xs]) => b64([k, ...xs])),
  fc.constantFrom(
    b64(['messages', 1e300]), b64(['messages', -1]), b64(['messages', 2 ** 53]), b64(['chats', 0, 0]), b64(['chats', 1e20, -5]), b64(['contacts', '', '']), b64(['search', 'x']),
    b64('[]'), b64('{}'), b64('null'), b64('"messages"'), b64('[1,2,3]'), b64('not json'), '!!!', '====', '%', 'AAAA', ' ', '\u0000', b64(['messages', '1']), b64(['messages', 1, 2]),
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('base64url')),
);
