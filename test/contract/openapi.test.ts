// Switchboard's generated OpenAPI document against the Beeper Desktop API 5.0.0
// reference. The reference is read at run time (BEEPER_SPEC, or the shared copy
// next to the repository); nothing of it is kept in this repository.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { routeTable } from '../../src/api/server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Obj = { [key: string]: unknown };
type Doc = Obj;
type Mode = 'request' | 'response';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------
// Locating the reference

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_REFERENCE = fileURLToPath(new URL('../../../shared/spec/beeper-desktop-api-5.0.0.openapi.json', import.meta.url));

function loadReference(): Doc {
  const fromEnv = process.env.BEEPER_SPEC;
  const file = fromEnv || DEFAULT_REFERENCE;
  if (!existsSync(file)) {
    const where = fromEnv ? `${file} (from BEEPER_SPEC)` : `${file} (../shared/spec/ relative to the repository root ${REPO_ROOT})`;
    throw new Error(
      `The reference OpenAPI document is absent: looked for ${where}. ` +
        'Set BEEPER_SPEC=/path/to/beeper-desktop-api-5.0.0.openapi.json to point to it.',
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Doc;
}

// ---------------------------------------------------------------------------
// $ref resolution

function pointer(doc: Doc, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObj(cur) || !(key in cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Follows $ref chains; sibling keywords next to a $ref override the target's. */
function deref(doc: Doc, node: unknown): { node: unknown; ref?: string } {
  let ref: string | undefined;
  for (let hops = 0; isObj(node) && typeof node.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref loop at ${ref}`);
    const { $ref, ...siblings } = node as Obj & { $ref: string };
    ref ??= $ref;
    const target = pointer(doc, $ref);
    if (target === undefined) throw new Error(`unresolvable $ref ${$ref}`);
    node = Object.keys(siblings).length && isObj(target) ? { ...target, ...siblings } : target;
  }
  return { node, ref };
}

const componentName = (ref: string | undefined) => ref?.match(/^#\/components\/schemas\/(.+)$/)?.[1];

// ---------------------------------------------------------------------------
// Schema normalization: both documents are brought to one shape, so that
// OpenAPI 3.0 `nullable` and JSON Schema `type: [X, 'null']` / `anyOf: [X, {type: 'null'}]`
// compare equal, `const`s and unions of consts read as enums, and `allOf` is merged.

interface Norm {
  name?: string;
  types: Set<string>; // without 'null'; empty: unconstrained
  nullable: boolean;
  enum?: unknown[];
  format?: string;
  bounds: Obj;
  properties?: Obj;
  required: string[];
  items?: unknown;
  additionalProperties?: unknown;
  variants?: Norm[];
}

const BOUND_KEYS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const;

const isAny = (n: Norm) =>
  n.types.size === 0 && !n.enum && !n.properties && n.items === undefined && n.additionalProperties === undefined && !n.variants && !n.format;
const isNullOnly = (n: Norm) => isAny(n) && n.nullable;

function mergeInto(a: Norm, b: Norm): void {
  if (b.types.size) a.types = a.types.size ? new Set([...a.types].filter((t) => b.types.has(t))) : new Set(b.types);
  if (b.enum) a.enum = a.enum ? a.enum.filter((v) => b.enum!.some((w) => JSON.stringify(w) === JSON.stringify(v))) : b.enum;
  a.format = b.format ?? a.format;
  a.bounds = { ...a.bounds, ...b.bounds };
  if (b.properties) {
    const props: Obj = { ...(a.properties ?? {}) };
    for (const [k, v] of Object.entries(b.properties)) props[k] = k in props ? { allOf: [props[k], v] } : v;
    a.properties = props;
  }
  a.required = [...new Set([...a.required, ...b.required])];
  a.items = b.items ?? a.items;
  a.additionalProperties = b.additionalProperties ?? a.additionalProperties;
  a.variants = b.variants ?? a.variants;
}

function normalize(doc: Doc, raw: unknown): Norm {
  const { node, ref } = deref(doc, raw);
  const n: Norm = { name: componentName(ref), types: new Set(), nullable: false, required: [], bounds: {} };
  if (!isObj(node)) return n; // `true` / `{}`: anything
  const types = typeof node.type === 'string' ? [node.type] : Array.isArray(node.type) ? (node.type as string[]) : [];
  for (const t of types) t === 'null' ? (n.nullable = true) : n.types.add(t);
  if (node.nullable === true) n.nullable = true;
  if ('const' in node) n.enum = [node.const];
  if (Array.isArray(node.enum)) {
    if (node.enum.includes(null)) n.nullable = true;
    n.enum = node.enum.filter((v) => v !== null);
  }
  if (typeof node.format === 'string') n.format = node.format;
  for (const k of BOUND_KEYS) if (node[k] !== undefined) n.bounds[k] = node[k];
  if (isObj(node.properties)) n.properties = node.properties;
  if (Array.isArray(node.required)) n.required = node.required as string[];
  if (node.items !== undefined) n.items = node.items;
  if (node.additionalProperties !== undefined) n.additionalProperties = node.additionalProperties;

  if (Array.isArray(node.allOf)) {
    const members = node.allOf.map((m) => normalize(doc, m));
    for (const m of members) mergeInto(n, m);
    const typed = members.filter((m) => !isAny(m));
    if (typed.length && typed.every((m) => m.nullable)) n.nullable = true;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!Array.isArray(node[key])) continue;
    const branches = (node[key] as unknown[]).map((b) => normalize(doc, b));
    const nonNull = branches.filter((b) => !isNullOnly(b));
    if (nonNull.length < branches.length) n.nullable = true;
    if (nonNull.length > 1 && nonNull.every((b) => b.enum && !b.properties && b.items === undefined && !b.variants)) {
      // A union of constants is an enum.
      mergeInto(n, { types: new Set(nonNull.flatMap((b) => [...b.types])), nullable: false, required: [], bounds: {}, enum: nonNull.flatMap((b) => b.enum!) });
    } else if (nonNull.length === 1) {
      mergeInto(n, nonNull[0]!);
      if (nonNull[0]!.nullable) n.nullable = true;
    } else if (nonNull.length > 1) {
      n.variants = nonNull;
    }
  }
  // Implicit types.
  if (!n.types.size && !n.variants && !n.enum) {
    if (n.properties || isObj(n.additionalProperties)) n.types.add('object');
    else if (n.items !== undefined) n.types.add('array');
  }
  return n;
}

function describeNorm(n: Norm): string {
  if (n.name) return n.name;
  if (n.variants) return `anyOf(${n.variants.map(describeNorm).join(' | ')})`;
  const t = n.types.size ? [...n.types].sort().join('|') : 'any';
  return `${t}${n.enum ? ` enum ${JSON.stringify(n.enum)}` : ''}${n.format ? ` (${n.format})` : ''}${n.nullable ? ' | null' : ''}`;
}

// ---------------------------------------------------------------------------
// The comparator

interface Ctx {
  ref: Doc;
  ours: Doc;
  problems: string[];
  done: Set<string>;
  depth: number;
}

const sameValues = (a: unknown[], b: unknown[]) => {
  const key = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort().join(',');
  return key(a) === key(b);
};

function compareSchemas(ctx: Ctx, R: Norm, O: Norm, path: string, mode: Mode): void {
  if (R.name) {
    // A reference component is compared (and reported) once per counterpart.
    path = O.name === R.name ? R.name : `${path} <${R.name} vs ours ${O.name ?? 'inline'}>`;
    const key = `${mode}|${path}`;
    if (ctx.done.has(key)) return;
    ctx.done.add(key);
  }
  if (ctx.depth > 40) {
    ctx.problems.push(`${path}: nesting too deep to compare`);
    return;
  }
  const problem = (msg: string) => ctx.problems.push(`${path}: ${msg}`);
  const sub = (r: Norm, o: Norm, p: string) => {
    ctx.depth++;
    compareSchemas(ctx, r, o, p, mode);
    ctx.depth--;
  };
  const compatible = (r: Norm, o: Norm) => {
    const trial: Ctx = { ...ctx, problems: [], done: new Set(), depth: ctx.depth + 1 };
    compareSchemas(trial, r, o, path, mode);
    return trial.problems.length === 0;
  };

  if (isAny(R)) return; // the reference constrains nothing here
  if (R.nullable && !O.nullable) problem('the reference allows null; ours does not');
  if (!R.nullable && O.nullable) problem('ours allows null; the reference does not');

  if (R.variants) {
    const candidates = O.variants ?? [O];
    R.variants.forEach((rv, i) => {
      if (!candidates.some((ov) => compatible(rv, ov))) {
        problem(`anyOf branch ${i + 1} of the reference (${describeNorm(rv)}) has no compatible branch in ours (${candidates.map(describeNorm).join(' | ')})`);
      }
    });
    for (const ov of O.variants ?? []) {
      if (!R.variants.some((rv) => compatible(rv, ov))) problem(`ours has a union branch (${describeNorm(ov)}) that the reference does not have`);
    }
    return;
  }
  if (O.variants) {
    problem(`ours is a union (${describeNorm(O)}) where the reference has ${describeNorm(R)}`);
    return;
  }

  // Types ('integer' and 'number' are distinct: an integer in the reference needs an integer in ours).
  const rt = [...R.types].sort().join('|');
  const ot = [...O.types].sort().join('|');
  if (rt && !ot) problem(`type ${rt} in the reference; ours has no type`);
  else if (rt && rt !== ot) problem(`type ${rt} in the reference; ours is ${ot}`);

  if (R.enum) {
    if (!O.enum) problem(`enum ${JSON.stringify(R.enum)} in the reference; ours has no enum`);
    else if (!sameValues(R.enum, O.enum)) problem(`enum ${JSON.stringify(R.enum)} in the reference; ours is ${JSON.stringify(O.enum)}`);
  } else if (O.enum) {
    problem(`ours restricts the values to ${JSON.stringify(O.enum)}; the reference has no enum`);
  }

  if (R.format && R.format !== O.format) problem(`format ${R.format} in the reference; ours has ${O.format ?? 'none'}`);
  compareBounds(R, O, problem);

  if (R.properties || R.required.length) {
    const oursProps = O.properties ?? {};
    for (const [k, rs] of Object.entries(R.properties ?? {})) {
      if (!(k in oursProps)) {
        ctx.problems.push(`${path}.${k}: property missing in ours`);
        continue;
      }
      sub(normalize(ctx.ref, rs), normalize(ctx.ours, oursProps[k]), `${path}.${k}`);
    }
    const oursRequired = new Set(O.required);
    for (const k of R.required) if (!oursRequired.has(k) && k in oursProps) problem(`${k} is required in the reference but optional in ours`);
    if (mode === 'request') {
      const refRequired = new Set(R.required);
      for (const k of O.required) if (!refRequired.has(k)) problem(`${k} is required in ours but not in the reference`);
    }
  }

  if (isObj(R.additionalProperties)) {
    if (O.additionalProperties === undefined || O.additionalProperties === true || isObj(O.additionalProperties)) {
      sub(normalize(ctx.ref, R.additionalProperties), normalize(ctx.ours, O.additionalProperties ?? {}), `${path}{*}`);
    } else problem('the reference allows additional properties with a schema; ours forbids them');
  }

  if (R.items !== undefined) {
    if (O.items === undefined) problem('the reference describes array items; ours does not');
    else sub(normalize(ctx.ref, R.items), normalize(ctx.ours, O.items), `${path}[]`);
  }
}

function compareBounds(R: Norm, O: Norm, problem: (msg: string) => void): void {
  const integer = O.types.size === 1 && O.types.has('integer');
  const lower = (exclusive: unknown, inclusive: unknown): number | undefined => {
    // Ours as an exclusive lower bound, whichever style it uses.
    if (typeof exclusive === 'number') return exclusive;
    if (typeof inclusive === 'number') return exclusive === true ? inclusive : integer ? inclusive - 1 : undefined;
    return undefined;
  };
  const upper = (exclusive: unknown, inclusive: unknown): number | undefined => {
    if (typeof exclusive === 'number') return exclusive;
    if (typeof inclusive === 'number') return exclusive === true ? inclusive : integer ? inclusive + 1 : undefined;
    return undefined;
  };
  const r = R.bounds;
  const o = O.bounds;
  // An exclusive bound (3.0 boolean style or 3.1 number style) in the reference.
  const refExclusiveMin = r.exclusiveMinimum === true ? r.minimum : typeof r.exclusiveMinimum === 'number' ? r.exclusiveMinimum : undefined;
  const refExclusiveMax = r.exclusiveMaximum === true ? r.maximum : typeof r.exclusiveMaximum === 'number' ? r.exclusiveMaximum : undefined;
  if (typeof refExclusiveMin === 'number') {
    if (lower(o.exclusiveMinimum, o.minimum) !== refExclusiveMin) problem(`exclusive minimum ${refExclusiveMin} in the reference; ours has ${JSON.stringify({ minimum: o.minimum, exclusiveMinimum: o.exclusiveMinimum })}`);
  } else if (r.minimum !== undefined && o.minimum !== r.minimum) problem(`minimum ${r.minimum} in the reference; ours has ${o.minimum ?? 'none'}`);
  if (typeof refExclusiveMax === 'number') {
    if (upper(o.exclusiveMaximum, o.maximum) !== refExclusiveMax) problem(`exclusive maximum ${refExclusiveMax} in the reference; ours has ${JSON.stringify({ maximum: o.maximum, exclusiveMaximum: o.exclusiveMaximum })}`);
  } else if (r.maximum !== undefined && o.maximum !== r.maximum) problem(`maximum ${r.maximum} in the reference; ours has ${o.maximum ?? 'none'}`);
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (r[k] === undefined) continue;
    // A lower bound of 0 constrains nothing, so no bound is the same.
    const ours = o[k] ?? ((k === 'minLength' || k === 'minItems') && r[k] === 0 ? 0 : undefined);
    if (ours !== r[k]) problem(`${k} ${r[k]} in the reference; ours has ${o[k] ?? 'none'}`);
  }
}

function parametersOf(doc: Doc, pathItem: Obj, op: Obj): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const list of [pathItem.parameters, op.parameters]) {
    for (const raw of (list as unknown[] | undefined) ?? []) {
      const p = deref(doc, raw).node as Obj;
      out.set(`${p.in}.${p.name}`, p);
    }
  }
  return out;
}

function operations(doc: Doc): Array<{ path: string; method: string; op: Obj; item: Obj }> {
  const out: Array<{ path: string; method: string; op: Obj; item: Obj }> = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Obj)) {
    if (!isObj(item)) continue;
    for (const method of METHODS) if (isObj(item[method])) out.push({ path, method, op: item[method] as Obj, item });
  }
  return out;
}

/** Every way `ours` falls short of `ref`, as readable lines. */
function compareDocuments(ref: Doc, ours: Doc): string[] {
  const ctx: Ctx = { ref, ours, problems: [], done: new Set(), depth: 0 };
  const problems = ctx.problems;
  const oursPaths = (ours.paths ?? {}) as Obj;
  for (const { path, method, op, item } of operations(ref)) {
    const label = `${method.toUpperCase()} ${path}`;
    const oursItem = oursPaths[path];
    const oursOp = isObj(oursItem) ? oursItem[method] : undefined;
    if (!isObj(oursOp) || !isObj(oursItem)) {
      problems.push(`${label}: operation missing in ours`);
      continue;
    }
    if (op.operationId !== oursOp.operationId) problems.push(`${label}: operationId ${String(op.operationId)} in the reference; ours is ${String(oursOp.operationId)}`);

    // Parameters
    const refParams = parametersOf(ref, item, op);
    const oursParams = parametersOf(ours, oursItem, oursOp);
    for (const [key, rp] of refParams) {
      const where = `${label} parameter ${key}`;
      const p = oursParams.get(key);
      if (!p) {
        problems.push(`${where}: missing in ours`);
        continue;
      }
      const refRequired = rp.required === true;
      const oursRequired = p.required === true;
      if (refRequired !== oursRequired) problems.push(`${where}: required=${refRequired} in the reference; ours required=${oursRequired}`);
      compareSchemas(ctx, normalize(ref, rp.schema ?? {}), normalize(ours, p.schema ?? {}), where, 'request');
    }
    for (const [key, p] of oursParams) {
      if (!refParams.has(key) && p.required === true) problems.push(`${label} parameter ${key}: required in ours but absent from the reference`);
    }

    // Request body
    if (op.requestBody !== undefined) {
      const rb = deref(ref, op.requestBody).node as Obj;
      if (oursOp.requestBody === undefined) problems.push(`${label} requestBody: missing in ours`);
      else {
        const ob = deref(ours, oursOp.requestBody).node as Obj;
        const rc = (rb.content ?? {}) as Obj;
        const oc = (ob.content ?? {}) as Obj;
        if (Object.keys(rc).sort().join() !== Object.keys(oc).sort().join()) {
          problems.push(`${label} requestBody: content types ${Object.keys(rc).sort().join(', ')} in the reference; ours ${Object.keys(oc).sort().join(', ')}`);
        }
        for (const [type, media] of Object.entries(rc)) {
          if (!isObj(oc[type])) continue;
          compareSchemas(ctx, normalize(ref, (media as Obj).schema ?? {}), normalize(ours, (oc[type] as Obj).schema ?? {}), `${label} requestBody ${type}`, 'request');
        }
      }
    }

    // Responses
    const oursResponses = (oursOp.responses ?? {}) as Obj;
    for (const [status, rawResponse] of Object.entries((op.responses ?? {}) as Obj)) {
      const where = `${label} response ${status}`;
      if (oursResponses[status] === undefined) {
        problems.push(`${where}: missing in ours`);
        continue;
      }
      if (!status.startsWith('2')) continue;
      const rr = deref(ref, rawResponse).node as Obj;
      const or = deref(ours, oursResponses[status]).node as Obj;
      const rc = (rr.content ?? {}) as Obj;
      const oc = (or.content ?? {}) as Obj;
      if (!Object.keys(rc).length && Object.keys(oc).length) problems.push(`${where}: ours has a body (${Object.keys(oc).join(', ')}); the reference has none`);
      for (const [type, media] of Object.entries(rc)) {
        if (!isObj(oc[type])) {
          problems.push(`${where}: content type ${type} missing in ours (ours: ${Object.keys(oc).join(', ') || 'none'})`);
          continue;
        }
        compareSchemas(ctx, normalize(ref, (media as Obj).schema ?? {}), normalize(ours, (oc[type] as Obj).schema ?? {}), `${where} ${type}`, 'response');
      }
    }
  }
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------

function collectRefs(value: unknown, at = '#', out: Array<{ at: string; ref: string }> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => collectRefs(v, `${at}/${i}`, out));
  else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else collectRefs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

const expectedScope = (method: string, path: string) => {
  if (method === 'GET') return path === '/v1/info' || path === '/v1/spec' ? 'public' : 'read';
  if (method === 'POST' && path === '/v1/assets/download') return 'read';
  return 'write';
};

let server: TestServer;
let ours: Doc;

beforeAll(async () => {
  server = await startTestServer({ sandbox: false });
  const res = await globalThis.fetch(`${server.baseURL}/v1/spec`);
  expect(res.status).toBe(200);
  ours = (await res.json()) as Doc;
});
afterAll(async () => server?.stop());

describe('our OpenAPI document is valid', () => {
  it('is OpenAPI 3.1.0, every $ref resolves and every operation has a unique operationId', () => {
    expect(ours.openapi).toBe('3.1.0');
    const unresolved = collectRefs(ours)
      .filter(({ ref }) => pointer(ours, ref) === undefined)
      .map(({ at, ref }) => `${at}: ${ref}`);
    expect(unresolved).toEqual([]);
    const ops = operations(ours);
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.filter(({ op }) => typeof op.operationId !== 'string' || !op.operationId).map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every component schema compiles with Ajv (JSON Schema 2020-12)', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    // Each component becomes a schema of its own; refs between them are rewritten to its $id.
    const id = (name: string) => `https://switchboard.invalid/components/schemas/${encodeURIComponent(name)}`;
    const rewrite = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(rewrite)
        : isObj(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace(/^#\/components\/schemas\/(.+)$/, (_m, n: string) => id(n)) : rewrite(x)]))
          : v;
    const schemas = ((ours.components as Obj).schemas ?? {}) as Obj;
    expect(Object.keys(schemas).length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const [name, schema] of Object.entries(schemas)) {
      try {
        ajv.addSchema({ ...(rewrite(schema) as Obj), $id: id(name) });
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    for (const name of Object.keys(schemas)) {
      try {
        if (!ajv.getSchema(id(name))) failures.push(`${name}: did not compile`);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('our OpenAPI document against the Beeper Desktop API 5.0.0 reference', () => {
  it('has every operation, parameter, body and response of the reference, with compatible schemas', () => {
    const ref = loadReference();
    expect(operations(ref)).toHaveLength(30);
    const problems = compareDocuments(ref, ours);
    expect(problems).toEqual([]);
  });

  it('the comparator finds no difference between our document and itself', () => {
    expect(compareDocuments(ours, ours)).toEqual([]);
  });

  it('the comparator reports a deleted parameter, a changed enum and a weakened required field', () => {
    const ref = loadReference();
    const broken = structuredClone(ours) as Doc & { paths: Record<string, Record<string, Obj>>; components: { schemas: Record<string, Obj> } };
    // 1. delete a query parameter
    const getChat = broken.paths['/v1/chats/{chatID}']!.get!;
    const params = getChat.parameters as Obj[];
    expect(params.some((p) => p.name === 'maxParticipantCount')).toBe(true);
    getChat.parameters = params.filter((p) => p.name !== 'maxParticipantCount');
    // 2. change an enum
    const chatType = (broken.components.schemas.Chat!.properties as Record<string, Obj>).type!;
    expect(Array.isArray(chatType.enum)).toBe(true);
    chatType.enum = [...(chatType.enum as unknown[]), 'channel'];
    // 3. make a required response field optional
    const message = broken.components.schemas.Message!;
    expect(message.required).toContain('sortKey');
    message.required = (message.required as string[]).filter((k) => k !== 'sortKey');

    const baseline = new Set(compareDocuments(ref, ours));
    const introduced = compareDocuments(ref, broken).filter((p) => !baseline.has(p));
    expect(introduced).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GET \/v1\/chats\/\{chatID\} parameter query\.maxParticipantCount: missing in ours$/),
        expect.stringMatching(/^Chat\.type: enum .*"channel"/),
        expect.stringMatching(/^Message: sortKey is required in the reference but optional in ours$/),
      ]),
    );
    // Nothing else: every new problem is one of the three (seen wherever the schema is used).
    expect(introduced.filter((p) => !/maxParticipantCount|"channel"|sortKey is required/.test(p))).toEqual([]);

    // The same three, and nothing else, with our own document as the yardstick.
    const againstOurs = compareDocuments(ours, broken);
    expect(againstOurs).toEqual(
      expect.arrayContaining([
        'GET /v1/chats/{chatID} parameter query.maxParticipantCount: missing in ours',
        expect.stringMatching(/^Chat\.type: enum .*"channel"/),
        'Message: sortKey is required in the reference but optional in ours',
      ]),
    );
    expect(againstOurs).toHaveLength(3);
  });
});

describe('route table', () => {
  const routes = routeTable({ info: () => ({}) as never, spec: () => ({}) });

  it('lists every reference operation exactly once', () => {
    const ref = loadReference();
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    const problems: string[] = [];
    for (const { method, path, op } of operations(ref)) {
      const key = `${method.toUpperCase()} ${path}`;
      const matches = routes.filter((r) => `${r.method} ${r.path}` === key);
      if (matches.length !== 1) problems.push(`${key}: listed ${matches.length} times`);
      else if (matches[0]!.operationId !== op.operationId) problems.push(`${key}: operationId ${matches[0]!.operationId}, reference ${String(op.operationId)}`);
    }
    expect(problems).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('gives each route its scope: GET read (info and spec public), other methods write, POST /v1/assets/download read', () => {
    const scopeOf = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)?.scope;
    expect(scopeOf('GET', '/v1/info')).toBe('public');
    expect(scopeOf('GET', '/v1/spec')).toBe('public');
    expect(scopeOf('POST', '/v1/assets/download')).toBe('read');
    expect(scopeOf('GET', '/v1/chats')).toBe('read');
    expect(scopeOf('GET', '/v1/assets/serve')).toBe('read');
    expect(scopeOf('POST', '/v1/chats')).toBe('write');
    expect(scopeOf('DELETE', '/v1/chats/{chatID}/messages/{messageID}')).toBe('write');
    const wrong = routes.filter((r) => r.scope !== expectedScope(r.method, r.path)).map((r) => `${r.method} ${r.path}: ${r.scope}, expected ${expectedScope(r.method, r.path)}`);
    expect(wrong).toEqual([]);
  });
});
