import { ADAPT_QUIET_MS, decreasedFactor, nextQuiet, recoveredFactor } from './pacing';

/**
 * The in-process side of the adaptive slow-down (the Redis limiter keeps the same three numbers in a
 * hash and runs the same formulas in Lua; see pacing.ts for the rule).
 */
export class AdaptivePace {
  private factorAtDecrease = 1;
  private decreasedAt = -Infinity;
  private quietMs = ADAPT_QUIET_MS;
  /** Wall-clock time of the last decrease (for status lines). */
  lastThrottledAt: number | undefined;

  /** The factor at `now` (1 = the configured rate). */
  factor(now: number): number {
    return this.decreasedAt === -Infinity ? 1 : recoveredFactor(this.factorAtDecrease, this.decreasedAt, now, this.quietMs);
  }

  /**
   * A send started at `startedAt` was answered 130429; `measured` is the factor Meta's accepted rate
   * corresponds to (Infinity when unknown). Returns whether the factor went down (see
   * {@link decreasedFactor} for when it does not).
   */
  throttled(startedAt: number, measured: number, now: number): boolean {
    const current = this.factor(now);
    const lowered = decreasedFactor(current, measured, startedAt, this.decreasedAt);
    if (lowered === undefined) return false;
    this.quietMs = nextQuiet(this.quietMs, this.decreasedAt, current, now);
    this.factorAtDecrease = lowered;
    this.decreasedAt = now;
    this.lastThrottledAt = Date.now();
    return true;
  }
}
