/**
 * "Re-send failed" on the config node wired to core: a template the sandbox fails on the status
 * webhook with 131000 (retryable after 5 minutes) is sent again through the config node's client
 * when the option is on, and not when it is off (the default). The sandbox's clock runs 10 minutes
 * behind, so the failure it reports is already older than the table's delay and the re-send is due
 * at once. Counts are of what the sandbox accepted; the ledger is read through the account node.
 */
import type { Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

const PATH = '/wa-resend';
let sb: Sandbox;
let loaded: Loaded | undefined;

beforeAll(() => startServer());
beforeEach(async () => {
  sb = await sandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null }, now: () => Date.now() - 10 * 60_000, seed: Math.floor(Math.random() * 1e9) });
});
afterEach(async () => {
  await stop(loaded);
  loaded = undefined;
  await sb.close();
});

async function flow(configProps: Record<string, unknown>) {
  const config = configFor(sb, configProps);
  loaded = await load(
    [
      config.node,
      { id: 'out', type: 'whatsapp-cloud-out', config: 'cfg', mode: 'template', template: 'hello_world', language: 'en_US', wires: [['sent']] },
      { id: 'sent', type: 'helper' },
      { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, statuses: ['failed'], wires: [['messages'], ['statuses'], ['others']] },
      { id: 'messages', type: 'helper' },
      { id: 'statuses', type: 'helper' },
      { id: 'others', type: 'helper' },
      { id: 'account', type: 'whatsapp-cloud-account', config: 'cfg', operation: 'msg', wires: [['answer']] },
      { id: 'answer', type: 'helper' },
    ],
    config.credentials,
  );
  sb.setWebhookUrl(`${loaded.nodeUrl}${PATH}`);
  return { out: helper.getNode('out'), account: helper.getNode('account'), answer: helper.getNode('answer'), sent: collect(helper.getNode('sent')), statuses: collect(helper.getNode('statuses')) };
}

test('on: the failed template goes out again once; get status by reference finds the re-send, linked to the original', async () => {
  const user = uniqueUser();
  const { out, account, answer, sent, statuses } = await flow({ resendFailed: true });
  sb.failSends({ code: 131000, to: user, times: 1 });
  out.receive({ to: user, reference: 'resend-1' });
  await waitFor(() => sent.length === 1, 5000, 'the send');
  await waitFor(() => statuses.length === 1, 5000, 'the failed status msg');
  const mine = () => sb.messages.filter((m) => m.to.replace(/\D/g, '') === user);
  await waitFor(() => mine().length === 2, 5000, 'the re-send');
  const [first, resent] = mine();
  expect(resent!.body).toEqual(first!.body);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(mine()).toHaveLength(2);

  const reply = nextMessage(answer);
  account.receive({ operation: 'getStatus', reference: 'resend-1' });
  expect((await reply).payload).toMatchObject({ messageId: resent!.id, resendOf: first!.id, resend: 1, reference: 'resend-1' });
}, 30_000);

test('off (the default): the failure comes out and nothing is sent again', async () => {
  const user = uniqueUser();
  const { out, sent, statuses } = await flow({});
  sb.failSends({ code: 131000, to: user, times: 1 });
  out.receive({ to: user, reference: 'resend-2' });
  await waitFor(() => sent.length === 1, 5000, 'the send');
  await waitFor(() => statuses.length === 1, 5000, 'the failed status msg');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(sb.messages.filter((m) => m.to.replace(/\D/g, '') === user)).toHaveLength(1);
}, 30_000);
