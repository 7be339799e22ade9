// Measure 1: template sends through the core client against the sandbox at Meta's caps.
// achieved / cap = (accepted − 1) / (last − first arrival at the far side) / cap: evenly spaced
// sends at exactly the cap give 1.0. Lost = sends not accepted by the far side.
import { atLeast, core, exactly, log, peakPerSecond, result, round, startSandboxChild } from '../lib/common.mjs';

export const id = 'throughput';
export const title = 'Throughput vs cap (core client, sandbox with 150 ms latency)';

export async function sendBatch({ sandbox, count, cap, prefix = 3_000_000, clientOptions = {} }) {
  const { WhatsAppClient } = core();
  const client = new WhatsAppClient({
    accessToken: sandbox.accessToken,
    phoneNumberId: sandbox.phoneNumberId,
    baseUrl: sandbox.url,
    throughput: cap,
    ...clientOptions,
  });
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      client.sendTemplate(`+1555${prefix + i}`, 'order_update', 'en', [
        { type: 'body', parameters: [{ type: 'text', text: `User ${i}` }, { type: 'text', text: `A-${i}` }] },
      ]),
    ),
  );
  const wallMs = performance.now() - started;
  await client.close();
  const failed = outcomes.filter((o) => o.status === 'rejected');
  return { wallMs, failed: failed.length, firstError: failed[0]?.reason?.message, retried: outcomes.filter((o) => o.status === 'fulfilled' && o.value.attempts > 1).length };
}

export function farSide(stats, count) {
  const accepted = stats.requests.filter((r) => r.status === 200);
  const times = accepted.map((r) => r.at).sort((a, b) => a - b);
  const spanS = (times[times.length - 1] - times[0]) / 1000;
  const unique = new Set(stats.messages.filter((m) => m.type === 'template').map((m) => m.to)).size;
  return {
    accepted: accepted.length,
    unique,
    lost: count - unique,
    rejected130429: stats.requests.filter((r) => r.errorCode === 130429).length,
    rate: (accepted.length - 1) / spanS,
    peak: peakPerSecond(times),
    spanS,
  };
}

export async function run({ quick }) {
  const count = quick ? 500 : 2000;
  const results = [];
  for (const cap of [80, 1000]) {
    const sandbox = await startSandboxChild({ throughput: cap, latencyMs: 150 });
    try {
      const mark = await sandbox.mark();
      log(`throughput: ${count} sends at cap ${cap}…`);
      const client = await sendBatch({ sandbox, count, cap });
      const far = farSide(await sandbox.stats(mark), count);
      const details = { count, cap, latencyMs: 150, wallS: round(client.wallMs / 1000), clientFailures: client.failed, firstError: client.firstError, retried: client.retried, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
      results.push(
        result(`throughput_ratio_cap${cap}`, far.rate / cap, atLeast(cap === 80 ? 0.99 : 0.95), { details }),
        result(`throughput_lost_cap${cap}`, far.lost, exactly(0)),
        result(`throughput_130429_cap${cap}`, far.rejected130429, exactly(0)),
      );
    } finally {
      await sandbox.close();
    }
  }
  return results;
}
