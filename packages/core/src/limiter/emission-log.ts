import { JITTER_MARGIN_MS, PACED_WINDOW_MS, WINDOW_MS } from './pacing';

const PENDING = 0;
const ACCEPTED = 1;
const THROTTLED = 2;
const OTHER = 3;

/** What became of a start (its index in the log plus the time it was stamped with). */
export interface Emission {
  readonly index: number;
  /** Which start in that slot of the ring (slots are reused). */
  readonly seq: number;
  /** When it started, as first stamped. */
  readonly at: number;
}

/**
 * The last `capacity` starts of one process with their outcomes, in two typed rings (O(1) per send,
 * no allocation). Two uses:
 * - {@link waitFor}: how long until one more start keeps at most `limit` starts in any
 *   {@link PACED_WINDOW_MS} (the limiter's hard guarantee, whatever the timers did);
 * - {@link measuredRate}: after a 130429, what Meta accepted in the second before the throttled start.
 */
export class EmissionLog {
  private readonly times: Float64Array;
  private readonly outcomes: Uint8Array;
  /** The number's rate (starts per second, all processes) when each start was released. */
  private readonly rates: Float32Array;
  private readonly seqs: Float64Array;
  private seq = 0;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.times = new Float64Array(Math.max(1, capacity));
    this.outcomes = new Uint8Array(Math.max(1, capacity));
    this.rates = new Float32Array(Math.max(1, capacity));
    this.seqs = new Float64Array(Math.max(1, capacity));
  }

  /** ms until a start keeps at most `limit` (≤ capacity) in any paced window; 0 = now. */
  waitFor(limit: number, now: number): number {
    const wait = this.allowedAt(limit) - now;
    // Sub-microsecond float drift from summed intervals is not a reason to sleep another ms.
    return wait > 1e-3 ? wait : 0;
  }

  /** The earliest time a start keeps at most `limit` (≤ capacity) in any paced window (-Infinity: any). */
  allowedAt(limit: number): number {
    const n = Math.min(Math.max(1, limit), this.times.length);
    if (this.count < n) return -Infinity;
    return this.times[(this.next - n + this.times.length) % this.times.length]! + PACED_WINDOW_MS;
  }

  /** Stamps a start at `now`, released while the number's rate was `ratePerSecond`. */
  record(now: number, ratePerSecond: number): Emission {
    const index = this.next;
    this.times[index] = now;
    this.rates[index] = ratePerSecond;
    const seq = ++this.seq;
    this.seqs[index] = seq;
    this.outcomes[index] = PENDING;
    this.next = (index + 1) % this.times.length;
    if (this.count < this.times.length) this.count++;
    return { index, seq, at: now };
  }

  /**
   * Moves a start's stamp later: to when its task really began (a later microtask than the release: a
   * burst released in one go begins a little later, and a blocked event loop can make that a lot
   * later), then to when its request was written (EmissionQueue.began). Never earlier.
   *
   * A later stamp may put a start after the next one (a request that waited for a new connection
   * while the next reused a free one), and {@link allowedAt} reads only the start `limit` back. That
   * still bounds every window, because starts are released in order and each no sooner than the
   * previous one was due: the start `limit` after this one waited for this stamp, and every later one
   * is due after it. Only a stamp moved after that start was already released is missed: a write more
   * than a window late, or one whose ring slot was reused meanwhile (ignored here).
   */
  restamp(emission: Emission, now: number): Emission {
    if (this.seqs[emission.index] !== emission.seq || now <= this.times[emission.index]!) return emission;
    this.times[emission.index] = now;
    return { index: emission.index, seq: emission.seq, at: now };
  }

  /**
   * Records how the start ended (ignored once the ring has moved past it). `answeredAt`: when Meta's
   * answer came back, for an accepted or throttled start. The request reached Meta before its answer
   * left, so a stamp pushed later than that (the cold start of a busy spell) comes back to it, plus
   * the jitter margin (the far side's reading of an arrival may itself be off by that much: measured
   * with the sandbox's clock on a busy process). On a fast network the first second's allowance then
   * costs ~25 ms instead of 50.
   */
  settle(emission: Emission, outcome: 'accepted' | 'throttled' | 'other', answeredAt?: number): void {
    if (this.seqs[emission.index] !== emission.seq) return;
    this.outcomes[emission.index] = outcome === 'accepted' ? ACCEPTED : outcome === 'throttled' ? THROTTLED : OTHER;
    const bound = answeredAt === undefined ? Infinity : answeredAt + JITTER_MARGIN_MS;
    if (outcome !== 'other' && bound < this.times[emission.index]!) this.times[emission.index] = bound;
  }

  /**
   * What Meta accepted in the second before the throttled start at `at` (from `busySince` if the
   * number was idle before): under a sliding-window limit, exactly what Meta allows. In one process
   * that is the count of this process's accepted starts. With several processes on one Redis budget
   * each sees its share: the count is scaled by (starts the number made in that span, from the rates
   * in force) ÷ (starts this process made). Returns undefined when nothing settled.
   */
  measuredRate(at: number, busySince: number): number | undefined {
    const from = Math.max(at - WINDOW_MS, busySince);
    let accepted = 0;
    let settled = 0;
    let own = 0;
    let rateSum = 0;
    for (let k = 1; k <= this.count; k++) {
      const i = (this.next - k + this.times.length) % this.times.length;
      const t = this.times[i]!;
      if (t >= at) continue;
      if (t < from) break;
      own++;
      rateSum += this.rates[i]!;
      const o = this.outcomes[i];
      if (o === ACCEPTED) accepted++;
      if (o === ACCEPTED || o === THROTTLED) settled++;
    }
    if (settled === 0) return undefined;
    const numberStarts = ((rateSum / own) * (at - from)) / PACED_WINDOW_MS;
    // Scale up only: a process that was not busy all along must not read its gaps as Meta's refusals.
    return (accepted / settled) * own * Math.max(1, numberStarts / own);
  }
}
