import * as z from 'zod';
import { InfoOutput } from '../../core/schemas/outputs.ts';
import { route, sendJSON } from '../route.ts';
import type { ServerFacts } from '../server.ts';

const serialized = new WeakMap<object, string>();

export const infoRoutes = (facts: ServerFacts) => [
  route({
    method: 'GET',
    path: '/v1/info',
    operationId: 'getInfo',
    tag: 'Server',
    summary: 'Describe this server',
    description: 'What this server is and where its endpoints are. Needs no token; call it first.',
    scope: 'public',
    response: { status: 200, schema: InfoOutput },
    // The description is fixed while the server runs: it goes out as text serialized once.
    handler({ reply }) {
      const info = facts.info();
      let json = serialized.get(info);
      if (json === undefined) serialized.set(info, (json = JSON.stringify(info)));
      sendJSON(reply, json);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/spec',
    operationId: 'getSpec',
    tag: 'Server',
    summary: "This server's OpenAPI document",
    description: 'The OpenAPI 3.1 description of every route, generated from the schemas the server validates with. Needs no token.',
    scope: 'public',
    response: { status: 200, schema: z.record(z.string(), z.unknown()) },
    handler() {
      return facts.spec();
    },
  }),
];
