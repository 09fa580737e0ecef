// Query strings arrive as strings (or arrays of strings when a key repeats).
// Each value is converted by the base type of its schema field before zod
// validates it, so schemas stay plain and the OpenAPI document stays exact.
import type * as z from 'zod';

type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType };

function baseType(schema: z.ZodType): string {
  let def = (schema as unknown as { def: Def }).def;
  while (def.innerType || (def.type === 'pipe' && def.in)) def = ((def.innerType ?? def.in) as unknown as { def: Def }).def;
  return def.type;
}

function convert(value: string, type: string): unknown {
  if (type === 'number' || type === 'int') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value === 'null' || value === '' ? null : value;
  return value;
}

export function coerceQuery(shape: Record<string, z.ZodType>, raw: Record<string, unknown>): Record<string, unknown> {
  // A Map, not an object: keys such as `__proto__` or `toString` are plain unknown keys here.
  const out = new Map<string, unknown>();
  const has = (name: string) => Object.hasOwn(shape, name);
  for (const [key, value] of Object.entries(raw)) {
    // Accept both `ids=a&ids=b` and `ids[]=a&ids[]=b`.
    const name = key.endsWith('[]') && has(key.slice(0, -2)) ? key.slice(0, -2) : key;
    if (!has(name)) {
      out.set(name, value);
      continue;
    }
    const field = shape[name]!;
    const type = baseType(field);
    if (type === 'array') {
      const element = baseType(arrayElement(field));
      const list = Array.isArray(value) ? value : [value];
      out.set(name, [...((out.get(name) as unknown[]) ?? []), ...list.map((v) => (typeof v === 'string' ? convert(v, element) : v))]);
    } else {
      out.set(name, typeof value === 'string' ? convert(value, type) : value);
    }
  }
  return Object.fromEntries(out);
}

/** The element schema of an array field, under any optional/nullable/default wrappers. */
function arrayElement(schema: z.ZodType): z.ZodType {
  let s = schema as unknown as { def: Def };
  while (s.def.type !== 'array' && s.def.innerType) s = s.def.innerType as unknown as { def: Def };
  return (s.def.element ?? s) as unknown as z.ZodType;
}
