// Measure 1: template sends through the core client (one process) against the sandbox at Meta's
// caps, under both readings of "N per second" the sandbox offers: a token bucket (`bucket`) and
// at most N in any sliding second (`sliding`, the stricter).
// achieved / cap = (accepted − 1) / (last − first arrival at the far side) / cap: evenly spaced
// sends at exactly the cap give 1.0; the limiter's jitter margin puts its best at 1000 / 1020 = 0.98.
// Lost = sends not accepted by the far side; 130429 = share of the sends answered with it, in %.
import { atLeast, atMost, core, exactly, log, peakPerSecond, result, round, startSandboxChild } from '../lib/common.mjs';

export const id = 'throughput';
export const title = 'Throughput vs cap (core client, one process, sandbox with 150 ms latency, both readings)';

export const READINGS = ['bucket', 'sliding'];

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
  const pacing = client.pacing();
  await client.close();
  const failed = outcomes.filter((o) => o.status === 'rejected');
  return {
    wallMs,
    failed: failed.length,
    firstError: failed[0]?.reason?.message,
    retried: outcomes.filter((o) => o.status === 'fulfilled' && o.value.attempts > 1).length,
    effectivePerSecondAtEnd: pacing?.effectivePerSecond,
  };
}

/**
 * What the far side saw. `afterMs`: the rate counts only acceptances from that long after the first
 * one (the "slower than configured" case leaves out the first seconds of learning).
 */
export function farSide(stats, count, { afterMs = 0 } = {}) {
  const accepted = stats.requests.filter((r) => r.status === 200);
  const all = accepted.map((r) => r.at).sort((a, b) => a - b);
  const times = all.filter((t) => t >= all[0] + afterMs);
  const spanS = (times[times.length - 1] - times[0]) / 1000;
  const unique = new Set(stats.messages.filter((m) => m.type === 'template').map((m) => m.to)).size;
  const rejected130429 = stats.requests.filter((r) => r.errorCode === 130429).length;
  return {
    accepted: accepted.length,
    unique,
    lost: count - unique,
    duplicates: accepted.length - unique,
    rejected130429,
    pct130429: (100 * rejected130429) / count,
    rate: (times.length - 1) / spanS,
    peak: peakPerSecond(all),
    spanS,
  };
}

/** The result lines of one run (name prefix, cap, far side, details). */
export function lines(prefix, cap, far, details, { ratioGoal = 0.97, pctGoal = 0.5, realCap = cap } = {}) {
  return [
    result(`${prefix}_ratio`, far.rate / realCap, atLeast(ratioGoal), { details }),
    result(`${prefix}_lost`, far.lost, exactly(0)),
    result(`${prefix}_130429_pct`, far.pct130429, atMost(pctGoal), { unit: '%', note: `${far.rejected130429} answers` }),
    result(`${prefix}_peak_per_s`, far.peak, `report: most accepted in one sliding second (cap ${realCap})`),
  ];
}

export async function run({ quick }) {
  const results = [];
  for (const throughputMode of READINGS) {
    for (const cap of [80, 1000]) {
      const count = cap === 80 ? (quick ? 500 : 2000) : quick ? 2000 : 5000;
      const sandbox = await startSandboxChild({ throughput: cap, throughputMode, latencyMs: 150 });
      try {
        const mark = await sandbox.mark();
        log(`throughput: ${count} sends at cap ${cap}, ${throughputMode} reading…`);
        const client = await sendBatch({ sandbox, count, cap });
        const far = farSide(await sandbox.stats(mark), count);
        const details = { count, cap, throughputMode, latencyMs: 150, wallS: round(client.wallMs / 1000), clientFailures: client.failed, firstError: client.firstError, retried: client.retried, ...far, rate: round(far.rate, 2), spanS: round(far.spanS) };
        results.push(...lines(`throughput_${throughputMode}_cap${cap}`, cap, far, details));
      } finally {
        await sandbox.close();
      }
    }
  }
  return results;
}
