/**
 * The ledger's merge rules on both stores: any order of one send and its statuses, with repeats,
 * ends in the same record; a status never moves a message back; failures keep their error.
 */
import { Redis } from 'ioredis';
import { DEFAULT_LEDGER_RETENTION_MS, DeliveryLedger, MAX_LEDGER_QUERY_LIMIT, ledgerRetentionMsFromDays } from '../src/ledger/ledger';
import { MemoryLedgerStore } from '../src/ledger/memory-ledger-store';
import { RedisLedgerStore } from '../src/ledger/redis-ledger-store';
import { SqliteLedgerStore } from '../src/ledger/sqlite-ledger-store';
import { openSqlite, type SqliteDatabase } from '../src/store/sqlite-driver';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerSend, LedgerStatusUpdate, LedgerStore } from '../src/ledger/types';
import { RedisConnection } from '../src/redis/connection';
import { REDIS_URL, SKIP_REDIS, adminClient, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const PREFIX = uniquePrefix('ledger');
const PHONE = '106540352242922';
const DAY = 86_400_000;
let admin: Redis;
const connections: RedisConnection[] = [];
const databases: SqliteDatabase[] = [];
const dir = mkdtempSync(join(tmpdir(), 'wa-ledger-'));

beforeAll(async () => {
  await requireRedis('ledger-merge');
  admin = adminClient();
  admin.on('error', () => undefined);
  if (!SKIP_REDIS) await admin.connect();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  for (const db of databases) db.close();
  rmSync(dir, { recursive: true, force: true });
  await deleteKeys(PREFIX);
  admin?.disconnect();
});

function redisStore(options?: { maxRecords?: number }): RedisLedgerStore {
  const connection = new RedisConnection({ url: REDIS_URL, keyPrefix: `${PREFIX}${connections.length}:` });
  connections.push(connection);
  return new RedisLedgerStore(connection, options);
}

function sqliteStore(options?: { maxRecords?: number }): SqliteLedgerStore {
  const db = openSqlite(join(dir, `ledger-${databases.length}.sqlite`));
  databases.push(db);
  return new SqliteLedgerStore(db, options);
}

const STORES: Array<[string, () => LedgerStore]> = [
  ['memory', () => new MemoryLedgerStore()],
  ['embedded (SQLite)', () => sqliteStore()],
  ['redis', () => redisStore()],
];

/** An hour ago, on a whole second (status times are whole seconds). */
const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const send = (id: string, extra: Partial<LedgerSend> = {}): LedgerSend => ({
  messageId: id,
  phoneNumberId: PHONE,
  recipient: '+15550001111',
  type: 'template',
  template: { name: 'order_update', language: 'en', category: 'UTILITY' },
  reference: `order-${id}`,
  attempts: 1,
  sentAt: new Date(base),
  ...extra,
});
const status = (id: string, value: string, offsetS: number, extra: Partial<LedgerStatusUpdate> = {}): LedgerStatusUpdate => ({
  messageId: id,
  phoneNumberId: PHONE,
  status: value,
  at: new Date(base + offsetS * 1000),
  recipient: '15550001111',
  reference: `order-${id}`,
  ...extra,
});

/** Every permutation of `items`. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

test('a ledger file of the first version (no re-send columns; rk, ord, exp before them) opens, reads and joins by column name', async () => {
  const db = openSqlite(join(dir, 'ledger-v1.sqlite'));
  databases.push(db);
  // The table as the first ledger version created it, with one record (a send, then `sent`).
  const v1 = ['pn', 'to', 'wa', 'type', 'tn', 'tl', 'tc', 'ref', 'att', 'at', 'st', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played', 'err', 'price'];
  const numeric = new Set(['att', 'at', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played']);
  db.exec(`CREATE TABLE ledger (id TEXT PRIMARY KEY, ${v1.map((f) => `"${f}" ${numeric.has(f) ? 'INTEGER' : 'TEXT'}`).join(', ')}, rk TEXT, ord INTEGER NOT NULL, exp INTEGER NOT NULL) WITHOUT ROWID`);
  db.prepare('INSERT INTO ledger (id, pn, "to", type, tn, tl, ref, att, "at", st, rank, "stAt", t_accepted, t_sent, price, rk, ord, exp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    'wamid.v1', PHONE, '+15550001111', 'template', 'order_update', 'en', 'order-v1', 1, base, 'sent', 1, base + 1000, base, base + 1000, '{"billable":true,"category":"utility"}', '15550001111', base, Date.now() + DAY,
  );
  const store = new SqliteLedgerStore(db);
  const columns = db.prepare('PRAGMA table_info(ledger)').all().map((row) => String(row.name));
  expect(columns.slice(-3)).toEqual(['rof', 'rn', 'ras']); // added in place, after exp
  expect(await store.get('wamid.v1')).toEqual({
    messageId: 'wamid.v1', phoneNumberId: PHONE, recipient: '+15550001111', type: 'template', template: { name: 'order_update', language: 'en' }, reference: 'order-v1', attempts: 1,
    sentAt: new Date(base), status: 'sent', statusAt: new Date(base + 1000), statusTimes: { accepted: new Date(base), sent: new Date(base + 1000) }, pricing: { billable: true, category: 'utility' },
  });
  const joined = await store.putStatusForJoin(status('wamid.v1', 'delivered', 2, { pricing: { billable: true, category: 'utility', type: 'regular', pricingModel: 'PMP' } }), Date.now() + DAY);
  expect(joined).toEqual({ status: 'delivered', recipient: '+15550001111', type: 'template', template: { name: 'order_update', language: 'en' }, reference: 'order-v1', attempts: 1, sentAt: new Date(base) });
  expect((await store.get('wamid.v1'))!.pricing).toEqual({ billable: true, category: 'utility', type: 'regular', pricingModel: 'PMP' });
  await store.linkResend('wamid.v1', 'wamid.v1b');
  expect((await store.query({ reference: 'order-v1', limit: 1 }))[0]).toMatchObject({ messageId: 'wamid.v1', status: 'delivered', resentAs: 'wamid.v1b' });
});

describe.each(STORES)('%s ledger store', (_name, make) => {
  // Under WA_SKIP_REDIS=1 the Redis store's tests are registered as skipped (the runner counts them).
  const storeTest = _name === 'redis' && SKIP_REDIS ? test.skip : test;

  storeTest('every order of send, sent, delivered, read (one repeated) ends at read with all times', async () => {
    const store = make();
    const pricing = { billable: true, pricingModel: 'PMP', type: 'regular', category: 'utility' };
    type Step = { kind: 'send' } | { kind: 'status'; update: LedgerStatusUpdate };
    const steps = (id: string): Step[] => [
      { kind: 'send' },
      { kind: 'status', update: status(id, 'sent', 1, { pricing }) },
      { kind: 'status', update: status(id, 'delivered', 2, { pricing }) },
      { kind: 'status', update: status(id, 'read', 3) },
      { kind: 'status', update: status(id, 'delivered', 2, { pricing }) },
    ];
    const orders = permutations([0, 1, 2, 3, 4]);
    let n = 0;
    for (const order of orders) {
      const id = `wamid.perm${n++}`;
      const all = steps(id);
      for (const index of order) {
        const step = all[index]!;
        if (step.kind === 'send') await store.putSend(send(id), base + 30 * DAY);
        else await store.putStatus(step.update, base + 30 * DAY);
      }
      const record = (await store.get(id))!;
      expect(record.status).toBe('read');
      expect(record.statusAt.getTime()).toBe(base + 3000);
      expect(record.template).toEqual({ name: 'order_update', language: 'en', category: 'UTILITY' });
      expect(record.reference).toBe(`order-${id}`);
      expect(record.recipient).toBe('+15550001111');
      expect(record.sentAt?.getTime()).toBe(base);
      expect(record.statusTimes.sent?.getTime()).toBe(base + 1000);
      expect(record.statusTimes.delivered?.getTime()).toBe(base + 2000);
      expect(record.statusTimes.read?.getTime()).toBe(base + 3000);
      expect(record.pricing).toEqual(pricing);
    }
    expect(n).toBe(120);
  });

  storeTest('a failure keeps its error and is not undone by a late sent; a late failed does not undo delivered', async () => {
    const store = make();
    const error = { code: 'graph_131026', graphCode: 131026, category: 'recipient' as const, hint: 'h', message: 'Message undeliverable', retryable: false };
    await store.putSend(send('wamid.f1'), base + DAY);
    await store.putStatus(status('wamid.f1', 'failed', 2, { error }), base + DAY);
    const late = await store.putStatus(status('wamid.f1', 'sent', 1), base + DAY);
    expect(late.status).toBe('failed');
    expect(late.error).toEqual(error);
    expect(late.statusTimes.sent?.getTime()).toBe(base + 1000);

    await store.putSend(send('wamid.f2'), base + DAY);
    await store.putStatus(status('wamid.f2', 'delivered', 2), base + DAY);
    expect((await store.putStatus(status('wamid.f2', 'failed', 3, { error }), base + DAY)).status).toBe('delivered');
  });

  storeTest("the webhook's join gets what the merged record says: status and the send's context (orphan, filled identity, unknown status, late status)", async () => {
    const store = make();
    const ledger = new DeliveryLedger({ store });
    const event = (id: string, value: string, offsetS: number, extra: { recipientId?: string; reference?: string } = {}) => ({
      kind: 'status' as const,
      field: 'messages',
      wabaId: 'W',
      phoneNumberId: PHONE,
      messageId: id,
      status: value,
      timestamp: new Date(base + offsetS * 1000),
      errors: [],
      raw: {},
      ...(extra.recipientId ? { recipientId: extra.recipientId } : {}),
      ...(extra.reference ? { bizOpaqueCallbackData: extra.reference } : {}),
    });
    const sendContext = (record: Awaited<ReturnType<LedgerStore['putStatus']>>) => {
      const { status: st, recipient, type, template, reference, attempts, sentAt } = record;
      return JSON.parse(JSON.stringify({ status: st, recipient, type, template, reference, attempts, sentAt }));
    };
    await store.putSend(send('wamid.j1'), base + DAY);
    // A send recorded without recipient and reference (re-send bookkeeping, older versions): the status fills them.
    await store.putSend({ ...send('wamid.j2'), recipient: undefined as unknown as string, reference: undefined }, base + DAY);
    const steps: Array<[string, ReturnType<typeof event>]> = [
      ['wamid.j1', event('wamid.j1', 'delivered', 2, { recipientId: '15550001111', reference: 'order-wamid.j1' })],
      ['wamid.j1', event('wamid.j1', 'sent', 1)],
      ['wamid.j1', event('wamid.j1', 'deleted', 3)],
      ['wamid.j2', event('wamid.j2', 'read', 3, { recipientId: '15550004444', reference: 'order-j2' })],
      ['wamid.j3', event('wamid.j3', 'sent', 1, { recipientId: '15550005555', reference: 'order-j3' })],
    ];
    for (const [id, step] of steps) {
      const joined = await ledger.joinStatus(step as Parameters<typeof ledger.joinStatus>[0]);
      expect(sendContext(joined as Awaited<ReturnType<LedgerStore['putStatus']>>)).toEqual(sendContext((await store.get(id))!));
    }
    expect((await store.get('wamid.j1'))!.status).toBe('delivered');
    expect((await store.get('wamid.j2'))!).toMatchObject({ status: 'read', recipient: '15550004444', reference: 'order-j2', type: 'template' });
    expect((await store.get('wamid.j3'))!).toMatchObject({ status: 'sent', recipient: '15550005555', reference: 'order-j3' });
    expect((await store.get('wamid.j3'))!.sentAt).toBeUndefined();
  });

  storeTest('a status before its send (another process, a fast webhook) is joined when the send comes', async () => {
    const store = make();
    const orphan = await store.putStatus(status('wamid.o1', 'delivered', 2), base + DAY);
    expect(orphan.status).toBe('delivered');
    expect(orphan.sentAt).toBeUndefined();
    await store.putSend(send('wamid.o1', { attempts: 2 }), base + DAY);
    const record = (await store.get('wamid.o1'))!;
    expect(record).toMatchObject({ status: 'delivered', attempts: 2, type: 'template', reference: 'order-wamid.o1' });
    expect(record.sentAt?.getTime()).toBe(base);
  });

  storeTest('queries filter by status, template, reference, recipient and time, newest first', async () => {
    const store = make();
    for (let i = 0; i < 6; i++) {
      await store.putSend(
        send(`wamid.q${i}`, {
          sentAt: new Date(base + i * 60_000),
          template: i % 2 ? { name: 'promo', language: 'en' } : { name: 'order_update', language: 'en' },
          recipient: i < 3 ? '+1 555 000 2222' : '+15550003333',
        }),
        Date.now() + DAY,
      );
    }
    await store.putStatus(status('wamid.q4', 'read', 400), Date.now() + DAY);
    const ids = (records: Array<{ messageId: string }>) => records.map((r) => r.messageId);
    expect(ids(await store.query({ limit: 10 }))).toEqual(['wamid.q5', 'wamid.q4', 'wamid.q3', 'wamid.q2', 'wamid.q1', 'wamid.q0']);
    expect(ids(await store.query({ limit: 2 }))).toEqual(['wamid.q5', 'wamid.q4']);
    expect(ids(await store.query({ template: 'promo', limit: 10 }))).toEqual(['wamid.q5', 'wamid.q3', 'wamid.q1']);
    expect(ids(await store.query({ status: ['read'], limit: 10 }))).toEqual(['wamid.q4']);
    expect(ids(await store.query({ reference: 'order-wamid.q2', limit: 10 }))).toEqual(['wamid.q2']);
    expect(ids(await store.query({ recipient: '15550002222', limit: 10 }))).toEqual(['wamid.q2', 'wamid.q1', 'wamid.q0']);
    expect(ids(await store.query({ since: new Date(base + 120_000), until: new Date(base + 240_000), limit: 10 }))).toEqual(['wamid.q3', 'wamid.q2']);
    expect(await store.forgetRecipient('+15550002222')).toBe(3);
    expect(ids(await store.query({ limit: 10 }))).toEqual(['wamid.q5', 'wamid.q4', 'wamid.q3']);
    expect(await store.get('wamid.q1')).toBeUndefined();
  });

  storeTest('a summary reads the store a page at a time: 12,000 records (many sent in the same ms) each counted once', async () => {
    const store = make();
    const count = 12_000;
    // 3 records per millisecond: pages (5,000 in SQLite, 500 in Redis) end between equal send times,
    // where a cursor on time alone would skip some.
    for (let i = 0; i < count; i++) {
      await store.putSend(send(`wamid.s${String(i).padStart(5, '0')}`, { sentAt: new Date(base + Math.floor(i / 3)), template: { name: i % 3 ? 'order_update' : 'promo', language: 'en' } }), Date.now() + DAY);
    }
    for (let i = 0; i < count; i += 2) await store.putStatus(status(`wamid.s${String(i).padStart(5, '0')}`, 'read', 60), Date.now() + DAY);
    const pages: number[] = [];
    if (store.scan) await store.scan({}, (page) => pages.push(page.length));
    // Memory holds every record anyway; the embedded and Redis stores hand out pages, never all at once.
    if (_name !== 'memory') {
      expect(pages.length).toBeGreaterThan(1);
      expect(Math.max(...pages)).toBeLessThan(count);
      expect(pages.reduce((a, b) => a + b, 0)).toBe(count);
    }
    const rows = await new DeliveryLedger({ store }).summary();
    const byTemplate = Object.fromEntries(rows.map((row) => [row.template, { messages: row.messages, read: row.read, pending: row.pending }]));
    expect(byTemplate).toEqual({ order_update: { messages: 8000, read: 4000, pending: 4000 }, promo: { messages: 4000, read: 2000, pending: 2000 } });
  }, 120_000);
});

describe('retention and bounds', () => {
  test('memory: the oldest records go beyond maxRecords; expired ones are swept', async () => {
    const store = new MemoryLedgerStore({ maxRecords: 3 });
    for (let i = 0; i < 5; i++) await store.putSend(send(`wamid.m${i}`), Date.now() + (i === 4 ? -1 : DAY));
    expect(await store.count()).toBe(3);
    expect(await store.get('wamid.m0')).toBeUndefined();
    expect(await store.sweep(Date.now())).toBe(1);
    expect(await store.count()).toBe(2);
  });

  redisTest('redis: records expire with their retention (PEXPIREAT on the hash) and the sweep trims the index and the bound', async () => {
    const store = redisStore({ maxRecords: 2 });
    const now = Date.now();
    await store.putSend(send('wamid.r0', { sentAt: new Date(now) }), now + 60_000);
    const ttl = await admin.pttl(`${store.connection.keyPrefix}ledger:m:wamid.r0`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.putSend(send('wamid.r1', { sentAt: new Date(now + 1) }), now + 200);
    await store.putSend(send('wamid.r2', { sentAt: new Date(now + 2) }), now + 60_000);
    await store.putSend(send('wamid.r3', { sentAt: new Date(now + 3) }), now + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.count()).toBe(4);
    // r1 expired in Redis; r0 is the oldest beyond the bound of 2.
    expect(await store.sweep(Date.now())).toBe(2);
    expect(await store.count()).toBe(2);
    expect(await store.get('wamid.r0')).toBeUndefined();
    expect((await store.get('wamid.r3'))?.status).toBe('accepted');
  });

  test('embedded: expired records are swept, the oldest go beyond maxRecords, and the rows are in the file', async () => {
    const store = sqliteStore({ maxRecords: 2 });
    const now = Date.now();
    for (let i = 0; i < 4; i++) await store.putSend(send(`wamid.s${i}`, { sentAt: new Date(now + i) }), now + (i === 3 ? -1 : 60_000));
    expect(await store.count()).toBe(4);
    expect(await store.sweep(Date.now())).toBe(2);
    expect((await store.query({ limit: 10 })).map((r) => r.messageId)).toEqual(['wamid.s2', 'wamid.s1']);
    const db = databases.at(-1)!;
    expect(db.prepare('SELECT id, st, tn, ref FROM ledger ORDER BY ord').all()).toEqual([
      { id: 'wamid.s1', st: 'accepted', tn: 'order_update', ref: 'order-wamid.s1' },
      { id: 'wamid.s2', st: 'accepted', tn: 'order_update', ref: 'order-wamid.s2' },
    ]);
  });

  test('withRetention: records written through it expire by its retention, on the same store; the original keeps its own', async () => {
    const store = new MemoryLedgerStore();
    const base = new DeliveryLedger({ store });
    const short = base.withRetention(2 * 60 * 60 * 1000);
    expect(short.store).toBe(store);
    expect(base.withRetention(base.retentionMs)).toBe(base);
    const now = Date.now();
    await short.recordSend(send('wamid.short', { sentAt: new Date(now) }));
    await base.recordSend(send('wamid.long', { sentAt: new Date(now) }));
    expect(await store.sweep(now + 3 * 60 * 60 * 1000)).toBe(1);
    expect(await store.get('wamid.short')).toBeUndefined();
    expect(await store.get('wamid.long')).toBeDefined();
    expect(() => base.withRetention(1000)).toThrow(/ledger\.retentionMs: 1000 must be from 3600000/);
  });

  test('ledgerRetentionMsFromDays: the adapters\' field in days, empty = 30 days, out of range refused naming the field and the range', () => {
    expect(ledgerRetentionMsFromDays(undefined)).toBe(DEFAULT_LEDGER_RETENTION_MS);
    expect(ledgerRetentionMsFromDays(' ')).toBe(DEFAULT_LEDGER_RETENTION_MS);
    expect(ledgerRetentionMsFromDays('7')).toBe(7 * DAY);
    expect(ledgerRetentionMsFromDays(0.5)).toBe(DAY / 2);
    expect(ledgerRetentionMsFromDays(1 / 24)).toBe(60 * 60 * 1000);
    expect(ledgerRetentionMsFromDays(400)).toBe(400 * DAY);
    for (const bad of [0, 0.04, 400.5, -1, 'soon', true, Number.NaN, Number.POSITIVE_INFINITY]) {
      let thrown: unknown;
      try {
        ledgerRetentionMsFromDays(bad, 'My field');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'invalid_option', category: 'validation', message: `My field: ${String(bad)} must be a number of days from 0.042 (1 hour) to 400 (default 30)` });
    }
  });

  test('the ledger refuses a retention or a limit out of range, naming the field and the bound', async () => {
    expect(() => new DeliveryLedger({ retentionMs: 1000 })).toThrow(/ledger\.retentionMs: 1000 must be from 3600000 \(1 hour\) to 34560000000 \(400 days\)/);
    const ledger = new DeliveryLedger();
    await expect(ledger.find({}, MAX_LEDGER_QUERY_LIMIT + 1)).rejects.toThrow(/limit: 10001 must be a whole number from 1 to 10000/);
    await expect(ledger.find({ since: new Date('nope') })).rejects.toThrow(/since: is not a valid date/);
    await expect(ledger.getByReference('')).rejects.toThrow(/reference: is empty/);
  });
});
