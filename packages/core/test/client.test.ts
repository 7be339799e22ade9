import { WhatsAppClient, type WhatsAppClientOptions } from '../src/client';
import { MemoryKeyedExpiryStore } from '../src/window/window-store';
import { SERVICE_WINDOW_MS, WindowTracker } from '../src/window/window-tracker';
import { LoopbackServer, accepted, graphError } from './support/loopback-server';
import type { WhatsAppError } from '../src/errors/whatsapp-error';

const TOKEN = 'EAAG-test-token-never-logged';
const PHONE_ID = '106540352242922';
const USER = '+14155551234';

let server: LoopbackServer;
const clients: WhatsAppClient[] = [];

function client(options: Partial<WhatsAppClientOptions> = {}): WhatsAppClient {
  const created = new WhatsAppClient({
    accessToken: TOKEN,
    phoneNumberId: PHONE_ID,
    baseUrl: server.url,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    window: { policy: 'off' },
    ...options,
  });
  clients.push(created);
  return created;
}

beforeEach(async () => {
  server = await LoopbackServer.start((req) => accepted(req.json?.to ?? ''));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.close();
});

describe('WhatsAppClient.send', () => {
  test('posts the Graph body with messaging_product, recipient_type, bearer token and API version', async () => {
    const result = await client().sendText('+1 (415) 555-1234', 'Hello', { previewUrl: true });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(`/v25.0/${PHONE_ID}/messages`);
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['user-agent']).toMatch(/wa-cloud/);
    expect(request!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: USER,
      type: 'text',
      text: { body: 'Hello', preview_url: true },
    });
    expect(result).toMatchObject({ to: USER, waId: '14155551234', messageStatus: 'accepted', attempts: 1 });
    expect(result.messageId).toMatch(/^wamid\./);
  });

  test('apiVersion is user-overridable and validated', async () => {
    await client({ apiVersion: 'v23.0' }).sendTemplate(USER, 'hello_world', 'en_US');
    expect(server.requests[0]!.url).toBe(`/v23.0/${PHONE_ID}/messages`);
    expect(() => client({ apiVersion: '23' })).toThrow(/apiVersion/);
  });

  test('invalid input fails before any request, naming the field and the limit', async () => {
    await expect(client().sendText(USER, 'x'.repeat(4097))).rejects.toMatchObject({ category: 'validation', field: 'text.body', message: expect.stringMatching(/4097.*4096/) });
    await expect(client().sendText('12', 'hi')).rejects.toMatchObject({ field: 'to' });
    expect(server.requests).toHaveLength(0);
  });

  test('retries 130429 with backoff and reports the attempts; the far side accepted it once', async () => {
    server.responder = (req, i) => (i < 2 ? graphError(400, 130429, '(#130429) Rate limit hit') : accepted(req.json.to));
    const result = await client().sendTemplate(USER, 'hello_world', 'en_US');
    expect(result.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  test('never retries what cannot succeed (131026) and maps the error with a hint', async () => {
    server.responder = () => graphError(400, 131026, '(#131026) Message undeliverable');
    await expect(client().sendTemplate(USER, 'hello_world', 'en_US')).rejects.toMatchObject({
      graphCode: 131026,
      category: 'recipient',
      retryable: false,
      hint: expect.stringMatching(/do not retry/),
    });
    expect(server.requests).toHaveLength(1);
  });

  test.each([502, 503, 504])('a send answered HTTP %s without a Meta code is delivery_unknown: sent once, not retried (a gateway may fail after Meta accepted)', async (status) => {
    server.responder = (req, i) => (i === 0 ? { status, body: '<html>gateway error</html>' } : accepted(req.json.to));
    const error = await client().sendTemplate(USER, 'hello_world', 'en_US').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'delivery_unknown', category: 'network', retryable: false, requestSent: true, message: expect.stringContaining(`HTTP ${status}`) });
    expect((error as WhatsAppError).hint).toMatch(/status webhook/);
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    const atLeastOnce = client({ retry: { baseDelayMs: 5, retryDeliveryUnknown: true } });
    expect((await atLeastOnce.sendTemplate(USER, 'hello_world', 'en_US')).attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  test('mark-as-read (repeating it is harmless) still retries a gateway 5xx; code 1 only once', async () => {
    server.responder = (_req, i) => (i === 0 ? { status: 502, body: '<html>bad gateway</html>' } : { status: 200, json: { success: true } });
    expect(await client().markAsRead('wamid.X')).toEqual({ success: true });
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    server.responder = () => graphError(400, 1, '(#1) An unknown error occurred');
    await expect(client().sendTemplate(USER, 'hello_world', 'en_US')).rejects.toMatchObject({ graphCode: 1 });
    expect(server.requests).toHaveLength(2);
  });

  test('a connection lost after the request was written is not retried (delivery_unknown) unless opted in', async () => {
    server.responder = (req, i) => (i === 0 ? { destroy: true } : accepted(req.json.to));
    await expect(client().sendTemplate(USER, 'hello_world', 'en_US')).rejects.toMatchObject({ code: 'delivery_unknown', category: 'network' });
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    const atLeastOnce = client({ retry: { baseDelayMs: 5, retryDeliveryUnknown: true } });
    expect((await atLeastOnce.sendTemplate(USER, 'hello_world', 'en_US')).attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  test('a refused connection is retried (nothing was sent) and fails as connection_failed', async () => {
    const dead = new WhatsAppClient({ accessToken: TOKEN, phoneNumberId: PHONE_ID, baseUrl: 'http://127.0.0.1:1', retry: { maxAttempts: 3, baseDelayMs: 1 } });
    clients.push(dead);
    await expect(dead.sendTemplate(USER, 'hello_world', 'en_US')).rejects.toMatchObject({ code: 'connection_failed', retryable: true });
  });

  test('no error or JSON view ever contains the access token', async () => {
    server.responder = () => graphError(401, 190, '(#190) Error validating access token');
    const error = await client().sendTemplate(USER, 'hello_world', 'en_US').catch((e: Error) => e);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(String(error)).not.toContain(TOKEN);
    expect((error as Error).stack).not.toContain(TOKEN);
  });

  test('markAsRead sends the read status with a typing indicator', async () => {
    server.responder = () => ({ status: 200, json: { success: true } });
    expect(await client().markAsRead('wamid.ABC', { typing: true })).toEqual({ success: true });
    expect(server.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.ABC', typing_indicator: { type: 'text' } });
  });

  test('a BSUID recipient passes through unchanged, in Meta\'s recipient field', async () => {
    await client().sendTemplate('US.1234567890123', 'hello_world', 'en_US');
    expect(server.requests[0]!.json.recipient).toBe('US.1234567890123');
    expect(server.requests[0]!.json.to).toBeUndefined();
  });
});

describe('24-hour window policies', () => {
  let now: number;
  let tracker: WindowTracker;
  beforeEach(() => {
    now = Date.now();
    tracker = new WindowTracker(new MemoryKeyedExpiryStore({ now: () => now }), () => now);
  });

  test('enforce: a free-form send without an open window fails before any request, with a template hint', async () => {
    await expect(client({ window: { policy: 'enforce', tracker } }).sendText(USER, 'hi')).rejects.toMatchObject({
      code: 'window_closed',
      category: 'window',
      hint: expect.stringMatching(/template/),
    });
    expect(server.requests).toHaveLength(0);
  });

  test('enforce: templates always go; free-form goes inside the window, up to the 24 h boundary', async () => {
    const c = client({ window: { policy: 'enforce', tracker } });
    await c.sendTemplate(USER, 'hello_world', 'en_US');
    await tracker.recordInbound(PHONE_ID, '14155551234', new Date(now));
    now += SERVICE_WINDOW_MS - 1;
    await c.sendText(USER, 'still inside');
    now += 1;
    await expect(c.sendText(USER, 'too late')).rejects.toMatchObject({ code: 'window_closed' });
    expect(server.requests.map((r) => r.json.type)).toEqual(['template', 'text']);
  });

  test('fallback-template: sends the fallback instead and says so', async () => {
    const c = client({ window: { policy: 'fallback-template', tracker, fallbackTemplate: { name: 'reopen_chat', languageCode: 'en' } } });
    const result = await c.send({ to: USER, type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: 'crm-42' });
    expect(result.fallback).toEqual({ reason: 'window_closed', template: 'reopen_chat' });
    expect(server.requests[0]!.json).toMatchObject({ type: 'template', template: { name: 'reopen_chat', language: { code: 'en' } }, biz_opaque_callback_data: 'crm-42' });
    expect(server.requests[0]!.json.text).toBeUndefined();
  });

  test('fallback-template without a template is a configuration error', () => {
    expect(() => client({ window: { policy: 'fallback-template', tracker } })).toThrow(/fallbackTemplate/);
  });

  test('off: sends anyway; a 131047 answer closes the window we believed open', async () => {
    await tracker.recordInbound(PHONE_ID, '14155551234', new Date(now));
    server.responder = () => graphError(400, 131047, '(#131047) Re-engagement message');
    await expect(client({ window: { policy: 'off', tracker } }).sendText(USER, 'hi')).rejects.toMatchObject({ category: 'window' });
    expect((await tracker.status(PHONE_ID, USER)).open).toBe(false);
  });
});

describe('pacing', () => {
  test('sends to one recipient follow the pair rate; others are not held up', async () => {
    const c = client({ throughput: 1000, pairRate: { burst: 2, intervalMs: 400 } });
    const t0 = Date.now();
    await Promise.all([
      ...[1, 2, 3].map((n) => c.sendTemplate(USER, 'hello_world', 'en_US').then(() => n)),
      c.sendTemplate('+14155550000', 'hello_world', 'en_US'),
    ]);
    const arrivals = server.requests.map((r) => ({ to: r.json.to, at: r.at - t0 }));
    const toUser = arrivals.filter((a) => a.to === USER).map((a) => a.at);
    // The 3rd waits the interval after the burst, which went at t0: measured from t0, as the first
    // arrival can be late itself (a new connection on a loaded machine: 261 ms between them was seen).
    expect(toUser[2]!).toBeGreaterThanOrEqual(380);
    expect(arrivals.find((a) => a.to === '+14155550000')!.at).toBeLessThan(toUser[2]!); // not held behind USER
  });

  test('240 concurrent sends at 80/s: none fail, at least 90 % of the cap, never above it', async () => {
    server.responder = (req) => ({ ...accepted(req.json.to), delayMs: 50 });
    const c = client({ throughput: 80 });
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 240 }, (_, i) => c.sendTemplate(`+1415555${String(i).padStart(4, '0')}`, 'hello_world', 'en_US')));
    const elapsed = (Date.now() - t0) / 1000;
    expect(results.every((r) => r.attempts === 1)).toBe(true);
    expect(server.requests).toHaveLength(240);
    const rate = 240 / elapsed;
    expect(rate).toBeGreaterThanOrEqual(72);
    // Arrivals never overdraw a one-second token bucket of 80 (the sandbox's and, we assume, Meta's model).
    let tokens = 80;
    let last = server.requests[0]!.at;
    for (const { at } of [...server.requests].sort((a, b) => a.at - b.at)) {
      tokens = Math.min(80, tokens + ((at - last) * 80) / 1000);
      last = at;
      tokens -= 1;
      expect(tokens).toBeGreaterThanOrEqual(-1);
    }
  }, 20_000);
});

test('close() may be called twice', async () => {
  const c = new WhatsAppClient({ accessToken: TOKEN, phoneNumberId: PHONE_ID, baseUrl: 'http://127.0.0.1:1' });
  await c.close();
  await expect(c.close()).resolves.toBeUndefined();
});

test('timeoutMs is a deadline for the whole exchange; a late answer is delivery_unknown, not retried', async () => {
  const slow = await LoopbackServer.start((req) => ({ ...accepted(req.json.to), delayMs: 1500 }));
  const c = new WhatsAppClient({ accessToken: TOKEN, phoneNumberId: PHONE_ID, baseUrl: slow.url, timeoutMs: 200 });
  const started = Date.now();
  await expect(c.sendTemplate(USER, 'hello_world', 'en_US')).rejects.toMatchObject({ code: 'delivery_unknown', message: expect.stringMatching(/no answer within 200 ms/) });
  // Before the answer came (1,500 ms): the deadline ended the exchange. That is the bound; how soon
  // after 200 ms is up to the machine's load.
  expect(Date.now() - started).toBeLessThan(1400);
  expect(slow.requests).toHaveLength(1);
  await c.close();
  await slow.close();
});
