/**
 * This process's clock (performance.now) mapped onto Redis TIME, the one clock of the limiter's
 * scripts. Each script call gives a sample: Redis ran it after the call left, so
 * `redisNow − sentAt` is the offset plus that call's way there. The smallest sample is the tightest
 * estimate, and never below the true offset: a local time mapped with it is never earlier in Redis
 * time than it really was (a start reported late is stricter, never laxer), and a Redis time mapped
 * back is early by at most the fastest way there (a fraction of a ms on a local network), however
 * slow a single reply was. The minimum is kept over the last 5–10 s, so a wall clock that NTP slews
 * under Redis moves the estimate along.
 */
export class RedisClock {
  private current = Infinity;
  private previous = Infinity;
  private rotatedAt = -Infinity;

  /** Records one script call: sent at local `sentAt`, ran at Redis time `redisNow`. */
  sample(sentAt: number, redisNow: number): void {
    if (sentAt - this.rotatedAt > 5000) {
      this.previous = this.current;
      this.current = Infinity;
      this.rotatedAt = sentAt;
    }
    this.current = Math.min(this.current, redisNow - sentAt);
  }

  /** Whether a sample was taken. */
  get known(): boolean {
    return this.offset !== Infinity;
  }

  /** Redis time of the local time `at`. */
  toRedis(at: number): number {
    return at + this.offset;
  }

  /** Local time of the Redis time `at`. */
  toLocal(at: number): number {
    return at - this.offset;
  }

  private get offset(): number {
    return Math.min(this.current, this.previous);
  }
}
