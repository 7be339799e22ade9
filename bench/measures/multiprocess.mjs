// Measure 2: 4 processes share one number's budget through the Redis limiter, caps 80 and 1,000,
// under both readings of the sandbox, and 1 process on the same limiter at 1,000/s for comparison.
// aggregate / cap is measured at the far side, like measure 1; the event-loop lag of the sandbox
// and the senders says how much CPU the machine gave them.
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_DIR, forkChild, log, result, round, startSandboxChild } from '../lib/common.mjs';
import { READINGS, farSide, lines } from './throughput.mjs';

export const id = 'multiprocess';
export const title = 'Multi-process (4 processes and 1, Redis limiter, 150 ms latency, both readings)';

export async function run({ quick }) {
  const processes = 4;
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const results = [];
  const workers = [];
  try {
    for (let i = 0; i < processes; i++) {
      const w = forkChild(path.join(BENCH_DIR, 'measures', 'multiprocess-worker.mjs'));
      workers.push(w);
      await w.wait('ready', 30_000);
    }
    let round_ = 0;
    for (const throughputMode of READINGS) {
      // 4 processes at both caps; 1 process on the same Redis limiter at 1,000/s beside them: the
      // same algorithm without the other senders' CPU (what the machine costs, not the pacing).
      for (const [cap, processes_] of [[80, processes], [1000, processes], [1000, 1]]) {
        const perProcess = (cap === 80 ? (quick ? 500 : 2000) : quick ? 2000 : 5000) / processes_;
        const senders = workers.slice(0, processes_);
        const keyPrefix = `bench:${process.pid}:${Date.now()}:`;
        const sandbox = await startSandboxChild({ throughput: cap, throughputMode, latencyMs: 150 });
        try {
          const { url, accessToken, phoneNumberId } = sandbox;
          await Promise.all(senders.map((w) => w.request({ type: 'prepare', sandbox: { url, accessToken, phoneNumberId }, redisUrl, keyPrefix, cap })));
          const mark = await sandbox.mark();
          log(`multiprocess: ${processes_} × ${perProcess} sends, Redis limiter, cap ${cap}, ${throughputMode} reading…`);
          const offset = 4_000_000 + round_++ * 500_000;
          const reports = await Promise.all(senders.map((w, i) => w.request({ type: 'go', offset: offset + i * 100_000, count: perProcess })));
          const count = processes_ * perProcess;
          const stats = await sandbox.stats(mark);
          const far = farSide(stats, count);
          const clientFailures = reports.reduce((s, r) => s + r.failed, 0);
          const senderCpu = { cpuS: reports.reduce((s, r) => s + r.lag.cpuS, 0), wallS: Math.max(...reports.map((r) => r.lag.wallS)) };
          const senderLag = { p99Ms: Math.max(...reports.map((r) => r.lag.p99Ms)), maxMs: Math.max(...reports.map((r) => r.lag.maxMs)) };
          const details = { processes: processes_, perProcess, cap, throughputMode, redisUrl: redisUrl.replace(/\/\/[^@]*@/, '//'), clientFailures, firstError: reports.find((r) => r.firstError)?.firstError ?? null, sandboxLag: stats.lag, senderLag, senderCpu, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
          const prefix = `multiprocess_${throughputMode}_cap${cap}${processes_ === 1 ? '_1proc' : ''}`;
          results.push(
            ...lines(prefix, cap, far, details),
            result(
              `${prefix}_event_loop_lag`,
              `sandbox p99 ${stats.lag.p99Ms} / max ${stats.lag.maxMs} ms; senders p99 ${senderLag.p99Ms} / max ${senderLag.maxMs} ms; CPU used: sandbox ${cores(stats.lag)}, senders ${cores(senderCpu)} cores; load ${os.loadavg().map((l) => round(l, 1)).join(' / ')}`,
              'report: how late timers fired and the CPU used (the machine, not the pacing)',
            ),
          );
        } finally {
          await sandbox.close();
          await cleanupRedis(redisUrl, keyPrefix).catch((e) => log('redis cleanup:', e.message));
        }
      }
    }
    return results;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** CPU seconds per wall second, e.g. "0.42". */
const cores = ({ cpuS, wallS }) => String(round(cpuS / wallS, 2));

/** Drops this run's keys (they expire anyway within seconds). */
async function cleanupRedis(url, prefix) {
  const { require, REPO_ROOT } = await import('../lib/common.mjs');
  const { Redis } = require(require.resolve('ioredis', { paths: [path.join(REPO_ROOT, 'packages', 'core')] }));
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
