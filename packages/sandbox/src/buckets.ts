/**
 * Meta's two send limits (api-facts §5).
 *
 * Throughput (130429): Meta does not say how it measures "N messages per second", so the sandbox
 * offers two readings (`throughputMode`):
 * - `bucket` (default): a token bucket of capacity `throughput`, refilled continuously at `throughput`
 *   per second. It forgives network jitter and lets a full second's worth go at once after a pause.
 * - `sliding`: at most `throughput` accepted sends in ANY sliding second (arrival times). The stricter
 *   reading: a first-second burst or two requests that the network bunched are refused. A sender that
 *   passes this passes the bucket too.
 * Only accepted sends count (a refused one costs no quota) in both.
 *
 * Pair rate (131056): capacity = burst (45), one token back every `intervalMs` (6 s): Meta's
 * "1 message / 6 s, bursts up to 45 borrow future quota".
 */

/** What the messages route needs from a throughput limit. */
export interface ThroughputLimit {
  /** Whether one more send may be accepted right now. */
  canTake(): boolean;
  /** Counts an accepted send; call only after {@link canTake} returned true. */
  take(): void;
}

/** The two readings of the throughput (see the module comment). */
export type ThroughputMode = 'bucket' | 'sliding';
export const THROUGHPUT_MODES: readonly ThroughputMode[] = ['bucket', 'sliding'];

/**
 * At most `limit` takes in any window of `windowMs` (half-open: takes exactly `windowMs` apart are in
 * different windows). A ring of the last `limit` take times: O(1) per send.
 */
export class SlidingWindowLimit implements ThroughputLimit {
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;

  /**
   * @param now the clock a request is checked at
   * @param stamp the time an accepted request is recorded at (default `now`; an {@link ArrivalClock}'s
   *   earliest plausible arrival, so a refusal needs N + 1 arrivals certainly within one window)
   */
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly stamp: () => number = now,
  ) {
    this.times = new Float64Array(Math.max(1, Math.floor(limit)));
  }

  canTake(): boolean {
    if (this.limit < 1) return false;
    if (this.count < this.times.length) return true;
    // The oldest of the last `limit` takes must have left the window.
    return this.times[this.next]! <= this.now() - this.windowMs;
  }

  take(): void {
    this.times[this.next] = this.stamp();
    this.next = (this.next + 1) % this.times.length;
    if (this.count < this.times.length) this.count++;
  }
}

/**
 * The earliest time a request being handled now can have arrived, on the real clock: the heartbeat
 * (1 ms) of the turn BEFORE the last one. A request read now was not there when the loop last
 * polled for I/O, which came after that heartbeat; the last heartbeat itself is no bound, since a
 * request that arrived while the previous turn was busy is read only after it, so stamping it there
 * could put it later than it arrived (and a correct sender's next second would look crowded, as
 * when the process that hosts the sandbox is busy with a test's own HTTP calls). Without a stall that is 1–2 ms ago; after the sandbox's own event loop
 * stalled, every request read at the end of the stall may have arrived at its start. Stamping
 * arrivals this way gives a correct sender the benefit of the sandbox's own measurement error
 * (requests that arrived evenly are not turned into a burst by a stall here), while a sender that
 * really sends N + 1 within a second (by more than those 1–2 ms) is still refused.
 */
export class ArrivalClock {
  private previousTurn = ArrivalClock.now();
  private lastTurn = this.previousTurn;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      this.previousTurn = this.lastTurn;
      this.lastTurn = ArrivalClock.now();
    }, 1);
    this.timer.unref();
  }

  static now(): number {
    return performance.timeOrigin + performance.now();
  }

  /** Earliest plausible arrival of the request being handled now. */
  readonly earliest = (): number => this.previousTurn;

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A continuously refilled token bucket. */
export class TokenBucket implements ThroughputLimit {
  private tokens: number;
  private last: number;

  /**
   * @param capacity maximum tokens (the burst)
   * @param refillPerMs tokens regained per millisecond
   * @param now clock in ms
   */
  constructor(
    private readonly capacity: number,
    private readonly refillPerMs: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs);
  }

  /** Whether one token is available right now (without taking it). */
  canTake(): boolean {
    this.refill();
    // A tiny epsilon so float drift never turns a full refill into 0.9999999 tokens.
    return this.tokens >= 1 - 1e-9;
  }

  /** Takes one token; call only after {@link canTake} returned true. */
  take(): void {
    this.refill();
    this.tokens -= 1;
  }
}

/** One bucket per key (e.g. per recipient), created full on first use. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerMs: number,
    private readonly now: () => number,
  ) {}

  /** The bucket of `key`. */
  get(key: string): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.capacity, this.refillPerMs, this.now);
      this.buckets.set(key, b);
    }
    return b;
  }
}
