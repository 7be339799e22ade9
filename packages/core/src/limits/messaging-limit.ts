import { createHash } from 'node:crypto';
import { WhatsAppError } from '../errors/whatsapp-error';
import { recipientKey } from '../ledger/merge';
import { redisScript, type RedisConnection } from '../redis/connection';
import type { SqliteDatabase } from '../store/sqlite-driver';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How a recipient is counted: the count only needs to tell recipients apart, so a hash keeps their
 * numbers out of the file and Redis (a forgotten user leaves nothing here, and still counts toward
 * the 24 hours, as Meta counts them).
 */
function countedAs(recipient: string): string {
  return createHash('sha256').update(recipientKey(recipient)).digest('base64url').slice(0, 22);
}

/**
 * Meta's messaging limit: unique users a business portfolio may start conversations with
 * (business-initiated templates, outside the 24-hour window) in a moving 24 hours. Since October
 * 2025 it is per portfolio, shared by all its numbers. `Infinity` for TIER_UNLIMITED.
 */
export const MESSAGING_LIMIT_TIERS: Readonly<Record<string, number>> = Object.freeze({
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1000,
  TIER_2K: 2000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: Infinity,
});

/** The number of unique recipients a tier allows, or undefined for an unknown tier (TIER_NOT_SET). */
export function tierLimit(tier: string | number | undefined): number | undefined {
  if (typeof tier === 'number') return tier < 0 ? Infinity : tier;
  return tier === undefined ? undefined : MESSAGING_LIMIT_TIERS[tier.toUpperCase()];
}

/** The tier name of a `business_capability_update` count (`max_daily_conversations_per_business`, -1 = unlimited). */
export function tierOfCount(count: number): string {
  if (count < 0) return 'TIER_UNLIMITED';
  const named = Object.entries(MESSAGING_LIMIT_TIERS).find(([, n]) => n === count);
  return named ? named[0] : `TIER_${count}`;
}

/** What a store answers for one business-initiated send. */
export interface AdmitResult {
  admitted: boolean;
  /** Unique recipients in the last 24 hours (after this one, when admitted). */
  count: number;
  /** When the oldest of them drops out of the 24 hours (the next free slot), epoch ms. */
  nextSlotAt?: number;
}

/** Where the 24-hour set of recipients of each portfolio lives (memory, embedded, Redis). */
export interface MessagingLimitStore {
  /**
   * Atomically: drops entries older than 24 h; a recipient already in the set is admitted without
   * counting again; a new one is added only while the set is below `limit`.
   */
  admit(portfolio: string, recipient: string, limit: number, now: number): Promise<AdmitResult>;
  /** Removes a recipient admitted for a send that Meta then refused outright (nothing went out). */
  release(portfolio: string, recipient: string): Promise<void>;
}

/** One process's count. */
export class MemoryMessagingLimitStore implements MessagingLimitStore {
  private readonly portfolios = new Map<string, Map<string, number>>();

  async admit(portfolio: string, recipient: string, limit: number, now: number): Promise<AdmitResult> {
    let set = this.portfolios.get(portfolio);
    if (!set) this.portfolios.set(portfolio, (set = new Map()));
    // Insertion order is time order: expired entries sit at the front.
    for (const [key, at] of set) {
      if (at > now - DAY_MS) break;
      set.delete(key);
    }
    const oldest = set.values().next().value as number | undefined;
    const nextSlotAt = oldest === undefined ? undefined : oldest + DAY_MS;
    if (set.has(recipient)) return { admitted: true, count: set.size, nextSlotAt };
    if (set.size >= limit) return { admitted: false, count: set.size, nextSlotAt };
    set.set(recipient, now);
    return { admitted: true, count: set.size, nextSlotAt: nextSlotAt ?? now + DAY_MS };
  }

  async release(portfolio: string, recipient: string): Promise<void> {
    this.portfolios.get(portfolio)?.delete(recipient);
  }
}

/**
 * KEYS[1] the portfolio's sorted set (member recipient, score first send). ARGV: recipient, limit
 * (-1 = none), now. Returns {admitted 0/1, count, oldest score or -1}.
 */
const ADMIT_SCRIPT = redisScript(`
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${DAY_MS})
local function oldest()
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return -1
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, redis.call('ZCARD', KEYS[1]), oldest()} end
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and count >= limit then return {0, count, oldest()} end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ${DAY_MS})
return {1, count + 1, oldest()}
`);

/** Every process on the same Redis and key prefix shares the count (`<prefix>mlimit:<portfolio>`). */
export class RedisMessagingLimitStore implements MessagingLimitStore {
  constructor(private readonly connection: RedisConnection) {}

  async admit(portfolio: string, recipient: string, limit: number, now: number): Promise<AdmitResult> {
    const reply = (await this.connection.run('limiter', (client) =>
      this.connection.evalScript(client, ADMIT_SCRIPT, [this.key(portfolio)], [recipient, Number.isFinite(limit) ? limit : -1, now]),
    )) as [number, number, number];
    const [admitted, count, oldest] = reply.map(Number) as [number, number, number];
    return { admitted: admitted === 1, count, ...(oldest >= 0 ? { nextSlotAt: oldest + DAY_MS } : {}) };
  }

  async release(portfolio: string, recipient: string): Promise<void> {
    await this.connection.run('limiter', (client) => client.zrem(this.key(portfolio), recipient));
  }

  private key(portfolio: string): string {
    return this.connection.key(`mlimit:${portfolio}`);
  }
}

/** In the embedded store's file (table `messaging_limit`): survives restarts, shared by processes on the file. */
export class SqliteMessagingLimitStore implements MessagingLimitStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS messaging_limit (portfolio TEXT NOT NULL, recipient TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (portfolio, recipient)) WITHOUT ROWID');
    db.exec('CREATE INDEX IF NOT EXISTS messaging_limit_at ON messaging_limit (portfolio, at)');
  }

  async admit(portfolio: string, recipient: string, limit: number, now: number): Promise<AdmitResult> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM messaging_limit WHERE portfolio = ? AND at <= ?').run(portfolio, now - DAY_MS);
      const stats = this.db.prepare('SELECT count(*) AS n, min(at) AS oldest FROM messaging_limit WHERE portfolio = ?').get(portfolio) as { n: number; oldest: number | null };
      const count = Number(stats.n);
      const nextSlotAt = stats.oldest === null ? undefined : Number(stats.oldest) + DAY_MS;
      if (this.db.prepare('SELECT 1 FROM messaging_limit WHERE portfolio = ? AND recipient = ?').get(portfolio, recipient)) return { admitted: true, count, nextSlotAt };
      if (count >= limit) return { admitted: false, count, nextSlotAt };
      this.db.prepare('INSERT INTO messaging_limit (portfolio, recipient, at) VALUES (?, ?, ?)').run(portfolio, recipient, now);
      return { admitted: true, count: count + 1, nextSlotAt: nextSlotAt ?? now + DAY_MS };
    });
  }

  async release(portfolio: string, recipient: string): Promise<void> {
    this.db.prepare('DELETE FROM messaging_limit WHERE portfolio = ? AND recipient = ?').run(portfolio, recipient);
  }
}

/**
 * A business-initiated send refused because the portfolio's messaging limit is reached. Thrown
 * before any request. Fix: wait until `nextSlotAt` (or use the hold option), reach fewer new people
 * a day, or raise the tier (verify the business; Meta raises it as quality allows).
 */
export class MessagingLimitError extends WhatsAppError {
  readonly tier: string;
  readonly limit: number;
  readonly count: number;
  readonly nextSlotAt: Date | undefined;

  constructor(tier: string, limit: number, count: number, nextSlotAt: Date | undefined) {
    const next = nextSlotAt ? `; the next slot frees at ${nextSlotAt.toISOString()}` : '';
    super(`Not sent: the messaging limit ${tier} (${limit} people in 24 hours) is reached: ${count} people got a business-initiated message in the last 24 hours${next}`, {
      code: 'messaging_limit_reached',
      category: 'rate_limit',
      retryable: true,
      hint: 'Wait until the next slot frees (or turn on "hold until a slot frees"), send to people who wrote in the last 24 hours (replies do not count), or raise the tier by verifying the business.',
    });
    this.name = 'MessagingLimitError';
    this.tier = tier;
    this.limit = limit;
    this.count = count;
    this.nextSlotAt = nextSlotAt;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), tier: this.tier, limit: this.limit, count: this.count, nextSlotAt: this.nextSlotAt?.toISOString() };
  }
}

export interface MessagingLimitOptions {
  /** @default a {@link MemoryMessagingLimitStore} */
  store?: MessagingLimitStore;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Counts unique recipients of business-initiated sends per business portfolio in a moving 24 hours
 * and refuses (or holds) a send to a new recipient over the tier. The tier comes from Meta (health
 * check, `business_capability_update`) or a setting; while it is unknown nothing is refused.
 */
export class MessagingLimit {
  readonly store: MessagingLimitStore;
  private readonly now: () => number;
  private readonly tiers = new Map<string, string>();

  constructor(options: MessagingLimitOptions = {}) {
    this.store = options.store ?? new MemoryMessagingLimitStore();
    this.now = options.now ?? Date.now;
  }

  /** Records a portfolio's tier (TIER_250 …); an unknown name is kept and refuses nothing. */
  setTier(portfolio: string, tier: string): void {
    this.tiers.set(portfolio, tier.toUpperCase());
  }

  tier(portfolio: string): string | undefined {
    return this.tiers.get(portfolio);
  }

  /**
   * Admits a business-initiated send to `recipient` (counted once per 24 hours), or throws
   * {@link MessagingLimitError}. With `hold`, waits for the next free slot instead (up to `maxHoldMs`).
   */
  async admit(portfolio: string, recipient: string, options: { tier?: string; hold?: boolean; maxHoldMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<AdmitResult> {
    const tier = options.tier ?? this.tiers.get(portfolio);
    const limit = tierLimit(tier);
    if (tier === undefined || limit === undefined || limit === Infinity) return { admitted: true, count: 0 };
    const key = countedAs(recipient);
    const started = this.now();
    for (;;) {
      const result = await this.store.admit(portfolio, key, limit, this.now());
      if (result.admitted) return result;
      const wait = (result.nextSlotAt ?? this.now() + 1000) - this.now();
      if (!options.hold || this.now() + wait - started > (options.maxHoldMs ?? DAY_MS)) {
        throw new MessagingLimitError(tier, limit, result.count, result.nextSlotAt ? new Date(result.nextSlotAt) : undefined);
      }
      // Checked again every second: another process, a released slot or a raised tier may free one sooner.
      const ms = Math.max(10, Math.min(wait, 1000));
      await (options.sleep ? options.sleep(ms) : new Promise<void>((resolve) => setTimeout(resolve, ms)));
    }
  }

  /** Gives a slot back (the send was refused by Meta before it went out). */
  release(portfolio: string, recipient: string): Promise<void> {
    return this.store.release(portfolio, countedAs(recipient));
  }
}
