/**
 * Message → Get Status / Get Many / Get Summary against the sandbox: Send Template with a
 * Reference records the send in the state store's ledger, the sandbox's signed status webhooks are
 * joined to it (as the trigger does), and the look-ups answer from it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_LEDGER_RETENTION_MS, handleWebhookPost, sharedState } from '@wa-cloud/core';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { runNode } from './support/execute-context';

let sandbox: Sandbox;
let receiver: Server;
const STORE = { sharedStore: 'memory' };

beforeAll(async () => {
  // The trigger's part: every signed status webhook is joined to the ledger of the memory state.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handleWebhookPost({ rawBody: Buffer.concat(chunks), headers: req.headers, appSecret: sandbox.appSecret, ledger: sharedState({ kind: 'memory' }).ledger }).then(
        () => res.writeHead(200).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` });
});
afterAll(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const send = (to: string, reference: string) =>
  runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'sendTemplate', to, templateName: 'hello_world', languageCode: 'en_US', options: { bizOpaqueCallbackData: reference } } });

test('Get Status by reference answers read after the user reads; Get Many and Get Summary list it', async () => {
  const [sent] = await send('+15557770001', 'crm-order-2001');
  expect(sent!.json).toMatchObject({ reference: 'crm-order-2001', messageId: expect.stringMatching(/^wamid\./) });
  expect(sandbox.messages.at(-1)!.body.biz_opaque_callback_data).toBe('crm-order-2001');
  await sandbox.waitFor(() => sandbox.messages.at(-1)!.statuses.some((s) => s.status === 'read') && sandbox.webhookDeliveries.filter((d) => d.status === 200).length >= 3, 5000);

  const [status] = await runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getStatus', lookUpBy: 'reference', reference: 'crm-order-2001' } });
  expect(status!.json).toMatchObject({ found: true, messageId: sent!.json.messageId, status: 'read', reference: 'crm-order-2001', recipient: '+15557770001', template: { name: 'hello_world', language: 'en_US' } });
  const [byId] = await runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getStatus', lookUpBy: 'messageId', messageId: sent!.json.messageId } });
  expect(byId!.json.reference).toBe('crm-order-2001');
  const [none] = await runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getStatus', lookUpBy: 'reference', reference: 'crm-order-0' } });
  expect(none!.json).toEqual({ found: false, reference: 'crm-order-0' });

  const many = await runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getMany', returnAll: false, limit: 10, filters: { status: ['read'], reference: 'crm-order-2001' } } });
  expect(many.map((item) => item.json.messageId)).toEqual([sent!.json.messageId]);
  const summary = await runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getSummary', filters: { template: 'hello_world' } } });
  expect(summary).toHaveLength(1);
  expect(summary[0]!.json).toMatchObject({ template: 'hello_world', messages: 1, sent: 1, delivered: 1, read: 1, failed: 0, billable: { utility: 1 } });
});

test('a limit out of range and a bad date fail naming the field', async () => {
  await expect(runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getMany', returnAll: false, limit: 20000, filters: {} } })).rejects.toThrow(/limit: 20000 must be a whole number from 1 to 10000/);
  await expect(runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getSummary', filters: { since: 'soon' } } })).rejects.toThrow(/Filters → Sent After: "soon" is not a date/);
});

const HOUR = 60 * 60 * 1000;
const getStatus = (reference: string) => runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'getStatus', lookUpBy: 'reference', reference } });
/** Sweeps the memory state's ledger as if `hours` had passed. */
const sweepAfter = (hours: number) => sharedState({ kind: 'memory' }).ledger.store.sweep(Date.now() + hours * HOUR);

test('Options → Ledger Retention (Days) reaches core: the record of a send expires that long after it and is swept', async () => {
  const deliveries = sandbox.webhookDeliveries.filter((d) => d.status === 200).length;
  const [sent] = await runNode(sandbox, {
    params: { ...STORE, resource: 'message', operation: 'sendTemplate', to: '+15557770009', templateName: 'hello_world', languageCode: 'en_US', options: { bizOpaqueCallbackData: 'crm-retention-1', ledgerRetentionDays: 0.5 } },
  });
  expect(sandbox.messages.at(-1)!.body.biz_opaque_callback_data).toBe('crm-retention-1');
  // Every status joined first (a late status must not re-create the swept record).
  await sandbox.waitFor(() => sandbox.webhookDeliveries.filter((d) => d.status === 200).length >= deliveries + 3, 5000);
  expect((await getStatus('crm-retention-1'))[0]!.json).toMatchObject({ found: true, messageId: sent!.json.messageId });

  await sweepAfter(11);
  expect((await getStatus('crm-retention-1'))[0]!.json.found).toBe(true);
  await sweepAfter(13);
  expect((await getStatus('crm-retention-1'))[0]!.json).toEqual({ found: false, reference: 'crm-retention-1' });
});

test('without the option a send is kept the default 30 days', async () => {
  const deliveries = sandbox.webhookDeliveries.filter((d) => d.status === 200).length;
  await send('+15557770010', 'crm-retention-2');
  await sandbox.waitFor(() => sandbox.webhookDeliveries.filter((d) => d.status === 200).length >= deliveries + 3, 5000);
  await sweepAfter(DEFAULT_LEDGER_RETENTION_MS / HOUR - 1);
  expect((await getStatus('crm-retention-2'))[0]!.json.found).toBe(true);
  await sweepAfter(DEFAULT_LEDGER_RETENTION_MS / HOUR + 1);
  expect((await getStatus('crm-retention-2'))[0]!.json.found).toBe(false);
});

test.each([0, 0.01, 401, -3])('a Ledger Retention (Days) of %p is refused naming the option and the range, before anything is sent', async (days) => {
  const before = sandbox.requests.length;
  await expect(
    runNode(sandbox, { params: { ...STORE, resource: 'message', operation: 'sendTemplate', to: '+15557770011', templateName: 'hello_world', languageCode: 'en_US', options: { ledgerRetentionDays: days } } }),
  ).rejects.toThrow(`Options → Ledger Retention (Days): ${days} must be a number of days from 0.042 (1 hour) to 400 (default 30)`);
  expect(sandbox.requests.length).toBe(before);
});
