/**
 * Scale-out mode under a Redis outage that starts in the middle of a burst: Redis is reached
 * through a TCP proxy that the test cuts (every connection dropped, new ones refused) and later
 * restores. Sends that hold a reserved slot go out on time; every other send fails at once with
 * `shared_store_unavailable` and reaches nobody; the sandbox (which enforces the same throughput)
 * never sees more than the budget; nothing is lost silently; and sends work again once Redis is back.
 */
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient, type SendResult } from '../src/client';
import { isWhatsAppError, type WhatsAppError } from '../src/errors/whatsapp-error';
import { REDIS_URL, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';
import { proxyFor, type TcpProxy } from './support/tcp-proxy';

const THROUGHPUT = 40;
const PREFIX = uniquePrefix('reliability-outage');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome = { cb: string; startedAt: number; settledAt: number } & ({ ok: true; result: SendResult } | { ok: false; error: unknown });

const cbOf = (body: unknown): string | undefined => {
  const value = (body as { biz_opaque_callback_data?: unknown } | undefined)?.biz_opaque_callback_data;
  return typeof value === 'string' ? value : undefined;
};

let sandbox: Sandbox;
let proxy: TcpProxy;
let client: WhatsAppClient;
let proxiedUrl: string;

beforeAll(async () => {
  await requireRedis('reliability-redis-outage');
});

beforeEach(async () => {
  sandbox = await startSandbox({ seed: 7, throughput: THROUGHPUT, statusDelaysMs: { sent: 5, delivered: null, read: null } });
  ({ proxy, url: proxiedUrl } = await proxyFor(REDIS_URL));
  client = new WhatsAppClient({
    accessToken: sandbox.accessToken,
    phoneNumberId: sandbox.phoneNumberId,
    baseUrl: sandbox.url,
    throughput: THROUGHPUT,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    redis: { url: proxiedUrl, keyPrefix: PREFIX },
  });
});

afterEach(async () => {
  await client.close();
  await proxy.cut();
  await sandbox.close();
});

afterAll(async () => {
  await deleteKeys(PREFIX);
});

function send(cb: string, to: string, kind: 'template' | 'text' = 'template'): Promise<Outcome> {
  const startedAt = Date.now();
  const message =
    kind === 'template'
      ? { to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } }, biz_opaque_callback_data: cb }
      : { to, type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: cb };
  return client.send(message).then(
    (result): Outcome => ({ cb, startedAt, settledAt: Date.now(), ok: true, result }),
    (error: unknown): Outcome => ({ cb, startedAt, settledAt: Date.now(), ok: false, error }),
  );
}

const to = (i: number) => `+1555${String(3_000_000 + i).padStart(7, '0')}`;

redisTest('Redis cut mid-burst: reserved sends go out within the budget, the rest fail clearly, nothing lost, recovery after restore', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    // Warm up: one send proves the path works through the proxy.
    const first = await send('out-warm', to(9999));
    expect(first.ok).toBe(true);

    // 100 sends/s offered against a budget of 40/s: a queue builds up (slots reserved in Redis at most 100 ms ahead).
    const pending: Array<Promise<Outcome>> = [];
    let cutAt = 0;
    for (let i = 0; i < 150; i++) {
      if (i === 60) {
        await proxy.cut();
        cutAt = Date.now();
      }
      pending.push(send(`out-${i}`, to(i)));
      if (i >= 60 && i < 65) pending.push(send(`out-text-${i}`, to(5000 + i), 'text'));
      await sleep(10);
    }
    const outcomes = await Promise.all(pending);
    await sleep(100);

    const messagesByCb = new Map<string, string[]>();
    for (const m of sandbox.messages) {
      const cb = cbOf(m.body);
      if (cb) messagesByCb.set(cb, [...(messagesByCb.get(cb) ?? []), m.id]);
    }
    const requestedCbs = new Set(sandbox.requests.map((r) => cbOf(r.body)).filter(Boolean));

    let sent = 0;
    let failed = 0;
    for (const outcome of outcomes) {
      if (outcome.ok) {
        sent++;
        // Accepted exactly once, with the wamid returned.
        expect(messagesByCb.get(outcome.cb)).toEqual([outcome.result.messageId]);
        expect(outcome.result.attempts).toBe(1);
        continue;
      }
      failed++;
      const error = outcome.error as WhatsAppError;
      expect(isWhatsAppError(error)).toBe(true);
      // Never a guess: not window_closed for the text sends, not a silent drop, not a generic error.
      expect({ cb: outcome.cb, code: error.code, category: error.category, retryable: error.retryable }).toEqual({
        cb: outcome.cb,
        code: 'shared_store_unavailable',
        category: 'network',
        retryable: true,
      });
      expect(error.hint).toContain(`Redis at 127.0.0.1:${proxy.port} is unreachable`);
      expect(error.hint).toMatch(outcome.cb.startsWith('out-text-') ? /window/ : /held back/);
      // The failed send never reached Meta.
      expect(requestedCbs.has(outcome.cb)).toBe(false);
      // It failed because of the outage, and fast (no waiting out a timeout per send). Sends queued
      // before the cut fail too unless their slot was already reserved: slots are reserved at most
      // 100 ms ahead (so a slow-down after a 130429 reaches every process at once).
      expect(outcome.settledAt).toBeGreaterThanOrEqual(cutAt);
      expect(outcome.settledAt - Math.max(outcome.startedAt, cutAt)).toBeLessThan(2500);
    }
    expect(sent).toBeGreaterThan(20); // 0.6 s at 40/s before the cut, plus what was reserved then
    expect(failed).toBeGreaterThan(50);
    expect(sent + failed).toBe(outcomes.length);

    // No over-sending: the sandbox's own token bucket (Meta's model) never refused a send, and no
    // sliding second holds more than the budget (+2 for a few ms of timer jitter at either end).
    expect(sandbox.requests.filter((r) => r.errorCode === 130429)).toEqual([]);
    const arrivals = sandbox.requests.map((r) => r.at).sort((a, b) => a - b);
    for (let i = 0; i < arrivals.length; i++) {
      const inOneSecond = arrivals.filter((t) => t >= arrivals[i]! && t < arrivals[i]! + 1000).length;
      expect(inOneSecond).toBeLessThanOrEqual(THROUGHPUT + 2);
    }
    // Every message the sandbox accepted belongs to a send that resolved: nothing was sent behind our back.
    const resolvedCbs = new Set(outcomes.filter((o) => o.ok).map((o) => o.cb));
    for (const cb of messagesByCb.keys()) if (cb !== 'out-warm') expect(resolvedCbs.has(cb)).toBe(true);

    // Redis comes back: sends work again without a restart of the client.
    await proxy.restore();
    const deadline = Date.now() + 8000;
    let recovered: Outcome | undefined;
    for (let i = 0; Date.now() < deadline; i++) {
      const attempt = await send(`out-back-${i}`, to(7000 + i));
      if (attempt.ok) {
        recovered = attempt;
        break;
      }
      expect((attempt.error as WhatsAppError).code).toBe('shared_store_unavailable');
      await sleep(200);
    }
    expect(recovered?.ok).toBe(true);
    console.info(`redis outage: ${sent} sent with a reserved slot, ${failed} failed with shared_store_unavailable, recovered after restore`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
}, 30_000);
