// Measure 2: 4 processes share one number's budget through the Redis limiter (cap 80).
// aggregate / cap is measured at the far side, like measure 1.
import * as path from 'node:path';
import { atLeast, BENCH_DIR, exactly, forkChild, log, result, round, startSandboxChild } from '../lib/common.mjs';
import { farSide } from './throughput.mjs';

export const id = 'multiprocess';
export const title = 'Multi-process (4 processes, Redis limiter, cap 80, 150 ms latency)';

export async function run({ quick }) {
  const processes = 4;
  const cap = 80;
  const perProcess = quick ? 125 : 500;
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const keyPrefix = `bench:${process.pid}:${Date.now()}:`;
  const sandbox = await startSandboxChild({ throughput: cap, latencyMs: 150 });
  const workers = [];
  try {
    for (let i = 0; i < processes; i++) {
      const w = forkChild(path.join(BENCH_DIR, 'measures', 'multiprocess-worker.mjs'));
      workers.push(w);
      await w.wait('ready', 30_000);
    }
    const { url, accessToken, phoneNumberId } = sandbox;
    await Promise.all(workers.map((w) => w.request({ type: 'prepare', sandbox: { url, accessToken, phoneNumberId }, redisUrl, keyPrefix, cap })));
    const mark = await sandbox.mark();
    log(`multiprocess: ${processes} × ${perProcess} sends, Redis limiter, cap ${cap}…`);
    const reports = await Promise.all(workers.map((w, i) => w.request({ type: 'go', offset: 4_000_000 + i * 100_000, count: perProcess })));
    const count = processes * perProcess;
    const far = farSide(await sandbox.stats(mark), count);
    const clientFailures = reports.reduce((s, r) => s + r.failed, 0);
    const details = { processes, perProcess, cap, redisUrl: redisUrl.replace(/\/\/[^@]*@/, '//'), clientFailures, firstError: reports.find((r) => r.firstError)?.firstError ?? null, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
    return [
      result('multiprocess_ratio_cap80', far.rate / cap, atLeast(0.95), { details }),
      result('multiprocess_lost', far.lost, exactly(0)),
      result('multiprocess_130429', far.rejected130429, exactly(0)),
    ];
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await sandbox.close();
    await cleanupRedis(redisUrl, keyPrefix).catch((e) => log('redis cleanup:', e.message));
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
