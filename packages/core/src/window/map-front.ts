/**
 * The oldest entry of a Map (its insertion order), in amortised O(1).
 *
 * Why not `map.keys().next()`: V8 leaves a hole where a deleted entry was until the table is
 * rehashed, and every new iterator walks the holes from the start. A Map used as a queue (delete
 * at the front, add at the back) keeps up to half its capacity in holes, so each fresh iterator
 * costs O(size): 45 µs per write at 100k keys, which capped webhook ingest once the dedupe store
 * was full (bench measure 4). One long-lived iterator walks past each hole once; V8 keeps a live
 * iterator valid across deletes and rehashes.
 *
 * The price of a long-lived iterator: while it waits at one entry, every table V8 replaces
 * (growing, or compacting holes at the same size) stays reachable through it (28 MB at 1M
 * entries). So the iterator is started again:
 * - once the Map has more than doubled since it started: V8 grows a table when it is full, so by
 *   then the Map has just moved to a new table, which has no holes, and the new walk is short;
 * - after more than max(size, 1024) reads without moving: the walk over any holes is then paid
 *   for by as many reads.
 * Both keep the walk and the memory O(1) amortised.
 */
export class MapFront<K, V> {
  private cursor?: Iterator<[K, V]>;
  private cursorSize = 0;
  private idleReads = 0;
  private front?: [K, V];

  constructor(private readonly map: Map<K, V>) {}

  /**
   * The oldest entry still in the map. A key the owner deletes and sets again (moving it to the
   * back) must be passed to `forget`, or it may still be reported at its old place.
   */
  peek(): [K, V] | undefined {
    if (this.cursor && (this.map.size > 2 * this.cursorSize || ++this.idleReads > Math.max(this.map.size, 1024))) this.restart();
    for (;;) {
      if (this.front) {
        const [key, value] = this.front;
        if (this.map.has(key) && this.map.get(key) === value) return this.front;
        this.front = undefined; // deleted, or re-set with a new value (now further back)
      }
      if (!this.cursor) {
        this.cursor = this.map.entries();
        this.cursorSize = Math.max(this.map.size, 8);
      }
      const next = this.cursor.next();
      this.idleReads = 0;
      if (next.done) {
        // A finished iterator stays finished, even after new sets: start again next time.
        this.restart();
        return undefined;
      }
      this.front = next.value;
    }
  }

  /** Call when `key` was deleted and set again: it now sits at the back, not where it was read. */
  forget(key: K): void {
    if (this.front && this.front[0] === key) this.front = undefined;
  }

  /** Deletes the oldest entry; returns its key. */
  shift(): K | undefined {
    const oldest = this.peek();
    if (!oldest) return undefined;
    this.map.delete(oldest[0]);
    this.front = undefined;
    return oldest[0];
  }

  private restart(): void {
    this.cursor = undefined;
    this.front = undefined;
  }
}
