/**
 * Scale-out: TWO real Node-RED instances (4.x on Node 20), each with the packed package and the same
 * flow, their config nodes on one Redis (shared store "Redis", a key prefix unique to this run),
 * driven by the sandbox:
 *  (a) an inbound message heard by instance A's webhook node opens the 24-hour window for a
 *      free-form reply sent by instance B's send node (window policy "enforce");
 *  (b) a 300-template burst split across both instances stays under the sandbox's 80/s cap: no
 *      130429 in `sandbox.requests`, every message accepted exactly once.
 *
 * Redis: 127.0.0.1:6379, or REDIS_URL. When it is unreachable the test fails and says how to start
 * it; WA_SKIP_REDIS=1 registers the tests with test.skip (jest counts them as skipped).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Redis } from 'ioredis';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { deployNodeRedFlows, startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run, stopAll } from '../harness/processes';
import { SKIP_REDIS, START_REDIS } from '../harness/prerequisites';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const PREFIX = `nr-e2e-${process.pid}-${Date.now()}:`;
const BURST = 300;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Whether Redis answers PING at the URL's host and port (no client library, 2 s at most). */
function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    // An instance with a password answers -NOAUTH: it is up; the nodes authenticate.
    socket.once('data', (data) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

/** The Redis URL split the way the config node stores it: URL as a property, password as a credential. */
function splitUrl(url: string): { url: string; password?: string } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.href.replace(/\/$/, ''), password };
}

/** The same flow on both instances: webhook node, and POST /e2e/send → send node → response (or 422 with the error code). */
function flows(sb: Sandbox, redisUrl: string, store: 'redis' | 'none' = 'redis'): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'scale-out' },
    {
      id: 'cfg', type: 'whatsapp-cloud-config', name: 'sandbox on redis', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, apiVersion: '',
      throughput: 80, windowPolicy: 'enforce', fallbackTemplate: '', fallbackLanguage: 'en_US',
      store, redisUrl, redisKeyPrefix: PREFIX, redisTls: false,
    },
    { id: 'in', type: 'whatsapp-cloud-in', z: 'tab', name: '', config: 'cfg', path: '/whatsapp', markRead: 'off', downloadMedia: false, x: 140, y: 60, wires: [['seen'], [], []] },
    { id: 'seen', type: 'function', z: 'tab', name: 'count inbound', func: "global.set('inbound', (global.get('inbound') || 0) + 1);\nreturn null;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 360, y: 60, wires: [[]] },
    { id: 'post', type: 'http in', z: 'tab', name: '', url: '/e2e/send', method: 'post', upload: false, swaggerDoc: '', x: 130, y: 140, wires: [['unpack']] },
    { id: 'unpack', type: 'function', z: 'tab', name: 'to + message', func: 'msg.to = msg.payload.to;\nmsg.payload = msg.payload.message;\nreturn msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 320, y: 140, wires: [['out']] },
    { id: 'out', type: 'whatsapp-cloud-out', z: 'tab', name: '', config: 'cfg', to: '', mode: 'auto', x: 500, y: 140, wires: [['ok']] },
    { id: 'ok', type: 'function', z: 'tab', name: 'wamid', func: 'msg.payload = { messageId: msg.whatsapp.messageId };\nreturn msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 680, y: 140, wires: [['res']] },
    { id: 'catch', type: 'catch', z: 'tab', name: '', scope: ['out'], uncaught: false, x: 500, y: 200, wires: [['failed']] },
    { id: 'failed', type: 'function', z: 'tab', name: '422 + code', func: 'msg.statusCode = 422;\nmsg.payload = { code: msg.error.code, category: msg.error.cause && msg.error.cause.category };\nreturn msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 680, y: 200, wires: [['res']] },
    { id: 'res', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, x: 860, y: 170, wires: [] },
  ];
}

async function send(nr: NodeRedInstance, to: string, message: unknown): Promise<{ status: number; body: { messageId?: string; code?: string } }> {
  const res = await fetch(`${nr.url}/e2e/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to, message }) });
  return { status: res.status, body: (await res.json()) as { messageId?: string; code?: string } };
}

const redisTest = SKIP_REDIS ? test.skip : test;
let sb: Sandbox;
let a: NodeRedInstance;
let b: NodeRedInstance;
let redis: Redis | undefined;
let packDir: string | undefined;

beforeAll(async () => {
  if (SKIP_REDIS) {
    console.warn('\n!!! WA_SKIP_REDIS=1: node-red-redis.test.ts is SKIPPED (reported as skipped by jest). !!!\n');
    return;
  }
  if (!(await redisAnswers(REDIS_URL))) {
    const where = new URL(REDIS_URL).host;
    throw new Error(`No Redis at ${where} (REDIS_URL). Start one with: ${START_REDIS}  (or set WA_SKIP_REDIS=1 to have this file reported as skipped)`);
  }
  packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-pack-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
  const tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
  await ensureNodeRed(4);
  sb = await startSandbox({ statusDelaysMs: { sent: 20, delivered: null, read: null } });
  const { url, password } = splitUrl(REDIS_URL);
  const credentials = { cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken, ...(password ? { redisPassword: password } : {}) } };
  [a, b] = await Promise.all([
    startNodeRed({ major: 4, flows: flows(sb, url), credentials, packages: [tarball] }),
    startNodeRed({ major: 4, flows: flows(sb, url), credentials, packages: [tarball] }),
  ]);
  sb.setWebhookUrl(`${a.url}/whatsapp`);
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
}, 10 * 60_000);

afterAll(async () => {
  if (process.env.E2E_LOGS) console.log(a?.logs(), b?.logs());
  await Promise.all([a?.stop(), b?.stop()]);
  await sb?.close();
  if (redis) {
    const keys = await redis.keys(`${PREFIX}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await stopAll();
  if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

redisTest('both instances run with the shared store on Redis, and say nothing about its password', async () => {
  for (const nr of [a, b]) {
    expect(nr.logs()).not.toMatch(/\[error\]/i);
    const saved = fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8');
    expect(saved).toContain('"store": "redis"');
    const pw = splitUrl(REDIS_URL).password;
    if (pw) expect(saved + nr.logs()).not.toContain(pw);
  }
});

redisTest('(a) an inbound message heard by instance A opens the window for a free-form reply sent by instance B', async () => {
  const user = '14155557001';
  const stranger = '14155557002';
  // B has never heard from the stranger, and neither has A: the window guard refuses before Meta.
  const refused = await send(b, stranger, 'Hello?');
  expect(refused).toEqual({ status: 422, body: { code: 'window_closed', category: 'window' } });

  const inbound = await sb.inbound({ from: user, text: 'Hi, is my order ready?' }, { name: 'Ada' });
  expect(sb.webhookDeliveries.find((w) => w.body.includes(inbound))?.status).toBe(200);
  expect(await redis!.keys(`${PREFIX}window:${sb.phoneNumberId}:*`)).toEqual(expect.arrayContaining([`${PREFIX}window:${sb.phoneNumberId}:${user}`]));

  const reply = await send(b, user, 'Yes, it ships today.');
  expect(reply.status).toBe(200);
  const sent = sb.messages.find((m) => m.id === reply.body.messageId);
  expect(sent).toMatchObject({ waId: user, type: 'text' });
  // The window A opened is not a free pass for everyone.
  expect((await send(b, stranger, 'Hello again?')).body.code).toBe('window_closed');
}, 60_000);

redisTest(`(b) ${BURST} templates split across both instances: zero 130429, each accepted exactly once`, async () => {
  const before = sb.requests.length;
  const recipients = Array.from({ length: BURST }, (_, i) => `1415556${String(i).padStart(4, '0')}`);
  const template = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };
  const started = Date.now();
  const results = await Promise.all(recipients.map((to, i) => send(i % 2 === 0 ? a : b, to, template)));
  const seconds = (Date.now() - started) / 1000;

  const failures = results.filter((r) => r.status !== 200);
  expect(failures).toEqual([]);
  const requests = sb.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
  expect(requests.filter((r) => r.errorCode === 130429)).toHaveLength(0);
  expect(requests.filter((r) => r.status !== 200)).toHaveLength(0);
  expect(requests).toHaveLength(BURST);
  const accepted = sb.messages.filter((m) => recipients.includes(m.to.replace(/^\+/, '')));
  expect(accepted).toHaveLength(BURST);
  expect(new Set(accepted.map((m) => m.to)).size).toBe(BURST);
  expect(new Set(results.map((r) => r.body.messageId)).size).toBe(BURST);
  // Both instances did half of the work, and together they kept to the number's 80/s.
  expect(seconds).toBeGreaterThan((BURST - 80) / 80);
  console.log(`[node-red-redis] ${BURST} templates through 2 Node-RED instances in ${seconds.toFixed(1)} s (${(BURST / seconds).toFixed(1)}/s), 0 × 130429`);
}, 120_000);

redisTest('control: the same burst with the shared store set to "none" goes over the cap (so (b) measures the Redis limiter)', async () => {
  const { url } = splitUrl(REDIS_URL);
  await Promise.all([deployNodeRedFlows(a, flows(sb, url, 'none')), deployNodeRedFlows(b, flows(sb, url, 'none'))]);
  await new Promise((r) => setTimeout(r, 1500)); // the sandbox's bucket refills
  const before = sb.requests.length;
  const template = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };
  await Promise.all(Array.from({ length: BURST }, (_, i) => send(i % 2 === 0 ? a : b, `1415557${String(i).padStart(4, '0')}`, template)));
  const capped = sb.requests.slice(before).filter((r) => r.errorCode === 130429);
  expect(capped.length).toBeGreaterThan(0);
  console.log(`[node-red-redis] control without Redis: ${capped.length} × 130429`);
}, 120_000);
