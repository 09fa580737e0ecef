// A route is declared once, with its schemas and required scope; that one
// declaration drives validation, authorization, the OpenAPI document and the
// tests that walk every route.
import type * as z from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../core/core.ts';

export type Scope = 'public' | 'read' | 'write';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Sends JSON that is already text (a cached serialization), as Fastify would send an object. */
export const sendJSON = (reply: FastifyReply, json: string | Buffer) => reply.type('application/json; charset=utf-8').send(json);

type Obj = z.ZodObject;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  core: Core;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDef<P extends Obj | undefined = Obj | undefined, Q extends Obj | undefined = Obj | undefined, B extends z.ZodType | undefined = z.ZodType | undefined> {
  method: Method;
  /** OpenAPI-style path, e.g. /v1/chats/{chatID}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  scope: Scope;
  params?: P;
  query?: Q;
  body?: B;
  /** Multipart upload: the body is streamed by the handler, not validated as JSON. */
  multipart?: z.ZodObject;
  /** Success status and schema (null: no body). */
  response: { status: 200 | 204; schema: z.ZodType | null; contentType?: string };
  /** Extra statuses the route can answer besides the common error ones (e.g. 206). */
  extraResponses?: Record<number, string>;
  bodyLimit?: number;
  /**
   * The result is the response body (or undefined when the handler sent the reply
   * itself). A handler that needs nothing asynchronous may answer synchronously:
   * the reply then leaves without a promise round trip, which under load costs a
   * quarter of a small response's CPU time.
   */
  handler(input: RouteInput<P, Q, B>): unknown;
}

export function route<P extends Obj | undefined = undefined, Q extends Obj | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  def: RouteDef<P, Q, B>,
): RouteDef {
  return def as unknown as RouteDef;
}
