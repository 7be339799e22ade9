import type { Redis } from 'ioredis';
import type { WhatsAppError } from '../errors/whatsapp-error';
import { RedisConnection, redisScript, type RedisOptions } from '../redis/connection';
import { recipientKey, recordToRow, rowToRecord, type LedgerRow } from './merge';
import { MemoryLedgerStore } from './memory-ledger-store';
import { matches } from './query';
import { STATUS_RANK, statusRank, type DeliveryRecord, type LedgerFilterQuery, type LedgerQuery, type LedgerSend, type LedgerStatusUpdate, type LedgerStore } from './types';

/**
 * A send joins its record (mergeSend in merge.ts, atomically). KEYS: record, time index,
 * reference index, recipient index. ARGV: id, sentAt, expireAt, hasReference, then the send's
 * fields as name/value pairs. The status is left alone when one is already there.
 */
const SEND_SCRIPT = redisScript(`
local k = KEYS[1]
redis.call('HSET', k, unpack(ARGV, 5))
if redis.call('HEXISTS', k, 'st') == 0 then redis.call('HSET', k, 'st', 'accepted', 'rank', '0', 'stAt', ARGV[2]) end
local t = redis.call('HGET', k, 't_accepted')
if (not t) or tonumber(t) > tonumber(ARGV[2]) then redis.call('HSET', k, 't_accepted', ARGV[2]) end
if tonumber(redis.call('HGET', k, 'rank') or '0') >= ${STATUS_RANK.delivered} then redis.call('HDEL', k, 'req') end
redis.call('PEXPIREAT', k, ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[4], ARGV[3], 'GT')
if redis.call('PTTL', KEYS[4]) < 0 then redis.call('PEXPIREAT', KEYS[4], ARGV[3]) end
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('PEXPIREAT', KEYS[3], ARGV[3], 'GT')
  if redis.call('PTTL', KEYS[3]) < 0 then redis.call('PEXPIREAT', KEYS[3], ARGV[3]) end
end
return 1
`);

/**
 * A status joins its record (mergeStatus in merge.ts, atomically) and the record is returned.
 * KEYS: record, time index, reference index, recipient index. ARGV: id, phoneNumberId, status,
 * rank, at, expireAt, recipient, reference, error JSON, pricing JSON, hasRecipient, hasReference.
 */
const STATUS_SCRIPT = redisScript(`
local k = KEYS[1]
local fresh = redis.call('EXISTS', k) == 0
local rank = tonumber(ARGV[4])
local at = ARGV[5]
if fresh then redis.call('HSET', k, 'id', ARGV[1], 'pn', ARGV[2]) end
if rank >= 0 then
  local f = 't_' .. ARGV[3]
  local t = redis.call('HGET', k, f)
  if (not t) or tonumber(t) > tonumber(at) then redis.call('HSET', k, f, at) end
end
if ARGV[3] == 'failed' and ARGV[9] ~= '' and redis.call('HEXISTS', k, 'err') == 0 then redis.call('HSET', k, 'err', ARGV[9]) end
if ARGV[10] ~= '' then
  local current = redis.call('HGET', k, 'price')
  if current then
    local merged = cjson.decode(current)
    for key, value in pairs(cjson.decode(ARGV[10])) do merged[key] = value end
    redis.call('HSET', k, 'price', cjson.encode(merged))
  else
    redis.call('HSET', k, 'price', ARGV[10])
  end
end
local expireAt = ARGV[6]
if not fresh then
  local left = redis.call('PTTL', k)
  if left > 0 then expireAt = tostring(redis.call('TIME')[1] * 1000 + left) end
end
if ARGV[11] == '1' and redis.call('HEXISTS', k, 'to') == 0 then
  redis.call('HSET', k, 'to', ARGV[7])
  redis.call('ZADD', KEYS[4], at, ARGV[1])
  redis.call('PEXPIREAT', KEYS[4], expireAt, 'GT')
  if redis.call('PTTL', KEYS[4]) < 0 then redis.call('PEXPIREAT', KEYS[4], expireAt) end
end
if ARGV[12] == '1' and redis.call('HEXISTS', k, 'ref') == 0 then
  redis.call('HSET', k, 'ref', ARGV[8])
  redis.call('ZADD', KEYS[3], at, ARGV[1])
  redis.call('PEXPIREAT', KEYS[3], expireAt, 'GT')
  if redis.call('PTTL', KEYS[3]) < 0 then redis.call('PEXPIREAT', KEYS[3], expireAt) end
end
local current = -2
if not fresh then current = tonumber(redis.call('HGET', k, 'rank') or '-1') end
if rank > current then redis.call('HSET', k, 'st', ARGV[3], 'rank', ARGV[4], 'stAt', at) end
if rank >= ${STATUS_RANK.delivered} then redis.call('HDEL', k, 'req') end
if fresh then
  redis.call('PEXPIREAT', k, ARGV[6])
  redis.call('ZADD', KEYS[2], at, ARGV[1])
end
return redis.call('HGETALL', k)
`);

/** Links a failed record to its re-send, only while the record exists (never recreates an expired one). */
const LINK_SCRIPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'ras', ARGV[1]) end
return 1
`);

/** Ids read from an index per round trip. */
const PAGE = 500;

export interface RedisLedgerStoreOptions {
  /** Most records kept; the oldest go first on a sweep. @default 5_000_000 */
  maxRecords?: number;
}

/**
 * Ledger records in Redis, shared by every process with the same key prefix (one process sends,
 * another hears the statuses). Keys: `${keyPrefix}ledger:m:<wamid>` (a hash, expiring with the
 * record), `ledger:t` (every record by time), `ledger:r:<reference>` and `ledger:u:<recipient>`
 * (look-up indexes, expiring with their newest record). Merges run as Lua scripts, so two
 * processes writing one record at once cannot lose a status.
 *
 * A Redis failure rejects with `shared_store_unavailable` unless `fallbackToLocal` is set (then
 * an in-process store is used, with a warning).
 */
export class RedisLedgerStore implements LedgerStore {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly maxRecords: number;
  private local: MemoryLedgerStore | undefined;
  private fellBack = false;

  constructor(redis: RedisOptions | RedisConnection = {}, options: RedisLedgerStoreOptions = {}) {
    this.ownsConnection = !(redis instanceof RedisConnection);
    this.connection = redis instanceof RedisConnection ? redis : new RedisConnection(redis);
    this.maxRecords = options.maxRecords ?? 5_000_000;
  }

  async putSend(send: LedgerSend, expiresAt: number): Promise<void> {
    const row = recordToRow({ ...send, status: 'accepted', statusAt: send.sentAt, statusTimes: {} });
    // The status fields belong to the script (a status may already be there).
    delete row.st;
    delete row.rank;
    delete row.stAt;
    const fields = Object.entries(row).flat();
    await this.call(
      async (client) =>
        void (await this.connection.evalScript(client, SEND_SCRIPT, this.keys(send.messageId, send.reference, send.recipient), [
          send.messageId,
          send.sentAt.getTime(),
          Math.round(expiresAt),
          send.reference !== undefined ? '1' : '0',
          ...fields,
        ])),
      (local) => local.putSend(send, expiresAt),
    );
  }

  async putStatus(update: LedgerStatusUpdate, expiresAt: number): Promise<DeliveryRecord> {
    return this.call(
      async (client) => {
        const reply = (await this.connection.evalScript(client, STATUS_SCRIPT, this.keys(update.messageId, update.reference, update.recipient), [
          update.messageId,
          update.phoneNumberId,
          update.status,
          statusRank(update.status),
          update.at.getTime(),
          Math.round(expiresAt),
          update.recipient ?? '',
          update.reference ?? '',
          update.error ? JSON.stringify(update.error) : '',
          update.pricing ? JSON.stringify(update.pricing) : '',
          update.recipient ? '1' : '0',
          update.reference !== undefined ? '1' : '0',
        ])) as string[];
        const row: LedgerRow = {};
        for (let i = 0; i + 1 < reply.length; i += 2) row[reply[i]!] = reply[i + 1]!;
        return rowToRecord(row)!;
      },
      (local) => local.putStatus(update, expiresAt),
    );
  }

  async linkResend(messageId: string, resentAs: string): Promise<void> {
    await this.call(
      async (client) => void (await this.connection.evalScript(client, LINK_SCRIPT, [this.recordKey(messageId)], [resentAs])),
      (local) => local.linkResend(messageId, resentAs),
    );
  }

  async get(messageId: string): Promise<DeliveryRecord | undefined> {
    return this.call(
      async (client) => rowToRecord(await client.hgetall(this.recordKey(messageId))),
      (local) => local.get(messageId),
    );
  }

  async query(query: LedgerQuery): Promise<DeliveryRecord[]> {
    return this.call(
      async (client) => {
        const index = this.indexOf(query);
        const max = query.until ? `(${query.until.getTime()}` : '+inf';
        const min = query.since ? String(query.since.getTime()) : '-inf';
        const found: DeliveryRecord[] = [];
        for (let offset = 0; found.length < query.limit; offset += PAGE) {
          const ids = await client.zrevrangebyscore(index, max, min, 'LIMIT', offset, PAGE);
          if (ids.length === 0) break;
          const pipeline = client.pipeline();
          for (const id of ids) pipeline.hgetall(this.recordKey(id));
          const rows = (await pipeline.exec()) ?? [];
          for (const [error, row] of rows) {
            if (error) throw error;
            const record = rowToRecord(row as LedgerRow);
            if (record && matches(record, query)) found.push(record);
            if (found.length >= query.limit) break;
          }
          if (ids.length < PAGE) break;
        }
        return found;
      },
      (local) => local.query(query),
    );
  }

  /** Pages of the index, newest first; while Redis is down, the local fallback's records. */
  async scan(query: LedgerFilterQuery, visit: (page: DeliveryRecord[]) => void): Promise<void> {
    await this.call(
      async (client) => {
        const index = this.indexOf(query);
        const max = query.until ? `(${query.until.getTime()}` : '+inf';
        const min = query.since ? String(query.since.getTime()) : '-inf';
        for (let offset = 0; ; offset += PAGE) {
          const ids = await client.zrevrangebyscore(index, max, min, 'LIMIT', offset, PAGE);
          if (ids.length === 0) return;
          const pipeline = client.pipeline();
          for (const id of ids) pipeline.hgetall(this.recordKey(id));
          const page: DeliveryRecord[] = [];
          for (const [error, row] of (await pipeline.exec()) ?? []) {
            if (error) throw error;
            const record = rowToRecord(row as LedgerRow);
            if (record && matches(record, query)) page.push(record);
          }
          visit(page);
          if (ids.length < PAGE) return;
        }
      },
      async (local) => visit(await local.query({ ...query, limit: Number.MAX_SAFE_INTEGER })),
    );
  }

  async forgetRecipient(recipient: string, phoneNumberId?: string): Promise<number> {
    return this.call(
      async (client) => {
        const userIndex = this.connection.key(`ledger:u:${recipientKey(recipient)}`);
        const ids = await client.zrange(userIndex, 0, -1);
        let removed = 0;
        for (const id of ids) {
          const key = this.recordKey(id);
          if (phoneNumberId !== undefined && (await client.hget(key, 'pn')) !== phoneNumberId) continue;
          const ref = await client.hget(key, 'ref');
          const multi = client.multi().del(key).zrem(this.connection.key('ledger:t'), id).zrem(userIndex, id);
          if (ref !== null) multi.zrem(this.connection.key(`ledger:r:${ref}`), id);
          await multi.exec();
          removed += 1;
        }
        return removed;
      },
      (local) => local.forgetRecipient(recipient, phoneNumberId),
    );
  }

  /**
   * Records expire on their own (PEXPIREAT); the sweep removes their ids from the time index
   * (oldest first, stopping at the first page still alive) and trims to `maxRecords`.
   */
  async sweep(_now: number): Promise<number> {
    return this.call(
      async (client) => {
        const timeIndex = this.connection.key('ledger:t');
        let removed = 0;
        for (;;) {
          const ids = await client.zrange(timeIndex, 0, PAGE - 1);
          if (ids.length === 0) break;
          const pipeline = client.pipeline();
          for (const id of ids) pipeline.exists(this.recordKey(id));
          const alive = ((await pipeline.exec()) ?? []).map(([, exists]) => exists === 1);
          const gone = ids.filter((_, i) => !alive[i]);
          if (gone.length) await client.zrem(timeIndex, ...gone);
          removed += gone.length;
          if (gone.length < ids.length) break;
        }
        const over = (await client.zcard(timeIndex)) - this.maxRecords;
        if (over > 0) {
          const oldest = await client.zrange(timeIndex, 0, over - 1);
          for (let i = 0; i < oldest.length; i += PAGE) {
            const batch = oldest.slice(i, i + PAGE);
            await client.multi().del(...batch.map((id) => this.recordKey(id))).zrem(timeIndex, ...batch).exec();
          }
          removed += oldest.length;
        }
        return removed;
      },
      (local) => local.sweep(_now),
    );
  }

  async count(): Promise<number> {
    return this.call(
      (client) => client.zcard(this.connection.key('ledger:t')),
      (local) => local.count(),
    );
  }

  /** Closes the connection if this store created it. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  private recordKey(messageId: string): string {
    return this.connection.key(`ledger:m:${messageId}`);
  }

  private keys(messageId: string, reference: string | undefined, recipient: string | undefined): string[] {
    return [
      this.recordKey(messageId),
      this.connection.key('ledger:t'),
      this.connection.key(`ledger:r:${reference ?? ''}`),
      this.connection.key(`ledger:u:${recipient ? recipientKey(recipient) : ''}`),
    ];
  }

  /** The sorted set a query walks: by reference, by recipient, or every record by time. */
  private indexOf(query: LedgerFilterQuery): string {
    if (query.reference !== undefined) return this.connection.key(`ledger:r:${query.reference}`);
    if (query.recipient !== undefined) return this.connection.key(`ledger:u:${recipientKey(query.recipient)}`);
    return this.connection.key('ledger:t');
  }

  private async call<T>(remote: (client: Redis) => Promise<T>, local: (store: MemoryLedgerStore) => Promise<T>): Promise<T> {
    try {
      const result = await this.connection.run('ledger', remote);
      this.fellBack = false;
      return result;
    } catch (error) {
      if (!this.connection.fallbackToLocal) throw error;
      if (!this.fellBack) {
        this.fellBack = true;
        this.connection.reportFallback(error as WhatsAppError);
      }
      return local((this.local ??= new MemoryLedgerStore()));
    }
  }
}
