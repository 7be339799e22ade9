/**
 * The embedded state store in REAL Node-RED (4.x on Node 20 with libsql, 5.x on Node 24
 * with node:sqlite), default settings, no Redis. The packed package is installed like a user
 * installs it; Node-RED is killed with SIGKILL and started again on the same user folder.
 *  - After the restart: a text reply to a user who wrote before is sent (window still open); a
 *    user who opted out still gets a refusal for a marketing template; a 131026-suppressed
 *    recipient is still suppressed; a redelivery of an acknowledged webhook reaches no flow.
 *  - Crash under load: 2,000 signed webhooks at full speed, SIGKILL at a random moment, restart,
 *    all 2,000 delivered again: every event reaches the flow exactly once in total.
 *  - A corrupt store file: the log names the file, webhooks are still answered and handed on.
 * "Reaches the flow": a function node right behind the webhook node appends each message id to a
 * file with a synchronous write (a debug node or an HTTP post would lose what is in flight at a kill).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { run, stopAll } from '../harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const d = process.env.SKIP_E2E ? describe.skip : describe;
const LOAD = 2000;

type FlowNode = Record<string, unknown> & { id: string; type: string };
const fn = (id: string, func: string, wires: string[][] = [[]], extra: Record<string, unknown> = {}): FlowNode => ({
  id, type: 'function', z: 'st', name: id, func, outputs: wires.length, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 300, y: 100, wires, ...extra,
});

function flows(sb: Sandbox, sink: string): FlowNode[] {
  return [
    { id: 'st', type: 'tab', label: 'state store' },
    // No "store" property: what a config node gets by default.
    { id: 'cfg', type: 'whatsapp-cloud-config', name: 'sandbox', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, throughput: 80, windowPolicy: 'enforce', healthCheckMinutes: 0 },
    { id: 'in', type: 'whatsapp-cloud-in', z: 'st', config: 'cfg', path: '/whatsapp', markRead: 'off', downloadMedia: false, x: 100, y: 40, wires: [['sink'], [], []] },
    fn('sink', `fs.appendFileSync(${JSON.stringify(sink)}, msg.whatsapp.messageId + '\\n');\nreturn null;`, [[]], { libs: [{ var: 'fs', module: 'fs' }] }),
    { id: 'send', type: 'http in', z: 'st', url: '/e2e/send', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 240, wires: [['unpack']] },
    fn('unpack', 'msg.to = msg.payload.to;\nmsg.payload = msg.payload.message;\nreturn msg;', [['out']]),
    { id: 'out', type: 'whatsapp-cloud-out', z: 'st', config: 'cfg', to: '', mode: 'auto', x: 500, y: 240, wires: [['ok']] },
    fn('ok', 'msg.payload = msg.whatsapp;\nreturn msg;', [['res']]),
    { id: 'catch', type: 'catch', z: 'st', scope: ['out'], uncaught: false, x: 500, y: 300, wires: [['failed']] },
    fn('failed', 'msg.statusCode = 422;\nmsg.payload = { error: msg.error };\nreturn msg;', [['res']]),
    { id: 'res', type: 'http response', z: 'st', statusCode: '', headers: {}, x: 900, y: 200, wires: [] },
  ];
}

const sinkLines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGKILL to Node-RED's process group; resolves once it is gone. */
async function kill(nr: NodeRedInstance): Promise<void> {
  try {
    process.kill(-nr.process.pid, 'SIGKILL');
  } catch {
    nr.process.child.kill('SIGKILL');
  }
  await nr.process.exited;
}

function inboundBody(sb: Sandbox, id: string, from: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: sb.wabaId, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: sb.displayPhoneNumber, phone_number_id: sb.phoneNumberId }, contacts: [{ wa_id: from, profile: { name: 'U' } }], messages: [{ id, from, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: id } }] } }] }],
  });
}

async function postWebhook(url: string, body: string, signature: string): Promise<number> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body, keepalive: false });
    await res.text();
    return res.status;
  } catch {
    return 0; // Node-RED died: not acknowledged
  }
}

async function sendVia(nr: NodeRedInstance, to: string, message: unknown): Promise<{ status: number; body: { error?: { code?: string } } & Record<string, unknown> }> {
  const res = await fetch(`${nr.url}/e2e/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to, message }) });
  return { status: res.status, body: (await res.json()) as never };
}

let tarball: string;
let packDir: string;

d.each([4, 5] as const)('Node-RED %i: the embedded state store survives SIGKILL', (major) => {
  let sb: Sandbox;
  let nr: NodeRedInstance | undefined;
  let userDir: string;
  let sink: string;
  const USER = '15557000001';
  const OPTED_OUT = '15557000002';
  const SUPPRESSED = '15557000003';
  const start = async () => {
    nr = await startNodeRed({ major, userDir, flows: flows(sb, sink), credentials: { cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } }, settingsOverrides: { functionExternalModules: true } });
    sb.setWebhookUrl(`${nr.url}/whatsapp`);
    return nr;
  };

  beforeAll(async () => {
    if (!tarball) {
      packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-pack-'));
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
      tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
    }
    sb = await startSandbox({ undeliverable: [SUPPRESSED] });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), `e2e-state-${major}-`));
    sink = path.join(userDir, 'sink.log');
    nr = await startNodeRed({ major, userDir, flows: flows(sb, sink), credentials: { cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } }, packages: [tarball], settingsOverrides: { functionExternalModules: true } });
    sb.setWebhookUrl(`${nr.url}/whatsapp`);
  }, 600_000);

  afterAll(async () => {
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    if (major === 5) {
      await stopAll();
      if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
    }
  });

  test('window, opt-out, suppression and seen webhooks survive SIGKILL and a restart', async () => {
    // Before: the user writes; another stops marketing; a send to a third fails with 131026.
    const wamid = await sb.inbound({ from: USER, text: 'hello before the crash' });
    expect(sb.webhookDeliveries.at(-1)!.status).toBe(200);
    await waitFor(() => sinkLines(sink).includes(wamid), 10_000, 'the message in the flow');
    expect(await sb.setMarketingPreference(OPTED_OUT, 'stop')).toBe(200);
    const failing = await sendVia(nr!, SUPPRESSED, { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    expect(failing.status).toBe(200);
    await waitFor(() => sb.webhookDeliveries.some((w) => w.body.includes('131026') && w.status === 200), 10_000, 'the 131026 status webhook answered');
    const file = path.join(userDir, 'wa-cloud', 'state.sqlite');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    await kill(nr!);
    await start();
    expect(nr!.logs()).not.toMatch(/cannot be opened|state in memory/);

    // The window is still open: the text reply goes out.
    const before = sb.messages.length;
    const reply = await sendVia(nr!, USER, 'the reply after the restart');
    expect(reply).toMatchObject({ status: 200 });
    expect(sb.messages.slice(before).filter((m) => m.waId === USER && m.type === 'text')).toHaveLength(1);
    // The opt-out is still known: a marketing template is refused before any request.
    const marketing = await sendVia(nr!, OPTED_OUT, { type: 'template', template: { name: 'spring_sale', language: { code: 'en' }, components: [] } });
    expect(marketing.status).toBe(422);
    expect(marketing.body.error?.code).toBe('marketing_opted_out');
    // The suppression too.
    const suppressed = await sendVia(nr!, SUPPRESSED, { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    expect(suppressed.status).toBe(422);
    expect(suppressed.body.error?.code).toBe('recipient_suppressed');
    expect(sb.messages.slice(before).filter((m) => m.waId === OPTED_OUT || m.waId === SUPPRESSED)).toEqual([]);
    // Meta redelivers the acknowledged webhook: answered 200, and no second event in the flow.
    const first = sb.webhookDeliveries.find((w) => w.body.includes(wamid))!;
    expect(await postWebhook(`${nr!.url}/whatsapp`, first.body, first.signature)).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(sinkLines(sink).filter((id) => id === wamid)).toHaveLength(1);
  }, 180_000);

  test(`crash under load: ${LOAD} webhooks, SIGKILL at a random moment, restart, all redelivered: none lost, none acknowledged handled twice`, async () => {
    fs.rmSync(sink, { force: true });
    const bodies = Array.from({ length: LOAD }, (_, i) => inboundBody(sb, `wamid.load-${major}-${i}`, String(15558000000 + (i % 400))));
    const signatures = bodies.map((b) => signBody(b, sb.appSecret));
    const post = (i: number) => postWebhook(`${nr!.url}/whatsapp`, bodies[i]!, signatures[i]!);
    const killAt = Math.floor(LOAD * (0.1 + Math.random() * 0.8));
    const acked = new Set<number>();
    let next = 0;
    let done = 0;
    let killing: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < LOAD) {
          const i = next++;
          if ((await post(i)) === 200) acked.add(i);
          if (++done === killAt) killing = kill(nr!);
        }
      }),
    );
    await killing;
    const beforeKill = sinkLines(sink);
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(LOAD);

    await start();
    next = 0;
    const ackedAfter = new Set<number>();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < LOAD) {
          const i = next++;
          if ((await post(i)) === 200) ackedAfter.add(i);
        }
      }),
    );
    expect(ackedAfter.size).toBe(LOAD);
    await waitFor(() => new Set(sinkLines(sink)).size >= LOAD, 30_000, 'every event in the flow').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const all = sinkLines(sink);
    const counts = new Map<string, number>();
    for (const id of all) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const missing = bodies.map((_, i) => `wamid.load-${major}-${i}`).filter((id) => !counts.has(id));
    // None lost. Twice only for an event the flow had been handed but whose webhook was not yet
    // acknowledged when the process died (the documented at-least-once gap, README "Crash safety";
    // seen once in CI: 1 of 2,000): never one answered 200, and no more than were in flight.
    const ackedIds = new Set([...acked].map((i) => `wamid.load-${major}-${i}`));
    expect({ twiceAcked: twice.filter((id) => ackedIds.has(id)), missing }).toEqual({ twiceAcked: [], missing: [] });
    expect(twice.length).toBeLessThanOrEqual(32);
    const afterRestart = new Set(all.slice(beforeKill.length));
    expect([...acked].map((i) => `wamid.load-${major}-${i}`).filter((id) => afterRestart.has(id))).toEqual([]);
  }, 300_000);

  test('a corrupt store file: the log names the file, webhooks are still answered and handed on', async () => {
    await nr!.stop();
    const file = path.join(userDir, 'wa-cloud', 'state.sqlite');
    fs.writeFileSync(file, crypto.randomBytes(16384));
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    await start();
    await waitFor(() => nr!.logs().includes(file), 10_000, 'the file named in the log');
    expect(nr!.logs()).toMatch(/kept in memory/);
    const wamid = await sb.inbound({ from: USER, text: 'after the corruption' });
    expect(sb.webhookDeliveries.at(-1)!.status).toBe(200);
    await waitFor(() => sinkLines(sink).includes(wamid), 10_000, 'the message in the flow');
  }, 120_000);
});
