import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SKIP_REDIS, START_REDIS } from '../../../../test/harness/prerequisites';

/** The Redis the tests use: REDIS_URL, else the one every project machine and CI runs. */
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * Only an explicit WA_SKIP_REDIS=1 skips the Redis tests, and then jest reports them as skipped
 * (test.skip); an unreachable Redis fails them with the command that starts it.
 */
export { SKIP_REDIS };

const START_HINT = `start it with: ${START_REDIS} (or set REDIS_URL); set WA_SKIP_REDIS=1 to have these tests reported as skipped`;

/** The URL without its password, for messages that end up in CI logs. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** A key prefix no other run (or test file) uses, so runs on one Redis never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `wa-test:${name}:${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}:`;
}

/** A plain client for assertions (TTL, raw values); the caller quits it. */
export function adminClient(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
}

/**
 * For beforeAll: resolves when Redis answers PING, throws a message that says how to start it when
 * it does not, and with WA_SKIP_REDIS=1 warns once and resolves (the tests then return early).
 */
export async function requireRedis(suite: string): Promise<void> {
  if (SKIP_REDIS) {
    console.warn(`\n!!! WA_SKIP_REDIS=1: the Redis tests of "${suite}" are SKIPPED (multi-process limiter, shared windows, dedupe). !!!\n`);
    return;
  }
  const client = adminClient();
  let firstError: Error | undefined;
  client.on('error', (error: Error) => (firstError ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (firstError ?? (error as Error)).message;
    throw new Error(`Redis is not reachable at ${redacted(REDIS_URL)} (${reason}) — ${START_HINT}`);
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (keys expire anyway; this keeps a shared Redis tidy). */
export async function deleteKeys(prefix: string): Promise<void> {
  if (SKIP_REDIS) return;
  const client = adminClient();
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A Redis test: registered with test.skip under WA_SKIP_REDIS=1, so the runner counts it as skipped, never as passed. */
export function redisTest(name: string, fn: () => Promise<void>, timeout?: number): void {
  (SKIP_REDIS ? test.skip : test)(name, fn, timeout);
}

/** A local port nothing listens on (for "Redis is down" tests). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
