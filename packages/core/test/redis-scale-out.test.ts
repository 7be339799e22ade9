/**
 * The headline of the Redis work: several OS processes (n8n queue workers, Node-RED instances)
 * sending from ONE phone number share ONE budget. Four processes, each with its own
 * WhatsAppClient({ redis }) from the built core, send to the sandbox, which enforces Meta's 80/s
 * with a token bucket and answers 130429 beyond it. Each process pacing itself to 80/s alone would
 * offer 320/s and collect 130429s within the first second.
 */
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { CORE_DIST, buildCore, startSender, stopSenders, type Sender, type SenderReport } from './support/redis-senders';
import { REDIS_URL, SKIP_REDIS, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const PROCESSES = 4;
const PER_PROCESS = 300;
const CAP = 80;
const PREFIX = uniquePrefix('scale-out');

let sandbox: Sandbox | undefined;
const senders: Sender[] = [];

beforeAll(async () => {
  await requireRedis('redis-scale-out');
  if (!SKIP_REDIS) buildCore();
}, 60_000);
afterAll(async () => {
  await stopSenders(senders);
  await sandbox?.close();
  await deleteKeys(PREFIX);
});

redisTest(
  `${PROCESSES} processes through the Redis limiter share one number's ${CAP}/s: ≥ 95 % of the cap, zero 130429, zero lost`,
  async () => {
    sandbox = await startSandbox({ throughput: CAP, statusDelaysMs: { sent: 20, delivered: null, read: null } });
    const recipients = Array.from({ length: PROCESSES }, (_, p) =>
      Array.from({ length: PER_PROCESS }, (_, i) => `+1555${p + 1}${String(i).padStart(6, '0')}`),
    );
    for (const list of recipients) {
      senders.push(
        startSender({
          dist: CORE_DIST,
          baseUrl: sandbox.url,
          accessToken: sandbox.accessToken,
          phoneNumberId: sandbox.phoneNumberId,
          throughput: CAP,
          redisUrl: REDIS_URL,
          keyPrefix: PREFIX,
          recipients: list,
          concurrency: 20,
        }),
      );
    }
    await Promise.all(senders.map((sender) => sender.ready));
    for (const sender of senders) sender.child.send('go');
    const reports: SenderReport[] = await Promise.all(senders.map((sender) => sender.report));
    const exitCodes = await Promise.all(senders.map((sender) => sender.exited));

    // Zero lost: every process got every message accepted, and the far side holds each recipient once.
    expect(reports.map((r) => r.failures)).toEqual(reports.map(() => []));
    expect(reports.map((r) => r.accepted.length)).toEqual(reports.map(() => PER_PROCESS));
    expect(exitCodes).toEqual(reports.map(() => 0)); // closed cleanly: no Redis or HTTP handle kept it alive
    const sends = sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    expect(sends).toHaveLength(PROCESSES * PER_PROCESS); // no retries, no duplicates
    const delivered = sandbox.messages.map((m) => m.to).sort();
    expect(delivered).toEqual(recipients.flat().sort());

    // Zero 130429 (nor any other error) at the sandbox.
    expect(sends.filter((r) => r.errorCode === 130429)).toHaveLength(0);
    expect(sends.filter((r) => r.status !== 200)).toHaveLength(0);

    // Aggregate rate at the far side: at least 95 % of the cap, and not above it (pacing happened).
    const first = sends[0]!.at;
    const last = sends[sends.length - 1]!.at;
    const rate = ((sends.length - 1) / (last - first)) * 1000;
    console.log(
      `redis scale-out: ${sends.length} sends from ${PROCESSES} processes in ${last - first} ms = ${rate.toFixed(1)}/s (cap ${CAP}/s); ` +
        `per process ${reports.map((r) => `${r.finished - r.started} ms`).join(', ')}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.95 * CAP);
    expect(rate).toBeLessThanOrEqual(CAP * 1.02);

    // The processes really ran side by side: each one's sends span at least half of the run (a loaded
    // machine may start one process late).
    for (let p = 0; p < PROCESSES; p++) {
      const own = sends.filter((r) => String((r.body as { to?: string }).to).startsWith(`+1555${p + 1}`)).map((r) => r.at);
      expect(Math.max(...own) - Math.min(...own)).toBeGreaterThan(0.5 * (last - first));
    }
  },
  60_000,
);
