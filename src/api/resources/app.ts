// Top-level operations: unified search and "focus".
import { FocusBody, UnifiedSearchQuery } from '../../core/schemas/inputs.ts';
import { FocusOutput, UnifiedSearchOutput } from '../../core/schemas/outputs.ts';
import { route } from '../route.ts';

export const appRoutes = [
  route({
    method: 'GET',
    path: '/v1/search',
    operationId: 'search',
    tag: 'App',
    summary: 'Search everything',
    description: 'In one call: chats whose title matches, groups with a member whose name matches, and the first page of matching messages.',
    scope: 'read',
    query: UnifiedSearchQuery,
    response: { status: 200, schema: UnifiedSearchOutput },
    handler: ({ core, query }) => core.search.unified(query.query),
  }),
  route({
    method: 'POST',
    path: '/v1/focus',
    operationId: 'focusApp',
    tag: 'App',
    summary: 'Prepare a chat (no window to focus)',
    description:
      'A headless server has no window to bring forward. With chatID, the chat\'s draft is set from draftText and draftAttachmentPath (a file in the data directory) — the same rule as PATCH applies: a draft replaces only an empty one. Without chatID it does nothing. Answers {success: true}.',
    scope: 'write',
    body: FocusBody,
    response: { status: 200, schema: FocusOutput },
    handler: ({ core, body }) => core.chats.focus(body),
  }),
];
