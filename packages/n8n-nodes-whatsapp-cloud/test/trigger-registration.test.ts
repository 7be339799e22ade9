/**
 * The trigger's activation (n8n's webhook lifecycle: checkExists → create → delete) against the
 * sandbox: the app is subscribed to the WABA when it is not (Meta sends an unsubscribed app no
 * webhook, a phone number override included), the override points at the trigger, and a user's
 * message then really reaches the trigger's URL.
 */
import type { IDataObject, IHookFunctions } from 'n8n-workflow';
import { sharedState } from '@wa-cloud/core';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { LoopbackServer } from '../../core/test/support/loopback-server';
import { WhatsAppCloudTrigger } from '../nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node';

let sandbox: Sandbox;
let receiver: LoopbackServer;
const logs: string[] = [];

beforeEach(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
  // The trigger's URL: answers Meta's GET challenge, takes POSTs.
  receiver = await LoopbackServer.start((req) => {
    const query = new URL(req.url, 'http://x').searchParams;
    if (req.method === 'GET') return query.get('hub.verify_token') === sandbox.verifyToken ? { status: 200, body: query.get('hub.challenge') ?? '' } : { status: 403 };
    return { status: 200 };
  });
  logs.length = 0;
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

function hookContext(params: IDataObject, credentials: IDataObject = {}): IHookFunctions {
  const data = { accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url, appSecret: sandbox.appSecret, verifyToken: sandbox.verifyToken, ...credentials };
  const log = (level: string) => (message: string) => logs.push(`${level}: ${message}`);
  return {
    getNodeParameter: (name: string, fallback?: unknown) => (name in params ? params[name] : fallback),
    getNodeWebhookUrl: () => `${receiver.url}/webhook/wa`,
    getCredentials: async () => data,
    getNode: () => ({ id: 't', name: 'WhatsApp Cloud Trigger', type: 'whatsAppCloudTrigger', typeVersion: 1, position: [0, 0], parameters: {} }),
    logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
  } as unknown as IHookFunctions;
}

async function graph(method: string, path: string): Promise<any> {
  const response = await fetch(`${sandbox.url}/v25.0/${path}`, { method, headers: { authorization: `Bearer ${sandbox.accessToken}` } });
  return response.json();
}

const methods = new WhatsAppCloudTrigger().webhookMethods.default;
const subscribePosts = () => sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${sandbox.wabaId}/subscribed_apps`));

test('activation subscribes an unsubscribed app to the WABA, so a user message reaches the trigger', async () => {
  await graph('DELETE', `${sandbox.wabaId}/subscribed_apps`);
  expect((await graph('GET', `${sandbox.wabaId}/subscribed_apps`)).data).toEqual([]);
  const ctx = hookContext({ registration: 'phoneNumberOverride' });

  expect(await methods.checkExists.call(ctx)).toBe(false);
  expect(await methods.create.call(ctx)).toBe(true);

  expect(subscribePosts()).toHaveLength(1);
  expect((await graph('GET', `${sandbox.wabaId}/subscribed_apps`)).data).toHaveLength(1);
  expect(sandbox.webhookTarget).toBe(`${receiver.url}/webhook/wa`);
  expect(logs).toContain(`info: WhatsApp Cloud Trigger: subscribed the app to WABA ${sandbox.wabaId}'s webhooks.`);

  await sandbox.inbound({ from: '15551230077', text: 'hello trigger' });
  const posts = receiver.requests.filter((r) => r.method === 'POST');
  expect(posts).toHaveLength(1);
  expect(posts[0]!.json.entry[0].changes[0].value.messages[0].text.body).toBe('hello trigger');

  expect(await methods.checkExists.call(ctx)).toBe(true);
});

test('an app already subscribed is left alone (subscribing again would drop its WABA override)', async () => {
  const ctx = hookContext({ registration: 'phoneNumberOverride' });
  expect(await methods.checkExists.call(ctx)).toBe(false); // no phone number override yet
  await methods.create.call(ctx);
  expect(subscribePosts()).toHaveLength(0);
  expect(sandbox.webhookTarget).toBe(`${receiver.url}/webhook/wa`);
});

test('without a WABA ID the override is still registered, and the log says the subscription was not checked', async () => {
  const ctx = hookContext({ registration: 'phoneNumberOverride' }, { wabaId: '' });
  await methods.create.call(ctx);
  expect(sandbox.webhookTarget).toBe(`${receiver.url}/webhook/wa`);
  expect(logs.some((l) => l.startsWith('warn:') && l.includes('no WhatsApp Business Account ID'))).toBe(true);
});

test('Verify Only registers nothing and subscribes nothing', async () => {
  const ctx = hookContext({ registration: 'verifyOnly' });
  expect(await methods.checkExists.call(ctx)).toBe(true);
  expect(await methods.delete.call(ctx)).toBe(true);
  expect(sandbox.requests.filter((r) => r.method !== 'GET')).toEqual([]);
});

test.each([0, 500, 'soon'])('a Ledger Retention (Days) of %p stops the activation naming the option and the range, before anything is registered', async (days) => {
  const ctx = hookContext({ registration: 'phoneNumberOverride', options: { ledgerRetentionDays: days } });
  await expect(methods.checkExists.call(ctx)).rejects.toThrow(`Options → Ledger Retention (Days): ${days} must be a number of days from 0.042 (1 hour) to 400 (default 30)`);
  expect(sandbox.requests).toHaveLength(0);
  // In range: the activation goes on as usual.
  expect(await methods.checkExists.call(hookContext({ registration: 'phoneNumberOverride', options: { ledgerRetentionDays: 0.5 } }))).toBe(false);
});

describe('messaging-limit tier read at activation', () => {
  const tierReads = () => sandbox.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${sandbox.phoneNumberId}`) && (r.query.fields ?? '').includes('whatsapp_business_manager_messaging_limit'));
  const until = async (check: () => boolean, what: string) => {
    const started = Date.now();
    while (!check()) {
      if (Date.now() - started > 3000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  test.each(['phoneNumberOverride', 'verifyOnly'])('registration %s: the sandbox is asked for the tier and the state store\'s messaging limit keeps it for the send nodes', async (registration) => {
    const wabaId = String(Math.floor(1e14 + Math.random() * 9e14));
    await sandbox.close();
    sandbox = await startSandbox({ wabaId, statusDelaysMs: { sent: 5, delivered: null, read: null } });
    await sandbox.setMessagingLimitTier('TIER_250');
    const tracker = sharedState({ kind: 'memory' }).messagingLimit;
    expect(tracker.tier(wabaId)).toBeUndefined();
    await methods.checkExists.call(hookContext({ registration, sharedStore: 'memory' }));
    await until(() => tracker.tier(wabaId) !== undefined, 'the tier');
    expect(tracker.tier(wabaId)).toBe('TIER_250');
    expect(tierReads()).toHaveLength(1);
    expect(sandbox.messages).toHaveLength(0);
  });

  test('a failed read does not stop the activation: a warning with the reason, never the token', async () => {
    const ctx = hookContext({ registration: 'verifyOnly', sharedStore: 'memory' }, { accessToken: 'EAAG-wrong-token-secret' });
    expect(await methods.checkExists.call(ctx)).toBe(true);
    await until(() => logs.some((l) => l.startsWith('warn: WhatsApp Cloud Trigger: the messaging limit tier was not read at activation')), 'the warning');
    expect(tierReads()).toHaveLength(1);
    expect(logs.join('\n')).not.toContain('EAAG-wrong-token-secret');
  });
});
