// Assertions shared by the API tests: failed SDK calls (the official SDK's
// APIError with the error envelope {message, code, details}) and polling.
import { expect } from 'vitest';
import { APIError } from '@beeper/desktop-api';

/** One problem of a 400 VALIDATION_ERROR (`details.issues`). */
export interface ValidationIssue {
  code: string;
  message: string;
  path: Array<string | number>;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  message: string;
  code: string;
  /** `{ issues }` for validation errors; otherwise whatever the error adds (limits, allowed values, …). */
  details?: { issues?: ValidationIssue[] } & Record<string, unknown>;
}

/** An SDK error for an HTTP error response, its body parsed as the error envelope. */
export type ApiFailure = APIError<number, Headers, ErrorBody>;

/**
 * Awaits a call that must fail with an HTTP error and returns the SDK's error.
 * Checks the status and the error code when they are given, and always that the
 * body has a message. Any other failure (a network error, a response that does
 * not match the OpenAPI document) is thrown on as it is.
 */
export async function apiError(p: Promise<unknown>, status?: number, code?: string): Promise<ApiFailure> {
  const expected = `HTTP ${status ?? 'error'}${code ? ` ${code}` : ''}`;
  try {
    await p;
  } catch (err) {
    if (!(err instanceof APIError)) throw err;
    const e = err as ApiFailure;
    expect({ status: e.status, code: e.error?.code }, `expected ${expected}`).toEqual({ status: status ?? e.status, code: code ?? e.error?.code });
    expect(typeof e.error?.message, 'the error body has a message').toBe('string');
    return e;
  }
  throw new Error(`expected ${expected}, but the call succeeded`);
}

/** The `code` of an error envelope, if the error has one. */
export function codeOf(e: APIError): string | undefined {
  const body = e.error as Partial<ErrorBody> | undefined;
  return body?.code;
}

/**
 * Calls `get` until `ok` holds for its value and returns that value; fails after
 * `timeoutMs` naming `what` was awaited and the last value seen.
 */
export async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
