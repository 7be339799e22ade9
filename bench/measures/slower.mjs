// Measure 3: Meta allows less than the node is set to (another app on the number, a lower tier):
// sandbox cap 60, client throughput 80, one process, both readings. The limiter learns from the
// 130429 answers and slows the whole number down; the rate counts from 2 s after the first
// acceptance (the learning), against the real cap of 60.
import { log, result, round, startSandboxChild } from '../lib/common.mjs';
import { READINGS, farSide, lines, sendBatch } from './throughput.mjs';

export const id = 'slower';
export const title = 'Meta slower than configured (sandbox cap 60, node set to 80, one process, both readings)';

export async function run({ quick }) {
  const realCap = 60;
  const configured = 80;
  const count = quick ? 900 : 1800;
  const results = [];
  for (const throughputMode of READINGS) {
    const sandbox = await startSandboxChild({ throughput: realCap, throughputMode, latencyMs: 150 });
    try {
      const mark = await sandbox.mark();
      log(`slower: ${count} sends, node at ${configured}/s, Meta at ${realCap}/s, ${throughputMode} reading…`);
      const client = await sendBatch({ sandbox, count, cap: configured, prefix: 6_000_000 });
      const far = farSide(await sandbox.stats(mark), count, { afterMs: 2000 });
      const details = { count, configured, realCap, throughputMode, latencyMs: 150, wallS: round(client.wallMs / 1000), clientFailures: client.failed, firstError: client.firstError, retried: client.retried, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
      results.push(
        ...lines(`slower_${throughputMode}`, configured, far, details, { ratioGoal: 0.95, pctGoal: 2, realCap }),
        result(`slower_${throughputMode}_effective_rate_at_end`, round(client.effectivePerSecondAtEnd ?? NaN, 1), 'report: client.pacing().effectivePerSecond when done', { unit: 'msgs/s' }),
      );
    } finally {
      await sandbox.close();
    }
  }
  return results;
}
