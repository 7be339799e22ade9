/**
 * Message → Get Status / Get Many / Get Summary against the sandbox: Send Template with a
 * Reference records the send in the state store's ledger, the sandbox's signed status webhooks are
 * joined to it (as the trigger does), and the look-ups answer from it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleWebhookPost, sharedState } from '@wa-cloud/core';
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
