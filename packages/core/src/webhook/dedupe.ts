import { createHash } from 'node:crypto';
import { MemoryKeyedExpiryStore } from '../window/window-store';
import type { InboundEvent } from './types';

/** Meta redelivers an unacknowledged webhook for up to 7 days. */
export const DEFAULT_DEDUPE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Where seen-event keys live. The memory store serves one process; a shared store (Redis:
 * `SET key 1 NX PX ttl`) lets several processes behind one webhook URL drop each other's duplicates.
 */
export interface DedupeStore {
  /**
   * Atomically marks `key` as seen for `ttlMs`. Resolves true when the key was not seen before
   * (the caller should process the event), false when it is a duplicate.
   */
  markIfNew(key: string, ttlMs: number): Promise<boolean>;
}

export interface MemoryDedupeStoreOptions {
  /** Most keys kept; the oldest are evicted first. @default 100_000 */
  maxEntries?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Bounded, expiring in-memory {@link DedupeStore} (one process). */
export class MemoryDedupeStore implements DedupeStore {
  private readonly store: MemoryKeyedExpiryStore;
  private readonly now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.store = new MemoryKeyedExpiryStore({ maxEntries: options.maxEntries ?? 100_000, now: this.now });
  }

  /** Keys currently held (expired keys may linger until evicted). */
  get size(): number {
    return this.store.size;
  }

  async markIfNew(key: string, ttlMs: number): Promise<boolean> {
    // Synchronous peek + put: no await between them, so two calls in one process cannot both win.
    if (this.store.peek(key) !== undefined) return false;
    this.store.put(key, this.now() + ttlMs);
    return true;
  }
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('base64url');
}

/**
 * The dedupe key of an event, or undefined when the event cannot be told apart from a legitimate
 * repeat. Messages: their wamid. Statuses: wamid + status (a message gets sent, delivered, read).
 * Other events: a hash of field, account and item, plus the time Meta stamped on it; value-level
 * errors and untimed unknown changes carry no id or time, so two real occurrences would look
 * identical and they are never dropped.
 */
export function dedupeKey(event: InboundEvent): string | undefined {
  switch (event.kind) {
    case 'message':
      return event.messageId ? `m:${event.phoneNumberId}:${event.messageId}` : undefined;
    case 'status':
      return event.messageId ? `s:${event.phoneNumberId}:${event.messageId}:${event.status}` : undefined;
    case 'error':
      return undefined;
    case 'user_preferences':
      return event.timestamp ? `p:${hash([event.field, event.wabaId, event.phoneNumberId, event.raw])}` : undefined;
    default: {
      const time = 'entryTime' in event && event.entryTime ? event.entryTime.getTime() : undefined;
      return time === undefined ? undefined : `e:${hash([event.field, event.wabaId, time, event.raw])}`;
    }
  }
}

export interface EventDeduplicatorOptions {
  /** How long a key is remembered. @default DEFAULT_DEDUPE_TTL_MS (7 days) */
  ttlMs?: number;
}

/**
 * Drops events Meta already delivered (it retries for up to 7 days and sends to every app
 * subscribed to the WABA). A key is marked when `filter` returns the event, so a redelivery that
 * arrives while the first is still being processed is dropped too.
 *
 * @example
 * const dedupe = new EventDeduplicator();
 * const fresh = await dedupe.filter(parseWebhook(rawBody));
 */
export class EventDeduplicator {
  readonly store: DedupeStore;
  readonly ttlMs: number;

  /** @param store where keys live. @default a {@link MemoryDedupeStore} */
  constructor(store: DedupeStore = new MemoryDedupeStore(), options: EventDeduplicatorOptions = {}) {
    this.store = store;
    this.ttlMs = options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS;
  }

  /** Returns only the events not seen before, in their original order. */
  async filter(events: readonly InboundEvent[]): Promise<InboundEvent[]> {
    const fresh: InboundEvent[] = [];
    for (const event of events) {
      const key = dedupeKey(event);
      if (key === undefined || (await this.store.markIfNew(key, this.ttlMs))) fresh.push(event);
    }
    return fresh;
  }
}
