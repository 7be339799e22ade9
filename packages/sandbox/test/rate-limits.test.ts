import { startSandbox, type Sandbox } from '../src';
import { SlidingWindowLimit, TokenBucket } from '../src/buckets';
import { manualClock, sendText } from './helpers';

describe('throughput (130429) and pair rate (131056)', () => {
  let sb: Sandbox;
  const clock = manualClock();
  afterEach(() => sb?.close());

  test('token bucket: capacity, continuous refill, never above capacity', () => {
    const c = manualClock();
    const b = new TokenBucket(3, 3 / 1000, c.now);
    for (let i = 0; i < 3; i++) {
      expect(b.canTake()).toBe(true);
      b.take();
    }
    expect(b.canTake()).toBe(false);
    c.advance(334); // 1.002 tokens back at 3/s
    expect(b.canTake()).toBe(true);
    b.take();
    expect(b.canTake()).toBe(false);
    c.advance(60_000);
    for (let i = 0; i < 3; i++) b.take();
    expect(b.canTake()).toBe(false);
  });

  test('throughput: the (N+1)th send within the same instant → HTTP 400, code 130429; refills with time', async () => {
    sb = await startSandbox({ throughput: 5, now: clock.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
    const results = [];
    for (let i = 0; i < 6; i++) {
      const to = `1555123${String(i).padStart(4, '0')}`;
      sb.setWindow(to);
      results.push(await sendText(sb, to));
    }
    expect(results.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results[5].status).toBe(400);
    expect(results[5].json.error).toMatchObject({ code: 130429, error_data: { details: 'Cloud API message throughput has been reached.' } });
    expect(sb.requests[sb.requests.length - 1]).toMatchObject({ status: 400, errorCode: 130429 });
    expect(sb.messages).toHaveLength(5); // the rejected send was not accepted
    clock.advance(200); // one token back at 5/s
    sb.setWindow('15559990000');
    expect((await sendText(sb, '15559990000')).status).toBe(200);
    expect((await sendText(sb, '15559990001')).status).toBe(400);
  });

  test('pair rate: burst per recipient then 131056; other recipients unaffected; one token per interval', async () => {
    sb = await startSandbox({ pairRate: { burst: 3, intervalMs: 1000 }, now: clock.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
    const a = '15551230001';
    const b = '15551230002';
    sb.setWindow(a);
    sb.setWindow(b);
    for (let i = 0; i < 3; i++) expect((await sendText(sb, a)).status).toBe(200);
    const r = await sendText(sb, a);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(131056);
    expect((await sendText(sb, b)).status).toBe(200);
    clock.advance(999);
    expect((await sendText(sb, a)).json.error.code).toBe(131056);
    clock.advance(1);
    expect((await sendText(sb, a)).status).toBe(200);
    expect((await sendText(sb, a)).json.error.code).toBe(131056);
  });

  test('a send rejected by the pair rate does not consume throughput', async () => {
    sb = await startSandbox({ throughput: 2, pairRate: { burst: 1, intervalMs: 60_000 }, now: clock.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
    sb.setWindow('15551230001');
    sb.setWindow('15551230002');
    expect((await sendText(sb, '15551230001')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await sendText(sb, '15551230001')).json.error.code).toBe(131056);
    expect((await sendText(sb, '15551230002')).status).toBe(200); // second throughput token still there
  });

  test('defaults: 80 msg/s and 45 per recipient', async () => {
    sb = await startSandbox({ now: clock.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
    sb.setWindow('15551230001');
    const codes: number[] = [];
    for (let i = 0; i < 46; i++) codes.push((await sendText(sb, '15551230001')).json.error?.code ?? 200);
    expect(codes.filter((c) => c === 200)).toHaveLength(45);
    expect(codes[45]).toBe(131056);
  });

  test('sliding window: at most N in any half-open second, whatever the spacing', () => {
    const c = manualClock();
    const w = new SlidingWindowLimit(3, 1000, c.now);
    const take = () => (w.canTake() ? (w.take(), true) : false);
    expect(take()).toBe(true); // t=0
    c.advance(400);
    expect(take()).toBe(true); // t=400
    c.advance(400);
    expect(take()).toBe(true); // t=800
    c.advance(199);
    expect(take()).toBe(false); // t=999: 0, 400, 800 are within the last second
    c.advance(1);
    expect(take()).toBe(true); // t=1000: the take at 0 left the window
    expect(take()).toBe(false); // 400, 800, 1000
    c.advance(399);
    expect(take()).toBe(false); // t=1399
    c.advance(1);
    expect(take()).toBe(true); // t=1400
  });

  test('the two readings differ exactly where a bucket forgives: a steady stream after a full second', async () => {
    // Bucket: a full bucket (5) plus 5/s refill lets 5 go at t=0 and one more at t=200.
    // Sliding: the same 6th send at t=200 is the 6th within one second → 130429.
    for (const throughputMode of ['bucket', 'sliding'] as const) {
      const c = manualClock();
      sb = await startSandbox({ throughput: 5, throughputMode, now: c.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
      const send = async (i: number) => {
        const to = `1555124${String(i).padStart(4, '0')}`;
        sb.setWindow(to);
        return sendText(sb, to);
      };
      for (let i = 0; i < 5; i++) expect((await send(i)).status).toBe(200);
      c.advance(200);
      expect((await send(5)).json.error?.code ?? 200).toBe(throughputMode === 'bucket' ? 200 : 130429);
      c.advance(800);
      expect((await send(6)).status).toBe(200); // t=1000: one token back / the t=0 sends left the window
      await sb.close();
    }
  });

  test('sliding mode counts only accepted sends, and a bad mode is refused by name', async () => {
    const c = manualClock();
    sb = await startSandbox({ throughput: 2, throughputMode: 'sliding', now: c.now, statusDelaysMs: { sent: 1, delivered: null, read: null } });
    for (const to of ['15551250001', '15551250002', '15551250003']) sb.setWindow(to);
    expect((await sendText(sb, '15551250001')).status).toBe(200);
    expect((await sendText(sb, '15551250002')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await sendText(sb, '15551250003')).json.error.code).toBe(130429);
    c.advance(1000);
    expect((await sendText(sb, '15551250003')).status).toBe(200); // the refusals did not extend the window
    await expect(startSandbox({ throughputMode: 'fixed' as never })).rejects.toThrow(/throughputMode: "fixed" is not one of bucket, sliding/);
  });

  test('sliding mode on the real clock still refuses a real burst (N + 1 within a second)', async () => {
    sb = await startSandbox({ throughput: 5, throughputMode: 'sliding', statusDelaysMs: { sent: 1, delivered: null, read: null } });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const to = `1555126${String(i).padStart(4, '0')}`;
      sb.setWindow(to);
      codes.push((await sendText(sb, to)).json.error?.code ?? 200);
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 130429]);
  });
});
