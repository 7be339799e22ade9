import { LocalRateLimiter, validateLimiterOptions } from './limiter/local-rate-limiter';
import type { LimiterOptions, RateLimiter } from './limiter/rate-limiter';
import { WindowTracker } from './window/window-tracker';
import { EventDeduplicator } from './webhook/dedupe';
import { DEFAULT_REDIS_KEY_PREFIX, DEFAULT_REDIS_URL, RedisConnection, type RedisOptions } from './redis/connection';
import { RedisDedupeStore } from './redis/redis-dedupe-store';
import { RedisRateLimiter } from './redis/redis-rate-limiter';
import { RedisWindowStore } from './redis/redis-window-store';
import { QualityGuard } from './quality/quality-guard';

/**
 * Process-wide state shared by every node of a process: one limiter per phone number (two
 * workflows or two config nodes sending from one number share its 80/s), and one window tracker
 * (the trigger that hears a user and the node that replies must agree). Kept on `globalThis` under
 * a registered symbol, so copies of core bundled into different packages still share it.
 */
interface Registry {
  limiters: Map<string, { limiter: RateLimiter; settings: string }>;
  windowTracker?: WindowTracker;
  qualityGuard?: QualityGuard;
}

const KEY = Symbol.for('@wa-cloud/core/registry');

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[KEY] ??= { limiters: new Map() });
}

/**
 * The process's limiter for `phoneNumberId`. A second caller with other settings gets a new limiter
 * in place of the old one (the settings changed: a redeploy), and the old one keeps serving those
 * who already hold it.
 */
export function sharedLimiter(phoneNumberId: string, options: LimiterOptions = {}): RateLimiter {
  const settings = JSON.stringify(validateLimiterOptions(options));
  const limiters = registry().limiters;
  const current = limiters.get(phoneNumberId);
  if (current && current.settings === settings) return current.limiter;
  const limiter = new LocalRateLimiter(options);
  limiters.set(phoneNumberId, { limiter, settings });
  return limiter;
}

/** The process's in-memory window tracker (keys include the phone number ID). */
export function sharedWindowTracker(): WindowTracker {
  return (registry().windowTracker ??= new WindowTracker());
}

/**
 * The process's in-memory quality guard: the trigger that hears a 131026 status, an opt-out or a
 * quality event and the nodes that send must use the same one (pass it as `quality.guard` and as
 * `handleWebhookPost`'s `qualityGuard`). Keys include the phone number ID.
 */
export function sharedQualityGuard(): QualityGuard {
  return (registry().qualityGuard ??= new QualityGuard());
}

/** What {@link sharedRedisState} hands out: one Redis connection's limiters, window tracker and deduplicator. */
export interface SharedRedisState {
  /** The process's connection for this URL (or client) and key prefix. */
  readonly connection: RedisConnection;
  /** The Redis window tracker (keys include the phone number ID). */
  readonly windowTracker: WindowTracker;
  /** A deduplicator whose seen-event keys live in Redis. */
  readonly deduplicator: EventDeduplicator;
  /** A quality guard whose records live in Redis (keys `<keyPrefix>window:quality:…`). */
  readonly qualityGuard: QualityGuard;
  /**
   * The Redis limiter of `phoneNumberId`. Like {@link sharedLimiter}, other settings give a new
   * limiter (the budget in Redis stays the same: it is keyed by prefix and number only, so every
   * process should use the same throughput and pair rate).
   */
  limiter(phoneNumberId: string, options?: LimiterOptions): RateLimiter;
}

interface RedisRegistry {
  byUrl: Map<string, SharedRedisState>;
  byClient: WeakMap<object, Map<string, SharedRedisState>>;
  /** Every open state with its limiters, for closeSharedRedis. */
  all: Map<SharedRedisState, Map<string, { limiter: RateLimiter; settings: string }>>;
}

const REDIS_KEY = Symbol.for('@wa-cloud/core/redis-registry');

function redisRegistry(): RedisRegistry {
  const holder = globalThis as unknown as Record<symbol, RedisRegistry | undefined>;
  return (holder[REDIS_KEY] ??= { byUrl: new Map(), byClient: new WeakMap(), all: new Map() });
}

/**
 * The process's Redis-backed state for one Redis and key prefix: ONE connection, reused by every
 * caller in the process (n8n executions come and go; a connection each would be wasteful), with a
 * limiter per phone number, a window tracker and a deduplicator on it. Kept on `globalThis` like
 * the in-memory registry, so copies of core bundled in different packages share it too.
 *
 * @example
 * const state = sharedRedisState({ url: process.env.REDIS_URL, keyPrefix: 'shop:' });
 * const client = new WhatsAppClient({ accessToken, phoneNumberId, limiter: state.limiter(phoneNumberId), window: { tracker: state.windowTracker } });
 */
export function sharedRedisState(options: RedisOptions = {}): SharedRedisState {
  const reg = redisRegistry();
  const settings = `${options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX}\n${options.fallbackToLocal === true}`;
  let states: Map<string, SharedRedisState>;
  if (options.client) {
    states = reg.byClient.get(options.client) ?? new Map();
    reg.byClient.set(options.client, states);
  } else {
    states = reg.byUrl;
  }
  const key = options.client ? settings : `${options.url || DEFAULT_REDIS_URL}\n${settings}`;
  const existing = states.get(key);
  if (existing) return existing;

  const connection = new RedisConnection(options);
  const limiters = new Map<string, { limiter: RateLimiter; settings: string }>();
  const state: SharedRedisState = {
    connection,
    windowTracker: new WindowTracker(new RedisWindowStore(connection)),
    deduplicator: new EventDeduplicator(new RedisDedupeStore(connection)),
    qualityGuard: new QualityGuard({ store: new RedisWindowStore(connection) }),
    limiter(phoneNumberId: string, limiterOptions: LimiterOptions = {}): RateLimiter {
      const limiterSettings = JSON.stringify(validateLimiterOptions(limiterOptions));
      const current = limiters.get(phoneNumberId);
      if (current && current.settings === limiterSettings) return current.limiter;
      const limiter = new RedisRateLimiter(connection, { ...limiterOptions, phoneNumberId });
      limiters.set(phoneNumberId, { limiter, settings: limiterSettings });
      return limiter;
    },
  };
  states.set(key, state);
  reg.all.set(state, limiters);
  return state;
}

/**
 * Closes every connection {@link sharedRedisState} opened (a client passed in stays open) and
 * stops their limiters, so a script or a test can exit. Later calls to `sharedRedisState` start
 * afresh.
 */
export async function closeSharedRedis(): Promise<void> {
  const reg = redisRegistry();
  const states = [...reg.all];
  reg.all.clear();
  reg.byUrl.clear();
  reg.byClient = new WeakMap();
  await Promise.all(
    states.map(async ([state, limiters]) => {
      await Promise.all([...limiters.values()].map(({ limiter }) => limiter.stop()));
      await state.connection.close();
    }),
  );
}
