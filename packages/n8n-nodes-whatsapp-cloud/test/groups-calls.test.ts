/**
 * Groups and call permission requests through the n8n node, against the sandbox: what the sandbox
 * received is asserted, and a number that is not an Official Business Account is refused with the
 * eligibility error before any create call.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { router } from '../nodes/WhatsAppCloud/v1/actions/router';

let sandbox: Sandbox;
let executions = 0;
beforeAll(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
});
afterAll(() => sandbox.close());

const node = { id: 'node-groups', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
const credentials = () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url });
const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function runOperation(params: IDataObject): Promise<INodeExecutionData[]> {
  const execution = `groups-${++executions}`;
  const ctx = {
    getInputData: () => [{ json: {} }],
    getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : fallback),
    getCredentials: async () => credentials(),
    continueOnFail: () => false,
    getNode: () => node,
    getExecutionId: () => execution,
    logger,
  } as unknown as IExecuteFunctions;
  const [items] = await router.call(ctx);
  return items!;
}

describe('Group resource', () => {
  it('Create is refused with groups_not_eligible when the number is not an Official Business Account', async () => {
    sandbox.setOfficialBusinessAccount(false);
    const error = await runOperation({ resource: 'group', operation: 'create', subject: 'Support', joinApprovalMode: 'auto_approve' }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('not an Official Business Account');
    expect((error as { description?: string }).description).toContain('Official Business Accounts');
    expect(sandbox.requests.some((r) => r.method === 'POST' && r.path.endsWith('/groups'))).toBe(false);
  });

  it('Create, Get Invite Link (new link), Get (participants) and Send Text reach the sandbox', async () => {
    sandbox.setOfficialBusinessAccount(true);
    const [created] = await runOperation({ resource: 'group', operation: 'create', subject: 'Order #77', groupDescription: 'Delivery chat', joinApprovalMode: 'approval_required' });
    const groupId = created!.json.groupId as string;
    expect(sandbox.groups.find((g) => g.id === groupId)).toMatchObject({ subject: 'Order #77', description: 'Delivery chat', join_approval_mode: 'approval_required' });
    const [first] = await runOperation({ resource: 'group', operation: 'getInviteLink', groupId, reset: false });
    const [fresh] = await runOperation({ resource: 'group', operation: 'getInviteLink', groupId, reset: true });
    expect(fresh!.json.inviteLink).not.toBe(first!.json.inviteLink);
    expect(sandbox.requests.at(-1)).toMatchObject({ method: 'POST', path: expect.stringMatching(/\/invite_link$/) });
    sandbox.joinGroup(groupId, '15550007777');
    const [info] = await runOperation({ resource: 'group', operation: 'get', groupId });
    expect(info!.json).toMatchObject({ participants: ['15550007777'], totalParticipantCount: 1 });
    const [sent] = await runOperation({ resource: 'group', operation: 'sendText', groupId, text: 'The courier is 5 minutes away' });
    expect(sent!.json.messageId).toMatch(/^wamid\./);
    expect(sandbox.groups.find((g) => g.id === groupId)!.messages.at(-1)!.body).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'group', to: groupId, type: 'text', text: { body: 'The courier is 5 minutes away' },
    });
  });
});

describe('Message → Send Call Permission Request', () => {
  it('sends Meta\'s call_permission_request interactive', async () => {
    // A request to call is a free-form message: inside the window (the sandbox's and ours) or with the guard off.
    sandbox.setWindow('15550008888');
    const [out] = await runOperation({ resource: 'message', operation: 'sendCallPermissionRequest', to: '+15550008888', body: 'May we call you about the repair?', options: { windowPolicy: 'off' } });
    expect(out!.json.messageId).toMatch(/^wamid\./);
    expect(sandbox.messages.at(-1)!.body).toMatchObject({
      to: '+15550008888',
      type: 'interactive',
      interactive: { type: 'call_permission_request', body: { text: 'May we call you about the repair?' }, action: { name: 'call_permission_request' } },
    });
  });
});
