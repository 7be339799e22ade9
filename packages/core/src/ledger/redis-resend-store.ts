import { redisScript, type RedisConnection } from '../redis/connection';
import type { ResendJob, ResendStore } from './resend-store';

/** KEYS: job hash, due index of its number. ARGV: id, pn, orig, n, code, due, keepUntil. Adds unless the job exists. */
const ADD_SCRIPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'pn', ARGV[2], 'orig', ARGV[3], 'n', ARGV[4], 'code', ARGV[5], 'due', ARGV[6], 'done', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 1
`);

/**
 * KEYS: due index. ARGV: now, lease end, limit, job key prefix. Takes the due jobs and moves each
 * one lease ahead in one step: of several processes calling at once, each job goes to one. Ids
 * whose hash expired are dropped from the index.
 */
const CLAIM_SCRIPT = redisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local k = ARGV[4] .. id
  local job = redis.call('HMGET', k, 'id', 'pn', 'orig', 'n', 'code', 'done')
  if job[1] and job[6] == '0' then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    redis.call('HSET', k, 'due', ARGV[2])
    table.insert(out, job[1]); table.insert(out, job[2]); table.insert(out, job[3]); table.insert(out, job[4]); table.insert(out, job[5])
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`);

/** KEYS: job hash, due index. ARGV: id. */
const FINISH_SCRIPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'done', '1') end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);

/**
 * Re-sends waiting in Redis, shared by every process with the same key prefix: `resend:j:<wamid>`
 * (a hash, expiring with the job's keep time) and `resend:due:<phone number ID>` (a sorted set by
 * due time). Adding and claiming are Lua scripts, so two processes hearing the same failure add one
 * job, and two processes checking at once re-send it once.
 */
export class RedisResendStore implements ResendStore {
  constructor(private readonly connection: RedisConnection) {}

  async add(job: ResendJob, keepUntil: number): Promise<boolean> {
    return this.connection.run('ledger', async (client) => {
      const added = await this.connection.evalScript(client, ADD_SCRIPT, [this.jobKey(job.failedId), this.dueKey(job.phoneNumberId)], [
        job.failedId,
        job.phoneNumberId,
        job.originalId,
        job.resend,
        job.code,
        Math.round(job.dueAt),
        Math.round(keepUntil),
      ]);
      return Number(added) === 1;
    });
  }

  async claimDue(phoneNumberId: string, now: number, leaseMs: number, limit: number): Promise<ResendJob[]> {
    return this.connection.run('ledger', async (client) => {
      const reply = (await this.connection.evalScript(client, CLAIM_SCRIPT, [this.dueKey(phoneNumberId)], [now, now + leaseMs, limit, this.connection.key('resend:j:')])) as string[];
      const jobs: ResendJob[] = [];
      for (let i = 0; i + 4 < reply.length; i += 5) {
        jobs.push({ failedId: reply[i]!, phoneNumberId: reply[i + 1]!, originalId: reply[i + 2]!, resend: Number(reply[i + 3]), code: Number(reply[i + 4]), dueAt: now + leaseMs });
      }
      return jobs;
    });
  }

  async finish(failedId: string): Promise<void> {
    await this.connection.run('ledger', async (client) => {
      const pn = await client.hget(this.jobKey(failedId), 'pn');
      await this.connection.evalScript(client, FINISH_SCRIPT, [this.jobKey(failedId), this.dueKey(pn ?? '')], [failedId]);
    });
  }

  async waiting(phoneNumberId?: string): Promise<ResendJob[]> {
    return this.connection.run('ledger', async (client) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${this.connection.key('resend:j:')}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      const jobs: ResendJob[] = [];
      for (const key of keys) {
        const row = await client.hgetall(key);
        if (!row.id || row.done !== '0' || (phoneNumberId !== undefined && row.pn !== phoneNumberId)) continue;
        jobs.push({ failedId: row.id, phoneNumberId: row.pn ?? '', originalId: row.orig ?? '', resend: Number(row.n), code: Number(row.code), dueAt: Number(row.due) });
      }
      return jobs.sort((a, b) => a.dueAt - b.dueAt);
    });
  }

  private jobKey(failedId: string): string {
    return this.connection.key(`resend:j:${failedId}`);
  }

  private dueKey(phoneNumberId: string): string {
    return this.connection.key(`resend:due:${phoneNumberId}`);
  }
}
