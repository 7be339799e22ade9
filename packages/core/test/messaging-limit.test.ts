/**
 * The portfolio messaging limit against the sandbox set to TIER_250: 300 distinct recipients with
 * closed windows get a template; 250 are sent, 50 refused before any request with the tier, the
 * count and the next free slot named; none is sent twice; replies inside an open window and repeat
 * recipients do not count. On Redis the count is shared by two clients on two connections (two
 * processes); the tier is read from Meta's `whatsapp_business_manager_messaging_limit`.
 */
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient } from '../src/client';
import { MemoryMessagingLimitStore, MessagingLimit, MessagingLimitError, RedisMessagingLimitStore, tierOfCount } from '../src/limits/messaging-limit';
import { RedisConnection } from '../src/redis/connection';
import { handleWebhookPost } from '../src/webhook/handle';
import { REDIS_URL, SKIP_REDIS, deleteKeys, requireRedis, uniquePrefix } from './support/redis-env';

const PREFIX = uniquePrefix('mlimit');
let sb: Sandbox;
const clients: WhatsAppClient[] = [];
const connections: RedisConnection[] = [];

beforeEach(async () => {
  sb = await startSandbox({ throughput: 1000, statusDelaysMs: { sent: 5, delivered: null, read: null } });
  await sb.setMessagingLimitTier('TIER_250');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sb.close();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await deleteKeys(PREFIX);
});

function client(tracker: MessagingLimit, extra: { hold?: boolean; tier?: string } = {}): WhatsAppClient {
  const created = new WhatsAppClient({
    accessToken: sb.accessToken,
    phoneNumberId: sb.phoneNumberId,
    wabaId: sb.wabaId,
    baseUrl: sb.url,
    throughput: 1000,
    quality: { enabled: false },
    messagingLimit: { tracker, ...extra },
  });
  clients.push(created);
  return created;
}

const user = (i: number) => `+1555${String(4_000_000 + i).padStart(7, '0')}`;

async function campaign(send: (to: string) => Promise<unknown>, count: number) {
  const outcomes = await Promise.allSettled(Array.from({ length: count }, (_, i) => send(user(i))));
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
  return { sent: outcomes.length - refused.length, refused };
}

test('TIER_250: 300 new recipients → 250 sent, 50 refused naming the tier, the count and the next slot; none twice', async () => {
  const tracker = new MessagingLimit({ store: new MemoryMessagingLimitStore() });
  const wa = client(tracker);
  const { sent, refused } = await campaign((to) => wa.sendTemplate(to, 'hello_world', 'en_US'), 300);
  expect(sent).toBe(250);
  expect(refused).toHaveLength(50);
  for (const error of refused) {
    expect(error).toBeInstanceOf(MessagingLimitError);
    expect(error).toMatchObject({ code: 'messaging_limit_reached', tier: 'TIER_250', limit: 250, count: 250 });
    expect(error.message).toMatch(/TIER_250 \(250 people in 24 hours\).*250 people.*next slot frees at \d{4}-/);
    expect(error.nextSlotAt.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
  }
  // What the sandbox received: 250 templates to 250 different people, none twice; the tier came from Meta.
  const templates = sb.messages.filter((m) => m.type === 'template');
  expect(templates).toHaveLength(250);
  expect(new Set(templates.map((m) => m.waId)).size).toBe(250);
  expect(sb.businessInitiatedRecipients()).toHaveLength(250);
  expect(sb.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${sb.phoneNumberId}`) && String(r.query.fields ?? '').includes('whatsapp_business_manager_messaging_limit'))).toBe(true);

  // A repeat recipient and a reply inside an open window still go; a new person does not.
  await wa.sendTemplate(user(3), 'hello_world', 'en_US');
  sb.setWindow('15559990001');
  await wa.windowTracker.recordInbound(sb.phoneNumberId, '15559990001');
  await wa.sendTemplate('+15559990001', 'hello_world', 'en_US');
  await expect(wa.sendTemplate(user(400), 'hello_world', 'en_US')).rejects.toMatchObject({ code: 'messaging_limit_reached' });
  expect(sb.messages.filter((m) => m.type === 'template')).toHaveLength(252);
  expect(sb.businessInitiatedRecipients()).toHaveLength(250);
}, 60_000);

test('hold: a send over the limit waits for the next free slot instead of failing', async () => {
  let now = Date.now();
  const tracker = new MessagingLimit({ store: new MemoryMessagingLimitStore(), now: () => now });
  const wa = client(tracker, { hold: true, tier: 'TIER_50' });
  const first = await campaign((to) => wa.sendTemplate(to, 'hello_world', 'en_US'), 50);
  expect(first.sent).toBe(50);
  // The 51st waits; moving the clock past 24 h frees a slot and it goes out.
  const held = wa.sendTemplate(user(51), 'hello_world', 'en_US');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(sb.messages).toHaveLength(50);
  now += 24 * 3600_000 + 1;
  await held;
  expect(sb.messages).toHaveLength(51);
}, 30_000);

test('business_capability_update changes the tier (webhook), a setting overrides it', async () => {
  const tracker = new MessagingLimit();
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: sb.wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field: 'business_capability_update', value: { max_daily_conversations_per_business: 2000 } }] }] });
  await handleWebhookPost({ rawBody: body, headers: {}, appSecret: 'x', verify: false, messagingLimit: tracker });
  expect(tracker.tier(sb.wabaId)).toBe('TIER_2K');
  expect(tierOfCount(-1)).toBe('TIER_UNLIMITED');
  const wa = client(tracker, { tier: 'TIER_50' });
  const { sent, refused } = await campaign((to) => wa.sendTemplate(to, 'hello_world', 'en_US'), 60);
  expect([sent, refused.length]).toEqual([50, 10]);
}, 30_000);

test('Redis: two clients on two connections (two processes) share one count', async () => {
  await requireRedis('messaging-limit');
  if (SKIP_REDIS) return;
  const a = new RedisConnection({ url: REDIS_URL, keyPrefix: PREFIX });
  const b = new RedisConnection({ url: REDIS_URL, keyPrefix: PREFIX });
  connections.push(a, b);
  const first = client(new MessagingLimit({ store: new RedisMessagingLimitStore(a) }));
  const second = client(new MessagingLimit({ store: new RedisMessagingLimitStore(b) }));
  const { sent, refused } = await campaign((to) => (Number(to.slice(-1)) % 2 ? first : second).sendTemplate(to, 'hello_world', 'en_US'), 300);
  expect(sent).toBe(250);
  expect(refused.every((e) => e.code === 'messaging_limit_reached')).toBe(true);
  expect(new Set(sb.messages.map((m) => m.waId)).size).toBe(250);
}, 60_000);
