import { LocalRateLimiter } from '../src/limiter/local-rate-limiter';
import { GcraPacer } from '../src/limiter/gcra-pacer';

describe('GcraPacer', () => {
  test('allows a burst, then one per interval, per recipient', () => {
    let now = 0;
    const pacer = new GcraPacer({ burst: 3, intervalMs: 6000 }, () => now);
    expect([pacer.reserve('a'), pacer.reserve('a'), pacer.reserve('a')]).toEqual([0, 0, 0]);
    expect(pacer.reserve('a')).toBe(6000);
    expect(pacer.reserve('a')).toBe(12000);
    expect(pacer.reserve('b')).toBe(0); // other recipients are not held up
    now = 60_000; // the bucket refilled completely
    expect([pacer.reserve('a'), pacer.reserve('a'), pacer.reserve('a'), pacer.reserve('a')]).toEqual([0, 0, 0, 6000]);
  });

  test('a burst of 20 at Meta\'s 45/6 s means the 46th waits 6 s', () => {
    let now = 0;
    const pacer = new GcraPacer({ burst: 45, intervalMs: 6000 }, () => now);
    const waits = Array.from({ length: 47 }, () => pacer.reserve('u'));
    expect(waits.slice(0, 45).every((w) => w === 0)).toBe(true);
    expect(waits.slice(45)).toEqual([6000, 12000]);
  });
});

describe('LocalRateLimiter', () => {
  test('paces starts to the throughput, running different recipients concurrently', async () => {
    const limiter = new LocalRateLimiter({ throughput: 50 });
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        limiter.schedule(`user${i}`, async () => {
          starts.push(Date.now() - t0);
          maxRunning = Math.max(maxRunning, ++running);
          await new Promise((resolve) => setTimeout(resolve, 100));
          running--;
        }),
      ),
    );
    await limiter.stop();
    // 50 starts at 50/s span ≈ 980 ms: never faster than the cap (a loaded machine may be slower).
    expect(starts[49]! - starts[0]!).toBeGreaterThanOrEqual(49 * 20 - 5);
    expect(maxRunning).toBeGreaterThan(1);
  });

  test('holds one recipient to its pair rate without holding others', async () => {
    const limiter = new LocalRateLimiter({ throughput: 1000, pairRate: { burst: 2, intervalMs: 300 } });
    const times: Record<string, number[]> = { a: [], b: [] };
    const t0 = Date.now();
    await Promise.all([
      ...[1, 2, 3, 4].map(() => limiter.schedule('a', async () => void times.a!.push(Date.now() - t0))),
      limiter.schedule('b', async () => void times.b!.push(Date.now() - t0)),
    ]);
    await limiter.stop();
    expect(times.a![2]).toBeGreaterThanOrEqual(290);
    expect(times.a![3]).toBeGreaterThanOrEqual(590);
    expect(times.b![0]).toBeLessThan(times.a![2]!); // b was not held up behind a's pair rate
  });

  test('stop rejects waiting tasks with a clear error; none vanish', async () => {
    const limiter = new LocalRateLimiter({ throughput: 2, pairRate: { burst: 1, intervalMs: 10_000 } });
    const results = await Promise.allSettled([
      limiter.schedule('a', async () => 'first'),
      limiter.schedule('a', async () => 'held by pair rate'),
      limiter.schedule('b', async () => 'queued'),
      limiter.schedule('c', async () => 'queued'),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await limiter.stop();
        return 'stopped';
      })(),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'first' });
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'client_closed' });
    await expect(limiter.schedule('z', async () => 1)).rejects.toMatchObject({ code: 'client_closed' });
  });

  test('bad settings fail with the field name', () => {
    expect(() => new LocalRateLimiter({ throughput: 0 })).toThrow(/throughput/);
    expect(() => new LocalRateLimiter({ pairRate: { burst: 0, intervalMs: 1 } })).toThrow(/pairRate.burst/);
  });
});
