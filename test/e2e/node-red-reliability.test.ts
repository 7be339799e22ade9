/**
 * Reliability of the packed package in REAL Node-RED (4.x on Node 20, 5.x on Node 24), driven by
 * the sandbox:
 *  - Restart: 200 templates injected at 40/s into a send node on a 20/s number, a full redeploy
 *    through the admin API in the middle of the burst: every msg is accepted by the sandbox or
 *    reported to the Catch node, none twice, and the injection carries on after the redeploy.
 *  - Secrets: distinctive access token, app secret and verify token; everything Node-RED prints or
 *    emits while the flows run (stdout/stderr, every debug msg as the editor gets it over /comms,
 *    Catch and Status msgs, error answers, the admin API's flows export and credentials view, the
 *    Test connection and template endpoints, every file of the user dir) is searched for them.
 *    flows_cred.json must be encrypted.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { NODE_RED_CREDENTIAL_SECRET, startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run, stopAll } from '../harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const BURST = 200;
const d = process.env.SKIP_E2E ? describe.skip : describe;

type FlowNode = Record<string, unknown> & { id: string; type: string };

const rand = () => crypto.randomBytes(9).toString('hex');
const SECRETS = {
  accessToken: `EAAG-e2e-access-token-${rand()}`,
  appSecret: `e2e-app-secret-${rand()}`,
  verifyToken: `e2e-verify-token-${rand()}`,
};

const fn = (id: string, func: string, wires: string[][] = [[]], extra: Record<string, unknown> = {}): FlowNode => ({
  id, type: 'function', z: 'rel', name: id, func, outputs: wires.length, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 300, y: 100, wires, ...extra,
});

/** Injects BURST templates at 40/s while global "running" is set; carries on from global "next" after a redeploy. */
const INJECTOR_START = `
const timer = setInterval(() => {
  if (!global.get('running')) return;
  const n = global.get('next') || 0;
  if (n >= ${BURST}) { global.set('running', false); return; }
  global.set('next', n + 1);
  node.send({ n, to: '1555' + String(7000000 + n), payload: { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
}, 25);
context.set('timer', timer);`;

function flows(sb: Sandbox, name = 'sandbox'): FlowNode[] {
  return [
    { id: 'rel', type: 'tab', label: 'reliability' },
    { id: 'cfg', type: 'whatsapp-cloud-config', name, phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, apiVersion: '', throughput: 20, windowPolicy: 'enforce', fallbackTemplate: '', fallbackLanguage: 'en_US', store: 'none' },
    // Everything the nodes emit goes to one debug node: complete msg, to the sidebar and the console.
    { id: 'debug', type: 'debug', z: 'rel', name: 'everything', active: true, tosidebar: true, console: true, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto', x: 900, y: 100, wires: [] },
    { id: 'in', type: 'whatsapp-cloud-in', z: 'rel', name: '', config: 'cfg', path: '/whatsapp', markRead: 'read', downloadMedia: false, x: 100, y: 40, wires: [['debug'], ['debug'], ['debug']] },
    { id: 'status', type: 'status', z: 'rel', name: '', scope: null, x: 100, y: 300, wires: [['debug']] },
    { id: 'catch', type: 'catch', z: 'rel', name: '', scope: null, uncaught: false, x: 100, y: 360, wires: [['debug', 'record']] },
    fn('record', "const all = global.get('errors') || [];\nall.push({ n: msg.n, code: msg.error && msg.error.code });\nglobal.set('errors', all);\nreturn null;"),
    // The burst: POST /e2e/start → running; the injector → out → sent.
    { id: 'start', type: 'http in', z: 'rel', name: '', url: '/e2e/start', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 120, wires: [['go']] },
    fn('go', "global.set('next', 0);\nglobal.set('errors', []);\nglobal.set('running', true);\nmsg.payload = 'started';\nreturn msg;", [['res']]),
    fn('injector', 'return null;', [['burst_out']], { initialize: INJECTOR_START, finalize: "clearInterval(context.get('timer'));" }),
    { id: 'burst_out', type: 'whatsapp-cloud-out', z: 'rel', name: '', config: 'cfg', to: '', mode: 'auto', x: 500, y: 160, wires: [['debug']] },
    { id: 'state', type: 'http in', z: 'rel', name: '', url: '/e2e/state', method: 'get', upload: false, swaggerDoc: '', x: 100, y: 200, wires: [['read_state']] },
    fn('read_state', "msg.payload = { next: global.get('next') || 0, running: !!global.get('running'), errors: global.get('errors') || [] };\nreturn msg;", [['res']]),
    // Single sends that fail in different ways: POST /e2e/send { to, message } → out → 200, or 422 with msg.error.
    { id: 'send', type: 'http in', z: 'rel', name: '', url: '/e2e/send', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 240, wires: [['unpack']] },
    fn('unpack', 'msg.to = msg.payload.to;\nmsg.payload = msg.payload.message;\nreturn msg;', [['single_out']]),
    { id: 'single_out', type: 'whatsapp-cloud-out', z: 'rel', name: '', config: 'cfg', to: '', mode: 'auto', x: 500, y: 240, wires: [['ok']] },
    fn('ok', 'msg.payload = msg.whatsapp;\nreturn msg;', [['res', 'debug']]),
    { id: 'single_catch', type: 'catch', z: 'rel', name: '', scope: ['single_out'], uncaught: false, x: 500, y: 300, wires: [['failed']] },
    fn('failed', 'msg.statusCode = 422;\nmsg.payload = { error: msg.error };\nreturn msg;', [['res']]),
    { id: 'res', type: 'http response', z: 'rel', name: '', statusCode: '', headers: {}, x: 900, y: 200, wires: [] },
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

/** Every file under `dir` (no node_modules), as text. */
function filesOf(dir: string): Array<{ file: string; text: string }> {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesOf(full);
    return [{ file: full, text: fs.readFileSync(full, 'utf8') }];
  });
}

let tarball: string;
let packDir: string;

d.each([4, 5] as const)('Node-RED %i: restart mid-burst and secrets', (major) => {
  let sb: Sandbox;
  let nr: NodeRedInstance;
  let comms: WebSocket;
  /** Everything Node-RED emitted or answered, besides its logs and files. */
  const seen: string[] = [];
  const debugMsgs: unknown[] = [];

  const get = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    const text = await res.text();
    seen.push(`${init?.method ?? 'GET'} ${url} → ${res.status} ${text}`);
    return { status: res.status, text };
  };
  type State = { next: number; running: boolean; errors: Array<{ n: number; code: string }> };
  /** The burst's progress; while a deploy swaps the routes the endpoint may be missing for a moment. */
  const state = async (): Promise<State> => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${nr.url}/e2e/state`);
      if (res.ok) return (await res.json()) as State;
      if (i > 50) throw new Error(`GET /e2e/state: ${res.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    if (!tarball) {
      packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-pack-'));
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
      tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
    }
    await ensureNodeRed(major);
    sb = await startSandbox({ ...SECRETS, throughput: 80, statusDelaysMs: { sent: 20, delivered: 40, read: 60 } });
    nr = await startNodeRed({ major, flows: flows(sb), credentials: { cfg: { ...SECRETS } }, packages: [tarball] });
    sb.setWebhookUrl(`${nr.url}/whatsapp`);
    // The editor's view: every debug msg, as the sidebar gets it.
    comms = new WebSocket(`${nr.adminUrl.replace(/^http/, 'ws')}/comms`);
    await new Promise<void>((resolve, reject) => {
      comms.once('open', () => resolve());
      comms.once('error', reject);
    });
    comms.send(JSON.stringify({ subscribe: 'debug' }));
    comms.on('message', (data) => {
      const text = data.toString();
      seen.push(`comms ${text}`);
      for (const item of JSON.parse(text) as Array<{ topic: string; data: unknown }>) if (item.topic === 'debug') debugMsgs.push(item.data);
    });
  }, 15 * 60_000);

  afterAll(async () => {
    comms?.close();
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
    if (major === 5) {
      await stopAll();
      if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
    }
  });

  test(`a full redeploy in the middle of a ${BURST}-message burst: every msg sent or caught, none twice`, async () => {
    const before = sb.messages.length;
    expect((await get(`${nr.url}/e2e/start`, { method: 'POST' })).status).toBe(200);
    await waitFor(async () => (await state()).next >= 60, 20_000, '60 msgs injected');
    const acceptedAtRedeploy = sb.messages.length - before;
    // Redeploy as the editor does after the user re-typed the token: credentials in the body.
    const current = JSON.parse((await get(`${nr.adminUrl}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).text) as FlowNode[];
    const redeployed = current.map((n) => (n.id === 'cfg' ? { ...n, name: 'sandbox (redeployed)', credentials: { ...SECRETS } } : n));
    const deploy = await get(`${nr.adminUrl}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify(redeployed),
    });
    expect(deploy.status).toBeLessThan(300);
    expect(acceptedAtRedeploy).toBeLessThan(BURST);

    const done = await waitFor(
      async () => {
        const s = await state();
        const accepted = sb.messages.slice(before).length;
        return s.next >= BURST && accepted + s.errors.length >= BURST && { s, accepted };
      },
      60_000,
      'every msg sent or caught',
    );
    await new Promise((r) => setTimeout(r, 500)); // nothing late (a duplicate) arrives
    const accepted = sb.messages.slice(before).map((m) => Number(m.waId.slice(4)) - 7_000_000);
    const caught = done.s.errors.map((e) => e.n);
    expect(new Set(accepted).size).toBe(accepted.length); // none twice at the sandbox
    expect(caught.filter((n) => accepted.includes(n))).toEqual([]); // none both sent and caught
    expect(accepted.length + caught.length).toBe(BURST);
    expect(new Set([...accepted, ...caught])).toEqual(new Set(Array.from({ length: BURST }, (_, i) => i)));
    expect(sb.requests.filter((r) => r.errorCode === 130429)).toHaveLength(0);
    expect(nr.logs()).toMatch(/Stopping flows[\s\S]*Started flows/);
    console.log(`[node-red ${major} restart] redeploy after ${acceptedAtRedeploy} accepted: ${accepted.length} accepted + ${caught.length} caught = ${BURST}`);
  }, 120_000);

  test('errors, webhooks and admin endpoints exercised (for the secrets check)', async () => {
    const send = (to: string, message: unknown) => get(`${nr.url}/e2e/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to, message }) });
    // A user writes (full inbound msg to debug; marked read), and is answered.
    const user = `1415555${major}301`;
    await sb.inbound({ from: user, text: 'Hello there' }, { name: 'Grace' });
    expect((await send(user, 'Hi Grace')).status).toBe(200);
    // Failures: window closed, Meta's own errors (recipient, auth, template), a validation error.
    expect(JSON.parse((await send('14155550999', 'no window')).text).error.code).toBe('window_closed');
    sb.failSends({ code: 131026, sync: true, times: 1 });
    expect((await send(user, 'undeliverable')).status).toBe(422);
    sb.failSends({ code: 190, sync: true, times: 1 });
    expect((await send(user, 'token problem')).status).toBe(422);
    expect((await send(user, { type: 'template', template: { name: 'no_such_template', language: { code: 'en' } } })).status).toBe(422);
    expect((await send(user, { type: 'text', text: { body: 'x'.repeat(5000) } })).status).toBe(422);
    // Webhook refusals: bad signature, wrong verify token; and the right one.
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    expect((await get(`${nr.url}/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, 'wrong') }, body })).status).toBe(401);
    expect((await get(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=7`)).status).toBe(403);
    expect((await get(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(SECRETS.verifyToken)}&hub.challenge=7`)).text).toBe('7');
    seen.pop(); // that URL carries the verify token because the test sent it: not something Node-RED emitted
    // The editor's endpoints: Test connection, templates, the credentials view, a typed wrong token.
    const admin = (p: string, payload: object) => get(`${nr.adminUrl}/whatsapp-cloud/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    const typed = { id: 'cfg', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url };
    expect((await admin('diagnose', typed)).status).toBe(200);
    expect((await admin('templates', typed)).status).toBe(200);
    expect((await admin('templates', { ...typed, accessToken: 'wrong-token' })).status).toBe(502);
    const creds = await get(`${nr.adminUrl}/credentials/whatsapp-cloud-config/cfg`);
    expect(JSON.parse(creds.text)).toMatchObject({ has_accessToken: true, has_appSecret: true, has_verifyToken: true });
    await waitFor(() => debugMsgs.length > 20, 10_000, 'debug msgs');
  }, 60_000);

  test('no access token, app secret or verify token in anything Node-RED printed, emitted, exported or wrote', async () => {
    await new Promise((r) => setTimeout(r, 500)); // the last statuses and debug msgs
    const flowsExport = await get(`${nr.adminUrl}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
    const files = filesOf(nr.userDir);
    const haystacks: Array<[string, string]> = [
      ['Node-RED stdout/stderr', nr.logs()],
      ...seen.map((s, i) => [`emitted/answered #${i}: ${s.slice(0, 80)}`, s] as [string, string]),
      ['flows export (GET /flows)', flowsExport.text],
      ...files.map((f) => [`file ${path.relative(nr.userDir, f.file)}`, f.text] as [string, string]),
    ];
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) {
      // The whole secret, and a 16-character slice of it (a truncated or re-wrapped copy).
      const needles = [value, value.slice(-16)];
      for (const [where, text] of haystacks) if (needles.some((n) => text.includes(n))) leaks.push(`${name} in ${where}`);
    }
    expect(leaks).toEqual([]);
    // Enough was looked at: debug msgs of every output, errors with their cause, the export, the encrypted credentials.
    expect(debugMsgs.length).toBeGreaterThan(20);
    expect(seen.join('\n')).toMatch(/graph_131026|graph_190|auth/);
    expect(flowsExport.text).toContain('whatsapp-cloud-config');
    const cred = files.find((f) => path.basename(f.file) === 'flows_cred.json');
    expect(cred).toBeDefined();
    expect(Object.keys(JSON.parse(cred!.text))).toEqual(['$']); // encrypted
    // …and it does hold them (the redeploy stored what it was sent): the search above would have seen them in clear.
    const sealed = JSON.parse(cred!.text).$ as string;
    const decipher = crypto.createDecipheriv('aes-256-ctr', crypto.createHash('sha256').update(NODE_RED_CREDENTIAL_SECRET).digest(), Buffer.from(sealed.slice(0, 32), 'hex'));
    const opened = JSON.parse(decipher.update(sealed.slice(32), 'base64', 'utf8') + decipher.final('utf8'));
    expect(opened.cfg).toMatchObject(SECRETS);
    expect(nr.logs()).toMatch(/\[debug\]|debug/);
  });
});
