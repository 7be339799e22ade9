/**
 * Proves the end-to-end harness works: real n8n 2.41.1 (Node 24), real Node-RED 4 (Node 20) and
 * Node-RED 5 (Node 24). The first run installs the runtimes into test/.harness/ (minutes).
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import { ensureN8n, ensureNodeRed, VERSIONS } from '../harness/runtimes';
import {
  executeWorkflow,
  exportCredentials,
  importCredentials,
  importWorkflow,
  makeN8nUserFolder,
  nodeOutput,
  prepareQueueMode,
  publishWorkflow,
  runN8nCli,
  startN8n,
} from '../harness/n8n';
import { startNodeRed } from '../harness/node-red';
import { run, stopAll } from '../harness/processes';
import { waitUntil } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const INSTALL_TIMEOUT = 15 * 60_000;
const d = process.env.SKIP_E2E ? describe.skip : describe;

function groupGone(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

d('e2e harness smoke', () => {
  beforeAll(async () => {
    await Promise.all([ensureN8n(), ensureNodeRed(4), ensureNodeRed(5)]);
  }, INSTALL_TIMEOUT);

  afterAll(() => stopAll());

  describe('n8n', () => {
    const userFolder = makeN8nUserFolder();
    afterAll(() => fs.rmSync(userFolder, { recursive: true, force: true }));

    it('is n8n 2.41.1 on Node 24', async () => {
      const { nodeBin } = await ensureN8n();
      const { stdout } = await run(nodeBin, ['--version']);
      expect(stdout.trim()).toMatch(/^v24\./);
      const res = await runN8nCli(userFolder, ['--version']);
      expect(res.stdout.trim()).toBe(VERSIONS.n8n);
    }, 60_000);

    it('imports and executes a Manual Trigger -> Set workflow', async () => {
      const id = await importWorkflow(userFolder, {
        name: 'harness smoke',
        nodes: [
          { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
          {
            id: 'a1b2c3d4-0000-4000-8000-000000000002',
            name: 'Set',
            type: 'n8n-nodes-base.set',
            typeVersion: 3.4,
            position: [200, 0],
            parameters: {
              assignments: { assignments: [{ id: 'x1', name: 'greeting', value: 'hello from n8n', type: 'string' }] },
              options: {},
            },
          },
        ],
        connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
      });
      expect(id).toMatch(/^[0-9a-zA-Z]{16}$/);
      const res = await executeWorkflow(userFolder, id);
      expect(res.code).toBe(0);
      expect(nodeOutput(res.result, 'Set')).toEqual([{ greeting: 'hello from n8n' }]);
    }, 180_000);

    it('imports credentials given with plain data (encrypted by n8n on import)', async () => {
      const [id] = await importCredentials(userFolder, [
        { name: 'smoke header auth', type: 'httpHeaderAuth', data: { name: 'X-Smoke', value: 's3cret' } },
      ]);
      const exported = await exportCredentials(userFolder);
      expect(exported.find((c) => c.id === id)).toMatchObject({ type: 'httpHeaderAuth', data: { name: 'X-Smoke', value: 's3cret' } });
    }, 180_000);

    it('starts the server and answers /healthz/readiness; stop() leaves nothing behind', async () => {
      const n8n = await startN8n({ userFolder });
      const res = await fetch(`${n8n.url}/healthz/readiness`);
      expect(res.status).toBe(200);
      const pid = n8n.process.pid;
      await n8n.stop();
      expect(groupGone(pid)).toBe(true);
    }, 180_000);
  });

  describe('n8n queue mode (Postgres + Redis)', () => {
    it('runs a production webhook through `n8n webhook` and `n8n worker`', async () => {
      const queue = await prepareQueueMode();
      const userFolder = makeN8nUserFolder();
      try {
        const id = await importWorkflow(
          userFolder,
          {
            name: 'queue smoke',
            nodes: [
              {
                id: 'b1b2c3d4-0000-4000-8000-000000000001',
                name: 'Webhook',
                type: 'n8n-nodes-base.webhook',
                typeVersion: 2,
                position: [0, 0],
                webhookId: 'b1b2c3d4-0000-4000-8000-0000000000aa',
                parameters: { path: 'harness-smoke', httpMethod: 'GET', responseMode: 'lastNode', options: {} },
              },
              {
                id: 'b1b2c3d4-0000-4000-8000-000000000002',
                name: 'Set',
                type: 'n8n-nodes-base.set',
                typeVersion: 3.4,
                position: [200, 0],
                parameters: { assignments: { assignments: [{ id: 'x1', name: 'pong', value: 'from worker', type: 'string' }] }, options: {} },
              },
            ],
            connections: { Webhook: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
          },
          { env: queue.env },
        );
        await publishWorkflow(userFolder, id, { env: queue.env });
        await startN8n({ userFolder, env: queue.env });
        const worker = await startN8n({ userFolder, env: queue.env, command: 'worker' });
        const webhook = await startN8n({ userFolder, env: queue.env, command: 'webhook' });
        const res = await fetch(`${webhook.url}/webhook/harness-smoke`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ pong: 'from worker' });
        // The answer can reach us before the worker logs "finished": wait for the line.
        await waitUntil(() => /Worker finished execution/.test(worker.logs()), 30_000, 'the worker to log the finished execution');
      } finally {
        await stopAll();
        await queue.cleanup();
        fs.rmSync(userFolder, { recursive: true, force: true });
      }
    }, 240_000);
  });

  describe.each([4, 5] as const)('Node-RED %i', (major) => {
    it('serves an http in -> http response route', async () => {
      const flows = [
        { id: 'tab1', type: 'tab', label: 'smoke' },
        { id: 'in1', type: 'http in', z: 'tab1', name: '', url: '/hello', method: 'get', upload: false, wires: [['chg1']] },
        {
          id: 'chg1',
          type: 'change',
          z: 'tab1',
          rules: [{ t: 'set', p: 'payload', pt: 'msg', to: `hello from node-red ${major}`, tot: 'str' }],
          wires: [['out1']],
        },
        { id: 'out1', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
      ];
      const red = await startNodeRed({ major, flows });
      try {
        expect(red.logs()).toContain(`Node.js  version: v${major === 4 ? '20' : '24'}.`);
        expect(red.logs()).toContain(`Node-RED version: v${major === 4 ? VERSIONS.nodeRed4 : VERSIONS.nodeRed5}`);
        const res = await fetch(`${red.url}/hello`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(`hello from node-red ${major}`);
        const admin = await fetch(`${red.adminUrl}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
        expect(admin.status).toBe(200);
      } finally {
        const pid = red.process.pid;
        await red.stop();
        expect(groupGone(pid)).toBe(true);
      }
    }, 120_000);
  });
});
