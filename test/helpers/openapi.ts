// Validates responses against Switchboard's own generated OpenAPI document.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components: { schemas: Record<string, unknown> } };

const rewrite = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(rewrite);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/components', 'switchboard#/components') : rewrite(x)]));
  }
  return v;
};

export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly templates: Array<{ template: string; regex: RegExp; literal: number }>;

  constructor(private readonly doc: Doc) {
    (addFormats as unknown as (a: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: 'switchboard', components: rewrite(doc.components) });
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
      literal: template.split('/').filter((s) => s && !s.startsWith('{')).length,
    }));
  }

  /** The route template a concrete path belongs to (the most specific match). */
  match(pathname: string): string | undefined {
    return this.templates.filter((t) => t.regex.test(pathname)).sort((a, b) => b.literal - a.literal)[0]?.template;
  }

  /** Returns a list of problems (empty when the body matches the documented schema). */
  validate(method: string, pathname: string, status: number, body: unknown): string[] {
    const template = this.match(pathname);
    if (!template) return [`${method} ${pathname}: no documented path`];
    const op = this.doc.paths[template]![method.toLowerCase()];
    if (!op) return [`${method} ${template}: no documented operation`];
    const response = op.responses[String(status)];
    if (!response) return [`${method} ${template}: status ${status} is not documented`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return body === undefined || body === '' ? [] : [];
    const key = `${method} ${template} ${status}`;
    if (!this.cache.has(key)) this.cache.set(key, this.ajv.compile(rewrite(schema) as object));
    const validate = this.cache.get(key)!;
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${key}: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
