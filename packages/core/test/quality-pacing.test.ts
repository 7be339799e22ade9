import { LocalRateLimiter } from '../src/limiter/local-rate-limiter';
import type { RateLimiter } from '../src/limiter/rate-limiter';
import { QualityGuard, resolveQualityRules } from '../src/quality/quality-guard';
import { RedisConnection } from '../src/redis/connection';
import { RedisRateLimiter } from '../src/redis/redis-rate-limiter';
import { RedisWindowStore } from '../src/redis/redis-window-store';
import { closeSharedRedis, sharedQualityGuard, sharedRedisState } from '../src/registry';
import { REDIS_URL, adminClient, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const PHONE = '106540352242922';
const PREFIX = uniquePrefix('quality');
const stops: Array<() => Promise<void>> = [];

/** Runs `count` tasks at once (no recipient: only the number's throughput applies); returns the gaps between starts. */
async function gaps(limiter: RateLimiter, count: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(Array.from({ length: count }, () => limiter.schedule(undefined, async () => void times.push(performance.now()))));
  times.sort((a, b) => a - b);
  return times.slice(1).map((t, i) => t - times[i]!);
}
const BATCH = 16;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
/**
 * Timer lateness on a loaded machine moves single starts: for "not slowed down" (an upper bound) the
 * median ignores one late gap that would push a mean over 30 ms. For "twice as far apart" (a lower
 * bound) the mean is (last - first) / gaps, and a late FIRST start shortens it: with 8 starts 34 ms of
 * lateness failed the test (mean 34.1 < 36), so each batch is 16 starts (72 ms of lateness tolerated).
 */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

describe('throughput factor', () => {
  test('LocalRateLimiter: factor 0.5 spaces starts twice as far apart; 1 restores; invalid factors are refused', async () => {
    const limiter = new LocalRateLimiter({ throughput: 50 }); // 20 ms apart
    stops.push(() => limiter.stop());
    expect(median(await gaps(limiter, BATCH))).toBeLessThan(30);
    limiter.setThroughputFactor(0.5);
    const slow = await gaps(limiter, BATCH);
    expect(mean(slow)).toBeGreaterThanOrEqual(36);
    limiter.setThroughputFactor(1);
    expect(median(await gaps(limiter, BATCH))).toBeLessThan(30);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => limiter.setThroughputFactor(bad)).toThrow(/throughput factor/);
  });

  beforeAll(() => requireRedis('quality pacing'));
  afterAll(async () => {
    await closeSharedRedis();
    await deleteKeys(PREFIX);
  });

  redisTest('RedisRateLimiter: factor 0.5 doubles the interval the script reserves; 1 restores', async () => {
    const limiter = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: `${PREFIX}a:` }, { phoneNumberId: PHONE, throughput: 50 });
    stops.push(() => limiter.stop());
    expect(median(await gaps(limiter, BATCH))).toBeLessThan(30);
    limiter.setThroughputFactor(0.5);
    expect(mean(await gaps(limiter, BATCH))).toBeGreaterThanOrEqual(36);
    limiter.setThroughputFactor(1);
    await new Promise((r) => setTimeout(r, 60)); // let the budget refill
    expect(median(await gaps(limiter, BATCH))).toBeLessThan(30);
    expect(() => limiter.setThroughputFactor(0)).toThrow(/throughput factor/);
  });
});

describe('quality guard shared through Redis', () => {
  redisTest('two processes: a suppression recorded by one refuses in the other; a rating seen by one paces the other\'s limiter', async () => {
    const connections = [new RedisConnection({ url: REDIS_URL, keyPrefix: `${PREFIX}b:` }), new RedisConnection({ url: REDIS_URL, keyPrefix: `${PREFIX}b:` })];
    stops.push(async () => void (await Promise.all(connections.map((c) => c.close()))));
    const [a, b] = connections.map((c) => new QualityGuard({ store: new RedisWindowStore(c), ratingRefreshMs: 0 })) as [QualityGuard, QualityGuard];
    const limiter = new LocalRateLimiter();
    stops.push(() => limiter.stop());
    const factor = jest.spyOn(limiter, 'setThroughputFactor');
    b.attachLimiter(PHONE, limiter, 0.5);
    const rules = resolveQualityRules({}, b);
    const send = { phoneNumberId: PHONE, recipient: '+15551230001', windowOpen: async () => false };

    await a.recordFailure(PHONE, '15551230001', 131026);
    await expect(b.check(send, rules)).rejects.toMatchObject({ code: 'recipient_suppressed' });
    const admin = adminClient();
    await admin.connect();
    try {
      const keys = await admin.keys(`${PREFIX}b:*`);
      expect(keys).toEqual([`${PREFIX}b:window:quality:suppressed:${PHONE}:15551230001`]);
      const ttl = await admin.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    } finally {
      admin.disconnect();
    }

    await a.setRating(PHONE, 'YELLOW');
    expect(await b.rating(PHONE)).toBe('YELLOW');
    expect(factor).toHaveBeenLastCalledWith(0.5);
    await a.setRating(PHONE, 'GREEN'); // the latest observation wins, without deleting the older key
    expect(await b.rating(PHONE)).toBe('GREEN');
    expect(factor).toHaveBeenLastCalledWith(1);
    await b.unsuppress(PHONE, '+15551230001');
    await expect(b.check(send, rules)).resolves.toBeUndefined();
  });

  redisTest('sharedRedisState hands out one quality guard per connection; sharedQualityGuard one per process', async () => {
    const state = sharedRedisState({ url: REDIS_URL, keyPrefix: `${PREFIX}c:` });
    expect(sharedRedisState({ url: REDIS_URL, keyPrefix: `${PREFIX}c:` }).qualityGuard).toBe(state.qualityGuard);
    expect(state.qualityGuard.store).toBeInstanceOf(RedisWindowStore);
    expect(sharedQualityGuard()).toBe(sharedQualityGuard());
  });
});

test('a listener that reads status() sees the new rating', async () => {
  const { QualityGuard } = await import('../src/quality');
  const guard = new QualityGuard();
  await guard.setRating('100', 'GREEN');
  const seen: string[] = [];
  guard.onChange(() => void guard.status('100').then((s) => seen.push(s.rating)));
  await guard.setRating('100', 'YELLOW');
  await new Promise((resolve) => setImmediate(resolve));
  expect(seen).toEqual(['YELLOW']);
});
