/**
 * Outbound reliability under network and server faults, against the sandbox (a real HTTP server
 * that injects Meta-like faults), through the real client, limiter and undici transport.
 *
 * What must hold for every send: it resolves with a wamid the sandbox accepted, or it rejects with
 * a WhatsAppError that says what happened; nothing is lost silently, and by default nothing is
 * accepted twice (a retry happens only where the sandbox certainly did not accept the message).
 * Every send carries a unique `biz_opaque_callback_data`, which is how sandbox records are matched
 * to sends.
 */
import { startSandbox, type FaultKind, type MessageRecord, type RequestRecord, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient, type SendResult } from '../src/client';
import { WhatsAppError, isWhatsAppError } from '../src/errors/whatsapp-error';

const SENDS = 1000;
/**
 * The client gives up waiting after this (an exact deadline); the sandbox's `slow` fault answers
 * later than that. Generous, so that a normal answer on a loaded 2-core machine is never late: the
 * client and the sandbox share one event loop, and 1,000 exchanges at once with one core busy
 * elsewhere outran the former 1,500 ms (a send the sandbox never recorded failed the test).
 */
const TIMEOUT_MS = 4000;
const SLOW_MS = 6000;
const ALL_FAULTS: FaultKind[] = ['server_error', 'reset_before', 'reset_after', 'slow'];
/** Faults where the message was not accepted and the client saw a Graph answer (safe to retry). */
const NOT_ACCEPTED_WITH_ANSWER = new Set<FaultKind | undefined>(['server_error']);
/** Faults where the client gets no answer: it cannot know whether the message was accepted. */
const NO_ANSWER = new Set<FaultKind | undefined>(['reset_before', 'reset_after', 'slow']);

type Outcome = { index: number; cb: string } & ({ ok: true; result: SendResult } | { ok: false; error: unknown });

interface Run {
  outcomes: Outcome[];
  requestsByCb: Map<string, RequestRecord[]>;
  messagesByCb: Map<string, MessageRecord[]>;
  unhandled: unknown[];
  ms: number;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return map;
}

const cbOf = (body: unknown): string | undefined => {
  const value = (body as { biz_opaque_callback_data?: unknown } | undefined)?.biz_opaque_callback_data;
  return typeof value === 'string' ? value : undefined;
};

/** Distinct recipients, so the pair rate never plays a part. */
const recipient = (i: number) => `+1555${String(2_000_000 + i).padStart(7, '0')}`;

async function runBurst(sandbox: Sandbox, retry: ConstructorParameters<typeof WhatsAppClient>[0]['retry'], tag: string): Promise<Run> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const client = new WhatsAppClient({
    accessToken: sandbox.accessToken,
    phoneNumberId: sandbox.phoneNumberId,
    baseUrl: sandbox.url,
    timeoutMs: TIMEOUT_MS,
    // 250/s, not 1,000/s: the client and the sandbox share one event loop; offered faster than a loaded
    // machine can answer, the exchanges queue up until normal answers outrun any deadline (at 1,000/s
    // with other work on the machine, 944 of 1,000 sends failed to connect in time). The faults, not
    // the rate, are what this test is about.
    throughput: 250,
    pairRate: { burst: 1000, intervalMs: 0 },
    retry,
  });
  const started = Date.now();
  try {
    const outcomes = await Promise.all(
      Array.from({ length: SENDS }, async (_, index): Promise<Outcome> => {
        const cb = `${tag}-${index}`;
        try {
          const result = await client.send({
            to: recipient(index),
            type: 'template',
            template: { name: 'hello_world', language: { code: 'en_US' } },
            biz_opaque_callback_data: cb,
          });
          return { index, cb, ok: true, result };
        } catch (error) {
          return { index, cb, ok: false, error };
        }
      }),
    );
    // Let in-flight `slow` answers and socket teardown settle before reading the records.
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 100));
    const ours = (body: unknown) => cbOf(body)?.startsWith(`${tag}-`);
    return {
      outcomes,
      requestsByCb: groupBy(sandbox.requests.filter((r) => ours(r.body)), (r) => cbOf(r.body)),
      messagesByCb: groupBy(sandbox.messages.filter((m) => ours(m.body)), (m) => cbOf(m.body)),
      unhandled,
      ms: Date.now() - started,
    };
  } finally {
    await client.close();
    process.off('unhandledRejection', onUnhandled);
  }
}

function count<T>(items: Iterable<T>, predicate: (item: T) => boolean): number {
  let n = 0;
  for (const item of items) if (predicate(item)) n++;
  return n;
}

describe('1,000 sends under 10 % faults (server_error, reset_before, reset_after, slow)', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({
      seed: 20260101,
      latencyMs: 0,
      throughput: 100_000,
      pairRate: { burst: 1000, intervalMs: 1 },
      statusDelaysMs: { sent: 5, delivered: null, read: null },
      faults: { rate: 0.1, kinds: ALL_FAULTS, slowMs: SLOW_MS },
    });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  test('default policy: accepted exactly once or failed with the right code; retries only where Meta certainly did not accept', async () => {
    const run = await runBurst(sandbox, { baseDelayMs: 10, maxDelayMs: 50 }, 'def');
    const { outcomes, requestsByCb, messagesByCb } = run;

    expect(run.unhandled).toEqual([]);
    expect(outcomes).toHaveLength(SENDS);

    let retriesOfSuccesses = 0;
    let serverErrorsOfSuccesses = 0;
    const failureCodes = new Map<string, number>();
    for (const outcome of outcomes) {
      const requests = requestsByCb.get(outcome.cb) ?? [];
      const accepted = messagesByCb.get(outcome.cb) ?? [];
      // Nothing reaches Meta twice unless the earlier try certainly was not accepted.
      expect(accepted.length).toBeLessThanOrEqual(1);
      expect(requests.length).toBeGreaterThanOrEqual(1);
      for (const earlier of requests.slice(0, -1)) {
        expect({ cb: outcome.cb, fault: earlier.fault, status: earlier.status }).toEqual({ cb: outcome.cb, fault: 'server_error', status: 503 });
      }
      const last = requests.at(-1)!;

      if (outcome.ok) {
        // Resolved: with the wamid the sandbox accepted, after a clean answer.
        expect(accepted).toHaveLength(1);
        expect(outcome.result.messageId).toBe(accepted[0]!.id);
        // A `slow` answer that still beat the client's timeout is a plain success.
        expect([undefined, 'slow']).toContain(last.fault);
        expect(last.status).toBe(200);
        expect(outcome.result.attempts).toBe(requests.length);
        retriesOfSuccesses += outcome.result.attempts - 1;
        serverErrorsOfSuccesses += count(requests, (r) => r.fault === 'server_error');
        continue;
      }

      const error = outcome.error;
      expect(isWhatsAppError(error)).toBe(true);
      const e = error as WhatsAppError & { requestSent?: boolean; graphCode?: number };
      failureCodes.set(e.code, (failureCodes.get(e.code) ?? 0) + 1);
      if (NO_ANSWER.has(last.fault)) {
        // The client cannot tell reset_before (not accepted) from reset_after / slow (accepted).
        expect({ code: e.code, category: e.category, requestSent: e.requestSent, retryable: e.retryable }).toEqual({
          code: 'delivery_unknown',
          category: 'network',
          requestSent: true,
          retryable: false,
        });
        expect(e.hint).toMatch(/status webhook/);
        expect(accepted).toHaveLength(last.fault === 'reset_before' ? 0 : 1);
      } else {
        // Server errors are retried; only running out of tries fails the send.
        expect(NOT_ACCEPTED_WITH_ANSWER.has(last.fault)).toBe(true);
        expect({ code: e.code, graphCode: e.graphCode, category: e.category }).toEqual({ code: 'graph_2', graphCode: 2, category: 'transient' });
        expect(requests).toHaveLength(5);
        expect(accepted).toHaveLength(0);
      }
    }

    // Every try the sandbox saw belongs to a send (no hidden re-sends), and retries = server errors.
    const totalRequests = [...requestsByCb.values()].reduce((n, list) => n + list.length, 0);
    const attemptsReported = outcomes.reduce((n, o) => n + (requestsByCb.get(o.cb)?.length ?? 0), 0);
    expect(totalRequests).toBe(attemptsReported);
    expect(retriesOfSuccesses).toBe(serverErrorsOfSuccesses);

    // The run really exercised each fault (seeded, ~25 of each).
    const faults = [...requestsByCb.values()].flat().map((r) => r.fault);
    for (const kind of ALL_FAULTS) expect(count(faults, (f) => f === kind)).toBeGreaterThan(5);
    expect(retriesOfSuccesses).toBeGreaterThan(5);
    // No duplicates at all in the default mode.
    expect(count(messagesByCb.values(), (list) => list.length > 1)).toBe(0);
    // Failures are the no-answer faults (~7.5 % of sends) plus rare exhausted server errors.
    const failed = count(outcomes, (o) => !o.ok);
    expect(failed).toBe((failureCodes.get('delivery_unknown') ?? 0) + (failureCodes.get('graph_2') ?? 0));
    expect(failureCodes.get('graph_2') ?? 0).toBeLessThanOrEqual(2);
    console.info(
      `faults (default): ${SENDS} sends in ${run.ms} ms, ${SENDS - failed} accepted once, ${failed} failed ${JSON.stringify(Object.fromEntries(failureCodes))}, ${retriesOfSuccesses} retries`,
    );
  }, 180_000); // 60 s was exceeded with one core busy elsewhere

  test('retry.retryDeliveryUnknown: every send ends accepted, and duplicates can then occur', async () => {
    const run = await runBurst(sandbox, { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 8, retryDeliveryUnknown: true }, 'alo');
    const { outcomes, requestsByCb, messagesByCb } = run;

    expect(run.unhandled).toEqual([]);
    const failures = outcomes.filter((o) => !o.ok);
    expect(failures.map((o) => (o as { error: WhatsAppError }).error.code)).toEqual([]);

    let duplicated = 0;
    let expectedDuplicates = 0;
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      const requests = requestsByCb.get(outcome.cb)!;
      const accepted = messagesByCb.get(outcome.cb) ?? [];
      // At least once: the wamid returned is one the sandbox accepted.
      expect(accepted.map((m) => m.id)).toContain(outcome.result.messageId);
      expect(outcome.result.attempts).toBe(requests.length);
      // Each earlier try that the sandbox accepted without answering (reset_after, slow) is a duplicate.
      const acceptedUnanswered = count(requests.slice(0, -1), (r) => r.fault === 'reset_after' || r.fault === 'slow');
      expect(accepted).toHaveLength(1 + acceptedUnanswered);
      expectedDuplicates += acceptedUnanswered;
      if (accepted.length > 1) duplicated++;
    }
    // The documented trade-off of at-least-once: some messages went out twice.
    expect(expectedDuplicates).toBeGreaterThan(0);
    expect(duplicated).toBeGreaterThan(0);
    console.info(`faults (retryDeliveryUnknown): ${SENDS} sends in ${run.ms} ms, all accepted, ${duplicated} sent more than once`);
  }, 180_000); // 60 s was exceeded with one core busy elsewhere
});
