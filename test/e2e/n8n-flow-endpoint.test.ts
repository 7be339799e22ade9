/**
 * WhatsApp Flows end to end in REAL n8n 2.41.1 (Node 24), the packed package installed like a user
 * install, running the package's example workflow (examples/whatsapp-flow-endpoint.json). The test plays WhatsApp: it makes an RSA key pair (the private half passphrase-protected,
 * in the credentials), encrypts `data_exchange` requests exactly as Meta documents, posts them to the
 * published WhatsApp Flow Endpoint Trigger and decrypts the answers: the workflow's next screen, then
 * its completion. A `ping` is answered without running the workflow, a request for another key gets
 * 421, a bad signature 432. Flow management (preview URL, publish, the trigger registering itself as
 * a Flow's endpoint_uri) goes to the sandbox.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import {
  executeWorkflow,
  importCredentials,
  importWorkflow,
  installCommunityPackage,
  makeN8nUserFolder,
  nodeOutput,
  publishWorkflow,
  startN8n,
  type N8nInstance,
} from '../harness/n8n';
import { run, stopAll } from '../harness/processes';
import { bindExample, type ExampleWorkflow } from '../harness/n8n-examples';
import { ensureN8n, npmEnv, REPO_ROOT } from '../harness/runtimes';
import { encryptFlowCall, flowKeyPair } from '../support/meta-flow-client';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const PKG_DIR = path.join(REPO_ROOT, 'packages', 'n8n-nodes-whatsapp-cloud');
const PKG = '@wa-cloud/n8n-nodes-whatsapp-cloud';
const PASSPHRASE = 'e2e flow passphrase';
const keys = flowKeyPair(PASSPHRASE);
const webhookId = 'f1f2f3f4-0000-4000-8000-0000000f10e0';

let sandbox: Sandbox;
let userFolder: string;
let tmp: string;
let n8n: N8nInstance;
let url: string;
let collector: http.Server;
const collected: Array<Record<string, unknown>> = [];

const node = (name: string, type: string, parameters: Record<string, unknown>, position: [number, number], extra: Record<string, unknown> = {}) => ({
  id: `a${Math.random().toString(16).slice(2, 10)}-0000-4000-8000-000000000000`,
  name,
  type,
  typeVersion: type === 'n8n-nodes-base.code' ? 2 : type === 'n8n-nodes-base.httpRequest' ? 4.2 : 1,
  position,
  parameters,
  ...extra,
});


async function post(body: Buffer, signature: string): Promise<Response> {
  return await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
}

d('WhatsApp Flow Endpoint in real n8n 2.41.1', () => {
  beforeAll(async () => {
    await ensureN8n();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-flow-'));
    if (!fs.existsSync(path.join(PKG_DIR, 'dist', 'nodes', 'WhatsAppFlowEndpointTrigger', 'WhatsAppFlowEndpointTrigger.node.js'))) {
      throw new Error('packages/n8n-nodes-whatsapp-cloud is not built: run npm run build first');
    }
    await run('npm', ['pack', '--pack-destination', tmp], { cwd: PKG_DIR, env: npmEnv() });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no tarball');
    sandbox = await startSandbox({});
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, path.join(tmp, tgz));
    const [id] = await importCredentials(userFolder, [
      {
        name: 'WhatsApp flows',
        type: 'whatsAppCloudApi',
        data: {
          accessToken: sandbox.accessToken,
          phoneNumberId: sandbox.phoneNumberId,
          wabaId: sandbox.wabaId,
          appSecret: sandbox.appSecret,
          verifyToken: 'unused',
          flowPrivateKey: keys.privateKeyPem,
          flowPrivateKeyPassphrase: PASSPHRASE,
          apiVersion: 'v25.0',
          baseUrl: sandbox.url,
        },
      },
    ]);
    const credential = { whatsAppCloudApi: { id: id!, name: 'WhatsApp flows' } };

    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        collected.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}/`;

    // Flow management first, one-shot (the server is not running yet): preview, then publish.
    const manage = await importWorkflow(userFolder, {
      name: 'e2e flow management',
      nodes: [
        node('Start', 'n8n-nodes-base.manualTrigger', {}, [0, 0]),
        node('Preview', `${PKG}.whatsAppCloud`, { resource: 'flow', operation: 'getPreview', flowId: '400000000000002' }, [200, 0], { credentials: credential }),
        node('Publish', `${PKG}.whatsAppCloud`, { resource: 'flow', operation: 'publish', flowId: '400000000000002' }, [400, 0], { credentials: credential }),
        node('List', `${PKG}.whatsAppCloud`, { resource: 'flow', operation: 'list' }, [600, 0], { credentials: credential }),
      ],
      connections: {
        Start: { main: [[{ node: 'Preview', type: 'main', index: 0 }]] },
        Preview: { main: [[{ node: 'Publish', type: 'main', index: 0 }]] },
        Publish: { main: [[{ node: 'List', type: 'main', index: 0 }]] },
      },
    });
    const managed = await executeWorkflow(userFolder, manage, { timeoutMs: 180_000 });
    (globalThis as Record<string, unknown>).__flowManagement = managed;

    // The shipped example, bound to the credential, registering itself as a Flow's endpoint, and with
    // one node appended after the answer: it reports what was answered (the test counts runs).
    const example = bindExample(
      JSON.parse(fs.readFileSync(path.join(PKG_DIR, 'examples', 'whatsapp-flow-endpoint.json'), 'utf8')) as ExampleWorkflow,
      credential.whatsAppCloudApi,
      { name: 'e2e flow endpoint' },
    );
    const trigger = example.nodes.find((n) => n.type === `${PKG}.whatsAppFlowEndpointTrigger`)!;
    trigger.webhookId = webhookId;
    trigger.parameters.flowId = '400000000000001';
    const answer = example.nodes.find((n) => n.parameters.operation === 'respond')!;
    example.nodes.push(
      node(
        'Report',
        'n8n-nodes-base.httpRequest',
        { method: 'POST', url: collectorUrl, sendBody: true, specifyBody: 'json', jsonBody: `={{ JSON.stringify({ answered: $json.flowResponse, request: $("${trigger.name}").first().json }) }}`, options: {} },
        [700, 0],
      ) as never,
    );
    example.connections[answer.name] = { main: [[{ node: 'Report', type: 'main', index: 0 }]] };
    const endpoint = await importWorkflow(userFolder, example);
    await publishWorkflow(userFolder, endpoint);
    n8n = await startN8n({ userFolder, env: process.env.E2E_N8N_DEBUG ? { N8N_LOG_LEVEL: 'debug' } : {} });
    url = `${n8n.url}/webhook/${webhookId}/whatsapp-flow`;
    const deadline = Date.now() + 60_000;
    while ((await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status === 404) {
      if (Date.now() > deadline) throw new Error(`flow endpoint never registered. n8n logs:\n${n8n.logs().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await sandbox?.close();
    await new Promise<void>((r) => (collector ? collector.close(() => r()) : r()));
    if (userFolder && !process.env.E2E_KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('Flow management: the preview URL and the publish reach the sandbox; the list shows the Flow published', () => {
    const managed = (globalThis as Record<string, unknown>).__flowManagement as { code: number; result: unknown; output: string };
    expect(managed.code).toBe(0);
    const [preview] = nodeOutput(managed.result, 'Preview');
    expect(preview).toMatchObject({ flowId: '400000000000002', previewUrl: expect.stringContaining('/flows/400000000000002/preview') });
    expect(sandbox.requests.some((r) => r.method === 'POST' && r.path.endsWith('/400000000000002/publish'))).toBe(true);
    expect(sandbox.flows.find((f) => f.id === '400000000000002')!.status).toBe('PUBLISHED');
    const listed = nodeOutput(managed.result, 'List');
    expect(listed.map((f) => [f.name, f.status])).toContainEqual(['lead_form', 'PUBLISHED']);
  });

  it('publishing the workflow made its URL the endpoint of the chosen Flow (endpoint_uri in the sandbox)', async () => {
    // n8n may route the webhook a moment before the activation hook's call to Meta has been answered.
    await sandbox.waitFor(() => sandbox.flows.find((f) => f.id === '400000000000001')?.endpoint_uri === url, 30_000).catch(() => undefined);
    expect(sandbox.flows.find((f) => f.id === '400000000000001')!.endpoint_uri).toBe(url);
    expect(sandbox.requests.some((r) => r.method === 'POST' && r.path.endsWith('/400000000000001') && (r.body as Record<string, unknown>).endpoint_uri === url)).toBe(true);
  });

  it('answers INIT and data_exchange with the screens the workflow chose, encrypted for WhatsApp', async () => {
    const init = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: 'ft-1' }, keys.publicKeyPem, sandbox.appSecret);
    const first = await post(init.raw, init.signature);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await init.decryptResponse(await first.text())).toEqual({ screen: 'DATE', data: { minDate: '2026-12-01' } });

    const exchange = await encryptFlowCall(
      { version: '3.0', action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-05' }, flow_token: 'ft-1' },
      keys.publicKeyPem,
      sandbox.appSecret,
    );
    const second = await post(exchange.raw, exchange.signature);
    expect(second.status).toBe(200);
    expect(await exchange.decryptResponse(await second.text())).toEqual({ screen: 'TIME', data: { date: '2026-12-05', slots: ['2026-12-05 09:00', '2026-12-05 10:30'] } });

    const finish = await encryptFlowCall({ version: '3.0', action: 'data_exchange', screen: 'TIME', data: { slot: '09:00' }, flow_token: 'ft-1' }, keys.publicKeyPem, sandbox.appSecret);
    const third = await post(finish.raw, finish.signature);
    expect(await finish.decryptResponse(await third.text())).toEqual({ screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: 'ft-1', booking: 'B-09:00' } } } });

    // The workflow went on after answering; it saw the decrypted request, never the AES key.
    const deadline = Date.now() + 30_000;
    while (collected.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(collected.map((c) => (c.request as Record<string, unknown>).action)).toEqual(['INIT', 'data_exchange', 'data_exchange']);
    expect(collected[1]!.request).toMatchObject({ screen: 'DATE', data: { date: '2026-12-05' }, flowToken: 'ft-1', flowSession: { encryptedAesKey: exchange.body.encrypted_aes_key } });
    expect(JSON.stringify(collected)).not.toContain(PASSPHRASE);
  }, 120_000);

  it('answers ping with {data:{status:"active"}} without running the workflow', async () => {
    const before = collected.length;
    const ping = await encryptFlowCall({ version: '3.0', action: 'ping' }, keys.publicKeyPem, sandbox.appSecret);
    const res = await post(ping.raw, ping.signature);
    expect(res.status).toBe(200);
    expect(await ping.decryptResponse(await res.text())).toEqual({ data: { status: 'active' } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(collected.length).toBe(before);
  });

  it('answers 421 to a request encrypted for another key, 432 to a bad signature; neither runs the workflow', async () => {
    const before = collected.length;
    const other = flowKeyPair();
    const stale = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: 'ft-2' }, other.publicKeyPem, sandbox.appSecret);
    expect((await post(stale.raw, stale.signature)).status).toBe(421);
    const forged = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: 'ft-3' }, keys.publicKeyPem, 'not-the-app-secret');
    expect((await post(forged.raw, forged.signature)).status).toBe(432);
    await new Promise((r) => setTimeout(r, 1500));
    expect(collected.length).toBe(before);
    expect(n8n.logs()).not.toContain(keys.privateKeyPem.split('\n')[2]);
  });
});
