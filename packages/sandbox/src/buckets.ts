/**
 * Token buckets for Meta's two send limits (api-facts §5).
 *
 * Throughput (130429): capacity = `throughput`, refilled continuously at `throughput` tokens per
 * second. For a sender pacing itself at a steady N msg/s this admits exactly what a sliding one-second
 * window would, but it does not punish network jitter: two requests that a client spaced 12.5 ms apart
 * and that arrive 1 ms apart still pass, because the bucket had refilled. A strict sliding window would
 * reject a correct client whenever the network bunched its requests, which Meta's own limiter does not
 * appear to do at these rates.
 *
 * Pair rate (131056): capacity = burst (45), one token back every `intervalMs` (6 s): Meta's
 * "1 message / 6 s, bursts up to 45 borrow future quota".
 */

/** A continuously refilled token bucket. */
export class TokenBucket {
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
