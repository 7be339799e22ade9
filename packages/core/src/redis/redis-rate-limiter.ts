import { WhatsAppError } from '../errors/whatsapp-error';
import { CancellableSleeps } from '../limiter/cancellable-sleeps';
import { EmissionLog, type Emission } from '../limiter/emission-log';
import { EmissionQueue } from '../limiter/emission-queue';
import { LocalRateLimiter, limiterStoppedError, validateLimiterOptions, validateThroughputFactor } from '../limiter/local-rate-limiter';
import {
  ADAPT_DECREASE,
  ADAPT_MIN_FACTOR,
  ADAPT_QUIET_MAX_MS,
  ADAPT_QUIET_MS,
  ADAPT_RECOVERY_PER_S,
  CATCH_UP_MS,
  CATCH_UP_SPEED,
  PACED_WINDOW_MS,
  WINDOW_MS,
  isThrottled,
  type PacingStatus,
} from '../limiter/pacing';
import type { LimiterOptions, RateLimiter } from '../limiter/rate-limiter';
import { windowKey } from '../window/window-tracker';
import { RedisClock } from './redis-clock';
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
 * decrease, t = its Redis time, q = its quiet time} and recovers by the same formula as AdaptivePace.
 *
 * The shared start log (the cross-process twin of EmissionLog): every granted slot gets a sequence
 * number s and an entry "s:time" at field s mod capacity of the log hash; the time is the planned
 * start until the process that ran it reports when it really began (later: a process the machine
 * did not schedule for a while starts its slots late, and in one window they then bunch with the
 * next processes' on-time slots). Slot s is granted no earlier than the start of slot s − L plus the
 * paced window, L being the current rate per window: one start per residue of s mod L in any paced
 * window, so never more than L, across processes, whatever their timers did (a slot's start is
 * reported a few ms after it; only a start more than a window late is reported too late to count).
 * Spacing alone (the TAT) only knows the plan: measured, 4 processes at 1,000/s on 2 cores drew
 * 7.5 % 130429 from a sliding-second reading.
 *
 * The TAT stays on the plan when the log holds a slot back (as in the in-process limiter, where only
 * the held-back start waits): a late start delays the slots one window on in its own residue, not
 * every later slot. Moving the TAT to the held-back slot added the latest start of each window to
 * all that followed (measured at 1,000/s: 0.96 of the cap with 1 process, 0.92 with 4, against 0.98
 * in-process). While a process keeps asking, the TAT also catches up like the in-process pacer, by
 * at most CATCH_UP_MS: slots a stalled process did not ask for in time are granted now (each logged
 * as starting no earlier than the grant), the log bounding every window; and, as in-process, no two
 * slots closer than `interval / CATCH_UP_SPEED` (field 'last' of the log: the previous slot's time),
 * so making up lost time never turns into a burst that repeats window after window.
 *
 * Slots are handed out no further than HORIZON ms ahead: a process asks for up to `count` and gets
 * those within the horizon, so a slow-down after a 130429 reaches every process within the horizon
 * (slots reserved seconds ahead would keep the old rate). Why not a fixed window
 * (rate-limiter-flexible's RateLimiterRedis counts points per window): 80 at the end of one window
 * and 80 at the start of the next are 160 within a few ms.
 *
 * KEYS[1] number TAT, KEYS[2] adaptive hash, KEYS[3] start log hash (field 'seq' = last slot)
 * ARGV: interval at factor 1 (ms), count, horizon (ms), first quiet (ms), recovery per ms, capacity
 *   (entries in the log: the configured rate, rounded down), paced window (ms), catch-up (ms),
 *   catch-up speed, then pairs of (slot, Redis time it began) for starts that began later than planned
 * Returns { factor, Redis now, ms until the horizon reaches the next slot, (wait, slot) of each slot… }.
 */
const NUMBER_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local capacity = tonumber(ARGV[6])
local window = tonumber(ARGV[7])
-- The time of slot s in the log, or nil once its entry was reused or expired.
local function logged(s)
  local e = redis.call('HGET', KEYS[3], tostring(s % capacity))
  if not e then return nil end
  local colon = string.find(e, ':', 1, true)
  if tonumber(string.sub(e, 1, colon - 1)) ~= s then return nil end
  return tonumber(string.sub(e, colon + 1))
end
for i = 10, #ARGV - 1, 2 do
  local s = tonumber(ARGV[i])
  local began = tonumber(ARGV[i + 1])
  local at = logged(s)
  if at and began > at then redis.call('HSET', KEYS[3], tostring(s % capacity), s .. ':' .. string.format('%.3f', began)) end
end
local factor = 1
local state = redis.call('HMGET', KEYS[2], 'f', 't', 'q')
if state[1] then
  local quiet = tonumber(state[3]) or tonumber(ARGV[4])
  factor = math.min(1, tonumber(state[1]) + tonumber(ARGV[5]) * math.max(0, now - tonumber(state[2]) - quiet))
end
local interval = tonumber(ARGV[1]) / factor
-- Starts allowed per paced window now (rounded up like the in-process limiter; at most the log's size).
local limit = math.min(capacity, math.ceil(window / interval - 1e-9))
local horizon = tonumber(ARGV[3])
-- A missing TAT: idle for a while, start afresh. A TAT in the past: busy but behind (a stalled
-- process), made up by at most the catch-up (the log keeps every window at the limit).
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then tat = now elseif tat < now - tonumber(ARGV[8]) then tat = now - tonumber(ARGV[8]) end
local kept = redis.call('HMGET', KEYS[3], 'seq', 'last')
local seq = tonumber(kept[1]) or 0
-- The previous slot's time: no two slots closer than the catch-up speed allows (pacing.ts).
local last = tonumber(kept[2]) or -math.huge
local minGap = interval / tonumber(ARGV[9])
local reply = { string.format('%.6f', factor), string.format('%.3f', now), '0' }
local granted = 0
local nextAt = tat
for i = 1, tonumber(ARGV[2]) do
  local s = seq + 1
  -- A slot made up after a stall starts now at the earliest (logged so: the log must never hold a
  -- start earlier than it really was).
  local at = math.max(tat, now, last + minGap)
  local before = logged(s - limit)
  if before and before + window > at then at = before + window end
  nextAt = at
  if at - now > horizon then break end
  reply[#reply + 1] = string.format('%.3f', at - now)
  reply[#reply + 1] = tostring(s)
  redis.call('HSET', KEYS[3], tostring(s % capacity), s .. ':' .. string.format('%.3f', at))
  seq = s
  last = at
  -- The plan moves on from the plan, not from a slot the log held back (see above).
  tat = tat + interval
  nextAt = tat
  granted = granted + 1
end
reply[3] = string.format('%.3f', math.max(0, nextAt - now - horizon))
if granted > 0 then
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(math.max(0, tat - now)) + 1000)
  redis.call('HSET', KEYS[3], 'seq', seq, 'last', string.format('%.3f', last))
end
-- The log means nothing once its newest entry is a window old (a missing log restarts at slot 1).
if granted > 0 or #ARGV > 9 then
  redis.call('PEXPIRE', KEYS[3], math.ceil(math.max(0, tat - now) + window) + 1000)
end
return reply
`);

/**
 * A 130429: lowers the shared adaptive factor by the rule of pacing.ts decreasedFactor and sets the
 * next quiet time by nextQuiet (the same formulas as AdaptivePace, with Redis TIME as the clock).
 *
 * KEYS[1] adaptive hash {f, t, q = quiet time of that decrease}
 * ARGV: planned start (Redis ms), measured factor (or 'inf'), decrease step, minimum, first quiet
 *   (ms), recovery per ms, paced window (ms), longest quiet (ms), window (ms)
 * Returns { factor now, '1' if lowered else '0' }.
 */
const THROTTLED_SCRIPT = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local startedAt = tonumber(ARGV[1])
local firstQuiet = tonumber(ARGV[5])
local quiet = firstQuiet
local recovery = tonumber(ARGV[6])
local factor = 1
local decreasedAt = nil
local state = redis.call('HMGET', KEYS[1], 'f', 't', 'q')
if state[1] then
  decreasedAt = tonumber(state[2])
  quiet = tonumber(state[3]) or firstQuiet
  factor = math.min(1, tonumber(state[1]) + recovery * math.max(0, now - decreasedAt - quiet))
end
local keep = { string.format('%.6f', factor), '0' }
if decreasedAt and startedAt <= decreasedAt then return keep end
local lowered
local emitted = factor * tonumber(ARGV[9]) / tonumber(ARGV[7])
if ARGV[2] ~= 'inf' and tonumber(ARGV[2]) < emitted * 0.99 then
  lowered = tonumber(ARGV[2])
else
  if decreasedAt and startedAt < decreasedAt + tonumber(ARGV[7]) then return keep end
  lowered = factor * tonumber(ARGV[3])
end
if lowered < tonumber(ARGV[4]) then lowered = tonumber(ARGV[4]) end
-- nextQuiet: doubled when the factor was climbing back, kept while below 1, else the first.
local nextQuiet = firstQuiet
if decreasedAt and factor < 1 then
  if now > decreasedAt + quiet then nextQuiet = math.min(tonumber(ARGV[8]), quiet * 2) else nextQuiet = quiet end
end
redis.call('HSET', KEYS[1], 'f', string.format('%.6f', lowered), 't', string.format('%.3f', now), 'q', nextQuiet)
-- Forgotten once fully recovered: a missing hash means factor 1.
redis.call('PEXPIRE', KEYS[1], math.ceil(nextQuiet + (1 - lowered) / recovery) + 1000)
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
/**
 * A start later than its plan by more than this is reported to the shared start log. Below it the
 * report would cost a Redis write for less than the timer rounding every start has anyway (the
 * jitter margin covers that much).
 */
const LATE_REPORT_MS = 1;
/** Most late starts kept unreported (a long Redis outage must not grow the list without end). */
const MAX_PENDING_REPORTS = 10_000;

/** Settings of a {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions extends LimiterOptions {
  /** The business phone number whose budget this limiter shares (part of the keys). */
  phoneNumberId: string;
}

interface Slot {
  emission: Emission;
  /** The slot's number in the shared start log. */
  seq: number;
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
 * adaptive slow-down after Meta's 130429. Starts are spaced evenly across processes and no process
 * starts a slot before the start one window's worth earlier (whoever made it, as late as it really
 * began) has left the paced window (the scripts above); each process also keeps its own emission
 * log, so a late timer never bunches its own starts.
 * The wait happens in the calling process, so Redis holds no queue and a crashed process leaves only
 * unused slots behind (never an over-send).
 *
 * Keys: `${keyPrefix}limiter:${phoneNumberId}`, `${keyPrefix}pace:${phoneNumberId}` (the adaptive
 * factor), `${keyPrefix}starts:${phoneNumberId}` (the shared start log, one entry per start of the
 * last window) and `${keyPrefix}pair:${phoneNumberId}:${recipient}` (recipient as digits, or the BSUID),
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
  private readonly startsKey: string;
  private readonly capacity: number;
  private readonly clock = new RedisClock();
  /** Late starts not yet in the shared log: (slot, Redis time it began) pairs. */
  private lateStarts: number[] = [];
  private reportTimer: NodeJS.Timeout | undefined;
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
    this.startsKey = this.connection.key(`starts:${options.phoneNumberId}`);
    this.throughput = throughput;
    this.pairInterval = pairRate.intervalMs;
    this.pairTolerance = pairRate.intervalMs * (pairRate.burst - 1);
    this.options = { throughput, pairRate };
    const capacity = Math.max(1, Math.floor(throughput));
    this.capacity = capacity;
    this.queue = new EmissionQueue(capacity, () => this.rate(), (now) => now, this.now, sharedEmissionLog(this.numberKey, capacity));
  }

  async schedule<T>(recipient: string | undefined, task: (written: () => void) => Promise<T>): Promise<T> {
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
    const began = this.queue.began(slot.emission, (at) => this.reportStart(slot, at));
    const start: Slot = { ...slot, emission: began.start };
    let result: T;
    try {
      result = await task(began.written);
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
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
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
    // The first call after an idle spell starts the plan afresh; later ones (sends kept waiting)
    // make up what a stall missed, as the in-process pacer does.
    let catchUp = 0;
    try {
      while (this.unreserved.length > 0 && !this.stopped) {
        const count = Math.min(this.unreserved.length, MAX_BATCH);
        let reply: string[];
        try {
          reply = await this.runNumberScript(count, catchUp);
          catchUp = CATCH_UP_MS;
        } catch (error) {
          this.failUnreserved(error);
          return;
        }
        if (this.stopped) return;
        this.fellBack = false;
        this.adaptiveFactor = Number(reply[0]);
        const redisNow = Number(reply[1]);
        const granted = (reply.length - 3) / 2;
        for (let i = 3; i < reply.length; i += 2) {
          const plannedAt = redisNow + Number(reply[i]);
          const seq = Number(reply[i + 1]);
          const waiting = this.unreserved.shift()!;
          // Due on this clock (RedisClock: never late by a slow reply, early by at most the fastest
          // way to Redis, a fraction of a millisecond on a local network).
          this.queue.wait(this.clock.toLocal(plannedAt)).then((emission) => waiting.resolve({ emission, seq, plannedAt }), waiting.reject);
        }
        if (granted < count) await this.sleeps.sleep(Math.max(MIN_POLL_MS, PACED_WINDOW_MS / (this.throughput * this.qualityFactor), Number(reply[2])));
      }
    } catch {
      // Only a cancelled sleep lands here: stop() has rejected everything that waited.
    } finally {
      this.reserving = false;
    }
  }

  /**
   * Runs the number script: asks for `count` slots (0 = none) and hands over the late starts
   * reported since the last call; `catchUp`: how far behind now the plan may be made up (ms).
   * Returns the script's reply; samples the clock offset.
   */
  private async runNumberScript(count: number, catchUp = 0): Promise<string[]> {
    const reports = this.lateStarts;
    this.lateStarts = [];
    const baseInterval = PACED_WINDOW_MS / (this.throughput * this.qualityFactor);
    const sentAt = this.now();
    try {
      const reply = (await this.connection.run('limiter', (client) =>
        this.connection.evalScript(client, NUMBER_SCRIPT, [this.numberKey, this.paceKey, this.startsKey], [
          baseInterval,
          count,
          HORIZON_MS,
          ADAPT_QUIET_MS,
          ADAPT_RECOVERY_PER_S / 1000,
          this.capacity,
          PACED_WINDOW_MS,
          catchUp,
          CATCH_UP_SPEED,
          ...reports,
        ]),
      )) as string[];
      this.clock.sample(sentAt, Number(reply[1]));
      return reply;
    } catch (error) {
      // Not in the log then: the local emission log still holds this process's own starts.
      if (this.lateStarts.length + reports.length <= MAX_PENDING_REPORTS) this.lateStarts.unshift(...reports);
      throw error;
    }
  }

  /**
   * A start's request was written at local time `at`: later than planned (a late timer, a busy
   * event loop, the first second's allowance), the shared start log learns it, so no process starts
   * the slot one window on before that start has left the window. Sent with the next reservation, or
   * on its own a few ms later when none is under way.
   */
  private reportStart(slot: Slot, at: number): void {
    if (this.stopped || !this.clock.known) return;
    const startedAt = this.clock.toRedis(at);
    if (startedAt - slot.plannedAt <= LATE_REPORT_MS || this.lateStarts.length >= MAX_PENDING_REPORTS) return;
    this.lateStarts.push(slot.seq, Math.round(startedAt * 1000) / 1000);
    this.armReport();
  }

  private armReport(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      if (this.stopped || this.lateStarts.length === 0) return;
      // A reservation under way takes the reports with its next call; look again after it.
      if (this.reserving) return this.armReport();
      this.runNumberScript(0).catch(() => undefined);
    }, MIN_POLL_MS);
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
          ADAPT_QUIET_MAX_MS,
          WINDOW_MS,
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
