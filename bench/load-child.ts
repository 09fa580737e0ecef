// The load generator's own process (forked by bench/load.ts): runs autocannon jobs
// sent over IPC, so the load never shares an event loop with the server or the
// orchestrator. Latencies are kept per response (autocannon's histogram rounds to
// whole milliseconds), so sub-millisecond percentiles stay exact.
import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './load.ts';
import { summarize } from './util.ts';

type Request = { type: 'run'; id: number; job: LoadJob };

function run(job: LoadJob, duration: number, keep: boolean): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let bytes = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: job.url,
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
        const seconds = (performance.now() - started) / 1000;
        const s = summarize(latencies);
        resolve({
          seconds,
          requests: s.count,
          rps: s.count / seconds,
          p50: s.p50,
          p99: s.p99,
          p999: s.p999,
          max: s.max,
          mean: s.mean,
          bytesPerResponse: s.count ? bytes / s.count : 0,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    if (keep) {
      instance.on('response', (_client: unknown, status: number, resBytes: number, ms: number) => {
        if (status >= 200 && status < 300) {
          latencies.push(ms);
          bytes += resBytes;
        }
      });
    }
  });
}

process.on('message', (msg: Request) => {
  void (async () => {
    try {
      if (msg.job.warmupSeconds > 0) await run(msg.job, msg.job.warmupSeconds, false);
      const result = await run(msg.job, msg.job.durationSeconds, true);
      process.send!({ type: 'result', id: msg.id, result });
    } catch (err) {
      process.send!({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
process.send!({ type: 'ready' });
// The orchestrator going away ends this process too.
process.on('disconnect', () => process.exit(0));
