/**
 * forgetUser on core's three stores: afterwards no key, row or field contains the number — in
 * memory, in the SQLite file (a dump of every table and a byte scan of the file and its WAL), and
 * in Redis (SCAN of the prefix, keys and values). Each check is also made BEFORE forgetting, so it
 * is known to find the number when it is there. The opt-out stays, hashed: marketing is still refused.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { closeSharedStates, sharedState, type SharedState } from '../src/registry';
import { embeddedStoreFile } from '../src/store/embedded-state-store';
import type { MemoryStateStore } from '../src/store/memory-state-store';
import { handleWebhookPost } from '../src/webhook/handle';
import { REDIS_URL, SKIP_REDIS, adminClient, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const SECRET = 'forget-secret';
const PHONE = '106540352242922';
const USER = '14155550142';
const BSUID = 'US.1234567890123456789';
const OTHER = '14155550777';
const sec = () => Math.floor(Date.now() / 1000);

function webhook(field: string, value: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field, value: { metadata: { phone_number_id: PHONE }, ...value } }] }] }));
}

/** Everything a user leaves behind: a message (window + seen event), a delivered and a 131026-failed status, an opt-out, a 131049 cool-down. */
async function traces(state: SharedState, user: string, tag: string): Promise<void> {
  const bodies = [
    webhook('messages', { contacts: [{ wa_id: user, user_id: BSUID }], messages: [{ id: `wamid.${tag}-in`, from: user, from_user_id: BSUID, timestamp: String(sec()), type: 'text', text: { body: 'hi' } }] }),
    webhook('messages', { statuses: [{ id: `wamid.${tag}-out`, status: 'delivered', timestamp: String(sec()), recipient_id: user }] }),
    webhook('messages', { statuses: [{ id: `wamid.${tag}-out2`, status: 'failed', timestamp: String(sec() + 1), recipient_id: user, errors: [{ code: 131026, title: 'Message undeliverable' }] }] }),
    webhook('user_preferences', { contacts: [{ wa_id: user }], user_preferences: [{ wa_id: user, category: 'marketing_messages', value: 'stop', timestamp: sec() }] }),
  ];
  for (const rawBody of bodies) {
    const signature = `sha256=${createHmac('sha256', SECRET).update(rawBody).digest('hex')}`;
    await handleWebhookPost({ rawBody, headers: { 'x-hub-signature-256': signature }, appSecret: SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker, qualityGuard: state.qualityGuard });
  }
  await state.qualityGuard.recordFailure(PHONE, user, 131049);
}

const RULES = { enabled: true, suppressionMs: 1, respectMarketingOptOut: true, marketingCoolDownMs: 0, spamPauseMs: 0, yellowThroughputFactor: 0.5, allowSendsWhenRed: false };

async function expectForgotten(state: SharedState, found: () => Promise<boolean>): Promise<void> {
  expect((await state.windowTracker.status(PHONE, USER)).open).toBe(true);
  expect(await found()).toBe(true);
  const result = await state.forgetUser([USER, BSUID]);
  expect(result.removed).toBeGreaterThanOrEqual(6);
  expect(result.hashedOptOuts).toBe(1);
  expect(await found()).toBe(false);
  expect((await state.windowTracker.status(PHONE, USER)).open).toBe(false);
  expect((await state.windowTracker.status(PHONE, BSUID)).open).toBe(false);
  // Kept as a hashed id: a marketing template to the forgotten number is still refused.
  await expect(
    state.qualityGuard.check({ phoneNumberId: PHONE, recipient: USER, template: { name: 'promo', language: 'en' } } as never, RULES),
  ).rejects.toMatchObject({ code: 'marketing_opted_out' });
  // The other user is untouched.
  expect((await state.windowTracker.status(PHONE, OTHER)).open).toBe(true);
}

afterEach(() => closeSharedStates());

test('memory: no key or owner field mentions the number afterwards', async () => {
  const state = sharedState({ kind: 'memory' });
  await traces(state, USER, 'mem');
  await traces(state, OTHER, 'mem-other');
  const store = state.store as MemoryStateStore;
  const mentions = async () =>
    [...store.windows.keys(), ...store.quality.keys()].some((k) => k.includes(USER) || k.includes(BSUID)) || store.dedupe.mentions(USER) || store.dedupe.mentions(BSUID);
  await expectForgotten(state, mentions);
});

test('embedded: no row of any table, and no byte of the file or its WAL, contains the number afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-forget-'));
  try {
    const state = sharedState({ kind: 'embedded', folder: dir });
    expect(state.kind).toBe('embedded');
    await traces(state, USER, 'emb');
    await traces(state, OTHER, 'emb-other');
    const file = embeddedStoreFile(dir);
    const dump = () => {
      const tables = state.database!.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => String(r.name));
      return tables.flatMap((t) => state.database!.prepare(`SELECT * FROM ${t}`).all()).map((row) => JSON.stringify(row)).join('\n');
    };
    const bytes = () => Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    const found = async () => {
      const text = dump();
      const inRows = text.includes(USER) || text.includes(BSUID);
      const inBytes = bytes().includes(USER) || bytes().includes(BSUID);
      return inRows || inBytes;
    };
    await expectForgotten(state, found);
    expect(dump()).toContain(OTHER);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('redis', () => {
  const prefix = uniquePrefix('forget');
  let admin: Redis;
  beforeAll(async () => {
    await requireRedis('forget-user');
    admin = adminClient();
    if (!SKIP_REDIS) await admin.connect();
  });
  afterAll(async () => {
    await deleteKeys(prefix);
    admin?.disconnect();
  });

  redisTest('no key or value under the prefix contains the number afterwards (SCAN)', async () => {
    const state = sharedState({ kind: 'redis', redis: { url: REDIS_URL, keyPrefix: prefix } });
    await traces(state, USER, 'redis');
    await traces(state, OTHER, 'redis-other');
    const found = async () => {
      let cursor = '0';
      const keys: string[] = [];
      do {
        const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      const values = keys.length ? await admin.mget(...keys) : [];
      return [...keys, ...values].some((text) => !!text && (text.includes(USER) || text.includes(BSUID)));
    };
    await expectForgotten(state, found);
  });
});
