/**
 * Account health in Node-RED: the number's quality rating and tier in the send/account nodes'
 * status, the process's quality guard shared by the send side (client) and the webhook side
 * (handleWebhookPost), and the account node's operations, all against the sandbox.
 */
import type { Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

let phoneCounter = 0;
/** A phone number ID of its own per test: the quality guard is process-wide and keyed by it. */
const freshPhone = () => `1000000000${String(90000 + (++phoneCounter) * 7 + (Date.now() % 1000)).padStart(5, '0')}`;

function flow(sb: Sandbox, operation: string, configProps: Record<string, unknown> = {}) {
  const config = configFor(sb, configProps);
  return {
    nodes: [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'account', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-account', config: 'cfg', operation, wires: [['ok']] },
      { id: 'out', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-out', config: 'cfg', mode: 'auto', wires: [['sent']] },
      { id: 'in', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-in', config: 'cfg', path: '/account-hook', wires: [[], [], []] },
      { id: 'ok', z: 'tab', x: 1, y: 1, type: 'helper' },
      { id: 'sent', z: 'tab', x: 1, y: 1, type: 'helper' },
      { id: 'catch', z: 'tab', x: 1, y: 1, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
      { id: 'err', z: 'tab', x: 1, y: 1, type: 'helper' },
    ],
    credentials: { ...config.credentials, account: { pin: '123456' } },
  };
}

/** Records every status a node shows. */
function statuses(node: any): Array<{ fill?: string; text?: string }> {
  const seen: Array<{ fill?: string; text?: string }> = [];
  const original = node.status.bind(node);
  node.status = (s: { fill?: string; text?: string }) => {
    seen.push(s);
    return original(s);
  };
  return seen;
}

describe('whatsapp-cloud-account and the quality status', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb?.close();
  });

  async function run(operation: string, configProps: Record<string, unknown> = {}) {
    sb = await sandbox({ phoneNumberId: freshPhone() });
    const f = flow(sb, operation, configProps);
    loaded = await load(f.nodes, f.credentials);
    sb.setWebhookUrl(`${loaded.nodeUrl}/account-hook`);
    return loaded;
  }

  test('the health check at start shows the rating and tier on the send and account nodes', async () => {
    await run('health');
    const out = helper.getNode('out');
    const account = helper.getNode('account');
    const outStatus = statuses(out);
    const accountStatus = statuses(account);
    await helper.getNode('cfg').refreshQuality();
    expect(outStatus.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'GREEN · TIER_2K' });
    expect(accountStatus.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'GREEN · TIER_2K' });
    // After a send, the status says so and keeps the rating.
    out.receive({ to: uniqueUser(), payload: { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
    await nextMessage(helper.getNode('sent'));
    await waitFor(() => outStatus.at(-1)?.text === 'sent · GREEN · TIER_2K', 2000, 'sent status');
  });

  test('health operation: snapshot with advice on msg.payload; YELLOW turns the status yellow on every node', async () => {
    await run('health');
    sb.setQualityRating('YELLOW');
    const outStatus = statuses(helper.getNode('out'));
    helper.getNode('account').receive({});
    const msg = await nextMessage(helper.getNode('ok'));
    expect(msg.operation).toBe('health');
    expect(msg.payload).toMatchObject({ qualityRating: 'YELLOW', messagingLimit: 'TIER_2K', ok: true });
    expect(msg.payload.advice.some((a: { field: string; level: string }) => a.level === 'warn')).toBe(true);
    await waitFor(() => outStatus.some((s) => s.fill === 'yellow' && s.text === 'YELLOW · TIER_2K'), 2000, 'yellow status');
  });

  test('RED from the webhook (phone_number_quality_update) reaches the send side: status red, templates outside the window refused', async () => {
    await run('health');
    const outStatus = statuses(helper.getNode('out'));
    const errors = collect(helper.getNode('err'));
    // The webhook names only the display number: the health check at start taught the guard which number that is.
    await helper.getNode('cfg').refreshQuality();
    sb.setQualityRating('RED'); // Meta's FLAGGED webhook → the webhook node → the shared guard
    await waitFor(() => outStatus.some((s) => s.fill === 'red' && /^RED/.test(s.text ?? '')), 5000, 'red status from the webhook');
    helper.getNode('out').receive({ to: uniqueUser(), payload: { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
    await waitFor(() => errors.length > 0, 5000, 'refusal');
    expect(errors[0].error).toMatchObject({ code: 'number_quality_red', cause: { category: 'policy' } });
  });

  test('a 131026 status webhook suppresses the recipient for the send node (one guard for both sides)', async () => {
    await run('health', { healthCheckMinutes: 0 });
    const user = uniqueUser();
    sb.failSends({ code: 131026, to: user }); // accepted, then a failed status on the webhook
    const errors = collect(helper.getNode('err'));
    const template = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };
    helper.getNode('out').receive({ to: user, payload: template });
    await nextMessage(helper.getNode('sent'));
    await waitFor(() => sb.webhookDeliveries.some((w) => w.body.includes('131026') && w.status === 200), 5000, 'failed status delivered');
    helper.getNode('out').receive({ to: user, payload: template });
    await waitFor(() => errors.length > 0, 5000, 'suppression');
    expect(errors[0].error.code).toBe('recipient_suppressed');
    expect(sb.messages.filter((m) => m.waId === user)).toHaveLength(1);
  });

  test('business profile get/update; an update over Meta\'s limits is refused before any request', async () => {
    await run('msg', { healthCheckMinutes: 0 });
    const account = helper.getNode('account');
    const ok = helper.getNode('ok');
    account.receive({ operation: 'updateProfile', payload: { about: 'Open Mon-Fri 9-17', email: 'shop@example.com' } });
    expect((await nextMessage(ok)).payload).toEqual({ success: true });
    account.receive({ operation: 'getProfile' });
    expect((await nextMessage(ok)).payload).toMatchObject({ about: 'Open Mon-Fri 9-17', email: 'shop@example.com' });
    const errors = collect(helper.getNode('err'));
    const before = sb.requests.length;
    account.receive({ operation: 'updateProfile', payload: { about: 'x'.repeat(140) } });
    account.receive({ operation: 'nonsense' });
    await waitFor(() => errors.length === 2, 2000, 'two errors');
    expect(errors.map((e) => e.error.cause.category)).toEqual(['validation', 'validation']);
    expect(errors.map((e) => e.error.message).join('\n')).toMatch(/about/);
    expect(sb.requests.length).toBe(before);
  });

  test('block, list and unblock a user who wrote today; register with the PIN credential; deregister', async () => {
    await run('msg', { healthCheckMinutes: 0 });
    const account = helper.getNode('account');
    const ok = helper.getNode('ok');
    const user = uniqueUser();
    await sb.inbound({ from: user, text: 'spam spam' });
    account.receive({ operation: 'block', users: `+${user}` });
    expect((await nextMessage(ok)).payload.added).toHaveLength(1);
    account.receive({ operation: 'listBlocked' });
    expect((await nextMessage(ok)).payload.users).toContain(user);
    account.receive({ operation: 'unblock', payload: [`+${user}`] });
    expect((await nextMessage(ok)).payload.removed).toHaveLength(1);
    account.receive({ operation: 'deregister' });
    expect((await nextMessage(ok)).payload).toEqual({ success: true });
    account.receive({ operation: 'register' });
    expect((await nextMessage(ok)).payload).toMatchObject({ registered: true });
  });

  test('Flows: list, preview URL and publish reach the sandbox; a Flow with validation errors goes to Catch with Meta\'s code', async () => {
    await run('msg', { healthCheckMinutes: 0 });
    const account = helper.getNode('account');
    const ok = helper.getNode('ok');
    account.receive({ operation: 'listFlows' });
    expect((await nextMessage(ok)).payload.flows.map((f: { name: string }) => f.name)).toEqual(['appointment_booking', 'lead_form', 'broken_survey']);
    account.receive({ operation: 'flowPreview', flowId: '400000000000002' });
    expect((await nextMessage(ok)).payload.previewUrl).toContain('/flows/400000000000002/preview');
    expect(sb.requests.at(-1)!.query.fields).toBe('preview.invalidate(false)');
    account.receive({ operation: 'publishFlow', payload: '400000000000002' });
    expect((await nextMessage(ok)).payload).toEqual({ success: true, flowId: '400000000000002' });
    expect(sb.flows.find((f) => f.id === '400000000000002')!.status).toBe('PUBLISHED');
    const errors = collect(helper.getNode('err'));
    account.receive({ operation: 'publishFlow', flowId: '400000000000003' });
    account.receive({ operation: 'publishFlow' });
    await waitFor(() => errors.length === 2, 3000, 'two errors');
    expect(errors.map((e) => e.error.code).sort()).toEqual(['graph_139001', 'validation_failed']);
  });

  test('Groups: refused without an Official Business Account; create, invite link, participants and a send reach the sandbox', async () => {
    await run('msg', { healthCheckMinutes: 0 });
    const account = helper.getNode('account');
    const ok = helper.getNode('ok');
    const errors = collect(helper.getNode('err'));
    sb.setOfficialBusinessAccount(false);
    account.receive({ operation: 'createGroup', payload: { subject: 'Support' } });
    await waitFor(() => errors.length === 1, 3000, 'the eligibility error');
    expect(errors[0].error.code).toBe('groups_not_eligible');
    expect(sb.requests.some((r) => r.method === 'POST' && r.path.endsWith('/groups'))).toBe(false);

    sb.setOfficialBusinessAccount(true);
    account.receive({ operation: 'createGroup', payload: { subject: 'Order #9', joinApprovalMode: 'auto_approve' } });
    const groupId = (await nextMessage(ok)).payload.groupId;
    expect(sb.groups.find((g) => g.id === groupId)!.subject).toBe('Order #9');
    account.receive({ operation: 'groupInviteLink', groupId });
    expect((await nextMessage(ok)).payload.inviteLink).toMatch(/^https:\/\/chat\.whatsapp\.com\//);
    sb.joinGroup(groupId, '15550009999');
    account.receive({ operation: 'getGroup', groupId });
    expect((await nextMessage(ok)).payload).toMatchObject({ participants: ['15550009999'], totalParticipantCount: 1 });
    account.receive({ operation: 'sendToGroup', groupId, payload: 'Parcel is on its way' });
    expect((await nextMessage(ok)).payload.messageId).toMatch(/^wamid\./);
    expect(sb.groups.find((g) => g.id === groupId)!.messages.at(-1)!.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'group', to: groupId, type: 'text', text: { body: 'Parcel is on its way' } });
    account.receive({ operation: 'sendToGroup', groupId, payload: { type: 'location', location: { latitude: 1, longitude: 2 } } });
    await waitFor(() => errors.length === 2, 3000, 'the type error');
    expect(errors[1].error.message).toContain('cannot be sent to a group');
  });

  test('a call permission request goes out through the send node as a Graph-shaped payload', async () => {
    await run('health', { healthCheckMinutes: 0, windowPolicy: 'off' });
    const out = helper.getNode('out');
    out.receive({ to: '+15550006666', payload: { type: 'interactive', interactive: { type: 'call_permission_request', body: { text: 'May we call you?' }, action: { name: 'call_permission_request' } } } });
    await nextMessage(helper.getNode('sent'));
    expect(sb.messages.at(-1)!.body).toMatchObject({ to: '+15550006666', interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' } } });
  });
});
