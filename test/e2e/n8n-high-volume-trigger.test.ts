/**
 * The WhatsApp Cloud High-Volume Trigger in ONE real n8n 2.41.1 (regular mode, packed package,
 * default embedded state store):
 * - publishing it starts its own listener and points the number's webhooks at its Public URL (the
 *   sandbox GET-checks it, as Meta does);
 * - a user's message starts one execution; a burst of sent/delivered/read statuses is answered 200
 *   and recorded in the ledger of n8n's state file with no execution; a failed status starts one;
 * - exactly once across a crash even when our own store forgot: n8n is killed, the state file is
 *   deleted, n8n starts again and Meta redelivers the message: n8n's execution deduplication key
 *   (the event's key) refuses a second execution.
 * Its speed is measured by `npm run bench` (measure 4), not here. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DeliveryLedger, openSqlite, SqliteLedgerStore } from '../../packages/core/src';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { apiCredentialData, N8nRest, nodeId, packPackage, SECRETS, statusWebhook, waitUntil } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { getFreePorts } from '../harness/ports';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';

const d = process.env.SKIP_E2E ? describe.skip : describe;

const MESSAGES = 20;
const IN_FLIGHT = 20;

let sandbox: Sandbox;
let userFolder: string;
let packDir: string;
let n8n: N8nInstance;
let rest: N8nRest;
let workflowId: string;
let listenerUrl: string;
const wamid = (i: number) => `wamid.e2e.hv.${String(i).padStart(4, '0')}`;

const statusPost = (messageId: string, status: string, recipient: string) => statusWebhook(sandbox, messageId, status, recipient);

async function post(body: string, signature: string): Promise<number> {
  const res = await fetch(listenerUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } });
  await res.arrayBuffer();
  return res.status;
}

async function startAndPublish(): Promise<void> {
  n8n = await startN8n({ userFolder });
  rest = new N8nRest(n8n.url);
  await rest.login();
}

d('n8n: the High-Volume Trigger listens on its own port, absorbs statuses, starts each event once', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sandbox = await startSandbox({ phoneNumberId: '100000000000191', wabaId: '200000000000191', accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [credId] = await importCredentials(userFolder, [{ name: 'WhatsApp', type: 'whatsAppCloudApi', data: apiCredentialData(sandbox) }]);
    const [port] = await getFreePorts(1);
    listenerUrl = `http://127.0.0.1:${port}/whatsapp`;
    workflowId = await importWorkflow(userFolder, {
      name: 'e2e high-volume trigger',
      nodes: [
        {
          id: nodeId(),
          name: 'Trigger',
          type: '@wa-cloud/n8n-nodes-whatsapp-cloud.whatsAppCloudHighVolumeTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: { port, path: 'whatsapp', registration: 'phoneNumberOverride', publicUrl: listenerUrl, events: ['messages', 'statuses'], options: { listenAddress: '127.0.0.1' } },
          credentials: { whatsAppCloudApi: { id: credId!, name: 'WhatsApp' } },
        },
        { id: nodeId(), name: 'Handled', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 0], parameters: {} },
      ],
      connections: { Trigger: { main: [[{ node: 'Handled', type: 'main', index: 0 }], [{ node: 'Handled', type: 'main', index: 0 }], []] } },
      settings: { saveDataSuccessExecution: 'all' },
    });
    await startAndPublish();
    await rest.activate(workflowId);
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('publishing points the number at the Public URL (GET-checked); a message starts one execution', async () => {
    // n8n activates triggers in the background after answering the publish request.
    await waitUntil(() => sandbox.webhookTarget === listenerUrl, 60_000, `the override to point at ${listenerUrl} (n8n log: ${n8n.logs().slice(-2000)})`);
    const id = await sandbox.inbound({ from: '15554100001', text: 'hello listener' });
    expect(sandbox.webhookDeliveries.at(-1)!.status).toBe(200);
    await waitUntil(async () => (await rest.executions({ workflowId })).length > 0, 60_000, 'the message execution');
    const executions = await rest.executions({ workflowId });
    expect(executions).toHaveLength(1);
    expect(String((await rest.execution(executions[0]!.id)).data)).toContain(id);
  }, 120_000);

  it('sent/delivered/read statuses: all answered 200, all in the ledger, no execution; a failed one starts one', async () => {
    const jobs: Array<() => Promise<number>> = [];
    for (const status of ['sent', 'delivered', 'read']) {
      for (let i = 0; i < MESSAGES; i++) {
        const { body, signature } = statusPost(wamid(i), status, `1555410${String(i).padStart(4, '0')}`);
        jobs.push(() => post(body, signature));
      }
    }
    const answers: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < jobs.length) answers.push(await jobs[next++]!());
    }));
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    expect(answers).toHaveLength(MESSAGES * 3);

    const db = openSqlite(path.join(userFolder, '.n8n', 'wa-cloud', 'state.sqlite'));
    try {
      const ledger = new DeliveryLedger({ store: new SqliteLedgerStore(db) });
      const records = await Promise.all(Array.from({ length: MESSAGES }, (_, i) => ledger.get(wamid(i))));
      expect(records.map((r) => r?.status)).toEqual(Array.from({ length: MESSAGES }, () => 'read'));
    } finally {
      db.close();
    }
    expect(await rest.executions({ workflowId })).toHaveLength(1);

    const failed = statusPost('wamid.e2e.hv.failed', 'failed', '15554109999');
    expect(await post(failed.body, failed.signature)).toBe(200);
    await waitUntil(async () => (await rest.executions({ workflowId })).length === 2, 60_000, 'the failed-status execution');
    await new Promise((r) => setTimeout(r, 2000)); // room for a wrongly started third one to show up
    const executions = await rest.executions({ workflowId });
    expect(executions).toHaveLength(2);
    expect(String((await rest.execution(executions[0]!.id)).data)).toContain('wamid.e2e.hv.failed');
  }, 180_000);

  it('killed, its state file deleted, restarted: a redelivered message is refused by n8n\'s deduplication key, no second execution', async () => {
    const first = sandbox.webhookDeliveries.find((w) => w.body.includes('hello listener'))!;
    process.kill(-n8n.process.pid, 'SIGKILL');
    await n8n.process.exited;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(userFolder, '.n8n', 'wa-cloud', `state.sqlite${suffix}`), { force: true });
    await startAndPublish();
    await waitUntil(async () => (await fetch(`${listenerUrl}?hub.mode=subscribe&hub.verify_token=${SECRETS.verifyToken}&hub.challenge=up`).catch(() => undefined))?.status === 200, 120_000, 'the listener after the restart');
    const before = (await rest.executions({ workflowId })).length;
    expect(before).toBe(2);

    expect(await post(first.body, first.signature)).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await rest.executions({ workflowId })).toHaveLength(before);
    expect(n8n.logs()).toMatch(/duplicate deduplication key/);

    // A new message still starts one: only the redelivery was refused.
    await sandbox.inbound({ from: '15554100002', text: 'after the restart' });
    await waitUntil(async () => (await rest.executions({ workflowId })).length === before + 1, 60_000, 'the new message execution');
  }, 300_000);
});
