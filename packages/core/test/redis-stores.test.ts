import { Redis } from 'ioredis';
import { isWhatsAppError } from '../src/errors/whatsapp-error';
import { RedisConnection } from '../src/redis/connection';
import { RedisDedupeStore } from '../src/redis/redis-dedupe-store';
import { RedisWindowStore } from '../src/redis/redis-window-store';
import { closeSharedRedis, sharedRedisState } from '../src/registry';
import { EventDeduplicator } from '../src/webhook/dedupe';
import { handleWebhookPost } from '../src/webhook/handle';
import { SERVICE_WINDOW_MS, WindowTracker } from '../src/window/window-tracker';
import { REDIS_URL, SKIP_REDIS, adminClient, deleteKeys, redisTest, requireRedis, uniquePrefix, closedPort, rejection } from './support/redis-env';

const PREFIX = uniquePrefix('stores');
const PHONE = '106540352242922';
let admin: Redis;
const closers: Array<() => Promise<void>> = [];

function connection(): RedisConnection {
  const created = new RedisConnection({ url: REDIS_URL, keyPrefix: PREFIX });
  closers.push(() => created.close());
  return created;
}



beforeAll(async () => {
  await requireRedis('redis-stores');
  admin = adminClient();
  admin.on('error', () => undefined);
  if (!SKIP_REDIS) await admin.connect();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await closeSharedRedis();
  await deleteKeys(PREFIX);
  admin?.disconnect();
});

describe('RedisWindowStore', () => {
  redisTest('extend keeps the later expiry, sets the expiry on the key, and delete forgets it', async () => {
    const store = new RedisWindowStore(connection());
    const key = `${PHONE}:14155550001`;
    const in24h = Date.now() + SERVICE_WINDOW_MS;
    const in72h = Date.now() + 3 * SERVICE_WINDOW_MS;

    await store.extend(key, in72h);
    await store.extend(key, in24h); // a 24 h window never shortens a 72 h referral window
    expect(await store.getExpiry(key)).toBe(in72h);
    expect(await admin.get(`${PREFIX}window:${key}`)).toBe(String(in72h));
    const ttl = await admin.pttl(`${PREFIX}window:${key}`);
    expect(ttl).toBeGreaterThan(3 * SERVICE_WINDOW_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(3 * SERVICE_WINDOW_MS);

    const later = in72h + 1000;
    await store.extend(key, later);
    expect(await store.getExpiry(key)).toBe(later);

    await store.delete(key);
    expect(await store.getExpiry(key)).toBeUndefined();
    expect(await admin.exists(`${PREFIX}window:${key}`)).toBe(0);
  });

  redisTest('getExpiries reads several keys in one call, in order, undefined where none is stored or it is past', async () => {
    const store = new RedisWindowStore(connection());
    const [a, b, c] = ['14155550011', '14155550012', '14155550013'].map((user) => `${PHONE}:${user}`);
    const later = Date.now() + SERVICE_WINDOW_MS;
    await store.extend(a!, later);
    await store.extend(c!, later + 1);
    await admin.set(`${PREFIX}window:${b}`, String(Date.now() - 1000)); // past (a reader whose clock is ahead)
    expect(await store.getExpiries([c!, b!, a!, `${PHONE}:14155550014`])).toEqual([later + 1, undefined, later, undefined]);
    expect(await store.getExpiries([])).toEqual([]);
  });

  redisTest('keys expire on their own at the window end', async () => {
    const store = new RedisWindowStore(connection());
    const key = `${PHONE}:14155550002`;
    await store.extend(key, Date.now() + 150);
    expect(await store.getExpiry(key)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.getExpiry(key)).toBeUndefined();
    expect(await admin.exists(`${PREFIX}window:${key}`)).toBe(0);
  });

  redisTest('concurrent extends from two processes end with the latest expiry', async () => {
    const a = new RedisWindowStore(connection());
    const b = new RedisWindowStore(connection());
    const key = `${PHONE}:14155550003`;
    const base = Date.now() + SERVICE_WINDOW_MS;
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).extend(key, base + ((i * 7919) % 40) * 1000)));
    expect(await a.getExpiry(key)).toBe(base + 39_000);
  });

  redisTest('a window recorded by the webhook process is open for a sending process', async () => {
    const webhookSide = new WindowTracker(new RedisWindowStore(connection()));
    const sendingSide = new WindowTracker(new RedisWindowStore(connection()));
    const at = new Date(Date.now() - 1000);
    await webhookSide.recordInbound(PHONE, '+1 415 555 0004', at);
    const status = await sendingSide.status(PHONE, '14155550004');
    expect(status).toEqual({ open: true, expiresAt: new Date(at.getTime() + SERVICE_WINDOW_MS) });
    await sendingSide.close(PHONE, '+14155550004');
    expect((await webhookSide.status(PHONE, '14155550004')).open).toBe(false);
  });
});

describe('RedisDedupeStore', () => {
  redisTest('two processes: each key is new exactly once, with a TTL on the key', async () => {
    const a = new RedisDedupeStore(connection());
    const b = new RedisDedupeStore(connection());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).markIfNew('m:1:wamid.X', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const ttl = await admin.pttl(`${PREFIX}dedupe:m:1:wamid.X`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await a.markIfNew('m:1:wamid.Y', 60_000)).toBe(true);
  });

  redisTest('a key is new again after its TTL', async () => {
    const store = new RedisDedupeStore(connection());
    expect(await store.markIfNew('m:1:wamid.T', 100)).toBe(true);
    expect(await store.markIfNew('m:1:wamid.T', 100)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.markIfNew('m:1:wamid.T', 100)).toBe(true);
  });

  redisTest('release: a key whose event was not handed on is new again, for any process', async () => {
    const a = new RedisDedupeStore(connection());
    const b = new RedisDedupeStore(connection());
    expect(await a.markIfNew('m:1:wamid.R1', 60_000)).toBe(true);
    expect(await a.markIfNew('m:1:wamid.R2', 60_000)).toBe(true);
    await a.release(['m:1:wamid.R1']);
    expect(await admin.exists(`${PREFIX}dedupe:m:1:wamid.R1`)).toBe(0);
    expect(await b.markIfNew('m:1:wamid.R1', 60_000)).toBe(true);
    expect(await b.markIfNew('m:1:wamid.R2', 60_000)).toBe(false);
  });

  redisTest('EventDeduplicators of two processes drop each other\'s redeliveries', async () => {
    const events = [
      { kind: 'message', phoneNumberId: PHONE, messageId: 'wamid.D1' },
      { kind: 'message', phoneNumberId: PHONE, messageId: 'wamid.D2' },
    ] as never[];
    const first = new EventDeduplicator(new RedisDedupeStore(connection()));
    const second = new EventDeduplicator(new RedisDedupeStore(connection()));
    expect(await first.filter(events)).toHaveLength(2);
    expect(await second.filter(events)).toHaveLength(0);
  });
});

describe('handleWebhookPost with redis', () => {
  redisTest('dedupes across calls and records the window where a sending process sees it', async () => {
    const now = Date.now();
    const body = Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'W',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550001234', phone_number_id: PHONE },
                  contacts: [{ profile: { name: 'Ada' }, wa_id: '14155550005' }],
                  messages: [{ from: '14155550005', id: `wamid.H${now}`, timestamp: String(Math.floor(now / 1000)), type: 'text', text: { body: 'hi' } }],
                },
              },
            ],
          },
        ],
      }),
    );
    const redis = { url: REDIS_URL, keyPrefix: PREFIX };
    const first = await handleWebhookPost({ rawBody: body, headers: {}, appSecret: 'x', verify: false, redis });
    expect(first).toMatchObject({ duplicates: 0 });
    expect(first.events).toHaveLength(1);
    // Another process (its own connection) receives Meta's redelivery.
    const other = new EventDeduplicator(new RedisDedupeStore(connection()));
    const again = await handleWebhookPost({ rawBody: body, headers: {}, appSecret: 'x', verify: false, deduplicator: other, redis });
    expect(again).toMatchObject({ events: [], duplicates: 1 });
    // One connection per URL and prefix in the process.
    expect(sharedRedisState(redis)).toBe(sharedRedisState({ ...redis }));

    const sender = new WindowTracker(new RedisWindowStore(connection()));
    expect((await sender.status(PHONE, '+14155550005')).open).toBe(true);
  });
});

describe('outage', () => {
  redisTest('every store fails fast with shared_store_unavailable, naming host:port and never the password', async () => {
    const port = await closedPort();
    const down = new RedisConnection({ url: `redis://:hunter2@127.0.0.1:${port}`, keyPrefix: PREFIX });
    closers.push(() => down.close());
    const windows = new RedisWindowStore(down);
    const dedupe = new RedisDedupeStore(down);
    const started = Date.now();
    for (const call of [windows.getExpiry('k'), windows.extend('k', Date.now() + 1000), windows.delete('k'), dedupe.markIfNew('k', 1000)]) {
      const error = await rejection(call);
      expect(isWhatsAppError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'shared_store_unavailable', category: 'network', retryable: true });
      expect(error.hint).toContain(`Redis at 127.0.0.1:${port} is unreachable: start it, or correct the shared store's address and password`);
      expect(JSON.stringify({ ...error.toJSON(), message: error.message })).not.toContain('hunter2');
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });

  redisTest('fallbackToLocal: the stores carry on in memory and warn once', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const down = new RedisConnection({ url: `redis://127.0.0.1:${port}`, fallbackToLocal: true, onFallback: (error) => warnings.push(error.code) });
    closers.push(() => down.close());
    const windows = new RedisWindowStore(down);
    const expiresAt = Date.now() + 60_000;
    await windows.extend('k', expiresAt);
    expect(await windows.getExpiry('k')).toBe(expiresAt);
    const dedupe = new RedisDedupeStore(down);
    expect(await dedupe.markIfNew('d', 1000)).toBe(true);
    expect(await dedupe.markIfNew('d', 1000)).toBe(false);
    expect(warnings).toEqual(['shared_store_unavailable']); // once per connection and outage
  });

  redisTest('a client passed in is used as it is and left open', async () => {
    const client = new Redis(REDIS_URL);
    try {
      const store = new RedisWindowStore({ client, keyPrefix: PREFIX });
      await store.extend(`${PHONE}:1`, Date.now() + 60_000);
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.exists(`${PREFIX}window:${PHONE}:1`)).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});
