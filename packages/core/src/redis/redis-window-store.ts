import type { Redis } from 'ioredis';
import type { WhatsAppError } from '../errors/whatsapp-error';
import { MemoryKeyedExpiryStore, type WindowStore } from '../window/window-store';
import { RedisConnection, redisScript, type RedisOptions } from './connection';

/**
 * Keeps the later of the stored and the new expiry, atomically: two webhook processes recording
 * a newer and an older (redelivered) message at once must end with the newer one's window. The key expires on its
 * own at the window's end (PEXPIREAT), so closed windows cost no memory.
 *
 * KEYS[1] window key; ARGV[1] expiry (epoch ms). Returns 1 when stored, 0 when a later one stays.
 */
const EXTEND_SCRIPT = redisScript(`
local current = tonumber(redis.call('GET', KEYS[1]))
local expiresAt = tonumber(ARGV[1])
if current ~= nil and current >= expiresAt then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`);

/**
 * A {@link WindowStore} in Redis, so the process that hears a user (the webhook) and the processes
 * that reply (n8n queue workers, other Node-RED instances) agree on the 24-hour window.
 *
 * Keys: `${keyPrefix}window:${phoneNumberId}:${user}` holding the expiry in epoch ms, expiring at
 * that time. A Redis failure rejects with `shared_store_unavailable` unless `fallbackToLocal` is
 * set (then an in-process store is used, with a warning).
 *
 * @example
 * const tracker = new WindowTracker(new RedisWindowStore({ url: process.env.REDIS_URL }));
 */
export class RedisWindowStore implements WindowStore {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private local: MemoryKeyedExpiryStore | undefined;
  private fellBack = false;

  /**
   * @param redis connection settings (a connection is created and closed by {@link close}) or a
   *   {@link RedisConnection} shared with others (left open)
   */
  constructor(redis: RedisOptions | RedisConnection = {}) {
    this.ownsConnection = !(redis instanceof RedisConnection);
    this.connection = redis instanceof RedisConnection ? redis : new RedisConnection(redis);
  }

  async getExpiry(key: string): Promise<number | undefined> {
    return this.call(
      async (client) => {
        const value = await client.get(this.redisKey(key));
        const expiresAt = value === null ? NaN : Number(value);
        // PEXPIREAT runs on the Redis clock; this check covers a reader whose clock is ahead.
        return Number.isFinite(expiresAt) && expiresAt > Date.now() ? expiresAt : undefined;
      },
      (local) => local.getExpiry(key),
    );
  }

  async getExpiries(keys: readonly string[]): Promise<Array<number | undefined>> {
    if (keys.length === 0) return [];
    return this.call(
      async (client) => {
        const values = await client.mget(...keys.map((key) => this.redisKey(key)));
        const now = Date.now();
        return values.map((value) => {
          const expiresAt = value === null ? NaN : Number(value);
          return Number.isFinite(expiresAt) && expiresAt > now ? expiresAt : undefined;
        });
      },
      (local) => Promise.all(keys.map((key) => local.getExpiry(key))),
    );
  }

  async extend(key: string, expiresAt: number): Promise<void> {
    await this.call(
      async (client) => void (await this.connection.evalScript(client, EXTEND_SCRIPT, [this.redisKey(key)], [Math.round(expiresAt)])),
      (local) => local.extend(key, expiresAt),
    );
  }

  async delete(key: string): Promise<void> {
    await this.call(
      async (client) => void (await client.del(this.redisKey(key))),
      (local) => local.delete(key),
    );
  }

  /** Closes the connection if this store created it. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  private redisKey(key: string): string {
    return this.connection.key(`window:${key}`);
  }

  private async call<T>(remote: (client: Redis) => Promise<T>, local: (store: MemoryKeyedExpiryStore) => Promise<T>): Promise<T> {
    try {
      const result = await this.connection.run('window', remote);
      this.fellBack = false;
      return result;
    } catch (error) {
      if (!this.connection.fallbackToLocal) throw error;
      if (!this.fellBack) {
        this.fellBack = true;
        this.connection.reportFallback(error as WhatsAppError);
      }
      return local((this.local ??= new MemoryKeyedExpiryStore()));
    }
  }
}
