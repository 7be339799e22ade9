/**
 * The embedded state store in REAL n8n 2.41.1 (regular mode, Node 24, node:sqlite), default
 * settings, no Redis: the trigger hears a user, an opt-out and a 131026 failure; n8n is killed with
 * SIGKILL and started again on the same user folder; then
 *  - a text reply to the user who wrote is sent (the window is still open);
 *  - a MARKETING template to the user who opted out is refused before any request;
 *  - a template to the 131026-suppressed recipient is refused;
 *  - Meta's redelivery of a webhook answered before the kill starts no second execution;
 *  - the user's button answer to a Send and Wait question asked before the kill resumes the
 *    execution n8n kept waiting (the question is in the file, not in the killed process).
 * Then the file is overwritten with garbage and n8n restarted: n8n's log names the file and says
 * state is kept in memory, and the trigger still answers webhooks and starts executions.
 * The file is `<N8N_USER_FOLDER>/.n8n/wa-cloud/state.sqlite`, mode 0600.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import { apiCredentialData, N8nRest, nodeId, packPackage, SECRETS, triggerNode, waitUntil, waNode, webhookNode, type Cred } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const USER = '15557400001';
const OPTED_OUT = '15557400002';
const SUPPRESSED = '15557400003';

d('n8n 2.41.1: the embedded state store survives SIGKILL', () => {
  let userFolder: string;
  let packDir: string;
  let sandbox: Sandbox;
  let n8n: N8nInstance;
  let rest: N8nRest;
  const wf = { triggers: '', sends: '', ask: '' };
  const hook = nodeId();
  const triggerUrl = () => `${n8n.url}/webhook/${hook}/whatsapp`;

  const start = async () => {
    // The same port, like a real restart: n8n's resume URLs (Send and Wait) name it.
    n8n = await startN8n({ userFolder, port: n8n.port });
    rest = new N8nRest(n8n.url);
    await rest.login();
    await waitUntil(async () => (await fetch(`${triggerUrl()}?hub.mode=subscribe`)).status !== 404, 60_000, 'the trigger to be served');
    sandbox.setWebhookUrl(triggerUrl());
  };
  const send = async (pathName: string, to: string) => {
    const res = await fetch(`${n8n.url}/webhook/${pathName}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: `+${to}` }) });
    return { status: res.status, body: await res.text() };
  };
  const triggerRuns = async () => (await rest.executions({ workflowId: wf.triggers })).length;

  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sandbox = await startSandbox({ accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken, undeliverable: [SUPPRESSED], statusDelaysMs: { sent: 20, delivered: null, read: null } });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [apiId] = await importCredentials(userFolder, [{ name: 'WhatsApp', type: 'whatsAppCloudApi', data: apiCredentialData(sandbox) }]);
    const cred: Cred = { id: apiId!, name: 'WhatsApp' };
    // No "sharedStore" parameter anywhere: the default.
    wf.triggers = await importWorkflow(userFolder, {
      name: 'e2e state trigger',
      nodes: [triggerNode('Trigger', cred, hook, { registration: 'verifyOnly', events: ['messages', 'statuses', 'userPreferences'], statuses: ['failed'] })],
      connections: {},
    });
    const sendNodes = [
      ['state-text', waNode('Text', cred, { resource: 'message', operation: 'sendText', to: '={{ $json.body.to }}', text: 'the reply after the restart', options: {} }, { onError: 'continueRegularOutput' })],
      ['state-sale', waNode('Sale', cred, { resource: 'message', operation: 'sendTemplate', to: '={{ $json.body.to }}', templateName: { __rl: true, mode: 'name', value: 'spring_sale' }, languageCode: 'en', templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': '20%', 'button-0': 'spring' }, matchingColumns: [], schema: [] }, options: {} }, { onError: 'continueRegularOutput' })],
      ['state-hello', waNode('Hello', cred, { resource: 'message', operation: 'sendTemplate', to: '={{ $json.body.to }}', templateName: { __rl: true, mode: 'name', value: 'hello_world' }, languageCode: 'en_US', options: {} }, { onError: 'continueRegularOutput' })],
    ] as const;
    wf.sends = await importWorkflow(userFolder, {
      name: 'e2e state sends',
      nodes: sendNodes.flatMap(([p, node], i) => [{ ...webhookNode(`Hook ${p}`, p, 'lastNode'), position: [0, 200 * i] }, { ...node, position: [300, 200 * i] }]),
      connections: Object.fromEntries(sendNodes.map(([p, node]) => [`Hook ${p}`, { main: [[{ node: node.name, type: 'main', index: 0 }]] }])),
    });
    wf.ask = await importWorkflow(userFolder, {
      name: 'e2e state ask',
      nodes: [
        { ...webhookNode('Hook ask', 'state-ask'), position: [0, 0] },
        { ...waNode('Ask', cred, { resource: 'message', operation: 'sendAndWait', to: '={{ $json.body.to }}', message: 'Still want the blue one?', answers: { answer: [{ title: 'Yes', value: 'yes' }, { title: 'No', value: 'no' }] }, options: {} }), position: [300, 0] },
      ],
      connections: { 'Hook ask': { main: [[{ node: 'Ask', type: 'main', index: 0 }]] } },
    });
    n8n = await startN8n({ userFolder });
    rest = new N8nRest(n8n.url);
    await rest.login();
    await rest.activate(wf.triggers);
    await rest.activate(wf.sends);
    await rest.activate(wf.ask);
    await waitUntil(async () => (await fetch(`${triggerUrl()}?hub.mode=subscribe`)).status !== 404, 60_000, 'the trigger to be served');
    sandbox.setWebhookUrl(triggerUrl());
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('window, opt-out, suppression and seen webhooks survive SIGKILL and a restart', async () => {
    const wamid = await sandbox.inbound({ from: USER, text: 'hello before the crash' });
    expect(sandbox.webhookDeliveries.at(-1)!.status).toBe(200);
    await waitUntil(async () => (await triggerRuns()) >= 1, 30_000, 'the message execution');
    expect(await sandbox.setMarketingPreference(OPTED_OUT, 'stop')).toBe(200);
    expect((await send('state-hello', SUPPRESSED)).status).toBe(200);
    await waitUntil(() => sandbox.webhookDeliveries.some((w) => w.body.includes('131026') && w.status === 200), 30_000, 'the 131026 status webhook answered');
    const file = path.join(userFolder, '.n8n', 'wa-cloud', 'state.sqlite');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // A Send and Wait question to the user who wrote; its execution waits.
    expect((await send('state-ask', USER)).status).toBe(200);
    await waitUntil(() => sandbox.messages.some((m) => m.to.endsWith(USER) && m.type === 'interactive'), 30_000, 'the question');
    const question = sandbox.messages.find((m) => m.to.endsWith(USER) && m.type === 'interactive')!;
    const buttons = (question.body as { interactive: { action: { buttons: Array<{ reply: { id: string; title: string } }> } } }).interactive.action.buttons;
    await waitUntil(async () => (await rest.executions({ workflowId: wf.ask, status: ['waiting'] })).length === 1, 30_000, 'a waiting execution');
    const runsBefore = await triggerRuns();

    process.kill(-n8n.process.pid, 'SIGKILL');
    await n8n.process.exited;
    await start();
    expect(n8n.logs()).not.toMatch(/state store file .* cannot be/);

    const before = sandbox.messages.length;
    const reply = await send('state-text', USER);
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('messageId');
    expect(sandbox.messages.slice(before).filter((m) => m.to.replace(/\D/g, '') === USER && m.type === 'text')).toHaveLength(1);
    const sale = await send('state-sale', OPTED_OUT);
    expect(sale.body).toContain('marketing_opted_out');
    const hello = await send('state-hello', SUPPRESSED);
    expect(hello.body).toContain('recipient_suppressed');
    expect(sandbox.messages.slice(before).filter((m) => [OPTED_OUT, SUPPRESSED].includes(m.to.replace(/\D/g, '')))).toEqual([]);

    // Meta redelivers the message webhook answered before the kill: 200, and no execution.
    const first = sandbox.webhookDeliveries.find((w) => w.body.includes(wamid))!;
    const res = await fetch(triggerUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': first.signature }, body: first.body });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await triggerRuns()).toBe(runsBefore);

    // The answer to the question asked before the kill resumes that execution, and it finishes.
    expect((await rest.executions({ workflowId: wf.ask, status: ['waiting'] })).length).toBe(1);
    await sandbox.inbound({ from: USER, type: 'interactive', payload: { type: 'button_reply', button_reply: buttons[0]!.reply }, context: { id: question.id } });
    await waitUntil(async () => (await rest.executions({ workflowId: wf.ask, status: ['success'] })).length === 1, 30_000, 'the waiting execution to resume and finish');
    expect((await rest.executions({ workflowId: wf.ask })).map((run) => run.status)).toEqual(['success']);
  }, 300_000);

  it('a corrupt store file: the log names the file, the trigger still answers webhooks and starts executions, sends still go', async () => {
    await n8n.stop();
    const file = path.join(userFolder, '.n8n', 'wa-cloud', 'state.sqlite');
    fs.writeFileSync(file, crypto.randomBytes(16384));
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    await start();
    const runsBefore = await triggerRuns();
    await sandbox.inbound({ from: USER, text: 'after the corruption' });
    expect(sandbox.webhookDeliveries.at(-1)!.status).toBe(200);
    await waitUntil(async () => (await triggerRuns()) > runsBefore, 30_000, 'the message execution');
    // Logged when the trigger first opens the store (n8n restores a published webhook trigger
    // without running its activation methods, so that is the first webhook).
    await waitUntil(() => n8n.logs().includes(file), 10_000, 'the file named in the log');
    expect(n8n.logs()).toMatch(/kept in memory/);
    // Once per process, though the trigger and the send node each bundle the code that logs it.
    const logged = () => n8n.logs().split('\n').filter((line) => line.startsWith('WhatsApp Cloud: The state store file')).length;
    expect((await rest.executions({ workflowId: wf.triggers })).map((run) => run.status)).not.toContain('error');
    // The window the message opened lives in memory now: the reply goes out.
    const before = sandbox.messages.length;
    const reply = await send('state-text', USER);
    expect(reply.status).toBe(200);
    expect(sandbox.messages.slice(before).filter((m) => m.to.replace(/\D/g, '') === USER && m.type === 'text')).toHaveLength(1);
    expect(logged()).toBe(1);
  }, 300_000);
});
