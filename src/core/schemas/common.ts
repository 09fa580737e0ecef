// Shared building blocks of the wire format. Every TypeScript type that crosses
// the HTTP boundary is inferred from a schema here, so validation, the generated
// OpenAPI document and the code can never drift apart.
import * as z from 'zod';

/** ISO 8601 timestamp with a timezone ("Z" or an offset). */
export const Timestamp = z.iso.datetime({ offset: true });

/** -2 rejected, -1 dropped, 0 unsupported, 1 partial, 2 full; clients test `> 0`. */
export const SupportLevel = z
  .literal([-2, -1, 0, 1, 2])
  .meta({
    id: 'CapabilitySupportLevel',
    description: 'How well the network supports a feature: -2 rejected, -1 silently dropped, 0 not supported, 1 partly, 2 fully.',
  });
export type SupportLevel = z.infer<typeof SupportLevel>;

export const Direction = z.enum(['after', 'before']).meta({
  id: 'Direction',
  description: "Which side of 'cursor' to page towards: 'before' (the default) is older, 'after' is newer.",
});
export type Direction = z.infer<typeof Direction>;

export const Cursor = z.string().meta({
  id: 'Cursor',
  description: 'Opaque position in a list, taken from oldestCursor or newestCursor of an earlier page. Do not build or parse it.',
});

export const Dimensions = z.object({ width: z.number(), height: z.number() });

/** Envelope of every error response. */
export const ErrorIssue = z.object({
  code: z.string().describe('Kind of validation problem.'),
  message: z.string().describe('What is wrong, in words.'),
  path: z.array(z.union([z.string(), z.number()])).describe('Where in the request the problem is.'),
});

export const ErrorBody = z
  .object({
    message: z.string().describe('What went wrong and, where possible, what to do about it.'),
    code: z.string().describe('Stable machine-readable error code.'),
    details: z
      .union([
        z.object({ issues: z.array(ErrorIssue) }).describe('Validation problems, one per offending field.'),
        z.record(z.string(), z.unknown()).describe('Extra context about the error.'),
        z.null(),
      ])
      .optional(),
  })
  .meta({ id: 'Error', description: 'Error response body.' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A page of a cursor-paginated list. */
export function paged<T extends z.ZodType>(item: T, itemsDescription: string) {
  return z.object({
    items: z.array(item).describe(itemsDescription),
    hasMore: z.boolean().describe('Whether more results lie beyond this page in the direction requested.'),
    oldestCursor: z.string().nullable().describe("Cursor of the oldest item on this page; pass it with direction='before' for older results."),
    newestCursor: z.string().nullable().describe("Cursor of the newest item on this page; pass it with direction='after' for newer results."),
  });
}
