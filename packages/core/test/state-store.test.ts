import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedStates, sharedState } from '../src/registry';
import { EmbeddedStateStore, embeddedStoreFile } from '../src/store/embedded-state-store';
import { openSqlite } from '../src/store/sqlite-driver';
import { handleWebhookPost } from '../src/webhook/handle';
import { QualityGuardError } from '../src/quality/quality-error';
import { WhatsAppClient } from '../src/client';

const SECRET = 'shh';
const PHONE = '106540352242922';
const USER = '14155550123';
const sign = (body: Buffer) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const nowSec = () => String(Math.floor(Date.now() / 1000));

function body(value: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: PHONE }, ...value } }] }] }));
}
const inbound = (id: string, from = USER) => body({ contacts: [{ wa_id: from, profile: { name: 'A' } }], messages: [{ id, from, timestamp: nowSec(), type: 'text', text: { body: 'hi' } }] });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wa-state-'));
});
afterEach(async () => {
  await closeSharedStates();
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

async function post(state: ReturnType<typeof sharedState>, raw: Buffer) {
  return handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': sign(raw) }, appSecret: SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker, qualityGuard: state.qualityGuard });
}

describe('embedded state store', () => {
  test('is the default, and windows, seen events and quality records survive closing and reopening the file', async () => {
    const state = sharedState({ folder: dir });
    expect(state.kind).toBe('embedded');
    expect(state.problem).toBeUndefined();
    expect((await post(state, inbound('wamid.A'))).events).toHaveLength(1);
    await state.qualityGuard.suppress(PHONE, '14155550999');
    await state.qualityGuard.optOut(PHONE, '14155550888');
    await closeSharedStates();

    const again = sharedState({ folder: dir });
    expect(again).not.toBe(state);
    expect((await again.windowTracker.status(PHONE, `+${USER}`)).open).toBe(true);
    expect((await post(again, inbound('wamid.A'))).duplicates).toBe(1);
    await expect(again.qualityGuard.check({ phoneNumberId: PHONE, recipient: '14155550999' } as never, rules())).rejects.toThrow(QualityGuardError);
    await expect(
      again.qualityGuard.check({ phoneNumberId: PHONE, recipient: '14155550888', template: { name: 'promo', language: 'en' } } as never, rules()),
    ).rejects.toMatchObject({ code: 'marketing_opted_out' });
  });

  test('write before acknowledging: when handleWebhookPost resolves, the seen event and the window are committed (another connection sees them)', async () => {
    const state = sharedState({ folder: dir });
    const reader = openSqlite(embeddedStoreFile(dir));
    try {
      await post(state, inbound('wamid.D'));
      // Writes are grouped into one commit per event-loop turn; the call waits for that commit.
      expect(reader.prepare("SELECT count(*) AS n FROM wa_dedupe WHERE key LIKE '%wamid.D%'").get()).toEqual({ n: 1 });
      expect(reader.prepare('SELECT count(*) AS n FROM wa_windows WHERE key = ?').get(`${PHONE}:${USER}`)).toEqual({ n: 1 });
    } finally {
      reader.close();
    }
  });

  test('keys in flight: released (the platform refused the events) a redelivery is handled; acknowledged it is a duplicate', async () => {
    const state = sharedState({ folder: dir });
    const later = (raw: Buffer) =>
      handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': sign(raw) }, appSecret: SECRET, deduplicator: state.deduplicator, acknowledgeLater: true });
    const refused = await later(inbound('wamid.R'));
    expect(refused.events).toHaveLength(1);
    // While in flight for this (live) process, a redelivery is a duplicate…
    expect((await later(inbound('wamid.R'))).events).toHaveLength(0);
    // …until the events are released: then it is handled, once.
    await refused.release();
    const again = await later(inbound('wamid.R'));
    expect(again.events).toHaveLength(1);
    await again.acknowledge();
    // Releasing after the acknowledgement forgets nothing: only keys still in flight go.
    await again.release();
    expect((await later(inbound('wamid.R'))).events).toHaveLength(0);
  });

  test('acknowledging a big batch confirms every key (keys are acknowledged a chunk per statement), and only those', async () => {
    const store = new EmbeddedStateStore(join(dir, 'ack.sqlite'));
    try {
      const keys = Array.from({ length: 123 }, (_, i) => `s:${PHONE}:wamid.${i}:sent`);
      for (const key of keys) expect(await store.dedupe.markIfNew(key, 60_000, [USER], { pending: true })).toBe(true);
      await store.dedupe.acknowledge!(keys.slice(0, 120));
      await store.flush();
      const inFlight = store.db.prepare('SELECT key FROM wa_dedupe WHERE pending IS NOT NULL ORDER BY key').all();
      expect(inFlight.map((row) => row.key)).toEqual(keys.slice(120).sort());
    } finally {
      await store.close();
    }
  });

  test('a key committed before its acknowledgement is in flight in the file; one acknowledged or released in the same commit never is', async () => {
    const file = join(dir, 'flight.sqlite');
    const store = new EmbeddedStateStore(file);
    const reader = openSqlite(file);
    const pendingOf = (key: string) => reader.prepare('SELECT pending FROM wa_dedupe WHERE key = ?').get(key)?.pending;
    try {
      expect(await store.dedupe.markIfNew('k1', 60_000, [USER], { pending: true })).toBe(true);
      await store.flush();
      expect(pendingOf('k1')).toEqual(expect.stringContaining(`${process.pid}:`));

      expect(await store.dedupe.markIfNew('k2', 60_000, [USER], { pending: true })).toBe(true);
      await store.dedupe.acknowledge!(['k2']);
      await store.dedupe.acknowledge!(['k1']); // committed earlier: cleared in the file
      await store.flush();
      expect(pendingOf('k2')).toBeNull();
      expect(pendingOf('k1')).toBeNull();

      expect(await store.dedupe.markIfNew('k3', 60_000, [USER], { pending: true })).toBe(true);
      await store.dedupe.release!(['k3']);
      await store.flush();
      expect(pendingOf('k3')).toBeUndefined();
      expect(await store.dedupe.markIfNew('k3', 60_000, [USER], { pending: true })).toBe(true);
    } finally {
      reader.close();
      await store.close();
    }
  });

  test('creates the file 0600 in a folder 0700 and tightens looser modes', async () => {
    const file = embeddedStoreFile(dir);
    sharedState({ folder: dir });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'wa-cloud')).mode & 0o777).toBe(0o700);
    await closeSharedStates();
    chmodSync(file, 0o644);
    chmodSync(join(dir, 'wa-cloud'), 0o755);
    sharedState({ folder: dir });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'wa-cloud')).mode & 0o777).toBe(0o700);
  });

  test('a corrupt file: memory fallback with an error naming the file, and webhooks still go through', async () => {
    const file = embeddedStoreFile(dir);
    sharedState({ folder: dir });
    await closeSharedStates();
    writeFileSync(file, Buffer.alloc(8192, 'garbage!'));
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    const state = sharedState({ folder: dir });
    expect(state.kind).toBe('memory');
    expect(state.requested).toBe('embedded');
    expect(state.problem?.code).toBe('state_store_unavailable');
    expect(state.problem?.message).toContain(file);
    expect((await post(state, inbound('wamid.B'))).events).toHaveLength(1);
    expect((await post(state, inbound('wamid.B'))).duplicates).toBe(1);
    // One memory state until the file opens, not a new one per call (n8n keeps a re-sender per state).
    expect(sharedState({ folder: dir })).toBe(state);
  });

  test('a file that opens but cannot take the ledger tables falls back to memory too, naming the file', async () => {
    const file = embeddedStoreFile(dir);
    sharedState({ folder: dir });
    await closeSharedStates();
    // A view where the ledger's table should be: the ledger's CREATE INDEX fails after the store opened.
    const db = openSqlite(file);
    db.exec('DROP TABLE IF EXISTS ledger');
    db.exec('CREATE VIEW ledger AS SELECT 1 AS id');
    db.close();
    const state = sharedState({ folder: dir });
    expect(state.kind).toBe('memory');
    expect(state.problem?.code).toBe('state_store_unavailable');
    expect(state.problem?.message).toContain(file);
    expect((await post(state, inbound('wamid.L'))).events).toHaveLength(1);
  });

  test('an unusable folder: memory fallback naming the file', async () => {
    // A regular file where the folder should be: fails for root too (chmod would not stop root).
    const notAFolder = join(dir, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const state = sharedState({ folder: notAFolder });
    expect(state.kind).toBe('memory');
    expect(state.problem?.message).toContain(embeddedStoreFile(notAFolder));
    expect((await post(state, inbound('wamid.C'))).events).toHaveLength(1);
  });

  test('the sweep deletes expired rows and keeps each table within its bound', async () => {
    let now = Date.now();
    const store = new EmbeddedStateStore(join(dir, 's.sqlite'), { maxRowsPerTable: 100, sweepIntervalMs: 0, now: () => now });
    for (let i = 0; i < 150; i++) await store.windows.extend(`${PHONE}:${i}`, now + 1000 + i);
    for (let i = 0; i < 10; i++) await store.dedupe.markIfNew(`m:${i}`, 500, [String(i)]);
    now += 600;
    expect(await store.sweep()).toEqual({ expired: 10, overBound: 50 });
    const count = (table: string) => Number(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n);
    expect(count('wa_windows')).toBe(100);
    expect(count('wa_dedupe')).toBe(0);
    // the 50 that expire first went; the latest stay
    expect(await store.windows.getExpiry(`${PHONE}:149`)).toBeDefined();
    expect(await store.windows.getExpiry(`${PHONE}:0`)).toBeUndefined();
    await store.close();
  });

  test('the sweep counts a table when its own writes may have passed the bound, and every 10 minutes for other processes', async () => {
    let now = Date.now();
    const file = join(dir, 'recount.sqlite');
    const store = new EmbeddedStateStore(file, { maxRowsPerTable: 100, sweepIntervalMs: 0, now: () => now });
    const count = () => Number(store.db.prepare('SELECT count(*) AS n FROM wa_windows').get()!.n);
    const extend = async (on: EmbeddedStateStore, from: number, to: number) => {
      for (let i = from; i < to; i++) await on.windows.extend(`${PHONE}:${i}`, now + 3_600_000 + i);
      await on.flush();
    };
    await extend(store, 0, 60);
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 0 }); // counted: 60
    // Another process writes 60 rows: not in this one's estimate (60), so not counted yet.
    const other = new EmbeddedStateStore(file, { sweepIntervalMs: 0, now: () => now });
    await extend(other, 60, 120);
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 0 });
    expect(count()).toBe(120);
    // This process's own 50 take its estimate past 100: counted (170), trimmed at once.
    await extend(store, 120, 170);
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 70 });
    expect(count()).toBe(100);
    // The other process's next 30 wait for the count that comes every 10 minutes.
    await extend(other, 170, 200);
    await other.close();
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 0 });
    now += 10 * 60_000;
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 30 });
    expect(count()).toBe(100);
    expect(await store.windows.getExpiry(`${PHONE}:199`)).toBeDefined();
    await store.close();
  });

  test('a table is counted in chunks, exactly (50,123 rows against a bound of 50,000)', async () => {
    const now = Date.now();
    const store = new EmbeddedStateStore(join(dir, 'count.sqlite'), { maxRowsPerTable: 50_000, sweepIntervalMs: 0, now: () => now });
    store.db.transaction(() => {
      for (let i = 0; i < 50_123; i++) void store.dedupe.markIfNew(`m:${String(i).padStart(6, '0')}`, 60_000, []);
    });
    await store.flush();
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 123 });
    expect(Number(store.db.prepare('SELECT count(*) AS n FROM wa_dedupe').get()!.n)).toBe(50_000);
    await store.close();
  });

  test('a big backlog is swept in chunks with the event loop free between them (webhooks are answered meanwhile)', async () => {
    let now = Date.now();
    const store = new EmbeddedStateStore(join(dir, 'backlog.sqlite'), { sweepIntervalMs: 0, maxRowsPerTable: 6_000, now: () => now });
    store.db.transaction(() => {
      for (let i = 0; i < 12_000; i++) void store.dedupe.markIfNew(`m:${i}`, 1_000, []);
      for (let i = 0; i < 14_000; i++) void store.windows.extend(`${PHONE}:${i}`, now + 60_000 + i);
    });
    now += 2_000;
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 0);
    const swept = store.sweep();
    // A second sweep while one runs does nothing.
    expect(await store.sweep()).toEqual({ expired: 0, overBound: 0 });
    expect(await swept).toEqual({ expired: 12_000, overBound: 8_000 });
    clearInterval(ticking);
    // 3 chunks of expired keys and 2 over the bound: the timer ran between them.
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(Number(store.db.prepare('SELECT count(*) AS n FROM wa_windows').get()!.n)).toBe(6_000);
    expect(Number(store.db.prepare('SELECT count(*) AS n FROM wa_dedupe').get()!.n)).toBe(0);
    await store.close();
  });

  test('a burst of writes schedules one sweep per 10,000 writes, not one per write past 10,000', async () => {
    const store = new EmbeddedStateStore(join(dir, 'burst.sqlite'), { sweepIntervalMs: 0 });
    const sweep = jest.spyOn(store, 'sweep');
    store.db.transaction(() => {
      for (let i = 0; i < 15_000; i++) void store.windows.extend(`${PHONE}:${i}`, Date.now() + 60_000);
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sweep).toHaveBeenCalledTimes(1);
    await store.close();
  });

  test('a file that fails after opening: the store carries on in memory and reports it once', async () => {
    const problems: string[] = [];
    const store = new EmbeddedStateStore(join(dir, 'f.sqlite'), { sweepIntervalMs: 0, onProblem: (e) => problems.push(e.message) });
    await store.windows.extend('a:1', Date.now() + 60_000);
    store.db.close(); // every statement now throws, as after a fatal I/O error
    await store.windows.extend('a:2', Date.now() + 60_000);
    expect(await store.windows.getExpiry('a:2')).toBeDefined();
    expect(await store.dedupe.markIfNew('k', 1000)).toBe(true);
    expect(await store.dedupe.markIfNew('k', 1000)).toBe(false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(join(dir, 'f.sqlite'));
  });

  test('the ledger fails over to memory with the store (so do re-sends and the messaging limit): a status webhook is still handled, the file named once', async () => {
    const state = sharedState({ folder: dir });
    const status = (id: string) => body({ statuses: [{ id, status: 'delivered', timestamp: nowSec(), recipient_id: USER }] });
    const later = (raw: Buffer) =>
      handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': sign(raw) }, appSecret: SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker, ledger: state.ledger, messagingLimit: state.messagingLimit });
    expect((await later(status('wamid.S1'))).events[0]).toMatchObject({ ledgerStatus: 'delivered' });
    // The ledger's table disappears under it (as on an I/O error): its statements now throw.
    const other = openSqlite(embeddedStoreFile(dir));
    other.exec('DROP TABLE ledger');
    other.close();
    const handled = await later(status('wamid.S2'));
    expect(handled.events).toHaveLength(1);
    expect(handled.events[0]).toMatchObject({ ledgerStatus: 'delivered' });
    const problem = state.problem;
    expect(problem?.message).toContain(embeddedStoreFile(dir));
    // From now on in memory: the ledger still answers and records.
    expect((await state.ledger.get('wamid.S2'))?.status).toBe('delivered');
    await state.ledger.recordSend({ messageId: 'wamid.T', phoneNumberId: PHONE, to: USER, type: 'text', sentAt: new Date() } as never);
    expect((await state.ledger.get('wamid.T'))?.messageId).toBe('wamid.T');
    expect((await later(status('wamid.S3'))).events).toHaveLength(1);
    expect(state.problem).toBe(problem); // reported once
  });

  test('failover sends a failing call to memory, but never a forget (an empty memory store would report rows gone that are not)', async () => {
    const problems: string[] = [];
    const store = new EmbeddedStateStore(join(dir, 'failover.sqlite'), { sweepIntervalMs: 0, onProblem: (e) => problems.push(e.message) });
    const onFile = { get: async () => Promise.reject(new Error('disk gone')), forgetRecipient: async (): Promise<number> => Promise.reject(new Error('disk gone')) };
    const inMemory = { get: async () => 'from memory', forgetRecipient: async () => 0 };
    const both = store.failover(onFile, inMemory);
    await expect(both.forgetRecipient()).rejects.toThrow('disk gone');
    expect(problems).toEqual([]);
    expect(await both.get()).toBe('from memory');
    expect(problems).toHaveLength(1);
    await expect(both.forgetRecipient()).rejects.toThrow('disk gone');
    await store.close();
  });

  test('the messaging limit counts recipients in the file without keeping their numbers', async () => {
    const state = sharedState({ folder: dir });
    await state.messagingLimit.admit('portfolio-1', `+${USER}`, { tier: 'TIER_250' });
    await state.messagingLimit.admit('portfolio-1', USER, { tier: 'TIER_250' }); // the same one
    const rows = state.database!.prepare('SELECT recipient FROM messaging_limit').all();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(USER);
  });

  test('closing the store while a sweep pauses between chunks ends the sweep quietly', async () => {
    const problems: string[] = [];
    let now = Date.now();
    const store = new EmbeddedStateStore(join(dir, 'closing.sqlite'), { sweepIntervalMs: 0, now: () => now, onProblem: (e) => problems.push(e.message) });
    store.db.transaction(() => {
      for (let i = 0; i < 12_000; i++) void store.dedupe.markIfNew(`m:${i}`, 1_000, []);
    });
    now += 2_000;
    const swept = store.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    await store.close();
    expect((await swept).expired).toBeLessThan(12_000);
    expect(problems).toEqual([]);
  });

  test('sends record what Meta refused before they reject: a 131047 closes the window and a 131026 suppresses, in the file', async () => {
    const CLOSED = '14155550901';
    const GONE = '14155550902';
    const meta = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const code = String(JSON.parse(text).to).replace(/\D/g, '') === CLOSED ? 131047 : 131026;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'refused', type: 'OAuthException', code, fbtrace_id: 'T' } }));
      });
    });
    await new Promise<void>((resolve) => meta.listen(0, '127.0.0.1', resolve));
    const state = sharedState({ folder: dir });
    await state.windowTracker.recordInbound(PHONE, CLOSED);
    await state.windowTracker.store.flush?.();
    const client = new WhatsAppClient({
      accessToken: 't',
      phoneNumberId: PHONE,
      baseUrl: `http://127.0.0.1:${(meta.address() as AddressInfo).port}`,
      window: { tracker: state.windowTracker },
      quality: { guard: state.qualityGuard },
    });
    const reader = openSqlite(embeddedStoreFile(dir));
    try {
      expect(reader.prepare('SELECT count(*) AS n FROM wa_windows WHERE key = ?').get(`${PHONE}:${CLOSED}`)).toEqual({ n: 1 });
      await expect(client.sendText(CLOSED, 'hi')).rejects.toMatchObject({ graphCode: 131047 });
      // Another connection sees only what was committed: the send did not return before the commit.
      expect(reader.prepare('SELECT count(*) AS n FROM wa_windows WHERE key = ?').get(`${PHONE}:${CLOSED}`)).toEqual({ n: 0 });
      await expect(client.sendTemplate(GONE, 'hello_world', 'en_US')).rejects.toMatchObject({ graphCode: 131026 });
      expect(reader.prepare("SELECT count(*) AS n FROM wa_quality WHERE key LIKE ?").get(`%${GONE}%`)).toEqual({ n: 1 });
    } finally {
      reader.close();
      await client.close();
      meta.close();
    }
  });

  test('the ledger can keep its own tables in the same file', async () => {
    const state = sharedState({ folder: dir });
    state.database!.exec('CREATE TABLE IF NOT EXISTS test_ledger (id TEXT PRIMARY KEY, user TEXT)');
    state.database!.prepare('INSERT INTO test_ledger VALUES (?, ?)').run('x', USER);
    const off = state.onForget((users) => Number(state.database!.prepare('DELETE FROM test_ledger WHERE user = ?').run(users[0]!).changes));
    expect((await state.forgetUser(USER)).removedByHooks).toBe(1);
    off();
  });
});

function rules() {
  return { enabled: true, suppressionMs: 7 * 86400000, respectMarketingOptOut: true, marketingCoolDownMs: 86400000, spamPauseMs: 86400000, yellowThroughputFactor: 0.5, allowSendsWhenRed: false };
}
