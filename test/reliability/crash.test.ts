// Crash durability: a real `switchboard serve` process is killed with SIGKILL at
// seeded points while a stream of sends (HTTP, several in flight) and connector
// ingests (sandbox control API, incoming messages) runs against it, and started
// again on the same data directory. Before some kills a network is taken offline
// so that sends are left pending. At the end:
//   - every acknowledged send (200 with a pendingMessageID) and ingest (200 with a
//     Message) is stored exactly once; no text of the stream is stored twice;
//   - PRAGMA integrity_check is ok; the full-text index has a row for exactly the
//     messages with text, and FTS5's own integrity-check passes;
//   - sends left pending resume after the restart and end SUCCESS or FAIL_*;
//   - the sandbox network took each transaction at most once.
// CRASH_SEED reproduces the schedule; CRASH_OPS and CRASH_KILLS change its size.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSearchDatabase } from '../../src/store/sqlite/search-index.ts';
import { freePort, report, rng, seedFrom, sleep, SOAK, startChild, storeIntegrity, tempDir, type ChildServer } from './harness.ts';

const SEED = seedFrom('CRASH_SEED');
const OPS = Number(process.env.CRASH_OPS ?? (SOAK ? 30_000 : 10_000));
const KILLS = Number(process.env.CRASH_KILLS ?? (SOAK ? 25 : 6));
const IN_FLIGHT = 8;
const TOKEN = `sb_crash_${'c'.repeat(32)}`;
const ACCOUNTS = ['sandbox-imessage', 'sandbox-whatsapp', 'sandbox-signal', 'sandbox-telegram'];
/** Sends made to the network taken down before the last kill, so that a restart always has sends to resume. */
const QUEUED_AT_LAST_KILL = 3;

interface Ack {
  kind: 'send' | 'ingest';
  op: number;
  text: string;
  chatID: string;
  /** pendingMessageID of a send, message ID of an ingest */
  id: string;
}

let child: ChildServer | undefined;
afterAll(async () => {
  await child?.kill9();
});

describe('crash durability (kill -9 during sends and ingests)', () => {
  it(`${OPS} sends and ingests with ${KILLS} kills: nothing acknowledged is lost or stored twice, the store is sound`, async () => {
    const r = rng(SEED);
    const dataDir = tempDir('switchboard-crash-');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    console.log(`[reliability] crash seed ${SEED} (reproduce with CRASH_SEED=${SEED}), ${OPS} operations, ${KILLS} kills`);

    child = await startChild({ dataDir, port, token: TOKEN, logLevel: 'info' });
    const chats = ((await (await fetch(`${base}/v1/chats/search?limit=200`, { headers })).json()) as { items: Array<{ id: string; isReadOnly: boolean; accountID: string; participants: { total: number } }> }).items
      .filter((c) => !c.isReadOnly && c.participants.total > 1)
      .slice(0, 40);
    expect(chats.length).toBeGreaterThan(20);

    // The schedule: which operation each kill follows, how long after, and whether a network goes down first.
    const killAt = Array.from({ length: KILLS }, () => r.int(Math.floor(OPS * 0.05), Math.floor(OPS * 0.95))).sort((a, b) => a - b);
    const plan = Array.from({ length: OPS }, (_, i) => ({ kind: r.next() < 0.8 ? ('send' as const) : ('ingest' as const), chat: r.pick(chats), text: `${r.next() < 0.5 ? 'crash' : 'durable'} ${SEED} op${i} ${i % 7 === 0 ? 'café ünïcode 😀' : 'plain words'}` }));

    const acks: Ack[] = [];
    const stats = { unknown: 0, refused: 0, kills: 0, restarts: 0, offlineBeforeKill: 0, resumedAtStart: 0, downMs: 0 };
    let next = 0;
    let down: Promise<void> | undefined;

    /** queueIn: a chat on the network taken offline, sent a few messages that stay pending until the kill. */
    const crash = async (delayMs: number, offline: string | undefined, queueIn?: (typeof chats)[number]) => {
      if (offline) {
        stats.offlineBeforeKill++;
        await fetch(`${base}/sandbox/v1/accounts/${offline}/online`, { method: 'POST', headers, body: JSON.stringify({ online: false }) }).catch(() => undefined);
      }
      for (let k = 0; queueIn && k < QUEUED_AT_LAST_KILL; k++) {
        const op = OPS + k;
        const text = `crash ${SEED} op${op} queued while the network is down`;
        const res = await fetch(`${base}/v1/chats/${encodeURIComponent(queueIn.id)}/messages`, { method: 'POST', headers, body: JSON.stringify({ text }) });
        expect(res.status).toBe(200);
        acks.push({ kind: 'send', op, text, chatID: queueIn.id, id: ((await res.json()) as { pendingMessageID: string }).pendingMessageID });
      }
      await sleep(delayMs);
      const started = Date.now();
      await child!.kill9();
      stats.kills++;
      child = await startChild({ dataDir, port, token: TOKEN, logLevel: 'info' });
      stats.restarts++;
      stats.downMs += Date.now() - started;
      const resumed = /"count":(\d+)[^\n]*resuming sends left pending/.exec(child.stderr());
      stats.resumedAtStart += resumed ? Number(resumed[1]) : 0;
    };

    const worker = async () => {
      for (;;) {
        if (down) await down;
        const i = next++;
        if (i >= OPS) return;
        if (killAt.length && i >= killAt[0]!) {
          killAt.shift();
          down = crash(r.int(0, 40), r.next() < 0.5 ? r.pick(ACCOUNTS) : undefined).finally(() => (down = undefined));
        }
        const p = plan[i]!;
        const url = p.kind === 'send' ? `${base}/v1/chats/${encodeURIComponent(p.chat.id)}/messages` : `${base}/sandbox/v1/chats/${encodeURIComponent(p.chat.id)}/incoming`;
        try {
          const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ text: p.text }), signal: AbortSignal.timeout(15_000) });
          if (res.status !== 200) {
            stats.refused++;
            await res.text();
            continue;
          }
          const body = (await res.json()) as { pendingMessageID?: string; id?: string };
          acks.push({ kind: p.kind, op: i, text: p.text, chatID: p.chat.id, id: p.kind === 'send' ? body.pendingMessageID! : body.id! });
        } catch {
          stats.unknown++; // in flight when the server died: it may or may not have been stored
          await sleep(20);
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    if (down) await down;
    // One last kill with a network down and sends queued for it: they must resume after the restart.
    const last = r.pick(chats.filter((c) => ACCOUNTS.includes(c.accountID)));
    await crash(0, last.accountID, last);
    const streamSeconds = (Date.now() - started) / 1000;

    // Everything pending ends, after the restart, in SUCCESS or FAIL_*.
    const readDb = () => new Database(join(dataDir, 'switchboard.db'), { readonly: true, fileMustExist: true });
    const pendingCount = () => {
      const db = readDb();
      try {
        return db.prepare("SELECT count(*) FROM messages WHERE is_sender = 1 AND json_extract(send_status, '$.status') IN ('PENDING', 'FAIL_RETRIABLE')").pluck().get() as number;
      } finally {
        db.close();
      }
    };
    const waitEnd = Date.now() + 60_000;
    let pending = pendingCount();
    while (pending > 0 && Date.now() < waitEnd) {
      await sleep(250);
      pending = pendingCount();
    }

    // The network's own record: each transaction at most once.
    const deliveries: string[] = [];
    for (const a of ACCOUNTS) {
      const state = (await (await fetch(`${base}/sandbox/v1/accounts/${a}`, { headers })).json()) as { deliveries: Array<{ transactionID: string }> };
      deliveries.push(...state.deliveries.map((d) => d.transactionID));
    }
    const deliveredTwice = deliveries.length - new Set(deliveries).size;
    expect(await child!.stop()).toBe(0);
    child = undefined;

    // The server has stopped: open the full-text index's file with the store attached,
    // without catching up (FTS5's integrity-check is written as an INSERT).
    const db = openSearchDatabase(join(dataDir, 'switchboard.db'));
    const integrity = storeIntegrity(db);
    const byPending = db.prepare('SELECT count(*) FROM messages WHERE pending_id = ?').pluck();
    const byID = db.prepare('SELECT count(*) FROM messages WHERE id = ?').pluck();
    const statusOf = db.prepare("SELECT json_extract(send_status, '$.status') FROM messages WHERE pending_id = ?").pluck();
    let found = 0;
    let lost = 0;
    let duplicated = 0;
    const lostExamples: string[] = [];
    const endStates = new Map<string, number>();
    for (const a of acks) {
      const n = (a.kind === 'send' ? byPending.get(a.id) : byID.get(a.id)) as number;
      if (n === 1) found++;
      if (n === 0) (lost++, lostExamples.length < 5 && lostExamples.push(`${a.kind} op ${a.op} ${a.id}`));
      if (n > 1) duplicated++;
      if (a.kind === 'send') {
        const st = String(statusOf.get(a.id));
        endStates.set(st, (endStates.get(st) ?? 0) + 1);
      }
    }
    const sameText = db.prepare("SELECT count(*) FROM (SELECT plain FROM messages WHERE plain LIKE '% op%' AND (plain LIKE 'crash %' OR plain LIKE 'durable %') GROUP BY plain HAVING count(*) > 1)").pluck().get() as number;
    const unfinished = db.prepare("SELECT count(*) FROM messages WHERE is_sender = 1 AND json_extract(send_status, '$.status') IN ('PENDING', 'FAIL_RETRIABLE')").pluck().get() as number;
    db.close();

    const summary = {
      seed: SEED,
      operations: OPS,
      'in flight': IN_FLIGHT,
      kills: stats.kills,
      'networks taken offline before a kill': stats.offlineBeforeKill,
      'sends found pending at a restart (resumed)': stats.resumedAtStart,
      acknowledged: acks.length,
      'acknowledged sends / ingests': `${acks.filter((a) => a.kind === 'send').length} / ${acks.filter((a) => a.kind === 'ingest').length}`,
      'found after crashes': found,
      lost,
      duplicated,
      'texts stored twice': sameText,
      'in flight at a kill (unknown outcome)': stats.unknown,
      'refused (non-200)': stats.refused,
      'acknowledged sends by final status': Object.fromEntries(endStates),
      'still pending after 60 s': unfinished,
      'network deliveries checked / taken twice': `${deliveries.length} / ${deliveredTwice}`,
      integrity: integrity.integrity,
      'FTS integrity-check': integrity.ftsCheck,
      'FTS (word, message) pairs / expected from the text / missing / stray': `${integrity.ftsPairs} / ${integrity.expectedPairs} / ${integrity.missingFromIndex} / ${integrity.strayInIndex}`,
      'queued index changes not applied': integrity.unapplied,
      'stream time (s), server down (s)': `${streamSeconds.toFixed(1)}, ${(stats.downMs / 1000).toFixed(1)}`,
    };
    report('crash durability', summary);

    expect(stats.kills).toBe(KILLS + 1);
    expect(acks.length).toBeGreaterThan(OPS * 0.8);
    expect({ lost, duplicated, sameText, lostExamples }).toEqual({ lost: 0, duplicated: 0, sameText: 0, lostExamples: [] });
    expect(found).toBe(acks.length);
    expect(unfinished, 'sends still PENDING or FAIL_RETRIABLE after the restart').toBe(0);
    expect([...endStates.keys()].filter((s) => s !== 'SUCCESS' && !s.startsWith('FAIL_'))).toEqual([]);
    expect(deliveredTwice, 'transactions the network took twice').toBe(0);
    expect(integrity.integrity).toBe('ok');
    expect(integrity.ftsCheck).toBe('ok');
    expect({ missing: integrity.missingFromIndex, stray: integrity.strayInIndex, unapplied: integrity.unapplied }).toEqual({ missing: 0, stray: 0, unapplied: 0 });
    expect(integrity.ftsPairs).toBeGreaterThan(acks.length);
    expect(stats.resumedAtStart, 'some sends were pending at a restart').toBeGreaterThan(0);
  }, SOAK ? 3_600_000 : 300_000);
});
