import { MapFront } from '../src/window/map-front';
import { MemoryKeyedExpiryStore } from '../src/window/window-store';

/** A Map that counts how many iterators were started over it. */
class CountingMap<K, V> extends Map<K, V> {
  iterators = 0;
  override entries(): MapIterator<[K, V]> {
    this.iterators += 1;
    return super.entries();
  }
}

describe('MapFront', () => {
  test('reports entries in insertion order, across deletes and re-sets', () => {
    const map = new Map<string, number>([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const front = new MapFront(map);
    expect(front.peek()).toEqual(['a', 1]);
    map.delete('a');
    expect(front.peek()).toEqual(['b', 2]);
    // Re-set with a new value: b now sits at the back.
    map.delete('b');
    map.set('b', 20);
    expect(front.shift()).toBe('c');
    expect(front.shift()).toBe('b');
    expect(front.peek()).toBeUndefined();
    // A finished walk starts again once the map has entries again.
    map.set('d', 4);
    expect(front.peek()).toEqual(['d', 4]);
  });

  test('a queue of 20,000 writes starts a handful of iterators, not one per eviction', () => {
    // One iterator per eviction walks every hole V8 left at the front: O(size) each.
    const map = new CountingMap<string, number>();
    const front = new MapFront(map);
    for (let i = 0; i < 20_000; i++) {
      map.set(`k${i}`, i);
      if (map.size > 100) front.shift();
    }
    expect(map.size).toBe(100);
    expect(front.peek()).toEqual(['k19900', 19900]);
    expect(map.iterators).toBeLessThanOrEqual(2);
  });
});

describe('MapFront: what it may not keep', () => {
  test('a key re-set with the same value (forgotten by the owner) is no longer the oldest', () => {
    const map = new Map<string, number>([
      ['a', 1],
      ['b', 2],
    ]);
    const front = new MapFront(map);
    expect(front.peek()).toEqual(['a', 1]);
    map.delete('a');
    front.forget('a');
    map.set('a', 1);
    expect(front.shift()).toBe('b');
    expect(front.shift()).toBe('a');
  });

  test('an iterator waiting at a valid front is restarted after max(size, 1024) reads', () => {
    // While it waits, V8 keeps every table the Map replaced reachable through it; a restart frees them.
    const map = new CountingMap<string, number>([['front', 0]]);
    const front = new MapFront(map);
    for (let i = 0; i < 3000; i++) {
      map.set(`k${i % 10}`, i); // churn elsewhere; the front stays valid
      expect(front.peek()).toEqual(['front', 0]);
    }
    expect(map.iterators).toBeGreaterThanOrEqual(2);
    expect(map.iterators).toBeLessThanOrEqual(4);
  });
});

describe('MemoryKeyedExpiryStore at its bound', () => {
  test('a key written again with an unchanged expiry moves to the back: the real oldest goes first', () => {
    const store = new MemoryKeyedExpiryStore({ maxEntries: 2, now: () => 0 });
    store.put('a', 100);
    store.put('b', 100);
    store.put('a', 50); // keeps 100, and a is now the newest
    store.put('c', 100);
    expect(store.peek('b')).toBeUndefined();
    expect(store.peek('a')).toBe(100);
    expect(store.peek('c')).toBe(100);
  });

  test('keeps the newest maxEntries keys through 50,000 writes', () => {
    const store = new MemoryKeyedExpiryStore({ maxEntries: 1000, now: () => 0 });
    for (let i = 0; i < 50_000; i++) store.put(`k${i}`, 100);
    expect(store.size).toBe(1000);
    expect(store.peek('k48999')).toBeUndefined();
    expect(store.peek('k49000')).toBe(100);
    expect(store.peek('k49999')).toBe(100);
  });
});
