/**
 * Statuses without executions, in ONE real n8n 2.41.1 (regular mode) with the packed package: the
 * trigger at its current version (2), messages and statuses on, its default status filter (failed
 * only). A burst of signed status webhooks (sent, delivered, read of 20 messages, 20 in flight):
 * - every POST is answered 200, also those with no content type (n8n reads the body of a version-2
 *   node only for the types it parses; the trigger reads the rest itself);
 * - every status is in the ledger of n8n's embedded state file (each message ends `read`);
 * - none of them started an execution; the one `failed` status sent afterwards starts exactly one,
 *   carrying that status.
 * The speed of this path is measured by `npm run bench` (measure 4), not here.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DeliveryLedger, openSqlite, SqliteLedgerStore } from '../../packages/core/src';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { apiCredentialData, N8nRest, nodeId, packPackage, SECRETS, statusWebhook, triggerNode, waitUntil } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
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
const hook = nodeId();
const triggerUrl = () => `${n8n.url}/webhook/${hook}/whatsapp`;
const wamid = (i: number) => `wamid.e2e.absorbed.${String(i).padStart(4, '0')}`;

const statusPost = (messageId: string, status: string, recipient: string) => statusWebhook(sandbox, messageId, status, recipient);

async function post(messageId: string, status: string, recipient: string, contentType: string | undefined): Promise<number> {
  const { body, signature } = statusPost(messageId, status, recipient);
  for (let attempt = 1; ; attempt++) {
    // A Buffer body: fetch adds no content type of its own.
    const res = await fetch(triggerUrl(), { method: 'POST', body: Buffer.from(body), headers: { 'x-hub-signature-256': signature, ...(contentType ? { 'content-type': contentType } : {}) } });
    const text = await res.text();
    // n8n's own 503 while its database ping lags on a starved machine (before the trigger runs):
    // Meta delivers such a webhook again, so does this test. Any other answer counts.
    if (res.status === 503 && /Database is not ready/.test(text) && attempt < 20) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    return res.status;
  }
}

d('n8n: statuses absorbed into the ledger start no execution', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sandbox = await startSandbox({ phoneNumberId: '100000000000181', wabaId: '200000000000181', accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [credId] = await importCredentials(userFolder, [{ name: 'WhatsApp', type: 'whatsAppCloudApi', data: apiCredentialData(sandbox) }]);
    workflowId = await importWorkflow(userFolder, {
      name: 'e2e absorbed statuses',
      nodes: [
        { ...triggerNode('Trigger', { id: credId!, name: 'WhatsApp' }, hook, { registration: 'verifyOnly', events: ['messages', 'statuses'] }), typeVersion: 2 },
        { id: nodeId(), name: 'Statuses', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 0], parameters: {} },
      ],
      connections: { Trigger: { main: [[], [{ node: 'Statuses', type: 'main', index: 0 }], []] } },
      settings: { saveDataSuccessExecution: 'all' },
    });
    n8n = await startN8n({ userFolder });
    rest = new N8nRest(n8n.url);
    await rest.login();
    await rest.activate(workflowId);
    await waitUntil(
      async () => (await fetch(`${triggerUrl()}?hub.mode=subscribe&hub.verify_token=${SECRETS.verifyToken}&hub.challenge=ok`)).status === 200,
      60_000,
      'the trigger to answer its challenge',
    );
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('a burst of sent/delivered/read statuses: all answered 200, all in the ledger, no execution; a failed status starts one', async () => {
    const jobs: Array<() => Promise<number>> = [];
    for (const status of ['sent', 'delivered', 'read']) {
      for (let i = 0; i < MESSAGES; i++) {
        // Every third POST without a content type (a proxy may drop it): n8n leaves its body unread.
        jobs.push(() => post(wamid(i), status, `1555400${String(i).padStart(4, '0')}`, (i + jobs.length) % 3 === 0 ? undefined : 'application/json'));
      }
    }
    const answers: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < jobs.length) answers.push(await jobs[next++]!());
      }),
    );
    expect(answers).toHaveLength(MESSAGES * 3);
    expect(answers.filter((s) => s !== 200)).toEqual([]);

    // The ledger in n8n's own folder (the embedded state file), read while n8n runs.
    const db = openSqlite(path.join(userFolder, '.n8n', 'wa-cloud', 'state.sqlite'));
    try {
      const ledger = new DeliveryLedger({ store: new SqliteLedgerStore(db) });
      const records = await Promise.all(Array.from({ length: MESSAGES }, (_, i) => ledger.get(wamid(i))));
      expect(records.map((r) => r?.status)).toEqual(Array.from({ length: MESSAGES }, () => 'read'));
      expect(records.map((r) => r?.recipient)).toEqual(Array.from({ length: MESSAGES }, (_, i) => `1555400${String(i).padStart(4, '0')}`));
    } finally {
      db.close();
    }

    // Nothing started so far; the failed status then starts exactly one execution, with that status.
    expect(await rest.executions({ workflowId })).toEqual([]);
    expect(await post('wamid.e2e.absorbed.failed', 'failed', '15554009999', 'application/json')).toBe(200);
    await waitUntil(async () => (await rest.executions({ workflowId })).length > 0, 60_000, 'the failed-status execution');
    await new Promise((r) => setTimeout(r, 2000)); // room for a wrongly started second one to show up
    const executions = await rest.executions({ workflowId });
    expect(executions).toHaveLength(1);
    const execution = await rest.execution(executions[0]!.id);
    expect(String(execution.data)).toContain('wamid.e2e.absorbed.failed');
    expect(String(execution.data)).not.toContain(wamid(0));
  }, 5 * 60_000);
});
