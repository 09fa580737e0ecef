import { ConnectorRefusal } from '../networks/connector.ts';

// Errors core raises for the API to report. Each carries the HTTP status and a
// stable code; the message says what failed and, where it helps, what to do.

export type ErrorDetails = { issues: Array<{ code: string; message: string; path: Array<string | number> }> } | Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetails) => new ApiError(400, code, message, details);
export const forbidden = (code: string, message: string, details?: ErrorDetails) => new ApiError(403, code, message, details);
export const notFound = (code: string, message: string, details?: ErrorDetails) => new ApiError(404, code, message, details);
/** The request is well-formed but the chat, network or state refuses it. */
export const refused = (code: string, message: string, details?: ErrorDetails) => new ApiError(422, code, message, details);

/**
 * Runs a call into a network connector: a refusal by the network becomes a 422
 * with the network's own code and words (and the network's name in details).
 */
export async function networkCall<T>(network: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnectorRefusal) throw refused(err.code, err.message, { network });
    throw err;
  }
}
