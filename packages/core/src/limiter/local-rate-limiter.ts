import { WhatsAppError } from '../errors/whatsapp-error';
import { CancellableSleeps } from './cancellable-sleeps';
import { AdaptivePace } from './adaptive-pace';
import type { Emission } from './emission-log';
import { EmissionQueue } from './emission-queue';
import { GcraPacer } from './gcra-pacer';
import { CATCH_UP_MS, PACED_WINDOW_MS, isThrottled, type PacingStatus } from './pacing';
import { DEFAULT_PAIR_RATE, DEFAULT_THROUGHPUT, type LimiterOptions, type RateLimiter } from './rate-limiter';

/** Thrown to tasks still waiting when the limiter (the client, the node) is stopped. */
export function limiterStoppedError(): WhatsAppError {
  return new WhatsAppError('The send was cancelled because the node or client was stopped before its turn came', {
    code: 'client_closed',
    category: 'unknown',
    retryable: true,
    hint: 'The message was not sent: send it again once the flow or workflow is running.',
  });
}

/** Checks a limiter setting early, so a typo fails with the field name instead of a stall. */
export function validateLimiterOptions(options: LimiterOptions): { throughput: number; pairRate: { burst: number; intervalMs: number } } {
  const throughput = options.throughput ?? DEFAULT_THROUGHPUT;
  const pairRate = options.pairRate ?? DEFAULT_PAIR_RATE;
  const fail = (field: string, rule: string) =>
    new WhatsAppError(`${field}: ${rule}`, { code: 'invalid_option', category: 'validation', hint: `Set ${field} to a valid value.` });
  if (!Number.isFinite(throughput) || throughput <= 0 || throughput > 10_000) throw fail('throughput', `${throughput} is not a rate between 1 and 10000 messages per second`);
  if (!Number.isInteger(pairRate.burst) || pairRate.burst < 1) throw fail('pairRate.burst', `${pairRate.burst} must be a whole number of at least 1`);
  if (!Number.isFinite(pairRate.intervalMs) || pairRate.intervalMs < 0) throw fail('pairRate.intervalMs', `${pairRate.intervalMs} must be 0 or more milliseconds`);
  return { throughput, pairRate };
}

/** Whether `factor` is a share of the throughput a slow-down may use: above 0, at most 1. */
export const isThroughputFactor = (factor: number): boolean => Number.isFinite(factor) && factor > 0 && factor <= 1;

/** Checks a throughput factor (quality-aware pacing): a share of the configured rate, above 0 and at most 1. */
export function validateThroughputFactor(factor: number): number {
  if (!isThroughputFactor(factor)) {
    throw new WhatsAppError(`throughput factor: ${factor} is not a share above 0 and at most 1`, {
      code: 'invalid_option',
      category: 'validation',
      hint: 'Use a factor such as 0.5 (half the throughput); 1 restores the full rate.',
    });
  }
  return factor;
}

/**
 * The in-process limiter. The number's sends wait in one {@link EmissionQueue}: starts are spaced
 * `PACED_WINDOW_MS / rate` apart and never more than the rate fall in any paced window (pacing.ts
 * explains the margin), so the emission holds under a token-bucket and a sliding-window reading of
 * "80 per second" alike. Before that, a GCRA pacer holds each recipient to its pair rate (45 at once,
 * then one per 6 s: Meta documents that burst, so it stays).
 *
 * A 130429 from Meta lowers the rate for the whole number (see {@link AdaptivePace}); it climbs back
 * once throttles stop. A send is planned when it reaches the head of the queue, not when it was
 * scheduled, so a slow-down applies to the sends already waiting.
 *
 * Why not bottleneck: measured on these 2-core machines, bottleneck spends 200–370 µs of CPU per job
 * and tops out near 400 jobs/s whatever its settings, so it cannot pace a 1,000 msg/s number.
 * Here a start costs a few array operations, and one timer serves the whole queue.
 */
export class LocalRateLimiter implements RateLimiter {
  readonly learnsFromThrottles = true;
  private readonly pairs: GcraPacer;
  private readonly throughput: number;
  private readonly queue: EmissionQueue;
  private readonly adaptive = new AdaptivePace();
  private readonly sleeps = new CancellableSleeps();
  private readonly now: () => number;
  private qualityFactor = 1;
  /** Theoretical start of the number's next send (GCRA without burst). */
  private tat = -Infinity;
  private stopped = false;

  constructor(options: LimiterOptions = {}, now: () => number = () => performance.now()) {
    const { throughput, pairRate } = validateLimiterOptions(options);
    this.throughput = throughput;
    this.now = now;
    this.pairs = new GcraPacer(pairRate, now);
    this.queue = new EmissionQueue(
      Math.max(1, Math.floor(throughput)),
      () => this.rate(this.now()),
      (at, resumed) => this.planStart(at, resumed),
      now,
    );
  }

  /** Spaces starts at `throughput × factor` per second from now on (the pair rate is Meta's and stays). */
  setThroughputFactor(factor: number): void {
    this.qualityFactor = validateThroughputFactor(factor);
    this.queue.kick();
  }

  async schedule<T>(recipient: string | undefined, task: (written: () => void) => Promise<T>): Promise<T> {
    if (this.stopped) throw limiterStoppedError();
    if (recipient) await this.sleep(this.pairs.reserve(recipient));
    if (this.stopped) throw limiterStoppedError();
    const { start, written } = this.queue.began(await this.queue.wait());
    let result: T;
    try {
      result = await task(written);
    } catch (error) {
      this.settle(start, error);
      throw error;
    }
    this.queue.log.settle(start, 'accepted', this.now());
    return result;
  }

  queued(): number {
    return this.sleeps.size + this.queue.size;
  }

  /** The configured and the current rate, and why they differ. */
  pacing(): PacingStatus {
    const adaptiveFactor = this.adaptive.factor(this.now());
    return {
      configuredPerSecond: this.throughput,
      effectivePerSecond: this.throughput * this.qualityFactor * adaptiveFactor,
      qualityFactor: this.qualityFactor,
      adaptiveFactor,
      ...(this.adaptive.lastThrottledAt !== undefined ? { lastThrottledAt: this.adaptive.lastThrottledAt } : {}),
    };
  }

  /** Tasks already running finish; tasks still waiting for their slot are rejected with `client_closed`. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sleeps.cancelAll(limiterStoppedError);
    this.queue.rejectAll(limiterStoppedError);
  }

  /** Starts per second allowed at `now`. */
  private rate(now: number): number {
    return this.throughput * this.qualityFactor * this.adaptive.factor(now);
  }

  private planStart(now: number, resumed: boolean): number {
    // After an idle spell the pacer starts afresh; while busy it makes up for a late timer, but only
    // CATCH_UP_MS of it (the emission log bounds the window whatever happens).
    this.tat = Math.max(this.tat, resumed ? now : now - CATCH_UP_MS);
    const due = this.tat;
    this.tat += PACED_WINDOW_MS / this.rate(now);
    return due;
  }

  /** A 130429 slows the whole number down to what Meta accepted in the second before that start. */
  private settle(start: Emission, error: unknown): void {
    if (!isThrottled(error)) {
      this.queue.log.settle(start, 'other');
      return;
    }
    const now = this.now();
    this.queue.log.settle(start, 'throttled', now);
    const base = this.throughput * this.qualityFactor;
    const measured = this.queue.log.measuredRate(start.at, this.queue.busySince);
    if (this.adaptive.throttled(start.at, measured === undefined ? Infinity : measured / base, now)) this.queue.kick();
  }

  private sleep(wait: number): Promise<void> {
    return this.stopped ? Promise.reject(limiterStoppedError()) : this.sleeps.sleep(wait);
  }
}
