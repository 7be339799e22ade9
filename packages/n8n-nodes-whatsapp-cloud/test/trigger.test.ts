/**
 * The trigger's webhook handler fed with the sandbox's own signed webhooks (captured at a loopback
 * receiver, bytes and headers as sent): the Mark as Read (with typing) and Download Media options,
 * the Template Updates and User Preferences events, and which phone number's events pass. Each test
 * asserts what the sandbox received from the trigger, or what the workflow would get.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { LoopbackServer, type ReceivedRequest } from '../../core/test/support/loopback-server';
import { WhatsAppCloudTrigger } from '../nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node';

let sandbox: Sandbox;
let receiver: LoopbackServer;

beforeEach(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null }, templateReviewMs: 20 });
  receiver = await LoopbackServer.start(() => ({ status: 200 }));
  sandbox.setWebhookUrl(`${receiver.url}/hook`);
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

let nodes = 0;
/** Hands one captured webhook POST to the trigger; returns the workflow data (undefined: nothing started) and the HTTP answer. */
async function deliver(
  post: Pick<ReceivedRequest, 'headers' | 'body'> & { unread?: boolean },
  params: IDataObject,
  credentials: IDataObject = {},
  warnings: string[] = [],
  // n8n's own answer once it tried to store the execution (200, or an error); `node`: the same trigger again.
  n8n: { answers?: number; node?: number } = {},
) {
  const answer: { status?: number; ended?: boolean } = {};
  const res = {
    statusCode: 200,
    status(code: number) {
      answer.status = code;
      res.statusCode = code;
      return res;
    },
    type: () => res,
    send: (): unknown => res.end(),
    end: (): unknown => {
      answer.ended = true;
      return res;
    },
  };
  const number = n8n.node ?? ++nodes;
  const node = { id: `trigger-${number}`, name: 'WhatsApp Cloud Trigger', type: 'whatsAppCloudTrigger', typeVersion: 1, position: [0, 0], parameters: {}, webhookId: `hook-${number}` };
  const all: IDataObject = { sharedStore: 'memory', events: ['messages'], statuses: [], options: {}, ...params };
  // n8n reads the body before calling the node, except (version 2 on) for content types it does not
  // parse: then only its reader is there (`unread`).
  const request: Record<string, unknown> = { headers: post.headers, query: {} };
  if (post.unread) request.readRawBody = async () => void (request.rawBody = post.body);
  else request.rawBody = post.body;
  const ctx = {
    getWebhookName: () => 'default',
    getRequestObject: () => request,
    getResponseObject: () => res,
    getNodeParameter: (name: string, fallback?: unknown) => (name in all ? all[name] : fallback),
    getNode: () => node,
    getCredentials: async () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url, appSecret: sandbox.appSecret, verifyToken: sandbox.verifyToken, ...credentials }),
    logger: { info: () => undefined, warn: (message: string) => warnings.push(message), error: () => undefined, debug: () => undefined },
    helpers: {
      prepareBinaryData: async (data: Buffer, fileName?: string, mimeType?: string) => ({ data: data.toString('base64'), fileName, mimeType }),
      httpRequest: async () => ({}),
    },
  } as unknown as IWebhookFunctions;
  const result = await new WhatsAppCloudTrigger().webhook.call(ctx);
  // What n8n does with an "onReceived" webhook the node did not answer: 200 once the execution is stored.
  if (result.noWebhookResponse !== true) res.status(n8n.answers ?? 200).send();
  // The answer leaves once the store has committed the keys (a turn or two later).
  for (let i = 0; i < 100 && !answer.ended; i++) await new Promise((r) => setImmediate(r));
  return { answer: answer.status, outputs: result.workflowData as INodeExecutionData[][] | undefined, node: number };
}

/** The webhook POSTs the sandbox delivered since `from` whose first change has `field`. */
const posts = (field: string, from = 0) => receiver.requests.slice(from).filter((r) => r.method === 'POST' && r.json?.entry?.[0]?.changes?.[0]?.field === field);
const waitForPost = async (field: string, from = 0): Promise<ReceivedRequest> => {
  for (let i = 0; i < 200; i++) {
    const found = posts(field, from)[0];
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${field} webhook`);
};
const sandboxSince = (from: number) => sandbox.requests.slice(from);

describe('options on incoming messages', () => {
  test.each([
    ['Mark as Read', { markAsRead: true }, false],
    ['Mark as Read with Show Typing Indicator', { markAsRead: true, typing: true }, true],
  ] as const)('%s: the trigger sends the read receipt for that message', async (_name, options, typing) => {
    const wamid = await sandbox.inbound({ from: '15554440001', text: 'hello' });
    const before = sandbox.requests.length;
    const { answer, outputs } = await deliver(await waitForPost('messages'), { options });
    expect(answer).toBe(200);
    expect(outputs![0]!.map((i) => i.json.messageId)).toEqual([wamid]);
    const reads = sandboxSince(before).filter((r) => r.method === 'POST' && r.path.endsWith(`/${sandbox.phoneNumberId}/messages`));
    expect(reads.map((r) => r.body)).toEqual([{ messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(typing ? { typing_indicator: { type: 'text' } } : {}) }]);
    expect(sandbox.inbounds.find((i) => i.id === wamid)?.readAt).toBeDefined();
  });

  test('without Mark as Read nothing is sent back', async () => {
    await sandbox.inbound({ from: '15554440002', text: 'hello' });
    const before = sandbox.requests.length;
    await deliver(await waitForPost('messages'), {});
    expect(sandboxSince(before)).toEqual([]);
  });

  test('Download Media: the image arrives as binary "data" with its type, bytes as uploaded by the user', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
    await sandbox.inbound({ from: '15554440003', type: 'image', payload: { data: png, mime_type: 'image/png', caption: 'parcel' } });
    const before = sandbox.requests.length;
    const { outputs } = await deliver(await waitForPost('messages'), { options: { downloadMedia: true } });
    const item = outputs![0]![0]!;
    expect(item.json).toMatchObject({ type: 'image', media: { mimeType: 'image/png', caption: 'parcel' } });
    expect(item.binary!.data).toMatchObject({ mimeType: 'image/png' });
    expect(Buffer.from(item.binary!.data!.data, 'base64').equals(png)).toBe(true);
    expect(sandboxSince(before).some((r) => r.method === 'GET')).toBe(true);
    expect(item.json.mediaDownloadError).toBeUndefined();
  });
});

describe('events', () => {
  test('Template Updates: an approval of a created template comes out on Other; not chosen, it starts nothing', async () => {
    const created = await fetch(`${sandbox.url}/v25.0/${sandbox.wabaId}/message_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'parcel_left', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your parcel left.' }] }),
    });
    expect(created.status).toBe(200);
    const post = await waitForPost('message_template_status_update');
    const chosen = await deliver(post, { events: ['templateUpdates'] });
    expect(chosen.outputs![2]!.map((i) => [i.json.kind, i.json.templateName ?? i.json.name, i.json.event ?? i.json.status])).toEqual([['template_status', 'parcel_left', 'APPROVED']]);
    const notChosen = await deliver(post, { events: ['messages'] });
    expect(notChosen.outputs).toBeUndefined();
  });

  test('User Preferences: a user stopping marketing comes out on Other', async () => {
    await sandbox.setMarketingPreference('15554440004', 'stop');
    const post = await waitForPost('user_preferences');
    const { outputs } = await deliver(post, { events: ['userPreferences'] });
    expect(outputs![2]!.map((i) => [i.json.kind, i.json.value, i.json.category])).toEqual([['user_preferences', 'stop', 'marketing_messages']]);
  });
});

describe('phone numbers', () => {
  test('by default only the credential\'s number passes; All Phone Numbers passes others, and never marks their messages read', async () => {
    await sandbox.inbound({ from: '15554440005', text: 'to another number' });
    const post = await waitForPost('messages');
    const other = { phoneNumberId: '100000000000777' };
    const before = sandbox.requests.length;
    expect((await deliver(post, { options: { markAsRead: true } }, other)).outputs).toBeUndefined();
    const all = await deliver(post, { options: { markAsRead: true, allPhoneNumbers: true } }, other);
    expect(all.outputs![0]).toHaveLength(1);
    expect(sandboxSince(before)).toEqual([]);
  });

  test('account-level events (no phone number ID) of another WABA are not the credential\'s', async () => {
    await sandbox.emit('message_template_status_update', { event: 'APPROVED', message_template_id: 7, message_template_name: 'x', message_template_language: 'en_US', reason: 'NONE' });
    const post = await waitForPost('message_template_status_update');
    expect((await deliver(post, { events: ['templateUpdates'] }, { wabaId: '200000000000777' })).outputs).toBeUndefined();
    expect((await deliver(post, { events: ['templateUpdates'] })).outputs![2]).toHaveLength(1);
  });
});

describe('request body', () => {
  test('a body n8n left unread (a content type it does not parse) is read through its reader and handled', async () => {
    await sandbox.inbound({ from: '15554440003', text: 'no content type' });
    const { answer, outputs } = await deliver({ ...(await waitForPost('messages')), unread: true }, {});
    expect(answer).toBe(200);
    expect(outputs![0]!.map((i) => i.json.text)).toEqual(['no content type']);
  });

  test('no body at all is answered 400 and starts nothing', async () => {
    const { answer, outputs } = await deliver({ headers: {}, body: undefined as unknown as Buffer }, {});
    expect(answer).toBe(400);
    expect(outputs).toBeUndefined();
  });
});

describe('the answer waits for n8n to store the execution', () => {
  test('a message webhook is answered by n8n; after a 200 a redelivery starts nothing, after an error it starts the workflow again', async () => {
    const from = receiver.requests.length;
    await sandbox.inbound({ from: '15557300001', text: 'stored?' });
    const post = await waitForPost('messages', from);
    const params = { sharedStore: 'embedded', options: { allPhoneNumbers: true } };
    // n8n could not store the execution (it answers 500): the event's key is let go…
    const failed = await deliver(post, params, {}, [], { answers: 500 });
    expect(failed.outputs![0]).toHaveLength(1);
    expect(failed.answer).toBe(500);
    // …so Meta's redelivery is handled, and n8n stores this one.
    const stored = await deliver(post, params, {}, [], { answers: 200, node: failed.node });
    expect(stored.outputs![0]).toHaveLength(1);
    expect(stored.answer).toBe(200);
    // Answered 200: a redelivery is a duplicate, answered by the trigger itself.
    const again = await deliver(post, params, {}, [], { node: failed.node });
    expect(again.outputs).toBeUndefined();
    expect(again.answer).toBe(200);
  });
});

describe('replayed webhooks', () => {
  // A real capture from 2017 (Meta's sample), validly signed with the credential's app secret: what
  // an attacker replays after the dedupe store forgot its key (a restart of an in-memory store).
  const replay = () => {
    const body = readFileSync(join(__dirname, '..', '..', 'core', 'test', 'fixtures', 'webhooks', 'msg-text.json'));
    return { body, headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', sandbox.appSecret).update(body).digest('hex')}` } };
  };

  test('an event older than the dedupe horizon is answered 200, starts nothing and is logged without secrets', async () => {
    const warnings: string[] = [];
    const { answer, outputs } = await deliver(replay(), { options: { allPhoneNumbers: true } }, {}, warnings);
    expect(answer).toBe(200);
    expect(outputs).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/dropped 1 replayed event older than the dedupe horizon/);
    for (const secret of [sandbox.appSecret, sandbox.accessToken, sandbox.verifyToken]) expect(warnings.join('\n')).not.toContain(secret);
  });

  test('Drop Replayed Events switched off: the same old event starts the workflow', async () => {
    const { answer, outputs } = await deliver(replay(), { options: { allPhoneNumbers: true, dropReplays: false } });
    expect(answer).toBe(200);
    const sent = JSON.parse(replay().body.toString()).entry[0].changes[0].value.messages[0];
    expect(outputs![0]!.map((i) => i.json.messageId)).toEqual([sent.id]);
  });
});
