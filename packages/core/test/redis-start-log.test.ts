/**
 * The shared start log of the Redis limiter: a process that starts its slots late (the machine did
 * not schedule it for a while) must not push the number over its cap in any sliding second. Two
 * sender processes share one number at 200/s. The first sends alone, then stalls its event loop for
 * 600 ms holding the slots of the next 100 ms (the reservation horizon); the second starts during
 * the stall and sends on time; the first's reserved slots then start late, together, among the
 * second's on-time ones. The sandbox enforces the strict reading (at most the cap in ANY sliding second) and answers
 * 130429 beyond it. Spacing by the plan alone (the TAT) drew 130429s here (8 in a run with a 400 ms
 * stall); the log, which learns when each start really began, draws none. The old fault shows only
 * when both processes then send near the cap (a starved machine may not), so both warm up first;
 * redis-limiter.test.ts checks the rule itself without timing.
 */
import { startSandboxChild, type SandboxChild } from './support/sandbox-child';
import { CORE_DIST, buildCore, startSender, stopSenders, type Sender, type SenderReport } from './support/redis-senders';
import { REDIS_URL, SKIP_REDIS, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const CAP = 200;
const PER_PROCESS = 600;
const STALL = { afterSends: 300, forMs: 600 };
const PREFIX = uniquePrefix('start-log');

let sandbox: SandboxChild | undefined;
const senders: Sender[] = [];

beforeAll(async () => {
  await requireRedis('redis-start-log');
  if (!SKIP_REDIS) buildCore();
}, 60_000);
afterAll(async () => {
  await stopSenders(senders);
  await sandbox?.close();
  await deleteKeys(PREFIX);
});

redisTest(
  'a process whose slots start late does not put a sliding second over the cap: zero 130429, zero lost',
  async () => {
    // In its own process: arrival stamps taken in the jest process were seen bunched by its pauses.
    sandbox = await startSandboxChild({ throughput: CAP, throughputMode: 'sliding', statusDelaysMs: { delivered: null, read: null } });
    const recipients = [1, 2].map((p) => Array.from({ length: PER_PROCESS }, (_, i) => `+1555${p}${String(i).padStart(6, '0')}`));
    recipients.forEach((list, p) =>
      senders.push(
        startSender({
          dist: CORE_DIST,
          baseUrl: sandbox!.url,
          accessToken: sandbox!.accessToken,
          phoneNumberId: sandbox!.phoneNumberId,
          throughput: CAP,
          redisUrl: REDIS_URL,
          keyPrefix: PREFIX,
          recipients: list,
          concurrency: 40,
          warmup: Array.from({ length: 20 }, (_, i) => `+1555${p + 3}${String(i).padStart(6, '0')}`),
          ...(p === 0 ? { stall: STALL } : {}),
        }),
      ),
    );
    await Promise.all(senders.map((sender) => sender.ready));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the warm-up sends leave the window
    const stalling = new Promise((resolve) => senders[0]!.child.on('message', (m: { type?: string }) => m.type === 'stalling' && resolve(undefined)));
    senders[0]!.child.send('go');
    await stalling;
    senders[1]!.child.send('go');
    const reports: SenderReport[] = await Promise.all(senders.map((sender) => sender.report));

    const received = await sandbox.received();
    const sends = received.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    const of = (p: number) => sends.filter((r) => String(r.to).startsWith(`+1555${p}`)).map((r) => r.at);
    // The stall happened while the stalled process was sending: a gap of most of it in its arrivals.
    const stalled = of(1);
    const gap = Math.max(...stalled.slice(1).map((t, i) => t - stalled[i]!));
    expect(gap).toBeGreaterThanOrEqual(STALL.forMs / 2);

    // Nothing refused, nothing lost, every recipient once.
    expect(sends.filter((r) => r.errorCode === 130429).map((r) => `${String(r.to)} at ${r.at}`)).toEqual([]);
    expect(reports.map((r) => r.failures)).toEqual([[], []]);
    expect(received.messages.filter((to) => /^\+1555[12]/.test(to)).sort()).toEqual(recipients.flat().sort());
  },
  60_000,
);
