/**
 * Where window expiry times live. The memory store serves one process; a Redis store shares
 * windows across processes (n8n queue mode, several Node-RED instances). Keys are opaque strings
 * built by the tracker; values are epoch milliseconds at which the window closes.
 */
import { MapFront } from './map-front';

export interface WindowStore {
  /** The stored expiry, or undefined when none is stored (or it already expired). */
  getExpiry(key: string): Promise<number | undefined>;
  /**
   * Several expiries in one call, in the order of `keys` (optional: a store without it is read key
   * by key). A shared store answers them in one round trip: a send checks five keys.
   */
  getExpiries?(keys: readonly string[]): Promise<Array<number | undefined>>;
  /** Stores `expiresAt` unless a later expiry is already stored (a redelivered older message never shortens the window). */
  extend(key: string, expiresAt: number): Promise<void>;
  /** Forgets the key (Meta said the window is closed: 131047). */
  delete(key: string): Promise<void>;
  /** Resolves once every write made so far is durable (the embedded store's group commit). */
  flush?(): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Most keys kept; the oldest are evicted first. @default 1_000_000 */
  maxEntries?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * Bounded, expiring in-memory store. O(1) per call (amortised): a Map keeps insertion order, every
 * write re-inserts its key at the end, so the oldest keys sit at the front and eviction pops from
 * there (through MapFront: a fresh iterator per eviction would cost O(size), see there).
 */
export class MemoryKeyedExpiryStore implements WindowStore {
  private readonly entries = new Map<string, number>();
  private readonly oldest = new MapFront(this.entries);
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async getExpiry(key: string): Promise<number | undefined> {
    return this.peek(key);
  }

  /** Synchronous read for hot paths (the deduplicator, benchmarks). */
  peek(key: string): number | undefined {
    const expiresAt = this.entries.get(key);
    if (expiresAt === undefined) return undefined;
    if (expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return expiresAt;
  }

  async extend(key: string, expiresAt: number): Promise<void> {
    this.put(key, expiresAt);
  }

  /** Synchronous write; keeps the later of the stored and the new expiry. */
  put(key: string, expiresAt: number): void {
    const current = this.entries.get(key);
    if (current !== undefined) {
      this.entries.delete(key);
      this.oldest.forget(key);
      if (current > expiresAt) expiresAt = current;
    }
    this.entries.set(key, expiresAt);
    this.evict();
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Removes every key `matches` accepts and returns them with their expiry (forgetting a user: a full scan, rare). */
  removeWhere(matches: (key: string) => boolean): Array<{ key: string; expiresAt: number }> {
    const removed: Array<{ key: string; expiresAt: number }> = [];
    for (const [key, expiresAt] of this.entries) if (matches(key)) removed.push({ key, expiresAt });
    for (const { key } of removed) this.entries.delete(key);
    return removed;
  }

  /** Every key with its expiry (tests and the forget scan). */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  private evict(): void {
    const now = this.now();
    // Drop a few expired keys from the front on every write, and the oldest key when full.
    for (let i = 0; i < 2; i++) {
      const first = this.oldest.peek();
      if (!first) return;
      if (first[1] <= now || this.entries.size > this.maxEntries) this.oldest.shift();
      else return;
    }
  }
}
