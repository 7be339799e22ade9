import { MemoryKeyedExpiryStore } from '../src/window/window-store';
import { SERVICE_WINDOW_MS, WindowTracker, windowKey } from '../src/window/window-tracker';

const H = 60 * 60 * 1000;

describe('WindowTracker', () => {
  let now: number;
  let tracker: WindowTracker;
  beforeEach(() => {
    now = Date.UTC(2026, 10, 25, 12);
    tracker = new WindowTracker(new MemoryKeyedExpiryStore({ now: () => now }), () => now);
  });

  test('an inbound message opens 24 h, to the millisecond', async () => {
    await tracker.recordInbound('100', '14155551234', new Date(now));
    now += SERVICE_WINDOW_MS - 1;
    expect(await tracker.status('100', '+1 (415) 555-1234')).toEqual({ open: true, expiresAt: new Date(now + 1) });
    now += 1;
    expect(await tracker.status('100', '+14155551234')).toEqual({ open: false });
  });

  test('windows are per business number and per user', async () => {
    await tracker.recordInbound('100', '14155551234');
    expect((await tracker.status('200', '14155551234')).open).toBe(false);
    expect((await tracker.status('100', '14155550000')).open).toBe(false);
  });

  test('a later message extends the window; an earlier one never shortens it', async () => {
    await tracker.recordInbound('100', 'US.123456', new Date(now + H));
    await tracker.recordInbound('100', 'US.123456', new Date(now));
    now += SERVICE_WINDOW_MS + H - 1;
    expect((await tracker.status('100', 'US.123456')).open).toBe(true);
    now += 1;
    expect((await tracker.status('100', 'US.123456')).open).toBe(false);
  });

  test('an old redelivery does not reopen a window; close() forgets it', async () => {
    await tracker.recordInbound('100', '14155551234', new Date(now - 25 * H));
    expect((await tracker.status('100', '14155551234')).open).toBe(false);
    await tracker.recordInbound('100', '14155551234', new Date(now - H));
    await tracker.close('100', '14155551234');
    expect((await tracker.status('100', '14155551234')).open).toBe(false);
  });

  test('keys ignore phone formatting but keep BSUIDs as given', () => {
    expect(windowKey('1', '+1 (415) 555-1234')).toBe('1:14155551234');
    expect(windowKey('1', 'US.1234')).toBe('1:US.1234');
  });
});

describe('MemoryKeyedExpiryStore', () => {
  test('is bounded: the oldest key goes first', () => {
    const store = new MemoryKeyedExpiryStore({ maxEntries: 3, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'd']) store.put(key, 100);
    expect(store.size).toBe(3);
    expect(store.peek('a')).toBeUndefined();
    expect(store.peek('d')).toBe(100);
  });

  test('expired keys are dropped on read and swept on write', () => {
    let now = 0;
    const store = new MemoryKeyedExpiryStore({ now: () => now });
    store.put('a', 10);
    store.put('b', 20);
    now = 15;
    expect(store.peek('a')).toBeUndefined();
    store.put('c', 100);
    now = 25;
    store.put('d', 100);
    expect(store.size).toBe(2);
  });
});
