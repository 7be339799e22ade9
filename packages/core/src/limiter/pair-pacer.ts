import type { PairRate } from './rate-limiter';

/**
 * Per-recipient pacing with the generic cell rate algorithm (GCRA): a token bucket of `burst`
 * tokens refilled one per `intervalMs`, kept as one number per recipient (its "theoretical arrival
 * time"). It needs no timer per recipient, unlike a bottleneck reservoir, and reserves slots in
 * call order, so concurrent sends to one user keep their order.
 */
export class PairPacer {
  private readonly tat = new Map<string, number>();
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly now: () => number;
  private sweepAt = 0;

  constructor(rate: PairRate, now: () => number = Date.now) {
    this.interval = rate.intervalMs;
    this.tolerance = rate.intervalMs * Math.max(0, rate.burst - 1);
    this.now = now;
  }

  /** Reserves the recipient's next slot; returns how long to wait for it (0 = now). */
  reserve(recipient: string): number {
    const now = this.now();
    const tat = Math.max(this.tat.get(recipient) ?? now, now);
    const allowedAt = tat - this.tolerance;
    this.tat.set(recipient, tat + this.interval);
    this.sweep(now);
    return Math.max(0, allowedAt - now);
  }

  /** Recipients currently tracked (a full bucket is forgotten). */
  get size(): number {
    return this.tat.size;
  }

  /** Forgets recipients whose bucket is full again; at most once a minute, so reserve stays O(1) amortised. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [recipient, tat] of this.tat) if (tat <= now) this.tat.delete(recipient);
  }
}
