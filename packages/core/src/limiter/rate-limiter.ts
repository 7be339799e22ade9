import type { PacingStatus } from './pacing';

/**
 * Paces sends for one business phone number: a per-number throughput (messages per second) and a
 * per-recipient pair rate. Call sites only ever use this interface, so a Redis-backed limiter
 * shared by many processes replaces the in-process one without touching them.
 */
export interface RateLimiter {
  /**
   * Runs `task` when both the number's budget and `recipient`'s pair budget allow it. Tasks for
   * different recipients run concurrently up to the throughput. Without a recipient (mark as read)
   * only the throughput applies.
   *
   * `task` receives `written`: the task calls it once its request's bytes were handed to the socket
   * (the transport's `onWritten`). Meta counts a send when it arrives, so the limiter counts the start
   * from then if that is later than when the task began (a request that waited for a new connection
   * or a busy event loop). A task that does not call it is counted from when it began.
   */
  schedule<T>(recipient: string | undefined, task: (written: () => void) => Promise<T>): Promise<T>;
  /** Tasks waiting for a slot (for a "queued" status). */
  queued(): number;
  /** Stops timers; pending tasks are rejected with a clear error. */
  stop(): Promise<void>;
  /**
   * Scales the number's throughput by `factor` (0 < factor ≤ 1; 1 restores the configured rate).
   * The quality guard lowers it while the number's quality rating is YELLOW or RED. Optional, so a
   * custom limiter without it still works (it then keeps its rate).
   */
  setThroughputFactor?(factor: number): void;
  /**
   * The configured and the current rate (after the quality guard and Meta's 130429 answers), for a
   * status line or a log. Optional for custom limiters.
   */
  pacing?(): PacingStatus;
  /**
   * True when the limiter slows the number down by itself after a 130429 (then the client retries a
   * throttled send without a backoff of its own: the limiter's pacing is the backoff).
   */
  readonly learnsFromThrottles?: boolean;
}

export interface PairRate {
  /** Messages a recipient may receive at once before pacing starts. @default 45 */
  burst: number;
  /** One more message per this many ms afterwards. @default 6000 */
  intervalMs: number;
}

export interface LimiterOptions {
  /** Messages per second for the phone number (80 default; 20 or 1000 on some numbers). @default 80 */
  throughput?: number;
  /** Pacing per recipient. @default { burst: 45, intervalMs: 6000 } */
  pairRate?: PairRate;
}

export const DEFAULT_THROUGHPUT = 80;
export const DEFAULT_PAIR_RATE: Readonly<PairRate> = Object.freeze({ burst: 45, intervalMs: 6000 });
