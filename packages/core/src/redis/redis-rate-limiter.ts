import { WhatsAppError } from '../errors/whatsapp-error';
import { CancellableSleeps } from '../limiter/cancellable-sleeps';
import { EmissionLog, type Emission } from '../limiter/emission-log';
import { EmissionQueue } from '../limiter/emission-queue';
import { LocalRateLimiter, limiterStoppedError, validateLimiterOptions, validateThroughputFactor } from '../limiter/local-rate-limiter';
import {
  ADAPT_DECREASE,
  ADAPT_MIN_FACTOR,
  ADAPT_QUIET_MS,
  ADAPT_RECOVERY_PER_S,
  PACED_WINDOW_MS,
  isThrottled,
  type PacingStatus,
} from '../limiter/pacing';
import type { LimiterOptions, RateLimiter } from '../limiter/rate-limiter';
import { windowKey } from '../window/window-tracker';
import { RedisConnection, redisScript, type RedisOptions } from './connection';

/**
 * Per-recipient pair rate: GCRA (generic cell rate algorithm), run atomically by Redis so every
 * process sees one budget. The key holds a "theoretical arrival time" (TAT, epoch ms): the slot
 * reserved by this call starts at max(TAT, now) - tolerance, and TAT moves on by one interval: a
 * token bucket of (tolerance / interval + 1) tokens (45, then one per 6 s) kept as one number, the
 * same algorithm as the in-process GcraPacer.
 *
 * Redis `TIME` is the only clock in every script here: processes on different hosts disagree by
 * more than the 12.75 ms between two slots at 80/s. (Redis 7 replicates script effects, so TIME in a
 * writing script is allowed; replicate_commands makes the same true on Redis 3.2 to 6.)
 *
 * KEYS[1] pair key; ARGV: interval, tolerance (ms). Returns the wait in ms as a string.
 */
const PAIR_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local wait = tat - tonumber(ARGV[2]) - now
if wait < 0 then wait = 0 end
local nextTat = tat + tonumber(ARGV[1])
-- The key lives until its bucket is full again: from then on a missing key means the same.
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return string.format('%.3f', wait)
`);

/**
 * The number's starts, shared by every process: GCRA without burst, one interval apart, the
 * interval being PACED_WINDOW_MS / (throughput × quality factor × adaptive factor), as in the
 * in-process limiter (pacing.ts). The adaptive factor lives in a hash {f = factor at the last
 * decrease, t = its Redis time} and recovers by the same formula as AdaptivePace.
 *
 * Slots are handed out no further than HORIZON ms ahead: a process asks for up to `count` and gets
 * those within the horizon, so a slow-down after a 130429 reaches every process within the horizon
 * (slots reserved seconds ahead would keep the old rate). Why not a fixed window
 * (rate-limiter-flexible's RateLimiterRedis counts points per window): 80 at the end of one window
 * and 80 at the start of the next are 160 within a few ms.
 *
 * KEYS[1] number TAT, KEYS[2] adaptive hash
 * ARGV: interval at factor 1 (ms), count, horizon (ms), quiet (ms), recovery per ms
 * Returns { factor, Redis now, ms until the horizon reaches the next slot, wait of each slot… }.
 */
const NUMBER_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local factor = 1
local state = redis.call('HMGET', KEYS[2], 'f', 't')
if state[1] then
  factor = math.min(1, tonumber(state[1]) + tonumber(ARGV[5]) * math.max(0, now - tonumber(state[2]) - tonumber(ARGV[4])))
end
local interval = tonumber(ARGV[1]) / factor
local horizon = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local reply = { string.format('%.6f', factor), string.format('%.3f', now), '0' }
for i = 1, tonumber(ARGV[2]) do
  if tat - now > horizon then break end
  reply[#reply + 1] = string.format('%.3f', tat - now)
  tat = tat + interval
end
reply[3] = string.format('%.3f', math.max(0, tat - now - horizon))
if #reply > 3 then
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
end
return reply
`);

/**
 * A 130429: lowers the shared adaptive factor by the rule of pacing.ts decreasedFactor (the same
 * formulas as AdaptivePace, with Redis TIME as the clock).
 *
 * KEYS[1] adaptive hash
 * ARGV: planned start (Redis ms), measured factor (or 'inf'), decrease step, minimum, quiet (ms),
 *   recovery per ms, paced window (ms)
 * Returns { factor now, '1' if lowered else '0' }.
 */
const THROTTLED_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local startedAt = tonumber(ARGV[1])
local quiet = tonumber(ARGV[5])
local recovery = tonumber(ARGV[6])
local factor = 1
local decreasedAt = nil
local state = redis.call('HMGET', KEYS[1], 'f', 't')
if state[1] then
  decreasedAt = tonumber(state[2])
  factor = math.min(1, tonumber(state[1]) + recovery * math.max(0, now - decreasedAt - quiet))
end
local keep = { string.format('%.6f', factor), '0' }
if decreasedAt and startedAt <= decreasedAt then return keep end
local lowered
if ARGV[2] ~= 'inf' and tonumber(ARGV[2]) < factor then
  lowered = tonumber(ARGV[2])
else
  if decreasedAt and startedAt < decreasedAt + tonumber(ARGV[7]) then return keep end
  lowered = factor * tonumber(ARGV[3])
end
if lowered < tonumber(ARGV[4]) then lowered = tonumber(ARGV[4]) end
redis.call('HSET', KEYS[1], 'f', string.format('%.6f', lowered), 't', string.format('%.3f', now))
-- Forgotten once fully recovered: a missing hash means factor 1.
redis.call('PEXPIRE', KEYS[1], math.ceil(quiet + (1 - lowered) / recovery) + 1000)
return { string.format('%.6f', lowered), '1' }
`);

/**
 * One emission log per number key in this process: every Redis limiter of the process for that
 * number (one per n8n execution, one per Node-RED config node) checks and stamps the same log, so
 * within a process the limit holds exactly whatever the timers did. Across processes the jitter
 * margin covers the difference in delays (pacing.ts). Kept on globalThis under a registered symbol
 * like the registry, so copies of core bundled in different packages share it too.
 */
function sharedEmissionLog(numberKey: string, capacity: number): EmissionLog {
  const holder = globalThis as unknown as Record<symbol, Map<string, EmissionLog> | undefined>;
  const logs = (holder[Symbol.for('@wa-cloud/core/emission-logs')] ??= new Map());
  const key = `${numberKey}\n${capacity}`;
  let log = logs.get(key);
  if (!log) logs.set(key, (log = new EmissionLog(capacity)));
  return log;
}

/** How far ahead a process may hold number slots (a slow-down reaches everyone within this). */
const HORIZON_MS = 100;
/** Most slots asked for in one script call. */
const MAX_BATCH = 64;
/** Shortest wait before asking again when the horizon is full (keeps polling cheap). */
const MIN_POLL_MS = 5;

/** Settings of a {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions extends LimiterOptions {
  /** The business phone number whose budget this limiter shares (part of the keys). */
  phoneNumberId: string;
}

interface Slot {
  emission: Emission;
  /** The slot's planned start in Redis time (to tell a throttle from before the last decrease). */
  plannedAt: number;
}

interface Unreserved {
  resolve: (slot: Slot | 'local') => void;
  reject: (error: Error) => void;
}

/**
 * A {@link RateLimiter} whose budget lives in Redis, so every process that sends from one phone
 * number with the same key prefix shares one throughput, one pair rate per recipient and one
 * adaptive slow-down after Meta's 130429. Starts are spaced evenly across processes (the scripts
 * above); each process also keeps its own emission log, so a late timer never bunches its starts.
 * The wait happens in the calling process, so Redis holds no queue and a crashed process leaves only
 * unused slots behind (never an over-send).
 *
 * Keys: `${keyPrefix}limiter:${phoneNumberId}`, `${keyPrefix}pace:${phoneNumberId}` (the adaptive
 * factor) and `${keyPrefix}pair:${phoneNumberId}:${recipient}` (recipient as digits, or the BSUID),
 * each expiring once it means nothing any more.
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
  readonly learnsFromThrottles = true;
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly numberKey: string;
  private readonly paceKey: string;
  private readonly phoneNumberId: string;
  private readonly throughput: number;
  private readonly pairInterval: number;
  private readonly pairTolerance: number;
  private readonly options: LimiterOptions;
  private readonly sleeps = new CancellableSleeps();
  private readonly queue: EmissionQueue;
  private readonly now = (): number => performance.now();
  private unreserved: Unreserved[] = [];
  private reserving = false;
  private pairWaiting = 0;
  private stopped = false;
  private local: LocalRateLimiter | undefined;
  private fellBack = false;
  private qualityFactor = 1;
  /** The shared adaptive factor as the last script reply said. */
  private adaptiveFactor = 1;
  private lastThrottledAt: number | undefined;

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
    this.paceKey = this.connection.key(`pace:${options.phoneNumberId}`);
    this.throughput = throughput;
    this.pairInterval = pairRate.intervalMs;
    this.pairTolerance = pairRate.intervalMs * (pairRate.burst - 1);
    this.options = { throughput, pairRate };
    const capacity = Math.max(1, Math.floor(throughput));
    this.queue = new EmissionQueue(capacity, () => this.rate(), (now) => now, this.now, sharedEmissionLog(this.numberKey, capacity));
  }

  async schedule<T>(recipient: string | undefined, task: () => Promise<T>): Promise<T> {
    if (this.stopped) throw limiterStoppedError();
    const pairKey = recipient && this.pairInterval > 0 ? this.connection.key(`pair:${windowKey(this.phoneNumberId, recipient)}`) : undefined;
    if (pairKey) {
      let pairWait: number | 'local';
      this.pairWaiting++;
      try {
        pairWait = await this.reservePair(pairKey);
        if (pairWait !== 'local') await this.sleeps.sleep(pairWait);
      } finally {
        this.pairWaiting--;
      }
      // Redis failed and the fallback is on: the in-process limiter paces this task (and counts it).
      if (pairWait === 'local') return this.localLimiter().schedule(recipient, task);
    }
    if (this.stopped) throw limiterStoppedError();
    const slot = await this.numberSlot();
    if (slot === 'local') return this.localLimiter().schedule(recipient, task);
    const start: Slot = { emission: this.queue.began(slot.emission), plannedAt: slot.plannedAt };
    let result: T;
    try {
      result = await task();
    } catch (error) {
      this.settle(start, error);
      throw error;
    }
    this.queue.log.settle(start.emission, 'accepted', this.now());
    return result;
  }

  queued(): number {
    return this.pairWaiting + this.unreserved.length + this.queue.size + (this.local?.queued() ?? 0);
  }

  /**
   * Scales the number's throughput by `factor`. Every process moves the shared budget's TAT by its
   * own interval, so every process should apply the same factor: the quality guard reads the rating
   * from the same Redis and does.
   */
  setThroughputFactor(factor: number): void {
    this.qualityFactor = validateThroughputFactor(factor);
    this.local?.setThroughputFactor(factor);
    this.queue.kick();
  }

  /** The configured and the current rate (the adaptive factor as of this process's last reservation). */
  pacing(): PacingStatus {
    if (this.fellBack && this.local) return this.local.pacing();
    return {
      configuredPerSecond: this.throughput,
      effectivePerSecond: this.rate(),
      qualityFactor: this.qualityFactor,
      adaptiveFactor: this.adaptiveFactor,
      ...(this.lastThrottledAt !== undefined ? { lastThrottledAt: this.lastThrottledAt } : {}),
    };
  }

  /** Rejects every send still waiting for its slot with `client_closed`; closes a connection it created. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sleeps.cancelAll(limiterStoppedError);
    for (const waiting of this.unreserved.splice(0)) waiting.reject(limiterStoppedError());
    this.queue.rejectAll(limiterStoppedError);
    await this.local?.stop();
    if (this.ownsConnection) await this.connection.close();
  }

  private rate(): number {
    return this.throughput * this.qualityFactor * this.adaptiveFactor;
  }

  /** A number slot: queued until the reserving loop gets one from Redis and its time comes. */
  private numberSlot(): Promise<Slot | 'local'> {
    return new Promise<Slot | 'local'>((resolve, reject) => {
      this.unreserved.push({ resolve, reject });
      if (!this.reserving) void this.reserveLoop();
    });
  }

  /**
   * One loop per process asks Redis for slots for the sends waiting here, in batches, never more
   * than the horizon ahead; each granted slot joins the emission queue at its local due time.
   */
  private async reserveLoop(): Promise<void> {
    this.reserving = true;
    try {
      while (this.unreserved.length > 0 && !this.stopped) {
        const count = Math.min(this.unreserved.length, MAX_BATCH);
        const baseInterval = PACED_WINDOW_MS / (this.throughput * this.qualityFactor);
        let reply: string[];
        // Slots are timed from when the call left: Redis ran the script after that, so a due time
        // from here is never late by a slow reply (a stalled event loop reading it), only early by
        // the way there, which on a local network is a fraction of a millisecond.
        const sentAt = this.now();
        try {
          reply = (await this.connection.run('limiter', (client) =>
            this.connection.evalScript(client, NUMBER_SCRIPT, [this.numberKey, this.paceKey], [
              baseInterval,
              count,
              HORIZON_MS,
              ADAPT_QUIET_MS,
              ADAPT_RECOVERY_PER_S / 1000,
            ]),
          )) as string[];
        } catch (error) {
          this.failUnreserved(error);
          return;
        }
        if (this.stopped) return;
        this.fellBack = false;
        this.adaptiveFactor = Number(reply[0]);
        const redisNow = Number(reply[1]);
        const granted = reply.length - 3;
        for (let i = 3; i < reply.length; i++) {
          const wait = Number(reply[i]);
          const waiting = this.unreserved.shift()!;
          this.queue.wait(sentAt + wait).then((emission) => waiting.resolve({ emission, plannedAt: redisNow + wait }), waiting.reject);
        }
        if (granted < count) await this.sleeps.sleep(Math.max(MIN_POLL_MS, baseInterval, Number(reply[2])));
      }
    } catch {
      // Only a cancelled sleep lands here: stop() has rejected everything that waited.
    } finally {
      this.reserving = false;
    }
  }

  /** Redis failed: every send still without a slot falls back to the local limiter, or fails. */
  private failUnreserved(error: unknown): void {
    const waiting = this.unreserved.splice(0);
    if (this.stopped) {
      for (const w of waiting) w.reject(limiterStoppedError());
      return;
    }
    if (!this.connection.fallbackToLocal) {
      for (const w of waiting) w.reject(error as Error);
      return;
    }
    this.noteFallback(error);
    for (const w of waiting) w.resolve('local');
  }

  private noteFallback(error: unknown): void {
    if (!this.fellBack) {
      this.fellBack = true;
      this.connection.reportFallback(error as WhatsAppError);
    }
  }

  /** The recipient's pair wait in ms; 'local' when Redis failed and the fallback is on. */
  private async reservePair(pairKey: string): Promise<number | 'local'> {
    let reply: unknown;
    try {
      reply = await this.connection.run('limiter', (client) =>
        this.connection.evalScript(client, PAIR_SCRIPT, [pairKey], [this.pairInterval, this.pairTolerance]),
      );
    } catch (error) {
      if (this.stopped) throw limiterStoppedError();
      if (!this.connection.fallbackToLocal) throw error;
      this.noteFallback(error);
      return 'local';
    }
    if (this.stopped) throw limiterStoppedError();
    return Number(reply);
  }

  /** A 130429 lowers the shared factor to what Meta accepted in the second before that start. */
  private settle(start: Slot, error: unknown): void {
    if (!isThrottled(error)) {
      this.queue.log.settle(start.emission, 'other');
      return;
    }
    this.queue.log.settle(start.emission, 'throttled', this.now());
    const measured = this.queue.log.measuredRate(start.emission.at, this.queue.busySince);
    const measuredFactor = measured === undefined ? 'inf' : measured / (this.throughput * this.qualityFactor);
    this.connection
      .run('limiter', (client) =>
        this.connection.evalScript(client, THROTTLED_SCRIPT, [this.paceKey], [
          start.plannedAt,
          measuredFactor,
          ADAPT_DECREASE,
          ADAPT_MIN_FACTOR,
          ADAPT_QUIET_MS,
          ADAPT_RECOVERY_PER_S / 1000,
          PACED_WINDOW_MS,
        ]),
      )
      .then((reply) => {
        const [factor, lowered] = reply as [string, string];
        this.adaptiveFactor = Number(factor);
        if (lowered === '1') this.lastThrottledAt = Date.now();
      })
      // Meta's answer is what the caller sees; a Redis hiccup here only means no slow-down this time.
      .catch(() => undefined);
  }

  private localLimiter(): LocalRateLimiter {
    if (!this.local) {
      this.local = new LocalRateLimiter(this.options);
      if (this.qualityFactor !== 1) this.local.setThroughputFactor(this.qualityFactor);
    }
    return this.local;
  }
}
