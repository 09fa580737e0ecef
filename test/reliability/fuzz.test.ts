// Input fuzzing from the contract: requests for every operation of GET /v1/spec,
// generated and broken by fast-check (see contract.ts and fuzz-cases.ts), sent one
// at a time to a real server. Invariants, for every case:
//   - never a 5xx, and always an answer;
//   - every 4xx in the error envelope {message, code, details?} with the version header;
//   - a request the document says is broken gets a 4xx (never a 2xx);
//   - a 2xx JSON body matches the document;
//   - a refused request, and any read, changes nothing in the store (SQLite's
//     change counter and the files, around every case; a full checksum of the
//     tables around a sample of them);
//   - the server keeps answering (GET /v1/info between cases).
// FUZZ_SEED=<n> reproduces a run; FUZZ_RUNS=<n> changes the number of cases.
// The domain clock is frozen so that nothing in the store comes due on its own.
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../src/networks/sandbox/media.ts';
import { createRng } from '../../src/networks/sandbox/rng.ts';
import { BodyRules, operations, Values, type Operation, type Pools } from './contract.ts';
import { CaseFactory, describeCase, encode, type FuzzCase } from './fuzz-cases.ts';
import { changeCounter, envelopeProblems, raw, report, seedFrom, settle, SOAK, startRelServer, storeChecksum, type RelServer, type RawResponse } from './harness.ts';

const SEED = seedFrom('FUZZ_SEED');
const RUNS = Number(process.env.FUZZ_RUNS ?? (SOAK ? 40_000 : 10_000));
/** FUZZ_COLLECT=1: never stop at a violation, list them all grouped at the end (for triage). */
const COLLECT = process.env.FUZZ_COLLECT === '1';

let s: RelServer;
let ops: Operation[];
let factory: CaseFactory;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const stats = { cases: 0, byStatus: new Map<number, number>(), byOp: new Map<string, number>(), accepted: 0, refused: 0, mustReject: 0, checksums: 0, violations: 0 };
const violations = new Map<string, { count: number; example: string }>();

async function json<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await raw(s.baseURL, init.method ?? 'GET', path, {
    headers: { authorization: `Bearer ${s.token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res.status === 204 ? (undefined as T) : res.json<T>();
}

/** Real IDs, cursors, URLs and paths of this server for the generators. */
async function collectPools(): Promise<Pools> {
  const chats = (await json<{ items: any[]; oldestCursor: string; newestCursor: string }>('/v1/chats/search?limit=200')).items;
  const pick = chats.filter((c, i) => i % 5 === 0 || c.type === 'group').slice(0, 16);
  const messageIDs: string[] = [];
  const userIDs = new Set<string>(['@nobody:sandbox-whatsapp.localhost']);
  const cursors: string[] = [];
  for (const c of pick.slice(0, 8)) {
    const page = await json<{ items: any[]; oldestCursor: string; newestCursor: string }>(`/v1/chats/${encodeURIComponent(c.id)}/messages`);
    messageIDs.push(...page.items.slice(0, 6).map((m) => m.id));
    cursors.push(page.oldestCursor, page.newestCursor);
    for (const p of c.participants.items.slice(0, 4)) userIDs.add(p.id);
  }
  const sent = await json<{ pendingMessageID: string }>(`/v1/chats/${encodeURIComponent(pick[0]!.id)}/messages`, { method: 'POST', body: { text: 'fuzz seed message' } });
  messageIDs.push(sent.pendingMessageID);
  const list = await json<{ oldestCursor: string; newestCursor: string }>('/v1/chats');
  const search = await json<{ oldestCursor: string; newestCursor: string; items: any[] }>('/v1/messages/search?mediaTypes=any&limit=20');
  const contacts = await json<{ oldestCursor: string; newestCursor: string }>('/v1/accounts/sandbox-whatsapp/contacts/list?limit=5');
  cursors.push(list.oldestCursor, list.newestCursor, search.oldestCursor, search.newestCursor, contacts.oldestCursor, contacts.newestCursor);
  const png = Buffer.from(makePng(createRng(3), 16, 16));
  const up1 = await json<{ uploadID: string; srcURL: string }>('/v1/assets/upload/base64', { method: 'POST', body: { content: png.toString('base64'), fileName: 'fuzz.png' } });
  const up2 = await json<{ uploadID: string; srcURL: string }>('/v1/assets/upload/base64', { method: 'POST', body: { content: Buffer.from('fuzz text\n').toString('base64'), fileName: 'fuzz.txt' } });
  const media = search.items.flatMap((m) => (m.attachments ?? []).map((a: { id?: string }) => a.id)).filter(Boolean).slice(0, 4) as string[];
  return {
    chatIDs: [...pick.map((c) => c.id), ...pick.slice(0, 6).map((c) => c.localChatID)],
    messageIDs,
    accountIDs: ['sandbox-imessage', 'sandbox-whatsapp', 'sandbox-signal', 'sandbox-telegram'],
    userIDs: [...userIDs],
    uploadIDs: [up1.uploadID, up2.uploadID],
    urls: [up1.srcURL, up2.srcURL, ...media],
    paths: [fileURLToPath(up1.srcURL), fileURLToPath(up2.srcURL)],
    cursors: cursors.filter(Boolean),
    reactionKeys: ['👍', '❤️', '😂', '‼️', '❓', '👎', '🎉', '+1'],
    words: ['hello', 'the', 'café', 'dinner', 'a', 'meet tomorrow', 'ok'],
  };
}

beforeAll(async () => {
  s = await startRelServer();
  await json('/sandbox/v1/clock', { method: 'POST', body: { freeze: true } });
  const rules = new BodyRules(s.spec);
  const pools = await collectPools();
  await settle(s);
  ops = operations(s.spec);
  factory = new CaseFactory(rules, new Values(rules, pools), { chatID: '!nope:sandbox-whatsapp.localhost', messageID: '$nope', accountID: 'sandbox-nope', userID: '@nope:x', reactionKey: '🦄' });
  console.log(`[reliability] fuzz seed ${SEED} (reproduce with FUZZ_SEED=${SEED}), ${RUNS} cases over ${ops.length} operations`);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  const top = [...violations.entries()].sort((a, b) => b[1].count - a[1].count);
  report('contract fuzzing', {
    seed: SEED,
    'cases tried': stats.cases,
    operations: ops?.length,
    'answered 2xx/3xx': stats.accepted,
    'answered 4xx': stats.refused,
    'cases that must be refused': stats.mustReject,
    'full checksums compared': stats.checksums,
    statuses: Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
    'invariants violated': stats.violations,
    'time (s): total / in HTTP / settling': [(performance.now() - timing.started) / 1000, timing.http / 1000, timing.settle / 1000].map((x) => Math.round(x * 10) / 10).join(' / '),
    ...(top.length ? { 'violations by kind': top.map(([k, v]) => `${v.count}× ${k}\n      e.g. ${v.example}`).join('\n    ') } : {}),
  });
  await s?.stop();
});

/** Operations the fuzzer sends only broken requests to: valid ones make the store change on its own later (scripted sends, outages, the clock) or rebuild it (reset). */
const BROKEN_ONLY = new Set(['sandboxScriptSends', 'sandboxSetOnline', 'sandboxSetClock', 'sandboxReset']);

let sinceInfo = 0;
const timing = { http: 0, settle: 0, started: 0 };

/** Sends one case and returns the invariants it broke. */
async function check(c: FuzzCase): Promise<string[]> {
  return (await send(c)).problems;
}

async function send(c: FuzzCase): Promise<{ res?: RawResponse; problems: string[] }> {
  const e = encode(c, s.token);
  const reads = c.op.method === 'GET' || c.op.scope === 'read';
  // The router ignores a trailing slash (routerOptions.ignoreTrailingSlash): /v1/chats/x/messages/ is the message list.
  const pathname = e.path.split('?')[0]!.replace(/(.)\/+$/, '$1');
  const before = changeCounter(s.db, s.dataDir);
  const sampled = !reads && stats.cases % 151 === 0;
  const hash = sampled ? storeChecksum(s) : undefined;
  stats.cases++;
  stats.byOp.set(c.op.id, (stats.byOp.get(c.op.id) ?? 0) + 1);
  if (c.mustReject) stats.mustReject++;
  let res: RawResponse;
  const t0 = performance.now();
  try {
    res = await raw(s.baseURL, e.method, e.path, { headers: e.headers, body: e.body, agent: (e.body?.length ?? 0) > 65_536 ? false : agent, timeoutMs: c.mutation === 'multipart with many fields' ? 2_000 : 10_000 });
  } catch (err) {
    return { problems: [`no answer (${(err as Error).message.split('\n')[0]})`] };
  }
  timing.http += performance.now() - t0;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  const v: string[] = [];
  if (res.status >= 500) v.push(`${res.status} ${res.text.slice(0, 200)}`);
  if (res.status >= 400) {
    stats.refused++;
    v.push(...envelopeProblems(res).map((p) => `${res.status} not in the error envelope: ${p}`));
    if (res.status < 500 && res.headers['content-type']?.includes('application/json')) {
      const problems = s.validator.validate(e.method, pathname, res.status, safeJSON(res.text));
      if (problems.some((p) => /is not documented/.test(p))) v.push(`status ${res.status} is not documented for ${c.op.method} ${c.op.path}`);
    }
    if (changeCounter(s.db, s.dataDir) !== before) v.push(`a refused request (${res.status}) changed the store`);
    if (hash !== undefined) {
      stats.checksums++;
      if (storeChecksum(s) !== hash) v.push(`a refused request (${res.status}) changed the store checksum`);
    }
  } else {
    stats.accepted++;
    if (c.mustReject) v.push(`a broken request (${c.mutation}) was answered ${res.status}`);
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('application/json') && res.status !== 204) {
      const problems = s.validator.validate(e.method, pathname, res.status, safeJSON(res.text));
      if (problems.length) v.push(`the ${res.status} body does not match the document: ${problems[0]}`);
    }
    if (reads) {
      if (changeCounter(s.db, s.dataDir) !== before) v.push('a read changed the store');
    } else {
      const t1 = performance.now();
      await settle(s, 4, 2_000); // a send confirms in the background; let it land before the next case
      await s.running.core.due.check();
      timing.settle += performance.now() - t1;
    }
  }
  if (++sinceInfo >= 200) {
    sinceInfo = 0;
    try {
      const info = await raw(s.baseURL, 'GET', '/v1/info', { timeoutMs: 5_000 });
      if (info.status !== 200) v.push(`the server stopped answering: /v1/info → ${info.status}`);
    } catch (err) {
      v.push(`the server stopped answering: ${(err as Error).message}`);
    }
  }
  return { res, problems: v };
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function record(c: FuzzCase, problems: string[]): boolean {
  if (!problems.length) return true;
  stats.violations++;
  for (const p of problems) {
    const key = `${c.op.id}: ${p.replace(/\d{3,}/g, 'N').slice(0, 160)}`;
    const entry = violations.get(key);
    if (entry) entry.count++;
    else {
      violations.set(key, { count: 1, example: describeCase(c) });
      console.log(`[reliability] fuzz violation (seed ${SEED}, case ${stats.cases}): ${p}\n    ${describeCase(c)}`);
    }
  }
  return COLLECT;
}

describe('contract fuzzing', () => {
  it(`${RUNS} generated requests over every operation of the document: no 5xx, envelopes, refusals change nothing`, async () => {
    const fuzzed = ops.filter((o) => o.path !== '/v1/spec');
    expect(fuzzed.length, 'operations in the document').toBeGreaterThan(40);
    const perOp = new Map(fuzzed.map((op) => [op.id, BROKEN_ONLY.has(op.id) ? factory.cases(op).filter((c) => c.mustReject) : factory.cases(op)]));
    const arb = fc.constantFrom(...fuzzed).chain((op) => perOp.get(op.id)!);
    timing.started = performance.now();
    const withPrint = arb.map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) }));
    await fc.assert(
      fc.asyncProperty(withPrint, async (c) => record(c, await check(c))),
      { seed: SEED, numRuns: RUNS, endOnFailure: false, maxSkipsPerRun: 1_000 },
    );
    // Every operation was tried many times.
    for (const op of fuzzed) expect(stats.byOp.get(op.id) ?? 0, `cases for ${op.id}`).toBeGreaterThan(RUNS / fuzzed.length / 4);
    expect(stats.violations, 'invariants violated').toBe(0);
  }, SOAK ? 3_600_000 : 300_000);

  it('the server still answers every kind of request afterwards', async () => {
    expect((await raw(s.baseURL, 'GET', '/v1/info')).status).toBe(200);
    expect((await raw(s.baseURL, 'GET', '/v1/accounts', { headers: { authorization: `Bearer ${s.token}` } })).status).toBe(200);
    const chats = await raw(s.baseURL, 'GET', '/v1/chats', { headers: { authorization: `Bearer ${s.token}` } });
    expect(chats.status).toBe(200);
    expect(s.validator.validate('GET', '/v1/chats', 200, chats.json())).toEqual([]);
  });
});
