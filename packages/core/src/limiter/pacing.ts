/**
 * The numbers behind "N messages per second", shared by the in-process and the Redis limiter (the
 * Redis script receives them as arguments), so both pace by one definition.
 *
 * Meta does not say how it measures a number's throughput. Two readings are equally plausible: a
 * token bucket holding one second's worth, or "at most N in ANY sliding second". The second is the
 * stricter one: a sender that satisfies it satisfies the bucket too. So the limiter never lets N + 1
 * sends start within any window of {@link PACED_WINDOW_MS}:
 * - starts are spaced `PACED_WINDOW_MS / N` apart (GCRA without burst), and
 * - an emission log refuses a start while the N-th previous start is younger than the window
 *   (timer lateness or a stalled event loop then costs a little time instead of a burst).
 *
 * Why a margin: we stamp a start when the request is written to the socket (EmissionQueue.began),
 * Meta counts it when it arrives. Two sends a
 * second apart whose network delays differ by d arrive `1000 - d` ms apart, and then N + 1 arrive
 * within one second. {@link JITTER_MARGIN_MS} absorbs up to that much difference in delay (and in
 * Redis reply times between processes). It costs `1 - 1000 / 1020` = 2 % of the cap: 80/s is sent
 * at 78.4/s, 1,000/s at 980/s (timer lateness costs another ~0.2 %, measured).
 */

/** Meta's throughput window. */
export const WINDOW_MS = 1000;
/** Headroom per window for network jitter between the send and Meta's count (see the module comment). */
export const JITTER_MARGIN_MS = 20;
/** The window the limiter enforces: no more than the rate within any span this long. */
export const PACED_WINDOW_MS = WINDOW_MS + JITTER_MARGIN_MS;
/**
 * Extra delay assumed for the starts of the first second of a busy spell (new connections, cold
 * code): they count as started this much later, so the sends a second after them wait for it; once
 * Meta has answered, a start counts from the answer plus the jitter margin if that came sooner (the
 * request had arrived by then). So it costs at most this much once per busy spell, and on a fast
 * network about half of it (120 sends at 80/s into the sliding sandbox: 0.97 of the cap instead of
 * 0.95, zero 130429).
 */
export const COLD_START_MS = 50;
/**
 * Longest catch-up after a late timer: starts missed by more than this are not made up. One window:
 * a stalled event loop (or a process the machine did not schedule for a while) is followed by the
 * sends it missed, but never by more than the rate in a paced window (the emission log refuses
 * them), so the sliding-second guarantee holds whatever the stall. Measured: with a 50 ms allowance
 * one 900 ms stall on a loaded machine cost a 240-send run a tenth of its rate.
 */
export const CATCH_UP_MS = WINDOW_MS;
/**
 * The fastest the pacer makes up for lost time, as a multiple of the rate: two starts are never
 * planned closer than `interval / CATCH_UP_SPEED` (a process that stalled still starts what it held
 * at once, but that burst is not repeated a window later: the starts one window on, each held back
 * by its own predecessor in the burst, go out this far apart). The emission log alone keeps every
 * window at the limit, but a burst is where the limiter's stamps are least exact (requests queued
 * behind each other on a busy sender reach Meta later than they were stamped), and repeating it
 * every window put 2 % of a 4-process run at 130429 on a loaded machine.
 */
export const CATCH_UP_SPEED = 2;

/**
 * Adaptive slow-down after Meta answers 130429 (AIMD: multiplicative decrease, additive increase).
 * A throttled send lowers the number's factor to what Meta accepted just before it
 * (EmissionLog.measuredRate), or by the step {@link ADAPT_DECREASE} when the measurement does not
 * explain the throttle (see {@link decreasedFactor}). Only sends started after the last decrease
 * count, so the answers to sends already in flight do not lower it again. After
 * {@link ADAPT_QUIET_MS} without a new decrease the factor climbs back by {@link ADAPT_RECOVERY_PER_S}
 * per second until it reaches 1 (the configured rate). Kept as (factor at the decrease, time of the
 * decrease, quiet time), so recovery needs no timer:
 * `factor(now) = min(1, f + rate × max(0, now − t − quiet))`.
 *
 * A throttle while the factor is climbing back means the climb went past what Meta allows: the quiet
 * time before the next climb doubles (up to {@link ADAPT_QUIET_MAX_MS}), so a number held below its
 * configured rate for good probes less and less often ({@link nextQuiet}). Measured against a cap of
 * 60 with the node set to 80: every probe past 60 cost a few 130429 (the answers to the sends in
 * flight, and the sliding second still full of the climb's sends), and with a fixed 5 s quiet that
 * put 2.2 % of a 30 s run's sends at 130429.
 */
export const ADAPT_DECREASE = 0.98;
/** Quiet time after a decrease before the rate climbs again (the first time; see {@link nextQuiet}). */
export const ADAPT_QUIET_MS = 5000;
/** The longest quiet time after repeated throttles while climbing back. */
export const ADAPT_QUIET_MAX_MS = 60_000;
/** Share of the configured rate regained per second once quiet. */
export const ADAPT_RECOVERY_PER_S = 0.05;
/** The factor never falls below this (a flood of 130429 must not stop the number). */
export const ADAPT_MIN_FACTOR = 0.05;

/** The Graph error code of "the number's throughput was exceeded". */
export const THROTTLED_CODE = 130429;

/** Whether `error` is Meta's 130429 answer (duck-typed: core may be loaded twice). */
export function isThrottled(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { graphCode?: unknown }).graphCode === THROTTLED_CODE;
}

/** The adaptive factor at `now` given the last decrease and its quiet time (see {@link ADAPT_DECREASE}). */
export function recoveredFactor(factorAtDecrease: number, decreasedAt: number, now: number, quietMs = ADAPT_QUIET_MS): number {
  return Math.min(1, factorAtDecrease + (ADAPT_RECOVERY_PER_S * Math.max(0, now - decreasedAt - quietMs)) / 1000);
}

/**
 * The quiet time of a decrease at `now`, given the previous one (`quietMs` after a decrease at
 * `decreasedAt`, the factor being `current` now): doubled when the factor was climbing back (past
 * its quiet time, not yet at 1), else {@link ADAPT_QUIET_MS}.
 */
export function nextQuiet(quietMs: number, decreasedAt: number, current: number, now: number): number {
  const climbing = current < 1 && now > decreasedAt + quietMs;
  if (climbing) return Math.min(ADAPT_QUIET_MAX_MS, quietMs * 2);
  return current < 1 ? quietMs : ADAPT_QUIET_MS;
}

/**
 * The factor after a throttle of a send started at `startedAt`, or undefined to leave it:
 * - started before the last decrease: its answer was already acted on;
 * - Meta accepted less than the number sends (`measured`, as a factor, below what the current
 *   factor emits, margin included): down to that;
 * - otherwise the measurement does not explain it: within a window after the last decrease, Meta's
 *   window still held sends of the old rate, so left alone; later, one small step of
 *   {@link ADAPT_DECREASE} (network jitter beyond the margin widens the margin a little; a token
 *   bucket that just ran dry shows its saved-up sends in the measurement until a second later).
 */
export function decreasedFactor(current: number, measured: number, startedAt: number, decreasedAt: number): number | undefined {
  if (startedAt <= decreasedAt) return undefined;
  const emitted = (current * WINDOW_MS) / PACED_WINDOW_MS;
  if (measured < emitted * 0.99) return Math.max(ADAPT_MIN_FACTOR, measured);
  if (startedAt < decreasedAt + PACED_WINDOW_MS) return undefined;
  return Math.max(ADAPT_MIN_FACTOR, current * ADAPT_DECREASE);
}

/** How the number is paced right now (for a status line or a log). */
export interface PacingStatus {
  /** The configured throughput, messages per second. */
  configuredPerSecond: number;
  /**
   * The rate sends may start at now: configured × quality factor × adaptive factor. Starts leave the
   * jitter margin below it ({@link PACED_WINDOW_MS}).
   */
  effectivePerSecond: number;
  /** Share of the configured rate the quality guard allows (1 = all). */
  qualityFactor: number;
  /** Share left after Meta's 130429 answers (1 = none recently). */
  adaptiveFactor: number;
  /** When Meta last throttled a send started after the previous slow-down (ms since epoch), if ever. */
  lastThrottledAt?: number;
}

/**
 * The pacing to show next to a send result or in a status line, or undefined while the number
 * sends at its configured rate (adapters add it to outputs only then, so a normal result is
 * unchanged).
 */
export function slowedDown(status: PacingStatus | undefined): (PacingStatus & { summary: string }) | undefined {
  if (!status || status.effectivePerSecond >= status.configuredPerSecond * (1 - 1e-9)) return undefined;
  const why = status.adaptiveFactor < 1 ? 'Meta answered 130429' : 'quality rating';
  const effective = Math.round(status.effectivePerSecond * 10) / 10;
  return { ...status, summary: `${effective}/s of ${status.configuredPerSecond}/s (${why})` };
}
