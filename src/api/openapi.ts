// Switchboard's own OpenAPI 3.1 document, generated from the route table: the
// same zod schemas that validate requests and describe responses.
import * as z from 'zod';
import type { RouteDef } from './route.ts';
import { ErrorBody } from '../core/schemas/common.ts';

type JsonSchema = Record<string, unknown>;

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'The request is malformed: a parameter or body field is missing or invalid (see details.issues).',
  '401': 'No valid access token.',
  '403': 'The token lacks the scope this operation needs, or the Host header is not this machine.',
  '404': 'The chat, message, account or file does not exist.',
  '413': 'The request body is larger than this operation takes.',
  '414': 'The URL or a path parameter is too long.',
  '415': 'The request body is not of a type this operation takes.',
  '422': 'The request is valid but the chat, its network or its state refuses it (see code).',
  '429': 'Too many failed authentication attempts; wait for Retry-After seconds.',
  '500': 'Unexpected server error.',
};

/** Collects schemas tagged with an id into components, leaving $refs in their place. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline', override: integerEnums }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    delete json.$schema;
    for (const [id, def] of Object.entries(defs)) this.schemas[id] ??= rewriteRefs(def);
    // A top-level schema with an id becomes a component of its own.
    const id = z.globalRegistry.get(schema)?.id;
    if (id) {
      this.schemas[id] ??= rewriteRefs(json);
      return { $ref: `#/components/schemas/${id}` };
    }
    return rewriteRefs(json);
  }
}

/** zod writes numeric literals as numbers; an enum of whole numbers is an integer enum. */
function integerEnums(ctx: { jsonSchema: JsonSchema }): void {
  const s = ctx.jsonSchema;
  if (s.type === 'number' && Array.isArray(s.enum) && s.enum.every((v) => Number.isInteger(v))) s.type = 'integer';
}

function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v);
    return out as T;
  }
  return value;
}

function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

export function buildOpenApi(routes: RouteDef[], meta: { version: string; baseURL: string }): Record<string, unknown> {
  const components = new Components();
  const errorRef = components.convert(ErrorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        const json = components.convert(field, 'input');
        const { description, ...fieldSchema } = json;
        parameters.push({ name, in: where, required: where === 'path' || !isOptional(field), ...(description ? { description } : {}), schema: fieldSchema, ...(json.type === 'array' ? { style: 'form', explode: true } : {}) });
      }
    }
    const responses: Record<string, unknown> = {};
    const header = { 'X-Beeper-Desktop-Version': { $ref: '#/components/headers/X-Beeper-Desktop-Version' } };
    const success = r.response;
    responses[String(success.status)] = {
      description: success.status === 204 ? 'Done; no content.' : 'Success.',
      headers: header,
      ...(success.schema
        ? { content: { 'application/json': { schema: components.convert(success.schema, 'output') } } }
        : success.contentType
          ? { content: { [success.contentType]: { schema: { type: 'string', format: 'binary' } } } }
          : {}),
    };
    for (const [status, description] of Object.entries(r.extraResponses ?? {})) {
      responses[status] = { description, headers: header, ...(status === '206' ? { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } : {}) };
    }
    const takesBody = !!(r.body || r.multipart);
    for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
      // Public routes still refuse bad parameters (400) and foreign Hosts (403).
      if (r.scope === 'public' && !['400', '403', '414', '500'].includes(status)) continue;
      if (!takesBody && ['413', '415'].includes(status)) continue;
      responses[status] = { description, headers: header, content: { 'application/json': { schema: errorRef } } };
    }
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      tags: [r.tag],
      summary: r.summary,
      description: r.description,
      security: r.scope === 'public' ? [] : [{ bearerAuth: [] }],
      'x-switchboard-scope': r.scope,
      ...(parameters.length ? { parameters } : {}),
      responses,
    };
    if (r.body) op.requestBody = { required: !isOptional(r.body) && r.method !== 'POST' ? true : undefined, content: { 'application/json': { schema: components.convert(r.body, 'input') } } };
    if (r.multipart) op.requestBody = { required: true, content: { 'multipart/form-data': { schema: components.convert(r.multipart, 'input') } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: meta.version,
      description:
        'Switchboard serves the Beeper Desktop API from a headless server: the same paths, parameters and shapes, so its SDKs and tools work unchanged. IDs and cursors are opaque strings; timestamps are ISO 8601; every response carries X-Beeper-Desktop-Version; errors are {message, code, details}.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: meta.baseURL }],
    security: [{ bearerAuth: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      headers: { 'X-Beeper-Desktop-Version': { description: 'Version of the server that answered.', schema: { type: 'string' } } },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An access token from `switchboard token create` (or OAuth, once enabled).' },
      },
    },
  };
}
