/**
 * WhatsApp Flows end to end in REAL Node-RED (4.x on Node 20, 5.x on Node 24) with the packed
 * package, running the package's own example flow (examples/whatsapp-flow-endpoint.json). The test
 * plays WhatsApp: RSA key pair (private half passphrase-protected, in the config node's
 * credentials), `data_exchange` requests encrypted exactly as Meta documents, answers decrypted:
 * the example's next screens, then its completion. `ping` answered without a msg, a request for
 * another key 421, a bad signature 432. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run } from '../harness/processes';
import { encryptFlowCall, flowKeyPair } from '../support/meta-flow-client';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const d = process.env.SKIP_E2E ? describe.skip : describe;
const PASSPHRASE = 'node-red flow passphrase';
const keys = flowKeyPair(PASSPHRASE);

type FlowNode = Record<string, unknown> & { id: string; type: string };

let tarball: string;
let packDir: string;

async function packOnce(): Promise<string> {
  if (!tarball) {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-flow-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
    tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
  }
  return tarball;
}

afterAll(() => {
  if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

d.each([4, 5] as const)('Node-RED %i: the Flow endpoint example', (major) => {
  let sb: Sandbox;
  let nr: NodeRedInstance;
  let url: string;

  beforeAll(async () => {
    await packOnce();
    await ensureNodeRed(major);
    sb = await startSandbox({});
    const flows = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'examples', 'whatsapp-flow-endpoint.json'), 'utf8')) as FlowNode[];
    Object.assign(flows.find((n) => n.id === 'wa_flow_cfg')!, { phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    // Counts the requests that reached the flow (ping and refusals must not).
    flows.push({ id: 'e2e_count', type: 'function', z: 'flow_tab', name: 'count', func: "global.set('flowRequests', (global.get('flowRequests') || 0) + 1);\nreturn null;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 360, y: 200, wires: [[]] });
    flows.push({ id: 'e2e_get', type: 'http in', z: 'flow_tab', name: '', url: '/e2e/flow-requests', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 260, wires: [['e2e_read']] });
    flows.push({ id: 'e2e_read', type: 'change', z: 'flow_tab', name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'flowRequests', tot: 'global' }], action: '', property: '', from: '', to: '', reg: false, x: 330, y: 260, wires: [['e2e_res']] });
    flows.push({ id: 'e2e_res', type: 'http response', z: 'flow_tab', name: '', statusCode: '', headers: {}, x: 510, y: 260, wires: [] });
    (flows.find((n) => n.id === 'flow_in')!.wires as string[][])[0]!.push('e2e_count');
    nr = await startNodeRed({
      major,
      flows,
      credentials: { wa_flow_cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken, flowPrivateKey: keys.privateKeyPem, flowPrivateKeyPassphrase: PASSPHRASE } },
      packages: [tarball],
    });
    url = `${nr.url}/whatsapp-flow`;
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
  });

  const post = (call: { raw: Buffer; signature: string }) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': call.signature }, body: call.raw });
  const count = async () => Number(await (await fetch(`${nr.url}/e2e/flow-requests`)).text()) || 0;

  test('INIT, DATE and TIME get the example\'s screens and completion, encrypted for WhatsApp', async () => {
    const init = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: `nr${major}` }, keys.publicKeyPem, sb.appSecret);
    const first = await post(init);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await init.decryptResponse(await first.text())).toEqual({ screen: 'DATE', data: { minDate: '2026-12-01' } });

    const date = await encryptFlowCall({ version: '3.0', action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-07' }, flow_token: `nr${major}` }, keys.publicKeyPem, sb.appSecret);
    expect(await date.decryptResponse(await (await post(date)).text())).toEqual({ screen: 'TIME', data: { date: '2026-12-07', slots: ['2026-12-07 09:00', '2026-12-07 10:30'] } });

    const time = await encryptFlowCall({ version: '3.0', action: 'data_exchange', screen: 'TIME', data: { slot: '10:30' }, flow_token: `nr${major}` }, keys.publicKeyPem, sb.appSecret);
    expect(await time.decryptResponse(await (await post(time)).text())).toEqual({
      screen: 'SUCCESS',
      data: { extension_message_response: { params: { flow_token: `nr${major}`, booking: 'B-10:30' } } },
    });
    expect(await count()).toBe(3);
  });

  test('ping is answered {data:{status:"active"}} without a msg; another key gets 421, a bad signature 432', async () => {
    const before = await count();
    const ping = await encryptFlowCall({ version: '3.0', action: 'ping' }, keys.publicKeyPem, sb.appSecret);
    const res = await post(ping);
    expect(res.status).toBe(200);
    expect(await ping.decryptResponse(await res.text())).toEqual({ data: { status: 'active' } });
    const stale = await encryptFlowCall({ version: '3.0', action: 'INIT' }, flowKeyPair().publicKeyPem, sb.appSecret);
    expect((await post(stale)).status).toBe(421);
    const forged = await encryptFlowCall({ version: '3.0', action: 'INIT' }, keys.publicKeyPem, 'not-the-secret');
    expect((await post(forged)).status).toBe(432);
    expect(await count()).toBe(before);
    expect(nr.logs()).not.toContain(keys.privateKeyPem.split('\n')[2]);
    expect(nr.logs()).not.toContain(PASSPHRASE);
  });
});
