/**
 * The packed n8n package inside REAL n8n 2.41.1 (Node 24), against the sandbox (a local Graph API
 * emulator): installed from the `npm pack` tarball into ~/.n8n/nodes exactly like a user install.
 * Proves: (1) 300 template sends all accepted, paced under the sandbox's cap, none failed, and 120
 * with the node at the sandbox's own cap, each delivered once at ≥ 0.95 of it (the sandbox counts
 * the cap in any sliding second, the strict reading);
 * (2) a free-form send without a window is blocked with the hint, or falls back to a template;
 * (3) the published trigger answers the GET challenge (verify-only mode), rejects
 * a bad signature with 401 and turns a signed batch into one item per event; (4) media download
 * lands as binary. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, signBody, type Sandbox } from '../../packages/sandbox/src';
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
import { ensureN8n, npmEnv, REPO_ROOT } from '../harness/runtimes';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const PKG_DIR = path.join(REPO_ROOT, 'packages', 'n8n-nodes-whatsapp-cloud');
const PKG = '@wa-cloud/n8n-nodes-whatsapp-cloud';
const ACTION = `${PKG}.whatsAppCloud`;
const TRIGGER = `${PKG}.whatsAppCloudTrigger`;
const SANDBOX_THROUGHPUT = 50;
const NODE_THROUGHPUT = 40;
const VERIFY_TOKEN = 'e2e-verify-token';

let sandbox: Sandbox;
let userFolder: string;
let credential: { id: string; name: string };
let tmp: string;

const manual = { id: 'a0000000-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

function codeNode(name: string, js: string, position: [number, number] = [200, 0]) {
  return { id: `c${Math.random().toString(16).slice(2, 10)}-0000-4000-8000-000000000000`, name, type: 'n8n-nodes-base.code', typeVersion: 2, position, parameters: { jsCode: js } };
}

function waNode(name: string, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}, position: [number, number] = [400, 0]) {
  return {
    id: `d${Math.random().toString(16).slice(2, 10)}-0000-4000-8000-000000000000`,
    name,
    type: ACTION,
    typeVersion: 1,
    position,
    parameters,
    credentials: { whatsAppCloudApi: credential },
    ...extra,
  };
}

const chain = (...names: string[]) =>
  Object.fromEntries(names.slice(0, -1).map((n, i) => [n, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]));

d('n8n nodes in real n8n 2.41.1 against the sandbox', () => {
  beforeAll(async () => {
    await ensureN8n();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-pack-'));
    if (!fs.existsSync(path.join(PKG_DIR, 'dist', 'nodes', 'WhatsAppCloud', 'WhatsAppCloud.node.js'))) {
      await run('node', ['scripts/bundle.mjs'], { cwd: PKG_DIR });
    }
    await run('npm', ['pack', '--pack-destination', tmp], { cwd: PKG_DIR, env: npmEnv() });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no tarball');
    // The strict reading of the cap: no more than SANDBOX_THROUGHPUT in any sliding second.
    sandbox = await startSandbox({ throughput: SANDBOX_THROUGHPUT, throughputMode: 'sliding', statusDelaysMs: { sent: 20, delivered: null, read: null } });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, path.join(tmp, tgz));
    const [id] = await importCredentials(userFolder, [
      {
        name: 'WhatsApp sandbox',
        type: 'whatsAppCloudApi',
        data: {
          accessToken: sandbox.accessToken,
          phoneNumberId: sandbox.phoneNumberId,
          wabaId: sandbox.wabaId,
          appSecret: sandbox.appSecret,
          verifyToken: VERIFY_TOKEN,
          apiVersion: 'v25.0',
          baseUrl: sandbox.url,
        },
      },
    ]);
    credential = { id: id!, name: 'WhatsApp sandbox' };
  }, 20 * 60_000);

  afterAll(async () => {
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the tarball has no runtime dependencies and ships self-contained nodes with icons and codex files', () => {
    const installed = path.join(userFolder, '.n8n', 'nodes', 'node_modules', ...PKG.split('/'));
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const file of [
      'dist/nodes/WhatsAppCloud/WhatsAppCloud.node.js',
      'dist/nodes/WhatsAppCloud/WhatsAppCloud.node.json',
      'dist/nodes/WhatsAppCloud/whatsapp-cloud.svg',
      'dist/nodes/WhatsAppCloud/whatsapp-cloud.dark.svg',
      'dist/nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node.js',
      'dist/nodes/WhatsAppCloudHighVolumeTrigger/WhatsAppCloudHighVolumeTrigger.node.js',
      'dist/nodes/WhatsAppCloudHighVolumeTrigger/whatsapp-cloud.svg',
      'dist/credentials/WhatsAppCloudApi.credentials.js',
    ]) {
      expect(fs.existsSync(path.join(installed, file))).toBe(true);
    }
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
  });

  it('sends 300 templates, all accepted, paced under the sandbox cap, none failed', async () => {
    const id = await importWorkflow(userFolder, {
      name: 'e2e 300 templates',
      nodes: [
        manual,
        codeNode('Recipients', "return Array.from({ length: 300 }, (_, i) => ({ json: { to: '+1555' + String(2000000 + i), name: 'User ' + i, order: 'A-' + i } }));"),
        waNode('Send Template', {
          resource: 'message',
          operation: 'sendTemplate',
          to: '={{ $json.to }}',
          templateName: { __rl: true, mode: 'name', value: 'order_update' },
          languageCode: 'en',
          templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': '={{ $json.name }}', 'body-2': '={{ $json.order }}' }, matchingColumns: [], schema: [] },
          options: { throughput: NODE_THROUGHPUT },
        }),
      ],
      connections: chain('Start', 'Recipients', 'Send Template'),
    });
    const before = sandbox.requests.length;
    const res = await executeWorkflow(userFolder, id, { timeoutMs: 240_000 });
    expect(res.code).toBe(0);
    const out = nodeOutput(res.result, 'Send Template');
    expect(out).toHaveLength(300);
    expect(out.every((o) => typeof o.messageId === 'string' && !o.error)).toBe(true);
    expect(new Set(out.map((o) => o.messageId)).size).toBe(300);

    const sends = sandbox.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    expect(sends).toHaveLength(300); // none re-sent, none retried
    expect(sends.every((r) => r.status === 200)).toBe(true);
    const templates = sandbox.messages.filter((m) => m.type === 'template');
    expect(templates.length).toBeGreaterThanOrEqual(300);
    const body = templates[templates.length - 1]!.body as { template: { components: Array<{ parameters: Array<{ text: string }> }> } };
    expect(body.template.components[0]!.parameters.map((p) => p.text)).toEqual(['User 299', 'A-299']);
    // Paced: never more than the sandbox's per-second cap in any one-second window.
    const times = sends.map((r) => r.at).sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    expect(peak).toBeLessThanOrEqual(SANDBOX_THROUGHPUT);
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(((300 - NODE_THROUGHPUT) / NODE_THROUGHPUT) * 1000 * 0.8);
  }, 300_000);

  it('a carousel template with 3 cards from the resource mapper reaches the sandbox with every card\'s header and button', async () => {
    const value: Record<string, string> = { 'body-1': 'Ada', 'body-2': 'SPRING' };
    for (const n of [0, 1, 2]) {
      value[`card-${n}-header`] = `https://cdn.example.com/n8n-${n}.jpg`;
      value[`card-${n}-body-1`] = `plant ${n}`;
      value[`card-${n}-button-0`] = `more-${n}`;
      value[`card-${n}-button-1`] = `sku-${n}`;
    }
    const to = '+15557770101';
    const id = await importWorkflow(userFolder, {
      name: 'e2e carousel',
      nodes: [
        manual,
        waNode('Send Carousel', {
          resource: 'message',
          operation: 'sendTemplate',
          to,
          templateName: { __rl: true, mode: 'name', value: 'succulent_carousel' },
          languageCode: 'en_US',
          templateParameters: { mappingMode: 'defineBelow', value, matchingColumns: [], schema: [] },
        }),
      ],
      connections: chain('Start', 'Send Carousel'),
    });
    const res = await executeWorkflow(userFolder, id, { timeoutMs: 120_000 });
    expect(res.code).toBe(0);
    const [out] = nodeOutput(res.result, 'Send Carousel');
    const sent = sandbox.messages.find((m) => m.id === out!.messageId)!.body as { template: { components: Array<{ type: string; cards?: Array<{ card_index: number; components: unknown[] }> }> } };
    const carousel = sent.template.components.find((c) => c.type === 'carousel')!;
    expect(carousel.cards!.map((c) => c.card_index)).toEqual([0, 1, 2]);
    carousel.cards!.forEach((card, n) => {
      expect(card.components).toContainEqual({ type: 'header', parameters: [{ type: 'image', image: { link: `https://cdn.example.com/n8n-${n}.jpg` } }] });
      expect(card.components).toContainEqual({ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `sku-${n}` }] });
    });
  }, 180_000);

  it('sends 120 templates with the node set to the sandbox\'s own cap (sliding reading): each delivered once, at least 0.95 of the cap', async () => {
    const count = 120;
    const id = await importWorkflow(userFolder, {
      name: 'e2e 120 templates at the cap',
      nodes: [
        manual,
        codeNode('Recipients', `return Array.from({ length: ${count} }, (_, i) => ({ json: { to: '+1555' + String(2500000 + i), name: 'User ' + i, order: 'C-' + i } }));`),
        waNode('Send Template', {
          resource: 'message',
          operation: 'sendTemplate',
          to: '={{ $json.to }}',
          templateName: { __rl: true, mode: 'name', value: 'order_update' },
          languageCode: 'en',
          templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': '={{ $json.name }}', 'body-2': '={{ $json.order }}' }, matchingColumns: [], schema: [] },
          options: { throughput: SANDBOX_THROUGHPUT },
        }),
      ],
      connections: chain('Start', 'Recipients', 'Send Template'),
    });
    const before = { requests: sandbox.requests.length, messages: sandbox.messages.length };
    const res = await executeWorkflow(userFolder, id, { timeoutMs: 240_000 });
    expect(res.code).toBe(0);
    const out = nodeOutput(res.result, 'Send Template');
    expect(out).toHaveLength(count);
    expect(out.every((o) => typeof o.messageId === 'string' && !o.error)).toBe(true);
    // Delivered once each: one accepted message per recipient at the far side.
    const accepted = sandbox.messages.slice(before.messages).filter((m) => m.type === 'template');
    expect(accepted).toHaveLength(count);
    expect(new Set(accepted.map((m) => m.to)).size).toBe(count);
    const ok = sandbox.requests.slice(before.requests).filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && r.status === 200);
    const times = ok.map((r) => r.at).sort((a, b) => a - b);
    const rate = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
    const refused = sandbox.requests.slice(before.requests).filter((r) => r.errorCode === 130429);
    const seen = `${Math.round(rate * 10) / 10}/s at a cap of ${SANDBOX_THROUGHPUT}, ${refused.length} × 130429 (at ${refused.map((r) => r.at - times[0]!).join(', ')} ms), first to last ${Math.round(times[times.length - 1]! - times[0]!)} ms`;
    // At most the cap within 2 % (first-to-last over 120 sends is not a sliding second; as redis-scale-out).
    expect({ seen, atLeast95: rate >= 0.95 * SANDBOX_THROUGHPUT, atMostCap: rate <= SANDBOX_THROUGHPUT * 1.02 }).toEqual({ seen, atLeast95: true, atMostCap: true });
  }, 300_000);

  it('blocks a free-form send without a window with the hint, or falls back to the template', async () => {
    const to = '+15557770001';
    const id = await importWorkflow(userFolder, {
      name: 'e2e window',
      nodes: [
        manual,
        waNode('Blocked Text', { resource: 'message', operation: 'sendText', to, text: 'Hello there', options: {} }, { onError: 'continueRegularOutput' }, [300, -100]),
        waNode(
          'Fallback Text',
          {
            resource: 'message',
            operation: 'sendText',
            to,
            text: 'Hello there',
            options: { windowPolicy: 'fallbackTemplate', fallbackTemplateName: 'hello_world', fallbackTemplateLanguage: 'en_US' },
          },
          {},
          [300, 100],
        ),
      ],
      connections: { Start: { main: [[{ node: 'Blocked Text', type: 'main', index: 0 }, { node: 'Fallback Text', type: 'main', index: 0 }]] } },
    });
    const before = sandbox.messages.length;
    const res = await executeWorkflow(userFolder, id);
    expect(res.code).toBe(0);
    const [blocked] = nodeOutput(res.result, 'Blocked Text');
    expect(blocked!.error).toMatchObject({ code: 'window_closed', category: 'window' });
    expect(String((blocked!.error as { hint: string }).hint)).toMatch(/template/i);
    const [fallback] = nodeOutput(res.result, 'Fallback Text');
    expect(fallback).toMatchObject({ fallback: { reason: 'window_closed', template: 'hello_world' } });
    const sent = sandbox.messages.slice(before);
    expect(sent.filter((m) => m.type === 'text')).toHaveLength(0);
    expect(sent.filter((m) => m.type === 'template' && (m.body as { template: { name: string } }).template.name === 'hello_world')).toHaveLength(1);
  }, 180_000);

  it('downloads media into a binary property in one step', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    await sandbox.inbound({ from: '15557770002', type: 'image', payload: { data: png, mime_type: 'image/png' } });
    const inbound = sandbox.inbounds[sandbox.inbounds.length - 1]!;
    const mediaId = (inbound.message.image as { id: string }).id;
    const id = await importWorkflow(userFolder, {
      name: 'e2e media',
      nodes: [manual, waNode('Download', { resource: 'media', operation: 'download', mediaId, binaryPropertyName: 'file' })],
      connections: chain('Start', 'Download'),
    });
    const res = await executeWorkflow(userFolder, id);
    expect(res.code).toBe(0);
    const item = res.result.data.resultData.runData.Download[0].data.main[0][0];
    expect(item.json).toMatchObject({ mediaId, mimeType: 'image/png', fileSize: png.length });
    expect(item.binary.file).toMatchObject({ mimeType: 'image/png' });
  }, 180_000);

  describe('trigger (published, server mode)', () => {
    let n8n: N8nInstance;
    let url: string;
    const received: Array<Record<string, unknown>> = [];
    let collector: http.Server;
    const webhookId = 'b1b2b3b4-0000-4000-8000-00000000e2e0';

    beforeAll(async () => {
      collector = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          try {
            received.push(JSON.parse(body));
          } catch {
            received.push({ unparsed: body });
          }
          res.end('ok');
        });
      });
      await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
      const collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}/`;
      const post = (name: string, y: number) => ({
        id: `e${Math.random().toString(16).slice(2, 10)}-0000-4000-8000-000000000000`,
        name,
        type: 'n8n-nodes-base.httpRequest',
        typeVersion: 4.2,
        position: [400, y],
        parameters: { method: 'POST', url: collectorUrl, sendBody: true, specifyBody: 'json', jsonBody: `={{ JSON.stringify({ output: '${name}', event: $json }) }}`, options: {} },
      });
      const id = await importWorkflow(userFolder, {
        name: 'e2e trigger',
        nodes: [
          {
            id: 'f0000000-0000-4000-8000-000000000001',
            name: 'WhatsApp Trigger',
            type: TRIGGER,
            typeVersion: 1,
            position: [0, 0],
            webhookId,
            // Verify only: core refuses http:// override URLs (Meta needs https), and n8n here is http.
            parameters: { registration: 'verifyOnly', events: ['messages', 'statuses'], statuses: ['failed'], options: {} },
            credentials: { whatsAppCloudApi: credential },
          },
          post('messages', -100),
          post('statuses', 100),
        ],
        connections: {
          'WhatsApp Trigger': { main: [[{ node: 'messages', type: 'main', index: 0 }], [{ node: 'statuses', type: 'main', index: 0 }], []] },
        },
      });
      await publishWorkflow(userFolder, id);
      n8n = await startN8n({ userFolder });
      url = `${n8n.url}/webhook/${webhookId}/whatsapp`;
      // n8n reports ready before it has activated published workflows: wait for the route.
      const deadline = Date.now() + 60_000;
      while ((await fetch(`${url}?hub.mode=subscribe`)).status === 404) {
        if (Date.now() > deadline) throw new Error(`trigger never registered. n8n logs:\n${n8n.logs().slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }, 300_000);

    afterAll(async () => {
      if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
      await n8n?.stop();
      await new Promise<void>((r) => (collector ? collector.close(() => r()) : r()));
    });

    it('passes the sandbox\'s verification of the callback URL (GET challenge with the verify token)', async () => {
      expect(await sandbox.verifyWebhook(url, VERIFY_TOKEN)).toBe(true);
      expect(await sandbox.verifyWebhook(url, 'not-the-token')).toBe(false);
    }, 60_000);

    it('answers the GET challenge as plain text and refuses a wrong verify token with 403', async () => {
      const ok = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=ch4ll3nge`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await ok.text()).toBe('ch4ll3nge');
      const bad = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=x`);
      expect(bad.status).toBe(403);
    });

    it('rejects a bad signature with 401 and starts nothing', async () => {
      const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, 'not-the-secret') }, body });
      expect(res.status).toBe(401);
      const missing = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(missing.status).toBe(401);
    });

    it('turns a signed batch into one item per event, on separate outputs, statuses filtered before execution', async () => {
      const metadata = { display_phone_number: sandbox.displayPhoneNumber, phone_number_id: sandbox.phoneNumberId };
      const ts = String(Math.floor(Date.now() / 1000));
      const value = (extra: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata, ...extra });
      const payload = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: sandbox.wabaId,
            changes: [
              {
                field: 'messages',
                value: value({
                  contacts: [{ profile: { name: 'Ana' }, wa_id: '15557770003' }],
                  messages: [
                    { from: '15557770003', id: 'wamid.e2e-1', timestamp: ts, type: 'text', text: { body: 'first' } },
                    { from: '15557770003', id: 'wamid.e2e-2', timestamp: ts, type: 'text', text: { body: 'second' } },
                  ],
                }),
              },
              {
                field: 'messages',
                value: value({
                  statuses: [
                    { id: 'wamid.out-1', status: 'delivered', timestamp: ts, recipient_id: '15557770003' },
                    { id: 'wamid.out-2', status: 'failed', timestamp: ts, recipient_id: '15557770003', errors: [{ code: 131026, title: 'Message undeliverable' }] },
                  ],
                }),
              },
            ],
          },
        ],
      };
      const body = JSON.stringify(payload);
      const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, sandbox.appSecret) }, body });
      expect((await post()).status).toBe(200);
      const deadline = Date.now() + 30_000;
      while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      // A redelivery of the same batch is acknowledged and dropped (dedupe).
      expect((await post()).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      const messages = received.filter((r) => r.output === 'messages').map((r) => r.event as Record<string, unknown>);
      const statuses = received.filter((r) => r.output === 'statuses').map((r) => r.event as Record<string, unknown>);
      expect(messages.map((m) => m.messageId).sort()).toEqual(['wamid.e2e-1', 'wamid.e2e-2']);
      expect(messages[0]).toMatchObject({ kind: 'message', from: '15557770003', contactName: 'Ana', type: 'text' });
      expect(statuses).toHaveLength(1);
      expect(statuses[0]).toMatchObject({ kind: 'status', status: 'failed', messageId: 'wamid.out-2' });
      expect(received).toHaveLength(3);
    }, 60_000);
  });
});
