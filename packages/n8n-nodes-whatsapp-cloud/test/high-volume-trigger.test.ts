/**
 * The High-Volume Trigger against the sandbox, over real HTTP on its own port: activation registers
 * the Public URL as the number's override (the sandbox GET-checks it), a user's message starts one
 * execution with its event key as n8n's deduplication key, statuses are recorded in the ledger and
 * start nothing (failed does), a redelivery starts nothing, bad input is refused naming the field,
 * and closing frees the port. What n8n does with the key (one execution per key, across restarts)
 * is proven in real n8n by test/e2e/n8n-high-volume-trigger.test.ts.
 */
import { createHmac } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { sharedState, WhatsAppClient } from '@wa-cloud/core';
import type { IDataObject, INodeExecutionData, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppCloudHighVolumeTrigger } from '../nodes/WhatsAppCloudHighVolumeTrigger/WhatsAppCloudHighVolumeTrigger.node';

interface Emitted {
  data: INodeExecutionData[][];
  key?: string;
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 } });
});
afterEach(async () => {
  await sandbox.close();
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let nodes = 0;
/** n8n failing to store executions (its database down): donePromise rejects. */
let storeFails = false;
afterEach(() => {
  storeFails = false;
});
function context(params: IDataObject, emitted: Emitted[], warnings: string[] = [], mode = 'trigger'): ITriggerFunctions {
  const node = { id: `hv-${++nodes}`, name: 'WhatsApp Cloud High-Volume Trigger', type: 'whatsAppCloudHighVolumeTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
  const all: IDataObject = { registration: 'phoneNumberOverride', path: 'whatsapp', events: ['messages', 'statuses'], statuses: ['failed'], options: {}, sharedStore: 'memory', ...params };
  return {
    getNode: () => node,
    getWorkflow: () => ({ id: 'wf-hv', name: 'hv', active: true }),
    getMode: () => mode,
    getActivationMode: () => 'activate',
    getNodeParameter: (name: string, fallback?: unknown) => (name in all ? all[name] : fallback),
    getCredentials: async () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, appSecret: sandbox.appSecret, verifyToken: sandbox.verifyToken, baseUrl: sandbox.url }),
    logger: { info: () => undefined, debug: () => undefined, error: (m: string) => warnings.push(m), warn: (m: string) => warnings.push(m) },
    helpers: { httpRequest: async () => ({}) },
    // n8n stores and runs the execution, then settles donePromise.
    emit: (data: INodeExecutionData[][], _response?: unknown, done?: { resolve: (run: unknown) => void }, key?: string) => {
      if (storeFails) {
        setTimeout(() => (done as unknown as { reject: (e: Error) => void }).reject(new Error('SQLITE_BUSY')), 5);
        return;
      }
      emitted.push({ data, ...(key ? { key } : {}) });
      setTimeout(() => done?.resolve({}), 5);
    },
  } as unknown as ITriggerFunctions;
}

function signed(body: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', sandbox.appSecret).update(body).digest('hex')}` };
}

function statusBody(id: string, status: string): string {
  const value = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: sandbox.displayPhoneNumber, phone_number_id: sandbox.phoneNumberId },
    statuses: [{ id, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '15550009999', ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}) }],
  };
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: sandbox.wabaId, changes: [{ field: 'messages', value }] }] });
}

async function activate(params: IDataObject, emitted: Emitted[], warnings: string[] = []): Promise<{ url: string; response: ITriggerResponse }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/whatsapp`;
  const response = await new WhatsAppCloudHighVolumeTrigger().trigger.call(context({ port, publicUrl: url, options: { listenAddress: '127.0.0.1' }, ...params }, emitted, warnings));
  return { url, response };
}

test('activation registers the Public URL (checked by a GET challenge); a message starts one execution keyed by its event; a redelivery starts nothing', async () => {
  const emitted: Emitted[] = [];
  const { url, response } = await activate({}, emitted);
  try {
    expect(sandbox.webhookTarget).toBe(url);
    const wamid = await sandbox.inbound({ from: '15551230001', text: 'hello high volume' });
    await sandbox.waitFor(() => emitted.length === 1, 5000);
    expect(emitted[0]!.data[0]).toHaveLength(1);
    expect(emitted[0]!.data[0]![0]!.json).toMatchObject({ kind: 'message', messageId: wamid, text: 'hello high volume', replyTo: '15551230001' });
    expect(emitted[0]!.key).toBe(`wa-cloud:wf-hv:${'hv-' + nodes}:m:${sandbox.phoneNumberId}:${wamid}`);
    // The sandbox's delivery was answered 200 (after the execution ran).
    expect(sandbox.webhookDeliveries.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(1);

    // Meta's redelivery of the same bytes: answered 200, nothing started.
    const delivery = sandbox.webhookDeliveries.find((d) => d.body.includes(wamid))!;
    const again = await fetch(url, { method: 'POST', body: delivery.body, headers: signed(delivery.body) });
    expect(again.status).toBe(200);
    expect(emitted).toHaveLength(1);
  } finally {
    await response.closeFunction!();
  }
});

test('statuses are recorded in the ledger joined to their send and start nothing; a failed one starts one execution with its send', async () => {
  const emitted: Emitted[] = [];
  const { url, response } = await activate({}, emitted);
  const state = sharedState({ kind: 'memory' });
  const client = new WhatsAppClient({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, baseUrl: sandbox.url, ledger: state.ledger });
  try {
    const sent = await client.sendTemplate('+15550009999', 'hello_world', 'en_US', undefined, { reference: 'order-hv-1' });
    await sandbox.waitFor(() => sandbox.webhookDeliveries.filter((d) => d.body.includes(sent.messageId) && d.body.includes('"read"') && d.status === 200).length > 0, 5000);
    expect((await state.ledger.get(sent.messageId))?.status).toBe('read');
    expect(emitted).toEqual([]);

    const failed = statusBody(sent.messageId, 'failed');
    expect((await fetch(url, { method: 'POST', body: failed, headers: signed(failed) })).status).toBe(200);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.data[1]![0]!.json).toMatchObject({ kind: 'status', status: 'failed', send: { reference: 'order-hv-1', template: { name: 'hello_world', language: 'en_US' } } });
    expect(emitted[0]!.key).toMatch(/:s:.*:failed$/);
  } finally {
    await client.close();
    await response.closeFunction!();
  }
});

test('answers like Meta expects: challenge as raw text, 403 on a wrong token, 401 unsigned, 404 elsewhere, 413 too large', async () => {
  const emitted: Emitted[] = [];
  const { url, response } = await activate({ registration: 'verifyOnly' }, emitted);
  try {
    const ok = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=${sandbox.verifyToken}&hub.challenge=12345`);
    expect([ok.status, await ok.text()]).toEqual([200, '12345']);
    expect((await fetch(`${url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`)).status).toBe(403);
    const body = statusBody('wamid.unsigned', 'delivered');
    expect((await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' } })).status).toBe(401);
    expect((await fetch(url.replace('/whatsapp', '/other'), { method: 'POST', body, headers: signed(body) })).status).toBe(404);
    const huge = 'x'.repeat(4 * 1024 * 1024);
    expect((await fetch(url, { method: 'POST', body: huge, headers: signed(huge) })).status).toBe(413);
    expect(emitted).toEqual([]);
    // Nothing was registered: the sandbox still has no override.
    expect(sandbox.webhookTarget).not.toBe(url);
  } finally {
    await response.closeFunction!();
  }
});

test('bad settings are refused naming the field; a taken port names the port; closing frees it', async () => {
  const trigger = new WhatsAppCloudHighVolumeTrigger();
  await expect(trigger.trigger.call(context({ port: 70000, publicUrl: 'https://x.example/whatsapp' }, []))).rejects.toThrow(/Port must be a whole number from 1 to 65535/);
  await expect(trigger.trigger.call(context({ port: 5999, publicUrl: 'not a url' }, []))).rejects.toThrow(/Public URL must be the full http\(s\) address/);
  await expect(trigger.trigger.call(context({ port: 5999, registration: 'verifyOnly', path: 'a b' }, []))).rejects.toThrow(/Path must be/);
  await expect(trigger.trigger.call(context({ port: 5999, registration: 'verifyOnly', path: 'a/../b' }, []))).rejects.toThrow(/without \. or \.\. segments/);

  const { url, response } = await activate({ registration: 'verifyOnly' }, []);
  const port = Number(new URL(url).port);
  await expect(trigger.trigger.call(context({ port, registration: 'verifyOnly', options: { listenAddress: '127.0.0.1' } }, []))).rejects.toThrow(new RegExp(`port ${port} is already in use`));
  await response.closeFunction!();
  // An expression may give the port as text.
  const again = await trigger.trigger.call(context({ port: String(port), registration: 'verifyOnly', options: { listenAddress: '127.0.0.1' } }, []));
  // A request target that is not a URL is answered 400, never thrown out of the handler.
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end('GET http://[zz/whatsapp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  expect(raw).toMatch(/^HTTP\/1\.1 400/);
  await again.closeFunction!();
});

test('testing in the editor: the events of a POST arrive together in the one test run, with no deduplication key', async () => {
  const emitted: Emitted[] = [];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/whatsapp`;
  // Registration on (the default): a test run still registers nothing.
  const response = await new WhatsAppCloudHighVolumeTrigger().trigger.call(context({ port, publicUrl: url, options: { listenAddress: '127.0.0.1' } }, emitted, [], 'manual'));
  try {
    const metadata = { display_phone_number: sandbox.displayPhoneNumber, phone_number_id: sandbox.phoneNumberId };
    const ts = String(Math.floor(Date.now() / 1000));
    const messages = [1, 2].map((i) => ({ from: `1555123000${i}`, id: `wamid.manual.${i}`, timestamp: ts, type: 'text', text: { body: `test ${i}` } }));
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: sandbox.wabaId, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, messages } }] }] });
    expect((await fetch(url, { method: 'POST', body, headers: signed(body) })).status).toBe(200);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.key).toBeUndefined();
    expect(emitted[0]!.data[0]!.map((item) => item.json.messageId)).toEqual(['wamid.manual.1', 'wamid.manual.2']);
    // n8n takes one emit per test run: a later POST is answered 503 and its event let go.
    const later = body.replace(/wamid\.manual\./g, 'wamid.later.');
    expect((await fetch(url, { method: 'POST', body: later, headers: signed(later) })).status).toBe(503);
    expect(emitted).toHaveLength(1);
    // A test run registers nothing.
    expect(sandbox.webhookTarget).not.toBe(url);
  } finally {
    await response.closeFunction!();
  }
});

test('n8n cannot store the execution: answered 500 and the event is let go, so Meta\'s redelivery starts it', async () => {
  const emitted: Emitted[] = [];
  const warnings: string[] = [];
  const { url, response } = await activate({ registration: 'verifyOnly' }, emitted, warnings);
  try {
    const body = statusBody('wamid.store.fails', 'failed');
    storeFails = true;
    expect((await fetch(url, { method: 'POST', body, headers: signed(body) })).status).toBe(500);
    expect(warnings.join('\n')).toMatch(/could not be stored or did not finish \(answered 500/);
    storeFails = false;
    expect((await fetch(url, { method: 'POST', body, headers: signed(body) })).status).toBe(200);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.data[1]![0]!.json).toMatchObject({ messageId: 'wamid.store.fails', status: 'failed' });
  } finally {
    await response.closeFunction!();
  }
});
