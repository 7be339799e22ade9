/**
 * The packed n8n package in ONE real n8n 2.41.1 server (regular mode, sqlite) against several
 * sandboxes (one phone number each), driven like a user would: workflows imported, then published
 * and unpublished through n8n's REST API while the server runs. Proves:
 * - the trigger's webhook lifecycle: publishing registers the number's override at the trigger's
 *   production URL (the sandbox verifies it with a GET challenge first), an override already
 *   pointing there is found (no second registration), unpublishing clears it only while it is
 *   ours, and two workflows on two numbers coexist;
 * - Send and Wait: the execution waits, the user's button answer (through the trigger, same
 *   process) resumes it with the choice; and with the window closed, the fallback template's
 *   quick-reply answer does the same;
 * - every management operation once (template list/get/create/delete, media upload/delete, phone
 *   number health/diagnose, webhook subscribe/set/clear), asserted on what the sandbox received;
 * - Retry On Fail never re-sends the items that already succeeded;
 * - fuzzed webhook bodies (WA_FUZZ_RUNS, default 300) against the published trigger: 200 or 4xx,
 *   never a crash or a hang, n8n healthy afterwards, no execution for any 4xx case; tampered,
 *   re-serialised and wrong-secret bodies answer 401 and start nothing;
 * - no secret (token, app secret, verify token) in n8n's logs or in any execution's data.
 * Set SKIP_E2E=1 to skip.
 */
import { createHmac } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import fc from 'fast-check';
import { DEFAULT_TEMPLATES, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import {
  apiCredentialData,
  chain,
  codeNode,
  findSecrets,
  N8nRest,
  nodeId,
  packPackage,
  postAllNodes,
  postNode,
  SECRETS,
  startCollector,
  triggerNode,
  waitUntil,
  waNode,
  webhookNode,
  type Collector,
  type Cred,
} from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const FUZZ_RUNS = Math.max(1, Number(process.env.WA_FUZZ_RUNS) || 300);

const CONFIRM_TEMPLATE = {
  name: 'confirm_choice',
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Please confirm your delivery slot' },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Yes' }, { type: 'QUICK_REPLY', text: 'No' }] },
  ],
};

let userFolder: string;
let packDir: string;
let n8n: N8nInstance;
let rest: N8nRest;
let collector: Collector;
/** Logs of n8n processes stopped during the suite (the secret scan reads them too). */
let previousLogs = '';
/** The user the management workflow blocks and unblocks (the test opens their window first). */
const BLOCKED_USER = '+15551239901';

/** A: lifecycle (and fuzz), B: the second number, C: send-and-wait, M: management and retry. */
const sb: Record<'A' | 'B' | 'C' | 'M', Sandbox> = {} as never;
const creds: Record<'A' | 'B' | 'C' | 'M', Cred> = {} as never;
const wf: Record<string, string> = {};
const hook = { A: nodeId(), B: nodeId(), C: nodeId() };
const triggerUrl = (key: 'A' | 'B' | 'C') => `${n8n.url}/webhook/${hook[key]}/whatsapp`;

/** Requests that set or cleared a number's webhook override. */
const overrideCalls = (s: Sandbox) =>
  s.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${s.phoneNumberId}`) && (r.body as Record<string, unknown> | undefined)?.webhook_configuration);

/** n8n registers and removes webhooks after the REST call returns: wait for its log lines. */
function logCount(text: string): number {
  return n8n.logs().split(text).length - 1;
}
async function publish(key: 'A' | 'B'): Promise<void> {
  const line = `Added webhook "Trigger" for workflow "e2e lifecycle ${key}"`;
  const before = logCount(line);
  await rest.activate(wf[key]!);
  await waitUntil(() => logCount(line) >= before + 2, 30_000, `n8n to register ${key}`);
}
async function unpublish(key: 'A' | 'B'): Promise<void> {
  const line = `Deactivating webhook "Trigger" for workflow "e2e lifecycle ${key}"`;
  const before = logCount(line);
  await rest.deactivate(wf[key]!);
  await waitUntil(() => logCount(line) >= before + 2, 30_000, `n8n to remove ${key}`);
}

async function graphSetOverride(s: Sandbox, uri: string): Promise<void> {
  const res = await fetch(`${s.url}/v25.0/${s.phoneNumberId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ webhook_configuration: { override_callback_uri: uri, verify_token: SECRETS.verifyToken } }),
  });
  expect(res.status).toBe(200);
}

d('n8n server (regular mode): trigger lifecycle, send and wait, management, retry, fuzz, secrets', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    const ids = { A: '100000000000011', B: '100000000000022', C: '100000000000033', M: '100000000000044' };
    for (const key of ['A', 'B', 'C', 'M'] as const) {
      sb[key] = await startSandbox({
        phoneNumberId: ids[key],
        wabaId: `2000000000000${key.charCodeAt(0)}`,
        accessToken: SECRETS.accessToken,
        appSecret: SECRETS.appSecret,
        verifyToken: SECRETS.verifyToken,
        templates: [...DEFAULT_TEMPLATES, CONFIRM_TEMPLATE],
        statusDelaysMs: { sent: 20, delivered: null, read: null },
        templateReviewMs: 100,
      });
    }
    collector = await startCollector(SECRETS.verifyToken);
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const keys = ['A', 'B', 'C', 'M'] as const;
    const credIds = await importCredentials(
      userFolder,
      keys.map((key) => ({
        name: `WhatsApp ${key}`,
        type: 'whatsAppCloudApi',
        data: apiCredentialData(sb[key]),
      })),
    );
    keys.forEach((key, i) => (creds[key] = { id: credIds[i]!, name: `WhatsApp ${key}` }));

    // Lifecycle: one trigger per number, registering its override when published.
    for (const key of ['A', 'B'] as const) {
      // The fuzz sends batches of up to 20,000 messages here: all of a run's items go in one POST.
      const post = postAllNodes('Post', collector.url, key);
      wf[key] = await importWorkflow(userFolder, {
        name: `e2e lifecycle ${key}`,
        nodes: [triggerNode('Trigger', creds[key], hook[key], { registration: 'phoneNumberOverride' }), ...post.nodes],
        connections: { Trigger: { main: [[{ node: post.first, type: 'main', index: 0 }], [], []] }, ...post.connections },
      });
    }
    // Send and wait: the question goes to whoever writes; the answer resumes the execution.
    wf.C = await importWorkflow(userFolder, {
      name: 'e2e send and wait',
      nodes: [
        triggerNode('Trigger', creds.C, hook.C, { registration: 'verifyOnly' }),
        waNode('Ask', creds.C, { resource: 'message', operation: 'sendAndWait', to: '={{ $json.from }}', message: 'Ship it today?', answers: { answer: [{ title: 'Yes', value: 'yes' }, { title: 'No', value: 'no' }] }, options: {} }),
        postNode('Post', collector.url, 'C'),
      ],
      connections: { Trigger: { main: [[{ node: 'Ask', type: 'main', index: 0 }], [], []] }, ...chain('Ask', 'Post') },
    });
    wf.C2 = await importWorkflow(userFolder, {
      name: 'e2e send and wait, window closed',
      nodes: [
        webhookNode('Hook', 'ask-closed'),
        waNode('Ask', creds.C, {
          resource: 'message',
          operation: 'sendAndWait',
          to: '={{ $json.body.to }}',
          message: 'Is the slot fine?',
          answers: { answer: [{ title: 'Yes', value: 'yes' }, { title: 'No', value: 'no' }] },
          options: { windowPolicy: 'fallbackTemplate', fallbackTemplateName: 'confirm_choice', fallbackTemplateLanguage: 'en_US' },
        }),
        postNode('Post', collector.url, 'C2'),
      ],
      connections: chain('Hook', 'Ask', 'Post'),
    });
    // Management: every operation once, in one execution; the last node gathers the outputs.
    const once = { executeOnce: true };
    const mgmt = [
      waNode('List', creds.M, { resource: 'template', operation: 'list', filters: { status: 'APPROVED' } }, once),
      waNode('Get', creds.M, { resource: 'template', operation: 'get', name: 'order_update', language: 'en' }, once),
      waNode('Create', creds.M, {
        resource: 'template',
        operation: 'create',
        name: 'e2e_created',
        language: 'en_US',
        category: 'UTILITY',
        parameterFormat: 'positional',
        components: JSON.stringify([{ type: 'BODY', text: 'Hello {{1}}, your parcel is on its way', example: { body_text: [['Ada']] } }]),
      }, once),
      waNode('Delete Template', creds.M, { resource: 'template', operation: 'delete', name: 'e2e_created' }, once),
      codeNode('File', "return [{ json: {}, binary: { data: { data: Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64'), mimeType: 'image/png', fileName: 'pixel.png' } } }];"),
      waNode('Upload', creds.M, { resource: 'media', operation: 'upload', binaryPropertyName: 'data' }, once),
      waNode('Delete Media', creds.M, { resource: 'media', operation: 'delete', mediaId: '={{ $json.mediaId }}' }, once),
      waNode('Health', creds.M, { resource: 'phoneNumber', operation: 'getHealth' }, once),
      waNode('Register', creds.M, { resource: 'phoneNumber', operation: 'register', pin: '123456' }, once),
      waNode('Update Profile', creds.M, { resource: 'businessProfile', operation: 'update', updateFields: { about: 'e2e about', vertical: 'RETAIL' } }, once),
      waNode('Get Profile', creds.M, { resource: 'businessProfile', operation: 'get' }, once),
      waNode('Block', creds.M, { resource: 'user', operation: 'block', users: BLOCKED_USER }, once),
      waNode('Blocked', creds.M, { resource: 'user', operation: 'list' }, once),
      waNode('Unblock', creds.M, { resource: 'user', operation: 'unblock', users: BLOCKED_USER }, once),
      waNode('Diagnose', creds.M, { resource: 'phoneNumber', operation: 'diagnose' }, once),
      waNode('Subscribe', creds.M, { resource: 'webhook', operation: 'subscribeApp' }, once),
      waNode('Set Override', creds.M, { resource: 'webhook', operation: 'setOverride', callbackUrl: collector.url }, once),
      waNode('Clear Override', creds.M, { resource: 'webhook', operation: 'clearOverride' }, once),
    ];
    const names = mgmt.map((n) => n.name);
    wf.M = await importWorkflow(userFolder, {
      name: 'e2e management',
      nodes: [
        webhookNode('Hook', 'manage', 'lastNode'),
        ...mgmt.map((n, i) => ({ ...n, position: [200 * (i + 1), 0] })),
        codeNode('Gather', `return [{ json: { ${names.map((n) => `${JSON.stringify(n)}: $(${JSON.stringify(n)}).all().map((i) => i.json)`).join(', ')} } }];`, [200 * (names.length + 1), 0]),
      ],
      connections: chain('Hook', ...names, 'Gather'),
    });
    // Retry On Fail: items 1 and 3 fail (unknown template; a recipient Meta refuses), the rest succeed.
    wf.R = await importWorkflow(userFolder, {
      name: 'e2e retry',
      nodes: [
        webhookNode('Hook', 'retry'),
        codeNode('Items', "return Array.from({ length: 6 }, (_, i) => ({ json: { to: '+1555300000' + i, template: i === 1 ? 'no_such_template' : 'order_update' } }));"),
        waNode(
          'Send',
          creds.M,
          {
            resource: 'message',
            operation: 'sendTemplate',
            to: '={{ $json.to }}',
            templateName: { __rl: true, mode: 'name', value: '={{ $json.template }}' },
            languageCode: 'en',
            templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': 'Ada', 'body-2': '={{ $json.to }}' }, matchingColumns: [], schema: [] },
            options: {},
          },
          { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 },
        ),
      ],
      connections: chain('Hook', 'Items', 'Send'),
      settings: { saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all' },
    });

    n8n = await startN8n({ userFolder, env: { N8N_LOG_LEVEL: 'debug' } });
    rest = new N8nRest(n8n.url);
    await rest.login();
    for (const id of [wf.C, wf.C2, wf.M, wf.R]) await rest.activate(id!);
    sb.C.setWebhookUrl(triggerUrl('C'));
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await Promise.all(Object.values(sb).map((s) => s.close()));
    await collector?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  describe('trigger webhook lifecycle (Register Phone Number Override)', () => {
    it('publishing registers the override at the production URL, verified by the sandbox first', async () => {
      await publish('A');
      expect(sb.A.webhookTarget).toBe(triggerUrl('A'));
      const calls = overrideCalls(sb.A);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ status: 200, body: { webhook_configuration: { override_callback_uri: triggerUrl('A') } } });
      // Meta's check: the trigger answers the challenge only with the verify token.
      expect(await sb.A.verifyWebhook(triggerUrl('A'), SECRETS.verifyToken)).toBe(true);
      expect(await sb.A.verifyWebhook(triggerUrl('A'), 'wrong')).toBe(false);
    }, 60_000);

    it('two workflows on two numbers coexist: each number\'s messages reach its own workflow', async () => {
      await publish('B');
      expect(sb.B.webhookTarget).toBe(triggerUrl('B'));
      expect(sb.A.webhookTarget).toBe(triggerUrl('A'));
      await sb.A.inbound({ from: '15551110001', text: 'to A' });
      await sb.B.inbound({ from: '15551110002', text: 'to B' });
      await collector.waitFor((r) => r.some((x) => x.tag === 'A') && r.some((x) => x.tag === 'B'));
      const a = collector.received.filter((x) => x.tag === 'A').map((x) => x.event as Record<string, unknown>);
      const b = collector.received.filter((x) => x.tag === 'B').map((x) => x.event as Record<string, unknown>);
      expect(a).toEqual([expect.objectContaining({ from: '15551110001', text: 'to A', phoneNumberId: sb.A.phoneNumberId })]);
      expect(b).toEqual([expect.objectContaining({ from: '15551110002', text: 'to B', phoneNumberId: sb.B.phoneNumberId })]);
    }, 60_000);

    it('unpublishing clears the override while it points at this trigger', async () => {
      await unpublish('B');
      expect(sb.B.webhookTarget).toBeUndefined();
      expect(overrideCalls(sb.B).map((r) => (r.body as { webhook_configuration: { override_callback_uri: string } }).webhook_configuration.override_callback_uri)).toEqual([
        triggerUrl('B'),
        '',
      ]);
    }, 60_000);

    it('unpublishing leaves an override that meanwhile points elsewhere untouched', async () => {
      await graphSetOverride(sb.A, collector.url);
      const before = overrideCalls(sb.A).length;
      await unpublish('A');
      expect(sb.A.webhookTarget).toBe(collector.url);
      expect(overrideCalls(sb.A)).toHaveLength(before);
      await publish('A');
      expect(sb.A.webhookTarget).toBe(triggerUrl('A'));
    }, 90_000);

    it('publishing finds an override that already points here (checkExists) and registers nothing; a restart re-registers nothing', async () => {
      // A is published and owns the number. Unpublish (clears it), then, with n8n stopped, point the
      // number at A's URL by hand (a stand-in on n8n's port answers the sandbox's challenge).
      await unpublish('A');
      expect(sb.A.webhookTarget).toBeUndefined();
      const port = n8n.port;
      previousLogs += n8n.logs();
      await n8n.stop();
      const standIn = http.createServer((req, res) => res.end(new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge') ?? ''));
      await new Promise<void>((r) => standIn.listen(port, '127.0.0.1', () => r()));
      await graphSetOverride(sb.A, triggerUrl('A'));
      await new Promise<void>((r) => standIn.close(() => r()));
      const before = overrideCalls(sb.A).length;
      n8n = await startN8n({ userFolder, port, env: { N8N_LOG_LEVEL: 'debug' } });
      rest = new N8nRest(n8n.url);
      await rest.login();
      await waitUntil(async () => (await fetch(`${triggerUrl('C')}?hub.mode=subscribe`)).status !== 404, 60_000, 'C to be served again');
      await publish('A');
      expect(overrideCalls(sb.A)).toHaveLength(before);
      expect(sb.A.webhookTarget).toBe(triggerUrl('A'));
      await sb.A.inbound({ from: '15551110003', text: 'after restart' });
      await collector.waitFor((r) => r.some((x) => x.tag === 'A' && (x.event as { text?: string }).text === 'after restart'));
    }, 180_000);
  });

  describe('send and wait (trigger and node in the same n8n process)', () => {
    it('waits for the answer; the user\'s button reply resumes the execution with the choice', async () => {
      const user = '15552220001';
      await sb.C.inbound({ from: user, text: 'hello' }, { name: 'Ana' });
      await waitUntil(() => sb.C.messages.some((m) => m.to.endsWith(user) && m.type === 'interactive'), 30_000, 'the question');
      const question = sb.C.messages.find((m) => m.to.endsWith(user) && m.type === 'interactive')!;
      const buttons = (question.body as { interactive: { action: { buttons: Array<{ reply: { id: string; title: string } }> } } }).interactive.action.buttons;
      expect(buttons.map((b) => b.reply.title)).toEqual(['Yes', 'No']);
      // The execution is waiting, nothing posted yet.
      await waitUntil(async () => (await rest.executions({ workflowId: wf.C, status: ['waiting'] })).length === 1, 15_000, 'a waiting execution');
      expect(collector.received.filter((x) => x.tag === 'C')).toHaveLength(0);
      const executionsBefore = (await rest.executions({ workflowId: wf.C })).length;
      await sb.C.inbound({ from: user, type: 'interactive', payload: { type: 'button_reply', button_reply: buttons[1]!.reply }, context: { id: question.id } });
      await collector.waitFor((r) => r.some((x) => x.tag === 'C'));
      const answer = collector.received.find((x) => x.tag === 'C')!.event as Record<string, unknown>;
      expect(answer).toMatchObject({ choiceIndex: 1, choiceValue: 'no', choiceTitle: 'No', from: user, questionMessageId: question.id });
      expect(typeof answer.respondedAt).toBe('string');
      // The answer resumed the waiting execution and started no other one.
      await waitUntil(async () => (await rest.executions({ workflowId: wf.C, status: ['waiting'] })).length === 0, 15_000, 'the execution to finish');
      expect((await rest.executions({ workflowId: wf.C })).length).toBe(executionsBefore);
    }, 90_000);

    it('with the window closed, sends the fallback template; its quick-reply answer resumes the execution', async () => {
      const user = '15552220002';
      const res = await fetch(`${n8n.url}/webhook/ask-closed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: `+${user}` }) });
      expect(res.status).toBe(200);
      await waitUntil(() => sb.C.messages.some((m) => m.to.endsWith(user)), 30_000, 'the fallback template');
      const sent = sb.C.messages.filter((m) => m.to.endsWith(user));
      expect(sent.map((m) => m.type)).toEqual(['template']);
      const template = (sent[0]!.body as { template: { name: string; components: Array<{ type: string; sub_type: string; index: string; parameters: Array<{ payload: string }> }> } }).template;
      expect(template.name).toBe('confirm_choice');
      const payloads = template.components.filter((c) => c.sub_type === 'quick_reply').map((c) => c.parameters[0]!.payload);
      expect(payloads).toHaveLength(2);
      await sb.C.inbound({ from: user, type: 'button', payload: { payload: payloads[0], text: 'Yes' }, context: { id: sent[0]!.id } });
      await collector.waitFor((r) => r.some((x) => x.tag === 'C2'));
      expect(collector.received.find((x) => x.tag === 'C2')!.event).toMatchObject({ choiceIndex: 0, choiceValue: 'yes', choiceTitle: 'Yes', from: user });
    }, 90_000);
  });

  it('runs every management operation once against the sandbox', async () => {
    const before = sb.M.requests.length;
    sb.M.setWindow(BLOCKED_USER); // only users who wrote in the last 24 h can be blocked
    const res = await fetch(`${n8n.url}/webhook/manage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const text = await res.text();
    expect(res.status).toBe(200);
    const out = (JSON.parse(text) as Array<Record<string, Array<Record<string, unknown>>>>)[0]!;
    expect(out.List!.map((t) => t.name)).toEqual(expect.arrayContaining(['hello_world', 'order_update', 'confirm_choice']));
    expect(out.List!.every((t) => t.status === 'APPROVED')).toBe(true);
    expect(out.Get![0]).toMatchObject({ name: 'order_update', language: 'en' });
    expect(out.Create![0]).toMatchObject({ id: expect.any(String) });
    expect(out['Delete Template']![0]).toMatchObject({ deleted: true });
    expect(out.Upload![0]).toMatchObject({ mediaId: expect.any(String) });
    expect(out['Delete Media']![0]).toMatchObject({ deleted: true });
    expect(out.Health![0]).toMatchObject({ phoneNumberId: sb.M.phoneNumberId, rating: 'GREEN', qualityRating: 'GREEN', ok: true, advice: expect.any(Array), guard: { rating: 'GREEN' } });
    expect(out.Register![0]).toMatchObject({ registered: true });
    expect(out['Update Profile']![0]).toMatchObject({ success: true, updated: ['about', 'vertical'] });
    expect(out['Get Profile']![0]).toMatchObject({ about: 'e2e about', vertical: 'RETAIL' });
    expect(JSON.stringify(out.Block![0])).toContain(BLOCKED_USER.slice(1));
    expect(out.Blocked![0]!.users).toEqual(expect.arrayContaining([expect.stringContaining(BLOCKED_USER.slice(1))]));
    expect(JSON.stringify(out.Unblock![0])).toContain(BLOCKED_USER.slice(1));
    expect(out.Diagnose!.length).toBeGreaterThan(3);
    expect(out.Subscribe![0]).toMatchObject({ subscribed: true });
    expect(out['Set Override']![0]).toMatchObject({ callbackUrl: collector.url });
    expect(out['Clear Override']![0]).toMatchObject({ cleared: true });

    const seen = sb.M.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/^\/v\d+\.\d+/, '')}${r.status === 200 ? '' : ` → ${r.status}`}`);
    const { phoneNumberId: phone, wabaId: waba } = sb.M;
    const mediaId = String(out.Upload![0]!.mediaId);
    for (const call of [
      `GET /${waba}/message_templates`,
      `POST /${waba}/message_templates`,
      `DELETE /${waba}/message_templates`,
      `POST /${phone}/media`,
      `DELETE /${mediaId}`,
      `GET /${phone}`,
      `GET /debug_token`,
      `POST /${waba}/subscribed_apps`,
      `POST /${phone}`,
      `POST /${phone}/register`,
      `POST /${phone}/whatsapp_business_profile`,
      `GET /${phone}/whatsapp_business_profile`,
      `POST /${phone}/block_users`,
      `GET /${phone}/block_users`,
      `DELETE /${phone}/block_users`,
    ]) {
      expect(seen).toContain(call);
    }
    const overrides = overrideCalls(sb.M).map((r) => (r.body as { webhook_configuration: { override_callback_uri: string } }).webhook_configuration.override_callback_uri);
    expect(overrides).toEqual([collector.url, '']);
    expect(sb.M.webhookTarget).toBeUndefined();
    // The created template was submitted, then deleted.
    const created = sb.M.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/message_templates'))!;
    expect(created.body).toMatchObject({ name: 'e2e_created', category: 'UTILITY' });
  }, 120_000);

  it('Retry On Fail never re-sends the items that already succeeded', async () => {
    const refused = '+15553000003';
    sb.M.failSends({ code: 131026, to: refused.slice(1), sync: true, times: Infinity });
    const before = sb.M.requests.length;
    const res = await fetch(`${n8n.url}/webhook/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    await waitUntil(async () => (await rest.executions({ workflowId: wf.R })).some((e) => e.status === 'error'), 60_000, 'the retry execution to fail');
    const sends = sb.M.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    const byRecipient = new Map<string, number>();
    for (const s of sends) {
      const to = String((s.body as { to: string }).to);
      byRecipient.set(to, (byRecipient.get(to) ?? 0) + 1);
    }
    // The refused recipient reached Meta once (131026): the quality guard then holds it, so tries 2
    // and 3 fail before any request (recipient_suppressed); each good one was sent exactly once.
    expect(byRecipient.get(refused)).toBe(1);
    for (const ok of ['+15553000000', '+15553000002', '+15553000004', '+15553000005']) expect([ok, byRecipient.get(ok)]).toEqual([ok, 1]);
    expect(sb.M.messages.filter((m) => m.to.startsWith('+155530000') || m.to.startsWith('155530000'))).toHaveLength(4);
    // And the unknown template was looked up again on every try (the node really ran 3 times).
    const lookups = sb.M.requests.slice(before).filter((r) => r.method === 'GET' && r.path.endsWith('/message_templates'));
    expect(lookups.length).toBeGreaterThanOrEqual(3);
    sb.M.clearSendFailures();
  }, 120_000);

  describe('reliability of the published trigger', () => {
    /** A signed-able WhatsApp message webhook for number A whose ids and text carry `marker`. */
    function messageBody(marker: string, count = 1): Record<string, unknown> {
      const ts = String(Math.floor(Date.now() / 1000));
      return {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: sb.A.wabaId,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: sb.A.displayPhoneNumber, phone_number_id: sb.A.phoneNumberId },
                  contacts: [{ profile: { name: 'Fuzz' }, wa_id: '15554440000' }],
                  messages: Array.from({ length: count }, (_, i) => ({ from: '15554440000', id: `wamid.${marker}-${i}`, timestamp: ts, type: 'text', text: { body: `${marker} says hi` } })),
                },
              },
            ],
          },
        ],
      };
    }

    interface Case {
      kind: string;
      body: Buffer;
      headers: Record<string, string | string[]>;
      /** The status it must get, or a list of acceptable ones. */
      expect: number[];
    }

    /** X-Hub-Signature-256 over the exact bytes. */
    const sign = (body: Buffer | string, secret = SECRETS.appSecret) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

    /**
     * Posts raw bytes with raw headers (repeated headers allowed), with a hang guard. One connection
     * per request (`agent: false`): Node's default keep-alive agent may reuse a socket n8n is just
     * closing, and the resulting ECONNRESET would be the test client's race, not the trigger's answer.
     */
    function post(url: string, body: Buffer, headers: Record<string, string | string[]>): Promise<number> {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false, headers: { 'content-length': String(body.length), ...headers } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.setTimeout(60_000, () => req.destroy(new Error('hang: no answer in 60 s')));
        req.on('error', reject);
        req.end(body);
      });
    }

    let seq = 0;
    const caseArb: fc.Arbitrary<Case> = fc
      .tuple(
        fc.constantFrom(
          'valid', 'truncated', 'wrongType', 'hugeArray', 'deepNesting', 'invalidUtf8', 'over3MB',
          'noSignature', 'repeatedSignature', 'tampered', 'reserialised', 'wrongSecret', 'notJson', 'contentType',
        ),
        fc.nat(),
        fc.jsonValue({ maxDepth: 3 }),
        fc.integer({ min: 1, max: 4000 }),
      )
      .map(([kind, n, junk, size]): Case => {
        const marker = `fz${++seq}x${n % 1000}`;
        const json = messageBody(marker);
        const raw = Buffer.from(JSON.stringify(json));
        const signed = (b: Buffer, extra: Record<string, string | string[]> = {}) => ({ 'content-type': 'application/json', 'x-hub-signature-256': sign(b), ...extra });
        switch (kind) {
          case 'truncated': {
            const b = raw.subarray(0, n % raw.length);
            return { kind, body: b, headers: signed(b), expect: [400] };
          }
          case 'wrongType': {
            // Replace one field anywhere with a value of another type: parsed (200) or refused (400).
            const paths: Array<Array<string | number>> = [];
            const walk = (v: unknown, p: Array<string | number>) => {
              paths.push(p);
              if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...p, i]));
              else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
            };
            walk(json, []);
            const path = paths[n % paths.length]!;
            const copy = structuredClone(json) as Record<string | number, unknown>;
            let target: unknown = copy;
            const mutated = path.length === 0 ? junk : (path.slice(0, -1).forEach((k) => (target = (target as Record<string | number, unknown>)[k])), ((target as Record<string | number, unknown>)[path[path.length - 1]!] = junk), copy);
            const b = Buffer.from(JSON.stringify(mutated) ?? 'null');
            return { kind, body: b, headers: signed(b), expect: [200, 400] };
          }
          case 'hugeArray': {
            const big = messageBody(marker);
            const value = (big.entry as Array<{ changes: Array<{ value: { messages: unknown[] } }> }>)[0]!.changes[0]!.value;
            value.messages = Array.from({ length: size * 5 }, () => junk);
            const b = Buffer.from(JSON.stringify(big));
            return { kind, body: b, headers: signed(b), expect: b.length > 3 * 1024 * 1024 ? [413] : [200, 400] };
          }
          case 'deepNesting': {
            let nested: unknown = junk;
            for (let i = 0; i < size; i++) nested = n % 2 ? [nested] : { a: nested };
            const b = Buffer.from(JSON.stringify({ ...json, extra: nested }));
            return { kind, body: b, headers: signed(b), expect: [200, 400] };
          }
          case 'invalidUtf8': {
            const at = n % raw.length;
            const b = Buffer.concat([raw.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), raw.subarray(at)]);
            return { kind, body: b, headers: signed(b), expect: [200, 400] };
          }
          case 'over3MB': {
            const b = Buffer.concat([raw, Buffer.alloc(3 * 1024 * 1024 + 1 - raw.length + (n % 1000), 0x20)]);
            return { kind, body: b, headers: signed(b), expect: [413] };
          }
          case 'noSignature':
            return { kind, body: raw, headers: { 'content-type': 'application/json' }, expect: [401] };
          case 'repeatedSignature':
            return { kind, body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': [sign(raw), sign(raw)] }, expect: [401] };
          case 'tampered': {
            const b = Buffer.from(raw);
            b[n % b.length] = b[n % b.length]! ^ (1 + (size % 255));
            return { kind, body: b, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) }, expect: [401] };
          }
          case 'reserialised': {
            const b = Buffer.from(JSON.stringify(json, null, 1 + (n % 4)));
            return { kind, body: b, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) }, expect: [401] };
          }
          case 'wrongSecret':
            return { kind, body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, `${SECRETS.appSecret}x`) }, expect: [401] };
          case 'notJson': {
            // junk is a JSON value, possibly an object with a `toString` key: String() would throw on it.
            const b = Buffer.from(typeof junk === 'string' ? junk : `not json ${JSON.stringify(junk)}`);
            return { kind, body: b, headers: signed(b), expect: [400] };
          }
          case 'contentType': {
            const types = ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=utf-8'];
            return { kind, body: raw, headers: { 'content-type': types[n % types.length]!, 'x-hub-signature-256': sign(raw) }, expect: [200] };
          }
          default:
            return { kind, body: raw, headers: signed(raw), expect: [200] };
        }
      });

    const outcomes: Array<{ kind: string; marker: string; status: number }> = [];

    it(`fuzzed webhook bodies (${FUZZ_RUNS} cases): 200 or the right 4xx, never a crash or a hang`, async () => {
      const url = triggerUrl('A');
      const executionsBefore = (await rest.executions({ workflowId: wf.A })).length;
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          // n8n parses a JSON body before any node runs and answers 422 when it cannot: nothing starts.
          const json = /json/.test(String(c.headers['content-type'] ?? ''));
          let parsable = true;
          try {
            JSON.parse(c.body.toString('utf8'));
          } catch {
            parsable = false;
          }
          // (An empty body is not parsed: it reaches the trigger, which answers 400.)
          if (json && !parsable && c.body.length > 0 && c.expect[0] !== 413) c.expect = [422];
          const status = await post(url, c.body, c.headers).catch((error: Error) => {
            // Say whether n8n died, and what it logged last: a bare ECONNRESET tells nothing.
            throw new Error(`${c.kind}: ${error.message}; n8n ${n8n.process.hasExited() ? 'exited' : 'still running'}. Last log lines:\n${n8n.logs().split('\n').slice(-30).join('\n')}`);
          });
          const marker = /wamid\.(fz\d+x\d+)-/.exec(c.body.toString('latin1'))?.[1] ?? '';
          outcomes.push({ kind: c.kind, marker, status });
          if (!c.expect.includes(status)) throw new Error(`${c.kind}: answered ${status}, expected ${c.expect.join(' or ')} (${c.body.length} bytes)`);
        }),
        { numRuns: FUZZ_RUNS, ...(process.env.WA_FUZZ_SEED ? { seed: Number(process.env.WA_FUZZ_SEED) } : {}) },
      );
      // Healthy afterwards: readiness, and a normal message still goes through.
      expect((await fetch(`${n8n.url}/healthz/readiness`)).status).toBe(200);
      const body = Buffer.from(JSON.stringify(messageBody('afterfuzz')));
      expect(await post(url, body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) })).toBe(200);
      await collector.waitFor((r) => r.some((x) => String((x.event as { text?: string }).text).startsWith('afterfuzz')), 30_000);

      // No execution for any 4xx: the markers of refused bodies appear in no execution's data.
      await new Promise((r) => setTimeout(r, 2000));
      const all = await rest.executions({ workflowId: wf.A });
      const executions = all.slice(0, all.length - executionsBefore);
      const data = (await Promise.all(executions.map((e) => rest.execution(e.id)))).map((e) => JSON.stringify(e)).join('\n');
      const refused = outcomes.filter((o) => o.status !== 200 && o.marker);
      expect(refused.length).toBeGreaterThan(0);
      for (const o of refused) expect([o.kind, o.marker, data.includes(`wamid.${o.marker}-`)]).toEqual([o.kind, o.marker, false]);
      const accepted = outcomes.filter((o) => o.status === 200).length;
      expect(executions.length).toBeLessThanOrEqual(accepted + 1);
      const byKind = outcomes.reduce<Record<string, Record<number, number>>>((acc, o) => {
        (acc[o.kind] ??= {})[o.status] = ((acc[o.kind] ??= {})[o.status] ?? 0) + 1;
        return acc;
      }, {});
      console.log(`n8n trigger fuzz: ${outcomes.length} cases, ${executions.length} executions; statuses by kind ${JSON.stringify(byKind)}`);
    }, 30 * 60_000);

    it('tampered, re-serialised and wrong-secret bodies answer 401 and start nothing', async () => {
      const url = triggerUrl('A');
      const before = (await rest.executions({ workflowId: wf.A })).length;
      const json = messageBody('sigcheck');
      const raw = Buffer.from(JSON.stringify(json));
      const tampered = Buffer.from(raw.toString().replace('sigcheck says hi', 'sigcheck says HI'));
      const cases: Array<[Buffer, string]> = [
        [tampered, sign(raw)],
        [Buffer.from(JSON.stringify(json, null, 2)), sign(raw)],
        [Buffer.from(JSON.stringify({ ...json, extra: 1 })), sign(raw)],
        [raw, sign(raw, 'another-app-secret')],
        [raw, sign(raw).replace('sha256=', 'sha1=')],
        [raw, sign(raw).toUpperCase()],
        [raw, ''],
      ];
      for (const [body, signature] of cases) {
        expect(await post(url, body, { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) })).toBe(401);
      }
      // A body cut short is not JSON: n8n refuses it (422) before the trigger runs; as text/plain it reaches the trigger: 401.
      const cut = raw.subarray(0, raw.length - 1);
      expect(await post(url, cut, { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) })).toBe(422);
      expect(await post(url, cut, { 'content-type': 'text/plain', 'x-hub-signature-256': sign(raw) })).toBe(401);
      await new Promise((r) => setTimeout(r, 2000));
      expect((await rest.executions({ workflowId: wf.A })).length).toBe(before);
      expect(collector.received.some((x) => String((x.event as { text?: string }).text).startsWith('sigcheck'))).toBe(false);
    }, 60_000);
  });

  it('no access token, app secret or verify token in n8n\'s logs, execution data or node outputs', async () => {
    const executions = await rest.executions();
    expect(executions.length).toBeGreaterThan(5);
    const data = (await Promise.all(executions.map((e) => rest.execution(e.id)))).map((e) => JSON.stringify(e));
    const everything = [previousLogs, n8n.logs(), ...data, JSON.stringify(collector.received)].join('\n');
    // The scan can fail: the sandbox URL and the phone number IDs are in there, the secrets must not be.
    expect(everything).toContain(sb.A.phoneNumberId);
    expect(findSecrets(everything)).toEqual([]);
  }, 120_000);
});
