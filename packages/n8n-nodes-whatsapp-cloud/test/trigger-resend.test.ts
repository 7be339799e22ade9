/**
 * The trigger's "Re-Send Failed (Retryable) Messages" option wired to core: a template the sandbox
 * fails on the status webhook with 131000 (retryable after 5 minutes) is sent again by the trigger
 * when the option is on, and not when it is off. The sandbox's clock runs 10 minutes behind, so the
 * failure it reports is already older than the table's delay: the re-send is due at once. Counts
 * are of what the sandbox accepted.
 */
import { sharedState, WhatsAppClient } from '@wa-cloud/core';
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { LoopbackServer, type ReceivedRequest } from '../../core/test/support/loopback-server';
import { WhatsAppCloudTrigger } from '../nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node';

const TO = '+15557770101';
let sandbox: Sandbox;
let receiver: LoopbackServer;
let client: WhatsAppClient;

beforeEach(async () => {
  receiver = await LoopbackServer.start(() => ({ status: 200 }));
  sandbox = await startSandbox({ webhookUrl: `${receiver.url}/hook`, statusDelaysMs: { sent: 5, delivered: null, read: null }, now: () => Date.now() - 10 * 60_000, seed: Math.floor(Math.random() * 1e9) });
  // The send node's side: the same (memory) state store the trigger below uses.
  client = new WhatsAppClient({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, baseUrl: sandbox.url, window: { policy: 'off' }, ledger: sharedState({ kind: 'memory' }).ledger });
});
afterEach(async () => {
  await client.close();
  await sandbox.close();
  await receiver.close();
});

function context(params: IDataObject, post?: ReceivedRequest) {
  const res = { status: () => res, type: () => res, send: () => res, end: () => res };
  const all: IDataObject = { sharedStore: 'memory', registration: 'verifyOnly', events: ['statuses'], statuses: ['failed'], ...params };
  const node = { id: 'trigger-resend', name: 'WhatsApp Cloud Trigger', type: 'whatsAppCloudTrigger', typeVersion: 1, position: [0, 0], parameters: {}, webhookId: `hook-resend-${Math.random()}` };
  return {
    getWebhookName: () => 'default',
    getRequestObject: () => ({ headers: post?.headers, rawBody: post?.body, query: {} }),
    getResponseObject: () => res,
    getNodeParameter: (name: string, fallback?: unknown) => (name in all ? all[name] : fallback),
    getNode: () => node,
    getCredentials: async () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, baseUrl: sandbox.url, appSecret: sandbox.appSecret, verifyToken: sandbox.verifyToken }),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
    helpers: { httpRequest: async () => ({}) },
  };
}

/** Sends a template that the sandbox fails with 131000, and hands its failed status to the trigger. */
async function failAndDeliver(options: IDataObject): Promise<string> {
  sandbox.failSends({ code: 131000, to: TO, times: 1 });
  const { messageId } = await client.sendTemplate(TO, 'hello_world', 'en_US', [], { reference: 'order-77' });
  const post = await sandbox.waitFor(() =>
    receiver.requests.find((r) => (r.json?.entry?.[0]?.changes?.[0]?.value?.statuses ?? []).some((s: { id: string; status: string }) => s.id === messageId && s.status === 'failed')),
  );
  const result = await new WhatsAppCloudTrigger().webhook.call(context({ options }, post) as unknown as IWebhookFunctions);
  // The failure still starts the workflow, as without the option.
  expect(result.workflowData?.[1]?.map((item) => item.json.messageId)).toEqual([messageId]);
  return messageId;
}

const acceptedFor = () => sandbox.messages.filter((m) => m.to.replace(/\D/g, '') === TO.slice(1));

test('on: the failed message is sent again once, and its ledger row links the re-send', async () => {
  const trigger = new WhatsAppCloudTrigger();
  const options = { resendFailed: true };
  try {
    const first = await failAndDeliver(options);
    await sandbox.waitFor(() => acceptedFor().length === 2, 5000);
    const resent = acceptedFor()[1]!;
    expect(resent.body).toEqual(acceptedFor()[0]!.body);
    const ledger = sharedState({ kind: 'memory' }).ledger;
    // The link is written right after Meta accepts the re-send.
    for (let i = 0; i < 300 && (await ledger.get(first))?.resentAs === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await ledger.get(first)).toMatchObject({ status: 'failed', resentAs: resent.id });
    expect(await ledger.get(resent.id)).toMatchObject({ resendOf: first, resend: 1, reference: 'order-77' });
  } finally {
    // Deactivation stops the trigger's resender.
    await trigger.webhookMethods.default.delete.call(context({ options }) as unknown as IHookFunctions);
  }
  expect(acceptedFor()).toHaveLength(2);
});

test('off (the default): nothing waits and nothing is sent again', async () => {
  await failAndDeliver({});
  expect(await sharedState({ kind: 'memory' }).ledger.resends.waiting(sandbox.phoneNumberId)).toEqual([]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(acceptedFor()).toHaveLength(1);
});
