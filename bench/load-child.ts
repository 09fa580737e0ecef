// The load generator's own process (forked by bench/load.ts): runs autocannon jobs
// sent over IPC, so the load never shares an event loop with the server or the
// orchestrator. Latencies are kept per response (autocannon's histogram rounds to
// whole milliseconds), so sub-millisecond percentiles stay exact, also over rounds.
import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './load.ts';
import { summarize } from './util.ts';

type Request =
  | { type: 'run'; id: number; job: LoadJob }
  | { type: 'rounds'; id: number; job: LoadJob; otherURLs: string[]; rounds: number };

/** What the measured runs of one target add up to. */
interface Tally {
  latencies: number[];
  bytes: number;
  seconds: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
const tally = (): Tally => ({ latencies: [], bytes: 0, seconds: 0, non2xx: 0, errors: 0, timeouts: 0 });

/** Loads `url` for `duration` seconds; the 2xx responses and the time count into `into`, if given (a warm-up passes none). */
function run(job: LoadJob, url: string, duration: number, into?: Tally): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url,
        method: job.method,
        headers: job.headers,
        body: job.body,
        connections: job.connections,
        duration,
        pipelining: 1,
        // autocannon stops at its next sample tick (1 s by default): tick often, stop on time.
        sampleInt: 50,
        timeout: 30,
      },
      (err, result) => {
        if (err) return reject(err);
        if (into) {
          into.seconds += (performance.now() - started) / 1000;
          into.non2xx += result.non2xx;
          into.errors += result.errors;
          into.timeouts += result.timeouts;
        }
        resolve();
      },
    );
    if (into) {
      instance.on('response', (_client: unknown, status: number, resBytes: number, ms: number) => {
        if (status >= 200 && status < 300) {
          into.latencies.push(ms);
          into.bytes += resBytes;
        }
      });
    }
  });
}

function resultOf(t: Tally): LoadResult {
  const s = summarize(t.latencies);
  return {
    seconds: t.seconds,
    requests: s.count,
    rps: s.count / t.seconds,
    p50: s.p50,
    p99: s.p99,
    p999: s.p999,
    max: s.max,
    mean: s.mean,
    bytesPerResponse: s.count ? t.bytes / s.count : 0,
    non2xx: t.non2xx,
    errors: t.errors,
    timeouts: t.timeouts,
  };
}

async function answer(msg: Request): Promise<unknown> {
  const { job } = msg;
  if (msg.type === 'run') {
    if (job.warmupSeconds > 0) await run(job, job.url, job.warmupSeconds);
    const t = tally();
    await run(job, job.url, job.durationSeconds, t);
    return { type: 'result', id: msg.id, result: resultOf(t) };
  }
  // Several targets in alternating rounds, each round a share of the duration: a change
  // in the machine's speed during the measurement reaches all alike.
  const urls = [job.url, ...msg.otherURLs];
  if (job.warmupSeconds > 0) for (const url of urls) await run(job, url, job.warmupSeconds);
  const tallies = urls.map(() => tally());
  for (let i = 0; i < msg.rounds; i++) {
    for (const [k, url] of urls.entries()) await run(job, url, job.durationSeconds / msg.rounds, tallies[k]);
  }
  return { type: 'rounds', id: msg.id, result: resultOf(tallies[0]!), others: tallies.slice(1).map(resultOf) };
}

process.on('message', (msg: Request) => {
  answer(msg).then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
process.send!({ type: 'ready' });
// The orchestrator going away ends this process too.
process.on('disconnect', () => process.exit(0));
