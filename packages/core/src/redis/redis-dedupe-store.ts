import type { WhatsAppError } from '../errors/whatsapp-error';
import { MemoryDedupeStore, type DedupeStore } from '../webhook/dedupe';
import { RedisConnection, type RedisOptions } from './connection';

/**
 * A {@link DedupeStore} in Redis: `SET ${keyPrefix}dedupe:${key} 1 NX PX ttl`, one atomic
 * command, so of several processes behind one webhook URL exactly one handles each event, and
 * keys expire on their own after the TTL (7 days by default, Meta's redelivery horizon).
 *
 * A Redis failure rejects with `shared_store_unavailable` (the webhook is then answered with an
 * error and Meta delivers it again later) unless `fallbackToLocal` is set (then an in-process store
 * is used, with a warning, and another process may handle the same event once more).
 *
 * @example
 * const dedupe = new EventDeduplicator(new RedisDedupeStore({ url: process.env.REDIS_URL }));
 */
export class RedisDedupeStore implements DedupeStore {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private local: MemoryDedupeStore | undefined;
  private fellBack = false;

  /**
   * @param redis connection settings (a connection is created and closed by {@link close}) or a
   *   {@link RedisConnection} shared with others (left open)
   */
  constructor(redis: RedisOptions | RedisConnection = {}) {
    this.ownsConnection = !(redis instanceof RedisConnection);
    this.connection = redis instanceof RedisConnection ? redis : new RedisConnection(redis);
  }

  async markIfNew(key: string, ttlMs: number, users?: readonly string[]): Promise<boolean> {
    try {
      // The value names the users the event concerns (or '1'), so forgetUser can find the key.
      const value = users?.length ? users.join(' ') : '1';
      const reply = await this.connection.run('dedupe', (client) =>
        client.set(this.connection.key(`dedupe:${key}`), value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'),
      );
      this.fellBack = false;
      return reply === 'OK';
    } catch (error) {
      if (!this.connection.fallbackToLocal) throw error;
      if (!this.fellBack) {
        this.fellBack = true;
        this.connection.reportFallback(error as WhatsAppError);
      }
      return (this.local ??= new MemoryDedupeStore()).markIfNew(key, ttlMs, users);
    }
  }

  /**
   * Forgets keys whose events could not be handed on, so Meta's redelivery is handled by whichever
   * process gets it (SET NX marks a key seen at once; this undoes it).
   */
  async release(keys: readonly string[]): Promise<void> {
    if (this.local) await this.local.release(keys);
    if (!keys.length) return;
    try {
      await this.connection.run('dedupe', (client) => client.del(...keys.map((key) => this.connection.key(`dedupe:${key}`))));
    } catch (error) {
      // Falling back to this process's memory (as markIfNew does): the keys were marked there.
      if (!this.connection.fallbackToLocal) throw error;
    }
  }

  /** Closes the connection if this store created it. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }
}
