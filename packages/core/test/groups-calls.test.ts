import { startSandbox, type Sandbox } from '@wa-cloud/sandbox';
import { WhatsAppClient } from '../src/client';
import { ValidationError } from '../src/errors/error-classes';
import { createGroup, getGroup, getGroupInviteLink, GroupsNotEligibleError, sendToGroup } from '../src/groups';
import { GraphApi } from '../src/http/graph-api';
import { callPermissionRequestMessage } from '../src/messages';
import { parseWebhook } from '../src/webhook/parse';

let sb: Sandbox;
let graph: GraphApi;
let client: WhatsAppClient;

beforeAll(async () => {
  sb = await startSandbox({});
  graph = new GraphApi({ accessToken: sb.accessToken, baseUrl: sb.url });
  client = new WhatsAppClient({ accessToken: sb.accessToken, baseUrl: sb.url, phoneNumberId: sb.phoneNumberId, window: { policy: 'off' }, quality: { enabled: false } });
});
afterAll(async () => {
  await client.close();
  await graph.close();
  await sb.close();
});

describe('Groups API', () => {
  it('a number that is not an Official Business Account is refused before the create call', async () => {
    sb.setOfficialBusinessAccount(false);
    const before = sb.requests.length;
    const error = await createGroup(graph, sb.phoneNumberId, { subject: 'Support' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupsNotEligibleError);
    expect((error as GroupsNotEligibleError).code).toBe('groups_not_eligible');
    expect(sb.requests.slice(before).map((r) => r.method)).toEqual(['GET']); // the eligibility read only
    expect(sb.groups).toHaveLength(0);
  });

  it('Meta\'s permission refusal (code 10) on a group call becomes the eligibility error', async () => {
    sb.setOfficialBusinessAccount(true);
    const { groupId } = await createGroup(graph, sb.phoneNumberId, { subject: 'Temp' });
    sb.setOfficialBusinessAccount(false);
    const error = await sendToGroup(client, groupId!, { type: 'text', text: { body: 'hi' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupsNotEligibleError);
    expect(String((error as Error).message)).toContain('Official Business Accounts');
  });

  it('creates a group, reads and resets its invite link, lists participants, sends to it', async () => {
    sb.setOfficialBusinessAccount(true);
    const created = await createGroup(graph, sb.phoneNumberId, { subject: '  Order #1042  ', description: 'Delivery questions', joinApprovalMode: 'approval_required' });
    expect(sb.requests.at(-1)).toMatchObject({ method: 'POST', body: { messaging_product: 'whatsapp', subject: 'Order #1042', description: 'Delivery questions', join_approval_mode: 'approval_required' } });
    const groupId = created.groupId!;
    const link = await getGroupInviteLink(graph, groupId);
    expect(link.inviteLink).toMatch(/^https:\/\/chat\.whatsapp\.com\//);
    const reset = await getGroupInviteLink(graph, groupId, { reset: true });
    expect(reset.inviteLink).not.toBe(link.inviteLink);
    sb.joinGroup(groupId, '15550002222');
    sb.joinGroup(groupId, '15550003333');
    const info = await getGroup(graph, groupId);
    expect(info).toMatchObject({ groupId, subject: 'Order #1042', joinApprovalMode: 'approval_required', participants: ['15550002222', '15550003333'], totalParticipantCount: 2 });
    const sent = await sendToGroup(client, groupId, { type: 'text', text: { body: 'Your parcel left the depot' } });
    expect(sent.messageId).toMatch(/^wamid\./);
    const group = sb.groups.find((g) => g.id === groupId)!;
    expect(group.messages.at(-1)!.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'group', to: groupId, type: 'text', text: { body: 'Your parcel left the depot' } });
  });

  it('refuses what groups do not take and what breaks Meta\'s limits, before any request', async () => {
    const before = sb.requests.length;
    await expect(createGroup(graph, sb.phoneNumberId, { subject: 'x'.repeat(129) })).rejects.toThrow('subject: 129 characters, the limit is 128');
    await expect(sendToGroup(client, 'g1', { type: 'interactive', interactive: {} })).rejects.toThrow('"interactive" cannot be sent to a group');
    await expect(sendToGroup(client, 'g1', { type: 'text', text: { body: 'x'.repeat(4097) } })).rejects.toThrow(ValidationError);
    expect(sb.requests.length).toBe(before);
  });
});

describe('call permission requests', () => {
  it('sends call_permission_request; the sandbox receives Meta\'s shape', async () => {
    const sent = await client.send(callPermissionRequestMessage('+15550004444', 'May we call you about your order?'));
    expect(sent.messageId).toMatch(/^wamid\./);
    expect(sb.messages.at(-1)!.body).toMatchObject({
      type: 'interactive',
      interactive: { type: 'call_permission_request', body: { text: 'May we call you about your order?' }, action: { name: 'call_permission_request' } },
    });
    expect(() => callPermissionRequestMessage('+15550004444', '')).toThrow(ValidationError);
  });

  it('parses the user\'s answer (call_permission_reply) into callPermissionReply', () => {
    const [event] = parseWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '1' }, contacts: [{ wa_id: '15550004444', profile: { name: 'Ana' } }], messages: [{
        from: '15550004444', id: 'wamid.cpr', timestamp: '1764800000', type: 'interactive',
        context: { from: '15550001234', id: 'wamid.request' },
        interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: 1765404800, response_source: 'user_action' } },
      }] } }] }],
    });
    expect(event).toMatchObject({ kind: 'message', type: 'interactive', callPermissionReply: { response: 'accept', isPermanent: false, expiresAt: new Date(1765404800 * 1000), source: 'user_action' }, context: { messageId: 'wamid.request' } });
  });
});
