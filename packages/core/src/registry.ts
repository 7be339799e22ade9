import { LocalRateLimiter, validateLimiterOptions } from './limiter/local-rate-limiter';
import type { LimiterOptions, RateLimiter } from './limiter/rate-limiter';
import { WindowTracker } from './window/window-tracker';
import { EventDeduplicator } from './webhook/dedupe';
import { DEFAULT_REDIS_KEY_PREFIX, DEFAULT_REDIS_URL, RedisConnection, type RedisOptions } from './redis/connection';
import { RedisDedupeStore } from './redis/redis-dedupe-store';
import { RedisRateLimiter } from './redis/redis-rate-limiter';
import { RedisWindowStore } from './redis/redis-window-store';
import { QualityGuard, hashedOptOutKey } from './quality/quality-guard';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isWhatsAppError, type WhatsAppError } from './errors/whatsapp-error';
import { MemoryStateStore } from './store/memory-state-store';
import { EmbeddedStateStore, embeddedStoreFile, storeFileError, type EmbeddedStoreOptions } from './store/embedded-state-store';
import { RedisStateStore } from './store/redis-state-store';
import type { SqliteDatabase } from './store/sqlite-driver';
import type { ForgetUserResult, StateStore, StateStoreKind } from './store/state-store';
import { DeliveryLedger } from './ledger/ledger';
import { MemoryLedgerStore } from './ledger/memory-ledger-store';
import { RedisLedgerStore } from './ledger/redis-ledger-store';
import { SqliteLedgerStore } from './ledger/sqlite-ledger-store';
import { SqliteResendStore } from './ledger/sqlite-resend-store';
import { MemoryResendStore, type ResendStore } from './ledger/resend-store';
import type { LedgerStore } from './ledger/types';
import { RedisResendStore } from './ledger/redis-resend-store';
import { MemoryMessagingLimitStore, MessagingLimit, RedisMessagingLimitStore, SqliteMessagingLimitStore, type MessagingLimitStore } from './limits/messaging-limit';

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
  memory?: SharedState;
  /** Embedded states by file path; failed opens are remembered a minute (not retried per webhook). */
  embedded?: Map<string, SharedState>;
  /** Files that could not be opened: when, why, and the memory state used meanwhile (one per file). */
  failedOpens?: Map<string, { at: number; error: WhatsAppError; state: SharedState }>;
  ledger?: DeliveryLedger;
  messagingLimit?: MessagingLimit;
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

/** The process's in-memory store: behind the memory-only choice and the fallback of the embedded one. */
function memoryStore(): MemoryStateStore {
  const reg = registry() as Registry & { memoryStore?: MemoryStateStore };
  return (reg.memoryStore ??= new MemoryStateStore());
}

/** The process's in-memory window tracker (keys include the phone number ID). */
export function sharedWindowTracker(): WindowTracker {
  return (registry().windowTracker ??= new WindowTracker(memoryStore().windows));
}

/**
 * The process's in-memory quality guard: the trigger that hears a 131026 status, an opt-out or a
 * quality event and the nodes that send must use the same one (pass it as `quality.guard` and as
 * `handleWebhookPost`'s `qualityGuard`). Keys include the phone number ID.
 */
export function sharedQualityGuard(): QualityGuard {
  return (registry().qualityGuard ??= new QualityGuard({ store: memoryStore().quality }));
}

/**
 * The process's in-memory delivery ledger: the nodes that send record into it and the webhook
 * side joins statuses to it (pass it as the client's `ledger` and as `handleWebhookPost`'s).
 */
export function sharedLedger(): DeliveryLedger {
  return (registry().ledger ??= new DeliveryLedger({ store: new MemoryLedgerStore() }));
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
  /** A delivery ledger whose records live in Redis (keys `<keyPrefix>ledger:…`): one process sends, another hears the statuses. */
  readonly ledger: DeliveryLedger;
  /** The messaging-limit count in Redis (keys `<keyPrefix>mlimit:<portfolio>`), shared by every process. */
  readonly messagingLimit: MessagingLimit;
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
    ledger: new DeliveryLedger({ store: new RedisLedgerStore(connection), resends: new RedisResendStore(connection) }),
    messagingLimit: new MessagingLimit({ store: new RedisMessagingLimitStore(connection) }),
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

/** Removes a user's rows from state other parts keep (the delivery ledger); returns how many. */
export type ForgetHook = (userIds: readonly string[]) => number | Promise<number>;

/**
 * Everything core remembers between calls, behind ONE choice: the window tracker, the quality
 * guard and the deduplicator the send side and the webhook side share, the limiters, and
 * forgetting a user. Get it from {@link sharedState}.
 */
export interface SharedState {
  /** The store in use: `memory` when the embedded file could not be opened (see `problem`). */
  readonly kind: StateStoreKind;
  /** The store that was asked for. */
  readonly requested: StateStoreKind;
  readonly store: StateStore;
  readonly windowTracker: WindowTracker;
  readonly deduplicator: EventDeduplicator;
  readonly qualityGuard: QualityGuard;
  /**
   * The delivery ledger, in the same store: the nodes that send record into it, the webhook side
   * joins statuses to it. A forgotten user's rows go with {@link forgetUser}.
   */
  readonly ledger: DeliveryLedger;
  /**
   * The portfolio messaging limit's count of unique business-initiated recipients in 24 hours,
   * in the same store (shared across processes with Redis or one embedded file).
   */
  readonly messagingLimit: MessagingLimit;
  /** The number's limiter: per process (memory, embedded) or in Redis. */
  limiter(phoneNumberId: string, options?: LimiterOptions): RateLimiter;
  /**
   * Why the requested store is not (or no longer) in use: the file could not be opened or written.
   * State is then kept in memory; adapters show this loudly (node status, n8n error) and keep
   * answering webhooks.
   */
  readonly problem: WhatsAppError | undefined;
  /** The SQLite handle of the embedded store, for parts that keep their own tables (the delivery ledger). */
  readonly database?: SqliteDatabase;
  /** The Redis state (connection, limiters) when `kind` is redis. */
  readonly redis?: SharedRedisState;
  /**
   * Removes every trace of these users (WhatsApp ids, any formatting, or BSUIDs) from the store:
   * windows, quality records, seen-event keys that concern them, and the rows of every registered
   * hook. An opt-out from marketing is kept under a hashed id, so a forgotten user who asked for no
   * marketing is not sent marketing again (README "Forgetting a user").
   */
  forgetUser(userIds: string | readonly string[]): Promise<ForgetUserResult>;
  /** Registers a hook {@link forgetUser} runs (the delivery ledger's rows); returns a function that removes it. */
  onForget(hook: ForgetHook): () => void;
}

/** Which store {@link sharedState} uses, and where. */
export interface StateOptions {
  /** @default 'embedded' */
  kind?: StateStoreKind;
  /**
   * Embedded: the platform's user folder (Node-RED userDir, n8n ~/.n8n); the file is
   * `<folder>/wa-cloud/state.sqlite`. @default ~/.wa-cloud
   */
  folder?: string;
  /** Embedded: the file itself (wins over `folder`). */
  file?: string;
  /** Embedded: size bound, sweep, driver. */
  embedded?: Omit<EmbeddedStoreOptions, 'onProblem'>;
  /** Redis: connection and key prefix. */
  redis?: RedisOptions;
  /** How long seen webhook events are remembered (Meta redelivers for up to 7 days). @default 7 days */
  dedupeTtlMs?: number;
}

function newState(requested: StateStoreKind, store: StateStore, parts: Pick<SharedState, 'windowTracker' | 'deduplicator' | 'qualityGuard' | 'limiter' | 'ledger' | 'messagingLimit'> & { redis?: SharedRedisState; problem?: WhatsAppError }): SharedState {
  const hooks = new Set<ForgetHook>();
  // The ledger's rows of a forgotten user go too (every number's).
  const ledger = parts.ledger;
  hooks.add(async (ids) => {
    let removed = 0;
    for (const id of ids) removed += await ledger.forgetUser(id);
    return removed;
  });
  const fixedProblem = parts.problem;
  return {
    kind: store.kind,
    requested,
    store,
    windowTracker: parts.windowTracker,
    deduplicator: parts.deduplicator,
    qualityGuard: parts.qualityGuard,
    ledger,
    messagingLimit: parts.messagingLimit,
    limiter: parts.limiter,
    redis: parts.redis,
    get problem() {
      return fixedProblem ?? (store instanceof EmbeddedStateStore ? store.problem : undefined);
    },
    database: store instanceof EmbeddedStateStore ? store.db : undefined,
    async forgetUser(userIds) {
      const ids = typeof userIds === 'string' ? [userIds] : [...userIds];
      const { removed, quality } = await store.forgetUsers(ids);
      let hashedOptOuts = 0;
      for (const entry of quality) {
        const hashed = hashedOptOutKey(entry.key);
        if (hashed && entry.expiresAt > Date.now()) {
          await store.quality.extend(hashed, entry.expiresAt);
          hashedOptOuts += 1;
        }
      }
      let removedByHooks = 0;
      for (const hook of hooks) removedByHooks += await hook(ids);
      if (removedByHooks > 0 && store instanceof EmbeddedStateStore) await store.checkpoint();
      return { removed, hashedOptOuts, removedByHooks };
    },
    onForget(hook) {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
  };
}

function memoryState(problem?: WhatsAppError): SharedState {
  const parts = {
    windowTracker: sharedWindowTracker(),
    qualityGuard: sharedQualityGuard(),
    deduplicator: processDeduplicator(),
    ledger: sharedLedger(),
    messagingLimit: (registry().messagingLimit ??= new MessagingLimit({ store: new MemoryMessagingLimitStore() })),
    limiter: (phoneNumberId: string, options?: LimiterOptions) => sharedLimiter(phoneNumberId, options),
  };
  if (!problem) return (registry().memory ??= newState('memory', memoryStore(), parts));
  return newState('embedded', memoryStore(), { ...parts, problem });
}

function processDeduplicator(): EventDeduplicator {
  const reg = registry() as Registry & { deduplicator?: EventDeduplicator };
  return (reg.deduplicator ??= new EventDeduplicator(memoryStore().dedupe));
}

const RETRY_OPEN_MS = 60_000;

function embeddedState(file: string, options: StateOptions): SharedState {
  const reg = registry();
  const states = (reg.embedded ??= new Map());
  const existing = states.get(file);
  if (existing) return existing;
  const failures = (reg.failedOpens ??= new Map());
  const failed = failures.get(file);
  if (failed && Date.now() - failed.at < RETRY_OPEN_MS) return failed.state;
  let store: EmbeddedStateStore | undefined;
  let state: SharedState;
  try {
    store = new EmbeddedStateStore(file, options.embedded);
    const db = store.db;
    // The ledger and the messaging limit create their tables here: a file that opens but cannot
    // take them falls back like one that does not open.
    state = newState('embedded', store, {
      windowTracker: new WindowTracker(store.windows),
      qualityGuard: new QualityGuard({ store: store.quality }),
      deduplicator: new EventDeduplicator(store.dedupe, options.dedupeTtlMs ? { ttlMs: options.dedupeTtlMs } : {}),
      // On the same file, failing over to memory with the store's own tables (a full disk never fails a webhook).
      ledger: new DeliveryLedger({
        store: store.failover<LedgerStore>(new SqliteLedgerStore(db), new MemoryLedgerStore(), { putStatusForJoin: 'putStatus' }),
        resends: store.failover<ResendStore>(new SqliteResendStore(db), new MemoryResendStore()),
      }),
      messagingLimit: new MessagingLimit({ store: store.failover<MessagingLimitStore>(new SqliteMessagingLimitStore(db), new MemoryMessagingLimitStore()) }),
      // Pacing stays per process: the send budget is a rate, not something to remember.
      limiter: (phoneNumberId, limiterOptions) => sharedLimiter(phoneNumberId, limiterOptions),
    });
  } catch (error) {
    store?.close().catch(() => undefined);
    const problem = isWhatsAppError(error) && error.code === 'state_store_unavailable' ? error : storeFileError(file, error, 'open');
    process.emitWarning(problem.message, { code: 'WA_CLOUD_STATE_STORE_FALLBACK' });
    // The same memory state until the file opens: callers keep per-state things (n8n's re-sender, forget hooks).
    const fallback = failed?.state ?? memoryState(problem);
    failures.set(file, { at: Date.now(), error: problem, state: fallback });
    return fallback;
  }
  failures.delete(file);
  states.set(file, state);
  return state;
}

/**
 * The process's state for one choice of store, made once and reused by every caller (one SQLite
 * handle per file, one Redis connection per URL and prefix). The ONE place the store is chosen:
 * adapters pass the user's choice and their platform's user folder.
 *
 * - `embedded` (default): a SQLite file, `<folder>/wa-cloud/state.sqlite` (mode 0600, folder
 *   0700). When it cannot be opened, state is kept in memory and `problem` says why (naming the file).
 * - `memory`: this process only, lost on restart.
 * - `redis`: shared by every process with the same Redis and key prefix.
 *
 * @example
 * const state = sharedState({ kind: 'embedded', folder: RED.settings.userDir });
 * const client = new WhatsAppClient({ accessToken, phoneNumberId, limiter: state.limiter(phoneNumberId), window: { tracker: state.windowTracker }, quality: { guard: state.qualityGuard } });
 */
export function sharedState(options: StateOptions = {}): SharedState {
  const kind = options.kind ?? 'embedded';
  if (kind === 'memory') return memoryState();
  if (kind === 'redis') {
    const redis = sharedRedisState(options.redis);
    const reg = redisRegistry() as RedisRegistry & { states?: WeakMap<SharedRedisState, SharedState> };
    const states = (reg.states ??= new WeakMap());
    let state = states.get(redis);
    if (!state) {
      state = newState('redis', new RedisStateStore(redis.connection), { ...redis, redis });
      states.set(redis, state);
    }
    return state;
  }
  const file = options.file ?? (options.folder ? embeddedStoreFile(options.folder) : join(homedir(), '.wa-cloud', 'state.sqlite'));
  return embeddedState(file, options);
}

/** Closes every embedded store file and Redis connection the registry opened (tests, scripts). */
export async function closeSharedStates(): Promise<void> {
  const reg = registry();
  const states = [...(reg.embedded?.values() ?? [])];
  reg.embedded?.clear();
  reg.failedOpens?.clear();
  await Promise.all(states.map((state) => state.store.close()));
  await closeSharedRedis();
}
