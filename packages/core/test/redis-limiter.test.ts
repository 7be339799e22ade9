import { Redis } from 'ioredis';
import { WhatsAppClient, type WhatsAppClientOptions } from '../src/client';
import { RedisConnection } from '../src/redis/connection';
import { RedisRateLimiter } from '../src/redis/redis-rate-limiter';
import { CATCH_UP_SPEED, PACED_WINDOW_MS } from '../src/limiter/pacing';
import { closeSharedRedis, sharedRedisState } from '../src/registry';
import { LoopbackServer, accepted } from './support/loopback-server';
import { REDIS_URL, SKIP_REDIS, adminClient, deleteKeys, redisTest, requireRedis, uniquePrefix, closedPort, rejection } from './support/redis-env';

const PREFIX = uniquePrefix('limiter');
const PHONE = '106540352242922';
let admin: Redis;
let server: LoopbackServer;
const cleanups: Array<() => Promise<void>> = [];

function limiter(options: Partial<ConstructorParameters<typeof RedisRateLimiter>[1]> = {}, prefix = PREFIX): RedisRateLimiter {
  const created = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix }, { phoneNumberId: PHONE, ...options });
  cleanups.push(() => created.stop());
  return created;
}

function client(options: Partial<WhatsAppClientOptions>): WhatsAppClient {
  const created = new WhatsAppClient({
    accessToken: 'EAAG-test',
    phoneNumberId: PHONE,
    baseUrl: server.url,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    window: { policy: 'off' },
    ...options,
  });
  cleanups.push(() => created.close()); // close() is idempotent: tests may close the client themselves
  return created;
}



/** Runs `count` tasks through `limiters` in turn, all scheduled at once; returns start times (ms after t0). */
async function starts(limiters: RedisRateLimiter[], count: number, recipient: (i: number) => string | undefined): Promise<number[]> {
  const t0 = Date.now();
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, i) => limiters[i % limiters.length]!.schedule(recipient(i), async () => void times.push(Date.now() - t0))),
  );
  return times.sort((a, b) => a - b);
}

/** Redis's clock in ms (the scripts plan by it, not by this process's clock). */
async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await admin.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

beforeAll(async () => {
  await requireRedis('redis-limiter');
  admin = adminClient();
  admin.on('error', () => undefined);
  if (!SKIP_REDIS) await admin.connect();
});
beforeEach(async () => {
  server = await LoopbackServer.start((req) => accepted(req.json?.to ?? ''));
});
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await server.close();
});
afterAll(async () => {
  await closeSharedRedis();
  await deleteKeys(PREFIX);
  admin?.disconnect();
});

describe('RedisRateLimiter (GCRA in Redis)', () => {
  redisTest('two limiters (two processes) with one prefix share the number\'s throughput', async () => {
    const prefix = uniquePrefix('limiter-shared');
    cleanups.push(() => deleteKeys(prefix));
    const a = limiter({ throughput: 50 }, prefix);
    const b = limiter({ throughput: 50 }, prefix);
    const times = await starts([a, b], 40, (i) => `+1415555${String(i).padStart(4, '0')}`);
    // 40 slots at 50/s in all span 39 × 20 ms = 780 ms (each limiter alone would take 380 ms).
    // Measured starts carry timer lateness, the first one's included: allow two slots of it.
    expect(times[39]! - times[0]!).toBeGreaterThanOrEqual(39 * 20 - 40);
    // Spaced, not bunched: a 200 ms stretch holds 10 slots; a burst would put 20 to 40 there. The
    // margin of 5 absorbs one event-loop stall of up to 100 ms (the starts due meanwhile run together
    // when it ends; the former +2 failed on any stall over 40 ms, which a loaded machine has).
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 200).length).toBeLessThanOrEqual(15);
    const ttl = await admin.pttl(`${prefix}limiter:${PHONE}`);
    expect(ttl).toBeGreaterThan(0);
  });

  redisTest('a different key prefix is a different budget', async () => {
    // At 2/s a budget has one slot now and the next ~510 ms later. Two budgets: two starts at once,
    // two at ~510 ms; one shared budget would put the 2nd at ~510 ms and the 4th at ~1,530 ms. Measured
    // from the first start, so connecting to Redis (100 ms and more on a loaded machine) is not counted.
    // (At 10/s the bounds were 60 ms and 180 ms from t0, within reach of a loaded machine's delays.)
    const a = limiter({ throughput: 2 }, uniquePrefix('limiter-a'));
    const b = limiter({ throughput: 2 }, uniquePrefix('limiter-b'));
    const times = await starts([a, b], 4, () => undefined);
    expect(times[1]! - times[0]!).toBeLessThan(300);
    expect(times[3]! - times[0]!).toBeLessThan(1000);
  });

  redisTest('per recipient: the burst goes at once, then one per interval; others are not held', async () => {
    const [one, two] = [limiter({ throughput: 1000, pairRate: { burst: 3, intervalMs: 300 } }), limiter({ throughput: 1000, pairRate: { burst: 3, intervalMs: 300 } })];
    // Both limiters connect to Redis (and load their scripts) before the clock starts: t0 is for the
    // pacing. With the connecting inside it, a loaded machine put the burst's 3rd start at 130-600 ms
    // (5 of 5 runs over the 100 ms bound). Other recipients: the pair key under test stays untouched.
    await Promise.all([one, two].map((l, i) => l.schedule(`+1415555019${i}`, async () => undefined)));
    const t0 = Date.now();
    const times: Record<string, number[]> = { a: [], b: [] };
    await Promise.all([
      ...[0, 1, 2, 3, 4].map((i) => (i % 2 ? one : two).schedule('+14155550101', async () => void times.a!.push(Date.now() - t0))),
      one.schedule('+14155550102', async () => void times.b!.push(Date.now() - t0)),
    ]);
    const a = times.a!.sort((x, y) => x - y);
    expect(a[2]!).toBeLessThan(100); // the burst of 3
    expect(a[3]!).toBeGreaterThanOrEqual(295);
    expect(a[4]!).toBeGreaterThanOrEqual(595);
    expect(times.b![0]!).toBeLessThan(100);
    // The pair key holds the recipient as digits and expires once the bucket is full again.
    const ttl = await admin.pttl(`${PREFIX}pair:${PHONE}:14155550101`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5 * 300 + 1000);
  });

  redisTest('a recipient held by its pair rate does not burn the number\'s slots', async () => {
    // 2/s: number slots at 0, ~510 ms, ~1,020 ms (wide apart, so a loaded machine's timer lateness
    // cannot blur "the other user got slot 2" into "slot 3").
    const paced = limiter({ throughput: 2, pairRate: { burst: 1, intervalMs: 1000 } });
    const t0 = Date.now();
    const times: Record<string, number> = {};
    await Promise.all([
      paced.schedule('+14155550201', async () => void (times.first = Date.now() - t0)),
      paced.schedule('+14155550201', async () => void (times.held = Date.now() - t0)),
      paced.schedule('+14155550202', async () => void (times.other = Date.now() - t0)),
    ]);
    expect(times.held).toBeGreaterThanOrEqual(995);
    // Slot 0 went to the first, slot ~510 ms to the other user: not ~1,020 ms behind a slot the held one kept.
    expect(times.other).toBeGreaterThanOrEqual(500);
    expect(times.other - times.first).toBeLessThan(900);
  });

  redisTest('stop rejects waiting sends with client_closed and does not run them', async () => {
    const slow = limiter({ throughput: 2 }, uniquePrefix('limiter-stop'));
    let ran = 0;
    const first = slow.schedule(undefined, async () => void ran++);
    const second = slow.schedule(undefined, async () => void ran++);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(slow.queued()).toBe(1);
    const secondOutcome = rejection(second);
    await slow.stop();
    expect(await secondOutcome).toMatchObject({ code: 'client_closed' });
    expect(ran).toBe(1);
    expect(await rejection(slow.schedule(undefined, async () => void ran++))).toMatchObject({ code: 'client_closed' });
  });
});

describe('RedisRateLimiter: sliding-window pacing and the shared slow-down', () => {
  /** The most timestamps within any half-open window of `windowMs`. */
  const maxInWindow = (times: number[], windowMs = 1000): number => {
    const t = [...times].sort((a, b) => a - b);
    let max = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i]! - t[j]! >= windowMs) j++;
      max = Math.max(max, i - j + 1);
    }
    return max;
  };

  redisTest('two limiters on one budget: no sliding second holds more than the cap, steady near it', async () => {
    const prefix = uniquePrefix('limiter-sliding');
    cleanups.push(() => deleteKeys(prefix));
    const cap = 40;
    const [a, b] = [limiter({ throughput: cap }, prefix), limiter({ throughput: cap }, prefix)];
    const times = await starts([a, b], cap * 3, (i) => `+1415556${String(i).padStart(4, '0')}`);
    expect(maxInWindow(times)).toBeLessThanOrEqual(cap);
    // 3 seconds' worth in about 3 × 1.02 s (the jitter margin), not much slower.
    expect(times[times.length - 1]! - times[0]!).toBeLessThan(3 * 1020 + 400);
  });

  redisTest('a 130429 seen by one process slows the number down for the other too, and says so', async () => {
    const prefix = uniquePrefix('limiter-adapt');
    cleanups.push(() => deleteKeys(prefix));
    const [a, b] = [limiter({ throughput: 50 }, prefix), limiter({ throughput: 50 }, prefix)];
    const throttled = Object.assign(new Error('(#130429) Rate limit hit'), { graphCode: 130429 });
    // 20 accepted then one throttled, in process a: Meta took 20 in the 0.4 s before → about 0.4 × 50 = 20/s.
    for (let i = 0; i < 20; i++) await a.schedule(undefined, async () => undefined);
    await expect(a.schedule(undefined, async () => Promise.reject(throttled))).rejects.toBe(throttled);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the decrease is written in the background
    const state = await admin.hgetall(`${prefix}pace:${PHONE}`);
    expect(Number(state.f)).toBeLessThan(0.9);
    expect(await admin.pttl(`${prefix}pace:${PHONE}`)).toBeGreaterThan(3000);
    // Process b paces by it at its next reservation: starts ~1 / (50 × f) apart, not 20 ms. (Once a's
    // starts have left the window: in one process both share one emission log, which holds b back
    // until then anyway.)
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const t: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => b.schedule(undefined, async () => void t.push(performance.now()))));
    expect(b.pacing().adaptiveFactor).toBeCloseTo(Number(state.f), 2);
    expect(b.pacing().effectivePerSecond).toBeLessThan(45);
    expect((t[5]! - t[0]!) / 5).toBeGreaterThan(1020 / 50 / 0.9);
    expect(a.pacing().lastThrottledAt).toBeGreaterThan(Date.now() - 5000);
  });
});

describe('RedisRateLimiter: the shared start log', () => {
  redisTest('a slot waits until the start one window\'s worth earlier, made by another process and reported late, has left the paced window', async () => {
    const prefix = uniquePrefix('limiter-log');
    cleanups.push(() => deleteKeys(prefix));
    const cap = 20;
    // Another process was granted slots 1..20 and reported that all of them really began just now
    // (late: it had stalled). Its spacing key is gone, so the plan alone would allow a start at once.
    const redisNow = await redisNowMs();
    const entries: string[] = ['seq', String(cap)];
    for (let s = 1; s <= cap; s++) entries.push(String(s % cap), `${s}:${redisNow.toFixed(3)}`);
    await admin.hset(`${prefix}starts:${PHONE}`, ...entries);
    await admin.pexpire(`${prefix}starts:${PHONE}`, 5000);
    const here = limiter({ throughput: cap }, prefix);
    let startedAt = 0;
    await here.schedule(undefined, async () => void (startedAt = Date.now()));
    // Slot 21 waits for slot 1 (began at redisNow) plus the paced window. (Redis runs on this host:
    // its TIME is this wall clock; 5 ms for the clocks' rounding.)
    expect(startedAt - redisNow).toBeGreaterThanOrEqual(PACED_WINDOW_MS - 5);
    const log = await admin.hgetall(`${prefix}starts:${PHONE}`);
    expect(log.seq).toBe(String(cap + 1));
    expect(log['1']).toMatch(/^21:/);
  });
});

describe('RedisRateLimiter: a late start holds back its own residue only', () => {
  redisTest('the slot one window after a late start waits for it; the slots after it keep the plan, made up at the catch-up speed (as in-process)', async () => {
    const prefix = uniquePrefix('limiter-plan');
    cleanups.push(() => deleteKeys(prefix));
    const cap = 20;
    // Slots 1..20 were granted by another process; slot 1 really began just now (reported late), the
    // others a window ago. The number's plan (TAT) is now. Before, the plan moved to the held-back
    // slot: every later slot lost what slot 1 was late, and on a busy machine such losses added up
    // window after window (0.96 of the cap with 1 process, 0.92 with 4, at 1,000/s).
    const redisNow = await redisNowMs();
    const entries: string[] = ['seq', String(cap)];
    for (let s = 1; s <= cap; s++) entries.push(String(s % cap), `${s}:${(s === 1 ? redisNow : redisNow - PACED_WINDOW_MS).toFixed(3)}`);
    await admin.hset(`${prefix}starts:${PHONE}`, ...entries);
    await admin.pexpire(`${prefix}starts:${PHONE}`, 5000);
    await admin.set(`${prefix}limiter:${PHONE}`, redisNow.toFixed(3), 'PX', 5000);
    const here = limiter({ throughput: cap }, prefix);
    const sends = Promise.all(Array.from({ length: 3 }, () => here.schedule(undefined, async () => undefined)));
    // Slot 21 is granted once its time is within the horizon, 22 and 23 with it; read their plans.
    let log: Record<string, string> = {};
    for (let i = 0; i < 400 && log.seq !== String(cap + 3); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log = await admin.hgetall(`${prefix}starts:${PHONE}`);
    }
    const planned = (s: number) => {
      const [seq, at] = log[String(s % cap)]!.split(':');
      expect(seq).toBe(String(s));
      return Number(at) - redisNow;
    };
    expect(planned(21)).toBeGreaterThanOrEqual(PACED_WINDOW_MS - 0.01); // waits for slot 1
    // Their own predecessors left long ago: their plan is already due, so they follow 21 at the
    // catch-up speed, not one full interval after another as if 21's wait had moved the plan.
    const interval = PACED_WINDOW_MS / cap;
    expect(planned(22) - planned(21)).toBeCloseTo(interval / CATCH_UP_SPEED, 1);
    expect(planned(23) - planned(22)).toBeCloseTo(interval / CATCH_UP_SPEED, 1);
    await sends;
  });
});

describe('RedisRateLimiter: a start counts from when its request was written', () => {
  redisTest('a request written 150 ms after its task began is logged in the shared start log as starting then', async () => {
    const prefix = uniquePrefix('limiter-written');
    cleanups.push(() => deleteKeys(prefix));
    const here = limiter({ throughput: 5 }, prefix);
    const before = await redisNowMs();
    await here.schedule(undefined, async (written) => {
      // The request waited for its connection (a new socket, a busy event loop) before it left.
      await new Promise((resolve) => setTimeout(resolve, 150));
      written();
    });
    // The late start is reported on the next script call or on its own timer, a few ms later.
    let logged: string | undefined;
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      logged = (await admin.hget(`${prefix}starts:${PHONE}`, '1')) ?? undefined;
      if (logged && Number(logged.split(':')[1]) - before >= 145) break;
    }
    expect(logged?.split(':')[0]).toBe('1');
    // Another process's start one window on counts from there (without the write, ~50 ms: when the task began).
    expect(Number(logged!.split(':')[1]) - before).toBeGreaterThanOrEqual(145);
  });
});

describe('RedisRateLimiter: the shared quiet time after a 130429', () => {
  redisTest('a 130429 while the shared factor climbs back doubles the quiet time in Redis, as in-process', async () => {
    const prefix = uniquePrefix('limiter-quiet');
    cleanups.push(() => deleteKeys(prefix));
    const a = limiter({ throughput: 50 }, prefix);
    const redisNow = await redisNowMs();
    // Decreased to 0.5 six seconds ago with the first quiet time of 5 s: climbing back since 1 s.
    await admin.hset(`${prefix}pace:${PHONE}`, 'f', '0.5', 't', String(redisNow - 6000), 'q', '5000');
    const throttled = Object.assign(new Error('(#130429) Rate limit hit'), { graphCode: 130429 });
    await expect(a.schedule(undefined, async () => Promise.reject(throttled))).rejects.toBe(throttled);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the decrease is written in the background
    const state = await admin.hgetall(`${prefix}pace:${PHONE}`);
    expect(Number(state.q)).toBe(10_000);
    expect(Number(state.f)).toBeLessThan(0.55);
    expect(Number(state.t)).toBeGreaterThan(redisNow);
    // The hash lives through the longer quiet time and the climb after it.
    expect(await admin.pttl(`${prefix}pace:${PHONE}`)).toBeGreaterThan(10_000);
  });
});

describe('WhatsAppClient with redis', () => {
  redisTest('uses the Redis limiter and window store, and closes the connection it created', async () => {
    const prefix = uniquePrefix('client');
    cleanups.push(() => deleteKeys(prefix));
    const sender = client({ redis: { url: REDIS_URL, keyPrefix: prefix }, window: { policy: 'enforce' } });
    expect(sender.limiter).toBeInstanceOf(RedisRateLimiter);
    // A window recorded by another process (the webhook side) lets a free-form message through.
    const webhookSide = sharedRedisState({ url: REDIS_URL, keyPrefix: prefix });
    await webhookSide.windowTracker.recordInbound(PHONE, '+14155550301');
    await sender.sendText('+14155550301', 'Thanks!');
    expect(server.requests).toHaveLength(1);
    expect(await admin.exists(`${prefix}limiter:${PHONE}`, `${prefix}pair:${PHONE}:14155550301`, `${prefix}window:${PHONE}:14155550301`)).toBe(3);
    const connection = (sender as unknown as { redis: RedisConnection }).redis;
    await sender.close();
    expect(connection.client.status).toBe('end');
  });

  redisTest('a client passed in is shared and left open', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const sender = client({ redis: { client: redis, keyPrefix: PREFIX } });
      await sender.sendTemplate('+14155550302', 'hello_world', 'en_US');
      await sender.close();
      expect(redis.status).toBe('ready');
    } finally {
      redis.disconnect();
    }
  });

  redisTest('Redis down: the send fails fast with shared_store_unavailable and nothing is sent', async () => {
    const port = await closedPort();
    const sender = client({ redis: { url: `redis://user:hunter2@127.0.0.1:${port}/0`, keyPrefix: PREFIX } });
    const started = Date.now();
    const error = await rejection(sender.sendTemplate('+14155550303', 'hello_world', 'en_US'));
    expect(error).toMatchObject({ code: 'shared_store_unavailable', category: 'network', retryable: true });
    expect(error.hint).toBe(
      `Redis at 127.0.0.1:${port} is unreachable: start it, or correct the shared store's address and password; sends are held back so the number is never over its limit.`,
    );
    expect(`${error.message} ${error.hint} ${JSON.stringify(error)}`).not.toContain('hunter2');
    // Concurrent sends during the outage fail the same way, none reaches Meta.
    const more = await Promise.all([1, 2, 3].map(() => rejection(sender.sendTemplate('+14155550304', 'hello_world', 'en_US'))));
    expect(more.map((e) => e.code)).toEqual(['shared_store_unavailable', 'shared_store_unavailable', 'shared_store_unavailable']);
    expect(server.requests).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(3000);
    // The window check under the enforce policy reports the outage the same way.
    const enforcing = client({ redis: { url: `redis://127.0.0.1:${port}` }, window: { policy: 'enforce' } });
    expect(await rejection(enforcing.sendText('+14155550305', 'hi'))).toMatchObject({ code: 'shared_store_unavailable' });
    expect(server.requests).toHaveLength(0);
  });

  redisTest('Redis down with fallbackToLocal: sends go through the in-process limiter after one warning', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const sender = client({
      throughput: 50,
      redis: { url: `redis://127.0.0.1:${port}`, fallbackToLocal: true, onFallback: (error) => warnings.push(error.hint) },
    });
    const t0 = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map((i) => sender.sendTemplate(`+1415555040${i}`, 'hello_world', 'en_US')));
    expect(server.requests).toHaveLength(5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4 * 20 - 5); // still paced, by the local limiter
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`127.0.0.1:${port}`);
  });
});
