/**
 * Unit tests of the adapter's translation layer, with a real far side: the sandbox (a local
 * Graph API emulator) behind the credential test and the template helpers.
 */
import { CREDENTIAL_FIELDS, CREDENTIAL_TYPE, WhatsAppError } from '@wa-cloud/core';
import type { INode } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppCloudApi } from '../credentials/WhatsAppCloudApi.credentials';
import { createGraph, errorJson, normalizeCredentials, toNodeError } from '../nodes/WhatsAppCloud/transport';
import { whatsAppCloudApiTest } from '../nodes/WhatsAppCloud/v1/methods/credentialTest';
import { TEST_BASE_URLS_ENV } from '../nodes/WhatsAppCloud/transport/testTarget';
import { LoopbackServer } from '../../core/test/support/loopback-server';
import { approvedTemplate, fieldId, parameterKey, templateValues } from '../nodes/WhatsAppCloud/v1/helpers/templates';
import { choiceId, isWaitAnswer, registerQuestion, takeAnswer } from '../nodes/shared/waiting';
import { WhatsAppCloud } from '../nodes/WhatsAppCloud/WhatsAppCloud.node';
import { WhatsAppCloudTrigger } from '../nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node';

describe('credential', () => {
  it('has the name, title and fields of the one definition in credentials/', () => {
    const cred = new WhatsAppCloudApi();
    expect(cred.name).toBe(CREDENTIAL_TYPE.name);
    expect(cred.displayName).toBe(CREDENTIAL_TYPE.displayName);
    expect(cred.documentationUrl).toBe(CREDENTIAL_TYPE.documentationUrl);
    expect(cred.properties.map((p) => p.name)).toEqual(CREDENTIAL_FIELDS.map((f) => f.name));
    for (const field of CREDENTIAL_FIELDS) {
      const prop = cred.properties.find((p) => p.name === field.name)!;
      expect(Boolean(prop.typeOptions?.password)).toBe(field.type === 'password');
    }
  });
});

describe('errors', () => {
  it('keep core\'s message when it names a socket error n8n would swap for a generic sentence', () => {
    const node: INode = { id: '1', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0], parameters: {} };
    const message = 'The shared state store (Redis at 127.0.0.1:1) is unavailable (connect ECONNREFUSED 127.0.0.1:1)';
    const error = new WhatsAppError(message, { code: 'shared_store_unavailable', category: 'network', retryable: true, hint: 'Redis at 127.0.0.1:1 is unreachable.' });
    const nodeError = toNodeError(node, error, 0);
    expect(nodeError.message).toBe(message);
    expect(nodeError.description).toBe('Redis at 127.0.0.1:1 is unreachable.');
  });
});

describe('node descriptions', () => {
  it('action node: versioned, usable as a tool, message resource and sendTemplate by default', () => {
    const node = new WhatsAppCloud();
    const v1 = node.nodeVersions[1]!.description;
    expect(v1.usableAsTool).toBe(true);
    const resource = v1.properties.find((p) => p.name === 'resource')!;
    expect(resource.default).toBe('message');
    const op = v1.properties.find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes('message'))!;
    expect(op.default).toBe('sendTemplate');
    expect((op.options as Array<{ value: string }>).map((o) => o.value)).toEqual(
      expect.arrayContaining(['sendTemplate', 'sendText', 'sendMedia', 'sendInteractive', 'sendLocation', 'sendContacts', 'sendReaction', 'sendSticker', 'markAsRead', 'sendAndWait', 'sendChoices']),
    );
  });

  it('trigger: setup (GET) and default (POST) webhooks on one path, three outputs, full lifecycle', () => {
    const trigger = new WhatsAppCloudTrigger();
    expect(trigger.description.webhooks!.map((w) => [w.name, w.httpMethod, w.path])).toEqual([
      ['setup', 'GET', 'whatsapp'],
      ['default', 'POST', 'whatsapp'],
    ]);
    expect(trigger.description.outputNames).toEqual(['Messages', 'Statuses', 'Other']);
    expect(Object.keys(trigger.webhookMethods.default).sort()).toEqual(['checkExists', 'create', 'delete']);
  });
});

describe('with the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
    // The operator's allow-list for credential tests (this suite's sandbox only).
    process.env[TEST_BASE_URLS_ENV] = sandbox.url;
  });
  afterAll(async () => {
    delete process.env[TEST_BASE_URLS_ENV];
    await sandbox.close();
  });

  const data = () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url });

  it('credential test: OK with good credentials', async () => {
    const result = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: data() });
    expect(result.status).toBe('OK');
    expect(result.message).toContain('Sandbox Business');
  });

  it('credential test: explains a bad token and a WABA ID pasted as the phone number ID', async () => {
    const badToken = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: { ...data(), accessToken: 'expired' } });
    expect(badToken.status).toBe('Error');
    expect(badToken.message.length).toBeGreaterThan(40);
    const swapped = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: { ...data(), phoneNumberId: sandbox.wabaId } });
    expect(swapped.status).toBe('Error');
    expect(swapped.message).toMatch(/WhatsApp Business Account ID|phone number ID/i);
  });

  it('credential test: the token goes only to Meta\'s Graph host or an origin the operator listed', async () => {
    // What n8n hands the test after filling the saved token into a request with a changed base URL.
    const attacker = await LoopbackServer.start(() => ({ status: 200, json: { display_phone_number: '+1 555', verified_name: 'x' } }));
    try {
      const redirected = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: { ...data(), baseUrl: attacker.url } });
      expect(redirected.status).toBe('Error');
      expect(redirected.message).toContain(TEST_BASE_URLS_ENV);
      const clear = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: { ...data(), baseUrl: 'http://10.0.0.1:8080' } });
      expect(clear.status).toBe('Error');
      expect(clear.message).toMatch(/^Base URL: http:\/\/ is only allowed to a loopback host/);
      process.env[TEST_BASE_URLS_ENV] = `not a url, ${attacker.url.replace('127.0.0.1', 'localhost')}`;
      const otherName = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: { ...data(), baseUrl: attacker.url } });
      expect(otherName.status).toBe('Error');
      delete process.env[TEST_BASE_URLS_ENV];
      const notListed = await whatsAppCloudApiTest.call({} as never, { id: '1', name: 'x', type: 'whatsAppCloudApi', data: data() });
      expect(notListed.status).toBe('Error');
      expect(attacker.requests).toHaveLength(0);
    } finally {
      process.env[TEST_BASE_URLS_ENV] = sandbox.url;
      await attacker.close();
    }
  });

  it('finds an approved template and maps resource-mapper values back to core keys', async () => {
    const graph = createGraph(normalizeCredentials(data()));
    try {
      const template = await approvedTemplate(graph, sandbox.wabaId, 'order_update', 'en');
      expect(template.name).toBe('order_update');
      await expect(approvedTemplate(graph, sandbox.wabaId, 'no_such_template', 'en')).rejects.toMatchObject({ code: 'template_not_found' });
    } finally {
      await graph.close();
    }
    expect(fieldId('body.first_name')).toBe('body-first_name');
    expect(parameterKey('body-first_name')).toBe('body.first_name');
    expect(templateValues({ 'body-1': 'Ana', 'body-2': '', header: 'x' })).toEqual({ 'body.1': 'Ana', header: 'x' });
  });
});

describe('send-and-wait registry', () => {
  it('answers resume once, only for the number that asked', () => {
    const token = registerQuestion({ resumeUrl: 'http://n8n/webhook-waiting/1/node', choices: [{ id: 'yes', title: 'Yes' }], phoneNumberId: '1', expiresAt: Date.now() + 1000 });
    const id = choiceId(token, 0);
    expect(id.length).toBeLessThanOrEqual(256);
    expect(isWaitAnswer(id)).toBe(true);
    expect(takeAnswer(id, '2')).toBeUndefined();
    expect(takeAnswer(id, '1')).toMatchObject({ choice: { id: 'yes' }, index: 0 });
    expect(takeAnswer(id, '1')).toBeUndefined();
  });

  it('send and wait: only the asked user\'s answer resumes; another user\'s copy of the reply id is ignored', () => {
    const token = registerQuestion({ resumeUrl: 'http://n8n/webhook-waiting/2/node', choices: [{ id: 'yes', title: 'Yes' }], phoneNumberId: '1', recipient: '15551230001', expiresAt: Date.now() + 60_000 });
    const id = choiceId(token, 0);
    expect(takeAnswer(id, '1', { from: '15559990000' })).toBeUndefined();
    expect(takeAnswer(id, '1', { from: '', userId: 'US.999' })).toBeUndefined();
    expect(takeAnswer(id, '1')).toBeUndefined();
    // The question is still open for the asked user.
    expect(takeAnswer(id, '1', { from: '15551230001' })).toMatchObject({ choice: { id: 'yes' } });
    const bsuid = registerQuestion({ resumeUrl: 'http://n8n/webhook-waiting/3/node', choices: [{ id: 'no', title: 'No' }], phoneNumberId: '1', recipient: 'US.123', expiresAt: Date.now() + 60_000 });
    expect(takeAnswer(choiceId(bsuid, 0), '1', { from: '', userId: 'US.123' })).toMatchObject({ choice: { id: 'no' } });
  });

  it('errorJson never leaks more than the safe fields', () => {
    expect(errorJson(new Error('boom'))).toEqual({ message: 'boom', code: 'unknown', category: 'unknown' });
  });
});
