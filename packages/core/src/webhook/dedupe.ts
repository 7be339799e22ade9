import { createHash } from 'node:crypto';
import { MemoryKeyedExpiryStore } from '../window/window-store';
import type { InboundEvent } from './types';
import { storeUserId } from '../store/state-store';

/** Meta redelivers an unacknowledged webhook for up to 7 days. */
export const DEFAULT_DEDUPE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Where seen-event keys live. The memory store serves one process; a shared store (Redis:
 * `SET key 1 NX PX ttl`) lets several processes behind one webhook URL drop each other's duplicates.
 */
export interface DedupeStore {
  /**
   * Atomically marks `key` as seen for `ttlMs`. Resolves true when the key was not seen before
   * (the caller should process the event), false when it is a duplicate. `users`: the user ids the
   * event concerns (sender, recipient, BSUID), kept with the key so `forgetUser` can remove it.
   */
  markIfNew(key: string, ttlMs: number, users?: readonly string[], options?: MarkOptions): Promise<boolean>;
  /**
   * Confirms keys marked with `pending` once their events are handed on (a store that knows no
   * pending state, memory or Redis, has nothing to do).
   */
  acknowledge?(keys: readonly string[]): Promise<void>;
  /**
   * Forgets keys whose events could not be handed on (the receiver refused them after all):
   * Meta's redelivery is then handled, not dropped as a duplicate. A store that knows no pending
   * state (memory, Redis) marked them seen at once, so it deletes them.
   */
  release?(keys: readonly string[]): Promise<void>;
  /** Resolves once every mark made so far is durable (the embedded store's group commit). */
  flush?(): Promise<void>;
  /**
   * Delays the commit of marks until the returned function is called, so marks and their
   * acknowledgement share one commit (the embedded store; the others commit nothing in groups).
   */
  hold?(): () => void;
}

export interface MarkOptions {
  /**
   * Mark the key as in flight until {@link DedupeStore.acknowledge}: if this process dies first,
   * the key does not count as seen after the restart, so Meta's redelivery of an event that was
   * never handed on is handled (the embedded store; see README "Crash safety").
   */
  pending?: boolean;
}

export interface SettleOptions {
  /** Wait for the commit (false: the caller flushes, e.g. after releasing a hold). @default true */
  flush?: boolean;
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
  /** key → the users it concerns; pruned of keys the bounded store evicted as it grows. */
  private readonly users = new Map<string, string>();

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.store = new MemoryKeyedExpiryStore({ maxEntries: options.maxEntries ?? 100_000, now: this.now });
  }

  /** Keys currently held (expired keys may linger until evicted). */
  get size(): number {
    return this.store.size;
  }

  async markIfNew(key: string, ttlMs: number, users?: readonly string[]): Promise<boolean> {
    // Synchronous peek + put: no await between them, so two calls in one process cannot both win.
    if (this.store.peek(key) !== undefined) return false;
    this.store.put(key, this.now() + ttlMs);
    if (users?.length) {
      this.users.set(key, users.join(' '));
      if (this.users.size > 2 * this.store.size + 1024) for (const k of this.users.keys()) if (this.store.peek(k) === undefined) this.users.delete(k);
    }
    return true;
  }

  /** Whether `key` is marked and not expired. */
  has(key: string): boolean {
    return this.store.peek(key) !== undefined;
  }

  /**
   * Forgets keys whose events could not be handed on (the receiver failed to start them): Meta's
   * redelivery must be handled, not dropped as a duplicate. Keys here are seen as soon as marked,
   * so this is where a failed hand-over is undone.
   */
  async release(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await this.store.delete(key);
      this.users.delete(key);
    }
  }

  /** Removes the keys of events that concern any of `users` ({@link storeUserId} form); returns how many. */
  forgetUsers(users: readonly string[]): number {
    let removed = 0;
    for (const [key, owners] of this.users) {
      if (!owners.split(' ').some((owner) => users.includes(owner))) continue;
      this.users.delete(key);
      removed += this.store.removeWhere((k) => k === key).length;
    }
    return removed;
  }

  /** Whether any held key or owner contains `text` (tests of forgetting). */
  mentions(text: string): boolean {
    for (const key of this.store.keys()) if (key.includes(text)) return true;
    for (const owners of this.users.values()) if (owners.includes(text)) return true;
    return false;
  }
}

/** The user ids an event concerns, as store keys hold them (WhatsApp id digits, BSUIDs). */
export function eventUsers(event: InboundEvent): string[] {
  const ids: Array<string | undefined> = [];
  if (event.kind === 'message') ids.push(event.from, event.userId);
  else if (event.kind === 'status') ids.push(event.recipientId, event.userId);
  else if (event.kind === 'user_preferences') ids.push(event.waId, event.userId);
  return ids.filter((id): id is string => !!id).map(storeUserId);
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
  /**
   * Put in front of every key, so several receivers on one store each see every event once (an
   * n8n trigger per workflow). @default '' (one receiver per store)
   */
  scope?: string;
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
  private readonly scope: string;

  /** @param store where keys live. @default a {@link MemoryDedupeStore} */
  constructor(store: DedupeStore = new MemoryDedupeStore(), options: EventDeduplicatorOptions = {}) {
    this.store = store;
    this.ttlMs = options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS;
    this.scope = options.scope ? `${options.scope}|` : '';
  }

  private key(event: InboundEvent): string | undefined {
    const key = dedupeKey(event);
    return key === undefined ? undefined : this.scope + key;
  }

  /**
   * Returns only the events not seen before, in their original order. With `pending`, their keys
   * stay in flight until {@link acknowledge} (pass the returned events).
   */
  async filter(events: readonly InboundEvent[], options: MarkOptions = {}): Promise<InboundEvent[]> {
    const fresh: InboundEvent[] = [];
    for (const event of events) {
      const key = this.key(event);
      if (key === undefined || (await this.store.markIfNew(key, this.ttlMs, eventUsers(event), options))) fresh.push(event);
    }
    return fresh;
  }

  /** Forgets events returned by a `pending` {@link filter} that were not handed on: a redelivery of them is handled again. */
  async release(events: readonly InboundEvent[], options: SettleOptions = {}): Promise<void> {
    if (!this.store.release) return;
    const keys = events.map((event) => this.key(event)).filter((key): key is string => key !== undefined);
    if (keys.length) await this.store.release(keys);
    if (options.flush !== false) await this.store.flush?.();
  }

  /** Confirms events returned by a `pending` {@link filter}: from now on they count as seen, even after a crash. */
  async acknowledge(events: readonly InboundEvent[], options: SettleOptions = {}): Promise<void> {
    if (!this.store.acknowledge) return;
    const keys = events.map((event) => this.key(event)).filter((key): key is string => key !== undefined);
    if (keys.length) await this.store.acknowledge(keys);
    if (options.flush !== false) await this.store.flush?.();
  }
}
