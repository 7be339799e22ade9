/**
 * Re-sending failed messages (issue #15 item 5) against the sandbox: a template the sandbox fails
 * on the status webhook with a code the error table marks "retryable later" is re-sent once its
 * delay has passed (the resender's clock is moved instead of waiting), exactly once, linked in the
 * ledger; a permanent failure is never re-sent and feeds the quality guard once however often its
 * status arrives; with the option off nothing goes out; a pending re-send survives a restart of the
 * embedded store; with Redis two processes that both hear the failure send one re-send.
 * Every count is of what the sandbox accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient } from '../src/client';
import { DeliveryLedger } from '../src/ledger/ledger';
import { RedisLedgerStore } from '../src/ledger/redis-ledger-store';
import { RedisResendStore } from '../src/ledger/redis-resend-store';
import { FailedMessageResender } from '../src/ledger/resender';
import { SqliteLedgerStore } from '../src/ledger/sqlite-ledger-store';
import { SqliteResendStore } from '../src/ledger/sqlite-resend-store';
import { QualityGuard } from '../src/quality/quality-guard';
import { RedisConnection } from '../src/redis/connection';
import { EmbeddedStateStore } from '../src/store/embedded-state-store';
import { handleWebhookPost } from '../src/webhook/handle';
import { MemoryKeyedExpiryStore, type WindowStore } from '../src/window/window-store';
import { LoopbackServer, type ReceivedRequest } from './support/loopback-server';
import { REDIS_URL, deleteKeys, redisTest, requireRedis, uniquePrefix } from './support/redis-env';

const MINUTE = 60_000;
const TO = '+15557770001';

let sb: Sandbox;
let receiver: LoopbackServer;
let shift = 0;
/** The resender's clock: now, moved forward by the test instead of waiting for the table's delay. */
const clock = () => Date.now() + shift;
const closers: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  shift = 0;
  receiver = await LoopbackServer.start(() => ({ status: 200 }));
  sb = await startSandbox({ webhookUrl: `${receiver.url}/hook`, statusDelaysMs: { sent: 5, delivered: 10, read: null } });
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await sb.close();
  await receiver.close();
});

function clientFor(ledger: DeliveryLedger, guard = new QualityGuard()): WhatsAppClient {
  const client = new WhatsAppClient({ accessToken: sb.accessToken, phoneNumberId: sb.phoneNumberId, baseUrl: sb.url, window: { policy: 'off' }, quality: { guard }, ledger });
  closers.push(() => client.close());
  return client;
}

function resenderFor(ledger: DeliveryLedger, client: WhatsAppClient): FailedMessageResender {
  const resender = new FailedMessageResender({ ledger, client, now: clock });
  closers.push(() => resender.stop());
  return resender;
}

/** Messages the sandbox accepted for `to` (first send and re-sends). */
const accepted = (to = TO) => sb.messages.filter((m) => m.to.replace(/\D/g, '') === to.replace(/\D/g, ''));

/** The sandbox's signed webhook POST carrying the `failed` status of `wamid`. */
async function failedPost(wamid: string): Promise<ReceivedRequest> {
  const find = () =>
    receiver.requests.find((r) => (r.json?.entry?.[0]?.changes?.[0]?.value?.statuses ?? []).some((s: { id: string; status: string }) => s.id === wamid && s.status === 'failed'));
  return sb.waitFor(find, 5000);
}

/** Hands one captured POST to core as an adapter does (signature checked; no deduplicator: every copy is handled). */
function deliver(post: ReceivedRequest, ledger: DeliveryLedger, resender?: FailedMessageResender, qualityGuard?: QualityGuard) {
  return handleWebhookPost({ rawBody: post.body, headers: post.headers, appSecret: sb.appSecret, ledger, ...(resender ? { resender } : {}), ...(qualityGuard ? { qualityGuard } : {}) });
}

async function sendTemplate(client: WhatsAppClient, reference = 'order-1042'): Promise<string> {
  return (await client.sendTemplate(TO, 'hello_world', 'en_US', [], { reference })).messageId;
}

test('a failed status with a retryable-later code (131000) is re-sent once after the table\'s delay, linked in the ledger', async () => {
  const ledger = new DeliveryLedger();
  const client = clientFor(ledger);
  const resender = resenderFor(ledger, client);
  sb.failSends({ code: 131000, to: TO, times: 1 });
  const first = await sendTemplate(client);
  const post = await failedPost(first);
  // Meta redelivers: the same failure three times schedules one re-send.
  for (let i = 0; i < 3; i++) await deliver(post, ledger, resender);
  expect(await ledger.resends.waiting()).toEqual([expect.objectContaining({ failedId: first, originalId: first, resend: 1, code: 131000 })]);

  // Before the delay (5 minutes for 131000): nothing goes out.
  shift = 4 * MINUTE;
  expect(await resender.runDue()).toEqual([]);
  expect(accepted()).toHaveLength(1);

  shift = 5 * MINUTE + 1000;
  const outcomes = await resender.runDue();
  expect(outcomes).toHaveLength(1);
  expect(accepted()).toHaveLength(2);
  const resent = accepted()[1]!;
  expect(outcomes[0]!.messageId).toBe(resent.id);
  // The same message went out again, reference included.
  expect(resent.body).toEqual(accepted()[0]!.body);
  // Later checks and another copy of the failure send nothing more.
  await deliver(post, ledger, resender);
  shift = 60 * MINUTE;
  expect(await resender.runDue()).toEqual([]);
  expect(accepted()).toHaveLength(2);

  const failed = await ledger.get(first);
  expect(failed).toMatchObject({ status: 'failed', resentAs: resent.id });
  expect(failed!.request).toBeUndefined(); // look-ups never show the kept content
  expect(await ledger.get(resent.id)).toMatchObject({ resendOf: first, resend: 1, reference: 'order-1042' });
  expect((await ledger.getByReference('order-1042'))?.messageId).toBe(resent.id);
});

test('re-sends stop after maxResends: a message failing every time goes out 1 + 2 times with maxResends 2', async () => {
  const ledger = new DeliveryLedger();
  const client = clientFor(ledger);
  const resender = new FailedMessageResender({ ledger, client, now: clock, maxResends: 2 });
  closers.push(() => resender.stop());
  sb.failSends({ code: 131016, to: TO, times: Infinity });
  let last = await sendTemplate(client);
  for (let round = 1; round <= 4; round++) {
    await deliver(await failedPost(last), ledger, resender);
    shift += 6 * MINUTE;
    const outcomes = await resender.runDue();
    if (outcomes[0]?.messageId) last = outcomes[0].messageId;
  }
  expect(accepted()).toHaveLength(3);
  const chain = await Promise.all(accepted().map((m) => ledger.get(m.id)));
  expect(chain.map((r) => r?.resend)).toEqual([undefined, 1, 2]);
  expect(chain.map((r) => r?.resendOf)).toEqual([undefined, accepted()[0]!.id, accepted()[0]!.id]);
});

test('a permanent failure (131026) is never re-sent and feeds the quality guard once when its status arrives 3 times', async () => {
  const writes: string[] = [];
  const memory = new MemoryKeyedExpiryStore();
  const store: WindowStore = {
    getExpiry: (key) => memory.getExpiry(key),
    extend: async (key, expiresAt) => {
      writes.push(key);
      await memory.extend(key, expiresAt);
    },
    delete: (key) => memory.delete(key),
  };
  const guard = new QualityGuard({ store });
  const ledger = new DeliveryLedger();
  // The client's guard is off here so that only the webhook side feeds the counted store.
  const client = new WhatsAppClient({ accessToken: sb.accessToken, phoneNumberId: sb.phoneNumberId, baseUrl: sb.url, window: { policy: 'off' }, quality: { enabled: false }, ledger });
  closers.push(() => client.close());
  const resender = resenderFor(ledger, client);
  sb.failSends({ code: 131026, to: TO, times: 1 });
  const first = await sendTemplate(client);
  const post = await failedPost(first);
  for (let i = 0; i < 3; i++) await deliver(post, ledger, resender, guard);

  expect(writes.filter((key) => key.startsWith('quality:suppressed:'))).toHaveLength(1);
  expect(await ledger.resends.waiting()).toEqual([]);
  shift = 30 * 24 * 60 * MINUTE;
  expect(await resender.runDue()).toEqual([]);
  expect(accepted()).toHaveLength(1);
});

test('option off: without a resender nothing is scheduled and nothing is re-sent', async () => {
  const ledger = new DeliveryLedger();
  const client = clientFor(ledger);
  sb.failSends({ code: 131000, to: TO, times: 1 });
  const first = await sendTemplate(client);
  await deliver(await failedPost(first), ledger);
  // A resender started later (the option switched on afterwards) finds nothing to do either.
  shift = 60 * MINUTE;
  expect(await resenderFor(ledger, client).runDue()).toEqual([]);
  expect(await ledger.resends.waiting()).toEqual([]);
  expect(accepted()).toHaveLength(1);
  expect(await ledger.get(first)).toMatchObject({ status: 'failed' });
});

test('embedded store: a pending re-send survives a restart and goes out once from the new process state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-resend-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.sqlite');
  const open = () => {
    const store = new EmbeddedStateStore(file);
    return { store, ledger: new DeliveryLedger({ store: new SqliteLedgerStore(store.db), resends: new SqliteResendStore(store.db) }) };
  };

  const before = open();
  const client = clientFor(before.ledger);
  sb.failSends({ code: 131049, to: TO, times: 1 });
  const first = await sendTemplate(client);
  await deliver(await failedPost(first), before.ledger, new FailedMessageResender({ ledger: before.ledger, client, now: clock }));
  await client.close();
  await before.store.close();

  const after = open();
  closers.push(() => after.store.close());
  expect(await after.ledger.resends.waiting()).toEqual([expect.objectContaining({ failedId: first, code: 131049 })]);
  const resender = resenderFor(after.ledger, clientFor(after.ledger));
  // 131049 waits 24 hours.
  shift = 23 * 60 * MINUTE;
  expect(await resender.runDue()).toEqual([]);
  shift = 24 * 60 * MINUTE + MINUTE;
  expect((await resender.runDue()).map((o) => o.messageId)).toEqual([accepted()[1]?.id]);
  expect(accepted()).toHaveLength(2);
  expect(await after.ledger.get(first)).toMatchObject({ resentAs: accepted()[1]!.id });
  expect(await resender.runDue()).toEqual([]);
  expect(accepted()).toHaveLength(2);
});

redisTest('Redis: two processes hear the same failure and check at once: one re-send', async () => {
  await requireRedis('ledger re-send');
  const prefix = uniquePrefix('resend');
  const instance = () => {
    const connection = new RedisConnection({ url: REDIS_URL, keyPrefix: prefix });
    closers.push(() => connection.close());
    const ledger = new DeliveryLedger({ store: new RedisLedgerStore(connection), resends: new RedisResendStore(connection) });
    const client = clientFor(ledger);
    return { ledger, client, resender: resenderFor(ledger, client) };
  };
  closers.push(() => deleteKeys(prefix));
  const a = instance();
  const b = instance();
  sb.failSends({ code: 131000, to: TO, times: 1 });
  const first = await sendTemplate(a.client);
  const post = await failedPost(first);
  await Promise.all([deliver(post, a.ledger, a.resender), deliver(post, b.ledger, b.resender)]);
  shift = 6 * MINUTE;
  const [fromA, fromB] = await Promise.all([a.resender.runDue(), b.resender.runDue()]);
  expect(fromA.length + fromB.length).toBe(1);
  expect(accepted()).toHaveLength(2);
  expect(await b.ledger.get(first)).toMatchObject({ resentAs: accepted()[1]!.id });
  expect(await Promise.all([a.resender.runDue(), b.resender.runDue()])).toEqual([[], []]);
  expect(accepted()).toHaveLength(2);
});

test('an embedded file written before the re-send fields gains them in place (rows kept)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-resend-old-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  const store = new EmbeddedStateStore(join(dir, 'state.sqlite'));
  closers.push(() => store.close());
  const oldFields = ['pn', 'to', 'wa', 'type', 'tn', 'tl', 'tc', 'ref', 'att', 'at', 'st', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played', 'err', 'price'];
  store.db.exec(`CREATE TABLE ledger (id TEXT PRIMARY KEY, ${oldFields.map((f) => `"${f}" TEXT`).join(', ')}, rk TEXT, ord INTEGER NOT NULL, exp INTEGER NOT NULL) WITHOUT ROWID`);
  store.db.prepare('INSERT INTO ledger (id, pn, st, rank, "stAt", ord, exp) VALUES (?, ?, ?, ?, ?, ?, ?)').run('wamid.old', '1', 'sent', 1, Date.now(), Date.now(), Date.now() + 86_400_000);
  const ledger = new DeliveryLedger({ store: new SqliteLedgerStore(store.db), resends: new SqliteResendStore(store.db) });
  await ledger.recordSend({ messageId: 'wamid.new', phoneNumberId: '1', recipient: TO, type: 'text', attempts: 1, sentAt: new Date(), request: { to: TO, type: 'text', text: { body: 'hi' } }, resendOf: 'wamid.old', resend: 1 });
  expect(await ledger.getWithRequest('wamid.new')).toMatchObject({ request: { text: { body: 'hi' } }, resendOf: 'wamid.old', resend: 1 });
  expect(await ledger.get('wamid.old')).toMatchObject({ status: 'sent' });
});
