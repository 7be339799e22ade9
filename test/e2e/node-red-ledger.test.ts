/**
 * The delivery ledger in REAL Node-RED (4.x on Node 20, 5.x on Node 24) with the packed package and
 * the default (embedded) state store, running the package's own example `crm-delivery-ledger`
 * against the sandbox: the CRM's orders go out as templates with the order as `msg.reference`;
 * statuses are absorbed into the ledger and only the failed one reaches the flow, carrying the
 * order and the error; `GET /crm/order-status?order=…` (the account node's get status by
 * reference) answers `read` once the sandbox user has read the message. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run } from '../harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const d = process.env.SKIP_E2E ? describe.skip : describe;
const UNDELIVERABLE = '14155550999';

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The example as shipped, its config node pointed at the sandbox, plus an observer of what the failed-status branch produced. */
function flows(sb: Sandbox): FlowNode[] {
  const nodes = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'examples', 'crm-delivery-ledger.json'), 'utf8')) as FlowNode[];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  Object.assign(byId.get('ledger_cfg')!, { phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
  (byId.get('ledger_failed')!.wires as string[][])[0]!.push('e2e_collect');
  return [
    ...nodes,
    { id: 'e2e_collect', type: 'function', z: 'ledger_tab', name: 'collect CRM updates', func: "const all = global.get('updates') || [];\nall.push(msg.payload);\nglobal.set('updates', all);\nreturn null;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 700, y: 260, wires: [[]] },
    { id: 'e2e_get', type: 'http in', z: 'ledger_tab', name: '', url: '/e2e/updates', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 420, wires: [['e2e_read']] },
    { id: 'e2e_read', type: 'change', z: 'ledger_tab', name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'updates', tot: 'global' }], action: '', property: '', from: '', to: '', reg: false, x: 330, y: 420, wires: [['e2e_res']] },
    { id: 'e2e_res', type: 'http response', z: 'ledger_tab', name: '', statusCode: '', headers: {}, x: 510, y: 420, wires: [] },
  ];
}

async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tarball: string;
let packDir: string;
afterAll(() => {
  if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

d.each([5, 4] as const)('Node-RED %i: CRM delivery ledger example', (major) => {
  let sb: Sandbox;
  let nr: NodeRedInstance;

  beforeAll(async () => {
    if (!tarball) {
      packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-ledger-pack-'));
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
      tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
    }
    await ensureNodeRed(major);
    sb = await startSandbox({ undeliverable: [UNDELIVERABLE], statusDelaysMs: { sent: 20, delivered: 40, read: 60 } });
    nr = await startNodeRed({
      major,
      flows: flows(sb),
      credentials: { ledger_cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } },
      packages: [tarball],
    });
    sb.setWebhookUrl(`${nr.url}/whatsapp`);
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
  });

  test('orders sent with a reference; only the failed status reaches the flow, with its order; get status by reference answers read', async () => {
    const order = (n: number) => `#${major}00${n}`;
    const post = (phone: string, n: number) =>
      fetch(`${nr.url}/crm/order-shipped`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, name: 'Ada', order: order(n) }) });
    const ok = await post('+14155550101', 1);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ reference: order(1), messageId: expect.stringMatching(/^wamid\./) });
    expect((await post(`+${UNDELIVERABLE}`, 2)).status).toBe(200);
    expect(sb.messages.map((m) => m.body.biz_opaque_callback_data)).toEqual([order(1), order(2)]);

    // Every status webhook was answered 200; the read one is in the ledger.
    await waitFor(() => sb.messages[0]!.statuses.some((s) => s.status === 'read') && sb.messages[1]!.statuses.some((s) => s.status === 'failed'), 15_000, 'read and failed');
    await waitFor(() => sb.webhookDeliveries.filter((w) => w.status === 200).length >= 4, 15_000, 'four status webhooks answered');
    expect(sb.webhookDeliveries.every((w) => w.status === 200)).toBe(true);
    const status = async () => (await fetch(`${nr.url}/crm/order-status?order=${encodeURIComponent(order(1))}`).then((r) => r.json())) as Record<string, unknown> | null;
    await waitFor(async () => (await status())?.status === 'read', 15_000, 'get status to answer read');
    expect(await status()).toMatchObject({ messageId: sb.messages[0]!.id, status: 'read', reference: order(1), recipient: '+14155550101', template: { name: 'order_update' } });

    // Only the failed status became a msg, carrying the order and what to do.
    const updates = await waitFor(async () => {
      const list = (await fetch(`${nr.url}/e2e/updates`).then((r) => r.text())) || '[]';
      const parsed = JSON.parse(list) as Array<Record<string, unknown>> | null;
      return parsed && parsed.length > 0 && parsed;
    }, 15_000, 'the failed-status CRM update');
    await new Promise((r) => setTimeout(r, 500));
    const final = JSON.parse((await fetch(`${nr.url}/e2e/updates`).then((r) => r.text())) || '[]') as Array<Record<string, unknown>>;
    expect(final).toEqual([{ order: order(2), status: 'whatsapp_failed', reason: expect.any(String), whatToDo: expect.stringMatching(/.{10,}/) }]);
    expect(updates).toHaveLength(1);
    expect(nr.logs()).not.toMatch(/\[error\]/i);
  }, 90_000);
});
