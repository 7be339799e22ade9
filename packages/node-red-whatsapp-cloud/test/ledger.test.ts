/**
 * The delivery ledger in Node-RED, against the sandbox: a CRM-style flow sends templates with
 * `msg.reference`; the webhook node absorbs the statuses into the ledger (only failures become
 * msgs, carrying the send's context and the send node's error shape); the account node answers
 * get status by reference, get many and summary from the ledger. Default (embedded) store.
 */
import type { Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

const PATH = '/wa-ledger';
let sb: Sandbox;
let loaded: Loaded | undefined;

beforeAll(() => startServer());
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await stop(loaded);
  loaded = undefined;
  await sb.close();
});

async function flow(inProps: Record<string, unknown> = {}, configProps: Record<string, unknown> = { store: 'embedded' }) {
  const config = configFor(sb, configProps);
  loaded = await load(
    [
      config.node,
      { id: 'out', type: 'whatsapp-cloud-out', config: 'cfg', mode: 'template', template: 'hello_world', language: 'en_US', wires: [['sent']] },
      { id: 'sent', type: 'helper' },
      // Statuses: failed only, as a new node starts (the editor's default).
      { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, statuses: ['failed'], wires: [['messages'], ['statuses'], ['others']], ...inProps },
      { id: 'messages', type: 'helper' },
      { id: 'statuses', type: 'helper' },
      { id: 'others', type: 'helper' },
      { id: 'account', type: 'whatsapp-cloud-account', config: 'cfg', operation: 'msg', wires: [['answer']] },
      { id: 'answer', type: 'helper' },
    ],
    config.credentials,
  );
  sb.setWebhookUrl(`${loaded.nodeUrl}${PATH}`);
  return { out: helper.getNode('out'), account: helper.getNode('account'), sent: collect(helper.getNode('sent')), statuses: collect(helper.getNode('statuses')), answer: helper.getNode('answer') };
}

async function ask(account: any, answer: any, msg: Record<string, unknown>): Promise<any> {
  const reply = nextMessage(answer);
  account.receive(msg);
  return reply;
}

test('CRM flow: templates sent with a reference; statuses absorbed into the ledger; get status by reference answers read; failures come out with their send', async () => {
  const undeliverable = uniqueUser();
  await sb.close();
  sb = await sandbox({ undeliverable: [undeliverable] });
  const { out, account, sent, statuses, answer } = await flow();
  const users = [uniqueUser(), uniqueUser(), undeliverable];
  users.forEach((to, i) => out.receive({ to, reference: `crm-order-${1040 + i}` }));
  await waitFor(() => sent.length === 3, 5000, 'three sends');
  expect(sb.messages.map((m) => m.body.biz_opaque_callback_data).sort()).toEqual(['crm-order-1040', 'crm-order-1041', 'crm-order-1042']);

  // Every status reached Node-RED and was answered 200; only the failure became a msg.
  await waitFor(() => sb.messages.filter((m) => m.statuses.some((s) => s.status === 'read')).length === 2 && sb.messages.some((m) => m.statuses.some((s) => s.status === 'failed')), 5000, 'statuses');
  await waitFor(() => sb.webhookDeliveries.filter((d) => d.status === 200).length >= 7, 5000, 'webhooks answered');
  await waitFor(() => statuses.length === 1, 3000, 'the failed status msg');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(statuses).toHaveLength(1);
  const failed = statuses[0].whatsapp;
  expect(failed).toMatchObject({
    status: 'failed',
    send: { reference: 'crm-order-1042', recipient: `+${undeliverable}`, type: 'template', template: { name: 'hello_world', language: 'en_US' } },
    error: { name: 'GraphApiError', code: 'graph_131026', graphCode: 131026, category: 'recipient', retryable: false, hint: expect.any(String) },
  });
  expect(typeof failed.send.sentAt === 'string' || failed.send.sentAt instanceof Date).toBe(true);

  // Get status by reference: read, with the send's context.
  const byReference = await ask(account, answer, { operation: 'getStatus', reference: 'crm-order-1041' });
  const wamid = sb.messages.find((m) => m.body.biz_opaque_callback_data === 'crm-order-1041')!.id;
  expect(byReference.found).toBe(true);
  expect(byReference.payload).toMatchObject({ messageId: wamid, status: 'read', reference: 'crm-order-1041', recipient: `+${users[1]}`, template: { name: 'hello_world' } });
  expect(byReference.payload.statusTimes).toEqual(expect.objectContaining({ sent: expect.any(String), delivered: expect.any(String), read: expect.any(String) }));
  const byId = await ask(account, answer, { operation: 'getStatus', messageId: wamid });
  expect(byId.payload.reference).toBe('crm-order-1041');
  const missing = await ask(account, answer, { operation: 'getStatus', reference: 'no-such-order' });
  expect(missing).toMatchObject({ found: false, payload: null });

  const many = await ask(account, answer, { operation: 'getMany', filters: { status: ['read'] } });
  expect(many.payload.map((r: { reference: string }) => r.reference).sort()).toEqual(['crm-order-1040', 'crm-order-1041']);
  const summary = await ask(account, answer, { operation: 'summary' });
  expect(summary.payload).toEqual([
    expect.objectContaining({ template: 'hello_world', messages: 3, sent: 2, delivered: 2, read: 2, failed: 1, failedByCategory: { recipient: 1 }, billable: { utility: 2 } }),
  ]);
}, 30_000);

test('Statuses: all five pass on, each with its send; a bad filter fails naming the field', async () => {
  const { out, account, sent, statuses, answer } = await flow({ statuses: ['sent', 'delivered', 'read', 'played', 'failed'] });
  out.receive({ to: uniqueUser(), reference: 'crm-7' });
  await waitFor(() => sent.length === 1, 5000, 'send');
  await waitFor(() => statuses.length === 3, 5000, 'three statuses');
  for (const msg of statuses) expect(msg.whatsapp.send).toMatchObject({ reference: 'crm-7', template: { name: 'hello_world' } });
  const errors: unknown[] = [];
  account.on('call:error', (call: { args: unknown[] }) => errors.push(call.args[0]));
  account.receive({ operation: 'getMany', filters: { since: 'yesterday-ish' } });
  await waitFor(() => errors.length === 1, 2000, 'error');
  expect(String(errors[0])).toMatch(/filters\.since: "yesterday-ish" is not a date/);
  void answer;
}, 30_000);
