/**
 * The delivery ledger in Node-RED, against the sandbox: a CRM-style flow sends templates with
 * `msg.reference`; the webhook node absorbs the statuses into the ledger (only failures become
 * msgs, carrying the send's context and the send node's error shape); the account node answers
 * get status by reference, get many and summary from the ledger. Default (embedded) store.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { ledgerRetentionMsFromDays } from '@wa-cloud/core';
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

describe('Ledger retention (days) on the config node', () => {
  const HOUR = 60 * 60 * 1000;

  test('reaches core: the records of this config node expire that long after their send and are swept', async () => {
    const { out, account, sent, answer } = await flow({}, { store: 'memory', ledgerRetentionDays: '0.5' });
    const cfg = helper.getNode('cfg');
    out.receive({ to: uniqueUser(), reference: 'retention-1' });
    await waitFor(() => sent.length === 1, 5000, 'the send');
    expect(sb.messages.at(-1)!.body.biz_opaque_callback_data).toBe('retention-1');
    // Every status joined first (a late status must not re-create the swept record).
    await waitFor(() => sb.messages.at(-1)!.statuses.some((s) => s.status === 'read') && sb.webhookDeliveries.filter((d) => d.status === 200).length >= 3, 5000, 'statuses');
    expect(cfg.shared.ledger.retentionMs).toBe(12 * HOUR);
    expect((await ask(account, answer, { operation: 'getStatus', reference: 'retention-1' })).found).toBe(true);

    await cfg.shared.ledger.store.sweep(Date.now() + 11 * HOUR);
    expect((await ask(account, answer, { operation: 'getStatus', reference: 'retention-1' })).found).toBe(true);
    await cfg.shared.ledger.store.sweep(Date.now() + 13 * HOUR);
    expect((await ask(account, answer, { operation: 'getStatus', reference: 'retention-1' })).found).toBe(false);
  });

  test('a flow without the field keeps records the default 30 days', async () => {
    await flow({}, { store: 'memory' });
    expect(helper.getNode('cfg').shared.ledger.retentionMs).toBe(30 * 24 * HOUR);
  });

  test.each([['500'], [0], ['soon']])('a value of %p is refused: logged, "config invalid", the send fails naming the field and the range, nothing sent', async (days) => {
    const { out } = await flow({}, { store: 'memory', ledgerRetentionDays: days });
    const cfg = helper.getNode('cfg');
    expect(cfg.client).toBeUndefined();
    const expected = `Ledger retention (days): ${days} must be a number of days from 0.042 (1 hour) to 400 (default 30)`;
    const logged = helper.log().args.map((a: any[]) => a[0]).filter((entry: any) => entry.level === helper.log().ERROR && entry.id === 'cfg');
    expect(logged.map((e: any) => e.msg).join('\n')).toContain(expected);
    const shown: any[] = [];
    cfg.register({ id: 'probe', status: (s: unknown) => shown.push(s) });
    expect(shown).toEqual([{ fill: 'red', shape: 'ring', text: 'config invalid' }]);
    cfg.deregister({ id: 'probe' });
    const errors: any[] = [];
    out.on('call:error', (call: any) => errors.push(call.args[0]));
    out.receive({ to: uniqueUser(), reference: 'retention-bad' });
    await waitFor(() => errors.length > 0, 3000, 'the send error');
    expect(String(errors[0]?.message ?? errors[0])).toContain(expected);
    expect(sb.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});

test('editor: Ledger retention (days) defaults to 30 and its validator accepts exactly what core accepts, naming the field and the range', () => {
  const src = path.join(__dirname, '..', 'src', 'whatsapp-cloud-config');
  const html = fs.readFileSync(path.join(src, 'whatsapp-cloud-config.html'), 'utf8');
  const locale = JSON.parse(fs.readFileSync(path.join(src, 'locales', 'en-US', 'whatsapp-cloud-config.json'), 'utf8'));
  const translate = (key: string) => key.split('.').reduce<any>((o, k) => (o ? o[k] : undefined), locale) ?? key;
  let definition: any;
  const RED = { nodes: { registerType: (_type: string, def: unknown) => (definition = def), getType: () => ({ _: translate }) }, validators: { number: () => () => true } };
  vm.runInNewContext(/<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1]!, { RED, $: () => undefined });
  const field = definition.defaults.ledgerRetentionDays;
  expect(field.value).toBe(30);
  expect(ledgerRetentionMsFromDays(field.value)).toBe(30 * 86_400_000);
  for (const value of ['30', '0.042', '0.0417', '400', '0.5', 7, '0.04', '0', '-1', '400.1', 'soon', '1e9']) {
    let coreAccepts = true;
    try {
      ledgerRetentionMsFromDays(value);
    } catch {
      coreAccepts = false;
    }
    expect([value, field.validate(value, {})]).toEqual([value, coreAccepts ? true : 'Ledger retention (days): must be a number of days from 0.042 (1 hour) to 400']);
  }
  // A flow saved before the field existed (or left empty) gets the default.
  expect(field.validate(undefined, {})).toBe(true);
  expect(field.validate('', {})).toBe(true);
  expect(ledgerRetentionMsFromDays(undefined)).toBe(30 * 86_400_000);
  expect(fs.readFileSync(path.join(src, 'locales', 'en-US', 'whatsapp-cloud-config.html'), 'utf8')).toContain(': Ledger retention (days) (number) :');
});
