/**
 * Reliability of the Node-RED nodes beyond fuzzing:
 *  - Meta's redeliveries and out-of-order statuses (read before delivered) give one msg each;
 *  - closing the send node mid-burst: every msg is sent exactly once (the sandbox is the witness),
 *    the webhook routes are gone, and the process exits by itself (no timer, socket or Redis
 *    connection of ours left): run in a child process that never calls process.exit.
 */
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { APP_SECRET, sign } from '../../core/test/support/fuzz-webhooks';
import { collect, helper, load, startServer, stop, waitFor, type Loaded } from './helpers';

const PATH = '/reliability-hook';
const PHONE_NUMBER_ID = '100000000000001';

function body(value: Record<string, unknown>, field = 'messages'): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '200000000000001', changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001234', phone_number_id: PHONE_NUMBER_ID }, ...value } }] }],
    }),
  );
}

// Timestamps a few minutes old (the in node drops replays older than the dedupe horizon).
const T = Math.floor(Date.now() / 1000) - 600;
const status = (id: string, s: string, ts: number) => ({ id, status: s, timestamp: String(ts), recipient_id: '15551234567' });

describe('redeliveries and out-of-order statuses', () => {
  let loaded: Loaded;
  let port: number;

  beforeAll(async () => {
    await startServer();
    loaded = await load(
      [
        { id: 'cfg', type: 'whatsapp-cloud-config', phoneNumberId: PHONE_NUMBER_ID, baseUrl: 'http://127.0.0.1:9', throughput: 80, windowPolicy: 'enforce' },
        { id: 'tab', type: 'tab' },
        { id: 'in', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, wires: [['messages'], ['statuses'], ['others']] },
        { id: 'messages', z: 'tab', x: 1, y: 1, type: 'helper' },
        { id: 'statuses', z: 'tab', x: 1, y: 1, type: 'helper' },
        { id: 'others', z: 'tab', x: 1, y: 1, type: 'helper' },
      ],
      { cfg: { accessToken: 'reliability-token', appSecret: APP_SECRET, verifyToken: 'v' } },
    );
    port = Number(new URL(loaded.nodeUrl).port);
  });
  afterAll(() => stop(loaded));

  function post(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length, 'x-hub-signature-256': sign(bytes) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(bytes);
    });
  }

  test('read before delivered before sent, each redelivered (same bytes) and again in one batch: one msg per status, in arrival order', async () => {
    const statuses = collect(helper.getNode('statuses'));
    const wamid = 'wamid.reliability-out-of-order';
    const read = body({ statuses: [status(wamid, 'read', T + 300)] });
    const delivered = body({ statuses: [status(wamid, 'delivered', T + 200)] });
    const sent = body({ statuses: [status(wamid, 'sent', T + 100)] });
    const batch = body({ statuses: [status(wamid, 'sent', T + 100), status(wamid, 'delivered', T + 200), status(wamid, 'read', T + 300)] });
    for (const bytes of [read, delivered, read, sent, delivered, sent, batch, read]) expect(await post(bytes)).toBe(200);
    await waitFor(() => statuses.length >= 3, 2000, 'three statuses');
    await new Promise((r) => setTimeout(r, 200));
    expect(statuses.map((m) => m.whatsapp.status)).toEqual(['read', 'delivered', 'sent']);
    expect(statuses.every((m) => m.whatsapp.messageId === wamid)).toBe(true);
  });

  test('a message redelivered five times (and inside a batch with a new one) is one msg; the new one is one msg too', async () => {
    const messages = collect(helper.getNode('messages'));
    const text = (id: string) => ({ from: '15551234567', id, timestamp: String(T), type: 'text', text: { body: id } });
    const once = body({ contacts: [{ wa_id: '15551234567', profile: { name: 'Ada' } }], messages: [text('wamid.redelivered')] });
    for (let i = 0; i < 5; i++) expect(await post(once)).toBe(200);
    expect(await post(body({ messages: [text('wamid.redelivered'), text('wamid.new-one')] }))).toBe(200);
    await waitFor(() => messages.length >= 2, 2000, 'two messages');
    await new Promise((r) => setTimeout(r, 200));
    expect(messages.map((m) => m.whatsapp.messageId)).toEqual(['wamid.redelivered', 'wamid.new-one']);
  });
});

describe('close mid-burst (child process, built package)', () => {
  const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const PREFIX = `close-exits-${process.pid}-${Date.now()}:`;
  afterAll(async () => {
    // The keys expire by themselves (the quality rating after 7 days): remove this run's now.
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${PREFIX}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test.each([
    ['in-process state', undefined],
    ['shared store on Redis', process.env.REDIS_URL || 'redis://127.0.0.1:6379'],
  ])('%s: every msg sent exactly once, routes gone, and the process exits by itself', async (name, redisUrl) => {
    const script = path.join(__dirname, 'fixtures', 'close-exits.js');
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [script, '40', ...(redisUrl ? [redisUrl, PREFIX] : [])], { cwd: path.join(__dirname, '..'), timeout: 120_000, killSignal: 'SIGKILL' }, (error, out, err) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout: out, stderr: err }),
      );
      child.stdin?.end();
    });
    const seconds = (Date.now() - started) / 1000;
    expect(stdout).not.toContain('STILL ALIVE');
    expect({ code, stderr: stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    const result = JSON.parse(stdout.trim().split('\n').find((l) => l.startsWith('{'))!);
    expect(result).toMatchObject({ total: 40, failed: 0, accepted: 40, acceptedUnique: 40, routesBefore: 2, routesAfter: 0 });
    expect(result.atClose).toBeLessThan(40); // the close really came mid-burst
    // "Exits by itself" is proven above: code 0 (a process kept alive is SIGKILLed at the 120 s timeout,
    // code null) and no STILL ALIVE line (printed 3 s after the end if anything holds the loop). How
    // long Node-RED takes to start is up to the machine (38 s and 53 s measured under load; the former
    // 20 s kill and < 15 s bound failed there): logged, not asserted.
    console.info(`close mid-burst (${name}): child ran ${seconds.toFixed(1)} s`);
  }, 180_000);
});
