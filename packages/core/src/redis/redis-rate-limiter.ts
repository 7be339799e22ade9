import { WhatsAppError } from '../errors/whatsapp-error';
import { CancellableSleeps } from '../limiter/cancellable-sleeps';
import { LocalRateLimiter, limiterStoppedError, validateLimiterOptions, validateThroughputFactor } from '../limiter/local-rate-limiter';
import type { LimiterOptions, RateLimiter } from '../limiter/rate-limiter';
import { windowKey } from '../window/window-tracker';
import { RedisConnection, redisScript, type RedisOptions } from './connection';

/**
 * GCRA (generic cell rate algorithm) reservation, run atomically by Redis so every process sees
 * one budget. Each key holds a "theoretical arrival time" (TAT, epoch ms): the slot reserved by
 * this call starts at max(TAT, now) - tolerance, and TAT moves on by one interval. That is a
 * token bucket of (tolerance / interval + 1) tokens kept as one number, the same algorithm as the
 * in-process GcraPacer.
 *
 * Why GCRA and not a fixed window (rate-limiter-flexible's RateLimiterRedis counts points per
 * window): a window of 80 per second lets 80 go at the end of one window and 80 more at the start
 * of the next, 160 within a few ms, which Meta (and the sandbox's token bucket) answers with
 * 130429. GCRA spaces starts one interval apart, whichever process asks, and a reservation is a
 * promise of a future start, so callers queue in Redis-time order without polling.
 *
 * Redis `TIME` is the only clock: processes on different hosts disagree by more than the 12.5 ms
 * between two slots at 80/s. (Redis 7 replicates script effects, so TIME in a writing script is
 * allowed; replicate_commands makes the same true on Redis 3.2 to 6.)
 *
 * The pair slot is reserved first. Only when the recipient may go now is the number slot reserved
 * too; otherwise the caller sleeps out the pair wait and calls again for the number slot alone,
 * so a recipient held back for seconds does not hold a number slot (which would leave it unused).
 *
 * KEYS[1] number key, KEYS[2] pair key (optional)
 * ARGV: number interval, number tolerance, pair interval, pair tolerance (ms)
 * Returns { pairWait, numberWait } in ms as strings (fractions survive); numberWait -1 = not reserved.
 */
const GCRA_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000

local function reserve(key, interval, tolerance)
  local tat = tonumber(redis.call('GET', key))
  if tat == nil or tat < now then tat = now end
  local wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  local nextTat = tat + interval
  -- The key lives until its bucket is full again: from then on a missing key means the same.
  redis.call('SET', key, string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
  return wait
end

local pairWait = 0
if #KEYS > 1 then
  pairWait = reserve(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
  if pairWait > 0 then
    return { string.format('%.3f', pairWait), '-1' }
  end
end
local numberWait = reserve(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
return { '0', string.format('%.3f', numberWait) }
`);

/** Settings of a {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions extends LimiterOptions {
  /** The business phone number whose budget this limiter shares (part of the keys). */
  phoneNumberId: string;
}

/**
 * A {@link RateLimiter} whose budget lives in Redis, so every process that sends from one phone
 * number with the same key prefix shares one throughput and one pair rate per recipient.
 * Starts are spaced evenly across processes (GCRA, see the script above); the wait happens in the
 * calling process, so Redis holds no queue and a crashed process leaves only unused slots behind
 * (never an over-send).
 *
 * Keys: `${keyPrefix}limiter:${phoneNumberId}` and `${keyPrefix}pair:${phoneNumberId}:${recipient}`
 * (recipient as digits, or the BSUID), each expiring once its bucket is full again.
 *
 * When Redis cannot be reached, `schedule` rejects with `shared_store_unavailable` and the task
 * does not run, unless `fallbackToLocal` is set (then an in-process limiter takes over, with a
 * warning).
 *
 * @example
 * const limiter = new RedisRateLimiter({ url: process.env.REDIS_URL, keyPrefix: 'shop:' }, { phoneNumberId, throughput: 80 });
 * await limiter.schedule('+14155551234', () => send());
 */
export class RedisRateLimiter implements RateLimiter {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly numberKey: string;
  private readonly phoneNumberId: string;
  private readonly baseInterval: number;
  /** Interval between this process's number slots; widened by {@link setThroughputFactor}. */
  private numberInterval: number;
  private readonly pairInterval: number;
  private readonly pairTolerance: number;
  private readonly options: LimiterOptions;
  private readonly sleeps = new CancellableSleeps();
  private waiting = 0;
  private stopped = false;
  private local: LocalRateLimiter | undefined;
  private fellBack = false;
  private factor = 1;

  /**
   * @param redis connection settings (a connection is created and closed by {@link stop}) or a
   *   {@link RedisConnection} shared with others (left open)
   */
  constructor(redis: RedisOptions | RedisConnection, options: RedisRateLimiterOptions) {
    const { throughput, pairRate } = validateLimiterOptions(options);
    this.ownsConnection = !(redis instanceof RedisConnection);
    this.connection = redis instanceof RedisConnection ? redis : new RedisConnection(redis);
    this.phoneNumberId = options.phoneNumberId;
    this.numberKey = this.connection.key(`limiter:${options.phoneNumberId}`);
    this.baseInterval = 1000 / throughput;
    this.numberInterval = this.baseInterval;
    this.pairInterval = pairRate.intervalMs;
    this.pairTolerance = pairRate.intervalMs * (pairRate.burst - 1);
    this.options = { throughput, pairRate };
  }

  async schedule<T>(recipient: string | undefined, task: () => Promise<T>): Promise<T> {
    if (this.stopped) throw limiterStoppedError();
    const pairKey = recipient && this.pairInterval > 0 ? this.connection.key(`pair:${windowKey(this.phoneNumberId, recipient)}`) : undefined;
    let slot: 'local' | number;
    this.waiting++;
    try {
      slot = await this.reserveSlot(pairKey);
    } finally {
      this.waiting--;
    }
    // Redis failed and the fallback is on: the in-process limiter paces this task (and counts it).
    if (slot === 'local') return this.localLimiter().schedule(recipient, task);
    return task();
  }

  queued(): number {
    return this.waiting + (this.local?.queued() ?? 0);
  }

  /**
   * Reserves number slots `1 / factor` times further apart (the interval the script gets). Each
   * process moves the shared budget's TAT by its own interval, so every process should apply the
   * same factor: the quality guard reads the rating from the same Redis and does.
   */
  setThroughputFactor(factor: number): void {
    this.numberInterval = this.baseInterval / validateThroughputFactor(factor);
    this.local?.setThroughputFactor(factor);
    this.factor = factor;
  }

  /** Reserves the pair slot, then the number slot, sleeping out the waits; resolves when the task may start. */
  private async reserveSlot(pairKey: string | undefined): Promise<'local' | number> {
    let reservation = await this.reserve(pairKey);
    if (reservation === 'local') return 'local';
    if (reservation.numberWait < 0) {
      await this.sleep(reservation.pairWait);
      reservation = await this.reserve(undefined);
      if (reservation === 'local') return 'local';
    }
    await this.sleep(reservation.numberWait);
    return reservation.numberWait;
  }

  /** Rejects every send still waiting for its slot with `client_closed`; closes a connection it created. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sleeps.cancelAll(limiterStoppedError);
    await this.local?.stop();
    if (this.ownsConnection) await this.connection.close();
  }

  /** One script call; 'local' when Redis failed and the fallback is on. */
  private async reserve(pairKey: string | undefined): Promise<{ pairWait: number; numberWait: number } | 'local'> {
    const keys = pairKey ? [this.numberKey, pairKey] : [this.numberKey];
    let reply: unknown;
    try {
      reply = await this.connection.run('limiter', (client) =>
        this.connection.evalScript(client, GCRA_SCRIPT, keys, [this.numberInterval, 0, this.pairInterval, this.pairTolerance]),
      );
    } catch (error) {
      if (this.stopped) throw limiterStoppedError();
      if (!this.connection.fallbackToLocal) throw error;
      if (!this.fellBack) {
        this.fellBack = true;
        this.connection.reportFallback(error as WhatsAppError);
      }
      return 'local';
    }
    this.fellBack = false;
    if (this.stopped) throw limiterStoppedError();
    const [pairWait, numberWait] = (reply as [string, string]).map(Number) as [number, number];
    return { pairWait, numberWait };
  }

  private localLimiter(): LocalRateLimiter {
    if (!this.local) {
      this.local = new LocalRateLimiter(this.options);
      if (this.factor !== 1) this.local.setThroughputFactor(this.factor);
    }
    return this.local;
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeps.sleep(ms);
  }

}
