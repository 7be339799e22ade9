import { ValidationError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';
import {
  clearPhoneNumberWebhook,
  clearWabaWebhook,
  ensureAppSubscribed,
  getPhoneNumberWebhook,
  listSubscribedApps,
  setPhoneNumberWebhook,
  subscribeApp,
  unsubscribeApp,
} from '../src/subscriptions';
import { LoopbackServer } from './support/loopback-server';

const TOKEN = 'EAAsubs';
let server: LoopbackServer;
let graph: GraphApi;
beforeEach(async () => {
  server = await LoopbackServer.start(() => ({ json: { success: true } }));
  graph = new GraphApi({ accessToken: TOKEN, baseUrl: server.url, apiVersion: 'v25.0' });
});
afterEach(async () => {
  await graph.close();
  await server.close();
});
const last = () => server.requests[server.requests.length - 1]!;

describe('WABA subscription', () => {
  /** Answers subscribed_apps with `apps` (app ids) and debug_token with `own` (or an error). */
  const account = (apps: string[], own: string | undefined) => (req: { method: string; url: string }) => {
    if (req.url.includes('/debug_token')) return own ? { json: { data: { app_id: own } } } : { status: 400, json: { error: { code: 100, message: 'no' } } };
    if (req.method === 'GET') return { json: { data: apps.map((id) => ({ whatsapp_business_api_data: { id } })) } };
    return { json: { success: true } };
  };
  const posts = () => server.requests.filter((r) => r.method === 'POST');

  it.each([
    ['no app subscribed', [], 'A', true],
    ['another app subscribed, not the token\'s', ['B'], 'A', true],
    ['the token\'s app subscribed', ['B', 'A'], 'A', false],
    ['some app subscribed and the token\'s app unknown (never risk its override)', ['B'], undefined, false],
  ] as const)('ensureAppSubscribed: %s → subscribes: %s', async (_name, apps, own, subscribes) => {
    server.responder = account([...apps], own);
    expect(await ensureAppSubscribed(graph, 'W')).toBe(subscribes);
    expect(posts().map((r) => [r.url, r.body.length])).toEqual(subscribes ? [['/v25.0/W/subscribed_apps', 0]] : []);
  });

  it('lists subscribed apps with their override', async () => {
    server.responder = () => ({
      json: {
        data: [
          { whatsapp_business_api_data: { id: '670843887433847', link: 'https://www.facebook.com/games/?app_id=67084', name: 'Lucky Shrub' }, override_callback_uri: 'https://alt.example/webhook' },
          { whatsapp_business_api_data: { id: '2', name: 'Other' } },
        ],
      },
    });
    expect(await listSubscribedApps(graph, 'W')).toEqual([
      { appId: '670843887433847', name: 'Lucky Shrub', link: 'https://www.facebook.com/games/?app_id=67084', overrideCallbackUri: 'https://alt.example/webhook' },
      { appId: '2', name: 'Other' },
    ]);
    expect(last()).toMatchObject({ method: 'GET', url: '/v25.0/W/subscribed_apps' });
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('subscribes without a body', async () => {
    expect(await subscribeApp(graph, 'W')).toBe(true);
    expect(last()).toMatchObject({ method: 'POST', url: '/v25.0/W/subscribed_apps' });
    expect(last().body.length).toBe(0);
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('subscribes with a WABA override', async () => {
    await subscribeApp(graph, 'W', { overrideCallbackUri: 'https://alt.example/webhook', verifyToken: 'v1' });
    expect(last().json).toEqual({ override_callback_uri: 'https://alt.example/webhook', verify_token: 'v1' });
    expect(last().headers['content-type']).toBe('application/json');
  });

  it('clearing the WABA override is a plain subscribe', async () => {
    await clearWabaWebhook(graph, 'W');
    expect(last()).toMatchObject({ method: 'POST', url: '/v25.0/W/subscribed_apps' });
    expect(last().json).toBeUndefined();
  });

  it('unsubscribes with DELETE', async () => {
    expect(await unsubscribeApp(graph, 'W')).toBe(true);
    expect(last()).toMatchObject({ method: 'DELETE', url: '/v25.0/W/subscribed_apps' });
  });

  it.each([
    [{ overrideCallbackUri: 'ftp://alt.example/webhook', verifyToken: 'v' }, /overrideCallbackUri: must be an https/],
    [{ overrideCallbackUri: `https://a.example/${'x'.repeat(200)}`, verifyToken: 'v' }, /characters, the limit is 200/],
    [{ overrideCallbackUri: 'https://alt.example/webhook' }, /verifyToken: a verify token is required/],
    [{ verifyToken: 'v' }, /overrideCallbackUri/],
  ])('refuses a bad override before any request (%#)', async (options, message) => {
    await expect(subscribeApp(graph, 'W', options)).rejects.toThrow(message);
    await expect(subscribeApp(graph, 'W', options)).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('phone number webhook override', () => {
  it('sets it with POST /{phone} webhook_configuration', async () => {
    expect(await setPhoneNumberWebhook(graph, '106540352242922', { callbackUri: 'https://n8n.example/webhook/a', verifyToken: 'secret-v' })).toBe(true);
    expect(last()).toMatchObject({ method: 'POST', url: '/v25.0/106540352242922' });
    expect(last().json).toEqual({ webhook_configuration: { override_callback_uri: 'https://n8n.example/webhook/a', verify_token: 'secret-v' } });
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('clears it with an empty override_callback_uri', async () => {
    await clearPhoneNumberWebhook(graph, '1');
    expect(last().json).toEqual({ webhook_configuration: { override_callback_uri: '' } });
  });

  it('reads the callback chain', async () => {
    server.responder = () => ({
      json: { webhook_configuration: { phone_number: 'https://p.example', whatsapp_business_account: 'https://w.example', application: 'https://app.example' }, id: '1' },
    });
    expect(await getPhoneNumberWebhook(graph, '1')).toEqual({ phoneNumber: 'https://p.example', whatsappBusinessAccount: 'https://w.example', application: 'https://app.example' });
    expect(last()).toMatchObject({ method: 'GET', url: '/v25.0/1?fields=webhook_configuration' });
  });

  it('refuses a missing verify token', async () => {
    await expect(setPhoneNumberWebhook(graph, '1', { callbackUri: 'https://a.example', verifyToken: '' })).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it('Meta only calls https; a local Graph emulator may call plain http', async () => {
    const meta = new GraphApi({ accessToken: 'token', transport: { request: async () => { throw new Error('must not be called'); } } });
    await expect(setPhoneNumberWebhook(meta, '1', { callbackUri: 'http://n8n.local/webhook/a', verifyToken: 'v' })).rejects.toThrow(/callbackUri: must be an https/);
    expect(await setPhoneNumberWebhook(graph, '1', { callbackUri: 'http://127.0.0.1:5678/webhook/a', verifyToken: 'v' })).toBe(true);
    expect(last().json).toEqual({ webhook_configuration: { override_callback_uri: 'http://127.0.0.1:5678/webhook/a', verify_token: 'v' } });
  });
});
