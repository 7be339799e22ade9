import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection';
import { RedisDedupeStore } from '../redis/redis-dedupe-store';
import { RedisWindowStore } from '../redis/redis-window-store';
import { keyBelongsTo, storeUserId, type RemovedEntry, type StateStore } from './state-store';

/**
 * State in Redis, shared by every process with the same Redis and key prefix (n8n queue mode,
 * several Node-RED instances). Keys: `<prefix>window:<pnid>:<user>`, `<prefix>window:quality:…`,
 * `<prefix>dedupe:<event key>` holding the users the event concerns.
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  readonly windows: RedisWindowStore;
  readonly quality: RedisWindowStore;
  readonly dedupe: RedisDedupeStore;

  constructor(readonly connection: RedisConnection) {
    this.windows = new RedisWindowStore(connection);
    this.quality = this.windows; // same key space as before this store existed: window:quality:…
    this.dedupe = new RedisDedupeStore(connection);
  }

  get location(): string {
    return `Redis at ${this.connection.address}`;
  }

  /** SCANs the prefix's window and dedupe keys (a rare, admin-time operation: O(keys), never blocking Redis). */
  async forgetUsers(userIds: readonly string[]): Promise<{ removed: number; quality: RemovedEntry[] }> {
    const users = userIds.map(storeUserId).filter(Boolean);
    const windowPrefix = this.connection.key('window:');
    const dedupePrefix = this.connection.key('dedupe:');
    return this.connection.run('window', async (client) => {
      let removed = 0;
      const quality: RemovedEntry[] = [];
      for (const user of users) {
        for (const key of await scanAll(client, `${globEscape(windowPrefix)}*:${globEscape(user)}`)) {
          const inner = key.slice(windowPrefix.length);
          if (!keyBelongsTo(inner, user)) continue;
          if (inner.startsWith('quality:')) {
            const expiresAt = Number(await client.get(key));
            if (Number.isFinite(expiresAt)) quality.push({ key: inner, expiresAt });
          }
          removed += await client.del(key);
        }
      }
      const dedupeKeys = await scanAll(client, `${globEscape(dedupePrefix)}*`);
      for (let i = 0; i < dedupeKeys.length; i += 500) {
        const batch = dedupeKeys.slice(i, i + 500);
        const values = await client.mget(...batch);
        const mine = batch.filter((_, j) => (values[j] ?? '').split(' ').some((owner) => users.includes(owner)));
        if (mine.length) removed += await client.del(...mine);
      }
      return { removed, quality };
    });
  }

  async close(): Promise<void> {
    // The connection belongs to the registry (sharedRedisState), which closes it.
  }
}

async function scanAll(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
