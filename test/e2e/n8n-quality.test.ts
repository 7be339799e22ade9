/**
 * The quality guard across the trigger and the action node in ONE real n8n 2.41.1 process
 * (regular mode, sqlite), against the sandbox, and the Redis password kept out of everything n8n
 * prints or stores. Proves:
 * - a `user_preferences` "stop" webhook (signed by the sandbox) taken by the published trigger
 *   records a marketing opt-out that the action node's next MARKETING template send to that user
 *   obeys: the send is refused before any request (the sandbox gets no message for the user), and
 *   the failed execution names the reason and the hint; a "resume" webhook lets the same send
 *   through. Once with in-process state (Shared Store "None") and once with the shared store in a
 *   password-protected Redis started by this test (the opt-out is in that Redis under the key
 *   prefix), trigger and node on the same credential;
 * - a shared-store credential pointing at a port where no Redis listens: the send fails with the
 *   outage naming host:port (nothing reaches the sandbox), the trigger answers 503 and starts nothing;
 * - no secret, the Redis password included, in n8n's logs, execution data or node outputs.
 * Needs `redis-server` on PATH. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import { Redis } from 'ioredis';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { getFreePorts } from '../harness/ports';
import { spawnManaged, stopAll, type ManagedProcess } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import {
  apiCredentialData,
  findSecrets,
  N8nRest,
  nodeId,
  packPackage,
  SECRETS,
  triggerNode,
  waitUntil,
  waNode,
  webhookNode,
  type Cred,
} from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const d = process.env.SKIP_E2E ? describe.skip : describe;

/** The three ways the nodes keep their state: in the n8n process, in our Redis, in a Redis that is not there. */
type Store = 'memory' | 'redis' | 'down';
const STORES: Store[] = ['memory', 'redis', 'down'];
/** One user per store, so no record of one scenario can help another. */
const USER: Record<Store, string> = { memory: '15557770001', redis: '15557770002', down: '15557770003' };
const keyPrefix = `e2e-n8nquality-${Date.now().toString(36)}:`;

let userFolder: string;
let packDir: string;
let sandbox: Sandbox;
let redisServer: ManagedProcess | undefined;
let redisPort: number;
/** A port nothing listens on (the "down" credential). */
let downPort: number;
let n8n: N8nInstance;
let rest: N8nRest;
const wf: Record<'triggers' | 'sends', string> = { triggers: '', sends: '' };
const hook: Record<Store, string> = { memory: nodeId(), redis: nodeId(), down: nodeId() };
const triggerUrl = (store: Store) => `${n8n.url}/webhook/${hook[store]}/whatsapp`;
/** Every webhook answer (the send nodes' outputs), for the secret scan. */
const answers: string[] = [];

/** POST /messages the sandbox received for `user` (any spelling of the number). */
const sendsTo = (user: string) =>
  sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && String((r.body as { to?: string } | undefined)?.to ?? '').replace(/\D/g, '') === user);

/** Runs the send workflow of `store` (Webhook → Send Template "spring_sale", MARKETING) for `user`. */
async function sendSale(store: Store, user: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${n8n.url}/webhook/quality-send-${store}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: `+${user}` }) });
  const body = await res.text();
  answers.push(body);
  return { status: res.status, body };
}

/**
 * n8n stores run data in the `flatted` format: one array whose first entry is the root, every string
 * inside an object or array being the index of its value (numbers, booleans and null are inline).
 */
function unflatten(text: string): unknown {
  const table = JSON.parse(text) as unknown[];
  const done = new Map<number, unknown>();
  const at = (index: number): unknown => {
    if (done.has(index)) return done.get(index);
    const value = table[index];
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
    done.set(index, out);
    for (const [k, v] of Object.entries(value)) (out as Record<string, unknown>)[k] = typeof v === 'string' ? at(Number(v)) : v;
    return out;
  };
  return at(0);
}

interface FailedRun {
  resultData: { lastNodeExecuted?: string; error?: { name?: string; message?: string; messages?: string[]; description?: string } };
}

/** The error of the send workflow's newest execution, once it has failed. */
async function latestFailure(before: number): Promise<FailedRun['resultData']> {
  let found: { id: string; status: string } | undefined;
  await waitUntil(async () => {
    const all = await rest.executions({ workflowId: wf.sends });
    found = all.length > before ? all[0] : undefined;
    return found?.status === 'error';
  }, 30_000, 'a failed execution of the send workflow');
  const execution = await rest.execution(found!.id);
  return (unflatten(String(execution.data)) as FailedRun).resultData;
}

/** A Meta-shaped `user_preferences` webhook for the sandbox's number, as the sandbox sends it. */
function preferenceBody(user: string, value: 'stop' | 'resume'): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: sandbox.wabaId,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'user_preferences',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: sandbox.displayPhoneNumber, phone_number_id: sandbox.phoneNumberId },
              contacts: [{ wa_id: user }],
              user_preferences: [{ wa_id: user, detail: `User requested to ${value} marketing messages`, category: 'marketing_messages', value, timestamp: Math.floor(Date.now() / 1000) }],
            },
          },
        ],
      },
    ],
  });
}

d('n8n quality guard: the trigger feeds the guard that checks the node\'s sends; the Redis password stays secret', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    [redisPort, downPort] = await getFreePorts(2);
    redisServer = spawnManaged({
      name: 'redis-server (password)',
      command: 'redis-server',
      args: ['--port', String(redisPort), '--requirepass', SECRETS.redisPassword, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    });
    await redisServer.waitForLog('Ready to accept connections', 15_000);
    sandbox = await startSandbox({
      accessToken: SECRETS.accessToken,
      appSecret: SECRETS.appSecret,
      verifyToken: SECRETS.verifyToken,
      statusDelaysMs: { sent: 20, delivered: null, read: null },
    });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const redisData = (port: number) => ({ host: '127.0.0.1', port, user: '', password: SECRETS.redisPassword, database: 0, tls: false, keyPrefix });
    const [apiId, redisId, downId] = await importCredentials(userFolder, [
      {
        name: 'WhatsApp',
        type: 'whatsAppCloudApi',
        data: apiCredentialData(sandbox),
      },
      { name: 'Shared store', type: 'whatsAppCloudRedisApi', data: redisData(redisPort) },
      { name: 'Shared store, wrong port', type: 'whatsAppCloudRedisApi', data: redisData(downPort) },
    ]);
    const cred: Cred = { id: apiId!, name: 'WhatsApp' };
    const storeCredential: Record<Store, Record<string, Cred>> = {
      memory: {},
      redis: { whatsAppCloudRedisApi: { id: redisId!, name: 'Shared store' } },
      down: { whatsAppCloudRedisApi: { id: downId!, name: 'Shared store, wrong port' } },
    };
    const storeParameter = (store: Store) => (store === 'memory' ? {} : { sharedStore: 'redis' });

    // One trigger per store; the guard learns from every webhook, and user preferences also start an execution.
    wf.triggers = await importWorkflow(userFolder, {
      name: 'e2e quality triggers',
      nodes: STORES.map((store, i) => ({
        ...triggerNode(`Trigger ${store}`, cred, hook[store], { registration: 'verifyOnly', events: ['userPreferences'], ...storeParameter(store) }, storeCredential[store]),
        position: [0, 200 * i],
      })),
      connections: {},
    });
    // One Webhook → Send Template (spring_sale is the sandbox's MARKETING template) per store.
    const sendNodes = STORES.flatMap((store, i) => {
      const send = waNode(`Send ${store}`, cred, {
        resource: 'message',
        operation: 'sendTemplate',
        to: '={{ $json.body.to }}',
        templateName: { __rl: true, mode: 'name', value: 'spring_sale' },
        languageCode: 'en',
        templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': '20%', 'button-0': 'spring' }, matchingColumns: [], schema: [] },
        options: {},
        ...storeParameter(store),
      }, {}, [200, 200 * i]);
      return [
        { ...webhookNode(`Hook ${store}`, `quality-send-${store}`, 'lastNode'), position: [0, 200 * i] },
        { ...send, credentials: { ...send.credentials, ...storeCredential[store] } },
      ];
    });
    wf.sends = await importWorkflow(userFolder, {
      name: 'e2e quality sends',
      nodes: sendNodes,
      connections: Object.fromEntries(STORES.map((store) => [`Hook ${store}`, { main: [[{ node: `Send ${store}`, type: 'main', index: 0 }]] }])),
    });

    n8n = await startN8n({ userFolder, env: { N8N_LOG_LEVEL: 'debug' } });
    rest = new N8nRest(n8n.url);
    await rest.login();
    await rest.activate(wf.triggers);
    await rest.activate(wf.sends);
    for (const store of STORES) {
      await waitUntil(async () => (await fetch(`${triggerUrl(store)}?hub.mode=subscribe`)).status !== 404, 60_000, `the ${store} trigger to be served`);
    }
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await redisServer?.stop();
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('the Redis of this test requires its password', async () => {
    const anonymous = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, retryStrategy: () => null });
    try {
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  describe.each(['memory', 'redis'] as const)('shared store %s', (store) => {
    it('a "stop" through the trigger makes the node refuse MARKETING templates to that user before any request; "resume" lets them through', async () => {
      const user = USER[store];
      sandbox.setWebhookUrl(triggerUrl(store));
      // The trigger answers 200 only after the guard has recorded the webhook.
      expect(await sandbox.setMarketingPreference(user, 'stop')).toBe(200);
      if (store === 'redis') {
        const redis = new Redis({ host: '127.0.0.1', port: redisPort, password: SECRETS.redisPassword });
        try {
          expect(await redis.exists(`${keyPrefix}window:quality:optout:${sandbox.phoneNumberId}:${user}`)).toBe(1);
        } finally {
          redis.disconnect();
        }
      }

      const before = (await rest.executions({ workflowId: wf.sends })).length;
      const refused = await sendSale(store, user);
      expect(refused).toEqual({ status: 500, body: '{"message":"Error in workflow"}' });
      // The node error: core's reason as the message, its hint as the description, naming the
      // rule's switch as the node's Quality Guard options do.
      const failed = await latestFailure(before);
      expect(failed.lastNodeExecuted).toBe(`Send ${store}`);
      expect(failed.error).toMatchObject({
        name: 'NodeOperationError',
        message: `Not sent: +${user} stopped marketing messages from this business`,
        description: 'Send them only utility or authentication templates until they resume marketing messages. To send anyway, switch the rule off (Quality Guard → Respect Marketing Opt-Out: off).',
      });
      // Refused before the request: the category was read (GET message_templates), nothing was sent.
      expect(sendsTo(user)).toEqual([]);
      expect(sandbox.messages.filter((m) => m.to.replace(/\D/g, '') === user)).toEqual([]);
      expect(sandbox.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${sandbox.wabaId}/message_templates`))).toBe(true);

      expect(await sandbox.setMarketingPreference(user, 'resume')).toBe(200);
      const sent = await sendSale(store, user);
      expect(sent.status).toBe(200);
      const out = JSON.parse(sent.body) as Array<Record<string, unknown>>;
      expect(out).toEqual([expect.objectContaining({ messageId: expect.any(String) })]);
      expect(sendsTo(user)).toHaveLength(1);
      expect(sendsTo(user)[0]).toMatchObject({ status: 200, body: { type: 'template', template: { name: 'spring_sale', language: { code: 'en' } } } });
      expect(sandbox.messages.filter((m) => m.to.replace(/\D/g, '') === user).map((m) => m.id)).toEqual([out[0]!.messageId]);
    }, 120_000);
  });

  it('a shared store on a port where no Redis listens: the send fails naming host:port and sends nothing; the trigger answers 503 and starts nothing', async () => {
    const user = USER.down;
    const before = (await rest.executions({ workflowId: wf.sends })).length;
    const refused = await sendSale('down', user);
    expect(refused.status).toBe(500);
    const failed = await latestFailure(before);
    expect(failed.lastNodeExecuted).toBe('Send down');
    // Core's message, not the generic sentence n8n puts in place of any message naming ECONNREFUSED.
    expect(failed.error!.message).toContain(`The shared state store (Redis at 127.0.0.1:${downPort}) is unavailable`);
    // The hint's last clause names what the send needed first from Redis (the window read, or the
    // send budget): both mean nothing was sent.
    expect(failed.error!.description).toMatch(
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${downPort} is unreachable: start it, or correct the shared store's address and password; ` +
          '(sends are held back so the number is never over its limit|the 24-hour window could not be read or recorded)\\.$',
      ),
    );
    expect(sendsTo(user)).toEqual([]);

    const triggersBefore = (await rest.executions({ workflowId: wf.triggers })).length;
    const body = preferenceBody(user, 'stop');
    const res = await fetch(triggerUrl('down'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, SECRETS.appSecret) }, body });
    answers.push(await res.text());
    expect(res.status).toBe(503);
    await waitUntil(() => n8n.logs().includes(`WhatsApp Cloud Trigger: could not take a webhook (answered 503): The shared state store (Redis at 127.0.0.1:${downPort})`), 10_000, 'the trigger\'s warning');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await rest.executions({ workflowId: wf.triggers })).length).toBe(triggersBefore);
  }, 60_000);

  it('no access token, app secret, verify token or Redis password in n8n\'s logs, execution data or node outputs', async () => {
    const executions = await rest.executions();
    expect(executions.length).toBeGreaterThanOrEqual(9); // 2 × (stop, resume, refused, sent) + the failed send on the wrong port
    const data = (await Promise.all(executions.map((e) => rest.execution(e.id)))).map((e) => JSON.stringify(e));
    const everything = [n8n.logs(), ...data, ...answers].join('\n');
    // The scan can fail: the Redis address of the failing credential and the phone number ID are in there.
    expect(everything).toContain(`127.0.0.1:${downPort}`);
    expect(everything).toContain(sandbox.phoneNumberId);
    expect(findSecrets(everything)).toEqual([]);
  }, 120_000);
});
