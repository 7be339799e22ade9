import { EmissionLog, type Emission } from './emission-log';
import { CATCH_UP_SPEED, COLD_START_MS, PACED_WINDOW_MS, WINDOW_MS } from './pacing';

interface Waiter {
  resolve: (emission: Emission) => void;
  reject: (error: Error) => void;
  /** When the start is due (the limiter's clock); undefined = ask `planHead` when it reaches the head. */
  due: number | undefined;
  /** Pushed into an idle queue: the pacer starts afresh instead of catching up. */
  resumed: boolean;
}

/**
 * The sends of one number waiting for their start, in arrival order, released by ONE timer (not a
 * timer per send). The head starts when it is due and the {@link EmissionLog} allows one more start
 * in the paced window, so however late a timer fires, no window ever holds more than `limit()` starts.
 *
 * A queue of arrays with a moving head: push and shift are O(1) amortised.
 */
export class EmissionQueue {
  readonly log: EmissionLog;
  private items: Array<Waiter | undefined> = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the number last got busy after more than a second without a start (for {@link EmissionLog.measuredRate}). */
  busySince = 0;
  private lastStartAt = -Infinity;
  /** When the last start was due by the rules (plan, log, catch-up speed), however late it really went. */
  private lastDue = -Infinity;

  /**
   * @param capacity the most starts `limit()` may ever return (the configured rate)
   * @param rate the number's rate right now (starts allowed per paced window, all processes)
   * @param planHead due time of a head pushed without one (the in-process pacer), called once per
   *   start; `resumed` when the queue was idle before this send came
   * @param now the clock
   * @param log the emission log; several queues of one number in one process share one, so that
   *   together they keep the limit (a new one by default)
   */
  constructor(
    capacity: number,
    private readonly rate: () => number,
    private readonly planHead: (now: number, resumed: boolean) => number,
    private readonly now: () => number,
    log?: EmissionLog,
  ) {
    this.log = log ?? new EmissionLog(capacity);
  }

  /** Sends waiting for their start. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Resolves with the start's log entry when the send may start. */
  wait(due?: number): Promise<Emission> {
    return new Promise<Emission>((resolve, reject) => {
      const resumed = this.size === 0 && this.timer === undefined;
      if (resumed && this.now() - this.lastStartAt > WINDOW_MS) this.busySince = this.now();
      this.items.push({ resolve, reject, due, resumed });
      if (this.size === 1) this.pump();
    });
  }

  /**
   * Stamps a released send with the time its task really began (see {@link EmissionLog.restamp}).
   * In the first second of a busy spell the stamp is {@link COLD_START_MS} later still: those
   * requests open new connections and run cold code, and were measured to reach the far side up to
   * ~26–45 ms later than the ones a second after them (more than the jitter margin).
   *
   * Returns the start and `written`, to call when the start's request was handed to the socket: the
   * stamp moves to then if that is later. Meta counts a send when it arrives; a request that waited
   * for a new connection, or for a busy event loop, leaves later than its task began, and the start
   * one window on must not count from the earlier time (measured: Node-RED under load, a stall's
   * catch-up burst written ~20–40 ms after its stamps, and the starts one window later answered
   * 130429 by a sliding-second reading).
   * `stamped` receives each later final stamp (the Redis limiter's shared start log).
   */
  began(emission: Emission, stamped?: (at: number) => void): { start: Emission; written: () => void } {
    const now = this.now();
    const offset = now - this.busySince < WINDOW_MS ? COLD_START_MS : 0;
    const start = this.log.restamp(emission, now + offset);
    let latest = start;
    let reported = -Infinity;
    // A later stamp only ever makes the window check stricter.
    const stampAt = (at: number): void => {
      latest = this.log.restamp(latest, at + offset);
      const final = Math.max(at + offset, latest.at);
      if (stamped && final > reported) {
        reported = final;
        stamped(final);
      }
    };
    // The request is written once the task's synchronous part and the microtasks queued before it
    // ran; on a busy event loop (a flow handling a burst of incoming requests) that is measurably
    // later. Stamp again then, in case the transport does not report the write.
    setImmediate(() => stampAt(this.now()));
    return { start, written: () => stampAt(this.now()) };
  }

  /** Rejects every waiting send with a fresh `error()`. */
  rejectAll(error: () => Error): void {
    this.clearTimer();
    const waiting = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    for (const waiter of waiting) waiter?.reject(error());
  }

  /** Re-plans the head (the rate changed). */
  kick(): void {
    if (this.size > 0) this.pump();
  }

  private pump = (): void => {
    this.clearTimer();
    const now = this.now();
    while (this.head < this.items.length) {
      const waiter = this.items[this.head]!;
      waiter.due ??= this.planHead(now, waiter.resumed);
      const rate = this.rate();
      // Rounded up: a reduced rate of 38.8/s allows 39 per window; the spacing keeps it at 38.8.
      // Due once planned, once the start a window's worth earlier has left the paced window, and
      // not sooner after the previous one than the catch-up speed allows (pacing.ts CATCH_UP_SPEED).
      // Times by these rules, not the time of release: a late timer releases every start due by
      // then at once (the next one's due time must not move to now + the catch-up gap).
      const due = Math.max(waiter.due, this.log.allowedAt(Math.ceil(rate - 1e-9)), this.lastDue + PACED_WINDOW_MS / rate / CATCH_UP_SPEED);
      const wait = due - now;
      if (wait > 1e-3) {
        this.arm(wait);
        return;
      }
      this.items[this.head++] = undefined;
      this.lastStartAt = now;
      this.lastDue = due;
      waiter.resolve(this.log.record(now, rate));
    }
    this.items = [];
    this.head = 0;
  };

  private arm(wait: number): void {
    // setTimeout rounds down to whole ms; rounding up keeps starts at or after their time.
    this.timer = setTimeout(this.pump, Math.ceil(wait));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
