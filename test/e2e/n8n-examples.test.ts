/**
 * Every example workflow of the n8n package (packages/n8n-nodes-whatsapp-cloud/examples/*.json),
 * exactly as shipped (only the credential reference is bound), in ONE real n8n 2.41.1 with the packed
 * package, against two sandboxes. Each example is checked by what the far side received (the sandbox's
 * messages, the CRM's HTTP answer) or by what n8n recorded (the status workflow's executions):
 * - CRM → template: order_update with the name and order as parameters and the order as reference;
 *   bad input answers 422 with our words and sends nothing;
 * - reply: a text is answered with a quoting text; a list choice with the choice; the follow-up
 *   webhook sends text inside the window and the hello_world template outside it;
 * - approval: the question goes out with two buttons, the answer resumes the execution (through the
 *   reply workflow's trigger, without starting a reply) and the approver gets the confirmation;
 * - delivery status: sent/delivered/read become "Delivery update" items with the reference, a failed
 *   send a "Delivery failed" item with Meta's code and our hint;
 * - account health: GREEN raises no alert; YELLOW raises one that names the rating and the advice;
 * - CRM delivery ledger: templates sent with the order as reference; only the failed status starts an
 *   execution (the others are absorbed into the ledger), carrying the order and the error; the
 *   order-status webhook answers `read` by reference once the sandbox user has read the message.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { apiCredentialData, N8nRest, packPackage, SECRETS, waitUntil } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';
import { executeWorkflow, importCredentials, importWorkflows, installCommunityPackage, makeN8nUserFolder, newN8nId, nodeOutput, startN8n, type N8nInstance } from '../harness/n8n';
import { bindExample, EXAMPLES, loadExample, webhookPath, type ExampleKey, type ExampleWorkflow } from '../harness/n8n-examples';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';

const d = process.env.SKIP_E2E ? describe.skip : describe;

/** Users of the conversation on sandbox A. */
const ADA = '15551230001';
const BEN = '15551230002';
const NEVER_WROTE = '15551230003';
const APPROVER = '15551230004';
const UNDELIVERABLE = '15559990000';

let sbA: Sandbox; // CRM, reply, approval, health
let sbS: Sandbox; // delivery status (its own number: one trigger per number receives webhooks)
let sbL: Sandbox; // CRM delivery ledger (its own number too)
let userFolder: string;
let packDir: string;
let n8n: N8nInstance;
let rest: N8nRest;
const wf = {} as Record<ExampleKey, ExampleWorkflow>;
const health: Record<'green' | 'yellow', Awaited<ReturnType<typeof executeWorkflow>>> = {} as never;

/** n8n keeps run data "flatted"; the parser comes with n8n (as pg does for the harness). */
async function runData(executionId: string): Promise<Record<string, Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>>> {
  const { dir } = await ensureN8n();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const flatted = require(require.resolve('flatted', { paths: [path.join(dir, 'node_modules', 'n8n')] })) as { parse(s: string): any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const execution = await rest.execution(executionId);
  return flatted.parse(execution.data as string).resultData.runData;
}

async function post(route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${n8n.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const sentTo = (sb: Sandbox, user: string) => sb.messages.filter((m) => m.waId === user);
const textOf = (m: { body: Record<string, unknown> }) => (m.body.text as { body?: string } | undefined)?.body;

d('n8n example workflows (as shipped) in real n8n against the sandbox', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    const secrets = { accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken };
    sbA = await startSandbox({ ...secrets, phoneNumberId: '100000000000171', wabaId: '200000000000171', statusDelaysMs: { sent: 20, delivered: null, read: null } });
    sbS = await startSandbox({ ...secrets, phoneNumberId: '100000000000172', wabaId: '200000000000172', undeliverable: [UNDELIVERABLE], statusDelaysMs: { sent: 20, delivered: 60, read: 100 } });
    sbL = await startSandbox({ ...secrets, phoneNumberId: '100000000000173', wabaId: '200000000000173', undeliverable: [UNDELIVERABLE], statusDelaysMs: { sent: 20, delivered: 60, read: 100 } });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [credA, credS, credL] = await importCredentials(userFolder, [
      { name: 'WhatsApp A', type: 'whatsAppCloudApi', data: apiCredentialData(sbA) },
      { name: 'WhatsApp S', type: 'whatsAppCloudApi', data: apiCredentialData(sbS) },
      { name: 'WhatsApp L', type: 'whatsAppCloudApi', data: apiCredentialData(sbL) },
    ]);
    for (const key of Object.keys(EXAMPLES) as ExampleKey[]) {
      const credential =
        key === 'status' ? { id: credS!, name: 'WhatsApp S' } : key === 'ledger' ? { id: credL!, name: 'WhatsApp L' } : { id: credA!, name: 'WhatsApp A' };
      wf[key] = bindExample(loadExample(key), credential, { id: newN8nId() });
    }
    await importWorkflows(userFolder, Object.values(wf));
    // The schedule example runs once from the CLI (what its hourly trigger does), GREEN then YELLOW.
    health.green = await executeWorkflow(userFolder, wf.health.id!);
    await sbA.setQualityRating('YELLOW');
    health.yellow = await executeWorkflow(userFolder, wf.health.id!);

    n8n = await startN8n({ userFolder, readyTimeoutMs: 240_000 });
    rest = new N8nRest(n8n.url);
    await rest.login();
    for (const key of ['crm', 'reply', 'approval', 'status', 'health', 'ledger'] as const) await rest.activate(wf[key].id!);
    // Publishing the triggers registered their URLs with each number (override).
    await waitUntil(() => Boolean(sbA.webhookTarget && sbS.webhookTarget && sbL.webhookTarget), 30_000, 'the three triggers to register');
  }, 15 * 60_000);

  afterAll(async () => {
    await stopAll();
    await Promise.all([sbA?.close(), sbS?.close(), sbL?.close()]);
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('every example is valid JSON with a name, nodes and connections, and references the credential by name', () => {
    for (const key of Object.keys(EXAMPLES) as ExampleKey[]) {
      const raw = loadExample(key);
      expect(raw.name).toMatch(/^WhatsApp: /);
      for (const node of raw.nodes.filter((n) => n.type.startsWith('@wa-cloud/'))) {
        expect(node.credentials?.whatsAppCloudApi?.name).toBe('WhatsApp Cloud API account');
      }
      const names = new Set(raw.nodes.map((n) => n.name));
      for (const [from, outputs] of Object.entries(raw.connections)) {
        expect(names.has(from)).toBe(true);
        for (const targets of (outputs as { main: Array<Array<{ node: string }>> }).main) for (const t of targets) expect(names.has(t.node)).toBe(true);
      }
    }
  });

  it('CRM → template: order_update with name and order, the order as reference; the CRM gets the message ID', async () => {
    const res = await post(webhookPath(wf.crm, 'CRM: order shipped'), { phone: `+${ADA}`, name: 'Ada', order: '#1042' });
    expect(res.status).toBe(200);
    const sent = sentTo(sbA, ADA).filter((m) => m.type === 'template');
    expect(sent).toHaveLength(1);
    expect(res.json).toEqual({ messageId: sent[0]!.id, to: `+${ADA}`, reference: '#1042' });
    expect(sent[0]!.body).toMatchObject({
      biz_opaque_callback_data: '#1042',
      template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] }] },
    });
  }, 60_000);

  it('CRM → template: a bad phone number answers 422 with the field and what to do; nothing is sent', async () => {
    const before = sbA.messages.length;
    const res = await post(webhookPath(wf.crm, 'CRM: order shipped'), { phone: 'call me', name: 'Ada', order: '#1043' });
    expect(res.status).toBe(422);
    expect(res.json.error).toBe('validation_failed');
    expect(String(res.json.message)).toMatch(/^to: /);
    expect(String(res.json.hint)).toMatch(/Change "to"/);
    expect(sbA.messages.length).toBe(before);
  }, 60_000);

  it('reply: a text is answered in the window with a text that quotes it; a list choice is answered with the choice', async () => {
    const wamid = await sbA.inbound({ from: BEN, text: 'Where is my parcel?' }, { name: 'Ben' });
    await waitUntil(() => sentTo(sbA, BEN).length === 1, 30_000, 'the reply');
    const reply = sentTo(sbA, BEN)[0]!;
    expect(reply.type).toBe('text');
    expect(textOf(reply)).toBe('Hi Ben, you wrote: "Where is my parcel?". How can we help?');
    expect(reply.body.context).toEqual({ message_id: wamid });

    await sbA.inbound({ from: BEN, type: 'interactive', payload: { type: 'list_reply', list_reply: { id: 'track', title: 'Track my order' } } });
    await waitUntil(() => sentTo(sbA, BEN).length === 2, 30_000, 'the answer to the choice');
    expect(textOf(sentTo(sbA, BEN)[1]!)).toBe('You chose: Track my order');
  }, 90_000);

  it('follow-up: text inside the window; the hello_world template outside it', async () => {
    const inside = await post(webhookPath(wf.reply, 'Follow-up'), { phone: `+${BEN}`, text: 'Your parcel is at the door' });
    expect(inside.status).toBe(200);
    expect(inside.json.sentAs).toBe('text');
    const text = sentTo(sbA, BEN).find((m) => m.id === inside.json.messageId)!;
    expect(textOf(text)).toBe('Your parcel is at the door');

    const outside = await post(webhookPath(wf.reply, 'Follow-up'), { phone: `+${NEVER_WROTE}`, text: 'Your parcel is at the door' });
    expect(outside.status).toBe(200);
    expect(outside.json.sentAs).toBe('template hello_world');
    const sent = sentTo(sbA, NEVER_WROTE);
    expect(sent.map((m) => m.type)).toEqual(['template']);
    expect(sent[0]!.body).toMatchObject({ template: { name: 'hello_world', language: { code: 'en_US' } } });
  }, 60_000);

  it('approval: the question waits for the button; the answer resumes it (no reply started) and is confirmed', async () => {
    await sbA.inbound({ from: APPROVER, text: 'I am the approver' }, { name: 'Cleo' });
    await waitUntil(() => sentTo(sbA, APPROVER).length === 1, 30_000, 'the reply that opens the conversation');
    const res = await post(webhookPath(wf.approval, 'Approval request'), { phone: `+${APPROVER}`, request: 'Refund #1042 (35 EUR)' });
    expect(res.status).toBe(200);
    await waitUntil(() => sentTo(sbA, APPROVER).some((m) => m.type === 'interactive'), 30_000, 'the question');
    const question = sentTo(sbA, APPROVER).find((m) => m.type === 'interactive')!;
    const interactive = question.body.interactive as { body: { text: string }; action: { buttons: Array<{ reply: { id: string; title: string } }> } };
    expect(interactive.body.text).toBe('Please approve: Refund #1042 (35 EUR)');
    expect(interactive.action.buttons.map((b) => b.reply.title)).toEqual(['Approve', 'Reject']);
    await waitUntil(async () => (await rest.executions({ workflowId: wf.approval.id, status: ['waiting'] })).length === 1, 15_000, 'a waiting execution');

    const repliesBefore = (await rest.executions({ workflowId: wf.reply.id })).length;
    await sbA.inbound({ from: APPROVER, type: 'interactive', payload: { type: 'button_reply', button_reply: interactive.action.buttons[1]!.reply }, context: { id: question.id } });
    await waitUntil(() => sentTo(sbA, APPROVER).length === 3, 30_000, 'the confirmation');
    expect(textOf(sentTo(sbA, APPROVER)[2]!)).toBe('Rejected: Refund #1042 (35 EUR). We will let the team know.');
    await waitUntil(async () => (await rest.executions({ workflowId: wf.approval.id, status: ['waiting'] })).length === 0, 15_000, 'the execution to finish');
    expect((await rest.executions({ workflowId: wf.reply.id })).length).toBe(repliesBefore);
  }, 120_000);

  it('delivery status: sent, delivered and read with the reference; a failed send with the code and what to do', async () => {
    const graph = (body: unknown) =>
      fetch(`${sbS.url}/v25.0/${sbS.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sbS.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } }, ...(body as object) }),
      }).then((r) => r.json() as Promise<{ messages: Array<{ id: string }> }>);
    const ok = (await graph({ to: ADA, biz_opaque_callback_data: 'order-77' })).messages[0]!.id;
    const bad = (await graph({ to: UNDELIVERABLE, biz_opaque_callback_data: 'order-78' })).messages[0]!.id;

    const items: Array<{ node: string; json: Record<string, unknown> }> = [];
    await waitUntil(async () => {
      const done = (await rest.executions({ workflowId: wf.status.id })).filter((e) => e.status === 'success');
      if (done.length < 4) return false;
      items.length = 0;
      for (const e of done) {
        const data = await runData(e.id);
        for (const node of ['Delivery update', 'Delivery failed']) for (const item of data[node]?.[0]?.data.main[0] ?? []) items.push({ node, json: item.json });
      }
      return true;
    }, 60_000, 'four status executions');
    const updates = items.filter((i) => i.node === 'Delivery update').map((i) => i.json);
    expect(updates.map((u) => u.status).sort()).toEqual(['delivered', 'read', 'sent']);
    for (const u of updates) expect(u).toMatchObject({ messageId: ok, reference: 'order-77', recipient: ADA });
    const failed = items.filter((i) => i.node === 'Delivery failed').map((i) => i.json);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ messageId: bad, reference: 'order-78', recipient: UNDELIVERABLE, errorCode: 'graph_131026' });
    expect(String(failed[0]!.whatToDo).length).toBeGreaterThan(10);
  }, 120_000);

  it('account health: GREEN raises no alert; YELLOW raises one naming the rating and the advice', () => {
    // On failure the CLI's own output says why.
    expect({ code: health.green.code, output: health.green.code === 0 ? '' : health.green.output.slice(-3000) }).toEqual({ code: 0, output: '' });
    expect(nodeOutput(health.green.result, 'Account health')[0]).toMatchObject({ qualityRating: 'GREEN', ok: true, advice: [] });
    expect(nodeOutput(health.green.result, 'Alert')).toEqual([]);
    expect({ code: health.yellow.code, output: health.yellow.code === 0 ? '' : health.yellow.output.slice(-3000) }).toEqual({ code: 0, output: '' });
    const alert = nodeOutput(health.yellow.result, 'Alert');
    expect(alert).toHaveLength(1);
    expect(String(alert[0]!.alert)).toMatch(/quality YELLOW/);
    expect(String(alert[0]!.alert)).toMatch(/qualityRating = YELLOW: /);
    // The health check read the number from the sandbox (the far side), twice.
    expect(sbA.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${sbA.phoneNumberId}`)).length).toBeGreaterThanOrEqual(2);
  });
  it('CRM delivery ledger: only the failed status starts an execution, with the order and the error; Get Status by reference answers read', async () => {
    const shipped = await post(webhookPath(wf.ledger, 'CRM: order shipped'), { phone: `+${ADA}`, name: 'Ada', order: '#2001' });
    expect(shipped.status).toBe(200);
    expect(shipped.json).toMatchObject({ reference: '#2001', messageId: expect.stringMatching(/^wamid\./) });
    const failedSend = await post(webhookPath(wf.ledger, 'CRM: order shipped'), { phone: `+${UNDELIVERABLE}`, name: 'Zed', order: '#2002' });
    expect(failedSend.status).toBe(200);
    expect(sbL.messages.map((m) => m.body.biz_opaque_callback_data)).toEqual(['#2001', '#2002']);

    // The sandbox user reads #2001; every status webhook was answered 200.
    await waitUntil(() => sbL.messages[0]!.statuses.some((s) => s.status === 'read') && sbL.messages[1]!.statuses.some((s) => s.status === 'failed'), 30_000, 'read and failed');
    await waitUntil(() => sbL.webhookDeliveries.filter((d) => d.status === 200).length >= 4, 30_000, 'four status webhooks answered');
    expect(sbL.webhookDeliveries.every((d) => d.status === 200)).toBe(true);

    const status = async () => {
      const res = await fetch(`${n8n.url}${webhookPath(wf.ledger, 'CRM: order status?')}?order=${encodeURIComponent('#2001')}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await waitUntil(async () => (await status()).status === 'read', 30_000, 'Get Status to answer read');
    expect(await status()).toMatchObject({ found: true, messageId: sbL.messages[0]!.id, status: 'read', reference: '#2001', recipient: `+${ADA}`, template: { name: 'order_update', language: 'en' } });

    // The failed status started one execution carrying its send; sent, delivered and read started none.
    let failed: Record<string, unknown> | undefined;
    await waitUntil(async () => {
      for (const e of (await rest.executions({ workflowId: wf.ledger.id })).filter((x) => x.status === 'success')) {
        const item = (await runData(e.id))['CRM update: message failed']?.[0]?.data.main[0]?.[0];
        if (item) failed = item.json;
      }
      return failed !== undefined;
    }, 30_000, 'the failed-status execution');
    expect(failed).toEqual({ order: '#2002', status: 'whatsapp_failed', errorCode: 'graph_131026', whatToDo: expect.stringMatching(/.{10,}/), template: 'order_update' });
    const all = await rest.executions({ workflowId: wf.ledger.id });
    // Two CRM posts, the status questions asked above, and ONE status execution.
    const withStatus = [];
    for (const e of all) if ((await runData(e.id))['WhatsApp Trigger']) withStatus.push(e.id);
    expect(withStatus).toHaveLength(1);
  }, 120_000);
});
