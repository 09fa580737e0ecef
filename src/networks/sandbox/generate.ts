// Bulk corpora for load tests and benchmarks: many chats with power-law sizes
// (a few huge, most small), groups of up to hundreds of people, everyday message
// text and some media, written through core like any history a connector hands
// over. Deterministic for a seed.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ConnectorContext, RemoteAttachment, RemoteMessage, RemoteUser } from '../connector.ts';
import { generateMessageText, makeAttachment, randomFullName } from './corpus.ts';
import type { SandboxProfile } from './profiles.ts';
import { createRng, type Rng } from './rng.ts';

export interface GenerateOptions {
  chats: number;
  messages: number;
  seed: number;
  /** Messages are spread over this many days before now. */
  days?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Messages per history event, so per store transaction. Each commit writes out
 * every index page the batch touched, and at a million messages a batch touches
 * most pages of the indexes that grow at random places (sort keys): larger
 * batches write each page fewer times, and make fewer, larger full-text segments
 * (less merging). A running server waits for the lock under a second.
 */
export const BATCH = 50_000;
const MEDIA_SHARE = 0.03;
const GROUP_SHARE = 0.2;

/** Chat sizes following a Zipf-like law that add up to exactly `total`. */
export function powerLawSizes(rng: Rng, chats: number, total: number, exponent = 1.1): number[] {
  const weights = Array.from({ length: chats }, (_, i) => 1 / Math.pow(i + 1, exponent));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * total)));
  let rest = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % chats, rest--) sizes[i]!++;
  for (let i = chats - 1; rest < 0 && i >= 0; i--) if (sizes[i]! > 1) (sizes[i]!--, rest++);
  return rng.shuffle(sizes);
}

/** Group sizes: mostly a handful of people, a long tail up to `max`. */
function groupSize(rng: Rng, max: number): number {
  return Math.min(max, Math.max(3, Math.round(3 / Math.pow(1 - rng.next() * 0.999, 0.8))));
}

export async function generateCorpus(ctx: ConnectorContext, profile: SandboxProfile, opts: GenerateOptions): Promise<{ chats: number; messages: number; people: number }> {
  const rng = createRng(opts.seed).fork(`generate-${profile.key}`);
  const now = ctx.now();
  const span = (opts.days ?? 730) * 86_400_000;
  const sizes = powerLawSizes(rng, opts.chats, opts.messages);
  const groups = sizes.map(() => rng.chance(GROUP_SHARE));
  const dms = groups.filter((g) => !g).length;
  // One person per DM, plus a pool that groups draw from.
  const peopleCount = dms + Math.max(50, Math.ceil(opts.chats * 0.5));
  const people: RemoteUser[] = [];
  for (let i = 0; i < peopleCount; i++) {
    const key = `gen${opts.seed}x${i}`;
    people.push({ id: ctx.userID(key), fullName: randomFullName(rng), phoneNumber: `+1555${String(2_000_000 + i).padStart(7, '0')}`, isContact: rng.chance(0.7) });
  }
  await ctx.emit({ type: 'users', users: people });
  // A few real files, shared by every media message.
  const media: RemoteAttachment[] = [];
  for (let i = 0; i < 12; i++) {
    const a = makeAttachment(rng);
    const url = await ctx.storeMedia({ bytes: a.bytes, fileName: a.fileName, mimeType: a.mimeType, width: a.width, height: a.height, duration: a.duration });
    media.push({ url, mimeType: a.mimeType, fileName: a.fileName, size: a.bytes.byteLength, kind: a.kind, width: a.width, height: a.height, duration: a.duration });
  }
  const self = ctx.account.selfUserID;
  let done = 0;
  let nextDM = 0;
  // Messages of several (mostly small) chats go out together, BATCH at a time, so
  // each write to the store is large; read markers follow once their chat is written.
  let pending: Array<{ chatRemoteID: string; messages: RemoteMessage[] }> = [];
  let pendingCount = 0;
  let reads: Array<{ chatRemoteID: string; upToRemoteID: string }> = [];
  const flush = async () => {
    if (pendingCount) await ctx.emit({ type: 'history', chats: pending });
    for (const r of reads) await ctx.emit({ type: 'read', ...r });
    done += pendingCount;
    pending = [];
    pendingCount = 0;
    reads = [];
    opts.onProgress?.(done, opts.messages);
    // Nothing above need wait for I/O, so a whole run could pass without the event loop
    // turning once: a turn per batch lets the process handle events during the run
    // (such as bin/switchboard.mjs's launcher going away), not after it.
    await nextTurn();
  };
  for (let c = 0; c < opts.chats; c++) {
    const isGroup = groups[c]!;
    const remoteID = `gen-${opts.seed}-${c}`;
    const members = isGroup ? pickMembers(rng, people, dms, groupSize(rng, Math.min(300, people.length - dms))) : [people[nextDM++]!];
    await ctx.emit({
      type: 'chat',
      chat: {
        remoteID,
        type: isGroup ? 'group' : 'single',
        title: isGroup ? `${randomFullName(rng).split(' ')[0]}'s ${rng.pick(['crew', 'team', 'club', 'group', 'trip', 'plans'])}` : undefined,
        participants: members.map((p, i) => ({ ...p, isAdmin: isGroup && i === 0 })),
        lastActivity: now - span,
      },
    });
    // The chat lives in a window of time; busier chats are denser.
    const size = sizes[c]!;
    const end = now - Math.floor(rng.next() * span * 0.5);
    const start = end - Math.floor(span * (0.05 + rng.next() * 0.45));
    const step = Math.max(1, Math.floor((end - start) / size));
    let t = start;
    let chunk: RemoteMessage[] = [];
    pending.push({ chatRemoteID: remoteID, messages: chunk });
    for (let i = 0; i < size; i++) {
      t += 1 + Math.floor(rng.next() * step * 2);
      const fromSelf = rng.chance(0.4);
      const withMedia = rng.chance(MEDIA_SHARE);
      chunk.push({
        remoteID: `m${i}`,
        senderID: fromSelf ? self : members[isGroup ? rng.int(0, members.length - 1) : 0]!.id,
        timestamp: t,
        text: withMedia && rng.chance(0.5) ? undefined : generateMessageText(rng),
        attachments: withMedia ? [rng.pick(media)] : undefined,
        isSender: fromSelf,
      });
      if (++pendingCount >= BATCH) {
        await flush();
        chunk = [];
        pending.push({ chatRemoteID: remoteID, messages: chunk });
      }
    }
    // Mostly read, some unread tails.
    reads.push({ chatRemoteID: remoteID, upToRemoteID: rng.chance(0.8) ? `m${size - 1}` : `m${Math.max(0, size - 1 - rng.int(1, 10))}` });
  }
  await flush();
  return { chats: opts.chats, messages: done, people: people.length };
}

function pickMembers(rng: Rng, people: RemoteUser[], poolStart: number, count: number): RemoteUser[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(poolStart, people.length - 1));
  return [...chosen].map((i) => people[i]!);
}
