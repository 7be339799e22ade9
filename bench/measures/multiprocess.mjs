// Measure 2: 4 processes share one number's budget through the Redis limiter, caps 80 and 1,000,
// under both readings of the sandbox. aggregate / cap is measured at the far side, like measure 1.
import * as path from 'node:path';
import { BENCH_DIR, forkChild, log, round, startSandboxChild } from '../lib/common.mjs';
import { READINGS, farSide, lines } from './throughput.mjs';

export const id = 'multiprocess';
export const title = 'Multi-process (4 processes, Redis limiter, 150 ms latency, both readings)';

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
      for (const cap of [80, 1000]) {
        const perProcess = cap === 80 ? (quick ? 125 : 500) : quick ? 500 : 1250;
        const keyPrefix = `bench:${process.pid}:${Date.now()}:`;
        const sandbox = await startSandboxChild({ throughput: cap, throughputMode, latencyMs: 150 });
        try {
          const { url, accessToken, phoneNumberId } = sandbox;
          await Promise.all(workers.map((w) => w.request({ type: 'prepare', sandbox: { url, accessToken, phoneNumberId }, redisUrl, keyPrefix, cap })));
          const mark = await sandbox.mark();
          log(`multiprocess: ${processes} × ${perProcess} sends, Redis limiter, cap ${cap}, ${throughputMode} reading…`);
          const offset = 4_000_000 + round_++ * 500_000;
          const reports = await Promise.all(workers.map((w, i) => w.request({ type: 'go', offset: offset + i * 100_000, count: perProcess })));
          const count = processes * perProcess;
          const far = farSide(await sandbox.stats(mark), count);
          const clientFailures = reports.reduce((s, r) => s + r.failed, 0);
          const details = { processes, perProcess, cap, throughputMode, redisUrl: redisUrl.replace(/\/\/[^@]*@/, '//'), clientFailures, firstError: reports.find((r) => r.firstError)?.firstError ?? null, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
          results.push(...lines(`multiprocess_${throughputMode}_cap${cap}`, cap, far, details));
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
