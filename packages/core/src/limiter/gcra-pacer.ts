import type { PairRate } from './rate-limiter';

/**
 * Per-recipient pair rate with the generic cell rate algorithm (GCRA): a token bucket of `burst`
 * tokens refilled one per `intervalMs`, kept as one number per key (its "theoretical arrival time",
 * TAT). Reserving a slot is O(1) and needs no timer per key; slots are handed out in call order, so
 * concurrent sends keep their order. The Redis limiter runs the same algorithm in Lua. (The number's
 * own rate is paced by EmissionQueue: it must adapt to sends already waiting.)
 */
export class GcraPacer {
  private readonly tat = new Map<string, number>();
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly burst: number;
  private readonly now: () => number;
  private sweepAt = 0;

  constructor(rate: PairRate, now: () => number = Date.now) {
    this.burst = Math.max(1, rate.burst);
    this.interval = rate.intervalMs;
    this.tolerance = rate.intervalMs * (this.burst - 1);
    this.now = now;
  }

  /** Reserves the key's next slot; returns how long to wait for it (0 = now). */
  reserve(key: string): number {
    const now = this.now();
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const allowedAt = tat - this.tolerance;
    this.tat.set(key, tat + this.interval);
    this.sweep(now);
    return Math.max(0, allowedAt - now);
  }


  /** Keys currently tracked (a full bucket is forgotten). */
  get size(): number {
    return this.tat.size;
  }

  /** Forgets keys whose bucket is full again; at most once a minute, so reserve stays O(1) amortised. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [key, tat] of this.tat) if (tat <= now) this.tat.delete(key);
  }
}
