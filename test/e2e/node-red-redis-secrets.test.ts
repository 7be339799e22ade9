/**
 * The secret scan of Node-RED with a PASSWORD-PROTECTED Redis (issue #19; n8n's is in
 * n8n-quality.test.ts): real Node-RED 4 with the packed package, one config node on a
 * `redis-server --requirepass` started here (the shared Redis of the machine has no password, so the
 * other Redis tests never see one) and one with a wrong password. A signed webhook through each: the
 * right password works (200, dedupe key in Redis); the wrong one is refused (503) and reported. The
 * passwords appear nowhere in the logs, flows.json, the admin API's view of the flows or the answers.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Redis } from 'ioredis';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { getFreePorts } from '../harness/ports';
import { ensureNodeRed } from '../harness/runtimes';
import { run, spawnManaged, stopAll, type ManagedProcess } from '../harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const d = process.env.SKIP_E2E ? describe.skip : describe;
const PASSWORD = 'nrREDISpw5e1f0c77';
const WRONG = 'nrWRONGpw90a1d4';
const PREFIX = `nr-secrets-${process.pid}:`;

let sb: Sandbox;
let nr: NodeRedInstance;
let redisServer: ManagedProcess;
let redisPort: number;
let tmp: string;

function body(sandbox: Sandbox, id: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: sandbox.wabaId, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: sandbox.phoneNumberId }, messages: [{ from: '14155557101', id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } }] } }] }],
  });
}

async function post(pathName: string, raw: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${nr.url}${pathName}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, sb.appSecret) }, body: raw });
  return { status: res.status, text: await res.text() };
}

d('Node-RED with a password-protected Redis: the password is never shown', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-secrets-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
    const tarball = path.join(tmp, stdout.trim().split('\n').pop()!);
    await ensureNodeRed(4);
    [redisPort] = await getFreePorts(1);
    redisServer = spawnManaged({
      name: 'redis-server (password)',
      command: 'redis-server',
      args: ['--port', String(redisPort), '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    });
    await redisServer.waitForLog('Ready to accept connections', 15_000);
    sb = await startSandbox({});
    const config = (id: string) => ({ id, type: 'whatsapp-cloud-config', name: `redis ${id} password`, phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, throughput: 80, windowPolicy: 'enforce', healthCheckMinutes: 0, store: 'redis', redisUrl: `redis://127.0.0.1:${redisPort}`, redisKeyPrefix: PREFIX, redisTls: false });
    const secrets = (password: string) => ({ accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken, redisPassword: password });
    nr = await startNodeRed({
      major: 4,
      flows: [
        { id: 'tab', type: 'tab', label: 'secrets' },
        config('good'),
        config('bad'),
        { id: 'in_good', type: 'whatsapp-cloud-in', z: 'tab', config: 'good', path: '/wa-good', markRead: 'off', downloadMedia: false, x: 100, y: 40, wires: [[], [], []] },
        { id: 'in_bad', type: 'whatsapp-cloud-in', z: 'tab', config: 'bad', path: '/wa-bad', markRead: 'off', downloadMedia: false, x: 100, y: 100, wires: [[], [], []] },
      ],
      credentials: { good: secrets(PASSWORD), bad: secrets(WRONG) },
      packages: [tarball],
    });
  }, 300_000);

  afterAll(async () => {
    await nr?.stop();
    await sb?.close();
    await redisServer?.stop();
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the right password works, the wrong one is refused, and neither appears anywhere', async () => {
    const good = await post('/wa-good', body(sb, 'wamid.secrets-good'));
    if (good.status !== 200) console.log(nr.logs().slice(-3000));
    expect(good.status).toBe(200);
    const redis = new Redis({ host: '127.0.0.1', port: redisPort, password: PASSWORD });
    try {
      const keys = await redis.keys(`${PREFIX}*`);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
    const bad = await post('/wa-bad', body(sb, 'wamid.secrets-bad'));
    expect(bad.status).toBeGreaterThanOrEqual(500);
    // Give the config node time to log the failure it reports.
    await new Promise((r) => setTimeout(r, 1500));
    const flowsApi = await (await fetch(`${nr.adminUrl}/flows`)).text();
    const saved = fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8');
    const everything = [nr.logs(), saved, flowsApi, good.text, bad.text].join('\n');
    expect(nr.logs()).toMatch(/redis|Redis/);
    for (const secret of [PASSWORD, WRONG, encodeURIComponent(PASSWORD), Buffer.from(PASSWORD).toString('base64')]) {
      expect([secret, everything.includes(secret)]).toEqual([secret, false]);
    }
  });
});
