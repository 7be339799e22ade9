/**
 * The packed @wa-cloud/node-red-whatsapp-cloud in REAL Node-RED (4.x on Node 20, 5.x on Node 24),
 * installed into a temp userDir like a user install, driven by the sandbox. The flows are the
 * package's own examples (CRM → template; inbound → reply) with the config node pointed at the
 * sandbox, plus a small observer on the webhook node's status output. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run, stopAll } from '../harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const EXAMPLES = path.join(PACKAGE_DIR, 'examples');
const d = process.env.SKIP_E2E ? describe.skip : describe;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/**
 * The number's cap, in the sandbox (sliding reading) and on the config node. 40, not the examples'
 * 80: 120 sends then take 3 s, long enough for a rate to mean something on a loaded machine.
 */
const CAP = 40;

function example(name: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
}

/** The examples, one config node pointed at the sandbox, and an observer of status events. */
function flows(sb: Sandbox): FlowNode[] {
  const nodes = new Map<string, FlowNode>();
  for (const node of [...example('crm-webhook-template-send.json'), ...example('inbound-text-reply.json'), ...example('carousel-template-send.json')]) nodes.set(node.id, node);
  Object.assign(nodes.get('wa_cfg')!, { phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, throughput: CAP });
  (nodes.get('reply_in')!.wires as string[][])[1] = ['e2e_collect'];
  const observer: FlowNode[] = [
    { id: 'e2e_collect', type: 'function', z: 'reply_tab', name: 'collect statuses', func: "const all = global.get('statuses') || [];\nall.push({ messageId: msg.whatsapp.messageId, status: msg.whatsapp.status, callback: msg.whatsapp.bizOpaqueCallbackData || null });\nglobal.set('statuses', all);\nreturn null;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 400, y: 320, wires: [[]] },
    { id: 'e2e_get', type: 'http in', z: 'reply_tab', name: '', url: '/e2e/statuses', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 380, wires: [['e2e_read']] },
    { id: 'e2e_read', type: 'change', z: 'reply_tab', name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'statuses', tot: 'global' }], action: '', property: '', from: '', to: '', reg: false, x: 330, y: 380, wires: [['e2e_res']] },
    { id: 'e2e_res', type: 'http response', z: 'reply_tab', name: '', statusCode: '', headers: {}, x: 510, y: 380, wires: [] },
  ];
  return [...nodes.values(), ...observer];
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

/** A settings.js middleware (serialised into the file, so self-contained): tags the response. */
function throughExpress(_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) {
  res.setHeader('x-through-express', '1');
  next();
}

async function packOnce(): Promise<string> {
  if (!tarball) {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
    tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
  }
  return tarball;
}

/** A sandbox, and Node-RED running the example flows against it with the packed package. */
async function startWithExamples(major: 4 | 5, settingsOverrides: Record<string, unknown>): Promise<{ sb: Sandbox; nr: NodeRedInstance }> {
  await packOnce();
  await ensureNodeRed(major);
  // The strict reading of Meta's cap: no more than CAP in any sliding second.
  const sb = await startSandbox({ throughput: CAP, throughputMode: 'sliding', statusDelaysMs: { sent: 20, delivered: 40, read: 60 } });
  const nr = await startNodeRed({
    major,
    flows: flows(sb),
    credentials: { wa_cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } },
    packages: [tarball],
    settingsOverrides,
  });
  sb.setWebhookUrl(`${nr.url}/whatsapp`);
  return { sb, nr };
}

d.each([4, 5] as const)('Node-RED %i with the packed package', (major) => {
  let sb: Sandbox;
  let nr: NodeRedInstance;

  beforeAll(async () => {
    // Express then marks every response it serves (X-Powered-By); Node-RED switches that off by default.
    ({ sb, nr } = await startWithExamples(major, { httpServerOptions: { 'x-powered-by': true } }));
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
  });

  test('runs on the expected Node and loads all three node types', async () => {
    const { stdout } = await run(nr.runtime.nodeBin, ['--version']);
    expect(stdout.trim()).toMatch(major === 4 ? /^v20\./ : /^v24\./);
    expect(nr.logs()).not.toMatch(/\[error\]/i);
    const nodes = await fetch(`${nr.adminUrl}/nodes`, { headers: { accept: 'application/json' } }).then((r) => r.json() as Promise<Array<{ types: string[] }>>);
    const types = nodes.flatMap((set) => set.types);
    expect(types).toEqual(expect.arrayContaining(['whatsapp-cloud-config', 'whatsapp-cloud-out', 'whatsapp-cloud-in']));
  });

  test('CRM webhook → template send: the sandbox gets order_update with both parameters', async () => {
    const res = await fetch(`${nr.url}/crm/order-shipped`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+14155550101', name: 'Ada', order: `#${major}042` }),
    });
    const body = (await res.json()) as { messageId: string };
    expect(res.status).toBe(200);
    const sent = sb.messages.find((m) => m.id === body.messageId);
    expect(sent?.body).toMatchObject({
      to: '+14155550101',
      type: 'template',
      biz_opaque_callback_data: `#${major}042`,
      template: { name: 'order_update', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: `#${major}042` }] }] },
    });
    // Its status webhooks come back signed, through the webhook node's status output, with the callback data.
    await waitFor(
      async () => {
        const text = await fetch(`${nr.url}/e2e/statuses`).then((r) => r.text());
        const seen = (text ? JSON.parse(text) : []) as Array<{ messageId: string; status: string; callback: string }>;
        const mine = seen.filter((s) => s.messageId === body.messageId);
        return mine.length >= 3 && mine;
      },
      15_000,
      'sent/delivered/read of the template',
    ).then((mine) => {
      expect(mine.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
      expect(mine.every((s) => s.callback === `#${major}042`)).toBe(true);
    });
  }, 60_000);

  test('carousel example: 3 cards from the parameter rows reach the sandbox with every card\'s header and button', async () => {
    const products = [0, 1, 2].map((n) => ({ image: `https://cdn.example.com/nr${major}-${n}.jpg`, title: `plant ${n}`, sku: `sku-${major}-${n}` }));
    const res = await fetch(`${nr.url}/shop/carousel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+14155550109', name: 'Ada', code: 'SPRING', products }),
    });
    const body = (await res.json()) as { messageId: string };
    expect(res.status).toBe(200);
    const sent = sb.messages.find((m) => m.id === body.messageId)!.body as { template: { name: string; components: Array<{ type: string; cards?: Array<{ card_index: number; components: unknown[] }> }> } };
    expect(sent.template.name).toBe('succulent_carousel');
    const carousel = sent.template.components.find((c) => c.type === 'carousel')!;
    expect(carousel.cards!.map((c) => c.card_index)).toEqual([0, 1, 2]);
    carousel.cards!.forEach((card, n) => {
      expect(card.components).toContainEqual({ type: 'header', parameters: [{ type: 'image', image: { link: products[n]!.image } }] });
      expect(card.components).toContainEqual({ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: products[n]!.sku }] });
      expect(card.components).toContainEqual({ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: `more-${n}` }] });
    });
    // A card without its image is refused before Meta, naming the field.
    const before = sb.messages.length;
    const missing = await fetch(`${nr.url}/shop/carousel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+14155550109', name: 'Ada', code: 'SPRING', products: [products[0], products[1], { ...products[2], image: '' }] }),
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/card\.2\.header/);
    expect(sb.messages.length).toBe(before);
  }, 60_000);

  test('120 CRM calls at once at the number\'s cap (sliding reading): each delivered once, at least 0.95 of the cap', async () => {
    const count = 120;
    const cap = CAP; // the config node's Throughput and the sandbox's
    // The earlier tests' sends leave the sandbox's sliding second first (they would count against
    // this burst's first second).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = { requests: sb.requests.length, messages: sb.messages.length };
    // No status webhooks meanwhile: this process is the sandbox, and 360 webhook deliveries here would
    // delay its reading of arrivals (what it counts) more than the sender's own jitter.
    sb.setWebhookUrl(undefined);
    let answers: Array<{ status: number; body: { messageId?: string } }>;
    try {
      answers = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          fetch(`${nr.url}/crm/order-shipped`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ phone: `+1415556${String(i).padStart(4, '0')}`, name: `User ${i}`, order: `#${major}-${i}` }),
          }).then(async (res) => ({ status: res.status, body: (await res.json()) as { messageId?: string } })),
        ),
      );
    } finally {
      sb.setWebhookUrl(`${nr.url}/whatsapp`);
    }
    expect(answers.every((a) => a.status === 200 && typeof a.body.messageId === 'string')).toBe(true);
    const accepted = sb.messages.slice(before.messages).filter((m) => m.type === 'template');
    expect(accepted).toHaveLength(count);
    expect(new Set(accepted.map((m) => m.to)).size).toBe(count);
    const times = sb.requests
      .slice(before.requests)
      .filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && r.status === 200)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    const rate = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
    const refused = sb.requests.slice(before.requests).filter((r) => r.errorCode === 130429);
    const throttled = `${refused.length} (at ${refused.map((r) => r.at - times[0]!).join(', ')} ms)`;
    const seen = `${Math.round(rate * 10) / 10}/s at a cap of ${cap}, ${throttled} × 130429, first to last ${Math.round(times[times.length - 1]! - times[0]!)} ms`;
    // At most the cap, within 2 % (as redis-scale-out): first-to-last over 120 sends is not a sliding
    // second, and a made-up late timer (bounded by the emission log) was seen to give 40.01 at 40.
    expect({ seen, atLeast95: rate >= 0.95 * cap, atMostCap: rate <= cap * 1.02 }).toEqual({ seen, atLeast95: true, atMostCap: true });
  }, 120_000);

  test('a CRM call that breaks a template rule is refused before Meta, with the code', async () => {
    const res = await fetch(`${nr.url}/crm/order-shipped`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '+14155550102', name: 'Ada' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'validation_failed', category: 'validation' });
    expect(sb.messages.some((m) => m.to === '+14155550102')).toBe(false);
  });

  test('inbound text → marked read and answered within the window, quoting it', async () => {
    const user = `1415555${major}201`;
    const wamid = await sb.inbound({ from: user, text: 'Where is my parcel?' }, { name: 'Grace' });
    const reply = await waitFor(() => sb.messages.find((m) => m.waId === user && m.type === 'text'), 15_000, 'the reply');
    expect(reply.body).toMatchObject({ type: 'text', context: { message_id: wamid } });
    expect((reply.body as { text: { body: string } }).text.body).toContain('Hi Grace, you wrote: "Where is my parcel?"');
    expect(sb.inbounds.find((i) => i.id === wamid)?.readAt).toBeDefined();
    expect(sb.webhookDeliveries.filter((w) => w.url.endsWith('/whatsapp')).every((w) => w.status === 200)).toBe(true);
  }, 60_000);

  test('webhook endpoint: challenge as text, 403 on a bad token, 401 on a bad signature', async () => {
    const ok = await fetch(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(sb.verifyToken)}&hub.challenge=42424242`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('42424242');
    const forbidden = await fetch(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=42424242`);
    expect(forbidden.status).toBe(403);
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const unsigned = await fetch(`${nr.url}/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, 'not-the-secret') }, body });
    expect(unsigned.status).toBe(401);
    const signed = await fetch(`${nr.url}/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, sb.appSecret) }, body });
    expect(signed.status).toBe(200);
  });

  test('Meta\'s requests are answered on the server before Express; everything else still goes through it', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const post = await fetch(`${nr.url}/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, sb.appSecret) }, body });
    expect(post.status).toBe(200);
    expect(post.headers.get('x-powered-by')).toBeNull();
    const challenge = await fetch(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=5`);
    expect(await challenge.text()).toBe('5');
    expect(challenge.headers.get('x-powered-by')).toBeNull();
    // Not Meta's (no signature): Express and the node's fallback route, which refuses it the same way.
    const unsigned = await fetch(`${nr.url}/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('x-powered-by')).toBe('Express');
    const other = await fetch(`${nr.url}/e2e/statuses`);
    expect(other.headers.get('x-powered-by')).toBe('Express');
  });

  test('a redeploy removes the old routes and registers the new path', async () => {
    const current = (await fetch(`${nr.adminUrl}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } }).then((r) => r.json())) as FlowNode[];
    const moved = current.map((n) => (n.id === 'reply_in' ? { ...n, path: '/whatsapp-moved' } : n));
    const res = await fetch(`${nr.adminUrl}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' }, body: JSON.stringify(moved) });
    expect(res.status).toBeLessThan(300);
    await waitFor(async () => (await fetch(`${nr.url}/whatsapp-moved?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=1`)).status === 200, 10_000, 'new route');
    const old = await fetch(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=1`);
    expect(old.status).toBe(404);
  }, 30_000);
});

d('Node-RED 4 with httpNodeMiddleware in settings.js', () => {
  let sb: Sandbox;
  let nr: NodeRedInstance;

  beforeAll(async () => {
    ({ sb, nr } = await startWithExamples(4, { httpNodeMiddleware: throughExpress }));
  }, 15 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_LOGS) console.log(nr?.logs());
    await nr?.stop();
    await sb?.close();
    await stopAll();
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  test('the webhook stays behind the user middleware, says why, and still works end to end', async () => {
    expect(nr.logs()).toContain('Webhook /whatsapp is served through Express (httpNodeMiddleware is set).');
    const challenge = await fetch(`${nr.url}/whatsapp?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=9`);
    expect(await challenge.text()).toBe('9');
    expect(challenge.headers.get('x-through-express')).toBe('1');
    const user = '14155554301';
    const wamid = await sb.inbound({ from: user, text: 'via middleware' }, { name: 'Mia' });
    const reply = await waitFor(() => sb.messages.find((m) => m.waId === user && m.type === 'text'), 15_000, 'the reply');
    expect(reply.body).toMatchObject({ type: 'text', context: { message_id: wamid } });
    expect(sb.webhookDeliveries.filter((w) => w.url.endsWith('/whatsapp')).every((w) => w.status === 200)).toBe(true);
  }, 60_000);
});
