/**
 * The waits of a limiter's sends, kept so that stopping the limiter can reject them at once
 * (a waiting send then fails with `client_closed` instead of vanishing or going out late).
 */
export class CancellableSleeps {
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; reject: (error: Error) => void }>();

  /** Sends currently waiting. */
  get size(): number {
    return this.sleeping.size;
  }

  /** Resolves after `ms`; rejects if {@link cancelAll} comes first. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper = {
        // setTimeout rounds down to whole ms; rounding up keeps starts at or after the slot.
        timer: setTimeout(() => {
          this.sleeping.delete(sleeper);
          resolve();
        }, Math.ceil(ms)),
        reject,
      };
      this.sleeping.add(sleeper);
    });
  }

  /** Rejects every waiting sleep with a fresh `error()`. */
  cancelAll(error: () => Error): void {
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.reject(error());
    }
    this.sleeping.clear();
  }
}
