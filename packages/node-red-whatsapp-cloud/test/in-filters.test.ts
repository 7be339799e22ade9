/**
 * whatsapp-cloud-in: which events it passes on (its config's number unless "all numbers"; the
 * event and status filters), mark-as-read only through the right number, and the optional phone
 * number override registration — asserted on what the sandbox received and what reached the outputs.
 */
import supertest from 'supertest';
import { signBody, type Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

const PATH = '/wa-filters';
const OTHER_NUMBER = '100000000000999';
const OTHER_WABA = '200000000000999';

let sb: Sandbox;
let loaded: Loaded | undefined;

beforeEach(async () => {
  await startServer();
  sb = await sandbox();
});
afterEach(async () => {
  await stop(loaded);
  loaded = undefined;
  await sb.close();
});

async function run(inProps: Record<string, unknown> = {}) {
  const config = configFor(sb);
  loaded = await load(
    [
      config.node,
      { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, wires: [['messages'], ['statuses'], ['others']], ...inProps },
      { id: 'messages', type: 'helper' },
      { id: 'statuses', type: 'helper' },
      { id: 'others', type: 'helper' },
    ],
    config.credentials,
  );
  return {
    loaded,
    messages: collect(helper.getNode('messages')),
    statuses: collect(helper.getNode('statuses')),
    others: collect(helper.getNode('others')),
  };
}

/** One webhook POST body with one change per given item set (each its own number and WABA). */
function body(changes: Array<{ waba?: string; phoneNumberId?: string; field?: string; value: object }>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: changes.map((c) => ({
      id: c.waba ?? sb.wabaId,
      changes: [
        {
          field: c.field ?? 'messages',
          value: c.field && c.field !== 'messages' ? c.value : { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550009999', phone_number_id: c.phoneNumberId ?? sb.phoneNumberId }, ...c.value },
        },
      ],
    })),
  });
}

const text = (from: string, id: string) => ({ contacts: [{ wa_id: from, profile: { name: 'U' } }], messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: id } }] });
const status = (id: string, value: string, to: string) => ({ statuses: [{ id, status: value, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to }] });
const templateUpdate = (waba: string, name: string) => ({ waba, field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1, message_template_name: name, message_template_language: 'en_US', reason: 'NONE' } });

async function post(payload: string) {
  const res = await supertest(loaded!.RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(payload, sb.appSecret)).send(payload);
  expect(res.status).toBe(200);
}
const settle = () => new Promise((r) => setTimeout(r, 150));
const markReads = () => sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && (r.body as { status?: string })?.status === 'read');

test('by default only the config\'s number (and WABA) passes; another number\'s messages, statuses and template updates are dropped', async () => {
  const { messages, statuses, others } = await run();
  const user = uniqueUser();
  await post(
    body([
      { value: text(user, `wamid.ours-${user}`) },
      { phoneNumberId: OTHER_NUMBER, waba: OTHER_WABA, value: text(user, `wamid.theirs-${user}`) },
      { phoneNumberId: OTHER_NUMBER, waba: OTHER_WABA, value: status(`wamid.s-${user}`, 'delivered', user) },
      templateUpdate(sb.wabaId, 'ours_template'),
      templateUpdate(OTHER_WABA, 'their_template'),
    ]),
  );
  await waitFor(() => messages.length === 1 && others.length === 1, 3000, 'our events');
  await settle();
  expect(messages.map((m) => m.whatsapp.messageId)).toEqual([`wamid.ours-${user}`]);
  expect(statuses).toEqual([]);
  expect(others.map((m) => m.whatsapp.name ?? m.whatsapp.templateName)).toEqual(['ours_template']);
});

test('"all numbers" passes every number, but marks as read only through the config\'s own number', async () => {
  const { messages, others } = await run({ allNumbers: true, markRead: 'read' });
  const user = uniqueUser();
  await post(body([{ value: text(user, `wamid.ours-${user}`) }, { phoneNumberId: OTHER_NUMBER, waba: OTHER_WABA, value: text(user, `wamid.theirs-${user}`) }, templateUpdate(OTHER_WABA, 'their_template')]));
  await waitFor(() => messages.length === 2 && others.length === 1, 3000, 'both messages');
  await waitFor(() => markReads().length >= 1, 3000, 'a mark-as-read');
  await settle();
  expect(messages.map((m) => m.whatsapp.phoneNumberId).sort()).toEqual([OTHER_NUMBER, sb.phoneNumberId].sort());
  const reads = markReads();
  expect(reads.map((r) => [r.path.split('/')[2], (r.body as { message_id: string }).message_id])).toEqual([[sb.phoneNumberId, `wamid.ours-${user}`]]);
});

test('event and status filters: only the chosen groups and statuses come out', async () => {
  const { messages, statuses, others } = await run({ events: ['statuses', 'templateUpdates'], statuses: ['failed', 'read'] });
  const user = uniqueUser();
  await post(
    body([
      { value: text(user, `wamid.m-${user}`) },
      { value: status(`wamid.a-${user}`, 'sent', user) },
      { value: status(`wamid.b-${user}`, 'read', user) },
      { value: status(`wamid.c-${user}`, 'failed', user) },
      templateUpdate(sb.wabaId, 'kept'),
      { field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: sb.phoneNumberId }, contacts: [{ wa_id: user, profile: { name: 'U' } }], user_preferences: [{ wa_id: user, detail: 'x', category: 'marketing_messages', value: 'stop', timestamp: 1 }] } },
    ]),
  );
  await waitFor(() => statuses.length === 2 && others.length === 1, 3000, 'filtered events');
  await settle();
  expect(messages).toEqual([]);
  expect(statuses.map((m) => m.whatsapp.status).sort()).toEqual(['failed', 'read']);
  expect(others.map((m) => m.whatsapp.kind)).toEqual(['template_status']);
});

test('a flow saved before the filters existed (no events/statuses properties) passes every event', async () => {
  const { messages, statuses, others } = await run();
  const user = uniqueUser();
  await post(body([{ value: text(user, `wamid.m-${user}`) }, { value: status(`wamid.a-${user}`, 'sent', user) }, templateUpdate(sb.wabaId, 'kept')]));
  await waitFor(() => messages.length === 1 && statuses.length === 1 && others.length === 1, 3000, 'all events');
});

describe('phone number override registration', () => {
  async function runRegistered(inProps: Record<string, unknown> = {}) {
    const config = configFor(sb);
    loaded = await load(
      (nodeUrl) => [
        config.node,
        { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, registration: 'phoneNumberOverride', callbackUrl: `${nodeUrl}${PATH}`, wires: [['messages'], [], []], ...inProps },
        { id: 'messages', type: 'helper' },
      ],
      config.credentials,
    );
    return { callbackUrl: `${loaded.nodeUrl}${PATH}`, messages: collect(helper.getNode('messages')) };
  }
  const subscribePosts = () => sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${sb.wabaId}/subscribed_apps`));

  test('on deploy: subscribes the app to the WABA when it is not, points the number at the node, and a user message arrives', async () => {
    await fetch(`${sb.url}/v25.0/${sb.wabaId}/subscribed_apps`, { method: 'DELETE', headers: { authorization: `Bearer ${sb.accessToken}` } });
    const { callbackUrl, messages } = await runRegistered();
    await waitFor(() => sb.webhookTarget === callbackUrl, 5000, 'the override');
    expect(subscribePosts()).toHaveLength(1);
    await sb.inbound({ from: uniqueUser(), text: 'through the override' });
    await waitFor(() => messages.length === 1, 5000, 'the message');
    expect(messages[0].whatsapp.text).toBe('through the override');
  });

  test('an app already subscribed is left alone; a redeploy keeps the override; deleting the node clears it', async () => {
    const { callbackUrl } = await runRegistered();
    await waitFor(() => sb.webhookTarget === callbackUrl, 5000, 'the override');
    expect(subscribePosts()).toHaveLength(0);
    await helper.getNode('in').close(false); // a redeploy or restart
    expect(sb.webhookTarget).toBe(callbackUrl);
    await helper.getNode('in').close(true); // the node is deleted
    expect(sb.webhookTarget).not.toBe(callbackUrl);
  });

  test('deleting the node leaves an override that points elsewhere (another flow\'s) alone', async () => {
    const { callbackUrl } = await runRegistered();
    await waitFor(() => sb.webhookTarget === callbackUrl, 5000, 'the override');
    const other = `${loaded!.nodeUrl}/someone-else`;
    loaded!.RED.httpNode.get('/someone-else', (req: any, res: any) => res.send(req.query['hub.challenge']));
    const set = await fetch(`${sb.url}/v25.0/${sb.phoneNumberId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_configuration: { override_callback_uri: other, verify_token: sb.verifyToken } }),
    });
    expect(set.status).toBe(200);
    await helper.getNode('in').close(true);
    expect(sb.webhookTarget).toBe(other);
  });

  test('without a public URL nothing is registered and the node says which field is missing', async () => {
    const config = configFor(sb);
    loaded = await load([config.node, { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, registration: 'phoneNumberOverride', callbackUrl: '', wires: [[], [], []] }], config.credentials);
    const node = helper.getNode('in');
    await waitFor(() => node.error.callCount > 0, 3000, 'an error'); // node-red-node-test-helper spies on node.error
    expect(String(node.error.firstCall.args[0])).toMatch(/callbackUrl: is required/);
    expect(sb.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});
